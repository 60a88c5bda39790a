//! The open ticket beside the list: what it is about (renamed in place) and
//! where it came from, its status, priority, category, assignee and tags
//! (`tags.rs`; each change saved as it is made, and written into the history
//! under the member's name), a way to the conversation it came from, its
//! service level targets counting down, writing to the requester of a ticket
//! with no conversation (`write.rs`), the team's notes (`notes.rs`),
//! merging it into another (`merge.rs`) and its full history.

use leptos::prelude::*;

use super::merge::{MergeTicket, MergedInto};
use super::notes::TicketNotes;
use super::tags::TicketTags;
use super::targets::SlaTimers;
use super::write::WriteToRequester;
use super::{PriorityPill, CLOCK_TICK};
use crate::chat::Priority;
use crate::components::clock::use_clock;
use crate::components::format::Time;
use crate::pages::dashboard::visitor_identity::VerifiedVisitor;
use crate::pages::dashboard::Here;
use crate::tickets::{open_ticket, priority_label, tag_ticket, update_ticket, TicketDetail, TicketStatus, PRIORITIES};

/// One change asked of the ticket: (field, value), as the form sends it.
pub(super) type Change = (&'static str, String);
/// The pane's save of one change.
pub(super) type SaveChange = Action<Change, Result<TicketDetail, crate::error::ServiceError>>;

#[component]
pub fn TicketPane(
    here: Here,
    detail: TicketDetail,
    changes: RwSignal<u64>,
    /// Bumped when this ticket changed elsewhere: it reads itself again, and
    /// only what differs is drawn again (a choice being made keeps its focus).
    changed_elsewhere: RwSignal<u64>,
) -> impl IntoView {
    let me = here.viewer.user_id.clone();
    let author = me.clone();
    let tickets = StoredValue::new(here.path("/tickets"));
    let ids = StoredValue::new((here.workspace.id.clone(), detail.ticket.id.clone()));
    let clock = use_clock(detail.now, CLOCK_TICK);
    let current = RwSignal::new(detail);
    let error = RwSignal::new(None::<String>);
    let update = Action::new(move |(field, value): &Change| {
        let (w, t) = ids.get_value();
        let (field, value) = (*field, value.clone());
        async move {
            // Tags go whole, on their own: there an empty list removes them all.
            if field == "tags" {
                return tag_ticket(w, t, value).await;
            }
            let mut fields: [String; 5] = Default::default();
            if let Some(at) = ["status", "priority", "category", "assignee", "subject"].iter().position(|f| *f == field)
            {
                fields[at] = value;
            }
            let [status, priority, category, assignee, subject] = fields;
            update_ticket(w, t, status, priority, category, assignee, subject).await
        }
    });
    Effect::new(move |_| match update.value().get() {
        Some(Ok(detail)) => {
            current.set(detail);
            error.set(None);
            changes.update(|n| *n += 1);
        }
        Some(Err(e)) => {
            error.set(Some(e.explained()));
            // The fields show what is saved again, not the choice that was refused.
            current.update(|_| {});
        }
        None => {}
    });
    let reread = Action::new(move |_: &()| {
        let (w, t) = ids.get_value();
        async move { open_ticket(w, t).await }
    });
    Effect::new(move |first: Option<()>| {
        changed_elsewhere.track();
        if first.is_some() {
            reread.dispatch(());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(detail)) = reread.value().get() {
            current.set(detail);
        }
    });
    let set = move |field: &'static str| {
        move |ev: leptos::ev::Event| {
            update.dispatch((field, event_target_value(&ev)));
        }
    };
    let ticket = move || current.with(|d| d.ticket.clone());
    let conversation = {
        let here = here.clone();
        move || ticket().conversation_id.map(|id| here.path(&format!("?c={id}")))
    };
    let mine = {
        let me = me.clone();
        move || current.with(|d| d.ticket.assignee.as_ref().is_some_and(|a| a.id == me))
    };
    view! {
        <article class="desk-thread panel ticket" aria-labelledby="ticket-title">
            <header class="desk-thread-head">
                <div>
                    <Subject number=ticket().number subject=Signal::derive(move || ticket().subject) update />
                    <p class="muted small">
                        {move || ticket().source.label()} " · opened " <Time at=ticket().created_at />
                        {move || ticket().requester_email.map(|email| format!(" · from {email}"))}
                    </p>
                    <p class="desk-answering" role="status">
                        <span class=move || format!("pill status-{}", ticket().status.as_str())>{move || ticket().status.label()}</span>
                        " " {move || view! { <PriorityPill priority=ticket().priority /> }}
                        " " {move || match ticket().assignee {
                            Some(a) => format!("Assigned to {}", a.name),
                            None => "Nobody is assigned".to_owned(),
                        }}
                    </p>
                    {move || current.with(|d| d.requester.clone()).map(|visitor| view! { <VerifiedVisitor visitor /> })}
                    {move || ticket().merged_into.map(|into| view! { <MergedInto into tickets=tickets.get_value() /> })}
                </div>
                <div class="desk-thread-actions">
                    {move || conversation().map(|href| view! { <a class="button" href=href>"Open the conversation"</a> })}
                    <Show when=move || !mine()>
                        <button type="button" class="button button-primary" disabled=move || update.pending().get()
                            on:click={
                                let me = me.clone();
                                move |_| { update.dispatch(("assignee", me.clone())); }
                            }>
                            "Assign to me"
                        </button>
                    </Show>
                    <Show when=move || ticket().status.is_live()>
                        <button type="button" class="button" disabled=move || update.pending().get()
                            on:click=move |_| { update.dispatch(("status", "solved".to_owned())); }>
                            "Solve"
                        </button>
                    </Show>
                </div>
            </header>
            <div class="ticket-fields">
                <div class="field">
                    <label for="ticket-status">"Status"</label>
                    <select id="ticket-status" on:change=set("status")>
                        {TicketStatus::ALL.into_iter().map(|s| view! {
                            <option value=s.as_str() prop:selected=move || ticket().status == s>{s.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="ticket-priority-field">"Priority"</label>
                    <select id="ticket-priority-field" on:change=set("priority")>
                        {PRIORITIES.into_iter().map(|p: Priority| view! {
                            <option value=p.as_str() prop:selected=move || ticket().priority == p>{priority_label(p)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="ticket-category">"Category"</label>
                    <select id="ticket-category" on:change=set("category")>
                        {current.with_untracked(|d| d.categories.clone()).into_iter().map(|c| {
                            let id = c.id.clone();
                            view! { <option value=c.id prop:selected=move || ticket().category == id>{c.label}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="ticket-assignee">"Assignee"</label>
                    <select id="ticket-assignee" on:change=set("assignee")>
                        <option value="nobody" prop:selected=move || ticket().assignee.is_none()>"Nobody"</option>
                        {current.with_untracked(|d| d.agents.clone()).into_iter().map(|a| {
                            let id = a.id.clone();
                            let chosen = move || ticket().assignee.is_some_and(|x| x.id == id);
                            view! { <option value=a.id prop:selected=chosen>{a.name}</option> }
                        }).collect_view()}
                    </select>
                </div>
            </div>
            <p class="muted small" role="status">
                {move || if update.pending().get() { "Saving…" } else { "Changes are saved as you make them." }}
            </p>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <TicketTags tags=Signal::derive(move || ticket().tags) update tickets=here.path("/tickets") />
            <SlaTimers timers=Signal::derive(move || current.with(|d| d.ticket.sla.clone()))
                missed=Signal::derive(move || current.with(|d| d.ticket.sla_missed))
                live=Signal::derive(move || current.with(|d| d.ticket.status.is_live())) now=clock />
            <Show when=move || current.with(|d| d.ticket.conversation_id.is_none() && d.ticket.status != TicketStatus::Closed)>
                <WriteToRequester ids requester=current.with_untracked(|d| d.ticket.requester_email.clone())
                    written=Callback::new(move |_| { reread.dispatch(()); changes.update(|n| *n += 1); }) />
            </Show>
            <Show when=move || current.with(|d| d.ticket.status != TicketStatus::Closed)>
                <MergeTicket ids candidates=current.with_untracked(|d| d.merge_candidates.clone())
                    tickets=tickets.get_value() />
            </Show>
            <TicketNotes ids notes=Signal::derive(move || current.with(|d| d.notes.clone()))
                team=current.with_untracked(|d| d.agents.clone()) me=author
                saved=Callback::new(move |detail| { current.set(detail); changes.update(|n| *n += 1); }) />
            <section aria-labelledby="ticket-history">
                <h3 id="ticket-history">"History"</h3>
                <ol class="ticket-history">
                    {move || current.with(|d| d.history.iter().rev().map(|event| view! {
                        <li><span>{event.describe()}</span> " " <Time at=event.at /></li>
                    }).collect_view())}
                </ol>
            </section>
        </article>
    }
}

/// The ticket's number and subject; "Rename" edits the subject in place
/// (Enter saves, Escape puts it back).
#[component]
fn Subject(number: i64, subject: Signal<String>, update: SaveChange) -> impl IntoView {
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let (true, Some(input)) = (editing.get(), input.get()) {
            let _ = input.focus();
        }
    });
    let save = move || {
        let text = draft.get_untracked();
        if text.trim() != subject.get_untracked() {
            update.dispatch(("subject", text));
        }
        editing.set(false);
    };
    view! {
        <Show when=move || editing.get() fallback=move || view! {
            <div class="ticket-title-row">
                <h2 id="ticket-title">{move || format!("#{number} {}", subject.get())}</h2>
                <button type="button" class="button button-small ticket-rename"
                    on:click=move |_| { draft.set(subject.get_untracked()); editing.set(true); }>
                    "Rename"
                </button>
            </div>
        }>
            <form class="ticket-rename-form" on:submit=move |ev| { ev.prevent_default(); save(); }>
                <label for="ticket-subject-edit" class="sr-only">"Subject"</label>
                <input id="ticket-subject-edit" type="text" node_ref=input
                    maxlength=crate::tickets::SUBJECT_MAX_CHARS.to_string()
                    prop:value=move || draft.get() on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=move |ev| if ev.key() == "Escape" { editing.set(false); } />
                <button type="submit" class="button button-small button-primary">"Save"</button>
                <button type="button" class="button button-small" on:click=move |_| editing.set(false)>"Cancel"</button>
            </form>
        </Show>
    }
}
