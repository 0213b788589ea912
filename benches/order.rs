//! Popping as the head turns: a static scene (one time) seen while the view turns about its
//! own vertical axis, `--step` degrees a frame, in each sort order. A pure rotation moves the
//! image by a homography, so each frame is warped onto the one before (bilinear) and compared
//! over the pixels both see: what differs by more than `--threshold` 8-bit steps there is
//! footprints changing shape across the image (the same in both orders) plus splats that swap
//! their blend order (only where the order follows view depth).
//!
//! ```text
//! cargo bench -p splat4d --bench order -- [--frames N] [--step DEG] [--size WxH] [--threshold STEPS] [--json PATH] [ASSET]
//! ```
//!
//! Without an asset: technicolor-sam from `../shared/assets`, else the demo scene. Writes
//! `target/bench/order.json` unless `--json` says otherwise.

mod common;

use common::{first_camera, list, median};

use splat4d::glam::{Mat3, Vec3};
use splat4d::gpu::{Context, ContextOptions};
use splat4d::renderer::{Renderer, RendererOptions, SortOrder};
use splat4d::Camera;

/// Frame `b` (seen by `cb`) warped onto frame `a`'s pixels (seen by `ca`, the same intrinsics
/// and position): the fraction of the pixels both see whose colour differs by more than
/// `threshold` steps in some channel.
fn popped(a: &[u8], b: &[u8], ca: &Camera, cb: &Camera, threshold: u8) -> f64 {
    let (w, h) = (ca.width as usize, ca.height as usize);
    let to_b = cb.rotation.transpose() * ca.rotation;
    let (mut seen, mut differ) = (0u64, 0u64);
    for y in 0..h {
        for x in 0..w {
            let d = Vec3::new((x as f32 + 0.5 - ca.cx) / ca.fx, (y as f32 + 0.5 - ca.cy) / ca.fy, 1.0);
            let e = to_b * d;
            if e.z <= 0.0 {
                continue;
            }
            let (u, v) = (cb.fx * e.x / e.z + cb.cx - 0.5, cb.fy * e.y / e.z + cb.cy - 0.5);
            if u < 0.0 || v < 0.0 || u >= (w - 1) as f32 || v >= (h - 1) as f32 {
                continue;
            }
            let (x0, y0) = (u as usize, v as usize);
            let (fx, fy) = (u - x0 as f32, v - y0 as f32);
            let at = |xx: usize, yy: usize, c: usize| b[4 * (yy * w + xx) + c] as f32;
            seen += 1;
            let off = (0..3).any(|c| {
                let s = at(x0, y0, c) * (1.0 - fx) * (1.0 - fy)
                    + at(x0 + 1, y0, c) * fx * (1.0 - fy)
                    + at(x0, y0 + 1, c) * (1.0 - fx) * fy
                    + at(x0 + 1, y0 + 1, c) * fx * fy;
                (s - a[4 * (y * w + x) + c] as f32).abs() > threshold as f32
            });
            differ += u64::from(off);
        }
    }
    differ as f64 / seen.max(1) as f64
}

fn main() {
    let (mut frames, mut step, mut threshold) = (40usize, 0.5f32, 16u8);
    let (mut w, mut h) = (1024u32, 1024u32);
    let mut path = None;
    let mut json_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench/order.json");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--frames" => frames = args.next().and_then(|v| v.parse().ok()).expect("--frames N"),
            "--step" => step = args.next().and_then(|v| v.parse().ok()).expect("--step DEG"),
            "--threshold" => threshold = args.next().and_then(|v| v.parse().ok()).expect("--threshold STEPS"),
            "--size" => (w, h) = common::size(args.next()),
            "--json" => json_path = args.next().map(Into::into).expect("--json PATH"),
            "--bench" => {}
            other => path = Some(std::path::PathBuf::from(other)),
        }
    }
    // The last of the assets: the one asked for, else technicolor-sam, else the demo.
    let (name, asset) = common::assets(path.into_iter().collect()).pop().expect("the demo at least");
    let ctx = Context::new(&ContextOptions::default()).expect("a Vulkan device");
    let base = first_camera(&asset).resized(w, h);
    let [t0, t1] = asset.info().time_range;
    let time = 0.5 * (t0 + t1);
    // Turning about the view's own vertical axis, centred on the first camera.
    let view = |k: usize| {
        let angle = (k as f32 - frames as f32 / 2.0) * step.to_radians();
        Camera { rotation: base.rotation * Mat3::from_rotation_y(angle), ..base }
    };
    println!(
        "device: {}; {name}, {w}x{h}, {frames} frames turning {step}° each, > {threshold} steps",
        ctx.device_name()
    );
    let mut rows = Vec::new();
    for (label, sort) in [("view depth", SortOrder::Shared), ("distance", SortOrder::Distance)] {
        let options = RendererOptions { sort, ..RendererOptions::new(w, h, 1) };
        let mut renderer = Renderer::new(&ctx, &asset, &options).expect("renderer");
        let mut images = Vec::new();
        for k in 0..frames {
            renderer.render(&ctx, time, &[view(k)]).expect("render");
            images.push(renderer.read_back(&ctx).expect("read back").remove(0));
        }
        renderer.destroy(&ctx);
        let fractions: Vec<f64> =
            (1..frames).map(|k| popped(&images[k - 1], &images[k], &view(k - 1), &view(k), threshold)).collect();
        let mut sorted = fractions.clone();
        sorted.sort_by(f64::total_cmp);
        let p90 = sorted[(sorted.len() * 9 / 10).min(sorted.len() - 1)];
        let worst = sorted.last().copied().unwrap_or(f64::NAN);
        let mid = median(fractions.clone());
        println!(
            "{label:<11} pixels changed frame to frame: median {:.3} %, p90 {:.3} %, worst {:.3} %",
            100.0 * mid,
            100.0 * p90,
            100.0 * worst
        );
        rows.push(format!(
            "{{\"order\":\"{label}\",\"asset\":\"{name}\",\"size\":[{w},{h}],\"frames\":{frames},\"step_deg\":{step},\"threshold\":{threshold},\"median\":{mid:.6},\"p90\":{p90:.6},\"worst\":{worst:.6},\"per_frame\":{}}}",
            list(fractions.iter().copied())
        ));
    }
    common::write_json(&json_path, &ctx, "results", &rows);
}
