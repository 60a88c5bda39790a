//! Canned replies as stored: named queries, each scoped to one workspace.
//! A shortcut is unique in its workspace (a unique index), and a workspace
//! keeps at most `CANNED_PER_WORKSPACE`, checked in the writing transaction.

use app::canned_replies::{CannedReply, CANNED_PER_WORKSPACE};
use app::error::ServiceError;
use sqlx::{Any, AnyConnection, Executor};

use crate::error::AppError;

/// The workspace's replies by shortcut.
pub async fn list<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
) -> Result<Vec<CannedReply>, sqlx::Error> {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT id, shortcut, body FROM canned_replies WHERE workspace_id = $1 ORDER BY shortcut")
            .bind(workspace_id)
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().map(|(id, shortcut, body)| CannedReply { id, shortcut, body }).collect())
}

const TAKEN: &str = "Another canned reply has this name: choose another.";

/// Adds a reply, or changes `id`; refuses a shortcut another reply has,
/// and a reply past the workspace's bound.
pub async fn save(
    tx: &mut AnyConnection,
    workspace_id: &str,
    id: Option<&str>,
    shortcut: &str,
    body: &str,
    at: i64,
) -> Result<(), AppError> {
    // Another workspace's reply is not found, whatever its name.
    if let Some(id) = id {
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM canned_replies WHERE id = $1 AND workspace_id = $2")
            .bind(id)
            .bind(workspace_id)
            .fetch_optional(&mut *tx)
            .await?;
        if found.is_none() {
            return Err(ServiceError::NotFound.into());
        }
    }
    let holder: Option<String> =
        sqlx::query_scalar("SELECT id FROM canned_replies WHERE workspace_id = $1 AND shortcut = $2")
            .bind(workspace_id)
            .bind(shortcut)
            .fetch_optional(&mut *tx)
            .await?;
    if holder.as_deref().is_some_and(|holder| Some(holder) != id) {
        return Err(ServiceError::invalid("shortcut", TAKEN).into());
    }
    match id {
        Some(id) => {
            sqlx::query(
                "UPDATE canned_replies SET shortcut = $1, body = $2, updated_at = $3 WHERE id = $4 AND workspace_id = $5",
            )
            .bind(shortcut)
            .bind(body)
            .bind(at)
            .bind(id)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await
            .map_err(taken)?;
        }
        None => {
            // Two adds at once cannot both pass the count.
            crate::tickets::store::lock_workspace(tx, workspace_id).await?;
            let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM canned_replies WHERE workspace_id = $1")
                .bind(workspace_id)
                .fetch_one(&mut *tx)
                .await?;
            if kept >= CANNED_PER_WORKSPACE {
                let full = format!("A workspace keeps up to {CANNED_PER_WORKSPACE} canned replies: remove one first.");
                return Err(ServiceError::Rejected(full).into());
            }
            sqlx::query(
                "INSERT INTO canned_replies (id, workspace_id, shortcut, body, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(workspace_id)
            .bind(shortcut)
            .bind(body)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(taken)?;
        }
    }
    Ok(())
}

/// Another process took the shortcut between the check and the write.
fn taken(error: sqlx::Error) -> AppError {
    match &error {
        sqlx::Error::Database(e) if e.is_unique_violation() => ServiceError::invalid("shortcut", TAKEN).into(),
        _ => error.into(),
    }
}

/// Removes the reply; `false` when the workspace has none by that id.
pub async fn delete<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    id: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM canned_replies WHERE id = $1 AND workspace_id = $2")
        .bind(id)
        .bind(workspace_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}
