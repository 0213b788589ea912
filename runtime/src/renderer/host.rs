//! Embedded rendering (DESIGN §6): the frame recorded into a host's command buffer and drawn
//! into the host's image, which the host then submits, presents or samples itself.
//!
//! The contract, for the host:
//! - `cmd` is in the recording state, outside a render pass, for a queue of the runtime's
//!   queue family; the host submits it (to the queue it lent, or another of that family).
//! - `image` is a 2D image of the renderer's size and format (8-bit RGBA or BGRA, UNORM or
//!   SRGB, as the renderer was made), with at least as many array layers as views (view i in layer i) and
//!   `COLOR_ATTACHMENT` usage. Its contents before are discarded: every pixel is written.
//!   Earlier accesses to it must be ordered before `COLOR_ATTACHMENT_OUTPUT` and the fragment
//!   and transfer stages by the host's own barriers or submission order.
//! - Afterwards the image is in `final_layout`, written at `COLOR_ATTACHMENT_OUTPUT` with
//!   `COLOR_ATTACHMENT_WRITE`; the host's next use needs a barrier from there.
//! - A renderer reuses the resources of the frame two frames back: when recording (or
//!   rendering) a frame, the command buffer recorded two frames earlier must have completed,
//!   and the host must keep the renderer alive until its last command buffer has completed.

use std::time::Instant;

use ash::vk;

use super::uploads::{UploadWait, Uploads};
use super::{pipelines, Renderer};
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
        let _frame = Section::begin(c"splat4d frame");
        let render_pass = self.host_pass(ctx, target.final_layout)?;
        let (index, dispatches) = self.prepare(ctx, time, eyes, apart)?;
        let recording = Instant::now();
        let _record = Section::begin(c"splat4d record");
        let size = (self.options.width, self.options.height, self.pass_views);
        let frame = &mut self.frames[index];
        let framebuffers = match frame.attach_host(ctx, render_pass, target.image, self.options.format.vk(), size) {
            Ok(f) => f,
            Err(e) => {
                frame.release_host(ctx);
                return Err(e);
            }
        };
        // From here the slot holds host work: it is retired when next used.
        frame.host_pending = true;
        self.record_frame(ctx, index, cmd, &dispatches, render_pass, &framebuffers, false)?;
        self.frames[index].pending.cpu.record = recording.elapsed().as_secs_f64() * 1e3;
        self.finish_frame(index, true);
        Ok(if apart { self.uploads.as_ref().and_then(Uploads::wait) } else { None })
    }

    /// The render pass that leaves the target in `layout`, made on first use.
    fn host_pass(&mut self, ctx: &Context, layout: vk::ImageLayout) -> Result<vk::RenderPass> {
        if let Some((_, pass)) = self.host_passes.iter().find(|(l, _)| *l == layout) {
            return Ok(*pass);
        }
        let pass = pipelines::render_pass(ctx, self.options.format.vk(), self.pass_views, Some(layout))?;
        self.host_passes.push((layout, pass));
        Ok(pass)
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
