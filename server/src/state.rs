//! Everything a request handler may need, built once at start-up.

use std::sync::Arc;

use app::services::Services;
use axum::extract::FromRef;
use leptos::config::{Env, LeptosOptions};

use crate::accounts::Accounts;
use crate::billing::Billing;
use crate::chat::Chat;
use crate::config::{Config, Environment};
use crate::desk::Desk;
use crate::http::metrics::Metrics;
use crate::knowledge::{Knowledge, KnowledgeStore};
use crate::live::Live;
use crate::mentor::service::Mentor;
use crate::sales::SqlSalesService;
use crate::sql::SqlStore;
use crate::tickets::Tickets;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub leptos: LeptosOptions,
    pub sql: SqlStore,
    pub knowledge_store: KnowledgeStore,
    pub services: Services,
    /// The same value as `services.accounts`, with the server-only token
    /// methods the REST handlers need.
    pub accounts: Arc<Accounts>,
    /// The same value as `services.knowledge`, with retrieval for the chat.
    pub knowledge: Arc<Knowledge>,
    /// The support bot's pipeline, for the widget API.
    pub chat: Arc<Chat>,
    /// Live conversations: closed at shutdown.
    pub live: Arc<Live>,
    /// The same value as `services.desk`, for the agents' live channels.
    pub desk: Arc<Desk>,
    /// The same value as `services.mentor`, for the extension API.
    pub mentor: Arc<Mentor>,
    /// The same value as `services.billing`, for Stripe's webhook.
    pub billing: Arc<Billing>,
    pub metrics: Arc<Metrics>,
}

/// The products' services, built at start-up and handed to the state together.
pub struct Products {
    pub knowledge: Arc<Knowledge>,
    pub chat: Arc<Chat>,
    pub live: Arc<Live>,
    pub desk: Arc<Desk>,
    pub mentor: Arc<Mentor>,
    pub tickets: Arc<Tickets>,
    pub billing: Arc<Billing>,
}

impl AppState {
    pub fn new(
        config: Config,
        sql: SqlStore,
        knowledge_store: KnowledgeStore,
        accounts: Arc<Accounts>,
        products: Products,
    ) -> Self {
        let Products { knowledge, chat, live, desk, mentor, tickets, billing } = products;
        let services = Services {
            sales: Arc::new(SqlSalesService::new(sql.clone())),
            accounts: accounts.clone(),
            team: accounts.clone(),
            knowledge: knowledge.clone(),
            chat: chat.clone(),
            desk: desk.clone(),
            mentor: mentor.clone(),
            tickets,
            billing: billing.clone(),
        };
        AppState {
            accounts,
            knowledge_store,
            leptos: leptos_options(&config),
            config: Arc::new(config),
            sql,
            knowledge,
            chat,
            live,
            desk,
            mentor,
            billing,
            services,
            metrics: Arc::new(Metrics::default()),
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(config.site.output_name.as_str())
        .site_root(config.site.root.display().to_string())
        .site_pkg_dir(config.site.pkg_dir.as_str())
        .site_addr(config.listen)
        .env(match config.environment {
            Environment::Development => Env::DEV,
            Environment::Production => Env::PROD,
        })
        .reload_port(config.site.reload_port.map(u32::from).unwrap_or(3001))
        .hash_files(config.site.hashed_assets)
        .build()
}
