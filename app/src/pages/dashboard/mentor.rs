//! `/mentor`: the personal area of a "career mentor" account. The mentor
//! itself is being built; this page says so and offers what exists.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{plan_label, DashMain, Session};
use crate::components::feedback::{EmptyState, ErrorPanel, Icon, Loading};

#[component]
pub fn MentorPage() -> impl IntoView {
    let session = Session::get();
    view! {
        <Title text="Career mentor" />
        <DashMain>
            <div class="narrow-page">
                <header class="page-header">
                    <div>
                        <p class="eyebrow">"Career mentor"</p>
                        <h1>"Your career mentor is coming"</h1>
                        <p class="lead">
                            "Soon you'll describe where you are and where you'd like to go, and Lodestar will "
                            "recommend roles with the reasons behind them, show how ready you are, and plan the "
                            "skills to learn, quick wins first."
                        </p>
                    </div>
                </header>
                <EmptyState title="Nothing to set up yet" icon=Icon::Compass>
                    <ul class="checks left">
                        <li>"Role recommendations based on your interests, experience and skills"</li>
                        <li>"A readiness score and the gaps to close, with time estimates"</li>
                        <li>"A mentor to ask: \"what should I learn first?\""</li>
                    </ul>
                    <p class="muted small">"We'll email you when it opens. Your account is ready."</p>
                    <div class="actions center">
                        <a class="button" href="/app/account">"Account settings"</a>
                        <a class="button button-primary" href="/app/new-workspace">"Create a workspace"</a>
                    </div>
                </EmptyState>
                <Transition fallback=|| view! { <Loading /> }>
                    {move || Suspend::new(async move {
                        match session.viewer.await {
                            Ok(Some(viewer)) if !viewer.workspaces.is_empty() => Some(view! {
                                <section class="panel" aria-labelledby="mentor-workspaces">
                                    <h2 id="mentor-workspaces">"Your workspaces"</h2>
                                    <ul class="link-list">
                                        {viewer.workspaces.into_iter().map(|workspace| view! {
                                            <li>
                                                <a href=format!("/app/w/{}", workspace.id)>{workspace.name}</a>
                                                <span class="muted small">{format!(" {} · {} plan", workspace.role.label(), plan_label(&workspace.plan))}</span>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                </section>
                            }.into_any()),
                            Err(error) => Some(view! { <ErrorPanel error /> }.into_any()),
                            _ => None,
                        }
                    })}
                </Transition>
            </div>
        </DashMain>
    }
}
