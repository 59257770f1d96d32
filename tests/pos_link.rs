//! The POS link end to end: the cashier window (kittest) with its local API
//! on loopback, driven by a real HTTP client as a POS program would.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pos_recs::config::{CardField, Config, ConfigOrigin, IntegrationConfig};
use pos_recs::demo::DemoOptions;
use pos_recs::secret::ApiKey;
use pos_recs::ui::CashierApp;
use serde_json::{Value, json};

const TOKEN: &str = "pos-token-for-tests";

use crate::common::window;

use window::{settled, step_until};

/// A demo shop and an HTTP client playing the POS.
struct World {
    shop: window::World,
    http: reqwest::Client,
}

impl std::ops::Deref for World {
    type Target = window::World;
    fn deref(&self) -> &window::World {
        &self.shop
    }
}

fn world() -> World {
    World {
        shop: window::world(DemoOptions::default()),
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
    }
}

fn linked_config(w: &World) -> Config {
    let mut config = w.server.config();
    config.integration = Some(IntegrationConfig {
        listen: "127.0.0.1:0".into(),
        token: Some(ApiKey::new(TOKEN)),
    });
    config
}

fn till(w: &World, config: Config) -> (Harness<'static, CashierApp>, String) {
    let mut h = w.till(config, ConfigOrigin::Demo, false, egui::vec2(1280.0, 900.0));
    h.step();
    let address = h.state().pos_link_address().expect("the link is on");
    (h, format!("http://{address}/v1"))
}

/// Sends a request and returns status and JSON body.
fn call(w: &World, request: reqwest::RequestBuilder) -> (u16, Value) {
    w.runtime.block_on(async {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    })
}

#[test]
fn without_the_token_nothing_is_done_and_nothing_leaks() {
    let w = world();
    let (mut h, base) = till(&w, linked_config(&w));
    h.state_mut()
        .start_lookup(pos_recs::identify::identify("0671234567", None, "380").unwrap());
    step_until(&mut h, "answers", settled);
    h.step();
    for token in [None, Some("wrong-token")] {
        let with = |r: reqwest::RequestBuilder| match token {
            Some(t) => r.bearer_auth(t),
            None => r,
        };
        let requests = [
            with(w.http.get(format!("{base}/recommendations"))),
            with(w.http.get(format!("{base}/events"))),
            with(w.http.delete(format!("{base}/customer"))),
            with(
                w.http
                    .post(format!("{base}/customer"))
                    .json(&json!({"phone": "0501112233"})),
            ),
            with(
                w.http
                    .put(format!("{base}/basket"))
                    .json(&json!({"products": ["A"]})),
            ),
        ];
        for request in requests {
            let (status, body) = call(&w, request);
            assert_eq!(status, 401, "{body}");
            let text = body.to_string();
            assert!(!text.contains("4567") && !text.contains("SKU"), "{text}");
        }
    }
    h.step();
    let session = h.state().session().expect("the customer is still there");
    assert_eq!(session.customer.value(), "380671234567");
}

#[test]
fn a_customer_from_the_pos_is_shown_and_the_document_follows_the_screen() {
    let w = world();
    let (mut h, base) = till(&w, linked_config(&w));
    let (status, _) = call(
        &w,
        w.http
            .get(format!("{base}/recommendations"))
            .bearer_auth(TOKEN),
    );
    assert_eq!(status, 404, "no customer yet");
    let (status, body) = call(
        &w,
        w.http
            .post(format!("{base}/customer"))
            .bearer_auth(TOKEN)
            .json(&json!({"phone": "067 123 4567", "products": ["SKU-1001", "SKU-1004"]})),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["customer"], "380*****4567");
    step_until(&mut h, "answers", settled);
    h.step();
    assert!(
        h.query_by_label_contains("Customer: Phone 380*****4567")
            .is_some()
    );
    assert_eq!(h.state().basket().products, ["SKU-1001", "SKU-1004"]);
    let (status, doc) = call(
        &w,
        w.http
            .get(format!("{base}/recommendations"))
            .bearer_auth(TOKEN),
    );
    assert_eq!(status, 200);
    assert_eq!(doc["identifier"]["kind"], "phone");
    assert_eq!(doc["identifier"]["value"], "380*****4567", "masked");
    let sources = doc["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 6);
    assert!(sources.iter().all(|s| s["status"] == "ok"), "{doc}");
    // The basket went along: the cross-sell source answered from it.
    let cross_sell = sources.iter().find(|s| s["id"] == 1247).unwrap();
    assert!(!cross_sell["products"].as_array().unwrap().is_empty());

    // A new basket: only the sources using it are asked again.
    let (status, _) = call(
        &w,
        w.http
            .put(format!("{base}/basket"))
            .bearer_auth(TOKEN)
            .json(&json!({"products": ["SKU-1041"], "category": "bags"})),
    );
    assert_eq!(status, 200);
    step_until(&mut h, "the basket", |app| {
        app.basket().products == ["SKU-1041"] && settled(app)
    });

    // Clear: the document goes, the screen empties.
    let (status, _) = call(
        &w,
        w.http.delete(format!("{base}/customer")).bearer_auth(TOKEN),
    );
    assert_eq!(status, 200);
    step_until(&mut h, "cleared", |app| app.session().is_none());
    assert!(h.state().basket().is_empty());
    let (status, _) = call(
        &w,
        w.http
            .get(format!("{base}/recommendations"))
            .bearer_auth(TOKEN),
    );
    assert_eq!(status, 404);
}

#[test]
fn bad_requests_get_a_clear_error_and_take_nothing_down() {
    let w = world();
    let (mut h, base) = till(&w, linked_config(&w));
    let post = |body: reqwest::Body| {
        w.http
            .post(format!("{base}/customer"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(body)
    };
    let many: Vec<String> = (0..10_000).map(|i| format!("SKU-{i}")).collect();
    let cases: Vec<(reqwest::Body, u16, &str)> = vec![
        ("{not json".into(), 400, "JSON"),
        (
            json!({"phone": "1", "colour": "red"}).to_string().into(),
            400,
            "JSON",
        ),
        (
            json!({"phone": "0671234567", "card": "2000123456789"})
                .to_string()
                .into(),
            400,
            "exactly one",
        ),
        (
            json!({"phone": "+38 (067) ABC"}).to_string().into(),
            400,
            "phone",
        ),
        (
            json!({"card": "2000123456789", "products": many})
                .to_string()
                .into(),
            400,
            "too many",
        ),
    ];
    // 10 MB: refused from its Content-Length with 413, and the connection
    // closed before the rest is read (the client may see only the close).
    let huge = w
        .runtime
        .block_on(async { post(vec![b' '; 10 * 1024 * 1024].into()).send().await });
    match huge {
        Ok(response) => assert_eq!(response.status().as_u16(), 413),
        Err(e) => assert!(e.is_request(), "{e}"),
    }
    for (body, want, says) in cases {
        let (status, body) = call(&w, post(body));
        assert_eq!(status, want, "{body}");
        let message = body["error"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{message:?} should say {says:?}");
    }
    h.step();
    assert!(h.state().session().is_none(), "nothing was looked up");
    // Still serving.
    let (status, _) = call(
        &w,
        w.http
            .post(format!("{base}/customer"))
            .bearer_auth(TOKEN)
            .json(&json!({"card": "2000123456789"})),
    );
    assert_eq!(status, 200);
}

/// The manager changes how cards are read (settings, or the chain's file):
/// the POS link reads customers by the new rules at once, as the window
/// does, with no restart.
#[test]
fn a_new_configuration_changes_what_the_link_accepts() {
    let w = world();
    let mut config = linked_config(&w);
    config.yespo.card_identifies_as = CardField::ContactId;
    let (mut h, base) = till(&w, config.clone());
    let post_card = || {
        w.http
            .post(format!("{base}/customer"))
            .bearer_auth(TOKEN)
            .json(&json!({"card": "LOYAL-77"}))
    };
    let (status, body) = call(&w, post_card());
    assert_eq!(status, 400, "contactId takes numbers only: {body}");

    config.yespo.card_identifies_as = CardField::ExternalCustomerId;
    h.state_mut().apply_config(config).unwrap();
    let (status, body) = call(&w, post_card());
    assert_eq!(status, 200, "{body}");
    step_until(&mut h, "the card is looked up", |app| {
        app.session().is_some()
    });
}

#[test]
fn add_to_sale_reaches_the_pos_as_an_event() {
    let w = world();
    let (mut h, base) = till(&w, linked_config(&w));
    // The POS listens first.
    let mut events = w.runtime.block_on(async {
        w.http
            .get(format!("{base}/events"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
    });
    assert_eq!(events.status(), 200);
    h.state_mut()
        .start_lookup(pos_recs::identify::identify("0671234567", None, "380").unwrap());
    step_until(&mut h, "answers", settled);
    h.step();
    let (name, source_id) = {
        let section = &h.state().session().unwrap().sections[0];
        match &section.state {
            pos_recs::session::SectionState::Loaded { products, .. } => {
                (products[0].name.clone(), section.source.id)
            }
            other => panic!("{other:?}"),
        }
    };
    h.get_by_label(&name).click();
    h.step();
    h.step();
    h.get_by_label("Add to sale (F4)").click();
    h.step();
    h.step();
    assert!(h.query_by_label_contains("Added to the sale:").is_some());
    let received = w.runtime.block_on(async {
        let mut text = String::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !text.contains("product_chosen") && Instant::now() < deadline {
            match tokio::time::timeout(Duration::from_secs(5), events.chunk()).await {
                Ok(Ok(Some(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
                _ => break,
            }
        }
        text
    });
    assert!(received.contains("event: product_chosen"), "{received}");
    assert!(received.contains(&name), "{received}");
    assert!(
        received.contains(&format!("\"source_id\":{source_id}")),
        "{received}"
    );
    assert!(!received.contains("380671234567"), "never the customer");
    // Esc ends the sale: the POS hears of it too.
    h.key_press(egui::Key::Escape);
    h.step();
    let cleared = w.runtime.block_on(async {
        match tokio::time::timeout(Duration::from_secs(5), events.chunk()).await {
            Ok(Ok(Some(chunk))) => String::from_utf8_lossy(&chunk).into_owned(),
            _ => String::new(),
        }
    });
    assert!(cleared.contains("customer_cleared"), "{cleared}");
}

#[test]
fn without_a_pos_link_the_details_show_the_sku_as_a_barcode() {
    let w = world();
    let (mut h, _) = till(&w, linked_config(&w));
    drop(h);
    // Same till, no [integration]: no Add to sale, a barcode instead.
    h = w.till(
        w.server.config(),
        ConfigOrigin::Demo,
        false,
        egui::vec2(1280.0, 900.0),
    );
    h.step();
    h.state_mut()
        .start_lookup(pos_recs::identify::identify("0671234567", None, "380").unwrap());
    step_until(&mut h, "answers", settled);
    h.step();
    let (name, id) = match &h.state().session().unwrap().sections[0].state {
        pos_recs::session::SectionState::Loaded { products, .. } => {
            (products[0].name.clone(), products[0].id.clone())
        }
        other => panic!("{other:?}"),
    };
    h.get_by_label(&name).click();
    h.step();
    h.step();
    assert!(h.query_by_label(&format!("Barcode {id}")).is_some());
    assert!(h.query_by_label("Add to sale (F4)").is_none());
}

/// The POS sends a customer, or ends the sale, while a card is being
/// scanned into the till: the scan is not cut in two. What had arrived
/// stays in the input, the rest follows, and the whole card is looked up,
/// never its tail.
#[test]
fn the_pos_never_cuts_a_scan_in_progress() {
    let w = world();
    let (mut h, base) = till(&w, linked_config(&w));
    let input = pos_recs::ui::lookup_bar::INPUT_LABEL;
    let customer = window::customer_on_screen;
    use pos_recs::identify::IdentifierKind::{Card, Phone};

    h.get_by_label(input).type_text("20001");
    h.step();
    let (status, _) = call(
        &w,
        w.http
            .post(format!("{base}/customer"))
            .bearer_auth(TOKEN)
            .json(&json!({"phone": "067 123 4567"})),
    );
    assert_eq!(status, 200);
    step_until(&mut h, "the POS's customer", |app| app.session().is_some());
    assert_eq!(customer(&h), Some((Phone, "380671234567".into())));
    h.get_by_label(input).type_text("23456789");
    h.step();
    h.key_press(egui::Key::Enter);
    h.step();
    assert_eq!(customer(&h), Some((Card, "2000123456789".into())));

    h.get_by_label(input).type_text("20009");
    h.step();
    let (status, _) = call(
        &w,
        w.http.delete(format!("{base}/customer")).bearer_auth(TOKEN),
    );
    assert_eq!(status, 200);
    step_until(&mut h, "cleared", |app| app.session().is_none());
    h.get_by_label(input).type_text("87654321");
    h.step();
    h.key_press(egui::Key::Enter);
    h.step();
    assert_eq!(customer(&h), Some((Card, "2000987654321".into())));
}
