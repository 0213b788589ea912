//! The two real `.splatv` assets rendered by splat4d's reference against an independent
//! transcription of the forward pass their trainer, SpacetimeGaussians, renders them with: its
//! lite model evaluated as its Python renderer does (the motion polynomial, the temporal RBF
//! `exp(-(dt/s)²)`, `normalize(q + ω·dt)`), rasterised as the 3DGS CUDA rasteriser it builds on
//! does (EWA splatting with the 0.3 px² dilation and the ±1.3·tan(fov/2) clamp, a 3σ radius
//! over 16-pixel tiles, α = min(0.99, o·G) when at least 1/255, front to back until T < 10⁻⁴,
//! the quaternion turned into a matrix unnormalised, so a zero one is the identity). Records
//! are read as the splaTV viewer packs them (hybrid.js). Written from those sources, sharing
//! no code with splat4d's importer or renderer; only the cameras come from splat4d's import.

mod common;

use splat4d::glam::{Mat3, Vec3, Vec4};
use splat4d::reference::{render, RenderSettings};
use splat4d::Camera;

/// One SpacetimeGaussians (lite) splat as the splaTV viewer stores it.
struct Splat {
    xyz: Vec3,
    motion: [Vec3; 3],
    q: Vec4,
    omega: Vec4,
    scale: Vec3,
    rgb: Vec3,
    opacity: f32,
    trbf_center: f32,
    trbf_scale: f32,
}

fn half(bits: u16) -> f32 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = (bits >> 10) & 0x1f;
    let mant = (bits & 0x3ff) as f32;
    sign * match exp {
        0 => mant * 2f32.powi(-24),
        31 if mant == 0.0 => f32::INFINITY,
        31 => f32::NAN,
        e => (1.0 + mant / 1024.0) * 2f32.powi(e as i32 - 15),
    }
}

/// The records after the JSON header, 16 little-endian words each; all-zero rows pad the
/// viewer's texture and a cut-off tail is no record.
fn decode(bytes: &[u8]) -> Vec<Splat> {
    assert_eq!(u32::from_le_bytes(bytes[0..4].try_into().unwrap()), 0x674b);
    let json = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let words = |r: &[u8]| -> Vec<u32> { r.chunks(4).map(|w| u32::from_le_bytes(w.try_into().unwrap())).collect() };
    bytes[8 + json..]
        .chunks_exact(64)
        .filter(|r| r.iter().any(|&b| b != 0))
        .map(|r| {
            let w = words(r);
            let f = |i: usize| f32::from_bits(w[i]);
            let h = |i: usize, k: usize| half((w[i] >> (16 * k)) as u16);
            let m = |k: usize| h(8 + k / 2, k % 2);
            let byte = |k: usize| ((w[7] >> (8 * k)) & 0xff) as f32 / 255.0;
            Splat {
                xyz: Vec3::new(f(0), f(1), f(2)),
                motion: [Vec3::new(m(0), m(1), m(2)), Vec3::new(m(3), m(4), m(5)), Vec3::new(m(6), m(7), m(8))],
                q: Vec4::new(h(3, 0), h(3, 1), h(4, 0), h(4, 1)),
                omega: Vec4::new(h(13, 0), h(13, 1), h(14, 0), h(14, 1)),
                scale: Vec3::new(h(5, 0), h(5, 1), h(6, 0)),
                rgb: Vec3::new(byte(0), byte(1), byte(2)),
                opacity: byte(3),
                trbf_center: h(15, 0),
                trbf_scale: h(15, 1),
            }
        })
        .collect()
}

/// A splat as the rasteriser's preprocess leaves it: depth, centre in pixel coordinates
/// (pixel centres at integers, as in 3DGS), conic, colour, opacity and its tile rectangle.
struct Projected {
    depth: f32,
    centre: [f32; 2],
    conic: [f32; 3],
    rgb: Vec3,
    opacity: f32,
    tiles: [u32; 4],
}

const TILE: u32 = 16;

/// Measured: worst 67.3 dB (technicolor-sam) and 60.3 dB (coffee10) on x86-64. Both sides run
/// on the CPU in f32, differing in splat4d's temporal window (it skips a splat whose RBF is
/// below the viewer's 0.02) and rounding; 50 dB leaves room for libm and compilers while a
/// missing or misplaced class of splats costs far more (the control below: under 30 dB).
const MIN_DB: f64 = 50.0;

fn project(s: &Splat, t: f32, cam: &Camera, antialiasing: bool) -> Option<Projected> {
    // SpacetimeGaussians' lite renderer: polynomial motion, RBF opacity and rotation all in
    // the time since the splat's centre.
    let dt = t - s.trbf_center;
    let rbf = dt / s.trbf_scale;
    let opacity = s.opacity * (-rbf * rbf).exp();
    let mean = s.xyz + s.motion[0] * dt + s.motion[1] * dt * dt + s.motion[2] * dt * dt * dt;
    let mut q = s.q + s.omega * dt;
    let n = q.length();
    if n > 1e-12 {
        q /= n; // torch's normalize; a zero sum stays zero
    }
    if !(mean.is_finite() && q.is_finite() && s.scale.is_finite() && opacity.is_finite()) {
        return None;
    }
    // computeCov3D: R from (w, x, y, z) without normalising, M = S·R, Σ = Mᵀ·M.
    let (r, x, y, z) = (q.x, q.y, q.z, q.w);
    let rot = Mat3::from_cols(
        Vec3::new(1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y + r * z), 2.0 * (x * z - r * y)),
        Vec3::new(2.0 * (x * y - r * z), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z + r * x)),
        Vec3::new(2.0 * (x * z + r * y), 2.0 * (y * z - r * x), 1.0 - 2.0 * (x * x + y * y)),
    );
    let m = rot * Mat3::from_diagonal(s.scale);
    let sigma = m * m.transpose();
    // in_frustum, then computeCov2D in view space.
    let world_to_view = cam.rotation.transpose();
    let v = world_to_view * (mean - cam.position);
    if v.z <= 0.2 {
        return None;
    }
    let (lim_x, lim_y) = (1.3 * 0.5 * cam.width as f32 / cam.fx, 1.3 * 0.5 * cam.height as f32 / cam.fy);
    let tx = (v.x / v.z).clamp(-lim_x, lim_x) * v.z;
    let ty = (v.y / v.z).clamp(-lim_y, lim_y) * v.z;
    let j0 = Vec3::new(cam.fx / v.z, 0.0, -cam.fx * tx / (v.z * v.z));
    let j1 = Vec3::new(0.0, cam.fy / v.z, -cam.fy * ty / (v.z * v.z));
    let (t0, t1) = (world_to_view.transpose() * j0, world_to_view.transpose() * j1);
    let (a, b, c) = (t0.dot(sigma * t0), t0.dot(sigma * t1), t1.dot(sigma * t1));
    // The 0.3 px² low-pass; with `antialiasing` opacity keeps the splat's energy over it.
    let det_unfiltered = a * c - b * b;
    let (a, c) = (a + 0.3, c + 0.3);
    let det = a * c - b * b;
    let opacity = if antialiasing { opacity * (det_unfiltered / det).max(0.000025).sqrt() } else { opacity };
    if det == 0.0 {
        return None;
    }
    let mid = 0.5 * (a + c);
    let lambda1 = mid + (mid * mid - det).max(0.1).sqrt();
    let lambda2 = mid - (mid * mid - det).max(0.1).sqrt();
    let radius = (3.0 * lambda1.max(lambda2).sqrt()).ceil();
    // Pixel centres at integers, the principal point where the camera puts it.
    let centre = [cam.fx * v.x / v.z + cam.cx - 0.5, cam.fy * v.y / v.z + cam.cy - 0.5];
    let grid = [cam.width.div_ceil(TILE), cam.height.div_ceil(TILE)];
    let lo = |p: f32, g: u32| (((p - radius) / TILE as f32) as i64).clamp(0, g as i64) as u32;
    let hi = |p: f32, g: u32| (((p + radius + TILE as f32 - 1.0) / TILE as f32) as i64).clamp(0, g as i64) as u32;
    let tiles = [lo(centre[0], grid[0]), lo(centre[1], grid[1]), hi(centre[0], grid[0]), hi(centre[1], grid[1])];
    if radius <= 0.0 || tiles[0] >= tiles[2] || tiles[1] >= tiles[3] {
        return None;
    }
    Some(Projected { depth: v.z, centre, conic: [c / det, -b / det, a / det], rgb: s.rgb, opacity, tiles })
}

/// The trainer's image of `splats` at `t` from `cam`, 8-bit RGB, black background; with the
/// rasteriser's `antialiasing` option where asked.
fn trainer_image(splats: &[Splat], t: f32, cam: &Camera, antialiasing: bool) -> Vec<u8> {
    let mut drawn: Vec<Projected> = splats.iter().filter_map(|s| project(s, t, cam, antialiasing)).collect();
    drawn.sort_by(|a, b| a.depth.total_cmp(&b.depth));
    let (w, h) = (cam.width, cam.height);
    let grid_w = w.div_ceil(TILE);
    let mut per_tile: Vec<Vec<usize>> = vec![Vec::new(); (grid_w * h.div_ceil(TILE)) as usize];
    for (i, p) in drawn.iter().enumerate() {
        for ty in p.tiles[1]..p.tiles[3] {
            for tx in p.tiles[0]..p.tiles[2] {
                per_tile[(ty * grid_w + tx) as usize].push(i);
            }
        }
    }
    let mut image = vec![0u8; (3 * w * h) as usize];
    for y in 0..h {
        for x in 0..w {
            let (mut transmittance, mut colour) = (1.0f32, Vec3::ZERO);
            for &i in &per_tile[((y / TILE) * grid_w + x / TILE) as usize] {
                let p = &drawn[i];
                let (dx, dy) = (p.centre[0] - x as f32, p.centre[1] - y as f32);
                let power = -0.5 * (p.conic[0] * dx * dx + p.conic[2] * dy * dy) - p.conic[1] * dx * dy;
                if power > 0.0 {
                    continue;
                }
                let alpha = (p.opacity * power.exp()).min(0.99);
                if alpha < 1.0 / 255.0 {
                    continue;
                }
                let next = transmittance * (1.0 - alpha);
                if next < 0.0001 {
                    break;
                }
                colour += p.rgb * alpha * transmittance;
                transmittance = next;
            }
            let at = (3 * (y * w + x)) as usize;
            for c in 0..3 {
                image[at + c] = (colour[c].clamp(0.0, 1.0) * 255.0).round() as u8;
            }
        }
    }
    image
}

/// splat4d's reference image of `asset`, 8-bit RGB.
fn reference_rgb(asset: &splat4d::Asset, t: f32, cam: &Camera) -> Vec<u8> {
    let rgba = render(asset, t, cam, &RenderSettings::default()).unwrap().to_rgba8().unwrap();
    rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect()
}

fn compare(rel: &str, cameras: &[usize], times: &[f32]) {
    let bytes = std::fs::read(common::assets().join(rel)).unwrap();
    let splats = decode(&bytes);
    let asset = common::pack_open(&common::import(rel), true);
    let mut worst = f64::INFINITY;
    for &ci in cameras {
        let cam = asset.cameras()[ci].resized(256, 136);
        for &t in times {
            let want = trainer_image(&splats, t, &cam, false);
            let got = reference_rgb(&asset, t, &cam);
            let db = common::check_image(&got, &want, 3, [0; 3], MIN_DB)
                .unwrap_or_else(|e| panic!("{rel}, camera {ci}, t = {t}: {e}"));
            worst = worst.min(db);
        }
    }
    // The control: the trainer's image without its zero-rotation splats (what splat4d drew
    // when it dropped them) is far from the trainer's own.
    let cam = asset.cameras()[cameras[0]].resized(256, 136);
    let full = trainer_image(&splats, times[0], &cam, false);
    let kept: Vec<Splat> = splats.into_iter().filter(|s| s.q != Vec4::ZERO).collect();
    let without = trainer_image(&kept, times[0], &cam, false);
    let control = common::psnr(&without, &full, 3);
    assert!(control < 30.0, "{rel}: dropping the zero rotations changes little ({control:.2} dB)");
    eprintln!("{rel}: worst {worst:.2} dB against the trainer's forward pass; without zero rotations {control:.2} dB");
}

#[test]
fn technicolor_sam_renders_as_its_trainer_renders_it() {
    compare("4d/technicolor-sam.splatv", &[0, 400], &[0.2, 0.7]);
}

#[test]
fn coffee10_renders_as_its_trainer_renders_it() {
    compare("4d/coffee10-defective.splatv", &[0], &[0.3, 0.8]);
}

/// A model trained with anti-aliasing, packed as one (`--antialiased`), renders as the
/// rasteriser renders it with `antialiasing` on; the same model drawn without the compensation
/// is visibly another image (the control).
#[test]
fn antialiased_models_render_as_their_rasteriser_renders_them() {
    let rel = "4d/technicolor-sam.splatv";
    let splats = decode(&std::fs::read(common::assets().join(rel)).unwrap());
    let mut imported = common::import(rel);
    imported.antialiased = true;
    let asset = common::pack_open(&imported, true);
    assert!(asset.antialiased());
    let mut worst = f64::INFINITY;
    for (ci, t) in [(0, 0.2), (400, 0.7)] {
        let cam = asset.cameras()[ci].resized(256, 136);
        let want = trainer_image(&splats, t, &cam, true);
        let got = reference_rgb(&asset, t, &cam);
        let db = common::check_image(&got, &want, 3, [0; 3], MIN_DB)
            .unwrap_or_else(|e| panic!("{rel} anti-aliased, camera {ci}, t = {t}: {e}"));
        worst = worst.min(db);
        let plain = trainer_image(&splats, t, &cam, false);
        let control = common::psnr(&plain, &want, 3);
        assert!(control < 30.0, "anti-aliasing changes little ({control:.2} dB)");
        eprintln!("camera {ci}: without the compensation {control:.2} dB from the trainer's image");
    }
    eprintln!("{rel} anti-aliased: worst {worst:.2} dB against the rasteriser with antialiasing");
}
