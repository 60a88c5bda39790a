//! What the benchmarks share: percentiles, a seeded random source, the
//! process's resident memory and CPU time, the seeded demo workspace, and
//! the release server binary as a child process.
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

/// The release server binary, on the embedded defaults (SQLite, embedded
/// SurrealDB, the local model) in a temporary directory, with `env` on top.
/// Each visitor may come from their own address (`x-forwarded-for`), as
/// behind a real proxy. Killed when dropped.
pub struct Server {
    _child: tokio::process::Child,
    pub pid: u32,
    pub address: std::net::SocketAddr,
    pub base_url: String,
}

impl Server {
    pub async fn start(data_dir: &std::path::Path, env: &[(&str, &str)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let base_url = format!("http://127.0.0.1:{port}");
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .env("DATA_DIR", data_dir)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("MODEL_DIR", model_dir())
            .env("SEED_DEMO", "true")
            .env("RUST_LOG", "warn")
            .env("TRUSTED_PROXY_HEADER", "x-forwarded-for")
            .envs(env.iter().copied())
            .kill_on_drop(true)
            .spawn()
            .expect("the server starts");
        let pid = child.id().expect("the server runs");
        let deadline = Instant::now() + Duration::from_secs(120);
        while !reqwest::get(format!("{base_url}/readyz")).await.is_ok_and(|r| r.status().is_success()) {
            assert!(Instant::now() < deadline, "the server never became ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Server { _child: child, pid, address: ([127, 0, 0, 1], port).into(), base_url }
    }
}

/// Waits until the server has finished its start-up work (the streaming
/// bench's first level once paid for some of it: a 100-chat first level
/// used 1.6 cores), so nothing is measured against it: until a second
/// passes with under a tenth of a core used, for at most two minutes.
/// Returns the time taken.
pub async fn until_idle(pid: u32) -> Duration {
    let started = Instant::now();
    let mut before = cpu_seconds(&pid.to_string());
    while started.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = cpu_seconds(&pid.to_string());
        if now - before < 0.1 {
            break;
        }
        before = now;
    }
    started.elapsed()
}

/// User plus system CPU time of a process (`self` or a pid), in seconds.
pub fn cpu_seconds(process: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{process}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or_default();
    // utime and stime are fields 14 and 15 of the whole line.
    (ticks(11) + ticks(12)) / clock_ticks_per_second()
}

fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a system constant.
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) as f64 }
}

/// Every connection the benches hold costs sockets at both ends.
pub fn raise_open_file_limit() {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: plain libc calls on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
