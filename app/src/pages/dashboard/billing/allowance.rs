//! What the workspace's plan allows, drawn against what is used: bot
//! messages in the usage period (the month, or the paid billing period),
//! team seats, knowledge sources, passages and storage.

use leptos::prelude::*;

use crate::chat::load_bot_usage;
use crate::components::feedback::{ErrorPanel, Loading};
use crate::components::format::{format_bytes, format_count};
use crate::components::meter::Meter;
use crate::dates::long_date;
use crate::knowledge::load_knowledge_overview;
use crate::plans::{entitlements, Product, Tier};
use crate::team::team;

/// What the workspace's plan allows, drawn against what is used.
#[component]
pub fn Allowance(workspace_id: String, asked_again: Signal<(u32, Option<String>)>) -> impl IntoView {
    let id = StoredValue::new(workspace_id);
    // Asked again with the plan above, so a plan that just changed shows its own limits and period.
    let answers = Resource::new(move || asked_again.get(), move |_| load_bot_usage(id.get_value()));
    let knowledge = Resource::new(move || asked_again.get(), move |_| load_knowledge_overview(id.get_value()));
    let team_view = Resource::new(move || asked_again.get(), move |_| team(id.get_value()));
    view! {
        <section class="panel usage" aria-labelledby="allowance-title">
            <h2 id="allowance-title">"Usage"</h2>
            <Transition fallback=|| view! { <Loading label="Loading usage…" /> }>
                {move || Suspend::new(async move {
                    let (answers, knowledge, team_view) = (answers.await, knowledge.await, team_view.await);
                    let (answers, knowledge, team_view) = match (answers, knowledge, team_view) {
                        (Ok(a), Ok(k), Ok(t)) => (a, k.usage, t),
                        (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => {
                            return view! { <ErrorPanel error /> }.into_any()
                        }
                    };
                    let resets = format!("Bot messages reset on {}", long_date(answers.resets_at));
                    let period = if answers.billing_period { "Bot messages this billing period" } else { "Bot messages this month" };
                    let bot = count_gauge("meter-answers", period, u64::from(answers.answers), answers.quota);
                    let plan = Tier::of_plan(&team_view.workspace.plan);
                    let seats = count_gauge(
                        "meter-billing-seats",
                        "Team seats",
                        u64::from(team_view.seats_taken()),
                        entitlements(Product::SupportBot, plan).seats,
                    );
                    let k = knowledge;
                    let (sources, chunks) = (u64::from(k.sources), u64::from(k.chunks));
                    let (max_sources, max_chunks) = (u64::from(k.max_sources), u64::from(k.max_chunks));
                    view! {
                        <div class="meters">
                            {bot}
                            {seats}
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

/// `used` drawn against `limit`, or said as unlimited.
pub(super) fn count_gauge(id: &'static str, label: &'static str, used: u64, limit: Option<u32>) -> AnyView {
    match limit.map(u64::from) {
        Some(max) => {
            let text = format!("{} of {}", format_count(used), format_count(max));
            view! { <Gauge id label used max text /> }.into_any()
        }
        None => view! {
            <div class="meter-tile" id=id>
                <span class="meter-label">{label}</span>
                <span class="meter-value">{format!("{} (unlimited)", format_count(used))}</span>
            </div>
        }
        .into_any(),
    }
}
