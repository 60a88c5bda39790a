//! Service level targets as time: a ticket's clocks (opened, first replied,
//! awaiting a reply since, open since and the resolution's working time so
//! far) and the workspace's targets and business hours make its deadlines.
//! Deadlines are counted when read, so a changed policy, priority or
//! schedule moves them at once; a target missed is recorded in the ticket's
//! history when its clock stops (`store.rs`). Pure: `Terms` come from
//! `desk_settings`.

use app::chat::Priority;
use app::sla::{SlaKind, SlaPolicy, SlaTimer, NEAR_AT_PERCENT};
use app::tickets::TicketStatus;
use sqlx::{Any, Executor};

use crate::desk::hours::Schedule;
use crate::desk::settings;

const MINUTE_MS: i64 = 60_000;

/// What a workspace's tickets are measured by.
#[derive(Debug, Clone, Default)]
pub struct Terms {
    pub policy: SlaPolicy,
    /// `None`: the team keeps no hours, so every hour counts.
    pub schedule: Option<Schedule>,
}

/// A ticket's clocks, as stored.
#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct Clocks {
    pub created_at: i64,
    pub first_replied_at: Option<i64>,
    pub awaiting_since: Option<i64>,
    pub open_since: Option<i64>,
    pub resolution_used_ms: i64,
}

pub async fn terms<'e>(db: impl Executor<'e, Database = Any>, workspace_id: &str) -> Result<Terms, sqlx::Error> {
    let (hours, policy) = settings::sla_terms(db, workspace_id).await?;
    Ok(Terms { policy, schedule: Schedule::of(&hours) })
}

impl Terms {
    fn target_ms(&self, priority: Priority, kind: SlaKind) -> Option<(u32, i64)> {
        let minutes = self.policy.for_priority(priority).of(kind)?;
        Some((minutes, i64::from(minutes) * MINUTE_MS))
    }

    /// The instant `ms` of working time after `from`.
    fn after(&self, from: i64, ms: i64) -> Option<i64> {
        match &self.schedule {
            Some(schedule) => schedule.after_working_ms(from, ms),
            None => from.checked_add(ms),
        }
    }

    /// Working time in `[from, to)`.
    pub fn working_ms(&self, from: i64, to: i64) -> i64 {
        match &self.schedule {
            Some(schedule) => schedule.working_ms_between(from, to),
            None => (to - from).max(0),
        }
    }

    /// A target of `kind` whose clock started at `from`, with `used` of its
    /// working time already gone.
    fn timer(&self, kind: SlaKind, priority: Priority, from: i64, used: i64) -> Option<SlaTimer> {
        let (target_minutes, target) = self.target_ms(priority, kind)?;
        let near = target * NEAR_AT_PERCENT / 100;
        // Already past a mark: it was passed before this spell began.
        let mark = |ms: i64| if ms <= used { Some(from) } else { self.after(from, ms - used) };
        Some(SlaTimer {
            kind,
            target_minutes,
            started_at: from,
            near_at: mark(near)?,
            due_at: mark(target)?,
            paused_left_ms: None,
        })
    }

    /// The targets running on a ticket: none once it is solved or closed.
    pub fn timers(&self, clocks: &Clocks, priority: Priority, status: TicketStatus) -> Vec<SlaTimer> {
        if !status.is_live() {
            return Vec::new();
        }
        let mut timers = Vec::new();
        if clocks.first_replied_at.is_none() {
            timers.extend(self.timer(SlaKind::FirstReply, priority, clocks.created_at, 0));
        }
        if let Some(since) = clocks.awaiting_since {
            timers.extend(self.timer(SlaKind::NextReply, priority, since, 0));
        }
        if status == TicketStatus::Open {
            let since = clocks.open_since.unwrap_or(clocks.created_at);
            timers.extend(self.timer(SlaKind::Resolution, priority, since, clocks.resolution_used_ms));
        } else if let Some((target_minutes, target)) = self.target_ms(priority, SlaKind::Resolution) {
            timers.push(SlaTimer {
                kind: SlaKind::Resolution,
                target_minutes,
                started_at: clocks.created_at,
                near_at: 0,
                due_at: 0,
                paused_left_ms: Some(target - clocks.resolution_used_ms),
            });
        }
        timers
    }

    /// By how much a reply target whose clock started at `from` is missed
    /// when the reply comes at `at`; `None` when met or when there is none.
    pub fn reply_missed_by(&self, kind: SlaKind, priority: Priority, from: i64, at: i64) -> Option<i64> {
        let due = self.timer(kind, priority, from, 0)?.due_at;
        (at > due).then_some(at - due)
    }

    /// By how much working time a resolution that used `used` misses its
    /// target; `None` when met or when there is none.
    pub fn resolution_missed_by(&self, priority: Priority, used: i64) -> Option<i64> {
        let (_, target) = self.target_ms(priority, SlaKind::Resolution)?;
        (used > target).then_some(used - target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::business_hours::{Block, BusinessHours};
    use app::sla::SlaState;

    const HOUR: i64 = 3_600_000;
    /// Monday 2026-12-07 00:00 UTC.
    const MONDAY: i64 = 1_796_601_600_000;

    fn nine_to_five() -> Terms {
        let hours = BusinessHours {
            enabled: true,
            days: std::array::from_fn(|i| if i < 5 { vec![Block { start: 9 * 60, end: 17 * 60 }] } else { vec![] }),
            ..BusinessHours::default()
        };
        Terms { policy: SlaPolicy::default(), schedule: Schedule::of(&hours) }
    }

    #[test]
    fn deadlines_count_working_time_only() {
        let terms = nine_to_five();
        // Opened Monday 16:00, normal priority: a 4 h first reply is due Tuesday 12:00.
        let clocks =
            Clocks { created_at: MONDAY + 16 * HOUR, open_since: Some(MONDAY + 16 * HOUR), ..Clocks::default() };
        let timers = terms.timers(&clocks, Priority::Normal, TicketStatus::Open);
        let first = timers.iter().find(|t| t.kind == SlaKind::FirstReply).unwrap();
        assert_eq!(first.due_at, MONDAY + 24 * HOUR + 12 * HOUR);
        // 80 % of 4 h is 3 h 12 min: one hour on Monday, 2 h 12 min on Tuesday.
        assert_eq!(first.near_at, MONDAY + 24 * HOUR + 11 * HOUR + 12 * 60_000);
        assert_eq!(first.state(MONDAY + 20 * HOUR), SlaState::OnTrack);
        // A reply on Tuesday at 12:30 misses it by half an hour; one at 11:00 does not.
        assert_eq!(
            terms.reply_missed_by(
                SlaKind::FirstReply,
                Priority::Normal,
                clocks.created_at,
                MONDAY + 36 * HOUR + HOUR / 2
            ),
            Some(HOUR / 2)
        );
        assert_eq!(
            terms.reply_missed_by(SlaKind::FirstReply, Priority::Normal, clocks.created_at, MONDAY + 35 * HOUR),
            None
        );
    }

    #[test]
    fn the_resolution_pauses_while_pending_and_resumes_where_it_was() {
        let terms = Terms::default();
        // Urgent: 4 h to solve. It was open for 3 h 30 min, then pending.
        let pending =
            Clocks { created_at: 0, resolution_used_ms: 7 * HOUR / 2, first_replied_at: Some(1), ..Clocks::default() };
        let timers = terms.timers(&pending, Priority::Urgent, TicketStatus::Pending);
        assert_eq!(timers.len(), 1);
        assert_eq!(timers[0].paused_left_ms, Some(HOUR / 2));
        // Open again at 10 h: due half an hour later, already past its 80 % mark.
        let open = Clocks { open_since: Some(10 * HOUR), ..pending };
        let resolution = terms.timers(&open, Priority::Urgent, TicketStatus::Open)[0];
        assert_eq!(resolution.due_at, 10 * HOUR + HOUR / 2);
        assert_eq!(resolution.near_at, 10 * HOUR);
        assert_eq!(resolution.state(10 * HOUR), SlaState::Near);
        assert_eq!(terms.resolution_missed_by(Priority::Urgent, 5 * HOUR), Some(HOUR));
        assert_eq!(terms.resolution_missed_by(Priority::Urgent, 4 * HOUR), None);
        assert!(terms.timers(&open, Priority::Urgent, TicketStatus::Solved).is_empty());
    }

    #[test]
    fn no_target_no_timer() {
        let mut terms = Terms::default();
        terms.policy.targets = Default::default();
        let clocks = Clocks { open_since: Some(0), awaiting_since: Some(0), ..Clocks::default() };
        assert!(terms.timers(&clocks, Priority::High, TicketStatus::Open).is_empty());
        assert_eq!(terms.reply_missed_by(SlaKind::NextReply, Priority::High, 0, i64::MAX / 2), None);
    }
}
