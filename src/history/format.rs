//! The figures as CSV and as a table for a terminal.

use std::path::Path;

use super::{
    ENOUGH_SALES, HistoryError, SalesFigures, SourceSales, SourceStats, Uplift, Verdict, sales,
    stats,
};

/// What "What works" and `pos-recs stats` show for a period: the sources'
/// figures (in source id order) and what the recommendations sold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Per source.
    pub stats: Vec<SourceStats>,
    /// The sales and the comparison.
    pub sales: SalesFigures,
}

impl Figures {
    /// The figures of the last `days` days in the file at `path` (opened
    /// read-only: the till may be writing); none yet when the till has
    /// not written the file.
    pub fn read(path: &Path, days: u32) -> Result<Self, HistoryError> {
        if !path.exists() {
            return Ok(Self::default());
        }
        Ok(Self {
            stats: stats(path, days)?,
            sales: sales(path, days)?,
        })
    }

    /// As CSV (see [`csv`]).
    pub fn csv(&self) -> String {
        csv(&self.stats, &self.sales)
    }
}

/// What `source_id`'s recommendations sold (zeros when nothing).
pub fn sold_by(sales: &SalesFigures, source_id: u64) -> SourceSales {
    sales
        .per_source
        .iter()
        .find(|s| s.source_id == source_id)
        .cloned()
        .unwrap_or_default()
}

/// Revenue per 100 cards shown.
pub fn revenue_per_100_shown(revenue: f64, shown: u64) -> f64 {
    if shown == 0 {
        0.0
    } else {
        revenue * 100.0 / shown as f64
    }
}

/// The figures as CSV, one row per source (for spreadsheets, and for
/// merging a chain's tills).
pub fn csv(stats: &[SourceStats], sales: &SalesFigures) -> String {
    let mut out = String::from(
        "source_id,lookups,answered_share,median_ms,p95_ms,shown,opened,to_customer,added,added_per_100_shown,\
         bought_lines,bought_quantity,revenue,revenue_per_100_shown,bought_after_click,bought_without_click\n",
    );
    for s in stats {
        let sold = sold_by(sales, s.source_id);
        out.push_str(&format!(
            "{},{},{:.3},{},{},{},{},{},{},{:.2},{},{},{:.2},{:.2},{},{}\n",
            s.source_id,
            s.lookups,
            s.answered_share(),
            s.median_ms,
            s.p95_ms,
            s.shown,
            s.opened,
            s.to_customer,
            s.added,
            s.added_per_100_shown(),
            sold.lines,
            sold.quantity,
            sold.revenue,
            revenue_per_100_shown(sold.revenue, s.shown),
            sold.after_click,
            sold.without_click
        ));
    }
    out
}

/// What the recommendations sold and the comparison, for a terminal.
pub fn sales_table(
    stats: &[SourceStats],
    sales: &SalesFigures,
    titles: &dyn Fn(u64) -> String,
) -> String {
    if sales.sales == 0 {
        return "\nNo sales recorded yet.\n".into();
    }
    let mut out = format!(
        "\nSales: {} ({} with a value). A line two sources recommended counts for both; the total counts it once.\n",
        sales.sales, sales.priced_sales
    );
    if sales.priced_sales == 0 {
        out.push_str("No prices: this till has no POS link, so there are counts and no money.\n");
    }
    out.push_str(&format!(
        "{:<8} {:<28} {:>7} {:>9} {:>11} {:>11} {:>9} {:>9}\n",
        "SOURCE", "TITLE", "BOUGHT", "QUANTITY", "REVENUE", "REV/100", "CLICKED", "NO CLICK"
    ));
    for sold in &sales.per_source {
        let shown = stats
            .iter()
            .find(|s| s.source_id == sold.source_id)
            .map_or(0, |s| s.shown);
        let title: String = titles(sold.source_id).chars().take(28).collect();
        out.push_str(&format!(
            "{:<8} {:<28} {:>7} {:>9} {:>11.2} {:>11.2} {:>9} {:>9}\n",
            sold.source_id,
            title,
            sold.lines,
            sold.quantity,
            sold.revenue,
            revenue_per_100_shown(sold.revenue, shown),
            sold.after_click,
            sold.without_click
        ));
    }
    out.push_str(&format!(
        "{:<8} {:<28} {:>7} {:>9} {:>11.2}\n",
        "", "all sources", sales.recommended_lines, "", sales.recommended_revenue
    ));
    match &sales.comparison {
        None => out.push_str("\nComparison group: off ([experiment] holdout_percent).\n"),
        Some(c) => {
            out.push_str(&format!(
                "\nComparison (period {}, since {}):\n",
                c.period, c.since
            ));
            for (name, g) in [("shown", &c.shown), ("holdout", &c.holdout)] {
                out.push_str(&format!(
                    "  {name:<8} sales {:>6}  average sale {:>10}  items per sale {:>6.2}\n",
                    g.sales,
                    g.mean_value.map_or("-".to_string(), |v| format!("{v:.2}")),
                    g.mean_items
                ));
            }
            out.push_str(&uplift_text(&c.uplift, c.measure, "  "));
        }
    }
    if !sales.top.is_empty() {
        out.push_str("\nTop products sold after a recommendation:\n");
        for t in &sales.top {
            let name: String = t.name.chars().take(40).collect();
            out.push_str(&format!(
                "  {:<16} {:<40} {:>7} {:>11.2}\n",
                t.id, name, t.quantity, t.revenue
            ));
        }
    }
    out
}

/// A fraction as a signed percentage: `0.439` → `+43.9 %`.
pub fn signed_percent(fraction: f64) -> String {
    format!("{:+.1} %", fraction * 100.0)
}

/// The comparison's difference in plain English for a terminal, each line
/// begun with `indent`: absolute and relative with their 95 % intervals,
/// then whether it is significant and how many more sales would tell.
/// `measure` is `value` (money per sale) or `items`.
pub fn uplift_text(u: &Uplift, measure: &str, indent: &str) -> String {
    let mut out = String::new();
    if let Some(d) = u.absolute {
        out.push_str(&format!(
            "{indent}difference ({measure}): {:+.2}, 95 % interval {:+.2} to {:+.2}\n",
            d.mean, d.low, d.high
        ));
    }
    if let Some(r) = u.relative {
        out.push_str(&format!(
            "{indent}relative: {}, 95 % interval {} to {}\n",
            signed_percent(r.mean),
            signed_percent(r.low),
            signed_percent(r.high)
        ));
    }
    let what = if measure == "value" { "spend" } else { "buy" };
    let verdict = match u.verdict {
        Verdict::Higher => format!("significant: customers shown recommendations {what} more"),
        Verdict::Lower => format!("significant: customers shown recommendations {what} less"),
        Verdict::NotYet => "not significant yet: the interval includes zero".to_string(),
        Verdict::TooFewSales => {
            format!("not enough sales yet (at least {ENOUGH_SALES} in each group)")
        }
    };
    let more = match u.more_sales_needed {
        Some(n) if n > 0 => {
            format!("; about {n} more sales would tell, if the difference stays as it is")
        }
        _ => String::new(),
    };
    out.push_str(&format!("{indent}{verdict}{more}\n"));
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
