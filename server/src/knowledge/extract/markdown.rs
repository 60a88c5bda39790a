//! Markdown by its structure: headings, paragraphs, list items, table rows
//! ("Header: value; …") and code blocks.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::{Block, BlockKind, Extracted, Format};

pub fn looks_like_markdown(text: &str) -> bool {
    let signals = text
        .lines()
        .take(200)
        .filter(|l| {
            let l = l.trim_start();
            l.starts_with("# ")
                || l.starts_with("## ")
                || l.starts_with("- ")
                || l.starts_with("* ")
                || l.starts_with("```")
                || l.starts_with("| ")
                || l.contains("](")
        })
        .count();
    signals >= 2
}

pub fn extract(text: &str) -> Extracted {
    let mut blocks = Vec::new();
    let mut current: Option<(BlockKind, String)> = None;
    let mut table_header: Vec<String> = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut in_head = false;
    let mut cell = String::new();
    let mut in_cell = false;
    let mut list_depth = 0usize;

    for event in Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                current = Some((BlockKind::Heading(heading_level(level)), String::new()))
            }
            Event::Start(Tag::Paragraph) if list_depth == 0 => current = Some((BlockKind::Paragraph, String::new())),
            Event::Start(Tag::Item) => {
                flush(&mut blocks, &mut current);
                current = Some((BlockKind::ListItem, String::new()));
            }
            Event::Start(Tag::List(_)) => {
                flush(&mut blocks, &mut current);
                list_depth += 1;
            }
            Event::End(TagEnd::List(_)) => {
                flush(&mut blocks, &mut current);
                list_depth = list_depth.saturating_sub(1);
            }
            Event::Start(Tag::CodeBlock(_)) => current = Some((BlockKind::Code, String::new())),
            Event::Start(Tag::TableHead) => in_head = true,
            Event::End(TagEnd::TableHead) => {
                in_head = false;
                table_header = std::mem::take(&mut row);
            }
            Event::Start(Tag::TableCell) => {
                in_cell = true;
                cell.clear();
            }
            Event::End(TagEnd::TableCell) => {
                in_cell = false;
                row.push(cell.trim().to_owned());
            }
            Event::End(TagEnd::TableRow) if !in_head => {
                blocks.push(Block {
                    kind: BlockKind::TableRow,
                    text: super::table::row_text(&table_header, &row),
                    page: None,
                });
                row.clear();
            }
            Event::End(TagEnd::Table) => table_header.clear(),
            Event::End(TagEnd::Heading(_) | TagEnd::Paragraph | TagEnd::Item | TagEnd::CodeBlock) => {
                flush(&mut blocks, &mut current)
            }
            Event::Text(t) | Event::Code(t) => {
                if in_cell {
                    cell.push_str(&t);
                } else if let Some((_, buf)) = current.as_mut() {
                    buf.push_str(&t);
                } else {
                    current = Some((BlockKind::Paragraph, t.to_string()));
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some((kind, buf)) = current.as_mut() {
                    buf.push(if *kind == BlockKind::Code { '\n' } else { ' ' });
                }
            }
            _ => {}
        }
    }
    flush(&mut blocks, &mut current);
    let title = blocks.iter().find(|b| b.kind == BlockKind::Heading(1)).map(|b| b.text.clone());
    Extracted { format: Format::Markdown, title, blocks, pages: None, links: Vec::new() }
}

fn flush(blocks: &mut Vec<Block>, current: &mut Option<(BlockKind, String)>) {
    if let Some((kind, text)) = current.take() {
        if !text.trim().is_empty() {
            blocks.push(Block { kind, text, page: None });
        }
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_headings_lists_and_tables() {
        let doc = extract("# Returns\n\nSend it back.\n\n## Fees\n\n- Free within 30 days\n- Then $5\n\n| Plan | Price |\n|---|---|\n| Pro | $29 |\n");
        assert_eq!(doc.title.as_deref(), Some("Returns"));
        let got: Vec<_> = doc.blocks.iter().map(|b| (b.kind.clone(), b.text.as_str())).collect();
        assert_eq!(
            got,
            [
                (BlockKind::Heading(1), "Returns"),
                (BlockKind::Paragraph, "Send it back."),
                (BlockKind::Heading(2), "Fees"),
                (BlockKind::ListItem, "Free within 30 days"),
                (BlockKind::ListItem, "Then $5"),
                (BlockKind::TableRow, "Plan: Pro; Price: $29"),
            ]
        );
    }
}
