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

use app::billing::{
    BillingInterval, BillingOverview, InvoiceSummary, Payer, PlanChangePreview, PlanChoice, PortalFlow,
    SubscriptionStatus,
};
use app::error::ServiceError;
use app::permissions::Action;
use app::plans::Tier;
use app::services::{BillingService, Caller};
use async_trait::async_trait;
use serde_json::Value;

use self::accounts::PayerKey;
use self::events::Delivered;
use self::settings::BillingConfig;
use self::stripe_api::{PayerTag, PriceChange, StripeApi, SubscriptionState};
use self::sync::Notice;
use crate::accounts::throttle::{Rule, Throttle};
use crate::accounts::Accounts;
use crate::error::AppError;
use crate::sql::{now_millis, SqlStore};

/// Calls to Stripe one payer's pages may cause (Checkout, the portal,
/// invoices, previews, changes, reading back): far above a person's use,
/// and far below what would spend Stripe's limit for everyone else.
pub const STRIPE_CALLS_PER_PAYER: Rule = Rule::per_minutes(60, 10);

/// How often each process looks for events left unapplied and grace periods that ended.
pub const SWEEP_EVERY: Duration = Duration::from_secs(30);
const SWEEP_BATCH: i64 = 100;

pub struct Billing {
    /// Stripe's rate limit is the whole account's: what each payer's pages may spend of it.
    throttle: Throttle,
    sql: SqlStore,
    accounts: Arc<Accounts>,
    config: BillingConfig,
    stripe: Option<StripeApi>,
    public_url: String,
}

impl Billing {
    pub fn new(config: &crate::config::Config, sql: SqlStore, accounts: Arc<Accounts>) -> Result<Self, AppError> {
        let stripe = config.billing.stripe.as_ref().map(StripeApi::new).transpose()?;
        Ok(Billing {
            throttle: Throttle::default(),
            sql,
            accounts,
            config: config.billing.clone(),
            stripe,
            public_url: config.public_url.clone(),
        })
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
            for problem in billing.check_prices().await {
                tracing::error!(%problem, "a Stripe price does not sell what the plan table says");
            }
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

    /// Asks Stripe about every configured price: one that is missing, off
    /// sale, or sells another period or amount than the plan table would
    /// charge people what Pricing does not say. Each problem names its variable.
    pub async fn check_prices(&self) -> Vec<String> {
        let (Some(stripe), Some(config)) = (self.stripe.as_ref(), self.config.stripe.as_ref()) else {
            return Vec::new();
        };
        let mut problems = Vec::new();
        for price in &config.prices {
            let variable = settings::variable_of(price);
            let plan = price.product.plan(price.tier);
            let (cents, every) = match price.interval {
                BillingInterval::Month => (Some(plan.price_cents), "month"),
                BillingInterval::Year => (plan.yearly_price_cents, "year"),
            };
            let expected = cents.map(i64::from);
            let id = &price.price_id;
            match stripe.price(id).await {
                Ok(None) => problems.push(format!("{variable}: Stripe has no price {id}")),
                Ok(Some(facts)) => {
                    if !facts.active {
                        problems.push(format!("{variable}: {id} is archived at Stripe, so Checkout refuses it"));
                    }
                    if facts.interval.as_deref() != Some(every) {
                        let bills = facts.interval.map_or("once".to_owned(), |i| format!("every {i}"));
                        problems.push(format!("{variable}: {id} bills {bills}, not every {every}"));
                    }
                    if facts.currency != "usd" || facts.amount != expected {
                        let at_stripe = facts
                            .amount
                            .map_or("no set amount".to_owned(), |a| app::billing::money(a, &facts.currency));
                        let table = expected.map_or("nothing".to_owned(), |a| app::billing::money(a, "usd"));
                        problems
                            .push(format!("{variable}: {id} is {at_stripe} at Stripe; the plan table says {table}"));
                    }
                }
                Err(error) => problems.push(format!("{variable}: could not ask Stripe about {id} ({error})")),
            }
        }
        problems
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
        let Some(state) = stripe.subscription(subscription_id).await? else {
            return self.finish(event, "ignored: Stripe has no such subscription").await;
        };
        let Some(key) = accounts::by_customer(self.sql.pool(), &state.customer_id).await? else {
            return self.finish(event, "ignored: a customer Lodestar did not create").await;
        };
        let paid = event.kind == "invoice.paid";
        let (outcome, notices) = self.sync(&key, &state, paid, Some(event)).await?;
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
    /// one transaction with the event that asked (if any) marked applied;
    /// `paid`: an invoice of it was just paid.
    async fn sync(
        &self,
        key: &PayerKey,
        state: &SubscriptionState,
        paid: bool,
        event: Option<&Delivered>,
    ) -> Result<(String, Vec<Notice>), AppError> {
        let now = now_millis();
        let subscribed = self.subscribed_plan(key, state);
        let mut tx = self.sql.pool().begin().await?;
        let before = accounts::lock(&mut tx, key).await?.unwrap_or_default();
        let grace_ms = i64::try_from(self.config.grace.as_millis()).unwrap_or(i64::MAX);
        let (outcome, notices) = match sync::next_row(&before, state, subscribed, paid, grace_ms, now) {
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

/// The service, each method as its own `Result<_, AppError>` so storage,
/// Stripe and refusals all travel by `?`.
impl Billing {
    async fn overview_of(&self, caller: &Caller, payer: &Payer, fresh: bool) -> Result<BillingOverview, AppError> {
        let key = self.payer_key(caller, payer).await?.key;
        if fresh {
            self.read_back(&key).await;
        }
        let (row, plan) = accounts::get_with_plan(self.sql.pool(), &key).await?.unwrap_or_default();
        let questions = match payer {
            Payer::Person => {
                Some(crate::mentor::conversations::usage(self.sql.pool(), &key.owner_id, &plan, now_millis()).await?)
            }
            Payer::Workspace(_) => None,
        };
        let plan = Tier::of_plan(&plan).slug().to_owned();
        let (status, live) = (row.status(), row.live());
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
            questions,
        })
    }

    /// Applies the payer's subscription as Stripe has it now. Failing is
    /// only logged: the page then shows what the webhooks last said.
    async fn read_back(&self, key: &PayerKey) {
        let (Some(stripe), Ok(Some(row))) = (self.stripe.as_ref(), accounts::get(self.sql.pool(), key).await) else {
            return;
        };
        let Some(subscription) = row.subscription_id else { return };
        if self.spend_stripe_call(key).is_err() {
            return;
        }
        let applied = async {
            if let Some(state) = stripe.subscription(&subscription).await? {
                let (_, notices) = self.sync(key, &state, false, None).await?;
                self.tell(key, notices.into_iter().map(Told::Notice).collect()).await;
            }
            Ok::<_, AppError>(())
        };
        if let Err(error) = applied.await {
            tracing::warn!(%error, "could not read a subscription back from Stripe");
        }
    }

    async fn checkout_of(&self, caller: &Caller, payer: &Payer, choice: PlanChoice) -> Result<String, AppError> {
        let Acting { key, person_id, workspace } = self.payer_key(caller, payer).await?;
        let stripe = self.stripe()?;
        let price = self.price(&key, choice)?;
        self.spend_stripe_call(&key)?;
        let row = accounts::get(self.sql.pool(), &key).await?.unwrap_or_default();
        if row.live() {
            return Err(ServiceError::Rejected(format!(
                "You already subscribe to {}: change it under \"Change plan\", or cancel it from \"Manage billing\".",
                Tier::of_plan(&row.plan).label()
            ))
            .into());
        }
        let tag = PayerTag { payer: key.kind, owner_id: &key.owner_id };
        let customer = match row.customer_id {
            Some(customer) => customer,
            None => {
                let (email, name) =
                    notices::person(self.sql.pool(), &person_id).await?.ok_or(ServiceError::NotFound)?;
                let created = stripe.create_customer(&tag, &email, &workspace.unwrap_or(name)).await?;
                accounts::keep_customer(self.sql.pool(), &key, &created).await?
            }
        };
        stripe.checkout(&customer, price, &tag, &self.return_to(&key)).await
    }

    async fn portal_of(&self, caller: &Caller, payer: &Payer, flow: PortalFlow) -> Result<String, AppError> {
        let key = self.payer_key(caller, payer).await?.key;
        let stripe = self.stripe()?;
        let row = accounts::get(self.sql.pool(), &key).await?.unwrap_or_default();
        let customer = row
            .customer_id
            .ok_or_else(|| ServiceError::Rejected("There is nothing to manage yet: choose a plan first.".into()))?;
        self.spend_stripe_call(&key)?;
        let back = format!("{}?portal=back", self.return_to(&key));
        stripe.portal(&customer, flow, row.subscription_id.as_deref(), &back).await
    }

    async fn invoices_of(&self, caller: &Caller, payer: &Payer) -> Result<Vec<InvoiceSummary>, AppError> {
        let key = self.payer_key(caller, payer).await?.key;
        let row = accounts::get(self.sql.pool(), &key).await?.unwrap_or_default();
        match (self.stripe.as_ref(), row.customer_id) {
            (Some(stripe), Some(customer)) => {
                self.spend_stripe_call(&key)?;
                stripe.invoices(&customer, INVOICES_LISTED).await
            }
            _ => Ok(Vec::new()),
        }
    }

    /// The live subscription `choice` would change, Stripe's current copy of it, and the price to move to.
    async fn change_of(
        &self,
        caller: &Caller,
        payer: &Payer,
        choice: PlanChoice,
    ) -> Result<(PayerKey, String, SubscriptionState, &str), AppError> {
        let key = self.payer_key(caller, payer).await?.key;
        let stripe = self.stripe()?;
        let price = self.price(&key, choice)?;
        let row = accounts::get(self.sql.pool(), &key).await?.unwrap_or_default();
        let nothing = || ServiceError::Rejected("There is no paid plan to change: choose one to buy instead.".into());
        let (Some(customer), Some(subscription)) = (row.customer_id.clone(), row.subscription_id.clone()) else {
            return Err(nothing().into());
        };
        self.spend_stripe_call(&key)?;
        let state = stripe
            .subscription(&subscription)
            .await?
            .filter(|s| s.status.is_some_and(SubscriptionStatus::keeps_the_plan));
        let Some(state) = state.filter(|_| row.live()) else { return Err(nothing().into()) };
        if state.price_id.as_deref() == Some(price) {
            return Err(ServiceError::invalid("plan", "That is your plan already.").into());
        }
        if state.cancel_at.is_some() {
            return Err(ServiceError::Rejected(
                "Your plan is set to end: renew it in \"Manage billing\" before changing it.".into(),
            )
            .into());
        }
        Ok((key, customer, state, price))
    }

    async fn preview_of(
        &self,
        caller: &Caller,
        payer: &Payer,
        choice: PlanChoice,
    ) -> Result<PlanChangePreview, AppError> {
        let (_, customer, state, price_id) = self.change_of(caller, payer, choice).await?;
        let proration_date = now_millis() / 1000;
        let change = price_change(&state, price_id, proration_date)?;
        let (lines, total, currency) = self.stripe()?.preview_change(&customer, &change).await?;
        Ok(PlanChangePreview {
            plan: choice.tier.slug().to_owned(),
            interval: choice.interval,
            lines,
            total,
            currency,
            proration_date,
        })
    }

    async fn change_plan_of(
        &self,
        caller: &Caller,
        payer: &Payer,
        choice: PlanChoice,
        proration_date: i64,
    ) -> Result<(), AppError> {
        let (key, _, state, price_id) = self.change_of(caller, payer, choice).await?;
        // A preview older than this is stale: its amounts would no longer be what is charged.
        let now = now_millis() / 1000;
        if !(now - PREVIEW_VALID_SECS..=now).contains(&proration_date) {
            return Err(ServiceError::Rejected("That preview is out of date: look at the change again.".into()).into());
        }
        let change = price_change(&state, price_id, proration_date)?;
        let changed = match self.stripe()?.change_price(&change).await {
            Err(AppError::Stripe(stripe::StripeError::Stripe(_, 402))) => {
                return Err(ServiceError::Rejected(
                    "Your card was declined, so your plan did not change. Update your card in \"Manage billing\" and try again."
                        .into(),
                )
                .into());
            }
            changed => changed?,
        };
        // Applied now, as its webhook will again: the page shows the new plan at once.
        let (_, notices) = self.sync(&key, &changed, false, None).await?;
        self.tell(&key, notices.into_iter().map(Told::Notice).collect()).await;
        Ok(())
    }

    /// Counts one call to Stripe for `key`, or refuses it for a while.
    fn spend_stripe_call(&self, key: &PayerKey) -> Result<(), ServiceError> {
        let payer = format!("{}:{}", key.kind, key.owner_id);
        self.throttle
            .hit(&payer, STRIPE_CALLS_PER_PAYER)
            .map_err(|retry_after_secs| ServiceError::RateLimited { retry_after_secs })
    }

    fn price(&self, key: &PayerKey, choice: PlanChoice) -> Result<&str, ServiceError> {
        self.config
            .stripe
            .as_ref()
            .and_then(|s| s.price(key.product(), choice.tier, choice.interval))
            .map(|price| price.price_id.as_str())
            .ok_or_else(|| ServiceError::invalid("plan", "That plan is not sold here with that billing period."))
    }
}

/// Invoices the Billing page lists.
const INVOICES_LISTED: i64 = 24;
/// How long a previewed change may wait for its confirmation.
const PREVIEW_VALID_SECS: i64 = 15 * 60;

fn price_change<'a>(
    state: &'a SubscriptionState,
    price_id: &'a str,
    proration_date: i64,
) -> Result<PriceChange<'a>, AppError> {
    let item_id =
        state.item_id.as_deref().ok_or_else(|| AppError::Task(format!("subscription {} has no item", state.id)))?;
    Ok(PriceChange { subscription_id: &state.id, item_id, price_id, proration_date })
}

#[async_trait]
impl BillingService for Billing {
    async fn overview(&self, caller: &Caller, payer: Payer, fresh: bool) -> Result<BillingOverview, ServiceError> {
        Ok(self.overview_of(caller, &payer, fresh).await?)
    }

    async fn checkout(&self, caller: &Caller, payer: Payer, choice: PlanChoice) -> Result<String, ServiceError> {
        Ok(self.checkout_of(caller, &payer, choice).await?)
    }

    async fn portal(&self, caller: &Caller, payer: Payer, flow: PortalFlow) -> Result<String, ServiceError> {
        Ok(self.portal_of(caller, &payer, flow).await?)
    }

    async fn invoices(&self, caller: &Caller, payer: Payer) -> Result<Vec<InvoiceSummary>, ServiceError> {
        Ok(self.invoices_of(caller, &payer).await?)
    }

    async fn preview_change(
        &self,
        caller: &Caller,
        payer: Payer,
        choice: PlanChoice,
    ) -> Result<PlanChangePreview, ServiceError> {
        Ok(self.preview_of(caller, &payer, choice).await?)
    }

    async fn change_plan(
        &self,
        caller: &Caller,
        payer: Payer,
        choice: PlanChoice,
        proration_date: i64,
    ) -> Result<(), ServiceError> {
        Ok(self.change_plan_of(caller, &payer, choice, proration_date).await?)
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
