//! `TestApp`: the real application on real stores (a temporary SQLite file
//! or a fresh PostgreSQL database, and an in-memory SurrealDB), driven with
//! `tower::ServiceExt::oneshot`.

use std::path::Path;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use lodestar_server::config::{Config, DatabaseUrl};
use lodestar_server::state::AppState;
use sqlx::{Connection, Executor};
use tower::ServiceExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs each listed async test body once per SQL backend:
/// `backend_tests! { fn name(app) { ... } }` makes `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! backend_tests {
    ($( $(#[$meta:meta])* async fn $name:ident($app:ident) $body:block )*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                async fn run($app: $crate::support::TestApp) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    run($crate::support::TestApp::builder($crate::support::Db::Sqlite).build().await).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    run($crate::support::TestApp::builder($crate::support::Db::Postgres).build().await).await
                }
            }
        )*
    };
}

/// A change to the configuration a test wants before the app is built.
type ConfigEdit = Box<dyn FnOnce(&mut Config)>;

pub struct TestAppBuilder {
    db: Db,
    configure: Vec<ConfigEdit>,
    /// Share the test binary's loaded all-MiniLM-L6-v2 (else the
    /// configuration decides the embedder).
    local_model: bool,
}

impl TestAppBuilder {
    /// Adjusts the configuration before the app is built.
    pub fn config(mut self, f: impl FnOnce(&mut Config) + 'static) -> Self {
        self.configure.push(Box::new(f));
        self
    }

    /// Embeddings from an OpenAI-compatible provider at `base_url`.
    pub fn provider_embeddings(mut self, base_url: &str, key: &str) -> Self {
        let (base_url, key) = (base_url.to_string(), key.to_string());
        self.local_model = false;
        self.config(move |c| {
            c.knowledge.provider = Some(lodestar_server::config::EmbeddingsProvider {
                base_url,
                api_key: lodestar_server::config::Secret::new(key),
                model: "fake-embed".into(),
                dimensions: None,
            });
        })
    }

    pub async fn build(self) -> TestApp {
        capture_logs();
        let dir = tempfile::tempdir().expect("temporary directory");
        let (url, postgres) = match self.db {
            Db::Sqlite => (DatabaseUrl::Sqlite(dir.path().join("lodestar.db")), None),
            Db::Postgres => {
                let database = PgDatabase::create().await;
                (DatabaseUrl::Postgres(database.url.clone()), Some(database))
            }
        };
        let mut config = Config::for_tests(dir.path().to_path_buf(), url);
        config.site.root = dir.path().join("site");
        config.site.widget_dir = dir.path().join("widget");
        config.site.public_root = dir.path().join("site-public");
        for f in self.configure {
            f(&mut config);
        }
        let worker = std::path::PathBuf::from(env!("CARGO_BIN_EXE_server"));
        let state = lodestar_server::open_state_with(config, self.local_model.then(embedder), Some(worker))
            .await
            .expect("the app starts on fresh stores");
        TestApp {
            router: lodestar_server::http::app(state.clone()),
            state,
            db: self.db,
            _dir: dir,
            _postgres: postgres,
        }
    }
}

/// Server warnings and errors go to the test's captured output, so a
/// failing test shows why the server answered as it did.
fn capture_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
}

/// The model directory `cargo xtask setup` fills.
pub fn model_dir() -> std::path::PathBuf {
    std::env::var_os("MODEL_DIR")
        .map(Into::into)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/models/all-MiniLM-L6-v2"))
}

/// all-MiniLM-L6-v2, loaded once for the whole test binary.
pub fn embedder() -> std::sync::Arc<dyn lodestar_server::knowledge::embed::Embedder> {
    static MODEL: std::sync::OnceLock<std::sync::Arc<lodestar_server::knowledge::embed::LocalMiniLm>> =
        std::sync::OnceLock::new();
    MODEL
        .get_or_init(|| {
            std::sync::Arc::new(
                lodestar_server::knowledge::embed::LocalMiniLm::load_blocking(&model_dir())
                    .unwrap_or_else(|e| panic!("{e}: run `cargo xtask setup` first")),
            )
        })
        .clone()
}

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub db: Db,
    _dir: tempfile::TempDir,
    _postgres: Option<PgDatabase>,
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl TestResponse {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }
}

impl TestApp {
    pub fn builder(db: Db) -> TestAppBuilder {
        TestAppBuilder { db, configure: Vec::new(), local_model: true }
    }

    pub fn site_root(&self) -> &Path {
        &self.state.config.site.root
    }

    pub async fn request(&self, request: Request<Body>) -> TestResponse {
        let response = self.router.clone().oneshot(request).await.expect("the router never fails");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        TestResponse { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Request::get(path).body(Body::empty()).unwrap()).await
    }

    /// A form post as a browser's `fetch` from our own pages sends it.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)], extra: &[(&str, &str)]) -> TestResponse {
        self.request(form_request(path, fields, extra)).await
    }

    /// A server function call from one of our own pages, as `session`.
    pub async fn call(&self, session: &Session, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let cookie = session.cookie.clone();
        self.post_form(path, fields, &[("cookie", &cookie), ("sec-fetch-site", "same-origin")]).await
    }

    /// A GET as `session`.
    pub async fn get_as(&self, session: &Session, path: &str) -> TestResponse {
        self.request(Request::get(path).header("cookie", &session.cookie).body(Body::empty()).unwrap()).await
    }

    /// A page as a browser asks for it, logged in as `session` or not.
    pub async fn get_page(&self, session: Option<&Session>, path: &str) -> TestResponse {
        let mut request = Request::get(path).header("accept", "text/html,application/xhtml+xml");
        if let Some(session) = session {
            // With the readable mark a browser keeps beside the session.
            request = request.header("cookie", format!("{}; {}=1", session.cookie, app::layout::SIGNED_IN_COOKIE));
        }
        self.request(request.body(Body::empty()).unwrap()).await
    }

    /// A JSON POST, as a non-browser client sends it.
    pub async fn post_json(&self, path: &str, body: serde_json::Value, extra: &[(&str, &str)]) -> TestResponse {
        let mut request = Request::post(path).header("content-type", "application/json");
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        self.request(request.body(Body::from(body.to_string())).unwrap()).await
    }

    /// Signs up from an address of its own, as different people do, so
    /// per-address sign-up limits don't couple unrelated tests' fixtures.
    pub async fn sign_up(&self, email: &str, purpose: &str) -> TestResponse {
        self.sign_up_with(email, purpose, &[]).await
    }

    /// [`TestApp::sign_up`] with more fields (a career form, say).
    pub async fn sign_up_with(&self, email: &str, purpose: &str, more: &[(&str, &str)]) -> TestResponse {
        let mut fields = vec![("name", "Test Person"), ("email", email), ("password", PASSWORD), ("purpose", purpose)];
        fields.extend_from_slice(more);
        let mut request = form_request("/api/accounts/sign-up", &fields, &[("sec-fetch-site", "same-origin")]);
        let n = SIGN_UPS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let peer = std::net::SocketAddr::from(([10, 0, (n / 250) as u8, (n % 250) as u8 + 1], 40000));
        request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        self.request(request).await
    }

    pub async fn log_in(&self, email: &str, password: &str, extra: &[(&str, &str)]) -> TestResponse {
        let mut headers = vec![("sec-fetch-site", "same-origin")];
        headers.extend_from_slice(extra);
        self.post_form("/api/accounts/log-in", &[("email", email), ("password", password)], &headers).await
    }

    /// Signs up through the real endpoints, follows the emailed verification
    /// link, and logs in.
    pub async fn verified_user(&self, email: &str, purpose: &str) -> Session {
        self.verified_user_with(email, purpose, &[]).await
    }

    /// [`TestApp::verified_user`], signing up with more fields.
    pub async fn verified_user_with(&self, email: &str, purpose: &str, more: &[(&str, &str)]) -> Session {
        let response = self.sign_up_with(email, purpose, more).await;
        assert_eq!(response.status, StatusCode::OK, "sign-up: {}", response.body);
        let link = self.mail_link(email, "/verify?token=");
        let token = link.split("token=").nth(1).unwrap().to_string();
        let verified = self
            .post_form("/api/accounts/verify-email", &[("token", &token)], &[("sec-fetch-site", "same-origin")])
            .await;
        assert_eq!(verified.status, StatusCode::OK, "verify: {}", verified.body);
        // The emailed link logs the person in.
        let set_cookie = verified.header("set-cookie");
        let cookie = set_cookie.split(';').next().unwrap().to_string();
        assert!(cookie.starts_with("lodestar_session="), "{set_cookie}");
        let viewer = self.viewer(&cookie).await;
        Session { cookie, user_id: viewer["user_id"].as_str().unwrap().to_string() }
    }

    /// A new person invited by `owner` into `workspace` as `role`
    /// ("admin", "agent"), who accepts.
    pub async fn join_team(&self, owner: &Session, workspace: &str, email: &str, role: &str) -> Session {
        let ws = ("workspace_id", workspace);
        let invited = self.call(owner, "/api/team/invite", &[ws, ("email", email), ("role", role)]).await;
        assert!(invited.status.is_success(), "invite: {} {}", invited.status, invited.body);
        let link = self.mail_link(email, "/invite/");
        let token = link.rsplit('/').next().unwrap().to_string();
        let member = self.verified_user(email, "mentor").await;
        let accepted = self.call(&member, "/api/team/accept-invitation", &[("token", &token)]).await;
        assert!(accepted.status.is_success(), "accept: {} {}", accepted.status, accepted.body);
        member
    }

    /// Logs in and returns the session.
    pub async fn session(&self, email: &str, password: &str) -> Session {
        let response = self.log_in(email, password, &[]).await;
        assert!(
            response.status.is_success() || response.status.is_redirection(),
            "log in: {} {}",
            response.status,
            response.body
        );
        let set_cookie = response.header("set-cookie");
        let cookie = set_cookie.split(';').next().unwrap().to_string();
        assert!(cookie.starts_with("lodestar_session="), "{set_cookie}");
        let viewer = self.viewer(&cookie).await;
        Session { cookie, user_id: viewer["user_id"].as_str().unwrap().to_string() }
    }

    pub async fn viewer(&self, cookie: &str) -> serde_json::Value {
        let response =
            self.post_form("/api/accounts/viewer", &[], &[("cookie", cookie), ("sec-fetch-site", "same-origin")]).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        response.json()
    }

    /// The first workspace `session` belongs to.
    /// Puts a workspace on `plan` ("free", "pro", "enterprise"), as billing will.
    pub async fn set_plan(&self, workspace_id: &str, plan: &str) {
        sqlx::query("UPDATE workspaces SET plan = $1 WHERE id = $2")
            .bind(plan)
            .bind(workspace_id)
            .execute(self.state.sql.pool())
            .await
            .unwrap();
    }

    pub async fn workspace_of(&self, session: &Session) -> String {
        self.viewer(&session.cookie).await["workspaces"][0]["id"].as_str().expect("a workspace").to_string()
    }

    /// Every message written to the outbox so far, decoded.
    pub fn outbox(&self) -> Vec<String> {
        let dir = self.state.config.data_dir.join("outbox");
        let mut files: Vec<_> =
            std::fs::read_dir(&dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
        files.sort();
        files.iter().map(|path| decode_mail(&std::fs::read_to_string(path).unwrap())).collect()
    }

    /// The link starting with `path` in the newest message to `to`.
    pub fn mail_link(&self, to: &str, path: &str) -> String {
        let messages = self.outbox();
        let message = messages
            .iter()
            .rev()
            .find(|m| {
                m.lines().any(|l| l.to_ascii_lowercase().starts_with("to:") && l.contains(to)) && m.contains(path)
            })
            .unwrap_or_else(|| panic!("no message to {to} with {path} in the outbox ({} messages)", messages.len()));
        find_link(message, path).unwrap_or_else(|| panic!("no {path} link in:\n{message}"))
    }

    /// Counts rows with a portable query, straight from the store.
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(self.state.sql.pool())
            .await
            .expect("count query")
    }
}

static SIGN_UPS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// The password every test account uses.
pub const PASSWORD: &str = "correct horse battery staple";

/// A logged-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// `name=value`, ready for a `Cookie` header.
    pub cookie: String,
    pub user_id: String,
}

/// Undoes quoted-printable soft line breaks and `=XX` escapes, the only
/// encoding lettre uses for our plain-text messages.
pub fn decode_mail(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first `http(s)://…` link in `message` whose path contains `path`.
pub fn find_link(message: &str, path: &str) -> Option<String> {
    message
        .split(|c: char| c.is_whitespace())
        .find(|word| word.starts_with("http") && word.contains(path))
        .map(str::to_string)
}

/// The path and query of an absolute link.
pub fn path_of(link: &str) -> String {
    let rest = link.split_once("://").map(|(_, rest)| rest).unwrap_or(link);
    rest.find('/').map(|i| rest[i..].to_string()).unwrap_or_else(|| "/".into())
}

/// A form post as a browser's `fetch` from our own pages sends it.
fn form_request(path: &str, fields: &[(&str, &str)], extra: &[(&str, &str)]) -> Request<Body> {
    let body = fields.iter().map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))).collect::<Vec<_>>().join("&");
    let mut request =
        Request::builder().method(Method::POST).uri(path).header("content-type", "application/x-www-form-urlencoded");
    if !extra.iter().any(|(name, _)| name.eq_ignore_ascii_case("accept")) {
        request = request.header("accept", "application/json");
    }
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    request.body(Body::from(body)).unwrap()
}

fn urlencode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A throwaway PostgreSQL database, dropped when the test ends.
pub(crate) struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    pub async fn create() -> Self {
        let admin_url = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| {
            panic!(
                "TEST_DATABASE_URL is not set. The PostgreSQL half of the suite needs a server: \
                 run `cargo xtask test`, which starts one, or set TEST_DATABASE_URL to an admin URL \
                 like postgres://lodestar:lodestar@127.0.0.1:5432/postgres"
            )
        });
        let name = format!("lodestar_it_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at TEST_DATABASE_URL: {e}"));
        admin.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
        let base = admin_url.split('?').next().unwrap_or(&admin_url);
        let url = format!("{}/{name}", base.rsplit_once('/').map(|(host, _)| host).unwrap_or(base));
        PgDatabase { admin_url, name, url }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop cannot await, and the test's runtime is shutting down: use a
        // short-lived runtime on its own thread.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&admin_url).await.ok()?;
                admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await.ok()
            })
        })
        .join();
    }
}
