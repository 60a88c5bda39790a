//! Visitor tokens: a widget visitor's proof of who they are, kept in the
//! visitor's `localStorage`. Signed with the server key so a visitor can
//! read only their own conversation, bound to one workspace, and expiring.

use crate::accounts::secrets::{same, ServerKey};

const PURPOSE: &str = "widget-visitor";
const PREFIX: &str = "vt1";
const LIFETIME_MS: i64 = 90 * 24 * 60 * 60 * 1000;

const PREVIEW_PURPOSE: &str = "widget-preview";
/// Preview keys stand in for a publishable key in the dashboard's preview.
pub const PREVIEW_PREFIX: &str = "pv1";
const PREVIEW_LIFETIME_MS: i64 = 2 * 60 * 60 * 1000;

/// `claims.signature`, the claims being dot-separated fields.
pub(super) fn seal(key: &ServerKey, purpose: &str, fields: &[&str]) -> String {
    let claims = fields.join(".");
    let signature = key.sign(purpose, &claims);
    format!("{claims}.{signature}")
}

/// The fields of a genuine `token` (when its signature is right).
pub(super) fn unseal<'t>(key: &ServerKey, purpose: &str, token: &'t str) -> Option<Vec<&'t str>> {
    let (claims, signature) = token.rsplit_once('.')?;
    same(signature, &key.sign(purpose, claims)).then(|| claims.split('.').collect())
}

pub fn issue(key: &ServerKey, workspace_id: &str, visitor_id: &str, now_ms: i64) -> String {
    let expires = (now_ms + LIFETIME_MS).to_string();
    seal(key, PURPOSE, &[PREFIX, workspace_id, visitor_id, &expires])
}

/// The visitor id, when `token` is genuine, for `workspace_id`, and unexpired.
pub fn verify(key: &ServerKey, token: &str, workspace_id: &str, now_ms: i64) -> Option<String> {
    match unseal(key, PURPOSE, token)?.as_slice() {
        [PREFIX, workspace, visitor, expires]
            if *workspace == workspace_id && expires.parse().is_ok_and(|e: i64| e > now_ms) =>
        {
            Some((*visitor).to_owned())
        }
        _ => None,
    }
}

/// A short-lived key for the dashboard's live preview of the widget.
pub fn issue_preview(key: &ServerKey, workspace_id: &str, now_ms: i64) -> String {
    let expires = (now_ms + PREVIEW_LIFETIME_MS).to_string();
    seal(key, PREVIEW_PURPOSE, &[PREVIEW_PREFIX, workspace_id, &expires])
}

/// The workspace a genuine, unexpired preview key is for.
pub fn verify_preview(key: &ServerKey, token: &str, now_ms: i64) -> Option<String> {
    match unseal(key, PREVIEW_PURPOSE, token)?.as_slice() {
        [PREVIEW_PREFIX, workspace, expires] if expires.parse().is_ok_and(|e: i64| e > now_ms) => {
            Some((*workspace).to_owned())
        }
        _ => None,
    }
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

    #[test]
    fn preview_keys_name_their_workspace_until_they_expire() {
        let key = ServerKey::new(Secret::new("k".repeat(40)));
        let preview = issue_preview(&key, "ws1", 1_000);
        assert!(preview.starts_with("pv1.ws1."));
        assert_eq!(verify_preview(&key, &preview, 2_000).as_deref(), Some("ws1"));
        assert_eq!(verify_preview(&key, &preview, 1_000 + PREVIEW_LIFETIME_MS), None, "expired");
        assert_eq!(verify_preview(&key, &preview.replace("ws1", "ws2"), 2_000), None, "forged");
        let visitor = issue(&key, "ws1", "v", 1_000);
        assert_eq!(verify_preview(&key, &visitor, 2_000), None, "a visitor token is not a preview key");
    }
}
