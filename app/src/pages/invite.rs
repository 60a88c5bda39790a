//! `/invite/:token`: what an invitation is for, and the way in: join when
//! logged in, otherwise create an account or log in first.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::accounts::{current_viewer, Viewer};
use crate::components::feedback::Loading;
use crate::components::format::Time;
use crate::components::forms::{on_success, FormAlert, Outcome, Submit};
use crate::components::url::login_url;
use crate::error::ServiceError;
use crate::pages::auth::invited_signup_url;
use crate::permissions::Role;
use crate::team::{get_invitation, AcceptInvitation, InvitationPreview};

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = Memo::new(move |_| params.read().get("token").unwrap_or_default());
    let preview = Resource::new(move || token.get(), get_invitation);
    let viewer = Resource::new(|| (), |_| current_viewer());
    let accept = ServerAction::<AcceptInvitation>::new();
    on_success(accept, move |workspace| crate::bundle::load_page(&format!("/app/w/{}", workspace.id)));

    view! {
        <Title text="Invitation" />
        <section class="auth">
            <div class="auth-card">
                <Suspense fallback=|| view! { <Loading label="Opening the invitation…" /> }>
                    {move || {
                        let token = token.get();
                        Suspend::new(async move {
                            let viewer = viewer.await.ok().flatten();
                            match preview.await {
                                Ok(preview) => view! { <Invitation token preview viewer accept /> }.into_any(),
                                Err(error) => view! { <UnusableInvitation error /> }.into_any(),
                            }
                        })
                    }}
                </Suspense>
            </div>
        </section>
    }
}

/// "as an agent", "as an admin", "as an owner".
fn as_role(role: Role) -> String {
    format!("as an {}", role.as_str())
}

#[component]
fn Invitation(
    token: String,
    preview: InvitationPreview,
    viewer: Option<Viewer>,
    accept: ServerAction<AcceptInvitation>,
) -> impl IntoView {
    let outcome = Outcome::of(accept);
    let intro = view! {
        <p class="eyebrow">"Invitation"</p>
        <h1>"Join " {preview.workspace_name.clone()}</h1>
        <p class="lead">
            {preview.invited_by.clone()} " invited " <strong>{preview.email.clone()}</strong> " to join "
            {as_role(preview.role)} "."
        </p>
        <p class="muted small">"This invitation expires on " <Time at=preview.expires_at /> "."</p>
    };
    let next_step = match viewer {
        Some(viewer) => {
            let other_address = (!viewer.email.eq_ignore_ascii_case(&preview.email)).then(|| {
                view! {
                    <div class="notice notice-warning notice-compact" role="note">
                        <p>
                            "You're logged in as " <strong>{viewer.email.clone()}</strong>
                            ", but this invitation is for " <strong>{preview.email.clone()}</strong>
                            ". Log out and use that address, or ask for an invitation to yours."
                        </p>
                    </div>
                }
            });
            view! {
                {other_address}
                <ActionForm action=accept attr:class="form form-plain">
                    <input type="hidden" name="token" value=token />
                    <FormAlert message=outcome.summary() />
                    <Submit label=format!("Join {}", preview.workspace_name) busy="Joining…" pending=accept.pending() />
                </ActionForm>
            }
            .into_any()
        }
        None => view! {
            <div class="actions">
                <a class="button button-primary" href=invited_signup_url(&token, &preview.email)>"Create an account"</a>
                <a class="button" href=login_url(&format!("/invite/{token}"))>"Log in"</a>
            </div>
            <p class="muted small">"Already have an account with " {preview.email.clone()} "? Log in and you'll come back here."</p>
        }
        .into_any(),
    };
    view! {
        {intro}
        {next_step}
    }
}

#[component]
fn UnusableInvitation(error: ServiceError) -> impl IntoView {
    let message = match error {
        ServiceError::NotFound => "We don't recognise this invitation link.".to_string(),
        other => other.to_string(),
    };
    view! {
        <p class="eyebrow">"Invitation"</p>
        <h1>"This invitation can't be used"</h1>
        <div class="notice notice-warning" role="alert">
            <p>{message}</p>
            <p class="muted small">
                "Invitation links work once and expire after a few days. Ask the person who invited you to send a new one."
            </p>
        </div>
        <div class="actions">
            <a class="button button-primary" href="/login">"Log in"</a>
            <a class="button" href="/">"Go to the home page"</a>
        </div>
    }
}
