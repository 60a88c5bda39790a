//! The ticket routing panel of the Settings page: how tickets nobody has
//! taken are handed out (by hand, round robin, balanced), how many open
//! tickets each agent holds at most, which categories each takes, and the
//! team's load and the queue as they are now. Admins edit; everyone else
//! reads.

use leptos::prelude::*;

use super::Here;
use crate::components::feedback::{ErrorPanel, Loading};
use crate::components::forms::{on_success, Choice, Choices, FormAlert, Outcome, SettingsSave};
use crate::error::ServiceError;
use crate::routing::{RoutingMode, RoutingSetup, SaveRouting, MAX_CAPACITY};

#[component]
pub fn TicketRoutingPanel(here: Here, setup: Resource<Result<RoutingSetup, ServiceError>>) -> impl IntoView {
    let save = ServerAction::<SaveRouting>::new();
    let outcome = Outcome::of(save);
    let saved = RwSignal::new(None::<RoutingSetup>);
    on_success(save, move |setup: &RoutingSetup| saved.set(Some(setup.clone())));
    let workspace_id = here.workspace.id.clone();
    view! {
        <section class="panel" aria-labelledby="routing-title">
            <h2 id="routing-title">"Ticket routing"</h2>
            <p class="muted">
                "Who gets a ticket nobody has taken. Only members at the desk now (with the inbox or the tickets \
                 open) and under their limit get one; a ticket nobody can take waits, and goes to the first agent \
                 who frees up, oldest first."
            </p>
            <Transition fallback=|| view! { <Loading label="Loading ticket routing…" /> }>
                {move || {
                    let workspace_id = workspace_id.clone();
                    Suspend::new(async move {
                        match setup.await {
                            Ok(setup) => view! { <RoutingForm setup workspace_id save outcome saved /> }.into_any(),
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn RoutingForm(
    setup: RoutingSetup,
    workspace_id: String,
    save: ServerAction<SaveRouting>,
    outcome: Outcome,
    saved: RwSignal<Option<RoutingSetup>>,
) -> impl IntoView {
    let editable = setup.can_edit;
    let mode = RwSignal::new(setup.policy.mode.as_str().to_owned());
    // What the server last said: the page's setup, then each save's.
    let current = {
        let setup = setup.clone();
        Signal::derive(move || saved.get().unwrap_or_else(|| setup.clone()))
    };
    let choices = RoutingMode::ALL
        .into_iter()
        .map(|m| Choice { value: m.as_str(), label: m.label(), hint: m.explain() })
        .collect();
    let policy = setup.policy.clone();
    let rows = setup
        .agents
        .iter()
        .enumerate()
        .map(|(at, agent)| {
            let own = policy.members.get(&agent.id).and_then(|m| m.capacity).map(|n| n.to_string());
            let takes = policy.categories_of(&agent.id).to_vec();
            let boxes = setup
                .categories
                .iter()
                .enumerate()
                .map(|(k, category)| {
                    view! {
                        <label class="check-chip">
                            <input type="checkbox" name=format!("routing[members][{at}][categories][{k}]")
                                value=category.id.clone() checked=takes.contains(&category.id) disabled=!editable />
                            {category.label.clone()}
                        </label>
                    }
                })
                .collect_view();
            let error = Signal::derive(move || outcome.error().and_then(|e| e.field(&format!("capacity.{at}"))));
            let agent_id = agent.id.clone();
            let away_id = agent.id.clone();
            let set_away = Signal::derive(move || current.with(|c| c.agents.iter().any(|a| a.id == away_id && a.away)));
            let load = Signal::derive(move || {
                current.with(|c| {
                    let agent = c.agents.iter().find(|a| a.id == agent_id);
                    (agent.map_or(0, |a| a.open), c.policy.capacity_of(&agent_id), agent.is_some_and(|a| a.online))
                })
            });
            let name = agent.name.clone();
            view! {
                <tr>
                    <th scope="row">
                        <input type="hidden" name=format!("routing[members][{at}][member_id]") value=agent.id.clone() />
                        {agent.name.clone()}
                        <span class="presence small" class:presence-on=move || load.get().2>
                            {move || match (load.get().2, set_away.get()) {
                                (true, _) => "At the desk",
                                (false, true) => "Set to away",
                                (false, false) => "Away",
                            }}
                        </span>
                    </th>
                    <td><Load load name /></td>
                    <td>
                        <input type="number" min="0" max=MAX_CAPACITY.to_string() inputmode="numeric"
                            name=format!("routing[members][{at}][capacity]") value=own readonly=!editable
                            placeholder=policy.capacity.to_string() aria-label=format!("{}'s limit", agent.name)
                            aria-invalid=move || error.get().is_some().to_string() class="routing-limit" />
                        <p class="field-error">{move || error.get()}</p>
                    </td>
                    <td>
                        <fieldset class="check-chips">
                            <legend class="sr-only">{format!("Categories {} takes", agent.name)}</legend>
                            {boxes}
                        </fieldset>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let queue = move || {
        current.with(|c| match (c.policy.mode, c.queued) {
            (RoutingMode::Manual, _) => None,
            (_, 0) => Some("No ticket is waiting for an agent.".to_owned()),
            (_, 1) => Some("1 ticket is waiting for an agent.".to_owned()),
            (_, n) => Some(format!("{n} tickets are waiting for an agent.")),
        })
    };
    view! {
        <ActionForm action=save attr:class="form form-plain" attr:novalidate="novalidate">
            <input type="hidden" name="workspace_id" value=workspace_id />
            <Choices name="routing[mode]" legend="Hand out new tickets" options=choices selected=mode
                error=outcome.field("mode") />
            <div class="field">
                <label for="routing-capacity">"Open tickets per agent, at most"</label>
                <input id="routing-capacity" type="number" name="routing[capacity]" min="0"
                    max=MAX_CAPACITY.to_string() inputmode="numeric" value=setup.policy.capacity.to_string()
                    readonly=!editable class="routing-limit" aria-describedby="routing-capacity-hint routing-capacity-error"
                    aria-invalid=move || outcome.field("capacity").get().is_some().to_string() />
                <p class="field-hint" id="routing-capacity-hint">
                    "Pending tickets don't count: they wait on the requester. A member's own limit below wins; 0 takes them out of routing."
                </p>
                <p class="field-error" id="routing-capacity-error">{move || outcome.field("capacity").get()}</p>
            </div>
            <div class="table-wrap" tabindex="0" role="region" aria-label="The team's routing, scrollable">
                <table class="table routing-table">
                    <caption class="muted small">"Takes: the categories routed to them; none ticked means every one."</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Member"</th>
                            <th scope="col">"Open tickets"</th>
                            <th scope="col">"Their limit"</th>
                            <th scope="col">"Takes"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <p class="muted small" role="status">{queue}</p>
            <FormAlert message=outcome.message() />
            <SettingsSave editable label="Save routing" what="ticket routing" pending=save.pending()
                saved=Signal::derive(move || saved.with(Option::is_some)) />
        </ActionForm>
    }
}

/// An agent's open tickets against their limit, drawn as a bar.
#[component]
fn Load(load: Signal<(u32, u32, bool)>, name: String) -> impl IntoView {
    let text = move || {
        let (open, limit, _) = load.get();
        if limit == 0 {
            format!("{open}, not routed")
        } else {
            format!("{open} of {limit}")
        }
    };
    view! {
        <span class="load">
            <meter min="0" max=move || load.get().1.max(1) value=move || load.get().0.min(load.get().1.max(1))
                low=move || f64::from(load.get().1.max(1)) * 0.8 high=move || f64::from(load.get().1.max(1)) * 0.9999
                optimum="0" aria-label=format!("{name}'s open tickets") aria-valuetext=text>
                {text}
            </meter>
            <span class="small">{text}</span>
        </span>
    }
}
