//! The finished sale and what the recommendations had to do with it.
//!
//! A [`Sale`] comes from the POS (`POST /v1/sale`, `pos-recs send --sale`)
//! or, on a till without a POS link, from the basket line when the sale
//! ends. [`Recommended`] follows, during one customer's sale, which source
//! recommended which product first and whether it was already in the
//! basket then; [`Recommended::attribute`] turns a sale into the lines the
//! recommendations sold. Nothing here knows the customer.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::basket::Basket;
use crate::experiment::Group;

/// At most this many lines in one sale.
pub const MAX_LINES: usize = 1000;
/// Longest product id or sale id accepted.
const MAX_ID_CHARS: usize = 128;
/// Largest quantity of one line.
const MAX_QUANTITY: f64 = 100_000.0;
/// Largest price or total accepted.
const MAX_AMOUNT: f64 = 1e9;

/// One line of a finished sale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaleLine {
    /// Product id (SKU), as in the feed.
    pub product: String,
    /// How many (weighed goods may be fractional).
    #[serde(default = "one")]
    pub quantity: f64,
    /// Price of one, when the POS sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
}

fn one() -> f64 {
    1.0
}

/// A finished sale, as the POS reports it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sale {
    /// What was sold.
    pub lines: Vec<SaleLine>,
    /// What the customer paid; the lines' sum when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<f64>,
    /// ISO 4217 code, when the POS says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The POS's receipt number: echoed back, never kept (it could lead
    /// back to the customer in the POS's own records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale_id: Option<String>,
}

/// Why a sale is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SaleError {
    /// A field is out of bounds.
    #[error("{0}")]
    Invalid(String),
    /// No customer is on screen.
    #[error("no customer is on screen")]
    NoCustomer,
    /// The sale is in another currency than the till's prices.
    #[error(
        "currency: this till sells in {till}, not {sent}; the sale was not recorded (send it in {till})"
    )]
    WrongCurrency {
        /// What the POS sent.
        sent: String,
        /// The till's currency (`[display] currency`).
        till: String,
    },
    /// The same `sale_id` was recorded before with other lines or total.
    #[error(
        "sale_id {0:?} was already recorded for a different sale (other lines or total); this sale was not recorded: give each sale its own sale_id"
    )]
    Conflict(String),
    /// No recorded sale has this `sale_id` (a void).
    #[error(
        "no recorded sale has sale_id {0:?} (sales are remembered [history] receipt_days days)"
    )]
    UnknownSale(String),
    /// The sale could not be put on disk: nothing was recorded.
    #[error("the sale could not be recorded on disk ({0}); nothing was recorded: send it again")]
    NotDurable(String),
}

impl Sale {
    /// The sale of a till without a POS link: the basket line's items, one
    /// of each, no prices.
    pub fn from_basket(basket: &Basket) -> Self {
        Self {
            lines: basket
                .products
                .iter()
                .map(|product| SaleLine {
                    product: product.clone(),
                    quantity: 1.0,
                    price: None,
                })
                .collect(),
            ..Self::default()
        }
    }

    /// Checks every bound; the first problem found is the answer.
    pub fn validate(&self) -> Result<(), SaleError> {
        let invalid = |why: String| Err(SaleError::Invalid(why));
        if self.lines.len() > MAX_LINES {
            return invalid(format!("at most {MAX_LINES} lines"));
        }
        for (i, line) in self.lines.iter().enumerate() {
            let product = line.product.trim();
            if product.is_empty() || product.chars().count() > MAX_ID_CHARS {
                return invalid(format!(
                    "lines[{i}].product: 1 to {MAX_ID_CHARS} characters"
                ));
            }
            if product.chars().any(char::is_control) {
                return invalid(format!("lines[{i}].product: no control characters"));
            }
            if !(line.quantity.is_finite() && line.quantity > 0.0 && line.quantity <= MAX_QUANTITY)
            {
                return invalid(format!(
                    "lines[{i}].quantity: more than 0, at most {MAX_QUANTITY}"
                ));
            }
            if line.price.is_some_and(|p| !amount_ok(p)) {
                return invalid(format!("lines[{i}].price: 0 to {MAX_AMOUNT}"));
            }
        }
        if self.total.is_some_and(|t| !amount_ok(t)) {
            return invalid(format!("total: 0 to {MAX_AMOUNT}"));
        }
        // Without a total, the lines' sum is the sale's value: the same bound.
        if self.total.is_none() && self.value().is_some_and(|v| !amount_ok(v)) {
            return invalid(format!(
                "total: the lines' sum (price × quantity) must be 0 to {MAX_AMOUNT}"
            ));
        }
        if let Some(currency) = &self.currency
            && !(currency.len() == 3 && currency.chars().all(|c| c.is_ascii_uppercase()))
        {
            return invalid("currency: a 3-letter ISO code, e.g. \"UAH\"".into());
        }
        if let Some(id) = &self.sale_id
            && (id.chars().count() > MAX_ID_CHARS || id.chars().any(char::is_control))
        {
            return invalid(format!(
                "sale_id: at most {MAX_ID_CHARS} printable characters"
            ));
        }
        Ok(())
    }

    /// Checks the bounds and that the sale is in the till's `currency`
    /// (a sale without one is taken to be in it).
    pub fn validate_for(&self, currency: &str) -> Result<(), SaleError> {
        self.validate()?;
        match &self.currency {
            Some(sent) if !sent.eq_ignore_ascii_case(currency.trim()) => {
                Err(SaleError::WrongCurrency {
                    sent: sent.clone(),
                    till: currency.trim().to_ascii_uppercase(),
                })
            }
            _ => Ok(()),
        }
    }

    /// A digest of everything the sale says (lines, total, currency, id),
    /// keyed with `key`: the same `sale_id` sent again is the same sale only
    /// when this matches.
    pub fn body_digest(&self, key: &[u8]) -> String {
        use blake2::{Blake2s256, Digest};
        let body = serde_json::to_vec(self).unwrap_or_default();
        let digest = Blake2s256::new()
            .chain_update(b"pos-recs sale body")
            .chain_update((key.len() as u32).to_le_bytes())
            .chain_update(key)
            .chain_update(&body)
            .finalize();
        crate::sync::hex(&digest[..16])
    }

    /// True when every line has a price (the sale has a value).
    pub fn is_priced(&self) -> bool {
        (!self.lines.is_empty() && self.lines.iter().all(|l| l.price.is_some()))
            || self.total.is_some()
    }

    /// What the customer paid: the total given, else the lines' sum
    /// (`None` when neither is known).
    pub fn value(&self) -> Option<f64> {
        self.total.or_else(|| {
            self.lines
                .iter()
                .map(|l| l.price.map(|p| p * l.quantity))
                .sum::<Option<f64>>()
                .filter(|_| !self.lines.is_empty())
        })
    }

    /// Items sold (the quantities' sum).
    pub fn items(&self) -> f64 {
        self.lines.iter().map(|l| l.quantity).sum()
    }
}

fn amount_ok(value: f64) -> bool {
    value.is_finite() && (0.0..=MAX_AMOUNT).contains(&value)
}

/// What the cashier did with a recommended card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Click {
    /// Nothing: the product was bought without a click on its card.
    #[default]
    None,
    /// The card's details were opened.
    Opened,
    /// "Add to sale" was pressed.
    Added,
}

impl Click {
    /// `none`, `opened` or `added`, as kept in the history.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Opened => "opened",
            Self::Added => "added",
        }
    }
}

/// One product a source recommended during this sale.
#[derive(Debug, Clone, PartialEq)]
struct Recommendation {
    /// It was in the basket already when the source first listed it.
    already_in_basket: bool,
    /// The most the cashier did with its card.
    click: Click,
    /// Its name, for the manager's top products.
    name: String,
}

/// A sale's line that a source recommended (and was not already in the basket).
#[derive(Debug, Clone, PartialEq)]
pub struct Bought {
    /// The source that recommended it.
    pub source_id: u64,
    /// The product.
    pub product_id: String,
    /// Its name, as the source gave it.
    pub name: String,
    /// How many.
    pub quantity: f64,
    /// Price × quantity, when priced.
    pub revenue: Option<f64>,
    /// What the cashier did with its card.
    pub click: Click,
}

/// A finished sale as the history keeps it: no customer, no receipt number.
#[derive(Debug, Clone, PartialEq)]
pub struct SaleRecord {
    /// The customer's group.
    pub group: Group,
    /// The experiment's period (see [`crate::experiment::Experiment::period`]).
    pub period: String,
    /// What the customer paid, when known.
    pub total: Option<f64>,
    /// Items sold.
    pub items: f64,
    /// The lines.
    pub lines: Vec<SaleLine>,
    /// The lines the recommendations sold, per source.
    pub bought: Vec<Bought>,
}

/// Which source recommended what during one customer's sale.
#[derive(Debug, Clone, Default)]
pub struct Recommended {
    by_source: HashMap<(u64, String), Recommendation>,
}

impl Recommended {
    /// A source listed these products (`(id, name)`) while the basket was
    /// `basket`. Only a source's first listing of a product counts for
    /// whether it was in the basket already.
    pub fn listed<'a>(
        &mut self,
        source_id: u64,
        products: impl IntoIterator<Item = (&'a str, &'a str)>,
        basket: &Basket,
    ) {
        for (id, name) in products {
            self.by_source
                .entry((source_id, id.to_string()))
                .or_insert_with(|| Recommendation {
                    already_in_basket: basket.products.iter().any(|p| p == id),
                    click: Click::None,
                    name: name.to_string(),
                });
        }
    }

    /// The cashier opened a card, or added it to the sale.
    pub fn clicked(&mut self, source_id: u64, product_id: &str, click: Click) {
        if let Some(r) = self.by_source.get_mut(&(source_id, product_id.to_string())) {
            r.click = r.click.max(click);
        }
    }

    /// The sale's lines the recommendations sold: for every source that
    /// recommended a line's product during this sale, before it was in the
    /// basket. A product two sources listed counts for both.
    pub fn attribute(&self, sale: &Sale) -> Vec<Bought> {
        let mut bought: Vec<Bought> = Vec::new();
        for (product, quantity, revenue) in lines_by_product(sale) {
            let mut sources: Vec<(&u64, &Recommendation)> = self
                .by_source
                .iter()
                .filter(|((_, id), r)| *id == product && !r.already_in_basket)
                .map(|((source, _), r)| (source, r))
                .collect();
            sources.sort_by_key(|(source, _)| **source);
            for (source_id, r) in sources {
                bought.push(Bought {
                    source_id: *source_id,
                    product_id: product.clone(),
                    name: r.name.clone(),
                    quantity,
                    revenue,
                    click: r.click,
                });
            }
        }
        bought
    }
}

/// The sale's lines, one per product in the order first sold: a product on
/// two lines (scanned twice) is one line with their quantities and revenues
/// added, so its source and "all sources" count it alike. The revenue is
/// `None` when any of its lines has no price.
fn lines_by_product(sale: &Sale) -> Vec<(String, f64, Option<f64>)> {
    let mut merged: Vec<(String, f64, Option<f64>)> = Vec::new();
    for line in &sale.lines {
        let product = line.product.trim();
        let revenue = line.price.map(|p| p * line.quantity);
        match merged.iter_mut().find(|(id, _, _)| id == product) {
            Some((_, quantity, sum)) => {
                *quantity += line.quantity;
                *sum = sum.zip(revenue).map(|(a, b)| a + b);
            }
            None => merged.push((product.to_string(), line.quantity, revenue)),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basket(items: &[&str]) -> Basket {
        Basket {
            products: items.iter().map(|s| s.to_string()).collect(),
            category: None,
        }
    }

    fn line(product: &str, quantity: f64, price: Option<f64>) -> SaleLine {
        SaleLine {
            product: product.into(),
            quantity,
            price,
        }
    }

    #[test]
    fn a_line_counts_for_every_source_that_recommended_it_before_it_was_in_the_basket() {
        let mut r = Recommended::default();
        r.listed(1, [("A", "Apple"), ("B", "Bread")], &basket(&["B"]));
        r.listed(2, [("A", "Apple"), ("C", "Cheese")], &basket(&[]));
        // Listed again later, once B is out of the basket: the first listing decides.
        r.listed(1, [("B", "Bread")], &basket(&[]));
        r.clicked(2, "C", Click::Opened);
        r.clicked(2, "C", Click::Added);
        r.clicked(2, "C", Click::Opened);
        let sale = Sale {
            lines: vec![
                line("A", 2.0, Some(10.0)),
                line("B", 1.0, Some(5.0)),
                line("C", 3.0, Some(1.5)),
                line("D", 1.0, Some(99.0)),
            ],
            ..Sale::default()
        };
        let bought = r.attribute(&sale);
        let summary: Vec<(u64, &str, f64, Option<f64>, Click)> = bought
            .iter()
            .map(|b| {
                (
                    b.source_id,
                    b.product_id.as_str(),
                    b.quantity,
                    b.revenue,
                    b.click,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (1, "A", 2.0, Some(20.0), Click::None),
                (2, "A", 2.0, Some(20.0), Click::None),
                (2, "C", 3.0, Some(4.5), Click::Added),
            ]
        );
        assert_eq!(bought[2].name, "Cheese");
    }

    #[test]
    fn bodies_out_of_bounds_are_refused_with_the_field_named() {
        let ok = Sale {
            lines: vec![line("SKU-1", 2.0, Some(499.0))],
            total: Some(998.0),
            currency: Some("UAH".into()),
            sale_id: Some("R-1".into()),
        };
        assert_eq!(ok.validate(), Ok(()));
        assert_eq!(ok.value(), Some(998.0));
        let cases: Vec<(Sale, &str)> = vec![
            (
                Sale {
                    lines: vec![line("", 1.0, None)],
                    ..ok.clone()
                },
                "lines[0].product",
            ),
            (
                Sale {
                    lines: vec![line("A", 0.0, None)],
                    ..ok.clone()
                },
                "lines[0].quantity",
            ),
            (
                Sale {
                    lines: vec![line("A", f64::NAN, None)],
                    ..ok.clone()
                },
                "quantity",
            ),
            (
                Sale {
                    lines: vec![line("A", 1.0, Some(-1.0))],
                    ..ok.clone()
                },
                "price",
            ),
            (
                Sale {
                    total: Some(f64::INFINITY),
                    ..ok.clone()
                },
                "total",
            ),
            (
                Sale {
                    currency: Some("uah".into()),
                    ..ok.clone()
                },
                "currency",
            ),
            (
                Sale {
                    sale_id: Some("x".repeat(200)),
                    ..ok.clone()
                },
                "sale_id",
            ),
            (
                Sale {
                    lines: vec![line("A", 1.0, None); MAX_LINES + 1],
                    ..ok.clone()
                },
                "lines",
            ),
        ];
        for (sale, field) in cases {
            match sale.validate() {
                Err(SaleError::Invalid(why)) => assert!(why.contains(field), "{why}"),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_standalone_sale_is_the_basket_one_of_each_without_money() {
        let sale = Sale::from_basket(&basket(&["A", "B"]));
        assert_eq!(sale.lines, vec![line("A", 1.0, None), line("B", 1.0, None)]);
        assert!(!sale.is_priced());
        assert_eq!(sale.value(), None);
        assert_eq!(sale.items(), 2.0);
    }
}
