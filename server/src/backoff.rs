//! Waits between retries.

use std::time::Duration;

/// `base`·2ⁿ, scaled by a random 50–100 % so retries from many callers
/// do not arrive together.
pub fn jittered(base: Duration, attempt: u32) -> Duration {
    let exponential = base.saturating_mul(1 << attempt.min(6));
    let fraction = 0.5 + f64::from(getrandom::u32().unwrap_or(u32::MAX / 2)) / f64::from(u32::MAX) / 2.0;
    exponential.mul_f64(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_with_jitter() {
        let base = Duration::from_millis(400);
        for attempt in 0..4 {
            let wait = jittered(base, attempt);
            let full = base * (1 << attempt);
            assert!(wait >= full / 2 && wait <= full, "attempt {attempt}: {wait:?}");
        }
    }
}
