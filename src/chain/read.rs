//! `pos-recs stats --chain DIR`: a folder of the tills' daily reports (the
//! gateway's `REPORTS_DIR`, or a copy of it) read into one table.
//!
//! What it tolerates: files of older schema versions (fields they lack
//! read as zero); broken files, skipped with one warning each and counted;
//! two files for one till and day (copies of the folder merged), where the
//! newer `made_at` wins.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::{Path, PathBuf};

use super::report::{DayReport, SCHEMA};
use super::unix_now;
use crate::config::is_report_name;
use crate::history::{day_of, day_start};

/// A report file larger than this is not one.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Largest count of anything one till does in one day (lookups, cards,
/// sales…). With it, sums over any folder that fits on a disk stay far
/// below `u64::MAX`.
const MAX_DAY_COUNT: u64 = 1_000_000_000;

/// Largest money or quantity figure of one till's day (a billion sales of
/// the largest sale a till takes would not reach it); sums stay finite.
const MAX_DAY_AMOUNT: f64 = 1e15;

/// Why the folder cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The folder is missing or unreadable.
    #[error("{path}: {source}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// A file that was skipped, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// Why it was skipped.
    pub reason: String,
    /// What kind of reason.
    pub kind: SkipKind,
}

/// Why a file was left out, in one word for the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipKind {
    /// Not a readable report, or figures out of bounds.
    Broken,
    /// Its content names another store, till or day than its path.
    Misplaced,
    /// Dated after tomorrow.
    Future,
}

/// Every usable report in a folder.
#[derive(Debug, Default)]
pub struct ChainReports {
    /// One per till and day, the newest.
    pub reports: Vec<DayReport>,
    /// Report files found (`*.json`).
    pub files: usize,
    /// Files that could not be used.
    pub skipped: Vec<Skipped>,
    /// Older files for a till and day that a newer one replaced.
    pub replaced: usize,
}

/// Reads every `*.json` under `dir` (any depth) dated within the last
/// `days` days (today, UTC, counts as one); all of them when `None`.
pub fn read_folder(dir: &Path, days: Option<u32>) -> Result<ChainReports, ChainError> {
    let mut paths = Vec::new();
    collect(dir, &mut paths, 0)?;
    let since = days.map(|days| {
        let today = day_of(unix_now());
        day_start(&today).unwrap_or(0) - i64::from(days.saturating_sub(1)) * 86_400
    });
    // A till's clock may be a little ahead; a day after tomorrow (UTC) is
    // no till's day yet.
    let latest_day = day_start(&day_of(unix_now())).unwrap_or(0) + 86_400;
    let parsed = parse_all(&paths);
    let mut read = ChainReports {
        files: paths.len(),
        ..ChainReports::default()
    };
    let mut newest: HashMap<(String, String, String), DayReport> = HashMap::new();
    for (path, result) in paths.into_iter().zip(parsed) {
        let report = match result {
            Ok(report) => report,
            Err(reason) => {
                let kind = SkipKind::Broken;
                read.skipped.push(Skipped { path, reason, kind });
                continue;
            }
        };
        if let Err(reason) = belongs_at(&path, &report) {
            let kind = SkipKind::Misplaced;
            read.skipped.push(Skipped { path, reason, kind });
            continue;
        }
        let start = day_start(&report.figures.day).unwrap_or(0);
        if start > latest_day {
            read.skipped.push(Skipped {
                path,
                reason: format!("dated {}, after tomorrow", report.figures.day),
                kind: SkipKind::Future,
            });
            continue;
        }
        if since.is_some_and(|since| start < since) {
            continue;
        }
        let key = (
            report.store.clone(),
            report.till.clone(),
            report.figures.day.clone(),
        );
        match newest.entry(key) {
            Entry::Occupied(mut kept) => {
                read.replaced += 1;
                if report.made_at > kept.get().made_at {
                    kept.insert(report);
                }
            }
            Entry::Vacant(slot) => {
                slot.insert(report);
            }
        }
    }
    read.reports = newest.into_values().collect();
    read.reports.sort_by(|a, b| {
        (&a.store, &a.till, &a.figures.day).cmp(&(&b.store, &b.till, &b.figures.day))
    });
    Ok(read)
}

/// A report is believed only where it belongs: its path ends with
/// `{store}/{till}/{day}.json` of what it says inside (the gateway lets a
/// till write only under its own store and till).
fn belongs_at(path: &Path, report: &DayReport) -> Result<(), String> {
    let parts: Vec<&str> = path
        .iter()
        .rev()
        .take(3)
        .map(|p| p.to_str().unwrap_or_default())
        .collect();
    let expected = [
        format!("{}.json", report.figures.day),
        report.till.clone(),
        report.store.clone(),
    ];
    if parts.len() == 3 && parts.iter().zip(&expected).all(|(a, b)| *a == b.as_str()) {
        Ok(())
    } else {
        Err(format!(
            "it says {}/{}/{}.json inside but lies elsewhere",
            report.store, report.till, report.figures.day
        ))
    }
}

/// The `*.json` files under `dir`, depth-first; at most a few levels (a
/// copy of the gateway's folder inside another folder).
fn collect(dir: &Path, into: &mut Vec<PathBuf>, depth: usize) -> Result<(), ChainError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ChainError::Folder {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() && depth < 6 {
            // A folder that vanished or cannot be read is left out.
            let _ = collect(&path, into, depth + 1);
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "json") {
            into.push(path);
        }
    }
    Ok(())
}

/// Parses `paths` in order, on several threads: more than the cores, since
/// a folder not yet in the page cache makes this wait on the disk, and a
/// disk answers several reads at once faster than one after another.
fn parse_all(paths: &[PathBuf]) -> Vec<Result<DayReport, String>> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let threads = (cores * 4).clamp(2, 16);
    let chunk = paths.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = paths
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|p| parse(p)).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|_| vec![Err("could not be read".to_string())])
            })
            .collect()
    })
}

/// One report file, checked.
pub fn parse(path: &Path) -> Result<DayReport, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!("larger than {} KiB", MAX_FILE_BYTES / 1024));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    // The version first, so a newer file says so rather than "invalid".
    #[derive(serde::Deserialize)]
    struct Version {
        schema: u32,
    }
    let version: Version =
        serde_json::from_slice(&bytes).map_err(|e| format!("not a report ({e})"))?;
    if version.schema == 0 || version.schema > SCHEMA {
        return Err(format!(
            "schema {} (this pos-recs reads 1 to {SCHEMA})",
            version.schema
        ));
    }
    let report: DayReport =
        serde_json::from_slice(&bytes).map_err(|e| format!("not a report ({e})"))?;
    if !is_report_name(&report.store) || !is_report_name(&report.till) {
        return Err("its store or till is not a valid name".into());
    }
    if day_start(&report.figures.day).is_none() {
        return Err(format!("{:?} is not a day", report.figures.day));
    }
    let mut report = report;
    check_figures(&report)?;
    clean_text(&mut report);
    Ok(report)
}

/// Every figure within its bounds: counts at most [`MAX_DAY_COUNT`], money
/// and quantities finite, not negative and at most [`MAX_DAY_AMOUNT`].
fn check_figures(report: &DayReport) -> Result<(), String> {
    let f = &report.figures;
    let count = |name: &str, n: u64| {
        if n > MAX_DAY_COUNT {
            Err(format!("{name} {n} is more than a till does in a day"))
        } else {
            Ok(())
        }
    };
    let amount = |name: &str, x: f64| {
        if x.is_finite() && (0.0..=MAX_DAY_AMOUNT).contains(&x) {
            Ok(())
        } else {
            Err(format!("{name} {x} is not a figure of a till's day"))
        }
    };
    count("lookups", f.lookups)?;
    count("sales", f.sales)?;
    count("recommended_lines", f.recommended_lines)?;
    amount("recommended_revenue", f.recommended_revenue)?;
    for s in &f.sources {
        for (name, n) in [
            ("lookups", s.lookups),
            ("answered", s.answered),
            ("shown", s.shown),
            ("opened", s.opened),
            ("to_customer", s.to_customer),
            ("added", s.added),
            ("bought_lines", s.bought_lines),
            ("bought_after_click", s.bought_after_click),
        ] {
            count(name, n)?;
        }
        amount("bought_quantity", s.bought_quantity)?;
        amount("revenue", s.revenue)?;
    }
    for g in &f.groups {
        count("sales", g.sales)?;
        count("priced_sales", g.priced_sales)?;
        for (name, x) in [("value_sum", g.value_sum), ("items_sum", g.items_sum)] {
            amount(name, x)?;
        }
        // Squares of sums up to the bound.
        for (name, x) in [
            ("value_squares", g.value_squares),
            ("items_squares", g.items_squares),
        ] {
            if !(x.is_finite() && (0.0..=MAX_DAY_AMOUNT * MAX_DAY_AMOUNT).contains(&x)) {
                return Err(format!("{name} {x} is not a figure of a till's day"));
            }
        }
    }
    Ok(())
}

/// Text from a report reaches a terminal and a CSV: control characters
/// (escape sequences that clear the screen or set a title) are removed.
fn clean_text(report: &mut DayReport) {
    let clean = |text: &mut String| text.retain(|c| !c.is_control());
    for title in report.titles.values_mut() {
        clean(title);
    }
    for group in &mut report.figures.groups {
        clean(&mut group.period);
        clean(&mut group.group);
    }
    clean(&mut report.app_version);
}

pub use super::table::{By, ChainComparison, Row, Totals, comparison, csv, rows, summary, table};
