//! One calendar day's figures (UTC), for the chain's daily report: the
//! same counts as the What works page and `stats`, bounded to the day.

use std::path::Path;

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::{HistoryError, has_sales, open_read_only};

/// Seconds in a day.
const DAY: i64 = 86_400;

/// One source's figures over one day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SourceDay {
    /// The data source.
    pub source_id: u64,
    /// Times it was asked.
    pub lookups: u64,
    /// Times it answered.
    pub answered: u64,
    /// Cards that came into view.
    pub shown: u64,
    /// Cards opened.
    pub opened: u64,
    /// Products turned to the customer.
    pub to_customer: u64,
    /// Products added with the Add to sale button.
    pub added: u64,
    /// Recommended and bought: sale lines.
    pub bought_lines: u64,
    /// Recommended and bought: quantity.
    pub bought_quantity: f64,
    /// Recommended and bought: revenue (priced sales only).
    pub revenue: f64,
    /// Bought lines whose card was opened or added first.
    pub bought_after_click: u64,
}

/// One comparison group's sales over one day, as sums, so that days and
/// tills add up and the chain can still compute means and variances.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupDay {
    /// The experiment period (share and key tag).
    pub period: String,
    /// `shown` or `holdout`.
    pub group: String,
    /// Sales.
    pub sales: u64,
    /// Sales with a total (from a POS).
    pub priced_sales: u64,
    /// Sum of the priced sales' totals.
    pub value_sum: f64,
    /// Sum of their squares.
    pub value_squares: f64,
    /// Sum of items per sale.
    pub items_sum: f64,
    /// Sum of their squares.
    pub items_squares: f64,
}

/// One day of a till's history.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DayFigures {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    /// Customers looked up.
    pub lookups: u64,
    /// Per source, by id.
    pub sources: Vec<SourceDay>,
    /// Sales recorded.
    pub sales: u64,
    /// Recommended and bought lines, each sale's line once however many
    /// sources listed it.
    pub recommended_lines: u64,
    /// Their revenue.
    pub recommended_revenue: f64,
    /// Per period and group.
    pub groups: Vec<GroupDay>,
}

impl DayFigures {
    /// True when nothing happened that day.
    pub fn is_empty(&self) -> bool {
        self.lookups == 0 && self.sources.is_empty() && self.sales == 0
    }
}

/// The unix second a `YYYY-MM-DD` day starts at (UTC), if it is one.
pub fn day_start(day: &str) -> Option<i64> {
    let mut parts = day.splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let date_of_month: u8 = parts.next()?.parse().ok()?;
    if day.len() != 10 {
        return None;
    }
    let month = time::Month::try_from(month).ok()?;
    let date = time::Date::from_calendar_date(year, month, date_of_month).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp())
}

/// The `YYYY-MM-DD` (UTC) of a unix second.
pub fn day_of(unix: i64) -> String {
    let date = time::OffsetDateTime::from_unix_timestamp(unix)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .date();
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Sales recorded from `from` (inclusive) to `to` (exclusive), unix
/// seconds; 0 for a file from before sales were kept.
pub fn sales_between(path: &Path, from: i64, to: i64) -> Result<u64, HistoryError> {
    let conn = open_read_only(path)?;
    if !has_sales(&conn)? {
        return Ok(0);
    }
    let count: i64 = conn.query_row(
        "SELECT COUNT(*) FROM sales WHERE at >= ?1 AND at < ?2",
        [from, to],
        |r| r.get(0),
    )?;
    Ok(count as u64)
}

/// The days (`YYYY-MM-DD`, UTC, oldest first) from `since` (unix seconds)
/// on which anything was recorded.
pub fn days_with_records(path: &Path, since: i64) -> Result<Vec<String>, HistoryError> {
    let conn = open_read_only(path)?;
    let sql = if has_sales(&conn)? {
        "SELECT date(at, 'unixepoch') AS day FROM events WHERE at >= ?1
         UNION SELECT date(at, 'unixepoch') FROM sales WHERE at >= ?1 ORDER BY day"
    } else {
        "SELECT DISTINCT date(at, 'unixepoch') AS day FROM events WHERE at >= ?1 ORDER BY day"
    };
    let mut rows = conn.prepare(sql)?;
    let days = rows
        .query_map([since], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(days)
}

/// The figures of `day` (`YYYY-MM-DD`, UTC) from the file at `path`.
pub fn day_figures(path: &Path, day: &str) -> Result<DayFigures, HistoryError> {
    let from = day_start(day).ok_or_else(|| {
        HistoryError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{day:?} is not a YYYY-MM-DD day"),
        ))
    })?;
    let to = from + DAY;
    let conn = open_read_only(path)?;
    let mut figures = DayFigures {
        day: day.to_string(),
        ..DayFigures::default()
    };
    figures.lookups = conn.query_row(
        "SELECT COUNT(*) FROM events WHERE at >= ?1 AND at < ?2 AND kind = 'lookup'",
        [from, to],
        |r| r.get::<_, i64>(0),
    )? as u64;
    // The same counts as `stats`, bounded to the day.
    let mut sources: std::collections::BTreeMap<u64, SourceDay> =
        super::stats::event_counts(&conn, from, to)?
            .into_iter()
            .map(|(source_id, c)| {
                let s = SourceDay {
                    source_id,
                    lookups: c.lookups,
                    answered: c.answered,
                    shown: c.shown,
                    opened: c.opened,
                    to_customer: c.to_customer,
                    added: c.added,
                    ..SourceDay::default()
                };
                (source_id, s)
            })
            .collect();
    if has_sales(&conn)? {
        sales_of_day(&conn, from, to, &mut figures, &mut sources)?;
    }
    figures.sources = sources.into_values().collect();
    Ok(figures)
}

fn source(sources: &mut std::collections::BTreeMap<u64, SourceDay>, id: u64) -> &mut SourceDay {
    sources.entry(id).or_insert_with(|| SourceDay {
        source_id: id,
        ..SourceDay::default()
    })
}

fn sales_of_day(
    conn: &Connection,
    from: i64,
    to: i64,
    figures: &mut DayFigures,
    sources: &mut std::collections::BTreeMap<u64, SourceDay>,
) -> Result<(), HistoryError> {
    figures.sales = conn.query_row(
        "SELECT COUNT(*) FROM sales WHERE at >= ?1 AND at < ?2",
        [from, to],
        |r| r.get::<_, i64>(0),
    )? as u64;
    let mut per_source = conn.prepare(
        "SELECT b.source_id, COUNT(*), TOTAL(b.quantity), TOTAL(b.revenue), SUM(b.click != 'none')
         FROM bought b JOIN sales s ON s.id = b.sale WHERE s.at >= ?1 AND s.at < ?2
         GROUP BY b.source_id",
    )?;
    let rows = per_source.query_map([from, to], |r| {
        Ok((
            r.get::<_, i64>(0)? as u64,
            r.get::<_, i64>(1)? as u64,
            r.get::<_, f64>(2)?,
            r.get::<_, f64>(3)?,
            r.get::<_, i64>(4)? as u64,
        ))
    })?;
    for row in rows {
        let (id, lines, quantity, revenue, after_click) = row?;
        let s = source(sources, id);
        s.bought_lines = lines;
        s.bought_quantity = quantity;
        s.revenue = revenue;
        s.bought_after_click = after_click;
    }
    // Each sale's line once, however many sources listed it.
    let lines = super::sales::lines_once("s.at >= ?1 AND s.at < ?2");
    (figures.recommended_lines, figures.recommended_revenue) = conn.query_row(
        &format!("SELECT COUNT(*), TOTAL(revenue) FROM ({lines})"),
        [from, to],
        |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)),
    )?;
    let mut groups = conn.prepare(
        "SELECT period, grp, COUNT(*), COUNT(total), TOTAL(total), TOTAL(total * total),
                TOTAL(items), TOTAL(items * items)
         FROM sales WHERE at >= ?1 AND at < ?2 GROUP BY period, grp ORDER BY period, grp",
    )?;
    figures.groups = groups
        .query_map(params![from, to], |r| {
            Ok(GroupDay {
                period: r.get(0)?,
                group: r.get(1)?,
                sales: r.get::<_, i64>(2)? as u64,
                priced_sales: r.get::<_, i64>(3)? as u64,
                value_sum: r.get(4)?,
                value_squares: r.get(5)?,
                items_sum: r.get(6)?,
                items_squares: r.get(7)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_and_bad_days_are_refused() {
        assert_eq!(day_start("1970-01-02"), Some(86_400));
        assert_eq!(day_of(86_399), "1970-01-01");
        let start = day_start("2026-12-01").unwrap();
        assert_eq!(day_of(start), "2026-12-01");
        assert_eq!(day_of(start - 1), "2026-11-30");
        assert_eq!(
            day_start("2024-02-29").map(day_of).as_deref(),
            Some("2024-02-29")
        );
        for bad in [
            "2026-13-01",
            "2026-02-30",
            "26-12-01",
            "2026-12-1",
            "x",
            "2026-12-01x",
        ] {
            assert_eq!(day_start(bad), None, "{bad}");
        }
    }
}
