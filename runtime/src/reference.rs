//! The CPU reference renderer: the 3DGS forward pass (Kerbl et al., `diff-gaussian-rasterization`)
//! over the primitives sliced at time t, written for clarity and exactness. It is the oracle the
//! GPU renderer is tested against (DESIGN §10).
//!
//! Per primitive, as the CUDA `preprocess` does: cull at view depth ≤ `near`; EWA projection with
//! the Jacobian's x/z, y/z clamped to 1.3× the frustum; +0.3 px² dilation (for assets trained
//! with anti-aliasing, opacity × √(det Σ₂ / det(Σ₂ + 0.3 I)), at least × 0.005); conic from the
//! inverse; colour from SH with the direction to the *unconditioned* centre. Per pixel, front to
//! back: `α = min(0.99, o·exp(power))`, skip `power > 0` and `α < 1/255`, stop before the splat
//! that would take transmittance below 1e-4.
//!
//! Which pixels a splat is evaluated at is the one deliberate choice: the CUDA code evaluates a
//! splat in every 16×16 tile its 3σ square touches, so its footprint depends on the tiling.
//! [`Footprint::Exact`] evaluates it wherever α can reach 1/255, which is what a quad rasteriser
//! matches; [`Footprint::TilesOf3Sigma`] reproduces the CUDA tiling for bit-level comparisons.

use glam::{Mat3, Vec2, Vec3};
use rayon::prelude::*;

use crate::asset::Asset;
use crate::camera::Camera;
use crate::error::Result;
use crate::lod::{self, Selection};
use crate::sh;

pub const TILE: u32 = 16;
const MIN_ALPHA: f32 = 1.0 / 255.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Footprint {
    Exact,
    TilesOf3Sigma,
}

#[derive(Clone, Copy, Debug)]
pub struct RenderSettings {
    pub background: Vec3,
    /// View depth at or below which a primitive is culled (3DGS: 0.2).
    pub near: f32,
    pub footprint: Footprint,
    /// Which levels of detail are drawn where (FLoD's selective rule, per camera).
    pub lod: Selection,
    /// Blend in order of distance from this point (the GPU's `SortOrder::Distance`), not of
    /// view depth.
    pub sort_from: Option<Vec3>,
}

impl Default for RenderSettings {
    fn default() -> Self {
        RenderSettings {
            background: Vec3::ZERO,
            near: 0.2,
            footprint: Footprint::Exact,
            lod: Selection::default(),
            sort_from: None,
        }
    }
}

/// A float RGBA image, row-major from the top-left; alpha is `1 - final transmittance`.
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<[f32; 4]>,
}

impl Image {
    /// 8-bit RGBA, rounding like `torchvision.utils.save_image` (×255, +0.5, clamp); an error
    /// where the memory for it cannot be had.
    pub fn to_rgba8(&self) -> Result<Vec<u8>> {
        let mut out = crate::error::try_with_capacity(4 * self.pixels.len(), "an 8-bit image")?;
        out.extend(self.pixels.iter().flatten().map(|&v| (v * 255.0 + 0.5).clamp(0.0, 255.0) as u8));
        Ok(out)
    }
}

/// A primitive projected for one camera.
#[derive(Clone, Copy, Debug)]
pub struct Projected {
    pub index: u32,
    pub depth: f32,
    /// Centre in pixel coordinates (pixel centres at half-integers).
    pub center: Vec2,
    /// Inverse of the dilated 2D covariance: (a, b, c) of `a·dx² + 2b·dx·dy + c·dy²`.
    pub conic: Vec3,
    pub opacity: f32,
    pub color: Vec3,
    /// Pixel rectangle `[min, max)` the splat is evaluated in.
    pub rect: [u32; 4],
}

/// Projects one slice; `None` when culled. Exposed for tests of the GPU pre-process.
pub fn project(
    camera: &Camera,
    settings: &RenderSettings,
    mean: Vec3,
    covariance: Mat3,
    opacity: f32,
    antialiased: bool,
) -> Option<(f32, Vec2, Vec3, f32, [u32; 4])> {
    let view = camera.world_to_camera(mean);
    if view.z.is_nan() || view.z <= settings.near {
        return None;
    }
    let (w, h) = (camera.width as f32, camera.height as f32);
    // The CUDA code clamps x/z to ±1.3·tan(fov/2) of a centred frustum; with a principal
    // point off centre the same margin is taken around each side of the actual frustum.
    let margin_x = 0.15 * w / camera.fx;
    let margin_y = 0.15 * h / camera.fy;
    let tx = (view.x / view.z).clamp(-camera.cx / camera.fx - margin_x, (w - camera.cx) / camera.fx + margin_x);
    let ty = (view.y / view.z).clamp(-camera.cy / camera.fy - margin_y, (h - camera.cy) / camera.fy + margin_y);
    let j = Mat3::from_cols(
        Vec3::new(camera.fx / view.z, 0.0, 0.0),
        Vec3::new(0.0, camera.fy / view.z, 0.0),
        Vec3::new(-camera.fx * tx / view.z, -camera.fy * ty / view.z, 0.0),
    );
    let t = j * camera.rotation.transpose();
    let cov = t * covariance * t.transpose();
    let (a, b, c) = (cov.x_axis.x + 0.3, cov.y_axis.x, cov.y_axis.y + 0.3);
    let det = a * c - b * b;
    if det == 0.0 || !det.is_finite() {
        return None;
    }
    // The INRIA rasteriser's `antialiasing`: the dilation is a 2D box filter, and opacity
    // scales by the ratio of the footprints' areas so that the splat's energy stays the same.
    let opacity = if antialiased {
        let det_unfiltered = cov.x_axis.x * cov.y_axis.y - b * b;
        opacity * (det_unfiltered / det).max(0.000025).sqrt()
    } else {
        opacity
    };
    let conic = Vec3::new(c / det, -b / det, a / det);
    let center = Vec2::new(camera.fx * view.x / view.z + camera.cx, camera.fy * view.y / view.z + camera.cy);
    let rect = match settings.footprint {
        Footprint::Exact => {
            if opacity < MIN_ALPHA {
                return None;
            }
            // α ≥ 1/255 ⇔ dᵀΣ⁻¹d ≤ 2 ln(255 o): an ellipse whose bounding box has half-extents
            // √(k Σxx), √(k Σyy). One pixel of margin covers rounding; pixels decide exactly.
            let k = 2.0 * (255.0 * opacity).ln().max(0.0) + 1e-3;
            let half = Vec2::new((k * a).sqrt(), (k * c).sqrt()) + 1.0;
            let lo = (center - half - 0.5).ceil();
            let hi = (center + half - 0.5).floor() + 1.0;
            pixel_rect(lo, hi, camera)
        }
        Footprint::TilesOf3Sigma => {
            let mid = 0.5 * (a + c);
            let lambda = mid + (mid * mid - det).max(0.1).sqrt();
            let radius = (3.0 * lambda.sqrt()).ceil();
            // getRect in CUDA pixel coordinates (centres at integers).
            let p = center - 0.5;
            let grid = Vec2::new(w, h) / TILE as f32;
            let grid = grid.ceil();
            let tmin = ((p - radius) / TILE as f32).floor().max(Vec2::ZERO).min(grid);
            let tmax = ((p + radius + (TILE - 1) as f32) / TILE as f32).floor().max(Vec2::ZERO).min(grid);
            pixel_rect(tmin * TILE as f32, tmax * TILE as f32, camera)
        }
    }?;
    Some((view.z, center, conic, opacity, rect))
}

fn pixel_rect(lo: Vec2, hi: Vec2, camera: &Camera) -> Option<[u32; 4]> {
    let (w, h) = (camera.width as f32, camera.height as f32);
    let x0 = lo.x.clamp(0.0, w) as u32;
    let y0 = lo.y.clamp(0.0, h) as u32;
    let x1 = hi.x.clamp(0.0, w) as u32;
    let y1 = hi.y.clamp(0.0, h) as u32;
    (x1 > x0 && y1 > y0).then_some([x0, y0, x1, y1])
}

/// The primitives that may be alive at `t`: the active runs of the segment holding `t`, or
/// every primitive outside the asset's time range.
pub fn candidates(asset: &Asset, t: f32) -> Vec<u32> {
    match asset.segment_at(t) {
        Some(s) => asset.segment_runs(s).iter().flat_map(|r| r.first..r.first + r.count).collect(),
        None => (0..asset.len() as u32).collect(),
    }
}

/// Slices, culls and projects every primitive alive at `t` and selected for `camera`; sorted
/// front to back. A selection naming no level of the asset selects nothing.
pub fn preprocess(asset: &Asset, t: f32, camera: &Camera, settings: &RenderSettings) -> Result<Vec<Projected>> {
    let floors = asset.level_floors();
    let Ok(selection) = settings.lod.for_levels(floors.len()) else { return Ok(Vec::new()) };
    let attributes = asset.attributes()?;
    let focal = lod::focal(camera);
    let info = asset.info();
    let (degree, degree_t) = (info.sh_degree as u32, info.sh_degree_t as u32);
    let k = asset.sh_coeff_count();
    let antialiased = asset.antialiased();
    let mut out: Vec<(f32, Projected)> = candidates(asset, t)
        .par_iter()
        .map_init(
            || vec![[0.0f32; 3]; k],
            |coeffs, &i| {
                let p = attributes.primitive(i as usize);
                let s = p.slice(t)?;
                let distance = s.mean.distance(camera.position);
                if !selection.selects(&floors, asset.level_of(i), focal, distance) {
                    return None;
                }
                let (depth, center, conic, opacity, rect) =
                    project(camera, settings, s.mean, s.covariance, s.opacity, antialiased)?;
                attributes.sh_coeffs(i as usize, coeffs);
                let dir = (p.position - camera.position).normalize_or_zero();
                let color = sh::eval(coeffs, degree, degree_t, dir, p.t0 - t, info.sh_time_period);
                let key = settings.sort_from.map_or(depth, |o| (s.mean - o).length());
                Some((key, Projected { index: i, depth, center, conic, opacity, color, rect }))
            },
        )
        .flatten()
        .collect();
    // Depth (or distance) order; the index breaks ties so the result never depends on thread
    // timing.
    out.par_sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.index.cmp(&b.1.index)));
    Ok(out.into_iter().map(|(_, p)| p).collect())
}

/// Renders the asset at time `t` seen by `camera`.
pub fn render(asset: &Asset, t: f32, camera: &Camera, settings: &RenderSettings) -> Result<Image> {
    let splats = preprocess(asset, t, camera, settings)?;
    blend(&splats, camera.width, camera.height, settings.background)
}

/// Front-to-back alpha blending of depth-sorted splats, a row of 16×16 tiles per task, into an
/// image whose memory is asked for first (an error, not an abort, where there is not enough).
pub fn blend(splats: &[Projected], width: u32, height: u32, background: Vec3) -> Result<Image> {
    Ok(composite(splats, width, height, background, &Host::default())?.image)
}

/// A host's frame the splats are drawn into, per pixel, row-major, as the GPU path takes it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Host<'a> {
    /// The host's pixels, kept under the splats (premultiplied RGBA in the values the target
    /// holds); without them the splats are drawn over the background.
    pub color: Option<&'a [[f32; 4]]>,
    /// The target is `_SRGB`: its values are sRGB-encoded and the hardware blends the splats
    /// over the kept pixels in linear light (the splats' colour, un-premultiplied, decoded).
    pub linear_light: bool,
    /// The view depth of the host's nearest opaque surface (`+∞` where there is none): a
    /// splat is hidden at a pixel unless its depth is less, as the GPU's depth test keeps a
    /// splat's fragments at its centre's depth.
    pub depth: Option<&'a [f32]>,
}

/// What the splats make of a host's frame.
#[derive(Clone, Debug)]
pub struct Composite {
    /// Colour blended over the host's (the "over" operator, premultiplied) or the background,
    /// and alpha: the splats' coverage over the host's own.
    pub image: Image,
    /// Per pixel, the splats' expected view depth `Σ αᵢTᵢzᵢ / Σ αᵢTᵢ` where they cover at
    /// least half of it (the surface a viewer sees there, so what reprojection should move),
    /// else the host's depth (`+∞` without one).
    pub depth: Vec<f32>,
}

/// [`blend`] into a host's frame: its depth hides splats, its colour shows through them.
pub fn composite(splats: &[Projected], width: u32, height: u32, background: Vec3, host: &Host) -> Result<Composite> {
    let n = width as usize * height as usize;
    for (what, len) in [("colour", host.color.map(<[_]>::len)), ("depth", host.depth.map(<[_]>::len))] {
        if len.is_some_and(|l| l != n) {
            return Err(crate::error::Error::InvalidArgument(format!(
                "the host's {what} has {} pixels, the image {n}",
                len.unwrap()
            )));
        }
    }
    let mut pixels = crate::error::try_vec::<[f32; 4]>(n, "the reference image")?;
    let mut depth = crate::error::try_vec::<f32>(n, "the reference depth")?;
    let tiles_x = width.div_ceil(TILE);
    let tiles_y = height.div_ceil(TILE);
    // Each tile's list of splats, in depth order.
    let mut lists: Vec<Vec<u32>> = vec![Vec::new(); (tiles_x * tiles_y) as usize];
    for (s, p) in splats.iter().enumerate() {
        let [x0, y0, x1, y1] = p.rect;
        for ty in y0 / TILE..y1.div_ceil(TILE) {
            for tx in x0 / TILE..x1.div_ceil(TILE) {
                lists[(ty * tiles_x + tx) as usize].push(s as u32);
            }
        }
    }
    let rows = (width * TILE) as usize;
    pixels.par_chunks_mut(rows).zip(depth.par_chunks_mut(rows)).enumerate().for_each(|(ty, (rows, depths))| {
        let ty = ty as u32;
        for tx in 0..tiles_x {
            let list = &lists[(ty * tiles_x + tx) as usize];
            for y in ty * TILE..((ty + 1) * TILE).min(height) {
                for x in tx * TILE..((tx + 1) * TILE).min(width) {
                    let at = (y * width + x) as usize;
                    let under = match host.color {
                        Some(c) => c[at],
                        None => [background.x, background.y, background.z, 0.0],
                    };
                    let limit = host.depth.map_or(f32::INFINITY, |d| d[at]);
                    let local = ((y - ty * TILE) * width + x) as usize;
                    let linear = host.linear_light && host.color.is_some();
                    (rows[local], depths[local]) = shade(splats, list, (x, y), under, limit, linear);
                }
            }
        }
    });
    Ok(Composite { image: Image { width, height, pixels }, depth })
}

/// One pixel: the splats in front of `limit`, front to back, over `under` (premultiplied; in
/// `linear` light, as the hardware blends over an `_SRGB` target's kept pixels).
fn shade(
    splats: &[Projected],
    list: &[u32],
    (x, y): (u32, u32),
    under: [f32; 4],
    limit: f32,
    linear: bool,
) -> ([f32; 4], f32) {
    let pixel = Vec2::new(x as f32 + 0.5, y as f32 + 0.5);
    let mut transmittance = 1.0f32;
    let mut color = Vec3::ZERO;
    let mut weighted_depth = 0.0f32;
    for &s in list {
        let p = &splats[s as usize];
        let [x0, y0, x1, y1] = p.rect;
        if x < x0 || x >= x1 || y < y0 || y >= y1 {
            continue;
        }
        // Behind the host's surface (in distance order, nearer splats may still follow).
        if p.depth >= limit {
            continue;
        }
        let d = p.center - pixel;
        let power = -0.5 * (p.conic.x * d.x * d.x + p.conic.z * d.y * d.y) - p.conic.y * d.x * d.y;
        if power > 0.0 {
            continue;
        }
        let alpha = (p.opacity * power.exp()).min(0.99);
        if alpha < MIN_ALPHA {
            continue;
        }
        let next = transmittance * (1.0 - alpha);
        if next < 1e-4 {
            break;
        }
        color += p.color * alpha * transmittance;
        weighted_depth += p.depth * alpha * transmittance;
        transmittance = next;
    }
    let coverage = 1.0 - transmittance;
    let depth = if coverage >= 0.5 { weighted_depth / coverage } else { limit };
    let under_rgb = Vec3::new(under[0], under[1], under[2]);
    let c = if linear {
        let own = if coverage > 0.0 { (color / coverage).clamp(Vec3::ZERO, Vec3::ONE) } else { Vec3::ZERO };
        let lin = |v: Vec3| Vec3::new(srgb_to_linear(v.x), srgb_to_linear(v.y), srgb_to_linear(v.z));
        let out = lin(own) * coverage + transmittance * lin(under_rgb.clamp(Vec3::ZERO, Vec3::ONE));
        Vec3::new(linear_to_srgb(out.x), linear_to_srgb(out.y), linear_to_srgb(out.z))
    } else {
        color + transmittance * under_rgb
    };
    ([c.x, c.y, c.z, coverage + transmittance * under[3]], depth)
}

/// The sRGB transfer function's decode (IEC 61966-2-1), as `_SRGB` formats apply it.
pub fn srgb_to_linear(c: f32) -> f32 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// Its encode.
pub fn linear_to_srgb(c: f32) -> f32 {
    let c = c.clamp(0.0, 1.0);
    if c <= 0.0031308 {
        c * 12.92
    } else {
        1.055 * c.powf(1.0 / 2.4) - 0.055
    }
}

/// Peak signal-to-noise ratio of the RGB channels (values in [0, 1] after clamping), in dB.
pub fn psnr(a: &Image, b: &Image) -> f64 {
    assert_eq!((a.width, a.height), (b.width, b.height), "images differ in size");
    let mut sum = 0.0f64;
    for (p, q) in a.pixels.iter().zip(&b.pixels) {
        for c in 0..3 {
            let d = p[c].clamp(0.0, 1.0) as f64 - q[c].clamp(0.0, 1.0) as f64;
            sum += d * d;
        }
    }
    let mse = sum / (3 * a.pixels.len()).max(1) as f64;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (1.0 / mse).log10()
    }
}

#[cfg(all(test, feature = "pack"))]
mod tests {
    use super::*;
    use crate::asset::format::SourceKind;
    use crate::pack::{pack, NoProgress, PackOptions};
    use crate::primitive::Primitive;
    use crate::splats::Splats;
    use crate::Verify;

    fn asset(prims: &[(Primitive, [f32; 3])]) -> Asset {
        let mut s = Splats::new(SourceKind::Procedural, 0, 0, [0.0, 1.0], 30.0);
        for (p, rgb) in prims {
            assert!(s.push(*p, &[rgb.map(sh::dc_from_rgb)]));
        }
        let options = PackOptions { full_precision: true, ..Default::default() };
        Asset::from_bytes(&pack(&s, &options, &NoProgress).unwrap(), Verify::Full).unwrap()
    }

    fn camera(w: u32, h: u32) -> Camera {
        Camera::look_at(Vec3::new(0.0, 0.0, -4.0), Vec3::ZERO, Vec3::Y, w, h, 60f32.to_radians())
    }

    fn splat(position: Vec3, scale: f32, opacity: f32) -> Primitive {
        Primitive { position, scale: Vec3::splat(scale), opacity, ..Primitive::default() }
    }

    /// One isotropic splat, evaluated independently in f64 from the EWA formula.
    #[test]
    fn single_splat_matches_the_closed_form() {
        let a = asset(&[(splat(Vec3::new(0.1, -0.05, 0.0), 0.1, 0.8), [0.9, 0.5, 0.2])]);
        let cam = camera(64, 48);
        let img = render(&a, 0.5, &cam, &RenderSettings::default()).unwrap();
        let (f, z) = (cam.fy as f64, 4.0f64);
        let (x, y) = (0.1f64, -0.05f64);
        let (u, v) = (f * x / z + 32.0, f * y / z + 24.0);
        // J Σ Jᵀ for an isotropic Σ = s² I at (x, y, z).
        let s2 = 0.1f64 * 0.1;
        let (j00, j02, j11, j12) = (f / z, -f * x / (z * z), f / z, -f * y / (z * z));
        let (ca, cb, cc) = (s2 * (j00 * j00 + j02 * j02) + 0.3, s2 * j02 * j12, s2 * (j11 * j11 + j12 * j12) + 0.3);
        let det = ca * cc - cb * cb;
        let mut checked = 0;
        for py in 0..48u32 {
            for px in 0..64u32 {
                let (dx, dy) = (u - (px as f64 + 0.5), v - (py as f64 + 0.5));
                let power = -0.5 * (cc * dx * dx + ca * dy * dy - 2.0 * cb * dx * dy) / det;
                let alpha = (0.8 * power.exp()).min(0.99);
                let want = if alpha < 1.0 / 255.0 { 0.0 } else { alpha };
                let got = img.pixels[(py * 64 + px) as usize];
                assert!((got[3] as f64 - want).abs() < 1e-5, "alpha at {px},{py}: {} vs {want}", got[3]);
                assert!((got[0] as f64 - 0.9 * want).abs() < 1e-5);
                checked += (want > 0.0) as u32;
            }
        }
        assert!(checked > 20, "the splat covers {checked} pixels");
    }

    /// Turning the head reorders splats by view depth but not by distance: A straight ahead
    /// at 5, B 30° to the side at 5.2. Looking at A, B is nearer in depth (5.2·cos 30° = 4.5);
    /// turned towards B, A is (5·cos 30° = 4.33). By distance A stays first.
    #[test]
    fn distance_order_does_not_change_as_the_head_turns() {
        let b_at = Vec3::new(5.2 * 30f32.to_radians().sin(), 0.0, 5.2 * 30f32.to_radians().cos());
        let a = asset(&[
            (splat(Vec3::new(0.0, 0.0, 5.0), 0.3, 0.5), [1.0, 0.0, 0.0]),
            (splat(b_at, 0.3, 0.5), [0.0, 1.0, 0.0]),
        ]);
        let looking = |at: Vec3| Camera::look_at(Vec3::ZERO, at, Vec3::Y, 256, 256, 100f32.to_radians());
        // Told apart by colour: packing may reorder primitives. A is red.
        let order = |camera: &Camera, sort_from: Option<Vec3>| -> String {
            let settings = RenderSettings { sort_from, ..Default::default() };
            let splats = preprocess(&a, 0.5, camera, &settings).unwrap();
            splats.iter().map(|p| if p.color.x > 0.5 { 'A' } else { 'B' }).collect()
        };
        let (at_a, at_b) = (looking(Vec3::new(0.0, 0.0, 5.0)), looking(b_at));
        assert_eq!(order(&at_a, None), "BA", "looking at A, B is nearer in view depth");
        assert_eq!(order(&at_b, None), "AB", "turned to B, A is");
        for camera in [&at_a, &at_b] {
            assert_eq!(order(camera, Some(Vec3::ZERO)), "AB", "by distance A is first either way");
        }
    }

    /// A host's frame: its surface hides the splats behind it exactly (each splat by its
    /// centre's depth), its colour shows through in premultiplied "over" (in linear light for
    /// an `_SRGB` target), and depth out is the splats' expected depth where they cover at
    /// least half the pixel, the host's where they do not.
    #[test]
    fn composite_into_a_host_frame() {
        // Large flat splats at view depths 4 (red, α 0.4), 5 (green, α 0.5) and 6 (blue, α 0.99).
        let a = asset(&[
            (splat(Vec3::new(0.0, 0.0, 0.0), 2.0, 0.4), [1.0, 0.0, 0.0]),
            (splat(Vec3::new(0.0, 0.0, 1.0), 2.0, 0.5), [0.0, 1.0, 0.0]),
            (splat(Vec3::new(0.0, 0.0, 2.0), 2.0, 0.99), [0.0, 0.0, 1.0]),
        ]);
        let cam = camera(16, 16);
        let splats = preprocess(&a, 0.5, &cam, &RenderSettings::default()).unwrap();
        let n = 16 * 16;
        let host_rgba = [0.2f32, 0.3, 0.4, 0.8];
        let color = vec![host_rgba; n];
        let at = 8 * 16 + 8;
        // No host: what blend gives. Each splat's colour is one channel, so the channels are
        // the blending weights αᵢTᵢ and the alpha their sum: the expected depth follows.
        let plain = composite(&splats, 16, 16, Vec3::ZERO, &Host::default()).unwrap();
        assert_eq!(plain.image.pixels, blend(&splats, 16, 16, Vec3::ZERO).unwrap().pixels);
        let [r, g, b, a] = plain.image.pixels[at];
        assert!((r + g + b - a).abs() < 1e-5 && a > 0.99, "{:?}", plain.image.pixels[at]);
        let expected = (4.0 * r + 5.0 * g + 6.0 * b) / a;
        assert!((plain.depth[at] - expected).abs() < 1e-4, "{} vs {expected}", plain.depth[at]);
        // Red's α at this pixel (its colour is 1, 0, 0): a little under 0.4 off its centre.
        let ar = plain.image.pixels[at][0];
        assert!((ar - 0.4).abs() < 5e-3, "{:?}", plain.image.pixels[at]);
        // A host surface at depth 4.5: only red is in front; the host shows through the rest.
        let depth = vec![4.5f32; n];
        let host = Host { color: Some(&color), depth: Some(&depth), ..Default::default() };
        let c = composite(&splats, 16, 16, Vec3::ZERO, &host).unwrap();
        let over = |splat: f32, k: usize| splat + (1.0 - ar) * host_rgba[k];
        let want = [over(ar, 0), over(0.0, 1), over(0.0, 2), over(ar, 3)];
        for (k, w) in want.iter().enumerate() {
            assert!((c.image.pixels[at][k] - w).abs() < 1e-6, "channel {k}: {:?} vs {want:?}", c.image.pixels[at]);
        }
        assert_eq!(c.depth[at], 4.5, "coverage never reaches ½ in front of the host");
        // An _SRGB target: red's colour (1, 0, 0) decoded, over the host's decoded pixel.
        let srgb = composite(&splats, 16, 16, Vec3::ZERO, &Host { linear_light: true, ..host }).unwrap();
        let lin = |k: usize| (if k == 0 { ar } else { 0.0 }) + (1.0 - ar) * srgb_to_linear(host_rgba[k]);
        for k in 0..3 {
            let want = linear_to_srgb(lin(k));
            assert!((srgb.image.pixels[at][k] - want).abs() < 1e-5, "channel {k}: {:?}", srgb.image.pixels[at]);
        }
        assert!(srgb.image.pixels[at][1] > c.image.pixels[at][1], "linear light brightens what shows through");
        // A host surface in front of everything: the host's pixel and depth, untouched.
        let near = vec![1.0f32; n];
        let c = composite(
            &splats,
            16,
            16,
            Vec3::ZERO,
            &Host { color: Some(&color), depth: Some(&near), ..Default::default() },
        )
        .unwrap();
        assert!(c.image.pixels.iter().all(|p| *p == host_rgba) && c.depth.iter().all(|&d| d == 1.0));
        // A host image of the wrong size is an error.
        assert!(composite(&splats, 16, 15, Vec3::ZERO, &host).is_err());
    }

    #[test]
    fn front_to_back_with_early_termination() {
        // Large splats, so α is flat near the centre: red (α clamped to 0.99) in front of green
        // (α ≈ 0.9) in front of blue, which would take T from 1e-3 below 1e-4: it is skipped.
        let a = asset(&[
            (splat(Vec3::new(0.0, 0.0, 0.0), 2.0, 1.0), [1.0, 0.0, 0.0]),
            (splat(Vec3::new(0.0, 0.0, 1.0), 2.0, 0.9), [0.0, 1.0, 0.0]),
            (splat(Vec3::new(0.0, 0.0, 2.0), 2.0, 1.0), [0.0, 0.0, 1.0]),
        ]);
        let img = render(&a, 0.5, &camera(16, 16), &RenderSettings::default()).unwrap();
        let c = img.pixels[8 * 16 + 8];
        assert!((c[0] - 0.99).abs() < 1e-6, "{c:?}");
        assert!(c[1] > 0.01 * 0.9 * 0.99 && c[1] < 0.01 * 0.9, "{c:?}");
        assert_eq!(c[2], 0.0, "{c:?}");
    }

    #[test]
    fn principal_point_shifts_the_image() {
        let a = asset(&[(splat(Vec3::new(0.05, 0.02, 0.3), 0.08, 0.9), [0.2, 0.7, 0.9])]);
        let cam = camera(48, 40);
        let shifted = Camera { cx: cam.cx + 5.0, cy: cam.cy - 3.0, ..cam };
        let (i0, i1) = (
            render(&a, 0.5, &cam, &Default::default()).unwrap(),
            render(&a, 0.5, &shifted, &Default::default()).unwrap(),
        );
        for y in 3..37u32 {
            for x in 0..43u32 {
                assert_eq!(i0.pixels[(y * 48 + x) as usize], i1.pixels[((y - 3) * 48 + x + 5) as usize], "{x},{y}");
            }
        }
    }

    #[test]
    fn cuda_tiles_differ_only_beyond_three_sigma() {
        // σ ≈ 10 px: α reaches 1/255 at 4.7σ, the 3σ tiles stop short of it on the centre row.
        let a = asset(&[(splat(Vec3::ZERO, 0.36, 1.0), [1.0, 1.0, 1.0])]);
        let cam = camera(128, 128);
        let exact = render(&a, 0.5, &cam, &Default::default()).unwrap();
        let tiles =
            render(&a, 0.5, &cam, &RenderSettings { footprint: Footprint::TilesOf3Sigma, ..Default::default() })
                .unwrap();
        let sigma = cam.fy * 0.36 / 4.0;
        for (i, (e, t)) in exact.pixels.iter().zip(&tiles.pixels).enumerate() {
            let d = Vec2::new((i % 128) as f32 + 0.5 - 64.0, (i / 128) as f32 + 0.5 - 64.0).length();
            if d < 2.9 * sigma {
                assert_eq!(e, t, "inside 3σ at {i}");
            }
        }
        assert!(exact != tiles, "an opaque splat reaches 1/255 beyond 3σ; the tiling cuts it");
    }

    #[test]
    fn rendering_is_deterministic_across_threads() {
        let a =
            Asset::from_bytes(&pack(&crate::demo::scene(), &Default::default(), &NoProgress).unwrap(), Verify::Full)
                .unwrap();
        let cam = a.cameras()[0].resized(96, 54);
        assert_eq!(
            render(&a, 1.3, &cam, &Default::default()).unwrap(),
            render(&a, 1.3, &cam, &Default::default()).unwrap()
        );
    }
}
