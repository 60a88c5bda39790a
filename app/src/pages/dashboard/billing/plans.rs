//! The paid plans, monthly or yearly: bought through Stripe Checkout
//! without a subscription, or changed to with one. A change first shows
//! what Stripe would invoice now (the unused time credited, the new
//! plan's remaining time charged) and happens only once confirmed, at the
//! same proration instant, so the charge is what was shown.

use leptos::prelude::*;

use crate::billing::{money, BillingInterval, ChangePlan, PlanChangePreview, PreviewPlanChange, StartCheckout};
use crate::components::forms::{FormAlert, Outcome, Submit, Tone};
use crate::plans::{dollars, entitlements, Product, Tier};

/// The plan a live subscription pays for: changing it is offered instead of buying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Current {
    pub tier: Tier,
    pub interval: BillingInterval,
}

/// What the page says after a change went through.
pub type Changed = RwSignal<Option<String>>;

#[component]
pub fn Plans(
    product: Product,
    offers: Vec<(String, BillingInterval)>,
    payer: Option<String>,
    current: Option<Current>,
    changed: Changed,
) -> impl IntoView {
    let yearly_sold = offers.iter().any(|(_, interval)| *interval == BillingInterval::Year);
    let interval = RwSignal::new(current.map_or(BillingInterval::Month, |c| c.interval));
    let offers = StoredValue::new(offers);
    let payer = StoredValue::new(payer);
    let choice = move |value: BillingInterval, label: &'static str| {
        view! {
            <button type="button" class="segment" role="radio" aria-checked=move || (interval.get() == value).to_string()
                on:click=move |_| interval.set(value)>{label}</button>
        }
    };
    let switch = yearly_sold.then(|| {
        view! {
            <div class="segmented" role="radiogroup" aria-label="Billing period">
                {choice(BillingInterval::Month, "Monthly")}
                {choice(BillingInterval::Year, "Yearly: two months free")}
            </div>
        }
    });
    let (title, footnote) = match current {
        None => ("Upgrade", "Payment is taken by Stripe; we never see your card. Cancel at any time."),
        Some(_) => (
            "Change plan",
            "A change takes effect at once: the unused part of this period is credited and the new plan's is charged, as shown before you confirm.",
        ),
    };
    view! {
        <section class="panel" aria-labelledby="plans-title">
            <div class="panel-head">
                <h2 id="plans-title">{title}</h2>
                {switch}
            </div>
            <div class="billing-plans">
                {[Tier::Pro, Tier::Enterprise]
                    .into_iter()
                    .map(|tier| view! { <PlanCard product tier interval offers payer=payer.get_value() current changed /> })
                    .collect_view()}
            </div>
            <p class="muted small">{footnote}</p>
        </section>
    }
}

#[component]
fn PlanCard(
    product: Product,
    tier: Tier,
    interval: RwSignal<BillingInterval>,
    offers: StoredValue<Vec<(String, BillingInterval)>>,
    payer: Option<String>,
    current: Option<Current>,
    changed: Changed,
) -> impl IntoView {
    let plan = product.plan(tier);
    let payer = StoredValue::new(payer);
    let sold = move || offers.with_value(|o| o.iter().any(|(t, i)| t == tier.slug() && *i == interval.get()));
    let price = move || match interval.get() {
        BillingInterval::Year => plan.yearly_price_cents.map(|c| format!("{} a year", dollars(c))),
        BillingInterval::Month => Some(format!("{} a month", plan.price_label())),
    };
    let is_current = move || current == Some(Current { tier, interval: interval.get() });
    let action = move || match current {
        None => view! { <Buy tier interval payer=payer.get_value() /> }.into_any(),
        Some(_) if is_current() => {
            view! { <p class="plan-current" data-testid="plan-current">"Your plan"</p> }.into_any()
        }
        Some(_) => view! { <Switch tier interval payer=payer.get_value() changed /> }.into_any(),
    };
    view! {
        <article class="plan" class:plan-is-current=is_current aria-labelledby=format!("plan-{}", tier.slug())>
            <h3 class="plan-name" id=format!("plan-{}", tier.slug())>{tier.label()}</h3>
            <p class="plan-price">{price}</p>
            <p class="plan-quota">{plan.quota_label()}</p>
            <ul class="checks">
                {(product == Product::SupportBot).then(|| view! { <li>{entitlements(product, tier).seats_label()}</li> })}
                {plan.features.iter().map(|f| view! { <li>{*f}</li> }).collect_view()}
            </ul>
            <Show
                when=sold
                fallback=|| view! { <p class="muted small">"Not sold here with this billing period."</p> }
            >
                {action}
            </Show>
        </article>
    }
}

fn payer_field(payer: Option<String>) -> impl IntoView {
    payer.map(|id| view! { <input type="hidden" name="workspace_id" value=id /> })
}

/// Buying through Checkout.
#[component]
fn Buy(tier: Tier, interval: RwSignal<BillingInterval>, payer: Option<String>) -> impl IntoView {
    let checkout = ServerAction::<StartCheckout>::new();
    let outcome = Outcome::of(checkout);
    view! {
        <ActionForm action=checkout attr:class="inline-form">
            {payer_field(payer)}
            <input type="hidden" name="plan" value=tier.slug() />
            <input type="hidden" name="interval" value=move || interval.get().as_str() />
            <Submit label=format!("Upgrade to {}", tier.label()) busy="Opening Checkout…" pending=checkout.pending() />
            <FormAlert message=outcome.message() />
        </ActionForm>
    }
}

/// Changing to this plan: the preview first, then the confirmation.
#[component]
fn Switch(tier: Tier, interval: RwSignal<BillingInterval>, payer: Option<String>, changed: Changed) -> impl IntoView {
    let payer = StoredValue::new(payer);
    let preview = ServerAction::<PreviewPlanChange>::new();
    let outcome = Outcome::of(preview);
    // Another period chosen: the preview shown was for the other one.
    Effect::new(move |_| {
        interval.track();
        preview.value().set(None);
    });
    let shown = move || preview.value().get().and_then(Result::ok);
    view! {
        <Show
            when=move || shown().is_some()
            fallback=move || view! {
                <ActionForm action=preview attr:class="inline-form">
                    {payer_field(payer.get_value())}
                    <input type="hidden" name="plan" value=tier.slug() />
                    <input type="hidden" name="interval" value=move || interval.get().as_str() />
                    <Submit label=format!("Switch to {}", tier.label()) busy="Asking Stripe…" pending=preview.pending() tone=Tone::Plain />
                    <FormAlert message=outcome.message() />
                </ActionForm>
            }
        >
            {move || shown().map(|p| view! { <Confirm preview=p payer=payer.get_value() cancel=move || preview.value().set(None) changed /> })}
        </Show>
    }
}

#[component]
fn Confirm(
    preview: PlanChangePreview,
    payer: Option<String>,
    cancel: impl Fn() + Send + Sync + 'static,
    changed: Changed,
) -> impl IntoView {
    let change = ServerAction::<ChangePlan>::new();
    let outcome = Outcome::of(change);
    let label = Tier::of_plan(&preview.plan).label();
    let period = match preview.interval {
        BillingInterval::Month => "monthly",
        BillingInterval::Year => "yearly",
    };
    Effect::new(move |_| {
        if change.value().get().is_some_and(|done| done.is_ok()) {
            changed.set(Some(format!("Your plan is now {label}, billed {period}. Stripe emails the invoice.")));
        }
    });
    let currency = preview.currency.clone();
    let total = if preview.total >= 0 {
        format!("Due now: {}", money(preview.total, &currency))
    } else {
        format!("Credit: {}, taken off your next invoices", money(-preview.total, &currency))
    };
    view! {
        <div class="plan-preview" role="group" aria-label=format!("Change to {label}")>
            <ul class="preview-lines">
                {preview
                    .lines
                    .iter()
                    .map(|line| view! { <li><span>{line.description.clone()}</span><span>{money(line.amount, &currency)}</span></li> })
                    .collect_view()}
            </ul>
            <p class="preview-total" data-testid="preview-total"><strong>{total}</strong></p>
            <ActionForm action=change attr:class="inline-form">
                {payer_field(payer)}
                <input type="hidden" name="plan" value=preview.plan.clone() />
                <input type="hidden" name="interval" value=preview.interval.as_str() />
                <input type="hidden" name="proration_date" value=preview.proration_date />
                <Submit label=format!("Confirm: switch to {label}") busy="Changing plan…" pending=change.pending() />
                <FormAlert message=outcome.message() />
            </ActionForm>
            <button type="button" class="button button-small" on:click=move |_| cancel()>"Keep my plan"</button>
        </div>
    }
}
