//! What a message says beyond its sentence vector, as a few numbers: how
//! much praise and complaint it holds once negation ("no complaints"),
//! turns ("…but it works now"), questions ("why isn't it charging?") and
//! mockery ("Great, logged out again") are read; repetition, demands,
//! waiting ("five days"), thanks; and the first support-specific cues
//! ("still waiting", "how hard can it be", shouting).

use std::collections::HashSet;
use std::sync::LazyLock;

use super::lexicon::{listed, sentences, tokens, Language, LEXICON};

/// How many numbers [`cues`] returns.
pub const CUES: usize = 27;
/// A negated word counts this much the other way (VADER's constant).
const NEGATION: f32 = -0.74;
/// Before a turn ("but") a word weighs half, after it one and a half.
const BEFORE_TURN: f32 = 0.5;
const AFTER_TURN: f32 = 1.5;

/// The sets read often, made once.
struct Words {
    negators: HashSet<&'static str>,
    turns: HashSet<&'static str>,
    openers: HashSet<&'static str>,
    time_units: HashSet<&'static str>,
    number_words: HashSet<&'static str>,
    comparatives: HashSet<&'static str>,
}

static WORDS: LazyLock<Words> = LazyLock::new(|| Words {
    negators: LEXICON.set("negator"),
    turns: LEXICON.set("turn"),
    openers: LEXICON.set("opener"),
    time_units: LEXICON.set("time_unit"),
    number_words: LEXICON.set("number_word"),
    comparatives: LEXICON.set("comparative"),
});

pub fn negators() -> &'static HashSet<&'static str> {
    &WORDS.negators
}

pub fn turns() -> &'static HashSet<&'static str> {
    &WORDS.turns
}

/// Sums of valence, read clause by clause.
#[derive(Default)]
struct Tone {
    praise: f32,
    complaint: f32,
    /// Complaint inside a question: "why isn't it charging?" asks for help.
    complaint_asked: f32,
    negated_complaint: f32,
    negated_praise: f32,
    after_turn: f32,
    before_turn: f32,
    questions: f32,
}

pub fn cues(text: &str) -> [f32; CUES] {
    let words = &*WORDS;
    let message = tokens(text);
    let language = LEXICON.language(&message);
    let repeats = LEXICON.list("repeat");
    let mockery = sarcastic(&message, language);

    let mut tone = Tone::default();
    for sentence in sentences(text) {
        let asked = sentence.contains(['?', '¿']);
        read_sentence(&tokens(sentence), language, asked, mockery, &mut tone);
        tone.questions += f32::from(u8::from(asked));
    }
    let count = |list: &[&str]| message.iter().filter(|t| listed(list, t)).count() as f32;
    let thanks = if mockery {
        0.0
    } else {
        let prefixes = LEXICON.list("thanks_prefix");
        message.iter().filter(|t| prefixes.iter().any(|p| t.starts_with(p))).count() as f32
    };
    let waited = message
        .windows(2)
        .filter(|pair| {
            let number = !pair[0].is_empty() && pair[0].chars().all(|c| c.is_ascii_digit())
                || words.number_words.contains(pair[0].as_str());
            number && words.time_units.contains(pair[1].as_str())
        })
        .count() as f32;
    let capped = |v: f32| v.min(3.0);
    let signed = |v: f32| v.clamp(-3.0, 3.0);
    let punctuation = punctuation(text);
    let first = first_cues(text, punctuation);
    let mut out = [0.0; CUES];
    let clauses = [
        capped(tone.praise),
        capped(tone.complaint),
        capped(tone.complaint_asked),
        capped(tone.negated_complaint),
        capped(tone.negated_praise),
        signed(tone.after_turn),
        signed(tone.before_turn),
        f32::from(u8::from(mockery)),
        capped(thanks),
        capped(count(repeats)),
        capped(count(LEXICON.list("demand"))),
        capped(tone.questions),
        capped(waited),
    ];
    out[..13].copy_from_slice(&clauses);
    out[13..16].copy_from_slice(&punctuation);
    out[16..].copy_from_slice(&first);
    out
}

/// Adds one sentence's words to `tone`: a negator up to three words before
/// turns a word around (unless it is "never … this smooth"), a turn
/// weighs what follows, and mockery makes praise a complaint.
fn read_sentence(tokens: &[String], language: Language, asked: bool, mockery: bool, tone: &mut Tone) {
    let words = &*WORDS;
    let turn = tokens.iter().rposition(|t| words.turns.contains(t.as_str()));
    for (i, word) in tokens.iter().enumerate() {
        let mut value = LEXICON.valence(word, language);
        if value == 0.0 {
            continue;
        }
        let window = &tokens[i.saturating_sub(4)..i];
        let mut negated = window[window.len().saturating_sub(3)..].iter().any(|t| words.negators.contains(t.as_str()));
        if negated && value > 0.0 && window.iter().any(|t| words.comparatives.contains(t.as_str())) {
            negated = false;
        }
        if negated {
            if value < 0.0 {
                tone.negated_complaint -= value;
            } else {
                tone.negated_praise += value;
            }
            value *= NEGATION;
        }
        if mockery && value > 0.0 {
            value = -value;
        }
        if let Some(turn) = turn {
            value *= if i > turn { AFTER_TURN } else { BEFORE_TURN };
        }
        if value > 0.0 {
            tone.praise += value;
        } else if asked {
            tone.complaint_asked -= value;
        } else {
            tone.complaint -= value;
        }
        match turn {
            Some(turn) if i > turn => tone.after_turn += value,
            Some(_) => tone.before_turn += value,
            None => {}
        }
    }
}

/// Praise that opens a message about something bad, with no turn to make
/// it sincere: "Lovely, it crashed again", "Na super, wieder kein Netz".
fn sarcastic(tokens: &[String], language: Language) -> bool {
    let words = &*WORDS;
    let Some(first) = tokens.first() else { return false };
    let opener = words.openers.contains(first.as_str()) || (LEXICON.valence(first, language) > 0.3 && tokens.len() > 1);
    let badness: f32 =
        tokens[1..].iter().map(|t| LEXICON.valence(t, language)).filter(|v| *v < 0.0).map(|v| -v).sum::<f32>()
            + tokens.iter().filter(|t| listed(LEXICON.list("cue_trouble"), t)).count() as f32;
    let repeated = tokens.iter().any(|t| listed(LEXICON.list("repeat"), t));
    let turned = tokens.iter().any(|t| words.turns.contains(t.as_str()));
    opener && !turned && (badness > 0.2 || repeated) && tokens.len() > 3
}

/// Exclamation marks (up to 3, scaled to 1), several question marks, and
/// the share of capitals in a message of 8 letters or more.
fn punctuation(text: &str) -> [f32; 3] {
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let shouting = if letters.len() >= 8 {
        letters.iter().filter(|c| c.is_uppercase()).count() as f32 / letters.len() as f32
    } else {
        0.0
    };
    [(text.matches('!').count() as f32).min(3.0) / 3.0, f32::from(text.matches('?').count() >= 2), shouting]
}

/// The first cues, each a small count: support words a general lexicon
/// misses, read word by word with a negator three words back.
fn first_cues(text: &str, punctuation: [f32; 3]) -> [f32; 11] {
    let list = |category| LEXICON.list(category);
    let lower = text.to_lowercase();
    let words: Vec<String> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(|w| w.replace('\'', ""))
        .collect();
    let count_words = |category| words.iter().filter(|w| listed(list(category), w)).count() as f32;
    let count_phrases = |category| list(category).iter().filter(|p| lower.contains(*p)).count() as f32;
    let negated = |i: usize| words[i.saturating_sub(3)..i].iter().any(|w| list("cue_negator").contains(&w.as_str()));
    // Each word's polarity, turned around by a negator just before it.
    let polarity: Vec<f32> = words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let turned = negated(i);
            let sign = if turned { -1.0 } else { 1.0 };
            if listed(list("cue_better"), w) && turned {
                1.0
            } else if listed(list("cue_positive"), w) {
                sign
            } else if listed(list("cue_negative"), w) {
                -sign
            } else if listed(list("cue_trouble"), w) && turned {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    let count = |sign: f32| polarity.iter().filter(|&&p| p == sign).count() as f32;
    // What follows the last "but" carries the message.
    let turn = words.iter().rposition(|w| list("cue_contrast").contains(&w.as_str())).map_or(words.len(), |i| i + 1);
    let tail: f32 = polarity[turn..].iter().sum();
    let negative_phrases = count_phrases("cue_negative_phrase");
    let troubled = count(-1.0) + negative_phrases + count_words("cue_repeat") > 0.0;
    // Praise that opens a message about trouble is mockery.
    let sarcastic = words.first().is_some_and(|w| list("cue_opener").contains(&w.as_str()))
        && lower
            .trim_start()
            .chars()
            .find(|c| !c.is_alphabetic())
            .is_some_and(|c| matches!(c, ',' | '!' | '.' | '…' | ' '))
        && troubled
        && words.len() > 2;
    [
        count(-1.0).min(3.0),
        count(1.0).min(3.0),
        count_words("cue_repeat").min(3.0),
        count_words("cue_demand").min(3.0),
        negative_phrases.min(3.0),
        count_phrases("cue_positive_phrase").min(3.0),
        punctuation[0],
        punctuation[1],
        punctuation[2],
        if turn < words.len() { tail.clamp(-3.0, 3.0) } else { 0.0 },
        f32::from(u8::from(sarcastic)) * 2.0,
    ]
}
