//! Unity's low-level native plug-in interface, declared here from Unity's manual (Unity's own
//! `IUnityInterface.h`, `IUnityGraphics.h` and `IUnityGraphicsVulkan.h` are under the Unity
//! Companion License, so they are not copied in): "Low-level native plug-in interface",
//! "Low-level native plug-in rendering extensions" and "Vulkan native plug-in interface"
//! (docs.unity3d.com/Manual/NativePluginInterface.html and the pages it links). Layouts are
//! the C structs those pages describe; every function pointer is `UNITY_INTERFACE_API`, which is
//! `__stdcall` on 32-bit Windows and the C convention elsewhere: `extern "system"`.

use std::ffi::{c_char, c_int, c_uint, c_ulonglong, c_void};

use ash::vk;

/// An interface's 128-bit GUID, as two halves.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Guid {
    pub high: c_ulonglong,
    pub low: c_ulonglong,
}

pub const IUNITY_GRAPHICS: Guid = Guid { high: 0x7CBA_0A9C_A4DD_B544, low: 0x8C5A_D492_6EB1_7B11 };
pub const IUNITY_GRAPHICS_VULKAN: Guid = Guid { high: 0x9535_5348_D4EF_4E11, low: 0x9789_313D_FCFF_CC87 };
/// The same interface with two more functions at its end (Unity 2020.3 and later).
pub const IUNITY_GRAPHICS_VULKAN_V2: Guid = Guid { high: 0x3293_34C0_9DCA_4787, low: 0xB347_DD92_A009_7FFC };

/// What `UnityPluginLoad` receives: the registry of Unity's interfaces.
#[repr(C)]
pub struct UnityInterfaces {
    pub get_interface: Option<unsafe extern "system" fn(guid: Guid) -> *mut c_void>,
    pub register_interface: Option<unsafe extern "system" fn(guid: Guid, interface: *mut c_void)>,
    pub get_interface_split: Option<unsafe extern "system" fn(high: c_ulonglong, low: c_ulonglong) -> *mut c_void>,
    pub register_interface_split:
        Option<unsafe extern "system" fn(high: c_ulonglong, low: c_ulonglong, interface: *mut c_void)>,
}

/// `UnityGfxRenderer`: the one this plugin draws with.
pub const RENDERER_VULKAN: c_int = 21;

/// `UnityGfxDeviceEventType`.
pub const DEVICE_EVENT_INITIALIZE: c_int = 0;
pub const DEVICE_EVENT_SHUTDOWN: c_int = 1;

pub type DeviceEventCallback = unsafe extern "system" fn(event: c_int);

/// `IUnityGraphics`.
#[repr(C)]
pub struct UnityGraphics {
    pub get_renderer: Option<unsafe extern "system" fn() -> c_int>,
    pub register_device_event_callback: Option<unsafe extern "system" fn(callback: DeviceEventCallback)>,
    pub unregister_device_event_callback: Option<unsafe extern "system" fn(callback: DeviceEventCallback)>,
    /// Reserves `count` consecutive event IDs for this plugin and returns the first.
    pub reserve_event_id_range: Option<unsafe extern "system" fn(count: c_int) -> c_int>,
}

/// `UnityVulkanInstance`: the Vulkan objects Unity renders with.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct VulkanInstance {
    pub pipeline_cache: vk::PipelineCache,
    pub instance: vk::Instance,
    pub physical_device: vk::PhysicalDevice,
    pub device: vk::Device,
    pub graphics_queue: vk::Queue,
    pub get_instance_proc_addr: Option<vk::PFN_vkGetInstanceProcAddr>,
    pub queue_family_index: c_uint,
    pub reserved: [*mut c_void; 8],
}

/// `UnityVulkanRecordingState`: the command buffer of the current event and Unity's frame
/// numbers (resources used in frames up to `safe_frame_number` are no longer in use).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RecordingState {
    pub command_buffer: vk::CommandBuffer,
    pub command_buffer_level: vk::CommandBufferLevel,
    pub render_pass: vk::RenderPass,
    pub framebuffer: vk::Framebuffer,
    pub sub_pass_index: c_int,
    pub current_frame_number: c_ulonglong,
    pub safe_frame_number: c_ulonglong,
    pub reserved: [*mut c_void; 4],
}

/// `UnityVulkanMemory`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct VulkanMemory {
    pub memory: vk::DeviceMemory,
    pub offset: vk::DeviceSize,
    pub size: vk::DeviceSize,
    pub mapped: *mut c_void,
    pub flags: vk::MemoryPropertyFlags,
    pub memory_type_index: c_uint,
    pub reserved: [*mut c_void; 4],
}

/// `UnityVulkanImage`: what `AccessRenderBufferTexture` says of an image.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct VulkanImage {
    pub memory: VulkanMemory,
    pub image: vk::Image,
    pub layout: vk::ImageLayout,
    pub aspect: vk::ImageAspectFlags,
    pub usage: vk::ImageUsageFlags,
    pub format: vk::Format,
    pub extent: vk::Extent3D,
    pub tiling: vk::ImageTiling,
    pub image_type: vk::ImageType,
    pub samples: vk::SampleCountFlags,
    pub layers: c_int,
    pub mip_count: c_int,
    pub reserved: [*mut c_void; 4],
}

/// `UnityVulkanResourceAccessMode`: with `PIPELINE_BARRIER` Unity records the barrier into the
/// layout, stages and accesses asked for, and tracks the image as in that layout afterwards.
pub const ACCESS_PIPELINE_BARRIER: c_uint = 1;

/// `UnityVulkanEventRenderPassPreCondition`.
pub const RENDER_PASS_ENSURE_OUTSIDE: c_int = 2;
/// `UnityVulkanGraphicsQueueAccess`: the event may submit to the graphics queue.
pub const QUEUE_ACCESS_ALLOW: c_uint = 1;
/// `UnityVulkanEventConfigFlagBits`: the event binds its own pipelines and descriptor sets,
/// so Unity sets its state again afterwards.
pub const EVENT_MODIFIES_COMMAND_BUFFER_STATE: u32 = 1 << 3;

/// `UnityVulkanPluginEventConfig`.
#[repr(C)]
pub struct PluginEventConfig {
    pub render_pass_precondition: c_int,
    pub graphics_queue_access: c_uint,
    pub flags: u32,
}

/// `UnityVulkanInitCallback`: given the loader's `vkGetInstanceProcAddr`, returns the one
/// Unity then creates its instance and device through.
pub type InitCallback = unsafe extern "system" fn(
    get_instance_proc_addr: Option<vk::PFN_vkGetInstanceProcAddr>,
    user: *mut c_void,
) -> Option<vk::PFN_vkGetInstanceProcAddr>;

/// `UnityRenderBuffer`: what `RenderBuffer.GetNativeRenderBufferPtr()` gives C#.
pub type RenderBuffer = *mut c_void;

type AccessImage = unsafe extern "system" fn(
    buffer: RenderBuffer,
    subresource: *const vk::ImageSubresource,
    layout: vk::ImageLayout,
    stages: vk::PipelineStageFlags,
    access: vk::AccessFlags,
    mode: c_uint,
    out: *mut VulkanImage,
) -> bool;

/// `IUnityGraphicsVulkan` (and `IUnityGraphicsVulkanV2`, whose last two entries only it has).
#[repr(C)]
pub struct UnityGraphicsVulkan {
    pub intercept_initialization: Option<unsafe extern "system" fn(callback: InitCallback, user: *mut c_void) -> bool>,
    pub intercept_vulkan_api: Option<
        unsafe extern "system" fn(name: *const c_char, function: vk::PFN_vkVoidFunction) -> vk::PFN_vkVoidFunction,
    >,
    pub configure_event: Option<unsafe extern "system" fn(event_id: c_int, config: *const PluginEventConfig)>,
    pub instance: Option<unsafe extern "system" fn() -> VulkanInstance>,
    pub command_recording_state: Option<unsafe extern "system" fn(out: *mut RecordingState, queue: c_uint) -> bool>,
    pub access_texture: Option<unsafe extern "system" fn()>,
    pub access_render_buffer_texture: Option<AccessImage>,
    pub access_render_buffer_resolve_texture: Option<AccessImage>,
    pub access_buffer: Option<unsafe extern "system" fn()>,
    pub ensure_outside_render_pass: Option<unsafe extern "system" fn()>,
    pub ensure_inside_render_pass: Option<unsafe extern "system" fn()>,
    pub access_queue: Option<unsafe extern "system" fn()>,
    pub configure_swapchain: Option<unsafe extern "system" fn()>,
    pub access_texture_by_id: Option<unsafe extern "system" fn()>,
    /// V2 only: interception among other plugins', by priority.
    pub add_intercept_initialization:
        Option<unsafe extern "system" fn(callback: InitCallback, user: *mut c_void, priority: i32) -> bool>,
    pub remove_intercept_initialization: Option<unsafe extern "system" fn(callback: InitCallback) -> bool>,
}
