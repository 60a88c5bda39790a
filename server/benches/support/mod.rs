//! What the benchmarks share: percentiles, a seeded random source, the
//! process's resident memory, and the seeded demo workspace.
// Each bench uses part of this.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use lodestar_server::knowledge::records::Records;
use lodestar_server::state::AppState;

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
    resident_mb("/proc/self/status")
}

/// Resident memory of process `pid`, in MB.
pub fn rss_mb_of(pid: u32) -> f64 {
    resident_mb(&format!("/proc/{pid}/status"))
}

fn resident_mb(status_file: &str) -> f64 {
    let status = std::fs::read_to_string(status_file).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The local MiniLM weights: `MODEL_DIR`, or where `cargo xtask` puts them.
pub fn model_dir() -> PathBuf {
    std::env::var_os("MODEL_DIR")
        .map(Into::into)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/models/all-MiniLM-L6-v2"))
}

pub async fn demo_workspace(state: &AppState) -> String {
    sqlx::query_scalar(
        "SELECT m.workspace_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = $1 AND m.role = 'owner'",
    )
    .bind(lodestar_server::accounts::DEMO_EMAIL)
    .fetch_one(state.sql.pool())
    .await
    .expect("the demo workspace is seeded")
}

/// The demo workspace's publishable key (allowed on this server's own origin).
pub async fn demo_key(state: &AppState, workspace: &str) -> String {
    sqlx::query_scalar(
        "SELECT display FROM api_keys WHERE workspace_id = $1 AND kind = 'publishable' AND revoked_at IS NULL",
    )
    .bind(workspace)
    .fetch_one(state.sql.pool())
    .await
    .expect("the demo key is seeded")
}

/// Enterprise: no monthly quota, so every request runs the whole pipeline.
pub async fn lift_quota(state: &AppState, workspace: &str) {
    sqlx::query("UPDATE workspaces SET plan = 'enterprise' WHERE id = $1")
        .bind(workspace)
        .execute(state.sql.pool())
        .await
        .expect("the plan changes");
}

pub async fn wait_for_demo_help_centre(state: &AppState, workspace: &str) {
    let records = records(state);
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let sources = records.sources(workspace).await.expect("sources read");
        if !sources.is_empty() && sources.iter().all(|s| s.status == "ready") {
            return;
        }
        assert!(Instant::now() < deadline, "the demo help centre was never ingested");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn records(state: &AppState) -> Records {
    Records::new(state.knowledge_store.clone(), state.config.surreal.namespace.clone())
}
