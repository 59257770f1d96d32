//! The cards' glyphs, rasterised while the till waits for its first
//! customer.
//!
//! egui rasterises a glyph the first time a text needs it, at each size and
//! at each of four sub-pixel offsets, into its font atlas. A fresh till's
//! first customer pays for all of that in the one frame their cards first
//! appear in: measured (`scripts/bench.sh`, "the cards' first frame"), it
//! was most of that frame. Laying out the letters, digits and signs a card
//! can show, at every size a card uses and at all four offsets, in the idle
//! frames after start moves the work to where nobody waits for it. Later
//! customers never paid it: the atlas keeps what it has.

use std::time::{Duration, Instant};

use egui::text::{LayoutJob, LayoutSection, TextFormat};
use egui::{Color32, FontId};

use super::theme;

/// The characters a card's texts are made of in the languages the till
/// speaks: Latin and Ukrainian (Cyrillic) letters, digits, the signs of
/// prices and names.
const CHARACTERS: &str = concat!(
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
    "АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯабвгґдеєжзиіїйклмнопрстуфхцчшщьюяЁёЭэЫыЪъ",
    "’‘“”«»–—…№₴€£×·°%",
);

/// The sizes a card draws text at (name, price, old price, tags, badge,
/// "no picture", compact name and badge, offline band), and the sections'
/// titles around them.
const SIZES: [f32; 10] = [
    theme::NAME_SIZE,
    theme::PRICE_SIZE,
    13.5,
    13.0,
    12.5,
    12.0,
    14.0,
    theme::BADGE.0,
    theme::COMPACT_BADGE.0,
    theme::STRIP_TITLE_SIZE,
];

/// Sub-pixel offsets egui keeps a glyph at (a quarter pixel apart).
const OFFSETS: usize = 4;

/// How long one frame may spend warming up: the window stays responsive
/// (a cashier may type meanwhile).
const FRAME_BUDGET: Duration = Duration::from_millis(4);

/// Where the warm-up stands: the next (size, offset) to lay out.
#[derive(Debug, Default)]
pub struct GlyphWarmUp {
    next: usize,
}

impl GlyphWarmUp {
    /// A warm-up with nothing left to do.
    pub fn finished() -> Self {
        Self {
            next: SIZES.len() * OFFSETS,
        }
    }

    /// Whether every size and offset has been laid out.
    pub fn is_done(&self) -> bool {
        self.next >= SIZES.len() * OFFSETS
    }

    /// Lays out as many of the remaining (size, offset) pairs as fit in
    /// [`FRAME_BUDGET`] (at least one), and asks for another frame while
    /// some remain.
    pub fn step(&mut self, ctx: &egui::Context) {
        if self.is_done() {
            return;
        }
        let started = Instant::now();
        let pixels_per_point = ctx.pixels_per_point();
        while !self.is_done() {
            let size = SIZES[self.next / OFFSETS];
            let offset = (self.next % OFFSETS) as f32 / OFFSETS as f32;
            let job = shifted_job(size, offset / pixels_per_point);
            ctx.fonts_mut(|fonts| fonts.layout_job(job));
            self.next += 1;
            if started.elapsed() >= FRAME_BUDGET {
                break;
            }
        }
        if !self.is_done() {
            ctx.request_repaint();
        }
    }
}

/// All of [`CHARACTERS`] at `size`, starting `leading` points in: a
/// quarter pixel more moves every glyph to its next sub-pixel offset.
fn shifted_job(size: f32, leading: f32) -> LayoutJob {
    LayoutJob {
        text: CHARACTERS.to_string(),
        sections: vec![LayoutSection {
            leading_space: leading,
            byte_range: egui::text::ByteIndex(0)..egui::text::ByteIndex(CHARACTERS.len()),
            format: TextFormat::simple(FontId::proportional(size), Color32::WHITE),
        }],
        ..LayoutJob::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One frame of `ctx`; returns how many texture changes it made (new
    /// glyphs in the font atlas are one), taken as a renderer would.
    fn frame(ctx: &egui::Context, mut ui: impl FnMut(&mut egui::Ui)) -> usize {
        let mut output = ctx.run_ui(Default::default(), |u| ui(u));
        let changes = output.textures_delta.set.len();
        output.textures_delta.clear();
        changes
    }

    /// A card's texts at every size a card uses, at a fractional offset.
    fn card_texts(ui: &mut egui::Ui) {
        for (i, size) in SIZES.iter().enumerate() {
            let text = format!("Сукня лляна «Ніжність» №{i}, 1 299,00 ₴ — Size: M…");
            let _ = ui
                .painter()
                .layout_no_wrap(text, FontId::proportional(*size), Color32::WHITE);
            let _ = ui.painter().layout_job(shifted_job(*size, 0.3));
        }
    }

    /// After the warm-up, a frame of card texts changes no texture: all
    /// their glyphs were in the atlas already.
    #[test]
    fn after_the_warm_up_a_cards_text_needs_no_new_glyph() {
        let ctx = egui::Context::default();
        let mut warm_up = GlyphWarmUp::default();
        frame(&ctx, |_| {});
        let mut frames = 0;
        while !warm_up.is_done() {
            frame(&ctx, |ui| warm_up.step(ui.ctx()));
            frames += 1;
            assert!(frames < 1000, "the warm-up never ends");
        }
        assert_eq!(
            frame(&ctx, card_texts),
            0,
            "a card's text needed new glyphs"
        );
    }

    /// Without the warm-up, the same frame adds glyphs to the atlas (the
    /// test above can fail).
    #[test]
    fn without_the_warm_up_a_cards_text_adds_glyphs() {
        let ctx = egui::Context::default();
        frame(&ctx, |_| {});
        assert!(frame(&ctx, card_texts) > 0);
    }
}
