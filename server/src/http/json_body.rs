//! JSON request bodies for the plain REST handlers (the widget's API, the
//! mentor's): read whatever their declared type (browsers may send
//! `text/plain` to skip a CORS preflight), at most a given size, with a
//! clear refusal for anything else.

use app::error::ServiceError;
use axum::extract::Request;

/// The body of `request` as `T`: over `max_bytes` or cut off is refused, and
/// JSON of another shape is a 422 saying what was not understood.
pub async fn json_body<T: serde::de::DeserializeOwned>(request: Request, max_bytes: usize) -> Result<T, ServiceError> {
    let bytes = axum::body::to_bytes(request.into_body(), max_bytes)
        .await
        .map_err(|_| ServiceError::Rejected("The request was too large or interrupted.".into()))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ServiceError::invalid("body", format!("The JSON was not understood: {e}")))
}
