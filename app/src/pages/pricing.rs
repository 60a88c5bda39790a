use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};

use crate::components::forms::{success, Field, FormAlert, Outcome, Submit};
use crate::focus::focus_element;
use crate::plans::{entitlements, Plan, Product, Tier};
use crate::sales::{SubmitContactSales, COMPANY_MAX, MESSAGE_MAX, NAME_MAX};
use crate::validate::EMAIL_MAX;

#[component]
pub fn PricingPage() -> impl IntoView {
    view! {
        <Title text="Pricing" />
        <Meta name="description" content="Lodestar plans for the support bot and the career mentor: start free, upgrade when you grow." />
        <section class="section">
            <div class="container">
                <div class="center narrow">
                    <p class="eyebrow">"Pricing"</p>
                    <h1>"Simple plans that grow with you"</h1>
                    <p class="lead">"Prices in US dollars per month. Start free; upgrade or cancel any time."</p>
                </div>
                <PlanTables />
            </div>
        </section>
        <Faq />
        <ContactSales />
    }
}

#[component]
fn PlanTables() -> impl IntoView {
    let selected = RwSignal::new(Product::SupportBot);
    let on_keydown = move |ev: KeyboardEvent| {
        let next = match ev.key().as_str() {
            "ArrowRight" | "ArrowLeft" | "Home" | "End" => match selected.get() {
                Product::SupportBot => Product::CareerMentor,
                Product::CareerMentor => Product::SupportBot,
            },
            _ => return,
        };
        ev.prevent_default();
        selected.set(next);
        focus_element(&format!("tab-{}", next.slug()));
    };
    view! {
        <div class="tabs" role="tablist" aria-label="Plans for" on:keydown=on_keydown>
            {Product::ALL
                .into_iter()
                .map(|product| {
                    let is_selected = move || selected.get() == product;
                    view! {
                        <button
                            type="button"
                            role="tab"
                            id=format!("tab-{}", product.slug())
                            aria-controls=format!("plans-{}", product.slug())
                            aria-selected=move || is_selected().to_string()
                            tabindex=move || if is_selected() { "0" } else { "-1" }
                            class="tab"
                            on:click=move |_| selected.set(product)
                        >
                            {product.label()}
                        </button>
                    }
                })
                .collect_view()}
        </div>
        {Product::ALL
            .into_iter()
            .map(|product| {
                view! {
                    <div
                        role="tabpanel"
                        id=format!("plans-{}", product.slug())
                        aria-labelledby=format!("tab-{}", product.slug())
                        class="plan-grid"
                        hidden=move || selected.get() != product
                    >
                        {product.plans().iter().map(|plan| view! { <PlanCard product plan=*plan /> }).collect_view()}
                    </div>
                }
            })
            .collect_view()}
    }
}

#[component]
fn PlanCard(product: Product, plan: Plan) -> impl IntoView {
    let featured = plan.tier == Tier::Pro;
    let (cta, href) = match plan.tier {
        Tier::Enterprise => ("Contact sales", "#contact-sales".to_string()),
        _ => ("Get started", format!("/signup?purpose={}", signup_purpose(product))),
    };
    view! {
        <article class="plan" class:plan-featured=featured>
            <h2 class="plan-name">{plan.tier.label()}</h2>
            {featured.then(|| view! { <p class="badge">"Most popular"</p> })}
            <p class="plan-price">
                <span class="amount">{plan.price_label()}</span>
                <span class="muted">" / month"</span>
            </p>
            <p class="muted small">{product.billed_per()}</p>
            <p class="plan-quota">{plan.quota_label()}</p>
            <ul class="checks">
                {(product == Product::SupportBot).then(|| view! { <li>{entitlements(product, plan.tier).seats_label()}</li> })}
                {plan.features.iter().map(|f| view! { <li>{*f}</li> }).collect_view()}
            </ul>
            <a class="button" class:button-primary=featured href=href>{cta}</a>
        </article>
    }
}

/// The sign-up choice that matches a product.
fn signup_purpose(product: Product) -> &'static str {
    match product {
        Product::SupportBot => "business",
        Product::CareerMentor => "mentor",
    }
}

const FAQ: [(&str, &str); 5] = [
    ("Do I need an OpenAI or Anthropic key?", "No. Without a provider, Lodestar answers from your best-matching passages with citations, using a local model. Add a provider later for fluent, generated answers."),
    ("What counts as a bot message?", "Each answer the bot sends a visitor counts once. Messages from your human agents are never counted."),
    ("What happens when I reach my monthly limit?", "Visitors see a friendly note offering to reach your team, and you see it in the dashboard. Nothing breaks, and the count starts afresh each month (on a paid plan, with each payment)."),
    ("Where is my data stored?", "In your own database: SQLite on a single machine or PostgreSQL at scale, with the knowledge base in SurrealDB. Workspaces are isolated from each other."),
    ("Can I cancel at any time?", "Yes. Cancel from the Billing page and you keep your plan until the end of the period you paid for."),
];

#[component]
fn Faq() -> impl IntoView {
    view! {
        <section class="section section-alt" id="faq" aria-labelledby="faq-title">
            <div class="container narrow">
                <h2 id="faq-title">"Questions, answered"</h2>
                {FAQ
                    .iter()
                    .map(|(q, a)| view! {
                        <details class="faq">
                            <summary>{*q}</summary>
                            <p>{*a}</p>
                        </details>
                    })
                    .collect_view()}
            </div>
        </section>
    }
}

#[component]
fn ContactSales() -> impl IntoView {
    let submit = ServerAction::<SubmitContactSales>::new();
    let outcome = Outcome::of(submit);
    let receipt = success(submit);

    view! {
        <section class="section" id="contact-sales" aria-labelledby="contact-title">
            <div class="container narrow">
                <h2 id="contact-title">"Contact sales"</h2>
                <p class="lead">"Tell us about your team and we'll reply within one business day."</p>
                <Show
                    when=move || receipt.with(Option::is_some)
                    fallback=move || view! {
                        <ActionForm action=submit attr:class="form" attr:novalidate="novalidate">
                            <FormAlert message=outcome.message() />
                            <Field name="name" label="Your name" max=NAME_MAX error=outcome.field("name") />
                            <Field name="email" label="Work email" kind="email" max=EMAIL_MAX error=outcome.field("email") />
                            <Field name="company" label="Company (optional)" max=COMPANY_MAX error=outcome.field("company") />
                            <Field name="message" label="How can we help?" kind="textarea" max=MESSAGE_MAX error=outcome.field("message") />
                            <Submit label="Send message" busy="Sending…" pending=submit.pending() />
                        </ActionForm>
                    }
                >
                    <div class="notice notice-success" role="status">
                        <h3>"Thanks, we've got your message"</h3>
                        <p>
                            "We'll reply to " <strong>{move || receipt.get().map(|r| r.email)}</strong>
                            " within one business day. Your reference is "
                            <strong class="reference">{move || receipt.get().map(|r| r.reference)}</strong> "."
                        </p>
                    </div>
                </Show>
            </div>
        </section>
    }
}
