//! Tokens for non-browser clients: a password grant starts a refresh-token
//! family; each refresh spends its token and issues the next; presenting a
//! spent token means it was copied, so the whole family is revoked. Also
//! secret API keys, which authenticate a workspace rather than a person.

use app::accounts::{Password, Viewer, WorkspaceSummary};
use app::error::ServiceError;
use app::permissions::Role;
use app::plans::Tier;
use app::services::Caller;
use serde::Serialize;

use super::jwt::ACCESS_TTL_SECS;
use super::secrets::{digest, random_token};
use super::{audit_everywhere, Accounts, REFRESH_TTL_MS};
use crate::error::AppError;
use crate::sql::now_millis;

/// What the token endpoints answer (RFC 6749 field names).
#[derive(Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_token: String,
}

#[derive(sqlx::FromRow)]
struct RefreshRow {
    family_id: String,
    user_id: String,
    expires_at: i64,
    used_at: Option<i64>,
    /// When the token's family was revoked.
    revoked_at: Option<i64>,
}

impl Accounts {
    pub async fn password_grant(
        &self,
        caller: &Caller,
        email: &str,
        password: &Password,
    ) -> Result<TokenPair, ServiceError> {
        let user = self.authenticate(caller, email, password).await?;
        let family = uuid::Uuid::new_v4().to_string();
        sqlx::query("INSERT INTO token_families (id, user_id, created_at) VALUES ($1, $2, $3)")
            .bind(&family)
            .bind(&user.id)
            .bind(now_millis())
            .execute(self.pool())
            .await
            .map_err(AppError::from)?;
        audit_everywhere(self.pool(), &user, "login.succeeded", &caller.client_addr).await.map_err(AppError::from)?;
        Ok(self.issue_pair(&user.id, &family).await?)
    }

    async fn issue_pair(&self, user_id: &str, family: &str) -> Result<TokenPair, AppError> {
        let refresh_token = random_token("rt_");
        let now = now_millis();
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(digest(&refresh_token))
        .bind(family)
        .bind(user_id)
        .bind(now + REFRESH_TTL_MS)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(TokenPair {
            access_token: self.tokens.issue_access(user_id, family),
            token_type: "Bearer",
            expires_in: ACCESS_TTL_SECS,
            refresh_token,
        })
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, ServiceError> {
        let hash = digest(refresh_token.trim());
        let row: Option<RefreshRow> = sqlx::query_as(
            "SELECT r.family_id, r.user_id, r.expires_at, r.used_at, f.revoked_at FROM refresh_tokens r
             JOIN token_families f ON f.id = r.family_id WHERE r.token_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(self.pool())
        .await
        .map_err(AppError::from)?;
        let RefreshRow { family_id: family, user_id, expires_at, used_at, revoked_at } =
            row.ok_or(ServiceError::Unauthenticated)?;
        if revoked_at.is_some() || expires_at <= now_millis() {
            return Err(ServiceError::Unauthenticated);
        }
        let spent = sqlx::query("UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
            .bind(now_millis())
            .bind(&hash)
            .execute(self.pool())
            .await
            .map_err(AppError::from)?;
        if used_at.is_some() || spent.rows_affected() != 1 {
            tracing::warn!(%family, "a spent refresh token was presented again: revoking its family");
            self.revoke_family(&family).await?;
            return Err(ServiceError::Unauthenticated);
        }
        Ok(self.issue_pair(&user_id, &family).await?)
    }

    /// Logs a token client out: its whole family stops working.
    pub async fn revoke_refresh(&self, refresh_token: &str) -> Result<(), ServiceError> {
        let family: Option<String> = sqlx::query_scalar("SELECT family_id FROM refresh_tokens WHERE token_hash = $1")
            .bind(digest(refresh_token.trim()))
            .fetch_optional(self.pool())
            .await
            .map_err(AppError::from)?;
        if let Some(family) = family {
            self.revoke_family(&family).await?;
        }
        Ok(())
    }

    async fn revoke_family(&self, family: &str) -> Result<(), AppError> {
        sqlx::query("UPDATE token_families SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now_millis())
            .bind(family)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The person behind a bearer access token: valid signature, audience,
    /// issuer and expiry, and a family that has not been revoked since.
    pub async fn bearer_viewer(&self, access_token: &str) -> Result<Viewer, ServiceError> {
        let person = self.bearer_person(access_token).await?;
        let user = self.user_by_id(&person).await?.ok_or(ServiceError::Unauthenticated)?;
        Ok(self.viewer_of(&user).await?)
    }

    /// The id of the person a live access token names.
    pub async fn bearer_person(&self, access_token: &str) -> Result<String, ServiceError> {
        let claims = self.tokens.verify_access(access_token).ok_or(ServiceError::Unauthenticated)?;
        let live: Option<(String,)> =
            sqlx::query_as("SELECT id FROM token_families WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL")
                .bind(&claims.fam)
                .bind(&claims.sub)
                .fetch_optional(self.pool())
                .await
                .map_err(AppError::from)?;
        live.ok_or(ServiceError::Unauthenticated)?;
        Ok(claims.sub)
    }

    /// The workspace a secret API key belongs to; records its use.
    pub async fn secret_key_workspace(&self, secret: &str) -> Result<WorkspaceSummary, ServiceError> {
        let hash = digest(secret.trim());
        let row: Option<(String, String, String, String)> = sqlx::query_as(
            "SELECT k.id, w.id, w.name, w.plan FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id
             WHERE k.token_hash = $1 AND k.kind = 'secret' AND k.revoked_at IS NULL",
        )
        .bind(&hash)
        .fetch_optional(self.pool())
        .await
        .map_err(AppError::from)?;
        let (key_id, id, name, plan) = row.ok_or(ServiceError::Unauthenticated)?;
        // A key made on a paid plan stops working if the workspace returns to Free.
        if !Tier::of_plan(&plan).has_rest_api() {
            return Err(ServiceError::Rejected(super::team::REST_API_IS_PAID.into()));
        }
        sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
            .bind(now_millis())
            .bind(&key_id)
            .execute(self.pool())
            .await
            .map_err(AppError::from)?;
        // A key acts for the workspace with an admin's reach, never an owner's.
        Ok(WorkspaceSummary { id, name, role: Role::Admin, plan })
    }
}
