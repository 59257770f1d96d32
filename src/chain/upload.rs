//! The till's side of the chain's report.
//!
//! Which days are due:
//! - at start, every day with records since the last day already queued
//!   (on the first start, the whole history), and today;
//! - at the end of every hour in which the till had sales, that hour's day;
//! - at midnight (UTC), the day that ended, with its final figures.
//!
//! - when a sale is voided, that sale's day (queued in the void's transaction).
//!
//! Due days wait in the till's one outbox (the history file's `outbox`
//! table, destination `chain-report`, keyed by the day), so a till that
//! cannot reach the gateway keeps them across restarts and sends them once
//! it can, in the order queued, backing off between failures. Each day's
//! file is made from the history when sent and replaces that day's earlier
//! one at the gateway, so a repeat is harmless. A small state file beside
//! the history remembers how far the history was looked through and the
//! digest of each day the gateway took. The reporter runs on its own task
//! with its own client and connection: it never delays a lookup.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::MutexGuard;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::report::DayReport;
use super::unix_now;
use crate::config::Config;
use crate::history::{day_figures, day_of, days_with_records, sales_between};
use crate::net::NetworkConfig;
use crate::outbox::Destination;
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

/// Where the reports' state is kept for the history at `history_file`.
pub fn queue_file_beside(history_file: &Path) -> PathBuf {
    history_file.with_extension("reports-queue.json")
}

/// The days waiting in the outbox of the history at `history_file`, in
/// the order queued.
pub fn pending_days(history_file: &Path) -> Vec<String> {
    crate::history::open(history_file)
        .ok()
        .and_then(|conn| crate::outbox::waiting(&conn, Destination::ChainReport, 100_000).ok())
        .map(|items| items.into_iter().map(|i| i.key).collect())
        .unwrap_or_default()
}

/// The reports' state file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Queue {
    /// Days due, as files of older versions kept them: moved into the
    /// outbox at start.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
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
    doorbell: Arc<tokio::sync::Notify>,
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
        let doorbell = Arc::new(tokio::sync::Notify::new());
        let worker = Worker {
            queue_file: queue_file_beside(&history_file),
            history_file,
            settings,
            status: status.clone(),
            doorbell: doorbell.clone(),
        };
        let task = runtime.spawn(worker.run());
        Self {
            task,
            status,
            doorbell,
        }
    }

    /// A day was queued (a void): look at the outbox now.
    pub fn wake(&self) {
        self.doorbell.notify_one();
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
    doorbell: Arc<tokio::sync::Notify>,
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

/// The history file's connection, shared with blocking workers.
type Db = Arc<Mutex<rusqlite::Connection>>;

fn lock_db(db: &Db) -> MutexGuard<'_, rusqlite::Connection> {
    db.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Queues `days` in the outbox (a day already waiting is not queued twice).
async fn queue_days(db: &Db, days: Vec<String>) {
    let db = db.clone();
    let queued = tokio::task::spawn_blocking(move || {
        let conn = lock_db(&db);
        let now = unix_now();
        days.iter().try_for_each(|day| {
            crate::outbox::enqueue_once(&conn, Destination::ChainReport, day, now)
        })
    })
    .await;
    if let Ok(Err(e)) = queued {
        tracing::warn!("the chain's report cannot queue its days: {e}");
    }
}

/// The days waiting, in the order queued, with their rows.
async fn waiting_days(db: &Db) -> Vec<(i64, String)> {
    let db = db.clone();
    tokio::task::spawn_blocking(move || {
        crate::outbox::waiting(&lock_db(&db), Destination::ChainReport, 100_000)
    })
    .await
    .ok()
    .and_then(Result::ok)
    .map(|items| items.into_iter().map(|i| (i.id, i.key)).collect())
    .unwrap_or_default()
}

/// The gateway took (or no longer needs) the day of row `id`.
async fn day_done(db: &Db, id: i64) {
    let db = db.clone();
    let done =
        tokio::task::spawn_blocking(move || crate::outbox::accepted(&mut lock_db(&db), &[id]))
            .await;
    if let Ok(Err(e)) = done {
        tracing::warn!("the chain's report cannot update its outbox: {e}");
    }
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
        let file = self.history_file.clone();
        let db: Db = match tokio::task::spawn_blocking(move || crate::history::open(&file)).await {
            Ok(Ok(conn)) => Arc::new(Mutex::new(conn)),
            Ok(Err(e)) => {
                self.set_problem(Some(format!("the history cannot be opened ({e})")));
                return;
            }
            Err(_) => return,
        };
        let mut queue = Queue::load(&self.queue_file);
        // Days an older version kept in the state file move into the outbox.
        let older = std::mem::take(&mut queue.due);
        queue_days(&db, older.into_iter().collect()).await;
        let now = unix_now();
        self.queue_recorded_days(&db, &mut queue, now).await;
        queue.save(&self.queue_file);
        let mut hour = now.div_euclid(HOUR);
        let mut backoff = FIRST_BACKOFF;
        let mut retry_at: Option<tokio::time::Instant> = None;
        loop {
            let now = unix_now();
            // The hours (and days) that ended since the last turn.
            let this_hour = now.div_euclid(HOUR);
            if this_hour != hour {
                self.queue_ended(&db, &mut queue, hour, this_hour).await;
                hour = this_hour;
                queue.save(&self.queue_file);
            }
            let ready = retry_at.is_none_or(|at| tokio::time::Instant::now() >= at);
            let due = waiting_days(&db).await;
            if ready && !due.is_empty() {
                match self.send_due(&http, &db, &mut queue, due).await {
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
            self.set_waiting(waiting_days(&db).await.len());
            // Wake at the next hour's end, at the retry, or for a day a
            // void queued (looked at every minute).
            let to_next_hour = (this_hour + 1) * HOUR - unix_now() + 1;
            let mut wait = Duration::from_secs(to_next_hour.clamp(1, 60) as u64);
            match retry_at {
                // Waiting out a failure: a queued day does not hurry it.
                Some(at) => {
                    wait = wait.max(at.saturating_duration_since(tokio::time::Instant::now()));
                    tokio::time::sleep(wait).await;
                }
                None => {
                    let _ = tokio::time::timeout(wait, self.doorbell.notified()).await;
                }
            }
        }
    }

    /// At start: every day with records since the last one looked at, and
    /// today.
    async fn queue_recorded_days(&self, db: &Db, queue: &mut Queue, now: i64) {
        let since = queue
            .looked_through
            .as_deref()
            .and_then(crate::history::day_start)
            .unwrap_or(0);
        let path = self.history_file.clone();
        let mut days =
            match tokio::task::spawn_blocking(move || days_with_records(&path, since)).await {
                Ok(Ok(days)) => days.into_iter().collect(),
                Ok(Err(e)) => {
                    tracing::warn!("the chain's report cannot read the history: {e}");
                    Vec::new()
                }
                Err(_) => Vec::new(),
            };
        let today = day_of(now);
        days.push(today.clone());
        queue_days(db, days).await;
        queue.looked_through = Some(today);
    }

    /// Hours `from` (inclusive) to `to` (exclusive) ended: a day that ended
    /// is due with its final figures, and an hour with sales makes its day
    /// due.
    async fn queue_ended(&self, db: &Db, queue: &mut Queue, from: i64, to: i64) {
        // A till asleep for days wakes to a long range: one look at the
        // history covers it.
        if to - from > 48 {
            self.queue_recorded_days(db, queue, to * HOUR).await;
            return;
        }
        let mut days = Vec::new();
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
                days.push(day);
            }
        }
        queue_days(db, days).await;
        queue.looked_through = Some(day_of(to * HOUR));
    }

    /// Sends the due days in the order queued; stops at the first failure.
    async fn send_due(
        &self,
        http: &reqwest::Client,
        db: &Db,
        queue: &mut Queue,
        due: Vec<(i64, String)>,
    ) -> Result<(), UploadError> {
        for (id, day) in due {
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
                    day_done(db, id).await;
                    continue;
                }
                Err(e) => return Err(UploadError::History(e.to_string())),
            };
            if figures.is_empty() && !queue.sent.contains_key(&day) {
                day_done(db, id).await;
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
                day_done(db, id).await;
                continue;
            }
            self.put(http, &day, report.to_json()).await?;
            queue.accepted(&day, digest);
            queue.save(&self.queue_file);
            day_done(db, id).await;
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
