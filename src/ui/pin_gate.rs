//! The manager PIN prompt in front of the settings screen. On first use it
//! asks for a new PIN (twice); afterwards it checks the PIN against the
//! stored Argon2 hash, off the UI thread.

use egui::{RichText, vec2};
use poll_promise::Promise;

use crate::pin;
use crate::pin_guard::PinGuard;

use super::i18n::{EN, Texts};
use super::theme;

/// Labels tests and screen readers find the fields by.
pub const PIN_LABEL: &str = EN.pin_label;
/// Label of the confirmation field when setting a new PIN.
pub const PIN_REPEAT_LABEL: &str = EN.pin_repeat;
/// The button that checks or sets the PIN.
pub const UNLOCK_LABEL: &str = EN.unlock;

/// What came out of the prompt this frame.
pub enum GateOutcome {
    /// Still asking.
    Waiting,
    /// The PIN is right (or a new one was set, carrying its hash).
    Open {
        /// A new PIN hash to store, on first use.
        new_hash: Option<String>,
    },
    /// The manager gave up.
    Cancel,
}

/// State of the PIN prompt.
pub struct PinGate {
    stored: Option<String>,
    /// Wrong-PIN count and wait, kept across restarts.
    guard: PinGuard,
    /// A till without a PIN may get its first one only when started with `--setup`.
    first_pin_allowed: bool,
    pin: String,
    repeat: String,
    message: Option<String>,
    checking: Option<Promise<Result<Option<String>, String>>>,
    texts: &'static Texts,
}

impl PinGate {
    /// A prompt against `stored` (an Argon2 hash), or a "set a PIN" prompt
    /// when none and `first_pin_allowed`.
    pub fn new(
        stored: Option<String>,
        guard: PinGuard,
        first_pin_allowed: bool,
        texts: &'static Texts,
    ) -> Self {
        Self {
            texts,
            stored,
            guard,
            first_pin_allowed,
            pin: String::new(),
            repeat: String::new(),
            message: None,
            checking: None,
        }
    }

    /// Draws the prompt.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> GateOutcome {
        if let Some(promise) = &self.checking {
            match promise.ready() {
                None => {
                    ui.ctx()
                        .request_repaint_after(std::time::Duration::from_millis(30));
                }
                Some(Ok(new_hash)) => {
                    let new_hash = new_hash.clone();
                    self.checking = None;
                    if new_hash.is_some() {
                        tracing::warn!("a first manager PIN was set on this till");
                    } else {
                        self.guard.record_success();
                    }
                    return GateOutcome::Open { new_hash };
                }
                Some(Err(message)) => {
                    if self.stored.is_some() {
                        self.guard.record_failure();
                    }
                    self.message = Some(message.clone());
                    self.checking = None;
                    self.pin.clear();
                    self.repeat.clear();
                }
            }
        }
        let t = self.texts;
        if self.stored.is_none() && !self.first_pin_allowed {
            return self.no_pin_ui(ui);
        }
        let mut outcome = GateOutcome::Waiting;
        ui.add_space(80.0);
        ui.vertical_centered(|ui| {
            ui.set_max_width(420.0);
            let first_use = self.stored.is_none();
            let title = if first_use {
                t.set_pin_title
            } else {
                t.pin_title
            };
            ui.label(RichText::new(title).size(theme::PROMPT_TITLE_SIZE).strong());
            if first_use {
                ui.label(t.set_pin_hint);
            } else {
                ui.label(t.pin_hint);
            }
            ui.add_space(12.0);
            let pin_field = pin_field_ui(ui, &mut self.pin, t.pin_label);
            if self.checking.is_none()
                && self.message.is_none()
                && !pin_field.has_focus()
                && self.pin.is_empty()
            {
                pin_field.request_focus();
            }
            let mut submit =
                pin_field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if first_use {
                let repeat = pin_field_ui(ui, &mut self.repeat, t.pin_repeat);
                submit |= repeat.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            }
            if let Some(m) = &self.message {
                ui.label(RichText::new(m).color(theme::error(ui)).strong());
            }
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                let unlock = egui::Button::new(RichText::new(t.unlock).strong())
                    .min_size(vec2(180.0, theme::TOUCH));
                if ui.add_enabled(self.checking.is_none(), unlock).clicked() {
                    submit = true;
                }
                if ui
                    .add(egui::Button::new(t.back_to_till).min_size(vec2(0.0, theme::TOUCH)))
                    .clicked()
                {
                    outcome = GateOutcome::Cancel;
                }
            });
            if self.checking.is_some() {
                ui.spinner();
            }
            if submit && self.checking.is_none() {
                self.start_check();
            }
        });
        if ui.input(|i| i.key_pressed(egui::Key::Escape)) {
            outcome = GateOutcome::Cancel;
        }
        outcome
    }

    /// A till with no PIN, not started for setup: nobody may make
    /// themselves manager by pressing F2.
    fn no_pin_ui(&mut self, ui: &mut egui::Ui) -> GateOutcome {
        let t = self.texts;
        let mut outcome = GateOutcome::Waiting;
        ui.add_space(80.0);
        ui.vertical_centered(|ui| {
            ui.set_max_width(520.0);
            ui.label(
                RichText::new(t.no_pin_title)
                    .size(theme::PROMPT_TITLE_SIZE)
                    .strong(),
            );
            ui.add_space(8.0);
            ui.label(t.no_pin_hint);
            ui.add_space(12.0);
            if ui
                .add(egui::Button::new(t.back_to_till).min_size(vec2(180.0, theme::TOUCH)))
                .clicked()
            {
                outcome = GateOutcome::Cancel;
            }
        });
        if ui.input(|i| i.key_pressed(egui::Key::Escape)) {
            outcome = GateOutcome::Cancel;
        }
        outcome
    }

    /// Hashing is deliberately slow: it runs on a blocking worker.
    fn start_check(&mut self) {
        if let Some(wait) = self.guard.wait_left() {
            self.message = Some(self.texts.pin_wait(wait.as_secs()));
            self.pin.clear();
            return;
        }
        let pin = self.pin.clone();
        match &self.stored {
            Some(stored) => {
                let stored = stored.clone();
                let wrong_pin = self.texts.wrong_pin;
                self.checking = Some(Promise::spawn_blocking(move || {
                    if pin::verify(&pin, &stored) {
                        Ok(None)
                    } else {
                        Err(wrong_pin.to_string())
                    }
                }));
            }
            None => {
                if self.pin != self.repeat {
                    self.message = Some(self.texts.pins_differ.into());
                    return;
                }
                if pin::check_shape(&pin).is_err() {
                    self.message = Some(self.texts.pin_shape.into());
                    return;
                }
                self.checking = Some(Promise::spawn_blocking(move || {
                    pin::hash(&pin).map(Some).map_err(|e| e.to_string())
                }));
            }
        }
        self.message = None;
    }
}

fn pin_field_ui(ui: &mut egui::Ui, value: &mut String, label: &str) -> egui::Response {
    ui.label(label);
    let response = ui.add(
        egui::TextEdit::singleline(value)
            .password(true)
            .char_limit(12)
            .font(egui::FontId::proportional(theme::INPUT_SIZE))
            .min_size(vec2(0.0, theme::TOUCH))
            .desired_width(240.0),
    );
    let label = label.to_string();
    response
        .widget_info(move || egui::WidgetInfo::labeled(egui::Role::PasswordInput, true, &label));
    response
}
