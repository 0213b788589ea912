//! The native headset app for Android OpenXR devices (Quest and others): a NativeActivity whose
//! `android_main` initialises the OpenXR loader with the Java VM and activity and plays an asset
//! with `splat4d::xr`, the same code the desktop tests run on Monado. Everything here is
//! Android-only; see `android/README.md` for building and installing.
#![cfg(target_os = "android")]

use std::time::Duration;

use android_activity::{AndroidApp, InputStatus, MainEvent, PollEvent};
use splat4d::openxr::AndroidPlatformInfo;
use splat4d::xr::{play_with, XrOptions};
use splat4d::{Asset, Verify};

/// The asset the app plays, in its external files folder
/// (`/sdcard/Android/data/<package>/files/`, where `adb push` can put it).
const ASSET: &str = "scene.s4d";

#[no_mangle]
fn android_main(app: AndroidApp) {
    android_logger::init_once(
        android_logger::Config::default().with_tag("splat4d").with_max_level(log::LevelFilter::Info),
    );
    if let Err(e) = run(&app) {
        log::error!("{e}");
    }
}

fn run(app: &AndroidApp) -> Result<(), String> {
    let folder = app.external_data_path().ok_or("the app has no external files folder")?;
    let path = folder.join(ASSET);
    let asset = Asset::open(&path, Verify::Structure)
        .map_err(|e| format!("{e} (push an asset with: adb push scene.s4d {})", path.display()))?;
    // SAFETY: android-activity's VM and activity stay valid while android_main runs.
    let platform = unsafe { AndroidPlatformInfo::new(app.vm_as_ptr(), app.activity_as_ptr()) };
    let options = XrOptions { looping: true, ..Default::default() };
    let mut destroyed = false;
    let report = play_with(&asset, &options, &platform, &mut |_playback| {
        // The activity's events are pumped once per frame: Android expects its input queue
        // drained and its lifecycle followed even though the headset draws through OpenXR.
        app.poll_events(Some(Duration::ZERO), |event| match event {
            PollEvent::Main(MainEvent::Destroy) => destroyed = true,
            PollEvent::Main(MainEvent::InputAvailable) => {
                if let Ok(mut input) = app.input_events_iter() {
                    while input.next(|_| InputStatus::Unhandled) {}
                }
            }
            _ => {}
        });
        !destroyed
    })
    .map_err(|e| e.to_string())?;
    log::info!("{} frames on {}; session states {:?}", report.frames_submitted, report.system, report.states);
    Ok(())
}
