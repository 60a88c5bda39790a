//! The offline answer engine on labelled help centres, through the real
//! upload, worker, chunker, index and composer: it must answer from the
//! right section with the right citation, and decline what the help centre
//! does not hold. The answerability model is fitted on one help centre
//! (`helpcentre/answers.json`) and measured on another that played no part
//! in fitting (`answerability/`).

use std::collections::HashMap;

use lodestar_server::chat::answer::{self, Draft};
use lodestar_server::chat::answerability::{self, ANSWER_FEATURES, ANSWER_WEIGHTS, FEATURES, RANK_WEIGHTS};
use lodestar_server::knowledge::index::Mode;

use crate::knowledge::{data, owner, settled, upload};
use crate::support::{Db, TestApp};

/// Floors on the held-out help centre, a little under what it measures
/// (69.4 % and 85.2 %; see `chat/answerability.rs`). The target is
/// 95 % for both: these floors only keep what has been won.
const ANSWERED_RIGHT_FLOOR: f64 = 0.67;
const DECLINED_FLOOR: f64 = 0.80;
/// How far the fitted weights may drift from the shipped ones.
const WEIGHT_TOLERANCE: f32 = 0.05;

#[derive(serde::Deserialize)]
struct Labelled {
    question: String,
    document: Option<String>,
    sections: Vec<String>,
}

/// What one help centre made of its questions.
#[derive(Default)]
struct Report {
    answerable: usize,
    answered_right: usize,
    unanswerable: usize,
    declined: usize,
    misses: Vec<String>,
    questions: Vec<Evidence>,
}

/// What the models saw of one question.
struct Evidence {
    answerable: bool,
    /// Each considered passage's evidence, and whether it holds the answer.
    evidence: Vec<[f32; FEATURES]>,
    holds: Vec<bool>,
}

impl Report {
    fn answered_share(&self) -> f64 {
        self.answered_right as f64 / self.answerable as f64
    }

    fn declined_share(&self) -> f64 {
        self.declined as f64 / self.unanswerable as f64
    }

    fn summary(&self, name: &str) -> String {
        format!(
            "{name}: answered from the right section {}/{} ({:.1} %), declined {}/{} unanswerable ({:.1} %)",
            self.answered_right,
            self.answerable,
            100.0 * self.answered_share(),
            self.declined,
            self.unanswerable,
            100.0 * self.declined_share()
        )
    }
}

fn same_heading(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    norm(a) == norm(b)
}

/// Uploads every document of `dir` into a new workspace and asks each
/// labelled question as the widget's offline engine would.
async fn evaluate(app: &TestApp, owner_email: &str, dir: &str, labels: &str) -> Report {
    let (session, workspace) = owner(app, owner_email).await;
    let mut files = Vec::new();
    for entry in std::fs::read_dir(data(dir)).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let document = [".md", ".txt", ".html", ".csv", ".docx", ".pdf"].iter().any(|ext| name.ends_with(ext));
        if document && name != "README.md" {
            files.push((name, std::fs::read(entry.path()).unwrap()));
        }
    }
    for batch in files.chunks(10) {
        let batch: Vec<(&str, Vec<u8>)> = batch.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
        upload(app, &workspace, &session, &batch).await;
    }
    let sources = settled(app, &session, &workspace).await;
    assert!(sources.iter().all(|s| s["status"] == "ready"), "{sources:#?}");
    let file_of: HashMap<String, String> = sources
        .iter()
        .map(|s| (s["id"].as_str().unwrap().to_string(), s["title"].as_str().unwrap().to_string()))
        .collect();
    let labelled: Vec<Labelled> = serde_json::from_slice(&std::fs::read(data(labels)).unwrap()).unwrap();
    let mut report = Report::default();
    for q in &labelled {
        let passages = app.state.knowledge.search(&workspace, &q.question, 6, None, Mode::Hybrid).await.unwrap();
        let holds_answer = |p: &app::knowledge::Passage| {
            q.document.as_deref() == Some(file_of[&p.source_id].as_str())
                && p.heading_path.last().is_none_or(|h| q.sections.iter().any(|s| same_heading(s, h)))
        };
        let evidence = answerability::evidence(&passages);
        let holds: Vec<bool> = passages.iter().take(evidence.len()).map(holds_answer).collect();
        report.questions.push(Evidence { answerable: q.document.is_some(), evidence, holds });
        let draft = answer::compose(&q.question, &passages);
        let judged = answerability::judge(&passages).map(|j| &passages[j.best]);
        match &q.document {
            Some(_) => {
                report.answerable += 1;
                let cited_right = draft.answered && judged.is_some_and(|p| holds_answer(p) && cites_section(&draft, p));
                if cited_right {
                    report.answered_right += 1;
                } else {
                    report.misses.push(miss(q, &draft, judged.map(|p| (file_of[&p.source_id].as_str(), p))));
                }
            }
            None => {
                report.unanswerable += 1;
                if draft.answered {
                    report.misses.push(miss(q, &draft, judged.map(|p| (file_of[&p.source_id].as_str(), p))));
                } else {
                    assert_eq!(draft.body, answer::NOT_FOUND, "a decline offers a person");
                    report.declined += 1;
                }
            }
        }
    }
    report
}

/// Every citation of the answer names the section it came from.
fn cites_section(draft: &Draft, passage: &app::knowledge::Passage) -> bool {
    let section = passage.heading_path.last().unwrap_or(&passage.document_title);
    !draft.citations.is_empty()
        && draft.citations.iter().all(|c| c.source_id == passage.source_id && c.title.ends_with(section.as_str()))
}

fn miss(q: &Labelled, draft: &Draft, judged: Option<(&str, &app::knowledge::Passage)>) -> String {
    let got = judged.map(|(file, p)| format!("{file} › {}", p.heading_path.join(" › "))).unwrap_or_default();
    format!(
        "{:?} (want {:?} {:?}; {} {:.2} from {got})",
        q.question,
        q.document,
        q.sections,
        if draft.answered { "answered" } else { "declined" },
        draft.confidence
    )
}

/// Logistic regression by full-batch gradient descent from zero:
/// deterministic, and a few hundred samples fit in milliseconds. Weights are
/// rounded to two decimals, as shipped.
fn fit<const N: usize>(samples: &[([f32; N], bool)]) -> Vec<f32> {
    let mut w = vec![0f32; N + 1];
    for _ in 0..4_000 {
        let mut gradient = vec![0f32; N + 1];
        for (x, label) in samples {
            let error = answerability::probability(&w, x) - f32::from(u8::from(*label));
            for (g, v) in gradient.iter_mut().zip(x.iter().chain(std::iter::once(&1.0))) {
                *g += error * v;
            }
        }
        for (w, g) in w.iter_mut().zip(gradient) {
            *w -= g / samples.len() as f32;
        }
    }
    w.into_iter().map(|w| (w * 100.0).round() / 100.0).collect()
}

/// Fits both models the way the shipped weights were fitted: the ranker on
/// the answerable questions' candidates, then the answer model on the
/// candidate the fitted ranker chooses for every question.
fn fit_models(questions: &[Evidence]) -> (Vec<f32>, Vec<f32>) {
    let candidates: Vec<([f32; FEATURES], bool)> = questions
        .iter()
        .filter(|q| q.answerable)
        .flat_map(|q| q.evidence.iter().copied().zip(q.holds.iter().copied()))
        .collect();
    let rank = fit(&candidates);
    let chosen: Vec<([f32; ANSWER_FEATURES], bool)> = questions
        .iter()
        .filter(|q| !q.evidence.is_empty())
        .map(|q| {
            let scores = q.evidence.iter().map(|x| answerability::probability(&rank, x));
            let best = scores.enumerate().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap().0;
            let x: [f32; ANSWER_FEATURES] = q.evidence[best][..ANSWER_FEATURES].try_into().unwrap();
            (x, q.answerable && q.holds[best])
        })
        .collect();
    (rank, fit(&chosen))
}

fn drift(fitted: &[f32], shipped: &[f32]) -> f32 {
    fitted.iter().zip(shipped).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answerability_is_calibrated_and_meets_its_floor() {
    let app = TestApp::builder(Db::Sqlite).build().await;
    let calibration = evaluate(&app, "calibration@example.com", "helpcentre", "helpcentre/answers.json").await;
    let held_out =
        evaluate(&app, "held-out@example.com", "answerability/articles", "answerability/questions.json").await;
    println!("{}", calibration.summary("calibration (helpcentre/)"));
    println!("{}", held_out.summary("held out (answerability/)"));
    for miss in &held_out.misses {
        println!("  held-out miss: {miss}");
    }
    let (rank, answer) = fit_models(&calibration.questions);
    assert!(
        drift(&rank, &RANK_WEIGHTS) <= WEIGHT_TOLERANCE && drift(&answer, &ANSWER_WEIGHTS) <= WEIGHT_TOLERANCE,
        "the shipped weights are not the ones the calibration set fits: paste RANK_WEIGHTS {rank:?} and \
         ANSWER_WEIGHTS {answer:?} into chat/answerability.rs"
    );
    assert!(held_out.answerable >= 60 && held_out.unanswerable >= 15, "the held-out set is too small");
    assert!(held_out.answered_share() >= ANSWERED_RIGHT_FLOOR, "{}", held_out.summary("held out"));
    assert!(held_out.declined_share() >= DECLINED_FLOOR, "{}", held_out.summary("held out"));
}
