//! `/app/w/:id/conversations`: what visitors asked the assistant, with
//! search and filters (dates, sentiment, flagged), and each transcript with
//! sentiment, sources and feedback per message.

use leptos::prelude::*;
use leptos_router::components::{Form, A};
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{Here, InWorkspace, PageHeader};
use crate::chat::{
    list_conversations, load_transcript, Author, ChatMessage, Citation, ConversationSummary, SentimentLabel,
    CONVERSATIONS_PAGE,
};
use crate::components::feedback::{EmptyState, ErrorPanel, Icon, Loading, NotAllowed};
use crate::components::format::Time;
use crate::permissions::Action;

#[component]
pub fn ConversationsPage() -> impl IntoView {
    view! {
        <PageHeader title="Conversations" lead="What visitors asked the assistant, and how it answered." />
        <InWorkspace render=move |here: Here| {
            if here.can(Action::AnswerConversations) {
                view! { <ConversationList here /> }.into_any()
            } else {
                view! { <NotAllowed role=here.role() what="read conversations" /> }.into_any()
            }
        } />
    }
}

fn sentiment_badge(label: Option<SentimentLabel>) -> impl IntoView {
    label.map(|label| {
        view! { <span class=format!("pill sentiment-{}", label.as_str())>{label.label()}</span> }
    })
}

#[component]
fn ConversationList(here: Here) -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.with(|q| q.get(name).unwrap_or_default());
    let workspace_id = here.workspace.id.clone();
    let conversations = Resource::new(
        move || (param("q"), param("sentiment"), param("flagged") == "true", param("from"), param("until")),
        move |(q, sentiment, flagged, from, until)| {
            list_conversations(workspace_id.clone(), q, sentiment, flagged, from, until)
        },
    );
    let base = here.path("/conversations");
    let filtering = move || {
        !(param("q").is_empty()
            && param("sentiment").is_empty()
            && param("flagged").is_empty()
            && param("from").is_empty()
            && param("until").is_empty())
    };
    let clear = base.clone();
    view! {
        <section class="panel" aria-labelledby="filters-title">
            <h2 id="filters-title" class="sr-only">"Search and filters"</h2>
            <Form method="GET" action=base.clone() attr:class="filters" attr:role="search">
                <div class="field grow">
                    <label for="filter-q">"Search"</label>
                    <input id="filter-q" type="search" name="q" maxlength="200" placeholder="Words in any message, or an email"
                        prop:value=move || param("q") />
                </div>
                <div class="field">
                    <label for="filter-sentiment">"Sentiment"</label>
                    <select id="filter-sentiment" name="sentiment">
                        <option value="" selected=move || param("sentiment").is_empty()>"Any"</option>
                        {[SentimentLabel::Negative, SentimentLabel::Neutral, SentimentLabel::Positive]
                            .into_iter()
                            .map(|s| view! {
                                <option value=s.as_str() selected=move || param("sentiment") == s.as_str()>{s.label()}</option>
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-from">"From"</label>
                    <input id="filter-from" type="date" name="from" prop:value=move || param("from") />
                </div>
                <div class="field">
                    <label for="filter-until">"Until"</label>
                    <input id="filter-until" type="date" name="until" prop:value=move || param("until") />
                </div>
                <label class="checkbox">
                    <input type="checkbox" name="flagged" value="true" prop:checked=move || param("flagged") == "true" />
                    " Waiting for a person"
                </label>
                <div class="form-actions">
                    <button type="submit" class="button">"Apply"</button>
                    <Show when=filtering>
                        <A href=clear.clone() attr:class="button button-quiet">"Clear"</A>
                    </Show>
                </div>
            </Form>
        </section>
        <section class="panel" aria-labelledby="list-title">
            <h2 id="list-title" class="sr-only">"Conversations"</h2>
            <Transition fallback=|| view! { <Loading label="Loading conversations…" /> }>
                {move || {
                    let here = here.clone();
                    Suspend::new(async move {
                        match conversations.await {
                            Ok(list) if list.is_empty() && filtering() => view! {
                                <EmptyState title="No conversations match" icon=Icon::Inbox>
                                    <p>"Try fewer words or a wider date range."</p>
                                </EmptyState>
                            }
                            .into_any(),
                            Ok(list) if list.is_empty() => view! {
                                <EmptyState title="No conversations yet" icon=Icon::Inbox>
                                    <p>"When visitors chat with your widget, their conversations appear here."</p>
                                    <p><a href=here.path("/widget")>"Set up the widget"</a></p>
                                </EmptyState>
                            }
                            .into_any(),
                            Ok(list) => {
                                let more = (list.len() == CONVERSATIONS_PAGE)
                                    .then(|| view! { <p class="muted small">"Showing the 100 most recent. Narrow the search to see older ones."</p> });
                                view! {
                                    <ul class="conversation-list">
                                        {list.into_iter().map(|c| view! { <ConversationRow here=here.clone() c /> }).collect_view()}
                                    </ul>
                                    {more}
                                }
                                .into_any()
                            }
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn ConversationRow(here: Here, c: ConversationSummary) -> impl IntoView {
    let who = c.visitor_email.clone().unwrap_or_else(|| "Anonymous visitor".into());
    let preview = if c.preview.is_empty() { "(no message yet)".to_string() } else { c.preview.clone() };
    view! {
        <li class="conversation">
            <A href=here.path(&format!("/conversations/{}", c.id)) attr:class="conversation-link">
                <span class="conversation-head">
                    <strong>{who}</strong>
                    {sentiment_badge(c.sentiment)}
                    {c.flag.map(|f| view! { <span class="pill flagged">{f.label()}</span> })}
                    <span class="muted small conversation-time"><Time at=c.updated_at /></span>
                </span>
                <span class="conversation-preview">{preview}</span>
                <span class="muted small">{format!("{} messages · {}", c.message_count, c.origin)}</span>
            </A>
        </li>
    }
}

#[component]
pub fn TranscriptPage() -> impl IntoView {
    let params = use_params_map();
    view! {
        <PageHeader title="Conversation" />
        <InWorkspace render=move |here: Here| {
            if !here.can(Action::AnswerConversations) {
                return view! { <NotAllowed role=here.role() what="read conversations" /> }.into_any();
            }
            let workspace_id = here.workspace.id.clone();
            let transcript = Resource::new(
                move || params.with(|p| p.get("conversation_id").unwrap_or_default()),
                move |id| load_transcript(workspace_id.clone(), id),
            );
            let back = here.path("/conversations");
            view! {
                <p><A href=back>"← All conversations"</A></p>
                <Transition fallback=|| view! { <Loading label="Loading the conversation…" /> }>
                    {move || Suspend::new(async move {
                        match transcript.await {
                            Ok(t) => {
                                let c = t.conversation;
                                view! {
                                    <section class="panel" aria-labelledby="visitor-title">
                                        <h2 id="visitor-title">{c.visitor_email.clone().unwrap_or_else(|| "Anonymous visitor".into())}</h2>
                                        <p class="muted small">
                                            "Started " <Time at=c.created_at /> " on " {c.origin.clone()} " · "
                                            {format!("priority {}", c.priority.as_str())}
                                        </p>
                                        {c.flag.map(|f| view! { <p class="pill flagged">{format!("Waiting for a person: {}", f.label())}</p> })}
                                    </section>
                                    <ol class="transcript" aria-label="Messages">
                                        {t.messages.into_iter().map(|m| view! { <TranscriptMessage m /> }).collect_view()}
                                    </ol>
                                }
                                .into_any()
                            }
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })}
                </Transition>
            }
            .into_any()
        } />
    }
}

#[component]
pub fn TranscriptMessage(m: ChatMessage) -> impl IntoView {
    let who = match m.author {
        Author::Visitor => "Visitor".to_owned(),
        Author::Bot => "Assistant".to_owned(),
        Author::Agent => m.author_name.clone().unwrap_or_else(|| "Team".to_owned()),
    };
    let feedback = m.feedback.map(|f| if f > 0 { "👍 Helpful" } else { "👎 Not helpful" });
    let confidence = m.confidence.map(|c| format!("confidence {:.0}%", c * 100.0));
    view! {
        <li class=format!("transcript-message from-{}", m.author.as_str())>
            <p class="message-meta">
                <strong>{who}</strong>
                " · " <Time at=m.created_at />
                {m.by_email.then(|| view! { " " <span class="pill channel-email">"by email"</span> })}
                {m.sentiment.map(|s| view! { " " {sentiment_badge(Some(s.label))} <span class="muted small">{format!(" score {:+.2}, {}", s.score, s.priority.as_str())}</span> })}
                {confidence.map(|c| view! { <span class="muted small">{format!(" · {c}")}</span> })}
                {feedback.map(|f| view! { <span class="small">{format!(" · {f}")}</span> })}
            </p>
            <p class="message-body">{m.body.clone()}</p>
            {m.note.clone().map(|n| view! { <p class="muted small">{n}</p> })}
            <Sources citations=m.citations.clone() />
        </li>
    }
}

/// The sources an answer cites, linked when they have an address; a file's
/// cited passage shows on hover.
#[component]
pub fn Sources(citations: Vec<Citation>) -> impl IntoView {
    (!citations.is_empty()).then(|| {
        view! {
            <ul class="sources" aria-label="Sources">
                {citations
                    .into_iter()
                    .map(|c| {
                        let label = format!("[{}] {}", c.number, c.title);
                        match c.url {
                            Some(url) => view! { <li><a href=url rel="noopener noreferrer" target="_blank">{label}</a></li> }.into_any(),
                            None => view! { <li title=c.quote>{label}</li> }.into_any(),
                        }
                    })
                    .collect_view()}
            </ul>
        }
    })
}
