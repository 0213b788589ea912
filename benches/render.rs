//! GPU frame benchmark: renders N frames of an asset across its time range for mono and stereo
//! targets and reports per-stage GPU time (timestamp queries) and the pipelined frame time.
//!
//!     cargo bench -p splat4d --bench render -- [--frames N] [--synthetic PRIMITIVES]
//!         [--overhead] [--json PATH] [ASSET...]
//!
//! Without assets it benchmarks the demo scene and, when `../shared/assets` is present,
//! technicolor-sam. `--synthetic N` adds a generated 4DGS-like scene of N short-lived
//! primitives. `--overhead` measures the cost of profiling instead: frame time with stats off,
//! on, and on with a capture recording. Prints a table and writes it as JSON (default
//! `target/bench/render.json`).

mod common;

use std::time::Instant;

use common::{eyes, first_camera, list, median, open, synthetic, write_json};

use splat4d::glam::Vec3;
use splat4d::gpu::{Context, ContextOptions};
use splat4d::renderer::{Renderer, RendererOptions, SortOrder, StageTimes, TargetFormat};
use splat4d::Asset;

struct Mode {
    name: &'static str,
    width: u32,
    height: u32,
    views: u32,
    sort: SortOrder,
}

const MODES: [Mode; 6] = [
    Mode { name: "mono 1280x720", width: 1280, height: 720, views: 1, sort: SortOrder::Shared },
    // Neural 3D Video (N3V) captures' size.
    Mode { name: "mono 1352x1014", width: 1352, height: 1014, views: 1, sort: SortOrder::Shared },
    Mode { name: "mono 1024x1024", width: 1024, height: 1024, views: 1, sort: SortOrder::Shared },
    Mode { name: "stereo 2x1024x1024", width: 1024, height: 1024, views: 2, sort: SortOrder::Shared },
    Mode { name: "stereo per-eye sort", width: 1024, height: 1024, views: 2, sort: SortOrder::PerEye },
    // Quest 3's recommended eye-buffer size.
    Mode { name: "stereo 2x2064x2208", width: 2064, height: 2208, views: 2, sort: SortOrder::Shared },
];

/// Profiling on against off: the same frames rendered with stats off, on, and on with a capture
/// recording, in interleaved blocks so that drifting clocks and load hit all three alike.
/// Returns JSON rows.
fn overhead(ctx: &Context, assets: &[(String, Asset)], frames: usize) -> Vec<String> {
    const BLOCK: usize = 10;
    println!(
        "{:<22} {:<20} {:>10} {:>10} {:>12} {:>9} {:>9}",
        "asset", "target", "off ms", "on ms", "capture ms", "on", "capture"
    );
    let mut rows = Vec::new();
    for (name, asset) in assets {
        let [t0, t1] = asset.info().time_range;
        for (target, w, h, views) in [("stereo 2x256x256", 256, 256, 2), ("stereo 2x1024x1024", 1024, 1024, 2)] {
            let options = |stats| RendererOptions {
                width: w,
                height: h,
                views,
                format: TargetFormat::Rgba8Unorm,
                background: Vec3::ZERO,
                sort: SortOrder::Shared,
                stats,
                frames_in_flight: splat4d::renderer::FRAMES_IN_FLIGHT,
            };
            let mut renderers = [
                Renderer::new(ctx, asset, &options(false)).expect("renderer"),
                Renderer::new(ctx, asset, &options(true)).expect("renderer"),
                Renderer::new(ctx, asset, &options(true)).expect("renderer"),
            ];
            renderers[2].start_capture(ctx, splat4d::profile::MAX_CAPTURE_FRAMES);
            let views = eyes(first_camera(asset).resized(w, h), views);
            let time = |i: usize| t0 + (t1 - t0) * (i % frames.max(1)) as f32 / frames.max(1) as f32;
            let mut blocks: [Vec<f64>; 3] = Default::default();
            for round in 0..frames.div_ceil(BLOCK) + 1 {
                // Each round in another order, so that no configuration always follows another.
                for k in 0..3 {
                    let which = (round + k) % 3;
                    let (r, times) = (&mut renderers[which], &mut blocks[which]);
                    let start = Instant::now();
                    for i in 0..BLOCK {
                        r.render(ctx, time(round * BLOCK + i), &views).expect("render");
                    }
                    r.read_back(ctx).expect("read back");
                    // The first round warms up.
                    if round > 0 {
                        times.push(start.elapsed().as_secs_f64() * 1e3 / BLOCK as f64);
                    }
                }
            }
            let captured = renderers[2].stop_capture(ctx).expect("stop").map_or(0, |c| c.len());
            for r in renderers {
                r.destroy(ctx);
            }
            let raw = blocks.clone();
            let [off, on, capture] = blocks.map(median);
            let pct = |x: f64| 100.0 * (x - off) / off;
            println!(
                "{name:<22} {target:<20} {off:>10.3} {on:>10.3} {capture:>12.3} {:>8.2}% {:>8.2}%",
                pct(on),
                pct(capture)
            );
            let blocks = frames.div_ceil(BLOCK);
            rows.push(format!(
                "{{\"asset\":\"{name}\",\"target\":\"{target}\",\"blocks\":{blocks},\"block_frames\":{BLOCK},\"frames_captured\":{captured},\"off_ms\":{off:.4},\"on_ms\":{on:.4},\"capture_ms\":{capture:.4},\"on_overhead_pct\":{:.3},\"capture_overhead_pct\":{:.3},\"block_ms\":{{\"off\":{},\"on\":{},\"capture\":{}}}}}",
                pct(on),
                pct(capture),
                list(raw[0].iter().copied()),
                list(raw[1].iter().copied()),
                list(raw[2].iter().copied())
            ));
        }
    }
    rows
}

fn main() {
    let mut frames = 30usize;
    let mut measure_overhead = false;
    let mut synthetic_n = None;
    let mut paths = Vec::new();
    let mut json_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench/render.json");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--frames" => frames = args.next().and_then(|v| v.parse().ok()).expect("--frames N"),
            "--synthetic" => synthetic_n = args.next().and_then(|v| v.parse().ok()),
            "--json" => json_path = args.next().map(Into::into).expect("--json PATH"),
            "--overhead" => measure_overhead = true,
            "--bench" => {}
            other => paths.push(std::path::PathBuf::from(other)),
        }
    }
    let mut assets = common::assets(paths);
    if let Some(n) = synthetic_n {
        assets.push((format!("synthetic-{n}"), open(&synthetic(n, 10.0))));
    }

    let ctx = Context::new(&ContextOptions::default()).expect("a Vulkan device");
    println!(
        "device: {} (multiview {})",
        ctx.device_name(),
        if ctx.multiview { "on" } else { "off: one pass per eye" }
    );
    if measure_overhead {
        let rows = overhead(&ctx, &assets, frames);
        write_json(&json_path, &ctx, "overhead", &rows);
        return;
    }
    println!(
        "{:<22} {:<20} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9} {:>10}",
        "asset", "mode", "prims", "slice", "sort", "raster", "resolve", "GPU ms", "frame ms"
    );
    let mut rows = Vec::new();
    for (name, asset) in &assets {
        let base = first_camera(asset);
        let [t0, t1] = asset.info().time_range;
        for mode in &MODES {
            let options = RendererOptions {
                width: mode.width,
                height: mode.height,
                views: mode.views,
                format: TargetFormat::Rgba8Unorm,
                background: Vec3::ZERO,
                sort: mode.sort,
                stats: true,
                frames_in_flight: splat4d::renderer::FRAMES_IN_FLIGHT,
            };
            let mut renderer = Renderer::new(&ctx, asset, &options).expect("renderer");
            let eyes = eyes(base.resized(mode.width, mode.height), mode.views);
            let time = |i: usize| t0 + (t1 - t0) * i as f32 / frames.max(1) as f32;
            // A few frames to settle clocks and caches, then frames back to back with two in
            // flight and one wait at the end; stage times come from finished frames as they
            // retire, without waiting.
            for i in 0..frames.min(10) {
                renderer.render(&ctx, time(i), &eyes).expect("render");
            }
            renderer.read_back(&ctx).expect("read back");
            // Every timed frame's stage times, captured as the frames retire (polling the
            // latest finished frame instead skips those that retire together).
            renderer.start_capture(&ctx, frames as u32);
            let start = Instant::now();
            for i in 0..frames {
                renderer.render(&ctx, time(i), &eyes).expect("render");
            }
            renderer.read_back(&ctx).expect("read back");
            let frame_ms = start.elapsed().as_secs_f64() * 1e3 / frames as f64;
            let capture = renderer.stop_capture(&ctx).expect("stop the capture").expect("a capture");
            let stages: Vec<StageTimes> = capture.frames().filter_map(|f| f.gpu).collect();
            assert_eq!(stages.len(), frames, "every timed frame's stage times");
            renderer.destroy(&ctx);
            let m = |f: fn(&StageTimes) -> f64| median(stages.iter().map(f).collect());
            let row = [m(|s| s.slice), m(|s| s.sort), m(|s| s.raster), m(|s| s.resolve), m(StageTimes::total)];
            println!(
                "{:<22} {:<20} {:>9} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>9.2} {:>10.2}",
                name,
                mode.name,
                asset.len(),
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                frame_ms
            );
            // Every timed frame's stages, the raw data behind the medians.
            let per_frame = |f: fn(&StageTimes) -> f64| list(stages.iter().map(f));
            rows.push(format!(
                "{{\"asset\":\"{name}\",\"mode\":\"{}\",\"primitives\":{},\"frames\":{frames},\"slice_ms\":{:.4},\"sort_ms\":{:.4},\"raster_ms\":{:.4},\"resolve_ms\":{:.4},\"gpu_ms\":{:.4},\"frame_ms\":{:.4},\"frames_ms\":{{\"frame\":{},\"slice\":{},\"sort\":{},\"raster\":{},\"resolve\":{},\"gpu\":{}}}}}",
                mode.name,
                asset.len(),
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                frame_ms,
                list(stages.iter().map(|s| s.frame as f64)),
                per_frame(|s| s.slice),
                per_frame(|s| s.sort),
                per_frame(|s| s.raster),
                per_frame(|s| s.resolve),
                per_frame(StageTimes::total)
            ));
        }
    }
    write_json(&json_path, &ctx, "results", &rows);
}
