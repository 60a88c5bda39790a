//! The persistent job queue (SQL): a job is claimed with a lease that the
//! worker renews as it makes progress. A worker that dies (even `kill -9`)
//! stops renewing; once the lease lapses another claim picks the job up,
//! and because chunk ids are deterministic the rerun neither duplicates nor
//! loses chunks.
//!
//! While a job runs its lease is renewed in the background, so a lease
//! lapses only when the process died or hung. Each claim counts an attempt,
//! and the attempt's number fences the lease: a worker whose lease lapsed
//! and was claimed again can no longer renew, finish or fail the job. A job
//! whose worker keeps dying with it (a file that crashes the process on
//! every start) ends failed after [`CRASHES_BEFORE_FAILING`] lapsed leases. A workspace has at most one
//! job running at a time, so one tenant's long crawl or many uploads leave
//! the other workers to other tenants.

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

/// Lapsed leases (the process died mid-job) after which a job is not run again.
pub const CRASHES_BEFORE_FAILING: i64 = 3;

/// Why a job that kept losing its worker was stopped, as its source shows it.
pub const CRASHED: &str = "reading this source stopped the server's worker several times, so it was stopped \
to protect the service; check the file or page, then add it again";

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

/// Due: queued and its time has come, or running under a lease that
/// lapsed while crashes remain. `$N` is now, `$C` [`CRASHES_BEFORE_FAILING`].
const DUE: &str = "((j.state = 'queued' AND j.run_after <= $N) OR (j.state = 'processing' AND j.lease_until < $N
    AND j.attempts < j.max_attempts AND j.lapses + 1 < $C))";

/// Takes the next due job of a workspace that has none running (a lapsed
/// one is due itself), or `None`. The unique index on running jobs per
/// workspace settles a race between processes: the loser claims nothing.
pub async fn claim(pool: &AnyPool, lease_ms: i64) -> Result<Option<Job>, sqlx::Error> {
    let now = now_millis();
    let candidate: Option<(String,)> = sqlx::query_as(&format!(
        "SELECT j.id FROM knowledge_jobs j WHERE {} AND NOT EXISTS (
           SELECT 1 FROM knowledge_jobs r WHERE r.workspace_id = j.workspace_id AND r.id <> j.id
             AND r.state = 'processing')
         ORDER BY j.run_after, j.created_at LIMIT 1",
        DUE.replace("$N", "$1").replace("$C", "$2")
    ))
    .bind(now)
    .bind(CRASHES_BEFORE_FAILING)
    .fetch_optional(pool)
    .await?;
    let Some((id,)) = candidate else { return Ok(None) };
    // Due again: another worker may have claimed it meanwhile.
    let claimed = sqlx::query_as(&format!(
        "UPDATE knowledge_jobs SET state = 'processing', lease_until = $1, attempts = attempts + 1, updated_at = $2,
           lapses = lapses + CASE WHEN state = 'processing' THEN 1 ELSE 0 END
         WHERE id = $3 AND id IN (SELECT j.id FROM knowledge_jobs j WHERE j.id = $3 AND {})
         RETURNING id, workspace_id, source_id, kind, attempts, max_attempts",
        DUE.replace("$N", "$2").replace("$C", "$4")
    ))
    .bind(now + lease_ms)
    .bind(now)
    .bind(&id)
    .bind(CRASHES_BEFORE_FAILING)
    .fetch_optional(pool)
    .await;
    match claimed {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
        other => other,
    }
}

/// Fails the jobs whose leases lapsed once too often, and returns them:
/// whatever keeps killing its worker is not tried again.
pub async fn fail_crashed(pool: &AnyPool) -> Result<Vec<Job>, sqlx::Error> {
    let now = now_millis();
    let crashed: Vec<Job> = sqlx::query_as(
        "SELECT id, workspace_id, source_id, kind, attempts, max_attempts FROM knowledge_jobs
         WHERE state = 'processing' AND lease_until < $1 AND (lapses + 1 >= $2 OR attempts >= max_attempts)",
    )
    .bind(now)
    .bind(CRASHES_BEFORE_FAILING)
    .fetch_all(pool)
    .await?;
    let mut failed = Vec::with_capacity(crashed.len());
    for job in crashed {
        let done = sqlx::query(
            "UPDATE knowledge_jobs SET state = 'failed', lease_until = NULL, error = $1, updated_at = $2
             WHERE id = $3 AND state = 'processing' AND attempts = $4 AND lease_until < $2",
        )
        .bind(CRASHED)
        .bind(now)
        .bind(&job.id)
        .bind(job.attempts)
        .execute(pool)
        .await?;
        if done.rows_affected() == 1 {
            failed.push(job);
        }
    }
    Ok(failed)
}

/// Puts this attempt's job back in the queue as if it had not been tried:
/// for a server shutting down gracefully, so that a deploy is not a crash.
pub async fn release(pool: &AnyPool, job: &Job) -> Result<(), sqlx::Error> {
    let now = now_millis();
    sqlx::query(
        "UPDATE knowledge_jobs SET state = 'queued', lease_until = NULL, run_after = $1, updated_at = $1,
           attempts = attempts - 1
         WHERE id = $2 AND state = 'processing' AND attempts = $3",
    )
    .bind(now)
    .bind(&job.id)
    .bind(job.attempts)
    .execute(pool)
    .await?;
    Ok(())
}

/// Records progress and renews the lease. `false` means the job is no
/// longer this attempt's (cancelled, its source deleted, or claimed again
/// after its lease lapsed): stop.
pub async fn heartbeat(pool: &AnyPool, job: &Job, progress: i64, lease_ms: i64) -> Result<bool, sqlx::Error> {
    let now = now_millis();
    let done = sqlx::query(
        "UPDATE knowledge_jobs SET progress = $1, lease_until = $2, updated_at = $3
         WHERE id = $4 AND state = 'processing' AND attempts = $5",
    )
    .bind(progress)
    .bind(now + lease_ms)
    .bind(now)
    .bind(&job.id)
    .bind(job.attempts)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Renews this attempt's lease, leaving progress alone: the runner does
/// so in the background, so that a long step (a slow file in the
/// extraction worker) never lets the lease lapse while the process lives.
pub async fn renew(pool: &AnyPool, job: &Job, lease_ms: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE knowledge_jobs SET lease_until = $1 WHERE id = $2 AND state = 'processing' AND attempts = $3",
    )
    .bind(now_millis() + lease_ms)
    .bind(&job.id)
    .bind(job.attempts)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks this attempt's job done; `false` when it was no longer ours.
pub async fn finish(pool: &AnyPool, job: &Job) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE knowledge_jobs SET state = 'ready', progress = 100, lease_until = NULL, error = NULL, updated_at = $1
         WHERE id = $2 AND state = 'processing' AND attempts = $3",
    )
    .bind(now_millis())
    .bind(&job.id)
    .bind(job.attempts)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A failure: retried with exponential backoff (30 s, 2 min, 8 min, …)
/// while attempts remain and the error may pass; otherwise failed.
/// Returns whether it will be retried, or `None` when the job was no
/// longer this attempt's (nothing was recorded).
pub async fn fail(pool: &AnyPool, job: &Job, error: &str, retryable: bool) -> Result<Option<bool>, sqlx::Error> {
    let now = now_millis();
    let retry = retryable && job.attempts < job.max_attempts;
    let backoff = 30_000i64 * 4i64.pow(job.attempts.clamp(1, 6) as u32 - 1);
    // Jitter spreads retries of jobs that failed together.
    let jitter = (uuid::Uuid::new_v4().as_u128() % 5_000) as i64;
    let done = sqlx::query(
        "UPDATE knowledge_jobs SET state = $1, run_after = $2, lease_until = NULL, error = $3, updated_at = $4
         WHERE id = $5 AND state = 'processing' AND attempts = $6",
    )
    .bind(if retry { "queued" } else { "failed" })
    .bind(now + backoff + jitter)
    .bind(error)
    .bind(now)
    .bind(&job.id)
    .bind(job.attempts)
    .execute(pool)
    .await?;
    Ok((done.rows_affected() == 1).then_some(retry))
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
