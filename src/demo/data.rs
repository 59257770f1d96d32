//! The demo feed (`assets/demo/`), embedded in the binary so the demo works
//! from any folder, and the rules that pick a customer's recommendations.

use std::hash::{DefaultHasher, Hash, Hasher};

use serde::Deserialize;
use serde_json::Value;

use crate::config::{Config, DisplayConfig, FieldList, SourceConfig, SourceKind, YespoConfig};

const PRODUCTS_JSON: &str = include_str!("../../assets/demo/products.json");
const SOURCES_JSON: &str = include_str!("../../assets/demo/sources.json");

/// Placeholder in the feed's image URLs for the server's own address.
pub const BASE_PLACEHOLDER: &str = "{{BASE}}";

/// A demo data source as described in `sources.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct DemoSource {
    /// Data source id.
    pub id: u64,
    /// Section title.
    pub title: String,
    /// Algorithm kind.
    pub kind: SourceKind,
    /// Tags the demo config shows on cards.
    pub show_tags: Vec<String>,
    /// Whether answers depend on the customer (empty for unknown customers).
    pub personal: bool,
    /// Product ids, in recommendation order.
    pub products: Vec<String>,
    /// Shown in the demo configuration (large catalogue sources are for benchmarks).
    #[serde(default = "shown_by_default")]
    pub enabled: bool,
}

fn shown_by_default() -> bool {
    true
}

/// The parsed demo feed.
#[derive(Debug, Clone)]
pub struct DemoFeed {
    /// All items, as raw JSON objects (the server sends them as they are).
    pub items: Vec<Value>,
    /// The data sources.
    pub sources: Vec<DemoSource>,
}

impl DemoFeed {
    /// Parses the embedded feed. The files are part of the binary and
    /// checked by tests, so failure here means a broken build.
    pub fn embedded() -> Result<Self, serde_json::Error> {
        Ok(Self {
            items: serde_json::from_str(PRODUCTS_JSON)?,
            sources: serde_json::from_str(SOURCES_JSON)?,
        })
    }

    /// The items data source `id` recommends to the customer `who` (the
    /// identifier value), or `None` for an unknown data source.
    ///
    /// Personal sources rotate by customer so different customers see
    /// different cards; customers whose identifier ends in `0000`, and
    /// addresses at the reserved `.invalid` domain, are "unknown" and get
    /// nothing from personal sources.
    ///
    /// Cross-sell and sold-out-alternative sources answer from the basket,
    /// as Yespo's algorithms do: nothing without products, otherwise their
    /// own list without the basket's items, chosen by what is in it (and by
    /// the category, when one is given and matches).
    pub fn recommend(
        &self,
        id: u64,
        who: &str,
        base: &str,
        basket: &DemoBasket,
    ) -> Option<Vec<Value>> {
        let source = self.sources.iter().find(|s| s.id == id)?;
        let mut ids = source.products.clone();
        if matches!(source.kind, SourceKind::CrossSell | SourceKind::OutOfStock) {
            if basket.products.is_empty() {
                return Some(vec![]);
            }
            ids.retain(|p| !basket.products.contains(p));
            let mut h = DefaultHasher::new();
            basket.products.hash(&mut h);
            let len = ids.len().max(1);
            ids.rotate_left((h.finish() % len as u64) as usize);
            if let Some(category) = &basket.category {
                let in_category: Vec<String> = ids
                    .iter()
                    .filter(|pid| {
                        self.item(pid)
                            .and_then(|item| item.get("category"))
                            .is_some_and(|c| c.to_string().contains(category.as_str()))
                    })
                    .cloned()
                    .collect();
                if !in_category.is_empty() {
                    ids = in_category;
                }
            }
        }
        if source.personal {
            if is_unknown_customer(who) {
                return Some(vec![]);
            }
            let mut h = DefaultHasher::new();
            who.hash(&mut h);
            let len = ids.len().max(1);
            ids.rotate_left((h.finish() % len as u64) as usize);
        }
        Some(
            ids.iter()
                .filter_map(|pid| self.item(pid))
                .map(|item| with_base(item, base))
                .collect(),
        )
    }

    fn item(&self, id: &str) -> Option<&Value> {
        self.items.iter().find(|item| match item.get("id") {
            Some(Value::String(s)) => s == id,
            Some(Value::Number(n)) => n.to_string() == id,
            _ => false,
        })
    }

    /// The item whose picture URL names `file` (e.g. `SKU-1001.png`), to draw it.
    pub fn item_with_picture(&self, file: &str) -> Option<&Value> {
        let suffix = format!("/images/{file}");
        self.items.iter().find(|item| {
            item.get("tags_picture")
                .and_then(Value::as_str)
                .is_some_and(|url| url.ends_with(&suffix))
        })
    }

    /// A configuration that points at a demo server at `base_url`, with every demo source enabled.
    pub fn config(&self, base_url: &str) -> Config {
        Config {
            yespo: YespoConfig {
                base_url: base_url.to_string(),
                timeout_ms: 4000,
                // The demo shop takes any key unless told otherwise; a real
                // account without one is a configuration error.
                api_key: Some(crate::secret::ApiKey::new(DEMO_API_KEY)),
                ..YespoConfig::default()
            },
            display: DisplayConfig {
                currency: "UAH".into(),
                image_field: FieldList(vec!["tags_picture".into()]),
                old_price_field: FieldList(vec!["tags_oldprice".into()]),
                ..DisplayConfig::default()
            },
            sources: self
                .sources
                .iter()
                .map(|s| SourceConfig {
                    id: s.id,
                    title: s.title.clone(),
                    kind: s.kind,
                    enabled: s.enabled,
                    show_tags: s.show_tags.clone(),
                    max_cards: 6,
                    basket: None,
                    // Said only where the feed differs from the kind's default.
                    shared: (s.personal == s.kind.is_shared()).then_some(!s.personal),
                })
                .collect(),
            manager: Default::default(),
            network: Default::default(),
            integration: None,
            history: Default::default(),
            orders: Default::default(),
            fleet: None,
            experiment: Default::default(),
        }
    }
}

/// The basket a demo request carried.
#[derive(Debug, Clone, Default)]
pub struct DemoBasket {
    /// Product ids, in order.
    pub products: Vec<String>,
    /// The category key, if any.
    pub category: Option<String>,
}

/// Customers the demo shop does not know: identifiers ending in `0000`, and
/// addresses at the reserved `.invalid` domain (the account test's customer).
pub fn is_unknown_customer(who: &str) -> bool {
    who.ends_with("0000") || who.ends_with(".invalid")
}

/// The key the demo configuration carries (the demo shop accepts any).
pub const DEMO_API_KEY: &str = "demo-key";

/// Replaces the base placeholder in string fields.
fn with_base(item: &Value, base: &str) -> Value {
    match item {
        Value::String(s) if s.contains(BASE_PLACEHOLDER) => {
            Value::String(s.replace(BASE_PLACEHOLDER, base))
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), with_base(v, base)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_feed_is_rich_enough() {
        let feed = DemoFeed::embedded().unwrap();
        assert!(feed.items.len() >= 40, "{} products", feed.items.len());
        assert!(feed.sources.len() >= 5);
        let kinds: std::collections::HashSet<_> = feed.sources.iter().map(|s| s.kind).collect();
        assert!(kinds.len() >= 5, "one source per kind expected");
        for s in &feed.sources {
            for pid in &s.products {
                assert!(
                    feed.item(pid).is_some(),
                    "source {} names unknown product {pid}",
                    s.id
                );
            }
        }
    }

    #[test]
    fn personal_sources_differ_by_customer_and_are_empty_for_unknown() {
        let feed = DemoFeed::embedded().unwrap();
        let a = feed
            .recommend(1246, "380671234567", "http://x", &DemoBasket::default())
            .unwrap();
        let b = feed
            .recommend(1246, "380501112233", "http://x", &DemoBasket::default())
            .unwrap();
        assert_eq!(a.len(), b.len());
        assert!(
            feed.recommend(1246, "380670000000", "http://x", &DemoBasket::default())
                .unwrap()
                .is_empty()
        );
        assert!(
            !feed
                .recommend(1245, "380670000000", "http://x", &DemoBasket::default())
                .unwrap()
                .is_empty()
        );
        assert!(
            feed.recommend(9999, "x", "http://x", &DemoBasket::default())
                .is_none()
        );
        let url = a[0]["tags_picture"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(url.starts_with("http://x/images/"), "{url}");
        let _ = b;
    }

    #[test]
    fn cross_sell_answers_from_the_basket_and_nothing_without_one() {
        let feed = DemoFeed::embedded().unwrap();
        let none = DemoBasket::default();
        assert!(
            feed.recommend(1247, "380671234567", "http://x", &none)
                .unwrap()
                .is_empty()
        );
        let basket = |ids: &[&str]| DemoBasket {
            products: ids.iter().map(|s| s.to_string()).collect(),
            category: None,
        };
        let a = feed
            .recommend(1247, "380671234567", "http://x", &basket(&["SKU-1001"]))
            .unwrap();
        let b = feed
            .recommend(
                1247,
                "380671234567",
                "http://x",
                &basket(&["SKU-1041", "SKU-1004"]),
            )
            .unwrap();
        assert!(!a.is_empty() && !b.is_empty());
        assert_ne!(a, b, "the answer depends on the basket");
        assert!(
            b.iter().all(|item| item["id"] != "SKU-1041"),
            "basket items are not offered back"
        );
    }

    #[test]
    fn every_picture_link_but_the_deliberately_broken_one_has_a_picture() {
        let feed = DemoFeed::embedded().unwrap();
        let links: Vec<&str> = feed
            .items
            .iter()
            .filter_map(|i| i.get("tags_picture")?.as_str())
            .collect();
        let broken: Vec<&&str> = links
            .iter()
            .filter(|url| {
                let file = url.rsplit('/').next().unwrap_or_default();
                feed.item_with_picture(file).is_none()
                    || ["missing.png", "corrupt.png", "bomb.png"].contains(&file)
            })
            .collect();
        assert_eq!(broken.len(), 3, "{broken:?}");
    }
}
