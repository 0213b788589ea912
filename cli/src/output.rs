//! PNG files: single frames and an animated PNG of a sequence, from 8-bit RGBA pixels. Each is
//! written whole or not at all (`splat4d::fs::Output`); an animation is written a frame at a
//! time, as frames are rendered.

use std::path::Path;

use splat4d::error::try_with_capacity;
use splat4d::fs::Output;

use crate::load::CliResult;

/// An 8-bit RGBA image, rows from the top.
pub struct Rgba8 {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl Rgba8 {
    /// Images of equal height side by side (left to right).
    pub fn side_by_side(images: &[Rgba8]) -> CliResult<Rgba8> {
        let height = images[0].height;
        let width = images.iter().map(|i| i.width).sum();
        let mut pixels = try_with_capacity(width as usize * height as usize * 4, "the side-by-side image")?;
        for y in 0..height as usize {
            for i in images {
                let row = i.width as usize * 4;
                pixels.extend_from_slice(&i.pixels[y * row..(y + 1) * row]);
            }
        }
        Ok(Rgba8 { width, height, pixels })
    }
}

fn encoder<'a>(out: &'a mut Output, w: u32, h: u32) -> png::Encoder<'a, &'a mut Output> {
    let mut enc = png::Encoder::new(out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    // Splat colours are display-referred: the values are sRGB-encoded already.
    enc.set_source_srgb(png::SrgbRenderingIntent::Perceptual);
    enc
}

fn rgb(image: &Rgba8) -> CliResult<Vec<u8>> {
    let mut out = try_with_capacity(image.pixels.len() / 4 * 3, "an RGB image")?;
    out.extend(image.pixels.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]));
    Ok(out)
}

fn named(path: &Path) -> impl Fn(png::EncodingError) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

pub fn write_png(path: &Path, image: &Rgba8) -> CliResult {
    let mut out = Output::create(path)?;
    let mut writer = encoder(&mut out, image.width, image.height).write_header().map_err(named(path))?;
    writer.write_image_data(&rgb(image)?).map_err(named(path))?;
    writer.finish().map_err(named(path))?;
    Ok(out.commit()?)
}

/// An animated PNG being written, frame by frame.
pub struct Apng<'a> {
    path: &'a Path,
    writer: Option<png::Writer<&'a mut Output>>,
}

impl<'a> Apng<'a> {
    /// Starts an animation of `frames` frames of `w`×`h` at `fps` into `out` (for `path`).
    pub fn new(path: &'a Path, out: &'a mut Output, [w, h]: [u32; 2], frames: u32, fps: u16) -> CliResult<Apng<'a>> {
        let mut enc = encoder(out, w, h);
        enc.set_animated(frames, 0).map_err(named(path))?;
        enc.set_frame_delay(1, fps).map_err(named(path))?;
        Ok(Apng { path, writer: Some(enc.write_header().map_err(named(path))?) })
    }

    pub fn frame(&mut self, image: &Rgba8) -> CliResult {
        let writer = self.writer.as_mut().expect("frames come before finish");
        Ok(writer.write_image_data(&rgb(image)?).map_err(named(self.path))?)
    }

    /// Ends the animation (after its last frame); the output is then committed by the caller.
    pub fn finish(mut self) -> CliResult {
        Ok(self.writer.take().expect("finished once").finish().map_err(named(self.path))?)
    }
}
