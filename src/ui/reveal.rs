//! Many cards arriving at once are laid out over a few frames, not one.
//!
//! A card's first full drawing lays out its texts (name, price, tags),
//! which egui then keeps while the card stays on screen: about 85 µs a
//! card on the 2-core machine. A lookup whose six sources answer together
//! brings 100 cards, and laying them all out in one frame made that frame
//! the worst of the screen (9 ms and more). So each frame draws at most
//! [`NEW_CARDS_PER_FRAME`] cards in full for the first time; the rest show
//! as the placeholder card for one more frame, and the next frame follows
//! at once. A card already drawn in full stays so: nothing flickers.

use std::collections::HashSet;

/// Cards drawn in full for the first time in one frame.
pub const NEW_CARDS_PER_FRAME: usize = 40;

/// Which cards of the customer on screen have been drawn in full.
#[derive(Debug)]
pub struct Reveal {
    lookup: Option<u64>,
    drawn: HashSet<String>,
    per_frame: usize,
    new_left: usize,
    held_back: bool,
}

impl Default for Reveal {
    fn default() -> Self {
        Self {
            lookup: None,
            drawn: HashSet::new(),
            per_frame: NEW_CARDS_PER_FRAME,
            new_left: 0,
            held_back: false,
        }
    }
}

impl Reveal {
    /// Every card in full at once, as before (the bench compares).
    pub fn all_at_once(&mut self) {
        self.per_frame = usize::MAX;
    }

    /// Starts a frame for the lookup on screen (a new lookup starts over).
    pub fn begin(&mut self, lookup: Option<u64>) {
        if self.lookup != lookup {
            self.lookup = lookup;
            self.drawn.clear();
        }
        self.new_left = self.per_frame;
        self.held_back = false;
    }

    /// Whether the card of `product_id` may be drawn in full this frame.
    pub fn may_draw(&mut self, product_id: &str) -> bool {
        if self.drawn.contains(product_id) {
            return true;
        }
        if self.new_left == 0 {
            self.held_back = true;
            return false;
        }
        self.new_left -= 1;
        self.drawn.insert(product_id.to_string());
        true
    }

    /// True when a card waited this frame: the next frame should follow.
    pub fn held_back(&self) -> bool {
        self.held_back
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_come_in_over_frames_and_once_drawn_stay_drawn() {
        let mut reveal = Reveal::default();
        let ids: Vec<String> = (0..100).map(|i| format!("SKU-{i}")).collect();
        let mut frames = 0;
        loop {
            reveal.begin(Some(1));
            let full: Vec<bool> = ids.iter().map(|id| reveal.may_draw(id)).collect();
            frames += 1;
            let drawn = full.iter().filter(|f| **f).count();
            assert_eq!(drawn, (frames * NEW_CARDS_PER_FRAME).min(100));
            // The cards drawn are a prefix: none drawn before goes back.
            assert!(full.windows(2).all(|w| w[0] || !w[1]));
            if !reveal.held_back() {
                break;
            }
        }
        assert_eq!(frames, 100usize.div_ceil(NEW_CARDS_PER_FRAME));
        // The same lookup again: everything at once, nothing held back.
        reveal.begin(Some(1));
        assert!(ids.iter().all(|id| reveal.may_draw(id)));
        assert!(!reveal.held_back());
        // The next customer starts over.
        reveal.begin(Some(2));
        let drawn = ids.iter().filter(|id| reveal.may_draw(id)).count();
        assert_eq!(drawn, NEW_CARDS_PER_FRAME);
    }
}
