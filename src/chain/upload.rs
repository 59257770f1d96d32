//! The till's side of the chain's report.
//!
//! Which days are due:
//! - at start, every day with records since the last day already queued
//!   (on the first start, the whole history), and today;
//! - at the end of every hour in which the till had sales, that hour's day;
//! - at midnight (UTC), the day that ended, with its final figures.
//!
//! Due days wait in a small queue file beside the history, so a till that
//! cannot reach the gateway keeps them across restarts and sends them once
//! it can, oldest first, backing off between failures. Each day's file
//! replaces that day's earlier one at the gateway, so a repeat is harmless.
//! The reporter runs on its own task with its own client and reads the
//! history read-only: it never delays a lookup.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::report::DayReport;
use super::unix_now;
use crate::config::Config;
use crate::history::{day_figures, day_of, days_with_records, sales_between};
use crate::net::NetworkConfig;
use crate::secret::ApiKey;

/// First wait after a failed upload; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(30);
/// Longest wait between tries.
const MAX_BACKOFF: Duration = Duration::from_secs(30 * 60);
/// An upload that takes longer is given up (and tried again later).
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(30);
/// Seconds in an hour.
const HOUR: i64 = 3600;

/// Where and as whom a till reports.
#[derive(Debug, Clone)]
pub struct ReportSettings {
    /// The folder URL, ending in `/`.
    pub base: String,
    /// `[fleet] store`.
    pub store: String,
    /// `[fleet] till`.
    pub till: String,
    /// The till's gateway token.
    pub token: ApiKey,
    /// Proxy settings.
    pub network: NetworkConfig,
    /// Source titles, by id, written into each report.
    pub titles: BTreeMap<u64, String>,
}

impl ReportSettings {
    /// The settings of a till that sends reports (`[fleet] till` set, a
    /// gateway token), or `None`.
    pub fn from_config(config: &Config) -> Option<Self> {
        let fleet = config.fleet.as_ref()?;
        let base = fleet.report_base(&config.yespo.base_url)?;
        Some(Self {
            base,
            store: fleet.store.trim().to_string(),
            till: fleet.till.clone()?,
            token: config.till_token()?,
            network: config.network.clone(),
            titles: config
                .sources
                .iter()
                .map(|s| (s.id, s.title.clone()))
                .collect(),
        })
    }

    /// The URL of `day`'s file.
    pub fn url_of(&self, day: &str) -> String {
        format!("{}{}/{}/{day}.json", self.base, self.store, self.till)
    }
}

/// Where the queue of unsent days is kept for the history at `history_file`.
pub fn queue_file_beside(history_file: &Path) -> PathBuf {
    history_file.with_extension("reports-queue.json")
}

/// The queue file's content.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Queue {
    /// Days due, not yet accepted by the gateway.
    pub due: BTreeSet<String>,
    /// The last day looked at for records: the next start looks from here.
    pub looked_through: Option<String>,
    /// Per day, a digest of the figures the gateway last accepted: a day
    /// due again with the same figures (a restart, an hour without news)
    /// is not sent twice.
    pub sent: BTreeMap<String, String>,
}

/// How many days' digests are kept in the queue file.
const SENT_KEPT: usize = 62;

impl Queue {
    /// Notes that the gateway accepted `day` with figures of `digest`.
    fn accepted(&mut self, day: &str, digest: String) {
        self.due.remove(day);
        self.sent.insert(day.to_string(), digest);
        while self.sent.len() > SENT_KEPT {
            self.sent.pop_first();
        }
    }
}

/// A digest of a day's report, leaving out when it was made.
fn figures_digest(report: &DayReport) -> String {
    use blake2::{Blake2s256, Digest};
    let mut unstamped = report.clone();
    unstamped.made_at = 0;
    let digest = Blake2s256::digest(unstamped.to_json());
    crate::sync::hex(&digest[..16])
}

impl Queue {
    /// The queue at `path`; empty when there is none or it cannot be read
    /// (then the next start looks through the whole history again, which
    /// only repeats files).
    pub fn load(path: &Path) -> Self {
        std::fs::read(path)
            .ok()
            .filter(|bytes| bytes.len() < 1024 * 1024)
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    fn save(&self, path: &Path) {
        let bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        if let Err(e) = crate::config::write_atomically(path, &bytes) {
            tracing::warn!("the chain's report queue cannot be kept: {e}");
        }
    }
}

/// How reporting stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportStatus {
    /// Days waiting to be sent.
    pub waiting: usize,
    /// Why the last upload failed, while it keeps failing.
    pub problem: Option<String>,
    /// Days the gateway has accepted since start.
    pub sent: usize,
}

/// The reporter's task. Dropping it stops it; the queue stays on disk.
pub struct Reporter {
    task: tokio::task::JoinHandle<()>,
    status: Arc<Mutex<ReportStatus>>,
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Reporter {
    /// Starts reporting the history at `history_file` on `runtime`.
    pub fn start(
        settings: ReportSettings,
        history_file: PathBuf,
        runtime: &tokio::runtime::Handle,
    ) -> Self {
        let status: Arc<Mutex<ReportStatus>> = Arc::default();
        let worker = Worker {
            queue_file: queue_file_beside(&history_file),
            history_file,
            settings,
            status: status.clone(),
        };
        let task = runtime.spawn(worker.run());
        Self { task, status }
    }

    /// How reporting stands.
    pub fn status(&self) -> ReportStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

struct Worker {
    history_file: PathBuf,
    queue_file: PathBuf,
    settings: ReportSettings,
    status: Arc<Mutex<ReportStatus>>,
}

/// Why one upload did not go through.
#[derive(Debug, thiserror::Error)]
enum UploadError {
    #[error("the gateway cannot be reached ({0})")]
    Unreachable(String),
    #[error("the gateway answered HTTP {0}")]
    Refused(u16),
    #[error("the day's figures cannot be read: {0}")]
    History(String),
}

impl Worker {
    async fn run(self) {
        let http = match crate::net::chain_client(&self.settings.network, UPLOAD_TIMEOUT) {
            Ok(http) => http,
            Err(e) => {
                self.set_problem(Some(format!("no HTTP client for the reports ({e})")));
                return;
            }
        };
        let mut queue = Queue::load(&self.queue_file);
        let now = unix_now();
        self.queue_recorded_days(&mut queue, now).await;
        queue.save(&self.queue_file);
        let mut hour = now.div_euclid(HOUR);
        let mut backoff = FIRST_BACKOFF;
        let mut retry_at: Option<tokio::time::Instant> = None;
        loop {
            let now = unix_now();
            // The hours (and days) that ended since the last turn.
            let this_hour = now.div_euclid(HOUR);
            if this_hour != hour {
                self.queue_ended(&mut queue, hour, this_hour).await;
                hour = this_hour;
                queue.save(&self.queue_file);
            }
            let ready = retry_at.is_none_or(|at| tokio::time::Instant::now() >= at);
            if ready && !queue.due.is_empty() {
                match self.send_due(&http, &mut queue).await {
                    Ok(()) => {
                        backoff = FIRST_BACKOFF;
                        retry_at = None;
                        self.set_problem(None);
                    }
                    Err(e) => {
                        self.set_problem(Some(e.to_string()));
                        retry_at = Some(tokio::time::Instant::now() + backoff);
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                }
                queue.save(&self.queue_file);
            }
            self.set_waiting(queue.due.len());
            // Wake at the next hour's end or at the retry.
            let to_next_hour = (this_hour + 1) * HOUR - unix_now() + 1;
            let mut wait = Duration::from_secs(to_next_hour.clamp(1, HOUR) as u64);
            if let Some(at) = retry_at {
                wait = wait.min(at.saturating_duration_since(tokio::time::Instant::now()));
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// At start: every day with records since the last one looked at, and
    /// today.
    async fn queue_recorded_days(&self, queue: &mut Queue, now: i64) {
        let since = queue
            .looked_through
            .as_deref()
            .and_then(crate::history::day_start)
            .unwrap_or(0);
        let path = self.history_file.clone();
        match tokio::task::spawn_blocking(move || days_with_records(&path, since)).await {
            Ok(Ok(days)) => queue.due.extend(days),
            Ok(Err(e)) => tracing::warn!("the chain's report cannot read the history: {e}"),
            Err(_) => {}
        }
        let today = day_of(now);
        queue.due.insert(today.clone());
        queue.looked_through = Some(today);
    }

    /// Hours `from` (inclusive) to `to` (exclusive) ended: a day that ended
    /// is due with its final figures, and an hour with sales makes its day
    /// due.
    async fn queue_ended(&self, queue: &mut Queue, from: i64, to: i64) {
        // A till asleep for days wakes to a long range: one look at the
        // history covers it.
        if to - from > 48 {
            self.queue_recorded_days(queue, to * HOUR).await;
            return;
        }
        for hour in from..to {
            let start = hour * HOUR;
            let day = day_of(start);
            let day_ended = day_of(start + HOUR) != day;
            let path = self.history_file.clone();
            let had_sales = tokio::task::spawn_blocking(move || {
                sales_between(&path, start, start + HOUR).unwrap_or(0) > 0
            })
            .await
            .unwrap_or(false);
            if day_ended || had_sales {
                queue.due.insert(day);
            }
        }
        queue.looked_through = Some(day_of(to * HOUR));
    }

    /// Sends the due days, oldest first; stops at the first failure.
    async fn send_due(&self, http: &reqwest::Client, queue: &mut Queue) -> Result<(), UploadError> {
        let days: Vec<String> = queue.due.iter().cloned().collect();
        for day in days {
            let path = self.history_file.clone();
            let wanted = day.clone();
            let figures = tokio::task::spawn_blocking(move || day_figures(&path, &wanted))
                .await
                .map_err(|e| UploadError::History(e.to_string()))?;
            let figures = match figures {
                Ok(figures) => figures,
                // Not a day (a hand-edited queue): dropped. (A day gone with
                // retention reads empty, and is dropped below.)
                Err(e) if crate::history::day_start(&day).is_none() => {
                    tracing::warn!("the chain's report skips {day:?}: {e}");
                    queue.due.remove(&day);
                    continue;
                }
                Err(e) => return Err(UploadError::History(e.to_string())),
            };
            if figures.is_empty() {
                queue.due.remove(&day);
                continue;
            }
            let report = DayReport::new(
                &self.settings.store,
                &self.settings.till,
                self.settings.titles.clone(),
                figures,
                unix_now(),
            );
            let digest = figures_digest(&report);
            if queue.sent.get(&day) == Some(&digest) {
                tracing::info!("the chain has {day}'s figures already: not sent again");
                queue.due.remove(&day);
                continue;
            }
            self.put(http, &day, report.to_json()).await?;
            queue.accepted(&day, digest);
            queue.save(&self.queue_file);
            tracing::info!("the chain's report for {day} is sent");
            if let Ok(mut status) = self.status.lock() {
                status.sent += 1;
            }
        }
        Ok(())
    }

    async fn put(
        &self,
        http: &reqwest::Client,
        day: &str,
        body: Vec<u8>,
    ) -> Result<(), UploadError> {
        let response = http
            .put(self.settings.url_of(day))
            .bearer_auth(self.settings.token.expose())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| UploadError::Unreachable(e.without_url().to_string()))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(UploadError::Refused(status.as_u16()))
        }
    }

    fn set_problem(&self, problem: Option<String>) {
        if let Ok(mut status) = self.status.lock() {
            if let Some(p) = &problem
                && status.problem != problem
            {
                tracing::warn!("the chain's report is not sent: {p}; it will be tried again");
            }
            status.problem = problem;
        }
    }

    fn set_waiting(&self, waiting: usize) {
        if let Ok(mut status) = self.status.lock() {
            status.waiting = waiting;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_file_that_is_missing_or_broken_reads_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.json");
        assert_eq!(Queue::load(&path), Queue::default());
        std::fs::write(&path, b"{not json").unwrap();
        assert_eq!(Queue::load(&path), Queue::default());
        let queue = Queue {
            due: ["2026-11-30".to_string()].into(),
            looked_through: Some("2026-12-01".into()),
            sent: [("2026-11-29".to_string(), "ab12".to_string())].into(),
        };
        queue.save(&path);
        assert_eq!(Queue::load(&path), queue);
    }
}
