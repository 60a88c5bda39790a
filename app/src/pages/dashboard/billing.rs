//! Billing: `/app/w/:id/billing` (the workspace's plan, its owner's alone)
//! and the mentor plan's section of the account page. Both show the plan
//! in force and its state as Stripe last said (paid, payment failed with
//! the grace period's end, ending on a date), the plans to buy through
//! Stripe Checkout, and the Customer Portal for the card, invoices and
//! cancelling. The workspace page also draws what the plan allows against
//! what is used.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{plan_label, Here, InWorkspace, PageHeader};
use crate::billing::{load_billing, BillingInterval, BillingOverview, OpenPortal, StartCheckout, SubscriptionStatus};
use crate::chat::load_bot_usage;
use crate::components::feedback::{ErrorPanel, Loading, NotAllowed};
use crate::components::format::{format_bytes, format_count};
use crate::components::forms::{FormAlert, Outcome, Submit, Tone};
use crate::components::meter::Meter;
use crate::dates::long_date;
use crate::knowledge::load_knowledge_overview;
use crate::permissions::Action;
use crate::plans::{dollars, Product, Tier};

#[component]
pub fn BillingPage() -> impl IntoView {
    view! {
        <PageHeader title="Billing" lead="Your plan, what it allows, and payments through Stripe." />
        <InWorkspace render=move |here: Here| {
            if here.can(Action::ManageBilling) {
                view! {
                    <Billing workspace_id=Some(here.workspace.id.clone()) product=Product::SupportBot />
                    <Allowance workspace_id=here.workspace.id.clone() />
                }
                .into_any()
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
    let asked = RwSignal::new(0_u32);
    let payer = StoredValue::new(workspace_id);
    let billing = Resource::new(move || asked.get(), move |_| load_billing(payer.get_value()));
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
                        view! {
                            {note}
                            <Overview overview product payer=payer.get_value() />
                        }
                        .into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
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
fn Overview(overview: BillingOverview, product: Product, payer: Option<String>) -> impl IntoView {
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
    let upgrade = (!live && overview.stripe)
        .then(|| view! { <Plans product offers=overview.offers.clone() payer=payer.clone() /> });
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
            {portal.then(|| view! {
                <div class="actions">
                    <PortalButton payer=payer.clone() flow="home" label="Manage billing" tone=Tone::Plain />
                    {can_cancel.then(|| view! { <PortalButton payer=payer.clone() flow="cancel" label="Cancel plan" tone=Tone::Danger /> })}
                </div>
                <p class="muted small">"Invoices, payment method and cancelling are in Stripe's secure portal."</p>
            })}
        </section>
        {upgrade}
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

/// The paid plans, monthly or yearly, each bought through Checkout.
#[component]
fn Plans(product: Product, offers: Vec<(String, BillingInterval)>, payer: Option<String>) -> impl IntoView {
    let yearly_sold = offers.iter().any(|(_, interval)| *interval == BillingInterval::Year);
    let interval = RwSignal::new(BillingInterval::Month);
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
    view! {
        <section class="panel" aria-labelledby="plans-title">
            <div class="panel-head">
                <h2 id="plans-title">"Upgrade"</h2>
                {switch}
            </div>
            <div class="billing-plans">
                {[Tier::Pro, Tier::Enterprise]
                    .into_iter()
                    .map(|tier| view! { <PlanCard product tier interval offers payer=payer.get_value() /> })
                    .collect_view()}
            </div>
            <p class="muted small">"Payment is taken by Stripe; we never see your card. Cancel at any time."</p>
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
) -> impl IntoView {
    let plan = product.plan(tier);
    let payer = StoredValue::new(payer);
    let checkout = ServerAction::<StartCheckout>::new();
    let outcome = Outcome::of(checkout);
    let sold = move || offers.with_value(|o| o.iter().any(|(t, i)| t == tier.slug() && *i == interval.get()));
    let price = move || match interval.get() {
        BillingInterval::Year => plan.yearly_price_cents.map(|c| format!("{} a year", dollars(c))),
        BillingInterval::Month => Some(format!("{} a month", plan.price_label())),
    };
    view! {
        <article class="plan" aria-labelledby=format!("plan-{}", tier.slug())>
            <h3 class="plan-name" id=format!("plan-{}", tier.slug())>{tier.label()}</h3>
            <p class="plan-price">{price}</p>
            <p class="plan-quota">{plan.quota_label()}</p>
            <ul class="checks">
                {plan.features.iter().map(|f| view! { <li>{*f}</li> }).collect_view()}
            </ul>
            <Show
                when=sold
                fallback=|| view! { <p class="muted small">"Not sold here with this billing period."</p> }
            >
                <ActionForm action=checkout attr:class="inline-form">
                    {payer.get_value().map(|id| view! { <input type="hidden" name="workspace_id" value=id /> })}
                    <input type="hidden" name="plan" value=tier.slug() />
                    <input type="hidden" name="interval" value=move || interval.get().as_str() />
                    <Submit label=format!("Upgrade to {}", tier.label()) busy="Opening Checkout…" pending=checkout.pending() />
                    <FormAlert message=outcome.message() />
                </ActionForm>
            </Show>
        </article>
    }
}

/// What the workspace's plan allows, drawn against what is used.
#[component]
fn Allowance(workspace_id: String) -> impl IntoView {
    let id = StoredValue::new(workspace_id);
    let answers = Resource::new(|| (), move |_| load_bot_usage(id.get_value()));
    let knowledge = Resource::new(|| (), move |_| load_knowledge_overview(id.get_value()));
    view! {
        <section class="panel usage" aria-labelledby="allowance-title">
            <h2 id="allowance-title">"Usage"</h2>
            <Transition fallback=|| view! { <Loading label="Loading usage…" /> }>
                {move || Suspend::new(async move {
                    let (answers, knowledge) = (answers.await, knowledge.await);
                    let (answers, knowledge) = match (answers, knowledge) {
                        (Ok(a), Ok(k)) => (a, k.usage),
                        (Err(error), _) | (_, Err(error)) => return view! { <ErrorPanel error /> }.into_any(),
                    };
                    let resets = format!("Bot messages reset on 1 {}", answers.next_month_name());
                    let used = u64::from(answers.answers);
                    let bot = match answers.quota.map(u64::from) {
                        Some(quota) => view! { <Gauge id="meter-answers" label="Bot messages this month" used max=quota text=format!("{} of {}", format_count(used), format_count(quota)) /> }.into_any(),
                        None => view! {
                            <div class="meter-tile">
                                <span class="meter-label">"Bot messages this month"</span>
                                <span class="meter-value">{format!("{} (unlimited)", format_count(used))}</span>
                            </div>
                        }
                        .into_any(),
                    };
                    let k = knowledge;
                    let (sources, chunks) = (u64::from(k.sources), u64::from(k.chunks));
                    let (max_sources, max_chunks) = (u64::from(k.max_sources), u64::from(k.max_chunks));
                    view! {
                        <div class="meters">
                            {bot}
                            <Gauge id="meter-billing-sources" label="Knowledge sources" used=sources max=max_sources
                                text=format!("{} of {}", format_count(sources), format_count(max_sources)) />
                            <Gauge id="meter-billing-chunks" label="Passages" used=chunks max=max_chunks
                                text=format!("{} of {}", format_count(chunks), format_count(max_chunks)) />
                            <Gauge id="meter-billing-storage" label="Storage" used=k.bytes max=k.max_bytes
                                text=format!("{} of {}", format_bytes(k.bytes), format_bytes(k.max_bytes)) />
                        </div>
                        <p class="muted small">{resets} " · " {format!("files up to {} each", format_bytes(k.max_file_bytes))}</p>
                    }
                    .into_any()
                })}
            </Transition>
        </section>
    }
}

/// A [`Meter`] of fixed numbers.
#[component]
fn Gauge(id: &'static str, label: &'static str, used: u64, max: u64, text: String) -> impl IntoView {
    view! { <Meter id label used=Signal::stored(used) max=Signal::stored(max) text=Signal::stored(text) /> }
}
