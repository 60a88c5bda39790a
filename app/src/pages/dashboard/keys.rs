//! `/app/w/:id/keys`: publishable keys for the widget (limited to allowed
//! sites) and secret keys for the REST API (shown once).

use leptos::prelude::*;

use super::{Here, InWorkspace, PageHeader};
use crate::components::feedback::{Confirm, ErrorPanel, Loading, NotAllowed};
use crate::components::format::Time;
use crate::components::forms::{
    on_success, success, Choice, Choices, CopyButton, Field, FormAlert, Outcome, Submit, Tone,
};
use crate::components::url::site_origin;
use crate::keys::{list_api_keys, ApiKey, CreateApiKey, KeyKind, RevokeApiKey, UpdateKeyOrigins, KEY_NAME_MAX};
use crate::permissions::Action;
use crate::plans::Tier;

/// Room for the most origins a key may list, one per line.
const ORIGINS_TEXT_MAX: usize = 4000;
const ORIGINS_HINT: &str = "One per line, like https://www.example.com. The widget only runs on these sites.";

#[component]
pub fn KeysPage() -> impl IntoView {
    view! {
        <PageHeader
            title="API keys"
            lead="Publishable keys put the chat widget on your sites; secret keys let your servers use the REST API."
        />
        <InWorkspace render=move |here: Here| {
            if here.can(Action::ManageApiKeys) {
                view! { <KeyManager here /> }.into_any()
            } else {
                view! { <NotAllowed role=here.role() what="manage API keys" /> }.into_any()
            }
        } />
    }
}

/// The kinds of key this workspace's plan may make: secret keys are for the
/// REST API, a paid feature.
fn key_kinds(rest_api: bool) -> Vec<Choice> {
    let publishable = Choice {
        value: "publishable",
        label: "Publishable key",
        hint: "For the chat widget. Safe in your pages: it only works on the sites you list.",
    };
    let secret = Choice {
        value: "secret",
        label: "Secret key",
        hint: "For your servers and the REST API. Keep it private; we show it once.",
    };
    if rest_api {
        vec![publishable, secret]
    } else {
        vec![publishable]
    }
}

/// The one line a site pastes to show the widget.
pub fn embed_snippet(origin: &str, key: &str) -> String {
    format!(r#"<script src="{origin}/widget.js" data-key="{key}" async></script>"#)
}

#[component]
fn KeyManager(here: Here) -> impl IntoView {
    let revision = RwSignal::new(0_u32);
    let workspace_id = here.workspace.id.clone();
    let keys = Resource::new(move || revision.get(), move |_| list_api_keys(workspace_id.clone()));
    let changed = Callback::new(move |()| revision.update(|n| *n += 1));

    let create = ServerAction::<CreateApiKey>::new();
    let outcome = Outcome::of(create);
    let created = success(create);
    let dismissed = RwSignal::new(false);
    let kind = RwSignal::new(KeyKind::Publishable.as_str().to_string());
    let form = NodeRef::<leptos::html::Form>::new();
    on_success(create, move |_| {
        if let Some(form) = form.get_untracked() {
            form.reset();
        }
        kind.set(KeyKind::Publishable.as_str().to_string());
        dismissed.set(false);
        changed.run(());
    });
    let new_secret = move || {
        if dismissed.get() {
            return None;
        }
        created.get().and_then(|c| c.secret.map(|secret| (c.key.name, secret)))
    };
    let origin = StoredValue::new(site_origin());
    let workspace = StoredValue::new(here.workspace.id.clone());
    let rest_api = Tier::of_plan(&here.workspace.plan).has_rest_api();

    view! {
        <section class="panel" aria-labelledby="create-key-title">
            <h2 id="create-key-title">"Create a key"</h2>
            <ActionForm action=create node_ref=form attr:class="form form-plain" attr:novalidate="novalidate">
                <input type="hidden" name="workspace_id" value=here.workspace.id.clone() />
                <FormAlert message=outcome.message() />
                <Field name="name" label="Key name" max=KEY_NAME_MAX error=outcome.field("name") required=true
                    hint="Where it's used, so you recognise it later: \"Website\", \"Billing server\"." />
                <Choices name="kind" legend="Kind of key" selected=kind error=outcome.field("kind")
                    options=key_kinds(rest_api) />
                {(!rest_api).then(|| view! {
                    <p class="muted small">
                        "Secret keys for the REST API come with the Pro plan. "
                        <a href="/pricing">"Compare plans"</a>
                    </p>
                })}
                <Show when=move || kind.get() == KeyKind::Publishable.as_str()>
                    <Field name="allowed_origins" label="Allowed sites" kind="textarea" max=ORIGINS_TEXT_MAX
                        error=outcome.field("allowed_origins") hint=ORIGINS_HINT />
                </Show>
                <div class="form-actions">
                    <Submit label="Create key" busy="Creating…" pending=create.pending() />
                </div>
            </ActionForm>
        </section>
        {move || new_secret().map(|(name, secret)| view! { <NewSecret name secret dismissed /> })}
        <section class="panel" aria-labelledby="keys-title">
            <h2 id="keys-title">"Your keys"</h2>
            <Transition fallback=|| view! { <Loading label="Loading keys…" /> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="muted">"No keys yet. Create a publishable key to put the widget on your site."</p>
                        }
                        .into_any(),
                        Ok(list) => view! {
                            <ul class="key-list">
                                {list
                                    .into_iter()
                                    .map(|key| view! {
                                        <KeyRow key workspace_id=workspace.get_value() origin=origin.get_value() changed />
                                    })
                                    .collect_view()}
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

/// A secret key, the only time it is shown.
#[component]
fn NewSecret(name: String, secret: String, dismissed: RwSignal<bool>) -> impl IntoView {
    view! {
        <section class="secret-panel" role="status" aria-labelledby="secret-title">
            <h2 id="secret-title">{format!("Copy your new secret key for \u{201c}{name}\u{201d} now")}</h2>
            <p>
                <strong>"You won't see it again."</strong>
                " We keep only a fingerprint of it. Put it in your server's secrets or a password manager."
            </p>
            <div class="secret-value">
                <code id="new-secret" class="secret">{secret.clone()}</code>
                <CopyButton text=secret what="secret key" />
            </div>
            <p class="muted small">"Lost it? Revoke the key and create a new one."</p>
            <button type="button" class="button button-small" on:click=move |_| dismissed.set(true)>
                "I've stored it safely"
            </button>
        </section>
    }
}

#[component]
fn KeyRow(key: ApiKey, workspace_id: String, origin: String, changed: Callback<()>) -> impl IntoView {
    let revoke = ServerAction::<RevokeApiKey>::new();
    let update = ServerAction::<UpdateKeyOrigins>::new();
    let revoke_outcome = Outcome::of(revoke);
    let update_outcome = Outcome::of(update);
    on_success(revoke, move |_| changed.run(()));
    on_success(update, move |_| changed.run(()));

    let active = key.revoked_at.is_none();
    let publishable = key.kind == KeyKind::Publishable;
    let ids = StoredValue::new((workspace_id, key.id.clone()));
    let hidden_ids = move || {
        let (workspace_id, key_id) = ids.get_value();
        view! {
            <input type="hidden" name="workspace_id" value=workspace_id />
            <input type="hidden" name="key_id" value=key_id />
        }
    };
    let status = match key.revoked_at {
        Some(at) => {
            view! { <span class="status status-suspended">"Revoked " <Time at date_only=true /></span> }.into_any()
        }
        None => view! { <span class="status">"Active"</span> }.into_any(),
    };
    let last_used = match key.last_used_at {
        Some(at) => view! { <Time at /> }.into_any(),
        None => "Never".into_any(),
    };
    let origins = publishable.then(|| {
        let text = if key.allowed_origins.is_empty() { "None yet".to_string() } else { key.allowed_origins.join(", ") };
        view! {
            <div>
                <dt>"Allowed sites"</dt>
                <dd>{text}</dd>
            </div>
        }
    });
    let snippet = (publishable && active).then(|| {
        let snippet = embed_snippet(&origin, &key.display);
        view! {
            <div class="snippet">
                <p class="snippet-label">"Paste this into your site's pages, just before </body>:"</p>
                <pre><code>{snippet.clone()}</code></pre>
                <CopyButton text=snippet what=format!("embed code for {}", key.name) />
            </div>
        }
    });
    let actions = active.then(|| {
        let edit = publishable.then(|| {
            let id = format!("origins-{}", key.id);
            let current = key.allowed_origins.join("\n");
            view! {
                <details class="edit-origins">
                    <summary class="button button-small">"Edit allowed sites"</summary>
                    <ActionForm action=update attr:class="form form-plain" attr:novalidate="novalidate">
                        {hidden_ids()}
                        <Field name="allowed_origins" id=id label="Allowed sites" kind="textarea" max=ORIGINS_TEXT_MAX
                            value=current error=update_outcome.field("allowed_origins") hint=ORIGINS_HINT />
                        <FormAlert message=update_outcome.message() />
                        <div class="form-actions">
                            <Submit label="Save sites" busy="Saving…" pending=update.pending() small=true />
                        </div>
                    </ActionForm>
                </details>
            }
        });
        let warning = format!(
            "Revoke \u{201c}{}\u{201d}? Anything using it stops working at once. This can't be undone.",
            key.name
        );
        view! {
            <div class="key-actions">
                {edit}
                <Confirm label="Revoke" aria_label=format!("Revoke {}", key.name) danger=true>
                    <p>{warning}</p>
                    <ActionForm action=revoke>
                        {hidden_ids()}
                        <Submit label="Yes, revoke it" busy="Revoking…" pending=revoke.pending() tone=Tone::Danger small=true />
                    </ActionForm>
                </Confirm>
            </div>
        }
    });
    let kind_label = match key.kind {
        KeyKind::Secret => "Secret",
        KeyKind::Publishable => "Publishable",
    };
    view! {
        <li class="key" class:key-revoked=!active>
            <div class="key-head">
                <h3 class="key-name">{key.name.clone()}</h3>
                <span class=format!("kind-badge kind-{}", key.kind.as_str())>{kind_label}</span>
                {status}
            </div>
            <code class="key-display">{key.display.clone()}</code>
            <dl class="key-facts">
                <div>
                    <dt>"Created"</dt>
                    <dd><Time at=key.created_at /> " by " {key.created_by.clone()}</dd>
                </div>
                <div>
                    <dt>"Last used"</dt>
                    <dd>{last_used}</dd>
                </div>
                {origins}
            </dl>
            {snippet}
            {actions}
            <FormAlert message=revoke_outcome.summary() />
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snippet_is_one_script_tag() {
        assert_eq!(
            embed_snippet("https://lodestar.example", "pk_123"),
            r#"<script src="https://lodestar.example/widget.js" data-key="pk_123" async></script>"#
        );
    }
}
