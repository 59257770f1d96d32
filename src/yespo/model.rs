//! The product item, parsed tolerantly from what real feeds send.
//!
//! The docs promise `id`, `name`, `url`, `price`, `descr`, `brand`,
//! `category`, `isInStock` with fixed types; real feeds send numbers as
//! strings, booleans as strings, single categories without a list and
//! anything else they like. We accept all of that, keep every `tags_*` field,
//! and skip only items that have no `id` or `name` (reporting why).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::SourceError;

/// One recommended product, as the cashier screen and the CLI need it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// Product id / SKU.
    pub id: String,
    /// Product name.
    pub name: String,
    /// Product page URL (empty when missing).
    pub url: String,
    /// Price, when the feed gave a readable one.
    pub price: Option<f64>,
    /// Old (pre-discount) price from the configured field.
    pub old_price: Option<f64>,
    /// Stock flag; `None` when the feed did not say.
    pub in_stock: Option<bool>,
    /// Brand (empty when missing).
    pub brand: String,
    /// Categories (empty when missing).
    pub category: Vec<String>,
    /// Description (empty when missing).
    pub descr: String,
    /// Image URL from the configured field(s).
    pub image_url: Option<String>,
    /// Every `tags_*` field, prefix removed, value as sent.
    pub tags: BTreeMap<String, Value>,
}

impl Product {
    /// The old price when it is a real discount (higher than the price):
    /// the one rule every screen and the CLI use to strike a price through.
    pub fn discounted_from(&self) -> Option<f64> {
        let price = self.price?;
        self.old_price.filter(|old| *old > price)
    }
}

/// A tag value as short text: strings bare, lists joined with `/`.
pub fn tag_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(tag_text).collect::<Vec<_>>().join("/"),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Which item fields hold the image URL and the old price (from `[display]`).
#[derive(Debug, Clone, Default)]
pub struct FieldMap {
    /// Candidates for the image URL; the first present wins.
    pub image_fields: Vec<String>,
    /// Candidates for the old price; the first readable wins.
    pub old_price_fields: Vec<String>,
}

/// The result of parsing one answer: products plus why some items were skipped.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// Usable products, in the order sent.
    pub products: Vec<Product>,
    /// One line per skipped item (no personal data in them).
    pub warnings: Vec<String>,
}

/// At most this many skipped items are described; the rest are counted.
pub const MAX_WARNING_EXAMPLES: usize = 3;

/// Object fields that may hold the item list when an account wraps it.
const ENVELOPE_FIELDS: [&str; 4] = ["items", "recommendations", "products", "data"];

/// How an answer carried its items (the seeds never show the envelope).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// `[ {...}, ... ]`
    BareArray,
    /// `{"items": [ ... ]}` or another single list field.
    Wrapped,
    /// One item object, not in a list.
    SingleItem,
}

/// Parses an answer body: a JSON array of items, an object holding them in
/// its one list field, or a single item object.
pub fn parse_items(body: &[u8], fields: &FieldMap) -> Result<Parsed, SourceError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| describe_bad_body(body, &e))?;
    let (items, envelope) = unwrap_envelope(value)?;
    note_envelope(envelope);
    let mut parsed = Parsed::default();
    let mut skipped = 0usize;
    for (index, item) in items.into_iter().enumerate() {
        let why = match item {
            Value::Object(map) => match product_from_map(map, fields) {
                Ok(p) => {
                    parsed.products.push(p);
                    continue;
                }
                Err(why) => why,
            },
            _ => "not an object",
        };
        skipped += 1;
        // A hostile answer can hold millions of bad items: describe a few, count the rest.
        if skipped <= MAX_WARNING_EXAMPLES {
            parsed
                .warnings
                .push(format!("item #{} skipped: {why}", index + 1));
        }
    }
    if skipped > MAX_WARNING_EXAMPLES {
        parsed.warnings.push(format!(
            "{} more items skipped ({skipped} in all)",
            skipped - MAX_WARNING_EXAMPLES
        ));
    }
    Ok(parsed)
}

/// Finds the item list in an answer.
fn unwrap_envelope(value: Value) -> Result<(Vec<Value>, Envelope), SourceError> {
    match value {
        Value::Array(items) => Ok((items, Envelope::BareArray)),
        Value::Object(mut map) => {
            if map.contains_key("id") || map.contains_key("name") {
                return Ok((vec![Value::Object(map)], Envelope::SingleItem));
            }
            let named = ENVELOPE_FIELDS
                .iter()
                .find(|f| map.get(**f).is_some_and(Value::is_array))
                .map(|f| f.to_string());
            let lists: Vec<String> = map
                .iter()
                .filter(|(_, v)| v.is_array())
                .map(|(k, _)| k.clone())
                .collect();
            let field = named.or_else(|| match lists.as_slice() {
                [one] => Some(one.clone()),
                _ => None,
            });
            match field.and_then(|f| map.remove(&f)) {
                Some(Value::Array(items)) => Ok((items, Envelope::Wrapped)),
                _ => Err(SourceError::Decode(
                    "expected a list of products, got an object without one".into(),
                )),
            }
        }
        _ => Err(SourceError::Decode("expected a list of products".into())),
    }
}

/// Says once per run, at info, which envelope the account answers with, so
/// that the first real shop tells us.
fn note_envelope(envelope: Envelope) {
    static SEEN: [std::sync::Once; 3] = [const { std::sync::Once::new() }; 3];
    SEEN[envelope as usize].call_once(|| {
        tracing::info!(?envelope, "the account answers recommendations as");
    });
}

/// Builds a readable decode error without echoing the body (it may hold personal data).
fn describe_bad_body(body: &[u8], err: &serde_json::Error) -> SourceError {
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let what = match start.map(|i| body[i]) {
        None => "an empty answer".to_string(),
        Some(b'<') => "an HTML/XML page instead of JSON".to_string(),
        Some(b'[' | b'{') => format!("malformed JSON ({})", json_problem(err)),
        Some(_) => "plain text instead of JSON".to_string(),
    };
    SourceError::Decode(what)
}

/// A short word for what is wrong with malformed JSON.
fn json_problem(err: &serde_json::Error) -> &'static str {
    match err.classify() {
        serde_json::error::Category::Eof => "cut off",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "wrong types",
        serde_json::error::Category::Io => "read error",
    }
}

fn product_from_map(
    mut map: Map<String, Value>,
    fields: &FieldMap,
) -> Result<Product, &'static str> {
    let id = map
        .get("id")
        .and_then(scalar_string)
        // Cleaned before the emptiness check: control characters alone are no id.
        .map(|s| clean(&s))
        .filter(|s| !s.is_empty());
    let Some(id) = id else {
        return Err("no id");
    };
    let name = map
        .get("name")
        .and_then(scalar_string)
        .map(|s| clean(&s))
        .filter(|s| !s.is_empty());
    let Some(name) = name else {
        return Err("no name");
    };
    let image_url = fields
        .image_fields
        .iter()
        .find_map(|f| map.get(f).and_then(first_string))
        .map(|s| clean(&s))
        .filter(|s| !s.is_empty());
    let old_price = fields
        .old_price_fields
        .iter()
        .find_map(|f| map.get(f).and_then(number));
    let tags = map
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("tags_").map(|t| (clean(t), clean_value(v))))
        .filter(|(k, _)| !k.is_empty())
        .collect();
    let mut take_string = |key: &str| {
        map.remove(key)
            .as_ref()
            .and_then(scalar_string)
            .unwrap_or_default()
    };
    Ok(Product {
        id,
        name,
        url: clean(&take_string("url")),
        brand: clean(&take_string("brand")),
        descr: clean_multiline(&take_string("descr")),
        price: map.get("price").and_then(number),
        old_price,
        in_stock: map.get("isInStock").and_then(stock_flag),
        category: map.get("category").map(categories).unwrap_or_default(),
        image_url,
        tags,
    })
}

/// A string or number as text; other types give `None`.
fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A string, or the first string of an array.
fn first_string(v: &Value) -> Option<String> {
    match v {
        Value::Array(a) => a.iter().find_map(scalar_string),
        other => scalar_string(other),
    }
}

/// A finite number from a number or a numeric string (`"1 299,50"` included).
fn number(v: &Value) -> Option<f64> {
    let n = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => numeric_text(s),
        Value::Array(a) => a.first().and_then(number),
        _ => None,
    }?;
    n.is_finite().then_some(n)
}

/// A price written as text: `"1299.50"`, `"1 299,50"`, `"1,299.50"`,
/// `"1.299,50 грн"`, `"UAH 99"`. Currency words and spaces go; when both `.`
/// and `,` appear the last one is the decimal mark; a lone `,` is one too.
fn numeric_text(s: &str) -> Option<f64> {
    let kept: String = s
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '+' | 'e' | 'E'))
        .collect();
    // Letters e/E are only an exponent between digits; drop them elsewhere (e.g. from "EUR").
    let kept: String = kept.trim_matches(|c| matches!(c, 'e' | 'E')).to_string();
    let decimal = match (kept.rfind('.'), kept.rfind(',')) {
        (Some(d), Some(c)) => Some(if d > c { '.' } else { ',' }),
        (None, Some(_)) => Some(','),
        (Some(_), None) => Some('.'),
        (None, None) => None,
    };
    let normalised: String = kept
        .chars()
        .filter_map(|c| match c {
            '.' | ',' if Some(c) == decimal => Some('.'),
            '.' | ',' => None,
            other => Some(other),
        })
        .collect();
    normalised.parse::<f64>().ok()
}

/// `isInStock` as 0/1, bool, or a string like `"1"`, `"true"`, `"yes"`.
fn stock_flag(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|n| n > 0.0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "y" | "instock" | "in_stock" | "in stock" => Some(true),
            "0" | "false" | "no" | "n" | "outofstock" | "out_of_stock" | "out of stock" => {
                Some(false)
            }
            other => other.parse::<f64>().ok().map(|n| n > 0.0),
        },
        _ => None,
    }
}

/// `category` as a list, or a single string (or number) as a list of one.
fn categories(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a
            .iter()
            .filter_map(scalar_string)
            .map(|s| clean(&s))
            .filter(|s| !s.is_empty())
            .collect(),
        other => scalar_string(other)
            .map(|s| clean(&s))
            .filter(|s| !s.is_empty())
            .into_iter()
            .collect(),
    }
}

/// Removes control characters (hostile feeds use them to break layouts and
/// drive terminals: `ESC ] 0 ; … BEL`, `ESC [ 2 J`) and the bidirectional
/// overrides that make text read differently from what it is.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if is_unsafe_char(c) { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Like [`clean`], but keeps line breaks (descriptions have paragraphs).
fn clean_multiline(s: &str) -> String {
    s.lines().map(clean).collect::<Vec<_>>().join("\n")
}

fn is_unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A tag value with every string in it cleaned.
fn clean_value(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(clean(s)),
        Value::Array(a) => Value::Array(a.iter().map(clean_value).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (clean(k), clean_value(v))).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields() -> FieldMap {
        FieldMap {
            image_fields: vec!["tags_picture".into(), "picture".into()],
            old_price_fields: vec!["tags_oldprice".into()],
        }
    }

    fn parse(v: Value) -> Parsed {
        parse_items(v.to_string().as_bytes(), &fields()).unwrap()
    }

    #[test]
    fn a_tidy_item_maps_every_field() {
        let p = parse(json!([{
            "id": "SKU-1", "name": "Linen shirt", "url": "https://shop/x", "price": 1299.0,
            "descr": "Light", "brand": "Acme", "category": ["Men", "Shirts"], "isInStock": 1,
            "tags_gender": "male", "tags_clear_size": ["M", "L"], "tags_oldprice": 1499,
            "tags_picture": "https://shop/x.jpg", "currencyId": "UAH"
        }]));
        let p = &p.products[0];
        assert_eq!(p.id, "SKU-1");
        assert_eq!(p.price, Some(1299.0));
        assert_eq!(p.old_price, Some(1499.0));
        assert_eq!(p.in_stock, Some(true));
        assert_eq!(p.category, ["Men", "Shirts"]);
        assert_eq!(p.image_url.as_deref(), Some("https://shop/x.jpg"));
        assert_eq!(p.tags["gender"], json!("male"));
        assert_eq!(p.tags["clear_size"], json!(["M", "L"]));
        assert_eq!(p.tags["oldprice"], json!(1499));
        assert!(!p.tags.contains_key("currencyId"));
    }

    #[test]
    fn ugly_real_world_items_are_accepted() {
        let parsed = parse(json!([
            {"id": 42, "name": "Socks", "price": "199.50", "isInStock": "0", "category": "Accessories"},
            {"id": "a", "name": "Cap", "price": "1 299,00", "isInStock": true},
            {"id": "b", "name": "Belt", "price": null, "isInStock": "yes", "category": null, "brand": 7},
            {"id": "c", "name": "Bag", "isInStock": false, "tags_oldprice": "бла", "picture": ["https://i/1.png"]},
            {"id": 1.5, "name": "Odd id", "price": "1e400"}
        ]));
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let p = &parsed.products;
        assert_eq!(p[0].id, "42");
        assert_eq!(p[0].price, Some(199.5));
        assert_eq!(p[0].in_stock, Some(false));
        assert_eq!(p[0].category, ["Accessories"]);
        assert_eq!(p[1].price, Some(1299.0));
        assert_eq!(p[1].in_stock, Some(true));
        assert_eq!(p[2].price, None);
        assert_eq!(p[2].brand, "7");
        assert_eq!(p[2].in_stock, Some(true));
        assert_eq!(p[3].old_price, None);
        assert_eq!(p[3].image_url.as_deref(), Some("https://i/1.png"));
        assert_eq!(p[3].in_stock, Some(false));
        assert_eq!(p[4].id, "1.5");
        assert_eq!(p[4].url, "");
        assert_eq!(p[4].in_stock, None);
    }

    #[test]
    fn prices_written_as_text_in_many_ways() {
        for (text, want) in [
            ("1299.50", Some(1299.5)),
            ("1 299,50", Some(1299.5)),
            ("1,299.50", Some(1299.5)),
            ("1.299,50 грн", Some(1299.5)),
            ("UAH 99", Some(99.0)),
            ("99 EUR", Some(99.0)),
            ("\u{a0}450\u{a0}", Some(450.0)),
            ("free", None),
            ("", None),
        ] {
            assert_eq!(numeric_text(text), want, "{text:?}");
        }
    }

    #[test]
    fn items_without_id_or_name_are_skipped_with_a_reason() {
        let parsed = parse(json!([
            {"name": "no id"}, {"id": "x"}, {"id": "", "name": "empty id"}, {"id": null, "name": "n"},
            "string item", 17, {"id": "ok", "name": "Kept"}
        ]));
        assert_eq!(parsed.products.len(), 1);
        assert_eq!(parsed.products[0].name, "Kept");
        // Three described, the rest counted.
        assert_eq!(parsed.warnings.len(), 4);
        assert!(parsed.warnings[0].contains("#1") && parsed.warnings[0].contains("no id"));
        assert!(parsed.warnings[1].contains("no name"));
        assert!(parsed.warnings[3].contains("3 more items skipped (6 in all)"));
    }

    #[test]
    fn hostile_strings_lose_control_characters() {
        let p = parse(json!([{"id": "x\u{1b}[2J", "name": "A\nB\u{0}C"}]));
        assert_eq!(p.products[0].name, "A B C");
        assert!(!p.products[0].id.contains('\u{1b}'));
    }

    /// Found by fuzzing (item_parser): a name made only of control
    /// characters became an empty name instead of a skipped item.
    #[test]
    fn a_name_of_control_characters_is_no_name() {
        let parsed = parse(
            json!([{"id": "SKU-1", "name": "\u{7f}\u{7f}\u{1b}"}, {"id": "\u{0}", "name": "X"}]),
        );
        assert!(parsed.products.is_empty(), "{:?}", parsed.products);
        assert_eq!(parsed.warnings.len(), 2);
    }

    #[test]
    fn non_json_bodies_get_a_readable_error() {
        let err = |b: &[u8]| parse_items(b, &fields()).unwrap_err().to_string();
        assert!(err(b"<html><body>502 Bad Gateway</body></html>").contains("HTML"));
        assert!(err(b"").contains("empty"));
        assert!(err(b"[{\"id\": 1, ").contains("cut off"));
        assert!(err(b"Service Unavailable").contains("plain text"));
        assert!(err(b"{\"error\": \"x\"}").contains("object"));
    }

    #[test]
    fn deeply_nested_json_is_an_error_not_a_stack_overflow() {
        let deep = "[".repeat(100_000);
        assert!(parse_items(deep.as_bytes(), &fields()).is_err());
    }

    #[test]
    fn empty_array_means_no_recommendations() {
        let parsed = parse(json!([]));
        assert!(parsed.products.is_empty() && parsed.warnings.is_empty());
    }

    #[test]
    fn hostile_control_sequences_never_reach_a_screen() {
        let body = json!([{
            "id": "1", "name": "x",
            "url": "https://s/p\u{1b}[2J",
            "descr": "line one\nline\u{7} two",
            "tags_colour": "red\u{1b}]0;owned\u{7}\u{1b}[2J",
            "tags_sizes": ["S\u{1b}[31m", "M"],
            "tags_\u{1b}[1mkey": "v",
            "tags_rtl": "abc\u{202E}fed",
        }]);
        let parsed = parse_items(body.to_string().as_bytes(), &fields()).unwrap();
        let p = &parsed.products[0];
        let all = format!("{} {} {:?}", p.url, p.descr.replace('\n', " "), p.tags);
        assert!(!all.chars().any(is_unsafe_char), "{all:?}");
        assert_eq!(p.descr.lines().count(), 2, "paragraphs kept");
        assert_eq!(p.tags["sizes"], json!(["S [31m", "M"]));
    }

    #[test]
    fn answers_wrapped_in_an_object_or_alone_are_read() {
        let item = json!({"id": "7", "name": "Cap"});
        for body in [
            json!([item]),
            json!({"items": [item]}),
            json!({"recommendations": [item], "total": 1}),
            json!({"products": [item]}),
            json!({"data": [item], "meta": {"page": 1}}),
            json!({"whatever": [item]}),
            item.clone(),
        ] {
            let parsed = parse_items(body.to_string().as_bytes(), &fields()).unwrap();
            assert_eq!(parsed.products.len(), 1, "{body}");
            assert_eq!(parsed.products[0].id, "7");
        }
        let err = parse_items(br#"{"a": [], "b": []}"#, &fields()).unwrap_err();
        assert!(err.to_string().contains("object"), "{err}");
        assert!(parse_items(br#"{"error": "nope"}"#, &fields()).is_err());
    }

    #[test]
    fn a_flood_of_bad_items_gives_a_few_warnings_not_millions() {
        let body = format!("[{}{{}}]", "{},".repeat(200_000));
        let parsed = parse_items(body.as_bytes(), &fields()).unwrap();
        assert!(parsed.products.is_empty());
        assert_eq!(parsed.warnings.len(), MAX_WARNING_EXAMPLES + 1);
        assert!(
            parsed.warnings.last().unwrap().contains("200001 in all"),
            "{:?}",
            parsed.warnings
        );
    }
}
