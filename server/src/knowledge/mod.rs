//! The knowledge base: sources → (worker process) extraction → chunks →
//! embeddings → SurrealDB (store of record) and the in-process hybrid index
//! (what queries read). Implements `app::services::KnowledgeService`.

pub mod api;
pub mod chunk;
pub mod embed;
pub mod extract;
pub mod fetch;
pub mod index;
pub mod jobs;
pub mod records;
pub mod sources;
pub mod store;
pub mod worker;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::error::ServiceError;
use app::knowledge::{Passage, SourceKind, SourceStatus, SourceSummary};
use app::plans::KnowledgeLimits;
use sha2::{Digest, Sha256};
use tokio::sync::{Notify, OnceCell, RwLock};

pub use store::{KnowledgeStore, KnowledgeStoreError};

use crate::accounts::Accounts;
use crate::config::Config;
use crate::error::AppError;
use crate::sql::{now_millis, SqlStore};
use embed::Embedder;
use extract::Extracted;
use fetch::{AllowedNet, FetchPolicy, Fetcher};
use index::{IndexedChunk, Mode, WorkspaceIndex};
use jobs::{Job, JobKind};
use records::{ChunkRecord, DocumentRecord, IndexMeta, Records, SourceRecord};
use worker::WorkerLimits;

/// Chunks embedded and written per step: a crash loses at most one step.
const BATCH: usize = 16;

pub struct Knowledge {
    sql: SqlStore,
    records: Records,
    accounts: Arc<Accounts>,
    embedder: Arc<dyn Embedder>,
    indexes: Mutex<HashMap<String, Arc<OnceCell<RwLock<WorkspaceIndex>>>>>,
    fetcher: Fetcher,
    worker: WorkerLimits,
    upload_dir: PathBuf,
    lease_ms: i64,
    job_workers: usize,
    fetch_delay: Duration,
    wake: Notify,
}

/// Why a job stopped.
#[derive(Debug)]
pub(crate) enum JobError {
    /// Cancelled, or its source was deleted: nothing to record.
    Stopped,
    /// The input itself is bad: retrying cannot help.
    Permanent(String),
    /// Worth another try later (a timeout, a store hiccup).
    Transient(String),
}

impl From<surrealdb::Error> for JobError {
    fn from(e: surrealdb::Error) -> Self {
        tracing::error!(error = %e, "knowledge store error during a job");
        JobError::Transient("the knowledge store was unavailable".into())
    }
}

impl From<sqlx::Error> for JobError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "SQL error during a job");
        JobError::Transient("the database was unavailable".into())
    }
}

fn store_error(e: surrealdb::Error) -> ServiceError {
    tracing::error!(error = %e, "knowledge store error");
    ServiceError::from(AppError::Task(format!("knowledge store: {e}")))
}

impl Knowledge {
    pub fn new(
        config: &Config,
        sql: SqlStore,
        store: KnowledgeStore,
        accounts: Arc<Accounts>,
        embedder: Arc<dyn Embedder>,
        worker_program: Option<PathBuf>,
    ) -> Arc<Self> {
        let k = &config.knowledge;
        let mut worker = WorkerLimits::for_current_exe();
        if let Some(program) = worker_program {
            worker.program = program;
        }
        worker.memory_bytes = k.worker_memory_bytes;
        worker.cpu_seconds = k.worker_cpu_seconds;
        worker.wall = k.worker_wall;
        let policy = FetchPolicy {
            allowed_private: k.fetch_allow_private.iter().filter_map(|n| AllowedNet::parse(n)).collect(),
            max_bytes: k.fetch_max_bytes,
            timeout: k.fetch_timeout,
            ..FetchPolicy::default()
        };
        Arc::new(Knowledge {
            records: Records::new(store, config.surreal.namespace.clone()),
            sql,
            accounts,
            embedder,
            indexes: Mutex::new(HashMap::new()),
            fetcher: Fetcher::new(policy),
            worker,
            upload_dir: k.upload_dir.clone(),
            lease_ms: k.job_lease.as_millis() as i64,
            job_workers: k.job_workers.max(1),
            fetch_delay: k.fetch_delay,
            wake: Notify::new(),
        })
    }

    pub fn embedder(&self) -> &Arc<dyn Embedder> {
        &self.embedder
    }

    /// Starts the job workers, the re-sync scheduler, the purge of deleted
    /// workspaces, and the index rebuild.
    pub fn start(self: &Arc<Self>) {
        for _ in 0..self.job_workers {
            let me = self.clone();
            tokio::spawn(async move { me.work().await });
        }
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                match jobs::queue_due_syncs(me.sql.pool()).await {
                    Ok(due) if !due.is_empty() => me.wake.notify_waiters(),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "could not queue scheduled re-syncs"),
                }
            }
        });
        let me = self.clone();
        let mut deleted = self.accounts.subscribe_deleted_workspaces();
        tokio::spawn(async move {
            me.purge_orphans().await;
            me.warm_indexes().await;
            loop {
                match deleted.recv().await {
                    Ok(workspace_id) => me.purge_workspace(&workspace_id).await,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => me.purge_orphans().await,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        });
    }

    /// Workspaces in SQL, by the name of their knowledge database.
    async fn workspace_databases(&self) -> Result<HashMap<String, String>, sqlx::Error> {
        let ids: Vec<(String,)> = sqlx::query_as("SELECT id FROM workspaces").fetch_all(self.sql.pool()).await?;
        Ok(ids.into_iter().map(|(id,)| (records::database_name(&id), id)).collect())
    }

    /// Drops the knowledge databases of workspaces that no longer exist in SQL.
    async fn purge_orphans(&self) {
        let (Ok(stored), Ok(known)) = (self.records.databases().await, self.workspace_databases().await) else {
            return;
        };
        for name in stored.iter().filter(|name| !known.contains_key(*name)) {
            match self.records.drop_database(name).await {
                Ok(()) => tracing::info!(database = %name, "knowledge of a deleted workspace removed"),
                Err(e) => {
                    tracing::error!(error = %e, database = %name, "could not remove a deleted workspace's knowledge")
                }
            }
        }
    }

    pub async fn purge_workspace(&self, workspace_id: &str) {
        self.forget_index(workspace_id);
        if let Err(e) = self.records.drop_workspace(workspace_id).await {
            tracing::error!(error = %e, workspace = workspace_id, "could not remove a deleted workspace's knowledge");
        }
        let _ = tokio::fs::remove_dir_all(self.upload_dir.join(safe_name(workspace_id))).await;
        tracing::info!(workspace = workspace_id, "knowledge of a deleted workspace removed");
    }

    /// Drops a workspace's loaded index; the next search reloads it from
    /// SurrealDB, as at start-up (the chat benchmark writes chunks directly).
    pub fn forget_index(&self, workspace_id: &str) {
        self.indexes.lock().expect("indexes lock").remove(workspace_id);
    }

    /// Loads every workspace's index so that the first question is fast.
    async fn warm_indexes(&self) {
        let (Ok(stored), Ok(known)) = (self.records.databases().await, self.workspace_databases().await) else {
            return;
        };
        for workspace_id in stored.iter().filter_map(|name| known.get(name)) {
            if let Err(e) = self.index(workspace_id).await {
                tracing::warn!(error = %e, workspace = %workspace_id, "could not load a knowledge index");
            }
        }
    }

    /// The workspace's index, loaded from SurrealDB on first use.
    async fn index(&self, workspace_id: &str) -> Result<Arc<OnceCell<RwLock<WorkspaceIndex>>>, surrealdb::Error> {
        let cell = self.indexes.lock().expect("indexes lock").entry(workspace_id.to_owned()).or_default().clone();
        cell.get_or_try_init(|| async { self.load_index(workspace_id).await.map(RwLock::new) }).await?;
        Ok(cell)
    }

    async fn load_index(&self, workspace_id: &str) -> Result<WorkspaceIndex, surrealdb::Error> {
        let mut index = WorkspaceIndex::new(self.embedder.dimension());
        let current =
            IndexMeta { embedder: self.embedder.id().to_owned(), dimension: self.embedder.dimension() as i64 };
        match self.records.meta(workspace_id).await? {
            None => self.records.set_meta(workspace_id, &current).await?,
            Some(meta) if meta.embedder != current.embedder || meta.dimension != current.dimension => {
                tracing::info!(
                    workspace = workspace_id,
                    from = meta.embedder,
                    to = current.embedder,
                    "the embedder changed; re-embedding"
                );
                if let Err(e) =
                    jobs::enqueue(self.sql.pool(), workspace_id, jobs::WHOLE_WORKSPACE, JobKind::Reembed).await
                {
                    tracing::error!(error = %e, "could not queue re-embedding");
                }
                self.wake.notify_waiters();
                return Ok(index);
            }
            Some(_) => {}
        }
        // Only finished documents: a half-written one belongs to a job that
        // will put it in the index when it completes.
        let mut complete: HashSet<String> = HashSet::new();
        for source in self.records.sources(workspace_id).await? {
            for document in self.records.documents(workspace_id, &source.key).await? {
                if !document.content_hash.starts_with("partial:") {
                    complete.insert(document.key);
                }
            }
        }
        let mut by_document: HashMap<String, Vec<(IndexedChunk, Vec<f32>)>> = HashMap::new();
        let mut after = String::new();
        loop {
            let page = self.records.chunk_page(workspace_id, &after, 2_000).await?;
            let Some(last) = page.last() else { break };
            after = last.key.clone();
            for record in page {
                if complete.contains(&record.document_id) {
                    let vector = record.vector();
                    if vector.len() == index_dimension(&current) {
                        by_document.entry(record.document_id.clone()).or_default().push((indexed(&record), vector));
                    }
                }
            }
        }
        for (document, chunks) in by_document {
            index.put_document(&document, chunks);
        }
        tracing::debug!(workspace = workspace_id, chunks = index.len(), "knowledge index loaded");
        Ok(index)
    }

    /// Ranked passages for `question` from the workspace's knowledge.
    pub async fn search(
        &self,
        workspace_id: &str,
        question: &str,
        limit: usize,
        sources: Option<HashSet<String>>,
        mode: Mode,
    ) -> Result<Vec<Passage>, ServiceError> {
        let vector = self.embed_query(question).await?;
        self.search_with_vector(workspace_id, question, &vector, limit, sources, mode).await
    }

    /// The question's embedding, for callers that use it for more than retrieval.
    pub async fn embed_query(&self, question: &str) -> Result<Vec<f32>, ServiceError> {
        Ok(self
            .embedder
            .embed(vec![question.to_owned()])
            .await
            .map_err(|e| ServiceError::from(AppError::Task(e.to_string())))?
            .pop()
            .unwrap_or_default())
    }

    /// `search` with the question already embedded.
    pub async fn search_with_vector(
        &self,
        workspace_id: &str,
        question: &str,
        vector: &[f32],
        limit: usize,
        sources: Option<HashSet<String>>,
        mode: Mode,
    ) -> Result<Vec<Passage>, ServiceError> {
        let cell = self.index(workspace_id).await.map_err(store_error)?;
        let index = cell.get().expect("initialised").read().await;
        Ok(index
            .search(vector, question, limit, sources.as_ref(), mode)
            .into_iter()
            .map(|hit| Passage {
                chunk_id: hit.chunk.id.clone(),
                source_id: hit.chunk.source_id.clone(),
                document_title: hit.chunk.title.clone(),
                heading_path: hit.chunk.heading_path.clone(),
                page: hit.chunk.page,
                url: hit.chunk.url.clone(),
                text: hit.chunk.text.clone(),
                score: hit.score,
                similarity: hit.similarity,
                text_score: hit.text_score,
            })
            .collect())
    }

    /// Resident size of the loaded indexes, in bytes.
    pub async fn index_memory_bytes(&self) -> usize {
        let cells: Vec<_> = self.indexes.lock().expect("indexes lock").values().cloned().collect();
        let mut total = 0;
        for cell in cells {
            if let Some(index) = cell.get() {
                total += index.read().await.memory_bytes();
            }
        }
        total
    }

    async fn plan_limits(&self, workspace_id: &str) -> Result<KnowledgeLimits, sqlx::Error> {
        let plan: Option<(String,)> = sqlx::query_as("SELECT plan FROM workspaces WHERE id = $1")
            .bind(workspace_id)
            .fetch_optional(self.sql.pool())
            .await?;
        Ok(KnowledgeLimits::for_plan(plan.as_ref().map_or("free", |p| p.0.as_str())))
    }

    // ---- jobs ----

    async fn work(self: Arc<Self>) {
        loop {
            match jobs::claim(self.sql.pool(), self.lease_ms).await {
                Ok(Some(job)) => self.run_job(job).await,
                Ok(None) => {
                    // Woken by new work, or polling for retries and lapsed leases.
                    let _ = tokio::time::timeout(
                        Duration::from_millis((self.lease_ms / 2).clamp(200, 5_000) as u64),
                        self.wake.notified(),
                    )
                    .await;
                }
                Err(e) => {
                    tracing::error!(error = %e, "could not claim a knowledge job");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        }
    }

    async fn run_job(&self, job: Job) {
        use tracing::Instrument;
        let span =
            tracing::info_span!("knowledge_job", job = %job.id, workspace = %job.workspace_id, source = %job.source_id);
        let outcome = async {
            match job.kind() {
                JobKind::Ingest => self.ingest(&job).await,
                JobKind::Reembed => self.reembed(&job).await,
            }
        }
        .instrument(span)
        .await;
        let result = match outcome {
            Ok(()) => jobs::finish(self.sql.pool(), &job.id).await,
            Err(JobError::Stopped) => Ok(()),
            Err(JobError::Permanent(reason)) => {
                let _ =
                    self.records.set_status(&job.workspace_id, &job.source_id, "failed", 0, Some(reason.clone())).await;
                jobs::fail(self.sql.pool(), &job, &reason, false).await.map(|_| ())
            }
            Err(JobError::Transient(reason)) => match jobs::fail(self.sql.pool(), &job, &reason, true).await {
                Ok(retry) => {
                    let (status, message) =
                        if retry { ("queued", format!("{reason}; trying again shortly")) } else { ("failed", reason) };
                    let _ = self.records.set_status(&job.workspace_id, &job.source_id, status, 0, Some(message)).await;
                    Ok(())
                }
                Err(e) => Err(e),
            },
        };
        if let Err(e) = result {
            tracing::error!(error = %e, job = %job.id, "could not record a job's outcome");
        }
    }

    /// Renews the job's lease and shows progress on the source.
    async fn progress(&self, job: &Job, percent: i64) -> Result<(), JobError> {
        if !jobs::heartbeat(self.sql.pool(), &job.id, percent, self.lease_ms).await? {
            return Err(JobError::Stopped);
        }
        self.records.set_status(&job.workspace_id, &job.source_id, "processing", percent.clamp(0, 99), None).await?;
        Ok(())
    }

    async fn ingest(&self, job: &Job) -> Result<(), JobError> {
        let ws = job.workspace_id.as_str();
        let Some(mut source) = self.records.source(ws, &job.source_id).await? else { return Err(JobError::Stopped) };
        self.progress(job, 1).await?;
        let limits = self.plan_limits(ws).await?;
        let kind = SourceKind::parse(&source.kind).unwrap_or(SourceKind::Text);
        let seen = match kind {
            SourceKind::File => self.ingest_file(job, &mut source, &limits).await?,
            SourceKind::Qa | SourceKind::Text => self.ingest_snippet(job, &source, &limits).await?,
            SourceKind::Url | SourceKind::Sitemap | SourceKind::Crawl => {
                self.ingest_remote(job, &mut source, kind, &limits).await?
            }
        };
        // Pages that disappeared from a site go from the knowledge too.
        let documents = self.records.documents(ws, &source.key).await?;
        for document in &documents {
            if !seen.contains(&document.key) {
                self.remove_document(ws, &document.key).await?;
            }
        }
        let documents = self.records.documents(ws, &source.key).await?;
        source.documents = documents.len() as i64;
        source.chunks = documents.iter().map(|d| d.chunks).sum();
        source.status = SourceStatus::Ready.as_str().into();
        source.progress = 100;
        source.error = None;
        source.last_synced_at = Some(now_millis());
        if !jobs::heartbeat(self.sql.pool(), &job.id, 100, self.lease_ms).await? {
            return Err(JobError::Stopped);
        }
        self.records.finish_source(ws, &source).await?;
        if kind == SourceKind::File {
            let _ = tokio::fs::remove_file(self.upload_path(ws, &source.key)).await;
        }
        tracing::info!(workspace = ws, source = %source.key, documents = source.documents, chunks = source.chunks, "knowledge source ready");
        Ok(())
    }

    async fn ingest_file(
        &self,
        job: &Job,
        source: &mut SourceRecord,
        limits: &KnowledgeLimits,
    ) -> Result<HashSet<String>, JobError> {
        let bytes = tokio::fs::read(self.upload_path(&job.workspace_id, &source.key)).await.map_err(|_| {
            JobError::Permanent("the uploaded file is no longer available; please upload it again".into())
        })?;
        let extracted = worker::extract_in_worker(&self.worker, &bytes, None)
            .await
            .map_err(|e| JobError::Permanent(e.to_string()))?;
        source.format = Some(extracted.format.label().to_owned());
        source.bytes = bytes.len() as i64;
        self.progress(job, 5).await?;
        let title = extracted.title.clone().unwrap_or_else(|| source.title.clone());
        let document = source.key.clone();
        self.store_document(job, &source.key, &document, &title, None, &extracted, (5, 100), limits).await?;
        Ok(HashSet::from([document]))
    }

    async fn ingest_snippet(
        &self,
        job: &Job,
        source: &SourceRecord,
        limits: &KnowledgeLimits,
    ) -> Result<HashSet<String>, JobError> {
        let extracted = sources::snippet_document(&source.title, source.body.as_deref().unwrap_or_default());
        self.store_document(job, &source.key, &source.key, &source.title, None, &extracted, (1, 100), limits).await?;
        Ok(HashSet::from([source.key.clone()]))
    }

    /// Embeds and stores one document's chunks, resuming a half-done run of
    /// the same content and skipping content that has not changed.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn store_document(
        &self,
        job: &Job,
        source_id: &str,
        document_id: &str,
        title: &str,
        url: Option<&str>,
        extracted: &Extracted,
        (from, to): (i64, i64),
        limits: &KnowledgeLimits,
    ) -> Result<u32, JobError> {
        let ws = job.workspace_id.as_str();
        let hash = content_hash(extracted, title, url, self.embedder.id());
        let existing = self.records.document(ws, document_id).await?;
        if let Some(existing) = existing.as_ref().filter(|d| d.content_hash == hash) {
            return Ok(existing.chunks as u32);
        }
        let chunks = chunk::chunk(extracted);
        let stored_elsewhere: i64 = self.workspace_chunks(ws).await? - existing.as_ref().map_or(0, |d| d.chunks);
        if stored_elsewhere + chunks.len() as i64 > i64::from(limits.max_chunks) {
            return Err(JobError::Permanent(format!(
                "this would take the workspace past its plan's limit of {} passages; remove other sources or upgrade",
                limits.max_chunks
            )));
        }
        let partial = format!("partial:{hash}");
        let resuming = existing.as_ref().is_some_and(|d| d.content_hash == partial);
        let done: HashSet<i64> = if resuming {
            self.records.chunk_ordinals(ws, document_id).await?.into_iter().collect()
        } else {
            HashSet::new()
        };
        if !resuming {
            self.records.truncate_chunks(ws, document_id, 0).await?;
        }
        let mut record = DocumentRecord {
            key: document_id.to_owned(),
            source_id: source_id.to_owned(),
            title: title.to_owned(),
            url: url.map(str::to_owned),
            pages: extracted.pages.map(i64::from),
            content_hash: partial,
            chunks: 0,
            updated_at: now_millis(),
        };
        self.records.put_document(ws, &record).await?;
        let total = chunks.len().max(1);
        for (step, batch) in chunks.chunks(BATCH).enumerate() {
            let todo: Vec<&chunk::Chunk> = batch.iter().filter(|c| !done.contains(&i64::from(c.ordinal))).collect();
            if !todo.is_empty() {
                let texts: Vec<String> = todo.iter().map(|c| embedding_text(title, &c.heading_path, &c.text)).collect();
                let vectors = self.embedder.embed(texts).await.map_err(|e| JobError::Transient(e.to_string()))?;
                let records: Vec<ChunkRecord> = todo
                    .iter()
                    .zip(vectors)
                    .map(|(c, vector)| ChunkRecord {
                        key: ChunkRecord::key_for(document_id, c.ordinal),
                        source_id: source_id.to_owned(),
                        document_id: document_id.to_owned(),
                        ordinal: i64::from(c.ordinal),
                        title: title.to_owned(),
                        heading_path: c.heading_path.clone(),
                        page: c.page.map(i64::from),
                        url: url.map(str::to_owned),
                        text: c.text.clone(),
                        embedding: ChunkRecord::encode(&vector),
                    })
                    .collect();
                self.records.put_chunks(ws, &records).await?;
            }
            let finished = ((step + 1) * BATCH).min(total) as i64;
            self.progress(job, from + (to - from) * finished / total as i64).await?;
        }
        self.records.truncate_chunks(ws, document_id, chunks.len() as i64).await?;
        record.content_hash = hash;
        record.chunks = chunks.len() as i64;
        record.updated_at = now_millis();
        self.records.put_document(ws, &record).await?;
        let stored = self.records.document_chunks(ws, document_id).await?;
        let cell = self.index(ws).await?;
        cell.get()
            .expect("initialised")
            .write()
            .await
            .put_document(document_id, stored.iter().map(|r| (indexed(r), r.vector())).collect());
        Ok(chunks.len() as u32)
    }

    async fn workspace_chunks(&self, workspace_id: &str) -> Result<i64, JobError> {
        Ok(self.records.sources(workspace_id).await?.iter().map(|s| s.chunks).sum())
    }

    async fn remove_document(&self, workspace_id: &str, document_id: &str) -> Result<(), surrealdb::Error> {
        self.records.delete_document(workspace_id, document_id).await?;
        let cell = self.index(workspace_id).await?;
        cell.get().expect("initialised").write().await.remove_document(document_id);
        Ok(())
    }

    /// Recomputes every vector of a workspace with the current embedder.
    async fn reembed(&self, job: &Job) -> Result<(), JobError> {
        let ws = job.workspace_id.as_str();
        let sources = self.records.sources(ws).await?;
        let documents: Vec<DocumentRecord> = {
            let mut all = Vec::new();
            for s in &sources {
                all.extend(self.records.documents(ws, &s.key).await?);
            }
            all
        };
        let total = documents.len().max(1) as i64;
        for (i, document) in documents.iter().enumerate() {
            let chunks = self.records.document_chunks(ws, &document.key).await?;
            for batch in chunks.chunks(BATCH) {
                let texts = batch.iter().map(|c| embedding_text(&c.title, &c.heading_path, &c.text)).collect();
                let vectors = self.embedder.embed(texts).await.map_err(|e| JobError::Transient(e.to_string()))?;
                let updated: Vec<ChunkRecord> = batch
                    .iter()
                    .cloned()
                    .zip(vectors)
                    .map(|(mut c, v)| {
                        c.embedding = ChunkRecord::encode(&v);
                        c
                    })
                    .collect();
                self.records.put_chunks(ws, &updated).await?;
            }
            if !jobs::heartbeat(self.sql.pool(), &job.id, 100 * (i as i64 + 1) / total, self.lease_ms).await? {
                return Err(JobError::Stopped);
            }
        }
        self.records
            .set_meta(
                ws,
                &IndexMeta { embedder: self.embedder.id().to_owned(), dimension: self.embedder.dimension() as i64 },
            )
            .await?;
        // Reload from the store of record with the new vectors.
        self.indexes.lock().expect("indexes lock").remove(ws);
        self.index(ws).await?;
        Ok(())
    }

    fn upload_path(&self, workspace_id: &str, source_id: &str) -> PathBuf {
        self.upload_dir.join(safe_name(workspace_id)).join(safe_name(source_id))
    }
}

fn index_dimension(meta: &IndexMeta) -> usize {
    meta.dimension as usize
}

fn indexed(record: &ChunkRecord) -> IndexedChunk {
    IndexedChunk {
        id: record.key.clone(),
        source_id: record.source_id.clone(),
        document_id: record.document_id.clone(),
        title: record.title.clone(),
        heading_path: record.heading_path.clone(),
        page: record.page.map(|p| p as u32),
        url: record.url.clone(),
        text: record.text.clone(),
    }
}

/// What is embedded for a chunk: its text with the title and headings that
/// say what it is about.
pub fn embedding_text(title: &str, heading_path: &[String], text: &str) -> String {
    let mut context = vec![title];
    context.extend(heading_path.iter().map(String::as_str).filter(|h| *h != title));
    format!("{}\n{}", context.join(" > "), text)
}

fn content_hash(extracted: &Extracted, title: &str, url: Option<&str>, embedder: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_vec(&extracted.blocks).unwrap_or_default());
    for part in [title, url.unwrap_or(""), embedder] {
        hasher.update([0]);
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Ids become path segments only through this: letters, digits, `-`.
fn safe_name(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(64).collect()
}

pub(crate) fn summary(record: &SourceRecord) -> SourceSummary {
    SourceSummary {
        id: record.key.clone(),
        kind: SourceKind::parse(&record.kind).unwrap_or(SourceKind::Text),
        title: record.title.clone(),
        location: record.location.clone(),
        format: record.format.clone(),
        status: SourceStatus::parse(&record.status).unwrap_or(SourceStatus::Failed),
        progress: record.progress.clamp(0, 100) as u8,
        error: record.error.clone(),
        documents: record.documents.max(0) as u32,
        chunks: record.chunks.max(0) as u32,
        bytes: record.bytes.max(0) as u64,
        created_at: record.created_at,
        last_synced_at: record.last_synced_at,
        sync_every_hours: record.sync_every_hours.map(|h| h as u32),
    }
}
