//! The Vulkan backend (DESIGN §5–6): a device context, buffers through vk-mem, and the GPU
//! passes. It knows nothing of assets or scenes; the frame logic above it does.

mod adapter;
mod context;
mod present;
pub mod sort;

pub(crate) use context::Creator;
pub(crate) use context::QueueRef;
pub use context::{Buffer, Context, ContextOptions, HostVulkan, Image, MemoryKind, UploadQueue};
pub use present::{Presented, Presenter};

/// SPIR-V of every shader in `shaders/`, compiled by `build.rs`.
pub(crate) mod spirv {
    include!(concat!(env!("OUT_DIR"), "/shaders.rs"));
}

use crate::error::Error;
use ash::vk;

/// Maps a failed Vulkan call to an error naming the call.
pub(crate) fn vk_err(call: &'static str) -> impl Fn(vk::Result) -> Error {
    move |result| Error::Gpu(format!("{call} failed: {result}"))
}
