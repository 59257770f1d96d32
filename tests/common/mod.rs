//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::time::Duration;

use pos_recs::config::{Config, SourceConfig};
use pos_recs::demo::{DemoOptions, DemoServer};
use pos_recs::identify::{Identifier, identify};

/// A loopback port nobody listens on right now: a dead server for a test,
/// or a port for a server the test starts itself.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Serves `router` (a test's own stand-in) on a free loopback port, on the
/// current Tokio runtime; returns its address.
pub async fn serve_router(router: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

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

/// The demo customer's example basket (a dress and a T-shirt): with it the
/// cross-sell and sold-out-alternative sources answer too.
pub fn basket() -> pos_recs::basket::Basket {
    pos_recs::basket::Basket::new(&["SKU-1001", "SKU-1004"], None).expect("valid basket")
}

/// Milliseconds, for readable knobs.
pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs the real binary off the async workers (so an in-process server keeps
/// serving), with no key, log filter or proxy from the developer's own
/// environment unless `env` sets them, and away from a real user's config.
pub async fn run_cli(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    run_cli_at(env!("CARGO_BIN_EXE_pos-recs"), args, env).await
}

/// Like [`run_cli`], for another copy of the binary (the installed package's).
pub async fn run_cli_at(binary: &str, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(binary);
    cmd.args(args);
    for var in [
        "POS_RECS_API_KEY",
        "POS_RECS_TILL_TOKEN",
        "RUST_LOG",
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
        "no_proxy",
        "NO_PROXY",
    ] {
        cmd.env_remove(var);
    }
    cmd.env(
        "XDG_CONFIG_HOME",
        std::env::temp_dir().join("pos-recs-tests-no-config"),
    );
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::task::spawn_blocking(move || cmd.output().expect("the binary runs"))
        .await
        .expect("the runner thread")
}

/// Polls the till until `done` holds; fails after 10 s.
pub async fn poll_until(
    till: &mut pos_recs::till::Till,
    what: &str,
    done: impl Fn(&pos_recs::till::Till) -> bool,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        till.poll();
        if done(till) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(ms(10)).await;
    }
}

/// `pos-recs lookup --config CONFIG ARGS…`: the CLI run most by the tests.
pub async fn lookup(config: &str, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut all = vec!["lookup", "--config", config];
    all.extend_from_slice(args);
    run_cli(&all, env).await
}

/// A run's stderr as text.
pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A run's stdout as JSON; fails the test with the text when it is not.
pub fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}
pub mod nginx;
pub mod proxy;
pub mod serve;
#[cfg(feature = "gui")]
pub mod window;
pub mod yespo;
