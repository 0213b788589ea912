//! Golden images: reference renders of every shared asset (and the demo scene) at two times and
//! two cameras, compared with the PNGs checked in under `tests/golden/`. A change that moves
//! pixels fails here; if the move is intended, regenerate with `SPLAT4D_BLESS=1 cargo test
//! --test golden` and look at the new images before committing them.

mod common;

use std::path::PathBuf;

use splat4d::glam::Vec3;
use splat4d::reference::{render, RenderSettings};
use splat4d::{demo, Asset, Camera, Splats};

const SIZE: (u32, u32) = (192, 108);
/// Same renderer, same inputs: anything below this is a real change, not float noise.
const MIN_PSNR: f64 = 50.0;

struct Case {
    name: &'static str,
    times: [f32; 2],
    /// Cameras: `Ok(i)` is the asset's own camera i; `Err((eye, target))` a look-at view.
    cameras: [Result<usize, (Vec3, Vec3)>; 2],
}

fn cases() -> Vec<(Case, Splats)> {
    let v = |x, y, z| Vec3::new(x, y, z);
    let shared = |name: &'static str| {
        let rel = common::SHARED.iter().find(|(n, _)| *n == name).unwrap().1;
        common::import(rel)
    };
    vec![
        (Case { name: "technicolor-sam", times: [0.2, 0.7], cameras: [Ok(0), Ok(400)] }, shared("technicolor-sam")),
        (
            Case {
                name: "coffee10-defective",
                times: [0.3, 0.8],
                cameras: [Ok(0), Err((v(-1.5, -0.6, 0.0), v(-3.3, 0.2, 4.4)))],
            },
            shared("coffee10-defective"),
        ),
        (
            Case {
                name: "fireworks-timesliced",
                times: [0.25, 0.75],
                cameras: [Err((v(0.0, 0.0, 1.5), v(0.0, 0.0, 0.0))), Err((v(1.6, -0.5, 1.2), v(0.0, 0.0, 0.0)))],
            },
            shared("fireworks-timesliced"),
        ),
        (
            Case {
                name: "fireworks-frames",
                times: [1.5 / 30.0, 4.5 / 30.0],
                cameras: [Err((v(3.0, 0.0, 0.3), v(0.0, 0.0, 0.3))), Err((v(2.0, -1.5, -2.0), v(0.0, 0.0, 0.3)))],
            },
            shared("fireworks-frames"),
        ),
        (
            Case {
                name: "fruit-drops-sh3",
                times: [0.0, 1.0],
                cameras: [
                    Err((v(0.75, 0.12, -1.2), v(0.75, 0.12, -2.1))),
                    Err((v(0.2, -0.2, -1.4), v(0.75, 0.12, -2.1))),
                ],
            },
            shared("fruit-drops-sh3"),
        ),
        (
            Case {
                name: "fruit-drops-sh3-antialiased",
                times: [0.0, 1.0],
                cameras: [
                    Err((v(0.75, 0.12, -1.2), v(0.75, 0.12, -2.1))),
                    Err((v(0.2, -0.2, -1.4), v(0.75, 0.12, -2.1))),
                ],
            },
            antialiased(shared("fruit-drops-sh3")),
        ),
        (
            Case {
                name: "lod-tile",
                times: [0.0, 1.0],
                cameras: [Err((v(2.0, 2.0, -2.5), v(2.0, 2.0, 4.7))), Err((v(-1.5, -1.0, 0.0), v(2.0, 2.0, 4.7)))],
            },
            shared("lod-tile"),
        ),
        (
            Case {
                name: "minimal",
                times: [0.0, 1.0],
                cameras: [
                    Err((v(-0.5, -0.3, -3.0), v(-0.5, 0.0, -0.5))),
                    Err((v(1.5, -1.5, -1.5), v(-0.5, 0.0, -0.5))),
                ],
            },
            shared("minimal"),
        ),
        (Case { name: "demo", times: [1.0, 3.0], cameras: [Ok(0), Ok(1)] }, demo::scene()),
    ]
}

/// The same splats as a model trained with anti-aliasing.
fn antialiased(mut splats: Splats) -> Splats {
    splats.antialiased = true;
    splats
}

fn camera(asset: &Asset, spec: &Result<usize, (Vec3, Vec3)>) -> Camera {
    let (w, h) = SIZE;
    match spec {
        Ok(i) => asset.cameras()[*i].resized(w, h),
        Err((eye, target)) => Camera::look_at(*eye, *target, Vec3::Y, w, h, 60f32.to_radians()),
    }
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/golden")
}

fn read_png(path: &PathBuf) -> Option<Vec<u8>> {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).ok()?));
    let mut reader = decoder.read_info().ok()?;
    let mut buf = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut buf).ok()?;
    (info.color_type == png::ColorType::Rgb && (info.width, info.height) == SIZE)
        .then(|| buf[..info.buffer_size()].to_vec())
}

fn write_png(path: &PathBuf, rgb: &[u8]) {
    let mut enc = png::Encoder::new(std::io::BufWriter::new(std::fs::File::create(path).unwrap()), SIZE.0, SIZE.1);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().unwrap();
    w.write_image_data(rgb).unwrap();
}

#[test]
fn reference_renders_match_golden_images() {
    let bless = common::bless();
    let failures_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/golden-failures");
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut worst = f64::INFINITY;
    for (case, splats) in cases() {
        let asset = common::pack_open(&splats, false);
        for (ti, &t) in case.times.iter().enumerate() {
            for (ci, spec) in case.cameras.iter().enumerate() {
                let image = render(&asset, t, &camera(&asset, spec), &RenderSettings::default()).unwrap();
                let rgb: Vec<u8> = image.to_rgba8().unwrap().chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
                assert!(rgb.iter().any(|&c| c > 16), "{}: t={t} camera {ci} renders black", case.name);
                let file = format!("{}_t{ti}_c{ci}.png", case.name);
                let path = golden_dir().join(&file);
                if bless {
                    write_png(&path, &rgb);
                    continue;
                }
                let want = read_png(&path).unwrap_or_else(|| {
                    panic!("{} is missing or not {}x{} RGB; bless it", path.display(), SIZE.0, SIZE.1)
                });
                compared += 1;
                let checked = common::check_image(&rgb, &want, 3, [0; 3], MIN_PSNR);
                worst = worst.min(common::psnr(&rgb, &want, 3));
                if let Err(wrong) = checked {
                    std::fs::create_dir_all(&failures_dir).unwrap();
                    write_png(&failures_dir.join(&file), &rgb);
                    let diff: Vec<u8> =
                        rgb.iter().zip(&want).map(|(a, b)| (a.abs_diff(*b)).saturating_mul(8)).collect();
                    write_png(&failures_dir.join(format!("diff_{file}")), &diff);
                    failures.push(format!("{file}: {wrong}"));
                }
            }
        }
    }
    eprintln!("{compared} images against their golden files: worst {worst:.2} dB");
    assert!(failures.is_empty(), "renders moved (see {}): {failures:?}", failures_dir.display());
    assert!(bless || compared == 36, "compared {compared} images");
}

/// The image check every GPU test relies on rejects what a broken frame looks like: a blank
/// eye (the audit's case: fireworks-timesliced at t = 0.25 from camera 0, 160×96, whose blank
/// image scored 36.5 dB), the scene's left half missing, and the scene a pixel off.
#[test]
fn the_image_check_rejects_blank_partial_and_shifted_frames() {
    let look = |w, h| Camera::look_at(Vec3::new(0.0, 0.0, 1.5), Vec3::ZERO, Vec3::Y, w, h, 60f32.to_radians());
    let fireworks = common::pack_open(&common::import("4d/fireworks-timesliced.splatv"), false);
    let demo = common::pack_open(&demo::scene(), false);
    let demo_camera = demo.cameras()[0].resized(160, 96);
    for (name, asset, t, camera) in [("fireworks", &fireworks, 0.25, look(160, 96)), ("demo", &demo, 1.0, demo_camera)]
    {
        let want = render(asset, t, &camera, &RenderSettings::default()).unwrap().to_rgba8().unwrap();
        let check = |image: &[u8]| common::check_image(image, &want, 4, [0; 3], common::REFERENCE_DB);
        assert_eq!(check(&want), Ok(f64::INFINITY), "{name}: the reference itself");
        let blank: Vec<u8> = want.chunks(4).flat_map(|p| [0, 0, 0, p[3]]).collect();
        let err = check(&blank).expect_err(name);
        assert!(err.contains("lit pixels are background"), "{name}: {err}");
        let row = 160 * 4;
        let half: Vec<u8> =
            want.iter().enumerate().map(|(i, &v)| if i % row < row / 2 && i % 4 != 3 { 0 } else { v }).collect();
        assert!(check(&half).is_err(), "{name}: the left half missing");
        let shifted: Vec<u8> = want[4..].iter().chain(&want[..4]).copied().collect();
        assert!(check(&shifted).is_err(), "{name}: one pixel off");
    }
}

/// The anti-aliased golden is not the plain one: the compensation is on in the asset and in
/// the reference, and as it only ever lowers opacity, the image covers less (its alpha).
#[test]
fn antialiased_assets_render_with_fainter_small_splats() {
    let plain = common::import("3d/fruit-drops-sh3.ply");
    let camera = Camera::look_at(Vec3::new(0.75, 0.12, -1.2), Vec3::new(0.75, 0.12, -2.1), Vec3::Y, 192, 108, 1.0);
    let image = |splats: Splats| {
        let asset = common::pack_open(&splats, false);
        let rgba = render(&asset, 0.0, &camera, &RenderSettings::default()).unwrap().to_rgba8().unwrap();
        (asset.antialiased(), rgba)
    };
    let (flag_plain, a) = image(plain.clone());
    let (flag_aa, b) = image(antialiased(plain));
    assert!(!flag_plain && flag_aa);
    let db = common::psnr(&a, &b, 4);
    let coverage = |x: &[u8]| x.chunks(4).map(|p| p[3] as u64).sum::<u64>();
    eprintln!("anti-aliased vs plain: {db:.2} dB, coverage {} vs {}", coverage(&b), coverage(&a));
    assert!(db < 35.0, "the compensation changes little: {db:.2} dB");
    assert!(coverage(&b) < coverage(&a), "anti-aliased splats cover less");
}
