//! Crash recovery: the real server binary is killed with SIGKILL in the
//! middle of ingesting a large PDF; after a restart the job resumes and the
//! document ends with exactly the chunks it should have, none twice.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lodestar_server::config::Config;
use lodestar_server::knowledge::records::Records;
use lodestar_server::knowledge::{chunk, extract, KnowledgeStore};
use serde_json::Value;

struct Server {
    child: Child,
    base: String,
    client: reqwest::Client,
}

impl Server {
    async fn start(data_dir: &Path, port: u16) -> Server {
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATA_DIR", data_dir)
            // The demo account is the quickest way in; its help centre is
            // ingested alongside, so the test picks its own source by name.
            .env("SEED_DEMO", "true")
            .env("MODEL_DIR", crate::support::model_dir())
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_SITE_ROOT", data_dir.join("site"))
            .env("KNOWLEDGE_JOB_LEASE_SECS", "2")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let server = Server {
            child,
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

    async fn post(&self, path: &str, cookie: &str, content_type: &str, body: Vec<u8>) -> reqwest::Response {
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

    async fn form(&self, path: &str, cookie: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", app::components::url::encode_query_value(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.post(path, cookie, "application/x-www-form-urlencoded", body.into_bytes()).await
    }

    async fn source(&self, cookie: &str, workspace: &str) -> Value {
        let response = self.form("/api/knowledge/overview", cookie, &[("workspace_id", workspace)]).await;
        let status = response.status();
        let overview: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(status, 200, "{overview}");
        let sources = overview["sources"].as_array().expect("a source list");
        let manual = sources.iter().find(|s| s["location"] == "manual.pdf");
        manual.unwrap_or_else(|| panic!("the uploaded manual is listed: {overview}")).clone()
    }

    fn kill(self) {
        drop(self);
    }
}

/// SIGKILL, also when a failed assertion unwinds past the server.
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_resumes_ingestion_without_losing_or_duplicating_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let pages: Vec<Vec<String>> = (0..60)
        .map(|p| (0..38).map(|l| format!("Section {p} line {l}: pallets for order {p}-{l} are scanned, weighed and labelled before noon.")).collect())
        .collect();
    let pdf = extract::pdf_with_lines("Warehouse operations manual", &pages);
    let expected = chunk::chunk(&extract::extract(&pdf).unwrap()).len();

    let server = Server::start(dir.path(), port).await;
    let login = server
        .form("/api/accounts/log-in", "", &[("email", "demo@lodestar.localhost"), ("password", "lodestar-demo-2026")])
        .await;
    assert!(login.status().is_success(), "demo login: {}", login.status());
    let cookie = login.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
    let viewer: Value =
        serde_json::from_slice(&server.form("/api/accounts/viewer", &cookie, &[]).await.bytes().await.unwrap())
            .unwrap();
    let workspace = viewer["workspaces"][0]["id"].as_str().unwrap().to_string();

    let boundary = "crash-test-boundary";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"manual.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").into_bytes();
    body.extend_from_slice(&pdf);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let uploaded = server
        .post(
            &format!("/api/w/{workspace}/knowledge/files"),
            &cookie,
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await;
    assert_eq!(uploaded.status(), 200);

    // Kill it once real progress has been stored, well before the end.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let source = server.source(&cookie, &workspace).await;
        let progress = source["progress"].as_u64().unwrap_or(0);
        if source["status"] == "processing" && progress >= 15 {
            assert!(progress < 90, "ingestion finished before the kill ({progress}%)");
            break;
        }
        assert_ne!(source["status"], "ready", "ingestion finished before the kill");
        assert!(Instant::now() < deadline, "ingestion never started: {source}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill();

    let server = Server::start(dir.path(), port).await;
    let deadline = Instant::now() + Duration::from_secs(600);
    let source = loop {
        let source = server.source(&cookie, &workspace).await;
        if source["status"] == "ready" {
            break source;
        }
        assert_ne!(source["status"], "failed", "{source}");
        assert!(Instant::now() < deadline, "the job never finished after the restart: {source}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(source["chunks"].as_u64().unwrap() as usize, expected);
    server.kill();

    // The store of record, read directly: every ordinal once, none missing.
    let mut config = Config::from_lookup(|name| match name {
        "DATA_DIR" => Some(dir.path().display().to_string()),
        _ => None,
    })
    .unwrap();
    config.surreal.cache_bytes = 16 * 1024 * 1024;
    let store = KnowledgeStore::connect(&config.surreal).await.unwrap();
    let records = Records::new(store.clone(), config.surreal.namespace.clone());
    let chunks = records.document_chunks(&workspace, source["id"].as_str().unwrap()).await.unwrap();
    let ordinals: Vec<i64> = chunks.iter().map(|c| c.ordinal).collect();
    assert_eq!(ordinals, (0..expected as i64).collect::<Vec<_>>(), "exactly {expected} chunks, each once");
    store.close().await;
}
