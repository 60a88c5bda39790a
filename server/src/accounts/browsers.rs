//! Browsers a person has logged in from: after each login the browser
//! keeps a signed cookie naming it for that person. Failed guesses at an
//! account from elsewhere slow down logins from unknown browsers, never
//! from these, so a stranger cannot lock an owner out of their own desk.
//! The signature covers the password's hash: a new password forgets every
//! browser, so one that had it (a former colleague, a stolen cookie) is
//! slowed down like any other. And it expires on the server too.

use app::services::SessionCookie;

use super::secrets::{digest, random_token, same, ServerKey};

const PURPOSE: &str = "known-browser";
/// A year: the browser stays known while the person keeps using it (each
/// login issues a fresh cookie).
const LIFETIME_MS: i64 = 365 * 24 * 3600 * 1000;

/// The cookie's name: `__Host-` prefixed over HTTPS, like the session's.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-lodestar_browser"
    } else {
        "lodestar_browser"
    }
}

/// What is signed: the person, the browser, when, and the password in force.
fn claims(user_id: &str, password_hash: &str, id: &str, issued_ms: i64) -> String {
    format!("{user_id}.{id}.{issued_ms}.{}", digest(password_hash))
}

/// A fresh cookie marking this browser as known for the person.
pub fn issue(key: &ServerKey, user_id: &str, password_hash: &str, now_ms: i64, secure: bool) -> SessionCookie {
    let id = random_token("");
    let signature = key.sign(PURPOSE, &claims(user_id, password_hash, &id, now_ms));
    SessionCookie(format!(
        "{}={id}.{now_ms}.{signature}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        cookie_name(secure),
        LIFETIME_MS / 1000,
        if secure { "; Secure" } else { "" }
    ))
}

/// Whether `value` (the cookie as sent) marks a browser the person logged
/// in from, under the password they have now, within the last year.
pub fn knows(key: &ServerKey, value: Option<&str>, user_id: &str, password_hash: &str, now_ms: i64) -> bool {
    let mut parts = value.unwrap_or_default().splitn(3, '.');
    let (Some(id), Some(issued), Some(signature)) = (parts.next(), parts.next(), parts.next()) else { return false };
    let Ok(issued_ms) = issued.parse::<i64>() else { return false };
    now_ms - issued_ms < LIFETIME_MS
        && same(signature, &key.sign(PURPOSE, &claims(user_id, password_hash, id, issued_ms)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    #[test]
    fn a_browser_is_known_for_the_person_and_password_it_logged_in_with_for_a_year() {
        let key = ServerKey::new(Secret::new("k".repeat(40)));
        let now = 1_800_000_000_000;
        let cookie = issue(&key, "ada", "$argon2id$one", now, true).0;
        assert!(
            cookie.starts_with("__Host-lodestar_browser=") && cookie.contains("HttpOnly") && cookie.contains("Secure")
        );
        let value = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
        assert!(knows(&key, Some(value), "ada", "$argon2id$one", now + 1_000));
        assert!(!knows(&key, Some(value), "bob", "$argon2id$one", now), "another person");
        assert!(!knows(&key, Some(value), "ada", "$argon2id$two", now), "after a new password");
        assert!(!knows(&key, Some(value), "ada", "$argon2id$one", now + LIFETIME_MS), "after a year");
        let later = value.replacen(&now.to_string(), &(now + 1).to_string(), 1);
        assert!(!knows(&key, Some(&later), "ada", "$argon2id$one", now), "forged");
        assert!(!knows(&ServerKey::new(Secret::new("x".repeat(40))), Some(value), "ada", "$argon2id$one", now));
        assert!(!knows(&key, None, "ada", "$argon2id$one", now));
    }
}
