//! `render` and `demo`: the GPU renderer (or the CPU reference) to PNG files.

use std::time::Instant;

use splat4d::camera::{cameras_from_json, orbit_cameras};
use splat4d::fs::Output;
use splat4d::glam::Vec3;
use splat4d::gpu::{Context, ContextOptions};
use splat4d::pack::{pack_to, NoProgress, PackOptions};
use splat4d::reference::{self, Footprint, RenderSettings};
use splat4d::renderer::{FramePolicy, Renderer, RendererOptions, SortOrder, TargetFormat};
use splat4d::{demo, Asset, Camera};

use crate::load::{self, CliResult};
use crate::output::{write_png, Apng, Rgba8};
use crate::progress::bar;
use crate::{DemoArgs, RenderArgs};

/// Cameras for an asset: the user's file, the asset's own, or views that frame its bulk.
pub fn cameras(asset: &Asset, file: Option<&std::path::Path>) -> CliResult<Vec<Camera>> {
    if let Some(path) = file {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut splat4d::fs::open_regular(path)?, &mut text)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(cameras_from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    let own = asset.cameras();
    if !own.is_empty() {
        return Ok(own);
    }
    let f = asset.info().focus;
    Ok(orbit_cameras(Vec3::new(f[0], f[1], f[2]), f[3], 4, 960, 540))
}

/// The views to render: camera `index` of the asset's (or the file's) cameras, at `size` if
/// given, as one view or two eyes `ipd` apart. Without an index, the first camera, unless it
/// sees (almost) nothing of the scene ([`default_camera`]).
pub fn views(
    asset: &Asset,
    file: Option<&std::path::Path>,
    index: Option<usize>,
    size: Option<[u32; 2]>,
    stereo: Option<f32>,
) -> CliResult<Vec<Camera>> {
    let camera = match index {
        Some(i) => {
            let cams = cameras(asset, file)?;
            let camera = *cams
                .get(i)
                .ok_or_else(|| format!("--camera {i} is out of range: there are {} cameras", cams.len()))?;
            warn_if_blind(asset, &camera, &format!("camera {i}"))?;
            camera
        }
        None if file.is_some() => {
            let camera = *cameras(asset, file)?.first().ok_or("the cameras file holds no camera")?;
            warn_if_blind(asset, &camera, "camera 0 of the cameras file")?;
            camera
        }
        None => default_camera(asset)?,
    };
    let camera = match size {
        Some([w, h]) => camera.resized(w, h),
        None => camera,
    };
    Ok(match stereo {
        Some(ipd) => eyes(&camera, ipd).to_vec(),
        None => vec![camera],
    })
}

/// Whether a camera sees (almost) nothing: under 1 % of a spread sample of the primitives.
fn blind(asset: &Asset, camera: &Camera) -> CliResult<Option<(usize, usize)>> {
    let (seen, sampled) = asset.sample_in_view(camera)?;
    Ok((sampled > 0 && seen * 100 < sampled).then_some((seen, sampled)))
}

fn warn_if_blind(asset: &Asset, camera: &Camera, name: &str) -> CliResult {
    if let Some((seen, sampled)) = blind(asset, camera)? {
        log::warn!("{name} sees {seen} of {sampled} sampled splats: the image will be (almost) empty");
    }
    Ok(())
}

/// The camera to show an asset from when none was asked for: its first own camera, unless
/// that one sees (almost) nothing (fireworks-timesliced's converter writes a fixed pose facing
/// away from every splat), then a view framing the scene's bulk at that camera's size.
pub fn default_camera(asset: &Asset) -> CliResult<Camera> {
    let first = cameras(asset, None)?[0];
    if asset.cameras().is_empty() {
        return Ok(first);
    }
    let Some((seen, sampled)) = blind(asset, &first)? else { return Ok(first) };
    let f = asset.info().focus;
    let framing = orbit_cameras(Vec3::new(f[0], f[1], f[2]), f[3], 4, first.width, first.height)[0];
    log::warn!(
        "the asset's camera 0 sees {seen} of {sampled} sampled splats: showing a view that frames the scene \
         instead (--camera 0 keeps it)"
    );
    Ok(framing)
}

/// The two eyes of a viewer at `camera`: offset by ∓ipd/2 along its x axis.
pub fn eyes(camera: &Camera, ipd: f32) -> [Camera; 2] {
    let right = camera.rotation.col(0) * (0.5 * ipd);
    [Camera { position: camera.position - right, ..*camera }, Camera { position: camera.position + right, ..*camera }]
}

/// Renders `views` (one or two cameras of the same size) on the GPU.
struct Gpu {
    ctx: Context,
    renderer: Option<Renderer>,
}

impl Gpu {
    fn new(asset: &Asset, width: u32, height: u32, views: u32, args: &GpuArgs, background: Vec3) -> CliResult<Gpu> {
        let ctx = Context::new(&ContextOptions {
            validation: args.validation,
            device_name: args.device.clone(),
            ..Default::default()
        })?;
        let sort = if args.per_eye_sort { SortOrder::PerEye } else { SortOrder::Shared };
        let options = RendererOptions {
            width,
            height,
            views,
            format: TargetFormat::Rgba8Unorm,
            background,
            sort,
            stats: true,
            frames_in_flight: splat4d::renderer::FRAMES_IN_FLIGHT,
        };
        let mut renderer = Renderer::new(&ctx, asset, &options)?;
        if let Err(e) = renderer.set_policy(&args.policy) {
            renderer.destroy(&ctx);
            return Err(e.into());
        }
        Ok(Gpu { ctx, renderer: Some(renderer) })
    }

    fn render(&mut self, t: f32, views: &[Camera]) -> CliResult<Vec<Rgba8>> {
        let r = self.renderer.as_mut().expect("renderer lives until drop");
        r.render(&self.ctx, t, views)?;
        let (w, h) = (views[0].width, views[0].height);
        Ok(r.read_back(&self.ctx)?.into_iter().map(|pixels| Rgba8 { width: w, height: h, pixels }).collect())
    }
}

impl Drop for Gpu {
    fn drop(&mut self) {
        if let Some(r) = self.renderer.take() {
            r.destroy(&self.ctx);
        }
        let messages = self.ctx.validation_messages();
        if !messages.is_empty() {
            log::warn!("{} validation messages (see above)", messages.len());
        }
    }
}

pub struct GpuArgs {
    pub device: Option<String>,
    pub validation: bool,
    pub per_eye_sort: bool,
    pub policy: FramePolicy,
}

pub fn run(args: &RenderArgs) -> CliResult {
    if !args.time.is_finite() {
        return Err("--time must be a finite number".into());
    }
    let ipd = args.eyes.ipd()?;
    let asset = load::open(&args.asset, &args.source)?;
    let views = views(&asset, args.cameras.as_deref(), args.camera, args.size, ipd)?;
    let background = Vec3::from(args.background);
    let start = Instant::now();
    let images = if args.reference {
        let settings = RenderSettings {
            background,
            footprint: if args.cuda_tiles { Footprint::TilesOf3Sigma } else { Footprint::Exact },
            lod: args.lod.selection().for_levels(asset.levels().len())?,
            ..RenderSettings::default()
        };
        views
            .iter()
            .map(|v| {
                let pixels = reference::render(&asset, args.time, v, &settings)?.to_rgba8()?;
                Ok(Rgba8 { width: v.width, height: v.height, pixels })
            })
            .collect::<CliResult<_>>()?
    } else {
        if args.cuda_tiles {
            return Err("--cuda-tiles applies to the CPU reference only (add --reference)".into());
        }
        let gpu_args = GpuArgs {
            device: args.device.clone(),
            validation: args.validation,
            per_eye_sort: args.eyes.per_eye_sort,
            policy: FramePolicy { lod: args.lod.selection(), ..Default::default() },
        };
        let mut gpu = Gpu::new(&asset, views[0].width, views[0].height, views.len() as u32, &gpu_args, background)?;
        log::info!("rendering on {}", gpu.ctx.device_name());
        gpu.render(args.time, &views)?
    };
    log::info!(
        "rendered t={} from {} at {}x{}{} in {:.2?}",
        args.time,
        args.camera.map_or("the default view".to_string(), |i| format!("camera {i}")),
        views[0].width,
        views[0].height,
        if ipd.is_some() { " per eye" } else { "" },
        start.elapsed()
    );
    write_png(&args.output, &Rgba8::side_by_side(&images)?)
}

/// The most frames `demo` renders: minutes of its 4-second scene.
pub const MAX_DEMO_FRAMES: u32 = 10_000;

pub fn demo(args: &DemoArgs) -> CliResult {
    if args.frames == 0 || args.frames > MAX_DEMO_FRAMES {
        return Err(format!("--frames must be within 1..={MAX_DEMO_FRAMES}").into());
    }
    std::fs::create_dir_all(&args.output).map_err(|e| format!("{}: {e}", args.output.display()))?;
    let scene = demo::scene();
    let asset_path = args.output.join("demo.s4d");
    let (_, asset) = splat4d::pack::write_asset(&asset_path, |file| {
        pack_to(&scene, &PackOptions::default(), &NoProgress, file, &asset_path)
    })?;
    log::info!("packed the demo scene: {} primitives -> {}", asset.len(), asset_path.display());

    let [w, h] = args.size;
    let camera = asset.cameras()[0].resized(w, h);
    let gpu_args = GpuArgs {
        device: args.device.clone(),
        validation: args.validation,
        per_eye_sort: false,
        policy: FramePolicy::default(),
    };
    let mut gpu = if args.reference {
        None
    } else {
        match Gpu::new(&asset, w, h, 1, &gpu_args, Vec3::ZERO) {
            Ok(g) => {
                log::info!("rendering on {}", g.ctx.device_name());
                Some(g)
            }
            Err(e) => {
                log::warn!("no GPU renderer ({e}); rendering with the CPU reference instead");
                None
            }
        }
    };
    // The animation is written as the frames are rendered: one frame in memory at a time.
    let fps = (args.frames as f32 / demo::DURATION).round().max(1.0) as u16;
    let apng_path = args.output.join("demo.apng");
    let mut apng_out = Output::create(&apng_path)?;
    let mut apng = Apng::new(&apng_path, &mut apng_out, [w, h], args.frames, fps)?;
    let progress = bar(args.frames as u64, "render");
    let start = Instant::now();
    for i in 0..args.frames {
        let t = demo::DURATION * i as f32 / args.frames as f32;
        let image = match gpu.as_mut() {
            Some(g) => g.render(t, &[camera])?.remove(0),
            None => {
                let pixels = reference::render(&asset, t, &camera, &RenderSettings::default())?.to_rgba8()?;
                Rgba8 { width: w, height: h, pixels }
            }
        };
        write_png(&args.output.join(format!("frame_{i:03}.png")), &image)?;
        apng.frame(&image)?;
        progress.inc(1);
    }
    progress.finish_and_clear();
    apng.finish()?;
    apng_out.commit()?;
    log::info!(
        "rendered {} frames at {w}x{h} on the {} in {:.2?}: {}",
        args.frames,
        if gpu.is_some() { "GPU" } else { "CPU" },
        start.elapsed(),
        args.output.join("frame_*.png, demo.apng").display()
    );
    Ok(())
}
