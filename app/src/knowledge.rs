//! The knowledge base as the dashboard sees it: sources and their status,
//! usage against the plan, and "Test a question" passages. Files are
//! uploaded through `POST /api/w/{workspace_id}/knowledge/files` (multipart,
//! so the browser can show progress); everything else is a server function.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{FieldErrors, ServiceError};
use crate::validate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    File,
    Url,
    Sitemap,
    Crawl,
    Qa,
    Text,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::File => "file",
            SourceKind::Url => "url",
            SourceKind::Sitemap => "sitemap",
            SourceKind::Crawl => "crawl",
            SourceKind::Qa => "qa",
            SourceKind::Text => "text",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [SourceKind::File, SourceKind::Url, SourceKind::Sitemap, SourceKind::Crawl, SourceKind::Qa, SourceKind::Text]
            .into_iter()
            .find(|k| k.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            SourceKind::File => "File",
            SourceKind::Url => "Web page",
            SourceKind::Sitemap => "Sitemap",
            SourceKind::Crawl => "Website",
            SourceKind::Qa => "Q&A",
            SourceKind::Text => "Snippet",
        }
    }

    /// Sources that are fetched from the web, and so can be re-synced.
    pub fn is_remote(self) -> bool {
        matches!(self, SourceKind::Url | SourceKind::Sitemap | SourceKind::Crawl)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceStatus {
    Queued,
    Processing,
    Ready,
    Failed,
    Cancelled,
}

impl SourceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceStatus::Queued => "queued",
            SourceStatus::Processing => "processing",
            SourceStatus::Ready => "ready",
            SourceStatus::Failed => "failed",
            SourceStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            SourceStatus::Queued,
            SourceStatus::Processing,
            SourceStatus::Ready,
            SourceStatus::Failed,
            SourceStatus::Cancelled,
        ]
        .into_iter()
        .find(|k| k.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            SourceStatus::Queued => "Queued",
            SourceStatus::Processing => "Processing",
            SourceStatus::Ready => "Ready",
            SourceStatus::Failed => "Failed",
            SourceStatus::Cancelled => "Cancelled",
        }
    }

    pub fn is_active(self) -> bool {
        matches!(self, SourceStatus::Queued | SourceStatus::Processing)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceSummary {
    pub id: String,
    pub kind: SourceKind,
    pub title: String,
    /// The URL, or the uploaded file's name (for display only).
    pub location: Option<String>,
    /// "PDF", "Word document", … once known.
    pub format: Option<String>,
    pub status: SourceStatus,
    /// 0–100 while processing.
    pub progress: u8,
    /// What went wrong, in words for the uploader.
    pub error: Option<String>,
    pub documents: u32,
    pub chunks: u32,
    pub bytes: u64,
    pub created_at: i64,
    pub last_synced_at: Option<i64>,
    pub sync_every_hours: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnowledgeUsage {
    pub plan: String,
    pub sources: u32,
    pub max_sources: u32,
    pub chunks: u32,
    pub max_chunks: u32,
    pub bytes: u64,
    pub max_bytes: u64,
    pub max_file_bytes: u64,
    pub max_files_per_upload: u32,
    pub max_crawl_pages: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnowledgeOverview {
    pub sources: Vec<SourceSummary>,
    pub usage: KnowledgeUsage,
    /// Which embedder the index uses, e.g. "local:all-MiniLM-L6-v2".
    pub embedder: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentSummary {
    pub id: String,
    pub title: String,
    pub url: Option<String>,
    pub pages: Option<u32>,
    pub chunks: u32,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceDetail {
    pub source: SourceSummary,
    pub documents: Vec<DocumentSummary>,
    /// Failed attempts of the current job, when it is being retried.
    pub attempts: u32,
    pub next_sync_at: Option<i64>,
}

/// One passage retrieval would hand the bot, with what a citation needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    pub chunk_id: String,
    pub source_id: String,
    pub document_title: String,
    pub heading_path: Vec<String>,
    pub page: Option<u32>,
    pub url: Option<String>,
    pub text: String,
    /// Fused rank score (reciprocal rank fusion).
    pub score: f32,
    /// Cosine similarity of the question and the passage.
    pub similarity: f32,
    /// BM25 score (0 when no word matched).
    pub text_score: f32,
    /// Share of the question's words (weighted by rarity) the passage holds.
    pub coverage: f32,
    /// The same, over its title and headings alone.
    pub heading_coverage: f32,
}

/// What "Test a question" shows: the reply a visitor would get, composed
/// as the widget composes it without a language model, and the passages
/// behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestAnswer {
    /// Plain text with `[n]` markers, or the offer of a person.
    pub body: String,
    pub citations: Vec<crate::chat::Citation>,
    /// False when the knowledge does not hold the answer: the visitor is
    /// offered a person instead.
    pub answered: bool,
    /// 0–1: how sure the answer engine is that the cited passage answers.
    pub confidence: f32,
    /// Ranked by retrieval, best first.
    pub passages: Vec<Passage>,
}

/// One file's outcome in a multi-file upload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadOutcome {
    pub file_name: String,
    pub source: Option<SourceSummary>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UrlMode {
    Page,
    Sitemap,
    Crawl,
}

impl UrlMode {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "page" => Some(UrlMode::Page),
            "sitemap" => Some(UrlMode::Sitemap),
            "crawl" => Some(UrlMode::Crawl),
            _ => None,
        }
    }

    pub fn kind(self) -> SourceKind {
        match self {
            UrlMode::Page => SourceKind::Url,
            UrlMode::Sitemap => SourceKind::Sitemap,
            UrlMode::Crawl => SourceKind::Crawl,
        }
    }
}

/// Re-sync intervals the dashboard offers, in hours.
pub const SYNC_CHOICES: [u32; 4] = [6, 24, 24 * 7, 24 * 30];
pub const QUESTION_MAX: usize = 500;
pub const SNIPPET_MAX: usize = 20_000;
pub const TITLE_MAX: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUrlSource {
    pub url: String,
    pub mode: UrlMode,
    pub sync_every_hours: Option<u32>,
}

pub fn validate_url_source(url: &str, mode: &str, sync_every_hours: Option<u32>) -> Result<NewUrlSource, FieldErrors> {
    let mut errors = FieldErrors::new();
    let url = url.trim();
    let lowered = url.to_ascii_lowercase();
    if url.is_empty() {
        errors.insert("url".into(), "Please enter the page's address.".into());
    } else if !(lowered.starts_with("https://") || lowered.starts_with("http://"))
        || url.len() > 2000
        || url.contains(char::is_whitespace)
    {
        errors.insert("url".into(), "Use a full web address starting with https://.".into());
    }
    let mode = UrlMode::parse(mode);
    if mode.is_none() {
        errors.insert("mode".into(), "Choose a single page, a sitemap or a whole site.".into());
    }
    if sync_every_hours.is_some_and(|h| !SYNC_CHOICES.contains(&h)) {
        errors.insert("sync_every_hours".into(), "Choose one of the offered schedules.".into());
    }
    match mode {
        Some(mode) if errors.is_empty() => Ok(NewUrlSource { url: url.to_owned(), mode, sync_every_hours }),
        _ => Err(errors),
    }
}

/// A typed snippet: a Q&A pair or a titled text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSnippet {
    pub kind: SourceKind,
    pub title: String,
    pub body: String,
}

pub fn validate_qa(question: &str, answer: &str) -> Result<NewSnippet, FieldErrors> {
    let mut errors = FieldErrors::new();
    let title = validate::required_line("question", question, QUESTION_MAX, "Please write the question.", &mut errors);
    let body = validate::clean_text(answer);
    if body.trim().is_empty() {
        errors.insert("answer".into(), "Please write the answer.".into());
    } else if body.chars().count() > SNIPPET_MAX {
        errors.insert("answer".into(), format!("Keep the answer under {SNIPPET_MAX} characters."));
    }
    if errors.is_empty() {
        Ok(NewSnippet { kind: SourceKind::Qa, title, body })
    } else {
        Err(errors)
    }
}

pub fn validate_text(title: &str, text: &str) -> Result<NewSnippet, FieldErrors> {
    let mut errors = FieldErrors::new();
    let title = validate::required_line("title", title, TITLE_MAX, "Please give the snippet a title.", &mut errors);
    let body = validate::clean_text(text);
    if body.trim().is_empty() {
        errors.insert("text".into(), "Please write some text.".into());
    } else if body.chars().count() > SNIPPET_MAX {
        errors.insert(
            "text".into(),
            format!("Keep a snippet under {SNIPPET_MAX} characters; upload longer texts as a file."),
        );
    }
    if errors.is_empty() {
        Ok(NewSnippet { kind: SourceKind::Text, title, body })
    } else {
        Err(errors)
    }
}

pub fn validate_question(question: &str) -> Result<String, FieldErrors> {
    let mut errors = FieldErrors::new();
    let question = validate::required_line(
        "question",
        question,
        QUESTION_MAX,
        "Type a question your customers might ask.",
        &mut errors,
    );
    if errors.is_empty() {
        Ok(question)
    } else {
        Err(errors)
    }
}

#[server(endpoint = "knowledge/overview")]
pub async fn load_knowledge_overview(workspace_id: String) -> Result<KnowledgeOverview, ServiceError> {
    crate::services::call(|s, caller| async move { s.knowledge.overview(&caller, &workspace_id).await }).await
}

#[server(endpoint = "knowledge/source")]
pub async fn knowledge_source(workspace_id: String, source_id: String) -> Result<SourceDetail, ServiceError> {
    crate::services::call(|s, caller| async move { s.knowledge.source(&caller, &workspace_id, &source_id).await }).await
}

#[server(endpoint = "knowledge/add_url")]
pub async fn add_url_source(
    workspace_id: String,
    url: String,
    mode: String,
    sync_every_hours: Option<u32>,
) -> Result<SourceSummary, ServiceError> {
    let source = crate::services::with_status(
        validate_url_source(&url, &mode, sync_every_hours).map_err(ServiceError::Invalid),
    )?;
    crate::services::call(|s, caller| async move { s.knowledge.add_url(&caller, &workspace_id, source).await }).await
}

#[server(endpoint = "knowledge/add_qa")]
pub async fn add_qa_source(
    workspace_id: String,
    question: String,
    answer: String,
) -> Result<SourceSummary, ServiceError> {
    let snippet = crate::services::with_status(validate_qa(&question, &answer).map_err(ServiceError::Invalid))?;
    crate::services::call(|s, caller| async move { s.knowledge.add_snippet(&caller, &workspace_id, snippet).await })
        .await
}

#[server(endpoint = "knowledge/add_text")]
pub async fn add_text_source(workspace_id: String, title: String, text: String) -> Result<SourceSummary, ServiceError> {
    let snippet = crate::services::with_status(validate_text(&title, &text).map_err(ServiceError::Invalid))?;
    crate::services::call(|s, caller| async move { s.knowledge.add_snippet(&caller, &workspace_id, snippet).await })
        .await
}

#[server(endpoint = "knowledge/delete")]
pub async fn delete_source(workspace_id: String, source_id: String) -> Result<(), ServiceError> {
    crate::services::call(|s, caller| async move { s.knowledge.delete(&caller, &workspace_id, &source_id).await }).await
}

#[server(endpoint = "knowledge/resync")]
pub async fn resync_source(workspace_id: String, source_id: String) -> Result<SourceSummary, ServiceError> {
    crate::services::call(|s, caller| async move { s.knowledge.resync(&caller, &workspace_id, &source_id).await }).await
}

#[server(endpoint = "knowledge/cancel")]
pub async fn cancel_source(workspace_id: String, source_id: String) -> Result<SourceSummary, ServiceError> {
    crate::services::call(|s, caller| async move { s.knowledge.cancel(&caller, &workspace_id, &source_id).await }).await
}

#[server(endpoint = "knowledge/schedule")]
pub async fn set_source_schedule(
    workspace_id: String,
    source_id: String,
    sync_every_hours: Option<u32>,
) -> Result<SourceSummary, ServiceError> {
    if sync_every_hours.is_some_and(|h| !SYNC_CHOICES.contains(&h)) {
        return crate::services::with_status(Err(ServiceError::invalid(
            "sync_every_hours",
            "Choose one of the offered schedules.",
        )));
    }
    crate::services::call(|s, caller| async move {
        s.knowledge.schedule(&caller, &workspace_id, &source_id, sync_every_hours).await
    })
    .await
}

#[server(endpoint = "knowledge/test")]
pub async fn test_question(
    workspace_id: String,
    question: String,
    #[server(default)] source_ids: Vec<String>,
) -> Result<TestAnswer, ServiceError> {
    let question = crate::services::with_status(validate_question(&question).map_err(ServiceError::Invalid))?;
    crate::services::call(|s, caller| async move {
        s.knowledge.test_question(&caller, &workspace_id, &question, source_ids).await
    })
    .await
}
