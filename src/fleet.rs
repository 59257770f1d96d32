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

use crate::config::{Config, DisplayConfig, FleetConfig, SourceConfig};
use crate::lookup::Wake;

/// Largest store file accepted.
const MAX_BYTES: usize = 256 * 1024;

/// What a store's file may hold.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StoreFile {
    /// The sources, in order.
    #[serde(default)]
    pub sources: Vec<SourceConfig>,
    /// How cards look, when the chain decides it.
    pub display: Option<DisplayConfig>,
}

impl StoreFile {
    /// Parses and checks a store file against the till's own configuration:
    /// the result is the configuration the till would run with.
    pub fn apply(text: &str, own: &Config) -> Result<Config, String> {
        let file: StoreFile = toml::from_str(text)
            .map_err(|e| format!("the store file is not valid: {}", e.message().trim()))?;
        let mut merged = own.clone();
        merged.sources = file.sources;
        if let Some(display) = file.display {
            merged.display = display;
        }
        match merged.problems().into_iter().next() {
            Some(problem) => Err(format!("the store file is not usable: {problem}")),
            None => Ok(merged),
        }
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
    updates: mpsc::UnboundedReceiver<Config>,
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

    /// The newest configuration from the chain, if one arrived.
    pub fn next_update(&mut self) -> Option<Config> {
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
    tx: mpsc::UnboundedSender<Config>,
    wake: Option<Wake>,
}

impl Poller {
    async fn run(self) {
        // A default client would follow redirects and ignore [network]:
        // without the configured one the poller stops and says why.
        let http = match crate::net::client_builder(&self.own.network)
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
        {
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
            match StoreFile::apply(&text, &self.own) {
                Ok(config) => self.publish(config, None),
                Err(e) => tracing::warn!("the kept store file is not usable: {e}"),
            }
        }
        loop {
            match self.fetch(&http, etag.as_deref()).await {
                Ok(None) => self.set_problem(None),
                Ok(Some((text, new_etag))) => match StoreFile::apply(&text, &self.own) {
                    Ok(config) => {
                        if let Some(cache) = &self.cache
                            && let Err(e) = crate::config::write_atomically(cache, text.as_bytes())
                        {
                            tracing::warn!("cannot keep the store file: {e}");
                        }
                        etag = new_etag;
                        self.publish(config, None);
                    }
                    Err(e) => self.set_problem(Some(e)),
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

    fn publish(&self, config: Config, problem: Option<String>) {
        if let Ok(mut status) = self.status.lock() {
            status.managed = true;
            status.problem = problem;
        }
        let _ = self.tx.send(config);
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
