//! The one input a cashier uses: always focused, Enter or Tab (what barcode
//! scanners send) submits, Esc clears; a small selector forces the kind.

use egui::RichText;

use crate::config::{Config, ConfigOrigin};
use crate::identify::{IdentifierKind, detect_kind};

use super::command::Command;
use super::i18n::{EN, Texts};
use super::theme;
use crate::session::Session;

/// The settings button's label (English UI), for tests.
pub const SETTINGS_LABEL: &str = EN.settings;

/// The input's accessible label (English UI), for tests.
pub const INPUT_LABEL: &str = EN.input_label;

/// What the bar shows besides its own state.
pub struct BarContext<'a> {
    /// Texts in the screen's language.
    pub texts: &'static Texts,
    /// The configuration (for the default country code).
    pub config: &'a Config,
    /// Where the configuration came from (demo badge).
    pub origin: &'a ConfigOrigin,
    /// The current customer's lookup.
    pub session: Option<&'a Session>,
    /// False while a dialog is open: the input must not grab focus then.
    pub may_focus: bool,
    /// A message for the cashier (e.g. "settings saved").
    pub notice: Option<&'a str>,
    /// A short confirmation shown beside the customer ("Added to the sale: …").
    pub confirmation: Option<&'a str>,
    /// `[display] touch`: show the keypad from the start.
    pub touch: bool,
}

/// State of the lookup bar.
#[derive(Debug, Default)]
pub struct LookupBar {
    /// What is typed.
    pub input: String,
    /// Kind forced by the selector (`None` = detect).
    pub forced: Option<IdentifierKind>,
    /// Why the last input could not be used.
    pub message: Option<String>,
    /// Set to move keyboard focus back to the input on the next frame.
    pub focus_requested: bool,
    /// The input widget's id, once drawn.
    pub input_id: Option<egui::Id>,
    /// After a rejected input: the next text typed replaces what is left.
    replace_on_type: bool,
    /// A finger touched the screen: the keypad stays from then on.
    touched: bool,
}

impl LookupBar {
    /// Empties the input and the message.
    pub fn clear(&mut self) {
        self.input.clear();
        self.message = None;
        self.replace_on_type = false;
    }

    /// Selects what is left in the input after a rejected lookup, as a
    /// browser's address bar does: the next scan replaces it, the arrow
    /// keys still let the cashier fix a typo.
    pub fn select_leftover(&mut self, ctx: &egui::Context) {
        self.replace_on_type = true;
        if let Some(id) = self.input_id {
            let mut state = egui::TextEdit::load_state(ctx, id).unwrap_or_default();
            state
                .cursor
                .set_char_range(Some(egui::text::CCursorRange::select_all_str(&self.input)));
            state.store(ctx, id);
        }
    }

    /// Text that arrived while the input did not have the focus.
    pub fn type_text(&mut self, ctx: &egui::Context, text: &str) {
        if std::mem::take(&mut self.replace_on_type) {
            self.input.clear();
        }
        self.input.push_str(text);
        self.message = None;
        self.focus_requested = true;
        if let Some(id) = self.input_id {
            // The cursor goes to the end of what was typed, not where it was.
            let mut state = egui::TextEdit::load_state(ctx, id).unwrap_or_default();
            let end = egui::text::CCursor::new(self.input.chars().count());
            state
                .cursor
                .set_char_range(Some(egui::text::CCursorRange::one(end)));
            state.store(ctx, id);
        }
    }

    /// Draws the bar.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &BarContext<'_>) -> Option<Command> {
        let t = cx.texts;
        let mut action = None;
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            self.kind_selector_ui(ui, t);
            let input = egui::TextEdit::singleline(&mut self.input)
                .hint_text(t.input_hint)
                .font(egui::FontId::proportional(theme::INPUT_SIZE))
                .desired_width((ui.available_width() - 420.0).max(200.0))
                .min_size(egui::vec2(0.0, theme::TOUCH))
                .align(egui::Align2::LEFT_CENTER);
            let response = ui.add(input);
            self.input_id = Some(response.id);
            if response.changed() {
                // Typed into the widget itself: its selection did the replacing.
                self.replace_on_type = false;
            }
            let label = t.input_label;
            response
                .widget_info(move || egui::WidgetInfo::labeled(egui::Role::TextInput, true, label));
            let (enter, tab, esc) = ui.input(|i| {
                (
                    i.key_pressed(egui::Key::Enter),
                    i.key_pressed(egui::Key::Tab),
                    i.key_pressed(egui::Key::Escape),
                )
            });
            if response.lost_focus() && (enter || tab) && !self.input.trim().is_empty() {
                action = Some(Command::Submit);
            }
            let find = egui::Button::new(RichText::new(t.find).strong())
                .min_size(egui::vec2(88.0, theme::TOUCH));
            if ui.add(find).clicked() {
                action = Some(Command::Submit);
            }
            let clear = egui::Button::new(t.clear).min_size(egui::vec2(0.0, theme::TOUCH));
            if ui.add(clear).clicked() || (esc && cx.may_focus) {
                action = Some(Command::Clear);
            }
            let settings = egui::Button::new(t.settings).min_size(egui::vec2(0.0, theme::TOUCH));
            if ui.add(settings).on_hover_text(t.settings_hint).clicked() {
                action = Some(Command::Settings);
            }
            // Scanners type into whatever has focus: keep it here unless a dialog is open
            // or the cashier is moving through the cards with the keyboard.
            let nothing_focused = ui.memory(|m| m.focused().is_none());
            let after_action = matches!(action, Some(Command::Submit | Command::Clear));
            if cx.may_focus && (nothing_focused || after_action || self.focus_requested) {
                response.request_focus();
                self.focus_requested = false;
            }
        });
        self.touched |= ui.input(|i| i.any_touches());
        if cx.touch || self.touched {
            action = action.or(self.keypad_ui(ui, cx.texts));
        }
        ui.horizontal(|ui| {
            if *cx.origin == ConfigOrigin::Demo {
                ui.label(RichText::new(t.demo_data).strong().color(theme::demo(ui)))
                    .on_hover_text(t.demo_hint);
            }
            if let Some(message) = &self.message {
                ui.label(RichText::new(message).color(theme::error(ui)).strong());
            } else if !self.input.trim().is_empty() {
                let kind = self.forced.unwrap_or_else(|| {
                    detect_kind(&self.input, &cx.config.yespo.default_country_code)
                });
                ui.label(RichText::new(format!("{} {}", t.looks_like, t.kind(kind))).weak());
            } else if let Some(s) = cx.session {
                let who = format!(
                    "{} {} {}",
                    t.customer,
                    t.kind(s.customer.kind()),
                    s.customer.masked()
                );
                ui.label(RichText::new(who).strong());
                if let Some(confirmation) = cx.confirmation {
                    ui.label(RichText::new(confirmation).color(theme::IN_STOCK).strong());
                }
            } else if let Some(notice) = cx.notice {
                ui.label(RichText::new(notice).weak());
            }
        });
        ui.add_space(4.0);
        action
    }

    /// The on-screen keypad of a touch-only till: digits, delete, clear and
    /// Enter, each at least [`theme::KEYPAD_KEY`] square.
    fn keypad_ui(&mut self, ui: &mut egui::Ui, t: &Texts) -> Option<Command> {
        let mut action = None;
        let key = |ui: &mut egui::Ui, text: &str| {
            let button = egui::Button::new(RichText::new(text).size(theme::INPUT_SIZE))
                .min_size(egui::vec2(theme::KEYPAD_KEY, theme::KEYPAD_KEY));
            let response = ui.add(button);
            let label = format!("{} {text}", t.keypad);
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
            response.clicked()
        };
        ui.add_space(4.0);
        for row in [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"]] {
            ui.horizontal(|ui| {
                for digit in row {
                    if key(ui, digit) {
                        self.input.push_str(digit);
                        self.message = None;
                    }
                }
            });
        }
        ui.horizontal(|ui| {
            if key(ui, t.keypad_delete) {
                self.input.pop();
            }
            if key(ui, "0") {
                self.input.push('0');
                self.message = None;
            }
            if key(ui, t.keypad_clear) {
                self.input.clear();
                self.message = None;
            }
            if key(ui, t.keypad_enter) && !self.input.trim().is_empty() {
                action = Some(Command::Submit);
            }
        });
        action
    }

    fn kind_selector_ui(&mut self, ui: &mut egui::Ui, t: &Texts) {
        let options: [(Option<IdentifierKind>, &str); 4] = [
            (None, t.auto),
            (Some(IdentifierKind::Card), t.card),
            (Some(IdentifierKind::Phone), t.phone),
            (Some(IdentifierKind::Email), t.email),
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
