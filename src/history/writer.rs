//! The history's writer: events go over a channel to one thread, which
//! writes them in batches; the till never waits for the database.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{BATCH, BATCH_WAIT, Event, HistoryError, apply_retention, now_secs, open, write_batch};

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
