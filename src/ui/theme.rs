//! Design tokens: sizes, colours and text sizes in one place.

use egui::{Color32, Vec2};

/// Card width (cards never get narrower than this).
pub const CARD_WIDTH: f32 = 210.0;
/// Card height, fixed so placeholders and real cards take the same space.
pub const CARD_HEIGHT: f32 = 352.0;
/// The 4:3 picture box at the top of a card.
pub const IMAGE_BOX: Vec2 = Vec2::new(
    CARD_WIDTH - 2.0 * CARD_PADDING,
    (CARD_WIDTH - 2.0 * CARD_PADDING) * 0.75,
);
/// Width of a compact card (strip layout for small screens).
pub const COMPACT_CARD_WIDTH: f32 = 250.0;
/// Inner padding of a compact card.
pub const COMPACT_PADDING: f32 = 6.0;
/// Stock badge on a full card: text size and inner padding.
pub const BADGE: (f32, Vec2) = (13.5, Vec2::new(8.0, 4.0));
/// Stock badge on a compact card, small enough for the shortest strips.
pub const COMPACT_BADGE: (f32, Vec2) = (12.0, Vec2::new(6.0, 1.5));
/// Compact cards are never lower than this…
pub const COMPACT_MIN_HEIGHT: f32 = 72.0;
/// …nor higher than this.
pub const COMPACT_MAX_HEIGHT: f32 = 150.0;
/// Below this window height (or width) sources are shown as strips.
pub const STRIPS_BELOW: Vec2 = Vec2::new(1100.0, 800.0);
/// Height a strip takes besides its cards (gaps and the separator).
pub const STRIP_OVERHEAD: f32 = 22.0;
/// Width of the title column left of a strip.
pub const STRIP_TITLE_WIDTH: f32 = 150.0;

/// Inner padding of a card.
pub const CARD_PADDING: f32 = 10.0;
/// Gap between cards.
pub const CARD_GAP: f32 = 12.0;
/// Smallest touch target.
pub const TOUCH: f32 = 44.0;
/// A keypad key's side (touch-only tills): at least 48 px.
pub const KEYPAD_KEY: f32 = 56.0;
/// Delay before a pending section shows a spinner (fast answers never flicker).
pub const SPINNER_DELAY_MS: u128 = 300;

/// Product name text size.
pub const NAME_SIZE: f32 = 15.0;
/// Price text size.
pub const PRICE_SIZE: f32 = 20.0;
/// Section title text size in the strip layout.
pub const STRIP_TITLE_SIZE: f32 = 16.0;
/// Section title text size.
pub const SECTION_TITLE_SIZE: f32 = 20.0;
/// Lookup input text size.
pub const INPUT_SIZE: f32 = 24.0;

/// "In stock" badge (green, with text).
pub const IN_STOCK: Color32 = Color32::from_rgb(22, 120, 60);
/// "Out of stock" badge (red, with text).
pub const OUT_OF_STOCK: Color32 = Color32::from_rgb(176, 32, 40);
/// Stock unknown.
pub const STOCK_UNKNOWN: Color32 = Color32::from_rgb(100, 100, 110);
/// Error text on a light background (contrast 5.8:1).
pub const ERROR: Color32 = Color32::from_rgb(190, 30, 40);
/// Error text on a dark background.
pub const ERROR_ON_DARK: Color32 = Color32::from_rgb(255, 120, 120);
/// "Demo data" label on a light background (contrast 5.7:1).
pub const DEMO: Color32 = Color32::from_rgb(150, 80, 0);
/// "Demo data" label on a dark background.
pub const DEMO_ON_DARK: Color32 = Color32::from_rgb(255, 176, 70);

/// Good news (a significant gain) on a light background.
pub const GOOD: Color32 = Color32::from_rgb(22, 120, 60);
/// Good news on a dark background.
pub const GOOD_ON_DARK: Color32 = Color32::from_rgb(110, 210, 140);

/// Good-news text colour for the current theme.
pub fn good(ui: &egui::Ui) -> Color32 {
    if ui.visuals().dark_mode {
        GOOD_ON_DARK
    } else {
        GOOD
    }
}

/// Error text colour for the current theme.
pub fn error(ui: &egui::Ui) -> Color32 {
    if ui.visuals().dark_mode {
        ERROR_ON_DARK
    } else {
        ERROR
    }
}

/// "Demo data" colour for the current theme.
pub fn demo(ui: &egui::Ui) -> Color32 {
    if ui.visuals().dark_mode {
        DEMO_ON_DARK
    } else {
        DEMO
    }
}

/// WCAG 2 contrast ratio between two colours (1 to 21).
pub fn contrast(a: Color32, b: Color32) -> f32 {
    fn luminance(c: Color32) -> f32 {
        let channel = |v: u8| {
            let v = f32::from(v) / 255.0;
            if v <= 0.03928 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(c.r()) + 0.7152 * channel(c.g()) + 0.0722 * channel(c.b())
    }
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}
/// Placeholder fill (loading cards and pictures).
pub const PLACEHOLDER: Color32 = Color32::from_gray(226);
/// Neutral picture for missing/broken images.
pub const NO_PICTURE: Color32 = Color32::from_gray(236);
/// Card background.
pub const CARD_FILL: Color32 = Color32::WHITE;
/// Card border.
pub const CARD_STROKE: Color32 = Color32::from_gray(210);
/// Text on a card (cards stay light in both themes).
pub const CARD_TEXT: Color32 = Color32::from_gray(28);
/// Secondary text on a card.
pub const CARD_WEAK_TEXT: Color32 = Color32::from_gray(96);
/// The "no picture" icon's lines.
pub const NO_PICTURE_ICON: Color32 = Color32::from_gray(170);
/// The "no picture" caption.
pub const NO_PICTURE_TEXT: Color32 = Color32::from_gray(120);

/// Corner radius of cards.
pub const CARD_RADIUS: f32 = 10.0;
/// Corner radius of pictures and placeholders.
pub const PICTURE_RADIUS: f32 = 6.0;
/// Border width of a card, and of a highlighted (hovered, focused) one.
pub const CARD_BORDER: (f32, f32) = (1.0, 2.5);

/// Small vertical gap between related lines.
pub const GAP_SMALL: f32 = 6.0;
/// Gap before a block of buttons.
pub const GAP: f32 = 8.0;
/// Space above a section in the grid layout.
pub const SECTION_GAP: f32 = 10.0;
/// Space between the strips of the strip layout.
pub const STRIP_GAP: f32 = 2.0;
/// Size of a section's spinner.
pub const SPINNER_SIZE: f32 = 18.0;
/// Text size of messages in a section ("no recommendations").
pub const MESSAGE_SIZE: f32 = 16.0;

/// Width of the details dialog (less on narrow windows).
pub const DETAILS_WIDTH: f32 = 760.0;
/// The details' picture box.
pub const DETAILS_PICTURE: Vec2 = Vec2::new(320.0, 240.0);
/// The details' product name size.
pub const DETAILS_TITLE_SIZE: f32 = 22.0;
/// The details' price size.
pub const DETAILS_PRICE_SIZE: f32 = 26.0;
/// Side of the details' QR code.
pub const QR_SIDE: f32 = 170.0;
/// Width of the dialogs' main buttons.
pub const BUTTON_WIDTH: f32 = 140.0;
/// Width of a button that must stand out (Add to sale).
pub const BUTTON_WIDE: f32 = 160.0;

/// The customer view's product name size.
pub const CUSTOMER_TITLE_SIZE: f32 = 40.0;
/// The customer view's price size.
pub const CUSTOMER_PRICE_SIZE: f32 = 56.0;
/// The customer view's old price and stock size.
pub const CUSTOMER_DETAIL_SIZE: f32 = 28.0;

/// The welcome screen's title size, and a screen's title (settings).
pub const WELCOME_SIZE: f32 = 24.0;
/// A prompt's title (PIN).
pub const PROMPT_TITLE_SIZE: f32 = 26.0;
/// A group's heading on the settings screen.
pub const GROUP_TITLE_SIZE: f32 = 18.0;

/// The window's background in the light or the dark theme: the colour
/// egui's panels are filled with.
pub fn background(dark: bool) -> Color32 {
    if dark {
        egui::Visuals::dark().panel_fill
    } else {
        egui::Visuals::light().panel_fill
    }
}

/// The real window clears to [`background`], and panels draw no fill of
/// their own. On a till without a GPU, Mesa's software rasteriser shades
/// every pixel of every shape: the panels' fills covered the whole window
/// once more each frame, measured at a third of the CPU of a frame at
/// 1920×1080 (`scripts/bench.sh`). A clear costs next to nothing. (The
/// headless test harness clears to transparent, so it keeps the fills.)
pub fn clear_instead_of_panel_fill(ctx: &egui::Context) {
    ctx.all_styles_mut(|style| style.visuals.panel_fill = Color32::TRANSPARENT);
}

/// Applies the app's base style (larger text, touch-friendly spacing),
/// the theme and the text size factor.
pub fn apply(ctx: &egui::Context, dark: bool, text_scale: f32) {
    ctx.all_styles_mut(|style| {
        style.spacing.interact_size.y = 32.0;
        style.spacing.button_padding = egui::vec2(12.0, 8.0);
        style.spacing.item_spacing = egui::vec2(8.0, 8.0);
        // A blinking cursor repaints the whole till twice a second all day
        // (measured: 17 % of a core at rest with software rendering). The
        // input is always focused, so a steady cursor says enough.
        style.visuals.text_cursor.blink = false;
        for (text_style, size) in [
            (egui::TextStyle::Body, 15.0),
            (egui::TextStyle::Button, 16.0),
            (egui::TextStyle::Small, 12.5),
            (egui::TextStyle::Heading, 22.0),
        ] {
            if let Some(font) = style.text_styles.get_mut(&text_style) {
                font.size = size;
            }
        }
    });
    ctx.set_theme(if dark {
        egui::Theme::Dark
    } else {
        egui::Theme::Light
    });
    ctx.set_zoom_factor(text_scale.clamp(0.75, 2.0));
}

/// The band across an older (offline) answer's card pictures: dark amber,
/// readable in white on light and dark themes alike.
pub const STALE_BAND: egui::Color32 = egui::Color32::from_rgba_premultiplied(150, 90, 0, 230);

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG AA: 4.5:1 for normal text.
    const AA: f32 = 4.5;

    #[test]
    fn badges_and_messages_pass_wcag_aa() {
        for badge in [IN_STOCK, OUT_OF_STOCK, STOCK_UNKNOWN] {
            assert!(contrast(Color32::WHITE, badge) >= AA, "{badge:?}");
        }
        let light_bg = egui::Visuals::light().panel_fill;
        let dark_bg = egui::Visuals::dark().panel_fill;
        for (fg, bg) in [
            (ERROR, light_bg),
            (DEMO, light_bg),
            (GOOD, light_bg),
            (GOOD_ON_DARK, dark_bg),
            (ERROR_ON_DARK, dark_bg),
            (DEMO_ON_DARK, dark_bg),
        ] {
            assert!(
                contrast(fg, bg) >= AA,
                "{fg:?} on {bg:?}: {:.2}",
                contrast(fg, bg)
            );
        }
        assert!(
            contrast(Color32::from_gray(96), CARD_FILL) >= AA,
            "weak card text"
        );
    }

    #[test]
    fn contrast_is_the_wcag_formula() {
        assert!((contrast(Color32::BLACK, Color32::WHITE) - 21.0).abs() < 0.01);
        assert!((contrast(Color32::WHITE, Color32::WHITE) - 1.0).abs() < 0.01);
    }
}
