//! The pieces every form is made of: labelled fields wired to their error
//! messages, radio choices, the form-level alert, a submit button that says
//! when it is busy, and helpers that read a server action's outcome.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::error::ServiceError;

/// What a server action's last run said, shaped for a form.
#[derive(Clone, Copy)]
pub struct Outcome(Signal<Option<ServiceError>>);

impl Outcome {
    pub fn of<S>(action: ServerAction<S>) -> Self
    where
        S: ServerFn<Error = ServiceError> + Clone + Send + Sync + 'static,
        S::Output: Send + Sync + 'static,
    {
        let value = action.value();
        Outcome(Signal::derive(move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().err().cloned()))))
    }

    /// The last error, if the last run failed.
    pub fn error(self) -> Option<ServiceError> {
        self.0.get()
    }

    /// The message for one field, if the server rejected it.
    pub fn field(self, name: &'static str) -> Signal<Option<String>> {
        let error = self.0;
        Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.field(name))))
    }

    /// The message for the whole form, whose fields show their own.
    pub fn message(self) -> Signal<Option<String>> {
        let error = self.0;
        Signal::derive(move || error.with(|e| e.as_ref().map(ToString::to_string)))
    }

    /// The whole story in one line, for a button without fields of its own.
    pub fn summary(self) -> Signal<Option<String>> {
        let error = self.0;
        Signal::derive(move || error.with(|e| e.as_ref().map(explain)))
    }
}

/// An error in words, spelling out field problems (a form-less action has
/// nowhere else to show them).
pub fn explain(error: &ServiceError) -> String {
    match error {
        ServiceError::Invalid(fields) if !fields.is_empty() => fields.values().cloned().collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

/// The value of the last successful run of `action`.
pub fn success<S>(action: ServerAction<S>) -> Signal<Option<S::Output>>
where
    S: ServerFn<Error = ServiceError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let value = action.value();
    Signal::derive(move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().ok().cloned())))
}

/// Runs `f` in the browser each time `action` succeeds.
pub fn on_success<S>(action: ServerAction<S>, f: impl Fn(&S::Output) + 'static)
where
    S: ServerFn<Error = ServiceError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    let value = action.value();
    Effect::new(move |_| {
        value.with(|v| {
            if let Some(Ok(output)) = v {
                f(output);
            }
        })
    });
}

/// The form-level error, announced when it appears.
#[component]
pub fn FormAlert(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! { <p class="form-error" role="alert">{move || message.get()}</p> }
}

/// How a button looks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Tone {
    #[default]
    Primary,
    Plain,
    Danger,
}

impl Tone {
    pub fn class(self, small: bool) -> &'static str {
        match (self, small) {
            (Tone::Primary, false) => "button button-primary",
            (Tone::Primary, true) => "button button-primary button-small",
            (Tone::Plain, false) => "button",
            (Tone::Plain, true) => "button button-small",
            (Tone::Danger, false) => "button button-danger",
            (Tone::Danger, true) => "button button-danger button-small",
        }
    }
}

/// A submit button that is disabled and says so while its action runs.
#[component]
pub fn Submit(
    #[prop(into)] label: String,
    #[prop(into)] busy: String,
    #[prop(into)] pending: Signal<bool>,
    #[prop(optional)] tone: Tone,
    #[prop(optional)] small: bool,
) -> impl IntoView {
    view! {
        <button class=tone.class(small) type="submit" disabled=move || pending.get() aria-busy=move || pending.get().to_string()>
            {move || if pending.get() { busy.clone() } else { label.clone() }}
        </button>
    }
}

/// The end of a settings form: for those who may edit, the save button and
/// "Saved." once a save came back; for the others, who may change `what`.
#[component]
pub fn SettingsSave(
    editable: bool,
    /// "Save business hours".
    label: &'static str,
    /// "business hours", in "Only owners and admins change …".
    what: &'static str,
    #[prop(into)] pending: Signal<bool>,
    #[prop(into)] saved: Signal<bool>,
) -> impl IntoView {
    if editable {
        view! {
            <div class="form-actions">
                <Submit label busy="Saving…" pending />
                <span class="muted small" role="status">
                    {move || (saved.get() && !pending.get()).then_some("Saved.")}
                </span>
            </div>
        }
        .into_any()
    } else {
        view! { <p class="muted small">{format!("Only owners and admins change {what}.")}</p> }.into_any()
    }
}

/// A labelled input with its hint and error message wired up for screen readers.
#[component]
pub fn Field(
    name: &'static str,
    #[prop(into)] label: String,
    #[prop(default = "text")] kind: &'static str,
    max: usize,
    #[prop(optional, into)] error: MaybeProp<String>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = None, into)] value: Option<String>,
    #[prop(optional)] readonly: bool,
    #[prop(optional)] required: bool,
    #[prop(optional)] autocomplete: Option<&'static str>,
    /// A unique id when several fields on a page share a name.
    #[prop(optional, into)]
    id: Option<String>,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| format!("field-{name}"));
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = if hint.is_some() { format!("{hint_id} {error_id}") } else { error_id.clone() };
    let invalid = move || error.get().is_some().to_string();
    let autocomplete = autocomplete.unwrap_or_else(|| default_autocomplete(name));
    let control = if kind == "textarea" {
        view! {
            <textarea id=id.clone() name=name rows="5" maxlength=max readonly=readonly required=required
                aria-invalid=invalid aria-describedby=described_by>{textarea_text(value)}</textarea>
        }
        .into_any()
    } else {
        view! {
            <input id=id.clone() name=name type=kind maxlength=max autocomplete=autocomplete value=value
                readonly=readonly required=required aria-invalid=invalid aria-describedby=described_by />
        }
        .into_any()
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {hint.map(|hint| view! { <p class="field-hint" id=hint_id>{hint}</p> })}
            {control}
            <p class="field-error" id=error_id>{move || error.get()}</p>
        </div>
    }
}

/// A `<textarea>`'s first text. Leptos 0.8 writes a textarea's children
/// unescaped on the server (tachys treats them as raw text, like a
/// script's: leptos#4730 escaped them, #4819 reverted that for breaking
/// hydration, #4821 fixed both after 0.8), so a value holding
/// "</textarea>" would end the element and inject markup. The server
/// escapes it here; the browser sets text through the DOM and must not.
pub fn textarea_text(value: Option<String>) -> Option<String> {
    #[cfg(feature = "ssr")]
    let value = value.map(|v| v.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;"));
    value
}

fn default_autocomplete(name: &str) -> &'static str {
    match name {
        "name" => "name",
        "email" => "email",
        "company" => "organization",
        _ => "off",
    }
}

/// One option of a radio group.
#[derive(Debug, Clone, Copy)]
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
}

/// A group of radio buttons shown as cards. `selected` follows the choice
/// so a form can show or hide what depends on it, and the choice follows
/// `selected` (a résumé can set someone's experience).
#[component]
pub fn Choices(
    name: &'static str,
    legend: &'static str,
    options: Vec<Choice>,
    selected: RwSignal<String>,
    #[prop(optional, into)] error: MaybeProp<String>,
) -> impl IntoView {
    let error_id = format!("field-{name}-error");
    let described_by = error_id.clone();
    let initial = selected.get_untracked();
    view! {
        <fieldset class="field choices" aria-describedby=described_by>
            <legend>{legend}</legend>
            <div class="choice-grid">
                {options
                    .into_iter()
                    .map(|choice| {
                        let id = format!("field-{name}-{}", choice.value);
                        let title_id = format!("{id}-label");
                        let hint_id = format!("{id}-hint");
                        let label_for = id.clone();
                        view! {
                            <label class="choice" for=label_for>
                                <input type="radio" id=id name=name value=choice.value checked=initial == choice.value
                                    prop:checked=move || selected.with(|s| s == choice.value)
                                    aria-labelledby=title_id.clone() aria-describedby=hint_id.clone()
                                    on:change=move |_| selected.set(choice.value.to_string()) />
                                <span class="choice-text">
                                    <span class="choice-label" id=title_id>{choice.label}</span>
                                    <span class="choice-hint" id=hint_id>{choice.hint}</span>
                                </span>
                            </label>
                        }
                    })
                    .collect_view()}
            </div>
            <p class="field-error" id=error_id>{move || error.get()}</p>
        </fieldset>
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum CopyState {
    Idle,
    Copied,
    Failed,
}

/// Copies `text` to the clipboard and says whether it worked. Hidden until
/// the page is interactive (it needs JavaScript).
#[component]
pub fn CopyButton(
    #[prop(into)] text: Signal<String>,
    /// Read by screen readers after "Copy": what is copied.
    #[prop(into)]
    what: String,
) -> impl IntoView {
    let state = RwSignal::new(CopyState::Idle);
    view! {
        <button type="button" class="button button-small copy-button" on:click=move |_| copy(text.get_untracked(), state)>
            {move || match state.get() {
                CopyState::Idle => "Copy",
                CopyState::Copied => "Copied",
                CopyState::Failed => "Couldn't copy: select it instead",
            }}
            <span class="sr-only">{format!(" {what}")}</span>
        </button>
    }
}

#[cfg(feature = "hydrate")]
fn copy(text: String, state: RwSignal<CopyState>) {
    let Some(window) = web_sys::window() else { return };
    let promise = window.navigator().clipboard().write_text(&text);
    leptos::task::spawn_local(async move {
        let copied = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
        state.set(if copied { CopyState::Copied } else { CopyState::Failed });
    });
}

#[cfg(not(feature = "hydrate"))]
fn copy(_text: String, _state: RwSignal<CopyState>) {}
