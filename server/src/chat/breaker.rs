//! A circuit breaker for one LLM provider: after enough failed answers in
//! a row it opens, and visitors get the offline answer at once instead of
//! waiting on timeouts; after a cooldown one trial request may close it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    /// The cooldown is over and one trial request is running.
    HalfOpen,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }
}

#[derive(Debug)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen,
}

#[derive(Debug)]
pub struct Breaker {
    failures_to_open: u32,
    cooldown: Duration,
    state: Mutex<State>,
}

impl Breaker {
    pub fn new(failures_to_open: u32, cooldown: Duration) -> Breaker {
        Breaker {
            failures_to_open: failures_to_open.max(1),
            cooldown,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether a request may go to the provider now.
    pub fn allow(&self, now: Instant) -> bool {
        let mut state = self.lock();
        match *state {
            State::Closed { .. } => true,
            State::Open { until } if now >= until => {
                *state = State::HalfOpen;
                true
            }
            State::Open { .. } | State::HalfOpen => false,
        }
    }

    /// The outcome of an allowed request.
    pub fn record(&self, succeeded: bool, now: Instant) {
        let mut state = self.lock();
        *state = match (&*state, succeeded) {
            (_, true) => State::Closed { failures: 0 },
            (State::Closed { failures }, false) if failures + 1 < self.failures_to_open => {
                State::Closed { failures: failures + 1 }
            }
            (_, false) => State::Open { until: now + self.cooldown },
        };
    }

    /// An allowed request that ended without saying anything about the
    /// provider (the visitor left): a trial in flight may be made again.
    pub fn abandon(&self, now: Instant) {
        let mut state = self.lock();
        if matches!(*state, State::HalfOpen) {
            *state = State::Open { until: now };
        }
    }

    pub fn state(&self) -> BreakerState {
        match *self.lock() {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { .. } => BreakerState::Open,
            State::HalfOpen => BreakerState::HalfOpen,
        }
    }

    /// When an open breaker lets a trial through.
    pub fn reopens_at(&self) -> Option<Instant> {
        match *self.lock() {
            State::Open { until } => Some(until),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_failures_in_a_row_and_a_successful_trial_closes_it() {
        let breaker = Breaker::new(3, Duration::from_secs(30));
        let t0 = Instant::now();
        breaker.record(false, t0);
        breaker.record(false, t0);
        breaker.record(true, t0);
        breaker.record(false, t0);
        breaker.record(false, t0);
        assert_eq!(breaker.state(), BreakerState::Closed, "a success resets the count");
        breaker.record(false, t0);
        assert_eq!(breaker.state(), BreakerState::Open);
        assert!(!breaker.allow(t0 + Duration::from_secs(29)));
        assert!(breaker.allow(t0 + Duration::from_secs(30)), "one trial after the cooldown");
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        assert!(!breaker.allow(t0 + Duration::from_secs(30)), "only one trial at a time");
        breaker.record(true, t0 + Duration::from_secs(31));
        assert_eq!(breaker.state(), BreakerState::Closed);
        assert!(breaker.allow(t0 + Duration::from_secs(31)));
    }

    #[test]
    fn a_failed_trial_opens_it_for_another_cooldown() {
        let breaker = Breaker::new(1, Duration::from_secs(10));
        let t0 = Instant::now();
        breaker.record(false, t0);
        assert!(breaker.allow(t0 + Duration::from_secs(10)));
        breaker.record(false, t0 + Duration::from_secs(11));
        assert_eq!(breaker.reopens_at(), Some(t0 + Duration::from_secs(21)));
        assert!(!breaker.allow(t0 + Duration::from_secs(20)));
    }

    #[test]
    fn an_abandoned_trial_lets_the_next_request_try_again() {
        let breaker = Breaker::new(1, Duration::from_secs(10));
        let t0 = Instant::now();
        breaker.record(false, t0);
        assert!(breaker.allow(t0 + Duration::from_secs(10)));
        breaker.abandon(t0 + Duration::from_secs(11));
        assert_eq!(breaker.state(), BreakerState::Open);
        assert!(breaker.allow(t0 + Duration::from_secs(11)), "not stuck half-open");
        let closed = Breaker::new(1, Duration::from_secs(10));
        closed.abandon(t0);
        assert_eq!(closed.state(), BreakerState::Closed);
    }
}
