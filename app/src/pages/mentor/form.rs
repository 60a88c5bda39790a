//! The career form: interest, experience, skills (typed as chips, with
//! suggestions from O*NET's technologies) and hours a week. A plain GET
//! form to `/mentor`, so it works before the page's code loads; once it has,
//! the router submits it without a page load.

use std::time::Duration;

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use leptos_router::components::Form;

use crate::components::forms::{Choice, Choices, Field, Submit};
use crate::error::FieldErrors;
use crate::mentor::{
    split_skills, suggest_skills, CareerForm, SkillSuggestion, DEFAULT_HOURS, HOURS_MAX, INTEREST_MAX, SKILLS_MAX,
    SKILL_MAX,
};
use crate::validate::clean_line;

const EXPERIENCE: [Choice; 4] = [
    Choice { value: "new", label: "New to work", hint: "Studying, or looking for a first job" },
    Choice { value: "junior", label: "Under 2 years", hint: "A first role or two" },
    Choice { value: "mid", label: "2 to 5 years", hint: "Working independently" },
    Choice { value: "senior", label: "More than 5 years", hint: "Leading work or people" },
];

/// The form, drawn afresh from the address whenever it changes (a submit,
/// back, forward), so what it shows always matches the results below it.
#[component]
pub fn CareerFormView(
    form: Memo<CareerForm>,
    errors: Memo<Option<FieldErrors>>,
    pending: RwSignal<bool>,
    /// Called as the form is sent (not when the address changes otherwise).
    submitted: Callback<()>,
    signed_in: bool,
) -> impl IntoView {
    let error = move |name: &'static str| {
        Signal::derive(move || errors.with(|e| e.as_ref().and_then(|e| e.get(name).cloned())))
    };
    move || {
        let initial = form.get();
        let experience = RwSignal::new(initial.experience.clone());
        let skills = RwSignal::new(initial.skills.clone());
        let hours = initial.hours_per_week.unwrap_or(DEFAULT_HOURS).to_string();
        view! {
            <Form method="get" action="/mentor" attr:class="panel mentor-form no-print" attr:aria-label="About you"
                on_form_data=std::sync::Arc::new(move |_: &leptos::web_sys::FormData| submitted.run(()))>
                <div class="mentor-form-grid">
                    <div class="mentor-form-interest">
                        <Field name="interest" kind="textarea" label="What kind of work would you like to do?" max=INTEREST_MAX
                            value=initial.interest.clone() error=error("interest")
                            hint="In your own words, e.g. \"I'd like to make websites for small businesses\"." />
                    </div>
                    <Choices name="experience" legend="Work experience" options=EXPERIENCE.to_vec() selected=experience error=error("experience") />
                    <SkillsInput skills error=error("skills") />
                    <div class="mentor-form-resume">
                        <super::resume::ResumeReader skills experience signed_in />
                    </div>
                    <div class="field mentor-hours">
                        <label for="field-hours">"Hours a week for learning"</label>
                        <p class="field-hint" id="field-hours-hint">"Estimates in weeks use this."</p>
                        <input id="field-hours" name="hours" type="number" inputmode="numeric" min="1" max=HOURS_MAX step="1" value=hours
                            aria-describedby="field-hours-hint field-hours-error" aria-invalid=move || error("hours").get().is_some().to_string() />
                        <p class="field-error" id="field-hours-error">{move || error("hours").get()}</p>
                    </div>
                </div>
                <div class="form-actions">
                    <Submit label="Show my roles" busy="Finding your roles…" pending />
                </div>
            </Form>
        }
    }
}

/// Skills as chips. The chips travel in a hidden `skills` field and what is
/// still being typed in `more_skills`, so both count when the form is sent,
/// with or without the page's code. Suggestions follow the ARIA combobox
/// pattern: arrows to move, Enter to take one, Escape to close.
#[component]
fn SkillsInput(skills: RwSignal<Vec<String>>, error: Signal<Option<String>>) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let suggestions = RwSignal::new(Vec::<SkillSuggestion>::new());
    let active = RwSignal::new(None::<usize>);
    let asked = StoredValue::new(0u64);

    let close = move || {
        suggestions.set(Vec::new());
        active.set(None);
    };
    let add = move |name: &str| {
        let name = clean_line(name);
        if !name.is_empty() {
            skills.update(|all| {
                if all.len() < SKILLS_MAX && !all.iter().any(|s| s.eq_ignore_ascii_case(&name)) {
                    all.push(name);
                }
            });
        }
        draft.set(String::new());
        close();
    };
    // Asks for suggestions once typing pauses; an answer to older text is dropped.
    let suggest = move |typed: String| {
        let ticket = asked.get_value() + 1;
        asked.set_value(ticket);
        if typed.trim().is_empty() {
            close();
            return;
        }
        set_timeout(
            move || {
                if asked.get_value() != ticket {
                    return;
                }
                leptos::task::spawn_local(async move {
                    if let Ok(found) = suggest_skills(typed.clone()).await {
                        if asked.get_value() == ticket {
                            active.set(None);
                            suggestions.set(found);
                        }
                    }
                });
            },
            Duration::from_millis(150),
        );
    };
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        if value.contains([',', ';']) {
            let mut parts = split_skills(&value);
            let rest =
                if value.trim_end().ends_with([',', ';']) { String::new() } else { parts.pop().unwrap_or_default() };
            for part in parts {
                add(&part);
            }
            draft.set(rest.clone());
            suggest(rest);
        } else {
            draft.set(value.clone());
            suggest(value);
        }
    };
    let on_keydown = move |ev: KeyboardEvent| {
        let count = suggestions.with(Vec::len);
        match ev.key().as_str() {
            "ArrowDown" if count > 0 => {
                ev.prevent_default();
                active.update(|a| *a = Some(a.map_or(0, |i| (i + 1) % count)));
            }
            "ArrowUp" if count > 0 => {
                ev.prevent_default();
                active.update(|a| *a = Some(a.map_or(count - 1, |i| (i + count - 1) % count)));
            }
            "Enter" => {
                if let Some(name) = active.get().and_then(|i| suggestions.with(|s| s.get(i).map(|s| s.name.clone()))) {
                    ev.prevent_default();
                    add(&name);
                } else if !draft.with(|d| d.trim().is_empty()) {
                    ev.prevent_default();
                    add(&draft.get());
                }
            }
            "Escape" if count > 0 => {
                ev.prevent_default();
                close();
            }
            "Backspace" if draft.with(String::is_empty) => {
                skills.update(|all| {
                    all.pop();
                });
            }
            _ => {}
        }
    };
    view! {
        <div class="field skills-field">
            <label for="field-skills">"Skills"</label>
            <p class="field-hint" id="field-skills-hint">
                "Tools, languages and know-how: Excel, Python, customer service. Press Enter or a comma after each."
            </p>
            <input type="hidden" name="skills" value=move || skills.get().join(", ") />
            <div class="skills-box" class:skills-box-invalid=move || error.get().is_some()>
                <ul class="chips" aria-label="Your skills">
                    <For each=move || skills.get() key=|skill| skill.clone() let:skill>
                        <li class="chip">
                            <span>{skill.clone()}</span>
                            <button type="button" class="chip-remove" aria-label=format!("Remove {skill}")
                                on:click=move |_| skills.update(|all| all.retain(|s| *s != skill))>"×"</button>
                        </li>
                    </For>
                </ul>
                <input id="field-skills" name="more_skills" type="text" maxlength=SKILL_MAX autocomplete="off"
                    role="combobox" aria-autocomplete="list" aria-controls="skill-suggestions"
                    aria-expanded=move || suggestions.with(|s| !s.is_empty()).to_string()
                    aria-activedescendant=move || active.get().map(|i| format!("skill-suggestion-{i}"))
                    aria-describedby="field-skills-hint field-skills-error"
                    aria-invalid=move || error.get().is_some().to_string()
                    placeholder=move || if skills.with(Vec::is_empty) { "Type a skill" } else { "Add another" }
                    prop:value=move || draft.get() on:input=on_input on:keydown=on_keydown on:blur=move |_| close() />
            </div>
            <ul id="skill-suggestions" role="listbox" aria-label="Suggested skills" class="suggestions"
                hidden=move || suggestions.with(Vec::is_empty)>
                {move || suggestions.get().into_iter().enumerate().map(|(i, s)| {
                    let name = s.name.clone();
                    view! {
                        <li id=format!("skill-suggestion-{i}") role="option" class="suggestion"
                            aria-selected=move || (active.get() == Some(i)).to_string()
                            on:mousedown=move |ev| { ev.prevent_default(); add(&name); }>
                            <span>{s.name}</span>
                            <span class="muted small">{s.category}</span>
                            {s.hot.then(|| view! { <span class="pill pill-hot">"Hot"</span> })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <p class="field-error" id="field-skills-error">{move || error.get()}</p>
        </div>
    }
}
