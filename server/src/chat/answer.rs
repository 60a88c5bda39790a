//! The offline answer engine, which is the embedded default and the
//! fallback when a provider fails. It asks the answerability model which
//! passage holds the answer (`answerability.rs`), picks that section's
//! sentences that answer the question, keeps them in reading order as clean
//! text, cites the section, and says plainly when the knowledge does not hold
//! the answer.

use std::collections::HashSet;

use app::chat::{Citation, QUOTE_CHARS};
use app::knowledge::Passage;
use rust_stemmers::{Algorithm, Stemmer};

use super::answerability::{self, CONSIDERED};
use crate::knowledge::index::terms;

const MAX_SENTENCES: usize = 3;
const MAX_WORDS: usize = 90;

/// What the engine made of the passages.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// Plain text with `[n]` markers.
    pub body: String,
    pub citations: Vec<Citation>,
    /// 0–1: how sure the answerability model is that the cited passage
    /// holds the answer.
    pub confidence: f32,
    pub answered: bool,
    pub suggestions: Vec<String>,
}

pub const NOT_FOUND: &str = "I couldn't find the answer to that in our help content. \
Would you like to talk to a person? Choose “Talk to a human” and someone from the team will pick this up.";

/// The citations an answer built from `passages` may use, numbered from 1:
/// one per document, links only when they are `http(s)`.
pub fn citations_for(passages: &[Passage]) -> Vec<(Citation, Vec<usize>)> {
    let mut citations: Vec<(Citation, Vec<usize>)> = Vec::new();
    for (i, passage) in passages.iter().enumerate() {
        let title = display_title(passage);
        if let Some((_, members)) =
            citations.iter_mut().find(|(c, _)| c.title == title && c.source_id == passage.source_id)
        {
            members.push(i);
            continue;
        }
        let number = citations.len() as u32 + 1;
        let url = passage.url.clone().filter(|u| u.starts_with("https://") || u.starts_with("http://"));
        let quote = url.is_none().then(|| quote(passage));
        citations.push((Citation { number, title, url, source_id: passage.source_id.clone(), quote }, vec![i]));
    }
    citations
}

/// The passage a file citation opens: its sentences as clean text, whole
/// sentences up to `QUOTE_CHARS` (a longer first sentence is cut at a word).
fn quote(passage: &Passage) -> String {
    let mut quote = String::new();
    for sentence in sentences(&without_heading(passage)) {
        if quote.chars().count() + sentence.chars().count() + 1 > QUOTE_CHARS {
            if quote.is_empty() {
                let cut: String = sentence.chars().take(QUOTE_CHARS - 1).collect();
                // Whole words: the last space before the cut ends it.
                let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
                quote = format!("{cut}…");
            }
            break;
        }
        if !quote.is_empty() {
            quote.push(' ');
        }
        quote.push_str(&sentence);
    }
    quote
}

fn display_title(passage: &Passage) -> String {
    match passage.heading_path.last() {
        Some(heading) if !passage.document_title.is_empty() && heading != &passage.document_title => {
            format!("{} › {}", passage.document_title, heading)
        }
        Some(heading) => heading.clone(),
        None => passage.document_title.clone(),
    }
}

/// Builds the extractive answer to `question` from ranked `passages`.
pub fn compose(question: &str, passages: &[Passage]) -> Draft {
    let stemmer = Stemmer::create(Algorithm::English);
    let judgement = answerability::judge(passages);
    let confidence = judgement.map_or(0.0, |j| j.probability);
    let Some(judgement) = judgement.filter(|j| j.answers()) else {
        return Draft {
            body: NOT_FOUND.into(),
            citations: Vec::new(),
            confidence,
            answered: false,
            suggestions: suggestions(passages, &[]),
        };
    };
    // The answering section, with the rest of it when it is long enough to
    // span several passages: an answer never mixes sections.
    let best = &passages[judgement.best];
    let usable: Vec<Passage> = std::iter::once(best.clone())
        .chain(
            passages
                .iter()
                .take(CONSIDERED)
                .enumerate()
                .filter(|(i, p)| *i != judgement.best && same_section(p, best))
                .map(|(_, p)| p.clone()),
        )
        .collect();
    let question_terms: HashSet<String> = terms(&stemmer, question).into_iter().collect();
    let mut candidates: Vec<Candidate> = Vec::new();
    for (rank, passage) in usable.iter().enumerate() {
        for (position, sentence) in sentences(answer_part(&without_heading(passage))).into_iter().enumerate() {
            let words = sentence.split_whitespace().count();
            if words < 3 {
                continue;
            }
            let sentence_terms: HashSet<String> = terms(&stemmer, &sentence).into_iter().collect();
            let overlap = question_terms.intersection(&sentence_terms).count() as f32;
            let coverage = if question_terms.is_empty() { 0.0 } else { overlap / question_terms.len() as f32 };
            // The best passage's opening sentences usually carry its answer.
            let score = 2.0 * coverage + 1.0 / (1.0 + rank as f32) + 0.4 / (1.0 + position as f32)
                - if words > 45 { 0.3 } else { 0.0 };
            candidates.push(Candidate { passage: rank, position, sentence, score, words });
        }
    }
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut chosen: Vec<Candidate> = Vec::new();
    let mut words = 0;
    for candidate in candidates {
        if chosen.len() == MAX_SENTENCES || (words > 0 && words + candidate.words > MAX_WORDS) {
            continue;
        }
        // At most two documents: an answer that hops between many pages reads as a dump.
        let documents: HashSet<usize> = chosen.iter().map(|c| c.passage).chain([candidate.passage]).collect();
        if documents.len() > 2 {
            continue;
        }
        words += candidate.words;
        chosen.push(candidate);
    }
    chosen.sort_by_key(|c| (c.passage, c.position));
    let numbered = citations_for(&usable);
    let number_of =
        |passage: usize| numbered.iter().find(|(_, members)| members.contains(&passage)).map_or(1, |(c, _)| c.number);
    let mut body = String::new();
    let mut used = Vec::new();
    for (i, candidate) in chosen.iter().enumerate() {
        if !body.is_empty() {
            body.push(' ');
        }
        body.push_str(candidate.sentence.trim());
        let last_of_passage = chosen.get(i + 1).is_none_or(|next| next.passage != candidate.passage);
        if last_of_passage {
            let number = number_of(candidate.passage);
            body.push_str(&format!(" [{number}]"));
            used.push(number);
        }
    }
    let citations: Vec<Citation> = numbered.into_iter().map(|(c, _)| c).filter(|c| used.contains(&c.number)).collect();
    Draft { body, citations, confidence, answered: true, suggestions: suggestions(passages, &usable) }
}

fn same_section(a: &Passage, b: &Passage) -> bool {
    a.source_id == b.source_id && a.document_title == b.document_title && a.heading_path == b.heading_path
}

struct Candidate {
    passage: usize,
    position: usize,
    sentence: String,
    score: f32,
    words: usize,
}

/// Chunks may open with their heading ("# Refunds Annual plans can…"): the
/// heading is a title, not part of an answer.
fn without_heading(passage: &Passage) -> String {
    let text = passage.text.trim_start();
    let Some(rest) = text.strip_prefix('#') else { return text.to_string() };
    let rest = rest.trim_start_matches('#').trim_start();
    let headings = passage.heading_path.iter().rev().chain(std::iter::once(&passage.document_title));
    for heading in headings {
        if let Some(after) = rest.strip_prefix(heading.as_str()) {
            return after.trim_start().to_string();
        }
    }
    rest.to_string()
}

/// A typed Q&A pair answers with its answer, not by repeating the question.
fn answer_part(text: &str) -> &str {
    for marker in ["\nA: ", "\nAnswer: ", "\nA:", "\nAnswer:"] {
        if let Some(at) = text.find(marker) {
            return &text[at + marker.len()..];
        }
    }
    text
}

/// Sentences and list items, in order. A line break ends a sentence so
/// headings and bullets never run into the next line.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim().trim_start_matches(['-', '*', '•']).trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut current = String::new();
        let chars: Vec<char> = line.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            current.push(c);
            let ends = matches!(c, '.' | '!' | '?')
                && chars.get(i + 1).is_none_or(|n| n.is_whitespace())
                && !ends_with_abbreviation(&current);
            if ends {
                out.push(current.trim().to_string());
                current.clear();
            }
        }
        if !current.trim().is_empty() {
            out.push(current.trim().to_string());
        }
    }
    out.iter().map(|sentence| plain(sentence)).filter(|s| !s.is_empty()).collect()
}

/// A sentence as a visitor reads it: no Markdown marks (bold, emphasis,
/// code, link syntax, heading or quote markers) that text typed or pasted as plain may
/// still carry.
pub fn plain(sentence: &str) -> String {
    let mut out = String::with_capacity(sentence.len());
    let mut rest = sentence.trim_start_matches(['#', '>']).trim_start();
    while let Some(open) = rest.find('[') {
        // `[text](address)` and `![alt](address)` keep their text.
        let close = rest[open..].find("](").map(|at| open + at);
        let end = close.and_then(|close| rest[close..].find(')').map(|at| close + at));
        let (Some(close), Some(end)) = (close, end) else { break };
        out.push_str(rest[..open].strip_suffix('!').unwrap_or(&rest[..open]));
        out.push_str(&rest[open + 1..close]);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    let out = out.replace("__", "").replace(['*', '`'], "");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn ends_with_abbreviation(text: &str) -> bool {
    let last = text.rsplit(' ').next().unwrap_or("").to_lowercase();
    matches!(last.as_str(), "e.g." | "i.e." | "etc." | "vs." | "mr." | "mrs." | "dr." | "no." | "approx.")
}

/// Two or three follow-ups from related passages the answer did not use.
fn suggestions(passages: &[Passage], used: &[Passage]) -> Vec<String> {
    let used_titles: HashSet<String> = used.iter().map(display_title).collect();
    let mut out: Vec<String> = Vec::new();
    for passage in passages {
        let topic = passage.heading_path.last().cloned().unwrap_or_else(|| passage.document_title.clone());
        let topic = topic.trim().trim_end_matches(['?', '.', ':']).to_string();
        if topic.is_empty() || topic.len() > 60 || used_titles.contains(&display_title(passage)) {
            continue;
        }
        let suggestion = if topic.split_whitespace().next().is_some_and(is_question_word) {
            format!("{topic}?")
        } else {
            format!("Tell me about {}", lowercase_first(&topic))
        };
        if !out.contains(&suggestion) {
            out.push(suggestion);
        }
        if out.len() == 3 {
            break;
        }
    }
    out
}

fn is_question_word(word: &str) -> bool {
    matches!(
        word.to_lowercase().as_str(),
        "how" | "what" | "why" | "when" | "where" | "who" | "which" | "can" | "do" | "does" | "is" | "are"
    )
}

/// "Refund policy" → "refund policy", but "API keys" stays.
fn lowercase_first(text: &str) -> String {
    let mut words = text.split(' ');
    let first = words.next().unwrap_or("");
    let keep = first.chars().skip(1).any(char::is_uppercase);
    let first = if keep { first.to_string() } else { first.to_lowercase() };
    std::iter::once(first).chain(words.map(str::to_string)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage(title: &str, heading: &str, text: &str, similarity: f32, coverage: f32) -> Passage {
        Passage {
            chunk_id: format!("{title}-{heading}"),
            source_id: format!("src-{title}"),
            document_title: title.into(),
            heading_path: vec![heading.into()],
            page: None,
            url: Some(format!("https://help.example.com/{}", title.to_lowercase().replace(' ', "-"))),
            text: text.into(),
            score: 0.03,
            similarity,
            text_score: 10.0 * coverage,
            coverage,
            heading_coverage: coverage / 2.0,
        }
    }

    #[test]
    fn a_file_citation_quotes_its_passage_as_clean_text_and_a_page_links_instead() {
        let mut file = passage(
            "Returns",
            "Start a return",
            "## Start a return\nOpen **Orders** and choose *Return*. We email a label.",
            0.7,
            0.9,
        );
        file.url = None;
        let page = passage("Shipping", "Costs", "Standard shipping costs £4.95.", 0.6, 0.5);
        let citations = citations_for(&[file, page]);
        assert_eq!(citations[0].0.quote.as_deref(), Some("Open Orders and choose Return. We email a label."));
        assert_eq!(citations[1].0.quote, None);
        assert!(citations[1].0.url.is_some());
        let mut long = passage("Guide", "All", &"Every word counts here. ".repeat(60), 0.7, 0.9);
        long.url = None;
        let quote = citations_for(&[long]).remove(0).0.quote.unwrap();
        assert!(quote.chars().count() <= QUOTE_CHARS && quote.ends_with("counts here."), "{quote}");
    }

    #[test]
    fn answers_with_the_sentences_that_match_and_cites_them() {
        let passages = [
            passage(
                "Refunds",
                "Annual plans",
                "We love our customers. Annual plans can be refunded within 30 days of purchase. \
                 Refunds go back to the original card within 5 business days. Our office is in Lisbon.",
                0.71,
                0.9,
            ),
            passage("Billing", "Invoices", "Invoices are emailed on the first of each month.", 0.42, 0.1),
        ];
        let draft = compose("Can I get a refund on an annual plan?", &passages);
        assert!(draft.answered);
        assert!(draft.body.contains("Annual plans can be refunded within 30 days"), "{}", draft.body);
        assert!(!draft.body.contains("Lisbon"), "{}", draft.body);
        assert!(draft.body.contains("[1]"));
        assert_eq!(draft.citations[0].title, "Refunds › Annual plans");
        assert_eq!(draft.citations[0].url.as_deref(), Some("https://help.example.com/refunds"));
        assert!(draft.confidence > 0.7, "{}", draft.confidence);
    }

    #[test]
    fn low_confidence_says_so_and_offers_a_person() {
        let passages = [passage("Shipping", "Times", "Orders ship in two days.", 0.12, 0.0)];
        let draft = compose("What is the airspeed of a swallow?", &passages);
        assert!(!draft.answered);
        assert_eq!(draft.body, NOT_FOUND);
        assert!(draft.citations.is_empty());
        assert!(draft.confidence < 0.2);
        assert!(!compose("anything", &[]).answered);
    }

    #[test]
    fn links_other_than_http_are_dropped_from_citations() {
        let mut p = passage("Evil", "Doc", "Click here to reset the password right now.", 0.8, 0.9);
        p.url = Some("javascript:alert(1)".into());
        let draft = compose("reset password", &[p]);
        assert_eq!(draft.citations[0].url, None);
    }

    #[test]
    fn a_heading_at_the_start_of_a_chunk_is_not_part_of_the_answer() {
        let p = passage("Refunds", "Refunds", "# Refunds Annual plans can be refunded within 30 days.", 0.7, 0.9);
        let draft = compose("refund annual plan", &[p]);
        assert_eq!(draft.body, "Annual plans can be refunded within 30 days. [1]");
    }

    #[test]
    fn answers_are_clean_text_without_markdown() {
        assert_eq!(
            plain("## Open **Settings** and see [the guide](https://x.example/g) or `lodestar --help`"),
            "Open Settings and see the guide or lodestar --help"
        );
        let p = passage(
            "Returns",
            "How to start a return",
            "## How to start a return\nOpen **Orders** and choose ![icon](i.png) *Return items*.",
            0.7,
            0.9,
        );
        assert_eq!(compose("start a return", &[p]).body, "Open Orders and choose icon Return items. [1]");
    }

    #[test]
    fn sentences_split_on_ends_and_lines_but_not_abbreviations() {
        let text = "# Title\nUse e.g. the app. Then wait!\n- Step one\n- Step two is longer.";
        assert_eq!(sentences(text), ["Use e.g. the app.", "Then wait!", "Step one", "Step two is longer."]);
    }

    #[test]
    fn follow_ups_come_from_related_passages() {
        let passages = [
            passage("Refunds", "Annual plans", "Annual plans can be refunded within 30 days.", 0.7, 0.9),
            passage("Billing", "How do I change my card", "Open Billing and choose Change card.", 0.3, 0.2),
            passage("Billing", "VAT invoices", "Invoices include VAT.", 0.28, 0.1),
        ];
        let draft = compose("refund annual plan", &passages);
        assert_eq!(draft.suggestions, ["How do I change my card?", "Tell me about VAT invoices"]);
    }
}
