//! What the frames are drawn into: the swapchain(s) of the session, colour and, where the
//! runtime takes depth layers (`XR_KHR_composition_layer_depth`), depth; and the command
//! buffers that draw into them (both eyes, copied per eye where the runtime has no array
//! swapchains; the left eye read back when a test asks).

use ash::vk::{self, Handle};
use openxr as xr;

use super::xr_err;
use crate::camera::Camera;
use crate::depth::DepthConvention;
use crate::error::Result;
use crate::gpu::{vk_err, Buffer, Context, Image, MemoryKind};
use crate::renderer::{HostDepth, HostTarget, Renderer};

/// One kind of image the eyes go into (colour or depth).
pub(super) enum Chain {
    /// One two-layer array swapchain: the renderer draws into its images directly.
    Array { swapchain: xr::Swapchain<xr::Vulkan>, images: Vec<vk::Image> },
    /// One swapchain per eye, for runtimes without array swapchains: the renderer draws into a
    /// two-layer image of ours, copied into each eye's image. One image per frame in flight, so
    /// a frame never draws into what the frame before is still copying from.
    PerEye { swapchains: [xr::Swapchain<xr::Vulkan>; 2], images: [Vec<vk::Image>; 2], staging: [Image; 2], next: usize },
}

/// A chain's images for one frame: the renderer's target, and with one swapchain per eye the
/// eyes' images it is copied into.
pub(super) type Acquired = (vk::Image, Option<[vk::Image; 2]>);

/// What a chain holds.
#[derive(Clone, Copy)]
struct Kind {
    format: vk::Format,
    /// Swapchain usage as an attachment, and our staging image's.
    usage: (xr::SwapchainUsageFlags, vk::ImageUsageFlags),
}

impl Chain {
    /// A two-layer swapchain unless `per_eye` (or the runtime refuses one).
    fn new(
        ctx: &Context,
        session: &xr::Session<xr::Vulkan>,
        kind: Kind,
        [width, height]: [u32; 2],
        per_eye: bool,
    ) -> Result<Chain> {
        let create = |layers: u32, usage: xr::SwapchainUsageFlags| {
            session.create_swapchain(&xr::SwapchainCreateInfo {
                create_flags: xr::SwapchainCreateFlags::EMPTY,
                usage_flags: usage,
                format: kind.format.as_raw() as u32,
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
        // Read back by tests.
        let attach = kind.usage.0 | xr::SwapchainUsageFlags::TRANSFER_SRC;
        if !per_eye {
            match create(2, attach) {
                Ok(swapchain) => {
                    let images = images(&swapchain)?;
                    return Ok(Chain::Array { swapchain, images });
                }
                Err(e) => log::info!("openxr: no two-layer {:?} swapchain ({e}): one per eye", kind.format),
            }
        }
        // Written by copies.
        let usage = attach | xr::SwapchainUsageFlags::TRANSFER_DST;
        let left = create(1, usage).map_err(xr_err("xrCreateSwapchain"))?;
        let right = create(1, usage).map_err(xr_err("xrCreateSwapchain"))?;
        let eye_images = [images(&left)?, images(&right)?];
        let info = vk::ImageCreateInfo::default()
            .image_type(vk::ImageType::TYPE_2D)
            .format(kind.format)
            .extent(vk::Extent3D { width, height, depth: 1 })
            .mip_levels(1)
            .array_layers(2)
            .samples(vk::SampleCountFlags::TYPE_1)
            .tiling(vk::ImageTiling::OPTIMAL)
            .usage(kind.usage.1 | vk::ImageUsageFlags::TRANSFER_SRC)
            .initial_layout(vk::ImageLayout::UNDEFINED);
        let first = ctx.create_image("xr eyes 0", &info)?;
        let second = match ctx.create_image("xr eyes 1", &info) {
            Ok(i) => i,
            Err(e) => {
                ctx.destroy_image(first);
                return Err(e);
            }
        };
        Ok(Chain::PerEye { swapchains: [left, right], images: eye_images, staging: [first, second], next: 0 })
    }

    /// Acquires and waits for this frame's image(s).
    fn acquire(&mut self) -> Result<Acquired> {
        let take = |swapchain: &mut xr::Swapchain<xr::Vulkan>| -> Result<usize> {
            let index = swapchain.acquire_image().map_err(xr_err("xrAcquireSwapchainImage"))? as usize;
            swapchain.wait_image(xr::Duration::INFINITE).map_err(xr_err("xrWaitSwapchainImage"))?;
            Ok(index)
        };
        match self {
            Chain::Array { swapchain, images } => Ok((images[take(swapchain)?], None)),
            Chain::PerEye { swapchains, images, staging, next } => {
                let [left, right] = swapchains;
                let (l, r) = (take(left)?, take(right)?);
                let target = staging[*next].raw;
                *next = (*next + 1) % 2;
                Ok((target, Some([images[0][l], images[1][r]])))
            }
        }
    }

    fn release(&mut self) -> Result<()> {
        match self {
            Chain::Array { swapchain, .. } => swapchain.release_image().map_err(xr_err("xrReleaseSwapchainImage")),
            Chain::PerEye { swapchains, .. } => {
                for s in swapchains {
                    s.release_image().map_err(xr_err("xrReleaseSwapchainImage"))?;
                }
                Ok(())
            }
        }
    }

    /// Eye `eye`'s swapchain and layer.
    fn sub_image(&self, eye: usize) -> (&xr::Swapchain<xr::Vulkan>, u32) {
        match self {
            Chain::Array { swapchain, .. } => (swapchain, eye as u32),
            Chain::PerEye { swapchains, .. } => (&swapchains[eye], 0),
        }
    }

    fn destroy(self, ctx: &Context) {
        if let Chain::PerEye { staging, .. } = self {
            staging.into_iter().for_each(|i| ctx.destroy_image(i));
        }
    }
}

/// Where the eyes go: colour, and depth where the session submits it.
pub(super) struct Targets {
    pub color: Chain,
    /// The depth chain, its format and the convention its values are in.
    pub depth: Option<(Chain, vk::Format, DepthConvention)>,
}

impl Targets {
    /// Colour in `format`; depth in `depth` where given (per eye whenever colour is).
    pub(super) fn new(
        ctx: &Context,
        session: &xr::Session<xr::Vulkan>,
        (format, depth): (vk::Format, Option<(vk::Format, DepthConvention)>),
        size: [u32; 2],
        per_eye: bool,
    ) -> Result<Targets> {
        let color =
            Kind { format, usage: (xr::SwapchainUsageFlags::COLOR_ATTACHMENT, vk::ImageUsageFlags::COLOR_ATTACHMENT) };
        let color = Chain::new(ctx, session, color, size, per_eye)?;
        let Some((format, convention)) = depth else { return Ok(Targets { color, depth: None }) };
        let kind = Kind {
            format,
            usage: (xr::SwapchainUsageFlags::DEPTH_STENCIL_ATTACHMENT, vk::ImageUsageFlags::DEPTH_STENCIL_ATTACHMENT),
        };
        let per_eye = matches!(color, Chain::PerEye { .. });
        match Chain::new(ctx, session, kind, size, per_eye) {
            Ok(chain) => Ok(Targets { color, depth: Some((chain, format, convention)) }),
            Err(e) => {
                color.destroy(ctx);
                Err(e)
            }
        }
    }

    pub(super) fn per_eye(&self) -> bool {
        matches!(self.color, Chain::PerEye { .. })
    }

    /// This frame's colour images, and depth images.
    pub(super) fn acquire(&mut self) -> Result<(Acquired, Option<Acquired>)> {
        let color = self.color.acquire()?;
        let depth = match &mut self.depth {
            Some((chain, ..)) => match chain.acquire() {
                Ok(d) => Some(d),
                Err(e) => {
                    // The colour images go back to the runtime regardless.
                    let _ = self.color.release();
                    return Err(e);
                }
            },
            None => None,
        };
        Ok((color, depth))
    }

    pub(super) fn release(&mut self) -> Result<()> {
        let color = self.color.release();
        let depth = self.depth.as_mut().map_or(Ok(()), |(chain, ..)| chain.release());
        color.and(depth)
    }

    /// Eye `eye`'s colour swapchain and layer, and its depth swapchain's.
    pub(super) fn sub_images(&self, eye: usize) -> SubImages<'_> {
        (self.color.sub_image(eye), self.depth.as_ref().map(|(chain, ..)| chain.sub_image(eye)))
    }

    pub(super) fn destroy(self, ctx: &Context) {
        self.color.destroy(ctx);
        if let Some((chain, ..)) = self.depth {
            chain.destroy(ctx);
        }
    }
}

type SubImages<'a> = ((&'a xr::Swapchain<xr::Vulkan>, u32), Option<(&'a xr::Swapchain<xr::Vulkan>, u32)>);

/// Command buffers of the frames in flight and the read-back buffers (colour, depth).
pub(super) struct FrameResources {
    pool: vk::CommandPool,
    cmds: [vk::CommandBuffer; 2],
    fences: [vk::Fence; 2],
    /// View 0's colour, then its depth (4 bytes a pixel each).
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
            2 * width as u64 * height as u64 * 4,
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

/// How one chain's target is handed back to the runtime after the render pass.
struct Handback {
    aspect: vk::ImageAspectFlags,
    /// Where the render pass wrote it.
    written: (vk::PipelineStageFlags, vk::AccessFlags),
    /// What OpenXR wants swapchain images of this kind in when they are released.
    layout: vk::ImageLayout,
    access: vk::AccessFlags,
    /// Where view 0 is read back, with `capture`.
    readback_offset: u64,
}

/// Records and submits one frame: both eyes into the colour (and depth) targets' layers 0 and
/// 1, then, with one swapchain per eye, copied into the eyes' images; with `capture`, layer 0
/// also into the read-back buffer, waited for.
#[allow(clippy::too_many_arguments)]
pub(super) fn record_frame(
    ctx: &Context,
    renderer: &mut Renderer,
    frames: &mut FrameResources,
    (color, depth): (Acquired, Option<(Acquired, vk::Format, DepthConvention)>),
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
    // OpenXR wants swapchain images back in COLOR_ATTACHMENT_OPTIMAL (colour) and
    // DEPTH_STENCIL_ATTACHMENT_OPTIMAL (depth); a target that is copied from (read back, or
    // ours for eyes with their own swapchains) ends in TRANSFER_SRC.
    let copied = |(_, eyes): Acquired| capture || eyes.is_some();
    let final_layout = |a: Acquired, runtime| if copied(a) { vk::ImageLayout::TRANSFER_SRC_OPTIMAL } else { runtime };
    let mut target = HostTarget::new(color.0, final_layout(color, vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL));
    if let Some((acquired, format, convention)) = depth {
        // Cleared to the far value and given the splats' depth, for the runtime's reprojection.
        target.depth = Some(HostDepth {
            image: acquired.0,
            format,
            width,
            height,
            layers: 2,
            initial_layout: vk::ImageLayout::UNDEFINED,
            final_layout: final_layout(acquired, vk::ImageLayout::DEPTH_STENCIL_ATTACHMENT_OPTIMAL),
            convention,
            test: false,
            write: true,
        });
    }
    let uploads = unsafe { renderer.record_frame_into(ctx, cmd, time, eyes, target, true) }?;
    let readback = frames.readback.as_ref().expect("made with the frames").raw;
    let pixels = width as u64 * height as u64 * 4;
    let color_handback = Handback {
        aspect: vk::ImageAspectFlags::COLOR,
        written: (vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT, vk::AccessFlags::COLOR_ATTACHMENT_WRITE),
        layout: vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL,
        access: vk::AccessFlags::COLOR_ATTACHMENT_WRITE,
        readback_offset: 0,
    };
    let depth_handback = Handback {
        aspect: vk::ImageAspectFlags::DEPTH,
        written: (vk::PipelineStageFlags::LATE_FRAGMENT_TESTS, vk::AccessFlags::DEPTH_STENCIL_ATTACHMENT_WRITE),
        layout: vk::ImageLayout::DEPTH_STENCIL_ATTACHMENT_OPTIMAL,
        access: vk::AccessFlags::DEPTH_STENCIL_ATTACHMENT_WRITE,
        readback_offset: pixels,
    };
    let chains = std::iter::once((color, color_handback)).chain(depth.map(|(a, ..)| (a, depth_handback)));
    for (acquired, handback) in chains {
        if copied(acquired) {
            unsafe { hand_back(d, cmd, acquired, &handback, (capture, readback), [width, height]) };
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

/// A target the render pass left in TRANSFER_SRC: copied into the eyes' images (one swapchain
/// per eye), view 0 read back (with `capture`), and what goes back to the runtime put in the
/// layout it wants.
///
/// # Safety
/// `cmd` is recording; the images are this frame's.
unsafe fn hand_back(
    d: &ash::Device,
    cmd: vk::CommandBuffer,
    (target, eye_images): Acquired,
    h: &Handback,
    (capture, readback): (bool, vk::Buffer),
    [width, height]: [u32; 2],
) {
    let range = |layers| vk::ImageSubresourceRange::default().aspect_mask(h.aspect).level_count(1).layer_count(layers);
    let layer = |i: u32| vk::ImageSubresourceLayers::default().aspect_mask(h.aspect).base_array_layer(i).layer_count(1);
    let extent = vk::Extent3D { width, height, depth: 1 };
    let barrier = |image, layers, (old, src), (new, dst)| {
        vk::ImageMemoryBarrier::default()
            .src_access_mask(src)
            .dst_access_mask(dst)
            .old_layout(old)
            .new_layout(new)
            .image(image)
            .subresource_range(range(layers))
    };
    let (src, dst) = (vk::ImageLayout::TRANSFER_SRC_OPTIMAL, vk::ImageLayout::TRANSFER_DST_OPTIMAL);
    // The render pass wrote the target; the copies read it. The eyes' images, which the
    // runtime is done with (xrWaitSwapchainImage), become copy destinations.
    let mut before = vec![barrier(target, 2, (src, h.written.1), (src, vk::AccessFlags::TRANSFER_READ))];
    for image in eye_images.into_iter().flatten() {
        before.push(barrier(
            image,
            1,
            (vk::ImageLayout::UNDEFINED, vk::AccessFlags::empty()),
            (dst, vk::AccessFlags::TRANSFER_WRITE),
        ));
    }
    let stages = h.written.0 | vk::PipelineStageFlags::TOP_OF_PIPE;
    let read_region = vk::BufferImageCopy::default()
        .buffer_offset(h.readback_offset)
        .image_subresource(layer(0))
        .image_extent(extent);
    let mut after = Vec::new();
    unsafe {
        d.cmd_pipeline_barrier(
            cmd,
            stages,
            vk::PipelineStageFlags::TRANSFER,
            vk::DependencyFlags::empty(),
            &[],
            &[],
            &before,
        );
        match eye_images {
            Some(images) => {
                for (e, image) in images.into_iter().enumerate() {
                    let region = vk::ImageCopy::default()
                        .src_subresource(layer(e as u32))
                        .dst_subresource(layer(0))
                        .extent(extent);
                    d.cmd_copy_image(cmd, target, src, image, dst, &[region]);
                }
                // The left eye read back from its own swapchain image, after the copy.
                let mut left_from = (dst, vk::AccessFlags::TRANSFER_WRITE);
                if capture {
                    let readable = barrier(images[0], 1, left_from, (src, vk::AccessFlags::TRANSFER_READ));
                    let stage = vk::PipelineStageFlags::TRANSFER;
                    d.cmd_pipeline_barrier(cmd, stage, stage, vk::DependencyFlags::empty(), &[], &[], &[readable]);
                    d.cmd_copy_image_to_buffer(cmd, images[0], src, readback, &[read_region]);
                    left_from = (src, vk::AccessFlags::TRANSFER_READ);
                }
                for (image, from) in images.into_iter().zip([left_from, (dst, vk::AccessFlags::TRANSFER_WRITE)]) {
                    after.push(barrier(image, 1, from, (h.layout, h.access)));
                }
            }
            None => {
                d.cmd_copy_image_to_buffer(cmd, target, src, readback, &[read_region]);
                after.push(barrier(target, 2, (src, vk::AccessFlags::TRANSFER_READ), (h.layout, h.access)));
            }
        }
        let host = vk::MemoryBarrier::default()
            .src_access_mask(vk::AccessFlags::TRANSFER_WRITE)
            .dst_access_mask(vk::AccessFlags::HOST_READ);
        d.cmd_pipeline_barrier(
            cmd,
            vk::PipelineStageFlags::TRANSFER,
            h.written.0 | vk::PipelineStageFlags::HOST,
            vk::DependencyFlags::empty(),
            &[host],
            &[],
            &after,
        );
    }
}
