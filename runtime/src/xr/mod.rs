//! Headset playback through OpenXR (DESIGN §8): the runtime creates the Vulkan instance and
//! device (`XR_KHR_vulkan_enable2`), the renderer draws both eyes into one two-layer array
//! swapchain image per frame (with multiview where the device has it; one swapchain per eye,
//! filled by copies, where the runtime refuses array swapchains), and the frame loop runs
//! `xrWaitFrame` → predicted display time → playback time → `xrLocateViews` → render →
//! `xrEndFrame` with a projection layer, handling every session state.

mod place;

use std::time::Duration;

use ash::vk::{self, Handle};
use glam::{Quat, Vec3};
use openxr as xr;

use crate::asset::Asset;
use crate::camera::Camera;
use crate::error::{Error, Result};
use crate::gpu::{vk_err, Buffer, Context, ContextOptions, Creator, Image, MemoryKind};
use crate::playback::Playback;
use crate::renderer::{HostTarget, Renderer, RendererOptions, SortOrder, TargetFormat};
pub use place::Placement;

const VIEW_TYPE: xr::ViewConfigurationType = xr::ViewConfigurationType::PRIMARY_STEREO;
const CORE_VALIDATION: &str = "XR_APILAYER_LUNARG_core_validation";
/// Eye height above a STAGE space's floor where the capture camera is put.
const EYE_HEIGHT: f32 = 1.6;

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
    let ctx_options = ContextOptions { validation: options.validation, ..Default::default() };
    let creator = XrCreator { instance: &instance, system, get_instance_proc_addr: Default::default() };
    let ctx = Context::create(&ctx_options, &creator)?;
    let result = Session::run(&instance, system, &ctx, asset, options, control, &mut report);
    report.validation_messages = ctx.validation_messages();
    drop(ctx);
    result.map(|()| report)
}

/// What lives as long as the XR session: destroyed in `Session::run` in the right order.
struct Session;

impl Session {
    fn run(
        instance: &xr::Instance,
        system: xr::SystemId,
        ctx: &Context,
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
        let space = session
            .create_reference_space(space_type, xr::Posef::IDENTITY)
            .map_err(xr_err("xrCreateReferenceSpace"))?;
        // The runtime's order is its preference; the renderer writes 8-bit RGBA or BGRA.
        let formats = session.enumerate_swapchain_formats().map_err(xr_err("xrEnumerateSwapchainFormats"))?;
        let format = formats
            .iter()
            .find_map(|&f| TargetFormat::from_vk(vk::Format::from_raw(f as i32)))
            .ok_or_else(|| Error::Xr("the runtime offers no 8-bit RGBA or BGRA swapchain format".into()))?;
        report.format = Some(format);
        report.multiview = ctx.multiview;
        let mut targets = Targets::new(ctx, &session, format, [width, height], options.swapchain_per_eye)?;
        report.swapchain_per_eye = matches!(targets, Targets::PerEye { .. });
        let blend = instance
            .enumerate_environment_blend_modes(system, VIEW_TYPE)
            .map_err(xr_err("xrEnumerateEnvironmentBlendModes"))?
            .first()
            .copied()
            .unwrap_or(xr::EnvironmentBlendMode::OPAQUE);

        let camera = asset.cameras().first().copied().unwrap_or_else(|| {
            let f = asset.info().focus;
            crate::camera::orbit_cameras(Vec3::new(f[0], f[1], f[2]), f[3], 1, width, height)[0]
        });
        let placement = Placement::from_camera(&camera, eye, options.scale);
        let mut playback = Playback::new(asset.info().time_range)?;
        playback.set_looping(options.looping);
        playback.set_speed(options.speed)?;
        let renderer_options = RendererOptions {
            width,
            height,
            views: 2,
            format,
            background: Vec3::ZERO,
            sort: SortOrder::Shared,
            stats: true,
        };
        let mut renderer = Renderer::new(ctx, asset, &renderer_options)?;
        let mut frames = FrameResources::new(ctx, width, height)?;
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
}

/// Where the eyes go.
enum Targets {
    /// One two-layer array swapchain: the renderer draws into its images directly.
    Array { swapchain: xr::Swapchain<xr::Vulkan>, images: Vec<vk::Image> },
    /// One swapchain per eye, for runtimes without array swapchains: the renderer draws into a
    /// two-layer image of ours, copied into each eye's image. One image per frame in flight, so
    /// a frame never draws into what the frame before is still copying from.
    PerEye { swapchains: [xr::Swapchain<xr::Vulkan>; 2], images: [Vec<vk::Image>; 2], staging: [Image; 2], next: usize },
}

impl Targets {
    fn new(
        ctx: &Context,
        session: &xr::Session<xr::Vulkan>,
        format: TargetFormat,
        [width, height]: [u32; 2],
        per_eye: bool,
    ) -> Result<Targets> {
        let create = |layers: u32, usage: xr::SwapchainUsageFlags| {
            session.create_swapchain(&xr::SwapchainCreateInfo {
                create_flags: xr::SwapchainCreateFlags::EMPTY,
                usage_flags: usage,
                format: format.vk().as_raw() as u32,
                sample_count: 1,
                width,
                height,
                face_count: 1,
                array_size: layers,
                mip_count: 1,
            })
        };
        let images = |swapchain: &xr::Swapchain<xr::Vulkan>| -> Result<Vec<vk::Image>> {
            Ok(swapchain
                .enumerate_images()
                .map_err(xr_err("xrEnumerateSwapchainImages"))?
                .into_iter()
                .map(vk::Image::from_raw)
                .collect())
        };
        if !per_eye {
            let usage = xr::SwapchainUsageFlags::COLOR_ATTACHMENT | xr::SwapchainUsageFlags::TRANSFER_SRC;
            match create(2, usage) {
                Ok(swapchain) => {
                    let images = images(&swapchain)?;
                    return Ok(Targets::Array { swapchain, images });
                }
                Err(e) => log::info!("openxr: no two-layer swapchain ({e}): one per eye"),
            }
        }
        // Written by copies; read back by tests.
        let usage = xr::SwapchainUsageFlags::COLOR_ATTACHMENT
            | xr::SwapchainUsageFlags::TRANSFER_DST
            | xr::SwapchainUsageFlags::TRANSFER_SRC;
        let left = create(1, usage).map_err(xr_err("xrCreateSwapchain"))?;
        let right = create(1, usage).map_err(xr_err("xrCreateSwapchain"))?;
        let eye_images = [images(&left)?, images(&right)?];
        let info = vk::ImageCreateInfo::default()
            .image_type(vk::ImageType::TYPE_2D)
            .format(format.vk())
            .extent(vk::Extent3D { width, height, depth: 1 })
            .mip_levels(1)
            .array_layers(2)
            .samples(vk::SampleCountFlags::TYPE_1)
            .tiling(vk::ImageTiling::OPTIMAL)
            .usage(vk::ImageUsageFlags::COLOR_ATTACHMENT | vk::ImageUsageFlags::TRANSFER_SRC)
            .initial_layout(vk::ImageLayout::UNDEFINED);
        let first = ctx.create_image("xr eyes 0", &info)?;
        let second = match ctx.create_image("xr eyes 1", &info) {
            Ok(i) => i,
            Err(e) => {
                ctx.destroy_image(first);
                return Err(e);
            }
        };
        Ok(Targets::PerEye { swapchains: [left, right], images: eye_images, staging: [first, second], next: 0 })
    }

    /// Acquires and waits for this frame's image(s): the renderer's target, and with one
    /// swapchain per eye the eyes' images to copy it into.
    fn acquire(&mut self) -> Result<(vk::Image, Option<[vk::Image; 2]>)> {
        let take = |swapchain: &mut xr::Swapchain<xr::Vulkan>| -> Result<usize> {
            let index = swapchain.acquire_image().map_err(xr_err("xrAcquireSwapchainImage"))? as usize;
            swapchain.wait_image(xr::Duration::INFINITE).map_err(xr_err("xrWaitSwapchainImage"))?;
            Ok(index)
        };
        match self {
            Targets::Array { swapchain, images } => Ok((images[take(swapchain)?], None)),
            Targets::PerEye { swapchains, images, staging, next } => {
                let [left, right] = swapchains;
                let (l, r) = (take(left)?, take(right)?);
                let target = staging[*next].raw;
                *next = (*next + 1) % 2;
                Ok((target, Some([images[0][l], images[1][r]])))
            }
        }
    }

    fn release(&mut self) -> Result<()> {
        match self {
            Targets::Array { swapchain, .. } => swapchain.release_image().map_err(xr_err("xrReleaseSwapchainImage")),
            Targets::PerEye { swapchains, .. } => {
                for s in swapchains {
                    s.release_image().map_err(xr_err("xrReleaseSwapchainImage"))?;
                }
                Ok(())
            }
        }
    }

    /// Eye `eye`'s swapchain and layer.
    fn sub_image(&self, eye: usize) -> (&xr::Swapchain<xr::Vulkan>, u32) {
        match self {
            Targets::Array { swapchain, .. } => (swapchain, eye as u32),
            Targets::PerEye { swapchains, .. } => (&swapchains[eye], 0),
        }
    }

    fn destroy(self, ctx: &Context) {
        if let Targets::PerEye { staging, .. } = self {
            staging.into_iter().for_each(|i| ctx.destroy_image(i));
        }
    }
}

/// Command buffers of the frames in flight and the read-back buffer.
struct FrameResources {
    pool: vk::CommandPool,
    cmds: [vk::CommandBuffer; 2],
    fences: [vk::Fence; 2],
    readback: Option<Buffer>,
    next: usize,
}

impl FrameResources {
    fn new(ctx: &Context, width: u32, height: u32) -> Result<FrameResources> {
        let d = &ctx.device;
        let pool_info = vk::CommandPoolCreateInfo::default()
            .queue_family_index(ctx.queue_family)
            .flags(vk::CommandPoolCreateFlags::RESET_COMMAND_BUFFER);
        let pool = unsafe { d.create_command_pool(&pool_info, None) }.map_err(vk_err("vkCreateCommandPool"))?;
        let mut made = FrameResources {
            pool,
            cmds: [vk::CommandBuffer::null(); 2],
            fences: [vk::Fence::null(); 2],
            readback: None,
            next: 0,
        };
        let alloc = vk::CommandBufferAllocateInfo::default()
            .command_pool(pool)
            .level(vk::CommandBufferLevel::PRIMARY)
            .command_buffer_count(2);
        match unsafe { d.allocate_command_buffers(&alloc) } {
            Ok(c) => made.cmds.copy_from_slice(&c),
            Err(e) => {
                made.destroy(ctx);
                return Err(vk_err("vkAllocateCommandBuffers")(e));
            }
        }
        for i in 0..2 {
            // Signalled: the first wait on each passes.
            let info = vk::FenceCreateInfo::default().flags(vk::FenceCreateFlags::SIGNALED);
            match unsafe { d.create_fence(&info, None) } {
                Ok(f) => made.fences[i] = f,
                Err(e) => {
                    made.destroy(ctx);
                    return Err(vk_err("vkCreateFence")(e));
                }
            }
        }
        match ctx.create_buffer(
            "xr read-back",
            width as u64 * height as u64 * 4,
            vk::BufferUsageFlags::TRANSFER_DST,
            MemoryKind::Readback,
        ) {
            Ok(b) => made.readback = Some(b),
            Err(e) => {
                made.destroy(ctx);
                return Err(e);
            }
        }
        Ok(made)
    }

    fn destroy(mut self, ctx: &Context) {
        unsafe {
            for f in self.fences {
                ctx.device.destroy_fence(f, None);
            }
            ctx.device.destroy_command_pool(self.pool, None);
        }
        if let Some(b) = self.readback.take() {
            ctx.destroy_buffer(b);
        }
    }
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
        let target = targets.acquire()?;
        let capture = options.capture_frame == Some(report.frames_submitted + 1);
        let recorded = record_frame(ctx, renderer, frames, target, time, &eyes, capture, [width, height]);
        // Released whatever happened: the runtime owns the images again.
        targets.release()?;
        recorded?;
        if capture {
            let mut pixels = vec![0u8; (width * height * 4) as usize];
            ctx.read(frames.readback.as_ref().expect("made with the frames"), 0, &mut pixels)?;
            report.capture = Some(CapturedFrame { time, eyes, pixels, format: report.format.expect("chosen above") });
        }
        let rect = xr::Rect2Di {
            offset: xr::Offset2Di { x: 0, y: 0 },
            extent: xr::Extent2Di { width: width as i32, height: height as i32 },
        };
        let projection_views = [0, 1].map(|i| {
            let (swapchain, layer) = targets.sub_image(i);
            xr::CompositionLayerProjectionView::new()
                .pose(views[i].pose)
                .fov(views[i].fov)
                .sub_image(xr::SwapchainSubImage::new().swapchain(swapchain).image_array_index(layer).image_rect(rect))
        });
        let layer = xr::CompositionLayerProjection::new().space(space).views(&projection_views);
        stream.end(display_time, blend, &[&layer]).map_err(xr_err("xrEndFrame"))?;
        report.frames_submitted += 1;
    }
}

/// Records and submits one frame: both eyes into `target`'s layers 0 and 1, then, with one
/// swapchain per eye, copied into the eyes' images; with `capture`, layer 0 also into the
/// read-back buffer, waited for.
#[allow(clippy::too_many_arguments)]
fn record_frame(
    ctx: &Context,
    renderer: &mut Renderer,
    frames: &mut FrameResources,
    (target, eye_images): (vk::Image, Option<[vk::Image; 2]>),
    time: f32,
    eyes: &[Camera; 2],
    capture: bool,
    [width, height]: [u32; 2],
) -> Result<()> {
    let d = &ctx.device;
    let slot = frames.next;
    frames.next = (slot + 1) % 2;
    let (cmd, fence) = (frames.cmds[slot], frames.fences[slot]);
    // The renderer reuses the resources of the frame two back: that frame must be done.
    unsafe {
        d.wait_for_fences(&[fence], true, 120_000_000_000).map_err(vk_err("vkWaitForFences"))?;
        d.reset_fences(&[fence]).map_err(vk_err("vkResetFences"))?;
        d.reset_command_buffer(cmd, vk::CommandBufferResetFlags::empty()).map_err(vk_err("vkResetCommandBuffer"))?;
        let begin = vk::CommandBufferBeginInfo::default().flags(vk::CommandBufferUsageFlags::ONE_TIME_SUBMIT);
        d.begin_command_buffer(cmd, &begin).map_err(vk_err("vkBeginCommandBuffer"))?;
    }
    // OpenXR wants colour swapchain images back in COLOR_ATTACHMENT_OPTIMAL; a target that is
    // copied from (read back, or ours for eyes with their own swapchains) ends in TRANSFER_SRC.
    let copied = capture || eye_images.is_some();
    let final_layout =
        if copied { vk::ImageLayout::TRANSFER_SRC_OPTIMAL } else { vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL };
    unsafe { renderer.record_into(ctx, cmd, time, eyes, HostTarget { image: target, final_layout }) }?;
    if copied {
        let both =
            vk::ImageSubresourceRange::default().aspect_mask(vk::ImageAspectFlags::COLOR).level_count(1).layer_count(2);
        let one =
            vk::ImageSubresourceRange::default().aspect_mask(vk::ImageAspectFlags::COLOR).level_count(1).layer_count(1);
        let layer = |i: u32| {
            vk::ImageSubresourceLayers::default()
                .aspect_mask(vk::ImageAspectFlags::COLOR)
                .base_array_layer(i)
                .layer_count(1)
        };
        let extent = vk::Extent3D { width, height, depth: 1 };
        let barrier = |image, range, (old, src), (new, dst)| {
            vk::ImageMemoryBarrier::default()
                .src_access_mask(src)
                .dst_access_mask(dst)
                .old_layout(old)
                .new_layout(new)
                .image(image)
                .subresource_range(range)
        };
        unsafe {
            // The render pass wrote the target; the copies read it. The eyes' images, which
            // the runtime is done with (xrWaitSwapchainImage), become copy destinations.
            let mut before = vec![barrier(
                target,
                both,
                (vk::ImageLayout::TRANSFER_SRC_OPTIMAL, vk::AccessFlags::COLOR_ATTACHMENT_WRITE),
                (vk::ImageLayout::TRANSFER_SRC_OPTIMAL, vk::AccessFlags::TRANSFER_READ),
            )];
            for image in eye_images.into_iter().flatten() {
                before.push(barrier(
                    image,
                    one,
                    (vk::ImageLayout::UNDEFINED, vk::AccessFlags::empty()),
                    (vk::ImageLayout::TRANSFER_DST_OPTIMAL, vk::AccessFlags::TRANSFER_WRITE),
                ));
            }
            let stages = vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT | vk::PipelineStageFlags::TOP_OF_PIPE;
            d.cmd_pipeline_barrier(
                cmd,
                stages,
                vk::PipelineStageFlags::TRANSFER,
                vk::DependencyFlags::empty(),
                &[],
                &[],
                &before,
            );
            let readback = frames.readback.as_ref().expect("made with the frames").raw;
            let read_region = vk::BufferImageCopy::default().image_subresource(layer(0)).image_extent(extent);
            if capture && eye_images.is_none() {
                let src = vk::ImageLayout::TRANSFER_SRC_OPTIMAL;
                d.cmd_copy_image_to_buffer(cmd, target, src, readback, &[read_region]);
            }
            // What the runtime gets back, in COLOR_ATTACHMENT_OPTIMAL after the copies.
            let mut after = Vec::new();
            match eye_images {
                Some(images) => {
                    for (e, image) in images.into_iter().enumerate() {
                        let region = vk::ImageCopy::default()
                            .src_subresource(layer(e as u32))
                            .dst_subresource(layer(0))
                            .extent(extent);
                        let (src, dst) = (vk::ImageLayout::TRANSFER_SRC_OPTIMAL, vk::ImageLayout::TRANSFER_DST_OPTIMAL);
                        d.cmd_copy_image(cmd, target, src, image, dst, &[region]);
                    }
                    // The left eye read back from its own swapchain image, after the copy.
                    let mut left_from = (vk::ImageLayout::TRANSFER_DST_OPTIMAL, vk::AccessFlags::TRANSFER_WRITE);
                    if capture {
                        let readable = barrier(
                            images[0],
                            one,
                            left_from,
                            (vk::ImageLayout::TRANSFER_SRC_OPTIMAL, vk::AccessFlags::TRANSFER_READ),
                        );
                        let stage = vk::PipelineStageFlags::TRANSFER;
                        d.cmd_pipeline_barrier(cmd, stage, stage, vk::DependencyFlags::empty(), &[], &[], &[readable]);
                        let src = vk::ImageLayout::TRANSFER_SRC_OPTIMAL;
                        d.cmd_copy_image_to_buffer(cmd, images[0], src, readback, &[read_region]);
                        left_from = (vk::ImageLayout::TRANSFER_SRC_OPTIMAL, vk::AccessFlags::TRANSFER_READ);
                    }
                    let right_from = (vk::ImageLayout::TRANSFER_DST_OPTIMAL, vk::AccessFlags::TRANSFER_WRITE);
                    for (image, from) in images.into_iter().zip([left_from, right_from]) {
                        after.push(barrier(
                            image,
                            one,
                            from,
                            (vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL, vk::AccessFlags::COLOR_ATTACHMENT_WRITE),
                        ));
                    }
                }
                None => after.push(barrier(
                    target,
                    both,
                    (vk::ImageLayout::TRANSFER_SRC_OPTIMAL, vk::AccessFlags::TRANSFER_READ),
                    (vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL, vk::AccessFlags::COLOR_ATTACHMENT_WRITE),
                )),
            }
            let host = vk::MemoryBarrier::default()
                .src_access_mask(vk::AccessFlags::TRANSFER_WRITE)
                .dst_access_mask(vk::AccessFlags::HOST_READ);
            d.cmd_pipeline_barrier(
                cmd,
                vk::PipelineStageFlags::TRANSFER,
                vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT | vk::PipelineStageFlags::HOST,
                vk::DependencyFlags::empty(),
                &[host],
                &[],
                &after,
            );
        }
    }
    unsafe {
        d.end_command_buffer(cmd).map_err(vk_err("vkEndCommandBuffer"))?;
        let cmds = [cmd];
        let submit = vk::SubmitInfo::default().command_buffers(&cmds);
        d.queue_submit(ctx.queue, &[submit], fence).map_err(vk_err("vkQueueSubmit"))?;
        if capture {
            d.wait_for_fences(&[fence], true, 120_000_000_000).map_err(vk_err("vkWaitForFences"))?;
        }
    }
    Ok(())
}
