//! The splats inside a host's frame: its colour kept under them, its depth hiding them, and
//! their depth and coverage handed back (`reference::composite` is the oracle).
//!
//! - **Colour.** A host's image is cleared to the background (every pixel written, as an
//!   offscreen frame) or kept: the resolve then blends the splats over it with the
//!   premultiplied "over" operator. UNORM targets blend in the display values the splats were
//!   trained in; `_SRGB` ones in linear light, as the hardware blends every layer in them.
//! - **Depth test.** Each splat's quad lies at its centre's view depth in the host's
//!   convention, tested (never written) against the host's depth: a splat is hidden where its
//!   centre is behind the host's surface, as 3DGS composites splats with meshes.
//! - **Depth out.** The splats' expected depth, `Σ αᵢTᵢzᵢ / Σ αᵢTᵢ`, where they cover at least
//!   half the pixel, merged with the host's (nearer wins). It is blended in the same pass as
//!   colour (no second raster of the splats, which the 0.5-coverage median would need, since
//!   the raster goes back to front). On trained surfaces, opaque within a few splats, it is the
//!   surface's depth; where splats cover less than half a pixel the host's depth stays, so
//!   reprojection moves each pixel with whatever dominates it.
//! - **Alpha out.** The target's alpha is the splats' coverage over the host's (`a + (1 − a)·
//!   host.a`); cleared to a black background the colour is premultiplied by it, as an XR
//!   compositor's alpha blending wants.

use ash::vk;

use super::pipelines::{self, DepthAttachment, PassLayouts, Pipelines, SplatDepth};
use crate::depth::DepthConvention;
use crate::error::{Error, Result};
use crate::gpu::Context;

/// What happens to the host image's contents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HostColor {
    /// Discarded: every pixel is written, the splats over the renderer's background.
    #[default]
    Clear,
    /// Kept, the splats blended over them; the image is in `layout` before the frame.
    Keep { layout: vk::ImageLayout },
}

/// A host's depth image, of the target's size and layer count.
#[derive(Clone, Copy, Debug)]
pub struct HostDepth {
    pub image: vk::Image,
    /// One of [`DEPTH_FORMATS`] that the device can attach.
    pub format: vk::Format,
    /// What the host says the image is: checked against the target.
    pub width: u32,
    pub height: u32,
    pub layers: u32,
    /// Its layout before the frame (`UNDEFINED` only where nothing in it is read: not
    /// tested, no stencil) and after.
    pub initial_layout: vk::ImageLayout,
    pub final_layout: vk::ImageLayout,
    /// How its values map to view depth: the host projection's near and far planes, and
    /// whether it is reverse Z.
    pub convention: DepthConvention,
    /// It holds the host's depth, and splats behind it are hidden; else its depth is cleared
    /// to the far value first.
    pub test: bool,
    /// The splats' depth is written into it where they are nearer.
    pub write: bool,
}

pub const DEPTH_FORMATS: [vk::Format; 5] = [
    vk::Format::D16_UNORM,
    vk::Format::X8_D24_UNORM_PACK32,
    vk::Format::D24_UNORM_S8_UINT,
    vk::Format::D32_SFLOAT,
    vk::Format::D32_SFLOAT_S8_UINT,
];

/// Layouts a kept colour image may be in before the frame.
const KEEP_LAYOUTS: [vk::ImageLayout; 6] = [
    vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL,
    vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL,
    vk::ImageLayout::TRANSFER_SRC_OPTIMAL,
    vk::ImageLayout::TRANSFER_DST_OPTIMAL,
    vk::ImageLayout::GENERAL,
    vk::ImageLayout::PRESENT_SRC_KHR,
];

const DEPTH_INITIAL_LAYOUTS: [vk::ImageLayout; 7] = [
    vk::ImageLayout::UNDEFINED,
    vk::ImageLayout::DEPTH_STENCIL_ATTACHMENT_OPTIMAL,
    vk::ImageLayout::DEPTH_STENCIL_READ_ONLY_OPTIMAL,
    vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL,
    vk::ImageLayout::TRANSFER_SRC_OPTIMAL,
    vk::ImageLayout::TRANSFER_DST_OPTIMAL,
    vk::ImageLayout::GENERAL,
];

const DEPTH_FINAL_LAYOUTS: [vk::ImageLayout; 5] = [
    vk::ImageLayout::DEPTH_STENCIL_ATTACHMENT_OPTIMAL,
    vk::ImageLayout::DEPTH_STENCIL_READ_ONLY_OPTIMAL,
    vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL,
    vk::ImageLayout::TRANSFER_SRC_OPTIMAL,
    vk::ImageLayout::GENERAL,
];

fn invalid(message: String) -> Error {
    Error::InvalidArgument(message)
}

pub(super) fn check_color(color: HostColor) -> Result<()> {
    match color {
        HostColor::Keep { layout } if !KEEP_LAYOUTS.contains(&layout) => {
            Err(invalid(format!("kept colour in layout {layout:?}: one of {KEEP_LAYOUTS:?}")))
        }
        _ => Ok(()),
    }
}

/// Checks `depth` against the renderer's `(width, height, views)` and the device.
pub(super) fn check_depth(ctx: &Context, depth: &HostDepth, (width, height, views): (u32, u32, u32)) -> Result<()> {
    if depth.image == vk::Image::null() {
        return Err(invalid("a null depth image".into()));
    }
    if !DEPTH_FORMATS.contains(&depth.format) {
        return Err(invalid(format!("depth format {:?}: one of {DEPTH_FORMATS:?}", depth.format)));
    }
    let features = ctx.format_features(depth.format);
    if !features.contains(vk::FormatFeatureFlags::DEPTH_STENCIL_ATTACHMENT) {
        return Err(Error::Gpu(format!("{} cannot attach depth format {:?}", ctx.device_name(), depth.format)));
    }
    if (depth.width, depth.height) != (width, height) || depth.layers < views {
        return Err(invalid(format!(
            "depth image {}x{} with {} layers for a {width}x{height} target of {views} views",
            depth.width, depth.height, depth.layers
        )));
    }
    if !DEPTH_INITIAL_LAYOUTS.contains(&depth.initial_layout) {
        return Err(invalid(format!(
            "depth initial layout {:?}: one of {DEPTH_INITIAL_LAYOUTS:?}",
            depth.initial_layout
        )));
    }
    if depth.initial_layout == vk::ImageLayout::UNDEFINED && (depth.test || pipelines::has_stencil(depth.format)) {
        return Err(invalid("a depth image that is tested, or has stencil, cannot be UNDEFINED before".into()));
    }
    if !DEPTH_FINAL_LAYOUTS.contains(&depth.final_layout) {
        return Err(invalid(format!("depth final layout {:?}: one of {DEPTH_FINAL_LAYOUTS:?}", depth.final_layout)));
    }
    if !depth.test && !depth.write {
        return Err(invalid("a depth image neither tested nor written".into()));
    }
    depth.convention.validate().map_err(invalid)
}

/// The pipelines of one kind of frame: which attachments and how depth is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    keep: bool,
    /// Format, tested, written, reversed.
    depth: Option<(vk::Format, bool, bool, bool)>,
}

/// Render passes and pipelines for hosts' frames, made on first use and kept: a host draws
/// the same kind of frame every time.
#[derive(Default)]
pub(super) struct Variants {
    passes: Vec<(PassLayouts, vk::RenderPass)>,
    pipelines: Vec<(Key, Drawn)>,
}

/// The pipelines a frame's render passes draw with.
#[derive(Clone, Copy, Debug)]
pub(super) struct Drawn {
    pub splat: vk::Pipeline,
    pub resolve: vk::Pipeline,
    /// Depth out after the colour resolve, where the splats' depth goes out (else null).
    pub depth_resolve: vk::Pipeline,
}

impl Drawn {
    /// Destroys those that are not the renderer's own.
    fn destroy(self, ctx: &Context, base: &Pipelines) {
        for (p, own) in
            [(self.splat, base.splat), (self.resolve, base.resolve), (self.depth_resolve, vk::Pipeline::null())]
        {
            if p != own {
                unsafe { ctx.device.destroy_pipeline(p, None) };
            }
        }
    }
}

impl Variants {
    /// The render pass for `layouts`.
    pub fn pass(
        &mut self,
        ctx: &Context,
        target: vk::Format,
        views: u32,
        layouts: PassLayouts,
    ) -> Result<vk::RenderPass> {
        if let Some((_, pass)) = self.passes.iter().find(|(l, _)| *l == layouts) {
            return Ok(*pass);
        }
        let pass = pipelines::render_pass(ctx, target, views, &layouts)?;
        self.passes.push((layouts, pass));
        Ok(pass)
    }

    /// The pipelines for a frame drawn with `render_pass` (made for `layouts`), comparing
    /// depth `reversed` or not.
    pub fn pipelines(
        &mut self,
        ctx: &Context,
        base: &Pipelines,
        render_pass: vk::RenderPass,
        views: u32,
        (layouts, reversed): (&PassLayouts, bool),
    ) -> Result<Drawn> {
        let key = Key {
            keep: layouts.keep_from.is_some(),
            depth: layouts.depth.map(|d: DepthAttachment| (d.format, d.test, d.write, reversed)),
        };
        let plain = Drawn { splat: base.splat, resolve: base.resolve, depth_resolve: vk::Pipeline::null() };
        if key == (Key { keep: false, depth: None }) {
            return Ok(plain);
        }
        if let Some(&(_, drawn)) = self.pipelines.iter().find(|(k, _)| *k == key) {
            return Ok(drawn);
        }
        // Made one at a time; what exists when one fails is destroyed with the rest.
        let mut drawn = plain;
        let result = (|| {
            if let Some((_, test, write, reversed)) = key.depth {
                let depth = SplatDepth { test, reversed, out: write };
                drawn.splat = base.splat_pipeline(ctx, render_pass, views, Some(depth))?;
                if write {
                    drawn.depth_resolve = base.depth_resolve_pipeline(ctx, render_pass, reversed)?;
                }
            }
            drawn.resolve = base.resolve_pipeline(ctx, render_pass, key.keep, key.depth.map(|d| d.2))?;
            Ok(())
        })();
        if let Err(e) = result {
            drawn.destroy(ctx, base);
            return Err(e);
        }
        self.pipelines.push((key, drawn));
        Ok(drawn)
    }

    pub fn destroy(&mut self, ctx: &Context, base: &Pipelines) {
        for (_, drawn) in self.pipelines.drain(..) {
            drawn.destroy(ctx, base);
        }
        unsafe {
            for (_, pass) in self.passes.drain(..) {
                ctx.device.destroy_render_pass(pass, None);
            }
        }
    }
}
