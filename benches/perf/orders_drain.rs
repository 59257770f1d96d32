//! A day of sales queued while offline, then the network returns: how the
//! outbox drains them to Yespo (batches of up to 1,000) beside one request
//! per sale, measured side by side against the same stand-in.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use pos_recs::demo::orders::OrderBook;
use pos_recs::demo::{DemoOptions, DemoServer};
use pos_recs::identify::identify;
use pos_recs::outbox::orders::{OrderSettings, order_for_sale};
use pos_recs::outbox::sender::OrderSender;
use pos_recs::sale::{Sale, SaleLine};

const SALES: usize = 5_000;

/// The orders of a day: `SALES` three-line sales of different customers.
fn day_of_orders() -> Vec<serde_json::Value> {
    let settings = OrderSettings {
        store_id: Some("kyiv-01".into()),
        item_cost: pos_recs::config::ItemCost::Line,
        card_field: pos_recs::config::CardField::ExternalCustomerId,
        currency: "UAH".into(),
    };
    let none = |_: &str| None;
    (0..SALES)
        .map(|n| {
            let sale = Sale {
                lines: (0..3)
                    .map(|l| SaleLine {
                        product: format!("SKU-{}", 1000 + (n + l) % 50),
                        quantity: 1.0 + l as f64,
                        price: Some(99.5 + l as f64),
                    })
                    .collect(),
                ..Sale::default()
            };
            let phone = format!("067{:07}", n);
            let who = identify(&phone, None, "380").expect("phone");
            order_for_sale(
                &sale,
                &who,
                &none,
                &settings,
                &format!("R-{n}"),
                1_765_000_000 + n as i64,
            )
        })
        .collect()
}

pub fn orders_drain(rt: &tokio::runtime::Runtime) {
    let orders = day_of_orders();
    // The outbox: a history file with the day's orders waiting.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("history.sqlite3");
    {
        let mut conn = pos_recs::history::open(&file).expect("history");
        let tx = conn.transaction().expect("tx");
        for order in &orders {
            let key = order["externalOrderId"].as_str().unwrap_or_default();
            pos_recs::outbox::enqueue(
                &tx,
                pos_recs::outbox::Destination::YespoOrders,
                key,
                &order.to_string(),
                1,
            )
            .expect("queued");
        }
        tx.commit().expect("commit");
    }
    let book = Arc::new(OrderBook::default());
    let shop = rt
        .block_on(DemoServer::start_with_orders(
            0,
            DemoOptions::default(),
            book.clone(),
        ))
        .expect("stand-in");
    let mut config = shop.config();
    config.orders.send = true;
    config.history.path = Some(file.clone());
    let started = Instant::now();
    let sender = OrderSender::start(&config, file, rt.handle());
    let deadline = Instant::now() + Duration::from_secs(600);
    while book.accepted().len() < SALES && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let batched = started.elapsed();
    let batched_requests = book.requests.load(Ordering::SeqCst);
    drop(sender);

    // The same day, one request per sale, one after another.
    let single = Arc::new(OrderBook::default());
    let shop = rt
        .block_on(DemoServer::start_with_orders(
            0,
            DemoOptions::default(),
            single.clone(),
        ))
        .expect("stand-in");
    let url = format!("{}/v1/orders", shop.base_url());
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let started = Instant::now();
    rt.block_on(async {
        for order in &orders {
            let body = serde_json::json!({ "orders": [order] });
            let _ = http
                .post(&url)
                .basic_auth("pos-recs", Some("demo-key"))
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await;
        }
    });
    let one_by_one = started.elapsed();
    println!("\n## Orders: a day of {SALES} sales queued offline, then the network returns");
    println!("| way | requests | orders taken | time to drain (s) | ratio |");
    println!("|---|---|---|---|---|");
    println!(
        "| the outbox, batches of up to 1,000 | {batched_requests} | {} | {:.2} | 1× |",
        book.accepted().len(),
        batched.as_secs_f64()
    );
    println!(
        "| one request per sale | {} | {} | {:.2} | {:.1}× slower |",
        single.requests.load(Ordering::SeqCst),
        single.accepted().len(),
        one_by_one.as_secs_f64(),
        one_by_one.as_secs_f64() / batched.as_secs_f64().max(1e-9)
    );
}
