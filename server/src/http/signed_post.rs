//! Posts signed the way Stripe signs its webhooks, which our inbound email
//! forwarder copies: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`,
//! with one `v1` per secret while a secret is rotated, and a time within
//! [`TOLERANCE_SECS`] of ours, so a captured delivery cannot be replayed
//! later. Stripe: <https://docs.stripe.com/webhooks#verify-manually>.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a signature's time may be from ours (Stripe's default).
pub const TOLERANCE_SECS: i64 = 300;

/// Why a signed post was refused; each caller names its own header and secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No header, or one without a time.
    Unsigned,
    /// Signed too long ago, or in the future.
    Stale,
    /// No `v1` signature matches this body under the secret.
    Mismatch,
}

/// Checks `header` over `body` with `secret`, at `now` (seconds): any of
/// its `v1` signatures may match.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64) -> Result<(), Refusal> {
    let mut at = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => at = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.extend(hex::decode(value).ok()),
            _ => {}
        }
    }
    let at = at.ok_or(Refusal::Unsigned)?;
    if (now - at).abs() > TOLERANCE_SECS {
        return Err(Refusal::Stale);
    }
    if signatures.iter().any(|signature| mac(secret, body, at).verify_slice(signature).is_ok()) {
        Ok(())
    } else {
        Err(Refusal::Mismatch)
    }
}

/// The header a sender puts on `body` at `at`: for tests, fakes and the
/// documentation's relay.
pub fn sign(secret: &str, body: &[u8], at: i64) -> String {
    format!("t={at},v1={}", hex::encode(mac(secret, body, at).finalize().into_bytes()))
}

/// A refused post's answer: the status and why, as JSON (the sender's log shows it).
pub fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
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
        assert_eq!(verify(secret, &good, body, now + TOLERANCE_SECS + 1), Err(Refusal::Stale));
        assert_eq!(verify(secret, &good, body, now - TOLERANCE_SECS - 1), Err(Refusal::Stale));
        assert_eq!(verify(secret, &good, b"From: a@b.c\r\n\r\nho", now), Err(Refusal::Mismatch));
        assert_eq!(verify("another-secret-entirely", &good, body, now), Err(Refusal::Mismatch));
        assert_eq!(verify(secret, "", body, now), Err(Refusal::Unsigned));
        assert_eq!(verify(secret, &format!("t={now},v1=zz"), body, now), Err(Refusal::Mismatch));
        // While a secret is rotated the header carries one signature per secret.
        let old = sign("the-old-secret-0123456", body, now);
        let both = format!("{good},{}", old.split_once(',').unwrap().1);
        assert_eq!(verify("the-old-secret-0123456", &both, body, now), Ok(()));
        assert_eq!(verify(secret, &both, body, now), Ok(()));
        // Stripe's test-mode `v0` is not a signature we accept.
        let v0 = good.replace(",v1=", ",v0=");
        assert_eq!(verify(secret, &v0, body, now), Err(Refusal::Mismatch));
    }
}
