//! A reply drafted for a member of the team, who edits it before sending:
//! the visitor's latest message answered from the workspace's knowledge
//! with the bot's own pipeline (hybrid retrieval, then the LLM with its
//! deadlines, breaker and leak guard, or the offline engine). Nothing is
//! sent or stored here: the desk records the draft (`desk/drafts.rs`).
//!
//! A draft answers the visitor's newest message when writing began. If
//! they write again meanwhile the draft answers the wrong thing, so it is
//! dropped and written once more for the new state. A ticket with no
//! conversation has its subject answered instead, for a first email.

use app::chat::{Author, ChatMessage, Citation, HISTORY_MESSAGES};
use app::error::ServiceError;
use tokio::sync::mpsc;

use super::{answer, conversations, settings, Chat, Mode, Reply, Retrieval, Widget, PASSAGES};
use crate::error::AppError;

/// Writings of one draft before giving up on a conversation that keeps moving.
const ATTEMPTS: usize = 2;

pub const NOTHING_TO_ANSWER: &str = "The visitor hasn't written anything to answer yet.";
pub const NOT_IN_KNOWLEDGE: &str = "Your knowledge base has nothing on this, so there is no draft: \
write this reply yourself, and add the answer to your knowledge so the assistant knows it next time.";
pub const KEPT_CHANGING: &str =
    "The conversation kept changing while the draft was written. Ask again when the visitor pauses.";
const MODEL_UNAVAILABLE: &str = "The AI model was unavailable, so the offline engine drafted this.";

/// A draft as written, before the desk records it.
pub struct Drafted {
    pub body: String,
    pub citations: Vec<Citation>,
    /// The id of the visitor's message it answers (or of the ticket).
    pub answers: String,
    /// `offline`, or the provider's name.
    pub written_by: &'static str,
    pub note: Option<&'static str>,
}

impl Chat {
    /// Drafts a reply to the visitor's latest message in the conversation.
    #[tracing::instrument(skip_all, fields(workspace_id, conversation_id))]
    pub async fn draft_reply(&self, workspace_id: &str, conversation_id: &str) -> Result<Drafted, ServiceError> {
        // The visitor's newest message is what a draft answers: the bot's or
        // a teammate's messages meanwhile do not make it stale.
        let newest = |messages: &[ChatMessage]| {
            messages.iter().rev().find(|m| m.author == Author::Visitor).map(|m| m.id.clone())
        };
        let mut messages = self.transcript_of(workspace_id, conversation_id).await?;
        for _ in 0..ATTEMPTS {
            let answering = newest(&messages);
            let drafted = self.draft_for(workspace_id, &messages).await?;
            messages = self.transcript_of(workspace_id, conversation_id).await?;
            if newest(&messages) == answering {
                return Ok(drafted);
            }
        }
        Err(ServiceError::Rejected(KEPT_CHANGING.into()))
    }

    /// Drafts a first email to a ticket's requester, where there is no
    /// conversation to read: it answers what the ticket is about.
    #[tracing::instrument(skip_all, fields(workspace_id, ticket_id))]
    pub async fn draft_ticket_reply(
        &self,
        workspace_id: &str,
        ticket_id: &str,
        subject: &str,
    ) -> Result<Drafted, ServiceError> {
        self.draft_answer(workspace_id, subject, Vec::new(), ticket_id.to_owned()).await
    }

    async fn draft_for(&self, workspace_id: &str, messages: &[ChatMessage]) -> Result<Drafted, ServiceError> {
        let at = messages.iter().rposition(|m| m.author == Author::Visitor);
        let at = at.ok_or_else(|| ServiceError::Rejected(NOTHING_TO_ANSWER.into()))?;
        let question = &messages[at];
        let history = messages[at.saturating_sub(HISTORY_MESSAGES)..at].to_vec();
        self.draft_answer(workspace_id, &question.body, history, question.id.clone()).await
    }

    /// `question` answered from the knowledge base; `answers` names what it
    /// answers (a message's id, or a ticket's).
    async fn draft_answer(
        &self,
        workspace_id: &str,
        question: &str,
        history: Vec<ChatMessage>,
        answers: String,
    ) -> Result<Drafted, ServiceError> {
        let vector = self.knowledge.embed_query(question).await?;
        let passages = self
            .knowledge
            .search_with_vector(workspace_id, question, &vector, PASSAGES, None, Retrieval::Hybrid)
            .await?;
        drop(vector);
        let offline = answer::compose(question, &passages);
        let reply = match self.llm.as_deref() {
            Some(llm) => {
                let widget = self.widget_of(workspace_id).await?;
                // `generate` streams to a visitor; a draft is read whole, so
                // the stream is heard and dropped while it is written.
                let (events, mut heard) = mpsc::channel(64);
                let write =
                    async move { self.generate(llm, &widget, passages, history, question, offline, &events).await };
                let hear = async move { while heard.recv().await.is_some() {} };
                tokio::join!(write, hear).0?
            }
            None => Reply::offline(offline, None),
        };
        if !reply.answered && matches!(reply.mode, Mode::Offline) {
            return Err(ServiceError::Rejected(NOT_IN_KNOWLEDGE.into()));
        }
        Ok(Drafted {
            written_by: reply.mode.name(self.llm.as_deref()),
            note: reply.note.map(|_| MODEL_UNAVAILABLE),
            body: without_markers(&reply.body, &reply.citations),
            citations: reply.citations,
            answers,
        })
    }

    async fn transcript_of(&self, workspace_id: &str, conversation_id: &str) -> Result<Vec<ChatMessage>, ServiceError> {
        let (workspace, conversation) = (workspace_id.to_owned(), conversation_id.to_owned());
        let job = |db: sqlx::AnyPool| async move { conversations::transcript(&db, &workspace, &conversation).await };
        let transcript = self.sql.read(job).await.map_err(AppError::from)?;
        Ok(transcript.ok_or(ServiceError::NotFound)?.messages)
    }

    /// The workspace's widget as the assistant's prompt needs it (its name
    /// and plan), whichever site the visitor wrote from.
    async fn widget_of(&self, workspace_id: &str) -> Result<Widget, ServiceError> {
        let workspace = workspace_id.to_owned();
        let job = |db: sqlx::AnyPool| async move { settings::by_workspace(&db, &workspace).await };
        let row = self.sql.read(job).await.map_err(AppError::from)?.ok_or(ServiceError::NotFound)?;
        Ok(Widget::from_row(row, "", false))
    }
}

/// The reply without its `[n]` markers: a person's message carries no
/// sources for the visitor to open, so the markers would point nowhere.
/// The member sees the sources beside the draft.
fn without_markers(body: &str, citations: &[Citation]) -> String {
    citations.iter().fold(body.to_owned(), |body, c| {
        let marker = format!("[{}]", c.number);
        body.replace(&format!(" {marker}"), "").replace(&marker, "")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cited(number: u32) -> Citation {
        Citation { number, title: "Refunds".into(), url: None, source_id: "s".into(), quote: None }
    }

    #[test]
    fn a_draft_keeps_no_markers_of_its_sources() {
        let body = "Refunds take 5 days [1]. Express ships next day [2].[1]";
        assert_eq!(without_markers(body, &[cited(1), cited(2)]), "Refunds take 5 days. Express ships next day.");
        assert_eq!(
            without_markers("Only [3] stays [1].", &[cited(1)]),
            "Only [3] stays.",
            "what is not a source is the visitor's own text"
        );
    }
}
