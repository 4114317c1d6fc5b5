//! Secrets: random tokens, their stored hashes, constant-time comparison.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A random token, hex-encoded (256 bits).
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares secrets in constant time.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A password's argon2id hash, computed off the async threads.
pub async fn hash_password(password: String) -> Result<String, crate::WebError> {
    tokio::task::spawn_blocking(move || abonent_domain::password::try_hash(&password))
        .await
        .map_err(|e| crate::WebError::Internal(e.into()))?
        .map_err(|e| crate::WebError::Internal(anyhow::anyhow!("password hashing: {e}")))
}
