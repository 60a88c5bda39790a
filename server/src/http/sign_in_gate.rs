//! Signed-out visits to any dashboard address (`/app`, `/app/…`) go to the
//! login page on the server, with a 303 that brings the person back to that
//! address after they log in. Before, the page decided as it rendered: an
//! expired session on `/app/w/<id>/inbox` met the workspace's membership
//! check first and read "We couldn't find that page", and `/app` answered
//! 200 with an empty shell. Only a signed-in person who lacks access to a
//! workspace sees a not-found page now.

use app::components::url::login_url;
use app::services::Caller;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
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
    (StatusCode::SEE_OTHER, [(header::LOCATION, login_url(here)), (header::CACHE_CONTROL, "no-store".into())])
        .into_response()
}
