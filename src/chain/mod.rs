//! The chain's report: every till sends its daily figures through the
//! chain's gateway, and one command reads them all.
//!
//! - [`report`]: what a day's file holds (JSON with a schema version; no
//!   customer, no hash of one, no token).
//! - [`upload`]: the till's side: which days are due, the queue kept across
//!   restarts, `PUT {report_url}{store}/{till}/{day}.json` with back-off.
//! - [`read`]: `pos-recs stats --chain DIR`: a folder of those files (the
//!   gateway's, or a copy) read, checked and de-duplicated;
//! - [`table`]: the chain's table made of them, as text or CSV.
//!
//! The gateway stores the files with nginx's own WebDAV module
//! (`deploy/gateway/`, `docs/chain.md`); there is no collector server.

pub mod read;
pub mod report;
pub mod table;
pub mod upload;

/// Now, in unix seconds.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
