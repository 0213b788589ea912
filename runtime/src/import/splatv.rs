//! SpacetimeGaussians `.splatv`, as packed by the splaTV viewer (layout in
//! `shared/assets/README.md`): u32 magic, u32 JSON length, a JSON header with the data size
//! and the training cameras, then 64 bytes per splat with cubic motion, rotation velocity and
//! a temporal RBF `exp(-(dt/s)²)`; the viewer skips a splat whose RBF is below 0.02.

use glam::{Vec3, Vec4};
use half::f16;
use serde_json::Value;

use std::io::Read;

use super::{read_record, window_around, ImportOptions, Input, TRUNCATED};
use crate::asset::format::SourceKind;
use crate::camera::camera_from_json;
use crate::error::{Error, Result};
use crate::primitive::{envelope_half_width, Primitive};
use crate::sh::dc_from_rgb;
use crate::splats::Splats;

pub const MAGIC: u32 = 0x674b;
const RECORD: usize = 64;
/// The splaTV viewer's temporal cut-off.
const CUTOFF: f64 = 0.02;

pub fn import(input: &mut Input, options: &ImportOptions) -> Result<Splats> {
    let name = input.name;
    let err = |m: String| Error::import(name, m);
    if input.head.len() < 8 {
        return Err(err("shorter than the 8-byte .splatv header".into()));
    }
    let json_len = u32::from_le_bytes(input.head[4..8].try_into().unwrap()) as u64;
    let mut reader = input.from(8);
    // The declared length only bounds the read: memory follows the bytes really there.
    let mut json = Vec::new();
    (&mut reader).take(json_len).read_to_end(&mut json).map_err(|e| err(format!("reading the JSON header: {e}")))?;
    if (json.len() as u64) < json_len {
        return Err(err(format!(
            "JSON header of {json_len} bytes runs past the end of the file ({} bytes follow the 8-byte header)",
            json.len()
        )));
    }
    let header: Value = serde_json::from_slice(&json).map_err(|e| err(format!("JSON header: {e}")))?;
    drop(json);
    let entry = header
        .as_array()
        .and_then(|a| a.iter().find(|e| e.get("type").and_then(Value::as_str) == Some("splat")))
        .ok_or_else(|| err("JSON header has no {\"type\": \"splat\"} entry".into()))?;
    let declared_bytes = entry.get("size").and_then(Value::as_u64).ok_or_else(|| err("header has no 'size'".into()))?;
    if declared_bytes % RECORD as u64 != 0 {
        return Err(err(format!("declared size {declared_bytes} is not a multiple of {RECORD}")));
    }
    let declared = declared_bytes / RECORD as u64;

    let time_range = match options.validated_time_range()? {
        Some(r) if r != [0.0, 1.0] => return Err(err(format!("time runs over [0, 1] in .splatv, not {r:?}"))),
        _ => [0.0, 1.0],
    };
    let mut splats = options.splats(SourceKind::Splatv, (0, 0), time_range, options.frame_rate()?);
    splats.report.source = name.to_string();
    splats.report.format =
        ".splatv: f32 positions, f16 rotations, scales, motion and time, 8-bit colour and opacity".into();
    if options.frame_rate.is_none() {
        splats.report.notes.push(format!("no frame rate in .splatv; assumed {} fps over [0, 1]", splats.frame_rate));
    }
    if let Some(cams) = entry.get("cameras").and_then(Value::as_array) {
        for (i, c) in cams.iter().enumerate() {
            match camera_from_json(c) {
                Ok(cam) => splats.cameras.push(cam),
                Err(e) => splats.report.notes.push(format!("camera {i} skipped: {e}")),
            }
        }
    }
    drop(header);

    let mut padding = 0u64;
    let mut static_rbf = 0u64;
    let mut present = 0u64;
    let mut record = [0u8; RECORD];
    while present < declared {
        let got = read_record(&mut reader, &mut record).map_err(|e| err(format!("reading record {present}: {e}")))?;
        if got < RECORD {
            break;
        }
        present += 1;
        let r = &record;
        if r.iter().all(|&b| b == 0) {
            padding += 1;
            continue;
        }
        let word = |i: usize| &r[4 * i..4 * i + 4];
        let f = |i: usize| f32::from_le_bytes(word(i).try_into().unwrap());
        let h = |i: usize, half: usize| {
            let w = word(i);
            f16::from_le_bytes([w[2 * half], w[2 * half + 1]]).to_f32()
        };
        let m = |k: usize| h(8 + k / 2, k % 2);
        let rgba = word(7);
        let (center, rbf) = (h(15, 0), h(15, 1));
        let sigma_t = rbf as f64 / std::f64::consts::SQRT_2;
        let half_width = envelope_half_width(sigma_t, CUTOFF);
        if rbf == f32::INFINITY {
            static_rbf += 1;
        }
        let p = Primitive {
            position: Vec3::new(f(0), f(1), f(2)),
            t0: center,
            sigma_t: sigma_t as f32,
            window: window_around(center as f64 - half_width, center as f64 + half_width),
            motion: [Vec3::new(m(0), m(1), m(2)), Vec3::new(m(3), m(4), m(5)), Vec3::new(m(6), m(7), m(8))],
            rotation: Vec4::new(h(3, 0), h(3, 1), h(4, 0), h(4, 1)),
            omega: Vec4::new(h(13, 0), h(13, 1), h(14, 0), h(14, 1)),
            scale: Vec3::new(h(5, 0), h(5, 1), h(6, 0)),
            opacity: rgba[3] as f32 / 255.0,
        };
        let rgb = std::array::from_fn(|c| dc_from_rgb(rgba[c] as f32 / 255.0));
        splats.push(p, &[rgb]);
    }
    splats.report.drop(TRUNCATED, declared - present);
    // The viewer's texture is padded to whole rows: those are not splats.
    splats.report.read = declared - padding;
    if padding > 0 {
        splats.report.notes.push(format!("{padding} all-zero padding records (texture row fill) skipped"));
    }
    if static_rbf > 0 {
        splats.report.notes.push(format!(
            "{static_rbf} splats have an infinite temporal scale and are visible at every time, as in the viewer"
        ));
    }
    Ok(splats)
}
