//! The manager's "What works" report, a view of its own behind the manager
//! PIN: per source, over the last 7, 30 or 90 days, how often it answered
//! and how fast and what its cards did, what the recommendations sold, the
//! comparison group's verdict, the daily trends and the top products, with
//! an "Export CSV" of what `pos-recs stats --csv` prints. Figures are read
//! from the history file on a blocking worker, never in the frame.

use std::path::PathBuf;

use egui::RichText;
use poll_promise::Promise;

use crate::config::SourceConfig;
use crate::history::Figures;

mod charts;
mod numbers;
mod sales;
mod sources;
mod trend;

pub use numbers::Numbers;

use super::i18n::WhatWorksTexts;
use super::theme;

/// Names a source by its id.
type Titles<'a> = dyn Fn(u64) -> String + 'a;

/// A striped table of figures with its column `headers` in bold, then
/// the rows `body` adds (each ended with `ui.end_row()`). The columns from
/// `numbers_from` on hold figures: their headers are right-aligned, as the
/// body's [`number`] cells are, so digits line up as in a printed report.
fn figures_grid(
    ui: &mut egui::Ui,
    id: &str,
    headers: &[&str],
    numbers_from: usize,
    body: impl FnOnce(&mut egui::Ui),
) {
    egui::Grid::new(id)
        .striped(true)
        .spacing(egui::vec2(14.0, 6.0))
        // One column more than drawn: egui gives its last column the rest
        // of the line, where a right-aligned figure would drift away.
        .num_columns(headers.len() + 1)
        .show(ui, |ui| {
            for (i, header) in headers.iter().enumerate() {
                let header = RichText::new(*header).strong();
                if i >= numbers_from {
                    number(ui, header);
                } else {
                    ui.label(header);
                }
            }
            ui.end_row();
            body(ui);
        });
}

/// A figure in a [`figures_grid`] cell, right-aligned in its column.
fn number(ui: &mut egui::Ui, text: impl Into<egui::WidgetText>) {
    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
        ui.label(text);
    });
}

/// The title of one of the report's parts.
fn part_title(ui: &mut egui::Ui, text: &str) {
    ui.add_space(theme::GAP);
    ui.label(RichText::new(text).size(theme::GROUP_TITLE_SIZE).strong());
}

/// The periods offered.
pub const PERIODS: [u32; 3] = [7, 30, 90];

/// The period shown first.
const FIRST_PERIOD: u32 = 30;

/// The report's state.
pub struct WhatWorks {
    /// The history file read (`None`: recording is off).
    file: Option<PathBuf>,
    days: u32,
    loading: Option<Promise<Result<Figures, String>>>,
    figures: Result<Figures, String>,
    numbers: Numbers,
    csv_path: String,
    csv_message: Option<String>,
    csv_job: Option<Promise<Result<(), String>>>,
    texts: &'static WhatWorksTexts,
}

impl WhatWorks {
    /// The report on the history in `file` (none: recording is off), its
    /// money in `currency`; the CSV goes to `csv_dir` (the configuration's
    /// folder) unless the manager types another path.
    pub fn new(
        file: Option<PathBuf>,
        csv_dir: Option<PathBuf>,
        currency: &str,
        texts: &'static WhatWorksTexts,
    ) -> Self {
        let mut page = Self::showing(Ok(Default::default()), csv_dir, currency, texts);
        page.file = file;
        page.reload();
        page
    }

    /// The report over figures already read (the README's screenshots and
    /// the snapshot tests draw fixed figures, which a history written "now"
    /// would not give twice).
    pub fn showing(
        figures: Result<Figures, String>,
        csv_dir: Option<PathBuf>,
        currency: &str,
        texts: &'static WhatWorksTexts,
    ) -> Self {
        let csv_path = csv_dir
            .unwrap_or_else(std::env::temp_dir)
            .join("pos-recs-what-works.csv")
            .to_string_lossy()
            .into_owned();
        Self {
            file: None,
            days: FIRST_PERIOD,
            loading: None,
            figures,
            numbers: Numbers::new(currency, texts.decimal),
            csv_path,
            csv_message: None,
            csv_job: None,
            texts,
        }
    }

    /// Reads the chosen period again, on a blocking worker.
    fn reload(&mut self) {
        let Some(file) = self.file.clone() else {
            self.figures = Err(self.texts.recording_off.into());
            return;
        };
        let days = self.days;
        self.loading = Some(Promise::spawn_blocking(move || {
            crate::service::report_figures(&file, days).map_err(|e| e.to_string())
        }));
    }

    /// True while a period is being read.
    pub fn is_loading(&self) -> bool {
        self.loading.is_some()
    }

    /// Draws the report into `ui`, the whole of it: the period row, the
    /// figures (scrolled) and the export row; `sources` give the titles
    /// and the order.
    pub fn ui(&mut self, ui: &mut egui::Ui, sources: &[SourceConfig]) {
        if let Some(done) = self.loading.as_ref().and_then(|p| p.ready()).cloned() {
            self.loading = None;
            self.figures = done;
        }
        self.period_ui(ui);
        ui.separator();
        if matches!(&self.figures, Ok(f) if !f.stats.is_empty()) {
            egui::Panel::bottom("what_works_export").show(ui, |ui| self.export_ui(ui));
        }
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| self.figures_ui(ui, sources));
    }

    /// The title and the periods to choose from.
    fn period_ui(&mut self, ui: &mut egui::Ui) {
        let t = self.texts;
        ui.horizontal(|ui| {
            ui.label(RichText::new(t.title).size(theme::WELCOME_SIZE).strong());
            for days in PERIODS {
                let label = t.last_days.say(t.sales.language, u64::from(days));
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
    }

    /// The figures, or why there are none.
    fn figures_ui(&self, ui: &mut egui::Ui, sources: &[SourceConfig]) {
        let t = self.texts;
        let Figures { stats, sales } = match &self.figures {
            Ok(figures) => figures,
            Err(e) => {
                ui.label(RichText::new(e).color(theme::error(ui)));
                return;
            }
        };
        if stats.is_empty() {
            if self.loading.is_none() {
                ui.label(t.nothing_yet);
            }
            return;
        }
        // In the order the cashier sees the sections; sources no longer configured last.
        let mut stats = stats.clone();
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
        // The money first: it is what the manager opens the report for.
        sales::sales_ui(ui, &t.sales, &stats, sales, &self.numbers, &title);
        ui.add_space(theme::GAP);
        trend::trend_ui(ui, t, sales, &self.numbers);
        sales::top_sold_ui(ui, &t.sales, sales, &self.numbers);
        sources::sources_ui(ui, t, &stats, &self.numbers, &title);
        ui.add_space(theme::GAP);
    }

    /// Writes the period's figures to `path` as `pos-recs stats --csv
    /// --days N` prints them at that moment: read afresh from the history
    /// (the till goes on recording while the report is open), on a blocking
    /// worker. Figures given to [`WhatWorks::showing`] are written as they are.
    fn export(&self, path: PathBuf) -> Promise<Result<(), String>> {
        let (file, days) = (self.file.clone(), self.days);
        let shown = self.figures.clone();
        Promise::spawn_blocking(move || {
            let figures = match file {
                Some(file) => {
                    crate::service::report_figures(&file, days).map_err(|e| e.to_string())?
                }
                None => shown?,
            };
            crate::service::export_report_csv(&figures, &path).map_err(|e| e.to_string())
        })
    }

    /// "Export CSV" and where to.
    fn export_ui(&mut self, ui: &mut egui::Ui) {
        let t = self.texts;
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            let label = ui.label(t.csv_file);
            ui.add(egui::TextEdit::singleline(&mut self.csv_path).desired_width(420.0))
                .labelled_by(label.id);
            let export = egui::Button::new(RichText::new(t.export_csv).strong())
                .min_size(egui::vec2(140.0, theme::TOUCH));
            if ui
                .add_enabled(self.csv_job.is_none(), export)
                .on_hover_text(t.csv_same_as_stats)
                .clicked()
            {
                self.csv_job = Some(self.export(PathBuf::from(&self.csv_path)));
            }
            if let Some(message) = &self.csv_message {
                ui.label(message);
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
        ui.add_space(4.0);
    }
}
