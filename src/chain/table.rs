//! The chain's table out of the reports [`super::read`] gathered: grouped
//! by store, till or source, the shown-against-comparison difference, and
//! the text, table and CSV `pos-recs stats --chain` prints.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::read::{ChainReports, SkipKind};
use super::report::DayReport;
use crate::history::{Moments, SourceDay, Uplift, uplift};

/// How the chain's table is grouped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    /// Per store and source (the default).
    #[default]
    #[value(skip)]
    StoreSource,
    /// Per store, all sources together.
    Store,
    /// Per till and source.
    Till,
    /// Per source, all stores together.
    Source,
}

/// The sums of one row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    /// Times the source was asked.
    pub lookups: u64,
    /// Times it answered.
    pub answers: u64,
    /// Cards shown.
    pub shown: u64,
    /// Cards opened.
    pub opened: u64,
    /// Added with the Add to sale button.
    pub added: u64,
    /// Recommended and bought: lines.
    pub bought: u64,
    /// Recommended and bought: quantity.
    pub bought_quantity: f64,
    /// Their revenue.
    pub revenue: f64,
}

/// One row of the chain's table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The store, unless grouped by source.
    pub store: Option<String>,
    /// The till, when grouped by till.
    pub till: Option<String>,
    /// The source id and title, unless grouped by store.
    pub source: Option<(u64, String)>,
    /// The day, for the CSV's rows.
    pub day: Option<String>,
    /// The sums.
    pub totals: Totals,
}

type RowKey = (Option<String>, Option<String>, Option<u64>, Option<String>);

/// The table's rows, grouped `by`, and per day when `per_day`.
pub fn rows(reports: &[DayReport], by: By, per_day: bool) -> Vec<Row> {
    // A source's title is the newest report's (a source renamed since).
    let mut titles: BTreeMap<u64, (&str, i64, &str)> = BTreeMap::new();
    let mut sums: BTreeMap<RowKey, Totals> = BTreeMap::new();
    for report in reports {
        for (id, title) in &report.titles {
            let when = (report.figures.day.as_str(), report.made_at, title.as_str());
            let kept = titles.entry(*id).or_insert(when);
            if (when.0, when.1) > (kept.0, kept.1) {
                *kept = when;
            }
        }
        for s in &report.figures.sources {
            let store = (by != By::Source).then(|| report.store.clone());
            let till = (by == By::Till).then(|| report.till.clone());
            let source = (by != By::Store).then_some(s.source_id);
            let day = per_day.then(|| report.figures.day.clone());
            *sums.entry((store, till, source, day)).or_default() += &Totals::from(s);
        }
    }
    sums.into_iter()
        .map(|((store, till, source, day), totals)| Row {
            store,
            till,
            source: source.map(|id| {
                (
                    id,
                    titles.get(&id).map_or(String::new(), |t| t.2.to_string()),
                )
            }),
            day,
            totals,
        })
        .collect()
}

/// The chain's comparison of the groups, for the latest experiment
/// period, from every till's sums.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainComparison {
    /// The period.
    pub period: String,
    /// Sales (shown, holdout).
    pub sales: (u64, u64),
    /// Average priced sale (shown, holdout).
    pub means: (Option<f64>, Option<f64>),
    /// The difference of the average priced sale, absolute and relative,
    /// with its verdict.
    pub uplift: Uplift,
}

/// The comparison over the period of the newest report that has one.
pub fn comparison(reports: &[DayReport]) -> Option<ChainComparison> {
    let latest = reports
        .iter()
        .filter(|r| r.figures.groups.iter().any(|g| g.period != "off"))
        .max_by(|a, b| (&a.figures.day, a.made_at).cmp(&(&b.figures.day, b.made_at)))?;
    let period = latest
        .figures
        .groups
        .iter()
        .find(|g| g.period != "off")?
        .period
        .clone();
    // Per side: sales, priced sales, sum, squares.
    let mut sides = [(0u64, 0u64, 0.0f64, 0.0f64); 2];
    for group in reports
        .iter()
        .flat_map(|r| &r.figures.groups)
        .filter(|g| g.period == period)
    {
        let side = &mut sides[usize::from(group.group == "holdout")];
        side.0 = side.0.saturating_add(group.sales);
        side.1 = side.1.saturating_add(group.priced_sales);
        side.2 += group.value_sum;
        side.3 += group.value_squares;
    }
    let mean = |(_, n, sum, _): (u64, u64, f64, f64)| (n > 0).then(|| sum / n as f64);
    let uplift = uplift(
        Moments::from_sums(sides[0].1, sides[0].2, sides[0].3),
        Moments::from_sums(sides[1].1, sides[1].2, sides[1].3),
    );
    Some(ChainComparison {
        period,
        sales: (sides[0].0, sides[1].0),
        means: (mean(sides[0]), mean(sides[1])),
        uplift,
    })
}

/// The one line that says what was read.
pub fn summary(read: &ChainReports) -> String {
    let stores: std::collections::BTreeSet<&str> =
        read.reports.iter().map(|r| r.store.as_str()).collect();
    let tills: std::collections::BTreeSet<(&str, &str)> = read
        .reports
        .iter()
        .map(|r| (r.store.as_str(), r.till.as_str()))
        .collect();
    let first = read.reports.iter().map(|r| &r.figures.day).min();
    let last = read.reports.iter().map(|r| &r.figures.day).max();
    let span = match (first, last) {
        (Some(a), Some(b)) if a == b => format!(", {a}"),
        (Some(a), Some(b)) => format!(", {a} to {b}"),
        _ => String::new(),
    };
    let skipped = |kind| read.skipped.iter().filter(|s| s.kind == kind).count();
    let mut out = format!(
        "{} files: {} till-days from {} tills in {} stores{span}; {} broken skipped",
        read.files,
        read.reports.len(),
        tills.len(),
        stores.len(),
        skipped(SkipKind::Broken),
    );
    // Said only when it happened: a folder as the gateway writes it has none.
    for (kind, words) in [
        (SkipKind::Misplaced, "not where their content says"),
        (SkipKind::Future, "dated after tomorrow"),
    ] {
        let n = skipped(kind);
        if n > 0 {
            let _ = write!(out, "; {n} skipped as {words}");
        }
    }
    let _ = write!(out, "; {} older copies replaced", read.replaced);
    out
}

/// The chain's table as text.
pub fn table(read: &ChainReports, by: By) -> String {
    let rows = rows(&read.reports, by, false);
    let mut out = String::new();
    let _ = writeln!(out, "{}", summary(read));
    let _ = writeln!(out);
    let head = key_headings(by);
    let mut cells: Vec<Vec<String>> = vec![
        head.iter()
            .map(|h| h.to_string())
            .chain(
                [
                    "lookups", "answers", "shown", "opened", "added", "bought", "revenue",
                ]
                .map(String::from),
            )
            .collect(),
    ];
    let mut all = Totals::default();
    for row in &rows {
        let t = &row.totals;
        all += t;
        let mut line = key_cells(row, by, false);
        line.extend(number_cells(t, false));
        cells.push(line);
    }
    let mut total = vec!["all".to_string()];
    total.resize(head.len(), String::new());
    total.extend(number_cells(&all, false));
    cells.push(total);
    let widths: Vec<usize> = (0..cells[0].len())
        .map(|c| {
            cells
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for (i, line) in cells.iter().enumerate() {
        if i == cells.len() - 1 {
            let rule: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
            let _ = writeln!(out, "{}", "-".repeat(rule));
        }
        let text: Vec<String> = line
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                if c < head.len() {
                    format!("{cell:<w$}", w = widths[c])
                } else {
                    format!("{cell:>w$}", w = widths[c])
                }
            })
            .collect();
        let _ = writeln!(out, "{}", text.join("  ").trim_end());
    }
    if let Some(c) = comparison(&read.reports) {
        let _ = writeln!(out);
        let money = |m: Option<f64>| m.map_or("-".to_string(), |m| format!("{m:.2}"));
        let _ = writeln!(
            out,
            "Comparison ({}): shown {} sales, average {}; comparison group {} sales, average {}",
            c.period,
            c.sales.0,
            money(c.means.0),
            c.sales.1,
            money(c.means.1)
        );
        // The chain's reports carry no currency: plain numbers.
        out.push_str(&crate::history::uplift_text(
            &c.uplift,
            "value",
            "",
            &crate::history::signed_plain,
        ));
    }
    out
}

/// The chain's table as CSV: one row per key and day.
pub fn csv(read: &ChainReports, by: By) -> String {
    let mut out = String::new();
    let mut head: Vec<&str> = key_headings(by);
    head.push("day");
    head.extend([
        "lookups",
        "answers",
        "shown",
        "opened",
        "added",
        "bought_lines",
        "bought_quantity",
        "revenue",
    ]);
    let _ = writeln!(out, "{}", head.join(","));
    for row in rows(&read.reports, by, true) {
        let mut line = key_cells(&row, by, true);
        line.push(row.day.clone().unwrap_or_default());
        line.extend(number_cells(&row.totals, true));
        let _ = writeln!(out, "{}", line.join(","));
    }
    out
}

fn key_headings(by: By) -> Vec<&'static str> {
    match by {
        By::StoreSource => vec!["store", "source_id", "source"],
        By::Store => vec!["store"],
        By::Till => vec!["store", "till", "source_id", "source"],
        By::Source => vec!["source_id", "source"],
    }
}

fn key_cells(row: &Row, by: By, for_csv: bool) -> Vec<String> {
    let quote = |s: &str| {
        if for_csv { csv_field(s) } else { s.to_string() }
    };
    let mut cells = Vec::new();
    if by != By::Source {
        cells.push(quote(row.store.as_deref().unwrap_or("")));
    }
    if by == By::Till {
        cells.push(quote(row.till.as_deref().unwrap_or("")));
    }
    if let Some((id, title)) = &row.source {
        cells.push(id.to_string());
        cells.push(quote(title));
    }
    cells
}

/// The sums as cells; the CSV also has the bought quantity.
fn number_cells(t: &Totals, with_quantity: bool) -> Vec<String> {
    let mut cells = vec![
        t.lookups.to_string(),
        t.answers.to_string(),
        t.shown.to_string(),
        t.opened.to_string(),
        t.added.to_string(),
        t.bought.to_string(),
    ];
    if with_quantity {
        cells.push(format!("{}", t.bought_quantity));
    }
    cells.push(format!("{:.2}", t.revenue));
    cells
}

impl From<&SourceDay> for Totals {
    fn from(s: &SourceDay) -> Self {
        Self {
            lookups: s.lookups,
            answers: s.answered,
            shown: s.shown,
            opened: s.opened,
            added: s.added,
            bought: s.bought_lines,
            bought_quantity: s.bought_quantity,
            revenue: s.revenue,
        }
    }
}

/// Counts add saturating: each report's are bounded ([`MAX_DAY_COUNT`]),
/// so no folder that fits on a disk reaches the limit, and a sum never
/// wraps round to a small number.
impl std::ops::AddAssign<&Totals> for Totals {
    fn add_assign(&mut self, t: &Totals) {
        self.lookups = self.lookups.saturating_add(t.lookups);
        self.answers = self.answers.saturating_add(t.answers);
        self.shown = self.shown.saturating_add(t.shown);
        self.opened = self.opened.saturating_add(t.opened);
        self.added = self.added.saturating_add(t.added);
        self.bought = self.bought.saturating_add(t.bought);
        self.bought_quantity += t.bought_quantity;
        self.revenue += t.revenue;
    }
}

/// A CSV field, quoted when it must be; a leading `=`, `+`, `-` or `@`
/// is defused so a spreadsheet does not run a title as a formula.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod comparison_tests {
    use super::*;
    use crate::history::{DayFigures, GroupDay, Verdict, welch};

    /// One till's day: its shown and comparison sales with these totals.
    fn till_day(till: &str, shown: &[f64], holdout: &[f64]) -> DayReport {
        let group = |name: &str, values: &[f64]| GroupDay {
            period: "20%-abc".into(),
            group: name.into(),
            sales: values.len() as u64,
            priced_sales: values.len() as u64,
            value_sum: values.iter().sum(),
            value_squares: values.iter().map(|v| v * v).sum(),
            ..GroupDay::default()
        };
        let figures = DayFigures {
            day: "2026-12-01".into(),
            groups: vec![group("shown", shown), group("holdout", holdout)],
            ..DayFigures::default()
        };
        DayReport::new("store-1", till, BTreeMap::new(), figures, 1)
    }

    /// Two tills' sums pooled give the uplift of all their sales together,
    /// and the chain's text says it as `stats` does.
    #[test]
    fn the_chains_uplift_is_that_of_every_tills_sales_together() {
        let shown: Vec<f64> = (0..40).map(|i| 600.0 + f64::from(i * 7 % 50)).collect();
        let holdout: Vec<f64> = (0..40).map(|i| 500.0 + f64::from(i * 11 % 60)).collect();
        let reports = [
            till_day("till-1", &shown[..25], &holdout[..15]),
            till_day("till-2", &shown[25..], &holdout[15..]),
        ];
        let c = comparison(&reports).unwrap();
        assert_eq!(c.sales, (40, 40));
        let d = c.uplift.absolute.unwrap();
        let direct = welch(&shown, &holdout).unwrap();
        assert!((d.mean - direct.mean).abs() < 1e-9);
        assert!((d.low - direct.low).abs() < 1e-6 && (d.high - direct.high).abs() < 1e-6);
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let r = c.uplift.relative.unwrap();
        assert!((r.mean - (mean(&shown) / mean(&holdout) - 1.0)).abs() < 1e-12);
        assert_eq!(c.uplift.verdict, Verdict::Higher);
        let read = ChainReports {
            reports: reports.to_vec(),
            ..ChainReports::default()
        };
        let text = table(&read, By::Store);
        assert!(text.contains("relative: +"), "{text}");
        assert!(text.contains("significant: customers shown recommendations spend more"));
    }
}
