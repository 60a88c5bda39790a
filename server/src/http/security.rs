//! Security headers on every response, the page CSP with a per-request
//! nonce, and refusal of cross-site state-changing requests.

use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ORIGIN, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use leptos::nonce::{provide_nonce, use_nonce};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use serde_json::json;

use super::caller;
use crate::accounts::secrets::same;
use crate::state::AppState;

/// For responses that are not pages (JSON, files): nothing may run or frame them.
const BASELINE_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The policy for a server-rendered page. Scripts run only from our origin or
/// with this response's nonce; WASM may compile; nothing may frame the page.
pub fn page_csp(nonce: &str, reload_port: Option<u16>) -> String {
    let reload = reload_port.map(|port| format!(" ws://127.0.0.1:{port} ws://localhost:{port}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self'{reload}; frame-ancestors 'none'; \
         base-uri 'self'; form-action 'self'; object-src 'none'"
    )
}

/// Called inside Leptos's context for every page and server function:
/// creates the nonce Leptos puts on its scripts and sends the matching CSP.
pub fn provide_page_csp(reload_port: Option<u16>) {
    provide_nonce();
    if let (Some(nonce), Some(response)) = (use_nonce(), use_context::<ResponseOptions>()) {
        if let Ok(value) = HeaderValue::from_str(&page_csp(&nonce, reload_port)) {
            response.insert_header(CONTENT_SECURITY_POLICY, value);
        }
    }
}

pub async fn headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let personal = is_personal(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if personal {
        // Signed-in pages and account data: never kept by a shared cache or the back-forward cache of a shared computer.
        headers.entry(CACHE_CONTROL).or_insert(HeaderValue::from_static("private, no-store"));
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    headers
        .insert("permissions-policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"));
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    headers.entry(CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(BASELINE_CSP));
    if state.config.public_url.starts_with("https://") {
        headers.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=63072000; includeSubDomains"));
    }
    response
}

/// Paths whose responses belong to one signed-in person.
fn is_personal(path: &str) -> bool {
    path == "/app"
        || path == "/mentor"
        || ["/app/", "/mentor/", "/ops/", "/account/", "/api/"].iter().any(|p| path.starts_with(p))
}

/// Cross-site request forgery defence for every state-changing request
/// (GET never changes state). Browsers send `Sec-Fetch-Site` or `Origin`
/// with every such request: a cross-site one is refused. A request that
/// carries our session cookie but neither header must carry the session's
/// CSRF token (`x-csrf-token`, from `GET /api/session/csrf`). `text/plain`
/// bodies, which a cross-site form can send without a preflight, are
/// refused outright: nothing here accepts them.
pub async fn refuse_cross_site(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let path = request.uri().path();
    if safe
        || crate::chat::api::is_widget_request(request.method(), path)
        || crate::mentor::api::is_extension_request(path)
        || crate::desk::email_api::is_inbound_request(path)
        || crate::billing::webhook::is_webhook_request(path)
    {
        return next.run(request).await;
    }
    let refuse = |status: StatusCode, message: &str| {
        tracing::warn!(path = %request.uri().path(), %status, "refused a request that could be forged");
        (status, Json(json!({ "error": message }))).into_response()
    };
    let content_type = request.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if content_type.trim_start().to_ascii_lowercase().starts_with("text/plain") {
        return refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Send JSON or a form, not text/plain.");
    }
    if is_cross_site(&request, &state.config.public_url) {
        return refuse(StatusCode::FORBIDDEN, "Cross-site requests are not allowed.");
    }
    let headers = request.headers();
    let unlabelled = headers.get("sec-fetch-site").is_none() && headers.get(ORIGIN).is_none();
    if unlabelled {
        if let Some(session) = caller::read_caller(&state, &request).session_token {
            let expected = state.accounts.csrf_token(&session);
            let sent = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or_default();
            if !same(sent, &expected) {
                return refuse(
                    StatusCode::FORBIDDEN,
                    "This request needs its CSRF token. Reload the page and try again.",
                );
            }
        }
    }
    next.run(request).await
}

/// Anything but our own origin. `same-site` counts as foreign: a sibling
/// subdomain (user content, a forgotten DNS record) must not act for our users.
fn is_cross_site(request: &Request, public_url: &str) -> bool {
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = headers.get(axum::http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let scheme = public_url.split("://").next().unwrap_or("http");
    origin != public_url && origin != format!("{scheme}://{host}")
}
