//! The till controller without a window: what the cashier screen and the
//! POS link both rely on.

use crate::common;

use std::collections::HashMap;

use common::{demo, ms, poll_until};
use pos_recs::demo::{DemoOptions, DemoServer, Fault};
use pos_recs::session::SectionState;
use pos_recs::till::Till;

/// A till whose account's port refuses connections, offline after a lookup;
/// and that port, for the account to come back on.
async fn offline_till(mut config: pos_recs::config::Config) -> (Till, u16) {
    let port = common::free_port();
    config.yespo.base_url = format!("http://127.0.0.1:{port}/api");
    let mut till = Till::new(config, tokio::runtime::Handle::current(), None).unwrap();
    till.submit("067 123 4567", None).unwrap();
    poll_until(&mut till, "offline", |t| t.connectivity().is_offline()).await;
    (till, port)
}

fn settled(till: &Till) -> bool {
    till.session().is_some_and(|s| s.is_settled())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lookup_fills_every_section_and_settles() {
    let (_server, config) = demo(DemoOptions::default()).await;
    let sources = config.enabled_sources().count();
    let mut till = Till::new(config, tokio::runtime::Handle::current(), None).unwrap();
    let session = till.submit("067 123 4567", None).unwrap();
    assert_eq!(session.sections.len(), sources);
    assert_eq!(session.customer.value(), "380671234567");
    poll_until(&mut till, "answers", settled).await;
    assert!(till.session().unwrap().product_count() > 0);
    assert_eq!(till.next_poll(), None, "a settled till rests");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_superseded_lookup_never_reaches_the_new_customer() {
    let (_server, config) = demo(DemoOptions {
        latency: ms(300),
        ..Default::default()
    })
    .await;
    let mut till = Till::new(config, tokio::runtime::Handle::current(), None).unwrap();
    till.submit("067 123 4567", None).unwrap();
    let second = till.submit("2000123456789", None).unwrap().generation;
    poll_until(&mut till, "answers", settled).await;
    let session = till.session().unwrap();
    assert_eq!(session.generation, second);
    assert_eq!(session.customer.value(), "2000123456789");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_input_clears_the_previous_customer() {
    let (_server, config) = demo(DemoOptions::default()).await;
    let mut till = Till::new(config, tokio::runtime::Handle::current(), None).unwrap();
    till.submit("067 123 4567", None).unwrap();
    poll_until(&mut till, "answers", settled).await;
    assert!(till.submit("+38 (067) ABC", None).is_err());
    assert!(till.session().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_asks_one_source_again_for_the_same_customer() {
    let (server, config) = demo(DemoOptions {
        faults: HashMap::from([(1245, Fault::Status(500))]),
        ..Default::default()
    })
    .await;
    let failing = config.enabled_sources().position(|s| s.id == 1245).unwrap();
    let mut till = Till::new(config, tokio::runtime::Handle::current(), None).unwrap();
    till.submit("067 123 4567", None).unwrap();
    poll_until(&mut till, "answers", settled).await;
    assert!(matches!(
        till.session().unwrap().sections[failing].state,
        SectionState::Failed { .. }
    ));
    server.set_options(DemoOptions::default());
    let before = server
        .stats()
        .requests
        .load(std::sync::atomic::Ordering::SeqCst);
    till.retry(failing);
    assert!(!settled(&till), "the section is pending again");
    poll_until(&mut till, "the retry", settled).await;
    assert!(matches!(
        till.session().unwrap().sections[failing].state,
        SectionState::Loaded { .. }
    ));
    let after = server
        .stats()
        .requests
        .load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(after - before, 1, "only that source was asked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_till_probes_and_comes_back_by_itself() {
    let (_server, config) = demo(DemoOptions::default()).await;
    let (mut till, port) = offline_till(config).await;
    assert!(till.next_poll().is_some(), "an offline till keeps probing");
    // The account comes back, answering the probed source with a 404 (not a server failure): reachable.
    let first = till.config().sources[0].id;
    let _back = DemoServer::start_on(
        port,
        DemoOptions {
            faults: HashMap::from([(first, Fault::Status(404))]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    poll_until(&mut till, "back online", |t| !t.connectivity().is_offline()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_mode_test_account_counts_an_unknown_customer_as_an_answer() {
    let (_server, mut config) = demo(DemoOptions::default()).await;
    config.yespo.auth = pos_recs::config::AuthMode::ContactToken;
    let engine = pos_recs::lookup::LookupEngine::new(&config).unwrap();
    let results = engine.test_account().await;
    assert!(!results.is_empty());
    // The demo gives unknown contacts an empty token, as the real API may.
    assert!(
        results.iter().all(|r| r.account_answered()),
        "{:?}",
        results.iter().map(|r| &r.outcome).collect::<Vec<_>>()
    );
}

/// The account comes back while a customer is on screen: the sections that
/// said "offline" are asked again by themselves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_account_comes_back_the_customer_s_offline_sections_fill_in() {
    let (_server, config) = demo(DemoOptions::default()).await;
    let (mut till, port) = offline_till(config).await;
    let loaded = |t: &Till| {
        t.session().is_some_and(|s| {
            s.sections
                .iter()
                .any(|s| matches!(&s.state, SectionState::Loaded { products, .. } if !products.is_empty()))
        })
    };
    assert!(!loaded(&till), "nothing could be loaded while offline");
    let _back = DemoServer::start_on(port, DemoOptions::default())
        .await
        .unwrap();
    poll_until(&mut till, "the sections asked again", loaded).await;
}
