//! Runtimes: a Vulkan context of their own (standalone) or on a host's device (embedded).

use std::ffi::{c_char, c_void, CStr};
use std::sync::{Arc, Mutex};

use ash::vk::{self, Handle};

use super::{arg, call, invalid, lock, null, put, versioned, S4dStatus};
use crate::gpu::{Context, ContextOptions, HostVulkan};

/// A Vulkan context and everything rendered with it. Renderers keep it alive: destroying the
/// runtime before its renderers is allowed, and the GPU objects go with the last renderer.
pub struct S4dRuntime {
    pub(super) context: Arc<Mutex<Context>>,
}

/// Options of a standalone runtime (the runtime creates its own Vulkan instance and device).
#[repr(C)]
pub struct S4dRuntimeDesc {
    /// `sizeof(S4dRuntimeDesc)`.
    pub struct_size: u32,
    /// Non-zero: enable the Khronos validation layer and fail if it is not installed.
    pub validation: u32,
    /// Use the first GPU whose name contains this (UTF-8, case-insensitive); NULL: the best one.
    pub device_name: *const c_char,
}

/// `vkGetInstanceProcAddr` as the host's loader gives it.
pub type S4dGetInstanceProcAddr = Option<
    unsafe extern "system" fn(instance: *mut c_void, name: *const c_char) -> Option<unsafe extern "system" fn()>,
>;

/// A host's Vulkan objects, lent to an embedded runtime (DESIGN §6); Unity's
/// `IUnityGraphicsVulkan` gives exactly these. The host keeps ownership: it destroys them only
/// after the runtime and every renderer made from it.
#[repr(C)]
pub struct S4dVulkanHostDesc {
    /// `sizeof(S4dVulkanHostDesc)`.
    pub struct_size: u32,
    /// The family of `queue`; it must do graphics and compute.
    pub queue_family_index: u32,
    pub get_instance_proc_addr: S4dGetInstanceProcAddr,
    /// `VkInstance`, created with `instance_api_version` ≥ 1.1.
    pub instance: *mut c_void,
    /// `VkPhysicalDevice`.
    pub physical_device: *mut c_void,
    /// `VkDevice`.
    pub device: *mut c_void,
    /// `VkQueue`. splat4d submits to it while a call runs; the host must not submit to it from
    /// another thread at the same time (Vulkan's external synchronisation rule).
    pub queue: *mut c_void,
    pub instance_api_version: u32,
    /// Non-zero if the host enabled the `multiview` feature on `device` (else stereo renders
    /// one pass per eye).
    pub multiview_enabled: u32,
    /// Non-zero if the host enabled `VK_EXT_debug_utils` on `instance` (object names).
    pub debug_utils_enabled: u32,
    /// Non-zero: collect the validation layer's messages (the host enabled the layer and
    /// `VK_EXT_debug_utils`).
    pub validation: u32,
}

/// Creates a standalone runtime.
///
/// # Safety
/// `desc` points to a valid `S4dRuntimeDesc` (`device_name` NULL or NUL-terminated); `out` is
/// valid for a write.
#[no_mangle]
pub unsafe extern "C" fn s4d_runtime_create(desc: *const S4dRuntimeDesc, out: *mut *mut S4dRuntime) -> S4dStatus {
    call("s4d_runtime_create", || unsafe {
        let desc = versioned(desc, "desc")?;
        arg(out as *const *mut S4dRuntime, "out")?;
        let device_name = match desc.device_name.is_null() {
            true => None,
            false => Some(
                CStr::from_ptr(desc.device_name)
                    .to_str()
                    .map_err(|_| invalid("desc->device_name is not UTF-8"))?
                    .to_owned(),
            ),
        };
        let options = ContextOptions { validation: desc.validation != 0, device_name, ..Default::default() };
        let context = Context::new(&options)?;
        let runtime = Box::new(S4dRuntime { context: Arc::new(Mutex::new(context)) });
        put(out, "out", Box::into_raw(runtime))
    })
}

/// Creates an embedded runtime on a host's Vulkan device (see `S4dVulkanHostDesc`).
///
/// # Safety
/// `desc` points to a valid `S4dVulkanHostDesc` whose handles are live, come from its
/// `get_instance_proc_addr`, and outlive the runtime; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn s4d_runtime_create_embedded(
    desc: *const S4dVulkanHostDesc,
    out: *mut *mut S4dRuntime,
) -> S4dStatus {
    call("s4d_runtime_create_embedded", || unsafe {
        let desc = versioned(desc, "desc")?;
        arg(out as *const *mut S4dRuntime, "out")?;
        let gipa = desc.get_instance_proc_addr.ok_or_else(|| null("desc->get_instance_proc_addr"))?;
        let host = HostVulkan {
            // Dispatchable Vulkan handles are pointers; ash's are the same pointer-sized values.
            get_instance_proc_addr: std::mem::transmute::<
                unsafe extern "system" fn(*mut c_void, *const c_char) -> Option<unsafe extern "system" fn()>,
                vk::PFN_vkGetInstanceProcAddr,
            >(gipa),
            instance: vk::Instance::from_raw(desc.instance as u64),
            instance_api_version: desc.instance_api_version,
            physical_device: vk::PhysicalDevice::from_raw(desc.physical_device as u64),
            device: vk::Device::from_raw(desc.device as u64),
            queue_family: desc.queue_family_index,
            queue: vk::Queue::from_raw(desc.queue as u64),
            multiview_enabled: desc.multiview_enabled != 0,
            debug_utils_enabled: desc.debug_utils_enabled != 0,
        };
        let options = ContextOptions { validation: desc.validation != 0, ..Default::default() };
        let context = Context::from_host(&host, &options)?;
        let runtime = Box::new(S4dRuntime { context: Arc::new(Mutex::new(context)) });
        put(out, "out", Box::into_raw(runtime))
    })
}

/// Destroys a runtime handle (NULL is fine). Renderers made from it stay usable.
///
/// # Safety
/// `runtime` is NULL or from `s4d_runtime_create`, and not used again.
#[no_mangle]
pub unsafe extern "C" fn s4d_runtime_destroy(runtime: *mut S4dRuntime) -> S4dStatus {
    call("s4d_runtime_destroy", || {
        if !runtime.is_null() {
            drop(unsafe { Box::from_raw(runtime) });
        }
        Ok(())
    })
}

/// The number of validation-layer warnings and errors so far (0 without validation).
///
/// # Safety
/// `runtime` is a live runtime; `count` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn s4d_runtime_validation_message_count(
    runtime: *const S4dRuntime,
    count: *mut u32,
) -> S4dStatus {
    call("s4d_runtime_validation_message_count", || unsafe {
        let runtime = arg(runtime, "runtime")?;
        let n = lock(&runtime.context).validation_messages().len();
        put(count, "count", n.min(u32::MAX as usize) as u32)
    })
}
