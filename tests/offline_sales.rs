//! Nothing lost, nothing doubled: the real `pos-recs serve`, offline (its
//! gateway not running), takes sales from a POS, and is killed with
//! SIGKILL at once. Started again with the gateway (the real nginx) up, it
//! sends the day's report once, with every sale once; a sale the POS sends
//! again after the restart gets the first answer; a third start sends
//! nothing new. Counted in nginx's access log and in the stored report.
//!
//! Needs nginx (`.ci/run` installs it); skipped with a loud note elsewhere.

#![cfg(unix)]

use crate::common;
use crate::common::nginx;

use std::path::Path;

use common::serve::Serve;
use nginx::{GatewayOptions, have_nginx, start_gateway, till_token};
use pos_recs::secret::ApiKey;
use serde_json::{Value, json};

const POS_TOKEN: &str = "offline-sales-pos-token";
const STORE: &str = "store-7";

fn write_config(path: &Path, history: &Path, gateway_base: &str, till_token: &str) {
    let mut config = pos_recs::config::Config::default();
    config.yespo.base_url = gateway_base.to_string();
    config.yespo.auth = pos_recs::config::AuthMode::Gateway;
    config.yespo.api_key = None;
    config.yespo.till_token = Some(ApiKey::new(till_token));
    config.yespo.timeout_ms = 500;
    config.history.path = Some(history.to_path_buf());
    config.integration = Some(pos_recs::config::IntegrationConfig {
        listen: "127.0.0.1:0".into(),
        token: Some(ApiKey::new(POS_TOKEN)),
    });
    let origin = url::Url::parse(gateway_base).unwrap();
    config.fleet = Some(pos_recs::config::FleetConfig {
        config_url: format!(
            "http://127.0.0.1:{}/stores/{{store}}.toml",
            origin.port().unwrap()
        ),
        store: STORE.into(),
        poll_seconds: 300,
        till: Some("till-0".into()),
        report_url: None,
    });
    assert!(config.problems().is_empty(), "{:?}", config.problems());
    config.save(path).unwrap();
}

/// PUTs of reports the gateway's access log shows.
fn report_puts(gateway: &nginx::Nginx) -> usize {
    gateway
        .logs()
        .iter()
        .filter(|(path, _)| path.ends_with("access.log"))
        .map(|(_, text)| {
            text.lines()
                .filter(|l| l.contains("PUT /reports/") && l.contains(STORE))
                .count()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sales_taken_offline_survive_a_kill_and_reach_the_chain_once() {
    if !have_nginx() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let history = home.path().join("history.sqlite3");
    let config = home.path().join("config.toml");
    let token = till_token("offline-sales-0");

    // Offline: nothing listens where the gateway should be.
    let dead = format!("http://127.0.0.1:{}/api", common::free_port());
    write_config(&config, &history, &dead, &token);
    let serve = Serve::start(&config, home.path(), POS_TOKEN);
    let totals = [120.0, 75.5, 310.0];
    for (n, total) in totals.iter().enumerate() {
        let answer = serve
            .sell(&format!("067 123 45{n:02}"), &format!("R-{n}"), *total)
            .await;
        assert_eq!(answer["repeated"], false, "{answer}");
    }
    // The POS's request timed out, it sends the last sale again: the same answer.
    let again = serve.sale("R-2", 310.0).await;
    assert_eq!(again["repeated"], true, "{again}");
    // Killed at once, no chance to flush anything.
    serve.kill(libc::SIGKILL);

    // Started again; the gateway is up now.
    let gateway = start_gateway(&GatewayOptions {
        stores: &[STORE],
        ..GatewayOptions::new("127.0.0.1:9", std::slice::from_ref(&token))
    });
    write_config(&config, &history, &gateway.base(), &token);
    let mut serve = Serve::start(&config, home.path(), POS_TOKEN);
    // The POS had not heard the answer to R-1 before the kill: sent again, not counted again.
    let (status, answer) = serve
        .send(
            reqwest::Method::POST,
            "/sale",
            Some(json!({
                "lines": [{"product": "SKU-1001", "quantity": 1, "price": 75.5}],
                "total": 75.5,
                "sale_id": "R-1",
            })),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["repeated"], true, "{answer}");
    serve.wait_for_line("report for");
    let reports: Vec<_> = walk(&gateway.reports());
    assert_eq!(reports.len(), 1, "{reports:?}");
    let report: Value = serde_json::from_slice(&std::fs::read(&reports[0]).unwrap()).unwrap();
    assert_eq!(report["sales"], totals.len(), "{report}");
    assert_eq!(report["lookups"], totals.len(), "{report}");
    assert_eq!(report_puts(&gateway), 1);
    serve.kill(libc::SIGTERM);

    // A third start: the chain has these figures, nothing is sent again.
    let mut serve = Serve::start(&config, home.path(), POS_TOKEN);
    serve.wait_for_line("not sent again");
    assert_eq!(report_puts(&gateway), 1, "a report was sent twice");
    // A sale voided: the day goes to the chain again without it.
    let (status, answer) = serve
        .send(
            reqwest::Method::POST,
            "/void",
            Some(json!({"sale_id": "R-0"})),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while report_puts(&gateway) < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the day was not sent again"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    serve.kill(libc::SIGTERM);
    let report: Value = serde_json::from_slice(&std::fs::read(&reports[0]).unwrap()).unwrap();
    assert_eq!(report["sales"], totals.len() - 1, "{report}");
    let db = rusqlite::Connection::open(&history).unwrap();
    let sales: i64 = db
        .query_row("SELECT COUNT(*) FROM sales", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sales as usize, totals.len() - 1, "the voided sale is out");
    // The history keeps no receipt number, only its keyed digest.
    let digests: Vec<String> = db
        .prepare("SELECT digest FROM receipts")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(digests.len(), totals.len());
    assert!(digests.iter().all(|d| !d.contains("R-")));
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
