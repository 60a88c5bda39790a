//! Structure-aware chunking: chunks follow headings, hold a few hundred
//! tokens, end on sentence boundaries where possible, overlap a little, and
//! remember what a citation needs (heading path and page).

use super::extract::{Block, BlockKind, Extracted};

/// all-MiniLM-L6-v2 reads at most 256 word pieces: about 190 English words.
pub const TARGET_WORDS: usize = 150;
const MAX_WORDS: usize = 190;
const OVERLAP_WORDS: usize = 30;
/// Below this a chunk keeps going past a heading rather than standing alone.
const MIN_WORDS: usize = 40;

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
        if self.words + words > MAX_WORDS.min(TARGET_WORDS + words / 2).max(TARGET_WORDS) && self.fresh {
            self.flush(true);
        }
        if self.sentences.is_empty() || !self.fresh {
            self.page = page.or(self.page);
            self.heading_path = path.to_vec();
        }
        self.words += words;
        self.sentences.push(sentence);
        self.fresh = true;
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
        let mut carried_words = 0;
        if overlap {
            for sentence in self.sentences.iter().rev() {
                let words = sentence.split_whitespace().count();
                if carried_words + words > OVERLAP_WORDS {
                    break;
                }
                carried_words += words;
                carried.push(sentence.clone());
            }
            carried.reverse();
        }
        self.sentences = carried;
        self.words = carried_words;
        self.fresh = false;
    }
}

pub fn chunk(doc: &Extracted) -> Vec<Chunk> {
    let mut builder = Builder::default();
    let mut path: Vec<(u8, String)> = Vec::new();
    for Block { kind, text, page } in &doc.blocks {
        match kind {
            BlockKind::Heading(level) => {
                if builder.words >= MIN_WORDS {
                    builder.flush(false);
                }
                path.retain(|(l, _)| l < level);
                path.push((*level, text.clone()));
                let names: Vec<String> = path.iter().map(|(_, t)| t.clone()).collect();
                // A heading inside a chunk stays part of its text.
                if builder.fresh {
                    builder.push(text.clone(), *page, &names);
                } else {
                    builder.heading_path = names;
                }
            }
            _ => {
                let names: Vec<String> = path.iter().map(|(_, t)| t.clone()).collect();
                let prefix = if *kind == BlockKind::ListItem { "• " } else { "" };
                for (i, sentence) in sentences(text).into_iter().enumerate() {
                    let sentence = if i == 0 { format!("{prefix}{sentence}") } else { sentence };
                    for piece in split_long(&sentence) {
                        builder.push(piece, *page, &names);
                    }
                }
            }
        }
    }
    builder.flush(false);
    builder.chunks
}

/// Splits after `.`, `!` or `?` followed by a space and a capital or digit.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for w in 0..chars.len() {
        let (i, c) = chars[w];
        if matches!(c, '.' | '!' | '?') {
            let next = chars.get(w + 1).map(|x| x.1);
            let after = chars.get(w + 2).map(|x| x.1);
            if next == Some(' ') && after.is_some_and(|a| a.is_uppercase() || a.is_ascii_digit() || a == '"') {
                let end = i + c.len_utf8();
                out.push(text[start..end].trim().to_owned());
                start = end;
            }
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest.to_owned());
    }
    out
}

/// A "sentence" longer than a chunk (a table dump, say) is cut by words.
fn split_long(sentence: &str) -> Vec<String> {
    let words: Vec<&str> = sentence.split_whitespace().collect();
    if words.len() <= MAX_WORDS {
        return vec![sentence.to_owned()];
    }
    words.chunks(TARGET_WORDS).map(|w| w.join(" ")).collect()
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
    fn short_sections_share_a_chunk_and_keep_their_path() {
        let chunks = chunk(&doc(vec![
            (BlockKind::Heading(1), "Returns".into(), None),
            (BlockKind::Paragraph, "Send it back within 30 days.".into(), None),
            (BlockKind::Heading(2), "Fees".into(), None),
            (BlockKind::ListItem, "Free for Pro plans.".into(), None),
        ]));
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].heading_path, ["Returns"]);
        assert_eq!(chunks[0].text, "Send it back within 30 days. Fees • Free for Pro plans.");
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
    fn a_new_section_after_enough_text_starts_a_new_chunk() {
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
