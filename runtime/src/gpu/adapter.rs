//! The physical device (wgpu-hal's adapter): which one a context takes, what it is, and what
//! its driver and queue families allow (multiview that works, a queue for uploads).

use std::ffi::CStr;

use ash::vk;

use super::context::{QueueRef, UploadQueue};
use super::vk_err;
use crate::error::{Error, Result};
use crate::profile::DeviceInfo;

/// What the device is: its name, driver and API version, for logs and results files.
pub(super) fn device_info(
    instance: &ash::Instance,
    physical_device: vk::PhysicalDevice,
    properties: &vk::PhysicalDeviceProperties,
    api_version: u32,
) -> DeviceInfo {
    let text = |s: std::result::Result<&CStr, _>| s.map_or(String::new(), |c: &CStr| c.to_string_lossy().into_owned());
    let v = properties.driver_version;
    let mut driver = format!("driver version {v:#x}");
    // Driver properties are core in 1.2; older devices give only the packed version.
    if api_version >= vk::API_VERSION_1_2 {
        let mut props = vk::PhysicalDeviceDriverProperties::default();
        let mut all = vk::PhysicalDeviceProperties2::default().push_next(&mut props);
        unsafe { instance.get_physical_device_properties2(physical_device, &mut all) };
        driver = format!("{} {}", text(props.driver_name_as_c_str()), text(props.driver_info_as_c_str()));
    }
    DeviceInfo {
        name: text(properties.device_name_as_c_str()),
        driver: driver.trim().to_string(),
        api: format!(
            "{}.{}.{}",
            vk::api_version_major(properties.api_version),
            vk::api_version_minor(properties.api_version),
            vk::api_version_patch(properties.api_version)
        ),
        vendor_id: properties.vendor_id,
        device_id: properties.device_id,
    }
}

/// Drivers known to advertise multiview but render only view 0 of a multiview render pass:
/// lavapipe before Mesa 23 (Debian 12's 22.3.6 does this; 25.0 renders both views).
pub(super) fn multiview_is_broken(
    instance: &ash::Instance,
    pd: vk::PhysicalDevice,
    props: &vk::PhysicalDeviceProperties,
) -> bool {
    if props.api_version < vk::API_VERSION_1_2 {
        return false;
    }
    let mut driver = vk::PhysicalDeviceDriverProperties::default();
    let mut props2 = vk::PhysicalDeviceProperties2::default().push_next(&mut driver);
    unsafe { instance.get_physical_device_properties2(pd, &mut props2) };
    if driver.driver_id != vk::DriverId::MESA_LLVMPIPE {
        return false;
    }
    let info = driver.driver_info_as_c_str().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    // driverInfo reads "Mesa 22.3.6 (LLVM 15.0.6)".
    let major = info.strip_prefix("Mesa ").and_then(|v| v.split('.').next()).and_then(|m| m.parse::<u32>().ok());
    let broken = major.is_some_and(|m| m < 23);
    if broken {
        log::warn!(
            "{info}: this driver renders only the first view of a multiview pass; stereo renders one pass per eye"
        );
    }
    broken
}

/// How pages are uploaded with `upload_queue` beside frames on `frames_family`.
pub(super) fn upload_path(upload_queue: Option<QueueRef>, frames_family: u32) -> UploadQueue {
    match upload_queue {
        Some(q) if q.family != frames_family => UploadQueue::Transfer,
        Some(_) => UploadQueue::Graphics,
        None => UploadQueue::InFrame,
    }
}

/// The family to upload streamed pages on, as `wanted` says and the device allows: a
/// transfer-only family (one with neither graphics nor compute is a copy engine) and timeline
/// semaphores, or, for `Graphics`, the frames' own family.
pub(super) fn upload_family(
    instance: &ash::Instance,
    pd: vk::PhysicalDevice,
    props: &vk::PhysicalDeviceProperties,
    api_version: u32,
    (wanted, frames_family): (UploadQueue, u32),
) -> Option<u32> {
    if wanted == UploadQueue::InFrame || api_version < vk::API_VERSION_1_2 || props.api_version < vk::API_VERSION_1_2 {
        return None;
    }
    let mut has12 = vk::PhysicalDeviceVulkan12Features::default();
    let mut query = vk::PhysicalDeviceFeatures2::default().push_next(&mut has12);
    unsafe { instance.get_physical_device_features2(pd, &mut query) };
    if has12.timeline_semaphore != vk::TRUE {
        return None;
    }
    if wanted == UploadQueue::Graphics {
        return Some(frames_family);
    }
    let families = unsafe { instance.get_physical_device_queue_family_properties(pd) };
    let graphics_compute = vk::QueueFlags::GRAPHICS | vk::QueueFlags::COMPUTE;
    let transfer_only = |f: &vk::QueueFamilyProperties| {
        f.queue_count > 0
            && f.queue_flags.contains(vk::QueueFlags::TRANSFER)
            && !f.queue_flags.intersects(graphics_compute)
    };
    families.iter().position(transfer_only).map(|f| f as u32)
}

/// The device to use, with a queue family that does graphics and compute: the one named like
/// `wanted`, else the most capable type (discrete, integrated, virtual, CPU); only `given`
/// where the creator chose.
pub(super) fn pick_device(
    instance: &ash::Instance,
    wanted: Option<&str>,
    given: Option<vk::PhysicalDevice>,
) -> Result<(vk::PhysicalDevice, u32, vk::PhysicalDeviceProperties)> {
    let devices = match given {
        Some(pd) => vec![pd],
        None => unsafe { instance.enumerate_physical_devices() }.map_err(vk_err("vkEnumeratePhysicalDevices"))?,
    };
    let mut candidates = Vec::new();
    for pd in devices {
        let props = unsafe { instance.get_physical_device_properties(pd) };
        let name = props.device_name_as_c_str().map_or(String::new(), |n| n.to_string_lossy().into_owned());
        if props.api_version < vk::API_VERSION_1_1 {
            continue;
        }
        let families = unsafe { instance.get_physical_device_queue_family_properties(pd) };
        let family =
            families.iter().position(|f| f.queue_flags.contains(vk::QueueFlags::GRAPHICS | vk::QueueFlags::COMPUTE));
        if let Some(family) = family {
            candidates.push((pd, family as u32, props, name));
        }
    }
    let names: Vec<&str> = candidates.iter().map(|c| c.3.as_str()).collect();
    let chosen = match wanted {
        Some(w) => {
            let w = w.to_lowercase();
            candidates
                .iter()
                .find(|c| c.3.to_lowercase().contains(&w))
                .ok_or_else(|| Error::Gpu(format!("no Vulkan 1.1 device named like '{w}' (devices: {names:?})")))?
        }
        None => {
            let rank = |t: vk::PhysicalDeviceType| match t {
                vk::PhysicalDeviceType::DISCRETE_GPU => 0,
                vk::PhysicalDeviceType::INTEGRATED_GPU => 1,
                vk::PhysicalDeviceType::VIRTUAL_GPU => 2,
                vk::PhysicalDeviceType::CPU => 3,
                _ => 4,
            };
            candidates.iter().min_by_key(|c| rank(c.2.device_type)).ok_or_else(|| {
                Error::Gpu(
                    "no Vulkan 1.1 device with a graphics+compute queue (for a software device: \
                     apt-get install mesa-vulkan-drivers)"
                        .into(),
                )
            })?
        }
    };
    Ok((chosen.0, chosen.1, chosen.2))
}
