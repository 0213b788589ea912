//! The Unity native rendering plugin: splat4d drawn straight into Unity's cameras on Unity's
//! own Vulkan device, inside Unity's command buffers (no read-back), the scene's colour kept
//! under the splats and its depth hiding them.
//!
//! Unity's side of it, as its manual describes (`api.rs` names the pages):
//! - `UnityPluginLoad` hands us `IUnityInterfaces`; we take `IUnityGraphics` (device events,
//!   event IDs) and `IUnityGraphicsVulkan`, and ask to intercept Vulkan's initialisation
//!   (`init.rs`: multiview on the device);
//! - on the device-initialise event the embedded runtime is made from `UnityVulkanInstance`;
//!   on shutdown everything goes;
//! - C# (main thread) makes a [`View`] of an asset, and per camera and frame submits a
//!   [`Frame`]: views, time, the camera's colour and depth render buffers; its command buffer
//!   then issues our draw event with the view's ID, which runs on Unity's render thread:
//!   outside a render pass (the event's configuration), we take the command buffer and frame
//!   numbers from `CommandRecordingState`, the images through `AccessRenderBufferTexture`
//!   (which records Unity's own barrier into the layouts we draw in), and record the frame.
//!
//! Every GPU object is made and destroyed on the render thread, within events allowed to use
//! the queue; C# only queues work. A renderer is kept per view and pass, made when the target's
//! size or format is first seen, with as many frames in flight as Unity runs ahead (its
//! current frame number minus its safe one); a renderer no longer drawn with is destroyed once
//! Unity's safe frame number passes the last frame that used it, never by waiting.

pub mod api;
pub mod init;

use std::collections::{HashMap, VecDeque};
use std::ffi::{c_int, c_void};
use std::sync::{Arc, Mutex, MutexGuard};

use ash::vk;
use glam::{Quat, Vec3};

use crate::asset::Asset;
use crate::camera::Camera;
use crate::depth::DepthConvention;
use crate::error::{Error, Result};
use crate::gpu::{Context, ContextOptions, HostVulkan};
use crate::profile::FrameStats;
use crate::renderer::{
    FramePolicy, HostColor, HostDepth, HostTarget, Renderer, RendererOptions, SortOrder, TargetFormat,
    MAX_FRAMES_IN_FLIGHT,
};
use api::{RecordingState, UnityGraphics, UnityGraphicsVulkan, VulkanImage};

/// Our events, from the first ID Unity reserves for us.
pub const EVENT_DRAW: c_int = 0;
/// Destroys what Unity's GPU is done with (also done by every draw).
pub const EVENT_COLLECT: c_int = 1;
const EVENT_COUNT: c_int = 2;

/// Frames a view holds for draw events to come; older ones go (a camera that did not render).
const PENDING: usize = 4;

/// One view's pose and field of view, as `S4dView` has them.
#[derive(Clone, Copy, Debug)]
pub struct Pose {
    pub position: Vec3,
    pub orientation: Quat,
    pub tan: [f32; 4],
}

/// What one draw event draws: submitted on the main thread, drawn on the render thread.
#[derive(Clone, Debug)]
pub struct Frame {
    pub poses: Vec<Pose>,
    pub time: f32,
    /// `UnityRenderBuffer`s: the camera's colour, and its depth or null.
    pub color: usize,
    pub depth: usize,
    /// How the depth buffer holds depth, and what to do with it.
    pub convention: DepthConvention,
    pub depth_test: bool,
    pub depth_write: bool,
    /// The target's rows are bottom-up (Unity's render textures on Vulkan).
    pub flip_y: bool,
    /// Which of the view's renderers: one per pass the camera draws in (0; a multi-pass XR
    /// camera's eyes 0 and 1).
    pub pass: u32,
}

/// How a view draws, fixed at its creation.
#[derive(Clone, Debug)]
pub struct ViewOptions {
    pub sort: SortOrder,
    pub stats: bool,
    /// Stream the asset within this many bytes of GPU memory; `None` uploads it whole.
    pub budget: Option<u64>,
    pub policy: FramePolicy,
}

/// What became of a view's frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub recorded: u64,
    /// Not drawn: Unity had not finished the frame whose resources this one would reuse.
    pub skipped_in_flight: u64,
    /// Not drawn: the call failed (logged as a warning).
    pub failed: u64,
    /// Submitted frames that no draw event took, dropped.
    pub dropped: u64,
}

/// One of a view's renderers and the Unity frames it recorded in, newest last.
struct Slot {
    renderer: Renderer,
    key: (u32, u32, u32, vk::Format),
    frames: VecDeque<u64>,
    depth: u32,
}

struct View {
    asset: Arc<Asset>,
    options: ViewOptions,
    pending: VecDeque<Frame>,
    slots: HashMap<u32, Slot>,
    /// A policy set since the last draw.
    policy: Option<FramePolicy>,
    stats: Option<FrameStats>,
    counts: Counts,
    warned: bool,
}

/// The plugin: Unity's interfaces, the runtime on Unity's device and the views.
struct Plugin {
    graphics: *const UnityGraphics,
    vulkan: *const UnityGraphicsVulkan,
    event_base: c_int,
    context: Option<Arc<Mutex<Context>>>,
    multiview: bool,
    views: HashMap<u32, View>,
    next_view: u32,
    /// Renderers drawn with no more, and the last Unity frame that used each.
    retired: Vec<(Renderer, u64)>,
}

// SAFETY: Unity's interface tables are process-wide and callable from any thread; everything
// else is owned, behind `PLUGIN`'s lock.
unsafe impl Send for Plugin {}

static PLUGIN: Mutex<Option<Plugin>> = Mutex::new(None);

fn plugin() -> MutexGuard<'static, Option<Plugin>> {
    PLUGIN.lock().unwrap_or_else(|e| e.into_inner())
}

fn not_loaded() -> Error {
    Error::InvalidArgument("the Unity plugin is not loaded (UnityPluginLoad has not run)".into())
}

/// `UnityPluginLoad`.
///
/// # Safety
/// `interfaces` is Unity's, valid while the plugin is loaded.
pub unsafe fn load(interfaces: *const api::UnityInterfaces) {
    let Some(interfaces) = (unsafe { interfaces.as_ref() }) else { return };
    let get = |g: api::Guid| match interfaces.get_interface_split {
        Some(f) => unsafe { f(g.high, g.low) },
        None => interfaces.get_interface.map_or(std::ptr::null_mut(), |f| unsafe { f(g) }),
    };
    let graphics = get(api::IUNITY_GRAPHICS) as *const UnityGraphics;
    let (v2, v1) = (get(api::IUNITY_GRAPHICS_VULKAN_V2), get(api::IUNITY_GRAPHICS_VULKAN));
    let vulkan = (if v2.is_null() { v1 } else { v2 }) as *const UnityGraphicsVulkan;
    let Some(g) = (unsafe { graphics.as_ref() }) else {
        log::warn!("Unity plugin: no IUnityGraphics: nothing will be drawn");
        return;
    };
    let event_base = g.reserve_event_id_range.map_or(0x5344_0000, |f| unsafe { f(EVENT_COUNT) });
    if let Some(v) = unsafe { vulkan.as_ref() } {
        let asked = match (v2.is_null(), v.add_intercept_initialization, v.intercept_initialization) {
            (false, Some(add), _) => unsafe { add(init::intercept, std::ptr::null_mut(), 0) },
            (_, _, Some(intercept)) => unsafe { intercept(init::intercept, std::ptr::null_mut()) },
            _ => false,
        };
        if !asked {
            log::info!("Unity plugin: Vulkan initialisation not intercepted (the plugin loaded after the device)");
        }
    }
    *plugin() = Some(Plugin {
        graphics,
        vulkan,
        event_base,
        context: None,
        multiview: false,
        views: HashMap::new(),
        next_view: 1,
        retired: Vec::new(),
    });
    if let Some(register) = g.register_device_event_callback {
        unsafe { register(device_event) };
    }
    // A plugin loaded after the device was made gets no initialise event for it.
    let device = unsafe { vulkan.as_ref() }.and_then(|v| v.instance).map(|f| unsafe { f() }.device);
    if vulkan_renderer(g) && device.is_some_and(|d| d != vk::Device::null()) {
        unsafe { device_event(api::DEVICE_EVENT_INITIALIZE) };
    }
}

fn vulkan_renderer(g: &UnityGraphics) -> bool {
    g.get_renderer.is_some_and(|f| unsafe { f() } == api::RENDERER_VULKAN)
}

/// `UnityPluginUnload`.
pub fn unload() {
    let Some(p) = plugin().take() else { return };
    if let Some(unregister) = unsafe { p.graphics.as_ref() }.and_then(|g| g.unregister_device_event_callback) {
        unsafe { unregister(device_event) };
    }
    p.shut_down();
}

/// `IUnityGraphicsDeviceEventCallback`.
unsafe extern "system" fn device_event(event: c_int) {
    let _ = std::panic::catch_unwind(|| {
        let mut guard = plugin();
        let Some(p) = guard.as_mut() else { return };
        match event {
            api::DEVICE_EVENT_INITIALIZE if p.context.is_none() => {
                if let Err(e) = unsafe { p.start() } {
                    log::warn!("Unity plugin: splat4d cannot draw on Unity's device: {e}");
                }
            }
            api::DEVICE_EVENT_SHUTDOWN => {
                let views = std::mem::take(&mut p.views);
                p.stop(views);
            }
            _ => {}
        }
    });
}

impl Plugin {
    fn vulkan(&self) -> Option<&UnityGraphicsVulkan> {
        unsafe { self.vulkan.as_ref() }
    }

    /// The embedded runtime on Unity's device, and our events' configuration.
    unsafe fn start(&mut self) -> Result<()> {
        let g = unsafe { self.graphics.as_ref() }.ok_or_else(not_loaded)?;
        if !vulkan_renderer(g) {
            return Err(Error::Gpu("Unity is not rendering with Vulkan".into()));
        }
        // SAFETY: Unity's interface table, valid while the plugin is loaded.
        let v =
            unsafe { self.vulkan.as_ref() }.ok_or_else(|| Error::Gpu("Unity offers no IUnityGraphicsVulkan".into()))?;
        let instance = unsafe { v.instance.ok_or_else(|| Error::Gpu("no UnityVulkanInstance".into()))?() };
        let gipa = instance.get_instance_proc_addr.ok_or_else(|| Error::Gpu("no vkGetInstanceProcAddr".into()))?;
        let granted = init::granted();
        // Without the interception the instance's version is not known: 1.1 is assumed
        // (the runtime needs it) and multiview is off.
        let host = HostVulkan {
            get_instance_proc_addr: gipa,
            instance: instance.instance,
            instance_api_version: if granted.intercepted { granted.instance_api_version } else { vk::API_VERSION_1_1 },
            physical_device: instance.physical_device,
            device: instance.device,
            queue_family: instance.queue_family_index,
            queue: instance.graphics_queue,
            multiview_enabled: granted.multiview,
            debug_utils_enabled: false,
        };
        let context = unsafe { Context::from_host(&host, &ContextOptions::default()) }?;
        self.multiview = context.multiview;
        log::info!(
            "Unity plugin: drawing on {} (initialisation {}intercepted, multiview {})",
            context.device_name(),
            if granted.intercepted { "" } else { "not " },
            if context.multiview { "on" } else { "off: one pass per eye" }
        );
        self.context = Some(Arc::new(Mutex::new(context)));
        if let Some(configure) = v.configure_event {
            let config = api::PluginEventConfig {
                render_pass_precondition: api::RENDER_PASS_ENSURE_OUTSIDE,
                // Renderers upload the asset on the queue when they are made.
                graphics_queue_access: api::QUEUE_ACCESS_ALLOW,
                flags: api::EVENT_MODIFIES_COMMAND_BUFFER_STATE,
            };
            for e in 0..EVENT_COUNT {
                unsafe { configure(self.event_base + e, &config) };
            }
        }
        Ok(())
    }

    /// Unity's device is going: every renderer, then the runtime.
    fn stop(&mut self, views: HashMap<u32, View>) {
        let Some(context) = self.context.take() else { return };
        let ctx = context.lock().unwrap_or_else(|e| e.into_inner());
        // Unity has finished with the frames by its shutdown event; made sure of all the same,
        // as nothing may be destroyed under the GPU.
        let _ = ctx.wait_idle();
        for (renderer, _) in self.retired.drain(..) {
            renderer.destroy(&ctx);
        }
        for view in views.into_values() {
            for slot in view.slots.into_values() {
                slot.renderer.destroy(&ctx);
            }
        }
    }

    fn shut_down(mut self) {
        let views = std::mem::take(&mut self.views);
        self.stop(views);
    }

    fn recording_state(&self) -> Option<RecordingState> {
        let f = self.vulkan()?.command_recording_state?;
        let mut state = std::mem::MaybeUninit::<RecordingState>::zeroed();
        unsafe { f(state.as_mut_ptr(), api::QUEUE_ACCESS_ALLOW) }.then(|| unsafe { state.assume_init() })
    }

    /// Renderers whose last frame Unity has finished.
    fn collect(&mut self, ctx: &Context, safe: u64) {
        let (done, kept): (Vec<_>, Vec<_>) = self.retired.drain(..).partition(|(_, last)| *last <= safe);
        self.retired = kept;
        for (renderer, _) in done {
            renderer.destroy(ctx);
        }
    }
}

/// The render event Unity calls (`UnityRenderingEventAndData`).
///
/// # Safety
/// Called by Unity on its render thread, within the event (its command buffer recording).
pub unsafe extern "system" fn render_event(event: c_int, data: *mut c_void) {
    let _ = std::panic::catch_unwind(|| {
        let mut guard = plugin();
        let Some(p) = guard.as_mut() else { return };
        let Some(context) = p.context.clone() else { return };
        let Some(state) = p.recording_state() else {
            log::warn!("Unity plugin: no command buffer for the event");
            return;
        };
        let ctx = context.lock().unwrap_or_else(|e| e.into_inner());
        match event - p.event_base {
            EVENT_DRAW => p.draw(&ctx, data as usize as u32, &state),
            EVENT_COLLECT => {}
            _ => return,
        }
        p.collect(&ctx, state.safe_frame_number);
    });
}

impl Plugin {
    fn draw(&mut self, ctx: &Context, id: u32, state: &RecordingState) {
        let (vulkan, multiview) = (self.vulkan, self.multiview);
        let Some(view) = self.views.get_mut(&id) else { return };
        let Some(frame) = view.pending.pop_front() else { return };
        // SAFETY: Unity's interface table, valid while the plugin is loaded.
        let v = unsafe { &*vulkan };
        if let Some(ensure_outside) = v.ensure_outside_render_pass {
            unsafe { ensure_outside() };
        }
        match view.draw(ctx, v, state, &frame, multiview, &mut self.retired) {
            Ok(true) => view.counts.recorded += 1,
            Ok(false) => {
                view.counts.skipped_in_flight += 1;
                if !std::mem::replace(&mut view.warned, true) {
                    log::warn!(
                        "Unity plugin: a frame was not drawn: Unity had not finished the frame whose resources it \
                         would reuse (frame {}, safe {})",
                        state.current_frame_number,
                        state.safe_frame_number
                    );
                }
            }
            Err(e) => {
                view.counts.failed += 1;
                log::warn!("Unity plugin: view {id}: {e}");
            }
        }
    }
}

/// `AccessRenderBufferTexture`: `buffer`'s image, put by Unity's barrier into `layout` for
/// `stages` and `access`.
fn access(
    v: &UnityGraphicsVulkan,
    buffer: usize,
    layout: vk::ImageLayout,
    stages: vk::PipelineStageFlags,
    access: vk::AccessFlags,
) -> Result<VulkanImage> {
    let f = v.access_render_buffer_texture.ok_or_else(|| Error::Gpu("no AccessRenderBufferTexture".into()))?;
    let mut image = std::mem::MaybeUninit::<VulkanImage>::zeroed();
    let ok = unsafe {
        f(
            buffer as api::RenderBuffer,
            std::ptr::null(),
            layout,
            stages,
            access,
            api::ACCESS_PIPELINE_BARRIER,
            image.as_mut_ptr(),
        )
    };
    let image = unsafe { image.assume_init() };
    if !ok || image.image == vk::Image::null() {
        return Err(Error::InvalidArgument(format!("render buffer {buffer:#x} is not an image Unity can give")));
    }
    if image.samples != vk::SampleCountFlags::TYPE_1 {
        return Err(Error::InvalidArgument(format!(
            "the camera's target has {} samples: splat4d draws into single-sampled targets (turn MSAA off)",
            image.samples.as_raw()
        )));
    }
    Ok(image)
}

impl View {
    /// Records `frame`; `Ok(false)` where Unity is still using the resources it would reuse.
    fn draw(
        &mut self,
        ctx: &Context,
        v: &UnityGraphicsVulkan,
        state: &RecordingState,
        frame: &Frame,
        multiview: bool,
        retired: &mut Vec<(Renderer, u64)>,
    ) -> Result<bool> {
        let color = access(
            v,
            frame.color,
            vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL,
            vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT,
            vk::AccessFlags::COLOR_ATTACHMENT_READ | vk::AccessFlags::COLOR_ATTACHMENT_WRITE,
        )?;
        let depth = match frame.depth {
            0 => None,
            buffer => Some(access(
                v,
                buffer,
                vk::ImageLayout::DEPTH_STENCIL_ATTACHMENT_OPTIMAL,
                vk::PipelineStageFlags::EARLY_FRAGMENT_TESTS | vk::PipelineStageFlags::LATE_FRAGMENT_TESTS,
                vk::AccessFlags::DEPTH_STENCIL_ATTACHMENT_READ | vk::AccessFlags::DEPTH_STENCIL_ATTACHMENT_WRITE,
            )?),
        };
        let format = TargetFormat::from_vk(color.format).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "the camera's colour format {:?}: splat4d draws into 8-bit RGBA or BGRA, R16G16B16A16_SFLOAT or \
                 B10G11R11_UFLOAT_PACK32 targets",
                color.format
            ))
        })?;
        let views = frame.poses.len() as u32;
        let (w, h) = (color.extent.width, color.extent.height);
        if (color.layers as u32) < views {
            return Err(Error::InvalidArgument(format!("{views} views into a target of {} layers", color.layers)));
        }
        let key = (w, h, views, color.format);
        let (current, safe) = (state.current_frame_number, state.safe_frame_number);
        if self.slots.get(&frame.pass).is_some_and(|s| s.key != key) {
            let old = self.slots.remove(&frame.pass).unwrap();
            retired.push((old.renderer, old.frames.back().copied().unwrap_or(0)));
        }
        if !self.slots.contains_key(&frame.pass) {
            // As many frames as Unity runs ahead, and one to spare.
            let depth = (current.saturating_sub(safe) + 2).clamp(2, MAX_FRAMES_IN_FLIGHT as u64) as u32;
            let options = RendererOptions {
                format,
                sort: self.options.sort,
                stats: self.options.stats,
                frames_in_flight: depth,
                ..RendererOptions::new(w, h, views)
            };
            let renderer = match self.options.budget {
                Some(b) => Renderer::streaming(ctx, &self.asset, &options, b, &self.options.policy)?,
                None => {
                    let mut r = Renderer::new(ctx, &self.asset, &options)?;
                    if let Err(e) = r.set_policy(&self.options.policy) {
                        r.destroy(ctx);
                        return Err(e);
                    }
                    r
                }
            };
            log::info!(
                "Unity plugin: a {w}x{h} renderer of {views} view(s), {depth} frames in flight, {}",
                if views == 2 && multiview { "both eyes in one pass" } else { "a pass per view" }
            );
            self.slots.insert(frame.pass, Slot { renderer, key, frames: VecDeque::new(), depth });
        }
        if let Some(policy) = self.policy.take() {
            for s in self.slots.values_mut() {
                s.renderer.set_policy(&policy)?;
            }
        }
        let slot = self.slots.get_mut(&frame.pass).unwrap();
        // The frame this one reuses the resources of must be one Unity has finished.
        if slot.frames.len() >= slot.depth as usize && slot.frames[slot.frames.len() - slot.depth as usize] > safe {
            return Ok(false);
        }
        let mut cameras = Vec::with_capacity(frame.poses.len());
        for (i, p) in frame.poses.iter().enumerate() {
            let c = Camera::from_pose_fov(p.position, p.orientation, p.tan, w, h)
                .ok_or_else(|| Error::InvalidArgument(format!("view {i}: the field of view is not valid")))?;
            cameras.push(if frame.flip_y { c.flipped_vertically() } else { c });
        }
        let target = HostTarget {
            image: color.image,
            final_layout: vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL,
            color: HostColor::Keep { layout: vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL },
            depth: depth.map(|d| HostDepth {
                image: d.image,
                format: d.format,
                width: d.extent.width,
                height: d.extent.height,
                layers: d.layers.max(0) as u32,
                initial_layout: vk::ImageLayout::DEPTH_STENCIL_ATTACHMENT_OPTIMAL,
                final_layout: vk::ImageLayout::DEPTH_STENCIL_ATTACHMENT_OPTIMAL,
                convention: frame.convention,
                test: frame.depth_test,
                write: frame.depth_write,
            }),
        };
        // SAFETY: Unity's command buffer of this event, outside a render pass (the event's
        // configuration and the call above); the images are Unity's, in the layouts its
        // barriers just put them in, and Unity tracks them in those layouts afterwards.
        unsafe { slot.renderer.record_into(ctx, state.command_buffer, frame.time, &cameras, target) }?;
        slot.frames.push_back(current);
        if slot.frames.len() > slot.depth as usize {
            slot.frames.pop_front();
        }
        if let Some(s) = slot.renderer.stats(ctx) {
            self.stats = Some(s);
        }
        Ok(true)
    }
}

/// The first of the event IDs Unity reserved for the plugin (draw is `first + EVENT_DRAW`).
pub fn events() -> Result<c_int> {
    plugin().as_ref().map(|p| p.event_base).ok_or_else(not_loaded)
}

/// What the plugin has: loaded, a runtime on Unity's device, multiview.
#[derive(Clone, Copy, Debug, Default)]
pub struct Info {
    pub loaded: bool,
    pub ready: bool,
    pub intercepted: bool,
    pub multiview: bool,
}

pub fn info() -> Info {
    let guard = plugin();
    let granted = init::granted();
    match guard.as_ref() {
        None => Info::default(),
        Some(p) => Info {
            loaded: true,
            ready: p.context.is_some(),
            intercepted: granted.intercepted,
            multiview: p.context.is_some() && p.multiview,
        },
    }
}

/// A view of `asset` (main thread); its renderers are made by the draws.
pub fn create_view(asset: Arc<Asset>, options: ViewOptions) -> Result<u32> {
    let mut guard = plugin();
    let p = guard.as_mut().ok_or_else(not_loaded)?;
    let id = p.next_view;
    p.next_view = p.next_view.checked_add(1).ok_or_else(|| Error::InvalidArgument("out of view IDs".into()))?;
    p.views.insert(
        id,
        View {
            asset,
            options,
            pending: VecDeque::new(),
            slots: HashMap::new(),
            policy: None,
            stats: None,
            counts: Counts::default(),
            warned: false,
        },
    );
    Ok(id)
}

fn with_view<T>(id: u32, f: impl FnOnce(&mut View) -> Result<T>) -> Result<T> {
    let mut guard = plugin();
    let p = guard.as_mut().ok_or_else(not_loaded)?;
    let view = p.views.get_mut(&id).ok_or_else(|| Error::InvalidArgument(format!("no view {id}")))?;
    f(view)
}

/// Queues `frame` for the view's next draw event.
pub fn submit(id: u32, frame: Frame) -> Result<()> {
    with_view(id, |v| {
        if v.pending.len() == PENDING {
            v.pending.pop_front();
            v.counts.dropped += 1;
        }
        v.pending.push_back(frame);
        Ok(())
    })
}

/// The policy the view's next draws use, checked against the asset's levels now.
pub fn set_policy(id: u32, policy: FramePolicy) -> Result<()> {
    with_view(id, |v| {
        policy.lod.for_levels(v.asset.levels().len())?;
        v.options.policy = policy;
        v.policy = Some(policy);
        Ok(())
    })
}

pub fn stats(id: u32) -> Result<(Option<FrameStats>, Counts)> {
    with_view(id, |v| Ok((v.stats, v.counts)))
}

/// Ends a view (main thread): its renderers are destroyed once Unity has finished the frames
/// that used them.
pub fn destroy_view(id: u32) -> Result<()> {
    let mut guard = plugin();
    let p = guard.as_mut().ok_or_else(not_loaded)?;
    let view = p.views.remove(&id).ok_or_else(|| Error::InvalidArgument(format!("no view {id}")))?;
    for slot in view.slots.into_values() {
        p.retired.push((slot.renderer, slot.frames.back().copied().unwrap_or(0)));
    }
    Ok(())
}
