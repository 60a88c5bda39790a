//! The relational store (accounts, conversations, billing, …): SQLite by
//! default, PostgreSQL at scale, behind one `sqlx::AnyPool`. Queries are
//! written once in portable SQL with `$n` placeholders and every one of them
//! runs in the test suite on both backends; that is why they are checked at
//! test time rather than by `query!` at compile time, which can only know one
//! backend.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, ConnectOptions, Connection, Executor};

use crate::config::DatabaseUrl;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum SqlStoreError {
    #[error("could not create the database directory {path}: {source}")]
    CreateDir { path: String, source: std::io::Error },
    #[error("could not connect to the SQL database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("could not start the SQLite thread: {0}")]
    Lane(#[source] std::io::Error),
    #[error("a database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

#[derive(Clone, Debug)]
pub struct SqlStore {
    pool: AnyPool,
    /// Where the hot write paths queue: SQLite takes one writer at a time,
    /// and many connections racing for its lock wait in its busy handler,
    /// which sleeps (up to 100 ms a try) while the lock sits free, so under
    /// a burst some writes took seconds. One connection queues them fairly
    /// here instead. On PostgreSQL it is the pool itself.
    writer: AnyPool,
    /// SQLite only: where [`SqlStore::write`] and [`SqlStore::read`] run.
    lane: Option<Lane>,
    backend: Backend,
}

/// A thread of its own for SQLite's hot paths. A transaction holds the only
/// writer connection across several round trips to SQLite's worker thread;
/// on a runtime busy with thousands of streaming answers each round trip
/// waited for its turn behind all of them, the writer stayed held for the
/// sum of those waits, and bursts of new chats queued for seconds. Here a
/// round trip waits only for the OS to wake this thread, which runs ahead
/// of the busy ones where the host allows it (see [`Lane::run_ahead`]).
#[derive(Clone, Debug)]
struct Lane {
    runtime: tokio::runtime::Handle,
    /// Dropped with the last clone of the store: the thread then ends.
    _stop: Arc<tokio::sync::oneshot::Sender<()>>,
}

impl Lane {
    fn start() -> std::io::Result<Lane> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new().name("sqlite-lane".into()).spawn(move || {
            Lane::run_ahead();
            let _ = runtime.block_on(stopped);
        })?;
        Ok(Lane { runtime: handle, _stop: Arc::new(stop) })
    }

    /// Raises this thread's scheduling priority (Linux: `setpriority` acts
    /// on the calling thread, and threads it starts inherit it, so the
    /// connections opened here run ahead too). Their work is a sliver of a
    /// core that everything else waits on; on a machine busy streaming,
    /// each round trip otherwise waited for a time slice. Without the
    /// privilege (`CAP_SYS_NICE`) it stays at the default priority.
    fn run_ahead() {
        #[cfg(target_os = "linux")]
        // SAFETY: a plain system call on the calling thread, no pointers.
        if unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, LANE_NICENESS) } != 0 {
            tracing::debug!(error = %std::io::Error::last_os_error(), "the SQLite thread keeps the default priority");
        }
    }

    async fn run<T: Send + 'static>(&self, job: impl Future<Output = T> + Send + 'static) -> T {
        match self.runtime.spawn(job).await {
            Ok(value) => value,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(_) => unreachable!("the lane stops only once its store is dropped"),
        }
    }
}

/// The lane's niceness: well ahead of the default 0, so a wake-up preempts
/// busy threads at once.
#[cfg(target_os = "linux")]
const LANE_NICENESS: libc::c_int = -10;

impl SqlStore {
    pub async fn connect(url: &DatabaseUrl, max_connections: u32) -> Result<Self, SqlStoreError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = match url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .map_err(|source| SqlStoreError::CreateDir { path: dir.display().to_string(), source })?;
                }
                (Backend::Sqlite, format!("sqlite://{}?mode=rwc", path.display()))
            }
            DatabaseUrl::Postgres(url) => (Backend::Postgres, url.clone()),
        };
        let options: AnyConnectOptions = url.parse().map_err(SqlStoreError::Connect)?;
        // One direct connection first: it fails with the real cause (refused,
        // bad password, unknown database) where the pool would only time out.
        options.connect().await.map_err(SqlStoreError::Connect)?.close().await.map_err(SqlStoreError::Connect)?;
        let pool = pool_options(backend, max_connections)
            .connect_with(options.clone())
            .await
            .map_err(SqlStoreError::Connect)?;
        let (writer, lane) = match backend {
            Backend::Sqlite => {
                let lane = Lane::start().map_err(SqlStoreError::Lane)?;
                // Opened on the lane, so the connection's thread shares its priority.
                let writer = lane.run(pool_options(backend, 1).connect_with(options)).await;
                (writer.map_err(SqlStoreError::Connect)?, Some(lane))
            }
            Backend::Postgres => (pool.clone(), None),
        };
        Ok(SqlStore { pool, writer, lane, backend })
    }

    /// Applies pending migrations; refuses to start on any failure.
    pub async fn migrate(&self) -> Result<(), SqlStoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Runs `job` with the pool for writes on paths that run many times a
    /// second (see the `writer` field); on SQLite on its own thread (see
    /// [`Lane`]). Never wait on the pool while holding one of its
    /// connections: on SQLite it has only one.
    pub async fn write<T, Job>(&self, job: impl FnOnce(AnyPool) -> Job) -> T
    where
        Job: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.on_lane(job(self.writer.clone())).await
    }

    /// Runs `job` with the pool, as [`SqlStore::write`] does: for reads on
    /// those same paths.
    pub async fn read<T, Job>(&self, job: impl FnOnce(AnyPool) -> Job) -> T
    where
        Job: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.on_lane(job(self.pool.clone())).await
    }

    async fn on_lane<T: Send + 'static>(&self, job: impl Future<Output = T> + Send + 'static) -> T {
        match &self.lane {
            Some(lane) => lane.run(job).await,
            None => job.await,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

fn pool_options(backend: Backend, max_connections: u32) -> AnyPoolOptions {
    AnyPoolOptions::new().max_connections(max_connections).acquire_timeout(Duration::from_secs(10)).after_connect(
        move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // WAL lets readers run beside the writer; the busy
                    // timeout queues writers instead of failing them.
                    conn.execute("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;")
                        .await?;
                }
                Ok(())
            })
        },
    )
}

/// Milliseconds since the Unix epoch: the portable timestamp both backends store.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::panic::AssertUnwindSafe;

    use futures_util::FutureExt;

    use super::*;

    #[tokio::test]
    async fn sqlite_hot_paths_run_on_their_own_thread_which_outlives_a_panicking_job() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = SqlStore::connect(&DatabaseUrl::Sqlite(dir.path().join("lane.db")), 2).await.expect("SQLite opens");
        let thread = store.write(|_| async { std::thread::current().name().map(str::to_owned) }).await;
        assert_eq!(thread.as_deref(), Some("sqlite-lane"));

        let panicked = AssertUnwindSafe(store.write(|_| async { panic!("a job failed") })).catch_unwind().await;
        let message = panicked.expect_err("the job's panic reaches its caller");
        assert_eq!(message.downcast_ref::<&str>(), Some(&"a job failed"));

        let one: i64 = store
            .read(|db| async move { sqlx::query_scalar("SELECT 1").fetch_one(&db).await })
            .await
            .expect("the lane still answers");
        assert_eq!(one, 1);
    }
}
