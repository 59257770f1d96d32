//! A finished sale as Yespo's offline order (`POST /v1/orders`), and what
//! Yespo's answer says about a batch of them.
//!
//! The order, as Yespo's API description and its own store plugins give it:
//! `externalOrderId` (the key: the same id again updates the order), the
//! customer in the field for its kind, `status`, `date` with the till's
//! offset, `currency`, `totalCost`, `source: "offline"`, `storeId`, and
//! `items` whose costs add up to `totalCost`.

use serde_json::{Value, json};

use crate::config::{CardField, ItemCost};
use crate::identify::{Identifier, IdentifierKind};
use crate::sale::Sale;

/// At most this many orders in one request (Yespo's limit).
pub const MAX_BATCH: usize = 1000;

/// `DELIVERED`: a finished sale (the only status Yespo's RFM counts).
pub const DELIVERED: &str = "DELIVERED";
/// `CANCELLED`: a voided sale.
pub const CANCELLED: &str = "CANCELLED";

/// How this till writes its orders.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderSettings {
    /// Yespo's `storeId`, when there is one.
    pub store_id: Option<String>,
    /// What `items[].cost` is.
    pub item_cost: ItemCost,
    /// The field a card number goes in (as for lookups).
    pub card_field: CardField,
    /// The till's currency.
    pub currency: String,
}

impl OrderSettings {
    /// The settings of a till that sends orders, or `None`.
    pub fn from_config(config: &crate::config::Config) -> Option<Self> {
        config.orders.send.then(|| Self {
            store_id: config
                .orders
                .store_id(config.fleet.as_ref())
                .map(str::to_string),
            item_cost: config.orders.item_cost,
            card_field: config.yespo.card_identifies_as,
            currency: config.display.currency.trim().to_ascii_uppercase(),
        })
    }
}

/// What the till's cards said about a product, for the order's item.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CardFacts {
    /// The product's name.
    pub name: String,
    /// Its price on the card.
    pub price: Option<f64>,
    /// Its page.
    pub url: Option<String>,
    /// Its picture.
    pub image_url: Option<String>,
}

/// Whole cents of `amount`.
fn cents(amount: f64) -> i64 {
    (amount * 100.0).round() as i64
}

fn money(cents: i64) -> f64 {
    cents as f64 / 100.0
}

/// The lines' totals in cents, scaled so they add up to the sale's total
/// (a discount on the whole sale spread over its lines), the rounding's
/// remainder on the largest line.
fn line_cents(totals: &[f64], total_cents: i64) -> Vec<i64> {
    let sum: f64 = totals.iter().sum();
    let mut spread: Vec<i64> = if sum > 0.0 {
        totals
            .iter()
            .map(|t| cents(t / sum * money(total_cents)))
            .collect()
    } else {
        // Nothing priced: the total shared equally.
        let n = totals.len().max(1) as f64;
        totals
            .iter()
            .map(|_| cents(money(total_cents) / n))
            .collect()
    };
    let remainder = total_cents - spread.iter().sum::<i64>();
    if let Some(largest) = (0..spread.len()).max_by_key(|&i| spread[i]) {
        spread[largest] += remainder;
    }
    spread
}

/// The order for `sale`, bought by `customer` at unix second `at`.
/// `card` tells what the till's cards said of a product (its name, and its
/// price when the POS sent none). `external_id` is the POS's `sale_id` or
/// the till's own id for the sale.
pub fn order_for_sale(
    sale: &Sale,
    customer: &Identifier,
    card: &dyn Fn(&str) -> Option<CardFacts>,
    settings: &OrderSettings,
    external_id: &str,
    at: i64,
) -> Value {
    let facts: Vec<CardFacts> = sale
        .lines
        .iter()
        .map(|l| card(l.product.trim()).unwrap_or_default())
        .collect();
    let prices: Vec<f64> = sale
        .lines
        .iter()
        .zip(&facts)
        .map(|(l, f)| l.price.or(f.price).unwrap_or(0.0))
        .collect();
    let line_totals: Vec<f64> = sale
        .lines
        .iter()
        .zip(&prices)
        .map(|(l, p)| p * l.quantity)
        .collect();
    let lines_sum: f64 = line_totals.iter().sum();
    let total_cents = cents(sale.total.unwrap_or(lines_sum));
    let spread = line_cents(&line_totals, total_cents);
    let mut items = Vec::with_capacity(sale.lines.len());
    let mut items_cents = 0.0;
    for ((line, facts), line_cents) in sale.lines.iter().zip(&facts).zip(&spread) {
        let cost = match settings.item_cost {
            ItemCost::Line => {
                items_cents += *line_cents as f64;
                money(*line_cents)
            }
            ItemCost::Unit => {
                let unit = (*line_cents as f64 / line.quantity).round();
                items_cents += unit * line.quantity;
                unit / 100.0
            }
        };
        let product = line.product.trim();
        let mut item = json!({
            "externalItemId": product,
            "name": if facts.name.is_empty() { product } else { facts.name.as_str() },
            "quantity": line.quantity,
            "cost": cost,
        });
        if let Some(url) = facts.url.as_deref().filter(|u| !u.is_empty()) {
            item["url"] = json!(url);
        }
        if let Some(image) = facts.image_url.as_deref().filter(|u| !u.is_empty()) {
            item["imageUrl"] = json!(image);
        }
        items.push(item);
    }
    // The items' costs add up to totalCost: in "unit" mode, rounded unit
    // prices may move it by a few cents from the POS's total.
    let total_cost = items_cents.round() / 100.0;
    let mut order = json!({
        "externalOrderId": external_id,
        "status": DELIVERED,
        "date": date_with_offset(at),
        "currency": sale.currency.clone().unwrap_or_else(|| settings.currency.clone()),
        "totalCost": total_cost,
        "source": "offline",
        "items": items,
    });
    let discount = cents(lines_sum) - total_cents;
    if discount > 0 {
        order["discount"] = json!(money(discount));
    }
    if let Some(store) = &settings.store_id {
        order["storeId"] = json!(store);
    }
    let field = match customer.kind() {
        IdentifierKind::Card => settings.card_field.param(),
        IdentifierKind::Phone => "phone",
        IdentifierKind::Email => "email",
    };
    order[field] = json!(customer.value());
    order
}

/// The same order cancelled (a voided sale): what Yespo keeps under its
/// `externalOrderId` is updated to `CANCELLED`. The customer is not in it:
/// the till forgot them once Yespo took the order.
pub fn cancelled(order: &Value) -> Value {
    let mut cancelled = json!({ "status": CANCELLED });
    for field in [
        "externalOrderId",
        "date",
        "currency",
        "totalCost",
        "source",
        "storeId",
        "items",
        "discount",
    ] {
        if let Some(value) = order.get(field) {
            cancelled[field] = value.clone();
        }
    }
    cancelled
}

/// `at` (unix seconds) in ISO 8601 with the till's UTC offset, e.g.
/// `2026-12-07T10:11:10+02:00`. UTC when the system's zone is unknown.
pub fn date_with_offset(at: i64) -> String {
    let zone = jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC);
    match jiff::Timestamp::from_second(at) {
        Ok(moment) => moment
            .to_zoned(zone)
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string(),
        Err(_) => "1970-01-01T00:00:00+00:00".into(),
    }
}

/// The `externalOrderId`s Yespo's answer names as refused, with why,
/// read from `{"failedOrders": [...]}` in any of the shapes its answer
/// might take (an id, or an object with the id and a message).
pub fn failed_orders(answer: &Value) -> Vec<(String, String)> {
    let Some(failed) = answer
        .get("failedOrders")
        .or_else(|| answer.get("failed_orders"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    failed
        .iter()
        .filter_map(|entry| match entry {
            Value::String(id) => Some((id.clone(), String::new())),
            Value::Object(fields) => {
                let id = ["externalOrderId", "orderId", "id"]
                    .iter()
                    .find_map(|k| fields.get(*k))
                    .and_then(|v| match v {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })?;
                let why = ["message", "error", "reason"]
                    .iter()
                    .find_map(|k| fields.get(*k).and_then(Value::as_str))
                    .unwrap_or_default()
                    .to_string();
                Some((id, why))
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identify::identify;
    use crate::sale::SaleLine;

    fn settings(item_cost: ItemCost) -> OrderSettings {
        OrderSettings {
            store_id: Some("kyiv-01".into()),
            item_cost,
            card_field: CardField::ExternalCustomerId,
            currency: "UAH".into(),
        }
    }

    fn sale(lines: &[(&str, f64, Option<f64>)], total: Option<f64>) -> Sale {
        Sale {
            lines: lines
                .iter()
                .map(|(p, q, price)| SaleLine {
                    product: p.to_string(),
                    quantity: *q,
                    price: *price,
                })
                .collect(),
            total,
            ..Sale::default()
        }
    }

    fn items_sum(order: &Value, unit: bool) -> f64 {
        order["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let cost = i["cost"].as_f64().unwrap();
                if unit {
                    cost * i["quantity"].as_f64().unwrap()
                } else {
                    cost
                }
            })
            .sum()
    }

    #[test]
    fn costs_add_up_to_the_total_in_both_modes_with_a_discount_spread() {
        let phone = identify("067 123 4567", None, "380").unwrap();
        let cards = |id: &str| {
            (id == "B").then(|| CardFacts {
                name: "Bread".into(),
                price: Some(1.0),
                url: Some("https://shop/b".into()),
                image_url: None,
            })
        };
        // 3 × 33.33 + 0.37 kg × 19.99, paid 100 (a discount).
        let s = sale(
            &[("A", 3.0, Some(33.33)), ("B", 0.37, Some(19.99))],
            Some(100.0),
        );
        for mode in [ItemCost::Line, ItemCost::Unit] {
            let order = order_for_sale(&s, &phone, &cards, &settings(mode), "R-1", 1_765_000_000);
            let unit = mode == ItemCost::Unit;
            let total = order["totalCost"].as_f64().unwrap();
            assert!(
                (items_sum(&order, unit) - total).abs() < 0.005,
                "{mode:?}: {order}"
            );
            assert!((total - 100.0).abs() < 0.05, "{order}");
            assert_eq!(order["phone"], "380671234567");
            assert_eq!(order["status"], "DELIVERED");
            assert_eq!(order["source"], "offline");
            assert_eq!(order["storeId"], "kyiv-01");
            assert_eq!(order["currency"], "UAH");
            assert_eq!(order["externalOrderId"], "R-1");
            assert_eq!(order["items"][1]["name"], "Bread");
            assert_eq!(order["items"][1]["url"], "https://shop/b");
            assert_eq!(order["items"][0]["name"], "A", "no card: the id");
            assert!(order["discount"].as_f64().unwrap() > 7.0);
        }
    }

    #[test]
    fn the_identifier_goes_in_the_field_of_its_kind() {
        let none = |_: &str| None;
        let s = sale(&[("A", 1.0, Some(5.0))], None);
        let card = identify("2000123456789", None, "380").unwrap();
        let email = identify("Olena@Example.com", None, "380").unwrap();
        let order = order_for_sale(&s, &card, &none, &settings(ItemCost::Line), "x", 0);
        assert_eq!(order["externalCustomerId"], "2000123456789");
        let contact = OrderSettings {
            card_field: CardField::ContactId,
            ..settings(ItemCost::Line)
        };
        let order = order_for_sale(&s, &card, &none, &contact, "x", 0);
        assert_eq!(order["contactId"], "2000123456789");
        assert!(order.get("externalCustomerId").is_none());
        let order = order_for_sale(&s, &email, &none, &settings(ItemCost::Line), "x", 0);
        assert_eq!(order["email"], email.value());
        let cancelled = cancelled(&order);
        assert_eq!(cancelled["status"], "CANCELLED");
        assert_eq!(cancelled["externalOrderId"], "x");
        assert!(cancelled.get("email").is_none());
    }

    #[test]
    fn the_date_carries_an_offset() {
        let date = date_with_offset(1_765_000_000);
        let parsed = jiff::Timestamp::strptime("%Y-%m-%dT%H:%M:%S%:z", &date).unwrap();
        assert_eq!(parsed.as_second(), 1_765_000_000, "{date}");
    }

    #[test]
    fn refused_orders_are_read_from_the_answer_s_shapes() {
        let answer =
            json!({"failedOrders": ["R-1", {"externalOrderId": "R-2", "message": "bad phone"}, 7]});
        assert_eq!(
            failed_orders(&answer),
            vec![
                ("R-1".into(), String::new()),
                ("R-2".into(), "bad phone".into())
            ]
        );
        assert!(failed_orders(&json!({"status": "ok"})).is_empty());
    }
}
