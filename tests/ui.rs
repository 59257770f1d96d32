//! The cashier screen driven like a cashier drives it (egui_kittest),
//! against the demo server on loopback.

use crate::common;

use std::collections::HashMap;
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pos_recs::config::{Config, ConfigOrigin};
use pos_recs::demo::{DemoOptions, DemoServer, Fault};
use pos_recs::identify::identify;
use pos_recs::lookup::LookupEngine;
use pos_recs::session::SectionState;
use pos_recs::ui::CashierApp;
use pos_recs::ui::lookup_bar::INPUT_LABEL;

use crate::common::window;

use window::{World, enter, settled, step_until, world};

fn harness(world: &World, config: Config) -> Harness<'static, CashierApp> {
    harness_sized(world, config, egui::vec2(1280.0, 900.0))
}

fn harness_sized(world: &World, config: Config, size: egui::Vec2) -> Harness<'static, CashierApp> {
    world.till(config, ConfigOrigin::Demo, false, size)
}

fn look_up(h: &mut Harness<'_, CashierApp>, input: &str, key: egui::Key) {
    enter(h, INPUT_LABEL, input, key);
}

/// A till that has looked up the demo customer and shows every answer.
fn looked_up(w: &World, config: Config) -> Harness<'static, CashierApp> {
    let mut h = harness(w, config);
    h.step();
    look_up(&mut h, "0671234567", egui::Key::Enter);
    step_until(&mut h, "answered", settled);
    h.step();
    h
}

/// The demo customer's example basket: with it every demo source answers.
fn demo_basket() -> pos_recs::basket::Basket {
    pos_recs::basket::Basket::new(&["SKU-1001", "SKU-1004"], None).unwrap()
}

fn product_names(app: &CashierApp, section: usize) -> Vec<String> {
    match &app.session().unwrap().sections[section].state {
        SectionState::Loaded { products, .. } => products.iter().map(|p| p.name.clone()).collect(),
        other => panic!("section {section} not loaded: {other:?}"),
    }
}

#[test]
fn enter_on_a_phone_fills_every_section_with_cards() {
    let w = world(DemoOptions::default());
    let mut h = harness(&w, w.server.config());
    h.state_mut().set_basket(demo_basket());
    h.step();
    look_up(&mut h, "067 123 4567", egui::Key::Enter);
    step_until(&mut h, "all sections answered", settled);
    let session = h.state().session().unwrap();
    assert_eq!(session.customer.masked(), "380*****4567");
    assert_eq!(session.sections.len(), 6);
    assert!(session.product_count() > 30, "{}", session.product_count());
    h.step();
    let first = product_names(h.state(), 0)[0].clone();
    assert!(
        h.query_by_label(&first).is_some(),
        "card {first:?} is on screen"
    );
    assert!(
        h.query_by_label_contains("Customer: Phone 380*****4567")
            .is_some()
    );
}

#[test]
fn a_barcode_scanner_ending_with_tab_works_too() {
    let w = world(DemoOptions::default());
    let mut h = harness(&w, w.server.config());
    h.step();
    look_up(&mut h, "2000123456789", egui::Key::Tab);
    step_until(&mut h, "lookup by card", settled);
    let customer = &h.state().session().unwrap().customer;
    assert_eq!(customer.kind(), pos_recs::identify::IdentifierKind::Card);
}

#[test]
fn a_failing_source_shows_its_error_while_the_others_show_cards() {
    let w = world(DemoOptions {
        faults: HashMap::from([(1244, Fault::Status(500))]),
        ..Default::default()
    });
    let mut h = harness(&w, w.server.config());
    h.state_mut().set_basket(demo_basket());
    h.step();
    look_up(&mut h, "0671234567", egui::Key::Enter);
    step_until(&mut h, "all sections answered", settled);
    h.step();
    // A sentence for the cashier; the technical reason behind "Details".
    assert!(
        h.query_by_label("You may also like: this block is unavailable right now")
            .is_some()
    );
    assert!(
        h.query_by_label("HTTP 500 from data source 1244").is_none(),
        "hidden until asked for"
    );
    h.get_by_label("Details").click_accesskit();
    h.step();
    h.step();
    assert!(h.query_by_label("HTTP 500 from data source 1244").is_some());
    let retry = h.get_by_label("Retry You may also like");
    assert!(
        !product_names(h.state(), 0).is_empty(),
        "the personal section still has cards"
    );
    // Retry asks again; the fault is still there, so the error comes back.
    // The section is below the fold: press the button the way a screen reader does.
    retry.click_accesskit();
    h.step();
    step_until(&mut h, "retry answered", settled);
    assert!(matches!(
        h.state().session().unwrap().sections[1].state,
        SectionState::Failed { .. }
    ));
    assert_eq!(
        w.server
            .stats()
            .requests
            .load(std::sync::atomic::Ordering::SeqCst),
        7,
        "6 + 1 retry"
    );
}

#[test]
fn a_second_lookup_replaces_the_first_and_late_answers_are_ignored() {
    // The personal source is slow, so the first customer's answer arrives
    // after the second lookup started.
    let w = world(DemoOptions {
        source_latency: HashMap::from([(1246, Duration::from_millis(600))]),
        ..Default::default()
    });
    let config = w.server.config();
    let second = identify("0509876543", None, "380").unwrap();
    let expected: Vec<String> = {
        let engine = LookupEngine::new(&config).unwrap();
        let results = w.runtime.block_on(engine.run(&second));
        results[0]
            .outcome
            .as_ref()
            .unwrap()
            .iter()
            .map(|p| p.name.clone())
            .collect()
    };
    let mut h = harness(&w, config);
    h.step();
    look_up(&mut h, "0671234567", egui::Key::Enter);
    look_up(&mut h, "0509876543", egui::Key::Enter);
    step_until(&mut h, "second lookup answered", settled);
    // Give the first lookup's slow answer every chance to arrive (it was cancelled).
    std::thread::sleep(Duration::from_millis(700));
    h.step();
    let session = h.state().session().unwrap();
    assert_eq!(session.customer.masked(), second.masked());
    assert_eq!(product_names(h.state(), 0), expected);
}

#[test]
fn esc_clears_for_the_next_customer() {
    let w = world(DemoOptions::default());
    let mut h = harness(&w, w.server.config());
    h.step();
    look_up(&mut h, "0671234567", egui::Key::Enter);
    step_until(&mut h, "answered", settled);
    h.key_press(egui::Key::Escape);
    h.step();
    h.step();
    assert!(h.state().session().is_none());
    assert!(
        h.query_by_label_contains("Scan the customer's card")
            .is_some()
    );
}

/// Queues keys and text as a scanner sends them: all in one frame.
fn scan_in_one_frame(
    h: &mut Harness<'_, CashierApp>,
    before: &[egui::Key],
    text: &str,
    end: egui::Key,
) {
    for key in before {
        h.key_press(*key);
    }
    for c in text.chars() {
        h.event(egui::Event::Text(c.to_string()));
    }
    h.key_press(end);
    h.step();
    h.step();
}

fn looked_up_customer(app: &CashierApp) -> Option<String> {
    app.session().map(|s| s.customer.value().to_string())
}

#[test]
fn esc_and_a_whole_card_in_one_slow_frame_look_up_exactly_that_card() {
    let w = world(DemoOptions::default());
    let mut h = looked_up(&w, w.server.config());
    scan_in_one_frame(
        &mut h,
        &[egui::Key::Escape],
        "2000123456789",
        egui::Key::Enter,
    );
    assert_eq!(
        looked_up_customer(h.state()).as_deref(),
        Some("2000123456789")
    );
}

#[test]
fn two_scans_in_one_frame_are_looked_up_one_after_the_other_never_glued() {
    let w = world(DemoOptions::default());
    let mut h = harness(&w, w.server.config());
    h.step();
    h.get_by_label(INPUT_LABEL).focus();
    h.step();
    for c in "2000123456789".chars() {
        h.event(egui::Event::Text(c.to_string()));
    }
    h.key_press(egui::Key::Enter);
    for c in "0671234567".chars() {
        h.event(egui::Event::Text(c.to_string()));
    }
    h.key_press(egui::Key::Enter);
    for _ in 0..3 {
        h.step();
    }
    assert_eq!(
        looked_up_customer(h.state()).as_deref(),
        Some("380671234567")
    );
    assert_eq!(
        h.state().session().map(|s| s.generation),
        Some(2),
        "two lookups (the card, then the phone), not one glued identifier"
    );
}

#[test]
fn after_a_rejected_input_the_next_scan_replaces_the_leftover() {
    let w = world(DemoOptions::default());
    let mut h = harness(&w, w.server.config());
    h.step();
    h.get_by_label(INPUT_LABEL).focus();
    h.step();
    scan_in_one_frame(&mut h, &[], "33", egui::Key::Enter);
    assert!(h.state().session().is_none(), "\"33\" is no identifier");
    scan_in_one_frame(&mut h, &[], "0671234567", egui::Key::Enter);
    assert_eq!(
        looked_up_customer(h.state()).as_deref(),
        Some("380671234567"),
        "not 330671234567"
    );
}

#[test]
fn a_scan_arriving_while_a_card_has_the_focus_still_reaches_the_input() {
    let w = world(DemoOptions::default());
    let mut h = looked_up(&w, w.server.config());
    // The cashier moved onto the cards with the keyboard.
    h.key_press(egui::Key::Tab);
    h.step();
    h.key_press(egui::Key::Tab);
    h.step();
    scan_in_one_frame(&mut h, &[], "2000123456789", egui::Key::Tab);
    assert_eq!(
        looked_up_customer(h.state()).as_deref(),
        Some("2000123456789")
    );
}

#[test]
fn unusable_input_gets_a_message_not_a_lookup() {
    let w = world(DemoOptions::default());
    let mut h = harness(&w, w.server.config());
    h.step();
    look_up(&mut h, "+38 (067) ABC", egui::Key::Enter);
    h.step();
    assert!(h.state().session().is_none());
    assert!(
        h.query_by_label("not a valid phone number: it contains letters")
            .is_some()
    );
    assert_eq!(
        w.server
            .stats()
            .requests
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
}

#[test]
fn clicking_a_card_opens_details_with_sku_copy_and_close() {
    let w = world(DemoOptions::default());
    let mut h = looked_up(&w, w.server.config());
    let first = product_names(h.state(), 0)[0].clone();
    h.get_by_label(&first).click();
    h.step();
    h.step();
    assert!(h.query_by_label("Copy SKU").is_some(), "details are open");
    assert!(h.query_by_label_contains("SKU: SKU-").is_some());
    h.get_by_label(pos_recs::ui::details::CLOSE_LABEL).click();
    h.step();
    h.step();
    assert!(h.query_by_label("Copy SKU").is_none(), "details closed");
}

#[test]
fn rendered_screen_matches_the_snapshot() {
    let w = world(DemoOptions::default());
    let mut config = w.server.config();
    config.sources.truncate(2);
    let mut h = harness(&w, config);
    h.step();
    look_up(&mut h, "0671234567", egui::Key::Enter);
    step_until(&mut h, "answered", settled);
    step_until(&mut h, "pictures loaded", |app| {
        app.pictures_loading() == 0 && app.texture_count() > 0
    });
    // Timing text ("took 3 ms") differs run to run: hide the status line from the comparison
    // by clearing the session's timing before rendering.
    let mut s = (*h.state().session().unwrap()).clone();
    s.finished_after = Some(Duration::from_millis(100));
    for section in &mut s.sections {
        if let SectionState::Loaded { elapsed, .. } = &mut section.state {
            *elapsed = Duration::from_millis(10);
        }
    }
    h.state_mut().show_prepared(s);
    h.step();
    h.snapshot("cashier_demo_lookup");
}

#[test]
fn enter_on_a_focused_card_opens_its_details() {
    let w = world(DemoOptions::default());
    let mut h = looked_up(&w, w.server.config());
    let first = product_names(h.state(), 0)[0].clone();
    h.get_by_label(&first).focus();
    h.step();
    h.key_press(egui::Key::Enter);
    h.step();
    h.step();
    assert!(h.query_by_label("Copy SKU").is_some(), "details are open");
    h.key_press(egui::Key::Escape);
    h.step();
    h.step();
    assert!(
        h.query_by_label("Copy SKU").is_none(),
        "Esc closes the details"
    );
    assert!(
        h.state().session().is_some(),
        "…without clearing the customer"
    );
}

#[test]
fn the_till_shows_offline_and_recovers_by_itself_when_the_network_returns() {
    let w = world(DemoOptions::default());
    // A port with nothing behind it: the "network" is down.
    let port = common::free_port();
    let mut config = w.server.config();
    config.yespo.base_url = format!("http://127.0.0.1:{port}/api");
    let mut h = harness(&w, config);
    h.step();
    look_up(&mut h, "0671234567", egui::Key::Enter);
    step_until(&mut h, "offline", |app| app.offline_reason().is_some());
    h.step();
    assert!(h.query_by_label_contains("Offline").is_some());
    // The network comes back: a server appears on that port. Nobody touches the till.
    let _back = w
        .runtime
        .block_on(DemoServer::start_on(port, DemoOptions::default()))
        .unwrap();
    step_until(&mut h, "back online", |app| app.offline_reason().is_none());
}

#[test]
fn an_error_status_from_the_account_counts_as_back_online() {
    let w = world(DemoOptions::default());
    let port = common::free_port();
    let mut config = w.server.config();
    config.yespo.base_url = format!("http://127.0.0.1:{port}/api");
    let first_source = config.sources[0].id;
    let mut h = harness(&w, config);
    h.step();
    look_up(&mut h, "0671234567", egui::Key::Enter);
    step_until(&mut h, "offline", |app| app.offline_reason().is_some());
    // The account answers again, but the probed source says 404 (not a server failure): reachable all the same.
    let _back = w
        .runtime
        .block_on(DemoServer::start_on(
            port,
            DemoOptions {
                faults: HashMap::from([(first_source, Fault::Status(404))]),
                ..Default::default()
            },
        ))
        .unwrap();
    step_until(&mut h, "back online", |app| app.offline_reason().is_none());
}

#[test]
fn a_rejected_input_clears_the_previous_customers_cards() {
    let w = world(DemoOptions::default());
    let mut h = looked_up(&w, w.server.config());
    assert!(h.state().session().is_some());
    look_up(&mut h, "+38 (067) ABC", egui::Key::Enter);
    assert!(h.state().session().is_none(), "old cards still on screen");
    assert!(
        h.query_by_label_contains("not a valid phone number")
            .is_some()
    );
}

#[test]
fn the_ukrainian_till_speaks_ukrainian() {
    let w = world(DemoOptions {
        faults: HashMap::from([(1245, Fault::Hang)]),
        ..Default::default()
    });
    let mut config = w.server.config();
    config.display.language = Some(pos_recs::config::Language::Uk);
    config.yespo.timeout_ms = 500;
    let mut h = harness(&w, config);
    h.step();
    assert!(
        h.query_by_label_contains("Проскануйте картку покупця")
            .is_some()
    );
    let uk = &pos_recs::ui::i18n::UK;
    h.get_by_label(uk.input_label).type_text("+38 (067) ABC");
    h.step();
    h.key_press(egui::Key::Enter);
    h.step();
    assert!(
        h.query_by_label("невірний номер телефону: містить літери")
            .is_some()
    );
    h.key_press(egui::Key::Escape);
    h.step();
    look_up_with(&mut h, uk.input_label, "0671234567");
    step_until(&mut h, "answered", settled);
    h.step();
    assert!(
        h.query_by_label_contains("Покупець: Телефон 380*****4567")
            .is_some()
    );
    assert!(
        h.query_by_label("Bestsellers: немає відповіді за 0.5 с")
            .is_some()
    );
    assert!(h.query_by_label("Повторити Bestsellers").is_some());
    assert!(h.query_by_label_contains("Пошук тривав").is_some());
    assert!(h.query_by_label(uk.find).is_some());
}

#[test]
fn f1_brings_the_keyboard_back_to_the_input_from_anywhere() {
    let w = world(DemoOptions::default());
    let mut h = looked_up(&w, w.server.config());
    let first = product_names(h.state(), 0)[0].clone();
    h.get_by_label(&first).focus();
    h.step();
    assert!(h.get_by_label(&first).is_focused());
    h.key_press(egui::Key::F1);
    h.step();
    h.step();
    assert!(
        h.get_by_label(INPUT_LABEL).is_focused(),
        "input has the keyboard again"
    );
    // A scanner can type right away.
    h.get_by_label(INPUT_LABEL).type_text("0509876543");
    h.step();
    h.key_press(egui::Key::Enter);
    step_until(&mut h, "second customer", |app| {
        app.session()
            .is_some_and(|s| s.customer.masked() == "380*****6543" && s.is_settled())
    });
}

fn look_up_with(h: &mut Harness<'_, CashierApp>, label: &str, input: &str) {
    h.get_by_label(label).type_text(input);
    h.step();
    h.key_press(egui::Key::Enter);
    h.step();
}

#[test]
fn a_product_can_be_shown_to_the_customer_full_screen_and_back() {
    let w = world(DemoOptions::default());
    let mut h = looked_up(&w, w.server.config());
    let first = product_names(h.state(), 0)[0].clone();
    h.get_by_label(&first).click();
    h.step();
    h.step();
    h.get_by_label("Show to customer").click();
    h.step();
    h.step();
    assert!(h.state().showing_customer());
    assert!(
        h.query_by_label(&first).is_some(),
        "the product's name, large"
    );
    assert!(
        h.query_by_label("Copy SKU").is_none(),
        "no cashier controls on the customer's screen"
    );
    h.key_press(egui::Key::Escape);
    h.step();
    h.step();
    assert!(!h.state().showing_customer());
    assert!(
        h.state().session().is_some(),
        "back to the same customer's cards"
    );
}

#[test]
fn arrow_keys_move_between_cards() {
    let w = world(DemoOptions::default());
    let mut h = looked_up(&w, w.server.config());
    let names = product_names(h.state(), 0);
    h.get_by_label(&names[0]).focus();
    h.step();
    h.key_press(egui::Key::ArrowRight);
    h.step();
    h.step();
    assert!(
        h.get_by_label(&names[1]).is_focused(),
        "right arrow goes to the next card"
    );
    h.key_press(egui::Key::ArrowLeft);
    h.step();
    h.step();
    assert!(
        h.get_by_label(&names[0]).is_focused(),
        "left arrow comes back"
    );
}

#[test]
fn keyboard_only_at_1024x768_down_right_enter_opens_the_second_card_and_esc_returns() {
    let w = world(DemoOptions::default());
    let mut h = harness_sized(&w, w.server.config(), egui::vec2(1024.0, 768.0));
    h.step();
    look_up(&mut h, "0671234567", egui::Key::Enter);
    step_until(&mut h, "answered", settled);
    h.step();
    let names = product_names(h.state(), 0);
    for key in [egui::Key::ArrowDown, egui::Key::ArrowRight] {
        h.key_press(key);
        h.step();
        h.step();
    }
    assert!(h.get_by_label(&names[1]).is_focused(), "Down, then Right");
    h.key_press(egui::Key::Enter);
    h.step();
    h.step();
    assert!(h.state().details_open(), "Enter opens the second card");
    h.key_press(egui::Key::Escape);
    h.step();
    h.step();
    assert!(!h.state().details_open());
    h.step();
    assert!(
        h.get_by_label(INPUT_LABEL).is_focused(),
        "Esc returns to the input"
    );
    assert!(h.state().session().is_some(), "…without ending the sale");
    // From a card, Esc also just comes back to the input.
    h.key_press(egui::Key::ArrowDown);
    h.step();
    h.step();
    assert!(h.get_by_label(&names[0]).is_focused());
    h.key_press(egui::Key::Escape);
    h.step();
    h.step();
    assert!(h.get_by_label(INPUT_LABEL).is_focused());
    assert!(h.state().session().is_some());
}

#[test]
fn at_1024x768_every_sources_first_card_is_on_screen() {
    let w = world(DemoOptions::default());
    let mut h = harness_sized(&w, w.server.config(), egui::vec2(1024.0, 768.0));
    h.state_mut().set_basket(demo_basket());
    h.step();
    look_up(&mut h, "0671234567", egui::Key::Enter);
    step_until(&mut h, "answered", settled);
    h.step();
    let sections = h.state().session().unwrap().sections.len();
    assert!(sections >= 6, "{sections}");
    for section in 0..sections {
        let Some(first) = product_names(h.state(), section).into_iter().next() else {
            continue;
        };
        let rect = h.get_by_label(&first).rect();
        assert!(
            rect.max.y <= 768.0 && rect.min.x >= 0.0 && rect.max.x <= 1024.0,
            "section {section}'s first card is off screen: {rect:?}"
        );
    }
}

#[test]
fn the_basket_line_takes_scans_and_the_cross_sell_section_uses_them() {
    let w = world(DemoOptions::default());
    let mut h = harness(&w, w.server.config());
    h.step();
    // Items before the loyalty card, as at most tills: F3, then scans ending in
    // Enter, the second one arriving in the same frame as the first one's Enter.
    h.key_press(egui::Key::F3);
    for sku in ["SKU-1001", "SKU-1004"] {
        for c in sku.chars() {
            h.event(egui::Event::Text(c.to_string()));
        }
        h.key_press(egui::Key::Enter);
    }
    for _ in 0..3 {
        h.step();
    }
    assert_eq!(h.state().basket().products, ["SKU-1001", "SKU-1004"]);
    assert!(
        h.state().session().is_none(),
        "a product is never taken for a customer"
    );
    assert!(
        h.query_by_label("Remove SKU-1004").is_some(),
        "shown as chips"
    );
    // Esc goes back to the customer input without emptying the basket.
    h.key_press(egui::Key::Escape);
    h.step();
    h.step();
    assert!(h.get_by_label(INPUT_LABEL).is_focused());
    assert_eq!(h.state().basket().products.len(), 2);
    look_up(&mut h, "0671234567", egui::Key::Enter);
    step_until(&mut h, "answered", settled);
    let cross_sell = h
        .state()
        .session()
        .unwrap()
        .sections
        .iter()
        .position(|s| s.source.id == 1247)
        .unwrap();
    assert!(!product_names(h.state(), cross_sell).is_empty());
    // Removing an item asks the basket's sources again.
    h.get_by_label("Remove SKU-1004").click();
    h.step();
    assert_eq!(h.state().basket().products, ["SKU-1001"]);
    step_until(&mut h, "answered again", settled);
    // Esc ends the sale: the basket goes with it.
    h.key_press(egui::Key::Escape);
    h.step();
    assert!(h.state().basket().is_empty());
}

#[test]
fn a_touch_only_till_looks_up_a_phone_with_the_keypad() {
    let w = world(DemoOptions::default());
    let mut config = w.server.config();
    config.display.touch = true;
    let mut h = harness(&w, config);
    h.step();
    for key in ["0", "6", "7", "1", "2", "3", "4", "5", "6", "9", "Del", "7"] {
        h.get_by_label(&format!("Keypad {key}")).click();
        h.step();
    }
    let enter = h.get_by_label("Keypad Enter");
    let size = enter.rect().size();
    assert!(size.x >= 48.0 && size.y >= 48.0, "{size:?}");
    enter.click();
    h.step();
    step_until(&mut h, "answered", settled);
    assert_eq!(
        h.state().session().unwrap().customer.value(),
        "380671234567"
    );
}

#[test]
fn a_broken_config_opens_a_window_that_says_so() {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1000.0, 600.0))
        .build_eframe(|_| pos_recs::ui::ConfigErrorApp {
            message: "config /etc/till.toml: line 3, column 1: unknown field `colour`".into(),
        });
    h.step();
    assert!(
        h.query_by_label_contains("configuration has a problem")
            .is_some()
    );
    assert!(
        h.query_by_label_contains("line 3, column 1: unknown field `colour`")
            .is_some()
    );
}

#[cfg(debug_assertions)] // the panic hook exists in debug builds only
#[test]
fn a_panic_while_drawing_resets_the_screen_instead_of_closing_the_till() {
    let w = world(DemoOptions::default());
    let mut h = looked_up(&w, w.server.config());
    let first = product_names(h.state(), 0)[0].clone();
    h.get_by_label(&first).click();
    h.step();
    h.step();
    h.state_mut().panic_on_next_frame();
    h.step();
    h.step();
    assert!(h.state().notice().is_some_and(|n| n.contains("reset")));
    assert!(h.query_by_label("Copy SKU").is_none(), "details closed");
    // The till still works.
    look_up(&mut h, "0509876543", egui::Key::Enter);
    step_until(&mut h, "next customer", |app| {
        app.session()
            .is_some_and(|s| s.customer.masked() == "380*****6543" && s.is_settled())
    });
}

#[test]
fn a_till_with_every_source_switched_off_says_so() {
    let w = world(DemoOptions::default());
    let mut config = w.server.config();
    for s in &mut config.sources {
        s.enabled = false;
    }
    let mut h = looked_up(&w, config);
    assert!(
        h.query_by_label_contains("No recommendation blocks are switched on")
            .is_some()
    );
    h.step();
}

/// "Shown" in the manager's figures means seen: on a 1024×768 till each
/// source is a strip with room for about three and a half cards, so only
/// the cards mostly in view count, each once however often it is drawn.
#[test]
fn only_cards_in_view_count_as_shown() {
    let w = world(DemoOptions::default());
    let mut h = harness_sized(&w, w.server.config(), egui::vec2(1024.0, 768.0));
    h.step();
    look_up(&mut h, "0671234567", egui::Key::Enter);
    step_until(&mut h, "answered", settled);
    for _ in 0..5 {
        h.step();
    }
    let answered: HashMap<u64, usize> = h
        .state()
        .session()
        .unwrap()
        .sections
        .iter()
        .filter_map(|s| match &s.state {
            SectionState::Loaded { products, .. } if !products.is_empty() => {
                Some((s.source.id, products.len()))
            }
            _ => None,
        })
        .collect();
    assert!(!answered.is_empty());
    // A second customer: once their lookup is in the file, everything the
    // writer had before it (the first customer's cards) is too.
    h.key_press(egui::Key::Escape);
    h.step();
    look_up(&mut h, "olena@example.com", egui::Key::Enter);
    let file = w.history_file();
    let boundary = {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let second_lookup = rusqlite::Connection::open(&file).ok().and_then(|c| {
                c.query_row(
                    "SELECT rowid FROM events WHERE kind = 'lookup' ORDER BY rowid LIMIT 1 OFFSET 1",
                    [],
                    |r| r.get::<_, i64>(0),
                )
                .ok()
            });
            if let Some(rowid) = second_lookup {
                break rowid;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "second lookup not recorded"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let conn = rusqlite::Connection::open(&file).unwrap();
    for (source, products) in answered {
        let (rows, distinct): (usize, usize) = conn
            .query_row(
                "SELECT COUNT(*), COUNT(DISTINCT product_id) FROM events
                 WHERE kind = 'shown' AND source_id = ?1 AND rowid < ?2",
                rusqlite::params![source as i64, boundary],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(rows, distinct, "source {source}: a card counted twice");
        assert!(
            (1..products).contains(&rows),
            "source {source}: {rows} of {products} cards counted as seen in a strip"
        );
    }
}

/// A POS button launches `pos-recs --phone …` while a card is being
/// scanned into the running till: the customer is handed over and looked
/// up, and the scan is not cut in two.
#[cfg(unix)]
#[test]
fn a_handed_over_customer_never_cuts_a_scan_in_progress() {
    use pos_recs::identify::IdentifierKind::{Card, Phone};
    use pos_recs::instance::{self, Request, Start};
    let w = world(DemoOptions::default());
    let mut h = harness(&w, w.server.config());
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("pos-recs.sock");
    let Start::First(listening) = instance::start(&socket, &Request::Front).unwrap() else {
        panic!("no till was running");
    };
    h.state_mut().listen_for_launches(listening);
    let customer = window::customer_on_screen;
    h.get_by_label(INPUT_LABEL).type_text("20001");
    h.step();
    let second = Request::Customer(Phone, "067 123 4567".into());
    assert!(matches!(
        instance::start(&socket, &second).unwrap(),
        Start::Handed
    ));
    step_until(&mut h, "the handed-over customer", |app| {
        app.session().is_some()
    });
    assert_eq!(customer(&h), Some((Phone, "380671234567".into())));
    h.get_by_label(INPUT_LABEL).type_text("23456789");
    h.step();
    h.key_press(egui::Key::Enter);
    h.step();
    assert_eq!(customer(&h), Some((Card, "2000123456789".into())));
}

/// A customer in the comparison group: no source is asked, and the screen
/// says why, calmly.
#[test]
fn a_customer_in_the_comparison_group_is_told_plainly_and_no_source_is_asked() {
    use pos_recs::experiment::{Experiment, Group, parse_key};
    let key = "ab".repeat(32);
    let experiment = Experiment::new(50, parse_key(&key).unwrap());
    let phone = (0..10_000)
        .map(|n| format!("067{n:07}"))
        .find(|p| {
            let who = pos_recs::identify::identify(p, None, "380").unwrap();
            experiment.group_of(&who) == Group::Holdout
        })
        .unwrap();
    let w = world(DemoOptions::default());
    let mut config = w.server.config();
    config.experiment.holdout_percent = 50;
    config.experiment.key = Some(pos_recs::secret::ApiKey::new(key));
    let mut h = harness(&w, config);
    h.step();
    let before = w
        .server
        .stats()
        .requests
        .load(std::sync::atomic::Ordering::SeqCst);
    look_up(&mut h, &phone, egui::Key::Enter);
    for _ in 0..10 {
        h.step();
    }
    assert!(
        h.query_by_label_contains("No suggestions for this customer: comparison group")
            .is_some()
    );
    assert!(h.query_by_label_contains("could not").is_none());
    let t = &pos_recs::ui::i18n::EN;
    assert!(
        h.query_by_label(t.not_connected).is_none(),
        "no source was asked: nothing to call a connection problem"
    );
    let after = w
        .server
        .stats()
        .requests
        .load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(before, after, "a source was asked for a held-out customer");
}

/// A shared source's pictures go to the disk ahead of time, all of them,
/// though a small screen shows few: offline, its kept answer comes back
/// with pictures. A personal source's unseen pictures are not fetched.
#[test]
fn a_shared_sources_pictures_are_fetched_ahead_for_offline_use() {
    let cache = tempfile::tempdir().unwrap();
    // SAFETY: nextest runs each test in its own process; set before any thread reads it.
    unsafe { std::env::set_var("XDG_CACHE_HOME", cache.path()) };
    let w = world(DemoOptions::default());
    let mut config = w.server.config();
    config.sources.retain(|s| [1246, 1245].contains(&s.id));
    for source in &mut config.sources {
        source.max_cards = 30;
    }
    assert!(config.sources.iter().any(|s| s.id == 1245 && s.is_shared()));
    assert!(
        config
            .sources
            .iter()
            .any(|s| s.id == 1246 && !s.is_shared())
    );
    let origin = ConfigOrigin::File(cache.path().join("config.toml"));
    let mut h = w.till(config, origin, false, egui::vec2(800.0, 600.0));
    h.step();
    look_up(&mut h, "0671234567", egui::Key::Enter);
    step_until(&mut h, "answered", settled);
    step_until(&mut h, "fetched ahead", |app| {
        app.pictures_fetching_ahead() == 0 && app.pictures_loading() == 0
    });
    let session = h.state().session().unwrap();
    let urls = |id: u64| -> Vec<String> {
        let section = session.sections.iter().find(|s| s.source.id == id).unwrap();
        match &section.state {
            SectionState::Loaded { products, .. } => products
                .iter()
                .filter_map(|p| p.image_url.clone())
                .collect(),
            other => panic!("{id}: {other:?}"),
        }
    };
    let disk = pos_recs::images::DiskCache::new(
        pos_recs::images::DiskCache::default_dir().unwrap(),
        1 << 30,
    );
    let (shared, personal) = (urls(1245), urls(1246));
    assert!(shared.len() >= 12, "{} cards", shared.len());
    for url in &shared {
        assert!(disk.get(url).is_some(), "not fetched ahead: {url}");
    }
    let kept = personal.iter().filter(|u| disk.get(u).is_some()).count();
    assert!(kept < personal.len(), "every personal picture was fetched");
}
