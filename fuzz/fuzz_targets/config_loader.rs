//! Any text as a config file: a config or a one-line error, never a panic;
//! an accepted config survives a save/load round trip.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use pos_recs::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Config::parse(text, Path::new("fuzz.toml")) {
        Ok(config) => {
            let saved = config.to_toml().expect("an accepted config serialises");
            let back = Config::parse(&saved, Path::new("fuzz.toml")).expect("a saved config loads");
            assert_eq!(back.sources, config.sources);
        }
        Err(e) => assert!(!e.to_string().contains('\n'), "multi-line error: {e}"),
    }
});
