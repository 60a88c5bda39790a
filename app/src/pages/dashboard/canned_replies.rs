//! The canned replies panel of the Settings page: the workspace's replies
//! by name, and (for admins) the form that adds or changes one, with the
//! placeholders a reply may use. Everyone else reads them here and uses
//! them in the inbox's reply box with `/`.

use leptos::prelude::*;

use super::Here;
use crate::canned_replies::{delete_canned, save_canned, CannedReply, CannedSetup, PLACEHOLDERS, SHORTCUT_MAX_CHARS};
use crate::chat::MESSAGE_MAX_CHARS;
use crate::components::feedback::{ErrorPanel, Loading};
use crate::error::ServiceError;

#[component]
pub fn CannedRepliesPanel(here: Here, setup: Resource<Result<CannedSetup, ServiceError>>) -> impl IntoView {
    let workspace_id = StoredValue::new(here.workspace.id.clone());
    view! {
        <section class="panel" aria-labelledby="canned-title">
            <h2 id="canned-title">"Canned replies"</h2>
            <p class="muted">
                "Answers your team gives often. In a conversation's reply box, type / and a reply's name to put it in; \
                 its placeholders are filled for that conversation, and you can edit it before sending."
            </p>
            <Transition fallback=|| view! { <Loading label="Loading canned replies…" /> }>
                {move || Suspend::new(async move {
                    match setup.await {
                        Ok(loaded) => view! { <CannedEditor loaded workspace_id /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn CannedEditor(loaded: CannedSetup, workspace_id: StoredValue<String>) -> impl IntoView {
    let editable = loaded.can_edit;
    let replies = RwSignal::new(loaded.replies);
    // The reply being changed (`None`: a new one), and the form's values.
    let editing = RwSignal::new(None::<String>);
    let shortcut = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ServiceError>);
    let saved = RwSignal::new(false);
    let save = Action::new(move |(id, shortcut, body): &(String, String, String)| {
        save_canned(workspace_id.get_value(), id.clone(), shortcut.clone(), body.clone())
    });
    let remove = Action::new(move |id: &String| delete_canned(workspace_id.get_value(), id.clone()));
    let done = move |result: Option<Result<CannedSetup, ServiceError>>, clears: bool| match result {
        Some(Ok(fresh)) => {
            // The editor keeps the list: setting the resource would draw it anew, forgetting "Saved.".
            replies.set(fresh.replies);
            error.set(None);
            if clears {
                editing.set(None);
                shortcut.set(String::new());
                body.set(String::new());
                saved.set(true);
            }
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    };
    Effect::new(move |_| done(save.value().get(), true));
    Effect::new(move |_| done(remove.value().get(), false));
    let field = move |name: &'static str| move || error.with(|e| e.as_ref().and_then(|e| e.field(name)));
    let other_error = move || {
        error.with(|e| e.as_ref().filter(|e| !matches!(e, ServiceError::Invalid(_))).map(ServiceError::explained))
    };
    let list = move || {
        replies
            .get()
            .into_iter()
            .map(|reply: CannedReply| {
                let (removed, edited) = (reply.id.clone(), reply.clone());
                view! {
                    <li class="canned-item">
                        <div>
                            <code>{format!("/{}", reply.shortcut)}</code>
                            <p class="canned-body">{reply.body}</p>
                        </div>
                        <Show when=move || editable>
                            <div class="canned-actions">
                                <button type="button" class="button button-small" on:click={
                                    let edited = edited.clone();
                                    move |_| {
                                        editing.set(Some(edited.id.clone()));
                                        shortcut.set(edited.shortcut.clone());
                                        body.set(edited.body.clone());
                                        saved.set(false);
                                        crate::focus::focus_element("canned-shortcut");
                                    }
                                }>
                                    "Edit"
                                </button>
                                <button type="button" class="button button-small button-danger"
                                    aria-label=format!("Remove /{}", edited.shortcut)
                                    disabled=move || remove.pending().get()
                                    on:click={
                                        let removed = removed.clone();
                                        move |_| { remove.dispatch(removed.clone()); }
                                    }>
                                    "Remove"
                                </button>
                            </div>
                        </Show>
                    </li>
                }
            })
            .collect_view()
    };
    let placeholders = PLACEHOLDERS
        .iter()
        .map(|(name, what)| view! { <li><code>{format!("{{{{{name}}}}}")}</code> " " {*what}</li> })
        .collect_view();
    view! {
        <Show when=move || replies.with(Vec::is_empty)>
            <p class="muted">"No canned replies yet."</p>
        </Show>
        <ul class="canned-list">{list}</ul>
        {if editable {
            view! {
                <form class="canned-form" on:submit=move |ev| {
                    ev.prevent_default();
                    save.dispatch((editing.get_untracked().unwrap_or_default(), shortcut.get_untracked(), body.get_untracked()));
                }>
                    <h3>{move || if editing.get().is_some() { "Change the canned reply" } else { "Add a canned reply" }}</h3>
                    <div class="field">
                        <label for="canned-shortcut">"Name"</label>
                        <p class="field-hint" id="canned-shortcut-hint">"Typed after / to find it: letters, digits and dashes, such as refund-policy."</p>
                        <input id="canned-shortcut" type="text" maxlength=SHORTCUT_MAX_CHARS.to_string() autocomplete="off"
                            aria-describedby="canned-shortcut-hint canned-shortcut-error"
                            aria-invalid=move || field("shortcut")().is_some().to_string()
                            prop:value=move || shortcut.get() on:input=move |ev| shortcut.set(event_target_value(&ev)) />
                        <p class="field-error" id="canned-shortcut-error">{field("shortcut")}</p>
                    </div>
                    <div class="field">
                        <label for="canned-body">"Reply"</label>
                        <textarea id="canned-body" rows="4" maxlength=MESSAGE_MAX_CHARS.to_string()
                            aria-describedby="canned-placeholders canned-body-error"
                            aria-invalid=move || field("body")().is_some().to_string()
                            prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                        <p class="field-error" id="canned-body-error">{field("body")}</p>
                    </div>
                    <div id="canned-placeholders" class="field-hint">
                        <p>"Placeholders, filled for each conversation; after | what stands in when the value is unknown, as in "
                            <code>"{{visitor.email | your email}}"</code> ":"</p>
                        <ul class="placeholder-list">{placeholders}</ul>
                    </div>
                    {move || other_error().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    <div class="form-actions">
                        <button type="submit" class="button button-primary" disabled=move || save.pending().get()>
                            {move || match (save.pending().get(), editing.get().is_some()) {
                                (true, _) => "Saving…",
                                (false, true) => "Save changes",
                                (false, false) => "Add canned reply",
                            }}
                        </button>
                        <Show when=move || editing.get().is_some()>
                            <button type="button" class="button" on:click=move |_| {
                                editing.set(None);
                                shortcut.set(String::new());
                                body.set(String::new());
                                error.set(None);
                            }>"Cancel"</button>
                        </Show>
                        <span class="muted small" role="status">
                            {move || (saved.get() && !save.pending().get()).then_some("Saved.")}
                        </span>
                    </div>
                </form>
            }
            .into_any()
        } else {
            view! { <p class="muted small">"Only owners and admins change canned replies."</p> }.into_any()
        }}
    }
}
