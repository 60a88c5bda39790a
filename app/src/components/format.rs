//! Small, dependency-free formatting shared by the pages: timestamps (unix
//! milliseconds) in UTC, initials, sizes and counts, a text's first words.

use leptos::prelude::*;

/// `2026-11-22 14:03 UTC`: the same on the server and in the browser, so
/// hydration never disagrees about a time.
pub fn format_time(unix_ms: i64) -> String {
    let (date, hour, minute) = civil(unix_ms);
    format!("{date} {hour:02}:{minute:02} UTC")
}

/// `2026-11-22`.
pub fn format_date(unix_ms: i64) -> String {
    civil(unix_ms).0
}

/// The machine-readable form for `<time datetime>`: `2026-11-22T14:03Z`.
pub fn iso_time(unix_ms: i64) -> String {
    let (date, hour, minute) = civil(unix_ms);
    format!("{date}T{hour:02}:{minute:02}Z")
}

/// The date (`YYYY-MM-DD`, UTC), hour and minute of `unix_ms`.
fn civil(unix_ms: i64) -> (String, i64, i64) {
    let of_day = unix_ms.div_euclid(1000).rem_euclid(86_400);
    (crate::dates::day_of(unix_ms), of_day / 3600, of_day % 3600 / 60)
}

/// A point in time for people, with the exact value for machines.
#[component]
pub fn Time(at: i64, #[prop(optional)] date_only: bool) -> impl IntoView {
    let text = if date_only { format_date(at) } else { format_time(at) };
    view! { <time datetime=iso_time(at)>{text}</time> }
}

/// Up to two initials for an avatar.
/// The text's words on one line, cut at a word near `max` characters
/// ("…" after): a subject from a message, a note in a list.
pub fn first_words(text: &str, max: usize) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        return line;
    }
    let cut: String = line.chars().take(max).collect();
    format!("{}…", cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head))
}

pub fn initials(name: &str) -> String {
    let letters: String = name.split_whitespace().filter_map(|word| word.chars().next()).take(2).collect();
    if letters.is_empty() {
        "?".to_string()
    } else {
        letters.to_uppercase()
    }
}

/// "4 min", "2 h 5 min", "3 days": a span of time for people (how long someone
/// waited, how long until a deadline).
pub fn waited(ms: i64) -> String {
    let minutes = (ms.max(0) / 60_000) as u64;
    match minutes {
        0 => "less than a minute".to_owned(),
        1..=59 => format!("{minutes} min"),
        60..=1439 => match minutes % 60 {
            0 => format!("{} h", minutes / 60),
            rest => format!("{} h {rest} min", minutes / 60),
        },
        _ => count_of(minutes / 1440, "day", "days"),
    }
}

/// A size for people, in binary units: `512 B`, `1.5 KB`, `12.3 MB`, `10 MB`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let unit = UNITS[unit];
    if value >= 100.0 || (value - value.round()).abs() < 0.05 {
        format!("{value:.0} {unit}")
    } else {
        format!("{value:.1} {unit}")
    }
}

/// A whole number with thousands separators: `12,345`.
pub fn format_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 document`, `2,048 documents`.
pub fn count_of(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", format_count(n), if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_how_long_someone_waited() {
        assert_eq!(waited(20_000), "less than a minute");
        assert_eq!(waited(4 * 60_000), "4 min");
        assert_eq!(waited(125 * 60_000), "2 h 5 min");
        assert_eq!(waited(120 * 60_000), "2 h");
        assert_eq!(waited(3 * 1440 * 60_000), "3 days");
        assert_eq!(waited(-5), "less than a minute");
    }

    #[test]
    fn formats_unix_milliseconds_in_utc() {
        assert_eq!(format_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_time(1_795_356_180_000), "2026-11-22 14:03 UTC");
        assert_eq!(format_time(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(format_date(-86_400_000), "1969-12-31");
        assert_eq!(iso_time(1_795_356_180_000), "2026-11-22T14:03Z");
    }

    #[test]
    fn formats_sizes_and_counts() {
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(1023), "1023 B");
        assert_eq!(format_bytes(1536), "1.5 KB");
        assert_eq!(format_bytes(10 * 1024 * 1024), "10 MB");
        assert_eq!(format_bytes(12_900_000), "12.3 MB");
        assert_eq!(format_bytes(150 * 1024 * 1024), "150 MB");
        assert_eq!(format_bytes(10_000 * 1024 * 1024), "9.8 GB");
        assert_eq!(format_count(1_234_567), "1,234,567");
        assert_eq!(format_count(999), "999");
        assert_eq!(count_of(1, "chunk", "chunks"), "1 chunk");
        assert_eq!(count_of(2048, "chunk", "chunks"), "2,048 chunks");
    }

    #[test]
    fn makes_initials() {
        assert_eq!(initials("ada  lovelace byron"), "AL");
        assert_eq!(initials(""), "?");
    }
}
