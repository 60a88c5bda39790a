//! The persistent job queue (SQL): a job is claimed with a lease that the
//! worker renews as it makes progress. A worker that dies (even `kill -9`)
//! stops renewing; once the lease lapses another claim picks the job up,
//! and because chunk ids are deterministic the rerun neither duplicates nor
//! loses chunks.

use sqlx::AnyPool;

use crate::sql::now_millis;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Read a new source (or re-read one on demand or schedule).
    Ingest,
    /// Recompute every vector of a workspace after the embedder changed.
    Reembed,
}

impl JobKind {
    fn as_str(self) -> &'static str {
        match self {
            JobKind::Ingest => "ingest",
            JobKind::Reembed => "reembed",
        }
    }
}

/// Placeholder source id of workspace-wide jobs.
pub const WHOLE_WORKSPACE: &str = "*";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub id: String,
    pub workspace_id: String,
    pub source_id: String,
    pub kind: String,
    pub attempts: i64,
    pub max_attempts: i64,
}

impl Job {
    pub fn kind(&self) -> JobKind {
        if self.kind == "reembed" {
            JobKind::Reembed
        } else {
            JobKind::Ingest
        }
    }
}

/// Queues a job unless one is already queued or running for the source.
pub async fn enqueue(pool: &AnyPool, workspace_id: &str, source_id: &str, kind: JobKind) -> Result<(), sqlx::Error> {
    let now = now_millis();
    let active: Option<(String,)> = sqlx::query_as("SELECT id FROM knowledge_jobs WHERE workspace_id = $1 AND source_id = $2 AND state IN ('queued', 'processing')")
        .bind(workspace_id)
        .bind(source_id)
        .fetch_optional(pool)
        .await?;
    if active.is_some() {
        return Ok(());
    }
    sqlx::query("INSERT INTO knowledge_jobs (id, workspace_id, source_id, kind, state, run_after, created_at, updated_at) VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7)")
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(workspace_id)
        .bind(source_id)
        .bind(kind.as_str())
        .bind(now)
        .bind(now)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(())
}

/// Takes the next due job, or one whose worker's lease ran out.
pub async fn claim(pool: &AnyPool, lease_ms: i64) -> Result<Option<Job>, sqlx::Error> {
    let now = now_millis();
    let due = "((state = 'queued' AND run_after <= $N1) OR (state = 'processing' AND lease_until < $N2))";
    let candidate: Option<(String,)> = sqlx::query_as(&format!(
        "SELECT id FROM knowledge_jobs WHERE {} ORDER BY run_after, created_at LIMIT 1",
        due.replace("$N1", "$1").replace("$N2", "$2")
    ))
    .bind(now)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    let Some((id,)) = candidate else { return Ok(None) };
    // The state check again: another worker may have claimed it meanwhile.
    sqlx::query_as(&format!(
        "UPDATE knowledge_jobs SET state = 'processing', lease_until = $1, attempts = attempts + 1, updated_at = $2
         WHERE id = $3 AND {} RETURNING id, workspace_id, source_id, kind, attempts, max_attempts",
        due.replace("$N1", "$4").replace("$N2", "$5")
    ))
    .bind(now + lease_ms)
    .bind(now)
    .bind(&id)
    .bind(now)
    .bind(now)
    .fetch_optional(pool)
    .await
}

/// Records progress and renews the lease. `false` means the job is no
/// longer ours (cancelled, or its source deleted): stop.
pub async fn heartbeat(pool: &AnyPool, job_id: &str, progress: i64, lease_ms: i64) -> Result<bool, sqlx::Error> {
    let now = now_millis();
    let done = sqlx::query("UPDATE knowledge_jobs SET progress = $1, lease_until = $2, updated_at = $3 WHERE id = $4 AND state = 'processing'")
        .bind(progress)
        .bind(now + lease_ms)
        .bind(now)
        .bind(job_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn finish(pool: &AnyPool, job_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE knowledge_jobs SET state = 'ready', progress = 100, lease_until = NULL, error = NULL, updated_at = $1 WHERE id = $2 AND state = 'processing'")
        .bind(now_millis())
        .bind(job_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// A failure: retried with exponential backoff (30 s, 2 min, 8 min, …)
/// while attempts remain and the error may pass; otherwise failed.
/// Returns whether it will be retried.
pub async fn fail(pool: &AnyPool, job: &Job, error: &str, retryable: bool) -> Result<bool, sqlx::Error> {
    let now = now_millis();
    let retry = retryable && job.attempts < job.max_attempts;
    let backoff = 30_000i64 * 4i64.pow(job.attempts.clamp(1, 6) as u32 - 1);
    // Jitter spreads retries of jobs that failed together.
    let jitter = (uuid::Uuid::new_v4().as_u128() % 5_000) as i64;
    sqlx::query("UPDATE knowledge_jobs SET state = $1, run_after = $2, lease_until = NULL, error = $3, updated_at = $4 WHERE id = $5 AND state = 'processing'")
        .bind(if retry { "queued" } else { "failed" })
        .bind(now + backoff + jitter)
        .bind(error)
        .bind(now)
        .bind(&job.id)
        .execute(pool)
        .await?;
    Ok(retry)
}

/// Cancels the source's queued or running job. Returns whether there was one.
pub async fn cancel(pool: &AnyPool, workspace_id: &str, source_id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE knowledge_jobs SET state = 'cancelled', lease_until = NULL, updated_at = $1 WHERE workspace_id = $2 AND source_id = $3 AND state IN ('queued', 'processing')")
        .bind(now_millis())
        .bind(workspace_id)
        .bind(source_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Failed attempts of the source's current job.
pub async fn attempts(pool: &AnyPool, workspace_id: &str, source_id: &str) -> Result<i64, sqlx::Error> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT attempts FROM knowledge_jobs WHERE workspace_id = $1 AND source_id = $2 AND state IN ('queued', 'processing') LIMIT 1")
        .bind(workspace_id)
        .bind(source_id)
        .fetch_optional(pool)
        .await?;
    Ok(row.map_or(0, |r| r.0))
}

pub async fn forget_source(pool: &AnyPool, workspace_id: &str, source_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM knowledge_jobs WHERE workspace_id = $1 AND source_id = $2")
        .bind(workspace_id)
        .bind(source_id)
        .execute(pool)
        .await?;
    sqlx::query("DELETE FROM knowledge_schedules WHERE workspace_id = $1 AND source_id = $2")
        .bind(workspace_id)
        .bind(source_id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn set_schedule(
    pool: &AnyPool,
    workspace_id: &str,
    source_id: &str,
    every_hours: Option<u32>,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM knowledge_schedules WHERE workspace_id = $1 AND source_id = $2")
        .bind(workspace_id)
        .bind(source_id)
        .execute(pool)
        .await?;
    if let Some(hours) = every_hours {
        sqlx::query("INSERT INTO knowledge_schedules (workspace_id, source_id, every_hours, next_run_at) VALUES ($1, $2, $3, $4)")
            .bind(workspace_id)
            .bind(source_id)
            .bind(i64::from(hours))
            .bind(now_millis() + i64::from(hours) * 3_600_000)
            .execute(pool)
            .await?;
    }
    Ok(())
}

pub async fn next_sync_at(pool: &AnyPool, workspace_id: &str, source_id: &str) -> Result<Option<i64>, sqlx::Error> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT next_run_at FROM knowledge_schedules WHERE workspace_id = $1 AND source_id = $2")
            .bind(workspace_id)
            .bind(source_id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|r| r.0))
}

/// Queues an ingest job for every source whose scheduled re-sync is due.
pub async fn queue_due_syncs(pool: &AnyPool) -> Result<Vec<(String, String)>, sqlx::Error> {
    let now = now_millis();
    let due: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT workspace_id, source_id, every_hours FROM knowledge_schedules WHERE next_run_at <= $1")
            .bind(now)
            .fetch_all(pool)
            .await?;
    for (workspace_id, source_id, hours) in &due {
        sqlx::query("UPDATE knowledge_schedules SET next_run_at = $1 WHERE workspace_id = $2 AND source_id = $3")
            .bind(now + hours * 3_600_000)
            .bind(workspace_id)
            .bind(source_id)
            .execute(pool)
            .await?;
        enqueue(pool, workspace_id, source_id, JobKind::Ingest).await?;
    }
    Ok(due.into_iter().map(|(w, s, _)| (w, s)).collect())
}
