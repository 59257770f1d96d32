//! Central sources per store: a loopback file server with ETags plays the
//! chain; the till picks up a change within the poll interval, refuses a
//! broken file and keeps the last good copy, also across a restart.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use pos_recs::config::{Config, FleetConfig};
use pos_recs::fleet::Fleet;

/// The store files the chain serves (store name → text), and a request count.
type Files = Arc<Mutex<(std::collections::HashMap<String, String>, usize)>>;

async fn chain() -> (String, Files) {
    let files: Files = Arc::default();
    async fn serve(
        State(files): State<Files>,
        Path(store): Path<String>,
        headers: HeaderMap,
    ) -> axum::response::Response {
        let mut guard = files.lock().unwrap();
        guard.1 += 1;
        let Some(text) = guard.0.get(store.trim_end_matches(".toml")).cloned() else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let etag = format!(
            "\"{:x}\"",
            text.len() * 31 + text.bytes().map(usize::from).sum::<usize>()
        );
        if headers
            .get("if-none-match")
            .is_some_and(|v| v == etag.as_str())
        {
            return StatusCode::NOT_MODIFIED.into_response();
        }
        ([("etag", etag)], text).into_response()
    }
    let app = axum::Router::new()
        .route("/stores/{store}", get(serve))
        .with_state(files.clone());
    let base = format!("http://{}", common::serve_router(app).await);
    (base, files)
}

fn own(base: &str) -> (Config, FleetConfig) {
    let mut config = Config::default();
    config.yespo.api_key = Some(pos_recs::secret::ApiKey::new("k"));
    config.sources = vec![pos_recs::config::SourceConfig {
        id: 1,
        title: "Till's own".into(),
        ..Default::default()
    }];
    let fleet = FleetConfig {
        config_url: format!("{base}/stores/{{store}}.toml"),
        store: "kyiv-01".into(),
        poll_seconds: 1,
        till: None,
        report_url: None,
    };
    config.fleet = Some(fleet.clone());
    (config, fleet)
}

/// The next store file, merged into `own` as the till would.
async fn next(fleet: &mut Fleet, own: &Config, what: &str) -> Config {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(file) = fleet.next_update() {
            return file.merged_into(own).expect("a checked file merges");
        }
        assert!(Instant::now() < deadline, "no update: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn ids(config: &Config) -> Vec<u64> {
    config.sources.iter().map(|s| s.id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_central_change_arrives_and_a_broken_file_never_replaces_the_last_good_one() {
    let (base, files) = chain().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("fleet-kyiv-01.toml");
    files.lock().unwrap().0.insert(
        "kyiv-01".into(),
        "[[sources]]\nid = 1246\ntitle = \"Chain personal\"\n[[sources]]\nid = 1245\n[display]\ncurrency = \"UAH\"\ntheme = \"dark\"\n".into(),
    );
    let (config, fleet_config) = own(&base);
    let runtime = tokio::runtime::Handle::current();
    let mut fleet = Fleet::start(
        config.clone(),
        &fleet_config,
        Some(cache.clone()),
        &runtime,
        None,
    );
    let first = next(&mut fleet, &config, "first fetch").await;
    assert_eq!(ids(&first), [1246, 1245]);
    assert_eq!(first.display.currency, "UAH", "the chain's card keys apply");
    assert_eq!(
        first.display.theme, config.display.theme,
        "the theme is the till's own"
    );
    assert_eq!(
        first.yespo.api_key, config.yespo.api_key,
        "the till's own keys stay"
    );
    assert!(fleet.status().managed && fleet.status().problem.is_none());
    // Unchanged: asked again with If-None-Match, no update.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert!(fleet.next_update().is_none());
    assert!(files.lock().unwrap().1 >= 2, "polled again");
    // The chain changes the store's sources: the till has them within the interval.
    files
        .lock()
        .unwrap()
        .0
        .insert("kyiv-01".into(), "[[sources]]\nid = 1249\n".into());
    let changed = next(&mut fleet, &config, "the change").await;
    assert_eq!(ids(&changed), [1249]);
    // A broken file (duplicate ids) and an unreadable one: refused, said so.
    for broken in [
        "[[sources]]\nid = 7\n[[sources]]\nid = 7\n",
        "this is not toml [",
    ] {
        files
            .lock()
            .unwrap()
            .0
            .insert("kyiv-01".into(), broken.into());
        let deadline = Instant::now() + Duration::from_secs(10);
        while fleet.status().problem.is_none() {
            assert!(
                Instant::now() < deadline,
                "no problem reported for {broken:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            fleet.next_update().is_none(),
            "a broken file replaced the good one"
        );
        let kept = std::fs::read_to_string(&cache).unwrap();
        assert!(kept.contains("1249"), "the last good copy on disk: {kept}");
        files
            .lock()
            .unwrap()
            .0
            .insert("kyiv-01".into(), "[[sources]]\nid = 1249\n".into());
        while fleet.status().problem.is_some() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    drop(fleet);
    // The chain is unreachable at the next start: the kept copy serves.
    files.lock().unwrap().0.clear();
    let mut restarted = Fleet::start(config.clone(), &fleet_config, Some(cache), &runtime, None);
    let kept = next(&mut restarted, &config, "the kept copy").await;
    assert_eq!(ids(&kept), [1249]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while restarted.status().problem.is_none() {
        assert!(
            Instant::now() < deadline,
            "the failed fetch is not reported"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A till service managed by the chain, its store file named uniquely.
fn managed(base: &str, store: &str, own: Config) -> pos_recs::service::TillService {
    let mut config = own;
    config.history.enabled = false;
    config.fleet = Some(FleetConfig {
        config_url: format!("{base}/stores/{{store}}.toml"),
        store: store.into(),
        poll_seconds: 1,
        till: None,
        report_url: None,
    });
    let ready = pos_recs::setup::Ready {
        config,
        origin: pos_recs::config::ConfigOrigin::Demo,
        demo: None,
        setup_mode: false,
    };
    pos_recs::service::TillService::start(ready, tokio::runtime::Handle::current()).unwrap()
}

async fn until(
    service: &pos_recs::service::TillService,
    what: &str,
    done: impl Fn(&Config) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done(&service.config()) {
        assert!(Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// After a manager's Save changed the key, the next change of the store
/// file merges into the configuration in force: the new key stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_change_after_a_save_keeps_the_managers_new_key() {
    let (base, files) = chain().await;
    let store = format!("svc-save-{}", std::process::id());
    files
        .lock()
        .unwrap()
        .0
        .insert(store.clone(), "[[sources]]\nid = 1246\n".into());
    let (config, _) = own(&base);
    let service = managed(&base, &store, config);
    until(&service, "the chain's sources", |c| ids(c) == [1246]).await;
    // The manager saves a new key (and a PIN) in the settings.
    let mut saved = (*service.config()).clone();
    saved.yespo.api_key = Some(pos_recs::secret::ApiKey::new("the-new-key"));
    saved.manager.pin_hash = Some("$argon2id$saved".into());
    service.reconfigure(saved).unwrap();
    files
        .lock()
        .unwrap()
        .0
        .insert(store.clone(), "[[sources]]\nid = 1249\n".into());
    until(&service, "the chain's change", |c| ids(c) == [1249]).await;
    let now = service.config();
    assert_eq!(
        now.yespo.api_key.as_ref().map(|k| k.expose().to_string()),
        Some("the-new-key".to_string()),
        "the chain's file rolled the key back"
    );
    assert_eq!(now.manager.pin_hash.as_deref(), Some("$argon2id$saved"));
}

/// A store file with only `currency` changes the currency and nothing of
/// the till's own: kiosk, touch and the customer screen stay as they were.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_file_with_only_currency_leaves_the_tills_own_display_alone() {
    let (base, files) = chain().await;
    let store = format!("svc-display-{}", std::process::id());
    files.lock().unwrap().0.insert(
        store.clone(),
        "[[sources]]\nid = 1246\n[display]\ncurrency = \"UAH\"\n".into(),
    );
    let (mut config, _) = own(&base);
    config.display.kiosk = true;
    config.display.touch = true;
    config.display.customer_screen = pos_recs::config::CustomerScreen::Window;
    config.display.theme = pos_recs::config::ThemeChoice::Dark;
    let service = managed(&base, &store, config.clone());
    until(&service, "the chain's currency", |c| {
        c.display.currency == "UAH"
    })
    .await;
    let now = service.config();
    assert!(now.display.kiosk, "kiosk turned off by the chain");
    assert!(now.display.touch);
    assert_eq!(now.display.customer_screen, config.display.customer_screen);
    assert_eq!(now.display.theme, config.display.theme);
    assert_eq!(now.display.image_field, config.display.image_field);
    // A store file naming the till's own keys: used, and those ignored.
    files.lock().unwrap().0.insert(
        store.clone(),
        "[[sources]]\nid = 1249\n[display]\nkiosk = false\ntouch = false\n".into(),
    );
    until(&service, "the second file", |c| ids(c) == [1249]).await;
    assert!(service.config().display.kiosk && service.config().display.touch);
}

/// The chain's `[experiment]` key reaches the till, so one customer is in
/// the same comparison group at every till; a file without it keeps the till's.
#[test]
fn the_chain_may_set_the_comparison_group_and_its_key() {
    let mut current = pos_recs::config::Config::default();
    current.experiment.holdout_percent = 5;
    let key = "cd".repeat(32);
    let text =
        format!("[[sources]]\nid = 1\n[experiment]\nholdout_percent = 20\nkey = \"{key}\"\n");
    let merged = pos_recs::fleet::StoreFile::apply(&text, &current).unwrap();
    assert_eq!(merged.experiment.holdout_percent, 20);
    assert_eq!(
        merged.experiment.key.as_ref().map(|k| k.expose()),
        Some(key.as_str())
    );
    let merged = pos_recs::fleet::StoreFile::apply("[[sources]]\nid = 1\n", &current).unwrap();
    assert_eq!(merged.experiment.holdout_percent, 5);
    // Out of bounds is refused like any other bad store file.
    let bad = "[[sources]]\nid = 1\n[experiment]\nholdout_percent = 80\n";
    assert!(pos_recs::fleet::StoreFile::apply(bad, &current).is_err());
}
