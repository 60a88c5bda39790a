//! Who may do what in a workspace: the one permission matrix. The server
//! enforces every workspace action through [`Role::allows`]; pages use the
//! same function only to hide what a role cannot do.

use serde::{Deserialize, Serialize};

/// A member's role in one workspace, most powerful first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Agent,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Admin, Role::Agent];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Agent => "agent",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Agent => "Agent",
        }
    }

    /// The matrix. Adding an action means deciding it here for every role.
    pub fn allows(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Owner => true,
            Role::Admin => !matches!(action, TransferOwnership | ManageBilling | DeleteWorkspace),
            Role::Agent => matches!(action, ViewWorkspace | AnswerConversations),
        }
    }

    /// Whether this role may grant `role` to someone or change the role of a
    /// member who holds it: nobody acts on a rank above their own.
    pub fn outranks_or_equals(self, role: Role) -> bool {
        self <= role
    }
}

/// Everything a member can do in a workspace that some role may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    ViewWorkspace,
    AnswerConversations,
    ConfigureDesk,
    ManageKnowledge,
    ConfigureWidget,
    ViewAnalytics,
    ManageTeam,
    ManageApiKeys,
    ViewAuditLog,
    ManageSettings,
    TransferOwnership,
    ManageBilling,
    DeleteWorkspace,
}

impl Action {
    pub const ALL: [Action; 13] = [
        Action::ViewWorkspace,
        Action::AnswerConversations,
        Action::ConfigureDesk,
        Action::ManageKnowledge,
        Action::ConfigureWidget,
        Action::ViewAnalytics,
        Action::ManageTeam,
        Action::ManageApiKeys,
        Action::ViewAuditLog,
        Action::ManageSettings,
        Action::TransferOwnership,
        Action::ManageBilling,
        Action::DeleteWorkspace,
    ];

    pub fn describe(self) -> &'static str {
        match self {
            Action::ViewWorkspace => "Open the workspace dashboard",
            Action::AnswerConversations => "Answer conversations and tickets",
            Action::ConfigureDesk => "Set the desk's business hours, email follow-up, routing and replies",
            Action::ManageKnowledge => "Add and remove knowledge sources",
            Action::ConfigureWidget => "Configure the widget",
            Action::ViewAnalytics => "View analytics",
            Action::ManageTeam => "Invite members, change roles, suspend or remove members",
            Action::ManageApiKeys => "Create and revoke API keys",
            Action::ViewAuditLog => "Read the audit log",
            Action::ManageSettings => "Change workspace settings",
            Action::TransferOwnership => "Transfer ownership",
            Action::ManageBilling => "Manage billing",
            Action::DeleteWorkspace => "Delete the workspace",
        }
    }
}

/// The matrix as a Markdown table; ARCHITECTURE.md carries this exact text
/// (a test keeps the two in step).
pub fn matrix_markdown() -> String {
    let mut table = String::from("| Action | Owner | Admin | Agent |\n|---|---|---|---|\n");
    for action in Action::ALL {
        let cells: Vec<&str> = Role::ALL.iter().map(|role| if role.allows(action) { "yes" } else { "no" }).collect();
        table.push_str(&format!("| {} | {} |\n", action.describe(), cells.join(" | ")));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_cannot_manage_the_team_or_keys() {
        assert!(!Role::Agent.allows(Action::ManageTeam));
        assert!(!Role::Agent.allows(Action::ManageApiKeys));
        assert!(Role::Agent.allows(Action::AnswerConversations));
        assert!(Role::Admin.allows(Action::ManageApiKeys));
        assert!(!Role::Admin.allows(Action::TransferOwnership));
    }

    #[test]
    fn nobody_acts_above_their_rank() {
        assert!(Role::Owner.outranks_or_equals(Role::Owner));
        assert!(Role::Admin.outranks_or_equals(Role::Agent));
        assert!(!Role::Admin.outranks_or_equals(Role::Owner));
        assert!(!Role::Agent.outranks_or_equals(Role::Admin));
    }

    #[test]
    fn architecture_md_shows_the_matrix_in_code() {
        let doc = include_str!("../../ARCHITECTURE.md");
        assert!(
            doc.contains(&matrix_markdown()),
            "update ARCHITECTURE.md's permission matrix to:\n{}",
            matrix_markdown()
        );
    }
}
