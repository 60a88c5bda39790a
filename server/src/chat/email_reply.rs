//! A visitor's answer by email (read by `desk/email.rs`) stored as their
//! message in the conversation: with its sentiment like any other, marked
//! as come by email, the refused attachments named on it. The bot does not
//! answer email: a conversation nobody from the team has joined waits for
//! a person, and a resolved one opens again. Journaled, so the desk and the
//! widget hear it live on any process.

use app::chat::{Author, ChatMessage, FlagReason, MESSAGE_MAX_CHARS};
use app::error::ServiceError;

use super::sentiment::Classifier;
use super::{conversations, Chat};
use crate::desk::email::InboundEmail;
use crate::desk::followups;
use crate::error::AppError;
use crate::live::journal;
use crate::sql::now_millis;
use crate::tickets::store as tickets;

impl Chat {
    /// Threads the answer into its conversation; `None` when this email was
    /// threaded before (a forwarder's second delivery).
    #[tracing::instrument(skip_all, fields(conversation_id = %email.conversation_id))]
    pub async fn email_reply(&self, email: InboundEmail) -> Result<Option<ChatMessage>, AppError> {
        let InboundEmail { conversation_id, message_id, text, refused } = email;
        let conversation = conversation_id.clone();
        let workspace = self.sql.read(|db| async move { followups::workspace_of(&db, &conversation).await }).await?;
        let workspace = workspace.ok_or(ServiceError::NotFound)?;
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
        let payload = serde_json::to_value(&message).map_err(|e| AppError::Task(e.to_string()))?;
        let (ws, conversation, stored) = (workspace.clone(), conversation_id.clone(), message.clone());
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
        self.live.journaled(&workspace, &conversation_id, seq).await;
        if let Some(ticket) = reopened {
            self.live.tickets_changed(&workspace, Some(&ticket)).await;
        }
        if let Some(ticket) = opened {
            crate::tickets::opened(&self.categorizer, &self.sql, &self.live, &workspace, &ticket).await;
        }
        Ok(Some(message))
    }
}
