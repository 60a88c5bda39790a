//! `POST /api/billing/stripe/webhook`: Stripe's signed event deliveries.
//! The signature is checked over the raw body (`http/signed_post.rs`: any
//! `v1`, 300 s); the event is recorded before the answer, so a 2xx means it
//! is durable, and applied after it (`Billing::apply`), so a crash between
//! the two leaves it for the next start-up. A duplicate delivery finds its
//! id recorded and changes nothing.

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::events::{self, Delivered};
use crate::error::AppError;
use crate::http::signed_post::{self, refuse, Refusal};
use crate::state::AppState;

pub const ROUTES: &[(&str, &str)] = &[("POST", PATH)];
const PATH: &str = "/api/billing/stripe/webhook";
/// Stripe's events are a few KB; their largest (an invoice with many lines) well under this.
const MAX_BYTES: usize = 512 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route(PATH, post(deliver))
}

/// Stripe is no browser: it signs instead.
pub fn is_webhook_request(path: &str) -> bool {
    path == PATH
}

#[tracing::instrument(skip_all)]
async fn deliver(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Result<Response, AppError> {
    let Some(secret) = state.billing.webhook_secret() else {
        return Ok(refuse(StatusCode::NOT_FOUND, "Stripe is not set up on this server."));
    };
    let Ok(raw) = to_bytes(body, MAX_BYTES).await else {
        tracing::warn!("refused a Stripe delivery over 512 KiB");
        return Ok(refuse(StatusCode::PAYLOAD_TOO_LARGE, "Deliveries over 512 KiB are not accepted."));
    };
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if let Err(refusal) = signed_post::verify(secret, signature, &raw, crate::sql::now_millis() / 1000) {
        let why = match refusal {
            Refusal::Unsigned => "The Stripe-Signature header is missing or has no time.",
            Refusal::Stale => "The signature's time is more than 300 seconds from ours.",
            Refusal::Mismatch => "No signature matches this body and STRIPE_WEBHOOK_SECRET.",
        };
        tracing::warn!(%why, "refused a Stripe delivery");
        return Ok(refuse(StatusCode::BAD_REQUEST, why));
    }
    let Some(event) = envelope(&raw) else {
        tracing::warn!("refused a signed Stripe delivery that is not an event");
        return Ok(refuse(StatusCode::BAD_REQUEST, "The body is not a Stripe event."));
    };
    let new = events::record(state.sql.pool(), &event).await?;
    if new {
        let billing = state.billing.clone();
        let id = event.id.clone();
        tokio::spawn(async move { billing.apply(&id, false).await });
    }
    Ok(Json(json!({ "received": true, "duplicate": !new })).into_response())
}

/// The event's id, type and time, with the body kept as delivered.
fn envelope(raw: &[u8]) -> Option<Delivered> {
    let value: Value = serde_json::from_slice(raw).ok()?;
    let id = value["id"].as_str().filter(|id| id.starts_with("evt_") && id.len() <= 255)?;
    let kind = value["type"].as_str().filter(|kind| !kind.is_empty() && kind.len() <= 100)?;
    (value["object"] == "event").then_some(())?;
    Some(Delivered {
        id: id.to_owned(),
        kind: kind.to_owned(),
        created: value["created"].as_i64()?,
        payload: String::from_utf8(raw.to_vec()).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_event_envelope_is_recorded() {
        let event =
            br#"{"id":"evt_1","object":"event","type":"invoice.paid","created":1800000000,"data":{"object":{}}}"#;
        let read = envelope(event).unwrap();
        assert_eq!((read.id.as_str(), read.kind.as_str(), read.created), ("evt_1", "invoice.paid", 1_800_000_000));
        assert!(envelope(br#"{"id":"cus_1","object":"customer","type":"x","created":1}"#).is_none());
        assert!(envelope(br#"{"id":"evt_1","object":"event","created":1}"#).is_none(), "no type");
        assert!(envelope(b"not json").is_none());
    }
}
