//! The C ABI (DESIGN §7): a thin layer that checks and converts arguments and forwards to the
//! Rust API. Every function returns an [`S4dStatus`], results go through out-parameters, a
//! failure leaves a message for [`s4d_last_error`] on the calling thread, and no panic crosses
//! the boundary. `include/splat4d.h` is generated from this module by cbindgen.
//!
//! Thread safety: every function may be called from any thread. Calls that use one runtime
//! (its renderers included) are serialised by a lock in the runtime; calls on one renderer by
//! the renderer's lock. The log callback is called on whichever thread logs.

mod asset;
mod capture;
mod composite;
mod log_bridge;
mod pack;
mod renderer;
mod runtime;
mod unity;
mod xr;

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, MutexGuard};

use crate::error::Error;

pub use asset::*;
pub use capture::*;
pub use composite::*;
pub use log_bridge::*;
pub use pack::*;
pub use renderer::*;
pub use runtime::*;
pub use unity::*;
pub use xr::*;

/// What a call did. Every function returns one; anything but `S4D_STATUS_OK` leaves a message
/// for `s4d_last_error` on the calling thread.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum S4dStatus {
    Ok = 0,
    /// A required pointer was NULL.
    NullPointer = 1,
    /// An argument is out of range: a size, an enum value, a `struct_size`, a count.
    InvalidArgument = 2,
    /// A file could not be read.
    Io = 3,
    /// The bytes are not a valid `.s4d` asset (or a source that could not be imported).
    InvalidAsset = 4,
    /// Vulkan failed or is missing what splat4d needs.
    Gpu = 5,
    /// A bug in splat4d: it panicked. The object involved should be destroyed.
    Internal = 6,
    /// Nothing to return yet (e.g. a read-back before any frame was rendered).
    NotReady = 7,
    /// The OpenXR runtime is missing, or failed or refused what was asked.
    Xr = 8,
    /// Memory for what was asked could not be had (the call changed nothing).
    OutOfMemory = 9,
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// A failed call: its status and what to tell the host.
pub(crate) struct Failure(S4dStatus, String);

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let status = match &e {
            Error::Io { .. } => S4dStatus::Io,
            Error::Asset(_) | Error::Import { .. } => S4dStatus::InvalidAsset,
            Error::Gpu(_) => S4dStatus::Gpu,
            Error::Xr(_) => S4dStatus::Xr,
            Error::InvalidArgument(_) => S4dStatus::InvalidArgument,
            Error::OutOfMemory(_) => S4dStatus::OutOfMemory,
        };
        Failure(status, e.to_string())
    }
}

pub(crate) fn invalid(message: impl Into<String>) -> Failure {
    Failure(S4dStatus::InvalidArgument, message.into())
}

pub(crate) fn null(name: &str) -> Failure {
    Failure(S4dStatus::NullPointer, format!("{name} is NULL"))
}

pub(crate) fn not_ready(message: impl Into<String>) -> Failure {
    Failure(S4dStatus::NotReady, message.into())
}

/// Runs one entry point: catches panics, turns failures into a status and the thread's message.
pub(crate) fn call(function: &str, body: impl FnOnce() -> Result<(), Failure>) -> S4dStatus {
    let failure = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return S4dStatus::Ok,
        Ok(Err(f)) => f,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Failure(S4dStatus::Internal, format!("internal error (please report): {what}"))
        }
    };
    let message = format!("{function}: {}", failure.1);
    log::debug!("{message}");
    LAST_ERROR.with(|e| *e.borrow_mut() = CString::new(message.replace('\0', " ")).unwrap_or_default());
    failure.0
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic caught at the boundary may have poisoned a lock; the data is still consistent
    // enough to destroy, and every later call checks its own arguments.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// `p` as a reference, or a NULL-pointer failure naming the argument.
///
/// # Safety
/// A non-NULL `p` points to a valid `T` for `'a`.
pub(crate) unsafe fn arg<'a, T>(p: *const T, name: &str) -> Result<&'a T, Failure> {
    unsafe { p.as_ref() }.ok_or_else(|| null(name))
}

/// Writes `value` to the out-parameter `out`, or fails when it is NULL.
///
/// # Safety
/// A non-NULL `out` is valid for a write of `T`.
pub(crate) unsafe fn put<T>(out: *mut T, name: &str, value: T) -> Result<(), Failure> {
    if out.is_null() {
        return Err(null(name));
    }
    unsafe { out.write(value) };
    Ok(())
}

/// A versioned struct from the host: its leading `struct_size` must cover at least this
/// version's fields (newer, larger structs are accepted; their extra fields are not read).
///
/// # Safety
/// A non-NULL `p` points to at least `struct_size` readable bytes, `struct_size` first.
pub(crate) unsafe fn versioned<'a, T>(p: *const T, name: &str) -> Result<&'a T, Failure> {
    if p.is_null() {
        return Err(null(name));
    }
    // Only the size is read until it says the whole struct is there.
    let size = unsafe { (p as *const u32).read_unaligned() } as usize;
    let want = std::mem::size_of::<T>();
    if !(want..=65536).contains(&size) {
        return Err(invalid(format!("{name}->struct_size is {size}; this library needs at least {want}")));
    }
    Ok(unsafe { &*p })
}

/// A versioned struct from a host that may be older than this library: its `struct_size`
/// must cover the first version's `oldest` bytes; fields past it are zero (each new field's
/// zero is the old behaviour).
///
/// # Safety
/// A non-NULL `p` points to at least `struct_size` readable bytes, `struct_size` first.
pub(crate) unsafe fn versioned_since<T: bytemuck::Zeroable>(
    p: *const T,
    name: &str,
    oldest: usize,
) -> Result<T, Failure> {
    let size = unsafe { struct_size(p, name, oldest) }?;
    let mut value = T::zeroed();
    let n = size.min(std::mem::size_of::<T>());
    unsafe { std::ptr::copy_nonoverlapping(p as *const u8, &mut value as *mut T as *mut u8, n) };
    Ok(value)
}

/// Writes the part of `value` a host's struct has room for: `out->struct_size` bytes, at
/// least the first version's `oldest`. The size the host set stays.
///
/// # Safety
/// A non-NULL `out` points to at least `struct_size` writable bytes, `struct_size` first.
pub(crate) unsafe fn put_versioned<T: bytemuck::Pod>(
    out: *mut T,
    name: &str,
    oldest: usize,
    value: T,
) -> Result<(), Failure> {
    let size = unsafe { struct_size(out, name, oldest) }?;
    let bytes = bytemuck::bytes_of(&value);
    let n = size.min(bytes.len());
    // Everything but the host's own `struct_size` word.
    unsafe { std::ptr::copy_nonoverlapping(bytes[4..n].as_ptr(), (out as *mut u8).add(4), n - 4) };
    Ok(())
}

/// The `struct_size` a host set, checked to be within `oldest..=65536`.
///
/// # Safety
/// A non-NULL `p` points to at least 4 readable bytes.
pub(crate) unsafe fn struct_size<T>(p: *const T, name: &str, oldest: usize) -> Result<usize, Failure> {
    if p.is_null() {
        return Err(null(name));
    }
    let size = unsafe { (p as *const u32).read_unaligned() } as usize;
    if !(oldest.max(4)..=65536).contains(&size) {
        return Err(invalid(format!("{name}->struct_size is {size}; this library needs at least {oldest}")));
    }
    Ok(size)
}

/// The library's version (the crate's semantic version).
///
/// # Safety
/// Each pointer is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn s4d_get_version(major: *mut u32, minor: *mut u32, patch: *mut u32) -> S4dStatus {
    call("s4d_get_version", || unsafe {
        let v = |s: &str| s.parse::<u32>().unwrap_or(0);
        put(major, "major", v(env!("CARGO_PKG_VERSION_MAJOR")))?;
        put(minor, "minor", v(env!("CARGO_PKG_VERSION_MINOR")))?;
        put(patch, "patch", v(env!("CARGO_PKG_VERSION_PATCH")))
    })
}

/// The message of the most recent failed call on this thread ("" if none failed yet), as
/// UTF-8. The pointer stays valid until the next failing call on this thread.
///
/// # Safety
/// `message` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn s4d_last_error(message: *mut *const c_char) -> S4dStatus {
    if message.is_null() {
        return S4dStatus::NullPointer;
    }
    // Not through `call`: reading the message must not replace it.
    LAST_ERROR.with(|e| unsafe { message.write(e.borrow().as_ptr()) });
    S4dStatus::Ok
}
