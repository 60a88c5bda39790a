//! Accounts: people, sessions, workspaces, members, invitations, API keys,
//! tokens and the audit log, in the SQL store. One [`Accounts`] value
//! implements both the `AccountsService` and `TeamService` traits; the REST
//! handlers in [`api`] call its token methods.

pub mod api;
pub mod browsers;
pub mod jwt;
pub mod mailer;
pub mod passwords;
mod people;
pub mod secrets;
pub mod sessions;
mod team;
pub mod throttle;
mod tokens;

use app::accounts::{Purpose, Viewer, WorkspaceSummary};
use app::error::ServiceError;
use app::permissions::{Action, Role};
use app::services::Caller;
use sqlx::{Any, Executor};

use crate::config::Config;
use crate::error::AppError;
use crate::sql::{now_millis, SqlStore};
use jwt::Tokens;
use mailer::{Email, Mailer};
use secrets::{digest, random_token, ServerKey};
use sessions::{CookiePolicy, SessionRow};
use throttle::{Rule, Throttle};

pub use people::{seed_demo, DEMO_EMAIL, DEMO_PASSWORD};
pub(crate) use team::insert_key;

const VERIFY_TTL_MS: i64 = 24 * 3600 * 1000;
const RESET_TTL_MS: i64 = 30 * 60 * 1000;
const INVITE_TTL_MS: i64 = 7 * 24 * 3600 * 1000;
const REFRESH_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

/// Abuse limits. Login failures count per account *and* address, so a
/// guesser is stopped without locking the owner out from elsewhere; per
/// account they only space out logins from browsers the person never
/// logged in from, by a doubling wait of at most a minute.
mod limits {
    use std::time::Duration;

    use super::Rule;
    pub const LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS: Rule = Rule::per_minutes(5, 15);
    pub const LOGIN_FAILURES_PER_ADDRESS: Rule = Rule::per_minutes(50, 15);
    /// Failures against one account counted over this window…
    pub const ACCOUNT_FAILURE_WINDOW: Duration = Duration::from_secs(60 * 60);
    /// …of which this many pass at once (and the owner hears of the rest)…
    pub const ACCOUNT_FREE_FAILURES: usize = 10;
    /// …and then unknown browsers wait 4 s, twice as long each time, up to this.
    pub const ACCOUNT_LONGEST_WAIT: Duration = Duration::from_secs(60);
    /// One email a day about failed guesses at an account.
    pub const GUESS_NOTICES_PER_ACCOUNT: Rule = Rule::per_minutes(1, 24 * 60);
    pub const SIGN_UPS_PER_ADDRESS: Rule = Rule::per_minutes(10, 60);
    pub const EMAIL_LINKS_PER_ADDRESS: Rule = Rule::per_minutes(10, 15);
    pub const EMAIL_LINKS_PER_ACCOUNT: Rule = Rule::per_minutes(3, 15);
    pub const INVITES_PER_PERSON: Rule = Rule::per_minutes(30, 60);
    pub const INVITES_PER_ADDRESS: Rule = Rule::per_minutes(60, 60);
}

pub struct Accounts {
    sql: SqlStore,
    mailer: Mailer,
    throttle: Throttle,
    cookies: CookiePolicy,
    key: ServerKey,
    tokens: Tokens,
    public_url: String,
    /// `OPERATOR_EMAILS`, lower-cased.
    operator_emails: Vec<String>,
    /// Ids of deleted workspaces, for stores outside SQL to purge.
    deleted_workspaces: tokio::sync::broadcast::Sender<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct UserRow {
    id: String,
    email: String,
    name: String,
    password_hash: String,
    purpose: String,
    email_verified_at: Option<i64>,
}

impl UserRow {
    fn purpose(&self) -> Purpose {
        Purpose::parse(&self.purpose).unwrap_or(Purpose::Business)
    }
}

const USER_COLUMNS: &str = "id, email, name, password_hash, purpose, email_verified_at";

/// A member acting in one of their workspaces, after the permission check.
pub(crate) struct Actor {
    user: UserRow,
    role: Role,
    pub(crate) workspace: WorkspaceSummary,
}

impl Actor {
    pub(crate) fn user_id(&self) -> &str {
        &self.user.id
    }

    /// The name the person gave, as visitors and the team see it.
    pub(crate) fn user_name(&self) -> &str {
        &self.user.name
    }
}

impl Accounts {
    pub fn new(config: &Config, sql: SqlStore, key: ServerKey, mailer: Mailer) -> Self {
        Accounts {
            tokens: Tokens::new(&key, &config.public_url),
            cookies: CookiePolicy::for_public_url(&config.public_url),
            public_url: config.public_url.clone(),
            operator_emails: config.auth.operator_emails.clone(),
            throttle: Throttle::default(),
            sql,
            mailer,
            key,
            deleted_workspaces: tokio::sync::broadcast::channel(64).0,
        }
    }

    /// Hears of every workspace deleted from now on.
    pub fn subscribe_deleted_workspaces(&self) -> tokio::sync::broadcast::Receiver<String> {
        self.deleted_workspaces.subscribe()
    }

    pub fn cookie_policy(&self) -> &CookiePolicy {
        &self.cookies
    }

    /// The CSRF token for a session, for clients that send neither
    /// `Origin` nor `Sec-Fetch-Site`.
    pub fn csrf_token(&self, session_token: &str) -> String {
        self.key.sign("csrf", session_token)
    }

    /// Outgoing mail, for the desk's follow-ups and mentions.
    pub(crate) fn mailer(&self) -> &Mailer {
        &self.mailer
    }

    /// The address of one of our pages, for mail: `page_link("/app")`.
    pub(crate) fn page_link(&self, path: &str) -> String {
        self.link(path, "")
    }

    /// The key that signs tokens other modules issue (widget visitors).
    pub(crate) fn server_key(&self) -> &ServerKey {
        &self.key
    }

    fn pool(&self) -> &sqlx::AnyPool {
        self.sql.pool()
    }

    fn limit(&self, key: String, rule: Rule) -> Result<(), ServiceError> {
        self.throttle.hit(&key, rule).map_err(|retry_after_secs| ServiceError::RateLimited { retry_after_secs })
    }

    fn link(&self, path: &str, token: &str) -> String {
        format!("{}{path}{token}", self.public_url)
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>, AppError> {
        Ok(sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1"))
            .bind(email.trim().to_ascii_lowercase())
            .fetch_optional(self.pool())
            .await?)
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<UserRow>, AppError> {
        Ok(sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// The signed-in person's id, for services whose data belongs to one
    /// person; `Unauthenticated` without a live session.
    pub async fn person_id(&self, caller: &Caller) -> Result<String, ServiceError> {
        Ok(self.session_user(caller).await?.0.id)
    }

    /// Whether the signed-in person is one of `OPERATOR_EMAILS`:
    /// `Unauthenticated` signed out, `NotFound` for anyone else (the
    /// operators' pages are not admitted to exist).
    pub async fn check_operator(&self, caller: &Caller) -> Result<(), ServiceError> {
        let (user, _) = self.session_user(caller).await?;
        let email = user.email.to_lowercase();
        if self.operator_emails.contains(&email) {
            Ok(())
        } else {
            Err(ServiceError::NotFound)
        }
    }

    /// [`Accounts::person_id`], or `None` without a live session.
    pub async fn signed_in_person(&self, caller: &Caller) -> Result<Option<String>, ServiceError> {
        match self.person_id(caller).await {
            Ok(id) => Ok(Some(id)),
            Err(ServiceError::Unauthenticated) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether `caller` holds a live session (the dashboard's pages ask).
    pub async fn is_signed_in(&self, caller: &Caller) -> Result<bool, ServiceError> {
        Ok(self.signed_in_person(caller).await?.is_some())
    }

    /// The logged-in person and their session, or `Unauthenticated`.
    async fn session_user(&self, caller: &Caller) -> Result<(UserRow, SessionRow), ServiceError> {
        let token = caller.session_token.as_deref().ok_or(ServiceError::Unauthenticated)?;
        let session = sessions::resolve(self.pool(), token)
            .await
            .map_err(AppError::from)?
            .ok_or(ServiceError::Unauthenticated)?;
        let user = self.user_by_id(&session.user_id).await?.ok_or(ServiceError::Unauthenticated)?;
        Ok((user, session))
    }

    async fn viewer_of(&self, user: &UserRow) -> Result<Viewer, AppError> {
        let workspaces: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT w.id, w.name, m.role, w.plan FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
             WHERE m.user_id = $1 AND m.suspended_at IS NULL ORDER BY m.created_at, w.name",
        )
        .bind(&user.id)
        .fetch_all(self.pool())
        .await?;
        Ok(Viewer {
            user_id: user.id.clone(),
            name: user.name.clone(),
            email: user.email.clone(),
            purpose: user.purpose(),
            workspaces: workspaces
                .into_iter()
                .filter_map(|(id, name, role, plan)| {
                    Some(WorkspaceSummary { id, name, role: Role::parse(&role)?, plan })
                })
                .collect(),
        })
    }

    /// The one gate for workspace actions: the caller must be logged in, an
    /// active member of `workspace_id` (else `NotFound`, which is what a
    /// workspace that does not exist answers too), and allowed `action`.
    pub(crate) async fn authorize(
        &self,
        caller: &Caller,
        workspace_id: &str,
        action: Action,
    ) -> Result<Actor, ServiceError> {
        let (user, _) = self.session_user(caller).await?;
        self.authorize_user(user, workspace_id, action).await
    }

    /// Records a security event another service performed for `actor`
    /// (rotating the widget's identity secret).
    pub(crate) async fn audit_by(&self, actor: &Actor, caller: &Caller, action: &str) -> Result<(), AppError> {
        audit(self.pool(), &actor.workspace.id, Some(&actor.user), action, "", &caller.client_addr).await?;
        Ok(())
    }

    async fn authorize_user(&self, user: UserRow, workspace_id: &str, action: Action) -> Result<Actor, ServiceError> {
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT m.role, w.name, w.plan FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
             WHERE m.workspace_id = $1 AND m.user_id = $2 AND m.suspended_at IS NULL",
        )
        .bind(workspace_id)
        .bind(&user.id)
        .fetch_optional(self.pool())
        .await
        .map_err(AppError::from)?;
        let (role, name, plan) = row.ok_or(ServiceError::NotFound)?;
        let role = Role::parse(&role).ok_or(ServiceError::Internal)?;
        if !role.allows(action) {
            return Err(ServiceError::Forbidden);
        }
        Ok(Actor { workspace: WorkspaceSummary { id: workspace_id.to_string(), name, role, plan }, user, role })
    }

    /// Issues a single-use email link token for `user_id`.
    async fn email_token(&self, user_id: &str, purpose: &str, ttl_ms: i64) -> Result<String, AppError> {
        let token = random_token("");
        let now = now_millis();
        sqlx::query(
            "INSERT INTO email_tokens (token_hash, user_id, purpose, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(digest(&token))
        .bind(user_id)
        .bind(purpose)
        .bind(now + ttl_ms)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(token)
    }

    async fn send_verification(&self, user: &UserRow) -> Result<(), AppError> {
        let token = self.email_token(&user.id, "verify", VERIFY_TTL_MS).await?;
        let link = self.link("/verify?token=", &token);
        self.mailer
            .send(Email {
                to: user.email.clone(),
                subject: "Confirm your email for Lodestar".into(),
                text: format!(
                    "Hi {},\n\nPlease confirm your email address to finish setting up Lodestar:\n\n{link}\n\n\
                     The link works once, for 24 hours. If you didn't sign up, you can ignore this message.\n",
                    user.name
                ),
                link,
                thread: None,
            })
            .await;
        Ok(())
    }
}

/// Records in a workspace's audit log what no member did (Stripe, the
/// operator's command), with `detail` saying who.
pub(crate) async fn audit_unattended<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    action: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    audit(db, workspace_id, None, action, detail, "").await
}

/// Records a security event in one workspace's audit log.
async fn audit<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    actor: Option<&UserRow>,
    action: &str,
    detail: &str,
    client_addr: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (workspace_id, actor_id, actor_email, action, detail, client_addr, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(workspace_id)
    .bind(actor.map(|u| u.id.clone()))
    .bind(actor.map(|u| u.email.clone()).unwrap_or_default())
    .bind(action)
    .bind(detail)
    .bind(client_addr)
    .bind(now_millis())
    .execute(db)
    .await?;
    Ok(())
}

/// Records a person's own security event (a login, a password change) in
/// every workspace they belong to.
async fn audit_everywhere<'e>(
    db: impl Executor<'e, Database = Any>,
    user: &UserRow,
    action: &str,
    client_addr: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (workspace_id, actor_id, actor_email, action, detail, client_addr, created_at)
         SELECT workspace_id, $1, $2, $3, $4, $5, $6 FROM memberships WHERE user_id = $7",
    )
    .bind(&user.id)
    .bind(&user.email)
    .bind(action)
    .bind("")
    .bind(client_addr)
    .bind(now_millis())
    .bind(&user.id)
    .execute(db)
    .await?;
    Ok(())
}
