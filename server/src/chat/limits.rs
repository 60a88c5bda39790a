//! Per-visitor rate limits with the generic cell rate algorithm: each key
//! keeps one instant (its "theoretical arrival time"), so a burst is
//! allowed and then requests are spaced evenly. Memory stays bounded.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MAX_KEYS: usize = 100_000;

pub struct Gcra {
    /// Time one request "costs".
    interval: Duration,
    /// How far ahead of now a key may run: (burst - 1) intervals.
    tolerance: Duration,
    arrivals: Mutex<HashMap<String, Instant>>,
}

impl Gcra {
    /// `burst` requests at once, then one per `interval`.
    pub fn new(burst: u32, interval: Duration) -> Self {
        Gcra { interval, tolerance: interval * burst.saturating_sub(1), arrivals: Mutex::new(HashMap::new()) }
    }

    /// `Err(wait)` when `key` must wait before its next request.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut arrivals = self.arrivals.lock().expect("rate limiter lock");
        let arrival = arrivals.get(key).copied().unwrap_or(now).max(now);
        let ahead = arrival - now;
        if ahead > self.tolerance {
            return Err(ahead - self.tolerance);
        }
        if arrivals.len() >= MAX_KEYS {
            arrivals.retain(|_, at| *at > now);
        }
        arrivals.insert(key.to_owned(), arrival + self.interval);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_requests_are_spaced() {
        let limit = Gcra::new(3, Duration::from_secs(10));
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limit.check_at("v", start).is_ok());
        }
        let wait = limit.check_at("v", start).unwrap_err();
        assert_eq!(wait, Duration::from_secs(10));
        assert!(limit.check_at("other", start).is_ok(), "keys are independent");
        assert!(limit.check_at("v", start + Duration::from_secs(10)).is_ok());
        assert!(limit.check_at("v", start + Duration::from_secs(11)).is_err());
    }
}
