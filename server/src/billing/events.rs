//! Stripe's webhook events as stored: recorded when delivered (before the
//! delivery is answered), claimed by one process at a time, and marked
//! applied in the transaction that applies them.

use sqlx::{Any, AnyPool, Transaction};

use crate::sql::now_millis;

/// How long a process may take to apply an event before another may.
const CLAIM_MS: i64 = 60_000;

/// A delivered event, as its envelope names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub id: String,
    pub kind: String,
    /// Seconds, Stripe's `created`.
    pub created: i64,
    pub payload: String,
}

/// Records `event` unless its id is known: `false` for a duplicate.
pub async fn record(db: &AnyPool, event: &Delivered) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO stripe_events (id, type, created, payload, received_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&event.id)
    .bind(&event.kind)
    .bind(event.created)
    .bind(&event.payload)
    .bind(now_millis())
    .execute(db)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Takes `id` for this process if it is not applied and nobody holds it
/// (or, at start-up, `whoever` holds it: a process that died holding it
/// must not delay it); returns the event to apply. Applying twice is
/// harmless (the state is read from Stripe, notices follow its changes),
/// claiming only saves the work.
pub async fn claim(db: &AnyPool, id: &str, whoever: bool) -> Result<Option<Delivered>, sqlx::Error> {
    let now = now_millis();
    let taken = sqlx::query(
        "UPDATE stripe_events SET claimed_until = $1, attempts = attempts + 1
         WHERE id = $2 AND applied_at IS NULL AND (claimed_until IS NULL OR claimed_until < $3)",
    )
    .bind(now + CLAIM_MS)
    .bind(id)
    .bind(if whoever { i64::MAX } else { now })
    .execute(db)
    .await?
    .rows_affected();
    if taken == 0 {
        return Ok(None);
    }
    let row: Option<(String, String, i64, String)> =
        sqlx::query_as("SELECT id, type, created, payload FROM stripe_events WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(id, kind, created, payload)| Delivered { id, kind, created, payload }))
}

/// Marks `id` applied, in the transaction of its effect.
pub async fn mark_applied(tx: &mut Transaction<'_, Any>, id: &str, outcome: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE stripe_events SET applied_at = $1, claimed_until = NULL, outcome = $2 WHERE id = $3")
        .bind(now_millis())
        .bind(outcome)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Lets another attempt take `id` after a failure, saying why; the sweep
/// tries again once the claim lapses.
pub async fn release(db: &AnyPool, id: &str, why: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE stripe_events SET outcome = $1 WHERE id = $2 AND applied_at IS NULL")
        .bind(why.chars().take(500).collect::<String>())
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Recorded events not applied yet, oldest first: at start-up, every one
/// (`whoever` holds them); later, those whose claim lapsed (a process that
/// died, or Stripe's API failing meanwhile).
pub async fn pending(db: &AnyPool, whoever: bool, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM stripe_events WHERE applied_at IS NULL AND (claimed_until IS NULL OR claimed_until < $1)
         ORDER BY received_at LIMIT $2",
    )
    .bind(if whoever { i64::MAX } else { now_millis() })
    .bind(limit)
    .fetch_all(db)
    .await
}
