//! Sliding-window counters in memory, for login, sign-up, reset and invite
//! abuse limits. One process serves a deployment, so memory is the right
//! place; windows are pruned as they are read and the map is bounded.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most `limit` events per `window` for one key.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub limit: usize,
    pub window: Duration,
}

impl Rule {
    pub const fn per_minutes(limit: usize, minutes: u64) -> Rule {
        Rule { limit, window: Duration::from_secs(minutes * 60) }
    }
}

/// Keys beyond this many are dropped oldest-first: memory stays bounded
/// under a flood of distinct addresses.
const MAX_KEYS: usize = 100_000;

#[derive(Default)]
pub struct Throttle {
    events: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Throttle {
    /// `Err(seconds to wait)` when `key` already has `rule.limit` events in its window.
    pub fn check(&self, key: &str, rule: Rule) -> Result<(), u64> {
        let mut events = self.events.lock().expect("throttle lock");
        let now = Instant::now();
        let Some(times) = events.get_mut(key) else { return Ok(()) };
        while times.front().is_some_and(|t| now.duration_since(*t) >= rule.window) {
            times.pop_front();
        }
        match times.front() {
            Some(oldest) if times.len() >= rule.limit => {
                Err((rule.window - now.duration_since(*oldest)).as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    pub fn record(&self, key: &str) {
        Self::record_in(&mut self.events.lock().expect("throttle lock"), key);
    }

    fn record_in(events: &mut HashMap<String, VecDeque<Instant>>, key: &str) {
        if events.len() >= MAX_KEYS && !events.contains_key(key) {
            let oldest = events.iter().min_by_key(|(_, t)| t.back().copied()).map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                events.remove(&oldest);
            }
        }
        let times = events.entry(key.to_string()).or_default();
        times.push_back(Instant::now());
        // No rule allows more than this; older entries can never matter.
        if times.len() > 1_000 {
            times.pop_front();
        }
    }

    /// Progressive spacing: within `window`, the first `free` events of
    /// `key` pass at once; after that each must come at least
    /// 4 × 2^(n - free) seconds (at most `longest`) after the one before.
    /// `Err(seconds to wait)`.
    pub fn spaced(&self, key: &str, window: Duration, free: usize, longest: Duration) -> Result<(), u64> {
        let mut events = self.events.lock().expect("throttle lock");
        Self::spacing(&mut events, key, window, free, longest)
    }

    /// [`Throttle::spaced`], and when allowed counts one event, under one
    /// lock: parallel requests cannot all pass one gap.
    pub fn hit_spaced(&self, key: &str, window: Duration, free: usize, longest: Duration) -> Result<(), u64> {
        let mut events = self.events.lock().expect("throttle lock");
        Self::spacing(&mut events, key, window, free, longest)?;
        Self::record_in(&mut events, key);
        Ok(())
    }

    /// Takes back the newest event of `key` (it turned out not to count).
    pub fn forget_last(&self, key: &str) {
        if let Some(times) = self.events.lock().expect("throttle lock").get_mut(key) {
            times.pop_back();
        }
    }

    fn spacing(
        events: &mut HashMap<String, VecDeque<Instant>>,
        key: &str,
        window: Duration,
        free: usize,
        longest: Duration,
    ) -> Result<(), u64> {
        let now = Instant::now();
        let Some(times) = events.get_mut(key) else { return Ok(()) };
        while times.front().is_some_and(|t| now.duration_since(*t) >= window) {
            times.pop_front();
        }
        let (Some(last), true) = (times.back(), times.len() >= free) else { return Ok(()) };
        let power = (times.len() - free).min(30) as u32;
        let gap = Duration::from_secs(4u64 << power).min(longest);
        match gap.checked_sub(now.duration_since(*last)) {
            Some(wait) if !wait.is_zero() => Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)),
            _ => Ok(()),
        }
    }

    /// Events of `key` within `window`.
    pub fn count(&self, key: &str, window: Duration) -> usize {
        let events = self.events.lock().expect("throttle lock");
        let now = Instant::now();
        events.get(key).map_or(0, |times| times.iter().filter(|t| now.duration_since(**t) < window).count())
    }

    /// Checks and, when allowed, counts one event.
    pub fn hit(&self, key: &str, rule: Rule) -> Result<(), u64> {
        self.check(key, rule)?;
        self.record(key);
        Ok(())
    }

    pub fn clear(&self, key: &str) {
        self.events.lock().expect("throttle lock").remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_plus_one_is_refused_with_a_wait() {
        let throttle = Throttle::default();
        let rule = Rule::per_minutes(3, 15);
        for _ in 0..3 {
            assert_eq!(throttle.hit("a", rule), Ok(()));
        }
        let wait = throttle.hit("a", rule).unwrap_err();
        assert!((1..=900).contains(&wait));
        assert_eq!(throttle.hit("b", rule), Ok(()), "other keys are independent");
        throttle.clear("a");
        assert_eq!(throttle.check("a", rule), Ok(()));
    }

    #[test]
    fn past_the_free_events_each_waits_twice_as_long_up_to_a_cap() {
        let throttle = Throttle::default();
        let (window, longest) = (Duration::from_secs(3600), Duration::from_secs(60));
        for _ in 0..3 {
            assert_eq!(throttle.spaced("a", window, 3, longest), Ok(()));
            throttle.record("a");
        }
        assert_eq!(throttle.spaced("a", window, 3, longest), Err(4), "the fourth waits four seconds");
        for _ in 0..3 {
            throttle.record("a");
        }
        assert_eq!(throttle.spaced("a", window, 3, longest), Err(32));
        for _ in 0..20 {
            throttle.record("a");
        }
        assert_eq!(throttle.spaced("a", window, 3, longest), Err(60), "never more than the cap");
        assert_eq!(throttle.count("a", window), 26);
        assert_eq!(throttle.spaced("b", window, 3, longest), Ok(()));
    }

    #[test]
    fn events_leave_the_window() {
        let throttle = Throttle::default();
        let rule = Rule { limit: 1, window: Duration::ZERO };
        throttle.record("a");
        assert_eq!(throttle.check("a", rule), Ok(()));
    }
}
