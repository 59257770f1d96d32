//! pos-recs: product recommendations for the checkout desk, pulled
//! concurrently from several Yespo data sources.
//!
//! The core (everything but [`ui`]) knows nothing of egui: the GUI, the CLI,
//! the tests and the benchmarks all use the same [`lookup::LookupEngine`].

#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod answer_cache;
pub mod basket;
pub mod chain;
pub mod config;
pub mod demo;
pub mod experiment;
pub mod fleet;
pub mod history;
pub mod icon;
pub mod identify;
pub mod images;
pub use platform::instance;
pub mod logging;
pub mod lookup;
pub mod money;
pub mod net;
pub mod outbox;
pub mod pin;
pub mod pin_guard;
pub mod platform;
pub mod pos_link;
pub mod report;
pub mod sale;
pub mod secret;
pub mod service;
pub mod session;
pub mod setup;
pub mod sqlite_file;
pub mod sync;
pub mod till;
#[cfg(feature = "gui")]
pub mod ui;
pub mod yespo;
