//! Answers are plain text, and the widget only ever sets `textContent`; this
//! is the second wall. Whatever a model (or a poisoned document) writes,
//! what is stored and sent has no HTML, no images from other hosts, and no
//! links but `http(s)`.

/// Elements whose content is code or styling, dropped with their content.
const DROPPED_ELEMENTS: [&str; 4] = ["script", "style", "iframe", "object"];

pub fn make_safe(text: &str) -> String {
    let text = drop_elements(text);
    let text = strip_tags(&text);
    rewrite_markdown(&text)
}

fn drop_elements(text: &str) -> String {
    let mut out = text.to_string();
    for name in DROPPED_ELEMENTS {
        let (open, close) = (format!("<{name}"), format!("</{name}"));
        while let Some(start) = find_ignoring_ascii_case(&out, &open, 0) {
            let end = match find_ignoring_ascii_case(&out, &close, start) {
                Some(at) => out[at..].find('>').map_or(out.len(), |gt| at + gt + 1),
                None => out.len(),
            };
            out.replace_range(start..end, "");
        }
    }
    out
}

/// Where the ASCII `needle` first occurs in `haystack` at or after `from`,
/// ignoring ASCII case. Offsets stay those of `haystack` itself (lower-casing
/// first would shift them for text like "İ"), and always fall on character
/// boundaries because the needle starts and ends with ASCII.
/// Streamed replies are searched many times a second, so candidates are
/// found by their first character (memchr for `<`) before comparing.
pub fn find_ignoring_ascii_case(haystack: &str, needle: &str, from: usize) -> Option<usize> {
    let first = char::from(*needle.as_bytes().first()?);
    debug_assert!(first.is_ascii(), "the needle starts with ASCII");
    let mut at = from;
    loop {
        let rest = haystack.get(at..)?;
        let offset = if first.is_ascii_alphabetic() {
            rest.find(|c: char| c.eq_ignore_ascii_case(&first))
        } else {
            rest.find(first)
        };
        let candidate = at + offset?;
        let found = haystack.as_bytes().get(candidate..candidate + needle.len())?;
        if found.eq_ignore_ascii_case(needle.as_bytes()) {
            return Some(candidate);
        }
        // The first character is ASCII, so one byte on is a character boundary.
        at = candidate + 1;
    }
}

/// Removes anything that looks like a tag (`<a …>`, `</b>`, `<img …/>`),
/// keeping comparisons such as "a < b" readable.
fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let looks_like_tag = after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!');
        match after.find('>') {
            Some(end) if looks_like_tag => rest = &after[end + 1..],
            _ => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `![alt](url)` becomes its alt text; `[text](url)` becomes "text (url)"
/// for `http(s)` links and just "text" for any other scheme.
fn rewrite_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let image = open > 0 && rest[..open].ends_with('!');
        out.push_str(&rest[..if image { open - 1 } else { open }]);
        let after = &rest[open + 1..];
        let parsed = after.find("](").and_then(|close| {
            let label = &after[..close];
            let target = &after[close + 2..];
            let end = closing_paren(target)?;
            (!label.contains('[')).then(|| (label, target[..end].trim(), close + 2 + end + 1))
        });
        match parsed {
            Some((label, url, consumed)) => {
                if image {
                    out.push_str(label);
                } else if is_web_link(url) {
                    out.push_str(&format!("{label} ({url})"));
                } else {
                    out.push_str(label);
                }
                rest = &after[consumed..];
            }
            None => {
                if image {
                    out.push('!');
                }
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Where a link target ends: the `)` that balances the opening one, so
/// `javascript:alert(1)` is read whole.
fn closing_paren(target: &str) -> Option<usize> {
    let mut depth = 0;
    for (i, c) in target.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return Some(i),
            ')' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// How much of a reply still being written is safe for good: the longest
/// prefix, ending after whitespace, that no text to come can read
/// differently. It stops before the first tag-like `<` (what follows may
/// close it) and before any `[` that is still undecided: a link must close
/// inside the prefix, and a literal `[` needs another `[` before any `](`.
/// Whatever follows, `make_safe` of the whole is `make_safe` of that prefix
/// followed by `make_safe` of the rest, so a stream need only look again at
/// what comes after it.
pub fn settled_len(text: &str) -> usize {
    // Tags are removed before links are read, so only text before the first
    // one is known for sure.
    let known = &text[..tag_like_start(text).unwrap_or(text.len())];
    let mut end = known.len();
    loop {
        let cut = after_last_whitespace(&known[..end]).unwrap_or(0);
        match first_unsettled_bracket(known, cut) {
            Some(at) => end = at,
            None => return cut,
        }
    }
}

/// Where the text after its last whitespace character begins.
pub fn after_last_whitespace(text: &str) -> Option<usize> {
    let at = text.rfind(char::is_whitespace)?;
    Some(at + text[at..].chars().next().map_or(1, char::len_utf8))
}

/// The first `<` that [`strip_tags`] could read as a tag (or that ends the
/// text, so nobody knows yet).
fn tag_like_start(text: &str) -> Option<usize> {
    text.match_indices('<')
        .map(|(at, _)| at)
        .find(|&at| text[at + 1..].chars().next().is_none_or(|c| c.is_ascii_alphabetic() || c == '/' || c == '!'))
}

/// The first `[` before `cut` whose reading by [`rewrite_markdown`] may
/// change once text follows `known`, or whose link runs past `cut`; walked
/// the way that function walks.
fn first_unsettled_bracket(known: &str, cut: usize) -> Option<usize> {
    let mut from = 0;
    while let Some(open) = known[from..cut].find('[').map(|at| from + at) {
        let after = &known[open + 1..];
        from = match after.find("](") {
            Some(close) if !after[..close].contains('[') => {
                // Just past the link's closing `)`.
                let past = closing_paren(&after[close + 2..]).map(|end| open + 1 + close + 2 + end + 1);
                match past.filter(|&past| past <= cut) {
                    Some(past) => past,
                    None => return Some(open),
                }
            }
            // A literal `[`: another one comes first, here or wherever the `](` is.
            Some(_) => open + 1,
            None if after.contains('[') => open + 1,
            None => return Some(open),
        };
    }
    None
}

pub fn is_web_link(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")) && !url.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_removed_and_text_kept() {
        assert_eq!(make_safe("Hi <script>alert(1)</script>there"), "Hi there");
        assert_eq!(make_safe("<img src=x onerror=alert(1)>Click"), "Click");
        assert_eq!(make_safe("<b>bold</b> and <a href=\"javascript:x\">link</a>"), "bold and link");
        assert_eq!(make_safe("<SCRIPT>x</SCRIPT>ok <script>unterminated"), "ok ");
        assert_eq!(make_safe("if a < b and c > d"), "if a < b and c > d");
    }

    #[test]
    fn markdown_images_and_unsafe_links_are_neutralised() {
        assert_eq!(make_safe("See ![tracker](https://evil.example/p.gif) now"), "See tracker now");
        assert_eq!(make_safe("[docs](https://help.example.com/a)"), "docs (https://help.example.com/a)");
        assert_eq!(make_safe("[click](javascript:alert(1))"), "click");
        assert_eq!(make_safe("[x](data:text/html;base64,AAA)"), "x");
        assert_eq!(make_safe("Answer [1] and [2]."), "Answer [1] and [2].");
    }

    #[test]
    fn a_settled_prefix_is_made_safe_alike_whatever_follows() {
        let parts = [
            "<",
            "script",
            ">",
            "</script>",
            "<b>",
            "[",
            "]",
            "(",
            ")",
            "](",
            "!",
            "https://x.example/a",
            "javascript:x",
            " ",
            " ",
            "\n",
            "word",
            "é",
            "1",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..4000 {
            let text: String = (0..next() % 24).map(|_| parts[(next() % parts.len() as u64) as usize]).collect();
            let whole = make_safe(&text);
            for end in (0..=text.len()).filter(|&end| text.is_char_boundary(end)) {
                let cut = settled_len(&text[..end]);
                assert_eq!(
                    whole,
                    make_safe(&text[..cut]) + &make_safe(&text[cut..]),
                    "{text:?} settled at {cut} of {end}"
                );
            }
        }
    }

    #[test]
    fn plain_text_settles_at_each_space_and_open_markup_holds_it_back() {
        assert_eq!(settled_len("Refunds take thirty days"), "Refunds take thirty ".len());
        assert_eq!(
            settled_len("See [the guide](https://help.example/a) now"),
            "See [the guide](https://help.example/a) ".len()
        );
        // A citation could still turn out to open a link label, until the next `[`.
        assert_eq!(settled_len("Yes [1]. Also "), "Yes ".len());
        assert_eq!(settled_len("Yes [1]. Also [2] "), "Yes [1]. Also ".len());
        assert_eq!(settled_len("Read [the guide](https://help.example/a and "), "Read ".len());
        assert_eq!(settled_len("Hi <b>there</b> again "), "Hi ".len());
        assert_eq!(settled_len("if a < b then "), "if a < b then ".len());
    }

    #[test]
    fn case_folding_never_shifts_what_is_cut() {
        // "İ" lower-cases to three bytes from two: offsets must come from the text itself.
        assert_eq!(make_safe("İİ<SCRIPT>x</Script>done"), "İİdone");
        assert_eq!(find_ignoring_ascii_case("aİ<Passages>", "<passages>", 0), Some(3));
        assert_eq!(find_ignoring_ascii_case("ab", "abc", 0), None);
        assert_eq!(find_ignoring_ascii_case("<scrip <SCRIPT", "<script", 0), Some(7));
        assert_eq!(find_ignoring_ascii_case("xLdStR-1 ldstr-2", "LDSTR-2", 0), Some(9));
        assert_eq!(find_ignoring_ascii_case("<a <b", "<b", 4), None);
    }
}
