//! The visitor's side of the desk: asking for a person and their place in
//! line, the push channel that carries the team's messages, typing and
//! read receipts, and rating the conversation once it is resolved. The
//! team's side is `crate::desk`.

use app::chat::FlagReason;
use app::desk::RATING_COMMENT_MAX_CHARS;
use app::error::ServiceError;
use futures_util::{Stream, StreamExt};

use super::{conversations, guard, Chat, Visitor, Widget};
use crate::desk::hours::Schedule;
use crate::desk::inbox::{self, Queue};
use crate::desk::ratings;
use crate::desk::receipts::{self, Reader};
use crate::desk::settings as desk_settings;
use crate::error::AppError;
use crate::live::slots::Slot;
use crate::live::{journal, Heard};
use crate::sql::now_millis;

impl Chat {
    /// Where the conversation stands in line for a person: who is at the
    /// desk, its place, the usual wait, and when the team is back while
    /// nobody is in and it is out of hours. `None` when it does not wait.
    pub(super) async fn queue(&self, workspace_id: &str, conversation_id: &str) -> Result<Option<Queue>, ServiceError> {
        let now = now_millis();
        let (workspace, conversation) = (workspace_id.to_owned(), conversation_id.to_owned());
        let online_since = now - inbox::ONLINE_WITHIN_MS;
        let job = |db: sqlx::AnyPool| async move {
            let queue = inbox::queue(&db, &workspace, &conversation, online_since, now).await?;
            let hours = match queue.online {
                0 => Some(desk_settings::business_hours(&db, &workspace).await?),
                _ => None,
            };
            Ok::<_, sqlx::Error>((queue, hours))
        };
        let (mut queue, hours) = self.sql.read(job).await.map_err(AppError::from)?;
        if let Some(schedule) = hours.as_ref().and_then(Schedule::of) {
            queue.back_at = schedule.next_open(now).filter(|&back| back > now);
        }
        Ok((queue.position > 0).then_some(queue))
    }

    /// The visitor's live channel: their conversation's journal after entry
    /// `after`, then each entry as it is written (a person joining, their
    /// messages), with the slots it holds while open. `None` before the
    /// visitor has a conversation.
    #[allow(clippy::type_complexity)]
    pub async fn follow(
        &self,
        widget: &Widget,
        visitor: &Visitor<'_>,
        after: i64,
    ) -> Result<Option<(impl Stream<Item = Heard> + Send + 'static, (Slot, Slot))>, ServiceError> {
        let Some(conversation) = self.latest_conversation(&widget.workspace_id, visitor.id).await? else {
            return Ok(None);
        };
        let busy = ServiceError::RateLimited { retry_after_secs: 5 };
        let own = self.channels_per_visitor.take(&format!("{}:{}", widget.workspace_id, visitor.id));
        let own = own.ok_or(busy.clone())?;
        let client = self.channels_per_client.take(&guard::client_of(visitor.address)).ok_or(busy)?;
        let heard = self.live.follow(widget.workspace_id.clone(), conversation.id, after.max(0));
        // The visitor's own typing is not news to them.
        let heard = heard.filter(|heard| std::future::ready(*heard != Heard::Typing(None)));
        Ok(Some((heard, (own, client))))
    }

    /// The visitor is typing: the person answering hears it. Said only
    /// while a person answers (nobody else listens); paced per visitor and
    /// address.
    pub async fn typing(&self, widget: &Widget, visitor: &Visitor<'_>) -> Result<(), ServiceError> {
        let client = guard::client_of(visitor.address);
        self.guard
            .signal("typing", &widget.workspace_id, visitor.id, &client)
            .map_err(|wait| ServiceError::RateLimited { retry_after_secs: wait.as_secs().max(1) })?;
        let latest = self.latest_conversation(&widget.workspace_id, visitor.id).await?;
        if let Some(conversation) = latest.filter(|c| c.assignee_id.is_some()) {
            self.live.typing(&widget.workspace_id, &conversation.id, None).await;
        }
        Ok(())
    }

    /// The visitor's widget showed the team's replies: the person answering
    /// sees "Seen" under them. Journaled only when news; paced per visitor
    /// and address.
    pub async fn seen(&self, widget: &Widget, visitor: &Visitor<'_>) -> Result<(), ServiceError> {
        let client = guard::client_of(visitor.address);
        self.guard
            .signal("seen", &widget.workspace_id, visitor.id, &client)
            .map_err(|wait| ServiceError::RateLimited { retry_after_secs: wait.as_secs().max(1) })?;
        let Some(conversation) = self.latest_conversation(&widget.workspace_id, visitor.id).await? else {
            return Ok(());
        };
        let (workspace, id) = (widget.workspace_id.clone(), conversation.id.clone());
        let job = |db: sqlx::AnyPool| async move {
            let mut tx = db.begin().await?;
            let receipt = receipts::saw(&mut tx, &workspace, &id, Reader::Visitor, now_millis()).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(receipt)
        };
        if let Some(seq) = self.sql.write(job).await.map_err(AppError::from)? {
            self.live.journaled(&widget.workspace_id, &conversation.id, seq).await;
        }
        Ok(())
    }

    /// Flags the visitor's conversation for a person ("Talk to a human"),
    /// keeping the email the team should follow up at, when given. Answers
    /// whether the team has an email for this conversation, and where the
    /// visitor stands in line.
    pub async fn hand_off(
        &self,
        widget: &Widget,
        visitor: &Visitor<'_>,
        email: Option<&str>,
    ) -> Result<(bool, Option<Queue>), ServiceError> {
        self.limit_feedback(widget, visitor)?;
        let latest = self.latest_conversation(&widget.workspace_id, visitor.id).await?;
        let conversation = self.conversation_for(widget, visitor.id, email, latest).await?;
        let (workspace, preview) = (widget.workspace_id.clone(), widget.preview);
        let job = |db: sqlx::AnyPool| async move {
            let mut tx = db.begin().await?;
            let reason = FlagReason::AskedForHuman;
            let flagged = conversations::flag(&mut *tx, &workspace, &conversation, reason, now_millis()).await?;
            let mut opened = None;
            if flagged && !preview {
                let escalated = serde_json::json!({ "reason": reason.as_str() });
                conversations::record_event(&mut *tx, &workspace, Some(&conversation), "escalated", escalated).await?;
                opened =
                    crate::tickets::store::escalate(&mut tx, &workspace, &conversation, reason, now_millis()).await?;
            }
            let with_email = conversations::has_email(&mut *tx, &workspace, &conversation).await?;
            tx.commit().await?;
            Ok::<_, AppError>((with_email, flagged, conversation, opened))
        };
        let (with_email, flagged, conversation, opened) = self.sql.write(job).await?;
        if flagged {
            self.live.changed(&widget.workspace_id, &conversation).await;
        }
        if let Some(ticket) = opened {
            crate::tickets::opened(&self.categorizer, &self.sql, &self.live, &widget.workspace_id, &ticket).await;
        }
        Ok((with_email, self.queue(&widget.workspace_id, &conversation).await?))
    }

    /// The visitor rates their resolved conversation, 1 to 5 with an
    /// optional comment: once, and only when asked. The person who answered
    /// sees it live.
    pub async fn rate(
        &self,
        widget: &Widget,
        visitor: &Visitor<'_>,
        score: i64,
        comment: &str,
    ) -> Result<(), ServiceError> {
        let comment = rating_comment(score, comment)?;
        self.limit_feedback(widget, visitor)?;
        let latest = self.latest_conversation(&widget.workspace_id, visitor.id).await?;
        let conversation = latest.ok_or(ServiceError::NotFound)?.id;
        self.record_rating(&widget.workspace_id, &conversation, score, &comment).await
    }

    /// Records a rating the visitor gave (in the widget, or on the page an
    /// emailed request links to); `Rejected` when it was rated already.
    pub async fn record_rating(
        &self,
        workspace_id: &str,
        conversation_id: &str,
        score: i64,
        comment: &str,
    ) -> Result<(), ServiceError> {
        let comment = rating_comment(score, comment)?;
        let (workspace, id) = (workspace_id.to_owned(), conversation_id.to_owned());
        let job = |db: sqlx::AnyPool| async move {
            let mut tx = db.begin().await?;
            if !ratings::rate(&mut tx, &workspace, &id, score, &comment, now_millis()).await? {
                return Ok(None);
            }
            let rated = serde_json::json!({ "score": score, "comment": comment });
            let seq = journal::append(&mut tx, &workspace, &id, "rated", &rated).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(Some(seq))
        };
        match self.sql.write(job).await.map_err(AppError::from)? {
            Some(seq) => {
                self.live.journaled(workspace_id, conversation_id, seq).await;
                Ok(())
            }
            None => Err(ServiceError::Rejected(RATED_ALREADY.into())),
        }
    }
}

pub const RATED_ALREADY: &str = "This conversation was rated already.";

/// A rating's score and comment, checked; the comment cleaned.
fn rating_comment(score: i64, comment: &str) -> Result<String, ServiceError> {
    if !(1..=5).contains(&score) {
        return Err(ServiceError::invalid("score", "Choose from 1 to 5 stars."));
    }
    let comment = app::validate::clean_text(comment);
    if comment.chars().count() > RATING_COMMENT_MAX_CHARS {
        let message = format!("Please keep the comment under {RATING_COMMENT_MAX_CHARS} characters.");
        return Err(ServiceError::invalid("comment", message));
    }
    Ok(comment)
}
