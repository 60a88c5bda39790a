//! The relational store (accounts, conversations, billing, …): SQLite by
//! default, PostgreSQL at scale, behind one `sqlx::AnyPool`. Queries are
//! written once in portable SQL with `$n` placeholders and every one of them
//! runs in the test suite on both backends; that is why they are checked at
//! test time rather than by `query!` at compile time, which can only know one
//! backend.

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
    backend: Backend,
}

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
        let writer = match backend {
            Backend::Sqlite => pool_options(backend, 1).connect_with(options).await.map_err(SqlStoreError::Connect)?,
            Backend::Postgres => pool.clone(),
        };
        Ok(SqlStore { pool, writer, backend })
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

    /// The pool for writes on paths that run many times a second (see
    /// [`SqlStore::writer`]'s field). Never wait on it while holding one of
    /// its connections: on SQLite it has only one.
    pub fn writer(&self) -> &AnyPool {
        &self.writer
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
