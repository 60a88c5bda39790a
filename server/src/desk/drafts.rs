//! The assistant's reply drafts as stored, each for a conversation or for a
//! ticket without one, and what became of each (sent as written, edited,
//! discarded), counted for the inbox and later analytics.
//! A draft is decided once: the first outcome stands.

use app::reply_drafts::{DraftOutcome, DraftStats};
use sqlx::{Any, AnyConnection, Executor};

/// What a draft answers: a conversation, or a ticket that has none yet.
#[derive(Clone, Copy)]
pub enum DraftFor<'a> {
    Conversation(&'a str),
    Ticket(&'a str),
}

impl<'a> DraftFor<'a> {
    /// Its column (one of this file's own names, never input) and id.
    fn column(self) -> (&'static str, &'a str) {
        match self {
            DraftFor::Conversation(id) => ("conversation_id", id),
            DraftFor::Ticket(id) => ("ticket_id", id),
        }
    }
}

pub struct NewDraft<'a> {
    pub id: &'a str,
    pub workspace_id: &'a str,
    pub draft_for: DraftFor<'a>,
    pub agent_id: &'a str,
    pub answers: &'a str,
    pub body: &'a str,
    pub mode: &'a str,
    pub at: i64,
}

/// Records a draft; the member's earlier undecided drafts of the same
/// conversation (or ticket) were replaced by it, so they count as discarded.
pub async fn record(tx: &mut AnyConnection, draft: &NewDraft<'_>) -> Result<(), sqlx::Error> {
    let (column, of) = draft.draft_for.column();
    let replaced = format!(
        "UPDATE reply_drafts SET outcome = 'discarded', decided_at = $1
         WHERE workspace_id = $2 AND {column} = $3 AND agent_id = $4 AND outcome IS NULL"
    );
    sqlx::query(&replaced)
        .bind(draft.at)
        .bind(draft.workspace_id)
        .bind(of)
        .bind(draft.agent_id)
        .execute(&mut *tx)
        .await?;
    let insert = format!(
        "INSERT INTO reply_drafts (id, workspace_id, {column}, agent_id, answers, body, mode, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    );
    sqlx::query(&insert)
        .bind(draft.id)
        .bind(draft.workspace_id)
        .bind(of)
        .bind(draft.agent_id)
        .bind(draft.answers)
        .bind(draft.body)
        .bind(draft.mode)
        .bind(draft.at)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The body of the member's undecided draft `id` for this conversation (or ticket).
pub async fn open_body<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    draft_for: DraftFor<'_>,
    agent_id: &str,
    id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let (column, of) = draft_for.column();
    let sql = format!(
        "SELECT body FROM reply_drafts
         WHERE id = $1 AND workspace_id = $2 AND {column} = $3 AND agent_id = $4 AND outcome IS NULL"
    );
    sqlx::query_scalar(&sql).bind(id).bind(workspace_id).bind(of).bind(agent_id).fetch_optional(db).await
}

/// Decides the member's undecided draft `id`; `false` when there is none.
pub async fn decide<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    agent_id: &str,
    id: &str,
    outcome: DraftOutcome,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let decided = sqlx::query(
        "UPDATE reply_drafts SET outcome = $1, decided_at = $2
         WHERE id = $3 AND workspace_id = $4 AND agent_id = $5 AND outcome IS NULL",
    )
    .bind(outcome.as_str())
    .bind(at)
    .bind(id)
    .bind(workspace_id)
    .bind(agent_id)
    .execute(db)
    .await?;
    Ok(decided.rows_affected() > 0)
}

/// Whether the member has a draft `id` in this workspace, decided or not.
pub async fn exists<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    agent_id: &str,
    id: &str,
) -> Result<bool, sqlx::Error> {
    let found: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM reply_drafts WHERE id = $1 AND workspace_id = $2 AND agent_id = $3")
            .bind(id)
            .bind(workspace_id)
            .bind(agent_id)
            .fetch_optional(db)
            .await?;
    Ok(found.is_some())
}

/// The workspace's drafts written since `since`, by outcome.
pub async fn stats<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    since: i64,
) -> Result<DraftStats, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT outcome, COUNT(*) FROM reply_drafts
         WHERE workspace_id = $1 AND created_at >= $2 AND outcome IS NOT NULL GROUP BY outcome",
    )
    .bind(workspace_id)
    .bind(since)
    .fetch_all(db)
    .await?;
    let mut stats = DraftStats::default();
    for (outcome, count) in rows {
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        match outcome.as_str() {
            "sent" => stats.sent = count,
            "edited" => stats.edited = count,
            _ => stats.discarded = count,
        }
    }
    Ok(stats)
}
