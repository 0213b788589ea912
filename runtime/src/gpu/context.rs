//! The Vulkan context: instance, optional validation with a message log, the device and its
//! queue, the vk-mem allocator, and one-shot command submission. Standalone mode
//! ([`Context::new`]) creates all of these; embedded mode ([`Context::from_host`], DESIGN §6)
//! borrows a host's instance, device and queue and owns only what it creates on them.

use std::ffi::{c_void, CStr, CString};
use std::mem::ManuallyDrop;
use std::sync::Mutex;

use ash::vk;
use vk_mem::Alloc;

use super::adapter::{device_info, multiview_is_broken, pick_device, upload_family, upload_path};
use super::vk_err;
use crate::error::{Error, Result};
pub use crate::profile::DeviceInfo;

const VALIDATION_LAYER: &CStr = c"VK_LAYER_KHRONOS_validation";

/// Held around splat4d's calls that go through the Vulkan loader's instance-level code:
/// creating and destroying contexts (instances, device enumeration) and naming objects. The
/// loader may unload drivers while one thread enumerates devices, and another thread inside
/// the loader at that moment can crash (seen with loader 1.4 and lavapipe: SIGSEGV in
/// vkSetDebugUtilsObjectNameEXT while a second context ran vkEnumeratePhysicalDevices).
static LOADER: Mutex<()> = Mutex::new(());

fn loader_lock() -> std::sync::MutexGuard<'static, ()> {
    LOADER.lock().unwrap_or_else(|e| e.into_inner())
}
/// A submission that has not finished after this long is a hung GPU, reported as an error.
const FENCE_TIMEOUT_NS: u64 = 120_000_000_000;

#[derive(Clone, Debug, Default)]
pub struct ContextOptions {
    /// Enable the Khronos validation layer (with synchronisation validation) and collect its
    /// warnings and errors; creating the context fails if the layer is not installed.
    pub validation: bool,
    /// Use the first device whose name contains this (case-insensitive).
    pub device_name: Option<String>,
    /// Do not use multiview even where the device has it: stereo then renders one pass per
    /// eye (the path devices without multiview take; for comparison and tests).
    pub disable_multiview: bool,
    /// Bind at most this many bytes of a storage buffer at once, below the device's own
    /// `maxStorageBufferRange`: makes the chunked binding of large assets testable on devices
    /// whose limit is large (NVIDIA: 4 GiB; lavapipe: 128 MiB).
    pub max_binding_bytes: Option<u64>,
    /// Present to windows of this display: the instance gets its surface extensions and the
    /// device `VK_KHR_swapchain` (see [`super::Presenter`]).
    pub display: Option<raw_window_handle::RawDisplayHandle>,
    /// Where streamed pages are copied into GPU memory.
    pub upload_queue: UploadQueue,
}

/// The queue that copies streamed pages ([`crate::renderer::Renderer::streaming`]) into GPU
/// memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UploadQueue {
    /// A queue of a transfer-only family (a copy engine) where the device has one and timeline
    /// semaphores: a frame's copies run beside the frame before it. Elsewhere as `InFrame`.
    #[default]
    Transfer,
    /// The frame's own command buffer, before its slice pass.
    InFrame,
    /// Submissions of their own to the graphics queue, synchronised with the frames as
    /// a transfer queue's are: that path, on devices with one queue family (for tests).
    Graphics,
}

/// A queue that page uploads are submitted to, apart from the frames.
#[derive(Clone, Copy, Debug)]
pub(crate) struct QueueRef {
    pub queue: vk::Queue,
    pub family: u32,
}

/// A host's Vulkan objects for embedded mode. The host keeps them: the context never destroys
/// them, and the host destroys them only after the context (and every renderer on it).
#[derive(Clone, Copy)]
pub struct HostVulkan {
    /// The host's loader entry point; every instance and device function is resolved through it.
    pub get_instance_proc_addr: vk::PFN_vkGetInstanceProcAddr,
    pub instance: vk::Instance,
    /// The `apiVersion` the host created the instance with (at least 1.1).
    pub instance_api_version: u32,
    pub physical_device: vk::PhysicalDevice,
    pub device: vk::Device,
    /// A family with graphics and compute; `queue` belongs to it.
    pub queue_family: u32,
    /// Submissions from splat4d go here. Vulkan requires queue access to be externally
    /// synchronised: the host must not submit to it from another thread at the same time.
    pub queue: vk::Queue,
    /// Whether the host enabled the `multiview` feature on `device`; without it stereo renders
    /// one pass per eye.
    pub multiview_enabled: bool,
    /// Whether the host enabled `VK_EXT_debug_utils` on the instance: needed for object names
    /// and for [`ContextOptions::validation`] (the validation layer itself is the host's choice).
    pub debug_utils_enabled: bool,
}

/// Where a buffer lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryKind {
    /// GPU-only.
    Device,
    /// Host-written, GPU-read (mapped, write-combined).
    Upload,
    /// GPU-written, host-read (mapped, cached).
    Readback,
}

/// A buffer and its memory. Owned by whoever created it, destroyed with
/// [`Context::destroy_buffer`] once the GPU no longer uses it.
pub struct Buffer {
    pub raw: vk::Buffer,
    pub size: u64,
    allocation: vk_mem::Allocation,
    mapped: *mut u8,
}

/// An image and its memory, owned like [`Buffer`] and destroyed with [`Context::destroy_image`].
pub struct Image {
    pub raw: vk::Image,
    allocation: vk_mem::Allocation,
}

/// Warnings and errors from the validation layer, in arrival order.
type MessageLog = Mutex<Vec<String>>;

struct Debug {
    instance: ash::ext::debug_utils::Instance,
    messenger: vk::DebugUtilsMessengerEXT,
    /// Owned here, borrowed by the callback through its user-data pointer until the messenger
    /// is destroyed.
    log: Box<MessageLog>,
}

pub struct Context {
    /// Standalone mode: the instance and device are the context's to destroy.
    owns_vulkan: bool,
    pub(crate) entry: ash::Entry,
    instance: ash::Instance,
    debug: Option<Debug>,
    physical_device: vk::PhysicalDevice,
    pub(crate) device: ash::Device,
    debug_device: Option<ash::ext::debug_utils::Device>,
    pub(crate) queue: vk::Queue,
    pub(crate) queue_family: u32,
    /// Valid bits of the queue's timestamps (0: no timestamps on this queue).
    pub(crate) timestamp_bits: u32,
    allocator: ManuallyDrop<vk_mem::Allocator>,
    command_pool: vk::CommandPool,
    pub(crate) limits: vk::PhysicalDeviceLimits,
    /// `maxStorageBufferRange`, or less where [`ContextOptions::max_binding_bytes`] says so.
    max_binding_bytes: u64,
    info: DeviceInfo,
    /// Whether `VK_KHR_multiview` (core in 1.1) is enabled: one pass for both eyes.
    pub multiview: bool,
    /// Where streamed pages are uploaded apart from the frames (with timeline semaphores);
    /// `None`: in the frames' own command buffers.
    pub(crate) upload_queue: Option<QueueRef>,
}

unsafe extern "system" fn on_message(
    severity: vk::DebugUtilsMessageSeverityFlagsEXT,
    _types: vk::DebugUtilsMessageTypeFlagsEXT,
    data: *const vk::DebugUtilsMessengerCallbackDataEXT<'_>,
    user: *mut c_void,
) -> vk::Bool32 {
    // SAFETY: the layer passes valid callback data; `user` is the MessageLog boxed in `Debug`,
    // alive until the messenger is destroyed.
    let text = unsafe { data.as_ref().and_then(|d| d.message_as_c_str()) }
        .map_or_else(|| "(no message)".to_string(), |m| m.to_string_lossy().into_owned());
    if severity
        .intersects(vk::DebugUtilsMessageSeverityFlagsEXT::ERROR | vk::DebugUtilsMessageSeverityFlagsEXT::WARNING)
    {
        log::warn!("vulkan validation: {text}");
        if let Some(log) = unsafe { (user as *const MessageLog).as_ref() } {
            if let Ok(mut v) = log.lock() {
                v.push(text);
            }
        }
    }
    vk::FALSE
}

/// Who makes a standalone context's Vulkan instance and device: the context itself, or an
/// OpenXR runtime (`XR_KHR_vulkan_enable2`), which adds the extensions it needs and chooses
/// the device its compositor can use.
pub(crate) trait Creator {
    /// # Safety
    /// `info` is a valid create info.
    unsafe fn create_instance(&self, entry: &ash::Entry, info: &vk::InstanceCreateInfo) -> Result<ash::Instance>;
    /// The device to use, where the creator decides it.
    fn physical_device(&self, instance: &ash::Instance) -> Result<Option<vk::PhysicalDevice>>;
    /// # Safety
    /// `physical_device` is of `instance`; `info` is a valid create info for it.
    unsafe fn create_device(
        &self,
        instance: &ash::Instance,
        physical_device: vk::PhysicalDevice,
        info: &vk::DeviceCreateInfo,
    ) -> Result<ash::Device>;
}

/// The context creates its instance and device itself.
struct Direct;

impl Creator for Direct {
    unsafe fn create_instance(&self, entry: &ash::Entry, info: &vk::InstanceCreateInfo) -> Result<ash::Instance> {
        unsafe { entry.create_instance(info, None) }.map_err(vk_err("vkCreateInstance"))
    }

    fn physical_device(&self, _instance: &ash::Instance) -> Result<Option<vk::PhysicalDevice>> {
        Ok(None)
    }

    unsafe fn create_device(
        &self,
        instance: &ash::Instance,
        physical_device: vk::PhysicalDevice,
        info: &vk::DeviceCreateInfo,
    ) -> Result<ash::Device> {
        unsafe { instance.create_device(physical_device, info, None) }.map_err(vk_err("vkCreateDevice"))
    }
}

impl Context {
    pub fn new(options: &ContextOptions) -> Result<Context> {
        Context::create(options, &Direct)
    }

    /// A standalone context whose instance and device `creator` makes; the context owns and
    /// destroys them.
    pub(crate) fn create(options: &ContextOptions, creator: &dyn Creator) -> Result<Context> {
        let _loader = loader_lock();
        // SAFETY: loading the system's Vulkan loader; nothing else runs in it at this point.
        let entry = unsafe { ash::Entry::load() }
            .map_err(|e| Error::Gpu(format!("cannot load the Vulkan loader (libvulkan): {e}")))?;
        let instance_version = unsafe { entry.try_enumerate_instance_version() }
            .map_err(vk_err("vkEnumerateInstanceVersion"))?
            .unwrap_or(vk::API_VERSION_1_0);
        if instance_version < vk::API_VERSION_1_1 {
            return Err(Error::Gpu("the Vulkan loader is older than 1.1".into()));
        }
        let api_version = instance_version.min(vk::API_VERSION_1_3);

        let mut layers = Vec::new();
        let mut extensions = Vec::new();
        if let Some(display) = options.display {
            let surface = ash_window::enumerate_required_extensions(display)
                .map_err(|e| Error::Gpu(format!("no Vulkan surface for this display: {e}")))?;
            extensions.extend_from_slice(surface);
        }
        let mut sync_validation = false;
        if options.validation {
            let available = unsafe { entry.enumerate_instance_layer_properties() }
                .map_err(vk_err("vkEnumerateInstanceLayerProperties"))?;
            if !available.iter().any(|l| l.layer_name_as_c_str() == Ok(VALIDATION_LAYER)) {
                return Err(Error::Gpu(
                    "validation requested but VK_LAYER_KHRONOS_validation is not installed \
                     (Debian/Ubuntu: apt-get install vulkan-validationlayers)"
                        .into(),
                ));
            }
            layers.push(VALIDATION_LAYER.as_ptr());
            extensions.push(ash::ext::debug_utils::NAME.as_ptr());
            let layer_exts = unsafe { entry.enumerate_instance_extension_properties(Some(VALIDATION_LAYER)) }
                .map_err(vk_err("vkEnumerateInstanceExtensionProperties"))?;
            sync_validation =
                layer_exts.iter().any(|e| e.extension_name_as_c_str() == Ok(ash::ext::validation_features::NAME));
            if sync_validation {
                extensions.push(ash::ext::validation_features::NAME.as_ptr());
            }
        }

        let app = vk::ApplicationInfo::default()
            .application_name(c"splat4d")
            .engine_name(c"splat4d")
            .api_version(api_version);
        let enabled = [vk::ValidationFeatureEnableEXT::SYNCHRONIZATION_VALIDATION];
        let mut features = vk::ValidationFeaturesEXT::default().enabled_validation_features(&enabled);
        let mut create = vk::InstanceCreateInfo::default()
            .application_info(&app)
            .enabled_layer_names(&layers)
            .enabled_extension_names(&extensions);
        if sync_validation {
            create = create.push_next(&mut features);
        }
        let instance = unsafe { creator.create_instance(&entry, &create) }?;

        // From here on, `partial` destroys what exists if a later step fails.
        let mut partial = Partial { instance: Some(instance.clone()), device: None, debug: None };
        if options.validation {
            partial.debug = Some(Debug::new(&entry, &instance)?);
        }

        let given = creator.physical_device(&instance)?;
        let (physical_device, queue_family, properties) =
            pick_device(&instance, options.device_name.as_deref(), given)?;
        let mut has11 = vk::PhysicalDeviceVulkan11Features::default();
        let mut query = vk::PhysicalDeviceFeatures2::default().push_next(&mut has11);
        unsafe { instance.get_physical_device_features2(physical_device, &mut query) };
        let multiview = has11.multiview == vk::TRUE
            && !options.disable_multiview
            && !multiview_is_broken(&instance, physical_device, &properties);
        let mut want11 = vk::PhysicalDeviceVulkan11Features::default()
            .multiview(multiview)
            .storage_buffer16_bit_access(has11.storage_buffer16_bit_access == vk::TRUE);
        let upload_family =
            upload_family(&instance, physical_device, &properties, api_version, (options.upload_queue, queue_family));
        // The feature's own struct, not Vulkan12Features: an OpenXR runtime may add that struct
        // to the chain itself (Monado does), and the two must not be chained together.
        let mut want12 = vk::PhysicalDeviceTimelineSemaphoreFeatures::default().timeline_semaphore(true);
        let mut features2 = vk::PhysicalDeviceFeatures2::default().push_next(&mut want11);
        if upload_family.is_some() {
            features2 = features2.push_next(&mut want12);
        }
        let priorities = [1.0f32];
        let mut queues =
            vec![vk::DeviceQueueCreateInfo::default().queue_family_index(queue_family).queue_priorities(&priorities)];
        if let Some(f) = upload_family.filter(|&f| f != queue_family) {
            queues.push(vk::DeviceQueueCreateInfo::default().queue_family_index(f).queue_priorities(&priorities));
        }
        let swapchain = [ash::khr::swapchain::NAME.as_ptr()];
        let device_extensions: &[*const std::ffi::c_char] = if options.display.is_some() { &swapchain } else { &[] };
        let device_info = vk::DeviceCreateInfo::default()
            .queue_create_infos(&queues)
            .enabled_extension_names(device_extensions)
            .push_next(&mut features2);
        let device = unsafe { creator.create_device(&instance, physical_device, &device_info) }?;
        partial.device = Some(device.clone());
        let queue = unsafe { device.get_device_queue(queue_family, 0) };
        let upload_queue =
            upload_family.map(|family| QueueRef { queue: unsafe { device.get_device_queue(family, 0) }, family });
        let parts = Parts {
            entry,
            instance,
            physical_device,
            device,
            queue_family,
            queue,
            upload_queue,
            api_version,
            properties,
            multiview,
            debug_utils: options.validation,
        };
        Context::finish(parts, partial, true, options)
    }

    /// Embedded mode: a context on a host's instance, device and queue (DESIGN §6), owning only
    /// what it creates on them (allocator, command pool, debug messenger). `options.validation`
    /// collects the validation layer's messages when the host enabled the layer and
    /// `VK_EXT_debug_utils`; `options.device_name` must be `None` (the host chose the device).
    ///
    /// # Safety
    /// Every handle in `host` is valid, created from `get_instance_proc_addr`'s loader, and
    /// outlives the context; `queue` is queue of `device` in `queue_family`; the `*_enabled`
    /// flags say the truth.
    pub unsafe fn from_host(host: &HostVulkan, options: &ContextOptions) -> Result<Context> {
        let _loader = loader_lock();
        if host.instance == vk::Instance::null()
            || host.physical_device == vk::PhysicalDevice::null()
            || host.device == vk::Device::null()
            || host.queue == vk::Queue::null()
        {
            return Err(Error::InvalidArgument("a host Vulkan handle is null".into()));
        }
        if options.device_name.is_some() {
            return Err(Error::InvalidArgument("in embedded mode the host chooses the device".into()));
        }
        if host.instance_api_version < vk::API_VERSION_1_1 {
            return Err(Error::InvalidArgument("the host's instance must be Vulkan 1.1 or newer".into()));
        }
        if options.validation && !host.debug_utils_enabled {
            return Err(Error::InvalidArgument(
                "validation in embedded mode needs the host to enable VK_EXT_debug_utils".into(),
            ));
        }
        // SAFETY: the caller vouches for the handles and the entry point.
        let entry = unsafe {
            ash::Entry::from_static_fn(ash::StaticFn { get_instance_proc_addr: host.get_instance_proc_addr })
        };
        let instance = unsafe { ash::Instance::load(entry.static_fn(), host.instance) };
        let properties = unsafe { instance.get_physical_device_properties(host.physical_device) };
        if properties.api_version < vk::API_VERSION_1_1 {
            return Err(Error::Gpu("the host's device is older than Vulkan 1.1".into()));
        }
        let families = unsafe { instance.get_physical_device_queue_family_properties(host.physical_device) };
        let graphics_compute = vk::QueueFlags::GRAPHICS | vk::QueueFlags::COMPUTE;
        if !families.get(host.queue_family as usize).is_some_and(|f| f.queue_flags.contains(graphics_compute)) {
            return Err(Error::InvalidArgument(format!(
                "host queue family {} does not do graphics and compute",
                host.queue_family
            )));
        }
        let device = unsafe { ash::Device::load(instance.fp_v1_0(), host.device) };
        let multiview = host.multiview_enabled
            && !options.disable_multiview
            && !multiview_is_broken(&instance, host.physical_device, &properties);
        let mut partial = Partial::default();
        if options.validation {
            partial.debug = Some(Debug::new(&entry, &instance)?);
        }
        let parts = Parts {
            entry,
            instance,
            physical_device: host.physical_device,
            device,
            queue_family: host.queue_family,
            queue: host.queue,
            // The host's frames may go to any queue of the family: uploads stay in the frames.
            upload_queue: None,
            api_version: host.instance_api_version.min(properties.api_version).min(vk::API_VERSION_1_3),
            properties,
            multiview,
            debug_utils: host.debug_utils_enabled,
        };
        Context::finish(parts, partial, false, options)
    }

    /// What both modes create on the device: the allocator, the one-shot command pool, and
    /// object naming.
    fn finish(parts: Parts, mut partial: Partial, owns_vulkan: bool, options: &ContextOptions) -> Result<Context> {
        let Parts {
            entry,
            instance,
            physical_device,
            device,
            queue_family,
            queue,
            upload_queue,
            api_version,
            properties,
            multiview,
            debug_utils,
        } = parts;
        let info = device_info(&instance, physical_device, &properties, api_version);
        let device_name = info.name.clone();
        let timestamp_bits = unsafe { instance.get_physical_device_queue_family_properties(physical_device) }
            .get(queue_family as usize)
            .map_or(0, |f| f.timestamp_valid_bits);
        let mut allocator_info = vk_mem::AllocatorCreateInfo::new(&instance, &device, physical_device);
        allocator_info.vulkan_api_version = api_version;
        let allocator = unsafe { vk_mem::Allocator::new(allocator_info) }.map_err(vk_err("vmaCreateAllocator"))?;
        let pool_info = vk::CommandPoolCreateInfo::default()
            .queue_family_index(queue_family)
            .flags(vk::CommandPoolCreateFlags::RESET_COMMAND_BUFFER | vk::CommandPoolCreateFlags::TRANSIENT);
        let command_pool =
            unsafe { device.create_command_pool(&pool_info, None) }.map_err(vk_err("vkCreateCommandPool"))?;
        let debug_device = debug_utils.then(|| ash::ext::debug_utils::Device::new(&instance, &device));
        let debug = partial.debug.take();
        let device_limit = properties.limits.max_storage_buffer_range as u64;
        // At least 16 MiB: less would split even modest assets into many bindings.
        let max_binding_bytes = options.max_binding_bytes.map_or(device_limit, |b| b.clamp(1 << 24, device_limit));
        partial.device = None;
        partial.instance = None;
        log::info!(
            "vulkan device: {device_name} (api {}.{}, multiview {}, uploads {}, {})",
            vk::api_version_major(api_version),
            vk::api_version_minor(api_version),
            if multiview { "yes" } else { "no" },
            match upload_path(upload_queue, queue_family) {
                UploadQueue::Transfer => "on a transfer queue",
                UploadQueue::Graphics => "apart on the graphics queue",
                UploadQueue::InFrame => "in the frame",
            },
            if owns_vulkan { "standalone" } else { "embedded in the host's device" }
        );
        Ok(Context {
            owns_vulkan,
            entry,
            instance,
            debug,
            physical_device,
            device,
            debug_device,
            queue,
            queue_family,
            timestamp_bits,
            allocator: ManuallyDrop::new(allocator),
            command_pool,
            limits: properties.limits,
            max_binding_bytes,
            info,
            multiview,
            upload_queue,
        })
    }

    pub(crate) fn instance(&self) -> &ash::Instance {
        &self.instance
    }

    pub(crate) fn instance_handle(&self) -> vk::Instance {
        self.instance.handle()
    }

    pub(crate) fn physical_device(&self) -> vk::PhysicalDevice {
        self.physical_device
    }

    /// Waits until the device has finished all work, e.g. before destroying what a host's
    /// command buffers used.
    pub fn wait_idle(&self) -> Result<()> {
        unsafe { self.device.device_wait_idle() }.map_err(vk_err("vkDeviceWaitIdle"))
    }

    /// Where streamed pages are uploaded on this device: `Transfer` (a transfer-only family),
    /// `Graphics` (apart, on the graphics queue) or `InFrame`.
    pub fn upload_queue(&self) -> UploadQueue {
        upload_path(self.upload_queue, self.queue_family)
    }

    /// What the device can do with `format` in optimally tiled images.
    pub fn format_features(&self, format: vk::Format) -> vk::FormatFeatureFlags {
        unsafe { self.instance.get_physical_device_format_properties(self.physical_device, format) }
            .optimal_tiling_features
    }

    pub fn device_name(&self) -> &str {
        &self.info.name
    }

    /// The device and driver, for reports.
    pub fn device_info(&self) -> &DeviceInfo {
        &self.info
    }

    /// Bytes of device memory blocks the allocator holds, over every heap.
    pub fn gpu_memory_bytes(&self) -> u64 {
        self.allocator.get_heap_budgets().map_or(0, |heaps| heaps.iter().map(|h| h.statistics.blockBytes).sum())
    }

    /// The largest storage buffer range one descriptor may address.
    pub fn max_storage_buffer_range(&self) -> u64 {
        self.max_binding_bytes
    }

    /// Validation warnings and errors so far (empty without validation).
    pub fn validation_messages(&self) -> Vec<String> {
        self.debug.as_ref().map_or_else(Vec::new, |d| d.log.lock().map(|v| v.clone()).unwrap_or_default())
    }

    /// Names an object for validation messages and GPU debuggers.
    pub(crate) fn name<H: vk::Handle>(&self, handle: H, name: &str) {
        if let (Some(d), Ok(name)) = (&self.debug_device, CString::new(name)) {
            let info = vk::DebugUtilsObjectNameInfoEXT::default().object_handle(handle).object_name(&name);
            let _loader = loader_lock();
            // Naming is best effort: a failure changes nothing but the debugging output.
            let _ = unsafe { d.set_debug_utils_object_name(&info) };
        }
    }

    pub fn create_buffer(
        &self,
        name: &str,
        size: u64,
        usage: vk::BufferUsageFlags,
        kind: MemoryKind,
    ) -> Result<Buffer> {
        self.create_buffer_on(name, size, usage, kind, false)
    }

    /// A buffer; with `shared`, one that both the frames' queue and the upload queue use:
    /// concurrent where they are of different families, so no ownership moves between them.
    pub(crate) fn create_buffer_on(
        &self,
        name: &str,
        size: u64,
        usage: vk::BufferUsageFlags,
        kind: MemoryKind,
        shared: bool,
    ) -> Result<Buffer> {
        let families = match self.upload_queue {
            Some(u) if shared && u.family != self.queue_family => vec![self.queue_family, u.family],
            _ => Vec::new(),
        };
        let info = vk::BufferCreateInfo::default().size(size.max(4)).usage(usage);
        let info = if families.is_empty() {
            info.sharing_mode(vk::SharingMode::EXCLUSIVE)
        } else {
            info.sharing_mode(vk::SharingMode::CONCURRENT).queue_family_indices(&families)
        };
        let alloc = match kind {
            MemoryKind::Device => {
                vk_mem::AllocationCreateInfo { usage: vk_mem::MemoryUsage::AutoPreferDevice, ..Default::default() }
            }
            MemoryKind::Upload => vk_mem::AllocationCreateInfo {
                usage: vk_mem::MemoryUsage::AutoPreferHost,
                flags: vk_mem::AllocationCreateFlags::HOST_ACCESS_SEQUENTIAL_WRITE
                    | vk_mem::AllocationCreateFlags::MAPPED,
                ..Default::default()
            },
            MemoryKind::Readback => vk_mem::AllocationCreateInfo {
                usage: vk_mem::MemoryUsage::AutoPreferHost,
                flags: vk_mem::AllocationCreateFlags::HOST_ACCESS_RANDOM | vk_mem::AllocationCreateFlags::MAPPED,
                ..Default::default()
            },
        };
        let (raw, allocation) =
            unsafe { self.allocator.create_buffer(&info, &alloc) }.map_err(vk_err("vmaCreateBuffer"))?;
        let mapped = self.allocator.get_allocation_info(&allocation).mapped_data as *mut u8;
        self.name(raw, name);
        Ok(Buffer { raw, size, allocation, mapped })
    }

    /// Destroys a buffer; the caller guarantees the GPU has finished with it.
    pub fn destroy_buffer(&self, mut buffer: Buffer) {
        unsafe { self.allocator.destroy_buffer(buffer.raw, &mut buffer.allocation) };
    }

    pub fn create_image(&self, name: &str, info: &vk::ImageCreateInfo) -> Result<Image> {
        let alloc = vk_mem::AllocationCreateInfo { usage: vk_mem::MemoryUsage::AutoPreferDevice, ..Default::default() };
        let (raw, allocation) =
            unsafe { self.allocator.create_image(info, &alloc) }.map_err(vk_err("vmaCreateImage"))?;
        self.name(raw, name);
        Ok(Image { raw, allocation })
    }

    /// Destroys an image; the caller guarantees the GPU has finished with it.
    pub fn destroy_image(&self, mut image: Image) {
        unsafe { self.allocator.destroy_image(image.raw, &mut image.allocation) };
    }

    /// Number of live vk-mem allocations: steady-state rendering must not change it.
    pub fn allocation_count(&self) -> u64 {
        self.allocator.calculate_statistics().map_or(0, |s| s.total.statistics.allocationCount as u64)
    }

    /// Copies `data` into a mapped buffer at `offset` (bytes) and flushes it for the GPU.
    pub fn write<T: bytemuck::Pod>(&self, buffer: &Buffer, offset: u64, data: &[T]) -> Result<()> {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        let end = offset.checked_add(bytes.len() as u64).filter(|&e| e <= buffer.size);
        if buffer.mapped.is_null() || end.is_none() {
            return Err(Error::InvalidArgument("write outside a mapped buffer".into()));
        }
        // SAFETY: the range lies inside the mapped allocation (checked above).
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), buffer.mapped.add(offset as usize), bytes.len()) };
        self.allocator
            .flush_allocation(&buffer.allocation, offset, bytes.len() as u64)
            .map_err(vk_err("vmaFlushAllocation"))
    }

    /// Reads a mapped buffer from `offset` into `out`, after invalidating host caches.
    pub fn read<T: bytemuck::Pod>(&self, buffer: &Buffer, offset: u64, out: &mut [T]) -> Result<()> {
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(out);
        let end = offset.checked_add(bytes.len() as u64).filter(|&e| e <= buffer.size);
        if buffer.mapped.is_null() || end.is_none() {
            return Err(Error::InvalidArgument("read outside a mapped buffer".into()));
        }
        self.allocator
            .invalidate_allocation(&buffer.allocation, offset, bytes.len() as u64)
            .map_err(vk_err("vmaInvalidateAllocation"))?;
        // SAFETY: as in `write`; the GPU finished writing before the caller asked to read.
        unsafe { std::ptr::copy_nonoverlapping(buffer.mapped.add(offset as usize), bytes.as_mut_ptr(), bytes.len()) };
        Ok(())
    }

    /// Records commands with `record`, submits them and waits for them to finish. For setup,
    /// uploads and tests; the frame loop does not wait like this.
    pub fn submit_and_wait(&self, record: impl FnOnce(&ash::Device, vk::CommandBuffer)) -> Result<()> {
        let d = &self.device;
        let alloc = vk::CommandBufferAllocateInfo::default()
            .command_pool(self.command_pool)
            .level(vk::CommandBufferLevel::PRIMARY)
            .command_buffer_count(1);
        let cmd = unsafe { d.allocate_command_buffers(&alloc) }.map_err(vk_err("vkAllocateCommandBuffers"))?[0];
        let fence = match unsafe { d.create_fence(&vk::FenceCreateInfo::default(), None) } {
            Ok(f) => f,
            Err(e) => {
                unsafe { d.free_command_buffers(self.command_pool, &[cmd]) };
                return Err(vk_err("vkCreateFence")(e));
            }
        };
        let result = (|| {
            let begin = vk::CommandBufferBeginInfo::default().flags(vk::CommandBufferUsageFlags::ONE_TIME_SUBMIT);
            unsafe { d.begin_command_buffer(cmd, &begin) }.map_err(vk_err("vkBeginCommandBuffer"))?;
            record(d, cmd);
            unsafe { d.end_command_buffer(cmd) }.map_err(vk_err("vkEndCommandBuffer"))?;
            let cmds = [cmd];
            let submit = vk::SubmitInfo::default().command_buffers(&cmds);
            unsafe { d.queue_submit(self.queue, &[submit], fence) }.map_err(vk_err("vkQueueSubmit"))?;
            unsafe { d.wait_for_fences(&[fence], true, FENCE_TIMEOUT_NS) }.map_err(vk_err("vkWaitForFences"))
        })();
        if result.is_err() {
            // Whatever was submitted must finish before its command buffer is freed.
            let _ = unsafe { d.queue_wait_idle(self.queue) };
        }
        unsafe {
            d.destroy_fence(fence, None);
            d.free_command_buffers(self.command_pool, &[cmd]);
        }
        result
    }

    pub(crate) fn create_shader(&self, name: &str, spirv: &[u8]) -> Result<vk::ShaderModule> {
        let words = ash::util::read_spv(&mut std::io::Cursor::new(spirv))
            .map_err(|e| Error::Gpu(format!("shader {name} is not SPIR-V: {e}")))?;
        let info = vk::ShaderModuleCreateInfo::default().code(&words);
        let module =
            unsafe { self.device.create_shader_module(&info, None) }.map_err(vk_err("vkCreateShaderModule"))?;
        self.name(module, name);
        Ok(module)
    }
}

struct Parts {
    entry: ash::Entry,
    instance: ash::Instance,
    physical_device: vk::PhysicalDevice,
    device: ash::Device,
    queue_family: u32,
    queue: vk::Queue,
    upload_queue: Option<QueueRef>,
    api_version: u32,
    properties: vk::PhysicalDeviceProperties,
    multiview: bool,
    /// Whether the instance has VK_EXT_debug_utils (host-declared in embedded mode).
    debug_utils: bool,
}

/// Destroys what a context that failed half way had created: the device and instance only
/// when it created them (standalone), the debug messenger always.
#[derive(Default)]
struct Partial {
    instance: Option<ash::Instance>,
    device: Option<ash::Device>,
    debug: Option<Debug>,
}

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(d) = self.device.take() {
            unsafe { d.destroy_device(None) };
        }
        if let Some(d) = self.debug.take() {
            unsafe { d.instance.destroy_debug_utils_messenger(d.messenger, None) };
        }
        if let Some(i) = self.instance.take() {
            unsafe { i.destroy_instance(None) };
        }
    }
}

impl Debug {
    /// A messenger collecting validation warnings and errors into its log.
    fn new(entry: &ash::Entry, instance: &ash::Instance) -> Result<Debug> {
        let log: Box<MessageLog> = Box::default();
        let debug_instance = ash::ext::debug_utils::Instance::new(entry, instance);
        let info = vk::DebugUtilsMessengerCreateInfoEXT::default()
            .message_severity(
                vk::DebugUtilsMessageSeverityFlagsEXT::ERROR | vk::DebugUtilsMessageSeverityFlagsEXT::WARNING,
            )
            .message_type(
                vk::DebugUtilsMessageTypeFlagsEXT::GENERAL
                    | vk::DebugUtilsMessageTypeFlagsEXT::VALIDATION
                    | vk::DebugUtilsMessageTypeFlagsEXT::PERFORMANCE,
            )
            .pfn_user_callback(Some(on_message))
            .user_data(&*log as *const MessageLog as *mut c_void);
        let messenger = unsafe { debug_instance.create_debug_utils_messenger(&info, None) }
            .map_err(vk_err("vkCreateDebugUtilsMessengerEXT"))?;
        Ok(Debug { instance: debug_instance, messenger, log })
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        let _loader = loader_lock();
        unsafe {
            // Objects die only when the GPU is done with them. Every submission of ours was
            // waited for by its owner; standalone, idling the device costs nobody anything and
            // covers a device lost half way. A host's device is not ours to idle.
            if self.owns_vulkan {
                let _ = self.device.device_wait_idle();
            }
            self.device.destroy_command_pool(self.command_pool, None);
            ManuallyDrop::drop(&mut self.allocator);
            if self.owns_vulkan {
                self.device.destroy_device(None);
            }
            if let Some(d) = self.debug.take() {
                d.instance.destroy_debug_utils_messenger(d.messenger, None);
            }
            if self.owns_vulkan {
                self.instance.destroy_instance(None);
            }
        }
    }
}
