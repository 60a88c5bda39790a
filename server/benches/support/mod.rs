//! What the benchmarks share: percentiles, a seeded random source, and the
//! process's resident memory.

use std::time::Duration;

/// Prints p50 and p99 of `times`.
pub fn report(label: &str, times: &mut [Duration]) {
    times.sort();
    let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)].as_secs_f64() * 1000.0;
    println!("  {label}: p50 {:.2} ms, p99 {:.2} ms (n={})", at(0.50), at(0.99), times.len());
}

/// xorshift64: a uniform number in [0, 1), the same sequence every run.
pub fn next(state: &mut u64) -> f32 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    (*state >> 40) as f32 / (1u64 << 24) as f32
}

/// Resident memory of this process, in MB.
pub fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
