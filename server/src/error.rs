//! One error type for the HTTP layer: the cause is logged, the client gets a
//! clean message and the right status.

use app::error::ServiceError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("SQL error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("SurrealDB error: {0}")]
    Surreal(#[from] surrealdb::Error),
    /// Blocking work (hashing, files) that failed or panicked.
    #[error("background task failed: {0}")]
    Task(String),
    /// Stripe's API failed or refused (its message is for our log only).
    #[error("Stripe: {0}")]
    Stripe(#[from] stripe::StripeError),
}

impl AppError {
    fn status(&self) -> StatusCode {
        match self {
            AppError::Service(e) => StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            AppError::Sql(sqlx::Error::Database(e)) if e.is_unique_violation() => StatusCode::CONFLICT,
            AppError::Sql(sqlx::Error::Database(e)) if e.is_check_violation() || e.is_foreign_key_violation() => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::Sql(_) | AppError::Surreal(_) | AppError::Task(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Stripe(_) => StatusCode::BAD_GATEWAY,
        }
    }

    /// The error a service returns to its caller: internal causes are logged
    /// here, once, and never cross the wire.
    pub fn into_service_error(self) -> ServiceError {
        match self {
            AppError::Service(e) => e,
            AppError::Stripe(e) => {
                tracing::error!(error = %e, "Stripe failed");
                ServiceError::Rejected(
                    "Stripe did not answer as expected, so nothing changed. Try again in a minute.".into(),
                )
            }
            other => {
                tracing::error!(error = %other, "request failed");
                ServiceError::Internal
            }
        }
    }
}

/// Services return `ServiceError`; storage failures become `Internal` there,
/// logged once.
impl From<AppError> for ServiceError {
    fn from(error: AppError) -> Self {
        error.into_service_error()
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            AppError::Service(ServiceError::Invalid(fields)) => {
                json!({ "error": ServiceError::Invalid(fields.clone()).to_string(), "fields": fields })
            }
            AppError::Sql(_) if status == StatusCode::CONFLICT => json!({ "error": "That already exists." }),
            AppError::Sql(_) if status == StatusCode::UNPROCESSABLE_ENTITY => {
                json!({ "error": "That request breaks a rule of the data it changes." })
            }
            AppError::Service(e) => json!({ "error": e.to_string() }),
            other => {
                tracing::error!(error = %other, "request failed");
                json!({ "error": ServiceError::Internal.to_string() })
            }
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(retry_after_secs) = match &self {
            AppError::Service(e) => e.retry_after_secs(),
            _ => None,
        } {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, retry_after_secs.into());
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;

    use super::*;

    async fn respond(error: AppError) -> (StatusCode, serde_json::Value) {
        let response = error.into_response();
        let status = response.status();
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn invalid_input_is_422_with_the_fields() {
        let fields = [("email".to_string(), "Please enter a valid email address.".to_string())].into();
        let (status, body) = respond(AppError::Service(ServiceError::Invalid(fields))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["fields"]["email"], "Please enter a valid email address.");
    }

    #[tokio::test]
    async fn internal_causes_never_reach_the_client() {
        let cause = sqlx::Error::Protocol("password authentication failed for user lodestar".into());
        let (status, body) = respond(AppError::Sql(cause)).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"], ServiceError::Internal.to_string());
        assert!(!body.to_string().contains("password"));
        let response = AppError::Service(ServiceError::RateLimited { retry_after_secs: 30 }).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["retry-after"], "30");
    }

    #[test]
    fn services_see_internal_errors_only_as_internal() {
        let cause = AppError::Sql(sqlx::Error::PoolTimedOut);
        assert_eq!(cause.into_service_error(), ServiceError::Internal);
    }
}
