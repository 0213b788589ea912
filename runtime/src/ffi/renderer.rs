//! Renderers of one asset: views, frames into their own target or a host's image, statistics.

use std::ffi::c_void;
use std::mem::size_of;
use std::sync::{Arc, Mutex};

use ash::vk::{self, Handle};
use glam::{Mat4, Quat, Vec3};

use super::composite::{composite_target, S4dHostDepth};
use super::{
    arg, call, invalid, lock, not_ready, put, put_versioned, versioned, versioned_since, Failure, S4dAsset, S4dRuntime,
    S4dStatus,
};
use crate::camera::Camera;
use crate::gpu::Context;
use crate::lod::Selection;
use crate::profile::FrameStats;
use crate::renderer::{FramePolicy, HostTarget, Renderer, RendererOptions, SortOrder, TargetFormat};

/// A renderer of one asset into its own offscreen target.
pub struct S4dRenderer {
    pub(super) context: Arc<Mutex<Context>>,
    pub(super) renderer: Mutex<Renderer>,
    width: u32,
    height: u32,
    views: u32,
}

/// Target pixel formats.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum S4dFormat {
    Rgba8Unorm = 0,
    /// Blended in linear light and stored sRGB-encoded.
    Rgba8Srgb = 1,
    /// Window-system swapchains' byte order; read back as RGBA all the same.
    Bgra8Unorm = 2,
    Bgra8Srgb = 3,
    /// `R16G16B16A16_SFLOAT`: linear light (an HDR camera target); read back sRGB-encoded.
    Rgba16Float = 4,
    /// `B10G11R11_UFLOAT_PACK32`: linear light, no alpha (32-bit HDR targets); read back
    /// sRGB-encoded, alpha 255. Both float formats fail with GPU where the device cannot blend
    /// into them.
    B10g11r11Float = 5,
}

/// How stereo views are sorted.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum S4dSortOrder {
    /// One sort for both eyes.
    Shared = 0,
    /// Each eye sorted by its own depth (exact for canted eyes; twice the sorting).
    PerEye = 1,
    /// One sort by distance from the eyes' midpoint: a pure head rotation never reorders
    /// splats (no popping as the head turns).
    Distance = 2,
}

/// What a renderer renders into.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Zeroable)]
pub struct S4dRendererDesc {
    /// `sizeof(S4dRendererDesc)`.
    pub struct_size: u32,
    /// Target size per view, 1..=16384.
    pub width: u32,
    pub height: u32,
    /// 1 (mono) or 2 (stereo: both eyes in one multiview pass where the device allows).
    pub view_count: u32,
    /// An `S4dFormat`.
    pub format: u32,
    /// An `S4dSortOrder`.
    pub sort_order: u32,
    /// Linear RGB behind the splats.
    pub background: [f32; 3],
    /// Non-zero: no per-frame GPU timestamps and counts (`S4dFrameStats` then holds only
    /// what the CPU measures). Added in 0.2; older hosts' descs leave it 0.
    pub disable_stats: u32,
    /// Non-zero: stream the asset's primitives from its file, holding at most this many
    /// bytes of them on the GPU. Creation fails with INVALID_ARGUMENT where one segment's
    /// primitives at the levels `policy` draws do not fit, and `s4d_renderer_set_policy`
    /// refuses a policy that would not. 0: the whole asset is uploaded at creation. Older
    /// hosts' descs leave it 0.
    pub gpu_memory_budget_bytes: u64,
    /// The policy frames start with (as `s4d_renderer_set_policy` sets it); NULL for the
    /// default: every level at γ = 1, no frame budget, active sets. Read during the call only.
    /// Added in 0.3; older hosts' descs leave it NULL.
    pub policy: *const S4dFramePolicy,
    /// Frames whose resources are kept apart, 2..=8; 0 for 2. A frame reuses the resources
    /// of the frame this many frames back, so an embedding host whose command buffers run up
    /// to N frames behind its recording asks for N + 1 (each costs the frame's buffers again).
    /// Added in 0.4; older hosts' descs leave it 0.
    pub frames_in_flight: u32,
    pub reserved: u32,
}

/// `sizeof(S4dRendererDesc)` of the first version, the least `struct_size` accepted.
const RENDERER_DESC_V1: usize = 36;

/// One view as OpenXR gives it: a pose and the tangents of its field of view.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Zeroable)]
pub struct S4dView {
    /// Position of the eye in the asset's space.
    pub position: [f32; 3],
    /// Unit quaternion (x, y, z, w) rotating view space (x right, y up, looking down −z) into
    /// the asset's space.
    pub orientation: [f32; 4],
    /// tan of the left, right, up and down half-angles (`XrFovf` angles; left and down are
    /// negative for a centred view). Asymmetric frusta are fine.
    pub tan_left: f32,
    pub tan_right: f32,
    pub tan_up: f32,
    pub tan_down: f32,
}

/// One frame to render.
#[repr(C)]
pub struct S4dFrameDesc {
    /// `sizeof(S4dFrameDesc)`.
    pub struct_size: u32,
    /// The renderer's view count.
    pub view_count: u32,
    /// `view_count` views.
    pub views: *const S4dView,
    /// Playback time in the asset's seconds.
    pub time_seconds: f64,
}

/// A host's image for `s4d_renderer_record`. Hosts built against an older header (whose
/// struct ends at `image`) get what they got then: the image cleared, no depth.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Zeroable)]
pub struct S4dHostImage {
    /// `sizeof(S4dHostImage)`.
    pub struct_size: u32,
    /// The `VkImageLayout` the image is left in: COLOR_ATTACHMENT_OPTIMAL, SHADER_READ_ONLY_OPTIMAL,
    /// TRANSFER_SRC_OPTIMAL, GENERAL or PRESENT_SRC_KHR.
    pub final_layout: u32,
    /// `VkImage`: 2D, the renderer's size and format, a layer per view, COLOR_ATTACHMENT usage.
    pub image: u64,
    /// An `S4dColorLoad`: the image's contents discarded (0) or kept under the splats.
    pub color_load: u32,
    /// With `S4D_COLOR_LOAD_KEEP`, the `VkImageLayout` the image is in before:
    /// COLOR_ATTACHMENT_OPTIMAL, SHADER_READ_ONLY_OPTIMAL, TRANSFER_SRC_OPTIMAL,
    /// TRANSFER_DST_OPTIMAL, GENERAL or PRESENT_SRC_KHR.
    pub initial_layout: u32,
    /// The host's depth image, or NULL.
    pub depth: *const S4dHostDepth,
}

/// The first `S4dHostImage`'s size: up to `image`.
const HOST_IMAGE_V1: usize = 16;

/// What one frame cost and drew. The caller sets `struct_size` to `sizeof(S4dFrameStats)`;
/// hosts built against an older header get the fields their struct has room for.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct S4dFrameStats {
    pub struct_size: u32,
    /// Non-zero when the GPU times and counts below are valid (the queue has timestamps and
    /// the renderer's stats are on).
    pub gpu_times_valid: u32,
    /// Which frame (1 for the renderer's first).
    pub frame_index: u64,
    /// GPU milliseconds per stage: slice + cull, sort, raster (every view), resolve.
    pub gpu_slice_ms: f64,
    pub gpu_sort_ms: f64,
    pub gpu_raster_ms: f64,
    pub gpu_resolve_ms: f64,
    /// When the frame began on the CPU, in nanoseconds since the renderer was created.
    pub cpu_start_ns: u64,
    /// CPU milliseconds per phase: waiting for the frame's resources, preparing, recording,
    /// submitting (0 for frames recorded into a host's command buffer).
    pub cpu_wait_ms: f64,
    pub cpu_prepare_ms: f64,
    pub cpu_record_ms: f64,
    pub cpu_submit_ms: f64,
    /// When the frame began on the GPU, in nanoseconds of the GPU's clock.
    pub gpu_start_ns: u64,
    /// Playback time the frame showed.
    pub time_seconds: f64,
    pub view_count: u32,
    /// The temporal segment of `time_seconds` (0xFFFFFFFF outside the asset's time range).
    pub segment: u32,
    /// Primitives of the active runs, those that passed the temporal and frustum culls, and
    /// splats drawn into each view.
    pub active: u32,
    pub visible: u32,
    pub drawn: [u32; 2],
    /// Splats per level of detail among the visible ones (they sum to `visible`).
    pub level_visible: [u32; 8],
    /// Pages of primitives (1024 each) streamed in for the frame, and how many of them the
    /// frame needed itself (not read ahead in time: it waited for them).
    pub page_uploads: u32,
    pub page_misses: u32,
    /// Bytes of the asset on the GPU; of every GPU allocation of the runtime; written by the
    /// CPU for the frame.
    pub resident_bytes: u64,
    pub gpu_memory_bytes: u64,
    pub upload_bytes: u64,
    /// The finest and coarsest level of detail the frame drew, and FLoD's γ it drew them at.
    pub lod_finest: u32,
    pub lod_coarsest: u32,
    pub lod_gamma: f32,
    pub reserved2: u32,
}

/// `sizeof(S4dFrameStats)` of the first version, the least `struct_size` accepted.
pub(super) const FRAME_STATS_V1: usize = 40;

impl From<&FrameStats> for S4dFrameStats {
    fn from(s: &FrameStats) -> Self {
        let g = s.gpu.unwrap_or_default();
        let c = &s.counters;
        S4dFrameStats {
            struct_size: std::mem::size_of::<S4dFrameStats>() as u32,
            gpu_times_valid: s.gpu.is_some() as u32,
            frame_index: s.frame,
            gpu_slice_ms: g.slice,
            gpu_sort_ms: g.sort,
            gpu_raster_ms: g.raster,
            gpu_resolve_ms: g.resolve,
            cpu_start_ns: s.cpu.start_ns,
            cpu_wait_ms: s.cpu.wait,
            cpu_prepare_ms: s.cpu.prepare,
            cpu_record_ms: s.cpu.record,
            cpu_submit_ms: s.cpu.submit,
            gpu_start_ns: g.start_ns,
            time_seconds: s.time as f64,
            view_count: s.views,
            segment: c.segment,
            active: c.active,
            visible: c.visible,
            drawn: c.drawn,
            level_visible: c.levels,
            page_uploads: c.page_uploads,
            page_misses: c.page_misses,
            resident_bytes: c.resident_bytes,
            gpu_memory_bytes: c.gpu_memory_bytes,
            upload_bytes: c.upload_bytes,
            lod_finest: s.lod.finest,
            lod_coarsest: s.lod.coarsest,
            lod_gamma: s.lod.gamma,
            reserved2: 0,
        }
    }
}

/// What frames draw beyond the target, for `s4d_renderer_set_policy`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct S4dFramePolicy {
    /// `sizeof(S4dFramePolicy)`.
    pub struct_size: u32,
    /// The finest and coarsest level of detail drawn (0 = the finest; a coarsest beyond the
    /// asset's levels means its coarsest, so 0xFFFFFFFF draws them all).
    pub lod_finest: u32,
    pub lod_coarsest: u32,
    /// FLoD's γ in pixels (> 0; 1 is as fine as the eye tells apart): each level is drawn
    /// where its scale floor projects to at most γ pixels. With a budget, the lowest γ.
    pub lod_gamma: f32,
    /// Hold every frame's GPU time under this many milliseconds by moving γ; 0 for no budget.
    /// Needs the renderer's stats on.
    pub frame_budget_ms: f64,
    /// Non-zero: go over every primitive each frame instead of its segment's active ones
    /// (the same image; for comparisons).
    pub disable_active_sets: u32,
    pub reserved: u32,
}

/// Writes `stats` to a host's `S4dFrameStats` of any version.
///
/// # Safety
/// As [`put_versioned`].
pub(super) unsafe fn put_stats(out: *mut S4dFrameStats, name: &str, stats: &FrameStats) -> Result<(), Failure> {
    unsafe { put_versioned(out, name, FRAME_STATS_V1, S4dFrameStats::from(stats)) }
}

/// A view from matrices instead: `view` (world to view space, x right, y up, looking down −z)
/// and a perspective `projection` (OpenGL clip space, or Vulkan's with y down), both 4×4,
/// column-major (as OpenXR's and glm's). Fails with INVALID_ARGUMENT for a view that is not a
/// rotation and translation or a projection that is not a perspective one.
///
/// # Safety
/// `view` and `projection` point to 16 floats each; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn s4d_view_from_matrices(
    view: *const f32,
    projection: *const f32,
    out: *mut S4dView,
) -> S4dStatus {
    call("s4d_view_from_matrices", || unsafe {
        let read = |p: *const f32, name: &str| -> Result<Mat4, Failure> {
            arg(p, name)?;
            Ok(Mat4::from_cols_slice(std::slice::from_raw_parts(p, 16)))
        };
        let (view, projection) = (read(view, "view")?, read(projection, "projection")?);
        let (position, orientation, [tan_left, tan_right, tan_up, tan_down]) =
            Camera::pose_fov_from_matrices(view, projection)
                .ok_or_else(|| invalid("view is not rigid or projection is not a perspective projection"))?;
        let value = S4dView {
            position: position.to_array(),
            orientation: orientation.to_array(),
            tan_left,
            tan_right,
            tan_up,
            tan_down,
        };
        put(out, "out", value)
    })
}

/// Creates a renderer of `asset` on `runtime`: uploads the asset (reading its primitives from
/// the file, each section checked against its checksum: INVALID_ASSET where the file changed
/// since `s4d_asset_open`) and builds the frame's resources. The asset may be closed
/// afterwards; a streaming renderer keeps reading the file, and a frame whose pages can no
/// longer be read fails with INVALID_ASSET (or IO) and draws nothing wrong.
///
/// # Safety
/// `runtime` and `asset` are live; `desc` points to a valid `S4dRendererDesc`; `out` is valid
/// for a write.
#[no_mangle]
pub unsafe extern "C" fn s4d_renderer_create(
    runtime: *const S4dRuntime,
    asset: *const S4dAsset,
    desc: *const S4dRendererDesc,
    out: *mut *mut S4dRenderer,
) -> S4dStatus {
    call("s4d_renderer_create", || unsafe {
        let runtime = arg(runtime, "runtime")?;
        let asset = &arg(asset, "asset")?.asset;
        let desc = versioned_since(desc, "desc", RENDERER_DESC_V1)?;
        arg(out as *const *mut S4dRenderer, "out")?;
        let format = match desc.format {
            0 => TargetFormat::Rgba8Unorm,
            1 => TargetFormat::Rgba8Srgb,
            2 => TargetFormat::Bgra8Unorm,
            3 => TargetFormat::Bgra8Srgb,
            4 => TargetFormat::Rgba16Float,
            5 => TargetFormat::B10g11r11Float,
            f => return Err(invalid(format!("desc->format {f} is not an S4dFormat"))),
        };
        let sort = match desc.sort_order {
            0 => SortOrder::Shared,
            1 => SortOrder::PerEye,
            2 => SortOrder::Distance,
            s => return Err(invalid(format!("desc->sort_order {s} is not an S4dSortOrder"))),
        };
        if !desc.background.iter().all(|c| c.is_finite()) {
            return Err(invalid("desc->background is not finite"));
        }
        let options = RendererOptions {
            width: desc.width,
            height: desc.height,
            views: desc.view_count,
            format,
            background: Vec3::from(desc.background),
            sort,
            stats: desc.disable_stats == 0,
            frames_in_flight: match desc.frames_in_flight {
                0 => crate::renderer::FRAMES_IN_FLIGHT,
                n => n,
            },
        };
        let policy = match desc.policy.is_null() {
            true => FramePolicy::default(),
            false => frame_policy(&versioned_since(desc.policy, "desc->policy", size_of::<S4dFramePolicy>())?)?,
        };
        let context = lock(&runtime.context);
        let renderer = match desc.gpu_memory_budget_bytes {
            0 => {
                let mut r = Renderer::new(&context, asset, &options)?;
                if let Err(e) = r.set_policy(&policy) {
                    r.destroy(&context);
                    return Err(e.into());
                }
                r
            }
            budget => Renderer::streaming(&context, asset, &options, budget, &policy)?,
        };
        drop(context);
        let handle = S4dRenderer {
            context: runtime.context.clone(),
            renderer: Mutex::new(renderer),
            width: desc.width,
            height: desc.height,
            views: desc.view_count,
        };
        put(out, "out", Box::into_raw(Box::new(handle)))
    })
}

/// Renders one frame and returns once it is submitted (it waits only for the frame that used
/// the same resources, `frames_in_flight` frames ago).
///
/// # Safety
/// `renderer` is live; `frame` points to a valid `S4dFrameDesc` whose `views` holds
/// `view_count` views.
#[no_mangle]
pub unsafe extern "C" fn s4d_renderer_render(renderer: *const S4dRenderer, frame: *const S4dFrameDesc) -> S4dStatus {
    call("s4d_renderer_render", || unsafe {
        let r = arg(renderer, "renderer")?;
        let (time, cameras) = frame_cameras(r, frame)?;
        lock(&r.renderer).render(&lock(&r.context), time, &cameras)?;
        Ok(())
    })
}

/// A frame's time and one camera per view, checked.
///
/// # Safety
/// `frame` is NULL or a valid `S4dFrameDesc` whose `views` holds `view_count` views.
unsafe fn frame_cameras(r: &S4dRenderer, frame: *const S4dFrameDesc) -> Result<(f32, Vec<Camera>), Failure> {
    unsafe {
        let frame = versioned(frame, "frame")?;
        if frame.view_count != r.views {
            return Err(invalid(format!("{} views for a renderer of {}", frame.view_count, r.views)));
        }
        let views = std::slice::from_raw_parts(arg(frame.views, "frame->views")?, frame.view_count as usize);
        let cameras = view_cameras(views, (r.width, r.height))?;
        if !frame.time_seconds.is_finite() {
            return Err(invalid("frame->time_seconds is not finite"));
        }
        Ok((frame.time_seconds as f32, cameras))
    }
}

/// One camera of `size` per view, checked.
pub(super) fn view_cameras(views: &[S4dView], (width, height): (u32, u32)) -> Result<Vec<Camera>, Failure> {
    let mut cameras = Vec::with_capacity(views.len());
    for (i, v) in views.iter().enumerate() {
        let [x, y, z, w] = v.orientation;
        let tan = [v.tan_left, v.tan_right, v.tan_up, v.tan_down];
        let q = Quat::from_xyzw(x, y, z, w);
        let camera = (q.length() > 0.5)
            .then(|| Camera::from_pose_fov(Vec3::from(v.position), q, tan, width, height))
            .flatten()
            .ok_or_else(|| invalid(format!("view {i}: the orientation or field of view is not valid")))?;
        cameras.push(camera);
    }
    Ok(cameras)
}

/// Embedded mode: records the frame into the host's `command_buffer` (a `VkCommandBuffer` in
/// the recording state, outside a render pass) drawing into the host's image; nothing is
/// submitted. The image's contents are discarded (every pixel is written) or, with
/// `color_load` KEEP, kept under the splats; a depth image hides the splats behind the host's
/// geometry and/or takes their depth (`S4dHostDepth`). The synchronisation contract:
/// - before: the render pass's own dependency orders it after the host's earlier copies,
///   fragment-shader and attachment work on these images (transfer, fragment shader,
///   color-attachment-output and fragment-test stages); other earlier work needs the host's
///   barrier;
/// - after: the images are in their final layouts, written at COLOR_ATTACHMENT_OUTPUT
///   (COLOR_ATTACHMENT_WRITE) and LATE_FRAGMENT_TESTS (DEPTH_STENCIL_ATTACHMENT_WRITE); the
///   host's next use needs a barrier from there;
/// - a renderer reuses the resources of the frame `frames_in_flight` (2 by default) frames
///   back, so the command buffer recorded that many frames earlier must have completed before
///   this call, and the renderer must
///   outlive the host's last command buffer that holds its commands.
///
/// # Safety
/// `renderer` is live and its runtime embedded in the device that owns `command_buffer` and
/// the image; `frame` and `image` point to valid structs.
#[no_mangle]
pub unsafe extern "C" fn s4d_renderer_record(
    renderer: *const S4dRenderer,
    command_buffer: *mut c_void,
    frame: *const S4dFrameDesc,
    image: *const S4dHostImage,
) -> S4dStatus {
    call("s4d_renderer_record", || unsafe {
        let r = arg(renderer, "renderer")?;
        arg(command_buffer as *const u8, "command_buffer")?;
        let image = versioned_since(image, "image", HOST_IMAGE_V1)?;
        let (time, cameras) = frame_cameras(r, frame)?;
        let target =
            HostTarget::new(vk::Image::from_raw(image.image), vk::ImageLayout::from_raw(image.final_layout as i32));
        let target = composite_target(target, (image.color_load, image.initial_layout), image.depth)?;
        let cmd = vk::CommandBuffer::from_raw(command_buffer as u64);
        lock(&r.renderer).record_into(&lock(&r.context), cmd, time, &cameras, target)?;
        Ok(())
    })
}

/// Waits for the last rendered frame and copies view `view` of it into `pixels`: RGBA8, rows
/// from the top, `width * height * 4` bytes (`size` must say exactly that).
///
/// # Safety
/// `renderer` is live; `pixels` points to `size` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn s4d_renderer_read_back(
    renderer: *const S4dRenderer,
    view: u32,
    pixels: *mut u8,
    size: usize,
) -> S4dStatus {
    call("s4d_renderer_read_back", || unsafe {
        let r = arg(renderer, "renderer")?;
        arg(pixels as *const u8, "pixels")?;
        let want = r.width as usize * r.height as usize * 4;
        if size != want {
            return Err(invalid(format!("size is {size}; a {}x{} RGBA8 view is {want} bytes", r.width, r.height)));
        }
        if view >= r.views {
            return Err(invalid(format!("view {view} of a renderer of {}", r.views)));
        }
        let images = lock(&r.renderer).read_back(&lock(&r.context)).map_err(|e| match e {
            crate::Error::InvalidArgument(m) => not_ready(m),
            e => Failure::from(e),
        })?;
        std::slice::from_raw_parts_mut(pixels, size).copy_from_slice(&images[view as usize]);
        Ok(())
    })
}

/// Statistics of the newest finished frame, never waiting for one in flight (in a steady
/// frame loop, the frame before the last); NOT_READY before any frame has finished. The
/// caller sets `stats->struct_size`.
///
/// # Safety
/// `renderer` is live; `stats` points to a writable `S4dFrameStats` of `struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn s4d_renderer_get_stats(renderer: *const S4dRenderer, stats: *mut S4dFrameStats) -> S4dStatus {
    call("s4d_renderer_get_stats", || unsafe {
        let r = arg(renderer, "renderer")?;
        versioned_since(stats as *const S4dFrameStats, "stats", FRAME_STATS_V1)?;
        let latest = lock(&r.renderer).stats(&lock(&r.context));
        let s = latest.ok_or_else(|| not_ready("no frame has finished yet"))?;
        put_stats(stats, "stats", &s)
    })
}

/// Sets which levels of detail frames draw, a frame budget, and active sets, from the next
/// frame on (until changed). On INVALID_ARGUMENT (a level the asset lacks, γ not positive, a
/// budget with stats off) nothing changes.
///
/// # Safety
/// `renderer` is live; `policy` points to a valid `S4dFramePolicy`.
#[no_mangle]
pub unsafe extern "C" fn s4d_renderer_set_policy(
    renderer: *const S4dRenderer,
    policy: *const S4dFramePolicy,
) -> S4dStatus {
    call("s4d_renderer_set_policy", || unsafe {
        let r = arg(renderer, "renderer")?;
        let policy = frame_policy(&versioned_since(policy, "policy", size_of::<S4dFramePolicy>())?)?;
        lock(&r.renderer).set_policy(&policy)?;
        Ok(())
    })
}

pub(super) fn frame_policy(p: &S4dFramePolicy) -> Result<FramePolicy, Failure> {
    if !(p.frame_budget_ms.is_finite() && p.frame_budget_ms >= 0.0) {
        return Err(invalid("policy->frame_budget_ms is not a non-negative number"));
    }
    Ok(FramePolicy {
        lod: Selection { finest: p.lod_finest, coarsest: p.lod_coarsest, gamma: p.lod_gamma },
        frame_budget_ms: (p.frame_budget_ms > 0.0).then_some(p.frame_budget_ms),
        active_sets: p.disable_active_sets == 0,
    })
}

/// Destroys a renderer (NULL is fine), after the GPU has finished with it.
///
/// Destroying a renderer while another thread is in a call on it is the host's bug (the
/// other call then uses freed memory): the host must finish, or stop, every call on a renderer
/// before destroying it, as with any object it frees.
///
/// # Safety
/// `renderer` is NULL or from `s4d_renderer_create`, not in use on another thread, and not used
/// again.
#[no_mangle]
pub unsafe extern "C" fn s4d_renderer_destroy(renderer: *mut S4dRenderer) -> S4dStatus {
    call("s4d_renderer_destroy", || {
        if renderer.is_null() {
            return Ok(());
        }
        let handle = unsafe { Box::from_raw(renderer) };
        let r = handle.renderer.into_inner().unwrap_or_else(|e| e.into_inner());
        r.destroy(&lock(&handle.context));
        Ok(())
    })
}
