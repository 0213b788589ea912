//! Profiling on a real device: every frame's stats (GPU stage times, counts, CPU phases),
//! captures, and their Chrome trace checked against the trace-event format. Validation on.

mod common;

use std::collections::HashMap;

use serde_json::Value;
use splat4d::glam::Vec3;
use splat4d::gpu::{Context, ContextOptions};
use splat4d::profile::{Capture, FrameStats, TRACE_NAMES};
use splat4d::reference::{self, RenderSettings};
use splat4d::renderer::{Renderer, RendererOptions, SortOrder, TargetFormat};
use splat4d::{demo, Asset, Camera};

type Slice = (f64, f64, String);

const W: u32 = 96;
const H: u32 = 64;

fn context(disable_multiview: bool) -> Context {
    Context::new(&ContextOptions { validation: true, disable_multiview, ..Default::default() })
        .unwrap_or_else(|e| panic!("a Vulkan device with validation layers is required for this test: {e}"))
}

fn renderer(ctx: &Context, asset: &Asset, views: u32, stats: bool) -> Renderer {
    let options = RendererOptions {
        width: W,
        height: H,
        views,
        format: TargetFormat::Rgba8Unorm,
        background: Vec3::ZERO,
        sort: SortOrder::Shared,
        stats,
        frames_in_flight: splat4d::renderer::FRAMES_IN_FLIGHT,
    };
    Renderer::new(ctx, asset, &options).unwrap()
}

fn eyes(c: &Camera) -> [Camera; 2] {
    let right = c.rotation.col(0) * 0.2;
    [Camera { position: c.position - right, ..*c }, Camera { position: c.position + right, ..*c }]
}

/// Primitives of the runs of the segment covering `t`, as the renderer should count them.
fn active_at(asset: &Asset, t: f32) -> u32 {
    let s = asset.segment_at(t).expect("t inside the asset");
    asset.segment_runs(s).iter().map(|r| r.count).sum()
}

fn capture_frames(ctx: &Context, asset: &Asset, views: u32) -> (Capture, Vec<f32>) {
    let camera = asset.cameras()[0].resized(W, H);
    let mut r = renderer(ctx, asset, views, true);
    let times: Vec<f32> = (0..45).map(|i| 0.05 + 3.9 * i as f32 / 45.0).collect();
    for (i, &t) in times.iter().enumerate() {
        if i == 5 {
            r.start_capture(ctx, 64);
        }
        let e = eyes(&camera);
        r.render(ctx, t, &e[..views as usize]).unwrap();
    }
    let capture = r.stop_capture(ctx).unwrap().expect("a capture was started");
    assert!(r.stop_capture(ctx).unwrap().is_none(), "a capture is returned once");
    r.destroy(ctx);
    (capture, times[5..].to_vec())
}

fn check_frames(asset: &Asset, capture: &Capture, times: &[f32], views: u32) {
    assert_eq!(capture.len(), times.len());
    assert_eq!(capture.dropped(), 0);
    let mut last_start = 0;
    for (f, &t) in capture.frames().zip(times) {
        assert_eq!(f.time, t);
        assert_eq!(f.views, views);
        assert!(f.cpu.start_ns > last_start || last_start == 0, "CPU starts go forward: {f:?}");
        last_start = f.cpu.start_ns;
        let g = f.gpu.unwrap_or_else(|| panic!("lavapipe has timestamps: {f:?}"));
        assert_eq!(g.frame, f.frame);
        assert!(g.slice >= 0.0 && g.sort >= 0.0 && g.raster >= 0.0 && g.resolve >= 0.0 && g.total() > 0.0);
        let c = &f.counters;
        assert_eq!(c.active, active_at(asset, t), "active primitives at {t}");
        assert!(c.visible > 0 && c.visible <= c.active, "{c:?}");
        // One level: every visible splat is of it.
        assert_eq!(c.levels[0], c.visible, "{c:?}");
        assert_eq!((f.lod.finest, f.lod.coarsest, f.lod.gamma), (0, 0, 1.0));
        for e in 0..2 {
            assert!(c.drawn[e] <= c.visible, "{c:?}");
        }
        if views == 1 {
            assert_eq!((c.drawn[0], c.drawn[1]), (c.visible, 0));
        } else {
            // Every visible splat is in at least one eye.
            assert!(c.drawn[0] + c.drawn[1] >= c.visible, "{c:?}");
        }
        assert!(c.resident_bytes > 0 && c.gpu_memory_bytes > c.resident_bytes, "{c:?}");
        assert!(c.upload_bytes >= 288, "{c:?}");
    }
    let numbers: Vec<u64> = capture.frames().map(|f| f.frame).collect();
    assert_eq!(numbers, (6..6 + times.len() as u64).collect::<Vec<_>>(), "frames 6.. in order");
    // The stages are told apart: across the run, each took measurable time.
    for (name, stage) in [
        ("slice", (|f: &FrameStats| f.gpu.unwrap().slice) as fn(&FrameStats) -> f64),
        ("sort", |f| f.gpu.unwrap().sort),
        ("raster", |f| f.gpu.unwrap().raster),
        ("resolve", |f| f.gpu.unwrap().resolve),
    ] {
        assert!(capture.frames().map(stage).sum::<f64>() > 0.0, "{name} never took time");
    }
}

#[test]
fn every_frame_is_measured_and_captured() {
    for (disable_multiview, views) in [(false, 2), (true, 2), (false, 1)] {
        let ctx = context(disable_multiview);
        let asset = common::pack_open(&demo::scene(), false);
        let (capture, times) = capture_frames(&ctx, &asset, views);
        check_frames(&asset, &capture, &times, views);
        check_trace(&capture);
        assert_eq!(capture.csv().lines().count(), capture.len() + 1);
        assert!(ctx.validation_messages().is_empty(), "{:#?}", ctx.validation_messages());
        eprintln!("multiview off: {disable_multiview}, views {views}: ok");
    }
}

#[test]
fn counts_follow_what_the_eyes_see() {
    let ctx = context(false);
    let asset = common::pack_open(&demo::scene(), false);
    let mut r = renderer(&ctx, &asset, 2, true);
    let camera = asset.cameras()[0].resized(W, H);
    let focus = Vec3::from_slice(&asset.info().focus[..3]);
    // Looking away from the scene: primitives are active, none is visible.
    let away = Camera::look_at(camera.position, 2.0 * camera.position - focus, Vec3::Y, W, H, 1.0);
    let mut seen = Vec::new();
    for view in [camera, away] {
        r.render(&ctx, 1.0, &eyes(&view)).unwrap();
        r.read_back(&ctx).unwrap();
        seen.push(r.stats(&ctx).unwrap().counters);
    }
    assert!(seen[0].visible > 0 && seen[0].drawn[0] > 0 && seen[0].drawn[1] > 0, "{:?}", seen[0]);
    assert_eq!((seen[1].active, seen[1].visible, seen[1].drawn), (seen[0].active, 0, [0, 0]), "{:?}", seen[1]);
    r.destroy(&ctx);

    // One eye's count against the reference's: the splats it projects onto the image.
    let mut mono = renderer(&ctx, &asset, 1, true);
    for t in [0.3, 1.0, 2.9] {
        mono.render(&ctx, t, &[camera]).unwrap();
        mono.read_back(&ctx).unwrap();
        let gpu = mono.stats(&ctx).unwrap().counters.drawn[0];
        let cpu = reference::preprocess(&asset, t, &camera, &RenderSettings::default()).unwrap().len() as u32;
        eprintln!("t {t}: {gpu} splats drawn on the GPU, {cpu} projected by the reference");
        assert!(gpu.abs_diff(cpu) <= cpu / 100 + 2, "t {t}: {gpu} drawn on the GPU, {cpu} by the reference");
    }
    mono.destroy(&ctx);

    // Stats off: no timestamps or counts, the CPU's part only.
    let mut off = renderer(&ctx, &asset, 2, false);
    off.render(&ctx, 1.0, &eyes(&camera)).unwrap();
    off.read_back(&ctx).unwrap();
    let s = off.stats(&ctx).unwrap();
    assert!(s.gpu.is_none() && s.counters.visible == 0 && s.counters.active == seen[0].active, "{s:?}");
    off.destroy(&ctx);
    assert!(ctx.validation_messages().is_empty(), "{:#?}", ctx.validation_messages());
}

#[test]
fn a_capture_holds_its_newest_frames() {
    let ctx = context(false);
    let asset = common::pack_open(&demo::scene(), false);
    let mut r = renderer(&ctx, &asset, 1, true);
    let camera = asset.cameras()[0].resized(W, H);
    r.start_capture(&ctx, 8);
    for i in 0..20 {
        r.render(&ctx, 0.1 * i as f32, &[camera]).unwrap();
    }
    let capture = r.stop_capture(&ctx).unwrap().unwrap();
    assert_eq!(capture.frames().map(|f| f.frame).collect::<Vec<_>>(), (13..=20).collect::<Vec<_>>());
    assert_eq!(capture.dropped(), 12);
    r.destroy(&ctx);
}

/// The Chrome trace-event format (the JSON object form): every event has a name, a phase, a
/// process and a thread; complete events ("X") have a start and duration in microseconds;
/// counters ("C") numeric arguments; metadata ("M") the documented names. Per thread, slices
/// are in start order and nest (a slice that starts inside another ends inside it).
fn check_trace(capture: &Capture) {
    let trace: Value = serde_json::from_str(&capture.chrome_trace()).expect("the trace is JSON");
    assert_eq!(trace["displayTimeUnit"], "ms");
    assert_eq!(trace["metadata"]["frames"], capture.len());
    let events = trace["traceEvents"].as_array().expect("traceEvents is an array");
    // Per (process, thread): (start, end, name) of each slice.
    let mut tracks: HashMap<(u64, u64), Vec<Slice>> = HashMap::new();
    let mut thread_names = HashMap::new();
    let mut counters = 0;
    for e in events {
        let name = e["name"].as_str().unwrap_or_else(|| panic!("no name: {e}"));
        let (pid, tid) = (e["pid"].as_u64().expect("pid"), e["tid"].as_u64().expect("tid"));
        match e["ph"].as_str().expect("ph") {
            "X" => {
                let (ts, dur) = (e["ts"].as_f64().expect("ts"), e["dur"].as_f64().expect("dur"));
                assert!(ts >= 0.0 && dur >= 0.0, "{e}");
                tracks.entry((pid, tid)).or_default().push((ts, ts + dur, name.to_string()));
            }
            "C" => {
                assert!(e["ts"].as_f64().expect("ts") >= 0.0);
                let args = e["args"].as_object().expect("counter args");
                assert!(!args.is_empty() && args.values().all(Value::is_number), "{e}");
                assert!(TRACE_NAMES[2].contains(&name), "undocumented counter {name}");
                counters += 1;
            }
            "M" => {
                assert!(["process_name", "thread_name", "thread_sort_index"].contains(&name), "{e}");
                if name == "thread_name" {
                    thread_names.insert(tid, e["args"]["name"].as_str().unwrap().to_string());
                }
            }
            ph => panic!("unexpected phase {ph}"),
        }
    }
    assert!(counters >= 5 * capture.len(), "{counters} counter events");
    assert_eq!(tracks.len(), 2, "a CPU and a GPU track");
    for ((_, tid), slices) in &tracks {
        let track = thread_names.get(tid).expect("every track is named").as_str();
        let names = match track {
            "CPU" => TRACE_NAMES[0],
            "GPU" => TRACE_NAMES[1],
            t => panic!("unexpected track {t}"),
        };
        let eps = 1e-3;
        let mut open: Vec<&Slice> = Vec::new();
        let mut frames = 0;
        for (i, s) in slices.iter().enumerate() {
            assert!(names.contains(&s.2.as_str()), "undocumented slice {} on {track}", s.2);
            assert!(i == 0 || slices[i - 1].0 <= s.0 + eps, "{track} slices out of order at {i}");
            while open.last().is_some_and(|o| o.1 <= s.0 + eps) {
                open.pop();
            }
            if let Some(parent) = open.last() {
                assert!(s.1 <= parent.1 + eps, "{track}: {s:?} overlaps {parent:?} without nesting in it");
                assert_eq!(parent.2, "frame", "{track}: stages nest in frames");
            } else {
                assert_eq!(s.2, "frame", "{track}: {s:?} outside a frame");
                frames += 1;
            }
            open.push(s);
        }
        assert_eq!(frames, capture.len(), "one frame slice per captured frame on {track}");
        assert_eq!(slices.len(), 5 * capture.len(), "a frame and four parts per frame on {track}");
    }
}
