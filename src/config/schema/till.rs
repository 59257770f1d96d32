//! The till's own services: `[history]`, `[orders]`, `[experiment]`,
//! `[fleet]`, `[integration]` (the POS link) and `[manager]`.

use serde::{Deserialize, Serialize};

use crate::secret::ApiKey;

/// `[orders]`: each finished sale becomes a Yespo offline order, so its
/// algorithms learn what the till sells.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrdersConfig {
    /// Send finished sales to Yespo (`POST /v1/orders`).
    pub send: bool,
    /// Yespo's `storeId`; `[fleet] store` when not set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    /// What `items[].cost` is: the line's total or the unit price.
    pub item_cost: ItemCost,
}

impl OrdersConfig {
    /// True when off with nothing set (the section is then not written).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The `storeId` sent: the one set, else the chain's store name.
    pub fn store_id<'a>(&'a self, fleet: Option<&'a FleetConfig>) -> Option<&'a str> {
        self.store_id
            .as_deref()
            .or(fleet.map(|f| f.store.as_str()))
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

/// What an order item's `cost` is (Yespo's documents do not settle it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemCost {
    /// The line's total (price × quantity), as Yespo's WooCommerce plugin sends.
    #[default]
    Line,
    /// The price of one.
    Unit,
}

impl ItemCost {
    /// `line` or `unit`, as in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Line => "line",
            Self::Unit => "unit",
        }
    }
}

/// `[experiment]`: a share of customers is shown no recommendations, to
/// measure what the recommendations add.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExperimentConfig {
    /// Percent of customers kept out, 0 to 50 (0: off).
    pub holdout_percent: u8,
    /// Hex key deciding who is kept out; the chain's file may set it so a
    /// customer is in the same group at every till. Made and kept next to
    /// the history when not given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<crate::secret::ApiKey>,
}

impl ExperimentConfig {
    /// True when off and with no key (the section is then not written).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// `[fleet]`: the chain sets up which sources appear, per store, in one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetConfig {
    /// Where the store's file is, `{store}` replaced: `https://…/stores/{store}.toml`.
    pub config_url: String,
    /// This till's store.
    pub store: String,
    /// How often the file is asked for again, in seconds (default 300).
    #[serde(default = "default_fleet_poll")]
    pub poll_seconds: u64,
    /// This till's name in the gateway's token map. Set, the till sends
    /// the chain its daily figures (see the `chain` module).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub till: Option<String>,
    /// Where the reports go: `{report_url}{store}/{till}/{day}.json`.
    /// Default: the gateway's `/reports/` (the `[yespo] base_url`'s origin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_url: Option<String>,
}

fn default_fleet_poll() -> u64 {
    300
}

impl FleetConfig {
    /// The store's file URL.
    pub fn url(&self) -> String {
        self.config_url.replace("{store}", self.store.trim())
    }

    /// The folder URL the reports are put under (ending in `/`), given the
    /// gateway's API base (`https://gateway…/api`); `None` when the till
    /// sends no reports (no `till` name).
    pub fn report_base(&self, gateway_api: &str) -> Option<String> {
        self.till.as_ref()?;
        let base = match &self.report_url {
            Some(url) => url.trim().to_string(),
            None => {
                let mut url = url::Url::parse(gateway_api.trim()).ok()?;
                url.set_path("/reports/");
                url.set_query(None);
                url.to_string()
            }
        };
        Some(if base.ends_with('/') {
            base
        } else {
            format!("{base}/")
        })
    }
}

/// True for a store or till name that can be a report's path segment.
pub fn is_report_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `[history]`: the record of what each source showed and sold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HistoryConfig {
    /// Record at all.
    pub enabled: bool,
    /// Days rows are kept.
    pub retention_days: u32,
    /// Days a sale's `sale_id` is remembered, so that the POS sending it
    /// again is answered as a repeat and never counted twice (at least 30).
    pub receipt_days: u32,
    /// The SQLite file; the platform data dir's `pos-recs/history.sqlite3` when not set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<std::path::PathBuf>,
}

/// History rows are kept this many days unless configured otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;
/// A `sale_id` is remembered this many days unless configured otherwise;
/// it is also the least allowed.
pub const DEFAULT_RECEIPT_DAYS: u32 = 30;

/// The platform data dir's `pos-recs/history.sqlite3`.
pub fn default_history_path() -> Option<std::path::PathBuf> {
    directories::ProjectDirs::from("", "", "pos-recs").map(|d| d.data_dir().join("history.sqlite3"))
}

/// The largest share of customers that may be kept out (`[experiment]`).
pub const MAX_HOLDOUT_PERCENT: u8 = 50;

/// `[experiment] key` is not 32 to 128 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be 32 to 128 hexadecimal digits")]
pub struct BadKey;

/// Reads a key given as hex (`[experiment] key`).
pub fn parse_hex_key(hex: &str) -> Result<Vec<u8>, BadKey> {
    let hex = hex.trim();
    if !(32..=128).contains(&hex.len()) || !hex.len().is_multiple_of(2) {
        return Err(BadKey);
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| BadKey))
        .collect()
}

impl Default for HistoryConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            retention_days: DEFAULT_RETENTION_DAYS,
            receipt_days: DEFAULT_RECEIPT_DAYS,
            path: None,
        }
    }
}

impl HistoryConfig {
    /// True when everything is at its default (the section is then not written).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The file to use.
    pub fn file(&self) -> Option<std::path::PathBuf> {
        self.path.clone().or_else(default_history_path)
    }
}

/// Environment variable that overrides `[integration] token`.
pub const INTEGRATION_TOKEN_ENV: &str = "POS_RECS_INTEGRATION_TOKEN";

/// `[integration]`: the local API the POS program beside us talks to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationConfig {
    /// Where to listen: a loopback address and port, e.g. `127.0.0.1:7645`.
    pub listen: String,
    /// The bearer token the POS must send (or `POS_RECS_INTEGRATION_TOKEN`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<ApiKey>,
}

/// Why `[integration] listen` cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ListenError {
    /// Not `address:port`.
    #[error("must be an address and port, e.g. \"127.0.0.1:7645\"")]
    NotAnAddress,
    /// Reachable from the store's network.
    #[error("only loopback addresses (127.0.0.1, ::1) may listen")]
    NotLoopback,
}

impl IntegrationConfig {
    /// The address to listen on, refused unless it is loopback: the API
    /// drives the till and must not be reachable from the store's network.
    pub fn address(&self) -> Result<std::net::SocketAddr, ListenError> {
        let addr: std::net::SocketAddr = self
            .listen
            .trim()
            .parse()
            .map_err(|_| ListenError::NotAnAddress)?;
        if !addr.ip().is_loopback() {
            return Err(ListenError::NotLoopback);
        }
        Ok(addr)
    }

    /// The token: the environment's when set, else the file's.
    pub fn token(&self) -> Option<ApiKey> {
        std::env::var(INTEGRATION_TOKEN_ENV)
            .ok()
            .filter(|t| !t.trim().is_empty())
            .map(|t| ApiKey::new(t.trim()))
            .or_else(|| self.token.clone())
            .filter(|t| !t.expose().trim().is_empty())
    }
}

/// `[manager]`: protects the settings screen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ManagerConfig {
    /// Argon2 hash (PHC string) of the manager PIN; none until first set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin_hash: Option<String>,
}

impl ManagerConfig {
    /// No PIN set: the section is left out of a saved file.
    pub(super) fn is_empty(&self) -> bool {
        self.pin_hash.is_none()
    }
}
