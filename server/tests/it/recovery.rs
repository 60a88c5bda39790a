//! Crash recovery: the real server binary is killed with SIGKILL in the
//! middle of ingesting a large PDF; after a restart the job resumes and the
//! document ends with exactly the chunks it should have, none twice.

use std::time::{Duration, Instant};

use crate::server_process::{free_port, ServerProcess};
use lodestar_server::config::Config;
use lodestar_server::knowledge::records::Records;
use lodestar_server::knowledge::{chunk, extract, KnowledgeStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_resumes_ingestion_without_losing_or_duplicating_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let pages: Vec<Vec<String>> = (0..60)
        .map(|p| (0..38).map(|l| format!("Section {p} line {l}: pallets for order {p}-{l} are scanned, weighed and labelled before noon.")).collect())
        .collect();
    let pdf = extract::pdf_with_lines("Warehouse operations manual", &pages);
    let expected = chunk::chunk(&extract::extract(&pdf).unwrap()).len();
    let env = [("KNOWLEDGE_JOB_LEASE_SECS", "2")];

    let server = ServerProcess::start(dir.path(), port, &env).await;
    let (cookie, workspace) = server.demo_owner().await;
    let uploaded = server.upload(&cookie, &workspace, &[("manual.pdf", pdf)]).await;
    assert_eq!(uploaded.status(), 200);

    // Kill it once real progress has been stored, well before the end.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let source = server.source(&cookie, &workspace, "manual.pdf").await;
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

    let server = ServerProcess::start(dir.path(), port, &env).await;
    let deadline = Instant::now() + Duration::from_secs(600);
    let source = loop {
        let source = server.source(&cookie, &workspace, "manual.pdf").await;
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
