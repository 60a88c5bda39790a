//! The identified visitors panel of the Settings page: the secret a site's
//! server signs its visitors' identity tokens with (owners and admins see,
//! copy and rotate it), how to sign one, and the plans that raise a
//! ticket's priority (admins rank them; everyone else reads). And the line
//! that says who an identified visitor is, on conversations and tickets.

use leptos::prelude::*;

use super::Here;
use crate::components::feedback::{ErrorPanel, Loading};
use crate::components::forms::{on_success, CopyButton, Field, FormAlert, Outcome, SettingsSave};
use crate::visitor_identity::{
    format_plan_priorities, IdentifiedVisitor, IdentitySetup, RotateIdentitySecret, SavePlanPriorities,
};

#[component]
pub fn VisitorIdentityPanel(
    here: Here,
    setup: Resource<Result<IdentitySetup, crate::error::ServiceError>>,
) -> impl IntoView {
    let workspace_id = here.workspace.id.clone();
    view! {
        <section class="panel" aria-labelledby="identity-title">
            <h2 id="identity-title">"Identified visitors"</h2>
            <p class="muted">
                "Tell the widget who is signed in on your site: your server signs a short token for the user, and \
                 your team sees their name, email and plan in the inbox and on their tickets. Their conversation \
                 follows them from device to device, and their plan can raise their tickets' priority."
            </p>
            <Transition fallback=|| view! { <Loading label="Loading identified visitors…" /> }>
                {move || {
                    let workspace_id = workspace_id.clone();
                    Suspend::new(async move {
                        match setup.await {
                            Ok(setup) => view! { <IdentityEditor setup workspace_id /> }.into_any(),
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn IdentityEditor(setup: IdentitySetup, workspace_id: String) -> impl IntoView {
    let current = RwSignal::new(setup.clone());
    let save = ServerAction::<SavePlanPriorities>::new();
    let outcome = Outcome::of(save);
    let saved = RwSignal::new(false);
    on_success(save, move |setup: &IdentitySetup| {
        current.set(setup.clone());
        saved.set(true);
    });
    let plans = format_plan_priorities(&setup.plans);
    let editable = setup.can_rank;
    view! {
        <Secret current workspace_id=workspace_id.clone() />
        <ActionForm action=save attr:class="form form-plain" attr:novalidate="novalidate">
            <input type="hidden" name="workspace_id" value=workspace_id />
            <Field name="plans" id="identity-plans" label="Plans that raise priority" kind="textarea" max=2000
                value=plans error=outcome.field("plans") readonly=!editable
                hint="One plan per line, as plan: priority (low, normal, high or urgent), such as enterprise: urgent. \
                      The plan is the token's \"plan\" claim, in any case. A ticket for someone on a plan starts at \
                      least at its priority." />
            <FormAlert message=outcome.message() />
            <SettingsSave editable label="Save plans" what="the plans" pending=save.pending()
                saved=Signal::derive(move || saved.get()) />
        </ActionForm>
    }
}

/// The secret, hidden until asked for, with copy, rotation and how to use it.
#[component]
fn Secret(current: RwSignal<IdentitySetup>, workspace_id: String) -> impl IntoView {
    let shown = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let rotate = ServerAction::<RotateIdentitySecret>::new();
    let rotated = RwSignal::new(false);
    on_success(rotate, move |setup: &IdentitySetup| {
        current.set(setup.clone());
        confirming.set(false);
        rotated.set(true);
    });
    let error = move || rotate.value().get().and_then(Result::err).map(|e| e.to_string());
    let workspace_id = StoredValue::new(workspace_id);
    move || {
        match current.with(|c| c.secret.clone()) {
        None => view! {
            <p class="muted small">"Owners and admins see the identity secret here, to sign tokens on your site's server."</p>
        }
        .into_any(),
        Some(secret) => {
            let masked = format!("{}{}", &secret[..5.min(secret.len())], "•".repeat(24));
            let copy = Signal::derive(move || current.with(|c| c.secret.clone().unwrap_or_default()));
            view! {
                <div class="identity-secret">
                    <p><strong>"Identity secret"</strong></p>
                    <p class="secret-line">
                        <code id="identity-secret">{move || if shown.get() { secret.clone() } else { masked.clone() }}</code>
                        " "
                        <button type="button" class="button button-small" aria-controls="identity-secret"
                            on:click=move |_| shown.update(|s| *s = !*s)>
                            {move || if shown.get() { "Hide" } else { "Show" }}
                        </button>
                        " "
                        <CopyButton text=copy what="the identity secret" />
                    </p>
                    <p class="muted small">
                        "Keep it on your server, never in a page. Sign each page's token with it (HS256), with the \
                         user's id as \"sub\", an expiry (\"exp\"), and if you like \"name\", \"email\" and \"plan\"; \
                         then give it to the widget:"
                    </p>
                    <div class="snippet"><pre><code>{IDENTITY_SAMPLE}</code></pre></div>
                    <p class="muted small">
                        "A page without a token chats anonymously; a token that doesn't check out is ignored, and the \
                         widget says why in the browser's console."
                    </p>
                    {move || if confirming.get() {
                        view! {
                            <div class="confirm-panel" role="group" aria-label="Rotate the identity secret">
                                <p>"Tokens signed with the current secret stop working at once: visitors chat anonymously until your server signs with the new one."</p>
                                <button type="button" class="button button-danger" disabled=move || rotate.pending().get()
                                    on:click=move |_| { rotate.dispatch(RotateIdentitySecret { workspace_id: workspace_id.get_value() }); }>
                                    {move || if rotate.pending().get() { "Rotating…" } else { "Rotate now" }}
                                </button>
                                " "
                                <button type="button" class="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                            </div>
                        }
                        .into_any()
                    } else {
                        view! {
                            <button type="button" class="button" on:click=move |_| { rotated.set(false); confirming.set(true); }>
                                "Rotate secret"
                            </button>
                        }
                        .into_any()
                    }}
                    <p class="muted small" role="status">
                        {move || rotated.get().then_some("Rotated: sign new tokens with the new secret.")}
                    </p>
                    {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                </div>
            }
            .into_any()
        }
    }
    }
}

const IDENTITY_SAMPLE: &str = r#"// On your server (Node.js, with the jsonwebtoken package):
const identity = jwt.sign(
  { sub: user.id, name: user.name, email: user.email, plan: user.plan },
  process.env.LODESTAR_IDENTITY_SECRET,
  { algorithm: "HS256", expiresIn: "1h" },
);

<!-- In the page, beside your key: -->
<script src=".../widget.js" data-key="pk_..." data-identity="<%= identity %>" async></script>"#;

/// "Verified · Dana Reyes · Enterprise plan · dana@example.com · id 42":
/// who the business's site said the visitor is.
#[component]
pub fn VerifiedVisitor(visitor: IdentifiedVisitor) -> impl IntoView {
    let email = visitor.email.clone().filter(|_| visitor.name.is_some());
    view! {
        <p class="verified-visitor small">
            <span class="pill pill-ok" title="Signed by your site: this is who is signed in there">"Verified"</span>
            " " {visitor.summary()}
            {email.map(|email| format!(" · {email}"))}
            <span class="muted">{format!(" · id {}", visitor.user_id)}</span>
        </p>
    }
}
