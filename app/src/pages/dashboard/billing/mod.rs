//! Billing: `/app/w/:id/billing` (the workspace's plan, its owner's alone)
//! and the mentor plan's section of the account page. Both show the plan
//! in force and its state as Stripe last said (paid, payment failed with
//! the grace period's end, ending on a date), the plans to buy through
//! Stripe Checkout or to change to with Stripe's proration shown first
//! (`plans.rs`), the invoices (`invoices.rs`), and the Customer Portal for
//! the card and cancelling. The workspace page also draws what the plan
//! allows against what is used (`allowance.rs`).

mod allowance;
mod invoices;
mod plans;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use self::allowance::{count_gauge, Allowance};
use self::invoices::Invoices;
use self::plans::{Changed, Current, Plans};
use super::{plan_label, Here, InWorkspace, PageHeader};
use crate::billing::{load_billing, BillingInterval, BillingOverview, OpenPortal, SubscriptionStatus};
use crate::components::feedback::{ErrorPanel, Loading, NotAllowed};
use crate::components::forms::{FormAlert, Outcome, Submit, Tone};
use crate::dates::long_date;
use crate::permissions::Action;
use crate::plans::{Product, Tier};

#[component]
pub fn BillingPage() -> impl IntoView {
    view! {
        <PageHeader title="Billing" lead="Your plan, what it allows, and payments through Stripe." />
        <InWorkspace render=move |here: Here| {
            if here.can(Action::ManageBilling) {
                view! { <Billing workspace_id=Some(here.workspace.id.clone()) product=Product::SupportBot /> }.into_any()
            } else {
                view! { <NotAllowed role=here.role() what="see or change billing (the workspace's owner does)" /> }
                    .into_any()
            }
        } />
    }
}

/// The mentor plan, on the account page.
#[component]
pub fn MentorPlan() -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="mentor-plan-title">
            <h2 id="mentor-plan-title">"Career mentor plan"</h2>
            <Billing workspace_id=None product=Product::CareerMentor />
        </section>
    }
}

/// How many times the page asks again after Checkout before it says Stripe is slow.
const CONFIRM_TRIES: u32 = 15;

/// A payer's billing: `workspace_id` or, without one, the signed-in person.
#[component]
fn Billing(workspace_id: Option<String>, product: Product) -> impl IntoView {
    let query = use_query_map();
    let returned = move || query.read().get("checkout");
    // Back from the portal: what was done there is read from Stripe at once.
    let from_portal = query.read_untracked().get("portal").is_some();
    let asked = RwSignal::new(0_u32);
    let changed: Changed = RwSignal::new(None);
    let payer = StoredValue::new(workspace_id);
    // Every section asks again together: after each look for Stripe's
    // confirmation and after a plan change.
    let asked_again = Signal::derive(move || (asked.get(), changed.get()));
    let billing = Resource::new(move || asked_again.get(), move |_| load_billing(payer.get_value(), Some(from_portal)));
    // Back from Checkout, Stripe's confirmation may trail by a few seconds:
    // ask again until the plan changes.
    Effect::new(move |_| {
        let waiting = returned().as_deref() == Some("done")
            && billing.get().and_then(Result::ok).is_some_and(|b| b.plan == "free")
            && asked.get_untracked() < CONFIRM_TRIES;
        if waiting {
            set_timeout(move || asked.update(|n| *n += 1), std::time::Duration::from_secs(2));
        }
    });
    view! {
        <Transition fallback=|| view! { <Loading label="Loading billing…" /> }>
            {move || Suspend::new(async move {
                match billing.await {
                    Ok(overview) => {
                        let note = returned().map(|how| {
                            let confirmed = overview.plan != "free";
                            checkout_note(&how, confirmed, asked.get_untracked() >= CONFIRM_TRIES)
                        });
                        let change_note = changed.get_untracked().map(|said| view! {
                            <div class="notice notice-success" role="status"><p>{said}</p></div>
                        });
                        view! {
                            {note}
                            {change_note}
                            <Overview overview product payer=payer.get_value() changed />
                        }
                        .into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
        {payer.get_value().map(|workspace_id| view! { <Allowance workspace_id asked_again /> })}
        <Invoices payer=payer.get_value() asked_again />
    }
}

/// What the page says on the way back from Checkout.
fn checkout_note(how: &str, confirmed: bool, gave_up: bool) -> AnyView {
    match (how, confirmed, gave_up) {
        ("done", true, _) => view! {
            <div class="notice notice-success" role="status">
                <p class="notice-title">"Thank you: your plan is active"</p>
                <p>"Its limits apply now. Stripe emails the receipt."</p>
            </div>
        }
        .into_any(),
        ("done", false, false) => view! {
            <div class="notice" role="status">
                <Loading label="Payment received: waiting for Stripe to confirm it…" />
            </div>
        }
        .into_any(),
        ("done", false, true) => view! {
            <div class="notice notice-warning" role="status">
                <p>"Stripe has not confirmed the payment yet. It usually takes seconds; reload this page in a minute."</p>
            </div>
        }
        .into_any(),
        _ => view! {
            <div class="notice" role="status"><p>"Checkout was cancelled: nothing was charged."</p></div>
        }
        .into_any(),
    }
}

#[component]
fn Overview(overview: BillingOverview, product: Product, payer: Option<String>, changed: Changed) -> impl IntoView {
    let tier = Tier::of_plan(&overview.plan);
    let plan = product.plan(tier);
    let live = overview.status.is_some_and(SubscriptionStatus::keeps_the_plan);
    let price = match (tier, overview.interval) {
        (Tier::Free, _) => "$0".to_owned(),
        (_, Some(BillingInterval::Year)) => {
            format!("{} a year", plan.yearly_price_label().unwrap_or_else(|| plan.price_label()))
        }
        _ => format!("{} a month", plan.price_label()),
    };
    let renews = match (overview.cancel_at, overview.period_end) {
        (Some(at), _) => Some(format!("Ends on {}", long_date(at))),
        (None, Some(at)) if live => Some(format!("Renews on {}", long_date(at))),
        _ => None,
    };
    let status = overview.status.filter(|_| tier != Tier::Free || overview.subscribed.is_some());
    let portal = overview.has_customer && overview.stripe;
    let can_cancel = live && overview.cancel_at.is_none();
    let banner = banner(&overview, &payer);
    // The person's allowance, drawn in the plan's panel (a workspace's has its own section).
    let questions = overview.questions.clone().map(|q| {
        view! {
            <div class="meters">{count_gauge("meter-questions", "Mentor questions", u64::from(q.used), q.limit)}</div>
            <p class="muted small">{format!("Questions start afresh on {}.", long_date(q.resets_at))}</p>
        }
    });
    // With a live subscription the plans are changed to, not bought (not while it is ending).
    let current = match (live, overview.interval) {
        (true, Some(interval)) => {
            Some(Current { tier: Tier::of_plan(overview.subscribed.as_deref().unwrap_or(&overview.plan)), interval })
        }
        _ => None,
    };
    let plans = (overview.stripe && (!live || (current.is_some() && overview.cancel_at.is_none()))).then(|| {
        view! { <Plans product offers=overview.offers.clone() payer=payer.clone() current changed /> }
    });
    view! {
        {banner}
        <section class="panel billing-current" aria-labelledby="current-plan-title">
            <div class="panel-head">
                <h2 id="current-plan-title">"Current plan"</h2>
                {status.map(|s| view! { <span class=status_class(s)>{s.label()}</span> })}
            </div>
            <p class="billing-plan">
                <strong data-testid="plan-name">{plan_label(&overview.plan)}</strong>
                " · " {price}
            </p>
            <p class="muted">{plan.quota_label()} {renews.map(|r| format!(" · {r}"))}</p>
            {questions}
            {portal.then(|| view! {
                <div class="actions">
                    <PortalButton payer=payer.clone() flow="home" label="Manage billing" tone=Tone::Plain />
                    {can_cancel.then(|| view! { <PortalButton payer=payer.clone() flow="cancel" label="Cancel plan" tone=Tone::Danger /> })}
                </div>
                <p class="muted small">"Your card, billing details and cancelling are in Stripe's secure portal."</p>
            })}
        </section>
        {plans}
    }
}

/// What needs attention: no payments here, a failed payment, an ending plan, a trial.
fn banner(overview: &BillingOverview, payer: &Option<String>) -> Option<AnyView> {
    if !overview.stripe {
        let command = match payer {
            Some(id) => format!("server plan set --workspace {id} pro"),
            None => "server plan set --person YOUR-EMAIL pro".to_owned(),
        };
        return Some(
            view! {
                <div class="notice" role="note">
                    <p class="notice-title">"Payments are not set up on this server"</p>
                    <p>"Its operator sets plans with a command, for example:"</p>
                    <pre><code>{command}</code></pre>
                </div>
            }
            .into_any(),
        );
    }
    if overview.status == Some(SubscriptionStatus::PastDue) {
        let until = overview.grace_ends_at.map(long_date).unwrap_or_default();
        let kept = overview.plan != "free";
        return Some(
            view! {
                <div class="notice notice-danger" role="alert">
                    <p class="notice-title">"Your last payment failed"</p>
                    <p>
                        {if kept {
                            format!("Everything keeps working until {until}. Update your card so your plan continues; Stripe retries the payment.")
                        } else {
                            "Free limits apply until the payment goes through. Nothing was deleted: update your card and Stripe retries.".to_owned()
                        }}
                    </p>
                    <PortalButton payer=payer.clone() flow="payment_method" label="Update card" tone=Tone::Primary />
                </div>
            }
            .into_any(),
        );
    }
    if let Some(at) = overview.cancel_at {
        return Some(
            view! {
                <div class="notice notice-warning" role="status">
                    <p>{format!(
                        "Your plan ends on {}. After that Free limits apply; nothing is deleted. Changed your mind? Renew it in \u{201c}Manage billing\u{201d}.",
                        long_date(at)
                    )}</p>
                </div>
            }
            .into_any(),
        );
    }
    overview.trial_end.map(|at| {
        view! { <div class="notice" role="status"><p>{format!("Trial until {}.", long_date(at))}</p></div> }.into_any()
    })
}

fn status_class(status: SubscriptionStatus) -> &'static str {
    match status {
        SubscriptionStatus::Active | SubscriptionStatus::Trialing => "status status-ok",
        SubscriptionStatus::PastDue | SubscriptionStatus::Incomplete => "status status-warning",
        _ => "status status-suspended",
    }
}

/// A button that opens the Customer Portal at `flow`.
#[component]
fn PortalButton(payer: Option<String>, flow: &'static str, label: &'static str, tone: Tone) -> impl IntoView {
    let open = ServerAction::<OpenPortal>::new();
    let outcome = Outcome::of(open);
    view! {
        <ActionForm action=open attr:class="inline-form">
            {payer.map(|id| view! { <input type="hidden" name="workspace_id" value=id /> })}
            <input type="hidden" name="flow" value=flow />
            <Submit label=label busy="Opening Stripe…" pending=open.pending() tone small=true />
            <FormAlert message=outcome.message() />
        </ActionForm>
    }
}
