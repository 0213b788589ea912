//! `profile`: renders frames across an asset's time range with every frame captured, then
//! writes the Chrome trace, the CSV and `report.html`, and prints the percentiles.

use splat4d::fs::Output;
use splat4d::glam::Vec3;
use splat4d::gpu::{Context, ContextOptions};
use splat4d::profile::{Capture, Percentiles};
use splat4d::renderer::{Renderer, RendererOptions, SortOrder, TargetFormat};
use splat4d::Camera;

use crate::load::{self, CliResult};
use crate::progress::bar;
use crate::render::views;
use crate::report::{self, Report};
use crate::ProfileArgs;

/// The most warm-up frames `profile` renders before it captures.
pub const MAX_WARMUP: u32 = 10_000;

pub fn run(args: &ProfileArgs) -> CliResult {
    if args.frames == 0 || args.frames > splat4d::profile::MAX_CAPTURE_FRAMES {
        return Err(format!("--frames must be within 1..={}", splat4d::profile::MAX_CAPTURE_FRAMES).into());
    }
    if args.warmup > MAX_WARMUP {
        return Err(format!("--warmup must be within 0..={MAX_WARMUP}").into());
    }
    if !(args.budget_ms.is_finite() && args.budget_ms > 0.0) {
        return Err("--budget-ms must be a positive number".into());
    }
    let ipd = args.eyes.ipd()?;
    let asset = load::open(&args.asset, &Default::default())?;
    let [t0, t1] = args.time_range.unwrap_or(asset.info().time_range);
    let views = views(&asset, None, args.camera, args.size, ipd)?;
    std::fs::create_dir_all(&args.output).map_err(|e| format!("{}: {e}", args.output.display()))?;

    let ctx = Context::new(&ContextOptions {
        validation: args.validation,
        device_name: args.device.clone(),
        ..Default::default()
    })?;
    let options = RendererOptions {
        width: views[0].width,
        height: views[0].height,
        views: views.len() as u32,
        format: TargetFormat::Rgba8Unorm,
        background: Vec3::ZERO,
        sort: if args.eyes.per_eye_sort { SortOrder::PerEye } else { SortOrder::Shared },
        stats: true,
        frames_in_flight: splat4d::renderer::FRAMES_IN_FLIGHT,
    };
    let mut renderer = args.policy.renderer(&ctx, &asset, &options)?;
    let result = capture(&ctx, &mut renderer, &views, args, [t0, t1]);
    renderer.destroy(&ctx);
    let capture = result?;
    let messages = ctx.validation_messages();
    if !messages.is_empty() {
        log::warn!("{} validation messages (see above)", messages.len());
    }

    let write =
        |name: &str, text: &str| -> CliResult { Ok(Output::write_all(&args.output.join(name), text.as_bytes())?) };
    write("trace.json", &capture.chrome_trace())?;
    write("frames.csv", &capture.csv())?;
    let command: Vec<String> = std::env::args().collect();
    // A governed capture is drawn against the budget it was held to.
    let budget_ms = args.policy.frame_budget_ms.unwrap_or(args.budget_ms);
    let asset_name =
        args.asset.file_name().map_or_else(|| args.asset.display().to_string(), |n| n.to_string_lossy().into());
    let report = Report { asset: &asset_name, capture: &capture, budget_ms, command: &command.join(" ") };
    write("report.html", &report::html(&report))?;
    print_table(&capture, budget_ms, &ctx.device_info().name);
    println!(
        "wrote {}",
        [&"trace.json", &"frames.csv", &"report.html"].map(|n| args.output.join(n).display().to_string()).join(", ")
    );
    Ok(())
}

/// Renders the warm-up frames, then `args.frames` frames evenly across `range` into a capture.
fn capture(
    ctx: &Context,
    renderer: &mut Renderer,
    views: &[Camera],
    args: &ProfileArgs,
    range: [f32; 2],
) -> CliResult<Capture> {
    let time = |i: u32| range[0] + (range[1] - range[0]) * i as f32 / args.frames.max(2).saturating_sub(1) as f32;
    for i in 0..args.warmup {
        renderer.render(ctx, time(i % args.frames), views)?;
    }
    renderer.start_capture(ctx, args.frames);
    let progress = bar(args.frames as u64, "profiling");
    for i in 0..args.frames {
        renderer.render(ctx, time(i), views)?;
        progress.inc(1);
    }
    progress.finish_and_clear();
    Ok(renderer.stop_capture(ctx)?.expect("the capture was started above"))
}

fn print_table(capture: &Capture, budget_ms: f64, device: &str) {
    let frames: Vec<_> = capture.frames().collect();
    println!("{} frames on {device}, budget {budget_ms:.2} ms", frames.len());
    println!("{:<16} {:>10} {:>10} {:>10} {:>10} {:>10}", "", "p50", "p95", "p99", "max", "mean");
    for (name, value) in report::rows() {
        let Some(p) = Percentiles::of(frames.iter().map(|f| value(f))) else {
            println!("{name:<16} {:>10}", "n/a");
            continue;
        };
        let precision = if name.starts_with("splats") { 0 } else { 3 };
        let cells: Vec<String> =
            [p.p50, p.p95, p.p99, p.max, p.mean].iter().map(|v| format!("{v:>10.precision$}")).collect();
        println!("{name:<16} {}", cells.join(" "));
    }
}
