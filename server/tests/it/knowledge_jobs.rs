//! The ingestion queue under pressure: fair between workspaces, bounded by
//! the plan as pages are stored, fenced leases, jobs that keep killing
//! their worker, deletes while a source is being read, and sites that
//! cannot be reached.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use lodestar_server::knowledge::jobs;
use lodestar_server::knowledge::records::{DocumentRecord, Records, SourceRecord, SOURCE_GONE};
use serde_json::Value;

use crate::backend_tests;
use crate::knowledge::{add_url, documents, overview, owner, page, settled, upload, Site};
use crate::support::{Session, TestApp};

fn records(app: &TestApp) -> Records {
    Records::new(app.state.knowledge_store.clone(), app.state.config.surreal.namespace.clone())
}

/// A test app whose fetcher may reach the test's own sites on loopback.
async fn with_local_sites(db: crate::support::Db) -> TestApp {
    TestApp::builder(db).config(|c| c.knowledge.fetch_allow_private = vec!["127.0.0.1/32".into()]).build().await
}

async fn source_of(app: &TestApp, session: &Session, workspace: &str, id: &str) -> Value {
    let sources = overview(app, session, workspace).await["sources"].as_array().unwrap().clone();
    sources.into_iter().find(|s| s["id"] == id).unwrap_or_else(|| panic!("source {id} is listed"))
}

/// Polls until `done` holds for the source, or fails after `within`.
async fn wait_for(
    app: &TestApp,
    session: &Session,
    workspace: &str,
    id: &str,
    within: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let source = source_of(app, session, workspace, id).await;
        if done(&source) {
            return source;
        }
        assert!(Instant::now() < deadline, "not within {within:?}: {source:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The job of a source, as the attempt now recorded.
async fn job_of(app: &TestApp, workspace: &str, source: &str) -> jobs::Job {
    let (id, attempts): (String, i64) = sqlx::query_as("SELECT id, attempts FROM knowledge_jobs WHERE source_id = $1")
        .bind(source)
        .fetch_one(app.state.sql.pool())
        .await
        .unwrap();
    jobs::Job {
        id,
        workspace_id: workspace.into(),
        source_id: source.into(),
        kind: "ingest".into(),
        attempts,
        max_attempts: 4,
    }
}

fn synthetic_source(key: &str, chunks: i64) -> SourceRecord {
    SourceRecord {
        key: key.into(),
        kind: "text".into(),
        title: "Catalogue".into(),
        location: None,
        url: None,
        format: Some("Text".into()),
        status: "ready".into(),
        progress: 100,
        error: None,
        documents: 1,
        chunks,
        bytes: 0,
        created_at: 0,
        last_synced_at: None,
        sync_every_hours: None,
        body: None,
    }
}

fn synthetic_document(key: &str, source: &str, chunks: i64) -> DocumentRecord {
    DocumentRecord {
        key: key.into(),
        source_id: source.into(),
        title: "Catalogue".into(),
        url: None,
        pages: None,
        content_hash: "synthetic".into(),
        chunks,
        updated_at: 0,
    }
}

backend_tests! {
    async fn a_slow_crawl_in_one_workspace_does_not_hold_back_another(app) {
        let app = with_local_sites(app.db).await;
        let (a, a_ws) = owner(&app, "slow-crawl@example.com").await;
        let (b, b_ws) = owner(&app, "small-upload@example.com").await;
        // Ten seconds between pages, as the site asks, and its second page never answers.
        let site = Site::default();
        site.robots("User-agent: *\nCrawl-delay: 10\n");
        site.set("/", &page("Home", "Welcome to the slow site.", &["/one", "/two"]));
        for path in ["/one", "/two"] {
            site.set(path, &page(path, "A page of the slow site, read one at a time.", &["/"]));
        }
        let stuck = site.hold("/one");
        let base = site.serve().await;
        let crawl = add_url(&app, &a, &a_ws, &format!("{base}/"), "crawl").await;
        wait_for(&app, &a, &a_ws, &crawl, Duration::from_secs(120), |s| s["status"] == "processing" && s["progress"].as_u64() >= Some(5)).await;

        let started = Instant::now();
        let outcomes = upload(&app, &b_ws, &b, &[("hours.txt", b"The shop opens at nine and closes at six.".to_vec())]).await;
        assert!(outcomes[0]["error"].is_null(), "{outcomes:#?}");
        let sources = settled(&app, &b, &b_ws).await;
        println!("a small upload beside a slow crawl was ready in {:.1} s", started.elapsed().as_secs_f64());
        assert_eq!(sources[0]["status"], "ready", "{sources:#?}");
        // The crawl has not got past its pause and the page that never answers: it is still going.
        assert_eq!(source_of(&app, &a, &a_ws, &crawl).await["status"], "processing");
        app.call(&a, "/api/knowledge/cancel", &[("workspace_id", &a_ws), ("source_id", &crawl)]).await;
        stuck.release();
    }

    async fn a_crawl_counts_its_pages_against_the_plan_as_they_are_stored(app) {
        let app = with_local_sites(app.db).await;
        let (session, workspace) = owner(&app, "full-crawl@example.com").await;
        // The workspace already holds all but three of the Free plan's 5,000 passages.
        let store = records(&app);
        store.put_source(&workspace, &synthetic_source("catalogue", 4_997)).await.unwrap();
        store.put_document(&workspace, &synthetic_document("catalogue", "catalogue", 4_997)).await.unwrap();
        let site = Site::default();
        let pages = ["/a", "/b", "/c", "/d", "/e"];
        site.set("/", &page("Home", "The home page of a site with six pages.", &pages));
        for path in pages {
            site.set(path, &page(path, "One short page, one passage.", &["/"]));
        }
        let base = site.serve().await;
        let crawl = add_url(&app, &session, &workspace, &format!("{base}/"), "crawl").await;
        settled(&app, &session, &workspace).await;
        let usage = overview(&app, &session, &workspace).await["usage"].clone();
        assert!(usage["chunks"].as_u64().unwrap() <= 5_000, "{usage:#}");
        let source = source_of(&app, &session, &workspace, &crawl).await;
        assert_eq!(source["status"], "ready", "what fits is kept: {source:#}");
        assert_eq!(documents(&app, &session, &workspace, &crawl).await.len(), 3, "{source:#}");
        assert!(source["error"].as_str().unwrap_or_default().contains("5000"), "the limit is explained: {source:#}");
    }

    async fn a_job_that_keeps_losing_its_worker_ends_failed_and_a_stale_worker_is_fenced_off(app) {
        let (session, workspace) = owner(&app, "crashy@example.com").await;
        let mut ids = Vec::new();
        for title in ["Crashing", "Resumed"] {
            let fields = [("workspace_id", workspace.as_str()), ("title", title), ("text", "We open at nine.")];
            ids.push(app.call(&session, "/api/knowledge/add_text", &fields).await.json()["id"].as_str().unwrap().to_string());
        }
        settled(&app, &session, &workspace).await;
        let pool = app.state.sql.pool();
        // Attempt 2 is running (its lease is live); attempt 1's worker woke up late.
        let live = lodestar_server::sql::now_millis() + 60_000;
        sqlx::query("UPDATE knowledge_jobs SET state = 'processing', attempts = 2, lease_until = $1 WHERE source_id = $2")
            .bind(live).bind(&ids[1]).execute(pool).await.unwrap();
        let stale = jobs::Job { attempts: 1, ..job_of(&app, &workspace, &ids[1]).await };
        assert!(!jobs::heartbeat(pool, &stale, 50, 60_000).await.unwrap(), "a stale worker renewed a lease that is not its own");
        assert!(!jobs::renew(pool, &stale, 60_000).await.unwrap());
        assert!(!jobs::finish(pool, &stale).await.unwrap(), "a stale worker finished a job that is not its own");
        assert_eq!(jobs::fail(pool, &stale, "stale", false).await.unwrap(), None, "a stale worker failed it");
        let (state, attempts): (String, i64) = sqlx::query_as("SELECT state, attempts FROM knowledge_jobs WHERE source_id = $1")
            .bind(&ids[1]).fetch_one(pool).await.unwrap();
        assert_eq!((state.as_str(), attempts), ("processing", 2), "attempt 2 is untouched");
        let running = job_of(&app, &workspace, &ids[1]).await;
        assert!(jobs::heartbeat(pool, &running, 50, 60_000).await.unwrap(), "attempt 2 renews its own lease");
        assert_eq!(jobs::fail(pool, &running, "a passing problem", true).await.unwrap(), Some(true));

        // As a server leaves a job when it dies mid-job, for the third time.
        let lapsed = lodestar_server::sql::now_millis() - 1_000;
        sqlx::query("UPDATE knowledge_jobs SET state = 'processing', lapses = 2, lease_until = $1 WHERE source_id = $2")
            .bind(lapsed).bind(&ids[0]).execute(pool).await.unwrap();
        app.state.knowledge.wake();
        let crashed = wait_for(&app, &session, &workspace, &ids[0], Duration::from_secs(60), |s| s["status"] == "failed").await;
        assert!(crashed["error"].as_str().unwrap().contains("stopped"), "{crashed:#}");
        let (state, attempts): (String, i64) = sqlx::query_as("SELECT state, attempts FROM knowledge_jobs WHERE source_id = $1")
            .bind(&ids[0]).fetch_one(pool).await.unwrap();
        assert_eq!((state.as_str(), attempts), ("failed", 1), "it was not run again");
    }

    async fn writes_for_a_deleted_source_or_workspace_are_refused(app) {
        let (session, workspace) = owner(&app, "deleted-meanwhile@example.com").await;
        let store = records(&app);
        store.put_source(&workspace, &synthetic_source("doomed", 0)).await.unwrap();
        store.put_document(&workspace, &synthetic_document("doomed-page", "doomed", 1)).await.unwrap();
        store.delete_source(&workspace, "doomed").await.unwrap();
        // An ingest that was already past its last check writes on.
        let late = store.put_document(&workspace, &synthetic_document("doomed-late", "doomed", 1)).await;
        let late = late.unwrap_err().to_string();
        assert!(late.contains(SOURCE_GONE), "{late}");
        let chunk = lodestar_server::knowledge::records::ChunkRecord {
            key: "doomed-late_000000".into(),
            source_id: "doomed".into(),
            document_id: "doomed-late".into(),
            ordinal: 0,
            title: "Late".into(),
            heading_path: Vec::new(),
            page: None,
            url: None,
            text: "Written after the delete.".into(),
            embedding: lodestar_server::knowledge::records::ChunkRecord::encode(&[0.0; 4]),
        };
        assert!(store.put_chunks(&workspace, std::slice::from_ref(&chunk)).await.is_err());
        assert!(store.documents(&workspace, "doomed").await.unwrap().is_empty());
        assert!(store.chunk_page(&workspace, "", 1_000).await.unwrap().is_empty());
        assert!(store.source(&workspace, "doomed").await.unwrap().is_none());

        // A deleted workspace's database does not come back either.
        store.put_source(&workspace, &synthetic_source("kept", 0)).await.unwrap();
        let database = lodestar_server::knowledge::records::database_name(&workspace);
        store.drop_workspace(&workspace).await.unwrap();
        assert!(store.put_source(&workspace, &synthetic_source("again", 0)).await.is_err());
        assert!(store.put_document(&workspace, &synthetic_document("again", "kept", 1)).await.is_err());
        assert!(!store.databases().await.unwrap().contains(&database));
        drop(session);
    }

    async fn deleting_a_source_while_it_is_read_leaves_nothing_behind(app) {
        let app = with_local_sites(app.db).await;
        let (session, workspace) = owner(&app, "delete-midway@example.com").await;
        let site = Site::default();
        site.set("/", &page("Home", "Welcome to the site.", &["/a", "/b"]));
        site.set("/a", &page("Alpha", "The alpha page talks about aardvarks.", &["/"]));
        site.set("/b", &page("Bravo", "The bravo page talks about baboons and their breakfast.", &["/"]));
        let held = site.hold("/b");
        let base = site.serve().await;
        let crawl = add_url(&app, &session, &workspace, &format!("{base}/"), "crawl").await;
        held.asked.notified().await;
        let deleted = app.call(&session, "/api/knowledge/delete", &[("workspace_id", &workspace), ("source_id", &crawl)]).await;
        assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
        held.release();
        app.state.knowledge.idle().await;
        let store = records(&app);
        assert!(store.source(&workspace, &crawl).await.unwrap().is_none());
        assert!(store.documents(&workspace, &crawl).await.unwrap().is_empty());
        assert!(store.chunk_page(&workspace, "", 1_000).await.unwrap().is_empty(), "chunks outlived their source");
        let passages = app.call(&session, "/api/knowledge/test", &[("workspace_id", workspace.as_str()), ("question", "baboons breakfast")]).await.json();
        assert!(passages["passages"].as_array().unwrap().is_empty(), "{passages:#}");
        assert_eq!(passages["answered"], false, "{passages:#}");
        assert_eq!(overview(&app, &session, &workspace).await["usage"]["chunks"], 0);
    }

    async fn sites_that_cannot_be_reached_fail_soon_with_the_reason(app) {
        let app = TestApp::builder(app.db)
            .config(|c| {
                c.knowledge.fetch_allow_private = vec!["127.0.0.1/32".into()];
                c.knowledge.fetch_timeout = Duration::from_secs(2);
            })
            .build()
            .await;
        let (session, workspace) = owner(&app, "unreachable@example.com").await;
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        // Accepts connections and never answers.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let silent_port = silent.local_addr().unwrap().port();
        tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = silent.accept().await {
                open.push(socket);
            }
        });
        let cases = [
            ("http://no-such-host.invalid/", "could not be found"),
            (&*format!("http://127.0.0.1:{closed}/"), "could not connect"),
            (&*format!("http://127.0.0.1:{silent_port}/"), "did not answer in time"),
        ];
        for (url, reason) in cases {
            let started = Instant::now();
            let id = add_url(&app, &session, &workspace, url, "page").await;
            // Not left queued for retries: failed, with the reason, about as soon as the fetch timed out.
            let source = wait_for(&app, &session, &workspace, &id, Duration::from_secs(15), |s| s["status"] == "failed").await;
            let error = source["error"].as_str().unwrap();
            assert!(error.contains(reason) && error.contains("could not be reached"), "{url}: {error}");
            println!("{url} failed in {:.1} s: {error}", started.elapsed().as_secs_f64());
        }
    }
}
