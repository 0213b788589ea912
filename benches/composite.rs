//! The cost of compositing into a host's frame against the plain frame, at a headset's eye
//! size (stereo 2×2064×2208): the same frames recorded into a host's two-layer image as
//!
//! - `plain`: cleared to the background, no depth (what `s4d_renderer_record` did before);
//! - `kept`: the host's colour kept under the splats;
//! - `tested`: kept, and the host's depth tested (at the far plane: nothing hidden);
//! - `composite`: kept, tested, and the splats' depth written (nothing hidden: the whole cost
//!   of compositing);
//! - `occluded`: the same with the host's surface across the whole view in front of most of
//!   the splats' centres (a wall before the scene, `--occlude`): their fragments are skipped.
//!
//! ```text
//! cargo bench -p splat4d --bench composite -- [--frames N] [--size WxH] [--occlude F] [--json PATH] [ASSET...]
//! ```
//!
//! `--occlude F`: the fraction of the splats' centres behind the wall in `occluded` (0.8).
//!
//! Frames run one at a time (recorded, submitted, waited for: a host's frame), in interleaved
//! blocks so that drifting clocks hit every case alike; stage times are the frames' GPU
//! timestamps. Without assets: the demo scene, and technicolor-sam where `../shared/assets` is.
//! Writes `target/bench/composite.json` unless `--json` says otherwise.

mod common;

use ash::vk;
use common::{eyes, first_camera, list, median};

use splat4d::depth::DepthConvention;
use splat4d::gpu::{Context, ContextOptions, Image};
use splat4d::reference::{preprocess, RenderSettings};
use splat4d::renderer::{HostColor, HostDepth, HostTarget, Renderer, RendererOptions, StageTimes, TargetFormat};
use splat4d::Camera;

/// Each case's name, and what it keeps, tests, writes and hides.
struct Case {
    name: &'static str,
    keep: bool,
    test: bool,
    write: bool,
    occluded: bool,
}

const CASES: [Case; 5] = [
    Case { name: "plain", keep: false, test: false, write: false, occluded: false },
    Case { name: "kept", keep: true, test: false, write: false, occluded: false },
    Case { name: "tested", keep: true, test: true, write: false, occluded: false },
    Case { name: "composite", keep: true, test: true, write: true, occluded: false },
    Case { name: "occluded", keep: true, test: true, write: true, occluded: true },
];
const CONVENTION: DepthConvention = DepthConvention { near: 0.05, far: 1000.0, reversed: false };

/// The host's images: colour and depth, a layer per eye.
struct HostImages {
    color: Image,
    depth: Image,
}

fn host_images(ctx: &Context, (w, h): (u32, u32), format: TargetFormat) -> HostImages {
    let info = |format, usage| {
        vk::ImageCreateInfo::default()
            .image_type(vk::ImageType::TYPE_2D)
            .format(format)
            .extent(vk::Extent3D { width: w, height: h, depth: 1 })
            .mip_levels(1)
            .array_layers(2)
            .samples(vk::SampleCountFlags::TYPE_1)
            .tiling(vk::ImageTiling::OPTIMAL)
            .usage(usage | vk::ImageUsageFlags::TRANSFER_DST)
            .initial_layout(vk::ImageLayout::UNDEFINED)
    };
    HostImages {
        color: ctx.create_image("host colour", &info(format.vk(), vk::ImageUsageFlags::COLOR_ATTACHMENT)).unwrap(),
        depth: ctx
            .create_image("host depth", &info(vk::Format::D32_SFLOAT, vk::ImageUsageFlags::DEPTH_STENCIL_ATTACHMENT))
            .unwrap(),
    }
}

/// One host frame: the host's own "drawing" (its images cleared: colour to grey, depth to
/// `depth`), then splat4d's frame recorded into them as `case` says, submitted and waited for.
fn frame(
    ctx: &Context,
    renderer: &mut Renderer,
    host: &HostImages,
    case: &Case,
    (time, eyes, depth): (f32, &[Camera], f32),
) {
    let mut recorded = Ok(());
    ctx.submit_and_wait(|d, cmd| unsafe {
        let range = |aspect| vk::ImageSubresourceRange::default().aspect_mask(aspect).level_count(1).layer_count(2);
        let to_dst = |image, aspect| {
            vk::ImageMemoryBarrier::default()
                .image(image)
                .old_layout(vk::ImageLayout::UNDEFINED)
                .new_layout(vk::ImageLayout::TRANSFER_DST_OPTIMAL)
                .dst_access_mask(vk::AccessFlags::TRANSFER_WRITE)
                .subresource_range(range(aspect))
        };
        let barriers =
            [to_dst(host.color.raw, vk::ImageAspectFlags::COLOR), to_dst(host.depth.raw, vk::ImageAspectFlags::DEPTH)];
        d.cmd_pipeline_barrier(
            cmd,
            vk::PipelineStageFlags::TOP_OF_PIPE,
            vk::PipelineStageFlags::TRANSFER,
            vk::DependencyFlags::empty(),
            &[],
            &[],
            &barriers,
        );
        let dst = vk::ImageLayout::TRANSFER_DST_OPTIMAL;
        let grey = vk::ClearColorValue { float32: [0.3, 0.3, 0.3, 1.0] };
        d.cmd_clear_color_image(cmd, host.color.raw, dst, &grey, &[range(vk::ImageAspectFlags::COLOR)]);
        let value = vk::ClearDepthStencilValue { depth, stencil: 0 };
        d.cmd_clear_depth_stencil_image(cmd, host.depth.raw, dst, &value, &[range(vk::ImageAspectFlags::DEPTH)]);
        let mut target = HostTarget::new(host.color.raw, vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL);
        if case.keep {
            target.color = HostColor::Keep { layout: dst };
        }
        if case.test || case.write {
            target.depth = Some(HostDepth {
                image: host.depth.raw,
                format: vk::Format::D32_SFLOAT,
                width: renderer.options().width,
                height: renderer.options().height,
                layers: 2,
                initial_layout: dst,
                final_layout: vk::ImageLayout::DEPTH_STENCIL_ATTACHMENT_OPTIMAL,
                convention: CONVENTION,
                test: case.test,
                write: case.write,
            });
        }
        recorded = renderer.record_into(ctx, cmd, time, eyes, target);
    })
    .expect("submit");
    recorded.expect("record");
}

fn main() {
    let mut frames = 12usize;
    let mut occlude = 0.8f64;
    let mut format = TargetFormat::Rgba8Unorm;
    let (mut w, mut h) = (2064u32, 2208u32);
    let mut paths = Vec::new();
    let mut json_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench/composite.json");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--frames" => frames = args.next().and_then(|v| v.parse().ok()).expect("--frames N"),
            "--size" => (w, h) = common::size(args.next()),
            "--json" => json_path = args.next().map(Into::into).expect("--json PATH"),
            "--occlude" => occlude = args.next().and_then(|v| v.parse().ok()).expect("--occlude F"),
            // The host's colour format: an 8-bit target, or an HDR camera's float one.
            "--format" => {
                format = match args.next().as_deref() {
                    Some("rgba8") => TargetFormat::Rgba8Unorm,
                    Some("rgba16f") => TargetFormat::Rgba16Float,
                    Some("b10g11r11") => TargetFormat::B10g11r11Float,
                    other => panic!("--format rgba8|rgba16f|b10g11r11, not {other:?}"),
                }
            }
            "--bench" => {}
            other => paths.push(std::path::PathBuf::from(other)),
        }
    }
    let assets = common::assets(paths);
    let ctx = Context::new(&ContextOptions::default()).expect("a Vulkan device");
    println!(
        "device: {} (multiview {}), stereo 2x{w}x{h}, {format:?} target, {frames} frames a case",
        ctx.device_name(),
        ctx.multiview
    );
    println!(
        "{:<16} {:<10} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>13}",
        "asset", "case", "slice", "sort", "raster", "resolve", "GPU ms", "vs plain", "fragments"
    );
    let host = host_images(&ctx, (w, h), format);
    let mut rows = Vec::new();
    for (name, asset) in &assets {
        let eyes = eyes(first_camera(asset).resized(w, h), 2);
        let [t0, t1] = asset.info().time_range;
        let mid = 0.5 * (t0 + t1);
        // The occluding surface: in front of `occlude` of the splats' centres at mid-time.
        let splats: Vec<Vec<_>> =
            eyes.iter().map(|e| preprocess(asset, mid, e, &RenderSettings::default()).expect("reference")).collect();
        let mut z: Vec<f32> = splats[0].iter().map(|p| p.depth).collect();
        z.sort_by(f32::total_cmp);
        let hidden = ((z.len() as f64 * (1.0 - occlude)) as usize).min(z.len() - 1);
        let wall = z[hidden];
        let occluder = CONVENTION.stored(wall);
        // The fragments the raster shades, counted from the reference's footprints (each
        // splat's quad): all of them, and those of splats in front of the wall (the depth test
        // runs before the fragment shader).
        let footprint = |in_front: &dyn Fn(f32) -> bool| -> u64 {
            let area =
                |p: &splat4d::reference::Projected| (p.rect[2] - p.rect[0]) as u64 * (p.rect[3] - p.rect[1]) as u64;
            splats.iter().flatten().filter(|p| in_front(p.depth)).map(area).sum()
        };
        let fragments = [footprint(&|_| true), footprint(&|d| d < wall)];
        let options = RendererOptions { format, ..RendererOptions::new(w, h, 2) };
        let mut renderer = Renderer::new(&ctx, asset, &options).expect("renderer");
        let time = |i: usize| t0 + (t1 - t0) * i as f32 / frames.max(1) as f32;
        let depth_of = |case: &Case| if case.occluded { occluder } else { 1.0 };
        // Warm-up: every case once (its pipelines are made on first use).
        for case in &CASES {
            frame(&ctx, &mut renderer, &host, case, (time(0), &eyes, depth_of(case)));
        }
        // Interleaved: frame i of every case, then frame i + 1. A host's frame retires, and
        // its timestamps are read, when its slot is next used: two more frames end the run.
        let mut serial = CASES.len() as u64;
        let mut case_of = std::collections::HashMap::new();
        renderer.start_capture(&ctx, (frames * CASES.len() + 2) as u32);
        for i in 0..frames {
            for (c, case) in CASES.iter().enumerate() {
                frame(&ctx, &mut renderer, &host, case, (time(i), &eyes, depth_of(case)));
                serial += 1;
                case_of.insert(serial, c);
            }
        }
        for _ in 0..2 {
            frame(&ctx, &mut renderer, &host, &CASES[0], (time(0), &eyes, 1.0));
        }
        let capture = renderer.stop_capture(&ctx).expect("stop").expect("a capture");
        let mut stages: Vec<Vec<StageTimes>> = vec![Vec::new(); CASES.len()];
        for s in capture.frames().filter_map(|f| f.gpu) {
            if let Some(&c) = case_of.get(&s.frame) {
                stages[c].push(s);
            }
        }
        renderer.destroy(&ctx);
        let total = |c: usize| median(stages[c].iter().map(StageTimes::total).collect());
        for (c, case) in CASES.iter().enumerate() {
            let case = case.name;
            assert_eq!(stages[c].len(), frames, "{case}: every frame's stage times");
            let m = |f: fn(&StageTimes) -> f64| median(stages[c].iter().map(f).collect());
            let row = [m(|s| s.slice), m(|s| s.sort), m(|s| s.raster), m(|s| s.resolve), m(StageTimes::total)];
            let ratio = row[4] / total(0);
            let shaded = fragments[usize::from(CASES[c].occluded)];
            println!(
                "{:<16} {:<10} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>9.2} {:>7.3}x {:>13}",
                name, case, row[0], row[1], row[2], row[3], row[4], ratio, shaded
            );
            let per_frame = |f: fn(&StageTimes) -> f64| list(stages[c].iter().map(f));
            rows.push(format!(
                "{{\"asset\":\"{name}\",\"case\":\"{case}\",\"primitives\":{},\"size\":[{w},{h}],\"frames\":{frames},\"slice_ms\":{:.4},\"sort_ms\":{:.4},\"raster_ms\":{:.4},\"resolve_ms\":{:.4},\"gpu_ms\":{:.4},\"vs_plain\":{ratio:.4},\"fragments\":{shaded},\"occluded_fraction\":{occlude},\"frames_ms\":{{\"slice\":{},\"sort\":{},\"raster\":{},\"resolve\":{},\"gpu\":{}}}}}",
                asset.len(),
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                per_frame(|s| s.slice),
                per_frame(|s| s.sort),
                per_frame(|s| s.raster),
                per_frame(|s| s.resolve),
                per_frame(StageTimes::total)
            ));
        }
    }
    ctx.destroy_image(host.color);
    ctx.destroy_image(host.depth);
    common::write_json(&json_path, &ctx, "results", &rows);
}
