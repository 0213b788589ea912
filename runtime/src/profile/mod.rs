//! Profiling (DESIGN §9): what each frame cost and what it drew, always measured and cheap to
//! keep, captured on request into a bounded ring and exported as a Chrome trace or CSV.
//!
//! Stats of a frame are known once the GPU has finished it, so they arrive a frame or two late
//! and are never waited for in the steady state: GPU stage times from timestamp queries,
//! counters the slice pass wrote, and the CPU phases measured when the frame was made.

#[cfg(target_os = "android")]
mod atrace;
mod trace;

use std::collections::VecDeque;

pub use trace::TRACE_NAMES;

/// Levels of detail a frame's counters can tell apart.
pub const MAX_LEVELS: usize = 8;
/// The most frames a capture may hold.
pub const MAX_CAPTURE_FRAMES: u32 = 1 << 20;

/// GPU time of each stage of one frame, in milliseconds, from timestamp queries.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StageTimes {
    /// Which frame: 1 for the renderer's first.
    pub frame: u64,
    /// When the frame began on the GPU, in nanoseconds of the GPU's clock.
    pub start_ns: u64,
    /// Slice + cull of the active primitives.
    pub slice: f64,
    pub sort: f64,
    /// Splat raster of every view.
    pub raster: f64,
    /// Resolve into the target, every view. On tile-based GPUs the raster and resolve subpasses
    /// run together tile by tile, and only `raster + resolve` means anything.
    pub resolve: f64,
}

impl StageTimes {
    pub fn total(&self) -> f64 {
        self.slice + self.sort + self.raster + self.resolve
    }
}

/// CPU time of each phase of making one frame, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CpuTimes {
    /// When the frame began, in nanoseconds since the renderer was made.
    pub start_ns: u64,
    /// Waiting for the GPU to release the frame's resources (two frames back).
    pub wait: f64,
    /// Choosing the active runs, writing uniforms.
    pub prepare: f64,
    /// Recording the command buffer.
    pub record: f64,
    /// `vkQueueSubmit` (zero for frames recorded into a host's command buffer).
    pub submit: f64,
}

impl CpuTimes {
    pub fn total(&self) -> f64 {
        self.wait + self.prepare + self.record + self.submit
    }
}

/// What one frame processed and drew.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Primitives the slice pass went over: those of the active runs at the frame's time.
    pub active: u32,
    /// Primitives that survived the temporal and frustum culls (the union of the views).
    pub visible: u32,
    /// Splats drawn into each view (the second is 0 for one view).
    pub drawn: [u32; 2],
    /// Visible primitives per level of detail (they sum to `visible`).
    pub levels: [u32; MAX_LEVELS],
    /// The temporal segment the frame's time fell in.
    pub segment: u32,
    /// Bytes of the asset's primitives resident on the GPU (streaming: the pages held now).
    pub resident_bytes: u64,
    /// Bytes of GPU memory the runtime's allocator holds on the device (every renderer).
    pub gpu_memory_bytes: u64,
    /// Bytes the CPU wrote for the frame into GPU-visible memory (uniforms, run table,
    /// streamed segments).
    pub upload_bytes: u64,
    /// Pages of primitives (`renderer::PAGE` each) streamed in for the frame.
    pub page_uploads: u32,
    /// Of those, pages the frame itself needed: not read ahead in time (after a seek, or
    /// when playback outran the read-ahead), so the frame waited for them.
    pub page_misses: u32,
    /// Of `page_uploads`, pages copied on the upload queue beside the frame before (a
    /// transfer queue where the device has one); the rest were copied by the frame itself.
    pub pages_apart: u32,
}

/// The levels of detail a frame drew, and γ, FLoD's screen-size threshold, it drew them at.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LodStats {
    /// The finest level drawn (finer ones could not be seen nearer than the near plane).
    pub finest: u32,
    pub coarsest: u32,
    pub gamma: f32,
}

/// Everything measured of one frame.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FrameStats {
    /// Which frame: 1 for the renderer's first.
    pub frame: u64,
    /// Playback time the frame showed, in the asset's seconds.
    pub time: f32,
    pub views: u32,
    pub lod: LodStats,
    pub cpu: CpuTimes,
    /// `None` where the queue has no timestamps, statistics are off, or (for a frame recorded
    /// into a host's command buffer) the results were not there when the slot was reused.
    pub gpu: Option<StageTimes>,
    /// GPU-written counters are zero when `gpu` is `None`.
    pub counters: Counters,
}

/// The device a capture was made on, for reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceInfo {
    pub name: String,
    /// The driver's name and version string (`VkPhysicalDeviceDriverProperties`), or its
    /// packed version where the device is older than Vulkan 1.2.
    pub driver: String,
    /// Vulkan version, e.g. "1.3".
    pub api: String,
    pub vendor_id: u32,
    pub device_id: u32,
}

/// Frames recorded between a start and a stop, oldest first; the oldest are dropped once
/// `capacity` are held.
#[derive(Clone, Debug)]
pub struct Capture {
    frames: VecDeque<FrameStats>,
    capacity: usize,
    dropped: u64,
    pub device: DeviceInfo,
    /// Views per frame and their size.
    pub views: u32,
    pub size: [u32; 2],
}

impl Capture {
    pub fn new(capacity: u32, device: DeviceInfo, views: u32, size: [u32; 2]) -> Capture {
        let capacity = capacity.clamp(1, MAX_CAPTURE_FRAMES) as usize;
        // Grows as frames arrive: a large capacity costs nothing until it is used.
        Capture { frames: VecDeque::with_capacity(capacity.min(1024)), capacity, dropped: 0, device, views, size }
    }

    pub fn push(&mut self, stats: FrameStats) {
        if self.frames.len() == self.capacity {
            self.frames.pop_front();
            self.dropped += 1;
        }
        self.frames.push_back(stats);
    }

    pub fn frames(&self) -> impl ExactSizeIterator<Item = &FrameStats> + '_ {
        self.frames.iter()
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&FrameStats> {
        self.frames.get(i)
    }

    /// Frames that did not fit and were dropped, oldest first.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The Chrome trace-event JSON of the capture (see [`TRACE_NAMES`] for what is in it).
    pub fn chrome_trace(&self) -> String {
        trace::chrome_trace(self)
    }

    /// One line per frame, with a header naming the columns.
    pub fn csv(&self) -> String {
        trace::csv(self)
    }
}

/// Percentiles of a series, by the nearest-rank method.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Percentiles {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

impl Percentiles {
    /// `None` for an empty series; NaNs are left out.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Percentiles> {
        let mut v: Vec<f64> = values.into_iter().filter(|x| !x.is_nan()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let rank = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        Some(Percentiles {
            p50: rank(0.50),
            p95: rank(0.95),
            p99: rank(0.99),
            max: v[v.len() - 1],
            mean: v.iter().sum::<f64>() / v.len() as f64,
        })
    }
}

/// A CPU section for the platform's system tracer (ATrace on Android; nothing elsewhere),
/// ended when dropped.
pub(crate) struct Section {
    #[cfg(target_os = "android")]
    _section: atrace::Section,
}

impl Section {
    #[inline]
    pub(crate) fn begin(_name: &'static std::ffi::CStr) -> Section {
        Section {
            #[cfg(target_os = "android")]
            _section: atrace::Section::begin(_name),
        }
    }
}

/// A frame's GPU stage times as system-tracer counters (ATrace on Android; nothing elsewhere).
#[inline]
pub(crate) fn trace_gpu_times(_times: &StageTimes) {
    #[cfg(target_os = "android")]
    atrace::gpu_times(_times);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: u64) -> FrameStats {
        FrameStats { frame: n, ..Default::default() }
    }

    #[test]
    fn capture_keeps_the_newest_frames() {
        let mut c = Capture::new(3, DeviceInfo::default(), 1, [8, 8]);
        for n in 1..=5 {
            c.push(frame(n));
        }
        assert_eq!(c.frames().map(|f| f.frame).collect::<Vec<_>>(), [3, 4, 5]);
        assert_eq!(c.dropped(), 2);
    }

    #[test]
    fn capture_capacity_is_bounded() {
        let c = Capture::new(u32::MAX, DeviceInfo::default(), 1, [8, 8]);
        assert_eq!(c.capacity, MAX_CAPTURE_FRAMES as usize);
        assert_eq!(Capture::new(0, DeviceInfo::default(), 1, [8, 8]).capacity, 1);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let p = Percentiles::of((1..=100).map(f64::from)).unwrap();
        assert_eq!((p.p50, p.p95, p.p99, p.max, p.mean), (50.0, 95.0, 99.0, 100.0, 50.5));
        let one = Percentiles::of([f64::NAN, 7.0]).unwrap();
        assert_eq!((one.p50, one.p99, one.max), (7.0, 7.0, 7.0));
        assert!(Percentiles::of([]).is_none());
    }
}
