//! The till keeps selling when the network does not: the shared sources'
//! last good answers are shown with their age, personal sources say
//! "offline", and the state is online / degraded / offline. Real faults:
//! a proxy in front of the demo shop that stops (connections refused), a
//! listener that never answers, a name that does not resolve, a corrupt
//! cache file, and the till restarted in between.

use crate::common;

use common::proxy::{Proxy, listen};

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pos_recs::answer_cache::{AnswerCache, file_beside};
use pos_recs::config::{Config, ConfigOrigin};
use pos_recs::demo::DemoOptions;
use pos_recs::service::TillService;
use serde_json::Value;

const PERSONAL: u64 = 1246;
const BESTSELLERS: u64 = 1245;
const SOLD_OUT: u64 = 1248;
const NEW_ARRIVALS: u64 = 1249;

/// A server that takes connections and never answers.
async fn hanging_server() -> SocketAddr {
    let listener = listen(0).await;
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    addr
}

fn config_for(base_url: &str, history: &Path, template: &Config) -> Config {
    let mut config = template.clone();
    config.yespo.base_url = base_url.to_string();
    config.yespo.timeout_ms = 600;
    config.history.path = Some(history.to_path_buf());
    common::only_sources(
        &mut config,
        &[PERSONAL, BESTSELLERS, SOLD_OUT, NEW_ARRIVALS],
    );
    config
}

fn start(config: Config, dir: &Path) -> TillService {
    let ready = pos_recs::setup::Ready {
        config,
        origin: ConfigOrigin::File(dir.join("config.toml")),
        demo: None,
        setup_mode: false,
    };
    TillService::start(ready, tokio::runtime::Handle::current()).unwrap()
}

/// Looks `phone` up with the demo basket and waits until every source
/// has settled: the POS document then.
async fn look_up(service: &TillService, phone: &str) -> (Arc<Value>, Duration) {
    // The previous customer's sale ended; this one's basket is scanned first.
    service.clear();
    service.set_basket(common::basket());
    let started = Instant::now();
    let lookup = service.submit(phone, None).unwrap();
    let deadline = started + Duration::from_secs(15);
    loop {
        if let Some(document) = service.document() {
            let sources = document["sources"].as_array().cloned().unwrap_or_default();
            if document["lookup"] == lookup
                && !sources.is_empty()
                && sources.iter().all(|s| s["status"] != "pending")
            {
                return (document, started.elapsed());
            }
        }
        assert!(
            Instant::now() < deadline,
            "never settled: {:?}",
            service.document()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn section(document: &Value, id: u64) -> &Value {
    document["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no source {id} in {document}"))
}

fn product_ids(section: &Value) -> Vec<String> {
    section["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

/// Waits until the cache file holds the shared sources' answers (they are
/// written off the lookup's path).
async fn wait_until_kept(history: &Path, basket_key: &str) {
    let cache = AnswerCache::open(&file_beside(history));
    let deadline = Instant::now() + Duration::from_secs(10);
    while cache.get(BESTSELLERS, basket_key).is_none() || cache.get(SOLD_OUT, basket_key).is_none()
    {
        assert!(
            Instant::now() < deadline,
            "the shared answers were not kept"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn sources_in_cache(history: &Path) -> Vec<u64> {
    let db = rusqlite::Connection::open(file_beside(history)).unwrap();
    let mut query = db
        .prepare("SELECT DISTINCT source_id FROM answers ORDER BY source_id")
        .unwrap();
    query
        .query_map([], |r| r.get::<_, i64>(0))
        .unwrap()
        .map(|id| id.unwrap() as u64)
        .collect()
}

fn assert_stale(document: &Value, id: u64, expected: &[String]) {
    let section = section(document, id);
    assert_eq!(section["status"], "ok", "{section}");
    let since = section["stale_since"]
        .as_str()
        .unwrap_or_else(|| panic!("no stale_since: {section}"));
    assert!(since.ends_with('Z') && since.len() == 20, "{since}");
    assert_eq!(product_ids(section), expected, "source {id}");
}

fn assert_personal_offline(document: &Value) {
    let personal = section(document, PERSONAL);
    assert_ne!(personal["status"], "ok", "{personal}");
    assert!(
        personal["products"].as_array().unwrap().is_empty(),
        "{personal}"
    );
    assert!(personal.get("stale_since").is_none(), "{personal}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_till_without_network_shows_kept_shared_answers_with_their_age_and_never_a_personal_one()
{
    let (shop, template) = common::demo(DemoOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let history: PathBuf = dir.path().join("history.sqlite3");
    let basket_key = pos_recs::answer_cache::basket_key(Some(&common::basket()));

    // Online: the first customer is answered by every source.
    let proxy = Proxy::start(shop.addr()).await;
    let base = format!("http://{}/api", proxy.addr);
    let service = start(config_for(&base, &history, &template), dir.path());
    let (first, _) = look_up(&service, "067 123 4567").await;
    assert_eq!(first["network"], "online", "{first}");
    for id in [PERSONAL, BESTSELLERS, SOLD_OUT, NEW_ARRIVALS] {
        assert_eq!(section(&first, id)["status"], "ok", "{first}");
        assert!(section(&first, id).get("stale_since").is_none());
    }
    let bestsellers = product_ids(section(&first, BESTSELLERS));
    let sold_out = product_ids(section(&first, SOLD_OUT));
    let arrivals = product_ids(section(&first, NEW_ARRIVALS));
    assert!(!product_ids(section(&first, PERSONAL)).is_empty());
    wait_until_kept(&history, &basket_key).await;

    // The network goes: connections are refused.
    proxy.stop();
    let (second, _) = look_up(&service, "050 111 2233").await;
    assert_eq!(second["network"], "offline", "{second}");
    assert_stale(&second, BESTSELLERS, &bestsellers);
    assert_stale(&second, SOLD_OUT, &sold_out);
    assert_stale(&second, NEW_ARRIVALS, &arrivals);
    assert_personal_offline(&second);
    // From the first lookup of the outage on, one plain sentence.
    let first_sentence = section(&second, PERSONAL)["error"].clone();
    assert!(
        first_sentence.as_str().unwrap().starts_with("offline"),
        "{first_sentence}"
    );

    // Known to be offline, the next lookup asks nothing and says so.
    let (third, took) = look_up(&service, "063 222 3344").await;
    assert_stale(&third, BESTSELLERS, &bestsellers);
    assert_personal_offline(&third);
    let personal = section(&third, PERSONAL);
    assert!(
        personal["error"].as_str().unwrap().starts_with("offline"),
        "{personal}"
    );
    assert!(
        took < Duration::from_millis(600),
        "waited for the timeout: {took:?}"
    );
    assert_eq!(personal["error"], first_sentence, "the same sentence");
    drop(service);

    // Restarted, with a server that takes the connection and never answers.
    let hanging = hanging_server().await;
    let service = start(
        config_for(&format!("http://{hanging}/api"), &history, &template),
        dir.path(),
    );
    let (fourth, _) = look_up(&service, "067 555 6677").await;
    assert_eq!(fourth["network"], "offline", "{fourth}");
    assert_stale(&fourth, BESTSELLERS, &bestsellers);
    assert_stale(&fourth, SOLD_OUT, &sold_out);
    assert_eq!(section(&fourth, PERSONAL)["status"], "timeout", "{fourth}");
    assert_personal_offline(&fourth);
    drop(service);

    // Restarted, with a name that does not resolve.
    let service = start(
        config_for(
            "https://pos-recs-offline-test.invalid/api",
            &history,
            &template,
        ),
        dir.path(),
    );
    let (fifth, _) = look_up(&service, "067 777 8899").await;
    assert_stale(&fifth, NEW_ARRIVALS, &arrivals);
    assert_personal_offline(&fifth);
    drop(service);

    // Only shared sources were ever kept: no customer's own answer is there.
    assert_eq!(
        sources_in_cache(&history),
        vec![BESTSELLERS, SOLD_OUT, NEW_ARRIVALS]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_cache_file_is_discarded_never_shown_and_the_till_goes_on() {
    let (shop, template) = common::demo(DemoOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.sqlite3");
    let cache = file_beside(&history);
    for garbage in [
        b"SQLite format 3\0"
            .iter()
            .chain([7u8; 3000].iter())
            .copied()
            .collect::<Vec<u8>>(),
        b"<html>not a database</html>".to_vec(),
        Vec::new(),
    ] {
        std::fs::write(&cache, &garbage).unwrap();
        let dead = format!("http://127.0.0.1:{}/api", common::free_port());
        let service = start(config_for(&dead, &history, &template), dir.path());
        let (document, _) = look_up(&service, "067 123 4567").await;
        for id in [PERSONAL, BESTSELLERS, SOLD_OUT, NEW_ARRIVALS] {
            let section = section(&document, id);
            assert_eq!(section["status"], "error", "{section}");
            assert!(section.get("stale_since").is_none(), "{section}");
        }
        drop(service);
    }
    // The file was started anew and works: online, the answers are kept.
    let service = start(
        config_for(&shop.base_url(), &history, &template),
        dir.path(),
    );
    let (document, _) = look_up(&service, "067 123 4567").await;
    assert_eq!(section(&document, BESTSELLERS)["status"], "ok");
    wait_until_kept(
        &history,
        &pos_recs::answer_cache::basket_key(Some(&common::basket())),
    )
    .await;
}

/// The network comes back while a customer is on screen with kept cards
/// and an "offline" personal section: without a new lookup, the health
/// probe notices, the state returns to online, and the customer's sections
/// are asked again in the background (kept cards stay until then).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_network_returns_the_customer_on_screen_is_refreshed_by_itself() {
    let (shop, template) = common::demo(DemoOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let history: PathBuf = dir.path().join("history.sqlite3");
    let basket_key = pos_recs::answer_cache::basket_key(Some(&common::basket()));
    let proxy = Proxy::start(shop.addr()).await;
    let port = proxy.addr.port();
    let base = format!("http://{}/api", proxy.addr);
    let service = start(config_for(&base, &history, &template), dir.path());
    look_up(&service, "067 123 4567").await;
    wait_until_kept(&history, &basket_key).await;
    proxy.stop();
    let (offline, _) = look_up(&service, "050 111 2233").await;
    assert_eq!(offline["network"], "offline", "{offline}");
    assert!(section(&offline, BESTSELLERS).get("stale_since").is_some());
    assert_personal_offline(&offline);

    // Back, on the same address.
    let _back = Proxy::start_on(port, shop.addr()).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let refreshed = loop {
        let document = service.document().expect("the customer is still on screen");
        let fresh = [PERSONAL, BESTSELLERS, SOLD_OUT, NEW_ARRIVALS]
            .iter()
            .all(|id| {
                let s = section(&document, *id);
                s["status"] == "ok" && s.get("stale_since").is_none()
            });
        if document["network"] == "online" && fresh {
            break document;
        }
        assert!(
            Instant::now() < deadline,
            "the till did not come back by itself: {document}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(refreshed["lookup"], offline["lookup"], "the same customer");
    assert!(!product_ids(section(&refreshed, PERSONAL)).is_empty());
}

/// A shared source's answer that names the customer looked up (a product
/// link tagged with their phone, their email in a field) is theirs: it is
/// never kept for the next customer to see offline. An answer naming
/// nobody is kept as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_naming_the_customer_is_never_kept_for_another() {
    use common::yespo::{Reply, StandIn};
    let yespo = StandIn::answering(|asked| {
        // For 0671234567 the answer carries the phone in a link (in its
        // national form); for anyone else it names nobody.
        let url = match asked.values("phone").as_slice() {
            ["380671234567"] => "https://shop.example/p/1?utm_content=067-123-45-67",
            _ => "https://shop.example/p/1",
        };
        Reply::items(serde_json::json!([
            {"id": "P-1", "name": "Kettle", "url": url, "price": 10}
        ]))
    })
    .start()
    .await;
    let addr = yespo.addr;
    let dir = tempfile::tempdir().unwrap();
    let cache = AnswerCache::open(&dir.path().join("answers.sqlite3"));
    let mut config = Config::default();
    config.yespo.base_url = format!("http://{addr}/api");
    config.yespo.api_key = Some(pos_recs::secret::ApiKey::new("k"));
    config.sources = vec![pos_recs::config::SourceConfig {
        id: BESTSELLERS,
        kind: pos_recs::config::SourceKind::Bestsellers,
        ..pos_recs::config::SourceConfig::default()
    }];
    let engine = pos_recs::lookup::LookupEngine::with_cache(&config, cache.clone()).unwrap();
    let a = pos_recs::identify::identify("067 123 4567", None, "380").unwrap();
    let answer = engine.run(&a).await;
    assert!(answer[0].outcome.is_ok(), "answered");
    // Written off the lookup's path, if at all: give it the time it takes.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        cache.get(BESTSELLERS, "").is_none(),
        "an answer naming the customer was kept"
    );
    let b = pos_recs::identify::identify("050 111 2233", None, "380").unwrap();
    engine.run(&b).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while cache.get(BESTSELLERS, "").is_none() {
        assert!(Instant::now() < deadline, "a clean answer was not kept");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let kept = cache.get(BESTSELLERS, "").unwrap();
    assert_eq!(kept.products[0].url, "https://shop.example/p/1");
}
