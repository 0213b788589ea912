//! The Unity native rendering plugin's C entry points: what Unity calls (`UnityPluginLoad`,
//! `UnityPluginUnload`, the render event) and what the package's C# calls on the main thread.
//! The plugin itself is `crate::unity`.

use std::ffi::{c_int, c_void};
use std::mem::size_of;

use glam::{Quat, Vec3};

use super::composite::{S4D_DEPTH_REVERSED, S4D_DEPTH_TEST, S4D_DEPTH_WRITE};
use super::renderer::{frame_policy, put_stats, S4dFramePolicy, S4dFrameStats, S4dView, FRAME_STATS_V1};
use super::{arg, call, invalid, not_ready, put, put_versioned, versioned_since, S4dAsset, S4dStatus};
use crate::depth::DepthConvention;
use crate::renderer::{FramePolicy, SortOrder};
use crate::unity::{self, Frame, Pose, ViewOptions};

/// `S4dUnityFrame::flags`: the target's rows are bottom-up, as Unity lays out render textures
/// on Vulkan (C#: `cameraData.IsCameraProjectionMatrixFlipped()` in URP, or rendering into a
/// `RenderTexture` in the built-in pipeline).
pub const S4D_UNITY_FLIP_Y: u32 = 1;

/// Unity's render-event callback type (`UnityRenderingEventAndData`).
pub type S4dUnityRenderEvent = Option<unsafe extern "system" fn(event_id: c_int, data: *mut c_void)>;

/// How C# issues the plugin's events: `CommandBuffer.IssuePluginEventAndData(render_event,
/// draw_event_id, (IntPtr)view)` after the camera's opaque geometry, per submitted frame.
#[repr(C)]
pub struct S4dUnityEvents {
    /// `sizeof(S4dUnityEvents)`.
    pub struct_size: u32,
    /// Draws the view whose ID is the event's data: its oldest submitted frame.
    pub draw_event_id: i32,
    /// Destroys what Unity's GPU has finished with (draws do this too); data is ignored.
    pub collect_event_id: i32,
    pub reserved: u32,
    pub render_event: S4dUnityRenderEvent,
}

/// What the plugin has.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Zeroable, bytemuck::Pod)]
pub struct S4dUnityInfo {
    /// `sizeof(S4dUnityInfo)`.
    pub struct_size: u32,
    /// Non-zero once Unity loaded the plugin (`UnityPluginLoad`).
    pub loaded: u32,
    /// Non-zero once splat4d runs on Unity's Vulkan device (after its initialise event).
    pub ready: u32,
    /// Non-zero if Unity created its device through the plugin's Vulkan interception (the
    /// plugin was loaded on startup).
    pub intercepted: u32,
    /// Non-zero if both eyes of a two-layer target are drawn in one multiview pass.
    pub multiview: u32,
}

/// How a view draws, fixed at its creation.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Zeroable)]
pub struct S4dUnityViewDesc {
    /// `sizeof(S4dUnityViewDesc)`.
    pub struct_size: u32,
    /// An `S4dSortOrder`.
    pub sort_order: u32,
    /// Non-zero: no GPU timestamps and counts in the view's stats.
    pub disable_stats: u32,
    pub reserved: u32,
    /// As `S4dRendererDesc`'s: stream within this many bytes of GPU memory; 0 uploads whole.
    pub gpu_memory_budget_bytes: u64,
    /// The policy draws start with; NULL for the default.
    pub policy: *const S4dFramePolicy,
}

/// One camera's frame, submitted on the main thread for the view's next draw event.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Zeroable)]
pub struct S4dUnityFrame {
    /// `sizeof(S4dUnityFrame)`.
    pub struct_size: u32,
    /// 1, or 2 for both eyes of a single-pass instanced XR target (view i in layer i).
    pub view_count: u32,
    /// The views, in the asset's space (`s4d_view_from_matrices` of the camera's
    /// `worldToCameraMatrix × localToWorld` and `projectionMatrix`).
    pub views: [S4dView; 2],
    /// Playback time in the asset's seconds.
    pub time_seconds: f64,
    /// `RenderBuffer.GetNativeRenderBufferPtr()` of the camera's colour target.
    pub color_buffer: *mut c_void,
    /// The same of its depth target, or NULL for no depth.
    pub depth_buffer: *mut c_void,
    /// `S4D_DEPTH_TEST`, `S4D_DEPTH_WRITE`, `S4D_DEPTH_REVERSED` (Unity on Vulkan: reversed).
    pub depth_flags: u32,
    /// The camera's clip planes in the asset's units (`s4d_depth_from_projection` sets them).
    pub near_plane: f32,
    pub far_plane: f32,
    /// `S4D_UNITY_FLIP_Y`.
    pub flags: u32,
    /// Which of the view's renderers draws: 0, or a multi-pass XR camera's eye (0, 1).
    pub pass: u32,
    pub reserved: u32,
}

/// What became of a view's frames.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Zeroable, bytemuck::Pod)]
pub struct S4dUnityViewCounts {
    /// `sizeof(S4dUnityViewCounts)`.
    pub struct_size: u32,
    pub reserved: u32,
    /// Frames recorded into Unity's command buffers.
    pub recorded: u64,
    /// Not drawn because Unity had not finished the frame whose resources they would reuse.
    pub skipped_in_flight: u64,
    /// Not drawn because recording failed (the log has why).
    pub failed: u64,
    /// Submitted frames no draw event took.
    pub dropped: u64,
}

/// Unity calls this when it loads the plugin: takes Unity's graphics interfaces and asks to
/// intercept Vulkan's initialisation (which takes effect for a plugin loaded on startup).
///
/// # Safety
/// `interfaces` is Unity's `IUnityInterfaces`, valid until `UnityPluginUnload`.
#[no_mangle]
pub unsafe extern "system" fn UnityPluginLoad(interfaces: *mut c_void) {
    let _ = std::panic::catch_unwind(|| unsafe { unity::load(interfaces as *const unity::api::UnityInterfaces) });
}

/// Unity calls this before it unloads the plugin: everything is destroyed.
#[no_mangle]
pub extern "system" fn UnityPluginUnload() {
    let _ = std::panic::catch_unwind(unity::unload);
}

/// The plugin's event IDs and render-event function.
///
/// # Safety
/// `out` points to a writable `S4dUnityEvents` of `struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn s4d_unity_get_events(out: *mut S4dUnityEvents) -> S4dStatus {
    call("s4d_unity_get_events", || unsafe {
        super::struct_size(out as *const S4dUnityEvents, "out", size_of::<S4dUnityEvents>())?;
        let base = unity::events()?;
        let o = &mut *out;
        o.draw_event_id = base + unity::EVENT_DRAW;
        o.collect_event_id = base + unity::EVENT_COLLECT;
        o.render_event = Some(unity::render_event);
        Ok(())
    })
}

/// What the plugin has (all zero before Unity loads it).
///
/// # Safety
/// `out` points to a writable `S4dUnityInfo` of `struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn s4d_unity_get_info(out: *mut S4dUnityInfo) -> S4dStatus {
    call("s4d_unity_get_info", || unsafe {
        let i = unity::info();
        let info = S4dUnityInfo {
            struct_size: 0,
            loaded: i.loaded.into(),
            ready: i.ready.into(),
            intercepted: i.intercepted.into(),
            multiview: i.multiview.into(),
        };
        put_versioned(out, "out", size_of::<S4dUnityInfo>(), info)
    })
}

/// Makes a view of `asset` drawn into Unity's cameras; `*out` gets its ID (the draw event's
/// data). The asset may be destroyed afterwards. Renderers are made on the render thread by
/// the first draw of each target size and format.
///
/// # Safety
/// `asset` is live; `desc` points to a valid `S4dUnityViewDesc`; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn s4d_unity_view_create(
    asset: *const S4dAsset,
    desc: *const S4dUnityViewDesc,
    out: *mut u32,
) -> S4dStatus {
    call("s4d_unity_view_create", || unsafe {
        let asset = arg(asset, "asset")?.asset.clone();
        let desc = versioned_since(desc, "desc", size_of::<S4dUnityViewDesc>())?;
        arg(out as *const u32, "out")?;
        let sort = match desc.sort_order {
            0 => SortOrder::Shared,
            1 => SortOrder::PerEye,
            2 => SortOrder::Distance,
            s => return Err(invalid(format!("desc->sort_order {s} is not an S4dSortOrder"))),
        };
        let policy = match desc.policy.is_null() {
            true => FramePolicy::default(),
            false => frame_policy(&versioned_since(desc.policy, "desc->policy", size_of::<S4dFramePolicy>())?)?,
        };
        policy.lod.for_levels(asset.levels().len())?;
        let budget = (desc.gpu_memory_budget_bytes != 0).then_some(desc.gpu_memory_budget_bytes);
        let options = ViewOptions { sort, stats: desc.disable_stats == 0, budget, policy };
        put(out, "out", unity::create_view(asset, options)?)
    })
}

/// Queues a frame for the view's next draw event (at most four wait; older ones are dropped).
///
/// # Safety
/// `frame` points to a valid `S4dUnityFrame`.
#[no_mangle]
pub unsafe extern "C" fn s4d_unity_view_submit(view: u32, frame: *const S4dUnityFrame) -> S4dStatus {
    call("s4d_unity_view_submit", || unsafe {
        let f = versioned_since(frame, "frame", size_of::<S4dUnityFrame>())?;
        if !(f.view_count == 1 || f.view_count == 2) {
            return Err(invalid(format!("frame->view_count {}: 1 or 2", f.view_count)));
        }
        if f.color_buffer.is_null() {
            return Err(invalid("frame->color_buffer is NULL"));
        }
        if !f.time_seconds.is_finite() {
            return Err(invalid("frame->time_seconds is not finite"));
        }
        if f.flags & !S4D_UNITY_FLIP_Y != 0
            || f.depth_flags & !(S4D_DEPTH_TEST | S4D_DEPTH_WRITE | S4D_DEPTH_REVERSED) != 0
        {
            return Err(invalid("frame->flags or frame->depth_flags has unknown bits"));
        }
        let convention =
            DepthConvention { near: f.near_plane, far: f.far_plane, reversed: f.depth_flags & S4D_DEPTH_REVERSED != 0 };
        let (test, write) = (f.depth_flags & S4D_DEPTH_TEST != 0, f.depth_flags & S4D_DEPTH_WRITE != 0);
        if !f.depth_buffer.is_null() {
            convention.validate().map_err(invalid)?;
            if !(test || write) {
                return Err(invalid("a depth buffer needs S4D_DEPTH_TEST, S4D_DEPTH_WRITE or both"));
            }
        }
        let mut poses = Vec::with_capacity(f.view_count as usize);
        for (i, v) in f.views[..f.view_count as usize].iter().enumerate() {
            let [x, y, z, w] = v.orientation;
            let orientation = Quat::from_xyzw(x, y, z, w);
            let tan = [v.tan_left, v.tan_right, v.tan_up, v.tan_down];
            // The target's size is known only when drawing: checked at a nominal one here.
            if orientation.length() <= 0.5
                || !orientation.is_finite()
                || crate::camera::Camera::from_pose_fov(Vec3::from(v.position), orientation, tan, 64, 64).is_none()
            {
                return Err(invalid(format!("frame->views[{i}]: the orientation or field of view is not valid")));
            }
            poses.push(Pose { position: Vec3::from(v.position), orientation, tan });
        }
        let frame = Frame {
            poses,
            time: f.time_seconds as f32,
            color: f.color_buffer as usize,
            depth: f.depth_buffer as usize,
            convention,
            depth_test: test,
            depth_write: write,
            flip_y: f.flags & S4D_UNITY_FLIP_Y != 0,
            pass: f.pass,
        };
        unity::submit(view, frame)?;
        Ok(())
    })
}

/// Sets the policy of the view's next draws (checked now; applied on the render thread).
///
/// # Safety
/// `policy` points to a valid `S4dFramePolicy`.
#[no_mangle]
pub unsafe extern "C" fn s4d_unity_view_set_policy(view: u32, policy: *const S4dFramePolicy) -> S4dStatus {
    call("s4d_unity_view_set_policy", || unsafe {
        let p = frame_policy(&versioned_since(policy, "policy", size_of::<S4dFramePolicy>())?)?;
        unity::set_policy(view, p)?;
        Ok(())
    })
}

/// Stats of the view's newest finished frame (NOT_READY before one), as
/// `s4d_renderer_get_stats` gives them; `counts` (may be NULL) gets what became of its frames.
///
/// # Safety
/// `stats` is NULL or points to a writable `S4dFrameStats`, and `counts` to a writable
/// `S4dUnityViewCounts`, each of `struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn s4d_unity_view_get_stats(
    view: u32,
    stats: *mut S4dFrameStats,
    counts: *mut S4dUnityViewCounts,
) -> S4dStatus {
    call("s4d_unity_view_get_stats", || unsafe {
        if !stats.is_null() {
            versioned_since(stats as *const S4dFrameStats, "stats", FRAME_STATS_V1)?;
        }
        let (latest, c) = unity::stats(view)?;
        if !counts.is_null() {
            let value = S4dUnityViewCounts {
                struct_size: 0,
                reserved: 0,
                recorded: c.recorded,
                skipped_in_flight: c.skipped_in_flight,
                failed: c.failed,
                dropped: c.dropped,
            };
            put_versioned(counts, "counts", size_of::<S4dUnityViewCounts>(), value)?;
        }
        if stats.is_null() {
            return Ok(());
        }
        let s = latest.ok_or_else(|| not_ready("no frame of this view has finished yet"))?;
        put_stats(stats, "stats", &s)
    })
}

/// Ends a view. Its renderers are destroyed on the render thread by a later event (or Unity's
/// shutdown), once Unity has finished the frames that used them.
#[no_mangle]
pub extern "C" fn s4d_unity_view_destroy(view: u32) -> S4dStatus {
    call("s4d_unity_view_destroy", || Ok(unity::destroy_view(view)?))
}
