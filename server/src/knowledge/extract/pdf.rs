//! PDFs with lopdf: text page by page (page numbers kept for citations),
//! lines regrouped into paragraphs, short title-like lines kept as headings.

use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, Stream};

use super::{Block, BlockKind, ExtractError, Extracted, Format, MAX_TEXT_BYTES};

/// The most pages read from one PDF.
pub const MAX_PAGES: usize = 2_000;

pub fn extract(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    // A PDF ends with %%EOF; without it the file was cut off, and whatever
    // lopdf could salvage would silently miss the rest.
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if super::find(tail, b"%%EOF").is_none() {
        return Err(ExtractError::Malformed(
            "the PDF is incomplete: it seems to have been cut off while uploading or saving".into(),
        ));
    }
    let document = Document::load_mem(bytes)
        .map_err(|e| ExtractError::Malformed(format!("the PDF is damaged or incomplete ({e})")))?;
    if document.is_encrypted() {
        return Err(ExtractError::Malformed("the PDF is password-protected".into()));
    }
    let pages = document.get_pages();
    if pages.len() > MAX_PAGES {
        return Err(ExtractError::Malformed(format!("the PDF has {} pages; the limit is {MAX_PAGES}", pages.len())));
    }
    let mut blocks = Vec::new();
    let mut total = 0usize;
    let mut unreadable = 0usize;
    for &number in pages.keys() {
        let text = match document.extract_text_with_limit(&[number], MAX_TEXT_BYTES) {
            Ok(text) => text,
            // One bad page should not cost the rest of the document.
            Err(_) => {
                unreadable += 1;
                continue;
            }
        };
        total += text.len();
        if total > MAX_TEXT_BYTES {
            return Err(ExtractError::TooLarge(MAX_TEXT_BYTES / (1024 * 1024)));
        }
        blocks.extend(page_blocks(&text, number));
    }
    if blocks.is_empty() && unreadable > 0 {
        return Err(ExtractError::Malformed("none of the PDF's pages could be read".into()));
    }
    let title = info_title(&document)
        .or_else(|| blocks.iter().find(|b| matches!(b.kind, BlockKind::Heading(_))).map(|b| b.text.clone()));
    Ok(Extracted { format: Format::Pdf, title, blocks, pages: Some(pages.len() as u32), links: Vec::new() })
}

/// Regroups a page's lines: blank lines and heading-like lines end a
/// paragraph; other lines join the one in progress.
fn page_blocks(text: &str, page: u32) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut paragraph = String::new();
    let flush = |paragraph: &mut String, blocks: &mut Vec<Block>| {
        if !paragraph.trim().is_empty() {
            blocks.push(Block { kind: BlockKind::Paragraph, text: std::mem::take(paragraph), page: Some(page) });
        }
        paragraph.clear();
    };
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            flush(&mut paragraph, &mut blocks);
        } else if looks_like_heading(line) && paragraph.is_empty() {
            blocks.push(Block { kind: BlockKind::Heading(2), text: line.to_owned(), page: Some(page) });
        } else if let Some(item) = line.strip_prefix("• ").or_else(|| line.strip_prefix("- ")) {
            flush(&mut paragraph, &mut blocks);
            blocks.push(Block { kind: BlockKind::ListItem, text: item.to_owned(), page: Some(page) });
        } else {
            if !paragraph.is_empty() {
                paragraph.push(' ');
            }
            paragraph.push_str(line);
            if line.ends_with(['.', '!', '?', ':']) && line.len() < 60 {
                flush(&mut paragraph, &mut blocks);
            }
        }
    }
    flush(&mut paragraph, &mut blocks);
    blocks
}

fn looks_like_heading(line: &str) -> bool {
    let words = line.split_whitespace().count();
    (1..=10).contains(&words)
        && line.len() <= 80
        && !line.ends_with(['.', ',', ';', ':', '!', '?'])
        && line.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
        && !line.chars().all(|c| c.is_ascii_digit() || c.is_whitespace())
}

fn info_title(document: &Document) -> Option<String> {
    let info = match document.trailer.get(b"Info").ok()? {
        Object::Reference(id) => document.get_object(*id).ok()?,
        other => other,
    };
    match info.as_dict().ok()?.get(b"Title").ok()? {
        Object::String(bytes, _) => Some(pdf_text_string(bytes)).filter(|t| !t.trim().is_empty()),
        _ => None,
    }
}

/// PDF text strings are UTF-16BE with a BOM, or PDFDocEncoding (close
/// enough to Latin-1 for titles).
fn pdf_text_string(bytes: &[u8]) -> String {
    match bytes.strip_prefix(b"\xfe\xff") {
        Some(utf16) => char::decode_utf16(utf16.chunks_exact(2).map(|p| u16::from_be_bytes([p[0], p[1]])))
            .map(|c| c.unwrap_or('\u{fffd}'))
            .collect(),
        None => bytes.iter().map(|&b| b as char).collect(),
    }
}

/// A real PDF with one text line per entry on each page: fixtures for the
/// tests and benchmarks (a large document on demand), never user data.
#[doc(hidden)]
pub fn write_text_pdf(title: &str, pages: &[Vec<String>]) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let mut kids = Vec::new();
    for lines in pages {
        let mut operations = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 11.into()]),
            Operation::new("TL", vec![14.into()]),
            Operation::new("Td", vec![50.into(), 780.into()]),
        ];
        for line in lines {
            operations.push(Operation::new("Tj", vec![Object::string_literal(line.as_str())]));
            operations.push(Operation::new("T*", vec![]));
        }
        operations.push(Operation::new("ET", vec![]));
        let content = Content { operations };
        let content_id = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
        kids.push(
            doc.add_object(dictionary! { "Type" => "Page", "Parent" => pages_id, "Contents" => content_id }).into(),
        );
    }
    let count = kids.len() as i64;
    doc.objects.insert(pages_id, Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count, "Resources" => resources_id, "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()] }));
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    let info_id = doc.add_object(dictionary! { "Title" => Object::string_literal(title) });
    doc.trailer.set("Root", catalog_id);
    doc.trailer.set("Info", info_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[cfg(test)]
pub mod tests {
    use super::*;

    #[test]
    fn keeps_pages_and_title() {
        let bytes = write_text_pdf(
            "Warehouse guide",
            &[
                vec!["Receiving stock".into(), "Scan every pallet on arrival.".into()],
                vec!["Count each bin weekly.".into()],
            ],
        );
        let doc = extract(&bytes).unwrap();
        assert_eq!(doc.title.as_deref(), Some("Warehouse guide"));
        assert_eq!(doc.pages, Some(2));
        let last = doc.blocks.last().unwrap();
        assert!(last.text.contains("Count each bin weekly."), "{:?}", doc.blocks);
        assert_eq!(last.page, Some(2));
        assert!(
            doc.blocks
                .iter()
                .any(|b| b.kind == BlockKind::Heading(2) && b.text == "Receiving stock" && b.page == Some(1)),
            "{:?}",
            doc.blocks
        );
    }

    #[test]
    fn truncated_pdf_is_a_clear_error() {
        let bytes = write_text_pdf("x", &[vec!["Hello there.".into()]]);
        assert!(extract(&bytes[..bytes.len() / 2]).is_err());
    }
}
