//! What works: every source's lookups, cards shown, opened, shown to the
//! customer and added to the sale, kept in SQLite for the store manager.
//!
//! Nothing about the customer is stored: no phone, card, email or hash of
//! them. Events go over a channel to one writer thread, which writes them in
//! batches (one transaction each) in WAL mode, and deletes rows older than the
//! retention in the background. The till never waits for the database, and
//! keeps working when it cannot be written: one warning, a note in the status
//! line, and on it goes. A corrupt file is moved aside and a new one started.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, params};
use rusqlite_migration::{M, Migrations};
use serde::Serialize;

/// Rows are kept this many days unless configured otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;
/// The file is kept under this size: past it, the oldest rows go first.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// At most this many events are written in one transaction.
const BATCH: usize = 1000;
/// Events wait at most this long before being written.
const BATCH_WAIT: Duration = Duration::from_millis(250);

/// One thing that happened at the till. No customer identifier of any kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A customer was looked up.
    Lookup,
    /// A source answered (or failed) in a lookup.
    Answer {
        /// The data source.
        source_id: u64,
        /// `ok`, `error`, `timeout` or `skipped`.
        status: &'static str,
        /// Time to the answer.
        elapsed_ms: u64,
    },
    /// A card came into the cashier's view (once per customer).
    Shown {
        /// The data source.
        source_id: u64,
        /// The product.
        product_id: String,
        /// Its place in the section, from 0.
        position: usize,
    },
    /// The cashier opened a card's details.
    Opened {
        /// The data source.
        source_id: u64,
        /// The product.
        product_id: String,
    },
    /// A product was turned to the customer.
    ShownToCustomer {
        /// The data source.
        source_id: u64,
        /// The product.
        product_id: String,
    },
    /// A product was added to the sale.
    AddedToSale {
        /// The data source.
        source_id: u64,
        /// The product.
        product_id: String,
    },
}

impl Event {
    fn kind(&self) -> &'static str {
        match self {
            Self::Lookup => "lookup",
            Self::Answer { .. } => "answer",
            Self::Shown { .. } => "shown",
            Self::Opened { .. } => "opened",
            Self::ShownToCustomer { .. } => "to_customer",
            Self::AddedToSale { .. } => "added",
        }
    }
}

/// Why the history cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// SQLite refused.
    #[error("history database: {0}")]
    Sql(#[from] rusqlite::Error),
    /// The schema could not be brought up to date.
    #[error("history database schema: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// The folder or file could not be used.
    #[error("history file: {0}")]
    Io(#[from] std::io::Error),
}

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![M::up(
        "CREATE TABLE events (
            at INTEGER NOT NULL,          -- unix seconds
            kind TEXT NOT NULL,           -- lookup | answer | shown | opened | to_customer | added
            source_id INTEGER,
            product_id TEXT,
            position INTEGER,
            status TEXT,
            elapsed_ms INTEGER
        );
        CREATE INDEX events_at ON events(at);
        CREATE INDEX events_kind_source ON events(kind, source_id);",
    )])
}

/// The platform data dir's `pos-recs/history.sqlite3`.
/// The history file a till with `config`, loaded from `origin`, records
/// into (`None`: recording is off). The built-in demo keeps its own file,
/// so trying the demo never mixes with a real shop's figures.
pub fn file_for(
    config: &crate::config::Config,
    origin: &crate::config::ConfigOrigin,
) -> Option<PathBuf> {
    if !config.history.enabled {
        return None;
    }
    let file = config.history.file()?;
    Some(
        if *origin == crate::config::ConfigOrigin::Demo && config.history.path.is_none() {
            file.with_file_name("history-demo.sqlite3")
        } else {
            file
        },
    )
}

pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "pos-recs").map(|d| d.data_dir().join("history.sqlite3"))
}

fn now_secs() -> i64 {
    crate::sync::unix_secs() as i64
}

/// Opens (or creates) the database: WAL, schema migrated, integrity checked.
/// A file that is not a usable database is moved aside and a new one started.
pub fn open(path: &Path) -> Result<Connection, HistoryError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    match open_checked(path) {
        Ok(conn) => Ok(conn),
        Err(HistoryError::Sql(e)) if is_corrupt(&e) => {
            let aside = path.with_extension(format!("corrupt-{}", now_secs()));
            tracing::warn!(
                "the history database {} is damaged; moved aside to {} and started anew",
                path.display(),
                aside.display()
            );
            std::fs::rename(path, &aside)?;
            for suffix in ["-wal", "-shm"] {
                let mut side = path.as_os_str().to_os_string();
                side.push(suffix);
                let _ = std::fs::remove_file(side);
            }
            open_checked(path)
        }
        Err(e) => Err(e),
    }
}

fn is_corrupt(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    ) || e.to_string().contains("malformed")
}

fn open_checked(path: &Path) -> Result<Connection, HistoryError> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(2))?;
    // Set before the first table exists: lets the file shrink as rows go.
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(HistoryError::Sql(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            Some(format!("malformed: {check}")),
        )));
    }
    migrations().to_latest(&mut conn)?;
    Ok(conn)
}

/// Writes one batch of events in one transaction.
pub fn write_batch(conn: &mut Connection, batch: &[(i64, Event)]) -> Result<(), HistoryError> {
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO events (at, kind, source_id, product_id, position, status, elapsed_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (at, event) in batch {
            let kind = event.kind();
            match event {
                Event::Lookup => insert.execute(params![
                    at,
                    kind,
                    None::<i64>,
                    None::<String>,
                    None::<i64>,
                    None::<String>,
                    None::<i64>
                ])?,
                Event::Answer {
                    source_id,
                    status,
                    elapsed_ms,
                } => insert.execute(params![
                    at,
                    kind,
                    *source_id as i64,
                    None::<String>,
                    None::<i64>,
                    status,
                    *elapsed_ms as i64
                ])?,
                Event::Shown {
                    source_id,
                    product_id,
                    position,
                } => insert.execute(params![
                    at,
                    kind,
                    *source_id as i64,
                    product_id,
                    *position as i64,
                    None::<String>,
                    None::<i64>
                ])?,
                Event::Opened {
                    source_id,
                    product_id,
                }
                | Event::ShownToCustomer {
                    source_id,
                    product_id,
                }
                | Event::AddedToSale {
                    source_id,
                    product_id,
                } => insert.execute(params![
                    at,
                    kind,
                    *source_id as i64,
                    product_id,
                    None::<i64>,
                    None::<String>,
                    None::<i64>
                ])?,
            };
        }
    }
    tx.commit()?;
    Ok(())
}

/// Deletes rows older than `days`, then the oldest tenth while the file is
/// over [`MAX_FILE_BYTES`], and gives the space back.
pub fn apply_retention(conn: &Connection, path: &Path, days: u32) -> Result<(), HistoryError> {
    let cutoff = now_secs() - i64::from(days) * 86_400;
    conn.execute("DELETE FROM events WHERE at < ?1", [cutoff])?;
    for _ in 0..10 {
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        if size <= MAX_FILE_BYTES {
            break;
        }
        conn.execute(
            "DELETE FROM events WHERE rowid IN
             (SELECT rowid FROM events ORDER BY at LIMIT (SELECT COUNT(*) / 10 + 1 FROM events))",
            [],
        )?;
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA incremental_vacuum;")?;
    }
    conn.execute_batch("PRAGMA incremental_vacuum;")?;
    Ok(())
}

/// A message to the writer thread: events that belong together (written in
/// one transaction).
type Message = Vec<(i64, Event)>;

/// Records events without ever making the till wait. Cheap to clone.
/// When the last clone goes, what was recorded is written before the
/// writer stops (a till stopped with SIGTERM loses nothing).
#[derive(Clone)]
pub struct History {
    writer: Option<Arc<Writer>>,
    problem: Arc<Mutex<Option<String>>>,
}

/// The writer thread and the way to it; dropped last, it lets the thread
/// drain its queue and waits for it.
struct Writer {
    sender: Option<mpsc::Sender<Message>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the channel ends the thread once the queue is written.
        drop(self.sender.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History")
            .field("recording", &self.writer.is_some())
            .finish_non_exhaustive()
    }
}

impl History {
    /// A history that records nothing (tests, the CLI).
    pub fn off() -> Self {
        Self {
            writer: None,
            problem: Arc::default(),
        }
    }

    /// Starts the writer thread for the database at `path`, keeping rows
    /// `retention_days`. Never fails: a database that cannot be used is a
    /// note in [`History::problem`], and the till goes on.
    pub fn start(path: PathBuf, retention_days: u32) -> Self {
        let (sender, receiver) = mpsc::channel::<Message>();
        let problem: Arc<Mutex<Option<String>>> = Arc::default();
        let note = problem.clone();
        let spawned = std::thread::Builder::new()
            .name("history".into())
            .spawn(move || writer(&path, retention_days, &receiver, &note));
        match spawned {
            Ok(thread) => Self {
                writer: Some(Arc::new(Writer {
                    sender: Some(sender),
                    thread: Some(thread),
                })),
                problem,
            },
            Err(e) => {
                tracing::warn!("history is off: cannot start its writer ({e})");
                Self::off()
            }
        }
    }

    /// Records one event.
    pub fn record(&self, event: Event) {
        self.record_all(vec![event]);
    }

    /// Records events that belong together, written in one transaction.
    pub fn record_all(&self, events: Vec<Event>) {
        if let Some(sender) = self.writer.as_ref().and_then(|w| w.sender.as_ref()) {
            let at = now_secs();
            // A stopped writer means the history is off; the till goes on.
            let _ = sender.send(events.into_iter().map(|e| (at, e)).collect());
        }
    }

    /// Why the history is not being written, if it is not.
    pub fn problem(&self) -> Option<String> {
        self.problem.lock().ok().and_then(|p| p.clone())
    }
}

/// The writer thread: opens the database, writes batches, applies the
/// retention now and then. Stops when every [`History`] is dropped.
fn writer(
    path: &Path,
    retention_days: u32,
    receiver: &mpsc::Receiver<Message>,
    problem: &Mutex<Option<String>>,
) {
    let report = |e: &HistoryError| {
        let mut slot = problem
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.is_none() {
            // Once: a full disk must not flood the log.
            tracing::warn!("the history cannot be written ({e}); the till goes on without it");
        }
        *slot = Some(e.to_string());
    };
    let mut conn = match open(path) {
        Ok(conn) => Some(conn),
        Err(e) => {
            report(&e);
            None
        }
    };
    let mut last_retention = std::time::Instant::now() - Duration::from_secs(3600);
    loop {
        let first = match receiver.recv() {
            Ok(message) => message,
            Err(_) => return,
        };
        let mut batch = first;
        let deadline = std::time::Instant::now() + BATCH_WAIT;
        while batch.len() < BATCH {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match receiver.recv_timeout(left) {
                Ok(more) => batch.extend(more),
                Err(_) => break,
            }
        }
        if conn.is_none() {
            conn = open(path).ok();
        }
        let Some(db) = conn.as_mut() else {
            continue;
        };
        match write_batch(db, &batch) {
            Ok(()) => {
                if let Ok(mut slot) = problem.lock() {
                    *slot = None;
                }
            }
            Err(e) => report(&e),
        }
        if last_retention.elapsed() >= Duration::from_secs(3600) {
            last_retention = std::time::Instant::now();
            if let Err(e) = apply_retention(db, path, retention_days) {
                report(&e);
            }
        }
    }
}

/// One source's figures over a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SourceStats {
    /// The data source.
    pub source_id: u64,
    /// Lookups that asked it (skipped ones not counted).
    pub lookups: u64,
    /// Of those, answered with products or an empty list.
    pub answered: u64,
    /// Median time to an answer, ms.
    pub median_ms: u64,
    /// 95th percentile of the time to an answer, ms.
    pub p95_ms: u64,
    /// Cards shown.
    pub shown: u64,
    /// Cards opened.
    pub opened: u64,
    /// Products turned to the customer.
    pub to_customer: u64,
    /// Products added to the sale.
    pub added: u64,
    /// The products most often added to the sale (then opened), best first.
    pub top_products: Vec<TopProduct>,
}

/// One of a source's best products over the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopProduct {
    /// Product id (SKU).
    pub id: String,
    /// Times added to the sale.
    pub added: u64,
    /// Times its card was opened.
    pub opened: u64,
}

impl SourceStats {
    /// Share of lookups answered, 0-1.
    pub fn answered_share(&self) -> f64 {
        if self.lookups == 0 {
            0.0
        } else {
            self.answered as f64 / self.lookups as f64
        }
    }

    /// Products added to the sale per 100 cards shown.
    pub fn added_per_100_shown(&self) -> f64 {
        if self.shown == 0 {
            0.0
        } else {
            self.added as f64 * 100.0 / self.shown as f64
        }
    }
}

/// The figures of the last `days` days, per source, from the file at `path`
/// (opened read-only: the till may be writing).
pub fn stats(path: &Path, days: u32) -> Result<Vec<SourceStats>, HistoryError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(2))?;
    let since = now_secs() - i64::from(days) * 86_400;
    let mut by_source: std::collections::BTreeMap<u64, SourceStats> = Default::default();
    let mut counts = conn.prepare(
        "SELECT source_id, kind, COUNT(*), SUM(status = 'ok') FROM events
         WHERE at >= ?1 AND source_id IS NOT NULL AND NOT (kind = 'answer' AND status = 'skipped')
         GROUP BY source_id, kind",
    )?;
    let rows = counts.query_map([since], |r| {
        Ok((
            r.get::<_, i64>(0)? as u64,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)? as u64,
            r.get::<_, Option<i64>>(3)?.unwrap_or(0) as u64,
        ))
    })?;
    for row in rows {
        let (source_id, kind, count, ok) = row?;
        let s = by_source.entry(source_id).or_insert_with(|| SourceStats {
            source_id,
            ..SourceStats::default()
        });
        match kind.as_str() {
            "answer" => {
                s.lookups = count;
                s.answered = ok;
            }
            "shown" => s.shown = count,
            "opened" => s.opened = count,
            "to_customer" => s.to_customer = count,
            "added" => s.added = count,
            _ => {}
        }
    }
    let mut times = conn.prepare(
        "SELECT elapsed_ms FROM events WHERE at >= ?1 AND kind = 'answer' AND status = 'ok'
         AND source_id = ?2 ORDER BY elapsed_ms",
    )?;
    let mut top = conn.prepare(
        "SELECT product_id, SUM(kind = 'added') AS added, SUM(kind = 'opened') AS opened
         FROM events WHERE at >= ?1 AND source_id = ?2 AND kind IN ('added', 'opened')
         GROUP BY product_id ORDER BY added DESC, opened DESC, product_id LIMIT 5",
    )?;
    for s in by_source.values_mut() {
        let elapsed: Vec<u64> = times
            .query_map(params![since, s.source_id as i64], |r| {
                r.get::<_, i64>(0).map(|v| v as u64)
            })?
            .collect::<Result<_, _>>()?;
        s.median_ms = percentile(&elapsed, 50);
        s.p95_ms = percentile(&elapsed, 95);
        s.top_products = top
            .query_map(params![since, s.source_id as i64], |r| {
                Ok(TopProduct {
                    id: r.get(0)?,
                    added: r.get::<_, i64>(1)? as u64,
                    opened: r.get::<_, i64>(2)? as u64,
                })
            })?
            .collect::<Result<_, _>>()?;
    }
    Ok(by_source.into_values().collect())
}

/// The `p`th percentile (nearest rank) of sorted values; 0 when empty.
fn percentile(sorted: &[u64], p: usize) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

/// The figures as CSV, one row per source (for spreadsheets, and for
/// merging a chain's tills).
pub fn csv(stats: &[SourceStats]) -> String {
    let mut out = String::from(
        "source_id,lookups,answered_share,median_ms,p95_ms,shown,opened,to_customer,added,added_per_100_shown\n",
    );
    for s in stats {
        out.push_str(&format!(
            "{},{},{:.3},{},{},{},{},{},{},{:.2}\n",
            s.source_id,
            s.lookups,
            s.answered_share(),
            s.median_ms,
            s.p95_ms,
            s.shown,
            s.opened,
            s.to_customer,
            s.added,
            s.added_per_100_shown()
        ));
    }
    out
}

/// The figures as a table for a terminal.
pub fn table(stats: &[SourceStats], titles: &dyn Fn(u64) -> String) -> String {
    let mut out = format!(
        "{:<8} {:<28} {:>7} {:>8} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>9}\n",
        "SOURCE",
        "TITLE",
        "LOOKUPS",
        "ANSWERED",
        "MED MS",
        "P95 MS",
        "SHOWN",
        "OPENED",
        "SHOWN TO",
        "ADDED",
        "ADD/100"
    );
    for s in stats {
        let title: String = titles(s.source_id).chars().take(28).collect();
        out.push_str(&format!(
            "{:<8} {:<28} {:>7} {:>7.0}% {:>7} {:>7} {:>7} {:>7} {:>8} {:>7} {:>9.2}\n",
            s.source_id,
            title,
            s.lookups,
            s.answered_share() * 100.0,
            s.median_ms,
            s.p95_ms,
            s.shown,
            s.opened,
            s.to_customer,
            s.added,
            s.added_per_100_shown()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        assert_eq!(percentile(&[], 50), 0);
        assert_eq!(percentile(&[7], 95), 7);
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50), 50);
        assert_eq!(percentile(&v, 95), 95);
    }

    #[test]
    fn the_schema_migrates_and_a_batch_is_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.sqlite3");
        let mut conn = open(&path).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        write_batch(
            &mut conn,
            &[
                (now_secs(), Event::Lookup),
                (
                    now_secs(),
                    Event::Answer {
                        source_id: 1,
                        status: "ok",
                        elapsed_ms: 120,
                    },
                ),
            ],
        )
        .unwrap();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
    }
}
