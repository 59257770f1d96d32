//! One till's figures for one day, as sent to the chain.
//!
//! Schema versions:
//! - 1: the What works figures per source (`lookups`, `answered`, `shown`,
//!   `opened`, `to_customer`, `added`).
//! - 2: adds what the recommendations sold per source (`bought_lines`,
//!   `bought_quantity`, `revenue`, `bought_after_click`), the day's `sales`,
//!   `recommended_lines` and `recommended_revenue`, and the comparison
//!   groups as sums (`groups`), so tills and days add up.
//!
//! A reader takes every version up to [`SCHEMA`]; fields a version lacks
//! read as zero.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::history::DayFigures;

/// The schema version this till writes.
pub const SCHEMA: u32 = 2;

/// A day's report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DayReport {
    /// Which schema the file follows.
    pub schema: u32,
    /// The till's app version.
    #[serde(default)]
    pub app_version: String,
    /// The store, as in `[fleet] store`.
    pub store: String,
    /// The till, as in `[fleet] till` (its name in the gateway's token map).
    pub till: String,
    /// When the file was made (unix seconds): of two files for one till
    /// and day, the newer wins.
    #[serde(default)]
    pub made_at: i64,
    /// The sources' titles, by id, as the till had them.
    #[serde(default)]
    pub titles: BTreeMap<u64, String>,
    /// The day and its figures.
    #[serde(flatten)]
    pub figures: DayFigures,
}

impl DayReport {
    /// A report of `figures` for this till.
    pub fn new(
        store: &str,
        till: &str,
        titles: BTreeMap<u64, String>,
        figures: DayFigures,
        made_at: i64,
    ) -> Self {
        Self {
            schema: SCHEMA,
            app_version: env!("CARGO_PKG_VERSION").to_string(),
            store: store.to_string(),
            till: till.to_string(),
            made_at,
            titles,
            figures,
        }
    }

    /// The file's body.
    pub fn to_json(&self) -> Vec<u8> {
        // Plain data (strings and numbers) always serialises.
        serde_json::to_vec(self).unwrap_or_default()
    }
}
