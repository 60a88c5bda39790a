//! The service traits the server implements, one per product area. Server
//! functions and the server's own REST handlers call the same services.

use std::sync::Arc;

use async_trait::async_trait;
use leptos::prelude::use_context;

use crate::error::ServiceError;
use crate::sales::{ContactSalesForm, LeadReceipt};

#[async_trait]
pub trait SalesService: Send + Sync + 'static {
    /// Validates and stores an Enterprise enquiry.
    async fn submit_lead(&self, form: &ContactSalesForm) -> Result<LeadReceipt, ServiceError>;
}

/// Every service, handed to Leptos as context for each request.
#[derive(Clone)]
pub struct Services {
    pub sales: Arc<dyn SalesService>,
}

/// Gives a server function's failure the HTTP status its error deserves
/// (422, 429 or 500), so API clients need not parse bodies to branch. A plain
/// HTML form post (no JavaScript yet) keeps the redirect back to its page
/// that Leptos answers it with.
pub fn with_status<T>(result: Result<T, ServiceError>) -> Result<T, ServiceError> {
    let plain_form_post = use_context::<http::request::Parts>()
        .and_then(|parts| parts.headers.get(http::header::ACCEPT)?.to_str().ok().map(|v| v.contains("text/html")))
        .unwrap_or(false);
    if plain_form_post {
        return result;
    }
    if let Err(error) = &result {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(match error {
                ServiceError::Invalid(_) => http::StatusCode::UNPROCESSABLE_ENTITY,
                ServiceError::RateLimited => http::StatusCode::TOO_MANY_REQUESTS,
                ServiceError::Transport(_) => http::StatusCode::BAD_REQUEST,
                ServiceError::Internal => http::StatusCode::INTERNAL_SERVER_ERROR,
            });
        }
    }
    result
}

/// The services for the current request. Missing context is a wiring bug,
/// reported as an internal error rather than a panic.
pub fn use_services() -> Result<Services, ServiceError> {
    use_context::<Services>().ok_or(ServiceError::Internal)
}
