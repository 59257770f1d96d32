//! `[[sources]]`: the Yespo data sources a till asks, and how each one
//! uses the basket.

use serde::{Deserialize, Serialize};

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
