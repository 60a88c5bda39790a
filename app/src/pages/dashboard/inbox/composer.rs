//! The reply box under an open conversation. The agent writes, or asks the
//! assistant for a draft (`d`) grounded in the knowledge base, with its
//! sources; the draft goes into the box to be edited, and sending records
//! whether it went as written or edited. "Discard draft" gives back what
//! the box held before. A draft that arrives after the visitor wrote again
//! answers the wrong message and is dropped. `/` at the start of the box
//! offers the workspace's canned replies (`canned.rs`).

use leptos::prelude::*;

use super::canned::{CannedChoices, CannedPicker};
use super::conversation::Thread;
use super::on_shortcut;
use crate::canned_replies::PlaceholderValues;
use crate::desk::{reply_to_visitor, validate_reply, Agent};
use crate::pages::dashboard::conversations::Sources;
use crate::reply_drafts::{discard_draft, draft_reply, ReplyDraft};

/// The draft in the box, and what the box held before it.
#[derive(Debug, Clone)]
struct OpenDraft {
    draft: ReplyDraft,
    before: String,
}

/// A reply box's text and the assistant's draft in it: a draft put in keeps
/// what the box held, a second replaces the first (the server counts that
/// one discarded), and throwing it away gives the text back. Shared by the
/// inbox's reply box and a ticket's first email (`tickets/write.rs`).
#[derive(Clone, Copy)]
pub(crate) struct DraftInBox {
    pub text: RwSignal<String>,
    open: RwSignal<Option<OpenDraft>>,
    discard: Action<String, Result<(), crate::error::ServiceError>>,
}

impl DraftInBox {
    pub fn new(workspace_id: String) -> Self {
        let workspace_id = StoredValue::new(workspace_id);
        DraftInBox {
            text: RwSignal::new(String::new()),
            open: RwSignal::new(None),
            discard: Action::new(move |draft_id: &String| {
                let (w, draft_id) = (workspace_id.get_value(), draft_id.clone());
                async move { discard_draft(w, draft_id).await }
            }),
        }
    }

    /// Puts `draft` in the box `box_id`, and focuses it.
    pub fn put(self, draft: ReplyDraft, box_id: &str) {
        let before = self.open.with_untracked(|o| o.as_ref().map(|o| o.before.clone()));
        let before = before.unwrap_or_else(|| self.text.get_untracked());
        self.text.set(draft.body.clone());
        self.open.set(Some(OpenDraft { draft, before }));
        crate::focus::focus_element(box_id);
    }

    /// The draft the box started from, if any (sending records its fate).
    pub fn id(self) -> String {
        self.open.with_untracked(|o| o.as_ref().map(|o| o.draft.id.clone())).unwrap_or_default()
    }

    /// Sent: the box is empty again.
    pub fn sent(self) {
        self.text.set(String::new());
        self.open.set(None);
    }

    /// Throws the draft in the box away, giving back what the box held.
    pub fn throw_away(self) {
        if let Some(open) = self.open.get_untracked() {
            self.text.set(open.before);
            self.open.set(None);
            self.discard.dispatch(open.draft.id);
        }
    }

    /// Drops a draft that answers what is no longer asked; the text in the
    /// box is the member's own now.
    pub fn drop_stale(self, draft_id: String) {
        self.discard.dispatch(draft_id);
        self.open.set(None);
    }

    /// The draft's note (who wrote it, from what, "Discard draft").
    pub fn note(self) -> impl IntoView {
        move || self.open.get().map(|open| view! { <DraftNote draft=open.draft discard=move || self.throw_away() /> })
    }

    /// Called when a discard reached the server.
    pub fn on_discarded(self, f: impl Fn() + 'static) {
        Effect::new(move |_| {
            if let Some(Ok(())) = self.discard.value().get() {
                f();
            }
        });
    }
}

#[component]
pub(super) fn Composer(
    ids: StoredValue<(String, String)>,
    me: String,
    thread: Thread,
    error: RwSignal<Option<String>>,
    /// Whether the conversation's live channel is open (`None` before it tries).
    live: RwSignal<Option<bool>>,
    /// Called as the agent types (tells the visitor, paced).
    say_typing: impl Fn() + Copy + 'static,
    /// Bumped when the inbox should read its list again (its draft counts).
    changes: RwSignal<u64>,
    /// What a canned reply's placeholders become here.
    values: PlaceholderValues,
) -> impl IntoView {
    let drafted = DraftInBox::new(ids.get_value().0);
    let text = drafted.text;
    let canned = CannedPicker::new(ids.get_value().0, values, text);
    let notice = RwSignal::new(None::<&'static str>);

    let send = Action::new(move |(text, draft_id): &(String, String)| {
        let (w, c) = ids.get_value();
        let (text, draft_id) = (text.clone(), draft_id.clone());
        async move { reply_to_visitor(w, c, text, draft_id).await }
    });
    Effect::new(move |_| match send.value().get() {
        Some(Ok(message)) => {
            drafted.sent();
            error.set(None);
            thread.resolved.set(false);
            if let Some(name) = message.author_name.clone() {
                if thread.assignee.with_untracked(Option::is_none) {
                    thread.assignee.set(Some(Agent { id: me.clone(), name }));
                }
            }
            thread.add(message);
        }
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    let submit = move || {
        if send.pending().get_untracked() {
            return;
        }
        match validate_reply(&text.get_untracked()) {
            Ok(body) => {
                send.dispatch((body, drafted.id()));
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    };

    drafted.on_discarded(move || changes.update(|n| *n += 1));
    let drafting = Action::new(move |_: &()| {
        let (w, c) = ids.get_value();
        async move { draft_reply(w, c).await }
    });
    Effect::new(move |_| match drafting.value().get() {
        Some(Ok(draft)) => {
            error.set(None);
            if thread.newest_from_visitor().as_deref() != Some(draft.answers.as_str()) {
                notice.set(Some(
                    "The visitor wrote again while the draft was written, so it was dropped: ask for a new one.",
                ));
                // The server counted any earlier draft in the box as replaced.
                drafted.drop_stale(draft.id);
                return;
            }
            notice.set(None);
            drafted.put(draft, "desk-reply");
        }
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    let ask_for_draft = move || {
        if !drafting.pending().get_untracked() {
            notice.set(None);
            drafting.dispatch(());
        }
    };
    on_shortcut(move |key| match key {
        "d" => {
            ask_for_draft();
            true
        }
        _ => false,
    });

    view! {
        <form class="desk-reply" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <label for="desk-reply">"Reply to the visitor"</label>
            <textarea
                id="desk-reply"
                rows="4"
                maxlength=crate::chat::MESSAGE_MAX_CHARS.to_string()
                placeholder="Write a reply, / for a canned one, or press d for a draft. Enter sends, Shift+Enter starts a new line."
                aria-busy=move || drafting.pending().get().to_string()
                prop:value=move || text.get()
                on:input=move |ev| {
                    text.set(event_target_value(&ev));
                    say_typing();
                }
                role="combobox" aria-autocomplete="list" aria-controls="canned-choices"
                aria-expanded=move || canned.open().to_string()
                aria-activedescendant=move || canned.active_id()
                on:blur=move |_| canned.close()
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if canned.on_key(&ev) {
                        return;
                    }
                    if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        submit();
                    }
                }
            ></textarea>
            <CannedChoices picker=canned />
            {drafted.note()}
            <p class="muted small" role="status">
                {move || if drafting.pending().get() {
                    "The assistant is drafting a reply from your knowledge base…"
                } else if let Some(notice) = notice.get() {
                    notice
                } else if thread.assignee.with(Option::is_none) {
                    "Sending joins the conversation: the assistant stops answering."
                } else {
                    ""
                }}
            </p>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <div class="form-actions">
                <button type="submit" class="button button-primary" disabled=move || send.pending().get()>
                    {move || if send.pending().get() { "Sending…" } else { "Send" }}
                </button>
                <button type="button" class="button" disabled=move || drafting.pending().get()
                    on:click=move |_| ask_for_draft()>
                    {move || if drafting.pending().get() { "Drafting…" } else { "Draft a reply" }}
                    <kbd class="key-hint">"d"</kbd>
                </button>
                {move || match live.get() {
                    Some(false) => view! { <span class="live-state live-off" role="status">"Reconnecting… messages will catch up."</span> }.into_any(),
                    _ => ().into_any(),
                }}
            </div>
        </form>
    }
}

/// The draft in a reply box: who wrote it from what, its sources, and a way
/// to throw it away.
#[component]
fn DraftNote(draft: ReplyDraft, discard: impl Fn() + Copy + 'static) -> impl IntoView {
    view! {
        <div class="desk-draft" role="status">
            <p class="small">
                <strong>{draft.provenance()}</strong>
                " Edit it as you like before sending."
            </p>
            {draft.note.clone().map(|note| view! { <p class="muted small">{note}</p> })}
            <Sources citations=draft.citations.clone() />
            <button type="button" class="button button-small" on:click=move |_| discard()>
                "Discard draft"
            </button>
        </div>
    }
}
