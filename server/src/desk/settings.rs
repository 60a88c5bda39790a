//! The desk's settings as stored (`desk_settings`): a workspace's business
//! hours, as JSON (a workspace that never set them keeps no hours), how
//! long an unseen reply waits before it is emailed, and the tickets'
//! service level targets, ticket categories and routing (JSON; the
//! defaults until saved), the identity secret's version and the plans that
//! raise priority.

use app::business_hours::BusinessHours;
use app::email_followup::DEFAULT_FOLLOWUP_MINUTES;
use app::routing::RoutingPolicy;
use app::sla::SlaPolicy;
use app::ticket_categories::{default_categories, TicketCategory};
use app::visitor_identity::PlanPriority;
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

/// Minutes an unseen reply waits before it is emailed; 0: never.
pub async fn email_followup_minutes<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
) -> Result<u32, sqlx::Error> {
    let stored: Option<i64> =
        sqlx::query_scalar("SELECT CAST(email_followup_minutes AS BIGINT) FROM desk_settings WHERE workspace_id = $1")
            .bind(workspace_id)
            .fetch_optional(db)
            .await?;
    Ok(stored.map_or(DEFAULT_FOLLOWUP_MINUTES, |m| m.clamp(0, i64::from(u32::MAX)) as u32))
}

pub async fn save_email_followup<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    minutes: u32,
    at: i64,
) -> Result<(), sqlx::Error> {
    // A first save keeps no business hours, as a workspace without the row has none.
    let no_hours = serde_json::to_string(&BusinessHours::default()).unwrap_or_default();
    sqlx::query(
        "INSERT INTO desk_settings (workspace_id, business_hours, email_followup_minutes, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (workspace_id) DO UPDATE
           SET email_followup_minutes = excluded.email_followup_minutes, updated_at = excluded.updated_at",
    )
    .bind(workspace_id)
    .bind(no_hours)
    .bind(i64::from(minutes))
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}

/// The business hours and service level targets tickets are measured by.
pub async fn sla_terms<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
) -> Result<(BusinessHours, SlaPolicy), sqlx::Error> {
    let stored: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT business_hours, sla_policy FROM desk_settings WHERE workspace_id = $1")
            .bind(workspace_id)
            .fetch_optional(db)
            .await?;
    let Some((hours, policy)) = stored else { return Ok(Default::default()) };
    // Both were valid when saved; unreadable ones count as the defaults.
    let hours = serde_json::from_str(&hours).unwrap_or_default();
    let policy = policy.and_then(|json| serde_json::from_str(&json).ok()).unwrap_or_default();
    Ok((hours, policy))
}

pub async fn save_sla_policy<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    policy: &SlaPolicy,
    at: i64,
) -> Result<(), sqlx::Error> {
    save_document(db, workspace_id, "sla_policy", serde_json::to_string(policy).unwrap_or_default(), at).await
}

pub async fn ticket_categories<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
) -> Result<Vec<TicketCategory>, sqlx::Error> {
    Ok(read_document(db, workspace_id, "ticket_categories").await?.unwrap_or_else(default_categories))
}

pub async fn save_ticket_categories<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    categories: &[TicketCategory],
    at: i64,
) -> Result<(), sqlx::Error> {
    let json = serde_json::to_string(categories).unwrap_or_default();
    save_document(db, workspace_id, "ticket_categories", json, at).await
}

/// How the workspace routes tickets; by hand until saved.
pub async fn routing<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
) -> Result<RoutingPolicy, sqlx::Error> {
    Ok(read_document(db, workspace_id, "routing").await?.unwrap_or_default())
}

pub async fn save_routing<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    policy: &RoutingPolicy,
    at: i64,
) -> Result<(), sqlx::Error> {
    save_document(db, workspace_id, "routing", serde_json::to_string(policy).unwrap_or_default(), at).await
}

/// Reads one JSON settings document (`column` is one of this file's own
/// names, never input); `None` when never saved, or unreadable (it was
/// valid when saved: the defaults stand in).
/// The identity secret's version (1 until rotated).
pub async fn identity_version<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
) -> Result<u32, sqlx::Error> {
    Ok(read_document(db, workspace_id, "identity_version").await?.unwrap_or(1))
}

pub async fn save_identity_version<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    version: u32,
    at: i64,
) -> Result<(), sqlx::Error> {
    save_document(db, workspace_id, "identity_version", version.to_string(), at).await
}

/// The plans that raise a ticket's priority (none until ranked).
pub async fn plan_priorities<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
) -> Result<Vec<PlanPriority>, sqlx::Error> {
    Ok(read_document(db, workspace_id, "plan_priorities").await?.unwrap_or_default())
}

pub async fn save_plan_priorities<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    plans: &[PlanPriority],
    at: i64,
) -> Result<(), sqlx::Error> {
    save_document(db, workspace_id, "plan_priorities", serde_json::to_string(plans).unwrap_or_default(), at).await
}

async fn read_document<'e, T: serde::de::DeserializeOwned>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    column: &'static str,
) -> Result<Option<T>, sqlx::Error> {
    let sql = format!("SELECT {column} FROM desk_settings WHERE workspace_id = $1");
    let stored: Option<Option<String>> = sqlx::query_scalar(&sql).bind(workspace_id).fetch_optional(db).await?;
    Ok(stored.flatten().and_then(|json| serde_json::from_str(&json).ok()))
}

/// Saves one JSON settings document (`column` is one of this file's own
/// names, never input); a first save keeps no business hours, as a
/// workspace without the row has none.
async fn save_document<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    column: &'static str,
    json: String,
    at: i64,
) -> Result<(), sqlx::Error> {
    let no_hours = serde_json::to_string(&BusinessHours::default()).unwrap_or_default();
    let sql = format!(
        "INSERT INTO desk_settings (workspace_id, business_hours, {column}, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (workspace_id) DO UPDATE SET {column} = excluded.{column}, updated_at = excluded.updated_at"
    );
    sqlx::query(&sql).bind(workspace_id).bind(no_hours).bind(json).bind(at).execute(db).await?;
    Ok(())
}
