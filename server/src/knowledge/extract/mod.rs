//! Turning untrusted bytes into structured text. Everything here runs inside
//! the extraction worker process (`worker.rs`), never in the server, so a
//! parser that panics, overflows its stack or eats memory takes down only
//! the worker.

mod docx;
mod html;
pub mod markdown;
mod pdf;

pub use pdf::write_text_pdf as pdf_with_lines;
mod table;

use serde::{Deserialize, Serialize};

/// Formats we read. Decided by [`sniff`] from the bytes, never the file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Pdf,
    Docx,
    Html,
    Markdown,
    Csv,
    Text,
}

impl Format {
    pub fn label(self) -> &'static str {
        match self {
            Format::Pdf => "PDF",
            Format::Docx => "Word document",
            Format::Html => "Web page",
            Format::Markdown => "Markdown",
            Format::Csv => "CSV",
            Format::Text => "Text",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    Heading(u8),
    Paragraph,
    ListItem,
    TableRow,
    Code,
}

/// One structural unit of a document: a heading, a paragraph, a list item
/// or a table row rendered as text, with the page it came from (PDFs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub kind: BlockKind,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extracted {
    pub format: Format,
    pub title: Option<String>,
    pub blocks: Vec<Block>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<u32>,
    /// Links found in a web page (`href`s as written), for crawling.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
}

impl Extracted {
    pub fn word_count(&self) -> usize {
        self.blocks.iter().map(|b| b.text.split_whitespace().count()).sum()
    }
}

/// Why a file could not be read, in words the uploader understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ExtractError {
    #[error("this file type is not supported ({0}); upload PDF, Word (.docx), HTML, Markdown, CSV or plain text")]
    Unsupported(String),
    #[error("could not read this file: {0}")]
    Malformed(String),
    #[error("this file is too large once unpacked (over {0} MB of text)")]
    TooLarge(usize),
    #[error("no readable text was found in this file")]
    Empty,
    #[error("this holds more text than your plan has room for; remove other sources or upgrade")]
    NoRoom,
}

/// The most text (bytes) one file may unpack to. Bounds zip bombs and the
/// worker's output.
pub const MAX_TEXT_BYTES: usize = 32 * 1024 * 1024;

/// Decides the format from the content.
pub fn sniff(bytes: &[u8]) -> Result<Format, ExtractError> {
    let head = &bytes[..bytes.len().min(1024)];
    if head.starts_with(b"%PDF-") || find(head, b"%PDF-").is_some() {
        return Ok(Format::Pdf);
    }
    if head.starts_with(b"PK\x03\x04") {
        return if docx::is_docx(bytes) {
            Ok(Format::Docx)
        } else {
            Err(ExtractError::Unsupported("a zip archive that is not a Word document".into()))
        };
    }
    for (magic, name) in BINARY_MAGIC {
        if head.starts_with(magic) {
            return Err(ExtractError::Unsupported((*name).into()));
        }
    }
    let text = decode_text(bytes)?;
    Ok(sniff_text(&text))
}

const BINARY_MAGIC: &[(&[u8], &str)] = &[
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"RIFF", "a RIFF media file"),
    (b"\xd0\xcf\x11\xe0", "a legacy Office file; save it as .docx"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a program"),
    (b"{\\rtf", "an RTF document; save it as .docx"),
];

fn sniff_text(text: &str) -> Format {
    let start = text.trim_start().get(..512.min(text.trim_start().len())).unwrap_or("").to_ascii_lowercase();
    if start.starts_with("<!doctype html")
        || start.starts_with("<html")
        || start.starts_with("<head")
        || start.starts_with("<body")
    {
        return Format::Html;
    }
    if table::looks_like_csv(text) {
        return Format::Csv;
    }
    if markdown::looks_like_markdown(text) {
        return Format::Markdown;
    }
    Format::Text
}

/// Text files must be UTF-8 (a BOM is allowed) or UTF-16 with a BOM; a file
/// with NUL bytes is binary whatever its name says.
fn decode_text(bytes: &[u8]) -> Result<String, ExtractError> {
    if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        return decode_text(rest);
    }
    for (bom, little) in [(b"\xff\xfe", true), (b"\xfe\xff", false)] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            let units = rest.chunks_exact(2).map(|p| {
                if little {
                    u16::from_le_bytes([p[0], p[1]])
                } else {
                    u16::from_be_bytes([p[0], p[1]])
                }
            });
            return Ok(char::decode_utf16(units).map(|c| c.unwrap_or('\u{fffd}')).collect());
        }
    }
    if bytes.contains(&0) {
        return Err(ExtractError::Unsupported("a binary file".into()));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        // Latin-1 is the usual culprit; every byte maps to a char.
        Err(_) => Ok(bytes.iter().map(|&b| b as char).collect()),
    }
}

/// Sniffs and extracts. The one entry point the worker exposes.
pub fn extract(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let format = sniff(bytes)?;
    extract_as(format, bytes)
}

/// How a file is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// The format comes from the content.
    Sniffed,
    /// Bytes already known to be this format (a page whose `Content-Type` said HTML).
    As(Format),
    /// From the content, but text it leaves plain is read as Markdown: a
    /// file named `.md`, or declared `text/markdown`, is a fair hint between
    /// the parsers that read text. Bytes that are not text, HTML or CSV are
    /// never read as Markdown for it.
    PreferringMarkdown,
    /// From the content, but text is kept a line to a block (a résumé,
    /// whose lines are its structure: "SKILLS", then one line of them).
    Lines,
}

/// Reads `bytes` as `reading` says.
pub fn read(bytes: &[u8], reading: Reading) -> Result<Extracted, ExtractError> {
    match (reading, sniff(bytes)) {
        (Reading::As(format), _) => extract_as(format, bytes),
        (Reading::PreferringMarkdown, Ok(Format::Text)) => extract_as(Format::Markdown, bytes),
        (Reading::Lines, Ok(Format::Text | Format::Markdown)) => {
            let mut extracted = lines(&decode_text(bytes)?);
            tidy(&mut extracted);
            if extracted.blocks.is_empty() {
                return Err(ExtractError::Empty);
            }
            Ok(extracted)
        }
        (_, sniffed) => extract_as(sniffed?, bytes),
    }
}

/// Whether a file's name or declared type says Markdown.
pub fn named_markdown(file_name: &str, content_type: Option<&str>) -> bool {
    let lower = file_name.to_ascii_lowercase();
    [".md", ".markdown", ".mdown", ".mkd"].iter().any(|ext| lower.ends_with(ext))
        || content_type.is_some_and(|t| t.trim().to_ascii_lowercase().starts_with("text/markdown"))
}

/// Extracts bytes already known to be `format` (a fetched page whose
/// `Content-Type` said HTML, say).
pub fn extract_as(format: Format, bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let mut extracted = match format {
        Format::Pdf => pdf::extract(bytes)?,
        Format::Docx => docx::extract(bytes)?,
        Format::Html => html::extract(&decode_text(bytes)?),
        Format::Markdown => markdown::extract(&decode_text(bytes)?),
        Format::Csv => table::extract(&decode_text(bytes)?)?,
        Format::Text => plain_text(&decode_text(bytes)?),
    };
    tidy(&mut extracted);
    if extracted.blocks.is_empty() {
        return Err(ExtractError::Empty);
    }
    Ok(extracted)
}

/// Paragraphs are separated by blank lines; a short first line that stands
/// alone reads as the title, shown as clean text (no `#` marks).
fn plain_text(text: &str) -> Extracted {
    let mut blocks: Vec<Block> =
        text.split("\n\n").map(|p| Block { kind: BlockKind::Paragraph, text: p.to_owned(), page: None }).collect();
    let title = blocks
        .first()
        .map(|b| b.text.trim().trim_start_matches('#').trim().to_owned())
        .filter(|t| !t.is_empty() && !t.contains('\n') && t.len() <= 120);
    if let Some(title) = &title {
        blocks[0] = Block { kind: BlockKind::Heading(1), text: title.clone(), page: None };
    }
    Extracted { format: Format::Text, title, blocks, pages: None, links: Vec::new() }
}

/// A block per line; Markdown's `#` marks make headings.
fn lines(text: &str) -> Extracted {
    let blocks = text
        .lines()
        .map(|line| {
            let marks = line.chars().take_while(|c| *c == '#').count();
            let heading = (1..=6).contains(&marks) && line[marks..].starts_with(' ');
            let kind = if heading { BlockKind::Heading(marks as u8) } else { BlockKind::Paragraph };
            let text = if heading { &line[marks..] } else { line };
            Block { kind, text: text.to_owned(), page: None }
        })
        .collect();
    Extracted { format: Format::Text, title: None, blocks, pages: None, links: Vec::new() }
}

/// Collapses whitespace, strips control characters, drops empty blocks and
/// caps the total so that no document can balloon past `MAX_TEXT_BYTES`.
fn tidy(doc: &mut Extracted) {
    let mut total = 0usize;
    doc.blocks.retain_mut(|block| {
        block.text = normalise_space(&block.text, matches!(block.kind, BlockKind::Code));
        total += block.text.len();
        !block.text.is_empty() && total <= MAX_TEXT_BYTES
    });
    doc.title = doc
        .title
        .take()
        .map(|t| normalise_space(&t, false))
        .filter(|t| !t.is_empty())
        .map(|t| t.chars().take(200).collect());
}

pub fn normalise_space(text: &str, keep_lines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    let mut pending_newline = false;
    for c in text.chars() {
        if c == '\n' && keep_lines {
            pending_newline = true;
        } else if c.is_whitespace() {
            pending_space = true;
        } else if c.is_control() || ('\u{200b}'..='\u{200f}').contains(&c) || c == '\u{feff}' {
            continue;
        } else {
            if !out.is_empty() {
                if pending_newline {
                    out.push('\n');
                } else if pending_space {
                    out.push(' ');
                }
            }
            pending_space = false;
            pending_newline = false;
            out.push(c);
        }
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_the_format_not_the_name() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Ok(Format::Pdf));
        assert_eq!(sniff(b"<!DOCTYPE html><html><body><p>x</p></body></html>"), Ok(Format::Html));
        assert_eq!(sniff(b"# Title\n\nSome *text*.\n\n- a\n- b\n"), Ok(Format::Markdown));
        assert_eq!(sniff(b"name,price,days\nbox,3,2\nenvelope,1,1\nparcel,7,3\n"), Ok(Format::Csv));
        assert_eq!(sniff(b"Just a note.\nNothing special here, really."), Ok(Format::Text));
        assert!(matches!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0"), Err(ExtractError::Unsupported(_))));
        assert!(matches!(sniff(b"abc\0def"), Err(ExtractError::Unsupported(_))));
    }

    #[test]
    fn a_markdown_name_chooses_between_text_parsers_only() {
        let article = b"Two-step verification\n\nTurn it on in Settings.";
        assert_eq!(extract(article).unwrap().format, Format::Text);
        assert_eq!(read(article, Reading::PreferringMarkdown).unwrap().format, Format::Markdown);
        let html = b"<!DOCTYPE html><html><body><h1>Hi</h1><p>x</p></body></html>";
        assert_eq!(read(html, Reading::PreferringMarkdown).unwrap().format, Format::Html);
        let png = b"\x89PNG\r\n\x1a\n\0";
        assert!(matches!(read(png, Reading::PreferringMarkdown), Err(ExtractError::Unsupported(_))));
        assert!(named_markdown("Help/2FA.MD", None) && named_markdown("notes", Some("text/markdown; charset=utf-8")));
        assert!(!named_markdown("notes.txt", Some("text/plain")));
        assert_eq!(extract(b"# Plain title\n\nJust text.").unwrap().title.as_deref(), Some("Plain title"));
    }

    #[test]
    fn text_keeps_paragraphs_and_strips_controls() {
        let doc = extract(b"Shipping guide\n\nLabels print\x07 in   4x6.\n\nReturns take 5 days.").unwrap();
        assert_eq!(doc.title.as_deref(), Some("Shipping guide"));
        let texts: Vec<_> = doc.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, ["Shipping guide", "Labels print in 4x6.", "Returns take 5 days."]);
    }

    #[test]
    fn utf16_and_latin1_are_decoded() {
        let utf16: Vec<u8> =
            [0xff, 0xfe].into_iter().chain("Hé there".encode_utf16().flat_map(|u| u.to_le_bytes())).collect();
        assert_eq!(extract(&utf16).unwrap().blocks[0].text, "Hé there");
        assert_eq!(extract(b"caf\xe9 au lait").unwrap().blocks[0].text, "café au lait");
    }

    #[test]
    fn empty_text_is_a_clear_error() {
        assert_eq!(extract(b"   \n\n  "), Err(ExtractError::Empty));
    }
}
