//! The manager's "What works" page: per source, over the last 7, 30 or 90
//! days, how often it answered and how fast, and what its cards did —
//! shown, opened, shown to the customer, added to the sale — with a bar
//! chart of sales per 100 cards shown and each source's top products.
//! Figures are read from the history file on a blocking worker.

use std::path::PathBuf;

use egui::RichText;
use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoints};
use poll_promise::Promise;

use crate::config::SourceConfig;
use crate::history::{self, SalesFigures, SourceStats};

/// What the page shows: the sources' figures and what they sold.
type Figures = (Vec<SourceStats>, SalesFigures);

use super::i18n::WhatWorksTexts;
use super::theme;

/// A plot that stays put (no drag, zoom or scroll), its x axis labelled
/// at 0, 1, 2… with `labels`.
fn fixed_plot(id: &str, height: f32, labels: Vec<String>) -> Plot<'static> {
    Plot::new(id)
        .height(height)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .x_axis_formatter(move |mark, _range| {
            let i = mark.value.round();
            if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
}

/// A striped table of figures with its column `headers` in bold, then
/// the rows `body` adds (each ended with `ui.end_row()`).
pub(super) fn figures_grid(
    ui: &mut egui::Ui,
    id: &str,
    headers: &[&str],
    body: impl FnOnce(&mut egui::Ui),
) {
    egui::Grid::new(id)
        .striped(true)
        .spacing(egui::vec2(14.0, 6.0))
        .show(ui, |ui| {
            for header in headers {
                ui.label(RichText::new(*header).strong());
            }
            ui.end_row();
            body(ui);
        });
}

/// The periods offered.
pub const PERIODS: [u32; 3] = [7, 30, 90];

/// The page's state.
pub struct WhatWorks {
    file: Option<PathBuf>,
    days: u32,
    loading: Option<Promise<Result<Figures, String>>>,
    stats: Result<Vec<SourceStats>, String>,
    /// What the recommendations sold, and the comparison group.
    sales: SalesFigures,
    csv_path: String,
    csv_message: Option<String>,
    csv_job: Option<Promise<Result<(), String>>>,
    texts: &'static WhatWorksTexts,
}

impl WhatWorks {
    /// The page for the history in `file` (none: recording is off).
    pub fn new(
        file: Option<PathBuf>,
        csv_dir: Option<PathBuf>,
        texts: &'static WhatWorksTexts,
    ) -> Self {
        let csv_path = csv_dir
            .unwrap_or_else(std::env::temp_dir)
            .join("pos-recs-what-works.csv")
            .to_string_lossy()
            .into_owned();
        let mut page = Self {
            file,
            days: 30,
            loading: None,
            stats: Ok(vec![]),
            sales: SalesFigures::default(),
            csv_path,
            csv_message: None,
            csv_job: None,
            texts,
        };
        page.reload();
        page
    }

    fn reload(&mut self) {
        let Some(file) = self.file.clone() else {
            self.stats = Err(self.texts.recording_off.into());
            return;
        };
        let days = self.days;
        self.loading = Some(Promise::spawn_blocking(move || {
            if !file.exists() {
                return Ok((vec![], SalesFigures::default()));
            }
            let stats = history::stats(&file, days).map_err(|e| e.to_string())?;
            let sales = history::sales(&file, days).map_err(|e| e.to_string())?;
            Ok((stats, sales))
        }));
    }

    /// The daily trend: revenue from recommendations and each group's
    /// average sale (days without sales of a group leave a gap).
    fn trend_ui(&self, ui: &mut egui::Ui) {
        let days = &self.sales.daily;
        if days.len() < 2 || self.sales.priced_sales == 0 {
            return;
        }
        let series = |value: &dyn Fn(&history::Day) -> Option<f64>| -> PlotPoints<'static> {
            days.iter()
                .enumerate()
                .filter_map(|(i, d)| value(d).map(|v| [i as f64, v]))
                .collect::<Vec<_>>()
                .into()
        };
        let dates: Vec<String> = days.iter().map(|d| d.date.clone()).collect();
        let t = self.texts;
        // Two charts: revenue per day is tens of times an average sale, and
        // on one axis the groups' lines would lie flat.
        ui.label(RichText::new(t.trend_revenue).strong());
        fixed_plot("what_works_trend_revenue", 130.0, dates.clone()).show(ui, |plot| {
            plot.line(Line::new(
                t.trend_revenue,
                series(&|d| Some(d.recommended_revenue)),
            ));
        });
        ui.label(RichText::new(t.trend_groups).strong());
        fixed_plot("what_works_trend_groups", 130.0, dates)
            .legend(Legend::default())
            .show(ui, |plot| {
                plot.line(Line::new(t.trend_shown, series(&|d| d.shown_mean)));
                plot.line(Line::new(t.trend_holdout, series(&|d| d.holdout_mean)));
            });
        ui.add_space(theme::GAP);
    }

    /// Draws the page; `sources` give the titles.
    pub fn ui(&mut self, ui: &mut egui::Ui, sources: &[SourceConfig]) {
        let t = self.texts;
        if let Some(done) = self.loading.as_ref().and_then(|p| p.ready()).cloned() {
            self.loading = None;
            match done {
                Ok((stats, sales)) => {
                    self.stats = Ok(stats);
                    self.sales = sales;
                }
                Err(e) => self.stats = Err(e),
            }
        }
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(t.title)
                    .size(theme::GROUP_TITLE_SIZE)
                    .strong(),
            );
            for days in PERIODS {
                let label = format!("{} {days} {}", t.last, t.days);
                if ui.selectable_label(self.days == days, label).clicked() && self.days != days {
                    self.days = days;
                    self.reload();
                }
            }
            if self.loading.is_some() {
                ui.spinner();
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_millis(50));
            }
        });
        let mut stats = match &self.stats {
            Ok(stats) => stats.clone(),
            Err(e) => {
                ui.label(RichText::new(e).color(theme::error(ui)));
                return;
            }
        };
        if stats.is_empty() {
            ui.label(t.nothing_yet);
            return;
        }
        // In the order the cashier sees the sections; sources no longer configured last.
        stats.sort_by_key(|s| {
            sources
                .iter()
                .position(|c| c.id == s.source_id)
                .unwrap_or(usize::MAX)
        });
        let title = |id: u64| {
            sources.iter().find(|s| s.id == id).map_or_else(
                || format!("{} {id}", t.data_source),
                SourceConfig::display_title,
            )
        };
        figures_grid(ui, "what_works", &t.columns, |ui| {
            for s in &stats {
                ui.label(title(s.source_id));
                ui.label(s.lookups.to_string());
                ui.label(format!("{:.0} %", s.answered_share() * 100.0));
                ui.label(format!("{} ms", s.median_ms));
                ui.label(format!("{} ms", s.p95_ms));
                ui.label(s.shown.to_string());
                ui.label(s.opened.to_string());
                ui.label(s.to_customer.to_string());
                ui.label(s.added.to_string());
                ui.label(format!("{:.2}", s.added_per_100_shown()));
                ui.end_row();
            }
        });
        ui.add_space(theme::GAP);
        ui.label(RichText::new(t.chart_title).strong());
        let bars: Vec<Bar> = stats
            .iter()
            .enumerate()
            .map(|(i, s)| Bar::new(i as f64, s.added_per_100_shown()).name(title(s.source_id)))
            .collect();
        let names: Vec<String> = stats.iter().map(|s| title(s.source_id)).collect();
        fixed_plot("what_works_chart", 180.0, names).show(ui, |plot| {
            plot.bar_chart(BarChart::new("added per 100 shown", bars))
        });
        if stats.iter().any(|s| !s.top_products.is_empty()) {
            ui.add_space(theme::GAP);
            ui.label(RichText::new(t.top_products).strong());
        }
        for s in &stats {
            if s.top_products.is_empty() {
                continue;
            }
            let top: Vec<String> = s
                .top_products
                .iter()
                .map(|p| {
                    format!(
                        "{} ({} {}, {} {})",
                        p.id, p.added, t.added, p.opened, t.opened
                    )
                })
                .collect();
            ui.label(format!("{}: {}", title(s.source_id), top.join(", ")));
        }
        ui.add_space(theme::GAP);
        self.trend_ui(ui);
        super::sales_view::sales_ui(ui, &t.sales, &stats, &self.sales, &title);
        ui.add_space(theme::GAP);
        ui.horizontal(|ui| {
            ui.label(t.csv_file);
            ui.add(egui::TextEdit::singleline(&mut self.csv_path).desired_width(360.0));
            if ui
                .add_enabled(self.csv_job.is_none(), egui::Button::new(t.export_csv))
                .clicked()
            {
                let (path, text) = (
                    PathBuf::from(&self.csv_path),
                    history::csv(&stats, &self.sales),
                );
                // Written on a blocking worker, never in the frame.
                self.csv_job = Some(Promise::spawn_blocking(move || {
                    crate::config::write_atomically(&path, text.as_bytes())
                        .map_err(|e| e.to_string())
                }));
            }
        });
        if let Some(done) = self.csv_job.as_ref().and_then(|p| p.ready()).cloned() {
            self.csv_job = None;
            self.csv_message = Some(match done {
                Ok(()) => format!("{} {}", t.csv_written, self.csv_path),
                Err(e) => format!("{} {e}", t.csv_failed),
            });
        } else if self.csv_job.is_some() {
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(50));
        }
        if let Some(message) = &self.csv_message {
            ui.label(message);
        }
    }
}
