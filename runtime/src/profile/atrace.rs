//! ATrace (Android's system tracer, shown by Perfetto and Android GPU Inspector): CPU sections
//! around the frame's phases and the GPU stage times as counters. Needs API level 29
//! (`ATrace_setCounter`); Quest and current Android OpenXR devices are above it.

use std::ffi::{c_char, CStr};

use super::StageTimes;

#[link(name = "android")]
extern "C" {
    fn ATrace_isEnabled() -> bool;
    fn ATrace_beginSection(name: *const c_char);
    fn ATrace_endSection();
    fn ATrace_setCounter(name: *const c_char, value: i64);
}

/// A section on the calling thread, ended when dropped (sections nest per thread).
pub struct Section {
    began: bool,
}

impl Section {
    pub fn begin(name: &'static CStr) -> Section {
        // Checked once per section so tracing off costs one call.
        let began = unsafe { ATrace_isEnabled() };
        if began {
            unsafe { ATrace_beginSection(name.as_ptr()) };
        }
        Section { began }
    }
}

impl Drop for Section {
    fn drop(&mut self) {
        if self.began {
            unsafe { ATrace_endSection() };
        }
    }
}

pub fn gpu_times(t: &StageTimes) {
    if !unsafe { ATrace_isEnabled() } {
        return;
    }
    let us = |ms: f64| (ms * 1000.0).round() as i64;
    let counters: [(&CStr, f64); 5] = [
        (c"splat4d gpu slice us", t.slice),
        (c"splat4d gpu sort us", t.sort),
        (c"splat4d gpu raster us", t.raster),
        (c"splat4d gpu resolve us", t.resolve),
        (c"splat4d gpu frame us", t.total()),
    ];
    for (name, ms) in counters {
        unsafe { ATrace_setCounter(name.as_ptr(), us(ms)) };
    }
}
