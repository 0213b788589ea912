//! Streamed pages into their pool slots, from the frame's staging buffer.

use ash::vk;

use super::Recording;
use crate::gpu::sort::memory_barrier;
use crate::renderer::resident::Resident;

pub(in crate::renderer) fn record(r: &Recording, resident: &Resident) {
    let f = r.frame;
    if f.copies.is_empty() {
        return;
    }
    let staging = f.overflow.as_ref().or(f.staging.as_ref()).expect("copies come with staging");
    // A slot being refilled may hold a page the frame before read in its slice pass: those
    // reads come first. The slice pass's own barrier makes the copies visible to it.
    memory_barrier(
        r.d,
        r.cmd,
        (vk::PipelineStageFlags::COMPUTE_SHADER, vk::AccessFlags::SHADER_READ),
        (vk::PipelineStageFlags::TRANSFER, vk::AccessFlags::TRANSFER_WRITE),
    );
    for c in &f.copies {
        unsafe { r.d.cmd_copy_buffer(r.cmd, staging.raw, resident.pool(c.attribute), &[c.region]) };
    }
}
