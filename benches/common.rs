//! What the benchmarks share: the synthetic scene, the assets, packing, cameras, medians,
//! arguments and results files.
#![allow(dead_code)]

use splat4d::asset::format::SourceKind;
use splat4d::glam::{Vec3, Vec4};
use splat4d::pack::{pack, NoProgress, PackOptions};
use splat4d::{sh, Asset, Camera, Primitive, Splats, Verify};

/// A 4DGS-like scene: primitives living ~0.3 s each in a clip of `seconds`, moving linearly,
/// with degree-3 SH, filling a room-sized volume in front of the first camera.
pub fn synthetic(n: usize, seconds: f32) -> Splats {
    let mut s = Splats::new(SourceKind::Procedural, 3, 0, [0.0, seconds], 30.0);
    let mut state = 7u64;
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    let mut coeffs = vec![[0.0f32; 3]; sh::coeff_count(3, 0)];
    for _ in 0..n {
        let t0 = next() * seconds;
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

pub fn open(splats: &Splats) -> Asset {
    open_with(splats, &PackOptions::default())
}

pub fn open_with(splats: &Splats, options: &PackOptions) -> Asset {
    let bytes = pack(splats, options, &NoProgress).expect("pack");
    Asset::from_bytes(&bytes, Verify::Structure).expect("open")
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Eyes of a viewer at `camera`, 6.4 cm apart, or the camera alone.
pub fn eyes(camera: Camera, views: u32) -> Vec<Camera> {
    let right = camera.rotation.col(0) * 0.032;
    if views == 1 {
        vec![camera]
    } else {
        vec![
            Camera { position: camera.position - right, ..camera },
            Camera { position: camera.position + right, ..camera },
        ]
    }
}

pub fn first_camera(asset: &Asset) -> Camera {
    asset.cameras().first().copied().unwrap_or_else(|| {
        let f = asset.info().focus;
        splat4d::camera::orbit_cameras(Vec3::new(f[0], f[1], f[2]), f[3], 1, 1280, 720)[0]
    })
}

/// What every results JSON opens with: the device and driver measured on, the commit measured
/// (`$SPLAT4D_COMMIT`, else the checkout's HEAD) and when, as JSON members without braces.
pub fn provenance(ctx: &splat4d::gpu::Context) -> String {
    let d = ctx.device_info();
    let commit = std::env::var("SPLAT4D_COMMIT").ok().filter(|c| !c.is_empty()).or_else(|| {
        let out = std::process::Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    });
    let unix = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    format!(
        "\"device\":{:?},\"driver\":{:?},\"multiview\":{},\"commit\":{:?},\"unix_time\":{unix}",
        d.name,
        d.driver,
        ctx.multiview,
        commit.unwrap_or_else(|| "unknown".into())
    )
}

/// A JSON array of figures, four decimals each: the per-frame raw data behind a median.
pub fn list(values: impl IntoIterator<Item = f64>) -> String {
    let cells: Vec<String> =
        values.into_iter().map(|v| if v.is_finite() { format!("{v:.4}") } else { "null".into() }).collect();
    format!("[{}]", cells.join(","))
}

/// The demo scene, then `paths` imported and packed (technicolor-sam from `../shared/assets`
/// where no path is given and it is there), each named by its file stem.
pub fn assets(mut paths: Vec<std::path::PathBuf>) -> Vec<(String, Asset)> {
    use splat4d::import::{import_paths, ImportOptions};
    let mut assets: Vec<(String, Asset)> = vec![("demo".into(), open(&splat4d::demo::scene()))];
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/assets/4d/technicolor-sam.splatv");
    if paths.is_empty() && shared.is_file() {
        paths.push(shared);
    }
    for p in paths {
        let splats = import_paths(std::slice::from_ref(&p), &ImportOptions::default()).expect("import");
        assets.push((p.file_stem().unwrap().to_string_lossy().into_owned(), open(&splats)));
    }
    assets
}

/// A `WxH` argument.
pub fn size(arg: Option<String>) -> (u32, u32) {
    let s = arg.expect("--size WxH");
    let (w, h) = s.split_once('x').expect("--size WxH");
    (w.parse().expect("width"), h.parse().expect("height"))
}

/// Writes `{provenance, "key": [rows]}` to `path`, making its folder.
pub fn write_json(path: &std::path::Path, ctx: &splat4d::gpu::Context, key: &str, rows: &[String]) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("the JSON's folder");
    }
    let json = format!("{{{},\"{key}\":[{}]}}\n", provenance(ctx), rows.join(","));
    std::fs::write(path, json).expect("write json");
    println!("wrote {}", path.display());
}
