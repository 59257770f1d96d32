//! The report's first part: per source, how often it answered and how
//! fast, what its cards did, a bar chart of cards added to a sale per 100
//! shown, and each source's top products.

use std::sync::Arc;

use egui::RichText;
use egui_plot::{Bar, BarChart};

use super::charts::{chart_title, empty_chart, fixed_plot, nothing_to_draw};
use super::numbers::Numbers;
use super::{Titles, figures_grid, number};
use crate::history::SourceStats;
use crate::ui::i18n::WhatWorksTexts;
use crate::ui::theme;

/// Draws the sources' table, chart and top products.
pub fn sources_ui(
    ui: &mut egui::Ui,
    t: &WhatWorksTexts,
    stats: &[SourceStats],
    numbers: &Numbers,
    title: &Titles<'_>,
) {
    super::part_title(ui, t.sources_title);
    figures_grid(ui, "what_works", &t.columns, 1, |ui| {
        for s in stats {
            ui.label(title(s.source_id));
            number(ui, numbers.count(s.lookups));
            number(ui, numbers.percent(s.answered_share()));
            number(ui, format!("{} ms", numbers.count(s.median_ms)));
            number(ui, format!("{} ms", numbers.count(s.p95_ms)));
            number(ui, numbers.count(s.shown));
            number(ui, numbers.count(s.opened));
            number(ui, numbers.count(s.to_customer));
            number(ui, numbers.count(s.added));
            number(ui, numbers.decimals(s.added_per_100_shown(), 2));
            ui.end_row();
        }
    });
    ui.add_space(theme::GAP);
    chart_title(ui, t.chart_title);
    if nothing_to_draw(stats.iter().map(SourceStats::added_per_100_shown)) {
        empty_chart(ui, t.chart_empty);
    } else {
        let bars: Vec<Bar> = stats
            .iter()
            .enumerate()
            .map(|(i, s)| Bar::new(i as f64, s.added_per_100_shown()).name(title(s.source_id)))
            .collect();
        let names: Vec<String> = stats.iter().map(|s| title(s.source_id)).collect();
        let rate = numbers.clone();
        fixed_plot(
            "what_works_chart",
            180.0,
            names,
            Arc::new(move |v| rate.decimals(v, 1)),
        )
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new(t.columns[9], bars));
        });
    }
    top_products_ui(ui, t, stats, numbers, title);
}

/// Each source's most added products, one row each (never one long line
/// that runs off the page).
fn top_products_ui(
    ui: &mut egui::Ui,
    t: &WhatWorksTexts,
    stats: &[SourceStats],
    numbers: &Numbers,
    title: &Titles<'_>,
) {
    if stats.iter().all(|s| s.top_products.is_empty()) {
        return;
    }
    ui.add_space(theme::GAP);
    ui.label(RichText::new(t.top_products).strong());
    let headers = [t.columns[0], "SKU", t.columns[8], t.columns[6]];
    figures_grid(ui, "what_works_top", &headers, 2, |ui| {
        for s in stats {
            for (i, p) in s.top_products.iter().enumerate() {
                // The source's name on its first row only.
                ui.label(if i == 0 {
                    title(s.source_id)
                } else {
                    String::new()
                });
                ui.label(&p.id);
                number(ui, numbers.count(p.added));
                number(ui, numbers.count(p.opened));
                ui.end_row();
            }
        }
    });
}
