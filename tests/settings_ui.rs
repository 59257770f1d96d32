//! The manager's settings screen, driven through the UI (egui_kittest).

use crate::common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pos_recs::config::{Config, ConfigOrigin};
use pos_recs::demo::DemoOptions;
use pos_recs::ui::CashierApp;
use pos_recs::ui::lookup_bar::INPUT_LABEL;
use pos_recs::ui::pin_gate::{PIN_LABEL, PIN_REPEAT_LABEL, UNLOCK_LABEL};
use pos_recs::ui::settings::labels;

use crate::common::window;

use window::step_until_seen as step_until;

/// A demo shop, and a folder for the till's config file.
struct World {
    shop: window::World,
    dir: tempfile::TempDir,
}

fn world() -> World {
    World {
        shop: window::world(DemoOptions::default()),
        dir: tempfile::tempdir().unwrap(),
    }
}

impl World {
    fn path(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    /// A config with three demo sources and (optionally) a PIN, written to disk.
    fn config(&self, pin: Option<&str>) -> Config {
        let mut config = self.shop.server.config();
        config
            .sources
            .retain(|s| [1246, 1244, 1245].contains(&s.id));
        config.manager.pin_hash = pin.map(|p| pos_recs::pin::hash(p).unwrap());
        config.save(&self.path()).unwrap();
        config
    }

    fn harness(&self, config: Config) -> Harness<'static, CashierApp> {
        self.harness_with(config, false)
    }

    /// A till started with or without `--setup`.
    fn harness_with(&self, config: Config, setup_mode: bool) -> Harness<'static, CashierApp> {
        let origin = ConfigOrigin::File(self.path());
        let mut h = self
            .shop
            .till(config, origin, setup_mode, egui::vec2(1400.0, 1100.0));
        h.step();
        h
    }
}

fn unlock(h: &mut Harness<'_, CashierApp>, pin: &str, repeat: Option<&str>) {
    unlock_in(h, &pos_recs::ui::i18n::EN, pin, repeat);
}

/// Opens the settings and gives the PIN on a till speaking `t`.
fn unlock_in(
    h: &mut Harness<'_, CashierApp>,
    t: &pos_recs::ui::i18n::Texts,
    pin: &str,
    repeat: Option<&str>,
) {
    h.get_by_label(t.settings).click();
    h.step();
    h.step();
    let field = |label| h.get_by_role_and_label(egui::Role::PasswordInput, label);
    field(t.pin_label).focus();
    field(t.pin_label).type_text(pin);
    if let Some(r) = repeat {
        field(t.pin_repeat).focus();
        field(t.pin_repeat).type_text(r);
    }
    h.step();
    h.get_by_label(t.unlock).click();
    h.step();
}

/// Looks the demo customer up through the input labelled `input` and
/// waits for every answer.
fn look_up(h: &mut Harness<'_, CashierApp>, input: &str) {
    window::enter(h, input, "0671234567", egui::Key::Enter);
    window::step_until(h, "answers", window::settled);
}

/// The sources on screen, in the order the cashier sees them.
fn section_ids(h: &Harness<'_, CashierApp>) -> Vec<u64> {
    h.state()
        .session()
        .map(|s| s.sections.iter().map(|s| s.source.id).collect())
        .unwrap_or_default()
}

/// Looks the demo customer up through the input labelled `input` and waits
/// until the till's history file has the figures.
fn look_up_and_record(w: &World, h: &mut Harness<'_, CashierApp>, input: &str) {
    look_up(h, input);
    let file = w.shop.history_file();
    let deadline = Instant::now() + Duration::from_secs(10);
    while pos_recs::history::stats(&file, 7).map_or(true, |s| s.is_empty()) {
        assert!(Instant::now() < deadline, "nothing recorded");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn saved(path: &Path) -> Config {
    Config::parse(&std::fs::read_to_string(path).unwrap(), path).unwrap()
}

#[test]
fn a_wrong_pin_keeps_the_settings_closed() {
    let w = world();
    let mut h = w.harness(w.config(Some("2468")));
    unlock(&mut h, "1357", None);
    step_until(&mut h, "the PIN is checked", |h| {
        h.query_by_label("Wrong PIN").is_some()
    });
    assert!(
        h.query_by_label(labels::SAVE).is_none(),
        "settings must stay closed"
    );
    assert!(h.state().in_settings(), "still at the PIN prompt");
    h.key_press(egui::Key::Escape);
    h.step();
    h.step();
    assert!(!h.state().in_settings());
    assert!(h.query_by_label(INPUT_LABEL).is_some(), "back at the till");
}

#[test]
fn first_use_sets_a_pin_that_is_stored_hashed() {
    let w = world();
    let mut h = w.harness_with(w.config(None), true);
    unlock(&mut h, "864213", Some("864213"));
    step_until(&mut h, "settings open", |h| {
        h.query_by_label(labels::SAVE).is_some()
    });
    h.get_by_label(labels::SAVE).click();
    step_until(&mut h, "saved", |h| !h.state().in_settings());
    let stored = saved(&w.path()).manager.pin_hash.unwrap();
    assert!(
        stored.starts_with("$argon2") && !stored.contains("864213"),
        "{stored}"
    );
    assert!(pos_recs::pin::verify("864213", &stored));
}

#[test]
fn a_new_pin_of_four_digits_is_refused() {
    let w = world();
    let mut h = w.harness_with(w.config(None), true);
    unlock(&mut h, "8642", Some("8642"));
    h.step();
    assert!(
        h.query_by_label("The PIN must be 6 to 12 digits").is_some(),
        "no message about the PIN's length"
    );
    assert!(h.query_by_label(labels::SAVE).is_none(), "settings opened");
}

#[test]
fn a_till_without_a_pin_does_not_make_whoever_presses_f2_the_manager() {
    let w = world();
    let mut h = w.harness(w.config(None));
    assert!(
        h.query_by_label_contains("No manager PIN").is_some(),
        "the status line warns"
    );
    h.key_press(egui::Key::F2);
    h.step();
    h.step();
    assert!(h.query_by_label("This till has no manager PIN").is_some());
    assert!(
        h.query_by_role_and_label(egui::Role::PasswordInput, PIN_REPEAT_LABEL)
            .is_none(),
        "no way to set a PIN from here"
    );
    assert!(h.query_by_label(labels::SAVE).is_none());
}

#[test]
fn wrong_pins_make_the_prompt_wait_even_after_a_restart() {
    let w = world();
    let config = w.config(Some("2468"));
    let mut h = w.harness(config.clone());
    for attempt in 1..=5 {
        if attempt > 1 {
            h.get_by_label("Back to the till").click();
            h.step();
            h.step();
        }
        unlock(&mut h, "1111", None);
        step_until(&mut h, "the PIN is checked", |h| {
            h.query_by_label("Wrong PIN").is_some()
        });
    }
    // A new till process: the right PIN is not even checked during the wait.
    drop(h);
    let mut h = w.harness(config);
    unlock(&mut h, "2468", None);
    h.step();
    assert!(
        h.query_by_label_contains("Too many wrong PINs: wait")
            .is_some(),
        "the wait survived the restart"
    );
    assert!(h.query_by_label(labels::SAVE).is_none());
}

#[test]
fn add_reorder_and_disable_sources_then_save() {
    let w = world();
    let mut h = w.harness(w.config(Some("2468")));
    unlock(&mut h, "2468", None);
    step_until(&mut h, "settings open", |h| {
        h.query_by_label(labels::SAVE).is_some()
    });

    // Add "Also bought" (1247).
    h.get_by_label(labels::NEW_ID).focus();
    h.get_by_label(labels::NEW_ID).type_text("1247");
    h.get_by_label(labels::NEW_TITLE).focus();
    h.get_by_label(labels::NEW_TITLE).type_text("Also bought");
    h.step();
    h.get_by_label(labels::ADD).click();
    h.step();
    h.step();
    // Move it to the top, hide the bestsellers.
    for _ in 0..3 {
        h.get_by_label("Move Also bought up").click();
        h.step();
        h.step();
    }
    h.get_by_label("Show Bestsellers").click();
    h.step();
    h.get_by_label(labels::SAVE).click();
    step_until(&mut h, "saved", |h| !h.state().in_settings());

    let config = saved(&w.path());
    let order: Vec<(u64, bool)> = config.sources.iter().map(|s| (s.id, s.enabled)).collect();
    assert_eq!(
        order,
        [(1247, true), (1246, true), (1244, true), (1245, false)]
    );
    assert_eq!(config.sources[0].title, "Also bought");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(w.path()).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    // The till uses the new order at once.
    h.step();
    look_up(&mut h, INPUT_LABEL);
    assert_eq!(section_ids(&h), [1247, 1246, 1244]);
}

#[test]
fn an_insecure_base_url_is_refused_next_to_the_field() {
    let w = world();
    let before = {
        w.config(Some("2468"));
        std::fs::read_to_string(w.path()).unwrap()
    };
    let mut h = w.harness(saved(&w.path()));
    unlock(&mut h, "2468", None);
    step_until(&mut h, "settings open", |h| {
        h.query_by_label(labels::SAVE).is_some()
    });
    h.get_by_role_and_label(egui::Role::TextInput, labels::BASE_URL)
        .focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role_and_label(egui::Role::TextInput, labels::BASE_URL)
        .type_text("http://shop.example/api");
    h.step();
    h.get_by_label(labels::SAVE).click();
    h.step();
    h.step();
    assert!(h.state().in_settings(), "refused: still editing");
    assert!(
        h.query_by_label_contains("plain http is only allowed for loopback")
            .is_some()
    );
    assert_eq!(
        std::fs::read_to_string(w.path()).unwrap(),
        before,
        "file untouched"
    );
    h.get_by_label(labels::CANCEL).click();
    h.step();
    assert!(!h.state().in_settings());
    assert_eq!(
        std::fs::read_to_string(w.path()).unwrap(),
        before,
        "cancel leaves the file untouched"
    );
}

#[test]
fn a_new_host_never_gets_the_stored_key() {
    // A host that records what reaches it.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let record = seen.clone();
    let listener = w_listener();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::Read;
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { break };
            let mut buf = vec![0u8; 4096];
            let n = conn.read(&mut buf).unwrap_or(0);
            record
                .lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    });
    let w = world();
    let mut config = w.config(Some("2468"));
    config.yespo.api_key = Some(pos_recs::secret::ApiKey::new("stored-secret-key-123"));
    config.save(&w.path()).unwrap();
    let before = std::fs::read_to_string(w.path()).unwrap();
    let mut h = w.harness(config);
    unlock(&mut h, "2468", None);
    step_until(&mut h, "settings open", |h| {
        h.query_by_label(labels::SAVE).is_some()
    });
    h.get_by_role_and_label(egui::Role::TextInput, labels::BASE_URL)
        .focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role_and_label(egui::Role::TextInput, labels::BASE_URL)
        .type_text(&format!("http://127.0.0.1:{port}/api"));
    h.step();
    h.get_by_label(labels::TEST).click();
    h.step();
    h.get_by_label(labels::SAVE).click();
    h.step();
    h.step();
    assert!(h.state().in_settings(), "Save refused");
    assert!(
        h.query_by_label_contains("The account address changed")
            .is_some()
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        seen.lock().unwrap().is_empty(),
        "the new host was contacted: {:?}",
        seen.lock().unwrap()
    );
    assert_eq!(std::fs::read_to_string(w.path()).unwrap(), before);
}

fn w_listener() -> std::net::TcpListener {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap()
}

#[test]
fn each_source_shows_its_basket_key_and_a_change_is_saved() {
    let w = world();
    let mut h = w.harness(w.config(Some("2468")));
    unlock(&mut h, "2468", None);
    step_until(&mut h, "settings open", |h| {
        h.query_by_label(labels::SAVE).is_some()
    });
    // Three sources, none of them cross-sell: all send the basket by default.
    let basket_combos = |h: &Harness<'_, CashierApp>| {
        h.query_all_by_role(egui::accesskit::Role::ComboBox)
            .filter(|n| n.value().as_deref() == Some("send when there is one"))
            .count()
    };
    assert_eq!(basket_combos(&h), 3);
    h.query_all_by_role(egui::accesskit::Role::ComboBox)
        .find(|n| n.value().as_deref() == Some("send when there is one"))
        .unwrap()
        .click();
    h.step();
    h.step();
    h.get_by_label("never").click();
    h.step();
    h.step();
    h.get_by_label(labels::SAVE).click();
    step_until(&mut h, "saved", |h| !h.state().in_settings());
    let config = saved(&w.path());
    assert_eq!(
        config.sources[0].basket,
        Some(pos_recs::config::BasketUse::Never)
    );
    assert_eq!(config.sources[1].basket, None, "defaults are not written");
}

/// "Sales to Yespo": the manager turns orders on, names the store and
/// picks the unit price; the file says so, and the till sends from then on.
#[test]
fn orders_are_turned_on_in_the_settings_and_saved() {
    let w = world();
    // A tall screen: the group sits below the sources.
    let config = w.config(Some("2468"));
    let origin = ConfigOrigin::File(w.path());
    let mut h = w
        .shop
        .till(config, origin, false, egui::vec2(1400.0, 2000.0));
    h.step();
    unlock(&mut h, "2468", None);
    step_until(&mut h, "settings open", |h| {
        h.query_by_label(labels::SAVE).is_some()
    });
    let st = &pos_recs::ui::i18n::EN.settings_screen;
    h.get_by_label(st.orders_send).click();
    h.step();
    h.step();
    let store = h.get_by_role_and_label(egui::Role::TextInput, st.orders_store_id);
    store.focus();
    store.type_text("kyiv-01");
    h.step();
    h.get_by_label(st.item_cost_unit).click();
    h.step();
    h.get_by_label(labels::SAVE).click();
    step_until(&mut h, "saved", |h| !h.state().in_settings());
    let config = saved(&w.path());
    assert!(
        config.orders.send,
        "{}",
        std::fs::read_to_string(w.path()).unwrap()
    );
    assert_eq!(config.orders.store_id.as_deref(), Some("kyiv-01"));
    assert_eq!(config.orders.item_cost, pos_recs::config::ItemCost::Unit);
    assert!(
        h.state().service().orders_status().is_some(),
        "the till sends orders from now on"
    );
}

#[test]
fn sources_export_and_import_off_the_frame() {
    let w = world();
    let mut h = w.harness(w.config(Some("2468")));
    unlock(&mut h, "2468", None);
    step_until(&mut h, "settings open", |h| {
        h.query_by_label(labels::SAVE).is_some()
    });
    // The file offered: beside the till's config.
    let file = w.dir.path().join("sources.toml");
    h.get_by_label("Export sources").click_accesskit();
    step_until(&mut h, "exported", |h| {
        h.query_by_label_contains("exported").is_some()
    });
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("id = 1246") && !text.contains("api_key"),
        "{text}"
    );
    // Another till's file comes in the same way.
    std::fs::write(&file, "[[sources]]\nid = 4242\ntitle = \"Imported\"\n").unwrap();
    h.get_by_label("Import sources").click_accesskit();
    step_until(&mut h, "imported", |h| {
        h.query_by_label_contains("imported").is_some()
    });
    h.get_by_label(labels::SAVE).click();
    step_until(&mut h, "saved", |h| !h.state().in_settings());
    let ids: Vec<u64> = saved(&w.path()).sources.iter().map(|s| s.id).collect();
    assert_eq!(ids, [4242]);
}

/// Opens the manager's "What works" report from the manager menu and waits
/// for its figures (`ready` names one thing shown with them).
fn open_what_works(h: &mut Harness<'_, CashierApp>, t: &pos_recs::ui::i18n::Texts, ready: &str) {
    step_until(h, "settings open", |h| {
        h.query_by_label(t.settings_screen.save).is_some()
    });
    h.get_by_label(t.settings_screen.what_works_tab).click();
    step_until(h, "figures", |h| h.query_by_label(ready).is_some());
}

#[test]
fn what_works_is_a_view_of_its_own_in_the_manager_menu() {
    let en = &pos_recs::ui::i18n::EN;
    let w = world();
    let mut h = w.harness(w.config(Some("2468")));
    // A lookup, recorded by the till itself.
    look_up_and_record(&w, &mut h, INPUT_LABEL);
    unlock(&mut h, "2468", None);
    step_until(&mut h, "settings open", |h| {
        h.query_by_label(labels::SAVE).is_some()
    });
    // An edit the manager has not saved yet.
    h.get_by_label(labels::NEW_TITLE).focus();
    h.get_by_label(labels::NEW_TITLE)
        .type_text("Kept while away");
    h.step();
    assert!(
        h.query_all_by_value("Kept while away").next().is_some(),
        "typed"
    );
    h.get_by_label(pos_recs::ui::settings::WHAT_WORKS_LABEL)
        .click();
    step_until(&mut h, "figures", |h| {
        h.query_by_label("Added per 100 shown").is_some()
    });
    for title in [
        "Picked for this customer",
        "You may also like",
        "Bestsellers",
    ] {
        assert!(h.query_by_label(title).is_some(), "{title} missing");
    }
    assert!(h.query_by_label("Last 90 days").is_some());
    assert!(h.query_by_label(en.what_works.export_csv).is_some());
    // Its own view: the settings' Save and Cancel are not under it.
    assert!(h.query_by_label(labels::SAVE).is_none());
    assert!(h.query_by_label(labels::CANCEL).is_none());
    // Nothing bought yet: the sales part and the chart say so in one line.
    assert!(h.query_by_label(en.what_works.chart_empty).is_some());
    assert!(h.query_by_label(en.what_works.sales.none_yet).is_some());
    // Back to the settings, with the edit still there.
    h.get_by_label(en.settings).click();
    step_until(&mut h, "settings again", |h| {
        h.query_by_label(labels::SAVE).is_some()
    });
    assert!(
        h.query_all_by_value("Kept while away").next().is_some(),
        "the draft kept"
    );
    // And back to the till.
    h.get_by_label(en.settings_screen.back_to_till).click();
    step_until(&mut h, "the till", |h| !h.state().in_settings());
}

/// A till on the machine-wide file (root's, under `/etc`): the manager can
/// open and read the settings, is told that only IT can change them, and
/// Save is off. (The file here is under `/proc`, which nobody can write,
/// not even the root of a CI machine.)
#[test]
fn a_machine_wide_configuration_is_shown_but_not_saved() {
    let w = world();
    // The PIN guard then lives in the user's data folder: this test's own.
    // SAFETY: nextest runs each test in its own process; set before any thread reads it.
    unsafe { std::env::set_var("XDG_DATA_HOME", w.dir.path()) };
    let config = w.config(Some("2468"));
    let origin = ConfigOrigin::File(PathBuf::from("/proc/pos-recs/config.toml"));
    let mut h = w
        .shop
        .till(config, origin, false, egui::vec2(1400.0, 1100.0));
    h.step();
    unlock(&mut h, "2468", None);
    step_until(&mut h, "settings open", |h| {
        h.query_by_label(labels::SAVE).is_some()
    });
    let note = pos_recs::ui::i18n::EN.settings_screen.read_only;
    assert!(h.query_by_label(note).is_some());
    h.get_by_label(labels::SAVE).click();
    h.step();
    h.step();
    assert!(h.state().in_settings(), "Save is off");
}

/// A chain's till set up for its gateway: the settings say so and show the
/// till token masked, with no key field and no flow to pick (picking v2
/// there would only break the till).
#[test]
fn a_gateway_till_shows_its_gateway_not_a_key_field() {
    let w = world();
    let mut config = w.config(Some("2468"));
    config.yespo.auth = pos_recs::config::AuthMode::Gateway;
    config.yespo.api_key = None;
    config.yespo.till_token = Some(pos_recs::secret::ApiKey::new("till-secret-7781"));
    let mut h = w.harness(config);
    unlock(&mut h, "2468", None);
    step_until(&mut h, "settings open", |h| {
        h.query_by_label(labels::SAVE).is_some()
    });
    let st = &pos_recs::ui::i18n::EN.settings_screen;
    assert!(
        h.query_by_label_contains("via gateway · till token")
            .is_some()
    );
    assert!(h.query_by_label_contains("till-secret").is_none(), "masked");
    assert!(h.query_by_label(st.api_key).is_none());
    assert!(h.query_by_label(st.v2).is_none());
}

/// A till whose reports cannot reach the chain says so on its status line,
/// with the days waiting (and why, on hover).
#[test]
fn the_status_line_tells_when_the_chains_reports_wait() {
    let w = world();
    let mut config = w.config(None);
    config.yespo.auth = pos_recs::config::AuthMode::Gateway;
    config.yespo.api_key = None;
    config.yespo.till_token = Some(pos_recs::secret::ApiKey::new("ab".repeat(32)));
    let dead = common::free_port();
    config.fleet = Some(pos_recs::config::FleetConfig {
        config_url: format!("http://127.0.0.1:{dead}/stores/{{store}}.toml"),
        store: "store-a".into(),
        poll_seconds: 300,
        till: Some("till-1".into()),
        report_url: Some(format!("http://127.0.0.1:{dead}/reports/")),
    });
    assert!(config.problems().is_empty(), "{:?}", config.problems());
    // Something recorded today, so there is a day to send.
    let mut conn = pos_recs::history::open(&w.shop.history_file()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    pos_recs::history::write_batch(&mut conn, &[(now, pos_recs::history::Event::Lookup)]).unwrap();
    drop(conn);
    let mut h = w.harness(config);
    step_until(&mut h, "the reports' note", |h| {
        h.query_by_label("Reports to the chain not sent yet: 1 day waiting")
            .is_some()
    });
}

/// A till speaking Ukrainian (PIN 2468), one customer looked up and recorded.
fn ukrainian_till_after_a_lookup(w: &World) -> Harness<'static, CashierApp> {
    let mut config = w.config(Some("2468"));
    config.display.language = Some(pos_recs::config::Language::Uk);
    let mut h = w.harness(config);
    look_up_and_record(w, &mut h, pos_recs::ui::i18n::UK.input_label);
    h
}

/// A Ukrainian store's manager reads "What works" in Ukrainian.
#[test]
fn what_works_speaks_the_tills_language() {
    let uk = &pos_recs::ui::i18n::UK;
    let w = world();
    let mut h = ukrainian_till_after_a_lookup(&w);
    unlock_in(&mut h, uk, "2468", None);
    open_what_works(&mut h, uk, "Додано на 100 показів");
    assert!(h.query_by_label("Останні 90 днів").is_some());
    assert!(h.query_by_label(uk.what_works.chart_title).is_some());
    assert!(h.query_by_label("Added per 100 shown").is_none());
}

/// Records `per_group` sales in each group at `source_id`'s till, the
/// shown group's totals from `shown_total`, the comparison group's from
/// `holdout_total`; each shown sale bought one recommended coffee maker
/// for 250.
fn record_sales(
    w: &World,
    source_id: u64,
    per_group: u32,
    shown_total: impl Fn(u32) -> f64,
    holdout_total: impl Fn(u32) -> f64,
) {
    use pos_recs::experiment::Group;
    use pos_recs::history::Event;
    use pos_recs::sale::{Bought, Click, SaleLine, SaleRecord};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let sale = |group, total, bought| {
        let record = SaleRecord {
            group,
            period: "10%-test".into(),
            total: Some(total),
            items: 2.0,
            lines: vec![SaleLine {
                product: "SKU-1".into(),
                quantity: 1.0,
                price: Some(250.0),
            }],
            bought,
        };
        (now, Event::Sale(Box::new(record)))
    };
    let coffee_maker = || Bought {
        source_id,
        product_id: "SKU-1".into(),
        name: "Кавоварка".into(),
        quantity: 1.0,
        revenue: Some(250.0),
        click: Click::Added,
    };
    let sales: Vec<(i64, Event)> = (0..per_group)
        .flat_map(|i| {
            [
                sale(Group::Shown, shown_total(i), vec![coffee_maker()]),
                sale(Group::Holdout, holdout_total(i), vec![]),
            ]
        })
        .collect();
    let mut conn = pos_recs::history::open(&w.shop.history_file()).unwrap();
    pos_recs::history::write_batch(&mut conn, &sales).unwrap();
}

/// The source the first recorded lookup asked.
fn first_source(w: &World) -> u64 {
    pos_recs::history::stats(&w.shop.history_file(), 7).unwrap()[0].source_id
}

/// Sales with the comparison on: the page shows what each source sold and
/// the two groups, in the till's language and currency, never the English
/// of `stats`.
#[test]
fn what_works_shows_the_sales_and_the_comparison_in_the_tills_language() {
    let uk = &pos_recs::ui::i18n::UK;
    let w = world();
    let mut h = ukrainian_till_after_a_lookup(&w);
    record_sales(
        &w,
        first_source(&w),
        20,
        |i| 500.0 + f64::from(2 * i),
        |i| 501.0 + f64::from(2 * i),
    );
    unlock_in(&mut h, uk, "2468", None);
    let t = &uk.what_works.sales;
    open_what_works(&mut h, uk, t.title);
    for label in [t.columns[4], t.all_sources, t.shown, t.holdout, "Кавоварка"] {
        assert!(h.query_by_label(label).is_some(), "{label} missing");
    }
    // 20 sales of 250 in hryvnias, grouped as Ukrainians write them: the
    // source's row, the total and the top product.
    assert_eq!(h.query_all_by_label("5\u{202f}000,00\u{a0}₴").count(), 3);
    assert!(h.query_by_label("5000.00").is_none());
    // 20 sales a group: no difference is claimed yet, and it says how many
    // more sales would tell.
    assert!(h.query_by_label(t.not_enough).is_some());
    assert!(h.query_by_label_contains("потрібно ще приблизно").is_some());
    assert!(h.query_by_label_contains("Comparison").is_none());
}

/// 40 sales a group, the shown group spending 100 more: the difference in
/// money, the relative uplift with its interval, and "significant" in plain
/// words, with no more sales asked for.
#[test]
fn what_works_says_whether_the_uplift_is_significant() {
    let en = &pos_recs::ui::i18n::EN;
    let t = &en.what_works.sales;
    let w = world();
    let mut h = w.harness(w.config(Some("2468")));
    look_up_and_record(&w, &mut h, INPUT_LABEL);
    record_sales(
        &w,
        first_source(&w),
        40,
        |i| 600.0 + f64::from(i),
        |i| 500.0 + f64::from(i),
    );
    unlock(&mut h, "2468", None);
    open_what_works(&mut h, en, t.title);
    // Means 619.5 and 519.5: +100.00 ₴, and 619.5 / 519.5 − 1 = +19.2 %.
    assert!(h.query_by_label("+100,00\u{a0}₴").is_some());
    assert!(h.query_by_label("+19.2\u{a0}%").is_some());
    // An interval for each: the money and the percentage.
    assert_eq!(h.query_all_by_label_contains(t.interval).count(), 2);
    assert!(h.query_by_label(t.higher_value).is_some());
    assert!(h.query_by_label(t.not_yet).is_none());
    assert!(h.query_by_label_contains("more sales would tell").is_none());
}

/// "Export CSV" writes, byte for byte, what `pos-recs stats --csv` prints
/// for the same till and period.
#[test]
fn what_works_exports_what_stats_csv_prints() {
    let en = &pos_recs::ui::i18n::EN;
    let w = world();
    let mut config = w.config(Some("2468"));
    // The file the CLI reads must name the same history.
    config.history.path = Some(w.shop.history_file());
    config.save(&w.path()).unwrap();
    let mut h = w.harness(config);
    look_up_and_record(&w, &mut h, INPUT_LABEL);
    // The cards the cashier saw are written a moment after the lookup.
    let file = w.shop.history_file();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pos_recs::history::stats(&file, 7)
        .unwrap()
        .iter()
        .any(|s| s.shown > 0)
    {
        assert!(Instant::now() < deadline, "no card recorded as shown");
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    record_sales(&w, first_source(&w), 5, |_| 700.0, |_| 650.0);
    unlock(&mut h, "2468", None);
    open_what_works(&mut h, en, en.what_works.sales.title);
    h.get_by_label(en.what_works.export_csv).click();
    step_until(&mut h, "written", |h| {
        h.query_by_label_contains(en.what_works.csv_written)
            .is_some()
    });
    let exported = std::fs::read_to_string(w.dir.path().join("pos-recs-what-works.csv")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pos-recs"))
        .args(["stats", "--csv", "--days", "30", "--config"])
        .arg(w.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(exported, String::from_utf8(out.stdout).unwrap());
    assert_eq!(exported.lines().count(), 4, "a header and three sources");
    assert!(exported.contains(",1250.00,"), "5 × 250, plain: {exported}");
}

#[test]
fn a_till_managed_by_the_chain_uses_its_sources_and_shows_them_read_only() {
    let w = world();
    let store = "[[sources]]\nid = 1249\ntitle = \"Chain arrivals\"\n";
    let app = axum::Router::new().route(
        "/stores/{store}",
        axum::routing::get(move || async move { store }),
    );
    let addr = w.shop.runtime.block_on(common::serve_router(app));
    let mut config = w.config(Some("2468"));
    config.fleet = Some(pos_recs::config::FleetConfig {
        config_url: format!("http://{addr}/stores/{{store}}.toml"),
        store: "kyiv-01".into(),
        poll_seconds: 300,
        till: None,
        report_url: None,
    });
    let mut h = w.harness(config);
    step_until(&mut h, "the chain's sources", |h| {
        h.query_by_label("Sources managed by the chain").is_some()
    });
    look_up(&mut h, INPUT_LABEL);
    assert_eq!(
        section_ids(&h),
        [1249],
        "the chain's sources, not the till's own"
    );
    unlock(&mut h, "2468", None);
    step_until(&mut h, "settings open", |h| {
        h.query_by_label(labels::SAVE).is_some()
    });
    assert!(
        h.query_by_label(pos_recs::ui::i18n::EN.settings_screen.managed)
            .is_some()
    );
    // Saving keeps the store's own sources in its file: the chain's list
    // stays the chain's.
    h.get_by_label(labels::SAVE).click();
    step_until(&mut h, "saved", |h| !h.state().in_settings());
    let own: Vec<u64> = saved(&w.path()).sources.iter().map(|s| s.id).collect();
    assert_eq!(own, [1246, 1244, 1245]);
    let ids: Vec<u64> = h.state().config().sources.iter().map(|s| s.id).collect();
    assert_eq!(ids, [1249], "the till goes on with the chain's");
}

#[test]
fn closing_a_kiosk_till_asks_for_the_manager_pin() {
    let w = world();
    let mut config = w.config(Some("2468"));
    config.display.kiosk = true;
    let mut h = w.harness(config);
    let close = |h: &mut Harness<'_, CashierApp>| {
        h.input_mut()
            .viewports
            .entry(egui::ViewportId::ROOT)
            .or_default()
            .events
            .push(egui::ViewportEvent::Close);
        h.step();
        h.step();
    };
    close(&mut h);
    assert!(h.state().asking_pin_to_close(), "Alt+F4 asks for the PIN");
    assert!(!h.state().may_close());
    let field = |h: &Harness<'_, CashierApp>| {
        h.get_by_role_and_label(egui::Role::PasswordInput, PIN_LABEL)
            .focus();
    };
    field(&h);
    h.get_by_role_and_label(egui::Role::PasswordInput, PIN_LABEL)
        .type_text("1111");
    h.step();
    h.get_by_label(UNLOCK_LABEL).click();
    step_until(&mut h, "the PIN is checked", |h| {
        h.query_by_label("Wrong PIN").is_some()
    });
    assert!(!h.state().may_close(), "a wrong PIN keeps the till open");
    h.get_by_role_and_label(egui::Role::PasswordInput, PIN_LABEL)
        .focus();
    h.get_by_role_and_label(egui::Role::PasswordInput, PIN_LABEL)
        .type_text("2468");
    h.step();
    h.get_by_label(UNLOCK_LABEL).click();
    step_until(&mut h, "closing allowed", |h| h.state().may_close());
}
