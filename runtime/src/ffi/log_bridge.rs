//! The runtime's `log` records, forwarded to a host's callback.

use std::ffi::{c_char, c_void, CString};
use std::sync::{OnceLock, RwLock};

use super::{call, invalid, S4dStatus};

/// Log levels, as in the `log` crate.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum S4dLogLevel {
    Off = 0,
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
    Trace = 5,
}

/// Receives one log record: its `S4dLogLevel` and a NUL-terminated UTF-8 message that lives
/// only for the call. Called on the thread that logs; it must not call
/// `s4d_set_log_callback`.
pub type S4dLogCallback = Option<unsafe extern "C" fn(user: *mut c_void, level: u32, message: *const c_char)>;

struct Sink {
    callback: unsafe extern "C" fn(*mut c_void, u32, *const c_char),
    /// The host's pointer, handed back untouched.
    user: usize,
}

static SINK: RwLock<Option<Sink>> = RwLock::new(None);

struct Bridge;

impl log::Log for Bridge {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }

    fn log(&self, record: &log::Record) {
        if let Ok(sink) = SINK.read() {
            if let Some(s) = sink.as_ref() {
                let text = format!("{}", record.args()).replace('\0', " ");
                if let Ok(text) = CString::new(text) {
                    unsafe { (s.callback)(s.user as *mut c_void, record.level() as u32, text.as_ptr()) };
                }
            }
        }
    }

    fn flush(&self) {}
}

static BRIDGE: Bridge = Bridge;
static INSTALLED: OnceLock<bool> = OnceLock::new();

/// Sends the runtime's log records up to `max_level` (an `S4dLogLevel`) to `callback`; a NULL
/// callback or `S4D_LOG_LEVEL_OFF` stops them. If the process already has a Rust logger (a
/// Rust host), that logger keeps the records and this fails with INVALID_ARGUMENT.
///
/// # Safety
/// `callback`, if not NULL, may be called from any thread with `user` until it is replaced.
#[no_mangle]
pub unsafe extern "C" fn s4d_set_log_callback(
    callback: S4dLogCallback,
    user: *mut c_void,
    max_level: u32,
) -> S4dStatus {
    call("s4d_set_log_callback", || {
        let level = match max_level {
            0 => log::LevelFilter::Off,
            1 => log::LevelFilter::Error,
            2 => log::LevelFilter::Warn,
            3 => log::LevelFilter::Info,
            4 => log::LevelFilter::Debug,
            5 => log::LevelFilter::Trace,
            other => return Err(invalid(format!("max_level {other} is not an S4dLogLevel (0..=5)"))),
        };
        // The first call tries to install the bridge; that fails only if the host has a logger.
        if !*INSTALLED.get_or_init(|| log::set_logger(&BRIDGE).is_ok()) {
            return Err(invalid("the process already has a Rust logger; it receives splat4d's records"));
        }
        let sink = callback.map(|callback| Sink { callback, user: user as usize });
        let off = sink.is_none();
        *SINK.write().unwrap_or_else(|e| e.into_inner()) = sink;
        log::set_max_level(if off { log::LevelFilter::Off } else { level });
        Ok(())
    })
}
