//! How well the best single sentence of each candidate passage matches the
//! question: evidence for the answerability model (`answerability.rs`) that a
//! whole-passage cosine blurs. A section's one sentence that answers is
//! diluted by the sentences around it, and an unanswerable question that
//! shares a topic with a section matches the section as a whole about as
//! well as a right answer does; no single sentence of it matches well.
//!
//! Only the candidates the model weighs are split, at most
//! [`SENTENCES_PER_PASSAGE`] sentences each, in one call to the embedder, which
//! batches them into one pass with whatever else is queued.

use app::error::ServiceError;
use app::knowledge::Passage;

use super::answer::answer_sentences;
use super::answerability::CONSIDERED;
use crate::error::AppError;
use crate::knowledge::embed::Embedder;

/// The sentences of a passage weighed, from its start (where a section's
/// answer usually is).
pub const SENTENCES_PER_PASSAGE: usize = 8;

/// Sets `sentence_similarity` on the first [`CONSIDERED`] passages: the best
/// cosine between `question_vector` (a unit vector) and their heading or one
/// of their sentences.
pub async fn weigh(
    embedder: &dyn Embedder,
    question_vector: &[f32],
    passages: &mut [Passage],
) -> Result<(), ServiceError> {
    let considered = passages.len().min(CONSIDERED);
    let mut owners = Vec::new();
    let mut texts = Vec::new();
    for (i, passage) in passages[..considered].iter().enumerate() {
        // A FAQ's heading is often the question asked in other words.
        let heading = passage.heading_path.last().cloned();
        for sentence in heading.into_iter().chain(answer_sentences(passage).into_iter().take(SENTENCES_PER_PASSAGE)) {
            owners.push(i);
            texts.push(sentence);
        }
    }
    if texts.is_empty() {
        return Ok(());
    }
    let vectors = embedder.embed(texts).await.map_err(|e| ServiceError::from(AppError::Task(e.to_string())))?;
    for (owner, vector) in owners.into_iter().zip(vectors) {
        let cosine: f32 = vector.iter().zip(question_vector).map(|(a, b)| a * b).sum();
        let best = &mut passages[owner].sentence_similarity;
        *best = best.max(cosine);
    }
    Ok(())
}
