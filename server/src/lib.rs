#![recursion_limit = "256"]
//! The Lodestar server: configuration, stores, services and the HTTP app.
//! `main.rs` only wires these together.

pub mod accounts;
pub mod backoff;
pub mod billing;
pub mod chat;
pub mod config;
pub mod demo;
pub mod desk;
pub mod error;
pub mod http;
pub mod knowledge;
pub mod live;
pub mod mentor;
pub mod sales;
pub mod sql;
pub mod state;
pub mod telemetry;
pub mod tickets;

use accounts::mailer::Mailer;
use accounts::secrets::ServerKey;
use accounts::Accounts;
use config::Config;
use std::sync::Arc;

use knowledge::{Knowledge, KnowledgeStore};
use sql::SqlStore;
use state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Sql(#[from] sql::SqlStoreError),
    #[error(transparent)]
    Knowledge(#[from] knowledge::KnowledgeStoreError),
    #[error(transparent)]
    Mailer(#[from] accounts::mailer::MailerError),
    #[error("could not read or create the secret key file {path}: {source}")]
    SecretKey { path: String, source: std::io::Error },
    #[error(transparent)]
    Embeddings(#[from] knowledge::embed::EmbedError),
    #[error(transparent)]
    Onet(#[from] &'static mentor::onet::OnetError),
    #[error("{0}")]
    Llm(String),
    #[error("could not set up Stripe: {0}")]
    Billing(#[source] error::AppError),
    #[error("could not seed the demo workspace: {0}")]
    Seed(#[source] error::AppError),
    #[error("could not listen on {addr}: {source}")]
    Listen { addr: std::net::SocketAddr, source: std::io::Error },
    #[error("the server stopped with an error: {0}")]
    Serve(#[source] std::io::Error),
}

/// Opens both stores, applies migrations and loads the embedding model:
/// everything start-up does before it can serve.
pub async fn open_state(config: Config) -> Result<AppState, StartError> {
    open_state_with(config, None, None).await
}

/// `open_state` with a given embedder and extraction-worker program (tests
/// share one loaded model and point at the built server binary).
pub async fn open_state_with(
    config: Config,
    embedder: Option<Arc<dyn knowledge::embed::Embedder>>,
    worker_program: Option<std::path::PathBuf>,
) -> Result<AppState, StartError> {
    let sql = SqlStore::connect(&config.database_url, config.database_max_connections).await?;
    sql.migrate().await?;
    mentor::onet::Onet::load()?;
    let knowledge = KnowledgeStore::connect(&config.surreal).await?;
    let key = match &config.auth.secret_key {
        Some(secret) => ServerKey::new(secret.clone()),
        None => {
            let path = config.data_dir.join("secret.key");
            ServerKey::load_or_create(&path)
                .map_err(|source| StartError::SecretKey { path: path.display().to_string(), source })?
        }
    };
    let development = config.environment == config::Environment::Development;
    let mailer = Mailer::new(&config.auth, &config.data_dir, development)?;
    let accounts = Arc::new(Accounts::new(&config, sql.clone(), key, mailer));
    if config.auth.seed_demo {
        accounts::seed_demo(&accounts).await.map_err(StartError::Seed)?;
    }
    let embedder: Arc<dyn knowledge::embed::Embedder> = match embedder {
        Some(embedder) => embedder,
        None => match &config.knowledge.provider {
            Some(p) => Arc::new(
                knowledge::embed::ProviderEmbedder::connect(&p.base_url, p.api_key.expose(), &p.model, p.dimensions)
                    .await?,
            ),
            None => Arc::new(
                knowledge::embed::LocalMiniLm::load(&config.knowledge.model_dir, config.knowledge.model_from_hub)
                    .await?,
            ),
        },
    };
    let llm = config.llm.clone().map(chat::llm::Llm::new).transpose().map_err(StartError::Llm)?.map(Arc::new);
    let knowledge_service =
        Knowledge::new(&config, sql.clone(), knowledge.clone(), accounts.clone(), embedder.clone(), worker_program);
    let mentor = Arc::new(mentor::service::Mentor::new(
        &embedder,
        sql.clone(),
        accounts.clone(),
        llm.clone(),
        knowledge_service.worker_limits(),
    ));
    mentor.warm_up();
    let live = Arc::new(live::Live::start(sql.clone(), &config.database_url).await);
    let categorizer = Arc::new(tickets::categories::Categorizer::new(embedder.clone()));
    let chat = Arc::new(chat::Chat::new(
        sql.clone(),
        knowledge_service.clone(),
        accounts.clone(),
        llm,
        live.clone(),
        categorizer.clone(),
        &config,
    ));
    chat.warm_up();
    let seed = config.auth.seed_demo;
    let mut inbound = config.inbound_email.clone();
    if inbound.secret.is_none() && inbound.local_secret {
        let path = config.data_dir.join("inbound.secret");
        let key = ServerKey::load_or_create(&path)
            .map_err(|source| StartError::SecretKey { path: path.display().to_string(), source })?;
        inbound.secret = Some(config::Secret::new(String::from_utf8_lossy(key.bytes()).into_owned()));
    }
    let desk = Arc::new(desk::Desk::new(sql.clone(), accounts.clone(), live.clone(), chat.clone(), inbound));
    let tickets = Arc::new(tickets::Tickets::new(sql.clone(), accounts.clone(), categorizer, live.clone()));
    let billing = Arc::new(billing::Billing::new(&config, sql.clone(), accounts.clone()).map_err(StartError::Billing)?);
    let products = state::Products { knowledge: knowledge_service.clone(), chat, live, desk, mentor, tickets, billing };
    let state = AppState::new(config, sql, knowledge, accounts, products);
    // Seeded sources are written before the workers start, so no job can
    // conflict with their writes.
    if seed {
        demo::seed(&state).await.map_err(StartError::Seed)?;
    }
    knowledge_service.start();
    state.desk.start_followups();
    state.billing.start();
    Ok(state)
}
