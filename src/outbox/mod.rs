//! One durable outbox for everything the till sends out: rows in the
//! history file, written in the same transaction as what they report (a
//! sale and its order are on disk together, or neither), sent in order per
//! destination, at least once, each under an idempotent key (Yespo's
//! `externalOrderId`), so the far side sees each item once.
//!
//! A row holds what is sent, customer identifier included, only until the
//! far side accepts it: then it is deleted with SQLite's `secure_delete`
//! on, and the WAL is truncated, so the identifier is gone from the file's
//! bytes too. A row the far side refuses for good (HTTP 400) is *parked*
//! with its answer, out of the way of the rest, until `pos-recs outbox
//! --retry` or `--drop`.

pub mod orders;
pub mod sender;

use rusqlite::{Connection, OptionalExtension, params};

/// Where an outbox row goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Destination {
    /// Yespo's `POST /v1/orders`.
    YespoOrders,
    /// The chain's gateway: a day's report (`PUT /reports/…`), made from
    /// the history when sent; the key is the day.
    ChainReport,
}

impl Destination {
    /// The name kept in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::YespoOrders => "yespo-orders",
            Self::ChainReport => "chain-report",
        }
    }
}

/// One row.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The row's number, for `outbox --retry` and `--drop`.
    pub id: i64,
    /// Where it goes.
    pub destination: String,
    /// Its idempotent key at the far side (Yespo's `externalOrderId`).
    pub key: String,
    /// What is sent (JSON).
    pub payload: String,
    /// When it was queued (unix seconds).
    pub created: i64,
    /// Sends tried so far.
    pub attempts: i64,
    /// Refused for good, with the far side's answer: waits for a person.
    pub parked: Option<String>,
}

/// How the outbox stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Rows waiting to be sent.
    pub waiting: u64,
    /// When the oldest of them was queued (unix seconds).
    pub oldest: Option<i64>,
    /// Rows parked.
    pub parked: u64,
}

/// Why the outbox cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// SQLite refused.
    #[error("outbox: {0}")]
    Sql(#[from] rusqlite::Error),
    /// No row of that number.
    #[error("outbox: there is no item {0}")]
    NoSuchItem(i64),
}

/// Queues `payload` for `destination` under `key`, in the caller's
/// transaction.
pub fn enqueue(
    conn: &Connection,
    destination: Destination,
    key: &str,
    payload: &str,
    at: i64,
) -> Result<(), OutboxError> {
    conn.prepare_cached(
        "INSERT INTO outbox (destination, item_key, payload, created) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![destination.as_str(), key, payload, at])?;
    Ok(())
}

/// Queues `key` for `destination` unless it already waits there (a day's
/// report is made when sent: one row a day is enough).
pub fn enqueue_once(
    conn: &Connection,
    destination: Destination,
    key: &str,
    at: i64,
) -> Result<(), OutboxError> {
    conn.prepare_cached(
        "INSERT INTO outbox (destination, item_key, payload, created)
         SELECT ?1, ?2, '', ?3 WHERE NOT EXISTS
           (SELECT 1 FROM outbox WHERE destination = ?1 AND item_key = ?2 AND parked IS NULL)",
    )?
    .execute(params![destination.as_str(), key, at])?;
    Ok(())
}

const COLUMNS: &str = "id, destination, item_key, payload, created, attempts, parked";

fn item(row: &rusqlite::Row<'_>) -> rusqlite::Result<Item> {
    Ok(Item {
        id: row.get(0)?,
        destination: row.get(1)?,
        key: row.get(2)?,
        payload: row.get(3)?,
        created: row.get(4)?,
        attempts: row.get(5)?,
        parked: row.get(6)?,
    })
}

/// The oldest `limit` rows waiting for `destination`, in the order queued.
pub fn waiting(
    conn: &Connection,
    destination: Destination,
    limit: usize,
) -> Result<Vec<Item>, OutboxError> {
    let mut query = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM outbox WHERE destination = ?1 AND parked IS NULL ORDER BY id LIMIT ?2"
    ))?;
    let rows = query.query_map(params![destination.as_str(), limit as i64], item)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every row, waiting and parked, in the order queued.
pub fn list(conn: &Connection) -> Result<Vec<Item>, OutboxError> {
    let mut query = conn.prepare(&format!("SELECT {COLUMNS} FROM outbox ORDER BY id"))?;
    let rows = query.query_map([], item)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How the outbox stands for `destination` (all zero when the file has no
/// outbox yet).
pub fn summary(conn: &Connection, destination: Destination) -> Result<Summary, OutboxError> {
    let has_table: bool = conn.query_row(
        "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'",
        [],
        |r| r.get(0),
    )?;
    if !has_table {
        return Ok(Summary::default());
    }
    Ok(conn.query_row(
        "SELECT COUNT(*) FILTER (WHERE parked IS NULL),
                MIN(created) FILTER (WHERE parked IS NULL),
                COUNT(*) FILTER (WHERE parked IS NOT NULL)
         FROM outbox WHERE destination = ?1",
        [destination.as_str()],
        |r| {
            Ok(Summary {
                waiting: r.get::<_, i64>(0)? as u64,
                oldest: r.get(1)?,
                parked: r.get::<_, i64>(2)? as u64,
            })
        },
    )?)
}

/// Notes one more try of these rows.
pub fn tried(conn: &mut Connection, ids: &[i64]) -> Result<(), OutboxError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    {
        let mut update =
            tx.prepare_cached("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?1")?;
        for id in ids {
            update.execute([id])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// The far side took these rows: they are deleted, their bytes overwritten
/// (`secure_delete`) and the WAL truncated, so no identifier stays behind.
pub fn accepted(conn: &mut Connection, ids: &[i64]) -> Result<(), OutboxError> {
    if ids.is_empty() {
        return Ok(());
    }
    conn.pragma_update(None, "secure_delete", "ON")?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    {
        let mut delete = tx.prepare_cached("DELETE FROM outbox WHERE id = ?1")?;
        for id in ids {
            delete.execute([id])?;
        }
    }
    tx.commit()?;
    // The deleted pages' old images live on in the WAL until it is
    // checkpointed and cut; another reader may hold it back, so a busy
    // checkpoint is tried again at the next acceptance.
    let _: rusqlite::Result<(i64, i64, i64)> =
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        });
    Ok(())
}

/// The far side refused this row for good: parked with its `answer`.
pub fn park(conn: &Connection, id: i64, answer: &str) -> Result<(), OutboxError> {
    conn.execute(
        "UPDATE outbox SET parked = ?2 WHERE id = ?1",
        params![id, answer],
    )?;
    Ok(())
}

/// A parked row is sent again (at its place in the order queued).
pub fn retry(conn: &Connection, id: i64) -> Result<(), OutboxError> {
    match conn.execute(
        "UPDATE outbox SET parked = NULL WHERE id = ?1 AND parked IS NOT NULL",
        [id],
    )? {
        0 => Err(OutboxError::NoSuchItem(id)),
        _ => Ok(()),
    }
}

/// A parked row is given up: deleted, its bytes overwritten.
pub fn drop_parked(conn: &mut Connection, id: i64) -> Result<(), OutboxError> {
    let parked: Option<i64> = conn
        .query_row(
            "SELECT id FROM outbox WHERE id = ?1 AND parked IS NOT NULL",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    match parked {
        Some(id) => accepted(conn, &[id]),
        None => Err(OutboxError::NoSuchItem(id)),
    }
}

/// The customer an order names, masked (`380*****4567`), or `-`.
fn masked_customer(payload: &serde_json::Value) -> String {
    use crate::identify::{IdentifierKind, mask};
    [
        ("phone", IdentifierKind::Phone),
        ("email", IdentifierKind::Email),
        ("externalCustomerId", IdentifierKind::Card),
        ("contactId", IdentifierKind::Card),
    ]
    .iter()
    .find_map(|(field, kind)| {
        payload
            .get(*field)
            .and_then(serde_json::Value::as_str)
            .map(|value| mask(*kind, value))
    })
    .unwrap_or_else(|| "-".into())
}

/// The outbox as `pos-recs outbox` prints it: one line per row, the
/// customer masked, parked rows with Yespo's answer.
pub fn describe(items: &[Item]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let waiting = items.iter().filter(|i| i.parked.is_none()).count();
    let parked = items.len() - waiting;
    let _ = writeln!(out, "{waiting} waiting, {parked} parked");
    for item in items {
        let payload: serde_json::Value = serde_json::from_str(&item.payload).unwrap_or_default();
        let status = payload["status"].as_str().unwrap_or("-");
        let total = payload["totalCost"]
            .as_f64()
            .map_or("-".to_string(), |t| format!("{t:.2}"));
        let when = crate::outbox::orders::date_with_offset(item.created);
        let state = match &item.parked {
            None => format!("waiting (tried {} times)", item.attempts),
            Some(answer) => format!("PARKED: {answer}"),
        };
        let key: String = item.key.chars().filter(|c| !c.is_control()).collect();
        let _ = writeln!(
            out,
            "#{}  {}  {key}  {status}  {total}  {}  {when}  {state}",
            item.id,
            item.destination,
            masked_customer(&payload),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::history::open(&dir.path().join("history.sqlite3")).unwrap();
        (dir, conn)
    }

    #[test]
    fn rows_wait_in_order_park_apart_and_leave_no_bytes_when_taken() {
        let (dir, mut conn) = outbox();
        for n in 0..3 {
            let payload = format!("{{\"phone\":\"38067123456{n}\"}}");
            enqueue(
                &conn,
                Destination::YespoOrders,
                &format!("R-{n}"),
                &payload,
                100 + n,
            )
            .unwrap();
        }
        let all = waiting(&conn, Destination::YespoOrders, 10).unwrap();
        assert_eq!(
            all.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(),
            ["R-0", "R-1", "R-2"]
        );
        park(&conn, all[1].id, "HTTP 400: bad phone").unwrap();
        assert_eq!(
            summary(&conn, Destination::YespoOrders).unwrap(),
            Summary {
                waiting: 2,
                oldest: Some(100),
                parked: 1
            }
        );
        accepted(&mut conn, &[all[0].id, all[2].id]).unwrap();
        assert!(
            waiting(&conn, Destination::YespoOrders, 10)
                .unwrap()
                .is_empty()
        );
        retry(&conn, all[1].id).unwrap();
        assert_eq!(
            waiting(&conn, Destination::YespoOrders, 10).unwrap().len(),
            1
        );
        assert!(matches!(
            drop_parked(&mut conn, all[1].id),
            Err(OutboxError::NoSuchItem(_))
        ));
        enqueue_once(&conn, Destination::ChainReport, "2026-12-07", 1).unwrap();
        enqueue_once(&conn, Destination::ChainReport, "2026-12-07", 2).unwrap();
        assert_eq!(summary(&conn, Destination::ChainReport).unwrap().waiting, 1);
        let day = waiting(&conn, Destination::ChainReport, 10).unwrap();
        accepted(&mut conn, &[day[0].id]).unwrap();
        park(&conn, all[1].id, "x").unwrap();
        drop_parked(&mut conn, all[1].id).unwrap();
        assert_eq!(
            summary(&conn, Destination::YespoOrders).unwrap(),
            Summary::default()
        );
        drop(conn);
        // Not one identifier left in the file's bytes, nor in the WAL's.
        for name in ["history.sqlite3", "history.sqlite3-wal"] {
            let bytes = std::fs::read(dir.path().join(name)).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains("38067123456"), "{name} keeps an identifier");
        }
    }
}
