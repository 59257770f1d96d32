//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::time::Duration;

use pos_recs::config::{Config, SourceConfig};
use pos_recs::demo::{DemoOptions, DemoServer};
use pos_recs::identify::{Identifier, identify};

/// A demo server with these knobs and the config pointing at it.
pub async fn demo(options: DemoOptions) -> (DemoServer, Config) {
    let server = DemoServer::start(options)
        .await
        .expect("demo server starts");
    let config = server.config();
    (server, config)
}

/// Keeps only the given sources, in the given order.
pub fn only_sources(config: &mut Config, ids: &[u64]) {
    let all = std::mem::take(&mut config.sources);
    config.sources = ids
        .iter()
        .map(|id| {
            all.iter()
                .find(|s| s.id == *id)
                .cloned()
                .unwrap_or(SourceConfig {
                    id: *id,
                    ..SourceConfig::default()
                })
        })
        .collect();
}

/// A known demo customer.
pub fn customer() -> Identifier {
    identify("+38 (067) 123-45-67", None, "380").expect("valid phone")
}

/// Milliseconds, for readable knobs.
pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}
