//! The cashier window: one front end of the [`TillService`]. It draws from
//! the service's snapshots, sends it what the cashier does, and keeps only
//! what the screen needs: the input, the basket line, pictures, which
//! screen is up and what is shown over the cards. It knows no socket, no
//! poller and no HTTP server, and it never awaits.

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::{Config, ConfigError, ConfigOrigin, ThemeChoice};
use crate::history::Event;
use crate::identify::Identifier;
use crate::images::disk::DEFAULT_DISK_BYTES;
use crate::images::{DEFAULT_CACHE_BYTES, DiskCache, ImageLoader};
use crate::service::{News, TillService};
use crate::setup::Ready;
use crate::sync::Wake;
use crate::yespo::Product;

use super::basket_line::BasketLine;
use super::command::OpenProduct;
use super::glyph_warm_up::GlyphWarmUp;
use super::i18n::{Texts, system_language};
use super::lookup_bar::LookupBar;
use super::pin_gate::PinGate;
use super::settings::SettingsForm;
use super::textures::Textures;
use super::theme;
use super::what_works::WhatWorks;

mod cashier;
mod commands;
mod manager;
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
    /// The manager's "What works" report; the settings wait behind it with
    /// their unsaved edits, for the menu's way back.
    WhatWorks(Box<WhatWorks>, Box<SettingsForm>),
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
    /// The cards' glyphs rasterised before the first customer.
    glyphs: GlyphWarmUp,
    /// Measurement and test hooks.
    diagnostics: Diagnostics,
}

/// Pictures: the loader (downloads, caches) and the textures on the GPU.
struct Pictures {
    images: ImageLoader,
    textures: Textures,
    /// Shared sources' answers whose pictures were fetched ahead
    /// (lookup, section, section generation).
    fetched_ahead: std::collections::HashSet<(u64, usize, u64)>,
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
    /// How long the app's own drawing of the last frame took.
    last_frame: std::time::Duration,
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
                fetched_ahead: Default::default(),
            },
            screen: Screen::Cashier,
            shown: Shown {
                notice,
                ..Shown::default()
            },
            keyboard: Keyboard::default(),
            texts,
            ctx: ctx.clone(),
            glyphs: GlyphWarmUp::default(),
            diagnostics: Diagnostics {
                probe: super::probe::Probe::from_env(),
                debug_repaint: std::env::var_os("POS_RECS_DEBUG_REPAINT").is_some(),
                #[cfg(debug_assertions)]
                panic_next_frame: false,
                may_close: false,
                pointer_moved: std::time::Instant::now(),
                last_frame: std::time::Duration::ZERO,
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
        self.fetch_shared_pictures_ahead();
    }

    /// The pictures of every card a shared source answered (fresh, not a
    /// kept answer) go to the disk cache ahead of time: if the network goes,
    /// those cards come back from the kept answers with their pictures,
    /// even the ones the cashier never scrolled to. Personal sources are
    /// never kept, so their pictures are not fetched ahead.
    fn fetch_shared_pictures_ahead(&mut self) {
        let Some(session) = self.service.session() else {
            return;
        };
        let done = &mut self.pictures.fetched_ahead;
        done.retain(|(lookup, _, _)| *lookup == session.generation);
        for (i, section) in session.sections.iter().enumerate() {
            let SectionState::Loaded {
                products,
                stale_since: None,
                ..
            } = &section.state
            else {
                continue;
            };
            if section.source.is_shared()
                && done.insert((session.generation, i, section.generation))
            {
                self.pictures
                    .images
                    .prefetch(products.iter().filter_map(|p| p.image_url.clone()));
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
    pub fn listen_for_launches(&mut self, instance: crate::service::Instance) {
        self.service.listen_for_launches(instance);
    }

    /// How the chain's central configuration stands (`None`: not managed).
    pub fn central_status(&self) -> Option<crate::service::FleetStatus> {
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
        if self.service.pos_link_address().is_some() {
            // The POS reports the sale itself (POST /v1/sale).
            self.service.clear();
        } else {
            // No POS: the basket line's items are the sale.
            self.service.end_sale_here();
        }
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

    /// True once a kiosk till's manager gave the PIN to close it.
    pub fn may_close(&self) -> bool {
        self.diagnostics.may_close
    }

    /// True while a kiosk till asks for the PIN before closing.
    pub fn asking_pin_to_close(&self) -> bool {
        matches!(self.screen, Screen::Pin(_, PinFor::Closing))
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

    /// The product shown on the customer's window, if any.
    pub fn shown_to_customer(&self) -> Option<&Product> {
        self.shown.for_customer.as_ref()
    }

    /// Sets the bytes of picture textures made per frame (the bench compares budgets).
    #[doc(hidden)]
    pub fn set_upload_budget(&mut self, bytes: usize) {
        self.pictures.textures.set_upload_budget(bytes);
    }

    /// Measurements: leaves the glyphs to the first customer's cards, as
    /// before the warm-up (the bench compares both).
    #[doc(hidden)]
    pub fn skip_glyph_warm_up(&mut self) {
        self.glyphs = GlyphWarmUp::finished();
    }

    /// Whether the cards' glyphs are all rasterised (the till's idle frames
    /// after start do it).
    pub fn glyphs_warmed_up(&self) -> bool {
        self.glyphs.is_done()
    }

    /// How long the app's own drawing of the last frame took (egui's layout
    /// of the till's screen, without the platform's accessibility tree,
    /// tessellation and painting).
    #[doc(hidden)]
    pub fn last_frame_took(&self) -> std::time::Duration {
        self.diagnostics.last_frame
    }

    /// Number of decoded textures held (for tests and benches).
    pub fn texture_count(&self) -> usize {
        self.pictures.textures.len()
    }

    /// Pictures being fetched ahead for offline use (for tests).
    #[doc(hidden)]
    pub fn pictures_fetching_ahead(&self) -> usize {
        self.pictures.images.fetching_ahead()
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

impl eframe::App for CashierApp {
    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        theme::background(visuals.dark_mode).to_normalized_gamma_f32()
    }

    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        if let Some(probe) = &self.diagnostics.probe {
            probe.input_hook(raw_input);
        }
    }

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
        self.diagnostics.last_frame = frame_started.elapsed();
        if let Some(probe) = &mut self.diagnostics.probe {
            probe.frame_took(self.diagnostics.last_frame);
        }
        if drawn.is_err() {
            tracing::error!("drawing a frame panicked; the screen was reset");
            self.recover_from_panic();
        }
        let session = self.service.session();
        // Idle frames before the first customer: their cards' glyphs then
        // need no rasterising in the frame the cards first appear in.
        if session.is_none() {
            self.glyphs.step(ui.ctx());
        }
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
