//! One error type for the whole runtime. Messages say what is wrong and where, because they end up
//! in a host's log or a CLI user's terminal with no other context.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The bytes of an `.s4d` asset are not a valid asset.
    #[error("invalid .s4d asset: {0}")]
    Asset(String),
    /// A source file (PLY, .splatv, .splat, …) could not be imported.
    #[error("cannot import {source_name}: {message}")]
    Import { source_name: String, message: String },
    /// The GPU (Vulkan) could not do what was asked.
    #[error("gpu: {0}")]
    Gpu(String),
    /// The OpenXR runtime is missing, or failed or refused what was asked.
    #[error("openxr: {0}")]
    Xr(String),
    /// An argument is out of its documented range.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
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
