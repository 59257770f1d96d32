//! The configuration's keys, their types and defaults.

use serde::{Deserialize, Serialize};

use super::network::NetworkConfig;
use crate::secret::ApiKey;

/// Allowed `[yespo] timeout_ms`: the file and the settings form use the same range.
pub const TIMEOUT_MS_RANGE: std::ops::RangeInclusive<u64> = 1..=600_000;
/// Allowed `max_cards` of a source, in the file and the form alike.
pub const MAX_CARDS_RANGE: std::ops::RangeInclusive<usize> = 1..=10_000;

/// Most data sources one till asks: every lookup asks them all at once, and
/// a screen shows about this many strips at most.
pub const MAX_SOURCES: usize = 50;

/// Environment variable that overrides `[yespo] till_token`.
pub const TILL_TOKEN_ENV: &str = "POS_RECS_TILL_TOKEN";

/// Environment variable that overrides `[yespo] api_key`.
pub const API_KEY_ENV: &str = "POS_RECS_API_KEY";

/// The whole configuration file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// How to reach the Yespo account.
    pub yespo: YespoConfig,
    /// How cards look.
    pub display: DisplayConfig,
    /// Data sources, in the order the cashier sees them.
    pub sources: Vec<SourceConfig>,
    /// Store-manager settings protection.
    #[serde(skip_serializing_if = "ManagerConfig::is_empty")]
    pub manager: ManagerConfig,
    /// Proxy policy for real hosts.
    #[serde(skip_serializing_if = "NetworkConfig::is_default")]
    pub network: NetworkConfig,
    /// What the till records for the manager's "What works" page.
    #[serde(skip_serializing_if = "HistoryConfig::is_default")]
    pub history: HistoryConfig,
    /// The local API for the POS program on this till (off when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration: Option<IntegrationConfig>,
    /// Sources and display managed centrally by the chain (off when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet: Option<FleetConfig>,
    /// The comparison group (off unless `holdout_percent` is set).
    #[serde(skip_serializing_if = "ExperimentConfig::is_default")]
    pub experiment: ExperimentConfig,
    /// Finished sales sent to Yespo as offline orders (off unless `send`).
    #[serde(skip_serializing_if = "OrdersConfig::is_default")]
    pub orders: OrdersConfig,
}

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
    fn is_empty(&self) -> bool {
        self.pin_hash.is_none()
    }
}

/// `[yespo]`: the account and how to talk to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct YespoConfig {
    /// API root, e.g. `https://yespo.io/api`. Plain http only for loopback hosts.
    pub base_url: String,
    /// The account's API key (secret). `POS_RECS_API_KEY` wins over it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<ApiKey>,
    /// `auth = "gateway"`: this till's token for the chain's gateway (secret).
    /// `POS_RECS_TILL_TOKEN` wins over it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub till_token: Option<ApiKey>,
    /// Which API flow to use.
    pub auth: AuthMode,
    /// Which contact field a discount card number is sent as.
    pub card_identifies_as: CardField,
    /// Country code (digits) for phones typed without one.
    pub default_country_code: String,
    /// Time budget per source request, retries included.
    pub timeout_ms: u64,
    /// Largest answer body accepted from one source.
    pub max_response_bytes: usize,
    /// The file's own key when `POS_RECS_API_KEY` replaced it in memory:
    /// saving writes this one back, so the environment's key never lands on disk.
    #[serde(skip)]
    pub key_in_file: Option<Option<ApiKey>>,
}

impl Default for YespoConfig {
    fn default() -> Self {
        Self {
            base_url: "https://yespo.io/api".into(),
            api_key: None,
            auth: AuthMode::ApiKey,
            card_identifies_as: CardField::ExternalCustomerId,
            default_country_code: "380".into(),
            timeout_ms: 4000,
            max_response_bytes: 8 * 1024 * 1024,
            key_in_file: None,
            till_token: None,
        }
    }
}

/// The API flow used for recommendations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// v2: `GET /v2/contacts/recoms/{id}` with HTTP Basic and the API key.
    ApiKey,
    /// v1: contact token (`ES-TOKEN`) flow.
    ContactToken,
    /// Through a chain's gateway (nginx, `deploy/gateway/`): v2 requests
    /// carrying `Authorization: Bearer <till_token>`; the gateway adds the
    /// account's key, which never reaches the till.
    Gateway,
    /// Through a chain's gateway with the v1 contact-token flow: the gateway
    /// is the "server" the v1 seed asks tokens from. Token and
    /// recommendation requests carry the till's bearer token; the gateway
    /// adds the key to the token request.
    GatewayToken,
}

impl AuthMode {
    /// True when requests go through a chain's gateway with a till token
    /// (and the till holds no key).
    pub fn via_gateway(self) -> bool {
        matches!(self, Self::Gateway | Self::GatewayToken)
    }

    /// True for the v1 contact-token flow (single-use `ES-TOKEN`s).
    pub fn token_flow(self) -> bool {
        matches!(self, Self::ContactToken | Self::GatewayToken)
    }
}

/// The contact field a discount card number is sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CardField {
    /// `externalCustomerId` (string) — the usual choice.
    #[serde(rename = "externalCustomerId")]
    ExternalCustomerId,
    /// `contactId` (a number).
    #[serde(rename = "contactId")]
    ContactId,
}

impl CardField {
    /// The query / JSON parameter name.
    pub fn param(self) -> &'static str {
        match self {
            Self::ExternalCustomerId => "externalCustomerId",
            Self::ContactId => "contactId",
        }
    }
}

/// `[display]`: how product cards are filled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DisplayConfig {
    /// ISO 4217 currency code of the prices.
    pub currency: String,
    /// Item field(s) holding the image URL; the first one present wins.
    pub image_field: FieldList,
    /// Item field with the old (pre-discount) price.
    pub old_price_field: FieldList,
    /// Light or dark screen.
    pub theme: ThemeChoice,
    /// Text and card size factor (1.0 = normal).
    pub text_scale: f32,
    /// Screen language; the system locale's when not set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    /// How the window is drawn.
    #[serde(skip_serializing_if = "is_default")]
    pub renderer: RendererChoice,
    /// A touch-only till: an on-screen keypad under the customer input
    /// (it also appears by itself at the first touch).
    #[serde(skip_serializing_if = "is_default")]
    pub touch: bool,
    /// Kiosk mode: full screen, no window decorations, closing asks for the
    /// manager PIN, the pointer hides when unused.
    #[serde(skip_serializing_if = "is_default")]
    pub kiosk: bool,
    /// A second window for the customer-facing monitor.
    #[serde(skip_serializing_if = "is_default")]
    pub customer_screen: CustomerScreen,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// `[display] renderer`: how the window is drawn. Many tills have no usable
/// GPU (thin clients, VMs, remote desktops) and draw with Mesa's software
/// rasterisers; the two renderers cost different amounts of CPU there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RendererChoice {
    /// The measured best default (see the README's performance table).
    #[default]
    Auto,
    /// wgpu (Vulkan, or GL through wgpu).
    Wgpu,
    /// OpenGL through glow.
    Glow,
}

/// `[display] customer_screen`: where "Show to customer" shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CustomerScreen {
    /// The cashier's own window turns full-screen.
    #[default]
    Off,
    /// A second window, moved once to the customer-facing monitor.
    Window,
}

/// Language of the screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English.
    En,
    /// Ukrainian.
    Uk,
}

/// Screen theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThemeChoice {
    /// Dark text on light background.
    #[default]
    Light,
    /// Light text on dark background.
    Dark,
}

impl Default for DisplayConfig {
    fn default() -> Self {
        Self {
            theme: ThemeChoice::Light,
            text_scale: 1.0,
            language: None,
            renderer: RendererChoice::Auto,
            touch: false,
            kiosk: false,
            customer_screen: CustomerScreen::Off,
            currency: "UAH".into(),
            image_field: FieldList(vec![
                "tags_picture".into(),
                "picture".into(),
                "imageUrl".into(),
            ]),
            old_price_field: FieldList(vec!["tags_oldprice".into()]),
        }
    }
}

/// One field name or a list of them; in TOML either `"a"` or `["a", "b"]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldList(pub Vec<String>);

impl Serialize for FieldList {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => s.serialize_str(one),
            many => many.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for FieldList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        Ok(match OneOrMany::deserialize(d)? {
            OneOrMany::One(s) => FieldList(vec![s]),
            OneOrMany::Many(v) => FieldList(v),
        })
    }
}

/// Recommendation algorithm of a data source (as set up in the Yespo account).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// Alternatives to out-of-stock products.
    OutOfStock,
    /// Also bought (from cart items).
    CrossSell,
    /// You may also like.
    Upsell,
    /// Bestsellers.
    Bestsellers,
    /// Personal, from the customer's history.
    Personal,
    /// Anything made outside Yespo's algorithms.
    #[default]
    Other,
}

impl SourceKind {
    /// All kinds, for selectors.
    pub const ALL: [SourceKind; 6] = [
        Self::OutOfStock,
        Self::CrossSell,
        Self::Upsell,
        Self::Bestsellers,
        Self::Personal,
        Self::Other,
    ];

    /// True for the kinds whose answer does not depend on who the customer
    /// is (bestsellers; alternatives to sold-out items, which depend on the
    /// basket only). Every other kind may be personal, and is never served
    /// from one customer's answer to another.
    pub fn is_shared(self) -> bool {
        matches!(self, Self::Bestsellers | Self::OutOfStock)
    }

    /// A short human label.
    pub fn label(self) -> &'static str {
        match self {
            Self::OutOfStock => "out-of-stock alternatives",
            Self::CrossSell => "also bought",
            Self::Upsell => "you may also like",
            Self::Bestsellers => "bestsellers",
            Self::Personal => "personal",
            Self::Other => "other",
        }
    }
}

/// `[[sources]]`: one Yespo data source shown as one section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// Data source id from the Yespo account.
    pub id: u64,
    /// Section title shown to the cashier.
    #[serde(default)]
    pub title: String,
    /// The algorithm (informational; shown beside the title).
    #[serde(default)]
    pub kind: SourceKind,
    /// Whether the section is shown and asked.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Tag attributes shown on cards, without the `tags_` prefix.
    #[serde(default)]
    pub show_tags: Vec<String>,
    /// At most this many cards.
    #[serde(default = "default_max_cards")]
    pub max_cards: usize,
    /// Whether the basket goes along (default by kind: see [`BasketUse`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basket: Option<BasketUse>,
    /// Whether the answer is the same for every customer (with the same
    /// basket), so the till may keep its last good answer for offline use
    /// (default by kind: see [`SourceKind::is_shared`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared: Option<bool>,
}

/// `basket` of a source: whether the sale's products go along.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BasketUse {
    /// The basket goes along when there is one (default for most kinds).
    Send,
    /// Asked only when the basket has products (default for cross-sell and
    /// sold-out alternatives, which Yespo builds from them).
    Require,
    /// Never sent.
    Never,
}

impl BasketUse {
    /// All choices, for selectors.
    pub const ALL: [BasketUse; 3] = [Self::Send, Self::Require, Self::Never];

    /// The default for a kind of source.
    pub fn default_for(kind: SourceKind) -> Self {
        match kind {
            SourceKind::CrossSell | SourceKind::OutOfStock => Self::Require,
            _ => Self::Send,
        }
    }

    /// The word used in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::Require => "require",
            Self::Never => "never",
        }
    }
}

fn default_true() -> bool {
    true
}

fn default_max_cards() -> usize {
    12
}

impl Default for SourceConfig {
    fn default() -> Self {
        Self {
            id: 0,
            title: String::new(),
            kind: SourceKind::Other,
            enabled: true,
            show_tags: vec![],
            max_cards: default_max_cards(),
            basket: None,
            shared: None,
        }
    }
}

impl SourceConfig {
    /// Whether this source gets the basket: as configured, else by kind.
    pub fn basket_use(&self) -> BasketUse {
        self.basket.unwrap_or(BasketUse::default_for(self.kind))
    }

    /// Whether this source's answer is not the customer's own: as
    /// configured, else by kind. Only such answers are kept for offline use.
    pub fn is_shared(&self) -> bool {
        self.shared.unwrap_or(self.kind.is_shared())
    }

    /// The title, or a fallback naming the id when none was configured.
    pub fn display_title(&self) -> String {
        if self.title.trim().is_empty() {
            format!("Data source {}", self.id)
        } else {
            self.title.clone()
        }
    }
}
