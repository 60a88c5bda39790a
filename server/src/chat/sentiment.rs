//! Sentiment of visitor messages, offline: a softmax regression over the
//! message's sentence embedding (the same vector retrieval uses, so it
//! costs nothing extra) plus support-specific cues that a general lexicon
//! misses ("still waiting", "how hard can it be", "you people never …").
//! It is trained when first needed from `sentiment_training.tsv`, which
//! ships in the repository; the held-out test set lives with the tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use app::chat::{Priority, Sentiment, SentimentLabel};
use tokio::sync::OnceCell;

use crate::knowledge::embed::{EmbedError, Embedder};

const TRAINING: &str = include_str!("sentiment_training.tsv");
const CLASSES: [SentimentLabel; 3] = [SentimentLabel::Negative, SentimentLabel::Neutral, SentimentLabel::Positive];
/// Cues are counts up to 3; this scale puts them on a par with the
/// embedding's components.
const CUE_SCALE: f32 = 0.5;
/// How many cues [`cues`] reads.
const CUES: usize = 11;
const EPOCHS: usize = 4000;
const LEARNING_RATE: f32 = 1.0;
/// Triage would rather look at a calm message twice than miss an angry
/// one: a message is negative once that class reaches 30 % probability.
const NEGATIVE_AT: f32 = 0.3;
/// At this probability a negative message is urgent.
const URGENT_AT: f32 = 0.8;

pub struct Classifier {
    /// One row of weights per class: embedding, cues, then the bias.
    weights: [Vec<f32>; 3],
}

impl Classifier {
    /// The classifier for `embedder`, trained once per process. Callers
    /// that arrive while it trains wait for that training, not their own.
    pub async fn for_embedder(embedder: &dyn Embedder) -> Result<Arc<Classifier>, EmbedError> {
        type Cells = HashMap<String, Arc<OnceCell<Arc<Classifier>>>>;
        static TRAINED: Mutex<Option<Cells>> = Mutex::new(None);
        let cell = TRAINED
            .lock()
            .expect("classifier cache")
            .get_or_insert_default()
            .entry(embedder.id().to_owned())
            .or_default()
            .clone();
        cell.get_or_try_init(|| Self::train_for(embedder)).await.cloned()
    }

    async fn train_for(embedder: &dyn Embedder) -> Result<Arc<Classifier>, EmbedError> {
        let examples = training_examples();
        let texts = examples.iter().map(|(_, text)| text.to_string()).collect();
        let vectors = embedder.embed(texts).await?;
        let features: Vec<Vec<f32>> =
            vectors.into_iter().zip(&examples).map(|(vector, (_, text))| features(vector, text)).collect();
        let labels: Vec<usize> = examples.iter().map(|(label, _)| *label).collect();
        let classifier = tokio::task::spawn_blocking(move || train(&features, &labels))
            .await
            .map_err(|e| EmbedError::Failed(e.to_string()))?;
        Ok(Arc::new(classifier))
    }

    /// Classifies `text`, whose embedding is `vector`.
    pub fn classify(&self, vector: Vec<f32>, text: &str) -> Sentiment {
        let x = features(vector, text);
        let probabilities = softmax(self.weights.each_ref().map(|w| crate::knowledge::embed::dot(w, &x)));
        let [negative, _, positive] = probabilities;
        let label = if negative >= NEGATIVE_AT {
            SentimentLabel::Negative
        } else if probabilities[2] > probabilities[1] {
            SentimentLabel::Positive
        } else {
            SentimentLabel::Neutral
        };
        let priority = match label {
            SentimentLabel::Negative if negative >= URGENT_AT => Priority::Urgent,
            SentimentLabel::Negative => Priority::High,
            SentimentLabel::Neutral => Priority::Normal,
            SentimentLabel::Positive => Priority::Low,
        };
        Sentiment { score: positive - negative, label, priority }
    }
}

fn training_examples() -> Vec<(usize, &'static str)> {
    TRAINING
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| {
            let (label, text) = line.split_once('\t')?;
            let class = CLASSES.iter().position(|c| c.as_str() == label)?;
            Some((class, text))
        })
        .collect()
}

fn features(mut vector: Vec<f32>, text: &str) -> Vec<f32> {
    vector.extend(cues(text).into_iter().map(|c| c * CUE_SCALE));
    vector.push(1.0);
    vector
}

/// Full-batch gradient descent on the cross-entropy: deterministic, and
/// a few hundred examples train in well under a second.
fn train(features: &[Vec<f32>], labels: &[usize]) -> Classifier {
    let width = features[0].len();
    let mut weights = [vec![0f32; width], vec![0f32; width], vec![0f32; width]];
    let scale = LEARNING_RATE / features.len() as f32;
    for _ in 0..EPOCHS {
        let mut gradient = [vec![0f32; width], vec![0f32; width], vec![0f32; width]];
        for (x, &label) in features.iter().zip(labels) {
            let p = softmax(weights.each_ref().map(|w| crate::knowledge::embed::dot(w, x)));
            for class in 0..3 {
                let error = p[class] - f32::from(class == label);
                for (g, v) in gradient[class].iter_mut().zip(x) {
                    *g += error * v;
                }
            }
        }
        for (w, g) in weights.iter_mut().zip(&gradient) {
            for (w, g) in w.iter_mut().zip(g) {
                *w -= scale * g;
            }
        }
    }
    Classifier { weights }
}

fn softmax(z: [f32; 3]) -> [f32; 3] {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e = z.map(|v| (v - max).exp());
    let sum: f32 = e.iter().sum();
    e.map(|v| v / sum)
}

const NEGATIVE_WORDS: &[&str] = &[
    "terrible",
    "awful",
    "horrible",
    "worst",
    "useless",
    "ridiculous",
    "unacceptable",
    "frustrat*",
    "disappoint*",
    "annoy*",
    "angry",
    "furious",
    "hate",
    "scam",
    "joke",
    "pathetic",
    "garbage",
    "trash",
    "rubbish",
    "incompetent",
    "sucks",
    "crap",
    "broken",
    "fed",
    "sick",
    "tired",
    "waste",
    "nightmare",
    "disgrac*",
    "shameful",
    "lousy",
    "rude",
    "lied",
    "lie",
    "lies",
    "fraud",
    "stupid",
    "absurd",
    "horrendous",
    "mad",
    "upset",
    "unhappy",
    "worse",
    "fail*",
    "nonsense",
    "outrageous",
    "unbelievable",
    "seriously",
    "wtf",
    "ugh",
    "smh",
    "never",
    "nobody",
    "noone",
    "ignored",
    "ignoring",
    "ghosted",
    "lost",
    "ate",
    "stuck",
    "slow",
    "laggy",
    "crash*",
    "buggy",
    "mierda",
    "nul",
    "nulle",
    "schlecht",
    "furchtbar",
    "ärgerlich",
    "enttäuscht",
    "inaceptable",
    "decepcionado",
    "déçu",
    "déçue",
    "inadmissible",
    "unverschämt",
    "harto",
    "harta",
    "vergüenza",
    "vergonzoso",
    "pésimo",
    "lamentable",
    "inacceptable",
    "catastrophique",
    "scandaleux",
    "honte",
    "marre",
    "frechheit",
    "katastrophe",
    "katastrophal",
    "lächerlich",
    "sauer",
    "wütend",
    "enfadado",
    "enfadada",
    "furieux",
    "furieuse",
    "énervé",
    "agacé",
    "inutile",
    "inútil",
    "nutzlos",
];
const POSITIVE_WORDS: &[&str] = &[
    "thanks",
    "thank",
    "thx",
    "ty",
    "great",
    "awesome",
    "love",
    "loved",
    "perfect",
    "helpful",
    "excellent",
    "amazing",
    "brilliant",
    "fantastic",
    "wonderful",
    "appreciate*",
    "worked",
    "works",
    "solved",
    "fixed",
    "nice",
    "cool",
    "glad",
    "happy",
    "best",
    "quick",
    "fast",
    "easy",
    "smooth",
    "lifesaver",
    "legend",
    "gracias",
    "merci",
    "danke",
    "genial",
    "super",
    "parfait",
    "perfecto",
    "toll",
    "wunderbar",
    "génial",
    "excelente",
    "pleased",
    "satisfied",
    "zufrieden",
    "hilfreich",
    "dank",
    "contento",
    "contenta",
    "encantado",
    "encantada",
    "útil",
    "content",
    "contente",
    "ravi",
    "ravie",
    "efficace",
    "geholfen",
    "resuelto",
    "réglé",
];
/// Signs that this is not the first time: repetition makes people angry.
const REPEAT_WORDS: &[&str] = &[
    "again",
    "still",
    "already",
    "yet",
    "third",
    "second",
    "another",
    "repeatedly",
    "keeps",
    "keep",
    "every",
    "always",
    "months",
    "weeks",
    "days",
    "hours",
];
/// Money, leaving and deadlines.
const DEMAND_WORDS: &[&str] = &[
    "now",
    "immediately",
    "asap",
    "today",
    "refund",
    "cancel",
    "cancelling",
    "canceling",
    "unsubscribe",
    "chargeback",
    "lawyer",
    "report",
    "review",
    "competitor",
    "leave",
    "leaving",
    "switching",
    "money",
    "charged",
    "charge",
    "overcharged",
    "promised",
    "waiting",
    "wait",
    "waited",
];
const NEGATIVE_PHRASES: &[&str] = &[
    "not working",
    "doesn't work",
    "doesnt work",
    "does not work",
    "isn't working",
    "not happy",
    "not ok",
    "no one",
    "not helpful",
    "not acceptable",
    "how hard",
    "how many times",
    "is anyone",
    "anyone there",
    "come on",
    "you people",
    "you guys never",
    "what a joke",
    "so slow",
    "too slow",
    "why can't",
    "why cant",
    "why isn't",
    "why won't",
    "why would",
    "thanks a lot",
    "thanks for nothing",
    "great, another",
    "oh great",
    "just great",
    "yeah right",
    "sure,",
    "of course it",
    "no response",
    "no reply",
    "didn't get",
    "did not get",
    "haven't received",
    "havent received",
    "never received",
    "never got",
    "still no",
    "still not",
    "still waiting",
    "give me my",
    "want my money",
    "charged twice",
    "double charged",
    "twice",
    "fix this",
    "fix it",
    "sort it out",
    "do something",
    "get your act",
    "en ai marre",
    "estoy harto",
    "estoy harta",
    "es una vergüenza",
    "eine frechheit",
    "c'est inadmissible",
    "ça suffit",
    "reicht mir",
    "zum dritten mal",
    "por tercera vez",
    "pour la troisième fois",
];
const POSITIVE_PHRASES: &[&str] = &[
    "that worked",
    "it worked",
    "works now",
    "thank you",
    "thanks so much",
    "much appreciated",
    "you rock",
    "well done",
    "good job",
    "great job",
    "nice work",
    "love it",
    "love the",
    "big help",
    "very helpful",
    "so helpful",
    "all good",
    "all set",
    "sorted",
    "problem solved",
    "vielen dank",
    "muchas gracias",
    "merci beaucoup",
    "hat geholfen",
    "ha funcionado",
    "ça marche",
    "ça a marché",
    "funktioniert jetzt",
    "c'est réglé",
    "problema resuelto",
    "no complaints",
    "couldn't be happier",
    "could not be happier",
];

/// Words that turn the next few words around: "no complaints", "not happy".
const NEGATORS: &[&str] = &[
    "no",
    "not",
    "dont",
    "doesnt",
    "didnt",
    "isnt",
    "wasnt",
    "arent",
    "werent",
    "cant",
    "cannot",
    "couldnt",
    "wont",
    "wouldnt",
    "without",
    "nothing",
    "never",
    "zero",
    "hardly",
    "nie",
    "nunca",
    "jamás",
    "kein",
    "keine",
    "keinen",
    "keinerlei",
    "nicht",
    "nichts",
    "ohne",
    "sin",
    "ni",
    "nada",
    "ningún",
    "ninguna",
    "ninguno",
    "pas",
    "jamais",
    "aucun",
    "aucune",
    "sans",
    "rien",
];
/// Trouble named calmly: a problem is not anger, but "no problems" is praise.
const TROUBLE_WORDS: &[&str] = &[
    "problem*",
    "complain*",
    "issue*",
    "trouble",
    "wrong",
    "fault*",
    "bad",
    "worry",
    "worries",
    "regret*",
    "probleme*",
    "beschwerde*",
    "fehler",
    "schlecht",
    "problema*",
    "queja*",
    "quejas",
    "fallo*",
    "problème*",
    "souci*",
    "plainte*",
    "mal",
];
/// Comparatives that a negator makes into praise: "couldn't be happier".
const BETTER_WORDS: &[&str] =
    &["happier", "better", "easier", "smoother", "faster", "pleased", "mejor", "besser", "mieux"];
/// Where a message turns: what follows carries its weight.
const CONTRAST_WORDS: &[&str] =
    &["but", "however", "though", "although", "aber", "jedoch", "doch", "pero", "mais", "cependant", "pourtant"];
/// Openers that praise only to mock what follows: "lovely, it crashed again".
const SARCASTIC_OPENERS: &[&str] = &[
    "great",
    "lovely",
    "wonderful",
    "fantastic",
    "perfect",
    "brilliant",
    "awesome",
    "wow",
    "oh",
    "nice",
    "super",
    "sure",
    "amazing",
    "excellent",
    "genial",
    "perfecto",
    "estupendo",
    "fantástico",
    "génial",
    "parfait",
    "bravo",
    "formidable",
    "toll",
    "klasse",
    "prima",
    "wunderbar",
    "herrlich",
    "na",
];

/// Support-specific cues, each a small count.
fn cues(text: &str) -> [f32; CUES] {
    let lower = text.to_lowercase();
    let words: Vec<String> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(|w| w.replace('\'', ""))
        .collect();
    let is = |list: &[&str], word: &str| {
        list.iter().any(|entry| match entry.strip_suffix('*') {
            Some(stem) => word.starts_with(stem),
            None => word == *entry,
        })
    };
    let count_words = |list: &[&str]| words.iter().filter(|w| is(list, w)).count() as f32;
    let count_phrases = |list: &[&str]| list.iter().filter(|p| lower.contains(*p)).count() as f32;
    let negated = |i: usize| words[i.saturating_sub(3)..i].iter().any(|w| NEGATORS.contains(&w.as_str()));
    // Each word's polarity, turned around by a negator just before it.
    let polarity: Vec<f32> = words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let turned = negated(i);
            if is(BETTER_WORDS, w) && turned {
                1.0
            } else if is(POSITIVE_WORDS, w) {
                if turned {
                    -1.0
                } else {
                    1.0
                }
            } else if is(NEGATIVE_WORDS, w) {
                if turned {
                    1.0
                } else {
                    -1.0
                }
            } else if is(TROUBLE_WORDS, w) && turned {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    let count = |sign: f32| polarity.iter().filter(|&&p| p == sign).count() as f32;
    // What follows the last "but" carries the message.
    let turn = words.iter().rposition(|w| CONTRAST_WORDS.contains(&w.as_str())).map_or(words.len(), |i| i + 1);
    let tail: f32 = polarity[turn..].iter().sum();
    let negative_phrases = count_phrases(NEGATIVE_PHRASES);
    let troubled = count(-1.0) + negative_phrases + count_words(REPEAT_WORDS) > 0.0;
    // Praise that opens a message about trouble is mockery.
    let sarcastic = words.first().is_some_and(|w| SARCASTIC_OPENERS.contains(&w.as_str()))
        && lower
            .trim_start()
            .chars()
            .find(|c| !c.is_alphabetic())
            .is_some_and(|c| matches!(c, ',' | '!' | '.' | '…' | ' '))
        && troubled
        && words.len() > 2;
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let shouting = if letters.len() >= 8 {
        letters.iter().filter(|c| c.is_uppercase()).count() as f32 / letters.len() as f32
    } else {
        0.0
    };
    [
        count(-1.0).min(3.0),
        count(1.0).min(3.0),
        count_words(REPEAT_WORDS).min(3.0),
        count_words(DEMAND_WORDS).min(3.0),
        negative_phrases.min(3.0),
        count_phrases(POSITIVE_PHRASES).min(3.0),
        (text.matches('!').count() as f32).min(3.0) / 3.0,
        f32::from(text.matches('?').count() >= 2),
        shouting,
        if turn < words.len() { tail.clamp(-3.0, 3.0) } else { 0.0 },
        f32::from(u8::from(sarcastic)) * 2.0,
    ]
}
