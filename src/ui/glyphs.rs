//! Glyphs rasterised before the first customer, not during their cards.
//!
//! egui draws a glyph into its font atlas the first time the glyph is laid
//! out at a size. A fresh till's first lookup would otherwise rasterise
//! every letter, digit and currency sign of 100 cards in the one frame
//! those cards first appear: the worst frame of the screen. So, in the
//! frame after the first, the letters a card can hold are laid out once at
//! the sizes the cashier's screen uses; again when the pixel density
//! changes (text size setting, another monitor).

use egui::{Color32, FontId};

use super::theme;

/// What a product card, a section title or the status line may say: Latin
/// and Ukrainian letters, digits, punctuation and currency signs.
const CHARACTERS: &str = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`\
abcdefghijklmnopqrstuvwxyz{|}~АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯабвгґдеєжзиіїйклмнопрстуфхцчшщьюя\
’‘“”«»—–…·×₴€£№";

/// The text sizes of the cashier's screen (cards, sections, status line).
const SIZES: [f32; 11] = [
    12.5,
    13.0,
    13.5,
    14.0,
    theme::NAME_SIZE,
    theme::STRIP_TITLE_SIZE,
    theme::GROUP_TITLE_SIZE,
    theme::PRICE_SIZE,
    theme::SECTION_TITLE_SIZE,
    theme::INPUT_SIZE,
    theme::MESSAGE_SIZE,
];

/// Warms the font atlas once per pixel density.
#[derive(Debug, Default)]
pub struct GlyphWarmUp {
    frames: u32,
    warmed_at: Option<f32>,
    off: bool,
}

impl GlyphWarmUp {
    /// Never warms (for measuring what it saves).
    pub fn skip(&mut self) {
        self.off = true;
    }

    /// Called every frame: from the second frame on, lays the characters
    /// out at every size when this pixel density has not been warmed yet.
    /// The first frame asks for the second, so a till at rest still gets it.
    pub fn frame(&mut self, ctx: &egui::Context) {
        self.frames = self.frames.saturating_add(1);
        if self.off {
            return;
        }
        let density = ctx.pixels_per_point();
        if self.warmed_at == Some(density) {
            return;
        }
        if self.frames < 2 {
            ctx.request_repaint();
            return;
        }
        self.warmed_at = Some(density);
        ctx.fonts_mut(|fonts| {
            for size in SIZES {
                let font = FontId::proportional(size);
                fonts.layout_no_wrap(CHARACTERS.to_string(), font, Color32::WHITE);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a frame; true when it changed a texture (the font atlas).
    fn frame(ctx: &egui::Context, warm: &mut GlyphWarmUp) -> bool {
        let mut output = ctx.run_ui(egui::RawInput::default(), |ui| warm.frame(ui.ctx()));
        let changed = !output.textures_delta.set.is_empty();
        // egui wants its texture changes handled; here they are looked at only.
        output.textures_delta.clear();
        changed
    }

    #[test]
    fn the_atlas_is_warmed_in_the_second_frame_once_and_again_for_a_new_density() {
        let ctx = egui::Context::default();
        let mut warm = GlyphWarmUp::default();
        frame(&ctx, &mut warm);
        assert_eq!(warm.warmed_at, None);
        assert!(ctx.has_requested_repaint(), "the first frame asks for the second");
        assert!(frame(&ctx, &mut warm), "the letters went into the atlas");
        assert_eq!(warm.warmed_at, Some(ctx.pixels_per_point()));
        assert!(!frame(&ctx, &mut warm), "nothing more at rest");
        ctx.set_pixels_per_point(2.0);
        frame(&ctx, &mut warm);
        assert_eq!(warm.warmed_at, Some(2.0));
    }

    #[test]
    fn a_skipped_warm_up_never_runs() {
        let ctx = egui::Context::default();
        let mut warm = GlyphWarmUp::default();
        warm.skip();
        frame(&ctx, &mut warm);
        assert!(!frame(&ctx, &mut warm), "the atlas stays as it was");
        assert_eq!(warm.warmed_at, None);
    }
}
