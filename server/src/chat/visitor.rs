//! Visitor tokens: a widget visitor's proof of who they are, kept in the
//! visitor's `localStorage`. Signed with the server key so a visitor can
//! read only their own conversation, bound to one workspace, and expiring.

use crate::accounts::secrets::{same, ServerKey};

const PURPOSE: &str = "widget-visitor";
const PREFIX: &str = "vt1";
const LIFETIME_MS: i64 = 90 * 24 * 60 * 60 * 1000;

pub fn issue(key: &ServerKey, workspace_id: &str, visitor_id: &str, now_ms: i64) -> String {
    let expires = now_ms + LIFETIME_MS;
    let claims = format!("{PREFIX}.{workspace_id}.{visitor_id}.{expires}");
    let signature = key.sign(PURPOSE, &claims);
    format!("{claims}.{signature}")
}

/// The visitor id, when `token` is genuine, for `workspace_id`, and unexpired.
pub fn verify(key: &ServerKey, token: &str, workspace_id: &str, now_ms: i64) -> Option<String> {
    let (claims, signature) = token.rsplit_once('.')?;
    if !same(signature, &key.sign(PURPOSE, claims)) {
        return None;
    }
    let mut parts = claims.split('.');
    let (prefix, workspace, visitor, expires) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let expires: i64 = expires.parse().ok()?;
    (parts.next().is_none() && prefix == PREFIX && workspace == workspace_id && expires > now_ms)
        .then(|| visitor.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    #[test]
    fn tokens_prove_one_visitor_in_one_workspace_until_they_expire() {
        let key = ServerKey::new(Secret::new("k".repeat(40)));
        let token = issue(&key, "ws1", "visitor-a", 1_000);
        assert_eq!(verify(&key, &token, "ws1", 2_000).as_deref(), Some("visitor-a"));
        assert_eq!(verify(&key, &token, "ws2", 2_000), None, "another workspace");
        assert_eq!(verify(&key, &token, "ws1", 1_000 + LIFETIME_MS), None, "expired");
        let forged = token.replace("visitor-a", "visitor-b");
        assert_eq!(verify(&key, &forged, "ws1", 2_000), None, "forged");
        let other_key = ServerKey::new(Secret::new("x".repeat(40)));
        assert_eq!(verify(&other_key, &token, "ws1", 2_000), None, "another server's key");
    }
}
