//! Satisfaction ratings (CSAT) as stored on the conversation: asked when a
//! person resolves it (once: a rated conversation is never asked again),
//! answered once by the visitor with 1 to 5 and a comment (in the widget,
//! or on the page an emailed request links to: `rating_email.rs`), and
//! counted for the member who resolved it.

use sqlx::{Any, AnyConnection, Executor};

/// Asks the visitor to rate the conversation, for `agent_id`, unless they
/// rated it already. Answers whether they are asked.
pub async fn ask(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
    agent_id: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let asked = sqlx::query(
        "UPDATE conversations SET rating_asked_at = $1, rating_agent_id = $2
         WHERE id = $3 AND workspace_id = $4 AND rating IS NULL",
    )
    .bind(at)
    .bind(agent_id)
    .bind(conversation_id)
    .bind(workspace_id)
    .execute(&mut *tx)
    .await?;
    Ok(asked.rows_affected() > 0)
}

/// The visitor's answer; `false` when they were not asked or answered before.
pub async fn rate(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
    score: i64,
    comment: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let rated = sqlx::query(
        "UPDATE conversations SET rating = $1, rating_comment = $2, rated_at = $3
         WHERE id = $4 AND workspace_id = $5 AND rating_asked_at IS NOT NULL AND rating IS NULL",
    )
    .bind(score)
    .bind(comment)
    .bind(at)
    .bind(conversation_id)
    .bind(workspace_id)
    .execute(&mut *tx)
    .await?;
    Ok(rated.rows_affected() > 0)
}

/// Where a rating asked by email goes, once asked: the visitor's address
/// when they are on email, the workspace's name and who resolved it.
pub async fn email_request<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    conversation_id: &str,
) -> Result<Option<(String, String, Option<String>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.visitor_email, w.name, u.name FROM conversations c
         JOIN workspaces w ON w.id = c.workspace_id LEFT JOIN users u ON u.id = c.rating_agent_id
         WHERE c.id = $1 AND c.workspace_id = $2 AND c.channel = 'email' AND c.visitor_email IS NOT NULL
           AND c.rating_asked_at IS NOT NULL AND c.rating IS NULL",
    )
    .bind(conversation_id)
    .bind(workspace_id)
    .fetch_optional(db)
    .await
}

/// A conversation as its emailed rating link finds it (the link is signed
/// for it, so it is the only id needed): its workspace and name, and its
/// rating if given; `None` unless a rating was asked.
pub async fn linked<'e>(
    db: impl Executor<'e, Database = Any>,
    conversation_id: &str,
) -> Result<Option<(String, String, Option<i64>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.workspace_id, w.name, c.rating FROM conversations c JOIN workspaces w ON w.id = c.workspace_id
         WHERE c.id = $1 AND c.rating_asked_at IS NOT NULL",
    )
    .bind(conversation_id)
    .fetch_optional(db)
    .await
}

/// A member's ratings: how many, and their average.
pub async fn of_agent<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    agent_id: &str,
) -> Result<(i64, Option<f64>), sqlx::Error> {
    let (count, sum): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(rating), SUM(rating) FROM conversations
         WHERE workspace_id = $1 AND rating_agent_id = $2 AND rating IS NOT NULL",
    )
    .bind(workspace_id)
    .bind(agent_id)
    .fetch_one(db)
    .await?;
    Ok((count, sum.filter(|_| count > 0).map(|sum| sum as f64 / count as f64)))
}
