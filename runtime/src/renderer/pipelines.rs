//! The renderer's pipelines: the slice compute pipeline, and a two-subpass render pass (splat
//! raster into a float accumulation image, then resolve into the target) with its graphics
//! pipelines. Created once per renderer; multiview when there are two views.

use ash::vk;

use crate::error::Result;
use crate::gpu::spirv;
use crate::gpu::{vk_err, Context};

pub const ACCUMULATION_FORMAT: vk::Format = vk::Format::R16G16B16A16_SFLOAT;
pub const SLICE_BINDINGS: u32 = 16;
/// Order, projected records of each eye, the right eye's order (`shaders/splat_vertex.glsl`).
pub const RASTER_BINDINGS: u32 = 4;

pub struct Pipelines {
    pub slice_set_layout: vk::DescriptorSetLayout,
    pub slice_layout: vk::PipelineLayout,
    pub slice: vk::Pipeline,
    pub raster_set_layout: vk::DescriptorSetLayout,
    pub raster_layout: vk::PipelineLayout,
    pub resolve_set_layout: vk::DescriptorSetLayout,
    pub resolve_layout: vk::PipelineLayout,
    pub render_pass: vk::RenderPass,
    pub splat: vk::Pipeline,
    pub resolve: vk::Pipeline,
}

fn set_layout(ctx: &Context, bindings: &[vk::DescriptorSetLayoutBinding]) -> Result<vk::DescriptorSetLayout> {
    unsafe {
        ctx.device.create_descriptor_set_layout(&vk::DescriptorSetLayoutCreateInfo::default().bindings(bindings), None)
    }
    .map_err(vk_err("vkCreateDescriptorSetLayout"))
}

fn binding(
    index: u32,
    ty: vk::DescriptorType,
    stages: vk::ShaderStageFlags,
) -> vk::DescriptorSetLayoutBinding<'static> {
    vk::DescriptorSetLayoutBinding::default().binding(index).descriptor_type(ty).descriptor_count(1).stage_flags(stages)
}

fn pipeline_layout(
    ctx: &Context,
    set: vk::DescriptorSetLayout,
    push: vk::PushConstantRange,
) -> Result<vk::PipelineLayout> {
    let sets = [set];
    let ranges = [push];
    let info = vk::PipelineLayoutCreateInfo::default().set_layouts(&sets).push_constant_ranges(&ranges);
    unsafe { ctx.device.create_pipeline_layout(&info, None) }.map_err(vk_err("vkCreatePipelineLayout"))
}

impl Pipelines {
    /// `views`: views per render pass (2 for multiview stereo, else 1).
    pub fn new(ctx: &Context, target: vk::Format, views: u32) -> Result<Pipelines> {
        let mut p = Pipelines {
            slice_set_layout: vk::DescriptorSetLayout::null(),
            slice_layout: vk::PipelineLayout::null(),
            slice: vk::Pipeline::null(),
            raster_set_layout: vk::DescriptorSetLayout::null(),
            raster_layout: vk::PipelineLayout::null(),
            resolve_set_layout: vk::DescriptorSetLayout::null(),
            resolve_layout: vk::PipelineLayout::null(),
            render_pass: vk::RenderPass::null(),
            splat: vk::Pipeline::null(),
            resolve: vk::Pipeline::null(),
        };
        match p.build(ctx, target, views) {
            Ok(()) => Ok(p),
            Err(e) => {
                p.destroy(ctx);
                Err(e)
            }
        }
    }

    fn build(&mut self, ctx: &Context, target: vk::Format, views: u32) -> Result<()> {
        let compute = vk::ShaderStageFlags::COMPUTE;
        let storage = vk::DescriptorType::STORAGE_BUFFER;
        let slice_bindings: Vec<_> = (0..SLICE_BINDINGS)
            .map(|i| binding(i, if i == 0 { vk::DescriptorType::UNIFORM_BUFFER } else { storage }, compute))
            .collect();
        self.slice_set_layout = set_layout(ctx, &slice_bindings)?;
        self.slice_layout = pipeline_layout(
            ctx,
            self.slice_set_layout,
            vk::PushConstantRange::default().stage_flags(compute).size(12),
        )?;
        self.slice = crate::gpu::sort::compute_pipeline(ctx, self.slice_layout, "slice", spirv::SLICE_COMP)?;

        let vertex = vk::ShaderStageFlags::VERTEX;
        let raster_bindings: Vec<_> = (0..RASTER_BINDINGS).map(|i| binding(i, storage, vertex)).collect();
        self.raster_set_layout = set_layout(ctx, &raster_bindings)?;
        self.raster_layout = pipeline_layout(
            ctx,
            self.raster_set_layout,
            vk::PushConstantRange::default().stage_flags(vertex).size(12),
        )?;
        let fragment = vk::ShaderStageFlags::FRAGMENT;
        self.resolve_set_layout = set_layout(ctx, &[binding(0, vk::DescriptorType::INPUT_ATTACHMENT, fragment)])?;
        self.resolve_layout = pipeline_layout(
            ctx,
            self.resolve_set_layout,
            vk::PushConstantRange::default().stage_flags(fragment).size(20),
        )?;

        self.render_pass = render_pass(ctx, target, views, None)?;
        self.splat = graphics_pipeline(ctx, self, 0, views)?;
        self.resolve = graphics_pipeline(ctx, self, 1, views)?;
        Ok(())
    }

    pub fn destroy(&self, ctx: &Context) {
        let d = &ctx.device;
        unsafe {
            for p in [self.slice, self.splat, self.resolve] {
                d.destroy_pipeline(p, None);
            }
            for l in [self.slice_layout, self.raster_layout, self.resolve_layout] {
                d.destroy_pipeline_layout(l, None);
            }
            for s in [self.slice_set_layout, self.raster_set_layout, self.resolve_set_layout] {
                d.destroy_descriptor_set_layout(s, None);
            }
            d.destroy_render_pass(self.render_pass, None);
        }
    }
}

/// Subpass 0 blends splats into the accumulation image; subpass 1 reads it as an input
/// attachment and writes every pixel of the target, which ends ready to be copied out, or, for
/// a host's image, in the layout the host asked for. Passes differing only in that layout are
/// compatible, so the pipelines serve both.
pub fn render_pass(
    ctx: &Context,
    target: vk::Format,
    views: u32,
    host_layout: Option<vk::ImageLayout>,
) -> Result<vk::RenderPass> {
    let attachments = [
        vk::AttachmentDescription::default()
            .format(ACCUMULATION_FORMAT)
            .samples(vk::SampleCountFlags::TYPE_1)
            .load_op(vk::AttachmentLoadOp::CLEAR)
            .store_op(vk::AttachmentStoreOp::DONT_CARE)
            .initial_layout(vk::ImageLayout::UNDEFINED)
            .final_layout(vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL),
        vk::AttachmentDescription::default()
            .format(target)
            .samples(vk::SampleCountFlags::TYPE_1)
            .load_op(vk::AttachmentLoadOp::DONT_CARE)
            .store_op(vk::AttachmentStoreOp::STORE)
            // Every pixel is overwritten: what was there need not be kept.
            .initial_layout(vk::ImageLayout::UNDEFINED)
            .final_layout(host_layout.unwrap_or(vk::ImageLayout::TRANSFER_SRC_OPTIMAL)),
    ];
    let acc_write =
        [vk::AttachmentReference::default().attachment(0).layout(vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL)];
    let acc_read = [vk::AttachmentReference::default().attachment(0).layout(vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL)];
    let target_write =
        [vk::AttachmentReference::default().attachment(1).layout(vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL)];
    let subpasses = [
        vk::SubpassDescription::default()
            .pipeline_bind_point(vk::PipelineBindPoint::GRAPHICS)
            .color_attachments(&acc_write),
        vk::SubpassDescription::default()
            .pipeline_bind_point(vk::PipelineBindPoint::GRAPHICS)
            .input_attachments(&acc_read)
            .color_attachments(&target_write),
    ];
    let view_local = if views > 1 { vk::DependencyFlags::VIEW_LOCAL } else { vk::DependencyFlags::empty() };
    let dependencies = [
        // The sorted order and projected splats come from compute work before the pass; the
        // attachments' layout transitions and clears come after whatever last wrote them.
        vk::SubpassDependency::default()
            .src_subpass(vk::SUBPASS_EXTERNAL)
            .dst_subpass(0)
            // A host's image may last have been read by a shader or a copy: those reads finish
            // before the layout transition overwrites it.
            .src_stage_mask(
                vk::PipelineStageFlags::COMPUTE_SHADER
                    | vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT
                    | vk::PipelineStageFlags::FRAGMENT_SHADER
                    | vk::PipelineStageFlags::TRANSFER,
            )
            .dst_stage_mask(
                vk::PipelineStageFlags::DRAW_INDIRECT
                    | vk::PipelineStageFlags::VERTEX_SHADER
                    | vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT,
            )
            .src_access_mask(vk::AccessFlags::SHADER_WRITE | vk::AccessFlags::COLOR_ATTACHMENT_WRITE)
            .dst_access_mask(
                vk::AccessFlags::INDIRECT_COMMAND_READ
                    | vk::AccessFlags::SHADER_READ
                    | vk::AccessFlags::COLOR_ATTACHMENT_WRITE,
            ),
        // The target is first used by the resolve subpass, so its layout transition happens
        // there: it too waits for the target's earlier users (a presentation engine's read,
        // through the acquire semaphore that waits at COLOR_ATTACHMENT_OUTPUT, or a copy).
        vk::SubpassDependency::default()
            .src_subpass(vk::SUBPASS_EXTERNAL)
            .dst_subpass(1)
            .src_stage_mask(
                vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT
                    | vk::PipelineStageFlags::FRAGMENT_SHADER
                    | vk::PipelineStageFlags::TRANSFER,
            )
            .dst_stage_mask(vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT)
            .src_access_mask(vk::AccessFlags::COLOR_ATTACHMENT_WRITE)
            .dst_access_mask(vk::AccessFlags::COLOR_ATTACHMENT_WRITE),
        // Resolve reads each pixel's accumulated value once blending has finished; the
        // accumulation image's end-of-pass store (DONT_CARE) counts as a later write.
        vk::SubpassDependency::default()
            .src_subpass(0)
            .dst_subpass(1)
            .src_stage_mask(vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT)
            .dst_stage_mask(vk::PipelineStageFlags::FRAGMENT_SHADER | vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT)
            .src_access_mask(vk::AccessFlags::COLOR_ATTACHMENT_WRITE)
            .dst_access_mask(vk::AccessFlags::INPUT_ATTACHMENT_READ | vk::AccessFlags::COLOR_ATTACHMENT_WRITE)
            .dependency_flags(vk::DependencyFlags::BY_REGION | view_local),
        // The target is copied out after the pass (a host orders its own later use with a
        // barrier from COLOR_ATTACHMENT_OUTPUT, as its contract says).
        vk::SubpassDependency::default()
            .src_subpass(1)
            .dst_subpass(vk::SUBPASS_EXTERNAL)
            .src_stage_mask(vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT)
            .dst_stage_mask(vk::PipelineStageFlags::TRANSFER)
            .src_access_mask(vk::AccessFlags::COLOR_ATTACHMENT_WRITE)
            .dst_access_mask(vk::AccessFlags::TRANSFER_READ),
    ];
    let masks = [(1u32 << views) - 1; 2];
    let correlation = [(1u32 << views) - 1];
    let mut multiview = vk::RenderPassMultiviewCreateInfo::default().view_masks(&masks).correlation_masks(&correlation);
    let mut info =
        vk::RenderPassCreateInfo::default().attachments(&attachments).subpasses(&subpasses).dependencies(&dependencies);
    if views > 1 {
        info = info.push_next(&mut multiview);
    }
    let pass = unsafe { ctx.device.create_render_pass(&info, None) }.map_err(vk_err("vkCreateRenderPass"))?;
    ctx.name(pass, "splat render pass");
    Ok(pass)
}

fn graphics_pipeline(ctx: &Context, p: &Pipelines, subpass: u32, views: u32) -> Result<vk::Pipeline> {
    let (name, vs, fs, layout) = if subpass == 0 {
        let vs = if views > 1 { spirv::SPLAT_VERT } else { spirv::SPLAT_SINGLE_VERT };
        ("splat", vs, spirv::SPLAT_FRAG, p.raster_layout)
    } else {
        ("resolve", spirv::RESOLVE_VERT, spirv::RESOLVE_FRAG, p.resolve_layout)
    };
    let vs = ctx.create_shader(name, vs)?;
    let fs = match ctx.create_shader(name, fs) {
        Ok(f) => f,
        Err(e) => {
            unsafe { ctx.device.destroy_shader_module(vs, None) };
            return Err(e);
        }
    };
    let stages = [
        vk::PipelineShaderStageCreateInfo::default().stage(vk::ShaderStageFlags::VERTEX).module(vs).name(c"main"),
        vk::PipelineShaderStageCreateInfo::default().stage(vk::ShaderStageFlags::FRAGMENT).module(fs).name(c"main"),
    ];
    let vertex_input = vk::PipelineVertexInputStateCreateInfo::default();
    let topology =
        if subpass == 0 { vk::PrimitiveTopology::TRIANGLE_STRIP } else { vk::PrimitiveTopology::TRIANGLE_LIST };
    let assembly = vk::PipelineInputAssemblyStateCreateInfo::default().topology(topology);
    let viewport = vk::PipelineViewportStateCreateInfo::default().viewport_count(1).scissor_count(1);
    let raster = vk::PipelineRasterizationStateCreateInfo::default()
        .polygon_mode(vk::PolygonMode::FILL)
        .cull_mode(vk::CullModeFlags::NONE)
        .line_width(1.0);
    let multisample =
        vk::PipelineMultisampleStateCreateInfo::default().rasterization_samples(vk::SampleCountFlags::TYPE_1);
    // Back to front, premultiplied "over": dst = src + (1 - src.a) · dst. Front-to-back
    // "under" needs (1 - dst.a) to stay precise as dst.a nears 1, which a 16-bit float
    // attachment cannot give: in dense scenes its error compounds (22 dB against the reference
    // at 1M splats); "over" attenuates each rounding error by the layers in front of it.
    let over = vk::PipelineColorBlendAttachmentState::default()
        .blend_enable(subpass == 0)
        .src_color_blend_factor(vk::BlendFactor::ONE)
        .dst_color_blend_factor(vk::BlendFactor::ONE_MINUS_SRC_ALPHA)
        .color_blend_op(vk::BlendOp::ADD)
        .src_alpha_blend_factor(vk::BlendFactor::ONE)
        .dst_alpha_blend_factor(vk::BlendFactor::ONE_MINUS_SRC_ALPHA)
        .alpha_blend_op(vk::BlendOp::ADD)
        .color_write_mask(vk::ColorComponentFlags::RGBA);
    let attachments = [over];
    let blend = vk::PipelineColorBlendStateCreateInfo::default().attachments(&attachments);
    let dynamic_states = [vk::DynamicState::VIEWPORT, vk::DynamicState::SCISSOR];
    let dynamic = vk::PipelineDynamicStateCreateInfo::default().dynamic_states(&dynamic_states);
    let info = vk::GraphicsPipelineCreateInfo::default()
        .stages(&stages)
        .vertex_input_state(&vertex_input)
        .input_assembly_state(&assembly)
        .viewport_state(&viewport)
        .rasterization_state(&raster)
        .multisample_state(&multisample)
        .color_blend_state(&blend)
        .dynamic_state(&dynamic)
        .layout(layout)
        .render_pass(p.render_pass)
        .subpass(subpass);
    let result = unsafe { ctx.device.create_graphics_pipelines(vk::PipelineCache::null(), &[info], None) };
    unsafe {
        ctx.device.destroy_shader_module(vs, None);
        ctx.device.destroy_shader_module(fs, None);
    }
    let pipeline = result.map_err(|(_, e)| vk_err("vkCreateGraphicsPipelines")(e))?[0];
    ctx.name(pipeline, name);
    Ok(pipeline)
}
