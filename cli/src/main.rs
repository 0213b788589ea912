//! `splat4d`: pack, inspect and render 4D Gaussian-splat assets. A thin host of the runtime's
//! Rust API: argument parsing, files, progress and messages live here, nothing else.

mod info;
mod load;
mod output;
mod play;
mod profile;
mod progress;
mod render;
mod report;
mod xr;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "splat4d", version, about = "Pack, inspect and render 4D Gaussian-splat assets")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import a trainer's output and pack it into an .s4d asset.
    Pack(PackArgs),
    /// Describe an asset: counts, time, segments, levels, sections, cameras.
    Info(InfoArgs),
    /// Render an asset at one time to a PNG.
    Render(RenderArgs),
    /// Pack the built-in procedural 4D scene and render a short sequence of frames.
    Demo(DemoArgs),
    /// Render frames across an asset's time range and write where each frame's time went:
    /// trace.json (Perfetto, chrome://tracing), frames.csv and report.html.
    Profile(ProfileArgs),
    /// Play an asset in a headset through the system's OpenXR runtime.
    Xr(XrArgs),
    /// Play an asset in a desktop window: orbit/fly camera, keys for playback (see --help).
    Play(PlayArgs),
}

/// Options for sources that do not carry them (shared by every command that imports).
#[derive(Args, Clone)]
pub struct SourceArgs {
    /// Asset time range in seconds, e.g. `0,10` or `-5,5` (4DGS PLYs without a time_range
    /// comment; per-frame sequences are spread over it).
    #[arg(long, value_name = "T0,T1", value_parser = parse_pair, allow_hyphen_values = true)]
    pub time_range: Option<[f32; 2]>,
    /// Frames per second of the asset (per-frame sequences; segment length of any asset).
    #[arg(long, value_name = "F")]
    pub fps: Option<f32>,
    /// Frames per temporal segment.
    #[arg(long, value_name = "N", default_value_t = SourceArgs::SEGMENT_FRAMES)]
    pub segment_frames: u32,
    /// The model was trained with anti-aliasing (the INRIA rasteriser's `antialiasing`,
    /// Mip-Splatting's 2D filter): draw it with that opacity compensation. SPZ files say so
    /// themselves.
    #[arg(long)]
    pub antialiased: bool,
}

impl SourceArgs {
    const SEGMENT_FRAMES: u32 = 20;
}

impl Default for SourceArgs {
    fn default() -> Self {
        SourceArgs { time_range: None, fps: None, segment_frames: SourceArgs::SEGMENT_FRAMES, antialiased: false }
    }
}

#[derive(Args)]
pub struct PackArgs {
    /// A 4DGS or 3DGS PLY, a .splatv, a .splat, a folder or glob of per-frame PLYs, or
    /// several per-frame PLYs in order.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output .s4d path.
    #[arg(short, long, value_name = "OUT.s4d")]
    pub output: PathBuf,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Store every attribute as f32 instead of f16 where f16 is precise enough.
    #[arg(long)]
    pub full_precision: bool,
    /// Levels of detail: the input and N-1 coarser levels merged from it (at most 8).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub levels: u32,
    /// The coarsest level's scale floor λ in scene units (FLoD's λ). Default: 5% of the
    /// scene's radius for built levels, FLoD's 0.2 for --level-ply.
    #[arg(long, value_name = "λ")]
    pub lod_lambda: Option<f32>,
    /// Ratio between the scale floors of neighbouring levels (FLoD's ρ).
    #[arg(long, value_name = "ρ", default_value_t = splat4d::lod::DEFAULT_RHO)]
    pub lod_rho: f32,
    /// A trained coarser level as it is: a 3DGS PLY for level L (1 = the next coarser than
    /// the input; FLoD's level_{5-L} of five). Give levels 1..N-1 once each.
    #[arg(long, value_name = "L=PATH", value_parser = parse_level_ply, conflicts_with = "levels")]
    pub level_ply: Vec<(u32, PathBuf)>,
}

/// Levels of detail: shared by the commands that draw.
#[derive(Args, Clone, Default)]
pub struct LodArgs {
    /// Draw this level of detail alone, everywhere (0 = the finest).
    #[arg(long, value_name = "L", conflicts_with = "lod_gamma")]
    pub lod_level: Option<u32>,
    /// FLoD's selective rule across every level at this γ, in pixels: each level is drawn
    /// where its scale floor projects to at most γ pixels. Default 1; with
    /// --frame-budget-ms, the lowest γ the governor may choose.
    #[arg(long, value_name = "G")]
    pub lod_gamma: Option<f32>,
}

/// A frame loop's policy: shared by `profile`, `play` and `xr`.
#[derive(Args, Clone, Default)]
pub struct FrameArgs {
    #[command(flatten)]
    pub lod: LodArgs,
    /// Hold each frame's GPU time under this many milliseconds by moving γ (the governor).
    #[arg(long, value_name = "MS", conflicts_with = "lod_level")]
    pub frame_budget_ms: Option<f64>,
    /// Go over every primitive each frame instead of the segment's active ones (to compare).
    #[arg(long)]
    pub no_active_sets: bool,
    /// Stream the asset from its file, holding at most this many MB of its primitives on the
    /// GPU (the next segment is read ahead); default: upload the whole asset.
    #[arg(long, value_name = "MB")]
    pub gpu_memory_budget: Option<f64>,
}

impl LodArgs {
    pub fn selection(&self) -> splat4d::lod::Selection {
        use splat4d::lod::Selection;
        match (self.lod_level, self.lod_gamma) {
            (Some(l), _) => Selection::level(l),
            (None, Some(g)) => Selection::gamma(g),
            (None, None) => Selection::default(),
        }
    }
}

impl FrameArgs {
    /// The GPU memory budget in bytes, checked.
    pub fn budget_bytes(&self) -> Result<Option<u64>, String> {
        match self.gpu_memory_budget {
            Some(mb) if !(mb.is_finite() && mb > 0.0) => {
                Err("--gpu-memory-budget must be a positive number of MB".into())
            }
            Some(mb) => Ok(Some((mb * 1e6) as u64)),
            None => Ok(None),
        }
    }

    /// A renderer with this policy, streaming when there is a budget.
    pub fn renderer(
        &self,
        ctx: &splat4d::gpu::Context,
        asset: &splat4d::Asset,
        options: &splat4d::renderer::RendererOptions,
    ) -> Result<splat4d::renderer::Renderer, Box<dyn std::error::Error>> {
        use splat4d::renderer::Renderer;
        let policy = self.policy();
        if let Some(b) = self.budget_bytes()? {
            return Ok(Renderer::streaming(ctx, asset, options, b, &policy)?);
        }
        let mut renderer = Renderer::new(ctx, asset, options)?;
        if let Err(e) = renderer.set_policy(&policy) {
            renderer.destroy(ctx);
            return Err(e.into());
        }
        Ok(renderer)
    }

    pub fn policy(&self) -> splat4d::renderer::FramePolicy {
        splat4d::renderer::FramePolicy {
            lod: self.lod.selection(),
            frame_budget_ms: self.frame_budget_ms,
            active_sets: !self.no_active_sets,
        }
    }
}

/// Stereo rendering: shared by `render` and `profile`.
#[derive(Args)]
pub struct StereoArgs {
    /// Render both eyes (one multiview pass where the device has it); `render` writes them
    /// side by side, left | right.
    #[arg(long)]
    pub stereo: bool,
    /// Distance between the eyes for --stereo, in scene units: each eye sits ±ipd/2 along
    /// the camera's x axis.
    #[arg(long, value_name = "METRES", default_value_t = 0.064)]
    pub ipd: f32,
    /// With --stereo on the GPU: sort each eye by its own depth instead of one order for
    /// both (exact per-eye blending order, twice the sorting work).
    #[arg(long)]
    pub per_eye_sort: bool,
}

impl StereoArgs {
    /// The distance between the eyes with --stereo, `None` without; checks the options.
    pub fn ipd(&self) -> Result<Option<f32>, String> {
        if !(self.ipd.is_finite() && self.ipd >= 0.0) {
            return Err("--ipd must be a finite, non-negative distance".into());
        }
        if self.per_eye_sort && !self.stereo {
            return Err("--per-eye-sort applies to --stereo only".into());
        }
        Ok(self.stereo.then_some(self.ipd))
    }
}

#[derive(Args)]
pub struct InfoArgs {
    /// An .s4d asset (a file, or an http:// or https:// URL), or any importable source.
    pub asset: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Args)]
pub struct RenderArgs {
    /// An .s4d asset (a file or an http(s) URL) or any importable source (packed in memory first).
    pub asset: PathBuf,
    /// Time to render, in the asset's seconds.
    #[arg(long, value_name = "T", allow_negative_numbers = true)]
    pub time: f32,
    /// An INRIA cameras.json; default: the asset's own cameras, else views framing the scene.
    #[arg(long, value_name = "cameras.json")]
    pub cameras: Option<PathBuf>,
    /// Index of the camera to render from. Default: the first, unless it sees (almost) none of
    /// the scene (a converter's fixed pose), when a view framing the scene is used instead.
    #[arg(long, value_name = "I")]
    pub camera: Option<usize>,
    /// Output size; the camera's intrinsics are scaled to it. Default: the camera's size.
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    pub size: Option<[u32; 2]>,
    /// Output PNG.
    #[arg(short, long, value_name = "out.png")]
    pub output: PathBuf,
    /// Render on the CPU with the reference renderer instead of the GPU.
    #[arg(long)]
    pub reference: bool,
    #[command(flatten)]
    pub eyes: StereoArgs,
    /// Use the first GPU whose name contains this.
    #[arg(long, value_name = "NAME")]
    pub device: Option<String>,
    /// Turn the Khronos validation layer on (its messages are logged as warnings).
    #[arg(long)]
    pub validation: bool,
    /// Background colour, e.g. `1,1,1`.
    #[arg(long, value_name = "R,G,B", value_parser = parse_rgb, default_value = "0,0,0", allow_hyphen_values = true)]
    pub background: [f32; 3],
    /// Evaluate each splat in the 16×16 tiles its 3σ square touches, as the CUDA rasteriser
    /// does, instead of wherever its alpha reaches 1/255.
    #[arg(long)]
    pub cuda_tiles: bool,
    #[command(flatten)]
    pub lod: LodArgs,
    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Args)]
pub struct DemoArgs {
    /// Output folder for demo.s4d, the frames and the animation.
    #[arg(short, long, value_name = "DIR", default_value = "splat4d-demo")]
    pub output: PathBuf,
    /// Number of frames across the scene's 4 seconds.
    #[arg(long, value_name = "N", default_value_t = 24)]
    pub frames: u32,
    /// Frame size.
    #[arg(long, value_name = "WxH", value_parser = parse_size, default_value = "640x360")]
    pub size: [u32; 2],
    /// Render on the CPU with the reference renderer instead of the GPU.
    #[arg(long)]
    pub reference: bool,
    /// Use the first GPU whose name contains this.
    #[arg(long, value_name = "NAME")]
    pub device: Option<String>,
    /// Turn the Khronos validation layer on.
    #[arg(long)]
    pub validation: bool,
}

#[derive(Args)]
pub struct ProfileArgs {
    /// An .s4d asset (a file or an http(s) URL), or a source that carries its own time range (packed in memory first).
    pub asset: PathBuf,
    /// Frames to render and capture, spread evenly over the time range.
    #[arg(long, value_name = "N", default_value_t = 300)]
    pub frames: u32,
    /// Size of each view; the camera's intrinsics are scaled to it. Default: the camera's size.
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    pub size: Option<[u32; 2]>,
    #[command(flatten)]
    pub eyes: StereoArgs,
    /// Playback times to sweep, in the asset's seconds. Default: the asset's whole range.
    #[arg(long, value_name = "A,B", value_parser = parse_pair, allow_hyphen_values = true)]
    pub time_range: Option<[f32; 2]>,
    /// Index of the asset's camera to render from. Default: the first, unless it sees (almost)
    /// none of the scene, when a view framing the scene is used instead.
    #[arg(long, value_name = "I")]
    pub camera: Option<usize>,
    /// Frame budget drawn on the report's plots, in milliseconds (default: 90 Hz).
    #[arg(long, value_name = "MS", default_value_t = 11.1)]
    pub budget_ms: f64,
    /// Frames rendered before the capture starts (pipelines and caches warm up).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub warmup: u32,
    #[command(flatten)]
    pub policy: FrameArgs,
    /// Use the first GPU whose name contains this.
    #[arg(long, value_name = "NAME")]
    pub device: Option<String>,
    /// Turn the Khronos validation layer on (it slows every frame: not for figures).
    #[arg(long)]
    pub validation: bool,
    /// Output folder for trace.json, frames.csv and report.html.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
}

/// Keys: Space play/pause, Left/Right seek -/+1 s, Up/Down speed x2 or /2, L loop, R first
/// camera again, W/A/S/D/Q/E fly, Esc quit. Left drag orbits, the wheel dollies. The title
/// shows the frame rate, the GPU frame time and the playback time.
#[derive(Args)]
pub struct PlayArgs {
    /// An .s4d asset (a file or an http(s) URL), or a source that carries its own time range (packed in memory first).
    pub asset: PathBuf,
    /// Window size (the first camera's intrinsics scaled to it). Default: the camera's size.
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    pub size: Option<[u32; 2]>,
    /// Start at this playback time, in the asset's seconds.
    #[arg(long, value_name = "T", allow_negative_numbers = true)]
    pub time: Option<f32>,
    /// Start paused.
    #[arg(long)]
    pub paused: bool,
    /// Playback speed; negative plays backwards.
    #[arg(long, value_name = "S", default_value_t = 1.0, allow_negative_numbers = true)]
    pub speed: f64,
    /// Stop at the end instead of looping.
    #[arg(long)]
    pub no_loop: bool,
    /// Close after N frames (for tests and profiling).
    #[arg(long, value_name = "N")]
    pub frames: Option<u64>,
    #[command(flatten)]
    pub policy: FrameArgs,
    /// Use the first GPU whose name contains this.
    #[arg(long, value_name = "NAME")]
    pub device: Option<String>,
    /// Turn the Khronos validation layer on.
    #[arg(long)]
    pub validation: bool,
}

#[derive(Args)]
pub struct XrArgs {
    /// An .s4d asset (a file or an http(s) URL), or a source that carries its own time range (packed in memory first).
    pub asset: PathBuf,
    /// Loop playback (otherwise it stops at the end and holds the last frame).
    #[arg(long = "loop")]
    pub looping: bool,
    /// Playback speed; negative plays backwards.
    #[arg(long, value_name = "S", default_value_t = 1.0, allow_negative_numbers = true)]
    pub speed: f64,
    /// Room metres per asset unit.
    #[arg(long, value_name = "S", default_value_t = 1.0)]
    pub scale: f32,
    /// End the session cleanly after N frames.
    #[arg(long, value_name = "N")]
    pub frames: Option<u64>,
    #[command(flatten)]
    pub policy: FrameArgs,
    /// How the frame meets the world behind the display: `opaque` (VR), `alpha` (passthrough:
    /// the splats' coverage is the layer's alpha, the world shows through elsewhere) or
    /// `additive` (see-through displays). Default: the runtime's first choice. One the runtime
    /// does not offer is an error.
    #[arg(long, value_enum, value_name = "MODE")]
    pub blend: Option<BlendArg>,
    /// Do not hand the compositor each eye's depth (sent by default where the runtime takes
    /// XR_KHR_composition_layer_depth, for its reprojection).
    #[arg(long)]
    pub no_depth_layer: bool,
    /// Turn the Khronos validation layer on (and OpenXR's core validation layer where installed).
    #[arg(long)]
    pub validation: bool,
}

/// `xr --blend`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BlendArg {
    Opaque,
    Alpha,
    Additive,
}

/// Two times `T0,T1`, compared as written (f64) and then as stored (f32): a range that f32
/// cannot tell apart is refused for that reason, not as if T0 ≥ T1.
fn parse_pair(s: &str) -> Result<[f32; 2], String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>().map_err(|e| format!("'{}': {e}", x.trim())))
        .collect::<Result<_, _>>()?;
    let [a, b] = v[..] else { return Err("expected two numbers T0,T1, e.g. 0,10 or -5,5".into()) };
    if !(a.is_finite() && b.is_finite() && a < b) {
        return Err(format!("expected two finite numbers T0,T1 with T0 < T1, got {a},{b}"));
    }
    let (fa, fb) = (a as f32, b as f32);
    if !(fa.is_finite() && fb.is_finite()) || fa >= fb {
        return Err(format!(
            "{a} and {b} are the same time in single precision (f32), which assets store: f32 times near {fb} \
             are {} apart; shift the range towards 0",
            splat4d::math::ulp(fb)
        ));
    }
    Ok([fa, fb])
}

fn parse_level_ply(s: &str) -> Result<(u32, PathBuf), String> {
    let (level, path) = s.split_once('=').ok_or("expected L=PATH, e.g. 1=level_4_point_cloud.ply")?;
    let level: u32 = level.trim().parse().map_err(|_| "the level is not a whole number")?;
    if level == 0 || level as usize >= splat4d::lod::MAX_LEVELS {
        return Err(format!("level {level}: trained levels are 1..={} (0 is the input)", splat4d::lod::MAX_LEVELS - 1));
    }
    Ok((level, PathBuf::from(path)))
}

fn parse_rgb(s: &str) -> Result<[f32; 3], String> {
    let v: Vec<f32> =
        s.split(',').map(|x| x.trim().parse::<f32>().map_err(|e| e.to_string())).collect::<Result<_, _>>()?;
    match v.as_slice() {
        [r, g, b] if v.iter().all(|c| c.is_finite()) => Ok([*r, *g, *b]),
        _ => Err("expected three numbers R,G,B".into()),
    }
}

fn parse_size(s: &str) -> Result<[u32; 2], String> {
    let (w, h) = s.split_once(['x', 'X']).ok_or("expected WxH, e.g. 640x360")?;
    let w: u32 = w.trim().parse().map_err(|_| "width is not a whole number")?;
    let h: u32 = h.trim().parse().map_err(|_| "height is not a whole number")?;
    if w == 0 || h == 0 || w > 16384 || h > 16384 {
        return Err("width and height must be within 1..=16384".into());
    }
    Ok([w, h])
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_timestamp(None)
        .format_target(false)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Pack(a) => load::pack_command(&a),
        Command::Info(a) => info::run(&a),
        Command::Render(a) => render::run(&a),
        Command::Demo(a) => render::demo(&a),
        Command::Profile(a) => profile::run(&a),
        Command::Xr(a) => xr::run(&a),
        Command::Play(a) => play::run(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
