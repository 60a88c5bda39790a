//! The open conversation's ticket, in its header: a link to the one being
//! worked on (or its latest), or "Create ticket", which opens one about the
//! conversation named by the visitor's first words and at its priority, and
//! then links to it.

use leptos::prelude::*;

use crate::chat::Priority;
use crate::pages::dashboard::Here;
use crate::tickets::{create_ticket, subject_from, TicketRef, TicketStatus};

#[component]
pub fn ConversationTicket(
    here: Here,
    conversation_id: String,
    ticket: Option<TicketRef>,
    /// The visitor's first message, or what to call the ticket without one.
    first_words: String,
    priority: Priority,
) -> impl IntoView {
    let ticket = RwSignal::new(ticket);
    let error = RwSignal::new(None::<String>);
    let workspace_id = here.workspace.id.clone();
    let create = Action::new(move |_: &()| {
        let subject = subject_from(&first_words);
        let (workspace, conversation) = (workspace_id.clone(), conversation_id.clone());
        async move { create_ticket(workspace, subject, priority.as_str().to_owned(), conversation).await }
    });
    Effect::new(move |_| match create.value().get() {
        Some(Ok(detail)) => {
            let t = detail.ticket;
            ticket.set(Some(TicketRef { id: t.id, number: t.number, status: t.status }));
            error.set(None);
        }
        Some(Err(e)) => error.set(Some(e.explained())),
        None => {}
    });
    let tickets = here.path("/tickets");
    move || match ticket.get() {
        // A solved or closed one is history: another may be opened.
        Some(found) if found.status.is_live() || found.status == TicketStatus::Solved => {
            let href = format!("{tickets}?t={}", found.id);
            view! {
                <a class="button conversation-ticket" href=href>
                    {format!("Ticket #{}", found.number)}
                    <span class=format!("pill status-{}", found.status.as_str())>{found.status.label()}</span>
                </a>
            }
            .into_any()
        }
        _ => view! {
            <button type="button" class="button" disabled=move || create.pending().get()
                on:click=move |_| { create.dispatch(()); }>
                {move || if create.pending().get() { "Creating…" } else { "Create ticket" }}
            </button>
            {move || error.get().map(|e| view! { <span class="field-error small" role="alert">{e}</span> })}
        }
        .into_any(),
    }
}
