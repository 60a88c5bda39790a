//! `/app/new-workspace`: a workspace of your own, owned by you.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::{DashMain, PageHeader, Session};
use crate::accounts::WORKSPACE_NAME_MAX;
use crate::components::forms::{on_success, Field, FormAlert, Outcome, Submit};
use crate::team::CreateWorkspace;

#[component]
pub fn NewWorkspacePage() -> impl IntoView {
    let session = Session::get();
    let create = ServerAction::<CreateWorkspace>::new();
    let outcome = Outcome::of(create);
    let navigate = use_navigate();
    on_success(create, move |workspace| {
        session.add_workspace(workspace.clone());
        navigate(&format!("/app/w/{}", workspace.id), Default::default());
    });
    view! {
        <DashMain>
            <div class="narrow-page">
                <PageHeader
                    title="New workspace"
                    lead="A workspace holds one assistant: its knowledge, widget, inbox and team. You'll be its owner."
                />
                <ActionForm action=create attr:class="form" attr:novalidate="novalidate">
                    <FormAlert message=outcome.message() />
                    <Field name="name" label="Workspace name" max=WORKSPACE_NAME_MAX error=outcome.field("name")
                        hint="Usually your company, product or team." autocomplete="organization" required=true />
                    <div class="form-actions">
                        <Submit label="Create workspace" busy="Creating…" pending=create.pending() />
                        <a class="button" href="/app">"Cancel"</a>
                    </div>
                </ActionForm>
            </div>
        </DashMain>
    }
}
