//! Writing to the requester of a ticket that has no conversation (one
//! opened by hand): the member writes, or asks the assistant for a draft
//! answering the ticket's subject from the knowledge base, and sends
//! it by email. That begins the ticket's conversation: the requester's
//! answer comes back into it, and the pane then links to it.

use leptos::prelude::*;

use crate::desk::validate_reply;
use crate::pages::dashboard::inbox::DraftInBox;
use crate::reply_drafts::draft_ticket_reply;
use crate::tickets::write_to_requester;

#[component]
pub(super) fn WriteToRequester(
    ids: StoredValue<(String, String)>,
    /// The ticket's requester's address, if it has one.
    requester: Option<String>,
    /// Called once the email is sent: the ticket follows a conversation now.
    written: Callback<()>,
) -> impl IntoView {
    let drafted = DraftInBox::new(ids.get_value().0);
    let text = drafted.text;
    let to = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);

    let send = Action::new(move |(to, text, draft): &(String, String, String)| {
        let (w, t) = ids.get_value();
        let (to, text, draft) = (to.clone(), text.clone(), draft.clone());
        async move { write_to_requester(w, t, text, to, draft).await }
    });
    Effect::new(move |_| match send.value().get() {
        Some(Ok(_)) => {
            drafted.sent();
            error.set(None);
            written.run(());
        }
        Some(Err(e)) => error.set(Some(e.explained())),
        None => {}
    });
    let submit = move || {
        if send.pending().get_untracked() {
            return;
        }
        match validate_reply(&text.get_untracked()) {
            Ok(body) => {
                send.dispatch((to.get_untracked(), body, drafted.id()));
            }
            Err(e) => error.set(Some(e.explained())),
        }
    };

    let drafting = Action::new(move |_: &()| {
        let (w, t) = ids.get_value();
        async move { draft_ticket_reply(w, t).await }
    });
    Effect::new(move |_| match drafting.value().get() {
        Some(Ok(draft)) => {
            error.set(None);
            drafted.put(draft, "ticket-reply");
        }
        Some(Err(e)) => error.set(Some(e.explained())),
        None => {}
    });
    let ask_for_draft = move || {
        if !drafting.pending().get_untracked() {
            drafting.dispatch(());
        }
    };

    let address = match requester {
        Some(email) => view! { <p class="small">"To " <strong>{email}</strong></p> }.into_any(),
        None => view! {
            <label for="ticket-to">"Requester's email"</label>
            <input id="ticket-to" type="email" autocomplete="off" maxlength="254" placeholder="name@company.com"
                prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev)) />
        }
        .into_any(),
    };
    view! {
        <section class="ticket-write" aria-labelledby="ticket-write-title">
            <h3 id="ticket-write-title">"Write to the requester"</h3>
            <p class="muted small">
                "This ticket has no conversation yet. Your email begins one: the requester's answer comes back into \
                 it, and the ticket follows it."
            </p>
            <form class="desk-reply" on:submit=move |ev| { ev.prevent_default(); submit(); }>
                {address}
                <label for="ticket-reply">"Email to the requester"</label>
                <textarea id="ticket-reply" rows="5" maxlength=crate::chat::MESSAGE_MAX_CHARS.to_string()
                    placeholder="Write to them, or ask for a draft. Ctrl+Enter sends."
                    aria-busy=move || drafting.pending().get().to_string()
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                            ev.prevent_default();
                            submit();
                        }
                    }
                ></textarea>
                {drafted.note()}
                <p class="muted small" role="status">
                    {move || drafting.pending().get().then_some("The assistant is drafting from your knowledge base…")}
                </p>
                {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                <div class="form-actions">
                    <button type="submit" class="button button-primary" disabled=move || send.pending().get()>
                        {move || if send.pending().get() { "Sending…" } else { "Send by email" }}
                    </button>
                    <button type="button" class="button" disabled=move || drafting.pending().get()
                        on:click=move |_| ask_for_draft()>
                        {move || if drafting.pending().get() { "Drafting…" } else { "Draft a reply" }}
                    </button>
                </div>
            </form>
        </section>
    }
}
