//! Turning a picture into the files pages use: decoded (PNG, JPEG, GIF, WebP,
//! with size limits and the camera's orientation applied), resized into a few
//! widths and written as WebP. Pure and synchronous: callers run it on a
//! blocking thread.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbaImage};
use sha2::{Digest, Sha256};

/// The widths stored for every picture (never wider than the original).
pub const WIDTHS: [u32; 4] = [160, 320, 640, 1024];
/// Pictures larger than this in either direction are refused (decompression bombs).
pub const MAX_SIDE: u32 = 12_000;
/// Smaller than this is too small for a product picture.
pub const MIN_SIDE: u32 = 64;
/// WebP quality for photos and drawings (libwebp's scale, 0–100).
const QUALITY: f32 = 80.0;

/// One stored width.
#[derive(Debug, Clone)]
pub struct Rendition {
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

/// A picture ready to store: its content key and its widths (smallest first).
#[derive(Debug, Clone)]
pub struct Processed {
    pub key: String,
    pub width: u32,
    pub height: u32,
    pub renditions: Vec<Rendition>,
}

impl Processed {
    pub fn widths(&self) -> Vec<u32> {
        self.renditions.iter().map(|r| r.width).collect()
    }

    /// The stored file name of one width.
    pub fn file_name(&self, width: u32) -> String {
        format!("{}-{width}.webp", self.key)
    }
}

/// Why a picture cannot be used, in words for the person who sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PictureError {
    #[error("That file is not a PNG, JPEG, GIF or WebP picture.")]
    NotAPicture,
    #[error(
        "That picture could not be read; it may be damaged. Save it again and upload the new file."
    )]
    Unreadable,
    #[error(
        "That picture is {0}×{1} pixels; pictures may be at most {MAX_SIDE} pixels on each side."
    )]
    TooLarge(u32, u32),
    #[error("That picture is {0}×{1} pixels; product pictures need at least {MIN_SIDE} pixels on each side.")]
    TooSmall(u32, u32),
}

/// The first 16 hex digits of the SHA-256 of `bytes`: names the files, so a changed
/// picture gets new addresses and browsers may keep every file for ever.
pub fn content_key(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    hex::encode(&digest[..8])
}

/// Decodes an uploaded picture and makes its widths.
pub fn process_upload(bytes: &[u8]) -> Result<Processed, PictureError> {
    if super::images::sniff_image_type(bytes).is_none() {
        return Err(PictureError::NotAPicture);
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| PictureError::NotAPicture)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(768 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| match e {
        image::ImageError::Limits(_) => PictureError::TooLarge(0, 0),
        image::ImageError::Unsupported(_) => PictureError::NotAPicture,
        _ => PictureError::Unreadable,
    })?;
    let (w, h) = decoder.dimensions();
    if w > MAX_SIDE || h > MAX_SIDE {
        return Err(PictureError::TooLarge(w, h));
    }
    if w < MIN_SIDE || h < MIN_SIDE {
        return Err(PictureError::TooSmall(w, h));
    }
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => PictureError::TooLarge(w, h),
        _ => PictureError::Unreadable,
    })?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    let opaque = !img.color().has_alpha();
    Ok(renditions(content_key(bytes), img.into_rgba8(), opaque))
}

/// Makes the widths of an RGBA picture: each from the next larger one
/// (a good filter once, then cheap halvings).
pub fn renditions(key: String, rgba: RgbaImage, opaque: bool) -> Processed {
    let (w0, h0) = rgba.dimensions();
    let mut widths: Vec<u32> = WIDTHS.iter().copied().filter(|w| *w < w0).collect();
    if widths.len() < WIDTHS.len() {
        // Smaller than the largest width: keep its own width as the largest.
        widths.push(w0);
    }
    let height_of =
        |w: u32| ((u64::from(w) * u64::from(h0) + u64::from(w0) / 2) / u64::from(w0)).max(1) as u32;
    let mut out = Vec::with_capacity(widths.len());
    let mut current = rgba;
    for &w in widths.iter().rev() {
        let h = height_of(w);
        if current.width() != w {
            current =
                image::imageops::resize(&current, w, h, image::imageops::FilterType::CatmullRom);
        }
        out.push(Rendition {
            width: w,
            height: h,
            bytes: encode_webp(&current, opaque),
        });
    }
    out.reverse();
    let largest = out.last().map(|r| (r.width, r.height)).unwrap_or((w0, h0));
    Processed {
        key,
        width: largest.0,
        height: largest.1,
        renditions: out,
    }
}

fn encode_webp(img: &RgbaImage, opaque: bool) -> Vec<u8> {
    let (w, h) = img.dimensions();
    if opaque {
        let rgb: Vec<u8> = img
            .as_raw()
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        webp::Encoder::from_rgb(&rgb, w, h).encode(QUALITY).to_vec()
    } else {
        webp::Encoder::from_rgba(img.as_raw(), w, h)
            .encode(QUALITY)
            .to_vec()
    }
}

/// Draws an SVG (a demo picture) as a square of `side` pixels and makes its widths.
pub fn process_svg(svg: &str, side: u32) -> Option<Processed> {
    let tree = resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default()).ok()?;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(side, side)?;
    let size = tree.size();
    let scale = side as f32 / size.width().max(size.height());
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    // Demo pictures have an opaque background, so premultiplied = straight RGBA.
    let rgba = RgbaImage::from_raw(side, side, pixmap.take())?;
    Some(renditions(content_key(svg.as_bytes()), rgba, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = RgbaImage::from_fn(w, h, |x, y| {
            image::Rgba([(x % 256) as u8, (y % 256) as u8, 90, 255])
        });
        let mut out = Vec::new();
        DynamicImage::ImageRgba8(img)
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_large_picture_gets_every_width_keeping_its_shape() {
        let p = process_upload(&png(2000, 1000)).unwrap();
        assert_eq!(p.widths(), vec![160, 320, 640, 1024]);
        assert_eq!((p.width, p.height), (1024, 512));
        for r in &p.renditions {
            assert_eq!(r.height * 2, r.width);
            assert_eq!(&r.bytes[0..4], b"RIFF");
            assert_eq!(&r.bytes[8..12], b"WEBP");
        }
    }

    #[test]
    fn a_small_picture_is_never_enlarged() {
        let p = process_upload(&png(500, 400)).unwrap();
        assert_eq!(p.widths(), vec![160, 320, 500]);
        assert_eq!((p.width, p.height), (500, 400));
    }

    #[test]
    fn bad_pictures_are_refused_with_a_reason() {
        assert_eq!(
            process_upload(b"hello, not a picture").unwrap_err(),
            PictureError::NotAPicture
        );
        let mut broken = png(300, 300);
        broken.truncate(60);
        assert_eq!(
            process_upload(&broken).unwrap_err(),
            PictureError::Unreadable
        );
        assert_eq!(
            process_upload(&png(20, 300)).unwrap_err(),
            PictureError::TooSmall(20, 300)
        );
    }

    #[test]
    fn the_key_follows_the_content() {
        assert_eq!(content_key(b"a"), content_key(b"a"));
        assert_ne!(content_key(b"a"), content_key(b"b"));
        assert_eq!(content_key(b"a").len(), 16);
    }

    #[test]
    fn an_svg_drawing_becomes_square_widths() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><rect width="100" height="100" fill="#e8e2d6"/><circle cx="50" cy="50" r="30" fill="#b7472a"/></svg>"##;
        let p = process_svg(svg, 800).unwrap();
        assert_eq!(p.widths(), vec![160, 320, 640, 800]);
        assert_eq!((p.width, p.height), (800, 800));
    }
}
