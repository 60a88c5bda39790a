use axum::http::StatusCode;

use crate::backend_tests;

backend_tests! {
    async fn healthz_answers(app) {
        let response = app.get("/healthz").await;
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.json()["status"], "ok");
    }

    async fn readyz_checks_both_stores(app) {
        let response = app.get("/readyz").await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        assert_eq!(response.json()["checks"], serde_json::json!({ "sql": "ok", "knowledge": "ok" }));

        // With the SQL store gone, the instance must stop claiming readiness.
        app.state.sql.close().await;
        let response = app.get("/readyz").await;
        assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.json()["checks"]["sql"], "unavailable");
        assert_eq!(response.json()["checks"]["knowledge"], "ok");
        assert!(!response.body.contains("closed"), "causes stay in the logs: {}", response.body);
    }

    async fn metrics_count_requests_by_route_template(app) {
        app.get("/").await;
        app.get("/").await;
        app.get("/no/such/page/7f3a").await;
        let response = app.get("/metrics").await;
        assert_eq!(response.status, StatusCode::OK);
        assert!(response.header("content-type").starts_with("text/plain; version=0.0.4"));
        let text = response.body;
        assert!(text.contains(r#"lodestar_http_requests_total{method="GET",route="/",status="200"} 2"#), "{text}");
        assert!(text.contains(r#"lodestar_http_requests_total{method="GET",route="unmatched",status="404"} 1"#), "{text}");
        assert!(!text.contains("7f3a"), "raw paths must not become labels");
        assert!(text.contains(r#"lodestar_http_request_duration_seconds_bucket{method="GET",route="/",le="+Inf"} 2"#));
        assert!(text.contains(r#"lodestar_http_request_duration_seconds_count{method="GET",route="/"} 2"#));
    }
}
