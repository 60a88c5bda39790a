//! CSV: each row becomes one "Header: value; …" line, so a row retrieved on
//! its own still says what its numbers mean.

use super::{Block, BlockKind, ExtractError, Extracted, Format};

/// At least two lines with the same number (≥ 2) of comma, semicolon or tab
/// separated fields.
pub fn looks_like_csv(text: &str) -> bool {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(20).collect();
    if lines.len() < 2 {
        return false;
    }
    [b',', b';', b'\t'].into_iter().any(|delimiter| {
        let counts: Vec<usize> = lines
            .iter()
            .map(|l| reader(l.as_bytes(), delimiter).records().next().and_then(Result::ok).map_or(0, |r| r.len()))
            .collect();
        counts[0] >= 2 && counts.iter().all(|&c| c == counts[0])
    })
}

fn delimiter_of(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    [b',', b';', b'\t'].into_iter().max_by_key(|d| first.bytes().filter(|b| b == d).count()).unwrap_or(b',')
}

fn reader(bytes: &[u8], delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(bytes)
}

pub fn extract(text: &str) -> Result<Extracted, ExtractError> {
    let mut rows = reader(text.as_bytes(), delimiter_of(text)).into_records();
    let header: Vec<String> = match rows.next() {
        Some(Ok(r)) => r.iter().map(|s| s.trim().to_owned()).collect(),
        Some(Err(e)) => return Err(ExtractError::Malformed(e.to_string())),
        None => return Err(ExtractError::Empty),
    };
    let mut blocks =
        vec![Block { kind: BlockKind::Paragraph, text: format!("Columns: {}", header.join(", ")), page: None }];
    for row in rows {
        let row = row.map_err(|e| ExtractError::Malformed(format!("CSV row: {e}")))?;
        let cells: Vec<String> = row.iter().map(|s| s.trim().to_owned()).collect();
        blocks.push(Block { kind: BlockKind::TableRow, text: row_text(&header, &cells), page: None });
    }
    Ok(Extracted { format: Format::Csv, title: None, blocks, pages: None, links: Vec::new() })
}

/// "Header: cell; …", skipping empty cells; plain "a | b" without a header.
pub fn row_text(header: &[String], cells: &[String]) -> String {
    cells
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.is_empty())
        .map(|(i, c)| match header.get(i).filter(|h| !h.is_empty()) {
            Some(h) => format!("{h}: {c}"),
            None => c.clone(),
        })
        .collect::<Vec<_>>()
        .join(if header.is_empty() { " | " } else { "; " })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_carry_their_headers() {
        let doc = extract("Carrier,Days,Price\nUPS,2,$9\nDHL,,$12\n").unwrap();
        let texts: Vec<_> = doc.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Columns: Carrier, Days, Price", "Carrier: UPS; Days: 2; Price: $9", "Carrier: DHL; Price: $12"]
        );
    }
}
