//! "Test a question": the reply a visitor would get, composed as the widget
//! composes it, with its citations; the passages and scores behind it wait
//! behind a "details" toggle.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{web_link, ExternalLink, Library};
use crate::components::feedback::Loading;
use crate::components::format::count_of;
use crate::components::forms::{FormAlert, Outcome};
use crate::error::ServiceError;
use crate::knowledge::{Passage, TestAnswer, TestQuestion, QUESTION_MAX};

#[component]
pub(super) fn TestQuestionPanel(lib: Library, base: StoredValue<String>) -> impl IntoView {
    let test = ServerAction::<TestQuestion>::new();
    let outcome = Outcome::of(test);
    let question = RwSignal::new(String::new());
    let asked = RwSignal::new(String::new());
    let chosen = RwSignal::new(Vec::<String>::new());
    let value = lib.live.value;
    let question_error = outcome.field("question");
    let other_error = Signal::derive(move || {
        outcome.error().filter(|e| !matches!(e, ServiceError::Invalid(_))).map(|e| e.to_string())
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = question.get_untracked();
        // Sources deleted since they were ticked are left out.
        let source_ids: Vec<String> = value.with_untracked(|o| {
            chosen.get_untracked().into_iter().filter(|id| o.sources.iter().any(|s| &s.id == id)).collect()
        });
        asked.set(text.trim().to_string());
        test.dispatch(TestQuestion { workspace_id: lib.workspace_id.get_value(), question: text, source_ids });
    };
    let options = move || {
        value
            .with(|o| o.sources.iter().map(|s| (s.id.clone(), s.title.clone(), s.location.clone())).collect::<Vec<_>>())
    };
    let filter_summary = move || {
        let total = value.with(|o| o.sources.len());
        match chosen.with(|c| c.iter().filter(|id| value.with(|o| o.sources.iter().any(|s| &s.id == *id))).count()) {
            0 => "Search all sources".to_string(),
            n => format!("Searching {n} of {total} sources"),
        }
    };

    view! {
        <section class="panel test-question" aria-labelledby="test-title">
            <h2 id="test-title">"Test a question"</h2>
            <p class="muted">"Ask what a customer might, and see the reply your assistant would give, with the passages behind it."</p>
            <form class="test-form" on:submit=on_submit novalidate="novalidate">
                <div class="field">
                    <label for="test-question">"Customer question"</label>
                    <div class="test-row">
                        <input
                            id="test-question"
                            name="question"
                            type="search"
                            maxlength=QUESTION_MAX
                            autocomplete="off"
                            placeholder="How do I return an order?"
                            data-test="test-question-input"
                            aria-invalid=move || question_error.get().is_some().to_string()
                            aria-describedby="test-question-error"
                            prop:value=move || question.get()
                            on:input=move |ev| question.set(event_target_value(&ev))
                        />
                        <button
                            class="button button-primary"
                            type="submit"
                            data-test="test-question-submit"
                            disabled=move || test.pending().get()
                            aria-busy=move || test.pending().get().to_string()
                        >
                            {move || if test.pending().get() { "Asking…" } else { "Test" }}
                        </button>
                    </div>
                    <p class="field-error" id="test-question-error">{move || question_error.get()}</p>
                </div>
                <details class="source-filter">
                    <summary>
                        {filter_summary}
                        <span class="muted small">" · choose sources"</span>
                    </summary>
                    <fieldset class="filter-list">
                        <legend class="sr-only">"Sources to search (none ticked: all of them)"</legend>
                        <For each=options key=|option| option.clone() let:option>
                            {
                                let (id, title, location) = option;
                                let check_id = format!("test-source-{id}");
                                let label_for = check_id.clone();
                                let ticked = {
                                    let id = id.clone();
                                    move || chosen.with(|c| c.contains(&id))
                                };
                                view! {
                                    <label class="filter-option" for=label_for>
                                        <input
                                            type="checkbox"
                                            id=check_id
                                            value=id.clone()
                                            prop:checked=ticked
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                let id = id.clone();
                                                chosen.update(|c| {
                                                    c.retain(|x| *x != id);
                                                    if on {
                                                        c.push(id);
                                                    }
                                                });
                                            }
                                        />
                                        <span class="filter-title">{title}</span>
                                        {location.map(|l| view! { <span class="muted small filter-location">{l}</span> })}
                                    </label>
                                }
                            }
                        </For>
                    </fieldset>
                    <button type="button" class="button button-small" on:click=move |_| chosen.set(Vec::new())>
                        "Search all sources"
                    </button>
                </details>
            </form>
            <FormAlert message=other_error />
            // A short announcement; the reply itself is read on demand.
            <p class="sr-only" role="status">
                {move || match test.value().with(|v| v.as_ref().map(|r| r.as_ref().ok().map(|t| t.answered))) {
                    _ if test.pending().get() => String::new(),
                    Some(Some(true)) => "Your assistant would answer this. The reply follows.".to_string(),
                    Some(Some(false)) => "Your assistant would offer a person for this question.".to_string(),
                    _ => String::new(),
                }}
            </p>
            <div class="test-results">
                {move || {
                    if test.pending().get() {
                        return view! { <Loading label="Asking your assistant…" /> }.into_any();
                    }
                    match test.value().get() {
                        Some(Ok(tested)) => view! { <TestReply tested asked=asked.get_untracked() lib base /> }.into_any(),
                        _ => ().into_any(),
                    }
                }}
            </div>
        </section>
    }
}

/// The reply, then what it rests on.
#[component]
fn TestReply(tested: TestAnswer, asked: String, lib: Library, base: StoredValue<String>) -> impl IntoView {
    let TestAnswer { body, citations, answered, confidence, passages } = tested;
    let count = passages.len();
    let verdict = if answered {
        format!("A visitor asking \u{201c}{asked}\u{201d} would get this reply ({:.0}% sure):", confidence * 100.0)
    } else {
        format!("Your knowledge does not answer \u{201c}{asked}\u{201d}: a visitor would be offered a person.")
    };
    let sources = (!citations.is_empty()).then(|| {
        view! {
            <ul class="test-sources" aria-label="Sources cited">
                {citations
                    .into_iter()
                    .map(|c| {
                        let title = format!("[{}] {}", c.number, c.title);
                        match c.url.as_deref().and_then(web_link) {
                            Some(url) => view! {
                                <li><a href=url.to_string() target="_blank" rel="noopener noreferrer">{title}</a></li>
                            }
                            .into_any(),
                            None => view! { <li>{title}</li> }.into_any(),
                        }
                    })
                    .collect_view()}
            </ul>
        }
    });
    let details = if passages.is_empty() {
        view! {
            <div class="no-passages">
                <p><strong>"Nothing in your knowledge matches this question yet."</strong></p>
                <p class="muted small">"Add a source that answers it, or wait for sources still processing to be ready."</p>
            </div>
        }
        .into_any()
    } else {
        view! {
            <details class="test-details" data-test="test-details">
                <summary>{format!("Details: {}, best first, with their scores", count_of(count as u64, "passage", "passages"))}</summary>
                <ol class="passages">
                    // Erased one by one: nested in the reply's view, the passage's
                    // concrete type overflowed the compiler's query depth in the
                    // hydrate build.
                    {passages
                        .into_iter()
                        .enumerate()
                        .map(|(i, passage)| view! { <PassageItem rank=i + 1 passage lib base /> }.into_any())
                        .collect_view()}
                </ol>
            </details>
        }
        .into_any()
    };
    view! {
        <div class=if answered { "test-answer" } else { "test-answer declined" } data-test="test-answer" data-answered=answered.to_string()>
            <p class="test-verdict">{verdict}</p>
            <blockquote class="test-reply">{body}</blockquote>
            {sources}
        </div>
        {details}
    }
}

#[component]
fn PassageItem(rank: usize, passage: Passage, lib: Library, base: StoredValue<String>) -> impl IntoView {
    let source_title = lib
        .live
        .value
        .with_untracked(|o| o.sources.iter().find(|s| s.id == passage.source_id).map(|s| s.title.clone()));
    let source_href = format!("{}/knowledge/{}", base.get_value(), passage.source_id);
    let path = (!passage.heading_path.is_empty()).then(|| passage.heading_path.join(" › "));
    let page = passage.page.map(|page| view! { <span>{format!("Page {page}")}</span> });
    let link = passage.url.as_deref().and_then(web_link).map(|url| {
        view! { <ExternalLink url=url.to_string() /> }
    });
    let from = source_title.map(|title| view! { <span>"From " <A href=source_href>{title}</A></span> });
    let similarity = (passage.similarity.clamp(0.0, 1.0) * 100.0).round();
    view! {
        <li class="passage" data-test="passage">
            <span class="passage-rank" aria-hidden="true">{rank}</span>
            <div class="passage-body">
                <h3 class="passage-title">
                    <span class="sr-only">{format!("Rank {rank}: ")}</span>
                    {passage.document_title.clone()}
                </h3>
                {path.map(|path| view! { <p class="passage-path">{path}</p> })}
                <p class="passage-where small muted">{page} {link} {from}</p>
                <blockquote class="passage-text">{passage.text.clone()}</blockquote>
                <dl class="passage-scores">
                    <div>
                        <dt>"Score"</dt>
                        <dd>{format!("{:.3}", passage.score)}</dd>
                    </div>
                    <div>
                        <dt>"Meaning match"</dt>
                        <dd>{format!("{similarity:.0}%")}</dd>
                    </div>
                    <div>
                        <dt>"Words matched"</dt>
                        <dd>{format!("{:.0}%", (passage.coverage.clamp(0.0, 1.0) * 100.0).round())}</dd>
                    </div>
                </dl>
            </div>
        </li>
    }
}
