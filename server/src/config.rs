//! Typed configuration, read once at start-up from the environment and an
//! optional `.env` file. Anything missing falls back to the embedded
//! defaults; anything malformed stops start-up with the variable's name.

pub use crate::billing::settings::BillingConfig;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// A configuration problem, always naming the variable at fault.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{name} is required{why}")]
    Missing { name: &'static str, why: &'static str },
    #[error("{name} is malformed: {reason}")]
    Malformed { name: &'static str, reason: String },
    #[error("could not read .env: {0}")]
    DotEnv(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Where relational data lives.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl fmt::Debug for DatabaseUrl {
    // Postgres URLs carry passwords: never print them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(_) => f.write_str("postgres://…"),
        }
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if let Some(path) = value.strip_prefix("sqlite://").or_else(|| value.strip_prefix("sqlite:")) {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err("a sqlite URL needs a file path, like sqlite://data/lodestar.db".into());
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            let rest = value.split_once("://").map(|(_, rest)| rest).unwrap_or_default();
            if rest.is_empty() || rest.starts_with('/') {
                return Err("a postgres URL needs a host, like postgres://user:pass@localhost/lodestar".into());
            }
            return Ok(DatabaseUrl::Postgres(value.to_string()));
        }
        Err("expected a URL starting with sqlite:// or postgres://".into())
    }
}

/// Where the knowledge base (SurrealDB) lives.
#[derive(Clone, PartialEq, Eq)]
pub enum SurrealTarget {
    /// Embedded SurrealKV files in this directory.
    Embedded(PathBuf),
    /// Embedded, in memory: for tests.
    Memory,
    /// A SurrealDB server.
    Remote { url: String, user: String, password: String },
}

impl fmt::Debug for SurrealTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SurrealTarget::Embedded(path) => write!(f, "surrealkv://{}", path.display()),
            SurrealTarget::Memory => f.write_str("mem://"),
            SurrealTarget::Remote { url, user, .. } => write!(f, "{url} as {user}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SurrealConfig {
    pub target: SurrealTarget,
    pub namespace: String,
    pub database: String,
    /// Upper bound for the embedded store's block cache.
    pub cache_bytes: u64,
    /// Upper bound for the embedded store's in-memory write buffer.
    pub memtable_bytes: u64,
}

/// Where the compiled site (hydration WASM, JS, CSS, widget) is served from.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    pub root: PathBuf,
    pub pkg_dir: String,
    pub output_name: String,
    /// Asset file names carry content hashes (release builds by cargo-leptos),
    /// so they may be cached forever.
    pub hashed_assets: bool,
    /// Set by `cargo leptos watch`: the page connects back for live reload.
    pub reload_port: Option<u16>,
    /// The built widget. Outside the site root, which cargo-leptos re-syncs
    /// from `public/` and would empty.
    pub widget_dir: PathBuf,
    /// The public pages' bundle (`frontend-public`), served at `/pkg-public`:
    /// its own site root, because cargo-leptos empties a project's root
    /// before building it.
    pub public_root: PathBuf,
}

/// A configured secret: usable, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Sign-in, email and abuse settings.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Signs access tokens and CSRF tokens. In development it may be absent:
    /// one is generated into `DATA_DIR/secret.key` at start.
    pub secret_key: Option<Secret>,
    /// `smtp://user:pass@host:587?tls=required` or `smtps://…`; absent means
    /// messages go to `DATA_DIR/outbox/` as `.eml` files.
    pub smtp_url: Option<Secret>,
    pub mail_from: String,
    /// Read the client address from this header (set by a proxy you run);
    /// otherwise the socket peer is the client.
    pub trusted_proxy_header: Option<String>,
    /// Create a demo workspace and login on first start (development only).
    pub seed_demo: bool,
    /// People who may see the operators' pages (`/ops/…`), by email,
    /// lower-cased (`OPERATOR_EMAILS`; in development, the demo login).
    pub operator_emails: Vec<String>,
}

/// Visitors' answers by email to the team's follow-ups: mail to a reply
/// address reaches a forwarder (an email provider's inbound hook, or a
/// relay) that posts it, signed, to `/api/email/inbound`.
#[derive(Debug, Clone)]
pub struct InboundEmailConfig {
    /// The domain of reply addresses, `reply+…@DOMAIN` (`INBOUND_EMAIL_DOMAIN`;
    /// by default the domain of `MAIL_FROM`).
    pub reply_domain: String,
    /// Signs what the forwarder posts (`INBOUND_EMAIL_SECRET`); absent:
    /// answers by email are refused and the follow-ups say to use the chat.
    pub secret: Option<Secret>,
    /// In development without a secret, one is made in
    /// `DATA_DIR/inbound.secret`, so a local relay (and the browser tests)
    /// can deliver answers out of the box.
    pub local_secret: bool,
}

/// An OpenAI-compatible embeddings endpoint (`EMBEDDINGS=openai`).
#[derive(Debug, Clone)]
pub struct EmbeddingsProvider {
    pub base_url: String,
    pub api_key: Secret,
    pub model: String,
    pub dimensions: Option<usize>,
}

/// The knowledge base: embeddings, extraction limits, fetching, jobs.
#[derive(Debug, Clone)]
pub struct KnowledgeConfig {
    /// Where all-MiniLM-L6-v2's `model.safetensors` and `tokenizer.json` are.
    pub model_dir: PathBuf,
    /// Download the model from the Hugging Face hub when it is missing.
    pub model_from_hub: bool,
    /// `None`: the local model. Otherwise a provider's embeddings.
    pub provider: Option<EmbeddingsProvider>,
    /// Where uploads wait for their job (named by source id, never by file name).
    pub upload_dir: PathBuf,
    pub worker_memory_bytes: u64,
    pub worker_cpu_seconds: u64,
    pub worker_wall: Duration,
    /// How long a job's claim lasts without a heartbeat.
    pub job_lease: Duration,
    /// Jobs that may read files or embed at once in this process (the CPU
    /// ingestion may take).
    pub job_workers: usize,
    /// Jobs in progress at once in this process, most of them waiting on
    /// the network (a crawl between pages); one per workspace at a time.
    pub jobs_in_flight: usize,
    /// Private networks fetching may reach anyway (`FETCH_ALLOW_PRIVATE`, CIDRs).
    pub fetch_allow_private: Vec<String>,
    pub fetch_max_bytes: u64,
    pub fetch_timeout: Duration,
    /// The pause between two requests to one site when robots.txt sets none.
    pub fetch_delay: Duration,
}

/// Which wire protocol the LLM speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlmProvider {
    /// OpenAI's Chat Completions API.
    OpenAi,
    /// Anthropic's Messages API.
    Anthropic,
    /// Ollama's native `/api/chat`.
    Ollama,
    /// Any server speaking OpenAI's Chat Completions at `LLM_BASE_URL`.
    OpenAiCompatible,
}

impl LlmProvider {
    pub fn name(self) -> &'static str {
        match self {
            LlmProvider::OpenAi => "openai",
            LlmProvider::Anthropic => "anthropic",
            LlmProvider::Ollama => "ollama",
            LlmProvider::OpenAiCompatible => "openai-compatible",
        }
    }

    /// As people read it.
    pub fn label(self) -> &'static str {
        match self {
            LlmProvider::OpenAi => "OpenAI",
            LlmProvider::Anthropic => "Anthropic",
            LlmProvider::Ollama => "Ollama",
            LlmProvider::OpenAiCompatible => "An OpenAI-compatible server",
        }
    }
}

/// Generation by an LLM provider (`LLM_PROVIDER`); without one the bot
/// answers with the offline engine.
#[derive(Debug, Clone)]
pub struct LlmConfig {
    pub provider: LlmProvider,
    pub model: String,
    pub api_key: Option<Secret>,
    pub base_url: String,
    /// Certificates (PEM) trusted for the provider besides the system's:
    /// a self-hosted gateway behind a private CA.
    pub ca_file: Option<PathBuf>,
    /// Answers streamed at once over one HTTP client (one connection over
    /// HTTP/2) before another is opened; at most the provider's limit on
    /// concurrent streams (RFC 9113 recommends servers allow at least 100).
    pub streams_per_connection: usize,
    pub connect_timeout: Duration,
    /// From sending the request to the first token of the answer.
    pub first_token_timeout: Duration,
    /// Longest silence between two chunks once the answer has started.
    pub gap_timeout: Duration,
    /// The whole answer, retries included.
    pub total_timeout: Duration,
    /// Further attempts before the first token (never after).
    pub retries: u32,
    /// The first retry waits about this long (jittered, doubling), unless
    /// the provider's `Retry-After` says otherwise.
    pub retry_base: Duration,
    /// Failed answers in a row that open the circuit breaker.
    pub breaker_failures: u32,
    /// How long an open breaker sends everything to the offline engine
    /// before one trial request may close it.
    pub breaker_cooldown: Duration,
    pub max_tokens: u64,
    pub temperature: f64,
}

/// The widget's pace per visitor (fair-use shares live in each workspace's
/// settings).
#[derive(Debug, Clone)]
pub struct WidgetConfig {
    /// Messages a visitor may send at once…
    pub visitor_burst: u32,
    /// …and then one per this interval.
    pub visitor_interval: Duration,
}

/// The career mentor's API for browser extensions.
#[derive(Debug, Clone, Default)]
pub struct MentorConfig {
    /// Origins (`chrome-extension://…`, `moz-extension://…`) allowed to
    /// call `/api/mentor/v1` from a browser (`MENTOR_EXTENSION_ORIGINS`,
    /// comma-separated).
    pub extension_origins: Vec<String>,
}

/// Who may read `/metrics`: it names every route and how busy it is.
#[derive(Debug, Clone, Default)]
pub struct MetricsConfig {
    /// Serve `/metrics` on this address only (and not on the main one).
    pub listen: Option<SocketAddr>,
    /// Otherwise `/metrics` on the main address needs `Authorization: Bearer <token>`.
    pub token: Option<Secret>,
    /// Neither set: open in development, not served in production.
    pub open: bool,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub environment: Environment,
    pub public_url: String,
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: DatabaseUrl,
    pub database_max_connections: u32,
    pub surreal: SurrealConfig,
    pub site: SiteConfig,
    pub log_format: LogFormat,
    pub shutdown_grace: Duration,
    pub request_timeout: Duration,
    pub auth: AuthConfig,
    pub knowledge: KnowledgeConfig,
    pub llm: Option<LlmConfig>,
    pub metrics: MetricsConfig,
    pub widget: WidgetConfig,
    pub mentor: MentorConfig,
    pub inbound_email: InboundEmailConfig,
    pub billing: BillingConfig,
}

impl Config {
    /// Loads `.env` (if present) and then reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(ConfigError::DotEnv(e.to_string())),
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests need not touch the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &'static str| lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let parse = |name: &'static str, default: &str| -> Result<String, ConfigError> {
            Ok(get(name).unwrap_or_else(|| default.to_string()))
        };

        let environment = match parse("LODESTAR_ENV", "development")?.as_str() {
            "development" | "dev" => Environment::Development,
            "production" | "prod" => Environment::Production,
            other => {
                return Err(ConfigError::Malformed {
                    name: "LODESTAR_ENV",
                    reason: format!("expected development or production, got {other:?}"),
                })
            }
        };

        let listen: SocketAddr = parsed("LEPTOS_SITE_ADDR", &parse("LEPTOS_SITE_ADDR", "127.0.0.1:3000")?)?;
        let public_url = match (get("PUBLIC_URL"), environment) {
            (Some(url), _) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(ConfigError::Malformed {
                        name: "PUBLIC_URL",
                        reason: "expected an http:// or https:// URL".into(),
                    });
                }
                url.trim_end_matches('/').to_string()
            }
            (None, Environment::Development) => format!("http://{listen}"),
            (None, Environment::Production) => {
                return Err(ConfigError::Missing {
                    name: "PUBLIC_URL",
                    why: " when LODESTAR_ENV=production (the address people use to reach Lodestar, like https://chat.example.com)",
                })
            }
        };

        let data_dir = PathBuf::from(parse("DATA_DIR", "data")?);
        let default_db = format!("sqlite://{}", data_dir.join("lodestar.db").display());
        let database_url: DatabaseUrl = parse("DATABASE_URL", &default_db)?
            .parse()
            .map_err(|reason| ConfigError::Malformed { name: "DATABASE_URL", reason })?;

        let default_surreal = format!("surrealkv://{}", data_dir.join("knowledge").display());
        let surreal_url = parse("SURREAL_URL", &default_surreal)?;
        let target = if let Some(path) = surreal_url.strip_prefix("surrealkv://") {
            if path.is_empty() {
                return Err(ConfigError::Malformed {
                    name: "SURREAL_URL",
                    reason: "surrealkv:// needs a directory".into(),
                });
            }
            SurrealTarget::Embedded(PathBuf::from(path))
        } else if surreal_url == "mem://" || surreal_url == "memory" {
            SurrealTarget::Memory
        } else if ["ws://", "wss://", "http://", "https://"].iter().any(|s| surreal_url.starts_with(s)) {
            let why = " when SURREAL_URL points at a SurrealDB server";
            SurrealTarget::Remote {
                url: surreal_url.clone(),
                user: get("SURREAL_USER").ok_or(ConfigError::Missing { name: "SURREAL_USER", why })?,
                password: get("SURREAL_PASS").ok_or(ConfigError::Missing { name: "SURREAL_PASS", why })?,
            }
        } else {
            return Err(ConfigError::Malformed {
                name: "SURREAL_URL",
                reason: "expected surrealkv://DIR, mem://, or ws(s)://HOST:PORT".into(),
            });
        };
        let mib = |name: &'static str, default: &str| -> Result<u64, ConfigError> {
            let value: u64 = parsed(name, &parse(name, default)?)?;
            if value == 0 {
                return Err(ConfigError::Malformed { name, reason: "must be at least 1".into() });
            }
            Ok(value * 1024 * 1024)
        };
        let surreal = SurrealConfig {
            target,
            namespace: parse("SURREAL_NS", "lodestar")?,
            database: parse("SURREAL_DB", "knowledge")?,
            cache_bytes: mib("SURREAL_CACHE_MB", "256")?,
            memtable_bytes: mib("SURREAL_MEMTABLE_MB", "64")?,
        };

        let site = SiteConfig {
            root: PathBuf::from(parse("LEPTOS_SITE_ROOT", "target/site")?),
            pkg_dir: parse("LEPTOS_SITE_PKG_DIR", "pkg")?,
            output_name: parse("LEPTOS_OUTPUT_NAME", "lodestar")?,
            hashed_assets: parsed("LEPTOS_HASH_FILES", &parse("LEPTOS_HASH_FILES", "false")?)?,
            reload_port: match get("LEPTOS_WATCH") {
                Some(_) => Some(parsed("LEPTOS_RELOAD_PORT", &parse("LEPTOS_RELOAD_PORT", "3001")?)?),
                None => None,
            },
            widget_dir: PathBuf::from(parse("WIDGET_DIR", "target/widget")?),
            public_root: PathBuf::from(parse("PUBLIC_SITE_ROOT", "target/site-public")?),
        };

        let log_format = match parse("LOG_FORMAT", "pretty")?.as_str() {
            "pretty" | "text" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            other => {
                return Err(ConfigError::Malformed {
                    name: "LOG_FORMAT",
                    reason: format!("expected pretty or json, got {other:?}"),
                })
            }
        };

        let seconds = |name: &'static str, default: &str| -> Result<Duration, ConfigError> {
            Ok(Duration::from_secs(parsed(name, &parse(name, default)?)?))
        };
        let database_max_connections = parsed("DATABASE_MAX_CONNECTIONS", &parse("DATABASE_MAX_CONNECTIONS", "10")?)?;
        if database_max_connections == 0 {
            return Err(ConfigError::Malformed {
                name: "DATABASE_MAX_CONNECTIONS",
                reason: "must be at least 1".into(),
            });
        }

        let secret_key = get("SECRET_KEY").map(Secret::new);
        match (&secret_key, environment) {
            (Some(key), _) if key.expose().len() < 32 => {
                return Err(ConfigError::Malformed {
                    name: "SECRET_KEY",
                    reason: "use at least 32 random characters (for example: openssl rand -hex 32)".into(),
                })
            }
            (None, Environment::Production) => {
                return Err(ConfigError::Missing {
                    name: "SECRET_KEY",
                    why: " when LODESTAR_ENV=production (at least 32 random characters; it signs sessions' CSRF tokens and API access tokens)",
                })
            }
            _ => {}
        }
        let smtp_url = get("SMTP_URL").map(Secret::new);
        if let Some(url) = &smtp_url {
            if !(url.expose().starts_with("smtp://") || url.expose().starts_with("smtps://")) {
                return Err(ConfigError::Malformed { name: "SMTP_URL", reason: "expected smtp:// or smtps://".into() });
            }
        }
        let trusted_proxy_header = get("TRUSTED_PROXY_HEADER").map(|h| h.to_ascii_lowercase());
        if let Some(header) = &trusted_proxy_header {
            if axum::http::HeaderName::from_bytes(header.as_bytes()).is_err() {
                return Err(ConfigError::Malformed {
                    name: "TRUSTED_PROXY_HEADER",
                    reason: "not a header name".into(),
                });
            }
        }
        let auth = AuthConfig {
            secret_key,
            smtp_url,
            mail_from: parse("MAIL_FROM", "Lodestar <no-reply@lodestar.localhost>")?,
            trusted_proxy_header,
            seed_demo: environment == Environment::Development
                && parsed::<bool>("SEED_DEMO", &parse("SEED_DEMO", "true")?)?,
            operator_emails: match get("OPERATOR_EMAILS") {
                Some(list) => list.split(',').map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty()).collect(),
                None if environment == Environment::Development => vec![crate::accounts::DEMO_EMAIL.to_owned()],
                None => Vec::new(),
            },
        };

        let provider = match parse("EMBEDDINGS", "local")?.as_str() {
            "local" => None,
            "openai" => Some(EmbeddingsProvider {
                base_url: parse("EMBEDDINGS_BASE_URL", "https://api.openai.com/v1")?,
                api_key: Secret::new(
                    get("EMBEDDINGS_API_KEY")
                        .ok_or(ConfigError::Missing { name: "EMBEDDINGS_API_KEY", why: " when EMBEDDINGS=openai" })?,
                ),
                model: parse("EMBEDDINGS_MODEL", "text-embedding-3-small")?,
                dimensions: match get("EMBEDDINGS_DIMENSIONS") {
                    Some(d) => Some(parsed("EMBEDDINGS_DIMENSIONS", &d)?),
                    None => None,
                },
            }),
            other => {
                return Err(ConfigError::Malformed {
                    name: "EMBEDDINGS",
                    reason: format!("expected local or openai, got {other:?}"),
                })
            }
        };
        let knowledge = KnowledgeConfig {
            provider,
            model_dir: get("MODEL_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("models").join("all-MiniLM-L6-v2")),
            model_from_hub: parsed("EMBEDDINGS_FROM_HUB", &parse("EMBEDDINGS_FROM_HUB", "false")?)?,
            upload_dir: data_dir.join("uploads"),
            worker_memory_bytes: mib("EXTRACT_WORKER_MEMORY_MB", "1024")?,
            worker_cpu_seconds: parsed("EXTRACT_WORKER_CPU_SECS", &parse("EXTRACT_WORKER_CPU_SECS", "60")?)?,
            worker_wall: seconds("EXTRACT_WORKER_TIMEOUT_SECS", "90")?,
            job_lease: seconds("KNOWLEDGE_JOB_LEASE_SECS", "60")?,
            job_workers: parsed("KNOWLEDGE_JOB_WORKERS", &parse("KNOWLEDGE_JOB_WORKERS", "1")?)?,
            jobs_in_flight: parsed("KNOWLEDGE_JOBS_IN_FLIGHT", &parse("KNOWLEDGE_JOBS_IN_FLIGHT", "16")?)?,
            fetch_allow_private: get("FETCH_ALLOW_PRIVATE")
                .map(|v| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default(),
            fetch_max_bytes: mib("FETCH_MAX_MB", "10")?,
            fetch_timeout: seconds("FETCH_TIMEOUT_SECS", "20")?,
            fetch_delay: Duration::from_millis(parsed("FETCH_DELAY_MS", &parse("FETCH_DELAY_MS", "1000")?)?),
        };
        for net in &knowledge.fetch_allow_private {
            if crate::knowledge::fetch::AllowedNet::parse(net).is_none() {
                return Err(ConfigError::Malformed {
                    name: "FETCH_ALLOW_PRIVATE",
                    reason: format!("{net:?} is not an address or CIDR range"),
                });
            }
        }

        let millis = |name: &'static str, default: &str| -> Result<Duration, ConfigError> {
            Ok(Duration::from_millis(parsed(name, &parse(name, default)?)?))
        };
        let llm_provider = match parse("LLM_PROVIDER", "none")?.as_str() {
            "none" | "offline" => None,
            "openai" => Some(LlmProvider::OpenAi),
            "anthropic" => Some(LlmProvider::Anthropic),
            "ollama" => Some(LlmProvider::Ollama),
            "openai-compatible" => Some(LlmProvider::OpenAiCompatible),
            other => {
                return Err(ConfigError::Malformed {
                    name: "LLM_PROVIDER",
                    reason: format!("expected none, openai, anthropic, ollama or openai-compatible, got {other:?}"),
                })
            }
        };
        let llm = match llm_provider {
            None => None,
            Some(provider) => {
                let (default_model, default_base) = match provider {
                    LlmProvider::OpenAi => ("gpt-4o-mini", Some("https://api.openai.com/v1")),
                    LlmProvider::Anthropic => ("claude-3-5-haiku-latest", Some("https://api.anthropic.com")),
                    LlmProvider::Ollama => ("llama3.2", Some("http://127.0.0.1:11434")),
                    LlmProvider::OpenAiCompatible => ("", None),
                };
                let api_key = get("LLM_API_KEY").map(Secret::new);
                if api_key.is_none() && matches!(provider, LlmProvider::OpenAi | LlmProvider::Anthropic) {
                    return Err(ConfigError::Missing {
                        name: "LLM_API_KEY",
                        why: " when LLM_PROVIDER is openai or anthropic",
                    });
                }
                let why = " when LLM_PROVIDER=openai-compatible";
                let base_url = match (get("LLM_BASE_URL"), default_base) {
                    (Some(url), _) => url,
                    (None, Some(url)) => url.to_owned(),
                    (None, None) => return Err(ConfigError::Missing { name: "LLM_BASE_URL", why }),
                };
                if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
                    return Err(ConfigError::Malformed {
                        name: "LLM_BASE_URL",
                        reason: "expected an http:// or https:// URL".into(),
                    });
                }
                let model = match get("LLM_MODEL") {
                    Some(model) => model,
                    None if !default_model.is_empty() => default_model.to_owned(),
                    None => return Err(ConfigError::Missing { name: "LLM_MODEL", why }),
                };
                let streams_per_connection: usize =
                    parsed("LLM_STREAMS_PER_CONNECTION", &parse("LLM_STREAMS_PER_CONNECTION", "100")?)?;
                if streams_per_connection == 0 {
                    return Err(ConfigError::Malformed {
                        name: "LLM_STREAMS_PER_CONNECTION",
                        reason: "expected at least 1".into(),
                    });
                }
                Some(LlmConfig {
                    provider,
                    model,
                    api_key,
                    base_url: base_url.trim_end_matches('/').to_owned(),
                    ca_file: get("LLM_CA_FILE").map(PathBuf::from),
                    streams_per_connection,
                    connect_timeout: millis("LLM_CONNECT_TIMEOUT_MS", "5000")?,
                    first_token_timeout: millis("LLM_FIRST_TOKEN_TIMEOUT_MS", "15000")?,
                    gap_timeout: millis("LLM_GAP_TIMEOUT_MS", "10000")?,
                    total_timeout: millis("LLM_TOTAL_TIMEOUT_MS", "60000")?,
                    retries: parsed("LLM_RETRIES", &parse("LLM_RETRIES", "2")?)?,
                    retry_base: millis("LLM_RETRY_BASE_MS", "400")?,
                    breaker_failures: parsed("LLM_BREAKER_FAILURES", &parse("LLM_BREAKER_FAILURES", "5")?)?,
                    breaker_cooldown: seconds("LLM_BREAKER_COOLDOWN_SECS", "30")?,
                    max_tokens: parsed("LLM_MAX_TOKENS", &parse("LLM_MAX_TOKENS", "700")?)?,
                    temperature: parsed("LLM_TEMPERATURE", &parse("LLM_TEMPERATURE", "0.2")?)?,
                })
            }
        };

        let metrics = MetricsConfig {
            listen: match get("METRICS_ADDR") {
                Some(addr) => Some(parsed("METRICS_ADDR", &addr)?),
                None => None,
            },
            token: get("METRICS_TOKEN").map(Secret::new),
            open: environment == Environment::Development,
        };
        if metrics.token.as_ref().is_some_and(|t| t.expose().len() < 16) {
            return Err(ConfigError::Malformed {
                name: "METRICS_TOKEN",
                reason: "use at least 16 random characters".into(),
            });
        }

        let widget = WidgetConfig {
            visitor_burst: parsed("WIDGET_VISITOR_BURST", &parse("WIDGET_VISITOR_BURST", "6")?)?,
            visitor_interval: millis("WIDGET_VISITOR_INTERVAL_MS", "5000")?,
        };
        if widget.visitor_burst == 0 {
            return Err(ConfigError::Malformed { name: "WIDGET_VISITOR_BURST", reason: "must be at least 1".into() });
        }

        let mentor = MentorConfig {
            extension_origins: get("MENTOR_EXTENSION_ORIGINS")
                .map(|list| {
                    list.split(',')
                        .map(|o| o.trim().trim_end_matches('/').to_owned())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
        };
        if let Some(origin) = mentor.extension_origins.iter().find(|o| !is_extension_origin(o)) {
            return Err(ConfigError::Malformed {
                name: "MENTOR_EXTENSION_ORIGINS",
                reason: format!(
                    "{origin:?} is not a browser extension's origin (chrome-extension://ID, moz-extension://UUID or \
                     safari-web-extension://ID)"
                ),
            });
        }

        let mail_domain = auth.mail_from.rsplit_once('@').map(|(_, domain)| domain.trim_end_matches('>').to_owned());
        let inbound_email = InboundEmailConfig {
            reply_domain: get("INBOUND_EMAIL_DOMAIN")
                .or(mail_domain)
                .unwrap_or_else(|| "lodestar.localhost".into())
                .to_ascii_lowercase(),
            secret: get("INBOUND_EMAIL_SECRET").map(Secret::new),
            local_secret: environment == Environment::Development,
        };
        if inbound_email.secret.as_ref().is_some_and(|s| s.expose().len() < 16) {
            return Err(ConfigError::Malformed {
                name: "INBOUND_EMAIL_SECRET",
                reason: "use at least 16 random characters".into(),
            });
        }

        let billing = BillingConfig::from_lookup(get)?;

        Ok(Config {
            billing,
            inbound_email,
            mentor,
            widget,
            metrics,
            llm,
            knowledge,
            auth,
            environment,
            public_url,
            listen,
            data_dir,
            database_url,
            database_max_connections,
            surreal,
            site,
            log_format,
            shutdown_grace: seconds("SHUTDOWN_TIMEOUT_SECS", "20")?,
            request_timeout: seconds("REQUEST_TIMEOUT_SECS", "30")?,
        })
    }

    /// Configuration for tests: every store in a fresh place, nothing on disk
    /// shared with a developer's `./data`.
    pub fn for_tests(data_dir: PathBuf, database_url: DatabaseUrl) -> Self {
        let mut config = Self::from_lookup(|_| None).expect("defaults are valid");
        config.data_dir = data_dir;
        config.database_url = database_url;
        config.surreal.target = SurrealTarget::Memory;
        config.auth.secret_key = Some(Secret::new(format!("test-secret-{}", uuid::Uuid::new_v4().simple())));
        config.auth.seed_demo = false;
        config.auth.operator_emails.clear();
        config.knowledge.upload_dir = config.data_dir.join("uploads");
        config.knowledge.fetch_delay = Duration::ZERO;
        config.inbound_email.secret = Some(Secret::new(format!("test-inbound-{}", uuid::Uuid::new_v4().simple())));
        config.inbound_email.local_secret = false;
        config
    }
}

/// `scheme://id` for a browser extension scheme, with nothing after the id.
fn is_extension_origin(origin: &str) -> bool {
    ["chrome-extension://", "moz-extension://", "safari-web-extension://"].iter().any(|scheme| {
        origin
            .strip_prefix(scheme)
            .is_some_and(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    })
}

fn parsed<T: FromStr>(name: &'static str, value: &str) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    value.parse().map_err(|e: T::Err| ConfigError::Malformed { name, reason: format!("{value:?}: {e}") })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_are_the_embedded_setup() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, DatabaseUrl::Sqlite("data/lodestar.db".into()));
        assert_eq!(c.surreal.target, SurrealTarget::Embedded("data/knowledge".into()));
        assert_eq!(c.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(c.public_url, "http://127.0.0.1:3000");
        assert_eq!(c.environment, Environment::Development);
        assert_eq!(c.surreal.cache_bytes, 256 * 1024 * 1024);
        // Reply addresses live where the mail comes from, until told otherwise.
        assert_eq!(c.inbound_email.reply_domain, "lodestar.localhost");
        assert!(c.inbound_email.secret.is_none());
        let told = config(&[("MAIL_FROM", "Help <help@Example.com>"), ("INBOUND_EMAIL_DOMAIN", "")]).unwrap();
        assert_eq!(told.inbound_email.reply_domain, "example.com");
    }

    #[test]
    fn production_requires_a_public_url() {
        let err = config(&[("LODESTAR_ENV", "production")]).unwrap_err();
        assert!(err.to_string().starts_with("PUBLIC_URL is required"), "{err}");
        let url = ("PUBLIC_URL", "https://chat.example.com/");
        let err = config(&[("LODESTAR_ENV", "production"), url]).unwrap_err();
        assert!(err.to_string().starts_with("SECRET_KEY is required"), "{err}");
        let key = ("SECRET_KEY", "0123456789abcdef0123456789abcdef");
        let production = config(&[("LODESTAR_ENV", "production"), url, key]).unwrap();
        assert!(!production.auth.seed_demo);
        assert!(!format!("{production:?}").contains("0123456789abcdef"));
    }

    #[test]
    fn malformed_values_name_their_variable() {
        for (name, value) in [
            ("DATABASE_URL", "mysql://localhost/x"),
            ("DATABASE_URL", "postgres://"),
            ("SURREAL_URL", "rocksdb://x"),
            ("LEPTOS_SITE_ADDR", "localhost"),
            ("LOG_FORMAT", "xml"),
            ("SURREAL_CACHE_MB", "lots"),
            ("SHUTDOWN_TIMEOUT_SECS", "-1"),
            ("PUBLIC_URL", "chat.example.com"),
            ("SECRET_KEY", "short"),
            ("INBOUND_EMAIL_SECRET", "short"),
            ("SMTP_URL", "http://mail"),
            ("SEED_DEMO", "maybe"),
        ] {
            let err = config(&[(name, value)]).unwrap_err();
            assert!(err.to_string().starts_with(&format!("{name} is malformed")), "{name}={value}: {err}");
        }
    }

    #[test]
    fn a_remote_surreal_needs_credentials() {
        let err = config(&[("SURREAL_URL", "ws://db:8000")]).unwrap_err();
        assert_eq!(
            err,
            ConfigError::Missing { name: "SURREAL_USER", why: " when SURREAL_URL points at a SurrealDB server" }
        );
        let ok =
            config(&[("SURREAL_URL", "ws://db:8000"), ("SURREAL_USER", "root"), ("SURREAL_PASS", "secret")]).unwrap();
        assert!(!format!("{:?}", ok.surreal.target).contains("secret"));
    }

    #[test]
    fn an_llm_provider_needs_what_its_wire_needs() {
        assert!(config(&[]).unwrap().llm.is_none(), "offline by default");
        let err = config(&[("LLM_PROVIDER", "openai")]).unwrap_err();
        assert_eq!(err, ConfigError::Missing { name: "LLM_API_KEY", why: " when LLM_PROVIDER is openai or anthropic" });
        let err = config(&[("LLM_PROVIDER", "openai-compatible")]).unwrap_err();
        assert_eq!(err, ConfigError::Missing { name: "LLM_BASE_URL", why: " when LLM_PROVIDER=openai-compatible" });
        let err = config(&[("LLM_PROVIDER", "gpt")]).unwrap_err();
        assert!(err.to_string().starts_with("LLM_PROVIDER is malformed"), "{err}");
        let anthropic = config(&[("LLM_PROVIDER", "anthropic"), ("LLM_API_KEY", "sk-ant-hunter2")]).unwrap();
        let llm = anthropic.llm.as_ref().unwrap();
        assert_eq!((llm.provider, llm.base_url.as_str()), (LlmProvider::Anthropic, "https://api.anthropic.com"));
        assert!(!format!("{anthropic:?}").contains("hunter2"), "the key never reaches debug output");
        let ollama = config(&[("LLM_PROVIDER", "ollama"), ("LLM_BASE_URL", "http://gpu:11434/")]).unwrap();
        assert_eq!(ollama.llm.unwrap().base_url, "http://gpu:11434");
        let anthropic = anthropic.llm.unwrap();
        assert_eq!((anthropic.streams_per_connection, anthropic.ca_file), (100, None));
        let gateway = config(&[
            ("LLM_PROVIDER", "ollama"),
            ("LLM_CA_FILE", "/etc/lodestar/ca.pem"),
            ("LLM_STREAMS_PER_CONNECTION", "32"),
        ]);
        let gateway = gateway.unwrap().llm.unwrap();
        assert_eq!(gateway.ca_file.as_deref(), Some(std::path::Path::new("/etc/lodestar/ca.pem")));
        assert_eq!(gateway.streams_per_connection, 32);
        let err = config(&[("LLM_PROVIDER", "ollama"), ("LLM_STREAMS_PER_CONNECTION", "0")]).unwrap_err();
        assert!(err.to_string().starts_with("LLM_STREAMS_PER_CONNECTION is malformed"), "{err}");
    }

    #[test]
    fn postgres_passwords_never_reach_debug_output() {
        let c = config(&[("DATABASE_URL", "postgres://lodestar:hunter2@db/lodestar")]).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
