//! The chat pipeline's own cost, without an LLM: validate → rate limit and
//! quota → embed → sentiment → retrieve (hybrid, 10k chunks) → answer →
//! store → escalate, through `Chat::send` on real SQLite and embedded
//! SurrealDB with the local model. `cargo bench -p server --bench chat`;
//! `cargo xtask bench` runs it too. Prints numbers, asserts nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use lodestar_server::chat::{Chat, ChatEvent, Visitor, Widget};
use lodestar_server::config::{Config, DatabaseUrl, SurrealTarget};
use lodestar_server::knowledge::records::{ChunkRecord, DocumentRecord, SourceRecord};
use lodestar_server::state::AppState;

mod support;
use support::{demo_workspace, next, records, report, rss_mb, wait_for_demo_help_centre};

const CHUNKS: usize = 10_000;
const CHUNKS_PER_DOCUMENT: usize = 8;
const SEQUENTIAL: usize = 200;
const CONCURRENCY: usize = 8;
const PER_TASK: usize = 40;

const QUESTIONS: [&str; 10] = [
    "How long does standard delivery take?",
    "Can I return an item I bought last week?",
    "Which payment methods do you accept?",
    "Do you ship to Canada?",
    "How do I track my order?",
    "What is your refund policy for sale items?",
    "Can I change my delivery address after ordering?",
    "Is express shipping available on weekends?",
    "My parcel arrived damaged, what should I do?",
    "Do you offer gift cards?",
];

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut config = Config::for_tests(dir.path().to_path_buf(), DatabaseUrl::Sqlite(dir.path().join("bench.db")));
    config.surreal.target = SurrealTarget::Memory;
    config.auth.seed_demo = true;
    config.knowledge.model_dir = support::model_dir();
    // The demo help centre is read by the extraction worker: the server binary, not this one.
    let worker = Some(std::path::PathBuf::from(env!("CARGO_BIN_EXE_server")));
    let state = lodestar_server::open_state_with(config, None, worker).await.expect("the app starts");
    let workspace = demo_workspace(&state).await;
    wait_for_demo_help_centre(&state, &workspace).await;
    support::lift_quota(&state, &workspace).await;
    add_synthetic_chunks(&state, &workspace).await;
    let key = support::demo_key(&state, &workspace).await;
    let origin = lodestar_server::chat::own_origins(&state.config.public_url).remove(0);
    let widget = state.chat.widget(&key, Some(&origin)).await.expect("the demo widget answers on our own origin");
    let chat = state.chat.clone();

    println!("== Chat pipeline without an LLM, {CHUNKS} chunks in the workspace (plus the demo help centre)");
    for i in 0..10 {
        ask(&chat, &widget, QUESTIONS[i % QUESTIONS.len()]).await;
    }
    let mut embedding = Vec::new();
    for i in 0..SEQUENTIAL {
        let started = Instant::now();
        state.knowledge.embed_query(QUESTIONS[i % QUESTIONS.len()]).await.expect("embedding works");
        embedding.push(started.elapsed());
    }
    report("query embedding alone", &mut embedding);

    let mut single = Vec::new();
    for i in 0..SEQUENTIAL {
        single.push(ask(&chat, &widget, QUESTIONS[i % QUESTIONS.len()]).await);
    }
    report("one request at a time (send → stored answer)", &mut single);
    println!("  (targets: single-request p50 <= 7 ms, p99 <= 30 ms)");

    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..CONCURRENCY {
        let (chat, widget) = (chat.clone(), widget.clone());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            for i in 0..PER_TASK {
                times.push(ask(&chat, &widget, QUESTIONS[(t + i) % QUESTIONS.len()]).await);
            }
            times
        }));
    }
    let mut concurrent = Vec::new();
    for task in tasks {
        concurrent.extend(task.await.expect("a task finishes"));
    }
    let elapsed = started.elapsed();
    report(&format!("concurrency {CONCURRENCY}"), &mut concurrent);
    println!(
        "  throughput at concurrency {CONCURRENCY}: {:.0} requests/s (target: >= 126)",
        concurrent.len() as f64 / elapsed.as_secs_f64()
    );
    println!("  process RSS: {:.0} MB", rss_mb());
}

/// One visitor's question, from `send` until the stored answer arrives.
async fn ask(chat: &Arc<Chat>, widget: &Widget, question: &str) -> Duration {
    // A new visitor from an address of its own each time: the per-visitor
    // and per-address limits are not what is measured.
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (id, address) = (uuid::Uuid::new_v4().to_string(), std::net::Ipv4Addr::from(0x0a00_0000 | n).to_string());
    let visitor = Visitor { id: &id, address: &address, proof: None };
    let started = Instant::now();
    let mut events = chat.send(widget, &visitor, question, None).await.expect("the message is accepted");
    while let Some(event) = events.recv().await {
        match event {
            ChatEvent::Done { .. } => return started.elapsed(),
            ChatEvent::Failed { error } => panic!("the pipeline failed: {error}"),
            _ => {}
        }
    }
    panic!("the answer never finished")
}

/// Chunks of filler text with random unit vectors, written to SurrealDB and
/// then loaded into the workspace's index as at start-up.
async fn add_synthetic_chunks(state: &AppState, workspace: &str) {
    let records = records(state);
    let dimension = state.knowledge.embedder().dimension();
    let source = SourceRecord {
        key: "bench-source".into(),
        kind: "text".into(),
        title: "Product catalogue".into(),
        location: None,
        url: None,
        format: Some("Text".into()),
        status: "ready".into(),
        progress: 100,
        error: None,
        documents: (CHUNKS / CHUNKS_PER_DOCUMENT) as i64,
        chunks: CHUNKS as i64,
        bytes: 0,
        created_at: 0,
        last_synced_at: None,
        sync_every_hours: None,
        body: None,
    };
    records.put_source(workspace, &source).await.expect("the source is stored");
    let words = ["tent", "boot", "jacket", "stove", "lamp", "rope", "pack", "map", "fleece", "glove", "sock", "tarp"];
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for d in 0..CHUNKS / CHUNKS_PER_DOCUMENT {
        let document_id = format!("bench-doc-{d}");
        let document = DocumentRecord {
            key: document_id.clone(),
            source_id: source.key.clone(),
            title: format!("Catalogue page {d}"),
            url: None,
            pages: None,
            content_hash: format!("bench-{d}"),
            chunks: CHUNKS_PER_DOCUMENT as i64,
            updated_at: 0,
        };
        records.put_document(workspace, &document).await.expect("the document is stored");
        let chunks: Vec<ChunkRecord> = (0..CHUNKS_PER_DOCUMENT)
            .map(|ordinal| {
                let text: Vec<&str> =
                    (0..60).map(|_| words[(next(&mut seed) * words.len() as f32) as usize % words.len()]).collect();
                let mut vector: Vec<f32> = (0..dimension).map(|_| next(&mut seed) * 2.0 - 1.0).collect();
                let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
                vector.iter_mut().for_each(|x| *x /= norm);
                ChunkRecord {
                    key: ChunkRecord::key_for(&document_id, ordinal as u32),
                    source_id: source.key.clone(),
                    document_id: document_id.clone(),
                    ordinal: ordinal as i64,
                    title: document.title.clone(),
                    heading_path: Vec::new(),
                    page: None,
                    url: None,
                    text: text.join(" "),
                    embedding: ChunkRecord::encode(&vector),
                }
            })
            .collect();
        records.put_chunks(workspace, &chunks).await.expect("the chunks are stored");
    }
    state.knowledge.forget_index(workspace);
}
