//! `/app/account`: profile, password, sessions, a copy of your data, and
//! deleting the account.

use leptos::prelude::*;

use super::billing::MentorPlan;
use super::{DashMain, PageHeader, Session};
use crate::accounts::{
    list_sessions, ChangePassword, DeleteAccount, RevokeSession, SessionSummary, UpdateProfile, Viewer, NAME_MAX,
    PASSWORD_MAX,
};
use crate::components::feedback::{ErrorPanel, Loading};
use crate::components::format::Time;
use crate::components::forms::{on_success, Field, FormAlert, Outcome, Submit, Tone};
use crate::error::ServiceError;
use crate::pages::auth::PASSWORD_HINT;

/// Where the server serves a person's data as JSON.
const EXPORT_URL: &str = "/account/export";

#[component]
pub fn AccountPage() -> impl IntoView {
    let session = Session::get();
    // Kept outside the sections: saving the profile refreshes the viewer,
    // which renders the sections again.
    let profile_saved = RwSignal::new(false);
    view! {
        <DashMain>
            <div class="narrow-page">
                <PageHeader title="Account settings" lead="Your profile, password, sessions and data." />
                <Transition fallback=|| view! { <Loading /> }>
                    {move || Suspend::new(async move {
                        match session.viewer.await {
                            Ok(Some(viewer)) => view! {
                                <Profile viewer=viewer.clone() saved=profile_saved />
                                <MentorPlan />
                                <PasswordSection />
                                <Sessions />
                                <YourData />
                                <DeleteSection email=viewer.email />
                            }
                            .into_any(),
                            Ok(None) => view! { <ErrorPanel error=ServiceError::Unauthenticated /> }.into_any(),
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })}
                </Transition>
            </div>
        </DashMain>
    }
}

#[component]
fn Profile(viewer: Viewer, saved: RwSignal<bool>) -> impl IntoView {
    let session = Session::get();
    let update = ServerAction::<UpdateProfile>::new();
    let outcome = Outcome::of(update);
    on_success(update, move |viewer| {
        saved.set(true);
        session.set_viewer(viewer.clone());
    });
    view! {
        <section class="panel" aria-labelledby="profile-title">
            <h2 id="profile-title">"Profile"</h2>
            <ActionForm action=update attr:class="form form-plain" attr:novalidate="novalidate">
                <FormAlert message=outcome.message() />
                <Field name="name" label="Your name" max=NAME_MAX value=viewer.name error=outcome.field("name") required=true />
                <div class="field">
                    <span class="field-label">"Email"</span>
                    <p class="field-static">{viewer.email}</p>
                    <p class="field-hint">"You log in with this address."</p>
                </div>
                <p class="form-success" role="status">{move || saved.get().then_some("Saved.")}</p>
                <div class="form-actions">
                    <Submit label="Save profile" busy="Saving…" pending=update.pending() />
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn PasswordSection() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let outcome = Outcome::of(change);
    let changed = RwSignal::new(false);
    let form = NodeRef::<leptos::html::Form>::new();
    on_success(change, move |_| {
        changed.set(true);
        if let Some(form) = form.get_untracked() {
            form.reset();
        }
    });
    view! {
        <section class="panel" aria-labelledby="password-title">
            <h2 id="password-title">"Password"</h2>
            <ActionForm action=change node_ref=form attr:class="form form-plain" attr:novalidate="novalidate">
                <FormAlert message=outcome.message() />
                <Field name="current_password" label="Current password" kind="password" max=PASSWORD_MAX
                    error=outcome.field("current_password") autocomplete="current-password" required=true />
                <Field name="new_password" label="New password" kind="password" max=PASSWORD_MAX
                    error=outcome.field("new_password") hint=PASSWORD_HINT autocomplete="new-password" required=true />
                <p class="form-success" role="status">{move || changed.get().then_some("Your password is changed.")}</p>
                <div class="form-actions">
                    <Submit label="Change password" busy="Saving…" pending=change.pending() />
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn Sessions() -> impl IntoView {
    let revision = RwSignal::new(0_u32);
    let sessions = Resource::new(move || revision.get(), |_| list_sessions());
    let changed = Callback::new(move |()| revision.update(|n| *n += 1));
    view! {
        <section class="panel" aria-labelledby="sessions-title">
            <h2 id="sessions-title">"Where you're logged in"</h2>
            <p class="muted">"Don't recognise one? Log it out, then change your password."</p>
            <Transition fallback=|| view! { <Loading label="Loading sessions…" /> }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Ok(list) => view! {
                            <ul class="session-list">
                                {list.into_iter().map(|session| view! { <SessionRow session changed /> }).collect_view()}
                            </ul>
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// "Firefox on Linux", from a User-Agent header; good enough to recognise a device.
pub fn describe_agent(user_agent: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .into_iter()
    .find(|(marker, _)| user_agent.contains(marker))
    .map(|(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(marker, _)| user_agent.contains(marker))
    .map(|(_, name)| name);
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser.to_string(),
        (None, Some(system)) => format!("A browser on {system}"),
        (None, None) => "Unknown device".to_string(),
    }
}

#[component]
fn SessionRow(session: SessionSummary, changed: Callback<()>) -> impl IntoView {
    let revoke = ServerAction::<RevokeSession>::new();
    let outcome = Outcome::of(revoke);
    on_success(revoke, move |_| changed.run(()));
    let device = describe_agent(&session.user_agent);
    let action = if session.current {
        view! { <span class="this-device">"This device"</span> }.into_any()
    } else {
        view! {
            <ActionForm action=revoke>
                <input type="hidden" name="session_id" value=session.id.clone() />
                <button class="button button-small" type="submit" disabled=move || revoke.pending().get()
                    aria-label=format!("Log out {device}, last active {}", crate::components::format::format_time(session.last_seen_at))>
                    {move || if revoke.pending().get() { "Logging out…" } else { "Log out" }}
                </button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <li class="session" class:session-current=session.current>
            <div class="session-who">
                <span class="session-device" title=session.user_agent.clone()>{describe_agent(&session.user_agent)}</span>
                <span class="muted small">
                    {if session.client_addr.is_empty() { String::new() } else { format!("{} · ", session.client_addr) }}
                    "Last active " <Time at=session.last_seen_at /> " · Logged in " <Time at=session.created_at date_only=true />
                </span>
            </div>
            {action}
            <FormAlert message=outcome.summary() />
        </li>
    }
}

#[component]
fn YourData() -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="data-title">
            <h2 id="data-title">"Your data"</h2>
            <p>"Download everything Lodestar stores about you, as a JSON file: your profile, workspaces and sessions."</p>
            <a class="button" href=EXPORT_URL download="lodestar-account.json">"Download my data (JSON)"</a>
        </section>
    }
}

#[component]
fn DeleteSection(email: String) -> impl IntoView {
    let delete = ServerAction::<DeleteAccount>::new();
    let outcome = Outcome::of(delete);
    view! {
        <section class="panel panel-danger" aria-labelledby="delete-title">
            <h2 id="delete-title">"Delete your account"</h2>
            <div class="notice notice-danger">
                <p>
                    <strong>"This can't be undone."</strong>
                    " Your profile, sessions and memberships are deleted at once, and you leave every workspace you're in."
                </p>
                <p>
                    "Want a copy first? " <a href=EXPORT_URL download="lodestar-account.json">"Download your data"</a>
                    " before you continue."
                </p>
            </div>
            <ActionForm action=delete attr:class="form form-plain" attr:novalidate="novalidate">
                <FormAlert message=outcome.message() />
                <Field name="password" label="Your password" kind="password" max=PASSWORD_MAX
                    error=outcome.field("password") autocomplete="current-password" required=true />
                <Field name="confirm" label=format!("Type your email ({email}) to confirm") kind="email" max=254
                    error=outcome.field("confirm") autocomplete="off" required=true />
                <div class="form-actions">
                    <Submit label="Delete my account for good" busy="Deleting…" pending=delete.pending() tone=Tone::Danger />
                </div>
            </ActionForm>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_common_browsers() {
        let chrome =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
        assert_eq!(describe_agent(chrome), "Chrome on Linux");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(describe_agent(safari), "Safari on iOS");
        assert_eq!(describe_agent(""), "Unknown device");
    }
}
