//! Embedded mode (DESIGN §6): a host creates its own Vulkan instance and device and lends
//! them to splat4d. The frame must match the standalone one, and when the host tears down,
//! the validation layer must find nothing of splat4d's left on its device.

mod common;

use std::ffi::c_void;
use std::sync::Mutex;

use ash::vk;
use splat4d::glam::Vec3;
use splat4d::gpu::{Context, ContextOptions, HostVulkan};
use splat4d::renderer::{Renderer, RendererOptions, SortOrder, TargetFormat};
use splat4d::{demo, Asset, Camera};

/// The host's own validation messages (warnings and errors).
static HOST_MESSAGES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// These tests run one at a time: a host's own instance-level calls (enumerating devices may
/// unload drivers) are not covered by the lock splat4d holds around its own, and the Vulkan
/// loader can crash when another thread is inside it at that moment.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

unsafe extern "system" fn on_host_message(
    _severity: vk::DebugUtilsMessageSeverityFlagsEXT,
    _types: vk::DebugUtilsMessageTypeFlagsEXT,
    data: *const vk::DebugUtilsMessengerCallbackDataEXT<'_>,
    _user: *mut c_void,
) -> vk::Bool32 {
    let text = unsafe { data.as_ref().and_then(|d| d.message_as_c_str()) }
        .map_or_else(|| "(no message)".into(), |m| m.to_string_lossy().into_owned());
    HOST_MESSAGES.lock().unwrap().push(text);
    vk::FALSE
}

/// What a host application creates for itself: instance (validation on), device, queue.
struct Host {
    entry: ash::Entry,
    instance: ash::Instance,
    debug: ash::ext::debug_utils::Instance,
    messenger: vk::DebugUtilsMessengerEXT,
    physical_device: vk::PhysicalDevice,
    device: ash::Device,
    queue_family: u32,
    queue: vk::Queue,
}

impl Host {
    fn new() -> Host {
        let entry = unsafe { ash::Entry::load() }.expect("a Vulkan loader");
        let app = vk::ApplicationInfo::default().application_name(c"host").api_version(vk::API_VERSION_1_2);
        let layers = [c"VK_LAYER_KHRONOS_validation".as_ptr()];
        let extensions = [ash::ext::debug_utils::NAME.as_ptr()];
        let info = vk::InstanceCreateInfo::default()
            .application_info(&app)
            .enabled_layer_names(&layers)
            .enabled_extension_names(&extensions);
        let instance = unsafe { entry.create_instance(&info, None) }.expect("an instance with validation layers");
        let debug = ash::ext::debug_utils::Instance::new(&entry, &instance);
        let messenger_info = vk::DebugUtilsMessengerCreateInfoEXT::default()
            .message_severity(
                vk::DebugUtilsMessageSeverityFlagsEXT::ERROR | vk::DebugUtilsMessageSeverityFlagsEXT::WARNING,
            )
            .message_type(vk::DebugUtilsMessageTypeFlagsEXT::GENERAL | vk::DebugUtilsMessageTypeFlagsEXT::VALIDATION)
            .pfn_user_callback(Some(on_host_message));
        let messenger = unsafe { debug.create_debug_utils_messenger(&messenger_info, None) }.unwrap();
        let physical_device = unsafe { instance.enumerate_physical_devices() }.unwrap()[0];
        let queue_family = unsafe { instance.get_physical_device_queue_family_properties(physical_device) }
            .iter()
            .position(|f| f.queue_flags.contains(vk::QueueFlags::GRAPHICS | vk::QueueFlags::COMPUTE))
            .expect("a graphics+compute queue") as u32;
        let priorities = [1.0];
        let queues =
            [vk::DeviceQueueCreateInfo::default().queue_family_index(queue_family).queue_priorities(&priorities)];
        let mut multiview = vk::PhysicalDeviceMultiviewFeatures::default().multiview(true);
        let device_info = vk::DeviceCreateInfo::default().queue_create_infos(&queues).push_next(&mut multiview);
        let device = unsafe { instance.create_device(physical_device, &device_info, None) }.unwrap();
        let queue = unsafe { device.get_device_queue(queue_family, 0) };
        Host { entry, instance, debug, messenger, physical_device, device, queue_family, queue }
    }

    fn lend(&self) -> HostVulkan {
        HostVulkan {
            get_instance_proc_addr: self.entry.static_fn().get_instance_proc_addr,
            instance: self.instance.handle(),
            instance_api_version: vk::API_VERSION_1_2,
            physical_device: self.physical_device,
            device: self.device.handle(),
            queue_family: self.queue_family,
            queue: self.queue,
            multiview_enabled: true,
            debug_utils_enabled: true,
        }
    }

    fn destroy(self) {
        unsafe {
            self.device.destroy_device(None);
            self.debug.destroy_debug_utils_messenger(self.messenger, None);
            self.instance.destroy_instance(None);
        }
    }
}

fn render_stereo(ctx: &Context, asset: &Asset, eyes: &[Camera]) -> Vec<Vec<u8>> {
    let options = RendererOptions {
        width: eyes[0].width,
        height: eyes[0].height,
        views: 2,
        format: TargetFormat::Rgba8Srgb,
        background: Vec3::ZERO,
        sort: SortOrder::Shared,
        stats: true,
        frames_in_flight: splat4d::renderer::FRAMES_IN_FLIGHT,
    };
    let mut renderer = Renderer::new(ctx, asset, &options).unwrap();
    renderer.render(ctx, 1.3, eyes).unwrap();
    let images = renderer.read_back(ctx).unwrap();
    renderer.destroy(ctx);
    images
}

#[test]
fn a_host_device_renders_what_standalone_renders_and_gets_it_back_clean() {
    let _serial = one_at_a_time();
    let asset = common::pack_open(&demo::scene(), false);
    let c = asset.cameras()[0].resized(128, 72);
    let right = c.rotation.col(0) * 0.032;
    let eyes = [Camera { position: c.position - right, ..c }, Camera { position: c.position + right, ..c }];

    let standalone = Context::new(&ContextOptions { validation: true, ..Default::default() }).unwrap();
    let expected = render_stereo(&standalone, &asset, &eyes);
    assert!(standalone.validation_messages().is_empty(), "{:#?}", standalone.validation_messages());
    drop(standalone);

    let host = Host::new();
    let options = ContextOptions { validation: true, ..Default::default() };
    let ctx = unsafe { Context::from_host(&host.lend(), &options) }.unwrap();
    assert!(ctx.multiview, "the host enabled multiview on {}", ctx.device_name());
    let images = render_stereo(&ctx, &asset, &eyes);
    assert!(ctx.validation_messages().is_empty(), "{:#?}", ctx.validation_messages());
    drop(ctx);
    // The host's objects outlive the context and stay usable: the host still submits to its queue.
    unsafe { host.device.queue_wait_idle(host.queue) }.expect("the host's queue still works");
    host.destroy();

    for (eye, (got, want)) in images.iter().zip(&expected).enumerate() {
        let differing = got.iter().zip(want).filter(|(a, b)| a != b).count();
        assert_eq!(differing, 0, "eye {eye}: {differing} bytes differ from the standalone render");
    }
    assert!(images[0].iter().any(|&v| v > 50), "the frame is not empty");
    // Destroying the host's device reports any object splat4d left on it.
    let messages = HOST_MESSAGES.lock().unwrap().clone();
    assert!(messages.is_empty(), "host validation messages: {messages:#?}");
}

#[test]
fn bad_host_handles_are_refused() {
    let _serial = one_at_a_time();
    let host = Host::new();
    let mut lent = host.lend();
    lent.device = vk::Device::null();
    let err = unsafe { Context::from_host(&lent, &ContextOptions::default()) }.err().expect("a null device is refused");
    assert!(err.to_string().contains("null"), "{err}");
    let mut lent = host.lend();
    lent.instance_api_version = vk::API_VERSION_1_0;
    assert!(unsafe { Context::from_host(&lent, &ContextOptions::default()) }.is_err());
    let mut lent = host.lend();
    lent.queue_family = 99;
    let err = unsafe { Context::from_host(&lent, &ContextOptions::default()) }.err().expect("a bad family is refused");
    assert!(err.to_string().contains("queue family 99"), "{err}");
    let mut lent = host.lend();
    lent.debug_utils_enabled = false;
    let options = ContextOptions { validation: true, ..Default::default() };
    assert!(unsafe { Context::from_host(&lent, &options) }.is_err(), "validation needs debug utils");
    let options = ContextOptions { device_name: Some("x".into()), ..Default::default() };
    assert!(unsafe { Context::from_host(&host.lend(), &options) }.is_err(), "the host chooses the device");
    host.destroy();
}

/// Views as OpenXR gives them, seeing the demo scene from behind its cameras.
fn xr_views() -> [splat4d::ffi::S4dView; 2] {
    let view = |x: f32| splat4d::ffi::S4dView {
        position: [x, 0.0, -4.0],
        orientation: [0.0, 1.0, 0.0, 0.0], // turned to look down +z, at the demo scene
        tan_left: -0.8,
        tan_right: 0.7,
        tan_up: 0.5,
        tan_down: -0.55,
    };
    [view(-0.032), view(0.032)]
}

/// The frame a standalone Rust renderer makes of `views` at t = 1.3.
fn standalone_frame(bytes: &[u8], views: &[splat4d::ffi::S4dView], w: u32, h: u32) -> Vec<Vec<u8>> {
    use splat4d::glam::Quat;
    let asset = Asset::from_bytes(bytes, splat4d::Verify::Full).unwrap();
    let eyes: Vec<Camera> = views
        .iter()
        .map(|v| {
            let [x, y, z, q] = v.orientation;
            let tan = [v.tan_left, v.tan_right, v.tan_up, v.tan_down];
            Camera::from_pose_fov(Vec3::from(v.position), Quat::from_xyzw(x, y, z, q), tan, w, h).unwrap()
        })
        .collect();
    let ctx = Context::new(&ContextOptions::default()).unwrap();
    let options = RendererOptions {
        width: w,
        height: h,
        views: 2,
        format: TargetFormat::Rgba8Unorm,
        background: Vec3::ZERO,
        sort: SortOrder::Shared,
        stats: true,
        frames_in_flight: splat4d::renderer::FRAMES_IN_FLIGHT,
    };
    let mut renderer = Renderer::new(&ctx, &asset, &options).unwrap();
    renderer.render(&ctx, 1.3, &eyes).unwrap();
    let frame = renderer.read_back(&ctx).unwrap();
    renderer.destroy(&ctx);
    frame
}

/// The same bytes: the same renderer recorded into another command buffer and image. (On a
/// device whose atomic append order varies between runs, splats of exactly equal depth could
/// blend in another order; lavapipe's does not vary, and a GPU run says whether its does.)
fn assert_same_frame(got: &[Vec<u8>], want: &[Vec<u8>]) {
    for (eye, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.len(), w.len());
        let differing = g.iter().zip(w).filter(|(a, b)| a != b).count();
        assert_eq!(differing, 0, "eye {eye}: {differing} bytes differ from the standalone render");
        assert!(g.iter().filter(|&&v| v > 20).count() > g.len() / 20, "eye {eye} is nearly empty");
    }
}

/// An embedded runtime, the demo asset and a stereo renderer, all through the C ABI.
struct CRuntime {
    runtime: *mut splat4d::ffi::S4dRuntime,
    asset: *mut splat4d::ffi::S4dAsset,
    renderer: *mut splat4d::ffi::S4dRenderer,
}

impl CRuntime {
    fn new(host: &Host, bytes: &[u8], w: u32, h: u32) -> CRuntime {
        use splat4d::ffi::*;
        use std::ptr::null_mut;
        let lent = host.lend();
        let desc = S4dVulkanHostDesc {
            struct_size: std::mem::size_of::<S4dVulkanHostDesc>() as u32,
            queue_family_index: lent.queue_family,
            get_instance_proc_addr: Some(unsafe {
                std::mem::transmute::<
                    vk::PFN_vkGetInstanceProcAddr,
                    unsafe extern "system" fn(
                        *mut c_void,
                        *const std::ffi::c_char,
                    ) -> Option<unsafe extern "system" fn()>,
                >(lent.get_instance_proc_addr)
            }),
            instance: vk::Handle::as_raw(lent.instance) as *mut c_void,
            physical_device: vk::Handle::as_raw(lent.physical_device) as *mut c_void,
            device: vk::Handle::as_raw(lent.device) as *mut c_void,
            queue: vk::Handle::as_raw(lent.queue) as *mut c_void,
            instance_api_version: lent.instance_api_version,
            multiview_enabled: 1,
            debug_utils_enabled: 1,
            validation: 1,
        };
        let mut c = CRuntime { runtime: null_mut(), asset: null_mut(), renderer: null_mut() };
        unsafe {
            assert_eq!(s4d_runtime_create_embedded(&desc, &mut c.runtime), S4dStatus::Ok);
            assert_eq!(s4d_asset_open_memory(bytes.as_ptr(), bytes.len(), &mut c.asset), S4dStatus::Ok);
            let rd = S4dRendererDesc {
                struct_size: std::mem::size_of::<S4dRendererDesc>() as u32,
                width: w,
                height: h,
                view_count: 2,
                format: S4dFormat::Rgba8Unorm as u32,
                sort_order: S4dSortOrder::Shared as u32,
                background: [0.0; 3],
                disable_stats: 0,
                gpu_memory_budget_bytes: 0,
                policy: std::ptr::null(),
                // 0: the default two (the Unity plugin's renderers take more).
                frames_in_flight: 0,
                reserved: 0,
            };
            assert_eq!(s4d_renderer_create(c.runtime, c.asset, &rd, &mut c.renderer), S4dStatus::Ok);
        }
        c
    }

    fn destroy(self) {
        use splat4d::ffi::*;
        unsafe {
            let mut messages = u32::MAX;
            assert_eq!(s4d_runtime_validation_message_count(self.runtime, &mut messages), S4dStatus::Ok);
            // The host's messenger sees the same messages: it says what they are.
            assert_eq!(messages, 0, "validation messages on the host's device: {:#?}", HOST_MESSAGES.lock().unwrap());
            assert_eq!(s4d_renderer_destroy(self.renderer), S4dStatus::Ok);
            assert_eq!(s4d_asset_destroy(self.asset), S4dStatus::Ok);
            assert_eq!(s4d_runtime_destroy(self.runtime), S4dStatus::Ok);
        }
    }
}

fn demo_bytes() -> Vec<u8> {
    splat4d::pack::pack(&demo::scene(), &Default::default(), &splat4d::pack::NoProgress).unwrap()
}

/// The same through the C ABI: `s4d_runtime_create_embedded` on the host's device renders what
/// a standalone Rust renderer renders for the same OpenXR-style views.
#[test]
fn the_c_abi_runtime_runs_on_a_host_device() {
    let _serial = one_at_a_time();
    use splat4d::ffi::*;
    let (w, h) = (96u32, 64u32);
    let bytes = demo_bytes();
    let views = xr_views();
    let host = Host::new();
    let c = CRuntime::new(&host, &bytes, w, h);
    let mut pixels = vec![vec![0u8; (w * h * 4) as usize]; 2];
    unsafe {
        let frame = S4dFrameDesc {
            struct_size: std::mem::size_of::<S4dFrameDesc>() as u32,
            view_count: 2,
            views: views.as_ptr(),
            time_seconds: 1.3,
        };
        assert_eq!(s4d_renderer_render(c.renderer, &frame), S4dStatus::Ok);
        for (v, p) in pixels.iter_mut().enumerate() {
            assert_eq!(s4d_renderer_read_back(c.renderer, v as u32, p.as_mut_ptr(), p.len()), S4dStatus::Ok);
        }
    }
    c.destroy();
    host.destroy();
    assert_same_frame(&pixels, &standalone_frame(&bytes, &views, w, h));
    let messages = HOST_MESSAGES.lock().unwrap().clone();
    assert!(messages.is_empty(), "host validation messages: {messages:#?}");
}

/// Embedded rendering proper: the host records splat4d's frame into its own command buffer,
/// drawing into its own two-layer image, copies the image out and submits it all itself,
/// three frames in a row (so slots are reused); the last frame matches the standalone render.
#[test]
fn the_host_records_the_frame_into_its_own_command_buffer_and_image() {
    let _serial = one_at_a_time();
    use splat4d::ffi::*;
    let (w, h) = (96u32, 64u32);
    let bytes = demo_bytes();
    let views = xr_views();
    let host = Host::new();
    let c = CRuntime::new(&host, &bytes, w, h);
    let d = &host.device;
    let memory_type = |bits: u32, flags: vk::MemoryPropertyFlags| {
        let props = unsafe { host.instance.get_physical_device_memory_properties(host.physical_device) };
        (0..props.memory_type_count)
            .find(|&i| bits & (1 << i) != 0 && props.memory_types[i as usize].property_flags.contains(flags))
            .expect("a memory type")
    };
    let pixels = unsafe {
        let image_info = vk::ImageCreateInfo::default()
            .image_type(vk::ImageType::TYPE_2D)
            .format(vk::Format::R8G8B8A8_UNORM)
            .extent(vk::Extent3D { width: w, height: h, depth: 1 })
            .mip_levels(1)
            .array_layers(2)
            .samples(vk::SampleCountFlags::TYPE_1)
            .usage(vk::ImageUsageFlags::COLOR_ATTACHMENT | vk::ImageUsageFlags::TRANSFER_SRC);
        let image = d.create_image(&image_info, None).unwrap();
        let req = d.get_image_memory_requirements(image);
        let alloc = vk::MemoryAllocateInfo::default()
            .allocation_size(req.size)
            .memory_type_index(memory_type(req.memory_type_bits, vk::MemoryPropertyFlags::DEVICE_LOCAL));
        let image_memory = d.allocate_memory(&alloc, None).unwrap();
        d.bind_image_memory(image, image_memory, 0).unwrap();
        let bytes_out = (2 * w * h * 4) as u64;
        let buffer = d
            .create_buffer(
                &vk::BufferCreateInfo::default().size(bytes_out).usage(vk::BufferUsageFlags::TRANSFER_DST),
                None,
            )
            .unwrap();
        let req = d.get_buffer_memory_requirements(buffer);
        let host_visible = vk::MemoryPropertyFlags::HOST_VISIBLE | vk::MemoryPropertyFlags::HOST_COHERENT;
        let alloc = vk::MemoryAllocateInfo::default()
            .allocation_size(req.size)
            .memory_type_index(memory_type(req.memory_type_bits, host_visible));
        let buffer_memory = d.allocate_memory(&alloc, None).unwrap();
        d.bind_buffer_memory(buffer, buffer_memory, 0).unwrap();
        let pool = d
            .create_command_pool(
                &vk::CommandPoolCreateInfo::default()
                    .queue_family_index(host.queue_family)
                    .flags(vk::CommandPoolCreateFlags::RESET_COMMAND_BUFFER),
                None,
            )
            .unwrap();
        let alloc = vk::CommandBufferAllocateInfo::default().command_pool(pool).command_buffer_count(1);
        let cmd = d.allocate_command_buffers(&alloc).unwrap()[0];
        let fence = d.create_fence(&vk::FenceCreateInfo::default(), None).unwrap();

        for frame_index in 0..3 {
            d.begin_command_buffer(cmd, &vk::CommandBufferBeginInfo::default()).unwrap();
            let frame = S4dFrameDesc {
                struct_size: std::mem::size_of::<S4dFrameDesc>() as u32,
                view_count: 2,
                views: views.as_ptr(),
                time_seconds: 1.3,
            };
            // A host built against the first header: its struct ends at `image`, and what
            // lies past it is never read (here: a kept colour from a bad layout, a bogus
            // depth image), so the image is cleared as it always was.
            let target = S4dHostImage {
                struct_size: 16,
                final_layout: vk::ImageLayout::TRANSFER_SRC_OPTIMAL.as_raw() as u32,
                image: vk::Handle::as_raw(image),
                color_load: S4dColorLoad::Keep as u32,
                initial_layout: u32::MAX,
                depth: std::ptr::dangling::<S4dHostDepth>(),
            };
            let status = s4d_renderer_record(c.renderer, vk::Handle::as_raw(cmd) as *mut c_void, &frame, &target);
            assert_eq!(status, S4dStatus::Ok, "frame {frame_index}");
            let barrier = |src: (vk::PipelineStageFlags, vk::AccessFlags),
                           dst: (vk::PipelineStageFlags, vk::AccessFlags)| {
                let b = vk::MemoryBarrier::default().src_access_mask(src.1).dst_access_mask(dst.1);
                d.cmd_pipeline_barrier(cmd, src.0, dst.0, vk::DependencyFlags::empty(), &[b], &[], &[]);
            };
            // The contract: splat4d's writes are at COLOR_ATTACHMENT_OUTPUT; the copy follows.
            barrier(
                (vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT, vk::AccessFlags::COLOR_ATTACHMENT_WRITE),
                (vk::PipelineStageFlags::TRANSFER, vk::AccessFlags::TRANSFER_READ),
            );
            let layers = vk::ImageSubresourceLayers::default().aspect_mask(vk::ImageAspectFlags::COLOR).layer_count(2);
            let region = vk::BufferImageCopy::default().image_subresource(layers).image_extent(vk::Extent3D {
                width: w,
                height: h,
                depth: 1,
            });
            d.cmd_copy_image_to_buffer(cmd, image, vk::ImageLayout::TRANSFER_SRC_OPTIMAL, buffer, &[region]);
            barrier(
                (vk::PipelineStageFlags::TRANSFER, vk::AccessFlags::TRANSFER_WRITE),
                (vk::PipelineStageFlags::HOST, vk::AccessFlags::HOST_READ),
            );
            d.end_command_buffer(cmd).unwrap();
            let cmds = [cmd];
            d.queue_submit(host.queue, &[vk::SubmitInfo::default().command_buffers(&cmds)], fence).unwrap();
            d.wait_for_fences(&[fence], true, u64::MAX).unwrap();
            d.reset_fences(&[fence]).unwrap();
            d.reset_command_buffer(cmd, vk::CommandBufferResetFlags::empty()).unwrap();
        }
        // The host's frames retire as their slots come round again: their stage times show up.
        let mut stats =
            S4dFrameStats { struct_size: std::mem::size_of::<S4dFrameStats>() as u32, ..bytemuck::Zeroable::zeroed() };
        assert_eq!(s4d_renderer_get_stats(c.renderer, &mut stats), S4dStatus::Ok);
        assert_eq!(stats.frame_index, 1, "the first host frame retired when its slot was reused");
        assert_eq!(stats.gpu_times_valid, 1, "a finished host frame's timestamps are there");
        assert!(stats.visible > 0 && stats.drawn[0] > 0 && stats.drawn[1] > 0, "counts of a host frame");
        assert_eq!(stats.cpu_submit_ms, 0.0, "the host submits its own frames");
        let mut one = [0u8; 4];
        let no_read_back = s4d_renderer_read_back(c.renderer, 0, one.as_mut_ptr(), 4);
        assert_ne!(no_read_back, S4dStatus::Ok);

        let mapped = d.map_memory(buffer_memory, 0, bytes_out, vk::MemoryMapFlags::empty()).unwrap() as *const u8;
        let all = std::slice::from_raw_parts(mapped, bytes_out as usize).to_vec();
        d.unmap_memory(buffer_memory);
        d.destroy_fence(fence, None);
        d.destroy_command_pool(pool, None);
        d.destroy_buffer(buffer, None);
        d.free_memory(buffer_memory, None);
        d.destroy_image(image, None);
        d.free_memory(image_memory, None);
        all.chunks((w * h * 4) as usize).map(<[u8]>::to_vec).collect::<Vec<_>>()
    };
    c.destroy();
    host.destroy();
    assert_same_frame(&pixels, &standalone_frame(&bytes, &views, w, h));
    let messages = HOST_MESSAGES.lock().unwrap().clone();
    assert!(messages.is_empty(), "host validation messages: {messages:#?}");
}
