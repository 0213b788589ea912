//! Packing: a trainer's or tool's file in, an `.s4d` file out, as `splat4d pack` does, for hosts
//! that import assets themselves (the Unity package's editor importer). A build without the
//! `pack` feature (a headset player) exports `s4d_pack` too and refuses every call.

use std::ffi::{c_char, c_void, CStr};
use std::path::{Path, PathBuf};

use super::{arg, call, invalid, versioned, Failure, S4dStatus};

/// Told how a pack goes: the stage (`"import"`, `"levels"`, `"order"`, `"segments"`,
/// `"write"`; valid during the call only) and how far it is (`done` of `total` steps; `total` 0
/// when unknown).
pub type S4dPackProgress = Option<unsafe extern "C" fn(user: *mut c_void, stage: *const c_char, done: u64, total: u64)>;

/// How `s4d_pack` imports and packs. Zero in every field but `struct_size` packs as `splat4d
/// pack` does by default.
#[repr(C)]
pub struct S4dPackDesc {
    /// Set by the caller to `sizeof(S4dPackDesc)`.
    pub struct_size: u32,
    /// Frames per temporal segment; 0: 20.
    pub segment_frames: u32,
    /// Levels of detail: the source's own and `levels - 1` coarser ones merged from it; 0: 1.
    pub levels: u32,
    /// 1: the model was trained with anti-aliasing (Mip-Splatting's 2D filter) whatever its file
    /// says; 0: as its file says.
    pub antialiased: u32,
    /// Frames per second of a per-frame sequence, and the segments' clock; 0: the source's, else 30.
    pub frame_rate: f32,
    /// The asset's time range where the source has none (a 4DGS PLY without a `time_range`
    /// comment, a sequence); both 0: the source's.
    pub time_start: f32,
    pub time_end: f32,
    pub reserved: u32,
    /// Called on the calling thread about every 100 ms while the pack runs (NULL: not called).
    pub progress: S4dPackProgress,
    pub user: *mut c_void,
}

/// Imports `input` (a PLY, `.splatv`, `.splat`, `.ksplat`, SPZ, SOG, glTF, a folder or glob of
/// per-frame files: whatever `splat4d pack` reads) and packs it into the `.s4d` file `output`.
/// The output is written beside `output`, read back with every checksum checked, and only then
/// renamed over it: a pack that fails leaves no file, and an older `output` as it was. `desc`
/// may be NULL (the defaults). The call blocks until the pack is done; the packing itself runs
/// on threads of splat4d's, and `desc->progress` is called on the calling thread. A library built
/// without the packer (cargo feature `pack`) fails with INVALID_ARGUMENT.
///
/// # Safety
/// `input` and `output` are NUL-terminated UTF-8 paths; `desc` is NULL or a valid
/// `S4dPackDesc`.
#[no_mangle]
pub unsafe extern "C" fn s4d_pack(input: *const c_char, output: *const c_char, desc: *const S4dPackDesc) -> S4dStatus {
    call("s4d_pack", || unsafe {
        let input = path(input, "input")?;
        let output = path(output, "output")?;
        let desc = if desc.is_null() { None } else { Some(versioned(desc, "desc")?) };
        packer::pack_file(input, output, desc)
    })
}

unsafe fn path(p: *const c_char, name: &str) -> Result<PathBuf, Failure> {
    let s = unsafe { CStr::from_ptr(arg(p, name)?) }.to_str().map_err(|_| invalid(format!("{name} is not UTF-8")))?;
    if s.is_empty() {
        return Err(invalid(format!("{name} is empty")));
    }
    Ok(Path::new(s).to_path_buf())
}

#[cfg(not(feature = "pack"))]
mod packer {
    use super::{invalid, Failure, S4dPackDesc};

    pub fn pack_file(_: std::path::PathBuf, _: std::path::PathBuf, _: Option<&S4dPackDesc>) -> Result<(), Failure> {
        Err(invalid("this build of splat4d has no packer (it was built without the `pack` feature)"))
    }
}

#[cfg(feature = "pack")]
mod packer {
    use std::ffi::CString;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{mpsc, Mutex};
    use std::time::Duration;

    use super::super::lock;
    use super::{invalid, Failure, S4dPackDesc};
    use crate::import::{import_paths, ImportOptions};
    use crate::pack::{pack_to, write_asset, PackOptions, Progress};
    use crate::splats::Precision;

    pub fn pack_file(input: PathBuf, output: PathBuf, desc: Option<&S4dPackDesc>) -> Result<(), Failure> {
        let (import, options) = match desc {
            Some(d) => options(d)?,
            None => (ImportOptions::default(), PackOptions::default()),
        };
        let (progress, user) = desc.map_or((None, std::ptr::null_mut()), |d| (d.progress, d.user));
        let meter = Meter::default();
        let work = || -> crate::Result<()> {
            meter.stage("import", 0);
            let splats = import_paths(std::slice::from_ref(&input), &import)?;
            write_asset(&output, |file| pack_to(&splats, &options, &meter, file, &output))?;
            Ok(())
        };
        run_reporting(work, || {
            if let Some(f) = progress {
                let (stage, total) = *lock(&meter.stage);
                let stage = CString::new(stage).unwrap_or_default();
                let done = meter.done.load(Ordering::Relaxed);
                // SAFETY: the host gave this callback and its user pointer for this call.
                unsafe { f(user, stage.as_ptr(), if total == 0 { 0 } else { done.min(total) }, total) };
            }
        })
    }

    fn options(d: &S4dPackDesc) -> Result<(ImportOptions, PackOptions), Failure> {
        if d.antialiased > 1 {
            return Err(invalid(format!("desc->antialiased is {}: 0 or 1", d.antialiased)));
        }
        if d.reserved != 0 {
            return Err(invalid("desc->reserved must be 0"));
        }
        let time_range = match [d.time_start, d.time_end] {
            [a, b] if a == 0.0 && b == 0.0 => None,
            range => Some(range),
        };
        let import = ImportOptions {
            time_range,
            frame_rate: (d.frame_rate != 0.0).then_some(d.frame_rate),
            // Held as the pack stores them (the CLI's default).
            precision: Precision::Compact,
            antialiased: d.antialiased == 1,
        };
        let defaults = PackOptions::default();
        let pack = PackOptions {
            segment_frames: if d.segment_frames == 0 { defaults.segment_frames } else { d.segment_frames },
            levels: if d.levels == 0 { defaults.levels } else { d.levels },
            ..defaults
        };
        Ok((import, pack))
    }

    /// Runs `work` on a thread of its own and `report` on this one every 100 ms until it ends, so
    /// that a host's progress callback is called where the host called (Unity's editor draws its
    /// progress bar only from the main thread). A panic in `work` resumes here, inside `call`.
    fn run_reporting(work: impl FnOnce() -> crate::Result<()> + Send, report: impl Fn()) -> Result<(), Failure> {
        let (done, finished) = mpsc::channel();
        std::thread::scope(|s| {
            let worker = std::thread::Builder::new()
                .name("s4d-pack".into())
                .spawn_scoped(s, move || {
                    let _ = done.send(work());
                })
                .map_err(|e| invalid(format!("cannot start the packing thread: {e}")))?;
            loop {
                match finished.recv_timeout(Duration::from_millis(100)) {
                    Ok(result) => {
                        report();
                        return result.map_err(Failure::from);
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => report(),
                    Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
                        Err(panic) => std::panic::resume_unwind(panic),
                        Ok(()) => unreachable!("the packing thread ended without a result"),
                    },
                }
            }
        })
    }

    /// The pack's progress as the packing threads report it, read by the calling thread.
    struct Meter {
        stage: Mutex<(&'static str, u64)>,
        done: AtomicU64,
    }

    impl Default for Meter {
        fn default() -> Self {
            Meter { stage: Mutex::new(("import", 0)), done: AtomicU64::new(0) }
        }
    }

    impl Progress for Meter {
        fn stage(&self, name: &'static str, total: u64) {
            *lock(&self.stage) = (name, total);
            self.done.store(0, Ordering::Relaxed);
        }

        fn advance(&self, n: u64) {
            self.done.fetch_add(n, Ordering::Relaxed);
        }
    }
}
