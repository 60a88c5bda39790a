//! When the team works: a time zone, blocks of hours per weekday and
//! holidays. The widget tells a visitor who asks for a person while nobody
//! is in when the team is back; SLA targets count working time only. The
//! form is text a person types ("9:00-12:30, 13:30-18:00"; one holiday per
//! line), parsed and checked here so the page and the server agree. The
//! server turns the hours into time (`server/src/desk/hours.rs`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{FieldErrors, ServiceError};

pub const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
/// Form field names, Monday first.
pub const DAY_FIELDS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
pub const MAX_BLOCKS_PER_DAY: usize = 4;
pub const MAX_HOLIDAYS: usize = 60;
pub const MAX_HOLIDAY_NAME_CHARS: usize = 60;
const MINUTES_PER_DAY: u16 = 24 * 60;

/// A span of working time within a day, in minutes since midnight: from
/// `start` up to (not including) `end`; `end` may be 1440 (midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub start: u16,
    pub end: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    /// `YYYY-MM-DD`, in the team's time zone.
    pub date: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessHours {
    /// Off: the team keeps no hours and is always reachable.
    pub enabled: bool,
    /// An IANA name such as `Europe/Paris`.
    pub time_zone: String,
    /// Monday first.
    pub days: [Vec<Block>; 7],
    pub holidays: Vec<Holiday>,
}

impl Default for BusinessHours {
    /// Off, with weekdays 9:00–17:00 in UTC ready to switch on.
    fn default() -> Self {
        let weekday = vec![Block { start: 9 * 60, end: 17 * 60 }];
        BusinessHours {
            enabled: false,
            time_zone: "UTC".into(),
            days: std::array::from_fn(|i| if i < 5 { weekday.clone() } else { Vec::new() }),
            holidays: Vec::new(),
        }
    }
}

/// The hours as the page edits them: text per field, as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HoursForm {
    /// `true` when the team keeps hours (a ticked checkbox).
    pub enabled: bool,
    pub time_zone: String,
    pub mon: String,
    pub tue: String,
    pub wed: String,
    pub thu: String,
    pub fri: String,
    pub sat: String,
    pub sun: String,
    /// One per line: `2026-12-25 Christmas Day`.
    pub holidays: String,
}

impl HoursForm {
    pub fn day(&self, i: usize) -> &str {
        [&self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun][i]
    }

    pub fn day_mut(&mut self, i: usize) -> &mut String {
        match i {
            0 => &mut self.mon,
            1 => &mut self.tue,
            2 => &mut self.wed,
            3 => &mut self.thu,
            4 => &mut self.fri,
            5 => &mut self.sat,
            _ => &mut self.sun,
        }
    }
}

impl From<&BusinessHours> for HoursForm {
    fn from(hours: &BusinessHours) -> Self {
        let mut form = HoursForm { enabled: hours.enabled, time_zone: hours.time_zone.clone(), ..HoursForm::default() };
        for (i, blocks) in hours.days.iter().enumerate() {
            *form.day_mut(i) = format_blocks(blocks);
        }
        form.holidays = hours.holidays.iter().map(|h| format!("{} {}", h.date, h.name)).collect::<Vec<_>>().join("\n");
        form
    }
}

/// "9:00-12:30, 13:30-18:00"; empty for a day off.
pub fn format_blocks(blocks: &[Block]) -> String {
    blocks.iter().map(|b| format!("{}-{}", clock(b.start), clock(b.end))).collect::<Vec<_>>().join(", ")
}

/// Minutes since midnight as `H:MM` (1440 as `24:00`).
pub fn clock(minutes: u16) -> String {
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

/// The hours the form describes, or what to correct, per field. The time
/// zone's name is checked against the server's database by the server.
pub fn validate_hours_form(form: &HoursForm) -> Result<BusinessHours, FieldErrors> {
    let mut errors = FieldErrors::new();
    let time_zone = form.time_zone.trim().to_owned();
    if time_zone.is_empty() || time_zone.len() > 64 {
        errors.insert("time_zone".into(), "Choose your team's time zone, such as Europe/Paris.".into());
    }
    let mut days: [Vec<Block>; 7] = Default::default();
    for (i, day) in days.iter_mut().enumerate() {
        match parse_blocks(form.day(i)) {
            Ok(blocks) => *day = blocks,
            Err(message) => {
                errors.insert(DAY_FIELDS[i].into(), format!("{}: {message}", WEEKDAYS[i]));
            }
        }
    }
    let holidays = match parse_holidays(&form.holidays) {
        Ok(holidays) => holidays,
        Err(message) => {
            errors.insert("holidays".into(), message);
            Vec::new()
        }
    };
    if form.enabled && errors.is_empty() && days.iter().all(Vec::is_empty) {
        errors.insert("mon".into(), "Give at least one day some hours, or switch business hours off.".into());
    }
    match errors.is_empty() {
        true => Ok(BusinessHours { enabled: form.enabled, time_zone, days, holidays }),
        false => Err(errors),
    }
}

/// "9:00-12:30, 13:30-18:00" (also `9-17`, `09:00 – 17:00`, `closed`).
pub fn parse_blocks(text: &str) -> Result<Vec<Block>, String> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("closed") {
        return Ok(Vec::new());
    }
    let mut blocks = Vec::new();
    for part in text.split([',', ';']).map(str::trim).filter(|p| !p.is_empty()) {
        let normalised = part.replace(['–', '—'], "-");
        let Some((from, to)) = normalised.split_once('-') else {
            return Err(format!("write hours as 9:00-17:00 (\"{part}\" has no dash)."));
        };
        let (Some(start), Some(end)) = (parse_clock(from), parse_clock(to)) else {
            return Err(format!("\"{part}\" is not a time range such as 9:00-17:00."));
        };
        if start >= end {
            return Err(format!("{part} ends before it starts (hours past midnight go on the next day)."));
        }
        blocks.push(Block { start, end });
    }
    blocks.sort_by_key(|b| b.start);
    if blocks.windows(2).any(|pair| pair[1].start < pair[0].end) {
        return Err("two blocks overlap.".into());
    }
    if blocks.len() > MAX_BLOCKS_PER_DAY {
        return Err(format!("at most {MAX_BLOCKS_PER_DAY} blocks a day."));
    }
    Ok(blocks)
}

/// `9`, `9:30`, `09:30`, `24:00` as minutes since midnight.
fn parse_clock(text: &str) -> Option<u16> {
    let text = text.trim();
    let (hours, minutes) = text.split_once(':').unwrap_or((text, "0"));
    if hours.is_empty()
        || hours.len() > 2
        || minutes.len() > 2
        || !(hours.chars().chain(minutes.chars()).all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let (hours, minutes): (u16, u16) = (hours.parse().ok()?, minutes.parse().ok()?);
    let total = hours * 60 + minutes;
    (minutes < 60 && total <= MINUTES_PER_DAY).then_some(total)
}

/// One holiday per line: a date (`YYYY-MM-DD`) and, optionally, its name.
pub fn parse_holidays(text: &str) -> Result<Vec<Holiday>, String> {
    let mut holidays: Vec<Holiday> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (date, name) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        if !is_date(date) {
            return Err(format!("\"{line}\" does not start with a date such as 2026-12-25."));
        }
        let name = name.trim();
        if name.chars().count() > MAX_HOLIDAY_NAME_CHARS {
            return Err(format!("Holiday names are at most {MAX_HOLIDAY_NAME_CHARS} characters."));
        }
        if !holidays.iter().any(|h| h.date == date) {
            holidays.push(Holiday { date: date.to_owned(), name: name.to_owned() });
        }
    }
    if holidays.len() > MAX_HOLIDAYS {
        return Err(format!("At most {MAX_HOLIDAYS} holidays; remove past ones."));
    }
    holidays.sort_by(|a, b| a.date.cmp(&b.date));
    Ok(holidays)
}

/// `YYYY-MM-DD` with a month and a day that can exist.
fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [year, month, day] = parts.as_slice() else { return false };
    let digits = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_digit());
    if !(digits(year, 4) && digits(month, 2) && digits(day, 2)) {
        return false;
    }
    let (year, month, day): (u32, u32, u32) =
        (year.parse().unwrap_or(0), month.parse().unwrap_or(0), day.parse().unwrap_or(0));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => 0,
    };
    (1..=days_in_month).contains(&day)
}

/// The hours as the settings page shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoursSetup {
    pub hours: BusinessHours,
    /// Every time zone the server knows.
    pub zones: Vec<String>,
    /// Whether the team is in now, and when it is next in otherwise (ms).
    pub open_now: bool,
    pub next_open: Option<i64>,
    /// Whether the caller may change them.
    pub can_edit: bool,
}

#[server(endpoint = "desk/hours")]
pub async fn load_business_hours(workspace_id: String) -> Result<HoursSetup, ServiceError> {
    crate::services::call(|s, caller| async move { s.desk.business_hours(&caller, &workspace_id).await }).await
}

#[server(endpoint = "desk/save-hours")]
pub async fn save_business_hours(workspace_id: String, form: HoursForm) -> Result<HoursSetup, ServiceError> {
    let hours = crate::services::with_status(validate_hours_form(&form).map_err(ServiceError::Invalid))?;
    crate::services::call(|s, caller| async move { s.desk.save_business_hours(&caller, &workspace_id, hours).await })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_read_as_people_write_them() {
        assert_eq!(
            parse_blocks(" 13:30 – 18:00, 9-12:30 ").unwrap(),
            [Block { start: 540, end: 750 }, Block { start: 810, end: 1080 }]
        );
        assert_eq!(parse_blocks("closed").unwrap(), []);
        assert_eq!(parse_blocks("0:00-24:00").unwrap(), [Block { start: 0, end: 1440 }]);
        for bad in ["9", "17-9", "9:00-25:00", "9:75-10", "9-12, 11-13", "a-b", "9-10,10-11,11-12,12-13,13-14"] {
            assert!(parse_blocks(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn holidays_need_real_dates_and_come_back_in_order() {
        let holidays = parse_holidays("2026-12-25 Christmas Day\n\n2026-01-01\n2026-12-25 again").unwrap();
        assert_eq!(holidays.iter().map(|h| h.date.as_str()).collect::<Vec<_>>(), ["2026-01-01", "2026-12-25"]);
        assert_eq!(holidays[1].name, "Christmas Day");
        for bad in ["2026-02-30 nope", "25/12/2026", "2026-13-01", "Christmas"] {
            assert!(parse_holidays(bad).is_err(), "{bad}");
        }
        assert!(parse_holidays("2028-02-29 leap").is_ok());
    }

    #[test]
    fn the_form_round_trips_and_names_what_to_correct() {
        let mut hours = BusinessHours { enabled: true, time_zone: "Europe/Paris".into(), ..BusinessHours::default() };
        hours.holidays.push(Holiday { date: "2026-12-25".into(), name: "Christmas".into() });
        let form = HoursForm::from(&hours);
        assert_eq!(form.mon, "9:00-17:00");
        assert_eq!(validate_hours_form(&form).unwrap(), hours);
        let broken = HoursForm { tue: "17-9".into(), time_zone: " ".into(), ..form.clone() };
        let errors = validate_hours_form(&broken).unwrap_err();
        assert!(errors["tue"].starts_with("Tuesday: "), "{errors:?}");
        assert!(errors.contains_key("time_zone"));
        let empty = HoursForm { enabled: true, time_zone: "UTC".into(), ..HoursForm::default() };
        assert!(validate_hours_form(&empty).unwrap_err()["mon"].contains("switch business hours off"));
    }
}
