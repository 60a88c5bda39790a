//! The knowledge store: SurrealDB, embedded (SurrealKV on disk, or in memory
//! for tests) or a remote server.

use std::sync::Arc;

use surrealdb::engine::any::Any;
use surrealdb::engine::local::Db;
use surrealdb::opt::auth::Root;
use surrealdb::Surreal;
use surrealdb_core::kvs::Datastore;

use crate::config::{SurrealConfig, SurrealTarget};

#[derive(Debug, thiserror::Error)]
pub enum KnowledgeStoreError {
    #[error("could not create the knowledge directory {path}: {source}")]
    CreateDir { path: String, source: std::io::Error },
    #[error("could not open the embedded knowledge store: {0}")]
    Open(String),
    #[error("SurrealDB error: {0}")]
    Surreal(#[from] surrealdb::Error),
}

/// A handle on whichever SurrealDB the configuration chose. The embedded
/// engines and the remote client are different Rust types, so callers go
/// through the methods here rather than the raw client. Clones share one
/// client: cloning a SurrealDB client opens another session on its engine,
/// and this handle is cloned with the app's state for every request. Take
/// `Surreal::clone` of the client only for a session of one's own.
#[derive(Clone)]
pub enum KnowledgeStore {
    Embedded { db: Arc<Surreal<Db>>, datastore: Arc<Datastore> },
    Remote(Arc<Surreal<Any>>),
}

impl KnowledgeStore {
    pub async fn connect(config: &SurrealConfig) -> Result<Self, KnowledgeStoreError> {
        let store = match &config.target {
            SurrealTarget::Embedded(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|source| KnowledgeStoreError::CreateDir { path: dir.display().to_string(), source })?;
                let path = format!("surrealkv://{}", dir.display());
                open_bounded(&path, config).await?
            }
            SurrealTarget::Memory => open_bounded("mem://", config).await?,
            SurrealTarget::Remote { url, user, password } => {
                let db = surrealdb::engine::any::connect(url.as_str()).await?;
                db.signin(Root { username: user.clone(), password: password.clone() }).await?;
                KnowledgeStore::Remote(Arc::new(db))
            }
        };
        match &store {
            KnowledgeStore::Embedded { db, .. } => db.use_ns(&config.namespace).use_db(&config.database).await?,
            KnowledgeStore::Remote(db) => db.use_ns(&config.namespace).use_db(&config.database).await?,
        };
        Ok(store)
    }

    /// Succeeds when the store answers a query.
    pub async fn ping(&self) -> Result<(), surrealdb::Error> {
        match self {
            KnowledgeStore::Embedded { db, .. } => db.query("RETURN 1").await?.check().map(|_| ()),
            KnowledgeStore::Remote(db) => db.query("RETURN 1").await?.check().map(|_| ()),
        }
    }
}

impl KnowledgeStore {
    /// Flushes and closes an embedded store; a remote one needs nothing.
    pub async fn close(&self) {
        if let KnowledgeStore::Embedded { datastore, .. } = self {
            if let Err(e) = datastore.shutdown().await {
                tracing::warn!(error = %e, "the knowledge store did not close cleanly");
            }
        }
    }
}

/// Opens an embedded datastore with explicit memory bounds. The SDK's own
/// `connect` sizes SurrealKV's block cache at half the machine's memory and
/// its write buffer at up to 1 GiB, and offers no way to change either, so the
/// datastore is built here with the same steps the SDK takes, plus the bounds.
async fn open_bounded(path: &str, config: &SurrealConfig) -> Result<KnowledgeStore, KnowledgeStoreError> {
    let open = |e: anyhow::Error| KnowledgeStoreError::Open(format!("{e:#}"));
    let settings = surrealdb_cnf::ConfigMap::empty()
        .with_key_value("surrealkv_block_cache_capacity", config.cache_bytes.to_string())
        .with_key_value("surrealkv_max_memtable_size", config.memtable_bytes.to_string());
    let datastore = Datastore::builder()
        .with_config(settings)
        .without_maintenance_tasks()
        .build_with_path(path)
        .await
        .map_err(open)?;
    datastore.check_version().await.map_err(open)?;
    datastore.bootstrap().await.map_err(open)?;
    datastore.start_maintenance_tasks();
    let db = Surreal::<Db>::unstable_from_datastore(Arc::clone(&datastore), None).await?;
    Ok(KnowledgeStore::Embedded { db: Arc::new(db), datastore })
}
