//! The security audit log each workspace's owners and admins can read.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ServiceError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: i64,
    pub at: i64,
    /// Who did it, by email; empty for events without a known person.
    pub actor: String,
    /// A stable code like `member.role_changed`.
    pub action: String,
    /// Plain words about the subject, for people.
    pub detail: String,
    pub client_addr: String,
}

pub fn describe_action(action: &str) -> &'static str {
    match action {
        "login.succeeded" => "Logged in",
        "login.failed" => "Failed login",
        "password.changed" => "Changed password",
        "password.reset" => "Reset password",
        "member.invited" => "Invited a member",
        "invitation.revoked" => "Revoked an invitation",
        "member.joined" => "Joined",
        "member.role_changed" => "Changed a role",
        "member.suspended" => "Suspended a member",
        "member.reinstated" => "Reinstated a member",
        "member.removed" => "Removed a member",
        "member.left" => "Left the workspace",
        "ownership.transferred" => "Transferred ownership",
        "key.created" => "Created an API key",
        "key.updated" => "Changed a key's allowed sites",
        "key.revoked" => "Revoked an API key",
        "workspace.created" => "Created the workspace",
        "identity_secret.rotated" => "Rotated the identity secret",
        _ => "Security event",
    }
}

/// The newest events first, at most 200.
#[server(endpoint = "audit/list")]
pub async fn audit_log(workspace_id: String) -> Result<Vec<AuditEvent>, ServiceError> {
    crate::services::call(|s, caller| async move { s.team.audit_log(&caller, &workspace_id).await }).await
}
