//! One section per data source: title and kind, its own status (spinner,
//! error with Retry, "no recommendations"), and its cards wrapped to the
//! window width. Rows outside the visible area are only allocated, not
//! drawn, so long lists stay cheap.

use egui::{RichText, vec2};

use crate::yespo::Product;

use super::card::{self, CardContext};
use super::theme;
use crate::session::{Section, SectionState};

/// What the cashier did in a section.
pub enum SectionAction {
    /// Nothing.
    None,
    /// Asked this source again.
    Retry,
    /// Opened a product's details.
    Open(Box<Product>),
}

/// At most this many placeholder rows while a section is pending.
const MAX_PLACEHOLDER_ROWS: usize = 1;

/// Draws a section.
pub fn section_ui(ui: &mut egui::Ui, section: &Section, cx: &mut CardContext<'_>) -> SectionAction {
    let mut action = SectionAction::None;
    let title = section.source.display_title();
    ui.add_space(10.0);
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(&title)
                .size(theme::SECTION_TITLE_SIZE)
                .strong(),
        );
        ui.label(RichText::new(cx.texts.source_kind(section.source.kind)).weak());
        match &section.state {
            SectionState::Pending { since } => {
                if since.elapsed().as_millis() >= theme::SPINNER_DELAY_MS {
                    ui.add(egui::Spinner::new().size(18.0));
                    ui.label(RichText::new(cx.texts.loading).weak());
                }
            }
            SectionState::Loaded { products, elapsed } => {
                ui.label(
                    RichText::new(format!(
                        "{} · {} ms",
                        cx.texts.products(products.len()),
                        elapsed.as_millis()
                    ))
                    .weak(),
                );
            }
            SectionState::Failed { .. } => {}
        }
    });
    let columns = columns_for(ui.available_width());
    match &section.state {
        SectionState::Pending { .. } => {
            let count = section
                .source
                .max_cards
                .min(columns * MAX_PLACEHOLDER_ROWS)
                .max(1);
            grid_ui(ui, count, columns, |ui, _| card::placeholder_card_ui(ui));
        }
        SectionState::Loaded { products, .. } if products.is_empty() => {
            message_ui(ui, cx.texts.no_recommendations, false);
        }
        SectionState::Loaded { products, .. } => {
            grid_ui(ui, products.len(), columns, |ui, i| {
                let response = card::card_ui(ui, &products[i], &section.source.show_tags, cx);
                if response.clicked() {
                    action = SectionAction::Open(Box::new(products[i].clone()));
                }
            });
        }
        SectionState::Failed { error, .. } => {
            ui.horizontal(|ui| {
                let text = format!("{title}: {}", cx.texts.source_problem(error));
                ui.label(RichText::new(text).color(theme::error(ui)).strong());
                let retry = egui::Button::new(format!("{} {title}", cx.texts.retry))
                    .min_size(vec2(0.0, theme::TOUCH));
                if ui.add(retry).clicked() {
                    action = SectionAction::Retry;
                }
            });
            // The technical reason, for the manager or support, out of the cashier's way.
            egui::CollapsingHeader::new(cx.texts.details_toggle)
                .id_salt(("error_details", section.source.id))
                .show(ui, |ui| {
                    ui.label(RichText::new(error.to_string()).weak());
                });
        }
    }
    ui.add_space(6.0);
    ui.separator();
    action
}

/// How many cards fit side by side.
pub fn columns_for(width: f32) -> usize {
    (((width + theme::CARD_GAP) / (theme::CARD_WIDTH + theme::CARD_GAP)).floor() as usize).max(1)
}

/// Lays `count` items out in rows of `columns`; rows outside the clip
/// rectangle are allocated without drawing.
fn grid_ui(
    ui: &mut egui::Ui,
    count: usize,
    columns: usize,
    mut item: impl FnMut(&mut egui::Ui, usize),
) {
    let row_size = vec2(
        columns as f32 * (theme::CARD_WIDTH + theme::CARD_GAP),
        theme::CARD_HEIGHT,
    );
    for row_start in (0..count).step_by(columns) {
        let (row_rect, _) = ui.allocate_exact_size(row_size, egui::Sense::hover());
        if !ui.is_rect_visible(row_rect) {
            ui.add_space(theme::CARD_GAP - ui.spacing().item_spacing.y);
            continue;
        }
        let mut row_ui = ui.new_child(
            egui::UiBuilder::new()
                .max_rect(row_rect)
                .layout(egui::Layout::left_to_right(egui::Align::Min)),
        );
        row_ui.spacing_mut().item_spacing.x = theme::CARD_GAP;
        for i in row_start..(row_start + columns).min(count) {
            item(&mut row_ui, i);
        }
        ui.add_space(theme::CARD_GAP - ui.spacing().item_spacing.y);
    }
}

fn message_ui(ui: &mut egui::Ui, text: &str, error: bool) {
    let color = if error {
        theme::error(ui)
    } else {
        ui.visuals().weak_text_color()
    };
    ui.add_space(4.0);
    ui.label(RichText::new(text).size(16.0).color(color));
}

/// What the screen shows before the first customer.
pub fn welcome_ui(ui: &mut egui::Ui, t: &super::i18n::Texts, demo: bool) {
    ui.add_space(60.0);
    ui.vertical_centered(|ui| {
        ui.label(RichText::new(t.welcome).size(24.0).strong());
        ui.add_space(8.0);
        ui.label(RichText::new(t.welcome_hint).size(16.0).weak());
        if demo {
            ui.add_space(20.0);
            ui.label(RichText::new(t.demo_try).size(16.0).color(theme::demo(ui)));
        }
    });
}
