use axum::body::Body;
use axum::http::{Method, Request, StatusCode};

use crate::backend_tests;
use crate::support::TestApp;

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

    async fn invented_methods_share_one_series(app) {
        let before = app.get("/metrics").await.body.lines().count();
        for i in 0..50 {
            let method = Method::from_bytes(format!("BREW{i}").as_bytes()).unwrap();
            app.request(Request::builder().method(method).uri("/").body(Body::empty()).unwrap()).await;
        }
        let text = app.get("/metrics").await.body;
        assert!(!text.contains("BREW"), "an invented method became a label");
        assert!(text.contains(r#"method="other""#), "{text}");
        // One series (its counter and 15 histogram lines) for all fifty, plus the /metrics reads.
        let grown = text.lines().count() - before;
        assert!(grown <= 2 * 17, "{grown} new lines for 50 invented methods:\n{text}");
    }

    async fn metrics_are_private_in_production_unless_a_token_is_set(app) {
        let production = TestApp::builder(app.db)
            .config(|c| {
                c.environment = lodestar_server::config::Environment::Production;
                c.metrics.open = false;
            })
            .build()
            .await;
        assert_eq!(production.get("/metrics").await.status, StatusCode::NOT_FOUND);

        let token = "metrics-token-0123456789abcdef";
        let guarded = TestApp::builder(app.db)
            .config(move |c| {
                c.metrics.open = false;
                c.metrics.token = Some(lodestar_server::config::Secret::new(token));
            })
            .build()
            .await;
        let get = |authorization: &'static str| {
            let mut request = Request::get("/metrics");
            if !authorization.is_empty() {
                request = request.header("authorization", authorization);
            }
            request.body(Body::empty()).unwrap()
        };
        assert_eq!(guarded.request(get("")).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(guarded.request(get("Bearer wrong-token-0123456789")).await.status, StatusCode::UNAUTHORIZED);
        let allowed = guarded.request(get("Bearer metrics-token-0123456789abcdef")).await;
        assert_eq!(allowed.status, StatusCode::OK);
        assert!(allowed.body.contains("lodestar_http_requests_total"));

        // With an address of its own, the main listener does not serve it at all.
        let separate = TestApp::builder(app.db)
            .config(|c| c.metrics.listen = Some("127.0.0.1:0".parse().unwrap()))
            .build()
            .await;
        assert_eq!(separate.get("/metrics").await.status, StatusCode::NOT_FOUND);
        let own = lodestar_server::http::metrics::separate_router(separate.state.clone());
        let response = tower::ServiceExt::oneshot(own, Request::get("/metrics").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
}
