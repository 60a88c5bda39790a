//! A new workspace's first steps, where it lands (the workspace's home):
//! add knowledge → test it → style the widget → install it → the first
//! conversation. Each is ticked by what has really happened (asked of the
//! server on every visit), and the list steps aside once all five are done.

use leptos::prelude::*;
use leptos_router::components::A;

use super::Here;
use crate::chat::FirstSteps;
use crate::error::ServiceError;
use crate::permissions::Action;

struct Step {
    title: &'static str,
    body: &'static str,
    /// The page that does it, for the roles allowed there.
    link: (&'static str, &'static str, Option<Action>),
    done: fn(&FirstSteps) -> bool,
}

const STEPS: [Step; 5] = [
    Step {
        title: "Add what your assistant should know",
        body: "Upload help articles (PDF, Word, Markdown), add your website, or type a question and its answer.",
        link: ("Add knowledge", "/knowledge", Some(Action::ManageKnowledge)),
        done: |s| s.knowledge,
    },
    Step {
        title: "Test it with a question",
        body: "Ask what your customers ask in “Test a question”, or chat in the Widget page's preview. \
               Tests never count against your plan.",
        link: ("Test a question", "/knowledge#test-question", Some(Action::ManageKnowledge)),
        done: |s| s.tested,
    },
    Step {
        title: "Make the widget yours",
        body: "Choose its colour, greeting, starter questions and position, then save.",
        link: ("Style the widget", "/widget", Some(Action::ConfigureWidget)),
        done: |s| s.styled,
    },
    Step {
        title: "Put it on your site",
        body: "Create a publishable key that names your site, and paste its one line of code into your pages.",
        link: ("Create a widget key", "/keys", Some(Action::ManageApiKeys)),
        done: |s| s.installed,
    },
    Step {
        title: "Your first conversation",
        body: "This ticks itself when a visitor first chats with your assistant on your site.",
        link: ("Open conversations", "/conversations", Some(Action::AnswerConversations)),
        done: |s| s.conversation,
    },
];

/// Steps done after which the list folds to its next step.
const FOLD_AFTER: usize = 3;

/// The checklist, while any step is left; nothing once all are done (or
/// when it cannot be loaded: the page below still works).
#[component]
pub fn FirstStepsPanel(here: Here, steps: Resource<Result<FirstSteps, ServiceError>>) -> impl IntoView {
    let here = StoredValue::new(here);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let steps = steps.await.ok().filter(|s| !s.all_done())?;
                Some(here.with_value(|here| checklist(here, steps)))
            })}
        </Transition>
    }
}

fn checklist(here: &Here, steps: FirstSteps) -> AnyView {
    let done = steps.done();
    // The first step left is the one to do now.
    let next = STEPS.iter().position(|step| !(step.done)(&steps));
    let items = STEPS
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let finished = (step.done)(&steps);
            let (label, path, needs) = step.link;
            let link = (!finished && needs.is_none_or(|action| here.can(action))).then(|| {
                let class = if next == Some(i) { "button button-primary button-small" } else { "button button-small" };
                view! { <A href=here.path(path) attr:class=class>{label}</A> }
            });
            view! {
                <li class="first-step" class:first-step-done=finished class:first-step-next=next == Some(i)>
                    <span class="first-step-mark" aria-hidden="true">
                        {if finished { "✓".to_string() } else { (i + 1).to_string() }}
                    </span>
                    <div class="first-step-text">
                        <p class="first-step-title">
                            {step.title}
                            <span class="sr-only">{if finished { " (done)" } else { " (to do)" }}</span>
                        </p>
                        <p class="muted small">{step.body}</p>
                    </div>
                    {link}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="panel first-steps" aria-labelledby="first-steps-title">
            <div class="first-steps-head">
                <h2 id="first-steps-title">"Get your assistant answering"</h2>
                <p class="muted small" id="first-steps-progress">{format!("{done} of {} done", STEPS.len())}</p>
            </div>
            <progress max=STEPS.len() value=done aria-labelledby="first-steps-progress"></progress>
            // Folded once most are done, so the inbox below stays in view.
            <details class="first-steps-list" open=done < FOLD_AFTER>
                <summary>{next.map(|i| format!("Next: {}", STEPS[i].title))}</summary>
                <ol class="first-step-list">{items}</ol>
            </details>
        </section>
    }
    .into_any()
}
