//! Billing through Stripe. `settings.rs`: the keys and prices. `stripe_api.rs`:
//! Stripe's API (async-stripe) as we use it. `webhook.rs`: the signed
//! deliveries, recorded before they are answered. `events.rs`: events as
//! stored and claimed. `sync.rs`: a subscription's state applied to a payer
//! (pure, property-tested). `accounts.rs`: billing rows and the plan in force.
//! `notices.rs`: the emails. `command.rs`: `server plan set` for self-hosters.
//!
//! `Billing` implements `BillingService`, applies recorded events (at once,
//! at start-up, and every [`SWEEP_EVERY`] for any left behind) and returns
//! payers whose grace period ended to Free.

pub mod accounts;
pub mod command;
pub mod events;
pub mod notices;
pub mod settings;
pub mod stripe_api;
pub mod sync;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use app::billing::{BillingInterval, BillingOverview, Payer, PlanChoice, PortalFlow, SubscriptionStatus};
use app::error::ServiceError;
use app::permissions::Action;
use app::plans::Tier;
use app::services::{BillingService, Caller};
use async_trait::async_trait;
use serde_json::Value;

use self::accounts::PayerKey;
use self::events::Delivered;
use self::settings::BillingConfig;
use self::stripe_api::{PayerTag, StripeApi, SubscriptionState};
use self::sync::Notice;
use crate::accounts::Accounts;
use crate::error::AppError;
use crate::sql::{now_millis, SqlStore};

/// How often each process looks for events left unapplied and grace periods that ended.
pub const SWEEP_EVERY: Duration = Duration::from_secs(30);
const SWEEP_BATCH: i64 = 100;

pub struct Billing {
    sql: SqlStore,
    accounts: Arc<Accounts>,
    config: BillingConfig,
    stripe: Option<StripeApi>,
    public_url: String,
}

impl Billing {
    pub fn new(config: &crate::config::Config, sql: SqlStore, accounts: Arc<Accounts>) -> Result<Self, AppError> {
        let stripe = config.billing.stripe.as_ref().map(StripeApi::new).transpose()?;
        Ok(Billing { sql, accounts, config: config.billing.clone(), stripe, public_url: config.public_url.clone() })
    }

    /// The secret webhook deliveries are signed with, when Stripe is set up.
    pub fn webhook_secret(&self) -> Option<&str> {
        self.config.stripe.as_ref().map(|s| s.webhook_secret.expose())
    }

    /// Applies what earlier processes recorded but did not apply (at
    /// start-up, whoever held them), then sweeps every [`SWEEP_EVERY`].
    pub fn start(self: &Arc<Self>) {
        let billing = self.clone();
        tokio::spawn(async move {
            billing.apply_pending(true).await;
            let mut every = tokio::time::interval(SWEEP_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            every.tick().await;
            loop {
                every.tick().await;
                billing.apply_pending(false).await;
                if let Err(error) = billing.end_grace_periods(now_millis()).await {
                    tracing::warn!(%error, "could not end the grace periods due");
                }
            }
        });
    }

    /// Applies every recorded event not applied yet; answers how many were.
    pub async fn apply_pending(&self, at_start: bool) -> usize {
        let pending = match events::pending(self.sql.pool(), at_start, SWEEP_BATCH).await {
            Ok(pending) => pending,
            Err(error) => {
                tracing::warn!(%error, "could not read the Stripe events left to apply");
                return 0;
            }
        };
        let mut applied = 0;
        for id in pending {
            applied += usize::from(self.apply(&id, at_start).await);
        }
        applied
    }

    /// Applies event `id` if this process can claim it; `false` if it was
    /// not applied (another holds it, or it failed and waits for the sweep).
    pub async fn apply(&self, id: &str, at_start: bool) -> bool {
        let event = match events::claim(self.sql.pool(), id, at_start).await {
            Ok(Some(event)) => event,
            Ok(None) => return false,
            Err(error) => {
                tracing::warn!(%error, event = id, "could not claim a Stripe event");
                return false;
            }
        };
        match self.apply_event(&event).await {
            Ok(outcome) => {
                tracing::info!(event = %event.id, kind = %event.kind, %outcome, "applied a Stripe event");
                true
            }
            Err(error) => {
                tracing::warn!(%error, event = %event.id, kind = %event.kind, "a Stripe event waits to be applied again");
                let _ = events::release(self.sql.pool(), &event.id, &error.to_string()).await;
                false
            }
        }
    }

    async fn apply_event(&self, event: &Delivered) -> Result<String, AppError> {
        let payload: Value = serde_json::from_str(&event.payload).unwrap_or(Value::Null);
        let object = &payload["data"]["object"];
        let subscription_id = match event.kind.as_str() {
            "customer.subscription.created"
            | "customer.subscription.updated"
            | "customer.subscription.deleted"
            | "customer.subscription.trial_will_end" => object["id"].as_str(),
            "checkout.session.completed" => object["subscription"].as_str(),
            // Invoices name their subscription under `parent` since Stripe's 2025 API, at the top before.
            "invoice.paid" | "invoice.payment_failed" => {
                object["parent"]["subscription_details"]["subscription"].as_str().or(object["subscription"].as_str())
            }
            _ => None,
        };
        let (Some(subscription_id), Some(stripe)) = (subscription_id, self.stripe.as_ref()) else {
            return self.finish(event, "ignored").await;
        };
        let state = stripe.subscription(subscription_id).await?;
        let Some(key) = accounts::by_customer(self.sql.pool(), &state.customer_id).await? else {
            return self.finish(event, "ignored: a customer Lodestar did not create").await;
        };
        let (outcome, notices) = self.sync(&key, &state, Some(event)).await?;
        let mut notices: Vec<_> = notices.into_iter().map(Told::Notice).collect();
        if event.kind == "customer.subscription.trial_will_end" {
            notices.extend(state.trial_end.map(|s| Told::TrialEnding(s * 1000)));
        }
        self.tell(&key, notices).await;
        Ok(outcome)
    }

    async fn finish(&self, event: &Delivered, outcome: &str) -> Result<String, AppError> {
        let mut tx = self.sql.pool().begin().await?;
        events::mark_applied(&mut tx, &event.id, outcome).await?;
        tx.commit().await?;
        Ok(outcome.to_owned())
    }

    /// Writes `state` into the payer's billing and the plan in force, in
    /// one transaction with the event that asked (if any) marked applied.
    async fn sync(
        &self,
        key: &PayerKey,
        state: &SubscriptionState,
        event: Option<&Delivered>,
    ) -> Result<(String, Vec<Notice>), AppError> {
        let now = now_millis();
        let subscribed = self.subscribed_plan(key, state);
        let mut tx = self.sql.pool().begin().await?;
        let before = accounts::lock(&mut tx, key).await?.unwrap_or_default();
        let grace_ms = i64::try_from(self.config.grace.as_millis()).unwrap_or(i64::MAX);
        let (outcome, notices) = match sync::next_row(&before, state, subscribed, grace_ms, now) {
            None => {
                (format!("kept {}: {} is older or ended", before.subscription_id.unwrap_or_default(), state.id), vec![])
            }
            Some(after) => {
                accounts::save(&mut tx, key, &after).await?;
                let mut notices = sync::notices(&before, &after);
                let plan = sync::in_force(&after, now);
                if let Some(from) = accounts::set_plan_in_force(&mut tx, key, plan.slug(), "stripe").await? {
                    notices.push(Notice::PlanChanged { from: Tier::of_plan(&from), to: plan });
                    audit_plan(&mut tx, key, &from, plan.slug(), "Stripe").await?;
                }
                (format!("synced {} ({})", state.id, after.status.unwrap_or_default()), notices)
            }
        };
        if let Some(event) = event {
            events::mark_applied(&mut tx, &event.id, &outcome).await?;
        }
        tx.commit().await?;
        Ok((outcome, notices))
    }

    /// The plan and interval `state`'s price sells, if it is one of ours for this payer's product.
    fn subscribed_plan(&self, key: &PayerKey, state: &SubscriptionState) -> Option<(Tier, BillingInterval)> {
        let stripe = self.config.stripe.as_ref()?;
        let price = stripe.plan_of_price(state.price_id.as_deref()?)?;
        (price.product == key.product()).then_some((price.tier, price.interval))
    }

    /// Returns to Free every payer whose grace period ended by `now`.
    pub async fn end_grace_periods(&self, now: i64) -> Result<usize, AppError> {
        let due = accounts::past_grace(self.sql.pool(), now).await?;
        let mut ended = 0;
        for key in due {
            let mut tx = self.sql.pool().begin().await?;
            let Some(row) = accounts::lock(&mut tx, &key).await? else { continue };
            let plan = sync::in_force(&row, now);
            let changed = accounts::set_plan_in_force(&mut tx, &key, plan.slug(), "stripe").await?;
            if let Some(from) = &changed {
                audit_plan(&mut tx, &key, from, plan.slug(), "grace period ended").await?;
            }
            tx.commit().await?;
            if let Some(from) = changed {
                ended += 1;
                self.tell(&key, vec![Told::Notice(Notice::PlanChanged { from: Tier::of_plan(&from), to: plan })]).await;
            }
        }
        Ok(ended)
    }

    async fn tell(&self, key: &PayerKey, told: Vec<Told>) {
        if told.is_empty() {
            return;
        }
        let recipients = match notices::recipients(self.sql.pool(), key, &self.public_url).await {
            Ok(recipients) => recipients,
            Err(error) => {
                tracing::warn!(%error, "could not find whom to tell about billing");
                return;
            }
        };
        for recipient in &recipients {
            for item in &told {
                let email = match item {
                    Told::Notice(notice) => notices::email(recipient, key, notice),
                    Told::TrialEnding(at) => notices::trial_ending(recipient, key, *at),
                };
                self.accounts.mailer().send(email).await;
            }
        }
    }

    /// The payer the caller may act for (a workspace's owner: billing is
    /// theirs alone; or the signed-in person), and who the caller is.
    async fn payer_key(&self, caller: &Caller, payer: &Payer) -> Result<Acting, ServiceError> {
        match payer {
            Payer::Workspace(id) => {
                let actor = self.accounts.authorize(caller, id, Action::ManageBilling).await?;
                let workspace = Some(actor.workspace.name.clone());
                Ok(Acting { key: PayerKey::workspace(id), person_id: actor.user_id().to_owned(), workspace })
            }
            Payer::Person => {
                let person_id = self.accounts.person_id(caller).await?;
                Ok(Acting { key: PayerKey::person(&person_id), person_id, workspace: None })
            }
        }
    }

    fn return_to(&self, key: &PayerKey) -> String {
        if key.kind == "workspace" {
            format!("{}/app/w/{}/billing", self.public_url, key.owner_id)
        } else {
            format!("{}/app/account", self.public_url)
        }
    }

    fn stripe(&self) -> Result<&StripeApi, ServiceError> {
        self.stripe.as_ref().ok_or_else(|| {
            ServiceError::Rejected(
                "Payments are not set up on this server. Its operator can set plans with `server plan set`.".into(),
            )
        })
    }
}

/// A payer, and the person acting for them.
struct Acting {
    key: PayerKey,
    person_id: String,
    /// The workspace's name, when it pays.
    workspace: Option<String>,
}

/// What a payer is told after a change.
enum Told {
    Notice(Notice),
    TrialEnding(i64),
}

#[async_trait]
impl BillingService for Billing {
    async fn overview(&self, caller: &Caller, payer: Payer) -> Result<BillingOverview, ServiceError> {
        let key = self.payer_key(caller, &payer).await?.key;
        let row = accounts::get(self.sql.pool(), &key).await.map_err(AppError::from)?.unwrap_or_default();
        let plan = accounts::plan_in_force(self.sql.pool(), &key).await.map_err(AppError::from)?.unwrap_or_default();
        let plan = Tier::of_plan(&plan).slug().to_owned();
        let status = row.status.as_deref().and_then(SubscriptionStatus::parse);
        let live = status.is_some_and(SubscriptionStatus::keeps_the_plan);
        let offers = self
            .config
            .stripe
            .iter()
            .flat_map(|s| s.prices.iter())
            .filter(|p| p.product == key.product())
            .map(|p| (p.tier.slug().to_owned(), p.interval))
            .collect();
        Ok(BillingOverview {
            subscribed: (live && row.plan != plan).then(|| row.plan.clone()),
            plan,
            status,
            interval: row.billing_interval.as_deref().and_then(BillingInterval::parse),
            period_end: row.period_end.filter(|_| live),
            cancel_at: row.cancel_at.filter(|_| live),
            grace_ends_at: row.grace_ends_at,
            trial_end: row.trial_end.filter(|_| status == Some(SubscriptionStatus::Trialing)),
            stripe: self.stripe.is_some(),
            offers,
            has_customer: row.customer_id.is_some(),
        })
    }

    async fn checkout(&self, caller: &Caller, payer: Payer, choice: PlanChoice) -> Result<String, ServiceError> {
        let Acting { key, person_id, workspace } = self.payer_key(caller, &payer).await?;
        let stripe = self.stripe()?;
        let price = self
            .config
            .stripe
            .as_ref()
            .and_then(|s| s.price(key.product(), choice.tier, choice.interval))
            .ok_or_else(|| ServiceError::invalid("plan", "That plan is not sold here with that billing period."))?;
        let row = accounts::get(self.sql.pool(), &key).await.map_err(AppError::from)?.unwrap_or_default();
        if row.status.as_deref().and_then(SubscriptionStatus::parse).is_some_and(SubscriptionStatus::keeps_the_plan) {
            return Err(ServiceError::Rejected(format!(
                "You already subscribe to {}: change or cancel it from \"Manage billing\".",
                Tier::of_plan(&row.plan).label()
            )));
        }
        let tag = PayerTag { payer: key.kind, owner_id: &key.owner_id };
        let customer = match row.customer_id {
            Some(customer) => customer,
            None => {
                let (email, name) = notices::person(self.sql.pool(), &person_id)
                    .await
                    .map_err(AppError::from)?
                    .ok_or(ServiceError::NotFound)?;
                let created = stripe.create_customer(&tag, &email, &workspace.unwrap_or(name)).await?;
                accounts::keep_customer(self.sql.pool(), &key, &created).await.map_err(AppError::from)?
            }
        };
        Ok(stripe.checkout(&customer, &price.price_id, &tag, &self.return_to(&key)).await?)
    }

    async fn portal(&self, caller: &Caller, payer: Payer, flow: PortalFlow) -> Result<String, ServiceError> {
        let key = self.payer_key(caller, &payer).await?.key;
        let stripe = self.stripe()?;
        let row = accounts::get(self.sql.pool(), &key).await.map_err(AppError::from)?.unwrap_or_default();
        let customer = row
            .customer_id
            .ok_or_else(|| ServiceError::Rejected("There is nothing to manage yet: choose a plan first.".into()))?;
        Ok(stripe.portal(&customer, flow, row.subscription_id.as_deref(), &self.return_to(&key)).await?)
    }
}

/// For the operator's command and tests: puts `key` on `plan` outside
/// Stripe, recorded in `plan_changes` and the workspace's audit log.
pub async fn set_plan_by_command(sql: &SqlStore, key: &PayerKey, plan: Tier) -> Result<Option<String>, AppError> {
    let mut tx = sql.pool().begin().await?;
    let changed = accounts::set_plan_in_force(&mut tx, key, plan.slug(), "command").await?;
    if let Some(from) = &changed {
        audit_plan(&mut tx, key, from, plan.slug(), "server plan set").await?;
    }
    tx.commit().await?;
    Ok(changed)
}

/// Records a workspace's plan change in its audit log (a person's is in
/// `plan_changes` alone).
async fn audit_plan(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    key: &PayerKey,
    from: &str,
    to: &str,
    by: &str,
) -> Result<(), sqlx::Error> {
    if key.kind != "workspace" {
        return Ok(());
    }
    let detail = format!("{} → {} ({by})", Tier::of_plan(from).label(), Tier::of_plan(to).label());
    crate::accounts::audit_unattended(&mut **tx, &key.owner_id, "plan.changed", &detail).await
}
