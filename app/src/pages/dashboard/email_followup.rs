//! The email follow-up panel of the Settings page: how long a reply the
//! visitor has not seen waits before it is emailed to them, and whether
//! their answers by email come back; and the support address, where email
//! forwarded becomes tickets. Admins choose; everyone else reads.

use leptos::prelude::*;

use super::Here;
use crate::components::feedback::{ErrorPanel, Loading};
use crate::components::forms::{on_success, CopyButton, FormAlert, Outcome, SettingsSave};
use crate::email_followup::{followup_label, FollowupSetup, SaveEmailFollowup, FOLLOWUP_CHOICES};

#[component]
pub fn EmailFollowupPanel(
    here: Here,
    setup: Resource<Result<FollowupSetup, crate::error::ServiceError>>,
) -> impl IntoView {
    let save = ServerAction::<SaveEmailFollowup>::new();
    let outcome = Outcome::of(save);
    let saved = RwSignal::new(None::<FollowupSetup>);
    on_success(save, move |setup: &FollowupSetup| saved.set(Some(setup.clone())));
    let workspace_id = here.workspace.id.clone();
    view! {
        <section class="panel" aria-labelledby="followup-title">
            <h2 id="followup-title">"Email follow-up"</h2>
            <p class="muted">
                "When a visitor who left their email hasn't seen your team's reply in the chat, \
                 it is emailed to them, once. They can answer by email; it comes back into the conversation."
            </p>
            <Transition fallback=|| view! { <Loading label="Loading email follow-up…" /> }>
                {move || {
                    let workspace_id = workspace_id.clone();
                    Suspend::new(async move {
                        match setup.await {
                            Ok(setup) => view! { <FollowupForm setup workspace_id save outcome saved /> }.into_any(),
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn FollowupForm(
    setup: FollowupSetup,
    workspace_id: String,
    save: ServerAction<SaveEmailFollowup>,
    outcome: Outcome,
    saved: RwSignal<Option<FollowupSetup>>,
) -> impl IntoView {
    let editable = setup.can_edit;
    let options = FOLLOWUP_CHOICES
        .into_iter()
        .map(|minutes| {
            view! { <option value=minutes.to_string() selected=minutes == setup.minutes>{followup_label(minutes)}</option> }
        })
        .collect_view();
    let comes_back = if setup.replies_come_back {
        "Answers by email come back into the conversation and reopen it if it was resolved."
    } else {
        "Answers by email are not set up on this server (INBOUND_EMAIL_SECRET), so the email asks visitors \
         to go on in the chat."
    };
    let support = setup.support_address.clone().map(|address| view! {
        <div class="support-address">
            <p><strong>"Support address"</strong></p>
            <p class="muted small">
                "Forward your support mailbox here (your email provider's forwarding rule): each new email becomes \
                 a ticket, and your team's replies go back by email."
            </p>
            <p><code id="support-address">{address.clone()}</code> " " <CopyButton text=address what="the support address" /></p>
        </div>
    });
    view! {
        {support}
        <ActionForm action=save attr:class="form form-plain" attr:novalidate="novalidate">
            <input type="hidden" name="workspace_id" value=workspace_id />
            <div class="field">
                <label for="followup-minutes">"Email an unseen reply"</label>
                <select id="followup-minutes" name="minutes" disabled=!editable
                    aria-invalid=move || outcome.field("minutes").get().is_some().to_string()
                    aria-describedby="followup-hint followup-error">
                    {options}
                </select>
                <p class="field-hint" id="followup-hint">{comes_back}</p>
                <p class="field-error" id="followup-error">{move || outcome.field("minutes").get()}</p>
            </div>
            <FormAlert message=outcome.message() />
            <SettingsSave editable label="Save email follow-up" what="the email follow-up" pending=save.pending()
                saved=Signal::derive(move || saved.with(Option::is_some)) />
        </ActionForm>
    }
}
