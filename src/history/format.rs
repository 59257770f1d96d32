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
/// Money is written in `currency` as the till writes it (`41 985,00 ₴`).
pub fn sales_table(
    stats: &[SourceStats],
    sales: &SalesFigures,
    titles: &dyn Fn(u64) -> String,
    currency: &str,
) -> String {
    let money = |v: f64| crate::money::format_price(v, currency);
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
        "{:<8} {:<28} {:>7} {:>9} {:>14} {:>14} {:>9} {:>9}\n",
        "SOURCE", "TITLE", "BOUGHT", "QUANTITY", "REVENUE", "REV/100", "CLICKED", "NO CLICK"
    ));
    for sold in &sales.per_source {
        let shown = stats
            .iter()
            .find(|s| s.source_id == sold.source_id)
            .map_or(0, |s| s.shown);
        let title: String = titles(sold.source_id).chars().take(28).collect();
        out.push_str(&format!(
            "{:<8} {:<28} {:>7} {:>9} {:>14} {:>14} {:>9} {:>9}\n",
            sold.source_id,
            title,
            sold.lines,
            sold.quantity,
            money(sold.revenue),
            money(revenue_per_100_shown(sold.revenue, shown)),
            sold.after_click,
            sold.without_click
        ));
    }
    out.push_str(&format!(
        "{:<8} {:<28} {:>7} {:>9} {:>14}\n",
        "",
        "all sources",
        sales.recommended_lines,
        "",
        money(sales.recommended_revenue)
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
                    "  {name:<8} sales {:>6}  average sale {:>14}  items per sale {:>6.2}\n",
                    g.sales,
                    g.mean_value.map_or("-".to_string(), money),
                    g.mean_items
                ));
            }
            let signed = |v: f64| crate::money::format_signed(v, currency);
            out.push_str(&uplift_text(&c.uplift, c.measure, "  ", &signed));
        }
    }
    if !sales.top.is_empty() {
        out.push_str("\nTop products sold after a recommendation:\n");
        for t in &sales.top {
            let name: String = t.name.chars().take(40).collect();
            out.push_str(&format!(
                "  {:<16} {:<40} {:>7} {:>14}\n",
                t.id,
                name,
                t.quantity,
                money(t.revenue)
            ));
        }
    }
    out
}

/// A fraction as a signed percentage: `0.439` → `+43.9 %`.
pub fn signed_percent(fraction: f64) -> String {
    format!("{:+.1} %", fraction * 100.0)
}

/// A signed figure with two decimals and no unit (`+1.25`), for items
/// and for money whose currency is not known.
pub fn signed_plain(v: f64) -> String {
    format!("{v:+.2}")
}

/// The comparison's difference in plain English for a terminal, each line
/// begun with `indent`: absolute and relative with their 95 % intervals,
/// then whether it is significant and how many more sales would tell.
/// `measure` is `value` (money per sale, written with `signed_money`) or
/// `items`.
pub fn uplift_text(
    u: &Uplift,
    measure: &str,
    indent: &str,
    signed_money: &dyn Fn(f64) -> String,
) -> String {
    let mut out = String::new();
    let write = |v: f64| {
        if measure == "value" {
            signed_money(v)
        } else {
            signed_plain(v)
        }
    };
    if let Some(d) = u.absolute {
        out.push_str(&format!(
            "{indent}difference ({measure}): {}, 95 % interval {} to {}\n",
            write(d.mean),
            write(d.low),
            write(d.high)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Comparison, Difference, GroupFigures, SourceSales};

    /// The terminal's table writes money as the till does; the CSV keeps
    /// plain numbers for spreadsheets.
    #[test]
    fn the_terminal_writes_money_in_the_tills_currency_and_the_csv_plainly() {
        let sales = SalesFigures {
            sales: 80,
            priced_sales: 80,
            per_source: vec![SourceSales {
                source_id: 7,
                lines: 3,
                quantity: 3.0,
                revenue: 41_985.0,
                after_click: 1,
                without_click: 2,
            }],
            recommended_lines: 3,
            recommended_revenue: 41_985.0,
            comparison: Some(Comparison {
                shown: GroupFigures {
                    sales: 40,
                    mean_value: Some(3295.96),
                    mean_items: 5.0,
                },
                holdout: GroupFigures {
                    sales: 40,
                    mean_value: Some(2166.48),
                    mean_items: 4.0,
                },
                measure: "value",
                uplift: Uplift {
                    absolute: Some(Difference {
                        mean: 1129.48,
                        low: 600.0,
                        high: 1658.96,
                    }),
                    relative: None,
                    verdict: Verdict::Higher,
                    more_sales_needed: Some(0),
                },
                ..Comparison::default()
            }),
            ..SalesFigures::default()
        };
        let stats = [SourceStats {
            source_id: 7,
            shown: 100,
            ..SourceStats::default()
        }];
        let table = sales_table(&stats, &sales, &|id| format!("Source {id}"), "UAH")
            .replace(['\u{202f}', '\u{a0}'], " ");
        assert!(table.contains("41 985,00 ₴"), "{table}");
        assert!(table.contains("3 295,96 ₴"), "{table}");
        assert!(table.contains("difference (value): +1 129,48 ₴"), "{table}");
        assert!(table.contains("significant: customers shown recommendations spend more"));
        assert!(!table.contains("41985.00"), "{table}");
        let csv = csv(&stats, &sales);
        assert!(csv.contains(",41985.00,"), "{csv}");
    }
}
