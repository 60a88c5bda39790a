//! The business hours panel of the Settings page: whether the team keeps
//! hours, its time zone, each weekday's blocks and holidays, and whether
//! the team is in right now. Admins edit; everyone else reads.

use leptos::prelude::*;

use super::Here;
use crate::business_hours::{format_blocks, HoursForm, HoursSetup, SaveBusinessHours, DAY_FIELDS, WEEKDAYS};
use crate::components::feedback::{ErrorPanel, Loading};
use crate::components::format::Time;
use crate::components::forms::{on_success, Field, FormAlert, Outcome, SettingsSave};

const DAY_NAMES: [&str; 7] =
    ["form[mon]", "form[tue]", "form[wed]", "form[thu]", "form[fri]", "form[sat]", "form[sun]"];
const DAY_IDS: [&str; 7] = ["hours-mon", "hours-tue", "hours-wed", "hours-thu", "hours-fri", "hours-sat", "hours-sun"];

#[component]
pub fn BusinessHoursPanel(
    here: Here,
    setup: Resource<Result<HoursSetup, crate::error::ServiceError>>,
) -> impl IntoView {
    let save = ServerAction::<SaveBusinessHours>::new();
    let outcome = Outcome::of(save);
    let saved = RwSignal::new(None::<HoursSetup>);
    on_success(save, move |setup: &HoursSetup| saved.set(Some(setup.clone())));
    let here = StoredValue::new(here);
    view! {
        <section class="panel" aria-labelledby="hours-title">
            <h2 id="hours-title">"Business hours"</h2>
            <p class="muted">
                "When your team answers. Out of hours, a visitor who asks for a person learns when you're back \
                 and can leave an email; response targets count working time only."
            </p>
            <Transition fallback=|| view! { <Loading label="Loading business hours…" /> }>
                {move || Suspend::new(async move {
                    match setup.await {
                        Ok(setup) => {
                            let workspace_id = here.with_value(|h| h.workspace.id.clone());
                            view! { <HoursEditor setup workspace_id save outcome saved /> }.into_any()
                        }
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn HoursEditor(
    setup: HoursSetup,
    workspace_id: String,
    save: ServerAction<SaveBusinessHours>,
    outcome: Outcome,
    saved: RwSignal<Option<HoursSetup>>,
) -> impl IntoView {
    let form = HoursForm::from(&setup.hours);
    let editable = setup.can_edit;
    let enabled = RwSignal::new(form.enabled);
    let first = setup.clone();
    // What the server last said: on load, then after each save.
    let status = move || {
        let setup = saved.get().unwrap_or_else(|| first.clone());
        match (setup.hours.enabled, setup.open_now, setup.next_open) {
            (false, _, _) => {
                view! { <span>"No business hours: visitors can always ask for a person."</span> }.into_any()
            }
            (true, true, _) => view! { <span class="pill pill-ok">"In hours now"</span> }.into_any(),
            (true, false, Some(at)) => {
                view! { <span class="pill">"Out of hours"</span> <span>"Back " <Time at /></span> }.into_any()
            }
            (true, false, None) => {
                view! { <span class="pill">"Out of hours"</span> <span>"No working hours ahead."</span> }.into_any()
            }
        }
    };
    let zones = setup.zones.clone();
    let days = (0..7)
        .map(|i| {
            view! {
                <Field name=DAY_NAMES[i] id=DAY_IDS[i] label=WEEKDAYS[i] max=80 value=form.day(i).to_owned()
                    error=outcome.field(DAY_FIELDS[i]) readonly=!editable />
            }
        })
        .collect_view();
    let example = format_blocks(&crate::business_hours::BusinessHours::default().days[0]);
    view! {
        <p class="hours-status" role="status">{status}</p>
        <ActionForm action=save attr:class="form form-plain hours-form" attr:novalidate="novalidate">
            <input type="hidden" name="workspace_id" value=workspace_id />
            <label class="checkbox">
                <input type="checkbox" name="form[enabled]" value="true" checked=form.enabled disabled=!editable
                    on:change=move |ev| enabled.set(event_target_checked(&ev)) />
                " My team keeps business hours"
            </label>
            // Switched off, the hours stay as they were for next time.
            <fieldset class="hours-fields" class:hours-off=move || !enabled.get() disabled=!editable>
                <div class="field">
                    <label for="hours-zone">"Time zone"</label>
                    <input id="hours-zone" name="form[time_zone]" list="hours-zones" maxlength="64"
                        value=form.time_zone.clone() readonly=!editable autocomplete="off"
                        aria-invalid=move || outcome.field("time_zone").get().is_some().to_string()
                        aria-describedby="hours-zone-error" />
                    <datalist id="hours-zones">
                        {zones.into_iter().map(|zone| view! { <option value=zone></option> }).collect_view()}
                    </datalist>
                    <p class="field-error" id="hours-zone-error">{move || outcome.field("time_zone").get()}</p>
                </div>
                <p class="field-hint">
                    {format!("Each day's hours as ranges, such as {example} or 9:00-12:30, 13:30-18:00. Leave a day empty when you're closed.")}
                </p>
                <div class="hours-days">{days}</div>
                <Field name="form[holidays]" id="hours-holidays" label="Holidays" kind="textarea" max=4000
                    value=form.holidays.clone() error=outcome.field("holidays") readonly=!editable
                    hint="One per line, a date and a name: 2026-12-25 Christmas Day. Closed all day." />
            </fieldset>
            <FormAlert message=outcome.message() />
            <SettingsSave editable label="Save business hours" what="business hours" pending=save.pending()
                saved=Signal::derive(move || saved.with(Option::is_some)) />
        </ActionForm>
    }
}
