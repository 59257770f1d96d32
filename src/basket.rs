//! The basket of the sale in progress: product ids (SKUs as the shop's feed
//! knows them) and an optional category key. Sources built from product data
//! (cross-sell, alternatives to sold-out items) need it; Yespo needs a
//! customer too, so a basket scanned before the loyalty card waits for one.

use serde::{Deserialize, Serialize};

/// Most items a basket may hold: a till's sale, not a warehouse.
pub const MAX_ITEMS: usize = 500;
/// Longest product id or category key accepted.
pub const MAX_ID_LEN: usize = 128;

/// Products in the sale and, optionally, the category being browsed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Basket {
    /// Product ids, in the order scanned, without duplicates.
    pub products: Vec<String>,
    /// A category key, when the POS knows one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

/// Why a basket cannot be used. Messages never repeat the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BasketError {
    /// More than [`MAX_ITEMS`] products.
    #[error("too many products in the basket (at most {MAX_ITEMS})")]
    TooMany,
    /// An empty id, an id with control characters, or one too long.
    #[error("product ids must be 1-{MAX_ID_LEN} printable characters")]
    BadId,
    /// A category key that is empty, too long or has control characters.
    #[error("the category must be 1-{MAX_ID_LEN} printable characters")]
    BadCategory,
    /// Asked for products, got none.
    #[error("no product ids given")]
    Empty,
}

/// A product id or category key as given, trimmed, if it is usable.
fn clean_id(raw: &str) -> Option<String> {
    let id = raw.trim();
    let usable =
        !id.is_empty() && id.chars().count() <= MAX_ID_LEN && !id.chars().any(char::is_control);
    usable.then(|| id.to_string())
}

impl Basket {
    /// A basket from product ids and a category, checked and de-duplicated.
    pub fn new<S: AsRef<str>>(products: &[S], category: Option<&str>) -> Result<Self, BasketError> {
        if products.len() > MAX_ITEMS {
            return Err(BasketError::TooMany);
        }
        let mut basket = Self::default();
        for raw in products {
            let id = clean_id(raw.as_ref()).ok_or(BasketError::BadId)?;
            if !basket.products.contains(&id) {
                basket.products.push(id);
            }
        }
        basket.category = match category {
            None => None,
            Some(raw) => Some(clean_id(raw).ok_or(BasketError::BadCategory)?),
        };
        Ok(basket)
    }

    /// Product ids from command-line values: each may hold several ids
    /// separated by commas (`--products A,B --products C`).
    pub fn from_cli(values: &[String], category: Option<&str>) -> Result<Self, BasketError> {
        let ids: Vec<&str> = values.iter().flat_map(|v| v.split(',')).collect();
        if ids.iter().all(|id| id.trim().is_empty()) {
            return Err(BasketError::Empty);
        }
        Self::new(&ids, category)
    }

    /// True when no product is in the basket (a category alone is not enough
    /// for the sources that need products).
    pub fn is_empty(&self) -> bool {
        self.products.is_empty()
    }

    /// Adds one scanned product (ignored when already there).
    pub fn add(&mut self, raw: &str) -> Result<(), BasketError> {
        let id = clean_id(raw).ok_or(BasketError::BadId)?;
        if self.products.contains(&id) {
            return Ok(());
        }
        if self.products.len() >= MAX_ITEMS {
            return Err(BasketError::TooMany);
        }
        self.products.push(id);
        Ok(())
    }

    /// Removes a product.
    pub fn remove(&mut self, id: &str) {
        self.products.retain(|p| p != id);
    }

    /// The query parameters that carry the basket to a data source, v1 and
    /// v2 alike: one `products=` per id (so ids containing commas stay
    /// intact), then `category=`. The encoding Yespo expects for several
    /// values is not documented; this is the one place that decides it.
    pub fn query(&self) -> Vec<(&'static str, &str)> {
        let mut query: Vec<(&'static str, &str)> = self
            .products
            .iter()
            .map(|p| ("products", p.as_str()))
            .collect();
        if let Some(category) = &self.category {
            query.push(("category", category));
        }
        query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_trimmed_deduplicated_and_checked() {
        let b = Basket::new(&[" SKU-1 ", "SKU-2", "SKU-1"], Some("shoes")).unwrap();
        assert_eq!(b.products, ["SKU-1", "SKU-2"]);
        assert_eq!(b.category.as_deref(), Some("shoes"));
        assert_eq!(Basket::new(&[""], None), Err(BasketError::BadId));
        assert_eq!(Basket::new(&["a\u{1b}b"], None), Err(BasketError::BadId));
        assert_eq!(
            Basket::new(&["x".repeat(MAX_ID_LEN + 1)], None),
            Err(BasketError::BadId)
        );
        assert_eq!(
            Basket::new(&["a"], Some(" ")),
            Err(BasketError::BadCategory)
        );
        let many: Vec<String> = (0..10_000).map(|i| format!("SKU-{i}")).collect();
        assert_eq!(Basket::new(&many, None), Err(BasketError::TooMany));
    }

    #[test]
    fn command_line_lists_split_on_commas_and_may_repeat() {
        let b = Basket::from_cli(&["A,B".into(), "C".into()], None).unwrap();
        assert_eq!(b.products, ["A", "B", "C"]);
        assert_eq!(
            Basket::from_cli(&[",".into()], None),
            Err(BasketError::Empty)
        );
        assert_eq!(
            Basket::from_cli(&["A,,B".into()], None),
            Err(BasketError::BadId)
        );
    }

    #[test]
    fn the_wire_form_keeps_commas_inside_ids() {
        let b = Basket::new(&["A,1", "B"], Some("cat")).unwrap();
        assert_eq!(
            b.query(),
            [("products", "A,1"), ("products", "B"), ("category", "cat")]
        );
    }
}
