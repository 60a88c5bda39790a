//! The ticket categories panel of the Settings page: each category's name,
//! the example messages that teach the local classifier, and the least
//! priority its tickets get; "Other" takes what is like none of them.
//! Admins edit (add, remove, save); everyone else reads.

use leptos::prelude::*;

use super::Here;
use crate::components::feedback::{ErrorPanel, Loading};
use crate::components::forms::{textarea_text, FormAlert, SettingsSave};
use crate::error::ServiceError;
use crate::ticket_categories::{
    save_ticket_categories, CategoryInput, CategorySetup, MAX_CATEGORIES, MAX_EXAMPLE_CHARS, MAX_LABEL_CHARS, OTHER,
};
use crate::tickets::{priority_label, PRIORITIES};

#[component]
pub fn TicketCategoriesPanel(here: Here, setup: Resource<Result<CategorySetup, ServiceError>>) -> impl IntoView {
    let workspace_id = here.workspace.id.clone();
    view! {
        <section class="panel" aria-labelledby="categories-title">
            <h2 id="categories-title">"Ticket categories"</h2>
            <p class="muted">
                "What tickets are about. Each new ticket is sorted by the example messages most like the \
                 requester's words (on this server, nothing leaves it); the team can always change it."
            </p>
            <Transition fallback=|| view! { <Loading label="Loading ticket categories…" /> }>
                {move || {
                    let workspace_id = workspace_id.clone();
                    Suspend::new(async move {
                        match setup.await {
                            Ok(setup) => view! { <CategoriesEditor setup workspace_id /> }.into_any(),
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

#[derive(Clone)]
struct Row {
    key: u64,
    input: CategoryInput,
}

#[component]
fn CategoriesEditor(setup: CategorySetup, workspace_id: String) -> impl IntoView {
    let editable = setup.can_edit;
    let next_key = StoredValue::new(setup.categories.len() as u64);
    let rows = RwSignal::new(
        setup
            .categories
            .iter()
            .enumerate()
            .map(|(at, category)| Row { key: at as u64, input: CategoryInput::from(category) })
            .collect::<Vec<Row>>(),
    );
    let workspace = StoredValue::new(workspace_id);
    let save = Action::new(move |inputs: &Vec<CategoryInput>| {
        let inputs = inputs.clone();
        async move { save_ticket_categories(workspace.get_value(), inputs).await }
    });
    let error = RwSignal::new(None::<ServiceError>);
    let saved = RwSignal::new(false);
    Effect::new(move |_| match save.value().get() {
        Some(Ok(_)) => {
            error.set(None);
            saved.set(true);
        }
        Some(Err(e)) => {
            error.set(Some(e));
            saved.set(false);
        }
        None => {}
    });
    let field_error = move |name: &'static str, key: u64| {
        Signal::derive(move || {
            let at = rows.with(|rows| rows.iter().position(|r| r.key == key))?;
            error.with(|e| e.as_ref().and_then(|e| e.field(&format!("{name}.{at}"))))
        })
    };
    let edit = move |key: u64, change: fn(&mut CategoryInput, String)| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            rows.update_untracked(|rows| {
                if let Some(row) = rows.iter_mut().find(|r| r.key == key) {
                    change(&mut row.input, value);
                }
            });
            saved.set(false);
        }
    };
    let add = move |_| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        error.set(None);
        // New ones go before Other, which stays last.
        rows.update(|rows| {
            let at = rows.iter().position(|r| r.input.id == OTHER).unwrap_or(rows.len());
            rows.insert(at, Row { key, input: CategoryInput::default() });
        });
    };
    let row_view = move |row: Row| {
        let Row { key, input } = row;
        let other = input.id == OTHER;
        let label_error = field_error("label", key);
        let examples_error = field_error("examples", key);
        let name_id = format!("category-name-{key}");
        let examples_id = format!("category-examples-{key}");
        let priority_id = format!("category-priority-{key}");
        let chosen = input.priority.clone();
        let priorities = std::iter::once(("", "No change".to_owned()))
            .chain(PRIORITIES.into_iter().map(|p| (p.as_str(), format!("At least {}", priority_label(p)))))
            .map(|(value, text)| view! { <option value=value selected=chosen == value>{text}</option> })
            .collect_view();
        view! {
            <li class="category-row">
                <div class="field">
                    <label for=name_id.clone()>"Name"</label>
                    <input id=name_id type="text" maxlength=MAX_LABEL_CHARS.to_string() value=input.label.clone()
                        readonly=!editable || other on:input=edit(key, |c, v| c.label = v)
                        aria-invalid=move || label_error.get().is_some().to_string() />
                    <p class="field-error">{move || label_error.get()}</p>
                </div>
                {if other {
                    view! { <p class="muted small category-other">"Tickets like none of the examples."</p> }.into_any()
                } else {
                    view! {
                        <div class="field category-examples">
                            <label for=examples_id.clone()>"Example messages, one per line"</label>
                            <textarea id=examples_id rows="3" maxlength=(MAX_EXAMPLE_CHARS * 20).to_string()
                                readonly=!editable on:input=edit(key, |c, v| c.examples = v)
                                aria-invalid=move || examples_error.get().is_some().to_string()>
                                {textarea_text(Some(input.examples.clone()))}
                            </textarea>
                            <p class="field-error">{move || examples_error.get()}</p>
                        </div>
                    }
                    .into_any()
                }}
                <div class="field">
                    <label for=priority_id.clone()>"Priority"</label>
                    <select id=priority_id disabled=!editable on:change=edit(key, |c, v| c.priority = v)>{priorities}</select>
                </div>
                {(editable && !other).then(|| view! {
                    <button type="button" class="button button-small category-remove"
                        on:click=move |_| { error.set(None); saved.set(false); rows.update(|rows| rows.retain(|r| r.key != key)); }>
                        "Remove"
                    </button>
                })}
            </li>
        }
    };
    let general = move || match error.get() {
        Some(ServiceError::Invalid(fields)) => fields.get("categories").cloned(),
        Some(other) => Some(other.to_string()),
        None => None,
    };
    view! {
        <form class="form form-plain" novalidate on:submit=move |ev| {
            ev.prevent_default();
            save.dispatch(rows.get_untracked().into_iter().map(|r| r.input).collect());
        }>
            <ul class="category-rows">
                <For each=move || rows.get() key=|row| row.key children=row_view />
            </ul>
            {editable.then(|| view! {
                <button type="button" class="button button-small" on:click=add
                    disabled=move || rows.with(|r| r.len() >= MAX_CATEGORIES)>
                    "Add a category"
                </button>
            })}
            <FormAlert message=Signal::derive(general) />
            <SettingsSave editable label="Save categories" what="ticket categories" pending=save.pending()
                saved=Signal::derive(move || saved.get()) />
        </form>
    }
}
