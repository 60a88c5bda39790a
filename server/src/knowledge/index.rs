//! The in-process search index of one workspace: exact vector search over
//! unit vectors plus a BM25 inverted index over the same chunks, fused by
//! reciprocal rank. SurrealDB is the store of record; this index is rebuilt
//! from it at start and updated on every write (see ARCHITECTURE.md for why
//! queries are not served by SurrealDB's own HNSW and full-text indexes).

use std::collections::{HashMap, HashSet};

use rust_stemmers::{Algorithm, Stemmer};

use super::embed::dot;

/// What a search hit needs to be shown and cited.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedChunk {
    pub id: String,
    pub source_id: String,
    pub document_id: String,
    pub title: String,
    pub heading_path: Vec<String>,
    pub page: Option<u32>,
    pub url: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Hybrid,
    VectorOnly,
    TextOnly,
}

#[derive(Debug, Clone)]
pub struct Hit<'a> {
    pub chunk: &'a IndexedChunk,
    /// The fused score (or the single ranker's score in a one-sided mode).
    pub score: f32,
    pub similarity: f32,
    pub text_score: f32,
    /// Share of the question's words the chunk holds (with its title and
    /// headings), each weighted by its IDF: rare words weigh most, and a word
    /// no chunk of the workspace holds ("Linux" in a help centre that never
    /// names it) weighs most of all.
    pub coverage: f32,
    /// The same, over the title and headings alone.
    pub heading_coverage: f32,
}

/// Candidates each ranker hands to the fusion.
const CANDIDATES: usize = 50;
/// The usual reciprocal-rank-fusion constant.
const RRF_K: f32 = 60.0;
const BM25_K1: f32 = 1.2;
const BM25_B: f32 = 0.75;
/// The smallest corpus IDF weights for coverage are computed as.
const MIN_CORPUS: usize = 100;

pub struct WorkspaceIndex {
    dimension: usize,
    slots: Vec<Option<IndexedChunk>>,
    vectors: Vec<f32>,
    lengths: Vec<u32>,
    by_document: HashMap<String, Vec<u32>>,
    postings: HashMap<String, Vec<(u32, u16)>>,
    document_frequency: HashMap<String, u32>,
    live: usize,
    total_length: u64,
    stemmer: Stemmer,
}

impl WorkspaceIndex {
    pub fn new(dimension: usize) -> Self {
        WorkspaceIndex {
            dimension,
            slots: Vec::new(),
            vectors: Vec::new(),
            lengths: Vec::new(),
            by_document: HashMap::new(),
            postings: HashMap::new(),
            document_frequency: HashMap::new(),
            live: 0,
            total_length: 0,
            stemmer: Stemmer::create(Algorithm::English),
        }
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Bytes held, roughly: vectors, texts and postings.
    pub fn memory_bytes(&self) -> usize {
        let texts: usize = self.slots.iter().flatten().map(|c| c.text.len() + c.title.len() + 160).sum();
        let postings: usize = self.postings.iter().map(|(t, p)| t.len() + 48 + p.len() * 8).sum();
        self.vectors.len() * 4 + texts + postings + self.lengths.len() * 4
    }

    /// Replaces every chunk of `document_id` with `chunks`.
    pub fn put_document(&mut self, document_id: &str, chunks: Vec<(IndexedChunk, Vec<f32>)>) {
        self.remove_document(document_id);
        let mut slots = Vec::with_capacity(chunks.len());
        for (chunk, vector) in chunks {
            assert_eq!(vector.len(), self.dimension, "vector of the wrong dimension");
            let slot = self.slots.len() as u32;
            let terms = self.terms(&searchable_text(&chunk));
            let mut counts: HashMap<String, u16> = HashMap::new();
            for term in &terms {
                *counts.entry(term.clone()).or_default() += 1;
            }
            for (term, count) in counts {
                *self.document_frequency.entry(term.clone()).or_default() += 1;
                self.postings.entry(term).or_default().push((slot, count));
            }
            self.lengths.push(terms.len() as u32);
            self.total_length += terms.len() as u64;
            self.vectors.extend_from_slice(&vector);
            self.slots.push(Some(chunk));
            self.live += 1;
            slots.push(slot);
        }
        if !slots.is_empty() {
            self.by_document.insert(document_id.to_owned(), slots);
        }
    }

    pub fn remove_document(&mut self, document_id: &str) {
        let Some(slots) = self.by_document.remove(document_id) else { return };
        for slot in slots {
            if let Some(chunk) = self.slots[slot as usize].take() {
                let terms: HashSet<String> = self.terms(&searchable_text(&chunk)).into_iter().collect();
                for term in terms {
                    if let Some(df) = self.document_frequency.get_mut(&term) {
                        *df -= 1;
                        if *df == 0 {
                            self.document_frequency.remove(&term);
                        }
                    }
                }
                self.total_length -= u64::from(self.lengths[slot as usize]);
                self.live -= 1;
            }
        }
        // Dead slots cost memory and scan time; compact once they dominate.
        if self.slots.len() > 64 && self.live < self.slots.len() / 2 {
            self.compact();
        }
    }

    pub fn remove_source(&mut self, source_id: &str) {
        let documents: HashSet<String> =
            self.slots.iter().flatten().filter(|c| c.source_id == source_id).map(|c| c.document_id.clone()).collect();
        for document in documents {
            self.remove_document(&document);
        }
    }

    fn compact(&mut self) {
        let mut fresh = WorkspaceIndex::new(self.dimension);
        let mut documents: HashMap<String, Vec<(IndexedChunk, Vec<f32>)>> = HashMap::new();
        for (slot, chunk) in self.slots.drain(..).enumerate() {
            if let Some(chunk) = chunk {
                let vector = self.vectors[slot * self.dimension..(slot + 1) * self.dimension].to_vec();
                documents.entry(chunk.document_id.clone()).or_default().push((chunk, vector));
            }
        }
        for (document, chunks) in documents {
            fresh.put_document(&document, chunks);
        }
        *self = fresh;
    }

    fn terms(&self, text: &str) -> Vec<String> {
        terms(&self.stemmer, text)
    }

    /// The best `limit` chunks for a question, optionally only from `sources`.
    pub fn search(
        &self,
        query_vector: &[f32],
        query_text: &str,
        limit: usize,
        sources: Option<&HashSet<String>>,
        mode: Mode,
    ) -> Vec<Hit<'_>> {
        let allowed =
            |slot: usize| self.slots[slot].as_ref().is_some_and(|c| sources.is_none_or(|s| s.contains(&c.source_id)));
        let by_vector = if mode == Mode::TextOnly { Vec::new() } else { self.vector_ranking(query_vector, &allowed) };
        let by_text = if mode == Mode::VectorOnly { Vec::new() } else { self.text_ranking(query_text, &allowed) };
        let similarity_of: HashMap<usize, f32> = by_vector.iter().copied().collect();
        let text_of: HashMap<usize, f32> = by_text.iter().copied().collect();
        let mut fused: HashMap<usize, f32> = HashMap::new();
        match mode {
            Mode::VectorOnly => fused.extend(by_vector.iter().copied()),
            Mode::TextOnly => fused.extend(by_text.iter().copied()),
            Mode::Hybrid => {
                for ranking in [&by_vector, &by_text] {
                    for (rank, (slot, _)) in ranking.iter().enumerate() {
                        *fused.entry(*slot).or_default() += 1.0 / (RRF_K + rank as f32 + 1.0);
                    }
                }
            }
        }
        let mut hits: Vec<(usize, f32)> = fused.into_iter().collect();
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        hits.truncate(limit);
        let weighted = self.weighted_terms(query_text);
        hits.into_iter()
            .map(|(slot, score)| {
                let chunk = self.slots[slot].as_ref().expect("ranked slots are live");
                let headings = format!("{} {}", chunk.title, chunk.heading_path.join(" "));
                Hit {
                    chunk,
                    score,
                    similarity: similarity_of
                        .get(&slot)
                        .copied()
                        .unwrap_or_else(|| dot(query_vector, self.vector(slot))),
                    text_score: text_of.get(&slot).copied().unwrap_or(0.0),
                    coverage: coverage(&weighted, &self.terms(&searchable_text(chunk))),
                    heading_coverage: coverage(&weighted, &self.terms(&headings)),
                }
            })
            .collect()
    }

    /// The question's distinct words, each with its IDF here. A workspace of
    /// a few documents says little about which words are rare: it is weighed
    /// as if it held [`MIN_CORPUS`] chunks, so a word it lacks weighs about
    /// as much as one it holds, rather than four times as much.
    fn weighted_terms(&self, query: &str) -> Vec<(String, f32)> {
        let n = self.live.max(MIN_CORPUS) as f32;
        let mut unique = self.terms(query);
        unique.sort();
        unique.dedup();
        unique
            .into_iter()
            .map(|term| {
                let df = self.document_frequency.get(&term).copied().unwrap_or(0) as f32;
                let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                (term, idf)
            })
            .collect()
    }

    fn vector(&self, slot: usize) -> &[f32] {
        &self.vectors[slot * self.dimension..(slot + 1) * self.dimension]
    }

    /// Exact search: every live vector is scored.
    fn vector_ranking(&self, query: &[f32], allowed: &dyn Fn(usize) -> bool) -> Vec<(usize, f32)> {
        if query.len() != self.dimension {
            return Vec::new();
        }
        let scored: Vec<(usize, f32)> = self
            .vectors
            .chunks_exact(self.dimension)
            .enumerate()
            .filter(|(slot, _)| allowed(*slot))
            .map(|(slot, v)| (slot, dot(query, v)))
            .collect();
        top(scored, CANDIDATES)
    }

    fn text_ranking(&self, query: &str, allowed: &dyn Fn(usize) -> bool) -> Vec<(usize, f32)> {
        if self.live == 0 {
            return Vec::new();
        }
        let n = self.live as f32;
        let average = self.total_length as f32 / n;
        // A dense accumulator: common terms touch most slots, and a hash
        // map per posting would cost more than the scoring itself.
        let mut scores = vec![0f32; self.slots.len()];
        let mut touched = Vec::new();
        let unique: HashSet<String> = self.terms(query).into_iter().collect();
        // Any term may match: questions are phrased, not keyword lists.
        for term in unique {
            let (Some(postings), Some(&df)) = (self.postings.get(&term), self.document_frequency.get(&term)) else {
                continue;
            };
            let idf = (1.0 + (n - df as f32 + 0.5) / (df as f32 + 0.5)).ln();
            for &(slot, tf) in postings {
                let slot = slot as usize;
                if !allowed(slot) {
                    continue;
                }
                let tf = f32::from(tf);
                let norm = BM25_K1 * (1.0 - BM25_B + BM25_B * self.lengths[slot] as f32 / average);
                if scores[slot] == 0.0 {
                    touched.push(slot);
                }
                scores[slot] += idf * tf * (BM25_K1 + 1.0) / (tf + norm);
            }
        }
        top(touched.into_iter().map(|slot| (slot, scores[slot])).collect(), CANDIDATES)
    }
}

/// Share of `weighted`'s weight whose words are among `held`.
fn coverage(weighted: &[(String, f32)], held: &[String]) -> f32 {
    let total: f32 = weighted.iter().map(|(_, w)| w).sum();
    if total <= 0.0 {
        return 0.0;
    }
    weighted.iter().filter(|(term, _)| held.contains(term)).map(|(_, w)| w).sum::<f32>() / total
}

fn top(mut scored: Vec<(usize, f32)>, n: usize) -> Vec<(usize, f32)> {
    if scored.len() > n {
        scored.select_nth_unstable_by(n, |a, b| b.1.total_cmp(&a.1));
        scored.truncate(n);
    }
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored
}

/// Titles and headings count as text too: "returns" should find the
/// Returns page even when its paragraphs say "send back".
fn searchable_text(chunk: &IndexedChunk) -> String {
    format!("{} {} {}", chunk.title, chunk.heading_path.join(" "), chunk.text)
}

/// Lowercased, stemmed words without stop words.
pub fn terms(stemmer: &Stemmer, text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .map(|w| stemmer.stem(&w).into_owned())
        .collect()
}

const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for", "from", "how", "i", "if", "in",
    "into", "is", "it", "its", "me", "my", "of", "on", "or", "our", "so", "that", "the", "their", "then", "there",
    "these", "this", "to", "was", "we", "what", "when", "where", "which", "who", "why", "will", "with", "you", "your",
    "s", "t", "am", "been", "did", "has", "have", "had", "should", "would", "could", "get", "us",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(id: &str, source: &str, text: &str) -> IndexedChunk {
        IndexedChunk {
            id: id.into(),
            source_id: source.into(),
            document_id: format!("doc-{id}"),
            title: String::new(),
            heading_path: vec![],
            page: None,
            url: None,
            text: text.into(),
        }
    }

    fn unit(values: &[f32]) -> Vec<f32> {
        let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
        values.iter().map(|v| v / norm).collect()
    }

    #[test]
    fn bm25_scores_are_positive_ordered_and_any_term_matches() {
        let mut index = WorkspaceIndex::new(2);
        index.put_document(
            "doc-a",
            vec![(chunk("a", "s", "Refunds are paid to the original card within five days."), unit(&[1.0, 0.0]))],
        );
        index.put_document(
            "doc-b",
            vec![(chunk("b", "s", "Print shipping labels from the orders page."), unit(&[0.0, 1.0]))],
        );
        index.put_document(
            "doc-c",
            vec![(chunk("c", "s", "Refunds refunds refunds for returned labels."), unit(&[0.7, 0.7]))],
        );
        let hits = index.search(&unit(&[0.0, 1.0]), "when will my refund arrive", 5, None, Mode::TextOnly);
        let ids: Vec<&str> = hits.iter().map(|h| h.chunk.id.as_str()).collect();
        assert_eq!(ids, ["c", "a"], "stemmed 'refund' matches both, the denser first");
        assert!(hits.iter().all(|h| h.text_score > 0.0));
        assert!(hits[0].text_score > hits[1].text_score);
    }

    #[test]
    fn removal_and_source_filters_hold() {
        let mut index = WorkspaceIndex::new(2);
        for i in 0..100 {
            let source = if i % 2 == 0 { "even" } else { "odd" };
            index.put_document(
                &format!("doc-{i}"),
                vec![(chunk(&i.to_string(), source, &format!("parcel number {i}")), unit(&[1.0, i as f32 / 100.0]))],
            );
        }
        let only_odd: HashSet<String> = ["odd".to_owned()].into();
        let hits = index.search(&unit(&[1.0, 0.0]), "parcel", 10, Some(&only_odd), Mode::Hybrid);
        assert_eq!(hits.len(), 10);
        assert!(hits.iter().all(|h| h.chunk.source_id == "odd"));
        index.remove_source("odd");
        assert_eq!(index.len(), 50);
        for i in 0..40 {
            index.remove_document(&format!("doc-{}", i * 2));
        }
        assert_eq!(index.len(), 10);
        let hits = index.search(&unit(&[1.0, 0.98]), "parcel 98", 100, None, Mode::Hybrid);
        assert_eq!(hits.len(), 10);
        assert_eq!(hits[0].chunk.id, "98", "exact term and nearest vector agree");
        assert!(hits.iter().all(|h| h.chunk.id.parse::<u32>().unwrap() >= 80), "removed chunks never come back");
    }
}
