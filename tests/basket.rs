//! The basket on the wire and in the till: which sources get it, which wait
//! for it, and that a basket change asks only the sources that use it.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use common::{demo, ms, poll_until};
use pos_recs::basket::Basket;
use pos_recs::config::{AuthMode, BasketUse, Config, SourceConfig, SourceKind};
use pos_recs::demo::DemoOptions;
use pos_recs::session::SectionState;
use pos_recs::till::Till;

/// Every recommendation request a test server received: source and query.
type Seen = Arc<Mutex<Vec<(u64, Vec<(String, String)>)>>>;

/// A server for v2 and v1 that records the query of every recommendation
/// request and answers with one product, after `delay`.
async fn recording_server(delay: Duration) -> (String, Seen) {
    let seen: Seen = Arc::default();
    #[derive(Clone)]
    struct S(Seen, Duration);
    async fn recoms(
        State(S(seen, delay)): State<S>,
        Path(id): Path<u64>,
        Query(query): Query<Vec<(String, String)>>,
    ) -> axum::Json<serde_json::Value> {
        seen.lock().unwrap().push((id, query.clone()));
        tokio::time::sleep(delay).await;
        let products: Vec<&str> = query
            .iter()
            .filter(|(k, _)| k == "products")
            .map(|(_, v)| v.as_str())
            .collect();
        // The answer names what it was asked with, so tests can tell answers apart.
        axum::Json(serde_json::json!([{
            "id": format!("for-{}", products.join("+")),
            "name": "Answer"
        }]))
    }
    async fn token() -> axum::Json<serde_json::Value> {
        axum::Json(serde_json::json!({"token": "t"}))
    }
    let app = axum::Router::new()
        .route("/api/v2/contacts/recoms/{id}", get(recoms))
        .route("/api/v1/recoms/{id}", get(recoms))
        .route("/api/v1/auth/contact/token", post(token))
        .with_state(S(seen.clone(), delay));
    let base = format!("http://{}/api", common::serve_router(app).await);
    (base, seen)
}

fn source(id: u64, kind: SourceKind, basket: Option<BasketUse>) -> SourceConfig {
    SourceConfig {
        id,
        kind,
        basket,
        ..SourceConfig::default()
    }
}

fn config(base: &str, sources: Vec<SourceConfig>) -> Config {
    let mut config = Config::default();
    config.yespo.base_url = base.to_string();
    config.yespo.api_key = Some(pos_recs::secret::ApiKey::new("k"));
    config.sources = sources;
    config
}

fn values<'a>(query: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    query
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn products_and_category_go_on_the_wire_for_v2_and_v1() {
    let (base, seen) = recording_server(Duration::ZERO).await;
    let basket = Basket::new(&["SKU,1", "SKU-2"], Some("shoes")).unwrap();
    for auth in [AuthMode::ApiKey, AuthMode::ContactToken] {
        seen.lock().unwrap().clear();
        let mut config = config(&base, vec![source(1, SourceKind::CrossSell, None)]);
        config.yespo.auth = auth;
        let engine = pos_recs::lookup::LookupEngine::new(&config).unwrap();
        let results = engine.run_with(&common::customer(), &basket).await;
        assert_eq!(
            results[0].status(),
            "ok",
            "{auth:?}: {:?}",
            results[0].outcome
        );
        let seen = seen.lock().unwrap();
        let (_, query) = &seen[0];
        assert_eq!(values(query, "products"), ["SKU,1", "SKU-2"], "{auth:?}");
        assert_eq!(values(query, "category"), ["shoes"], "{auth:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_require_and_never() {
    let (base, seen) = recording_server(Duration::ZERO).await;
    let config = config(
        &base,
        vec![
            source(1, SourceKind::Personal, None),  // send (default)
            source(2, SourceKind::CrossSell, None), // require (default)
            source(3, SourceKind::Upsell, Some(BasketUse::Never)),
        ],
    );
    let engine = pos_recs::lookup::LookupEngine::new(&config).unwrap();
    // Without a basket: the cross-sell source is not asked at all.
    let results = engine.run(&common::customer()).await;
    let status: Vec<&str> = results.iter().map(|r| r.status()).collect();
    assert_eq!(status, ["ok", "skipped", "ok"]);
    assert_eq!(
        results[1].outcome.as_ref().unwrap_err().to_string(),
        "scan the basket's items to see these"
    );
    let asked: Vec<u64> = seen.lock().unwrap().iter().map(|(id, _)| *id).collect();
    assert!(!asked.contains(&2), "{asked:?}");
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .all(|(_, q)| values(q, "products").is_empty()),
        "no basket, no products"
    );
    // With one: send and require carry it, never does not.
    seen.lock().unwrap().clear();
    let basket = Basket::new(&["A"], None).unwrap();
    let results = engine.run_with(&common::customer(), &basket).await;
    assert!(results.iter().all(|r| r.status() == "ok"));
    for (id, query) in seen.lock().unwrap().iter() {
        let carried = values(query, "products") == ["A"];
        assert_eq!(carried, *id != 3, "source {id}");
    }
}

fn product_ids(till: &Till, section: usize) -> Vec<String> {
    match &till.session().unwrap().sections[section].state {
        SectionState::Loaded { products, .. } => products.iter().map(|p| p.id.clone()).collect(),
        _ => vec![],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_basket_change_asks_only_the_sources_that_use_it_and_old_answers_lose() {
    let (base, seen) = recording_server(ms(150)).await;
    let config = config(
        &base,
        vec![
            source(1, SourceKind::Bestsellers, Some(BasketUse::Never)),
            source(2, SourceKind::CrossSell, None),
        ],
    );
    let mut till = Till::new(config, tokio::runtime::Handle::current(), None).unwrap();
    till.set_basket(Basket::new(&["A"], None).unwrap());
    till.submit("067 123 4567", None).unwrap();
    poll_until(&mut till, "answers", |t| t.session().unwrap().is_settled()).await;
    assert_eq!(product_ids(&till, 1), ["for-A"]);
    let before = seen.lock().unwrap().len();
    // Two changes in quick succession: only the last one may win.
    till.set_basket(Basket::new(&["A", "B"], None).unwrap());
    till.set_basket(Basket::new(&["A", "B", "C"], None).unwrap());
    assert!(
        matches!(
            till.session().unwrap().sections[0].state,
            SectionState::Loaded { .. }
        ),
        "the section that ignores the basket stays as it is"
    );
    poll_until(&mut till, "the new answer", |t| {
        t.session().unwrap().is_settled()
    })
    .await;
    // Let any straggler of the first change arrive too.
    tokio::time::sleep(ms(300)).await;
    till.poll();
    assert_eq!(product_ids(&till, 1), ["for-A+B+C"]);
    let asked: Vec<u64> = seen.lock().unwrap()[before..]
        .iter()
        .map(|(id, _)| *id)
        .collect();
    assert!(
        asked.iter().all(|id| *id == 2),
        "only the cross-sell source: {asked:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_basket_waits_for_the_customer_and_ends_with_the_sale() {
    let (_server, config) = demo(DemoOptions::default()).await;
    let cross_sell = config
        .enabled_sources()
        .position(|s| s.kind == SourceKind::CrossSell)
        .unwrap();
    let mut till = Till::new(config, tokio::runtime::Handle::current(), None).unwrap();
    // Items scanned before the loyalty card: nothing is asked yet.
    till.set_basket(common::basket());
    assert!(till.session().is_none());
    till.submit("067 123 4567", None).unwrap();
    poll_until(&mut till, "answers", |t| t.session().unwrap().is_settled()).await;
    assert!(
        !product_ids(&till, cross_sell).is_empty(),
        "cross-sell used the basket"
    );
    // The same customer again keeps their basket…
    till.submit("067 123 4567", None).unwrap();
    assert_eq!(till.basket(), &common::basket());
    // …the next customer, given without products, never gets it…
    till.submit("2000123456789", None).unwrap();
    assert!(till.basket().is_empty(), "{:?}", till.basket());
    // …one given with products has them.
    let other = Basket::new(&["SKU-1041"], None).unwrap();
    till.submit_with_basket("2000123456789", None, Some(other.clone()))
        .unwrap();
    assert_eq!(till.basket(), &other);
    // Esc ends the sale and empties it.
    till.clear();
    assert!(till.basket().is_empty());
}
