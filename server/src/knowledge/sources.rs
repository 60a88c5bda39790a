//! The service side of sources: adding, listing, deleting, re-syncing and
//! testing questions (`KnowledgeService`), and reading web sources.

use std::collections::{HashSet, VecDeque};

use app::error::ServiceError;
use app::knowledge::{
    DocumentSummary, KnowledgeOverview, KnowledgeUsage, NewSnippet, NewUrlSource, SourceDetail, SourceKind,
    SourceStatus, SourceSummary, TestAnswer, UrlMode,
};
use app::permissions::Action;
use app::plans::KnowledgeLimits;
use app::services::{Caller, KnowledgeService};
use url::Url;

use super::extract::{self, Block, BlockKind, ExtractError, Extracted, Format, Reading};
use super::fetch::{sitemap_locations, FetchError, Robots};
use super::index::Mode;
use super::jobs::{self, Job, JobKind};
use super::records::SourceRecord;
use super::{store_error, summary, JobError, Knowledge};
use crate::error::AppError;
use crate::sql::now_millis;

/// Links followed from the start page when crawling a site.
const MAX_CRAWL_DEPTH: usize = 3;
/// Child sitemaps read from a sitemap index.
const MAX_CHILD_SITEMAPS: usize = 20;
/// Longer page addresses are skipped: every chunk of a page keeps a copy.
const MAX_URL_BYTES: usize = 2_048;

/// A Q&A pair or snippet as a document: its title as the heading.
pub fn snippet_document(title: &str, body: &str) -> Extracted {
    let mut blocks = vec![Block { kind: BlockKind::Heading(1), text: title.to_owned(), page: None }];
    blocks.extend(body.split("\n\n").filter(|p| !p.trim().is_empty()).map(|p| Block {
        kind: BlockKind::Paragraph,
        text: p.trim().to_owned(),
        page: None,
    }));
    Extracted { format: Format::Text, title: Some(title.to_owned()), blocks, pages: None, links: Vec::new() }
}

/// A parsed snippet headed by its title, unless it opens with a title of its own.
pub fn titled(title: &str, mut extracted: Extracted) -> Extracted {
    if extracted.blocks.first().is_none_or(|b| b.kind != BlockKind::Heading(1)) {
        extracted.blocks.insert(0, Block { kind: BlockKind::Heading(1), text: title.to_owned(), page: None });
    }
    extracted.title = Some(title.to_owned());
    extracted
}

/// A file name fit to show: its last path segment, without controls, at
/// most 200 characters. It is never used as a path.
pub fn display_name(file_name: &str) -> String {
    let last =
        file_name.rsplit(['/', '\\']).find(|s| !s.trim().is_empty() && *s != ".." && *s != ".").unwrap_or("upload");
    let clean: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.trim().is_empty() {
        "upload".into()
    } else {
        clean.trim().to_owned()
    }
}

fn sql_error(e: sqlx::Error) -> ServiceError {
    ServiceError::from(AppError::from(e))
}

fn fetch_job_error(error: FetchError) -> JobError {
    match error {
        FetchError::Timeout(_) | FetchError::Connect(_) | FetchError::Failed { .. } => {
            JobError::Transient(error.to_string())
        }
        FetchError::Status { status, .. } if status >= 500 || status == 429 => JobError::Transient(error.to_string()),
        _ => JobError::Permanent(error.to_string()),
    }
}

impl Knowledge {
    /// The caller's plan limits, once they may manage this workspace's knowledge.
    pub async fn limits_for(&self, caller: &Caller, workspace_id: &str) -> Result<KnowledgeLimits, ServiceError> {
        self.authorize(caller, workspace_id).await
    }

    /// Whether any source is ready to answer from (a new workspace's first step).
    pub async fn has_ready_source(&self, workspace_id: &str) -> Result<bool, ServiceError> {
        let sources = self.records.sources(workspace_id).await.map_err(store_error)?;
        Ok(sources.iter().any(|s| s.status == SourceStatus::Ready.as_str()))
    }

    /// Notes, once per workspace, that the team tried a question (a new
    /// workspace's first steps tick it).
    async fn note_tested(&self, workspace_id: &str) -> Result<(), ServiceError> {
        sqlx::query(
            "INSERT INTO chat_events (id, workspace_id, conversation_id, kind, detail, created_at)
             SELECT $1, $2, NULL, 'question_tested', '{}', $3
             WHERE NOT EXISTS (SELECT 1 FROM chat_events WHERE workspace_id = $2 AND kind = 'question_tested')",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(workspace_id)
        .bind(crate::sql::now_millis())
        .execute(self.sql.pool())
        .await
        .map_err(sql_error)?;
        Ok(())
    }

    async fn authorize(&self, caller: &Caller, workspace_id: &str) -> Result<KnowledgeLimits, ServiceError> {
        let actor = self.accounts.authorize(caller, workspace_id, Action::ManageKnowledge).await?;
        Ok(KnowledgeLimits::for_plan(&actor.workspace.plan))
    }

    async fn owned_source(&self, workspace_id: &str, source_id: &str) -> Result<SourceRecord, ServiceError> {
        if source_id.is_empty() || source_id.len() > 64 {
            return Err(ServiceError::NotFound);
        }
        self.records.source(workspace_id, source_id).await.map_err(store_error)?.ok_or(ServiceError::NotFound)
    }

    /// Refuses a new source that the plan has no room for.
    async fn room_for(&self, workspace_id: &str, limits: &KnowledgeLimits, bytes: u64) -> Result<(), ServiceError> {
        let sources = self.records.sources(workspace_id).await.map_err(store_error)?;
        if sources.len() as u32 >= limits.max_sources {
            return Err(ServiceError::Rejected(format!(
                "Your plan holds up to {} sources. Remove one or upgrade to add more.",
                limits.max_sources
            )));
        }
        let used: u64 = sources.iter().map(|s| s.bytes.max(0) as u64).sum();
        if used + bytes > limits.max_bytes {
            return Err(ServiceError::Rejected(format!(
                "Your plan holds up to {} MB of files; this would take you past it.",
                limits.max_bytes / (1024 * 1024)
            )));
        }
        Ok(())
    }

    /// Adds typed text (Q&A, a snippet, or seeded help content) without a
    /// caller: callers have been checked already.
    pub(crate) async fn add_text(
        &self,
        workspace_id: &str,
        snippet: NewSnippet,
    ) -> Result<SourceSummary, ServiceError> {
        let mut record = Self::new_record(snippet.kind, snippet.title);
        record.bytes = snippet.body.len() as i64;
        record.body = Some(snippet.body);
        record.format = Some("Text".into());
        self.create(workspace_id, record).await
    }

    async fn create(&self, workspace_id: &str, record: SourceRecord) -> Result<SourceSummary, ServiceError> {
        self.records.put_source(workspace_id, &record).await.map_err(store_error)?;
        jobs::enqueue(self.sql.pool(), workspace_id, &record.key, JobKind::Ingest).await.map_err(sql_error)?;
        self.wake.notify_one();
        Ok(summary(&record))
    }

    fn new_record(kind: SourceKind, title: String) -> SourceRecord {
        SourceRecord {
            key: uuid::Uuid::new_v4().simple().to_string(),
            kind: kind.as_str().into(),
            title,
            location: None,
            url: None,
            format: None,
            status: SourceStatus::Queued.as_str().into(),
            progress: 0,
            error: None,
            documents: 0,
            chunks: 0,
            bytes: 0,
            created_at: now_millis(),
            last_synced_at: None,
            sync_every_hours: None,
            body: None,
        }
    }

    /// Reads a page, sitemap or site. Returns the documents seen, and
    /// whether the whole source was read (not stopped early for lack of room).
    pub(crate) async fn ingest_remote(
        &self,
        job: &Job,
        source: &mut SourceRecord,
        kind: SourceKind,
        limits: &KnowledgeLimits,
    ) -> Result<(HashSet<String>, bool), JobError> {
        let start = Url::parse(source.url.as_deref().unwrap_or_default())
            .map_err(|_| JobError::Permanent("the source's address is invalid".into()))?;
        self.fetcher.check(&start).map_err(|e| JobError::Permanent(e.to_string()))?;
        // robots.txt is the first request to the site: when the site cannot
        // be reached at all, the source fails now, saying why, rather than
        // waiting in the queue for retries that would fail the same way.
        let robots = match self.fetcher.get(&start.join("/robots.txt").expect("a path joins")).await {
            Ok(r) => Robots::parse(&String::from_utf8_lossy(&r.body)),
            Err(e) if e.is_unreachable() => {
                return Err(JobError::Permanent(format!(
                    "the site could not be reached: {e}. Check the address, then re-sync"
                )))
            }
            Err(_) => Robots::default(),
        };
        let delay = robots.crawl_delay.unwrap_or(self.fetch_delay);
        let max_pages = limits.max_crawl_pages as usize;
        let mut queue: VecDeque<(Url, usize)> = match kind {
            SourceKind::Sitemap => self.sitemap_pages(&start, max_pages).await?.into_iter().map(|u| (u, 0)).collect(),
            _ => VecDeque::from([(start.clone(), 0)]),
        };
        let mut visited: HashSet<String> = queue.iter().map(|(u, _)| u.to_string()).collect();
        let mut seen = HashSet::new();
        let mut fetched_bytes = 0i64;
        let mut failures = Vec::new();
        let mut done = 0usize;
        let mut complete = true;
        while let Some((url, depth)) = queue.pop_front() {
            if done >= max_pages {
                break;
            }
            done += 1;
            if !robots.allows(url.path()) {
                failures.push(format!("{url} is disallowed by robots.txt"));
                continue;
            }
            if done > 1 && !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let span = |i: usize, queued: usize| 5 + 90 * i as i64 / (queued + done).max(1) as i64;
            // Still ours? (Also renews the lease across slow pages and pauses.)
            self.progress(job, span(done - 1, queue.len())).await?;
            let page = match self.fetcher.get(&url).await {
                // Every chunk of a page carries its address: bounded like its other copies.
                Ok(page) if page.url.as_str().len() > MAX_URL_BYTES => {
                    failures.push(format!("{}…: the address is too long", &url.as_str()[..80.min(url.as_str().len())]));
                    continue;
                }
                Ok(page) => page,
                Err(e) if kind == SourceKind::Url => return Err(fetch_job_error(e)),
                Err(e) => {
                    failures.push(e.to_string());
                    continue;
                }
            };
            fetched_bytes += page.body.len() as i64;
            let reading = if page.content_type.contains("html") {
                Reading::As(Format::Html)
            } else if extract::named_markdown(page.url.path(), Some(&page.content_type)) {
                Reading::PreferringMarkdown
            } else if page.content_type.starts_with("text/plain") {
                Reading::As(Format::Text)
            } else {
                Reading::Sniffed
            };
            let document_id = url_document_id(&source.key, &page.url);
            let max_text = match self.text_room(job, &document_id, limits).await {
                Ok(room) => room,
                Err(JobError::NoRoom(reason)) if !seen.is_empty() => {
                    source.error = Some(stopped_at_limit(seen.len(), &reason));
                    complete = false;
                    break;
                }
                Err(e) => return Err(e),
            };
            let extracted = match self.extract(&page.body, reading, max_text).await {
                Ok(e) => e,
                Err(ExtractError::NoRoom) if !seen.is_empty() => {
                    source.error = Some(stopped_at_limit(seen.len(), &ExtractError::NoRoom.to_string()));
                    complete = false;
                    break;
                }
                Err(e) if kind == SourceKind::Url => return Err(JobError::Permanent(e.to_string())),
                Err(e) => {
                    failures.push(format!("{url}: {e}"));
                    continue;
                }
            };
            source.format.get_or_insert_with(|| extracted.format.label().to_owned());
            if kind == SourceKind::Crawl && depth < MAX_CRAWL_DEPTH {
                for link in &extracted.links {
                    let Ok(mut next) = page.url.join(link) else { continue };
                    next.set_fragment(None);
                    if next.host_str() == start.host_str()
                        && matches!(next.scheme(), "http" | "https")
                        && next.as_str().len() <= MAX_URL_BYTES
                        && visited.len() < max_pages * 4
                        && visited.insert(next.to_string())
                    {
                        queue.push_back((next, depth + 1));
                    }
                }
            }
            let title = extracted.title.clone().unwrap_or_else(|| page.url.path().to_owned());
            let stored = self
                .store_document(
                    job,
                    &source.key,
                    &document_id,
                    &title,
                    Some(page.url.as_str()),
                    &extracted,
                    (span(done - 1, queue.len()), span(done, queue.len())),
                    limits,
                )
                .await;
            match stored {
                Ok(_) => {
                    seen.insert(document_id);
                }
                // Pages already read stay; the rest wait for room.
                Err(JobError::NoRoom(reason)) if !seen.is_empty() => {
                    source.error = Some(stopped_at_limit(seen.len(), &reason));
                    complete = false;
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        if seen.is_empty() {
            return Err(JobError::Permanent(
                failures.into_iter().next().unwrap_or_else(|| "no pages could be read".into()),
            ));
        }
        source.bytes = fetched_bytes;
        if !failures.is_empty() {
            tracing::info!(source = %source.key, skipped = failures.len(), "some pages were skipped");
        }
        Ok((seen, complete))
    }

    async fn sitemap_pages(&self, sitemap: &Url, max_pages: usize) -> Result<Vec<Url>, JobError> {
        let body = self.fetcher.get(sitemap).await.map_err(fetch_job_error)?.body;
        let (locations, is_index) = sitemap_locations(&String::from_utf8_lossy(&body));
        let mut pages = Vec::new();
        let same_host = |u: &Url| u.host_str() == sitemap.host_str();
        if is_index {
            for child in locations.iter().filter_map(|l| Url::parse(l).ok()).filter(same_host).take(MAX_CHILD_SITEMAPS)
            {
                if let Ok(r) = self.fetcher.get(&child).await {
                    pages.extend(sitemap_locations(&String::from_utf8_lossy(&r.body)).0);
                }
                if pages.len() >= max_pages {
                    break;
                }
            }
        } else {
            pages = locations;
        }
        let mut unique = HashSet::new();
        let pages: Vec<Url> = pages
            .iter()
            .filter_map(|l| Url::parse(l).ok())
            .filter(same_host)
            .filter(|u| u.as_str().len() <= MAX_URL_BYTES)
            .filter(|u| unique.insert(u.to_string()))
            .take(max_pages)
            .collect();
        if pages.is_empty() {
            return Err(JobError::Permanent("the sitemap lists no pages on its own site".into()));
        }
        Ok(pages)
    }
}

/// What a crawl that ran out of room says on its source.
fn stopped_at_limit(pages: usize, reason: &str) -> String {
    let pages = if pages == 1 { "1 page".to_owned() } else { format!("{pages} pages") };
    format!("Stopped after {pages}: {reason}.")
}

/// Stable per source and page: two sources that include the same page each
/// keep their own copy.
fn url_document_id(source_id: &str, url: &Url) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(source_id.as_bytes());
    hasher.update([0]);
    hasher.update(url.as_str().as_bytes());
    hex::encode(&hasher.finalize()[..16])
}

#[async_trait::async_trait]
impl KnowledgeService for Knowledge {
    async fn overview(&self, caller: &Caller, workspace_id: &str) -> Result<KnowledgeOverview, ServiceError> {
        let limits = self.authorize(caller, workspace_id).await?;
        let records = self.records.sources(workspace_id).await.map_err(store_error)?;
        let plan: Option<(String,)> = sqlx::query_as("SELECT plan FROM workspaces WHERE id = $1")
            .bind(workspace_id)
            .fetch_optional(self.sql.pool())
            .await
            .map_err(sql_error)?;
        let usage = KnowledgeUsage {
            plan: plan.map_or_else(|| "free".into(), |p| p.0),
            sources: records.len() as u32,
            max_sources: limits.max_sources,
            // As stored, so a crawl's pages count while it runs.
            chunks: self.records.chunks_stored(workspace_id, None).await.map_err(store_error)?.max(0) as u32,
            max_chunks: limits.max_chunks,
            bytes: records.iter().map(|s| s.bytes.max(0) as u64).sum(),
            max_bytes: limits.max_bytes,
            max_file_bytes: limits.max_file_bytes,
            max_files_per_upload: limits.max_files_per_upload,
            max_crawl_pages: limits.max_crawl_pages,
        };
        Ok(KnowledgeOverview {
            sources: records.iter().map(summary).collect(),
            usage,
            embedder: self.embedder.id().to_owned(),
        })
    }

    async fn source(&self, caller: &Caller, workspace_id: &str, source_id: &str) -> Result<SourceDetail, ServiceError> {
        self.authorize(caller, workspace_id).await?;
        let record = self.owned_source(workspace_id, source_id).await?;
        let documents = self.records.documents(workspace_id, source_id).await.map_err(store_error)?;
        Ok(SourceDetail {
            source: summary(&record),
            documents: documents
                .into_iter()
                .map(|d| DocumentSummary {
                    id: d.key,
                    title: d.title,
                    url: d.url,
                    pages: d.pages.map(|p| p as u32),
                    chunks: d.chunks.max(0) as u32,
                    updated_at: d.updated_at,
                })
                .collect(),
            attempts: jobs::attempts(self.sql.pool(), workspace_id, source_id).await.map_err(sql_error)? as u32,
            next_sync_at: jobs::next_sync_at(self.sql.pool(), workspace_id, source_id).await.map_err(sql_error)?,
        })
    }

    async fn add_url(
        &self,
        caller: &Caller,
        workspace_id: &str,
        new: NewUrlSource,
    ) -> Result<SourceSummary, ServiceError> {
        let limits = self.authorize(caller, workspace_id).await?;
        let url = Url::parse(&new.url).map_err(|_| ServiceError::invalid("url", "That is not a valid web address."))?;
        if url.as_str().len() > MAX_URL_BYTES {
            return Err(ServiceError::invalid("url", "That address is too long."));
        }
        self.fetcher
            .check(&url)
            .map_err(|e| ServiceError::invalid("url", format!("{}.", capitalise(&e.to_string()))))?;
        self.room_for(workspace_id, &limits, 0).await?;
        let title = match new.mode {
            UrlMode::Page => url.as_str().to_owned(),
            UrlMode::Sitemap => format!("Sitemap of {}", url.host_str().unwrap_or_default()),
            UrlMode::Crawl => format!("Site {}", url.host_str().unwrap_or_default()),
        };
        let mut record = Self::new_record(new.mode.kind(), title);
        record.location = Some(url.to_string());
        record.url = Some(url.to_string());
        record.sync_every_hours = new.sync_every_hours.map(i64::from);
        jobs::set_schedule(self.sql.pool(), workspace_id, &record.key, new.sync_every_hours)
            .await
            .map_err(sql_error)?;
        self.create(workspace_id, record).await
    }

    async fn add_snippet(
        &self,
        caller: &Caller,
        workspace_id: &str,
        snippet: NewSnippet,
    ) -> Result<SourceSummary, ServiceError> {
        let limits = self.authorize(caller, workspace_id).await?;
        self.room_for(workspace_id, &limits, snippet.body.len() as u64).await?;
        self.add_text(workspace_id, snippet).await
    }

    async fn add_file(
        &self,
        caller: &Caller,
        workspace_id: &str,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<SourceSummary, ServiceError> {
        let limits = self.authorize(caller, workspace_id).await?;
        if bytes.len() as u64 > limits.max_file_bytes {
            return Err(ServiceError::Rejected(format!(
                "This file is larger than your plan's {} MB limit per file.",
                limits.max_file_bytes / (1024 * 1024)
            )));
        }
        if bytes.is_empty() {
            return Err(ServiceError::Rejected("This file is empty.".into()));
        }
        self.room_for(workspace_id, &limits, bytes.len() as u64).await?;
        let name = display_name(file_name);
        let mut record = Self::new_record(SourceKind::File, name.clone());
        record.location = Some(name);
        record.bytes = bytes.len() as i64;
        let path = self.upload_path(workspace_id, &record.key);
        let write = async {
            tokio::fs::create_dir_all(path.parent().expect("uploads have a parent")).await?;
            tokio::fs::write(&path, &bytes).await
        };
        write.await.map_err(|e| ServiceError::from(AppError::Task(format!("could not store an upload: {e}"))))?;
        self.create(workspace_id, record).await
    }

    async fn delete(&self, caller: &Caller, workspace_id: &str, source_id: &str) -> Result<(), ServiceError> {
        self.authorize(caller, workspace_id).await?;
        self.owned_source(workspace_id, source_id).await?;
        jobs::cancel(self.sql.pool(), workspace_id, source_id).await.map_err(sql_error)?;
        self.records.delete_source(workspace_id, source_id).await.map_err(store_error)?;
        let cell = self.index(workspace_id).await.map_err(store_error)?;
        cell.get().expect("initialised").write().await.remove_source(source_id);
        jobs::forget_source(self.sql.pool(), workspace_id, source_id).await.map_err(sql_error)?;
        let _ = tokio::fs::remove_file(self.upload_path(workspace_id, source_id)).await;
        Ok(())
    }

    async fn resync(
        &self,
        caller: &Caller,
        workspace_id: &str,
        source_id: &str,
    ) -> Result<SourceSummary, ServiceError> {
        self.authorize(caller, workspace_id).await?;
        let mut record = self.owned_source(workspace_id, source_id).await?;
        let kind = SourceKind::parse(&record.kind).unwrap_or(SourceKind::Text);
        if !kind.is_remote() {
            return Err(ServiceError::Rejected(
                "Only web pages, sitemaps and sites can be re-synced; upload a changed file again.".into(),
            ));
        }
        jobs::enqueue(self.sql.pool(), workspace_id, source_id, JobKind::Ingest).await.map_err(sql_error)?;
        record.status = SourceStatus::Queued.as_str().into();
        record.progress = 0;
        record.error = None;
        self.records.set_status(workspace_id, source_id, &record.status, 0, None).await.map_err(store_error)?;
        self.wake.notify_one();
        Ok(summary(&record))
    }

    async fn cancel(
        &self,
        caller: &Caller,
        workspace_id: &str,
        source_id: &str,
    ) -> Result<SourceSummary, ServiceError> {
        self.authorize(caller, workspace_id).await?;
        let mut record = self.owned_source(workspace_id, source_id).await?;
        if jobs::cancel(self.sql.pool(), workspace_id, source_id).await.map_err(sql_error)? {
            record.status = SourceStatus::Cancelled.as_str().into();
            record.error = Some("Cancelled before it finished.".into());
            self.records
                .set_status(workspace_id, source_id, &record.status, record.progress, record.error.clone())
                .await
                .map_err(store_error)?;
        }
        Ok(summary(&record))
    }

    async fn schedule(
        &self,
        caller: &Caller,
        workspace_id: &str,
        source_id: &str,
        every_hours: Option<u32>,
    ) -> Result<SourceSummary, ServiceError> {
        self.authorize(caller, workspace_id).await?;
        let mut record = self.owned_source(workspace_id, source_id).await?;
        if !SourceKind::parse(&record.kind).is_some_and(SourceKind::is_remote) {
            return Err(ServiceError::Rejected(
                "Only web pages, sitemaps and sites can be re-synced on a schedule.".into(),
            ));
        }
        jobs::set_schedule(self.sql.pool(), workspace_id, source_id, every_hours).await.map_err(sql_error)?;
        record.sync_every_hours = every_hours.map(i64::from);
        self.records.set_sync_every(workspace_id, source_id, record.sync_every_hours).await.map_err(store_error)?;
        Ok(summary(&record))
    }

    async fn test_question(
        &self,
        caller: &Caller,
        workspace_id: &str,
        question: &str,
        source_ids: Vec<String>,
    ) -> Result<TestAnswer, ServiceError> {
        self.authorize(caller, workspace_id).await?;
        let filter = (!source_ids.is_empty()).then(|| source_ids.into_iter().take(100).collect::<HashSet<String>>());
        // The passages a visitor's question retrieves, and the reply the
        // widget composes from them without a language model.
        let passages = self.search(workspace_id, question, crate::chat::PASSAGES, filter, Mode::Hybrid).await?;
        let draft = crate::chat::answer::compose(question, &passages);
        self.note_tested(workspace_id).await?;
        Ok(TestAnswer {
            body: draft.body,
            citations: draft.citations,
            answered: draft.answered,
            confidence: draft.confidence,
            passages,
        })
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
