//! The Lodestar server: configuration, stores, services and the HTTP app.
//! `main.rs` only wires these together.

pub mod config;
pub mod error;
pub mod http;
pub mod knowledge;
pub mod sales;
pub mod sql;
pub mod state;
pub mod telemetry;

use config::Config;
use knowledge::KnowledgeStore;
use sql::SqlStore;
use state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Sql(#[from] sql::SqlStoreError),
    #[error(transparent)]
    Knowledge(#[from] knowledge::KnowledgeStoreError),
    #[error("could not listen on {addr}: {source}")]
    Listen { addr: std::net::SocketAddr, source: std::io::Error },
    #[error("the server stopped with an error: {0}")]
    Serve(#[source] std::io::Error),
}

/// Opens both stores and applies migrations: everything start-up does before
/// it can serve.
pub async fn open_state(config: Config) -> Result<AppState, StartError> {
    let sql = SqlStore::connect(&config.database_url, config.database_max_connections).await?;
    sql.migrate().await?;
    let knowledge = KnowledgeStore::connect(&config.surreal).await?;
    Ok(AppState::new(config, sql, knowledge))
}
