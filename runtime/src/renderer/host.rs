//! Embedded rendering (DESIGN §6): the frame recorded into a host's command buffer and drawn
//! into the host's image, which the host then submits, presents or samples itself.
//!
//! The contract, for the host:
//! - `cmd` is in the recording state, outside a render pass, for a queue of the runtime's
//!   queue family; the host submits it (to the queue it lent, or another of that family).
//! - `image` is a 2D image of the renderer's size and format (8-bit RGBA or BGRA, UNORM or
//!   SRGB, or a float HDR format, as the renderer was made), with at least as many array layers as views (view i in layer i) and
//!   `COLOR_ATTACHMENT` usage. Its contents before are discarded (every pixel is written), or
//!   kept under the splats ([`HostColor::Keep`], from the layout the host names).
//! - A depth image ([`HostDepth`]), where given, has `DEPTH_STENCIL_ATTACHMENT` usage, the
//!   target's size and at least as many layers; its stencil is kept.
//! - The render pass's own dependency orders it after the host's earlier work on these images
//!   (writes by copies, shaders, colour and depth attachments; reads by copies and fragment
//!   shaders); work of other stages needs the host's own barrier.
//! - Afterwards the images are in their final layouts, written at `COLOR_ATTACHMENT_OUTPUT`
//!   (`COLOR_ATTACHMENT_WRITE`) and `LATE_FRAGMENT_TESTS` (`DEPTH_STENCIL_ATTACHMENT_WRITE`);
//!   the host's next use needs a barrier from there.
//! - A renderer reuses the resources of the frame `frames_in_flight` frames back: when
//!   recording (or rendering) a frame, the command buffer recorded that many frames earlier
//!   must have completed,
//!   and the host must keep the renderer alive until its last command buffer has completed.

use std::time::Instant;

use ash::vk;

use super::composite::{self, HostColor, HostDepth};
use super::frame::HostDepthImage;
use super::pass::raster::Draw;
use super::pipelines::{DepthAttachment, PassLayouts};
use super::uploads::{UploadWait, Uploads};
use super::Renderer;
use crate::camera::Camera;
use crate::error::{Error, Result};
use crate::gpu::Context;
use crate::profile::Section;

/// A host's image to render into.
#[derive(Clone, Copy, Debug)]
pub struct HostTarget {
    pub image: vk::Image,
    /// The layout the image is left in.
    pub final_layout: vk::ImageLayout,
    pub color: HostColor,
    pub depth: Option<HostDepth>,
}

impl HostTarget {
    /// `image`, cleared to the background, without depth, left in `final_layout`.
    pub fn new(image: vk::Image, final_layout: vk::ImageLayout) -> HostTarget {
        HostTarget { image, final_layout, color: HostColor::Clear, depth: None }
    }
}

/// Layouts a host may ask for after the frame.
const FINAL_LAYOUTS: [vk::ImageLayout; 5] = [
    vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL,
    vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL,
    vk::ImageLayout::TRANSFER_SRC_OPTIMAL,
    vk::ImageLayout::GENERAL,
    vk::ImageLayout::PRESENT_SRC_KHR,
];

impl Renderer {
    /// Records the frame at `time` seen by `eyes` into the host's `cmd`, drawing into
    /// `target` (see the module's contract). Nothing is submitted.
    ///
    /// # Safety
    /// The contract above holds; `cmd` and `target.image` belong to the context's device.
    pub unsafe fn record_into(
        &mut self,
        ctx: &Context,
        cmd: vk::CommandBuffer,
        time: f32,
        eyes: &[Camera],
        target: HostTarget,
    ) -> Result<()> {
        unsafe { self.record_frame_into(ctx, cmd, time, eyes, target, false) }.map(|_| ())
    }

    /// [`Self::record_into`]; with `apart`, for a caller that submits `cmd` itself, waiting
    /// for what this returns (where anything): the frame's page uploads can then run apart,
    /// on the upload queue.
    ///
    /// # Safety
    /// As [`Self::record_into`].
    pub(crate) unsafe fn record_frame_into(
        &mut self,
        ctx: &Context,
        cmd: vk::CommandBuffer,
        time: f32,
        eyes: &[Camera],
        target: HostTarget,
        apart: bool,
    ) -> Result<Option<UploadWait>> {
        if cmd == vk::CommandBuffer::null() || target.image == vk::Image::null() {
            return Err(Error::InvalidArgument("a null command buffer or image".into()));
        }
        if !FINAL_LAYOUTS.contains(&target.final_layout) {
            return Err(Error::InvalidArgument(format!(
                "final layout {:?}: one of {FINAL_LAYOUTS:?}",
                target.final_layout
            )));
        }
        composite::check_color(target.color)?;
        if let Some(depth) = &target.depth {
            composite::check_depth(ctx, depth, (self.options.width, self.options.height, self.options.views))?;
        }
        let _frame = Section::begin(c"splat4d frame");
        let layouts = PassLayouts {
            keep_from: match target.color {
                HostColor::Clear => None,
                HostColor::Keep { layout } => Some(layout),
            },
            target_final: target.final_layout,
            depth: target.depth.map(|d| DepthAttachment {
                format: d.format,
                test: d.test,
                write: d.write,
                initial: d.initial_layout,
                final_layout: d.final_layout,
            }),
        };
        let format = self.options.format.vk();
        let render_pass = self.variants.pass(ctx, format, self.pass_views, layouts)?;
        let reversed = target.depth.is_some_and(|d| d.convention.reversed);
        let drawn =
            self.variants.pipelines(ctx, &self.pipelines, render_pass, self.pass_views, (&layouts, reversed))?;
        let (index, dispatches) = self.prepare(ctx, time, eyes, apart, target.depth.is_some())?;
        let recording = Instant::now();
        let _record = Section::begin(c"splat4d record");
        let size = (self.options.width, self.options.height, self.pass_views);
        let frame = &mut self.frames[index];
        let depth = target.depth.map(|d| HostDepthImage { image: d.image, format: d.format, write: d.write });
        let attached = match depth {
            Some(d) if d.write => frame.make_depth_accumulation(ctx, &self.pipelines, size),
            _ => Ok(()),
        }
        .and_then(|()| frame.attach_host(ctx, render_pass, (target.image, format), depth, size));
        let framebuffers = match attached {
            Ok(f) => f,
            Err(e) => {
                frame.release_host(ctx);
                return Err(e);
            }
        };
        // From here the slot holds host work: it is retired when next used.
        frame.host_pending = true;
        let draw = Draw {
            render_pass,
            framebuffers: &framebuffers,
            splat: drawn.splat,
            resolve: drawn.resolve,
            depth_resolve: drawn.depth_resolve,
            keep: layouts.keep_from.is_some(),
            depth: target.depth.map(|d| (d.convention, d.write)),
        };
        self.record_frame(ctx, index, cmd, &dispatches, &draw, false)?;
        self.frames[index].pending.cpu.record = recording.elapsed().as_secs_f64() * 1e3;
        self.finish_frame(index, true);
        Ok(if apart { self.uploads.as_ref().and_then(Uploads::wait) } else { None })
    }

    /// A slot whose last frame went to a host: by the contract its command buffer has
    /// completed, so its timestamps are read (if they are there) and its framebuffers go.
    pub(super) fn retire_host(&mut self, ctx: &Context, index: usize) {
        // A host that broke the contract gets no GPU times rather than a hang.
        self.complete_stats(ctx, index);
        let frame = &mut self.frames[index];
        frame.release_host(ctx);
        frame.host_pending = false;
    }
}
