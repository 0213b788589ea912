//! Assets: opened `.s4d` files or bytes.

use std::ffi::{c_char, CStr};

use super::{arg, call, invalid, put, versioned, S4dStatus};
use crate::asset::{Asset, Verify};

/// An opened `.s4d` asset: its tables in memory, its primitives read from its file (or its
/// copy in memory) as renderers need them.
pub struct S4dAsset {
    /// Shared with the Unity plugin's views, which make renderers of it later.
    pub(super) asset: std::sync::Arc<Asset>,
}

/// What an asset holds.
#[repr(C)]
pub struct S4dAssetInfo {
    /// Set by the caller to `sizeof(S4dAssetInfo)`.
    pub struct_size: u32,
    pub primitive_count: u32,
    pub segment_count: u32,
    pub level_count: u32,
    pub camera_count: u32,
    pub sh_degree: u32,
    pub time_start: f64,
    pub time_end: f64,
    pub frame_rate: f64,
    pub bounds_min: [f32; 3],
    pub bounds_max: [f32; 3],
}

/// Opens an `.s4d` file and verifies it: its header and tables (segments, runs, levels,
/// cameras) are read, checked and copied, and every section's checksum is checked. Only a
/// regular file is opened (a FIFO, a device or a folder fails with IO at once, without
/// blocking).
///
/// The file is read, never mapped. Its primitives are read again when a renderer is created
/// from it, and while a streaming renderer plays. If the file is truncated or rewritten after
/// this call, those reads fail (INVALID_ASSET, or IO) instead of crashing the host or drawing
/// other data. To update an asset in place, write the new file beside it and rename it over
/// the old one: open assets and renderers keep reading the old file.
///
/// # Safety
/// `path` is a NUL-terminated UTF-8 path; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn s4d_asset_open(path: *const c_char, out: *mut *mut S4dAsset) -> S4dStatus {
    call("s4d_asset_open", || unsafe {
        let path = CStr::from_ptr(arg(path, "path")?).to_str().map_err(|_| invalid("path is not UTF-8"))?;
        arg(out as *const *mut S4dAsset, "out")?;
        let asset = Asset::open(path, Verify::Full)?;
        put(out, "out", Box::into_raw(Box::new(S4dAsset { asset: asset.into() })))
    })
}

/// Opens an `.s4d` asset from memory; the bytes are copied, the caller keeps its buffer.
///
/// # Safety
/// `data` points to `size` readable bytes; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn s4d_asset_open_memory(data: *const u8, size: usize, out: *mut *mut S4dAsset) -> S4dStatus {
    call("s4d_asset_open_memory", || unsafe {
        let data = arg(data, "data")?;
        arg(out as *const *mut S4dAsset, "out")?;
        if size > isize::MAX as usize {
            return Err(invalid(format!("size {size} is not a buffer size")));
        }
        let bytes = std::slice::from_raw_parts(data, size);
        let asset = Asset::from_bytes(bytes, Verify::Full)?;
        put(out, "out", Box::into_raw(Box::new(S4dAsset { asset: asset.into() })))
    })
}

/// Describes an asset. The caller sets `info->struct_size`.
///
/// # Safety
/// `asset` is a live asset; `info` points to a writable `S4dAssetInfo`.
#[no_mangle]
pub unsafe extern "C" fn s4d_asset_get_info(asset: *const S4dAsset, info: *mut S4dAssetInfo) -> S4dStatus {
    call("s4d_asset_get_info", || unsafe {
        let asset = &arg(asset, "asset")?.asset;
        versioned(info as *const S4dAssetInfo, "info")?;
        let i = asset.info();
        let value = S4dAssetInfo {
            struct_size: std::mem::size_of::<S4dAssetInfo>() as u32,
            primitive_count: i.primitive_count,
            segment_count: i.segment_count,
            level_count: i.level_count,
            camera_count: i.camera_count,
            sh_degree: i.sh_degree as u32,
            time_start: i.time_range[0] as f64,
            time_end: i.time_range[1] as f64,
            frame_rate: i.frame_rate as f64,
            bounds_min: i.bounds_min,
            bounds_max: i.bounds_max,
        };
        put(info, "info", value)
    })
}

/// Closes an asset (NULL is fine). Renderers made from it do not need it any more.
///
/// # Safety
/// `asset` is NULL or from `s4d_asset_open*`, and not used again.
#[no_mangle]
pub unsafe extern "C" fn s4d_asset_destroy(asset: *mut S4dAsset) -> S4dStatus {
    call("s4d_asset_destroy", || {
        if !asset.is_null() {
            drop(unsafe { Box::from_raw(asset) });
        }
        Ok(())
    })
}
