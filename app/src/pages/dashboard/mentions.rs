//! `/app/w/:id/mentions`: the notes that named the viewer, newest first,
//! unread ones marked. Each leads to its ticket (opening it reads the
//! ticket's mentions); "Mark all as read" clears the count beside
//! Mentions in the sidebar.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{use_workspace_id, Here, InWorkspace, PageHeader};
use crate::components::feedback::{EmptyState, ErrorPanel, Icon, Loading, NotAllowed};
use crate::components::format::Time;
use crate::permissions::Action as Permission;
use crate::ticket_notes::{list_mentions, read_mentions, MentionList};

/// Bumped when the viewer's mentions may have changed: the sidebar's count
/// reads itself again. Provided by the workspace's frame.
#[derive(Clone, Copy)]
pub struct MentionsChanged(pub RwSignal<u64>);

impl MentionsChanged {
    pub fn bump() {
        if let Some(MentionsChanged(changed)) = use_context::<MentionsChanged>() {
            changed.update(|n| *n += 1);
        }
    }
}

#[component]
pub fn MentionsPage() -> impl IntoView {
    let workspace_id = use_workspace_id();
    let list = Resource::new(move || workspace_id.get(), list_mentions);
    let read_all = Action::new(move |_: &()| read_mentions(workspace_id.get_untracked(), "all".to_owned()));
    Effect::new(move |_| {
        if let Some(Ok(fresh)) = read_all.value().get() {
            list.set(Some(Ok(fresh)));
            MentionsChanged::bump();
        }
    });
    view! {
        <PageHeader title="Mentions" lead="Notes where a teammate named you. Each leads to its ticket." />
        <InWorkspace render=move |here: Here| {
            if !here.can(Permission::AnswerConversations) {
                return view! { <NotAllowed role=here.role() what="work tickets" /> }.into_any();
            }
            let tickets = here.path("/tickets");
            view! {
                <Transition fallback=|| view! { <Loading label="Loading your mentions…" /> }>
                    {move || {
                        let tickets = tickets.clone();
                        Suspend::new(async move {
                            match list.await {
                                Ok(list) if list.mentions.is_empty() => view! {
                                    <EmptyState title="Nobody has mentioned you yet" icon=Icon::Mention>
                                        <p>"When a teammate writes @ and your name in a ticket's note, it shows here and you get an email."</p>
                                    </EmptyState>
                                }.into_any(),
                                Ok(list) => mention_list(list, tickets, read_all).into_any(),
                                Err(error) => view! { <ErrorPanel error /> }.into_any(),
                            }
                        })
                    }}
                </Transition>
            }.into_any()
        } />
    }
}

fn mention_list(
    list: MentionList,
    tickets: String,
    read_all: Action<(), Result<MentionList, crate::error::ServiceError>>,
) -> impl IntoView {
    let unread = list.unread;
    view! {
        <section class="panel mentions" aria-labelledby="mentions-title">
            <div class="mentions-head">
                <h2 id="mentions-title">
                    {if unread == 0 { "All read".to_owned() } else { format!("{unread} unread") }}
                </h2>
                <Show when=move || unread != 0>
                    <button type="button" class="button button-small" disabled=move || read_all.pending().get()
                        on:click=move |_| { read_all.dispatch(()); }>
                        "Mark all as read"
                    </button>
                </Show>
            </div>
            <ul class="mention-list">
                {list.mentions.into_iter().map(|m| {
                    let href = format!("{tickets}?t={}", m.ticket_id);
                    view! {
                        <li class="mention-item" class:unread=!m.read>
                            <A href=href attr:class="mention-link">
                                <span class="mention-where">
                                    {(!m.read).then(|| view! { <span class="unread-dot" aria-label="Unread"></span> })}
                                    <strong>{m.author}</strong>
                                    {format!(" mentioned you on #{} {}", m.ticket_number, m.subject)}
                                </span>
                                <span class="mention-excerpt">{m.excerpt}</span>
                                <span class="muted small"><Time at=m.at /></span>
                            </A>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
