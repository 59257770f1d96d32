//! The What works page's sales part: what the recommendations sold per
//! source, the comparison group, and the products bought after a
//! recommendation, in the till's language.

use egui::RichText;

use super::i18n::SalesTexts;
use super::theme;
use super::what_works::figures_grid;
use crate::history::{self, Comparison, SalesFigures, SourceStats};

/// Money and quantities as the page writes them.
fn amount(value: f64) -> String {
    format!("{value:.2}")
}

/// A quantity: whole numbers without decimals.
fn quantity(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

/// Draws the part; `title` names a source by id.
pub fn sales_ui(
    ui: &mut egui::Ui,
    t: &SalesTexts,
    stats: &[SourceStats],
    sales: &SalesFigures,
    title: &dyn Fn(u64) -> String,
) {
    ui.label(RichText::new(t.title).strong());
    if sales.sales == 0 {
        ui.label(t.none_yet);
        return;
    }
    ui.label(format!(
        "{}: {} ({} {}). {}",
        t.sales, sales.sales, sales.priced_sales, t.with_value, t.both_sources
    ));
    if sales.priced_sales == 0 {
        ui.label(RichText::new(t.no_prices).italics());
    }
    figures_grid(ui, "what_works_sold", &t.columns, |ui| {
        for s in stats {
            let sold = history::sold_by(sales, s.source_id);
            if sold.lines == 0 {
                continue;
            }
            ui.label(title(s.source_id));
            ui.label(sold.lines.to_string());
            ui.label(quantity(sold.quantity));
            ui.label(amount(sold.revenue));
            ui.label(amount(history::revenue_per_100_shown(
                sold.revenue,
                s.shown,
            )));
            ui.label(sold.after_click.to_string());
            ui.label(sold.without_click.to_string());
            ui.end_row();
        }
        ui.label(RichText::new(t.all_sources).strong());
        ui.label(RichText::new(sales.recommended_lines.to_string()).strong());
        ui.label("");
        ui.label(RichText::new(amount(sales.recommended_revenue)).strong());
        ui.end_row();
    });
    ui.add_space(theme::GAP);
    ui.label(RichText::new(t.comparison).strong());
    match &sales.comparison {
        None => {
            ui.label(t.comparison_off);
        }
        Some(c) => comparison_ui(ui, t, c),
    }
    if !sales.top.is_empty() {
        ui.add_space(theme::GAP);
        ui.label(RichText::new(t.top).strong());
        egui::Grid::new("what_works_top_sold")
            .striped(true)
            .spacing(egui::vec2(14.0, 4.0))
            .show(ui, |ui| {
                for p in &sales.top {
                    ui.label(&p.name);
                    ui.label(RichText::new(&p.id).weak());
                    ui.label(quantity(p.quantity));
                    ui.label(amount(p.revenue));
                    ui.end_row();
                }
            });
    }
}

fn comparison_ui(ui: &mut egui::Ui, t: &SalesTexts, c: &Comparison) {
    ui.label(format!(
        "{} {} ({} {})",
        t.period, c.period, t.since, c.since
    ));
    figures_grid(ui, "what_works_groups", &t.group_columns, |ui| {
        for (name, g) in [(t.shown, &c.shown), (t.holdout, &c.holdout)] {
            ui.label(name);
            ui.label(g.sales.to_string());
            ui.label(g.mean_value.map_or_else(|| "–".to_string(), amount));
            ui.label(format!("{:.2}", g.mean_items));
            ui.end_row();
        }
    });
    let what = if c.measure == "value" {
        t.difference_value
    } else {
        t.difference_items
    };
    match &c.difference {
        Some(d) => {
            ui.label(
                RichText::new(format!(
                    "{what}: {:+.2} ({} {:+.2} … {:+.2})",
                    d.mean, t.interval, d.low, d.high
                ))
                .strong(),
            );
        }
        None => {
            ui.label(t.not_enough);
        }
    }
}
