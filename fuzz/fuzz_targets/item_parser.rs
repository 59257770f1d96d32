//! Any bytes as a data source's answer: parsing must return products or an
//! error, never panic, and every product must have an id and a name.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pos_recs::yespo::{FieldMap, model};

fuzz_target!(|data: &[u8]| {
    let fields = FieldMap {
        image_fields: vec!["tags_picture".into(), "picture".into()],
        old_price_fields: vec!["tags_oldprice".into()],
    };
    if let Ok(parsed) = model::parse_items(data, &fields) {
        for p in &parsed.products {
            assert!(!p.id.is_empty() && !p.name.is_empty());
            assert!(p.price.is_none_or(f64::is_finite));
            assert!(!p.name.chars().any(char::is_control));
        }
    }
});
