//! The till's side of a chain's gateway (`auth = "gateway"`): only the till
//! token goes out, a refused token reads as "not registered", and a missing
//! token is a configuration error. The gateway here is a loopback stand-in
//! that records what reaches it.

use crate::common;

use axum::http::StatusCode;
use common::run_cli;
use common::yespo::{Reply, StandIn, Yespo};

/// A stand-in gateway: accepts `Bearer good-till`, records every request.
async fn gateway() -> Yespo {
    StandIn::answering(|asked| {
        if asked.header("authorization") == "Bearer good-till" {
            Reply::items(serde_json::json!([{"id": "A", "name": "Cap"}]))
        } else {
            Reply::Status(StatusCode::UNAUTHORIZED)
        }
    })
    .start()
    .await
}

fn config(dir: &std::path::Path, base: &str, token: Option<&str>) -> String {
    let path = dir.join("config.toml");
    let token = token
        .map(|t| format!("till_token = \"{t}\"\n"))
        .unwrap_or_default();
    std::fs::write(
        &path,
        format!("[yespo]\nbase_url = \"{base}\"\nauth = \"gateway\"\n{token}[[sources]]\nid = 1\n"),
    )
    .unwrap();
    path.to_string_lossy().into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_till_token_goes_to_the_gateway() {
    let gateway = gateway().await;
    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path(), &gateway.base(), Some("good-till"));
    let out = common::lookup(&path, &["--phone", "0671234567", "--json"], &[]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let asked = gateway.asked();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0].header("authorization"), "Bearer good-till");
    let check = run_cli(&["check", "--config", &path], &[]).await;
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(text.contains("via gateway"), "{text}");
    assert!(!text.contains("good-till"), "the token is a secret: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_till_reads_not_registered_and_the_environment_token_wins() {
    let gateway = gateway().await;
    let base = gateway.base();
    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path(), &base, Some("revoked-till"));
    let out = common::lookup(&path, &["--phone", "0671234567", "--json"], &[]).await;
    assert_eq!(out.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["sources"][0]["error"],
        "this till is not registered with the gateway (HTTP 401)"
    );
    let out = common::lookup(
        &path,
        &["--phone", "0671234567"],
        &[("POS_RECS_TILL_TOKEN", "good-till")],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "POS_RECS_TILL_TOKEN wins");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_till_without_a_token_or_with_a_key_is_misconfigured() {
    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path(), "http://127.0.0.1:9/api", None);
    let out = run_cli(&["check", "--config", &path], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("till_token") && err.trim().lines().count() == 1,
        "{err}"
    );
    let with_key = dir.path().join("key.toml");
    std::fs::write(
        &with_key,
        "[yespo]\nauth = \"gateway\"\ntill_token = \"t\"\napi_key = \"master\"\n[[sources]]\nid = 1\n",
    )
    .unwrap();
    let out = run_cli(&["check", "--config", with_key.to_str().unwrap()], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("api_key"));
    // The token flow through the gateway is held to the same rules.
    let v1 = dir.path().join("v1.toml");
    std::fs::write(
        &v1,
        "[yespo]\nauth = \"gateway_token\"\n[[sources]]\nid = 1\n",
    )
    .unwrap();
    let out = run_cli(&["check", "--config", v1.to_str().unwrap()], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("till_token"));
}
