//! The daily trends: revenue from recommendations, and each group's
//! average sale, on money axes; a one-line empty state while there is
//! nothing to draw.

use std::sync::Arc;

use egui_plot::{Legend, Line, PlotPoints};

use super::charts::{YFormat, chart_title, empty_chart, fixed_plot, nothing_to_draw};
use super::numbers::Numbers;
use crate::history::{Day, SalesFigures};
use crate::ui::i18n::WhatWorksTexts;
use crate::ui::theme;

/// The points of one series (days where `value` is `None` leave a gap).
fn series(days: &[Day], value: impl Fn(&Day) -> Option<f64>) -> PlotPoints<'static> {
    days.iter()
        .enumerate()
        .filter_map(|(i, d)| value(d).map(|v| [i as f64, v]))
        .collect::<Vec<_>>()
        .into()
}

/// Draws the trends (nothing at all before the first sale: the sales part
/// says so).
pub fn trend_ui(ui: &mut egui::Ui, t: &WhatWorksTexts, sales: &SalesFigures, numbers: &Numbers) {
    if sales.sales == 0 {
        return;
    }
    let days = &sales.daily;
    chart_title(ui, t.trend_revenue);
    if days.len() < 2 || sales.priced_sales == 0 {
        empty_chart(ui, t.trend_empty);
        ui.add_space(theme::GAP);
        return;
    }
    let dates: Vec<String> = days.iter().map(|d| d.date.clone()).collect();
    let money = numbers.clone();
    let y: YFormat = Arc::new(move |v| money.axis_money(v));
    // Two charts: revenue per day is tens of times an average sale, and on
    // one axis the groups' lines would lie flat.
    if nothing_to_draw(days.iter().map(|d| d.recommended_revenue)) {
        empty_chart(ui, t.sales.none_from_recommendations);
    } else {
        fixed_plot("what_works_trend_revenue", 130.0, dates.clone(), y.clone()).show(ui, |plot| {
            plot.line(Line::new(
                t.trend_revenue,
                series(days, |d| Some(d.recommended_revenue)),
            ));
        });
    }
    // The groups' averages exist only with the comparison on.
    if days
        .iter()
        .any(|d| d.shown_mean.is_some() || d.holdout_mean.is_some())
    {
        chart_title(ui, t.trend_groups);
        fixed_plot("what_works_trend_groups", 130.0, dates, y)
            // Below the lines: averages sit well above the axis's 0.
            .legend(Legend::default().position(egui_plot::Corner::RightBottom))
            .show(ui, |plot| {
                plot.line(Line::new(t.trend_shown, series(days, |d| d.shown_mean)));
                plot.line(Line::new(t.trend_holdout, series(days, |d| d.holdout_mean)));
            });
    }
    ui.add_space(theme::GAP);
}
