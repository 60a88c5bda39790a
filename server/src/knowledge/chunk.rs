//! Structure-aware chunking: every section is chunked on its own (a chunk
//! never holds text from under two headings, so a citation always names the
//! section its words came from), chunks hold a few hundred tokens, end on
//! sentence boundaries where possible, overlap a little within a section, and
//! remember what a citation needs (heading path and page).
//!
//! Short sections stand alone. Merging them once put an FAQ's "Warranty"
//! under "Shipping" (its heading glued into the text as a word), and "How
//! long is the warranty?" went unanswered; a section's heading travels with
//! its chunk into the embedding and the keyword index instead
//! (`knowledge::embedding_text`, `index::searchable_text`).
//!
//! Everything a chunk carries is bounded, so what a document costs grows
//! with its text and never with how it is shaped: a heading is cut to
//! [`MAX_HEADING_CHARS`] and a path to [`MAX_PATH_DEPTH`] headings (each
//! chunk keeps its own copy of its path: a 100 KB `<h1>` over 1,500 short
//! paragraphs once cost 300 MB of memory and 100 MB of store), and a chunk's
//! text to [`MAX_CHUNK_BYTES`] however long its "words" are.

use super::extract::{Block, BlockKind, Extracted};

/// all-MiniLM-L6-v2 reads at most 256 word pieces: about 190 English words.
pub const TARGET_WORDS: usize = 150;
const MAX_WORDS: usize = 190;
const OVERLAP_WORDS: usize = 30;
/// The most text one chunk holds: 190 words of English are about 1.2 KB;
/// text without spaces (CJK, a table dump, base64) is cut here.
pub const MAX_CHUNK_BYTES: usize = 2_048;
/// Headings are titles: longer ones are cut, with an ellipsis.
pub const MAX_HEADING_CHARS: usize = 120;
/// The deepest heading path kept; deeper paths keep their innermost headings.
pub const MAX_PATH_DEPTH: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub ordinal: u32,
    pub text: String,
    pub heading_path: Vec<String>,
    pub page: Option<u32>,
}

#[derive(Default)]
struct Builder {
    chunks: Vec<Chunk>,
    sentences: Vec<String>,
    words: usize,
    heading_path: Vec<String>,
    page: Option<u32>,
    /// True once something other than carried-over overlap was added.
    fresh: bool,
}

impl Builder {
    fn push(&mut self, sentence: String, page: Option<u32>, path: &[String]) {
        let words = sentence.split_whitespace().count();
        let too_many_words = self.words + words > MAX_WORDS.min(TARGET_WORDS + words / 2).max(TARGET_WORDS);
        if (too_many_words || self.bytes() + sentence.len() > MAX_CHUNK_BYTES) && self.fresh {
            self.flush(true);
        }
        // Carried-over overlap gives way to a sentence it would push past the bound.
        if !self.fresh && self.bytes() + sentence.len() > MAX_CHUNK_BYTES {
            self.sentences.clear();
            self.words = 0;
        }
        if self.sentences.is_empty() || !self.fresh {
            self.page = page.or(self.page);
            self.heading_path = path.to_vec();
        }
        self.words += words;
        self.sentences.push(sentence);
        self.fresh = true;
    }

    /// Bytes of the chunk in progress, as joined.
    fn bytes(&self) -> usize {
        self.sentences.iter().map(|s| s.len() + 1).sum()
    }

    /// Emits the chunk in progress; with `overlap`, its last sentences (up
    /// to `OVERLAP_WORDS`) start the next one.
    fn flush(&mut self, overlap: bool) {
        if !self.fresh {
            self.sentences.clear();
            self.words = 0;
            return;
        }
        let text = self.sentences.join(" ");
        self.chunks.push(Chunk {
            ordinal: self.chunks.len() as u32,
            text,
            heading_path: self.heading_path.clone(),
            page: self.page,
        });
        let mut carried = Vec::new();
        let (mut carried_words, mut carried_bytes) = (0, 0);
        if overlap {
            for sentence in self.sentences.iter().rev() {
                let words = sentence.split_whitespace().count();
                if carried_words + words > OVERLAP_WORDS || carried_bytes + sentence.len() > MAX_CHUNK_BYTES / 4 {
                    break;
                }
                carried_words += words;
                carried_bytes += sentence.len() + 1;
                carried.push(sentence.clone());
            }
            carried.reverse();
        }
        self.sentences = carried;
        self.words = carried_words;
        self.fresh = false;
    }
}

/// Every chunk of `doc`.
pub fn chunk(doc: &Extracted) -> Vec<Chunk> {
    match chunk_at_most(doc, usize::MAX) {
        Ok(chunks) | Err(TooManyChunks(chunks)) => chunks,
    }
}

/// More chunks than allowed: the ones made before chunking stopped.
#[derive(Debug)]
pub struct TooManyChunks(pub Vec<Chunk>);

/// The chunks of `doc`, stopping as soon as there are more than `limit`:
/// a document too big for the plan costs no more work than the plan allows.
pub fn chunk_at_most(doc: &Extracted, limit: usize) -> Result<Vec<Chunk>, TooManyChunks> {
    let mut builder = Builder::default();
    let mut path: Vec<(u8, String)> = Vec::new();
    for Block { kind, text, page } in &doc.blocks {
        if builder.chunks.len() > limit {
            return Err(TooManyChunks(builder.chunks));
        }
        match kind {
            BlockKind::Heading(level) => {
                builder.flush(false);
                path.retain(|(l, _)| l < level);
                path.push((*level, heading_text(text)));
                builder.heading_path = path_names(&path);
            }
            _ => {
                let names = path_names(&path);
                let prefix = if *kind == BlockKind::ListItem { "• " } else { "" };
                for (i, sentence) in sentences(text).into_iter().enumerate() {
                    let sentence = if i == 0 { format!("{prefix}{sentence}") } else { sentence };
                    for piece in split_long(&sentence) {
                        builder.push(piece, *page, &names);
                    }
                    if builder.chunks.len() > limit {
                        return Err(TooManyChunks(builder.chunks));
                    }
                }
            }
        }
    }
    builder.flush(false);
    if builder.chunks.len() > limit {
        return Err(TooManyChunks(builder.chunks));
    }
    Ok(builder.chunks)
}

/// A heading as chunks carry it: one line, at most [`MAX_HEADING_CHARS`].
pub fn heading_text(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(MAX_HEADING_CHARS) {
        Some((cut, _)) => format!("{}…", line[..cut].trim_end()),
        None => line,
    }
}

/// The innermost [`MAX_PATH_DEPTH`] headings of `path`.
fn path_names(path: &[(u8, String)]) -> Vec<String> {
    path[path.len().saturating_sub(MAX_PATH_DEPTH)..].iter().map(|(_, t)| t.clone()).collect()
}

/// Splits after `.`, `!` or `?` followed by a space and a capital or digit.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut ahead = text.char_indices().peekable();
    while let Some((i, c)) = ahead.next() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let mut look = ahead.clone();
        let next = look.next().map(|x| x.1);
        let after = look.next().map(|x| x.1);
        if next == Some(' ') && after.is_some_and(|a| a.is_uppercase() || a.is_ascii_digit() || a == '"') {
            let end = i + c.len_utf8();
            out.push(text[start..end].trim().to_owned());
            start = end;
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest.to_owned());
    }
    out
}

/// A "sentence" longer than a chunk (a table dump, say) is cut by words,
/// and a piece longer than [`MAX_CHUNK_BYTES`] (no spaces to cut at) by
/// bytes, at character boundaries.
fn split_long(sentence: &str) -> Vec<String> {
    let words: Vec<&str> = sentence.split_whitespace().collect();
    let pieces: Vec<String> = if words.len() <= MAX_WORDS {
        vec![sentence.to_owned()]
    } else {
        words.chunks(TARGET_WORDS).map(|w| w.join(" ")).collect()
    };
    pieces.into_iter().flat_map(|piece| cut_bytes(piece, MAX_CHUNK_BYTES)).collect()
}

fn cut_bytes(text: String, max: usize) -> Vec<String> {
    if text.len() <= max {
        return vec![text];
    }
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while rest.len() > max {
        let mut cut = max;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        // Prefer a space near the end, so words stay whole where there are any.
        if let Some(space) = rest[..cut].rfind(' ').filter(|&at| at > max / 2) {
            cut = space;
        }
        out.push(rest[..cut].trim().to_owned());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        out.push(rest.to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::extract::Format;
    use super::*;

    fn doc(blocks: Vec<(BlockKind, String, Option<u32>)>) -> Extracted {
        Extracted {
            format: Format::Markdown,
            title: Some("Guide".into()),
            blocks: blocks.into_iter().map(|(kind, text, page)| Block { kind, text, page }).collect(),
            pages: None,
            links: Vec::new(),
        }
    }

    fn para(words: usize, tag: &str) -> String {
        (0..words)
            .map(|i| {
                if i % 10 == 9 {
                    format!("{tag}{i}.")
                } else if i % 10 == 0 {
                    format!("W{tag}{i}")
                } else {
                    format!("{tag}{i}")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn every_section_keeps_its_own_heading_however_short() {
        let chunks = chunk(&doc(vec![
            (BlockKind::Heading(1), "Aurora lamp FAQ".into(), None),
            (BlockKind::Heading(2), "Shipping".into(), None),
            (BlockKind::Paragraph, "Delivery takes 3 days. It costs £4.95.".into(), None),
            (BlockKind::Heading(2), "Warranty".into(), None),
            (BlockKind::Paragraph, "Every Aurora lamp has a two-year warranty.".into(), None),
            (BlockKind::Heading(2), "Pairing the lamp".into(), None),
            (BlockKind::ListItem, "Hold the button for five seconds.".into(), None),
            (BlockKind::Heading(2), "Returns".into(), None),
            (BlockKind::Paragraph, "Send it back within 30 days.".into(), None),
        ]));
        let sections: Vec<(&str, &str)> =
            chunks.iter().map(|c| (c.heading_path.last().unwrap().as_str(), c.text.as_str())).collect();
        assert_eq!(
            sections,
            [
                ("Shipping", "Delivery takes 3 days. It costs £4.95."),
                ("Warranty", "Every Aurora lamp has a two-year warranty."),
                ("Pairing the lamp", "• Hold the button for five seconds."),
                ("Returns", "Send it back within 30 days."),
            ]
        );
        assert!(chunks.iter().all(|c| c.heading_path[0] == "Aurora lamp FAQ"));
    }

    #[test]
    fn long_sections_split_on_sentences_with_overlap() {
        let chunks = chunk(&doc(vec![
            (BlockKind::Heading(1), "Big".into(), None),
            (BlockKind::Paragraph, para(400, "a"), Some(3)),
        ]));
        assert!(chunks.len() >= 3, "{}", chunks.len());
        for c in &chunks {
            let words = c.text.split_whitespace().count();
            assert!(words <= MAX_WORDS, "{words}");
            assert!(c.text.ends_with('.'), "chunk ends mid-sentence: {}", c.text);
            assert_eq!(c.page, Some(3));
            assert_eq!(c.heading_path, ["Big"]);
        }
        // Consecutive chunks overlap: the next starts with the previous one's last sentences.
        let last_sentence = sentences(&chunks[0].text).pop().unwrap();
        let first_of_next = sentences(&chunks[1].text).remove(0);
        assert!(chunks[0].text.contains(&first_of_next) && chunks[1].text.contains(&last_sentence));
        // Nothing is lost.
        let all: String = chunks.iter().map(|c| c.text.as_str()).collect::<Vec<_>>().join(" ");
        assert!(all.contains("a399."));
        assert_eq!(chunks.iter().map(|c| c.ordinal).collect::<Vec<_>>(), (0..chunks.len() as u32).collect::<Vec<_>>());
    }

    #[test]
    fn what_a_chunk_carries_is_bounded_whatever_the_document_looks_like() {
        let huge = "Welcome ".repeat(12_500); // a 100 KB heading
        let mut blocks = vec![(BlockKind::Heading(1), huge, None)];
        for level in 2..=9 {
            blocks.push((BlockKind::Heading(level), format!("Level {level} ").repeat(50), None));
        }
        for i in 0..1_500 {
            blocks.push((BlockKind::Paragraph, format!("Paragraph {i} is short."), None));
        }
        blocks.push((BlockKind::Paragraph, "x".repeat(50_000), None)); // no space to cut at
        blocks.push((BlockKind::Paragraph, "日本語の文章".repeat(2_000), None));
        let chunks = chunk(&doc(blocks));
        for c in &chunks {
            assert!(c.text.len() <= MAX_CHUNK_BYTES, "{} bytes of text", c.text.len());
            assert!(c.heading_path.len() <= MAX_PATH_DEPTH, "{:?}", c.heading_path);
            assert!(c.heading_path.iter().all(|h| h.chars().count() <= MAX_HEADING_CHARS + 1), "{:?}", c.heading_path);
        }
        let text: usize = chunks.iter().map(|c| c.text.len()).sum();
        let path: usize = chunks.iter().flat_map(|c| &c.heading_path).map(String::len).sum();
        assert!(path < 4 * text, "headings cost {path} bytes for {text} of text");
        assert!(chunks.iter().any(|c| c.text.contains("Paragraph 1499 is short.")), "nothing is lost");
        assert_eq!(heading_text("  Two-step\n verification "), "Two-step verification");
    }

    #[test]
    fn chunking_stops_past_a_limit() {
        let blocks = (0..400).map(|i| (BlockKind::Paragraph, para(60, &format!("p{i}x")), None)).collect();
        let document = doc(blocks);
        let all = chunk(&document).len();
        assert!(all > 20, "{all}");
        assert_eq!(chunk_at_most(&document, all).unwrap().len(), all);
        let stopped = chunk_at_most(&document, 20).unwrap_err().0.len();
        assert!(stopped > 20 && stopped < 25, "chunking went on to {stopped} chunks past a limit of 20");
    }

    #[test]
    fn a_new_section_starts_a_new_chunk_without_overlap() {
        let chunks = chunk(&doc(vec![
            (BlockKind::Heading(1), "One".into(), Some(1)),
            (BlockKind::Paragraph, para(60, "b"), Some(1)),
            (BlockKind::Heading(2), "Two".into(), Some(2)),
            (BlockKind::Paragraph, "Short part two.".into(), Some(2)),
        ]));
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[1].heading_path, ["One", "Two"]);
        assert_eq!(chunks[1].page, Some(2));
        assert_eq!(chunks[1].text, "Short part two.");
    }
}
