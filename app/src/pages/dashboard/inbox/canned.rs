//! Canned replies in the reply box: a box holding only `/` and a few
//! letters offers the workspace's replies whose name (then words) match;
//! arrows choose, Enter or Tab puts the chosen one in with its placeholders
//! filled for this conversation, Escape closes the list. The text is the
//! agent's to edit before sending.

use leptos::prelude::*;

use crate::canned_replies::{fill, list_canned, matching, CannedReply, CannedSetup, PlaceholderValues};
use crate::error::ServiceError;
use crate::ticket_notes::excerpt;

/// What the list needs, shared by the box's keys and the list itself.
#[derive(Clone, Copy)]
pub(super) struct CannedPicker {
    replies: LocalResource<Result<CannedSetup, ServiceError>>,
    text: RwSignal<String>,
    values: StoredValue<PlaceholderValues>,
    active: RwSignal<usize>,
    /// Closed by Escape or leaving the box, until the text changes.
    dismissed: RwSignal<bool>,
}

impl CannedPicker {
    pub fn new(workspace_id: String, values: PlaceholderValues, text: RwSignal<String>) -> Self {
        // In the browser only: made inside the pane's suspense, a resource
        // would shift the page's own between the server's render and hydration.
        let replies = LocalResource::new(move || list_canned(workspace_id.clone()));
        let picker = CannedPicker {
            replies,
            text,
            values: StoredValue::new(values),
            active: RwSignal::new(0),
            dismissed: RwSignal::new(false),
        };
        Effect::new(move |_| {
            text.track();
            picker.dismissed.set(false);
            picker.active.set(0);
        });
        picker
    }

    /// What follows the `/` when the box holds only that.
    fn typed(self) -> Option<String> {
        let text = self.text.get();
        let typed = text.strip_prefix('/')?;
        typed.chars().all(|c| c.is_ascii_alphanumeric() || c == '-').then(|| typed.to_owned())
    }

    fn choices(self) -> Vec<CannedReply> {
        if self.dismissed.get() {
            return Vec::new();
        }
        let Some(typed) = self.typed() else { return Vec::new() };
        let replies = self.replies.get().and_then(Result::ok).map(|s| s.replies).unwrap_or_default();
        matching(&typed, &replies).into_iter().cloned().collect()
    }

    pub fn open(self) -> bool {
        !self.choices().is_empty()
    }

    pub fn active_id(self) -> Option<String> {
        self.open().then(|| format!("canned-choice-{}", self.active.get()))
    }

    pub fn close(self) {
        self.dismissed.set(true);
    }

    fn pick(self, reply: &CannedReply) {
        let filled = self.values.with_value(|values| fill(&reply.body, values));
        self.text.set(filled);
        self.dismissed.set(true);
        crate::focus::focus_element("desk-reply");
    }

    /// Handles the list's keys; `true` when the key was the list's.
    pub fn on_key(self, ev: &leptos::ev::KeyboardEvent) -> bool {
        let choices = self.choices();
        if choices.is_empty() {
            return false;
        }
        let n = choices.len();
        match ev.key().as_str() {
            "ArrowDown" => self.active.update(|i| *i = (*i + 1) % n),
            "ArrowUp" => self.active.update(|i| *i = (*i + n - 1) % n),
            "Enter" | "Tab" if !ev.shift_key() => self.pick(&choices[self.active.get_untracked().min(n - 1)]),
            "Escape" => self.close(),
            _ => return false,
        }
        ev.prevent_default();
        true
    }
}

#[component]
pub(super) fn CannedChoices(picker: CannedPicker) -> impl IntoView {
    // "/" in a workspace without canned replies: say where they come from.
    let none_yet = move || {
        picker.typed().is_some()
            && !picker.dismissed.get()
            && picker.replies.get().and_then(Result::ok).is_some_and(|s| s.replies.is_empty())
    };
    view! {
        <Show when=move || picker.open()>
            <ul id="canned-choices" class="canned-choices" role="listbox" aria-label="Canned replies">
                {move || picker.choices().into_iter().enumerate().map(|(i, reply)| {
                    let chosen = reply.clone();
                    // As it will read here, placeholders filled.
                    let preview = picker.values.with_value(|values| excerpt(&fill(&reply.body, values)));
                    view! {
                        <li id=format!("canned-choice-{i}") role="option"
                            aria-selected=move || (picker.active.get() == i).to_string()
                            class:active=move || picker.active.get() == i
                            // Before the box's blur closes the list.
                            on:mousedown=move |ev| { ev.prevent_default(); picker.pick(&chosen); }>
                            <code>{format!("/{}", reply.shortcut)}</code>
                            <span class="muted small">{preview}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </Show>
        <Show when=none_yet>
            <p class="muted small" role="status">"No canned replies yet: owners and admins add them in Settings."</p>
        </Show>
    }
}
