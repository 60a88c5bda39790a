//! The workspace pages whose features are still being built. Each says
//! plainly what will appear and what to do meanwhile: no fake data.

use leptos::prelude::*;

use super::{Here, InWorkspace, PageHeader};
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
            view! {
                <EmptyState title=page.empty_title icon=page.icon>
                    <p>{page.body}</p>
                    <p class="muted small">{page.coming}</p>
                    {next}
                </EmptyState>
            }
        } />
    }
}

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    view! { <PlaceholderPage page=&ANALYTICS /> }
}
