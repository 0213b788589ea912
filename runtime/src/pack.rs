//! The packer: [`Splats`] in, `.s4d` bytes out (DESIGN §3). Orders primitives so that the active
//! sets of temporal segments are a few runs each, computes those sets exactly from each
//! primitive's window, stores attributes as f16 where that loses nothing that matters, and
//! writes a checksummed, deterministic file.

use half::f16;
use rayon::prelude::*;

use crate::asset::format::*;
use crate::camera::Camera;
use crate::error::{Error, Result};
use crate::lod;
use crate::math::morton3;
use crate::splats::Splats;

#[derive(Clone, Debug)]
pub struct PackOptions {
    /// Frames per temporal segment (at the asset's frame rate).
    pub segment_frames: u32,
    /// Store every attribute as f32 (for comparisons; larger files).
    pub full_precision: bool,
    /// Levels of detail: the source's own, and `levels - 1` coarser ones merged from it.
    pub levels: u32,
    /// The coarsest level's scale floor λ; by default [`lod::LAMBDA_OF_RADIUS`] of the scene's
    /// radius.
    pub lod_lambda: Option<f32>,
    /// The ratio ρ between neighbouring levels' floors.
    pub lod_rho: f32,
}

impl Default for PackOptions {
    fn default() -> Self {
        PackOptions {
            segment_frames: 20,
            full_precision: false,
            levels: 1,
            lod_lambda: None,
            lod_rho: lod::DEFAULT_RHO,
        }
    }
}

/// Progress of a long pack, for a progress bar. Called from several threads.
pub trait Progress: Sync {
    fn stage(&self, _name: &'static str, _total: u64) {}
    fn advance(&self, _n: u64) {}
}

pub struct NoProgress;
impl Progress for NoProgress {}

/// Tolerance for storing one component as f16: `|f16(v) - v| <= max(rel·|v|, abs)`.
#[derive(Clone, Copy)]
struct Tolerance {
    rel: f32,
    abs: f32,
}

const ABS: fn(f32) -> Tolerance = |abs| Tolerance { rel: 0.0, abs };
const REL: fn(f32) -> Tolerance = |rel| Tolerance { rel, abs: 1e-7 };

/// The most segments an asset may have: enough for hours of video at 20 frames each.
pub const MAX_SEGMENTS: u64 = 1 << 20;

/// Packs `splats`, with `options.levels - 1` coarser levels merged from them.
pub fn pack(splats: &Splats, options: &PackOptions, progress: &dyn Progress) -> Result<Vec<u8>> {
    if options.levels as usize > lod::MAX_LEVELS || options.levels == 0 {
        return Err(Error::InvalidArgument(format!(
            "{} levels: 1..={} are supported",
            options.levels,
            lod::MAX_LEVELS
        )));
    }
    let lambda = options.lod_lambda.unwrap_or(lod::LAMBDA_OF_RADIUS * focus(splats)[3]);
    let floors = lod::floors(options.levels as usize, lambda, options.lod_rho);
    check_floors(&floors)?;
    progress.stage("levels", floors.len() as u64 - 1);
    let coarse = lod::merge::build_levels(splats, &floors, progress);
    let levels: Vec<&Splats> = std::iter::once(splats).chain(&coarse).collect();
    pack_levels(&levels, &floors, options, progress)
}

fn check_floors(floors: &[f32]) -> Result<()> {
    let increasing = floors.windows(2).all(|w| w[1] > w[0]);
    if !(floors.iter().all(|f| f.is_finite() && *f >= 0.0) && increasing) {
        return Err(Error::InvalidArgument(format!(
            "level floors {floors:?} must rise from the finest level: λ and ρ must be positive numbers, ρ above 1"
        )));
    }
    Ok(())
}

/// Packs levels of detail given as they are, finest first, with their scale floors (trained
/// FLoD levels). The finest level's metadata and cameras describe the asset; every level
/// must have the same colour layout.
pub fn pack_levels(
    levels: &[&Splats],
    floors: &[f32],
    options: &PackOptions,
    progress: &dyn Progress,
) -> Result<Vec<u8>> {
    let Some(&splats) = levels.first() else {
        return Err(Error::InvalidArgument("no levels to pack".into()));
    };
    if levels.len() != floors.len() || levels.len() > lod::MAX_LEVELS {
        return Err(Error::InvalidArgument(format!(
            "{} levels with {} floors (at most {} levels)",
            levels.len(),
            floors.len(),
            lod::MAX_LEVELS
        )));
    }
    check_floors(floors)?;
    for (l, level) in levels.iter().enumerate() {
        if (level.sh_degree, level.sh_degree_t) != (splats.sh_degree, splats.sh_degree_t) {
            return Err(Error::InvalidArgument(format!(
                "level {l} has SH degree {} (time {}), level 0 {} (time {}): levels must share one",
                level.sh_degree, level.sh_degree_t, splats.sh_degree, splats.sh_degree_t
            )));
        }
    }
    let n: usize = levels.iter().map(|l| l.len()).sum();
    if n >= u32::MAX as usize {
        return Err(Error::InvalidArgument(format!("{n} primitives is more than an asset can hold")));
    }
    if options.segment_frames == 0 {
        return Err(Error::InvalidArgument("segment frames must be at least 1".into()));
    }
    let [t0, t1] = splats.time_range;
    if !(t0.is_finite() && t1.is_finite() && t0 <= t1) {
        return Err(Error::InvalidArgument(format!("time range {t0}..{t1} is not finite and ordered")));
    }
    if !(splats.frame_rate.is_finite() && splats.frame_rate > 0.0) {
        return Err(Error::InvalidArgument(format!("frame rate {} is not positive", splats.frame_rate)));
    }

    let segment_duration = options.segment_frames as f32 / splats.frame_rate;
    let segment_count = (((t1 - t0) / segment_duration).ceil() as u64).max(1);
    if segment_count > MAX_SEGMENTS {
        return Err(Error::InvalidArgument(format!("{segment_count} segments is too many; raise --segment-frames")));
    }

    progress.stage("order", n as u64);
    let (bounds_min, bounds_max) = bounds(splats);
    let segments = Segments { t0: t0 as f64, duration: segment_duration as f64, count: segment_count };
    // Each level in its own contiguous range, in pack order within it.
    let order: Vec<(usize, u32)> = levels
        .iter()
        .enumerate()
        .flat_map(|(l, level)| pack_order(level, bounds_min, bounds_max, segments).into_iter().map(move |i| (l, i)))
        .collect();
    progress.advance(n as u64);
    progress.stage("segments", segment_count);
    let prims = || order.iter().map(|&(l, i)| &levels[l].primitives[i as usize]);
    let windows: Vec<[f32; 2]> = prims().map(|p| p.window).collect();
    let per_segment: Vec<(SegmentRecord, Vec<RunRecord>)> = (0..segment_count)
        .into_par_iter()
        .map(|s| {
            let a = t0 + s as f32 * segment_duration;
            let b = if s + 1 == segment_count { t1 } else { t0 + (s + 1) as f32 * segment_duration };
            let runs = active_runs(&windows, a, b);
            progress.advance(1);
            let active_count = runs.iter().map(|r| r.count).sum();
            (
                SegmentRecord { time: [a, b], first_run: 0, run_count: runs.len() as u32, active_count, reserved: 0 },
                runs,
            )
        })
        .collect();
    let mut segments = Vec::with_capacity(per_segment.len());
    let mut runs = Vec::new();
    for (mut seg, seg_runs) in per_segment {
        seg.first_run = runs.len() as u32;
        runs.extend(seg_runs);
        segments.push(seg);
    }

    progress.stage("encode", 6);
    let motion_degree = levels.iter().map(|l| l.motion_degree()).max().unwrap_or(0) as usize;
    let has_omega = prims().any(|p| p.omega != glam::Vec4::ZERO);
    let k = splats.coeff_count();

    let position: Vec<f32> = prims().flat_map(|p| [p.position.x, p.position.y, p.position.z, p.t0]).collect();
    let temporal: Vec<f32> = prims().flat_map(|p| [p.window[0], p.window[1], p.sigma_t, 0.0]).collect();
    let rotation: Vec<f32> = prims().flat_map(|p| p.rotation.to_array()).collect();
    let scale_opacity: Vec<f32> = prims().flat_map(|p| [p.scale.x, p.scale.y, p.scale.z, p.opacity]).collect();
    let motion: Vec<f32> =
        prims().flat_map(|p| &p.motion[..motion_degree]).flat_map(|m| [m.x, m.y, m.z, 0.0]).collect();
    let omega: Vec<f32> = if has_omega { prims().flat_map(|p| p.omega.to_array()).collect() } else { Vec::new() };
    let sh: Vec<f32> =
        order.iter().flat_map(|&(l, i)| levels[l].coeffs(i as usize).iter().flatten().copied()).collect();
    let mut first = 0;
    let level_records: Vec<LevelRecord> = levels
        .iter()
        .zip(floors)
        .map(|(level, &scale_floor)| {
            let record = LevelRecord { scale_floor, first, count: level.len() as u32, reserved: 0 };
            first += level.len() as u32;
            record
        })
        .collect();
    progress.advance(3);

    let lossy = !options.full_precision;
    let mut chunks = vec![
        Chunk::pod(
            kind::INFO,
            &[AssetInfo {
                primitive_count: n as u32,
                segment_count: segments.len() as u32,
                level_count: levels.len() as u32,
                camera_count: splats.cameras.len() as u32,
                sh_degree: splats.sh_degree as u8,
                sh_degree_t: splats.sh_degree_t as u8,
                motion_degree: motion_degree as u8,
                reserved0: 0,
                source_kind: splats.source as u32,
                time_range: [t0, t1],
                frame_rate: splats.frame_rate,
                segment_duration,
                sh_time_period: splats.sh_time_period,
                bounds_min,
                bounds_max,
                focus: focus(splats),
                source_records: splats.report.read.min(u32::MAX as u64) as u32,
                dropped_records: splats.report.dropped_total().min(u32::MAX as u64) as u32,
                reserved: [0; 5],
            }],
        ),
        Chunk::text(kind::PROVENANCE, &provenance(splats, &level_records)),
        Chunk::pod(kind::CAMERAS, &splats.cameras.iter().map(camera_to_record).collect::<Vec<_>>()),
        Chunk::pod(kind::SEGMENTS, &segments),
        Chunk::pod(kind::RUNS, &runs),
        Chunk::pod(kind::LEVELS, &level_records),
        Chunk::attribute(kind::POSITION, &position, 4, None),
        Chunk::attribute(kind::TEMPORAL, &temporal, 4, None),
        Chunk::attribute(kind::ROTATION, &rotation, 4, lossy.then_some(&[ABS(1e-3)][..])),
        Chunk::attribute(
            kind::SCALE_OPACITY,
            &scale_opacity,
            4,
            lossy.then_some(&[REL(1e-3), REL(1e-3), REL(1e-3), ABS(1e-3)][..]),
        ),
        Chunk::attribute(kind::SH, &sh, 3 * k, lossy.then_some(&[ABS(2e-3)][..])),
    ];
    if motion_degree > 0 {
        chunks.push(Chunk::attribute(kind::MOTION, &motion, 4 * motion_degree, lossy.then_some(&[REL(1e-3)][..])));
    }
    if has_omega {
        chunks.push(Chunk::attribute(kind::OMEGA, &omega, 4, lossy.then_some(&[REL(1e-3)][..])));
    }
    progress.advance(3);
    progress.stage("write", 1);
    let bytes = write(&chunks);
    progress.advance(1);
    Ok(bytes)
}

/// The asset's temporal segments: `count` slices of `duration` from `t0`.
#[derive(Clone, Copy)]
struct Segments {
    t0: f64,
    duration: f64,
    count: u64,
}

impl Segments {
    /// The first and last segment a window `[begin, end)` is active in, as `active_runs` decides
    /// (the segment's closed interval overlaps the window), clamped to the asset's segments.
    fn span(&self, [begin, end]: [f32; 2]) -> (u32, u32) {
        let last = (self.count - 1) as f64;
        let index = |t: f64| if t.is_nan() { 0.0 } else { t.clamp(0.0, last) };
        let first = index(((begin as f64 - self.t0) / self.duration - 1.0).ceil());
        let end = index(((end as f64 - self.t0) / self.duration).ceil() - 1.0);
        (first as u32, end as u32)
    }
}

/// Pack order: by the first segment a primitive is active in, then by the last, latest first.
/// A segment's active set is then one run per earlier first segment (those of each group that
/// are still alive lead it) instead of a range broken wherever an earlier primitive has died:
/// a few runs, however many primitives. Ties in Morton order of the centre, for memory locality
/// on the GPU; then source order, so the order is total.
fn pack_order(splats: &Splats, min: [f32; 3], max: [f32; 3], segments: Segments) -> Vec<u32> {
    let quantise = |v: f32, lo: f32, hi: f32| {
        let u = if hi > lo { (v - lo) / (hi - lo) } else { 0.0 };
        (u.clamp(0.0, 1.0) * ((1 << 21) - 1) as f32) as u32
    };
    let mut keyed: Vec<(u32, u32, u64, u32)> = splats
        .primitives
        .par_iter()
        .enumerate()
        .map(|(i, p)| {
            let q: [u32; 3] = std::array::from_fn(|a| quantise(p.position[a], min[a], max[a]));
            let (first, last) = segments.span(p.window);
            (first, u32::MAX - last, morton3(q[0], q[1], q[2]), i as u32)
        })
        .collect();
    keyed.par_sort_unstable();
    keyed.into_iter().map(|k| k.3).collect()
}

/// Runs of primitives (in pack order) whose window overlaps the closed interval [a, b].
/// Closed, so that every time a segment answers for, its end included, is covered.
fn active_runs(windows: &[[f32; 2]], a: f32, b: f32) -> Vec<RunRecord> {
    let mut runs: Vec<RunRecord> = Vec::new();
    for (i, w) in windows.iter().enumerate() {
        if w[0] <= b && w[1] > a {
            match runs.last_mut() {
                Some(r) if r.first + r.count == i as u32 => r.count += 1,
                _ => runs.push(RunRecord { first: i as u32, count: 1 }),
            }
        }
    }
    runs
}

fn bounds(splats: &Splats) -> ([f32; 3], [f32; 3]) {
    if splats.is_empty() {
        return ([0.0; 3], [0.0; 3]);
    }
    let (lo, hi) = splats
        .primitives
        .iter()
        .fold((glam::Vec3::INFINITY, glam::Vec3::NEG_INFINITY), |(lo, hi), p| (lo.min(p.position), hi.max(p.position)));
    (lo.to_array(), hi.to_array())
}

/// Median centre and the radius holding 90% of the primitives: robust to stray far splats.
fn focus(splats: &Splats) -> [f32; 4] {
    let n = splats.len();
    if n == 0 {
        return [0.0, 0.0, 0.0, 1.0];
    }
    let median = |axis: usize| {
        let mut v: Vec<f32> = splats.primitives.iter().map(|p| p.position[axis]).collect();
        *v.select_nth_unstable_by(n / 2, f32::total_cmp).1
    };
    let c = glam::Vec3::new(median(0), median(1), median(2));
    let mut d: Vec<f32> = splats.primitives.iter().map(|p| p.position.distance(c)).collect();
    let r = *d.select_nth_unstable_by((n * 9 / 10).min(n - 1), f32::total_cmp).1;
    [c.x, c.y, c.z, r.max(1e-3)]
}

fn provenance(splats: &Splats, levels: &[LevelRecord]) -> String {
    let mut text = format!(
        "splat4d {} packed {} ({})\n{}\n",
        env!("CARGO_PKG_VERSION"),
        splats.source.name(),
        splats.len(),
        splats.report
    );
    if levels.len() > 1 {
        let floors: Vec<String> =
            levels.iter().enumerate().map(|(i, l)| format!("{i}: {} at floor {}", l.count, l.scale_floor)).collect();
        text += &format!("levels of detail: {}\n", floors.join(", "));
    }
    text
}

fn camera_to_record(c: &Camera) -> CameraRecord {
    CameraRecord {
        width: c.width,
        height: c.height,
        fx: c.fx,
        fy: c.fy,
        cx: c.cx,
        cy: c.cy,
        rotation: c.rotation.transpose().to_cols_array(),
        position: c.position.to_array(),
    }
}

struct Chunk {
    kind: [u8; 4],
    encoding: Encoding,
    stride: u32,
    bytes: Vec<u8>,
}

impl Chunk {
    fn pod<T: bytemuck::Pod>(kind: [u8; 4], items: &[T]) -> Chunk {
        Chunk {
            kind,
            encoding: Encoding::F32,
            stride: std::mem::size_of::<T>() as u32,
            bytes: bytemuck::cast_slice(items).to_vec(),
        }
    }

    fn text(kind: [u8; 4], text: &str) -> Chunk {
        Chunk { kind, encoding: Encoding::F32, stride: 1, bytes: text.as_bytes().to_vec() }
    }

    /// `components` numbers per primitive; f16 when `tolerances` (cycled over components) allow
    /// every value, else f32.
    fn attribute(kind: [u8; 4], values: &[f32], components: usize, tolerances: Option<&[Tolerance]>) -> Chunk {
        let fits = tolerances.is_some_and(|tol| {
            values.par_iter().enumerate().all(|(i, &v)| {
                let t = tol[(i % components) % tol.len()];
                let h = f16::from_f32(v);
                h.is_finite() && (h.to_f32() - v).abs() <= (t.rel * v.abs()).max(t.abs)
            })
        });
        if fits {
            let halves: Vec<f16> = values.iter().map(|&v| f16::from_f32(v)).collect();
            Chunk {
                kind,
                encoding: Encoding::F16,
                stride: 2 * components as u32,
                bytes: bytemuck::cast_slice(&halves).to_vec(),
            }
        } else {
            Chunk {
                kind,
                encoding: Encoding::F32,
                stride: 4 * components as u32,
                bytes: bytemuck::cast_slice(values).to_vec(),
            }
        }
    }
}

fn write(chunks: &[Chunk]) -> Vec<u8> {
    let align = |v: u64| v.div_ceil(ALIGN) * ALIGN;
    let header_size = (std::mem::size_of::<FileHeader>() + chunks.len() * std::mem::size_of::<ChunkEntry>()) as u64;
    let mut offset = align(header_size);
    let mut entries = Vec::with_capacity(chunks.len());
    for c in chunks {
        entries.push(ChunkEntry {
            kind: c.kind,
            encoding: c.encoding as u16,
            reserved: 0,
            stride: c.stride,
            checksum: crc32fast::hash(&c.bytes),
            offset,
            size: c.bytes.len() as u64,
        });
        offset = align(offset + c.bytes.len() as u64);
    }
    let file_size = offset;
    let mut header = FileHeader {
        magic: MAGIC,
        version_major: VERSION_MAJOR,
        version_minor: VERSION_MINOR,
        chunk_count: chunks.len() as u32,
        file_size,
        flags: 0,
        checksum: 0,
    };
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(bytemuck::bytes_of(&header));
    hasher.update(bytemuck::cast_slice(&entries));
    header.checksum = hasher.finalize();

    let mut out = Vec::with_capacity(file_size as usize);
    out.extend_from_slice(bytemuck::bytes_of(&header));
    out.extend_from_slice(bytemuck::cast_slice(&entries));
    for (c, e) in chunks.iter().zip(&entries) {
        out.resize(e.offset as usize, 0);
        out.extend_from_slice(&c.bytes);
    }
    out.resize(file_size as usize, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_segment_is_a_few_runs_however_lives_overlap() {
        // 20,000 primitives living up to two segments each, born anywhere in 30 segments, and
        // a few static ones: a segment's active set is one run per segment its primitives may
        // have been born in (three here), plus the static ones leading the first.
        let mut splats = Splats::new(crate::asset::format::SourceKind::Procedural, 0, 0, [0.0, 20.0], 30.0);
        let mut state = 3u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 40) as f32 / (1u64 << 24) as f32
        };
        for i in 0..20_000 {
            let begin = next() * 20.0;
            let window = if i % 1000 == 0 { [f32::NEG_INFINITY, f32::INFINITY] } else { [begin, begin + next() * 1.3] };
            let p = crate::primitive::Primitive {
                position: glam::Vec3::new(next(), next(), next()),
                window,
                ..Default::default()
            };
            assert!(splats.push(p, &[[0.0; 3]]));
        }
        let asset = crate::asset::Asset::from_bytes(
            &pack(&splats, &PackOptions::default(), &NoProgress).unwrap(),
            crate::asset::Verify::Full,
        )
        .unwrap();
        assert_eq!(asset.segments().len(), 30);
        let most = (0..30).map(|s| asset.segment_runs(s).len()).max().unwrap();
        assert!(most <= 4, "a segment has {most} runs");
    }

    #[test]
    fn runs_merge_contiguous_actives() {
        let w = [[0.0, 1.0], [0.5, 2.0], [3.0, 4.0], [0.0, 5.0], [f32::NEG_INFINITY, f32::INFINITY]];
        let r = active_runs(&w, 0.9, 1.5);
        assert_eq!(r, vec![RunRecord { first: 0, count: 2 }, RunRecord { first: 3, count: 2 }]);
        assert!(active_runs(&w[2..3], 0.0, 2.9).is_empty());
        // The closed end: a window starting exactly at b is active.
        assert_eq!(active_runs(&w[2..3], 2.0, 3.0).len(), 1);
    }
}
