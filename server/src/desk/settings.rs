//! The desk's settings as stored (`desk_settings`): a workspace's business
//! hours, as JSON. A workspace that never set them keeps no hours.

use app::business_hours::BusinessHours;
use sqlx::{Any, Executor};

pub async fn business_hours<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
) -> Result<BusinessHours, sqlx::Error> {
    let stored: Option<String> = sqlx::query_scalar("SELECT business_hours FROM desk_settings WHERE workspace_id = $1")
        .bind(workspace_id)
        .fetch_optional(db)
        .await?;
    // Saved hours were valid when saved; unreadable ones count as none.
    Ok(stored.and_then(|json| serde_json::from_str(&json).ok()).unwrap_or_default())
}

pub async fn save_business_hours<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    hours: &BusinessHours,
    at: i64,
) -> Result<(), sqlx::Error> {
    let json = serde_json::to_string(hours).unwrap_or_default();
    sqlx::query(
        "INSERT INTO desk_settings (workspace_id, business_hours, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (workspace_id) DO UPDATE SET business_hours = excluded.business_hours, updated_at = excluded.updated_at",
    )
    .bind(workspace_id)
    .bind(json)
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}
