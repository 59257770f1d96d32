//! The sale, end to end through the real `pos-recs serve` and a real HTTP
//! client, the way a POS drives it: a sale is recorded exactly once or
//! refused, never lost behind an "ok" and never counted twice; one
//! customer's basket never goes with the next. Counted in the real SQLite
//! file the till writes.

#![cfg(unix)]

use crate::common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::serve::{Serve, one_line_sale};
use pos_recs::demo::DemoOptions;
use reqwest::Method;
use serde_json::json;

const TOKEN: &str = "sale-path-pos-token";

/// The demo shop's config with the history at `history` and the POS link on.
async fn till_config(dir: &Path, history: &Path) -> (pos_recs::demo::DemoServer, PathBuf) {
    let (shop, mut config) = common::demo(DemoOptions::default()).await;
    config.history.path = Some(history.to_path_buf());
    config.integration = Some(pos_recs::config::IntegrationConfig {
        listen: "127.0.0.1:0".into(),
        token: Some(pos_recs::secret::ApiKey::new(TOKEN)),
    });
    let path = dir.join("config.toml");
    config.save(&path).unwrap();
    (shop, path)
}

fn count(history: &Path, sql: &str) -> i64 {
    let db = rusqlite::Connection::open(history).unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    db.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn sales(history: &Path) -> i64 {
    count(history, "SELECT COUNT(*) FROM sales")
}

/// Another program holds the history's write lock (the window and the
/// `serve` unit of one user share the file): while it holds it past the
/// wait, the sale is refused with 503 and Retry-After, the customer stays
/// on screen, and the retry records it once. Held briefly, the sale waits
/// for it instead of failing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_the_disk_did_not_take_is_refused_and_its_retry_recorded_once() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.sqlite3");
    let (_shop, config) = till_config(dir.path(), &history).await;
    let mut serve = Serve::start(&config, dir.path(), TOKEN);
    serve.sell("067 123 4500", "S-1", 100.0).await;
    assert_eq!(sales(&history), 1);

    // Held for longer than the till waits: refused, nothing recorded.
    serve.customer("067 123 4501").await;
    let lock = rusqlite::Connection::open(&history).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE; INSERT INTO events (at, kind) VALUES (0, 'lookup');")
        .unwrap();
    let (status, headers, answer) = serve
        .request(Method::POST, "/sale", Some(one_line_sale("S-2", 200.0)))
        .await;
    assert_eq!(status, 503, "{answer}");
    assert!(headers.contains_key("retry-after"), "{headers:?}");
    let error = answer["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("not recorded") || error.contains("nothing was recorded"),
        "{answer}"
    );
    // The customer is still on screen: the POS can send the sale again.
    let (status, _) = serve.send(Method::GET, "/recommendations", None).await;
    assert_eq!(status, 200, "the customer must stay on screen");
    lock.execute_batch("ROLLBACK").unwrap();
    drop(lock);

    let again = serve.sale("S-2", 200.0).await;
    assert_eq!(again["repeated"], false, "{again}");
    let once_more = serve.sale("S-2", 200.0).await;
    assert_eq!(once_more["repeated"], true, "{once_more}");
    assert_eq!(sales(&history), 2);

    // Held briefly (less than the busy timeout): the sale waits and is taken.
    serve.customer("067 123 4502").await;
    let lock = rusqlite::Connection::open(&history).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE; INSERT INTO events (at, kind) VALUES (0, 'lookup');")
        .unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        lock.execute_batch("COMMIT").unwrap();
    });
    let answer = serve.sale("S-3", 300.0).await;
    release.join().unwrap();
    assert_eq!(answer["repeated"], false, "{answer}");
    assert_eq!(sales(&history), 3);
    assert_eq!(count(&history, "SELECT COUNT(*) FROM receipts"), 3);
    // The log (a pipe, as under systemd or redirected to a file) is plain text.
    let log = serve.log_so_far();
    assert!(log.contains("a sale was not recorded"), "{log}");
    assert!(!log.contains('\u{1b}'), "colour codes in the log: {log:?}");
}

/// A full disk: a small tmpfs holds the history, filled to the last byte.
/// The sale is refused with 503 (never "ok" and then lost), and once space
/// is freed the POS's retry records it once: `stats` counts every sale.
/// Needs root for the mount (CI runs as root); says so loudly otherwise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_the_sale_and_the_retry_records_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("disk");
    std::fs::create_dir(&disk).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
        .arg(&disk)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("SKIPPED: mounting a small tmpfs needs root (CI runs as root)");
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(disk.clone());
    let history = disk.join("history.sqlite3");
    let (_shop, config) = till_config(dir.path(), &history).await;
    let mut serve = Serve::start(&config, dir.path(), TOKEN);
    for n in 0..2 {
        serve
            .sell(&format!("067 123 45{n:02}"), &format!("F-{n}"), 10.0)
            .await;
    }
    // Fill the disk.
    let filler = disk.join("filler");
    let _ = std::process::Command::new("dd")
        .args(["if=/dev/zero", "bs=64k"])
        .arg(format!("of={}", filler.display()))
        .stderr(std::process::Stdio::null())
        .status();
    serve.customer("067 123 4599").await;
    let (status, headers, answer) = serve
        .request(
            Method::POST,
            "/sale",
            Some(json!({
                "lines": [{"product": "SKU-1001", "quantity": 1, "price": 10.0,}],
                "total": 10.0, "sale_id": "F-2",
                "currency": "UAH"
            })),
        )
        .await;
    assert_eq!(status, 503, "{answer}");
    assert!(headers.contains_key("retry-after"));
    std::fs::remove_file(&filler).unwrap();
    let answer = serve
        .try_sale(&json!({
            "lines": [{"product": "SKU-1001", "quantity": 1, "price": 10.0,}],
            "total": 10.0, "sale_id": "F-2",
            "currency": "UAH"
        }))
        .await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert_eq!(answer.1["repeated"], false);
    let log = serve.log_so_far();
    serve.kill(libc::SIGTERM);
    assert_eq!(sales(&history), 3, "{log}");
    let stats = common::run_cli(
        &["stats", "--config", config.to_str().unwrap(), "--csv"],
        &[],
    )
    .await;
    assert!(stats.status.success(), "{}", common::stderr(&stats));
}

/// A `sale_id` means one sale: a POS whose receipt counter restarts sends
/// another customer's sale under an old id: refused with 409, nothing
/// recorded; the same body again is the first answer. Repeats are known
/// from the file, past any window in memory, and across a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_id_is_one_sale_recognised_from_disk_past_260_sales_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.sqlite3");
    let (_shop, config) = till_config(dir.path(), &history).await;
    let serve = Serve::start(&config, dir.path(), TOKEN);
    let first = serve.sell("067 123 4500", "S-0", 10.0).await;
    for n in 1..260 {
        serve.sell("067 123 4501", &format!("S-{n}"), 10.0).await;
    }
    assert_eq!(sales(&history), 260);
    // The same id, the same body: the first answer.
    let again = serve.sale("S-0", 10.0).await;
    assert_eq!(again["repeated"], true, "{again}");
    assert_eq!(again["lookup"], first["lookup"]);
    // The same id, another customer's 22,000 sale: refused, said so.
    serve.customer("050 999 8877").await;
    let (status, answer) = serve.try_sale(&one_line_sale("S-17", 22_000.0)).await;
    assert_eq!(status, 409, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("different sale"),
        "{answer}"
    );
    // The customer is still on screen; under its own id the sale is taken.
    let taken = serve.sale("S-17b", 22_000.0).await;
    assert_eq!(taken["repeated"], false);
    assert_eq!(sales(&history), 261);
    serve.kill(libc::SIGKILL);

    let serve = Serve::start(&config, dir.path(), TOKEN);
    let after_restart = serve.sale("S-0", 10.0).await;
    assert_eq!(after_restart["repeated"], true, "{after_restart}");
    assert_eq!(sales(&history), 261);
}

/// The sale's values are checked: another currency is refused with 422,
/// a sum past the bound without a total with 400; nothing is recorded and
/// the customer stays. A product on two lines counts once, alike for its
/// source and for all sources.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_in_another_currency_or_past_the_bound_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.sqlite3");
    let (_shop, config) = till_config(dir.path(), &history).await;
    let serve = Serve::start(&config, dir.path(), TOKEN);
    serve.customer("067 123 4567").await;
    for currency in ["USD", "ZZZ"] {
        let mut sale = one_line_sale("C-1", 100.0);
        sale["currency"] = json!(currency);
        let (status, answer) = serve.try_sale(&sale).await;
        assert_eq!(status, 422, "{answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(
            error.contains("UAH") && error.contains(currency),
            "{answer}"
        );
    }
    let (status, answer) = serve
        .try_sale(&json!({
            "lines": [{"product": "A", "quantity": 100000, "price": 1e9}],
        }))
        .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("total"),
        "{answer}"
    );
    assert_eq!(sales(&history), 0);
    let (status, _) = serve.send(Method::GET, "/recommendations", None).await;
    assert_eq!(status, 200, "the customer stays on screen");
    let mut sale = one_line_sale("C-1", 100.0);
    sale["currency"] = json!("UAH");
    assert_eq!(serve.try_sale(&sale).await.0, 200);
    assert_eq!(sales(&history), 1);
}

/// The basket belongs to the customer on screen: customer A with a basket,
/// then customer B without one: no request for B carries A's products.
/// A basket scanned while nobody is on screen goes with the customer who
/// comes next.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_customer_s_basket_never_goes_with_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.sqlite3");
    let (shop, config) = till_config(dir.path(), &history).await;
    let serve = Serve::start(&config, dir.path(), TOKEN);
    let asked_with = |phone: &str| -> Vec<Vec<String>> {
        shop.stats()
            .queries
            .lock()
            .unwrap()
            .iter()
            .filter(|q| q.iter().any(|(k, v)| k == "phone" && v.ends_with(phone)))
            .map(|q| {
                q.iter()
                    .filter(|(k, _)| k == "products")
                    .map(|(_, v)| v.clone())
                    .collect()
            })
            .collect()
    };
    let settle = || async {
        // Every source answers within the demo's latency; wait for the document to settle.
        for _ in 0..200 {
            let (_, document) = serve.send(Method::GET, "/recommendations", None).await;
            let sources = document["sources"].as_array().cloned().unwrap_or_default();
            if !sources.is_empty() && sources.iter().all(|s| s["status"] != "pending") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the lookup never settled");
    };
    let (status, _) = serve
        .send(
            Method::POST,
            "/customer",
            Some(json!({"phone": "067 123 4567", "products": ["RX-INSULIN-PEN", "SKU-1001"]})),
        )
        .await;
    assert_eq!(status, 200);
    settle().await;
    assert!(
        asked_with("671234567")
            .iter()
            .any(|p| p.contains(&"RX-INSULIN-PEN".to_string())),
        "A's basket went with A"
    );
    // B, at once, without products.
    serve.customer("050 111 2233").await;
    settle().await;
    let for_b = asked_with("501112233");
    assert!(!for_b.is_empty(), "B was looked up");
    assert!(
        for_b.iter().all(|p| p.is_empty()),
        "A's products went with B: {for_b:?}"
    );

    // Scanned while nobody is on screen, then the customer: it goes along.
    let (status, _) = serve.send(Method::DELETE, "/customer", None).await;
    assert_eq!(status, 200);
    let (status, _) = serve
        .send(
            Method::PUT,
            "/basket",
            Some(json!({"products": ["SKU-1004"]})),
        )
        .await;
    assert_eq!(status, 200);
    serve.customer("063 222 3344").await;
    settle().await;
    assert!(
        asked_with("632223344")
            .iter()
            .any(|p| p == &vec!["SKU-1004".to_string()]),
        "a basket scanned before the customer goes with them"
    );
}

/// Every path below `root`, folders first.
fn walk(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(root) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        found.push(path.clone());
        if path.is_dir() {
            found.extend(walk(&path));
        }
    }
    found
}

/// Started under umask 022, with its data folder left 0755 by an older
/// version: after a sale and an answer kept for offline use, every folder
/// it owns is 0700 and every file 0600 (the history, the offline answers,
/// their `-wal`/`-shm`, the keys).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_the_till_writes_is_readable_by_other_users() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let cache = home.path().join("cache");
    let own = data.join("pos-recs");
    std::fs::create_dir_all(&own).unwrap();
    std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (_shop, mut config) = common::demo(DemoOptions::default()).await;
    config.integration = Some(pos_recs::config::IntegrationConfig {
        listen: "127.0.0.1:0".into(),
        token: Some(pos_recs::secret::ApiKey::new(TOKEN)),
    });
    let config_file = home.path().join("config.toml");
    config.save(&config_file).unwrap();
    let serve = Serve::start_with(&config_file, home.path(), TOKEN, |command| {
        command
            .env("XDG_DATA_HOME", &data)
            .env("XDG_CACHE_HOME", &cache);
        // SAFETY: umask is async-signal-safe; it only sets the child's mask.
        unsafe {
            command.pre_exec(|| {
                libc::umask(0o022);
                Ok(())
            });
        }
    });
    serve.sell("067 123 4567", "P-1", 10.0).await;
    serve.customer("050 111 2233").await;
    serve.kill(libc::SIGTERM);
    let paths: Vec<PathBuf> = walk(&own).into_iter().chain(walk(&cache)).collect();
    let files: Vec<&PathBuf> = paths.iter().filter(|p| p.is_file()).collect();
    assert!(
        files.iter().any(|p| p.ends_with("history.sqlite3")),
        "{paths:?}"
    );
    assert!(
        files
            .iter()
            .any(|p| p.to_string_lossy().contains("answers")),
        "{paths:?}"
    );
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for path in std::iter::once(&own).chain(&paths) {
        let want = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(path), want, "{} is {:o}", path.display(), mode(path));
    }
}
