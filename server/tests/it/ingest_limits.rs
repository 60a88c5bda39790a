//! What a hostile upload may cost everyone else, measured on the real
//! server binary in a process of its own: files shaped to multiply (a
//! heading of a megabyte over a thousand short paragraphs, six nested
//! headings of 150 KB each) grow the server's memory and the knowledge
//! store by no more than a bound proportional to their size, and the
//! server keeps serving.

use crate::server_process::{disk_usage, free_port, ServerProcess};

fn hostile_html() -> Vec<u8> {
    let heading = "Welcome to the help centre ".repeat(40_000); // about 1 MB
    let paragraphs: String =
        (0..1_500).map(|i| format!("<p>Paragraph {i} is short, but there are many of them.</p>\n")).collect();
    format!("<!doctype html><html><head><title>Help</title></head><body><h1>{heading}</h1>\n{paragraphs}</body></html>")
        .into_bytes()
}

fn hostile_markdown() -> Vec<u8> {
    let mut text = String::new();
    for level in 1..=6 {
        text.push_str(&format!("{} {}\n\n", "#".repeat(level), format!("Level {level} heading ").repeat(7_500)));
    }
    for i in 0..1_000 {
        text.push_str(&format!("Line {i} of a **short** note under very long headings.\n\n"));
    }
    text.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_shapes_cost_what_their_size_does_and_the_server_stays_up() {
    let dir = tempfile::tempdir().unwrap();
    // A small deployment's store buffers, so what is measured is ingestion's own cost.
    let env = [("SURREAL_MEMTABLE_MB", "16"), ("SURREAL_CACHE_MB", "32")];
    let mut server = ServerProcess::start(dir.path(), free_port(), &env).await;
    let (cookie, workspace) = server.demo_owner().await;
    server.settled(&cookie, &workspace).await;

    let files = [("hostile.html", hostile_html()), ("hostile.md", hostile_markdown())];
    let size: u64 = files.iter().map(|(_, bytes)| bytes.len() as u64).sum();
    let store = dir.path().join("knowledge");
    let (store_before, memory_before) = (disk_usage(&store), server.memory("VmRSS:"));
    assert!(memory_before > 0 && store_before > 0, "the server's memory and store can be measured");
    server.reset_peak_memory();
    let uploaded = server.upload(&cookie, &workspace, &files).await;
    assert_eq!(uploaded.status(), 200, "{}", uploaded.text().await.unwrap_or_default());
    let sources = server.settled(&cookie, &workspace).await;
    let memory_growth = server.memory("VmHWM:").saturating_sub(memory_before);
    let store_growth = disk_usage(&store).saturating_sub(store_before);

    assert!(server.alive(), "the server died");
    assert_eq!(server.get("/readyz").await.status(), 200);
    for (name, _) in &files {
        let source = sources.iter().find(|s| s["location"] == *name).expect("listed");
        assert_eq!(source["status"], "ready", "{source:#}");
        assert!(source["chunks"].as_u64().unwrap() > 10, "{source:#}");
    }
    let mb = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    println!(
        "hostile uploads of {:.2} MB: peak memory +{:.1} MB, store +{:.1} MB",
        mb(size),
        mb(memory_growth),
        mb(store_growth)
    );
    // Memory: the store's buffers (48 MB here) plus a few copies of the text.
    assert!(memory_growth <= 48 * 1024 * 1024 + 8 * size, "peak memory grew {:.1} MB", mb(memory_growth));
    // Store: the text, its overlap and the vectors, not a heading per chunk.
    assert!(store_growth <= 1024 * 1024 + 4 * size, "the store grew {:.1} MB", mb(store_growth));
}
