//! The agent's live view of a conversation:
//! `GET /api/w/{workspace_id}/conversations/{conversation_id}/events`, an
//! `EventSource` stream of the conversation's journal (the visitor's
//! messages, the bot's answers, who joined), resumed by `Last-Event-ID`
//! after a reconnect or from `?after=N` (the `seq` of a join or transcript).

use app::services::Caller;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use serde::Deserialize;

use crate::error::AppError;
use crate::state::AppState;

pub const ROUTES: &[(&str, &str)] = &[("GET", "/api/w/{workspace_id}/conversations/{conversation_id}/events")];

pub fn router() -> Router<AppState> {
    Router::new().route("/api/w/{workspace_id}/conversations/{conversation_id}/events", get(events))
}

#[derive(Deserialize)]
struct After {
    after: Option<i64>,
}

#[tracing::instrument(skip_all, fields(workspace_id, conversation_id))]
async fn events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((workspace_id, conversation_id)): Path<(String, String)>,
    Query(query): Query<After>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    // A reconnecting EventSource says where it was; that wins over the address.
    let resumed = headers.get("last-event-id").and_then(|v| v.to_str().ok()?.parse::<i64>().ok());
    let after = resumed.or(query.after).unwrap_or(0).max(0);
    let (entries, slot) = state.desk.follow(&caller, &workspace_id, &conversation_id, after).await?;
    Ok(crate::live::sse(entries, slot))
}
