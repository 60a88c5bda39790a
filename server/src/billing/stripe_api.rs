//! Stripe's API as billing uses it, through async-stripe: customers,
//! Checkout, the Customer Portal, reading a subscription back, changing
//! its price (previewed first) and listing invoices. Nothing
//! else in the server names a Stripe type; what comes back is our own
//! [`SubscriptionState`].

use std::collections::HashMap;
use std::time::Duration;

use app::billing::{InvoiceSummary, PortalFlow, PreviewLine, SubscriptionStatus};
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_billing::billing_portal_session::{
    CreateBillingPortalSession, CreateBillingPortalSessionFlowData,
    CreateBillingPortalSessionFlowDataSubscriptionCancel, CreateBillingPortalSessionFlowDataType,
};
use stripe_billing::invoice::{
    CreatePreviewInvoice, CreatePreviewInvoiceSubscriptionDetails, CreatePreviewInvoiceSubscriptionDetailsItems,
    CreatePreviewInvoiceSubscriptionDetailsProrationBehavior, ListInvoice,
};
use stripe_billing::subscription::{
    RetrieveSubscription, UpdateSubscription, UpdateSubscriptionItems, UpdateSubscriptionPaymentBehavior,
    UpdateSubscriptionProrationBehavior,
};
use stripe_billing::Subscription;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionSubscriptionData,
};
use stripe_checkout::CheckoutSessionMode;
use stripe_client_core::{RequestBuilder, StripeMethod};
use stripe_core::customer::CreateCustomer;

use super::settings::StripeConfig;
use crate::error::AppError;

/// Stripe's API for one account.
pub struct StripeApi {
    client: Client,
}

/// A subscription as Stripe reports it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionState {
    pub id: String,
    pub customer_id: String,
    pub status: Option<SubscriptionStatus>,
    /// The first item and its price (we sell one price per subscription).
    pub item_id: Option<String>,
    pub price_id: Option<String>,
    /// Seconds, as Stripe counts.
    pub period_start: Option<i64>,
    pub period_end: Option<i64>,
    /// When a scheduled cancellation takes effect (cancel at period end, or a date).
    pub cancel_at: Option<i64>,
    pub trial_end: Option<i64>,
    pub created: i64,
}

/// What we put on a customer and a subscription, so Stripe's records name
/// who pays.
pub struct PayerTag<'a> {
    pub payer: &'a str,
    pub owner_id: &'a str,
}

impl PayerTag<'_> {
    fn metadata(&self) -> HashMap<String, String> {
        HashMap::from([
            ("lodestar_payer".to_owned(), self.payer.to_owned()),
            ("lodestar_id".to_owned(), self.owner_id.to_owned()),
        ])
    }
}

impl StripeApi {
    pub fn new(config: &StripeConfig) -> Result<Self, AppError> {
        // Already installed (another client, a second app in tests) is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = ClientBuilder::new(config.secret_key.expose())
            .url(config.api_base.as_str())
            // Stripe answers in well under a second; a page waits no longer than this.
            .timeout(Duration::from_secs(20))
            .request_strategy(RequestStrategy::ExponentialBackoff(3))
            .build()?;
        Ok(StripeApi { client })
    }

    /// Creates the payer's customer. The idempotency key makes two clicks
    /// (or two processes) within Stripe's 24 hours one customer.
    pub async fn create_customer(&self, tag: &PayerTag<'_>, email: &str, name: &str) -> Result<String, AppError> {
        let key = IdempotencyKey::new(format!("lodestar-customer-{}-{}", tag.payer, tag.owner_id))
            .map_err(|e| AppError::Task(format!("idempotency key: {e}")))?;
        let customer = CreateCustomer::new()
            .email(email)
            .name(name)
            .metadata(tag.metadata())
            .customize()
            .request_strategy(RequestStrategy::Idempotent(key))
            .send(&self.client)
            .await?;
        Ok(customer.id.to_string())
    }

    /// A Checkout page selling `price_id` as a subscription to `customer_id`.
    pub async fn checkout(
        &self,
        customer_id: &str,
        price_id: &str,
        tag: &PayerTag<'_>,
        return_to: &str,
    ) -> Result<String, AppError> {
        let mut item = CreateCheckoutSessionLineItems::new();
        item.price = Some(price_id.to_owned());
        item.quantity = Some(1);
        let mut subscription = CreateCheckoutSessionSubscriptionData::new();
        subscription.metadata = Some(tag.metadata());
        let session = CreateCheckoutSession::new()
            .mode(CheckoutSessionMode::Subscription)
            .customer(customer_id)
            .client_reference_id(format!("{}:{}", tag.payer, tag.owner_id))
            .line_items(vec![item])
            .subscription_data(subscription)
            .success_url(format!("{return_to}?checkout=done"))
            .cancel_url(format!("{return_to}?checkout=canceled"))
            .send(&self.client)
            .await?;
        session.url.ok_or_else(|| AppError::Task("Stripe made a Checkout session without an address".into()))
    }

    /// A Customer Portal session, opened at `flow` (cancelling needs the subscription).
    pub async fn portal(
        &self,
        customer_id: &str,
        flow: PortalFlow,
        subscription_id: Option<&str>,
        return_to: &str,
    ) -> Result<String, AppError> {
        let mut request = CreateBillingPortalSession::new().customer(customer_id).return_url(return_to);
        match (flow, subscription_id) {
            (PortalFlow::PaymentMethod, _) => {
                request = request.flow_data(CreateBillingPortalSessionFlowData::new(
                    CreateBillingPortalSessionFlowDataType::PaymentMethodUpdate,
                ));
            }
            (PortalFlow::Cancel, Some(subscription)) => {
                let mut flow =
                    CreateBillingPortalSessionFlowData::new(CreateBillingPortalSessionFlowDataType::SubscriptionCancel);
                flow.subscription_cancel =
                    Some(CreateBillingPortalSessionFlowDataSubscriptionCancel::new(subscription));
                request = request.flow_data(flow);
            }
            (PortalFlow::Home | PortalFlow::Cancel, _) => {}
        }
        Ok(request.send(&self.client).await?.url)
    }

    /// The subscription as it stands now: applying this rather than an
    /// event's copy makes the order events arrive in irrelevant. `None`:
    /// Stripe has no such subscription (another account's, or a test's).
    pub async fn subscription(&self, id: &str) -> Result<Option<SubscriptionState>, AppError> {
        match RetrieveSubscription::new(id).send(&self.client).await {
            Ok(sub) => Ok(Some(state_of(sub))),
            Err(StripeError::Stripe(_, 404)) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// What moving `subscription_id`'s item to `price_id` at
    /// `proration_date` (s) would invoice now: Stripe's own proration.
    pub async fn preview_change(
        &self,
        customer_id: &str,
        change: &PriceChange<'_>,
    ) -> Result<(Vec<PreviewLine>, i64, String), AppError> {
        let mut item = CreatePreviewInvoiceSubscriptionDetailsItems::new();
        item.id = Some(change.item_id.to_owned());
        item.price = Some(change.price_id.to_owned());
        let mut details = CreatePreviewInvoiceSubscriptionDetails::new();
        details.items = Some(vec![item]);
        details.proration_behavior = Some(CreatePreviewInvoiceSubscriptionDetailsProrationBehavior::AlwaysInvoice);
        details.proration_date = Some(change.proration_date);
        let invoice = CreatePreviewInvoice::new()
            .customer(customer_id)
            .subscription(change.subscription_id)
            .subscription_details(details)
            .send(&self.client)
            .await?;
        let lines = invoice
            .lines
            .data
            .into_iter()
            .map(|line| PreviewLine { description: line.description.unwrap_or_default(), amount: line.amount })
            .collect();
        Ok((lines, invoice.total, invoice.currency.to_string()))
    }

    /// Moves the subscription to the new price, invoicing the proration at
    /// once; a declined card changes nothing (`error_if_incomplete`).
    pub async fn change_price(&self, change: &PriceChange<'_>) -> Result<SubscriptionState, AppError> {
        let mut item = UpdateSubscriptionItems::new();
        item.id = Some(change.item_id.to_owned());
        item.price = Some(change.price_id.to_owned());
        let sub = UpdateSubscription::new(change.subscription_id)
            .items(vec![item])
            .proration_behavior(UpdateSubscriptionProrationBehavior::AlwaysInvoice)
            .proration_date(change.proration_date)
            .payment_behavior(UpdateSubscriptionPaymentBehavior::ErrorIfIncomplete)
            .send(&self.client)
            .await?;
        Ok(state_of(sub))
    }

    /// What Stripe sells as `price_id` (`None`: no such price).
    pub async fn price(&self, price_id: &str) -> Result<Option<PriceFacts>, AppError> {
        let asked = RequestBuilder::new(StripeMethod::Get, format!("/prices/{price_id}"))
            .customize::<stripe_shared::Price>()
            .send(&self.client)
            .await;
        match asked {
            Ok(price) => Ok(Some(PriceFacts {
                active: price.active,
                interval: price.recurring.map(|r| r.interval.as_str().to_owned()),
                amount: price.unit_amount,
                currency: price.currency.to_string(),
            })),
            Err(StripeError::Stripe(_, 404)) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// The customer's latest invoices, newest first.
    pub async fn invoices(&self, customer_id: &str, limit: i64) -> Result<Vec<InvoiceSummary>, AppError> {
        let list = ListInvoice::new().customer(customer_id).limit(limit).send(&self.client).await?;
        Ok(list
            .data
            .into_iter()
            .map(|invoice| InvoiceSummary {
                number: invoice.number,
                created: invoice.created * 1000,
                total: invoice.total,
                currency: invoice.currency.to_string(),
                status: invoice.status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
                url: invoice.hosted_invoice_url,
                pdf: invoice.invoice_pdf,
            })
            .collect())
    }
}

/// What a Stripe price sells: whether it is on sale, how often it bills
/// (`None`: once) and how much, in `currency`'s smallest unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceFacts {
    pub active: bool,
    pub interval: Option<String>,
    pub amount: Option<i64>,
    pub currency: String,
}

/// A subscription's one item moved to another price, prorated at `proration_date` (s).
pub struct PriceChange<'a> {
    pub subscription_id: &'a str,
    pub item_id: &'a str,
    pub price_id: &'a str,
    pub proration_date: i64,
}

fn state_of(sub: Subscription) -> SubscriptionState {
    let item = sub.items.data.first();
    SubscriptionState {
        id: sub.id.to_string(),
        customer_id: sub.customer.id().to_string(),
        status: SubscriptionStatus::parse(sub.status.as_str()),
        item_id: item.map(|item| item.id.to_string()),
        price_id: item.map(|item| item.price.id.to_string()),
        period_start: item.map(|item| item.current_period_start),
        period_end: item.map(|item| item.current_period_end),
        cancel_at: sub.cancel_at.or(if sub.cancel_at_period_end { item.map(|i| i.current_period_end) } else { None }),
        trial_end: sub.trial_end,
        created: sub.created,
    }
}
