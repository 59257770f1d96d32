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
use std::time::Duration;

mod daily;
mod format;
mod receipts;
mod sales;
mod stats;
mod uplift;
mod writer;

use rusqlite::{Connection, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};

pub use crate::config::{DEFAULT_RETENTION_DAYS, default_history_path as default_path};
pub use receipts::{
    OrderDraft, Receipt, SaleOutcome, SaleWrite, VoidOutcome, VoidWrite, record_sale_once,
    void_sale,
};
/// The file is kept under this size: past it, the oldest rows go first.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// At most this many events are written in one transaction.
const BATCH: usize = 1000;
/// Events wait at most this long before being written.
const BATCH_WAIT: Duration = Duration::from_millis(250);

/// One thing that happened at the till. No customer identifier of any kind.
#[derive(Debug, Clone, PartialEq)]
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
    /// A customer's sale ended: its lines and what the recommendations sold.
    /// (A sale the POS sent is written through [`History::record_sale`],
    /// exactly once; this is for sales nobody waits for.)
    Sale(Box<crate::sale::SaleRecord>),
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
            Self::Sale(_) => "sale",
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
    /// The outbox beside the sales refused.
    #[error("{0}")]
    Outbox(#[from] crate::outbox::OutboxError),
}

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(
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
        ),
        // Finished sales: lines and what each source sold. No customer, no
        // receipt number. `period` names the experiment's share and key:
        // figures of different periods are never compared.
        M::up(
            "CREATE TABLE sales (
                id INTEGER PRIMARY KEY,
                at INTEGER NOT NULL,         -- unix seconds
                period TEXT NOT NULL,
                grp TEXT NOT NULL,           -- shown | holdout
                total REAL,                  -- NULL: no prices (a till without a POS link)
                items REAL NOT NULL
            );
            CREATE INDEX sales_at ON sales(at);
            CREATE TABLE sale_lines (
                sale INTEGER NOT NULL,
                product_id TEXT NOT NULL,
                quantity REAL NOT NULL,
                price REAL
            );
            CREATE INDEX sale_lines_sale ON sale_lines(sale);
            CREATE TABLE bought (
                sale INTEGER NOT NULL,
                source_id INTEGER NOT NULL,
                product_id TEXT NOT NULL,
                name TEXT NOT NULL,
                quantity REAL NOT NULL,
                revenue REAL,
                click TEXT NOT NULL          -- none | opened | added
            );
            CREATE INDEX bought_sale ON bought(sale);",
        ),
        // An experiment period is a run of sales with one setting: 10 %,
        // then 20 %, then 10 % again are three periods, never two.
        M::up("ALTER TABLE sales ADD COLUMN period_run INTEGER NOT NULL DEFAULT 0;"),
        // Sales that came with a `sale_id`, by a keyed digest of it (never
        // the receipt number itself), written in the sale's transaction: a
        // POS that sends a sale again after the till restarted gets the
        // first answer, and the sale is never counted twice.
        M::up(
            "CREATE TABLE receipts (
                digest TEXT PRIMARY KEY,
                at INTEGER NOT NULL,         -- unix seconds
                lookup INTEGER NOT NULL,
                grp TEXT NOT NULL,
                lines INTEGER NOT NULL,
                recommended_lines INTEGER NOT NULL
            );",
        ),
        // The sale's body digest: the same `sale_id` with other lines is
        // another sale, refused rather than taken for a repeat.
        M::up("ALTER TABLE receipts ADD COLUMN body TEXT NOT NULL DEFAULT '';"),
        // What the till sends out (Yespo's orders), written in the sale's
        // transaction; a row goes once the far side takes it. A receipt
        // knows its sale (a void finds it), and whether it was voided.
        M::up(
            "CREATE TABLE outbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                destination TEXT NOT NULL,   -- yespo-orders
                item_key TEXT NOT NULL,      -- the far side's idempotent key
                payload TEXT NOT NULL,       -- what is sent (JSON)
                created INTEGER NOT NULL,    -- unix seconds
                attempts INTEGER NOT NULL DEFAULT 0,
                parked TEXT                  -- refused for good: the answer
            );
            CREATE INDEX outbox_waiting ON outbox(destination, parked, id);
            ALTER TABLE receipts ADD COLUMN sale INTEGER;
            ALTER TABLE receipts ADD COLUMN voided INTEGER NOT NULL DEFAULT 0;",
        ),
    ])
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

/// The file at `path`, opened read-only for figures: the till may be
/// writing it meanwhile.
fn open_read_only(path: &Path) -> Result<Connection, HistoryError> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(2))?;
    Ok(conn)
}

/// True when the file has the sales tables: one made before sales were
/// kept, opened read-only, has not been migrated yet.
fn has_sales(conn: &Connection) -> Result<bool, HistoryError> {
    Ok(conn.query_row(
        "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'sales'",
        [],
        |r| r.get(0),
    )?)
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
            crate::sqlite_file::remove_side_files(path);
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
    // auto_vacuum is set before the first table exists: lets the file shrink as rows go.
    let mut conn = crate::sqlite_file::open_checked(path, Duration::from_secs(2), |conn| {
        conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")
    })?;
    migrations().to_latest(&mut conn)?;
    Ok(conn)
}

/// Writes one batch of events in one transaction.
pub fn write_batch(conn: &mut Connection, batch: &[(i64, Event)]) -> Result<(), HistoryError> {
    // IMMEDIATE: take the write lock first, waiting up to the busy timeout
    // for another writer; a read upgraded later would fail at once.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
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
                Event::Sale(sale) => {
                    write_sale(&tx, *at, sale)?;
                    0
                }
            };
        }
    }
    tx.commit()?;
    Ok(())
}

/// Deletes the sales before `cutoff` (unix seconds) with their lines, in
/// one transaction.
fn delete_sales_before(conn: &Connection, cutoff: i64) -> Result<(), HistoryError> {
    let tx = conn.unchecked_transaction()?;
    for table in ["sale_lines", "bought"] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE sale IN (SELECT id FROM sales WHERE at < ?1)"),
            [cutoff],
        )?;
    }
    tx.execute("DELETE FROM sales WHERE at < ?1", [cutoff])?;
    tx.commit()?;
    Ok(())
}

/// Writes one sale, its lines and what the sources sold.
fn write_sale(
    tx: &rusqlite::Transaction<'_>,
    at: i64,
    sale: &crate::sale::SaleRecord,
) -> Result<i64, HistoryError> {
    // The latest sale's period continues, or a new run starts.
    let latest: Option<(String, i64)> = tx
        .prepare_cached("SELECT period, period_run FROM sales ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let run = match latest {
        Some((period, run)) if period == sale.period => run,
        Some((_, run)) => run + 1,
        None => 0,
    };
    tx.prepare_cached(
        "INSERT INTO sales (at, period, period_run, grp, total, items)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        at,
        sale.period,
        run,
        sale.group.as_str(),
        sale.total,
        sale.items
    ])?;
    let id = tx.last_insert_rowid();
    let mut line = tx.prepare_cached(
        "INSERT INTO sale_lines (sale, product_id, quantity, price) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for l in &sale.lines {
        line.execute(params![id, l.product.trim(), l.quantity, l.price])?;
    }
    let mut bought = tx.prepare_cached(
        "INSERT INTO bought (sale, source_id, product_id, name, quantity, revenue, click)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for b in &sale.bought {
        bought.execute(params![
            id,
            b.source_id as i64,
            b.product_id,
            b.name,
            b.quantity,
            b.revenue,
            b.click.as_str()
        ])?;
    }
    Ok(id)
}

/// Deletes rows older than `days`, then the oldest tenth while the file is
/// over [`MAX_FILE_BYTES`], and gives the space back.
pub fn apply_retention(
    conn: &Connection,
    path: &Path,
    days: u32,
    receipt_days: u32,
) -> Result<(), HistoryError> {
    // Receipts have their own time: a repeat is recognised that long,
    // whatever the figures' retention.
    conn.execute(
        "DELETE FROM receipts WHERE at < ?1",
        [now_secs() - i64::from(receipt_days) * 86_400],
    )?;
    let cutoff = now_secs() - i64::from(days) * 86_400;
    conn.execute("DELETE FROM events WHERE at < ?1", [cutoff])?;
    delete_sales_before(conn, cutoff)?;
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
        // The oldest tenth of the sales too (up to the next second's).
        let tenth: Option<i64> = conn
            .query_row(
                "SELECT at FROM sales ORDER BY at LIMIT 1 OFFSET (SELECT COUNT(*) / 10 FROM sales)",
                [],
                |r| r.get(0),
            )
            .ok();
        if let Some(at) = tenth {
            delete_sales_before(conn, at + 1)?;
        }
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA incremental_vacuum;")?;
    }
    conn.execute_batch("PRAGMA incremental_vacuum;")?;
    Ok(())
}

pub use daily::{
    DayFigures, GroupDay, SourceDay, day_figures, day_of, day_start, days_with_records,
    sales_between,
};
pub use format::{
    Figures, csv, revenue_per_100_shown, sales_table, signed_percent, signed_plain, sold_by, table,
    uplift_text,
};
pub use sales::{Comparison, Day, GroupFigures, SalesFigures, SourceSales, TopBought, sales};
#[cfg(test)]
use stats::percentile;
pub use stats::{SourceStats, TopProduct, stats};
pub use uplift::{
    Difference, ENOUGH_SALES, Moments, POWER, Uplift, Verdict, relative_of, uplift, welch, welch_of,
};
pub use writer::{History, Retention};

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
