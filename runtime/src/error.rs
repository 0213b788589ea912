//! One error type for the whole runtime. Messages say what is wrong and where, because they end up
//! in a host's log or a CLI user's terminal with no other context. Text that came from a file
//! (names, header lines) is shown with its control characters escaped ([`printable`]): a
//! hostile file must not be able to drive the terminal that prints its error.

use std::borrow::Cow;
use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", printable(&path.display().to_string()))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The bytes of an `.s4d` asset are not a valid asset.
    #[error("invalid .s4d asset: {}", printable(.0))]
    Asset(String),
    /// A source file (PLY, .splatv, .splat, …) could not be imported.
    #[error("cannot import {}: {}", printable(source_name), printable(message))]
    Import { source_name: String, message: String },
    /// The GPU (Vulkan) could not do what was asked.
    #[error("gpu: {0}")]
    Gpu(String),
    /// The OpenXR runtime is missing, or failed or refused what was asked.
    #[error("openxr: {0}")]
    Xr(String),
    /// An argument is out of its documented range.
    #[error("invalid argument: {}", printable(.0))]
    InvalidArgument(String),
    /// Memory for something the caller asked for could not be had.
    #[error("out of memory: {0}")]
    OutOfMemory(String),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    #[cfg(feature = "pack")]
    pub(crate) fn import(source_name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Import { source_name: source_name.into(), message: message.into() }
    }
}

/// `text` with control characters (ESC, CR, NUL, …) written as Rust escapes, so that what a file
/// says can be shown in a message as it is, without acting on the terminal showing it.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.into() }).collect())
}

/// A vector of `n` default values, or an error naming `what` where the memory cannot be had
/// (instead of the process aborting).
pub fn try_vec<T: Clone + Default>(n: usize, what: &str) -> Result<Vec<T>> {
    let mut v = try_with_capacity(n, what)?;
    v.resize(n, T::default());
    Ok(v)
}

/// An empty vector with room for `n` values, or an error naming `what`.
pub fn try_with_capacity<T>(n: usize, what: &str) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| Error::OutOfMemory(format!("{what}: {n} × {} bytes", std::mem::size_of::<T>())))?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(super::printable("frame_01.ply"), "frame_01.ply");
        assert_eq!(super::printable("a\x1b[2Jb\r\u{7}é"), "a\\u{1b}[2Jb\\r\\u{7}é");
        let e = super::Error::import("x\x1b.ply", "line '\x1b]0;owned\x07'");
        assert!(!e.to_string().chars().any(char::is_control), "{e}");
    }

    #[test]
    fn memory_that_cannot_be_had_is_an_error() {
        // 64 TiB: more than any machine this runs on can map.
        let e = super::try_vec::<u8>(1 << 46, "a test buffer").unwrap_err();
        assert!(matches!(e, super::Error::OutOfMemory(_)) && e.to_string().contains("a test buffer"), "{e}");
        assert!(super::try_vec::<u64>(usize::MAX / 4, "an overflowing buffer").is_err());
        assert_eq!(super::try_vec::<u16>(3, "a small one").unwrap(), [0, 0, 0]);
    }
}
