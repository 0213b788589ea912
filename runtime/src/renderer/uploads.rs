//! Streamed pages copied apart from the frames, on the context's upload queue (a transfer
//! queue where the device has one): a frame's copies are submitted as soon as its pages are
//! read, in a command buffer of their own, and run beside the frame before it instead of at
//! the head of their own frame.
//!
//! The rules that make this safe, kept by their owners:
//! - every submission signals the next value of one timeline semaphore; every frame that
//!   reads the pools waits on the GPU for the newest value before its copies and slice pass
//!   (`Renderer::render`, and the XR frame loop through [`Uploads::wait`]), so it sees every
//!   page uploaded before it, whichever queue copied it;
//! - copies never go into a slot the frame before reads or its copies write
//!   (`Resident::make_resident` keeps them clear, or falls back to copies in the frame);
//! - uploads follow each other on their queue: each begins with a barrier on the writes
//!   before it, since a slot may be refilled by the next upload;
//! - a frame slot's command buffer and staging are reused only after its last upload is done
//!   ([`Uploads::wait_slot`]).
//!
//! Pools and staging are concurrent between the two families, so no ownership moves.

use ash::vk;

use super::resident::PageCopy;
use crate::error::Result;
use crate::gpu::sort::memory_barrier;
use crate::gpu::{vk_err, Context, QueueRef};

const TIMEOUT_NS: u64 = 120_000_000_000;

/// A frame waits for the uploads before its own copies (which may refill a slot an upload
/// wrote) and its slice pass (which reads the pages).
static WAIT_STAGES: [vk::PipelineStageFlags; 1] = [vk::PipelineStageFlags::from_raw(
    vk::PipelineStageFlags::TRANSFER.as_raw() | vk::PipelineStageFlags::COMPUTE_SHADER.as_raw(),
)];

/// A timeline value of the uploads that a frame's submission waits for.
#[derive(Clone, Copy, Debug)]
pub struct UploadWait {
    semaphore: [vk::Semaphore; 1],
    value: [u64; 1],
}

impl UploadWait {
    /// `submit`, waiting for the uploads; `timeline` is chained to it.
    pub fn add_to<'a>(
        &'a self,
        submit: vk::SubmitInfo<'a>,
        timeline: &'a mut vk::TimelineSemaphoreSubmitInfo<'a>,
    ) -> vk::SubmitInfo<'a> {
        *timeline = vk::TimelineSemaphoreSubmitInfo::default().wait_semaphore_values(&self.value);
        submit.wait_semaphores(&self.semaphore).wait_dst_stage_mask(&WAIT_STAGES).push_next(timeline)
    }
}

pub struct Uploads {
    queue: QueueRef,
    pool: vk::CommandPool,
    /// One per frame slot.
    cmds: Vec<vk::CommandBuffer>,
    /// The value each slot's newest upload signals (0: none yet).
    signals: Vec<u64>,
    timeline: vk::Semaphore,
    /// The value the newest upload signals (0: none yet).
    last: u64,
}

impl Uploads {
    pub fn new(ctx: &Context, queue: QueueRef, slots: usize) -> Result<Uploads> {
        let d = &ctx.device;
        let pool_info = vk::CommandPoolCreateInfo::default()
            .queue_family_index(queue.family)
            .flags(vk::CommandPoolCreateFlags::RESET_COMMAND_BUFFER);
        let pool = unsafe { d.create_command_pool(&pool_info, None) }.map_err(vk_err("vkCreateCommandPool"))?;
        let mut uploads = Uploads {
            queue,
            pool,
            cmds: Vec::new(),
            signals: vec![0; slots],
            timeline: vk::Semaphore::null(),
            last: 0,
        };
        let made = (|| {
            let alloc = vk::CommandBufferAllocateInfo::default()
                .command_pool(pool)
                .level(vk::CommandBufferLevel::PRIMARY)
                .command_buffer_count(slots as u32);
            uploads.cmds = unsafe { d.allocate_command_buffers(&alloc) }.map_err(vk_err("vkAllocateCommandBuffers"))?;
            let mut timeline = vk::SemaphoreTypeCreateInfo::default().semaphore_type(vk::SemaphoreType::TIMELINE);
            let info = vk::SemaphoreCreateInfo::default().push_next(&mut timeline);
            uploads.timeline = unsafe { d.create_semaphore(&info, None) }.map_err(vk_err("vkCreateSemaphore"))?;
            ctx.name(uploads.timeline, "page uploads");
            Ok(())
        })();
        match made {
            Ok(()) => Ok(uploads),
            Err(e) => {
                uploads.destroy(ctx);
                Err(e)
            }
        }
    }

    /// What a submission reading the pools must wait for: the newest upload; `None` before
    /// the first.
    pub fn wait(&self) -> Option<UploadWait> {
        (self.last > 0).then_some(UploadWait { semaphore: [self.timeline], value: [self.last] })
    }

    /// Waits on the host until `slot`'s last upload is done: its command buffer and staging
    /// are then free.
    pub fn wait_slot(&self, ctx: &Context, slot: usize) -> Result<()> {
        self.wait_host(ctx, self.signals[slot])
    }

    /// Waits on the host until every upload so far is done: for frames whose submission
    /// cannot wait on the GPU (recorded into a host's command buffer).
    pub fn wait_all(&self, ctx: &Context) -> Result<()> {
        self.wait_host(ctx, self.last)
    }

    fn wait_host(&self, ctx: &Context, value: u64) -> Result<()> {
        if value == 0 {
            return Ok(());
        }
        let (semaphores, values) = ([self.timeline], [value]);
        let info = vk::SemaphoreWaitInfo::default().semaphores(&semaphores).values(&values);
        unsafe { ctx.device.wait_semaphores(&info, TIMEOUT_NS) }.map_err(vk_err("vkWaitSemaphores"))
    }

    /// Records `copies` from `staging` into the pools (`pool(attribute)`) in `slot`'s command
    /// buffer and submits it, signalling the timeline's next value. The caller has waited for
    /// the slot ([`Uploads::wait_slot`]).
    pub fn submit(
        &mut self,
        ctx: &Context,
        slot: usize,
        staging: vk::Buffer,
        copies: &[PageCopy],
        pool: impl Fn(usize) -> vk::Buffer,
    ) -> Result<()> {
        let d = &ctx.device;
        let cmd = self.cmds[slot];
        unsafe {
            d.reset_command_buffer(cmd, vk::CommandBufferResetFlags::empty())
                .map_err(vk_err("vkResetCommandBuffer"))?;
            let begin = vk::CommandBufferBeginInfo::default().flags(vk::CommandBufferUsageFlags::ONE_TIME_SUBMIT);
            d.begin_command_buffer(cmd, &begin).map_err(vk_err("vkBeginCommandBuffer"))?;
            // A slot the upload before filled may be refilled now: its writes come first.
            memory_barrier(
                d,
                cmd,
                (vk::PipelineStageFlags::TRANSFER, vk::AccessFlags::TRANSFER_WRITE),
                (vk::PipelineStageFlags::TRANSFER, vk::AccessFlags::TRANSFER_WRITE),
            );
            for c in copies {
                d.cmd_copy_buffer(cmd, staging, pool(c.attribute), &[c.region]);
            }
            d.end_command_buffer(cmd).map_err(vk_err("vkEndCommandBuffer"))?;
        }
        let value = self.last + 1;
        let (cmds, semaphores, values) = ([cmd], [self.timeline], [value]);
        let mut timeline = vk::TimelineSemaphoreSubmitInfo::default().signal_semaphore_values(&values);
        let submit =
            vk::SubmitInfo::default().command_buffers(&cmds).signal_semaphores(&semaphores).push_next(&mut timeline);
        unsafe { d.queue_submit(self.queue.queue, &[submit], vk::Fence::null()) }.map_err(vk_err("vkQueueSubmit"))?;
        self.last = value;
        self.signals[slot] = value;
        Ok(())
    }

    /// Waits for every upload, then destroys the pool, its command buffers and the timeline.
    pub fn destroy(self, ctx: &Context) {
        // An upload that cannot be waited for (device lost) is destroyed regardless.
        let _ = self.wait_all(ctx);
        unsafe {
            ctx.device.destroy_command_pool(self.pool, None);
            ctx.device.destroy_semaphore(self.timeline, None);
        }
    }
}
