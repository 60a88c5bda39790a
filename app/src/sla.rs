//! Service level targets for tickets: how soon the team first replies,
//! replies again after the requester writes, and solves, per priority,
//! counted in the workspace's business hours when it keeps them. The server
//! turns a ticket's clocks into deadlines (`server/src/tickets/sla.rs`); a
//! page tells from those instants and its own clock whether a target is on
//! track, near (80 % of its working time gone) or missed, so a countdown
//! moves without asking the server again.

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::chat::Priority;
use crate::components::format::waited;
use crate::error::{FieldErrors, ServiceError};
use crate::tickets::{priority_label, PRIORITIES};

/// The share of a target's working time after which it is near (per cent).
pub const NEAR_AT_PERCENT: i64 = 80;
/// The longest target: 90 days of working time, in minutes.
pub const MAX_TARGET_MINUTES: u32 = 90 * 24 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaKind {
    /// From the ticket's opening to the team's first reply.
    FirstReply,
    /// From the requester's message after a reply to the team's next one.
    NextReply,
    /// From the opening to solved, paused while the ticket is pending.
    Resolution,
}

impl SlaKind {
    pub const ALL: [SlaKind; 3] = [SlaKind::FirstReply, SlaKind::NextReply, SlaKind::Resolution];

    pub fn as_str(self) -> &'static str {
        match self {
            SlaKind::FirstReply => "first_reply",
            SlaKind::NextReply => "next_reply",
            SlaKind::Resolution => "resolution",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        SlaKind::ALL.into_iter().find(|kind| kind.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            SlaKind::FirstReply => "First reply",
            SlaKind::NextReply => "Next reply",
            SlaKind::Resolution => "Resolution",
        }
    }
}

/// One priority's targets, in minutes of working time; `None`: no target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaTargets {
    pub first_reply: Option<u32>,
    pub next_reply: Option<u32>,
    pub resolution: Option<u32>,
}

impl SlaTargets {
    pub fn of(&self, kind: SlaKind) -> Option<u32> {
        match kind {
            SlaKind::FirstReply => self.first_reply,
            SlaKind::NextReply => self.next_reply,
            SlaKind::Resolution => self.resolution,
        }
    }

    fn set(&mut self, kind: SlaKind, minutes: Option<u32>) {
        match kind {
            SlaKind::FirstReply => self.first_reply = minutes,
            SlaKind::NextReply => self.next_reply = minutes,
            SlaKind::Resolution => self.resolution = minutes,
        }
    }
}

/// A workspace's targets per priority, in [`PRIORITIES`]' order (low first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    pub targets: [SlaTargets; 4],
}

impl Default for SlaPolicy {
    /// What a workspace starts with: tighter the more urgent, as help desks
    /// commonly set them; each one can be changed or removed.
    fn default() -> Self {
        let t = |first: u32, next: u32, resolution: u32| SlaTargets {
            first_reply: Some(first),
            next_reply: Some(next),
            resolution: Some(resolution),
        };
        SlaPolicy {
            targets: [
                t(8 * 60, 24 * 60, 40 * 60),
                t(4 * 60, 8 * 60, 24 * 60),
                t(60, 4 * 60, 8 * 60),
                t(30, 60, 4 * 60),
            ],
        }
    }
}

impl SlaPolicy {
    pub fn for_priority(&self, priority: Priority) -> SlaTargets {
        let at = PRIORITIES.iter().position(|p| *p == priority).unwrap_or(1);
        self.targets[at]
    }
}

/// A target running on a ticket, as instants (ms since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaTimer {
    pub kind: SlaKind,
    pub target_minutes: u32,
    /// When its clock started (or, for a resolution, last resumed).
    pub started_at: i64,
    /// When 80 % of its working time is gone.
    pub near_at: i64,
    pub due_at: i64,
    /// Paused while the ticket is pending: the working time it had left.
    pub paused_left_ms: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaState {
    OnTrack,
    Near,
    Missed,
    Paused,
}

impl SlaState {
    pub fn class(self) -> &'static str {
        match self {
            SlaState::OnTrack => "sla sla-ok",
            SlaState::Near => "sla sla-near",
            SlaState::Missed => "sla sla-missed",
            SlaState::Paused => "sla sla-paused",
        }
    }
}

impl SlaTimer {
    pub fn state(&self, now: i64) -> SlaState {
        match self.paused_left_ms {
            Some(_) => SlaState::Paused,
            None if now >= self.due_at => SlaState::Missed,
            None if now >= self.near_at => SlaState::Near,
            None => SlaState::OnTrack,
        }
    }

    /// "First reply due in 12 min", "Resolution overdue by 2 h",
    /// "Resolution paused while pending: 3 h left".
    pub fn describe(&self, now: i64) -> String {
        let what = self.kind.label();
        match (self.state(now), self.paused_left_ms) {
            (SlaState::Paused, Some(left)) if left > 0 => format!("{what} paused while pending: {} left", waited(left)),
            (SlaState::Paused, _) => format!("{what} target missed; paused while pending"),
            (SlaState::Missed, _) => format!("{what} overdue by {}", waited(now - self.due_at)),
            _ => format!("{what} due in {}", waited(self.due_at - now)),
        }
    }

    /// How much of the target's working time is gone, 0 to 1: exact at the
    /// 80 % mark and at the deadline, straight between them (the page has no
    /// business hours to count with).
    pub fn used(&self, now: i64) -> f64 {
        let share = |from: i64, to: i64| if to > from { (now - from) as f64 / (to - from) as f64 } else { 1.0 };
        let near = NEAR_AT_PERCENT as f64 / 100.0;
        if self.paused_left_ms.is_some() {
            return 0.0;
        }
        let used = if now < self.near_at {
            near * share(self.started_at, self.near_at)
        } else {
            near + (1.0 - near) * share(self.near_at, self.due_at)
        };
        used.clamp(0.0, 1.0)
    }
}

/// The timer a list shows: a missed one first, then the nearest deadline.
pub fn most_pressing(timers: &[SlaTimer], now: i64) -> Option<&SlaTimer> {
    timers.iter().filter(|t| t.state(now) != SlaState::Paused).min_by_key(|t| t.due_at).or_else(|| timers.first())
}

/// `30m`, `4h`, `1h 30m`: a target as people write it.
pub fn format_target(minutes: Option<u32>) -> String {
    match minutes {
        None => String::new(),
        Some(minutes) => match (minutes / 60, minutes % 60) {
            (0, m) => format!("{m}m"),
            (h, 0) => format!("{h}h"),
            (h, m) => format!("{h}h {m}m"),
        },
    }
}

/// Reads `30m`, `45 min`, `4h`, `4 hours`, `1h 30m`; empty means no target.
pub fn parse_target(text: &str) -> Result<Option<u32>, String> {
    let text = text.trim().to_lowercase();
    if text.is_empty() {
        return Ok(None);
    }
    let unclear = || format!("\"{}\" is not a time: write one such as 30m, 4h or 1h 30m.", text.trim());
    let mut total: u64 = 0;
    let mut rest = text.as_str();
    while !rest.trim_start().is_empty() {
        rest = rest.trim_start();
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 || digits > 6 {
            return Err(unclear());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| unclear())?;
        rest = rest[digits..].trim_start();
        let unit = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
        let minutes_per = match &rest[..unit] {
            "m" | "min" | "mins" | "minute" | "minutes" => 1,
            "h" | "hr" | "hrs" | "hour" | "hours" => 60,
            _ => return Err(unclear()),
        };
        rest = &rest[unit..];
        total += number * minutes_per;
    }
    if total == 0 {
        return Err("A target is at least a minute; leave it empty for none.".to_owned());
    }
    if total > u64::from(MAX_TARGET_MINUTES) {
        return Err(format!("Keep a target under {} hours.", MAX_TARGET_MINUTES / 60));
    }
    Ok(Some(total as u32))
}

/// A form field's name: `urgent_first_reply`.
pub fn field_name(priority: Priority, kind: SlaKind) -> String {
    format!("{}_{}", priority.as_str(), kind.as_str())
}

/// The policy as the page edits it: one text per priority and kind.
pub fn policy_form(policy: &SlaPolicy) -> BTreeMap<String, String> {
    let mut form = BTreeMap::new();
    for priority in PRIORITIES {
        for kind in SlaKind::ALL {
            form.insert(field_name(priority, kind), format_target(policy.for_priority(priority).of(kind)));
        }
    }
    form
}

/// Reads the form, naming every field it cannot read.
pub fn validate_policy_form(form: &BTreeMap<String, String>) -> Result<SlaPolicy, FieldErrors> {
    let mut policy = SlaPolicy { targets: [SlaTargets::default(); 4] };
    let mut errors = FieldErrors::new();
    for (at, priority) in PRIORITIES.into_iter().enumerate() {
        for kind in SlaKind::ALL {
            let name = field_name(priority, kind);
            let text = form.get(&name).map(String::as_str).unwrap_or_default();
            match parse_target(text) {
                Ok(minutes) => policy.targets[at].set(kind, minutes),
                Err(message) => {
                    errors.insert(
                        name,
                        format!("{} {}: {message}", priority_label(priority), kind.label().to_lowercase()),
                    );
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(policy)
    } else {
        Err(errors)
    }
}

/// The targets as the settings page shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaSetup {
    pub policy: SlaPolicy,
    /// Whether targets count the workspace's business hours (it keeps them).
    pub in_business_hours: bool,
    /// Whether the caller may change them.
    pub can_edit: bool,
}

#[server(endpoint = "tickets/targets")]
pub async fn load_sla_policy(workspace_id: String) -> Result<SlaSetup, ServiceError> {
    crate::services::call(|s, caller| async move { s.tickets.sla_policy(&caller, &workspace_id).await }).await
}

#[server(endpoint = "tickets/save-targets")]
pub async fn save_sla_policy(workspace_id: String, form: BTreeMap<String, String>) -> Result<SlaSetup, ServiceError> {
    let policy = crate::services::with_status(validate_policy_form(&form).map_err(ServiceError::Invalid))?;
    crate::services::call(|s, caller| async move { s.tickets.save_sla_policy(&caller, &workspace_id, policy).await })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_read_as_people_write_them() {
        assert_eq!(parse_target(" 30m ").unwrap(), Some(30));
        assert_eq!(parse_target("4 hours").unwrap(), Some(240));
        assert_eq!(parse_target("1h 30m").unwrap(), Some(90));
        assert_eq!(parse_target("1H30MIN").unwrap(), Some(90));
        assert_eq!(parse_target("").unwrap(), None);
        for bad in ["30", "soon", "0m", "h", "2 days", "-1h", "99999999m", "3000h"] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
        for minutes in [1, 59, 60, 90, 600, MAX_TARGET_MINUTES] {
            assert_eq!(parse_target(&format_target(Some(minutes))).unwrap(), Some(minutes));
        }
    }

    #[test]
    fn the_form_round_trips_and_names_what_to_correct() {
        let policy = SlaPolicy::default();
        let mut form = policy_form(&policy);
        assert_eq!(form["urgent_first_reply"], "30m");
        assert_eq!(validate_policy_form(&form).unwrap(), policy);
        form.insert("low_resolution".into(), String::new());
        assert_eq!(validate_policy_form(&form).unwrap().for_priority(Priority::Low).resolution, None);
        form.insert("high_next_reply".into(), "tomorrow".into());
        let errors = validate_policy_form(&form).unwrap_err();
        assert!(errors["high_next_reply"].starts_with("High next reply: "), "{errors:?}");
    }

    #[test]
    fn a_timer_is_on_track_then_near_then_missed() {
        let timer = SlaTimer {
            kind: SlaKind::FirstReply,
            target_minutes: 10,
            started_at: 0,
            near_at: 480_000,
            due_at: 600_000,
            paused_left_ms: None,
        };
        assert_eq!(timer.state(0), SlaState::OnTrack);
        assert_eq!(timer.describe(120_000), "First reply due in 8 min");
        assert_eq!(timer.state(480_000), SlaState::Near);
        assert_eq!(timer.state(600_000), SlaState::Missed);
        assert_eq!(timer.describe(900_000), "First reply overdue by 5 min");
        assert!((timer.used(240_000) - 0.4).abs() < 1e-9);
        assert!((timer.used(540_000) - 0.9).abs() < 1e-9);
        assert_eq!(timer.used(10_000_000), 1.0);
        let paused = SlaTimer { kind: SlaKind::Resolution, paused_left_ms: Some(3 * 3_600_000), ..timer };
        assert_eq!(paused.state(10_000_000), SlaState::Paused);
        assert_eq!(paused.describe(0), "Resolution paused while pending: 3 h left");
        assert_eq!(most_pressing(&[paused, timer], 0), Some(&timer));
    }
}
