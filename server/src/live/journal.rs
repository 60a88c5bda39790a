//! The conversation journal: every message and change of a conversation as
//! its live channel sends it, numbered per conversation. A channel that
//! reconnects asks for what came after the last number it saw, so nothing
//! is lost or sent twice, whichever server process it reaches.

use sqlx::{Any, AnyConnection, Executor};

use crate::sql::now_millis;

/// One journal entry.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Entry {
    pub seq: i64,
    /// `message`, `joined` or `handed_back`.
    pub kind: String,
    /// JSON.
    pub payload: String,
}

/// Entries a reader takes at once; it asks again for the rest.
pub const PAGE: i64 = 100;

/// Appends an entry inside the caller's transaction, which also holds the
/// change it describes; answers its number. The number is taken by an
/// update of the conversation's row, whose lock the transaction keeps until
/// it commits: entries of one conversation commit in the order of their
/// numbers, so a reader never sees entry N+1 before entry N exists.
pub async fn append(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
    kind: &str,
    payload: &serde_json::Value,
) -> Result<i64, sqlx::Error> {
    let seq: i64 = sqlx::query_scalar(
        "UPDATE conversations SET journal_seq = journal_seq + 1 WHERE id = $1 AND workspace_id = $2
         RETURNING journal_seq",
    )
    .bind(conversation_id)
    .bind(workspace_id)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO conversation_journal (conversation_id, seq, workspace_id, kind, payload, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(conversation_id)
    .bind(seq)
    .bind(workspace_id)
    .bind(kind)
    .bind(payload.to_string())
    .bind(now_millis())
    .execute(&mut *tx)
    .await?;
    Ok(seq)
}

/// Up to [`PAGE`] entries after `after`, oldest first.
pub async fn since<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    conversation_id: &str,
    after: i64,
) -> Result<Vec<Entry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT seq, kind, payload FROM conversation_journal
         WHERE conversation_id = $1 AND workspace_id = $2 AND seq > $3 ORDER BY seq LIMIT $4",
    )
    .bind(conversation_id)
    .bind(workspace_id)
    .bind(after)
    .bind(PAGE)
    .fetch_all(db)
    .await
}

/// The number of the conversation's last entry (0 before any).
pub async fn last<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    conversation_id: &str,
) -> Result<i64, sqlx::Error> {
    let seq: Option<i64> =
        sqlx::query_scalar("SELECT journal_seq FROM conversations WHERE id = $1 AND workspace_id = $2")
            .bind(conversation_id)
            .bind(workspace_id)
            .fetch_optional(db)
            .await?;
    Ok(seq.unwrap_or(0))
}
