//! Merging a duplicate from its pane: the requester's other tickets being
//! worked on are offered first, or any ticket by its number. The duplicate
//! is closed and the page goes on to the ticket it went into; a merged
//! ticket says where it went.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::tickets::{merge_ticket, MergeCandidate, TicketRef};

/// "Merged into #12", with the way there.
#[component]
pub fn MergedInto(into: TicketRef, tickets: String) -> impl IntoView {
    view! {
        <p class="merged-into" role="status">
            {format!("Merged into #{} ({}). Notes and replies go there now. ", into.number, into.status.label())}
            <a href=format!("{tickets}?t={}", into.id)>{format!("Open #{}", into.number)}</a>
        </p>
    }
}

#[component]
pub fn MergeTicket(
    ids: StoredValue<(String, String)>,
    candidates: Vec<MergeCandidate>,
    /// The tickets page, where the page goes on to the ticket merged into.
    tickets: String,
) -> impl IntoView {
    let number = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let merge = Action::new(move |into: &String| {
        let (w, t) = ids.get_value();
        let into = into.clone();
        async move { merge_ticket(w, t, into).await }
    });
    let navigate = use_navigate();
    Effect::new(move |_| match merge.value().get() {
        Some(Ok(detail)) => navigate(&format!("{tickets}?t={}", detail.ticket.id), Default::default()),
        Some(Err(e)) => error.set(Some(e.explained())),
        None => {}
    });
    let offered = (!candidates.is_empty()).then(|| {
        let buttons = candidates
            .into_iter()
            .map(|c| {
                let into = c.number.to_string();
                view! {
                    <li>
                        <button type="button" class="button button-small" disabled=move || merge.pending().get()
                            on:click=move |_| { merge.dispatch(into.clone()); }>
                            {format!("Merge into #{}", c.number)}
                        </button>
                        " " <span>{c.subject}</span> " " <span class="muted small">{c.status.label()}</span>
                    </li>
                }
            })
            .collect_view();
        view! {
            <p class="small">"The same requester's other open tickets:"</p>
            <ul class="merge-candidates">{buttons}</ul>
        }
    });
    view! {
        <details class="ticket-merge">
            <summary>"Merge into another ticket"</summary>
            <p class="muted small">"For a duplicate: this ticket is closed, and its notes, tags and the requester's replies go to the other."</p>
            {offered}
            <form class="merge-form" on:submit=move |ev| { ev.prevent_default(); merge.dispatch(number.get_untracked()); }>
                <label for="merge-into">"Ticket number"</label>
                <input id="merge-into" type="text" inputmode="numeric" maxlength="12" placeholder="12"
                    aria-describedby="merge-into-error"
                    prop:value=move || number.get() on:input=move |ev| number.set(event_target_value(&ev)) />
                <button type="submit" class="button button-small" disabled=move || merge.pending().get()>
                    {move || if merge.pending().get() { "Merging…" } else { "Merge" }}
                </button>
            </form>
            <p class="field-error" id="merge-into-error" role="alert">{move || error.get()}</p>
        </details>
    }
}
