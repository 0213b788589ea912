//! One frame in flight: everything a frame writes, so that the next frame can be recorded
//! while this one runs. A frame's resources are reused only after its fence has signalled.

use ash::vk;

use super::pipelines::{self, Pipelines, ACCUMULATION_FORMAT, RASTER_BINDINGS, SLICE_BINDINGS};
use super::resident::{PageCopy, Resident};
use crate::error::Result;
use crate::gpu::sort::{RadixSort, SortBuffers, COUNT_BYTES};
use crate::gpu::{vk_err, Buffer, Context, Image, MemoryKind};
use crate::profile::FrameStats;

/// Bytes of one eye's projected record of one splat (two uvec4, `shaders/slice.comp`).
pub const RECORD_BYTES: u64 = 32;
pub const UNIFORM_BYTES: u64 = 368;

pub struct Frame {
    pub uniforms: Buffer,
    pub runs: Buffer,
    pub sort: SortBuffers,
    /// The right eye's own sort, with per-eye sorting; else both eyes draw in `sort`'s order.
    pub sort_right: Option<SortBuffers>,
    pub projected: [Buffer; 2],
    /// Each eye's view depth of each splat, written when the frame composites with depth.
    pub view_depth: Buffer,
    pub accumulation: Image,
    /// Made for the first frame that hands depth out to a host.
    pub depth_accumulation: Option<DepthAccumulation>,
    pub target: Image,
    views: Vec<vk::ImageView>,
    /// One render pass per entry: all views at once with multiview, else one per eye.
    pub passes: Vec<Pass>,
    pub readback: Buffer,
    /// The slice pass's counts, copied out for the frame's stats.
    pub counts: Buffer,
    pool: vk::DescriptorPool,
    /// One per resident chunk.
    pub slice_sets: Vec<vk::DescriptorSet>,
    pub raster_set: vk::DescriptorSet,
    pub cmd: vk::CommandBuffer,
    pub fence: vk::Fence,
    /// Timestamps, [`TIMESTAMP_SLOTS`] slots of `query_stride` queries each.
    pub queries: vk::QueryPool,
    pub query_stride: u32,
    pub query_count: u32,
    /// What is known of the frame at submission; completed when it retires.
    pub pending: FrameStats,
    /// Whether `cmd` was submitted since `fence` was last waited for.
    pub in_flight: bool,
    /// Which frame of the renderer this slot last ran (1 for the first).
    pub serial: u64,
    /// Whether the slot's last frame went into a host's command buffer (no fence of ours).
    pub host_pending: bool,
    /// Streaming: pages read for the frame, copied into the pools before its slice pass (on
    /// the upload queue, or by `cmd`).
    pub staging: Option<Buffer>,
    /// A larger staging buffer made for a frame whose pages did not fit `staging` (after a
    /// seek); destroyed when the slot is next used.
    pub overflow: Option<Buffer>,
    /// The copies `cmd` records (none where they went to the upload queue).
    pub copies: Vec<PageCopy>,
    /// Views of the host's image and framebuffers on them, for that frame.
    host_views: Vec<vk::ImageView>,
    host_framebuffers: Vec<vk::Framebuffer>,
}

/// Timestamp slots: frame start, after slice, after sort, then per render pass: after the
/// raster subpass, after the pass.
pub const TIMESTAMP_SLOTS: u32 = 3;
pub const fn raster_end_slot(pass: u32) -> u32 {
    TIMESTAMP_SLOTS + 2 * pass
}
pub const fn pass_end_slot(pass: u32) -> u32 {
    TIMESTAMP_SLOTS + 2 * pass + 1
}

/// The splats' weighted depth, per pass: the image, its views and the resolve's sets reading it
/// beside the colour accumulation.
pub struct DepthAccumulation {
    image: Image,
    format: vk::Format,
    views: Vec<vk::ImageView>,
    pool: vk::DescriptorPool,
    pub resolve_sets: Vec<vk::DescriptorSet>,
}

/// A host's depth image for one frame.
#[derive(Clone, Copy, Debug)]
pub struct HostDepthImage {
    pub image: vk::Image,
    pub format: vk::Format,
    /// The resolve writes depth: the framebuffers take the depth accumulation image.
    pub write: bool,
}

/// What one render pass of a frame draws into.
pub struct Pass {
    pub framebuffer: vk::Framebuffer,
    /// The accumulation image of this pass's views, as the resolve's input attachment.
    pub resolve_set: vk::DescriptorSet,
}

pub struct FrameSpec {
    pub width: u32,
    pub height: u32,
    pub views: u32,
    pub format: vk::Format,
    /// Bytes per pixel of `format`.
    pub texel_bytes: u64,
    pub capacity: u32,
    pub run_capacity: u64,
    /// Views per render pass: `views` with multiview, else 1 (one pass per eye).
    pub pass_views: u32,
    /// Sort each eye on its own (stereo only).
    pub per_eye_sort: bool,
    /// The staging buffer for streamed pages (0: none, everything is resident).
    pub staging_bytes: u64,
}

impl Frame {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ctx: &Context,
        index: usize,
        spec: &FrameSpec,
        pipelines: &Pipelines,
        sort: &RadixSort,
        resident: &Resident,
        command_pool: vk::CommandPool,
    ) -> Result<Frame> {
        // Creation is all-or-nothing: `made` collects what exists so a failure can undo it.
        let mut made = Made::default();
        match Frame::build(ctx, index, spec, pipelines, sort, resident, command_pool, &mut made) {
            Ok(f) => Ok(f),
            Err(e) => {
                made.destroy(ctx, command_pool);
                Err(e)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        ctx: &Context,
        index: usize,
        spec: &FrameSpec,
        pipelines: &Pipelines,
        sort: &RadixSort,
        resident: &Resident,
        command_pool: vk::CommandPool,
        made: &mut Made,
    ) -> Result<Frame> {
        let d = &ctx.device;
        let storage = vk::BufferUsageFlags::STORAGE_BUFFER;
        let n = |what: &str| format!("frame {index} {what}");
        made.buffers.push(ctx.create_buffer(
            &n("uniforms"),
            UNIFORM_BYTES,
            vk::BufferUsageFlags::UNIFORM_BUFFER,
            MemoryKind::Upload,
        )?);
        made.buffers.push(ctx.create_buffer(&n("runs"), spec.run_capacity.max(1) * 16, storage, MemoryKind::Upload)?);
        let record_bytes = spec.capacity.max(1) as u64 * RECORD_BYTES;
        made.buffers.push(ctx.create_buffer(&n("projected eye 0"), record_bytes, storage, MemoryKind::Device)?);
        let second = if spec.views > 1 { record_bytes } else { 16 };
        made.buffers.push(ctx.create_buffer(&n("projected eye 1"), second, storage, MemoryKind::Device)?);
        let depth_bytes = spec.capacity.max(1) as u64 * spec.views as u64 * 4;
        made.buffers.push(ctx.create_buffer(&n("view depth"), depth_bytes, storage, MemoryKind::Device)?);
        let pixels = spec.width as u64 * spec.height as u64 * spec.views as u64;
        made.buffers.push(ctx.create_buffer(
            &n("readback"),
            pixels * spec.texel_bytes,
            vk::BufferUsageFlags::TRANSFER_DST,
            MemoryKind::Readback,
        )?);
        made.buffers.push(ctx.create_buffer(
            &n("counts"),
            COUNT_BYTES,
            vk::BufferUsageFlags::TRANSFER_DST,
            MemoryKind::Readback,
        )?);
        if spec.staging_bytes > 0 {
            made.staging = Some(ctx.create_buffer_on(
                &n("page staging"),
                spec.staging_bytes,
                vk::BufferUsageFlags::TRANSFER_SRC,
                MemoryKind::Upload,
                true,
            )?);
        }
        made.sort = Some(sort.create_buffers(ctx, spec.capacity)?);
        if spec.per_eye_sort && spec.views == 2 {
            made.sort_right = Some(sort.create_buffers(ctx, spec.capacity)?);
        }

        let image = |format, usage| {
            vk::ImageCreateInfo::default()
                .image_type(vk::ImageType::TYPE_2D)
                .format(format)
                .extent(vk::Extent3D { width: spec.width, height: spec.height, depth: 1 })
                .mip_levels(1)
                .array_layers(spec.views)
                .samples(vk::SampleCountFlags::TYPE_1)
                .tiling(vk::ImageTiling::OPTIMAL)
                .usage(usage)
                .initial_layout(vk::ImageLayout::UNDEFINED)
        };
        made.images.push(ctx.create_image(
            &n("accumulation"),
            &image(ACCUMULATION_FORMAT, vk::ImageUsageFlags::COLOR_ATTACHMENT | vk::ImageUsageFlags::INPUT_ATTACHMENT),
        )?);
        made.images.push(ctx.create_image(
            &n("target"),
            &image(spec.format, vk::ImageUsageFlags::COLOR_ATTACHMENT | vk::ImageUsageFlags::TRANSFER_SRC),
        )?);
        let passes = spec.views / spec.pass_views;
        for pass in 0..passes {
            for (i, format) in [ACCUMULATION_FORMAT, spec.format].into_iter().enumerate() {
                let layers = vk::ImageSubresourceRange::default()
                    .aspect_mask(vk::ImageAspectFlags::COLOR)
                    .level_count(1)
                    .base_array_layer(pass * spec.pass_views)
                    .layer_count(spec.pass_views);
                let info = vk::ImageViewCreateInfo::default()
                    .image(made.images[i].raw)
                    .view_type(vk::ImageViewType::TYPE_2D_ARRAY)
                    .format(format)
                    .subresource_range(layers);
                made.views.push(unsafe { d.create_image_view(&info, None) }.map_err(vk_err("vkCreateImageView"))?);
            }
            let attachments = [made.views[2 * pass as usize], made.views[2 * pass as usize + 1]];
            let fb_info = vk::FramebufferCreateInfo::default()
                .render_pass(pipelines.render_pass)
                .attachments(&attachments)
                .width(spec.width)
                .height(spec.height)
                .layers(1);
            made.framebuffers
                .push(unsafe { d.create_framebuffer(&fb_info, None) }.map_err(vk_err("vkCreateFramebuffer"))?);
        }

        let chunks = resident.chunks.len() as u32;
        let sizes = [
            vk::DescriptorPoolSize::default().ty(vk::DescriptorType::UNIFORM_BUFFER).descriptor_count(chunks),
            vk::DescriptorPoolSize::default()
                .ty(vk::DescriptorType::STORAGE_BUFFER)
                .descriptor_count(chunks * SLICE_BINDINGS + RASTER_BINDINGS),
            vk::DescriptorPoolSize::default().ty(vk::DescriptorType::INPUT_ATTACHMENT).descriptor_count(passes),
        ];
        let pool_info = vk::DescriptorPoolCreateInfo::default().max_sets(chunks + 1 + passes).pool_sizes(&sizes);
        made.pool = unsafe { d.create_descriptor_pool(&pool_info, None) }.map_err(vk_err("vkCreateDescriptorPool"))?;
        let mut layouts = vec![pipelines.slice_set_layout; chunks as usize];
        layouts.push(pipelines.raster_set_layout);
        layouts.extend(std::iter::repeat_n(pipelines.resolve_set_layout, passes as usize));
        let alloc = vk::DescriptorSetAllocateInfo::default().descriptor_pool(made.pool).set_layouts(&layouts);
        let sets = unsafe { d.allocate_descriptor_sets(&alloc) }.map_err(vk_err("vkAllocateDescriptorSets"))?;

        let cmd_info = vk::CommandBufferAllocateInfo::default()
            .command_pool(command_pool)
            .level(vk::CommandBufferLevel::PRIMARY)
            .command_buffer_count(1);
        made.cmd = unsafe { d.allocate_command_buffers(&cmd_info) }.map_err(vk_err("vkAllocateCommandBuffers"))?[0];
        made.fence =
            unsafe { d.create_fence(&vk::FenceCreateInfo::default(), None) }.map_err(vk_err("vkCreateFence"))?;
        // A timestamp in a multiview subpass takes one query per view, and lavapipe (Mesa 25)
        // writes one recorded just after a multiview pass to one per view as well: every slot
        // gets a query per view of a pass.
        let query_stride = spec.pass_views;
        let query_count = pass_end_slot(passes - 1).saturating_add(1) * query_stride;
        let query_info =
            vk::QueryPoolCreateInfo::default().query_type(vk::QueryType::TIMESTAMP).query_count(query_count);
        made.queries = unsafe { d.create_query_pool(&query_info, None) }.map_err(vk_err("vkCreateQueryPool"))?;

        let counts = made.buffers.pop().unwrap();
        let readback = made.buffers.pop().unwrap();
        let view_depth = made.buffers.pop().unwrap();
        let projected1 = made.buffers.pop().unwrap();
        let projected0 = made.buffers.pop().unwrap();
        let runs = made.buffers.pop().unwrap();
        let uniforms = made.buffers.pop().unwrap();
        let target = made.images.pop().unwrap();
        let accumulation = made.images.pop().unwrap();
        let frame = Frame {
            uniforms,
            runs,
            sort: made.sort.take().unwrap(),
            sort_right: made.sort_right.take(),
            projected: [projected0, projected1],
            view_depth,
            accumulation,
            depth_accumulation: None,
            target,
            passes: made
                .framebuffers
                .drain(..)
                .enumerate()
                .map(|(p, framebuffer)| Pass { framebuffer, resolve_set: sets[chunks as usize + 1 + p] })
                .collect(),
            views: std::mem::take(&mut made.views),
            readback,
            counts,
            pool: made.pool,
            slice_sets: sets[..chunks as usize].to_vec(),
            raster_set: sets[chunks as usize],
            cmd: made.cmd,
            fence: made.fence,
            queries: made.queries,
            query_stride,
            query_count,
            pending: FrameStats::default(),
            in_flight: false,
            serial: 0,
            host_pending: false,
            host_views: Vec::new(),
            host_framebuffers: Vec::new(),
            staging: made.staging.take(),
            overflow: None,
            copies: Vec::new(),
        };
        frame.write_descriptors(ctx, resident);
        Ok(frame)
    }

    fn write_descriptors(&self, ctx: &Context, resident: &Resident) {
        let whole = |b: &Buffer| (b.raw, 0, vk::WHOLE_SIZE);
        // Without a right-eye sort the slice pass never writes its right-eye bindings; they
        // point at the sort's scratch pair so that every descriptor is valid.
        let (keys_right, values_right, order_right) = match &self.sort_right {
            Some(s) => (&s.keys[0], &s.values[0], &s.values[0]),
            None => (&self.sort.keys[1], &self.sort.values[1], &self.sort.values[0]),
        };
        for (set, chunk) in self.slice_sets.iter().zip(&resident.chunks) {
            let mut buffers = vec![whole(&self.uniforms), whole(&self.runs)];
            buffers.extend((0..Resident::BINDINGS).map(|slot| resident.binding(slot, *chunk)));
            buffers.extend([
                whole(&self.sort.count),
                whole(&self.sort.keys[0]),
                whole(&self.sort.values[0]),
                whole(&self.projected[0]),
                whole(&self.projected[1]),
                whole(keys_right),
                whole(values_right),
                whole(&self.view_depth),
            ]);
            write_buffers(ctx, *set, &buffers, true);
        }
        // The sort's 32-bit keys take four passes and end in pair 0.
        let raster = [
            whole(&self.sort.values[0]),
            whole(&self.projected[0]),
            whole(&self.projected[1]),
            whole(order_right),
            whole(&self.view_depth),
        ];
        write_buffers(ctx, self.raster_set, &raster, false);
        for (p, pass) in self.passes.iter().enumerate() {
            let image = [vk::DescriptorImageInfo::default()
                .image_view(self.views[2 * p])
                .image_layout(vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL)];
            let write = vk::WriteDescriptorSet::default()
                .dst_set(pass.resolve_set)
                .dst_binding(0)
                .descriptor_type(vk::DescriptorType::INPUT_ATTACHMENT)
                .image_info(&image);
            unsafe { ctx.device.update_descriptor_sets(&[write], &[]) };
        }
    }

    /// Framebuffers over a host's image (one per pass, `pass_views` layers each) beside this
    /// frame's accumulation image, and the host's depth image where there is one. They live
    /// until [`Frame::release_host`].
    pub fn attach_host(
        &mut self,
        ctx: &Context,
        render_pass: vk::RenderPass,
        (image, format): (vk::Image, vk::Format),
        depth: Option<HostDepthImage>,
        (width, height, pass_views): (u32, u32, u32),
    ) -> Result<Vec<vk::Framebuffer>> {
        let d = &ctx.device;
        for pass in 0..self.passes.len() {
            let layers = |aspect| {
                vk::ImageSubresourceRange::default()
                    .aspect_mask(aspect)
                    .level_count(1)
                    .base_array_layer(pass as u32 * pass_views)
                    .layer_count(pass_views)
            };
            let mut view = |image, format, aspect| {
                let info = vk::ImageViewCreateInfo::default()
                    .image(image)
                    .view_type(vk::ImageViewType::TYPE_2D_ARRAY)
                    .format(format)
                    .subresource_range(layers(aspect));
                let view = unsafe { d.create_image_view(&info, None) }.map_err(vk_err("vkCreateImageView"))?;
                self.host_views.push(view);
                Ok::<_, crate::error::Error>(view)
            };
            let mut attachments = vec![self.views[2 * pass], view(image, format, vk::ImageAspectFlags::COLOR)?];
            if let Some(depth) = depth {
                if depth.write {
                    let acc = self.depth_accumulation.as_ref().expect("made before the frame attaches");
                    attachments.push(acc.views[pass]);
                }
                // A view of a depth/stencil image as an attachment has both aspects.
                let mut aspect = vk::ImageAspectFlags::DEPTH;
                if pipelines::has_stencil(depth.format) {
                    aspect |= vk::ImageAspectFlags::STENCIL;
                }
                attachments.push(view(depth.image, depth.format, aspect)?);
            }
            let fb_info = vk::FramebufferCreateInfo::default()
                .render_pass(render_pass)
                .attachments(&attachments)
                .width(width)
                .height(height)
                .layers(1);
            let fb = unsafe { d.create_framebuffer(&fb_info, None) }.map_err(vk_err("vkCreateFramebuffer"))?;
            self.host_framebuffers.push(fb);
        }
        Ok(self.host_framebuffers.clone())
    }

    /// Makes the depth accumulation image and its resolve sets, once.
    pub fn make_depth_accumulation(
        &mut self,
        ctx: &Context,
        pipelines: &Pipelines,
        spec: (u32, u32, u32),
    ) -> Result<()> {
        if self.depth_accumulation.is_none() {
            let made = DepthAccumulation::new(ctx, pipelines, spec, self)?;
            self.depth_accumulation = Some(made);
        }
        Ok(())
    }

    /// Destroys what [`Frame::attach_host`] made; the GPU must be done with it.
    pub fn release_host(&mut self, ctx: &Context) {
        unsafe {
            for fb in self.host_framebuffers.drain(..) {
                ctx.device.destroy_framebuffer(fb, None);
            }
            for v in self.host_views.drain(..) {
                ctx.device.destroy_image_view(v, None);
            }
        }
    }

    pub fn destroy(mut self, ctx: &Context, command_pool: vk::CommandPool) {
        self.release_host(ctx);
        if let Some(acc) = self.depth_accumulation.take() {
            acc.destroy(ctx);
        }
        let made = Made {
            buffers: vec![self.uniforms, self.runs, self.readback, self.counts, self.view_depth, {
                let [p0, p1] = self.projected;
                ctx.destroy_buffer(p0);
                p1
            }],
            images: vec![self.accumulation, self.target],
            staging: self.staging,
            overflow: self.overflow,
            views: self.views,
            framebuffers: self.passes.into_iter().map(|p| p.framebuffer).collect(),
            pool: self.pool,
            sort: Some(self.sort),
            sort_right: self.sort_right,
            cmd: self.cmd,
            fence: self.fence,
            queries: self.queries,
        };
        made.destroy(ctx, command_pool);
    }
}

/// Binding i of `set` gets `buffers[i]`; binding 0 is a uniform buffer when `first_uniform`.
fn write_buffers(ctx: &Context, set: vk::DescriptorSet, buffers: &[(vk::Buffer, u64, u64)], first_uniform: bool) {
    let infos: Vec<[vk::DescriptorBufferInfo; 1]> = buffers
        .iter()
        .map(|&(buffer, offset, range)| {
            [vk::DescriptorBufferInfo::default().buffer(buffer).offset(offset).range(range)]
        })
        .collect();
    let writes: Vec<_> = infos
        .iter()
        .enumerate()
        .map(|(i, info)| {
            let ty = if first_uniform && i == 0 {
                vk::DescriptorType::UNIFORM_BUFFER
            } else {
                vk::DescriptorType::STORAGE_BUFFER
            };
            vk::WriteDescriptorSet::default().dst_set(set).dst_binding(i as u32).descriptor_type(ty).buffer_info(info)
        })
        .collect();
    unsafe { ctx.device.update_descriptor_sets(&writes, &[]) };
}

/// What a frame owns, for destruction in one place (also of a half-built frame).
#[derive(Default)]
struct Made {
    buffers: Vec<Buffer>,
    images: Vec<Image>,
    views: Vec<vk::ImageView>,
    framebuffers: Vec<vk::Framebuffer>,
    pool: vk::DescriptorPool,
    sort: Option<SortBuffers>,
    sort_right: Option<SortBuffers>,
    staging: Option<Buffer>,
    overflow: Option<Buffer>,
    cmd: vk::CommandBuffer,
    fence: vk::Fence,
    queries: vk::QueryPool,
}

impl Made {
    fn destroy(self, ctx: &Context, command_pool: vk::CommandPool) {
        let d = &ctx.device;
        unsafe {
            if self.cmd != vk::CommandBuffer::null() {
                d.free_command_buffers(command_pool, &[self.cmd]);
            }
            d.destroy_fence(self.fence, None);
            d.destroy_query_pool(self.queries, None);
            d.destroy_descriptor_pool(self.pool, None);
            for fb in self.framebuffers {
                d.destroy_framebuffer(fb, None);
            }
            for v in self.views {
                d.destroy_image_view(v, None);
            }
        }
        self.images.into_iter().for_each(|i| ctx.destroy_image(i));
        self.buffers.into_iter().chain(self.staging).chain(self.overflow).for_each(|b| ctx.destroy_buffer(b));
        self.sort.into_iter().chain(self.sort_right).for_each(|s| s.destroy(ctx));
    }
}

impl DepthAccumulation {
    /// `(width, height, views)`, `pass_views` layers per pass as the frame's own images.
    fn new(
        ctx: &Context,
        pipelines: &Pipelines,
        (width, height, pass_views): (u32, u32, u32),
        frame: &Frame,
    ) -> Result<DepthAccumulation> {
        let passes = frame.passes.len() as u32;
        let format = pipelines::depth_accumulation_format(ctx);
        let info = vk::ImageCreateInfo::default()
            .image_type(vk::ImageType::TYPE_2D)
            .format(format)
            .extent(vk::Extent3D { width, height, depth: 1 })
            .mip_levels(1)
            .array_layers(passes * pass_views)
            .samples(vk::SampleCountFlags::TYPE_1)
            .tiling(vk::ImageTiling::OPTIMAL)
            .usage(vk::ImageUsageFlags::COLOR_ATTACHMENT | vk::ImageUsageFlags::INPUT_ATTACHMENT)
            .initial_layout(vk::ImageLayout::UNDEFINED);
        let mut acc = DepthAccumulation {
            image: ctx.create_image("depth accumulation", &info)?,
            format,
            views: Vec::new(),
            pool: vk::DescriptorPool::null(),
            resolve_sets: Vec::new(),
        };
        match acc.build(ctx, pipelines, passes, pass_views, frame) {
            Ok(()) => Ok(acc),
            Err(e) => {
                acc.destroy(ctx);
                Err(e)
            }
        }
    }

    fn build(
        &mut self,
        ctx: &Context,
        pipelines: &Pipelines,
        passes: u32,
        pass_views: u32,
        frame: &Frame,
    ) -> Result<()> {
        let d = &ctx.device;
        for pass in 0..passes {
            let layers = vk::ImageSubresourceRange::default()
                .aspect_mask(vk::ImageAspectFlags::COLOR)
                .level_count(1)
                .base_array_layer(pass * pass_views)
                .layer_count(pass_views);
            let info = vk::ImageViewCreateInfo::default()
                .image(self.image.raw)
                .view_type(vk::ImageViewType::TYPE_2D_ARRAY)
                .format(self.format)
                .subresource_range(layers);
            self.views.push(unsafe { d.create_image_view(&info, None) }.map_err(vk_err("vkCreateImageView"))?);
        }
        let sizes =
            [vk::DescriptorPoolSize::default().ty(vk::DescriptorType::INPUT_ATTACHMENT).descriptor_count(2 * passes)];
        let pool_info = vk::DescriptorPoolCreateInfo::default().max_sets(passes).pool_sizes(&sizes);
        self.pool = unsafe { d.create_descriptor_pool(&pool_info, None) }.map_err(vk_err("vkCreateDescriptorPool"))?;
        let layouts = vec![pipelines.resolve_depth_set_layout; passes as usize];
        let alloc = vk::DescriptorSetAllocateInfo::default().descriptor_pool(self.pool).set_layouts(&layouts);
        self.resolve_sets =
            unsafe { d.allocate_descriptor_sets(&alloc) }.map_err(vk_err("vkAllocateDescriptorSets"))?;
        for (p, &set) in self.resolve_sets.iter().enumerate() {
            for (binding, view) in [(0, frame.views[2 * p]), (1, self.views[p])] {
                let image = [vk::DescriptorImageInfo::default()
                    .image_view(view)
                    .image_layout(vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL)];
                let write = vk::WriteDescriptorSet::default()
                    .dst_set(set)
                    .dst_binding(binding)
                    .descriptor_type(vk::DescriptorType::INPUT_ATTACHMENT)
                    .image_info(&image);
                unsafe { d.update_descriptor_sets(&[write], &[]) };
            }
        }
        Ok(())
    }

    fn destroy(self, ctx: &Context) {
        unsafe {
            ctx.device.destroy_descriptor_pool(self.pool, None);
            for v in self.views {
                ctx.device.destroy_image_view(v, None);
            }
        }
        ctx.destroy_image(self.image);
    }
}
