//! mkkellogg GaussianSplats3D `.ksplat`, exact to splat-transform's `read-ksplat`: a 4096-byte
//! header (version 0.1+, section count, splat count, compression mode 0–2, SH range), a 1024-byte
//! header per section, then per section its partial-bucket sizes, bucket centres and splats.
//! Mode 0 stores f32 positions, scales (linear) and rotations (w first); modes 1 and 2 store
//! positions as u16 offsets from their bucket's centre and the rest in f16, SH in f16 (mode 1)
//! or 8 bits over the header's range (mode 2). Colour and opacity are 8-bit display values.
//! SH is band-major with the channels of each band together. Axes are the PLY's.

use std::io::Read;

use glam::{Vec3, Vec4};
use half::f16;

use super::{ImportOptions, Input};
use crate::asset::format::SourceKind;
use crate::error::{Error, Result};
use crate::math::sigmoid;
use crate::primitive::Primitive;
use crate::splats::Splats;

const MAIN_HEADER: usize = 4096;
const SECTION_HEADER: usize = 1024;
const SH_C0: f64 = 0.282_094_791_773_878_14;
/// SH values per splat (3 channels) for degrees 0..3.
const SH_COMPONENTS: [usize; 4] = [0, 9, 24, 45];

/// Per mode: bytes of centre, scale, rotation, colour and of one SH value, and the default
/// quantisation range.
const MODES: [([usize; 5], u32); 3] = [([12, 12, 16, 4, 4], 1), ([6, 6, 8, 4, 2], 32767), ([6, 6, 8, 4, 1], 32767)];

pub fn detect(name: &str, head: &[u8]) -> bool {
    name.to_ascii_lowercase().ends_with(".ksplat") && head.len() >= 2 && head[0] == 0 && head[1] >= 1
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(b[i..i + 4].try_into().unwrap())
}

fn f32_at(b: &[u8], i: usize) -> f32 {
    f32::from_bits(u32_at(b, i))
}

pub fn import(input: &mut Input, options: &ImportOptions) -> Result<Splats> {
    let name = input.name;
    let err = |m: String| Error::import(name, m);
    let mut file = Vec::new();
    input.from(0).read_to_end(&mut file).map_err(|e| err(format!("reading: {e}")))?;
    if file.len() < MAIN_HEADER {
        return Err(err(format!("{} bytes: shorter than the {MAIN_HEADER}-byte header", file.len())));
    }
    let (major, minor) = (file[0], file[1]);
    if major != 0 || minor < 1 {
        return Err(err(format!("version {major}.{minor} (splat4d reads 0.1 and later 0.x)")));
    }
    let sections = u32_at(&file, 4) as usize;
    let count = u32_at(&file, 16) as u64;
    let mode = u16_at(&file, 20) as usize;
    let ([center_bytes, scale_bytes, rotation_bytes, colour_bytes, sh_bytes], default_range) =
        *MODES.get(mode).ok_or_else(|| err(format!("compression mode {mode} (0, 1 or 2)")))?;
    let or = |v: f32, d: f32| if v == 0.0 || v.is_nan() { d } else { v };
    let (sh_min, sh_max) = (or(f32_at(&file, 36), -1.5) as f64, or(f32_at(&file, 40), 1.5) as f64);
    if count == 0 {
        return Err(err("holds no splats".into()));
    }
    if MAIN_HEADER as u64 + sections as u64 * SECTION_HEADER as u64 > file.len() as u64 {
        return Err(err(format!("{sections} section headers run past the end of the file")));
    }
    let section = |i: usize| &file[MAIN_HEADER + i * SECTION_HEADER..MAIN_HEADER + (i + 1) * SECTION_HEADER];
    let mut degree = 0;
    for i in 0..sections {
        let s = section(i);
        if u32_at(s, 0) > 0 {
            degree = degree.max(u16_at(s, 40) as usize);
        }
    }
    if degree > 3 {
        return Err(err(format!("SH degree {degree} (0 to 3)")));
    }
    let time_range = options.validated_time_range()?.unwrap_or([0.0, 0.0]);
    let mut splats = options.splats(SourceKind::Ksplat, (degree as u32, 0), time_range, options.frame_rate()?);
    splats.report.source = name.to_string();
    splats.report.read = count;
    splats.report.format = match mode {
        0 => "KSPLAT mode 0: f32 positions, scales, rotations and SH, 8-bit colour and opacity".to_string(),
        1 => {
            "KSPLAT mode 1: 16-bit positions in buckets, f16 scales, rotations and SH, 8-bit colour and opacity".into()
        }
        _ => format!(
            "KSPLAT mode 2: 16-bit positions in buckets, f16 scales and rotations, 8-bit SH in [{sh_min}, {sh_max}], \
             8-bit colour and opacity"
        ),
    };

    let mut at = MAIN_HEADER as u64 + sections as u64 * SECTION_HEADER as u64;
    let mut decoded = 0u64;
    let mut coeffs = vec![[0.0f32; 3]; crate::sh::coeffs_for_degree(degree as u32)];
    for index in 0..sections {
        let s = section(index);
        let n = u32_at(s, 0) as u64;
        let capacity = u32_at(s, 4) as u64;
        let bucket_capacity = u32_at(s, 8) as u64;
        let bucket_count = u32_at(s, 12) as u64;
        let block = f32_at(s, 16) as f64;
        let bucket_storage = u16_at(s, 20) as u64;
        let range = match u32_at(s, 24) {
            0 => default_range,
            r => r,
        } as f64;
        let (full, partial) = (u32_at(s, 32) as u64, u32_at(s, 36) as u64);
        let section_degree = u16_at(s, 40) as usize;
        let components = *SH_COMPONENTS
            .get(section_degree)
            .ok_or_else(|| err(format!("section {index}: SH degree {section_degree}")))?;
        let per_splat = (center_bytes + scale_bytes + rotation_bytes + colour_bytes + components * sh_bytes) as u64;
        let buckets = bucket_storage * bucket_count + partial * 4;
        let data = per_splat * capacity;
        let end = at + buckets + data;
        if n > capacity || end > file.len() as u64 {
            return Err(err(format!("section {index} ({n} splats) runs past the end of the file")));
        }
        let partial_sizes = &file[at as usize..(at + partial * 4) as usize];
        let centres_at = (at + partial * 4) as usize;
        let centres = file
            .get(centres_at..centres_at + bucket_count as usize * 12)
            .ok_or_else(|| err(format!("section {index}: bucket centres run past the end of the file")))?;
        let splat_data = &file[(at + buckets) as usize..end as usize];
        let position_scale = block / 2.0 / range;
        let full_splats = full * bucket_capacity;
        let (mut partial_bucket, mut partial_base) = (full, full_splats);
        for i in 0..n {
            let bucket = if i < full_splats {
                i / bucket_capacity
            } else {
                // The reference moves to the next partial bucket once this one is used up (and
                // stays where the sizes list ends).
                let k = (partial_bucket - full) as usize;
                if let Some(size) = partial_sizes.get(4 * k..4 * k + 4).map(|b| u32_at(b, 0) as u64) {
                    if i >= partial_base + size {
                        partial_bucket += 1;
                        partial_base += size;
                    }
                }
                partial_bucket
            };
            let r = &splat_data[(i * per_splat) as usize..((i + 1) * per_splat) as usize];
            let half = |o: usize| f16::from_bits(u16_at(r, o)).to_f32();
            let centre = |c: usize| -> f64 {
                let at = bucket as usize * 12 + 4 * c;
                centres.get(at..at + 4).map_or(f64::NAN, |b| f32_at(b, 0) as f64)
            };
            let position = Vec3::from_array(std::array::from_fn(|c| match mode {
                0 => f32_at(r, 4 * c),
                _ => ((u16_at(r, 2 * c) as f64 - range) * position_scale + centre(c)) as f32,
            }));
            let so = center_bytes;
            let linear_scale = |c: usize| if mode == 0 { f32_at(r, so + 4 * c) } else { half(so + 2 * c) };
            let scale = Vec3::from_array(std::array::from_fn(|c| {
                let s = linear_scale(c);
                let log = if s > 0.0 { (s as f64).ln() as f32 } else { -10.0 };
                (log as f64).exp() as f32
            }));
            let ro = so + scale_bytes;
            let rotation =
                Vec4::from_array(std::array::from_fn(
                    |c| if mode == 0 { f32_at(r, ro + 4 * c) } else { half(ro + 2 * c) },
                ));
            let co = ro + rotation_bytes;
            coeffs[0] = std::array::from_fn(|c| ((r[co + c] as f64 / 255.0 - 0.5) / SH_C0) as f32);
            let alpha = (r[co + 3] as f64 / 255.0).clamp(1e-6, 1.0 - 1e-6);
            let logit = (alpha / (1.0 - alpha)).ln() as f32;
            for c in coeffs[1..].iter_mut() {
                *c = [0.0; 3];
            }
            let ho = co + colour_bytes;
            for k in 0..components {
                let (channel, coeff) = match k {
                    0..9 => (k / 3, k % 3),
                    9..24 => ((k - 9) / 5, (k - 9) % 5 + 3),
                    _ => ((k - 24) / 7, (k - 24) % 7 + 8),
                };
                coeffs[1 + coeff][channel] = match mode {
                    0 => f32_at(r, ho + 4 * k),
                    1 => half(ho + 2 * k),
                    _ => (sh_min + r[ho + k] as f64 / 255.0 * (sh_max - sh_min)) as f32,
                };
            }
            let prim =
                Primitive { position, rotation, scale, opacity: sigmoid(logit as f64) as f32, ..Primitive::default() };
            splats.push(prim, &coeffs);
        }
        decoded += n;
        at = end;
    }
    if decoded != count {
        return Err(err(format!("the sections hold {decoded} splats, the header says {count}")));
    }
    Ok(splats)
}
