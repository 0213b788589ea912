//! Assets: opened `.s4d` files or bytes.

use std::ffi::{c_char, c_void, CStr};
use std::sync::Arc;

use super::{arg, call, invalid, put, versioned, S4dStatus};
use crate::asset::{Asset, Source, Verify};

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

/// Reads `size` bytes at `offset` of the asset into `out`; returns 0, or non-zero where it could
/// not (the splat4d call that needed the bytes then fails with IO).
pub type S4dReadCallback =
    Option<unsafe extern "C" fn(user: *mut c_void, offset: u64, out: *mut c_void, size: usize) -> i32>;

/// Tells the host that splat4d will not read through `user` again.
pub type S4dReleaseCallback = Option<unsafe extern "C" fn(user: *mut c_void)>;

/// An asset's bytes as the host reads them, for `s4d_asset_open_reader`.
///
/// Threading: `read` is called on whichever thread opens the asset, creates a renderer of it or
/// renders a frame (a streaming renderer reads pages as it renders; the Unity plugin on Unity's
/// render thread), and may be called from several threads at once for different ranges: it must
/// be safe to call so. It is never asked for bytes past `size`, nor for 0 bytes. `release` is
/// called once, on any thread, after the last `read`: when the asset and every renderer made of
/// it are destroyed, or before `s4d_asset_open_reader` returns a failure (any failure but a NULL
/// `reader` or a refused `struct_size`, where nothing of it is read).
#[repr(C)]
pub struct S4dReader {
    /// Set by the caller to `sizeof(S4dReader)`.
    pub struct_size: u32,
    pub reserved: u32,
    /// The asset's size in bytes, fixed while splat4d reads it.
    pub size: u64,
    pub read: S4dReadCallback,
    /// May be NULL.
    pub release: S4dReleaseCallback,
    /// Passed to both callbacks.
    pub user: *mut c_void,
    /// What messages call the asset (NUL-terminated UTF-8, copied); NULL: "<reader>".
    pub name: *const c_char,
}

/// The host's reader behind [`Source`]: its callbacks and pointer, released when dropped.
struct HostReader {
    size: u64,
    read: S4dReadCallback,
    release: S4dReleaseCallback,
    user: *mut c_void,
}

// SAFETY: the header's contract for `S4dReader`: `read` may be called from any thread and from
// several at once, `release` from any thread.
unsafe impl Send for HostReader {}
unsafe impl Sync for HostReader {}

impl Source for HostReader {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, out: &mut [u8]) -> Result<(), String> {
        let read = self.read.ok_or("no read callback")?;
        match unsafe { read(self.user, offset, out.as_mut_ptr() as *mut c_void, out.len()) } {
            0 => Ok(()),
            status => Err(format!("read returned {status}")),
        }
    }
}

impl Drop for HostReader {
    fn drop(&mut self) {
        if let Some(release) = self.release {
            unsafe { release(self.user) };
        }
    }
}

/// Opens an `.s4d` asset whose bytes the host reads (from an app's package, an archive, its own
/// cache or network client, a decryption layer): verified as `s4d_asset_open` verifies a file,
/// every section's checksum read through `reader->read`. Renderers made of it keep reading its
/// primitives through it (the reader outlives the asset until they are destroyed). See
/// `S4dReader` for when the callbacks are called and from where.
///
/// # Safety
/// `reader` points to a valid `S4dReader` whose callbacks keep the contract above; `out` is valid
/// for a write.
#[no_mangle]
pub unsafe extern "C" fn s4d_asset_open_reader(reader: *const S4dReader, out: *mut *mut S4dAsset) -> S4dStatus {
    call("s4d_asset_open_reader", || unsafe {
        let r = versioned(reader, "reader")?;
        // From here on, a failure releases the reader (dropping it), as the header promises.
        let host = HostReader { size: r.size, read: r.read, release: r.release, user: r.user };
        if r.read.is_none() {
            return Err(invalid("reader->read is NULL"));
        }
        if r.reserved != 0 {
            return Err(invalid("reader->reserved must be 0"));
        }
        let name = match r.name.is_null() {
            true => "<reader>".to_string(),
            false => CStr::from_ptr(r.name).to_str().map_err(|_| invalid("reader->name is not UTF-8"))?.to_string(),
        };
        arg(out as *const *mut S4dAsset, "out")?;
        let asset = Asset::from_source(Arc::new(host), &name, Verify::Full)?;
        put(out, "out", Box::into_raw(Box::new(S4dAsset { asset: asset.into() })))
    })
}

/// Opens the `.s4d` asset at an http:// or https:// `url` by range requests (the server must
/// answer them with 206; TLS by rustls), verified as `s4d_asset_open` verifies a file: its
/// header, tables and every section's checksum, which fetches the whole asset once. Renderers
/// fetch what they read, through a 64 MiB RAM cache. A server that ignores ranges, a file replaced
/// on the server (its ETag or Last-Modified changed) or bytes that fail their checksum are IO or
/// INVALID_ASSET errors, never other bytes; dropped connections are retried with back-off. A
/// library built without the `http` feature fails with INVALID_ARGUMENT.
///
/// # Safety
/// `url` is a NUL-terminated UTF-8 string; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn s4d_asset_open_url(url: *const c_char, out: *mut *mut S4dAsset) -> S4dStatus {
    call("s4d_asset_open_url", || unsafe {
        let url = CStr::from_ptr(arg(url, "url")?).to_str().map_err(|_| invalid("url is not UTF-8"))?;
        arg(out as *const *mut S4dAsset, "out")?;
        let asset = open_url(url)?;
        put(out, "out", Box::into_raw(Box::new(S4dAsset { asset: asset.into() })))
    })
}

#[cfg(feature = "http")]
fn open_url(url: &str) -> Result<Asset, super::Failure> {
    Ok(Asset::open_url(url, crate::asset::http::HttpOptions::default(), Verify::Full)?)
}

#[cfg(not(feature = "http"))]
fn open_url(url: &str) -> Result<Asset, super::Failure> {
    Err(invalid(format!("{url}: this build of splat4d has no HTTP (feature `http`)")))
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
