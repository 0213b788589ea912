//! Importers: each reads one trainer's output and reproduces its math exactly, producing
//! [`Splats`] of runtime primitives (DESIGN §2). Bad records are dropped and counted through
//! [`Splats::push`]; bad files are errors that name the file and the problem.

mod dotsplat;
mod fourdgs;
mod inria;
pub mod ply;
mod sequence;
mod splatv;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::splats::Splats;

/// What a source file does not say and the user may.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Asset time range, for 4DGS PLYs without a `time_range` comment and for sequences.
    pub time_range: Option<[f32; 2]>,
    /// Frames per second: per-frame sequences, and the segment length of every asset.
    pub frame_rate: Option<f32>,
}

/// Frame rate assumed when neither the source nor the user gives one (N3V and most captures).
pub const DEFAULT_FRAME_RATE: f32 = 30.0;

impl ImportOptions {
    fn frame_rate(&self) -> Result<f32> {
        let f = self.frame_rate.unwrap_or(DEFAULT_FRAME_RATE);
        if f.is_finite() && f > 0.0 && f <= 10_000.0 {
            Ok(f)
        } else {
            Err(Error::InvalidArgument(format!("frame rate {f} is outside (0, 10000]")))
        }
    }

    fn validated_time_range(&self) -> Result<Option<[f32; 2]>> {
        match self.time_range {
            Some([a, b]) if !(a.is_finite() && b.is_finite() && a < b) => {
                Err(Error::InvalidArgument(format!("time range {a},{b} must be finite with start < end")))
            }
            r => Ok(r),
        }
    }
}

/// The kinds of source this module reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceFormat {
    FourDgsPly,
    InriaPly,
    Splatv,
    DotSplat,
}

/// Recognises a source by its first bytes (and, for headerless `.splat`, its name).
pub fn detect(name: &str, bytes: &[u8]) -> Option<SourceFormat> {
    if bytes.starts_with(b"ply") {
        let header = &bytes[..bytes.len().min(1 << 20)];
        let has = |p: &str| header.windows(p.len()).any(|w| w == p.as_bytes());
        return Some(if has(" t\n") && has(" scale_t\n") { SourceFormat::FourDgsPly } else { SourceFormat::InriaPly });
    }
    if bytes.len() >= 4 && u32::from_le_bytes(bytes[..4].try_into().unwrap()) == splatv::MAGIC {
        return Some(SourceFormat::Splatv);
    }
    name.to_ascii_lowercase().ends_with(".splat").then_some(SourceFormat::DotSplat)
}

/// Imports one source held in memory; `name` is used in messages and for format detection.
pub fn import_bytes(name: &str, bytes: &[u8], options: &ImportOptions) -> Result<Splats> {
    match detect(name, bytes) {
        Some(format) => import_as(format, name, bytes, options),
        None if bytes.starts_with(&crate::asset::format::MAGIC) => {
            Err(Error::import(name, "is already a packed .s4d asset"))
        }
        None => Err(Error::import(name, "unrecognised format (expected a 3DGS/4DGS PLY, a .splatv or a .splat file)")),
    }
}

/// Imports bytes as the given format, whatever they look like.
pub fn import_as(format: SourceFormat, name: &str, bytes: &[u8], options: &ImportOptions) -> Result<Splats> {
    let splats = match format {
        SourceFormat::FourDgsPly => fourdgs::import(name, bytes, options),
        SourceFormat::InriaPly => inria::import(name, bytes, options),
        SourceFormat::Splatv => splatv::import(name, bytes, options),
        SourceFormat::DotSplat => dotsplat::import(name, bytes, options),
    }?;
    if splats.is_empty() {
        return Err(Error::import(name, format!("no usable primitives ({})", splats.report)));
    }
    Ok(splats)
}

/// Imports what the user named: one file, a folder of per-frame PLYs, a glob pattern, or
/// several PLY files (a per-frame sequence in the given order).
pub fn import_paths(inputs: &[PathBuf], options: &ImportOptions) -> Result<Splats> {
    match inputs {
        [] => Err(Error::InvalidArgument("no input given".into())),
        [one] if one.is_dir() => sequence::import(&sequence::frames_in_dir(one)?, options),
        [one] if !one.exists() && is_glob(one) => sequence::import(&sequence::frames_matching(one)?, options),
        [one] => {
            let bytes = read(one)?;
            import_bytes(&one.display().to_string(), &bytes, options)
        }
        many => sequence::import(many, options),
    }
}

fn is_glob(p: &Path) -> bool {
    p.to_string_lossy().contains(['*', '?', '['])
}

/// Maps a source file read-only (sources can be gigabytes; no copy needed).
pub(crate) fn read(path: &Path) -> Result<memmap2::Mmap> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    // SAFETY: read-only map of a file we only read while importing; the CLI does not expect
    // sources to change underneath it.
    unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))
}

/// Reads 3DGS SH coefficients from a PLY row: `f_dc_*` is coefficient 0, `f_rest_*` holds the
/// others channel-major (all red, then all green, then blue), as INRIA's `save_ply` writes.
pub(crate) fn read_ply_sh(table: &ply::VertexTable, row: usize, dc: &[usize], rest: &[usize], out: &mut [[f32; 3]]) {
    let per_channel = rest.len() / 3;
    for (k, coeff) in out.iter_mut().enumerate() {
        *coeff = std::array::from_fn(|c| {
            let col = if k == 0 { dc[c] } else { rest[c * per_channel + k - 1] };
            table.get(row, col) as f32
        });
    }
}

/// The drop reason used when a file ends before the records its header declares.
pub(crate) const TRUNCATED: &str = "truncated (file ends before the declared records)";
