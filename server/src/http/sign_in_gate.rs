//! Signed-out visits to any dashboard address (`/app`, `/app/…`) go to the
//! login page on the server, with a 303 that brings the person back to that
//! address after they log in. Before, the page decided as it rendered: an
//! expired session on `/app/w/<id>/inbox` met the workspace's membership
//! check first and read "We couldn't find that page", and `/app` answered
//! 200 with an empty shell. Only a signed-in person who lacks access to a
//! workspace sees a not-found page now.
//!
//! The public pages' header offers "Open dashboard" to someone signed in.
//! The session cookie is HttpOnly and checking it would cost every public
//! page a query, so a readable cookie with no secret in it
//! (`app::layout::SIGNED_IN_COOKIE`) follows the session cookie: set and
//! cleared with it by [`mirror_session`], and cleared here when a visit finds
//! the session gone.

use app::components::url::login_url;
use app::services::Caller;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

#[tracing::instrument(skip_all, fields(path = %request.uri().path()))]
pub async fn require_sign_in(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let dashboard = path == "/app" || path.starts_with("/app/");
    if !dashboard || !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let caller = request.extensions().get::<Caller>().cloned().unwrap_or_default();
    // A store error lets the page render and explain itself.
    if state.accounts.is_signed_in(&caller).await.unwrap_or(true) {
        return next.run(request).await;
    }
    let here = request.uri().path_and_query().map_or(path, |p| p.as_str());
    let forget = state.accounts.cookie_policy().hint(false);
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, login_url(here)), (header::CACHE_CONTROL, "no-store".into()), (header::SET_COOKIE, forget)],
    )
        .into_response()
}

/// Sets or clears the readable signed-in mark with every response that sets
/// or clears the session cookie (log-in, sign-up by invitation, email
/// verification, log-out, password changes).
pub async fn mirror_session(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let policy = state.accounts.cookie_policy();
    let session = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| policy.sets_session(value));
    if let Some(signed_in) = session {
        if let Ok(hint) = HeaderValue::from_str(&policy.hint(signed_in)) {
            response.headers_mut().append(header::SET_COOKIE, hint);
        }
    }
    response
}
