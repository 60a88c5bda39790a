//! Email read by `desk/email.rs`, stored as the visitor's message: with
//! its sentiment like any other, marked as come by email, the refused
//! attachments named on it. The bot does not answer email.
//!
//! - An answer to the team's email threads into its conversation: one
//!   nobody from the team has joined waits for a person, and a resolved one
//!   opens again.
//! - A new email to the workspace's support address begins a conversation
//!   of its own, waiting for a person, and its ticket (named by the
//!   subject line, the sender its requester). The team's replies go back
//!   by email at once (`desk/followups.rs`), and the sender's answers
//!   thread in as above.
//!
//! Journaled, so the desk and the widget hear it live on any process; a
//! forwarder's second delivery of one email stores nothing.

use app::chat::{Author, ChatMessage, FlagReason, Sentiment, MESSAGE_MAX_CHARS};
use app::error::ServiceError;
use app::tickets::subject_from;

use super::conversations::{self, NewConversation, EMAIL_ORIGIN};
use super::sentiment::Classifier;
use super::Chat;
use crate::desk::email::{Addressed, InboundEmail};
use crate::desk::followups;
use crate::error::AppError;
use crate::live::journal;
use crate::sql::now_millis;
use crate::tickets::store as tickets;

impl Chat {
    /// Stores the email where its address says; `None` when this email was
    /// stored before.
    pub async fn email_in(&self, email: InboundEmail) -> Result<Option<ChatMessage>, AppError> {
        match email.to.clone() {
            Addressed::Conversation(conversation) => self.email_reply(&conversation, email).await,
            Addressed::Workspace(workspace) => self.email_request(&workspace, email).await,
        }
    }

    /// The email's text as the sender's message, and its sentiment.
    async fn email_message(&self, text: String, refused: Vec<String>) -> Result<(ChatMessage, Sentiment), AppError> {
        let mut notes = Vec::new();
        let body = match text.char_indices().nth(MESSAGE_MAX_CHARS) {
            Some((cut, _)) => {
                notes.push(format!("Shortened to its first {MESSAGE_MAX_CHARS} characters."));
                text[..cut].to_owned()
            }
            None => text,
        };
        if !refused.is_empty() {
            let s = if refused.len() == 1 { "" } else { "s" };
            notes.push(format!("Attachment{s} not accepted by email: {}.", refused.join(", ")));
        }
        let vector = self.knowledge.embed_query(&body).await?;
        let classifier =
            Classifier::for_embedder(self.knowledge.embedder()).await.map_err(|e| AppError::Task(e.to_string()))?;
        let sentiment = classifier.classify(vector, &body);
        let message = ChatMessage {
            id: uuid::Uuid::new_v4().to_string(),
            author: Author::Visitor,
            author_name: None,
            body,
            citations: Vec::new(),
            suggestions: Vec::new(),
            confidence: None,
            sentiment: Some(sentiment),
            feedback: None,
            note: (!notes.is_empty()).then(|| notes.join(" ")),
            by_email: true,
            created_at: now_millis(),
        };
        Ok((message, sentiment))
    }

    /// Threads the answer into its conversation.
    #[tracing::instrument(skip_all, fields(conversation_id))]
    async fn email_reply(&self, conversation_id: &str, email: InboundEmail) -> Result<Option<ChatMessage>, AppError> {
        let conversation = conversation_id.to_owned();
        let workspace = self.sql.read(|db| async move { followups::workspace_of(&db, &conversation).await }).await?;
        let workspace = workspace.ok_or(ServiceError::NotFound)?;
        let (message, sentiment) = self.email_message(email.text, email.refused).await?;
        let payload = serde_json::to_value(&message).map_err(|e| AppError::Task(e.to_string()))?;
        let (ws, conversation, stored, message_id) =
            (workspace.clone(), conversation_id.to_owned(), message.clone(), email.message_id);
        let job = |db: sqlx::AnyPool| async move {
            let mut tx = db.begin().await?;
            let at = stored.created_at;
            if !followups::first_delivery(&mut tx, &ws, &message_id, &conversation, at).await? {
                return Ok(None);
            }
            conversations::add_visitor_message(&mut tx, &ws, &conversation, &stored, sentiment).await?;
            // Reopened first: the escalation below then finds it and opens no second one.
            let reopened = tickets::on_requester_reply(&mut tx, &ws, &conversation, &stored).await?;
            let nobody = conversations::assignee(&mut tx, &ws, &conversation).await?.flatten().is_none();
            let mut opened = None;
            if nobody && conversations::flag(&mut *tx, &ws, &conversation, FlagReason::RepliedByEmail, at).await? {
                let escalated = serde_json::json!({ "reason": FlagReason::RepliedByEmail.as_str() });
                conversations::record_event(&mut *tx, &ws, Some(&conversation), "escalated", escalated).await?;
                opened = tickets::escalate(&mut tx, &ws, &conversation, FlagReason::RepliedByEmail, at).await?;
            }
            let seq = journal::append(&mut tx, &ws, &conversation, "message", &payload).await?;
            tx.commit().await?;
            Ok::<_, AppError>(Some((seq, reopened, opened)))
        };
        let Some((seq, reopened, opened)) = self.sql.write(job).await? else { return Ok(None) };
        self.live.journaled(&workspace, conversation_id, seq).await;
        if let Some(ticket) = reopened {
            self.live.tickets_changed(&workspace, Some(&ticket)).await;
        }
        if let Some(ticket) = opened {
            crate::tickets::opened(&self.categorizer, &self.sql, &self.live, &workspace, &ticket).await;
        }
        Ok(Some(message))
    }

    /// Begins a conversation and its ticket from a new email.
    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn email_request(&self, workspace_id: &str, email: InboundEmail) -> Result<Option<ChatMessage>, AppError> {
        let InboundEmail { from, subject, message_id, text, refused, .. } = email;
        let (message, sentiment) = self.email_message(text, refused).await?;
        let subject = subject.unwrap_or_else(|| subject_from(&message.body));
        let payload = serde_json::to_value(&message).map_err(|e| AppError::Task(e.to_string()))?;
        let conversation = uuid::Uuid::new_v4().to_string();
        let (ws, id, stored) = (workspace_id.to_owned(), conversation.clone(), message.clone());
        let job = |db: sqlx::AnyPool| async move {
            let mut tx = db.begin().await?;
            let at = stored.created_at;
            // The address is signed, but its workspace may be gone since.
            if !conversations::workspace_exists(&mut *tx, &ws).await? {
                return Err(ServiceError::NotFound.into());
            }
            let visitor = format!("email:{from}");
            let new = NewConversation {
                id: &id,
                workspace_id: &ws,
                visitor_id: &visitor,
                visitor_email: Some(&from),
                origin: EMAIL_ORIGIN,
                preview: false,
                at,
            };
            conversations::create(&mut tx, &new).await?;
            // A second delivery rolls all of it back.
            if !followups::first_delivery(&mut tx, &ws, &message_id, &id, at).await? {
                return Ok(None);
            }
            conversations::add_visitor_message(&mut tx, &ws, &id, &stored, sentiment).await?;
            conversations::flag(&mut *tx, &ws, &id, FlagReason::Emailed, at).await?;
            let escalated = serde_json::json!({ "reason": FlagReason::Emailed.as_str() });
            conversations::record_event(&mut *tx, &ws, Some(&id), "escalated", escalated).await?;
            let opened = tickets::open_for_email(&mut tx, &ws, &id, &subject, at).await?;
            let seq = journal::append(&mut tx, &ws, &id, "message", &payload).await?;
            tx.commit().await?;
            Ok::<_, AppError>(Some((seq, opened)))
        };
        let Some((seq, opened)) = self.sql.write(job).await? else { return Ok(None) };
        tracing::info!("an email to the support address began a conversation");
        self.live.journaled(workspace_id, &conversation, seq).await;
        if let Some(ticket) = opened {
            crate::tickets::opened(&self.categorizer, &self.sql, &self.live, workspace_id, &ticket).await;
        }
        Ok(Some(message))
    }
}
