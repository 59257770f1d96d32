//! The manager PIN prompt in front of the settings screen. On first use it
//! asks for a new PIN (twice); afterwards it checks the PIN against the
//! stored Argon2 hash, off the UI thread.

use egui::{RichText, vec2};
use poll_promise::Promise;

use crate::pin;

use super::theme;

/// Labels tests and screen readers find the fields by.
pub const PIN_LABEL: &str = "Manager PIN";
/// Label of the confirmation field when setting a new PIN.
pub const PIN_REPEAT_LABEL: &str = "Repeat the new PIN";
/// The button that checks or sets the PIN.
pub const UNLOCK_LABEL: &str = "Unlock settings";

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
    pin: String,
    repeat: String,
    message: Option<String>,
    checking: Option<Promise<Result<Option<String>, String>>>,
}

impl PinGate {
    /// A prompt against `stored` (an Argon2 hash), or a "set a PIN" prompt when none.
    pub fn new(stored: Option<String>) -> Self {
        Self {
            stored,
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
                    return GateOutcome::Open { new_hash };
                }
                Some(Err(message)) => {
                    self.message = Some(message.clone());
                    self.checking = None;
                    self.pin.clear();
                    self.repeat.clear();
                }
            }
        }
        let mut outcome = GateOutcome::Waiting;
        ui.add_space(80.0);
        ui.vertical_centered(|ui| {
            ui.set_max_width(420.0);
            let first_use = self.stored.is_none();
            let title = if first_use {
                "Set a manager PIN"
            } else {
                "Store manager settings"
            };
            ui.label(RichText::new(title).size(26.0).strong());
            if first_use {
                ui.label(
                    "Choose a PIN of 4 to 12 digits. Cashiers cannot open the settings without it.",
                );
            } else {
                ui.label("Enter the manager PIN to change data sources, cards and the account.");
            }
            ui.add_space(12.0);
            let pin_field = pin_field_ui(ui, &mut self.pin, PIN_LABEL);
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
                let repeat = pin_field_ui(ui, &mut self.repeat, PIN_REPEAT_LABEL);
                submit |= repeat.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            }
            if let Some(m) = &self.message {
                ui.label(RichText::new(m).color(theme::ERROR).strong());
            }
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                let unlock = egui::Button::new(RichText::new(UNLOCK_LABEL).strong())
                    .min_size(vec2(180.0, theme::TOUCH));
                if ui.add_enabled(self.checking.is_none(), unlock).clicked() {
                    submit = true;
                }
                if ui
                    .add(egui::Button::new("Back to the till").min_size(vec2(0.0, theme::TOUCH)))
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

    /// Hashing is deliberately slow: it runs on a blocking worker.
    fn start_check(&mut self) {
        let pin = self.pin.clone();
        match &self.stored {
            Some(stored) => {
                let stored = stored.clone();
                self.checking = Some(Promise::spawn_blocking(move || {
                    if pin::verify(&pin, &stored) {
                        Ok(None)
                    } else {
                        Err("Wrong PIN".to_string())
                    }
                }));
            }
            None => {
                if self.pin != self.repeat {
                    self.message = Some("The two PINs differ".into());
                    return;
                }
                if let Err(e) = pin::check_shape(&pin) {
                    self.message = Some(e.to_string());
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
