//! The till's icon, drawn by code so one drawing gives the window icon and
//! the packaged PNGs at every size (the SVG in `assets/icon/` is the same
//! drawing by hand): a bag on a blue rounded square, with a green "+" for
//! "recommended, add to the sale".

use image::{Rgba, RgbaImage};

const BLUE: Rgba<u8> = Rgba([31, 94, 168, 255]);
const WHITE: Rgba<u8> = Rgba([255, 255, 255, 255]);
const GREEN: Rgba<u8> = Rgba([22, 163, 74, 255]);

/// The icon at `size`×`size` pixels.
pub fn draw(size: u32) -> RgbaImage {
    let s = size as f32;
    let mut img = RgbaImage::new(size, size);
    for (x, y, pixel) in img.enumerate_pixels_mut() {
        // Sample at the pixel's centre, in units of the 64-unit design grid.
        let (u, v) = ((x as f32 + 0.5) * 64.0 / s, (y as f32 + 0.5) * 64.0 / s);
        *pixel = colour_at(u, v);
    }
    img
}

fn colour_at(u: f32, v: f32) -> Rgba<u8> {
    let transparent = Rgba([0, 0, 0, 0]);
    if !in_rounded_rect(u, v, 2.0, 2.0, 62.0, 62.0, 12.0) {
        return transparent;
    }
    // The "+" badge, bottom right.
    let (dx, dy) = (u - 46.0, v - 46.0);
    if dx * dx + dy * dy <= 11.0 * 11.0 {
        let bar = (dx.abs() <= 2.2 && dy.abs() <= 6.5) || (dy.abs() <= 2.2 && dx.abs() <= 6.5);
        return if bar { WHITE } else { GREEN };
    }
    // The bag: a body and a handle.
    let body = in_rounded_rect(u, v, 14.0, 24.0, 44.0, 52.0, 4.0);
    let (hx, hy) = (u - 29.0, v - 24.0);
    let r = (hx * hx + hy * hy).sqrt();
    let handle = hy <= 0.0 && (6.0..=9.0).contains(&r);
    if body || handle { WHITE } else { BLUE }
}

fn in_rounded_rect(u: f32, v: f32, x0: f32, y0: f32, x1: f32, y1: f32, r: f32) -> bool {
    if u < x0 || u > x1 || v < y0 || v > y1 {
        return false;
    }
    let cx = u.clamp(x0 + r, x1 - r);
    let cy = v.clamp(y0 + r, y1 - r);
    (u - cx).powi(2) + (v - cy).powi(2) <= r * r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_icon_has_its_parts_at_any_size() {
        for size in [16, 48, 256] {
            let img = draw(size);
            assert_eq!(img.dimensions(), (size, size));
            let at = |u: f32, v: f32| {
                *img.get_pixel(
                    (u * size as f32 / 64.0) as u32,
                    (v * size as f32 / 64.0) as u32,
                )
            };
            assert_eq!(at(0.5, 0.5)[3], 0, "rounded corner is transparent");
            assert_eq!(at(6.0, 32.0), BLUE);
            assert_eq!(at(29.0, 40.0), WHITE, "the bag");
        }
    }
}
