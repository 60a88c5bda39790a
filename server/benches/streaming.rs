//! Many visitors streaming answers at once. The release server binary runs
//! on its embedded defaults (SQLite, embedded SurrealDB, the local model)
//! and answers through rig's OpenAI client from a fake OpenAI-compatible
//! provider in this process, which streams every answer at 30 tokens/s. As
//! OpenAI's API does, the fake speaks HTTP/2 over TLS (its test CA given to
//! the server) and allows 100 concurrent streams per connection, writing
//! each connection's frames in batches at most 2 ms apart. The visitors,
//! also here, call the real widget API over HTTP/1.1, each on their own
//! connection, spoken by hand so that the load generator's share of the
//! machine stays small. Each token's text is the time it was sent, so the
//! visitors measure every token's delay from provider to browser (the
//! server's 50 ms coalescing included), and a chat missing any token fails.
//! Levels rise until one misses a target; the largest that meets both, with
//! the provider keeping at least 95% of its pace for every chat, is the
//! result. Memory and CPU are the server process's own (CPU also for
//! this process, which plays the provider and the visitors). `cargo bench
//! -p server --bench streaming` (`STREAMING_LEVELS=500,1500` tries other
//! levels); `cargo xtask bench` runs it too. Prints numbers, asserts nothing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lodestar_server::chat::FALLBACK_NOTE;

#[allow(dead_code)]
#[path = "../tests/it/fake_llm.rs"]
mod fake_llm;
mod support;
use fake_llm::{FakeLlm, Script, Wire};
use support::{cpu_seconds, raise_open_file_limit, rss_mb_of, until_idle, Server};

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
/// The fake provider writes each connection's frames out at most this
/// often, so that playing thousands of streams costs it one syscall per
/// batch rather than per token (the server still gets every token as its
/// own TLS record and HTTP/2 frame, up to this much later).
const PROVIDER_WRITE_EVERY: Duration = Duration::from_millis(2);

fn main() {
    raise_open_file_limit();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(run());
}

async fn run() {
    let fake = FakeLlm::start_tls_batched(Wire::OpenAi, PROVIDER_STREAMS_PER_CONNECTION, PROVIDER_WRITE_EVERY).await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let ca_file = fake_llm::ca_file();
    let llm = [
        ("LLM_PROVIDER", "openai-compatible"),
        ("LLM_BASE_URL", fake.base_url.as_str()),
        ("LLM_CA_FILE", ca_file.to_str().expect("a UTF-8 path")),
        ("LLM_API_KEY", fake_llm::KEY),
        ("LLM_MODEL", fake_llm::MODEL),
        ("LLM_FIRST_TOKEN_TIMEOUT_MS", "30000"),
        ("LLM_TOTAL_TIMEOUT_MS", "600000"),
        ("LLM_RETRIES", "0"),
    ];
    let server = Server::start(dir.path(), &llm).await;
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
    let visitors = Arc::new(Visitors {
        address: server.address,
        origin: server.base_url.clone(),
        key,
        next_address: AtomicUsize::new(0),
    });

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
    address: std::net::SocketAddr,
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
        chats.push(tokio::spawn(async move { visitors.chat(tokens, &streaming, &delays, &waits).await }));
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
    /// how long the answer streamed; an answer missing any of the
    /// provider's `tokens` is a failure, so a fast but lossy path cannot pass.
    async fn chat(
        &self,
        tokens: usize,
        streaming: &AtomicUsize,
        delays: &Histogram,
        waits: &Waits,
    ) -> Result<Duration, String> {
        let n = self.next_address.fetch_add(1, Ordering::Relaxed);
        let headers = format!(
            "origin: {}\r\nx-forwarded-for: 10.{}.{}.{}\r\n",
            self.origin,
            (n >> 16) & 255,
            (n >> 8) & 255,
            n & 255
        );
        let path = |name: &str| format!("/api/widget/v1/{}/{name}", self.key);
        let mut connection = Connection::open(self.address).await?;
        let asked = Instant::now();
        let session = connection.post(&path("session"), &headers, "{}").await?;
        let session = connection.body(session).await.map_err(|e| format!("session: {e}"))?;
        let session: serde_json::Value = serde_json::from_slice(&session).map_err(|e| format!("session body: {e}"))?;
        let token = session["token"].as_str().ok_or("the session has no token")?;
        waits.session.record_since(asked);
        let asked = Instant::now();
        let question = serde_json::json!({ "token": token, "text": "How long does delivery take?" }).to_string();
        let answer = connection.post(&path("messages"), &headers, &question).await?;
        if answer.content_length.is_some() {
            let refused = connection.body(answer).await?;
            return Err(format!("message: {}", String::from_utf8_lossy(&refused)));
        }
        let mut chunks = Chunked::default();
        let mut body = Vec::new();
        let mut started = false;
        let mut first_delta = Instant::now();
        let mut arrived = 0;
        // The head may have come with the first events: read what is there first.
        let outcome = 'read: loop {
            let now = fake_llm::micros_now();
            let ended = match chunks.decode(&mut connection.input, &mut body) {
                Ok(ended) => ended,
                Err(error) => break Err(error),
            };
            while let Some(end) = find(&body, b"\n\n") {
                let frame = String::from_utf8_lossy(&body[..end]).into_owned();
                body.drain(..end + 2);
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
                        for age in words.filter_map(|word| fake_llm::stamp_age(word, now)) {
                            delays.record(age);
                            arrived += 1;
                        }
                    }
                    // The offline answer standing in for a failed provider is a failure here.
                    "received" => waits.stored.record_since(asked),
                    "done" if data.contains(FALLBACK_NOTE) => break 'read Err("the provider failed".into()),
                    "done" if arrived != tokens => break 'read Err(format!("{arrived} of {tokens} tokens arrived")),
                    "done" => break 'read Ok(first_delta.elapsed()),
                    "failed" | "retract" => break 'read Err(format!("the answer failed: {data}")),
                    _ => {}
                }
            }
            if ended {
                break Err("the stream ended before the answer".to_string());
            }
            if let Err(error) = connection.fill().await {
                break Err(format!("stream: {error}"));
            }
        };
        if started {
            streaming.fetch_sub(1, Ordering::Relaxed);
        }
        outcome
    }
}

/// One visitor's keep-alive HTTP/1.1 connection to the widget API, spoken
/// by hand: thousands of visitors share this machine's 2 cores with the
/// server they measure, and a full HTTP client each cost far more than
/// the little they need.
struct Connection {
    tcp: tokio::net::TcpStream,
    /// Bytes read and not yet used.
    input: Vec<u8>,
}

/// A response's head, when its status is a success.
struct Head {
    /// `None`: the body is chunked.
    content_length: Option<usize>,
}

impl Connection {
    async fn open(address: std::net::SocketAddr) -> Result<Connection, String> {
        let tcp = tokio::net::TcpStream::connect(address).await.map_err(|e| format!("connect: {e}"))?;
        tcp.set_nodelay(true).map_err(|e| format!("connect: {e}"))?;
        Ok(Connection { tcp, input: Vec::with_capacity(4096) })
    }

    /// Sends a JSON POST and reads the response's head; an error status is an error.
    async fn post(&mut self, path: &str, headers: &str, json: &str) -> Result<Head, String> {
        use tokio::io::AsyncWriteExt;
        let request = format!(
            "POST {path} HTTP/1.1\r\nhost: lodestar\r\n{headers}content-type: application/json\r\ncontent-length: {}\r\n\r\n{json}",
            json.len()
        );
        self.tcp.write_all(request.as_bytes()).await.map_err(|e| format!("{path}: {e}"))?;
        let end = loop {
            match find(&self.input, b"\r\n\r\n") {
                Some(end) => break end,
                None => self.fill().await.map_err(|e| format!("{path}: {e}"))?,
            }
        };
        let head = String::from_utf8_lossy(&self.input[..end]).into_owned();
        self.input.drain(..end + 4);
        let status = head.split_whitespace().nth(1).unwrap_or_default();
        let header = |name: &str| {
            head.lines().skip(1).find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
            })
        };
        let content_length = header("content-length").and_then(|v| v.parse().ok());
        if !status.starts_with('2') {
            let body = match content_length {
                Some(length) => {
                    String::from_utf8_lossy(&self.body(Head { content_length: Some(length) }).await?).into_owned()
                }
                None => String::new(),
            };
            return Err(format!("{path}: HTTP {status} {body}"));
        }
        if content_length.is_none() && !header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            return Err(format!("{path}: neither a length nor chunked"));
        }
        Ok(Head { content_length })
    }

    /// A body of known length.
    async fn body(&mut self, head: Head) -> Result<Vec<u8>, String> {
        let length = head.content_length.ok_or("a chunked body")?;
        while self.input.len() < length {
            self.fill().await?;
        }
        Ok(self.input.drain(..length).collect())
    }

    /// Reads what has arrived; an error once the server closed.
    async fn fill(&mut self) -> Result<(), String> {
        use tokio::io::AsyncReadExt;
        self.input.reserve(4096);
        match self.tcp.read_buf(&mut self.input).await {
            Ok(0) => Err("the server closed the connection".into()),
            Ok(_) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Decodes a chunked body as it arrives.
#[derive(Default)]
struct Chunked {
    /// Bytes of the current chunk still to come.
    left: usize,
    /// The line break after a chunk's data is next.
    after_data: bool,
}

impl Chunked {
    /// Moves the body bytes `input` holds into `body`; `true` at the body's end.
    fn decode(&mut self, input: &mut Vec<u8>, body: &mut Vec<u8>) -> Result<bool, String> {
        let mut at = 0;
        let ended = loop {
            if self.left > 0 {
                let taken = self.left.min(input.len() - at);
                if taken == 0 {
                    break Ok(false);
                }
                body.extend_from_slice(&input[at..at + taken]);
                at += taken;
                self.left -= taken;
                self.after_data = self.left == 0;
                continue;
            }
            let Some(length) = find(&input[at..], b"\r\n") else { break Ok(false) };
            let line = &input[at..at + length];
            at += length + 2;
            if std::mem::take(&mut self.after_data) {
                if !line.is_empty() {
                    break Err("a chunk ran past its length".into());
                }
                continue;
            }
            let size = String::from_utf8_lossy(line);
            let size = size.split(';').next().unwrap_or_default().trim();
            match usize::from_str_radix(size, 16) {
                Ok(0) => break Ok(true),
                Ok(size) => self.left = size,
                Err(_) => break Err(format!("a bad chunk size: {size:?}")),
            }
        };
        input.drain(..at);
        ended
    }
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
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
