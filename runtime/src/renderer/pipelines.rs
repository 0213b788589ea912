//! The renderer's pipelines: the slice compute pipeline, and a two-subpass render pass (splat
//! raster into a float accumulation image, then resolve into the target) with its graphics
//! pipelines. Created once per renderer; multiview when there are two views. Render passes and
//! pipelines for a host's frame with its depth (`renderer/composite.rs`) are built here too.

use ash::vk;

use crate::error::Result;
use crate::gpu::spirv;
use crate::gpu::{vk_err, Context};

pub const ACCUMULATION_FORMAT: vk::Format = vk::Format::R16G16B16A16_SFLOAT;
/// The format of the splats' depth weighted by their blending weights
/// (`shaders/splat_fragment.glsl`), one channel: 32-bit float where the device blends it, else
/// 16-bit, which every device must. f32 is the more precise, and on lavapipe much the cheaper
/// (stereo 2×1024×1024, technicolor-sam: depth out +30 % over the plain frame with f32, +62 %
/// with f16; `benches/composite.rs`).
pub fn depth_accumulation_format(ctx: &Context) -> vk::Format {
    let blends = ctx.format_features(vk::Format::R32_SFLOAT).contains(vk::FormatFeatureFlags::COLOR_ATTACHMENT_BLEND);
    if blends {
        vk::Format::R32_SFLOAT
    } else {
        vk::Format::R16_SFLOAT
    }
}
pub const SLICE_BINDINGS: u32 = 17;
/// Order, projected records of each eye, the right eye's order, view depths
/// (`shaders/splat_vertex.glsl`).
pub const RASTER_BINDINGS: u32 = 5;
/// `shaders/splat_vertex.glsl`'s push constants.
pub const RASTER_PUSH_BYTES: u32 = 28;
/// `shaders/resolve_fragment.glsl`'s push constants.
pub const RESOLVE_PUSH_BYTES: u32 = 36;

pub struct Pipelines {
    pub slice_set_layout: vk::DescriptorSetLayout,
    pub slice_layout: vk::PipelineLayout,
    pub slice: vk::Pipeline,
    pub raster_set_layout: vk::DescriptorSetLayout,
    pub raster_layout: vk::PipelineLayout,
    pub resolve_set_layout: vk::DescriptorSetLayout,
    pub resolve_layout: vk::PipelineLayout,
    /// The resolve's, reading the depth accumulation image too.
    pub resolve_depth_set_layout: vk::DescriptorSetLayout,
    pub resolve_depth_layout: vk::PipelineLayout,
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
            resolve_depth_set_layout: vk::DescriptorSetLayout::null(),
            resolve_depth_layout: vk::PipelineLayout::null(),
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
            vk::PushConstantRange::default().stage_flags(vertex).size(RASTER_PUSH_BYTES),
        )?;
        let fragment = vk::ShaderStageFlags::FRAGMENT;
        let input = |i| binding(i, vk::DescriptorType::INPUT_ATTACHMENT, fragment);
        let resolve_push = vk::PushConstantRange::default().stage_flags(fragment).size(RESOLVE_PUSH_BYTES);
        self.resolve_set_layout = set_layout(ctx, &[input(0)])?;
        self.resolve_layout = pipeline_layout(ctx, self.resolve_set_layout, resolve_push)?;
        self.resolve_depth_set_layout = set_layout(ctx, &[input(0), input(1)])?;
        self.resolve_depth_layout = pipeline_layout(ctx, self.resolve_depth_set_layout, resolve_push)?;

        self.render_pass = render_pass(ctx, target, views, &PassLayouts::offscreen())?;
        self.splat = self.splat_pipeline(ctx, self.render_pass, views, None)?;
        self.resolve = self.resolve_pipeline(ctx, self.render_pass, false, None)?;
        Ok(())
    }

    pub fn destroy(&self, ctx: &Context) {
        let d = &ctx.device;
        unsafe {
            for p in [self.slice, self.splat, self.resolve] {
                d.destroy_pipeline(p, None);
            }
            for l in [self.slice_layout, self.raster_layout, self.resolve_layout, self.resolve_depth_layout] {
                d.destroy_pipeline_layout(l, None);
            }
            let sets =
                [self.slice_set_layout, self.raster_set_layout, self.resolve_set_layout, self.resolve_depth_set_layout];
            for s in sets {
                d.destroy_descriptor_set_layout(s, None);
            }
            d.destroy_render_pass(self.render_pass, None);
        }
    }
}

/// What a render pass does with the target and a host's depth image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PassLayouts {
    /// Where the target's contents are kept (the splats blend over them), its layout before
    /// the pass; `None`: they are discarded and every pixel is written.
    pub keep_from: Option<vk::ImageLayout>,
    /// The target's layout after the pass.
    pub target_final: vk::ImageLayout,
    pub depth: Option<DepthAttachment>,
}

impl PassLayouts {
    /// The renderer's own target, copied out after the pass.
    pub fn offscreen() -> PassLayouts {
        PassLayouts { keep_from: None, target_final: vk::ImageLayout::TRANSFER_SRC_OPTIMAL, depth: None }
    }
}

/// A host's depth image in a render pass: the last attachment, after the depth accumulation
/// image where the splats' depth goes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepthAttachment {
    pub format: vk::Format,
    /// It holds the host's depth, loaded and tested; else it is cleared to the far value.
    pub test: bool,
    /// The resolve writes the splats' depth into it.
    pub write: bool,
    pub initial: vk::ImageLayout,
    pub final_layout: vk::ImageLayout,
}

pub fn has_stencil(format: vk::Format) -> bool {
    matches!(format, vk::Format::D24_UNORM_S8_UINT | vk::Format::D32_SFLOAT_S8_UINT)
}

/// How the splat subpass treats a host's depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SplatDepth {
    /// Fragments behind the host's depth are discarded by the depth test.
    pub test: bool,
    pub reversed: bool,
    /// The splats' weighted depth is blended into the depth accumulation image.
    pub out: bool,
}

/// Subpass 0 blends splats into the accumulation image; subpass 1 reads it as an input
/// attachment and writes every pixel of the target (or blends over it, where its contents are
/// kept), which ends ready to be copied out, or, for a host's image, in the layout the host
/// asked for. With a host's depth image, subpass 0 tests against it and subpass 1 may write the
/// splats' depth into it. Passes differing only in layouts and load operations are compatible,
/// so one set of pipelines serves all of them with the same attachments.
pub fn render_pass(ctx: &Context, target: vk::Format, views: u32, layouts: &PassLayouts) -> Result<vk::RenderPass> {
    let color = |format| vk::AttachmentDescription::default().format(format).samples(vk::SampleCountFlags::TYPE_1);
    let mut attachments = vec![
        color(ACCUMULATION_FORMAT)
            .load_op(vk::AttachmentLoadOp::CLEAR)
            .store_op(vk::AttachmentStoreOp::DONT_CARE)
            .initial_layout(vk::ImageLayout::UNDEFINED)
            .final_layout(vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL),
        match layouts.keep_from {
            Some(layout) => color(target).load_op(vk::AttachmentLoadOp::LOAD).initial_layout(layout),
            // Every pixel is overwritten: what was there need not be kept.
            None => color(target).load_op(vk::AttachmentLoadOp::DONT_CARE).initial_layout(vk::ImageLayout::UNDEFINED),
        }
        .store_op(vk::AttachmentStoreOp::STORE)
        .final_layout(layouts.target_final),
    ];
    let depth_out = layouts.depth.is_some_and(|d| d.write);
    if depth_out {
        attachments.push(
            color(depth_accumulation_format(ctx))
                .load_op(vk::AttachmentLoadOp::CLEAR)
                .store_op(vk::AttachmentStoreOp::DONT_CARE)
                .initial_layout(vk::ImageLayout::UNDEFINED)
                .final_layout(vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL),
        );
    }
    if let Some(d) = layouts.depth {
        // The stencil is the host's: kept whatever happens to depth.
        let stencil = if has_stencil(d.format) {
            (vk::AttachmentLoadOp::LOAD, vk::AttachmentStoreOp::STORE)
        } else {
            (vk::AttachmentLoadOp::DONT_CARE, vk::AttachmentStoreOp::DONT_CARE)
        };
        attachments.push(
            vk::AttachmentDescription::default()
                .format(d.format)
                .samples(vk::SampleCountFlags::TYPE_1)
                .load_op(if d.test { vk::AttachmentLoadOp::LOAD } else { vk::AttachmentLoadOp::CLEAR })
                .store_op(vk::AttachmentStoreOp::STORE)
                .stencil_load_op(stencil.0)
                .stencil_store_op(stencil.1)
                .initial_layout(d.initial)
                .final_layout(d.final_layout),
        );
    }
    let reference = |i: usize, layout| vk::AttachmentReference::default().attachment(i as u32).layout(layout);
    let (write, read) = (vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL, vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL);
    let mut acc_write = vec![reference(0, write)];
    let mut acc_read = vec![reference(0, read)];
    if depth_out {
        acc_write.push(reference(2, write));
        acc_read.push(reference(2, read));
    }
    let target_write = [reference(1, write)];
    let depth = reference(attachments.len() - 1, vk::ImageLayout::DEPTH_STENCIL_ATTACHMENT_OPTIMAL);
    let mut subpasses = [
        vk::SubpassDescription::default()
            .pipeline_bind_point(vk::PipelineBindPoint::GRAPHICS)
            .color_attachments(&acc_write),
        vk::SubpassDescription::default()
            .pipeline_bind_point(vk::PipelineBindPoint::GRAPHICS)
            .input_attachments(&acc_read)
            .color_attachments(&target_write),
    ];
    if layouts.depth.is_some() {
        // Subpass 1 uses it too (written, or only there) so that it is the attachment's last
        // user and the dependency out below orders the final layout transition.
        subpasses = subpasses.map(|s| s.depth_stencil_attachment(&depth));
    }
    let view_local = if views > 1 { vk::DependencyFlags::VIEW_LOCAL } else { vk::DependencyFlags::empty() };
    let (tests, depth_read, depth_write) = if layouts.depth.is_some() {
        (
            vk::PipelineStageFlags::EARLY_FRAGMENT_TESTS | vk::PipelineStageFlags::LATE_FRAGMENT_TESTS,
            vk::AccessFlags::DEPTH_STENCIL_ATTACHMENT_READ,
            vk::AccessFlags::DEPTH_STENCIL_ATTACHMENT_WRITE,
        )
    } else {
        (vk::PipelineStageFlags::empty(), vk::AccessFlags::empty(), vk::AccessFlags::empty())
    };
    // What a host may have written its images with before: copies, shaders, attachments.
    let host_writes = vk::AccessFlags::COLOR_ATTACHMENT_WRITE
        | vk::AccessFlags::TRANSFER_WRITE
        | vk::AccessFlags::SHADER_WRITE
        | depth_write;
    let host_stages = vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT
        | vk::PipelineStageFlags::FRAGMENT_SHADER
        | vk::PipelineStageFlags::TRANSFER
        | tests;
    let dependencies = [
        // The sorted order and projected splats come from compute work before the pass; the
        // attachments' layout transitions, clears and loads (a host's depth, tested here)
        // come after whatever last wrote them.
        vk::SubpassDependency::default()
            .src_subpass(vk::SUBPASS_EXTERNAL)
            .dst_subpass(0)
            // A host's image may last have been read by a shader or a copy: those reads finish
            // before the layout transition overwrites it.
            .src_stage_mask(vk::PipelineStageFlags::COMPUTE_SHADER | host_stages)
            .dst_stage_mask(
                vk::PipelineStageFlags::DRAW_INDIRECT
                    | vk::PipelineStageFlags::VERTEX_SHADER
                    | vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT
                    | tests,
            )
            .src_access_mask(host_writes)
            .dst_access_mask(
                vk::AccessFlags::INDIRECT_COMMAND_READ
                    | vk::AccessFlags::SHADER_READ
                    | vk::AccessFlags::COLOR_ATTACHMENT_WRITE
                    | depth_read
                    | depth_write,
            ),
        // The target is first used by the resolve subpass, so its layout transition (and its
        // load, where it is kept) happens there: it too waits for the target's earlier users
        // (a presentation engine's read, through the acquire semaphore that waits at
        // COLOR_ATTACHMENT_OUTPUT, a copy, or the host's own drawing).
        vk::SubpassDependency::default()
            .src_subpass(vk::SUBPASS_EXTERNAL)
            .dst_subpass(1)
            .src_stage_mask(host_stages)
            .dst_stage_mask(vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT)
            .src_access_mask(host_writes)
            .dst_access_mask(vk::AccessFlags::COLOR_ATTACHMENT_READ | vk::AccessFlags::COLOR_ATTACHMENT_WRITE),
        // Resolve reads each pixel's accumulated values once blending has finished (the
        // accumulation images' end-of-pass store, DONT_CARE, counts as a later write), and
        // writes depth only after the splat subpass's tests have read it.
        vk::SubpassDependency::default()
            .src_subpass(0)
            .dst_subpass(1)
            .src_stage_mask(vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT | tests)
            .dst_stage_mask(
                vk::PipelineStageFlags::FRAGMENT_SHADER | vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT | tests,
            )
            .src_access_mask(vk::AccessFlags::COLOR_ATTACHMENT_WRITE | depth_write)
            .dst_access_mask(
                vk::AccessFlags::INPUT_ATTACHMENT_READ
                    | vk::AccessFlags::COLOR_ATTACHMENT_WRITE
                    | depth_read
                    | depth_write,
            )
            .dependency_flags(vk::DependencyFlags::BY_REGION | view_local),
        // The target is copied out after the pass (a host orders its own later use with a
        // barrier from COLOR_ATTACHMENT_OUTPUT and LATE_FRAGMENT_TESTS, as its contract says).
        vk::SubpassDependency::default()
            .src_subpass(1)
            .dst_subpass(vk::SUBPASS_EXTERNAL)
            .src_stage_mask(vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT | tests)
            .dst_stage_mask(vk::PipelineStageFlags::TRANSFER)
            .src_access_mask(vk::AccessFlags::COLOR_ATTACHMENT_WRITE | depth_write)
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

/// Back to front, premultiplied "over": dst = src + (1 - src.a) · dst. Front-to-back "under"
/// needs (1 - dst.a) to stay precise as dst.a nears 1, which a 16-bit float attachment cannot
/// give: in dense scenes its error compounds (22 dB against the reference at 1M splats); "over"
/// attenuates each rounding error by the layers in front of it. The resolve blends the same
/// way over a host's kept pixels.
fn over(enabled: bool) -> vk::PipelineColorBlendAttachmentState {
    vk::PipelineColorBlendAttachmentState::default()
        .blend_enable(enabled)
        .src_color_blend_factor(vk::BlendFactor::ONE)
        .dst_color_blend_factor(vk::BlendFactor::ONE_MINUS_SRC_ALPHA)
        .color_blend_op(vk::BlendOp::ADD)
        .src_alpha_blend_factor(vk::BlendFactor::ONE)
        .dst_alpha_blend_factor(vk::BlendFactor::ONE_MINUS_SRC_ALPHA)
        .alpha_blend_op(vk::BlendOp::ADD)
        .color_write_mask(vk::ColorComponentFlags::RGBA)
}

impl Pipelines {
    /// The splat subpass's pipeline for `render_pass`, with `depth` as the pass has it.
    pub fn splat_pipeline(
        &self,
        ctx: &Context,
        render_pass: vk::RenderPass,
        views: u32,
        depth: Option<SplatDepth>,
    ) -> Result<vk::Pipeline> {
        let vs = if views > 1 { spirv::SPLAT_VERT } else { spirv::SPLAT_SINGLE_VERT };
        let out = depth.is_some_and(|d| d.out);
        let fs = if out { spirv::SPLAT_DEPTH_FRAG } else { spirv::SPLAT_FRAG };
        let blend = if out { vec![over(true), over(true)] } else { vec![over(true)] };
        // Tested, never written: the host's depth stays as it drew it.
        let tests = depth.map(|d| {
            let op = if d.reversed { vk::CompareOp::GREATER } else { vk::CompareOp::LESS };
            vk::PipelineDepthStencilStateCreateInfo::default().depth_test_enable(d.test).depth_compare_op(op)
        });
        let shape = Shape { render_pass, subpass: 0, strip: true, blend: &blend, depth: tests.as_ref() };
        graphics_pipeline(ctx, "splat", (vs, fs), self.raster_layout, &shape)
    }

    /// The resolve subpass's colour pipeline for `render_pass`: blending over the target where
    /// its contents are kept. `depth`: the pass has a host's depth image (untouched here), and
    /// whether the splats' depth goes out (the subpass then reads two accumulation images).
    pub fn resolve_pipeline(
        &self,
        ctx: &Context,
        render_pass: vk::RenderPass,
        keep: bool,
        depth: Option<bool>,
    ) -> Result<vk::Pipeline> {
        let layout = if depth == Some(true) { self.resolve_depth_layout } else { self.resolve_layout };
        let untouched = vk::PipelineDepthStencilStateCreateInfo::default();
        let blend = [over(keep)];
        let shape = Shape { render_pass, subpass: 1, strip: false, blend: &blend, depth: depth.map(|_| &untouched) };
        graphics_pipeline(ctx, "resolve", (spirv::RESOLVE_VERT, spirv::RESOLVE_FRAG), layout, &shape)
    }

    /// Depth out, drawn after the colour resolve: the splats' depth replaces the host's where
    /// it is nearer (or equal), and no colour is written.
    pub fn depth_resolve_pipeline(
        &self,
        ctx: &Context,
        render_pass: vk::RenderPass,
        reversed: bool,
    ) -> Result<vk::Pipeline> {
        let op = if reversed { vk::CompareOp::GREATER_OR_EQUAL } else { vk::CompareOp::LESS_OR_EQUAL };
        let tests = vk::PipelineDepthStencilStateCreateInfo::default()
            .depth_test_enable(true)
            .depth_write_enable(true)
            .depth_compare_op(op);
        let blend =
            [vk::PipelineColorBlendAttachmentState::default().color_write_mask(vk::ColorComponentFlags::empty())];
        let shape = Shape { render_pass, subpass: 1, strip: false, blend: &blend, depth: Some(&tests) };
        let shaders = (spirv::RESOLVE_VERT, spirv::RESOLVE_DEPTH_FRAG);
        graphics_pipeline(ctx, "depth resolve", shaders, self.resolve_depth_layout, &shape)
    }
}

/// What differs between the renderer's graphics pipelines.
struct Shape<'a> {
    render_pass: vk::RenderPass,
    subpass: u32,
    /// A quad per instance (the splats), else a triangle list (the resolve's one triangle).
    strip: bool,
    blend: &'a [vk::PipelineColorBlendAttachmentState],
    depth: Option<&'a vk::PipelineDepthStencilStateCreateInfo<'a>>,
}

fn graphics_pipeline(
    ctx: &Context,
    name: &str,
    (vs, fs): (&[u8], &[u8]),
    layout: vk::PipelineLayout,
    shape: &Shape,
) -> Result<vk::Pipeline> {
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
        if shape.strip { vk::PrimitiveTopology::TRIANGLE_STRIP } else { vk::PrimitiveTopology::TRIANGLE_LIST };
    let assembly = vk::PipelineInputAssemblyStateCreateInfo::default().topology(topology);
    let viewport = vk::PipelineViewportStateCreateInfo::default().viewport_count(1).scissor_count(1);
    let raster = vk::PipelineRasterizationStateCreateInfo::default()
        .polygon_mode(vk::PolygonMode::FILL)
        .cull_mode(vk::CullModeFlags::NONE)
        .line_width(1.0);
    let multisample =
        vk::PipelineMultisampleStateCreateInfo::default().rasterization_samples(vk::SampleCountFlags::TYPE_1);
    let blend = vk::PipelineColorBlendStateCreateInfo::default().attachments(shape.blend);
    let dynamic_states = [vk::DynamicState::VIEWPORT, vk::DynamicState::SCISSOR];
    let dynamic = vk::PipelineDynamicStateCreateInfo::default().dynamic_states(&dynamic_states);
    let mut info = vk::GraphicsPipelineCreateInfo::default()
        .stages(&stages)
        .vertex_input_state(&vertex_input)
        .input_assembly_state(&assembly)
        .viewport_state(&viewport)
        .rasterization_state(&raster)
        .multisample_state(&multisample)
        .color_blend_state(&blend)
        .dynamic_state(&dynamic)
        .layout(layout)
        .render_pass(shape.render_pass)
        .subpass(shape.subpass);
    if let Some(depth) = shape.depth {
        info = info.depth_stencil_state(depth);
    }
    let result = unsafe { ctx.device.create_graphics_pipelines(vk::PipelineCache::null(), &[info], None) };
    unsafe {
        ctx.device.destroy_shader_module(vs, None);
        ctx.device.destroy_shader_module(fs, None);
    }
    let pipeline = result.map_err(|(_, e)| vk_err("vkCreateGraphicsPipelines")(e))?[0];
    ctx.name(pipeline, name);
    Ok(pipeline)
}
