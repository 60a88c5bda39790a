//! `TeamService`: workspaces, members, invitations, API keys and the audit
//! log. Every method starts at `authorize`, and every query after it names
//! the workspace it was authorised for.

use app::accounts::{WorkspaceSummary, WORKSPACE_NAME_MAX};
use app::audit::AuditEvent;
use app::error::{FieldErrors, ServiceError};
use app::keys::{ApiKey, CreatedKey, KeyKind, NewKey};
use app::permissions::{Action, Role};
use app::plans::{entitlements, Product, Tier};
use app::services::{Caller, TeamService};
use app::team::{InvitationPreview, Member, PendingInvitation, TeamView};
use async_trait::async_trait;
use sqlx::{Any, Transaction};

use super::mailer::Email;
use super::secrets::{digest, random_token};
use super::{audit, limits, Accounts, Actor, UserRow, INVITE_TTL_MS};
use crate::error::AppError;
use crate::sql::now_millis;

/// Creates a workspace owned by `owner`.
pub(super) async fn insert_workspace(
    tx: &mut Transaction<'static, Any>,
    owner: &UserRow,
    name: &str,
    client_addr: &str,
) -> Result<WorkspaceSummary, sqlx::Error> {
    let id = uuid::Uuid::new_v4().to_string();
    let now = now_millis();
    sqlx::query("INSERT INTO workspaces (id, name, plan, created_at) VALUES ($1, $2, 'free', $3)")
        .bind(&id)
        .bind(name)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)")
        .bind(&id)
        .bind(&owner.id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    audit(&mut **tx, &id, Some(owner), "workspace.created", name, client_addr).await?;
    Ok(WorkspaceSummary { id, name: name.to_string(), role: Role::Owner, plan: "free".into() })
}

#[derive(Debug, sqlx::FromRow)]
pub(super) struct InvitationRow {
    pub id: String,
    pub workspace_id: String,
    pub email: String,
    pub role: String,
    pub expires_at: i64,
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: String,
    kind: String,
    name: String,
    display: String,
    allowed_origins: String,
    created_by: Option<String>,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<KeyRow> for ApiKey {
    fn from(row: KeyRow) -> Self {
        ApiKey {
            id: row.id,
            kind: KeyKind::parse(&row.kind).unwrap_or(KeyKind::Secret),
            name: row.name,
            display: row.display,
            allowed_origins: row.allowed_origins.lines().map(str::to_string).collect(),
            created_by: row.created_by.unwrap_or_else(|| "a former member".into()),
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        }
    }
}

/// Why a Free workspace cannot make or use a secret key.
pub const REST_API_IS_PAID: &str =
    "Secret keys and the REST API come with the Pro plan. Publishable keys for the widget work on every plan.";

const KEY_SELECT: &str = "SELECT k.id, k.kind, k.name, k.display, k.allowed_origins, u.email AS created_by,
    k.created_at, k.last_used_at, k.revoked_at FROM api_keys k LEFT JOIN users u ON u.id = k.created_by";

fn sql(e: sqlx::Error) -> ServiceError {
    AppError::from(e).into_service_error()
}

impl Accounts {
    /// An invitation that can still be accepted.
    pub(super) async fn live_invitation(&self, token: &str) -> Result<Option<InvitationRow>, ServiceError> {
        sqlx::query_as(
            "SELECT id, workspace_id, email, role, expires_at FROM invitations
             WHERE token_hash = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(digest(token.trim()))
        .bind(now_millis())
        .fetch_optional(self.pool())
        .await
        .map_err(sql)
    }

    /// Makes `user` a member with the invitation's role (never a role the
    /// client names) and spends the invitation.
    pub(super) async fn join(
        &self,
        caller: &Caller,
        user: &UserRow,
        invitation: &InvitationRow,
    ) -> Result<WorkspaceSummary, ServiceError> {
        let now = now_millis();
        let mut tx = self.pool().begin().await.map_err(sql)?;
        let spent = sqlx::query("UPDATE invitations SET accepted_at = $1 WHERE id = $2 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $3")
            .bind(now)
            .bind(&invitation.id)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(sql)?;
        if spent.rows_affected() != 1 {
            return Err(invitation_gone());
        }
        let existing: Option<(String,)> =
            sqlx::query_as("SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2")
                .bind(&invitation.workspace_id)
                .bind(&user.id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(sql)?;
        if existing.is_none() {
            if let Some(full) = full(&mut tx, &invitation.workspace_id, false, now).await.map_err(sql)? {
                return Err(ServiceError::Rejected(format!(
                    "\"{}\" has no free seat on its plan: ask its owner to make room or upgrade.",
                    full.workspace
                )));
            }
            sqlx::query("INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
                .bind(&invitation.workspace_id)
                .bind(&user.id)
                .bind(&invitation.role)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(sql)?;
            audit(
                &mut *tx,
                &invitation.workspace_id,
                Some(user),
                "member.joined",
                &invitation.role,
                &caller.client_addr,
            )
            .await
            .map_err(sql)?;
        }
        // The link arrived by email: the address is proven.
        sqlx::query("UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1) WHERE id = $2")
            .bind(now)
            .bind(&user.id)
            .execute(&mut *tx)
            .await
            .map_err(sql)?;
        tx.commit().await.map_err(sql)?;
        let viewer = self.viewer_of(user).await?;
        viewer.workspace(&invitation.workspace_id).cloned().ok_or(ServiceError::Forbidden)
    }

    /// The member `user_id` of the actor's workspace, or `NotFound`.
    async fn member(&self, actor: &Actor, user_id: &str) -> Result<(Role, String), ServiceError> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT m.role, u.email FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.workspace_id = $1 AND m.user_id = $2",
        )
        .bind(&actor.workspace.id)
        .bind(user_id)
        .fetch_optional(self.pool())
        .await
        .map_err(sql)?;
        let (role, email) = row.ok_or(ServiceError::NotFound)?;
        Ok((Role::parse(&role).ok_or(ServiceError::Internal)?, email))
    }

    /// Starts a transaction that changes memberships of `workspace_id`. The
    /// no-op update takes the workspace row's write lock (PostgreSQL) or the
    /// database's (SQLite), so two concurrent changes cannot both pass the
    /// owner check in [`still_owned`] and together remove every owner.
    async fn membership_change(&self, workspace_id: &str) -> Result<Transaction<'static, Any>, ServiceError> {
        let mut tx = self.pool().begin().await.map_err(sql)?;
        sqlx::query("UPDATE workspaces SET plan = plan WHERE id = $1")
            .bind(workspace_id)
            .execute(&mut *tx)
            .await
            .map_err(sql)?;
        Ok(tx)
    }

    /// Checks that the actor may act on a member holding `role`: never on
    /// themselves through these tools, never above their own rank.
    fn may_manage(actor: &Actor, user_id: &str, role: Role) -> Result<(), ServiceError> {
        if actor.user.id == user_id {
            return Err(ServiceError::Rejected(
                "You can't do that to yourself here. Use \"Leave workspace\" instead.".into(),
            ));
        }
        if !actor.role.outranks_or_equals(role) {
            return Err(ServiceError::Forbidden);
        }
        Ok(())
    }

    /// Revokes every API key `user_id` created in the workspace and every
    /// invitation they sent that is still pending: a member who loses access
    /// (or the role that made them) loses every credential with it.
    pub(super) async fn revoke_credentials_of(
        tx: &mut Transaction<'static, Any>,
        workspace_id: &str,
        user_id: &str,
    ) -> Result<(), sqlx::Error> {
        for statement in [
            "UPDATE api_keys SET revoked_at = $1 WHERE workspace_id = $2 AND created_by = $3 AND revoked_at IS NULL",
            "UPDATE invitations SET revoked_at = $1 WHERE workspace_id = $2 AND invited_by = $3
             AND accepted_at IS NULL AND revoked_at IS NULL",
        ] {
            sqlx::query(statement).bind(now_millis()).bind(workspace_id).bind(user_id).execute(&mut **tx).await?;
        }
        Ok(())
    }

    async fn key(&self, workspace_id: &str, key_id: &str) -> Result<ApiKey, ServiceError> {
        let row: Option<KeyRow> = sqlx::query_as(&format!("{KEY_SELECT} WHERE k.workspace_id = $1 AND k.id = $2"))
            .bind(workspace_id)
            .bind(key_id)
            .fetch_optional(self.pool())
            .await
            .map_err(sql)?;
        row.map(ApiKey::from).ok_or(ServiceError::NotFound)
    }
}

/// Checked inside a membership change, after it: a workspace always keeps an
/// active owner, or the change is rolled back.
async fn still_owned(tx: &mut Transaction<'static, Any>, workspace_id: &str) -> Result<(), ServiceError> {
    let owners: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND role = 'owner' AND suspended_at IS NULL",
    )
    .bind(workspace_id)
    .fetch_one(&mut **tx)
    .await
    .map_err(sql)?;
    if owners == 0 {
        return Err(ServiceError::Rejected(
            "A workspace needs at least one owner. Make someone else an owner first.".into(),
        ));
    }
    Ok(())
}

fn invitation_gone() -> ServiceError {
    ServiceError::Rejected("This invitation has expired, was revoked, or was already used. Ask for a new one.".into())
}

fn workspace_name(name: &str) -> Result<String, ServiceError> {
    let mut errors = FieldErrors::new();
    let name =
        app::validate::required_line("name", name, WORKSPACE_NAME_MAX, "Please name the workspace.", &mut errors);
    if errors.is_empty() {
        Ok(name)
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

#[async_trait]
impl TeamService for Accounts {
    async fn create_workspace(&self, caller: &Caller, name: &str) -> Result<WorkspaceSummary, ServiceError> {
        let (user, _) = self.session_user(caller).await?;
        let name = workspace_name(name)?;
        let mut tx = self.pool().begin().await.map_err(sql)?;
        let workspace = insert_workspace(&mut tx, &user, &name, &caller.client_addr).await.map_err(sql)?;
        tx.commit().await.map_err(sql)?;
        Ok(workspace)
    }

    async fn team(&self, caller: &Caller, workspace_id: &str) -> Result<TeamView, ServiceError> {
        let actor = self.authorize(caller, workspace_id, Action::ManageTeam).await?;
        let members: Vec<(String, String, String, String, Option<i64>, i64)> = sqlx::query_as(
            "SELECT u.id, u.name, u.email, m.role, m.suspended_at, m.created_at FROM memberships m
             JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY m.created_at, u.email",
        )
        .bind(workspace_id)
        .fetch_all(self.pool())
        .await
        .map_err(sql)?;
        let invitations: Vec<(String, String, String, Option<String>, i64)> = sqlx::query_as(
            "SELECT i.id, i.email, i.role, u.email, i.expires_at FROM invitations i LEFT JOIN users u ON u.id = i.invited_by
             WHERE i.workspace_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2
             ORDER BY i.created_at DESC",
        )
        .bind(workspace_id)
        .bind(now_millis())
        .fetch_all(self.pool())
        .await
        .map_err(sql)?;
        Ok(TeamView {
            workspace: actor.workspace,
            members: members
                .into_iter()
                .filter_map(|(user_id, name, email, role, suspended_at, joined_at)| {
                    Some(Member {
                        user_id,
                        name,
                        email,
                        role: Role::parse(&role)?,
                        suspended: suspended_at.is_some(),
                        joined_at,
                    })
                })
                .collect(),
            invitations: invitations
                .into_iter()
                .filter_map(|(id, email, role, invited_by, expires_at)| {
                    Some(PendingInvitation {
                        id,
                        email,
                        role: Role::parse(&role)?,
                        invited_by: invited_by.unwrap_or_default(),
                        expires_at,
                    })
                })
                .collect(),
        })
    }

    async fn invite(&self, caller: &Caller, workspace_id: &str, email: &str, role: Role) -> Result<(), ServiceError> {
        let actor = self.authorize(caller, workspace_id, Action::ManageTeam).await?;
        if !actor.role.outranks_or_equals(role) {
            return Err(ServiceError::Forbidden);
        }
        let mut errors = FieldErrors::new();
        let email = app::validate::email("email", email, &mut errors);
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        self.limit(format!("invite:{}", actor.user.id), limits::INVITES_PER_PERSON)?;
        self.limit(format!("invite-addr:{}", caller.client_addr), limits::INVITES_PER_ADDRESS)?;
        // Only members of this workspace are looked up, and the inviter can
        // see those on the Team page already: nothing about other accounts leaks.
        let already: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 AND u.email = $2",
        )
        .bind(workspace_id)
        .bind(&email)
        .fetch_one(self.pool())
        .await
        .map_err(sql)?;
        if already > 0 {
            return Err(ServiceError::invalid("email", "That person is already a member of this workspace."));
        }
        let token = random_token("");
        let now = now_millis();
        let mut tx = self.pool().begin().await.map_err(sql)?;
        sqlx::query("UPDATE invitations SET revoked_at = $1 WHERE workspace_id = $2 AND email = $3 AND accepted_at IS NULL AND revoked_at IS NULL")
            .bind(now)
            .bind(workspace_id)
            .bind(&email)
            .execute(&mut *tx)
            .await
            .map_err(sql)?;
        if let Some(full) = full(&mut tx, workspace_id, true, now).await.map_err(sql)? {
            return Err(ServiceError::Rejected(format!(
                "All {} seats of the {} plan are taken by members and open invitations. Revoke an invitation, \
                 remove a member, or upgrade on the Billing page.",
                full.seats,
                full.plan.label()
            )));
        }
        sqlx::query(
            "INSERT INTO invitations (id, workspace_id, email, role, token_hash, invited_by, expires_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(workspace_id)
        .bind(&email)
        .bind(role.as_str())
        .bind(digest(&token))
        .bind(&actor.user.id)
        .bind(now + INVITE_TTL_MS)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(sql)?;
        audit(
            &mut *tx,
            workspace_id,
            Some(&actor.user),
            "member.invited",
            &format!("{email} as {}", role.as_str()),
            &caller.client_addr,
        )
        .await
        .map_err(sql)?;
        tx.commit().await.map_err(sql)?;
        let link = self.link("/invite/", &token);
        self.mailer
            .send(Email {
                to: email,
                subject: format!("{} invited you to {} on Lodestar", actor.user.name, actor.workspace.name),
                text: format!(
                    "Hi,\n\n{} ({}) invited you to join \"{}\" on Lodestar as {}.\n\nAccept the invitation here:\n\n\
                     {link}\n\nThe link works once, for 7 days.\n",
                    actor.user.name,
                    actor.user.email,
                    actor.workspace.name,
                    role.label().to_lowercase()
                ),
                link,
                thread: None,
            })
            .await;
        Ok(())
    }

    async fn revoke_invitation(
        &self,
        caller: &Caller,
        workspace_id: &str,
        invitation_id: &str,
    ) -> Result<(), ServiceError> {
        let actor = self.authorize(caller, workspace_id, Action::ManageTeam).await?;
        let revoked = sqlx::query(
            "UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND workspace_id = $3 AND accepted_at IS NULL AND revoked_at IS NULL",
        )
        .bind(now_millis())
        .bind(invitation_id)
        .bind(workspace_id)
        .execute(self.pool())
        .await
        .map_err(sql)?;
        if revoked.rows_affected() == 0 {
            return Err(ServiceError::NotFound);
        }
        audit(self.pool(), workspace_id, Some(&actor.user), "invitation.revoked", invitation_id, &caller.client_addr)
            .await
            .map_err(sql)
    }

    async fn change_role(
        &self,
        caller: &Caller,
        workspace_id: &str,
        user_id: &str,
        role: Role,
    ) -> Result<(), ServiceError> {
        let actor = self.authorize(caller, workspace_id, Action::ManageTeam).await?;
        let (current, email) = self.member(&actor, user_id).await?;
        Self::may_manage(&actor, user_id, current)?;
        if !actor.role.outranks_or_equals(role) {
            return Err(ServiceError::Forbidden);
        }
        let mut tx = self.membership_change(workspace_id).await?;
        sqlx::query("UPDATE memberships SET role = $1 WHERE workspace_id = $2 AND user_id = $3")
            .bind(role.as_str())
            .bind(workspace_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(sql)?;
        if !role.allows(Action::ManageApiKeys) {
            Self::revoke_credentials_of(&mut tx, workspace_id, user_id).await.map_err(sql)?;
        }
        still_owned(&mut tx, workspace_id).await?;
        let detail = format!("{email}: {} → {}", current.as_str(), role.as_str());
        audit(&mut *tx, workspace_id, Some(&actor.user), "member.role_changed", &detail, &caller.client_addr)
            .await
            .map_err(sql)?;
        tx.commit().await.map_err(sql)
    }

    async fn set_suspended(
        &self,
        caller: &Caller,
        workspace_id: &str,
        user_id: &str,
        suspended: bool,
    ) -> Result<(), ServiceError> {
        let actor = self.authorize(caller, workspace_id, Action::ManageTeam).await?;
        let (role, email) = self.member(&actor, user_id).await?;
        Self::may_manage(&actor, user_id, role)?;
        let mut tx = self.membership_change(workspace_id).await?;
        sqlx::query("UPDATE memberships SET suspended_at = $1 WHERE workspace_id = $2 AND user_id = $3")
            .bind(suspended.then(now_millis))
            .bind(workspace_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(sql)?;
        if suspended {
            Self::revoke_credentials_of(&mut tx, workspace_id, user_id).await.map_err(sql)?;
        } else if let Some(full) = full(&mut tx, workspace_id, false, now_millis()).await.map_err(sql)? {
            // Counted with the one reinstated: more than the plan's seats.
            if full.taken > full.seats {
                return Err(ServiceError::Rejected(format!(
                    "All {} seats of the {} plan are taken: remove a member or upgrade before reinstating {email}.",
                    full.seats,
                    full.plan.label()
                )));
            }
        }
        still_owned(&mut tx, workspace_id).await?;
        let action = if suspended { "member.suspended" } else { "member.reinstated" };
        audit(&mut *tx, workspace_id, Some(&actor.user), action, &email, &caller.client_addr).await.map_err(sql)?;
        tx.commit().await.map_err(sql)
    }

    async fn remove_member(&self, caller: &Caller, workspace_id: &str, user_id: &str) -> Result<(), ServiceError> {
        let actor = self.authorize(caller, workspace_id, Action::ManageTeam).await?;
        let (role, email) = self.member(&actor, user_id).await?;
        Self::may_manage(&actor, user_id, role)?;
        let mut tx = self.membership_change(workspace_id).await?;
        Self::revoke_credentials_of(&mut tx, workspace_id, user_id).await.map_err(sql)?;
        sqlx::query("DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2")
            .bind(workspace_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(sql)?;
        still_owned(&mut tx, workspace_id).await?;
        audit(&mut *tx, workspace_id, Some(&actor.user), "member.removed", &email, &caller.client_addr)
            .await
            .map_err(sql)?;
        tx.commit().await.map_err(sql)
    }

    async fn transfer_ownership(&self, caller: &Caller, workspace_id: &str, user_id: &str) -> Result<(), ServiceError> {
        let actor = self.authorize(caller, workspace_id, Action::TransferOwnership).await?;
        let (_, email) = self.member(&actor, user_id).await?;
        if actor.user.id == user_id {
            return Err(ServiceError::Rejected("You already own this workspace.".into()));
        }
        let mut tx = self.membership_change(workspace_id).await?;
        let suspended: Option<i64> =
            sqlx::query_scalar("SELECT suspended_at FROM memberships WHERE workspace_id = $1 AND user_id = $2")
                .bind(workspace_id)
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(sql)?;
        if suspended.is_some() {
            return Err(ServiceError::Rejected("Reinstate this member before making them the owner.".into()));
        }
        for (role, member) in [("owner", user_id), ("admin", actor.user.id.as_str())] {
            sqlx::query("UPDATE memberships SET role = $1 WHERE workspace_id = $2 AND user_id = $3")
                .bind(role)
                .bind(workspace_id)
                .bind(member)
                .execute(&mut *tx)
                .await
                .map_err(sql)?;
        }
        still_owned(&mut tx, workspace_id).await?;
        audit(&mut *tx, workspace_id, Some(&actor.user), "ownership.transferred", &email, &caller.client_addr)
            .await
            .map_err(sql)?;
        tx.commit().await.map_err(sql)
    }

    async fn leave(&self, caller: &Caller, workspace_id: &str) -> Result<(), ServiceError> {
        let actor = self.authorize(caller, workspace_id, Action::ViewWorkspace).await?;
        let mut tx = self.membership_change(workspace_id).await?;
        Self::revoke_credentials_of(&mut tx, workspace_id, &actor.user.id).await.map_err(sql)?;
        sqlx::query("DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2")
            .bind(workspace_id)
            .bind(&actor.user.id)
            .execute(&mut *tx)
            .await
            .map_err(sql)?;
        still_owned(&mut tx, workspace_id).await?;
        audit(&mut *tx, workspace_id, Some(&actor.user), "member.left", "", &caller.client_addr).await.map_err(sql)?;
        tx.commit().await.map_err(sql)
    }

    async fn invitation_preview(&self, _caller: &Caller, token: &str) -> Result<InvitationPreview, ServiceError> {
        let invitation = self.live_invitation(token).await?.ok_or_else(invitation_gone)?;
        let row: (String, Option<String>) = sqlx::query_as(
            "SELECT w.name, u.name FROM invitations i JOIN workspaces w ON w.id = i.workspace_id
             LEFT JOIN users u ON u.id = i.invited_by WHERE i.id = $1",
        )
        .bind(&invitation.id)
        .fetch_one(self.pool())
        .await
        .map_err(sql)?;
        Ok(InvitationPreview {
            workspace_name: row.0,
            invited_by: row.1.unwrap_or_else(|| "A former member".into()),
            email: invitation.email,
            role: Role::parse(&invitation.role).ok_or(ServiceError::Internal)?,
            expires_at: invitation.expires_at,
        })
    }

    async fn accept_invitation(&self, caller: &Caller, token: &str) -> Result<WorkspaceSummary, ServiceError> {
        let (user, _) = self.session_user(caller).await?;
        let invitation = self.live_invitation(token).await?.ok_or_else(invitation_gone)?;
        if invitation.email != user.email {
            return Err(ServiceError::Rejected(format!(
                "This invitation is for {}. Log in with that address to accept it.",
                invitation.email
            )));
        }
        self.join(caller, &user, &invitation).await
    }

    async fn list_keys(&self, caller: &Caller, workspace_id: &str) -> Result<Vec<ApiKey>, ServiceError> {
        self.authorize(caller, workspace_id, Action::ManageApiKeys).await?;
        let rows: Vec<KeyRow> = sqlx::query_as(&format!(
            "{KEY_SELECT} WHERE k.workspace_id = $1 ORDER BY k.revoked_at IS NOT NULL, k.created_at DESC"
        ))
        .bind(workspace_id)
        .fetch_all(self.pool())
        .await
        .map_err(sql)?;
        Ok(rows.into_iter().map(ApiKey::from).collect())
    }

    async fn create_key(&self, caller: &Caller, workspace_id: &str, key: NewKey) -> Result<CreatedKey, ServiceError> {
        let actor = self.authorize(caller, workspace_id, Action::ManageApiKeys).await?;
        if key.kind == KeyKind::Secret && !Tier::of_plan(&actor.workspace.plan).has_rest_api() {
            return Err(ServiceError::invalid("kind", REST_API_IS_PAID));
        }
        let (secret, display) = match key.kind {
            KeyKind::Secret => {
                let secret = random_token("sk_");
                let display = format!("{}…", &secret[..10]);
                (Some(secret), display)
            }
            KeyKind::Publishable => (None, random_token("pk_")),
        };
        let mut tx = self.pool().begin().await.map_err(sql)?;
        let id = insert_key(&mut *tx, workspace_id, &key, &display, secret.as_deref(), Some(&actor.user.id))
            .await
            .map_err(sql)?;
        audit(
            &mut *tx,
            workspace_id,
            Some(&actor.user),
            "key.created",
            &format!("{} ({})", key.name, display),
            &caller.client_addr,
        )
        .await
        .map_err(sql)?;
        tx.commit().await.map_err(sql)?;
        Ok(CreatedKey { key: self.key(workspace_id, &id).await?, secret })
    }

    async fn update_key_origins(
        &self,
        caller: &Caller,
        workspace_id: &str,
        key_id: &str,
        origins: Vec<String>,
    ) -> Result<ApiKey, ServiceError> {
        let actor = self.authorize(caller, workspace_id, Action::ManageApiKeys).await?;
        let key = self.key(workspace_id, key_id).await?;
        if key.kind != KeyKind::Publishable || key.revoked_at.is_some() {
            return Err(ServiceError::Rejected("Only active publishable keys have allowed sites.".into()));
        }
        if origins.is_empty() {
            return Err(ServiceError::invalid(
                "allowed_origins",
                "List at least one site, like https://www.example.com.",
            ));
        }
        sqlx::query("UPDATE api_keys SET allowed_origins = $1 WHERE id = $2 AND workspace_id = $3")
            .bind(origins.join("\n"))
            .bind(key_id)
            .bind(workspace_id)
            .execute(self.pool())
            .await
            .map_err(sql)?;
        audit(self.pool(), workspace_id, Some(&actor.user), "key.updated", &key.name, &caller.client_addr)
            .await
            .map_err(sql)?;
        self.key(workspace_id, key_id).await
    }

    async fn revoke_key(&self, caller: &Caller, workspace_id: &str, key_id: &str) -> Result<(), ServiceError> {
        let actor = self.authorize(caller, workspace_id, Action::ManageApiKeys).await?;
        let key = self.key(workspace_id, key_id).await?;
        let revoked = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND workspace_id = $3 AND revoked_at IS NULL",
        )
        .bind(now_millis())
        .bind(key_id)
        .bind(workspace_id)
        .execute(self.pool())
        .await
        .map_err(sql)?;
        if revoked.rows_affected() == 0 {
            return Err(ServiceError::Rejected("That key was already revoked.".into()));
        }
        audit(
            self.pool(),
            workspace_id,
            Some(&actor.user),
            "key.revoked",
            &format!("{} ({})", key.name, key.display),
            &caller.client_addr,
        )
        .await
        .map_err(sql)
    }

    async fn audit_log(&self, caller: &Caller, workspace_id: &str) -> Result<Vec<AuditEvent>, ServiceError> {
        self.authorize(caller, workspace_id, Action::ViewAuditLog).await?;
        let rows: Vec<(i64, i64, String, String, String, String)> = sqlx::query_as(
            "SELECT id, created_at, actor_email, action, detail, client_addr FROM audit_log
             WHERE workspace_id = $1 ORDER BY id DESC LIMIT 200",
        )
        .bind(workspace_id)
        .fetch_all(self.pool())
        .await
        .map_err(sql)?;
        Ok(rows
            .into_iter()
            .map(|(id, at, actor, action, detail, client_addr)| AuditEvent {
                id,
                at,
                actor,
                action,
                detail,
                client_addr,
            })
            .collect())
    }
}

/// Stores a new key and returns its id. Only a digest of the token is kept:
/// the secret for secret keys, the (public) key itself for publishable ones.
pub(crate) async fn insert_key<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    workspace_id: &str,
    key: &NewKey,
    display: &str,
    secret: Option<&str>,
    created_by: Option<&str>,
) -> Result<String, sqlx::Error> {
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO api_keys (id, workspace_id, kind, name, display, token_hash, allowed_origins, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(workspace_id)
    .bind(key.kind.as_str())
    .bind(&key.name)
    .bind(display)
    .bind(digest(secret.unwrap_or(display)))
    .bind(key.allowed_origins.join("\n"))
    .bind(created_by)
    .bind(now_millis())
    .execute(executor)
    .await?;
    Ok(id)
}

/// A workspace whose plan's seats are all taken.
struct Full {
    workspace: String,
    plan: Tier,
    seats: u32,
    taken: u32,
}

/// `Some` when the workspace has no seat left: its active members, and
/// with `invitations` its open invitations, fill the plan's seats.
async fn full(
    tx: &mut Transaction<'_, Any>,
    workspace_id: &str,
    invitations: bool,
    now: i64,
) -> Result<Option<Full>, sqlx::Error> {
    let (workspace, plan): (String, String) = sqlx::query_as("SELECT name, plan FROM workspaces WHERE id = $1")
        .bind(workspace_id)
        .fetch_one(&mut **tx)
        .await?;
    let plan = Tier::of_plan(&plan);
    let Some(seats) = entitlements(Product::SupportBot, plan).seats else { return Ok(None) };
    let taken: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND suspended_at IS NULL)
              + (SELECT COUNT(*) FROM invitations WHERE workspace_id = $2 AND $3 = 1
                   AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $4)",
    )
    .bind(workspace_id)
    .bind(workspace_id)
    .bind(i64::from(invitations))
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    let taken = u32::try_from(taken).unwrap_or(u32::MAX);
    Ok((taken >= seats).then_some(Full { workspace, plan, seats, taken }))
}
