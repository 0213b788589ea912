//! Compositing into a host's frame (renderer/composite.rs) against the CPU reference
//! (`reference::composite`), with validation and synchronisation validation on: the host's
//! colour kept under the splats, its depth (every depth format, standard and reverse Z)
//! hiding them, and their depth and coverage handed back, mono and stereo (multiview, and one
//! pass per eye).
//!
//! The host frame is made on the CPU and copied into the host's images, so the reference sees
//! exactly the values the GPU tests against: a background gradient with no geometry (depth at
//! the far value) and a slanted box face, opaque, whose depth runs through the scene's splats
//! from the front fifth of them to the back fifth across its width.

mod common;

use ash::vk;
use splat4d::depth::DepthConvention;
use splat4d::glam::Vec3;
use splat4d::gpu::{Buffer, Context, ContextOptions, Image, MemoryKind};
use splat4d::reference::{self, composite, preprocess, Host, RenderSettings};
use splat4d::renderer::{HostColor, HostDepth, HostTarget, Renderer, RendererOptions, TargetFormat};
use splat4d::{demo, Asset, Camera};

const W: u32 = 128;
const H: u32 = 96;
const TIME: f32 = 1.3;

#[derive(Clone, Copy, Debug)]
struct Case {
    views: u32,
    target: TargetFormat,
    depth: vk::Format,
    convention: DepthConvention,
    keep: bool,
    test: bool,
    write: bool,
}

const STANDARD: DepthConvention = DepthConvention { near: 0.1, far: 100.0, reversed: false };
const REVERSED: DepthConvention = DepthConvention { near: 0.05, far: f32::INFINITY, reversed: true };

fn eyes(asset: &Asset, views: u32) -> Vec<Camera> {
    let c = asset.cameras()[0].resized(W, H);
    if views == 1 {
        return vec![c];
    }
    let right = c.rotation.col(0) * 0.032;
    vec![Camera { position: c.position - right, ..c }, Camera { position: c.position + right, ..c }]
}

/// One eye's host frame: premultiplied colour in the target's values, view depth (∞: none).
struct HostFrame {
    color: Vec<[f32; 4]>,
    depth: Vec<f32>,
}

/// The box's face spans columns W/4..3W/4 and rows H/3..H; its depth runs from `z0` to `z1`.
fn in_box(x: u32, y: u32) -> bool {
    (W / 4..3 * W / 4).contains(&x) && y >= H / 3
}

fn host_frame(z0: f32, z1: f32) -> HostFrame {
    let mut color = Vec::new();
    let mut depth = Vec::new();
    for y in 0..H {
        for x in 0..W {
            if in_box(x, y) {
                let s = (x - W / 4) as f32 / (W / 2) as f32;
                color.push([0.8, 0.55 + 0.2 * s, 0.2, 1.0]);
                depth.push(z0 + (z1 - z0) * s);
            } else {
                // Half-transparent sky, premultiplied.
                color.push([0.5 * x as f32 / W as f32, 0.15, 0.5 * y as f32 / H as f32, 0.5]);
                depth.push(f32::INFINITY);
            }
        }
    }
    HostFrame { color, depth }
}

/// `rgba8` (the target's values as bytes: sRGB-encoded for every linear-light target) as the
/// texels of a host colour image of `format`: float formats hold linear light, so their texels
/// are the bytes decoded. B10G11R11's small floats share half floats' exponent and are their
/// top bits (mantissa rounded to 6 and 5 bits), written here through `half`, not splat4d.
fn to_texels(format: TargetFormat, rgba8: &[u8]) -> Vec<u8> {
    let linear = |b: u8| half::f16::from_f32(reference::srgb_to_linear(b as f32 / 255.0)).to_bits() as u32;
    match format {
        TargetFormat::Rgba16Float => rgba8
            .chunks_exact(4)
            .flat_map(|p| {
                let alpha = half::f16::from_f32(p[3] as f32 / 255.0).to_bits() as u32;
                [linear(p[0]), linear(p[1]), linear(p[2]), alpha].into_iter().flat_map(|h| (h as u16).to_le_bytes())
            })
            .collect(),
        TargetFormat::B10g11r11Float => rgba8
            .chunks_exact(4)
            .flat_map(|p| {
                let (r, g, b) = ((linear(p[0]) + 8) >> 4, (linear(p[1]) + 8) >> 4, (linear(p[2]) + 16) >> 5);
                (r | g << 11 | b << 22).to_le_bytes()
            })
            .collect(),
        TargetFormat::Bgra8Unorm | TargetFormat::Bgra8Srgb => {
            rgba8.chunks_exact(4).flat_map(|p| [p[2], p[1], p[0], p[3]]).collect()
        }
        _ => rgba8.to_vec(),
    }
}

/// Texels of a host colour image of `format` as RGBA8 (float formats' linear light encoded;
/// alpha 255 where there is none): the inverse of [`to_texels`] up to rounding.
fn from_texels(format: TargetFormat, texels: &[u8]) -> Vec<u8> {
    let encode = |h: u32| {
        let v = half::f16::from_bits(h as u16).to_f32().clamp(0.0, 1.0);
        (reference::linear_to_srgb(v) * 255.0).round() as u8
    };
    match format {
        TargetFormat::Rgba16Float => texels
            .chunks_exact(8)
            .flat_map(|t| {
                let h = |i: usize| u16::from_le_bytes([t[2 * i], t[2 * i + 1]]) as u32;
                let alpha = (half::f16::from_bits(h(3) as u16).to_f32().clamp(0.0, 1.0) * 255.0).round() as u8;
                [encode(h(0)), encode(h(1)), encode(h(2)), alpha]
            })
            .collect(),
        TargetFormat::B10g11r11Float => texels
            .chunks_exact(4)
            .flat_map(|t| {
                let w = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
                [encode((w & 0x7ff) << 4), encode(((w >> 11) & 0x7ff) << 4), encode((w >> 22) << 5), 255]
            })
            .collect(),
        TargetFormat::Bgra8Unorm | TargetFormat::Bgra8Srgb => {
            texels.chunks_exact(4).flat_map(|p| [p[2], p[1], p[0], p[3]]).collect()
        }
        _ => texels.to_vec(),
    }
}

fn color_texel(format: TargetFormat) -> usize {
    if format == TargetFormat::Rgba16Float {
        8
    } else {
        4
    }
}

/// Bytes per texel of the depth aspect as buffers hold it, and of the stencil aspect.
fn texel(format: vk::Format) -> (usize, usize) {
    match format {
        vk::Format::D16_UNORM => (2, 0),
        vk::Format::X8_D24_UNORM_PACK32 | vk::Format::D32_SFLOAT => (4, 0),
        vk::Format::D24_UNORM_S8_UINT | vk::Format::D32_SFLOAT_S8_UINT => (4, 1),
        _ => unreachable!(),
    }
}

/// The stored value of view depth `z` as `format` holds it, and what it reads back as.
fn quantise(format: vk::Format, convention: &DepthConvention, z: f32) -> (Vec<u8>, f32) {
    let d = if z.is_infinite() {
        if convention.reversed {
            0.0
        } else {
            1.0
        }
    } else {
        convention.stored(z)
    };
    match format {
        vk::Format::D16_UNORM => {
            let q = (d as f64 * 65535.0).round() as u16;
            (q.to_le_bytes().to_vec(), q as f32 / 65535.0)
        }
        vk::Format::X8_D24_UNORM_PACK32 | vk::Format::D24_UNORM_S8_UINT => {
            let max = ((1u32 << 24) - 1) as f64;
            let q = (d as f64 * max).round() as u32;
            (q.to_le_bytes().to_vec(), (q as f64 / max) as f32)
        }
        _ => (d.to_le_bytes().to_vec(), d),
    }
}

fn read_depth(format: vk::Format, bytes: &[u8]) -> f32 {
    match format {
        vk::Format::D16_UNORM => u16::from_le_bytes([bytes[0], bytes[1]]) as f32 / 65535.0,
        vk::Format::X8_D24_UNORM_PACK32 | vk::Format::D24_UNORM_S8_UINT => {
            let q = u32::from_le_bytes(bytes[..4].try_into().unwrap()) & 0xff_ffff;
            (q as f64 / ((1u32 << 24) - 1) as f64) as f32
        }
        _ => f32::from_le_bytes(bytes[..4].try_into().unwrap()),
    }
}

/// The view depths where the splats' centres lie, from the front fifth to the back fifth.
fn splat_depths(asset: &Asset, eye: &Camera) -> (f32, f32) {
    let splats = preprocess(asset, TIME, eye, &RenderSettings::default()).unwrap();
    let mut z: Vec<f32> = splats.iter().map(|p| p.depth).collect();
    z.sort_by(f32::total_cmp);
    (z[z.len() / 5], z[z.len() * 4 / 5])
}

/// What came back from the GPU, per eye.
struct Frame {
    color: Vec<Vec<u8>>,
    depth: Vec<Vec<u8>>,
    stencil: Vec<Vec<u8>>,
}

fn stencil_of(x: usize) -> u8 {
    (x * 37 % 251) as u8
}

fn image(ctx: &Context, name: &str, format: vk::Format, layers: u32, usage: vk::ImageUsageFlags) -> Image {
    let info = vk::ImageCreateInfo::default()
        .image_type(vk::ImageType::TYPE_2D)
        .format(format)
        .extent(vk::Extent3D { width: W, height: H, depth: 1 })
        .mip_levels(1)
        .array_layers(layers)
        .samples(vk::SampleCountFlags::TYPE_1)
        .tiling(vk::ImageTiling::OPTIMAL)
        .usage(usage)
        .initial_layout(vk::ImageLayout::UNDEFINED);
    ctx.create_image(name, &info).unwrap()
}

fn barrier(
    d: &ash::Device,
    cmd: vk::CommandBuffer,
    image: vk::Image,
    aspect: vk::ImageAspectFlags,
    (from, to): (vk::ImageLayout, vk::ImageLayout),
    src: (vk::PipelineStageFlags, vk::AccessFlags),
    dst: (vk::PipelineStageFlags, vk::AccessFlags),
) {
    let range =
        vk::ImageSubresourceRange::default().aspect_mask(aspect).level_count(1).layer_count(vk::REMAINING_ARRAY_LAYERS);
    let b = vk::ImageMemoryBarrier::default()
        .image(image)
        .old_layout(from)
        .new_layout(to)
        .src_access_mask(src.1)
        .dst_access_mask(dst.1)
        .subresource_range(range)
        .src_queue_family_index(vk::QUEUE_FAMILY_IGNORED)
        .dst_queue_family_index(vk::QUEUE_FAMILY_IGNORED);
    unsafe { d.cmd_pipeline_barrier(cmd, src.0, dst.0, vk::DependencyFlags::empty(), &[], &[], &[b]) };
}

/// Uploads the host's frames, records splat4d into the host's command buffer over them, and
/// copies colour, depth and stencil back: all in one submission, as a host's frame is.
fn render(ctx: &Context, asset: &Asset, case: &Case, hosts: &[HostFrame]) -> Frame {
    let views = case.views as usize;
    let pixels = (W * H) as usize;
    let (depth_bytes, stencil_bytes) = texel(case.depth);
    let mut upload = Vec::new();
    for h in hosts {
        // The values the image holds (encoded ones, for an _SRGB image), as the reference takes them.
        let rgba8 = reference::Image { width: W, height: H, pixels: h.color.clone() }.to_rgba8().unwrap();
        upload.extend(to_texels(case.target, &rgba8));
    }
    let depth_at = upload.len();
    for h in hosts {
        for &z in &h.depth {
            upload.extend(quantise(case.depth, &case.convention, z).0);
        }
    }
    let stencil_at = upload.len();
    for _ in hosts {
        upload.extend((0..pixels).map(stencil_of).take(pixels * stencil_bytes));
    }
    let staging: Buffer = ctx
        .create_buffer("host upload", upload.len() as u64, vk::BufferUsageFlags::TRANSFER_SRC, MemoryKind::Upload)
        .unwrap();
    ctx.write(&staging, 0, &upload).unwrap();
    let readback = ctx
        .create_buffer("host readback", upload.len() as u64, vk::BufferUsageFlags::TRANSFER_DST, MemoryKind::Readback)
        .unwrap();
    let transfer = vk::ImageUsageFlags::TRANSFER_SRC | vk::ImageUsageFlags::TRANSFER_DST;
    let color =
        image(ctx, "host colour", case.target.vk(), case.views, vk::ImageUsageFlags::COLOR_ATTACHMENT | transfer);
    let depth =
        image(ctx, "host depth", case.depth, case.views, vk::ImageUsageFlags::DEPTH_STENCIL_ATTACHMENT | transfer);
    let options = RendererOptions {
        format: case.target,
        background: Vec3::new(0.1, 0.2, 0.3),
        ..RendererOptions::new(W, H, case.views)
    };
    let mut renderer = Renderer::new(ctx, asset, &options).unwrap();
    let eyes = eyes(asset, case.views);
    let depth_aspect = vk::ImageAspectFlags::DEPTH;
    let stencil_aspect = vk::ImageAspectFlags::STENCIL;
    let both = if stencil_bytes > 0 { depth_aspect | stencil_aspect } else { depth_aspect };
    let copies = |buffer_at: (usize, usize), aspect| -> Vec<vk::BufferImageCopy> {
        (0..views)
            .map(|v| {
                vk::BufferImageCopy::default()
                    .buffer_offset((buffer_at.0 + v * pixels * buffer_at.1) as u64)
                    .image_subresource(
                        vk::ImageSubresourceLayers::default()
                            .aspect_mask(aspect)
                            .base_array_layer(v as u32)
                            .layer_count(1),
                    )
                    .image_extent(vk::Extent3D { width: W, height: H, depth: 1 })
            })
            .collect()
    };
    let color_copies = copies((0, color_texel(case.target)), vk::ImageAspectFlags::COLOR);
    let depth_copies = copies((depth_at, depth_bytes), depth_aspect);
    let stencil_copies = copies((stencil_at, stencil_bytes), stencil_aspect);
    let transfer_write = (vk::PipelineStageFlags::TRANSFER, vk::AccessFlags::TRANSFER_WRITE);
    let mut recorded = Ok(());
    ctx.submit_and_wait(|d, cmd| unsafe {
        let none = (vk::PipelineStageFlags::TOP_OF_PIPE, vk::AccessFlags::empty());
        let to_dst = (vk::ImageLayout::UNDEFINED, vk::ImageLayout::TRANSFER_DST_OPTIMAL);
        barrier(d, cmd, color.raw, vk::ImageAspectFlags::COLOR, to_dst, none, transfer_write);
        barrier(d, cmd, depth.raw, both, to_dst, none, transfer_write);
        let dst = vk::ImageLayout::TRANSFER_DST_OPTIMAL;
        d.cmd_copy_buffer_to_image(cmd, staging.raw, color.raw, dst, &color_copies);
        d.cmd_copy_buffer_to_image(cmd, staging.raw, depth.raw, dst, &depth_copies);
        if stencil_bytes > 0 {
            d.cmd_copy_buffer_to_image(cmd, staging.raw, depth.raw, dst, &stencil_copies);
        }
        // The render pass's own dependency orders it after the copies (the host contract).
        let target = HostTarget {
            color: if case.keep {
                HostColor::Keep { layout: vk::ImageLayout::TRANSFER_DST_OPTIMAL }
            } else {
                HostColor::Clear
            },
            depth: Some(HostDepth {
                image: depth.raw,
                format: case.depth,
                width: W,
                height: H,
                layers: case.views,
                initial_layout: vk::ImageLayout::TRANSFER_DST_OPTIMAL,
                final_layout: vk::ImageLayout::TRANSFER_SRC_OPTIMAL,
                convention: case.convention,
                test: case.test,
                write: case.write,
            }),
            ..HostTarget::new(color.raw, vk::ImageLayout::TRANSFER_SRC_OPTIMAL)
        };
        recorded = renderer.record_into(ctx, cmd, TIME, &eyes, target);
        // Afterwards: a barrier from where splat4d wrote (the contract) to the host's copies.
        let written = vk::MemoryBarrier::default()
            .src_access_mask(vk::AccessFlags::COLOR_ATTACHMENT_WRITE | vk::AccessFlags::DEPTH_STENCIL_ATTACHMENT_WRITE)
            .dst_access_mask(vk::AccessFlags::TRANSFER_READ);
        d.cmd_pipeline_barrier(
            cmd,
            vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT | vk::PipelineStageFlags::LATE_FRAGMENT_TESTS,
            vk::PipelineStageFlags::TRANSFER,
            vk::DependencyFlags::empty(),
            &[written],
            &[],
            &[],
        );
        let src = vk::ImageLayout::TRANSFER_SRC_OPTIMAL;
        d.cmd_copy_image_to_buffer(cmd, color.raw, src, readback.raw, &color_copies);
        d.cmd_copy_image_to_buffer(cmd, depth.raw, src, readback.raw, &depth_copies);
        if stencil_bytes > 0 {
            d.cmd_copy_image_to_buffer(cmd, depth.raw, src, readback.raw, &stencil_copies);
        }
        let to_host = vk::MemoryBarrier::default()
            .src_access_mask(vk::AccessFlags::TRANSFER_WRITE)
            .dst_access_mask(vk::AccessFlags::HOST_READ);
        d.cmd_pipeline_barrier(
            cmd,
            vk::PipelineStageFlags::TRANSFER,
            vk::PipelineStageFlags::HOST,
            vk::DependencyFlags::empty(),
            &[to_host],
            &[],
            &[],
        );
    })
    .unwrap();
    recorded.unwrap_or_else(|e| panic!("{case:?}: {e}"));
    let mut back = vec![0u8; upload.len()];
    ctx.read(&readback, 0, &mut back).unwrap();
    renderer.destroy(ctx);
    for b in [staging, readback] {
        ctx.destroy_buffer(b);
    }
    ctx.destroy_image(color);
    ctx.destroy_image(depth);
    let per_view = |at: usize, bytes: usize| -> Vec<Vec<u8>> {
        (0..views).map(|v| back[at + v * pixels * bytes..at + (v + 1) * pixels * bytes].to_vec()).collect()
    };
    Frame {
        color: per_view(0, color_texel(case.target)).iter().map(|t| from_texels(case.target, t)).collect(),
        depth: per_view(depth_at, depth_bytes),
        stencil: per_view(stencil_at, stencil_bytes),
    }
}

/// Renders `case` and holds each eye to the reference: colour PSNR, alpha, the cut at the box,
/// depth out and the stencil kept. Returns a line of what was measured.
fn check(ctx: &Context, asset: &Asset, case: &Case) -> String {
    let eyes = eyes(asset, case.views);
    let (z0, z1) = splat_depths(asset, &eyes[0]);
    let hosts: Vec<HostFrame> = eyes.iter().map(|_| host_frame(z0, z1)).collect();
    let frame = render(ctx, asset, case, &hosts);
    let floor = if case.views == 1 { 38.0 } else { 35.0 };
    let mut line = format!("{case:?}:");
    for (e, eye) in eyes.iter().enumerate() {
        let host = &hosts[e];
        // The host's depth as the GPU reads it: quantised by the format.
        let limit: Vec<f32> = host
            .depth
            .iter()
            .map(|&z| case.convention.view_depth(quantise(case.depth, &case.convention, z).1))
            .collect();
        // The host's colour as its image holds it (B10G11R11 rounds it and has no alpha).
        let rgba8 = reference::Image { width: W, height: H, pixels: host.color.clone() }.to_rgba8().unwrap();
        let bytes = from_texels(case.target, &to_texels(case.target, &rgba8));
        let host_color: Vec<[f32; 4]> =
            bytes.chunks_exact(4).map(|p| [0, 1, 2, 3].map(|c| p[c] as f32 / 255.0)).collect();
        let splats = preprocess(asset, TIME, eye, &RenderSettings::default()).unwrap();
        let background = Vec3::new(0.1, 0.2, 0.3);
        let tested = case.test.then_some(limit.as_slice());
        let want = composite(
            &splats,
            W,
            H,
            background,
            &Host {
                color: case.keep.then_some(host_color.as_slice()),
                depth: tested,
                linear_light: case.target.is_linear_light(),
            },
        )
        .unwrap();
        let want_rgba = want.image.to_rgba8().unwrap();
        let got = &frame.color[e];
        let db = common::image::psnr(got, &want_rgba, 4);
        assert!(db >= floor, "{case:?} eye {e}: {db:.2} dB against the reference, floor {floor}");
        // Alpha out: the splats' coverage over the host's.
        let alpha_off =
            got.chunks_exact(4).zip(want_rgba.chunks_exact(4)).filter(|(g, w)| g[3].abs_diff(w[3]) > 2).count();
        assert!(alpha_off * 500 <= (W * H) as usize, "{case:?} eye {e}: {alpha_off} pixels' alpha off by > 2 steps");
        // The cut: wherever the reference leaves the host's pixel as it was (every splat there
        // is behind the box, or none is there), so does the GPU; and the splats the box hides
        // are not all its pixels (the box cuts through them).
        if case.keep && case.test {
            let (mut untouched, mut leaked, mut boxed, mut shown) = (0, 0, 0, 0);
            for (i, (g, w)) in got.chunks_exact(4).zip(want_rgba.chunks_exact(4)).enumerate() {
                let (x, y) = (i as u32 % W, i as u32 / W);
                let h = &bytes[4 * i..4 * i + 4];
                if in_box(x, y) {
                    boxed += 1;
                    shown += usize::from((0..3).any(|c| w[c].abs_diff(h[c]) > 8));
                }
                if w == h {
                    untouched += 1;
                    leaked += usize::from((0..3).any(|c| g[c].abs_diff(h[c]) > 1));
                }
            }
            assert!(leaked * 1000 <= untouched, "{case:?} eye {e}: {leaked} of {untouched} hidden pixels show splats");
            assert!(
                shown > boxed / 20 && shown < boxed * 19 / 20,
                "{case:?}: the box hides {shown} of {boxed} pixels' splats"
            );
        }
        // Depth out: the splats' expected depth where they cover at least half a pixel, else
        // the host's. Coverage near ½ may round either way (the f16 colour accumulation's
        // alpha), so pixels within 0.02 of it are left out; elsewhere the depth is within 1 %
        // (that alpha divides the weighted sum: f16 at 2^-11 per blend, compounded over the
        // layers; worst pixel measured 0.6-0.9 % with 24- and 32-bit depth) plus one step of
        // the format, on all but 0.1 % of the pixels (measured: 0 of 12,227 to 2 of 12,249).
        if case.write {
            let coverage = composite(&splats, W, H, background, &Host { depth: tested, ..Default::default() }).unwrap();
            let (mut compared, mut off, mut worst) = (0, 0, 0.0f32);
            for i in 0..(W * H) as usize {
                let a = coverage.image.pixels[i][3];
                if (a - 0.5).abs() < 0.02 {
                    continue;
                }
                let (bytes, _) = texel(case.depth);
                let stored = read_depth(case.depth, &frame.depth[e][i * bytes..]);
                let z = case.convention.view_depth(stored);
                let expected = want.depth[i];
                compared += 1;
                let z_expected = if expected.is_infinite() { case.convention.far } else { expected };
                if z_expected.is_infinite() || z.is_infinite() {
                    off += usize::from(z.is_infinite() != z_expected.is_infinite());
                    continue;
                }
                let step = {
                    let (_, q) = quantise(case.depth, &case.convention, z_expected);
                    let ulp = match case.depth {
                        vk::Format::D16_UNORM => 1.0 / 65535.0,
                        vk::Format::X8_D24_UNORM_PACK32 | vk::Format::D24_UNORM_S8_UINT => 1.0 / 16777215.0,
                        _ => q.abs() * 1.2e-7,
                    };
                    (case.convention.view_depth((q + ulp).min(1.0)) - case.convention.view_depth((q - ulp).max(0.0)))
                        .abs()
                };
                let err = (z - z_expected).abs();
                worst = worst.max(err / z_expected);
                off += usize::from(err > 0.01 * z_expected + step);
            }
            assert!(compared > (W * H) as usize / 2, "{case:?}: {compared} pixels compared");
            assert!(off * 1000 <= compared, "{case:?} eye {e}: {off} of {compared} depths off");
            line += &format!(" eye {e} {db:.2} dB, depth worst {:.3} %, {off} of {compared} off;", worst * 100.0);
        } else {
            // Tested only: the host's depth is left exactly as it was.
            let (bytes, _) = texel(case.depth);
            let sent: Vec<u8> = host.depth.iter().flat_map(|&z| quantise(case.depth, &case.convention, z).0).collect();
            assert_eq!(frame.depth[e].len(), W as usize * H as usize * bytes);
            assert!(frame.depth[e] == sent, "{case:?} eye {e}: the host's depth changed though not written");
            line += &format!(" eye {e} {db:.2} dB;");
        }
        if texel(case.depth).1 > 0 {
            let sent: Vec<u8> = (0..(W * H) as usize).map(stencil_of).collect();
            assert!(frame.stencil[e] == sent, "{case:?} eye {e}: the host's stencil changed");
        }
    }
    line
}

fn supported(ctx: &Context, format: vk::Format) -> bool {
    let ok = ctx.format_features(format).contains(vk::FormatFeatureFlags::DEPTH_STENCIL_ATTACHMENT);
    if !ok {
        common::skipped(&format!("{format:?} is not a depth attachment format on {}", ctx.device_name()));
    }
    ok
}

fn run(ctx: &Context, cases: &[Case]) {
    let asset = common::pack_open(&demo::scene(), false);
    let mut ran = 0;
    for case in cases {
        if supported(ctx, case.depth) {
            eprintln!("{}", check(ctx, &asset, case));
            ran += 1;
        }
    }
    assert!(ran > 0, "no case ran");
    assert!(ctx.validation_messages().is_empty(), "{:#?}", ctx.validation_messages());
}

/// Every depth format, standard and reverse Z, host colour kept, depth tested and written, on
/// UNORM and SRGB targets (one view).
#[test]
fn every_depth_format_and_convention_composites_like_the_reference() {
    let ctx = Context::new(&ContextOptions { validation: true, ..Default::default() }).unwrap();
    let mut cases = Vec::new();
    for (i, depth) in splat4d::renderer::DEPTH_FORMATS.into_iter().enumerate() {
        for convention in [STANDARD, REVERSED] {
            let target = if i % 2 == 0 { TargetFormat::Rgba8Unorm } else { TargetFormat::Rgba8Srgb };
            cases.push(Case { views: 1, target, depth, convention, keep: true, test: true, write: true });
        }
    }
    run(&ctx, &cases);
}

/// HDR camera targets, as engines make them (Unity's URP: B10G11R11 by default, R16G16B16A16
/// at 64-bit precision): linear light kept under the splats and blended in, reverse Z as Unity
/// has it on Vulkan, mono and stereo.
#[test]
fn float_targets_composite_like_the_reference() {
    let ctx = Context::new(&ContextOptions { validation: true, ..Default::default() }).unwrap();
    let base = Case {
        views: 1,
        target: TargetFormat::Rgba16Float,
        depth: vk::Format::D32_SFLOAT_S8_UINT,
        convention: REVERSED,
        keep: true,
        test: true,
        write: true,
    };
    run(
        &ctx,
        &[
            base,
            Case { target: TargetFormat::B10g11r11Float, ..base },
            Case { views: 2, depth: vk::Format::D24_UNORM_S8_UINT, convention: STANDARD, ..base },
            Case { views: 2, target: TargetFormat::B10g11r11Float, write: false, ..base },
        ],
    );
}

/// Stereo: a two-layer host depth image, in one multiview pass and one pass per eye; depth
/// tested only (the host's left as it was); depth written over a cleared target and depth.
#[test]
fn stereo_hosts_composite_per_eye() {
    let multiview = Context::new(&ContextOptions { validation: true, ..Default::default() }).unwrap();
    let per_eye =
        Context::new(&ContextOptions { validation: true, disable_multiview: true, ..Default::default() }).unwrap();
    let base = Case {
        views: 2,
        target: TargetFormat::Rgba8Unorm,
        depth: vk::Format::D32_SFLOAT,
        convention: STANDARD,
        keep: true,
        test: true,
        write: true,
    };
    run(
        &multiview,
        &[
            Case { depth: vk::Format::D24_UNORM_S8_UINT, ..base },
            Case { target: TargetFormat::Rgba8Srgb, convention: REVERSED, write: false, ..base },
            Case { keep: false, test: false, depth: vk::Format::D32_SFLOAT_S8_UINT, ..base },
        ],
    );
    run(&per_eye, &[Case { convention: REVERSED, depth: vk::Format::D16_UNORM, ..base }]);
}
