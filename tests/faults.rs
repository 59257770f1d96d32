//! Network faults below HTTP, from hand-written loopback servers: resets
//! mid-body, TLS to a plain server, slow drip, endless bodies, 429 storms,
//! unknown hosts. Each must end as a clear error for that source only.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{customer, demo, only_sources};
use pos_recs::config::Config;
use pos_recs::demo::DemoOptions;
use pos_recs::lookup::LookupEngine;
use pos_recs::yespo::SourceError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A raw TCP server answering every connection with `respond`; counts connections.
async fn raw_server<F, Fut>(respond: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let respond = Arc::new(respond);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let respond = respond.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                respond(stream).await;
            });
        }
    });
    (format!("http://{addr}/api"), hits)
}

async fn config_for(base_url: &str, timeout_ms: u64) -> (pos_recs::demo::DemoServer, Config) {
    let (server, mut config) = demo(DemoOptions::default()).await;
    config.yespo.base_url = base_url.to_string();
    config.yespo.timeout_ms = timeout_ms;
    only_sources(&mut config, &[1244]);
    (server, config)
}

async fn ask(config: &Config) -> (Result<Vec<pos_recs::yespo::Product>, SourceError>, Duration) {
    let started = Instant::now();
    let mut results = LookupEngine::new(config).unwrap().run(&customer()).await;
    (results.remove(0).outcome, started.elapsed())
}

#[tokio::test]
async fn a_connection_reset_mid_body_is_a_network_error() {
    let (url, _) = raw_server(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n[{\"id\":\"1\",")
            .await;
        // Dropping the stream here cuts the body short.
    })
    .await;
    let (_demo, config) = config_for(&url, 2000).await;
    let (outcome, _) = ask(&config).await;
    let err = outcome.unwrap_err();
    assert!(matches!(err, SourceError::Network(_)), "{err}");
    assert!(err.is_offline());
}

#[tokio::test]
async fn tls_to_a_plain_http_server_is_a_clear_error() {
    let (url, _) = raw_server(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
            .await;
    })
    .await;
    let (_demo, config) =
        config_for(&url.replace("http://127.0.0.1", "https://localhost"), 8000).await;
    let (outcome, elapsed) = ask(&config).await;
    let err = outcome.unwrap_err();
    assert!(matches!(err, SourceError::Network(_)), "{err}");
    assert!(
        elapsed < Duration::from_millis(4000),
        "failed fast, not by timeout: {elapsed:?}"
    );
}

#[tokio::test]
async fn a_slow_drip_body_hits_the_timeout() {
    let (url, _) = raw_server(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n[")
            .await;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if s.write_all(b" ").await.is_err() {
                return;
            }
        }
    })
    .await;
    let (_demo, config) = config_for(&url, 800).await;
    let (outcome, elapsed) = ask(&config).await;
    assert_eq!(outcome.unwrap_err(), SourceError::Timeout(800));
    // The drip would last 10 s; a loaded CI machine may be slow to wake the timer.
    assert!(elapsed < Duration::from_millis(5000), "{elapsed:?}");
}

#[tokio::test]
async fn an_endless_body_without_length_is_cut_at_the_cap() {
    let (url, _) = raw_server(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n[")
            .await;
        let chunk = vec![b' '; 64 * 1024];
        for _ in 0..1000 {
            if s.write_all(&chunk).await.is_err() {
                return;
            }
        }
    })
    .await;
    let (_demo, mut config) = config_for(&url, 4000).await;
    config.yespo.max_response_bytes = 1024 * 1024;
    let (outcome, _) = ask(&config).await;
    assert_eq!(outcome.unwrap_err(), SourceError::TooLarge(1024 * 1024));
}

#[tokio::test]
async fn a_429_storm_gets_exactly_one_retry_after_the_requested_wait() {
    let (url, hits) = raw_server(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await;
    })
    .await;
    let (_demo, config) = config_for(&url, 4000).await;
    let (outcome, elapsed) = ask(&config).await;
    assert_eq!(outcome.unwrap_err(), SourceError::RateLimited);
    assert_eq!(hits.load(Ordering::SeqCst), 2, "one request, one retry");
    assert!(
        elapsed >= Duration::from_secs(1),
        "Retry-After honoured: {elapsed:?}"
    );
}

#[tokio::test]
async fn a_retry_after_longer_than_the_time_left_is_not_waited_for() {
    let (url, hits) = raw_server(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 30\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await;
    })
    .await;
    // Waiting would take the whole 10 s; answering at once takes
    // milliseconds, and under a loaded CI machine still far less than 5 s.
    let (_demo, config) = config_for(&url, 10_000).await;
    let (outcome, elapsed) = ask(&config).await;
    assert_eq!(outcome.unwrap_err(), SourceError::RateLimited);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[tokio::test]
async fn an_unknown_host_is_an_offline_error() {
    let (_demo, config) = config_for("https://pos-recs-test.invalid/api", 1500).await;
    let (outcome, elapsed) = ask(&config).await;
    let err = outcome.unwrap_err();
    assert!(err.is_offline(), "{err}");
    assert!(elapsed <= Duration::from_millis(1700));
}
