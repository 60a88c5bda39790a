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
    let text = RwSignal::new(String::new());
    let canned = CannedPicker::new(ids.get_value().0, values, text);
    let open_draft = RwSignal::new(None::<OpenDraft>);
    let notice = RwSignal::new(None::<&'static str>);

    let send = Action::new(move |(text, draft_id): &(String, String)| {
        let (w, c) = ids.get_value();
        let (text, draft_id) = (text.clone(), draft_id.clone());
        async move { reply_to_visitor(w, c, text, draft_id).await }
    });
    Effect::new(move |_| match send.value().get() {
        Some(Ok(message)) => {
            text.set(String::new());
            open_draft.set(None);
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
                let draft_id = open_draft.with_untracked(|o| o.as_ref().map(|o| o.draft.id.clone()));
                send.dispatch((body, draft_id.unwrap_or_default()));
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    };

    let discard = Action::new(move |draft_id: &String| {
        let (w, _) = ids.get_value();
        let draft_id = draft_id.clone();
        async move { discard_draft(w, draft_id).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = discard.value().get() {
            changes.update(|n| *n += 1);
        }
    });
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
                discard.dispatch(draft.id);
                // The server counted any earlier draft in the box as replaced: the text is the member's own now.
                open_draft.set(None);
                return;
            }
            notice.set(None);
            // A second draft replaces the first (the server counts that one discarded).
            let before = open_draft.with_untracked(|o| o.as_ref().map(|o| o.before.clone()));
            let before = before.unwrap_or_else(|| text.get_untracked());
            text.set(draft.body.clone());
            open_draft.set(Some(OpenDraft { draft, before }));
            crate::focus::focus_element("desk-reply");
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
    let throw_away = move || {
        if let Some(open) = open_draft.get_untracked() {
            text.set(open.before);
            open_draft.set(None);
            discard.dispatch(open.draft.id);
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
            {move || open_draft.get().map(|open| {
                let draft = open.draft;
                view! {
                    <div class="desk-draft" role="status">
                        <p class="small">
                            <strong>{draft.provenance()}</strong>
                            " Edit it as you like before sending."
                        </p>
                        {draft.note.clone().map(|note| view! { <p class="muted small">{note}</p> })}
                        <Sources citations=draft.citations.clone() />
                        <button type="button" class="button button-small" on:click=move |_| throw_away()>
                            "Discard draft"
                        </button>
                    </div>
                }
            })}
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
