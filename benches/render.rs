//! GPU frame benchmark: renders N frames of an asset across its time range for mono and stereo
//! targets and reports per-stage GPU time (timestamp queries) and the pipelined frame time.
//!
//!     cargo bench -p splat4d --bench render -- [--frames N] [--synthetic PRIMITIVES]
//!         [--json PATH] [ASSET...]
//!
//! Without assets it benchmarks the demo scene and, when `../shared/assets` is present,
//! technicolor-sam. `--synthetic N` adds a generated 4DGS-like scene of N short-lived
//! primitives. Prints a table and writes it as JSON (default `target/bench/render.json`).

use std::time::Instant;

use splat4d::asset::format::SourceKind;
use splat4d::glam::{Vec3, Vec4};
use splat4d::gpu::{Context, ContextOptions};
use splat4d::import::{import_paths, ImportOptions};
use splat4d::pack::{pack, NoProgress, PackOptions};
use splat4d::renderer::{Renderer, RendererOptions, SortOrder, StageTimes, TargetFormat};
use splat4d::{demo, sh, Asset, Camera, Primitive, Splats, Verify};

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

/// A 4DGS-like scene: primitives living ~0.3 s each in a 10 s clip, moving linearly, with
/// degree-3 SH, filling a room-sized volume in front of the first camera.
fn synthetic(n: usize) -> Splats {
    let mut s = Splats::new(SourceKind::Procedural, 3, 0, [0.0, 10.0], 30.0);
    let mut state = 7u64;
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    let mut coeffs = vec![[0.0f32; 3]; sh::coeff_count(3, 0)];
    for _ in 0..n {
        let t0 = next() * 10.0;
        let p = Vec3::new(next() * 4.0 - 2.0, next() * 2.0 - 1.0, next() * 4.0 + 1.0);
        for c in coeffs.iter_mut() {
            *c = [next() * 0.1 - 0.05, next() * 0.1 - 0.05, next() * 0.1 - 0.05];
        }
        coeffs[0] = [sh::dc_from_rgb(next()), sh::dc_from_rgb(next()), sh::dc_from_rgb(next())];
        let sigma = 0.05 + next() * 0.1;
        let prim = Primitive {
            position: p,
            t0,
            sigma_t: sigma,
            window: [t0 - 2.45 * sigma, t0 + 2.45 * sigma],
            motion: [Vec3::new(next() - 0.5, next() - 0.5, next() - 0.5) * 0.2, Vec3::ZERO, Vec3::ZERO],
            rotation: Vec4::new(next(), next(), next(), next()) - 0.5,
            scale: Vec3::new(next(), next(), next()) * 0.02 + 0.002,
            opacity: 0.2 + 0.8 * next(),
            ..Primitive::default()
        };
        s.push(prim, &coeffs);
    }
    s.cameras = vec![Camera::look_at(Vec3::new(0.0, 0.0, -1.5), Vec3::new(0.0, 0.0, 3.0), Vec3::Y, 1352, 1014, 1.0)];
    s.report.source = format!("synthetic {n}");
    s
}

fn open(splats: &Splats) -> Asset {
    let bytes = pack(splats, &PackOptions::default(), &NoProgress).expect("pack");
    Asset::from_bytes(&bytes, Verify::Structure).expect("open")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() {
    let mut frames = 30usize;
    let mut synthetic_n = None;
    let mut paths = Vec::new();
    let mut json_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench/render.json");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--frames" => frames = args.next().and_then(|v| v.parse().ok()).expect("--frames N"),
            "--synthetic" => synthetic_n = args.next().and_then(|v| v.parse().ok()),
            "--json" => json_path = args.next().map(Into::into).expect("--json PATH"),
            "--bench" => {}
            other => paths.push(std::path::PathBuf::from(other)),
        }
    }
    let mut assets: Vec<(String, Asset)> = vec![("demo".into(), open(&demo::scene()))];
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/assets/4d/technicolor-sam.splatv");
    if paths.is_empty() && shared.is_file() {
        paths.push(shared);
    }
    for p in paths {
        let splats = import_paths(std::slice::from_ref(&p), &ImportOptions::default()).expect("import");
        assets.push((p.file_stem().unwrap().to_string_lossy().into_owned(), open(&splats)));
    }
    if let Some(n) = synthetic_n {
        assets.push((format!("synthetic-{n}"), open(&synthetic(n))));
    }

    let ctx = Context::new(&ContextOptions::default()).expect("a Vulkan device");
    println!(
        "device: {} (multiview {})",
        ctx.device_name(),
        if ctx.multiview { "on" } else { "off: one pass per eye" }
    );
    println!(
        "{:<22} {:<20} {:>9} {:>8} {:>8} {:>8} {:>9} {:>10}",
        "asset", "mode", "prims", "slice", "sort", "raster", "GPU ms", "frame ms"
    );
    let mut rows = Vec::new();
    for (name, asset) in &assets {
        let base = asset.cameras().first().copied().unwrap_or_else(|| {
            let f = asset.info().focus;
            splat4d::camera::orbit_cameras(Vec3::new(f[0], f[1], f[2]), f[3], 1, 1280, 720)[0]
        });
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
            };
            let mut renderer = Renderer::new(&ctx, asset, &options).expect("renderer");
            let camera = base.resized(mode.width, mode.height);
            let right = camera.rotation.col(0) * 0.032;
            let eyes: Vec<Camera> = if mode.views == 1 {
                vec![camera]
            } else {
                vec![
                    Camera { position: camera.position - right, ..camera },
                    Camera { position: camera.position + right, ..camera },
                ]
            };
            let time = |i: usize| t0 + (t1 - t0) * i as f32 / frames.max(1) as f32;
            // A few frames to settle clocks and caches, then frames back to back with two in
            // flight and one wait at the end; stage times come from finished frames as they
            // retire, without waiting.
            for i in 0..frames.min(10) {
                renderer.render(&ctx, time(i), &eyes).expect("render");
            }
            renderer.read_back(&ctx).expect("read back");
            let first = renderer.stage_times(&ctx).map_or(0, |s| s.frame);
            let mut stages: Vec<StageTimes> = Vec::new();
            let start = Instant::now();
            for i in 0..frames {
                renderer.render(&ctx, time(i), &eyes).expect("render");
                if let Some(s) = renderer.stage_times(&ctx) {
                    if s.frame > first && stages.last().is_none_or(|l| l.frame < s.frame) {
                        stages.push(s);
                    }
                }
            }
            renderer.read_back(&ctx).expect("read back");
            let frame_ms = start.elapsed().as_secs_f64() * 1e3 / frames as f64;
            stages.extend(renderer.stage_times(&ctx).filter(|s| stages.last().is_none_or(|l| l.frame < s.frame)));
            renderer.destroy(&ctx);
            let m = |f: fn(&StageTimes) -> f64| median(stages.iter().map(f).collect());
            let row = (m(|s| s.slice), m(|s| s.sort), m(|s| s.raster), m(StageTimes::total));
            println!(
                "{:<22} {:<20} {:>9} {:>8.2} {:>8.2} {:>8.2} {:>9.2} {:>10.2}",
                name,
                mode.name,
                asset.len(),
                row.0,
                row.1,
                row.2,
                row.3,
                frame_ms
            );
            rows.push(format!(
                "{{\"asset\":\"{name}\",\"mode\":\"{}\",\"primitives\":{},\"frames\":{frames},\"slice_ms\":{:.4},\"sort_ms\":{:.4},\"raster_ms\":{:.4},\"gpu_ms\":{:.4},\"frame_ms\":{:.4}}}",
                mode.name,
                asset.len(),
                row.0,
                row.1,
                row.2,
                row.3,
                frame_ms
            ));
        }
    }
    if let Some(dir) = json_path.parent() {
        std::fs::create_dir_all(dir).expect("the JSON's folder");
    }
    let json = format!(
        "{{\"device\":{:?},\"multiview\":{},\"results\":[{}]}}\n",
        ctx.device_name(),
        ctx.multiview,
        rows.join(",")
    );
    std::fs::write(&json_path, json).expect("write json");
    println!("wrote {}", json_path.display());
}
