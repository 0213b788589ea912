//! PlayCanvas SOG (version 2), exact to splat-transform's `read-sog`: a `meta.json` and
//! lossless WebP images, either beside each other in a folder or bundled in one `.sog` zip.
//! Each image holds one RGBA pixel per splat (row-major): positions as 16-bit fractions (low
//! and high bytes in two images) of per-axis bounds of `sign(x)·ln(|x|+1)`; rotations as
//! "smallest three" in 8 bits with the largest's index in alpha (252 + i); log-scales and SH DC
//! as indices into 256-entry codebooks, opacity in the DC image's alpha; higher SH bands as a
//! 16-bit palette label per splat into a centroid image whose bytes index another codebook.
//! Axes are the PLY's. Values are computed in f64 and held in f32, as the reference does.

use std::io::{Cursor, Read};
use std::path::Path;

use glam::{Vec3, Vec4};
use serde_json::Value;

use super::{ImportOptions, Input};
use crate::asset::format::SourceKind;
use crate::error::{printable, Error, Result};
use crate::math::sigmoid;
use crate::primitive::Primitive;
use crate::splats::Splats;

const ZIP: [u8; 4] = *b"PK\x03\x04";
/// No image is decoded larger than this (RGBA bytes), nor any file inside a bundle.
const MAX_IMAGE_PIXELS: u64 = 1 << 26;
const MAX_FILE: u64 = 1 << 30;

pub fn detect(name: &str, head: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    (head.starts_with(&ZIP) && lower.ends_with(".sog"))
        || (lower.ends_with("meta.json") && head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'))
}

/// Where the files a `meta.json` names come from.
enum Files<'a> {
    Bundle(zip::ZipArchive<Cursor<Vec<u8>>>),
    Folder(Option<&'a Path>),
}

impl Files<'_> {
    fn read(&mut self, name: &str) -> std::result::Result<Vec<u8>, String> {
        let shown = printable(name);
        let mut out = Vec::new();
        match self {
            Files::Bundle(zip) => {
                let file = zip.by_name(name).map_err(|e| format!("'{shown}' in the bundle: {e}"))?;
                file.take(MAX_FILE).read_to_end(&mut out).map_err(|e| format!("'{shown}' in the bundle: {e}"))?;
            }
            Files::Folder(dir) => {
                let relative = Path::new(name);
                if relative.is_absolute()
                    || relative.components().any(|c| !matches!(c, std::path::Component::Normal(_)))
                {
                    return Err(format!("'{shown}' is not a file name beside meta.json"));
                }
                let dir = dir.ok_or(format!("'{shown}' is a file beside meta.json, and this source has no folder"))?;
                let path = dir.join(relative);
                let file = crate::fs::open_regular(&path).map_err(|e| e.to_string())?;
                file.take(MAX_FILE).read_to_end(&mut out).map_err(|e| Error::io(&path, e).to_string())?;
            }
        }
        Ok(out)
    }

    /// The RGBA pixels of a lossless WebP, and its width.
    fn image(&mut self, name: &str, at_least: u64) -> std::result::Result<(Vec<u8>, usize), String> {
        let shown = printable(name);
        let bytes = self.read(name)?;
        let mut decoder = image_webp::WebPDecoder::new(Cursor::new(bytes)).map_err(|e| format!("'{shown}': {e}"))?;
        let (w, h) = decoder.dimensions();
        let pixels = w as u64 * h as u64;
        if pixels > MAX_IMAGE_PIXELS {
            return Err(format!("'{shown}' is {w}×{h}, larger than splat4d decodes"));
        }
        if pixels < at_least {
            return Err(format!("'{shown}' is {w}×{h}: fewer than the {at_least} pixels it must hold"));
        }
        let channels = if decoder.has_alpha() { 4 } else { 3 };
        // A lossless WebP of a few bytes can claim the largest size: ask for the memory first.
        let mut buf: Vec<u8> =
            crate::error::try_vec(pixels as usize * channels, "a SOG image").map_err(|e| e.to_string())?;
        decoder.read_image(&mut buf).map_err(|e| format!("'{shown}': {e}"))?;
        if channels == 3 {
            buf = buf.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect();
        }
        Ok((buf, w as usize))
    }
}

pub fn import(input: &mut Input, options: &ImportOptions) -> Result<Splats> {
    let name = input.name;
    let err = |m: String| Error::import(name, m);
    let mut bytes = Vec::new();
    input.from(0).read_to_end(&mut bytes).map_err(|e| err(format!("reading: {e}")))?;
    let (meta, mut files) = if bytes.starts_with(&ZIP) {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| err(format!("bundle: {e}")))?;
        let mut meta = Vec::new();
        zip.by_name("meta.json")
            .map_err(|e| err(format!("bundle without meta.json: {e}")))?
            .take(MAX_FILE)
            .read_to_end(&mut meta)
            .map_err(|e| err(format!("meta.json: {e}")))?;
        (meta, Files::Bundle(zip))
    } else {
        (bytes, Files::Folder(input.dir))
    };
    let meta: Value = serde_json::from_slice(&meta).map_err(|e| err(format!("meta.json: {e}")))?;
    match meta.get("version").and_then(Value::as_u64) {
        Some(2) => {}
        None => {
            return Err(err(
                "SOG version 1 (no 'version' in meta.json) is not supported; re-save it with splat-transform".into(),
            ))
        }
        Some(v) => return Err(err(format!("SOG version {v} (splat4d reads version 2)"))),
    }
    let sog = Meta::parse(&meta).map_err(err)?;
    let time_range = options.validated_time_range()?.unwrap_or([0.0, 0.0]);
    let mut splats = options.splats(SourceKind::Sog, (sog.degree, 0), time_range, options.frame_rate()?);
    splats.report.source = name.to_string();
    splats.report.read = sog.count as u64;
    splats.report.format = format!(
        "SOG v2 ({}): 16-bit positions in log-space bounds, smallest-three rotations in 8 bits, log-scales and \
         colour from 256-entry codebooks, 8-bit opacity{}",
        if matches!(files, Files::Bundle(_)) { "bundle" } else { "folder" },
        match &sog.sh_n {
            Some((palette, ..)) => format!(", SH from a palette of {palette}"),
            None => String::new(),
        }
    );
    decode(&sog, &mut files, &mut splats).map_err(err)?;
    Ok(splats)
}

struct Meta<'a> {
    count: usize,
    mins: [f64; 3],
    maxs: [f64; 3],
    means: [&'a str; 2],
    scales: (Vec<f32>, &'a str),
    quats: &'a str,
    sh0: (Vec<f32>, &'a str),
    /// Palette size, codebook, centroids and labels files.
    sh_n: Option<(u64, Vec<f32>, [&'a str; 2])>,
    degree: u32,
}

impl<'a> Meta<'a> {
    fn parse(m: &'a Value) -> std::result::Result<Meta<'a>, String> {
        let section = |k: &str| m.get(k).ok_or(format!("meta.json has no '{k}'"));
        let files = |s: &'a Value, n: usize| -> std::result::Result<Vec<&'a str>, String> {
            let f: Vec<&str> =
                s.get("files").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
            if f.len() < n {
                return Err(format!("a section names {} files where it needs {n}", f.len()));
            }
            Ok(f)
        };
        let numbers = |s: &Value, k: &str| -> std::result::Result<Vec<f64>, String> {
            s.get(k)
                .and_then(Value::as_array)
                .ok_or(format!("no '{k}' list"))?
                .iter()
                .map(|v| v.as_f64().ok_or(format!("'{k}' holds a value that is not a number")))
                .collect()
        };
        let codebook =
            |s: &Value| numbers(s, "codebook").map(|v| v.into_iter().map(|x| x as f32).collect::<Vec<f32>>());
        let count = m.get("count").and_then(Value::as_u64).ok_or("meta.json has no 'count'")?;
        if count == 0 || count > MAX_IMAGE_PIXELS {
            return Err(format!("count {count} is outside 1..{MAX_IMAGE_PIXELS}"));
        }
        let means = section("means")?;
        let bound = |k: &str| -> std::result::Result<[f64; 3], String> {
            let v = numbers(means, k)?;
            v.get(..3).map(|s| [s[0], s[1], s[2]]).ok_or(format!("means.{k} must hold 3 numbers"))
        };
        let mf = files(means, 2)?;
        let (scales, quats, sh0) = (section("scales")?, section("quats")?, section("sh0")?);
        let sh_n = match m.get("shN") {
            None => None,
            Some(s) => {
                let bands = s.get("bands").and_then(Value::as_u64).ok_or("shN has no 'bands'")?;
                if !(1..=3).contains(&bands) {
                    return Err(format!("shN has {bands} bands (1 to 3)"));
                }
                let f = files(s, 2)?;
                let palette = s.get("count").and_then(Value::as_u64).ok_or("shN has no 'count'")?;
                Some((bands, palette, codebook(s)?, [f[0], f[1]]))
            }
        };
        Ok(Meta {
            count: count as usize,
            mins: bound("mins")?,
            maxs: bound("maxs")?,
            means: [mf[0], mf[1]],
            scales: (codebook(scales)?, files(scales, 1)?[0]),
            quats: files(quats, 1)?[0],
            sh0: (codebook(sh0)?, files(sh0, 1)?[0]),
            degree: sh_n.as_ref().map_or(0, |s| s.0 as u32),
            sh_n: sh_n.map(|(_, p, c, f)| (p, c, f)),
        })
    }
}

fn decode(m: &Meta, files: &mut Files, splats: &mut Splats) -> std::result::Result<(), String> {
    let n = m.count;
    let (lo, _) = files.image(m.means[0], n as u64)?;
    let (hi, _) = files.image(m.means[1], n as u64)?;
    let (quats, _) = files.image(m.quats, n as u64)?;
    let (scales, _) = files.image(m.scales.1, n as u64)?;
    let (sh0, _) = files.image(m.sh0.1, n as u64)?;
    let coefficients = [0, 3, 8, 15][m.degree as usize];
    let sh_n = match &m.sh_n {
        Some((palette, codebook, [centroids, labels])) => {
            let (c, width) = files.image(centroids, 0)?;
            if width != 64 * coefficients {
                return Err(format!(
                    "'{}' is {width} wide where {} bands need {}",
                    printable(centroids),
                    m.degree,
                    64 * coefficients
                ));
            }
            let (l, _) = files.image(labels, n as u64)?;
            Some((*palette, codebook, c, width, l))
        }
        None => None,
    };
    // A codebook index past its end reads as NaN (the reference's `undefined` in a
    // Float32Array), so such a splat is dropped as non-finite.
    let book = |b: &[f32], i: u8| b.get(i as usize).copied().unwrap_or(f32::NAN);
    let mut coeffs = vec![[0.0f32; 3]; 1 + coefficients];
    for i in 0..n {
        let o = 4 * i;
        let position = Vec3::from_array(std::array::from_fn(|c| {
            let q = (lo[o + c] as u16 | (hi[o + c] as u16) << 8) as f64 / 65535.0;
            let range = m.maxs[c] - m.mins[c];
            let v = m.mins[c] + if range == 0.0 { 1.0 } else { range } * q;
            (v.signum() * (v.abs().exp() - 1.0)) as f32
        }));
        let scale = Vec3::from_array(std::array::from_fn(|c| (book(&m.scales.0, scales[o + c]) as f64).exp() as f32));
        coeffs[0] = std::array::from_fn(|c| book(&m.sh0.0, sh0[o + c]));
        let alpha = (sh0[o + 3] as f64 / 255.0).clamp(1e-6, 1.0 - 1e-6);
        let logit = (alpha / (1.0 - alpha)).ln() as f32;
        for c in coeffs[1..].iter_mut() {
            *c = [0.0; 3];
        }
        if let Some((palette, codebook, centroids, width, labels)) = &sh_n {
            let label = labels[o] as u64 | (labels[o + 1] as u64) << 8;
            if label < *palette {
                for (j, coeff) in coeffs[1..].iter_mut().enumerate() {
                    let (x, y) = ((label % 64) as usize * coefficients + j, (label / 64) as usize);
                    let at = (y * width + x) * 4;
                    if let Some(px) = centroids.get(at..at + 3) {
                        *coeff = std::array::from_fn(|c| codebook.get(px[c] as usize).copied().unwrap_or(0.0));
                    }
                }
            }
        }
        let prim = Primitive {
            position,
            rotation: Vec4::from_array(rotation(&quats[o..o + 4])),
            scale,
            opacity: sigmoid(logit as f64) as f32,
            ..Primitive::default()
        };
        splats.push(prim, &coeffs);
    }
    Ok(())
}

/// w, x, y, z from three 8-bit components in [-√½, √½] and the largest's index (252 + i) in
/// alpha; another alpha is the identity.
fn rotation(p: &[u8]) -> [f32; 4] {
    let Some(largest) = p[3].checked_sub(252).map(usize::from) else {
        return [1.0, 0.0, 0.0, 0.0];
    };
    let mut q = [0.0f64; 4];
    let others = (0..4).filter(|&k| k != largest);
    for (k, b) in others.zip(&p[..3]) {
        q[k] = (*b as f64 / 255.0 * 2.0 - 1.0) / std::f64::consts::SQRT_2;
    }
    q[largest] = (1.0 - q.iter().map(|v| v * v).sum::<f64>()).max(0.0).sqrt();
    q.map(|v| v as f32)
}
