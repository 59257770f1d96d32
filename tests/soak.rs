//! A shift at the till, compressed: 2,000 lookups against the demo server
//! with random faults and latencies, many superseded mid-flight, all
//! answers arriving on one channel as in the app. Checks that no answer is
//! ever shown under the wrong customer, that tasks and connections go back
//! to baseline, and that memory stays flat.
//!
//! Ignored by default (about a minute). Run:
//! `cargo test --release --test suite -- --ignored --nocapture soak::`

use crate::common;

use std::time::{Duration, Instant};

use pos_recs::demo::{DemoFeed, DemoOptions, DemoServer, Fault};
use pos_recs::identify::identify;
use pos_recs::lookup::LookupEngine;
use pos_recs::session::{SectionState, Session};

const LOOKUPS: usize = 2000;
const TIME_BOUND: Duration = Duration::from_secs(240);

/// xorshift64*: reproducible randomness without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Resident memory in KiB (Linux).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

fn random_options(rng: &mut Rng) -> DemoOptions {
    let mut options = DemoOptions {
        latency: Duration::from_millis(rng.below(15)),
        ..Default::default()
    };
    for id in [1244, 1245, 1246, 1247, 1248, 1249] {
        let fault = match rng.below(40) {
            0 => Some(Fault::Status(500)),
            1 => Some(Fault::Html),
            2 => Some(Fault::Hang),
            3 => Some(Fault::Malformed),
            4 => Some(Fault::RateLimitOnce),
            5 => Some(Fault::Status(503)),
            _ => None,
        };
        if let Some(f) = fault {
            options.faults.insert(id, f);
        }
        if rng.below(10) == 0 {
            options
                .source_latency
                .insert(id, Duration::from_millis(rng.below(120)));
        }
    }
    options
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "soak test: run on purpose, see the module docs"]
async fn a_long_shift_leaks_nothing_and_never_mixes_customers() {
    let started = Instant::now();
    let handle = tokio::runtime::Handle::current();
    let baseline_tasks = handle.metrics().num_alive_tasks();
    let server = DemoServer::start(DemoOptions::default()).await.unwrap();
    let mut config = server.config();
    config.yespo.timeout_ms = 200;
    let feed = DemoFeed::embedded().unwrap();
    let personal_index = config.sources.iter().position(|s| s.id == 1246).unwrap();
    let engine = LookupEngine::new(&config).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let (mut faults_injected, mut refused_late, mut accepted, mut superseded) =
        (0usize, 0usize, 0usize, 0usize);
    let mut rss_after_warmup = 0;
    let customers: Vec<String> = (0..50)
        .map(|i| format!("06712{:05}", 10_000 + i * 37))
        .collect();
    let mut handle_alive = None;

    for n in 0..LOOKUPS {
        assert!(
            started.elapsed() < TIME_BOUND,
            "soak exceeded its time bound at lookup {n}"
        );
        let options = random_options(&mut rng);
        faults_injected += options.faults.len();
        server.set_options(options);
        let who = identify(
            &customers[rng.below(customers.len() as u64) as usize],
            None,
            "380",
        )
        .unwrap();
        let generation = n as u64 + 1;
        let mut session = Session::new(generation, who.clone(), engine.sources());
        // A new lookup supersedes the previous one (its handle is dropped = aborted).
        handle_alive = Some(engine.spawn(generation, &who, tx.clone(), None));
        let supersede_early = rng.below(4) == 0;
        let deadline = Instant::now()
            + if supersede_early {
                Duration::from_millis(rng.below(20))
            } else {
                Duration::from_secs(2)
            };
        while !session.is_settled() {
            let Ok(Some(event)) = tokio::time::timeout_at(deadline.into(), rx.recv()).await else {
                superseded += 1;
                break;
            };
            if session.apply(event) {
                accepted += 1;
            } else {
                refused_late += 1;
            }
        }
        // Whatever was accepted belongs to this customer.
        if let SectionState::Loaded { products, .. } = &session.sections[personal_index].state {
            let expected: Vec<String> = feed
                .recommend(1246, who.value(), &server.base_url(), &Default::default())
                .unwrap()
                .iter()
                .take(config.sources[personal_index].max_cards)
                .map(|v| v["name"].as_str().unwrap_or_default().to_string())
                .collect();
            let got: Vec<String> = products.iter().map(|p| p.name.clone()).collect();
            assert_eq!(
                got, expected,
                "lookup {n}: personal cards of another customer"
            );
        }
        if n == 200 {
            rss_after_warmup = rss_kib();
        }
    }
    drop(handle_alive);
    server.set_options(DemoOptions::default());
    let rss_end = rss_kib();
    drop(engine); // closes pooled connections
    drop(server);
    drop(tx);
    while rx.try_recv().is_ok() {}
    // Tasks (source workers, server connections) wind down to the baseline.
    let wait_until = Instant::now() + Duration::from_secs(10);
    let mut alive = handle.metrics().num_alive_tasks();
    while alive > baseline_tasks && Instant::now() < wait_until {
        tokio::time::sleep(Duration::from_millis(50)).await;
        alive = handle.metrics().num_alive_tasks();
    }
    println!(
        "soak: {LOOKUPS} lookups in {:.1} s; faults injected {faults_injected}; answers accepted {accepted}, \
         late answers refused {refused_late}, lookups superseded {superseded}; \
         RSS after warm-up {} KiB, at end {} KiB; tasks alive {alive} (baseline {baseline_tasks})",
        started.elapsed().as_secs_f64(),
        rss_after_warmup,
        rss_end
    );
    assert_eq!(alive, baseline_tasks, "leaked tasks");
    assert!(
        rss_end <= rss_after_warmup + 16 * 1024,
        "memory grew from {rss_after_warmup} to {rss_end} KiB"
    );
}

/// A POS polls `GET /v1/recommendations` 50 times a second while another
/// part of it sends a new customer every 200 ms (lookups running all the
/// time). No document is ever older than the last customer whose `POST`
/// had answered before the `GET` went, and memory stays flat.
///
/// Ignored by default: 5 minutes (`SOAK_SECONDS` to change). Run:
/// `cargo test --release --test suite -- --ignored --nocapture soak::pos_link`
#[test]
#[ignore = "soak test: run on purpose, see its docs"]
fn pos_link_polled_at_50_per_second_never_serves_a_stale_document() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let seconds: u64 = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let options = DemoOptions {
            latency: Duration::from_millis(80),
            ..DemoOptions::default()
        };
        let (_shop, mut config) = common::demo(options).await;
        config.history.enabled = false;
        config.integration = Some(pos_recs::config::IntegrationConfig {
            listen: "127.0.0.1:0".into(),
            token: Some(pos_recs::secret::ApiKey::new("soak")),
        });
        let ready = pos_recs::setup::Ready {
            config,
            origin: pos_recs::config::ConfigOrigin::Demo,
            demo: None,
            setup_mode: false,
        };
        let service = pos_recs::service::TillService::start(ready, tokio::runtime::Handle::current())
            .unwrap();
        let base = format!("http://{}/v1", service.pos_link_address().unwrap());
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        // The lookup number of the last POST that answered, and whose it was.
        let answered = Arc::new(AtomicU64::new(0));
        let customers: Arc<std::sync::Mutex<std::collections::HashMap<u64, String>>> =
            Arc::default();
        let end = Instant::now() + Duration::from_secs(seconds);
        let poster = {
            let (http, base, answered, customers) =
                (http.clone(), base.clone(), answered.clone(), customers.clone());
            tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < end {
                    let phone = format!("067{:07}", n % 10_000_000);
                    let body: serde_json::Value = http
                        .post(format!("{base}/customer"))
                        .bearer_auth("soak")
                        .json(&serde_json::json!({ "phone": phone }))
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    let lookup = body["lookup"].as_u64().unwrap();
                    let masked = body["customer"].as_str().unwrap().to_string();
                    customers.lock().unwrap().insert(lookup, masked);
                    answered.store(lookup, Ordering::SeqCst);
                    n += 1;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                n
            })
        };
        let mut polls = 0u64;
        let mut interval = tokio::time::interval(Duration::from_millis(20));
        let mut baseline = None;
        let started = Instant::now();
        while Instant::now() < end {
            interval.tick().await;
            let before = answered.load(Ordering::SeqCst);
            let response = http
                .get(format!("{base}/recommendations"))
                .bearer_auth("soak")
                .send()
                .await
                .unwrap();
            if response.status() == 404 {
                assert_eq!(before, 0, "404 after a customer was posted");
                continue;
            }
            let document: serde_json::Value = response.json().await.unwrap();
            let lookup = document["lookup"].as_u64().unwrap();
            assert!(
                lookup >= before,
                "a stale document: lookup {lookup} after {before} had answered"
            );
            if let Some(masked) = customers.lock().unwrap().get(&lookup) {
                assert_eq!(document["identifier"]["value"].as_str(), Some(masked.as_str()));
            }
            polls += 1;
            if baseline.is_none() && started.elapsed() > Duration::from_secs(seconds / 5) {
                baseline = Some(rss_kib());
            }
        }
        let posted = poster.await.unwrap();
        let grown = rss_kib().saturating_sub(baseline.unwrap_or(0));
        println!(
            "pos link soak: {polls} polls, {posted} customers in {seconds} s; memory grew {grown} KiB after warm-up"
        );
        assert!(polls >= seconds * 40, "only {polls} polls");
        assert!(grown < 30 * 1024, "memory grew {grown} KiB");
    });
}
