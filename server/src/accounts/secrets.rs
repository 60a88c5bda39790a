//! Random tokens and their digests. Every token we hand out (sessions,
//! email links, refresh tokens, API keys) is 256 random bits; only its
//! SHA-256 digest is stored, so a copy of the database opens nothing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::config::Secret;

/// A URL-safe random token with `prefix` (like `sk_`), 256 bits of entropy.
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database stores instead of a token.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The server's signing key, from `SECRET_KEY` or generated once into the
/// data directory in development.
#[derive(Clone)]
pub struct ServerKey(Secret);

impl ServerKey {
    pub fn new(secret: Secret) -> Self {
        ServerKey(secret)
    }

    /// Reads `path`, or creates it with a new random key (mode 0600).
    pub fn load_or_create(path: &std::path::Path) -> std::io::Result<Self> {
        if let Ok(existing) = std::fs::read_to_string(path) {
            if existing.trim().len() >= 32 {
                return Ok(ServerKey(Secret::new(existing.trim())));
            }
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let key = random_token("");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        std::io::Write::write_all(&mut options.open(path)?, key.as_bytes())?;
        Ok(ServerKey(Secret::new(key)))
    }

    pub fn bytes(&self) -> &[u8] {
        self.0.expose().as_bytes()
    }

    /// A keyed digest of `message` under a `purpose` label, so one key can
    /// serve several uses without one's outputs being valid for another.
    pub fn sign(&self, purpose: &str, message: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.bytes()).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(message.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

/// Compares secrets without leaking where they differ through timing.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_digests_stable() {
        let (a, b) = (random_token("sk_"), random_token("sk_"));
        assert_ne!(a, b);
        assert!(a.starts_with("sk_") && a.len() == 46);
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), digest(&b));
    }

    #[test]
    fn signatures_depend_on_purpose_and_key() {
        let key = ServerKey::new(Secret::new("k".repeat(32)));
        let other = ServerKey::new(Secret::new("j".repeat(32)));
        assert_eq!(key.sign("csrf", "abc"), key.sign("csrf", "abc"));
        assert_ne!(key.sign("csrf", "abc"), key.sign("other", "abc"));
        assert_ne!(key.sign("csrf", "abc"), other.sign("csrf", "abc"));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }

    #[test]
    fn a_generated_key_is_kept_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let first = ServerKey::load_or_create(&path).unwrap();
        let second = ServerKey::load_or_create(&path).unwrap();
        assert_eq!(first.bytes(), second.bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
