//! Headset playback through OpenXR (DESIGN §8): the runtime creates the Vulkan instance and
//! device (`XR_KHR_vulkan_enable2`), the renderer draws both eyes into one two-layer array
//! swapchain image per frame (with multiview where the device has it; one swapchain per eye,
//! filled by copies, where the runtime refuses array swapchains), and the frame loop runs
//! `xrWaitFrame` → predicted display time → playback time → `xrLocateViews` → render →
//! `xrEndFrame` with a projection layer, handling every session state. Where the runtime takes
//! depth layers (`XR_KHR_composition_layer_depth`), each eye's view also carries the splats'
//! depth for the compositor's reprojection; the environment blend mode is the runtime's first
//! or the one asked for, and the layer's alpha (the splats' coverage) is blended where it
//! is not opaque.

mod place;
mod targets;

use targets::{record_frame, FrameResources, Targets};

use std::time::Duration;

use ash::vk::{self, Handle};
use glam::{Quat, Vec3};
use openxr as xr;

use crate::asset::Asset;
use crate::camera::Camera;
use crate::depth::DepthConvention;
use crate::error::{Error, Result};
use crate::gpu::{vk_err, Context, ContextOptions, Creator, UploadQueue};
use crate::playback::Playback;
use crate::renderer::{FramePolicy, Renderer, RendererOptions, SortOrder, TargetFormat};
pub use place::Placement;

const VIEW_TYPE: xr::ViewConfigurationType = xr::ViewConfigurationType::PRIMARY_STEREO;
const CORE_VALIDATION: &str = "XR_APILAYER_LUNARG_core_validation";
/// Eye height above a STAGE space's floor where the capture camera is put.
const EYE_HEIGHT: f32 = 1.6;
/// The depth layer's near plane, in metres: reverse Z with an infinite far plane, so that
/// precision follows distance as the compositor's reprojection needs it.
const DEPTH_NEAR_M: f32 = 0.05;
/// Depth swapchain formats, in the order they are taken where the runtime offers them (none
/// with stencil: the splats have none to give).
const DEPTH_FORMATS: [vk::Format; 3] = [vk::Format::D32_SFLOAT, vk::Format::X8_D24_UNORM_PACK32, vk::Format::D16_UNORM];

fn xr_err(call: &'static str) -> impl Fn(xr::sys::Result) -> Error {
    move |r| Error::Xr(format!("{call} failed: {r}"))
}

#[derive(Clone, Debug)]
pub struct XrOptions {
    /// The Khronos Vulkan validation layer, and OpenXR's core validation layer where installed.
    pub validation: bool,
    /// End the session cleanly after this many submitted frames (for tests and profiling).
    pub frames: Option<u64>,
    /// Room metres per asset unit.
    pub scale: f32,
    pub looping: bool,
    pub speed: f64,
    /// Read view 0 of this frame (counted from 1) back before its image is released.
    pub capture_frame: Option<u64>,
    /// The OpenXR loader to load; default: the system's `libopenxr_loader.so.1`.
    pub loader: Option<std::path::PathBuf>,
    /// One swapchain per eye even where a two-layer array swapchain works: the path taken for
    /// runtimes that refuse array swapchains (for tests and comparison).
    pub swapchain_per_eye: bool,
    /// Levels of detail, frame budget and active sets.
    pub policy: FramePolicy,
    /// Stream the asset, holding at most this many bytes of it on the GPU
    /// ([`Renderer::streaming`]); `None` uploads it whole.
    pub gpu_memory_budget: Option<u64>,
    /// Where streamed pages are uploaded.
    pub upload_queue: UploadQueue,
    /// Submit each eye's depth where the runtime takes depth layers.
    pub depth: bool,
    /// The environment blend mode; `None`: the runtime's first (its preference).
    pub blend: Option<xr::EnvironmentBlendMode>,
    /// The blend order: by distance from the eyes by default, so that turning the head never
    /// reorders splats (`benches/order.rs`: fewer pixels change from frame to frame).
    pub sort: SortOrder,
}

impl Default for XrOptions {
    fn default() -> Self {
        XrOptions {
            validation: false,
            frames: None,
            scale: 1.0,
            looping: true,
            speed: 1.0,
            capture_frame: None,
            loader: None,
            swapchain_per_eye: false,
            policy: FramePolicy::default(),
            gpu_memory_budget: None,
            upload_queue: UploadQueue::default(),
            depth: true,
            blend: None,
            sort: SortOrder::Distance,
        }
    }
}

/// A frame read back from the swapchain, with what it showed.
#[derive(Clone, Debug)]
pub struct CapturedFrame {
    pub time: f32,
    /// The views as the renderer saw them (in the asset's space).
    pub eyes: [Camera; 2],
    /// View 0's pixels, RGBA8 in the swapchain's format, rows from the top.
    pub pixels: Vec<u8>,
    pub format: TargetFormat,
    /// View 0's depth as submitted (stored values in [0, 1]) and its convention, in the
    /// asset's units, where the session submitted depth.
    pub depth: Option<(Vec<f32>, DepthConvention)>,
}

/// What a session did.
#[derive(Clone, Debug, Default)]
pub struct XrReport {
    pub runtime: String,
    pub system: String,
    /// Per view.
    pub size: [u32; 2],
    pub format: Option<TargetFormat>,
    pub multiview: bool,
    /// One swapchain per eye (the runtime refused a two-layer one, or it was asked for).
    pub swapchain_per_eye: bool,
    pub reference_space: String,
    /// The depth swapchains' format, where each eye's depth was submitted.
    pub depth_format: Option<vk::Format>,
    /// The blend modes the runtime offers, and the one the session used.
    pub blend_modes: Vec<xr::EnvironmentBlendMode>,
    pub blend: Option<xr::EnvironmentBlendMode>,
    /// Every state the session went through, in order.
    pub states: Vec<xr::SessionState>,
    /// Frames ended with a projection layer.
    pub frames_submitted: u64,
    pub capture: Option<CapturedFrame>,
    /// Vulkan validation messages (empty without validation).
    pub validation_messages: Vec<String>,
}

/// The XR runtime makes the Vulkan instance and device, adding what its compositor needs.
struct XrCreator<'a> {
    instance: &'a xr::Instance,
    system: xr::SystemId,
    /// The Vulkan loader's entry point, kept from instance creation for device creation.
    get_instance_proc_addr: std::cell::Cell<Option<vk::PFN_vkGetInstanceProcAddr>>,
}

/// ash's and openxr's types for `vkGetInstanceProcAddr`: the same C signature.
fn xr_gipa(f: vk::PFN_vkGetInstanceProcAddr) -> xr::sys::platform::VkGetInstanceProcAddr {
    // SAFETY: both are `extern "system" fn(VkInstance, *const c_char) -> PFN_vkVoidFunction`.
    unsafe { std::mem::transmute(f) }
}

impl Creator for XrCreator<'_> {
    unsafe fn create_instance(&self, entry: &ash::Entry, info: &vk::InstanceCreateInfo) -> Result<ash::Instance> {
        let gipa = entry.static_fn().get_instance_proc_addr;
        self.get_instance_proc_addr.set(Some(gipa));
        // SAFETY: the loader's entry point and a valid create info.
        let raw = unsafe {
            self.instance.create_vulkan_instance(
                self.system,
                xr_gipa(gipa),
                info as *const vk::InstanceCreateInfo as *const _,
            )
        }
        .map_err(xr_err("xrCreateVulkanInstanceKHR"))?
        .map_err(|r| vk_err("vkCreateInstance (through OpenXR)")(vk::Result::from_raw(r)))?;
        let handle = vk::Instance::from_raw(raw as u64);
        Ok(unsafe { ash::Instance::load(entry.static_fn(), handle) })
    }

    fn physical_device(&self, instance: &ash::Instance) -> Result<Option<vk::PhysicalDevice>> {
        let raw = unsafe { self.instance.vulkan_graphics_device(self.system, instance.handle().as_raw() as _) }
            .map_err(xr_err("xrGetVulkanGraphicsDevice2KHR"))?;
        Ok(Some(vk::PhysicalDevice::from_raw(raw as u64)))
    }

    unsafe fn create_device(
        &self,
        instance: &ash::Instance,
        physical_device: vk::PhysicalDevice,
        info: &vk::DeviceCreateInfo,
    ) -> Result<ash::Device> {
        let gipa = self.get_instance_proc_addr.get().ok_or_else(|| Error::Xr("device before instance".into()))?;
        let raw = unsafe {
            self.instance.create_vulkan_device(
                self.system,
                xr_gipa(gipa),
                physical_device.as_raw() as _,
                info as *const vk::DeviceCreateInfo as *const _,
            )
        }
        .map_err(xr_err("xrCreateVulkanDeviceKHR"))?
        .map_err(|r| vk_err("vkCreateDevice (through OpenXR)")(vk::Result::from_raw(r)))?;
        let handle = vk::Device::from_raw(raw as u64);
        Ok(unsafe { ash::Device::load(instance.fp_v1_0(), handle) })
    }
}

/// Plays `asset` in the headset until the session ends (the user quits, the runtime stops it,
/// or `options.frames` frames have been submitted).
pub fn play(asset: &Asset, options: &XrOptions) -> Result<XrReport> {
    play_with(asset, options, &(), &mut |_| true)
}

/// [`play`] with the platform's loader information (Android: the Java VM and activity, see
/// `openxr::AndroidPlatformInfo`) and a `control` called once per turn of the loop, before
/// each frame and while the session is idle: it may pause, seek or change the speed of the
/// playback, and ends the session by returning `false` (an Android host also pumps its
/// activity's events there).
pub fn play_with<P: xr::PlatformInfo + ?Sized>(
    asset: &Asset,
    options: &XrOptions,
    platform: &P,
    control: &mut dyn FnMut(&mut Playback) -> bool,
) -> Result<XrReport> {
    if !(options.scale.is_finite() && options.scale > 0.0) {
        return Err(Error::InvalidArgument(format!("scale {} must be positive", options.scale)));
    }
    let entry = unsafe {
        match &options.loader {
            Some(path) => xr::Entry::load_from(path, platform),
            None => xr::Entry::load(platform),
        }
    }
    .map_err(|e| Error::Xr(format!("cannot load the OpenXR loader (libopenxr_loader.so.1): {e}")))?;
    let available = entry.enumerate_extensions().map_err(xr_err("xrEnumerateInstanceExtensionProperties"))?;
    if !available.khr_vulkan_enable2 {
        return Err(Error::Xr("the OpenXR runtime has no XR_KHR_vulkan_enable2".into()));
    }
    let mut extensions = xr::ExtensionSet::default();
    extensions.khr_vulkan_enable2 = true;
    extensions.khr_composition_layer_depth = options.depth && available.khr_composition_layer_depth;
    // The loader needs the activity to make the instance.
    #[cfg(target_os = "android")]
    {
        extensions.khr_android_create_instance = true;
    }
    let layers: Vec<String> = if options.validation {
        entry
            .enumerate_layers()
            .map_err(xr_err("xrEnumerateApiLayerProperties"))?
            .into_iter()
            .map(|l| l.layer_name)
            .filter(|n| n == CORE_VALIDATION)
            .collect()
    } else {
        Vec::new()
    };
    let layer_refs: Vec<&str> = layers.iter().map(String::as_str).collect();
    let app = xr::ApplicationInfo {
        application_name: "splat4d",
        application_version: 1,
        engine_name: "splat4d",
        engine_version: 1,
        api_version: xr::Version::new(1, 0, 0),
    };
    let instance = entry.create_instance(&app, &extensions, &layer_refs, platform).map_err(|e| match e {
        xr::sys::Result::ERROR_RUNTIME_FAILURE | xr::sys::Result::ERROR_RUNTIME_UNAVAILABLE => Error::Xr(format!(
            "no OpenXR runtime is running or installed ({e}); start one (e.g. monado-service) or set XR_RUNTIME_JSON"
        )),
        e => xr_err("xrCreateInstance")(e),
    })?;
    let props = instance.properties().map_err(xr_err("xrGetInstanceProperties"))?;
    let system = instance.system(xr::FormFactor::HEAD_MOUNTED_DISPLAY).map_err(|e| match e {
        xr::sys::Result::ERROR_FORM_FACTOR_UNAVAILABLE => Error::Xr("no headset is connected".into()),
        e => xr_err("xrGetSystem")(e),
    })?;
    let mut report = XrReport {
        runtime: format!("{} {}", props.runtime_name, props.runtime_version),
        system: instance.system_properties(system).map_err(xr_err("xrGetSystemProperties"))?.system_name,
        ..Default::default()
    };
    log::info!("openxr: {} on {}", report.runtime, report.system);
    let requirements =
        instance.graphics_requirements::<xr::Vulkan>(system).map_err(xr_err("xrGetVulkanGraphicsRequirements2KHR"))?;
    if requirements.min_api_version_supported > xr::Version::new(1, 3, 0) {
        return Err(Error::Xr(format!("the runtime needs Vulkan {} or newer", requirements.min_api_version_supported)));
    }
    let ctx_options =
        ContextOptions { validation: options.validation, upload_queue: options.upload_queue, ..Default::default() };
    let creator = XrCreator { instance: &instance, system, get_instance_proc_addr: Default::default() };
    let ctx = Context::create(&ctx_options, &creator)?;
    let depth = extensions.khr_composition_layer_depth;
    let result = run_session(&instance, system, (&ctx, depth), asset, options, control, &mut report);
    report.validation_messages = ctx.validation_messages();
    drop(ctx);
    result.map(|()| report)
}

/// Runs the session on `ctx`: everything it makes is destroyed here, in order, before the
/// context goes.
fn run_session(
    instance: &xr::Instance,
    system: xr::SystemId,
    (ctx, depth): (&Context, bool),
    asset: &Asset,
    options: &XrOptions,
    control: &mut dyn FnMut(&mut Playback) -> bool,
    report: &mut XrReport,
) -> Result<()> {
    let views = instance
        .enumerate_view_configuration_views(system, VIEW_TYPE)
        .map_err(xr_err("xrEnumerateViewConfigurationViews"))?;
    if views.len() != 2 {
        return Err(Error::Xr(format!("{} views in a stereo configuration", views.len())));
    }
    let (width, height) = (views[0].recommended_image_rect_width, views[0].recommended_image_rect_height);
    report.size = [width, height];
    let (session, mut waiter, mut stream) = unsafe {
        instance.create_session::<xr::Vulkan>(
            system,
            &xr::vulkan::SessionCreateInfo {
                instance: ctx.instance_handle().as_raw() as _,
                physical_device: ctx.physical_device().as_raw() as _,
                device: ctx.device.handle().as_raw() as _,
                queue_family_index: ctx.queue_family,
                queue_index: 0,
            },
        )
    }
    .map_err(xr_err("xrCreateSession"))?;
    let spaces = session.enumerate_reference_spaces().map_err(xr_err("xrEnumerateReferenceSpaces"))?;
    let (space_type, eye) = if spaces.contains(&xr::ReferenceSpaceType::STAGE) {
        (xr::ReferenceSpaceType::STAGE, Vec3::new(0.0, EYE_HEIGHT, 0.0))
    } else {
        (xr::ReferenceSpaceType::LOCAL, Vec3::ZERO)
    };
    report.reference_space = format!("{space_type:?}");
    let space =
        session.create_reference_space(space_type, xr::Posef::IDENTITY).map_err(xr_err("xrCreateReferenceSpace"))?;
    // The runtime's order is its preference among 8-bit RGBA or BGRA (float swapchains, which
    // the renderer could write too, have not been tried on a runtime).
    let formats = session.enumerate_swapchain_formats().map_err(xr_err("xrEnumerateSwapchainFormats"))?;
    let format = formats
        .iter()
        .find_map(|&f| TargetFormat::from_vk(vk::Format::from_raw(f as i32)).filter(|t| !t.is_float()))
        .ok_or_else(|| Error::Xr("the runtime offers no 8-bit RGBA or BGRA swapchain format".into()))?;
    report.format = Some(format);
    report.multiview = ctx.multiview;
    report.blend_modes = instance
        .enumerate_environment_blend_modes(system, VIEW_TYPE)
        .map_err(xr_err("xrEnumerateEnvironmentBlendModes"))?;
    let blend = match options.blend {
        Some(b) if !report.blend_modes.contains(&b) => {
            return Err(Error::Xr(format!(
                "the runtime offers no {b:?} blend mode (it offers {:?})",
                report.blend_modes
            )))
        }
        Some(b) => b,
        None => report.blend_modes.first().copied().unwrap_or(xr::EnvironmentBlendMode::OPAQUE),
    };
    report.blend = Some(blend);
    let depth = if depth {
        let format = formats.iter().map(|&f| vk::Format::from_raw(f as i32)).find(|f| DEPTH_FORMATS.contains(f));
        if format.is_none() {
            log::info!("openxr: no depth swapchain format without stencil offered: no depth layers");
        }
        let near = DEPTH_NEAR_M / options.scale;
        format.map(|f| (f, DepthConvention { near, far: f32::INFINITY, reversed: true }))
    } else {
        None
    };
    report.depth_format = depth.map(|d| d.0);
    let mut targets = Targets::new(ctx, &session, (format.vk(), depth), [width, height], options.swapchain_per_eye)?;
    report.swapchain_per_eye = targets.per_eye();

    let camera = asset.cameras().first().copied().unwrap_or_else(|| {
        let f = asset.info().focus;
        crate::camera::orbit_cameras(Vec3::new(f[0], f[1], f[2]), f[3], 1, width, height)[0]
    });
    let placement = Placement::from_camera(&camera, eye, options.scale);
    let mut playback = Playback::new(asset.info().time_range)?;
    playback.set_looping(options.looping);
    playback.set_speed(options.speed)?;
    let renderer_options = RendererOptions { format, sort: options.sort, ..RendererOptions::new(width, height, 2) };
    let made = match options.gpu_memory_budget {
        Some(b) => Renderer::streaming(ctx, asset, &renderer_options, b, &options.policy),
        None => Renderer::new(ctx, asset, &renderer_options),
    };
    let made = made.and_then(|mut renderer| {
        match renderer.set_policy(&options.policy).and_then(|()| FrameResources::new(ctx, width, height)) {
            Ok(frames) => Ok((renderer, frames)),
            Err(e) => {
                renderer.destroy(ctx);
                Err(e)
            }
        }
    });
    let (mut renderer, mut frames) = match made {
        Ok(made) => made,
        Err(e) => {
            targets.destroy(ctx);
            return Err(e);
        }
    };
    let result = frame_loop(
        instance,
        &session,
        &mut waiter,
        &mut stream,
        &space,
        &mut targets,
        (&placement, &mut playback, blend),
        (ctx, &mut renderer, &mut frames),
        options,
        control,
        report,
    );
    // The GPU must be done with the swapchain images before they go.
    unsafe { ctx.device.device_wait_idle() }.map_err(vk_err("vkDeviceWaitIdle"))?;
    frames.destroy(ctx);
    renderer.destroy(ctx);
    targets.destroy(ctx);
    drop(space);
    drop(stream);
    drop(waiter);
    drop(session);
    result
}

#[allow(clippy::too_many_arguments)]
fn frame_loop(
    instance: &xr::Instance,
    session: &xr::Session<xr::Vulkan>,
    waiter: &mut xr::FrameWaiter,
    stream: &mut xr::FrameStream<xr::Vulkan>,
    space: &xr::Space,
    targets: &mut Targets,
    (placement, playback, blend): (&Placement, &mut Playback, xr::EnvironmentBlendMode),
    (ctx, renderer, frames): (&Context, &mut Renderer, &mut FrameResources),
    options: &XrOptions,
    control: &mut dyn FnMut(&mut Playback) -> bool,
    report: &mut XrReport,
) -> Result<()> {
    let [width, height] = report.size;
    let mut events = xr::EventDataBuffer::new();
    let mut running = false;
    let mut exit_requested = false;
    loop {
        while let Some(event) = instance.poll_event(&mut events).map_err(xr_err("xrPollEvent"))? {
            match event {
                xr::Event::SessionStateChanged(e) => {
                    let state = e.state();
                    log::info!("openxr session: {state:?}");
                    report.states.push(state);
                    match state {
                        xr::SessionState::READY => {
                            session.begin(VIEW_TYPE).map_err(xr_err("xrBeginSession"))?;
                            running = true;
                        }
                        xr::SessionState::STOPPING => {
                            session.end().map_err(xr_err("xrEndSession"))?;
                            running = false;
                        }
                        // The runtime wants the session gone (EXITING), or is losing it.
                        xr::SessionState::EXITING | xr::SessionState::LOSS_PENDING => return Ok(()),
                        // IDLE, SYNCHRONIZED, VISIBLE, FOCUSED: nothing to do but render when asked.
                        _ => {}
                    }
                }
                xr::Event::InstanceLossPending(_) => {
                    log::warn!("openxr: the instance is being lost");
                    return Ok(());
                }
                xr::Event::EventsLost(e) => log::warn!("openxr: {} events lost", e.lost_event_count()),
                _ => {}
            }
        }
        let go_on = control(playback) && options.frames.is_none_or(|n| report.frames_submitted < n);
        if !go_on && !exit_requested {
            if !running {
                // No running session to end: leave now.
                return Ok(());
            }
            // The runtime answers with STOPPING, then (after xrEndSession) EXITING.
            session.request_exit().map_err(xr_err("xrRequestExitSession"))?;
            exit_requested = true;
        }
        if !running {
            // Before READY or after STOPPING: nothing to render; events come at their own pace.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        }
        let state = waiter.wait().map_err(xr_err("xrWaitFrame"))?;
        stream.begin().map_err(xr_err("xrBeginFrame"))?;
        let display_time = state.predicted_display_time;
        let time = playback.at(display_time.as_nanos()) as f32;
        if !state.should_render {
            stream.end(display_time, blend, &[]).map_err(xr_err("xrEndFrame"))?;
            continue;
        }
        let (_, views) = session.locate_views(VIEW_TYPE, display_time, space).map_err(xr_err("xrLocateViews"))?;
        let eyes = [0, 1].map(|i| {
            let v = &views[i];
            let p = v.pose.position;
            let o = v.pose.orientation;
            let tangents =
                [v.fov.angle_left.tan(), v.fov.angle_right.tan(), v.fov.angle_up.tan(), v.fov.angle_down.tan()];
            placement.camera(Vec3::new(p.x, p.y, p.z), Quat::from_xyzw(o.x, o.y, o.z, o.w), tangents, width, height)
        });
        let [left, right] = eyes;
        let eyes = [left?, right?];
        let (color, depth) = targets.acquire()?;
        let depth = depth.zip(targets.depth.as_ref()).map(|(d, &(_, format, convention))| (d, format, convention));
        let capture = options.capture_frame == Some(report.frames_submitted + 1);
        let recorded = record_frame(ctx, renderer, frames, (color, depth), time, &eyes, capture, [width, height]);
        // Released whatever happened: the runtime owns the images again.
        targets.release()?;
        recorded?;
        if capture {
            report.capture = Some(captured(ctx, frames, (time, eyes), report, depth.map(|(_, f, c)| (f, c)))?);
        }
        let rect = xr::Rect2Di {
            offset: xr::Offset2Di { x: 0, y: 0 },
            extent: xr::Extent2Di { width: width as i32, height: height as i32 },
        };
        // Each view's depth, chained to it: they live until xrEndFrame returns.
        let depth_infos = [0, 1].map(|i| {
            let ((swapchain, layer), (_, _, c)) = (targets.sub_images(i).1?, targets.depth.as_ref()?);
            let sub_image = xr::SwapchainSubImage::new().swapchain(swapchain).image_array_index(layer).image_rect(rect);
            // In metres; reverse Z says so with the near value beyond the far one.
            let (near, far) = (c.far * options.scale, c.near * options.scale);
            Some(xr::sys::CompositionLayerDepthInfoKHR {
                ty: xr::sys::CompositionLayerDepthInfoKHR::TYPE,
                next: std::ptr::null(),
                sub_image: sub_image.into_raw(),
                min_depth: 0.0,
                max_depth: 1.0,
                near_z: near,
                far_z: far,
            })
        });
        let projection_views = [0, 1].map(|i| {
            let ((swapchain, layer), _) = targets.sub_images(i);
            let view = xr::CompositionLayerProjectionView::new()
                .pose(views[i].pose)
                .fov(views[i].fov)
                .sub_image(xr::SwapchainSubImage::new().swapchain(swapchain).image_array_index(layer).image_rect(rect));
            let mut raw = view.into_raw();
            if let Some(info) = &depth_infos[i] {
                raw.next = info as *const _ as *const std::ffi::c_void;
            }
            // SAFETY: `raw` is the builder's own struct; its chain points into `depth_infos`,
            // alive until xrEndFrame returns below.
            unsafe { xr::CompositionLayerProjectionView::from_raw(raw) }
        });
        // Where the environment shows through, the splats' coverage (premultiplied alpha)
        // says how much of it.
        let flags = if blend == xr::EnvironmentBlendMode::OPAQUE {
            xr::CompositionLayerFlags::EMPTY
        } else {
            xr::CompositionLayerFlags::BLEND_TEXTURE_SOURCE_ALPHA
        };
        let layer = xr::CompositionLayerProjection::new().layer_flags(flags).space(space).views(&projection_views);
        stream.end(display_time, blend, &[&layer]).map_err(xr_err("xrEndFrame"))?;
        report.frames_submitted += 1;
    }
}

/// The frame read back for a test: view 0's colour, and its depth where it was submitted.
fn captured(
    ctx: &Context,
    frames: &FrameResources,
    (time, eyes): (f32, [Camera; 2]),
    report: &XrReport,
    depth: Option<(vk::Format, DepthConvention)>,
) -> Result<CapturedFrame> {
    let [width, height] = report.size;
    let pixels_bytes = (width * height * 4) as usize;
    let readback = frames.readback.as_ref().expect("made with the frames");
    let mut pixels = vec![0u8; pixels_bytes];
    ctx.read(readback, 0, &mut pixels)?;
    let depth = match depth {
        Some((format, convention)) => {
            let mut raw = vec![0u8; pixels_bytes];
            ctx.read(readback, pixels_bytes as u64, &mut raw)?;
            let values = match format {
                vk::Format::D16_UNORM => raw
                    .chunks_exact(2)
                    .take((width * height) as usize)
                    .map(|b| u16::from_le_bytes([b[0], b[1]]) as f32 / 65535.0)
                    .collect(),
                vk::Format::X8_D24_UNORM_PACK32 => raw
                    .chunks_exact(4)
                    .map(|b| (u32::from_le_bytes(b.try_into().unwrap()) & 0xff_ffff) as f32 / 16_777_215.0)
                    .collect(),
                _ => raw.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect(),
            };
            Some((values, convention))
        }
        None => None,
    };
    Ok(CapturedFrame { time, eyes, pixels, format: report.format.expect("chosen above"), depth })
}
