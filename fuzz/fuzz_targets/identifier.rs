//! Any text typed or scanned at the till: identified or refused, never a
//! panic; phones are digits within E.164 length; the masked form never
//! equals the raw value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pos_recs::identify::{IdentifierKind, identify};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for forced in [
        None,
        Some(IdentifierKind::Card),
        Some(IdentifierKind::Phone),
        Some(IdentifierKind::Email),
    ] {
        if let Ok(id) = identify(text, forced, "380") {
            if id.kind() == IdentifierKind::Phone {
                assert!(id.value().chars().all(|c| c.is_ascii_digit()));
                assert!((8..=15).contains(&id.value().len()));
            }
            assert_ne!(id.masked(), id.value());
        }
    }
});
