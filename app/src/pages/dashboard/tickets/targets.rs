//! A ticket's service level targets: a badge in the list (the most pressing
//! deadline) and, on the open ticket, each running target with the share of
//! its time gone, drawn. Both count down on the page's own clock; amber
//! from 80 % of a target's time, red once it is missed.

use leptos::prelude::*;

use crate::components::format::{count_of, Time};
use crate::sla::{most_pressing, SlaState, SlaTimer, NEAR_AT_PERCENT};

/// The list's badge: the most pressing running target, or how many a
/// finished ticket missed.
#[component]
pub fn SlaBadge(timers: Vec<SlaTimer>, missed: u32, #[prop(into)] now: Signal<i64>) -> impl IntoView {
    move || {
        let now = now.get();
        match most_pressing(&timers, now) {
            Some(timer) => view! { <span class=timer.state(now).class()>{timer.describe(now)}</span> }.into_any(),
            None if missed > 0 => {
                let text = count_of(u64::from(missed), "target missed", "targets missed");
                view! { <span class="sla sla-missed">{text}</span> }.into_any()
            }
            None => ().into_any(),
        }
    }
}

/// The open ticket's targets, each with a bar of its time used.
#[component]
pub fn SlaTimers(
    #[prop(into)] timers: Signal<Vec<SlaTimer>>,
    #[prop(into)] missed: Signal<u32>,
    live: Signal<bool>,
    #[prop(into)] now: Signal<i64>,
) -> impl IntoView {
    let rows = move || {
        let now = now.get();
        timers.get().into_iter().map(move |timer| {
            let state = timer.state(now);
            let used = format!("{:.1}", timer.used(now) * 100.0);
            let due = (state != SlaState::Paused).then(|| view! { " · by " <Time at=timer.due_at /> });
            view! {
                <li class=state.class() data-kind=timer.kind.as_str()>
                    <span class="sla-text">{timer.describe(now)} {due}</span>
                    <svg class="sla-bar" viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true">
                        <rect class="sla-bar-track" width="100" height="6" rx="3" />
                        <rect class="sla-bar-used" width=used height="6" rx="3" />
                        <line class="sla-bar-mark" x1=NEAR_AT_PERCENT.to_string() x2=NEAR_AT_PERCENT.to_string() y1="0" y2="6" />
                    </svg>
                </li>
            }
        }).collect_view()
    };
    let summary = move || match (timers.with(Vec::is_empty), live.get(), missed.get()) {
        (true, true, _) => Some("No targets for this priority.".to_owned()),
        (_, _, 0) => None,
        (_, _, n) => Some(format!(
            "{} so far; the history says which.",
            count_of(u64::from(n), "target missed", "targets missed")
        )),
    };
    view! {
        <section aria-labelledby="ticket-targets" class="ticket-targets">
            <h3 id="ticket-targets">"Targets"</h3>
            <ul class="sla-timers">{rows}</ul>
            {move || summary().map(|text| view! { <p class="muted small">{text}</p> })}
        </section>
    }
}
