//! The manager PIN: stored only as a salted Argon2 hash (PHC string) in the
//! config, so reading the file does not reveal it.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Shortest and longest new PIN. Six digits at least: the hash sits in a
/// file that a local user might read, and an offline search through four
/// digits takes minutes, bypassing the wrong-PIN waits.
const PIN_LEN: std::ops::RangeInclusive<usize> = 6..=12;

/// What [`hash`] takes: PINs set before the six-digit rule (four digits)
/// still verify, and tests may hash them.
const HASHABLE_LEN: std::ops::RangeInclusive<usize> = 4..=12;

/// Why a PIN cannot be set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// Not 6-12 digits.
    #[error("the PIN must be 6 to 12 digits")]
    Shape,
    /// The hashing library failed (e.g. no randomness for the salt).
    #[error("the PIN could not be stored: {0}")]
    Hash(String),
}

/// Checks a new PIN's shape: digits only, 6-12 of them.
pub fn check_shape(pin: &str) -> Result<(), PinError> {
    digits_within(pin, &PIN_LEN)
}

fn digits_within(pin: &str, lengths: &std::ops::RangeInclusive<usize>) -> Result<(), PinError> {
    if lengths.contains(&pin.len()) && pin.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(PinError::Shape)
    }
}

/// Hashes a PIN with a fresh random salt. New PINs pass [`check_shape`]
/// first; this takes 4 to 12 digits.
pub fn hash(pin: &str) -> Result<String, PinError> {
    digits_within(pin, &HASHABLE_LEN)?;
    argon2::Argon2::default()
        .hash_password(pin.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PinError::Hash(e.to_string()))
}

/// True when `pin` matches the stored hash. A malformed hash matches nothing.
pub fn verify(pin: &str, stored: &str) -> bool {
    argon2::Argon2::default()
        .verify_password(pin.as_bytes(), stored)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_right_pin_matches_and_nothing_else_does() {
        let stored = hash("2468").unwrap();
        assert!(stored.starts_with("$argon2"), "{stored}");
        assert!(!stored.contains("2468"));
        assert!(verify("2468", &stored));
        assert!(!verify("2469", &stored));
        assert!(!verify("", &stored));
        assert!(!verify("2468", "not a hash"));
    }

    #[test]
    fn same_pin_gets_a_different_salt_each_time() {
        assert_ne!(hash("1111").unwrap(), hash("1111").unwrap());
    }

    #[test]
    fn new_pins_need_6_to_12_digits() {
        assert_eq!(check_shape("2468"), Err(PinError::Shape));
        assert_eq!(check_shape("24680"), Err(PinError::Shape));
        assert_eq!(check_shape("246801"), Ok(()));
        assert_eq!(check_shape("246801246801"), Ok(()));
        assert_eq!(check_shape("2468012468013"), Err(PinError::Shape));
        assert_eq!(check_shape("24680a"), Err(PinError::Shape));
    }

    #[test]
    fn hashable_pins_are_4_to_12_digits() {
        assert_eq!(hash("12"), Err(PinError::Shape));
        assert_eq!(hash("12ab"), Err(PinError::Shape));
        assert_eq!(hash("1234567890123"), Err(PinError::Shape));
    }
}
