//! Slice + cull (DESIGN §5.1): one dispatch per resident chunk's runs, appending the visible
//! splats' keys, values and per-eye records, and counting them into the draw arguments.

use ash::vk;

use super::Recording;
use crate::gpu::sort::{memory_barrier, COUNT_BYTES};

/// One dispatch: the chunk's descriptor set, and its runs' offset, count and active splats.
pub(in crate::renderer) type Dispatch = (usize, u32, u32, u32);

pub(in crate::renderer) fn record(r: &Recording, dispatches: &[Dispatch]) {
    let (d, cmd, f, p) = (r.d, r.cmd, r.frame, r.pipelines);
    // Draw arguments: a 4-vertex strip per visible splat, counted by the slice pass. Then the
    // splats each eye leaves out, counted for the stats.
    let mut counts = [0u32; COUNT_BYTES as usize / 4];
    counts[0] = 4;
    unsafe { d.cmd_update_buffer(cmd, f.sort.count.raw, 0, bytemuck::cast_slice(&counts)) };
    // The reset counts, and any pages copied in before, are what the slice pass reads.
    memory_barrier(
        d,
        cmd,
        (vk::PipelineStageFlags::TRANSFER, vk::AccessFlags::TRANSFER_WRITE),
        (vk::PipelineStageFlags::COMPUTE_SHADER, vk::AccessFlags::SHADER_READ | vk::AccessFlags::SHADER_WRITE),
    );
    unsafe {
        d.cmd_bind_pipeline(cmd, vk::PipelineBindPoint::COMPUTE, p.slice);
        for &(chunk, run_offset, run_count, active) in dispatches {
            d.cmd_bind_descriptor_sets(
                cmd,
                vk::PipelineBindPoint::COMPUTE,
                p.slice_layout,
                0,
                &[f.slice_sets[chunk]],
                &[],
            );
            let push = [run_offset, run_count, active];
            d.cmd_push_constants(cmd, p.slice_layout, vk::ShaderStageFlags::COMPUTE, 0, bytemuck::cast_slice(&push));
            d.cmd_dispatch(cmd, active.div_ceil(256), 1, 1);
        }
    }
    r.timestamp(vk::PipelineStageFlags::COMPUTE_SHADER, 1);
}
