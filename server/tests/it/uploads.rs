//! Uploads are all or nothing, and a slow link is not cut off: a request
//! that trickles in past the request timeout still lands whole, and one
//! that breaks off halfway adds no file at all, so trying again never
//! leaves duplicates.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use futures_util::StreamExt;

use crate::backend_tests;
use crate::knowledge::{multipart_body, overview, owner, upload_with};
use crate::support::TestApp;

backend_tests! {
    async fn a_slow_upload_lands_whole_and_an_interrupted_one_adds_nothing(app) {
        let app = TestApp::builder(app.db).config(|c| c.request_timeout = Duration::from_millis(500)).build().await;
        let (session, workspace) = owner(&app, "slow-link@example.com").await;
        let files = [("one.txt", b"The first file, about opening hours.".to_vec()), ("two.txt", b"The second file, about returns.".to_vec())];
        let body = multipart_body(&files);

        // About two seconds in eight pieces: four times the request timeout.
        let pieces: Vec<Bytes> = body.chunks(body.len() / 8 + 1).map(Bytes::copy_from_slice).collect();
        let slow = futures_util::stream::iter(pieces).then(|piece| async move {
            tokio::time::sleep(Duration::from_millis(250)).await;
            Ok::<_, std::io::Error>(piece)
        });
        let response = app.request(upload_with(&workspace, &session, Body::from_stream(slow))).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        let outcomes = response.json();
        assert!(outcomes.as_array().unwrap().iter().all(|o| o["error"].is_null()), "{outcomes:#}");
        assert_eq!(overview(&app, &session, &workspace).await["sources"].as_array().unwrap().len(), 2);

        // The first file arrives whole, then the connection breaks.
        let first_file_end = body.windows(8).position(|w| w == b"\r\n--lode").unwrap();
        let broken = futures_util::stream::iter([
            Ok(Bytes::copy_from_slice(&body[..first_file_end + 4])),
            Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "the visitor's train entered a tunnel")),
        ]);
        let response = app.request(upload_with(&workspace, &session, Body::from_stream(broken))).await;
        assert_eq!(response.status, StatusCode::CONFLICT, "{}", response.body);
        assert!(response.body.contains("no file was added"), "{}", response.body);
        assert_eq!(overview(&app, &session, &workspace).await["sources"].as_array().unwrap().len(), 2, "nothing half-added");
        let scratch = app.state.config.knowledge.upload_dir.join("incoming");
        let left: Vec<_> = std::fs::read_dir(&scratch).map(|d| d.flatten().collect()).unwrap_or_default();
        assert!(left.is_empty(), "scratch files were left behind: {left:?}");
    }
}
