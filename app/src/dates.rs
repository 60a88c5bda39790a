//! UTC calendar dates of Unix-millisecond instants (Howard Hinnant's
//! days-to-civil algorithm, proleptic Gregorian): for the pages' dates and
//! the server's monthly and daily counters alike.

/// Year, month and day (UTC) of `unix_ms`.
pub fn civil(unix_ms: i64) -> (i64, i64, i64) {
    let days = unix_ms.div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `YYYY-MM-DD` (UTC).
pub fn day_of(unix_ms: i64) -> String {
    let (year, month, day) = civil(unix_ms);
    format!("{year:04}-{month:02}-{day:02}")
}

/// `YYYY-MM` (UTC).
pub fn month_of(unix_ms: i64) -> String {
    let (year, month, _) = civil(unix_ms);
    format!("{year:04}-{month:02}")
}

/// The months' English names, January first.
pub const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "1 January 2027" (UTC).
pub fn long_date(unix_ms: i64) -> String {
    let (year, month, day) = civil(unix_ms);
    format!("{day} {} {year}", MONTHS[(month - 1) as usize])
}

/// The start of the next calendar month (UTC) after `now`, in Unix ms.
pub fn next_month(now: i64) -> i64 {
    let (year, month, _) = civil(now);
    let (year, month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    days_from_civil(year, month, 1) * 86_400_000
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's
/// days-from-civil, the inverse of [`civil`]).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_days_are_utc_calendar_ones() {
        assert_eq!(month_of(0), "1970-01");
        assert_eq!(month_of(1_795_305_600_000), "2026-11"); // 2026-11-22
        assert_eq!(month_of(1_796_083_199_999), "2026-11"); // 2026-11-30T23:59:59.999
        assert_eq!(month_of(1_796_083_200_000), "2026-12");
        assert_eq!(day_of(951_782_400_000), "2000-02-29");
        assert_eq!(day_of(1_795_305_600_000 - 1), "2026-11-21");
        assert_eq!(day_of(-1), "1969-12-31");
        assert_eq!(long_date(951_782_400_000), "29 February 2000");
        assert_eq!(long_date(1_796_083_200_000), "1 December 2026");
    }

    #[test]
    fn months_start_afresh_on_the_first_utc() {
        const DAY: i64 = 86_400_000;
        let now = 1_797_156_000_000; // 2026-12-13T10:00Z
        assert_eq!(next_month(now), 1_798_761_600_000, "2027-01-01T00:00Z");
        assert_eq!(day_of(next_month(now)), "2027-01-01");
        assert_eq!(day_of(next_month(now - 30 * DAY)), "2026-12-01");
    }
}
