//! PNG files: single frames and an animated PNG of a sequence.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use splat4d::reference::Image;

use crate::load::CliResult;

fn encoder<'a>(path: &Path, w: u32, h: u32) -> CliResult<png::Encoder<'a, BufWriter<File>>> {
    let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut enc = png::Encoder::new(BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    // Splat colours are display-referred: the values are sRGB-encoded already.
    enc.set_source_srgb(png::SrgbRenderingIntent::Perceptual);
    Ok(enc)
}

fn rgb8(image: &Image) -> Vec<u8> {
    image.to_rgba8().chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect()
}

pub fn write_png(path: &Path, image: &Image) -> CliResult {
    let mut writer = encoder(path, image.width, image.height)?.write_header()?;
    writer.write_image_data(&rgb8(image))?;
    writer.finish()?;
    Ok(())
}

pub fn write_apng(path: &Path, frames: &[Image], fps: u16) -> CliResult {
    let Some(first) = frames.first() else {
        return Ok(());
    };
    let mut enc = encoder(path, first.width, first.height)?;
    enc.set_animated(frames.len() as u32, 0)?;
    enc.set_frame_delay(1, fps)?;
    let mut writer = enc.write_header()?;
    for f in frames {
        writer.write_image_data(&rgb8(f))?;
    }
    writer.finish()?;
    Ok(())
}
