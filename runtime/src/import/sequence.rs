//! Per-frame sequences ("flipbook" volumetric video): one 3DGS PLY per frame. Frame i's splats
//! exist for exactly `[T0 + i/fps, T0 + (i+1)/fps)`: an explicit window with a flat envelope.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::ply::VertexTable;
use super::{inria, read, ImportOptions};
use crate::asset::format::SourceKind;
use crate::error::{Error, Result};
use crate::sh;
use crate::splats::Splats;

/// The most frames one sequence may hold (a day at 30 fps would be far beyond a headset).
const MAX_FRAMES: usize = 1 << 20;

pub fn frames_in_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut frames = Vec::new();
    for e in entries {
        let path = e.map_err(|e| Error::io(dir, e))?.path();
        if path.extension().is_some_and(|x| x.eq_ignore_ascii_case("ply")) {
            frames.push(path);
        }
    }
    sort_natural(&mut frames);
    if frames.is_empty() {
        return Err(Error::import(dir.display().to_string(), "folder holds no .ply frames"));
    }
    Ok(frames)
}

pub fn frames_matching(pattern: &Path) -> Result<Vec<PathBuf>> {
    let text = pattern.to_string_lossy();
    let paths = glob::glob(&text).map_err(|e| Error::InvalidArgument(format!("bad pattern '{text}': {e}")))?;
    let mut frames: Vec<PathBuf> = paths.filter_map(|p| p.ok()).filter(|p| p.is_file()).collect();
    sort_natural(&mut frames);
    if frames.is_empty() {
        return Err(Error::import(text, "pattern matches no files"));
    }
    Ok(frames)
}

/// `frame_2` before `frame_10`: digit runs compare as numbers.
fn sort_natural(paths: &mut [PathBuf]) {
    fn key(p: &Path) -> Vec<(u8, u128, String)> {
        let s = p.to_string_lossy();
        let mut out = Vec::new();
        let mut rest = &s[..];
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            if digits > 0 {
                out.push((0, rest[..digits].parse().unwrap_or(u128::MAX), String::new()));
                rest = &rest[digits..];
            } else {
                let text = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
                out.push((1, 0, rest[..text].to_string()));
                rest = &rest[text..];
            }
        }
        out
    }
    paths.sort_by_cached_key(|p| key(p));
}

pub fn import(frames: &[PathBuf], options: &ImportOptions) -> Result<Splats> {
    if frames.len() > MAX_FRAMES {
        return Err(Error::InvalidArgument(format!("{} frames is more than {MAX_FRAMES}", frames.len())));
    }
    let n = frames.len() as f32;
    let (time_range, frame_rate) = match options.validated_time_range()? {
        Some([a, b]) => ([a, b], n / (b - a)),
        None => {
            let fps = options.frame_rate()?;
            ([0.0, n / fps], fps)
        }
    };
    let per_frame: Vec<Splats> = frames
        .par_iter()
        .map(|path| {
            let name = path.display().to_string();
            let bytes = read(path)?;
            if !bytes.starts_with(b"ply") {
                return Err(Error::import(name, "a sequence frame must be a 3DGS PLY"));
            }
            let table = VertexTable::parse(&bytes).map_err(|e| Error::import(&name, e))?;
            if table.has("t") && table.has("scale_t") {
                return Err(Error::import(name, "is a 4DGS PLY; sequences are made of 3DGS frames"));
            }
            let mut s = Splats::new(SourceKind::FrameSequence, 0, 0, time_range, frame_rate);
            inria::read_static(&name, &table, &mut s)?;
            Ok(s)
        })
        .collect::<Result<_>>()?;

    let degree = per_frame.iter().map(|s| s.sh_degree).max().unwrap_or(0);
    let k = sh::coeff_count(degree, 0);
    let mut out = Splats::new(SourceKind::FrameSequence, degree, 0, time_range, frame_rate);
    out.report.source =
        format!("{} frames ({} … {})", frames.len(), frames[0].display(), frames[frames.len() - 1].display());
    let duration = time_range[1] - time_range[0];
    let mut coeffs = vec![[0.0f32; 3]; k];
    for (i, frame) in per_frame.iter().enumerate() {
        out.report.read += frame.report.read;
        for (reason, count) in &frame.report.dropped {
            out.report.drop(reason, *count);
        }
        let begin = time_range[0] + duration * i as f32 / n;
        let end = time_range[0] + duration * (i + 1) as f32 / n;
        let fk = frame.coeff_count();
        for (j, p) in frame.primitives.iter().enumerate() {
            // Lower-degree frames are padded with zero coefficients: same colour.
            coeffs[..fk].copy_from_slice(frame.coeffs(j));
            coeffs[fk..].fill([0.0; 3]);
            let mut p = *p;
            p.t0 = begin;
            p.window = [begin, end];
            out.push(p, &coeffs);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let mut v: Vec<PathBuf> = ["f_10.ply", "f_2.ply", "f_1.ply", "e.ply"].iter().map(PathBuf::from).collect();
        sort_natural(&mut v);
        let names: Vec<_> = v.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["e.ply", "f_1.ply", "f_2.ply", "f_10.ply"]);
    }
}
