//! Headset playback against a real OpenXR runtime: Monado's service with its simulated HMD and
//! null compositor (on lavapipe), started here and stopped at the end. Runs inside the test
//! chroot (scripts/vk-chroot.sh), which has Monado and the OpenXR loader.

mod common;

use std::path::{Path, PathBuf};

use splat4d::demo;
use splat4d::glam::Vec3;
use splat4d::gpu::{Context, ContextOptions, UploadQueue};
use splat4d::openxr::SessionState;
use splat4d::renderer::{Renderer, RendererOptions};
use splat4d::xr::{play, play_with, XrOptions};

fn asset_path(dir: &Path) -> PathBuf {
    let path = dir.join("demo.s4d");
    std::fs::write(&path, common::pack_bytes(&demo::scene(), false)).unwrap();
    path
}

#[test]
fn a_session_on_monado_plays_300_frames_and_shows_what_the_offscreen_renderer_draws() {
    let _monado = common::monado::Monado::start();
    let dir = tempfile::tempdir().unwrap();
    let asset = splat4d::Asset::open(asset_path(dir.path()), splat4d::Verify::Full).unwrap();
    let options = XrOptions { validation: true, frames: Some(300), capture_frame: Some(150), ..Default::default() };
    let report = play(&asset, &options).unwrap_or_else(|e| panic!("headset playback failed: {e}"));
    eprintln!(
        "{} on {}: {}x{} per eye, {:?}, multiview {}, {}, {} frames, states {:?}, depth {:?}, blend {:?} of {:?}",
        report.runtime,
        report.system,
        report.size[0],
        report.size[1],
        report.format,
        report.multiview,
        report.reference_space,
        report.frames_submitted,
        report.states,
        report.depth_format,
        report.blend,
        report.blend_modes,
    );
    for state in [SessionState::READY, SessionState::SYNCHRONIZED, SessionState::VISIBLE, SessionState::FOCUSED] {
        assert!(report.states.contains(&state), "never {state:?}: {:?}", report.states);
    }
    assert_eq!(report.states.last(), Some(&SessionState::EXITING), "{:?}", report.states);
    assert!(report.frames_submitted >= 300, "{} frames", report.frames_submitted);
    assert!(report.validation_messages.is_empty(), "{:#?}", report.validation_messages);

    assert_shows_the_offscreen_frame(&asset, &report);
    assert_submits_the_splats_depth(&asset, &report);
}

/// Each eye's depth went to the compositor (Monado offers XR_KHR_composition_layer_depth):
/// view 0's, read back from its swapchain image, is the reference's depth out of the same view
/// (the splats' expected depth where they cover half a pixel, else the far plane) to within
/// 1 % where the coverage is not within 0.02 of ½ (where f16 rounding may go either way).
fn assert_submits_the_splats_depth(asset: &splat4d::Asset, report: &splat4d::xr::XrReport) {
    use splat4d::reference::{composite, preprocess, Host, RenderSettings};
    assert!(report.depth_format.is_some(), "no depth layers on {}", report.runtime);
    let captured = report.capture.as_ref().expect("a frame was read back");
    let (depth, convention) = captured.depth.as_ref().expect("depth read back with the frame");
    assert!(convention.reversed && convention.far.is_infinite(), "{convention:?}");
    let [w, h] = report.size;
    // Blended in the session's order: by distance from the eyes' midpoint.
    let midpoint = (captured.eyes[0].position + captured.eyes[1].position) * 0.5;
    let settings = RenderSettings { sort_from: Some(midpoint), ..Default::default() };
    let splats = preprocess(asset, captured.time, &captured.eyes[0], &settings).unwrap();
    let want = composite(&splats, w, h, Vec3::ZERO, &Host::default()).unwrap();
    let (mut compared, mut off, mut covered) = (0, 0, 0);
    for (i, &stored) in depth.iter().enumerate() {
        let a = want.image.pixels[i][3];
        if (a - 0.5).abs() < 0.02 {
            continue;
        }
        compared += 1;
        let z = convention.view_depth(stored);
        let expected = want.depth[i];
        if expected.is_infinite() || z.is_infinite() {
            off += usize::from(expected.is_infinite() != z.is_infinite());
        } else {
            covered += 1;
            off += usize::from((z - expected).abs() > 0.01 * expected);
        }
    }
    eprintln!("depth layer: {off} of {compared} pixels off, {covered} with splats' depth");
    assert!(covered > (w * h / 20) as usize, "only {covered} pixels carry the splats' depth");
    assert!(off * 1000 <= compared, "{off} of {compared} pixels' depth off");
}

/// Every environment blend mode the runtime offers plays (Monado's simulated HMD offers only
/// OPAQUE); one it does not offer is refused by name.
#[test]
fn each_offered_blend_mode_plays_and_others_are_refused() {
    use splat4d::openxr::EnvironmentBlendMode;
    let _monado = common::monado::Monado::start();
    let dir = tempfile::tempdir().unwrap();
    let asset = splat4d::Asset::open(asset_path(dir.path()), splat4d::Verify::Full).unwrap();
    let probe = play(&asset, &XrOptions { frames: Some(2), ..Default::default() }).unwrap();
    assert!(!probe.blend_modes.is_empty(), "no blend modes");
    for mode in probe.blend_modes.iter().copied() {
        let options = XrOptions { validation: true, frames: Some(20), blend: Some(mode), ..Default::default() };
        let report = play(&asset, &options).unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        assert_eq!(report.blend, Some(mode));
        assert!(report.frames_submitted >= 20, "{mode:?}: {} frames", report.frames_submitted);
        assert!(report.validation_messages.is_empty(), "{mode:?}: {:#?}", report.validation_messages);
    }
    let all = [EnvironmentBlendMode::OPAQUE, EnvironmentBlendMode::ADDITIVE, EnvironmentBlendMode::ALPHA_BLEND];
    match all.into_iter().find(|m| !probe.blend_modes.contains(m)) {
        Some(missing) => {
            let err = play(&asset, &XrOptions { frames: Some(2), blend: Some(missing), ..Default::default() })
                .err()
                .unwrap_or_else(|| panic!("{missing:?} was accepted"));
            assert!(err.to_string().contains("blend mode"), "{err}");
        }
        None => common::skipped("refusing a blend mode the runtime lacks (it offers all three)"),
    }
}

#[test]
fn the_host_controls_playback_and_ends_the_session() {
    let _monado = common::monado::Monado::start();
    let dir = tempfile::tempdir().unwrap();
    let asset = splat4d::Asset::open(asset_path(dir.path()), splat4d::Verify::Full).unwrap();
    let options = XrOptions { capture_frame: Some(20), ..Default::default() };
    let mut turns = 0;
    // Held at t = 1.25 from the first turn on; ended from the host's side after 40 turns.
    let report = play_with(&asset, &options, &(), &mut |playback| {
        turns += 1;
        playback.seek(1.25);
        playback.pause();
        turns < 40
    })
    .unwrap();
    assert_eq!(report.states.last(), Some(&SessionState::EXITING), "{:?}", report.states);
    assert!(report.frames_submitted > 20 && report.frames_submitted < 40, "{} frames", report.frames_submitted);
    assert_eq!(report.capture.expect("frame 20").time, 1.25, "paused where the host put it");
}

/// The captured eye is the offscreen renderer's image of the same views and time, byte for
/// byte: one renderer, device, asset and command stream, so nothing may differ. (Splats of
/// equal depth could blend in another order on a GPU, whose atomic append order varies; the
/// demo scene's splats are at distinct depths.) Also checks that the eye shows the scene.
fn assert_shows_the_offscreen_frame(asset: &splat4d::Asset, report: &splat4d::xr::XrReport) {
    let captured = report.capture.as_ref().expect("a frame was read back");
    let [w, h] = report.size;
    let ctx = Context::new(&ContextOptions { validation: true, ..Default::default() }).unwrap();
    let options = RendererOptions {
        width: w,
        height: h,
        views: 2,
        format: captured.format,
        background: Vec3::ZERO,
        sort: XrOptions::default().sort,
        stats: true,
        frames_in_flight: splat4d::renderer::FRAMES_IN_FLIGHT,
    };
    let mut renderer = Renderer::new(&ctx, asset, &options).unwrap();
    renderer.render(&ctx, captured.time, &captured.eyes).unwrap();
    let offscreen = renderer.read_back(&ctx).unwrap().remove(0);
    renderer.destroy(&ctx);
    assert!(ctx.validation_messages().is_empty(), "{:#?}", ctx.validation_messages());
    let lit = common::lit(&captured.pixels, 4, [0; 3], 20);
    assert!(lit > (w * h / 50) as usize, "the eye shows the scene ({lit} lit pixels)");
    let differing = captured.pixels.iter().zip(&offscreen).filter(|(a, b)| a != b).count();
    eprintln!("frame at t = {:.3}: {differing} bytes differ from the offscreen render", captured.time);
    assert_eq!(captured.pixels.len(), offscreen.len());
    assert!(differing == 0, "{differing} of {} bytes differ from the offscreen render", offscreen.len());
}

#[test]
fn one_swapchain_per_eye_shows_the_same_frame() {
    let _monado = common::monado::Monado::start();
    let dir = tempfile::tempdir().unwrap();
    let asset = splat4d::Asset::open(asset_path(dir.path()), splat4d::Verify::Full).unwrap();
    let options = XrOptions {
        validation: true,
        frames: Some(40),
        capture_frame: Some(30),
        swapchain_per_eye: true,
        ..Default::default()
    };
    let report = play(&asset, &options).unwrap_or_else(|e| panic!("headset playback failed: {e}"));
    assert!(report.swapchain_per_eye);
    assert_eq!(report.states.last(), Some(&SessionState::EXITING), "{:?}", report.states);
    assert!(report.frames_submitted >= 40, "{} frames", report.frames_submitted);
    assert!(report.validation_messages.is_empty(), "{:#?}", report.validation_messages);
    assert_shows_the_offscreen_frame(&asset, &report);
    assert_submits_the_splats_depth(&asset, &report);
}

#[test]
fn a_streamed_session_uploads_pages_apart_and_shows_the_same_frame() {
    // The demo within three quarters of its size, its pages copied by submissions of their own
    // that the frames wait for (on lavapipe's one queue: the transfer-queue path's
    // synchronisation, which validation checks across submissions).
    let _monado = common::monado::Monado::start();
    let dir = tempfile::tempdir().unwrap();
    let asset = splat4d::Asset::open(asset_path(dir.path()), splat4d::Verify::Full).unwrap();
    let options = XrOptions {
        validation: true,
        frames: Some(60),
        capture_frame: Some(50),
        gpu_memory_budget: Some(asset.len() as u64 * 72),
        upload_queue: UploadQueue::Graphics,
        ..Default::default()
    };
    let report = play(&asset, &options).unwrap_or_else(|e| panic!("headset playback failed: {e}"));
    assert!(report.frames_submitted >= 60, "{} frames", report.frames_submitted);
    assert!(report.validation_messages.is_empty(), "{:#?}", report.validation_messages);
    assert_shows_the_offscreen_frame(&asset, &report);
}
