//! The cashier window: one front end of the [`TillService`]. It draws from
//! the service's snapshots, sends it what the cashier does, and keeps only
//! what the screen needs: the input, the basket line, pictures, which
//! screen is up and what is shown over the cards. It knows no socket, no
//! poller and no HTTP server, and it never awaits.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use crate::config::{Config, ConfigError, ConfigOrigin, ThemeChoice};
use crate::history::Event;
use crate::identify::Identifier;
use crate::images::disk::DEFAULT_DISK_BYTES;
use crate::images::{DEFAULT_CACHE_BYTES, DiskCache, ImageLoader};
use crate::lookup::Wake;
use crate::pin_guard::PinGuard;
use crate::service::{News, TillService};
use crate::setup::Ready;
use crate::yespo::Product;

use super::basket_line::BasketLine;
use super::command::{Command, OpenProduct};
use super::i18n::{Texts, system_language};
use super::lookup_bar::{BarContext, LookupBar};
use super::pin_gate::{GateOutcome, PinGate};
use super::scanner::{self, InputState};
use super::settings::{SettingsForm, SettingsOutcome};
use super::textures::Textures;
use super::{card, details, source_view, status_bar, theme};
use crate::session::{SectionState, Session};

/// A kiosk till's pointer hides after this long without use.
const POINTER_HIDES_AFTER: std::time::Duration = std::time::Duration::from_secs(3);

/// How long "Added to the sale" stays on screen.
const CONFIRMATION_TIME: std::time::Duration = std::time::Duration::from_secs(4);

/// Which screen is up.
enum Screen {
    /// The till: lookup bar and cards.
    Cashier,
    /// Asking for the manager PIN (to open the settings, or, in kiosk mode,
    /// to let the till close).
    Pin(PinGate, PinFor),
    /// The manager's settings.
    Settings(Box<SettingsForm>),
    /// The settings being written to the file (the form comes back if that fails).
    Saving(
        Box<poll_promise::Promise<Result<(Config, PathBuf), String>>>,
        Box<SettingsForm>,
    ),
}

/// What the manager PIN unlocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PinFor {
    /// The settings.
    Settings,
    /// Closing a kiosk till.
    Closing,
}

/// The cashier screen.
pub struct CashierApp {
    /// The running till: lookups, session, basket, the POS link, the chain.
    service: TillService,
    /// The customer input.
    bar: LookupBar,
    /// The basket line of a till without a POS link.
    basket_line: BasketLine,
    /// Product pictures: downloads and textures.
    pictures: Pictures,
    /// Which screen is up.
    screen: Screen,
    /// What is shown over the cards: details, customer view, messages.
    shown: Shown,
    /// Keyboard routing between frames.
    keyboard: Keyboard,
    texts: &'static Texts,
    /// The window's context, for the input's text state and window commands.
    ctx: egui::Context,
    /// Measurement and test hooks.
    diagnostics: Diagnostics,
}

/// Pictures: the loader (downloads, caches) and the textures on the GPU.
struct Pictures {
    images: ImageLoader,
    textures: Textures,
}

/// What is shown over or beside the cards.
#[derive(Default)]
struct Shown {
    /// The product whose details are open.
    details: Option<OpenProduct>,
    /// A product turned to the customer, full-screen.
    customer_view: Option<Product>,
    /// The product on the customer's own window (`customer_screen = "window"`).
    for_customer: Option<Product>,
    /// A confirmation shown for a few seconds, and since when.
    confirmation: Option<(String, std::time::Instant)>,
    /// Last message about saving settings and the like.
    notice: Option<String>,
}

/// Keyboard state carried from one frame to the next.
#[derive(Default)]
struct Keyboard {
    /// Events held for the next frame: what came after the Enter that ended
    /// an identifier (see `scanner`).
    deferred_events: Vec<egui::Event>,
    /// The first product card drawn in the last frame.
    first_card: Option<egui::Id>,
    /// Which widget had the keyboard at the end of the last frame.
    last_focus: Option<egui::Id>,
}

/// Measurement and test hooks.
struct Diagnostics {
    probe: Option<super::probe::Probe>,
    /// `POS_RECS_DEBUG_REPAINT` set: print why each frame was drawn (finding
    /// what keeps a till from resting).
    debug_repaint: bool,
    /// Test hook: panic while drawing the next frame.
    #[cfg(debug_assertions)]
    panic_next_frame: bool,
    /// Kiosk: the PIN was given, the window may close.
    may_close: bool,
    /// Kiosk: when the pointer last moved (it hides after a few seconds).
    pointer_moved: std::time::Instant,
}

impl CashierApp {
    /// Builds the app for a prepared configuration. `ctx` is used to wake
    /// the UI when answers arrive; `runtime` runs the lookups.
    pub fn new(
        ctx: &egui::Context,
        runtime: tokio::runtime::Handle,
        ready: Ready,
    ) -> Result<Self, ConfigError> {
        theme::apply(
            ctx,
            ready.config.display.theme == ThemeChoice::Dark,
            ready.config.display.text_scale,
        );
        let texts = Texts::of(
            ready
                .config
                .display
                .language
                .unwrap_or_else(system_language),
        );
        let repaint = ctx.clone();
        let wake: Wake = Arc::new(move || repaint.request_repaint());
        // Demo pictures are drawn locally on a random port: nothing worth keeping on disk.
        let disk = (ready.origin != ConfigOrigin::Demo)
            .then(DiskCache::default_dir)
            .flatten()
            .map(|dir| DiskCache::new(dir, DEFAULT_DISK_BYTES));
        let images = ImageLoader::new(
            runtime.clone(),
            Some(wake.clone()),
            DEFAULT_CACHE_BYTES,
            disk,
        )
        .with_network(&ready.config.network);
        let service = TillService::start(ready, runtime)?;
        service.set_front_wake(wake);
        // The till works without the link; the manager is told why it is off.
        let notice = service
            .link_problem()
            .map(|why| format!("{} {why}", texts.link_failed));
        Ok(Self {
            service,
            bar: LookupBar::default(),
            basket_line: BasketLine::default(),
            pictures: Pictures {
                images,
                textures: Textures::default(),
            },
            screen: Screen::Cashier,
            shown: Shown {
                notice,
                ..Shown::default()
            },
            keyboard: Keyboard::default(),
            texts,
            ctx: ctx.clone(),
            diagnostics: Diagnostics {
                probe: super::probe::Probe::from_env(),
                debug_repaint: std::env::var_os("POS_RECS_DEBUG_REPAINT").is_some(),
                #[cfg(debug_assertions)]
                panic_next_frame: false,
                may_close: false,
                pointer_moved: std::time::Instant::now(),
            },
        })
    }

    /// Takes in what the service says happened elsewhere (the POS, a second
    /// launch, the chain). Called before drawing.
    pub fn poll(&mut self) {
        for news in self.service.take_news() {
            match news {
                News::NewCustomer => {
                    // What is in the input stays: it may be a scan still
                    // arriving, and cutting it would leave a partial number.
                    self.bar.message = None;
                    self.new_customer_on_screen();
                    // The cashier sees the customer at once, as if typed.
                    self.ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
                }
                News::SaleEnded => {
                    self.sale_ended_here();
                    self.bar.message = None;
                }
                News::BringForward => self.ctx.send_viewport_cmd(egui::ViewportCommand::Focus),
                News::InputProblem(e) => {
                    self.shown.details = None;
                    self.bar.message = Some(self.texts.input_problem(&e));
                }
                News::Reconfigured => self.shown.details = None,
                News::Notice(notice) => self.shown.notice = Some(notice),
            }
        }
    }

    /// Switches the till, and the POS link with it, to a new configuration
    /// (settings saved, or the chain's sources arrived). The screen starts
    /// empty for the next customer.
    pub fn apply_config(&mut self, new: Config) -> Result<(), crate::config::ConfigError> {
        self.service.reconfigure(new)
    }

    /// Takes the requests of later launches (`pos-recs --phone …` from a
    /// POS button): the window comes to the front and, given a customer,
    /// looks them up as if typed.
    pub fn listen_for_launches(&mut self, instance: crate::instance::Instance) {
        self.service.listen_for_launches(instance);
    }

    /// How the chain's central configuration stands (`None`: not managed).
    pub fn central_status(&self) -> Option<crate::fleet::FleetStatus> {
        self.service.central_status()
    }

    /// The running till behind this window.
    pub fn service(&self) -> &TillService {
        &self.service
    }

    /// Adds what the cashier did to the manager's history.
    fn record(&self, event: Event) {
        self.service.record(event);
    }

    /// A product scanned on the basket line goes into the sale's basket.
    fn add_to_basket(&mut self, id: &str) {
        let mut basket = self.service.basket();
        match basket.add(id) {
            Ok(()) => self.service.set_basket(basket),
            Err(e) => self.shown.notice = Some(e.to_string()),
        }
    }

    /// "Add to sale": the POS hears of the product; the cashier sees it went.
    fn add_to_sale(&mut self, chosen: &OpenProduct) {
        let product = &chosen.product;
        self.service.product_chosen(chosen.source_id, product);
        tracing::info!(source = chosen.source_id, product = %product.id, "added to sale");
        self.shown.confirmation = Some((
            format!("{} {}", self.texts.added_to_sale, product.name),
            std::time::Instant::now(),
        ));
    }

    /// The current customer's lookup, if any.
    pub fn session(&self) -> Option<Arc<Session>> {
        self.service.session()
    }

    /// Shows a prepared session (benchmarks): see [`Till::show_prepared`].
    #[doc(hidden)]
    pub fn show_prepared(&mut self, session: Session) {
        self.service.show_prepared(session);
    }

    /// The configuration in use.
    pub fn config(&self) -> Arc<Config> {
        self.service.config()
    }

    /// Starts a lookup for `customer`, superseding any running one.
    pub fn start_lookup(&mut self, customer: Identifier) {
        self.service.look_up(customer);
        self.new_customer_on_screen();
    }

    /// A new customer: the old one's pictures and open details go.
    fn new_customer_on_screen(&mut self) {
        self.pictures.images.new_customer();
        self.shown.details = None;
    }

    /// Replaces the sale's basket (the POS link, the basket line).
    pub fn set_basket(&mut self, basket: crate::basket::Basket) {
        self.service.set_basket(basket);
    }

    /// Where the POS link listens, when it is on.
    pub fn pos_link_address(&self) -> Option<std::net::SocketAddr> {
        self.service.pos_link_address()
    }

    /// True when a POS program sends the customer and the basket.
    fn linked(&self) -> bool {
        self.service.pos_link_address().is_some()
    }

    /// The sale's basket.
    pub fn basket(&self) -> crate::basket::Basket {
        self.service.basket()
    }

    /// Clears the screen and the input for the next customer (Esc).
    pub fn clear(&mut self) {
        self.end_sale();
        self.bar.clear();
    }

    /// Ends the sale: customer, cards, basket and details go; the input is
    /// left alone (the POS ended the sale, and a scan may be arriving).
    fn end_sale(&mut self) {
        self.service.clear();
        self.sale_ended_here();
    }

    /// What the window itself resets when a sale ends, here or at the POS.
    fn sale_ended_here(&mut self) {
        self.bar.focus_requested = true;
        self.shown.for_customer = None;
        self.basket_line.active = false;
        self.basket_line.entry.clear();
        self.shown.details = None;
    }

    /// Looks up what the cashier typed in the input.
    fn submit(&mut self) {
        let raw = self.bar.input.clone();
        if self.look_up_raw(&raw, self.bar.forced) {
            self.bar.input.clear();
        } else {
            // The next scan replaces what is left instead of extending it;
            // the cashier can still fix a typo with the arrow keys.
            self.bar.select_leftover(&self.ctx);
        }
    }

    /// Reads `raw` as a customer and looks them up, or says under the input
    /// why not (the previous customer's cards go either way). True when a
    /// lookup started.
    fn look_up_raw(&mut self, raw: &str, forced: Option<crate::identify::IdentifierKind>) -> bool {
        match self.service.submit(raw, forced) {
            Ok(_) => {
                self.bar.message = None;
                self.new_customer_on_screen();
                true
            }
            Err(e) => {
                self.shown.details = None;
                self.bar.message = Some(self.texts.input_problem(&e));
                false
            }
        }
    }

    /// Draws the whole window into `ui`.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        #[cfg(debug_assertions)]
        if std::mem::take(&mut self.diagnostics.panic_next_frame) {
            panic!("test hook: panic while drawing");
        }
        self.guard_closing(ui.ctx());
        // Promises and tasks started while drawing run on our runtime.
        let runtime = self.service.runtime().clone();
        let _enter = runtime.enter();
        self.pictures.textures.begin_frame();
        match &mut self.screen {
            Screen::Cashier => self.cashier_ui(ui),
            Screen::Pin(gate, purpose) => {
                let purpose = *purpose;
                let outcome = egui::CentralPanel::default()
                    .show(ui, |ui| gate.ui(ui))
                    .inner;
                match outcome {
                    GateOutcome::Waiting => {}
                    GateOutcome::Cancel => self.screen = Screen::Cashier,
                    GateOutcome::Open { .. } if purpose == PinFor::Closing => {
                        tracing::warn!("the kiosk till was closed with the manager PIN");
                        self.diagnostics.may_close = true;
                        self.screen = Screen::Cashier;
                        ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                    }
                    GateOutcome::Open { new_hash } => {
                        let config = self.service.config();
                        let (config_path, origin) = {
                            let place = self.service.place();
                            (place.config_path.clone(), place.origin.clone())
                        };
                        let mut form =
                            SettingsForm::new(&config, config_path, self.seen_tags(), self.texts);
                        if origin == ConfigOrigin::Demo {
                            form = form.leaving_demo();
                        }
                        form = form
                            .with_history(crate::history::file_for(&config, &origin))
                            .managed_by_chain(self.service.central_status().is_some());
                        if let Some(hash) = new_hash {
                            form.set_pin_hash(hash);
                        }
                        self.screen = Screen::Settings(Box::new(form));
                    }
                }
            }
            Screen::Settings(form) => {
                let outcome = egui::CentralPanel::default()
                    .show(ui, |ui| form.ui(ui))
                    .inner;
                match outcome {
                    SettingsOutcome::Editing => {}
                    SettingsOutcome::Cancel => self.screen = Screen::Cashier,
                    SettingsOutcome::Save(config) => self.start_saving(*config),
                }
            }
            Screen::Saving(saving, _) => {
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.add_space(80.0);
                    ui.vertical_centered(|ui| ui.spinner());
                });
                match saving.ready() {
                    None => ui
                        .ctx()
                        .request_repaint_after(std::time::Duration::from_millis(30)),
                    Some(Ok((config, path))) => {
                        let (config, path) = (config.clone(), path.clone());
                        self.saved(ui.ctx(), config, path);
                    }
                    Some(Err(message)) => {
                        let message = message.clone();
                        let screen = std::mem::replace(&mut self.screen, Screen::Cashier);
                        if let Screen::Saving(_, mut form) = screen {
                            form.show_error(message);
                            self.screen = Screen::Settings(form);
                        }
                    }
                }
            }
        }
    }

    /// Kiosk mode: a close request (Alt+F4, the window manager) asks for the
    /// manager PIN first; the window closes once it is given.
    fn guard_closing(&mut self, ctx: &egui::Context) {
        if !self.service.config().display.kiosk || self.diagnostics.may_close {
            return;
        }
        if ctx.input(|i| i.viewport().close_requested()) {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            let guard = self.pin_guard();
            self.shown.details = None;
            self.screen = Screen::Pin(
                PinGate::new(
                    self.config().manager.pin_hash.clone(),
                    guard,
                    false,
                    self.texts,
                ),
                PinFor::Closing,
            );
        }
        // The pointer hides after a few seconds without use.
        if ctx.input(|i| i.pointer.delta() != egui::Vec2::ZERO || i.pointer.any_down()) {
            self.diagnostics.pointer_moved = std::time::Instant::now();
        }
        let idle = self.diagnostics.pointer_moved.elapsed();
        if idle >= POINTER_HIDES_AFTER {
            ctx.set_cursor_icon(egui::CursorIcon::None);
        } else {
            ctx.request_repaint_after(POINTER_HIDES_AFTER - idle);
        }
    }

    /// True once a kiosk till's manager gave the PIN to close it.
    pub fn may_close(&self) -> bool {
        self.diagnostics.may_close
    }

    /// True while a kiosk till asks for the PIN before closing.
    pub fn asking_pin_to_close(&self) -> bool {
        matches!(self.screen, Screen::Pin(_, PinFor::Closing))
    }

    /// Opens the PIN prompt in front of the settings.
    pub fn open_settings(&mut self) {
        self.shown.details = None;
        let guard = self.pin_guard();
        // A new install (the demo) has nothing to protect yet; a configured
        // till gets its first PIN only when started deliberately for setup.
        let first_pin_allowed = {
            let place = self.service.place();
            place.setup_mode || place.origin == ConfigOrigin::Demo
        };
        self.screen = Screen::Pin(
            PinGate::new(
                self.config().manager.pin_hash.clone(),
                guard,
                first_pin_allowed,
                self.texts,
            ),
            PinFor::Settings,
        );
    }

    /// The wrong-PIN waits kept beside the configuration.
    fn pin_guard(&self) -> PinGuard {
        let path = self.service.place().config_path.clone();
        PinGuard::load(path.as_deref().map(PinGuard::path_for))
    }

    fn recover_from_panic(&mut self) {
        self.shown.details = None;
        self.shown.customer_view = None;
        self.screen = Screen::Cashier;
        self.shown.notice = Some(self.texts.screen_reset.into());
    }

    /// Test hook: makes drawing the next frame panic (debug builds only).
    #[cfg(debug_assertions)]
    #[doc(hidden)]
    pub fn panic_on_next_frame(&mut self) {
        self.diagnostics.panic_next_frame = true;
    }

    /// True while a product is shown full-screen to the customer.
    pub fn showing_customer(&self) -> bool {
        self.shown.customer_view.is_some()
    }

    /// The last message for the cashier (settings saved, screen reset, …).
    pub fn notice(&self) -> Option<&str> {
        self.shown.notice.as_deref()
    }

    /// True while a product's details are open.
    pub fn details_open(&self) -> bool {
        self.shown.details.is_some()
    }

    /// True while the settings (or their PIN prompt) are up.
    pub fn in_settings(&self) -> bool {
        !matches!(self.screen, Screen::Cashier)
    }

    /// Tag names seen per source in the current customer's answers.
    fn seen_tags(&self) -> HashMap<u64, BTreeSet<String>> {
        let mut seen: HashMap<u64, BTreeSet<String>> = HashMap::new();
        let session = self.service.session();
        for section in session.iter().flat_map(|s| &s.sections) {
            if let SectionState::Loaded { products, .. } = &section.state {
                let tags = seen.entry(section.source.id).or_default();
                tags.extend(products.iter().flat_map(|p| p.tags.keys().cloned()));
            }
        }
        seen
    }

    /// Writes the new configuration and switches the till to it.
    /// Writes the new configuration on a blocking worker (never in the
    /// frame); the till switches to it when the file is written.
    fn start_saving(&mut self, new: Config) {
        let Some(path) = self.service.place().config_path.clone() else {
            self.shown.notice = Some(self.texts.no_place_to_save.into());
            return;
        };
        let Screen::Settings(form) = std::mem::replace(&mut self.screen, Screen::Cashier) else {
            return;
        };
        let managed_by_chain = self.service.central_status().is_some();
        let writing = poll_promise::Promise::spawn_blocking(move || {
            // Checked before writing: a configuration the till cannot use is not saved.
            crate::lookup::LookupEngine::new(&new).map_err(|e| e.to_string())?;
            // The chain's sources live in the chain's file: the store's own
            // list stays as it was, for when the chain cannot be reached.
            let to_write = if managed_by_chain {
                with_sources_on_disk(&new, &path)
            } else {
                new.clone()
            };
            to_write.save_preserving(&path).map_err(|e| e.to_string())?;
            Ok((new, path))
        });
        self.screen = Screen::Saving(Box::new(writing), form);
    }

    /// The file is written: the till switches to the new configuration.
    fn saved(&mut self, ctx: &egui::Context, new: Config, path: PathBuf) {
        if new.manager.pin_hash != self.config().manager.pin_hash {
            tracing::warn!(config = %path.display(), "manager PIN changed");
        }
        theme::apply(
            ctx,
            new.display.theme == ThemeChoice::Dark,
            new.display.text_scale,
        );
        if let Err(e) = self.apply_config(new) {
            self.shown.notice = Some(e.to_string());
            return;
        }
        self.service.place().origin = ConfigOrigin::File(path.clone());
        self.clear();
        self.shown.notice = Some(format!("{} {}", self.texts.settings_saved, path.display()));
        self.screen = Screen::Cashier;
    }

    fn customer_window(&self) -> bool {
        self.service.config().display.customer_screen == crate::config::CustomerScreen::Window
    }

    /// The customer-facing window: what the cashier chose to show, large,
    /// or a calm idle view. Its place and size are remembered.
    fn customer_window_ui(&mut self, ctx: &egui::Context) {
        if !self.customer_window() {
            return;
        }
        let title = match &self.shown.for_customer {
            Some(product) => format!("pos-recs — customer: {}", product.name),
            None => "pos-recs — customer".to_string(),
        };
        let mut builder = egui::ViewportBuilder::default()
            .with_title(title)
            .with_app_id("pos-recs-customer")
            .with_inner_size([900.0, 700.0]);
        if let Some((position, size)) = super::customer_screen::remembered() {
            builder = builder.with_position(position).with_inner_size(size);
        }
        let texts = self.texts;
        let shown = self.shown.for_customer.clone();
        let config = self.service.config();
        let mut cards = card::CardContext::new(
            &self.pictures.images,
            &mut self.pictures.textures,
            &config,
            texts,
        );
        ctx.show_viewport_immediate(
            super::customer_screen::viewport_id(),
            builder,
            |ctx, _class| {
                egui::CentralPanel::default().show(ctx, |ui| match &shown {
                    Some(product) => details::customer_product_ui(ui, product, &mut cards),
                    None => super::customer_screen::idle_ui(ui, texts),
                });
                super::customer_screen::remember(ctx);
            },
        );
    }

    /// The product shown on the customer's window, if any.
    pub fn shown_to_customer(&self) -> Option<&Product> {
        self.shown.for_customer.as_ref()
    }

    fn cashier_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.customer_window_ui(&ctx);
        if let Some(product) = &self.shown.customer_view {
            let config = self.service.config();
            let mut cards = card::CardContext::new(
                &self.pictures.images,
                &mut self.pictures.textures,
                &config,
                self.texts,
            );
            let back = egui::CentralPanel::default()
                .show(ui, |ui| details::customer_view_ui(ui, product, &mut cards))
                .inner;
            if back {
                self.shown.customer_view = None;
                ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(false));
            }
            return;
        }
        // The till's keys and the scanner's text, before any widget sees them.
        if self.shown.details.is_none() {
            self.route_keyboard(&ctx);
            if self.in_settings() {
                return;
            }
        }
        // Arrow keys move between cards (Tab works too); the input keeps its own arrows.
        let input_has_focus = ctx
            .memory(|m| m.focused())
            .is_some_and(|id| Some(id) == self.bar.input_id);
        if !input_has_focus && self.shown.details.is_none() {
            let direction = ctx.input(|i| {
                [
                    (egui::Key::ArrowRight, egui::FocusDirection::Right),
                    (egui::Key::ArrowLeft, egui::FocusDirection::Left),
                    (egui::Key::ArrowDown, egui::FocusDirection::Down),
                    (egui::Key::ArrowUp, egui::FocusDirection::Up),
                ]
                .into_iter()
                .find(|(key, _)| i.key_pressed(*key))
                .map(|(_, d)| d)
            });
            if let Some(direction) = direction {
                ctx.memory_mut(|m| m.move_focus(direction));
            }
        }
        // F1 from anywhere: back to the input, ready for the next scan.
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::F1)) {
            self.shown.details = None;
            self.bar.focus_requested = true;
        }
        // What the till shows now: snapshots, drawn from for this frame.
        let config = self.service.config();
        let session = self.service.session();
        let origin = self.service.place().origin.clone();
        let linked = self.linked();
        let mut commands: Vec<Command> = Vec::new();
        egui::Panel::top("lookup_bar").show(ui, |ui| {
            let cx = BarContext {
                texts: self.texts,
                config: &config,
                origin: &origin,
                session: session.as_deref(),
                may_focus: self.shown.details.is_none() && !self.basket_line.active,
                notice: self.shown.notice.as_deref(),
                confirmation: self
                    .shown
                    .confirmation
                    .as_ref()
                    .map(|(text, _)| text.as_str()),
                touch: config.display.touch,
            };
            commands.extend(self.bar.ui(ui, &cx));
            // A standalone till keeps the basket here; with a POS link the POS sends it.
            if !linked {
                let basket = self.service.basket();
                commands.extend(self.basket_line.ui(ui, &basket, self.texts));
                ui.add_space(4.0);
            }
        });
        egui::Panel::bottom("status_line").show(ui, |ui| {
            status_bar::ui(
                ui,
                status_bar::StatusContext {
                    texts: self.texts,
                    origin: &origin,
                    config: &config,
                    net: &self.service.connectivity(),
                    session: session.as_deref(),
                    history_problem: self.service.history_problem(),
                    central: self.service.central_status(),
                },
            );
        });
        let mut first_card = None;
        let mut seen = Vec::new();
        egui::CentralPanel::default().show(ui, |ui| {
            let Some(session) = session.as_deref() else {
                source_view::welcome_ui(ui, self.texts, origin == ConfigOrigin::Demo);
                return;
            };
            let mut cards = card::CardContext::new(
                &self.pictures.images,
                &mut self.pictures.textures,
                &config,
                self.texts,
            );
            let layout = source_view::layout_for(
                ctx.content_rect().size(),
                ui.available_size(),
                session.sections.len(),
            );
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    if session.sections.is_empty() {
                        ui.add_space(40.0);
                        ui.label(
                            egui::RichText::new(cards.texts.no_sources)
                                .size(theme::SECTION_TITLE_SIZE)
                                .strong(),
                        );
                    }
                    for (index, section) in session.sections.iter().enumerate() {
                        commands.extend(source_view::section_ui(
                            ui, index, section, layout, &mut cards,
                        ));
                    }
                });
            first_card = cards.first_card;
            seen = cards.seen;
        });
        self.keyboard.first_card = first_card;
        for (source_id, product_id, position) in seen {
            self.service.card_seen(source_id, &product_id, position);
        }
        // The screen's commands first, so a card opened this frame is drawn
        // this frame; then the details' own.
        for command in commands {
            self.run(&ctx, command);
        }
        if let Some(open) = &self.shown.details {
            let mut cards = card::CardContext::new(
                &self.pictures.images,
                &mut self.pictures.textures,
                &config,
                self.texts,
            );
            if let Some(command) = details::ui(&ctx, open, linked, &mut cards) {
                self.run(&ctx, command);
            }
        }
        self.keyboard.last_focus = ctx.memory(|m| m.focused());
        // The confirmation goes after a few seconds: one frame then, no ticking.
        if let Some((_, since)) = &self.shown.confirmation {
            let left = CONFIRMATION_TIME.saturating_sub(since.elapsed());
            if left.is_zero() {
                self.shown.confirmation = None;
            } else {
                ctx.request_repaint_after(left);
            }
        }
        // A slow tick while answers are pending (spinners), and the health
        // probe while offline; otherwise the till rests until woken.
        if let Some(after) = self.service.next_poll() {
            ctx.request_repaint_after(after);
        }
    }

    /// Splits this frame's keyboard events (see [`scanner`]) and runs the
    /// till's own commands before any widget is drawn.
    fn route_keyboard(&mut self, ctx: &egui::Context) {
        let focused = ctx.memory(|m| m.focused());
        let input_focused = focused.is_some() && focused == self.bar.input_id;
        // egui drops the focus on Esc before we see the key: where the
        // keyboard was decides what Esc means, so ask the last frame.
        let was_on_other =
            self.keyboard.last_focus.is_some() && self.keyboard.last_focus != self.bar.input_id;
        let input = InputState {
            focused: input_focused,
            has_text: !self.bar.input.trim().is_empty(),
            other_focused: (focused.is_some() && !input_focused) || was_on_other,
            basket_mode: self.basket_line.active && !self.linked(),
        };
        let held = std::mem::take(&mut self.keyboard.deferred_events);
        let events = ctx.input_mut(|i| {
            let mut all = held;
            all.append(&mut i.events);
            all
        });
        let routed = scanner::route(events, input);
        ctx.input_mut(|i| i.events = routed.kept);
        if !routed.deferred.is_empty() {
            self.keyboard.deferred_events = routed.deferred;
            ctx.request_repaint();
        }
        for command in routed.commands {
            self.run(ctx, command);
        }
    }

    /// Runs one command (see [`Command`]): the one place where what the
    /// cashier asked for turns into calls on the till and the screen.
    fn run(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::Submit => self.submit(),
            Command::Clear => self.clear(),
            Command::Type(text) => self.bar.type_text(ctx, &text),
            Command::FocusInput => {
                self.basket_line.active = false;
                self.bar.focus_requested = true;
            }
            Command::Settings => self.open_settings(),
            Command::FocusCards => {
                if let Some(card) = self.keyboard.first_card {
                    ctx.memory_mut(|m| m.request_focus(card));
                }
            }
            Command::FocusBasket => {
                if !self.linked() {
                    self.basket_line.active = true;
                    self.basket_line.focus_requested = true;
                }
            }
            Command::BasketText(text) => self.basket_line.entry.push_str(&text),
            Command::BasketEnter => {
                if let Some(id) = self.basket_line.take_entry() {
                    self.add_to_basket(&id);
                }
            }
            Command::BasketRemove(id) => {
                let mut basket = self.service.basket();
                basket.remove(&id);
                self.service.set_basket(basket);
            }
            Command::Retry(index) => self.service.retry(index),
            Command::Open(open) => {
                self.record(Event::Opened {
                    source_id: open.source_id,
                    product_id: open.product.id.clone(),
                });
                self.shown.details = Some(open);
            }
            Command::CloseDetails => {
                self.shown.details = None;
                // Back to the input, ready for the next scan; the sale goes on.
                self.bar.focus_requested = true;
            }
            Command::ShowCustomer => {
                if let Some(open) = self.shown.details.take() {
                    self.run(ctx, Command::ShowToCustomer(open));
                }
            }
            Command::ShowToCustomer(open) => {
                self.record(Event::ShownToCustomer {
                    source_id: open.source_id,
                    product_id: open.product.id.clone(),
                });
                self.shown.details = None;
                if self.customer_window() {
                    // The customer's own window shows it; the cashier's stays as it is.
                    self.shown.for_customer = Some(open.product);
                    self.bar.focus_requested = true;
                } else {
                    self.shown.customer_view = Some(open.product);
                    ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(true));
                }
            }
            Command::AddToSale(chosen) => {
                self.add_to_sale(&chosen);
                if self.shown.details.take().is_some() {
                    self.bar.focus_requested = true;
                }
            }
        }
    }

    /// Number of decoded textures held (for tests and benches).
    pub fn texture_count(&self) -> usize {
        self.pictures.textures.len()
    }

    /// Pictures on screen still loading (for tests).
    pub fn pictures_loading(&self) -> usize {
        self.pictures.textures.loading()
    }

    /// The latest network failure, if the app is offline.
    pub fn offline_reason(&self) -> Option<String> {
        self.service
            .connectivity()
            .offline_reason()
            .map(str::to_string)
    }
}

/// `config` with the `[[sources]]` the file at `path` has now (all of
/// `config` when the file cannot be read).
fn with_sources_on_disk(config: &Config, path: &std::path::Path) -> Config {
    let own = std::fs::read_to_string(path)
        .ok()
        .and_then(|text| Config::parse(&text, path).ok());
    match own {
        Some(own) => Config {
            sources: own.sources,
            ..config.clone()
        },
        None => config.clone(),
    }
}

impl eframe::App for CashierApp {
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.poll();
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        if self.diagnostics.debug_repaint {
            eprintln!("repaint causes: {:?}", ui.ctx().repaint_causes());
        }
        if let Some(input) = self.diagnostics.probe.as_mut().and_then(|p| p.frame()) {
            self.bar.input = input;
            self.submit();
        }
        // A bug in drawing must not take the till away: the frame is dropped,
        // the screen reset to the lookup, and the cashier carries on.
        let frame_started = std::time::Instant::now();
        let drawn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.show(ui)));
        if let Some(probe) = &mut self.diagnostics.probe {
            probe.frame_took(frame_started.elapsed());
        }
        if drawn.is_err() {
            tracing::error!("drawing a frame panicked; the screen was reset");
            self.recover_from_panic();
        }
        let session = self.service.session();
        let settled = session.as_deref().is_some_and(Session::is_settled);
        let cards = session.as_deref().map_or(0, Session::product_count);
        let (loading, textures) = (
            self.pictures.textures.loading(),
            self.pictures.textures.len(),
        );
        if let Some(probe) = &mut self.diagnostics.probe
            && probe.after_frame(ui.ctx(), cards, settled, loading, textures)
        {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }
}
