//! `pos-recs serve`: the till without a window, end to end. The real binary,
//! with no DISPLAY, driven by a POS over the local API; stopped with
//! SIGTERM, after which its history holds what it did.

#![cfg(unix)]

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pos_recs::demo::DemoOptions;
use serde_json::{Value, json};

const TOKEN: &str = "serve-test-token";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_headless_serves_the_pos_and_stops_on_sigterm_with_the_history_written() {
    let (_shop, mut config) = common::demo(DemoOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.sqlite3");
    config.history.path = Some(history.clone());
    config.integration = Some(pos_recs::config::IntegrationConfig {
        listen: "127.0.0.1:0".into(),
        token: Some(pos_recs::secret::ApiKey::new(TOKEN)),
    });
    let path = dir.path().join("config.toml");
    config.save(&path).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pos-recs"))
        .args(["serve", "--config", path.to_str().unwrap()])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("RUST_LOG")
        .env("XDG_DATA_HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The log says where it serves: the port was 0, so read it there.
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut log = Vec::new();
    let base = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("serve did not start: {log:?}"));
        log.push(line.clone());
        if let Some(at) = line.find("http://") {
            break line[at..].trim().to_string();
        }
    };
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let send = |request: reqwest::RequestBuilder| async move {
        let response = request.bearer_auth(TOKEN).send().await.unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.json::<Value>().await.unwrap_or(Value::Null),
        )
    };
    let mut events = http
        .get(format!("{base}/events"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let (status, posted) = send(
        http.post(format!("{base}/customer"))
            .json(&json!({"phone": "067 123 4567"})),
    )
    .await;
    assert_eq!(status, 200, "{posted}");
    let (status, _) = send(
        http.put(format!("{base}/basket"))
            .json(&json!({"products": ["SKU-1001", "SKU-1004"]})),
    )
    .await;
    assert_eq!(status, 200);
    // The recommendations fill in as the sources answer.
    let deadline = Instant::now() + Duration::from_secs(20);
    let document = loop {
        let (status, document) = send(http.get(format!("{base}/recommendations"))).await;
        assert_eq!(status, 200, "{document}");
        let sources = document["sources"].as_array().cloned().unwrap_or_default();
        if !sources.is_empty() && sources.iter().all(|s| s["status"] != "pending") {
            break document;
        }
        assert!(Instant::now() < deadline, "never settled: {document}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(document["identifier"]["value"], "380*****4567");
    assert!(
        document["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["status"] == "ok" && !s["products"].as_array().unwrap().is_empty()),
        "{document}"
    );
    let (status, _) = send(http.delete(format!("{base}/customer"))).await;
    assert_eq!(status, 200);
    let chunk = tokio::time::timeout(Duration::from_secs(5), events.chunk())
        .await
        .expect("an event")
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&chunk).contains("customer_cleared"));

    // A last customer, and at once SIGTERM (the event stream still open):
    // a clean stop, the history written, this lookup too.
    let (status, _) = send(
        http.post(format!("{base}/customer"))
            .json(&json!({"phone": "050 111 2233"})),
    )
    .await;
    assert_eq!(status, 200);
    // SAFETY: kill only sends a signal to the child we started.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    log.extend(lines.try_iter());
    assert_eq!(status.code(), Some(0), "{log:#?}");
    // The first customer's answers were all in before DELETE; the last
    // customer's lookup is recorded, though SIGTERM may cancel its answers
    // in flight (counting those raced the stop).
    let stats = pos_recs::history::stats(&history, 1).unwrap();
    let answered: u64 = stats.iter().map(|s| s.lookups).min().unwrap_or(0);
    assert!(
        answered >= 1,
        "an answer is missing from the history: {stats:?}"
    );
    let db = rusqlite::Connection::open(&history).unwrap();
    let lookups: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM events WHERE kind = 'lookup'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        lookups, 2,
        "a lookup is missing from the history: {stats:?}"
    );
    drop(events);
    let log = log.join("\n");
    assert!(
        !log.contains("0671234567") && !log.contains("380671234567"),
        "a customer in the log:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_without_the_pos_link_exits_2_with_one_line() {
    let (_shop, config) = common::demo(DemoOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    config.save(&path).unwrap();
    let out = common::run_cli(&["serve", "--config", path.to_str().unwrap()], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("[integration] listen"), "{stderr}");
}
