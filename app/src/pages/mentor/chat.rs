//! `/mentor/chat`: a signed-in person's conversations with the mentor about
//! their saved profile. `?c=` opens a past conversation, `?ask=` fills the
//! question box (the results page's suggestions link here). The page
//! shows the mode answers come in, the month's questions against the plan
//! and the streak. Answers stream in as they are written.

use futures_util::StreamExt;
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use leptos::server_fn::codec::TextStream;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::components::feedback::{ErrorPanel, Loading};
use crate::components::meter::Meter;
use crate::dates::long_date;
use crate::error::ServiceError;
use crate::mentor::ONET_ATTRIBUTION;
use crate::mentor_chat::{
    ask_mentor, conversation_title, open_mentor_chat, EventLines, MentorChat, MentorConversation, MentorEvent,
    MentorMessage, MentorReply, MentorUsage, QUESTION_MAX,
};

#[component]
pub fn MentorChatPage() -> impl IntoView {
    let query = use_query_map();
    let conversation = Memo::new(move |_| query.with(|q| q.get("c")).filter(|c| !c.is_empty()));
    let chat = Resource::new(move || conversation.get(), open_mentor_chat);
    view! {
        <Title text="Your career mentor" />
        <section class="section mentor-chat">
            <div class="container">
                <Transition fallback=|| view! { <Loading label="Opening your mentor…" /> }>
                    {move || Suspend::new(async move {
                        match chat.await {
                            Ok(chat) => view! { <ChatView chat /> }.into_any(),
                            Err(ServiceError::Unauthenticated) => view! { <SignInFirst /> }.into_any(),
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })}
                </Transition>
                <p class="attribution small muted">{ONET_ATTRIBUTION}</p>
            </div>
        </section>
    }
}

#[component]
fn SignInFirst() -> impl IntoView {
    view! {
        <div class="notice mentor-signin">
            <h1 class="h2">"Talk to your career mentor"</h1>
            <p>
                "The mentor answers from your career profile: why a role suits you, what to learn first, how long "
                "until you're job-ready and where else you could go. It keeps your conversations, so you need an account."
            </p>
            <p class="actions">
                <a class="button button-primary" href="/signup?purpose=mentor">"Create a free account"</a>
                <a class="button" href="/login?next=/mentor/chat">"Log in"</a>
            </p>
        </div>
    }
}

#[component]
fn ChatView(chat: MentorChat) -> impl IntoView {
    let MentorChat { greeting, has_profile, mode, suggestions, usage, conversations, conversation, messages } = chat;
    let messages = RwSignal::new(messages);
    let conversations = RwSignal::new(conversations);
    let suggestions = RwSignal::new(suggestions);
    let usage = RwSignal::new(usage);
    let draft = RwSignal::new(use_query_map().with_untracked(|q| q.get("ask")).unwrap_or_default());
    let asking = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<ServiceError>);
    let open = StoredValue::new(conversation.clone());
    let navigate = use_navigate();
    // The answer as it streams in, until the reply as stored replaces it.
    let streamed = RwSignal::new(String::new());
    let ask = Action::new(move |question: &String| {
        let (conversation, question) = (open.get_value(), question.clone());
        async move { read_answer(ask_mentor(conversation, question).await?, streamed).await }
    });
    Effect::new(move |_| {
        let Some(outcome) = ask.value().get() else { return };
        let question = asking.get_untracked().unwrap_or_default();
        asking.set(None);
        streamed.set(String::new());
        match outcome {
            Ok(MentorReply { conversation, question, answer, suggestions: next, usage: now, .. }) => {
                conversations.update(|list| note_question(list, &conversation, &question));
                messages.update(|m| m.extend([question, answer]));
                suggestions.set(next);
                usage.set(now);
                failure.set(None);
                if open.get_value().as_deref() != Some(&conversation) {
                    open.set_value(Some(conversation.clone()));
                    navigate(
                        &format!("/mentor/chat?c={conversation}"),
                        NavigateOptions { replace: true, scroll: false, ..Default::default() },
                    );
                }
            }
            Err(error) => {
                draft.set(question);
                failure.set(Some(error));
            }
        }
    });
    // The newest message in view, as in any chat.
    let thread = NodeRef::<leptos::html::Ol>::new();
    Effect::new(move |_| {
        messages.track();
        asking.track();
        if let Some(thread) = thread.get() {
            thread.set_scroll_top(thread.scroll_height());
        }
    });
    let send = move |question: String| {
        let question = question.trim().to_owned();
        if question.is_empty() || asking.get_untracked().is_some() {
            return;
        }
        draft.set(String::new());
        failure.set(None);
        asking.set(Some(question.clone()));
        ask.dispatch(question);
    };
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() {
            ev.prevent_default();
            send(draft.get_untracked());
        }
    };
    let mode_label = mode.label();
    let offline = matches!(mode, crate::mentor_chat::AnswerMode::Offline);
    view! {
        <div class="chat-layout">
            <History conversations open=conversation />
            <div class="chat-main">
                <header class="chat-head">
                    <h1 class="h2">"Your career mentor"</h1>
                    <p class="mode-badge small" class:mode-offline=offline>{mode_label}</p>
                </header>
                <UsagePanel usage />
                <ol class="chat-thread" aria-live="polite" aria-label="Conversation" node_ref=thread>
                    <li class="bubble bubble-bot">
                        <p class="bubble-text">{greeting}</p>
                        {(!has_profile).then(|| view! { <a class="button button-small" href="/mentor">"Fill in the career form"</a> })}
                    </li>
                    <For each=move || messages.get() key=|m| m.id.clone() let:message>
                        <Bubble message />
                    </For>
                    {move || asking.get().map(|question| view! {
                        <li class="bubble bubble-visitor"><p class="bubble-text">{question}</p></li>
                        {move || if streamed.with(String::is_empty) {
                            view! {
                                <li class="bubble bubble-bot bubble-pending" role="status">
                                    <span class="spinner" aria-hidden="true"></span>" The mentor is thinking…"
                                </li>
                            }.into_any()
                        } else {
                            // Read out once whole (as the stored reply), not word by word.
                            view! {
                                <li class="bubble bubble-bot bubble-streaming" aria-busy="true">
                                    <p class="bubble-text">{move || streamed.get()}</p>
                                </li>
                            }.into_any()
                        }}
                    })}
                </ol>
                {move || failure.get().map(|error| view! { <Refusal error /> })}
                <div class="chat-suggestions" role="group" aria-label="Suggested questions">
                    <For each=move || suggestions.get() key=|s| s.clone() let:suggestion>
                        <button type="button" class="chip chip-button" disabled=move || !has_profile || asking.get().is_some()
                            on:click={
                                let suggestion = suggestion.clone();
                                move |_| send(suggestion.clone())
                            }>
                            {suggestion.clone()}
                        </button>
                    </For>
                </div>
                <form class="chat-compose" on:submit=move |ev| {
                    ev.prevent_default();
                    send(draft.get_untracked());
                }>
                    <label class="sr-only" for="mentor-question">"Your question"</label>
                    <textarea id="mentor-question" name="question" rows="2" maxlength=QUESTION_MAX.to_string()
                        placeholder="Ask about your roles, skills or plan…  (Enter sends, Shift+Enter for a new line)"
                        disabled=!has_profile
                        prop:value=move || draft.get()
                        on:input=move |ev| draft.set(event_target_value(&ev))
                        on:keydown=on_keydown></textarea>
                    <button type="submit" class="button button-primary" disabled=move || !has_profile || asking.get().is_some()>"Ask"</button>
                </form>
            </div>
        </div>
    }
}

/// Reads an answer's stream: text into `streamed` as it comes, then the
/// reply as stored.
async fn read_answer(
    answer: TextStream<ServiceError>,
    streamed: RwSignal<String>,
) -> Result<MentorReply, ServiceError> {
    let mut stream = std::pin::pin!(answer.into_inner());
    let mut lines = EventLines::default();
    while let Some(chunk) = stream.next().await {
        for event in lines.push(&chunk?) {
            match event {
                MentorEvent::Delta(text) => streamed.update(|s| s.push_str(&text)),
                MentorEvent::Done(reply) => return Ok(*reply),
                MentorEvent::Failed(error) => return Err(error),
            }
        }
    }
    Err(ServiceError::Rejected(
        "The answer was cut off. Your question was kept: reload the page to see whether it was answered.".into(),
    ))
}

/// Past conversations, newest first, and a way to start a new one.
#[component]
fn History(conversations: RwSignal<Vec<MentorConversation>>, open: Option<String>) -> impl IntoView {
    let open = StoredValue::new(open);
    let item = move |c: MentorConversation| {
        let current = open.with_value(|open| open.as_deref() == Some(c.id.as_str()));
        let questions = format!("{} question{}", c.questions, if c.questions == 1 { "" } else { "s" });
        view! {
            <li>
                <a href=format!("/mentor/chat?c={}", c.id) aria-current=current.then_some("page") class="history-item">
                    <span class="history-title">{c.title}</span>
                    <span class="small muted">{format!("{} · {questions}", long_date(c.updated_at))}</span>
                </a>
            </li>
        }
    };
    view! {
        <nav class="chat-history" aria-label="Your conversations">
            <h2 class="h4">"Conversations"</h2>
            <a class="button button-small" href="/mentor/chat">"New conversation"</a>
            {move || if conversations.read().is_empty() {
                view! { <p class="small muted">"Your conversations will be kept here."</p> }.into_any()
            } else {
                view! { <ul class="history-list">{conversations.get().into_iter().map(item).collect_view()}</ul> }.into_any()
            }}
            <a class="small" href="/mentor">"Edit your career profile"</a>
        </nav>
    }
}

/// The history after `question` was asked in `conversation`: counted, and
/// first (a new conversation is added, titled by it).
fn note_question(list: &mut Vec<MentorConversation>, conversation: &str, question: &MentorMessage) {
    let mut entry = match list.iter().position(|c| c.id == conversation) {
        Some(at) => list.remove(at),
        None => MentorConversation {
            id: conversation.to_owned(),
            title: conversation_title(&question.text),
            questions: 0,
            updated_at: question.created_at,
        },
    };
    entry.questions += 1;
    entry.updated_at = question.created_at;
    list.insert(0, entry);
}

#[component]
fn UsagePanel(usage: RwSignal<MentorUsage>) -> impl IntoView {
    let limited = move || usage.read().limit.is_some();
    view! {
        <div class="chat-usage">
            {move || if limited() {
                view! {
                    <Meter
                        id="mentor-questions"
                        label="Questions this month"
                        used=Signal::derive(move || u64::from(usage.read().used))
                        max=Signal::derive(move || u64::from(usage.read().limit.unwrap_or(0)))
                        text=Signal::derive(move || usage.read().summary())
                    />
                }
                .into_any()
            } else {
                view! { <p class="small">{move || usage.read().summary()}</p> }.into_any()
            }}
            <p class="small muted">
                {move || {
                    let u = usage.read();
                    let streak = match u.streak_days {
                        0 => "No streak yet".to_owned(),
                        1 => "1-day streak".to_owned(),
                        n => format!("{n}-day streak"),
                    };
                    format!("{} plan · {streak} · resets {}", u.plan, long_date(u.resets_at))
                }}
            </p>
        </div>
    }
}

#[component]
fn Bubble(message: MentorMessage) -> impl IntoView {
    let class = if message.from_mentor { "bubble bubble-bot" } else { "bubble bubble-visitor" };
    let sources = (!message.sources.is_empty()).then(|| {
        let items = message.sources.iter().map(|s| view! { <li>{s.clone()}</li> }).collect_view();
        view! {
            <details class="bubble-sources small">
                <summary>"What this rests on"</summary>
                <ul>{items}</ul>
            </details>
        }
    });
    view! {
        <li class=class>
            <p class="bubble-text">{message.text}</p>
            {sources}
        </li>
    }
}

/// Why a question was not answered, with what the person can do.
#[component]
fn Refusal(error: ServiceError) -> impl IntoView {
    match error {
        ServiceError::QuotaReached { message, .. } => view! {
            <div class="notice notice-warning" role="alert">
                <p class="notice-title">"You've reached your limit"</p>
                <p>{message}</p>
                <a class="button button-small" href="/pricing">"See plans"</a>
            </div>
        }
        .into_any(),
        ServiceError::Invalid(fields) => view! {
            <p class="field-error" role="alert">{fields.into_values().next().unwrap_or_default()}</p>
        }
        .into_any(),
        error => view! { <ErrorPanel error /> }.into_any(),
    }
}
