//! One section per data source: title and kind, its own status (spinner,
//! error with Retry, "no recommendations"), and its cards wrapped to the
//! window width. Rows outside the visible area are only allocated, not
//! drawn, so long lists stay cheap.

use egui::{RichText, vec2};

use crate::yespo::{Product, SourceError};

use super::command::{Command, OpenProduct};

use super::card::{self, CardContext};
use super::theme;
use crate::session::{Section, SectionState};

/// What a card's response asks for: a click opens it; while it has the
/// keyboard, F4 adds it to the sale and F5 shows it to the customer.
fn card_action(
    ui: &egui::Ui,
    response: &egui::Response,
    product: &Product,
    source_id: u64,
) -> Option<Command> {
    let chosen = || OpenProduct {
        product: product.clone(),
        source_id,
    };
    if response.clicked() {
        return Some(Command::Open(chosen()));
    }
    if !response.has_focus() {
        return None;
    }
    if ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::F5)) {
        return Some(Command::ShowToCustomer(chosen()));
    }
    let add = ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::F4));
    add.then(|| Command::AddToSale(chosen()))
}

/// How sections lay their cards out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SectionLayout {
    /// Rows of full cards wrapped to the window width (large screens).
    Grid,
    /// One strip of compact cards per source, scrolled sideways, low enough
    /// that every source's first cards are on screen at once (a 1024×768 till).
    Strip {
        /// Height of the compact cards.
        card_height: f32,
    },
}

/// The layout for a window of `window` size with `available` room for
/// `sections` sections.
pub fn layout_for(window: egui::Vec2, available: egui::Vec2, sections: usize) -> SectionLayout {
    let small = window.x < theme::STRIPS_BELOW.x || window.y < theme::STRIPS_BELOW.y;
    if !small || sections == 0 {
        return SectionLayout::Grid;
    }
    let per_section = available.y / sections as f32 - theme::STRIP_OVERHEAD;
    SectionLayout::Strip {
        card_height: per_section.clamp(theme::COMPACT_MIN_HEIGHT, theme::COMPACT_MAX_HEIGHT),
    }
}

/// At most this many placeholder rows while a section is pending.
const MAX_PLACEHOLDER_ROWS: usize = 1;

/// Draws a section.
pub fn section_ui(
    ui: &mut egui::Ui,
    index: usize,
    section: &Section,
    layout: SectionLayout,
    cx: &mut CardContext<'_>,
) -> Option<Command> {
    cx.stale = match &section.state {
        SectionState::Loaded {
            stale_since: Some(since),
            ..
        } => Some(cx.texts.stale_mark(*since)),
        _ => None,
    };
    let action = match layout {
        SectionLayout::Grid => {
            ui.add_space(theme::SECTION_GAP);
            ui.horizontal(|ui| header_ui(ui, section, theme::SECTION_TITLE_SIZE, cx));
            grid_body_ui(ui, index, section, cx)
        }
        SectionLayout::Strip { card_height } => {
            ui.add_space(theme::STRIP_GAP);
            // Title on the left, cards on the right: no header line, so
            // six sources fit a 1024×768 screen.
            ui.horizontal(|ui| {
                ui.allocate_ui_with_layout(
                    vec2(theme::STRIP_TITLE_WIDTH, card_height),
                    egui::Layout::top_down(egui::Align::Min),
                    |ui| {
                        ui.set_width(theme::STRIP_TITLE_WIDTH);
                        header_ui(ui, section, theme::STRIP_TITLE_SIZE, cx);
                    },
                );
                ui.vertical(|ui| match strip_ui(ui, section, card_height, cx) {
                    Some(action) => action,
                    None => message_body_ui(ui, index, section, cx),
                })
                .inner
            })
            .inner
        }
    };
    cx.stale = None;
    ui.add_space(theme::STRIP_GAP);
    ui.separator();
    action
}

/// Title, kind and state of a section. In a strip's narrow title column
/// the title keeps to one line and the kind is left out.
fn header_ui(ui: &mut egui::Ui, section: &Section, title_size: f32, cx: &mut CardContext<'_>) {
    let title = section.source.display_title();
    let narrow = title_size < theme::SECTION_TITLE_SIZE;
    let title_label = egui::Label::new(RichText::new(&title).size(title_size).strong());
    if narrow {
        ui.add(title_label.truncate()).on_hover_text(&title);
    } else {
        ui.add(title_label);
        ui.label(RichText::new(cx.texts.source_kind(section.source.kind)).weak());
    }
    match &section.state {
        SectionState::Pending { since } => {
            if since.elapsed().as_millis() >= theme::SPINNER_DELAY_MS {
                ui.horizontal(|ui| {
                    ui.add(egui::Spinner::new().size(theme::SPINNER_SIZE));
                    ui.label(RichText::new(cx.texts.loading).weak());
                });
            }
        }
        SectionState::Loaded {
            stale_since: Some(since),
            ..
        } => {
            ui.label(
                RichText::new(cx.texts.stale_mark(*since))
                    .color(theme::error(ui))
                    .strong(),
            );
        }
        SectionState::Loaded {
            products, elapsed, ..
        } => {
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
}

/// The grid layout's cards, placeholders or message.
fn grid_body_ui(
    ui: &mut egui::Ui,
    index: usize,
    section: &Section,
    cx: &mut CardContext<'_>,
) -> Option<Command> {
    let mut action = None;
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
        SectionState::Loaded { products, .. } if !products.is_empty() => {
            grid_ui(ui, products.len(), columns, |ui, i| {
                let response = card::card_ui(ui, &products[i], &section.source.show_tags, cx);
                cx.note_seen(ui, response.rect, section.source.id, &products[i].id, i);
                if let Some(chosen) = card_action(ui, &response, &products[i], section.source.id) {
                    action = Some(chosen);
                }
            });
        }
        _ => action = message_body_ui(ui, index, section, cx),
    }
    action
}

/// "No recommendations", or the failure with Retry and the technical reason.
fn message_body_ui(
    ui: &mut egui::Ui,
    index: usize,
    section: &Section,
    cx: &mut CardContext<'_>,
) -> Option<Command> {
    let mut action = None;
    match &section.state {
        SectionState::Failed {
            error: SourceError::NeedsBasket,
            ..
        } => message_ui(ui, cx.texts.waiting_for_basket, false),
        SectionState::Failed { error, .. } => {
            let title = section.source.display_title();
            ui.horizontal_wrapped(|ui| {
                let text = format!("{title}: {}", cx.texts.source_problem(error));
                ui.label(RichText::new(text).color(theme::error(ui)).strong());
                let retry = egui::Button::new(format!("{} {title}", cx.texts.retry))
                    .min_size(vec2(0.0, theme::TOUCH));
                if ui.add(retry).clicked() {
                    action = Some(Command::Retry(index));
                }
            });
            // The technical reason, for the manager or support, out of the cashier's way.
            egui::CollapsingHeader::new(cx.texts.details_toggle)
                .id_salt(("error_details", section.source.id))
                .show(ui, |ui| {
                    ui.label(RichText::new(error.to_string()).weak());
                });
        }
        _ => message_ui(ui, cx.texts.no_recommendations, false),
    }
    action
}

/// A strip's cards (or placeholders), scrolled sideways; `None` when the
/// section has no cards to show (its message is drawn by the caller).
fn strip_ui(
    ui: &mut egui::Ui,
    section: &Section,
    card_height: f32,
    cx: &mut CardContext<'_>,
) -> Option<Option<Command>> {
    let mut action = None;
    match &section.state {
        SectionState::Pending { .. } => {
            let count = columns_for_compact(ui.available_width()).min(section.source.max_cards);
            ui.horizontal(|ui| {
                ui.spacing_mut().item_spacing.x = theme::CARD_GAP;
                for _ in 0..count.max(1) {
                    card::compact_placeholder_ui(ui, card_height);
                }
            });
        }
        SectionState::Loaded { products, .. } if !products.is_empty() => {
            egui::ScrollArea::horizontal()
                .id_salt(("strip", section.source.id))
                .auto_shrink([false, true])
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.spacing_mut().item_spacing.x = theme::CARD_GAP;
                        for (position, product) in products.iter().enumerate() {
                            let response = card::compact_card_ui(ui, product, card_height, cx);
                            cx.note_seen(
                                ui,
                                response.rect,
                                section.source.id,
                                &product.id,
                                position,
                            );
                            if let Some(chosen) =
                                card_action(ui, &response, product, section.source.id)
                            {
                                action = Some(chosen);
                            }
                        }
                    });
                });
        }
        _ => return None,
    }
    Some(action)
}

/// How many compact cards fit side by side.
fn columns_for_compact(width: f32) -> usize {
    (((width + theme::CARD_GAP) / (theme::COMPACT_CARD_WIDTH + theme::CARD_GAP)).floor() as usize)
        .max(1)
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
    ui.label(RichText::new(text).size(theme::MESSAGE_SIZE).color(color));
}

/// What the screen shows before the first customer.
pub fn welcome_ui(ui: &mut egui::Ui, t: &super::i18n::Texts, demo: bool) {
    ui.add_space(60.0);
    ui.vertical_centered(|ui| {
        ui.label(RichText::new(t.welcome).size(theme::WELCOME_SIZE).strong());
        ui.add_space(8.0);
        ui.label(
            RichText::new(t.welcome_hint)
                .size(theme::MESSAGE_SIZE)
                .weak(),
        );
        if demo {
            ui.add_space(20.0);
            ui.label(
                RichText::new(t.demo_try)
                    .size(theme::MESSAGE_SIZE)
                    .color(theme::demo(ui)),
            );
        }
    });
}
