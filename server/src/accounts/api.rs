//! REST endpoints for non-browser clients (`/api/v1`) and the two
//! cookie-authenticated GETs the dashboard links to (data export, CSRF token).

use std::sync::Arc;

use app::accounts::Password;
use app::error::ServiceError;
use app::services::Caller;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::Accounts;
use crate::error::AppError;
use crate::state::AppState;

/// Every route this module serves, with its method: the isolation test
/// reads this list, so a route added here must be classified there.
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/revoke"),
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/workspace"),
    ("GET", "/account/export"),
    ("GET", "/api/session/csrf"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/token", post(token))
        .route("/api/v1/auth/refresh", post(refresh))
        .route("/api/v1/auth/revoke", post(revoke))
        .route("/api/v1/me", get(me))
        .route("/api/v1/workspace", get(workspace))
        .route("/account/export", get(export))
        .route("/api/session/csrf", get(csrf))
}

#[derive(Deserialize)]
struct PasswordGrant {
    email: String,
    password: String,
}

#[derive(Deserialize)]
struct RefreshRequest {
    refresh_token: String,
}

fn accounts(state: &AppState) -> &Arc<Accounts> {
    &state.accounts
}

async fn token(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(grant): Json<PasswordGrant>,
) -> Result<Response, AppError> {
    let pair = accounts(&state).password_grant(&caller, &grant.email, &Password::new(grant.password)).await?;
    Ok(no_store(Json(pair)))
}

async fn refresh(State(state): State<AppState>, Json(request): Json<RefreshRequest>) -> Result<Response, AppError> {
    Ok(no_store(Json(accounts(&state).refresh(&request.refresh_token).await?)))
}

async fn revoke(State(state): State<AppState>, Json(request): Json<RefreshRequest>) -> Result<StatusCode, AppError> {
    accounts(&state).revoke_refresh(&request.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn bearer(headers: &HeaderMap) -> Result<&str, AppError> {
    bearer_token(headers).ok_or(AppError::Service(ServiceError::Unauthenticated))
}

/// The token of an `Authorization: Bearer …` header, if one was sent.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|token| !token.is_empty())
}

async fn me(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    Ok(Json(accounts(&state).bearer_viewer(bearer(&headers)?).await?).into_response())
}

async fn workspace(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let workspace = accounts(&state).secret_key_workspace(bearer(&headers)?).await?;
    Ok(Json(json!({ "id": workspace.id, "name": workspace.name, "plan": workspace.plan })).into_response())
}

async fn export(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> Result<Response, AppError> {
    let data = accounts(&state).export(&caller).await?;
    let body = serde_json::to_string_pretty(&data).map_err(|e| AppError::Task(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"lodestar-account.json\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

async fn csrf(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> Result<Response, AppError> {
    let token = caller.session_token.as_deref().ok_or(AppError::Service(ServiceError::Unauthenticated))?;
    Ok(no_store(Json(json!({ "csrf_token": accounts(&state).csrf_token(token) }))))
}

fn no_store(body: impl IntoResponse) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], body).into_response()
}
