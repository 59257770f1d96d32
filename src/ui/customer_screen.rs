//! The customer-facing window (`[display] customer_screen = "window"`): a
//! second native window, moved once to the monitor that faces the customer;
//! its place and size are remembered in a small file.

use egui::RichText;

use super::i18n::Texts;
use super::theme;

/// The customer window's viewport.
pub fn viewport_id() -> egui::ViewportId {
    egui::ViewportId::from_hash_of("pos-recs-customer")
}

fn place_file() -> Option<std::path::PathBuf> {
    directories::ProjectDirs::from("", "", "pos-recs")
        .map(|d| d.data_dir().join("customer-window.txt"))
}

/// Where the window was last: position and inner size.
pub fn remembered() -> Option<(egui::Pos2, egui::Vec2)> {
    let text = std::fs::read_to_string(place_file()?).ok()?;
    let n: Vec<f32> = text
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .filter(|v: &f32| v.is_finite())
        .collect();
    let [x, y, w, h] = n.as_slice() else {
        return None;
    };
    (*w >= 200.0 && *h >= 150.0).then(|| (egui::pos2(*x, *y), egui::vec2(*w, *h)))
}

/// Keeps the window's place when it changed (written rarely: only on a move
/// or a resize, never per frame at rest).
pub fn remember(ctx: &egui::Context) {
    let (outer, inner) = ctx.input(|i| (i.viewport().outer_rect, i.viewport().inner_rect));
    let (Some(outer), Some(inner)) = (outer, inner) else {
        return;
    };
    let place = (outer.min, inner.size());
    let known = remembered();
    let moved =
        known.is_none_or(|(p, s)| (p - place.0).length() > 1.0 || (s - place.1).length() > 1.0);
    if moved && let Some(file) = place_file() {
        let text = format!("{} {} {} {}\n", place.0.x, place.0.y, place.1.x, place.1.y);
        if let Some(dir) = file.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = std::fs::write(file, text);
    }
}

/// Nothing chosen: a calm screen.
pub fn idle_ui(ui: &mut egui::Ui, t: &Texts) {
    ui.add_space(ui.available_height() * 0.35);
    ui.vertical_centered(|ui| {
        ui.label(
            RichText::new(t.customer_idle)
                .size(theme::CUSTOMER_TITLE_SIZE)
                .weak(),
        );
    });
}
