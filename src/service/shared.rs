//! What the service, its driver and the POS link's port share, and how
//! each command changes the till: applied under the till's lock, the
//! document republished before the lock is let go, the front end woken.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{Notify, broadcast};

use super::News;
use crate::basket::Basket;
use crate::chain::upload::Reporter;
use crate::config::Config;
use crate::fleet::{Fleet, FleetStatus, StoreFile};
use crate::identify::{IdentifierKind, IdentifyError};
use crate::instance::{Instance, Request};
use crate::outbox::sender::OrderSender;
use crate::pos_link::PosEvent;
use crate::sale::{Sale, SaleError};
use crate::sync::{Wake, lock};
use crate::till::{SaleSummary, Till, VoidSummary};

/// News kept for a front end that has not looked for a while; older goes.
const NEWS_KEPT: usize = 64;

/// What the service and its driver share.
pub(super) struct Inner {
    pub(super) till: Mutex<Till>,
    /// What the till shows, as the POS link's document.
    pub(super) document: Mutex<Option<Arc<serde_json::Value>>>,
    pub(super) pos_events: broadcast::Sender<PosEvent>,
    pub(super) news: Mutex<Vec<News>>,
    /// The front end's doorbell (the window's `request_repaint`).
    pub(super) front_wake: Mutex<Option<Wake>>,
    /// The driver's doorbell: answers, store files and launches arrived.
    pub(super) doorbell: Arc<Notify>,
    /// A store file from the chain, waiting for the sale to end.
    pub(super) pending_chain: Mutex<Option<StoreFile>>,
    pub(super) central_status: Mutex<Option<FleetStatus>>,
    pub(super) fleet: Mutex<Option<Fleet>>,
    pub(super) instance: Mutex<Option<Instance>>,
    /// The history file (the outbox is in it), when recording.
    pub(super) history_file: Option<PathBuf>,
    /// Sends the outbox's orders to Yespo, when `[orders] send`.
    pub(super) orders: Mutex<Option<OrderSender>>,
    /// Sends the chain the daily figures, when `[fleet] till` is set.
    pub(super) reporter: Option<Reporter>,
}

impl Inner {
    pub(super) fn till(&self) -> MutexGuard<'_, Till> {
        lock(&self.till)
    }

    /// Applies `change` to the till and republishes what it shows.
    pub(super) fn change<T>(&self, change: impl FnOnce(&mut Till) -> T) -> T {
        let mut till = self.till();
        let result = change(&mut till);
        self.publish(&till);
        drop(till);
        self.wake_front();
        result
    }

    pub(super) fn submit(
        &self,
        raw: &str,
        forced: Option<IdentifierKind>,
    ) -> Result<u64, IdentifyError> {
        self.change(|till| till.submit(raw, forced).map(|s| s.generation))
    }

    /// A customer from the POS: read by the till's current rules; one that
    /// cannot be read changes nothing on screen.
    pub(super) fn pos_customer(
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

    pub(super) fn set_basket(&self, basket: Basket) -> Option<u64> {
        self.change(|till| {
            till.set_basket(basket);
            till.session().map(|s| s.generation)
        })
    }

    pub(super) fn clear(&self) {
        self.change(|till| {
            till.clear();
            self.take_pending_chain(till);
        });
        let _ = self.pos_events.send(PosEvent::CustomerCleared);
    }

    pub(super) fn finish_sale(&self, sale: &Sale) -> Result<SaleSummary, SaleError> {
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

    pub(super) fn void_sale(&self, sale_id: &str) -> Result<VoidSummary, SaleError> {
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
    pub(super) fn wake_orders(&self) {
        if let Some(orders) = lock(&self.orders).as_ref() {
            orders.wake();
        }
    }

    /// The settings changed: orders go as they now say (or stop).
    pub(super) fn restart_orders(&self, config: &Config) {
        let runtime = tokio::runtime::Handle::try_current();
        let mut orders = lock(&self.orders);
        *orders = None;
        if let Ok(runtime) = runtime {
            *orders = order_sender(config, self.history_file.as_deref(), &runtime);
        }
    }

    /// Orders waiting for Yespo, when the till sends them.
    pub(super) fn orders_waiting(&self) -> Option<u64> {
        lock(&self.orders).as_ref().map(OrderSender::waiting_now)
    }

    /// Replaces the document with what `till` shows now. Called with the
    /// till locked, so documents are published in the order of the changes.
    pub(super) fn publish(&self, till: &Till) {
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
    pub(super) fn tell(&self, news: News) {
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

    pub(super) fn wake_front(&self) {
        let wake = lock(&self.front_wake).clone();
        if let Some(wake) = wake {
            wake();
        }
    }

    /// A waiting store file from the chain, merged into the configuration
    /// in force now, is used when no customer is on screen: the cards never
    /// change under a cashier's hands.
    pub(super) fn take_pending_chain(&self, till: &mut Till) -> bool {
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
    pub(super) fn tick(&self) {
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

/// The order sender for `config`, when it sends orders and records a history.
pub(super) fn order_sender(
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

/// A key for this run only (all zeros if the system has no randomness,
/// which only weakens the digest, never the sale).
pub(super) fn run_key() -> Vec<u8> {
    crate::experiment::new_key().unwrap_or_else(|_| vec![0u8; 32])
}

/// The driver: wakes on the doorbell, or when a pending lookup or the
/// health probe is due, and takes in what arrived.
pub(super) async fn drive(inner: Arc<Inner>) {
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
