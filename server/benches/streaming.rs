//! Many visitors streaming answers at once. The release server binary runs
//! on its embedded defaults (SQLite, embedded SurrealDB, the local model)
//! and answers through rig's OpenAI client from a fake OpenAI-compatible
//! provider in this process, which streams every answer at 30 tokens/s. As
//! OpenAI's API does, the fake speaks HTTP/2 over TLS (its test CA given to
//! the server) and allows 100 concurrent streams per connection; the
//! visitors, also here, call the real widget API over HTTP. Each token's
//! text is the time it was sent, so the visitors measure every token's
//! delay from provider to browser (the server's 50 ms coalescing included).
//! Levels rise until one misses a target; the largest that meets both, with
//! the provider keeping at least 95% of its pace for every chat, is the
//! result. Memory and CPU are the server process's own (CPU also for
//! this process, which plays the provider and the visitors). `cargo bench
//! -p server --bench streaming` (`STREAMING_LEVELS=500,1500` tries other
//! levels); `cargo xtask bench` runs it too. Prints numbers, asserts nothing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lodestar_server::chat::FALLBACK_NOTE;

#[allow(dead_code)]
#[path = "../tests/it/fake_llm.rs"]
mod fake_llm;
mod support;
use fake_llm::{FakeLlm, Script, Wire};
use support::rss_mb_of;

// The load generator allocates per chunk for thousands of streams too; the
// server's allocator keeps its share of this 2-core machine smaller.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TOKENS_PER_SECOND: u64 = 30;
/// Concurrent chats tried, in order, until one misses a target.
const LEVELS: &str = "500,1000,1250,1500,1750,2000,2500,3000";
/// New chats per second while a level ramps up.
const STARTS_PER_SECOND: u64 = 100;
/// How long every chat of a level streams together after the last one started.
const ALL_AT_ONCE: Duration = Duration::from_secs(10);
const TARGET_P99_MS: f64 = 200.0;
const TARGET_MEMORY_MB: f64 = 500.0;
/// The share of the nominal pace the slowest chat must get: when this
/// machine cannot even generate the load (the fake provider's ticks run
/// late), the level was not really offered.
const MIN_PACE: f64 = 0.95;
/// What the fake provider allows on one HTTP/2 connection (the minimum RFC
/// 9113 recommends, and the server's default `LLM_STREAMS_PER_CONNECTION`).
const PROVIDER_STREAMS_PER_CONNECTION: u32 = 100;

fn main() {
    raise_open_file_limit();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(run());
}

async fn run() {
    let fake = FakeLlm::start_tls(Wire::OpenAi, PROVIDER_STREAMS_PER_CONNECTION).await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = Server::start(dir.path(), &fake.base_url).await;
    let sql = sqlx::SqlitePool::connect(&format!("sqlite://{}", dir.path().join("lodestar.db").display()))
        .await
        .expect("the server's database opens");
    let workspace: String = sqlx::query_scalar(
        "SELECT m.workspace_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = $1 AND m.role = 'owner'",
    )
    .bind(lodestar_server::accounts::DEMO_EMAIL)
    .fetch_one(&sql)
    .await
    .expect("the demo workspace is seeded");
    wait_for_demo_help_centre(&sql, &workspace).await;
    // Enterprise: no monthly quota, so every chat runs the whole pipeline.
    sqlx::query("UPDATE workspaces SET plan = 'enterprise' WHERE id = $1")
        .bind(&workspace)
        .execute(&sql)
        .await
        .expect("the plan changes");
    let key: String = sqlx::query_scalar(
        "SELECT display FROM api_keys WHERE workspace_id = $1 AND kind = 'publishable' AND revoked_at IS NULL",
    )
    .bind(&workspace)
    .fetch_one(&sql)
    .await
    .expect("the demo key is seeded");
    let client = reqwest::Client::builder().pool_idle_timeout(Duration::from_secs(5)).build().expect("a client");
    let base_url = server.base_url.clone();
    let visitors =
        Arc::new(Visitors { client, origin: base_url.clone(), base_url, key, next_address: AtomicUsize::new(0) });

    println!(
        "== Concurrent streaming chats: fake LLM at {TOKENS_PER_SECOND} tokens/s per chat, \
         {STARTS_PER_SECOND} new chats/s, then {}s all at once",
        ALL_AT_ONCE.as_secs()
    );
    let settled = until_idle(server.pid).await;
    println!(
        "  server memory before the first chat: {:.0} MB (idle after {:.0} s of start-up work)",
        rss_mb_of(server.pid),
        settled.as_secs_f64()
    );
    let levels = std::env::var("STREAMING_LEVELS").unwrap_or_else(|_| LEVELS.to_owned());
    let levels = levels.split(',').map(|level| level.trim().parse::<usize>().expect("STREAMING_LEVELS: numbers"));
    let mut best = None;
    for level in levels {
        let result = run_level(&fake, &server, &visitors, level).await;
        let met = result.failed == 0
            && result.peak == level
            && result.p99_ms <= TARGET_P99_MS
            && result.peak_memory_mb <= TARGET_MEMORY_MB
            && result.slowest_tokens_per_second >= MIN_PACE * TOKENS_PER_SECOND as f64;
        println!(
            "  {level:>5} chats: peak {:>5} streaming at once, token delay p50 {:>6.1} ms p99 {:>6.1} ms max {:>7.1} ms, \
             peak memory {:>4.0} MB, {} failed  {}\n         slowest chat streamed {:.1} tokens/s; CPU (cores) while ramping: server {:.2}, bench {:.2}; all at once: server {:.2}, bench {:.2}\n         \
             waits p50/p99/max (ms): session {}; question stored {}; first token {}",
            result.peak,
            result.p50_ms,
            result.p99_ms,
            result.max_ms,
            result.peak_memory_mb,
            result.failed,
            if met { "meets the targets" } else { "misses a target" },
            result.slowest_tokens_per_second,
            result.ramp_cpu.server,
            result.ramp_cpu.bench,
            result.steady_cpu.server,
            result.steady_cpu.bench,
            result.waits.session.summary(),
            result.waits.stored.summary(),
            result.waits.first_token.summary(),
        );
        if !met {
            break;
        }
        best = Some(level);
    }
    match best {
        Some(level) => println!("  largest level meeting p99 <= {TARGET_P99_MS} ms and <= {TARGET_MEMORY_MB} MB at >= {:.1} tokens/s: {level} concurrent chats (target: >= 2000)", MIN_PACE * TOKENS_PER_SECOND as f64),
        None => println!("  no level met p99 <= {TARGET_P99_MS} ms and <= {TARGET_MEMORY_MB} MB at >= {:.1} tokens/s (target: >= 2000 concurrent chats)", MIN_PACE * TOKENS_PER_SECOND as f64),
    }
}

struct Visitors {
    client: reqwest::Client,
    base_url: String,
    key: String,
    origin: String,
    next_address: AtomicUsize,
}

struct LevelResult {
    peak: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    peak_memory_mb: f64,
    failed: usize,
    ramp_cpu: CpuUse,
    steady_cpu: CpuUse,
    /// The provider's pace as the slowest chat saw it: below the nominal
    /// rate, this machine could not keep up the load it was asked for.
    slowest_tokens_per_second: f64,
    waits: Arc<Waits>,
}

/// How long visitors waited at each step before their answer streamed:
/// when chats start late, these say where.
#[derive(Default)]
struct Waits {
    /// The session request.
    session: Histogram,
    /// From sending the question to the event confirming it was stored.
    stored: Histogram,
    /// From sending the question to the answer's first text.
    first_token: Histogram,
}

/// Cores busy on average over a span, from the kernel's per-process counters.
struct CpuUse {
    server: f64,
    bench: f64,
}

struct CpuMark {
    at: Instant,
    server: f64,
    bench: f64,
}

impl CpuMark {
    fn now(server_pid: u32) -> CpuMark {
        CpuMark { at: Instant::now(), server: cpu_seconds(&server_pid.to_string()), bench: cpu_seconds("self") }
    }

    fn since(&self, earlier: &CpuMark) -> CpuUse {
        let wall = self.at.duration_since(earlier.at).as_secs_f64().max(1e-9);
        CpuUse { server: (self.server - earlier.server) / wall, bench: (self.bench - earlier.bench) / wall }
    }
}

/// Waits until the server has finished its start-up work (the first level
/// once paid for some of it: a 100-chat first level used 1.6 cores), so no
/// level is measured against it: until a second passes with under a tenth
/// of a core used, for at most two minutes. Returns the time taken.
async fn until_idle(pid: u32) -> Duration {
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
fn cpu_seconds(process: &str) -> f64 {
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

async fn run_level(fake: &FakeLlm, server: &Server, visitors: &Arc<Visitors>, level: usize) -> LevelResult {
    let ramp = Duration::from_millis(level as u64 * 1000 / STARTS_PER_SECOND);
    let tokens = ((ramp + ALL_AT_ONCE).as_secs() * TOKENS_PER_SECOND) as usize;
    fake.always(Script::Timestamped { tokens, every: Duration::from_millis(1000 / TOKENS_PER_SECOND) });
    let streaming = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let delays = Arc::new(Histogram::default());
    let waits = Arc::new(Waits::default());
    let sampler = {
        let (streaming, peak, pid) = (streaming.clone(), peak.clone(), server.pid);
        tokio::spawn(async move {
            let mut memory = 0.0_f64;
            let mut ticks = tokio::time::interval(Duration::from_millis(250));
            loop {
                ticks.tick().await;
                memory = memory.max(rss_mb_of(pid));
                peak.fetch_max(streaming.load(Ordering::Relaxed), Ordering::Relaxed);
                if Arc::strong_count(&streaming) == 1 {
                    return memory;
                }
            }
        })
    };
    let started = CpuMark::now(server.pid);
    let mut chats = Vec::with_capacity(level);
    let mut starts = tokio::time::interval(Duration::from_micros(1_000_000 / STARTS_PER_SECOND));
    for _ in 0..level {
        starts.tick().await;
        let (visitors, streaming, delays, waits) = (visitors.clone(), streaming.clone(), delays.clone(), waits.clone());
        chats.push(tokio::spawn(async move { visitors.chat(&streaming, &delays, &waits).await }));
    }
    let ramped = CpuMark::now(server.pid);
    let mut failed = 0;
    let mut longest = Duration::ZERO;
    for chat in chats {
        match chat.await.expect("a chat task finishes") {
            Ok(streamed_for) => longest = longest.max(streamed_for),
            Err(error) => {
                if failed == 0 {
                    eprintln!("  a chat failed: {error}");
                }
                failed += 1;
            }
        }
    }
    let finished = CpuMark::now(server.pid);
    drop(streaming);
    let peak_memory_mb = sampler.await.expect("the sampler finishes");
    LevelResult {
        peak: peak.load(Ordering::Relaxed),
        p50_ms: delays.percentile_ms(0.50),
        p99_ms: delays.percentile_ms(0.99),
        max_ms: delays.percentile_ms(1.0),
        peak_memory_mb,
        failed,
        ramp_cpu: ramped.since(&started),
        steady_cpu: finished.since(&ramped),
        slowest_tokens_per_second: tokens as f64 / longest.as_secs_f64().max(1e-9),
        waits,
    }
}

impl Visitors {
    /// One visitor: a session, one question, and the streamed answer read
    /// to its end, with every token's delay recorded in `delays`. Returns
    /// how long the answer streamed.
    async fn chat(&self, streaming: &AtomicUsize, delays: &Histogram, waits: &Waits) -> Result<Duration, String> {
        let n = self.next_address.fetch_add(1, Ordering::Relaxed);
        let address = format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255);
        let url = |path: &str| format!("{}/api/widget/v1/{}/{path}", self.base_url, self.key);
        let post = |path: &str, body: serde_json::Value| {
            self.client
                .post(url(path))
                .header("origin", &self.origin)
                .header("x-forwarded-for", &address)
                .header("content-type", "application/json")
                .body(body.to_string())
        };
        let asked = Instant::now();
        let session = post("session", serde_json::json!({}))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| format!("session: {e}"))?
            .bytes()
            .await
            .map_err(|e| format!("session body: {e}"))?;
        let session: serde_json::Value = serde_json::from_slice(&session).map_err(|e| format!("session body: {e}"))?;
        let token = session["token"].as_str().ok_or("the session has no token")?;
        waits.session.record_since(asked);
        let asked = Instant::now();
        let response = post("messages", serde_json::json!({ "token": token, "text": "How long does delivery take?" }))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| format!("message: {e}"))?;
        let mut body = response.bytes_stream();
        let mut buffer = String::new();
        let mut started = false;
        let mut first_delta = Instant::now();
        let outcome = loop {
            let Some(chunk) = body.next().await else { break Err("the stream ended before the answer".to_string()) };
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => break Err(format!("stream: {e}")),
            };
            let now = fake_llm::micros_now();
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            let mut finished = None;
            while let Some(end) = buffer.find("\n\n") {
                let frame = buffer[..end].to_owned();
                buffer.replace_range(..end + 2, "");
                let name = frame.lines().find_map(|l| l.strip_prefix("event: ")).unwrap_or_default();
                let data = frame.lines().find_map(|l| l.strip_prefix("data: ")).unwrap_or_default();
                match name {
                    "delta" => {
                        if !started {
                            started = true;
                            first_delta = Instant::now();
                            waits.first_token.record_since(asked);
                            streaming.fetch_add(1, Ordering::Relaxed);
                        }
                        let delta: Delta = serde_json::from_str(data).unwrap_or_default();
                        let words = delta.text.split_whitespace();
                        words.filter_map(|word| fake_llm::stamp_age(word, now)).for_each(|age| delays.record(age));
                    }
                    // The offline answer standing in for a failed provider is a failure here.
                    "received" => waits.stored.record_since(asked),
                    "done" if data.contains(FALLBACK_NOTE) => finished = Some(Err("the provider failed".into())),
                    "done" => finished = Some(Ok(first_delta.elapsed())),
                    "failed" | "retract" => finished = Some(Err(format!("the answer failed: {data}"))),
                    _ => {}
                }
            }
            if let Some(outcome) = finished {
                break outcome;
            }
        };
        if started {
            streaming.fetch_sub(1, Ordering::Relaxed);
        }
        outcome
    }
}

/// A `delta` event's data, read typed: cheaper for thousands of visitors
/// than a `Value` per event.
#[derive(serde::Deserialize, Default)]
struct Delta {
    text: String,
}

/// Delays in 0.1 ms buckets up to a minute: constant memory however
/// many tokens are measured.
struct Histogram {
    buckets: Vec<AtomicUsize>,
}

const BUCKET_US: u64 = 100;

impl Default for Histogram {
    fn default() -> Self {
        Histogram { buckets: (0..600_000).map(|_| AtomicUsize::new(0)).collect() }
    }
}

impl Histogram {
    fn record(&self, micros: u64) {
        let bucket = ((micros / BUCKET_US) as usize).min(self.buckets.len() - 1);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
    }

    fn record_since(&self, start: Instant) {
        self.record(start.elapsed().as_micros() as u64);
    }

    /// p50/p99/max in milliseconds.
    fn summary(&self) -> String {
        format!("{:.1}/{:.1}/{:.1}", self.percentile_ms(0.5), self.percentile_ms(0.99), self.percentile_ms(1.0))
    }

    /// The delay at quantile `q` (1.0: the largest), in milliseconds.
    fn percentile_ms(&self, q: f64) -> f64 {
        let counts: Vec<usize> = self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).collect();
        let total: usize = counts.iter().sum();
        let wanted = ((total as f64 * q).ceil() as usize).clamp(1, total.max(1));
        let mut seen = 0;
        for (bucket, count) in counts.iter().enumerate() {
            seen += count;
            if seen >= wanted {
                return ((bucket as u64 + 1) * BUCKET_US) as f64 / 1000.0;
            }
        }
        f64::NAN
    }
}

/// The release server binary, on the embedded defaults (SQLite, embedded
/// SurrealDB, the local model) in a temporary directory, answering through
/// the fake provider. Killed when dropped.
struct Server {
    _child: tokio::process::Child,
    pid: u32,
    base_url: String,
}

impl Server {
    async fn start(data_dir: &std::path::Path, llm_base_url: &str) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .env("DATA_DIR", data_dir)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("MODEL_DIR", support::model_dir())
            .env("SEED_DEMO", "true")
            .env("RUST_LOG", "warn")
            // Each visitor comes from their own address, as behind a real proxy.
            .env("TRUSTED_PROXY_HEADER", "x-forwarded-for")
            .env("LLM_PROVIDER", "openai-compatible")
            .env("LLM_BASE_URL", llm_base_url)
            .env("LLM_CA_FILE", fake_llm::ca_file())
            .env("LLM_API_KEY", fake_llm::KEY)
            .env("LLM_MODEL", fake_llm::MODEL)
            .env("LLM_FIRST_TOKEN_TIMEOUT_MS", "30000")
            .env("LLM_TOTAL_TIMEOUT_MS", "600000")
            .env("LLM_RETRIES", "0")
            .kill_on_drop(true)
            .spawn()
            .expect("the server starts");
        let pid = child.id().expect("the server runs");
        let base_url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(120);
        while !reqwest::get(format!("{base_url}/readyz")).await.is_ok_and(|r| r.status().is_success()) {
            assert!(Instant::now() < deadline, "the server never became ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Server { _child: child, pid, base_url }
    }
}

/// Waits until the seeded help centre's ingestion jobs have finished.
async fn wait_for_demo_help_centre(sql: &sqlx::SqlitePool, workspace: &str) {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let (jobs, open): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE state IN ('queued', 'processing')) FROM knowledge_jobs WHERE workspace_id = $1",
        )
        .bind(workspace)
        .fetch_one(sql)
        .await
        .expect("the jobs read");
        if jobs > 0 && open == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "the demo help centre was never ingested");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every chat holds four sockets (visitor and provider, both ends).
fn raise_open_file_limit() {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: plain libc calls on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
