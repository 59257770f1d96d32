//! The finished sale: `POST /v1/sale` against the headless till service,
//! the comparison group, and the figures read back from a real SQLite file.

use crate::common;

use std::time::{Duration, Instant};

use pos_recs::config::{Config, ConfigOrigin, IntegrationConfig};
use pos_recs::demo::DemoOptions;
use pos_recs::experiment::{Experiment, Group};
use pos_recs::history::{self, Event, History};
use pos_recs::identify::{IdentifierKind, identify};
use pos_recs::sale::{Bought, Click, SaleLine, SaleRecord};
use pos_recs::secret::ApiKey;
use pos_recs::service::TillService;
use pos_recs::setup::Ready;
use serde_json::{Value, json};

const TOKEN: &str = "pos-token-for-sale-tests";
const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

fn linked(mut config: Config, history_file: &std::path::Path, holdout: u8) -> Ready {
    config.history.enabled = true;
    config.history.path = Some(history_file.to_path_buf());
    config.experiment.holdout_percent = holdout;
    config.experiment.key = Some(ApiKey::new(KEY));
    config.integration = Some(IntegrationConfig {
        listen: "127.0.0.1:0".into(),
        token: Some(ApiKey::new(TOKEN)),
    });
    Ready {
        config,
        origin: ConfigOrigin::File(history_file.with_extension("toml")),
        demo: None,
        setup_mode: false,
    }
}

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    match request.bearer_auth(TOKEN).send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            (status, response.json().await.unwrap_or(Value::Null))
        }
        // A huge body may be refused before it is all sent.
        Err(_) => (0, Value::Null),
    }
}

/// Waits until no source of the document is pending.
async fn settled(http: &reqwest::Client, base: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, document) = send(http.get(format!("{base}/recommendations"))).await;
        assert_eq!(status, 200, "{document}");
        let pending = document["sources"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["status"] == "pending"));
        if !pending {
            return document;
        }
        assert!(Instant::now() < deadline, "never settled: {document}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A phone number in the wanted group under the test key.
fn phone_in(group: Group, percent: u8) -> String {
    let experiment = Experiment::new(percent, pos_recs::experiment::parse_key(KEY).unwrap());
    (0..10_000)
        .map(|n| format!("067{n:07}"))
        .find(|p| {
            let who = identify(p, Some(IdentifierKind::Phone), "380").unwrap();
            experiment.group_of(&who) == group
        })
        .unwrap()
}

/// A headless till with its POS link, history file and demo shop.
struct LinkedTill {
    _dir: tempfile::TempDir,
    file: std::path::PathBuf,
    shop: pos_recs::demo::DemoServer,
    service: TillService,
    base: String,
    http: reqwest::Client,
}

async fn linked_till(options: DemoOptions, holdout: u8) -> LinkedTill {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.sqlite3");
    let (shop, config) = common::demo(options).await;
    let service = TillService::start(
        linked(config, &file, holdout),
        tokio::runtime::Handle::current(),
    )
    .unwrap();
    let base = format!("http://{}/v1", service.pos_link_address().unwrap());
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    LinkedTill {
        _dir: dir,
        file,
        shop,
        service,
        base,
        http,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_is_recorded_with_what_the_recommendations_sold() {
    let LinkedTill {
        _dir,
        file,
        shop: _shop,
        service,
        base,
        http,
    } = linked_till(DemoOptions::default(), 0).await;
    let sale = |body: Value| http.post(format!("{base}/sale")).json(&body);

    // No customer on screen: 409, nothing recorded.
    let one = json!({"lines": [{"product": "X", "quantity": 1, "price": 5.0}]});
    let (status, answer) = send(sale(one.clone())).await;
    assert_eq!(status, 409, "{answer}");

    let (status, _) = send(
        http.post(format!("{base}/customer"))
            .json(&json!({"phone": "0671234567"})),
    )
    .await;
    assert_eq!(status, 200);
    let document = settled(&http, &base).await;
    let sources = document["sources"].as_array().unwrap();
    let source = sources
        .iter()
        .find(|s| !s["products"].as_array().unwrap().is_empty())
        .unwrap();
    let product = source["products"][0]["id"].as_str().unwrap().to_string();
    let source_id = source["id"].as_u64().unwrap();
    let cards_fetched = source["products"].as_array().unwrap().len() as u64;

    // Bad bodies: 400 with the field named; the customer stays on screen.
    for (body, field) in [
        (
            json!({"lines": [{"product": "", "quantity": 1}]}),
            "product",
        ),
        (
            json!({"lines": [{"product": "A", "quantity": -2}]}),
            "quantity",
        ),
        (json!({"lines": [{"product": "A", "price": -1}]}), "price"),
        (json!({"lines": [], "total": "lots"}), "JSON"),
        (json!({"lines": [], "customer": "0671234567"}), "JSON"),
    ] {
        let (status, answer) = send(sale(body)).await;
        assert_eq!(status, 400, "{answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(field),
            "{answer}"
        );
    }
    let huge = "x".repeat(10 * 1024 * 1024);
    let (status, _) = send(
        http.post(format!("{base}/sale"))
            .header("content-type", "application/json")
            .body(huge),
    )
    .await;
    assert!(status == 413 || status == 0, "{status}");
    let (status, _) = send(http.get(format!("{base}/recommendations"))).await;
    assert_eq!(
        status, 200,
        "a refused sale must not end the customer's sale"
    );

    let (status, answer) = send(sale(json!({
        "lines": [
            {"product": product, "quantity": 2, "price": 10.5},
            {"product": "NOT-RECOMMENDED", "quantity": 1, "price": 3.0}
        ],
        "total": 24.0, "currency": "UAH", "sale_id": "R-77"
    })))
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["recommended_lines"], 1);
    assert_eq!(answer["sale_id"], "R-77");
    assert_eq!(answer["repeated"], false);
    // The sale ended the customer's sale.
    let (status, _) = send(http.get(format!("{base}/recommendations"))).await;
    assert_eq!(status, 404);

    // The next customer is on screen when the POS, whose first request
    // timed out, sends R-77 again: the first answer comes back, and the new
    // customer's sale is neither ended nor given the old lines.
    let (status, next) = send(
        http.post(format!("{base}/customer"))
            .json(&json!({"phone": "0509876543"})),
    )
    .await;
    assert_eq!(status, 200);
    // Another body under that id is another sale: refused, nothing recorded.
    let (status, other) = send(sale(json!({
        "lines": [{"product": product, "quantity": 2, "price": 10.5}],
        "total": 24.0, "sale_id": "R-77"
    })))
    .await;
    assert_eq!(status, 409, "{other}");
    let (status, again) = send(sale(json!({
        "lines": [
            {"product": product, "quantity": 2, "price": 10.5},
            {"product": "NOT-RECOMMENDED", "quantity": 1, "price": 3.0}
        ],
        "total": 24.0, "currency": "UAH", "sale_id": "R-77"
    })))
    .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["repeated"], true);
    assert_eq!(again["lookup"], answer["lookup"]);
    assert_ne!(again["lookup"], next["lookup"]);
    let on_screen = settled(&http, &base).await;
    assert!(next["lookup"].is_u64(), "{next}");
    assert_eq!(
        on_screen["lookup"], next["lookup"],
        "the next customer stays on screen"
    );
    let next_cards = on_screen["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == source_id)
        .map_or(0, |s| s["products"].as_array().unwrap().len() as u64);
    drop(service);

    let figures = history::sales(&file, 1).unwrap();
    assert_eq!((figures.sales, figures.priced_sales), (1, 1));
    let sold: Vec<_> = figures
        .per_source
        .iter()
        .filter(|s| s.source_id == source_id)
        .collect();
    assert_eq!(sold.len(), 1);
    assert_eq!(
        (sold[0].lines, sold[0].quantity, sold[0].revenue),
        (1, 2.0, 21.0)
    );
    assert_eq!(sold[0].without_click, 1);
    // No window here: the cards the POS fetched count as shown, once per
    // customer however often it fetched them.
    let stats = history::stats(&file, 1).unwrap();
    let seen = stats.iter().find(|s| s.source_id == source_id).unwrap();
    assert_eq!(seen.shown, cards_fetched + next_cards);
    // Neither the customer nor the receipt number is in the file.
    let bytes = std::fs::read(&file).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("1234567") && !text.contains("R-77"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_arriving_while_the_lookup_runs_is_recorded_for_that_customer() {
    let options = DemoOptions {
        latency: Duration::from_millis(800),
        ..DemoOptions::default()
    };
    let LinkedTill {
        _dir,
        file,
        shop: _shop,
        service,
        base,
        http,
    } = linked_till(options, 0).await;
    let (_, posted) = send(
        http.post(format!("{base}/customer"))
            .json(&json!({"phone": "0671234567"})),
    )
    .await;
    let (status, answer) = send(
        http.post(format!("{base}/sale"))
            .json(&json!({"lines": [{"product": "A", "quantity": 1, "price": 2.0}]})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["lookup"], posted["lookup"]);
    // Nothing had been recommended yet: nothing is attributed.
    assert_eq!(answer["recommended_lines"], 0);
    drop(service);
    let figures = history::sales(&file, 1).unwrap();
    assert_eq!(figures.sales, 1);
    assert!(figures.per_source.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_in_the_comparison_group_causes_no_request() {
    // The service stays bound: dropping it would stop the till.
    let LinkedTill {
        _dir,
        shop,
        service: _service,
        base,
        http,
        ..
    } = linked_till(DemoOptions::default(), 50).await;
    let before = shop
        .stats()
        .requests
        .load(std::sync::atomic::Ordering::SeqCst);
    let (status, _) = send(
        http.post(format!("{base}/customer"))
            .json(&json!({"phone": phone_in(Group::Holdout, 50)})),
    )
    .await;
    assert_eq!(status, 200);
    let document = settled(&http, &base).await;
    assert_eq!(document["group"], "holdout", "{document}");
    assert_eq!(document["sources"], json!([]));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = shop
        .stats()
        .requests
        .load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(after, before, "a source was asked for a held-out customer");
    // A shown customer is asked for, and has no group field.
    send(
        http.post(format!("{base}/customer"))
            .json(&json!({"phone": phone_in(Group::Shown, 50)})),
    )
    .await;
    let document = settled(&http, &base).await;
    assert!(document.get("group").is_none(), "{document}");
    assert!(!document["sources"].as_array().unwrap().is_empty());
}

fn record(group: Group, period: &str, total: Option<f64>, bought: Vec<Bought>) -> Event {
    Event::Sale(Box::new(SaleRecord {
        group,
        period: period.into(),
        total,
        items: 1.0 + bought.len() as f64,
        lines: vec![SaleLine {
            product: "P".into(),
            quantity: 1.0,
            price: total,
        }],
        bought,
    }))
}

fn bought(source_id: u64, product: &str, quantity: f64, revenue: f64, click: Click) -> Bought {
    Bought {
        source_id,
        product_id: product.into(),
        name: format!("Name of {product}"),
        quantity,
        revenue: Some(revenue),
        click,
    }
}

/// Known sales written to a real file give exactly the expected figures;
/// the confidence interval matches one computed here by hand.
#[test]
fn the_figures_and_the_interval_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.sqlite3");
    let history = History::start(file.clone(), 90);
    // An old period: never compared with the new one.
    for _ in 0..40 {
        history.record(record(Group::Holdout, "10%-old", Some(1000.0), vec![]));
    }
    // Two sources listed product A: it counts for both, once in the total.
    history.record(record(
        Group::Shown,
        "20%-new",
        Some(100.0),
        vec![
            bought(1, "A", 2.0, 40.0, Click::Added),
            bought(2, "A", 2.0, 40.0, Click::None),
            bought(2, "B", 1.0, 5.0, Click::Opened),
        ],
    ));
    // 30 sales in each group of the new period: shown 100 + i, holdout 90 + 2i.
    for i in 1..30 {
        history.record(record(
            Group::Shown,
            "20%-new",
            Some(100.0 + f64::from(i)),
            vec![],
        ));
    }
    for i in 0..30 {
        history.record(record(
            Group::Holdout,
            "20%-new",
            Some(90.0 + 2.0 * f64::from(i)),
            vec![],
        ));
    }
    drop(history);

    let figures = history::sales(&file, 1).unwrap();
    assert_eq!(figures.sales, 100);
    let by: Vec<(u64, u64, f64, f64, u64, u64)> = figures
        .per_source
        .iter()
        .map(|s| {
            (
                s.source_id,
                s.lines,
                s.quantity,
                s.revenue,
                s.after_click,
                s.without_click,
            )
        })
        .collect();
    assert_eq!(by, vec![(1, 1, 2.0, 40.0, 1, 0), (2, 2, 3.0, 45.0, 1, 1)]);
    assert_eq!(
        (figures.recommended_lines, figures.recommended_revenue),
        (2, 45.0)
    );
    assert_eq!(figures.top[0].name, "Name of A");
    // The CSV carries them in its new columns (no cards were recorded as shown here).
    let stats = vec![history::SourceStats {
        source_id: 2,
        shown: 50,
        ..Default::default()
    }];
    let csv = history::csv(&stats, &figures);
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert_eq!(
        header[10..],
        [
            "bought_lines",
            "bought_quantity",
            "revenue",
            "revenue_per_100_shown",
            "bought_after_click",
            "bought_without_click"
        ]
    );
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .ends_with(",2,3,45.00,90.00,1,1"),
        "{csv}"
    );

    // One day: the recommended revenue once per line, and the average
    // sale of the customers shown recommendations.
    assert_eq!(figures.daily.len(), 1);
    assert_eq!(figures.daily[0].recommended_revenue, 45.0);
    let shown_total: f64 = 100.0 + (1..30).map(|i| 100.0 + f64::from(i)).sum::<f64>();
    assert!((figures.daily[0].shown_mean.unwrap() - shown_total / 30.0).abs() < 1e-9);
    let c = figures.comparison.unwrap();
    assert_eq!(c.period, "20%-new");
    assert_eq!((c.shown.sales, c.holdout.sales), (30, 30));
    let shown: Vec<f64> = (0..30).map(|i| 100.0 + f64::from(i)).collect();
    let held: Vec<f64> = (0..30).map(|i| 90.0 + 2.0 * f64::from(i)).collect();
    // By hand: means 114.5 and 119; variances 77.5 and 310 (n - 1);
    // se = sqrt(77.5/30 + 310/30) = sqrt(12.9167); Welch's df =
    // 12.9167² / ((2.5833² + 10.3333²) / 29) = 42.647; and, from SciPy
    // (scipy.stats.t.ppf(0.975, 42.647)), t = 2.017175.
    assert_eq!(c.shown.mean_value, Some(shown.iter().sum::<f64>() / 30.0));
    assert_eq!(c.holdout.mean_value, Some(held.iter().sum::<f64>() / 30.0));
    let d = c
        .uplift
        .absolute
        .expect("30 sales in each group are enough");
    let se = (77.5f64 / 30.0 + 310.0 / 30.0).sqrt();
    assert!((d.mean - (114.5 - 119.0)).abs() < 1e-9);
    assert!((d.low - (-4.5 - 2.017175 * se)).abs() < 1e-4, "{d:?}");
    assert!((d.high - (-4.5 + 2.017175 * se)).abs() < 1e-4, "{d:?}");
    // Relative: 114.5 / 119 − 1 = −3.78 %; the interval holds zero, so
    // nothing is claimed. For 80 % power at today's difference: (1.959964 +
    // 0.841621)² (77.5 / 0.5 + 310 / 0.5) / 4.5² = 300.39 sales, 60 are in.
    let r = c.uplift.relative.expect("a relative figure");
    assert!((r.mean - (114.5 / 119.0 - 1.0)).abs() < 1e-12, "{r:?}");
    assert!(r.low < 0.0 && r.high > 0.0, "{r:?}");
    assert_eq!(c.uplift.verdict, history::Verdict::NotYet);
    assert_eq!(c.uplift.more_sales_needed, Some(241));
}

#[test]
fn below_thirty_sales_a_group_claims_no_difference() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.sqlite3");
    let history = History::start(file.clone(), 90);
    for i in 0..29 {
        history.record(record(Group::Holdout, "5%-x", Some(f64::from(i)), vec![]));
        history.record(record(
            Group::Shown,
            "5%-x",
            Some(f64::from(i) * 2.0),
            vec![],
        ));
    }
    drop(history);
    let c = history::sales(&file, 1).unwrap().comparison.unwrap();
    assert_eq!(c.holdout.sales, 29);
    assert_eq!((c.uplift.absolute, c.uplift.relative), (None, None));
    assert_eq!(c.uplift.verdict, history::Verdict::TooFewSales);
}

/// 10 %, then 20 %, then 10 % again with the same key: three periods. The
/// comparison and the trend's group averages are of the last one alone; a
/// restart in the middle of a period continues it.
#[test]
fn a_period_that_comes_back_is_a_new_period() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.sqlite3");
    let history = History::start(file.clone(), 90);
    for _ in 0..5 {
        history.record(record(Group::Shown, "10%-k", Some(500.0), vec![]));
        history.record(record(Group::Holdout, "10%-k", Some(900.0), vec![]));
    }
    for _ in 0..5 {
        history.record(record(Group::Shown, "20%-k", Some(300.0), vec![]));
    }
    for _ in 0..3 {
        history.record(record(Group::Shown, "10%-k", Some(100.0), vec![]));
    }
    history.record(record(Group::Holdout, "10%-k", Some(50.0), vec![]));
    drop(history);
    // The till restarts with the same setting: the period goes on.
    let history = History::start(file.clone(), 90);
    history.record(record(Group::Shown, "10%-k", Some(100.0), vec![]));
    history.record(record(Group::Holdout, "10%-k", Some(70.0), vec![]));
    drop(history);

    let figures = history::sales(&file, 1).unwrap();
    assert_eq!(figures.sales, 21);
    let c = figures.comparison.unwrap();
    assert_eq!(c.period, "10%-k");
    assert_eq!((c.shown.sales, c.holdout.sales), (4, 2));
    assert_eq!(c.shown.mean_value, Some(100.0));
    assert_eq!(c.holdout.mean_value, Some(60.0));
    assert_eq!(figures.daily.len(), 1);
    assert_eq!(figures.daily[0].shown_mean, Some(100.0));
    assert_eq!(figures.daily[0].holdout_mean, Some(60.0));
    assert_eq!(
        c.since,
        history::day_of(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64
        )
    );
}
