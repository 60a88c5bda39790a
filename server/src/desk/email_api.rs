//! `POST /api/email/inbound`: a visitor's answer to a follow-up email, or
//! a new email to a workspace's support address, as the raw MIME message (`Content-Type: message/rfc822`) that an email
//! provider's inbound hook or a relay forwards. The forwarder signs what it
//! posts with `INBOUND_EMAIL_SECRET`, as Stripe signs webhooks:
//! `X-Lodestar-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`
//! (several `v1` while a secret is rotated; `http/signed_post.rs`).
//! No cookie, no browser: the signature is the whole authentication, and
//! the signed address inside names the conversation or the workspace
//! (`desk/email.rs`).

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::Semaphore;

use crate::error::AppError;
use crate::http::signed_post::{self, refuse, Refusal};
use crate::state::AppState;

pub const ROUTES: &[(&str, &str)] = &[("POST", PATH)];
const PATH: &str = "/api/email/inbound";
/// A forwarded email, attachments included (they are refused, not kept).
const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Emails read at once: together at most 40 MiB in memory.
static READING: Semaphore = Semaphore::const_new(4);

pub fn router() -> Router<AppState> {
    Router::new().route(PATH, post(inbound))
}

/// The forwarder is no browser: it signs instead (see the module docs).
pub fn is_inbound_request(path: &str) -> bool {
    path == PATH
}

#[tracing::instrument(skip_all)]
async fn inbound(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Result<Response, AppError> {
    let Some(secret) = state.desk.inbound_secret() else {
        let why = "Answers by email are not set up on this server: set INBOUND_EMAIL_SECRET.";
        return Ok(refuse(StatusCode::SERVICE_UNAVAILABLE, why));
    };
    // Others wait their turn (within the request timeout) with their bodies unread.
    let Ok(_reading) = READING.acquire().await else {
        return Ok(refuse(StatusCode::SERVICE_UNAVAILABLE, "Busy reading other emails: deliver this one again soon."));
    };
    let Ok(raw) = to_bytes(body, MAX_BYTES).await else {
        return Ok(refuse(StatusCode::PAYLOAD_TOO_LARGE, "Emails over 10 MiB are not accepted."));
    };
    let signature = headers.get("x-lodestar-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if let Err(refusal) = signed_post::verify(secret.expose(), signature, &raw, crate::sql::now_millis() / 1000) {
        let why = match refusal {
            Refusal::Unsigned => "The X-Lodestar-Signature header is missing or has no time.",
            Refusal::Stale => "The signature's time is too far from ours: sign each delivery when it is sent.",
            Refusal::Mismatch => "The signature does not match this body and INBOUND_EMAIL_SECRET.",
        };
        tracing::warn!(%why, "refused an inbound email");
        return Ok(refuse(StatusCode::UNAUTHORIZED, why));
    }
    let Some(email) = state.desk.read_inbound(&raw)? else {
        return Ok(Json(json!({ "threaded": false, "ignored": "automatic" })).into_response());
    };
    let threaded = state.chat.email_in(email).await?;
    Ok(Json(json!({ "threaded": threaded.is_some(), "message": threaded })).into_response())
}
