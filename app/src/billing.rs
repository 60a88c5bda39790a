//! Billing: a workspace's plan (bought by its owner) and a person's mentor
//! plan (bought by the person), paid through Stripe Checkout and managed in
//! Stripe's Customer Portal. The state a page shows is what Stripe last told
//! the server (`server/src/billing/`); the plans and what each allows are in
//! [`crate::plans`].

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::format::format_count;
use crate::error::ServiceError;
use crate::mentor_chat::MentorUsage;
use crate::plans::{Product, Tier};

/// Who pays: a workspace (its owner decides) or the signed-in person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payer {
    Workspace(String),
    Person,
}

impl Payer {
    /// `None` is the person: how server functions carry it.
    pub fn from_workspace(workspace_id: Option<String>) -> Self {
        workspace_id.filter(|id| !id.is_empty()).map_or(Payer::Person, Payer::Workspace)
    }

    pub fn product(&self) -> Product {
        match self {
            Payer::Workspace(_) => Product::SupportBot,
            Payer::Person => Product::CareerMentor,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BillingInterval {
    Month,
    Year,
}

impl BillingInterval {
    pub fn as_str(self) -> &'static str {
        match self {
            BillingInterval::Month => "month",
            BillingInterval::Year => "year",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "month" => Some(BillingInterval::Month),
            "year" => Some(BillingInterval::Year),
            _ => None,
        }
    }
}

/// A subscription's status, as Stripe names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubscriptionStatus {
    Trialing,
    Active,
    PastDue,
    Unpaid,
    Canceled,
    Incomplete,
    IncompleteExpired,
    Paused,
}

impl SubscriptionStatus {
    pub const ALL: [SubscriptionStatus; 8] = [
        SubscriptionStatus::Trialing,
        SubscriptionStatus::Active,
        SubscriptionStatus::PastDue,
        SubscriptionStatus::Unpaid,
        SubscriptionStatus::Canceled,
        SubscriptionStatus::Incomplete,
        SubscriptionStatus::IncompleteExpired,
        SubscriptionStatus::Paused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Trialing => "trialing",
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::PastDue => "past_due",
            SubscriptionStatus::Unpaid => "unpaid",
            SubscriptionStatus::Canceled => "canceled",
            SubscriptionStatus::Incomplete => "incomplete",
            SubscriptionStatus::IncompleteExpired => "incomplete_expired",
            SubscriptionStatus::Paused => "paused",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            SubscriptionStatus::Trialing => "Trial",
            SubscriptionStatus::Active => "Active",
            SubscriptionStatus::PastDue => "Payment failed",
            SubscriptionStatus::Unpaid => "Unpaid",
            SubscriptionStatus::Canceled => "Canceled",
            SubscriptionStatus::Incomplete => "Awaiting payment",
            SubscriptionStatus::IncompleteExpired => "Payment never completed",
            SubscriptionStatus::Paused => "Paused",
        }
    }

    /// The plan is used while the subscription is in this state (past due
    /// only until the grace period ends: [`effective_tier`]).
    pub fn keeps_the_plan(self) -> bool {
        matches!(self, SubscriptionStatus::Trialing | SubscriptionStatus::Active | SubscriptionStatus::PastDue)
    }
}

/// The plan a payer gets now: what they subscribed to while it is trialing
/// or active, or past due within its grace period; Free otherwise (unpaid,
/// canceled, never paid, paused), which limits but deletes nothing.
pub fn effective_tier(
    subscribed: Tier,
    status: Option<SubscriptionStatus>,
    grace_ends_at: Option<i64>,
    now: i64,
) -> Tier {
    match status {
        Some(SubscriptionStatus::Trialing | SubscriptionStatus::Active) => subscribed,
        Some(SubscriptionStatus::PastDue) if grace_ends_at.is_none_or(|end| now < end) => subscribed,
        Some(_) => Tier::Free,
        // No subscription: a plan set by the operator's command, or Free.
        None => subscribed,
    }
}

/// A paid plan to buy: the tier and how often it is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanChoice {
    pub tier: Tier,
    pub interval: BillingInterval,
}

impl PlanChoice {
    /// "pro" or "enterprise", "month" or "year"; Free is not bought.
    pub fn parse(plan: &str, interval: &str) -> Result<Self, ServiceError> {
        let tier = match Tier::of_plan(plan) {
            Tier::Free => return Err(ServiceError::invalid("plan", "Choose Pro or Enterprise.")),
            tier => tier,
        };
        let interval = BillingInterval::parse(interval)
            .ok_or_else(|| ServiceError::invalid("interval", "Choose monthly or yearly billing."))?;
        Ok(PlanChoice { tier, interval })
    }
}

/// Where the Customer Portal opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PortalFlow {
    /// The portal's home: invoices, payment methods, plan, cancellation.
    Home,
    /// Straight to updating the card (after a failed payment).
    PaymentMethod,
    /// Straight to cancelling.
    Cancel,
}

impl PortalFlow {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "home" | "" => Some(PortalFlow::Home),
            "payment_method" => Some(PortalFlow::PaymentMethod),
            "cancel" => Some(PortalFlow::Cancel),
            _ => None,
        }
    }
}

/// The billing state a page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingOverview {
    /// The plan in force now ("free", "pro", "enterprise").
    pub plan: String,
    /// The plan subscribed to, when it differs from the one in force
    /// (a lapsed payment returns the payer to Free).
    pub subscribed: Option<String>,
    pub status: Option<SubscriptionStatus>,
    pub interval: Option<BillingInterval>,
    /// The current period's end (ms): the next invoice, or the end of a
    /// scheduled cancellation.
    pub period_end: Option<i64>,
    /// When a scheduled cancellation ends the subscription (ms).
    pub cancel_at: Option<i64>,
    /// While past due: until when the plan is kept (ms).
    pub grace_ends_at: Option<i64>,
    pub trial_end: Option<i64>,
    /// Payments are set up on this server (`STRIPE_SECRET_KEY`).
    pub stripe: bool,
    /// The plans Checkout offers here: (plan, interval) pairs with a price.
    pub offers: Vec<(String, BillingInterval)>,
    /// A Stripe customer exists, so the portal can open.
    pub has_customer: bool,
    /// The person's mentor questions against the plan (personal plans only).
    pub questions: Option<MentorUsage>,
}

/// One of the payer's invoices, as Stripe keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceSummary {
    pub number: Option<String>,
    /// When it was made (ms).
    pub created: i64,
    /// In the currency's smallest unit.
    pub total: i64,
    /// ISO code, lower case as Stripe writes it ("usd").
    pub currency: String,
    /// "paid", "open", "void", "uncollectible" or "draft".
    pub status: String,
    /// Stripe's page for it (to pay it, or a receipt).
    pub url: Option<String>,
    pub pdf: Option<String>,
}

impl InvoiceSummary {
    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "paid" => "Paid",
            "open" => "Due",
            "void" => "Void",
            "uncollectible" => "Uncollectible",
            _ => "Draft",
        }
    }
}

/// One line of a proration preview: "Unused time on Pro after 7 Dec 2026", −$40.00.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewLine {
    pub description: String,
    pub amount: i64,
}

/// What changing plan would invoice now, as Stripe prorates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanChangePreview {
    pub plan: String,
    pub interval: BillingInterval,
    pub lines: Vec<PreviewLine>,
    /// Charged now when positive; a credit toward the next invoices when negative.
    pub total: i64,
    pub currency: String,
    /// The instant (s) the preview prorates at; the change uses the same, so it charges what was shown.
    pub proration_date: i64,
}

/// "$12.34", "−$40.00", "12.34 EUR" (amounts in the currency's smallest unit).
pub fn money(amount: i64, currency: &str) -> String {
    let sign = if amount < 0 { "\u{2212}" } else { "" };
    let (whole, cents) = (amount.unsigned_abs() / 100, amount.unsigned_abs() % 100);
    match currency {
        "usd" => format!("{sign}${}.{cents:02}", format_count(whole)),
        other => format!("{sign}{}.{cents:02} {}", format_count(whole), other.to_ascii_uppercase()),
    }
}

/// The payer's billing; `fresh` reads the subscription back from Stripe
/// first (on the way back from the portal, before its webhook lands).
#[server(endpoint = "billing/overview")]
pub async fn load_billing(workspace_id: Option<String>, fresh: Option<bool>) -> Result<BillingOverview, ServiceError> {
    let fresh = fresh.unwrap_or(false);
    crate::services::call(|s, caller| async move {
        s.billing.overview(&caller, Payer::from_workspace(workspace_id), fresh).await
    })
    .await
}

#[server(endpoint = "billing/invoices")]
pub async fn load_invoices(workspace_id: Option<String>) -> Result<Vec<InvoiceSummary>, ServiceError> {
    crate::services::call(
        |s, caller| async move { s.billing.invoices(&caller, Payer::from_workspace(workspace_id)).await },
    )
    .await
}

/// What moving the subscription to another plan or period would charge now.
#[server(endpoint = "billing/preview")]
pub async fn preview_plan_change(
    workspace_id: Option<String>,
    plan: String,
    interval: String,
) -> Result<PlanChangePreview, ServiceError> {
    let choice = crate::services::with_status(PlanChoice::parse(&plan, &interval))?;
    crate::services::call(|s, caller| async move {
        s.billing.preview_change(&caller, Payer::from_workspace(workspace_id), choice).await
    })
    .await
}

/// Moves the subscription to another plan or period, charging the
/// proration previewed at `proration_date`.
#[server(endpoint = "billing/change")]
pub async fn change_plan(
    workspace_id: Option<String>,
    plan: String,
    interval: String,
    proration_date: i64,
) -> Result<(), ServiceError> {
    let choice = crate::services::with_status(PlanChoice::parse(&plan, &interval))?;
    crate::services::call(|s, caller| async move {
        s.billing.change_plan(&caller, Payer::from_workspace(workspace_id), choice, proration_date).await
    })
    .await
}

/// Starts Stripe Checkout for a plan and goes there (the address is also returned).
#[server(endpoint = "billing/checkout")]
pub async fn start_checkout(
    workspace_id: Option<String>,
    plan: String,
    interval: String,
) -> Result<String, ServiceError> {
    let choice = crate::services::with_status(PlanChoice::parse(&plan, &interval))?;
    let url = crate::services::call(|s, caller| async move {
        s.billing.checkout(&caller, Payer::from_workspace(workspace_id), choice).await
    })
    .await?;
    leptos_axum::redirect(&url);
    Ok(url)
}

/// Opens the Customer Portal (at `flow`) and goes there (the address is also returned).
#[server(endpoint = "billing/portal")]
pub async fn open_portal(workspace_id: Option<String>, flow: String) -> Result<String, ServiceError> {
    let flow = crate::services::with_status(
        PortalFlow::parse(&flow).ok_or_else(|| ServiceError::invalid("flow", "Unknown portal page.")),
    )?;
    let url = crate::services::call(|s, caller| async move {
        s.billing.portal(&caller, Payer::from_workspace(workspace_id), flow).await
    })
    .await?;
    leptos_axum::redirect(&url);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_holds_while_paid_or_in_grace_and_is_free_otherwise() {
        use SubscriptionStatus::*;
        let now = 1_000;
        for status in [Trialing, Active] {
            assert_eq!(effective_tier(Tier::Pro, Some(status), None, now), Tier::Pro);
        }
        assert_eq!(effective_tier(Tier::Pro, Some(PastDue), Some(now + 1), now), Tier::Pro);
        assert_eq!(effective_tier(Tier::Pro, Some(PastDue), Some(now), now), Tier::Free, "grace over");
        for status in [Unpaid, Canceled, Incomplete, IncompleteExpired, Paused] {
            assert_eq!(effective_tier(Tier::Enterprise, Some(status), None, now), Tier::Free, "{status:?}");
        }
        assert_eq!(effective_tier(Tier::Enterprise, None, None, now), Tier::Enterprise, "set by command");
    }

    #[test]
    fn statuses_read_back_as_stripe_names_them() {
        for status in SubscriptionStatus::ALL {
            assert_eq!(SubscriptionStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(SubscriptionStatus::parse("pending"), None);
    }

    #[test]
    fn money_reads_as_people_write_it() {
        assert_eq!(money(4900, "usd"), "$49.00");
        assert_eq!(money(-4005, "usd"), "\u{2212}$40.05");
        assert_eq!(money(1234, "eur"), "12.34 EUR");
        assert_eq!(money(199_000, "usd"), "$1,990.00");
    }

    #[test]
    fn only_paid_plans_are_bought() {
        assert_eq!(
            PlanChoice::parse("pro", "year").unwrap(),
            PlanChoice { tier: Tier::Pro, interval: BillingInterval::Year }
        );
        assert!(PlanChoice::parse("free", "month").is_err());
        assert!(PlanChoice::parse("pro", "week").is_err());
    }
}
