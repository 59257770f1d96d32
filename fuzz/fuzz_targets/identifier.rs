//! Any text typed or scanned at the till: identified or refused, never a
//! panic; phones are digits within E.164 length; the masked form shows no
//! more than it may (phone: country code + last 4; card: last 4; email:
//! first letter + domain).
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
            let masked = id.masked();
            let shown = masked.chars().filter(|c| *c != '*').count();
            let allowed = match id.kind() {
                IdentifierKind::Phone => 7,
                IdentifierKind::Card => 4,
                IdentifierKind::Email => {
                    2 + id
                        .value()
                        .split_once('@')
                        .map_or(0, |(_, d)| d.chars().count())
                }
            };
            assert!(shown <= allowed, "{:?} shows {shown} characters", id.kind());
        }
    }
});
