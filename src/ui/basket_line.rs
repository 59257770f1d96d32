//! The basket line of a standalone till (no POS link): F3 puts the keyboard
//! here, each scan ending in Enter adds an item, items show as chips with a
//! remove button, and Esc or F1 go back to the customer input. Product
//! barcodes and card numbers can look alike, so the two inputs stay apart.

use egui::RichText;

use crate::basket::Basket;

use super::command::Command;
use super::i18n::Texts;
use super::theme;

/// The basket input's accessible label (English UI), for tests.
pub const BASKET_INPUT_LABEL: &str = super::i18n::EN.basket_hint;

impl BasketLine {
    /// Enter on the basket line: the product typed so far, if any.
    pub fn take_entry(&mut self) -> Option<String> {
        let entry = std::mem::take(&mut self.entry).trim().to_string();
        (!entry.is_empty()).then_some(entry)
    }
}

/// State of the basket line.
#[derive(Debug, Default)]
pub struct BasketLine {
    /// What is being scanned in.
    pub entry: String,
    /// The keyboard belongs to the basket line (F3 until Esc or F1).
    pub active: bool,
    /// The input's id, once drawn.
    pub input_id: Option<egui::Id>,
    /// Set to put the keyboard on the basket input next frame.
    pub focus_requested: bool,
}

impl BasketLine {
    /// Draws the line: label, chips, input.
    pub fn ui(&mut self, ui: &mut egui::Ui, basket: &Basket, t: &Texts) -> Option<Command> {
        let mut action = None;
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(t.basket_label).strong());
            for id in &basket.products {
                let chip = egui::Button::new(format!("{id}  ×")).small();
                let label = format!("{} {id}", t.remove_item);
                let response = ui.add(chip);
                response
                    .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
                if response.clicked() {
                    action = Some(Command::BasketRemove(id.clone()));
                }
            }
            let input = egui::TextEdit::singleline(&mut self.entry)
                .hint_text(t.basket_hint)
                .desired_width(340.0)
                .min_size(egui::vec2(0.0, theme::TOUCH * 0.75));
            let response = ui.add(input);
            self.input_id = Some(response.id);
            let label = t.basket_hint;
            response
                .widget_info(move || egui::WidgetInfo::labeled(egui::Role::TextInput, true, label));
            if response.gained_focus() || response.clicked() {
                // Clicked into: the keyboard is the basket's until Esc or F1.
                self.active = true;
            }
            if std::mem::take(&mut self.focus_requested) || (self.active && !response.has_focus()) {
                response.request_focus();
            }
        });
        action
    }
}
