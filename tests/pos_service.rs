//! The POS link against the till service, headless (no window, no `gui`
//! feature), driven by a real HTTP client the way a POS drives it: a
//! request, then at once the next one.

use crate::common;

use std::time::Duration;

use pos_recs::config::{Config, ConfigOrigin, IntegrationConfig};
use pos_recs::demo::DemoOptions;
use pos_recs::secret::ApiKey;
use pos_recs::service::TillService;
use pos_recs::setup::Ready;
use serde_json::{Value, json};

const TOKEN: &str = "pos-token-for-service-tests";

fn linked(mut config: Config) -> Ready {
    config.history.enabled = false;
    config.integration = Some(IntegrationConfig {
        listen: "127.0.0.1:0".into(),
        token: Some(ApiKey::new(TOKEN)),
    });
    Ready {
        config,
        origin: ConfigOrigin::Demo,
        demo: None,
        setup_mode: false,
    }
}

struct Pos {
    http: reqwest::Client,
    base: String,
}

impl Pos {
    fn new(service: &TillService) -> Self {
        let address = service.pos_link_address().expect("the link is on");
        Self {
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            base: format!("http://{address}/v1"),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.bearer_auth(TOKEN).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn customer(&self, phone: &str) -> (u16, Value) {
        self.send(
            self.http
                .post(format!("{}/customer", self.base))
                .json(&json!({ "phone": phone })),
        )
        .await
    }

    async fn recommendations(&self) -> (u16, Value) {
        self.send(self.http.get(format!("{}/recommendations", self.base)))
            .await
    }

    async fn clear(&self) -> (u16, Value) {
        self.send(self.http.delete(format!("{}/customer", self.base)))
            .await
    }
}

/// A POS sends customer A, then customer B, then at once asks for the
/// recommendations: every answer is B's, with B's lookup number. After
/// DELETE has answered, the next GET is 404. 100 rounds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_answer_after_a_change_reflects_it() {
    let options = DemoOptions {
        latency: Duration::from_millis(30),
        ..DemoOptions::default()
    };
    let (_shop, config) = common::demo(options).await;
    let service = TillService::start(linked(config), tokio::runtime::Handle::current()).unwrap();
    let pos = Pos::new(&service);
    for round in 0..100 {
        // The document masks all but the last four digits: those differ.
        let a = format!("0671001{round:03}");
        let b = format!("0502002{round:03}");
        let (status, _) = pos.customer(&a).await;
        assert_eq!(status, 200);
        let (status, posted) = pos.customer(&b).await;
        assert_eq!(status, 200, "{posted}");
        let lookup = posted["lookup"]
            .as_u64()
            .expect("the answer names the lookup");
        let (status, document) = pos.recommendations().await;
        assert_eq!(status, 200, "round {round}: {document}");
        let shown = document["identifier"]["value"].as_str().unwrap_or_default();
        assert!(
            shown.ends_with(&b[b.len() - 4..]),
            "round {round}: customer A's document after B was posted: {shown}"
        );
        assert_eq!(document["lookup"].as_u64(), Some(lookup), "round {round}");
        if round % 10 == 0 {
            // Right after the answer, sources are still pending, not A's.
            let sources = document["sources"].as_array().unwrap();
            assert!(!sources.is_empty());
        }
        let (status, _) = pos.clear().await;
        assert_eq!(status, 200);
        let (status, after) = pos.recommendations().await;
        assert_eq!(
            status, 404,
            "round {round}: a document after DELETE: {after}"
        );
    }
}

/// A pick carries the lookup number, so a POS can tell whose it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn product_chosen_carries_the_lookup_number() {
    let (_shop, config) = common::demo(DemoOptions::default()).await;
    let service = TillService::start(linked(config), tokio::runtime::Handle::current()).unwrap();
    let pos = Pos::new(&service);
    let events = pos
        .http
        .get(format!("{}/events", pos.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    let (_, posted) = pos.customer("0671234567").await;
    let lookup = posted["lookup"].as_u64().unwrap();
    let product = pos_recs::yespo::Product {
        id: "SKU-1001".into(),
        name: "Dress".into(),
        ..Default::default()
    };
    service.product_chosen(1244, &product);
    let mut events = events;
    let chunk = tokio::time::timeout(Duration::from_secs(5), events.chunk())
        .await
        .expect("an event within 5 s")
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&chunk);
    assert!(text.contains("event: product_chosen"), "{text}");
    assert!(text.contains(&format!("\"lookup\":{lookup}")), "{text}");
}

/// Bad input through the link changes nothing on screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_customer_leaves_the_screen_as_it_was() {
    let (_shop, config) = common::demo(DemoOptions::default()).await;
    let service = TillService::start(linked(config), tokio::runtime::Handle::current()).unwrap();
    let pos = Pos::new(&service);
    let (_, good) = pos.customer("0671234567").await;
    let (status, bad) = pos.customer("067-ABC").await;
    assert_eq!(status, 400, "{bad}");
    let (_, document) = pos.recommendations().await;
    assert_eq!(document["lookup"], good["lookup"]);
    // 10 MB: refused at once, unread. The till may answer 413 and close
    // while the client is still writing, which the client sees as a broken
    // connection: either way nothing is taken.
    let huge = "9".repeat(10 * 1024 * 1024);
    let sent = pos
        .http
        .post(format!("{}/customer", pos.base))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await;
    match sent {
        Ok(response) => assert_eq!(response.status(), 413),
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
    let (status, document) = pos.recommendations().await;
    assert_eq!(status, 200, "the till still serves: {document}");
    assert_eq!(
        document["lookup"], good["lookup"],
        "the huge body changed the screen"
    );
}

/// The manager's "Save" is a service operation, without a window: an
/// unusable configuration is refused with nothing written; a good one is
/// written and the till works with it at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_are_saved_and_applied_by_the_service() {
    let (_shop, config) = common::demo(DemoOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    config.save(&path).unwrap();
    let mut ready = linked(config.clone());
    ready.origin = ConfigOrigin::File(path.clone());
    let service = TillService::start(ready, tokio::runtime::Handle::current()).unwrap();
    let job = service.save_job().unwrap();
    assert_eq!(job.path(), path);
    let mut bad = config.clone();
    bad.yespo.base_url = "http://example.com/api".into();
    let before = std::fs::read_to_string(&path).unwrap();
    let refused = tokio::task::spawn_blocking({
        let job = job.clone();
        move || job.write(&bad)
    })
    .await
    .unwrap();
    assert!(refused.is_err());
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        before,
        "nothing written"
    );
    let mut good = config.clone();
    good.display.currency = "EUR".into();
    let written = tokio::task::spawn_blocking({
        let (job, good) = (job.clone(), good.clone());
        move || job.write(&good)
    })
    .await
    .unwrap();
    assert!(written.is_ok(), "{written:?}");
    service.apply_saved(good, &path).unwrap();
    assert_eq!(service.config().display.currency, "EUR");
    assert!(std::fs::read_to_string(&path).unwrap().contains("EUR"));
}
