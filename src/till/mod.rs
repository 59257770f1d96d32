//! The till controller: one customer's lookup from input to answers, and
//! whether the account is reachable, with no UI in it.
//!
//! The window, the POS link and any headless front end drive the same
//! [`Till`]: they call [`Till::submit`], [`Till::retry`], [`Till::clear`]
//! and [`Till::reconfigure`], call [`Till::poll`] when woken, and draw from
//! the read-only views ([`Till::session`], [`Till::connectivity`]).
//!
//! Lookups run on the tokio runtime; each answer comes back through a
//! channel tagged with its lookup's generation, and the `wake` callback
//! (the window's `request_repaint`) says that something arrived. Answers
//! of an older generation never reach the current session.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::answer_cache::AnswerCache;
use crate::basket::Basket;
use crate::config::{BasketUse, Config, ConfigError};
use crate::experiment::{Experiment, Group};
use crate::history::{Event, History};
use crate::identify::{Identifier, IdentifierKind, IdentifyError, Rules};
use crate::lookup::{LookupEngine, LookupEvent, LookupHandle};
use crate::sale::{Click, Recommended};
use crate::session::{SectionState, Session};
use crate::sync::Wake;
use crate::yespo::SourceError;

/// While offline, the account is first asked after this long whether it is back…
pub const HEALTH_PROBE_FIRST: Duration = Duration::from_secs(3);
/// …then ever less often (doubling), up to this: thousands of tills in one
/// outage must not hammer the account when it comes back.
pub const HEALTH_PROBE_MAX: Duration = Duration::from_secs(60);

/// Lookup generation used by health probes: sessions start at 1, so a
/// probe's answer only updates connectivity and never reaches the screen.
const PROBE_GENERATION: u64 = 0;

mod connectivity;
mod offline;
mod once;
mod sale;

pub use connectivity::{Connectivity, NetState};
pub use once::{LookUpOnceError, OneLookup, look_up_once, sources_to_ask};
pub use sale::{SaleSummary, VoidSummary};

/// What one accepted answer adds to the history: which source answered,
/// how, and how fast. Nothing about the customer; the cards count as shown
/// only once the cashier can see them ([`Till::card_seen`]).
fn answer_event(event: &LookupEvent) -> Event {
    let result = &event.result;
    Event::Answer {
        source_id: result.source.id,
        status: result.status(),
        elapsed_ms: result.elapsed.as_millis() as u64,
    }
}

/// The experiment a till runs for `config`. A key that cannot be kept
/// turns it off (everyone is shown recommendations), with a warning.
fn experiment_for(
    config: &crate::config::ExperimentConfig,
    key_file: Option<&std::path::Path>,
) -> Experiment {
    Experiment::from_config(config, key_file).unwrap_or_else(|e| {
        tracing::warn!("the comparison group is off: {e}");
        Experiment::off()
    })
}

/// The till controller (see the module docs): a short list of parts, each
/// with its own reason to change.
pub struct Till {
    /// Shared with front ends as a snapshot; replaced, never changed in place.
    config: Arc<Config>,
    rules: Rules,
    /// The lookups in flight and where their answers come back.
    asking: Asking,
    /// The customer on screen and their sale.
    customer: Customer,
    /// What the till keeps beyond one customer.
    records: Records,
    /// Whether the account answers.
    connectivity: Connectivity,
}

/// The lookups in flight and where their answers come back.
struct Asking {
    runtime: tokio::runtime::Handle,
    engine: LookupEngine,
    /// The front end's doorbell, rung when an answer arrives.
    wake: Option<Wake>,
    events_tx: mpsc::UnboundedSender<LookupEvent>,
    events_rx: mpsc::UnboundedReceiver<LookupEvent>,
    next_generation: u64,
    handles: Vec<LookupHandle>,
}

/// The customer on screen and their sale.
#[derive(Default)]
struct Customer {
    /// Shared with front ends as a snapshot: changed copy-on-write, so a
    /// front end drawing from an older snapshot never sees it change.
    session: Option<Arc<Session>>,
    /// The sale's basket; kept when it arrives before the customer.
    basket: Basket,
    /// Cards of this customer already recorded as seen: products per source.
    seen_cards: HashMap<u64, HashSet<String>>,
    /// What the sources recommended during this customer's sale.
    recommended: Recommended,
}

/// What the till keeps beyond one customer.
struct Records {
    /// Where lookups and answers are recorded for the manager.
    history: History,
    /// The shared sources' last good answers, for when the network is down.
    answer_cache: AnswerCache,
    /// Who is kept out for the comparison group.
    experiment: Experiment,
    /// Where the experiment's own key is kept when the configuration gives none.
    experiment_key_file: Option<std::path::PathBuf>,
    /// The key of the digests sales are remembered by in the history's
    /// receipts (kept beside the history; one per run without one): a POS
    /// that sends a sale again (its request timed out, the till restarted)
    /// gets the first answer, and the sale is never counted twice.
    receipt_key: Vec<u8>,
}

impl std::fmt::Debug for Till {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Till")
            .field("session", &self.customer.session)
            .field("connectivity", &self.connectivity)
            .finish_non_exhaustive()
    }
}

impl Till {
    /// A till for `config`, running lookups on `runtime`; `wake` is called
    /// whenever an answer arrives.
    pub fn new(
        config: Config,
        runtime: tokio::runtime::Handle,
        wake: Option<Wake>,
    ) -> Result<Self, ConfigError> {
        let engine = LookupEngine::new(&config)?;
        let experiment = experiment_for(&config.experiment, None);
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        Ok(Self {
            rules: Rules::from_config(&config),
            config: Arc::new(config),
            asking: Asking {
                runtime,
                engine,
                wake,
                events_tx,
                events_rx,
                next_generation: 1,
                handles: Vec::new(),
            },
            customer: Customer::default(),
            records: Records {
                history: History::off(),
                answer_cache: AnswerCache::off(),
                experiment,
                experiment_key_file: None,
                receipt_key: Vec::new(),
            },
            connectivity: Connectivity::default(),
        })
    }

    /// Keeps the shared sources' good answers in `cache`, to show when
    /// the network is down.
    pub fn set_answer_cache(&mut self, cache: AnswerCache) -> Result<(), ConfigError> {
        self.asking.engine = LookupEngine::with_cache(&self.config, cache.clone())?;
        self.asking
            .engine
            .set_known_offline(self.connectivity.is_offline());
        self.records.answer_cache = cache;
        Ok(())
    }

    /// Keeps the experiment's own key in `file` (next to the history) when
    /// the configuration gives none.
    pub fn set_experiment_key_file(&mut self, file: Option<std::path::PathBuf>) {
        self.records.experiment_key_file = file;
        self.records.experiment = experiment_for(
            &self.config.experiment,
            self.records.experiment_key_file.as_deref(),
        );
    }

    /// Reads `raw` as a customer and looks them up, superseding any running
    /// lookup. A rejected input also clears the previous customer's cards:
    /// a cashier must not take them for this customer's.
    pub fn submit(
        &mut self,
        raw: &str,
        forced: Option<IdentifierKind>,
    ) -> Result<&Session, IdentifyError> {
        self.submit_with_basket(raw, forced, None)
    }

    /// Like [`Till::submit`], with the basket the POS sent along: given,
    /// it replaces the basket; `None` keeps the one there is (items are
    /// often scanned before the loyalty card).
    pub fn submit_with_basket(
        &mut self,
        raw: &str,
        forced: Option<IdentifierKind>,
        basket: Option<Basket>,
    ) -> Result<&Session, IdentifyError> {
        let customer = match self.rules.identify(raw, forced) {
            Ok(customer) => customer,
            Err(e) => {
                self.clear();
                return Err(e);
            }
        };
        Ok(self.look_up_with(customer, basket))
    }

    fn next_generation(&mut self) -> u64 {
        let generation = self.asking.next_generation;
        self.asking.next_generation += 1;
        generation
    }

    /// Looks `customer` up; a basket given along replaces the sale's basket,
    /// `None` keeps it as [`Till::look_up`] does.
    pub fn look_up_with(&mut self, customer: Identifier, basket: Option<Basket>) -> &Session {
        match basket {
            Some(basket) => {
                self.customer.basket = basket;
                self.look_up_keeping_basket(customer)
            }
            None => self.look_up(customer),
        }
    }

    /// Looks `customer` up, superseding any running lookup. The basket
    /// belongs to the customer on screen: it goes with the next customer
    /// only when it was scanned while nobody was on screen (items scanned
    /// before the loyalty card) or it is the same customer again.
    pub fn look_up(&mut self, customer: Identifier) -> &Session {
        if self
            .customer
            .session
            .as_ref()
            .is_some_and(|on_screen| on_screen.customer != customer)
        {
            self.customer.basket = Basket::default();
        }
        self.look_up_keeping_basket(customer)
    }

    /// Looks `customer` up with the sale's basket as it is.
    fn look_up_keeping_basket(&mut self, customer: Identifier) -> &Session {
        // Cancel what is still running for the previous customer.
        self.asking.handles.clear();
        let generation = self.next_generation();
        tracing::info!(%customer, generation, basket = self.customer.basket.products.len(), "lookup");
        self.records.history.record(Event::Lookup);
        self.customer.seen_cards.clear();
        self.customer.recommended = Recommended::default();
        let (group, asked) =
            sources_to_ask(&self.asking.engine, &self.records.experiment, &customer);
        if group == Group::Holdout {
            // The comparison group: no source is asked, nothing is shown.
            return self
                .customer
                .session
                .insert(Arc::new(Session::held_out(generation, customer)));
        }
        if self.connectivity.is_offline() {
            self.connectivity.hurry();
        }
        self.spawn(generation, &customer, &asked);
        self.customer.session.insert(Arc::new(Session::new(
            generation,
            customer,
            self.asking.engine.sources(),
        )))
    }

    /// Starts the requests of `generation` for these sources.
    fn spawn(&mut self, generation: u64, customer: &Identifier, indices: &[usize]) {
        let _enter = self.asking.runtime.enter();
        let handle = self.asking.engine.spawn_sources(
            generation,
            customer,
            &self.customer.basket,
            indices,
            self.asking.events_tx.clone(),
            self.asking.wake.clone(),
        );
        self.asking.handles.push(handle);
    }

    /// Shows a session prepared elsewhere, with no lookup behind it (for
    /// benchmarks and screenshots of a fixed screen).
    #[doc(hidden)]
    pub fn show_prepared(&mut self, session: Session) {
        self.asking.handles.clear();
        let newest = session.sections.iter().map(|s| s.generation).max();
        self.asking.next_generation = self
            .asking
            .next_generation
            .max(newest.unwrap_or(session.generation) + 1);
        self.customer.session = Some(Arc::new(session));
    }

    /// A front end reports a card the cashier can actually see (most of it
    /// on screen), at `position` in its section. It is recorded as shown
    /// once per customer: cards scrolled past or below the fold, and the
    /// same card drawn again, do not inflate the manager's figures.
    pub fn card_seen(&mut self, source_id: u64, product_id: &str, position: usize) {
        if self.customer.session.is_none() {
            return;
        }
        // Called for every visible card of every drawn frame: a set lookup
        // by reference, and an allocation only for a card seen first.
        let seen = self.customer.seen_cards.entry(source_id).or_default();
        if seen.contains(product_id) {
            return;
        }
        seen.insert(product_id.to_string());
        self.records.history.record(Event::Shown {
            source_id,
            product_id: product_id.to_string(),
            position,
        });
    }

    /// Every card the till holds for the customer now is seen: a till
    /// without a window whose POS fetched the document draws them itself.
    pub fn all_cards_seen(&mut self) {
        let Some(session) = self.customer.session.clone() else {
            return;
        };
        for section in &session.sections {
            if let SectionState::Loaded { products, .. } = &section.state {
                for (position, product) in products.iter().enumerate() {
                    self.card_seen(section.source.id, &product.id, position);
                }
            }
        }
    }

    /// Records what the cashier did; opening a card and adding it to the
    /// sale also count for the sale's attribution.
    pub fn note(&mut self, event: Event) {
        match &event {
            Event::Opened {
                source_id,
                product_id,
            } => self
                .customer
                .recommended
                .clicked(*source_id, product_id, Click::Opened),
            Event::AddedToSale {
                source_id,
                product_id,
            } => self
                .customer
                .recommended
                .clicked(*source_id, product_id, Click::Added),
            _ => {}
        }
        self.records.history.record(event);
    }

    /// Asks one section's source again for the current customer.
    pub fn retry(&mut self, index: usize) {
        self.reask(&[index]);
    }

    /// Asks these sections' sources again; their older answers are refused.
    fn reask(&mut self, indices: &[usize]) {
        let generation = self.next_generation();
        let Some(session) = &mut self.customer.session else {
            return;
        };
        Arc::make_mut(session).reask(indices, generation);
        let customer = session.customer.clone();
        self.spawn(generation, &customer, indices);
    }

    /// Replaces the sale's basket. With a customer on screen, only the
    /// sources that use the basket are asked again; the other sections stay
    /// as they are. Without one, the basket waits for the customer.
    pub fn set_basket(&mut self, basket: Basket) {
        if basket == self.customer.basket {
            return;
        }
        self.customer.basket = basket;
        if self.customer.session.is_none() {
            return;
        }
        let using: Vec<usize> = self
            .asking
            .engine
            .sources()
            .iter()
            .enumerate()
            .filter(|(_, s)| s.basket_use() != BasketUse::Never)
            .map(|(i, _)| i)
            .collect();
        if !using.is_empty() {
            self.reask(&using);
        }
    }

    /// Records lookups and answers in `history` from now on.
    pub fn set_history(&mut self, history: History) {
        self.records.history = history;
    }

    /// The history lookups are recorded in (the window adds what the cashier does).
    pub fn history(&self) -> &History {
        &self.records.history
    }

    /// The sale's basket.
    pub fn basket(&self) -> &Basket {
        &self.customer.basket
    }

    /// Ends this customer's sale: cancels their lookups, forgets them and
    /// empties the basket.
    pub fn clear(&mut self) {
        self.asking.handles.clear();
        self.customer = Customer::default();
    }

    /// Switches to a new configuration (settings saved); the screen starts
    /// empty for the next customer.
    pub fn reconfigure(&mut self, config: Config) -> Result<(), ConfigError> {
        self.asking.engine = LookupEngine::with_cache(&config, self.records.answer_cache.clone())?;
        let ids: HashSet<u64> = self.asking.engine.sources().iter().map(|s| s.id).collect();
        self.connectivity.keep_only(&ids);
        self.asking
            .engine
            .set_known_offline(self.connectivity.is_offline());
        self.rules = Rules::from_config(&config);
        self.records.experiment = experiment_for(
            &config.experiment,
            self.records.experiment_key_file.as_deref(),
        );
        self.config = Arc::new(config);
        self.clear();
        Ok(())
    }

    /// Takes in what arrived and runs the health probe when due. Returns
    /// true when something the screen shows changed.
    pub fn poll(&mut self) -> bool {
        let mut changed = false;
        let was_offline = self.connectivity.is_offline();
        while let Ok(mut event) = self.asking.events_rx.try_recv() {
            self.connectivity
                .record(event.result.source.id, event.result.network_outcome());
            // The cashier reads one plain sentence from the first lookup of
            // an outage on; the technical cause is in the log and the status.
            if matches!(event.result.outcome, Err(SourceError::Network(_))) {
                event.result.outcome = Err(SourceError::Offline);
            }
            if let Some(session) = &mut self.customer.session {
                let recorded = answer_event(&event);
                let (index, source_id) = (event.result.index, event.result.source.id);
                if Arc::make_mut(session).apply(event) {
                    // What the section now shows is what this source recommended.
                    if let Some(SectionState::Loaded { products, .. }) =
                        session.sections.get(index).map(|s| &s.state)
                    {
                        self.customer.recommended.listed(
                            source_id,
                            products.iter().map(|p| (p.id.as_str(), p.name.as_str())),
                            &self.customer.basket,
                        );
                    }
                    changed = true;
                    self.records.history.record(recorded);
                }
            }
        }
        if self
            .customer
            .session
            .as_ref()
            .is_none_or(|s| s.is_settled())
        {
            changed |= self.connectivity.settle();
        }
        let offline = self.connectivity.is_offline();
        self.asking.engine.set_known_offline(offline);
        if was_offline && !offline {
            // The account answers again: the other sources' old failures no
            // longer stand for the state (they are asked again now).
            self.connectivity.forget_failures();
            changed |= self.connectivity.settle();
            changed |= self.reask_offline_sections();
        }
        self.asking.handles.retain(|h| !h.is_finished());
        self.probe_when_offline();
        changed
    }

    /// How soon [`Till::poll`] should run again although nothing woke it:
    /// a slow tick while answers are pending (spinners, "time ago"), and the
    /// next health probe while offline. `None`: only when woken.
    pub fn next_poll(&self) -> Option<Duration> {
        let pending = self
            .customer
            .session
            .as_ref()
            .is_some_and(|s| !s.is_settled())
            .then_some(Duration::from_millis(100));
        let probe = self
            .connectivity
            .is_offline()
            .then(|| self.connectivity.interval());
        match (pending, probe) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The current customer's lookup, if any.
    pub fn session(&self) -> Option<&Session> {
        self.customer.session.as_deref()
    }

    /// The current customer's lookup as a snapshot a front end may keep.
    pub fn session_snapshot(&self) -> Option<Arc<Session>> {
        self.customer.session.clone()
    }

    /// The configuration in use, as a snapshot a front end may keep.
    pub fn config_snapshot(&self) -> Arc<Config> {
        self.config.clone()
    }

    /// Whether the account answers.
    pub fn connectivity(&self) -> &Connectivity {
        &self.connectivity
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The rules for reading identifiers.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The runtime lookups run on.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.asking.runtime
    }

    /// The lookup engine (for the settings' Test connection).
    pub fn engine(&self) -> &LookupEngine {
        &self.asking.engine
    }
}
