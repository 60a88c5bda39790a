//! A request the client got wrong is the client's error: server-function
//! arguments that do not decode (a field repeated, a string where a list
//! belongs, a field missing) answer 400 with a clean message, never 500
//! with the deserializer's words, and count as client errors in metrics.

use axum::http::StatusCode;

use crate::backend_tests;
use crate::knowledge::owner;

backend_tests! {
    async fn malformed_server_function_arguments_are_a_clean_400(app) {
        let (session, workspace) = owner(&app, "malformed@example.com").await;
        let cases: [(&str, Vec<(&str, &str)>); 3] = [
            ("/api/knowledge/overview", vec![("workspace_id", workspace.as_str()), ("workspace_id", "another")]),
            ("/api/knowledge/test", vec![("workspace_id", workspace.as_str()), ("question", "refunds?"), ("source_ids", "not-a-list")]),
            ("/api/knowledge/overview", vec![]),
        ];
        for (path, fields) in cases {
            let response = app.call(&session, path, &fields).await;
            assert_eq!(response.status, StatusCode::BAD_REQUEST, "{path} {fields:?}: {}", response.body);
            assert_eq!(response.json(), serde_json::json!("Malformed"), "{path}: {}", response.body);
            for leak in ["deserializ", "duplicate field", "missing field", "invalid type"] {
                assert!(!response.body.to_lowercase().contains(leak), "{path}: {}", response.body);
            }
        }
        let metrics = app.get("/metrics").await.body;
        assert!(metrics.contains(r#"route="/api/knowledge/overview",status="400"} 2"#), "{metrics}");
        assert!(!metrics.contains(r#"status="500""#), "{metrics}");
    }
}
