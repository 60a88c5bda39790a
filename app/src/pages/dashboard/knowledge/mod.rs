//! `/app/w/:id/knowledge`: what the assistant answers from. Usage against
//! the plan, adding sources (files with upload progress, web pages and
//! sites, Q&A pairs, snippets), the sources with their live status, and
//! "Test a question". `/app/w/:id/knowledge/:source_id`: one source in detail.
//!
//! Lists refresh in place, without re-rendering the page around them (an
//! open confirmation or a half-typed form survives): after every action, and
//! every 1.5 s while something is queued or processing.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::{Bytes, Decodes};
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use leptos_router::NavigateOptions;
use serde::Deserialize;

mod test_question;

use super::{plan_label, Here, InWorkspace, PageHeader};
use crate::components::feedback::{Confirm, EmptyState, ErrorPanel, Icon, IconSvg, Loading, NotAllowed};
use crate::components::format::{count_of, format_bytes, format_count, Time};
use crate::components::forms::{explain, on_success, Choice, Choices, Field, FormAlert, Outcome, Submit};
use crate::components::meter::Meter;
#[cfg(feature = "hydrate")]
use crate::components::upload::{files_of, Sent, Transfer};
use crate::error::ServiceError;
use crate::knowledge::{
    knowledge_source, load_knowledge_overview, AddQaSource, AddTextSource, AddUrlSource, CancelSource, DeleteSource,
    DocumentSummary, KnowledgeOverview, KnowledgeUsage, ResyncSource, SetSourceSchedule, SourceDetail, SourceStatus,
    SourceSummary, UploadOutcome, QUESTION_MAX, SNIPPET_MAX, SYNC_CHOICES, TITLE_MAX,
};
use crate::permissions::Action;

/// How often lists refresh while something is being processed.
const POLL: Duration = Duration::from_millis(1500);
/// What the not-allowed notice says an agent can't do.
const NOT_ALLOWED: &str = "add and remove knowledge sources";
/// What the file picker offers; the server decides from the bytes anyway.
const ACCEPT: &str = ".pdf,.docx,.html,.htm,.md,.markdown,.csv,.txt,application/pdf,\
                      application/vnd.openxmlformats-officedocument.wordprocessingml.document,text/html,text/markdown,text/csv,text/plain";
const FORMATS: &str = "PDF, Word (.docx), HTML, Markdown, CSV or plain text";

// ---------------------------------------------------------------------------
// Keeping a value fresh in place

/// A value first loaded by a page's resource, then refreshed in place.
/// Refreshes asked for while one runs are folded into one more run after
/// it, so an action's effect is never missed.
struct Live<T: Send + Sync + 'static> {
    value: RwSignal<T>,
    /// The last refresh's failure, cleared by the next success.
    failure: RwSignal<Option<ServiceError>>,
    /// Bumped after every refresh, so polling goes on when nothing changed.
    rounds: RwSignal<u32>,
    refresh: Callback<()>,
}

impl<T: Send + Sync + 'static> Clone for Live<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Live<T> {}

impl<T: Send + Sync + 'static> Live<T> {
    fn new<F, Fut>(initial: T, fetch: F) -> Self
    where
        F: Fn() -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<T, ServiceError>> + 'static,
    {
        let value = RwSignal::new(initial);
        let failure = RwSignal::new(None::<ServiceError>);
        let rounds = RwSignal::new(0_u32);
        // (a refresh is running, another was asked for meanwhile)
        let state = StoredValue::new((false, false));
        let refresh = Callback::new(move |()| {
            let start = state
                .try_update_value(|(running, again)| {
                    if *running {
                        *again = true;
                        false
                    } else {
                        *running = true;
                        true
                    }
                })
                .unwrap_or(false);
            if !start {
                return;
            }
            let fetch = fetch.clone();
            leptos::task::spawn_local(async move {
                loop {
                    match fetch().await {
                        Ok(fresh) => {
                            let _ = value.try_set(fresh);
                            let _ = failure.try_set(None);
                        }
                        Err(error) => {
                            let _ = failure.try_set(Some(error));
                        }
                    }
                    let again = state
                        .try_update_value(|(running, again)| {
                            let more = std::mem::take(again);
                            *running = more;
                            more
                        })
                        .unwrap_or(false);
                    if !again {
                        break;
                    }
                }
                let _ = rounds.try_update(|n| *n = n.wrapping_add(1));
            });
        });
        Live { value, failure, rounds, refresh }
    }

    /// Refreshes every [`POLL`] while `active` holds, in the browser only.
    /// Stops when it no longer holds, when asking again can't help (logged
    /// out, access lost, gone), or when the page goes away.
    fn poll_while(self, active: impl Fn(&T) -> bool + 'static) {
        let Live { value, failure, rounds, refresh } = self;
        Effect::new(move |_| {
            rounds.track();
            let hopeless = failure.with(|f| {
                matches!(f, Some(ServiceError::Unauthenticated | ServiceError::Forbidden | ServiceError::NotFound))
            });
            if !hopeless && value.with(&active) {
                if let Ok(handle) = set_timeout_with_handle(move || refresh.run(()), POLL) {
                    on_cleanup(move || handle.clear());
                }
            }
        });
    }
}

/// The knowledge base of the workspace a page is about, kept fresh.
#[derive(Clone, Copy)]
struct Library {
    workspace_id: StoredValue<String>,
    live: Live<KnowledgeOverview>,
    /// Where each source is in the list, so rows find theirs quickly.
    index: Memo<HashMap<String, usize>>,
}

impl Library {
    fn new(workspace_id: String, overview: KnowledgeOverview) -> Self {
        let workspace_id = StoredValue::new(workspace_id);
        let live = Live::new(overview, move || load_knowledge_overview(workspace_id.get_value()));
        live.poll_while(|overview| overview.sources.iter().any(|s| s.status.is_active()));
        let value = live.value;
        let index =
            Memo::new(move |_| value.with(|o| o.sources.iter().enumerate().map(|(i, s)| (s.id.clone(), i)).collect()));
        Library { workspace_id, live, index }
    }

    /// The source with this id, if it is (still) in the list.
    fn source(self, id: &str) -> Option<SourceSummary> {
        let at = self.index.with(|index| index.get(id).copied())?;
        self.live.value.with(|o| o.sources.get(at).filter(|s| s.id == id).cloned())
    }

    fn refresh(self) {
        self.live.refresh.run(());
    }

    fn usage(self) -> Memo<KnowledgeUsage> {
        let value = self.live.value;
        Memo::new(move |_| value.with(|o| o.usage.clone()))
    }
}

// ---------------------------------------------------------------------------
// The page

#[component]
pub fn KnowledgePage() -> impl IntoView {
    view! {
        <PageHeader
            title="Knowledge"
            lead="What your assistant answers from: files, web pages, Q&A pairs and snippets, indexed privately for this workspace."
        />
        <InWorkspace render=move |here: Here| {
            if here.can(Action::ManageKnowledge) {
                view! { <KnowledgeManager here /> }.into_any()
            } else {
                view! { <NotAllowed role=here.role() what=NOT_ALLOWED /> }.into_any()
            }
        } />
    }
}

#[component]
fn KnowledgeManager(here: Here) -> impl IntoView {
    let workspace_id = here.workspace.id.clone();
    let overview = Resource::new(|| (), move |_| load_knowledge_overview(workspace_id.clone()));
    let ids = StoredValue::new((here.workspace.id.clone(), here.path("")));
    view! {
        <Suspense fallback=|| view! { <Loading label="Loading your knowledge…" /> }>
            {move || {
                let (workspace_id, base) = ids.get_value();
                Suspend::new(async move {
                    match overview.await {
                        Ok(overview) => view! { <LibraryView workspace_id overview base /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// Everything on the page once the first overview arrived. `base` is the
/// workspace's path, `/app/w/<id>`.
#[component]
fn LibraryView(workspace_id: String, overview: KnowledgeOverview, base: String) -> impl IntoView {
    let lib = Library::new(workspace_id, overview);
    let announcement = announce_changes(lib);
    let base = StoredValue::new(base);
    view! {
        <p class="sr-only" role="status" aria-live="polite">{move || announcement.get()}</p>
        <UsagePanel lib />
        <AddKnowledge lib />
        <SourcesPanel lib base />
        <test_question::TestQuestionPanel lib base />
    }
}

/// Words for screen readers when a source finishes: "“Returns” is ready."
fn announce_changes(lib: Library) -> RwSignal<String> {
    type Snapshot = Vec<(String, String, SourceStatus, Option<String>)>;
    let announcement = RwSignal::new(String::new());
    let value = lib.live.value;
    Effect::new(move |before: Option<Snapshot>| {
        let now: Snapshot = value
            .with(|o| o.sources.iter().map(|s| (s.id.clone(), s.title.clone(), s.status, s.error.clone())).collect());
        if let Some(before) = before {
            let news: Vec<String> = now
                .iter()
                .filter_map(|(id, title, status, error)| {
                    let was = before.iter().find(|(b, ..)| b == id)?.2;
                    (was.is_active() && !status.is_active()).then(|| finished_words(title, *status, error.as_deref()))
                })
                .collect();
            if !news.is_empty() {
                announcement.set(news.join(" "));
            }
        }
        now
    });
    announcement
}

fn finished_words(title: &str, status: SourceStatus, error: Option<&str>) -> String {
    match (status, error) {
        (SourceStatus::Ready, _) => format!("\u{201c}{title}\u{201d} is ready."),
        (SourceStatus::Failed, Some(error)) => format!("\u{201c}{title}\u{201d} failed: {error}"),
        (SourceStatus::Failed, None) => format!("\u{201c}{title}\u{201d} failed."),
        (SourceStatus::Cancelled, _) => format!("\u{201c}{title}\u{201d} was cancelled."),
        (status, _) => format!("\u{201c}{title}\u{201d}: {}.", status.label()),
    }
}

// ---------------------------------------------------------------------------
// Usage against the plan

#[component]
fn UsagePanel(lib: Library) -> impl IntoView {
    let usage = lib.usage();
    // "local:all-MiniLM-L6-v2" means nothing to a tenant.
    let model = move || {
        lib.live.value.with(|o| match o.embedder.split_once(':') {
            Some(("local", _)) | None => "the built-in model, on this server".to_string(),
            Some((provider, name)) => format!("{name} from {provider}"),
        })
    };
    view! {
        <section class="panel usage" aria-labelledby="usage-title">
            <div class="panel-head">
                <h2 id="usage-title">"Usage"</h2>
                <span class="plan-chip">{move || format!("{} plan", plan_label(&usage.read().plan))}</span>
            </div>
            <div class="meters">
                <Meter
                    id="meter-sources"
                    label="Sources"
                    used=Signal::derive(move || u64::from(usage.read().sources))
                    max=Signal::derive(move || u64::from(usage.read().max_sources))
                    text=Signal::derive(move || {
                        let u = usage.read();
                        format!("{} of {}", format_count(u64::from(u.sources)), format_count(u64::from(u.max_sources)))
                    })
                />
                <Meter
                    id="meter-chunks"
                    label="Passages"
                    used=Signal::derive(move || u64::from(usage.read().chunks))
                    max=Signal::derive(move || u64::from(usage.read().max_chunks))
                    text=Signal::derive(move || {
                        let u = usage.read();
                        format!("{} of {}", format_count(u64::from(u.chunks)), format_count(u64::from(u.max_chunks)))
                    })
                />
                <Meter
                    id="meter-storage"
                    label="Storage"
                    used=Signal::derive(move || usage.read().bytes)
                    max=Signal::derive(move || usage.read().max_bytes)
                    text=Signal::derive(move || {
                        let u = usage.read();
                        format!("{} of {}", format_bytes(u.bytes), format_bytes(u.max_bytes))
                    })
                />
                <div class="meter-tile">
                    <span class="meter-label">"Largest file"</span>
                    <span class="meter-value">{move || format_bytes(usage.read().max_file_bytes)}</span>
                    <span class="muted small">
                        {move || {
                            let u = usage.read();
                            format!(
                                "{} per upload · {} per site",
                                count_of(u64::from(u.max_files_per_upload), "file", "files"),
                                count_of(u64::from(u.max_crawl_pages), "page", "pages"),
                            )
                        }}
                    </span>
                </div>
            </div>
            <p class="muted small usage-note">
                "Passages are the sections your knowledge is split into for search. Search runs privately for this workspace, with "
                {model}
                "."
            </p>
        </section>
    }
}

// ---------------------------------------------------------------------------
// Adding knowledge

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AddTab {
    Files,
    Web,
    Qa,
    Text,
}

impl AddTab {
    const ALL: [AddTab; 4] = [AddTab::Files, AddTab::Web, AddTab::Qa, AddTab::Text];

    fn key(self) -> &'static str {
        match self {
            AddTab::Files => "files",
            AddTab::Web => "web",
            AddTab::Qa => "qa",
            AddTab::Text => "text",
        }
    }

    fn label(self) -> &'static str {
        match self {
            AddTab::Files => "Upload files",
            AddTab::Web => "Web page or site",
            AddTab::Qa => "Q&A pair",
            AddTab::Text => "Text snippet",
        }
    }

    fn tab_id(self) -> String {
        format!("add-tab-{}", self.key())
    }

    fn panel_id(self) -> String {
        format!("add-panel-{}", self.key())
    }

    /// The tab an arrow, Home or End key moves to.
    fn after_key(self, key: &str) -> Option<AddTab> {
        let at = AddTab::ALL.iter().position(|t| *t == self)?;
        let last = AddTab::ALL.len() - 1;
        let to = match key {
            "ArrowRight" | "ArrowDown" => (at + 1) % AddTab::ALL.len(),
            "ArrowLeft" | "ArrowUp" => (at + last) % AddTab::ALL.len(),
            "Home" => 0,
            "End" => last,
            _ => return None,
        };
        Some(AddTab::ALL[to])
    }
}

#[component]
fn AddKnowledge(lib: Library) -> impl IntoView {
    let tab = RwSignal::new(AddTab::Files);
    let usage = lib.usage();
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if let Some(next) = tab.get_untracked().after_key(&ev.key()) {
            ev.prevent_default();
            tab.set(next);
            crate::focus::focus_element(&next.tab_id());
        }
    };
    let at_limit = move || {
        let u = usage.read();
        (u.max_sources > 0 && u.sources >= u.max_sources).then(|| u.max_sources)
    };
    view! {
        <section class="panel add-knowledge" aria-labelledby="add-title">
            <h2 id="add-title">"Add knowledge"</h2>
            {move || at_limit().map(|max| view! {
                <div class="notice notice-warning notice-compact" role="note">
                    <p>
                        {format!("Your plan holds up to {} sources and they're all in use. ", format_count(u64::from(max)))}
                        "Delete a source below, or "
                        <a href="/pricing">"compare plans"</a>
                        " for more."
                    </p>
                </div>
            })}
            <div class="segmented" role="tablist" aria-label="What to add" on:keydown=on_keydown>
                {AddTab::ALL
                    .into_iter()
                    .map(|t| view! {
                        <button
                            type="button"
                            role="tab"
                            class="segment"
                            id=t.tab_id()
                            aria-controls=t.panel_id()
                            aria-selected=move || (tab.get() == t).to_string()
                            tabindex=move || if tab.get() == t { "0" } else { "-1" }
                            on:click=move |_| tab.set(t)
                        >
                            {t.label()}
                        </button>
                    })
                    .collect_view()}
            </div>
            <TabPanel tab=AddTab::Files current=tab><UploadFiles lib /></TabPanel>
            <TabPanel tab=AddTab::Web current=tab><AddWebForm lib /></TabPanel>
            <TabPanel tab=AddTab::Qa current=tab><AddQaForm lib /></TabPanel>
            <TabPanel tab=AddTab::Text current=tab><AddTextForm lib /></TabPanel>
        </section>
    }
}

/// A tab's panel: kept in the page while hidden, so a half-filled form
/// survives switching tabs.
#[component]
fn TabPanel(tab: AddTab, current: RwSignal<AddTab>, children: Children) -> impl IntoView {
    view! {
        <div class="tab-panel" role="tabpanel" id=tab.panel_id() aria-labelledby=tab.tab_id() hidden=move || current.get() != tab>
            {children()}
        </div>
    }
}

/// What the source just added is called, for the confirmation.
fn added_message(source: &SourceSummary) -> String {
    format!("Added \u{201c}{}\u{201d}. It's listed under Sources below while we read it.", source.title)
}

#[component]
fn WorkspaceIdInput(lib: Library) -> impl IntoView {
    view! { <input type="hidden" name="workspace_id" value=lib.workspace_id.get_value() /> }
}

#[component]
fn AddWebForm(lib: Library) -> impl IntoView {
    let add = ServerAction::<AddUrlSource>::new();
    let outcome = Outcome::of(add);
    let mode = RwSignal::new("page".to_string());
    let schedule = RwSignal::new(String::new());
    let flash = RwSignal::new(None::<String>);
    let form = NodeRef::<leptos::html::Form>::new();
    let usage = lib.usage();
    on_success(add, move |source: &SourceSummary| {
        if let Some(form) = form.get_untracked() {
            form.reset();
        }
        mode.set("page".to_string());
        schedule.set(String::new());
        flash.set(Some(added_message(source)));
        lib.refresh();
    });
    Effect::new(move |_| {
        if add.pending().get() {
            flash.set(None);
        }
    });
    let sync_error = outcome.field("sync_every_hours");
    view! {
        <ActionForm action=add node_ref=form attr:class="form form-plain" attr:novalidate="novalidate">
            <WorkspaceIdInput lib />
            <FormAlert message=outcome.message() />
            <Field name="url" label="Web address" kind="url" max=2000 error=outcome.field("url") required=true
                hint="The page to read, or the start of the site, like https://help.example.com." />
            <Choices name="mode" legend="What to read" selected=mode error=outcome.field("mode")
                options=vec![
                    Choice { value: "page", label: "Single page", hint: "Just this page." },
                    Choice { value: "sitemap", label: "Sitemap", hint: "Every page a sitemap.xml lists." },
                    Choice { value: "crawl", label: "Whole site", hint: "This page and the pages it links to on the same site." },
                ] />
            <p class="field-hint">
                {move || format!(
                    "Sitemaps and whole sites are read up to {} on your plan.",
                    count_of(u64::from(usage.read().max_crawl_pages), "page", "pages"),
                )}
            </p>
            <div class="field">
                <label for="field-sync">"Keep it up to date"</label>
                <p class="field-hint" id="field-sync-hint">"We read it again on this schedule and update what changed."</p>
                <select
                    id="field-sync"
                    aria-describedby="field-sync-hint field-sync-error"
                    aria-invalid=move || sync_error.get().is_some().to_string()
                    on:change=move |ev| schedule.set(event_target_value(&ev))
                >
                    <ScheduleOptions selected=None />
                </select>
                <p class="field-error" id="field-sync-error">{move || sync_error.get()}</p>
            </div>
            // Only sent when chosen: "no schedule" is a missing field.
            {move || {
                let hours = schedule.get();
                (!hours.is_empty()).then(|| view! { <input type="hidden" name="sync_every_hours" value=hours /> })
            }}
            <div class="form-actions">
                <Submit label="Add web source" busy="Adding…" pending=add.pending() />
                <p class="form-success" role="status">{move || flash.get()}</p>
            </div>
        </ActionForm>
    }
}

/// `<option>`s for a re-sync schedule select: none, then [`SYNC_CHOICES`].
#[component]
fn ScheduleOptions(selected: Option<u32>) -> impl IntoView {
    view! {
        <option value="" selected=selected.is_none()>{schedule_label(None)}</option>
        {SYNC_CHOICES
            .into_iter()
            .map(|hours| view! {
                <option value=hours.to_string() selected=selected == Some(hours)>{schedule_label(Some(hours))}</option>
            })
            .collect_view()}
    }
}

fn schedule_label(hours: Option<u32>) -> String {
    match hours {
        None => "Don't re-sync".to_string(),
        Some(24) => "Daily".to_string(),
        Some(168) => "Weekly".to_string(),
        Some(720) => "Monthly".to_string(),
        Some(hours) if hours % 24 == 0 => format!("Every {} days", hours / 24),
        Some(hours) => format!("Every {hours} hours"),
    }
}

#[component]
fn AddQaForm(lib: Library) -> impl IntoView {
    let add = ServerAction::<AddQaSource>::new();
    let outcome = Outcome::of(add);
    let flash = RwSignal::new(None::<String>);
    let form = NodeRef::<leptos::html::Form>::new();
    on_success(add, move |source: &SourceSummary| {
        if let Some(form) = form.get_untracked() {
            form.reset();
        }
        flash.set(Some(added_message(source)));
        lib.refresh();
    });
    Effect::new(move |_| {
        if add.pending().get() {
            flash.set(None);
        }
    });
    view! {
        <ActionForm action=add node_ref=form attr:class="form form-plain" attr:novalidate="novalidate">
            <WorkspaceIdInput lib />
            <p class="muted">"For what customers ask often: the assistant quotes your answer."</p>
            <FormAlert message=outcome.message() />
            <Field name="question" label="Question" max=QUESTION_MAX error=outcome.field("question") required=true
                hint="As a customer would ask it: \"Do you ship to Canada?\"" />
            <Field name="answer" label="Answer" kind="textarea" max=SNIPPET_MAX error=outcome.field("answer") required=true />
            <div class="form-actions">
                <Submit label="Add Q&A pair" busy="Adding…" pending=add.pending() />
                <p class="form-success" role="status">{move || flash.get()}</p>
            </div>
        </ActionForm>
    }
}

#[component]
fn AddTextForm(lib: Library) -> impl IntoView {
    let add = ServerAction::<AddTextSource>::new();
    let outcome = Outcome::of(add);
    let flash = RwSignal::new(None::<String>);
    let form = NodeRef::<leptos::html::Form>::new();
    on_success(add, move |source: &SourceSummary| {
        if let Some(form) = form.get_untracked() {
            form.reset();
        }
        flash.set(Some(added_message(source)));
        lib.refresh();
    });
    Effect::new(move |_| {
        if add.pending().get() {
            flash.set(None);
        }
    });
    view! {
        <ActionForm action=add node_ref=form attr:class="form form-plain" attr:novalidate="novalidate">
            <WorkspaceIdInput lib />
            <p class="muted">"Opening hours, policies, anything short you'd rather type than upload."</p>
            <FormAlert message=outcome.message() />
            <Field name="title" label="Title" max=TITLE_MAX error=outcome.field("title") required=true
                hint="Shown in citations: \"Opening hours\"." />
            <Field name="text" label="Text" kind="textarea" max=SNIPPET_MAX error=outcome.field("text") required=true />
            <div class="form-actions">
                <Submit label="Add snippet" busy="Adding…" pending=add.pending() />
                <p class="form-success" role="status">{move || flash.get()}</p>
            </div>
        </ActionForm>
    }
}

// ---------------------------------------------------------------------------
// Uploading files

/// One file's line in the upload results.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileResult {
    name: String,
    /// `None` when the file was added.
    error: Option<String>,
    /// What it was added as.
    title: Option<String>,
    /// The source it became, whose status the summary follows.
    source_id: Option<String>,
}

impl FileResult {
    fn refused(name: &str, error: String) -> Self {
        FileResult { name: name.to_string(), error: Some(error), title: None, source_id: None }
    }
}

impl From<UploadOutcome> for FileResult {
    fn from(outcome: UploadOutcome) -> Self {
        let error = match (&outcome.source, outcome.error) {
            (_, Some(error)) => Some(error),
            (None, None) => Some("This file wasn't added. Please try again.".to_string()),
            (Some(_), None) => None,
        };
        let (title, source_id) = outcome.source.map(|s| (s.title, s.id)).unzip();
        FileResult { name: outcome.file_name, error, title, source_id }
    }
}

/// A batch that passed the checks: the files to send, and the files refused
/// with why (both by their index in the batch).
#[derive(Debug)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
struct Checked {
    send: Vec<usize>,
    refused: Vec<(usize, FileResult)>,
}

/// Checks a batch (names and sizes) against the plan before anything is
/// sent. `Err` refuses the whole batch.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn precheck(files: &[(String, u64)], usage: &KnowledgeUsage) -> Result<Checked, String> {
    let max_files = usage.max_files_per_upload as usize;
    if max_files > 0 && files.len() > max_files {
        return Err(format!(
            "You chose {} files, but you can upload up to {} at once. Upload them in smaller batches.",
            format_count(files.len() as u64),
            format_count(max_files as u64),
        ));
    }
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    for (index, (name, size)) in files.iter().enumerate() {
        if *size == 0 {
            refused.push((index, FileResult::refused(name, "This file is empty.".to_string())));
        } else if usage.max_file_bytes > 0 && *size > usage.max_file_bytes {
            refused.push((
                index,
                FileResult::refused(
                    name,
                    format!(
                        "This file is {}; your plan takes files up to {}.",
                        format_bytes(*size),
                        format_bytes(usage.max_file_bytes)
                    ),
                ),
            ));
        } else {
            accepted.push(index);
        }
    }
    let room = usage.max_sources.saturating_sub(usage.sources) as usize;
    if usage.max_sources > 0 && accepted.len() > room {
        return Err(if room == 0 {
            format!(
                "Your plan holds up to {} sources and they're all in use. Delete some sources first, or compare plans for more.",
                format_count(u64::from(usage.max_sources))
            )
        } else {
            format!(
                "Your plan has room for {} more {}; you chose {}. Upload fewer files, or delete some sources first.",
                format_count(room as u64),
                if room == 1 { "source" } else { "sources" },
                count_of(accepted.len() as u64, "file", "files"),
            )
        });
    }
    Ok(Checked { send: accepted, refused })
}

/// How an upload request ended.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Finished {
    Outcomes(Vec<UploadOutcome>),
    Failed(String),
    Cancelled,
}

const UPLOAD_NETWORK: &str = "The upload didn't reach Lodestar. Check your connection and try again.";

/// Reads the upload endpoint's answer: per-file outcomes, or `{"error": …}`.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn read_response(status: u16, body: &str) -> Finished {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: String,
    }
    let bytes = Bytes::from(body.to_owned());
    if status == 200 {
        return match <JsonEncoding as Decodes<Vec<UploadOutcome>>>::decode(bytes) {
            Ok(outcomes) => Finished::Outcomes(outcomes),
            Err(_) => Finished::Failed(ServiceError::Internal.to_string()),
        };
    }
    if let Ok(ErrorBody { error }) = <JsonEncoding as Decodes<ErrorBody>>::decode(bytes) {
        if !error.trim().is_empty() {
            return Finished::Failed(error);
        }
    }
    Finished::Failed(match status {
        0 => UPLOAD_NETWORK.to_string(),
        401 => "You're logged out. Log in again, then upload your files.".to_string(),
        403 => ServiceError::Forbidden.to_string(),
        404 => ServiceError::NotFound.to_string(),
        413 => "These files are too large to upload together. Upload fewer or smaller files.".to_string(),
        429 => "Too many uploads in a short time. Wait a moment, then try again.".to_string(),
        _ => ServiceError::Internal.to_string(),
    })
}

/// An upload in flight: how many files, and how far along.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Sending {
    files: usize,
    percent: u8,
}

/// The upload box's state, shared by the drop zone and the picker.
#[derive(Clone, Copy)]
struct Uploader {
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    lib: Library,
    sending: RwSignal<Option<Sending>>,
    results: RwSignal<Vec<FileResult>>,
    /// Why the whole batch was refused or failed.
    problem: RwSignal<Option<String>>,
    #[cfg(feature = "hydrate")]
    transfer: StoredValue<Option<Transfer>, LocalStorage>,
}

impl Uploader {
    fn new(lib: Library) -> Self {
        Uploader {
            lib,
            sending: RwSignal::new(None),
            results: RwSignal::new(Vec::new()),
            problem: RwSignal::new(None),
            #[cfg(feature = "hydrate")]
            transfer: StoredValue::new_local(None),
        }
    }

    /// Stops the upload in flight, if any.
    fn cancel(self) {
        #[cfg(feature = "hydrate")]
        self.transfer.with_value(|transfer| {
            if let Some(transfer) = transfer {
                transfer.cancel();
            }
        });
    }
}

#[cfg(feature = "hydrate")]
impl Uploader {
    /// Checks the chosen files against the plan and sends those that pass.
    fn send(self, files: Vec<web_sys::File>) {
        if files.is_empty() || self.sending.get_untracked().is_some() {
            return;
        }
        let usage = self.lib.live.value.with_untracked(|o| o.usage.clone());
        let picked: Vec<(String, u64)> = files.iter().map(|f| (f.name(), f.size().max(0.0) as u64)).collect();
        self.problem.set(None);
        self.results.set(Vec::new());
        let Checked { send: accepted, refused } = match precheck(&picked, &usage) {
            Ok(checked) => checked,
            Err(problem) => {
                self.problem.set(Some(problem));
                return;
            }
        };
        if accepted.is_empty() {
            self.results.set(refused.into_iter().map(|(_, r)| r).collect());
            return;
        }
        let chosen: Vec<web_sys::File> = accepted.iter().map(|&i| files[i].clone()).collect();
        let url = format!(
            "/api/w/{}/knowledge/files",
            crate::components::url::encode_query_value(&self.lib.workspace_id.get_value())
        );
        let count = chosen.len();
        self.sending.set(Some(Sending { files: count, percent: 0 }));
        let sending = self.sending;
        let on_progress = move |loaded: f64, total: f64| {
            if total > 0.0 {
                let percent = (loaded / total * 100.0).clamp(0.0, 100.0) as u8;
                let _ = sending.try_set(Some(Sending { files: count, percent }));
            }
        };
        let on_finished = move |sent: Sent| {
            let finished = match sent {
                Sent::Answered { status, body } => read_response(status, &body),
                Sent::Cancelled => Finished::Cancelled,
                Sent::Unreachable => Finished::Failed(UPLOAD_NETWORK.to_string()),
            };
            self.finish(finished, accepted, refused)
        };
        match Transfer::start(&url, &chosen, on_progress, on_finished) {
            // Replacing the last transfer (long finished) releases its handlers.
            Ok(transfer) => self.transfer.set_value(Some(transfer)),
            Err(problem) => {
                self.sending.set(None);
                self.problem.set(Some(problem));
            }
        }
    }

    fn finish(self, finished: Finished, accepted: Vec<usize>, refused: Vec<(usize, FileResult)>) {
        let _ = self.sending.try_set(None);
        let mut results = refused;
        match finished {
            Finished::Outcomes(outcomes) => {
                let mut outcomes = outcomes.into_iter();
                // Outcomes come in the order the files were sent.
                for (&index, outcome) in accepted.iter().zip(outcomes.by_ref()) {
                    results.push((index, outcome.into()));
                }
                results.extend(outcomes.map(|o| (usize::MAX, o.into())));
            }
            Finished::Failed(problem) => {
                let _ = self.problem.try_set(Some(problem));
            }
            Finished::Cancelled => {
                let _ = self.problem.try_set(Some("Upload cancelled. Nothing was added.".to_string()));
            }
        }
        results.sort_by_key(|(index, _)| *index);
        let _ = self.results.try_set(results.into_iter().map(|(_, r)| r).collect());
        self.lib.refresh();
    }
}

#[cfg(feature = "hydrate")]
fn on_files_chosen(ev: leptos::ev::Event, uploader: Uploader) {
    use leptos::wasm_bindgen::JsCast;
    let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
    let files = files_of(input.files());
    // Choosing the same file again must fire `change` again.
    input.set_value("");
    uploader.send(files);
}

#[cfg(not(feature = "hydrate"))]
fn on_files_chosen(_ev: leptos::ev::Event, _uploader: Uploader) {}

#[cfg(feature = "hydrate")]
fn on_files_dropped(ev: leptos::ev::DragEvent, uploader: Uploader) {
    ev.prevent_default();
    let files = files_of(ev.data_transfer().and_then(|d| d.files()));
    uploader.send(files);
}

#[cfg(not(feature = "hydrate"))]
fn on_files_dropped(_ev: leptos::ev::DragEvent, _uploader: Uploader) {}

#[cfg(feature = "hydrate")]
fn on_drag_over(ev: leptos::ev::DragEvent) {
    ev.prevent_default();
    if let Some(data) = ev.data_transfer() {
        data.set_drop_effect("copy");
    }
}

#[cfg(not(feature = "hydrate"))]
fn on_drag_over(_ev: leptos::ev::DragEvent) {}

#[component]
fn UploadFiles(lib: Library) -> impl IntoView {
    let uploader = Uploader::new(lib);
    let usage = lib.usage();
    // dragenter/dragleave also fire over the zone's children: count them.
    let depth = RwSignal::new(0_i32);
    let busy = move || uploader.sending.get().is_some();
    let limits = move || {
        let u = usage.read();
        format!(
            "{FORMATS}. Up to {} at once, {} each.",
            count_of(u64::from(u.max_files_per_upload), "file", "files"),
            format_bytes(u.max_file_bytes)
        )
    };
    view! {
        <div
            class="dropzone"
            class:dragging=move || { depth.get() > 0 }
            class:busy=busy
            on:dragenter=move |ev: leptos::ev::DragEvent| {
                ev.prevent_default();
                depth.update(|d| *d += 1);
            }
            on:dragover=on_drag_over
            on:dragleave=move |_| depth.update(|d| *d = (*d - 1).max(0))
            on:drop=move |ev| {
                depth.set(0);
                on_files_dropped(ev, uploader);
            }
        >
            <span class="dropzone-icon" aria-hidden="true"><IconSvg icon=Icon::Upload /></span>
            <p class="dropzone-title">"Drag files here, or"</p>
            <input
                id="knowledge-files"
                class="file-input"
                type="file"
                multiple=true
                accept=ACCEPT
                data-test="knowledge-file-input"
                aria-describedby="knowledge-files-hint"
                disabled=busy
                on:change=move |ev| on_files_chosen(ev, uploader)
            />
            <label for="knowledge-files" class="button button-primary file-button">"Choose files"</label>
            <p class="muted small" id="knowledge-files-hint">{limits}</p>
        </div>
        // Phases only: the percentage would make screen readers chatter.
        <p class="sr-only" role="status">
            {move || match (uploader.sending.get(), uploader.problem.get()) {
                (Some(sending), _) => format!("Uploading {}…", count_of(sending.files as u64, "file", "files")),
                (None, Some(problem)) => problem,
                (None, None) => {
                    let statuses = added_statuses(lib, uploader.results);
                    uploader.results.with(|results| results_summary(results, &statuses)).unwrap_or_default()
                }
            }}
        </p>
        <div class="upload-status">
            {move || uploader.sending.get().map(|sending| {
                let what = count_of(sending.files as u64, "file", "files");
                let words = if sending.percent >= 100 {
                    format!("Uploaded {what}; adding them to your knowledge…")
                } else {
                    format!("Uploading {what}… {}%", sending.percent)
                };
                view! {
                    <div class="upload-progress">
                        <span>{words}</span>
                        <progress max="100" value=sending.percent aria-label="Upload progress">
                            {format!("{}%", sending.percent)}
                        </progress>
                        <button type="button" class="button button-small" on:click=move |_| uploader.cancel()>
                            "Cancel upload"
                        </button>
                    </div>
                }
            })}
            {move || uploader.problem.get().map(|problem| view! { <p class="form-error">{problem}</p> })}
            <UploadResults results=uploader.results lib />
        </div>
    }
}

/// The live status of each source the last upload added.
fn added_statuses(lib: Library, results: RwSignal<Vec<FileResult>>) -> Vec<SourceStatus> {
    results.with(|results| {
        lib.live.value.with(|o| {
            results
                .iter()
                .filter_map(|r| r.source_id.as_ref())
                .filter_map(|id| o.sources.iter().find(|s| &s.id == id).map(|s| s.status))
                .collect()
        })
    })
}

/// "Added 2 files; 1 file couldn't be added.", once there are results; what
/// it says of the added files follows their sources as they are read.
fn results_summary(results: &[FileResult], statuses: &[SourceStatus]) -> Option<String> {
    if results.is_empty() {
        return None;
    }
    let added = results.iter().filter(|r| r.error.is_none()).count();
    let reading = statuses.iter().any(|s| matches!(s, SourceStatus::Queued | SourceStatus::Processing));
    let unread =
        statuses.iter().any(|s| !matches!(s, SourceStatus::Queued | SourceStatus::Processing | SourceStatus::Ready));
    let then = if reading {
        " We're reading them now."
    } else if unread {
        " Some could not be read: see Sources below."
    } else {
        " They're ready to answer from."
    };
    Some(match (added, results.len() - added) {
        (_, 0) => format!("Added {}.{then}", count_of(added as u64, "file", "files")),
        (0, failed) => format!("{} couldn't be added.", count_of(failed as u64, "file", "files")),
        (added, failed) => format!(
            "Added {}; {} couldn't be added.{then}",
            count_of(added as u64, "file", "files"),
            count_of(failed as u64, "file", "files")
        ),
    })
}

#[component]
fn UploadResults(results: RwSignal<Vec<FileResult>>, lib: Library) -> impl IntoView {
    move || {
        let statuses = added_statuses(lib, results);
        let results = results.get();
        results_summary(&results, &statuses).map(|summary| {
            view! {
                <div class="upload-results">
                    <p class="upload-summary">{summary}</p>
                    <ul class="upload-list">
                        {results
                            .into_iter()
                            .map(|result| {
                                let ok = result.error.is_none();
                                let detail = match (result.error, result.title) {
                                    (Some(error), _) => error,
                                    (None, Some(title)) if title != result.name => format!("Added as \u{201c}{title}\u{201d}."),
                                    (None, _) => "Added.".to_string(),
                                };
                                view! {
                                    <li
                                        class="upload-result"
                                        class:upload-failed=!ok
                                        data-test="upload-result"
                                        data-outcome=if ok { "ok" } else { "error" }
                                    >
                                        <span class="upload-mark" aria-hidden="true">{if ok { "✓" } else { "!" }}</span>
                                        <span class="upload-name">{result.name}</span>
                                        <span class="sr-only">{if ok { ": added. " } else { ": not added. " }}</span>
                                        <span class="upload-detail">{detail}</span>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </div>
            }
        })
    }
}

// ---------------------------------------------------------------------------
// The sources

#[component]
fn SourcesPanel(lib: Library, base: StoredValue<String>) -> impl IntoView {
    let value = lib.live.value;
    let count = move || value.with(|o| o.sources.len());
    let ids = move || value.with(|o| o.sources.iter().map(|s| s.id.clone()).collect::<Vec<_>>());
    let active = move || value.with(|o| o.sources.iter().filter(|s| s.status.is_active()).count());
    let failure = lib.live.failure;
    view! {
        <section class="panel" aria-labelledby="sources-title">
            <div class="panel-head">
                <h2 id="sources-title">"Sources " <span class="count">{count}</span></h2>
                <span class="muted small live-note">
                    {move || match active() {
                        0 => String::new(),
                        n => format!("Processing {}… this list updates by itself.", count_of(n as u64, "source", "sources")),
                    }}
                </span>
            </div>
            {move || failure.get().map(|error| view! {
                <p class="form-error" role="alert">{format!("We couldn't refresh this list: {}", explain(&error))}</p>
            })}
            <Show
                when=move || { count() > 0 }
                fallback=|| view! {
                    <EmptyState title="No knowledge sources yet" icon=Icon::Knowledge>
                        <p>
                            "Your assistant answers only from what you add here. Upload your help articles, \
                             add your help centre's address, or type the answers to the questions you get most."
                        </p>
                    </EmptyState>
                }
            >
                <ul class="source-list">
                    <For each=ids key=|id| id.clone() let:id>
                        <SourceRow lib id base />
                    </For>
                </ul>
            </Show>
        </section>
    }
}

/// One source, kept up to date by the list's refreshes.
#[component]
fn SourceRow(lib: Library, id: String, base: StoredValue<String>) -> impl IntoView {
    let Some(first) = untrack(|| lib.source(&id)) else { return ().into_any() };
    let source = {
        let id = id.clone();
        Memo::new(move |before: Option<&SourceSummary>| {
            lib.source(&id).or_else(|| before.cloned()).unwrap_or_else(|| first.clone())
        })
    };
    let href = format!("{}/knowledge/{id}", base.get_value());
    let status = move || source.with(|s| s.status);
    let title = move || source.with(|s| s.title.clone());
    let changed = Callback::new(move |()| lib.refresh());
    view! {
        <li class="source" data-test="source-row" data-status=move || status().as_str() data-source-id=id>
            <div class="source-main">
                <div class="source-head">
                    <h3 class="source-title"><A href=href>{title}</A></h3>
                    <span class="kind-badge">{move || source.with(|s| s.kind.label())}</span>
                    <StatusBadge status=Signal::derive(status) />
                </div>
                {move || source.with(|s| s.location.clone()).map(|location| {
                    let full = location.clone();
                    view! { <p class="source-location" title=full>{location}</p> }
                })}
                <SourceProgress source=source.into() />
                {move || source.with(|s| (s.status == SourceStatus::Failed).then(|| failure_text(s))).map(|error| view! {
                    <p class="source-error">{error}</p>
                })}
                {move || source.with(note_of).map(|note| view! { <p class="source-note">{note}</p> })}
                <dl class="source-facts">
                    {move || source.with(|s| s.format.clone()).map(|format| view! {
                        <div><dt>"Format"</dt><dd>{format}</dd></div>
                    })}
                    <div>
                        <dt>"Content"</dt>
                        <dd>{move || source.with(|s| contents(s.documents, s.chunks))}</dd>
                    </div>
                    <div>
                        <dt>"Last synced"</dt>
                        <dd>{move || match source.with(|s| s.last_synced_at) {
                            Some(at) => view! { <Time at /> }.into_any(),
                            None => "Not yet".into_any(),
                        }}</dd>
                    </div>
                    {move || source.with(|s| s.kind.is_remote().then_some(s.sync_every_hours)).map(|hours| view! {
                        <div><dt>"Re-sync"</dt><dd>{schedule_label(hours)}</dd></div>
                    })}
                </dl>
            </div>
            <SourceActions workspace_id=lib.workspace_id.get_value() source=source.into() changed />
        </li>
    }
    .into_any()
}

/// "3 documents · 42 passages".
fn contents(documents: u32, chunks: u32) -> String {
    format!(
        "{} · {}",
        count_of(u64::from(documents), "document", "documents"),
        count_of(u64::from(chunks), "passage", "passages")
    )
}

/// What a finished source has to say (a crawl that stopped at the plan's
/// limit keeps the pages it read, and says so).
fn note_of(source: &SourceSummary) -> Option<String> {
    (source.status == SourceStatus::Ready).then(|| source.error.clone()).flatten()
}

fn failure_text(source: &SourceSummary) -> String {
    source
        .error
        .clone()
        .unwrap_or_else(|| "We couldn't read this source. Try re-syncing or adding it again.".to_string())
}

#[component]
fn StatusBadge(#[prop(into)] status: Signal<SourceStatus>) -> impl IntoView {
    view! {
        <span class=move || format!("source-status status-{}", status.get().as_str())>{move || status.get().label()}</span>
    }
}

/// The progress bar while a source is processed, or a note while it waits.
#[component]
fn SourceProgress(source: Signal<SourceSummary>) -> impl IntoView {
    move || {
        source.with(|s| match s.status {
            SourceStatus::Queued => {
                Some(view! { <p class="source-waiting small muted">"Waiting for its turn…"</p> }.into_any())
            }
            SourceStatus::Processing => {
                let percent = s.progress.min(100);
                let label = format!("Processing {}", s.title);
                Some(
                    view! {
                        <div class="source-progress">
                            <progress max="100" value=percent aria-label=label>{format!("{percent}%")}</progress>
                            <span class="small muted">{format!("{percent}%")}</span>
                        </div>
                    }
                    .into_any(),
                )
            }
            _ => None,
        })
    }
}

/// Re-sync (web sources), cancel (while active) and delete, for a row or
/// the detail page. `deleted` runs after a delete instead of `changed`.
#[component]
fn SourceActions(
    workspace_id: String,
    source: Signal<SourceSummary>,
    changed: Callback<()>,
    #[prop(optional)] deleted: Option<Callback<()>>,
) -> impl IntoView {
    let resync = ServerAction::<ResyncSource>::new();
    let cancel = ServerAction::<CancelSource>::new();
    let delete = ServerAction::<DeleteSource>::new();
    let outcomes = [Outcome::of(resync), Outcome::of(cancel), Outcome::of(delete)];
    let error = Signal::derive(move || outcomes.iter().find_map(|o| o.error()).map(|e| explain(&e)));
    on_success(resync, move |_| changed.run(()));
    on_success(cancel, move |_| changed.run(()));
    on_success(delete, move |_| deleted.unwrap_or(changed).run(()));

    let (source_id, remote, title) = source.with_untracked(|s| (s.id.clone(), s.kind.is_remote(), s.title.clone()));
    let ids = StoredValue::new((workspace_id, source_id));
    let hidden_ids = move || {
        let (workspace_id, source_id) = ids.get_value();
        view! {
            <input type="hidden" name="workspace_id" value=workspace_id />
            <input type="hidden" name="source_id" value=source_id />
        }
    };
    let active = move || source.with(|s| s.status.is_active());
    let name =
        move || view! { <span class="sr-only">{move || format!(" {}", source.with(|s| s.title.clone()))}</span> };
    let warning = format!(
        "Delete \u{201c}{title}\u{201d}? Your assistant stops using it at once, and its documents are removed. This can't be undone."
    );
    view! {
        <div class="source-actions">
            {remote.then(|| view! {
                <Show when=move || !active()>
                    <ActionForm action=resync>
                        {hidden_ids()}
                        <button class="button button-small" type="submit" disabled=move || resync.pending().get()>
                            {move || if resync.pending().get() { "Re-syncing…" } else { "Re-sync now" }}
                            {name()}
                        </button>
                    </ActionForm>
                </Show>
            })}
            <Show when=active>
                <ActionForm action=cancel>
                    {hidden_ids()}
                    <button class="button button-small" type="submit" disabled=move || cancel.pending().get()>
                        {move || if cancel.pending().get() { "Cancelling…" } else { "Cancel" }}
                        {name()}
                    </button>
                </ActionForm>
            </Show>
            <Confirm label="Delete" aria_label=format!("Delete {title}") danger=true>
                <p>{warning}</p>
                <ActionForm action=delete>
                    {hidden_ids()}
                    <button class="button button-danger button-small" type="submit" disabled=move || delete.pending().get()>
                        {move || if delete.pending().get() { "Deleting…" } else { "Yes, delete it" }}
                    </button>
                </ActionForm>
            </Confirm>
        </div>
        <p class="form-error source-action-error" role="alert">{move || error.get()}</p>
    }
}

/// A link to a page elsewhere, opened in a new tab.
#[component]
fn ExternalLink(url: String) -> impl IntoView {
    let text = url.clone();
    view! {
        <a href=url class="external-link" target="_blank" rel="noopener noreferrer">
            {text}
            <span class="sr-only">" (opens in a new tab)"</span>
        </a>
    }
}

/// A web address safe to put in a link (never `javascript:` and the like).
fn web_link(url: &str) -> Option<&str> {
    let lowered = url.trim_start().get(..8).unwrap_or("").to_ascii_lowercase();
    (lowered.starts_with("https://") || lowered.starts_with("http://")).then_some(url.trim())
}

// ---------------------------------------------------------------------------
// One source in detail

/// `/app/w/:id/knowledge/:source_id`.
#[component]
pub fn KnowledgeSourcePage() -> impl IntoView {
    let params = use_params_map();
    let source_id = Memo::new(move |_| params.read().get("source_id").unwrap_or_default());
    view! {
        <InWorkspace render=move |here: Here| {
            if here.can(Action::ManageKnowledge) {
                view! { <SourceLoader here source_id /> }.into_any()
            } else {
                view! {
                    <PageHeader title="Knowledge" />
                    <NotAllowed role=here.role() what=NOT_ALLOWED />
                }
                .into_any()
            }
        } />
    }
}

#[component]
fn SourceLoader(here: Here, source_id: Memo<String>) -> impl IntoView {
    let workspace_id = here.workspace.id.clone();
    let detail = Resource::new(move || source_id.get(), move |id| knowledge_source(workspace_id.clone(), id));
    let list = here.path("/knowledge");
    let workspace_id = StoredValue::new(here.workspace.id.clone());
    view! {
        <p class="back-link"><A href=list.clone()>"← All knowledge"</A></p>
        <Suspense fallback=|| view! { <Loading label="Loading the source…" /> }>
            {move || {
                let list = list.clone();
                Suspend::new(async move {
                    match detail.await {
                        Ok(detail) => view! { <SourceDetailView workspace_id=workspace_id.get_value() detail list /> }.into_any(),
                        Err(error) => view! {
                            <Title text="Knowledge" />
                            <ErrorPanel error />
                        }
                        .into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn SourceDetailView(workspace_id: String, detail: SourceDetail, list: String) -> impl IntoView {
    let ids = StoredValue::new((workspace_id.clone(), detail.source.id.clone()));
    let live = Live::new(detail, move || {
        let (workspace_id, source_id) = ids.get_value();
        knowledge_source(workspace_id, source_id)
    });
    live.poll_while(|d| d.source.status.is_active());
    let value = live.value;
    let source = Memo::new(move |_| value.with(|d| d.source.clone()));
    let title = move || source.with(|s| s.title.clone());
    let status = move || source.with(|s| s.status);
    let changed = live.refresh;
    let navigate = StoredValue::new_local(use_navigate());
    let deleted = {
        let list = list.clone();
        Callback::new(move |()| {
            navigate.with_value(|go| go(&list, NavigateOptions { replace: true, ..Default::default() }))
        })
    };
    let remote = source.with_untracked(|s| s.kind.is_remote());
    let failure = live.failure;

    view! {
        <Title text=title />
        <header class="page-header source-header">
            <div class="source-heading">
                <h1>{title}</h1>
                <p class="source-badges">
                    <span class="kind-badge">{move || source.with(|s| s.kind.label())}</span>
                    <StatusBadge status=Signal::derive(status) />
                </p>
            </div>
            <div class="source-header-actions">
                <SourceActions workspace_id=workspace_id.clone() source=source.into() changed deleted />
            </div>
        </header>
        {move || failure.get().map(|error| view! {
            <p class="form-error" role="alert">{format!("We couldn't refresh this page: {}", explain(&error))}</p>
        })}
        <div role="status" class="source-live">
            <SourceProgress source=source.into() />
        </div>
        {move || {
            let (failed, text, attempts) =
                value.with(|d| (d.source.status == SourceStatus::Failed, failure_text(&d.source), d.attempts));
            let note = value.with(|d| note_of(&d.source));
            let note = note.map(|note| view! {
                <div class="notice notice-warning" role="status">
                    <h2 class="notice-title">"Not everything was read"</h2>
                    <p>{note}</p>
                </div>
            });
            let failure = failed.then(|| view! {
                <div class="notice notice-danger source-failure" role="alert">
                    <h2 class="notice-title">"We couldn't read this source"</h2>
                    <p>{text}</p>
                    {(attempts > 0).then(|| view! {
                        <p class="muted small">{format!("Tried {}.", count_of(u64::from(attempts), "time", "times"))}</p>
                    })}
                </div>
            });
            (note, failure)
        }}
        <section class="panel" aria-labelledby="about-title">
            <h2 id="about-title">"About this source"</h2>
            <dl class="facts">
                {move || source.with(|s| s.location.clone()).map(|location| {
                    let shown = match web_link(&location) {
                        Some(url) => view! { <ExternalLink url=url.to_string() /> }.into_any(),
                        None => location.into_any(),
                    };
                    view! { <div><dt>{if remote { "Address" } else { "File" }}</dt><dd>{shown}</dd></div> }
                })}
                <div><dt>"Kind"</dt><dd>{move || source.with(|s| s.kind.label())}</dd></div>
                {move || source.with(|s| s.format.clone()).map(|format| view! { <div><dt>"Format"</dt><dd>{format}</dd></div> })}
                <div><dt>"Content"</dt><dd>{move || source.with(|s| contents(s.documents, s.chunks))}</dd></div>
                {move || source.with(|s| (s.bytes > 0).then_some(s.bytes)).map(|bytes| view! {
                    <div><dt>"Size"</dt><dd>{format_bytes(bytes)}</dd></div>
                })}
                <div><dt>"Added"</dt><dd>{move || view! { <Time at=source.with(|s| s.created_at) /> }}</dd></div>
                <div>
                    <dt>"Last synced"</dt>
                    <dd>{move || match source.with(|s| s.last_synced_at) {
                        Some(at) => view! { <Time at /> }.into_any(),
                        None => "Not yet".into_any(),
                    }}</dd>
                </div>
                {move || value.with(|d| d.next_sync_at).map(|at| view! { <div><dt>"Next sync"</dt><dd><Time at /></dd></div> })}
                {move || value.with(|d| (d.attempts > 0).then_some(d.attempts)).map(|attempts| view! {
                    <div><dt>"Failed attempts"</dt><dd>{format_count(u64::from(attempts))}</dd></div>
                })}
            </dl>
        </section>
        {remote.then(|| view! {
            <ScheduleForm workspace_id=workspace_id.clone() source=source.into() changed />
        })}
        <DocumentsPanel documents=Signal::derive(move || value.with(|d| d.documents.clone())) />
    }
}

#[component]
fn ScheduleForm(workspace_id: String, source: Signal<SourceSummary>, changed: Callback<()>) -> impl IntoView {
    let save = ServerAction::<SetSourceSchedule>::new();
    let outcome = Outcome::of(save);
    let (source_id, current) = source.with_untracked(|s| (s.id.clone(), s.sync_every_hours));
    let choice = RwSignal::new(current.map(|h| h.to_string()).unwrap_or_default());
    let flash = RwSignal::new(None::<String>);
    on_success(save, move |saved: &SourceSummary| {
        flash.set(Some(format!("Saved: {}.", schedule_label(saved.sync_every_hours))));
        changed.run(());
    });
    Effect::new(move |_| {
        if save.pending().get() {
            flash.set(None);
        }
    });
    let error = outcome.field("sync_every_hours");
    view! {
        <section class="panel" aria-labelledby="schedule-title">
            <h2 id="schedule-title">"Re-sync schedule"</h2>
            <p class="muted">"We read the pages again on this schedule and update what changed. Re-sync now any time with the button above."</p>
            <ActionForm action=save attr:class="form-row schedule-form">
                <input type="hidden" name="workspace_id" value=workspace_id />
                <input type="hidden" name="source_id" value=source_id />
                {move || {
                    let hours = choice.get();
                    (!hours.is_empty()).then(|| view! { <input type="hidden" name="sync_every_hours" value=hours /> })
                }}
                <div class="field">
                    <label for="schedule-select">"Re-sync"</label>
                    <select
                        id="schedule-select"
                        aria-describedby="schedule-select-error"
                        aria-invalid=move || error.get().is_some().to_string()
                        on:change=move |ev| choice.set(event_target_value(&ev))
                    >
                        <ScheduleOptions selected=current />
                    </select>
                    <p class="field-error" id="schedule-select-error">{move || error.get()}</p>
                </div>
                <div class="form-row-submit">
                    <Submit label="Save schedule" busy="Saving…" pending=save.pending() small=true />
                </div>
                <FormAlert message=Signal::derive(move || outcome.error().filter(|e| e.field("sync_every_hours").is_none()).map(|e| explain(&e))) />
            </ActionForm>
            <p class="form-success" role="status">{move || flash.get()}</p>
        </section>
    }
}

#[component]
fn DocumentsPanel(documents: Signal<Vec<DocumentSummary>>) -> impl IntoView {
    let count = move || documents.with(Vec::len);
    view! {
        <section class="panel" aria-labelledby="documents-title">
            <h2 id="documents-title">"Documents " <span class="count">{count}</span></h2>
            <Show
                when=move || { count() > 0 }
                fallback=|| view! { <p class="muted">"No documents yet. They appear here once the source has been read."</p> }
            >
                <div class="table-wrap">
                    <table class="table documents">
                        <caption class="sr-only">"Documents in this source"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Title"</th>
                                <th scope="col">"Address"</th>
                                <th scope="col">"Pages"</th>
                                <th scope="col">"Passages"</th>
                                <th scope="col">"Updated"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=move || documents.get() key=|d| (d.id.clone(), d.updated_at, d.chunks) let:document>
                                <tr>
                                    <th scope="row">{document.title.clone()}</th>
                                    <td class="document-url">
                                        {match document.url.as_deref().and_then(web_link) {
                                            Some(url) => view! { <ExternalLink url=url.to_string() /> }.into_any(),
                                            None => "—".into_any(),
                                        }}
                                    </td>
                                    <td>{document.pages.map(|p| format_count(u64::from(p))).unwrap_or_else(|| "—".to_string())}</td>
                                    <td>{format_count(u64::from(document.chunks))}</td>
                                    <td class="nowrap"><Time at=document.updated_at /></td>
                                </tr>
                            </For>
                        </tbody>
                    </table>
                </div>
            </Show>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage() -> KnowledgeUsage {
        KnowledgeUsage {
            plan: "free".into(),
            sources: 3,
            max_sources: 5,
            chunks: 0,
            max_chunks: 5_000,
            bytes: 0,
            max_bytes: 50 << 20,
            max_file_bytes: 10 << 20,
            max_files_per_upload: 3,
            max_crawl_pages: 100,
        }
    }

    fn files(sizes: &[u64]) -> Vec<(String, u64)> {
        sizes.iter().enumerate().map(|(i, s)| (format!("f{i}.pdf"), *s)).collect()
    }

    #[test]
    fn precheck_refuses_too_many_files_at_once() {
        let error = precheck(&files(&[1, 1, 1, 1]), &usage()).unwrap_err();
        assert!(error.contains("You chose 4 files") && error.contains("up to 3"), "{error}");
    }

    #[test]
    fn precheck_refuses_empty_and_oversized_files_alone() {
        let checked = precheck(&files(&[0, 11 << 20]), &usage()).unwrap();
        assert!(checked.send.is_empty());
        assert_eq!(checked.refused[0].1.error.as_deref(), Some("This file is empty."));
        assert_eq!(
            checked.refused[1].1.error.as_deref(),
            Some("This file is 11 MB; your plan takes files up to 10 MB.")
        );
        let checked = precheck(&files(&[5, 11 << 20]), &usage()).unwrap();
        assert_eq!(checked.send, [0]);
        assert_eq!(checked.refused[0].0, 1);
    }

    #[test]
    fn precheck_keeps_to_the_sources_left() {
        let error = precheck(&files(&[1, 1, 1]), &usage()).unwrap_err();
        assert!(error.contains("room for 2 more sources"), "{error}");
        let full = KnowledgeUsage { sources: 5, ..usage() };
        assert!(precheck(&files(&[1]), &full).unwrap_err().contains("all in use"));
    }

    #[test]
    fn reads_upload_responses() {
        let ok = r#"[{"file_name":"a.pdf","source":null,"error":"this file type is not supported"}]"#;
        match read_response(200, ok) {
            Finished::Outcomes(list) => assert_eq!(list[0].error.as_deref(), Some("this file type is not supported")),
            other => panic!("{other:?}"),
        }
        assert_eq!(read_response(413, r#"{"error":"Too big."}"#), Finished::Failed("Too big.".into()));
        assert_eq!(
            read_response(401, "<html>"),
            Finished::Failed("You're logged out. Log in again, then upload your files.".into())
        );
        assert_eq!(read_response(0, ""), Finished::Failed(UPLOAD_NETWORK.into()));
        assert_eq!(read_response(200, "nope"), Finished::Failed(ServiceError::Internal.to_string()));
    }

    #[test]
    fn upload_outcomes_become_results() {
        let failed: FileResult = UploadOutcome { file_name: "x.pdf".into(), source: None, error: None }.into();
        assert!(failed.error.is_some());
    }

    #[test]
    fn labels_schedules() {
        assert_eq!(schedule_label(None), "Don't re-sync");
        let labels: Vec<String> = SYNC_CHOICES.into_iter().map(|h| schedule_label(Some(h))).collect();
        assert_eq!(labels, ["Every 6 hours", "Daily", "Weekly", "Monthly"]);
    }

    #[test]
    fn tabs_move_with_arrow_keys() {
        assert_eq!(AddTab::Files.after_key("ArrowRight"), Some(AddTab::Web));
        assert_eq!(AddTab::Files.after_key("ArrowLeft"), Some(AddTab::Text));
        assert_eq!(AddTab::Qa.after_key("Home"), Some(AddTab::Files));
        assert_eq!(AddTab::Qa.after_key("End"), Some(AddTab::Text));
        assert_eq!(AddTab::Qa.after_key("a"), None);
    }

    #[test]
    fn links_only_web_addresses() {
        assert_eq!(web_link("https://example.com/a"), Some("https://example.com/a"));
        assert_eq!(web_link("HTTP://example.com"), Some("HTTP://example.com"));
        assert_eq!(web_link("javascript:alert(1)"), None);
        assert_eq!(web_link("guide.pdf"), None);
    }
}
