//! Email follow-up: a reply from the team that the visitor has not seen
//! (they left the page, closed the widget) is emailed to the address they
//! gave, after the workspace's delay; their answer by email comes back into
//! the conversation. The server sends and threads (`server/src/desk/email.rs`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ServiceError;

/// The delays an admin chooses from, in minutes; 0 never emails.
pub const FOLLOWUP_CHOICES: [u32; 7] = [1, 5, 10, 30, 60, 240, 0];
/// A workspace that never chose waits this long.
pub const DEFAULT_FOLLOWUP_MINUTES: u32 = 10;

/// The follow-up as the settings page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowupSetup {
    /// Minutes an unseen reply waits before it is emailed; 0: never.
    pub minutes: u32,
    /// Whether visitors' answers by email can come back: the server has an
    /// inbound address set up (`INBOUND_EMAIL_SECRET`).
    pub replies_come_back: bool,
    /// Where the workspace's support email is forwarded to become tickets
    /// (when answers by email come back).
    pub support_address: Option<String>,
    pub can_edit: bool,
}

/// "After 10 minutes", "Never": how the settings page names a choice.
pub fn followup_label(minutes: u32) -> String {
    match minutes {
        0 => "Never".to_owned(),
        1 => "After 1 minute".to_owned(),
        m if m % 60 == 0 && m >= 120 => format!("After {} hours", m / 60),
        60 => "After 1 hour".to_owned(),
        m => format!("After {m} minutes"),
    }
}

/// One of [`FOLLOWUP_CHOICES`], or an error naming the field.
pub fn validate_followup(minutes: u32) -> Result<u32, ServiceError> {
    FOLLOWUP_CHOICES
        .contains(&minutes)
        .then_some(minutes)
        .ok_or_else(|| ServiceError::invalid("minutes", "Choose one of the delays offered."))
}

#[server(endpoint = "desk/email-followup")]
pub async fn load_email_followup(workspace_id: String) -> Result<FollowupSetup, ServiceError> {
    crate::services::call(|s, caller| async move { s.desk.email_followup(&caller, &workspace_id).await }).await
}

#[server(endpoint = "desk/save-email-followup")]
pub async fn save_email_followup(workspace_id: String, minutes: u32) -> Result<FollowupSetup, ServiceError> {
    let minutes = crate::services::with_status(validate_followup(minutes))?;
    crate::services::call(|s, caller| async move { s.desk.save_email_followup(&caller, &workspace_id, minutes).await })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_offered_delays_are_accepted_and_each_reads_well() {
        for minutes in FOLLOWUP_CHOICES {
            assert_eq!(validate_followup(minutes).unwrap(), minutes);
        }
        assert!(FOLLOWUP_CHOICES.contains(&DEFAULT_FOLLOWUP_MINUTES));
        assert!(validate_followup(7).is_err());
        let labels: Vec<String> = FOLLOWUP_CHOICES.into_iter().map(followup_label).collect();
        assert_eq!(
            labels,
            [
                "After 1 minute",
                "After 5 minutes",
                "After 10 minutes",
                "After 30 minutes",
                "After 1 hour",
                "After 4 hours",
                "Never"
            ]
        );
    }
}
