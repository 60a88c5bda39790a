//! How well a person's own words about what they want to do ("I'd like to
//! make websites for small businesses") match each occupation, from 0 to 1.
//!
//! Every word of the interest is looked up in each occupation's title (the
//! strongest evidence), its other titles, its description and its core
//! tasks, stemmed ("websites" finds "website"). A word counts by how rare
//! it is across occupations (IDF), so "website" outweighs "business". The
//! match is the IDF-weighted share of the interest's words an occupation
//! holds, each word saturating (a word in the title and every task is not
//! worth ten words), so two occupations compare on the same scale.

use std::borrow::Cow;
use std::collections::HashMap;

use rust_stemmers::{Algorithm, Stemmer};

use super::onet::{OccupationId, Onet};

/// Words that say someone wants something rather than what: "I'd like to
/// become…", "a career in…". Dropped before matching.
const INTENT_WORDS: &[&str] = &[
    "like", "love", "want", "wish", "hope", "enjoy", "becom", "job", "career", "role", "work", "interest", "someth",
    "thing", "realli", "dream", "day", "mayb", "start", "good", "d", "ll", "m", "im", "id", "make", "peopl", "kind",
    "new", "lot", "abl", "need", "help", "use",
];

/// A word's weight in one occupation: 3 in its title; in its other titles
/// 1⅓ to 2 (more with more of them using it); 1 in its description; up to
/// ½ from its tasks. Saturated by `w / (w + SATURATION)`.
const TITLE: f32 = 3.0;
const SATURATION: f32 = 1.5;
const MAX_WEIGHT: f32 = TITLE + 1.0 + 0.5;

pub struct InterestIndex {
    stemmer: Stemmer,
    /// Word → the occupations that hold it, with its weight there.
    postings: HashMap<String, Vec<(OccupationId, f32)>>,
    idf: HashMap<String, f32>,
}

/// One occupation's match: its share of the interest, and the words it
/// matched (stemmed), for the reasons shown.
#[derive(Debug, Clone)]
pub struct InterestMatch {
    pub occupation: OccupationId,
    pub score: f32,
    pub words: Vec<String>,
}

impl InterestIndex {
    pub fn new(onet: &Onet) -> Self {
        let stemmer = Stemmer::create(Algorithm::English);
        let mut postings: HashMap<String, Vec<(OccupationId, f32)>> = HashMap::new();
        for (i, occupation) in onet.occupations().iter().enumerate() {
            let id = OccupationId(i as u16);
            let mut weights: HashMap<String, f32> = HashMap::new();
            for word in words_in(&stemmer, &occupation.title) {
                weights.insert(word, TITLE);
            }
            for (word, count) in holders(&stemmer, &occupation.titles) {
                let weight = 1.0 + count.min(3) as f32 / 3.0;
                let slot = weights.entry(word).or_default();
                *slot = slot.max(weight);
            }
            for (word, _) in holders(&stemmer, std::slice::from_ref(&occupation.description)) {
                *weights.entry(word).or_default() += 1.0;
            }
            for (word, count) in holders(&stemmer, &occupation.core_tasks) {
                *weights.entry(word).or_default() += 0.5 * count.min(3) as f32 / 3.0;
            }
            for (word, weight) in weights {
                postings.entry(word).or_default().push((id, weight));
            }
        }
        let n = onet.occupations().len() as f32;
        let idf = postings.iter().map(|(word, list)| (word.clone(), (1.0 + n / list.len() as f32).ln())).collect();
        InterestIndex { stemmer, postings, idf }
    }

    /// The interest's words that can match anything, once each.
    fn words(&self, interest: &str) -> Vec<String> {
        let mut words: Vec<String> = words_in(&self.stemmer, interest)
            .into_iter()
            .filter(|w| !INTENT_WORDS.contains(&w.as_str()) && self.idf.contains_key(w))
            .collect();
        words.sort();
        words.dedup();
        words
    }

    /// Every occupation that shares a word with `interest`, best first.
    pub fn matches(&self, interest: &str) -> Vec<InterestMatch> {
        let words = self.words(interest);
        let total: f32 = words.iter().map(|w| self.idf[w]).sum::<f32>() * MAX_WEIGHT / (MAX_WEIGHT + SATURATION);
        if total <= 0.0 {
            return Vec::new();
        }
        let mut found: HashMap<OccupationId, InterestMatch> = HashMap::new();
        for word in &words {
            for &(occupation, weight) in &self.postings[word] {
                let entry = found.entry(occupation).or_insert_with(|| InterestMatch {
                    occupation,
                    score: 0.0,
                    words: Vec::new(),
                });
                entry.score += self.idf[word] * weight / (weight + SATURATION) / total;
                entry.words.push(word.clone());
            }
        }
        let mut found: Vec<InterestMatch> = found.into_values().collect();
        found.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.occupation.cmp(&b.occupation)));
        found
    }

    /// The occupation's titles (its own first) that hold any of `words`,
    /// most matched first: what the reasons quote.
    pub fn matched_titles<'a>(&self, onet: &'a Onet, occupation: OccupationId, words: &[String]) -> Vec<&'a str> {
        let occupation = onet.occupation(occupation);
        let mut titles: Vec<(usize, &str)> = std::iter::once(&occupation.title)
            .chain(&occupation.titles)
            .map(|title| {
                let held = words_in(&self.stemmer, title);
                (words.iter().filter(|w| held.contains(w)).count(), &**title)
            })
            .filter(|(n, _)| *n > 0)
            .collect();
        titles.sort_by_key(|t| std::cmp::Reverse(t.0));
        titles.into_iter().map(|(_, title)| title).take(3).collect()
    }
}

/// The stemmed words of `text`, British spellings read as O*NET's American
/// ones ("analyse" finds "analyze", "modelling" "modeling").
fn words_in(stemmer: &Stemmer, text: &str) -> Vec<String> {
    crate::knowledge::index::terms(stemmer, &american(text))
}

/// `text` lower-cased, each word in its American spelling. Applied to the
/// occupations and to what people type alike, so a rule that also catches
/// a word with no British form ("advise" → "advize") changes nothing.
fn american(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    for c in text.to_lowercase().chars().chain(std::iter::once(' ')) {
        if c.is_alphabetic() {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            out.push_str(&american_word(&word));
            word.clear();
        }
        out.push(c);
    }
    out.pop();
    out
}

fn american_word(word: &str) -> Cow<'_, str> {
    if let Some((_, us)) = BRITISH_WORDS.iter().find(|(uk, _)| *uk == word) {
        return Cow::Borrowed(us);
    }
    for (uk, us, shortest_stem) in BRITISH_ENDINGS {
        if let Some(stem) = word.strip_suffix(uk).filter(|stem| stem.chars().count() >= *shortest_stem) {
            return Cow::Owned(format!("{stem}{us}"));
        }
    }
    Cow::Borrowed(word)
}

/// Longest first, so "isations" is not read as "ise" + "ations".
const BRITISH_ENDINGS: &[(&str, &str, usize)] = &[
    ("isations", "izations", 2),
    ("isation", "ization", 2),
    ("ysing", "yzing", 2),
    ("ising", "izing", 2),
    ("ysed", "yzed", 2),
    ("yses", "yzes", 2),
    ("ised", "ized", 2),
    ("iser", "izer", 2),
    ("ises", "izes", 2),
    ("ours", "ors", 3),
    ("tres", "ters", 2),
    ("yse", "yze", 2),
    ("ise", "ize", 2),
    ("our", "or", 3),
    ("tre", "ter", 2),
    ("bre", "ber", 2),
];

const BRITISH_WORDS: &[(&str, &str)] = &[
    ("maths", "math"),
    ("programme", "program"),
    ("programmes", "programs"),
    ("licence", "license"),
    ("defence", "defense"),
    ("offence", "offense"),
    ("travelling", "traveling"),
    ("modelling", "modeling"),
    ("modelled", "modeled"),
    ("labelling", "labeling"),
    ("labelled", "labeled"),
    ("counselling", "counseling"),
    ("counsellor", "counselor"),
    ("counsellors", "counselors"),
    ("jewellery", "jewelry"),
    ("enrolment", "enrollment"),
    ("catalogue", "catalog"),
    ("dialogue", "dialog"),
    ("aluminium", "aluminum"),
    ("tyre", "tire"),
    ("tyres", "tires"),
    ("mould", "mold"),
    ("paediatric", "pediatric"),
    ("paediatrics", "pediatrics"),
    ("orthopaedic", "orthopedic"),
    ("anaesthetist", "anesthesiologist"),
    ("anaesthesia", "anesthesia"),
    ("haematology", "hematology"),
    ("grey", "gray"),
];

/// Each word of `texts`, with how many of the texts hold it.
fn holders(stemmer: &Stemmer, texts: &[Box<str>]) -> HashMap<String, usize> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for text in texts {
        let mut words = words_in(stemmer, text);
        words.sort();
        words.dedup();
        for word in words {
            *counts.entry(word).or_default() += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_find_the_occupation_without_its_title() {
        let onet = Onet::get().unwrap();
        let index = InterestIndex::new(onet);
        let found = index.matches("I'd like to make websites for small businesses");
        // "small" and "business" pull towards management roles; words alone
        // still put Web Developers in the top 5 (meaning does better:
        // `recommend.rs`).
        let top: Vec<&str> = found.iter().take(5).map(|m| &*onet.occupation(m.occupation).code).collect();
        assert!(top.contains(&"15-1254.00"), "Web Developers in the top 5: {top:?}");
        assert!(found.windows(2).all(|p| p[0].score >= p[1].score));
        assert!(found.iter().all(|m| (0.0..=1.0001).contains(&m.score)), "scores are shares");
        let web = found.iter().find(|m| &*onet.occupation(m.occupation).code == "15-1254.00").unwrap();
        assert!(!index.matched_titles(onet, web.occupation, &web.words).is_empty());
    }

    #[test]
    fn british_spellings_read_as_american_ones() {
        assert_eq!(american("Analyse colour, Modelling; centre"), "analyze color, modeling; center");
        assert_eq!(american("hour tour four rise"), "hour tour four rise", "short words keep their endings");
        let index = InterestIndex::new(Onet::get().unwrap());
        assert_eq!(index.words("analyse behaviour"), index.words("analyze behavior"));
    }

    #[test]
    fn wanting_without_saying_what_matches_nothing() {
        let index = InterestIndex::new(Onet::get().unwrap());
        assert!(index.matches("I'd really like a new job").is_empty());
        assert!(index.matches("").is_empty());
        assert!(index.matches("qwzx vbnm").is_empty());
    }
}
