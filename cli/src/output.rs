//! PNG files: single frames and an animated PNG of a sequence, from 8-bit RGBA pixels.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use crate::load::CliResult;

/// An 8-bit RGBA image, rows from the top.
pub struct Rgba8 {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl Rgba8 {
    /// Images of equal height side by side (left to right).
    pub fn side_by_side(images: &[Rgba8]) -> Rgba8 {
        let height = images[0].height;
        let width = images.iter().map(|i| i.width).sum();
        let mut pixels = Vec::with_capacity((width * height * 4) as usize);
        for y in 0..height as usize {
            for i in images {
                let row = i.width as usize * 4;
                pixels.extend_from_slice(&i.pixels[y * row..(y + 1) * row]);
            }
        }
        Rgba8 { width, height, pixels }
    }
}

fn encoder<'a>(path: &Path, w: u32, h: u32) -> CliResult<png::Encoder<'a, BufWriter<File>>> {
    let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut enc = png::Encoder::new(BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    // Splat colours are display-referred: the values are sRGB-encoded already.
    enc.set_source_srgb(png::SrgbRenderingIntent::Perceptual);
    Ok(enc)
}

fn rgb(image: &Rgba8) -> Vec<u8> {
    image.pixels.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect()
}

pub fn write_png(path: &Path, image: &Rgba8) -> CliResult {
    let mut writer = encoder(path, image.width, image.height)?.write_header()?;
    writer.write_image_data(&rgb(image))?;
    writer.finish()?;
    Ok(())
}

pub fn write_apng(path: &Path, frames: &[Rgba8], fps: u16) -> CliResult {
    let Some(first) = frames.first() else { return Ok(()) };
    let mut enc = encoder(path, first.width, first.height)?;
    enc.set_animated(frames.len() as u32, 0)?;
    enc.set_frame_delay(1, fps)?;
    let mut writer = enc.write_header()?;
    for f in frames {
        writer.write_image_data(&rgb(f))?;
    }
    writer.finish()?;
    Ok(())
}
