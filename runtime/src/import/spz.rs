//! Niantic SPZ (versions 1–4), exact to Niantic's reference loader (`load-spz.cc`):
//! - versions 1–3: one gzip stream holding a 16-byte header (magic `NGSP`, version, count, SH
//!   degree, fractional bits, flags) and then the attributes planar, each for every splat:
//!   positions, alphas, colours, scales, rotations, SH;
//! - version 4: a 32-byte plain header, optional extension records, a table of contents, and
//!   one zstd stream per attribute in that order.
//!
//! Positions are 24-bit fixed point (f16 in version 1); alpha is `sigmoid(opacity)` in 8 bits;
//! colours are the SH DC coefficient as `dc · 0.15 + 0.5` in 8 bits; scales are `log(s)` as
//! `(log s + 10) · 16`; rotations are x, y, z of a unit quaternion with w ≥ 0 in 8 bits
//! (versions 1, 2) or "smallest three" in 10 bits each (3, 4); SH coefficients are 8-bit
//! `v · 128 + 128`, coefficient-major with RGB interleaved. Axes are right-up-back unless the
//! Adobe coordinate-system extension says otherwise.

use std::io::Read;

use glam::{Vec3, Vec4};
use half::f16;

use super::axes::Flip;
use super::{ImportOptions, Input};
use crate::asset::format::SourceKind;
use crate::error::{Error, Result};
use crate::primitive::Primitive;
use crate::splats::Splats;

pub const MAGIC: u32 = 0x5053_474e; // "NGSP"
const GZIP: [u8; 2] = [0x1f, 0x8b];
const LATEST: u32 = 4;
const FLAG_ANTIALIASED: u8 = 1;
const FLAG_EXTENSIONS: u8 = 2;
const EXT_COORDINATE_SYSTEM: u32 = 0xADBE_0003;
/// SPZ's DC colour scale (`colorScale` in the reference).
const COLOR_SCALE: f32 = 0.15;
/// The reference refuses counts above i32::MAX.
const MAX_POINTS: u32 = i32::MAX as u32;
/// Degree 4 exists in SPZ; splat4d draws up to 3.
const MAX_DEGREE: u8 = 3;

/// Whether `head` starts an SPZ file: a gzip stream (legacy, checked when decoded) or NGSP.
pub fn detect(name: &str, head: &[u8]) -> bool {
    head.starts_with(&MAGIC.to_le_bytes()) || (head.starts_with(&GZIP) && name.to_ascii_lowercase().ends_with(".spz"))
}

struct Header {
    version: u32,
    count: u32,
    degree: u8,
    fractional_bits: u8,
    flags: u8,
}

impl Header {
    fn parse(b: &[u8]) -> std::result::Result<Header, String> {
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
        if b.len() < 16 || u32_at(0) != MAGIC {
            return Err("no SPZ header (magic NGSP)".into());
        }
        let h = Header { version: u32_at(4), count: u32_at(8), degree: b[12], fractional_bits: b[13], flags: b[14] };
        if h.version == 0 || h.version > LATEST {
            return Err(format!("SPZ version {} is not one of 1..{LATEST}", h.version));
        }
        if h.count == 0 || h.count > MAX_POINTS {
            return Err(format!("invalid point count {}", h.count));
        }
        if h.degree > MAX_DEGREE {
            return Err(format!("SH degree {} (splat4d draws degrees 0..{MAX_DEGREE})", h.degree));
        }
        if h.fractional_bits > 23 {
            return Err(format!("{} fractional bits for 24-bit positions", h.fractional_bits));
        }
        Ok(h)
    }

    fn describe(&self, gzip: bool) -> String {
        let position = match self.version {
            1 => "f16 positions".to_string(),
            _ => format!("24-bit fixed-point positions (steps of 1/{})", 1u32 << self.fractional_bits),
        };
        let rotation = if self.version >= 3 { "smallest-three rotations in 10 bits" } else { "8-bit rotations" };
        format!(
            "SPZ v{} ({}): {position}, {rotation}, 8-bit colour, opacity, log-scales and SH",
            self.version,
            if gzip { "gzip" } else { "zstd" }
        )
    }

    fn sh_per_point(&self) -> u64 {
        [0, 3, 8, 15][self.degree as usize] * 3
    }

    /// Bytes per point of each attribute, in stored order.
    fn sizes(&self) -> [u64; 6] {
        let position = if self.version == 1 { 6 } else { 9 };
        let rotation = if self.version >= 3 { 4 } else { 3 };
        [position, 1, 3, 3, rotation, self.sh_per_point()]
    }
}

pub fn import(input: &mut Input, options: &ImportOptions) -> Result<Splats> {
    let name = input.name;
    let err = |m: String| Error::import(name, m);
    let (header, data, flip) =
        if input.head.starts_with(&GZIP) { read_gzip(input).map_err(err)? } else { read_ngsp(input).map_err(err)? };
    let time_range = options.validated_time_range()?.unwrap_or([0.0, 0.0]);
    let mut splats = options.splats(SourceKind::Spz, (header.degree as u32, 0), time_range, options.frame_rate()?);
    splats.report.source = name.to_string();
    splats.report.read = header.count as u64;
    splats.report.format = header.describe(input.head.starts_with(&GZIP));
    // Its trainer says so: drawn with the compensation the model was trained with.
    splats.antialiased = header.flags & FLAG_ANTIALIASED != 0;
    decode(&header, &data, flip, &mut splats);
    Ok(splats)
}

/// Versions 1–3: header and attributes in one gzip stream. Memory follows the bytes the
/// stream really holds, never the count the header claims.
fn read_gzip(input: &mut Input) -> std::result::Result<(Header, [Vec<u8>; 6], Flip), String> {
    let mut stream = flate2::bufread::GzDecoder::new(input.from(0));
    let mut head = [0u8; 16];
    stream.read_exact(&mut head).map_err(|e| format!("gzip stream: {e}"))?;
    let header = Header::parse(&head)?;
    if header.version == LATEST {
        return Err("a gzip stream holding an SPZ version 4 header (version 4 is not gzipped)".into());
    }
    let data = read_planes(&header, |i, want, out| {
        (&mut stream).take(want).read_to_end(out).map_err(|e| format!("gzip stream, attribute {i}: {e}"))?;
        Ok(())
    })?;
    let mut flip = Flip::FROM_RUB;
    if header.flags & FLAG_EXTENSIONS != 0 {
        let mut records = Vec::new();
        (&mut stream).take(1 << 20).read_to_end(&mut records).map_err(|e| format!("gzip stream, extensions: {e}"))?;
        flip = extensions(&records)?;
    }
    Ok((header, data, flip))
}

/// Version 4: a plain header, extensions and table of contents, then zstd streams.
fn read_ngsp(input: &mut Input) -> std::result::Result<(Header, [Vec<u8>; 6], Flip), String> {
    let head = input.head;
    if head.len() < 32 {
        return Err("shorter than the 32-byte SPZ header".into());
    }
    let header = Header::parse(&head[..16])?;
    if header.version != LATEST {
        return Err(format!("an uncompressed SPZ header of version {} (only version 4 is stored so)", header.version));
    }
    let streams = head[15] as usize;
    let toc_at = u32::from_le_bytes(head[16..20].try_into().unwrap()) as usize;
    let toc_end = toc_at + streams * 16;
    if toc_at < 32 || toc_end > head.len() {
        return Err(format!("table of contents at byte {toc_at} is outside the file's header zone"));
    }
    let flip = if header.flags & FLAG_EXTENSIONS != 0 { extensions(&head[32..toc_at])? } else { Flip::FROM_RUB };
    let toc: Vec<(u64, u64)> = (0..streams)
        .map(|i| {
            let e = toc_at + i * 16;
            let u = |o: usize| u64::from_le_bytes(head[e + o..e + o + 8].try_into().unwrap());
            (u(0), u(8))
        })
        .collect();
    // Streams are the non-empty attributes, in order.
    let sizes = header.sizes();
    let present: Vec<usize> = (0..6).filter(|&i| sizes[i] > 0).collect();
    if toc.len() != present.len() {
        return Err(format!("{} streams for {} attributes", toc.len(), present.len()));
    }
    let mut rest = input.from(toc_end);
    let mut next = 0;
    let data = read_planes(&header, |i, want, out| {
        let (compressed, uncompressed) = toc[next];
        debug_assert_eq!(present[next], i);
        next += 1;
        if uncompressed != want {
            return Err(format!("attribute {i}: {uncompressed} bytes where {want} belong"));
        }
        let mut raw = (&mut rest).take(compressed);
        let mut decoder =
            ruzstd::StreamingDecoder::new(&mut raw).map_err(|e| format!("attribute {i}: zstd stream: {e}"))?;
        (&mut decoder).take(want).read_to_end(out).map_err(|e| format!("attribute {i}: zstd stream: {e}"))?;
        drop(decoder);
        // Whatever of the stream's bytes the frame left is skipped: the next stream starts after.
        std::io::copy(&mut raw, &mut std::io::sink()).map_err(|e| format!("attribute {i}: {e}"))?;
        Ok(())
    })?;
    Ok((header, data, flip))
}

/// The six attribute planes, each read by `read(index, bytes, out)`; an error where one is
/// shorter than the header's count makes it.
fn read_planes(
    header: &Header,
    mut read: impl FnMut(usize, u64, &mut Vec<u8>) -> std::result::Result<(), String>,
) -> std::result::Result<[Vec<u8>; 6], String> {
    let names = ["positions", "alphas", "colours", "scales", "rotations", "SH"];
    let mut planes: [Vec<u8>; 6] = Default::default();
    for (i, per_point) in header.sizes().into_iter().enumerate() {
        if per_point == 0 {
            continue;
        }
        let want = per_point * header.count as u64;
        read(i, want, &mut planes[i])?;
        if (planes[i].len() as u64) < want {
            return Err(format!(
                "truncated: the {} of {} points end after {} of {want} bytes",
                names[i],
                header.count,
                planes[i].len()
            ));
        }
    }
    Ok(planes)
}

/// The axes the extension records give (the Adobe coordinate-system one; others do not change
/// the splats).
fn extensions(mut records: &[u8]) -> std::result::Result<Flip, String> {
    let mut flip = Flip::FROM_RUB;
    while records.len() >= 8 {
        let ty = u32::from_le_bytes(records[..4].try_into().unwrap());
        let len = u32::from_le_bytes(records[4..8].try_into().unwrap()) as usize;
        let payload = records.get(8..8 + len).ok_or("an extension record runs past its block")?;
        if ty == EXT_COORDINATE_SYSTEM {
            let code = payload.get(..4).map(|b| u32::from_le_bytes(b.try_into().unwrap()));
            // The reference's enum: 0 unspecified (right-up-back), 1..8 the flips of
            // LDB RDB LUB RUB LDF RDF LUF RUF; 9..16 put z up and are not flips.
            const NAMES: [&str; 8] = ["LDB", "RDB", "LUB", "RUB", "LDF", "RDF", "LUF", "RUF"];
            flip = match code {
                Some(0) => Flip::FROM_RUB,
                Some(c @ 1..=8) => Flip::from_letters(NAMES[c as usize - 1]).unwrap(),
                Some(c) => return Err(format!("coordinate system {c} (z-up axes are not supported)")),
                None => return Err("a coordinate-system extension without its value".into()),
            };
        }
        records = &records[8 + len..];
    }
    Ok(flip)
}

fn decode(header: &Header, planes: &[Vec<u8>; 6], flip: Flip, splats: &mut Splats) {
    let [positions, alphas, colors, scales, rotations, sh] = planes;
    let sizes = header.sizes();
    let sh_dim = header.sh_per_point() as usize / 3;
    let fixed = 1.0 / (1u32 << header.fractional_bits) as f32;
    let mut coeffs = vec![[0.0f32; 3]; 1 + sh_dim];
    for i in 0..header.count as usize {
        let p = &positions[i * sizes[0] as usize..];
        let position = Vec3::from_array(std::array::from_fn(|c| {
            if header.version == 1 {
                f16::from_le_bytes([p[2 * c], p[2 * c + 1]]).to_f32()
            } else {
                // 24-bit two's complement: shift into the top of an i32, then back.
                let v = (p[3 * c] as i32) << 8 | (p[3 * c + 1] as i32) << 16 | (p[3 * c + 2] as i32) << 24;
                (v >> 8) as f32 * fixed
            }
        }));
        let r = &rotations[i * sizes[4] as usize..];
        let xyzw = if header.version >= 3 { smallest_three(r) } else { first_three(r) };
        let rotation = flip.rotation(Vec4::new(xyzw[3], xyzw[0], xyzw[1], xyzw[2]));
        let log_scale = |c: usize| scales[3 * i + c] as f32 / 16.0 - 10.0;
        coeffs[0] = std::array::from_fn(|c| (colors[3 * i + c] as f32 / 255.0 - 0.5) / COLOR_SCALE);
        for (k, coeff) in coeffs[1..].iter_mut().enumerate() {
            *coeff = std::array::from_fn(|c| (sh[(i * sh_dim + k) * 3 + c] as f32 - 128.0) / 128.0);
        }
        flip.sh(&mut coeffs);
        let prim = Primitive {
            position: flip.position(position),
            rotation,
            scale: Vec3::new(log_scale(0).exp(), log_scale(1).exp(), log_scale(2).exp()),
            // The reference stores logit(a/255); its sigmoid is a/255 again.
            opacity: alphas[i] as f32 / 255.0,
            ..Primitive::default()
        };
        splats.push(prim, &coeffs);
    }
}

/// Versions 1–2: x, y, z in 8 bits each, w ≥ 0 from the unit length.
fn first_three(r: &[u8]) -> [f32; 4] {
    let [x, y, z] = [r[0], r[1], r[2]].map(|b| b as f32 / 127.5 - 1.0);
    [x, y, z, (1.0 - (x * x + y * y + z * z)).max(0.0).sqrt()]
}

/// Versions 3–4: the largest component's index in the top 2 bits, then the other three (from
/// the last) as a sign bit and a 9-bit magnitude in units of `√½ / 511`.
fn smallest_three(r: &[u8]) -> [f32; 4] {
    const SQRT1_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
    let mut comp = u32::from_le_bytes([r[0], r[1], r[2], r[3]]);
    let largest = (comp >> 30) as usize;
    let mut q = [0.0f32; 4];
    let mut sum = 0.0;
    for i in (0..4).rev().filter(|&i| i != largest) {
        let magnitude = SQRT1_2 * (comp & 511) as f32 / 511.0;
        q[i] = if (comp >> 9) & 1 == 1 { -magnitude } else { magnitude };
        comp >>= 10;
        sum += q[i] * q[i];
    }
    q[largest] = (1.0 - sum).sqrt();
    q
}
