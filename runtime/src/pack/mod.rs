//! The packer: [`Splats`] in, `.s4d` out (DESIGN §3). Orders primitives so that the active
//! sets of temporal segments are a few runs each ([`segments`]), computes those sets exactly
//! from each primitive's window, stores attributes as f16 where that loses nothing that matters
//! (`splats::tolerance`), and writes a checksummed, deterministic file ([`writer`]) a chunk at a
//! time: packing needs the memory of the splats and a few bytes per primitive for the order,
//! not a second copy of the asset.

pub mod segments;
mod writer;

use std::io::{Cursor, Seek, Write};
use std::path::Path;

use crate::asset::format::*;
use crate::asset::{Asset, Verify};
use crate::camera::Camera;
use crate::error::{Error, Result};
use crate::fs::Output;
use crate::lod;
use crate::splats::{Column, Splats};
pub use segments::MAX_SEGMENTS;
use segments::{pack_order, segment_runs, Ordered, Timeline};
use writer::{Body, Chunk};

#[derive(Clone, Debug)]
pub struct PackOptions {
    /// Frames per temporal segment (at the asset's frame rate).
    pub segment_frames: u32,
    /// Store every attribute as f32 (for comparisons; larger files). The splats must then be
    /// held in full precision (`ImportOptions::precision`).
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

/// Packs `splats`, with `options.levels - 1` coarser levels merged from them, in memory.
pub fn pack(splats: &Splats, options: &PackOptions, progress: &dyn Progress) -> Result<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    pack_to(splats, options, progress, &mut out, Path::new("<memory>"))?;
    Ok(out.into_inner())
}

/// Packs `splats` as [`pack`] does into `out` (at its start), named `name` in errors; returns
/// the asset's size.
pub fn pack_to<W: Write + Seek>(
    splats: &Splats,
    options: &PackOptions,
    progress: &dyn Progress,
    out: &mut W,
    name: &Path,
) -> Result<u64> {
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
    // Refused before the levels are merged, not after.
    timeline(splats, options)?;
    progress.stage("levels", floors.len() as u64 - 1);
    let coarse = lod::merge::build_levels(splats, &floors, progress);
    let levels: Vec<&Splats> = std::iter::once(splats).chain(&coarse).collect();
    pack_levels_to(&levels, &floors, options, progress, out, name)
}

/// Writes an asset with `write` to a file beside `path`, opens it from there with every
/// checksum checked, and only then renames it over `path`: a pack that fails, or that its own
/// reader refuses, leaves no file and any older file of that name as it was. Returns the size
/// and the asset opened from `path`.
pub fn write_asset(path: &Path, write: impl FnOnce(&mut std::fs::File) -> Result<u64>) -> Result<(u64, Asset)> {
    let mut out = Output::create(path)?;
    let size = write(out.file()?)?;
    out.finish()?;
    Asset::open(out.temporary_path(), Verify::Full).map_err(|e| {
        Error::Asset(format!("the packed asset does not read back ({e}); {} was not written", path.display()))
    })?;
    out.commit()?;
    Ok((size, Asset::open(path, Verify::Structure)?))
}

/// The segments of `splats`' time range, or why it cannot be cut into them.
fn timeline(splats: &Splats, options: &PackOptions) -> Result<Timeline> {
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
    Timeline::new(splats.time_range, splats.frame_rate, options.segment_frames)
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
/// FLoD levels), in memory. The finest level's metadata and cameras describe the asset; every
/// level must have the same colour layout.
pub fn pack_levels(
    levels: &[&Splats],
    floors: &[f32],
    options: &PackOptions,
    progress: &dyn Progress,
) -> Result<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    pack_levels_to(levels, floors, options, progress, &mut out, Path::new("<memory>"))?;
    Ok(out.into_inner())
}

/// [`pack_levels`] into `out`; returns the asset's size.
pub fn pack_levels_to<W: Write + Seek>(
    levels: &[&Splats],
    floors: &[f32],
    options: &PackOptions,
    progress: &dyn Progress,
    out: &mut W,
    name: &Path,
) -> Result<u64> {
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
        if options.full_precision && level.precision() != crate::splats::Precision::Full {
            return Err(Error::InvalidArgument(
                "a full-precision pack needs splats held in full precision (import with Precision::Full)".into(),
            ));
        }
    }
    let n: usize = levels.iter().map(|l| l.len()).sum();
    if n >= u32::MAX as usize {
        return Err(Error::InvalidArgument(format!("{n} primitives is more than an asset can hold")));
    }
    let timeline = timeline(splats, options)?;
    let [t0, t1] = splats.time_range;

    progress.stage("order", n as u64);
    let (bounds_min, bounds_max) = bounds(splats);
    // Each level in its own contiguous range, in pack order within it.
    let ordered: Vec<Ordered> = levels
        .iter()
        .map(|level| {
            let o = pack_order(level, bounds_min, bounds_max, &timeline);
            progress.advance(level.len() as u64);
            o
        })
        .collect();
    progress.stage("segments", timeline.count() as u64);
    let (segments, runs) = segment_runs(&timeline, &ordered.iter().collect::<Vec<_>>());
    progress.advance(timeline.count() as u64);
    let orders: Vec<Vec<u32>> = ordered.into_iter().map(|o| o.order).collect();

    let motion_degree = levels.iter().map(|l| l.motion_degree()).max().unwrap_or(0) as usize;
    let has_omega = levels.iter().any(|l| l.has_omega());
    let k = splats.coeff_count();
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

    progress.stage("write", 1);
    let info = AssetInfo {
        primitive_count: n as u32,
        segment_count: segments.len() as u32,
        level_count: levels.len() as u32,
        camera_count: splats.cameras.len() as u32,
        sh_degree: splats.sh_degree as u8,
        sh_degree_t: splats.sh_degree_t as u8,
        motion_degree: motion_degree as u8,
        render_flags: if splats.antialiased { render_flags::ANTIALIASED } else { 0 },
        source_kind: splats.source as u32,
        time_range: [t0, t1],
        frame_rate: splats.frame_rate,
        segment_duration: timeline.duration as f32,
        sh_time_period: splats.sh_time_period,
        bounds_min,
        bounds_max,
        focus: focus(splats),
        source_records: splats.report.read.min(u32::MAX as u64) as u32,
        dropped_records: splats.report.dropped_total().min(u32::MAX as u64) as u32,
        reserved: [0; 5],
    };
    let packed = Packed { levels, orders: &orders, n: n as u64, full: options.full_precision };
    let mut chunks = vec![
        Chunk::pod(kind::INFO, &[info]),
        Chunk::text(kind::PROVENANCE, &provenance(splats, &level_records)),
        Chunk::pod(kind::CAMERAS, &splats.cameras.iter().map(camera_to_record).collect::<Vec<_>>()),
        Chunk::pod(kind::SEGMENTS, &segments),
        Chunk::pod(kind::RUNS, &runs),
        Chunk::pod(kind::LEVELS, &level_records),
        packed.floats(kind::POSITION, |l| l.positions()),
        packed.floats(kind::TEMPORAL, |l| l.temporal()),
        packed.column(kind::ROTATION, 4, |l| Some(l.columns().0)),
        packed.column(kind::SCALE_OPACITY, 4, |l| Some(l.columns().1)),
        packed.column(kind::SH, 3 * k, |l| Some(l.columns().4)),
    ];
    drop((segments, runs));
    if motion_degree > 0 {
        chunks.push(packed.motion(motion_degree));
    }
    if has_omega {
        chunks.push(packed.column(kind::OMEGA, 4, |l| l.columns().3));
    }
    let size = writer::write(&chunks, out, name)?;
    progress.advance(1);
    Ok(size)
}

/// Levels of splats and their pack orders: the per-primitive chunks' contents.
#[derive(Clone, Copy)]
struct Packed<'a> {
    levels: &'a [&'a Splats],
    orders: &'a [Vec<u32>],
    n: u64,
    full: bool,
}

impl<'a> Packed<'a> {
    /// Every primitive in pack order, as (level, index in it).
    fn primitive(&self, mut i: usize) -> (&'a Splats, usize) {
        for (level, order) in self.levels.iter().zip(self.orders) {
            if i < order.len() {
                return (level, order[i] as usize);
            }
            i -= order.len();
        }
        unreachable!("primitive {i} beyond the asset")
    }

    /// An f32 × 4 chunk from each level's array.
    fn floats(&self, kind: [u8; 4], get: fn(&Splats) -> &[[f32; 4]]) -> Chunk<'a> {
        let this = *self;
        let write = move |i: usize, out: &mut Vec<u8>| {
            let (level, j) = this.primitive(i);
            out.extend_from_slice(bytemuck::bytes_of(&get(level)[j]));
        };
        Chunk {
            kind,
            encoding: Encoding::F32,
            stride: 16,
            body: Body::Elements { count: self.n, write: Box::new(write) },
        }
    }

    /// A chunk of one column per level (a level without it holds zeros), f16 where every
    /// level's fits.
    fn column(&self, kind: [u8; 4], components: usize, get: fn(&Splats) -> Option<&Column>) -> Chunk<'a> {
        let encoding = self.encoding(|l| get(l).into_iter().collect());
        let this = *self;
        let zeros = vec![0u8; components * encoding.bytes() as usize];
        let write = move |i: usize, out: &mut Vec<u8>| {
            let (level, j) = this.primitive(i);
            match get(level) {
                Some(c) => c.write(j, encoding, out),
                None => out.extend_from_slice(&zeros),
            }
        };
        let stride = components as u32 * encoding.bytes();
        Chunk { kind, encoding, stride, body: Body::Elements { count: self.n, write: Box::new(write) } }
    }

    /// The motion chunk: `degree` orders of (x, y, z, 0) per primitive.
    fn motion(&self, degree: usize) -> Chunk<'a> {
        let encoding = self.encoding(|l| l.columns().2[..degree].iter().flatten().collect());
        let this = *self;
        let zeros = vec![0u8; 4 * encoding.bytes() as usize];
        let write = move |i: usize, out: &mut Vec<u8>| {
            let (level, j) = this.primitive(i);
            for m in &level.columns().2[..degree] {
                match m {
                    Some(c) => c.write(j, encoding, out),
                    None => out.extend_from_slice(&zeros),
                }
            }
        };
        let stride = 4 * degree as u32 * encoding.bytes();
        Chunk { kind: kind::MOTION, encoding, stride, body: Body::Elements { count: self.n, write: Box::new(write) } }
    }

    /// f16 where every level's columns fit it (and full precision is not asked for).
    fn encoding(&self, columns: impl Fn(&Splats) -> Vec<&Column>) -> Encoding {
        let f16 = self.levels.iter().all(|l| columns(l).iter().all(|c| c.encoding(self.full) == Encoding::F16));
        if f16 {
            Encoding::F16
        } else {
            Encoding::F32
        }
    }
}

fn bounds(splats: &Splats) -> ([f32; 3], [f32; 3]) {
    if splats.is_empty() {
        return ([0.0; 3], [0.0; 3]);
    }
    let (lo, hi) = splats.positions().iter().fold((glam::Vec3::INFINITY, glam::Vec3::NEG_INFINITY), |(lo, hi), p| {
        let p = glam::Vec4::from(*p).truncate();
        (lo.min(p), hi.max(p))
    });
    (lo.to_array(), hi.to_array())
}

/// Median centre and the radius holding 90% of the primitives: robust to stray far splats.
fn focus(splats: &Splats) -> [f32; 4] {
    let n = splats.len();
    if n == 0 {
        return [0.0, 0.0, 0.0, 1.0];
    }
    let median = |axis: usize| {
        let mut v: Vec<f32> = splats.positions().iter().map(|p| p[axis]).collect();
        *v.select_nth_unstable_by(n / 2, f32::total_cmp).1
    };
    let c = glam::Vec3::new(median(0), median(1), median(2));
    let mut d: Vec<f32> = splats.positions().iter().map(|p| glam::Vec4::from(*p).truncate().distance(c)).collect();
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
}
