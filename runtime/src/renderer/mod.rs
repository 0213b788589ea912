//! The GPU frame (DESIGN §5): slice + cull (compute) → radix sort (compute) → splat raster
//! with multiview for two eyes → resolve into the target, with two frames in flight (or as
//! many as a host asks for). Frame
//! logic lives here; the Vulkan plumbing in `gpu`.

mod composite;
mod frame;
mod host;
mod pass;
mod pipelines;
mod plan;
mod policy;
mod resident;
mod target;
mod uploads;

use std::time::{Duration, Instant};

use ash::vk;
use glam::Vec3;

use crate::asset::format::RunRecord;
use crate::asset::Asset;
use crate::camera::Camera;
use crate::error::{Error, Result};
use crate::gpu::sort::{RadixSort, COUNT_BYTES};
use crate::gpu::{vk_err, Context};
use crate::lod::{Governor, Selection};
pub use crate::profile::StageTimes;
use crate::profile::{Capture, Counters, CpuTimes, FrameStats, LodStats, Section};
pub use composite::{HostColor, HostDepth, DEPTH_FORMATS};
use frame::{pass_end_slot, raster_end_slot, Frame, FrameSpec, UNIFORM_BYTES};
pub use host::HostTarget;
use pipelines::Pipelines;
use plan::FrameGpu;
pub use policy::FramePolicy;
pub use resident::PAGE;
use resident::{Brought, Resident};
pub use target::TargetFormat;
use uploads::Uploads;

/// Frames in flight unless asked for more: one recorded while the GPU runs the other.
pub const FRAMES_IN_FLIGHT: u32 = 2;
/// The most a renderer keeps (hosts that run further ahead, as Unity can, ask for more).
pub const MAX_FRAMES_IN_FLIGHT: u32 = 8;
const FENCE_TIMEOUT_NS: u64 = 120_000_000_000;
/// View depth at or below which splats are culled, as in 3DGS and the reference.
const NEAR: f32 = 0.2;

/// How splats are ordered for blending (the two depth orders are one for one view).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortOrder {
    /// One sort for both eyes, by distance along their mean view axis from their midpoint:
    /// half the sorting work, and the same order as each eye's own view depth when the eyes
    /// look the same way (they differ only for canted eyes, as some headsets have).
    #[default]
    Shared,
    /// Each eye sorted by its own view depth, as the reference orders one camera: exact
    /// blending order per eye for twice the sorting work.
    PerEye,
    /// One sort for both eyes, by distance from their midpoint: it does not change when the
    /// head turns, so a pure rotation never reorders splats (the depth orders above do, and
    /// splats overlapping at nearly the same depth pop). The reference's
    /// `RenderSettings::sort_from`.
    Distance,
}

#[derive(Clone, Debug)]
pub struct RendererOptions {
    pub width: u32,
    pub height: u32,
    /// 1 (mono) or 2 (stereo, one multiview pass).
    pub views: u32,
    pub format: TargetFormat,
    pub background: Vec3,
    /// `PerEye` is `Shared` for one view.
    pub sort: SortOrder,
    /// Measure every frame: GPU timestamps and the slice pass's counts, read back as frames
    /// finish (see [`Renderer::stats`]). Off, a frame's stats hold only what the CPU knows.
    pub stats: bool,
    /// Frames whose resources are kept apart, 2..=[`MAX_FRAMES_IN_FLIGHT`]: a frame reuses
    /// those of the frame this many frames back. A host recording into command buffers that
    /// run further behind its recording needs more (each costs the frame's buffers again).
    pub frames_in_flight: u32,
}

impl RendererOptions {
    /// `views` views of `width`×`height` in RGBA8 UNORM over black, one sort for both eyes,
    /// stats on: the usual offscreen renderer.
    pub fn new(width: u32, height: u32, views: u32) -> RendererOptions {
        RendererOptions {
            width,
            height,
            views,
            format: TargetFormat::Rgba8Unorm,
            background: Vec3::ZERO,
            sort: SortOrder::Shared,
            stats: true,
            frames_in_flight: FRAMES_IN_FLIGHT,
        }
    }
}

/// Renders one asset. Owns its GPU copy of the asset and the per-frame resources; destroy it
/// with [`Renderer::destroy`] on the context that created it.
pub struct Renderer {
    options: RendererOptions,
    resident: Resident,
    /// Streaming with an upload queue: the frames' page copies, submitted apart.
    uploads: Option<Uploads>,
    pipelines: Pipelines,
    sort: RadixSort,
    command_pool: vk::CommandPool,
    frames: Vec<Frame>,
    next: usize,
    last: Option<usize>,
    /// Frames submitted so far.
    submitted: u64,
    /// Whether the last frame went into a host's image (nothing to read back).
    last_to_host: bool,
    /// Views per render pass: all of them with multiview, else 1.
    pass_views: u32,
    /// Render passes and pipelines for hosts' frames, made on first use.
    variants: composite::Variants,
    /// Stats of the newest finished frame.
    latest: Option<FrameStats>,
    capture: Option<Capture>,
    /// The first frame the capture records.
    capture_from: u64,
    /// Where the CPU times of frames count from.
    epoch: Instant,
    // What the frame logic needs of the asset, copied so the renderer does not borrow it.
    primitives: u32,
    time_range: [f32; 2],
    segments: Vec<([f32; 2], Vec<RunRecord>)>,
    /// Each level's primitives `first..end`, finest first, and its scale floor.
    levels: Vec<(u32, u32)>,
    floors: Vec<f32>,
    lod: Selection,
    governor: Option<Governor>,
    /// Whether a frame goes over its segment's active runs only, or over every primitive.
    active_sets: bool,
    /// The time of the last frame, for the direction streaming reads ahead in.
    last_time: Option<f32>,
    sh: (u32, u32, f32),
    motion_degree: u32,
}

/// Bytes of pages a frame may read ahead for the next segment: the frame's staging buffer.
const PREFETCH_BYTES: u64 = 16 << 20;

impl Renderer {
    /// A renderer with the whole asset resident on the GPU.
    pub fn new(ctx: &Context, asset: &Asset, options: &RendererOptions) -> Result<Renderer> {
        Renderer::create(ctx, asset, options, None)
    }

    /// A renderer that streams the asset's primitives from its file, holding at most
    /// `budget_bytes` of them on the GPU: each frame brings in the pages its segment needs
    /// that are missing (after a seek, all of them: that frame reads and uploads more) and
    /// reads the next segment's ahead, an eighth of them (at most 16 MiB) per frame, so that
    /// playing on needs no wait. The pages are copied on the context's upload queue (a
    /// transfer queue, [`crate::gpu::UploadQueue`]) where it has one, else by the frames.
    /// Frames start with `policy`. Fails where one segment's primitives at the levels it draws
    /// exceed the budget (and [`Renderer::set_policy`] refuses a policy that would).
    pub fn streaming(
        ctx: &Context,
        asset: &Asset,
        options: &RendererOptions,
        budget_bytes: u64,
        policy: &FramePolicy,
    ) -> Result<Renderer> {
        let mut renderer = Renderer::create(ctx, asset, options, Some(budget_bytes))?;
        if let Err(e) = renderer.set_policy(policy) {
            renderer.destroy(ctx);
            return Err(e);
        }
        Ok(renderer)
    }

    fn create(ctx: &Context, asset: &Asset, options: &RendererOptions, budget: Option<u64>) -> Result<Renderer> {
        if !(options.views == 1 || options.views == 2) {
            return Err(Error::InvalidArgument(format!("{} views: 1 or 2 are supported", options.views)));
        }
        if options.width == 0 || options.height == 0 || options.width > 16384 || options.height > 16384 {
            return Err(Error::InvalidArgument(format!(
                "target {}x{} outside 1..=16384",
                options.width, options.height
            )));
        }
        if !(FRAMES_IN_FLIGHT..=MAX_FRAMES_IN_FLIGHT).contains(&options.frames_in_flight) {
            return Err(Error::InvalidArgument(format!(
                "{} frames in flight: {FRAMES_IN_FLIGHT}..={MAX_FRAMES_IN_FLIGHT} are supported",
                options.frames_in_flight
            )));
        }
        options.format.check_supported(ctx)?;
        let lod = Selection::default().for_levels(asset.levels().len())?;
        // Both eyes in one pass where the device has multiview; one pass per eye where not.
        let pass_views = if ctx.multiview { options.views } else { 1 };
        let resident = match budget {
            Some(b) => Resident::streaming(ctx, asset, b)?,
            None => Resident::upload(ctx, asset)?,
        };
        let pipelines = match Pipelines::new(ctx, options.format.vk(), pass_views) {
            Ok(p) => p,
            Err(e) => {
                resident.destroy(ctx);
                return Err(e);
            }
        };
        let sort = match RadixSort::new(ctx) {
            Ok(s) => s,
            Err(e) => {
                pipelines.destroy(ctx);
                resident.destroy(ctx);
                return Err(e);
            }
        };
        let pool_info = vk::CommandPoolCreateInfo::default()
            .queue_family_index(ctx.queue_family)
            .flags(vk::CommandPoolCreateFlags::RESET_COMMAND_BUFFER);
        let command_pool = match unsafe { ctx.device.create_command_pool(&pool_info, None) } {
            Ok(p) => p,
            Err(e) => {
                sort.destroy(ctx);
                pipelines.destroy(ctx);
                resident.destroy(ctx);
                return Err(vk_err("vkCreateCommandPool")(e));
            }
        };
        let segments: Vec<_> =
            (0..asset.segments().len()).map(|s| (asset.segments()[s].time, asset.segment_runs(s).to_vec())).collect();
        let levels: Vec<(u32, u32)> = asset.levels().iter().map(|l| (l.first, l.first + l.count)).collect();
        // A segment's runs split at most once more at each level and chunk boundary.
        let most_runs = segments.iter().map(|s| s.1.len()).max().unwrap_or(0).max(1) + levels.len();
        let info = asset.info();
        let mut renderer = Renderer {
            options: options.clone(),
            resident,
            uploads: None,
            pipelines,
            sort,
            command_pool,
            frames: Vec::new(),
            next: 0,
            last: None,
            submitted: 0,
            last_to_host: false,
            pass_views,
            variants: composite::Variants::default(),
            latest: None,
            capture: None,
            capture_from: 0,
            epoch: Instant::now(),
            primitives: asset.len() as u32,
            time_range: info.time_range,
            segments,
            levels,
            floors: asset.level_floors(),
            lod,
            governor: None,
            active_sets: true,
            last_time: None,
            sh: (info.sh_degree as u32, info.sh_degree_t as u32, info.sh_time_period),
            motion_degree: info.motion_degree as u32,
        };
        let streaming = renderer.resident.is_streaming();
        let spec = FrameSpec {
            width: options.width,
            height: options.height,
            views: options.views,
            format: options.format.vk(),
            texel_bytes: options.format.texel_bytes() as u64,
            capacity: renderer.primitives.max(1),
            // A segment's runs split at most once more at each chunk boundary.
            // Streaming splits them at every page too.
            run_capacity: (most_runs
                + renderer.resident.chunks.len()
                + if streaming { renderer.resident.page_count() } else { 0 }) as u64,
            staging_bytes: if streaming { PREFETCH_BYTES } else { 0 },
            pass_views,
            per_eye_sort: options.sort == SortOrder::PerEye,
        };
        for i in 0..options.frames_in_flight as usize {
            match Frame::new(ctx, i, &spec, &renderer.pipelines, &renderer.sort, &renderer.resident, command_pool) {
                Ok(f) => renderer.frames.push(f),
                Err(e) => {
                    renderer.destroy(ctx);
                    return Err(e);
                }
            }
        }
        if let (true, Some(queue)) = (streaming, ctx.upload_queue) {
            match Uploads::new(ctx, queue, options.frames_in_flight as usize) {
                Ok(u) => renderer.uploads = Some(u),
                Err(e) => {
                    renderer.destroy(ctx);
                    return Err(e);
                }
            }
        }
        Ok(renderer)
    }

    pub fn options(&self) -> &RendererOptions {
        &self.options
    }

    /// Renders the asset at `time` seen by `eyes` (one camera per view, each of the target's
    /// size). Returns once the frame is submitted; waits only for the frame that last used
    /// the same resources, `frames_in_flight` frames ago.
    pub fn render(&mut self, ctx: &Context, time: f32, eyes: &[Camera]) -> Result<()> {
        let _frame = Section::begin(c"splat4d frame");
        let (index, dispatches) = self.prepare(ctx, time, eyes, true, false)?;
        let recording = Instant::now();
        {
            let _record = Section::begin(c"splat4d record");
            self.record(ctx, index, &dispatches)?;
        }
        let submitting = Instant::now();
        let _submit = Section::begin(c"splat4d submit");
        let frame = &mut self.frames[index];
        let cmds = [frame.cmd];
        // The pages uploaded apart, this frame's and those read ahead before, are read by its
        // slice pass (or refilled by its own copies): it waits for the newest upload.
        let wait = self.uploads.as_ref().and_then(Uploads::wait);
        let mut timeline = vk::TimelineSemaphoreSubmitInfo::default();
        let mut submit = vk::SubmitInfo::default().command_buffers(&cmds);
        if let Some(w) = &wait {
            submit = w.add_to(submit, &mut timeline);
        }
        unsafe { ctx.device.queue_submit(ctx.queue, &[submit], frame.fence) }.map_err(vk_err("vkQueueSubmit"))?;
        frame.in_flight = true;
        frame.pending.cpu.record = ms(submitting - recording);
        frame.pending.cpu.submit = ms(submitting.elapsed());
        self.finish_frame(index, false);
        Ok(())
    }

    /// Counts the frame and moves on to the next slot.
    fn finish_frame(&mut self, index: usize, to_host: bool) {
        self.submitted += 1;
        self.frames[index].serial = self.submitted;
        self.last = Some(index);
        self.last_to_host = to_host;
        self.next = (index + 1) % self.frames.len();
    }

    /// Checks a frame's arguments, takes the next slot once the GPU is done with it, and
    /// writes the frame's uniforms and active runs. Streaming, it brings in the frame's pages:
    /// with `apart` (the frame's submission waits for [`Uploads::wait`]) their copies may go
    /// to the upload queue, else the frame records them. With `view_depth` the slice pass
    /// keeps each splat's view depth for a host's depth test. Returns the slot and the slice
    /// dispatches.
    fn prepare(
        &mut self,
        ctx: &Context,
        time: f32,
        eyes: &[Camera],
        apart: bool,
        view_depth: bool,
    ) -> Result<(usize, Vec<pass::slice::Dispatch>)> {
        self.check_frame(time, eyes)?;
        let start = Instant::now();
        let index = self.next;
        {
            let _wait = Section::begin(c"splat4d wait");
            self.wait(ctx, index)?;
        }
        let waited = start.elapsed();
        let _prepare = Section::begin(c"splat4d prepare");

        // The levels of detail for this frame: the governor's, fed with the newest finished
        // frame, or the ones set.
        if let Some(governor) = self.governor.as_mut() {
            let measured = self.latest.and_then(|s| s.gpu.map(|g| (s.frame, g.total())));
            self.lod = governor.update(measured, self.submitted + 1);
        }
        let (finest, coarsest) = self.level_range(eyes);

        // Which primitives may be alive: the segment's runs, or everything outside the range
        // (or without active sets).
        let [t0, t1] = self.time_range;
        let segment = if time >= t0 && time <= t1 && !self.segments.is_empty() {
            Some(self.segments.partition_point(|s| s.0[1] <= time).min(self.segments.len() - 1))
        } else {
            None
        };
        let pieces = self.pieces(segment, finest, coarsest);

        let (brought, streamed) = self.stream(ctx, index, time, segment, (finest, coarsest), &pieces, apart)?;
        self.last_time = Some(time);
        let segment = segment.map_or(u32::MAX, |s| s as u32);

        let (entries, dispatches) = plan::runs(&self.resident.place(&pieces));
        let frame = &self.frames[index];
        ctx.write(&frame.runs, 0, &entries)?;
        let mut uniforms = FrameGpu {
            time,
            sh_period: self.sh.2,
            view_count: eyes.len() as u32,
            capacity: self.primitives.max(1),
            sh_degree: self.sh.0,
            sh_degree_t: self.sh.1,
            motion_degree: self.motion_degree,
            flags: self.resident.flags | if view_depth { plan::FLAG_VIEW_DEPTH } else { 0 },
            lod: [finest, coarsest, 0, 0],
            ..Default::default()
        };
        let order = match (&frame.sort_right, self.options.sort) {
            (Some(_), _) => plan::Order::PerEye,
            (None, SortOrder::Distance) => plan::Order::Distance,
            _ => plan::Order::Shared,
        };
        uniforms.set_eyes(eyes, &self.floors, self.lod.gamma, order);
        ctx.write(&frame.uniforms, 0, &[uniforms])?;
        let active: u32 = dispatches.iter().map(|d| d.3).sum();
        self.frames[index].pending = FrameStats {
            frame: 0,
            time,
            lod: LodStats { finest, coarsest, gamma: self.lod.gamma },
            views: eyes.len() as u32,
            cpu: CpuTimes {
                start_ns: (start - self.epoch).as_nanos() as u64,
                wait: ms(waited),
                prepare: ms(start.elapsed() - waited),
                ..Default::default()
            },
            gpu: None,
            counters: Counters {
                active,
                segment,
                resident_bytes: self.resident.bytes(),
                upload_bytes: UNIFORM_BYTES + (entries.len() * 16) as u64 + streamed,
                page_uploads: brought.pages,
                page_misses: brought.missed,
                pages_apart: if frame.copies.is_empty() { brought.pages } else { 0 },
                ..Default::default()
            },
        };
        Ok((index, dispatches))
    }

    /// Streaming: brings in the pages of `pieces`, and ahead of time the next segment's in the
    /// direction time moves (a jump back of over half the clip is a loop: forwards), through
    /// the slot's staging. With `apart` the copies may go to the upload queue, else the frame
    /// records them. Returns what was brought and its bytes.
    #[allow(clippy::too_many_arguments)]
    fn stream(
        &mut self,
        ctx: &Context,
        index: usize,
        time: f32,
        segment: Option<usize>,
        (finest, coarsest): (u32, u32),
        pieces: &[(u32, u32, u32)],
        apart: bool,
    ) -> Result<(Brought, u64)> {
        let [t0, t1] = self.time_range;
        let wanted = if self.resident.is_streaming() {
            let forward = self.last_time.is_none_or(|l| time >= l || l - time > 0.5 * (t1 - t0));
            let n = self.segments.len();
            let next = segment.map(|s| if forward { (s + 1) % n } else { (s + n - 1) % n });
            match next.filter(|&s| Some(s) != segment) {
                Some(s) => Resident::pages_of(&self.pieces(Some(s), finest, coarsest)),
                None => Vec::new(),
            }
        } else {
            Vec::new()
        };
        let frame = &mut self.frames[index];
        if let Some(old) = frame.overflow.take() {
            ctx.destroy_buffer(old);
        }
        frame.copies.clear();
        let (mut brought, mut streamed) = (Brought::default(), 0u64);
        if let (true, Some(staging)) = (self.resident.is_streaming(), frame.staging.as_ref()) {
            if let (false, Some(u)) = (apart, &self.uploads) {
                // Nothing orders this frame after the uploads on the GPU: they finish first.
                u.wait_all(ctx)?;
            }
            let needed = Resident::pages_of(pieces);
            let serial = (self.submitted + 1, apart && self.uploads.is_some());
            brought = self.resident.make_resident(ctx, &needed, &wanted, PREFETCH_BYTES, serial, staging)?;
            streamed = brought.copies.iter().map(|c| c.region.size).sum();
            match self.uploads.as_mut() {
                Some(u) if brought.beside && !brought.copies.is_empty() => {
                    let source = brought.overflow.as_ref().unwrap_or(staging).raw;
                    let resident = &self.resident;
                    u.submit(ctx, index, source, &brought.copies, |a| resident.pool(a))?;
                }
                _ => frame.copies = std::mem::take(&mut brought.copies),
            }
            frame.overflow = brought.overflow.take();
        }
        Ok((brought, streamed))
    }

    /// A frame's arguments: one camera per view, each valid and of the target's size; a finite
    /// time.
    fn check_frame(&self, time: f32, eyes: &[Camera]) -> Result<()> {
        if eyes.len() != self.options.views as usize {
            return Err(Error::InvalidArgument(format!("{} cameras for {} views", eyes.len(), self.options.views)));
        }
        for c in eyes {
            c.validate().map_err(Error::InvalidArgument)?;
            if (c.width, c.height) != (self.options.width, self.options.height) {
                return Err(Error::InvalidArgument(format!(
                    "camera is {}x{}, the target {}x{}",
                    c.width, c.height, self.options.width, self.options.height
                )));
            }
        }
        if !time.is_finite() {
            return Err(Error::InvalidArgument("time must be finite".into()));
        }
        Ok(())
    }

    fn wait(&mut self, ctx: &Context, index: usize) -> Result<()> {
        if self.frames[index].host_pending {
            self.retire_host(ctx, index);
        }
        if self.frames[index].in_flight {
            unsafe { ctx.device.wait_for_fences(&[self.frames[index].fence], true, FENCE_TIMEOUT_NS) }
                .map_err(vk_err("vkWaitForFences"))?;
            self.retire(ctx, index)?;
        }
        // The slot's staging and upload commands are reused: its last upload must be done
        // (its frame waited for it, unless that frame never got submitted).
        if let Some(u) = &self.uploads {
            u.wait_slot(ctx, index)?;
        }
        Ok(())
    }

    /// A frame whose fence has signalled: completes its stats (its queries are reset when the
    /// slot is recorded again) and frees the slot.
    fn retire(&mut self, ctx: &Context, index: usize) -> Result<()> {
        self.complete_stats(ctx, index);
        let frame = &mut self.frames[index];
        unsafe { ctx.device.reset_fences(&[frame.fence]) }.map_err(vk_err("vkResetFences"))?;
        frame.in_flight = false;
        Ok(())
    }

    /// Adds what the GPU measured to a finished frame's stats, keeps them as the newest and
    /// puts them in the capture. GPU results that are not there are left out.
    fn complete_stats(&mut self, ctx: &Context, index: usize) {
        let frame = &self.frames[index];
        let mut stats = FrameStats { frame: frame.serial, ..frame.pending };
        if self.options.stats {
            if let Some(times) = read_stage_times(ctx, frame, self.options.views / self.pass_views) {
                let mut words = [0u32; COUNT_BYTES as usize / 4];
                if ctx.read(&frame.counts, 0, &mut words).is_ok() {
                    let c = &mut stats.counters;
                    c.visible = words[1];
                    c.levels.copy_from_slice(&words[8..16]);
                    for e in 0..stats.views as usize {
                        c.drawn[e] = words[1].saturating_sub(words[4 + e]);
                    }
                }
                crate::profile::trace_gpu_times(&times);
                stats.gpu = Some(StageTimes { frame: frame.serial, ..times });
            }
        }
        stats.counters.gpu_memory_bytes = ctx.gpu_memory_bytes();
        if let Some(capture) = self.capture.as_mut().filter(|_| stats.frame >= self.capture_from) {
            capture.push(stats);
        }
        // Frames finish in order except at teardown; keep the newest.
        if self.latest.is_none_or(|l| l.frame < stats.frame) {
            self.latest = Some(stats);
        }
    }

    /// Records the frame into the slot's own command buffer, with the copy out for read-back.
    fn record(&self, ctx: &Context, index: usize, dispatches: &[(usize, u32, u32, u32)]) -> Result<()> {
        let d = &ctx.device;
        let f = &self.frames[index];
        let cmd = f.cmd;
        unsafe {
            d.reset_command_buffer(cmd, vk::CommandBufferResetFlags::empty())
                .map_err(vk_err("vkResetCommandBuffer"))?;
            let begin = vk::CommandBufferBeginInfo::default().flags(vk::CommandBufferUsageFlags::ONE_TIME_SUBMIT);
            d.begin_command_buffer(cmd, &begin).map_err(vk_err("vkBeginCommandBuffer"))?;
        }
        let framebuffers: Vec<vk::Framebuffer> = f.passes.iter().map(|p| p.framebuffer).collect();
        let p = &self.pipelines;
        let draw = pass::raster::Draw {
            render_pass: p.render_pass,
            framebuffers: &framebuffers,
            splat: p.splat,
            resolve: p.resolve,
            depth_resolve: vk::Pipeline::null(),
            keep: false,
            depth: None,
        };
        self.record_frame(ctx, index, cmd, dispatches, &draw, true)?;
        unsafe { d.end_command_buffer(cmd) }.map_err(vk_err("vkEndCommandBuffer"))
    }

    /// The frame's commands, pass by pass (`pass/`): streamed pages, slice, sort, one render
    /// pass per framebuffer (one per eye without multiview) and, with `copy_out`, the copy of
    /// the target into the read-back buffer.
    fn record_frame(
        &self,
        ctx: &Context,
        index: usize,
        cmd: vk::CommandBuffer,
        dispatches: &[pass::slice::Dispatch],
        draw: &pass::raster::Draw,
        copy_out: bool,
    ) -> Result<()> {
        let r = pass::Recording {
            d: &ctx.device,
            cmd,
            frame: &self.frames[index],
            pipelines: &self.pipelines,
            stats: self.options.stats,
        };
        let extent = vk::Extent2D { width: self.options.width, height: self.options.height };
        r.begin();
        pass::upload::record(&r, &self.resident);
        pass::slice::record(&r, dispatches);
        pass::sort::record(&r, ctx, &self.sort)?;
        let target = pass::raster::Target {
            draw,
            extent,
            background: self.options.background,
            srgb: self.options.format.is_linear_light(),
            views: self.options.views,
        };
        pass::raster::record(&r, &target);
        pass::readback::record(&r, copy_out.then_some((self.options.views, extent)));
        Ok(())
    }

    /// Waits for the last rendered frame and returns its pixels: one RGBA8 image per view,
    /// rows from the top (BGRA targets too). For a `_SRGB` target these are the sRGB-encoded
    /// bytes; for a float target its linear light sRGB-encoded alike (alpha 255 where it has none).
    pub fn read_back(&mut self, ctx: &Context) -> Result<Vec<Vec<u8>>> {
        let index = self.last.ok_or_else(|| Error::InvalidArgument("nothing rendered yet".into()))?;
        if self.last_to_host {
            return Err(Error::InvalidArgument("the last frame was recorded into a host's image".into()));
        }
        self.wait(ctx, index)?;
        let format = self.options.format;
        let per_view = self.options.width as usize * self.options.height as usize * format.texel_bytes();
        let mut views = Vec::with_capacity(self.options.views as usize);
        for v in 0..self.options.views as usize {
            let mut texels = crate::error::try_vec::<u8>(per_view, "a read-back image")?;
            ctx.read(&self.frames[index].readback, (v * per_view) as u64, &mut texels)?;
            views.push(if format == TargetFormat::Rgba8Unorm || format == TargetFormat::Rgba8Srgb {
                texels
            } else {
                format.to_rgba8(&texels)
            });
        }
        Ok(views)
    }

    /// Stats of the most recent finished frame (`None` before one has finished). Never
    /// waits: frames still running are skipped, so in a steady frame loop this is the frame
    /// before the last.
    pub fn stats(&mut self, ctx: &Context) -> Option<FrameStats> {
        for i in self.slots_oldest_first() {
            let f = &self.frames[i];
            if f.in_flight && unsafe { ctx.device.get_fence_status(f.fence) }.unwrap_or(false) {
                self.retire(ctx, i).ok()?;
            }
        }
        self.latest
    }

    /// GPU stage times of the most recent finished frame (`None` before one has finished,
    /// where the queue has no timestamps, or with stats off). Never waits, as [`Self::stats`].
    pub fn stage_times(&mut self, ctx: &Context) -> Option<StageTimes> {
        self.stats(ctx).and_then(|s| s.gpu)
    }

    /// Starts recording every frame's stats into a ring of `capacity` frames (at most
    /// [`crate::profile::MAX_CAPTURE_FRAMES`]), replacing a capture in progress. Frames
    /// submitted from now on are recorded as they finish.
    pub fn start_capture(&mut self, ctx: &Context, capacity: u32) {
        let o = &self.options;
        self.capture = Some(Capture::new(capacity, ctx.device_info().clone(), o.views, [o.width, o.height]));
        // Frames already submitted belong to no capture.
        self.capture_from = self.submitted + 1;
    }

    /// Ends the capture and returns it (`None` without one), after waiting for the frames this
    /// renderer submitted. Frames recorded into a host's command buffer are in it once their
    /// slot has been reused or their results were there; the last one or two may be missing.
    pub fn stop_capture(&mut self, ctx: &Context) -> Result<Option<Capture>> {
        if self.capture.is_none() {
            return Ok(None);
        }
        for i in self.slots_oldest_first() {
            if self.frames[i].in_flight {
                self.wait(ctx, i)?;
            }
        }
        Ok(self.capture.take())
    }

    fn slots_oldest_first(&self) -> Vec<usize> {
        let mut slots: Vec<usize> = (0..self.frames.len()).collect();
        slots.sort_by_key(|&i| self.frames[i].serial);
        slots
    }

    /// Waits for the GPU to finish with every frame, then destroys everything.
    pub fn destroy(mut self, ctx: &Context) {
        for i in 0..self.frames.len() {
            // A frame that cannot be waited for (device lost) is destroyed regardless.
            let _ = self.wait(ctx, i);
        }
        for f in self.frames.drain(..) {
            f.destroy(ctx, self.command_pool);
        }
        unsafe {
            ctx.device.destroy_command_pool(self.command_pool, None);
        }
        self.variants.destroy(ctx, &self.pipelines);
        if let Some(u) = self.uploads.take() {
            u.destroy(ctx);
        }
        self.sort.destroy(ctx);
        self.pipelines.destroy(ctx);
        self.resident.destroy(ctx);
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A finished frame's stage times over its `passes` render passes; `None` where the queue
/// has no timestamps or the results are not there.
fn read_stage_times(ctx: &Context, frame: &Frame, passes: u32) -> Option<StageTimes> {
    if ctx.timestamp_bits == 0 {
        return None;
    }
    // The frame has finished, so its results are available. No WAIT even so: lavapipe waits
    // for all the work on the queue (the next frame's too) before it answers a WAIT, which
    // would serialise the frames in flight. Slots are read one by one: the queries between
    // them may never be written.
    let flags = vk::QueryResultFlags::TYPE_64;
    let read = |slot: u32| {
        let mut t = [0u64; 1];
        unsafe { ctx.device.get_query_pool_results(frame.queries, slot * frame.query_stride, &mut t, flags) }
            .ok()
            .map(|()| t[0])
    };
    let mask = if ctx.timestamp_bits >= 64 { u64::MAX } else { (1u64 << ctx.timestamp_bits) - 1 };
    let period = ctx.limits.timestamp_period as f64;
    let ms = |a: u64, b: u64| (b.wrapping_sub(a) & mask) as f64 * period * 1e-6;
    let (start, sliced, sorted) = (read(0)?, read(1)?, read(2)?);
    let (mut raster, mut resolve, mut at) = (0.0, 0.0, sorted);
    for pass in 0..passes {
        let (rastered, ended) = (read(raster_end_slot(pass))?, read(pass_end_slot(pass))?);
        raster += ms(at, rastered);
        resolve += ms(rastered, ended);
        at = ended;
    }
    Some(StageTimes {
        frame: 0,
        start_ns: ((start & mask) as f64 * period) as u64,
        slice: ms(start, sliced),
        sort: ms(sliced, sorted),
        raster,
        resolve,
    })
}
