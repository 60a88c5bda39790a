//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes),
//! off the async runtime so a burst of logins cannot stall other requests.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use app::accounts::Password;

use crate::error::AppError;

pub async fn hash(password: &Password) -> Result<String, AppError> {
    let password = password.clone();
    tokio::task::spawn_blocking(move || hash_now(password.expose())).await.map_err(|e| AppError::Task(e.to_string()))?
}

fn hash_now(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::Task(format!("argon2: {e}")))
}

/// Whether `password` matches `stored`. With no stored hash (no such
/// account) a dummy hash is checked, so the answer takes as long either way.
pub async fn verify(password: &Password, stored: Option<String>) -> Result<bool, AppError> {
    let password = password.clone();
    tokio::task::spawn_blocking(move || {
        let (hash, real) = match stored {
            Some(hash) => (hash, true),
            None => (dummy_hash().to_string(), false),
        };
        let parsed = PasswordHash::new(&hash).map_err(|e| AppError::Task(format!("stored hash: {e}")))?;
        Ok(Argon2::default().verify_password(password.expose().as_bytes(), &parsed).is_ok() && real)
    })
    .await
    .map_err(|e| AppError::Task(e.to_string()))?
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_now("not the password of anyone").expect("argon2 hashes a constant"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_are_argon2id() {
        let password = Password::new("correct horse battery staple");
        let stored = hash(&password).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify(&password, Some(stored.clone())).await.unwrap());
        assert!(!verify(&Password::new("wrong horse"), Some(stored)).await.unwrap());
        assert!(!verify(&password, None).await.unwrap());
    }
}
