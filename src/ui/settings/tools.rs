//! The settings' tools: Test connection, and exporting and importing the
//! sources as a file.

use super::*;

impl SettingsForm {
    pub(super) fn test_ui(&mut self, ui: &mut egui::Ui) {
        let st: &'static SettingsTexts = &self.texts.settings_screen;
        ui.horizontal(|ui| {
            let running = self.test.as_ref().is_some_and(|p| p.ready().is_none());
            let button = egui::Button::new(st.test).min_size(vec2(0.0, theme::TOUCH));
            if ui.add_enabled(!running, button).clicked() {
                self.start_test();
            }
            if running {
                ui.spinner();
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_millis(50));
            }
            ui.label(RichText::new(st.test_hint).weak());
        });
        match self.test.as_ref().and_then(|p| p.ready()) {
            Some(Ok(results)) => {
                egui::Grid::new("test_results")
                    .striped(true)
                    .show(ui, |ui| {
                        for r in results {
                            let (text, color) = match &r.outcome {
                                Ok(p) => (
                                    format!("OK · {}", self.texts.products(p.len())),
                                    theme::IN_STOCK,
                                ),
                                Err(e) => (e.to_string(), theme::error(ui)),
                            };
                            ui.label(format!("{} ({})", r.source.display_title(), r.source.id));
                            ui.label(RichText::new(text).color(color).strong());
                            ui.label(format!("{} ms", r.elapsed.as_millis()));
                            ui.end_row();
                        }
                    });
            }
            Some(Err(e)) => {
                ui.label(RichText::new(e).color(theme::error(ui)).strong());
            }
            None => {}
        }
    }

    pub(super) fn start_test(&mut self) {
        let config = match self.validated() {
            Some(c) => c,
            None => return,
        };
        self.test = Some(Promise::spawn_async(async move {
            crate::service::test_account(&config)
                .await
                .map_err(|e| e.to_string())
        }));
    }

    pub(super) fn import_export_ui(&mut self, ui: &mut egui::Ui) {
        let st: &'static SettingsTexts = &self.texts.settings_screen;
        let language = self.texts.language;
        ui.label(
            RichText::new(st.copy_title)
                .size(theme::GROUP_TITLE_SIZE)
                .strong(),
        );
        // A finished file job: its result goes into the form.
        if let Some(done) = self.file_job.as_ref().and_then(|p| p.ready()).cloned() {
            self.file_job = None;
            self.io_message = Some(match done {
                FileJob::Exported(Ok(n)) => st.exported.say(language, n as u64),
                FileJob::Exported(Err(e)) => format!("{} {e}", st.cannot_write),
                FileJob::Imported(Ok(sources)) => {
                    let n = sources.len();
                    self.draft.sources = sources;
                    st.imported.say(language, n as u64)
                }
                FileJob::Imported(Err(e)) => e,
            });
        }
        let busy = self.file_job.is_some();
        ui.horizontal(|ui| {
            labelled_text(ui, &mut self.io_path, st.sources_file, 380.0, false);
            // Files are read and written on a blocking worker, never in the frame.
            if ui
                .add_enabled(!busy, egui::Button::new(st.export))
                .clicked()
            {
                let sources = self.draft.sources.clone();
                let path = PathBuf::from(&self.io_path);
                self.file_job = Some(Promise::spawn_blocking(move || {
                    FileJob::Exported(
                        crate::service::export_sources(sources, &path).map_err(|e| e.to_string()),
                    )
                }));
            }
            if ui
                .add_enabled(!busy, egui::Button::new(st.import))
                .clicked()
            {
                let path = PathBuf::from(&self.io_path);
                let cannot_read = st.cannot_read;
                self.file_job = Some(Promise::spawn_blocking(move || {
                    FileJob::Imported(crate::service::import_sources(&path).map_err(|e| match e {
                        crate::service::SettingsError::Import(why) => {
                            format!("{cannot_read} {why}")
                        }
                        other => other.to_string(),
                    }))
                }));
            }
            if busy {
                ui.spinner();
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_millis(50));
            }
        });
        if let Some(m) = &self.io_message {
            ui.label(m);
        }
    }
}

/// The result of a file job of the settings screen.
#[derive(Debug, Clone)]
pub(super) enum FileJob {
    /// Sources written: how many, or why not.
    Exported(Result<usize, String>),
    /// Sources read, or why not.
    Imported(Result<Vec<SourceConfig>, String>),
}
