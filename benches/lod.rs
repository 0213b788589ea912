//! What issue 6's machinery buys, measured (benches/README.md holds the tables):
//!
//!     cargo bench -p splat4d --bench lod -- [--primitives N] [--frames N] [--budget-ms B]
//!         [--part active|levels|governor|stream] [--json PATH]
//!
//! - active sets: primitives touched per frame and slice+cull GPU time with and without the
//!   segments' active runs, on a long synthetic clip (60 s at 30 fps, 4DGS-like short lives)
//!   and on the shared real 4D asset;
//! - levels of detail: per level and for FLoD's rule at γ = 1 and 4, PSNR against the finest
//!   level on the CPU reference, GPU frame time, splats drawn and resident bytes, from four
//!   distances;
//! - streaming (`--part stream` only): a 60 s clip ten times the GPU memory budget played
//!   through from its file and then seeked, resident bytes and frame times per frame;
//! - governor: objects made of surfaces (spheres of flat splats), three times as many in the
//!   middle fifth of the clip, seen from a distance, frame times with and without `frame_budget_ms`, the budget scaled to the device (1.25x the calm
//!   frame's GPU time without a governor, or `--budget-ms`); the per-frame trace goes to CSV.

mod common;

use common::{first_camera, list, median, open_with, provenance, synthetic};
use splat4d::glam::Vec3;
use splat4d::gpu::{Context, ContextOptions, UploadQueue};
use splat4d::import::{import_paths, ImportOptions};
use splat4d::lod::Selection;
use splat4d::pack::PackOptions;
use splat4d::profile::FrameStats;
use splat4d::reference::{self, RenderSettings};
use splat4d::renderer::{FramePolicy, Renderer, RendererOptions};
use splat4d::{Asset, Camera, Primitive, Splats};

/// Renders `cameras[i]` at `times[i]` back to back and returns every frame's stats, in order.
fn run(ctx: &Context, renderer: &mut Renderer, times: &[f32], cameras: &[Camera]) -> Vec<FrameStats> {
    renderer.start_capture(ctx, times.len() as u32);
    for (t, c) in times.iter().zip(cameras) {
        renderer.render(ctx, *t, std::slice::from_ref(c)).expect("render");
    }
    let capture = renderer.stop_capture(ctx).expect("stop the capture").expect("a capture");
    capture.frames().copied().collect()
}

/// As [`run`], but each frame waits for the one before to finish: a frame's stage times are
/// then its own (back to back, a frame's first stage also waits out the frame before).
fn run_isolated(ctx: &Context, renderer: &mut Renderer, times: &[f32], cameras: &[Camera]) -> Vec<FrameStats> {
    renderer.start_capture(ctx, times.len() as u32);
    for (t, c) in times.iter().zip(cameras) {
        renderer.render(ctx, *t, std::slice::from_ref(c)).expect("render");
        renderer.read_back(ctx).expect("read back");
    }
    let capture = renderer.stop_capture(ctx).expect("stop the capture").expect("a capture");
    capture.frames().copied().collect()
}

fn spread(range: [f32; 2], n: usize) -> Vec<f32> {
    (0..n).map(|i| range[0] + (range[1] - range[0]) * (i as f32 + 0.5) / n as f32).collect()
}

fn active_sets(ctx: &Context, assets: &[(String, Asset)], frames: usize) -> Vec<String> {
    println!("\nactive sets: per frame, median over {frames} frames across the clip (mono 512x512, one at a time)");
    println!(
        "{:<24} {:>10} {:>6} {:>12} {:>12} {:>7} {:>10} {:>10} {:>7}",
        "asset", "prims", "runs", "touched on", "touched off", "fewer", "slice on", "slice off", "faster"
    );
    let mut rows = Vec::new();
    for (name, asset) in assets {
        let camera = first_camera(asset).resized(512, 512);
        let times = spread(asset.info().time_range, frames);
        let cameras = vec![camera; frames];
        let mut renderer = Renderer::new(ctx, asset, &RendererOptions::new(512, 512, 1)).expect("renderer");
        let mut measure = |on: bool| {
            renderer.set_active_sets(on).expect("active sets");
            run(ctx, &mut renderer, &times[..2.min(frames)], &cameras);
            let s = run_isolated(ctx, &mut renderer, &times, &cameras);
            let touched: Vec<f64> = s.iter().map(|f| f.counters.active as f64).collect();
            let slice: Vec<f64> = s.iter().filter_map(|f| f.gpu.map(|g| g.slice)).collect();
            (
                median(touched.clone()),
                median(slice.clone()),
                format!("{{\"touched\":{},\"slice_ms\":{}}}", list(touched), list(slice)),
            )
        };
        let (on, off) = (measure(true), measure(false));
        let runs = median((0..asset.segments().len()).map(|s| asset.segment_runs(s).len() as f64).collect());
        renderer.destroy(ctx);
        println!(
            "{name:<24} {:>10} {:>6} {:>12.0} {:>12.0} {:>6.1}x {:>10.3} {:>10.3} {:>6.1}x",
            asset.len(),
            runs,
            on.0,
            off.0,
            off.0 / on.0,
            on.1,
            off.1,
            off.1 / on.1
        );
        rows.push(format!(
            "{{\"asset\":\"{name}\",\"primitives\":{},\"runs_per_segment\":{runs},\"touched_on\":{},\"touched_off\":{},\"slice_ms_on\":{:.4},\"slice_ms_off\":{:.4},\"frames_on\":{},\"frames_off\":{}}}",
            asset.len(), on.0, off.0, on.1, off.1, on.2, off.2
        ));
    }
    rows
}

/// Bytes per primitive of the asset's attribute chunks.
fn bytes_per_primitive(asset: &Asset) -> f64 {
    asset.chunks().iter().filter(|c| c.encoding <= 1 && c.size % asset.len() as u64 == 0).map(|c| c.size).sum::<u64>()
        as f64
        / asset.len() as f64
}

fn levels(ctx: &Context, name: &str, asset: &Asset, frames: usize) -> Vec<String> {
    let (w, h) = (640, 360);
    let base = first_camera(asset).resized(w, h);
    let f = asset.info().focus;
    let focus = Vec3::new(f[0], f[1], f[2]);
    let t = 0.5 * (asset.info().time_range[0] + asset.info().time_range[1]);
    // The first camera, and pulled back from the scene's focus to 2, 4 and 8 times as far.
    let distances = [1.0f32, 2.0, 4.0, 8.0];
    // Backwards along the camera's own axis, from the focus's depth in front of it.
    let axis = base.rotation.col(2);
    let depth = (focus - base.position).dot(axis).max(1e-3);
    let cameras: Vec<Camera> =
        distances.iter().map(|k| Camera { position: base.position - axis * depth * (k - 1.0), ..base }).collect();
    let per_primitive = bytes_per_primitive(asset);
    let all_bytes = per_primitive * asset.len() as f64;
    let level_count = asset.levels().len() as u32;
    let mut selections: Vec<(String, Selection)> =
        (0..level_count).map(|l| (format!("level {l}"), Selection::level(l))).collect();
    selections.push(("FLoD rule γ=1".into(), Selection::gamma(1.0)));
    selections.push(("FLoD rule γ=4".into(), Selection::gamma(4.0)));
    selections.push(("FLoD rule γ=16".into(), Selection::gamma(16.0)));
    println!("\nlevels of detail: {name}, {w}x{h}, t={t}; PSNR against level 0 on the CPU reference");
    print!("{:<16} {:>12}", "selection", "resident MB");
    for k in distances {
        print!(" {:>22}", format!("{k}x: dB / ms / splats"));
    }
    println!();
    let finest: Vec<_> = cameras
        .iter()
        .map(|c| {
            reference::render(asset, t, c, &RenderSettings { lod: Selection::level(0), ..Default::default() }).unwrap()
        })
        .collect();
    let mut rows = Vec::new();
    let mut renderer = Renderer::new(ctx, asset, &RendererOptions::new(w, h, 1)).expect("renderer");
    // A GPU's clocks ramp up over the first frames: warm up first.
    run(ctx, &mut renderer, &vec![t; 120], &vec![cameras[0]; 120]);
    for (label, selection) in &selections {
        // A level drawn alone needs only its own primitives resident; the rule needs them all.
        let resident = if selection.finest == selection.coarsest {
            asset.levels()[selection.finest as usize].count as f64 * per_primitive
        } else {
            all_bytes
        };
        renderer.set_lod(*selection).expect("selection");
        print!("{label:<16} {:>12.2}", resident / 1e6);
        let mut cells = Vec::new();
        for (camera, finest) in cameras.iter().zip(&finest) {
            let settings = RenderSettings { lod: *selection, ..Default::default() };
            let db = reference::psnr(&reference::render(asset, t, camera, &settings).unwrap(), finest);
            let s = run(ctx, &mut renderer, &vec![t; frames], &vec![*camera; frames]);
            let gpu: Vec<f64> = s.iter().filter_map(|f| f.gpu.map(|g| g.total())).collect();
            let ms = median(gpu.clone());
            let drawn = s.last().map_or(0, |f| f.counters.visible);
            print!(" {:>22}", format!("{db:.2} / {ms:.2} / {drawn}"));
            cells.push(format!(
                "{{\"psnr_db\":{:.3},\"gpu_ms\":{ms:.4},\"splats\":{drawn},\"frames_gpu_ms\":{}}}",
                db.min(999.0),
                list(gpu)
            ));
        }
        println!();
        rows.push(format!(
            "{{\"asset\":\"{name}\",\"selection\":\"{label}\",\"resident_bytes\":{resident:.0},\"distances\":[{}]}}",
            cells.join(",")
        ));
    }
    renderer.destroy(ctx);
    rows
}

/// Objects made of surfaces, as trained scenes are: spheres of 4,000 flat splats each, every
/// point of a surface under several splats, `n` splats in all, standing through the clip;
/// with `burst`, twice as many spheres more stand in its middle fifth.
fn spheres(n: usize, seconds: f32, burst: bool) -> Splats {
    const PER_SPHERE: usize = 4000;
    let mut s = Splats::new(splat4d::asset::format::SourceKind::Procedural, 0, 0, [0.0, seconds], 30.0);
    let mut state = 5u64;
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    let radius = 0.25f32;
    // Splats twice the spacing of their centres across: each point under about four.
    let size = 2.0 * (4.0 * std::f32::consts::PI * radius * radius / PER_SPHERE as f32).sqrt();
    let base = n / PER_SPHERE;
    let count = if burst { 3 * base } else { base };
    for k in 0..count {
        let centre = Vec3::new(next() * 4.0 - 2.0, next() * 2.0 - 1.0, next() * 4.0 + 1.0);
        let rgb = [next(), next(), next()];
        let window = if k < base { [f32::NEG_INFINITY, f32::INFINITY] } else { [0.4 * seconds, 0.6 * seconds] };
        for _ in 0..PER_SPHERE {
            let (u, v) = (next() * 2.0 - 1.0, next() * std::f32::consts::TAU);
            let normal = Vec3::new((1.0 - u * u).sqrt() * v.cos(), (1.0 - u * u).sqrt() * v.sin(), u);
            let q = splat4d::glam::Quat::from_rotation_arc(Vec3::Z, normal);
            let p = Primitive {
                position: centre + radius * normal,
                window,
                rotation: splat4d::glam::Vec4::new(q.w, q.x, q.y, q.z),
                scale: Vec3::new(size, size, 0.05 * size),
                opacity: 0.8,
                ..Primitive::default()
            };
            let shade = 0.6 + 0.4 * normal.y.max(0.0);
            s.push(p, &[rgb.map(|c| splat4d::sh::dc_from_rgb(c * shade))]);
        }
    }
    s.cameras = vec![Camera::look_at(Vec3::new(0.0, 0.0, -1.5), Vec3::new(0.0, 0.0, 3.0), Vec3::Y, 1352, 1014, 1.0)];
    s
}

/// The first camera pulled back to `k` times its depth to the scene's focus.
fn pulled_back(asset: &Asset, k: f32, w: u32, h: u32) -> Camera {
    let base = first_camera(asset).resized(w, h);
    let f = asset.info().focus;
    let axis = base.rotation.col(2);
    let depth = (Vec3::new(f[0], f[1], f[2]) - base.position).dot(axis).max(1e-3);
    Camera { position: base.position - axis * depth * (k - 1.0), ..base }
}

fn busy(i: usize, frames: usize) -> bool {
    (0.4..0.6).contains(&(i as f32 / frames as f32))
}

fn governor(
    ctx: &Context,
    name: &str,
    asset: &Asset,
    frames: usize,
    budget: Option<f64>,
    csv: &std::path::Path,
) -> String {
    let (w, h) = (1024, 1024);
    let cameras = vec![pulled_back(asset, 3.0, w, h); frames];
    let times = spread(asset.info().time_range, frames);
    let mut renderer = Renderer::new(ctx, asset, &RendererOptions::new(w, h, 1)).expect("renderer");
    // The whole path once first: a GPU's clocks ramp up over the first frames, which would
    // look like load.
    run(ctx, &mut renderer, &times, &cameras);
    let free = run(ctx, &mut renderer, &times, &cameras);
    let gpu = |s: &[FrameStats]| -> Vec<f64> { s.iter().map(|f| f.gpu.map_or(f64::NAN, |g| g.total())).collect() };
    let calm = median(gpu(&free)[..frames / 3].to_vec());
    let budget = budget.unwrap_or(1.25 * calm);
    renderer.set_policy(&FramePolicy { frame_budget_ms: Some(budget), ..Default::default() }).expect("budget");
    run(ctx, &mut renderer, &times[..frames / 3], &cameras[..frames / 3]);
    let held = run(ctx, &mut renderer, &times, &cameras);
    renderer.destroy(ctx);
    let summary = |s: &[FrameStats]| {
        let mut v = gpu(s);
        v.retain(|x| x.is_finite());
        v.sort_by(f64::total_cmp);
        let p = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        let over = v.iter().filter(|&&x| x > budget).count();
        (p(0.5), p(0.99), v[v.len() - 1], over)
    };
    let (a, b) = (summary(&free), summary(&held));
    println!("\ngovernor: {name}, 1024x1024, {frames} frames across the clip, seen from 3x the first camera's depth");
    println!("budget {budget:.2} ms (calm frame {calm:.2} ms without a governor)");
    println!("{:<12} {:>8} {:>8} {:>8} {:>12}", "", "p50 ms", "p99 ms", "max ms", "over budget");
    println!("{:<12} {:>8.2} {:>8.2} {:>8.2} {:>12}", "free", a.0, a.1, a.2, a.3);
    println!("{:<12} {:>8.2} {:>8.2} {:>8.2} {:>12}", "governed", b.0, b.1, b.2, b.3);
    let mut out = String::from("frame,time,busy,free_gpu_ms,governed_gpu_ms,gamma,finest_level,visible\n");
    for (i, (f, g)) in free.iter().zip(&held).enumerate() {
        let ms = |s: &FrameStats| s.gpu.map_or(String::new(), |t| format!("{:.4}", t.total()));
        let (t, b) = (g.time, busy(i, frames) as u8);
        out += &format!("{i},{t},{b},{},{},{},{},{}\n", ms(f), ms(g), g.lod.gamma, g.lod.finest, g.counters.visible);
    }
    std::fs::write(csv, out).expect("write the governor trace");
    println!("trace: {}", csv.display());
    format!(
        "{{\"asset\":\"{name}\",\"budget_ms\":{budget:.4},\"free\":{{\"p50\":{:.4},\"p99\":{:.4},\"max\":{:.4},\"over\":{}}},\"governed\":{{\"p50\":{:.4},\"p99\":{:.4},\"max\":{:.4},\"over\":{}}}}}",
        a.0, a.1, a.2, a.3, b.0, b.1, b.2, b.3
    )
}

/// Streaming: a long clip ten times the budget played through at 30 fps from its file, then
/// ten seeks; resident bytes and frame times per frame, against the whole asset resident.
fn stream(ctx: &Context, primitives: usize, csv: &std::path::Path) -> String {
    let path = csv.with_file_name("stream-clip.s4d");
    let clip = synthetic(primitives, 60.0);
    std::fs::write(&path, splat4d::pack::pack(&clip, &PackOptions::default(), &splat4d::pack::NoProgress).unwrap())
        .expect("write the clip");
    drop(clip);
    let asset = Asset::open(&path, splat4d::Verify::Structure).expect("open the clip");
    let attributes: u64 = asset.chunks().iter().filter(|c| c.size % asset.len() as u64 == 0).map(|c| c.size).sum();
    let budget = attributes / 10;
    let (w, h) = (1024, 1024);
    let camera = first_camera(&asset).resized(w, h);
    let mut times: Vec<f32> = (0..1800).map(|i| i as f32 / 30.0).collect();
    let seeks = [31.7f32, 2.2, 55.5, 12.0, 44.4, 0.5, 59.0, 20.1, 37.3, 8.8];
    times.extend(seeks);
    let cameras = vec![camera; times.len()];
    let mut resident = Renderer::new(ctx, &asset, &RendererOptions::new(w, h, 1)).expect("renderer");
    run(ctx, &mut resident, &times[..60], &cameras[..60]);
    let whole = run(ctx, &mut resident, &times, &cameras);
    resident.destroy(ctx);
    let play_streamed = |ctx: &Context| {
        let mut streaming =
            Renderer::streaming(ctx, &asset, &RendererOptions::new(w, h, 1), budget, &Default::default())
                .expect("streaming renderer");
        let frames = run(ctx, &mut streaming, &times, &cameras);
        streaming.destroy(ctx);
        frames
    };
    let streamed = play_streamed(ctx);
    // The same in the frames' own command buffers, where the device has a transfer queue.
    let in_frame = (ctx.upload_queue() != UploadQueue::InFrame).then(|| {
        let options = ContextOptions { upload_queue: UploadQueue::InFrame, ..Default::default() };
        play_streamed(&Context::new(&options).expect("a Vulkan device"))
    });

    let mut out = String::from(
        "frame,time,resident_bytes,page_uploads,page_misses,pages_apart,upload_bytes,cpu_prepare_ms,gpu_ms,\
         whole_gpu_ms,in_frame_gpu_ms\n",
    );
    for (i, (f, g)) in streamed.iter().zip(&whole).enumerate() {
        let ms = |s: &FrameStats| s.gpu.map_or(f64::NAN, |t| t.total());
        let c = &f.counters;
        out += &format!(
            "{i},{},{},{},{},{},{},{:.4},{:.4},{:.4},{:.4}\n",
            f.time,
            c.resident_bytes,
            c.page_uploads,
            c.page_misses,
            c.pages_apart,
            c.upload_bytes,
            f.cpu.prepare,
            ms(f),
            ms(g),
            in_frame.as_ref().map_or(f64::NAN, |v| ms(&v[i]))
        );
    }
    std::fs::write(csv, out).expect("write the streaming trace");
    let _ = std::fs::remove_file(&path);
    let play = 1800;
    let most = streamed.iter().map(|f| f.counters.resident_bytes).max().unwrap_or(0);
    let stat = |v: Vec<f64>| {
        let mut v: Vec<f64> = v.into_iter().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        (v[v.len() / 2], v[((v.len() - 1) as f64 * 0.99) as usize], v[v.len() - 1])
    };
    let frame = |f: &FrameStats| f.cpu.prepare + f.gpu.map_or(f64::NAN, |g| g.total());
    let (a, b) = (stat(whole[..play].iter().map(frame).collect()), stat(streamed[..play].iter().map(frame).collect()));
    let apart: u32 = streamed.iter().map(|f| f.counters.pages_apart).sum();
    let uploaded: u32 = streamed.iter().map(|f| f.counters.page_uploads).sum();
    let switches: Vec<&FrameStats> = streamed[..play].iter().filter(|f| f.counters.page_uploads > 0).collect();
    let waited = streamed[1..play].iter().filter(|f| f.counters.page_misses > 0).count();
    let worst_switch = switches.iter().map(|f| frame(f)).fold(0.0, f64::max);
    // The first frame loads its segment cold, as a seek does: the worst of the frames after it
    // is what steady playback costs at its worst.
    let worst_steady = streamed[1..play].iter().map(frame).fold(0.0, f64::max);
    let worst_seek = streamed[play..].iter().map(frame).fold(0.0, f64::max);
    let seek_bytes = streamed[play..].iter().map(|f| f.counters.upload_bytes).max().unwrap_or(0);
    println!(
        "\nstreaming: synthetic 60 s, {primitives} primitives, {:.1} MB of attributes, budget {:.1} MB, 1024x1024",
        attributes as f64 / 1e6,
        budget as f64 / 1e6
    );
    println!(
        "most resident {:.2} MB; {} of {play} frames streamed pages in; {waited} after the first waited for a page",
        most as f64 / 1e6,
        switches.len()
    );
    println!("uploads {:?}: {apart} of {uploaded} pages copied apart", ctx.upload_queue());
    println!("{:<28} {:>8} {:>8} {:>8}", "CPU prepare + GPU ms", "p50", "p99", "max");
    println!("{:<28} {:>8.3} {:>8.3} {:>8.3}", "whole asset resident", a.0, a.1, a.2);
    println!("{:<28} {:>8.3} {:>8.3} {:>8.3}", format!("streamed ({:?})", ctx.upload_queue()), b.0, b.1, b.2);
    let c = in_frame.as_ref().map(|v| stat(v[..play].iter().map(frame).collect()));
    if let Some(c) = c {
        println!("{:<28} {:>8.3} {:>8.3} {:>8.3}", "streamed (InFrame)", c.0, c.1, c.2);
    }
    println!(
        "worst frame that streamed pages in: {worst_switch:.3} ms; after the first (cold) frame: {worst_steady:.3} ms; \
         worst seek: {worst_seek:.3} ms ({:.1} MB read)",
        seek_bytes as f64 / 1e6
    );
    println!("trace: {}", csv.display());
    let in_frame = c.map_or("null".into(), |c| format!("{{\"p50\":{:.4},\"p99\":{:.4},\"max\":{:.4}}}", c.0, c.1, c.2));
    format!(
        "{{\"primitives\":{primitives},\"attribute_bytes\":{attributes},\"budget_bytes\":{budget},\"most_resident_bytes\":{most},\"streaming_frames\":{},\"frames_that_waited\":{waited},\"upload_queue\":\"{:?}\",\"pages_uploaded\":{uploaded},\"pages_apart\":{apart},\"whole\":{{\"p50\":{:.4},\"p99\":{:.4},\"max\":{:.4}}},\"streamed\":{{\"p50\":{:.4},\"p99\":{:.4},\"max\":{:.4}}},\"streamed_in_frame\":{in_frame},\"worst_switch_ms\":{worst_switch:.4},\"worst_after_first_frame_ms\":{worst_steady:.4},\"worst_seek_ms\":{worst_seek:.4},\"seek_upload_bytes\":{seek_bytes}}}",
        switches.len(), ctx.upload_queue(), a.0, a.1, a.2, b.0, b.1, b.2
    )
}

fn main() {
    let mut frames = 30usize;
    let mut primitives = 200_000usize;
    let mut budget = None;
    let mut part: Option<String> = None;
    let mut json_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench/lod.json");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--frames" => frames = args.next().and_then(|v| v.parse().ok()).expect("--frames N"),
            "--primitives" => primitives = args.next().and_then(|v| v.parse().ok()).expect("--primitives N"),
            "--budget-ms" => budget = args.next().and_then(|v| v.parse().ok()),
            "--part" => part = args.next(),
            "--json" => json_path = args.next().map(Into::into).expect("--json PATH"),
            _ => {}
        }
    }
    let ctx = Context::new(&ContextOptions::default()).expect("a Vulkan device");
    println!("device: {}", ctx.device_name());
    if part.as_deref() == Some("stream") {
        let streamed = stream(&ctx, primitives, &json_path.with_extension("csv"));
        let json = format!("{{{},\"streaming\":{streamed}}}\n", provenance(&ctx));
        std::fs::write(&json_path, json).expect("write json");
        println!("wrote {}", json_path.display());
        return;
    }
    let assets = std::env::var_os("SPLAT4D_ASSETS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/assets"));
    let shared = assets.join("4d/technicolor-sam.splatv");
    let sam = import_paths(&[shared], &ImportOptions::default()).expect("the shared technicolor-sam asset");

    let wants = |p: &str| part.as_deref().is_none_or(|w| w == p);
    let long = synthetic(primitives, 60.0);
    let assets = vec![
        (format!("synthetic 60 s, {primitives}"), open_with(&long, &PackOptions::default())),
        ("technicolor-sam".to_string(), open_with(&sam, &PackOptions::default())),
    ];
    let active = if wants("active") { active_sets(&ctx, &assets, frames) } else { Vec::new() };
    drop(assets);
    drop(long);
    if part.as_deref() == Some("active") {
        let json = format!("{{{},\"active_sets\":[{}]}}\n", provenance(&ctx), active.join(","));
        std::fs::write(&json_path, json).expect("write json");
        println!("wrote {}", json_path.display());
        return;
    }

    let mut lod = Vec::new();
    if wants("levels") {
        let leveled = open_with(&sam, &PackOptions { levels: 5, ..Default::default() });
        lod = levels(&ctx, "technicolor-sam, 5 levels", &leveled, frames.min(10));
    }

    // Named after the JSON, so that each run's trace stays beside its own figures.
    let trace = json_path.with_extension("csv");
    if let Some(dir) = trace.parent() {
        std::fs::create_dir_all(dir).expect("the output folder");
    }
    let short = synthetic(primitives / 4, 2.0);
    let g = open_with(&short, &PackOptions { levels: 5, ..Default::default() });
    let busy_clip = open_with(&spheres(primitives / 4, 2.0, true), &PackOptions { levels: 5, ..Default::default() });
    if wants("levels") {
        lod.extend(levels(&ctx, &format!("synthetic 2 s, {}, 5 levels", primitives / 4), &g, frames.min(10)));
        let objects = open_with(&spheres(primitives / 4, 2.0, false), &PackOptions { levels: 5, ..Default::default() });
        lod.extend(levels(&ctx, &format!("spheres, {} splats, 5 levels", primitives / 4), &objects, frames.min(10)));
    }
    let governed = if wants("governor") {
        let name = format!("spheres, 2 s, {} splats and 3x in a burst, 5 levels", primitives / 4);
        governor(&ctx, &name, &busy_clip, frames.max(60) * 4, budget, &trace)
    } else {
        "null".into()
    };

    let json = format!(
        "{{{},\"active_sets\":[{}],\"levels\":[{}],\"governor\":{governed}}}\n",
        provenance(&ctx),
        active.join(","),
        lod.join(",")
    );
    std::fs::write(&json_path, json).expect("write json");
    println!("wrote {}", json_path.display());
}
