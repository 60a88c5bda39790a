//! Identified visitors as stored (`visitor_identities`): what the latest
//! verified token said of each (`identity_token.rs` verifies it).

use app::visitor_identity::IdentifiedVisitor;
use sqlx::{Any, Executor};

type Row = (String, Option<String>, Option<String>, Option<String>);

fn visitor((user_id, name, email, plan): Row) -> IdentifiedVisitor {
    IdentifiedVisitor { user_id, name, email, plan }
}

/// Records who the visitor is, as of now.
pub async fn save<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    visitor_id: &str,
    identity: &IdentifiedVisitor,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO visitor_identities (workspace_id, visitor_id, user_id, name, email, plan, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (workspace_id, visitor_id) DO UPDATE SET user_id = excluded.user_id, name = excluded.name,
           email = excluded.email, plan = excluded.plan, updated_at = excluded.updated_at",
    )
    .bind(workspace_id)
    .bind(visitor_id)
    .bind(&identity.user_id)
    .bind(identity.name.as_deref())
    .bind(identity.email.as_deref())
    .bind(identity.plan.as_deref())
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn of_visitor<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    visitor_id: &str,
) -> Result<Option<IdentifiedVisitor>, sqlx::Error> {
    let found: Option<Row> = sqlx::query_as(
        "SELECT user_id, name, email, plan FROM visitor_identities WHERE workspace_id = $1 AND visitor_id = $2",
    )
    .bind(workspace_id)
    .bind(visitor_id)
    .fetch_optional(db)
    .await?;
    Ok(found.map(visitor))
}

/// Who the visitor of a conversation is, if they were identified.
pub async fn of_conversation<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    conversation_id: &str,
) -> Result<Option<IdentifiedVisitor>, sqlx::Error> {
    let found: Option<Row> = sqlx::query_as(
        "SELECT i.user_id, i.name, i.email, i.plan FROM conversations c
         JOIN visitor_identities i ON i.workspace_id = c.workspace_id AND i.visitor_id = c.visitor_id
         WHERE c.id = $1 AND c.workspace_id = $2",
    )
    .bind(conversation_id)
    .bind(workspace_id)
    .fetch_optional(db)
    .await?;
    Ok(found.map(visitor))
}
