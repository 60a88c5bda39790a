//! The typed error every server function and service returns.

use std::collections::BTreeMap;

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Per-field messages a person can act on, keyed by form field name.
pub type FieldErrors = BTreeMap<String, String>;

/// What a caller may learn about a failure. Causes are logged on the server;
/// only these clean messages cross the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ServiceError {
    #[error("Please correct the highlighted fields.")]
    Invalid(FieldErrors),
    /// The request cannot be done as asked; the message says why.
    #[error("{0}")]
    Rejected(String),
    #[error("Please log in to continue.")]
    Unauthenticated,
    #[error("That email and password don't match. Check them, or reset your password.")]
    WrongCredentials,
    #[error("Your role in this workspace does not allow that.")]
    Forbidden,
    /// Also what another tenant's ids get: their existence is not revealed.
    #[error("We could not find that. It may have been removed.")]
    NotFound,
    #[error("Too many attempts. Please wait {retry_after_secs} seconds and try again.")]
    RateLimited { retry_after_secs: u64 },
    /// A plan's allowance is used up: the message says which, when it
    /// comes back and what gives more.
    #[error("{message}")]
    QuotaReached { message: String, retry_after_secs: u64 },
    /// Past a fair share: the client may go on once it has solved this
    /// proof-of-work challenge (the widget does so by itself).
    #[error("Please wait a moment while we check your connection.")]
    ChallengeRequired { challenge: String, bits: u32 },
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
    #[error("We could not reach Lodestar. Check your connection and try again.")]
    Transport(String),
    /// The request itself could not be read (a field missing, repeated or
    /// of the wrong shape): the client's fault, never a server error.
    #[error("This request could not be read. Please reload the page and try again.")]
    Malformed,
}

impl ServiceError {
    /// The message for one form field, if that field was rejected.
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            ServiceError::Invalid(fields) => fields.get(name).cloned(),
            _ => None,
        }
    }

    /// What a person reads: the fields' own messages for a rejected form,
    /// the error's message otherwise.
    pub fn explained(&self) -> String {
        match self {
            ServiceError::Invalid(fields) => fields.values().cloned().collect::<Vec<_>>().join(" "),
            other => other.to_string(),
        }
    }

    /// One field's problem as an error.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ServiceError::Invalid(FieldErrors::from([(field.to_string(), message.into())]))
    }

    /// The HTTP status this failure deserves, for server functions and REST alike.
    pub fn status_code(&self) -> u16 {
        match self {
            ServiceError::Invalid(_) => 422,
            ServiceError::Rejected(_) => 409,
            ServiceError::Unauthenticated | ServiceError::WrongCredentials => 401,
            ServiceError::Forbidden => 403,
            ServiceError::NotFound => 404,
            ServiceError::RateLimited { .. }
            | ServiceError::QuotaReached { .. }
            | ServiceError::ChallengeRequired { .. } => 429,
            ServiceError::Transport(_) | ServiceError::Malformed => 400,
            ServiceError::Internal => 500,
        }
    }

    /// Seconds until a refused request may be sent again (`Retry-After`).
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            ServiceError::RateLimited { retry_after_secs } | ServiceError::QuotaReached { retry_after_secs, .. } => {
                Some(*retry_after_secs)
            }
            _ => None,
        }
    }
}

impl FromServerFnError for ServiceError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // On the server, before the function runs: the arguments did not
            // decode. The deserializer's words stay out of the answer.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                #[cfg(feature = "ssr")]
                crate::services::set_status_of(&ServiceError::Malformed);
                ServiceError::Malformed
            }
            other => ServiceError::Transport(other.to_string()),
        }
    }
}
