//! Browser sessions: a random token in an HttpOnly, SameSite=Lax cookie,
//! stored as a digest in the SQL store, with idle and absolute expiry.

use app::services::SessionCookie;
use sqlx::{Any, Executor};

use super::secrets::{digest, random_token};
use crate::sql::now_millis;

pub const IDLE_MS: i64 = 3 * 24 * 3600 * 1000;
pub const ABSOLUTE_MS: i64 = 30 * 24 * 3600 * 1000;
/// `last_seen_at` is written at most this often, not on every request.
const TOUCH_EVERY_MS: i64 = 60 * 1000;

#[derive(Debug, Clone)]
pub struct CookiePolicy {
    pub name: &'static str,
    pub secure: bool,
}

impl CookiePolicy {
    /// Over HTTPS the cookie is `Secure` and `__Host-` prefixed (no Domain,
    /// Path=/), so no sibling subdomain can set or shadow it.
    pub fn for_public_url(public_url: &str) -> Self {
        let secure = public_url.starts_with("https://");
        CookiePolicy { name: if secure { "__Host-lodestar_session" } else { "lodestar_session" }, secure }
    }

    pub fn set(&self, token: &str) -> SessionCookie {
        SessionCookie(format!(
            "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
            self.name,
            ABSOLUTE_MS / 1000,
            if self.secure { "; Secure" } else { "" }
        ))
    }

    pub fn clear(&self) -> SessionCookie {
        SessionCookie(format!(
            "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
            self.name,
            if self.secure { "; Secure" } else { "" }
        ))
    }

    /// The readable mark that mirrors the session cookie (see
    /// `app::layout::SIGNED_IN_COOKIE`): set with it, cleared with it.
    pub fn hint(&self, signed_in: bool) -> String {
        let max_age = if signed_in { ABSOLUTE_MS / 1000 } else { 0 };
        format!(
            "{}={}; Path=/; SameSite=Lax; Max-Age={max_age}{}",
            app::layout::SIGNED_IN_COOKIE,
            if signed_in { "1" } else { "" },
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// Whether a `Set-Cookie` value sets (`Some(true)`) or clears
    /// (`Some(false)`) the session cookie.
    pub fn sets_session(&self, set_cookie: &str) -> Option<bool> {
        let value = set_cookie.strip_prefix(self.name)?.strip_prefix('=')?;
        Some(!value.starts_with(';') && !set_cookie.contains("Max-Age=0"))
    }

    /// The session token in a `Cookie` header, if any.
    pub fn read<'a>(&self, cookie_header: &'a str) -> Option<&'a str> {
        cookie_header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == self.name)
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty() && value.len() <= 128)
    }
}

/// A live session.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub last_seen_at: i64,
}

/// Starts a session and returns its token.
pub async fn create<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
    client_addr: &str,
    user_agent: &str,
) -> Result<String, sqlx::Error> {
    let token = random_token("");
    let now = now_millis();
    sqlx::query(
        "INSERT INTO sessions (id, token_hash, user_id, client_addr, user_agent, created_at, last_seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(digest(&token))
    .bind(user_id)
    .bind(client_addr)
    .bind(user_agent)
    .bind(now)
    .bind(now)
    .bind(now + ABSOLUTE_MS)
    .execute(db)
    .await?;
    Ok(token)
}

/// The live session for `token`: not past its absolute expiry, not idle
/// too long. Touches `last_seen_at` now and then.
pub async fn resolve(pool: &sqlx::AnyPool, token: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    let now = now_millis();
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT id, user_id, last_seen_at FROM sessions WHERE token_hash = $1 AND expires_at > $2 AND last_seen_at > $3",
    )
    .bind(digest(token))
    .bind(now)
    .bind(now - IDLE_MS)
    .fetch_optional(pool)
    .await?;
    if let Some(session) = &row {
        if now - session.last_seen_at > TOUCH_EVERY_MS {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
                .bind(now)
                .bind(&session.id)
                .execute(pool)
                .await?;
        }
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_cookies_are_host_prefixed_and_secure() {
        let policy = CookiePolicy::for_public_url("https://chat.example.com");
        let cookie = policy.set("abc").0;
        assert!(cookie.starts_with("__Host-lodestar_session=abc; Path=/; HttpOnly; SameSite=Lax"));
        assert!(cookie.ends_with("; Secure"));
        let local = CookiePolicy::for_public_url("http://127.0.0.1:3000");
        assert!(!local.set("abc").0.contains("Secure"));
        assert!(local.clear().0.contains("Max-Age=0"));
    }

    #[test]
    fn reads_only_its_own_cookie() {
        let policy = CookiePolicy::for_public_url("http://localhost");
        assert_eq!(policy.read("theme=dark; lodestar_session=tok; x=y"), Some("tok"));
        assert_eq!(policy.read("xlodestar_session=tok"), None);
        assert_eq!(policy.read("lodestar_session="), None);
    }
}
