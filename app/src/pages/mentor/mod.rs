//! `/mentor`: the career mentor's form and its results, open to anyone.
//! The form lives in the page's address (`/mentor?interest=…&skills=…`), so
//! results survive a reload, can be bookmarked or shared, and render on the
//! server before any of the page's code has loaded. `form.rs`: the form and
//! its skill suggestions; `resume.rs`: skills read from a résumé, confirmed
//! before they join the form; `results.rs`: the roles and everything behind
//! them; `roadmap.rs`: the plan, drawn; `chat.rs`: `/mentor/chat`, the
//! mentor to talk to about all of it; `ops.rs`: `/ops/mentor`, what
//! operators see.

mod chat;
mod form;
mod ops;
mod results;
mod resume;
mod roadmap;

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;
use leptos_router::NavigateOptions;

use crate::components::feedback::{ErrorPanel, Loading};
use crate::components::url::encode_query_value;
use crate::error::ServiceError;
use crate::layout::signed_in_hint;
use crate::mentor::{my_mentor_profile, recommend_careers, save_mentor_profile, CareerForm, ONET_ATTRIBUTION};
use crate::mentor_chat::STARTERS;

pub use chat::MentorChatPage;
pub use ops::MentorOpsPage;

#[component]
pub fn MentorPage() -> impl IntoView {
    let query = use_query_map();
    let form = Memo::new(move |_| query.with(|q| CareerForm::from_query(|key| q.get(key))));
    // Checked here as on the server, so a mistake shows beside its field
    // without a round trip.
    let errors = Memo::new(move |_| form.with(|f| if f.is_blank() { None } else { f.validate().err() }));
    let results = Resource::new(
        move || form.get(),
        |form| async move {
            if form.is_blank() || form.validate().is_err() {
                None
            } else {
                Some(recommend_careers(form).await)
            }
        },
    );
    let pending = RwSignal::new(false);
    let signed_in = signed_in_hint();
    // Someone signed in who opens `/mentor` bare sees their saved profile.
    let saved = Resource::new(
        move || signed_in && form.with(CareerForm::is_blank),
        |wanted| async move {
            if wanted {
                my_mentor_profile().await.ok().flatten()
            } else {
                None
            }
        },
    );
    // A signed-in person's submitted form becomes their profile (only on a
    // submit: opening a link to `/mentor?…` never changes it).
    let save_next = StoredValue::new(false);
    let save = Action::new(|form: &CareerForm| save_mentor_profile(form.clone()));
    Effect::new(move |_| {
        let form = form.get();
        if save_next.get_value() && form.validate().is_ok() {
            save_next.set_value(false);
            save.dispatch(form);
        }
    });
    view! {
        <Title text="Career mentor" />
        <Meta name="description" content="Find the roles you're closest to from your interests and skills, how ready you are, and a plan to close the gaps. Free, no account needed." />
        <section class="section mentor">
            <div class="container">
                <header class="mentor-hero no-print">
                    <p class="eyebrow">"Career mentor"</p>
                    <h1>"Find the roles you're closest to, and the way there"</h1>
                    <p class="lead">
                        "Say what you'd like to do and what you know. You'll get roles with the reasons behind "
                        "them, how ready you are, the skills to learn quick wins first, and a plan over the weeks. "
                        "Free, no account needed."
                    </p>
                </header>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        saved.await.map(|profile| view! {
                            <Redirect path=format!("/mentor?{}", profile.to_query()) options=NavigateOptions { replace: true, ..Default::default() } />
                        })
                    })}
                </Suspense>
                <form::CareerFormView form errors pending submitted=Callback::new(move |()| save_next.set_value(signed_in)) signed_in />
                <KeepResults form signed_in save />
                <AskTheMentor form signed_in />
                <div class="mentor-results" id="results">
                    <Transition fallback=|| view! { <Loading label="Finding your roles…" /> } set_pending=pending.write_only()>
                        {move || Suspend::new(async move {
                            match results.await {
                                None => view! { <Intro /> }.into_any(),
                                Some(Ok(found)) => view! { <results::Results results=found /> }.into_any(),
                                // The form shows these beside their fields.
                                Some(Err(ServiceError::Invalid(_))) => ().into_any(),
                                Some(Err(error)) => view! { <ErrorPanel error /> }.into_any(),
                            }
                        })}
                    </Transition>
                </div>
                <p class="attribution small muted">
                    {ONET_ATTRIBUTION}
                    " Occupations, titles, technologies and job zones come from "
                    <a href="https://www.onetcenter.org/database.html" rel="noopener">"O*NET"</a>
                    "; learning-time estimates are ours, with their assumptions shown beside them."
                </p>
            </div>
        </section>
    }
}

/// Under the form once there are results: for someone signed in, whether
/// their profile was saved; for anyone else, how to keep the results.
#[component]
fn KeepResults(
    form: Memo<CareerForm>,
    signed_in: bool,
    save: Action<CareerForm, Result<(), ServiceError>>,
) -> impl IntoView {
    let asked = move || form.with(|f| !f.is_blank() && f.validate().is_ok());
    move || {
        if !asked() {
            return None;
        }
        Some(if signed_in {
            view! {
                <p class="keep-results small muted no-print" role="status">
                    {move || match save.value().get() {
                        Some(Ok(())) => "Saved to your profile.",
                        Some(Err(_)) => "We couldn't save this to your profile. Your results are below.",
                        None if save.pending().get() => "Saving to your profile…",
                        None => "",
                    }}
                </p>
            }
            .into_any()
        } else {
            let career = encode_query_value(&form.get().to_query());
            view! {
                <p class="keep-results no-print">
                    <a class="button button-small" href=format!("/signup?purpose=mentor&career={career}")>"Keep these results"</a>
                    <span class="small muted">" Free account: your profile is kept, and you can ask the mentor about it."</span>
                </p>
            }
            .into_any()
        })
    }
}

/// Under results: the questions the mentor answers, as links into the
/// chat for someone signed in (the question fills its box; asking is
/// theirs to do), or the way to an account for anyone else.
#[component]
fn AskTheMentor(form: Memo<CareerForm>, signed_in: bool) -> impl IntoView {
    let asked = move || form.with(|f| !f.is_blank() && f.validate().is_ok());
    move || {
        asked().then(|| {
            let questions = STARTERS
                .iter()
                .map(|q| {
                    let href = if signed_in {
                        format!("/mentor/chat?ask={}", encode_query_value(q))
                    } else {
                        format!(
                            "/signup?purpose=mentor&career={}",
                            encode_query_value(&form.get_untracked().to_query())
                        )
                    };
                    view! { <a class="chip chip-button" href=href>{*q}</a> }
                })
                .collect_view();
            view! {
                <aside class="mentor-ask no-print" aria-labelledby="ask-title">
                    <h2 class="h4" id="ask-title">"Ask the mentor about these results"</h2>
                    <p class="small muted">
                        {if signed_in {
                            "It answers from your profile and the data behind these roles."
                        } else {
                            "With a free account, the mentor answers from these results: 10 questions a month."
                        }}
                    </p>
                    <div class="chat-suggestions">{questions}</div>
                </aside>
            }
        })
    }
}

/// What the page shows before anything was asked.
#[component]
fn Intro() -> impl IntoView {
    view! {
        <div class="mentor-intro">
            <h2 class="h3">"What you'll get"</h2>
            <ul class="checks left">
                <li>"About five roles, ranked by your interest, your skills and your experience, each with its reasons"</li>
                <li>"A readiness score for each, how sure it is, and what would raise it most"</li>
                <li>"The skills to learn, quick wins first, with weeks at your pace"</li>
                <li>"A roadmap you can print, and the roles next door"</li>
            </ul>
            <p class="muted small">
                "Built on O*NET, the U.S. Department of Labor's database of about 900 occupations. "
                "Nothing you type is stored unless you sign up."
            </p>
        </div>
    }
}
