//! Replies the assistant drafts for a member of the team: grounded in the
//! workspace's knowledge with citations, written by the deployment's LLM
//! when one is configured and by the offline engine otherwise, and edited
//! by the member before they send it. The server implements it in
//! `server/src/chat/drafts.rs` (the writing) and `server/src/desk/drafts.rs`
//! (what became of each draft).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::chat::Citation;
use crate::error::ServiceError;

/// A reply the assistant drafted for the caller to edit and send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplyDraft {
    pub id: String,
    pub body: String,
    pub citations: Vec<Citation>,
    /// The visitor's message it answers: a draft for an older one is stale.
    pub answers: String,
    /// Who wrote it: "offline", or the AI provider's name.
    pub written_by: String,
    /// Said with the draft, such as why the offline engine wrote it.
    pub note: Option<String>,
}

impl ReplyDraft {
    /// "Drafted by the AI model (openai) from 2 sources in your knowledge base."
    pub fn provenance(&self) -> String {
        let by = match self.written_by.as_str() {
            "offline" => "Drafted offline".to_owned(),
            provider => format!("Drafted by the AI model ({provider})"),
        };
        match self.citations.len() {
            0 => format!("{by}. Check it before sending."),
            1 => format!("{by} from 1 source in your knowledge base."),
            n => format!("{by} from {n} sources in your knowledge base."),
        }
    }
}

/// What became of a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftOutcome {
    /// Sent as the assistant wrote it.
    Sent,
    /// Changed by the member, then sent.
    Edited,
    /// Thrown away, or replaced by a new draft.
    Discarded,
}

impl DraftOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            DraftOutcome::Sent => "sent",
            DraftOutcome::Edited => "edited",
            DraftOutcome::Discarded => "discarded",
        }
    }
}

/// The workspace's drafts over [`DRAFT_STATS_DAYS`], by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftStats {
    pub sent: u32,
    pub edited: u32,
    pub discarded: u32,
}

pub const DRAFT_STATS_DAYS: i64 = 30;

impl DraftStats {
    pub fn total(self) -> u32 {
        self.sent + self.edited + self.discarded
    }
}

/// Drafts a reply to the visitor's latest message in the conversation.
#[server(endpoint = "desk/draft")]
pub async fn draft_reply(workspace_id: String, conversation_id: String) -> Result<ReplyDraft, ServiceError> {
    crate::services::call(|s, caller| async move { s.desk.draft(&caller, &workspace_id, &conversation_id).await }).await
}

/// Drafts a first email to the requester of a ticket without a conversation.
#[server(endpoint = "desk/draft-ticket")]
pub async fn draft_ticket_reply(workspace_id: String, ticket_id: String) -> Result<ReplyDraft, ServiceError> {
    crate::services::call(|s, caller| async move { s.desk.draft_for_ticket(&caller, &workspace_id, &ticket_id).await })
        .await
}

/// The caller threw the draft away.
#[server(endpoint = "desk/discard-draft")]
pub async fn discard_draft(workspace_id: String, draft_id: String) -> Result<(), ServiceError> {
    crate::services::call(|s, caller| async move { s.desk.discard_draft(&caller, &workspace_id, &draft_id).await })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(written_by: &str, sources: usize) -> ReplyDraft {
        let citation =
            |number| Citation { number, title: "Refunds".into(), url: None, source_id: "s".into(), quote: None };
        ReplyDraft {
            id: "d".into(),
            body: "b".into(),
            citations: (1..=sources as u32).map(citation).collect(),
            answers: "m".into(),
            written_by: written_by.into(),
            note: None,
        }
    }

    #[test]
    fn provenance_says_who_wrote_it_and_from_how_many_sources() {
        assert_eq!(draft("offline", 1).provenance(), "Drafted offline from 1 source in your knowledge base.");
        assert_eq!(
            draft("openai", 2).provenance(),
            "Drafted by the AI model (openai) from 2 sources in your knowledge base."
        );
        assert_eq!(draft("anthropic", 0).provenance(), "Drafted by the AI model (anthropic). Check it before sending.");
    }
}
