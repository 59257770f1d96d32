//! The history's writer: events go over a channel to one thread, which
//! writes them in batches; the till never waits for the database.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{BATCH, BATCH_WAIT, Event, HistoryError, apply_retention, now_secs, open, write_batch};

/// A message to the writer thread: events that belong together (written in
/// one transaction), and who waits until they are on disk.
struct Message {
    events: Vec<(i64, Event)>,
    written: Option<mpsc::SyncSender<bool>>,
}

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
        self.send(events, None);
    }

    /// Records events that belong together and waits, at most `wait`,
    /// until they (and everything recorded before them) are committed to
    /// the file: a sale the POS was told is recorded survives the process
    /// being killed the next moment. True when they are; false when the
    /// history is off, cannot be written or took longer.
    pub fn record_durably(&self, events: Vec<Event>, wait: Duration) -> bool {
        let (tx, rx) = mpsc::sync_channel(1);
        self.send(events, Some(tx)) && rx.recv_timeout(wait).unwrap_or(false)
    }

    fn send(&self, events: Vec<Event>, written: Option<mpsc::SyncSender<bool>>) -> bool {
        let Some(sender) = self.writer.as_ref().and_then(|w| w.sender.as_ref()) else {
            return false;
        };
        let at = now_secs();
        let events = events.into_iter().map(|e| (at, e)).collect();
        // A stopped writer means the history is off; the till goes on.
        sender.send(Message { events, written }).is_ok()
    }

    /// True when events are being recorded.
    pub fn is_on(&self) -> bool {
        self.writer.is_some()
    }

    /// Why the history is not being written, if it is not.
    pub fn problem(&self) -> Option<String> {
        self.problem.lock().ok().and_then(|p| p.clone())
    }
}

/// Writes `batch`. When someone waits for it (a sale the POS will be told
/// is recorded), its commit syncs the WAL to the disk (`synchronous =
/// FULL`), so the sale survives a power cut too, not only a killed process;
/// other batches keep `NORMAL`, where a power cut may take the last moments'
/// events but never a confirmed sale. Sales are one per customer: the extra
/// sync is not felt.
fn write_synced(
    db: &mut rusqlite::Connection,
    batch: &[(i64, Event)],
    durable: bool,
) -> Result<(), HistoryError> {
    if !durable {
        return write_batch(db, batch);
    }
    db.pragma_update(None, "synchronous", "FULL")?;
    let written = write_batch(db, batch);
    // Back to NORMAL even when the write failed.
    db.pragma_update(None, "synchronous", "NORMAL")?;
    written
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
        let mut waiting: Vec<mpsc::SyncSender<bool>> = first.written.into_iter().collect();
        let mut batch = first.events;
        let deadline = std::time::Instant::now() + BATCH_WAIT;
        // Someone waits for the disk: written now, not after the batch's wait.
        while batch.len() < BATCH && waiting.is_empty() {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match receiver.recv_timeout(left) {
                Ok(more) => {
                    batch.extend(more.events);
                    waiting.extend(more.written);
                }
                Err(_) => break,
            }
        }
        if conn.is_none() {
            conn = open(path).ok();
        }
        let written = match conn.as_mut() {
            None => false,
            Some(db) => match write_synced(db, &batch, !waiting.is_empty()) {
                Ok(()) => {
                    if let Ok(mut slot) = problem.lock() {
                        *slot = None;
                    }
                    true
                }
                Err(e) => {
                    report(&e);
                    false
                }
            },
        };
        for waiter in waiting {
            let _ = waiter.send(written);
        }
        let Some(db) = conn.as_mut() else {
            continue;
        };
        if last_retention.elapsed() >= Duration::from_secs(3600) {
            last_retention = std::time::Instant::now();
            if let Err(e) = apply_retention(db, path, retention_days) {
                report(&e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A durable batch is written, and the connection is back to NORMAL
    /// for the events that follow (FULL for every event would sync the
    /// disk at every card shown).
    #[test]
    fn a_durable_batch_leaves_the_connection_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = open(&dir.path().join("history.sqlite3")).unwrap();
        let synchronous = |db: &rusqlite::Connection| -> i64 {
            db.query_row("PRAGMA synchronous", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(synchronous(&db), 1, "NORMAL");
        write_synced(&mut db, &[(now_secs(), Event::Lookup)], true).unwrap();
        assert_eq!(synchronous(&db), 1, "NORMAL again");
        let events: i64 = db
            .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(events, 1, "written");
    }
}
