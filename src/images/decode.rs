//! Decoding a picture to no more pixels than a card shows.
//!
//! JPEG (most product photos) is decoded at 1/2, 1/4 or 1/8 of its size
//! inside the decoder (DCT scaling): the largest reduction whose result
//! still covers the card's picture box. A SIMD resizer (`fast_image_resize`)
//! does the rest of the way. PNG, WebP and GIF take `image`'s decoder and
//! its downscale, as before. Either way the picture is turned upright by
//! its EXIF orientation, and every bound holds: dimensions, the allocation
//! cap, and errors (never panics) for corrupt or hostile files.

use std::io::Cursor;

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbaImage};

use super::{MAX_DIMENSION, Picture, PictureError, THUMB_SIZE};

/// Most bytes a decoder may allocate for one picture.
const MAX_ALLOC: u64 = 128 * 1024 * 1024;

/// The size `width`×`height` takes when fitted into `bounds`, keeping its
/// aspect; a picture that already fits keeps its size (no upscaling).
pub fn fitted(width: u32, height: u32, bounds: (u32, u32)) -> (u32, u32) {
    if width <= bounds.0 && height <= bounds.1 {
        return (width, height);
    }
    let scale = f64::min(
        f64::from(bounds.0) / f64::from(width),
        f64::from(bounds.1) / f64::from(height),
    );
    let w = (f64::from(width) * scale).round().max(1.0) as u32;
    let h = (f64::from(height) * scale).round().max(1.0) as u32;
    (w.min(bounds.0), h.min(bounds.1))
}

/// The largest JPEG DCT reduction (1, 2, 4 or 8) after which a
/// `width`×`height` picture still covers `target` in both directions.
pub fn dct_reduction(width: u32, height: u32, target: (u32, u32)) -> u32 {
    [8, 4, 2]
        .into_iter()
        .find(|d| width.div_ceil(*d) >= target.0 && height.div_ceil(*d) >= target.1)
        .unwrap_or(1)
}

/// True for a picture that is not empty and within [`MAX_DIMENSION`].
fn within_limits(width: u32, height: u32) -> bool {
    width > 0 && height > 0 && width <= MAX_DIMENSION && height <= MAX_DIMENSION
}

/// True when `bytes` have a picture format's header and dimensions within
/// the limits (read from the header, without decoding the pixels).
pub fn looks_like_a_picture(bytes: &[u8]) -> bool {
    ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()
        .and_then(|reader| reader.into_dimensions().ok())
        .is_some_and(|(w, h)| within_limits(w, h))
}

/// Decodes with size limits, downscales to fit [`THUMB_SIZE`] and turns the
/// picture upright. JPEG takes the DCT-scaled path; the rest `image`'s.
pub fn decode_thumbnail(bytes: &[u8]) -> Result<Picture, PictureError> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        // `None`: a JPEG of a kind the scaled path does not take (CMYK, 16-bit).
        if let Some(picture) = decode_jpeg_scaled(bytes)? {
            return Ok(picture);
        }
    }
    decode_thumbnail_generic(bytes)
}

/// `image`'s decoder and its downscale: the path for PNG, WebP and GIF, and
/// what JPEG took before (kept for comparison in the bench).
pub fn decode_thumbnail_generic(bytes: &[u8]) -> Result<Picture, PictureError> {
    let decode = |e: image::ImageError| PictureError::Decode(e.to_string());
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PictureError::Decode(e.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(decode)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(decode)?;
    // Small pictures stay as they are: upscaling only costs memory.
    let fits = image.width() <= THUMB_SIZE.0 && image.height() <= THUMB_SIZE.1;
    let mut thumb = if fits {
        image
    } else {
        image.thumbnail(THUMB_SIZE.0, THUMB_SIZE.1)
    };
    thumb.apply_orientation(orientation);
    // Turned a quarter, a thumbnail made for the unturned box may overhang it.
    if thumb.width() > THUMB_SIZE.0 || thumb.height() > THUMB_SIZE.1 {
        thumb = thumb.thumbnail(THUMB_SIZE.0, THUMB_SIZE.1);
    }
    Ok(into_picture(thumb.to_rgba8()))
}

fn into_picture(rgba: RgbaImage) -> Picture {
    Picture {
        width: rgba.width(),
        height: rgba.height(),
        rgba: rgba.into_raw(),
    }
}

/// True when the orientation turns the picture a quarter (width and height swap).
fn swaps_sides(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// The DCT-scaled JPEG path; `Ok(None)` for a JPEG whose pixels it does not
/// take (CMYK, 16-bit grey), which then goes the generic way.
fn decode_jpeg_scaled(bytes: &[u8]) -> Result<Option<Picture>, PictureError> {
    let bad = |e: jpeg_decoder::Error| PictureError::Decode(e.to_string());
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.set_max_decoding_buffer_size(MAX_ALLOC as usize);
    decoder.read_info().map_err(bad)?;
    let Some(info) = decoder.info() else {
        return Err(PictureError::Decode("no JPEG header".into()));
    };
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    if !within_limits(width, height) {
        return Err(PictureError::Decode(format!(
            "{width}x{height} is over the {MAX_DIMENSION} px limit"
        )));
    }
    let channels = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => 1,
        jpeg_decoder::PixelFormat::RGB24 => 3,
        _ => return Ok(None),
    };
    let orientation = decoder
        .exif_data()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    // The box the picture must fit once upright, as the decoder sees it.
    let bounds = if swaps_sides(orientation) {
        (THUMB_SIZE.1, THUMB_SIZE.0)
    } else {
        THUMB_SIZE
    };
    let target = fitted(width, height, bounds);
    let reduction = dct_reduction(width, height, target);
    if reduction > 1 {
        let (w, h) = (width.div_ceil(reduction), height.div_ceil(reduction));
        decoder.scale(w as u16, h as u16).map_err(bad)?;
    }
    let pixels = decoder.decode().map_err(bad)?;
    let Some(info) = decoder.info() else {
        return Err(PictureError::Decode("no JPEG header".into()));
    };
    let (decoded_w, decoded_h) = (u32::from(info.width), u32::from(info.height));
    if pixels.len() != (decoded_w * decoded_h) as usize * channels {
        return Err(PictureError::Decode("cut off".into()));
    }
    let rgb = match channels {
        1 => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
        _ => pixels,
    };
    let rgb = resize_rgb(rgb, (decoded_w, decoded_h), target)?;
    if orientation == Orientation::NoTransforms {
        // The common case: straight to RGBA, one pass.
        let mut rgba = Vec::with_capacity(rgb.len() / 3 * 4);
        for pixel in rgb.chunks_exact(3) {
            rgba.extend_from_slice(&[pixel[0], pixel[1], pixel[2], 255]);
        }
        return Ok(Some(Picture {
            width: target.0,
            height: target.1,
            rgba,
        }));
    }
    let mut image = DynamicImage::ImageRgb8(
        image::RgbImage::from_raw(target.0, target.1, rgb)
            .ok_or_else(|| PictureError::Decode("resize gave the wrong size".into()))?,
    );
    image.apply_orientation(orientation);
    Ok(Some(into_picture(image.to_rgba8())))
}

/// RGB pixels of `from` resized to `to` with the SIMD resizer (a copy when
/// the sizes are equal).
fn resize_rgb(rgb: Vec<u8>, from: (u32, u32), to: (u32, u32)) -> Result<Vec<u8>, PictureError> {
    if from == to {
        return Ok(rgb);
    }
    let failed = |e: &dyn std::fmt::Display| PictureError::Decode(format!("resize: {e}"));
    let source =
        Image::from_vec_u8(from.0, from.1, rgb, PixelType::U8x3).map_err(|e| failed(&e))?;
    let mut target = Image::new(to.0, to.1, PixelType::U8x3);
    Resizer::new()
        .resize(
            &source,
            &mut target,
            &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear)),
        )
        .map_err(|e| failed(&e))?;
    Ok(target.into_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reduction_is_the_largest_that_still_covers_the_card() {
        // Exact multiples: 3200x2400 into 400x300 is exactly 1/8.
        assert_eq!(dct_reduction(3200, 2400, (400, 300)), 8);
        assert_eq!(dct_reduction(1600, 1200, (400, 300)), 4);
        assert_eq!(dct_reduction(800, 600, (400, 300)), 2);
        // One pixel short of a multiple: the next smaller reduction.
        assert_eq!(
            dct_reduction(3199, 2399, (400, 300)),
            8,
            "rounded up, 1/8 still covers"
        );
        assert_eq!(
            dct_reduction(3190, 2390, (400, 300)),
            4,
            "short of a multiple"
        );
        // The benchmark's 800x800 photo fits as 300x300: 1/2 covers it.
        assert_eq!(fitted(800, 800, (400, 300)), (300, 300));
        assert_eq!(dct_reduction(800, 800, (300, 300)), 2);
        // Smaller than the card: decoded whole.
        assert_eq!(fitted(120, 90, (400, 300)), (120, 90));
        assert_eq!(dct_reduction(120, 90, (120, 90)), 1);
        // Very tall: the height decides.
        assert_eq!(fitted(300, 6000, (400, 300)), (15, 300));
        assert_eq!(dct_reduction(300, 6000, (15, 300)), 8);
        // Very wide.
        assert_eq!(fitted(8000, 200, (400, 300)), (400, 10));
        assert_eq!(dct_reduction(8000, 200, (400, 10)), 8);
    }

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_jpeg_is_decoded_scaled_to_fit_the_card() {
        let p = decode_thumbnail(&jpeg(1600, 800)).unwrap();
        assert_eq!((p.width, p.height), (400, 200));
        assert_eq!(p.rgba.len(), 400 * 200 * 4);
        let small = decode_thumbnail(&jpeg(120, 90)).unwrap();
        assert_eq!((small.width, small.height), (120, 90));
    }

    /// A JPEG with an EXIF APP1 segment carrying `orientation`, made by
    /// splicing the segment in after SOI.
    fn with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        // "Exif\0\0", then a little-endian TIFF header with one IFD entry:
        // tag 0x0112 (Orientation), type SHORT, count 1, the value.
        let mut tiff = vec![b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0];
        tiff.extend_from_slice(&0x0112u16.to_le_bytes());
        tiff.extend_from_slice(&3u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&u32::from(orientation).to_le_bytes());
        tiff.extend_from_slice(&0u32.to_le_bytes());
        let mut payload = b"Exif\0\0".to_vec();
        payload.extend_from_slice(&tiff);
        let length = (payload.len() + 2) as u16;
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(&payload);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn a_rotated_phone_photo_is_turned_upright() {
        // Stored landscape 1600x800, to be shown turned a quarter (6 = 90° clockwise).
        let rotated = with_orientation(&jpeg(1600, 800), 6);
        let p = decode_thumbnail(&rotated).unwrap();
        assert!(
            p.height > p.width,
            "still sideways: {}x{}",
            p.width,
            p.height
        );
        assert_eq!((p.width, p.height), (150, 300));
        // The generic path honours it too.
        let g = decode_thumbnail_generic(&rotated).unwrap();
        assert!(
            g.height > g.width,
            "generic path sideways: {}x{}",
            g.width,
            g.height
        );
        // Orientation 1: as stored.
        let upright = decode_thumbnail(&with_orientation(&jpeg(1600, 800), 1)).unwrap();
        assert_eq!((upright.width, upright.height), (400, 200));
    }

    #[test]
    fn broken_and_oversized_jpegs_fail_cleanly() {
        let good = jpeg(640, 480);
        assert!(decode_thumbnail(&good[..good.len() / 3]).is_err());
        assert!(decode_thumbnail(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 2]).is_err());
        // A header claiming 60000x60000: refused before decoding.
        let mut huge = good.clone();
        let sof = huge
            .windows(2)
            .position(|w| w == [0xFF, 0xC0])
            .expect("a baseline SOF");
        huge[sof + 5..sof + 7].copy_from_slice(&60000u16.to_be_bytes());
        huge[sof + 7..sof + 9].copy_from_slice(&60000u16.to_be_bytes());
        let err = decode_thumbnail(&huge).unwrap_err().to_string();
        assert!(err.contains("limit") || err.contains("decode"), "{err}");
    }
}
