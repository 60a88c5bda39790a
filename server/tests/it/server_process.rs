//! The real server binary as a child process on a data directory of its
//! own: for what only a separate process shows (a `kill -9`, its memory).
//! The demo account is the quickest way in.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct ServerProcess {
    child: Child,
    base: String,
    client: reqwest::Client,
}

impl ServerProcess {
    /// Starts the server on `port` with the embedded stores in `data_dir`
    /// (and `env` on top), and waits until it is ready.
    pub async fn start(data_dir: &Path, port: u16, env: &[(&str, &str)]) -> ServerProcess {
        let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATA_DIR", data_dir)
            .env("SEED_DEMO", "true")
            .env("MODEL_DIR", crate::support::model_dir())
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_SITE_ROOT", data_dir.join("site"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        let server = ServerProcess {
            child: command.spawn().expect("the server starts"),
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(r) = server.client.get(format!("{}/readyz", server.base)).send().await {
                if r.status() == 200 {
                    return server;
                }
            }
            assert!(Instant::now() < deadline, "the server never became ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// A request to this server, to be finished by the caller.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.base)).send().await.unwrap()
    }

    pub async fn post(&self, path: &str, cookie: &str, content_type: &str, body: Vec<u8>) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .header("sec-fetch-site", "same-origin")
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn form(&self, path: &str, cookie: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", app::components::url::encode_query_value(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.post(path, cookie, "application/x-www-form-urlencoded", body.into_bytes()).await
    }

    /// Logs in as the demo owner: the session cookie and the demo workspace.
    pub async fn demo_owner(&self) -> (String, String) {
        let login = self
            .form(
                "/api/accounts/log-in",
                "",
                &[("email", "demo@lodestar.localhost"), ("password", "lodestar-demo-2026")],
            )
            .await;
        assert!(login.status().is_success(), "demo login: {}", login.status());
        let cookie =
            login.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
        let viewer: Value =
            serde_json::from_slice(&self.form("/api/accounts/viewer", &cookie, &[]).await.bytes().await.unwrap())
                .unwrap();
        (cookie, viewer["workspaces"][0]["id"].as_str().unwrap().to_string())
    }

    /// Uploads `files` (name, bytes) as one multipart request.
    pub async fn upload(&self, cookie: &str, workspace: &str, files: &[(&str, Vec<u8>)]) -> reqwest::Response {
        let content_type = format!("multipart/form-data; boundary={}", crate::knowledge::BOUNDARY);
        let body = crate::knowledge::multipart_body(files);
        self.post(&format!("/api/w/{workspace}/knowledge/files"), cookie, &content_type, body).await
    }

    /// The workspace's knowledge overview.
    pub async fn overview(&self, cookie: &str, workspace: &str) -> Value {
        let response = self.form("/api/knowledge/overview", cookie, &[("workspace_id", workspace)]).await;
        let status = response.status();
        let overview: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(status, 200, "{overview}");
        overview
    }

    /// The source whose location (file name) is `location`.
    pub async fn source(&self, cookie: &str, workspace: &str, location: &str) -> Value {
        let overview = self.overview(cookie, workspace).await;
        let sources = overview["sources"].as_array().expect("a source list");
        let found = sources.iter().find(|s| s["location"] == location);
        found.unwrap_or_else(|| panic!("{location} is listed: {overview}")).clone()
    }

    /// Waits until no source is queued or processing.
    pub async fn settled(&self, cookie: &str, workspace: &str) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let overview = self.overview(cookie, workspace).await;
            let sources = overview["sources"].as_array().expect("a source list").clone();
            if sources.iter().all(|s| !matches!(s["status"].as_str(), Some("queued" | "processing"))) {
                return sources;
            }
            assert!(Instant::now() < deadline, "sources never settled: {sources:#?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A `VmRSS:`-style line of the process's status, in bytes.
    pub fn memory(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }

    /// Starts measuring peak memory (`VmHWM`) afresh from now.
    pub fn reset_peak_memory(&self) {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5").expect("the peak memory can be reset");
    }

    /// SIGKILL.
    pub fn kill(self) {
        drop(self);
    }
}

/// SIGKILL, also when a failed assertion unwinds past the server.
impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free port on the loopback interface.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Bytes of every file under `dir`.
pub fn disk_usage(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => disk_usage(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
