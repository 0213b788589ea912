//! What the host reads of a finished frame: the slice pass's counts (for the stats) and, for
//! the renderer's own target, its pixels.

use ash::vk;

use super::Recording;
use crate::gpu::sort::{memory_barrier, COUNT_BYTES};

/// Copies the counts out where the frame keeps stats and, with `image` (views, extent), the
/// target; then makes the copies visible to the host.
pub(in crate::renderer) fn record(r: &Recording, image: Option<(u32, vk::Extent2D)>) {
    let (d, cmd, f) = (r.d, r.cmd, r.frame);
    if r.stats {
        // The counts the slice pass wrote.
        memory_barrier(
            d,
            cmd,
            (vk::PipelineStageFlags::COMPUTE_SHADER, vk::AccessFlags::SHADER_WRITE),
            (vk::PipelineStageFlags::TRANSFER, vk::AccessFlags::TRANSFER_READ),
        );
        let whole = vk::BufferCopy::default().size(COUNT_BYTES);
        unsafe { d.cmd_copy_buffer(cmd, f.sort.count.raw, f.counts.raw, &[whole]) };
    }
    if let Some((views, extent)) = image {
        // The render pass leaves the target in TRANSFER_SRC_OPTIMAL, its writes made available
        // by the pass's final dependency.
        let layers = vk::ImageSubresourceLayers::default().aspect_mask(vk::ImageAspectFlags::COLOR).layer_count(views);
        let region = vk::BufferImageCopy::default().image_subresource(layers).image_extent(vk::Extent3D {
            width: extent.width,
            height: extent.height,
            depth: 1,
        });
        let layout = vk::ImageLayout::TRANSFER_SRC_OPTIMAL;
        unsafe { d.cmd_copy_image_to_buffer(cmd, f.target.raw, layout, f.readback.raw, &[region]) };
    }
    if r.stats || image.is_some() {
        memory_barrier(
            d,
            cmd,
            (vk::PipelineStageFlags::TRANSFER, vk::AccessFlags::TRANSFER_WRITE),
            (vk::PipelineStageFlags::HOST, vk::AccessFlags::HOST_READ),
        );
    }
}
