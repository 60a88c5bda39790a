//! Liveness and readiness for load balancers and orchestrators.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::state::AppState;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(alive)).route("/readyz", get(ready))
}

/// The process is up and serving HTTP.
async fn alive() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Both stores answer within the timeout.
async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let (sql, knowledge) = tokio::join!(
        tokio::time::timeout(CHECK_TIMEOUT, state.sql.ping()),
        tokio::time::timeout(CHECK_TIMEOUT, state.knowledge_store.ping()),
    );
    let sql = report("sql", sql.map_err(|_| "timed out".to_string()).and_then(|r| r.map_err(|e| e.to_string())));
    let knowledge =
        report("knowledge", knowledge.map_err(|_| "timed out".to_string()).and_then(|r| r.map_err(|e| e.to_string())));
    let ready = sql && knowledge;
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    (
        status,
        Json(json!({
            "status": if ready { "ready" } else { "not ready" },
            "checks": { "sql": word(sql), "knowledge": word(knowledge) },
        })),
    )
}

/// Logs a failed check's cause (never sent to the client) and says whether it passed.
fn report(store: &str, result: Result<(), String>) -> bool {
    if let Err(cause) = &result {
        tracing::warn!(store, %cause, "readiness check failed");
    }
    result.is_ok()
}
