//! The raster (DESIGN §5.3): per render pass (all views at once with multiview, else one per
//! eye), the splats in sorted order into the f16 accumulation attachment, then the resolve
//! subpass over the background into the target.

use ash::vk;
use glam::Vec3;

use super::Recording;
use crate::renderer::frame::{pass_end_slot, raster_end_slot};

/// What the raster draws into and with.
pub(in crate::renderer) struct Target<'a> {
    pub render_pass: vk::RenderPass,
    /// One per render pass of the frame.
    pub framebuffers: &'a [vk::Framebuffer],
    pub extent: vk::Extent2D,
    pub background: Vec3,
    /// The target is `_SRGB`: the resolve writes linear values for the hardware to encode.
    pub srgb: bool,
}

pub(in crate::renderer) fn record(r: &Recording, target: &Target) {
    let (d, cmd, f, p) = (r.d, r.cmd, r.frame, r.pipelines);
    let clear = [vk::ClearValue { color: vk::ClearColorValue { float32: [0.0; 4] } }, vk::ClearValue::default()];
    let area = vk::Rect2D { offset: vk::Offset2D::default(), extent: target.extent };
    let (w, h) = (target.extent.width, target.extent.height);
    let viewport = vk::Viewport { x: 0.0, y: 0.0, width: w as f32, height: h as f32, min_depth: 0.0, max_depth: 1.0 };
    let bg = target.background;
    for (eye, (pass, &framebuffer)) in f.passes.iter().zip(target.framebuffers).enumerate() {
        let begin = vk::RenderPassBeginInfo::default()
            .render_pass(target.render_pass)
            .framebuffer(framebuffer)
            .render_area(area)
            .clear_values(&clear);
        unsafe {
            d.cmd_begin_render_pass(cmd, &begin, vk::SubpassContents::INLINE);
            d.cmd_set_viewport(cmd, 0, &[viewport]);
            d.cmd_set_scissor(cmd, 0, &[area]);
            d.cmd_bind_pipeline(cmd, vk::PipelineBindPoint::GRAPHICS, p.splat);
            d.cmd_bind_descriptor_sets(cmd, vk::PipelineBindPoint::GRAPHICS, p.raster_layout, 0, &[f.raster_set], &[]);
            // With multiview there is one pass and gl_ViewIndex picks the eye.
            let push: [u32; 3] = [(w as f32).to_bits(), (h as f32).to_bits(), eye as u32];
            d.cmd_push_constants(cmd, p.raster_layout, vk::ShaderStageFlags::VERTEX, 0, bytemuck::cast_slice(&push));
            d.cmd_draw_indirect(cmd, f.sort.count.raw, 0, 1, 16);
        }
        r.timestamp(vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT, raster_end_slot(eye as u32));
        unsafe {
            d.cmd_next_subpass(cmd, vk::SubpassContents::INLINE);
            d.cmd_bind_pipeline(cmd, vk::PipelineBindPoint::GRAPHICS, p.resolve);
            let sets = [pass.resolve_set];
            d.cmd_bind_descriptor_sets(cmd, vk::PipelineBindPoint::GRAPHICS, p.resolve_layout, 0, &sets, &[]);
            let push: [u32; 5] = [bg.x.to_bits(), bg.y.to_bits(), bg.z.to_bits(), 0, target.srgb as u32];
            d.cmd_push_constants(cmd, p.resolve_layout, vk::ShaderStageFlags::FRAGMENT, 0, bytemuck::cast_slice(&push));
            d.cmd_draw(cmd, 3, 1, 0, 0);
            d.cmd_end_render_pass(cmd);
        }
        r.timestamp(vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT, pass_end_slot(eye as u32));
    }
}
