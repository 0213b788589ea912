//! `render` and `demo`: the CPU reference renderer to PNG files.

use std::time::Instant;

use splat4d::camera::{cameras_from_json, orbit_cameras};
use splat4d::pack::{pack, NoProgress, PackOptions};
use splat4d::reference::{self, Footprint, RenderSettings};
use splat4d::{demo, Asset, Camera, Verify};

use crate::load::{self, CliResult};
use crate::output::{write_apng, write_png};
use crate::progress::bar;
use crate::{DemoArgs, RenderArgs};

/// Cameras for an asset: the user's file, the asset's own, or views that frame its bulk.
fn cameras(asset: &Asset, file: Option<&std::path::Path>) -> CliResult<Vec<Camera>> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(cameras_from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    let own = asset.cameras();
    if !own.is_empty() {
        return Ok(own);
    }
    let f = asset.info().focus;
    Ok(orbit_cameras(splat4d::glam::Vec3::new(f[0], f[1], f[2]), f[3], 4, 960, 540))
}

pub fn run(args: &RenderArgs) -> CliResult {
    if !args.time.is_finite() {
        return Err("--time must be a finite number".into());
    }
    let asset = load::open(&args.asset, &args.source)?;
    let cams = cameras(&asset, args.cameras.as_deref())?;
    let camera = cams
        .get(args.camera)
        .ok_or_else(|| format!("--camera {} is out of range: there are {} cameras", args.camera, cams.len()))?;
    let camera = match args.size {
        Some([w, h]) => camera.resized(w, h),
        None => *camera,
    };
    if !args.reference {
        log::info!("the GPU renderer is not built yet: rendering with the CPU reference");
    }
    let settings = RenderSettings {
        background: args.background.into(),
        footprint: if args.cuda_tiles { Footprint::TilesOf3Sigma } else { Footprint::Exact },
        ..RenderSettings::default()
    };
    let start = Instant::now();
    let image = reference::render(&asset, args.time, &camera, &settings);
    log::info!(
        "rendered t={} camera {} at {}x{} in {:.2?}",
        args.time,
        args.camera,
        camera.width,
        camera.height,
        start.elapsed()
    );
    write_png(&args.output, &image)
}

pub fn demo(args: &DemoArgs) -> CliResult {
    if args.frames == 0 {
        return Err("--frames must be at least 1".into());
    }
    std::fs::create_dir_all(&args.output).map_err(|e| format!("{}: {e}", args.output.display()))?;
    let scene = demo::scene();
    let bytes = pack(&scene, &PackOptions::default(), &NoProgress)?;
    let asset_path = args.output.join("demo.s4d");
    std::fs::write(&asset_path, &bytes).map_err(|e| format!("{}: {e}", asset_path.display()))?;
    let asset = Asset::open(&asset_path, Verify::Full)?;
    log::info!("packed the demo scene: {} primitives -> {}", asset.len(), asset_path.display());

    let [w, h] = args.size;
    let camera = asset.cameras()[0].resized(w, h);
    let settings = RenderSettings::default();
    let progress = bar(args.frames as u64, "render");
    let start = Instant::now();
    let mut frames = Vec::with_capacity(args.frames as usize);
    for i in 0..args.frames {
        let t = demo::DURATION * i as f32 / args.frames as f32;
        let image = reference::render(&asset, t, &camera, &settings);
        write_png(&args.output.join(format!("frame_{i:03}.png")), &image)?;
        frames.push(image);
        progress.inc(1);
    }
    progress.finish_and_clear();
    let fps = (args.frames as f32 / demo::DURATION).round().max(1.0) as u16;
    write_apng(&args.output.join("demo.apng"), &frames, fps)?;
    log::info!(
        "rendered {} frames at {w}x{h} on the CPU in {:.2?}: {}",
        args.frames,
        start.elapsed(),
        args.output.join("frame_*.png, demo.apng").display()
    );
    Ok(())
}
