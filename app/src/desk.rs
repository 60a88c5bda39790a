//! The support desk's shared types and server functions: a person from the
//! team taking a conversation over from the bot, replying live, and handing
//! it back. The server implements `DeskService` (`server/src/desk/`); the
//! visitor's widget and the agent's page follow the conversation's journal
//! live (`server/src/live/`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::chat::{validate_visitor_message, ChatMessage};
use crate::error::ServiceError;

/// A conversation's owner after a join or hand-back, and where its
/// journal stands, so the agent's live view starts from there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Takeover {
    pub conversation_id: String,
    /// The person answering; `None` while the bot answers.
    pub assignee: Option<Agent>,
    /// The number of the conversation's last journal entry.
    pub seq: i64,
}

/// A member of the team as visitors see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    pub id: String,
    pub name: String,
}

/// What an agent sends a visitor, cleaned as a visitor's message is
/// (control and direction-override characters out, trimmed, at most
/// [`MESSAGE_MAX_CHARS`](crate::chat::MESSAGE_MAX_CHARS) characters).
pub fn validate_reply(text: &str) -> Result<String, ServiceError> {
    validate_visitor_message(text).map(|text| text.as_str().to_owned()).map_err(|m| ServiceError::invalid("text", m))
}

#[server(endpoint = "desk/join")]
pub async fn join_conversation(workspace_id: String, conversation_id: String) -> Result<Takeover, ServiceError> {
    crate::services::call(|s, caller| async move { s.desk.join(&caller, &workspace_id, &conversation_id).await }).await
}

#[server(endpoint = "desk/reply")]
pub async fn reply_to_visitor(
    workspace_id: String,
    conversation_id: String,
    text: String,
) -> Result<ChatMessage, ServiceError> {
    let text = crate::services::with_status(validate_reply(&text))?;
    crate::services::call(|s, caller| async move { s.desk.reply(&caller, &workspace_id, &conversation_id, text).await })
        .await
}

#[server(endpoint = "desk/hand-back")]
pub async fn hand_back_conversation(workspace_id: String, conversation_id: String) -> Result<Takeover, ServiceError> {
    crate::services::call(|s, caller| async move { s.desk.hand_back(&caller, &workspace_id, &conversation_id).await })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_is_trimmed_and_neither_empty_nor_too_long() {
        use crate::chat::MESSAGE_MAX_CHARS;
        assert_eq!(validate_reply("  Hello there \n").unwrap(), "Hello there");
        assert!(validate_reply(" \n ").is_err());
        assert!(validate_reply(&"a".repeat(MESSAGE_MAX_CHARS)).is_ok());
        assert!(validate_reply(&"a".repeat(MESSAGE_MAX_CHARS + 1)).is_err());
    }
}
