//! The inbox's queries: the workspace's conversations in the order a desk
//! works them, the counts of each view, how far each member has read, and
//! resolving. Every statement is scoped by the workspace; the team's own
//! chats in the widget preview are never listed.

use app::chat::{FlagReason, Priority, SentimentLabel};
use app::desk::{Agent, Channel, InboxCounts, InboxFilter, InboxItem, InboxView, Rating, INBOX_PAGE};
use sqlx::{Any, AnyConnection, Executor};

use crate::chat::conversations::shortened;

/// Waiting: flagged for a person, nobody has joined.
const WAITING: &str = "(c.flagged_at IS NOT NULL AND c.assignee_id IS NULL)";

/// The visitor's messages member `$2` has not read.
const UNREAD: &str = "FROM messages m WHERE m.conversation_id = c.id AND m.author = 'visitor'
    AND m.created_at > COALESCE((SELECT r.read_at FROM conversation_reads r
                                 WHERE r.conversation_id = c.id AND r.user_id = $2), 0)";

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: String,
    visitor_email: Option<String>,
    visitor_name: Option<String>,
    origin: String,
    priority: String,
    sentiment: Option<String>,
    flag_reason: Option<String>,
    flagged_at: Option<i64>,
    assignee_id: Option<String>,
    assignee_name: Option<String>,
    resolved_at: Option<i64>,
    updated_at: i64,
    channel: String,
    preview: Option<String>,
    unread: i64,
}

impl From<ItemRow> for InboxItem {
    fn from(row: ItemRow) -> Self {
        let assignee = row.assignee_id.map(|id| Agent { id, name: row.assignee_name.unwrap_or_default() });
        let open = row.resolved_at.is_none();
        InboxItem {
            waiting_since: row.flagged_at.filter(|_| open && assignee.is_none()),
            id: row.id,
            visitor_email: row.visitor_email,
            visitor_name: row.visitor_name,
            origin: row.origin,
            preview: shortened(row.preview),
            priority: Priority::parse(&row.priority).unwrap_or(Priority::Normal),
            sentiment: row.sentiment.as_deref().and_then(SentimentLabel::parse),
            flag: row.flag_reason.as_deref().and_then(FlagReason::parse),
            assignee,
            channel: Channel::parse(&row.channel).unwrap_or_default(),
            unread: row.unread.clamp(0, i64::from(u32::MAX)) as u32,
            resolved_at: row.resolved_at,
            updated_at: row.updated_at,
        }
    }
}

/// The view's conversations for member `me`, in the view's order: open
/// ones waiting for a person first (most urgent, then longest waiting),
/// then `me`'s, then the bot's, then the rest, each most recent first;
/// resolved ones most recently resolved first.
pub async fn list<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    me: &str,
    filter: &InboxFilter,
) -> Result<Vec<InboxItem>, sqlx::Error> {
    let view = match filter.view {
        InboxView::Open => "c.resolved_at IS NULL".to_owned(),
        InboxView::Waiting => format!("c.resolved_at IS NULL AND {WAITING}"),
        InboxView::Mine => "c.resolved_at IS NULL AND c.assignee_id = $2".to_owned(),
        InboxView::Unassigned => "c.resolved_at IS NULL AND c.assignee_id IS NULL".to_owned(),
        InboxView::Resolved => "c.resolved_at IS NOT NULL".to_owned(),
    };
    let order = match filter.view {
        InboxView::Resolved => "c.resolved_at DESC, c.id".to_owned(),
        _ => format!(
            "CASE WHEN {WAITING} THEN 0 WHEN c.assignee_id = $2 THEN 1 WHEN c.assignee_id IS NULL THEN 2 ELSE 3 END,
             CASE WHEN {WAITING} THEN
               (CASE c.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END)
             ELSE 0 END,
             CASE WHEN {WAITING} THEN c.flagged_at ELSE -c.updated_at END,
             c.id"
        ),
    };
    let sql = format!(
        "SELECT c.id, c.visitor_email, i.name AS visitor_name, c.origin, c.priority, c.sentiment, c.flag_reason, c.flagged_at,
                c.assignee_id, u.name AS assignee_name, c.resolved_at, c.updated_at, c.channel,
                (SELECT m.body FROM messages m WHERE m.conversation_id = c.id
                 ORDER BY m.created_at DESC, m.id LIMIT 1) AS preview,
                (SELECT COUNT(*) {UNREAD}) AS unread
         FROM conversations c LEFT JOIN users u ON u.id = c.assignee_id
           LEFT JOIN visitor_identities i ON i.workspace_id = c.workspace_id AND i.visitor_id = c.visitor_id
         WHERE c.workspace_id = $1 AND c.from_preview = 0 AND {view}
           AND ($3 = '' OR c.sentiment = $3) AND ($4 = '' OR c.assignee_id = $4) AND ($5 = '' OR c.channel = $5)
         ORDER BY {order} LIMIT {INBOX_PAGE}"
    );
    let rows: Vec<ItemRow> = sqlx::query_as(&sql)
        .bind(workspace_id)
        .bind(me)
        .bind(filter.sentiment.map_or("", |s| s.as_str()))
        .bind(filter.assignee.as_deref().unwrap_or(""))
        .bind(filter.channel.map_or("", |c| c.as_str()))
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(InboxItem::from).collect())
}

/// How many open conversations each view holds for member `me`.
pub async fn counts<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    me: &str,
) -> Result<InboxCounts, sqlx::Error> {
    let sql = format!(
        "SELECT COUNT(*),
                COALESCE(SUM(CASE WHEN {WAITING} THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN c.assignee_id = $2 THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN c.assignee_id IS NULL THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 {UNREAD}) THEN 1 ELSE 0 END), 0)
         FROM conversations c
         WHERE c.workspace_id = $1 AND c.from_preview = 0 AND c.resolved_at IS NULL"
    );
    let (open, waiting, mine, unassigned, unread): (i64, i64, i64, i64, i64) =
        sqlx::query_as(&sql).bind(workspace_id).bind(me).fetch_one(db).await?;
    let count = |n: i64| n.clamp(0, i64::from(u32::MAX)) as u32;
    Ok(InboxCounts {
        open: count(open),
        waiting: count(waiting),
        mine: count(mine),
        unassigned: count(unassigned),
        unread: count(unread),
    })
}

/// The workspace's members who are not suspended, by name.
pub async fn agents<'e>(db: impl Executor<'e, Database = Any>, workspace_id: &str) -> Result<Vec<Agent>, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT u.id, u.name FROM memberships ms JOIN users u ON u.id = ms.user_id
         WHERE ms.workspace_id = $1 AND ms.suspended_at IS NULL ORDER BY u.name, u.id",
    )
    .bind(workspace_id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(id, name)| Agent { id, name }).collect())
}

/// The visitor's messages up to `at` are read by `user_id`; `false` when
/// the workspace has no such conversation.
pub async fn mark_read<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    conversation_id: &str,
    user_id: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO conversation_reads (conversation_id, user_id, workspace_id, read_at)
         SELECT c.id, $1, c.workspace_id, $2 FROM conversations c WHERE c.id = $3 AND c.workspace_id = $4
         ON CONFLICT (conversation_id, user_id) DO UPDATE SET read_at = excluded.read_at",
    )
    .bind(user_id)
    .bind(at)
    .bind(conversation_id)
    .bind(workspace_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Marks an open conversation resolved: nobody answers it and it no longer
/// waits. Answers who answered it (`Some(None)`: the bot), or `None` when
/// there is no such open conversation.
pub async fn resolve(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
    at: i64,
) -> Result<Option<Option<String>>, sqlx::Error> {
    let before: Option<(Option<String>,)> = sqlx::query_as(
        "SELECT assignee_id FROM conversations WHERE id = $1 AND workspace_id = $2 AND resolved_at IS NULL",
    )
    .bind(conversation_id)
    .bind(workspace_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((assignee,)) = before else { return Ok(None) };
    let done = sqlx::query(
        "UPDATE conversations SET resolved_at = $1, assignee_id = NULL, flagged_at = NULL, flag_reason = NULL,
           updated_at = $1
         WHERE id = $2 AND workspace_id = $3 AND resolved_at IS NULL",
    )
    .bind(at)
    .bind(conversation_id)
    .bind(workspace_id)
    .execute(&mut *tx)
    .await?;
    Ok((done.rows_affected() > 0).then_some(assignee))
}

/// A conversation's state for the desk.
pub struct DeskState {
    pub assignee: Option<Agent>,
    pub resolved_at: Option<i64>,
    /// The visitor saw the team's messages up to this one's time.
    pub visitor_seen_at: Option<i64>,
    pub rating: Option<Rating>,
    /// The number of its journal's last entry.
    pub seq: i64,
}

#[derive(sqlx::FromRow)]
struct StateRow {
    assignee_id: Option<String>,
    assignee_name: Option<String>,
    resolved_at: Option<i64>,
    visitor_seen_at: Option<i64>,
    rating: Option<i64>,
    rating_comment: Option<String>,
    journal_seq: i64,
}

/// Who answers the conversation, when it was resolved and where its
/// journal stands; `None` when the workspace has no such conversation.
pub async fn state<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    conversation_id: &str,
) -> Result<Option<DeskState>, sqlx::Error> {
    let row: Option<StateRow> = sqlx::query_as(
        "SELECT c.assignee_id, u.name AS assignee_name, c.resolved_at, c.visitor_seen_at, c.rating, c.rating_comment,
                c.journal_seq
         FROM conversations c LEFT JOIN users u ON u.id = c.assignee_id
         WHERE c.id = $1 AND c.workspace_id = $2",
    )
    .bind(conversation_id)
    .bind(workspace_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| DeskState {
        assignee: row.assignee_id.map(|id| Agent { id, name: row.assignee_name.unwrap_or_default() }),
        resolved_at: row.resolved_at,
        visitor_seen_at: row.visitor_seen_at,
        rating: row
            .rating
            .map(|score| Rating { score: score.clamp(1, 5) as u8, comment: row.rating_comment.unwrap_or_default() }),
        seq: row.journal_seq,
    }))
}

/// Member `user_id` is at the desk now; `true` when they just arrived
/// (not seen within [`ONLINE_WITHIN_MS`]).
pub async fn seen(db: &sqlx::AnyPool, workspace_id: &str, user_id: &str, at: i64) -> Result<bool, sqlx::Error> {
    let before: Option<i64> =
        sqlx::query_scalar("SELECT seen_at FROM desk_presence WHERE workspace_id = $1 AND user_id = $2")
            .bind(workspace_id)
            .bind(user_id)
            .fetch_optional(db)
            .await?;
    sqlx::query(
        "INSERT INTO desk_presence (workspace_id, user_id, seen_at) VALUES ($1, $2, $3)
         ON CONFLICT (workspace_id, user_id) DO UPDATE SET seen_at = excluded.seen_at",
    )
    .bind(workspace_id)
    .bind(user_id)
    .bind(at)
    .execute(db)
    .await?;
    Ok(before.is_none_or(|seen| seen <= at - ONLINE_WITHIN_MS))
}

/// Member `user_id` sets themselves away, or available.
pub async fn set_away<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    user_id: &str,
    away: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE memberships SET away = $1 WHERE workspace_id = $2 AND user_id = $3")
        .bind(i32::from(away))
        .bind(workspace_id)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn is_away<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    user_id: &str,
) -> Result<bool, sqlx::Error> {
    let away: Option<i32> = sqlx::query_scalar("SELECT away FROM memberships WHERE workspace_id = $1 AND user_id = $2")
        .bind(workspace_id)
        .bind(user_id)
        .fetch_optional(db)
        .await?;
    Ok(away.unwrap_or(0) != 0)
}

/// Member `user_id` left the desk, unless seen after `seen_at`.
pub async fn left<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    user_id: &str,
    seen_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM desk_presence WHERE workspace_id = $1 AND user_id = $2 AND seen_at <= $3")
        .bind(workspace_id)
        .bind(user_id)
        .bind(seen_at)
        .execute(db)
        .await?;
    Ok(())
}

/// Since when the conversation waits for a person (flagged, open, nobody
/// answering); `None` when it does not.
pub async fn waiting_since(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let row: Option<(Option<i64>,)> = sqlx::query_as(&format!(
        "SELECT c.flagged_at FROM conversations c
         WHERE c.id = $1 AND c.workspace_id = $2 AND c.resolved_at IS NULL AND {WAITING}"
    ))
    .bind(conversation_id)
    .bind(workspace_id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.and_then(|(at,)| at))
}

/// Where a visitor waiting for a person stands, as the widget shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Queue {
    /// Members at the desk now.
    pub online: u32,
    /// Their place in line (1 is next); 0 when not waiting.
    pub position: u32,
    /// The median wait of recent visitors before a person joined.
    pub expected_wait_secs: Option<u32>,
    /// When the team is next in (ms), while nobody is at the desk and the
    /// team is out of its business hours.
    pub back_at: Option<i64>,
}

/// A member is at the desk when seen within this long.
pub const ONLINE_WITHIN_MS: i64 = 40_000;

/// Recent waits the median expected wait is taken from.
const RECENT_WAITS: i64 = 50;
/// How far back they may be.
const RECENT_WAITS_MS: i64 = 30 * 24 * 3600 * 1000;

/// Where a waiting visitor stands: members at the desk, their place in
/// line, and the median wait of recent ones before a person joined.
pub async fn queue(
    db: &sqlx::AnyPool,
    workspace_id: &str,
    conversation_id: &str,
    online_since: i64,
    now: i64,
) -> Result<Queue, sqlx::Error> {
    let online: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM desk_presence p
         JOIN memberships ms ON ms.workspace_id = p.workspace_id AND ms.user_id = p.user_id AND ms.suspended_at IS NULL
         WHERE p.workspace_id = $1 AND p.seen_at > $2 AND ms.away = 0",
    )
    .bind(workspace_id)
    .bind(online_since)
    .fetch_one(db)
    .await?;
    let position: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM conversations c, conversations me
         WHERE me.id = $1 AND me.workspace_id = $2 AND me.resolved_at IS NULL AND me.flagged_at IS NOT NULL
           AND me.assignee_id IS NULL
           AND c.workspace_id = $2 AND c.from_preview = 0 AND c.resolved_at IS NULL AND {WAITING}
           AND (c.flagged_at < me.flagged_at OR (c.flagged_at = me.flagged_at AND c.id <= me.id))"
    ))
    .bind(conversation_id)
    .bind(workspace_id)
    .fetch_one(db)
    .await?;
    let waits: Vec<(String,)> = sqlx::query_as(
        "SELECT detail FROM chat_events WHERE workspace_id = $1 AND kind = 'agent_joined' AND created_at > $2
         ORDER BY created_at DESC LIMIT $3",
    )
    .bind(workspace_id)
    .bind(now - RECENT_WAITS_MS)
    .bind(RECENT_WAITS)
    .fetch_all(db)
    .await?;
    let mut waits: Vec<i64> = waits
        .iter()
        .filter_map(|(detail,)| serde_json::from_str::<serde_json::Value>(detail).ok()?["waited_ms"].as_i64())
        .collect();
    Ok(Queue {
        online: online.clamp(0, i64::from(u32::MAX)) as u32,
        position: position.clamp(0, i64::from(u32::MAX)) as u32,
        expected_wait_secs: median(&mut waits).map(|ms| (ms.max(0) / 1000).min(i64::from(u32::MAX)) as u32),
        back_at: None,
    })
}

/// The middle value (the lower of the two middles for an even count).
fn median(values: &mut [i64]) -> Option<i64> {
    values.sort_unstable();
    values.get(values.len().checked_sub(1)? / 2).copied()
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn the_median_is_the_middle_wait() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [40]), Some(40));
        assert_eq!(median(&mut [90, 10, 30]), Some(30));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2));
    }
}
