//! Temporal segments (DESIGN §3): the asset's time range cut into slices of a few frames, the
//! pack order that makes each slice's active primitives a few runs, and those runs.
//!
//! Bounds are computed in f64 and stored as the f32 the format holds; a time range whose slices
//! f32 cannot tell apart (far from 0, short segments) is refused with the reason. Which segments
//! a primitive is active in is an interval, found by binary search, so building every segment's
//! runs costs O(n log n) for the order plus O(log n) per run written, however many segments.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::asset::format::{RunRecord, SegmentRecord};
use crate::error::{Error, Result};
use crate::math::morton3;
use crate::splats::Splats;

/// The most segments an asset may have: enough for hours of video at 20 frames each.
pub const MAX_SEGMENTS: u64 = 1 << 20;

/// The segments' bounds: segment `s` is `[bounds[s], bounds[s + 1]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    bounds: Vec<f32>,
    /// The nominal segment length, in seconds.
    pub duration: f64,
}

impl Timeline {
    /// Slices of `segment_frames` frames at `frame_rate` over `[t0, t1]` (one slice of no
    /// length for a static asset, `t0 == t1`).
    pub fn new([t0, t1]: [f32; 2], frame_rate: f32, segment_frames: u32) -> Result<Timeline> {
        let duration = segment_frames as f64 / frame_rate as f64;
        let (a, b) = (t0 as f64, t1 as f64);
        let count = ((b - a) / duration).ceil().max(1.0);
        if count > MAX_SEGMENTS as f64 {
            return Err(Error::InvalidArgument(format!("{count} segments is too many; raise --segment-frames")));
        }
        let count = count as usize;
        let mut bounds: Vec<f32> = (0..count).map(|s| (a + s as f64 * duration) as f32).collect();
        // A last slice shorter than f32 can hold is part of the one before.
        while bounds.len() > 1 && *bounds.last().unwrap() >= t1 {
            bounds.pop();
        }
        bounds.push(t1);
        if t0 < t1 {
            if let Some(w) = bounds.windows(2).find(|w| w[0] >= w[1]) {
                return Err(Error::InvalidArgument(format!(
                    "the time range {t0}..{t1} cannot be cut into segments of {duration} s: single-precision (f32) \
                     times near {} are {} apart, which is what the asset stores; shift the time range towards 0 \
                     (--time-range) or lengthen the segments (--segment-frames)",
                    w[0],
                    crate::math::ulp(w[0])
                )));
            }
        }
        Ok(Timeline { bounds, duration })
    }

    pub fn count(&self) -> usize {
        self.bounds.len() - 1
    }

    pub fn segment(&self, s: usize) -> [f32; 2] {
        [self.bounds[s], self.bounds[s + 1]]
    }

    /// The first and last segment a window `[begin, end)` is active in: where it overlaps the
    /// segment's closed interval (so that every time a segment answers for, its end included,
    /// is covered). `None` where it is active in none.
    pub fn span(&self, [begin, end]: [f32; 2]) -> Option<(u32, u32)> {
        let starts = &self.bounds[..self.count()];
        let ends = &self.bounds[1..];
        let first = ends.partition_point(|&e| e < begin);
        let after = starts.partition_point(|&a| a < end);
        (first < after).then(|| (first as u32, after as u32 - 1))
    }
}

/// A level's primitives in pack order.
pub struct Ordered<'a> {
    /// Indices into the level's splats.
    pub order: Vec<u32>,
    splats: &'a Splats,
}

impl Ordered<'_> {
    /// The first and last segment the primitive at `at` in pack order is active in.
    fn span(&self, timeline: &Timeline, at: usize) -> Option<(u32, u32)> {
        let t = self.splats.temporal()[self.order[at] as usize];
        timeline.span([t[0], t[1]])
    }
}

/// Bits of the pack-order key: first segment, last segment (reversed), Morton code of the
/// centre (18 bits an axis), index. Segments are fewer than 2^20, so 2^21 - 1 is "none".
const SEGMENT_BITS: u32 = 21;
const AXIS_BITS: u32 = 18;
const NO_SEGMENT: u128 = (1 << SEGMENT_BITS) - 1;

/// Pack order: by the first segment a primitive is active in, then by the last, latest first.
/// A segment's active set is then one run per earlier first segment (those of each group that
/// are still alive lead it) instead of a range broken wherever an earlier primitive has died:
/// a few runs, however many primitives. Ties in Morton order of the centre, for memory locality
/// on the GPU; then source order, so the order is total. Primitives active in no segment go
/// last. The whole key is one u128 (16 bytes a primitive while sorting).
pub fn pack_order<'a>(splats: &'a Splats, min: [f32; 3], max: [f32; 3], timeline: &Timeline) -> Ordered<'a> {
    const _: () = assert!(MAX_SEGMENTS < NO_SEGMENT as u64);
    let quantise = |v: f32, lo: f32, hi: f32| {
        let u = if hi > lo { (v - lo) / (hi - lo) } else { 0.0 };
        (u.clamp(0.0, 1.0) * ((1 << AXIS_BITS) - 1) as f32) as u32
    };
    let mut keys: Vec<u128> = splats
        .positions()
        .par_iter()
        .zip(splats.temporal())
        .enumerate()
        .map(|(i, (p, t))| {
            let q: [u32; 3] = std::array::from_fn(|a| quantise(p[a], min[a], max[a]));
            let (first, last) = match timeline.span([t[0], t[1]]) {
                Some((f, l)) => (f as u128, l as u128),
                None => (NO_SEGMENT, 0),
            };
            let morton = morton3(q[0], q[1], q[2]) as u128;
            first << (128 - SEGMENT_BITS) | (NO_SEGMENT - last) << (128 - 2 * SEGMENT_BITS) | morton << 32 | i as u128
        })
        .collect();
    keys.par_sort_unstable();
    Ordered { order: keys.iter().map(|&k| k as u32).collect(), splats }
}

/// Every segment's record and runs, for levels placed one after another in pack order.
pub fn segment_runs(timeline: &Timeline, levels: &[&Ordered]) -> (Vec<SegmentRecord>, Vec<RunRecord>) {
    // Groups: the members of a level sharing a first segment, contiguous in pack order with
    // their last segments falling. Group g is active from its first segment to its first
    // member's last, and in segment s its members whose last is ≥ s are a prefix.
    struct Group {
        /// Where it starts in the asset, and in its level.
        start: u32,
        level: usize,
        at: usize,
        len: usize,
    }
    let count = timeline.count();
    let mut groups: Vec<Group> = Vec::new();
    let mut opens: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut closes: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut base = 0u32;
    for (l, level) in levels.iter().enumerate() {
        let mut at = 0;
        while at < level.order.len() {
            let Some((first, last)) = level.span(timeline, at) else { break };
            // The group runs to the first primitive with another first segment.
            let len = partition(level.order.len() - at, |j| level.span(timeline, at + j).is_some_and(|s| s.0 == first));
            opens[first as usize].push(groups.len());
            closes[last as usize].push(groups.len());
            groups.push(Group { start: base + at as u32, level: l, at, len });
            at += len;
        }
        base += level.order.len() as u32;
    }
    let mut active: BTreeMap<u32, usize> = BTreeMap::new();
    let mut segments = Vec::with_capacity(count);
    let mut runs: Vec<RunRecord> = Vec::new();
    for s in 0..count {
        for &g in &opens[s] {
            active.insert(groups[g].start, g);
        }
        let first_run = runs.len();
        let mut active_count = 0u32;
        for &g in active.values() {
            let group = &groups[g];
            let level = levels[group.level];
            let alive = |j: usize| level.span(timeline, group.at + j).is_some_and(|span| span.1 >= s as u32);
            let n = partition(group.len, alive) as u32;
            active_count += n;
            let in_segment = runs.len() > first_run;
            match runs.last_mut() {
                Some(r) if in_segment && r.first + r.count == group.start => r.count += n,
                _ => runs.push(RunRecord { first: group.start, count: n }),
            }
        }
        for &g in &closes[s] {
            active.remove(&groups[g].start);
        }
        segments.push(SegmentRecord {
            time: timeline.segment(s),
            first_run: first_run as u32,
            run_count: (runs.len() - first_run) as u32,
            active_count,
            reserved: 0,
        });
    }
    (segments, runs)
}

/// The number of leading `0..len` for which `pred` holds, where it holds for a prefix.
fn partition(len: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asset::format::SourceKind;
    use crate::primitive::Primitive;

    /// What every segment's runs must be, by brute force: the primitives (in pack order) whose
    /// window overlaps the segment's closed interval, contiguous ones merged.
    fn brute_force(windows: &[[f32; 2]], [a, b]: [f32; 2]) -> Vec<RunRecord> {
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

    fn random_splats(n: usize, seed: u64, duration: f32) -> Splats {
        let mut s = Splats::new(SourceKind::Procedural, 0, 0, [0.0, duration], 30.0);
        let mut state = seed;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 40) as f32 / (1u64 << 24) as f32
        };
        for i in 0..n {
            let begin = next() * (duration + 2.0) - 1.0;
            let window = match i % 97 {
                0 => [f32::NEG_INFINITY, f32::INFINITY],
                1 => [-5.0, -1.0],
                _ => [begin, begin + next() * 1.3 + 1e-3],
            };
            let p = Primitive { position: glam::Vec3::new(next(), next(), next()), window, ..Default::default() };
            assert!(s.push(p, &[[0.0; 3]]));
        }
        s
    }

    #[test]
    fn runs_equal_the_brute_force_definition_across_levels() {
        let levels = [random_splats(5000, 3, 10.0), random_splats(700, 9, 10.0)];
        let timeline = Timeline::new([0.0, 10.0], 30.0, 20).unwrap();
        let ordered: Vec<Ordered> = levels.iter().map(|l| pack_order(l, [0.0; 3], [1.0; 3], &timeline)).collect();
        let windows: Vec<[f32; 2]> = levels
            .iter()
            .zip(&ordered)
            .flat_map(|(l, o)| o.order.iter().map(|&i| [l.temporal()[i as usize][0], l.temporal()[i as usize][1]]))
            .collect();
        let (segments, runs) = segment_runs(&timeline, &ordered.iter().collect::<Vec<_>>());
        assert_eq!(segments.len(), 15);
        for (s, record) in segments.iter().enumerate() {
            let got = &runs[record.first_run as usize..(record.first_run + record.run_count) as usize];
            assert_eq!(got, brute_force(&windows, record.time), "segment {s}");
            assert_eq!(record.active_count, got.iter().map(|r| r.count).sum::<u32>());
        }
        // Few runs per segment however lives overlap: about one per level per first segment
        // alive (lives here span at most two segments), plus the static ones.
        let most = segments.iter().map(|s| s.run_count).max().unwrap();
        assert!(most <= 8, "a segment has {most} runs");
    }

    #[test]
    fn bounds_far_from_zero_are_exact_or_refused() {
        // 2^24 + [0, 84] s at 30 fps in 20-frame segments: f32 steps of 2 s there cannot hold
        // 0.667 s segments.
        let e = Timeline::new([16777216.0, 16777300.0], 30.0, 20).unwrap_err().to_string();
        assert!(e.contains("cannot be cut into segments") && e.contains("are 2 apart"), "{e}");
        // 4-second segments can be held there: every bound an exact f32, in order.
        let t = Timeline::new([16777216.0, 16777300.0], 30.0, 120).unwrap();
        assert_eq!(t.count(), 21);
        assert_eq!((t.segment(0)[0], t.segment(20)[1]), (16777216.0, 16777300.0));
        // A last segment shorter than f32 can hold joins the one before: segments of
        // 1 + 2⁻²⁴ s over [0, 1 + 2⁻²³] would leave one of 2⁻²⁴ s, whose start rounds to the end.
        let t = Timeline::new([0.0, 1.0 + f32::EPSILON], 1.0 - f32::EPSILON / 2.0, 1).unwrap();
        assert_eq!((t.count(), t.segment(0)), (1, [0.0, 1.0 + f32::EPSILON]));
        let s = Timeline::new([3.0, 3.0], 30.0, 20).unwrap();
        assert_eq!((s.count(), s.span([f32::NEG_INFINITY, f32::INFINITY])), (1, Some((0, 0))));
    }

    #[test]
    fn spans_are_where_windows_overlap_closed_segments() {
        let t = Timeline::new([0.0, 3.0], 1.0, 1).unwrap();
        assert_eq!(t.span([0.5, 1.5]), Some((0, 1)));
        assert_eq!(t.span([1.0, 1.5]), Some((0, 1)), "a window starting at a segment's end is active in it");
        assert_eq!(t.span([-2.0, 0.0]), None, "ends before the clip starts");
        assert_eq!(t.span([3.5, 4.0]), None);
        assert_eq!(t.span([f32::NEG_INFINITY, f32::INFINITY]), Some((0, 2)));
    }
}
