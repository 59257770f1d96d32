//! The `pos-recs lookup` / `check` contract, run as a user runs it: the
//! real binary, a config file, a loopback server.

use crate::common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::{demo, ms, only_sources};
use pos_recs::config::Config;
use pos_recs::demo::{DemoOptions, DemoServer, Fault};

use common::run_cli as run;

fn write_config(dir: &Path, config: &Config) -> PathBuf {
    let path = dir.join("config.toml");
    config.save(&path).unwrap();
    path
}

async fn server_with(options: DemoOptions, ids: &[u64]) -> (DemoServer, tempfile::TempDir, String) {
    let (server, mut config) = demo(options).await;
    only_sources(&mut config, ids);
    config.yespo.timeout_ms = 1500;
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &config)
        .to_string_lossy()
        .into_owned();
    (server, dir, path)
}

use common::{json, stderr};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_follows_the_contract() {
    let options = DemoOptions {
        faults: HashMap::from([(1245, Fault::Status(500)), (1246, Fault::Hang)]),
        ..Default::default()
    };
    let (_server, _dir, config) = server_with(options, &[1244, 1245, 1246]).await;
    let out = common::lookup(&config, &["--phone", "+38 (067) 123-45-67", "--json"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(
        doc["identifier"],
        serde_json::json!({"kind": "phone", "value": "380671234567"})
    );
    let sources = doc["sources"].as_array().unwrap();
    let ids: Vec<u64> = sources.iter().map(|s| s["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [1244, 1245, 1246]);
    assert_eq!(sources[0]["status"], "ok");
    assert!(sources[0].get("error").is_none());
    assert_eq!(sources[1]["status"], "error");
    assert_eq!(sources[1]["error"], "HTTP 500 from data source 1245");
    assert_eq!(sources[1]["products"], serde_json::json!([]));
    assert_eq!(sources[2]["status"], "timeout");
    assert_eq!(sources[2]["error"], "no answer within 1500 ms");
    assert!(sources[2]["elapsed_ms"].as_u64().unwrap() >= 1500);
    let p = &sources[0]["products"][0];
    for key in [
        "id",
        "name",
        "url",
        "price",
        "old_price",
        "in_stock",
        "brand",
        "category",
        "descr",
        "image_url",
        "tags",
    ] {
        assert!(p.get(key).is_some(), "product lacks {key}: {p}");
    }
    assert!(
        p["tags"]
            .as_object()
            .unwrap()
            .keys()
            .all(|k| !k.starts_with("tags_"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_3_when_no_source_answers() {
    let options = DemoOptions {
        faults: HashMap::from([(1244, Fault::Status(502)), (1245, Fault::Html)]),
        ..Default::default()
    };
    let (_server, _dir, config) = server_with(options, &[1244, 1245]).await;
    let out = common::lookup(&config, &["--card", "2000123456789", "--json"], &[]).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["identifier"]["kind"], "card");
    assert!(
        doc["sources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "error")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_and_bad_config_exit_2_with_one_line() {
    let (_server, dir, config) = server_with(DemoOptions::default(), &[1244]).await;
    let out = common::lookup(&config, &["--phone", "call me maybe"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).trim().lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("phone"));

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[yespo]\nbase_url = \"https://yespo.io/api\"\nsecret_mode = true\n",
    )
    .unwrap();
    let out = common::lookup(bad.to_str().unwrap(), &["--email", "a@b.co"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("secret_mode") && err.contains("line 3"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"));

    let out = common::lookup("/nonexistent/pos-recs.toml", &["--email", "a@b.co"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/pos-recs.toml"));

    let out = common::lookup(&config, &[], &[]).await;
    assert_eq!(out.status.code(), Some(2), "no identifier is a usage error");

    let remote_http = dir.path().join("http.toml");
    std::fs::write(
        &remote_http,
        "[yespo]\nbase_url = \"http://example.com/api\"\n[[sources]]\nid = 1\n",
    )
    .unwrap();
    let out = common::lookup(remote_http.to_str().unwrap(), &["--email", "a@b.co"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("https"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skipped_items_are_warned_about_on_stderr() {
    // An in-test server with an untidy feed.
    let yespo = common::yespo::StandIn::items(serde_json::json!([
        {"id": "A", "name": "Kept", "price": "10.5", "isInStock": "1", "category": "Hats"},
        {"name": "no id"},
        {"id": "B"}
    ]))
    .start()
    .await;
    let addr = yespo.addr;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        format!("[yespo]\nbase_url = \"http://{addr}/api\"\napi_key = \"k\"\n[[sources]]\nid = 5\ntitle = \"T\"\n"),
    )
    .unwrap();
    let out = common::lookup(
        path.to_str().unwrap(),
        &["--email", "a@b.co", "--json"],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(0));
    let doc = json(&out);
    let products = doc["sources"][0]["products"].as_array().unwrap();
    assert_eq!(products.len(), 1);
    assert_eq!(products[0]["price"], 10.5);
    assert_eq!(products[0]["in_stock"], true);
    assert_eq!(products[0]["category"], serde_json::json!(["Hats"]));
    let err = stderr(&out);
    assert!(err.contains("no id") && err.contains("no name"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_mask_personal_data_and_never_show_the_key() {
    let key = "topsecret-key-0123456789";
    let options = DemoOptions {
        required_key: Some(key.into()),
        faults: HashMap::from([(1245, Fault::Status(500))]),
        ..Default::default()
    };
    let (_server, _dir, config) = server_with(options, &[1244, 1245]).await;
    let out = common::lookup(
        &config,
        &["--phone", "0671234567"],
        &[("RUST_LOG", "trace"), ("POS_RECS_API_KEY", key)],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("380*****4567"),
        "logs should name the customer masked:\n{err}"
    );
    for secret in ["380671234567", "0671234567", key] {
        assert!(!err.contains(secret), "{secret} leaked into logs:\n{err}");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains(key));
    assert!(
        !stdout.contains("380671234567"),
        "text output shows the customer masked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_api_key_wins_over_the_file() {
    let options = DemoOptions {
        required_key: Some("right-key-000000".into()),
        ..Default::default()
    };
    let (server, mut config) = demo(options).await;
    only_sources(&mut config, &[1245]);
    config.yespo.api_key = Some(pos_recs::secret::ApiKey::new("wrong-key-000000"));
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &config);
    let path = path.to_str().unwrap();
    let out = common::lookup(path, &["--email", "a@b.co", "--json"], &[]).await;
    assert_eq!(out.status.code(), Some(3));
    let out = common::lookup(
        path,
        &["--email", "a@b.co", "--json"],
        &[("POS_RECS_API_KEY", "right-key-000000")],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_config_the_demo_is_used_and_announced() {
    let out = run(&["lookup", "--email", "olena@example.com", "--json"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("demo"), "{}", stderr(&out));
    assert!(json(&out)["sources"].as_array().unwrap().len() >= 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_prints_a_row_per_source() {
    let options = DemoOptions {
        faults: HashMap::from([(1245, Fault::Status(404))]),
        source_latency: HashMap::from([(1244, ms(50))]),
        ..Default::default()
    };
    let (_server, _dir, config) = server_with(options, &[1244, 1245]).await;
    let out = run(&["check", "--config", &config], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    let row = |id: &str| {
        table
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_default()
            .to_string()
    };
    assert!(row("1244").contains("OK"), "{table}");
    assert!(row("1245").contains("not found"), "{table}");
}

/// An IT admin who turns kiosk mode on but forgets the PIN is told by
/// `check` before the till is locked in front of a cashier.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_warns_about_a_kiosk_without_a_pin() {
    let (_server, mut config) = demo(DemoOptions::default()).await;
    only_sources(&mut config, &[1244]);
    let dir = tempfile::tempdir().unwrap();
    let warnings = |config: &pos_recs::config::Config| {
        let path = write_config(dir.path(), config);
        let path = path.to_str().unwrap().to_string();
        async move {
            let out = run(&["check", "--config", &path], &[]).await;
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            String::from_utf8_lossy(&out.stdout).to_string()
        }
    };
    config.manager.pin_hash = None;
    let out = warnings(&config).await;
    assert!(out.contains("no manager PIN"), "{out}");
    assert!(!out.contains("kiosk"), "{out}");
    config.display.kiosk = true;
    let out = warnings(&config).await;
    assert!(out.contains("kiosk mode without a manager PIN"), "{out}");
    config.manager.pin_hash = Some(pos_recs::pin::hash("2468").unwrap());
    let out = warnings(&config).await;
    assert!(!out.contains("PIN"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_mode_works_from_the_cli_too() {
    let (server, mut config) = demo(DemoOptions::default()).await;
    only_sources(&mut config, &[1244, 1245, 1246]);
    config.yespo.auth = pos_recs::config::AuthMode::ContactToken;
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &config);
    let out = common::lookup(
        path.to_str().unwrap(),
        &["--phone", "0671234567", "--json"],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert!(
        doc["sources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "ok"),
        "{doc}"
    );
    let stats = server.stats();
    assert_eq!(
        stats
            .tokens_rejected
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    // An unknown customer: "customer not found", not a storm of 401s.
    let out = common::lookup(
        path.to_str().unwrap(),
        &["--phone", "0670000000", "--json"],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(3));
    let doc = json(&out);
    assert!(
        doc["sources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["error"] == "customer not found"),
        "{doc}"
    );
}

/// A config that every local user can read, holding a secret, is a problem
/// `check` fails on; group-readable (the package's 0640 and group) is not.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_fails_on_a_secret_every_user_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let (_server, mut config) = demo(DemoOptions::default()).await;
    only_sources(&mut config, &[1244]);
    config.manager.pin_hash = Some(pos_recs::pin::hash("246813").unwrap());
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &config);
    let arg = path.to_str().unwrap().to_string();
    let check = |mode: u32| {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let arg = arg.clone();
        async move { run(&["check", "--config", &arg], &[]).await }
    };
    let out = check(0o644).await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("problem:") && stdout.contains("pin_hash"),
        "{stdout}"
    );
    let out = check(0o640).await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", stderr(&out));
    assert!(!stdout.contains("problem"), "{stdout}");
}
