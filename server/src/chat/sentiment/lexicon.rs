//! The words the sentiment classifier knows: hand-made lists and valences
//! (`data/words.tsv`) and general valence lexicons per language
//! (`data/valence_*.tsv`, made by `data/make_valence.py` from VADER and
//! AFINN's translations), parsed once; the tokenizer and the language guess
//! that choose among them.
//!
//! One lexicon per language, not one for all: merged, English "war", "die"
//! and "pain" made German and French messages read as negative (seen on
//! "Die Lieferung kam pünktlich und alles war gut verpackt.").

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

const WORDS: &str = include_str!("data/words.tsv");
const VALENCE: [(Language, &str); 4] = [
    (Language::English, include_str!("data/valence_en.tsv")),
    (Language::Spanish, include_str!("data/valence_es.tsv")),
    (Language::French, include_str!("data/valence_fr.tsv")),
    (Language::German, include_str!("data/valence_de.tsv")),
];
/// Endings tried, in order, when a word is in no list as written
/// ("smoothly" → "smooth"), if at least four letters remain.
const SUFFIXES: [&str; 12] = ["ly", "ed", "d", "ing", "s", "es", "en", "e", "er", "n", "ment", "mente"];
/// French elisions split off their word ("l'appli" → "l", "appli").
const ELISIONS: [&str; 9] = ["l", "d", "j", "qu", "n", "c", "s", "m", "t"];
/// English endings that are dropped ("I'll" → "i", not "ill").
const CONTRACTIONS: [&str; 6] = ["ll", "re", "ve", "d", "m", "s"];

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Language {
    English,
    Spanish,
    French,
    German,
}

/// Ties go to English, then in this order.
const LANGUAGES: [(Language, &str); 4] = [
    (Language::English, "stop_en"),
    (Language::Spanish, "stop_es"),
    (Language::French, "stop_fr"),
    (Language::German, "stop_de"),
];

pub struct Lexicon {
    lists: HashMap<&'static str, Vec<&'static str>>,
    hand: HashMap<&'static str, f32>,
    general: HashMap<Language, HashMap<&'static str, f32>>,
}

pub static LEXICON: LazyLock<Lexicon> = LazyLock::new(Lexicon::parse);

impl Lexicon {
    fn parse() -> Lexicon {
        let mut lists: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut hand = HashMap::new();
        for line in data_lines(WORDS) {
            let fields: Vec<&str> = line.split('\t').collect();
            match fields.as_slice() {
                ["valence", word, value] => {
                    hand.insert(*word, value.parse().expect("valence in words.tsv"));
                }
                [category, word] => lists.entry(*category).or_default().push(*word),
                _ => panic!("bad line in words.tsv: {line:?}"),
            }
        }
        let general = VALENCE
            .iter()
            .map(|(language, text)| {
                let words = data_lines(text)
                    .filter_map(|line| line.split_once('\t'))
                    .map(|(word, value)| (word, value.parse().expect("valence")))
                    .collect();
                (*language, words)
            })
            .collect();
        Lexicon { lists, hand, general }
    }

    /// The words of a category of `words.tsv`.
    pub fn list(&self, category: &str) -> &[&'static str] {
        self.lists.get(category).map_or(&[], Vec::as_slice)
    }

    /// A category as a set, for lists without prefixes.
    pub fn set(&self, category: &str) -> HashSet<&'static str> {
        self.list(category).iter().copied().collect()
    }

    /// The language whose common words `tokens` has most of (English when
    /// none): a guess good enough to choose a lexicon.
    pub fn language(&self, tokens: &[String]) -> Language {
        let mut best = (Language::English, 0);
        for (language, category) in LANGUAGES {
            let stop = self.list(category);
            let count = tokens.iter().filter(|t| stop.contains(&t.as_str())).count();
            if count > best.1 {
                best = (language, count);
            }
        }
        best.0
    }

    /// A word's valence, -1..1: the hand-made list first, then the
    /// language's lexicon, as written and then without a common ending.
    pub fn valence(&self, word: &str, language: Language) -> f32 {
        let general = &self.general[&language];
        let lookup = |w: &str| self.hand.get(w).or_else(|| general.get(w)).copied();
        if let Some(value) = lookup(word) {
            return value;
        }
        let letters = word.chars().count();
        SUFFIXES
            .iter()
            .filter(|suffix| word.ends_with(*suffix) && letters - suffix.len() >= 4)
            .find_map(|suffix| lookup(&word[..word.len() - suffix.len()]))
            .unwrap_or(0.0)
    }
}

/// Whether `word` is in `list`, where an entry ending in `*` is a prefix.
pub fn listed(list: &[&str], word: &str) -> bool {
    list.iter().any(|entry| match entry.strip_suffix('*') {
        Some(stem) => word.starts_with(stem),
        None => word == *entry,
    })
}

/// Lower-case words: apostrophes and hyphens stay inside a word, "n't"
/// becomes "not", English contractions lose their ending and French
/// elisions become words of their own.
pub fn tokens(text: &str) -> Vec<String> {
    let lower = text.to_lowercase().replace(['’', '`'], "'");
    let mut out = Vec::new();
    for raw in lower.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '\'' || c == '-')) {
        let word = raw.trim_matches(|c| c == '\'' || c == '-');
        if word.is_empty() {
            continue;
        }
        if let Some(base) = word.strip_suffix("n't") {
            if !matches!(base, "ca" | "wo" | "sha") {
                out.push(if base.is_empty() { "not" } else { base }.to_owned());
            }
            out.push("not".to_owned());
        } else if word.rsplit('\'').next().is_some_and(|end| word.contains('\'') && CONTRACTIONS.contains(&end)) {
            out.push(word.split('\'').next().unwrap_or_default().to_owned());
        } else if let Some((head, rest)) =
            word.split_once('\'').filter(|(head, rest)| ELISIONS.contains(head) && !rest.is_empty())
        {
            out.push(head.to_owned());
            out.push(rest.replace('\'', ""));
        } else {
            out.push(word.replace('\'', ""));
        }
    }
    out
}

/// The sentences of `text`: split after `.`, `!`, `?`, `;` or `…` and
/// the spaces that follow, and at every line break.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut previous = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let after_stop = previous.is_some_and(|p| matches!(p, '.' | '!' | '?' | ';' | '…'));
        if c.is_whitespace() && after_stop {
            out.push(&text[start..i]);
            let mut end = i + c.len_utf8();
            while let Some((j, w)) = chars.peek().copied().filter(|(_, w)| w.is_whitespace()) {
                end = j + w.len_utf8();
                chars.next();
            }
            start = end;
            previous = Some(' ');
            continue;
        }
        if c == '\n' {
            out.push(&text[start..i]);
            start = i + 1;
        }
        previous = Some(c);
    }
    out.push(&text[start..]);
    out.retain(|s| !s.trim().is_empty());
    out
}

fn data_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|line| !line.starts_with('#') && !line.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_people_write_them() {
        assert_eq!(tokens("I'll check: it isn’t l'appli"), ["i", "check", "it", "is", "not", "l", "appli"]);
        assert_eq!(tokens("can't won't"), ["not", "not"]);
        assert_eq!(tokens("ras-le-bol!"), ["ras-le-bol"]);
    }

    #[test]
    fn sentences_end_at_stops_and_line_breaks() {
        assert_eq!(sentences("Hi. Where is it?  Now\nplease"), ["Hi.", "Where is it?", "Now", "please"]);
        assert_eq!(sentences("v1.2 is out"), ["v1.2 is out"]);
    }

    #[test]
    fn each_language_reads_its_own_words() {
        let lexicon = &*LEXICON;
        let german = tokens("Die Lieferung kam und alles war gut");
        assert_eq!(lexicon.language(&german), Language::German);
        assert_eq!(lexicon.valence("war", Language::German), 0.0);
        assert!(lexicon.valence("war", Language::English) < 0.0);
        assert!(lexicon.valence("smoothly", Language::English) > 0.0, "an ending is dropped when the word is unknown");
        assert_eq!(lexicon.valence("rush", Language::English), 0.0, "the hand list says \"no rush\" is no sentiment");
    }
}
