//! The workspace pages whose features are still being built. Each says
//! plainly what will appear and what to do meanwhile: no fake data.

use leptos::prelude::*;

use super::{plan_label, Here, InWorkspace, PageHeader};
use crate::components::feedback::{EmptyState, Icon};
use crate::permissions::Action;

struct Placeholder {
    title: &'static str,
    lead: &'static str,
    icon: Icon,
    empty_title: &'static str,
    body: &'static str,
    coming: &'static str,
    /// A next step, for the roles allowed to take it: (label, path in the workspace, action).
    next: Option<(&'static str, &'static str, Action)>,
    /// Whether to show the workspace's current plan.
    show_plan: bool,
}

const ANALYTICS: Placeholder = Placeholder {
    title: "Analytics",
    lead: "What visitors ask, and how well they are answered.",
    icon: Icon::Analytics,
    empty_title: "No data yet",
    body: "Once visitors start chatting you'll see conversation volume, the questions asked most, the ones \
           the assistant couldn't answer, hand-offs to your team and satisfaction over time.",
    coming: "Charts appear after the first conversations; nothing is estimated or sampled.",
    next: None,
    show_plan: false,
};

const BILLING: Placeholder = Placeholder {
    title: "Billing",
    lead: "Your plan, usage and invoices.",
    icon: Icon::Billing,
    empty_title: "Every workspace starts on the Free plan",
    body: "Free includes 100 bot messages a month. Upgrades, invoices and the customer portal will be \
           handled here through Stripe; only owners can change the plan.",
    coming: "Paid plans are coming soon. Need more today? Contact sales from the pricing page.",
    next: None,
    show_plan: true,
};

#[component]
fn PlaceholderPage(page: &'static Placeholder) -> impl IntoView {
    view! {
        <PageHeader title=page.title lead=page.lead />
        <InWorkspace render=move |here: Here| {
            let next = page
                .next
                .filter(|(_, _, action)| here.can(*action))
                .map(|(label, path, _)| view! {
                    <div class="actions center">
                        <a class="button button-primary" href=here.path(path)>{label}</a>
                    </div>
                });
            let plan = page.show_plan.then(|| view! {
                <p class="plan-now">"Current plan: " <strong>{plan_label(&here.workspace.plan)}</strong></p>
            });
            let pricing = page.show_plan.then(|| view! {
                <div class="actions center">
                    <a class="button" href="/pricing">"Compare plans"</a>
                </div>
            });
            view! {
                <EmptyState title=page.empty_title icon=page.icon>
                    {plan}
                    <p>{page.body}</p>
                    <p class="muted small">{page.coming}</p>
                    {next}
                    {pricing}
                </EmptyState>
            }
        } />
    }
}

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    view! { <PlaceholderPage page=&ANALYTICS /> }
}

#[component]
pub fn BillingPage() -> impl IntoView {
    view! { <PlaceholderPage page=&BILLING /> }
}
