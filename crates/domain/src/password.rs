//! Password hashing for staff and clients (ORG-04): argon2id with the crate's recommended
//! parameters and a random salt per password. Pure computation, no storage.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

/// Why a password could not be hashed (argon2 with its default parameters and a fresh salt does
/// not fail in practice; the error is kept rather than a panic).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// The PHC string (`$argon2id$v=19$…`) for a password.
pub fn try_hash(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches the stored PHC string; a malformed string never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the login is unknown, so that a wrong login and a wrong
/// password take the same time.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    // Were hashing ever to fail, an empty hash never matches (only the timing would differ).
    DUMMY.get_or_init(|| try_hash("dummy password for timing equalisation").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_round_trip() {
        let h = try_hash("correct-horse-7").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct-horse-7", &h));
        assert!(!verify("wrong", &h));
        assert!(!verify("x", "not a hash"));
        assert_ne!(
            try_hash("same").unwrap(),
            try_hash("same").unwrap(),
            "salted"
        );
    }
}
