//! API keys: secret keys for the REST API (shown once, stored hashed) and
//! publishable widget keys limited to a list of allowed origins.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{FieldErrors, ServiceError};
use crate::validate;

pub const KEY_NAME_MAX: usize = 80;
pub const ORIGINS_MAX: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    Secret,
    Publishable,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Secret => "secret",
            KeyKind::Publishable => "publishable",
        }
    }

    pub fn parse(value: &str) -> Option<KeyKind> {
        [KeyKind::Secret, KeyKind::Publishable].into_iter().find(|k| k.as_str() == value)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: String,
    pub kind: KeyKind,
    pub name: String,
    /// Enough of the key to recognise it: a publishable key in full, a
    /// secret key's first characters only.
    pub display: String,
    pub allowed_origins: Vec<String>,
    pub created_by: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A key just made. `secret` is present once, for a secret key, and never again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedKey {
    pub key: ApiKey,
    pub secret: Option<String>,
}

/// A validated request for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKey {
    pub name: String,
    pub kind: KeyKind,
    pub allowed_origins: Vec<String>,
}

pub fn validate_new_key(name: &str, kind: &str, allowed_origins: &str) -> Result<NewKey, FieldErrors> {
    let mut errors = FieldErrors::new();
    let name =
        validate::required_line("name", name, KEY_NAME_MAX, "Please name the key, like \"Website\".", &mut errors);
    let kind = KeyKind::parse(kind);
    if kind.is_none() {
        errors.insert("kind".into(), "Please choose a secret or a publishable key.".into());
    }
    let origins = match parse_origins(allowed_origins) {
        Ok(origins) => origins,
        Err(message) => {
            errors.insert("allowed_origins".into(), message);
            Vec::new()
        }
    };
    if kind == Some(KeyKind::Publishable) && origins.is_empty() && !errors.contains_key("allowed_origins") {
        errors.insert(
            "allowed_origins".into(),
            "List the sites the widget may run on, like https://www.example.com.".into(),
        );
    }
    match kind {
        Some(kind) if errors.is_empty() => Ok(NewKey { name, kind, allowed_origins: origins }),
        _ => Err(errors),
    }
}

/// Origins, one per line or comma-separated: `https://host[:port]`, or
/// `http://` for localhost only. Normalised to lower case without a path.
pub fn parse_origins(input: &str) -> Result<Vec<String>, String> {
    let mut origins: Vec<String> = Vec::new();
    for raw in input.split(['\n', ',', ' ']).map(str::trim).filter(|s| !s.is_empty()) {
        let origin = normalise_origin(raw).ok_or_else(|| {
            format!(
                "\"{}\" is not a site address. Use the form https://www.example.com.",
                raw.chars().take(60).collect::<String>()
            )
        })?;
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    if origins.len() > ORIGINS_MAX {
        return Err(format!("List at most {ORIGINS_MAX} sites."));
    }
    Ok(origins)
}

fn normalise_origin(raw: &str) -> Option<String> {
    let lowered = raw.trim_end_matches('/').to_ascii_lowercase();
    let (scheme, rest) = lowered.split_once("://")?;
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0) => (host, Some(port)),
        _ => (rest, None),
    };
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') && !label.starts_with('-')
        });
    let local = host == "localhost" || host == "127.0.0.1";
    let scheme_ok = scheme == "https" || (scheme == "http" && local);
    (host_ok && scheme_ok).then(|| match port {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    })
}

#[server(endpoint = "keys/list")]
pub async fn list_api_keys(workspace_id: String) -> Result<Vec<ApiKey>, ServiceError> {
    crate::services::call(|s, caller| async move { s.team.list_keys(&caller, &workspace_id).await }).await
}

#[server(endpoint = "keys/create")]
pub async fn create_api_key(
    workspace_id: String,
    name: String,
    kind: String,
    #[server(default)] allowed_origins: String,
) -> Result<CreatedKey, ServiceError> {
    crate::services::call(|s, caller| async move {
        let key = validate_new_key(&name, &kind, &allowed_origins).map_err(ServiceError::Invalid)?;
        s.team.create_key(&caller, &workspace_id, key).await
    })
    .await
}

#[server(endpoint = "keys/origins")]
pub async fn update_key_origins(
    workspace_id: String,
    key_id: String,
    allowed_origins: String,
) -> Result<ApiKey, ServiceError> {
    crate::services::call(|s, caller| async move {
        let origins = parse_origins(&allowed_origins).map_err(|m| ServiceError::invalid("allowed_origins", m))?;
        s.team.update_key_origins(&caller, &workspace_id, &key_id, origins).await
    })
    .await
}

#[server(endpoint = "keys/revoke")]
pub async fn revoke_api_key(workspace_id: String, key_id: String) -> Result<(), ServiceError> {
    crate::services::call(|s, caller| async move { s.team.revoke_key(&caller, &workspace_id, &key_id).await }).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised_and_checked() {
        assert_eq!(
            parse_origins("https://WWW.Example.com/\nhttp://localhost:8080, https://www.example.com").unwrap(),
            ["https://www.example.com", "http://localhost:8080"]
        );
        for bad in [
            "http://example.com",
            "javascript:alert(1)",
            "https://exa mple.com",
            "https://",
            "ftp://x.com",
            "https://x.com:99999",
        ] {
            assert!(parse_origins(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn a_publishable_key_needs_an_origin() {
        let errors = validate_new_key("Site", "publishable", "").unwrap_err();
        assert!(errors.contains_key("allowed_origins"));
        assert_eq!(validate_new_key("API", "secret", "").unwrap().kind, KeyKind::Secret);
        assert!(validate_new_key("", "bogus", "").unwrap_err().contains_key("kind"));
    }
}
