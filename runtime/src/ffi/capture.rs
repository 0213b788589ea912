//! Captures: a renderer's frame stats between a start and a stop, read frame by frame or
//! exported as a Chrome trace or CSV.

use std::ffi::{c_char, CStr};

use super::renderer::{put_stats, S4dFrameStats, S4dRenderer};
use super::{arg, call, invalid, lock, not_ready, put, Failure, S4dStatus};
use crate::profile::{Capture, MAX_CAPTURE_FRAMES};

/// A finished capture. Immutable: every function on it may be called from any thread at once.
pub struct S4dCapture {
    capture: Capture,
}

/// Export formats of a capture.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum S4dCaptureFormat {
    /// Chrome trace-event JSON: opens in Perfetto UI (ui.perfetto.dev) and chrome://tracing.
    ChromeTrace = 0,
    /// One line per frame, with a header naming the columns.
    Csv = 1,
}

fn export(capture: &Capture, format: u32) -> Result<String, Failure> {
    match format {
        0 => Ok(capture.chrome_trace()),
        1 => Ok(capture.csv()),
        f => Err(invalid(format!("format {f} is not an S4dCaptureFormat"))),
    }
}

/// Starts recording the stats of every frame submitted from now on into a ring of `capacity`
/// frames (1..=1048576; the oldest are dropped when it is full), replacing a capture in
/// progress. Costs nothing per frame beyond the stats the renderer keeps anyway.
///
/// # Safety
/// `renderer` is live.
#[no_mangle]
pub unsafe extern "C" fn s4d_renderer_capture_start(renderer: *const S4dRenderer, capacity: u32) -> S4dStatus {
    call("s4d_renderer_capture_start", || unsafe {
        let r = arg(renderer, "renderer")?;
        if !(1..=MAX_CAPTURE_FRAMES).contains(&capacity) {
            return Err(invalid(format!("capacity {capacity} is outside 1..={MAX_CAPTURE_FRAMES}")));
        }
        lock(&r.renderer).start_capture(&lock(&r.context), capacity);
        Ok(())
    })
}

/// Ends the capture, waiting for the frames the renderer submitted, and returns it in `*out`
/// (destroy it with `s4d_capture_destroy`). NOT_READY when no capture was started.
///
/// # Safety
/// `renderer` is live; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn s4d_renderer_capture_stop(
    renderer: *const S4dRenderer,
    out: *mut *mut S4dCapture,
) -> S4dStatus {
    call("s4d_renderer_capture_stop", || unsafe {
        let r = arg(renderer, "renderer")?;
        arg(out as *const *mut S4dCapture, "out")?;
        let capture = lock(&r.renderer).stop_capture(&lock(&r.context))?;
        let capture = capture.ok_or_else(|| not_ready("no capture was started"))?;
        put(out, "out", Box::into_raw(Box::new(S4dCapture { capture })))
    })
}

/// The number of frames in the capture, and how many were dropped because the ring was full.
///
/// # Safety
/// `capture` is live; `frames` is valid for a write; `dropped` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn s4d_capture_get_frame_count(
    capture: *const S4dCapture,
    frames: *mut u32,
    dropped: *mut u64,
) -> S4dStatus {
    call("s4d_capture_get_frame_count", || unsafe {
        let c = &arg(capture, "capture")?.capture;
        put(frames, "frames", c.len() as u32)?;
        if !dropped.is_null() {
            put(dropped, "dropped", c.dropped())?;
        }
        Ok(())
    })
}

/// Frame `index` of the capture, oldest first. The caller sets `stats->struct_size`.
///
/// # Safety
/// `capture` is live; `stats` points to a writable `S4dFrameStats` of `struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn s4d_capture_get_frame(
    capture: *const S4dCapture,
    index: u32,
    stats: *mut S4dFrameStats,
) -> S4dStatus {
    call("s4d_capture_get_frame", || unsafe {
        let c = &arg(capture, "capture")?.capture;
        let frame = c
            .get(index as usize)
            .ok_or_else(|| invalid(format!("frame {index} of a capture of {} frames", c.len())))?;
        put_stats(stats, "stats", frame)
    })
}

/// The capture as text in `format` (an `S4dCaptureFormat`). `*length` gets the text's length
/// in bytes, without the terminating NUL. With `buffer` NULL only the length is returned;
/// else the text and a NUL are written when `capacity` is at least `*length + 1`, and the call
/// fails with INVALID_ARGUMENT (writing nothing to `buffer`) when it is not.
///
/// # Safety
/// `capture` is live; `buffer` is NULL or valid for `capacity` bytes; `length` is valid for a
/// write.
#[no_mangle]
pub unsafe extern "C" fn s4d_capture_export(
    capture: *const S4dCapture,
    format: u32,
    buffer: *mut c_char,
    capacity: usize,
    length: *mut usize,
) -> S4dStatus {
    call("s4d_capture_export", || unsafe {
        let c = &arg(capture, "capture")?.capture;
        arg(length as *const usize, "length")?;
        let text = export(c, format)?;
        put(length, "length", text.len())?;
        if buffer.is_null() {
            return Ok(());
        }
        if capacity <= text.len() {
            return Err(invalid(format!("capacity is {capacity}; the text needs {} with its NUL", text.len() + 1)));
        }
        std::ptr::copy_nonoverlapping(text.as_ptr(), buffer as *mut u8, text.len());
        buffer.add(text.len()).write(0);
        Ok(())
    })
}

/// Writes the capture in `format` (an `S4dCaptureFormat`) to the file at `path` (UTF-8),
/// replacing it.
///
/// # Safety
/// `capture` is live; `path` is a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn s4d_capture_save(capture: *const S4dCapture, format: u32, path: *const c_char) -> S4dStatus {
    call("s4d_capture_save", || unsafe {
        let c = &arg(capture, "capture")?.capture;
        arg(path, "path")?;
        let path = CStr::from_ptr(path).to_str().map_err(|_| invalid("path is not UTF-8"))?;
        let text = export(c, format)?;
        crate::fs::Output::write_all(std::path::Path::new(path), text.as_bytes())?;
        Ok(())
    })
}

/// Destroys a capture (NULL is fine).
///
/// # Safety
/// `capture` is NULL or from `s4d_renderer_capture_stop`, and not used again.
#[no_mangle]
pub unsafe extern "C" fn s4d_capture_destroy(capture: *mut S4dCapture) -> S4dStatus {
    call("s4d_capture_destroy", || {
        if !capture.is_null() {
            drop(unsafe { Box::from_raw(capture) });
        }
        Ok(())
    })
}
