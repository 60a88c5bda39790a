//! The conversation store: conversations, their messages and the events
//! they record for analytics, as small named queries on a pool or inside a
//! transaction the caller holds. The pipeline (`chat/mod.rs`) decides what
//! happens; this module only reads and writes it, every statement scoped by
//! the workspace.

use app::chat::{
    Author, ChatMessage, ConversationSummary, FlagReason, Priority, Sentiment, SentimentLabel, Transcript,
};
use app::desk::Channel;
use sqlx::{Any, AnyConnection, Executor};

use crate::error::AppError;
use crate::sql::now_millis;

/// A visitor's latest conversation, as the pipeline needs it.
#[derive(sqlx::FromRow)]
pub struct Latest {
    pub id: String,
    pub flagged_at: Option<i64>,
    pub visitor_email: Option<String>,
    /// The person answering instead of the bot, and their name.
    pub assignee_id: Option<String>,
    pub assignee_name: Option<String>,
    /// The number of the conversation's last journal entry.
    pub journal_seq: i64,
    /// A person from the team saw the visitor's messages up to this one's time.
    pub team_seen_at: Option<i64>,
    /// When the visitor was asked to rate it, and their rating.
    pub rating_asked_at: Option<i64>,
    pub rating: Option<i64>,
}

/// A conversation as it starts, on the visitor's first message or hand-off.
pub struct NewConversation<'a> {
    pub id: &'a str,
    pub workspace_id: &'a str,
    pub visitor_id: &'a str,
    pub visitor_email: Option<&'a str>,
    pub origin: &'a str,
    /// The team testing in the dashboard's preview.
    pub preview: bool,
    pub at: i64,
}

/// A bot reply as stored, with what analytics and the dashboard read of it.
pub struct BotMessage<'a> {
    pub id: &'a str,
    pub conversation_id: &'a str,
    pub workspace_id: &'a str,
    pub body: &'a str,
    /// JSON arrays.
    pub citations: &'a str,
    pub suggestions: &'a str,
    pub confidence: Option<f32>,
    pub answered: bool,
    /// `offline` or the provider's name.
    pub mode: &'static str,
    pub model: Option<&'a str>,
    pub tokens: (Option<i64>, Option<i64>),
    pub note: Option<&'static str>,
    pub latency_ms: i64,
    pub at: i64,
}

/// Characters of the latest visitor message shown in the list.
const PREVIEW_CHARS: usize = 140;

/// A message as a list shows it: its first [`PREVIEW_CHARS`] characters.
pub fn shortened(message: Option<String>) -> String {
    let message = message.unwrap_or_default();
    let mut short: String = message.chars().take(PREVIEW_CHARS).collect();
    if short.len() < message.len() {
        short.push('…');
    }
    short
}

/// A conversation as the dashboard lists it ([`SUMMARY_COLUMNS`]).
#[derive(sqlx::FromRow)]
pub struct SummaryRow {
    id: String,
    visitor_email: Option<String>,
    origin: String,
    preview: Option<String>,
    message_count: i32,
    sentiment: Option<String>,
    priority: String,
    flag_reason: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<SummaryRow> for ConversationSummary {
    fn from(row: SummaryRow) -> Self {
        ConversationSummary {
            id: row.id,
            visitor_email: row.visitor_email,
            origin: row.origin,
            preview: shortened(row.preview),
            message_count: row.message_count.max(0) as u32,
            sentiment: row.sentiment.as_deref().and_then(SentimentLabel::parse),
            priority: Priority::parse(&row.priority).unwrap_or(Priority::Normal),
            flag: row.flag_reason.as_deref().and_then(FlagReason::parse),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The columns of a [`SummaryRow`], from `conversations c`.
pub const SUMMARY_COLUMNS: &str =
    "c.id, c.visitor_email, c.origin, c.message_count, c.sentiment, c.priority, c.flag_reason,
    c.created_at, c.updated_at,
    (SELECT m.body FROM messages m WHERE m.conversation_id = c.id AND m.author = 'visitor'
     ORDER BY m.created_at DESC LIMIT 1) AS preview";

/// The latest conversation of `visitor_id` in the workspace.
pub async fn latest<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    visitor_id: &str,
) -> Result<Option<Latest>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.id, c.flagged_at, c.visitor_email, c.assignee_id, u.name AS assignee_name, c.journal_seq,
                c.team_seen_at, c.rating_asked_at, c.rating
         FROM conversations c LEFT JOIN users u ON u.id = c.assignee_id
         WHERE c.workspace_id = $1 AND c.visitor_id = $2 ORDER BY c.updated_at DESC LIMIT 1",
    )
    .bind(workspace_id)
    .bind(visitor_id)
    .fetch_optional(db)
    .await
}

pub async fn set_visitor_email<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    conversation_id: &str,
    email: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE conversations SET visitor_email = $1 WHERE id = $2 AND workspace_id = $3")
        .bind(email)
        .bind(conversation_id)
        .bind(workspace_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Gives the visitor's conversations that have no email this one.
pub async fn set_email_where_missing<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    visitor_id: &str,
    email: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE conversations SET visitor_email = $1
         WHERE workspace_id = $2 AND visitor_id = $3 AND visitor_email IS NULL",
    )
    .bind(email)
    .bind(workspace_id)
    .bind(visitor_id)
    .execute(db)
    .await?;
    Ok(())
}

/// Whether the workspace still exists.
pub async fn workspace_exists<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
) -> Result<bool, sqlx::Error> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM workspaces WHERE id = $1").bind(workspace_id).fetch_optional(db).await?;
    Ok(found.is_some())
}

/// The origin of a conversation begun by an email to the support address.
pub const EMAIL_ORIGIN: &str = "email";

/// Inserts the conversation and, unless it is a preview, records that it started.
pub async fn create(tx: &mut AnyConnection, new: &NewConversation<'_>) -> Result<(), AppError> {
    // Begun by email, it is on email until the visitor writes in the widget.
    let channel = if new.origin == EMAIL_ORIGIN { Channel::Email } else { Channel::Widget };
    sqlx::query(
        "INSERT INTO conversations (id, workspace_id, visitor_id, visitor_email, origin, from_preview, created_at, updated_at, channel)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)",
    )
    .bind(new.id)
    .bind(new.workspace_id)
    .bind(new.visitor_id)
    .bind(new.visitor_email)
    .bind(new.origin)
    .bind(i32::from(new.preview))
    .bind(new.at)
    .bind(channel.as_str())
    .execute(&mut *tx)
    .await?;
    if !new.preview {
        let started = serde_json::json!({ "origin": new.origin });
        record_event(&mut *tx, new.workspace_id, Some(new.id), "conversation_started", started).await?;
    }
    Ok(())
}

/// Stores a visitor's message and folds its sentiment into the
/// conversation: the latest mood, and the highest priority seen. A
/// resolved conversation opens again.
pub async fn add_visitor_message(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
    message: &ChatMessage,
    sentiment: Sentiment,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO messages (id, conversation_id, workspace_id, author, body, sentiment_score, sentiment_label, priority,
                               note, by_email, created_at)
         VALUES ($1, $2, $3, 'visitor', $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&message.id)
    .bind(conversation_id)
    .bind(workspace_id)
    .bind(&message.body)
    .bind(f64::from(sentiment.score))
    .bind(sentiment.label.as_str())
    .bind(sentiment.priority.as_str())
    .bind(&message.note)
    .bind(i32::from(message.by_email))
    .bind(message.created_at)
    .execute(&mut *tx)
    .await?;
    let channel = if message.by_email { Channel::Email } else { Channel::Widget };
    sqlx::query(
        "UPDATE conversations SET message_count = message_count + 1, sentiment = $1, updated_at = $2, resolved_at = NULL,
           channel = $7,
           priority = CASE WHEN $3 > (CASE priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END)
                           THEN $4 ELSE priority END
         WHERE id = $5 AND workspace_id = $6",
    )
    .bind(sentiment.label.as_str())
    .bind(message.created_at)
    .bind(priority_rank(sentiment.priority))
    .bind(sentiment.priority.as_str())
    .bind(conversation_id)
    .bind(workspace_id)
    .bind(channel.as_str())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Stores a bot reply and counts it on the conversation; answers how many
/// replies in a row have not answered, and when the conversation was
/// flagged for a person, if it was.
pub async fn add_bot_message(
    tx: &mut AnyConnection,
    message: &BotMessage<'_>,
) -> Result<(i64, Option<i64>), sqlx::Error> {
    sqlx::query(
        "INSERT INTO messages (id, conversation_id, workspace_id, author, body, citations, suggestions, confidence,
                               answered, mode, model, prompt_tokens, completion_tokens, note, latency_ms, created_at)
         VALUES ($1, $2, $3, 'bot', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    // sqlx 0.8.6's Any driver sends a NULL f64 to PostgreSQL typed as float4, and a
    // cached statement would keep that type for the next, non-NULL, confidence.
    .persistent(false)
    .bind(message.id)
    .bind(message.conversation_id)
    .bind(message.workspace_id)
    .bind(message.body)
    .bind(message.citations)
    .bind(message.suggestions)
    .bind(message.confidence.map(f64::from))
    .bind(i32::from(message.answered))
    .bind(message.mode)
    .bind(message.model)
    .bind(message.tokens.0)
    .bind(message.tokens.1)
    .bind(message.note)
    .bind(message.latency_ms)
    .bind(message.at)
    .execute(&mut *tx)
    .await?;
    sqlx::query_as(
        "UPDATE conversations SET message_count = message_count + 1, updated_at = $1,
           unanswered_in_a_row = CASE WHEN $2 = 1 THEN 0 ELSE unanswered_in_a_row + 1 END
         WHERE id = $3 AND workspace_id = $4 RETURNING unanswered_in_a_row, flagged_at",
    )
    .bind(message.at)
    .bind(i32::from(message.answered))
    .bind(message.conversation_id)
    .bind(message.workspace_id)
    .fetch_one(&mut *tx)
    .await
}

/// Flags the conversation for a person unless it already is (opening it
/// again if it was resolved); answers whether this call flagged it.
pub async fn flag<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    conversation_id: &str,
    reason: FlagReason,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE conversations SET flagged_at = $1, flag_reason = $2, updated_at = $1, resolved_at = NULL
         WHERE id = $3 AND workspace_id = $4 AND flagged_at IS NULL",
    )
    .bind(at)
    .bind(reason.as_str())
    .bind(conversation_id)
    .bind(workspace_id)
    .execute(db)
    .await?;
    Ok(updated.rows_affected() > 0)
}

/// Gives the conversation to a person (`Some`), who answers whatever it
/// was waiting for (the flag goes), or back to the bot (`None`); answers
/// whether that changed anything. `None` when there is no such
/// conversation in the workspace.
pub async fn assign(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
    assignee_id: Option<&str>,
    at: i64,
) -> Result<Option<bool>, sqlx::Error> {
    // One conditional statement, so two people joining at once cannot both
    // think they changed it.
    let changed = match assignee_id {
        Some(assignee_id) => sqlx::query(
            "UPDATE conversations SET assignee_id = $1, updated_at = $2, flagged_at = NULL, flag_reason = NULL
             WHERE id = $3 AND workspace_id = $4 AND (assignee_id IS NULL OR assignee_id <> $1)",
        )
        .bind(assignee_id),
        None => sqlx::query(
            "UPDATE conversations SET assignee_id = NULL, updated_at = $1
             WHERE id = $2 AND workspace_id = $3 AND assignee_id IS NOT NULL",
        ),
    }
    .bind(at)
    .bind(conversation_id)
    .bind(workspace_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed > 0 {
        return Ok(Some(true));
    }
    Ok(assignee(tx, workspace_id, conversation_id).await?.map(|_| false))
}

/// Whether the workspace has this conversation.
pub async fn exists<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    conversation_id: &str,
) -> Result<bool, sqlx::Error> {
    let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM conversations WHERE id = $1 AND workspace_id = $2")
        .bind(conversation_id)
        .bind(workspace_id)
        .fetch_one(db)
        .await?;
    Ok(found > 0)
}

/// The email the conversation's visitor left: `None` when the workspace has
/// no such conversation, `Some(None)` when they left none.
pub async fn visitor_email_of<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    conversation_id: &str,
) -> Result<Option<Option<String>>, sqlx::Error> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT visitor_email FROM conversations WHERE id = $1 AND workspace_id = $2")
            .bind(conversation_id)
            .bind(workspace_id)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(email,)| email))
}

/// Who answers the conversation: a person's id, or `None` for the bot.
pub async fn assignee(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
) -> Result<Option<Option<String>>, sqlx::Error> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT assignee_id FROM conversations WHERE id = $1 AND workspace_id = $2")
            .bind(conversation_id)
            .bind(workspace_id)
            .fetch_optional(&mut *tx)
            .await?;
    Ok(row.map(|(assignee,)| assignee))
}

/// Stores a message a person from the team wrote to the visitor.
pub async fn add_agent_message(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
    author_id: &str,
    message: &ChatMessage,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO messages (id, conversation_id, workspace_id, author, author_id, author_name, body, created_at)
         VALUES ($1, $2, $3, 'agent', $4, $5, $6, $7)",
    )
    .bind(&message.id)
    .bind(conversation_id)
    .bind(workspace_id)
    .bind(author_id)
    .bind(&message.author_name)
    .bind(&message.body)
    .bind(message.created_at)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE conversations SET message_count = message_count + 1, updated_at = $1 WHERE id = $2 AND workspace_id = $3",
    )
    .bind(message.created_at)
    .bind(conversation_id)
    .bind(workspace_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Whether the visitor left an email the team can follow up at.
pub async fn has_email<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    conversation_id: &str,
) -> Result<bool, sqlx::Error> {
    let with_email: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM conversations WHERE id = $1 AND workspace_id = $2 AND visitor_email IS NOT NULL",
    )
    .bind(conversation_id)
    .bind(workspace_id)
    .fetch_one(db)
    .await?;
    Ok(with_email > 0)
}

/// Thumbs up (1) or down (-1) on a bot reply in one of this visitor's
/// conversations; answers whether there was such a reply.
pub async fn set_feedback<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    visitor_id: &str,
    message_id: &str,
    value: i8,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE messages SET feedback = $1 WHERE id = $2 AND workspace_id = $3 AND author = 'bot'
           AND conversation_id IN (SELECT id FROM conversations WHERE workspace_id = $3 AND visitor_id = $4)",
    )
    .bind(i32::from(value))
    .bind(message_id)
    .bind(workspace_id)
    .bind(visitor_id)
    .execute(db)
    .await?;
    Ok(updated.rows_affected() > 0)
}

/// The workspace's conversation with every message; `None` when the
/// workspace has no such conversation.
pub async fn transcript(
    db: &sqlx::AnyPool,
    workspace_id: &str,
    conversation_id: &str,
) -> Result<Option<Transcript>, sqlx::Error> {
    let sql = format!("SELECT {SUMMARY_COLUMNS} FROM conversations c WHERE c.id = $1 AND c.workspace_id = $2");
    let row: Option<SummaryRow> =
        sqlx::query_as(&sql).bind(conversation_id).bind(workspace_id).fetch_optional(db).await?;
    let Some(row) = row else { return Ok(None) };
    let conversation = ConversationSummary::from(row);
    let messages = messages(db, &conversation.id).await?;
    Ok(Some(Transcript { conversation, messages }))
}

/// A conversation's messages, oldest first.
pub async fn messages<'e>(
    db: impl Executor<'e, Database = Any>,
    conversation_id: &str,
) -> Result<Vec<ChatMessage>, sqlx::Error> {
    let rows: Vec<MessageRow> = sqlx::query_as(
        "SELECT id, author, author_name, body, citations, suggestions, confidence, sentiment_score, sentiment_label, priority,
                feedback, note, by_email, created_at
         FROM messages WHERE conversation_id = $1 ORDER BY created_at, id",
    )
    .bind(conversation_id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(ChatMessage::from).collect())
}

/// Records an analytics event; inside the transaction of the change it
/// describes where there is one, so a busy SQLite takes its write lock once.
pub async fn record_event<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    conversation: Option<&str>,
    kind: &str,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO chat_events (id, workspace_id, conversation_id, kind, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(workspace_id)
    .bind(conversation)
    .bind(kind)
    .bind(detail.to_string())
    .bind(now_millis())
    .execute(db)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: String,
    author: String,
    author_name: Option<String>,
    body: String,
    citations: String,
    suggestions: String,
    confidence: Option<f64>,
    sentiment_score: Option<f64>,
    sentiment_label: Option<String>,
    priority: Option<String>,
    feedback: Option<i32>,
    note: Option<String>,
    by_email: i32,
    created_at: i64,
}

impl From<MessageRow> for ChatMessage {
    fn from(row: MessageRow) -> Self {
        let sentiment = match (row.sentiment_score, row.sentiment_label.as_deref().and_then(SentimentLabel::parse)) {
            (Some(score), Some(label)) => Some(Sentiment {
                score: score as f32,
                label,
                priority: row.priority.as_deref().and_then(Priority::parse).unwrap_or(Priority::Normal),
            }),
            _ => None,
        };
        ChatMessage {
            id: row.id,
            author: Author::parse(&row.author).unwrap_or(Author::Bot),
            author_name: row.author_name,
            body: row.body,
            citations: serde_json::from_str(&row.citations).unwrap_or_default(),
            suggestions: serde_json::from_str(&row.suggestions).unwrap_or_default(),
            confidence: row.confidence.map(|c| c as f32),
            sentiment,
            feedback: row.feedback.and_then(|f| i8::try_from(f).ok()),
            note: row.note,
            by_email: row.by_email != 0,
            created_at: row.created_at,
        }
    }
}

fn priority_rank(priority: Priority) -> i32 {
    match priority {
        Priority::Low => 0,
        Priority::Normal => 1,
        Priority::High => 2,
        Priority::Urgent => 3,
    }
}
