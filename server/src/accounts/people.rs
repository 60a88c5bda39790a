//! `AccountsService`: sign-up, verification, login, passwords, sessions,
//! profile, export and deletion.

use app::accounts::{Password, SessionSummary, SignUpForm, SignUpOutcome, Viewer, NAME_MAX};
use app::error::{FieldErrors, ServiceError};
use app::services::{AccountsService, Caller, LoggedIn, SessionCookie, SignedUp};
use async_trait::async_trait;
use serde_json::json;
use sqlx::Row;

use super::mailer::Email;
use super::secrets::digest;
use super::{audit, audit_everywhere, browsers, limits, passwords, sessions, Accounts, UserRow, RESET_TTL_MS};
use crate::billing::accounts::{self as billing, PayerKey};
use crate::error::AppError;
use crate::sql::now_millis;

impl Accounts {
    /// Checks an email and password with every abuse limit applied; the
    /// shared first half of a browser login and a token grant.
    pub(super) async fn authenticate(
        &self,
        caller: &Caller,
        email: &str,
        password: &Password,
    ) -> Result<UserRow, ServiceError> {
        let email = email.trim().to_ascii_lowercase();
        let pair = format!("login:{email}|{}", caller.client_addr);
        let address = format!("login-addr:{}", caller.client_addr);
        let account = format!("login-account:{email}");
        let limited = |retry_after_secs| ServiceError::RateLimited { retry_after_secs };
        let user = self.user_by_email(&email).await?;
        self.throttle.check(&address, limits::LOGIN_FAILURES_PER_ADDRESS).map_err(limited)?;
        // Guesses at this account from elsewhere never slow a browser its
        // owner has logged in from.
        let known = user.as_ref().is_some_and(|u| {
            browsers::knows(&self.key, caller.known_browser.as_deref(), &u.id, &u.password_hash, now_millis())
        });
        // Reserved before the (slow) password check, so that parallel
        // guesses cannot all pass one gap; given back on success.
        let spaced = !known;
        if spaced {
            self.throttle
                .hit_spaced(
                    &account,
                    limits::ACCOUNT_FAILURE_WINDOW,
                    limits::ACCOUNT_FREE_FAILURES,
                    limits::ACCOUNT_LONGEST_WAIT,
                )
                .map_err(limited)?;
        }
        // Counted before the (slow) password check, so a burst of parallel
        // guesses cannot all pass; a success clears it again.
        self.throttle.hit(&pair, limits::LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS).map_err(limited)?;
        let matches = passwords::verify(password, user.as_ref().map(|u| u.password_hash.clone())).await?;
        let Some(user) = user.filter(|_| matches) else {
            self.throttle.record(&address);
            if !spaced {
                self.throttle.record(&account);
            }
            if let Some(user) = self.user_by_email(&email).await? {
                let guesses = self.throttle.count(&account, limits::ACCOUNT_FAILURE_WINDOW);
                if guesses >= limits::ACCOUNT_FREE_FAILURES {
                    self.tell_of_guesses(&user, guesses);
                }
                // In the background: an unknown email must not answer faster.
                let (pool, client) = (self.pool().clone(), caller.client_addr.clone());
                tokio::spawn(async move {
                    if let Err(e) = audit_everywhere(&pool, &user, "login.failed", &client).await {
                        tracing::error!(error = %e, "could not record a failed login");
                    }
                });
            }
            tracing::info!(client = %caller.client_addr, "failed login");
            return Err(ServiceError::WrongCredentials);
        };
        if user.email_verified_at.is_none() {
            if self.limit(format!("verify:{}", user.id), limits::EMAIL_LINKS_PER_ACCOUNT).is_ok() {
                self.send_verification(&user).await?;
            }
            return Err(ServiceError::Rejected(
                "Please confirm your email first. We've sent you a new link; it works for 24 hours.".into(),
            ));
        }
        self.throttle.clear(&pair);
        if spaced {
            // A right password was not a guess.
            self.throttle.forget_last(&account);
        }
        Ok(user)
    }

    /// Tells the owner, once a day, that someone keeps guessing their
    /// password, and how to get in if it was them. In the background: a
    /// failed login must not take longer because the account exists.
    fn tell_of_guesses(&self, user: &UserRow, guesses: usize) {
        if self.throttle.hit(&format!("guess-notice:{}", user.id), limits::GUESS_NOTICES_PER_ACCOUNT).is_err() {
            return;
        }
        let link = format!("{}/forgot", self.public_url);
        let mailer = self.mailer.clone();
        let email = Email {
            to: user.email.clone(),
            subject: "Someone is trying to sign in to your Lodestar account".into(),
            text: format!(
                "Hi {},\n\nThe wrong password was given for your Lodestar account {guesses} times in the last \
                     hour. If that was not you, nobody got in: your password kept them out, and browsers you have \
                     signed in from before are not slowed down. From a new browser, sign-ins now wait a little \
                     between tries.\n\nIf it was you and you cannot remember your password, choose a new one \
                     here:\n\n{link}\n",
                user.name
            ),
            link,
            thread: None,
        };
        tokio::spawn(async move { mailer.send(email).await });
    }

    /// Everything stored about the caller, for the "download my data" link.
    pub async fn export(&self, caller: &Caller) -> Result<serde_json::Value, ServiceError> {
        let (user, _) = self.session_user(caller).await?;
        let viewer = self.viewer_of(&user).await?;
        let sessions = self.sessions_of(&user.id, None).await?;
        let keys = sqlx::query(
            "SELECT k.name, k.kind, k.display, k.workspace_id, k.created_at, k.revoked_at FROM api_keys k WHERE k.created_by = $1",
        )
        .bind(&user.id)
        .fetch_all(self.pool())
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|row| {
            json!({
                "name": row.get::<String, _>(0), "kind": row.get::<String, _>(1),
                "display": row.get::<String, _>(2), "workspace_id": row.get::<String, _>(3),
                "created_at": row.get::<i64, _>(4), "revoked_at": row.get::<Option<i64>, _>(5),
            })
        })
        .collect::<Vec<_>>();
        let events = sqlx::query("SELECT workspace_id, action, detail, client_addr, created_at FROM audit_log WHERE actor_id = $1 ORDER BY id")
            .bind(&user.id)
            .fetch_all(self.pool())
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|row| {
                json!({
                    "workspace_id": row.get::<String, _>(0), "action": row.get::<String, _>(1),
                    "detail": row.get::<String, _>(2), "client_addr": row.get::<String, _>(3),
                    "at": row.get::<i64, _>(4),
                })
            })
            .collect::<Vec<_>>();
        let mentor_profile = crate::mentor::profiles::load(self.pool(), &user.id).await.map_err(AppError::from)?;
        let mentor_conversations =
            crate::mentor::conversations::export(self.pool(), &user.id).await.map_err(AppError::from)?;
        let mentor_resume = crate::mentor::resumes::export(self.pool(), &user.id).await.map_err(AppError::from)?;
        let billing = billing::export(self.pool(), &PayerKey::person(&user.id)).await.map_err(AppError::from)?;
        Ok(json!({
            "exported_at": now_millis(),
            "account": {
                "id": user.id, "email": user.email, "name": user.name, "purpose": user.purpose,
                "email_verified_at": user.email_verified_at,
            },
            "workspaces": viewer.workspaces,
            "sessions": sessions,
            "api_keys_created": keys,
            "security_events": events,
            "mentor_profile": mentor_profile,
            "mentor_conversations": mentor_conversations,
            "mentor_resume": mentor_resume,
            "mentor_billing": billing,
        }))
    }

    async fn sessions_of(&self, user_id: &str, current: Option<&str>) -> Result<Vec<SessionSummary>, AppError> {
        let now = now_millis();
        let rows: Vec<(String, i64, i64, String, String)> = sqlx::query_as(
            "SELECT id, created_at, last_seen_at, client_addr, user_agent FROM sessions
             WHERE user_id = $1 AND expires_at > $2 AND last_seen_at > $3 ORDER BY last_seen_at DESC",
        )
        .bind(user_id)
        .bind(now)
        .bind(now - sessions::IDLE_MS)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, created_at, last_seen_at, client_addr, user_agent)| SessionSummary {
                current: current == Some(id.as_str()),
                id,
                created_at,
                last_seen_at,
                client_addr,
                user_agent,
            })
            .collect())
    }

    /// Stores a new password hash and, in the same transaction, ends every
    /// session of `user_id` except `keep`, every API token family and every
    /// outstanding reset link: after a password change no credential issued
    /// under the old one still works, and a failure changes nothing at all.
    /// With `reset_token`, the link is spent in that transaction too (and
    /// refused if another request spent it first); a reset link also proves
    /// the email.
    async fn replace_password(
        &self,
        user_id: &str,
        hash: String,
        keep: Option<&str>,
        reset_token: Option<&str>,
    ) -> Result<(), AppError> {
        let now = now_millis();
        let mut tx = self.pool().begin().await?;
        if let Some(token) = reset_token {
            let spent = sqlx::query("UPDATE email_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
                .bind(now)
                .bind(digest(token.trim()))
                .execute(&mut *tx)
                .await?;
            if spent.rows_affected() != 1 {
                return Err(expired_link().into());
            }
        }
        sqlx::query(
            "UPDATE users SET password_hash = $1, password_changed_at = $2,
               email_verified_at = CASE WHEN $3 = 1 THEN COALESCE(email_verified_at, $2) ELSE email_verified_at END
             WHERE id = $4",
        )
        .bind(hash)
        .bind(now)
        .bind(i32::from(reset_token.is_some()))
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE email_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = 'reset' AND used_at IS NULL",
        )
        .bind(now_millis())
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(user_id)
            .bind(keep.unwrap_or(""))
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE token_families SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(now_millis())
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn start_session(&self, caller: &Caller, user: &UserRow) -> Result<SessionCookie, AppError> {
        // A fresh id at every login: a session id planted before login is worthless after it.
        if let Some(old) = &caller.session_token {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(digest(old)).execute(self.pool()).await?;
        }
        let token = sessions::create(self.pool(), &user.id, &caller.client_addr, &caller.user_agent).await?;
        Ok(self.cookies.set(&token))
    }

    async fn create_account(&self, account: &app::accounts::NewAccount, verified: bool) -> Result<UserRow, AppError> {
        let hash = passwords::hash(&account.password).await?;
        let now = now_millis();
        let user = UserRow {
            id: uuid::Uuid::new_v4().to_string(),
            email: account.email.clone(),
            name: account.name.clone(),
            password_hash: hash,
            purpose: account.purpose.as_str().into(),
            email_verified_at: verified.then_some(now),
        };
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, purpose, email_verified_at, password_changed_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&user.id)
        .bind(&user.email)
        .bind(&user.name)
        .bind(&user.password_hash)
        .bind(&user.purpose)
        .bind(user.email_verified_at)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if let Some(name) = &account.workspace_name {
            super::team::insert_workspace(&mut tx, &user, name, "").await?;
        }
        if let Some(career) = &account.career {
            crate::mentor::profiles::save(&mut tx, &user.id, career).await?;
        }
        tx.commit().await?;
        Ok(user)
    }

    /// Joins an invitation's workspace when the token is live and addressed
    /// to `email`: the sign-up path for invited people.
    async fn sign_up_invited(
        &self,
        caller: &Caller,
        account: &app::accounts::NewAccount,
    ) -> Result<Option<SignedUp>, ServiceError> {
        let Some(token) = &account.invitation else { return Ok(None) };
        let Some(invitation) = self.live_invitation(token).await? else { return Ok(None) };
        if invitation.email != account.email || self.user_by_email(&account.email).await?.is_some() {
            return Ok(None);
        }
        let user = match self.create_account(account, true).await {
            Ok(user) => user,
            Err(AppError::Sql(sqlx::Error::Database(e))) if e.is_unique_violation() => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let workspace = self.join(caller, &user, &invitation).await?;
        let cookie = self.start_session(caller, &user).await?;
        Ok(Some(SignedUp {
            outcome: SignUpOutcome::Joined { redirect: format!("/app/w/{}", workspace.id) },
            cookie: Some(cookie),
        }))
    }
}

#[async_trait]
impl AccountsService for Accounts {
    async fn sign_up(&self, caller: &Caller, form: SignUpForm) -> Result<SignedUp, ServiceError> {
        self.limit(format!("signup:{}", caller.client_addr), limits::SIGN_UPS_PER_ADDRESS)?;
        let account = form.validate().map_err(ServiceError::Invalid)?;
        // Per address too: each sign-up sends a message to that address.
        self.limit(format!("links:{}", account.email), limits::EMAIL_LINKS_PER_ACCOUNT)?;
        if let Some(joined) = self.sign_up_invited(caller, &account).await? {
            return Ok(joined);
        }
        let check_your_email =
            SignedUp { outcome: SignUpOutcome::CheckYourEmail { email: account.email.clone() }, cookie: None };
        if let Some(existing) = self.user_by_email(&account.email).await? {
            // Same work and the same answer as a new sign-up; the owner of
            // the address learns someone tried.
            passwords::hash(&account.password).await?;
            let link = format!("{}/login", self.public_url);
            self.mailer
                .send(Email {
                    to: existing.email.clone(),
                    subject: "Someone tried to sign up with your email".into(),
                    text: format!(
                        "Hi {},\n\nSomeone (perhaps you) tried to create a Lodestar account with this address, \
                         but you already have one. Log in here:\n\n{link}\n\nForgot your password? Use \
                         \"Forgot password\" on that page. If this wasn't you, you can ignore this message.\n",
                        existing.name
                    ),
                    link,
                    thread: None,
                })
                .await;
            return Ok(check_your_email);
        }
        let user = match self.create_account(&account, false).await {
            Ok(user) => user,
            // Two sign-ups raced for one address: the other one won.
            Err(AppError::Sql(sqlx::Error::Database(e))) if e.is_unique_violation() => return Ok(check_your_email),
            Err(e) => return Err(e.into()),
        };
        self.send_verification(&user).await?;
        tracing::info!(user = %user.id, "account created");
        Ok(check_your_email)
    }

    async fn log_in(&self, caller: &Caller, email: &str, password: &Password) -> Result<LoggedIn, ServiceError> {
        let user = self.authenticate(caller, email, password).await?;
        self.logged_in(caller, &user).await
    }

    async fn log_out(&self, caller: &Caller) -> Result<SessionCookie, ServiceError> {
        if let Some(token) = &caller.session_token {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(digest(token))
                .execute(self.pool())
                .await
                .map_err(AppError::from)?;
        }
        Ok(self.cookies.clear())
    }

    async fn viewer(&self, caller: &Caller) -> Result<Option<Viewer>, ServiceError> {
        match self.session_user(caller).await {
            Ok((user, _)) => Ok(Some(self.viewer_of(&user).await?)),
            Err(ServiceError::Unauthenticated) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Proving the email logs the person in: the link came to their inbox
    /// and works once, as a password-reset link does.
    async fn verify_email(&self, caller: &Caller, token: &str) -> Result<(String, LoggedIn), ServiceError> {
        let user_id = self.use_email_token(token, "verify").await?;
        let now = now_millis();
        sqlx::query("UPDATE users SET email_verified_at = $1 WHERE id = $2 AND email_verified_at IS NULL")
            .bind(now)
            .bind(&user_id)
            .execute(self.pool())
            .await
            .map_err(AppError::from)?;
        let user = self.user_by_id(&user_id).await?.ok_or(ServiceError::NotFound)?;
        let logged_in = self.logged_in(caller, &user).await?;
        Ok((user.email, logged_in))
    }

    async fn resend_verification(&self, caller: &Caller, email: &str) -> Result<(), ServiceError> {
        let email = email.trim().to_ascii_lowercase();
        self.limit(format!("links-addr:{}", caller.client_addr), limits::EMAIL_LINKS_PER_ADDRESS)?;
        self.limit(format!("links:{email}"), limits::EMAIL_LINKS_PER_ACCOUNT)?;
        if let Some(user) = self.user_by_email(&email).await?.filter(|u| u.email_verified_at.is_none()) {
            self.send_verification(&user).await?;
        }
        Ok(())
    }

    async fn request_password_reset(&self, caller: &Caller, email: &str) -> Result<(), ServiceError> {
        let mut errors = FieldErrors::new();
        let email = app::validate::email("email", email, &mut errors);
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        self.limit(format!("links-addr:{}", caller.client_addr), limits::EMAIL_LINKS_PER_ADDRESS)?;
        self.limit(format!("links:{email}"), limits::EMAIL_LINKS_PER_ACCOUNT)?;
        if let Some(user) = self.user_by_email(&email).await? {
            let token = self.email_token(&user.id, "reset", RESET_TTL_MS).await?;
            let link = self.link("/reset?token=", &token);
            self.mailer
                .send(Email {
                    to: user.email.clone(),
                    subject: "Reset your Lodestar password".into(),
                    text: format!(
                        "Hi {},\n\nSomeone asked to reset the password of your Lodestar account. To choose a new \
                         one, open:\n\n{link}\n\nThe link works once, for 30 minutes. If you didn't ask, ignore \
                         this message: your password stays the same.\n",
                        user.name
                    ),
                    link,
                    thread: None,
                })
                .await;
        }
        Ok(())
    }

    async fn reset_password(&self, caller: &Caller, token: &str, password: &Password) -> Result<(), ServiceError> {
        let user_id = self.peek_email_token(token, "reset").await?;
        let user = self.user_by_id(&user_id).await?.ok_or(ServiceError::NotFound)?;
        if let Some(problem) = app::accounts::password_problem(password.expose(), &user.email) {
            return Err(ServiceError::invalid("password", problem));
        }
        let hash = passwords::hash(password).await?;
        // Spent only now, with the change: a rejected password leaves the link usable.
        self.replace_password(&user.id, hash, None, Some(token)).await?;
        // Guesses at the old password no longer slow the owner down.
        self.throttle.clear(&format!("login-account:{}", user.email));
        audit_everywhere(self.pool(), &user, "password.reset", &caller.client_addr).await.map_err(AppError::from)?;
        Ok(())
    }

    async fn change_password(&self, caller: &Caller, current: &Password, new: &Password) -> Result<(), ServiceError> {
        let (user, session) = self.session_user(caller).await?;
        if !passwords::verify(current, Some(user.password_hash.clone())).await? {
            return Err(ServiceError::invalid("current_password", "That isn't your current password."));
        }
        if let Some(problem) = app::accounts::password_problem(new.expose(), &user.email) {
            return Err(ServiceError::invalid("new_password", problem));
        }
        let hash = passwords::hash(new).await?;
        self.replace_password(&user.id, hash, Some(&session.id), None).await?;
        audit_everywhere(self.pool(), &user, "password.changed", &caller.client_addr).await.map_err(AppError::from)?;
        Ok(())
    }

    async fn update_profile(&self, caller: &Caller, name: &str) -> Result<Viewer, ServiceError> {
        let (user, _) = self.session_user(caller).await?;
        let mut errors = FieldErrors::new();
        let name = app::validate::required_line("name", name, NAME_MAX, "Please tell us your name.", &mut errors);
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        sqlx::query("UPDATE users SET name = $1 WHERE id = $2")
            .bind(&name)
            .bind(&user.id)
            .execute(self.pool())
            .await
            .map_err(AppError::from)?;
        Ok(self.viewer_of(&UserRow { name, ..user }).await?)
    }

    async fn list_sessions(&self, caller: &Caller) -> Result<Vec<SessionSummary>, ServiceError> {
        let (user, session) = self.session_user(caller).await?;
        Ok(self.sessions_of(&user.id, Some(&session.id)).await?)
    }

    async fn revoke_session(&self, caller: &Caller, session_id: &str) -> Result<(), ServiceError> {
        let (user, _) = self.session_user(caller).await?;
        let deleted = sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
            .bind(session_id)
            .bind(&user.id)
            .execute(self.pool())
            .await
            .map_err(AppError::from)?;
        if deleted.rows_affected() == 0 {
            return Err(ServiceError::NotFound);
        }
        Ok(())
    }

    async fn delete_account(
        &self,
        caller: &Caller,
        password: &Password,
        confirm: &str,
    ) -> Result<SessionCookie, ServiceError> {
        let (user, _) = self.session_user(caller).await?;
        if !passwords::verify(password, Some(user.password_hash.clone())).await? {
            return Err(ServiceError::invalid("password", "That isn't your password."));
        }
        if confirm.trim().to_ascii_lowercase() != user.email {
            return Err(ServiceError::invalid("confirm", "Type your email address exactly to confirm."));
        }
        // Workspaces this person alone owns: empty ones go with the account;
        // ones with other members need a new owner first.
        let sole: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT w.id, w.name, (SELECT COUNT(*) FROM memberships o WHERE o.workspace_id = w.id AND o.user_id <> $1)
             FROM workspaces w JOIN memberships m ON m.workspace_id = w.id
             WHERE m.user_id = $2 AND m.role = 'owner'
               AND NOT EXISTS (SELECT 1 FROM memberships x WHERE x.workspace_id = w.id AND x.role = 'owner'
                               AND x.suspended_at IS NULL AND x.user_id <> $3)",
        )
        .bind(&user.id)
        .bind(&user.id)
        .bind(&user.id)
        .fetch_all(self.pool())
        .await
        .map_err(AppError::from)?;
        if let Some((_, name, _)) = sole.iter().find(|(_, _, others)| *others > 0) {
            return Err(ServiceError::Rejected(format!(
                "You are the only owner of \"{name}\", which has other members. Make one of them an owner first."
            )));
        }
        // A paid plan that would renew goes on charging the card after the
        // account is gone: it is cancelled first (an ending one may stay).
        let payers = sole
            .iter()
            .map(|(id, name, _)| (PayerKey::workspace(id), format!("\"{name}\"")))
            .chain([(PayerKey::person(&user.id), "Your career mentor plan".to_owned())]);
        for (key, what) in payers.clone() {
            let row = billing::get(self.pool(), &key).await.map_err(AppError::from)?.unwrap_or_default();
            if row.live() && row.cancel_at.is_none() {
                let place = if key.kind == "workspace" { "its Billing page" } else { "Career mentor plan, above" };
                return Err(ServiceError::Rejected(format!(
                    "{what} is still paid and would renew: cancel it first ({place}), so Stripe stops charging."
                )));
            }
        }
        let mut tx = self.pool().begin().await.map_err(AppError::from)?;
        for (key, _) in payers {
            billing::forget(&mut tx, &key).await.map_err(AppError::from)?;
        }
        for (workspace_id, _, _) in &sole {
            sqlx::query("DELETE FROM workspaces WHERE id = $1")
                .bind(workspace_id)
                .execute(&mut *tx)
                .await
                .map_err(AppError::from)?;
        }
        let memberships: Vec<(String,)> = sqlx::query_as("SELECT workspace_id FROM memberships WHERE user_id = $1")
            .bind(&user.id)
            .fetch_all(&mut *tx)
            .await
            .map_err(AppError::from)?;
        for (workspace_id,) in memberships {
            audit(&mut *tx, &workspace_id, Some(&user), "member.removed", "account deleted", &caller.client_addr)
                .await
                .map_err(AppError::from)?;
            Self::revoke_credentials_of(&mut tx, &workspace_id, &user.id).await.map_err(AppError::from)?;
        }
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(&user.id)
            .execute(&mut *tx)
            .await
            .map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        for (workspace_id, _, _) in sole {
            // Nobody listening is fine: the knowledge store also sweeps orphans at start.
            let _ = self.deleted_workspaces.send(workspace_id);
        }
        tracing::info!(user = %user.id, "account deleted");
        Ok(self.cookies.clear())
    }
}

impl Accounts {
    /// A session for `user`, who just proved who they are: its cookie, the
    /// known-browser mark, and where they land.
    async fn logged_in(&self, caller: &Caller, user: &UserRow) -> Result<LoggedIn, ServiceError> {
        let cookie = self.start_session(caller, user).await?;
        audit_everywhere(self.pool(), user, "login.succeeded", &caller.client_addr).await.map_err(AppError::from)?;
        let home = self.viewer_of(user).await?.home();
        let known_browser =
            browsers::issue(&self.key, &user.id, &user.password_hash, now_millis(), self.cookies.secure);
        Ok(LoggedIn { cookie, known_browser, home })
    }

    /// The user id of a live single-use email token, without spending it.
    async fn peek_email_token(&self, token: &str, purpose: &str) -> Result<String, ServiceError> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT user_id FROM email_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
        )
        .bind(digest(token.trim()))
        .bind(purpose)
        .bind(now_millis())
        .fetch_optional(self.pool())
        .await
        .map_err(AppError::from)?;
        row.map(|(id,)| id).ok_or_else(expired_link)
    }

    /// Spends a single-use email token; a second use finds nothing.
    async fn use_email_token(&self, token: &str, purpose: &str) -> Result<String, ServiceError> {
        let user_id = self.peek_email_token(token, purpose).await?;
        let spent = sqlx::query("UPDATE email_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
            .bind(now_millis())
            .bind(digest(token.trim()))
            .execute(self.pool())
            .await
            .map_err(AppError::from)?;
        if spent.rows_affected() != 1 {
            return Err(expired_link());
        }
        Ok(user_id)
    }
}

fn expired_link() -> ServiceError {
    ServiceError::Rejected("This link has expired or was already used. Ask for a new one.".into())
}

/// On a development machine's first start: a demo login and workspace, so
/// the dashboard has something to show. Never in production.
pub async fn seed_demo(accounts: &Accounts) -> Result<(), AppError> {
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(accounts.pool()).await?;
    if existing > 0 {
        return Ok(());
    }
    let account = app::accounts::NewAccount {
        name: "Demo Owner".into(),
        email: DEMO_EMAIL.into(),
        password: Password::new(DEMO_PASSWORD),
        purpose: app::accounts::Purpose::Business,
        workspace_name: Some("Demo Store".into()),
        invitation: None,
        career: None,
    };
    accounts.create_account(&account, true).await?;
    tracing::info!(email = DEMO_EMAIL, password = DEMO_PASSWORD, "seeded the demo workspace (development only)");
    Ok(())
}

pub const DEMO_EMAIL: &str = "demo@lodestar.localhost";
pub const DEMO_PASSWORD: &str = "lodestar-demo-2026";
