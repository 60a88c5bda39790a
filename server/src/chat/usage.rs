//! The counters behind the bot's answers, in SQL so that every server
//! process sees the same numbers: the answers per workspace in its usage
//! period (the calendar month, or a paid plan's billing period: the plan's
//! quota) and the day's answers per client and per workspace (fair
//! use, see `guard.rs`). One answer is charged to all three in one
//! transaction, or to none.

use app::chat::EffectiveLimits;
use app::dates::day_of;
use sqlx::{Any, Transaction};

use super::guard::{difficulty, Proof};
use crate::billing::accounts::{usage_period, PayerKey};
use crate::error::AppError;
use crate::sql::now_millis;

/// The `client` of a workspace's own daily total.
const WHOLE_WORKSPACE: &str = "*";
/// The `client` of the dashboard preview's daily allowance.
const PREVIEW: &str = "preview";
/// Answers a workspace's team may get from the preview in a day: their own
/// tests spend none of the month's quota, but still cost CPU or tokens.
pub const PREVIEW_DAILY: i64 = 200;

/// What one visitor message may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowance {
    /// An answer, charged.
    Answer,
    /// The month's quota is spent: the visitor is told so (not charged).
    QuotaUsed,
    /// Today's ceiling is reached: the visitor is told to come back (not charged).
    BusyToday,
}

/// Why a client is refused before anything is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PastShare {
    /// It may go on by solving a challenge of this many bits.
    Challenge { bits: u32 },
    /// The owner chose refusal over challenges: until tomorrow.
    UntilTomorrow,
}

/// One answer to charge: whose, against which limits.
pub struct Charge<'a> {
    pub workspace_id: &'a str,
    /// The client's address or /64; `None` for the team's own preview,
    /// which has a daily allowance of its own instead of the share, the
    /// ceiling and the month's quota.
    pub client: Option<&'a str>,
    pub quota: Option<u32>,
    pub limits: EffectiveLimits,
    /// The challenge the client solved for this message, if any.
    pub proof: Option<&'a Proof>,
}

/// Charges one answer if every limit allows it. Past the client's share
/// nothing is charged and the refusal says how it may go on; past the
/// ceiling or the quota nothing is charged and the visitor is told.
pub async fn charge(db: &sqlx::AnyPool, charge: &Charge<'_>) -> Result<Result<Allowance, PastShare>, AppError> {
    let now = now_millis();
    let day = day_of(now);
    let mut tx = db.begin().await?;
    let period = usage_period(&mut *tx, &PayerKey::workspace(charge.workspace_id), now).await?.key;
    let Some(client) = charge.client else {
        // The preview shows what visitors get: once the month's answers are
        // used, the quota message, though its own answers are not charged.
        let month_used: Option<i64> =
            sqlx::query_scalar("SELECT bot_messages FROM usage_monthly WHERE workspace_id = $1 AND month = $2")
                .bind(charge.workspace_id)
                .bind(&period)
                .fetch_optional(&mut *tx)
                .await?;
        if charge.quota.is_some_and(|quota| month_used.unwrap_or(0) >= i64::from(quota)) {
            tx.rollback().await?;
            return Ok(Ok(Allowance::QuotaUsed));
        }
        let used = add_daily(&mut tx, charge.workspace_id, &day, PREVIEW).await?;
        if used > PREVIEW_DAILY {
            tx.rollback().await?;
            return Ok(Ok(Allowance::BusyToday));
        }
        tx.commit().await?;
        return Ok(Ok(Allowance::Answer));
    };
    let used = add_daily(&mut tx, charge.workspace_id, &day, client).await?;
    let excess = used.saturating_sub(i64::from(charge.limits.per_address_daily));
    if excess > 0 {
        let past = match (charge.limits.challenge, charge.proof) {
            (false, _) => Some(PastShare::UntilTomorrow),
            (true, proof) => {
                let bits = difficulty(excess as u64);
                let paid = match proof.filter(|p| p.bits >= bits) {
                    Some(proof) => spend(&mut tx, proof).await?,
                    None => false,
                };
                (!paid).then_some(PastShare::Challenge { bits })
            }
        };
        if let Some(past) = past {
            tx.rollback().await?;
            return Ok(Err(past));
        }
    }
    let today = add_daily(&mut tx, charge.workspace_id, &day, WHOLE_WORKSPACE).await?;
    if charge.limits.daily_ceiling.is_some_and(|ceiling| today > i64::from(ceiling)) {
        tx.rollback().await?;
        return Ok(Ok(Allowance::BusyToday));
    }
    let month_used = add_monthly(&mut tx, charge.workspace_id, &period).await?;
    if charge.quota.is_some_and(|quota| month_used > i64::from(quota)) {
        tx.rollback().await?;
        return Ok(Ok(Allowance::QuotaUsed));
    }
    // The answer that reaches a limit records it, once.
    if let Some(ceiling) = charge.limits.daily_ceiling.filter(|&c| today == i64::from(c)) {
        let detail = serde_json::json!({ "day": day, "ceiling": ceiling });
        super::conversations::record_event(&mut *tx, charge.workspace_id, None, "ceiling_reached", detail).await?;
    }
    if let Some(quota) = charge.quota.filter(|&q| month_used == i64::from(q)) {
        let detail = serde_json::json!({ "period": period, "quota": quota });
        super::conversations::record_event(&mut *tx, charge.workspace_id, None, "quota_reached", detail).await?;
    }
    tx.commit().await?;
    Ok(Ok(Allowance::Answer))
}

/// Records a solved challenge as spent; `false` if it already was.
async fn spend(tx: &mut Transaction<'_, Any>, proof: &Proof) -> Result<bool, sqlx::Error> {
    let spent = sqlx::query(
        "INSERT INTO widget_challenges_spent (nonce, expires_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING",
    )
    .bind(&proof.nonce)
    .bind(proof.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(spent.rows_affected() == 1)
}

async fn add_daily(
    tx: &mut Transaction<'_, Any>,
    workspace_id: &str,
    day: &str,
    client: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO widget_usage_daily (workspace_id, day, client, answers) VALUES ($1, $2, $3, 1)
         ON CONFLICT (workspace_id, day, client) DO UPDATE SET answers = widget_usage_daily.answers + 1
         RETURNING answers",
    )
    .bind(workspace_id)
    .bind(day)
    .bind(client)
    .fetch_one(&mut **tx)
    .await
}

async fn add_monthly(tx: &mut Transaction<'_, Any>, workspace_id: &str, month: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO usage_monthly (workspace_id, month, bot_messages) VALUES ($1, $2, 1)
         ON CONFLICT (workspace_id, month) DO UPDATE SET bot_messages = usage_monthly.bot_messages + 1
         RETURNING bot_messages",
    )
    .bind(workspace_id)
    .bind(month)
    .fetch_one(&mut **tx)
    .await
}

/// Today's answers for the whole workspace, and how many clients went past
/// `share` (the Widget page's fair-use panel).
pub async fn today(db: &sqlx::AnyPool, workspace_id: &str, share: u32) -> Result<(u32, u32), sqlx::Error> {
    let day = day_of(now_millis());
    let (total, past): (Option<i64>, i64) = sqlx::query_as(
        "SELECT MAX(CASE WHEN client = '*' THEN answers END), COUNT(CASE WHEN client NOT IN ('*', 'preview') AND answers >= $3 THEN 1 END)
         FROM widget_usage_daily WHERE workspace_id = $1 AND day = $2",
    )
    .bind(workspace_id)
    .bind(day)
    .bind(i64::from(share))
    .fetch_one(db)
    .await?;
    Ok((total.unwrap_or(0).max(0) as u32, past.max(0) as u32))
}

/// Forgets days before yesterday and expired challenges: the daily
/// counters never grow past two days of clients.
pub async fn forget_old_days(db: &sqlx::AnyPool) -> Result<(), sqlx::Error> {
    let now = now_millis();
    sqlx::query("DELETE FROM widget_usage_daily WHERE day < $1").bind(day_of(now - 86_400_000)).execute(db).await?;
    sqlx::query("DELETE FROM widget_challenges_spent WHERE expires_at < $1").bind(now).execute(db).await?;
    Ok(())
}

/// Seconds until the next UTC midnight, when daily shares start again.
pub fn seconds_until_tomorrow(now_ms: i64) -> u64 {
    let into_day = now_ms.rem_euclid(86_400_000);
    ((86_400_000 - into_day) / 1000).max(1) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_start_again_at_midnight_utc() {
        assert_eq!(seconds_until_tomorrow(1_796_083_200_000 - 1_500), 1);
        assert_eq!(seconds_until_tomorrow(1_796_083_200_000), 86_400);
    }
}
