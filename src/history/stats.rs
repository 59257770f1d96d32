//! The manager's figures, read from the history file.

use std::path::Path;

use rusqlite::params;
use serde::Serialize;

use super::{HistoryError, now_secs, open_read_only};

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

/// What the cards of one source did, counted from the events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct EventCounts {
    pub lookups: u64,
    pub answered: u64,
    pub shown: u64,
    pub opened: u64,
    pub to_customer: u64,
    pub added: u64,
}

/// Per source, the events from `from` (inclusive) to `to` (exclusive),
/// unix seconds. A skipped source was not asked, so its answer row does
/// not count as a lookup.
pub(super) fn event_counts(
    conn: &rusqlite::Connection,
    from: i64,
    to: i64,
) -> Result<std::collections::BTreeMap<u64, EventCounts>, HistoryError> {
    let mut counts = conn.prepare(
        "SELECT source_id, kind, COUNT(*), SUM(status = 'ok') FROM events
         WHERE at >= ?1 AND at < ?2 AND source_id IS NOT NULL
           AND NOT (kind = 'answer' AND status = 'skipped')
         GROUP BY source_id, kind",
    )?;
    let rows = counts.query_map([from, to], |r| {
        Ok((
            r.get::<_, i64>(0)? as u64,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)? as u64,
            r.get::<_, Option<i64>>(3)?.unwrap_or(0) as u64,
        ))
    })?;
    let mut by_source: std::collections::BTreeMap<u64, EventCounts> = Default::default();
    for row in rows {
        let (source_id, kind, count, ok) = row?;
        let c = by_source.entry(source_id).or_default();
        match kind.as_str() {
            "answer" => {
                c.lookups = count;
                c.answered = ok;
            }
            "shown" => c.shown = count,
            "opened" => c.opened = count,
            "to_customer" => c.to_customer = count,
            "added" => c.added = count,
            _ => {}
        }
    }
    Ok(by_source)
}

/// The figures of the last `days` days, per source, from the file at `path`
/// (opened read-only: the till may be writing).
pub fn stats(path: &Path, days: u32) -> Result<Vec<SourceStats>, HistoryError> {
    let conn = open_read_only(path)?;
    let since = now_secs() - i64::from(days) * 86_400;
    let mut by_source: std::collections::BTreeMap<u64, SourceStats> =
        event_counts(&conn, since, i64::MAX)?
            .into_iter()
            .map(|(source_id, c)| {
                let s = SourceStats {
                    source_id,
                    lookups: c.lookups,
                    answered: c.answered,
                    shown: c.shown,
                    opened: c.opened,
                    to_customer: c.to_customer,
                    added: c.added,
                    ..SourceStats::default()
                };
                (source_id, s)
            })
            .collect();
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
pub(super) fn percentile(sorted: &[u64], p: usize) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}
