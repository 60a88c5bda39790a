//! `/app/w/:id`, the workspace's home: the desk's inbox. Conversations
//! waiting for a person come first (most urgent, then longest waiting),
//! then the agent's own, then the ones the bot answers; views and filters
//! live in the address (`?view=mine&sentiment=negative&assignee=ID&channel=email`), and
//! the open conversation too (`&c=ID`), so a link or a reload shows the
//! same thing. The list follows the workspace live (`/inbox/events`), and
//! the keyboard works it: `j`/`k` next and previous, `a` assign to me, `r`
//! reply, `d` draft a reply, `e` resolve.
//!
//! Its resources are made when the page is, not after the viewer arrives,
//! so the server and the browser number them alike during hydration.

mod canned;
mod composer;
mod conversation;
mod ticket_link;

/// A reply box's draft, for the tickets page's email to a requester too.
pub(crate) use composer::DraftInBox;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::first_steps::FirstStepsPanel;
use super::{use_workspace_id, Here, InWorkspace, PageHeader};
use crate::chat::{load_first_steps, SentimentLabel};
use crate::components::feedback::{EmptyState, ErrorPanel, Icon, Loading, NotAllowed};
use crate::components::format::{count_of, waited};
use crate::components::live::{follow_changes, LiveState};
use crate::desk::{load_inbox, open_conversation, set_away, Channel, Inbox, InboxItem, InboxView};
use crate::permissions::Action;
use crate::reply_drafts::{DraftStats, DRAFT_STATS_DAYS};
use conversation::ConversationPane;

/// The inbox's address with one parameter changed (`None` removes it).
fn with_param(query: &leptos_router::params::ParamsMap, name: &str, value: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = ["view", "sentiment", "assignee", "channel", "c"]
        .iter()
        .filter(|&&key| key != name)
        .filter_map(|&key| query.get(key).filter(|v| !v.is_empty()).map(|v| (key.to_owned(), v)))
        .collect();
    if let Some(value) = value.filter(|v| !v.is_empty()) {
        pairs.push((name.to_owned(), value.to_owned()));
    }
    let order = |key: &str| ["view", "sentiment", "assignee", "channel", "c"].iter().position(|k| *k == key);
    pairs.sort_by_key(|(key, _)| order(key));
    let query: Vec<String> =
        pairs.iter().map(|(k, v)| format!("{k}={}", crate::components::url::encode_query_value(v))).collect();
    if query.is_empty() {
        "?".to_owned()
    } else {
        format!("?{}", query.join("&"))
    }
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let workspace_id = use_workspace_id();
    let query = use_query_map();
    let param = move |name: &str| query.with(|q| q.get(name).unwrap_or_default());
    // Bumped when the workspace signals a change: the list reads itself again.
    let changes = RwSignal::new(0u64);
    let inbox = Resource::new(
        move || {
            (workspace_id.get(), param("view"), param("sentiment"), param("assignee"), param("channel"), changes.get())
        },
        |(workspace_id, view, sentiment, assignee, channel, _)| {
            load_inbox(workspace_id, view, sentiment, assignee, channel)
        },
    );
    let steps = Resource::new(move || workspace_id.get(), load_first_steps);
    let selected = Memo::new(move |_| param("c"));
    let opened = Resource::new(
        move || (workspace_id.get(), selected.get()),
        |(workspace_id, conversation_id)| async move {
            if conversation_id.is_empty() {
                return None;
            }
            Some(open_conversation(workspace_id, conversation_id).await)
        },
    );
    view! {
        <PageHeader title="Inbox" lead="Conversations that need your team first, live as they happen." />
        <InWorkspace render=move |here: Here| {
            let first_steps = here.can(Action::ManageKnowledge).then(|| view! { <FirstStepsPanel here=here.clone() steps /> });
            let desk = if here.can(Action::AnswerConversations) {
                view! { <Desk here inbox opened changes /> }.into_any()
            } else {
                view! { <NotAllowed role=here.role() what="answer conversations" /> }.into_any()
            };
            view! { {first_steps} {desk} }
        } />
    }
}

type InboxResource = Resource<Result<Inbox, crate::error::ServiceError>>;

#[component]
fn Desk(
    here: Here,
    inbox: InboxResource,
    opened: Resource<Option<Result<crate::desk::DeskConversation, crate::error::ServiceError>>>,
    changes: RwSignal<u64>,
) -> impl IntoView {
    let query = use_query_map();
    let live = RwSignal::new(None::<bool>);
    // The list reads itself again whenever the workspace's conversations change.
    let url = format!("/api/w/{}/inbox/events", here.workspace.id);
    follow_changes(url, move |_| changes.update(|n| *n += 1), live);
    // The ids the list shows, in order, for `j` and `k`.
    let order = RwSignal::new(Vec::<String>::new());
    shortcuts_for_the_list(order);
    let here = StoredValue::new(here);
    view! {
        <div class="desk">
            <section class="desk-list panel" aria-labelledby="desk-list-title">
                <div class="desk-list-head">
                    <h2 id="desk-list-title">"Conversations"</h2>
                    <LiveState live />
                </div>
                <Transition fallback=|| view! { <Loading label="Loading the inbox…" /> }>
                    {move || Suspend::new(async move {
                        match inbox.await {
                            Ok(inbox) => {
                                order.set(inbox.items.iter().map(|item| item.id.clone()).collect());
                                here.with_value(|here| list_view(here, inbox, query)).into_any()
                            }
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })}
                </Transition>
                <Shortcuts />
            </section>
            <section class="desk-conversation" aria-label="Conversation">
                <Transition fallback=|| view! { <Loading label="Opening the conversation…" /> }>
                    {move || Suspend::new(async move {
                        match opened.await {
                            None => view! {
                                <EmptyState title="Pick a conversation" icon=Icon::Conversations>
                                    <p>"Choose one on the left, or press j to open the first. Waiting visitors come first."</p>
                                </EmptyState>
                            }
                            .into_any(),
                            Some(Ok(conversation)) => {
                                let here = here.get_value();
                                view! { <ConversationPane here conversation changes /> }.into_any()
                            }
                            Some(Err(error)) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </div>
    }
}

/// The views with their counts, the filters, and the list.
fn list_view(here: &Here, inbox: Inbox, query: Memo<leptos_router::params::ParamsMap>) -> impl IntoView {
    let current = query.with_untracked(|q| InboxView::parse(&q.get("view").unwrap_or_default()).unwrap_or_default());
    let selected = query.with_untracked(|q| q.get("c").unwrap_or_default());
    let tabs = InboxView::ALL
        .into_iter()
        .map(|view| {
            let href = query.with_untracked(|q| with_param(q, "view", Some(view.as_str()).filter(|v| *v != "open")));
            let count = inbox.counts.of(view).map(|n| view! { <span class="desk-count">{n}</span> });
            view! {
                <li>
                    <A href=href attr:class="desk-view" attr:aria-current=(view == current).then_some("page")>
                        {view.label()} {count}
                    </A>
                </li>
            }
        })
        .collect_view();
    let filters = filters(&inbox, query);
    let filtering = query.with_untracked(|q| ["sentiment", "assignee", "channel"].iter().any(|k| q.get(k).is_some()));
    let widget = here.path("/widget");
    let items = if inbox.items.is_empty() {
        let (title, text) = match (current, filtering) {
            (_, true) => ("Nothing matches", "Try another filter, or clear them."),
            (InboxView::Waiting, _) => (
                "Nobody is waiting",
                "Visitors who ask for a person, or whom the assistant can't help, appear here first.",
            ),
            (InboxView::Mine, _) => ("Nothing assigned to you", "Join a conversation to answer it yourself."),
            (InboxView::Resolved, _) => ("Nothing resolved yet", "Conversations you resolve move here."),
            _ => (
                "No open conversations",
                "When visitors chat with your widget, their conversations appear here as they happen.",
            ),
        };
        view! {
            <EmptyState title icon=Icon::Inbox>
                <p>{text}</p>
                {(current == InboxView::Open && !filtering).then(|| view! { <p><a href=widget>"Set up the widget"</a></p> })}
            </EmptyState>
        }
        .into_any()
    } else {
        let now = inbox.now;
        let me = inbox.me.id.clone();
        view! {
            <ul class="desk-items" aria-label="Conversations in this view">
                {inbox
                    .items
                    .into_iter()
                    .map(|item| {
                        let href = query.with_untracked(|q| with_param(q, "c", Some(&item.id)));
                        let open = item.id == selected;
                        view! { <ItemRow item href open now me=me.clone() /> }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    let unread = (inbox.counts.unread > 0)
        .then(|| view! { <p class="muted small">{count_of(u64::from(inbox.counts.unread), "conversation has", "conversations have")} " messages you haven't read"</p> });
    let ratings = inbox.my_ratings;
    let rated = ratings.average.map(|average| {
        let visitors = count_of(u64::from(ratings.count), "visitor", "visitors");
        view! { <p class="muted small desk-my-rating">{format!("Your rating: {average:.1} out of 5 from {visitors}")}</p> }
    });
    view! {
        <Availability workspace_id=here.workspace.id.clone() away=inbox.away />
        <nav aria-label="Inbox views"><ul class="desk-views">{tabs}</ul></nav>
        {filters}
        {unread}
        {items}
        {rated}
        <DraftUse stats=inbox.drafts />
    }
}

/// Whether the caller takes new work: away, routing hands them no ticket
/// and visitors are not told someone is online, even with the inbox open.
#[component]
fn Availability(workspace_id: String, away: bool) -> impl IntoView {
    let away = RwSignal::new(away);
    let set = leptos::prelude::Action::new(move |next: &bool| {
        let (workspace_id, next) = (workspace_id.clone(), *next);
        async move { set_away(workspace_id, if next { "away" } else { "available" }.to_owned()).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(now)) = set.value().get() {
            away.set(now);
        }
    });
    view! {
        <div class="availability" class:is-away=move || away.get()>
            <span class="availability-state" role="status">
                {move || if away.get() { "You're away: no new tickets, and visitors don't count you online." } else { "You're available." }}
            </span>
            <button type="button" class="button button-small" aria-pressed=move || away.get().to_string()
                disabled=move || set.pending().get() on:click=move |_| { set.dispatch(!away.get_untracked()); }>
                {move || if away.get() { "Back to available" } else { "Set me away" }}
            </button>
        </div>
    }
}

/// What the team did with the assistant's drafts lately, drawn as one bar.
#[component]
fn DraftUse(stats: DraftStats) -> impl IntoView {
    let total = stats.total();
    (total > 0).then(|| {
        let parts = [
            ("sent", stats.sent, "sent as written"),
            ("edited", stats.edited, "edited"),
            ("discarded", stats.discarded, "discarded"),
        ];
        let heading = format!("Assistant drafts, last {DRAFT_STATS_DAYS} days");
        view! {
            <figure class="desk-drafts">
                <figcaption class="small">
                    <strong>{heading}</strong>
                    <ul class="draft-legend">
                        {parts.iter().filter(|(_, n, _)| *n > 0).map(|(kind, n, what)| view! {
                            <li class=format!("draft-{kind}")>{format!("{n} {what}")}</li>
                        }).collect_view()}
                    </ul>
                </figcaption>
                // SVG geometry, not inline styles: the page's CSP allows none.
                <svg class="draft-bar" viewBox="0 0 100 1" preserveAspectRatio="none" aria-hidden="true">
                    {parts.into_iter().filter(|(_, n, _)| *n > 0).scan(0.0, |x, (kind, n, _)| {
                        let width = f64::from(n) * 100.0 / f64::from(total);
                        let start = *x;
                        *x += width;
                        Some(view! {
                            <rect class=format!("draft-{kind}") x=format!("{start:.2}") y="0"
                                width=format!("{width:.2}") height="1"></rect>
                        })
                    }).collect_view()}
                </svg>
            </figure>
        }
    })
}

fn filters(inbox: &Inbox, query: Memo<leptos_router::params::ParamsMap>) -> impl IntoView {
    // The filters are drawn again each time the list reloads (a live change):
    // a choice made just as that happens runs on the replaced select, so the
    // handler owns what it needs rather than borrowing from the old drawing.
    let navigate = use_navigate();
    let go = move |name: &'static str, value: String| {
        let href = query.with_untracked(|q| with_param(q, name, Some(&value)));
        navigate(&href, Default::default());
    };
    let sentiment = query.with_untracked(|q| q.get("sentiment").unwrap_or_default());
    let assignee = query.with_untracked(|q| q.get("assignee").unwrap_or_default());
    let channel = query.with_untracked(|q| q.get("channel").unwrap_or_default());
    let agents = inbox.agents.clone();
    view! {
        <div class="desk-filters">
            <div class="field">
                <label for="desk-sentiment">"Sentiment"</label>
                <select id="desk-sentiment" on:change={
                    let go = go.clone();
                    move |ev| go("sentiment", event_target_value(&ev))
                }>
                    <option value="" selected=sentiment.is_empty()>"Any"</option>
                    {[SentimentLabel::Negative, SentimentLabel::Neutral, SentimentLabel::Positive]
                        .into_iter()
                        .map(|s| view! { <option value=s.as_str() selected=sentiment == s.as_str()>{s.label()}</option> })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="desk-assignee">"Answered by"</label>
                <select id="desk-assignee" on:change={
                    let go = go.clone();
                    move |ev| go("assignee", event_target_value(&ev))
                }>
                    <option value="" selected=assignee.is_empty()>"Anyone"</option>
                    {agents
                        .into_iter()
                        .map(|agent| {
                            let chosen = agent.id == assignee;
                            view! { <option value=agent.id selected=chosen>{agent.name}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="desk-channel">"Channel"</label>
                <select id="desk-channel" on:change=move |ev| go("channel", event_target_value(&ev))>
                    <option value="" selected=channel.is_empty()>"Any"</option>
                    {Channel::ALL
                        .into_iter()
                        .map(|c| view! { <option value=c.as_str() selected=channel == c.as_str()>{c.label()}</option> })
                        .collect_view()}
                </select>
            </div>
        </div>
    }
}

#[component]
fn ItemRow(item: InboxItem, href: String, open: bool, now: i64, me: String) -> impl IntoView {
    let who = item.visitor_name.clone().or_else(|| item.visitor_email.clone());
    let who = who.unwrap_or_else(|| "Anonymous visitor".into());
    let answering = match &item.assignee {
        Some(agent) if agent.id == me => "You".to_owned(),
        Some(agent) => agent.name.clone(),
        None if item.resolved_at.is_some() => "Resolved".to_owned(),
        None => "Assistant".to_owned(),
    };
    let waiting = item.waiting_since.map(|since| {
        view! { <span class="pill waiting">{format!("Waiting {}", waited(now - since))}</span> }
    });
    let urgent = matches!(item.priority, crate::chat::Priority::High | crate::chat::Priority::Urgent).then(
        || view! { <span class=format!("pill priority-{}", item.priority.as_str())>{item.priority.as_str()}</span> },
    );
    // Opening a conversation reads it.
    let unread = (item.unread > 0 && !open).then(|| {
        view! { <span class="desk-unread" aria-label=format!("{} unread", item.unread)>{item.unread}</span> }
    });
    let preview = if item.preview.is_empty() { "(no message yet)".to_owned() } else { item.preview.clone() };
    let fresh = item.unread > 0 && !open;
    view! {
        <li class="desk-item" class:open=open class:unread=fresh data-id=item.id.clone()>
            <A href=href attr:class="desk-item-link" attr:aria-current=open.then_some("true")>
                <span class="desk-item-head">
                    <strong class="desk-item-who">{who}</strong>
                    {unread}
                </span>
                <span class="desk-item-preview">{preview}</span>
                <span class="desk-item-meta">
                    {waiting}
                    {item.flag.map(|f| view! { <span class="pill flagged">{f.label()}</span> })}
                    {(item.channel == Channel::Email).then(|| view! { <span class="pill channel-email">"Email"</span> })}
                    {urgent}
                    {item.sentiment.map(|s| view! { <span class=format!("pill sentiment-{}", s.as_str())>{s.label()}</span> })}
                    <span class="muted small">{answering}</span>
                </span>
            </A>
        </li>
    }
}

/// `j` and `k` open the next and previous conversation of the list.
fn shortcuts_for_the_list(order: RwSignal<Vec<String>>) {
    let query = use_query_map();
    let navigate = StoredValue::new(use_navigate());
    on_shortcut(move |key| {
        let step: isize = match key {
            "j" => 1,
            "k" => -1,
            _ => return false,
        };
        let ids = order.get_untracked();
        if ids.is_empty() {
            return false;
        }
        let current = query.with_untracked(|q| q.get("c").unwrap_or_default());
        let next = match ids.iter().position(|id| *id == current) {
            Some(at) => (at as isize + step).clamp(0, ids.len() as isize - 1) as usize,
            None => 0,
        };
        let href = query.with_untracked(|q| with_param(q, "c", Some(&ids[next])));
        navigate.with_value(|navigate| navigate(&href, Default::default()));
        true
    });
}

/// Calls `handle(key)` for a plain key pressed outside any field; when it
/// answers `true`, the browser's own handling of the key is prevented.
pub(super) fn on_shortcut(handle: impl Fn(&str) -> bool + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let listener = window_event_listener(leptos::ev::keydown, move |ev: leptos::ev::KeyboardEvent| {
            if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || ev.default_prevented() {
                return;
            }
            let typing = ev.target().and_then(|target| target.dyn_into::<web_sys::Element>().ok()).is_some_and(|el| {
                matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                    || el.closest("[contenteditable]").ok().flatten().is_some()
            });
            if !typing && handle(&ev.key()) {
                ev.prevent_default();
            }
        });
        on_cleanup(move || listener.remove());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = handle;
}

/// What the keys do, for whoever looks.
#[component]
fn Shortcuts() -> impl IntoView {
    view! {
        <details class="desk-shortcuts">
            <summary>"Keyboard shortcuts"</summary>
            <dl>
                <dt><kbd>"j"</kbd> " / " <kbd>"k"</kbd></dt><dd>"Next / previous conversation"</dd>
                <dt><kbd>"a"</kbd></dt><dd>"Assign to me (join)"</dd>
                <dt><kbd>"r"</kbd></dt><dd>"Reply"</dd>
                <dt><kbd>"d"</kbd></dt><dd>"Draft a reply from your knowledge base"</dd>
                <dt><kbd>"e"</kbd></dt><dd>"Resolve"</dd>
                <dt><kbd>"Enter"</kbd></dt><dd>"Send (Shift+Enter for a new line)"</dd>
            </dl>
        </details>
    }
}
