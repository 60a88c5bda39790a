//! The service level targets panel of the Settings page: per priority, how
//! soon the team first replies, replies again and solves a ticket, in
//! working time when the workspace keeps business hours. Admins edit;
//! everyone else reads.

use leptos::prelude::*;

use super::Here;
use crate::components::feedback::{ErrorPanel, Loading};
use crate::components::forms::{on_success, FormAlert, Outcome, SettingsSave};
use crate::error::ServiceError;
use crate::sla::{field_name, policy_form, SaveSlaPolicy, SlaKind, SlaSetup};
use crate::tickets::{priority_label, PRIORITIES};

#[component]
pub fn ServiceTargetsPanel(here: Here, setup: Resource<Result<SlaSetup, ServiceError>>) -> impl IntoView {
    let save = ServerAction::<SaveSlaPolicy>::new();
    let outcome = Outcome::of(save);
    let saved = RwSignal::new(None::<SlaSetup>);
    on_success(save, move |setup: &SlaSetup| saved.set(Some(setup.clone())));
    let workspace_id = here.workspace.id.clone();
    view! {
        <section class="panel" aria-labelledby="targets-title">
            <h2 id="targets-title">"Service level targets"</h2>
            <p class="muted">
                "How soon your team answers and solves a ticket, by its priority. Tickets show each deadline, \
                 turn amber when 80 % of the time is gone and red when it is missed; misses stay in their history."
            </p>
            <Transition fallback=|| view! { <Loading label="Loading service level targets…" /> }>
                {move || {
                    let workspace_id = workspace_id.clone();
                    Suspend::new(async move {
                        match setup.await {
                            Ok(setup) => view! { <TargetsForm setup workspace_id save outcome saved /> }.into_any(),
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn TargetsForm(
    setup: SlaSetup,
    workspace_id: String,
    save: ServerAction<SaveSlaPolicy>,
    outcome: Outcome,
    saved: RwSignal<Option<SlaSetup>>,
) -> impl IntoView {
    let editable = setup.can_edit;
    let form = policy_form(&setup.policy);
    let counted = if setup.in_business_hours {
        "Counted in your business hours: time out of hours doesn't count."
    } else {
        "Counted around the clock, since the workspace keeps no business hours."
    };
    let rows = PRIORITIES
        .into_iter()
        .map(|priority| {
            let cells = SlaKind::ALL
                .into_iter()
                .map(|kind| {
                    let name = field_name(priority, kind);
                    let error = {
                        let name = name.clone();
                        Signal::derive(move || outcome.error().and_then(|e| e.field(&name)))
                    };
                    let label = format!("{} {}", priority_label(priority), kind.label().to_lowercase());
                    view! {
                        <td>
                            <input type="text" name=format!("form[{name}]") id=format!("sla-{name}") maxlength="16"
                                size="7" value=form.get(&name).cloned().unwrap_or_default() readonly=!editable
                                placeholder="none" aria-label=label
                                aria-invalid=move || error.get().is_some().to_string() />
                        </td>
                    }
                })
                .collect_view();
            view! { <tr><th scope="row">{priority_label(priority)}</th>{cells}</tr> }
        })
        .collect_view();
    let errors = move || {
        let messages = match outcome.error() {
            Some(ServiceError::Invalid(fields)) => fields.into_values().collect(),
            _ => Vec::new(),
        };
        messages.into_iter().map(|message| view! { <li>{message}</li> }).collect_view()
    };
    view! {
        <ActionForm action=save attr:class="form form-plain" attr:novalidate="novalidate">
            <input type="hidden" name="workspace_id" value=workspace_id />
            <div class="table-wrap">
            <table class="table sla-table">
                <caption class="muted small">{counted} " Write times such as 30m, 4h or 1h 30m; leave a cell empty for no target."</caption>
                <thead>
                    <tr>
                        <th scope="col">"Priority"</th>
                        {SlaKind::ALL.into_iter().map(|kind| view! { <th scope="col">{kind.label()}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            </div>
            <ul class="field-error" role="alert">{errors}</ul>
            <FormAlert message=outcome.message() />
            <SettingsSave editable label="Save targets" what="service level targets" pending=save.pending()
                saved=Signal::derive(move || saved.with(Option::is_some)) />
        </ActionForm>
    }
}
