//! A fake LLM provider for tests, speaking the real streaming wire
//! protocols: OpenAI Chat Completions (SSE `data:` chunks and `[DONE]`),
//! Anthropic Messages (named SSE events) and Ollama's chat (NDJSON). Each
//! request takes the next scripted behaviour: a normal answer, an HTTP
//! error, a 429 with `Retry-After`, a hang before the headers or mid-way,
//! a stream cut off before its final event, or a malformed chunk. It
//! serves plain HTTP/1.1, or TLS with HTTP/2 (as OpenAI and Anthropic do)
//! under a test CA, with a limit on concurrent streams per connection.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::serve::ListenerExt;
use axum::Json;
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;

pub const KEY: &str = "sk-test-fake-llm";
pub const MODEL: &str = "fake-model";
/// Requests [`FakeLlm::seen`] keeps, the latest.
const REMEMBERED: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    OpenAi,
    Anthropic,
    Ollama,
}

#[derive(Debug, Clone)]
pub enum Script {
    /// Streams these pieces and ends properly.
    Answer(Vec<String>),
    /// An error status with a JSON error body.
    Status(u16),
    /// 429 with `Retry-After: secs`.
    RateLimited { retry_after_secs: u64 },
    /// Accepts the request and never answers.
    HangBeforeHeaders,
    /// Streams the pieces, then goes silent without ending.
    HangMidStream(Vec<String>),
    /// Streams the pieces and closes without the final event.
    EndWithoutFinal(Vec<String>),
    /// A chunk that is not JSON.
    Malformed,
    /// A naive model that obeys injected instructions: it repeats its
    /// system prompt, a few characters per chunk.
    RevealSystemPrompt,
    /// Like that, but only the canary marker near the prompt's end.
    RevealMarker,
    /// `tokens` pieces, one every `every`, each the time it was sent
    /// ([`stamp`]) and a space, so a client can measure every token's delay.
    Timestamped { tokens: usize, every: Duration },
    /// Streams the first piece, waits until [`FakeLlm::open_gate`], then
    /// streams the rest and ends properly.
    Gated(Vec<String>),
}

/// Stamps wrap after 36⁵ µs (a minute): five characters, about a real token's length.
const STAMP_WRAP: u64 = 36u64.pow(5);

/// Microseconds since the Unix epoch.
pub fn micros_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64)
}

/// The current time as five base-36 digits: the text of a timestamped piece.
pub fn stamp() -> String {
    let mut value = micros_now() % STAMP_WRAP;
    let mut digits = [b'0'; 5];
    for digit in digits.iter_mut().rev() {
        *digit = b"0123456789abcdefghijklmnopqrstuvwxyz"[(value % 36) as usize];
        value /= 36;
    }
    String::from_utf8_lossy(&digits).into_owned()
}

/// Microseconds from a [`stamp`] until `now` (`None` for other words).
pub fn stamp_age(word: &str, now: u64) -> Option<u64> {
    let sent = u64::from_str_radix(word, 36).ok().filter(|_| word.len() == 5)?;
    Some((now % STAMP_WRAP + STAMP_WRAP - sent) % STAMP_WRAP)
}

pub fn pieces(text: &[&str]) -> Vec<String> {
    text.iter().map(|s| s.to_string()).collect()
}

/// What the fake saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: Value,
}

#[derive(Default)]
struct Shared {
    scripts: Mutex<VecDeque<Script>>,
    /// What a request gets when no script is queued.
    fallback: Mutex<Option<Script>>,
    seen: Mutex<Vec<Seen>>,
    /// Requests so far, all of them.
    requests: Mutex<usize>,
    seen_signal: Notify,
    gate_open: std::sync::atomic::AtomicBool,
    gate_signal: Notify,
    /// Responses (or hanging handlers) dropped before they finished:
    /// the client went away.
    abandoned: Mutex<usize>,
    abandoned_signal: Notify,
}

/// How the fake serves TLS.
#[derive(Clone, Copy)]
struct Tls {
    /// Concurrent streams allowed on one HTTP/2 connection.
    max_streams: u32,
    /// Batches each connection's writes (see [`FakeLlm::start_tls_batched`]).
    write_every: Option<Duration>,
}

pub struct FakeLlm {
    pub base_url: String,
    pub wire: Wire,
    shared: Arc<Shared>,
}

impl FakeLlm {
    /// Plain HTTP/1.1 on 127.0.0.1.
    pub async fn start(wire: Wire) -> FakeLlm {
        FakeLlm::serve(wire, None).await
    }

    /// HTTPS with a certificate from the test CA ([`ca_file`]), HTTP/2 by
    /// ALPN (HTTP/1.1 otherwise), at most `max_streams` concurrent streams
    /// on each HTTP/2 connection.
    pub async fn start_tls(wire: Wire, max_streams: u32) -> FakeLlm {
        FakeLlm::serve(wire, Some(Tls { max_streams, write_every: None })).await
    }

    /// Like [`FakeLlm::start_tls`], but each connection's frames leave in
    /// one write at most every `write_every`: a load generator sharing the
    /// server's cores cannot afford a syscall (and the loopback's whole
    /// receive path) for every token of thousands of streams. The server
    /// reads the same TLS records and HTTP/2 frames either way.
    pub async fn start_tls_batched(wire: Wire, max_streams: u32, write_every: Duration) -> FakeLlm {
        FakeLlm::serve(wire, Some(Tls { max_streams, write_every: Some(write_every) })).await
    }

    async fn serve(wire: Wire, tls: Option<Tls>) -> FakeLlm {
        let shared = Arc::new(Shared::default());
        let path = match wire {
            Wire::OpenAi => "/v1/chat/completions",
            Wire::Anthropic => "/v1/messages",
            Wire::Ollama => "/api/chat",
        };
        let state = shared.clone();
        let router = axum::Router::new().route(
            path,
            post(move |version: Version, headers: HeaderMap, Json(body): Json<Value>| {
                let shared = state.clone();
                async move { respond(wire, shared, version, headers, body).await }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let scheme = match tls {
            None => {
                // Like a real provider: each streamed chunk leaves at once.
                let listener = listener.tap_io(|tcp| tcp.set_nodelay(true).unwrap());
                tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
                "http"
            }
            Some(tls) => {
                tokio::spawn(serve_tls(listener, router, tls));
                "https"
            }
        };
        let base_url = match wire {
            Wire::OpenAi => format!("{scheme}://127.0.0.1:{port}/v1"),
            Wire::Anthropic | Wire::Ollama => format!("{scheme}://127.0.0.1:{port}"),
        };
        FakeLlm { base_url, wire, shared }
    }

    /// Queues behaviours for the next requests, in order. With none queued
    /// a request gets a short normal answer.
    pub fn script(&self, scripts: impl IntoIterator<Item = Script>) {
        self.shared.scripts.lock().unwrap().extend(scripts);
    }

    /// What every request gets once the queue is empty (by default a
    /// short normal answer).
    pub fn always(&self, script: Script) {
        *self.shared.fallback.lock().unwrap() = Some(script);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }

    /// Waits until `count` requests have arrived in all.
    pub async fn until_seen(&self, count: usize, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.shared.seen_signal.notified();
            let requests = *self.shared.requests.lock().unwrap();
            if requests >= count {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("only {requests} of {count} requests arrived within {within:?}");
            }
        }
    }

    /// Lets every [`Script::Gated`] answer, waiting or still to come, finish.
    pub fn open_gate(&self) {
        self.shared.gate_open.store(true, std::sync::atomic::Ordering::SeqCst);
        self.shared.gate_signal.notify_waiters();
    }

    pub fn abandoned(&self) -> usize {
        *self.shared.abandoned.lock().unwrap()
    }

    /// Waits until `count` responses were abandoned by the client.
    pub async fn until_abandoned(&self, count: usize, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.shared.abandoned_signal.notified();
            if self.abandoned() >= count {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("only {} of {count} responses were abandoned within {within:?}", self.abandoned());
            }
        }
    }
}

/// Counts a response as abandoned when dropped before it was finished.
struct Watch {
    shared: Arc<Shared>,
    finished: bool,
}

impl Watch {
    fn finish(&mut self) {
        self.finished = true;
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if !self.finished {
            *self.shared.abandoned.lock().unwrap() += 1;
            self.shared.abandoned_signal.notify_waiters();
        }
    }
}

async fn respond(wire: Wire, shared: Arc<Shared>, version: Version, headers: HeaderMap, body: Value) -> Response {
    let authorised = match wire {
        Wire::OpenAi | Wire::Ollama => {
            headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {KEY}"))
        }
        Wire::Anthropic => headers.get("x-api-key").and_then(|v| v.to_str().ok()) == Some(KEY),
    };
    let system = system_prompt(wire, &body);
    {
        let mut seen = shared.seen.lock().unwrap();
        // Enough for any test; a load run sends thousands.
        if seen.len() == REMEMBERED {
            seen.remove(0);
        }
        seen.push(Seen { at: Instant::now(), version, headers, body });
        *shared.requests.lock().unwrap() += 1;
        shared.seen_signal.notify_waiters();
    }
    if !authorised {
        return error(wire, StatusCode::UNAUTHORIZED, "invalid api key");
    }
    let queued = shared.scripts.lock().unwrap().pop_front();
    let script = queued
        .or_else(|| shared.fallback.lock().unwrap().clone())
        .unwrap_or_else(|| Script::Answer(pieces(&["Hello! [1]"])));
    let mut watch = Watch { shared: shared.clone(), finished: false };
    if matches!(script, Script::Status(_) | Script::RateLimited { .. }) {
        watch.finish();
    }
    match script {
        Script::Status(code) => error(wire, StatusCode::from_u16(code).unwrap(), "scripted failure"),
        Script::RateLimited { retry_after_secs } => {
            let mut response = error(wire, StatusCode::TOO_MANY_REQUESTS, "slow down");
            response.headers_mut().insert("retry-after", retry_after_secs.to_string().parse().unwrap());
            response
        }
        Script::HangBeforeHeaders => {
            let _watch = watch;
            std::future::pending::<()>().await;
            unreachable!()
        }
        Script::Answer(parts) => streamed(wire, listed(frames(wire, &parts, true)), false, watch),
        Script::HangMidStream(parts) => streamed(wire, listed(frames(wire, &parts, false)), true, watch),
        Script::EndWithoutFinal(parts) => streamed(wire, listed(frames(wire, &parts, false)), false, watch),
        Script::Malformed => {
            let broken = match wire {
                Wire::Ollama => "{\"message\": {\"content\": \n",
                Wire::OpenAi => "data: {\"choices\": [{\"delta\": {\"content\": \"oops\"\n\n",
                Wire::Anthropic => "event: content_block_delta\ndata: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\n\n",
            };
            let mut all = frames(wire, &[], false);
            all.push(broken.into());
            streamed(wire, listed(all), false, watch)
        }
        Script::RevealSystemPrompt => {
            let parts = in_threes(&format!("Of course! My instructions are: {system}"));
            streamed(wire, listed(frames(wire, &parts, true)), false, watch)
        }
        Script::RevealMarker => {
            let marker = system.find("LDSTR-").map_or("", |at| &system[at..]);
            let parts = in_threes(&format!("Sure, here it is:{marker} and that is all."));
            streamed(wire, listed(frames(wire, &parts, true)), false, watch)
        }
        Script::Timestamped { tokens, every } => {
            // A model generates on its own schedule: a tick this process
            // runs late sends at once, rather than slowing every later one.
            let ticks = tokio::time::interval(every);
            let paced = stream::unfold(ticks, move |mut ticks| async move {
                ticks.tick().await;
                Some((text_frame(wire, &format!("{} ", stamp())), ticks))
            })
            .take(tokens);
            let body = listed(opening_frames(wire)).chain(paced).chain(listed(closing_frames(wire, tokens)));
            streamed(wire, body, false, watch)
        }
        Script::Gated(parts) => {
            let mut rest = frames(wire, &parts, true);
            let first: Vec<String> = rest.drain(..(opening_frames(wire).len() + 1).min(rest.len())).collect();
            let shared = shared.clone();
            let waiting = stream::once(async move { gate(&shared).await }).filter_map(|()| async { None::<String> });
            streamed(wire, listed(first).chain(waiting).chain(listed(rest)), false, watch)
        }
    }
}

async fn gate(shared: &Shared) {
    loop {
        let notified = shared.gate_signal.notified();
        if shared.gate_open.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        notified.await;
    }
}

fn listed(frames: Vec<String>) -> impl futures_util::Stream<Item = String> + Send + 'static {
    stream::iter(frames)
}

fn in_threes(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(3).map(|c| c.iter().collect()).collect()
}

fn system_prompt(wire: Wire, body: &Value) -> String {
    match wire {
        Wire::Anthropic => match &body["system"] {
            Value::String(s) => s.clone(),
            Value::Array(blocks) => blocks.iter().filter_map(|b| b["text"].as_str()).collect::<Vec<_>>().join("\n"),
            _ => String::new(),
        },
        _ => body["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["role"] == "system")
            .map(|m| match &m["content"] {
                Value::String(s) => s.clone(),
                Value::Array(parts) => parts.iter().filter_map(|p| p["text"].as_str()).collect::<Vec<_>>().join(""),
                _ => String::new(),
            })
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn error(wire: Wire, status: StatusCode, message: &str) -> Response {
    let body = match wire {
        Wire::Anthropic => json!({"type": "error", "error": {"type": "api_error", "message": message}}),
        Wire::OpenAi => json!({"error": {"message": message, "type": "server_error", "code": null}}),
        Wire::Ollama => json!({"error": message}),
    };
    (status, Json(body)).into_response()
}

/// The body of a streamed answer: `parts` as text deltas, then (when
/// `complete`) the events that end it properly with usage.
fn frames(wire: Wire, parts: &[String], complete: bool) -> Vec<String> {
    let mut out = opening_frames(wire);
    out.extend(parts.iter().map(|part| text_frame(wire, part)));
    if complete {
        out.extend(closing_frames(wire, parts.len()));
    }
    out
}

/// A `chat.completion.chunk` frame. Written out rather than built as a
/// `Value`: the streaming bench sends tens of thousands a second.
fn openai_chunk(delta: impl std::fmt::Display, finish: impl std::fmt::Display) -> String {
    format!(
        "data: {{\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\
         \"model\":\"{MODEL}\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish}}}]}}\n\n"
    )
}

fn anthropic_event(name: &str, data: Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

fn ollama_line(content: &str, done: Value) -> String {
    let mut line = json!({"model": MODEL, "created_at": "2026-11-22T12:00:00Z",
        "message": {"role": "assistant", "content": content}, "done": false});
    if let (Value::Object(line), Value::Object(done)) = (&mut line, done) {
        line.extend(done);
    }
    format!("{line}\n")
}

/// What a stream sends before its first text.
fn opening_frames(wire: Wire) -> Vec<String> {
    match wire {
        Wire::OpenAi => vec![openai_chunk(json!({"role": "assistant", "content": ""}), "null")],
        Wire::Anthropic => vec![
            anthropic_event(
                "message_start",
                json!({"type": "message_start", "message": {"id": "msg_fake", "type": "message",
                "role": "assistant", "model": MODEL, "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": 321, "output_tokens": 1}}}),
            ),
            anthropic_event(
                "content_block_start",
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            ),
            anthropic_event("ping", json!({"type": "ping"})),
        ],
        Wire::Ollama => Vec::new(),
    }
}

fn text_frame(wire: Wire, part: &str) -> String {
    match wire {
        Wire::OpenAi => openai_chunk(format_args!("{{\"content\":{}}}", Value::from(part)), "null"),
        Wire::Anthropic => anthropic_event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": part}}),
        ),
        Wire::Ollama => ollama_line(part, json!({})),
    }
}

/// What ends a stream of `output_tokens` text frames properly, with usage.
fn closing_frames(wire: Wire, output_tokens: usize) -> Vec<String> {
    match wire {
        Wire::OpenAi => {
            let usage = json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_700_000_000,
                "model": MODEL, "choices": [],
                "usage": {"prompt_tokens": 321, "completion_tokens": output_tokens, "total_tokens": 321 + output_tokens}});
            vec![openai_chunk("{}", "\"stop\""), format!("data: {usage}\n\n"), "data: [DONE]\n\n".into()]
        }
        Wire::Anthropic => vec![
            anthropic_event("content_block_stop", json!({"type": "content_block_stop", "index": 0})),
            anthropic_event(
                "message_delta",
                json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null},
                "usage": {"output_tokens": output_tokens}}),
            ),
            anthropic_event("message_stop", json!({"type": "message_stop"})),
        ],
        Wire::Ollama => vec![ollama_line(
            "",
            json!({"done": true, "done_reason": "stop", "total_duration": 1000, "load_duration": 10,
            "prompt_eval_count": 321, "prompt_eval_duration": 100, "eval_count": output_tokens, "eval_duration": 500}),
        )],
    }
}

fn streamed(
    wire: Wire,
    frames: impl futures_util::Stream<Item = String> + Send + 'static,
    hang: bool,
    mut watch: Watch,
) -> Response {
    let content_type = match wire {
        Wire::Ollama => "application/x-ndjson",
        _ => "text/event-stream",
    };
    // The watch lives at the end of the body: dropped with it, unfinished,
    // when the client goes away first. The ending yields no chunk: an empty
    // one is an empty HTTP/2 DATA frame, and h2 clients end a connection
    // that has received 100 of those (no real provider sends them).
    let ending = stream::once(async move {
        if hang {
            std::future::pending::<()>().await;
        }
        watch.finish();
    })
    .filter_map(|()| async { None::<String> });
    let body = frames.chain(ending).map(|frame| Ok::<_, Infallible>(Bytes::from(frame)));
    Response::builder().header("content-type", content_type).body(Body::from_stream(body)).unwrap()
}

/// The test CA that signed the TLS fake's certificate (for 127.0.0.1 and
/// localhost, valid until 2126).
pub fn ca_file() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/tls/ca.pem")
}

/// Accepts TLS connections and serves each by the protocol ALPN chose.
async fn serve_tls(listener: tokio::net::TcpListener, router: axum::Router, tls: Tls) {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/tls");
    let chain = CertificateDer::pem_file_iter(dir.join("cert.pem")).unwrap().collect::<Result<Vec<_>, _>>().unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("key.pem")).unwrap();
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    loop {
        let Ok((tcp, _)) = listener.accept().await else { continue };
        tcp.set_nodelay(true).unwrap();
        let (acceptor, router) = (acceptor.clone(), router.clone());
        tokio::spawn(async move {
            let tcp = BatchedWrites::new(tcp, tls.write_every.unwrap_or_default());
            let Ok(stream) = acceptor.accept(tcp).await else { return };
            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
            let (io, service) = (TokioIo::new(stream), hyper_util::service::TowerToHyperService::new(router));
            // A client that goes away mid-stream ends its connection with an error; that is expected.
            let _ = if h2 {
                hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .max_concurrent_streams(tls.max_streams)
                    .serve_connection(io, service)
                    .await
            } else {
                hyper::server::conn::http1::Builder::new().serve_connection(io, service).await
            };
        });
    }
}

/// A TCP stream whose writes leave at most once every `every` (zero: as
/// they come). Bytes written sooner wait in a buffer for the next flush
/// that is due; a flush before then waits for it.
struct BatchedWrites {
    tcp: tokio::net::TcpStream,
    every: Duration,
    pending: Vec<u8>,
    /// When the next write may leave.
    due: tokio::time::Instant,
    timer: Pin<Box<tokio::time::Sleep>>,
}

/// Past this much buffered, a write waits for the buffer to leave.
const MAX_BATCH: usize = 256 * 1024;

impl BatchedWrites {
    fn new(tcp: tokio::net::TcpStream, every: Duration) -> BatchedWrites {
        let now = tokio::time::Instant::now();
        BatchedWrites { tcp, every, pending: Vec::new(), due: now, timer: Box::pin(tokio::time::sleep_until(now)) }
    }

    /// Writes out everything pending once it is due.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if self.pending.is_empty() {
            return Poll::Ready(Ok(()));
        }
        if tokio::time::Instant::now() < self.due {
            let due = self.due;
            self.timer.as_mut().reset(due);
            if self.timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        while !self.pending.is_empty() {
            let written = ready!(Pin::new(&mut self.tcp).poll_write(cx, &self.pending))?;
            if written == 0 {
                return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
            }
            self.pending.drain(..written);
        }
        self.due = tokio::time::Instant::now() + self.every;
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for BatchedWrites {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for BatchedWrites {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        if self.pending.len() >= MAX_BATCH {
            ready!(self.poll_send(cx))?;
        }
        self.pending.extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        ready!(self.poll_send(cx))?;
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        ready!(self.poll_send(cx))?;
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}
