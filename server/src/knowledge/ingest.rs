//! The ingestion pipeline and the workers that run it: a job is claimed
//! from the SQL queue (`jobs.rs`), its source read (a file through the
//! extraction worker, a page or site through the fetcher), chunked,
//! embedded and written to SurrealDB, then put in the workspace's index.
//!
//! Fair to every tenant: a workspace runs one job at a time, and many jobs
//! run at once but take the CPU (the extraction worker, chunking,
//! embedding) only through `cpu`, a FIFO semaphore of
//! `KNOWLEDGE_JOB_WORKERS` permits held for one step at a time. A crawl
//! that waits on a slow site or its `Crawl-delay` holds no permit, and a
//! big file lets others in between its batches, so a small upload in
//! another workspace waits at most a step or two.
//!
//! Bounded by the plan: the room left for passages caps the text the
//! extraction worker may hand back and the chunks made, before the work
//! that grows with the input is done; chunks are counted as they are
//! stored, so a crawl cannot pass the limit page by page.

use std::collections::HashSet;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use app::knowledge::{SourceKind, SourceStatus};
use app::plans::KnowledgeLimits;
use sha2::{Digest, Sha256};
use tokio::sync::SemaphorePermit;

use super::chunk::{self, MAX_CHUNK_BYTES};
use super::extract::markdown::looks_like_markdown;
use super::extract::{self, ExtractError, Extracted, Format, Reading};
use super::jobs::{self, Job, JobKind};
use super::records::{ChunkRecord, DocumentRecord, IndexMeta, SourceRecord, SOURCE_GONE};
use super::{embedding_text, indexed, sources, worker, JobError, Knowledge};
use crate::sql::now_millis;

/// Chunks embedded and written per step: a crash loses at most one step.
const BATCH: usize = 16;

/// Stops a background task when its owner ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Counts a running job while it lives, whatever way it ends.
struct Running<'a>(&'a tokio::sync::watch::Sender<usize>);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

impl Knowledge {
    /// Claims jobs while a slot is free and runs each on a task of its own.
    pub(super) async fn dispatch(self: Arc<Self>) {
        let poll = Duration::from_millis((self.lease_ms / 2).clamp(200, 5_000) as u64);
        loop {
            let slot = self.in_flight.clone().acquire_owned().await.expect("the slots are never closed");
            match jobs::fail_crashed(self.sql.pool()).await {
                Ok(crashed) => {
                    for job in crashed {
                        tracing::warn!(job = %job.id, workspace = %job.workspace_id, source = %job.source_id, "a job kept losing its worker; stopped");
                        self.mark_failed(&job, jobs::CRASHED).await;
                    }
                }
                Err(e) => tracing::error!(error = %e, "could not look for crashed knowledge jobs"),
            }
            match jobs::claim(self.sql.pool(), self.lease_ms).await {
                Ok(Some(job)) => {
                    let me = self.clone();
                    self.running.send_modify(|n| *n += 1);
                    self.jobs_running.lock().expect("running jobs lock").insert(job.id.clone(), job.clone());
                    tokio::spawn(async move {
                        let _running = Running(&me.running);
                        let id = job.id.clone();
                        me.run_job(job).await;
                        me.jobs_running.lock().expect("running jobs lock").remove(&id);
                        drop(slot);
                        // Another job of the same workspace may be claimable now.
                        me.wake.notify_one();
                    });
                }
                Ok(None) => {
                    drop(slot);
                    // Woken by new work, or polling for retries and lapsed leases.
                    let _ = tokio::time::timeout(poll, self.wake.notified()).await;
                }
                Err(e) => {
                    drop(slot);
                    tracing::error!(error = %e, "could not claim a knowledge job");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        }
    }

    /// For a graceful shutdown: the jobs running here go back to the queue
    /// untried, so that a deploy does not count as a crash (another process,
    /// or this one after its restart, takes them up again).
    pub async fn release_running(&self) {
        let running: Vec<Job> = self.jobs_running.lock().expect("running jobs lock").values().cloned().collect();
        for job in running {
            if let Err(e) = jobs::release(self.sql.pool(), &job).await {
                tracing::warn!(error = %e, job = %job.id, "could not put a running job back in the queue");
            }
        }
    }

    /// Resolves once no job is running in this process.
    pub async fn idle(&self) {
        let mut running = self.running.subscribe();
        let _ = running.wait_for(|n| *n == 0).await;
    }

    /// One step of CPU work; permits go out in the order they were asked for.
    async fn cpu(&self) -> SemaphorePermit<'_> {
        self.cpu.acquire().await.expect("the CPU permits are never closed")
    }

    async fn mark_failed(&self, job: &Job, reason: &str) {
        if let Err(e) =
            self.records.set_status(&job.workspace_id, &job.source_id, "failed", 0, Some(reason.into())).await
        {
            tracing::warn!(error = %e, source = %job.source_id, "could not show a failed source");
        }
    }

    async fn run_job(&self, job: Job) {
        use tracing::Instrument;
        // Renews the lease a few times per lease while the job runs.
        let renewing = {
            let (pool, job, lease_ms) = (self.sql.pool().clone(), job.clone(), self.lease_ms);
            let every = Duration::from_millis((lease_ms / 3).max(100) as u64);
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    match jobs::renew(&pool, &job, lease_ms).await {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(e) => tracing::warn!(error = %e, job = %job.id, "could not renew a job's lease"),
                    }
                }
            })
        };
        let _stop_renewing = AbortOnDrop(renewing);
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
        // The source shows an outcome only when the job was still this
        // attempt's: a cancelled or re-claimed job records nothing.
        let result = match outcome {
            Ok(()) => jobs::finish(self.sql.pool(), &job).await.map(|_| ()),
            Err(JobError::Stopped) => Ok(()),
            Err(JobError::Permanent(reason) | JobError::NoRoom(reason)) => {
                match jobs::fail(self.sql.pool(), &job, &reason, false).await {
                    Ok(Some(_)) => {
                        self.mark_failed(&job, &reason).await;
                        Ok(())
                    }
                    Ok(None) => Ok(()),
                    Err(e) => Err(e),
                }
            }
            Err(JobError::Transient(reason)) => match jobs::fail(self.sql.pool(), &job, &reason, true).await {
                Ok(Some(retry)) => {
                    let (status, message) =
                        if retry { ("queued", format!("{reason}; trying again shortly")) } else { ("failed", reason) };
                    let _ = self.records.set_status(&job.workspace_id, &job.source_id, status, 0, Some(message)).await;
                    Ok(())
                }
                Ok(None) => Ok(()),
                Err(e) => Err(e),
            },
        };
        if let Err(e) = result {
            tracing::error!(error = %e, job = %job.id, "could not record a job's outcome");
        }
    }

    /// Renews the job's lease and shows progress on the source. A job that
    /// is no longer this attempt's stops here, before its next write.
    pub(super) async fn progress(&self, job: &Job, percent: i64) -> Result<(), JobError> {
        if !jobs::heartbeat(self.sql.pool(), job, percent, self.lease_ms).await? {
            return Err(JobError::Stopped);
        }
        self.records.set_status(&job.workspace_id, &job.source_id, "processing", percent.clamp(0, 99), None).await?;
        Ok(())
    }

    async fn ingest(&self, job: &Job) -> Result<(), JobError> {
        let ws = job.workspace_id.as_str();
        let Some(mut source) = self.records.source(ws, &job.source_id).await? else { return Err(JobError::Stopped) };
        // What this run has to say, if anything (a crawl stopped at the plan's limit).
        source.error = None;
        self.progress(job, 1).await?;
        let limits = self.plan_limits(ws).await?;
        let kind = SourceKind::parse(&source.kind).unwrap_or(SourceKind::Text);
        let (seen, complete) = match kind {
            SourceKind::File => (self.ingest_file(job, &mut source, &limits).await?, true),
            SourceKind::Qa | SourceKind::Text => (self.ingest_snippet(job, &source, &limits).await?, true),
            SourceKind::Url | SourceKind::Sitemap | SourceKind::Crawl => {
                self.ingest_remote(job, &mut source, kind, &limits).await?
            }
        };
        // Pages that disappeared from a site go from the knowledge too; a
        // crawl that stopped early (out of room) keeps the pages it did not reach.
        if complete {
            let documents = self.records.documents(ws, &source.key).await?;
            for document in &documents {
                if !seen.contains(&document.key) {
                    self.remove_document(ws, &document.key).await?;
                }
            }
        }
        let documents = self.records.documents(ws, &source.key).await?;
        source.documents = documents.len() as i64;
        source.chunks = documents.iter().map(|d| d.chunks).sum();
        source.status = SourceStatus::Ready.as_str().into();
        source.progress = 100;
        source.last_synced_at = Some(now_millis());
        if !jobs::heartbeat(self.sql.pool(), job, 100, self.lease_ms).await? {
            return Err(JobError::Stopped);
        }
        self.records.finish_source(ws, &source).await?;
        if kind == SourceKind::File {
            let _ = tokio::fs::remove_file(self.upload_path(ws, &source.key)).await;
        }
        tracing::info!(workspace = ws, source = %source.key, documents = source.documents, chunks = source.chunks, "knowledge source ready");
        Ok(())
    }

    /// The text a document may unpack to: what the plan's remaining room
    /// for passages could hold, so that a file too big for it is refused by
    /// the extraction worker rather than read into the server.
    pub(super) async fn text_room(
        &self,
        job: &Job,
        document_id: &str,
        limits: &KnowledgeLimits,
    ) -> Result<usize, JobError> {
        let stored = self.records.chunks_stored(&job.workspace_id, Some(document_id)).await?;
        let room = (i64::from(limits.max_chunks) - stored).max(0) as usize;
        if room == 0 {
            return Err(no_room(limits));
        }
        Ok(room.saturating_mul(MAX_CHUNK_BYTES))
    }

    /// Reads `bytes` in the extraction worker, as one step of CPU.
    pub(super) async fn extract(
        &self,
        bytes: &[u8],
        reading: Reading,
        max_text: usize,
    ) -> Result<Extracted, ExtractError> {
        let _cpu = self.cpu().await;
        worker::extract_in_worker(&self.worker, bytes, reading, max_text).await
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
        let max_text = self.text_room(job, &source.key, limits).await?;
        let named = source.location.as_deref().is_some_and(|name| extract::named_markdown(name, None));
        let reading = if named { Reading::PreferringMarkdown } else { Reading::Sniffed };
        let extracted =
            self.extract(&bytes, reading, max_text).await.map_err(|e| JobError::Permanent(e.to_string()))?;
        source.format = Some(extracted.format.label().to_owned());
        source.bytes = bytes.len() as i64;
        drop(bytes);
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
        let body = source.body.as_deref().unwrap_or_default();
        // Pasted help articles are often Markdown: parsed like an uploaded
        // `.md` (in the worker), so their headings become sections and their
        // marks never reach an answer.
        let extracted = if source.kind == SourceKind::Text.as_str() && looks_like_markdown(body) {
            let max_text = self.text_room(job, &source.key, limits).await?;
            let parsed = self.extract(body.as_bytes(), Reading::As(Format::Markdown), max_text).await;
            sources::titled(&source.title, parsed.map_err(|e| JobError::Permanent(e.to_string()))?)
        } else {
            sources::snippet_document(&source.title, body)
        };
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
        // A title is copied into every chunk: bounded like a heading.
        let title = chunk::heading_text(title);
        let hash = content_hash(extracted, &title, url, self.embedder.id());
        let existing = self.records.document(ws, document_id).await?;
        if let Some(existing) = existing.as_ref().filter(|d| d.content_hash == hash) {
            return Ok(existing.chunks as u32);
        }
        // Counted against what every other document stores or holds now.
        let room = (i64::from(limits.max_chunks) - self.records.chunks_stored(ws, Some(document_id)).await?).max(0);
        let chunks = {
            let _cpu = self.cpu().await;
            chunk::chunk_at_most(extracted, room as usize).map_err(|_| no_room(limits))?
        };
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
        // The document holds its chunks' count from the start, so that a
        // crawl's next page (or another job) counts them before they exist.
        let mut record = DocumentRecord {
            key: document_id.to_owned(),
            source_id: source_id.to_owned(),
            title: title.clone(),
            url: url.map(str::to_owned),
            pages: extracted.pages.map(i64::from),
            content_hash: partial,
            chunks: chunks.len() as i64,
            updated_at: now_millis(),
        };
        self.guarded(ws, source_id, self.records.put_document(ws, &record).await).await?;
        let total = chunks.len().max(1);
        for (step, batch) in chunks.chunks(BATCH).enumerate() {
            let todo: Vec<&chunk::Chunk> = batch.iter().filter(|c| !done.contains(&i64::from(c.ordinal))).collect();
            let finished = ((step + 1) * BATCH).min(total) as i64;
            if todo.is_empty() {
                self.progress(job, from + (to - from) * finished / total as i64).await?;
                continue;
            }
            let _cpu = self.cpu().await;
            let texts: Vec<String> = todo.iter().map(|c| embedding_text(&title, &c.heading_path, &c.text)).collect();
            let vectors = self.embedder.embed(texts).await.map_err(|e| JobError::Transient(e.to_string()))?;
            let records: Vec<ChunkRecord> = todo
                .iter()
                .zip(vectors)
                .map(|(c, vector)| ChunkRecord {
                    key: ChunkRecord::key_for(document_id, c.ordinal),
                    source_id: source_id.to_owned(),
                    document_id: document_id.to_owned(),
                    ordinal: i64::from(c.ordinal),
                    title: title.clone(),
                    heading_path: c.heading_path.clone(),
                    page: c.page.map(i64::from),
                    url: url.map(str::to_owned),
                    text: c.text.clone(),
                    embedding: ChunkRecord::encode(&vector),
                })
                .collect();
            // Still this attempt's job? Only then write.
            self.progress(job, from + (to - from) * finished / total as i64).await?;
            self.guarded(ws, source_id, self.records.put_chunks(ws, &records).await).await?;
        }
        self.records.truncate_chunks(ws, document_id, chunks.len() as i64).await?;
        record.content_hash = hash;
        record.updated_at = now_millis();
        self.guarded(ws, source_id, self.records.put_document(ws, &record).await).await?;
        let stored = self.records.document_chunks(ws, document_id).await?;
        let cell = self.index(ws).await?;
        let mut index = cell.get().expect("initialised").write().await;
        // Checked under the index's lock: a delete that removed the source
        // from the store takes this lock next and removes it from here too.
        if self.records.source(ws, source_id).await?.is_none() {
            return Err(JobError::Stopped);
        }
        index.put_document(document_id, stored.iter().map(|r| (indexed(r), r.vector())).collect());
        Ok(chunks.len() as u32)
    }

    /// A write refused because its source was deleted meanwhile stops the
    /// job quietly; any other failure is the store's.
    async fn guarded(
        &self,
        workspace_id: &str,
        source_id: &str,
        written: Result<(), surrealdb::Error>,
    ) -> Result<(), JobError> {
        match written {
            Ok(()) => Ok(()),
            Err(e) if e.to_string().contains(SOURCE_GONE) => Err(JobError::Stopped),
            Err(e) => match self.records.source(workspace_id, source_id).await {
                Ok(None) => Err(JobError::Stopped),
                _ => Err(e.into()),
            },
        }
    }

    pub(super) async fn remove_document(&self, workspace_id: &str, document_id: &str) -> Result<(), surrealdb::Error> {
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
                let _cpu = self.cpu().await;
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
                if !jobs::heartbeat(self.sql.pool(), job, 100 * i as i64 / total, self.lease_ms).await? {
                    return Err(JobError::Stopped);
                }
                self.guarded(ws, &document.source_id, self.records.put_chunks(ws, &updated).await).await?;
            }
        }
        self.records
            .set_meta(
                ws,
                &IndexMeta { embedder: self.embedder.id().to_owned(), dimension: self.embedder.dimension() as i64 },
            )
            .await?;
        // Reload from the store of record with the new vectors.
        self.forget_index(ws);
        self.index(ws).await?;
        Ok(())
    }
}

fn no_room(limits: &KnowledgeLimits) -> JobError {
    JobError::NoRoom(format!(
        "this would take the workspace past its plan's limit of {} passages; remove other sources or upgrade",
        limits.max_chunks
    ))
}

/// What decides whether a document changed: its blocks, title, address and
/// embedder, hashed as they are serialised (no copy of the text is made).
fn content_hash(extracted: &Extracted, title: &str, url: Option<&str>, embedder: &str) -> String {
    struct Hashing<'a>(&'a mut Sha256);
    impl Write for Hashing<'_> {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.update(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut hasher = Sha256::new();
    let _ = serde_json::to_writer(Hashing(&mut hasher), &extracted.blocks);
    for part in [title, url.unwrap_or(""), embedder] {
        hasher.update([0]);
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}
