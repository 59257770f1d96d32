//! Log set-up: `RUST_LOG` decides verbosity, but HTTP libraries never log
//! below `warn`, because their debug lines contain request URLs, and our
//! URLs carry the customer's phone or email in the query.

use tracing_subscriber::EnvFilter;

/// Targets whose debug/trace output includes full request URLs.
const URL_LOGGING_TARGETS: [&str; 4] = ["reqwest", "hyper", "hyper_util", "h2"];

/// Builds the filter: `RUST_LOG` (or `default`), with URL-logging targets capped at `warn`.
pub fn filter(default: &str) -> EnvFilter {
    let user = std::env::var("RUST_LOG").unwrap_or_else(|_| default.to_string());
    // User directives naming those targets are dropped, then ours are added.
    let kept: Vec<&str> = user
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .filter(|d| !URL_LOGGING_TARGETS.iter().any(|t| d.starts_with(t)))
        .collect();
    let caps = URL_LOGGING_TARGETS.map(|t| format!("{t}=warn"));
    let spec = kept
        .into_iter()
        .map(str::to_string)
        .chain(caps)
        .collect::<Vec<_>>()
        .join(",");
    EnvFilter::try_new(&spec).unwrap_or_else(|_| EnvFilter::new(default))
}

/// Installs a stderr logger. Safe to call once per process. Colours only
/// on a terminal: a log file or the journal gets plain text.
pub fn init(default: &str) {
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter(default))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}
