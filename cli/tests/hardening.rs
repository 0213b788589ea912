//! The `splat4d` binary against what a careless user or an attacker hands it: special files,
//! symlink cycles, headers written by other tools, outputs that cannot be written whole, time
//! ranges f32 cannot hold, arguments at their bounds. Each case is a defect found by attacking
//! the tool; each must end promptly with the exit code and message it names, and leave every
//! output either whole or as it was.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::assets;

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_splat4d")
}

/// Runs `cmd`, failing the test if it runs longer than a minute (a hang is the defect).
fn run_cmd(mut cmd: Command) -> Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("{cmd:?} ran for a minute: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn run(args: &[&str]) -> Output {
    let mut cmd = Command::new(exe());
    cmd.args(args);
    run_cmd(cmd)
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "splat4d {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail with `code` and say `message` on stderr; returns stderr.
fn fails(args: &[&str], code: i32, message: &str) -> String {
    check_failure(run(args), &format!("{args:?}"), code, message)
}

fn check_failure(out: Output, what: &str, code: i32, message: &str) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "splat4d {what}: {err}");
    assert!(err.contains(message), "splat4d {what}: expected '{message}' in: {err}");
    err
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn info_json(path: &Path) -> Value {
    serde_json::from_str(&ok(&["info", "--json", s(path)])).unwrap()
}

/// The names in a folder, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

fn mkfifo(path: &Path) {
    let st = Command::new("mkfifo").arg(path).status().expect("mkfifo (coreutils)");
    assert!(st.success());
}

/// A canonical 4DGS PLY of `n` rows written with `eol` line ends and `pad` after each word of
/// the property lines (tabs, spaces): what other tools' writers produce.
fn fourdgs_ply(n: usize, eol: &str, pad: &str, omit: &[&str]) -> Vec<u8> {
    let names: Vec<&str> = [
        "x", "y", "z", "t", "f_dc_0", "f_dc_1", "f_dc_2", "opacity", "scale_0", "scale_1", "scale_2", "scale_t",
        "rot_0", "rot_1", "rot_2", "rot_3", "rot_r_0", "rot_r_1", "rot_r_2", "rot_r_3",
    ]
    .into_iter()
    .filter(|p| !omit.contains(p))
    .collect();
    let mut header = format!("ply{eol}format binary_little_endian 1.0{eol}comment splat4d time_range 0 10{eol}");
    header += &format!("element vertex {n}{eol}");
    for p in &names {
        header += &format!("property{pad}float{pad}{p}{pad}{eol}");
    }
    header += &format!("end_header{eol}");
    let mut bytes = header.into_bytes();
    for row in 0..n {
        for p in &names {
            let v: f32 = match *p {
                "t" => 2.0 + row as f32,
                "x" | "y" | "z" => row as f32 * 0.1,
                "opacity" => 2.0,
                "rot_0" | "rot_r_0" => 1.0,
                "rot_r_1" => 0.1,
                p if p.starts_with("scale") => -2.0,
                p if p.starts_with("f_dc") => 0.3,
                _ => 0.0,
            };
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    bytes
}

#[test]
fn a_4dgs_ply_written_by_other_tools_keeps_its_time() {
    let dir = tempfile::tempdir().unwrap();
    for (name, eol, pad) in [("lf", "\n", " "), ("crlf", "\r\n", " "), ("tabs", "\n", "\t"), ("trailing", "\n", "  ")] {
        let ply = dir.path().join(format!("{name}.ply"));
        std::fs::write(&ply, fourdgs_ply(5, eol, pad, &[])).unwrap();
        let out = dir.path().join(format!("{name}.s4d"));
        ok(&["pack", s(&ply), "-o", s(&out)]);
        let info = info_json(&out);
        assert_eq!(info["source"], "4dgs-ply", "{name}");
        assert_eq!(info["time_range"], serde_json::json!([0.0, 10.0]), "{name}");
        assert_eq!(info["primitives"], 5, "{name}");
        assert!(info["segments"].as_array().unwrap().len() > 1, "{name}: a clip, not a still");
    }
    // Some 4DGS properties but not all: an error naming what is missing, not a still image.
    let partial = dir.path().join("partial.ply");
    std::fs::write(&partial, fourdgs_ply(3, "\r\n", " ", &["scale_t", "rot_r_3"])).unwrap();
    let err = fails(&["pack", s(&partial), "-o", s(&dir.path().join("p.s4d"))], 1, "scale_t, rot_r_3");
    assert!(err.contains("4DGS"), "{err}");
}

#[test]
fn a_failed_pack_leaves_no_file_and_the_old_one_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scene.s4d");
    std::fs::write(&out, b"an older asset").unwrap();
    // Segments of 20 frames at 30 fps cannot be told apart in f32 at 2^24 s: refused before
    // anything is written, with the reason (it used to write an asset its reader refused).
    let src = assets().join("3d/minimal.splat");
    fails(&["pack", s(&src), "-o", s(&out), "--time-range", "16777216,16777300"], 1, "cannot be cut into segments");
    assert_eq!(std::fs::read(&out).unwrap(), b"an older asset");
    // Longer segments can be held there, and pack.
    ok(&["pack", s(&src), "-o", s(&out), "--time-range", "16777216,16777300", "--segment-frames", "120"]);
    assert_eq!(info_json(&out)["time_range"], serde_json::json!([16777216.0, 16777300.0]));

    // A write that fails half way (a full disk; here a file-size limit): an error, and the
    // asset of that name is the one before.
    let before = std::fs::read(&out).unwrap();
    let fruit = assets().join("3d/fruit-drops-sh3.ply");
    let limited = |blocks: u32, args: &str| {
        // SIGXFSZ ignored, so a write past the limit fails with EFBIG, as one on a full disk
        // fails with ENOSPC. The limit is in blocks of 512 bytes or more.
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(format!("trap '' XFSZ; ulimit -f {blocks}; exec \"$0\" {args}")).arg(exe());
        run_cmd(cmd)
    };
    let pack = format!("pack {} -o {}", s(&fruit), s(&out));
    let err = check_failure(limited(200, &pack), "pack, limited", 1, "File too large");
    assert!(err.contains(s(&out)), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), before);
    // The same for a PNG.
    let png = dir.path().join("frame.png");
    std::fs::write(&png, b"an older frame").unwrap();
    let render = format!("render {} --time 0 --size 256x256 --reference -o {}", s(&fruit), s(&png));
    check_failure(limited(1, &render), "render, limited", 1, "File too large");
    assert_eq!(std::fs::read(&png).unwrap(), b"an older frame");
    assert_eq!(listing(dir.path()), ["frame.png", "scene.s4d"], "no partial files are left behind");
}

#[test]
fn special_files_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("scene.ply");
    mkfifo(&fifo);
    let out = dir.path().join("x.s4d");
    fails(&["pack", s(&fifo), "-o", s(&out)], 1, "not a regular file (a FIFO)");
    fails(&["info", s(&fifo)], 1, "not a regular file (a FIFO)");
    fails(&["render", s(&fifo), "--time", "0", "-o", s(&dir.path().join("x.png"))], 1, "not a regular file (a FIFO)");
    let named_s4d = dir.path().join("scene.s4d");
    mkfifo(&named_s4d);
    fails(&["info", s(&named_s4d)], 1, "not a regular file (a FIFO)");
    fails(&["info", "/dev/zero"], 1, "not a regular file (a device)");
    // A FIFO among a folder's frames.
    let frames = dir.path().join("frames");
    std::fs::create_dir(&frames).unwrap();
    std::fs::copy(assets().join("4d/fireworks-frames/frame_000.ply"), frames.join("frame_000.ply")).unwrap();
    mkfifo(&frames.join("frame_001.ply"));
    fails(&["pack", s(&frames), "-o", s(&out)], 1, "frame_001.ply: not a regular file (a FIFO)");
    // A folder where a file is expected.
    let cams = dir.path().join("cams.json");
    std::fs::create_dir(&cams).unwrap();
    let minimal = assets().join("3d/minimal.splat");
    let err = fails(
        &["render", s(&minimal), "--time", "0", "--cameras", s(&cams), "-o", s(&dir.path().join("x.png"))],
        1,
        "cams.json",
    );
    assert!(!err.contains("No such device"), "{err}");
    assert!(!out.exists());
}

#[test]
fn a_glob_over_a_symlink_cycle_ends_with_the_frames_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("shot");
    std::fs::create_dir_all(shot.join("take")).unwrap();
    let frames = assets().join("4d/fireworks-frames");
    for i in 0..2 {
        let name = format!("frame_00{i}.ply");
        std::fs::copy(frames.join(&name), shot.join("take").join(&name)).unwrap();
    }
    std::os::unix::fs::symlink(&shot, shot.join("take/back")).unwrap();
    std::os::unix::fs::symlink(shot.join("take"), shot.join("take/again")).unwrap();
    let out = dir.path().join("x.s4d");
    ok(&["pack", s(&shot.join("**/frame_*.ply")), "-o", s(&out)]);
    let info = info_json(&out);
    assert_eq!((info["source"].as_str(), info["primitives"].as_u64()), (Some("frame-sequence"), Some(8000)));
}

/// A 3DGS PLY of `n` splats too faint to see: every record is dropped on import.
fn faint_ply(n: usize) -> Vec<u8> {
    let names = [
        "x", "y", "z", "f_dc_0", "f_dc_1", "f_dc_2", "opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1",
        "rot_2", "rot_3",
    ];
    let mut text = format!("ply\nformat binary_little_endian 1.0\nelement vertex {n}\n");
    for p in names {
        text += &format!("property float {p}\n");
    }
    text += "end_header\n";
    let mut bytes = text.into_bytes();
    for _ in 0..n {
        for p in names {
            let v: f32 = if p == "opacity" {
                -100.0
            } else if p == "rot_0" {
                1.0
            } else {
                0.0
            };
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    bytes
}

#[test]
fn no_usable_splat_is_an_error_for_a_folder_as_for_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let frames = dir.path().join("frames");
    std::fs::create_dir(&frames).unwrap();
    for i in 0..3 {
        std::fs::write(frames.join(format!("f_{i}.ply")), faint_ply(10)).unwrap();
    }
    let out = dir.path().join("x.s4d");
    let err = fails(&["pack", s(&frames), "-o", s(&out)], 1, "no usable primitives");
    assert!(err.contains("opacity below 1/255"), "{err}");
    fails(&["pack", s(&frames.join("f_0.ply")), "-o", s(&out)], 1, "no usable primitives");
    assert!(!out.exists());
    // One usable frame among faint ones packs: frames may be empty, the clip may not.
    std::fs::copy(assets().join("4d/fireworks-frames/frame_000.ply"), frames.join("f_3.ply")).unwrap();
    ok(&["pack", s(&frames), "-o", s(&out)]);
    assert_eq!(info_json(&out)["primitives"], 4000);
}

#[test]
fn arguments_at_their_bounds_are_refused_with_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let d = s(dir.path());
    // These used to try to allocate for every frame, or run for days.
    fails(&["demo", "--frames", "4000000000", "-o", d], 1, "--frames must be within 1..=10000");
    let minimal = assets().join("3d/minimal.splat");
    let m = s(&minimal);
    fails(&["profile", m, "--warmup", "4000000000", "-o", d], 1, "--warmup must be within 0..=10000");
    // Negative numbers need no '='.
    let png = dir.path().join("x.png");
    ok(&["render", m, "--time", "-0.5", "--size", "16x16", "--reference", "-o", s(&png)]);
    let frames = assets().join("4d/fireworks-frames");
    let out = dir.path().join("f.s4d");
    ok(&["pack", s(&frames), "--time-range", "-5,5", "-o", s(&out)]);
    assert_eq!(info_json(&out)["time_range"], serde_json::json!([-5.0, 5.0]));
    // f32 rounding is named as such, not as a reversed range.
    fails(&["pack", m, "-o", s(&out), "--time-range", "16777216,16777217"], 2, "same time in single precision (f32)");
    fails(&["pack", m, "-o", s(&out), "--time-range", "5,1"], 2, "T0 < T1");
    // Frames f32 cannot tell apart at 2^24 s: the reason, not "invalid temporal envelope".
    fails(&["pack", s(&frames), "-o", s(&out), "--time-range", "16777216,16777220"], 1, "cannot be told apart");
}

#[test]
fn memory_that_cannot_be_had_is_an_error_not_an_abort() {
    // A 16384² frame on the CPU needs 4.3 GB of float pixels; under a 2 GB address-space limit
    // that allocation fails, and the demo says so instead of aborting.
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -v 2000000; exec \"$0\" demo --reference --frames 1 --size 16384x16384 -o \"$1\"")
        .arg(exe())
        .arg(dir.path());
    check_failure(run_cmd(cmd), "demo at 16384², limited", 1, "out of memory: the reference image");
    assert!(!dir.path().join("demo.apng").exists() && !dir.path().join("frame_000.png").exists());
}

#[test]
fn control_characters_from_files_are_escaped_in_messages() {
    let dir = tempfile::tempdir().unwrap();
    let ply = dir.path().join("evil.ply");
    let mut f = std::fs::File::create(&ply).unwrap();
    f.write_all(b"ply\nformat binary_little_endian 1.0\n\x1b]0;owned\x07\x1b[2J\nend_header\n").unwrap();
    drop(f);
    let err = fails(&["info", s(&ply)], 1, "unexpected header line");
    assert!(err.contains("\\u{1b}]0;owned\\u{7}"), "{err}");
    assert!(!err.contains('\x1b') && !err.contains('\x07'), "raw control characters reach the terminal: {err:?}");
}
