//! The antimatter15 `.splat` layout: 32 bytes per splat, no header: position f32×3, scale
//! f32×3 (activated), RGBA u8 (display colour, alpha = opacity), rotation u8×4 (w first,
//! `(q·128) + 128`).

use glam::{Vec3, Vec4};

use super::{read_record, ImportOptions, Input, TRUNCATED};
use crate::asset::format::SourceKind;
use crate::error::{Error, Result};
use crate::primitive::Primitive;
use crate::sh::dc_from_rgb;
use crate::splats::Splats;

const RECORD: usize = 32;

pub fn import(input: &mut Input, options: &ImportOptions) -> Result<Splats> {
    let time_range = options.validated_time_range()?.unwrap_or([0.0, 0.0]);
    let mut splats = options.splats(SourceKind::DotSplat, (0, 0), time_range, options.frame_rate()?);
    splats.report.source = input.name.to_string();
    splats.report.format = ".splat: f32 positions and scales, 8-bit colour, opacity and rotations".into();
    let name = input.name;
    let mut reader = input.from(0);
    let mut r = [0u8; RECORD];
    loop {
        let got = read_record(&mut reader, &mut r)
            .map_err(|e| Error::import(name, format!("reading record {}: {e}", splats.report.read)))?;
        if got == 0 {
            break;
        }
        splats.report.read += 1;
        if got < RECORD {
            splats.report.drop(TRUNCATED, 1);
            break;
        }
        let f = |i: usize| f32::from_le_bytes(r[4 * i..4 * i + 4].try_into().unwrap());
        let unorm = |b: u8| b as f32 / 255.0;
        let snorm = |b: u8| (b as f32 - 128.0) / 128.0;
        let p = Primitive {
            position: Vec3::new(f(0), f(1), f(2)),
            scale: Vec3::new(f(3), f(4), f(5)),
            opacity: unorm(r[27]),
            rotation: Vec4::new(snorm(r[28]), snorm(r[29]), snorm(r[30]), snorm(r[31])),
            ..Primitive::default()
        };
        let rgb = [dc_from_rgb(unorm(r[24])), dc_from_rgb(unorm(r[25])), dc_from_rgb(unorm(r[26]))];
        splats.push(p, &[rgb]);
    }
    Ok(splats)
}
