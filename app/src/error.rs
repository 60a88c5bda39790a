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
    #[error("Too many requests. Please wait a moment and try again.")]
    RateLimited,
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
    #[error("We could not reach Lodestar. Check your connection and try again.")]
    Transport(String),
}

impl ServiceError {
    /// The message for one form field, if that field was rejected.
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            ServiceError::Invalid(fields) => fields.get(name).cloned(),
            _ => None,
        }
    }
}

impl FromServerFnError for ServiceError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        ServiceError::Transport(value.to_string())
    }
}
