//! The `splat4d` binary end to end: every subcommand, on the shared assets, and its failures
//! (exit code and message).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod common;
use common::assets;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_splat4d")).args(args).output().expect("run splat4d")
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "splat4d {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail with `code` and say `message` on stderr.
fn fails(args: &[&str], code: i32, message: &str) {
    let out = run(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "splat4d {args:?}: {err}");
    assert!(err.contains(message), "splat4d {args:?}: expected '{message}' in: {err}");
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn info_json(path: &str) -> Value {
    serde_json::from_str(&ok(&["info", "--json", path])).unwrap()
}

#[test]
fn every_subcommand_has_help() {
    for sub in [
        &["--help"][..],
        &["pack", "--help"],
        &["info", "--help"],
        &["render", "--help"],
        &["demo", "--help"],
        &["profile", "--help"],
        &["xr", "--help"],
    ] {
        assert!(ok(sub).contains("Usage"), "{sub:?}");
    }
}

#[test]
fn pack_info_render_on_every_shared_asset() {
    let dir = tempfile::tempdir().unwrap();
    let a = assets();
    let cases = [
        ("4d/technicolor-sam.splatv", 29_304, 29_187),
        ("4d/coffee10-defective.splatv", 12_288, 11_428),
        ("4d/fireworks-timesliced.splatv", 24_000, 24_000),
        ("4d/fireworks-frames", 24_000, 24_000),
        ("3d/fruit-drops-sh3.ply", 4_721, 4_681),
        ("3d/lod-tile-unnormalized-quats.ply", 489, 489),
        ("3d/minimal.splat", 4, 4),
    ];
    for (rel, records, primitives) in cases {
        let out = dir.path().join(rel.replace('/', "_") + ".s4d");
        ok(&["pack", s(&a.join(rel)), "-o", s(&out)]);
        let info = info_json(s(&out));
        assert_eq!(info["source_records"], records, "{rel}");
        assert_eq!(info["primitives"], primitives, "{rel}");
        assert_eq!(
            info["primitives"].as_u64().unwrap() + info["dropped_records"].as_u64().unwrap(),
            records,
            "{rel}: every record is either kept or dropped"
        );
        assert!(info["segments"].as_array().unwrap().iter().all(|s| s["active"].as_u64().unwrap() > 0), "{rel}");
        assert_eq!(info["levels"][0]["primitives"], primitives);
        // Text info works too, and a render from the packed asset writes the reference image of
        // the asset's first camera (or the view that frames it), as the library renders it.
        assert!(ok(&["info", s(&out)]).contains("segments"));
        let png = dir.path().join("out.png");
        let t = info["time_range"][1].as_f64().unwrap() * 0.5;
        let time = t.to_string();
        let mut args = vec!["render", s(&out), "--time", &time, "--size", "64x36"];
        // fireworks-timesliced's own camera faces away from every splat (issue 14): look at them.
        let cams = dir.path().join("front.json");
        std::fs::write(&cams, FRONT_CAMERA).unwrap();
        if rel.contains("timesliced") {
            args.extend(["--cameras", s(&cams)]);
        }
        args.extend(["-o", s(&png), "--reference"]);
        ok(&args);
        let (w, h, rgb) = read_rgb(&png);
        assert_eq!((w, h), (64, 36), "{rel}");
        let asset = splat4d::Asset::open(&out, splat4d::Verify::Full).unwrap();
        let camera = if rel.contains("timesliced") {
            splat4d::camera::cameras_from_json(FRONT_CAMERA).unwrap()[0]
        } else {
            default_camera(&asset)
        };
        let want = reference_rgb(&asset, t as f32, &camera.resized(64, 36));
        assert_eq!(rgb, want, "{rel}: the CLI's render is not the library's");
        let lit = rgb.iter().filter(|&&c| c > 16).count();
        assert!(lit > rgb.len() / 100, "{rel}: {lit} of {} values lit: the image is nearly empty", rgb.len());
    }
    let sam = info_json(s(&a.join("4d/technicolor-sam.splatv")));
    assert_eq!(sam["cameras"].as_array().unwrap().len(), 800);
    assert_eq!(sam["time_range"], serde_json::json!([0.0, 1.0]));
}

/// fireworks-timesliced's own camera faces away from every splat. Without `--camera`, render
/// says so and frames the scene instead (the asset's focus, at that camera's size); asked for
/// explicitly, camera 0 is kept, with the same warning, and shows nothing.
#[test]
fn a_camera_that_sees_nothing_is_replaced_by_one_that_frames_the_scene_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let packed = dir.path().join("fw.s4d");
    ok(&["pack", s(&assets().join("4d/fireworks-timesliced.splatv")), "-o", s(&packed)]);
    let asset = splat4d::Asset::open(&packed, splat4d::Verify::Full).unwrap();
    let (framed, kept) = (dir.path().join("framed.png"), dir.path().join("kept.png"));
    let render = |extra: &[&str], out: &Path| {
        let mut args = vec!["render", s(&packed), "--time", "0.6", "--size", "96x54", "--reference", "-o", s(out)];
        args.extend(extra);
        let out = run(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let said = render(&[], &framed);
    assert!(said.contains("camera 0 sees 0 of 4000 sampled splats: showing a view that frames the scene"), "{said}");
    let own = asset.cameras()[0];
    let f = asset.info().focus;
    let view =
        splat4d::camera::orbit_cameras(splat4d::glam::Vec3::new(f[0], f[1], f[2]), f[3], 4, own.width, own.height)[0];
    let want = reference_rgb(&asset, 0.6, &view.resized(96, 54));
    let (_, _, got) = read_rgb(&framed);
    assert_eq!(got, want, "the framing view, as the library renders it");
    assert!(got.iter().filter(|&&c| c > 16).count() > got.len() / 100, "the framed image shows the scene");

    let said = render(&["--camera", "0"], &kept);
    assert!(said.contains("camera 0 sees 0 of 4000 sampled splats: the image will be (almost) empty"), "{said}");
    let (_, _, black) = read_rgb(&kept);
    assert_eq!(black, reference_rgb(&asset, 0.6, &own.resized(96, 54)), "camera 0, as asked");
    assert!(black.iter().all(|&c| c == 0), "camera 0 faces away from every splat");

    // A cameras file without a camera is an error, not a panic.
    let empty = dir.path().join("none.json");
    std::fs::write(&empty, "[]").unwrap();
    fails(&["render", s(&packed), "--time", "0.6", "--cameras", s(&empty), "-o", s(&kept)], 1, "camera");

    // A camera that sees the scene is used as it is, without a word.
    let sam = dir.path().join("sam.png");
    let out = run(&[
        "render",
        s(&assets().join("4d/technicolor-sam.splatv")),
        "--time",
        "0.5",
        "--size",
        "32x18",
        "--reference",
        "-o",
        s(&sam),
    ]);
    assert!(out.status.success() && !String::from_utf8_lossy(&out.stderr).contains("sampled splats"));
}

#[test]
fn render_from_a_source_equals_render_from_its_packed_asset() {
    let dir = tempfile::tempdir().unwrap();
    let src = assets().join("4d/fireworks-timesliced.splatv");
    let packed = dir.path().join("fw.s4d");
    ok(&["pack", s(&src), "-o", s(&packed)]);
    let cams = dir.path().join("cams.json");
    std::fs::write(
        &cams,
        r#"[{"width":80,"height":60,"fx":70,"fy":70,"position":[0,0,1.5],"rotation":[[-1,0,0],[0,1,0],[0,0,-1]]}]"#,
    )
    .unwrap();
    let (a, b) = (dir.path().join("a.png"), dir.path().join("b.png"));
    ok(&["render", s(&src), "--time", "0.4", "--cameras", s(&cams), "-o", s(&a), "--reference"]);
    ok(&["render", s(&packed), "--time", "0.4", "--cameras", s(&cams), "-o", s(&b), "--reference"]);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

/// A camera in front of fireworks-timesliced's splats (its own faces away from them).
const FRONT_CAMERA: &str =
    r#"[{"width":80,"height":60,"fx":70,"fy":70,"position":[0,0,1.5],"rotation":[[-1,0,0],[0,1,0],[0,0,-1]]}]"#;

/// The camera `render` uses without --cameras: the asset's first, else the first view that
/// frames its bulk.
fn default_camera(asset: &splat4d::Asset) -> splat4d::Camera {
    asset.cameras().first().copied().unwrap_or_else(|| {
        let f = asset.info().focus;
        splat4d::camera::orbit_cameras(splat4d::glam::Vec3::new(f[0], f[1], f[2]), f[3], 4, 960, 540)[0]
    })
}

/// The CPU reference render of `asset` at `t`, as 8-bit RGB.
fn reference_rgb(asset: &splat4d::Asset, t: f32, camera: &splat4d::Camera) -> Vec<u8> {
    let image = splat4d::reference::render(asset, t, camera, &Default::default()).unwrap();
    image.to_rgba8().unwrap().chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect()
}

fn read_rgb(path: &Path) -> (u32, u32, Vec<u8>) {
    let mut reader =
        png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap())).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// The GPU's PNG against the reference's: within the floor both test crates hold GPU images
/// to, covering what the reference covers (black background).
fn assert_matches(gpu: &[u8], cpu: &[u8], what: &str) {
    let checked = common::image::check_image(gpu, cpu, 3, [0; 3], common::image::REFERENCE_DB);
    checked.unwrap_or_else(|e| panic!("{what}: {e}"));
}

#[test]
fn gpu_render_matches_the_reference_mono_and_stereo() {
    let dir = tempfile::tempdir().unwrap();
    let src = assets().join("4d/technicolor-sam.splatv");
    let path = |n: &str| dir.path().join(n);
    let common = ["--time", "0.5", "--size", "128x68", "--camera", "3"];
    let run_with = |out: &Path, extra: &[&str]| {
        let mut args = vec!["render", s(&src)];
        args.extend(common);
        args.extend(["-o", s(out)]);
        args.extend(extra);
        ok(&args);
    };
    run_with(&path("gpu.png"), &["--validation"]);
    run_with(&path("cpu.png"), &["--reference"]);
    run_with(&path("gpu_stereo.png"), &["--stereo", "--ipd", "0.1", "--validation"]);
    run_with(&path("cpu_stereo.png"), &["--stereo", "--ipd", "0.1", "--reference"]);
    run_with(&path("gpu_stereo_per_eye.png"), &["--stereo", "--ipd", "0.1", "--per-eye-sort", "--validation"]);
    let (w, h, gpu) = read_rgb(&path("gpu.png"));
    let (_, _, cpu) = read_rgb(&path("cpu.png"));
    assert_eq!((w, h), (128, 68));
    assert_matches(&gpu, &cpu, "mono");
    let (w, h, gpu) = read_rgb(&path("gpu_stereo.png"));
    let (_, _, cpu) = read_rgb(&path("cpu_stereo.png"));
    assert_eq!((w, h), (256, 68), "left | right");
    assert_matches(&gpu, &cpu, "stereo");
    let (_, _, per_eye) = read_rgb(&path("gpu_stereo_per_eye.png"));
    assert_matches(&per_eye, &cpu, "stereo, per-eye sort");
    // The eyes differ: the right half is not the left half.
    let half = |img: &[u8], right: bool| -> Vec<u8> {
        img.chunks(256 * 3)
            .flat_map(|row| if right { row[128 * 3..].to_vec() } else { row[..128 * 3].to_vec() })
            .collect()
    };
    assert_ne!(half(&gpu, false), half(&gpu, true));
    fails(&["render", s(&src), "--time", "0.5", "--device", "no-such-gpu", "-o", s(&path("x.png"))], 1, "no-such-gpu");
    fails(&["render", s(&src), "--time", "0.5", "--cuda-tiles", "-o", s(&path("x.png"))], 1, "--reference");
    fails(&["render", s(&src), "--time", "0.5", "--per-eye-sort", "-o", s(&path("x.png"))], 1, "--stereo");
}

#[test]
fn profile_writes_a_trace_a_csv_and_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let src = assets().join("4d/technicolor-sam.splatv");
    let out = dir.path().join("profile");
    let args = ["profile", s(&src), "--frames", "24", "--size", "96x54", "--stereo", "--time-range", "0.2,0.8"];
    let printed = ok(&[&args[..], &["--budget-ms", "20", "--validation", "-o", s(&out)]].concat());
    // The percentile table, every row with numbers.
    for row in ["GPU frame ms", "slice+cull", "sort", "raster", "resolve", "CPU frame ms", "splats visible"] {
        let line =
            printed.lines().find(|l| l.trim_start().starts_with(row)).unwrap_or_else(|| panic!("{row}: {printed}"));
        let numbers = line[row.len() + 2..].split_whitespace().filter(|w| w.parse::<f64>().is_ok()).count();
        assert_eq!(numbers, 5, "{line}");
    }
    let trace: Value = serde_json::from_str(&std::fs::read_to_string(out.join("trace.json")).unwrap()).unwrap();
    assert_eq!(trace["metadata"]["frames"], 24);
    assert_eq!(trace["metadata"]["views"], 2);
    let csv = std::fs::read_to_string(out.join("frames.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 24);
    // Times sweep the range asked for.
    let time = |row: &str| row.split(',').nth(1).unwrap().parse::<f32>().unwrap();
    assert_eq!((time(rows[0]), time(rows[23])), (0.2, 0.8));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for section in ["summary", "frame-time", "stages", "splats", "percentiles", "device"] {
        assert!(html.contains(&format!(r#"<section id="{section}">"#)), "report section {section}");
    }
    assert_eq!(html.matches("<svg").count(), 3, "three plots");
    assert!(html.contains("budget 20.00 ms") && html.contains("technicolor-sam.splatv"));
    assert!(!html.contains("http://") && !html.contains("https://"), "the report is self-contained");
    fails(&["profile", s(&src), "--frames", "0", "-o", s(&out)], 1, "--frames");
    // No OpenXR runtime is running here (the XR tests start their own): `xr` says so.
    fails(&["xr", s(&src), "--frames", "3"], 1, "openxr");
    fails(&["xr", s(&src), "--scale", "0"], 1, "--scale");
    fails(&["profile", s(&src), "--per-eye-sort", "-o", s(&out)], 1, "--stereo");
    fails(&["profile", s(&src), "--budget-ms", "0", "-o", s(&out)], 1, "--budget-ms");
}

#[test]
fn levels_selection_governor_and_streaming_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let src = assets().join("4d/technicolor-sam.splatv");
    let asset = dir.path().join("sam.s4d");
    ok(&["pack", s(&src), "-o", s(&asset), "--levels", "4", "--lod-rho", "3"]);
    let info = info_json(s(&asset));
    let levels = info["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 4);
    let counts: Vec<u64> = levels.iter().map(|l| l["primitives"].as_u64().unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[1] < w[0]), "coarser levels hold fewer: {counts:?}");
    assert!(levels.iter().all(|l| l["bytes"].as_u64().unwrap() > 0));
    let floors: Vec<f64> = levels.iter().map(|l| l["scale_floor"].as_f64().unwrap()).collect();
    assert!(floors[0] == 0.0 && (floors[3] / floors[2] - 3.0).abs() < 1e-4, "{floors:?}");

    // One level alone, on the GPU and on the CPU reference.
    let (gpu, cpu) = (dir.path().join("gpu.png"), dir.path().join("cpu.png"));
    let render = ["render", s(&asset), "--time", "0.5", "--size", "96x54", "--lod-level", "2"];
    ok(&[&render[..], &["-o", s(&gpu)]].concat());
    ok(&[&render[..], &["--reference", "-o", s(&cpu)]].concat());
    assert_matches(&read_rgb(&gpu).2, &read_rgb(&cpu).2, "level 2");

    // Streamed within 2 MB, one level: resident bytes stay under it in every frame.
    let out = dir.path().join("streamed");
    let args = ["profile", s(&asset), "--frames", "12", "--size", "64x36", "--lod-level", "3"];
    ok(&[&args[..], &["--gpu-memory-budget", "2", "-o", s(&out)]].concat());
    let csv = std::fs::read_to_string(out.join("frames.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("{name}: {header:?}"));
    let (resident, finest, gamma) = (column("resident_bytes"), column("lod_finest"), column("lod_gamma"));
    for row in csv.lines().skip(1) {
        let cells: Vec<&str> = row.split(',').collect();
        assert!(cells[resident].parse::<u64>().unwrap() <= 2_000_000, "{row}");
        assert_eq!(cells[finest], "3", "{row}");
    }

    // Governed: γ starts at the floor given and moves only upwards from it.
    let out = dir.path().join("governed");
    let args = ["profile", s(&asset), "--frames", "12", "--size", "64x36", "--lod-gamma", "2"];
    ok(&[&args[..], &["--frame-budget-ms", "0.01", "-o", s(&out)]].concat());
    let csv = std::fs::read_to_string(out.join("frames.csv")).unwrap();
    let gammas: Vec<f32> = csv.lines().skip(1).map(|r| r.split(',').nth(gamma).unwrap().parse().unwrap()).collect();
    assert!(gammas.iter().all(|&g| g >= 2.0) && gammas.iter().any(|&g| g > 2.0), "{gammas:?}");

    fails(&["render", s(&asset), "--time", "0.5", "--lod-level", "4", "-o", s(&gpu)], 1, "levels 4");
    fails(&["render", s(&asset), "--time", "0.5", "--lod-gamma", "0", "-o", s(&gpu)], 1, "γ");
    fails(&["profile", s(&asset), "--gpu-memory-budget", "0", "-o", s(&out)], 1, "--gpu-memory-budget");
    fails(&["profile", s(&asset), "--gpu-memory-budget", "0.01", "-o", s(&out)], 1, "budget");
    fails(&["profile", s(&asset), "--lod-level", "1", "--frame-budget-ms", "5", "-o", s(&out)], 2, "--lod-level");
    fails(&["pack", s(&src), "-o", s(&asset), "--levels", "9"], 1, "levels");
    fails(&["pack", s(&src), "-o", s(&asset), "--level-ply", "0=x.ply"], 2, "level 0");
    fails(&["pack", s(&src), "-o", s(&asset), "--level-ply", "2=x.ply"], 1, "1..=1");
}

#[test]
fn demo_writes_an_asset_frames_and_an_animation() {
    let dir = tempfile::tempdir().unwrap();
    ok(&["demo", "-o", s(dir.path()), "--frames", "3", "--size", "64x36"]);
    for f in ["demo.s4d", "frame_000.png", "frame_002.png", "demo.apng"] {
        assert!(dir.path().join(f).is_file(), "{f}");
    }
    // The animation, written a frame at a time, holds every frame, each the size asked for
    // and equal to its PNG.
    let file = std::fs::File::open(dir.path().join("demo.apng")).unwrap();
    let mut apng = png::Decoder::new(std::io::BufReader::new(file)).read_info().unwrap();
    let control = apng.info().animation_control().expect("an animated PNG");
    assert_eq!((control.num_frames, apng.info().width, apng.info().height), (3, 64, 36));
    let mut buf = vec![0; apng.output_buffer_size().unwrap()];
    for i in 0..3 {
        let frame = apng.next_frame(&mut buf).unwrap();
        let (_, _, png) = read_rgb(&dir.path().join(format!("frame_{i:03}.png")));
        assert_eq!(&buf[..frame.buffer_size()], &png[..], "frame {i}");
    }
    let info = info_json(s(&dir.path().join("demo.s4d")));
    assert_eq!(info["source"], "procedural");
    assert!(info["segments"].as_array().unwrap().len() >= 6);
}

#[test]
fn failures_exit_nonzero_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let a = assets();
    let out = dir.path().join("x.s4d");
    fails(&["pack", "/no/such/file.ply", "-o", s(&out)], 1, "/no/such/file.ply");
    fails(&["pack", s(&a.join("3d/minimal.splat")), "-o", "/no/such/dir/x.s4d"], 1, "/no/such/dir/x.s4d");
    ok(&["pack", s(&a.join("3d/minimal.splat")), "-o", s(&out)]);
    fails(&["pack", s(&out), "-o", s(&dir.path().join("y.s4d"))], 1, "already a packed .s4d");
    fails(&["render", s(&out), "--time", "0", "--camera", "99", "-o", "x.png"], 1, "out of range");
    fails(&["render", s(&out), "--time", "0", "--size", "0x10", "-o", "x.png"], 2, "width and height");
    fails(&["render", s(&out), "--time", "nan", "-o", "x.png"], 1, "finite");
    fails(&["pack", s(&a.join("3d/minimal.splat")), "-o", s(&out), "--time-range", "5,1"], 2, "T0 < T1");
    fails(&["pack", s(&a.join("3d/minimal.splat")), "-o", s(&out), "--segment-frames", "0"], 1, "at least 1");
    fails(&["info", s(&a.join("README.md"))], 1, "unrecognised format");
    // A truncated asset is refused with what is wrong.
    let bytes = std::fs::read(&out).unwrap();
    let cut = dir.path().join("cut.s4d");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).unwrap();
    fails(&["info", s(&cut)], 1, "truncated");
    let mut flipped = bytes.clone();
    let at = flipped.len() - 20;
    flipped[at] ^= 0xff;
    let bad = dir.path().join("bad.s4d");
    std::fs::write(&bad, &flipped).unwrap();
    fails(&["info", s(&bad)], 1, "checksum");
    fails(&["demo", "--frames", "0", "-o", s(dir.path())], 1, "within 1..=10000");
    fails(&["frobnicate"], 2, "unrecognized subcommand");
}

#[test]
fn fourdgs_checkpoint_export_pack_and_render() {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().unwrap();
    let (ck, ply, asset) = (dir.path().join("chkpnt.pth"), dir.path().join("s.ply"), dir.path().join("s.s4d"));
    let py = |args: &[&str]| {
        let out = Command::new(&python).args(args).output().expect("python3 (with numpy) is needed for this test");
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    py(&[s(&root.join("tests/export/make_checkpoint.py")), s(&ck)]);
    py(&[s(&root.join("scripts/export_4dgs_ply.py")), s(&ck), "-o", s(&ply), "--time-range", "0", "10"]);
    ok(&["pack", s(&ply), "-o", s(&asset)]);
    let info = info_json(s(&asset));
    assert_eq!(info["primitives"], 5);
    assert_eq!((info["sh_degree"].as_u64(), info["sh_degree_t"].as_u64()), (Some(3), Some(1)));
    assert_eq!(info["time_range"], serde_json::json!([0.0, 10.0]));
    // make_checkpoint's xyz[i] = (10 + i, 10.01 + i, 10.02 + i): the bounds say the fields
    // landed where they belong.
    let b = &info["bounds"];
    for (axis, lo) in [10.0, 10.01, 10.02].iter().enumerate() {
        assert!(
            (b[0][axis].as_f64().unwrap() - lo).abs() < 1e-5 && (b[1][axis].as_f64().unwrap() - lo - 4.0).abs() < 1e-5
        );
    }
    let png = dir.path().join("s.png");
    ok(&["render", s(&asset), "--time", "1.0", "--size", "32x32", "-o", s(&png)]);
    let (w, h, rgb) = read_rgb(&png);
    assert_eq!((w, h), (32, 32));
    assert!(rgb.iter().any(|&c| c > 16), "the exported checkpoint renders black");
    // The exporter refuses what is not a checkpoint, with a message.
    let out = Command::new(&python)
        .args([s(&root.join("scripts/export_4dgs_ply.py")), s(&ply), "-o", s(&png), "--time-range", "0", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error:"));
}

/// `info` on each compressed format names it and how it quantises, packed or not.
#[test]
fn info_names_each_format_and_its_quantisation() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/tests/data/splat-transform");
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("crop.v3.spz", "spz", "SPZ v3 (gzip): 24-bit fixed-point positions (steps of 1/4096)"),
        ("crop.v4.spz", "spz", "SPZ v4 (zstd)"),
        ("crop.compressed.ply", "compressed-ply", "11-10-11 bits within 256-splat chunks"),
        ("crop.sog", "sog", "SOG v2 (bundle): 16-bit positions"),
        ("sog-folder", "sog", "SOG v2 (folder)"),
        ("crop.glb", "gltf", "glTF KHR_gaussian_splatting: f32 positions"),
        ("crop.l2.ksplat", "ksplat", "KSPLAT mode 2"),
    ];
    for (file, kind, says) in cases {
        let source = data.join(file);
        let text = ok(&["info", s(&source)]);
        assert!(text.contains(&format!("source {kind}")) && text.contains(says), "{file}: {text}");
        let packed = dir.path().join("a.s4d");
        ok(&["pack", s(&source), "-o", s(&packed)]);
        let info = info_json(s(&packed));
        assert_eq!(info["source"], kind, "{file}");
        assert!(info["provenance"].as_str().unwrap().contains(says), "{file}: {}", info["provenance"]);
    }
}

/// `--antialiased` is stored in the asset and shown by `info`; without it a PLY is plain.
#[test]
fn pack_antialiased_marks_the_asset() {
    let dir = tempfile::tempdir().unwrap();
    let source = common::assets().join("3d/fruit-drops-sh3.ply");
    let (plain, aa) = (dir.path().join("plain.s4d"), dir.path().join("aa.s4d"));
    ok(&["pack", s(&source), "-o", s(&plain)]);
    ok(&["pack", s(&source), "--antialiased", "-o", s(&aa)]);
    assert_eq!(info_json(s(&plain))["antialiased"], false);
    assert_eq!(info_json(s(&aa))["antialiased"], true);
    assert!(ok(&["info", s(&aa)]).contains("anti-aliased"));
}

/// `info` and `render` of an asset on an HTTP server (range requests, on 127.0.0.1) say and draw
/// what they do for the same file on disk; a server that ignores ranges is refused by name.
#[test]
fn info_and_render_read_an_asset_from_a_url() {
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("sam.s4d");
    ok(&["pack", s(&assets().join("4d/technicolor-sam.splatv")), "-o", s(&local)]);
    let server = common::http_server::Server::start(std::fs::read(&local).unwrap());
    let (remote_info, local_info) = (info_json(&server.url), info_json(s(&local)));
    assert_eq!(remote_info["primitives"], local_info["primitives"]);
    assert_eq!(remote_info["segments"], local_info["segments"]);
    // What playing it streams: the first segment's pages and the tables to start, then the pages
    // each later segment adds; the whole file over the clip's second.
    let b = &remote_info["bandwidth"];
    assert_eq!(b, &local_info["bandwidth"]);
    let file = remote_info["file_bytes"].as_u64().unwrap();
    let startup = b["startup_bytes"].as_u64().unwrap();
    let (mean, peak) = (b["mean_bytes_per_second"].as_f64().unwrap(), b["peak_bytes_per_second"].as_f64().unwrap());
    assert!(startup > 0 && startup <= file, "{b}");
    assert!(mean > 0.0 && mean <= peak && startup as f64 + mean * 0.34 <= file as f64 * 1.01, "{b}");
    assert!((b["file_bytes_per_second"].as_f64().unwrap() - file as f64).abs() < 1.0, "a 1 s clip: {b}");
    let (a, b) = (dir.path().join("remote.png"), dir.path().join("local.png"));
    ok(&["render", &server.url, "--time", "0.5", "--size", "96x54", "--reference", "-o", s(&a)]);
    ok(&["render", s(&local), "--time", "0.5", "--size", "96x54", "--reference", "-o", s(&b)]);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "the URL renders otherwise");
    server.with(|s| s.faults.no_ranges = true);
    fails(&["info", &server.url], 1, "does not answer range requests");
}
