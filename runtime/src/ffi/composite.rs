//! Compositing into a host's frame through the C ABI (`renderer/composite.rs`): the host
//! image's colour kept, a host depth image tested and written, and the depth convention read
//! from a projection matrix. Converts and forwards.

use ash::vk;
use ash::vk::Handle;
use glam::Mat4;

use super::{invalid, versioned_since, Failure, S4dStatus};
use crate::depth::{ClipDepth, DepthConvention};
use crate::renderer::{HostColor, HostDepth, HostTarget};

/// What `s4d_renderer_record` does with the host image's contents.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum S4dColorLoad {
    /// Discarded: every pixel is written, the splats over the renderer's background (and
    /// alpha their coverage: over a black background the colour is premultiplied by it).
    Clear = 0,
    /// Kept, the splats blended over them ("over", premultiplied; in linear light for an
    /// `_SRGB` image); alpha becomes the splats' coverage over the host's.
    Keep = 1,
}

/// `S4dHostDepth::flags`: the image holds the host's depth, and splats behind it are hidden
/// (each splat by its centre's depth); else its depth is cleared to the far value first.
pub const S4D_DEPTH_TEST: u32 = 1;
/// `S4dHostDepth::flags`: the splats' depth is written into it where they are nearer: their
/// expected depth where they cover at least half a pixel.
pub const S4D_DEPTH_WRITE: u32 = 2;
/// `S4dHostDepth::flags`: reverse Z (1 at the near plane, 0 at the far one).
pub const S4D_DEPTH_REVERSED: u32 = 4;

/// The clip-space depth range of a projection matrix.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum S4dClipDepth {
    /// OpenGL: z_ndc in [-1, 1].
    MinusOneToOne = 0,
    /// Vulkan and Direct3D: z_ndc in [0, 1].
    ZeroToOne = 1,
}

/// A host's depth image for `s4d_renderer_record`, tested against and written as `flags` say.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Zeroable)]
pub struct S4dHostDepth {
    /// `sizeof(S4dHostDepth)`.
    pub struct_size: u32,
    /// `VkFormat`: D16_UNORM, X8_D24_UNORM_PACK32, D24_UNORM_S8_UINT, D32_SFLOAT or
    /// D32_SFLOAT_S8_UINT (stencil is kept as it was).
    pub format: u32,
    /// `VkImage`: 2D, DEPTH_STENCIL_ATTACHMENT usage.
    pub image: u64,
    /// What the image is, checked against the renderer: its size, and at least a layer per
    /// view (view i in layer i).
    pub width: u32,
    pub height: u32,
    pub layer_count: u32,
    /// The `VkImageLayout` before: UNDEFINED (only when not tested and without stencil),
    /// DEPTH_STENCIL_ATTACHMENT_OPTIMAL, DEPTH_STENCIL_READ_ONLY_OPTIMAL,
    /// SHADER_READ_ONLY_OPTIMAL, TRANSFER_SRC_OPTIMAL, TRANSFER_DST_OPTIMAL or GENERAL.
    pub initial_layout: u32,
    /// The `VkImageLayout` after: DEPTH_STENCIL_ATTACHMENT_OPTIMAL,
    /// DEPTH_STENCIL_READ_ONLY_OPTIMAL, SHADER_READ_ONLY_OPTIMAL, TRANSFER_SRC_OPTIMAL or
    /// GENERAL.
    pub final_layout: u32,
    /// `S4D_DEPTH_TEST`, `S4D_DEPTH_WRITE` (at least one), `S4D_DEPTH_REVERSED`.
    pub flags: u32,
    /// The host projection's planes, in the asset's units (as `S4dView` positions): near > 0,
    /// far > near or +infinity. `s4d_depth_from_projection` sets them from a matrix.
    pub near_plane: f32,
    pub far_plane: f32,
}

/// Sets `depth`'s `near_plane`, `far_plane` and `S4D_DEPTH_REVERSED` from a perspective
/// `projection` (16 floats, column-major, looking down −z, as glm and OpenXR make them) for
/// `clip` (an `S4dClipDepth`), leaving its other fields. INVALID_ARGUMENT for a matrix that
/// is not such a projection.
///
/// # Safety
/// `projection` points to 16 floats; `depth` to a writable `S4dHostDepth` (its fields up to
/// `far_plane` at least).
#[no_mangle]
pub unsafe extern "C" fn s4d_depth_from_projection(
    projection: *const f32,
    clip: u32,
    depth: *mut S4dHostDepth,
) -> S4dStatus {
    super::call("s4d_depth_from_projection", || unsafe {
        super::arg(projection, "projection")?;
        super::arg(depth as *const S4dHostDepth, "depth")?;
        let m = Mat4::from_cols_slice(std::slice::from_raw_parts(projection, 16));
        let clip = match clip {
            0 => ClipDepth::MinusOneToOne,
            1 => ClipDepth::ZeroToOne,
            c => return Err(invalid(format!("clip {c}: an S4dClipDepth (0 or 1)"))),
        };
        let c = DepthConvention::from_projection(m, clip)
            .ok_or_else(|| invalid("projection is not a perspective projection looking down -z"))?;
        let d = &mut *depth;
        d.near_plane = c.near;
        d.far_plane = c.far;
        d.flags = if c.reversed { d.flags | S4D_DEPTH_REVERSED } else { d.flags & !S4D_DEPTH_REVERSED };
        Ok(())
    })
}

/// The first `S4dHostDepth`'s size.
const HOST_DEPTH_V1: usize = std::mem::size_of::<S4dHostDepth>();

/// `image`'s v2 fields onto `target`.
///
/// # Safety
/// `depth`, where not NULL, points to a valid `S4dHostDepth`.
pub(super) unsafe fn composite_target(
    mut target: HostTarget,
    (load, initial_layout): (u32, u32),
    depth: *const S4dHostDepth,
) -> Result<HostTarget, Failure> {
    target.color = match load {
        0 => HostColor::Clear,
        1 => HostColor::Keep { layout: vk::ImageLayout::from_raw(initial_layout as i32) },
        l => return Err(invalid(format!("image->color_load {l}: an S4dColorLoad (0 or 1)"))),
    };
    if depth.is_null() {
        return Ok(target);
    }
    let d = unsafe { versioned_since(depth, "image->depth", HOST_DEPTH_V1) }?;
    if d.flags & !(S4D_DEPTH_TEST | S4D_DEPTH_WRITE | S4D_DEPTH_REVERSED) != 0 {
        return Err(invalid(format!("image->depth->flags {:#x}: unknown bits", d.flags)));
    }
    if d.image == 0 {
        return Err(invalid("image->depth->image is VK_NULL_HANDLE"));
    }
    target.depth = Some(HostDepth {
        image: vk::Image::from_raw(d.image),
        format: vk::Format::from_raw(d.format as i32),
        width: d.width,
        height: d.height,
        layers: d.layer_count,
        initial_layout: vk::ImageLayout::from_raw(d.initial_layout as i32),
        final_layout: vk::ImageLayout::from_raw(d.final_layout as i32),
        convention: DepthConvention {
            near: d.near_plane,
            far: d.far_plane,
            reversed: d.flags & S4D_DEPTH_REVERSED != 0,
        },
        test: d.flags & S4D_DEPTH_TEST != 0,
        write: d.flags & S4D_DEPTH_WRITE != 0,
    });
    Ok(target)
}
