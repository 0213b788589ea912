//! Importers: each reads one trainer's output and reproduces its math exactly, producing
//! [`Splats`] of runtime primitives (DESIGN §2). Bad records are dropped and counted through
//! [`Splats::push`]; bad files are errors that name the file and the problem.
//!
//! Sources are read once, front to back, through a reader ([`Input`]): a file of any size is
//! imported in the memory of its splats, and a file cut short while it is read is an error,
//! not a signal.

mod axes;
mod compressed_ply;
mod dotsplat;
mod fourdgs;
mod gltf;
mod inria;
mod ksplat;
pub mod ply;
mod sequence;
mod sog;
mod splatv;
mod spz;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::splats::{Precision, Splats};

/// What a source file does not say and the user may.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Asset time range, for 4DGS PLYs without a `time_range` comment and for sequences.
    pub time_range: Option<[f32; 2]>,
    /// Frames per second: per-frame sequences, and the segment length of every asset.
    pub frame_rate: Option<f32>,
    /// How the splats hold their attributes: compact (as a default pack stores them) or full.
    pub precision: Precision,
    /// The model was trained with anti-aliasing (the INRIA rasteriser's option, Mip-Splatting's
    /// 2D filter), whether or not its file says so.
    pub antialiased: bool,
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

    /// Empty splats for an importer, in the precision asked for.
    fn splats(
        &self,
        source: crate::asset::format::SourceKind,
        degrees: (u32, u32),
        time_range: [f32; 2],
        frame_rate: f32,
    ) -> Splats {
        Splats::new(source, degrees.0, degrees.1, time_range, frame_rate).with_precision(self.precision)
    }
}

/// The kinds of source this module reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceFormat {
    FourDgsPly,
    InriaPly,
    Splatv,
    DotSplat,
    Spz,
    CompressedPly,
    Sog,
    Gltf,
    Ksplat,
}

impl SourceFormat {
    /// Whether the format holds one static moment (and so can be a frame of a sequence).
    pub fn is_static(self) -> bool {
        !matches!(self, SourceFormat::FourDgsPly | SourceFormat::Splatv)
    }
}

/// Bytes of a source's start that importers see at once: detection and headers.
pub const HEAD: usize = ply::MAX_HEADER;

/// A source as importers read it: its first bytes at hand, then the rest from a reader, once.
pub(crate) struct Input<'a> {
    pub name: &'a str,
    /// Up to [`HEAD`] bytes from the start (all of it for a shorter source).
    pub head: &'a [u8],
    rest: &'a mut dyn BufRead,
    /// The folder the source is in, for formats that name files beside it (SOG's images,
    /// glTF's buffers); `None` for bytes from memory.
    pub dir: Option<&'a Path>,
}

impl<'a> Input<'a> {
    /// The source's bytes from `offset` (no further than `head`) to its end.
    pub fn from(&mut self, offset: usize) -> std::io::Chain<&[u8], &mut (dyn BufRead + 'a)> {
        (&self.head[offset.min(self.head.len())..]).chain(&mut *self.rest)
    }

    fn error(&self, message: impl Into<String>) -> Error {
        Error::import(self.name, message)
    }
}

/// Recognises a source by its first bytes (and, where those are not enough, its name: headerless
/// `.splat`, gzipped `.spz`, zipped `.sog`, `meta.json`, `.gltf`, `.ksplat`). A PLY is a 4DGS one when its
/// header declares any property only 4DGS has, a compressed one when its elements are that
/// layout's.
pub fn detect(name: &str, head: &[u8]) -> Option<SourceFormat> {
    if head.starts_with(b"ply") {
        let elements = ply::Header::parse_elements(head).unwrap_or_default();
        if compressed_ply::detect(&elements) {
            return Some(SourceFormat::CompressedPly);
        }
        let fourdgs = ply::Header::parse(head).is_ok_and(|h| h.has_4dgs_properties());
        return Some(if fourdgs { SourceFormat::FourDgsPly } else { SourceFormat::InriaPly });
    }
    if head.len() >= 4 && u32::from_le_bytes(head[..4].try_into().unwrap()) == splatv::MAGIC {
        return Some(SourceFormat::Splatv);
    }
    if spz::detect(name, head) {
        return Some(SourceFormat::Spz);
    }
    if gltf::detect(name, head) {
        return Some(SourceFormat::Gltf);
    }
    if sog::detect(name, head) {
        return Some(SourceFormat::Sog);
    }
    if ksplat::detect(name, head) {
        return Some(SourceFormat::Ksplat);
    }
    name.to_ascii_lowercase().ends_with(".splat").then_some(SourceFormat::DotSplat)
}

/// Imports one source held in memory; `name` is used in messages and for format detection.
pub fn import_bytes(name: &str, bytes: &[u8], options: &ImportOptions) -> Result<Splats> {
    let (head, mut rest) = bytes.split_at(bytes.len().min(HEAD));
    let input = &mut Input { name, head, rest: &mut rest, dir: None };
    nonempty(import_input(detected(input)?, input, options)?, name)
}

/// Imports bytes as the given format, whatever they look like.
pub fn import_as(format: SourceFormat, name: &str, bytes: &[u8], options: &ImportOptions) -> Result<Splats> {
    let (head, mut rest) = bytes.split_at(bytes.len().min(HEAD));
    nonempty(import_input(format, &mut Input { name, head, rest: &mut rest, dir: None }, options)?, name)
}

fn detected(input: &Input) -> Result<SourceFormat> {
    match detect(input.name, input.head) {
        Some(format) => Ok(format),
        None if input.head.starts_with(&crate::asset::format::MAGIC) => {
            Err(input.error("is already a packed .s4d asset"))
        }
        None => Err(input.error(
            "unrecognised format (expected a 3DGS/4DGS or compressed PLY, .splatv, .splat, .spz, .sog, SOG meta.json, \
             .glb, .gltf or .ksplat)",
        )),
    }
}

/// The splats of `input` as `format` (none, where every record was dropped).
fn import_input(format: SourceFormat, input: &mut Input, options: &ImportOptions) -> Result<Splats> {
    let mut splats = match format {
        SourceFormat::FourDgsPly => fourdgs::import(input, options),
        SourceFormat::InriaPly => inria::import(input, options),
        SourceFormat::Splatv => splatv::import(input, options),
        SourceFormat::DotSplat => dotsplat::import(input, options),
        SourceFormat::Spz => spz::import(input, options),
        SourceFormat::CompressedPly => compressed_ply::import(input, options),
        SourceFormat::Sog => sog::import(input, options),
        SourceFormat::Gltf => gltf::import(input, options),
        SourceFormat::Ksplat => ksplat::import(input, options),
    }?;
    splats.antialiased |= options.antialiased;
    Ok(splats)
}

/// Splats with at least one primitive, or an error saying why there is none.
fn nonempty(splats: Splats, name: &str) -> Result<Splats> {
    if splats.is_empty() {
        return Err(Error::import(name, format!("no usable primitives ({})", splats.report)));
    }
    Ok(splats)
}

/// Imports what the user named: one file, a folder of per-frame files, a glob pattern, or
/// several files (a per-frame sequence in the given order). Frames are any static format.
pub fn import_paths(inputs: &[PathBuf], options: &ImportOptions) -> Result<Splats> {
    match inputs {
        [] => Err(Error::InvalidArgument("no input given".into())),
        // A folder holding a SOG's meta.json is that SOG; any other folder holds frames.
        [one] if one.is_dir() && one.join("meta.json").is_file() => import_paths(&[one.join("meta.json")], options),
        [one] if one.is_dir() => sequence::import(&sequence::frames_in_dir(one)?, options),
        [one] if !one.exists() && is_glob(one) => sequence::import(&sequence::frames_matching(one)?, options),
        [one] => {
            let splats = read_file(one, |input| import_input(detected(input)?, input, options))?;
            nonempty(splats, &one.display().to_string())
        }
        many => sequence::import(many, options),
    }
}

/// Opens the regular file at `path` and hands it to `import` as an [`Input`].
fn read_file<T>(path: &Path, import: impl FnOnce(&mut Input) -> Result<T>) -> Result<T> {
    let name = path.display().to_string();
    let mut reader = BufReader::with_capacity(1 << 20, crate::fs::open_regular(path)?);
    let mut head = Vec::new();
    (&mut reader).take(HEAD as u64).read_to_end(&mut head).map_err(|e| Error::io(path, e))?;
    import(&mut Input { name: &name, head: &head, rest: &mut reader, dir: path.parent() })
}

fn is_glob(p: &Path) -> bool {
    p.to_string_lossy().contains(['*', '?', '['])
}

/// Reads 3DGS SH coefficients from a PLY row: `f_dc_*` is coefficient 0, `f_rest_*` holds the
/// others channel-major (all red, then all green, then blue), as INRIA's `save_ply` writes.
pub(crate) fn read_ply_sh(row: &[f64], dc: &[usize], rest: &[usize], out: &mut [[f32; 3]]) {
    let per_channel = rest.len() / 3;
    for (k, coeff) in out.iter_mut().enumerate() {
        *coeff = std::array::from_fn(|c| {
            let col = if k == 0 { dc[c] } else { rest[c * per_channel + k - 1] };
            row[col] as f32
        });
    }
}

/// Reads fixed-size records: fills `out`, returning how many bytes the source still had (less
/// than `out.len()` only at its end).
pub(crate) fn read_record(reader: &mut impl BufRead, out: &mut [u8]) -> std::io::Result<usize> {
    let mut at = 0;
    while at < out.len() {
        match reader.read(&mut out[at..]) {
            Ok(0) => break,
            Ok(n) => at += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(at)
}

/// The drop reason used when a file ends before the records its header declares.
pub(crate) const TRUNCATED: &str = "truncated (file ends before the declared records)";

/// The f32 interval that holds `[begin, end]` (computed in f64): rounded outwards, so that a
/// narrow envelope at a time far from 0 still has a window, one f32 step wide at the least.
pub(crate) fn window_around(begin: f64, end: f64) -> [f32; 2] {
    [round_down(begin), round_up(end)]
}

fn round_down(x: f64) -> f32 {
    let f = x as f32;
    if f as f64 > x {
        -crate::math::next_up(-f)
    } else {
        f
    }
}

fn round_up(x: f64) -> f32 {
    let f = x as f32;
    if (f as f64) < x {
        crate::math::next_up(f)
    } else {
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_round_outwards() {
        // ±0.05 around 2^24: f32 steps are 1 below it and 2 above, so the window is one step
        // on each side.
        assert_eq!(window_around(16777216.0 - 0.05, 16777216.0 + 0.05), [16777215.0, 16777218.0]);
        assert_eq!(window_around(0.25, 0.5), [0.25, 0.5]);
        assert_eq!(window_around(f64::NEG_INFINITY, f64::INFINITY), [f32::NEG_INFINITY, f32::INFINITY]);
        let [a, b] = window_around(0.1, 0.3);
        assert!((a as f64) <= 0.1 && (b as f64) >= 0.3);
    }

    #[test]
    fn detection_reads_the_parsed_header() {
        let crlf = b"ply\r\nformat binary_little_endian 1.0\r\nelement vertex 0\r\nproperty float x\r\nproperty float t\t\r\nend_header\r\n";
        assert_eq!(detect("a.ply", crlf), Some(SourceFormat::FourDgsPly));
        let inria = b"ply\nformat binary_little_endian 1.0\nelement vertex 0\nproperty float x\nproperty float tt\nend_header\n";
        assert_eq!(detect("a.ply", inria), Some(SourceFormat::InriaPly));
        assert_eq!(detect("a.splat", b"\0\0\0\0"), Some(SourceFormat::DotSplat));
        assert_eq!(detect("a.bin", b"\0\0\0\0"), None);
    }
}
