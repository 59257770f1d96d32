//! The figures as CSV and as a table for a terminal.

use super::SourceStats;

/// The figures as CSV, one row per source (for spreadsheets, and for
/// merging a chain's tills).
pub fn csv(stats: &[SourceStats]) -> String {
    let mut out = String::from(
        "source_id,lookups,answered_share,median_ms,p95_ms,shown,opened,to_customer,added,added_per_100_shown\n",
    );
    for s in stats {
        out.push_str(&format!(
            "{},{},{:.3},{},{},{},{},{},{},{:.2}\n",
            s.source_id,
            s.lookups,
            s.answered_share(),
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
