//! Product pictures for the demo feed, drawn here (no image files to
//! license or carry in the repository): a silhouette of the product type in
//! the product's colour on a soft background, encoded as PNG.

use image::{ImageBuffer, Rgb, RgbImage};
use serde_json::Value;

/// Size of demo pictures (4:3, as the cards show them).
pub const WIDTH: u32 = 320;
/// Height of demo pictures.
pub const HEIGHT: u32 = 240;

/// Draws the picture for a feed item and encodes it as PNG.
pub fn product_png(item: &Value) -> Result<Vec<u8>, image::ImageError> {
    let color = item
        .get("tags_color")
        .and_then(Value::as_str)
        .unwrap_or("grey");
    let category = match item.get("category") {
        Some(Value::Array(a)) => a.iter().rev().find_map(Value::as_str).unwrap_or(""),
        Some(Value::String(s)) => s.as_str(),
        _ => "",
    };
    let img = draw(shape_for(category), named_color(color));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)?;
    Ok(out.into_inner())
}

/// A tiny PNG whose header claims `width`×`height` pixels: a decompression
/// bomb for testing decoder limits (decoding it would need gigabytes).
pub fn bomb_png(width: u32, height: u32) -> Vec<u8> {
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    png
}

/// CRC-32 as PNG chunks use it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[derive(Clone, Copy)]
enum Shape {
    Tshirt,
    Dress,
    Trousers,
    Shoe,
    Boot,
    Bag,
    Hat,
    Watch,
}

fn shape_for(category: &str) -> Shape {
    match category {
        "T-shirts" | "Hoodies" => Shape::Tshirt,
        "Dresses" => Shape::Dress,
        "Jeans" => Shape::Trousers,
        "Sneakers" => Shape::Shoe,
        "Boots" => Shape::Boot,
        "Bags" => Shape::Bag,
        "Hats" => Shape::Hat,
        _ => Shape::Watch,
    }
}

fn named_color(name: &str) -> [u8; 3] {
    match name {
        "navy" => [36, 52, 104],
        "black" => [40, 40, 44],
        "white" => [236, 236, 230],
        "olive" => [110, 118, 60],
        "burgundy" => [120, 30, 50],
        "sand" => [206, 180, 130],
        "sky blue" => [110, 170, 220],
        _ => [130, 134, 140],
    }
}

/// True where the silhouette covers point (x, y), both in 0..1 (y downwards).
fn covers(shape: Shape, x: f32, y: f32) -> bool {
    let in_rect = |x0: f32, y0: f32, x1: f32, y1: f32| x >= x0 && x <= x1 && y >= y0 && y <= y1;
    let in_ellipse = |cx: f32, cy: f32, rx: f32, ry: f32| {
        ((x - cx) / rx).powi(2) + ((y - cy) / ry).powi(2) <= 1.0
    };
    match shape {
        Shape::Tshirt => {
            let body = in_rect(0.36, 0.22, 0.64, 0.85);
            let sleeves = (0.22..=0.45).contains(&y)
                && ((x - 0.5).abs() - 0.14) < (0.45 - y) * 0.9 + 0.14
                && (x - 0.5).abs() <= 0.3;
            let neck = in_ellipse(0.5, 0.22, 0.06, 0.05);
            (body || sleeves) && !neck
        }
        Shape::Dress => {
            let top = in_rect(0.42, 0.15, 0.58, 0.42);
            let skirt = (0.42..=0.88).contains(&y) && (x - 0.5).abs() <= 0.08 + (y - 0.42) * 0.38;
            top || skirt
        }
        Shape::Trousers => {
            let waist = in_rect(0.38, 0.14, 0.62, 0.26);
            let legs = (0.26..=0.88).contains(&y)
                && (x - 0.5).abs() <= 0.12 + (y - 0.26) * 0.03
                && (x - 0.5).abs() >= 0.015 + (y - 0.26) * 0.02;
            waist || legs
        }
        Shape::Shoe => {
            let sole = in_rect(0.2, 0.66, 0.82, 0.72);
            let upper = y <= 0.66 && in_ellipse(0.58, 0.66, 0.24, 0.2);
            let heel = in_rect(0.2, 0.48, 0.36, 0.66);
            sole || upper || heel
        }
        Shape::Boot => {
            let shaft = in_rect(0.32, 0.2, 0.52, 0.7);
            let foot = y <= 0.74 && in_ellipse(0.56, 0.74, 0.26, 0.18);
            let sole = in_rect(0.3, 0.72, 0.8, 0.78);
            shaft || foot || sole
        }
        Shape::Bag => {
            let body = in_rect(0.3, 0.4, 0.7, 0.82);
            let handle =
                in_ellipse(0.5, 0.4, 0.14, 0.16) && !in_ellipse(0.5, 0.4, 0.1, 0.12) && y <= 0.4;
            body || handle
        }
        Shape::Hat => {
            let crown = y <= 0.62 && in_ellipse(0.5, 0.62, 0.2, 0.26);
            let brim = in_ellipse(0.5, 0.63, 0.32, 0.05);
            crown || brim
        }
        Shape::Watch => {
            let band = in_rect(0.44, 0.12, 0.56, 0.88);
            let case = in_ellipse(0.5, 0.5, 0.14, 0.186);
            let face = in_ellipse(0.5, 0.5, 0.11, 0.146);
            (band && !case) || (case && !face)
        }
    }
}

fn draw(shape: Shape, color: [u8; 3]) -> RgbImage {
    ImageBuffer::from_fn(WIDTH, HEIGHT, |px, py| {
        let (x, y) = (px as f32 / WIDTH as f32, py as f32 / HEIGHT as f32);
        // Aspect correction so circles stay round on a 4:3 canvas.
        let sx = 0.5 + (x - 0.5) * (WIDTH as f32 / HEIGHT as f32);
        let shade = (244.0 - y * 18.0) as u8;
        if covers(shape, sx, y) {
            // A little light from the top-left.
            let light = 1.08 - 0.16 * (sx + y) / 2.0;
            Rgb(color.map(|c| (c as f32 * light).clamp(0.0, 255.0) as u8))
        } else if covers(shape, sx - 0.012, y - 0.016) {
            Rgb([shade - 28, shade - 28, shade - 24])
        } else {
            Rgb([shade, shade, shade.saturating_add(4)])
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_draws_a_decodable_png_with_a_silhouette() {
        for cat in [
            "T-shirts", "Dresses", "Jeans", "Sneakers", "Boots", "Bags", "Hats", "Watches",
        ] {
            let item = serde_json::json!({"category": ["X", cat], "tags_color": "navy"});
            let png = product_png(&item).unwrap();
            assert!(png.len() < 40_000, "{cat}: {} bytes", png.len());
            let img = image::load_from_memory(&png).unwrap().to_rgb8();
            let navy_ish = img
                .pixels()
                .filter(|p| u16::from(p.0[2]) > u16::from(p.0[0]) + 40)
                .count();
            assert!(
                navy_ish > 2_000,
                "{cat}: silhouette too small ({navy_ish} px)"
            );
        }
    }
}
