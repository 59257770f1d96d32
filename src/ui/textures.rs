//! GPU textures for decoded pictures, created once per URL and bounded.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::images::{ImageLoader, ImageStatus};

/// Most textures kept; the oldest are dropped (and re-made from the
/// decoded cache if needed again).
const MAX_TEXTURES: usize = 512;

/// Bytes of new textures made per frame: converting and uploading many
/// pictures at once (a full screen of cards arriving together) would blow
/// the frame budget; the rest follow on the next frames. About two card
/// pictures (300x300 RGBA is 352 KiB); the first of a frame always goes.
pub const UPLOAD_BYTES_PER_FRAME: usize = 768 * 1024;

/// What a card can draw for its picture.
pub enum PictureState {
    /// Still loading: draw a placeholder.
    Loading,
    /// Ready.
    Ready(egui::TextureHandle),
    /// Missing or broken: draw the neutral picture.
    Unavailable,
}

/// Texture cache keyed by image URL.
#[derive(Default)]
pub struct Textures {
    by_url: HashMap<String, egui::TextureHandle>,
    order: VecDeque<String>,
    /// URLs asked for in this frame that are still downloading or decoding.
    /// Kept per frame: a card that scrolled away or was pushed below the
    /// fold is not asked again, and must not count as loading for ever.
    loading: HashSet<String>,
    /// Bytes of textures made in the current frame.
    uploaded_this_frame: usize,
    /// Bytes that may be made in one frame (`None`: [`UPLOAD_BYTES_PER_FRAME`]).
    budget: Option<usize>,
}

impl Textures {
    /// The picture for `url`, uploading it as a texture when its pixels are ready.
    pub fn get(&mut self, ctx: &egui::Context, images: &ImageLoader, url: &str) -> PictureState {
        if let Some(t) = self.by_url.get(url) {
            return PictureState::Ready(t.clone());
        }
        let status = images.get(url);
        if matches!(status, ImageStatus::Loading) {
            self.loading.insert(url.to_string());
        } else {
            self.loading.remove(url);
        }
        match status {
            ImageStatus::Loading => PictureState::Loading,
            ImageStatus::Failed(_) => PictureState::Unavailable,
            ImageStatus::Ready(_) if !self.may_upload() => {
                // Waiting for the next frame's budget: ask for that frame,
                // and only while something waits, so the till still rests.
                self.loading.insert(url.to_string());
                ctx.request_repaint();
                PictureState::Loading
            }
            ImageStatus::Ready(pic) => {
                self.uploaded_this_frame += pic.rgba.len();
                let size = [pic.width as usize, pic.height as usize];
                let image = egui::ColorImage::from_rgba_unmultiplied(size, &pic.rgba);
                let texture = ctx.load_texture(url, image, egui::TextureOptions::LINEAR);
                self.by_url.insert(url.to_string(), texture.clone());
                self.order.push_back(url.to_string());
                while self.order.len() > MAX_TEXTURES {
                    if let Some(old) = self.order.pop_front() {
                        self.by_url.remove(&old);
                    }
                }
                PictureState::Ready(texture)
            }
        }
    }

    /// Number of textures held.
    pub fn len(&self) -> usize {
        self.by_url.len()
    }

    /// True while this frame's upload budget has room (the first upload of
    /// a frame always has).
    fn may_upload(&self) -> bool {
        self.uploaded_this_frame < self.budget.unwrap_or(UPLOAD_BYTES_PER_FRAME)
    }

    /// Sets the bytes of textures made per frame (the bench compares budgets).
    #[doc(hidden)]
    pub fn set_upload_budget(&mut self, bytes: usize) {
        self.budget = Some(bytes);
    }

    /// Starts a frame: a fresh upload budget, and no picture loading until
    /// a card asks for it.
    pub fn begin_frame(&mut self) {
        self.uploaded_this_frame = 0;
        self.loading.clear();
    }

    /// Pictures drawn as loading in the frame drawn last.
    pub fn loading(&self) -> usize {
        self.loading.len()
    }

    /// True when no texture is held.
    pub fn is_empty(&self) -> bool {
        self.by_url.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upload_budget_lets_the_first_picture_through_and_stops_at_its_bytes() {
        let mut textures = Textures::default();
        textures.set_upload_budget(700_000);
        assert!(textures.may_upload());
        textures.uploaded_this_frame += 360_000;
        assert!(textures.may_upload(), "a second card picture fits");
        textures.uploaded_this_frame += 360_000;
        assert!(!textures.may_upload(), "the third waits for the next frame");
        textures.begin_frame();
        assert!(textures.may_upload());
        // A picture larger than the whole budget still goes, alone.
        textures.set_upload_budget(1);
        assert!(textures.may_upload());
    }

    /// A picture asked for by a card that is then no longer drawn (pushed
    /// below the fold by a section above it) does not count as loading.
    #[test]
    fn only_pictures_drawn_this_frame_count_as_loading() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        // A server that accepts and never answers: the picture stays loading.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/p.png", listener.local_addr().unwrap());
        let images = ImageLoader::new(runtime.handle().clone(), None, 1 << 20, None);
        let ctx = egui::Context::default();
        let mut textures = Textures::default();
        textures.begin_frame();
        assert!(matches!(
            textures.get(&ctx, &images, &url),
            PictureState::Loading
        ));
        assert_eq!(textures.loading(), 1);
        // The next frame does not draw that card.
        textures.begin_frame();
        assert_eq!(textures.loading(), 0);
        drop(listener);
    }
}
