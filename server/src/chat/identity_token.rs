//! The token a business's server signs to tell the widget who is signed in
//! on its site: an HS256 JWT (`sub`, `exp`, and optionally `name`, `email`,
//! `plan`) under the workspace's identity secret. Intercom moved its
//! Messenger from a bare user hash to JWTs so that attributes such as the
//! plan are signed too; a visitor who could write their own plan could
//! raise their own tickets' priority.
//!
//! The secret is derived from the server key, the workspace and a version
//! (kept in `desk_settings`), so nothing secret is stored and rotating is
//! a new version: tokens signed with the old secret stop working at once.

use app::visitor_identity::IdentifiedVisitor;
use jsonwebtoken::{decode, errors::ErrorKind, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::accounts::secrets::ServerKey;

const PURPOSE: &str = "visitor-identity";
/// A JWT of a few claims is a few hundred bytes; anything this long is not one.
const MAX_TOKEN_BYTES: usize = 4096;
/// Clocks differ between the business's server and ours.
const LEEWAY_SECS: u64 = 60;
/// The visitor ids of identified visitors start so; anonymous ones are UUIDs.
const IDENTIFIED: &str = "u-";

/// The workspace's identity secret at `version`.
pub fn secret(key: &ServerKey, workspace_id: &str, version: u32) -> String {
    format!("lsid_{}", key.sign(PURPOSE, &format!("{workspace_id}.{version}")))
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    name: Option<String>,
    email: Option<String>,
    plan: Option<String>,
}

/// The visitor `token` names, when `secret` signed it and it has not
/// expired; otherwise what is wrong, for the site's developer.
pub fn verify(secret: &str, token: &str) -> Result<IdentifiedVisitor, String> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err("The identity token is too long to be one.".into());
    }
    // The algorithm is ours, never the token's: `alg: none` and swaps fail.
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_required_spec_claims(&["exp", "sub"]);
    validation.leeway = LEEWAY_SECS;
    validation.validate_aud = false;
    let claims = decode::<Claims>(token, &DecodingKey::from_secret(secret.as_bytes()), &validation)
        .map_err(|error| match error.kind() {
            ErrorKind::ExpiredSignature => {
                "The identity token has expired: sign a new one for each page the widget is on.".to_owned()
            }
            ErrorKind::InvalidSignature => {
                "The identity token is not signed with this workspace's identity secret (Settings → Identified visitors)."
                    .to_owned()
            }
            ErrorKind::MissingRequiredClaim(claim) => format!("The identity token has no \"{claim}\" claim."),
            ErrorKind::InvalidAlgorithm => "The identity token must be signed with HS256.".to_owned(),
            _ => "The identity token is not a JWT signed with HS256.".to_owned(),
        })?
        .claims;
    IdentifiedVisitor::from_claims(&claims.sub, claims.name.as_deref(), claims.email.as_deref(), claims.plan.as_deref())
}

/// The visitor id of the business's user `user_id`: the same on every
/// device they sign in on, so their conversation follows them.
pub fn visitor_id(user_id: &str) -> String {
    let digest = Sha256::digest(user_id.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("{IDENTIFIED}{hex}")
}

/// Whether a visitor id is an identified visitor's.
pub fn is_identified(visitor_id: &str) -> bool {
    visitor_id.starts_with(IDENTIFIED)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{encode, EncodingKey, Header};

    fn sign(secret: &str, claims: serde_json::Value, alg: Algorithm) -> String {
        encode(&Header::new(alg), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
    }

    fn in_an_hour() -> i64 {
        crate::sql::now_millis() / 1000 + 3600
    }

    #[test]
    fn a_token_signed_with_the_secret_names_the_visitor_and_anything_else_is_refused() {
        let secret = "lsid_right";
        let claims = serde_json::json!({ "sub": "42", "exp": in_an_hour(), "name": "Dana", "plan": "Enterprise" });
        let visitor = verify(secret, &sign(secret, claims.clone(), Algorithm::HS256)).unwrap();
        assert_eq!((visitor.user_id.as_str(), visitor.plan.as_deref()), ("42", Some("enterprise")));

        let wrong = verify(secret, &sign("lsid_wrong", claims.clone(), Algorithm::HS256)).unwrap_err();
        assert!(wrong.contains("not signed with this workspace's identity secret"), "{wrong}");
        let swapped = verify(secret, &sign(secret, claims, Algorithm::HS512)).unwrap_err();
        assert!(swapped.contains("HS256"), "{swapped}");
        let expired = serde_json::json!({ "sub": "42", "exp": in_an_hour() - 7200 });
        assert!(verify(secret, &sign(secret, expired, Algorithm::HS256)).unwrap_err().contains("expired"));
        let forever = serde_json::json!({ "sub": "42" });
        assert!(verify(secret, &sign(secret, forever, Algorithm::HS256)).unwrap_err().contains("\"exp\""));
        // `alg: none`, with the claims readable and no signature.
        let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(format!("{{\"sub\":\"42\",\"exp\":{}}}", in_an_hour()))
        });
        assert!(verify(secret, &none).is_err());
        assert!(verify(secret, "not a token").unwrap_err().contains("not a JWT"));
        assert!(verify(secret, &"a".repeat(5000)).unwrap_err().contains("too long"));
    }

    #[test]
    fn secrets_differ_by_workspace_and_version_and_visitor_ids_by_user() {
        let key = ServerKey::new(crate::config::Secret::new("k".repeat(40)));
        assert_ne!(secret(&key, "w1", 1), secret(&key, "w2", 1));
        assert_ne!(secret(&key, "w1", 1), secret(&key, "w1", 2));
        assert_eq!(secret(&key, "w1", 1), secret(&key, "w1", 1));
        assert_eq!(visitor_id("42"), visitor_id("42"));
        assert_ne!(visitor_id("42"), visitor_id("43"));
        assert!(is_identified(&visitor_id("42")) && !is_identified(&uuid::Uuid::new_v4().to_string()));
        assert!(!visitor_id("a.b").contains('.'), "a visitor token's fields are dot-separated");
    }
}
