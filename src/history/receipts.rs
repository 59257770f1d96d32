//! A sale recorded exactly once: the receipts that answer a repeated
//! `sale_id` from disk (the same answer, or a refusal when the body
//! differs), the sale's rows and its order written in one transaction, and
//! voids.

use rusqlite::{Connection, OptionalExtension, params};

use super::{HistoryError, day_of, write_sale};

/// A sale that came with a `sale_id`, as answered: kept so a repeat gets
/// the same answer, across restarts, for [`HistoryConfig::receipt_days`](crate::config::HistoryConfig).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// A keyed digest of the `sale_id` (the till's own key): nothing here
    /// leads back to the POS's receipt, or through it to the customer.
    pub digest: String,
    /// A keyed digest of the whole sale: the same id with another body is
    /// another sale, refused.
    pub body: String,
    /// The lookup the sale belonged to.
    pub lookup: u64,
    /// `shown` or `holdout`.
    pub group: &'static str,
    /// Lines in the sale.
    pub lines: usize,
    /// Of them, lines some source had recommended.
    pub recommended_lines: usize,
}

/// A sale to record exactly once: what is known of it before the disk is asked.
#[derive(Debug, Clone)]
pub struct SaleWrite {
    /// The sale as the history keeps it; `None` when no customer is on
    /// screen (only a repeat can then be answered).
    pub record: Option<crate::sale::SaleRecord>,
    /// Its receipt, when it came with a `sale_id`.
    pub receipt: Option<Receipt>,
    /// Its Yespo order, when the till sends them: queued in the outbox in
    /// the sale's transaction.
    pub order: Option<OrderDraft>,
}

/// A sale's Yespo order before the sale has its row.
#[derive(Debug, Clone)]
pub struct OrderDraft {
    /// The order; without `externalOrderId` when the POS sent no
    /// `sale_id`: then the till's own id for the sale is made in the
    /// transaction, `{prefix}-{unix seconds}-{sale row}`, unique to this
    /// till and file and kept across restarts.
    pub order: serde_json::Value,
    /// This till's part of its own ids (from its receipt key).
    pub id_prefix: String,
}

/// What a void found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoidOutcome {
    /// The sale is out of the figures now (and its cancellation queued).
    Voided,
    /// It was voided before.
    AlreadyVoided,
    /// No sale with that `sale_id` is kept.
    Unknown,
    /// Not on disk, for this reason: nothing changed.
    Failed(String),
    /// The history is off.
    Off,
}

/// A void to apply: the `sale_id`'s digest, and what to send Yespo.
#[derive(Debug, Clone)]
pub struct VoidWrite {
    /// The keyed digest of the `sale_id`.
    pub digest: String,
    /// The `sale_id` itself (Yespo's `externalOrderId`).
    pub sale_id: String,
    /// Send Yespo the cancellation, with these order settings.
    pub orders: Option<crate::outbox::orders::OrderSettings>,
    /// The till reports to a chain: the sale's day is sent again.
    pub chain_report: bool,
}

/// What the disk said about a [`SaleWrite`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaleOutcome {
    /// Committed (and synced) now.
    Recorded,
    /// Its `sale_id` and body were recorded before: the first answer.
    Repeated(Receipt),
    /// Its `sale_id` was recorded before with another body: nothing written.
    Conflict,
    /// No customer, and not a repeat: nothing written.
    NoCustomer,
    /// Not on disk, for this reason: nothing written.
    Failed(String),
    /// The history is off: nothing is kept.
    Off,
}

/// Voids the sale kept under `void.digest`: its rows leave the figures,
/// its receipt is marked (a repeat of the void is answered the same), and
/// Yespo's order is queued again as `CANCELLED`, all in one transaction.
pub fn void_sale(
    conn: &mut Connection,
    at: i64,
    void: &VoidWrite,
) -> Result<VoidOutcome, HistoryError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let found: Option<(Option<i64>, bool)> = tx
        .query_row(
            "SELECT sale, voided FROM receipts WHERE digest = ?1",
            [&void.digest],
            |r| Ok((r.get(0)?, r.get::<_, i64>(1)? != 0)),
        )
        .optional()?;
    let sale = match found {
        None => return Ok(VoidOutcome::Unknown),
        Some((_, true)) => return Ok(VoidOutcome::AlreadyVoided),
        Some((sale, false)) => sale,
    };
    // What the order said, for the cancellation: the sale's time, total and lines.
    let kept: Option<(i64, Option<f64>)> = match sale {
        Some(id) => tx
            .query_row("SELECT at, total FROM sales WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?,
        None => None,
    };
    let mut items = Vec::new();
    if let Some(id) = sale {
        let mut lines = tx.prepare(
            "SELECT product_id, quantity, price FROM sale_lines WHERE sale = ?1 ORDER BY rowid",
        )?;
        let rows = lines.query_map([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, f64>(1)?,
                r.get::<_, Option<f64>>(2)?,
            ))
        })?;
        for row in rows {
            let (product, quantity, price) = row?;
            items.push(serde_json::json!({
                "externalItemId": product,
                "name": product,
                "quantity": quantity,
                "cost": price.map_or(0.0, |p| (p * quantity * 100.0).round() / 100.0),
            }));
        }
        for table in ["sale_lines", "bought"] {
            tx.execute(&format!("DELETE FROM {table} WHERE sale = ?1"), [id])?;
        }
        tx.execute("DELETE FROM sales WHERE id = ?1", [id])?;
    }
    tx.execute(
        "UPDATE receipts SET voided = 1 WHERE digest = ?1",
        [&void.digest],
    )?;
    if void.chain_report
        && let Some((sold_at, _)) = kept
    {
        crate::outbox::enqueue_once(
            &tx,
            crate::outbox::Destination::ChainReport,
            &day_of(sold_at),
            at,
        )?;
    }
    if let Some(settings) = &void.orders {
        let (sold_at, total) = kept.unwrap_or((at, None));
        let items_total: f64 = items.iter().filter_map(|i| i["cost"].as_f64()).sum();
        let mut order = serde_json::json!({
            "externalOrderId": void.sale_id,
            "status": crate::outbox::orders::CANCELLED,
            "date": crate::outbox::orders::date_with_offset(sold_at),
            "currency": settings.currency,
            "totalCost": total.unwrap_or(items_total),
            "source": "offline",
            "items": items,
        });
        if let Some(store) = &settings.store_id {
            order["storeId"] = store.clone().into();
        }
        crate::outbox::enqueue(
            &tx,
            crate::outbox::Destination::YespoOrders,
            &void.sale_id,
            &order.to_string(),
            at,
        )?;
    }
    tx.commit()?;
    Ok(VoidOutcome::Voided)
}

/// Reads the receipt kept under `digest`, if any.
fn receipt_on_disk(conn: &Connection, digest: &str) -> Result<Option<Receipt>, HistoryError> {
    Ok(conn
        .prepare_cached(
            "SELECT digest, body, lookup, grp, lines, recommended_lines FROM receipts WHERE digest = ?1",
        )?
        .query_row([digest], |r| {
            let group: String = r.get(3)?;
            Ok(Receipt {
                digest: r.get(0)?,
                body: r.get(1)?,
                lookup: r.get::<_, i64>(2)? as u64,
                group: if group == "holdout" {
                    "holdout"
                } else {
                    "shown"
                },
                lines: r.get::<_, i64>(4)? as usize,
                recommended_lines: r.get::<_, i64>(5)? as usize,
            })
        })
        .optional()?)
}

/// Records `sale` at `at` exactly once: in one `BEGIN IMMEDIATE`
/// transaction (it waits for another writer up to the busy timeout rather
/// than failing when it upgrades), the receipts table decides whether its
/// `sale_id` was recorded before; the sale and its receipt are written
/// together, and committed only if `may_commit` still agrees (the till
/// waiting for it has not given up).
pub fn record_sale_once(
    conn: &mut Connection,
    at: i64,
    sale: &SaleWrite,
    may_commit: impl FnOnce() -> bool,
) -> Result<SaleOutcome, HistoryError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if let Some(receipt) = &sale.receipt
        && let Some(first) = receipt_on_disk(&tx, &receipt.digest)?
    {
        // Receipts from before bodies were kept have none: taken as the same sale.
        return Ok(if first.body.is_empty() || first.body == receipt.body {
            SaleOutcome::Repeated(first)
        } else {
            SaleOutcome::Conflict
        });
    }
    let Some(record) = &sale.record else {
        return Ok(SaleOutcome::NoCustomer);
    };
    let row = write_sale(&tx, at, record)?;
    if let Some(receipt) = &sale.receipt {
        tx.execute(
            "INSERT INTO receipts (digest, body, at, lookup, grp, lines, recommended_lines, sale)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                receipt.digest,
                receipt.body,
                at,
                receipt.lookup as i64,
                receipt.group,
                receipt.lines as i64,
                receipt.recommended_lines as i64,
                row
            ],
        )?;
    }
    if let Some(draft) = &sale.order {
        let mut order = draft.order.clone();
        if order.get("externalOrderId").is_none() {
            order["externalOrderId"] = format!("{}-{at}-{row}", draft.id_prefix).into();
        }
        let key = order["externalOrderId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        crate::outbox::enqueue(
            &tx,
            crate::outbox::Destination::YespoOrders,
            &key,
            &order.to_string(),
            at,
        )?;
    }
    if !may_commit() {
        return Ok(SaleOutcome::Failed("the till stopped waiting".into()));
    }
    tx.commit()?;
    Ok(SaleOutcome::Recorded)
}
