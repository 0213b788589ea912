//! The raster (DESIGN §5.3): per render pass (all views at once with multiview, else one per
//! eye), the splats in sorted order into the f16 accumulation attachment (tested against a
//! host's depth, their weighted depth beside them where it goes out), then the resolve subpass
//! into the target: over the background, or over the host's kept pixels, with depth out.

use ash::vk;
use glam::Vec3;

use super::Recording;
use crate::depth::DepthConvention;
use crate::renderer::frame::{pass_end_slot, raster_end_slot};

/// How a frame's render passes draw: into what, with which pipelines, with what depth.
pub(in crate::renderer) struct Draw<'a> {
    pub render_pass: vk::RenderPass,
    /// One per render pass of the frame.
    pub framebuffers: &'a [vk::Framebuffer],
    pub splat: vk::Pipeline,
    pub resolve: vk::Pipeline,
    /// Depth out after `resolve`, where the splats' depth is written.
    pub depth_resolve: vk::Pipeline,
    /// The target's contents are kept under the splats.
    pub keep: bool,
    /// The host's depth convention, and whether the splats' depth is written.
    pub depth: Option<(DepthConvention, bool)>,
}

/// What the raster draws into and with.
pub(in crate::renderer) struct Target<'a> {
    pub draw: &'a Draw<'a>,
    pub extent: vk::Extent2D,
    pub background: Vec3,
    /// The target is `_SRGB`: the resolve writes linear values for the hardware to encode.
    pub srgb: bool,
    /// The frame's views (the slice pass's view depths are kept per view).
    pub views: u32,
}

/// `shaders/depth.glsl`'s mode and planes for a convention (`DEPTH_NONE` without one).
fn depth_push(depth: Option<DepthConvention>) -> [u32; 3] {
    match depth {
        None => [0, 0, 0],
        Some(c) => [if c.reversed { 2 } else { 1 }, c.near.to_bits(), c.far.to_bits()],
    }
}

pub(in crate::renderer) fn record(r: &Recording, target: &Target) {
    let (d, cmd, f, p) = (r.d, r.cmd, r.frame, r.pipelines);
    let draw = target.draw;
    let convention = draw.depth.map(|(c, _)| c);
    let depth_out = draw.depth.is_some_and(|(_, write)| write);
    let zero = vk::ClearValue { color: vk::ClearColorValue { float32: [0.0; 4] } };
    let mut clear = vec![zero, vk::ClearValue::default()];
    if depth_out {
        clear.push(zero);
    }
    if let Some(c) = convention {
        // Only used where the host's depth is not tested: the far plane's value.
        let far = if c.reversed { 0.0 } else { 1.0 };
        clear.push(vk::ClearValue { depth_stencil: vk::ClearDepthStencilValue { depth: far, stencil: 0 } });
    }
    let area = vk::Rect2D { offset: vk::Offset2D::default(), extent: target.extent };
    let (w, h) = (target.extent.width, target.extent.height);
    let viewport = vk::Viewport { x: 0.0, y: 0.0, width: w as f32, height: h as f32, min_depth: 0.0, max_depth: 1.0 };
    let bg = target.background;
    let [mode, near, far] = depth_push(convention);
    // Depth out reads the depth accumulation image beside the colour one.
    let depth_sets = f.depth_accumulation.as_ref().filter(|_| depth_out).map(|acc| &acc.resolve_sets);
    let resolve_layout = if depth_sets.is_some() { p.resolve_depth_layout } else { p.resolve_layout };
    for (eye, (pass, &framebuffer)) in f.passes.iter().zip(draw.framebuffers).enumerate() {
        let resolve_set = depth_sets.map_or(pass.resolve_set, |sets| sets[eye]);
        let begin = vk::RenderPassBeginInfo::default()
            .render_pass(draw.render_pass)
            .framebuffer(framebuffer)
            .render_area(area)
            .clear_values(&clear);
        unsafe {
            d.cmd_begin_render_pass(cmd, &begin, vk::SubpassContents::INLINE);
            d.cmd_set_viewport(cmd, 0, &[viewport]);
            d.cmd_set_scissor(cmd, 0, &[area]);
            d.cmd_bind_pipeline(cmd, vk::PipelineBindPoint::GRAPHICS, draw.splat);
            d.cmd_bind_descriptor_sets(cmd, vk::PipelineBindPoint::GRAPHICS, p.raster_layout, 0, &[f.raster_set], &[]);
            // With multiview there is one pass and gl_ViewIndex picks the eye.
            let push: [u32; 7] =
                [(w as f32).to_bits(), (h as f32).to_bits(), eye as u32, mode, near, far, target.views];
            d.cmd_push_constants(cmd, p.raster_layout, vk::ShaderStageFlags::VERTEX, 0, bytemuck::cast_slice(&push));
            d.cmd_draw_indirect(cmd, f.sort.count.raw, 0, 1, 16);
        }
        r.timestamp(vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT, raster_end_slot(eye as u32));
        unsafe {
            d.cmd_next_subpass(cmd, vk::SubpassContents::INLINE);
            d.cmd_bind_pipeline(cmd, vk::PipelineBindPoint::GRAPHICS, draw.resolve);
            d.cmd_bind_descriptor_sets(cmd, vk::PipelineBindPoint::GRAPHICS, resolve_layout, 0, &[resolve_set], &[]);
            let push: [u32; 9] = [
                bg.x.to_bits(),
                bg.y.to_bits(),
                bg.z.to_bits(),
                0,
                target.srgb as u32,
                draw.keep as u32,
                mode,
                near,
                far,
            ];
            d.cmd_push_constants(cmd, resolve_layout, vk::ShaderStageFlags::FRAGMENT, 0, bytemuck::cast_slice(&push));
            d.cmd_draw(cmd, 3, 1, 0, 0);
            if depth_out {
                d.cmd_bind_pipeline(cmd, vk::PipelineBindPoint::GRAPHICS, draw.depth_resolve);
                d.cmd_draw(cmd, 3, 1, 0, 0);
            }
            d.cmd_end_render_pass(cmd);
        }
        r.timestamp(vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT, pass_end_slot(eye as u32));
    }
}
