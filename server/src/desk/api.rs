//! The desk's live streams (`EventSource`):
//! - `GET /api/w/{workspace_id}/conversations/{conversation_id}/events`: an
//!   agent's live view of a conversation, its journal (the visitor's
//!   messages, the bot's answers, who joined), resumed by `Last-Event-ID`
//!   after a reconnect or from `?after=N` (the `seq` of a join or opening);
//! - `GET /api/w/{workspace_id}/inbox/events`: `changed` events naming a
//!   conversation that changed (empty when any may have, and every
//!   `CATCH_UP`, so waiting times stay current), so the inbox reads itself
//!   again. Nothing to resume: the inbox is re-read whole.
//! - `GET /api/w/{workspace_id}/tickets/events`: the same for tickets
//!   (quiet while nothing changes). Either keeps its member at the desk.

use app::services::Caller;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::StreamExt;
use serde::Deserialize;

use crate::error::AppError;
use crate::live::{Board, Change};
use crate::state::AppState;

pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/w/{workspace_id}/conversations/{conversation_id}/events"),
    ("GET", "/api/w/{workspace_id}/inbox/events"),
    ("GET", "/api/w/{workspace_id}/tickets/events"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/w/{workspace_id}/conversations/{conversation_id}/events", get(events))
        .route("/api/w/{workspace_id}/inbox/events", get(inbox_events))
        .route("/api/w/{workspace_id}/tickets/events", get(ticket_events))
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
    let (heard, slot) = state.desk.follow(&caller, &workspace_id, &conversation_id, after).await?;
    Ok(crate::live::sse(heard, slot))
}

#[tracing::instrument(skip_all, fields(workspace_id))]
async fn inbox_events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(workspace_id): Path<String>,
) -> Result<Response, AppError> {
    board_events(&state, &caller, &workspace_id, Board::Conversations).await
}

#[tracing::instrument(skip_all, fields(workspace_id))]
async fn ticket_events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(workspace_id): Path<String>,
) -> Result<Response, AppError> {
    board_events(&state, &caller, &workspace_id, Board::Tickets).await
}

/// A board's changes as `changed` events: the id, or empty when any may
/// have changed. A quiet spell re-reads the inbox (its waiting times move)
/// and is a comment to the tickets page (deadlines count down on its own
/// clock).
async fn board_events(
    state: &AppState,
    caller: &Caller,
    workspace_id: &str,
    board: Board,
) -> Result<Response, AppError> {
    let (changes, slot) = state.desk.watch(caller, workspace_id, board).await?;
    let events = changes.map(move |change| {
        let _held = &slot;
        let event = Event::default();
        Ok::<_, std::convert::Infallible>(match (change, board) {
            (Change::One(id), _) => event.event("changed").data(id),
            (Change::Quiet, Board::Tickets) => event.comment("quiet"),
            (Change::Any | Change::Quiet, _) => event.event("changed").data(""),
        })
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()).into_response())
}
