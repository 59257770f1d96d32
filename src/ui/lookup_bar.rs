//! The one input a cashier uses: always focused, Enter or Tab (what barcode
//! scanners send) submits, Esc clears; a small selector forces the kind.

use egui::RichText;

use crate::config::{Config, ConfigOrigin};
use crate::identify::{IdentifierKind, detect_kind};

use super::session::Session;
use super::theme;

/// What the cashier asked for this frame.
#[derive(Debug, PartialEq, Eq)]
pub enum BarAction {
    /// Nothing.
    None,
    /// Look up what is in the input.
    Submit,
    /// Clear input and results (next customer).
    Clear,
    /// Open the manager settings.
    Settings,
}

/// The settings button.
pub const SETTINGS_LABEL: &str = "Settings";

/// Label of the input, used by tests and screen readers.
pub const INPUT_LABEL: &str = "Card, phone or email";

/// State of the lookup bar.
#[derive(Debug, Default)]
pub struct LookupBar {
    /// What is typed.
    pub input: String,
    /// Kind forced by the selector (`None` = detect).
    pub forced: Option<IdentifierKind>,
    /// Why the last input could not be used.
    pub message: Option<String>,
}

impl LookupBar {
    /// Empties the input and the message.
    pub fn clear(&mut self) {
        self.input.clear();
        self.message = None;
    }

    /// Draws the bar. `may_focus` is false while a dialog is open.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        config: &Config,
        origin: &ConfigOrigin,
        session: Option<&Session>,
        may_focus: bool,
        notice: Option<&str>,
    ) -> BarAction {
        let mut action = BarAction::None;
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            self.kind_selector_ui(ui);
            let input = egui::TextEdit::singleline(&mut self.input)
                .hint_text("Scan a card, or type a phone or email — then Enter")
                .font(egui::FontId::proportional(theme::INPUT_SIZE))
                .desired_width((ui.available_width() - 360.0).max(200.0))
                .min_size(egui::vec2(0.0, theme::TOUCH))
                .align(egui::Align2::LEFT_CENTER);
            let response = ui.add(input);
            response.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::TextInput, true, INPUT_LABEL)
            });
            let (enter, tab, esc) = ui.input(|i| {
                (
                    i.key_pressed(egui::Key::Enter),
                    i.key_pressed(egui::Key::Tab),
                    i.key_pressed(egui::Key::Escape),
                )
            });
            if response.lost_focus() && (enter || tab) && !self.input.trim().is_empty() {
                action = BarAction::Submit;
            }
            let find = egui::Button::new(RichText::new("Find").strong())
                .min_size(egui::vec2(88.0, theme::TOUCH));
            if ui.add(find).clicked() {
                action = BarAction::Submit;
            }
            let clear = egui::Button::new("Clear (Esc)").min_size(egui::vec2(0.0, theme::TOUCH));
            if ui.add(clear).clicked() || (esc && may_focus) {
                action = BarAction::Clear;
            }
            let settings =
                egui::Button::new(SETTINGS_LABEL).min_size(egui::vec2(0.0, theme::TOUCH));
            if ui
                .add(settings)
                .on_hover_text("Store manager settings (PIN)")
                .clicked()
            {
                action = BarAction::Settings;
            }
            // Scanners type into whatever has focus: keep it here unless a dialog is open
            // or the cashier is moving through the cards with the keyboard.
            let nothing_focused = ui.memory(|m| m.focused().is_none());
            if may_focus
                && (nothing_focused || matches!(action, BarAction::Submit | BarAction::Clear))
            {
                response.request_focus();
            }
        });
        ui.horizontal(|ui| {
            if *origin == ConfigOrigin::Demo {
                ui.label(RichText::new("Demo data").strong().color(theme::DEMO))
                    .on_hover_text("No configuration found: showing the built-in demo shop.");
            }
            if let Some(message) = &self.message {
                ui.label(RichText::new(message).color(theme::ERROR).strong());
            } else if !self.input.trim().is_empty() {
                let kind = self.forced.unwrap_or_else(|| {
                    detect_kind(&self.input, &config.yespo.default_country_code)
                });
                ui.label(RichText::new(format!("Looks like a {kind}")).weak());
            } else if let Some(s) = session {
                ui.label(RichText::new(format!("Customer: {}", s.customer)).strong());
            } else if let Some(notice) = notice {
                ui.label(RichText::new(notice).weak());
            }
        });
        ui.add_space(4.0);
        action
    }

    fn kind_selector_ui(&mut self, ui: &mut egui::Ui) {
        let options: [(Option<IdentifierKind>, &str); 4] = [
            (None, "Auto"),
            (Some(IdentifierKind::Card), "Card"),
            (Some(IdentifierKind::Phone), "Phone"),
            (Some(IdentifierKind::Email), "Email"),
        ];
        for (kind, label) in options {
            let selected = self.forced == kind;
            let text = if selected {
                RichText::new(label).strong()
            } else {
                RichText::new(label)
            };
            let button =
                egui::Button::selectable(selected, text).min_size(egui::vec2(56.0, theme::TOUCH));
            if ui.add(button).clicked() {
                self.forced = kind;
            }
        }
        ui.add_space(8.0);
    }
}
