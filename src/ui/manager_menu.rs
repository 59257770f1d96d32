//! The manager menu: the row above the manager's views (behind the PIN)
//! that moves between the settings and the "What works" report, and back
//! to the till.

use egui::RichText;

use super::i18n::Texts;
use super::theme;

/// The manager's views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagerView {
    /// The store manager's settings.
    Settings,
    /// The "What works" report.
    WhatWorks,
}

/// What the manager chose in the menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuChoice {
    /// Another view.
    View(ManagerView),
    /// Back to the till (the settings' unsaved edits are dropped).
    BackToTill,
}

/// Draws the menu with `current` selected; the manager's choice, if any.
pub fn manager_menu(ui: &mut egui::Ui, current: ManagerView, texts: &Texts) -> Option<MenuChoice> {
    let st = &texts.settings_screen;
    let mut choice = None;
    ui.horizontal(|ui| {
        for (view, label) in [
            (ManagerView::Settings, texts.settings),
            (ManagerView::WhatWorks, st.what_works_tab),
        ] {
            let entry = egui::Button::selectable(current == view, RichText::new(label).strong())
                .min_size(egui::vec2(120.0, theme::TOUCH));
            if ui.add(entry).clicked() && current != view {
                choice = Some(MenuChoice::View(view));
            }
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let back = egui::Button::new(st.back_to_till).min_size(egui::vec2(140.0, theme::TOUCH));
            if ui.add(back).clicked() {
                choice = Some(MenuChoice::BackToTill);
            }
        });
    });
    choice
}
