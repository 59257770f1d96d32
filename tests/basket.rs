//! The basket on the wire and in the till: which sources get it, which wait
//! for it, and that a basket change asks only the sources that use it.

use crate::common;

use std::time::Duration;

use common::yespo::{Reply, StandIn, Yespo};
use common::{demo, ms, poll_until};
use pos_recs::basket::Basket;
use pos_recs::config::{AuthMode, BasketUse, Config, SourceConfig, SourceKind};
use pos_recs::demo::DemoOptions;
use pos_recs::session::SectionState;
use pos_recs::till::Till;

/// A stand-in that answers every recommendation request with one product
/// named after the basket it was asked with (so tests can tell answers
/// apart), after `delay`.
async fn recording_server(delay: Duration) -> Yespo {
    StandIn::answering(|asked| {
        Reply::items(serde_json::json!([{
            "id": format!("for-{}", asked.values("products").join("+")),
            "name": "Answer"
        }]))
    })
    .delay(delay)
    .start()
    .await
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn products_and_category_go_on_the_wire_for_v2_and_v1() {
    let yespo = recording_server(Duration::ZERO).await;
    let basket = Basket::new(&["SKU,1", "SKU-2"], Some("shoes")).unwrap();
    for auth in [AuthMode::ApiKey, AuthMode::ContactToken] {
        yespo.forget();
        let mut config = config(&yespo.base(), vec![source(1, SourceKind::CrossSell, None)]);
        config.yespo.auth = auth;
        let engine = pos_recs::lookup::LookupEngine::new(&config).unwrap();
        let results = engine.run_with(&common::customer(), &basket).await;
        assert_eq!(
            results[0].status(),
            "ok",
            "{auth:?}: {:?}",
            results[0].outcome
        );
        let asked = &yespo.recoms()[0];
        assert_eq!(asked.values("products"), ["SKU,1", "SKU-2"], "{auth:?}");
        assert_eq!(asked.values("category"), ["shoes"], "{auth:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_require_and_never() {
    let yespo = recording_server(Duration::ZERO).await;
    let config = config(
        &yespo.base(),
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
    let asked: Vec<Option<u64>> = yespo.recoms().iter().map(|a| a.source).collect();
    assert!(!asked.contains(&Some(2)), "{asked:?}");
    assert!(
        yespo
            .recoms()
            .iter()
            .all(|a| a.values("products").is_empty()),
        "no basket, no products"
    );
    // With one: send and require carry it, never does not.
    yespo.forget();
    let basket = Basket::new(&["A"], None).unwrap();
    let results = engine.run_with(&common::customer(), &basket).await;
    assert!(results.iter().all(|r| r.status() == "ok"));
    for asked in yespo.recoms() {
        let carried = asked.values("products") == ["A"];
        assert_eq!(carried, asked.source != Some(3), "{asked:?}");
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
    let yespo = recording_server(ms(150)).await;
    let config = config(
        &yespo.base(),
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
    let before = yespo.recoms().len();
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
    let asked: Vec<Option<u64>> = yespo.recoms()[before..].iter().map(|a| a.source).collect();
    assert!(
        asked.iter().all(|id| *id == Some(2)),
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
