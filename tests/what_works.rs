//! The manager's "What works" report as it is drawn: kittest snapshots of
//! the report with a fortnight of sales, with nothing sold yet, and in
//! Ukrainian. The figures are fixed (a history written "now" would give
//! other dates every day); reading them from the history is tested in
//! `settings_ui.rs` and `sales.rs`.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pos_recs::config::{Config, SourceConfig};
use pos_recs::history::{
    Comparison, Day, Figures, GroupFigures, Moments, SalesFigures, SourceSales, SourceStats,
    TopBought, TopProduct, uplift,
};
use pos_recs::ui::i18n::{EN, Texts, UK};
use pos_recs::ui::what_works::WhatWorks;

/// The demo shop's four sources.
fn sources() -> Vec<SourceConfig> {
    let text = r#"
[[sources]]
id = 1246
title = "Picked for this customer"
[[sources]]
id = 1244
title = "You may also like"
[[sources]]
id = 1245
title = "Bestsellers"
[[sources]]
id = 1247
title = "New arrivals"
"#;
    Config::parse(text, std::path::Path::new("what_works.toml"))
        .unwrap()
        .sources
}

/// One source's figures: 241 lookups, all answered.
fn source(id: u64, shown: u64, opened: u64, added: u64, top: &[(&str, u64, u64)]) -> SourceStats {
    SourceStats {
        source_id: id,
        lookups: 241,
        answered: 241,
        median_ms: 84,
        p95_ms: 312,
        shown,
        opened,
        to_customer: opened / 3,
        added,
        top_products: top
            .iter()
            .map(|&(id, added, opened)| TopProduct {
                id: id.into(),
                added,
                opened,
            })
            .collect(),
    }
}

/// A fortnight at a till with the comparison group on.
fn a_fortnight() -> Figures {
    let stats = vec![
        source(
            1246,
            1434,
            212,
            61,
            &[("SKU-1018", 14, 31), ("SKU-1036", 9, 22)],
        ),
        source(1244, 1440, 180, 44, &[("SKU-1037", 11, 25)]),
        source(
            1245,
            1446,
            97,
            38,
            &[("SKU-1011", 12, 19), ("SKU-1027", 7, 12)],
        ),
        source(1247, 1440, 88, 29, &[("SKU-1008", 8, 14)]),
    ];
    let sold = |source_id, lines: u64, revenue| SourceSales {
        source_id,
        lines,
        quantity: lines as f64,
        revenue,
        after_click: lines / 2,
        without_click: lines - lines / 2,
    };
    let (shown, holdout) = (
        Moments {
            n: 241.0,
            mean: 3564.39,
            variance: 1500.0 * 1500.0,
        },
        Moments {
            n: 59.0,
            mean: 2476.83,
            variance: 900.0 * 900.0,
        },
    );
    let daily = (0..14)
        .map(|i| Day {
            date: format!(
                "2026-{}",
                [
                    "11-19", "11-20", "11-21", "11-22", "11-23", "11-24", "11-25", "11-26",
                    "11-27", "11-28", "11-29", "11-30", "12-01", "12-02"
                ][i]
            ),
            recommended_revenue: 15_000.0 + 9_000.0 * ((i as f64) * 0.9).sin().abs(),
            shown_mean: Some(3_300.0 + 400.0 * ((i as f64) * 0.7).cos()),
            holdout_mean: (i != 0).then(|| 2_300.0 + 500.0 * ((i as f64) * 1.3).sin()),
        })
        .collect();
    let top = |id: &str, name: &str, quantity: f64, revenue| TopBought {
        id: id.into(),
        name: name.into(),
        quantity,
        revenue,
    };
    let sales = SalesFigures {
        sales: 300,
        priced_sales: 300,
        per_source: vec![
            sold(1244, 46, 77_244.0),
            sold(1245, 59, 66_441.0),
            sold(1246, 49, 115_831.0),
            sold(1247, 51, 89_409.0),
        ],
        recommended_lines: 176,
        recommended_revenue: 304_894.0,
        comparison: Some(Comparison {
            period: "20%-f109482d".into(),
            since: "2026-11-19".into(),
            shown: GroupFigures {
                sales: 241,
                mean_value: Some(shown.mean),
                mean_items: 5.52,
            },
            holdout: GroupFigures {
                sales: 59,
                mean_value: Some(holdout.mean),
                mean_items: 5.42,
            },
            measure: "value",
            uplift: uplift(shown, holdout),
        }),
        top: vec![
            top("SKU-1018", "Linen midi dress, grey", 12.0, 24_708.0),
            top("SKU-1036", "Chelsea boots, burgundy", 5.0, 24_645.0),
            top("SKU-1037", "Leather crossbody bag, sky blue", 8.0, 23_752.0),
            top("SKU-1011", "Cable-knit cardigan, black", 14.0, 19_586.0),
        ],
        daily,
    };
    Figures { stats, sales }
}

/// Lookups recorded, nothing added to a sale and nothing sold yet.
fn nothing_sold() -> Figures {
    let stats = [1246, 1244, 1245]
        .map(|id| source(id, 0, 0, 0, &[]))
        .to_vec();
    Figures {
        stats,
        sales: SalesFigures::default(),
    }
}

/// The report drawn over `figures` in `texts`' language, money in
/// `currency`, on a page `height` high.
fn report(
    figures: Figures,
    texts: &'static Texts,
    currency: &str,
    height: f32,
) -> Harness<'static, WhatWorks> {
    let page = WhatWorks::showing(Ok(figures), None, currency, &texts.what_works);
    let sources = sources();
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, height))
        .build_ui_state(move |ui, page: &mut WhatWorks| page.ui(ui, &sources), page);
    pos_recs::ui::theme::apply(&h.ctx, false, 1.0);
    h.run();
    h
}

#[test]
fn the_report_with_a_fortnight_of_sales() {
    let mut h = report(a_fortnight(), &EN, "USD", 2100.0);
    let t = &EN.what_works;
    // Money as the till writes it, and the uplift in plain words.
    assert!(h.query_by_label("$115,831.00").is_some());
    assert!(h.query_by_label("+$1,087.56").is_some());
    assert!(h.query_by_label("+43.9\u{a0}%").is_some());
    assert!(h.query_by_label(t.sales.higher_value).is_some());
    assert!(h.query_by_label("115831.00").is_none());
    // Every top product has its row; none is cut off.
    for sku in [
        "SKU-1018", "SKU-1036", "SKU-1037", "SKU-1011", "SKU-1027", "SKU-1008",
    ] {
        assert!(h.query_all_by_label(sku).next().is_some(), "{sku}");
    }
    assert!(h.query_by_label(t.chart_empty).is_none());
    h.snapshot("what_works_sales");
}

#[test]
fn the_report_before_anything_is_sold() {
    let mut h = report(nothing_sold(), &EN, "USD", 520.0);
    let t = &EN.what_works;
    // One line where the chart would be, not an empty -3..3 axis.
    assert!(h.query_by_label(t.chart_empty).is_some());
    assert!(h.query_by_label(t.sales.none_yet).is_some());
    assert!(h.query_by_label(t.trend_revenue).is_none());
    h.snapshot("what_works_empty");
}

#[test]
fn the_report_in_ukrainian() {
    let mut h = report(a_fortnight(), &UK, "UAH", 2100.0);
    let t = &UK.what_works;
    assert!(h.query_by_label("115\u{202f}831,00\u{a0}₴").is_some());
    assert!(h.query_by_label("+43,9\u{a0}%").is_some());
    assert!(h.query_by_label(t.sales.higher_value).is_some());
    assert!(h.query_by_label(EN.what_works.title).is_none());
    h.snapshot("what_works_uk");
}

#[test]
fn a_till_with_nothing_recorded_says_so_in_one_line() {
    let h = report(Figures::default(), &EN, "USD", 300.0);
    assert!(h.query_by_label(EN.what_works.nothing_yet).is_some());
    assert!(h.query_by_label(EN.what_works.chart_title).is_none());
    assert!(h.query_by_label(EN.what_works.export_csv).is_none());
}
