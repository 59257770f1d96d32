//! The sale reaches Yespo: the real `pos-recs serve` takes sales from a
//! POS, and its outbox sends them to a stand-in Yespo (the demo shop's
//! `POST /api/v1/orders`) that keeps every order it took, while faults come
//! on a schedule: 429 with Retry-After, 500, a hang, refused connections,
//! a 400 for one order of a batch, and the till killed with SIGKILL in the
//! middle. Every sale arrives, each `externalOrderId` once as DELIVERED.

#![cfg(unix)]

use crate::common;
use crate::common::nginx;

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::proxy::Proxy;
use common::serve::Serve;
use pos_recs::demo::orders::{OrderBook, OrderFault};
use pos_recs::demo::{DemoOptions, DemoServer};
use reqwest::Method;
use serde_json::{Value, json};

const TOKEN: &str = "orders-pos-token";

/// The till's config: the shop behind `base`, orders on, the POS link on.
fn write_config(path: &Path, base: &str, history: &Path, template: &pos_recs::config::Config) {
    let mut config = template.clone();
    config.yespo.base_url = base.to_string();
    config.yespo.timeout_ms = 500;
    config.history.path = Some(history.to_path_buf());
    config.orders.send = true;
    config.orders.store_id = Some("kyiv-01".into());
    config.integration = Some(pos_recs::config::IntegrationConfig {
        listen: "127.0.0.1:0".into(),
        token: Some(pos_recs::secret::ApiKey::new(TOKEN)),
    });
    assert!(config.problems().is_empty(), "{:?}", config.problems());
    config.save(path).unwrap();
}

/// Starts serve in the Kyiv zone (so the date's offset is +02:00 in December).
fn start(config: &Path, home: &Path) -> Serve {
    Serve::start_with(config, home, TOKEN, |command| {
        command.env("TZ", "Europe/Kyiv");
    })
}

/// Waits (at most `secs`) until `done` holds for the stand-in's book.
async fn until(book: &OrderBook, secs: u64, what: &str, done: impl Fn(&OrderBook) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done(book) {
        assert!(
            Instant::now() < deadline,
            "{what}: {:#?}",
            book.accepted()
                .iter()
                .map(|o| (o["externalOrderId"].clone(), o["status"].clone()))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn sale(id: &str, lines: Value, total: f64) -> Value {
    json!({"lines": lines, "total": total, "currency": "UAH", "sale_id": id})
}

async fn outbox(config: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["outbox", "--config", config.to_str().unwrap()];
    all.extend_from_slice(args);
    common::run_cli(&all, &[]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sale_reaches_yespo_once_through_faults_a_kill_and_a_refused_order() {
    let book = std::sync::Arc::new(OrderBook::default());
    let shop = DemoServer::start_with_orders(0, DemoOptions::default(), book.clone())
        .await
        .unwrap();
    let template = shop.config();
    let home = tempfile::tempdir().unwrap();
    let history = home.path().join("history.sqlite3");
    let config = home.path().join("config.toml");
    // The till reaches the shop through a proxy that can go away.
    let proxy = Proxy::start(shop.addr()).await;
    let port = proxy.addr.port();
    write_config(
        &config,
        &format!("http://{}/api", proxy.addr),
        &history,
        &template,
    );
    // One order of every batch is refused; the first requests meet a 429
    // with Retry-After and a 500.
    book.refused.lock().unwrap().insert("S-BAD".into());
    book.schedule.lock().unwrap().extend([
        OrderFault::Status(429, Some(1)),
        OrderFault::Status(500, None),
    ]);
    let mut serve = start(&config, home.path());
    let phones = ["067 123 4500", "050 111 2233", "063 222 3344"];
    let mut ids = Vec::new();
    for n in 0..6 {
        serve.customer(phones[n % 3]).await;
        let id = if n == 2 {
            "S-BAD".to_string()
        } else {
            format!("S-{n}")
        };
        let lines = json!([
            {"product": "SKU-1001", "quantity": 2, "price": 499.5},
            {"product": "SKU-1004", "quantity": 0.37, "price": 19.99}
        ]);
        let (status, answer) = serve.try_sale(&sale(&id, lines, 1000.0)).await;
        assert_eq!(status, 200, "{answer}");
        ids.push(id);
    }
    // A sale without a sale_id gets the till's own id.
    serve.customer("067 123 4599").await;
    let (status, _) = serve
        .try_sale(&json!({"lines": [{"product": "SKU-1001", "price": 10.0}]}))
        .await;
    assert_eq!(status, 200);
    until(&book, 30, "the good orders after 429 and 500", |b| {
        ids.iter()
            .filter(|id| *id != "S-BAD")
            .all(|id| b.count(id, "DELIVERED") == 1)
            && b.accepted().len() == 6
    })
    .await;
    assert!(
        book.requests.load(Ordering::SeqCst) >= 3,
        "the faults were met"
    );
    let own: Vec<Value> = book
        .accepted()
        .into_iter()
        .filter(|o| {
            o["externalOrderId"]
                .as_str()
                .unwrap()
                .starts_with("pos-recs-")
        })
        .collect();
    assert_eq!(own.len(), 1, "the till's own id");

    // Field by field.
    let order = book
        .accepted()
        .into_iter()
        .find(|o| o["externalOrderId"] == "S-1")
        .unwrap();
    assert_eq!(order["phone"], "380501112233");
    assert_eq!(order["status"], "DELIVERED");
    assert_eq!(order["source"], "offline");
    assert_eq!(order["storeId"], "kyiv-01");
    assert_eq!(order["currency"], "UAH");
    assert!(
        order["date"].as_str().unwrap().ends_with("+02:00"),
        "{order}"
    );
    let items = order["items"].as_array().unwrap();
    let costs: f64 = items.iter().map(|i| i["cost"].as_f64().unwrap()).sum();
    assert!(
        (costs - order["totalCost"].as_f64().unwrap()).abs() < 0.005,
        "{order}"
    );
    assert_eq!(items[0]["externalItemId"], "SKU-1001");
    assert!(!items[0]["name"].as_str().unwrap().is_empty());

    // The refused order is parked, listed (masked), and held nothing up.
    let listed = outbox(&config, &[]).await;
    let text = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(listed.status.success(), "{}", common::stderr(&listed));
    assert!(text.starts_with("0 waiting, 1 parked"), "{text}");
    assert!(text.contains("S-BAD") && text.contains("PARKED"), "{text}");
    assert!(text.contains("380*****3344"), "masked: {text}");
    assert!(!text.contains("380632223344"), "{text}");

    // A void after the order was sent: CANCELLED at Yespo, out of stats.
    let sales_before = sales_in(&history);
    let (status, answer) = serve
        .send(Method::POST, "/void", Some(json!({"sale_id": "S-3"})))
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, again) = serve
        .send(Method::POST, "/void", Some(json!({"sale_id": "S-3"})))
        .await;
    assert_eq!((status, again["repeated"].clone()), (200, json!(true)));
    let (status, _) = serve
        .send(
            Method::POST,
            "/void",
            Some(json!({"sale_id": "NEVER-SOLD"})),
        )
        .await;
    assert_eq!(status, 404);
    until(&book, 20, "the cancellation", |b| {
        b.count("S-3", "CANCELLED") == 1
    })
    .await;
    assert_eq!(sales_in(&history), sales_before - 1);

    // The network goes (connections refused), sales go on, the till is
    // killed while Yespo hangs on the first send, and started again.
    proxy.stop();
    for n in 10..14 {
        serve.customer(phones[n % 3]).await;
        let lines = json!([{"product": "SKU-1001", "quantity": 1, "price": 100.0}]);
        let (status, _) = serve.try_sale(&sale(&format!("S-{n}"), lines, 100.0)).await;
        assert_eq!(status, 200);
    }
    let (_, document) = {
        serve.customer(phones[0]).await;
        serve.send(Method::GET, "/recommendations", None).await
    };
    assert_eq!(document["orders_waiting"], 4, "{document}");
    book.schedule
        .lock()
        .unwrap()
        .push_back(OrderFault::Hang(Duration::from_secs(3)));
    let _back = Proxy::start_on(port, shop.addr()).await;
    // The hung request is in flight: kill the till in the middle of it.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !book.schedule.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the till never sent again");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let log = serve.log_so_far();
    serve.kill(libc::SIGKILL);
    let mut serve = start(&config, home.path());
    until(&book, 30, "the orders queued offline", |b| {
        (10..14).all(|n| b.count(&format!("S-{n}"), "DELIVERED") == 1)
    })
    .await;
    // Each order once, whatever happened.
    for id in ids.iter().filter(|id| *id != "S-BAD") {
        assert_eq!(book.count(id, "DELIVERED"), 1, "{id}");
    }
    assert_eq!(book.count("S-BAD", "DELIVERED"), 0);

    // The parked order: sent again when asked (and refused again), then dropped.
    let parked_id = parked_item(&config).await;
    assert!(
        outbox(&config, &["--retry", &parked_id])
            .await
            .status
            .success()
    );
    assert!(!outbox(&config, &["--drop", "99999"]).await.status.success());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let parked_id = parked_item(&config).await;
    let dropped = outbox(&config, &["--drop", &parked_id]).await;
    assert!(dropped.status.success(), "{}", common::stderr(&dropped));
    let log = log + &serve.log_so_far();
    serve.kill(libc::SIGTERM);

    // No identifier in the log; none left in the file once all is taken.
    for phone in ["0671234500", "380671234500", "380501112233", "671234599"] {
        assert!(!log.contains(phone), "{phone} in the log");
    }
    let listed = outbox(&config, &[]).await;
    assert!(String::from_utf8_lossy(&listed.stdout).starts_with("0 waiting, 0 parked"));
    for name in ["history.sqlite3", "history.sqlite3-wal"] {
        let bytes = std::fs::read(home.path().join(name)).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("380671234500"), "{name} keeps a phone");
        assert!(!text.contains("380501112233"), "{name} keeps a phone");
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&history).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

/// Yespo refuses a batch without naming the order: the batch is halved
/// until the one refused is found; the others are taken, in one request
/// each half, and the refused one is parked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_refused_without_a_name_is_halved_until_the_bad_order_is_found() {
    let book = std::sync::Arc::new(OrderBook::default());
    let shop = DemoServer::start_with_orders(0, DemoOptions::default(), book.clone())
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let history = home.path().join("history.sqlite3");
    let config = home.path().join("config.toml");
    // Offline first, so the sales queue up and go as one batch.
    let dead = format!("http://127.0.0.1:{}/api", common::free_port());
    write_config(&config, &dead, &history, &shop.config());
    let serve = start(&config, home.path());
    for n in 0..8 {
        serve.customer("067 123 4567").await;
        let lines = json!([{"product": "SKU-1001", "quantity": 1, "price": 10.0}]);
        assert_eq!(
            serve
                .try_sale(&sale(&format!("B-{n}"), lines, 10.0))
                .await
                .0,
            200
        );
    }
    serve.kill(libc::SIGTERM);
    book.refused.lock().unwrap().insert("B-5".into());
    book.refuse_unnamed.store(true, Ordering::SeqCst);
    write_config(&config, &shop.base_url(), &history, &shop.config());
    let serve = start(&config, home.path());
    until(&book, 30, "the seven good orders", |b| {
        b.accepted().len() == 7
    })
    .await;
    assert_eq!(
        book.largest_batch.load(Ordering::SeqCst),
        8,
        "one batch first"
    );
    assert_eq!(book.count("B-5", "DELIVERED"), 0);
    // 8 (refused), 4 (taken), 4 (refused), 2 (taken), 2 (refused), 1 (taken), 1 (refused).
    assert_eq!(book.requests.load(Ordering::SeqCst), 7);
    assert!(!parked_item(&config).await.is_empty());
    serve.kill(libc::SIGTERM);
}

fn sales_in(history: &Path) -> i64 {
    let db = rusqlite::Connection::open(history).unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    db.query_row("SELECT COUNT(*) FROM sales", [], |r| r.get(0))
        .unwrap()
}

/// The number of the parked item `pos-recs outbox` lists (waits for it).
async fn parked_item(config: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let listed = outbox(config, &[]).await;
        let text = String::from_utf8_lossy(&listed.stdout).into_owned();
        if let Some(line) = text.lines().find(|l| l.contains("PARKED")) {
            return line
                .trim_start_matches('#')
                .split_whitespace()
                .next()
                .unwrap()
                .to_string();
        }
        assert!(Instant::now() < deadline, "nothing parked: {text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A chain's till sends its orders through the real nginx gateway: they
/// reach Yespo with the account's key (which the till never holds), the
/// access log counts them without personal data, and a stolen till token
/// reaches no other path of the account and meets the orders' own budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_till_sends_orders_through_the_gateway_and_a_stolen_token_gets_no_further() {
    if !nginx::have_nginx() {
        return;
    }
    let book = std::sync::Arc::new(OrderBook::default());
    let shop = DemoServer::start_with_orders(
        0,
        DemoOptions {
            required_key: Some(nginx::KEY.into()),
            ..DemoOptions::default()
        },
        book.clone(),
    )
    .await
    .unwrap();
    let token = nginx::till_token("orders-till-0");
    let upstream = shop.addr().to_string();
    let gateway = nginx::start_gateway(&nginx::GatewayOptions::new(
        &upstream,
        std::slice::from_ref(&token),
    ));
    let home = tempfile::tempdir().unwrap();
    let history = home.path().join("history.sqlite3");
    let config = home.path().join("config.toml");
    let mut template = shop.config();
    template.yespo.auth = pos_recs::config::AuthMode::Gateway;
    template.yespo.api_key = None;
    template.yespo.till_token = Some(pos_recs::secret::ApiKey::new(token.clone()));
    write_config(&config, &gateway.base(), &history, &template);
    let serve = start(&config, home.path());
    for n in 0..3 {
        serve.customer("067 123 4567").await;
        let lines = json!([{"product": "SKU-1001", "quantity": 1, "price": 10.0}]);
        assert_eq!(
            serve
                .try_sale(&sale(&format!("G-{n}"), lines, 10.0))
                .await
                .0,
            200
        );
    }
    until(&book, 30, "the orders through the gateway", |b| {
        (0..3).all(|n| b.count(&format!("G-{n}"), "DELIVERED") == 1)
    })
    .await;
    serve.kill(libc::SIGTERM);

    // A stolen token: the orders endpoint with other methods, and the
    // account's other paths, never reach Yespo.
    let port = gateway.port;
    let before = book.requests.load(Ordering::SeqCst);
    for (method, target, status) in [
        ("GET", "/api/v1/orders", 405),
        ("DELETE", "/api/v1/orders", 405),
        ("PUT", "/api/v1/orders", 405),
        ("POST", "/api/v1/orders/42", 404),
        ("POST", "/api/v1/orders/../contacts", 404),
        ("GET", "/api/v1/contacts?email=a%40b.example", 404),
        ("POST", "/api/v1/event", 404),
        ("POST", "/api/v1/message/sms", 404),
    ] {
        let token = token.clone();
        let got = tokio::task::spawn_blocking(move || {
            nginx::raw_status(port, method, target, Some(&token))
        })
        .await
        .unwrap();
        assert_eq!(got, status, "{method} {target}");
    }
    assert_eq!(
        book.requests.load(Ordering::SeqCst),
        before,
        "reached Yespo"
    );
    // Made-up orders in bulk meet the orders' own budget (burst 10).
    let statuses: Vec<u16> = {
        let token = token.clone();
        tokio::task::spawn_blocking(move || {
            (0..30)
                .map(|_| nginx::raw_status(port, "POST", "/api/v1/orders", Some(&token)))
                .collect()
        })
        .await
        .unwrap()
    };
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(
        statuses.iter().filter(|s| **s != 429).count() <= 12,
        "{statuses:?}"
    );
    // The access log counts each till's orders; no identifier in any log.
    let logs = gateway.logs();
    let access = nginx::Nginx::access_log(&logs);
    assert!(
        access.contains("store-a/till-0 \"POST /api/v1/orders\" 200")
            && access.contains("orders=1"),
        "{access}"
    );
    for (path, text) in &logs {
        assert!(!text.contains("380671234567"), "{}: {text}", path.display());
        assert!(!text.contains(token.as_str()), "{}", path.display());
    }
}

/// `[orders]` is checked like every other section: one line, exit 2.
#[tokio::test]
async fn a_bad_orders_section_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    for (section, said) in [
        (
            "[orders]\nitem_cost = \"each\"\n",
            "expected `line` or `unit`",
        ),
        ("[orders]\nsend = \"yes\"\n", "expected a boolean"),
        ("[orders]\nstore_id = \"\"\n", "store_id"),
        ("[orders]\nsurprise = 1\n", "surprise"),
        (
            "[orders]\nsend = true\n[history]\nenabled = false\n",
            "[history] enabled",
        ),
    ] {
        std::fs::write(
            &path,
            format!("[yespo]\napi_key = \"k\"\n[[sources]]\nid = 1\n{section}"),
        )
        .unwrap();
        let out = common::run_cli(&["check", "--config", path.to_str().unwrap()], &[]).await;
        let stderr = common::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{section}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(said), "{section}: {stderr}");
    }
}
