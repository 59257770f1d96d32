//! The manager's "What works" report as service operations: a period's
//! figures read from the till's history, and the same written as CSV, both
//! blocking (a front end runs them off its frame).

use std::path::Path;

use crate::history::{Figures, HistoryError};

/// Why the report could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The history could not be read.
    #[error("{0}")]
    History(#[from] HistoryError),
    /// The CSV file could not be written.
    #[error("{0}")]
    Write(#[from] std::io::Error),
}

/// The figures of the last `days` days in the history at `file`.
pub fn report_figures(file: &Path, days: u32) -> Result<Figures, ReportError> {
    Ok(Figures::read(file, days)?)
}

/// Writes `figures` to `path` as `pos-recs stats --csv` prints them.
pub fn export_report_csv(figures: &Figures, path: &Path) -> Result<(), ReportError> {
    crate::config::write_atomically(path, figures.csv().as_bytes())?;
    Ok(())
}
