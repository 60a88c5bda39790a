//! The knowledge base: sources → (worker process) extraction → chunks →
//! embeddings → SurrealDB (store of record) and the in-process hybrid index
//! (what queries read). Implements `app::services::KnowledgeService`.

pub mod api;
pub mod chunk;
pub mod embed;
pub mod extract;
pub mod fetch;
pub mod index;
mod ingest;
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
use tokio::sync::{Notify, OnceCell, RwLock, Semaphore};

pub use store::{KnowledgeStore, KnowledgeStoreError};

use crate::accounts::Accounts;
use crate::config::Config;
use crate::error::AppError;
use crate::sql::SqlStore;
use embed::Embedder;
use fetch::{AllowedNet, FetchPolicy, Fetcher};
use index::{IndexedChunk, Mode, WorkspaceIndex};
use jobs::JobKind;
use records::{ChunkRecord, IndexMeta, Records, SourceRecord};
use worker::WorkerLimits;

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
    /// Jobs taking CPU (reading a file, chunking, embedding) at once:
    /// `KNOWLEDGE_JOB_WORKERS`, granted first come, first served.
    cpu: Semaphore,
    /// Jobs in progress at once, most of them waiting on the network.
    in_flight: Arc<Semaphore>,
    /// Jobs running now, for [`Knowledge::idle`].
    running: tokio::sync::watch::Sender<usize>,
    /// The same jobs, for [`Knowledge::release_running`] at shutdown.
    jobs_running: Mutex<HashMap<String, jobs::Job>>,
    /// Upload requests in progress, per workspace.
    uploads: Mutex<HashMap<String, usize>>,
    fetch_delay: Duration,
    wake: Notify,
}

/// Where uploads wait until the whole request has arrived.
pub const INCOMING: &str = "incoming";
/// Upload requests one workspace may have in progress at once.
pub const UPLOADS_AT_ONCE: usize = 2;

/// One of a workspace's upload requests in progress.
pub struct UploadSlot<'a> {
    knowledge: &'a Knowledge,
    workspace_id: String,
}

impl Drop for UploadSlot<'_> {
    fn drop(&mut self) {
        let mut uploads = self.knowledge.uploads.lock().expect("uploads lock");
        if let Some(n) = uploads.get_mut(&self.workspace_id) {
            *n -= 1;
            if *n == 0 {
                uploads.remove(&self.workspace_id);
            }
        }
    }
}

/// Why a job stopped.
#[derive(Debug)]
pub(crate) enum JobError {
    /// Cancelled, or its source was deleted: nothing to record.
    Stopped,
    /// The input itself is bad: retrying cannot help.
    Permanent(String),
    /// The plan has no room for more passages (a crawl keeps what fit).
    NoRoom(String),
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
    /// How the extraction worker is started and bounded (the mentor's
    /// résumés use the same program, with tighter limits).
    pub fn worker_limits(&self) -> &WorkerLimits {
        &self.worker
    }

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
            cpu: Semaphore::new(k.job_workers.max(1)),
            in_flight: Arc::new(Semaphore::new(k.jobs_in_flight.max(1))),
            running: tokio::sync::watch::channel(0).0,
            jobs_running: Mutex::new(HashMap::new()),
            uploads: Mutex::new(HashMap::new()),
            fetch_delay: k.fetch_delay,
            wake: Notify::new(),
        })
    }

    /// A slot for one more upload request in the workspace, while it has
    /// fewer than [`UPLOADS_AT_ONCE`] in progress.
    pub fn upload_slot(&self, workspace_id: &str) -> Option<UploadSlot<'_>> {
        let mut uploads = self.uploads.lock().expect("uploads lock");
        let n = uploads.entry(workspace_id.to_owned()).or_default();
        if *n >= UPLOADS_AT_ONCE {
            return None;
        }
        *n += 1;
        Some(UploadSlot { knowledge: self, workspace_id: workspace_id.to_owned() })
    }

    /// Removes upload scratch files left by a crash (older than any upload may take).
    async fn sweep_scratch(&self) {
        let Ok(mut entries) = tokio::fs::read_dir(self.upload_dir.join(INCOMING)).await else { return };
        while let Ok(Some(entry)) = entries.next_entry().await {
            let stale = entry.metadata().await.ok().and_then(|m| m.modified().ok()).and_then(|t| t.elapsed().ok());
            if stale.is_some_and(|age| age > api::LONGEST) {
                let _ = tokio::fs::remove_file(entry.path()).await;
            }
        }
    }

    /// Looks for due jobs now rather than at the next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub fn embedder(&self) -> &Arc<dyn Embedder> {
        &self.embedder
    }

    /// Starts the job workers, the re-sync scheduler, the purge of deleted
    /// workspaces, and the index rebuild.
    pub fn start(self: &Arc<Self>) {
        let me = self.clone();
        tokio::spawn(async move { me.dispatch().await });
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                match jobs::queue_due_syncs(me.sql.pool()).await {
                    Ok(due) if !due.is_empty() => me.wake.notify_one(),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "could not queue scheduled re-syncs"),
                }
            }
        });
        let me = self.clone();
        let mut deleted = self.accounts.subscribe_deleted_workspaces();
        tokio::spawn(async move {
            me.sweep_scratch().await;
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
                self.wake.notify_one();
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
                coverage: hit.coverage,
                heading_coverage: hit.heading_coverage,
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
