//! Streamed generation by an LLM provider through rig-core: OpenAI's Chat
//! Completions (or any compatible server by base URL), Anthropic's
//! Messages and Ollama's native chat. Around the stream: a connect timeout
//! on the HTTP client; first-token, gap and total deadlines here; retries
//! with jittered backoff (or the provider's `Retry-After`) only while
//! nothing has reached the visitor; a circuit breaker; tokens coalesced
//! into pieces of about 50 ms. Dropping the future (the visitor left)
//! drops the stream and with it the upstream request.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use rig_core::completion::{CompletionRequest, Message, OnUnsupported};
use rig_core::operation::Completion;
use rig_core::providers::{anthropic::AnthropicConfig, ollama::OllamaConfig, openai::OpenAIConfig};
use rig_core::streaming::{Item, StreamEvent};
use rig_core::{DynModel, Model, ProviderError};
use tokio::time::{sleep_until, timeout_at};

use super::breaker::{Breaker, BreakerState};
use super::connections::ProviderClients;
use super::openai_wire::StreamedChat;
use super::prompt::Prompt;
use crate::backoff::jittered;
use crate::config::{LlmConfig, LlmProvider};

/// Streamed text is handed on at most this often.
pub const COALESCE: Duration = Duration::from_millis(50);
/// Without a space to break at, text is held back at most this much (so a
/// leaked canary is seen whole before any of it is sent).
const HOLD_BACK: usize = 64;
/// The longest wait a retry takes, whatever the provider asks.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(20);

/// Where streamed text goes, in coalesced pieces.
#[async_trait::async_trait]
pub trait Sink: Send {
    /// `false` once nobody listens any more.
    async fn piece(&mut self, text: String) -> bool;
}

/// A finished answer.
#[derive(Debug, Clone)]
pub struct Generated {
    pub text: String,
    pub model: String,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
}

/// Why there is no generated answer. The visitor then gets the offline one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmFailure {
    #[error("the circuit breaker is open after repeated failures")]
    BreakerOpen,
    #[error("the provider answered HTTP {0}")]
    Status(u16),
    #[error("no answer began within {0:?}")]
    FirstTokenTimeout(Duration),
    #[error("the answer stalled for {0:?}")]
    Stalled(Duration),
    #[error("the answer took longer than {0:?}")]
    TotalTimeout(Duration),
    #[error("the stream ended before the answer did")]
    Truncated,
    #[error("the provider sent a malformed chunk")]
    Malformed,
    #[error("the provider returned an empty answer")]
    Empty,
    #[error("could not reach the provider: {0}")]
    Unreachable(String),
    #[error("the provider refused the request: {0}")]
    Refused(String),
    /// The reply began repeating the system prompt.
    #[error("the reply leaked the system prompt")]
    Leaked,
    /// The visitor went away; nothing more to send.
    #[error("the visitor left")]
    Cancelled,
}

impl LlmFailure {
    /// A short label for logs and metrics.
    pub fn label(&self) -> &'static str {
        match self {
            LlmFailure::BreakerOpen => "breaker_open",
            LlmFailure::Status(s) if *s == 429 => "rate_limited",
            LlmFailure::Status(s) if *s >= 500 => "server_error",
            LlmFailure::Status(_) => "client_error",
            LlmFailure::FirstTokenTimeout(_) => "first_token_timeout",
            LlmFailure::Stalled(_) => "stalled",
            LlmFailure::TotalTimeout(_) => "total_timeout",
            LlmFailure::Truncated => "truncated",
            LlmFailure::Malformed => "malformed",
            LlmFailure::Empty => "empty",
            LlmFailure::Unreachable(_) => "unreachable",
            LlmFailure::Refused(_) => "refused",
            LlmFailure::Leaked => "leaked",
            LlmFailure::Cancelled => "cancelled",
        }
    }

    /// Failures that say nothing about the provider's health.
    fn is_ours(&self) -> bool {
        matches!(self, LlmFailure::Leaked | LlmFailure::Cancelled | LlmFailure::BreakerOpen)
    }

    fn may_retry(&self) -> bool {
        match self {
            LlmFailure::Status(s) => *s == 408 || *s == 425 || *s == 429 || *s >= 500,
            LlmFailure::FirstTokenTimeout(_) | LlmFailure::Truncated | LlmFailure::Unreachable(_) => true,
            _ => false,
        }
    }
}

/// One attempt's failure, and whether any text had been handed on.
struct AttemptFailure {
    failure: LlmFailure,
    retry_after: Option<Duration>,
    started: bool,
}

/// The deployment's LLM provider.
pub struct Llm {
    config: LlmConfig,
    clients: ProviderClients,
    breaker: Breaker,
    failures: Mutex<BTreeMap<&'static str, u64>>,
}

impl Llm {
    pub fn new(config: LlmConfig) -> Result<Llm, String> {
        let clients = ProviderClients::new(&config)?;
        let breaker = Breaker::new(config.breaker_failures, config.breaker_cooldown);
        Ok(Llm { config, clients, breaker, failures: Mutex::new(BTreeMap::new()) })
    }

    pub fn provider(&self) -> LlmProvider {
        self.config.provider
    }

    pub fn default_model(&self) -> &str {
        &self.config.model
    }

    pub fn breaker_state(&self) -> BreakerState {
        self.breaker.state()
    }

    pub fn breaker_reopens_at(&self) -> Option<Instant> {
        self.breaker.reopens_at()
    }

    /// Failures so far, by label.
    pub fn failure_counts(&self) -> BTreeMap<&'static str, u64> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// HTTP clients in use: more than one once answers outnumber
    /// `streams_per_connection`.
    pub fn client_count(&self) -> usize {
        self.clients.client_count()
    }

    fn model(&self, name: &str, http: rig_core::http_client::DynHttpClient) -> DynModel<Completion> {
        let key = self.config.api_key.as_ref().map(|k| k.expose().to_owned()).unwrap_or_default();
        let base = self.config.base_url.as_str();
        match self.config.provider {
            LlmProvider::OpenAi | LlmProvider::OpenAiCompatible => {
                Model::new(StreamedChat(OpenAIConfig::new(key).with_base_url(base).chat(name)), http).erase()
            }
            LlmProvider::Anthropic => {
                AnthropicConfig::new(key).with_base_url(base).connect(http).completion(name).erase()
            }
            LlmProvider::Ollama => {
                let mut config = OllamaConfig::new().with_base_url(base);
                if !key.is_empty() {
                    config = config.with_api_key(key);
                }
                config.connect(http).native_completion(name).erase()
            }
        }
    }

    fn request(&self, prompt: &Prompt) -> CompletionRequest {
        // Providers want the conversation to open with the visitor.
        let history = prompt.history.iter().skip_while(|(visitor, _)| !visitor).map(|(visitor, text)| {
            if *visitor {
                Message::user(text.clone())
            } else {
                Message::assistant(text.clone())
            }
        });
        CompletionRequest::new(Message::user(prompt.user.clone()))
            .preamble(prompt.system.clone())
            .messages(history.collect::<Vec<_>>())
            .temperature(self.config.temperature)
            .max_tokens(self.config.max_tokens)
            .on_unsupported(OnUnsupported::Ignore)
    }

    /// Generates an answer to `prompt`, handing text to `sink` in coalesced
    /// pieces as it arrives.
    pub async fn generate(
        &self,
        prompt: &Prompt,
        model: Option<&str>,
        sink: &mut dyn Sink,
    ) -> Result<Generated, LlmFailure> {
        if !self.breaker.allow(Instant::now()) {
            self.count(&LlmFailure::BreakerOpen);
            return Err(LlmFailure::BreakerOpen);
        }
        // Dropped unsettled when the caller drops this future (the visitor left).
        let mut trial = Trial { breaker: &self.breaker, settled: false };
        let model = model.unwrap_or(&self.config.model).to_owned();
        let deadline = tokio::time::Instant::now() + self.config.total_timeout;
        let outcome = match timeout_at(deadline, self.attempts(prompt, &model, sink, deadline)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(LlmFailure::TotalTimeout(self.config.total_timeout)),
        };
        trial.settled = true;
        match &outcome {
            Ok(_) => self.breaker.record(true, Instant::now()),
            Err(failure) => {
                self.breaker.record(failure.is_ours(), Instant::now());
                self.count(failure);
            }
        }
        outcome.map(|(text, response)| Generated {
            text,
            model,
            input_tokens: response.as_ref().and_then(|r| r.usage.input_tokens),
            output_tokens: response.as_ref().and_then(|r| r.usage.output_tokens),
        })
    }

    fn count(&self, failure: &LlmFailure) {
        if !matches!(failure, LlmFailure::Cancelled) {
            tracing::warn!(
                provider = self.config.provider.name(),
                reason = failure.label(),
                "LLM answer failed: {failure}"
            );
        }
        *self.failures.lock().unwrap_or_else(|p| p.into_inner()).entry(failure.label()).or_default() += 1;
    }

    async fn attempts(
        &self,
        prompt: &Prompt,
        model: &str,
        sink: &mut dyn Sink,
        deadline: tokio::time::Instant,
    ) -> Result<(String, Option<rig_core::completion::CompletionResponse>), LlmFailure> {
        let mut attempt = 0;
        loop {
            let lease = self.clients.lease();
            let model_handle = self.model(model, lease.http());
            let failed = match self.attempt(&model_handle, prompt, sink).await {
                Ok(done) => return Ok(done),
                Err(failed) => failed,
            };
            if failed.started || attempt >= self.config.retries || !failed.failure.may_retry() {
                return Err(failed.failure);
            }
            let wait = failed.retry_after.unwrap_or_else(|| jittered(self.config.retry_base, attempt));
            if wait > MAX_RETRY_WAIT || tokio::time::Instant::now() + wait >= deadline {
                return Err(failed.failure);
            }
            tracing::info!(
                provider = self.config.provider.name(),
                reason = failed.failure.label(),
                wait_ms = wait.as_millis() as u64,
                "retrying the LLM request"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(
        &self,
        model: &DynModel<Completion>,
        prompt: &Prompt,
        sink: &mut dyn Sink,
    ) -> Result<(String, Option<rig_core::completion::CompletionResponse>), AttemptFailure> {
        let before_start =
            |e: ProviderError| AttemptFailure { retry_after: retry_after(&e), failure: classify(&e), started: false };
        let mut stream = model.stream(self.request(prompt)).map_err(before_start)?;
        let mut text = String::new();
        // Bytes of `text` already found not to leak the prompt.
        let mut checked = 0;
        let mut pending = String::new();
        let mut started = false;
        // Thousands of streams run at once: each keeps two timers and moves
        // them rarely. The silence timer is not pushed back on every chunk;
        // when it fires it checks when the last chunk came and re-arms. The
        // flush timer is due one period after the last piece went out (at
        // once for the first) and is only awaited while text is pending.
        let mut last_chunk = tokio::time::Instant::now();
        let silence = sleep_until(last_chunk + self.config.first_token_timeout);
        let flush = sleep_until(last_chunk);
        tokio::pin!(silence, flush);
        let fail = |failure: LlmFailure, retry_after: Option<Duration>, started: bool| AttemptFailure {
            failure,
            retry_after,
            started,
        };
        loop {
            tokio::select! {
                item = stream.next() => match item {
                    None => break,
                    Some(Err(e)) => return Err(fail(classify(&e), retry_after(&e), started)),
                    Some(Ok(item)) => {
                        let now = tokio::time::Instant::now();
                        if let Item::Event(StreamEvent::Text { text: piece, .. }) = &item {
                            if !piece.is_empty() {
                                text.push_str(piece);
                                pending.push_str(piece);
                                if !started {
                                    started = true;
                                    silence.as_mut().reset(now + self.config.gap_timeout);
                                }
                            }
                        }
                        // Before the first token only text counts as an answer beginning.
                        if started {
                            last_chunk = now;
                        }
                    }
                },
                () = &mut silence => {
                    let due = last_chunk + self.config.gap_timeout;
                    if started && due > tokio::time::Instant::now() {
                        silence.as_mut().reset(due);
                    } else if started {
                        return Err(fail(LlmFailure::Stalled(self.config.gap_timeout), None, true));
                    } else {
                        return Err(fail(LlmFailure::FirstTokenTimeout(self.config.first_token_timeout), None, false));
                    }
                }
                () = &mut flush, if !pending.is_empty() => {
                    if prompt.leaks_after(&text, checked) {
                        return Err(fail(LlmFailure::Leaked, None, true));
                    }
                    checked = text.len();
                    let ready = releasable(&pending);
                    if ready > 0 {
                        let piece: String = pending.drain(..ready).collect();
                        if !sink.piece(piece).await {
                            return Err(fail(LlmFailure::Cancelled, None, true));
                        }
                    }
                    // The next piece goes out no sooner than this.
                    flush.as_mut().reset(tokio::time::Instant::now() + COALESCE);
                }
            }
        }
        if prompt.leaks_after(&text, checked) {
            return Err(fail(LlmFailure::Leaked, None, true));
        }
        if text.trim().is_empty() {
            return Err(fail(LlmFailure::Empty, None, started));
        }
        if !pending.is_empty() && !sink.piece(std::mem::take(&mut pending)).await {
            return Err(fail(LlmFailure::Cancelled, None, true));
        }
        let response = stream.finish().await.ok();
        Ok((text, response))
    }
}

/// A request the breaker let through. If its future is dropped before the
/// outcome is known, the breaker must not wait for it for ever.
struct Trial<'a> {
    breaker: &'a Breaker,
    settled: bool,
}

impl Drop for Trial<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.breaker.abandon(Instant::now());
        }
    }
}

/// How much of `pending` may be sent now: up to its last space, or all but
/// [`HOLD_BACK`] bytes of a long run without one.
fn releasable(pending: &str) -> usize {
    if let Some(end) = super::safety::after_last_whitespace(pending) {
        return end;
    }
    if pending.len() <= HOLD_BACK * 2 {
        return 0;
    }
    let mut cut = pending.len() - HOLD_BACK;
    while !pending.is_char_boundary(cut) {
        cut -= 1;
    }
    cut
}

fn classify(error: &ProviderError) -> LlmFailure {
    if let Some(status) = error.provider_response_status() {
        return LlmFailure::Status(status.as_u16());
    }
    match error {
        ProviderError::Truncated => LlmFailure::Truncated,
        ProviderError::Json(_) => LlmFailure::Malformed,
        ProviderError::Http(_) => LlmFailure::Unreachable(short(error)),
        _ => LlmFailure::Refused(short(error)),
    }
}

/// The error's first line and its causes (a transport error names the
/// real one only there), bounded: provider bodies can be long.
fn short(error: &ProviderError) -> String {
    let mut text = error.to_string().lines().next().unwrap_or_default().to_owned();
    let mut cause = std::error::Error::source(error);
    while let Some(error) = cause {
        let line = error.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        cause = error.source();
    }
    text.chars().take(300).collect()
}

/// The provider's `Retry-After`, in seconds or as an HTTP date.
fn retry_after(error: &ProviderError) -> Option<Duration> {
    let value = error.provider_response_headers()?.get(http::header::RETRY_AFTER)?.to_str().ok()?.trim().to_owned();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(&value).ok()?;
    Some(at.duration_since(std::time::SystemTime::now()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_released_at_word_boundaries_and_long_runs_are_held_back() {
        assert_eq!(releasable("Hello wor"), "Hello ".len());
        assert_eq!(releasable("Hello"), 0);
        assert_eq!(releasable("naïve café "), "naïve café ".len());
        let run = "x".repeat(200);
        assert_eq!(releasable(&run), 200 - HOLD_BACK);
        let wide = "é".repeat(100);
        assert!(wide.is_char_boundary(releasable(&wide)));
    }

    #[test]
    fn only_provider_trouble_before_the_answer_is_retried() {
        assert!(LlmFailure::Status(429).may_retry());
        assert!(LlmFailure::Status(503).may_retry());
        assert!(!LlmFailure::Status(401).may_retry());
        assert!(!LlmFailure::Malformed.may_retry());
        assert!(LlmFailure::FirstTokenTimeout(Duration::from_secs(1)).may_retry());
        assert!(!LlmFailure::Leaked.may_retry());
    }
}
