//! The running till: one owner for the lookups, the POS link, the chain's
//! poller, the one-instance listener and the history, with no UI in it.
//!
//! Like gossip's Overlord, the service owns every connection, and front
//! ends (the window, the POS link, a second launch, `pos-recs serve`) send
//! it the same commands. Each command is applied at once, under the till's
//! lock, and what the till shows is republished as one document before the
//! call returns; no command waits for a window's frame. Front ends draw
//! from snapshots ([`TillService::session`], [`TillService::config`]) and
//! hear what changed through [`News`] and their wake callback.
//!
//! A driver task on the runtime takes in the lookups' answers, the chain's
//! store files and later launches' requests as they arrive.

mod port;
mod report;
mod settings;

pub use report::{ReportError, export_report_csv, report_figures};
pub use settings::{SaveJob, SettingsError, export_sources, import_sources, test_account};

// What the window reads of the till's links, as plain values: front ends
// name these through the service, never the modules behind it.
pub use crate::chain::upload::ReportStatus;
pub use crate::fleet::FleetStatus;
pub use crate::instance::Instance;
pub use crate::outbox::sender::SenderStatus as OrdersStatus;
pub use crate::till::{Connectivity, NetState};

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, broadcast};

use crate::basket::Basket;
use crate::chain::upload::Reporter;
use crate::config::{Config, ConfigError, ConfigOrigin};
use crate::demo::DemoServer;
use crate::fleet::{Fleet, StoreFile};
use crate::history::{Event, History};
use crate::identify::{Identifier, IdentifierKind, IdentifyError};
use crate::instance::Request;
use crate::outbox::sender::{OrderSender, SenderStatus};
use crate::pos_link::{PosEvent, PosLink};
use crate::sale::{Sale, SaleError};
use crate::session::Session;
use crate::setup::Ready;
use crate::sync::Wake;
use crate::sync::lock;
use crate::till::{SaleSummary, Till, VoidSummary};
use crate::yespo::Product;

/// What a front end hears from the service (besides a new document, which
/// its snapshots show).
#[derive(Debug, Clone, PartialEq)]
pub enum News {
    /// A customer came from elsewhere (the POS, a second launch): their
    /// lookup is on screen. The input is left alone: a scan may be arriving.
    NewCustomer,
    /// The sale ended from elsewhere (the POS).
    SaleEnded,
    /// A second launch asked the till to come to the front.
    BringForward,
    /// A second launch's customer could not be read.
    InputProblem(IdentifyError),
    /// The configuration changed (the chain's file): theme and texts may too.
    Reconfigured,
    /// Something for the manager to read (the chain's file not usable, …).
    Notice(String),
}

/// News kept for a front end that has not looked for a while; older goes.
const NEWS_KEPT: usize = 64;

/// Where the till's configuration came from and where it is saved.
pub struct Place {
    /// Where the configuration came from.
    pub origin: ConfigOrigin,
    /// Where settings are saved.
    pub config_path: Option<PathBuf>,
    /// Started with `--setup`: a first manager PIN may be set.
    pub setup_mode: bool,
}

/// What the service and its driver share.
struct Inner {
    till: Mutex<Till>,
    /// What the till shows, as the POS link's document.
    document: Mutex<Option<Arc<serde_json::Value>>>,
    pos_events: broadcast::Sender<PosEvent>,
    news: Mutex<Vec<News>>,
    /// The front end's doorbell (the window's `request_repaint`).
    front_wake: Mutex<Option<Wake>>,
    /// The driver's doorbell: answers, store files and launches arrived.
    doorbell: Arc<Notify>,
    /// A store file from the chain, waiting for the sale to end.
    pending_chain: Mutex<Option<StoreFile>>,
    central_status: Mutex<Option<FleetStatus>>,
    fleet: Mutex<Option<Fleet>>,
    instance: Mutex<Option<Instance>>,
    /// The history file (the outbox is in it), when recording.
    history_file: Option<PathBuf>,
    /// Sends the outbox's orders to Yespo, when `[orders] send`.
    orders: Mutex<Option<OrderSender>>,
    /// Sends the chain the daily figures, when `[fleet] till` is set.
    reporter: Option<Reporter>,
}

/// The running till (see the module docs). Dropping it stops the link, the
/// poller and the driver, and flushes the history.
pub struct TillService {
    inner: Arc<Inner>,
    link: Option<PosLink>,
    driver: tokio::task::JoinHandle<()>,
    runtime: tokio::runtime::Handle,
    /// Why the POS link is off although configured.
    link_problem: Option<String>,
    place: Mutex<Place>,
    /// The demo shop, while it is in use (stops when dropped).
    _demo: Option<DemoServer>,
}

impl Drop for TillService {
    fn drop(&mut self) {
        self.driver.abort();
        // Connections still open (an SSE listener) keep the till alive a
        // moment longer: the history is let go here, so its writer writes
        // what is queued and stops now, not when the last client leaves.
        self.inner.till().set_history(History::off());
    }
}

impl TillService {
    /// Starts the till for a prepared configuration on `runtime`: the
    /// history, the chain's poller and the POS link when configured.
    pub fn start(ready: Ready, runtime: tokio::runtime::Handle) -> Result<Self, ConfigError> {
        let doorbell = Arc::new(Notify::new());
        let ring = doorbell.clone();
        let wake: Wake = Arc::new(move || ring.notify_one());
        let history_file = crate::history::file_for(&ready.config, &ready.origin);
        let fleet = ready.config.fleet.as_ref().map(|fleet| {
            Fleet::start(
                ready.config.clone(),
                fleet,
                crate::fleet::last_good_path(&fleet.store),
                &runtime,
                Some(wake.clone()),
            )
        });
        let integration = ready.config.integration.clone();
        let orders = order_sender(&ready.config, history_file.as_deref(), &runtime);
        let reporter = match (
            crate::chain::upload::ReportSettings::from_config(&ready.config),
            &history_file,
        ) {
            (Some(settings), Some(file)) => Some(Reporter::start(settings, file.clone(), &runtime)),
            _ => None,
        };
        let mut till = Till::new(ready.config, runtime.clone(), Some(wake))?;
        till.set_experiment_key_file(
            history_file
                .as_deref()
                .map(crate::experiment::key_file_beside),
        );
        match history_file.clone() {
            Some(file) => {
                till.set_answer_cache(crate::answer_cache::AnswerCache::open(
                    &crate::answer_cache::file_beside(&file),
                ))?;
                // The receipts' key, like the experiment's, is the till's own.
                let key = crate::experiment::kept_key(&file.with_extension("receipt-key"))
                    .unwrap_or_else(|e| {
                        tracing::warn!("sale ids are remembered for this run only: {e}");
                        run_key()
                    });
                till.set_receipt_key(key);
                let retention = crate::history::Retention::of(&till.config().history);
                till.set_history(History::start(file, retention));
            }
            None => till.set_receipt_key(run_key()),
        }
        let (pos_events, _) = broadcast::channel(64);
        let inner = Arc::new(Inner {
            till: Mutex::new(till),
            document: Mutex::new(None),
            pos_events,
            news: Mutex::default(),
            front_wake: Mutex::default(),
            doorbell,
            pending_chain: Mutex::default(),
            central_status: Mutex::new(fleet.as_ref().map(Fleet::status)),
            fleet: Mutex::new(fleet),
            instance: Mutex::default(),
            history_file,
            orders: Mutex::new(orders),
            reporter,
        });
        let (link, link_problem) = match &integration {
            None => (None, None),
            Some(integration) => {
                let port = Arc::new(port::Port(inner.clone()));
                match PosLink::start(integration, port, &runtime) {
                    Ok(link) => (Some(link), None),
                    Err(e) => {
                        // The till works without the link; the manager is told why.
                        tracing::warn!("the POS link is off: {e}");
                        (None, Some(e.to_string()))
                    }
                }
            }
        };
        let driver = runtime.spawn(drive(inner.clone()));
        let config_path = match &ready.origin {
            ConfigOrigin::File(path) => Some(path.clone()),
            ConfigOrigin::Demo => crate::config::default_path(),
        };
        Ok(Self {
            inner,
            link,
            driver,
            runtime,
            link_problem,
            place: Mutex::new(Place {
                origin: ready.origin,
                config_path,
                setup_mode: ready.setup_mode,
            }),
            _demo: ready.demo,
        })
    }

    /// How sending the chain its daily figures stands (`None`: not set up).
    pub fn report_status(&self) -> Option<ReportStatus> {
        self.inner.reporter.as_ref().map(Reporter::status)
    }

    /// Who to wake when something the front end shows changed.
    pub fn set_front_wake(&self, wake: Wake) {
        *lock(&self.inner.front_wake) = Some(wake);
        self.inner.doorbell.notify_one();
    }

    /// Takes the requests of later launches (`pos-recs --phone …`).
    pub fn listen_for_launches(&self, instance: Instance) {
        let ring = self.inner.doorbell.clone();
        instance.set_wake(Arc::new(move || ring.notify_one()));
        *lock(&self.inner.instance) = Some(instance);
        self.inner.doorbell.notify_one();
    }

    /// What happened since the last call, oldest first.
    pub fn take_news(&self) -> Vec<News> {
        std::mem::take(&mut *lock(&self.inner.news))
    }

    /// Reads `raw` as a customer and looks them up (what the cashier
    /// typed). A rejected input clears the previous customer's cards too.
    /// The lookup number.
    pub fn submit(&self, raw: &str, forced: Option<IdentifierKind>) -> Result<u64, IdentifyError> {
        self.inner.submit(raw, forced)
    }

    /// Looks `customer` up with the sale's basket. The lookup number.
    pub fn look_up(&self, customer: Identifier) -> u64 {
        self.inner.change(|till| till.look_up(customer).generation)
    }

    /// Replaces the sale's basket.
    pub fn set_basket(&self, basket: Basket) {
        self.inner.set_basket(basket);
    }

    /// Asks one section's source again.
    pub fn retry(&self, index: usize) {
        self.inner.change(|till| till.retry(index));
    }

    /// Ends the sale: customer, cards and basket go; the POS hears of it.
    pub fn clear(&self) {
        self.inner.clear();
    }

    /// A card the cashier can see (see [`Till::card_seen`]).
    pub fn card_seen(&self, source_id: u64, product_id: &str, position: usize) {
        self.inner.till().card_seen(source_id, product_id, position);
    }

    /// Adds what the cashier did to the manager's history.
    pub fn record(&self, event: Event) {
        self.inner.till().note(event);
    }

    /// The customer on screen finished their sale: recorded with what the
    /// recommendations sold, and the till cleared as by [`Self::clear`].
    pub fn finish_sale(&self, sale: &Sale) -> Result<SaleSummary, SaleError> {
        self.inner.finish_sale(sale)
    }

    /// A till without a POS link ends the sale (Esc): the basket line's
    /// items are the sale, one of each and without prices. With nothing on
    /// the basket line, or no customer, the till is just cleared.
    pub fn end_sale_here(&self) {
        let basket = self.basket();
        if basket.products.is_empty()
            || self.inner.finish_sale(&Sale::from_basket(&basket)).is_err()
        {
            self.clear();
        }
    }

    /// "Add to sale": recorded, and the POS hears of it with the lookup
    /// number of the customer it was recommended to.
    pub fn product_chosen(&self, source_id: u64, product: &Product) {
        let mut till = self.inner.till();
        till.note(Event::AddedToSale {
            source_id,
            product_id: product.id.clone(),
        });
        let lookup = till.session().map_or(0, |s| s.generation);
        let _ = self.inner.pos_events.send(PosEvent::ProductChosen {
            id: product.id.clone(),
            name: product.name.clone(),
            price: product.price,
            source_id,
            lookup,
        });
    }

    /// Switches to a new configuration (settings saved); the screen starts
    /// empty for the next customer.
    pub fn reconfigure(&self, config: Config) -> Result<(), ConfigError> {
        let mut till = self.inner.till();
        till.reconfigure(config)?;
        self.inner.restart_orders(till.config());
        self.inner.publish(&till);
        Ok(())
    }

    /// How sending orders to Yespo stands (`None`: orders are not sent).
    pub fn orders_status(&self) -> Option<SenderStatus> {
        lock(&self.inner.orders).as_ref().map(OrderSender::status)
    }

    /// The POS voided a recorded sale (see [`Till::void_sale`]).
    pub fn void_sale(&self, sale_id: &str) -> Result<VoidSummary, SaleError> {
        self.inner.void_sale(sale_id)
    }

    /// Shows a session prepared elsewhere (benchmarks, screenshots).
    #[doc(hidden)]
    pub fn show_prepared(&self, session: Session) {
        self.inner.change(|till| till.show_prepared(session));
    }

    /// Takes in what arrived now rather than when the driver gets to it.
    pub fn poll(&self) {
        self.inner.tick();
    }

    /// The current customer's lookup, as a snapshot.
    pub fn session(&self) -> Option<Arc<Session>> {
        self.inner.till().session_snapshot()
    }

    /// The configuration in use, as a snapshot.
    pub fn config(&self) -> Arc<Config> {
        self.inner.till().config_snapshot()
    }

    /// The sale's basket.
    pub fn basket(&self) -> Basket {
        self.inner.till().basket().clone()
    }

    /// Whether the account answers.
    pub fn connectivity(&self) -> Connectivity {
        self.inner.till().connectivity().clone()
    }

    /// The history file this till records into (`None`: recording is off),
    /// which the manager's report reads.
    pub fn history_file(&self) -> Option<std::path::PathBuf> {
        crate::history::file_for(&self.config(), &self.place().origin)
    }

    /// Why the history is not written, if it is not.
    pub fn history_problem(&self) -> Option<String> {
        self.inner.till().history().problem()
    }

    /// How soon a front end should look again though nothing woke it.
    pub fn next_poll(&self) -> Option<Duration> {
        self.inner.till().next_poll()
    }

    /// How the chain's central configuration stands (`None`: not managed).
    pub fn central_status(&self) -> Option<FleetStatus> {
        lock(&self.inner.central_status).clone()
    }

    /// The POS link's document of what the till shows now.
    pub fn document(&self) -> Option<Arc<serde_json::Value>> {
        lock(&self.inner.document).clone()
    }

    /// Where the POS link listens, when it is on.
    pub fn pos_link_address(&self) -> Option<std::net::SocketAddr> {
        self.link.as_ref().map(PosLink::address)
    }

    /// Why the POS link is off although `[integration]` asks for it.
    pub fn link_problem(&self) -> Option<&str> {
        self.link_problem.as_deref()
    }

    /// The runtime the till's work runs on.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }

    /// Where the configuration came from and is saved.
    pub fn place(&self) -> MutexGuard<'_, Place> {
        lock(&self.place)
    }
}

impl Inner {
    fn till(&self) -> MutexGuard<'_, Till> {
        lock(&self.till)
    }

    /// Applies `change` to the till and republishes what it shows.
    fn change<T>(&self, change: impl FnOnce(&mut Till) -> T) -> T {
        let mut till = self.till();
        let result = change(&mut till);
        self.publish(&till);
        drop(till);
        self.wake_front();
        result
    }

    fn submit(&self, raw: &str, forced: Option<IdentifierKind>) -> Result<u64, IdentifyError> {
        self.change(|till| till.submit(raw, forced).map(|s| s.generation))
    }

    /// A customer from the POS: read by the till's current rules; one that
    /// cannot be read changes nothing on screen.
    fn pos_customer(
        &self,
        kind: IdentifierKind,
        raw: &str,
        basket: Option<Basket>,
    ) -> Result<u64, IdentifyError> {
        let lookup = self.change(|till| {
            let customer = till.rules().identify(raw, Some(kind))?;
            Ok::<u64, IdentifyError>(till.look_up_with(customer, basket).generation)
        })?;
        self.tell(News::NewCustomer);
        Ok(lookup)
    }

    fn set_basket(&self, basket: Basket) -> Option<u64> {
        self.change(|till| {
            till.set_basket(basket);
            till.session().map(|s| s.generation)
        })
    }

    fn clear(&self) {
        self.change(|till| {
            till.clear();
            self.take_pending_chain(till);
        });
        let _ = self.pos_events.send(PosEvent::CustomerCleared);
    }

    fn finish_sale(&self, sale: &Sale) -> Result<SaleSummary, SaleError> {
        let summary = self.change(|till| {
            let summary = till.finish_sale(sale)?;
            self.take_pending_chain(till);
            Ok::<_, SaleError>(summary)
        })?;
        if !summary.repeated {
            let _ = self.pos_events.send(PosEvent::CustomerCleared);
            self.wake_orders();
        }
        Ok(summary)
    }

    fn void_sale(&self, sale_id: &str) -> Result<VoidSummary, SaleError> {
        let summary = self.till().void_sale(sale_id)?;
        if !summary.repeated {
            self.wake_orders();
            // The sale's day goes to the chain again without it.
            if let Some(reporter) = &self.reporter {
                reporter.wake();
            }
        }
        Ok(summary)
    }

    /// An order was queued: the sender goes at once.
    fn wake_orders(&self) {
        if let Some(orders) = lock(&self.orders).as_ref() {
            orders.wake();
        }
    }

    /// The settings changed: orders go as they now say (or stop).
    fn restart_orders(&self, config: &Config) {
        let runtime = tokio::runtime::Handle::try_current();
        let mut orders = lock(&self.orders);
        *orders = None;
        if let Ok(runtime) = runtime {
            *orders = order_sender(config, self.history_file.as_deref(), &runtime);
        }
    }

    /// Orders waiting for Yespo, when the till sends them.
    fn orders_waiting(&self) -> Option<u64> {
        lock(&self.orders).as_ref().map(OrderSender::waiting_now)
    }

    /// Replaces the document with what `till` shows now. Called with the
    /// till locked, so documents are published in the order of the changes.
    fn publish(&self, till: &Till) {
        let document = till.session().and_then(|session| {
            let masked = session.customer.masked();
            serde_json::to_value(crate::report::LookupReport::from_session(
                session,
                &masked,
                till.connectivity().state(),
            ))
            .ok()
            .map(Arc::new)
        });
        *lock(&self.document) = document;
    }

    /// Tells the front end, if one listens (a headless till has none).
    fn tell(&self, news: News) {
        if lock(&self.front_wake).is_none() {
            return;
        }
        {
            let mut queue = lock(&self.news);
            if queue.len() >= NEWS_KEPT {
                queue.remove(0);
            }
            queue.push(news);
        }
        self.wake_front();
    }

    fn wake_front(&self) {
        let wake = lock(&self.front_wake).clone();
        if let Some(wake) = wake {
            wake();
        }
    }

    /// A waiting store file from the chain, merged into the configuration
    /// in force now, is used when no customer is on screen: the cards never
    /// change under a cashier's hands.
    fn take_pending_chain(&self, till: &mut Till) -> bool {
        if till.session().is_some() {
            return false;
        }
        let Some(file) = lock(&self.pending_chain).take() else {
            return false;
        };
        let merged = match file.merged_into(till.config()) {
            Ok(merged) => merged,
            Err(e) => {
                self.tell(News::Notice(e.to_string()));
                return false;
            }
        };
        if &merged == till.config() {
            return false;
        }
        match till.reconfigure(merged) {
            Ok(()) => {
                self.tell(News::Reconfigured);
                true
            }
            Err(e) => {
                self.tell(News::Notice(e.to_string()));
                false
            }
        }
    }

    /// Takes in answers, the chain's store file and later launches.
    fn tick(&self) {
        if let Some(fleet) = lock(&self.fleet).as_mut() {
            if let Some(file) = fleet.next_update() {
                *lock(&self.pending_chain) = Some(file);
            }
            *lock(&self.central_status) = Some(fleet.status());
        }
        {
            let mut till = self.till();
            let mut changed = till.poll();
            changed |= self.take_pending_chain(&mut till);
            if changed {
                self.publish(&till);
            }
        }
        let requests: Vec<Request> = {
            let mut instance = lock(&self.instance);
            std::iter::from_fn(|| instance.as_mut().and_then(Instance::next_request)).collect()
        };
        for request in requests {
            self.tell(News::BringForward);
            // Looked up as if typed, without touching the window's input.
            if let Request::Customer(kind, value) = request {
                match self.submit(&value, Some(kind)) {
                    Ok(_) => self.tell(News::NewCustomer),
                    Err(e) => self.tell(News::InputProblem(e)),
                }
            }
        }
        self.wake_front();
    }
}

/// A key for this run only (all zeros if the system has no randomness,
/// which only weakens the digest, never the sale).
/// The order sender for `config`, when it sends orders and records a history.
fn order_sender(
    config: &Config,
    history_file: Option<&std::path::Path>,
    runtime: &tokio::runtime::Handle,
) -> Option<OrderSender> {
    match history_file {
        Some(file) if config.orders.send => {
            Some(OrderSender::start(config, file.to_path_buf(), runtime))
        }
        _ => None,
    }
}

fn run_key() -> Vec<u8> {
    crate::experiment::new_key().unwrap_or_else(|_| vec![0u8; 32])
}

/// The driver: wakes on the doorbell, or when a pending lookup or the
/// health probe is due, and takes in what arrived.
async fn drive(inner: Arc<Inner>) {
    loop {
        let due = inner.till().next_poll();
        let rung = inner.doorbell.notified();
        match due {
            Some(after) => {
                let _ = tokio::time::timeout(after, rung).await;
            }
            None => rung.await,
        }
        // Locks are taken off the async workers' hot path: a window frame
        // may hold the till for a moment.
        let inner = inner.clone();
        let _ = tokio::task::spawn_blocking(move || inner.tick()).await;
    }
}
