//! The lookup fan-out: every enabled data source is asked at once, each in
//! its own task with its own timeout, and each answer is streamed out as soon
//! as it arrives, tagged with the lookup's generation number.
//!
//! The GUI consumes the stream ([`LookupEngine::spawn`]); the CLI and tests
//! collect it in configured order ([`LookupEngine::run`]). Both run exactly
//! the same per-source code, [`LookupEngine::ask_source`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::answer_cache::{AnswerCache, Kept, basket_key};
use crate::basket::Basket;
use crate::config::{BasketUse, Config, ConfigError, SourceConfig};
use crate::identify::Identifier;
use crate::yespo::{Client, Product, SourceError};

/// The answer of one data source in one lookup.
#[derive(Debug, Clone)]
pub struct SourceResult {
    /// Position in the configured (enabled) order.
    pub index: usize,
    /// The data source asked.
    pub source: SourceConfig,
    /// Time from start of the lookup to this answer.
    pub elapsed: Duration,
    /// Products (already cut to `max_cards`) or why there are none.
    pub outcome: Result<Vec<Product>, SourceError>,
    /// Items skipped while parsing, one line each.
    pub warnings: Vec<String>,
    /// Set when the products are the source's last good answer, shown
    /// because the source cannot be reached now.
    pub stale: Option<Stale>,
}

/// Why and since when an answer is an older one.
#[derive(Debug, Clone, PartialEq)]
pub struct Stale {
    /// When the source gave this answer.
    pub since: SystemTime,
    /// Why it was not asked, or could not answer, now.
    pub why: SourceError,
}

impl SourceResult {
    /// An answer made here, not by the source: `outcome`, at once.
    fn local(
        index: usize,
        source: SourceConfig,
        outcome: Result<Vec<Product>, SourceError>,
    ) -> Self {
        Self {
            index,
            source,
            elapsed: Duration::ZERO,
            outcome,
            warnings: vec![],
            stale: None,
        }
    }

    /// The outcome as far as reaching the account goes: a stale answer
    /// stands for the failure behind it.
    pub fn network_outcome(&self) -> Result<(), &SourceError> {
        match (&self.stale, &self.outcome) {
            (Some(stale), _) => Err(&stale.why),
            (None, Ok(_)) => Ok(()),
            (None, Err(e)) => Err(e),
        }
    }

    /// True when the account answered this source: products, or (in token
    /// mode) "customer not found", which is how the account says it does
    /// not know the made-up test customer.
    pub fn account_answered(&self) -> bool {
        matches!(self.outcome, Ok(_) | Err(SourceError::CustomerNotFound))
    }

    /// `ok`, `error`, `timeout` or `skipped`, as in the CLI's JSON.
    pub fn status(&self) -> &'static str {
        match &self.outcome {
            Ok(_) => "ok",
            Err(e) => e.status(),
        }
    }
}

/// One streamed answer: which lookup it belongs to and what came back.
#[derive(Debug, Clone)]
pub struct LookupEvent {
    /// The lookup's generation number; older generations must be ignored.
    pub generation: u64,
    /// The answer.
    pub result: SourceResult,
}

pub use crate::sync::Wake;

/// Who is asked about, with what, and why: one lookup's question.
struct Asking<'a> {
    /// The lookup's generation (answers of older ones are refused).
    generation: u64,
    ident: &'a Identifier,
    basket: &'a Basket,
    purpose: Purpose,
}

/// Where one lookup's answers go, and who is woken for each.
struct Answers {
    tx: mpsc::UnboundedSender<LookupEvent>,
    wake: Option<Wake>,
}

/// Running tasks of one lookup. Dropping it (or calling [`LookupHandle::abort`])
/// cancels every source still in flight.
#[derive(Debug, Default)]
pub struct LookupHandle {
    tasks: Vec<AbortHandle>,
}

impl LookupHandle {
    /// Cancels every source task of this lookup still running.
    pub fn abort(&self) {
        for t in &self.tasks {
            t.abort();
        }
    }

    /// True when every task has finished (or was cancelled).
    pub fn is_finished(&self) -> bool {
        self.tasks.iter().all(AbortHandle::is_finished)
    }
}

impl Drop for LookupHandle {
    fn drop(&mut self) {
        self.abort();
    }
}

/// Aborts a task when dropped: the inner worker dies with its supervisor.
struct AbortOnDrop(AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Asks the configured data sources. Cheap to clone (shared inside).
#[derive(Clone, Debug)]
pub struct LookupEngine {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: Client,
    sources: Vec<SourceConfig>,
    timeout: Duration,
    /// The shared sources' last good answers.
    cache: AnswerCache,
    /// The till knows the account cannot be reached now: lookups are
    /// answered at once, from the cache or "offline", and only the health
    /// probe goes out.
    known_offline: AtomicBool,
}

/// Why the sources are asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// A customer's lookup: shared answers are kept, and stand in when the
    /// source cannot be reached.
    Lookup,
    /// Whether the account answers at all (health probe, Test connection,
    /// `check`): always the network, never the cache.
    Probe,
}

impl LookupEngine {
    /// An engine for the enabled sources of `config`, in configured order.
    pub fn new(config: &Config) -> Result<Self, ConfigError> {
        Self::with_cache(config, AnswerCache::off())
    }

    /// Like [`Self::new`], keeping the shared sources' answers in `cache`
    /// for when the network is down.
    pub fn with_cache(config: &Config, cache: AnswerCache) -> Result<Self, ConfigError> {
        Ok(Self {
            inner: Arc::new(Inner {
                client: Client::new(config)?,
                sources: config.enabled_sources().cloned().collect(),
                timeout: Duration::from_millis(config.yespo.timeout_ms),
                cache,
                known_offline: AtomicBool::new(false),
            }),
        })
    }

    /// The till learned that the account can (not) be reached.
    pub fn set_known_offline(&self, offline: bool) {
        self.inner.known_offline.store(offline, Ordering::Relaxed);
    }

    fn known_offline(&self) -> bool {
        self.inner.known_offline.load(Ordering::Relaxed)
    }

    /// The kept answer of `source` for `key`, read off the async workers.
    async fn kept(&self, source_id: u64, key: String) -> Option<Kept> {
        let cache = self.inner.cache.clone();
        tokio::task::spawn_blocking(move || cache.get(source_id, &key))
            .await
            .ok()
            .flatten()
    }

    /// The sources asked, in order.
    pub fn sources(&self) -> &[SourceConfig] {
        &self.inner.sources
    }

    /// The source at `index` (a default one for an index out of range, which
    /// callers inside this module never pass).
    fn source(&self, index: usize) -> SourceConfig {
        self.inner.sources.get(index).cloned().unwrap_or_default()
    }

    /// Asks source number `index` once, within the timeout (retries
    /// included), with the basket as the source's `basket` key says. A
    /// source that requires a basket is not asked while it is empty.
    ///
    /// A shared source's good answer is kept; when it cannot be reached
    /// (or the till already knows it is offline) its last good answer for
    /// the same basket is shown, marked stale. A personal source is never
    /// answered from the cache.
    pub async fn ask_source(
        &self,
        index: usize,
        ident: &Identifier,
        basket: &Basket,
    ) -> SourceResult {
        self.ask_for(index, ident, basket, Purpose::Lookup).await
    }

    async fn ask_for(
        &self,
        index: usize,
        ident: &Identifier,
        basket: &Basket,
        purpose: Purpose,
    ) -> SourceResult {
        let inner = &self.inner;
        let source = self.source(index);
        let started = Instant::now();
        let deadline = started + inner.timeout;
        let basket = match source.basket_use() {
            BasketUse::Never => None,
            BasketUse::Send => (!basket.is_empty() || basket.category.is_some()).then_some(basket),
            BasketUse::Require if basket.is_empty() => {
                return SourceResult::local(index, source, Err(SourceError::NeedsBasket));
            }
            BasketUse::Require => Some(basket),
        };
        let keep = purpose == Purpose::Lookup && source.is_shared() && inner.cache.is_on();
        let key = basket_key(basket);
        if purpose == Purpose::Lookup && self.known_offline() {
            // No request can answer now: the screen is made at once.
            let kept = if keep {
                self.kept(source.id, key).await
            } else {
                None
            };
            return stale_or(index, source, kept, started, SourceError::Offline);
        }
        let request = inner.client.ask(source.id, ident, basket, deadline);
        let answer = tokio::time::timeout_at(deadline, request)
            .await
            .unwrap_or_else(|_| Err(SourceError::Timeout(inner.timeout.as_millis() as u64)));
        let elapsed = started.elapsed();
        let (outcome, warnings) = match answer {
            Ok(mut parsed) => {
                parsed.products.truncate(source.max_cards);
                (Ok(parsed.products), parsed.warnings)
            }
            Err(e) => (Err(e), vec![]),
        };
        match &outcome {
            Ok(p) => {
                tracing::debug!(source = source.id, customer = %ident, products = p.len(), ?elapsed, "source answered")
            }
            Err(e) => {
                tracing::warn!(source = source.id, customer = %ident, ?elapsed, "source failed: {e}")
            }
        }
        for w in &warnings {
            tracing::warn!(source = source.id, "{w}");
        }
        if keep {
            match &outcome {
                // An answer that carries the customer's identifier (a
                // personalised link, their email) is theirs: never kept
                // for the next customer.
                Ok(products) if carries(products, ident) => {
                    tracing::debug!(source = source.id, "answer not kept: it names the customer");
                }
                Ok(products) => {
                    let (cache, id, kept) = (inner.cache.clone(), source.id, products.clone());
                    // Written off the async workers; the answer does not wait for it.
                    tokio::task::spawn_blocking(move || cache.put(id, &key, &kept));
                }
                Err(e) if e.is_offline() => {
                    let kept = self.kept(source.id, key).await;
                    return stale_or(index, source, kept, started, e.clone());
                }
                Err(_) => {}
            }
        }
        SourceResult {
            index,
            source,
            elapsed,
            outcome,
            warnings,
            stale: None,
        }
    }

    /// Starts one task per source and sends each answer on `tx` as it
    /// arrives. A panicking source task becomes an error for that source only.
    pub fn spawn(
        &self,
        generation: u64,
        ident: &Identifier,
        tx: mpsc::UnboundedSender<LookupEvent>,
        wake: Option<Wake>,
    ) -> LookupHandle {
        self.spawn_sources(generation, ident, &Basket::default(), &self.all(), tx, wake)
    }

    /// Every source's index.
    pub fn all(&self) -> Vec<usize> {
        (0..self.inner.sources.len()).collect()
    }

    /// Like [`Self::spawn`], with a basket, for a subset of sources (a
    /// section's Retry button, the sources a basket change concerns).
    pub fn spawn_sources(
        &self,
        generation: u64,
        ident: &Identifier,
        basket: &Basket,
        indices: &[usize],
        tx: mpsc::UnboundedSender<LookupEvent>,
        wake: Option<Wake>,
    ) -> LookupHandle {
        self.spawn_for(
            Asking {
                generation,
                ident,
                basket,
                purpose: Purpose::Lookup,
            },
            indices,
            Answers { tx, wake },
        )
    }

    /// Asks source `index` whether the account answers, over the network
    /// whatever the till believes (the health probe).
    pub fn spawn_probe(
        &self,
        generation: u64,
        ident: &Identifier,
        index: usize,
        tx: mpsc::UnboundedSender<LookupEvent>,
        wake: Option<Wake>,
    ) -> LookupHandle {
        let basket = Basket::default();
        self.spawn_for(
            Asking {
                generation,
                ident,
                basket: &basket,
                purpose: Purpose::Probe,
            },
            &[index],
            Answers { tx, wake },
        )
    }

    /// Asks the sources at `indices` as `asking` says, each answer sent to
    /// `answers`.
    fn spawn_for(&self, asking: Asking<'_>, indices: &[usize], answers: Answers) -> LookupHandle {
        let Asking {
            generation,
            ident,
            basket,
            purpose,
        } = asking;
        let Answers { tx, wake } = answers;
        let tasks = indices
            .iter()
            .filter(|&&index| index < self.inner.sources.len())
            .map(|&index| {
                let engine = self.clone();
                let ident = ident.clone();
                let basket = basket.clone();
                let tx = tx.clone();
                let wake = wake.clone();
                let supervisor = tokio::spawn(async move {
                    let started = Instant::now();
                    let worker_engine = engine.clone();
                    let worker = tokio::spawn(async move {
                        worker_engine.ask_for(index, &ident, &basket, purpose).await
                    });
                    let _guard = AbortOnDrop(worker.abort_handle());
                    let result = match worker.await {
                        Ok(result) => result,
                        Err(e) => {
                            tracing::error!(index, panic = e.is_panic(), "source task failed");
                            SourceResult {
                                elapsed: started.elapsed(),
                                ..SourceResult::local(
                                    index,
                                    engine.source(index),
                                    Err(SourceError::Internal),
                                )
                            }
                        }
                    };
                    // The receiver may be gone (window closed, lookup superseded): nothing to do.
                    let _ = tx.send(LookupEvent { generation, result });
                    if let Some(wake) = wake {
                        wake();
                    }
                });
                supervisor.abort_handle()
            })
            .collect();
        LookupHandle { tasks }
    }

    /// Asks every source about the made-up customer of
    /// [`crate::identify::account_probe`]: the one "test the account" call
    /// behind `check`, the settings' Test connection and the health probe.
    pub async fn test_account(&self) -> Vec<SourceResult> {
        // A made-up basket too, so the sources that need one are asked as well.
        let basket = Basket {
            products: vec!["account-check".into()],
            category: None,
        };
        let customer = crate::identify::account_probe();
        self.run_for(&customer, &basket, &self.all(), Purpose::Probe)
            .await
    }

    /// Runs a whole lookup and returns every source's answer in configured order.
    pub async fn run(&self, ident: &Identifier) -> Vec<SourceResult> {
        self.run_with(ident, &Basket::default()).await
    }

    /// Like [`Self::run`], with the sale's basket.
    pub async fn run_with(&self, ident: &Identifier, basket: &Basket) -> Vec<SourceResult> {
        self.run_sources(ident, basket, &self.all()).await
    }

    /// Asks these sources (indices) and returns their answers in order.
    pub async fn run_sources(
        &self,
        ident: &Identifier,
        basket: &Basket,
        indices: &[usize],
    ) -> Vec<SourceResult> {
        self.run_for(ident, basket, indices, Purpose::Lookup).await
    }

    async fn run_for(
        &self,
        ident: &Identifier,
        basket: &Basket,
        indices: &[usize],
        purpose: Purpose,
    ) -> Vec<SourceResult> {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let asking = Asking {
            generation: 0,
            ident,
            basket,
            purpose,
        };
        let _handle = self.spawn_for(asking, indices, Answers { tx, wake: None });
        let mut slots: Vec<Option<SourceResult>> = vec![None; self.inner.sources.len()];
        while let Some(event) = rx.recv().await {
            let index = event.result.index;
            if let Some(slot) = slots.get_mut(index) {
                *slot = Some(event.result);
            }
        }
        slots
            .into_iter()
            .enumerate()
            .filter(|(index, _)| indices.contains(index))
            .map(|(index, slot)| {
                slot.unwrap_or_else(|| {
                    SourceResult::local(index, self.source(index), Err(SourceError::Internal))
                })
            })
            .collect()
    }
}

/// A source that cannot answer now: its kept answer, marked stale, or
/// `why` when nothing is kept.
fn stale_or(
    index: usize,
    source: SourceConfig,
    kept: Option<Kept>,
    started: Instant,
    why: SourceError,
) -> SourceResult {
    let elapsed = started.elapsed();
    match kept {
        Some(Kept {
            mut products,
            fetched,
        }) => {
            products.truncate(source.max_cards);
            SourceResult {
                elapsed,
                stale: Some(Stale {
                    since: fetched,
                    why,
                }),
                ..SourceResult::local(index, source, Ok(products))
            }
        }
        None => SourceResult {
            elapsed,
            ..SourceResult::local(index, source, Err(why))
        },
    }
}

/// True when `products`, as they would be kept, carry `ident`.
fn carries(products: &[crate::yespo::Product], ident: &Identifier) -> bool {
    // What cannot be checked is not kept.
    serde_json::to_string(products).map_or(true, |text| ident.appears_in(&text))
}
