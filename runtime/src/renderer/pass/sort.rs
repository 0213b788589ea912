//! The radix sort of the slice pass's keys (DESIGN §5.2): one order for both eyes, or with the
//! per-eye sort a second one for the right eye over the same slots.

use ash::vk;

use super::Recording;
use crate::error::Result;
use crate::gpu::sort::{compute_barrier, memory_barrier, RadixSort};
use crate::gpu::Context;

pub(in crate::renderer) fn record(r: &Recording, ctx: &Context, sort: &RadixSort) -> Result<()> {
    let (d, cmd, f) = (r.d, r.cmd, r.frame);
    // The sort reads the keys, values and count the slice pass wrote.
    compute_barrier(d, cmd);
    let result = sort.record(ctx, cmd, &f.sort, 32)?;
    debug_assert_eq!(result, 0, "raster reads the sorted order from pair 0");
    if let Some(right) = &f.sort_right {
        // The right eye sorts the same slots: it gets the count the slice pass made.
        memory_barrier(
            d,
            cmd,
            (vk::PipelineStageFlags::COMPUTE_SHADER, vk::AccessFlags::SHADER_WRITE),
            (vk::PipelineStageFlags::TRANSFER, vk::AccessFlags::TRANSFER_READ),
        );
        let whole = vk::BufferCopy::default().size(16);
        unsafe { d.cmd_copy_buffer(cmd, f.sort.count.raw, right.count.raw, &[whole]) };
        memory_barrier(
            d,
            cmd,
            (vk::PipelineStageFlags::TRANSFER, vk::AccessFlags::TRANSFER_WRITE),
            (vk::PipelineStageFlags::COMPUTE_SHADER, vk::AccessFlags::SHADER_READ),
        );
        let right_result = sort.record(ctx, cmd, right, 32)?;
        debug_assert_eq!(right_result, 0, "raster reads the right eye's order from pair 0");
    }
    r.timestamp(vk::PipelineStageFlags::COMPUTE_SHADER, 2);
    Ok(())
}
