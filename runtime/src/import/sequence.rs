//! Per-frame sequences ("flipbook" volumetric video): one static splat file per frame (3DGS or
//! compressed PLY, `.splat`, SPZ, SOG, glTF, KSPLAT). Frame i's splats
//! exist for exactly `[T0 + i/fps, T0 + (i+1)/fps)`: an explicit window with a flat envelope.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{detected, import_input, read_file, ImportOptions};
use crate::asset::format::SourceKind;
use crate::error::{printable, Error, Result};
use crate::splats::Splats;

/// What a frame's file name ends with in a folder of frames.
const FRAME_EXTENSIONS: [&str; 7] = ["ply", "splat", "spz", "sog", "glb", "gltf", "ksplat"];

/// The most frames one sequence may hold (a day at 30 fps would be far beyond a headset).
const MAX_FRAMES: usize = 1 << 20;
/// The most folder entries a pattern may look at: a walk of a whole disk is a mistake.
const MAX_VISITED: usize = 1 << 24;

pub fn frames_in_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut frames = Vec::new();
    for e in entries {
        let path = e.map_err(|e| Error::io(dir, e))?.path();
        let frame = path.extension().and_then(|x| x.to_str()).map(str::to_ascii_lowercase);
        if frame.is_some_and(|x| FRAME_EXTENSIONS.contains(&x.as_str())) {
            frames.push(path);
            if frames.len() > MAX_FRAMES {
                return Err(too_many(&dir.display().to_string()));
            }
        }
    }
    sort_natural(&mut frames);
    if frames.is_empty() {
        return Err(Error::import(
            dir.display().to_string(),
            format!("folder holds no frames (files ending .{})", FRAME_EXTENSIONS.join(", .")),
        ));
    }
    Ok(frames)
}

fn too_many(what: &str) -> Error {
    Error::InvalidArgument(format!("{} holds more than {MAX_FRAMES} frames", printable(what)))
}

/// The regular files a glob pattern matches (`*`, `?`, `[…]` within a name, `**` across
/// folders). Symlinked folders are followed, but never into a folder the walk is already
/// inside (a cycle), and the walk stops at [`MAX_FRAMES`] matches.
pub fn frames_matching(pattern: &Path) -> Result<Vec<PathBuf>> {
    let text = pattern.to_string_lossy();
    let bad = |e: String| Error::InvalidArgument(format!("bad pattern '{}': {e}", printable(&text)));
    let matcher = glob::Pattern::new(&text).map_err(|e| bad(e.to_string()))?;
    let options = glob::MatchOptions { case_sensitive: true, require_literal_separator: true, ..Default::default() };
    // Walk from the pattern's literal folder, as deep as its components reach.
    let components: Vec<_> = pattern.components().collect();
    let literal = components.iter().take_while(|c| !c.as_os_str().to_string_lossy().contains(['*', '?', '['])).count();
    let base: PathBuf = components[..literal].iter().collect();
    let depth = if text.contains("**") { usize::MAX } else { components.len() - literal };
    let relative = base.as_os_str().is_empty();
    let root = if relative { Path::new(".") } else { base.as_path() };
    let mut frames = Vec::new();
    let mut cycles = 0usize;
    for (visited, entry) in walkdir::WalkDir::new(root).follow_links(true).max_depth(depth).into_iter().enumerate() {
        if visited > MAX_VISITED {
            return Err(bad(format!("looked at {MAX_VISITED} entries without finishing; narrow it")));
        }
        let entry = match entry {
            Ok(e) => e,
            Err(e) if e.loop_ancestor().is_some() => {
                cycles += 1;
                continue;
            }
            // Unreadable folders are skipped, as a shell's glob skips them.
            Err(_) => continue,
        };
        let path = if relative { entry.path().strip_prefix(".").unwrap_or(entry.path()) } else { entry.path() };
        if entry.file_type().is_file() && matcher.matches_path_with(path, options) {
            frames.push(path.to_path_buf());
            if frames.len() > MAX_FRAMES {
                return Err(too_many(&format!("pattern '{text}'")));
            }
        }
    }
    if cycles > 0 {
        log::warn!("{}: {cycles} symlinked folder(s) lead back into the walk and were not followed", printable(&text));
    }
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

/// Frame `i`'s window of `n` over `range`, computed in f64. Errors where f32 times cannot tell
/// neighbouring frames apart (a time range far from 0 with short frames).
fn frame_windows(range: [f32; 2], n: usize) -> Result<Vec<[f32; 2]>> {
    let [a, b] = range.map(f64::from);
    let bounds: Vec<f32> = (0..=n).map(|i| (a + (b - a) * i as f64 / n as f64) as f32).collect();
    if let Some(w) = bounds.windows(2).find(|w| w[0] >= w[1]) {
        let step = (b - a) / n as f64;
        return Err(Error::InvalidArgument(format!(
            "frames of {step} s cannot be told apart at {}: single-precision (f32) times there are {} apart; \
             shift the time range towards 0 (--time-range)",
            w[0],
            crate::math::ulp(w[0])
        )));
    }
    Ok(bounds.windows(2).map(|w| [w[0], w[1]]).collect())
}

pub fn import(frames: &[PathBuf], options: &ImportOptions) -> Result<Splats> {
    if frames.len() > MAX_FRAMES {
        return Err(Error::InvalidArgument(format!("{} frames is more than {MAX_FRAMES}", frames.len())));
    }
    let n = frames.len();
    let (time_range, frame_rate) = match options.validated_time_range()? {
        Some([a, b]) => ([a, b], (n as f64 / (b as f64 - a as f64)) as f32),
        None => {
            let fps = options.frame_rate()?;
            ([0.0, (n as f64 / fps as f64) as f32], fps)
        }
    };
    let windows = frame_windows(time_range, n)?;
    let frame_options = ImportOptions { time_range: None, frame_rate: Some(frame_rate), ..options.clone() };
    // Frames are read a few at a time in parallel, and appended in order: memory holds the
    // sequence so far and those few frames, not every frame twice.
    let batch = rayon::current_num_threads().max(1) * 2;
    let mut out: Option<Splats> = None;
    let mut coeffs = Vec::new();
    for (b, paths) in frames.chunks(batch).enumerate() {
        let read: Vec<Splats> = paths.par_iter().map(|path| read_frame(path, &frame_options)).collect::<Result<_>>()?;
        for (j, frame) in read.iter().enumerate() {
            let out = out.get_or_insert_with(|| {
                let mut s = frame.clone_empty();
                s.source = SourceKind::FrameSequence;
                s.report.format = format!("frames of {}", frame.report.format);
                s
            });
            if frame.sh_degree > out.sh_degree {
                // A higher-degree frame later: the sequence so far is re-held at its degree,
                // the missing coefficients zero (the same colour).
                let mut wider = out.clone_empty();
                wider.set_sh_degrees(frame.sh_degree, 0);
                for i in 0..out.len() {
                    wider.append_from(out, i, &mut coeffs);
                }
                wider.report = std::mem::take(&mut out.report);
                *out = wider;
            }
            out.report.add_counts(&frame.report);
            out.antialiased |= frame.antialiased;
            let window = windows[b * batch + j];
            let first = out.len();
            for i in 0..frame.len() {
                out.append_from(frame, i, &mut coeffs);
            }
            out.set_windows(first.., window);
        }
    }
    let mut out = out.expect("at least one frame");
    out.time_range = time_range;
    out.frame_rate = frame_rate;
    out.sh_time_period = (time_range[1] - time_range[0]).max(f32::MIN_POSITIVE);
    out.report.source = format!("{n} frames ({} … {})", frames[0].display(), frames[n - 1].display());
    super::nonempty(out, &frames[0].display().to_string())
}

/// One frame's splats; a frame may have none (an empty moment), the sequence may not.
fn read_frame(path: &Path, options: &ImportOptions) -> Result<Splats> {
    read_file(path, |input| {
        let format = detected(input)?;
        if !format.is_static() {
            return Err(input.error(format!("a sequence frame must be a static splat file, not {format:?}")));
        }
        import_input(format, input, options)
    })
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

    #[test]
    fn frame_windows_are_exact_or_refused() {
        let w = frame_windows([0.0, 0.5], 6).unwrap();
        assert_eq!(w[0], [0.0, 0.5 / 6.0]);
        assert_eq!(w[5][1], 0.5);
        assert!(w.windows(2).all(|p| p[0][1] == p[1][0]), "frames follow each other exactly");
        let e = frame_windows([16777216.0, 16777300.0], 2520).unwrap_err().to_string();
        assert!(e.contains("cannot be told apart") && e.contains("are 2 apart"), "{e}");
    }

    #[test]
    fn a_pattern_over_a_symlink_cycle_ends() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("a")).unwrap();
        std::fs::write(d.join("a/frame_1.ply"), b"ply").unwrap();
        std::os::unix::fs::symlink(d, d.join("a/up")).unwrap();
        std::os::unix::fs::symlink(d.join("a"), d.join("a/again")).unwrap();
        let found = frames_matching(&d.join("**/frame_*.ply")).unwrap();
        assert_eq!(found, [d.join("a/frame_1.ply")]);
        let found = frames_matching(&d.join("*/frame_?.ply")).unwrap();
        assert_eq!(found, [d.join("a/frame_1.ply")]);
        assert!(frames_matching(&d.join("*.ply")).is_err(), "one level: nothing at the top");
    }
}
