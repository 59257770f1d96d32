//! The report's sales part: what the recommendations sold per source, the
//! comparison group with the uplift in plain words, and the products
//! bought after a recommendation, in the till's language and currency.

use egui::RichText;

use super::numbers::Numbers;
use super::{Titles, figures_grid, number};
use crate::history::{self, Comparison, Difference, SalesFigures, SourceStats, Verdict};
use crate::ui::i18n::SalesTexts;
use crate::ui::theme;

/// Draws the part.
pub fn sales_ui(
    ui: &mut egui::Ui,
    t: &SalesTexts,
    stats: &[SourceStats],
    sales: &SalesFigures,
    numbers: &Numbers,
    title: &Titles<'_>,
) {
    super::part_title(ui, t.title);
    if sales.sales == 0 {
        ui.label(t.none_yet);
        return;
    }
    ui.label(format!(
        "{}: {} ({} {}). {}",
        t.sales,
        numbers.count(sales.sales),
        numbers.count(sales.priced_sales),
        t.with_value,
        t.both_sources
    ));
    if sales.priced_sales == 0 {
        ui.label(RichText::new(t.no_prices).italics());
    }
    sold_ui(ui, t, stats, sales, numbers, title);
    ui.add_space(theme::GAP);
    ui.label(RichText::new(t.comparison).strong());
    match &sales.comparison {
        None => {
            ui.label(t.comparison_off);
        }
        Some(c) => comparison_ui(ui, t, c, numbers),
    }
}

/// The products bought after a recommendation, best first.
pub fn top_sold_ui(ui: &mut egui::Ui, t: &SalesTexts, sales: &SalesFigures, numbers: &Numbers) {
    if sales.top.is_empty() {
        return;
    }
    ui.label(RichText::new(t.top).strong());
    egui::Grid::new("what_works_top_sold")
        .striped(true)
        .spacing(egui::vec2(14.0, 4.0))
        // One more than drawn, as in `figures_grid`.
        .num_columns(5)
        .show(ui, |ui| {
            for p in &sales.top {
                ui.label(&p.name);
                ui.label(RichText::new(&p.id).weak());
                number(ui, numbers.quantity(p.quantity));
                number(ui, numbers.money(p.revenue));
                ui.end_row();
            }
        });
    ui.add_space(theme::GAP);
}

/// What each source's recommendations sold, and all sources once.
fn sold_ui(
    ui: &mut egui::Ui,
    t: &SalesTexts,
    stats: &[SourceStats],
    sales: &SalesFigures,
    numbers: &Numbers,
    title: &Titles<'_>,
) {
    if sales.recommended_lines == 0 {
        ui.label(RichText::new(t.none_from_recommendations).weak().italics());
        return;
    }
    figures_grid(ui, "what_works_sold", &t.columns, 1, |ui| {
        for s in stats {
            let sold = history::sold_by(sales, s.source_id);
            if sold.lines == 0 {
                continue;
            }
            ui.label(title(s.source_id));
            number(ui, numbers.count(sold.lines));
            number(ui, numbers.quantity(sold.quantity));
            number(ui, numbers.money(sold.revenue));
            number(
                ui,
                numbers.money(history::revenue_per_100_shown(sold.revenue, s.shown)),
            );
            number(ui, numbers.count(sold.after_click));
            number(ui, numbers.count(sold.without_click));
            ui.end_row();
        }
        ui.label(RichText::new(t.all_sources).strong());
        number(
            ui,
            RichText::new(numbers.count(sales.recommended_lines)).strong(),
        );
        ui.label("");
        number(
            ui,
            RichText::new(numbers.money(sales.recommended_revenue)).strong(),
        );
        ui.end_row();
    });
}

/// An interval as `95 % interval low … high`.
fn interval_text(t: &SalesTexts, d: &Difference, write: &dyn Fn(f64) -> String) -> String {
    format!("{} {} … {}", t.interval, write(d.low), write(d.high))
}

/// The two groups, the difference (absolute and relative, each with its
/// interval), whether it is significant, and the sales it still needs.
fn comparison_ui(ui: &mut egui::Ui, t: &SalesTexts, c: &Comparison, numbers: &Numbers) {
    ui.label(format!(
        "{} {} ({} {})",
        t.period, c.period, t.since, c.since
    ));
    figures_grid(ui, "what_works_groups", &t.group_columns, 1, |ui| {
        for (name, g) in [(t.shown, &c.shown), (t.holdout, &c.holdout)] {
            ui.label(name);
            number(ui, numbers.count(g.sales));
            number(
                ui,
                g.mean_value
                    .map_or_else(|| "–".to_string(), |v| numbers.money(v)),
            );
            number(ui, numbers.decimals(g.mean_items, 2));
            ui.end_row();
        }
    });
    let by_value = c.measure == "value";
    let signed_items = |v: f64| {
        let text = numbers.decimals(v, 2);
        if v > 0.0 { format!("+{text}") } else { text }
    };
    let write_absolute = |v: f64| {
        if by_value {
            numbers.signed_money(v)
        } else {
            signed_items(v)
        }
    };
    let u = &c.uplift;
    egui::Grid::new("what_works_uplift")
        .spacing(egui::vec2(14.0, 4.0))
        .show(ui, |ui| {
            if let Some(d) = &u.absolute {
                ui.label(if by_value {
                    t.difference_value
                } else {
                    t.difference_items
                });
                ui.label(RichText::new(write_absolute(d.mean)).strong());
                ui.label(interval_text(t, d, &write_absolute));
                ui.end_row();
            }
            if let Some(r) = &u.relative {
                ui.label(t.relative);
                ui.label(RichText::new(numbers.signed_percent(r.mean)).strong());
                ui.label(interval_text(t, r, &|v| numbers.signed_percent(v)));
                ui.end_row();
            }
        });
    let verdict = match (u.verdict, by_value) {
        (Verdict::Higher, true) => t.higher_value,
        (Verdict::Lower, true) => t.lower_value,
        (Verdict::Higher, false) => t.higher_items,
        (Verdict::Lower, false) => t.lower_items,
        (Verdict::NotYet, _) => t.not_yet,
        (Verdict::TooFewSales, _) => t.not_enough,
    };
    let colour = match u.verdict {
        Verdict::Higher => theme::good(ui),
        Verdict::Lower => theme::error(ui),
        _ => ui.visuals().text_color(),
    };
    ui.label(RichText::new(verdict).color(colour).strong());
    if let Some(n) = u.more_sales_needed.filter(|&n| n > 0) {
        let sales = crate::ui::plural::pick(t.language, n, &t.sales_word);
        ui.label(
            t.more_needed
                .replace("{n}", &numbers.count(n))
                .replace("{sales}", sales),
        );
    }
}
