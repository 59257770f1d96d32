//! The figures as CSV and as a table for a terminal.

use super::{SalesFigures, SourceSales, SourceStats};

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
            match &c.difference {
                Some(d) => out.push_str(&format!(
                    "  difference ({}): {:+.2}, 95 % interval {:+.2} to {:+.2}\n",
                    c.measure, d.mean, d.low, d.high
                )),
                None => out.push_str(&format!(
                    "  not enough sales yet (at least {} in each group)\n",
                    super::ENOUGH_SALES
                )),
            }
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
