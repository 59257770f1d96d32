//! The settings' "Sales to Yespo" group: `[orders]`.

use egui::{RichText, vec2};

use super::{SettingsForm, labelled_text, theme};
use crate::config::ItemCost;
use crate::ui::i18n::SettingsTexts;

impl SettingsForm {
    pub(super) fn orders_ui(&mut self, ui: &mut egui::Ui) {
        let st: &'static SettingsTexts = &self.texts.settings_screen;
        ui.label(
            RichText::new(st.orders_heading)
                .size(theme::GROUP_TITLE_SIZE)
                .strong(),
        );
        ui.checkbox(&mut self.draft.orders.send, st.orders_send);
        ui.add_enabled_ui(self.draft.orders.send, |ui| {
            egui::Grid::new("orders")
                .num_columns(3)
                .spacing(vec2(12.0, 8.0))
                .show(ui, |ui| {
                    ui.label(st.orders_store_id);
                    labelled_text(ui, &mut self.store_id, st.orders_store_id, 200.0, false);
                    ui.label(RichText::new(st.orders_store_hint).weak());
                    ui.end_row();
                    ui.label(st.orders_item_cost);
                    ui.horizontal(|ui| {
                        let cost = &mut self.draft.orders.item_cost;
                        ui.radio_value(cost, ItemCost::Line, st.item_cost_line);
                        ui.radio_value(cost, ItemCost::Unit, st.item_cost_unit);
                    });
                    ui.end_row();
                });
        });
    }
}
