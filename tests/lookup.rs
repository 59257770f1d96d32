//! The real client and fan-out against the demo server, with faults.

use crate::common;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Instant;

use common::{customer, demo, ms, only_sources};
use pos_recs::config::AuthMode;
use pos_recs::demo::{DemoOptions, Fault};
use pos_recs::lookup::LookupEngine;
use pos_recs::yespo::SourceError;

#[tokio::test]
async fn every_demo_source_answers_in_configured_order() {
    let (_server, mut config) = demo(DemoOptions::default()).await;
    only_sources(&mut config, &[1245, 1244, 1246]);
    config.sources[0].max_cards = 3;
    let results = LookupEngine::new(&config)
        .unwrap()
        .run_with(&customer(), &common::basket())
        .await;
    let ids: Vec<u64> = results.iter().map(|r| r.source.id).collect();
    assert_eq!(ids, [1245, 1244, 1246]);
    assert!(results.iter().all(|r| r.status() == "ok"));
    assert_eq!(
        results[0].outcome.as_ref().unwrap().len(),
        3,
        "max_cards applied"
    );
    let first = &results[1].outcome.as_ref().unwrap()[0];
    assert!(
        first
            .image_url
            .as_deref()
            .unwrap_or("")
            .starts_with("http://127.0.0.1:")
    );
}

#[tokio::test]
async fn four_slow_sources_take_as_long_as_one_not_their_sum() {
    let latency = ms(800);
    let (server, mut config) = demo(DemoOptions {
        latency,
        ..Default::default()
    })
    .await;
    only_sources(&mut config, &[1244, 1245, 1246, 1247]);
    let engine = LookupEngine::new(&config).unwrap();
    let started = Instant::now();
    let results = engine.run_with(&customer(), &common::basket()).await;
    let wall = started.elapsed();
    assert!(results.iter().all(|r| r.status() == "ok"));
    // All four were in flight at once on the server: the structural proof.
    assert_eq!(server.stats().max_in_flight.load(Ordering::SeqCst), 4);
    // And the wall time is well under the 3.2 s a sequential lookup takes
    // (the bound leaves room for a loaded 2-core CI machine: 1.6 s was seen).
    println!("4 sources x {latency:?}: lookup took {wall:?}");
    assert!(wall < latency * 3, "lookup took {wall:?}");
}

#[tokio::test]
async fn a_failing_or_slow_source_never_affects_the_others() {
    let options = DemoOptions {
        faults: HashMap::from([
            (1245, Fault::Status(500)),
            (1246, Fault::Html),
            (1247, Fault::Hang),
        ]),
        source_latency: HashMap::from([(1248, ms(300))]),
        ..Default::default()
    };
    let (_server, mut config) = demo(options).await;
    // The hanging source's timeout is far from the others' answer times, so
    // a loaded CI machine cannot blur "did not wait" into "waited".
    config.yespo.timeout_ms = 2000;
    only_sources(&mut config, &[1244, 1245, 1246, 1247, 1248]);
    let results = LookupEngine::new(&config)
        .unwrap()
        .run_with(&customer(), &common::basket())
        .await;
    let status: Vec<&str> = results.iter().map(|r| r.status()).collect();
    assert_eq!(status, ["ok", "error", "error", "timeout", "ok"]);
    assert_eq!(
        results[1].outcome.as_ref().unwrap_err().to_string(),
        "HTTP 500 from data source 1245"
    );
    assert!(
        results[2]
            .outcome
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("HTML")
    );
    assert_eq!(
        results[3].outcome.as_ref().unwrap_err().to_string(),
        "no answer within 2000 ms"
    );
    assert!(results[3].elapsed >= ms(2000));
    // The fast ones did not wait for the hanging one.
    assert!(results[0].elapsed < ms(1500), "{:?}", results[0].elapsed);
    assert!(results[4].elapsed < ms(1500), "{:?}", results[4].elapsed);
}

#[tokio::test]
async fn http_errors_read_like_sentences() {
    let options = DemoOptions {
        faults: HashMap::from([
            (1244, Fault::Status(401)),
            (1245, Fault::Status(403)),
            (1246, Fault::Status(400)),
            (1248, Fault::Malformed),
        ]),
        ..Default::default()
    };
    let (_server, mut config) = demo(options).await;
    only_sources(&mut config, &[1244, 1245, 1246, 4242, 1248]);
    let results = LookupEngine::new(&config)
        .unwrap()
        .run_with(&customer(), &common::basket())
        .await;
    let errors: Vec<String> = results
        .iter()
        .map(|r| r.outcome.as_ref().unwrap_err().to_string())
        .collect();
    assert_eq!(errors[0], "API key rejected (HTTP 401)");
    assert!(errors[1].contains("HTTP 403"));
    assert!(errors[2].contains("HTTP 400"));
    assert_eq!(errors[3], "data source 4242 not found (HTTP 404)");
    assert!(errors[4].contains("malformed JSON"), "{}", errors[4]);
}

#[tokio::test]
async fn rate_limit_is_retried_once_and_then_answers() {
    let options = DemoOptions {
        faults: HashMap::from([(1244, Fault::RateLimitOnce)]),
        ..Default::default()
    };
    let (server, mut config) = demo(options).await;
    only_sources(&mut config, &[1244]);
    let results = LookupEngine::new(&config)
        .unwrap()
        .run_with(&customer(), &common::basket())
        .await;
    assert_eq!(results[0].status(), "ok");
    assert_eq!(
        server.stats().requests.load(Ordering::SeqCst),
        2,
        "exactly one retry"
    );
}

#[tokio::test]
async fn persistent_errors_are_not_retried_in_a_storm() {
    let options = DemoOptions {
        faults: HashMap::from([(1244, Fault::Status(503)), (1245, Fault::Status(500))]),
        ..Default::default()
    };
    let (server, mut config) = demo(options).await;
    only_sources(&mut config, &[1244, 1245]);
    let results = LookupEngine::new(&config)
        .unwrap()
        .run_with(&customer(), &common::basket())
        .await;
    assert!(results.iter().all(|r| r.status() == "error"));
    // 503 gets its one retry, 500 none.
    assert_eq!(server.stats().requests.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn huge_answers_are_cut_off_with_a_clear_error() {
    let options = DemoOptions {
        faults: HashMap::from([(1244, Fault::Huge(12))]),
        ..Default::default()
    };
    let (_server, mut config) = demo(options).await;
    only_sources(&mut config, &[1244, 1245]);
    config.yespo.max_response_bytes = 8 * 1024 * 1024;
    let results = LookupEngine::new(&config)
        .unwrap()
        .run_with(&customer(), &common::basket())
        .await;
    assert_eq!(
        results[0].outcome.as_ref().unwrap_err(),
        &SourceError::TooLarge(8 * 1024 * 1024)
    );
    assert_eq!(results[1].status(), "ok");
}

#[tokio::test]
async fn the_api_key_is_sent_as_basic_auth() {
    let options = DemoOptions {
        required_key: Some("k-123456789012".into()),
        ..Default::default()
    };
    let (_server, mut config) = demo(options).await;
    only_sources(&mut config, &[1245]);
    let without = LookupEngine::new(&config)
        .unwrap()
        .run_with(&customer(), &common::basket())
        .await;
    assert_eq!(
        without[0].outcome.as_ref().unwrap_err(),
        &SourceError::Unauthorized
    );
    config.yespo.api_key = Some(pos_recs::secret::ApiKey::new("k-123456789012"));
    let with = LookupEngine::new(&config)
        .unwrap()
        .run_with(&customer(), &common::basket())
        .await;
    assert_eq!(with[0].status(), "ok");
}

#[tokio::test]
async fn unknown_customers_get_empty_personal_sources_not_errors() {
    let (_server, mut config) = demo(DemoOptions::default()).await;
    only_sources(&mut config, &[1246, 1245]);
    let unknown = pos_recs::identify::identify("0670000000", None, "380").unwrap();
    let results = LookupEngine::new(&config).unwrap().run(&unknown).await;
    assert!(results[0].outcome.as_ref().unwrap().is_empty());
    assert!(!results[1].outcome.as_ref().unwrap().is_empty());
}

#[tokio::test]
async fn streamed_answers_carry_their_generation_and_arrive_fastest_first() {
    let options = DemoOptions {
        source_latency: HashMap::from([(1244, ms(400)), (1245, ms(10))]),
        ..Default::default()
    };
    let (_server, mut config) = demo(options).await;
    only_sources(&mut config, &[1244, 1245]);
    let engine = LookupEngine::new(&config).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _handle = engine.spawn(7, &customer(), tx, None);
    let first = rx.recv().await.unwrap();
    let second = rx.recv().await.unwrap();
    assert_eq!((first.generation, second.generation), (7, 7));
    assert_eq!(
        (first.result.index, second.result.index),
        (1, 0),
        "fast source first"
    );
}

#[tokio::test]
async fn aborting_a_lookup_stops_its_requests() {
    let options = DemoOptions {
        latency: ms(5_000),
        ..Default::default()
    };
    let (server, mut config) = demo(options).await;
    only_sources(&mut config, &[1244, 1245]);
    let engine = LookupEngine::new(&config).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = engine.spawn(1, &customer(), tx, None);
    // Wait until both requests reached the server, then supersede the lookup.
    let stats = server.stats();
    while stats.in_flight.load(Ordering::SeqCst) < 2 {
        tokio::time::sleep(ms(5)).await;
    }
    drop(handle);
    assert!(rx.recv().await.is_none(), "an aborted lookup sends nothing");
    // The server sees the connections go away.
    let deadline = Instant::now() + ms(3_000);
    while stats.in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        tokio::time::sleep(ms(10)).await;
    }
    assert_eq!(stats.in_flight.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn token_mode_uses_one_fresh_token_per_source_and_never_reuses_one() {
    let (server, mut config) = demo(DemoOptions::default()).await;
    config.yespo.auth = AuthMode::ContactToken;
    only_sources(&mut config, &[1244, 1245, 1246, 1247]);
    let results = LookupEngine::new(&config)
        .unwrap()
        .run_with(&customer(), &common::basket())
        .await;
    assert!(results.iter().all(|r| r.status() == "ok"), "{results:?}");
    let stats = server.stats();
    assert_eq!(
        stats.tokens_rejected.load(Ordering::SeqCst),
        0,
        "a token was reused"
    );
    assert_eq!(stats.requests.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn token_mode_recovers_from_a_revoked_token() {
    let options = DemoOptions {
        revoke_tokens: 2,
        ..Default::default()
    };
    let (server, mut config) = demo(options).await;
    config.yespo.auth = AuthMode::ContactToken;
    only_sources(&mut config, &[1244, 1245, 1246]);
    let results = LookupEngine::new(&config)
        .unwrap()
        .run_with(&customer(), &common::basket())
        .await;
    assert!(results.iter().all(|r| r.status() == "ok"), "{results:?}");
    assert_eq!(server.stats().tokens_rejected.load(Ordering::SeqCst), 0);
    assert_eq!(
        server.stats().requests.load(Ordering::SeqCst),
        5,
        "3 sources + 2 retries after 401"
    );
}

#[tokio::test]
async fn token_mode_unknown_customer_and_failing_token_endpoint() {
    let (server, mut config) = demo(DemoOptions::default()).await;
    config.yespo.auth = AuthMode::ContactToken;
    only_sources(&mut config, &[1244, 1245]);
    let engine = LookupEngine::new(&config).unwrap();
    let unknown = pos_recs::identify::identify("0670000000", None, "380").unwrap();
    let results = engine.run(&unknown).await;
    assert!(
        results
            .iter()
            .all(|r| r.outcome.as_ref().unwrap_err() == &SourceError::CustomerNotFound)
    );
    assert_eq!(
        server.stats().requests.load(Ordering::SeqCst),
        0,
        "no recommendation requests without a token"
    );

    server.set_options(DemoOptions {
        token_status: Some(500),
        ..Default::default()
    });
    let results = engine.run_with(&customer(), &common::basket()).await;
    let err = results[0].outcome.as_ref().unwrap_err().to_string();
    assert!(err.contains("token request failed (HTTP 500)"), "{err}");
}

#[tokio::test]
async fn plain_http_to_a_remote_host_is_refused_before_connecting() {
    let (_server, mut config) = demo(DemoOptions::default()).await;
    config.yespo.base_url = "http://192.0.2.1/api".into();
    let err = LookupEngine::new(&config).unwrap_err().to_string();
    assert!(err.contains("https"), "{err}");
}

#[tokio::test]
async fn a_dead_network_is_a_network_error_not_a_hang() {
    // Bind and drop a listener: the port is then (almost certainly) closed.
    let port = common::free_port();
    let (_server, mut config) = demo(DemoOptions::default()).await;
    config.yespo.base_url = format!("http://127.0.0.1:{port}/api");
    only_sources(&mut config, &[1244]);
    let results = LookupEngine::new(&config)
        .unwrap()
        .run_with(&customer(), &common::basket())
        .await;
    let err = results[0].outcome.as_ref().unwrap_err();
    assert!(err.is_offline(), "{err}");
    assert!(err.to_string().contains("cannot connect"), "{err}");
}

#[tokio::test]
async fn token_mode_retries_with_the_rotated_token_not_the_spent_one() {
    let options = DemoOptions {
        faults: HashMap::from([(1244, Fault::RateLimitOnce), (1245, Fault::RateLimitOnce)]),
        ..Default::default()
    };
    let (server, mut config) = demo(options).await;
    config.yespo.auth = AuthMode::ContactToken;
    only_sources(&mut config, &[1244, 1245]);
    let results = LookupEngine::new(&config)
        .unwrap()
        .run_with(&customer(), &common::basket())
        .await;
    assert!(results.iter().all(|r| r.status() == "ok"), "{results:?}");
    let stats = server.stats();
    assert_eq!(
        stats.tokens_rejected.load(Ordering::SeqCst),
        0,
        "a spent token was sent again"
    );
    assert_eq!(
        stats.requests.load(Ordering::SeqCst),
        4,
        "each source: 429, then OK"
    );
    // Two tokens requested (one per source), plus the rotated ones the server issued.
    assert_eq!(stats.tokens_issued.load(Ordering::SeqCst), 6);
}
