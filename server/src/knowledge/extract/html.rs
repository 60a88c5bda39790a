//! HTML through html5ever's tokenizer: the page's text by structure, without
//! navigation, scripts, styles or forms.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};

use super::{Block, BlockKind, Extracted, Format};

/// Elements whose content is never the page's text.
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "nav", "footer", "header", "aside", "form", "button", "select",
    "iframe", "head",
];
/// Links kept per page, nav included: a crawl needs the menu's links.
const MAX_LINKS: usize = 2_000;
/// Elements whose content is raw text to the tokenizer.
const RAW: &[&str] = &["script", "style", "noscript", "template", "iframe"];

pub fn extract(html: &str) -> Extracted {
    let sink = Sink::default();
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let mut state = tokenizer.sink.state.into_inner();
    state.flush();
    let title = state.title.trim().to_owned();
    let title = if title.is_empty() {
        state.blocks.iter().find(|b| b.kind == BlockKind::Heading(1)).map(|b| b.text.clone())
    } else {
        Some(title)
    };
    Extracted { format: Format::Html, title, blocks: state.blocks, pages: None, links: state.links }
}

#[derive(Default)]
struct Sink {
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    blocks: Vec<Block>,
    kind: Option<BlockKind>,
    text: String,
    skip_depth: usize,
    in_title: bool,
    title: String,
    header: Vec<String>,
    row: Vec<String>,
    row_is_header: bool,
    cell: Option<String>,
    links: Vec<String>,
}

impl State {
    fn flush(&mut self) {
        let text = std::mem::take(&mut self.text);
        if !text.trim().is_empty() {
            let kind = self.kind.clone().unwrap_or(BlockKind::Paragraph);
            self.blocks.push(Block { kind, text, page: None });
        }
        self.kind = None;
    }

    fn tag(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        let start = tag.kind == TagKind::StartTag;
        if SKIPPED.contains(&name) {
            if start && !tag.self_closing {
                self.skip_depth += 1;
                if RAW.contains(&name) {
                    return TokenSinkResult::RawData(if name == "script" {
                        RawKind::ScriptData
                    } else {
                        RawKind::Rawtext
                    });
                }
            } else if !start {
                self.skip_depth = self.skip_depth.saturating_sub(1);
            }
            return TokenSinkResult::Continue;
        }
        if name == "title" {
            self.in_title = start;
            return if start { TokenSinkResult::RawData(RawKind::Rcdata) } else { TokenSinkResult::Continue };
        }
        if name == "a" && start && self.links.len() < MAX_LINKS {
            if let Some(href) = tag.attrs.iter().find(|a| &*a.name.local == "href") {
                self.links.push(href.value.to_string());
            }
        }
        if self.skip_depth > 0 {
            return TokenSinkResult::Continue;
        }
        match (name, start) {
            ("br", _) => self.text.push(' '),
            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6", true) => {
                self.flush();
                self.kind = Some(BlockKind::Heading(name.as_bytes()[1] - b'0'));
            }
            ("li" | "dt" | "dd", true) => {
                self.flush();
                self.kind = Some(BlockKind::ListItem);
            }
            ("pre", true) => {
                self.flush();
                self.kind = Some(BlockKind::Code);
            }
            ("tr", true) => {
                self.flush();
                self.row.clear();
                self.row_is_header = true;
            }
            ("td" | "th", true) => {
                self.row_is_header &= name == "th";
                self.cell = Some(String::new());
            }
            ("td" | "th", false) => {
                if let Some(cell) = self.cell.take() {
                    self.row.push(super::normalise_space(&cell, false));
                }
            }
            ("tr", false) => {
                let row = std::mem::take(&mut self.row);
                if self.row_is_header && self.header.is_empty() {
                    self.header = row;
                } else if row.iter().any(|c| !c.is_empty()) {
                    self.blocks.push(Block {
                        kind: BlockKind::TableRow,
                        text: super::table::row_text(&self.header, &row),
                        page: None,
                    });
                }
            }
            ("table", false) => self.header.clear(),
            (
                "p" | "div" | "section" | "article" | "main" | "blockquote" | "ul" | "ol" | "dl" | "table" | "figure"
                | "figcaption",
                _,
            )
            | ("h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "li" | "dt" | "dd" | "pre", false) => self.flush(),
            _ => {}
        }
        TokenSinkResult::Continue
    }

    fn characters(&mut self, text: &str) {
        if self.in_title {
            self.title.push_str(text);
        } else if self.skip_depth > 0 {
        } else if let Some(cell) = self.cell.as_mut() {
            cell.push_str(text);
        } else {
            self.text.push_str(text);
        }
    }
}

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut state = self.state.borrow_mut();
        match token {
            Token::TagToken(tag) => state.tag(&tag),
            Token::CharacterTokens(text) => {
                state.characters(&text);
                TokenSinkResult::Continue
            }
            _ => TokenSinkResult::Continue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_content_and_drops_chrome() {
        let doc = extract(
            "<!doctype html><html><head><title>Returns &amp; refunds</title><style>p{color:red}</style></head>\
             <body><nav><a href=/>Home</a></nav><h1>Returns</h1><p>Send it <b>back</b> within 30&nbsp;days.</p>\
             <script>var p = '<p>not text</p>';</script><ul><li>Free</li><li>Tracked</li></ul>\
             <table><tr><th>Plan</th><th>Fee</th></tr><tr><td>Pro</td><td>$0</td></tr></table><footer>© Parcelly</footer></body></html>",
        );
        assert_eq!(doc.title.as_deref(), Some("Returns & refunds"));
        let got: Vec<_> = doc.blocks.iter().map(|b| (b.kind.clone(), b.text.as_str())).collect();
        assert_eq!(
            got,
            [
                (BlockKind::Heading(1), "Returns"),
                (BlockKind::Paragraph, "Send it back within 30\u{a0}days."),
                (BlockKind::ListItem, "Free"),
                (BlockKind::ListItem, "Tracked"),
                (BlockKind::TableRow, "Plan: Pro; Fee: $0"),
            ]
        );
    }
}
