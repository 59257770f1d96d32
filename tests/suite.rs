//! The integration tests, one binary: each file below is a module named
//! after it (`cargo nextest run -E 'test(/^gateway::/)'` runs one file's).
//! One binary, not one per file: each would link the whole app again.
//!
//! The files that drive the window need the `gui` feature; those that drive
//! Unix-only tools (signals, Xvfb, dpkg, Wine) say so in their own first
//! lines.

mod common;

mod basket;
mod chain;
mod cli;
mod faults;
mod fleet;
mod gateway;
mod gateway_till;
mod hardening;
mod history;
mod images;
mod lookup;
mod offline;
mod offline_sales;
mod orders;
mod package;
#[cfg(feature = "gui")]
mod pos_link;
mod pos_link_edges;
mod pos_service;
mod sale_path;
mod sales;
mod send;
mod serve;
#[cfg(feature = "gui")]
mod settings_ui;
mod soak;
mod till;
#[cfg(feature = "gui")]
mod ui;
#[cfg(feature = "gui")]
mod what_works;
mod window;
mod windows;
