//! `cargo bench -p server --bench knowledge` (run by `cargo xtask bench`):
//! ingestion throughput of a 100-page PDF with local embeddings, query
//! embedding time, hybrid retrieval latency at 1k/10k/50k chunks, recall of
//! the vector ranker against brute force, and resident memory. Prints
//! numbers; asserts nothing.

use std::collections::HashSet;
use std::time::Instant;

use lodestar_server::knowledge::chunk;
use lodestar_server::knowledge::embed::{dot, LocalMiniLm, MINILM_DIMENSION};
use lodestar_server::knowledge::embedding_text;
use lodestar_server::knowledge::extract;
use lodestar_server::knowledge::index::{IndexedChunk, Mode, WorkspaceIndex};

mod support;
use support::{next, report, rss_mb};

fn main() {
    let model =
        LocalMiniLm::load_blocking(&support::model_dir()).expect("the model is in data/models (run cargo xtask setup)");
    let model = model.model();

    println!("== Ingestion: a 100-page PDF, in-process (extract, chunk, embed)");
    let pdf = hundred_page_pdf();
    let started = Instant::now();
    let doc = extract::extract(&pdf).expect("the PDF reads");
    let extracted = started.elapsed();
    let chunks = chunk::chunk(&doc);
    let texts: Vec<String> = chunks.iter().map(|c| embedding_text("Handbook", &c.heading_path, &c.text)).collect();
    let started_embed = Instant::now();
    let vectors = model.embed(&texts);
    let embedded = started_embed.elapsed();
    let total = started.elapsed();
    println!("  {} pages, {} chunks, {} KB", doc.pages.unwrap_or(0), chunks.len(), pdf.len() / 1024);
    println!(
        "  extract {:.2} s, embed {:.2} s, total {:.2} s",
        extracted.as_secs_f64(),
        embedded.as_secs_f64(),
        total.as_secs_f64()
    );
    println!(
        "  {:.1} pages/s, {:.1} chunks/s (target: 100 pages ready in < 60 s)",
        100.0 / total.as_secs_f64(),
        chunks.len() as f64 / total.as_secs_f64()
    );

    println!("== Query embedding (short questions)");
    let questions: Vec<String> =
        (0..200).map(|i| format!("How do I print a return label for order {i} to Spain?")).collect();
    let mut times = Vec::new();
    let mut query_vectors = Vec::new();
    for q in &questions {
        let t = Instant::now();
        query_vectors.push(model.embed(std::slice::from_ref(q)).remove(0));
        times.push(t.elapsed());
    }
    report("query embedding", &mut times);

    // Realistic chunk vectors: the PDF's real vectors, perturbed so that
    // the corpus does not collapse into duplicates.
    for size in [1_000usize, 10_000, 50_000] {
        println!("== Retrieval with {size} chunks in one workspace");
        let mut index = WorkspaceIndex::new(MINILM_DIMENSION);
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut corpus = Vec::with_capacity(size);
        for i in 0..size {
            let base = &vectors[i % vectors.len()];
            let mut v: Vec<f32> = base.iter().map(|x| x + 0.35 * (next(&mut rng) - 0.5)).collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.iter_mut().for_each(|x| *x /= norm);
            corpus.push(v.clone());
            let text = &chunks[i % chunks.len()].text;
            let chunk = IndexedChunk {
                id: i.to_string(),
                source_id: format!("s{}", i % 50),
                document_id: format!("d{}", i / 8),
                title: "Handbook".into(),
                heading_path: vec![],
                page: None,
                url: None,
                text: text.clone(),
            };
            if i % 8 == 7 || i + 1 == size {
                let start = i - i % 8;
                let batch: Vec<_> = (start..=i)
                    .map(|j| {
                        let t = &chunks[j % chunks.len()].text;
                        (IndexedChunk { id: j.to_string(), text: t.clone(), ..chunk.clone() }, corpus[j].clone())
                    })
                    .collect();
                index.put_document(&format!("d{}", i / 8), batch);
            }
        }
        let mut times = Vec::new();
        let mut search_only = Vec::new();
        let mut recall = 0.0;
        for (q, qv) in questions.iter().zip(&query_vectors) {
            // The full path a question takes: embed it, then search.
            let t = Instant::now();
            let qv2 = model.embed(std::slice::from_ref(q)).remove(0);
            let hits = index.search(&qv2, q, 10, None, Mode::Hybrid);
            times.push(t.elapsed());
            assert!(!hits.is_empty());
            let t = Instant::now();
            let _ = index.search(qv, q, 10, None, Mode::Hybrid);
            search_only.push(t.elapsed());
            let vector_hits: HashSet<String> =
                index.search(qv, q, 10, None, Mode::VectorOnly).iter().map(|h| h.chunk.id.clone()).collect();
            let mut exact: Vec<(usize, f32)> = corpus.iter().enumerate().map(|(i, v)| (i, dot(qv, v))).collect();
            exact.sort_by(|a, b| b.1.total_cmp(&a.1));
            recall += exact[..10].iter().filter(|(i, _)| vector_hits.contains(&i.to_string())).count() as f64 / 10.0;
        }
        report("embed + hybrid search", &mut times);
        report("hybrid search alone", &mut search_only);
        println!("  vector recall@10 vs brute force: {:.3}", recall / questions.len() as f64);
        println!("  index memory: {:.1} MB; process RSS: {:.1} MB", index.memory_bytes() as f64 / 1e6, rss_mb());
    }
}

/// 100 pages of varied help-centre prose, built with lopdf.
fn hundred_page_pdf() -> Vec<u8> {
    let topics = [
        "returns",
        "labels",
        "customs",
        "warehouses",
        "billing",
        "carriers",
        "insurance",
        "pickups",
        "tracking",
        "integrations",
    ];
    let pages: Vec<Vec<String>> = (0..100)
        .map(|p| {
            let topic = topics[p % topics.len()];
            let mut lines = vec![format!("Chapter {} {}", p + 1, topic)];
            for s in 0..38 {
                lines.push(format!(
                    "Step {s} for {topic}: open the {topic} settings, review rule {p}-{s} and save the change."
                ));
            }
            lines
        })
        .collect();
    lodestar_server::knowledge::extract::pdf_with_lines("Operations handbook", &pages)
}
