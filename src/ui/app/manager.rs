//! The manager's side of the window: which screen is up (the till, the
//! PIN prompt, the settings or the "What works" report under the manager
//! menu, saving the settings), closing a kiosk till with the PIN, and
//! switching the till to the saved configuration.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use super::{CashierApp, POINTER_HIDES_AFTER, PinFor, Screen};
use crate::config::{Config, ConfigOrigin, ThemeChoice};
use crate::pin_guard::PinGuard;
use crate::session::SectionState;
use crate::ui::manager_menu::{ManagerView, MenuChoice, manager_menu};
use crate::ui::pin_gate::{GateOutcome, PinGate};
use crate::ui::settings::{SettingsForm, SettingsOutcome};
use crate::ui::theme;
use crate::ui::what_works::WhatWorks;

impl CashierApp {
    /// Draws the whole window into `ui`.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        #[cfg(debug_assertions)]
        if std::mem::take(&mut self.diagnostics.panic_next_frame) {
            panic!("test hook: panic while drawing");
        }
        self.guard_closing(ui.ctx());
        // Promises and tasks started while drawing run on our runtime.
        let runtime = self.service.runtime().clone();
        let _enter = runtime.enter();
        self.pictures.textures.begin_frame();
        match &mut self.screen {
            Screen::Cashier => self.cashier_ui(ui),
            Screen::Pin(gate, purpose) => {
                let purpose = *purpose;
                let outcome = egui::CentralPanel::default()
                    .show(ui, |ui| gate.ui(ui))
                    .inner;
                match outcome {
                    GateOutcome::Waiting => {}
                    GateOutcome::Cancel => self.screen = Screen::Cashier,
                    GateOutcome::Open { .. } if purpose == PinFor::Closing => {
                        tracing::warn!("the kiosk till was closed with the manager PIN");
                        self.diagnostics.may_close = true;
                        self.screen = Screen::Cashier;
                        ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                    }
                    GateOutcome::Open { new_hash } => {
                        // An audit line: when the manager's screens were opened.
                        tracing::info!("the manager settings were opened with the PIN");
                        let config = self.service.config();
                        let (config_path, origin) = {
                            let place = self.service.place();
                            (place.config_path.clone(), place.origin.clone())
                        };
                        let mut form =
                            SettingsForm::new(&config, config_path, self.seen_tags(), self.texts);
                        if origin == ConfigOrigin::Demo {
                            form = form.leaving_demo();
                        }
                        form = form.managed_by_chain(self.service.central_status().is_some());
                        if let Some(hash) = new_hash {
                            form.set_pin_hash(hash);
                        }
                        self.screen = Screen::Settings(Box::new(form));
                    }
                }
            }
            Screen::Settings(form) => {
                let texts = self.texts;
                let choice = egui::Panel::top("manager_menu")
                    .show(ui, |ui| manager_menu(ui, ManagerView::Settings, texts))
                    .inner;
                let outcome = egui::CentralPanel::default()
                    .show(ui, |ui| form.ui(ui))
                    .inner;
                match (choice, outcome) {
                    (Some(choice), _) => self.chosen_in_menu(choice),
                    (None, SettingsOutcome::Editing) => {}
                    (None, SettingsOutcome::Cancel) => self.screen = Screen::Cashier,
                    (None, SettingsOutcome::Save(config)) => self.start_saving(*config),
                }
            }
            Screen::WhatWorks(page, _) => {
                let texts = self.texts;
                let choice = egui::Panel::top("manager_menu")
                    .show(ui, |ui| manager_menu(ui, ManagerView::WhatWorks, texts))
                    .inner;
                let sources = self.service.config().sources.clone();
                egui::CentralPanel::default().show(ui, |ui| page.ui(ui, &sources));
                if let Some(choice) = choice {
                    self.chosen_in_menu(choice);
                }
            }
            Screen::Saving(saving, _) => {
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.add_space(80.0);
                    ui.vertical_centered(|ui| ui.spinner());
                });
                match saving.ready() {
                    None => ui
                        .ctx()
                        .request_repaint_after(std::time::Duration::from_millis(30)),
                    Some(Ok((config, path))) => {
                        let (config, path) = (config.clone(), path.clone());
                        self.saved(ui.ctx(), config, path);
                    }
                    Some(Err(message)) => {
                        let message = message.clone();
                        let screen = std::mem::replace(&mut self.screen, Screen::Cashier);
                        if let Screen::Saving(_, mut form) = screen {
                            form.show_error(message);
                            self.screen = Screen::Settings(form);
                        }
                    }
                }
            }
        }
    }

    /// Kiosk mode: a close request (Alt+F4, the window manager) asks for the
    /// manager PIN first; the window closes once it is given.
    pub(super) fn guard_closing(&mut self, ctx: &egui::Context) {
        if !self.service.config().display.kiosk || self.diagnostics.may_close {
            return;
        }
        if ctx.input(|i| i.viewport().close_requested()) {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            let guard = self.pin_guard();
            self.shown.details = None;
            self.screen = Screen::Pin(
                PinGate::new(
                    self.config().manager.pin_hash.clone(),
                    guard,
                    false,
                    self.texts,
                ),
                PinFor::Closing,
            );
        }
        // The pointer hides after a few seconds without use.
        if ctx.input(|i| i.pointer.delta() != egui::Vec2::ZERO || i.pointer.any_down()) {
            self.diagnostics.pointer_moved = std::time::Instant::now();
        }
        let idle = self.diagnostics.pointer_moved.elapsed();
        if idle >= POINTER_HIDES_AFTER {
            ctx.set_cursor_icon(egui::CursorIcon::None);
        } else {
            ctx.request_repaint_after(POINTER_HIDES_AFTER - idle);
        }
    }

    /// Goes where the manager chose in the menu.
    fn chosen_in_menu(&mut self, choice: MenuChoice) {
        let screen = std::mem::replace(&mut self.screen, Screen::Cashier);
        self.screen = match (choice, screen) {
            (MenuChoice::BackToTill, _) => Screen::Cashier,
            (MenuChoice::View(ManagerView::WhatWorks), Screen::Settings(form)) => {
                tracing::info!("the manager opened What works");
                Screen::WhatWorks(Box::new(self.what_works()), form)
            }
            (MenuChoice::View(ManagerView::Settings), Screen::WhatWorks(_, form)) => {
                Screen::Settings(form)
            }
            (_, screen) => screen,
        };
    }

    /// The report on this till's history, in its currency, exporting
    /// beside its configuration.
    fn what_works(&self) -> WhatWorks {
        let config = self.service.config();
        let csv_dir = self
            .service
            .place()
            .config_path
            .as_ref()
            .and_then(|p| p.parent().map(PathBuf::from));
        WhatWorks::new(
            self.service.history_file(),
            csv_dir,
            &config.display.currency,
            &self.texts.what_works,
        )
    }

    /// Opens the PIN prompt in front of the settings.
    pub fn open_settings(&mut self) {
        self.shown.details = None;
        let guard = self.pin_guard();
        // A new install (the demo) has nothing to protect yet; a configured
        // till gets its first PIN only when started deliberately for setup.
        let first_pin_allowed = {
            let place = self.service.place();
            place.setup_mode || place.origin == ConfigOrigin::Demo
        };
        self.screen = Screen::Pin(
            PinGate::new(
                self.config().manager.pin_hash.clone(),
                guard,
                first_pin_allowed,
                self.texts,
            ),
            PinFor::Settings,
        );
    }

    /// The wrong-PIN waits kept beside the configuration.
    pub(super) fn pin_guard(&self) -> PinGuard {
        let path = self.service.place().config_path.clone();
        PinGuard::load(path.as_deref().map(PinGuard::path_for))
    }

    /// Tag names seen per source in the current customer's answers.
    pub(super) fn seen_tags(&self) -> HashMap<u64, BTreeSet<String>> {
        let mut seen: HashMap<u64, BTreeSet<String>> = HashMap::new();
        let session = self.service.session();
        for section in session.iter().flat_map(|s| &s.sections) {
            if let SectionState::Loaded { products, .. } = &section.state {
                let tags = seen.entry(section.source.id).or_default();
                tags.extend(products.iter().flat_map(|p| p.tags.keys().cloned()));
            }
        }
        seen
    }

    /// Writes the new configuration on a blocking worker (never in the
    /// frame); the till switches to it when the file is written.
    pub(super) fn start_saving(&mut self, new: Config) {
        let job = match self.service.save_job() {
            Ok(job) => job,
            Err(_) => {
                self.shown.notice = Some(self.texts.no_place_to_save.into());
                return;
            }
        };
        let Screen::Settings(form) = std::mem::replace(&mut self.screen, Screen::Cashier) else {
            return;
        };
        // The service checks and writes, off the frame; the window waits.
        let writing = poll_promise::Promise::spawn_blocking(move || {
            job.write(&new).map_err(|e| e.to_string())?;
            Ok((new, job.path().to_path_buf()))
        });
        self.screen = Screen::Saving(Box::new(writing), form);
    }

    /// The file is written: the till switches to the new configuration.
    pub(super) fn saved(&mut self, ctx: &egui::Context, new: Config, path: PathBuf) {
        theme::apply(
            ctx,
            new.display.theme == ThemeChoice::Dark,
            new.display.text_scale,
        );
        if let Err(e) = self.service.apply_saved(new, &path) {
            self.shown.notice = Some(e.to_string());
            return;
        }
        self.clear();
        self.shown.notice = Some(format!("{} {}", self.texts.settings_saved, path.display()));
        self.screen = Screen::Cashier;
    }
}
