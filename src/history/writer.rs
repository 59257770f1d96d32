//! The history's writer: events go over a channel to one thread, which
//! writes them in batches; the till never waits for the database.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{
    BATCH, BATCH_WAIT, Event, HistoryError, SaleOutcome, SaleWrite, VoidOutcome, VoidWrite,
    apply_retention, now_secs, open, record_sale_once, void_sale, write_batch,
};

/// A message to the writer thread.
enum Message {
    /// Events that belong together (written in one transaction).
    Events(Vec<(i64, Event)>),
    /// A sale the POS waits for: written exactly once, synced, answered.
    Sale(Box<SaleJob>),
    /// A void the POS waits for.
    Void(VoidWrite, mpsc::SyncSender<VoidOutcome>),
}

/// A sale for the writer, and the till waiting for its outcome.
struct SaleJob {
    at: i64,
    sale: SaleWrite,
    reply: mpsc::SyncSender<SaleOutcome>,
    ticket: Arc<Ticket>,
}

/// Who decides a sale's fate when the till stops waiting: the till gives up
/// only if the writer has not begun to commit; once it has, the till waits
/// for the commit's outcome. So a sale the POS was refused is never on disk.
#[derive(Default)]
struct Ticket(Mutex<TicketState>);

#[derive(Default, PartialEq)]
enum TicketState {
    #[default]
    Waiting,
    GivenUp,
    Committing,
}

impl Ticket {
    /// The writer is about to commit: false when the till gave up.
    fn begin_commit(&self) -> bool {
        let mut state = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *state == TicketState::GivenUp {
            return false;
        }
        *state = TicketState::Committing;
        true
    }

    /// The till gives up: false when the commit has begun (wait for it).
    fn give_up(&self) -> bool {
        let mut state = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *state == TicketState::Committing {
            return false;
        }
        *state = TicketState::GivenUp;
        true
    }
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
    pub fn start(path: PathBuf, retention: impl Into<Retention>) -> Self {
        let retention = retention.into();
        let (sender, receiver) = mpsc::channel::<Message>();
        let problem: Arc<Mutex<Option<String>>> = Arc::default();
        let note = problem.clone();
        let spawned = std::thread::Builder::new()
            .name("history".into())
            .spawn(move || writer(&path, retention, &receiver, &note));
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
        self.send(events);
    }

    /// Records a sale exactly once and says what the disk said: recorded
    /// (committed and synced), a repeat of a kept `sale_id`, a conflict, or
    /// why not. Waits for the writer at most `wait`; a sale not yet being
    /// committed by then is abandoned (rolled back), never written later.
    pub fn record_sale(&self, sale: SaleWrite, wait: Duration) -> SaleOutcome {
        let Some(sender) = self.sender() else {
            return SaleOutcome::Off;
        };
        let (reply, outcome) = mpsc::sync_channel(1);
        let ticket = Arc::new(Ticket::default());
        let job = SaleJob {
            at: now_secs(),
            sale,
            reply,
            ticket: ticket.clone(),
        };
        if sender.send(Message::Sale(Box::new(job))).is_err() {
            return SaleOutcome::Failed("the history's writer has stopped".into());
        }
        match outcome.recv_timeout(wait) {
            Ok(outcome) => outcome,
            Err(mpsc::RecvTimeoutError::Timeout) if !ticket.give_up() => {
                // The commit has begun: its outcome comes at once.
                outcome.recv().unwrap_or_else(|_| {
                    SaleOutcome::Failed("the history's writer has stopped".into())
                })
            }
            Err(mpsc::RecvTimeoutError::Timeout) => SaleOutcome::Failed(format!(
                "the history file stayed busy for {} s (another program is writing it)",
                wait.as_secs()
            )),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                SaleOutcome::Failed("the history's writer has stopped".into())
            }
        }
    }

    /// Voids a recorded sale (synced, in one transaction) and says what
    /// was found. Waits at most `wait`; a void not written by then may
    /// still be written (a repeat of it is harmless).
    pub fn void_sale(&self, void: VoidWrite, wait: Duration) -> VoidOutcome {
        let Some(sender) = self.sender() else {
            return VoidOutcome::Off;
        };
        let (reply, outcome) = mpsc::sync_channel(1);
        if sender.send(Message::Void(void, reply)).is_err() {
            return VoidOutcome::Failed("the history's writer has stopped".into());
        }
        outcome.recv_timeout(wait).unwrap_or_else(|_| {
            VoidOutcome::Failed(format!(
                "the history file stayed busy for {} s (another program is writing it)",
                wait.as_secs()
            ))
        })
    }

    fn send(&self, events: Vec<Event>) -> bool {
        let Some(sender) = self.sender() else {
            return false;
        };
        let at = now_secs();
        let events = events.into_iter().map(|e| (at, e)).collect();
        // A stopped writer means the history is off; the till goes on.
        sender.send(Message::Events(events)).is_ok()
    }

    /// The way to the writer thread, while it runs.
    fn sender(&self) -> Option<&mpsc::Sender<Message>> {
        self.writer.as_ref().and_then(|w| w.sender.as_ref())
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

/// How long rows are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Days of events and sales.
    pub days: u32,
    /// Days of receipts (`sale_id`s recognised as repeats).
    pub receipt_days: u32,
}

/// Days of events and sales; receipts the default time.
impl From<u32> for Retention {
    fn from(days: u32) -> Self {
        Self {
            days,
            receipt_days: crate::config::DEFAULT_RECEIPT_DAYS,
        }
    }
}

impl Retention {
    /// The retention `[history]` asks for.
    pub fn of(config: &crate::config::HistoryConfig) -> Self {
        Self {
            days: config.retention_days,
            receipt_days: config.receipt_days,
        }
    }
}

/// Records `job`'s sale exactly once. Its commit syncs the WAL to the disk
/// (`synchronous = FULL`), so a sale the POS is told is recorded survives a
/// power cut too, not only a killed process; other batches keep `NORMAL`,
/// where a power cut may take the last moments' events but never a
/// confirmed sale. Sales are one per customer: the extra sync is not felt.
fn write_sale_synced(
    db: &mut rusqlite::Connection,
    job: &SaleJob,
) -> Result<SaleOutcome, HistoryError> {
    synced(db, |db| {
        record_sale_once(db, job.at, &job.sale, || job.ticket.begin_commit())
    })
}

/// Runs `write` with its commit synced to the disk (`synchronous = FULL`),
/// then back to `NORMAL`, even when the write failed.
fn synced<T>(
    db: &mut rusqlite::Connection,
    write: impl FnOnce(&mut rusqlite::Connection) -> Result<T, HistoryError>,
) -> Result<T, HistoryError> {
    db.pragma_update(None, "synchronous", "FULL")?;
    let outcome = write(db);
    db.pragma_update(None, "synchronous", "NORMAL")?;
    outcome
}

/// What someone waits for the writer to do.
enum Waited {
    Sale(Box<SaleJob>),
    Void(VoidWrite, mpsc::SyncSender<VoidOutcome>),
}

/// The writer thread: opens the database, writes batches and sales,
/// applies the retention now and then. Stops when every [`History`] is dropped.
fn writer(
    path: &Path,
    retention: Retention,
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
    let clear = || {
        if let Ok(mut slot) = problem.lock() {
            *slot = None;
        }
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
        let mut batch = Vec::new();
        let mut waited: Option<Waited> = None;
        match receiver.recv() {
            Ok(Message::Events(events)) => batch = events,
            Ok(Message::Sale(job)) => waited = Some(Waited::Sale(job)),
            Ok(Message::Void(void, reply)) => waited = Some(Waited::Void(void, reply)),
            Err(_) => return,
        }
        let deadline = std::time::Instant::now() + BATCH_WAIT;
        // A sale or void is waited for: written now, not after the batch's wait.
        while batch.len() < BATCH && waited.is_none() {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match receiver.recv_timeout(left) {
                Ok(Message::Events(more)) => batch.extend(more),
                Ok(Message::Sale(job)) => waited = Some(Waited::Sale(job)),
                Ok(Message::Void(void, reply)) => waited = Some(Waited::Void(void, reply)),
                Err(_) => break,
            }
        }
        if conn.is_none() {
            conn = open(path).ok();
        }
        let Some(db) = conn.as_mut() else {
            let why = problem
                .lock()
                .ok()
                .and_then(|p| p.clone())
                .unwrap_or_else(|| "the history file cannot be opened".into());
            match waited {
                Some(Waited::Sale(job)) => {
                    let _ = job.reply.send(SaleOutcome::Failed(why));
                }
                Some(Waited::Void(_, reply)) => {
                    let _ = reply.send(VoidOutcome::Failed(why));
                }
                None => {}
            }
            continue;
        };
        // The events before the sale, in a transaction of their own: a
        // failure there never costs the sale.
        if !batch.is_empty() {
            match write_batch(db, &batch) {
                Ok(()) => clear(),
                Err(e) => report(&e),
            }
        }
        match waited {
            Some(Waited::Sale(job)) => {
                let outcome = match write_sale_synced(db, &job) {
                    Ok(outcome) => {
                        clear();
                        outcome
                    }
                    Err(e) => {
                        report(&e);
                        SaleOutcome::Failed(e.to_string())
                    }
                };
                let _ = job.reply.send(outcome);
            }
            Some(Waited::Void(void, reply)) => {
                let outcome = match synced(db, |db| void_sale(db, now_secs(), &void)) {
                    Ok(outcome) => outcome,
                    Err(e) => {
                        report(&e);
                        VoidOutcome::Failed(e.to_string())
                    }
                };
                let _ = reply.send(outcome);
            }
            None => {}
        }
        if last_retention.elapsed() >= Duration::from_secs(3600) {
            last_retention = std::time::Instant::now();
            if let Err(e) = apply_retention(db, path, retention.days, retention.receipt_days) {
                report(&e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::Group;
    use crate::sale::SaleRecord;

    fn sale(digest: &str, body: &str) -> SaleWrite {
        SaleWrite {
            record: Some(SaleRecord {
                group: Group::Shown,
                period: "p".into(),
                total: Some(10.0),
                items: 1.0,
                lines: Vec::new(),
                bought: Vec::new(),
            }),
            order: None,
            receipt: Some(super::super::Receipt {
                digest: digest.into(),
                body: body.into(),
                lookup: 7,
                group: "shown",
                lines: 1,
                recommended_lines: 0,
            }),
        }
    }

    fn sale_job(sale: SaleWrite) -> (SaleJob, mpsc::Receiver<SaleOutcome>) {
        let (reply, outcome) = mpsc::sync_channel(1);
        let job = SaleJob {
            at: now_secs(),
            sale,
            reply,
            ticket: Arc::default(),
        };
        (job, outcome)
    }

    fn count(db: &rusqlite::Connection, table: &str) -> i64 {
        db.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    /// A sale is written synced, and the connection is back to NORMAL for
    /// the events that follow (FULL for every event would sync the disk at
    /// every card shown).
    #[test]
    fn a_sale_leaves_the_connection_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = open(&dir.path().join("history.sqlite3")).unwrap();
        let synchronous = |db: &rusqlite::Connection| -> i64 {
            db.query_row("PRAGMA synchronous", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(synchronous(&db), 1, "NORMAL");
        let (job, _) = sale_job(sale("a", "x"));
        assert_eq!(
            write_sale_synced(&mut db, &job).unwrap(),
            SaleOutcome::Recorded
        );
        assert_eq!(synchronous(&db), 1, "NORMAL again");
        assert_eq!((count(&db, "sales"), count(&db, "receipts")), (1, 1));
    }

    /// The receipts table decides: the same id and body is the first
    /// answer, the same id with another body is a conflict; neither writes.
    #[test]
    fn a_kept_sale_id_is_a_repeat_or_a_conflict_never_a_second_sale() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = open(&dir.path().join("history.sqlite3")).unwrap();
        let once = |db: &mut rusqlite::Connection, s: SaleWrite| {
            record_sale_once(db, now_secs(), &s, || true).unwrap()
        };
        assert_eq!(once(&mut db, sale("a", "x")), SaleOutcome::Recorded);
        match once(&mut db, sale("a", "x")) {
            SaleOutcome::Repeated(first) => assert_eq!(first.lookup, 7),
            other => panic!("{other:?}"),
        }
        assert_eq!(once(&mut db, sale("a", "y")), SaleOutcome::Conflict);
        let no_customer = SaleWrite {
            record: None,
            ..sale("b", "x")
        };
        assert_eq!(once(&mut db, no_customer), SaleOutcome::NoCustomer);
        assert_eq!((count(&db, "sales"), count(&db, "receipts")), (1, 1));
    }

    /// A till that gave up before the commit began leaves nothing on disk:
    /// the POS was told "not recorded", and its retry records it once.
    #[test]
    fn a_sale_given_up_on_is_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = open(&dir.path().join("history.sqlite3")).unwrap();
        let (job, _) = sale_job(sale("a", "x"));
        assert!(job.ticket.give_up());
        assert!(matches!(
            write_sale_synced(&mut db, &job).unwrap(),
            SaleOutcome::Failed(_)
        ));
        assert_eq!((count(&db, "sales"), count(&db, "receipts")), (0, 0));
        let (job, _) = sale_job(sale("a", "x"));
        assert_eq!(
            write_sale_synced(&mut db, &job).unwrap(),
            SaleOutcome::Recorded
        );
        assert_eq!(count(&db, "sales"), 1);
    }

    /// Another connection holding the write lock makes the sale wait
    /// (`BEGIN IMMEDIATE` honours the busy timeout) instead of failing at once.
    #[test]
    fn a_sale_waits_for_another_writer_instead_of_failing() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("history.sqlite3");
        let mut db = open(&file).unwrap();
        let other = rusqlite::Connection::open(&file).unwrap();
        other
            .execute_batch("BEGIN IMMEDIATE; INSERT INTO events (at, kind) VALUES (1, 'lookup');")
            .unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            other.execute_batch("COMMIT").unwrap();
        });
        // Read first, as the till does before it writes.
        assert_eq!(count(&db, "sales"), 0);
        assert_eq!(
            record_sale_once(&mut db, now_secs(), &sale("a", "x"), || true).unwrap(),
            SaleOutcome::Recorded
        );
        release.join().unwrap();
        assert_eq!(count(&db, "sales"), 1);
    }
}
