//! The TOML configuration file: schema, defaults, validation, loading and
//! atomic saving.
//!
//! Unknown keys are errors naming the key and its line; missing keys take
//! defaults. The API key may come from `POS_RECS_API_KEY`, which wins over
//! the file. See `shared/spec/product.md`, "Configuration file".

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::net::NetworkConfig;
use crate::secret::ApiKey;

/// Allowed `[yespo] timeout_ms`: the file and the settings form use the same range.
pub const TIMEOUT_MS_RANGE: std::ops::RangeInclusive<u64> = 1..=600_000;
/// Allowed `max_cards` of a source, in the file and the form alike.
pub const MAX_CARDS_RANGE: std::ops::RangeInclusive<usize> = 1..=10_000;

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
    /// The local API for the POS program on this till (off when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration: Option<IntegrationConfig>,
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

impl IntegrationConfig {
    /// The address to listen on, refused unless it is loopback: the API
    /// drives the till and must not be reachable from the store's network.
    pub fn address(&self) -> Result<std::net::SocketAddr, String> {
        let addr: std::net::SocketAddr = self
            .listen
            .trim()
            .parse()
            .map_err(|_| "must be an address and port, e.g. \"127.0.0.1:7645\"".to_string())?;
        if !addr.ip().is_loopback() {
            return Err("only loopback addresses (127.0.0.1, ::1) may listen".into());
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
        }
    }
}

impl SourceConfig {
    /// Whether this source gets the basket: as configured, else by kind.
    pub fn basket_use(&self) -> BasketUse {
        self.basket.unwrap_or(BasketUse::default_for(self.kind))
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

/// Why a configuration cannot be used. Messages name the file, key and line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown keys / wrong types.
    #[error("config {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// One line: position and what is wrong.
        message: String,
    },
    /// A value is syntactically fine but not usable.
    #[error("config {path}: {message}")]
    Invalid {
        /// The file (or `<memory>`).
        path: PathBuf,
        /// Which key and why.
        message: String,
    },
    /// Saving failed.
    #[error("cannot save config {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Where the configuration came from, for the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigOrigin {
    /// Loaded from this file.
    File(PathBuf),
    /// No file: the built-in demo data source is used.
    Demo,
}

impl fmt::Display for ConfigOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(p) => write!(f, "{}", p.display()),
            Self::Demo => f.write_str("Demo data"),
        }
    }
}

/// The platform's default config file path (`…/pos-recs/config.toml`).
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "pos-recs").map(|d| d.config_dir().join("config.toml"))
}

impl Config {
    /// Parses TOML text. `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: describe_toml_error(&e, text),
        })?;
        config.validate().map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(config)
    }

    /// Reads and validates a file, then applies the environment override.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        warn_if_readable_by_others(path);
        let mut config = Self::parse(&text, path)?;
        config.apply_env();
        config
            .check_credentials()
            .map_err(|message| ConfigError::Invalid {
                path: path.to_path_buf(),
                message,
            })?;
        Ok(config)
    }

    /// `POS_RECS_API_KEY` (when set and non-empty) replaces the file's key.
    pub fn apply_env(&mut self) {
        if let Ok(key) = std::env::var(API_KEY_ENV)
            && !key.trim().is_empty()
        {
            let file_key = self.yespo.api_key.replace(ApiKey::new(key.trim()));
            self.yespo.key_in_file = Some(file_key);
        }
    }

    /// Refuses a configuration that would send every request without a
    /// key: each source would fail with 401 and the cause stay hidden.
    pub fn check_credentials(&self) -> Result<(), String> {
        let has_key = self
            .yespo
            .api_key
            .as_ref()
            .is_some_and(|k| !k.expose().trim().is_empty());
        if !has_key {
            return Err(format!(
                "[yespo] api_key: missing; set api_key in the file or {API_KEY_ENV}"
            ));
        }
        if let Some(integration) = &self.integration
            && integration.token().is_none()
        {
            return Err(format!(
                "[integration] token: missing; set token in the file or {INTEGRATION_TOKEN_ENV}"
            ));
        }
        Ok(())
    }

    /// The enabled sources, in configured order.
    pub fn enabled_sources(&self) -> impl Iterator<Item = &SourceConfig> {
        self.sources.iter().filter(|s| s.enabled)
    }

    /// Checks values that parse but cannot work. Returns one line naming the key.
    pub fn validate(&self) -> Result<(), String> {
        check_base_url(&self.yespo.base_url).map_err(|e| format!("[yespo] base_url: {e}"))?;
        self.network
            .proxy
            .check()
            .map_err(|e| format!("[network] proxy: {e}"))?;
        if let Some(integration) = &self.integration {
            integration
                .address()
                .map_err(|e| format!("[integration] listen: {e}"))?;
        }
        if !is_country_code(&self.yespo.default_country_code) {
            return Err("[yespo] default_country_code: must be 1-3 digits, e.g. \"380\"".into());
        }
        if !TIMEOUT_MS_RANGE.contains(&self.yespo.timeout_ms) {
            return Err(format!(
                "[yespo] timeout_ms: must be between {} and {}",
                TIMEOUT_MS_RANGE.start(),
                TIMEOUT_MS_RANGE.end()
            ));
        }
        if self.yespo.max_response_bytes < 1024 {
            return Err("[yespo] max_response_bytes: must be at least 1024".into());
        }
        if !is_currency_code(&self.display.currency) {
            return Err("[display] currency: must be a 3-letter ISO code, e.g. \"UAH\"".into());
        }
        if !(0.75..=2.0).contains(&self.display.text_scale) {
            return Err("[display] text_scale: must be between 0.75 and 2.0".into());
        }
        let mut seen = std::collections::HashSet::new();
        for (i, s) in self.sources.iter().enumerate() {
            if !seen.insert(s.id) {
                return Err(format!("[[sources]] #{}: id {} appears twice", i + 1, s.id));
            }
            if !MAX_CARDS_RANGE.contains(&s.max_cards) {
                return Err(format!(
                    "[[sources]] #{} (id {}): max_cards must be {}-{}",
                    i + 1,
                    s.id,
                    MAX_CARDS_RANGE.start(),
                    MAX_CARDS_RANGE.end()
                ));
            }
        }
        Ok(())
    }

    /// Serialises to TOML. The API key is included, except one that came
    /// from the environment: then the file's own key (if any) is written.
    pub fn to_toml(&self) -> Result<String, String> {
        match &self.yespo.key_in_file {
            Some(file_key) => {
                let mut copy = self.clone();
                copy.yespo.api_key = file_key.clone();
                copy.yespo.key_in_file = None;
                toml::to_string_pretty(&copy).map_err(|e| e.to_string())
            }
            None => toml::to_string_pretty(self).map_err(|e| e.to_string()),
        }
    }

    /// Writes the file atomically (temp file + rename in the same folder),
    /// with permissions 0600 on Unix.
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        let text = self.to_toml().map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        })?;
        let write_error = |source| ConfigError::Write {
            path: path.to_path_buf(),
            source,
        };
        let _lock = SaveLock::take(path).map_err(write_error)?;
        write_atomically(path, text.as_bytes()).map_err(write_error)
    }
}

impl Config {
    /// Saves like [`Config::save`], but when the file exists, keeps what a
    /// person wrote there: comments, key order and formatting of the
    /// `[yespo]`, `[display]` and `[manager]` keys survive; only changed
    /// values are replaced. `[[sources]]` is rewritten as a whole (its
    /// comments are lost), because sources are added, removed and reordered.
    pub fn save_preserving(&self, path: &Path) -> Result<(), ConfigError> {
        let fresh = self.to_toml().map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        })?;
        let write_error = |source| ConfigError::Write {
            path: path.to_path_buf(),
            source,
        };
        // Read, merge and write under one lock: a save that started later
        // merges into what the earlier one wrote.
        let _lock = SaveLock::take(path).map_err(write_error)?;
        let text = std::fs::read_to_string(path)
            .ok()
            .and_then(|old| merge_toml(&old, &fresh))
            .unwrap_or(fresh);
        write_atomically(path, text.as_bytes()).map_err(write_error)
    }
}

/// Puts the values of `fresh` into the document `old`, keeping `old`'s
/// comments and layout. `None` when `old` is not valid TOML.
fn merge_toml(old: &str, fresh: &str) -> Option<String> {
    use toml_edit::{DocumentMut, Item};
    let mut doc: DocumentMut = old.parse().ok()?;
    let new: DocumentMut = fresh.parse().ok()?;
    for section in ["yespo", "display", "manager", "network", "integration"] {
        let Some(new_table) = new.get(section).and_then(Item::as_table) else {
            doc.remove(section);
            continue;
        };
        let table = doc
            .entry(section)
            .or_insert(toml_edit::table())
            .as_table_mut()?;
        let stale: Vec<String> = table
            .iter()
            .map(|(k, _)| k.to_string())
            .filter(|k| !new_table.contains_key(k))
            .collect();
        for key in stale {
            table.remove(&key);
        }
        for (key, item) in new_table.iter() {
            match (table.get_mut(key), item.as_value()) {
                (Some(Item::Value(old_value)), Some(new_value)) => {
                    // Same value: leave the text exactly as written.
                    if old_value.to_string().trim() != new_value.to_string().trim() {
                        let decor = old_value.decor().clone();
                        *old_value = new_value.clone();
                        *old_value.decor_mut() = decor;
                    }
                }
                _ => {
                    table.insert(key, item.clone());
                }
            }
        }
    }
    match new.get("sources") {
        Some(sources) => doc["sources"] = sources.clone(),
        None => {
            doc.remove("sources");
        }
    }
    Some(doc.to_string())
}

/// The `[[sources]]` part of a configuration, for copying one shop's setup
/// to other tills. Holds no secrets (no key, no PIN).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourcesExport {
    /// The sources, in order.
    pub sources: Vec<SourceConfig>,
}

impl SourcesExport {
    /// TOML text of the sources.
    pub fn to_toml(&self) -> Result<String, String> {
        toml::to_string_pretty(self).map_err(|e| e.to_string())
    }

    /// Parses and checks exported sources (unknown keys and duplicate ids refused).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let export: SourcesExport = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: describe_toml_error(&e, text),
        })?;
        let probe = Config {
            sources: export.sources.clone(),
            ..Config::default()
        };
        probe.validate().map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(export)
    }
}

/// Writes `bytes` to `path` via a temp file in the same folder, fsync and
/// rename, so a crash never leaves a half-written file. 0600 on Unix.
///
/// A symlinked file stays a symlink: its target is written. The folder is
/// synced after the rename so the new name survives a power cut.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let path = resolve_symlinks(path)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(&path).map_err(|e| e.error)?;
    sync_dir(&dir)
}

/// Follows a chain of symlinks (at most 16) to the file they name; the
/// file itself need not exist yet.
fn resolve_symlinks(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..16 {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(parent) if target.is_relative() => parent.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// fsync of a folder, so a rename in it is durable (a no-op off Unix).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Holds an exclusive lock on `<config>.lock` while a save reads, merges
/// and writes, so two saves (two windows, or the window and a script) never
/// lose each other's update.
struct SaveLock(#[allow(dead_code)] std::fs::File);

impl SaveLock {
    fn take(config: &Path) -> std::io::Result<Self> {
        let config = resolve_symlinks(config)?;
        let mut name = config.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        let path = config.with_file_name(name);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok(Self(file))
    }
}

/// A country calling code: 1-3 digits, not starting with 0.
pub fn is_country_code(code: &str) -> bool {
    (1..=3).contains(&code.len())
        && code.chars().all(|c| c.is_ascii_digit())
        && !code.starts_with('0')
}

/// An ISO 4217-shaped currency code: three letters.
pub fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic())
}

/// Refuses URLs that cannot work or would send the key in clear text.
pub fn check_base_url(raw: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(raw.trim()).map_err(|e| format!("not a URL ({e})"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => return Err("plain http is only allowed for loopback hosts; use https".into()),
        other => return Err(format!("unsupported scheme {other:?}; use https")),
    }
    if url.host().is_none() {
        return Err("it has no host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("credentials in the URL are not allowed; use api_key".into());
    }
    Ok(url)
}

/// True for `localhost` and loopback IP addresses.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Keys whose values are secrets: a message about them never repeats the value.
const SECRET_KEYS: [&str; 4] = ["api_key", "pin_hash", "token", "till_token"];

/// Turns toml's multi-line report into one line: `line L, column C: message`.
/// toml quotes the offending value ("invalid type: integer `123…`"); for a
/// secret key the message names the key and says what is expected instead.
fn describe_toml_error(err: &toml::de::Error, text: &str) -> String {
    let message = err.message().trim().replace('\n', " ");
    match err.span() {
        Some(span) => {
            let start = text.floor_char_boundary(span.start.min(text.len()));
            let before = &text[..start];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let key = text
                .lines()
                .nth(line - 1)
                .and_then(|l| l.split_once('='))
                .map(|(k, _)| k.trim().trim_matches('"'))
                .filter(|k| SECRET_KEYS.contains(k));
            match key {
                Some(key) => format!(
                    "line {line}, column {column}: {key} must be a quoted string (its value is not shown)"
                ),
                None => format!("line {line}, column {column}: {message}"),
            }
        }
        None => message,
    }
}

/// True when users other than the owner may read the file (Unix).
pub fn readable_by_others(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// The API key opens the whole customer base: say so when others can read it.
fn warn_if_readable_by_others(path: &Path) {
    if readable_by_others(path) {
        tracing::warn!(
            "config {} is readable by other users; run: chmod 600 {}",
            path.display(),
            path.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_EXAMPLE: &str = r#"
[yespo]
base_url = "https://yespo.io/api"
api_key = "secret-key-1234"
auth = "api_key"
card_identifies_as = "externalCustomerId"
default_country_code = "380"
timeout_ms = 4000

[display]
currency = "UAH"
image_field = "tags_picture"
old_price_field = "tags_oldprice"

[[sources]]
id = 1244
title = "You may also like"
kind = "upsell"
enabled = true
show_tags = ["gender", "clear_size"]
max_cards = 12
"#;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("test.toml"))
    }

    #[test]
    fn the_spec_example_parses() {
        let c = parse(SPEC_EXAMPLE).unwrap();
        assert_eq!(c.sources[0].id, 1244);
        assert_eq!(c.sources[0].kind, SourceKind::Upsell);
        assert_eq!(c.sources[0].show_tags, ["gender", "clear_size"]);
        assert_eq!(c.display.image_field.0, ["tags_picture"]);
        assert_eq!(
            c.yespo.api_key.as_ref().map(|k| k.expose()),
            Some("secret-key-1234")
        );
    }

    #[test]
    fn missing_keys_take_defaults() {
        let c = parse("[[sources]]\nid = 7\n").unwrap();
        assert_eq!(c.yespo.timeout_ms, 4000);
        assert_eq!(c.yespo.base_url, "https://yespo.io/api");
        assert!(c.sources[0].enabled);
        assert_eq!(c.sources[0].max_cards, 12);
        assert_eq!(c.sources[0].display_title(), "Data source 7");
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let err = parse("[yespo]\ntimeout_ms = 100\ncolour = \"red\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("colour"), "{err}");
        assert!(err.contains("line 3"), "{err}");
        assert!(!err.contains('\n'), "one line expected: {err}");
    }

    #[test]
    fn unknown_key_in_a_source_is_named() {
        let err = parse("[[sources]]\nid = 1\n\n[[sources]]\nid = 2\ntitel = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("titel") && err.contains("line 6"), "{err}");
    }

    #[test]
    fn plain_http_only_for_loopback() {
        assert!(parse("[yespo]\nbase_url = \"http://127.0.0.1:8080/api\"\n").is_ok());
        assert!(parse("[yespo]\nbase_url = \"http://localhost/api\"\n").is_ok());
        assert!(parse("[yespo]\nbase_url = \"http://[::1]:9/api\"\n").is_ok());
        let err = parse("[yespo]\nbase_url = \"http://yespo.io/api\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("base_url") && err.contains("https"), "{err}");
        assert!(parse("[yespo]\nbase_url = \"ftp://x/api\"\n").is_err());
    }

    #[test]
    fn bad_values_are_named() {
        let err = parse("[yespo]\ntimeout_ms = 0\n").unwrap_err().to_string();
        assert!(err.contains("timeout_ms"), "{err}");
        let err = parse("[[sources]]\nid = 1\n[[sources]]\nid = 1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("twice"), "{err}");
        let err = parse("[yespo]\nauth = \"password\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn image_field_may_be_a_list() {
        let c = parse("[display]\nimage_field = [\"picture\", \"tags_picture\"]\n").unwrap();
        assert_eq!(c.display.image_field.0, ["picture", "tags_picture"]);
    }

    #[test]
    fn debug_output_never_contains_the_key() {
        let c = parse(SPEC_EXAMPLE).unwrap();
        assert!(!format!("{c:?}").contains("secret-key-1234"));
    }

    #[test]
    fn a_key_from_the_environment_is_never_written_to_the_file() {
        let mut c = parse(SPEC_EXAMPLE).unwrap();
        // What apply_env does when POS_RECS_API_KEY is set.
        let file_key = c.yespo.api_key.replace(ApiKey::new("from-the-environment"));
        c.yespo.key_in_file = Some(file_key);
        let text = c.to_toml().unwrap();
        assert!(!text.contains("from-the-environment"), "{text}");
        assert!(text.contains("secret-key-1234"), "{text}");
    }

    #[test]
    fn saving_over_a_hand_written_file_keeps_its_comments() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let hand = "# Till 3, front desk\n[yespo]\n# ask Olena before changing\nbase_url = \"https://yespo.io/api\"\napi_key = \"k\"\ntimeout_ms = 4000 # seconds matter\n\n[[sources]]\nid = 1\n";
        std::fs::write(&path, hand).unwrap();
        let mut c = Config::load(&path).unwrap();
        c.yespo.timeout_ms = 2500;
        c.sources.push(SourceConfig {
            id: 2,
            title: "Two".into(),
            ..SourceConfig::default()
        });
        c.save_preserving(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        for kept in [
            "# Till 3, front desk",
            "# ask Olena before changing",
            "# seconds matter",
        ] {
            assert!(text.contains(kept), "{kept:?} lost:\n{text}");
        }
        assert!(text.contains("timeout_ms = 2500"), "{text}");
        assert_eq!(Config::parse(&text, &path).unwrap(), c);
    }

    #[test]
    fn exported_sources_hold_no_secrets_and_import_back() {
        let mut c = parse(SPEC_EXAMPLE).unwrap();
        c.manager.pin_hash = Some("$argon2id$secret".into());
        let text = SourcesExport {
            sources: c.sources.clone(),
        }
        .to_toml()
        .unwrap();
        assert!(!text.contains("secret"), "{text}");
        let back = SourcesExport::parse(&text, Path::new("x.toml")).unwrap();
        assert_eq!(back.sources, c.sources);
        assert!(
            SourcesExport::parse("[[sources]]\nid = 1\n[[sources]]\nid = 1\n", Path::new("x"))
                .is_err()
        );
        assert!(SourcesExport::parse("[yespo]\n", Path::new("x")).is_err());
    }

    #[test]
    fn save_is_atomic_private_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/config.toml");
        let c = parse(SPEC_EXAMPLE).unwrap();
        c.save(&path).unwrap();
        let back = Config::parse(&std::fs::read_to_string(&path).unwrap(), &path).unwrap();
        assert_eq!(back, c);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| !e.file_name().to_string_lossy().ends_with(".lock"))
            .collect();
        assert_eq!(leftovers.len(), 1, "temp file left behind");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_config_stays_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("shared/real.toml");
        std::fs::create_dir_all(real.parent().unwrap()).unwrap();
        std::fs::write(&real, "[[sources]]\nid = 1\n").unwrap();
        let link = dir.path().join("config.toml");
        std::os::unix::fs::symlink("shared/real.toml", &link).unwrap();
        let mut c = parse(SPEC_EXAMPLE).unwrap();
        c.yespo.timeout_ms = 1234;
        c.save_preserving(&link).unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink(),
            "the link was replaced by a file"
        );
        let text = std::fs::read_to_string(&real).unwrap();
        assert!(text.contains("timeout_ms = 1234"), "{text}");
    }

    #[test]
    fn a_save_waits_for_the_one_already_under_way() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        parse(SPEC_EXAMPLE).unwrap().save(&path).unwrap();
        // Another save holds the lock (reading and merging).
        let held = SaveLock::take(&path).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let target = path.clone();
        std::thread::spawn(move || {
            let mut c = parse(SPEC_EXAMPLE).unwrap();
            c.yespo.timeout_ms = 777;
            tx.send(c.save_preserving(&target).is_ok()).unwrap();
        });
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(300))
                .is_err(),
            "the second save did not wait for the lock"
        );
        drop(held);
        assert_eq!(
            rx.recv_timeout(std::time::Duration::from_secs(10)),
            Ok(true)
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("timeout_ms = 777"), "{text}");
    }
}
