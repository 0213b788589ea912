//! Headset playback with splat4d owning the OpenXR session and its frame loop (native headset
//! apps). Hosts that keep their own session (a game engine, Unity's OpenXR plugin) use the
//! embedded runtime instead: `s4d_runtime_create_embedded` on the Vulkan device their session
//! uses, `S4dView`s from `xrLocateViews`, and `s4d_renderer_record` into their swapchain image.

use std::ffi::c_void;

use super::{arg, call, invalid, put_versioned, versioned_since, Failure, S4dAsset, S4dStatus};
use crate::playback::Playback;
use crate::xr::{play_with, XrOptions};

/// How to play.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Zeroable)]
pub struct S4dXrDesc {
    /// `sizeof(S4dXrDesc)`.
    pub struct_size: u32,
    /// Non-zero: the Khronos Vulkan validation layer, and OpenXR's core validation layer where
    /// installed.
    pub validation: u32,
    /// End the session after this many frames; 0: when the user or the runtime ends it.
    pub frames: u64,
    /// Room metres per asset unit (> 0).
    pub scale: f32,
    /// Non-zero: loop playback.
    pub looping: u32,
    /// Playback speed (finite; negative plays backwards).
    pub speed: f64,
    /// An `XrEnvironmentBlendMode` (1 opaque, 2 additive, 3 alpha blend: the splats' coverage
    /// is the layer's alpha), which the runtime must offer; 0: the runtime's first choice.
    pub blend_mode: u32,
    /// Non-zero: do not submit each eye's depth (sent by default where the runtime takes
    /// XR_KHR_composition_layer_depth).
    pub disable_depth_layer: u32,
}

/// The playback clock, as the control callback sees it. The callback may change any field:
/// a new `time_seconds` seeks, `playing` pauses or plays, `speed` and `looping` apply from the
/// next frame.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct S4dPlaybackState {
    pub time_seconds: f64,
    pub speed: f64,
    pub playing: u32,
    pub looping: u32,
}

/// Called once per turn of the frame loop (before each frame, and while the session waits),
/// on the thread that called `s4d_xr_play`. Return non-zero to go on, 0 to end the session.
pub type S4dXrControl = Option<unsafe extern "C" fn(user: *mut c_void, playback: *mut S4dPlaybackState) -> u32>;

/// What a session did.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct S4dXrReport {
    /// Set by the caller to `sizeof(S4dXrReport)`.
    pub struct_size: u32,
    /// Per-view swapchain size.
    pub width: u32,
    pub height: u32,
    /// Non-zero once the session reached XR_SESSION_STATE_FOCUSED.
    pub reached_focused: u32,
    /// Frames ended with a projection layer.
    pub frames_submitted: u64,
    /// The session's last `XrSessionState` (XR_SESSION_STATE_EXITING after a clean end).
    pub last_state: i32,
    /// Vulkan validation messages (with validation on).
    pub validation_messages: u32,
    /// The `XrEnvironmentBlendMode` the session used.
    pub blend_mode: u32,
    /// The depth swapchains' `VkFormat` where each eye's depth was submitted; 0: none.
    pub depth_format: u32,
}

/// The first versions' sizes: up to `speed`, and up to `validation_messages`.
const XR_DESC_V1: usize = 32;
const XR_REPORT_V1: usize = 32;

fn state(p: &Playback) -> S4dPlaybackState {
    S4dPlaybackState {
        time_seconds: p.time(),
        speed: p.speed(),
        playing: p.is_playing() as u32,
        looping: p.is_looping() as u32,
    }
}

/// Plays `asset` in a headset through the system's OpenXR runtime, blocking until the session
/// ends: XR_KHR_vulkan_enable2, a STAGE (else LOCAL) space with the viewer where the asset's
/// first camera saw it from, both eyes into one array swapchain, every session state handled.
/// `control` (may be NULL) steers playback; `report` (may be NULL; caller sets `struct_size`)
/// says what happened. Fails with S4D_STATUS_XR where there is no runtime or headset. Creates
/// its own Vulkan device: no `S4dRuntime` is involved.
///
/// # Safety
/// `asset` is live; `desc` points to a valid `S4dXrDesc`; `control` is NULL or safe to call
/// with `user`; `report` is NULL or points to a writable `S4dXrReport` of `struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn s4d_xr_play(
    asset: *const S4dAsset,
    desc: *const S4dXrDesc,
    control: S4dXrControl,
    user: *mut c_void,
    report: *mut S4dXrReport,
) -> S4dStatus {
    call("s4d_xr_play", || unsafe {
        let asset = &arg(asset, "asset")?.asset;
        let desc = versioned_since(desc, "desc", XR_DESC_V1)?;
        if !report.is_null() {
            versioned_since(report as *const S4dXrReport, "report", XR_REPORT_V1)?;
        }
        if !(desc.scale.is_finite() && desc.scale > 0.0) {
            return Err(invalid(format!("desc->scale {} must be positive", desc.scale)));
        }
        if !desc.speed.is_finite() {
            return Err(invalid("desc->speed is not finite"));
        }
        let blend = match desc.blend_mode {
            0 => None,
            m @ 1..=3 => Some(openxr::EnvironmentBlendMode::from_raw(m as i32)),
            m => return Err(invalid(format!("desc->blend_mode {m}: 0 or an XrEnvironmentBlendMode (1..=3)"))),
        };
        let options = XrOptions {
            validation: desc.validation != 0,
            frames: (desc.frames > 0).then_some(desc.frames),
            scale: desc.scale,
            looping: desc.looping != 0,
            speed: desc.speed,
            blend,
            depth: desc.disable_depth_layer == 0,
            ..Default::default()
        };
        let mut steer = |playback: &mut Playback| -> bool {
            let Some(control) = control else { return true };
            let before = state(playback);
            let mut after = before;
            let go_on = control(user, &mut after) != 0;
            if after.time_seconds != before.time_seconds {
                playback.seek(after.time_seconds);
            }
            if after.speed != before.speed && playback.set_speed(after.speed).is_err() {
                log::warn!("s4d_xr_play: the control set a speed that is not finite; kept {}", before.speed);
            }
            playback.set_looping(after.looping != 0);
            match (before.playing != 0, after.playing != 0) {
                (true, false) => playback.pause(),
                (false, true) => playback.play(),
                _ => {}
            }
            go_on
        };
        let done = play_with(asset, &options, &(), &mut steer)?;
        if !report.is_null() {
            let value = S4dXrReport {
                struct_size: std::mem::size_of::<S4dXrReport>() as u32,
                width: done.size[0],
                height: done.size[1],
                reached_focused: done.states.contains(&openxr::SessionState::FOCUSED) as u32,
                frames_submitted: done.frames_submitted,
                last_state: done.states.last().map_or(0, |s| s.into_raw()),
                validation_messages: done.validation_messages.len() as u32,
                blend_mode: done.blend.map_or(0, |b| b.into_raw() as u32),
                depth_format: done.depth_format.map_or(0, |f| f.as_raw() as u32),
            };
            put_versioned(report, "report", XR_REPORT_V1, value)?;
        }
        Ok::<(), Failure>(())
    })
}
