//! splat4d: an embeddable runtime that plays precompiled 4D Gaussian-splat assets.
//!
//! Data flows one way (DESIGN §1): importers (`import`) normalise trainer outputs into runtime
//! primitives (`Splats`), the packer (`pack`) writes a `.s4d` asset, `asset` maps and validates
//! it, and renderers draw it at a time t — `reference` on the CPU, as the oracle.

pub mod asset;
pub mod camera;
pub mod depth;
pub mod error;
pub mod ffi;
pub mod fs;
pub mod gpu;
pub mod lod;
pub mod math;
pub mod playback;
pub mod primitive;
pub mod profile;
pub mod reference;
pub mod renderer;
pub mod sh;
pub mod unity;
pub mod xr;

#[cfg(feature = "pack")]
pub mod demo;
#[cfg(feature = "pack")]
pub mod import;
#[cfg(feature = "pack")]
pub mod pack;
#[cfg(feature = "pack")]
pub mod splats;

pub use ash;
pub use asset::{Asset, Verify};
pub use camera::Camera;
pub use error::{Error, Result};
pub use glam;
pub use openxr;
pub use primitive::Primitive;
pub use raw_window_handle;
#[cfg(feature = "pack")]
pub use splats::Splats;
