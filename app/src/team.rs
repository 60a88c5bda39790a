//! Workspaces and their members: invitations, roles, suspension, removal,
//! ownership. Every call names its workspace; the server checks membership
//! and the permission matrix before anything else.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::accounts::WorkspaceSummary;
use crate::error::ServiceError;
use crate::permissions::Role;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub suspended: bool,
    pub joined_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInvitation {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamView {
    pub workspace: WorkspaceSummary,
    pub members: Vec<Member>,
    pub invitations: Vec<PendingInvitation>,
}

impl TeamView {
    /// Seats in use: active members, and open invitations (each would become one).
    pub fn seats_taken(&self) -> u32 {
        let active = self.members.iter().filter(|m| !m.suspended).count() + self.invitations.len();
        u32::try_from(active).unwrap_or(u32::MAX)
    }
}

/// What an invitation link shows before it is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationPreview {
    pub workspace_name: String,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub expires_at: i64,
}

pub fn parse_role(value: &str) -> Result<Role, ServiceError> {
    Role::parse(value).ok_or_else(|| ServiceError::invalid("role", "Please choose owner, admin or agent."))
}

#[server(endpoint = "team/create-workspace")]
pub async fn create_workspace(name: String) -> Result<WorkspaceSummary, ServiceError> {
    crate::services::call(|s, caller| async move { s.team.create_workspace(&caller, &name).await }).await
}

#[server(endpoint = "team/view")]
pub async fn team(workspace_id: String) -> Result<TeamView, ServiceError> {
    crate::services::call(|s, caller| async move { s.team.team(&caller, &workspace_id).await }).await
}

/// Answers the same whether or not the address has an account.
#[server(endpoint = "team/invite")]
pub async fn invite_member(workspace_id: String, email: String, role: String) -> Result<(), ServiceError> {
    crate::services::call(|s, caller| async move {
        let role = parse_role(&role)?;
        s.team.invite(&caller, &workspace_id, &email, role).await
    })
    .await
}

#[server(endpoint = "team/revoke-invitation")]
pub async fn revoke_invitation(workspace_id: String, invitation_id: String) -> Result<(), ServiceError> {
    crate::services::call(
        |s, caller| async move { s.team.revoke_invitation(&caller, &workspace_id, &invitation_id).await },
    )
    .await
}

#[server(endpoint = "team/change-role")]
pub async fn change_member_role(workspace_id: String, user_id: String, role: String) -> Result<(), ServiceError> {
    crate::services::call(|s, caller| async move {
        let role = parse_role(&role)?;
        s.team.change_role(&caller, &workspace_id, &user_id, role).await
    })
    .await
}

#[server(endpoint = "team/suspend")]
pub async fn set_member_suspended(workspace_id: String, user_id: String, suspended: bool) -> Result<(), ServiceError> {
    crate::services::call(
        |s, caller| async move { s.team.set_suspended(&caller, &workspace_id, &user_id, suspended).await },
    )
    .await
}

#[server(endpoint = "team/remove")]
pub async fn remove_member(workspace_id: String, user_id: String) -> Result<(), ServiceError> {
    crate::services::call(|s, caller| async move { s.team.remove_member(&caller, &workspace_id, &user_id).await }).await
}

#[server(endpoint = "team/transfer-ownership")]
pub async fn transfer_ownership(workspace_id: String, user_id: String) -> Result<(), ServiceError> {
    crate::services::call(|s, caller| async move { s.team.transfer_ownership(&caller, &workspace_id, &user_id).await })
        .await
}

#[server(endpoint = "team/leave")]
pub async fn leave_workspace(workspace_id: String) -> Result<(), ServiceError> {
    crate::services::call(|s, caller| async move { s.team.leave(&caller, &workspace_id).await }).await?;
    leptos_axum::redirect("/app");
    Ok(())
}

#[server(endpoint = "team/invitation")]
pub async fn get_invitation(token: String) -> Result<InvitationPreview, ServiceError> {
    crate::services::call(|s, caller| async move { s.team.invitation_preview(&caller, &token).await }).await
}

#[server(endpoint = "team/accept-invitation")]
pub async fn accept_invitation(token: String) -> Result<WorkspaceSummary, ServiceError> {
    crate::services::call(|s, caller| async move { s.team.accept_invitation(&caller, &token).await }).await
}
