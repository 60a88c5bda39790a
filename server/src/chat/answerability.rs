//! Whether the knowledge holds the answer to a question, and which passage
//! holds it: a small logistic model over the evidence of each of the top
//! passages, instead of absolute thresholds on one cosine.
//!
//! Why: on a help centre of 15 articles, right answers scored a cosine of
//! 0.17–0.43 with the question and unanswerable questions 0.20–0.32, so no
//! threshold on similarity separates them; "Do you support YubiKey?" was
//! refused beside an article naming YubiKey. The model adds what a cosine
//! misses: how much of the question's rare vocabulary a passage holds
//! (IDF-weighted, so a word the help centre never uses, "Linux", weighs
//! most), whether its headings name the question's subject, and how it
//! stands against the other candidates.
//!
//! Two small models: one chooses which of the top passages holds the answer,
//! the other says whether that passage answers at all. Both are plain
//! logistic regressions fitted on the labelled calibration set
//! `server/tests/data/helpcentre/answers.json` by the test
//! `answerability_is_calibrated_and_meets_its_floor`, which fails with the
//! freshly fitted weights to paste here when these drift from them. It is
//! measured on a second help centre that played no part in fitting
//! (`server/tests/data/answerability/`: 24 articles, 111 answerable and 27
//! unanswerable questions). There, on 2026-12-05: answered from the right
//! section with the right citation 69.4 % (the old thresholds: 72.1 %),
//! unanswerable questions declined 85.2 % (the old thresholds: 40.7 %).
//! The right section is among the four candidates for 95.5 % of questions
//! and first for 73 %: choosing among them is what is left to win. Measured
//! offline on the same sets, the best cosine between the question and single
//! sentences of each candidate would lift both figures by about eight
//! points, but embedding those sentences per question costs tens of
//! milliseconds (precomputing them multiplies the vectors stored).
//!
//! The ceiling of these features, measured offline on 2026-12-05 from the
//! candidates this engine retrieves (MiniLM vectors of each candidate's
//! sentences and heading, as ingest could make them): held out, 78 %
//! answered right and 89 % declined, because a linear ranker over cosine,
//! coverage, sentence, heading and title similarity still picks the right
//! candidate for only 85 % of questions. A heading vector alone adds
//! nothing (71 % / 85 %). Nor does late interaction (the best match of
//! each question token among a passage's MiniLM token vectors, plain and
//! IDF-weighted, as ColBERT scores): 79 % / 78 %, and 82 % / 85 % even when
//! fitted on four fifths of the held-out set itself. Reaching 95 % takes a
//! better judge of which passage answers (a cross-encoder reading question
//! and passage together; we found none whose weights PyPI or npm carry),
//! not another similarity.

use app::knowledge::Passage;

/// Passages the decision weighs: the answer is in one of them or nowhere.
pub const CONSIDERED: usize = 4;
/// The evidence of one passage, as [`evidence`] lists it.
pub const FEATURES: usize = 6;
/// What the answer model reads of the chosen passage: its cosine, its IDF
/// coverage of the question and of its headings (the first three features).
pub const ANSWER_FEATURES: usize = 3;
/// At this probability the chosen passage answers. Chosen on the
/// calibration set, where it maximises the lesser of the share answered
/// right and the share of unanswerable questions declined.
pub const ANSWERS_AT: f32 = 0.4;

/// Which candidate holds the answer: weights of a logistic model fitted on
/// the answerable calibration questions (one per feature, then the bias).
pub const RANK_WEIGHTS: [f32; FEATURES + 1] = [1.07, 1.97, -0.56, 8.38, 2.68, 1.61, -2.4];
/// Whether the chosen passage answers at all: fitted on every calibration
/// question, the unanswerable ones included.
pub const ANSWER_WEIGHTS: [f32; ANSWER_FEATURES + 1] = [4.64, 2.07, 0.31, -3.6];

/// What the model sees of each of the first [`CONSIDERED`] passages, in
/// rank order: the passage's own cosine, IDF coverage of the question and of
/// its headings, how far it falls behind the best candidate on each of the
/// first two, and its rank.
pub fn evidence(passages: &[Passage]) -> Vec<[f32; FEATURES]> {
    let considered = &passages[..passages.len().min(CONSIDERED)];
    let best_similarity = considered.iter().map(|p| p.similarity).fold(f32::MIN, f32::max);
    let best_coverage = considered.iter().map(|p| p.coverage).fold(f32::MIN, f32::max);
    considered
        .iter()
        .enumerate()
        .map(|(rank, p)| {
            [
                p.similarity,
                p.coverage,
                p.heading_coverage,
                p.similarity - best_similarity,
                p.coverage - best_coverage,
                1.0 / (1.0 + rank as f32),
            ]
        })
        .collect()
}

/// A logistic model's probability for `x` under `weights` (bias last).
pub fn probability(weights: &[f32], x: &[f32]) -> f32 {
    let (bias, weights) = weights.split_last().expect("a bias");
    let z = bias + weights.iter().zip(x).map(|(w, x)| w * x).sum::<f32>();
    1.0 / (1.0 + (-z).exp())
}

/// The passage that holds the answer if any does, and how sure the model is
/// that it does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judgement {
    /// Index into the passages.
    pub best: usize,
    pub probability: f32,
}

impl Judgement {
    pub fn answers(&self) -> bool {
        self.probability >= ANSWERS_AT
    }
}

/// The candidate [`RANK_WEIGHTS`] rank first, from `evidence`.
pub fn choose(evidence: &[[f32; FEATURES]]) -> Option<usize> {
    evidence
        .iter()
        .map(|x| probability(&RANK_WEIGHTS, x))
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(best, _)| best)
}

/// Judges `passages` (ranked by retrieval); `None` without any.
pub fn judge(passages: &[Passage]) -> Option<Judgement> {
    let evidence = evidence(passages);
    let best = choose(&evidence)?;
    let probability = probability(&ANSWER_WEIGHTS, &evidence[best][..ANSWER_FEATURES]);
    Some(Judgement { best, probability })
}
