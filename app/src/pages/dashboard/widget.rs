//! `/app/w/:id/widget`: how the chat widget looks and speaks, how the
//! assistant behaves, a live preview that is the real widget, and the
//! embed code.

use leptos::prelude::*;

use super::keys::embed_snippet;
use super::{Here, InWorkspace, PageHeader};
use crate::chat::{
    load_widget_setup, EmbedKey, FairUse, LauncherIcon, SaveWidgetSetup, VisitorLimits, WidgetPosition, WidgetSetup,
    AVATAR_MAX, BUTTON_TEXT_MAX, GREETING_MAX, INSTRUCTIONS_MAX, LANGUAGES, MODEL_MAX, PERSONA_MAX, STARTER_MAX,
    TITLE_MAX,
};
use crate::components::feedback::{ErrorPanel, Loading, NotAllowed};
use crate::components::format::format_count;
use crate::components::forms::{on_success, CopyButton, Field, FormAlert, Outcome, Submit};
use crate::components::meter::Meter;
use crate::components::url::site_origin;
use crate::keys::UpdateKeyOrigins;
use crate::permissions::Action;

#[component]
pub fn WidgetPage() -> impl IntoView {
    view! {
        <PageHeader title="Widget" lead="The chat window on your site: its looks, its words, and how the assistant answers." />
        <InWorkspace render=move |here: Here| {
            if here.can(Action::ConfigureWidget) {
                view! { <WidgetEditor here /> }.into_any()
            } else {
                view! { <NotAllowed role=here.role() what="configure the widget" /> }.into_any()
            }
        } />
    }
}

#[component]
fn WidgetEditor(here: Here) -> impl IntoView {
    let workspace_id = here.workspace.id.clone();
    let setup = Resource::new(|| (), move |_| load_widget_setup(workspace_id.clone()));
    view! {
        <Transition fallback=|| view! { <Loading label="Loading the widget's settings…" /> }>
            {move || {
                let here = here.clone();
                Suspend::new(async move {
                    match setup.await {
                        Ok(setup) => view! { <WidgetForm here setup /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

#[component]
fn WidgetForm(here: Here, setup: WidgetSetup) -> impl IntoView {
    let save = ServerAction::<SaveWidgetSetup>::new();
    let outcome = Outcome::of(save);
    // Bumped after each save so the preview reloads with the new settings.
    let revision = RwSignal::new(0_u32);
    let saved = RwSignal::new(false);
    on_success(save, move |_| {
        saved.set(true);
        revision.update(|n| *n += 1);
    });
    let preview_src = StoredValue::new(format!("/widget-preview/{}", setup.preview_key));
    let colour = RwSignal::new(setup.settings.colour.clone());
    let s = setup.settings.clone();
    let bot = setup.bot.clone();
    let language = s.language.clone().unwrap_or_default();
    let icon = s.launcher_icon;
    let left = s.position == WidgetPosition::Left;
    let workspace_id = here.workspace.id.clone();
    let model_field = if setup.mode != "ai" {
        view! {
            <p class="muted small" id="model-note">
                "This server has no AI provider configured, so the assistant answers offline: it quotes the best \
                 passages of your knowledge, with sources. Your persona and instructions apply once a provider is set up."
            </p>
        }
        .into_any()
    } else if setup.can_choose_model {
        let hint = "Leave empty to use this server's default model.";
        view! {
            <Field name="form[model]" id="field-model" label="Model" max=MODEL_MAX value=bot.model.clone()
                error=outcome.field("model") hint=hint />
            <p class="muted small">{format!("Default: {}", setup.default_model.clone().unwrap_or_default())}</p>
        }
        .into_any()
    } else {
        view! {
            <p class="muted small" id="model-note">
                {format!("Answers use {}. Choosing another model comes with the Pro plan. ", setup.default_model.clone().unwrap_or_default())}
                <a href=here.path("/billing")>"See plans"</a>
            </p>
            <input type="hidden" name="form[model]" value=bot.model.clone().unwrap_or_default() />
        }
        .into_any()
    };
    let branding = branding_field(
        s.hide_branding,
        setup.can_remove_branding,
        here.path("/billing"),
        outcome.field("hide_branding"),
    );
    view! {
        <div class="widget-layout">
            <ActionForm action=save attr:class="form form-plain widget-form" attr:novalidate="novalidate">
                <input type="hidden" name="workspace_id" value=workspace_id />
                <section class="panel" aria-labelledby="looks-title">
                    <h2 id="looks-title">"Appearance"</h2>
                    <Field name="form[title]" id="field-title" label="Title" max=TITLE_MAX value=s.title.clone()
                        error=outcome.field("title") required=true hint="Shown at the top of the chat window." />
                    <div class="field">
                        <label for="field-colour">"Colour"</label>
                        <div class="colour-row">
                            <input id="field-colour" type="color" value=s.colour.clone()
                                on:input=move |ev| colour.set(event_target_value(&ev)) />
                            <input name="form[colour]" aria-label="Colour as a hex code" maxlength="7" class="colour-code"
                                prop:value=move || colour.get() on:input=move |ev| colour.set(event_target_value(&ev)) />
                        </div>
                        <p class="field-error" id="field-colour-error">{move || outcome.field("colour").get()}</p>
                    </div>
                    <fieldset class="field">
                        <legend>"Position"</legend>
                        <label class="inline-choice">
                            <input type="radio" name="form[position]" value="right" checked=!left />
                            " Bottom right"
                        </label>
                        <label class="inline-choice">
                            <input type="radio" name="form[position]" value="left" checked=left />
                            " Bottom left"
                        </label>
                    </fieldset>
                    <Field name="form[avatar]" id="field-avatar" label="Avatar" max=AVATAR_MAX value=s.avatar.clone()
                        error=outcome.field("avatar") hint="An emoji or your initials, beside the title." />
                    <div class="field">
                        <label for="field-launcher-icon">"Launcher icon"</label>
                        <select id="field-launcher-icon" name="form[launcher_icon]">
                            {LauncherIcon::ALL
                                .into_iter()
                                .map(|i| view! { <option value=i.as_str() selected=i == icon>{i.label()}</option> })
                                .collect_view()}
                        </select>
                    </div>
                </section>
                <section class="panel" aria-labelledby="words-title">
                    <h2 id="words-title">"Words"</h2>
                    <Field name="form[greeting]" id="field-greeting" label="Greeting" kind="textarea" max=GREETING_MAX
                        value=s.greeting.clone() error=outcome.field("greeting")
                        hint="The first message visitors see." />
                    <Field name="form[starters]" id="field-starters" label="Suggested questions" kind="textarea"
                        max=STARTER_MAX * 5 value=s.starters.join("\n") error=outcome.field("starters")
                        hint="Up to four, one per line: buttons visitors can tap to start." />
                    <div class="field">
                        <label for="field-language">"Language"</label>
                        <p class="field-hint" id="field-language-hint">
                            "The widget's own words (buttons, notices). Answers follow the visitor's language."
                        </p>
                        <select id="field-language" name="form[language]" aria-describedby="field-language-hint">
                            <option value="" selected=language.is_empty()>"The visitor's (from the page or browser)"</option>
                            {LANGUAGES
                                .into_iter()
                                .map(|(code, name)| view! { <option value=code selected=language == code>{name}</option> })
                                .collect_view()}
                        </select>
                    </div>
                    <details class="more">
                        <summary>"Your own words for the buttons"</summary>
                        <Field name="form[placeholder_text]" id="field-placeholder" label="Message box placeholder"
                            max=STARTER_MAX value=s.texts.placeholder.clone() error=outcome.field("placeholder_text")
                            hint="Empty: the built-in words in the widget's language." />
                        <Field name="form[send_text]" id="field-send" label="Send button" max=BUTTON_TEXT_MAX
                            value=s.texts.send.clone() error=outcome.field("send_text") />
                        <Field name="form[human_text]" id="field-human" label="\u{201c}Talk to a human\u{201d} button"
                            max=BUTTON_TEXT_MAX value=s.texts.human.clone() error=outcome.field("human_text") />
                    </details>
                    <label class="checkbox">
                        <input type="checkbox" name="form[ask_email]" value="true" checked=s.ask_email />
                        " Ask for the visitor's email before their first message"
                    </label>
                    {branding}
                </section>
                <section class="panel" aria-labelledby="assistant-title">
                    <h2 id="assistant-title">"Assistant"</h2>
                    <Field name="form[persona]" id="field-persona" label="Persona" kind="textarea" max=PERSONA_MAX
                        value=bot.persona.clone() error=outcome.field("persona")
                        hint="Who the assistant is, e.g. \u{201c}You are Sam, the friendly helper of Acme Outdoor.\u{201d}" />
                    <Field name="form[instructions]" id="field-instructions" label="Instructions" kind="textarea"
                        max=INSTRUCTIONS_MAX value=bot.instructions.clone() error=outcome.field("instructions")
                        hint="Tone, what to recommend, what to avoid. The assistant still answers only from your knowledge and never reveals these." />
                    {model_field}
                </section>
                <FairUsePanel fair_use=setup.fair_use.clone() limits=bot.limits.clone() outcome />
                <FormAlert message=outcome.message() />
                <div class="form-actions sticky-actions">
                    <Submit label="Save changes" busy="Saving…" pending=save.pending() />
                    <span class="muted small" role="status">
                        {move || (saved.get() && !save.pending().get()).then_some("Saved. Your widget shows the changes on its next load.")}
                    </span>
                </div>
            </ActionForm>
            <aside class="widget-side">
                <section class="panel" aria-labelledby="preview-title">
                    <h2 id="preview-title">"Live preview"</h2>
                    <p class="muted small">"The real widget, answering from your knowledge. Save to see changes here."</p>
                    {move || {
                        let src = format!("{}?v={}", preview_src.get_value(), revision.get());
                        view! { <iframe class="widget-preview" title="Widget preview" src=src></iframe> }
                    }}
                </section>
                <EmbedCode here=here.clone() keys=setup.keys.clone() />
            </aside>
        </div>
    }
}

/// How much of the month's answers visitors may spend, and how fast: the
/// owner's limits over the plan's defaults, and today drawn against them.
#[component]
fn FairUsePanel(fair_use: FairUse, limits: VisitorLimits, outcome: Outcome) -> impl IntoView {
    let FairUse { default_per_address, default_ceiling, effective, answers_today, clients_at_share } = fair_use;
    let ceiling_default = match default_ceiling {
        Some(n) => format!("Your plan's default: {}. Enter 0 for no daily ceiling.", format_count(u64::from(n))),
        None => "Your plan sets no daily ceiling; enter a number to set one.".to_string(),
    };
    let today = match effective.daily_ceiling {
        Some(ceiling) => view! {
            <Meter
                id="meter-today"
                label="Answers today"
                used=Signal::stored(u64::from(answers_today))
                max=Signal::stored(u64::from(ceiling))
                text=Signal::stored(format!("{} of {}", format_count(u64::from(answers_today)), format_count(u64::from(ceiling))))
            />
        }
        .into_any(),
        None => view! {
            <div class="meter-tile">
                <span class="meter-label">"Answers today"</span>
                <span class="meter-value">{format_count(u64::from(answers_today))}</span>
                <span class="muted small">"No daily ceiling"</span>
            </div>
        }
        .into_any(),
    };
    let used = match clients_at_share {
        0 => "No visitor address has used its whole share today.".to_string(),
        1 => "1 visitor address used its whole share today.".to_string(),
        n => format!("{} visitor addresses used their whole share today.", format_count(u64::from(n))),
    };
    let past = if effective.challenge {
        "Past their share, visitors' browsers pass a quick automatic check before each answer."
    } else {
        "Past their share, visitors are refused until tomorrow."
    };
    let at_share = format!("{used} {past}");
    let number = |value: Option<u32>| value.map(|n| n.to_string()).unwrap_or_default();
    view! {
        <section class="panel" aria-labelledby="fair-use-title">
            <h2 id="fair-use-title">"Fair use"</h2>
            <p class="muted small">
                "Anyone can send your widget questions. So that no one visitor, script or single day can spend your                  month's answers, each visitor address (on IPv6, each /64 network) gets a share of a day's answers,                  and the whole widget a daily ceiling. Times are UTC."
            </p>
            <div class="meters meters-two">
                {today}
                <div class="meter-tile">
                    <span class="meter-label">"Share per address"</span>
                    <span class="meter-value">{format!("{} a day", format_count(u64::from(effective.per_address_daily)))}</span>
                    <span class="muted small" id="fair-use-at-share">{at_share}</span>
                </div>
            </div>
            <div class="field">
                <label for="field-per-address">"Answers per visitor address per day"</label>
                <p class="field-hint" id="field-per-address-hint">
                    {format!("Empty: your plan's default, {}. The check costs a browser a moment; a script flooding your widget, far more with every answer.", format_count(u64::from(default_per_address)))}
                </p>
                <input id="field-per-address" name="form[per_address_daily]" type="number" inputmode="numeric" min="1"
                    placeholder=default_per_address.to_string() value=number(limits.per_address_daily)
                    aria-describedby="field-per-address-hint field-per-address-error"
                    aria-invalid=move || outcome.field("per_address_daily").get().is_some().to_string() />
                <p class="field-error" id="field-per-address-error">{move || outcome.field("per_address_daily").get()}</p>
            </div>
            <div class="field">
                <label for="field-daily-ceiling">"Most answers per day, for the whole widget"</label>
                <p class="field-hint" id="field-daily-ceiling-hint">{ceiling_default}</p>
                <input id="field-daily-ceiling" name="form[daily_ceiling]" type="number" inputmode="numeric" min="0"
                    placeholder=default_ceiling.map(|n| n.to_string()).unwrap_or_default()
                    value=number(limits.daily_ceiling)
                    aria-describedby="field-daily-ceiling-hint field-daily-ceiling-error"
                    aria-invalid=move || outcome.field("daily_ceiling").get().is_some().to_string() />
                <p class="field-error" id="field-daily-ceiling-error">{move || outcome.field("daily_ceiling").get()}</p>
            </div>
            <label class="checkbox">
                <input type="checkbox" name="form[refuse_past_share]" value="true" checked=limits.no_challenge />
                " Refuse visitors past their share until tomorrow, instead of the automatic check"
            </label>
        </section>
    }
}

#[component]
fn EmbedCode(here: Here, keys: Vec<EmbedKey>) -> impl IntoView {
    let origin = site_origin();
    let can_edit = here.can(Action::ManageApiKeys);
    let body = if keys.is_empty() {
        view! {
            <p class="muted small">
                "You need a publishable key first: it names the sites the widget may run on. "
                <a href=here.path("/keys")>"Create a publishable key"</a>
            </p>
        }
        .into_any()
    } else {
        keys.into_iter()
            .map(|key| {
                let snippet = embed_snippet(&origin, &key.display);
                let edit = can_edit.then(|| {
                    view! { <EditOrigins workspace_id=here.workspace.id.clone() key=key.clone() /> }
                });
                let sites = if key.allowed_origins.is_empty() {
                    "None yet".to_string()
                } else {
                    key.allowed_origins.join(", ")
                };
                view! {
                    <div class="embed-key">
                        <h3>{key.name.clone()}</h3>
                        <p class="small"><strong>"Allowed sites: "</strong>{sites}</p>
                        <div class="snippet">
                            <pre><code>{snippet.clone()}</code></pre>
                            <CopyButton text=snippet what=format!("embed code for {}", key.name) />
                        </div>
                        {edit}
                    </div>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <section class="panel" aria-labelledby="embed-title">
            <h2 id="embed-title">"Put it on your site"</h2>
            <p class="muted small">"Paste the line before </body> on every page of an allowed site."</p>
            {body}
        </section>
    }
}

#[component]
fn EditOrigins(workspace_id: String, key: EmbedKey) -> impl IntoView {
    let update = ServerAction::<UpdateKeyOrigins>::new();
    let outcome = Outcome::of(update);
    let done = RwSignal::new(false);
    on_success(update, move |_| done.set(true));
    view! {
        <details class="edit-origins">
            <summary class="button button-small">"Edit allowed sites"</summary>
            <ActionForm action=update attr:class="form form-plain" attr:novalidate="novalidate">
                <input type="hidden" name="workspace_id" value=workspace_id />
                <input type="hidden" name="key_id" value=key.id.clone() />
                <Field name="allowed_origins" id=format!("origins-{}", key.id) label="Allowed sites" kind="textarea"
                    max=4000 value=key.allowed_origins.join("\n") error=outcome.field("allowed_origins")
                    hint="One per line, like https://www.example.com." />
                <FormAlert message=outcome.message() />
                <div class="form-actions">
                    <Submit label="Save sites" busy="Saving…" pending=update.pending() small=true />
                    <span class="muted small" role="status">{move || done.get().then_some("Saved.")}</span>
                </div>
            </ActionForm>
        </details>
    }
}

/// "Powered by Lodestar": a paid plan may leave it out; on Free the box is
/// shown, unticked and locked, with where to upgrade.
fn branding_field(hidden: bool, allowed: bool, billing: String, error: Signal<Option<String>>) -> impl IntoView {
    view! {
        <label class="checkbox">
            <input type="checkbox" name="form[hide_branding]" value="true" checked=hidden && allowed disabled=!allowed
                aria-describedby="branding-note" />
            " Leave out \u{201c}Powered by Lodestar\u{201d} under the chat"
        </label>
        <p class="muted small" id="branding-note">
            {if allowed {
                "Your plan lets you take the link out.".into_any()
            } else {
                view! { "The Pro and Enterprise plans can take it out. " <a href=billing>"See plans"</a> }.into_any()
            }}
        </p>
        <p class="field-error">{move || error.get()}</p>
    }
}
