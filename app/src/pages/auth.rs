//! Signing up, confirming an email, logging in and resetting a password.
//! Every form is an `ActionForm`, so it works before the WASM arrives.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::accounts::{
    LogIn, Purpose, RequestPasswordReset, ResendVerification, ResetPassword, SignUp, SignUpOutcome, VerifyEmail,
    NAME_MAX, PASSWORD_MAX, WORKSPACE_NAME_MAX,
};
use crate::components::forms::{on_success, success, Choice, Choices, Field, FormAlert, Outcome, Submit, Tone};
use crate::components::url::{encode_query_value, login_url, query_param};
use crate::validate::EMAIL_MAX;

pub const PASSWORD_HINT: &str = "At least 10 characters. A few unrelated words work well.";

/// The centred card every auth page is built on.
#[component]
fn AuthCard(
    #[prop(into)] title: String,
    #[prop(optional, into)] lead: Option<String>,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="auth">
            <div class="auth-card">
                <h1>{title}</h1>
                {lead.map(|lead| view! { <p class="lead">{lead}</p> })}
                {children()}
            </div>
        </section>
    }
}

/// Sends a fresh verification link. With `email` it is one button; without,
/// it asks for the address.
#[component]
fn ResendLink(#[prop(optional)] email: Option<String>) -> impl IntoView {
    let resend = ServerAction::<ResendVerification>::new();
    let outcome = Outcome::of(resend);
    let sent = success(resend);
    let ask_for_email = email.is_none();
    view! {
        <ActionForm action=resend attr:class="form form-plain resend" attr:novalidate="novalidate">
            {match email {
                Some(email) => view! {
                    <input type="hidden" name="email" value=email />
                    <p class="muted small">"No email after a few minutes? Check your spam folder, or:"</p>
                }
                .into_any(),
                None => view! {
                    <Field name="email" label="Your email" kind="email" max=EMAIL_MAX error=outcome.field("email") />
                }
                .into_any(),
            }}
            <FormAlert message=if ask_for_email { outcome.message() } else { outcome.summary() } />
            <p class="form-success" role="status">
                {move || sent.with(Option::is_some).then_some("Done. If that address is waiting to be confirmed, a new link is on its way.")}
            </p>
            <Submit label=if ask_for_email { "Send a new link" } else { "Send the link again" } busy="Sending…"
                pending=resend.pending() tone=Tone::Plain />
        </ActionForm>
    }
}

/// `/signup`, also reached from an invitation (`?invitation=…&email=…`) and
/// from the pricing page (`?purpose=mentor`).
#[component]
pub fn SignUpPage() -> impl IntoView {
    let invitation = query_param("invitation").get_untracked();
    let invited_email = query_param("email").get_untracked();
    let career = query_param("career").get_untracked();
    let purpose = query_param("purpose").get_untracked().filter(|p| Purpose::parse(p).is_some());
    let purpose = RwSignal::new(purpose.unwrap_or_else(|| Purpose::Business.as_str().to_string()));

    let sign_up = ServerAction::<SignUp>::new();
    let outcome = Outcome::of(sign_up);
    let result = success(sign_up);
    on_success(sign_up, move |outcome| {
        if let SignUpOutcome::Joined { redirect } = outcome {
            crate::bundle::load_page(redirect);
        }
    });
    let check_email = move || {
        result.with(|r| match r {
            Some(SignUpOutcome::CheckYourEmail { email }) => Some(email.clone()),
            _ => None,
        })
    };
    let login_href = match &invitation {
        Some(token) => login_url(&format!("/invite/{token}")),
        None => "/login".to_string(),
    };
    let (title, lead) = if invitation.is_some() {
        ("Join your team on Lodestar", "Create your account to accept the invitation.")
    } else {
        ("Create your account", "Free to start. No card needed.")
    };

    let form = move || {
        let (invitation, invited_email, login_href) = (invitation.clone(), invited_email.clone(), login_href.clone());
        let career = career.clone();
        let invited = invitation.is_some();
        let locked = invited && invited_email.is_some();
        view! {
            <AuthCard title=title lead=lead>
                <ActionForm action=sign_up attr:class="form form-plain" attr:novalidate="novalidate">
                    <FormAlert message=outcome.message() />
                    {invitation.map(|token| view! { <input type="hidden" name="invitation" value=token /> })}
                    // A career form filled in before signing up (the mentor's "keep these results").
                    {career.map(|career| view! { <input type="hidden" name="career" value=career /> })}
                    <Field name="name" label="Your name" max=NAME_MAX error=outcome.field("name") required=true />
                    <Field name="email" label="Email" kind="email" max=EMAIL_MAX error=outcome.field("email")
                        value=invited_email readonly=locked required=true
                        hint=if invited { "The address the invitation was sent to." } else { "We'll send a link to confirm it." } />
                    <Field name="password" label="Password" kind="password" max=PASSWORD_MAX error=outcome.field("password")
                        hint=PASSWORD_HINT autocomplete="new-password" required=true />
                    {(!invited).then(|| view! {
                        <Choices name="purpose" legend="What brings you to Lodestar?" selected=purpose error=outcome.field("purpose")
                            options=vec![
                                Choice { value: "business", label: "Support bot for my business", hint: "A workspace for your team: knowledge, widget, inbox." },
                                Choice { value: "mentor", label: "Career mentor for me", hint: "A personal account with an AI career mentor." },
                            ] />
                        <Show when=move || purpose.get() == Purpose::Business.as_str()>
                            <Field name="workspace_name" label="Workspace name" max=WORKSPACE_NAME_MAX
                                error=outcome.field("workspace_name") autocomplete="organization"
                                hint="Optional: usually your company or team. We'll use your name if you leave it blank." />
                        </Show>
                    })}
                    <Submit label="Create account" busy="Creating your account…" pending=sign_up.pending() />
                </ActionForm>
                <p class="auth-switch">"Already have an account? " <a href=login_href>"Log in"</a></p>
            </AuthCard>
        }
    };

    view! {
        <Title text="Sign up" />
        <Show when=move || check_email().is_some() fallback=form>
            <AuthCard title="Check your inbox">
                <div class="notice notice-success" role="status">
                    <p>
                        "We sent a link to " <strong>{check_email}</strong>
                        ". Open it to confirm your address: that signs you in."
                    </p>
                    <p class="muted small">"The link works for 24 hours."</p>
                </div>
                // Read once, as the card is made: not a subscription.
                <ResendLink email=untrack(check_email).unwrap_or_default() />
            </AuthCard>
        </Show>
    }
}

/// A notice for the login page, from the query string the other flows end with.
fn login_notice(flag: &str) -> Option<&'static str> {
    match flag {
        "logged_out" => Some("You're logged out. See you soon."),
        "reset" => Some("Your password is changed. Log in with your new password."),
        _ => None,
    }
}

#[component]
pub fn LogInPage() -> impl IntoView {
    let next = query_param("next").get_untracked();
    let query = leptos_router::hooks::use_query_map();
    let notice = move || {
        query
            .with(|q| ["reset", "logged_out"].into_iter().find(|flag| q.get(flag).as_deref() == Some("1")))
            .and_then(login_notice)
    };
    let log_in = ServerAction::<LogIn>::new();
    let outcome = Outcome::of(log_in);
    view! {
        <Title text="Log in" />
        <AuthCard title="Log in" lead="Welcome back.">
            {move || notice().map(|text| view! { <div class="notice notice-success notice-compact" role="status"><p>{text}</p></div> })}
            <ActionForm action=log_in attr:class="form form-plain" attr:novalidate="novalidate">
                <FormAlert message=outcome.message() />
                {next.map(|next| view! { <input type="hidden" name="next" value=next /> })}
                <Field name="email" label="Email" kind="email" max=EMAIL_MAX error=outcome.field("email") required=true />
                <Field name="password" label="Password" kind="password" max=PASSWORD_MAX error=outcome.field("password")
                    autocomplete="current-password" required=true />
                <p class="field-aside"><a href="/forgot">"Forgot your password?"</a></p>
                <Submit label="Log in" busy="Logging in…" pending=log_in.pending() />
            </ActionForm>
            <p class="auth-switch">"New to Lodestar? " <a href="/signup">"Create an account"</a></p>
        </AuthCard>
    }
}

/// Shown when a page needs a `token` the link did not carry.
#[component]
fn IncompleteLink(#[prop(into)] retry: String, retry_label: &'static str) -> impl IntoView {
    view! {
        <AuthCard title="This link is incomplete" lead="Open the link from the email again; some email apps cut long links.">
            <div class="actions">
                <a class="button button-primary" href=retry>{retry_label}</a>
                <a class="button" href="/login">"Log in"</a>
            </div>
        </AuthCard>
    }
}

/// `/verify?token=…`. Opening the link changes nothing (mail scanners open
/// links too); the button does.
#[component]
pub fn VerifyPage() -> impl IntoView {
    let Some(token) = query_param("token").get_untracked() else {
        return view! {
            <Title text="Confirm your email" />
            <IncompleteLink retry="/signup" retry_label="Sign up" />
        }
        .into_any();
    };
    let verify = ServerAction::<VerifyEmail>::new();
    let outcome = Outcome::of(verify);
    let verified = success(verify);
    let failed = Signal::derive(move || outcome.error().is_some());
    view! {
        <Title text="Confirm your email" />
        <Show
            when=move || verified.with(Option::is_some)
            fallback=move || {
                let token = token.clone();
                view! {
                <AuthCard title="Confirm your email" lead="One click and your account is ready.">
                    <ActionForm action=verify attr:class="form form-plain">
                        <input type="hidden" name="token" value=token />
                        <FormAlert message=outcome.summary() />
                        <Submit label="Verify my email" busy="Confirming…" pending=verify.pending() />
                    </ActionForm>
                    <Show when=move || failed.get()>
                        <h2 class="h3">"Get a new link"</h2>
                        <ResendLink />
                    </Show>
                </AuthCard>
                }
            }
        >
            // The server logged the person in and sends them home; this shows
            // while the dashboard opens.
            <AuthCard title="Your email is confirmed">
                <div class="notice notice-success" role="status">
                    <p>"Thanks: " <strong>{move || verified.get()}</strong> " is confirmed. Opening your dashboard…"</p>
                </div>
                <div class="actions">
                    <a class="button button-primary" href="/app">"Open the dashboard"</a>
                </div>
            </AuthCard>
        </Show>
    }
    .into_any()
}

/// `/forgot`: always the same answer, so it never reveals who has an account.
#[component]
pub fn ForgotPage() -> impl IntoView {
    let request = ServerAction::<RequestPasswordReset>::new();
    let outcome = Outcome::of(request);
    let sent = success(request);
    view! {
        <Title text="Reset your password" />
        <Show
            when=move || sent.with(Option::is_some)
            fallback=move || view! {
                <AuthCard title="Reset your password" lead="Tell us your email and we'll send you a link to choose a new password.">
                    <ActionForm action=request attr:class="form form-plain" attr:novalidate="novalidate">
                        <FormAlert message=outcome.message() />
                        <Field name="email" label="Email" kind="email" max=EMAIL_MAX error=outcome.field("email") required=true />
                        <Submit label="Send reset link" busy="Sending…" pending=request.pending() />
                    </ActionForm>
                    <p class="auth-switch">"Remembered it? " <a href="/login">"Log in"</a></p>
                </AuthCard>
            }
        >
            <AuthCard title="Check your inbox">
                <div class="notice notice-success" role="status">
                    <p>"If an account exists for that address, we sent it a link to reset the password. The link works once, for a short time."</p>
                    <p class="muted small">"Nothing after a few minutes? Check your spam folder, or try again."</p>
                </div>
                <p class="auth-switch"><a href="/login">"Back to log in"</a></p>
            </AuthCard>
        </Show>
    }
}

/// `/reset?token=…`: choose a new password.
#[component]
pub fn ResetPage() -> impl IntoView {
    let Some(token) = query_param("token").get_untracked() else {
        return view! {
            <Title text="Choose a new password" />
            <IncompleteLink retry="/forgot" retry_label="Ask for a new link" />
        }
        .into_any();
    };
    let reset = ServerAction::<ResetPassword>::new();
    let outcome = Outcome::of(reset);
    let done = success(reset);
    view! {
        <Title text="Choose a new password" />
        <Show
            when=move || done.with(Option::is_some)
            fallback=move || {
                let token = token.clone();
                view! {
                <AuthCard title="Choose a new password" lead="You'll be logged out everywhere else.">
                    <ActionForm action=reset attr:class="form form-plain" attr:novalidate="novalidate">
                        <input type="hidden" name="token" value=token />
                        <FormAlert message=outcome.summary() />
                        <Field name="password" label="New password" kind="password" max=PASSWORD_MAX
                            error=outcome.field("password") hint=PASSWORD_HINT autocomplete="new-password" required=true />
                        <Submit label="Change password" busy="Saving…" pending=reset.pending() />
                    </ActionForm>
                    <p class="auth-switch">"Link expired? " <a href="/forgot">"Ask for a new one"</a></p>
                </AuthCard>
                }
            }
        >
            <AuthCard title="Your password is changed">
                <div class="notice notice-success" role="status">
                    <p>"Use your new password from now on."</p>
                </div>
                <div class="actions">
                    <a class="button button-primary" href="/login?reset=1">"Log in"</a>
                </div>
            </AuthCard>
        </Show>
    }
    .into_any()
}

/// The sign-up link an invitation page offers.
pub fn invited_signup_url(token: &str, email: &str) -> String {
    format!("/signup?invitation={}&email={}", encode_query_value(token), encode_query_value(email))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_notices() {
        assert!(login_notice("reset").is_some_and(|n| n.contains("password")));
        assert_eq!(login_notice("other"), None);
    }

    #[test]
    fn invitation_links_are_encoded() {
        assert_eq!(invited_signup_url("t0k", "a+b@x.io"), "/signup?invitation=t0k&email=a%2Bb%40x.io");
    }
}
