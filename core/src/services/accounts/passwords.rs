//! Password hashing with argon2id (OWASP parameters), off the async threads, capped.

use crate::error::CoreError;
use crate::validate::Password;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use std::sync::OnceLock;
use tokio::sync::Semaphore;

fn argon2() -> Argon2<'static> {
    // m = 19456 KiB, t = 2, p = 1: OWASP's recommendation for argon2id.
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(19_456, 2, 1, None).expect("valid params"))
}

fn hash_blocking(password: &str) -> Result<String, CoreError> {
    let mut salt = [0u8; 16];
    crate::crypto::os_rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| CoreError::Internal(e.to_string()))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CoreError::Internal(e.to_string()))
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// Hashes and verifies passwords on the blocking pool, at most `n` at a time.
pub struct PasswordHasher {
    permits: Semaphore,
}

impl PasswordHasher {
    /// A hasher allowing `concurrency` hashes at once.
    pub fn new(concurrency: usize) -> Self {
        Self { permits: Semaphore::new(concurrency.max(1)) }
    }

    /// Hashes a new password.
    pub async fn hash(&self, password: &Password) -> Result<String, CoreError> {
        let _permit = self.permits.acquire().await.map_err(|e| CoreError::Internal(e.to_string()))?;
        let pw = password.expose().to_owned();
        tokio::task::spawn_blocking(move || hash_blocking(&pw))
            .await
            .map_err(|e| CoreError::Internal(e.to_string()))?
    }

    /// Verifies a password against a stored hash. With no hash (unknown user), verifies
    /// against a dummy so the answer takes as long as for a real account.
    pub async fn verify(&self, password: &Password, hash: Option<String>) -> Result<bool, CoreError> {
        let _permit = self.permits.acquire().await.map_err(|e| CoreError::Internal(e.to_string()))?;
        let pw = password.expose().to_owned();
        // An account without a password (managed by the provider's site) is checked against
        // the dummy too: it never matches, and takes as long as any other.
        let hash = hash.filter(|h| h.starts_with("$argon2"));
        let known = hash.is_some();
        tokio::task::spawn_blocking(move || {
            let h = hash.unwrap_or_else(|| dummy_hash().to_owned());
            verify_blocking(&pw, &h) && known
        })
        .await
        .map_err(|e| CoreError::Internal(e.to_string()))
    }
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_blocking("keyport-dummy-password-for-timing").expect("hashing works"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let h = PasswordHasher::new(2);
        let pw = Password::parse("correct horse battery").unwrap();
        let hash = h.hash(&pw).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(h.verify(&pw, Some(hash.clone())).await.unwrap());
        let wrong = Password::for_login("wrong horse battery").unwrap();
        assert!(!h.verify(&wrong, Some(hash)).await.unwrap());
        assert!(!h.verify(&pw, None).await.unwrap());
    }
}
