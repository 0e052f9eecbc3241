//! Password hashes: Argon2id in PHC string form, so that the parameters travel with the hash
//! and can be raised later without invalidating stored ones.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// The shortest password Hemaflow accepts (NIST SP 800-63B asks for at least 8).
pub const MINIMUM_LENGTH: usize = 10;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("the password must be at least {MINIMUM_LENGTH} characters long")]
    TooShort,
    #[error("the password could not be hashed: {0}")]
    Hashing(String),
}

/// Hash a new password, refusing one that is too short.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MINIMUM_LENGTH {
        return Err(PasswordError::TooShort);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| PasswordError::Hashing(error.to_string()))
}

/// Whether `password` matches the stored PHC string. A malformed stored hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p11_sign_a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let stored = hash("correct horse battery").expect("long enough");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse batterY", &stored));
        assert!(!verify("correct horse battery", "not a phc string"));
    }

    #[test]
    fn a_short_password_is_refused() {
        assert_eq!(hash("short"), Err(PasswordError::TooShort));
    }
}
