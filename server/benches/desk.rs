//! The desk's push channels: a person's reply reaching visitors' widgets
//! while many channels are open. The release server binary runs on its
//! embedded defaults (SQLite, where signals go to the process's own
//! followers; across processes they go through PostgreSQL's `NOTIFY`, which
//! the test suite exercises). Visitors, each from their own address, ask
//! for a person (the hand-off starts their conversation) and hold their
//! push channel open (`…/events`), as the widget does. Then the demo owner
//! replies from the desk to one conversation after another, each reply to
//! a conversation of its own (so each also joins it, the heavier case).
//! A reply's delay runs from sending the desk's request to the visitor's
//! channel delivering it: the write, the signal and the follower's read of
//! the journal included. A reply that never arrives is counted as missing.
//! Memory per idle channel is the server's resident memory with every
//! channel open, less before, over the channel count. `cargo bench -p
//! server --bench desk` (`DESK_CHANNELS=2000` tries another count); `cargo
//! xtask bench` runs it too. Prints numbers, asserts nothing.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures_util::{StreamExt, TryStreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc;

mod support;
use support::{raise_open_file_limit, report, rss_mb_of, until_idle, Server};

/// Visitors holding their push channel open.
const CHANNELS: usize = 1000;
/// Replies sent from the desk, each to its own conversation.
const REPLIES: usize = 300;
const REPLIES_PER_SECOND: u64 = 20;
/// Visitors set up at once.
const SETUP_CONCURRENCY: usize = 16;
const TARGET_P99_MS: f64 = 100.0;
/// How long the last reply may take before it counts as missing.
const PATIENCE: Duration = Duration::from_secs(30);

fn main() {
    raise_open_file_limit();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(run());
}

async fn run() {
    let channels = std::env::var("DESK_CHANNELS").map_or(CHANNELS, |n| n.parse().expect("DESK_CHANNELS: a number"));
    let replies = REPLIES.min(channels);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = Server::start(dir.path(), &[]).await;
    let desk = Desk::log_in(&server).await;
    println!("== The desk's push channels: {channels} visitors waiting with their channel open, {replies} replies at {REPLIES_PER_SECOND}/s");
    until_idle(server.pid).await;

    // The visitors ask for a person, then open their channels.
    let visitors = Arc::new(Visitors { base: server.base_url.clone(), key: desk.widget_key.clone(), client: client() });
    let tokens: Vec<String> = futures_util::stream::iter(0..channels)
        .map(|n| {
            let visitors = visitors.clone();
            async move { visitors.ask_for_a_person(n).await }
        })
        .buffered(SETUP_CONCURRENCY)
        .collect()
        .await;
    until_idle(server.pid).await;
    let before = rss_mb_of(server.pid);
    let sent_at: Arc<Vec<OnceLock<Instant>>> = Arc::new((0..replies).map(|_| OnceLock::new()).collect());
    let (delivered, mut deliveries) = mpsc::unbounded_channel();
    let opened = Instant::now();
    for (n, token) in tokens.iter().enumerate() {
        let response = visitors.post(n, "events", json!({ "token": token, "after": 0 })).await;
        assert_eq!(response.status(), 200, "visitor {n}'s channel opens");
        tokio::spawn(listen(response, sent_at.clone(), delivered.clone()));
    }
    drop(delivered);
    let opening = opened.elapsed();
    until_idle(server.pid).await;
    let with_channels = rss_mb_of(server.pid);
    println!(
        "  server memory: {before:.0} MB before, {with_channels:.0} MB with {channels} channels open: {:.1} KB per idle channel \
         (opened in {:.1} s)",
        (with_channels - before) * 1024.0 / channels as f64,
        opening.as_secs_f64()
    );

    // The desk replies, each to its own conversation, spread over them all.
    let conversations = conversations(dir.path(), &desk.workspace).await;
    assert_eq!(conversations.len(), channels, "every visitor's hand-off started a conversation");
    let desk = Arc::new(desk);
    let mut ticks = tokio::time::interval(Duration::from_micros(1_000_000 / REPLIES_PER_SECOND));
    let mut requests = Vec::with_capacity(replies);
    for k in 0..replies {
        ticks.tick().await;
        let conversation = conversations[k * channels / replies].clone();
        let (desk, sent_at) = (desk.clone(), sent_at.clone());
        requests.push(tokio::spawn(async move {
            let started = Instant::now();
            sent_at[k].set(started).expect("each reply is sent once");
            desk.reply(&conversation, &format!("Reply {k} from the desk")).await;
            started.elapsed()
        }));
    }
    let mut round_trips = Vec::with_capacity(replies);
    for request in requests {
        round_trips.push(request.await.expect("a reply task finishes"));
    }
    let mut delays = Vec::with_capacity(replies);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while delays.len() < replies {
        match tokio::time::timeout_at(deadline, deliveries.recv()).await {
            Ok(Some(delay)) => delays.push(delay),
            Ok(None) | Err(_) => break,
        }
    }
    let missing = replies - delays.len();
    report("the desk's reply request (write and answer)", &mut round_trips);
    report("reply sent at the desk to delivered in the visitor's channel", &mut delays);
    let p99_ms = percentile_ms(&delays, 0.99);
    println!(
        "  {missing} of {replies} replies missing; p99 {p99_ms:.1} ms with {channels} channels open (target: < {TARGET_P99_MS} ms, none missing): {}",
        if missing == 0 && p99_ms < TARGET_P99_MS { "meets the target" } else { "misses the target" }
    );
}

/// Every conversation of the workspace, oldest first, read from the
/// server's database.
async fn conversations(data_dir: &std::path::Path, workspace: &str) -> Vec<String> {
    let sql = sqlx::SqlitePool::connect(&format!("sqlite://{}", data_dir.join("lodestar.db").display()))
        .await
        .expect("the server's database opens");
    sqlx::query_scalar("SELECT id FROM conversations WHERE workspace_id = $1 ORDER BY created_at, id")
        .bind(workspace)
        .fetch_all(&sql)
        .await
        .expect("the conversations read")
}

fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
}

/// One connection per request: a channel holds its connection for as long
/// as it is open, as each visitor's browser does.
fn client() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("an HTTP client")
}

struct Visitors {
    base: String,
    key: String,
    client: reqwest::Client,
}

impl Visitors {
    /// Visitor `n`, from their own address, as the widget sends it.
    async fn post(&self, n: usize, route: &str, body: Value) -> reqwest::Response {
        self.client
            .post(format!("{}/api/widget/v1/{}/{route}", self.base, self.key))
            .header("origin", &self.base)
            .header("x-forwarded-for", format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255))
            .header("content-type", "text/plain;charset=UTF-8")
            .body(body.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("visitor {n}'s {route}: {e}"))
    }

    /// A session, then a hand-off: the visitor's token.
    async fn ask_for_a_person(&self, n: usize) -> String {
        let session: Value = json_of(self.post(n, "session", json!({})).await).await;
        let token = session["token"].as_str().expect("a visitor token").to_owned();
        let handoff = self.post(n, "handoff", json!({ "token": token })).await;
        assert_eq!(handoff.status(), 200, "visitor {n}'s hand-off");
        token
    }
}

/// Reads a visitor's channel to its end, sending each reply's delay.
async fn listen(
    response: reqwest::Response,
    sent_at: Arc<Vec<OnceLock<Instant>>>,
    delivered: mpsc::UnboundedSender<Duration>,
) {
    let mut chunks = response.bytes_stream().map_err(|e| e.to_string());
    let mut buffer = String::new();
    while let Some(Ok(chunk)) = chunks.next().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let arrived = Instant::now();
            let data = frame.lines().find_map(|l| l.strip_prefix("data: ")).unwrap_or_default();
            let Ok(entry) = serde_json::from_str::<Value>(data) else { continue };
            let reply = entry["body"].as_str().and_then(|b| b.strip_prefix("Reply ")?.split(' ').next()?.parse().ok());
            if let Some(sent) = reply.and_then(|k: usize| sent_at.get(k)?.get()) {
                let _ = delivered.send(arrived - *sent);
            }
        }
    }
}

/// The demo owner at the desk: their session, workspace and widget key.
struct Desk {
    base: String,
    client: reqwest::Client,
    cookie: String,
    workspace: String,
    widget_key: String,
}

impl Desk {
    async fn log_in(server: &Server) -> Desk {
        let client = client();
        let base = server.base_url.clone();
        let mut desk =
            Desk { base, client, cookie: String::new(), workspace: String::new(), widget_key: String::new() };
        let login = desk
            .call(
                "/api/accounts/log-in",
                &[
                    ("email", lodestar_server::accounts::DEMO_EMAIL),
                    ("password", lodestar_server::accounts::DEMO_PASSWORD),
                ],
            )
            .await;
        assert!(login.status().is_success(), "demo login: {}", login.status());
        let cookie = login.headers().get("set-cookie").expect("a session cookie").to_str().unwrap();
        desk.cookie = cookie.split(';').next().unwrap().to_owned();
        let viewer = json_of(desk.call("/api/accounts/viewer", &[]).await).await;
        desk.workspace = viewer["workspaces"][0]["id"].as_str().expect("the demo workspace").to_owned();
        let page = desk.client.get(format!("{}/demo", desk.base)).send().await.unwrap().text().await.unwrap();
        desk.widget_key = page
            .split("data-key=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the demo page names its widget key")
            .to_owned();
        desk
    }

    /// A server function, as the dashboard calls it.
    async fn call(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("sec-fetch-site", "same-origin")
            .form(fields)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    async fn reply(&self, conversation: &str, text: &str) {
        let fields = [("workspace_id", self.workspace.as_str()), ("conversation_id", conversation), ("text", text)];
        let sent = self.call("/api/desk/reply", &fields).await;
        assert_eq!(sent.status(), 200, "the desk's reply");
    }
}

async fn json_of(response: reqwest::Response) -> Value {
    serde_json::from_slice(&response.bytes().await.expect("a body")).expect("JSON")
}
