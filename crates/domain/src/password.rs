//! Password hashing for staff and clients (ORG-04): argon2id with the crate's recommended
//! parameters and a random salt per password. Pure computation, no storage.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

/// The PHC string (`$argon2id$v=19$…`) for a password.
pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with default parameters does not fail")
        .to_string()
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
    DUMMY.get_or_init(|| hash("dummy password for timing equalisation"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_round_trip() {
        let h = hash("correct-horse-7");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct-horse-7", &h));
        assert!(!verify("wrong", &h));
        assert!(!verify("x", "not a hash"));
        assert_ne!(hash("same"), hash("same"), "salted");
    }
}
