//! File uploads: `POST /api/w/{workspace_id}/knowledge/files`, multipart
//! with one `file` part per file. A plain endpoint rather than a server
//! function so that browsers can report upload progress. Each file gets its
//! own outcome: one bad file does not sink the others.

use app::error::ServiceError;
use app::knowledge::UploadOutcome;
use app::services::{Caller, KnowledgeService};
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};

use crate::error::AppError;
use crate::state::AppState;

pub const ROUTES: &[(&str, &str)] = &[("POST", "/api/w/{workspace_id}/knowledge/files")];

/// The whole request may carry this much; each file is held to its plan's
/// per-file limit as it streams in.
const MAX_REQUEST_BYTES: usize = 512 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/w/{workspace_id}/knowledge/files", post(upload).layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES)))
}

async fn upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(workspace_id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let limits = state.knowledge.limits_for(&caller, &workspace_id).await?;
    let mut outcomes = Vec::new();
    let unreadable = |_| {
        AppError::Service(ServiceError::Rejected("The upload was interrupted or malformed. Please try again.".into()))
    };
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        if field.name() != Some("file") {
            continue;
        }
        let file_name = field.file_name().unwrap_or("upload").to_owned();
        if outcomes.len() as u32 >= limits.max_files_per_upload {
            outcomes.push(UploadOutcome {
                file_name,
                source: None,
                error: Some(format!("Upload at most {} files at a time.", limits.max_files_per_upload)),
            });
            continue;
        }
        let mut bytes = Vec::new();
        let mut too_big = false;
        while let Some(piece) = field.chunk().await.map_err(unreadable)? {
            if too_big || (bytes.len() + piece.len()) as u64 > limits.max_file_bytes {
                too_big = true;
                bytes = Vec::new();
                continue;
            }
            bytes.extend_from_slice(&piece);
        }
        let outcome = if too_big {
            Err(ServiceError::Rejected(format!(
                "This file is larger than your plan's {} MB limit per file.",
                limits.max_file_bytes / (1024 * 1024)
            )))
        } else {
            state.knowledge.add_file(&caller, &workspace_id, &file_name, bytes).await
        };
        let file_name = super::sources::display_name(&file_name);
        outcomes.push(match outcome {
            Ok(source) => UploadOutcome { file_name, source: Some(source), error: None },
            Err(e @ (ServiceError::Unauthenticated | ServiceError::Forbidden | ServiceError::NotFound)) => {
                return Err(AppError::Service(e))
            }
            Err(e) => UploadOutcome { file_name, source: None, error: Some(e.to_string()) },
        });
    }
    if outcomes.is_empty() {
        return Err(AppError::Service(ServiceError::invalid("file", "Choose at least one file to upload.")));
    }
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(outcomes)).into_response())
}
