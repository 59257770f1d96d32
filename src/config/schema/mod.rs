//! The configuration's keys, their types and defaults: the file as a whole,
//! `[yespo]` and `[display]` here; the data sources in `sources`, the till's
//! own services (history, orders, experiment, fleet, POS link, manager) in `till`.

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

mod sources;
mod till;

pub use sources::*;
pub use till::*;
