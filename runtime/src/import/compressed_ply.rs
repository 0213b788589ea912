//! PlayCanvas / SuperSplat compressed PLY (`.compressed.ply`), exact to splat-transform's
//! `decompress-ply`: a `chunk` element with per-256-splat bounds (position, log-scale and
//! optionally colour), a `vertex` element of four packed u32 (position 11-10-11 and log-scale
//! 11-10-11 within the chunk's bounds, rotation "smallest three" in 2+10+10+10 bits, colour and
//! opacity 8-8-8-8) and an optional `sh` element of 8-bit `f_rest_*`. Axes are the PLY's.
//! Values are decoded in f64 and held in f32, as the reference does.

use glam::{Vec3, Vec4};

use super::ply::{Header, Rows};
use super::{ImportOptions, Input, TRUNCATED};
use crate::asset::format::SourceKind;
use crate::error::{Error, Result};
use crate::math::sigmoid;
use crate::primitive::Primitive;
use crate::splats::Splats;

const CHUNK: usize = 256;
const CHUNK_BOUNDS: [&str; 12] = [
    "min_x",
    "min_y",
    "min_z",
    "max_x",
    "max_y",
    "max_z",
    "min_scale_x",
    "min_scale_y",
    "min_scale_z",
    "max_scale_x",
    "max_scale_y",
    "max_scale_z",
];
const CHUNK_COLOUR: [&str; 6] = ["min_r", "min_g", "min_b", "max_r", "max_g", "max_b"];
const PACKED: [&str; 4] = ["packed_position", "packed_rotation", "packed_scale", "packed_color"];
const SH_C0: f64 = 0.282_094_791_773_878_14;

/// Whether a PLY's elements are the compressed layout's (a `chunk` element and packed vertices).
pub fn detect(elements: &[Header]) -> bool {
    let vertex = elements.iter().find(|e| e.name == "vertex");
    elements.iter().any(|e| e.name == "chunk") && vertex.is_some_and(|v| v.has("packed_position"))
}

pub fn import(input: &mut Input, options: &ImportOptions) -> Result<Splats> {
    let name = input.name;
    let err = |m: String| Error::import(name, m);
    let elements = Header::parse_elements(input.head).map_err(err)?;
    for e in &elements {
        match e.name.as_str() {
            "chunk" | "vertex" | "sh" => e.readable().map_err(err)?,
            other => return Err(err(format!("unexpected element '{other}' in a compressed PLY"))),
        }
    }
    let find = |n: &str| elements.iter().position(|e| e.name == n);
    let (Some(ci), Some(vi)) = (find("chunk"), find("vertex")) else {
        return Err(err("a compressed PLY needs a 'chunk' and a 'vertex' element".into()));
    };
    let (chunk, vertex, sh) = (&elements[ci], &elements[vi], find("sh").map(|i| &elements[i]));
    let float_bounds = chunk.all_of_type("float");
    let colour = match chunk.names.len() {
        12 => false,
        18 => true,
        n => return Err(err(format!("{n} chunk properties (the layout has 12, or 18 with colour bounds)"))),
    };
    let bounds = chunk.columns(&CHUNK_BOUNDS).map_err(err)?;
    let colour_bounds = if colour { chunk.columns(&CHUNK_COLOUR).map_err(err)? } else { Vec::new() };
    if !float_bounds || !vertex.all_of_type("uint") || vertex.names.len() != 4 {
        return Err(err("chunk bounds must be float and the vertex element four uint packed values".into()));
    }
    let packed = vertex.columns(&PACKED).map_err(err)?;
    if vertex.declared.div_ceil(CHUNK as u64) != chunk.declared {
        return Err(err(format!("{} chunks for {} splats (one per {CHUNK})", chunk.declared, vertex.declared)));
    }
    let degree = match sh.map(|s| s.names.len()) {
        None => 0,
        Some(9) => 1,
        Some(24) => 2,
        Some(45) => 3,
        Some(n) => return Err(err(format!("{n} SH properties (9, 24 or 45 for degrees 1 to 3)"))),
    };
    let rest = match sh {
        Some(s) if s.all_of_type("uchar") && s.declared == vertex.declared => s.numbered("f_rest_"),
        Some(_) => return Err(err("the sh element must hold uchar f_rest_* for every splat".into())),
        None => Vec::new(),
    };
    if rest.len() != sh.map_or(0, |s| s.names.len()) {
        return Err(err("the sh element's properties must be f_rest_0, f_rest_1, …".into()));
    }

    // Elements follow each other: read each whole (memory follows the rows really there).
    let mut chunks: Vec<[f64; 18]> = Vec::new();
    let mut packs: Vec<[u32; 4]> = Vec::new();
    let mut sh_rows: Vec<u8> = Vec::new();
    let mut reader = input.from(vertex.len);
    for e in &elements {
        let mut rows = Rows::new(e, &mut reader);
        while let Some(row) = rows.next_row().map_err(err)? {
            match e.name.as_str() {
                "chunk" => chunks.push(std::array::from_fn(|i| match i {
                    0..12 => row[bounds[i]],
                    _ if colour => row[colour_bounds[i - 12]],
                    _ => 0.0,
                })),
                "vertex" => packs.push(std::array::from_fn(|i| row[packed[i]] as u32)),
                _ => sh_rows.extend(rest.iter().map(|&c| row[c] as u8)),
            }
        }
        if rows.missing() > 0 && e.name != "vertex" && e.name != "sh" {
            return Err(err(format!("truncated: the file ends inside the {} element", e.name)));
        }
    }

    let time_range = options.validated_time_range()?.unwrap_or([0.0, 0.0]);
    let mut splats = options.splats(SourceKind::CompressedPly, (degree, 0), time_range, options.frame_rate()?);
    splats.report.source = name.to_string();
    splats.report.read = vertex.declared;
    splats.report.format = format!(
        "compressed PLY: position and log-scale in 11-10-11 bits within 256-splat chunks, smallest-three \
         rotations in 10 bits, 8-bit colour{} and opacity, 8-bit SH",
        if colour { " (within chunk bounds)" } else { "" }
    );
    // A splat is whole once its SH row is read too.
    let whole = if sh.is_some() { packs.len().min(sh_rows.len() / rest.len()) } else { packs.len() };
    splats.report.drop(TRUNCATED, vertex.declared - whole as u64);
    let per_channel = rest.len() / 3;
    let mut coeffs = vec![[0.0f32; 3]; 1 + per_channel];
    for (i, p) in packs[..whole].iter().enumerate() {
        let c = &chunks[i / CHUNK];
        let lerp = |lo: f64, hi: f64, t: f64| lo * (1.0 - t) + hi * t;
        let [pos, rot, scale, col] = *p;
        let pos = unpack_111011(pos);
        let log_scale = unpack_111011(scale);
        let position = Vec3::from_array(std::array::from_fn(|k| lerp(c[k], c[3 + k], pos[k]) as f32));
        let scale = Vec3::from_array(std::array::from_fn(|k| {
            (lerp(c[6 + k], c[9 + k], log_scale[k]) as f32 as f64).exp() as f32
        }));
        let rgba = [24, 16, 8, 0].map(|shift| unorm(col >> shift, 8));
        for k in 0..3 {
            let v = if colour { lerp(c[12 + k], c[15 + k], rgba[k]) } else { rgba[k] };
            coeffs[0][k] = ((v - 0.5) / SH_C0) as f32;
        }
        for (k, coeff) in coeffs[1..].iter_mut().enumerate() {
            *coeff = std::array::from_fn(|ch| {
                let b = sh_rows[i * rest.len() + ch * per_channel + k];
                let n = match b {
                    0 => 0.0,
                    255 => 1.0,
                    b => (b as f64 + 0.5) / 256.0,
                };
                ((n - 0.5) * 8.0) as f32
            });
        }
        let logit = (-(1.0 / rgba[3] - 1.0).ln()) as f32;
        let prim = Primitive {
            position,
            rotation: Vec4::from_array(unpack_rotation(rot)),
            scale,
            opacity: sigmoid(logit as f64) as f32,
            ..Primitive::default()
        };
        splats.push(prim, &coeffs);
    }
    Ok(splats)
}

fn unorm(v: u32, bits: u32) -> f64 {
    let max = (1u32 << bits) - 1;
    (v & max) as f64 / max as f64
}

fn unpack_111011(v: u32) -> [f64; 3] {
    [unorm(v >> 21, 11), unorm(v >> 11, 10), unorm(v, 11)]
}

/// `rot_0..3` (w first): the largest's index in the top 2 bits, the others in 10 bits each as
/// `(q · √2/2… ) + 0.5`, i.e. in [-√½, √½].
fn unpack_rotation(v: u32) -> [f32; 4] {
    let norm = 1.0 / (2f64.sqrt() * 0.5);
    let [a, b, c] = [20, 10, 0].map(|s| (unorm(v >> s, 10) - 0.5) * norm);
    let m = (1.0 - (a * a + b * b + c * c)).max(0.0).sqrt();
    let q = match v >> 30 {
        0 => [m, a, b, c],
        1 => [a, m, b, c],
        2 => [a, b, m, c],
        _ => [a, b, c, m],
    };
    q.map(|x| x as f32)
}
