//! The cashier window in a headless kittest harness, shared by the GUI
//! tests: one runtime, a demo server, a till built from a config.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use pos_recs::config::{Config, ConfigOrigin};
use pos_recs::demo::{DemoOptions, DemoServer};
use pos_recs::setup::Ready;
use pos_recs::ui::CashierApp;

/// The tokio runtime the till's lookups run on, and a demo shop.
pub struct World {
    /// Runs lookups, pictures and servers.
    pub runtime: tokio::runtime::Runtime,
    /// The demo shop on loopback.
    pub server: DemoServer,
    /// Where the tills' history files go (never the user's data dir).
    pub data: tempfile::TempDir,
}

/// A runtime and a demo server with these knobs.
pub fn world(options: DemoOptions) -> World {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let server = runtime
        .block_on(DemoServer::start(options))
        .expect("demo server");
    World {
        runtime,
        server,
        data: tempfile::tempdir().expect("temp dir"),
    }
}

impl World {
    /// A till window for `config` loaded from `origin`, of `size`.
    pub fn till(
        &self,
        mut config: Config,
        origin: ConfigOrigin,
        setup_mode: bool,
        size: egui::Vec2,
    ) -> Harness<'static, CashierApp> {
        let handle = self.runtime.handle().clone();
        if config.history.path.is_none() {
            config.history.path = Some(self.history_file());
        }
        let ready = Ready {
            config,
            origin,
            demo: None,
            setup_mode,
        };
        Harness::builder()
            .with_size(size)
            .with_theme(egui::Theme::Light)
            .build_eframe(move |cc| CashierApp::new(&cc.egui_ctx, handle, ready).expect("app"))
    }
}

impl World {
    /// The history file the tills of this world record into.
    pub fn history_file(&self) -> std::path::PathBuf {
        self.data.path().join("history.sqlite3")
    }
}

/// Steps frames until `done` holds for the harness; fails after 15 s.
pub fn step_until_seen(
    h: &mut Harness<'_, CashierApp>,
    what: &str,
    done: impl Fn(&Harness<'_, CashierApp>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        h.step();
        if done(h) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Steps frames until `done` holds for the app; fails after 15 s.
pub fn step_until(h: &mut Harness<'_, CashierApp>, what: &str, done: impl Fn(&CashierApp) -> bool) {
    step_until_seen(h, what, |h| done(h.state()));
}

/// Types `text` into the field labelled `label` and presses `key`, the
/// way a cashier (or a scanner) enters a customer.
pub fn enter(h: &mut Harness<'_, CashierApp>, label: &str, text: &str, key: egui::Key) {
    use egui_kittest::kittest::Queryable;
    h.get_by_label(label).type_text(text);
    h.step();
    h.key_press(key);
    h.step();
}

/// Every section answered.
pub fn settled(app: &CashierApp) -> bool {
    app.session().is_some_and(|s| s.is_settled())
}

/// The customer on screen, as (kind, normalized value).
pub fn customer_on_screen(
    h: &Harness<'_, CashierApp>,
) -> Option<(pos_recs::identify::IdentifierKind, String)> {
    h.state()
        .session()
        .map(|s| (s.customer.kind(), s.customer.value().to_string()))
}
