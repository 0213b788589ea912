//! The frame's passes, each recorded by its own module in frame order: page uploads, slice,
//! sort, raster (splat + resolve subpasses per render pass) and read-back. A [`Recording`] is
//! what they share: the device, the command buffer, the frame slot and the pipelines.
//! Synchronisation between passes is written where the consumer begins.

pub(super) mod raster;
pub(super) mod readback;
pub(super) mod slice;
pub(super) mod sort;
pub(super) mod upload;

use ash::vk;

use super::frame::Frame;
use super::pipelines::Pipelines;

pub(super) struct Recording<'a> {
    pub d: &'a ash::Device,
    pub cmd: vk::CommandBuffer,
    pub frame: &'a Frame,
    pub pipelines: &'a Pipelines,
    /// Whether the frame writes timestamps and copies its counts out.
    pub stats: bool,
}

impl Recording<'_> {
    /// Writes timestamp slot `slot` (of `frame::TIMESTAMP_SLOTS` and the per-pass ones) once
    /// `stage` is done, where the frame keeps stats.
    pub fn timestamp(&self, stage: vk::PipelineStageFlags, slot: u32) {
        if self.stats {
            let f = self.frame;
            unsafe { self.d.cmd_write_timestamp(self.cmd, stage, f.queries, slot * f.query_stride) };
        }
    }

    /// Resets the frame's queries and marks its start.
    pub fn begin(&self) {
        if self.stats {
            let f = self.frame;
            unsafe { self.d.cmd_reset_query_pool(self.cmd, f.queries, 0, f.query_count) };
        }
        self.timestamp(vk::PipelineStageFlags::TOP_OF_PIPE, 0);
    }
}
