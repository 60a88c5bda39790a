//! Markdown by its structure: headings, paragraphs, list items, table rows
//! ("Header: value; …") and code blocks.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::{Block, BlockKind, Extracted, Format};

/// Whether text reads as Markdown: two signals among headings, lists
/// (bulleted or numbered), code fences, tables, links, bold and emphasis. A
/// file that opens with an ATX heading (`# Title`) counts twice: a help
/// article is often just that title, paragraphs and a little **bold**.
pub fn looks_like_markdown(text: &str) -> bool {
    let mut lines = text.lines().map(str::trim_start).filter(|l| !l.is_empty()).take(200).peekable();
    let opens_with_heading = lines.peek().is_some_and(|l| is_atx_heading(l));
    let signals: usize = lines.map(markdown_signals).sum::<usize>() + usize::from(opens_with_heading);
    signals >= 2
}

fn is_atx_heading(line: &str) -> bool {
    let hashes = line.bytes().take_while(|&b| b == b'#').count();
    (1..=6).contains(&hashes) && line[hashes..].starts_with(' ')
}

/// How many kinds of Markdown a line shows: its own kind (heading, list
/// item, fence, table row), then links, bold and emphasis within it.
fn markdown_signals(line: &str) -> usize {
    let numbered = {
        let digits = line.bytes().take_while(u8::is_ascii_digit).count();
        digits > 0 && digits <= 3 && (line[digits..].starts_with(". ") || line[digits..].starts_with(") "))
    };
    let block = is_atx_heading(line)
        || numbered
        || line.starts_with("- ")
        || line.starts_with("* ")
        || line.starts_with("```")
        || line.starts_with("| ");
    [block, line.contains("]("), has_pair(line, "**") || has_pair(line, "__"), emphasised(line)]
        .into_iter()
        .filter(|&signal| signal)
        .count()
}

/// `marker` opens a word and closes later on the line: `**Save**`.
fn has_pair(line: &str, marker: &str) -> bool {
    line.match_indices(marker).any(|(at, _)| {
        let inner = &line[at + marker.len()..];
        inner.starts_with(|c: char| !c.is_whitespace() && !marker.starts_with(c))
            && inner.find(marker).is_some_and(|close| close > 0 && !inner[..close].ends_with(' '))
    })
}

/// `*word*` or `_word_` standing as a word of its own.
fn emphasised(line: &str) -> bool {
    line.split_whitespace().any(|word| {
        let word = word.trim_end_matches([',', '.', ';', ':', '!', '?', ')']);
        ['*', '_'].iter().any(|&m| {
            word.len() > 2 && word.starts_with(m) && word.ends_with(m) && !word[1..word.len() - 1].contains(m)
        })
    })
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
    fn a_help_article_with_one_heading_reads_as_markdown() {
        assert!(looks_like_markdown("# Two-step verification\n\nTurn it on in Settings.\n\nIt takes a minute."));
        assert!(looks_like_markdown("Two-step verification\n\nOpen **Settings** and choose *Security*."));
        assert!(looks_like_markdown("Steps\n\n1. Open Settings.\n2. Choose Security."));
        assert!(!looks_like_markdown("Just a note about 2 * 3 = 6.\nNothing special here, really."));
        assert!(!looks_like_markdown("#hashtag is not a heading\nand snake_case_names are not emphasis"));
        assert!(!looks_like_markdown("Price: 5 ** 2 is 25 and the total is **\n"));
    }

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
