//! Skills from a résumé, on the career form: choose a file, watch it go up
//! and be read, then tick the skills you have (and, if you like, the
//! experience its dates suggest). Nothing joins the form until you say so;
//! for someone signed in, confirming also saves it to their profile.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::{Bytes, Decodes};
use serde::Deserialize;

use crate::components::format::count_of;
use crate::error::ServiceError;
use crate::mentor_resume::{
    add_skills, confirm_resume, ResumeConfirmation, ResumeReading, RESUME_ACCEPT, RESUME_MAX_BYTES,
};

/// Where reading a résumé has got to.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Step {
    Idle,
    /// Uploading (percent sent); at 100 the server is reading it.
    Sending {
        file_name: String,
        percent: u8,
    },
    Found(ResumeReading),
    /// What was added, said once it was.
    Added(String),
    Failed(String),
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const UNREACHABLE: &str = "Your résumé didn't reach Lodestar. Check your connection and try again.";

/// The upload endpoint's answer: the reading, or why not.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn read_answer(status: u16, body: &str) -> Result<ResumeReading, String> {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: String,
        #[serde(default)]
        fields: BTreeMap<String, String>,
    }
    let bytes = Bytes::from(body.to_owned());
    if status == 200 {
        return <JsonEncoding as Decodes<ResumeReading>>::decode(bytes).map_err(|_| ServiceError::Internal.to_string());
    }
    if let Ok(ErrorBody { error, fields }) = <JsonEncoding as Decodes<ErrorBody>>::decode(bytes) {
        if let Some(message) = fields.into_values().next().or(Some(error)).filter(|m| !m.trim().is_empty()) {
            return Err(message);
        }
    }
    Err(match status {
        413 => format!(
            "This file is over {} MB. Save your résumé as a PDF or Word document and try again.",
            RESUME_MAX_BYTES / (1024 * 1024)
        ),
        429 => "You've read several résumés in a short time. Wait a few minutes, then try again.".into(),
        _ => ServiceError::Internal.to_string(),
    })
}

#[component]
pub fn ResumeReader(skills: RwSignal<Vec<String>>, experience: RwSignal<String>, signed_in: bool) -> impl IntoView {
    let step = RwSignal::new(Step::Idle);
    let ticked = RwSignal::new(Vec::<bool>::new());
    let take_experience = RwSignal::new(true);
    let save =
        Action::new(|(id, confirmed): &(String, ResumeConfirmation)| confirm_resume(id.clone(), confirmed.clone()));
    #[cfg(feature = "hydrate")]
    let transfer = StoredValue::new_local(None::<crate::components::upload::Transfer>);

    let on_chosen = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;

            use crate::components::upload::{files_of, Sent, Transfer};
            let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else {
                return;
            };
            let Some(file) = files_of(input.files()).into_iter().next() else { return };
            // Choosing the same file again must fire `change` again.
            input.set_value("");
            let file_name = file.name();
            if file.size() > RESUME_MAX_BYTES as f64 {
                step.set(Step::Failed(read_answer(413, "").unwrap_err()));
                return;
            }
            step.set(Step::Sending { file_name: file_name.clone(), percent: 0 });
            let sending = file_name.clone();
            let on_progress = move |loaded: f64, total: f64| {
                if total > 0.0 {
                    let percent = (loaded / total * 100.0).clamp(0.0, 100.0) as u8;
                    let _ = step.try_set(Step::Sending { file_name: sending.clone(), percent });
                }
            };
            let on_finished = move |sent: Sent| {
                let next = match sent {
                    Sent::Answered { status, body } => match read_answer(status, &body) {
                        Ok(reading) => {
                            let _ = ticked.try_set(vec![true; reading.skills.len()]);
                            let _ = take_experience.try_set(true);
                            Step::Found(reading)
                        }
                        Err(problem) => Step::Failed(problem),
                    },
                    Sent::Cancelled => Step::Idle,
                    Sent::Unreachable => Step::Failed(UNREACHABLE.into()),
                };
                let _ = step.try_set(next);
            };
            match Transfer::start(crate::mentor_resume::RESUME_UPLOAD_PATH, &[file], on_progress, on_finished) {
                Ok(started) => transfer.set_value(Some(started)),
                Err(problem) => step.set(Step::Failed(problem)),
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let cancel = move |_| {
        #[cfg(feature = "hydrate")]
        transfer.update_value(|t| {
            if let Some(t) = t.take() {
                t.cancel();
            }
        });
        step.set(Step::Idle);
    };
    let confirm = move |reading: ResumeReading| {
        let chosen: Vec<String> = ticked.with(|ticked| {
            reading.skills.iter().zip(ticked).filter(|(_, on)| **on).map(|(s, _)| s.name.clone()).collect()
        });
        let new_experience = reading.experience().filter(|_| take_experience.get_untracked());
        let mut added = 0;
        skills.update(|all| added = add_skills(all, &chosen));
        if let Some(e) = new_experience {
            experience.set(e.as_str().to_owned());
        }
        let mut said = format!("Added {} from {}.", count_of(added as u64, "skill", "skills"), reading.file_name);
        if let Some(e) = new_experience {
            said.push_str(&format!(" Experience set to \u{201c}{}\u{201d}.", e.label()));
        }
        said.push_str(" Press \u{201c}Show my roles\u{201d} to see what they change.");
        if let (true, Some(id)) = (signed_in, reading.id.clone()) {
            let experience = new_experience.map(|e| e.as_str().to_owned());
            save.dispatch((id, ResumeConfirmation { skills: chosen, experience }));
        }
        step.set(Step::Added(said));
    };

    let busy = move || matches!(step.get(), Step::Sending { .. });
    view! {
        <div class="resume-reader" data-test="resume-reader">
            <div class="resume-pick">
                <input id="resume-file" class="file-input" type="file" accept=RESUME_ACCEPT
                    aria-describedby="resume-hint" disabled=busy on:change=on_chosen />
                <label for="resume-file" class="button button-small file-button">"Read skills from my résumé"</label>
                <p class="small muted" id="resume-hint">
                    {format!("PDF, Word or text, up to {} MB. We read the skills you confirm and keep nothing else.", RESUME_MAX_BYTES / (1024 * 1024))}
                </p>
            </div>
            <p class="sr-only" role="status">
                {move || match step.get() {
                    Step::Sending { percent: 100, .. } => "Reading your résumé…".to_owned(),
                    Step::Sending { file_name, .. } => format!("Uploading {file_name}…"),
                    Step::Found(r) => format!("Found {} in {}.", count_of(r.skills.len() as u64, "skill", "skills"), r.file_name),
                    Step::Added(said) => said,
                    Step::Failed(problem) => problem,
                    Step::Idle => String::new(),
                }}
            </p>
            {move || match step.get() {
                Step::Idle => ().into_any(),
                Step::Sending { file_name, percent } => view! {
                    <div class="upload-progress">
                        <span>{if percent >= 100 { "Reading your résumé…".to_owned() } else { format!("Uploading {file_name}…") }}</span>
                        <progress max="100" value=percent.to_string() aria-label="Résumé upload"></progress>
                        <button type="button" class="button button-small" on:click=cancel>"Cancel"</button>
                    </div>
                }.into_any(),
                Step::Failed(problem) => view! {
                    <p class="form-error resume-problem" data-test="resume-problem">{problem}</p>
                }.into_any(),
                Step::Added(said) => view! {
                    <p class="form-success small" data-test="resume-added">
                        {said}
                        {move || signed_in.then(|| match save.value().get() {
                            Some(Ok(_)) => " Saved to your profile.".to_owned(),
                            Some(Err(e)) => format!(" It couldn't be saved to your profile: {e}"),
                            None => " Saving to your profile…".to_owned(),
                        })}
                    </p>
                }.into_any(),
                Step::Found(reading) => view! { <Found reading ticked take_experience confirm cancel=move || step.set(Step::Idle) /> }.into_any(),
            }}
        </div>
    }
}

/// The skills found, to tick, and the buttons that take or drop them.
#[component]
fn Found(
    reading: ResumeReading,
    ticked: RwSignal<Vec<bool>>,
    take_experience: RwSignal<bool>,
    confirm: impl Fn(ResumeReading) + Copy + Send + Sync + 'static,
    cancel: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let count = reading.skills.len();
    if count == 0 {
        return view! {
            <div class="resume-found" data-test="resume-found">
                <p>{format!("We read {} but found no skills we know in it. Type yours into Skills above.", reading.file_name)}</p>
                <button type="button" class="button button-small" on:click=move |_| cancel()>"Close"</button>
            </div>
        }
        .into_any();
    }
    let chosen = move || ticked.with(|t| t.iter().filter(|on| **on).count());
    let experience = reading.experience().zip(reading.years);
    let items = reading
        .skills
        .iter()
        .enumerate()
        .map(|(i, skill)| {
            let id = format!("resume-skill-{i}");
            view! {
                <li>
                    <input type="checkbox" id=id.clone() prop:checked=move || ticked.with(|t| t.get(i).copied().unwrap_or(false))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            ticked.update(|t| if let Some(slot) = t.get_mut(i) { *slot = on });
                        } />
                    <label for=id>
                        <span class="resume-skill-name">{skill.name.clone()}</span>
                        {(!skill.technology).then(|| view! { <span class="pill">"Your words"</span> })}
                        <span class="resume-evidence small muted">{format!("\u{201c}{}\u{201d}", skill.evidence)}</span>
                    </label>
                </li>
            }
        })
        .collect_view();
    let kept = reading.clone();
    view! {
        <div class="resume-found" data-test="resume-found" role="group" aria-labelledby="resume-found-title">
            <h3 class="h4" id="resume-found-title">
                {format!("{} found in {}", count_of(count as u64, "skill", "skills"), reading.file_name)}
            </h3>
            <p class="small muted">"Untick any you don't have. Only the ones you keep join your form."</p>
            <ul class="resume-skills">{items}</ul>
            {experience.map(|(level, years)| view! {
                <p class="resume-experience">
                    <input type="checkbox" id="resume-experience" prop:checked=move || take_experience.get()
                        on:change=move |ev| take_experience.set(event_target_checked(&ev)) />
                    <label for="resume-experience">
                        {format!("Set my experience to \u{201c}{}\u{201d}: your résumé spans about {}.", level.label(), count_of(u64::from(years), "year", "years"))}
                    </label>
                </p>
            })}
            <div class="form-actions">
                <button type="button" class="button button-primary button-small" data-test="resume-confirm"
                    disabled=move || chosen() == 0 on:click=move |_| confirm(kept.clone())>
                    {move || format!("Add {}", count_of(chosen() as u64, "skill", "skills"))}
                </button>
                <button type="button" class="button button-small" on:click=move |_| ticked.update(|t| {
                    let all = t.iter().all(|on| *on);
                    t.iter_mut().for_each(|on| *on = !all);
                })>{move || if ticked.with(|t| t.iter().all(|on| *on)) { "Untick all" } else { "Tick all" }}</button>
                <button type="button" class="button button-quiet button-small" on:click=move |_| cancel()>"Cancel"</button>
            </div>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_become_a_reading_or_a_reason() {
        let ok = r#"{"id":null,"file_name":"cv.pdf","format":"PDF","skills":[{"name":"Python","technology":true,"evidence":"Python"}],"years":3}"#;
        assert_eq!(read_answer(200, ok).unwrap().skills[0].name, "Python");
        let refused = r#"{"error":"Please correct the highlighted fields.","fields":{"file":"This doesn't look like a résumé."}}"#;
        assert_eq!(read_answer(422, refused), Err("This doesn't look like a résumé.".into()));
        assert_eq!(read_answer(429, r#"{"error":"Too many attempts."}"#), Err("Too many attempts.".into()));
        assert!(read_answer(413, "").unwrap_err().contains("over 5 MB"));
        assert_eq!(read_answer(200, "nope"), Err(ServiceError::Internal.to_string()));
    }
}
