//! Business hours as time: whether the team is in at an instant, when it is
//! next in, and how much working time lies between two instants or after
//! one (what SLA deadlines count). Local days are turned into instants in
//! the workspace's time zone, so daylight-saving changes move the blocks
//! with the clocks; a block that starts in a skipped hour starts when the
//! clocks resume. Pure: the settings come from `desk_settings`.

use std::collections::BTreeSet;

use app::business_hours::BusinessHours;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// How far ahead "next open" looks: a year of holidays at most.
const HORIZON_DAYS: i32 = 400;

/// A workspace's working time. `None` from [`Schedule::of`] means the
/// team keeps no hours: always in.
#[derive(Debug, Clone)]
pub struct Schedule {
    zone: TimeZone,
    /// Monday first; each day's blocks in minutes since midnight, sorted.
    days: [Vec<(u16, u16)>; 7],
    holidays: BTreeSet<Date>,
}

impl Schedule {
    /// The schedule the settings describe, or `None` when the team keeps no
    /// hours. Settings are validated when saved; a zone unknown here (the
    /// bundled database lost it) counts as UTC rather than failing answers.
    pub fn of(hours: &BusinessHours) -> Option<Schedule> {
        if !hours.enabled {
            return None;
        }
        let zone = TimeZone::get(&hours.time_zone).unwrap_or(TimeZone::UTC);
        let days = std::array::from_fn(|i| {
            let mut blocks: Vec<(u16, u16)> = hours.days[i].iter().map(|b| (b.start, b.end)).collect();
            blocks.sort_unstable();
            blocks
        });
        let holidays = hours.holidays.iter().filter_map(|h| h.date.parse::<Date>().ok()).collect();
        Some(Schedule { zone, days, holidays })
    }

    /// Whether `at` (ms since the epoch) falls in working time.
    pub fn is_open(&self, at: i64) -> bool {
        self.windows_from(at).next().is_some_and(|(start, _)| start <= at)
    }

    /// When working time next begins at or after `at`: `at` itself while
    /// the team is in; `None` when there is none within the horizon.
    pub fn next_open(&self, at: i64) -> Option<i64> {
        self.windows_from(at).next().map(|(start, _)| start.max(at))
    }

    /// Working milliseconds in `[from, to)`.
    pub fn working_ms_between(&self, from: i64, to: i64) -> i64 {
        let mut total = 0;
        for (start, end) in self.windows_from(from) {
            if start >= to {
                break;
            }
            total += end.min(to) - start.max(from);
        }
        total
    }

    /// The instant `ms` working milliseconds after `from` (the deadline of
    /// a target counted in business hours); `None` beyond the horizon.
    pub fn after_working_ms(&self, from: i64, ms: i64) -> Option<i64> {
        let mut left = ms;
        for (start, end) in self.windows_from(from) {
            let start = start.max(from);
            if end - start >= left {
                return Some(start + left);
            }
            left -= end - start;
        }
        None
    }

    /// Working windows `(start, end)` in ms, in order, that end after
    /// `from`, up to the horizon.
    fn windows_from(&self, from: i64) -> impl Iterator<Item = (i64, i64)> + '_ {
        let first =
            Timestamp::from_millisecond(from).unwrap_or(Timestamp::UNIX_EPOCH).to_zoned(self.zone.clone()).date();
        // The day before too: its blocks are never past midnight, but a
        // clock change can make a local day start before `from`'s date.
        (-1..HORIZON_DAYS)
            .filter_map(move |offset| first.checked_add(jiff::Span::new().days(offset)).ok())
            .filter(|day| !self.holidays.contains(day))
            .flat_map(move |day| {
                let weekday = day.weekday().to_monday_zero_offset() as usize;
                self.days[weekday].iter().filter_map(move |&(start, end)| {
                    let window = (self.instant(day, start)?, self.instant(day, end)?);
                    (window.0 < window.1).then_some(window)
                })
            })
            .filter(move |&(_, end)| end > from)
    }

    /// `minutes` after local midnight of `day` (1440: the next midnight), in ms.
    fn instant(&self, day: Date, minutes: u16) -> Option<i64> {
        let (day, minutes) = if minutes >= 24 * 60 { (day.tomorrow().ok()?, 0) } else { (day, minutes) };
        let local = day.at((minutes / 60) as i8, (minutes % 60) as i8, 0, 0);
        Some(local.to_zoned(self.zone.clone()).ok()?.timestamp().as_millisecond())
    }
}

/// Whether `name` is a time zone this server knows.
pub fn known_zone(name: &str) -> bool {
    TimeZone::get(name).is_ok()
}

/// Every time zone this server knows, by name.
pub fn zone_names() -> Vec<String> {
    static NAMES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        let mut names: Vec<String> = jiff::tz::db().available().map(|name| name.to_string()).collect();
        names.sort();
        names
    });
    NAMES.clone()
}

#[cfg(test)]
mod tests {
    use app::business_hours::{Block, Holiday};

    use super::*;

    const MINUTE: i64 = 60_000;
    const HOUR: i64 = 60 * MINUTE;

    fn ms(zoned: &str) -> i64 {
        zoned.parse::<jiff::Zoned>().unwrap().timestamp().as_millisecond()
    }

    /// Paris, weekdays 9:00–12:30 and 13:30–18:00, Christmas off.
    fn paris() -> Schedule {
        let day = vec![Block { start: 9 * 60, end: 12 * 60 + 30 }, Block { start: 13 * 60 + 30, end: 18 * 60 }];
        let mut days: [Vec<Block>; 7] = Default::default();
        for weekday in days.iter_mut().take(5) {
            *weekday = day.clone();
        }
        let hours = BusinessHours {
            enabled: true,
            time_zone: "Europe/Paris".into(),
            days,
            holidays: vec![Holiday { date: "2026-12-25".into(), name: "Christmas".into() }],
        };
        Schedule::of(&hours).unwrap()
    }

    #[test]
    fn open_and_next_open_follow_the_blocks_the_zone_and_the_holidays() {
        let hours = paris();
        // Thursday 24 December 2026.
        assert!(hours.is_open(ms("2026-12-24T10:00[Europe/Paris]")));
        assert!(!hours.is_open(ms("2026-12-24T13:00[Europe/Paris]")), "lunch");
        assert_eq!(hours.next_open(ms("2026-12-24T13:00[Europe/Paris]")), Some(ms("2026-12-24T13:30[Europe/Paris]")));
        // After Thursday's close: Friday is Christmas, then the weekend.
        assert_eq!(hours.next_open(ms("2026-12-24T18:00[Europe/Paris]")), Some(ms("2026-12-28T09:00[Europe/Paris]")));
        // 9:00 in Paris is 8:00 UTC in winter and 7:00 UTC in summer.
        assert!(hours.is_open(ms("2026-12-28T08:00Z[UTC]")) && !hours.is_open(ms("2026-12-28T07:30Z[UTC]")));
        assert!(hours.is_open(ms("2026-07-06T07:30Z[UTC]")));
        // Without hours the team is always in.
        assert!(Schedule::of(&BusinessHours::default()).is_none());
    }

    #[test]
    fn working_time_skips_nights_weekends_and_holidays() {
        let hours = paris();
        let thursday_five = ms("2026-12-24T17:00[Europe/Paris]");
        // One working hour on Thursday, none on Christmas or the weekend, two on Monday.
        let monday_eleven = ms("2026-12-28T11:00[Europe/Paris]");
        assert_eq!(hours.working_ms_between(thursday_five, monday_eleven), 3 * HOUR);
        assert_eq!(hours.after_working_ms(thursday_five, 3 * HOUR), Some(monday_eleven));
        // A deadline that lands on lunch moves past it.
        assert_eq!(hours.after_working_ms(monday_eleven, 2 * HOUR), Some(ms("2026-12-28T14:00[Europe/Paris]")));
    }

    #[test]
    fn a_block_across_the_spring_change_is_an_hour_shorter() {
        // Sunday 29 March 2026, Paris: 2:00 becomes 3:00.
        let mut days: [Vec<Block>; 7] = Default::default();
        days[6] = vec![Block { start: 60, end: 4 * 60 }];
        let hours = BusinessHours { enabled: true, time_zone: "Europe/Paris".into(), days, holidays: Vec::new() };
        let hours = Schedule::of(&hours).unwrap();
        let from = ms("2026-03-29T00:00[Europe/Paris]");
        let to = ms("2026-03-29T12:00[Europe/Paris]");
        assert_eq!(hours.working_ms_between(from, to), 2 * HOUR);
    }

    /// xorshift64: the same cases every run.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// A random schedule: up to three blocks a day in a random zone.
    fn random_schedule(state: &mut u64) -> Schedule {
        let zones =
            ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham"];
        let days = std::array::from_fn(|_| {
            let mut edges: Vec<u16> = (0..(next(state) % 4) * 2).map(|_| (next(state) % 1441) as u16).collect();
            edges.sort_unstable();
            edges.dedup();
            edges.chunks_exact(2).map(|pair| Block { start: pair[0], end: pair[1] }).collect()
        });
        let zone = zones[(next(state) % zones.len() as u64) as usize];
        let hours = BusinessHours { enabled: true, time_zone: zone.into(), days, holidays: Vec::new() };
        Schedule::of(&hours).unwrap()
    }

    #[test]
    fn adding_working_time_and_measuring_it_agree() {
        let mut state = 0x9E37_79B9_7F4A_7C15;
        let base = ms("2026-01-01T00:00Z[UTC]");
        for _ in 0..300 {
            let hours = random_schedule(&mut state);
            let from = base + (next(&mut state) % (365 * 24)) as i64 * HOUR + (next(&mut state) % 60) as i64 * MINUTE;
            let wanted = (next(&mut state) % (40 * 60)) as i64 * MINUTE;
            let Some(deadline) = hours.after_working_ms(from, wanted) else {
                let within_horizon = hours.working_ms_between(from, from + 398 * 24 * HOUR);
                assert!(within_horizon < wanted, "no deadline only when there is not that much working time");
                continue;
            };
            assert!(deadline >= from);
            assert_eq!(hours.working_ms_between(from, deadline), wanted, "{hours:?} from {from}");
            // The deadline falls in working time, or right at its end.
            assert!(hours.is_open(deadline) || hours.is_open(deadline - 1) || wanted == 0, "{hours:?} {deadline}");
            // Working time only grows with the interval.
            assert!(hours.working_ms_between(from, deadline + HOUR) >= wanted);
        }
    }
}
