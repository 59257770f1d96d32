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
mod shared;

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
use crate::fleet::Fleet;
use crate::history::{Event, History};
use crate::identify::{Identifier, IdentifierKind, IdentifyError};
use crate::outbox::sender::{OrderSender, SenderStatus};
use crate::pos_link::{PosEvent, PosLink};
use crate::sale::{Sale, SaleError};
use crate::session::Session;
use crate::setup::Ready;
use crate::sync::Wake;
use crate::sync::lock;
use crate::till::{SaleSummary, Till, VoidSummary};
use crate::yespo::Product;
use shared::{Inner, drive, order_sender, run_key};

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

/// Where the till's configuration came from and where it is saved.
pub struct Place {
    /// Where the configuration came from.
    pub origin: ConfigOrigin,
    /// Where settings are saved.
    pub config_path: Option<PathBuf>,
    /// Started with `--setup`: a first manager PIN may be set.
    pub setup_mode: bool,
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
