//! `POST /api/email/inbound`: a visitor's answer to a follow-up email, or
//! a new email to a workspace's support address, as the raw MIME message (`Content-Type: message/rfc822`) that an email
//! provider's inbound hook or a relay forwards. The forwarder signs what it
//! posts with `INBOUND_EMAIL_SECRET`, as Stripe signs webhooks:
//! `X-Lodestar-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`
//! (several `v1` while a secret is rotated; [`TOLERANCE_SECS`] either way).
//! No cookie, no browser: the signature is the whole authentication, and
//! the signed address inside names the conversation or the workspace
//! (`desk/email.rs`).

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use tokio::sync::Semaphore;

use crate::error::AppError;
use crate::state::AppState;

pub const ROUTES: &[(&str, &str)] = &[("POST", PATH)];
const PATH: &str = "/api/email/inbound";
/// A forwarded email, attachments included (they are refused, not kept).
const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Emails read at once: together at most 40 MiB in memory.
static READING: Semaphore = Semaphore::const_new(4);
/// How far a signature's time may be from ours.
const TOLERANCE_SECS: i64 = 300;

pub fn router() -> Router<AppState> {
    Router::new().route(PATH, post(inbound))
}

/// The forwarder is no browser: it signs instead (see the module docs).
pub fn is_inbound_request(path: &str) -> bool {
    path == PATH
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
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
    if let Err(why) = verify(secret.expose(), signature, &raw, crate::sql::now_millis() / 1000) {
        tracing::warn!(%why, "refused an inbound email");
        return Ok(refuse(StatusCode::UNAUTHORIZED, why));
    }
    let Some(email) = state.desk.read_inbound(&raw)? else {
        return Ok(Json(json!({ "threaded": false, "ignored": "automatic" })).into_response());
    };
    let threaded = state.chat.email_in(email).await?;
    Ok(Json(json!({ "threaded": threaded.is_some(), "message": threaded })).into_response())
}

/// Checks `t=…,v1=…[,v1=…]` over `t.body` with `secret`, at `now` (seconds).
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64) -> Result<(), &'static str> {
    let mut at = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => at = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.extend(hex::decode(value).ok()),
            _ => {}
        }
    }
    let at = at.ok_or("The X-Lodestar-Signature header is missing or has no time.")?;
    if (now - at).abs() > TOLERANCE_SECS {
        return Err("The signature's time is too far from ours: sign each delivery when it is sent.");
    }
    let valid = signatures.iter().any(|signature| mac(secret, body, at).verify_slice(signature).is_ok());
    if valid {
        Ok(())
    } else {
        Err("The signature does not match this body and INBOUND_EMAIL_SECRET.")
    }
}

/// The header a forwarder sends: for tests and the documentation's relay.
pub fn sign(secret: &str, body: &[u8], at: i64) -> String {
    format!("t={at},v1={}", hex::encode(mac(secret, body, at).finalize().into_bytes()))
}

/// HMAC-SHA256 of `at.body` under `secret`.
fn mac(secret: &str, body: &[u8], at: i64) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(at.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_fresh_signature_over_this_body_with_our_secret_passes() {
        let (secret, body, now) = ("0123456789abcdef-secret", b"From: a@b.c\r\n\r\nhi".as_slice(), 1_800_000_000);
        let good = sign(secret, body, now);
        assert_eq!(verify(secret, &good, body, now), Ok(()));
        assert_eq!(verify(secret, &good, body, now + TOLERANCE_SECS), Ok(()));
        assert!(verify(secret, &good, body, now + TOLERANCE_SECS + 1).is_err(), "stale");
        assert!(verify(secret, &good, b"From: a@b.c\r\n\r\nho", now).is_err(), "another body");
        assert!(verify("another-secret-entirely", &good, body, now).is_err(), "another secret");
        assert!(verify(secret, "", body, now).is_err());
        assert!(verify(secret, &format!("t={now},v1=zz"), body, now).is_err());
        // While a secret is rotated the header carries one signature per secret.
        let old = sign("the-old-secret-0123456", body, now);
        let both = format!("{good},{}", old.split_once(',').unwrap().1);
        assert_eq!(verify("the-old-secret-0123456", &both, body, now), Ok(()));
        assert_eq!(verify(secret, &both, body, now), Ok(()));
    }
}
