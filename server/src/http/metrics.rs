//! Request counts and latency histograms per route, in Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// Label for requests no route matched (404s, static files): keeps label
/// cardinality bounded whatever paths clients invent.
const UNMATCHED: &str = "unmatched";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct SeriesKey {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Debug, Default, Clone)]
struct Series {
    bucket_counts: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<SeriesKey, Series>>,
}

impl Metrics {
    fn observe(&self, key: SeriesKey, seconds: f64) {
        let mut series = self.series.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = series.entry(key).or_default();
        entry.count += 1;
        entry.sum_seconds += seconds;
        for (bound, count) in BUCKETS.iter().zip(entry.bucket_counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
    }

    pub fn render(&self) -> String {
        let series = self.series.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        let mut out = String::new();
        out.push_str("# HELP lodestar_http_requests_total HTTP requests served, by method, route and status.\n");
        out.push_str("# TYPE lodestar_http_requests_total counter\n");
        for (key, s) in &series {
            let _ = writeln!(out, "lodestar_http_requests_total{{{}}} {}", labels(key, true), s.count);
        }
        out.push_str("# HELP lodestar_http_request_duration_seconds Time to produce the response head.\n");
        out.push_str("# TYPE lodestar_http_request_duration_seconds histogram\n");
        for (key, s) in &series {
            let labels = labels(key, false);
            for (bound, count) in BUCKETS.iter().zip(s.bucket_counts) {
                let _ =
                    writeln!(out, "lodestar_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}");
            }
            let _ = writeln!(out, "lodestar_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", s.count);
            let _ = writeln!(out, "lodestar_http_request_duration_seconds_sum{{{labels}}} {}", s.sum_seconds);
            let _ = writeln!(out, "lodestar_http_request_duration_seconds_count{{{labels}}} {}", s.count);
        }
        out
    }
}

fn labels(key: &SeriesKey, with_status: bool) -> String {
    let escape = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    let mut labels = format!("method=\"{}\",route=\"{}\"", escape(key.method), escape(&key.route));
    if with_status {
        let _ = write!(labels, ",status=\"{}\"", key.status);
    }
    labels
}

/// `/metrics` on the main address, guarded by `MetricsConfig`: with its own
/// listen address it is served only there; with a token, only to requests
/// that carry it; with neither, only in development.
pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(guarded))
}

/// The router of `METRICS_ADDR`'s listener: `/metrics`, open to whoever
/// can reach that address.
pub fn separate_router(state: AppState) -> Router {
    Router::new().route("/metrics", get(render)).with_state(state)
}

async fn guarded(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let policy = &state.config.metrics;
    if policy.listen.is_some() {
        return StatusCode::NOT_FOUND.into_response();
    }
    match &policy.token {
        Some(token) => {
            let offered = headers
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or_default();
            if !crate::accounts::secrets::same(offered.trim(), token.expose()) {
                return (StatusCode::UNAUTHORIZED, [(WWW_AUTHENTICATE, "Bearer")]).into_response();
            }
        }
        None if !policy.open => return StatusCode::NOT_FOUND.into_response(),
        None => {}
    }
    render(State(state)).await.into_response()
}

async fn render(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = state.metrics.render();
    if let Some(llm) = state.chat.llm() {
        render_llm(&mut text, llm);
    }
    ([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text)
}

/// LLM failures by reason, whether the provider's breaker is open, and
/// how many HTTP clients carry its answers.
fn render_llm(out: &mut String, llm: &crate::chat::llm::Llm) {
    let provider = llm.provider().name();
    out.push_str("# HELP lodestar_llm_failures_total LLM answers replaced by the offline engine, by reason.\n");
    out.push_str("# TYPE lodestar_llm_failures_total counter\n");
    for (reason, count) in llm.failure_counts() {
        let _ = writeln!(out, "lodestar_llm_failures_total{{provider=\"{provider}\",reason=\"{reason}\"}} {count}");
    }
    out.push_str("# HELP lodestar_llm_breaker_open 1 while the provider's circuit breaker is open.\n");
    out.push_str("# TYPE lodestar_llm_breaker_open gauge\n");
    let open = u8::from(llm.breaker_state() != crate::chat::breaker::BreakerState::Closed);
    let _ = writeln!(out, "lodestar_llm_breaker_open{{provider=\"{provider}\"}} {open}");
    out.push_str("# HELP lodestar_llm_http_clients HTTP clients carrying the provider's answers (over HTTP/2, one connection each).\n");
    out.push_str("# TYPE lodestar_llm_http_clients gauge\n");
    let _ = writeln!(out, "lodestar_llm_http_clients{{provider=\"{provider}\"}} {}", llm.client_count());
}

/// The route template a request matched, carried out on the response so the
/// outer [`track`] middleware can label by template instead of raw path.
#[derive(Clone)]
struct RouteLabel(String);

/// Innermost: runs after routing, when the matched template is known.
pub async fn label_route(matched: Option<MatchedPath>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if let Some(matched) = matched {
        response.extensions_mut().insert(RouteLabel(matched.as_str().to_string()));
    }
    response
}

/// Methods clients may invent any number of; each label value comes from
/// this closed set so that the series stay bounded.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Outermost: times every request, matched or not.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let response = next.run(request).await;
    let route =
        response.extensions().get::<RouteLabel>().map(|label| label.0.clone()).unwrap_or_else(|| UNMATCHED.to_string());
    state
        .metrics
        .observe(SeriesKey { method, route, status: response.status().as_u16() }, started.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let metrics = Metrics::default();
        let key = SeriesKey { method: "GET", route: "/".into(), status: 200 };
        metrics.observe(key.clone(), 0.003);
        metrics.observe(key, 0.2);
        let text = metrics.render();
        assert!(text.contains("lodestar_http_requests_total{method=\"GET\",route=\"/\",status=\"200\"} 2"));
        assert!(
            text.contains("lodestar_http_request_duration_seconds_bucket{method=\"GET\",route=\"/\",le=\"0.0025\"} 0")
        );
        assert!(
            text.contains("lodestar_http_request_duration_seconds_bucket{method=\"GET\",route=\"/\",le=\"0.005\"} 1")
        );
        assert!(
            text.contains("lodestar_http_request_duration_seconds_bucket{method=\"GET\",route=\"/\",le=\"0.25\"} 2")
        );
        assert!(text.contains("lodestar_http_request_duration_seconds_count{method=\"GET\",route=\"/\"} 2"));
    }
}
