//! Email follow-up as stored: when a conversation's unseen replies are due
//! by email (`conversations.email_due_at`), the newest one emailed
//! (`emailed_upto`), and the visitor's emails already threaded
//! (`inbound_emails`). The pipeline is `desk/email.rs`.

use sqlx::{Any, AnyConnection, Executor};

use super::settings;

/// A reply from the team written `at`: due by email after the workspace's
/// delay, unless an earlier unseen one is due first (one email carries
/// both) or the visitor left no email, or the workspace never emails. A
/// visitor whose last message came by email is on email, not in the chat:
/// theirs is due at once, whatever the delay (and sooner than one
/// scheduled while they were in the chat).
pub async fn schedule(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    let minutes = settings::email_followup_minutes(&mut *tx, workspace_id).await?;
    sqlx::query(
        "UPDATE conversations SET email_due_at = CASE
             WHEN channel = 'email' AND (email_due_at IS NULL OR email_due_at > $1) THEN $1
             WHEN email_due_at IS NULL THEN $2
             ELSE email_due_at END
         WHERE id = $3 AND workspace_id = $4 AND visitor_email IS NOT NULL AND (channel = 'email' OR $5 > 0)",
    )
    .bind(at)
    .bind(at + i64::from(minutes) * 60_000)
    .bind(conversation_id)
    .bind(workspace_id)
    .bind(i64::from(minutes))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Conversations with replies due by email at `now`, longest due first.
pub async fn due<'e>(
    db: impl Executor<'e, Database = Any>,
    now: i64,
    limit: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT workspace_id, id FROM conversations WHERE email_due_at <= $1 ORDER BY email_due_at, id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// What a claimed follow-up is sent from.
#[derive(sqlx::FromRow)]
pub struct Claimed {
    pub visitor_email: Option<String>,
    pub workspace_name: String,
    pub origin: String,
    /// Replies up to this time were seen or emailed already.
    pub covered_upto: i64,
    /// The subject of the conversation's first ticket, for the email's.
    pub subject: Option<String>,
}

/// Takes the conversation's due follow-up for this process: one
/// conditional update, so of several processes sweeping at once exactly
/// one sends it. `None` when another took it first.
pub async fn claim(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
    now: i64,
) -> Result<Option<Claimed>, sqlx::Error> {
    let claimed = sqlx::query(
        "UPDATE conversations SET email_due_at = NULL WHERE id = $1 AND workspace_id = $2 AND email_due_at <= $3",
    )
    .bind(conversation_id)
    .bind(workspace_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if claimed.rows_affected() == 0 {
        return Ok(None);
    }
    sqlx::query_as(
        "SELECT c.visitor_email, w.name AS workspace_name, c.origin,
                CASE WHEN COALESCE(c.visitor_seen_at, 0) > COALESCE(c.emailed_upto, 0)
                     THEN COALESCE(c.visitor_seen_at, 0) ELSE COALESCE(c.emailed_upto, 0) END AS covered_upto,
                (SELECT t.subject FROM tickets t WHERE t.conversation_id = c.id AND t.workspace_id = c.workspace_id
                 ORDER BY t.number LIMIT 1) AS subject
         FROM conversations c JOIN workspaces w ON w.id = c.workspace_id
         WHERE c.id = $1 AND c.workspace_id = $2",
    )
    .bind(conversation_id)
    .bind(workspace_id)
    .fetch_optional(&mut *tx)
    .await
}

/// A reply from the team, as the email quotes it.
#[derive(sqlx::FromRow)]
pub struct Unseen {
    pub author_name: Option<String>,
    pub body: String,
    pub created_at: i64,
}

/// The team's newest replies after `after` (at most `limit`), oldest first.
pub async fn newest_replies_after(
    tx: &mut AnyConnection,
    conversation_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<Unseen>, sqlx::Error> {
    sqlx::query_as(
        "SELECT author_name, body, created_at FROM (
           SELECT author_name, body, created_at, id FROM messages
           WHERE conversation_id = $1 AND author = 'agent' AND created_at > $2
           ORDER BY created_at DESC, id DESC LIMIT $3
         ) AS newest ORDER BY created_at, id",
    )
    .bind(conversation_id)
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await
}

/// The replies up to `upto` are emailed.
pub async fn emailed(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
    upto: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE conversations SET emailed_upto = $1 WHERE id = $2 AND workspace_id = $3")
        .bind(upto)
        .bind(conversation_id)
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The workspace a conversation belongs to (`None`: no such conversation).
pub async fn workspace_of<'e>(
    db: impl Executor<'e, Database = Any>,
    conversation_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT workspace_id FROM conversations WHERE id = $1")
        .bind(conversation_id)
        .fetch_optional(db)
        .await
}

/// Records an email the visitor sent, by its Message-ID; `false` when it
/// was threaded before (the forwarder delivered it again).
pub async fn first_delivery(
    tx: &mut AnyConnection,
    workspace_id: &str,
    message_id: &str,
    conversation_id: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO inbound_emails (workspace_id, message_id, conversation_id, received_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (workspace_id, message_id) DO NOTHING",
    )
    .bind(workspace_id)
    .bind(message_id)
    .bind(conversation_id)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(inserted.rows_affected() > 0)
}
