//! The GPU frame against the CPU reference renderer, on a real Vulkan device (lavapipe in CI)
//! with validation on: mono ≥ 38 dB, each stereo eye ≥ 35 dB against the reference at that
//! eye's camera. A failing comparison writes the images and their difference.

mod common;

use std::path::PathBuf;

use splat4d::glam::Vec3;
use splat4d::gpu::{Context, ContextOptions};
use splat4d::reference::{render, RenderSettings};
use splat4d::renderer::{Renderer, RendererOptions, TargetFormat};
use splat4d::{demo, Asset, Camera};

fn context(disable_multiview: bool) -> Context {
    Context::new(&ContextOptions { validation: true, disable_multiview, ..Default::default() })
        .unwrap_or_else(|e| panic!("a Vulkan device with validation layers is required for this test: {e}"))
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let (mut sum, mut n) = (0.0f64, 0usize);
    for (p, q) in a.chunks_exact(4).zip(b.chunks_exact(4)) {
        for c in 0..3 {
            sum += (p[c] as f64 - q[c] as f64).powi(2);
            n += 1;
        }
    }
    if sum == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64.powi(2) * n as f64 / sum).log10()
    }
}

fn save(name: &str, w: u32, h: u32, rgba: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/gpu-failures");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let mut enc = png::Encoder::new(std::io::BufWriter::new(std::fs::File::create(&path).unwrap()), w, h);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header().unwrap().write_image_data(rgba).unwrap();
    path
}

/// Compares a GPU image with the reference at the same camera; on failure saves both and
/// their difference (×8) and returns a message.
fn compare(
    name: &str,
    gpu: &[u8],
    asset: &Asset,
    t: f32,
    camera: &Camera,
    min_db: f64,
    worst: &mut f64,
) -> Option<String> {
    let reference = render(asset, t, camera, &RenderSettings::default()).to_rgba8();
    let db = psnr(gpu, &reference);
    *worst = worst.min(db);
    if db >= min_db {
        return None;
    }
    let (w, h) = (camera.width, camera.height);
    save(&format!("{name}_gpu.png"), w, h, gpu);
    save(&format!("{name}_reference.png"), w, h, &reference);
    let diff: Vec<u8> = gpu
        .iter()
        .zip(&reference)
        .enumerate()
        .map(|(i, (a, b))| if i % 4 == 3 { 255 } else { a.abs_diff(*b).saturating_mul(8) })
        .collect();
    let path = save(&format!("{name}_diff.png"), w, h, &diff);
    Some(format!("{name}: {db:.2} dB < {min_db} dB (images in {})", path.parent().unwrap().display()))
}

fn stereo_pair(c: &Camera, ipd: f32) -> [Camera; 2] {
    let right = c.rotation.col(0);
    [
        Camera { position: c.position - right * ipd * 0.5, ..*c },
        Camera { position: c.position + right * ipd * 0.5, ..*c },
    ]
}

struct Case {
    name: &'static str,
    asset: Asset,
    times: Vec<f32>,
    cameras: Vec<Camera>,
}

fn cases(w: u32, h: u32) -> Vec<Case> {
    let look = |eye: Vec3, target: Vec3| Camera::look_at(eye, target, Vec3::Y, w, h, 60f32.to_radians());
    let v = Vec3::new;
    let open = |rel: &str| common::pack_open(&common::import(rel), false);
    let sam = open("4d/technicolor-sam.splatv");
    let sam_cams = vec![sam.cameras()[0].resized(w, h), sam.cameras()[400].resized(w, h)];
    let demo = common::pack_open(&demo::scene(), false);
    let demo_cams = demo.cameras().iter().map(|c| c.resized(w, h)).collect();
    vec![
        Case { name: "demo", asset: demo, times: vec![0.5, 2.9], cameras: demo_cams },
        Case { name: "technicolor-sam", asset: sam, times: vec![0.2, 0.7], cameras: sam_cams },
        Case {
            name: "fireworks-timesliced",
            asset: open("4d/fireworks-timesliced.splatv"),
            times: vec![0.25, 0.75],
            cameras: vec![look(v(0.0, 0.0, 1.5), v(0.0, 0.0, 0.0)), look(v(1.6, -0.5, 1.2), Vec3::ZERO)],
        },
        Case {
            name: "fireworks-frames",
            asset: open("4d/fireworks-frames"),
            times: vec![1.5 / 30.0, 4.5 / 30.0],
            cameras: vec![look(v(3.0, 0.0, 0.3), v(0.0, 0.0, 0.3)), look(v(2.0, -1.5, -2.0), v(0.0, 0.0, 0.3))],
        },
        Case {
            name: "fruit-drops-sh3",
            asset: open("3d/fruit-drops-sh3.ply"),
            times: vec![0.0],
            cameras: vec![
                look(v(0.75, 0.12, -1.2), v(0.75, 0.12, -2.1)),
                look(v(0.2, -0.2, -1.4), v(0.75, 0.12, -2.1)),
            ],
        },
        Case {
            name: "coffee10-defective",
            asset: open("4d/coffee10-defective.splatv"),
            times: vec![0.3, 0.8],
            cameras: vec![look(v(-1.5, -0.6, 0.0), v(-3.3, 0.2, 4.4))],
        },
        Case {
            name: "lod-tile",
            asset: open("3d/lod-tile-unnormalized-quats.ply"),
            times: vec![0.0],
            cameras: vec![look(v(2.0, 2.0, -2.5), v(2.0, 2.0, 4.7))],
        },
        Case {
            name: "minimal",
            asset: open("3d/minimal.splat"),
            times: vec![0.0],
            cameras: vec![look(v(-0.5, -0.3, -3.0), v(-0.5, 0.0, -0.5))],
        },
    ]
}

#[test]
fn gpu_matches_the_reference_mono_and_stereo() {
    let ctx = context(false);
    // The test is about multiview: a device without it (or a driver where it is broken) would
    // test only the per-eye path, which the next test covers.
    assert!(ctx.multiview, "{} has no usable multiview; run the tests with scripts/vk-chroot.sh", ctx.device_name());
    compare_all(&ctx);
}

#[test]
fn stereo_without_multiview_renders_one_pass_per_eye() {
    let ctx = context(true);
    assert!(!ctx.multiview);
    compare_all(&ctx);
}

fn compare_all(ctx: &Context) {
    let (w, h) = (160, 96);
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut worst = [f64::INFINITY; 2];
    for case in cases(w, h) {
        for views in [1u32, 2] {
            let options = RendererOptions {
                width: w,
                height: h,
                views,
                format: TargetFormat::Rgba8Unorm,
                background: Vec3::ZERO,
            };
            let mut renderer =
                Renderer::new(ctx, &case.asset, &options).unwrap_or_else(|e| panic!("{}: {e}", case.name));
            for &t in &case.times {
                for (ci, camera) in case.cameras.iter().enumerate() {
                    let eyes: Vec<Camera> =
                        if views == 1 { vec![*camera] } else { stereo_pair(camera, 0.064).to_vec() };
                    renderer.render(ctx, t, &eyes).unwrap();
                    let images = renderer.read_back(ctx).unwrap();
                    for (e, (image, eye)) in images.iter().zip(&eyes).enumerate() {
                        let name = format!("{}_v{views}_t{t}_c{ci}_e{e}", case.name);
                        let min_db = if views == 1 { 38.0 } else { 35.0 };
                        failures.extend(compare(
                            &name,
                            image,
                            &case.asset,
                            t,
                            eye,
                            min_db,
                            &mut worst[views as usize - 1],
                        ));
                        compared += 1;
                    }
                }
            }
            renderer.destroy(ctx);
        }
    }
    let mode = if ctx.multiview { "multiview" } else { "one pass per eye" };
    eprintln!(
        "{compared} images on {} ({mode}): worst PSNR mono {:.2} dB, stereo {:.2} dB",
        ctx.device_name(),
        worst[0],
        worst[1]
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(compared >= 50, "compared {compared} images");
    let messages = ctx.validation_messages();
    assert!(messages.is_empty(), "validation messages: {messages:#?}");
}
