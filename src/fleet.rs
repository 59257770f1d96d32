//! Central sources per store: the chain publishes each store's `[[sources]]`
//! and `[display]` as a TOML file (`[fleet] config_url`, `{store}` filled
//! in); the till fetches it at start and every `poll_seconds`, with ETag /
//! `If-None-Match`. A fetched file is validated against the till's own
//! configuration before use. A bad or unreachable one keeps the last good
//! copy, which is kept on disk, and the status says so.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::mpsc;

use crate::config::{Config, FieldList, FleetConfig, SourceConfig};
use crate::sync::Wake;

/// Largest store file accepted.
const MAX_BYTES: usize = 256 * 1024;

/// What a store's file may hold.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StoreFile {
    /// The sources, in order.
    #[serde(default)]
    pub sources: Vec<SourceConfig>,
    /// How cards look, where the chain decides it.
    #[serde(default)]
    pub display: ChainDisplay,
    /// The comparison group, so one customer is in the same group at every
    /// till of the chain. A key left out keeps the till's own.
    #[serde(default)]
    pub experiment: ChainExperiment,
}

/// The `[experiment]` keys a chain may set.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChainExperiment {
    /// Percent of customers kept out.
    pub holdout_percent: Option<u8>,
    /// The key deciding who.
    pub key: Option<crate::secret::ApiKey>,
}

/// The `[display]` keys a chain decides: what the cards say. A key left out
/// keeps the till's own value. The till's hardware and the cashier's
/// preferences (kiosk, touch, renderer, the customer screen, theme, text
/// size, language) are the till's own: a store file that names them is
/// used, and those keys are ignored.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChainDisplay {
    /// ISO 4217 currency code for prices.
    pub currency: Option<String>,
    /// Where the picture's address is found in the feed.
    pub image_field: Option<FieldList>,
    /// Where the old price is found in the feed.
    pub old_price_field: Option<FieldList>,
    #[serde(flatten)]
    till_own: TillOwnDisplay,
}

/// `[display]` keys that belong to the till, accepted in a store file and
/// never applied.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct TillOwnDisplay {
    theme: Option<toml::Value>,
    text_scale: Option<toml::Value>,
    language: Option<toml::Value>,
    renderer: Option<toml::Value>,
    touch: Option<toml::Value>,
    kiosk: Option<toml::Value>,
    customer_screen: Option<toml::Value>,
}

impl TillOwnDisplay {
    fn named(&self) -> Vec<&'static str> {
        [
            ("theme", self.theme.is_some()),
            ("text_scale", self.text_scale.is_some()),
            ("language", self.language.is_some()),
            ("renderer", self.renderer.is_some()),
            ("touch", self.touch.is_some()),
            ("kiosk", self.kiosk.is_some()),
            ("customer_screen", self.customer_screen.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, set)| set.then_some(key))
        .collect()
    }
}

/// Why a store file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreFileError {
    /// Not TOML of the expected shape.
    #[error("the store file is not valid: {0}")]
    Invalid(String),
    /// Valid, but the till could not run with it.
    #[error("the store file is not usable: {0}")]
    Unusable(String),
}

impl StoreFile {
    /// Parses a store file.
    pub fn parse(text: &str) -> Result<Self, StoreFileError> {
        let file: StoreFile = toml::from_str(text)
            .map_err(|e| StoreFileError::Invalid(e.message().trim().to_string()))?;
        let ignored = file.display.till_own.named();
        if !ignored.is_empty() {
            tracing::warn!(
                "the store file sets [display] {}: the till's own, ignored",
                ignored.join(", ")
            );
        }
        Ok(file)
    }

    /// The configuration the till runs with: `current` (the one in force
    /// now, after any Save) with the chain's sources and card keys.
    pub fn merged_into(&self, current: &Config) -> Result<Config, StoreFileError> {
        let mut merged = current.clone();
        merged.sources = self.sources.clone();
        let display = &self.display;
        if let Some(currency) = &display.currency {
            merged.display.currency = currency.clone();
        }
        if let Some(field) = &display.image_field {
            merged.display.image_field = field.clone();
        }
        if let Some(field) = &display.old_price_field {
            merged.display.old_price_field = field.clone();
        }
        if let Some(percent) = self.experiment.holdout_percent {
            merged.experiment.holdout_percent = percent;
        }
        if let Some(key) = &self.experiment.key {
            merged.experiment.key = Some(key.clone());
        }
        match merged.problems().into_iter().next() {
            Some(problem) => Err(StoreFileError::Unusable(problem.to_string())),
            None => Ok(merged),
        }
    }

    /// Parses a store file and merges it into `current` (see [`StoreFile::merged_into`]).
    pub fn apply(text: &str, current: &Config) -> Result<Config, StoreFileError> {
        Self::parse(text)?.merged_into(current)
    }
}

/// Where the last good copy of this store's file is kept.
pub fn last_good_path(store: &str) -> Option<PathBuf> {
    let safe: String = store
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    directories::ProjectDirs::from("", "", "pos-recs")
        .map(|d| d.data_dir().join(format!("fleet-{safe}.toml")))
}

/// How central management stands, for the status line and `check`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetStatus {
    /// A copy from the chain is in use.
    pub managed: bool,
    /// Why the latest fetch could not be used (the last good copy stays).
    pub problem: Option<String>,
}

/// The central configuration's poller. Dropping it stops the polling.
pub struct Fleet {
    updates: mpsc::UnboundedReceiver<StoreFile>,
    status: Arc<Mutex<FleetStatus>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Fleet {
    /// Starts polling for `own` (whose `[fleet]` says where). The last good
    /// copy at `cache` is offered at once, before the first fetch answers.
    pub fn start(
        own: Config,
        fleet: &FleetConfig,
        cache: Option<PathBuf>,
        runtime: &tokio::runtime::Handle,
        wake: Option<Wake>,
    ) -> Self {
        let (tx, updates) = mpsc::unbounded_channel();
        let status: Arc<Mutex<FleetStatus>> = Arc::default();
        let poller = Poller {
            own,
            url: fleet.url(),
            every: Duration::from_secs(fleet.poll_seconds),
            cache,
            status: status.clone(),
            tx,
            wake,
        };
        let task = runtime.spawn(poller.run());
        Self {
            updates,
            status,
            task,
        }
    }

    /// The newest store file from the chain, if one arrived: checked, to be
    /// merged into the configuration in force when it is used.
    pub fn next_update(&mut self) -> Option<StoreFile> {
        let mut newest = None;
        while let Ok(config) = self.updates.try_recv() {
            newest = Some(config);
        }
        newest
    }

    /// How central management stands.
    pub fn status(&self) -> FleetStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

struct Poller {
    own: Config,
    url: String,
    every: Duration,
    cache: Option<PathBuf>,
    status: Arc<Mutex<FleetStatus>>,
    tx: mpsc::UnboundedSender<StoreFile>,
    wake: Option<Wake>,
}

impl Poller {
    async fn run(self) {
        // A default client would follow redirects and ignore [network]:
        // without the configured one the poller stops and says why.
        let http = match crate::net::chain_client(&self.own.network, Duration::from_secs(15)) {
            Ok(http) => http,
            Err(e) => {
                let problem =
                    format!("the chain's configuration is not fetched: no HTTP client ({e})");
                tracing::warn!("{problem}");
                self.set_problem(Some(problem));
                return;
            }
        };
        let mut etag = None;
        if let Some(text) = self.cache.as_deref().and_then(read_small) {
            match self.check(&text) {
                Ok(file) => self.publish(file, None),
                Err(e) => tracing::warn!("the kept store file is not usable: {e}"),
            }
        }
        loop {
            match self.fetch(&http, etag.as_deref()).await {
                Ok(None) => self.set_problem(None),
                Ok(Some((text, new_etag))) => match self.check(&text) {
                    Ok(file) => {
                        if let Some(cache) = &self.cache
                            && let Err(e) = crate::config::write_atomically(cache, text.as_bytes())
                        {
                            tracing::warn!("cannot keep the store file: {e}");
                        }
                        etag = new_etag;
                        self.publish(file, None);
                    }
                    Err(e) => self.set_problem(Some(e.to_string())),
                },
                Err(e) => self.set_problem(Some(e)),
            }
            tokio::time::sleep(self.every).await;
        }
    }

    /// The file, `None` for 304 Not Modified.
    async fn fetch(
        &self,
        http: &reqwest::Client,
        etag: Option<&str>,
    ) -> Result<Option<(String, Option<String>)>, String> {
        let mut request = http.get(&self.url);
        if let Some(etag) = etag {
            request = request.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        let response = request.send().await.map_err(|e| {
            format!(
                "the chain's configuration cannot be reached ({})",
                e.without_url()
            )
        })?;
        if response.status() == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        if !response.status().is_success() {
            return Err(format!(
                "the chain's configuration answered HTTP {}",
                response.status().as_u16()
            ));
        }
        let new_etag = response
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = crate::yespo::read_body(response, MAX_BYTES)
            .await
            .map_err(|_| "the chain's configuration could not be read whole".to_string())?;
        let text = String::from_utf8(body).map_err(|_| "the store file is not text".to_string())?;
        Ok(Some((text, new_etag)))
    }

    /// A store file the till could run with (checked against the
    /// configuration it started with; merged later into the one in force).
    fn check(&self, text: &str) -> Result<StoreFile, StoreFileError> {
        let file = StoreFile::parse(text)?;
        file.merged_into(&self.own)?;
        Ok(file)
    }

    fn publish(&self, file: StoreFile, problem: Option<String>) {
        if let Ok(mut status) = self.status.lock() {
            status.managed = true;
            status.problem = problem;
        }
        let _ = self.tx.send(file);
        if let Some(wake) = &self.wake {
            wake();
        }
    }

    fn set_problem(&self, problem: Option<String>) {
        let changed = self.status.lock().is_ok_and(|mut status| {
            let changed = status.problem != problem;
            if let Some(p) = &problem
                && changed
            {
                tracing::warn!("{p}; the last good copy stays in use");
            }
            status.problem = problem;
            changed
        });
        if changed && let Some(wake) = &self.wake {
            wake();
        }
    }
}

fn read_small(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > MAX_BYTES as u64 {
        return None;
    }
    std::fs::read_to_string(path).ok()
}
