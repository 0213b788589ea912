//! What splat4d needs of the device Unity creates, asked for while Unity creates it. Unity
//! hands `InterceptInitialization`'s callback the loader's `vkGetInstanceProcAddr` and then
//! creates its instance and device through the one the callback returns (the manual's
//! "Vulkan native plug-in interface"; this only happens for a plugin loaded before the
//! graphics device, which Unity's plugin importer calls "Load on startup"). Ours passes every
//! call through except two:
//! - `vkCreateInstance`: an instance asking for Vulkan 1.0 gets 1.1 where the loader has it
//!   (multiview is core there, and the embedded runtime needs 1.1);
//! - `vkCreateDevice`: the `multiview` feature is turned on where the device has it (both eyes
//!   of a two-layer XR target in one pass; without it, one pass per eye).
//!
//! What was asked and granted is kept here for the runtime made on the device-initialise
//! event.

use std::ffi::{c_char, c_void, CStr};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use ash::vk::{self, Handle};

/// The loader's `vkGetInstanceProcAddr` (0 before the interception).
static NEXT: AtomicUsize = AtomicUsize::new(0);
/// The instance Unity created through us, and the API version it was created for.
static INSTANCE: AtomicU64 = AtomicU64::new(0);
static INSTANCE_API: AtomicU32 = AtomicU32::new(0);
static MULTIVIEW: AtomicBool = AtomicBool::new(false);
static DEVICE_CREATED: AtomicBool = AtomicBool::new(false);

/// What the interception did, for the runtime on Unity's device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Granted {
    /// Unity created its device through the interception.
    pub intercepted: bool,
    /// The instance's API version (0 where not intercepted).
    pub instance_api_version: u32,
    /// `multiview` is enabled on the device.
    pub multiview: bool,
}

pub fn granted() -> Granted {
    let intercepted = DEVICE_CREATED.load(Ordering::Acquire);
    Granted {
        intercepted,
        instance_api_version: if intercepted { INSTANCE_API.load(Ordering::Acquire) } else { 0 },
        multiview: intercepted && MULTIVIEW.load(Ordering::Acquire),
    }
}

/// `UnityVulkanInitCallback`.
///
/// # Safety
/// `next` is the loader's `vkGetInstanceProcAddr` (Unity's call).
pub unsafe extern "system" fn intercept(
    next: Option<vk::PFN_vkGetInstanceProcAddr>,
    _user: *mut c_void,
) -> Option<vk::PFN_vkGetInstanceProcAddr> {
    let next = next?;
    NEXT.store(next as usize, Ordering::Release);
    Some(get_instance_proc_addr)
}

fn next() -> Option<vk::PFN_vkGetInstanceProcAddr> {
    match NEXT.load(Ordering::Acquire) {
        0 => None,
        // SAFETY: only `intercept` stores here, and only a `PFN_vkGetInstanceProcAddr`.
        f => Some(unsafe { std::mem::transmute::<usize, vk::PFN_vkGetInstanceProcAddr>(f) }),
    }
}

/// The next layer's `name` on `instance`, as type `F`.
///
/// # Safety
/// `F` is the function pointer type of `name`.
unsafe fn resolve<F>(instance: vk::Instance, name: &CStr) -> Option<F> {
    let f = unsafe { next()?(instance, name.as_ptr()) }?;
    // SAFETY: the caller names the type of `name`; both are plain function pointers.
    Some(unsafe { std::mem::transmute_copy::<unsafe extern "system" fn(), F>(&f) })
}

unsafe extern "system" fn get_instance_proc_addr(
    instance: vk::Instance,
    name: *const c_char,
) -> vk::PFN_vkVoidFunction {
    let next = next()?;
    let wanted = unsafe { CStr::from_ptr(name) }.to_bytes();
    // SAFETY (all three): each is returned under the name whose signature it has.
    unsafe {
        match wanted {
            b"vkGetInstanceProcAddr" => Some(std::mem::transmute::<
                vk::PFN_vkGetInstanceProcAddr,
                unsafe extern "system" fn(),
            >(get_instance_proc_addr)),
            b"vkCreateInstance" => {
                Some(std::mem::transmute::<vk::PFN_vkCreateInstance, unsafe extern "system" fn()>(create_instance))
            }
            b"vkCreateDevice" => {
                if instance != vk::Instance::null() {
                    INSTANCE.store(instance.as_raw(), Ordering::Release);
                }
                Some(std::mem::transmute::<vk::PFN_vkCreateDevice, unsafe extern "system" fn()>(create_device))
            }
            _ => next(instance, name),
        }
    }
}

unsafe extern "system" fn create_instance(
    info: *const vk::InstanceCreateInfo<'_>,
    allocator: *const vk::AllocationCallbacks<'_>,
    out: *mut vk::Instance,
) -> vk::Result {
    let Some(create) = (unsafe { resolve::<vk::PFN_vkCreateInstance>(vk::Instance::null(), c"vkCreateInstance") })
    else {
        return vk::Result::ERROR_INITIALIZATION_FAILED;
    };
    let mut info = unsafe { *info };
    let mut app = match unsafe { info.p_application_info.as_ref() } {
        Some(a) => *a,
        None => vk::ApplicationInfo::default().api_version(vk::API_VERSION_1_0),
    };
    let loader =
        unsafe { resolve::<vk::PFN_vkEnumerateInstanceVersion>(vk::Instance::null(), c"vkEnumerateInstanceVersion") }
            .map_or(vk::API_VERSION_1_0, |f| {
                let mut v = vk::API_VERSION_1_0;
                if unsafe { f(&mut v) } != vk::Result::SUCCESS {
                    v = vk::API_VERSION_1_0;
                }
                v
            });
    let asked = app.api_version.max(vk::API_VERSION_1_0);
    if asked < vk::API_VERSION_1_1 && loader >= vk::API_VERSION_1_1 {
        app.api_version = vk::API_VERSION_1_1;
    }
    // Our copy of Unity's application info, for this call only.
    info.p_application_info = &app;
    let result = unsafe { create(&info, allocator, out) };
    if result == vk::Result::SUCCESS {
        INSTANCE.store(unsafe { *out }.as_raw(), Ordering::Release);
        INSTANCE_API.store(app.api_version.max(vk::API_VERSION_1_0), Ordering::Release);
    }
    result
}

unsafe extern "system" fn create_device(
    physical_device: vk::PhysicalDevice,
    info: *const vk::DeviceCreateInfo<'_>,
    allocator: *const vk::AllocationCallbacks<'_>,
    out: *mut vk::Device,
) -> vk::Result {
    let instance = vk::Instance::from_raw(INSTANCE.load(Ordering::Acquire));
    let Some(create) = (unsafe { resolve::<vk::PFN_vkCreateDevice>(instance, c"vkCreateDevice") }) else {
        return vk::Result::ERROR_INITIALIZATION_FAILED;
    };
    let supported = unsafe { multiview_supported(instance, physical_device) };
    let mut info = unsafe { *info };
    // Multiview features may already be in Unity's chain (as Vulkan 1.1's or multiview's own
    // struct; both at once is invalid). Found, the bit is set for the call and put back after
    // it; else our own struct goes at the chain's head.
    let mut ours = vk::PhysicalDeviceMultiviewFeatures::default().multiview(true);
    let mut found: Option<(*mut vk::Bool32, vk::Bool32)> = None;
    let mut at = info.p_next as *mut vk::BaseOutStructure<'_>;
    while let Some(s) = unsafe { at.as_mut() } {
        let bit = match s.s_type {
            vk::StructureType::PHYSICAL_DEVICE_VULKAN_1_1_FEATURES => unsafe {
                &mut (*(at as *mut vk::PhysicalDeviceVulkan11Features<'_>)).multiview as *mut vk::Bool32
            },
            vk::StructureType::PHYSICAL_DEVICE_MULTIVIEW_FEATURES => unsafe {
                &mut (*(at as *mut vk::PhysicalDeviceMultiviewFeatures<'_>)).multiview as *mut vk::Bool32
            },
            _ => std::ptr::null_mut(),
        };
        if !bit.is_null() {
            found = Some((bit, unsafe { *bit }));
            break;
        }
        at = s.p_next;
    }
    if supported {
        match found {
            // SAFETY: Unity's struct, alive for this call; its value is put back below.
            Some((bit, _)) => unsafe { *bit = vk::TRUE },
            None => {
                ours.p_next = info.p_next as *mut c_void;
                info.p_next = &ours as *const _ as *const c_void;
            }
        }
    }
    let result = unsafe { create(physical_device, &info, allocator, out) };
    let enabled = supported || found.is_some_and(|(_, was)| was == vk::TRUE);
    if let (true, Some((bit, was))) = (supported, found) {
        unsafe { *bit = was };
    }
    if result == vk::Result::SUCCESS {
        MULTIVIEW.store(enabled, Ordering::Release);
        DEVICE_CREATED.store(true, Ordering::Release);
    }
    result
}

/// Whether the device has `multiview`, and the instance and device Vulkan 1.1 (where it is
/// core; the interception does not add `VK_KHR_multiview` to a 1.0 device).
unsafe fn multiview_supported(instance: vk::Instance, physical_device: vk::PhysicalDevice) -> bool {
    if INSTANCE_API.load(Ordering::Acquire) < vk::API_VERSION_1_1 {
        return false;
    }
    let (Some(properties), Some(features)) = (unsafe {
        (
            resolve::<vk::PFN_vkGetPhysicalDeviceProperties>(instance, c"vkGetPhysicalDeviceProperties"),
            resolve::<vk::PFN_vkGetPhysicalDeviceFeatures2>(instance, c"vkGetPhysicalDeviceFeatures2"),
        )
    }) else {
        return false;
    };
    let mut p = vk::PhysicalDeviceProperties::default();
    unsafe { properties(physical_device, &mut p) };
    if p.api_version < vk::API_VERSION_1_1 {
        return false;
    }
    let mut multiview = vk::PhysicalDeviceMultiviewFeatures::default();
    let mut f = vk::PhysicalDeviceFeatures2::default().push_next(&mut multiview);
    unsafe { features(physical_device, &mut f) };
    multiview.multiview == vk::TRUE
}
