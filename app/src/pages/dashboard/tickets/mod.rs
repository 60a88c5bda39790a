//! `/app/w/:id/tickets`: the workspace's tickets. Views (open and pending,
//! mine, unassigned, solved, closed), a tag and the open ticket live in the
//! address (`?view=mine&tag=vip&t=ID`), so a link or a reload shows the same thing.
//! Escalated conversations arrive by themselves, and every change made
//! elsewhere (routing, a colleague, another server process) shows live
//! (`/tickets/events`); "New ticket" opens one by hand. The open ticket is
//! `ticket.rs`.

mod merge;
mod notes;
mod tags;
mod targets;
mod ticket;
mod write;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::mentions::MentionsChanged;
use super::{use_workspace_id, Here, InWorkspace, PageHeader};
use crate::chat::Priority;
use crate::components::clock::use_clock;
use crate::components::feedback::{EmptyState, ErrorPanel, Icon, Loading, NotAllowed};
use crate::components::format::waited;
use crate::components::live::{follow_changes, LiveState};
use crate::error::ServiceError;
use crate::permissions::Action as Permission;
use crate::tickets::{
    create_ticket, list_tickets, open_ticket, priority_label, validate_subject, Ticket, TicketList, TicketStatus,
    TicketView, PRIORITIES,
};
use targets::SlaBadge;
use ticket::TicketPane;

/// How often deadlines count down on the page.
const CLOCK_TICK: std::time::Duration = std::time::Duration::from_secs(15);

#[component]
pub fn TicketsPage() -> impl IntoView {
    let workspace_id = use_workspace_id();
    let query = use_query_map();
    let param = move |name: &str| query.with(|q| q.get(name).unwrap_or_default());
    // Bumped when a ticket changes here: the list reads itself again.
    let changes = RwSignal::new(0u64);
    let list = Resource::new(
        move || (workspace_id.get(), param("view"), param("tag"), changes.get()),
        |(workspace_id, view, tag, _)| list_tickets(workspace_id, view, tag),
    );
    let selected = Memo::new(move |_| param("t"));
    let opened = Resource::new(
        move || (workspace_id.get(), selected.get()),
        |(workspace_id, ticket_id)| async move {
            if ticket_id.is_empty() {
                return None;
            }
            Some(open_ticket(workspace_id, ticket_id).await)
        },
    );
    view! {
        <PageHeader title="Tickets" lead="What needs a person beyond a chat: escalated conversations, and what your team opens." />
        <InWorkspace render=move |here: Here| {
            if here.can(Permission::AnswerConversations) {
                view! { <Desk here list opened changes selected /> }.into_any()
            } else {
                view! { <NotAllowed role=here.role() what="work tickets" /> }.into_any()
            }
        } />
    }
}

#[component]
fn Desk(
    here: Here,
    list: Resource<Result<TicketList, ServiceError>>,
    opened: Resource<Option<Result<crate::tickets::TicketDetail, ServiceError>>>,
    changes: RwSignal<u64>,
    selected: Memo<String>,
) -> impl IntoView {
    let query = use_query_map();
    // Tickets change elsewhere (escalations, routing, colleagues): the list
    // reads itself again, and the open ticket when it is the one.
    let live = RwSignal::new(None::<bool>);
    let changed_elsewhere = RwSignal::new(0u64);
    let url = format!("/api/w/{}/tickets/events", here.workspace.id);
    follow_changes(
        url,
        move |ticket: String| {
            changes.update(|n| *n += 1);
            // A note may have named the viewer.
            MentionsChanged::bump();
            if ticket.is_empty() || selected.with_untracked(|s| *s == ticket) {
                changed_elsewhere.update(|n| *n += 1);
            }
        },
        live,
    );
    // Opening a ticket reads the viewer's mentions there.
    Effect::new(move |_| {
        if let Some(Some(Ok(_))) = opened.get() {
            MentionsChanged::bump();
        }
    });
    let here = StoredValue::new(here);
    view! {
        <div class="desk">
            <section class="desk-list panel" aria-labelledby="tickets-title">
                <div class="desk-list-head">
                    <h2 id="tickets-title">"Tickets"</h2>
                    <LiveState live />
                </div>
                <NewTicket workspace_id=here.with_value(|h| h.workspace.id.clone()) changes />
                <Transition fallback=|| view! { <Loading label="Loading tickets…" /> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Ok(list) => list_view(list, query).into_any(),
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <section class="desk-conversation" aria-label="Ticket">
                <Transition fallback=|| view! { <Loading label="Opening the ticket…" /> }>
                    {move || Suspend::new(async move {
                        match opened.await {
                            None => view! {
                                <EmptyState title="Pick a ticket" icon=Icon::Tickets>
                                    <p>"Choose one on the left. The most urgent come first, then the longest waiting."</p>
                                </EmptyState>
                            }
                            .into_any(),
                            Some(Ok(detail)) => {
                                let here = here.get_value();
                                view! { <TicketPane here detail changes changed_elsewhere /> }.into_any()
                            }
                            Some(Err(error)) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </div>
    }
}

/// The address with `name` set (or removed) and the rest kept.
fn with_param(query: &leptos_router::params::ParamsMap, name: &str, value: Option<&str>) -> String {
    let mut pairs: Vec<String> = ["view", "tag", "t"]
        .iter()
        .filter(|&&key| key != name)
        .filter_map(|&key| query.get(key).filter(|v| !v.is_empty()).map(|v| format!("{key}={v}")))
        .collect();
    if let Some(value) = value.filter(|v| !v.is_empty()) {
        pairs.push(format!("{name}={}", crate::components::url::encode_query_value(value)));
    }
    format!("?{}", pairs.join("&"))
}

fn list_view(list: TicketList, query: Memo<leptos_router::params::ParamsMap>) -> impl IntoView {
    let current = query.with_untracked(|q| TicketView::parse(&q.get("view").unwrap_or_default()).unwrap_or_default());
    let selected = query.with_untracked(|q| q.get("t").unwrap_or_default());
    let tabs = TicketView::ALL
        .into_iter()
        .zip(list.counts.iter().copied())
        .map(|(view, count)| {
            let href = query.with_untracked(|q| with_param(q, "view", Some(view.as_str()).filter(|v| *v != "live")));
            view! {
                <li>
                    <A href=href attr:class="desk-view" attr:aria-current=(view == current).then_some("page")>
                        {view.label()} <span class="desk-count">{count}</span>
                    </A>
                </li>
            }
        })
        .collect_view();
    let items = if list.tickets.is_empty() {
        let (title, text) = match current {
            TicketView::Mine => ("Nothing assigned to you", "Assign yourself a ticket to see it here."),
            TicketView::Unassigned => ("Everything has an owner", "New tickets wait here until someone takes them."),
            TicketView::Solved => ("Nothing solved yet", "Tickets you solve wait here; a reply opens them again."),
            TicketView::Closed => ("Nothing closed yet", "Close a solved ticket when it is done for good."),
            TicketView::Live => (
                "No tickets yet",
                "When a visitor asks for a person, is unhappy, or asks what your knowledge doesn't cover, \
                 the conversation becomes a ticket here. You can also open one with “New ticket”.",
            ),
        };
        view! { <EmptyState title icon=Icon::Tickets><p>{text}</p></EmptyState> }.into_any()
    } else {
        let (now, me) = (list.now, list.me.id.clone());
        let clock = use_clock(now, CLOCK_TICK);
        view! {
            <ul class="desk-items" aria-label="Tickets in this view">
                {list.tickets.into_iter().map(|ticket| {
                    let href = query.with_untracked(|q| with_param(q, "t", Some(&ticket.id)));
                    let open = ticket.id == selected;
                    view! { <TicketRow ticket href open clock me=me.clone() /> }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    let tagged = query.with_untracked(|q| q.get("tag")).filter(|t| !t.is_empty()).map(|tag| {
        let all = query.with_untracked(|q| with_param(q, "tag", None));
        view! {
            <p class="tag-filter">
                "Tagged " <span class="tag">{format!("#{tag}")}</span> " " <A href=all>"Show every tag"</A>
            </p>
        }
    });
    view! {
        <nav aria-label="Ticket views"><ul class="desk-views">{tabs}</ul></nav>
        {tagged}
        {items}
    }
}

#[component]
fn TicketRow(ticket: Ticket, href: String, open: bool, clock: ReadSignal<i64>, me: String) -> impl IntoView {
    let owner = match &ticket.assignee {
        Some(agent) if agent.id == me => "You".to_owned(),
        Some(agent) => agent.name.clone(),
        None => "Unassigned".to_owned(),
    };
    let (status, created_at, updated_at) = (ticket.status, ticket.created_at, ticket.updated_at);
    let age = move || match status {
        TicketStatus::Open | TicketStatus::Pending => format!("opened {} ago", waited(clock.get() - created_at)),
        _ => format!("updated {} ago", waited(clock.get() - updated_at)),
    };
    view! {
        <li class="desk-item" class:open=open data-id=ticket.id.clone()>
            <A href=href attr:class="desk-item-link" attr:aria-current=open.then_some("true")>
                <span class="desk-item-head">
                    <strong class="desk-item-who ticket-subject">{format!("#{} {}", ticket.number, ticket.subject)}</strong>
                </span>
                <span class="desk-item-meta">
                    <span class=format!("pill status-{}", ticket.status.as_str())>{ticket.status.label()}</span>
                    <PriorityPill priority=ticket.priority />
                    <span class="muted small">{age}</span>
                    <span class="muted small">{owner}</span>
                    <SlaBadge timers=ticket.sla.clone() missed=ticket.sla_missed now=clock />
                    {ticket.tags.iter().map(|tag| view! { <span class="tag small">{format!("#{tag}")}</span> }).collect_view()}
                </span>
            </A>
        </li>
    }
}

#[component]
pub fn PriorityPill(priority: Priority) -> impl IntoView {
    view! { <span class=format!("pill priority-{}", priority.as_str())>{priority_label(priority)}</span> }
}

/// "New ticket": a subject and a priority; the new ticket opens.
#[component]
fn NewTicket(workspace_id: String, changes: RwSignal<u64>) -> impl IntoView {
    let subject = RwSignal::new(String::new());
    let priority = RwSignal::new("normal".to_owned());
    let error = RwSignal::new(None::<String>);
    let open = RwSignal::new(false);
    let workspace = StoredValue::new(workspace_id);
    let create = Action::new(move |(subject, priority): &(String, String)| {
        let (subject, priority) = (subject.clone(), priority.clone());
        async move { create_ticket(workspace.get_value(), subject, priority, String::new()).await }
    });
    let navigate = StoredValue::new(use_navigate());
    let query = use_query_map();
    Effect::new(move |_| match create.value().get() {
        Some(Ok(detail)) => {
            subject.set(String::new());
            error.set(None);
            open.set(false);
            changes.update(|n| *n += 1);
            let href = query.with_untracked(|q| with_param(q, "t", Some(&detail.ticket.id)));
            navigate.with_value(|go| go(&href, Default::default()));
        }
        Some(Err(e)) => error.set(Some(e.explained())),
        None => {}
    });
    let submit = move || match validate_subject(&subject.get_untracked()) {
        Ok(text) => {
            create.dispatch((text, priority.get_untracked()));
        }
        Err(e) => error.set(Some(e.explained())),
    };
    view! {
        <div class="new-ticket">
            <button type="button" class="button button-small" aria-expanded=move || open.get().to_string()
                aria-controls="new-ticket-form" on:click=move |_| open.update(|o| *o = !*o)>
                "New ticket"
            </button>
            <Show when=move || open.get()>
            <form id="new-ticket-form" class="stack" on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <div class="field">
                <label for="ticket-subject">"Subject"</label>
                <input id="ticket-subject" type="text" maxlength=crate::tickets::SUBJECT_MAX_CHARS.to_string()
                    placeholder="What needs doing?"
                    aria-invalid=move || error.with(Option::is_some).to_string()
                    aria-describedby="ticket-subject-error"
                    prop:value=move || subject.get() on:input=move |ev| subject.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                <label for="ticket-priority">"Priority"</label>
                <select id="ticket-priority" on:change=move |ev| priority.set(event_target_value(&ev))>
                    {PRIORITIES.into_iter().map(|p| view! {
                        <option value=p.as_str() selected=p == Priority::Normal>{priority_label(p)}</option>
                    }).collect_view()}
                </select>
                </div>
                <p id="ticket-subject-error" class="field-error" role="alert">{move || error.get()}</p>
                <button type="submit" class="button button-primary" disabled=move || create.pending().get()>
                    {move || if create.pending().get() { "Opening…" } else { "Open ticket" }}
                </button>
            </form>
            </Show>
        </div>
    }
}
