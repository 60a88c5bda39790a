//! Billing accounts as stored: each payer's Stripe customer and the
//! subscription Stripe last reported, and the plan in force, which lives
//! where every limit reads it (`workspaces.plan`, `users.mentor_plan`) and
//! whose every change is kept in `plan_changes`.

use app::billing::{Payer, SubscriptionStatus};
use app::dates::{month_of, next_month};
use sqlx::{Any, AnyPool, Transaction};

use crate::sql::now_millis;

/// A payer as stored: ("workspace", its id) or ("person", their user id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayerKey {
    pub kind: &'static str,
    pub owner_id: String,
}

impl PayerKey {
    pub fn new(payer: &Payer, person_id: &str) -> Self {
        match payer {
            Payer::Workspace(id) => PayerKey::workspace(id),
            Payer::Person => PayerKey { kind: "person", owner_id: person_id.to_owned() },
        }
    }

    pub fn workspace(id: &str) -> Self {
        PayerKey { kind: "workspace", owner_id: id.to_owned() }
    }

    pub fn person(id: &str) -> Self {
        PayerKey { kind: "person", owner_id: id.to_owned() }
    }

    fn parse(kind: &str, owner_id: String) -> Option<Self> {
        match kind {
            "workspace" => Some(PayerKey { kind: "workspace", owner_id }),
            "person" => Some(PayerKey { kind: "person", owner_id }),
            _ => None,
        }
    }

    pub fn product(&self) -> app::plans::Product {
        if self.kind == "workspace" {
            app::plans::Product::SupportBot
        } else {
            app::plans::Product::CareerMentor
        }
    }

    /// Where the plan in force is kept.
    fn plan_column(&self) -> (&'static str, &'static str) {
        if self.kind == "workspace" {
            ("workspaces", "plan")
        } else {
            ("users", "mentor_plan")
        }
    }
}

/// A payer's billing as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct BillingRow {
    pub customer_id: Option<String>,
    pub subscription_id: Option<String>,
    /// The plan subscribed to.
    pub plan: String,
    pub billing_interval: Option<String>,
    pub status: Option<String>,
    /// Seconds, Stripe's `created` of the subscription.
    pub subscription_created: Option<i64>,
    /// Milliseconds, as every time we store.
    pub period_start: Option<i64>,
    pub period_end: Option<i64>,
    pub cancel_at: Option<i64>,
    pub trial_end: Option<i64>,
    pub grace_ends_at: Option<i64>,
    /// The period the last paid invoice paid for: a paid plan's usage counts in it.
    pub usage_period_start: Option<i64>,
    pub usage_period_end: Option<i64>,
}

impl BillingRow {
    pub fn status(&self) -> Option<SubscriptionStatus> {
        self.status.as_deref().and_then(SubscriptionStatus::parse)
    }

    /// The subscription keeps its plan (trialing, active, or past due).
    pub fn live(&self) -> bool {
        self.status().is_some_and(SubscriptionStatus::keeps_the_plan)
    }
}

const COLUMNS: &str = "customer_id, subscription_id, plan, billing_interval, status, subscription_created, \
                       period_start, period_end, cancel_at, trial_end, grace_ends_at, usage_period_start, usage_period_end";

pub async fn get(db: &AnyPool, key: &PayerKey) -> Result<Option<BillingRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM billing_accounts WHERE payer = $1 AND owner_id = $2"))
        .bind(key.kind)
        .bind(&key.owner_id)
        .fetch_optional(db)
        .await
}

/// The payer's row with the plan in force, read by one statement so the
/// two agree (a sync writes both in one transaction; two reads could fall
/// either side of it). `None`: no such workspace or person.
pub async fn get_with_plan(db: &AnyPool, key: &PayerKey) -> Result<Option<(BillingRow, String)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct WithPlan {
        #[sqlx(flatten)]
        row: BillingRow,
        in_force: String,
    }
    let (table, column) = key.plan_column();
    let columns: Vec<String> = COLUMNS
        .split(", ")
        .map(|c| if c == "plan" { "COALESCE(b.plan, 'free') AS plan".to_owned() } else { format!("b.{c}") })
        .collect();
    let found: Option<WithPlan> = sqlx::query_as(&format!(
        "SELECT t.{column} AS in_force, {} FROM {table} t
         LEFT JOIN billing_accounts b ON b.payer = $1 AND b.owner_id = t.id WHERE t.id = $2",
        columns.join(", ")
    ))
    .bind(key.kind)
    .bind(&key.owner_id)
    .fetch_optional(db)
    .await?;
    Ok(found.map(|f| (f.row, f.in_force)))
}

/// The payer whose Stripe customer is `customer_id`.
pub async fn by_customer(db: &AnyPool, customer_id: &str) -> Result<Option<PayerKey>, sqlx::Error> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT payer, owner_id FROM billing_accounts WHERE customer_id = $1")
            .bind(customer_id)
            .fetch_optional(db)
            .await?;
    Ok(row.and_then(|(kind, owner)| PayerKey::parse(&kind, owner)))
}

/// Keeps `customer_id` as the payer's customer unless it has one; returns
/// the one that stands.
pub async fn keep_customer(db: &AnyPool, key: &PayerKey, customer_id: &str) -> Result<String, sqlx::Error> {
    sqlx::query(
        "INSERT INTO billing_accounts (payer, owner_id, customer_id, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (payer, owner_id) DO NOTHING",
    )
    .bind(key.kind)
    .bind(&key.owner_id)
    .bind(customer_id)
    .bind(now_millis())
    .execute(db)
    .await?;
    sqlx::query(
        "UPDATE billing_accounts SET customer_id = $1 WHERE payer = $2 AND owner_id = $3 AND customer_id IS NULL",
    )
    .bind(customer_id)
    .bind(key.kind)
    .bind(&key.owner_id)
    .execute(db)
    .await?;
    sqlx::query_scalar("SELECT customer_id FROM billing_accounts WHERE payer = $1 AND owner_id = $2")
        .bind(key.kind)
        .bind(&key.owner_id)
        .fetch_one(db)
        .await
}

/// The payer's row, locked for this transaction (a no-op update takes the
/// row lock on PostgreSQL; SQLite's one writer serialises anyway).
pub async fn lock(tx: &mut Transaction<'_, Any>, key: &PayerKey) -> Result<Option<BillingRow>, sqlx::Error> {
    sqlx::query("UPDATE billing_accounts SET updated_at = updated_at WHERE payer = $1 AND owner_id = $2")
        .bind(key.kind)
        .bind(&key.owner_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM billing_accounts WHERE payer = $1 AND owner_id = $2"))
        .bind(key.kind)
        .bind(&key.owner_id)
        .fetch_optional(&mut **tx)
        .await
}

pub async fn save(tx: &mut Transaction<'_, Any>, key: &PayerKey, row: &BillingRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE billing_accounts SET subscription_id = $1, plan = $2, billing_interval = $3, status = $4,
         period_start = $5, period_end = $6, cancel_at = $7, trial_end = $8, grace_ends_at = $9, updated_at = $10,
         subscription_created = $13, usage_period_start = $14, usage_period_end = $15
         WHERE payer = $11 AND owner_id = $12",
    )
    .bind(&row.subscription_id)
    .bind(&row.plan)
    .bind(&row.billing_interval)
    .bind(&row.status)
    .bind(row.period_start)
    .bind(row.period_end)
    .bind(row.cancel_at)
    .bind(row.trial_end)
    .bind(row.grace_ends_at)
    .bind(now_millis())
    .bind(key.kind)
    .bind(&key.owner_id)
    .bind(row.subscription_created)
    .bind(row.usage_period_start)
    .bind(row.usage_period_end)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The plan in force (`None`: no such workspace or person).
pub async fn plan_in_force<'e>(
    db: impl sqlx::Executor<'e, Database = Any>,
    key: &PayerKey,
) -> Result<Option<String>, sqlx::Error> {
    let (table, column) = key.plan_column();
    sqlx::query_scalar(&format!("SELECT {column} FROM {table} WHERE id = $1"))
        .bind(&key.owner_id)
        .fetch_optional(db)
        .await
}

/// Puts the payer on `plan` and records the change (by `source`: "stripe"
/// or "command"); `Some(previous plan)` when it changed.
pub async fn set_plan_in_force(
    tx: &mut Transaction<'_, Any>,
    key: &PayerKey,
    plan: &str,
    source: &str,
) -> Result<Option<String>, sqlx::Error> {
    let Some(before) = plan_in_force(&mut **tx, key).await? else { return Ok(None) };
    if before == plan {
        return Ok(None);
    }
    let (table, column) = key.plan_column();
    sqlx::query(&format!("UPDATE {table} SET {column} = $1 WHERE id = $2"))
        .bind(plan)
        .bind(&key.owner_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO plan_changes (payer, owner_id, from_plan, to_plan, source, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(key.kind)
    .bind(&key.owner_id)
    .bind(&before)
    .bind(plan)
    .bind(source)
    .bind(now_millis())
    .execute(&mut **tx)
    .await?;
    Ok(Some(before))
}

/// Payers past due whose grace ended while their paid plan is still in force.
pub async fn past_grace(db: &AnyPool, now: i64) -> Result<Vec<PayerKey>, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT b.payer, b.owner_id FROM billing_accounts b
         LEFT JOIN workspaces w ON b.payer = 'workspace' AND w.id = b.owner_id
         LEFT JOIN users u ON b.payer = 'person' AND u.id = b.owner_id
         WHERE b.status = 'past_due' AND b.grace_ends_at <= $1 AND COALESCE(w.plan, u.mentor_plan, 'free') <> 'free'",
    )
    .bind(now)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().filter_map(|(kind, owner)| PayerKey::parse(&kind, owner)).collect())
}

/// Where a payer's usage is counted now: the billing period its last paid
/// invoice paid for while a paid plan is in force through Stripe, the
/// calendar month otherwise (Free, a lapsed subscription, a plan set by
/// the operator's command).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsagePeriod {
    /// The counters' key: `YYYY-MM`, or `p<start ms>` for a billing period.
    pub key: String,
    /// When the allowance starts afresh (ms): the next calendar month, or
    /// the billing period's end (the renewal's payment starts the next one).
    pub resets_at: i64,
    pub billing_period: bool,
}

pub async fn usage_period<'e>(
    db: impl sqlx::Executor<'e, Database = Any>,
    key: &PayerKey,
    now: i64,
) -> Result<UsagePeriod, sqlx::Error> {
    let (table, column) = key.plan_column();
    let paid: Option<(i64, i64)> = sqlx::query_as(&format!(
        "SELECT b.usage_period_start, b.usage_period_end FROM billing_accounts b JOIN {table} t ON t.id = b.owner_id
         WHERE b.payer = $1 AND b.owner_id = $2 AND t.{column} <> 'free' AND b.usage_period_start IS NOT NULL
           AND b.usage_period_end IS NOT NULL AND b.status IN ('trialing', 'active', 'past_due')"
    ))
    .bind(key.kind)
    .bind(&key.owner_id)
    .fetch_optional(db)
    .await?;
    Ok(match paid {
        Some((start, end)) => UsagePeriod { key: format!("p{start}"), resets_at: end, billing_period: true },
        None => UsagePeriod { key: month_of(now), resets_at: next_month(now), billing_period: false },
    })
}

/// Forgets a payer's billing (its account is being deleted), in `tx`.
pub async fn forget(tx: &mut Transaction<'_, Any>, key: &PayerKey) -> Result<(), sqlx::Error> {
    for table in ["billing_accounts", "plan_changes"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE payer = $1 AND owner_id = $2"))
            .bind(key.kind)
            .bind(&key.owner_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// A payer's billing for their data export: the subscription as last
/// reported and every plan change (no card data: Stripe keeps that).
pub async fn export(db: &AnyPool, key: &PayerKey) -> Result<serde_json::Value, sqlx::Error> {
    let row = get(db, key).await?;
    let changes: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT from_plan, to_plan, source, created_at FROM plan_changes WHERE payer = $1 AND owner_id = $2 ORDER BY id",
    )
    .bind(key.kind)
    .bind(&key.owner_id)
    .fetch_all(db)
    .await?;
    Ok(serde_json::json!({
        "subscription": row.map(|r| serde_json::json!({
            "stripe_customer": r.customer_id, "stripe_subscription": r.subscription_id, "plan": r.plan,
            "interval": r.billing_interval, "status": r.status, "period_end": r.period_end, "cancel_at": r.cancel_at,
        })),
        "plan_changes": changes.into_iter().map(|(from, to, source, at)| {
            serde_json::json!({ "from": from, "to": to, "by": source, "at": at })
        }).collect::<Vec<_>>(),
    }))
}
