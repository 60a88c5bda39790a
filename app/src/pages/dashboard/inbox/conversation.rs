//! The open conversation beside the inbox: its transcript followed live
//! (the conversation's journal, resumed after the entry it was opened at),
//! who answers it, and what an agent does with it: join, reply, hand back
//! to the assistant, resolve. `a`, `r` and `e` are the keys for them; the
//! reply box is `composer.rs`.
//! "Seen" marks the newest reply the visitor's widget has shown.

use leptos::prelude::*;

use super::composer::Composer;
use super::on_shortcut;
use super::ticket_link::ConversationTicket;
use crate::canned_replies::PlaceholderValues;
use crate::chat::{Author, ChatMessage};
use crate::components::format::Time;
use crate::desk::{
    hand_back_conversation, join_conversation, resolve_conversation, Agent, DeskConversation, Rating, Takeover,
};
use crate::error::ServiceError;
use crate::pages::dashboard::conversations::TranscriptMessage;
use crate::pages::dashboard::visitor_identity::VerifiedVisitor;
use crate::pages::dashboard::Here;

/// A line of the thread: a message, or something that happened while the
/// pane was open (only the browser hears those).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Line {
    Message(ChatMessage),
    Event(String),
}

/// What the pane knows of the conversation, kept current by its journal.
#[derive(Clone, Copy)]
pub(super) struct Thread {
    lines: RwSignal<Vec<Line>>,
    pub assignee: RwSignal<Option<Agent>>,
    pub resolved: RwSignal<bool>,
    /// "The visitor is typing…", for a few seconds after each signal.
    typing: RwSignal<Option<String>>,
    /// The visitor saw the team's messages up to this one's time.
    visitor_seen: RwSignal<Option<i64>>,
    /// The visitor's rating, once given.
    rating: RwSignal<Option<Rating>>,
}

impl Thread {
    /// Adds a message unless it is already shown (the transcript and the
    /// live stream may both carry one written while the pane opened).
    pub fn add(self, message: ChatMessage) -> bool {
        let known = self
            .lines
            .with_untracked(|lines| lines.iter().any(|line| matches!(line, Line::Message(m) if m.id == message.id)));
        if !known {
            self.lines.update(|lines| lines.push(Line::Message(message)));
        }
        !known
    }

    /// The id of the visitor's newest message.
    pub fn newest_from_visitor(self) -> Option<String> {
        self.lines.with_untracked(|lines| {
            lines.iter().rev().find_map(|line| match line {
                Line::Message(m) if m.author == Author::Visitor => Some(m.id.clone()),
                _ => None,
            })
        })
    }

    /// The team's newest message the visitor has seen.
    fn seen_reply(self) -> Option<String> {
        let seen = self.visitor_seen.get()?;
        self.lines.with(|lines| {
            lines.iter().rev().find_map(|line| match line {
                Line::Message(m) if m.author == Author::Agent && m.created_at <= seen => Some(m.id.clone()),
                _ => None,
            })
        })
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn event(self, text: String) {
        self.lines.update(|lines| lines.push(Line::Event(text)));
    }

    /// Applies a change the server confirmed (a join, hand-back or resolve).
    fn took(self, takeover: &Takeover) {
        self.assignee.set(takeover.assignee.clone());
    }
}

#[component]
pub fn ConversationPane(here: Here, conversation: DeskConversation, changes: RwSignal<u64>) -> impl IntoView {
    let DeskConversation { transcript, assignee, resolved_at, visitor_seen_at, rating, seq, ticket, visitor } =
        conversation;
    let summary = transcript.conversation;
    let first_words = transcript
        .messages
        .iter()
        .find(|m| m.author == Author::Visitor)
        .map_or_else(|| format!("Conversation on {}", summary.origin), |m| m.body.clone());
    let thread = Thread {
        lines: RwSignal::new(transcript.messages.into_iter().map(Line::Message).collect()),
        assignee: RwSignal::new(assignee),
        resolved: RwSignal::new(resolved_at.is_some()),
        typing: RwSignal::new(None),
        visitor_seen: RwSignal::new(visitor_seen_at),
        rating: RwSignal::new(rating),
    };
    let seen_reply = Memo::new(move |_| thread.seen_reply());
    let values = PlaceholderValues {
        agent_name: here.viewer.name.clone(),
        visitor_email: summary.visitor_email.clone(),
        workspace_name: here.workspace.name.clone(),
        ticket_number: ticket.as_ref().map(|t| t.number),
        // A page's address; a conversation begun by email has none.
        origin: summary.origin.starts_with("http").then(|| summary.origin.clone()),
    };
    let ids = StoredValue::new((here.workspace.id.clone(), summary.id.clone()));
    let me = here.viewer.user_id.clone();
    let live = RwSignal::new(None::<bool>);
    follow_conversation(&here.workspace.id, &summary.id, &me, seq, thread, live, changes);
    let say_typing = typing_sayer(ids);
    let transcript_end = NodeRef::<leptos::html::Ol>::new();
    keep_scrolled_down(transcript_end, thread);

    let error = RwSignal::new(None::<String>);
    let done = move |result: Result<Takeover, ServiceError>| match result {
        Ok(takeover) => {
            thread.took(&takeover);
            error.set(None);
            changes.update(|n| *n += 1);
        }
        Err(e) => error.set(Some(e.to_string())),
    };
    let join = Action::new(move |_: &()| {
        let (w, c) = ids.get_value();
        async move { join_conversation(w, c).await }
    });
    let hand_back = Action::new(move |_: &()| {
        let (w, c) = ids.get_value();
        async move { hand_back_conversation(w, c).await }
    });
    // Whether resolving asks the visitor (answered by a person) to rate the conversation.
    let ask_rating = RwSignal::new(true);
    let resolve = Action::new(move |_: &()| {
        let (w, c) = ids.get_value();
        let skip_rating = !ask_rating.get_untracked();
        async move { resolve_conversation(w, c, skip_rating).await }
    });
    for (action, resolving) in [(join, false), (hand_back, false), (resolve, true)] {
        Effect::new(move |_| {
            if let Some(result) = action.value().get() {
                if resolving && result.is_ok() {
                    thread.resolved.set(true);
                }
                done(result);
            }
        });
    }
    let mine = {
        let me = me.clone();
        Memo::new(move |_| thread.assignee.with(|a| a.as_ref().is_some_and(|a| a.id == me)))
    };

    on_shortcut(move |key| match key {
        "a" if !mine.get_untracked() => {
            join.dispatch(());
            true
        }
        "r" => {
            crate::focus::focus_element("desk-reply");
            true
        }
        "e" if !thread.resolved.get_untracked() => {
            resolve.dispatch(());
            true
        }
        _ => false,
    });

    let who = visitor.as_ref().and_then(|v| v.name.clone()).or_else(|| summary.visitor_email.clone());
    let who = who.unwrap_or_else(|| "Anonymous visitor".into());
    let answering = move || match (thread.assignee.get(), thread.resolved.get()) {
        (_, true) => "Resolved. The visitor's next message opens it again.".to_owned(),
        (Some(_), _) if mine.get() => "You're answering. The assistant is silent until you hand back.".to_owned(),
        (Some(agent), _) => format!("{} is answering.", agent.name),
        (None, _) => "The assistant is answering.".to_owned(),
    };
    let busy = move || join.pending().get() || hand_back.pending().get() || resolve.pending().get();
    view! {
        <article class="desk-thread panel" aria-labelledby="thread-title">
            <header class="desk-thread-head">
                <div>
                    <h2 id="thread-title">{who}</h2>
                    <p class="muted small">
                        "Started " <Time at=summary.created_at /> " on " {summary.origin.clone()} " · "
                        {format!("priority {}", summary.priority.as_str())}
                    </p>
                    {visitor.map(|visitor| view! { <VerifiedVisitor visitor /> })}
                    <p class="desk-answering" role="status">{answering}</p>
                    {move || thread.rating.get().map(|rating| view! { <RatingLine rating /> })}
                </div>
                <div class="desk-thread-actions">
                    <ConversationTicket here=here.clone() conversation_id=summary.id.clone() ticket first_words
                        priority=summary.priority />
                    <Show when=move || !mine.get()>
                        <button type="button" class="button button-primary" disabled=busy on:click=move |_| { join.dispatch(()); }>
                            "Join" <kbd class="key-hint">"a"</kbd>
                        </button>
                    </Show>
                    <Show when=move || thread.assignee.with(Option::is_some)>
                        <button type="button" class="button" disabled=busy on:click=move |_| { hand_back.dispatch(()); }>
                            "Hand back to the assistant"
                        </button>
                    </Show>
                    <Show when=move || !thread.resolved.get()>
                        <button type="button" class="button" disabled=busy on:click=move |_| { resolve.dispatch(()); }>
                            "Resolve" <kbd class="key-hint">"e"</kbd>
                        </button>
                        <label class="checkbox small">
                            <input type="checkbox" prop:checked=move || ask_rating.get()
                                on:change=move |ev| ask_rating.set(event_target_checked(&ev)) />
                            " Ask the visitor for a rating"
                        </label>
                    </Show>
                </div>
            </header>
            <ol class="transcript desk-transcript" aria-label="Messages" aria-live="polite" node_ref=transcript_end>
                <For each=move || thread.lines.get().into_iter().enumerate() key=|(i, line)| match line {
                    Line::Message(m) => m.id.clone(),
                    Line::Event(_) => format!("event-{i}"),
                } let:((_, line))>
                    {match line {
                        Line::Message(m) => {
                            let id = m.id.clone();
                            let seen = move || seen_reply.with(|s| s.as_deref() == Some(id.as_str()));
                            view! {
                                <TranscriptMessage m />
                                <Show when=seen>
                                    <li class="desk-seen">"Seen"</li>
                                </Show>
                            }
                            .into_any()
                        }
                        Line::Event(text) => view! { <li class="desk-event">{text}</li> }.into_any(),
                    }}
                </For>
            </ol>
            <p class="desk-typing" aria-live="polite">{move || thread.typing.get()}</p>
            <Composer ids me thread error live say_typing changes values />
        </article>
    }
}

/// Follows the conversation's journal after entry `after`: new messages,
/// joins, hand-backs and resolutions, marking the visitor's messages read
/// while the page is in view.
fn follow_conversation(
    workspace_id: &str,
    conversation_id: &str,
    me: &str,
    after: i64,
    thread: Thread,
    live: RwSignal<Option<bool>>,
    changes: RwSignal<u64>,
) {
    #[cfg(feature = "hydrate")]
    {
        use crate::components::live::Subscription;
        let url = format!("/api/w/{workspace_id}/conversations/{conversation_id}/events?after={after}");
        let ids = (workspace_id.to_owned(), conversation_id.to_owned());
        let me = me.to_owned();
        let subscription = StoredValue::new_local(None::<Subscription>);
        let typing_heard = StoredValue::new(0u32);
        Effect::new(move |_| {
            let (ids, me) = (ids.clone(), me.clone());
            let on_event = move |kind: &'static str, data: String| {
                let value: serde_json::Value = serde_json::from_str(&data).unwrap_or_default();
                match kind {
                    "message" => {
                        let Ok(message) = serde_json::from_value::<ChatMessage>(value) else { return };
                        let from_visitor = message.author == Author::Visitor;
                        if from_visitor {
                            thread.typing.set(None);
                        }
                        if thread.add(message) && from_visitor && page_visible() {
                            let (w, c) = ids.clone();
                            // Read: the inbox's unread counts follow.
                            leptos::task::spawn_local(async move {
                                if crate::desk::mark_read(w, c).await.is_ok() {
                                    changes.update(|n| *n += 1);
                                }
                            });
                        }
                    }
                    "typing" => {
                        let who = match serde_json::from_value::<Option<Agent>>(value["agent"].clone()) {
                            Ok(None) => "The visitor is typing…".to_owned(),
                            Ok(Some(agent)) if agent.id != me => format!("{} is typing…", agent.name),
                            _ => return,
                        };
                        let heard = typing_heard.get_value().wrapping_add(1);
                        typing_heard.set_value(heard);
                        thread.typing.set(Some(who));
                        set_timeout(
                            move || {
                                if typing_heard.get_value() == heard {
                                    thread.typing.set(None);
                                }
                            },
                            TYPING_SHOWN,
                        );
                    }
                    "joined" => {
                        let agent = serde_json::from_value::<Agent>(value["agent"].clone()).ok();
                        let name = agent.as_ref().map_or("Someone", |a| a.name.as_str()).to_owned();
                        thread.assignee.set(agent);
                        thread.event(format!("{name} joined the conversation"));
                    }
                    "handed_back" => {
                        thread.assignee.set(None);
                        thread.event("Handed back to the assistant".to_owned());
                    }
                    "seen" if value["by"] == "visitor" => {
                        thread.visitor_seen.set(value["at"].as_i64());
                    }
                    "emailed" => {
                        let replies = value["replies"].as_u64().unwrap_or(1);
                        let to = value["to"].as_str().unwrap_or("the visitor");
                        let what = if replies == 1 { "the reply".to_owned() } else { format!("{replies} replies") };
                        thread.event(format!("The visitor hadn't seen it: emailed {what} to {to}"));
                    }
                    "rated" => {
                        let score = value["score"].as_u64().unwrap_or(0).clamp(1, 5) as u8;
                        let comment = value["comment"].as_str().unwrap_or_default().to_owned();
                        thread.event(format!("The visitor rated this conversation {score} out of 5"));
                        thread.rating.set(Some(Rating { score, comment }));
                    }
                    "resolved" => {
                        thread.assignee.set(None);
                        thread.resolved.set(true);
                        let name = value["agent"]["name"].as_str().unwrap_or("Someone").to_owned();
                        thread.event(format!("{name} resolved the conversation"));
                    }
                    _ => {}
                }
            };
            let opened = Subscription::open(
                &url,
                &["message", "typing", "joined", "handed_back", "resolved", "seen", "rated", "emailed"],
                on_event,
                move |open| live.set(Some(open)),
            );
            subscription.set_value(opened);
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (workspace_id, conversation_id, me, after, thread, live, changes);
}

/// How long "typing" shows after the last signal, and how often the page
/// says the agent is typing, at most.
#[cfg(feature = "hydrate")]
const TYPING_SHOWN: std::time::Duration = std::time::Duration::from_secs(4);
#[cfg(feature = "hydrate")]
const TYPING_EVERY: std::time::Duration = std::time::Duration::from_millis(2_500);

/// What the reply box calls as the agent types: tells the conversation's
/// followers, at most every [`TYPING_EVERY`].
fn typing_sayer(ids: StoredValue<(String, String)>) -> impl Fn() + Copy + 'static {
    let said = StoredValue::new(false);
    move || {
        #[cfg(feature = "hydrate")]
        if !said.get_value() {
            said.set_value(true);
            let (w, c) = ids.get_value();
            leptos::task::spawn_local(async move {
                let _ = crate::desk::say_typing(w, c).await;
            });
            set_timeout(move || said.set_value(false), TYPING_EVERY);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ids, said);
    }
}

/// The newest line stays in sight: on opening, and as lines arrive.
fn keep_scrolled_down(list: NodeRef<leptos::html::Ol>, thread: Thread) {
    Effect::new(move |_| {
        thread.lines.track();
        if let Some(list) = list.get() {
            list.set_scroll_top(list.scroll_height());
        }
    });
}

#[cfg(feature = "hydrate")]
fn page_visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
}

/// "Rated 4 out of 5", drawn as stars, with the visitor's comment.
#[component]
pub fn RatingLine(rating: Rating) -> impl IntoView {
    let stars: String = (1..=5).map(|n| if n <= rating.score { '★' } else { '☆' }).collect();
    let label = format!("Rated {} out of 5", rating.score);
    view! {
        <p class="desk-rating">
            <span class="stars" role="img" aria-label=label.clone()>{stars}</span>
            <span class="muted small">{label}</span>
            {(!rating.comment.is_empty()).then(|| view! { <q>{rating.comment.clone()}</q> })}
        </p>
    }
}
