//! File uploads: `POST /api/w/{workspace_id}/knowledge/files`, multipart
//! with one `file` part per file. A plain endpoint rather than a server
//! function so that browsers can report upload progress. Each file gets its
//! own outcome: one bad file does not sink the others.
//!
//! An upload is all or nothing: every part is streamed to a scratch file
//! first, and sources are created only once the whole request has arrived.
//! A connection that drops or stalls halfway adds nothing, so trying again
//! never duplicates a file. Large uploads on slow links take longer than the
//! server's request timeout, so this route has its own: no progress for
//! [`IDLE`] ends it, and so does [`LONGEST`] in all. A workspace uploads
//! at most [`super::UPLOADS_AT_ONCE`] requests at a time, and scratch files
//! older than [`LONGEST`] are swept at start (a crash leaves them behind).

use std::path::{Path as FsPath, PathBuf};
use std::time::Duration;

use app::error::ServiceError;
use app::knowledge::UploadOutcome;
use app::services::{Caller, KnowledgeService};
use axum::extract::multipart::Field;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{header, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use tokio::io::AsyncWriteExt;

use crate::error::AppError;
use crate::state::AppState;

pub const ROUTES: &[(&str, &str)] = &[("POST", "/api/w/{workspace_id}/knowledge/files")];

/// The whole request may carry this much; each file is held to its plan's
/// per-file limit as it streams in.
const MAX_REQUEST_BYTES: usize = 512 * 1024 * 1024;
/// A request that sends nothing for this long has stalled.
const IDLE: Duration = Duration::from_secs(30);
/// The longest an upload may take, however steadily it trickles in.
pub const LONGEST: Duration = Duration::from_secs(30 * 60);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/w/{workspace_id}/knowledge/files", post(upload).layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES)))
}

/// Uploads keep their own time limits instead of the request timeout.
pub fn is_upload(method: &Method, path: &str) -> bool {
    method == Method::POST && path.starts_with("/api/w/") && path.ends_with("/knowledge/files")
}

/// One file as it arrived: its name and where its bytes wait, or why it
/// was refused.
struct Received {
    file_name: String,
    stored: Result<PathBuf, ServiceError>,
}

/// Scratch files of an upload, removed however the request ends.
struct Scratch(Vec<PathBuf>);

impl Drop for Scratch {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

async fn upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(workspace_id): Path<String>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let limits = state.knowledge.limits_for(&caller, &workspace_id).await?;
    // Each upload may hold up to its request's size on disk for a while.
    let _slot = state.knowledge.upload_slot(&workspace_id).ok_or(ServiceError::RateLimited { retry_after_secs: 10 })?;
    let scratch_dir = state.config.knowledge.upload_dir.join(super::INCOMING);
    let mut scratch = Scratch(Vec::new());
    let received = tokio::time::timeout(LONGEST, receive(multipart, &limits, &scratch_dir, &mut scratch))
        .await
        .map_err(|_| interrupted())??;
    if received.is_empty() {
        return Err(AppError::Service(ServiceError::invalid("file", "Choose at least one file to upload.")));
    }
    // Everything arrived: the files are added on a task of their own, so a
    // client that goes away now cannot leave the upload half-added.
    let knowledge = state.knowledge.clone();
    let adding = tokio::spawn(async move {
        let _scratch = scratch;
        let mut outcomes = Vec::new();
        for Received { file_name, stored } in received {
            let outcome = match stored {
                Ok(path) => match tokio::fs::read(&path).await {
                    Ok(bytes) => knowledge.add_file(&caller, &workspace_id, &file_name, bytes).await,
                    Err(e) => Err(ServiceError::from(AppError::Task(format!("could not read an upload back: {e}")))),
                },
                Err(refused) => Err(refused),
            };
            let file_name = super::sources::display_name(&file_name);
            outcomes.push(match outcome {
                Ok(source) => UploadOutcome { file_name, source: Some(source), error: None },
                Err(e @ (ServiceError::Unauthenticated | ServiceError::Forbidden | ServiceError::NotFound)) => {
                    return Err(e)
                }
                Err(e) => UploadOutcome { file_name, source: None, error: Some(e.to_string()) },
            });
        }
        Ok(outcomes)
    });
    let outcomes = adding.await.map_err(|e| AppError::Task(format!("adding uploads failed: {e}")))??;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(outcomes)).into_response())
}

fn interrupted() -> AppError {
    AppError::Service(ServiceError::Rejected(
        "The upload was interrupted, so no file was added. Please try again.".into(),
    ))
}

/// Reads every part to a scratch file (nothing is added yet).
async fn receive(
    mut multipart: Multipart,
    limits: &app::plans::KnowledgeLimits,
    scratch_dir: &FsPath,
    scratch: &mut Scratch,
) -> Result<Vec<Received>, AppError> {
    let mut received = Vec::new();
    while let Some(mut field) = idle_bound(multipart.next_field()).await? {
        if field.name() != Some("file") {
            continue;
        }
        let file_name = field.file_name().unwrap_or("upload").to_owned();
        if received.len() as u32 >= limits.max_files_per_upload {
            let refused =
                ServiceError::Rejected(format!("Upload at most {} files at a time.", limits.max_files_per_upload));
            while idle_bound(field.chunk()).await?.is_some() {}
            received.push(Received { file_name, stored: Err(refused) });
            continue;
        }
        let path = scratch_dir.join(uuid::Uuid::new_v4().simple().to_string());
        scratch.0.push(path.clone());
        let stored = store_part(&mut field, &path, limits.max_file_bytes).await?;
        received.push(Received { file_name, stored: stored.map(|()| path) });
    }
    Ok(received)
}

/// Streams one part to `path`; a part over `max` bytes is read to its end
/// and refused.
async fn store_part(field: &mut Field<'_>, path: &FsPath, max: u64) -> Result<Result<(), ServiceError>, AppError> {
    let store_failed = |e: std::io::Error| AppError::Task(format!("could not store an upload: {e}"));
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(store_failed)?;
    }
    let mut file = tokio::fs::File::create(path).await.map_err(store_failed)?;
    let mut written = 0u64;
    let mut too_big = false;
    while let Some(piece) = idle_bound(field.chunk()).await? {
        written += piece.len() as u64;
        if too_big || written > max {
            too_big = true;
            continue;
        }
        file.write_all(&piece).await.map_err(store_failed)?;
    }
    file.flush().await.map_err(store_failed)?;
    if too_big {
        return Ok(Err(ServiceError::Rejected(format!(
            "This file is larger than your plan's {} MB limit per file.",
            max / (1024 * 1024)
        ))));
    }
    Ok(Ok(()))
}

/// A step of reading the request that must make progress within [`IDLE`].
async fn idle_bound<T>(
    step: impl std::future::Future<Output = Result<T, axum::extract::multipart::MultipartError>>,
) -> Result<T, AppError> {
    match tokio::time::timeout(IDLE, step).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(_)) | Err(_) => Err(interrupted()),
    }
}
