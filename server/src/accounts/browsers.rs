//! Browsers a person has logged in from: after each login the browser
//! keeps a signed cookie naming it for that person. Failed guesses at an
//! account from elsewhere slow down logins from unknown browsers, never
//! from these, so a stranger cannot lock an owner out of their own desk.

use app::services::SessionCookie;

use super::secrets::{random_token, same, ServerKey};

const PURPOSE: &str = "known-browser";
/// A year: the browser stays known as long as the person keeps using it.
const LIFETIME_SECS: i64 = 365 * 24 * 3600;

/// The cookie's name: `__Host-` prefixed over HTTPS, like the session's.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-lodestar_browser"
    } else {
        "lodestar_browser"
    }
}

/// A fresh cookie marking this browser as known for `user_id`.
pub fn issue(key: &ServerKey, user_id: &str, secure: bool) -> SessionCookie {
    let id = random_token("");
    let value = format!("{id}.{}", key.sign(PURPOSE, &format!("{user_id}.{id}")));
    SessionCookie(format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={LIFETIME_SECS}{}",
        cookie_name(secure),
        if secure { "; Secure" } else { "" }
    ))
}

/// Whether `value` (the cookie as sent) marks a browser `user_id` logged in from.
pub fn knows(key: &ServerKey, value: Option<&str>, user_id: &str) -> bool {
    let Some((id, signature)) = value.and_then(|v| v.rsplit_once('.')) else { return false };
    same(signature, &key.sign(PURPOSE, &format!("{user_id}.{id}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    #[test]
    fn a_browser_is_known_only_for_the_person_who_logged_in_there() {
        let key = ServerKey::new(Secret::new("k".repeat(40)));
        let cookie = issue(&key, "ada", true).0;
        assert!(
            cookie.starts_with("__Host-lodestar_browser=") && cookie.contains("HttpOnly") && cookie.contains("Secure")
        );
        let value = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
        assert!(knows(&key, Some(value), "ada"));
        assert!(!knows(&key, Some(value), "bob"), "another person");
        assert!(!knows(&key, Some(&value.replace('.', "x.")), "ada"), "forged");
        assert!(!knows(&ServerKey::new(Secret::new("x".repeat(40))), Some(value), "ada"), "another server");
        assert!(!knows(&key, None, "ada"));
    }
}
