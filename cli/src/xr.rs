//! `xr`: plays an asset in a headset through the system's OpenXR runtime.

use splat4d::openxr::EnvironmentBlendMode;
use splat4d::xr::{play, XrOptions};

use crate::load::{self, CliResult};
use crate::{BlendArg, XrArgs};

pub fn run(args: &XrArgs) -> CliResult {
    if !(args.scale.is_finite() && args.scale > 0.0) {
        return Err("--scale must be a positive number".into());
    }
    if !args.speed.is_finite() {
        return Err("--speed must be a finite number".into());
    }
    if args.frames == Some(0) {
        return Err("--frames must be at least 1".into());
    }
    let asset = load::open(&args.asset, &Default::default())?;
    let options = XrOptions {
        validation: args.validation,
        frames: args.frames,
        scale: args.scale,
        looping: args.looping,
        speed: args.speed,
        policy: args.policy.policy(),
        gpu_memory_budget: args.policy.budget_bytes()?,
        depth: !args.no_depth_layer,
        blend: args.blend.map(|b| match b {
            BlendArg::Opaque => EnvironmentBlendMode::OPAQUE,
            BlendArg::Alpha => EnvironmentBlendMode::ALPHA_BLEND,
            BlendArg::Additive => EnvironmentBlendMode::ADDITIVE,
        }),
        ..Default::default()
    };
    let report = play(&asset, &options)?;
    println!(
        "{} on {}: {} frames at {}x{} per eye ({:?}, {} space{}, {} blending, {}), session states {:?}",
        report.runtime,
        report.system,
        report.frames_submitted,
        report.size[0],
        report.size[1],
        report.format.map_or("no format".into(), |f| format!("{f:?}")),
        report.reference_space,
        if report.multiview { ", multiview" } else { "" },
        report.blend.map_or("no".into(), |b| format!("{b:?}")),
        report.depth_format.map_or("no depth layers".into(), |f| format!("{f:?} depth layers")),
        report.states
    );
    if !report.validation_messages.is_empty() {
        log::warn!("{} validation messages (see above)", report.validation_messages.len());
    }
    Ok(())
}
