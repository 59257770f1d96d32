//! What the recommendations sold, and the comparison with the customers
//! shown none, read from the history file.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::uplift::{Moments, Uplift, uplift};
use super::{HistoryError, has_sales, now_secs, open_read_only};

/// The recommended lines of the sales `bound` admits (a condition on
/// `s.at`), each sale's line once however many sources listed it (`sale`,
/// `at`, `product_id`, `name`, `quantity`, `revenue`).
pub(super) fn lines_once(bound: &str) -> String {
    format!(
        "SELECT b.sale, s.at, b.product_id, MAX(b.name) AS name,
            MAX(b.quantity) AS quantity, MAX(b.revenue) AS revenue
         FROM bought b JOIN sales s ON s.id = b.sale WHERE {bound}
         GROUP BY b.sale, b.product_id"
    )
}

/// The sales since `?1`.
const SINCE: &str = "s.at >= ?1";

/// What one source's recommendations sold over a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SourceSales {
    /// The data source.
    pub source_id: u64,
    /// Sale lines it had recommended (before they were in the basket).
    pub lines: u64,
    /// Their quantity.
    pub quantity: f64,
    /// Their revenue (priced sales only).
    pub revenue: f64,
    /// Of the lines, bought after the cashier opened or added the card.
    pub after_click: u64,
    /// Of the lines, bought without a click on the card.
    pub without_click: u64,
}

/// One group's sales in the current experiment period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GroupFigures {
    /// Sales.
    pub sales: u64,
    /// Average sale value (sales with a value only; `None`: no prices).
    pub mean_value: Option<f64>,
    /// Average items per sale.
    pub mean_items: f64,
}

/// Customers shown recommendations against the comparison group.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Comparison {
    /// The experiment period compared (the latest one with sales).
    pub period: String,
    /// The day its first sale was recorded (`YYYY-MM-DD`, UTC).
    pub since: String,
    /// Customers shown recommendations.
    pub shown: GroupFigures,
    /// The comparison group.
    pub holdout: GroupFigures,
    /// `value` (money per sale) when sales have values, else `items`.
    pub measure: &'static str,
    /// The difference, absolute and relative, whether it is significant
    /// yet, and how many more sales it needs.
    pub uplift: Uplift,
}

/// A product the recommendations sold, with its name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopBought {
    /// Product id.
    pub id: String,
    /// Its name, as a source gave it.
    pub name: String,
    /// Quantity sold after a recommendation.
    pub quantity: f64,
    /// Their revenue.
    pub revenue: f64,
}

/// The sales figures of a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SalesFigures {
    /// Sales recorded.
    pub sales: u64,
    /// Of them, sales with a value (a till with a POS link sends prices).
    pub priced_sales: u64,
    /// Per source, in source order. A line two sources recommended counts for both.
    pub per_source: Vec<SourceSales>,
    /// Recommended lines over all sources, each sale's line once.
    pub recommended_lines: u64,
    /// Their revenue, each line once.
    pub recommended_revenue: f64,
    /// The comparison (`None` until a sale of the comparison group is recorded).
    pub comparison: Option<Comparison>,
    /// Best-selling recommended products.
    pub top: Vec<TopBought>,
    /// Per day (`YYYY-MM-DD`, UTC): revenue from recommendations and each group's average sale.
    pub daily: Vec<Day>,
}

/// One day of the trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Day {
    /// `YYYY-MM-DD`, UTC.
    pub date: String,
    /// Revenue from recommended lines, each line once.
    pub recommended_revenue: f64,
    /// Average sale of the customers shown recommendations.
    pub shown_mean: Option<f64>,
    /// Average sale of the comparison group.
    pub holdout_mean: Option<f64>,
}

/// The sales figures of the last `days` days from the file at `path`
/// (opened read-only: the till may be writing).
pub fn sales(path: &Path, days: u32) -> Result<SalesFigures, HistoryError> {
    let conn = open_read_only(path)?;
    if !has_sales(&conn)? {
        return Ok(SalesFigures::default());
    }
    let since = now_secs() - i64::from(days) * 86_400;
    let mut figures = SalesFigures::default();
    (figures.sales, figures.priced_sales) = conn.query_row(
        "SELECT COUNT(*), COUNT(total) FROM sales WHERE at >= ?1",
        [since],
        |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
    )?;
    let mut per_source = conn.prepare(
        "SELECT b.source_id, COUNT(*), SUM(b.quantity), TOTAL(b.revenue),
                SUM(b.click != 'none'), SUM(b.click = 'none')
         FROM bought b JOIN sales s ON s.id = b.sale WHERE s.at >= ?1
         GROUP BY b.source_id ORDER BY b.source_id",
    )?;
    figures.per_source = per_source
        .query_map([since], |r| {
            Ok(SourceSales {
                source_id: r.get::<_, i64>(0)? as u64,
                lines: r.get::<_, i64>(1)? as u64,
                quantity: r.get(2)?,
                revenue: r.get(3)?,
                after_click: r.get::<_, i64>(4)? as u64,
                without_click: r.get::<_, i64>(5)? as u64,
            })
        })?
        .collect::<Result<_, _>>()?;
    // Each sale's line once, however many sources listed it.
    (figures.recommended_lines, figures.recommended_revenue) = conn.query_row(
        &format!(
            "SELECT COUNT(*), TOTAL(revenue) FROM ({})",
            lines_once(SINCE)
        ),
        [since],
        |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)),
    )?;
    let lines = lines_once(SINCE);
    let mut top = conn.prepare(&format!(
        "SELECT product_id, MAX(name), SUM(quantity), TOTAL(revenue) FROM ({lines})
         GROUP BY product_id ORDER BY TOTAL(revenue) DESC, SUM(quantity) DESC, product_id LIMIT 10"
    ))?;
    figures.top = top
        .query_map([since], |r| {
            Ok(TopBought {
                id: r.get(0)?,
                name: r.get(1)?,
                quantity: r.get(2)?,
                revenue: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    figures.comparison = comparison(&conn, since)?;
    figures.daily = daily(&conn, since)?;
    Ok(figures)
}

/// The period (name and run) of the latest sale with the experiment on.
fn latest_period(conn: &Connection, since: i64) -> Result<Option<(String, i64)>, HistoryError> {
    Ok(conn
        .query_row(
            "SELECT period, period_run FROM sales WHERE at >= ?1 AND period != 'off'
             ORDER BY at DESC, id DESC LIMIT 1",
            [since],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// The two groups of the latest period with sales.
fn comparison(conn: &Connection, since: i64) -> Result<Option<Comparison>, HistoryError> {
    let Some((period, run)) = latest_period(conn, since)? else {
        return Ok(None);
    };
    let started: i64 = conn.query_row(
        "SELECT MIN(at) FROM sales WHERE period = ?1 AND period_run = ?2",
        params![period, run],
        |r| r.get(0),
    )?;
    let mut rows = conn.prepare(
        "SELECT grp, total, items FROM sales WHERE at >= ?1 AND period = ?2 AND period_run = ?3",
    )?;
    let mut values: [Vec<f64>; 2] = Default::default();
    let mut items: [Vec<f64>; 2] = Default::default();
    let mut counts = [0u64; 2];
    let sales = rows.query_map(params![since, period, run], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<f64>>(1)?,
            r.get::<_, f64>(2)?,
        ))
    })?;
    for sale in sales {
        let (group, total, n) = sale?;
        let side = usize::from(group == "holdout");
        counts[side] += 1;
        items[side].push(n);
        if let Some(total) = total {
            values[side].push(total);
        }
    }
    let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    let figures = |side: usize| GroupFigures {
        sales: counts[side],
        mean_value: mean(&values[side]),
        mean_items: mean(&items[side]).unwrap_or(0.0),
    };
    let priced = !values[0].is_empty() && !values[1].is_empty();
    let (measure, a, b) = if priced {
        ("value", &values[0], &values[1])
    } else {
        ("items", &items[0], &items[1])
    };
    Ok(Some(Comparison {
        period,
        since: super::day_of(started),
        shown: figures(0),
        holdout: figures(1),
        measure,
        uplift: uplift(Moments::of(a), Moments::of(b)),
    }))
}

/// The trend per day.
fn daily(conn: &Connection, since: i64) -> Result<Vec<Day>, HistoryError> {
    // The groups' averages are of the compared period only: groups of
    // different periods are never drawn as one line.
    let (period, run) = latest_period(conn, since)?.unwrap_or_else(|| ("off".into(), -1));
    let lines = lines_once(SINCE);
    let mut rows = conn.prepare(&format!(
        "SELECT d.day, d.shown, d.holdout, COALESCE(r.revenue, 0.0) FROM
           (SELECT date(at, 'unixepoch') AS day,
                   AVG(CASE WHEN grp = 'shown' AND period = ?2 AND period_run = ?3 THEN total END)
                     AS shown,
                   AVG(CASE WHEN grp = 'holdout' AND period = ?2 AND period_run = ?3 THEN total END)
                     AS holdout
            FROM sales WHERE at >= ?1 GROUP BY day) d
         LEFT JOIN
           (SELECT date(at, 'unixepoch') AS day, TOTAL(revenue) AS revenue
            FROM ({lines}) GROUP BY day) r
         ON r.day = d.day ORDER BY d.day"
    ))?;
    let days = rows
        .query_map(params![since, period, run], |r| {
            Ok(Day {
                date: r.get(0)?,
                shown_mean: r.get(1)?,
                holdout_mean: r.get(2)?,
                recommended_revenue: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(days)
}
