//! Word documents: `word/document.xml` read as a stream of paragraphs (with
//! their heading level or list membership) and tables, never inflated past
//! a fixed size, so a zip bomb costs a bounded read and a clear error.

use std::io::{Cursor, Read};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::{Block, BlockKind, ExtractError, Extracted, Format, MAX_TEXT_BYTES};

/// XML is wordier than its text; allow that much more before giving up.
const MAX_XML_BYTES: usize = 4 * MAX_TEXT_BYTES;

pub fn is_docx(bytes: &[u8]) -> bool {
    zip::ZipArchive::new(Cursor::new(bytes)).is_ok_and(|mut z| z.by_name("word/document.xml").is_ok())
}

pub fn extract(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ExtractError::Malformed(format!("not a valid Word file ({e})")))?;
    let document = read_entry(&mut archive, "word/document.xml")?
        .ok_or_else(|| ExtractError::Malformed("the Word file has no document body".into()))?;
    let title = read_entry(&mut archive, "docProps/core.xml").ok().flatten().and_then(|core| core_title(&core));
    let blocks = body_blocks(&document)?;
    let title =
        title.or_else(|| blocks.iter().find(|b| matches!(b.kind, BlockKind::Heading(_))).map(|b| b.text.clone()));
    Ok(Extracted { format: Format::Docx, title, blocks, pages: None, links: Vec::new() })
}

fn read_entry(archive: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Result<Option<String>, ExtractError> {
    let entry = match archive.by_name(name) {
        Ok(entry) => entry,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(ExtractError::Malformed(format!("the Word file is damaged ({e})"))),
    };
    let mut xml = Vec::new();
    entry
        .take(MAX_XML_BYTES as u64 + 1)
        .read_to_end(&mut xml)
        .map_err(|e| ExtractError::Malformed(format!("the Word file is damaged ({e})")))?;
    if xml.len() > MAX_XML_BYTES {
        return Err(ExtractError::TooLarge(MAX_TEXT_BYTES / (1024 * 1024)));
    }
    String::from_utf8(xml).map(Some).map_err(|_| ExtractError::Malformed("the Word file's text is not UTF-8".into()))
}

fn core_title(core: &str) -> Option<String> {
    let mut reader = Reader::from_str(core);
    let mut in_title = false;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) if e.local_name().as_ref() == b"title" => in_title = true,
            Event::Text(t) if in_title => {
                return t.decode().ok().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

#[derive(Default)]
struct Body {
    blocks: Vec<Block>,
    paragraph: String,
    kind: Option<BlockKind>,
    in_text: bool,
    table_depth: usize,
    cell: String,
    row: Vec<String>,
    header: Option<Vec<String>>,
}

fn body_blocks(xml: &str) -> Result<Vec<Block>, ExtractError> {
    let mut reader = Reader::from_str(xml);
    let mut body = Body::default();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| ExtractError::Malformed(format!("the Word file's XML is invalid ({e})")))?;
        match event {
            Event::Start(e) => body.start(&e),
            Event::Empty(e) => body.empty(&e),
            Event::End(e) => body.end(e.local_name().as_ref()),
            Event::Text(t) if body.in_text => body.paragraph.push_str(&t.decode().unwrap_or_default()),
            Event::GeneralRef(r) if body.in_text => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    body.paragraph.push(c);
                } else {
                    body.paragraph.push_str(match r.decode().unwrap_or_default().as_ref() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(body.blocks)
}

impl Body {
    fn start(&mut self, e: &BytesStart) {
        match e.local_name().as_ref() {
            b"p" => {
                self.paragraph.clear();
                self.kind = None;
            }
            b"t" => self.in_text = true,
            b"tbl" => {
                self.table_depth += 1;
                if self.table_depth == 1 {
                    self.header = None;
                }
            }
            b"tr" if self.table_depth == 1 => self.row.clear(),
            b"tc" if self.table_depth == 1 => self.cell.clear(),
            _ => self.empty(e),
        }
    }

    /// Self-closing elements that matter: tabs, breaks, and the paragraph
    /// properties that make it a heading or a list item.
    fn empty(&mut self, e: &BytesStart) {
        match e.local_name().as_ref() {
            b"tab" => self.paragraph.push(' '),
            b"br" | b"cr" => self.paragraph.push(' '),
            b"pStyle" => {
                let style = attribute(e, "w:val").unwrap_or_default().to_ascii_lowercase();
                self.kind = if style == "title" {
                    Some(BlockKind::Heading(1))
                } else if let Some(level) = style.strip_prefix("heading").and_then(|n| n.trim().parse::<u8>().ok()) {
                    Some(BlockKind::Heading(level.clamp(1, 6)))
                } else if style.starts_with("list") {
                    Some(BlockKind::ListItem)
                } else {
                    self.kind.clone()
                };
            }
            b"numPr" if self.kind.is_none() => self.kind = Some(BlockKind::ListItem),
            _ => {}
        }
    }

    fn end(&mut self, name: &[u8]) {
        match name {
            b"t" => self.in_text = false,
            b"p" => {
                let text = std::mem::take(&mut self.paragraph);
                if self.table_depth > 0 {
                    if !self.cell.is_empty() {
                        self.cell.push(' ');
                    }
                    self.cell.push_str(text.trim());
                } else if !text.trim().is_empty() {
                    self.blocks.push(Block {
                        kind: self.kind.take().unwrap_or(BlockKind::Paragraph),
                        text,
                        page: None,
                    });
                }
            }
            b"tc" if self.table_depth == 1 => self.row.push(std::mem::take(&mut self.cell)),
            b"tr" if self.table_depth == 1 => {
                let row = std::mem::take(&mut self.row);
                match &self.header {
                    None => self.header = Some(row),
                    Some(header) => self.blocks.push(Block {
                        kind: BlockKind::TableRow,
                        text: super::table::row_text(header, &row),
                        page: None,
                    }),
                }
            }
            b"tbl" => {
                self.table_depth = self.table_depth.saturating_sub(1);
                // A one-row table has no header to speak of: keep its cells.
                if self.table_depth == 0 && self.blocks.last().is_none_or(|b| b.kind != BlockKind::TableRow) {
                    if let Some(row) = self.header.take().filter(|r| r.iter().any(|c| !c.is_empty())) {
                        self.blocks.push(Block {
                            kind: BlockKind::TableRow,
                            text: super::table::row_text(&[], &row),
                            page: None,
                        });
                    }
                }
            }
            _ => {}
        }
    }
}

fn attribute(e: &BytesStart, name: &str) -> Option<String> {
    e.try_get_attribute(name).ok().flatten().map(|a| String::from_utf8_lossy(&a.value).into_owned())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    pub fn docx(document_xml: &str) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("[Content_Types].xml", options).unwrap();
        zip.write_all(b"<Types/>").unwrap();
        zip.start_file("word/document.xml", options).unwrap();
        zip.write_all(document_xml.as_bytes()).unwrap();
        zip.finish().unwrap();
        out.into_inner()
    }

    #[test]
    fn reads_headings_lists_and_tables() {
        let xml = r#"<w:document xmlns:w="w"><w:body>
            <w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Customs &amp; duties</w:t></w:r></w:p>
            <w:p><w:r><w:t xml:space="preserve">Declare </w:t></w:r><w:r><w:t>everything.</w:t></w:r></w:p>
            <w:p><w:pPr><w:numPr><w:ilvl w:val="0"/></w:numPr></w:pPr><w:r><w:t>Invoices</w:t></w:r></w:p>
            <w:tbl><w:tr><w:tc><w:p><w:r><w:t>Country</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Limit</w:t></w:r></w:p></w:tc></w:tr>
            <w:tr><w:tc><w:p><w:r><w:t>UK</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>£135</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
            </w:body></w:document>"#;
        let doc = extract(&docx(xml)).unwrap();
        assert_eq!(doc.title.as_deref(), Some("Customs & duties"));
        let got: Vec<_> = doc.blocks.iter().map(|b| (b.kind.clone(), b.text.as_str())).collect();
        assert_eq!(
            got,
            [
                (BlockKind::Heading(1), "Customs & duties"),
                (BlockKind::Paragraph, "Declare everything."),
                (BlockKind::ListItem, "Invoices"),
                (BlockKind::TableRow, "Country: UK; Limit: £135"),
            ]
        );
    }

    #[test]
    fn a_zip_that_is_not_word_is_refused() {
        assert!(matches!(extract(b"PK\x03\x04garbage"), Err(ExtractError::Malformed(_))));
    }
}
