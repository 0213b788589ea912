//! What the frames are drawn into: the swapchain(s) of the session, and the command buffers
//! that draw into them (both eyes, copied per eye where the runtime has no array swapchains;
//! the left eye read back when a test asks).

use ash::vk::{self, Handle};
use openxr as xr;

use super::xr_err;
use crate::camera::Camera;
use crate::error::Result;
use crate::gpu::{vk_err, Buffer, Context, Image, MemoryKind};
use crate::renderer::{HostTarget, Renderer, TargetFormat};

/// Where the eyes go.
pub(super) enum Targets {
    /// One two-layer array swapchain: the renderer draws into its images directly.
    Array { swapchain: xr::Swapchain<xr::Vulkan>, images: Vec<vk::Image> },
    /// One swapchain per eye, for runtimes without array swapchains: the renderer draws into a
    /// two-layer image of ours, copied into each eye's image. One image per frame in flight, so
    /// a frame never draws into what the frame before is still copying from.
    PerEye { swapchains: [xr::Swapchain<xr::Vulkan>; 2], images: [Vec<vk::Image>; 2], staging: [Image; 2], next: usize },
}

impl Targets {
    pub(super) fn new(
        ctx: &Context,
        session: &xr::Session<xr::Vulkan>,
        format: TargetFormat,
        [width, height]: [u32; 2],
        per_eye: bool,
    ) -> Result<Targets> {
        let create = |layers: u32, usage: xr::SwapchainUsageFlags| {
            session.create_swapchain(&xr::SwapchainCreateInfo {
                create_flags: xr::SwapchainCreateFlags::EMPTY,
                usage_flags: usage,
                format: format.vk().as_raw() as u32,
                sample_count: 1,
                width,
                height,
                face_count: 1,
                array_size: layers,
                mip_count: 1,
            })
        };
        let images = |swapchain: &xr::Swapchain<xr::Vulkan>| -> Result<Vec<vk::Image>> {
            Ok(swapchain
                .enumerate_images()
                .map_err(xr_err("xrEnumerateSwapchainImages"))?
                .into_iter()
                .map(vk::Image::from_raw)
                .collect())
        };
        if !per_eye {
            let usage = xr::SwapchainUsageFlags::COLOR_ATTACHMENT | xr::SwapchainUsageFlags::TRANSFER_SRC;
            match create(2, usage) {
                Ok(swapchain) => {
                    let images = images(&swapchain)?;
                    return Ok(Targets::Array { swapchain, images });
                }
                Err(e) => log::info!("openxr: no two-layer swapchain ({e}): one per eye"),
            }
        }
        // Written by copies; read back by tests.
        let usage = xr::SwapchainUsageFlags::COLOR_ATTACHMENT
            | xr::SwapchainUsageFlags::TRANSFER_DST
            | xr::SwapchainUsageFlags::TRANSFER_SRC;
        let left = create(1, usage).map_err(xr_err("xrCreateSwapchain"))?;
        let right = create(1, usage).map_err(xr_err("xrCreateSwapchain"))?;
        let eye_images = [images(&left)?, images(&right)?];
        let info = vk::ImageCreateInfo::default()
            .image_type(vk::ImageType::TYPE_2D)
            .format(format.vk())
            .extent(vk::Extent3D { width, height, depth: 1 })
            .mip_levels(1)
            .array_layers(2)
            .samples(vk::SampleCountFlags::TYPE_1)
            .tiling(vk::ImageTiling::OPTIMAL)
            .usage(vk::ImageUsageFlags::COLOR_ATTACHMENT | vk::ImageUsageFlags::TRANSFER_SRC)
            .initial_layout(vk::ImageLayout::UNDEFINED);
        let first = ctx.create_image("xr eyes 0", &info)?;
        let second = match ctx.create_image("xr eyes 1", &info) {
            Ok(i) => i,
            Err(e) => {
                ctx.destroy_image(first);
                return Err(e);
            }
        };
        Ok(Targets::PerEye { swapchains: [left, right], images: eye_images, staging: [first, second], next: 0 })
    }

    /// Acquires and waits for this frame's image(s): the renderer's target, and with one
    /// swapchain per eye the eyes' images to copy it into.
    pub(super) fn acquire(&mut self) -> Result<(vk::Image, Option<[vk::Image; 2]>)> {
        let take = |swapchain: &mut xr::Swapchain<xr::Vulkan>| -> Result<usize> {
            let index = swapchain.acquire_image().map_err(xr_err("xrAcquireSwapchainImage"))? as usize;
            swapchain.wait_image(xr::Duration::INFINITE).map_err(xr_err("xrWaitSwapchainImage"))?;
            Ok(index)
        };
        match self {
            Targets::Array { swapchain, images } => Ok((images[take(swapchain)?], None)),
            Targets::PerEye { swapchains, images, staging, next } => {
                let [left, right] = swapchains;
                let (l, r) = (take(left)?, take(right)?);
                let target = staging[*next].raw;
                *next = (*next + 1) % 2;
                Ok((target, Some([images[0][l], images[1][r]])))
            }
        }
    }

    pub(super) fn release(&mut self) -> Result<()> {
        match self {
            Targets::Array { swapchain, .. } => swapchain.release_image().map_err(xr_err("xrReleaseSwapchainImage")),
            Targets::PerEye { swapchains, .. } => {
                for s in swapchains {
                    s.release_image().map_err(xr_err("xrReleaseSwapchainImage"))?;
                }
                Ok(())
            }
        }
    }

    /// Eye `eye`'s swapchain and layer.
    pub(super) fn sub_image(&self, eye: usize) -> (&xr::Swapchain<xr::Vulkan>, u32) {
        match self {
            Targets::Array { swapchain, .. } => (swapchain, eye as u32),
            Targets::PerEye { swapchains, .. } => (&swapchains[eye], 0),
        }
    }

    pub(super) fn destroy(self, ctx: &Context) {
        if let Targets::PerEye { staging, .. } = self {
            staging.into_iter().for_each(|i| ctx.destroy_image(i));
        }
    }
}

/// Command buffers of the frames in flight and the read-back buffer.
pub(super) struct FrameResources {
    pool: vk::CommandPool,
    cmds: [vk::CommandBuffer; 2],
    fences: [vk::Fence; 2],
    pub(super) readback: Option<Buffer>,
    next: usize,
}

impl FrameResources {
    pub(super) fn new(ctx: &Context, width: u32, height: u32) -> Result<FrameResources> {
        let d = &ctx.device;
        let pool_info = vk::CommandPoolCreateInfo::default()
            .queue_family_index(ctx.queue_family)
            .flags(vk::CommandPoolCreateFlags::RESET_COMMAND_BUFFER);
        let pool = unsafe { d.create_command_pool(&pool_info, None) }.map_err(vk_err("vkCreateCommandPool"))?;
        let mut made = FrameResources {
            pool,
            cmds: [vk::CommandBuffer::null(); 2],
            fences: [vk::Fence::null(); 2],
            readback: None,
            next: 0,
        };
        let alloc = vk::CommandBufferAllocateInfo::default()
            .command_pool(pool)
            .level(vk::CommandBufferLevel::PRIMARY)
            .command_buffer_count(2);
        match unsafe { d.allocate_command_buffers(&alloc) } {
            Ok(c) => made.cmds.copy_from_slice(&c),
            Err(e) => {
                made.destroy(ctx);
                return Err(vk_err("vkAllocateCommandBuffers")(e));
            }
        }
        for i in 0..2 {
            // Signalled: the first wait on each passes.
            let info = vk::FenceCreateInfo::default().flags(vk::FenceCreateFlags::SIGNALED);
            match unsafe { d.create_fence(&info, None) } {
                Ok(f) => made.fences[i] = f,
                Err(e) => {
                    made.destroy(ctx);
                    return Err(vk_err("vkCreateFence")(e));
                }
            }
        }
        match ctx.create_buffer(
            "xr read-back",
            width as u64 * height as u64 * 4,
            vk::BufferUsageFlags::TRANSFER_DST,
            MemoryKind::Readback,
        ) {
            Ok(b) => made.readback = Some(b),
            Err(e) => {
                made.destroy(ctx);
                return Err(e);
            }
        }
        Ok(made)
    }

    pub(super) fn destroy(mut self, ctx: &Context) {
        unsafe {
            for f in self.fences {
                ctx.device.destroy_fence(f, None);
            }
            ctx.device.destroy_command_pool(self.pool, None);
        }
        if let Some(b) = self.readback.take() {
            ctx.destroy_buffer(b);
        }
    }
}

/// Records and submits one frame: both eyes into `target`'s layers 0 and 1, then, with one
/// swapchain per eye, copied into the eyes' images; with `capture`, layer 0 also into the
/// read-back buffer, waited for.
#[allow(clippy::too_many_arguments)]
pub(super) fn record_frame(
    ctx: &Context,
    renderer: &mut Renderer,
    frames: &mut FrameResources,
    (target, eye_images): (vk::Image, Option<[vk::Image; 2]>),
    time: f32,
    eyes: &[Camera; 2],
    capture: bool,
    [width, height]: [u32; 2],
) -> Result<()> {
    let d = &ctx.device;
    let slot = frames.next;
    frames.next = (slot + 1) % 2;
    let (cmd, fence) = (frames.cmds[slot], frames.fences[slot]);
    // The renderer reuses the resources of the frame two back: that frame must be done.
    unsafe {
        d.wait_for_fences(&[fence], true, 120_000_000_000).map_err(vk_err("vkWaitForFences"))?;
        d.reset_fences(&[fence]).map_err(vk_err("vkResetFences"))?;
        d.reset_command_buffer(cmd, vk::CommandBufferResetFlags::empty()).map_err(vk_err("vkResetCommandBuffer"))?;
        let begin = vk::CommandBufferBeginInfo::default().flags(vk::CommandBufferUsageFlags::ONE_TIME_SUBMIT);
        d.begin_command_buffer(cmd, &begin).map_err(vk_err("vkBeginCommandBuffer"))?;
    }
    // OpenXR wants colour swapchain images back in COLOR_ATTACHMENT_OPTIMAL; a target that is
    // copied from (read back, or ours for eyes with their own swapchains) ends in TRANSFER_SRC.
    let copied = capture || eye_images.is_some();
    let final_layout =
        if copied { vk::ImageLayout::TRANSFER_SRC_OPTIMAL } else { vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL };
    let target_of = HostTarget::new(target, final_layout);
    let uploads = unsafe { renderer.record_frame_into(ctx, cmd, time, eyes, target_of, true) }?;
    if copied {
        let both =
            vk::ImageSubresourceRange::default().aspect_mask(vk::ImageAspectFlags::COLOR).level_count(1).layer_count(2);
        let one =
            vk::ImageSubresourceRange::default().aspect_mask(vk::ImageAspectFlags::COLOR).level_count(1).layer_count(1);
        let layer = |i: u32| {
            vk::ImageSubresourceLayers::default()
                .aspect_mask(vk::ImageAspectFlags::COLOR)
                .base_array_layer(i)
                .layer_count(1)
        };
        let extent = vk::Extent3D { width, height, depth: 1 };
        let barrier = |image, range, (old, src), (new, dst)| {
            vk::ImageMemoryBarrier::default()
                .src_access_mask(src)
                .dst_access_mask(dst)
                .old_layout(old)
                .new_layout(new)
                .image(image)
                .subresource_range(range)
        };
        unsafe {
            // The render pass wrote the target; the copies read it. The eyes' images, which
            // the runtime is done with (xrWaitSwapchainImage), become copy destinations.
            let mut before = vec![barrier(
                target,
                both,
                (vk::ImageLayout::TRANSFER_SRC_OPTIMAL, vk::AccessFlags::COLOR_ATTACHMENT_WRITE),
                (vk::ImageLayout::TRANSFER_SRC_OPTIMAL, vk::AccessFlags::TRANSFER_READ),
            )];
            for image in eye_images.into_iter().flatten() {
                before.push(barrier(
                    image,
                    one,
                    (vk::ImageLayout::UNDEFINED, vk::AccessFlags::empty()),
                    (vk::ImageLayout::TRANSFER_DST_OPTIMAL, vk::AccessFlags::TRANSFER_WRITE),
                ));
            }
            let stages = vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT | vk::PipelineStageFlags::TOP_OF_PIPE;
            d.cmd_pipeline_barrier(
                cmd,
                stages,
                vk::PipelineStageFlags::TRANSFER,
                vk::DependencyFlags::empty(),
                &[],
                &[],
                &before,
            );
            let readback = frames.readback.as_ref().expect("made with the frames").raw;
            let read_region = vk::BufferImageCopy::default().image_subresource(layer(0)).image_extent(extent);
            if capture && eye_images.is_none() {
                let src = vk::ImageLayout::TRANSFER_SRC_OPTIMAL;
                d.cmd_copy_image_to_buffer(cmd, target, src, readback, &[read_region]);
            }
            // What the runtime gets back, in COLOR_ATTACHMENT_OPTIMAL after the copies.
            let mut after = Vec::new();
            match eye_images {
                Some(images) => {
                    for (e, image) in images.into_iter().enumerate() {
                        let region = vk::ImageCopy::default()
                            .src_subresource(layer(e as u32))
                            .dst_subresource(layer(0))
                            .extent(extent);
                        let (src, dst) = (vk::ImageLayout::TRANSFER_SRC_OPTIMAL, vk::ImageLayout::TRANSFER_DST_OPTIMAL);
                        d.cmd_copy_image(cmd, target, src, image, dst, &[region]);
                    }
                    // The left eye read back from its own swapchain image, after the copy.
                    let mut left_from = (vk::ImageLayout::TRANSFER_DST_OPTIMAL, vk::AccessFlags::TRANSFER_WRITE);
                    if capture {
                        let readable = barrier(
                            images[0],
                            one,
                            left_from,
                            (vk::ImageLayout::TRANSFER_SRC_OPTIMAL, vk::AccessFlags::TRANSFER_READ),
                        );
                        let stage = vk::PipelineStageFlags::TRANSFER;
                        d.cmd_pipeline_barrier(cmd, stage, stage, vk::DependencyFlags::empty(), &[], &[], &[readable]);
                        let src = vk::ImageLayout::TRANSFER_SRC_OPTIMAL;
                        d.cmd_copy_image_to_buffer(cmd, images[0], src, readback, &[read_region]);
                        left_from = (vk::ImageLayout::TRANSFER_SRC_OPTIMAL, vk::AccessFlags::TRANSFER_READ);
                    }
                    let right_from = (vk::ImageLayout::TRANSFER_DST_OPTIMAL, vk::AccessFlags::TRANSFER_WRITE);
                    for (image, from) in images.into_iter().zip([left_from, right_from]) {
                        after.push(barrier(
                            image,
                            one,
                            from,
                            (vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL, vk::AccessFlags::COLOR_ATTACHMENT_WRITE),
                        ));
                    }
                }
                None => after.push(barrier(
                    target,
                    both,
                    (vk::ImageLayout::TRANSFER_SRC_OPTIMAL, vk::AccessFlags::TRANSFER_READ),
                    (vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL, vk::AccessFlags::COLOR_ATTACHMENT_WRITE),
                )),
            }
            let host = vk::MemoryBarrier::default()
                .src_access_mask(vk::AccessFlags::TRANSFER_WRITE)
                .dst_access_mask(vk::AccessFlags::HOST_READ);
            d.cmd_pipeline_barrier(
                cmd,
                vk::PipelineStageFlags::TRANSFER,
                vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT | vk::PipelineStageFlags::HOST,
                vk::DependencyFlags::empty(),
                &[host],
                &[],
                &after,
            );
        }
    }
    unsafe {
        d.end_command_buffer(cmd).map_err(vk_err("vkEndCommandBuffer"))?;
        let cmds = [cmd];
        let mut submit = vk::SubmitInfo::default().command_buffers(&cmds);
        // Streamed pages uploaded on the upload queue: the frame's slice pass reads them.
        let mut timeline = vk::TimelineSemaphoreSubmitInfo::default();
        if let Some(w) = &uploads {
            submit = w.add_to(submit, &mut timeline);
        }
        d.queue_submit(ctx.queue, &[submit], fence).map_err(vk_err("vkQueueSubmit"))?;
        if capture {
            d.wait_for_fences(&[fence], true, 120_000_000_000).map_err(vk_err("vkWaitForFences"))?;
        }
    }
    Ok(())
}
