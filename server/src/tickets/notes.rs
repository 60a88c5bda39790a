//! Internal notes and the mentions they make, as stored: named queries,
//! each scoped to one workspace (and a mention to its member).

use app::desk::Agent;
use app::ticket_notes::{excerpt, Mention, TicketNote, MENTIONS_SHOWN};
use sqlx::{Any, AnyConnection, Executor};

/// Writes `by`'s note on the ticket; answers its id.
pub async fn insert(
    tx: &mut AnyConnection,
    workspace_id: &str,
    ticket_id: &str,
    by: &Agent,
    body: &str,
    at: i64,
) -> Result<String, sqlx::Error> {
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO ticket_notes (id, ticket_id, workspace_id, author_id, author_name, body, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(ticket_id)
    .bind(workspace_id)
    .bind(&by.id)
    .bind(&by.name)
    .bind(body)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(id)
}

pub async fn count(tx: &mut AnyConnection, workspace_id: &str, ticket_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM ticket_notes WHERE ticket_id = $1 AND workspace_id = $2")
        .bind(ticket_id)
        .bind(workspace_id)
        .fetch_one(&mut *tx)
        .await
}

/// The ticket's notes, oldest first.
pub async fn of_ticket<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    ticket_id: &str,
) -> Result<Vec<TicketNote>, sqlx::Error> {
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT id, author_name, body, created_at FROM ticket_notes
         WHERE ticket_id = $1 AND workspace_id = $2 ORDER BY created_at, id",
    )
    .bind(ticket_id)
    .bind(workspace_id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(id, author, body, at)| TicketNote { id, author, body, at }).collect())
}

/// `user_id` was named in the note.
pub async fn mention(
    tx: &mut AnyConnection,
    workspace_id: &str,
    ticket_id: &str,
    note_id: &str,
    user_id: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mentions (id, workspace_id, user_id, note_id, ticket_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(workspace_id)
    .bind(user_id)
    .bind(note_id)
    .bind(ticket_id)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The email addresses of the workspace's members among `ids` (read in
/// one query: a note may name the whole team).
pub async fn emails(
    tx: &mut AnyConnection,
    workspace_id: &str,
    ids: &[&str],
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let members: Vec<(String, String)> = sqlx::query_as(
        "SELECT u.id, u.email FROM users u JOIN memberships ms ON ms.user_id = u.id
         WHERE ms.workspace_id = $1 AND ms.suspended_at IS NULL ORDER BY u.id",
    )
    .bind(workspace_id)
    .fetch_all(&mut *tx)
    .await?;
    Ok(members.into_iter().filter(|(id, _)| ids.contains(&id.as_str())).collect())
}

type MentionRow = (String, String, i64, String, String, String, i64, Option<i64>);

/// The member's mentions, newest first, and how many are unread.
pub async fn of_member<'e, E>(db: E, workspace_id: &str, user_id: &str) -> Result<(Vec<Mention>, u32), sqlx::Error>
where
    E: Executor<'e, Database = Any> + Copy,
{
    let rows: Vec<MentionRow> = sqlx::query_as(&format!(
        "SELECT m.id, t.id, t.number, t.subject, n.author_name, n.body, m.created_at, m.read_at
         FROM mentions m JOIN ticket_notes n ON n.id = m.note_id JOIN tickets t ON t.id = m.ticket_id
         WHERE m.workspace_id = $1 AND m.user_id = $2
         ORDER BY m.created_at DESC, m.id LIMIT {MENTIONS_SHOWN}"
    ))
    .bind(workspace_id)
    .bind(user_id)
    .fetch_all(db)
    .await?;
    let unread: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM mentions WHERE workspace_id = $1 AND user_id = $2 AND read_at IS NULL",
    )
    .bind(workspace_id)
    .bind(user_id)
    .fetch_one(db)
    .await?;
    let mentions = rows
        .into_iter()
        .map(|(id, ticket_id, ticket_number, subject, author, body, at, read_at)| Mention {
            id,
            ticket_id,
            ticket_number,
            subject,
            author,
            excerpt: excerpt(&body),
            at,
            read: read_at.is_some(),
        })
        .collect();
    Ok((mentions, u32::try_from(unread).unwrap_or(u32::MAX)))
}

/// Which of a member's unread mentions to mark read.
pub enum Unread<'a> {
    One(&'a str),
    OfTicket(&'a str),
    All,
}

pub async fn mark_read<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    user_id: &str,
    which: Unread<'_>,
    at: i64,
) -> Result<u64, sqlx::Error> {
    let (condition, value) = match which {
        Unread::One(id) => ("id = $4", id),
        Unread::OfTicket(id) => ("ticket_id = $4", id),
        Unread::All => ("$4 = $4", ""),
    };
    let sql = format!(
        "UPDATE mentions SET read_at = $1 WHERE workspace_id = $2 AND user_id = $3 AND read_at IS NULL AND {condition}"
    );
    let done = sqlx::query(&sql).bind(at).bind(workspace_id).bind(user_id).bind(value).execute(db).await?;
    Ok(done.rows_affected())
}

/// Whether the member has unread mentions on the ticket.
pub async fn unread_on<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    user_id: &str,
    ticket_id: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM mentions
         WHERE workspace_id = $1 AND user_id = $2 AND ticket_id = $3 AND read_at IS NULL",
    )
    .bind(workspace_id)
    .bind(user_id)
    .bind(ticket_id)
    .fetch_one(db)
    .await?;
    Ok(n > 0)
}
