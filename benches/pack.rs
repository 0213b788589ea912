//! What packing costs: peak memory against the asset written, and time against primitives and
//! segments. Runs the real `splat4d pack` on generated inputs, one process per pack, and reads
//! each one's peak RSS from the kernel (`wait4`).
//!
//!     cargo bench -p splat4d-cli --bench pack -- [--splats N] [--scale K] [--dir DIR] [--json PATH]
//!                                                  [--exe PATH]
//!
//! `--exe` measures another `splat4d` (an older build, for a before-and-after on one machine).
//! - memory: an INRIA SH 3 PLY of N splats (default 3 M, 708 MB), packed as it is and with
//!   `--levels 4`; an ASCII PLY of N/10 splats; with `--scale K`, a binary PLY of K·N splats
//!   too (the disk must hold it and its asset).
//! - segments: 4DGS clips of 1 M and 2 M splats, each alive about one of the clip's 10,000 or
//!   100,000 segments (2 h to 18.5 h at 30 fps): the time per million primitives and per
//!   thousand segments, from a least-squares fit over the four packs.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
}

const PLY_PROPERTIES: usize = 59;

fn ply_header(n: u64, format: &str) -> String {
    let mut h = format!("ply\nformat {format} 1.0\nelement vertex {n}\n");
    let mut names: Vec<String> = ["x", "y", "z", "f_dc_0", "f_dc_1", "f_dc_2"].map(String::from).to_vec();
    names.extend((0..45).map(|i| format!("f_rest_{i}")));
    names.extend(["opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"].map(String::from));
    assert_eq!(names.len(), PLY_PROPERTIES);
    for name in names {
        h += &format!("property float {name}\n");
    }
    h + "end_header\n"
}

/// One splat of a trained-looking scene: a 20 m cloud, small log-scales, SH 3.
fn ply_row(rng: &mut Rng) -> [f32; PLY_PROPERTIES] {
    let mut row = [0.0f32; PLY_PROPERTIES];
    for (i, v) in row.iter_mut().enumerate() {
        *v = match i {
            0..=2 => 20.0 * rng.next() - 10.0,
            3..=5 => 3.0 * rng.next() - 1.5,
            6..=50 => 0.2 * rng.next() - 0.1,
            51 => 8.0 * rng.next() - 2.0,
            52..=54 => -6.0 + 3.0 * rng.next(),
            _ => rng.next() - 0.5,
        };
    }
    row
}

fn write_ply(path: &Path, n: u64, ascii: bool) {
    if path.is_file() {
        return;
    }
    let partial = path.with_extension("partial");
    let mut out = BufWriter::with_capacity(1 << 22, std::fs::File::create(&partial).expect("create the input"));
    out.write_all(ply_header(n, if ascii { "ascii" } else { "binary_little_endian" }).as_bytes()).unwrap();
    let mut rng = Rng(n);
    let mut line = String::new();
    for _ in 0..n {
        let row = ply_row(&mut rng);
        if ascii {
            line.clear();
            for v in row {
                line += &format!("{v} ");
            }
            line.pop();
            line.push('\n');
            out.write_all(line.as_bytes()).unwrap();
        } else {
            out.write_all(bytemuck_cast(&row)).unwrap();
        }
    }
    out.flush().unwrap();
    drop(out);
    std::fs::rename(partial, path).unwrap();
}

fn bytemuck_cast(row: &[f32; PLY_PROPERTIES]) -> &[u8] {
    // SAFETY: f32 has no padding and any bit pattern is a valid u8.
    unsafe { std::slice::from_raw_parts(row.as_ptr() as *const u8, std::mem::size_of_val(row)) }
}

/// A 4DGS PLY (`rot_4d = False`: no 4D rotation) of `n` splats over `[0, seconds]`, each alive
/// about a segment (a temporal σ of 0.27 s, 1.3 s above the 4DGS cut-off), spread over the clip.
fn write_4dgs(path: &Path, n: u64, seconds: f64) {
    if path.is_file() {
        return;
    }
    let partial = path.with_extension("partial");
    let mut out = BufWriter::with_capacity(1 << 22, std::fs::File::create(&partial).unwrap());
    let names = [
        "x", "y", "z", "t", "f_dc_0", "f_dc_1", "f_dc_2", "opacity", "scale_0", "scale_1", "scale_2", "scale_t",
        "rot_0", "rot_1", "rot_2", "rot_3",
    ];
    let mut header =
        format!("ply\nformat binary_little_endian 1.0\ncomment splat4d time_range 0 {seconds}\nelement vertex {n}\n");
    for name in names {
        header += &format!("property float {name}\n");
    }
    out.write_all((header + "end_header\n").as_bytes()).unwrap();
    let mut rng = Rng(n + 7);
    for _ in 0..n {
        let t = rng.next() as f64 * seconds;
        let row: [f32; 16] = [
            4.0 * rng.next() - 2.0,
            4.0 * rng.next() - 2.0,
            4.0 * rng.next() - 2.0,
            t as f32,
            0.5,
            0.2,
            -0.3,
            2.0,
            -4.0,
            -4.5,
            -5.0,
            (0.27f32 * 0.27).ln(),
            1.0,
            0.1 * rng.next(),
            0.0,
            0.0,
        ];
        for v in row {
            out.write_all(&v.to_le_bytes()).unwrap();
        }
    }
    out.flush().unwrap();
    drop(out);
    std::fs::rename(partial, path).unwrap();
}

struct Run {
    seconds: f64,
    peak_rss: u64,
}

/// Runs `exe ARGS` to completion and returns its wall time and peak resident memory.
fn pack(exe: &str, args: &[&str]) -> Run {
    let start = Instant::now();
    // Reaped by wait4 below, which also hands back the child's own peak RSS.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(exe).args(args).env("RUST_LOG", "warn").spawn().expect("run splat4d");
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and wait4 fills it for the child we started.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t, "wait4");
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "splat4d {args:?} failed");
    Run { seconds: start.elapsed().as_secs_f64(), peak_rss: usage.ru_maxrss as u64 * 1024 }
}

fn mb(b: u64) -> f64 {
    b as f64 / 1e6
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let splats: u64 = arg("--splats").map_or(3_000_000, |v| v.parse().expect("--splats N"));
    let scale: u64 = arg("--scale").map_or(1, |v| v.parse().expect("--scale K"));
    let dir = PathBuf::from(
        arg("--dir").unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../target/pack-bench").into()),
    );
    std::fs::create_dir_all(&dir).unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let exe = arg("--exe").unwrap_or_else(|| env!("CARGO_BIN_EXE_splat4d").into());
    let pack = |args: &[&str]| pack(&exe, args);
    println!("measuring {exe}");
    let mut json = Vec::new();

    println!("memory: peak RSS of `splat4d pack` against the asset it writes");
    println!("{:<34} {:>10} {:>10} {:>10} {:>8} {:>8}", "input", "input MB", "asset MB", "peak MB", "peak/asset", "s");
    let mut cases: Vec<(String, PathBuf, Vec<&str>)> = Vec::new();
    let binary = dir.join(format!("static-{splats}.ply"));
    write_ply(&binary, splats, false);
    cases.push((format!("{splats} SH 3, binary"), binary.clone(), vec![]));
    cases.push((format!("{splats} SH 3, binary, --levels 4"), binary.clone(), vec!["--levels", "4"]));
    let ascii = dir.join(format!("static-{}-ascii.ply", splats / 10));
    write_ply(&ascii, splats / 10, true);
    cases.push((format!("{} SH 3, ASCII", splats / 10), ascii, vec![]));
    if scale > 1 {
        let big = dir.join(format!("static-{}.ply", splats * scale));
        write_ply(&big, splats * scale, false);
        cases.push((format!("{} SH 3, binary", splats * scale), big, vec![]));
    }
    for (name, input, extra) in &cases {
        let out = dir.join("out.s4d");
        let mut a = vec!["pack".to_string(), s(input), "-o".into(), s(&out)];
        a.extend(extra.iter().map(|e| e.to_string()));
        let run = pack(&a.iter().map(String::as_str).collect::<Vec<_>>());
        let (input_bytes, asset_bytes) =
            (std::fs::metadata(input).unwrap().len(), std::fs::metadata(&out).unwrap().len());
        let ratio = run.peak_rss as f64 / asset_bytes as f64;
        println!(
            "{name:<34} {:>10.1} {:>10.1} {:>10.1} {:>8.2} {:>8.2}",
            mb(input_bytes),
            mb(asset_bytes),
            mb(run.peak_rss),
            ratio,
            run.seconds
        );
        json.push(format!(
            "{{\"case\":{name:?},\"input_bytes\":{input_bytes},\"asset_bytes\":{asset_bytes},\"peak_rss_bytes\":{},\"seconds\":{:.3}}}",
            run.peak_rss, run.seconds
        ));
        std::fs::remove_file(&out).unwrap();
    }

    println!("\nsegments: `splat4d pack` of 4DGS clips, 20-frame segments at 30 fps, each splat alive about one");
    println!("{:>12} {:>10} {:>8} {:>10} {:>10}", "primitives", "segments", "s", "asset MB", "peak MB");
    let mut rows = Vec::new();
    for n in [1_000_000u64, 2_000_000] {
        for segments in [10_000u32, 100_000] {
            let seconds = segments as f64 * 20.0 / 30.0;
            let clip = dir.join(format!("clip-{n}-{segments}.ply"));
            write_4dgs(&clip, n, seconds);
            let out = dir.join("clip.s4d");
            let run = pack(&["pack", &s(&clip), "-o", &s(&out)]);
            let asset_bytes = std::fs::metadata(&out).unwrap().len();
            println!(
                "{n:>12} {segments:>10} {:>8.2} {:>10.1} {:>10.1}",
                run.seconds,
                mb(asset_bytes),
                mb(run.peak_rss)
            );
            json.push(format!(
                "{{\"case\":\"4dgs {n}, {segments} segments\",\"primitives\":{n},\"segments\":{segments},\"asset_bytes\":{asset_bytes},\"peak_rss_bytes\":{},\"seconds\":{:.3}}}",
                run.peak_rss,
                run.seconds
            ));
            rows.push((n as f64 / 1e6, segments as f64 / 1e3, run.seconds));
            std::fs::remove_file(&out).unwrap();
        }
    }
    // t = a + b·(millions of primitives) + c·(thousands of segments), least squares over the
    // 2×2 grid: b and c are the differences of the means.
    let mean = |f: &dyn Fn(&(f64, f64, f64)) -> bool| {
        let v: Vec<f64> = rows.iter().filter(|r| f(r)).map(|r| r.2).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let per_million = (mean(&|r| r.0 == 2.0) - mean(&|r| r.0 == 1.0)) / 1.0;
    let per_thousand = (mean(&|r| r.1 == 100.0) - mean(&|r| r.1 == 10.0)) / 90.0;
    println!(
        "pack time: {:.3} s per million primitives, {:.2} ms per thousand segments",
        per_million,
        1e3 * per_thousand
    );
    json.push(format!(
        "{{\"fit\":{{\"seconds_per_million_primitives\":{per_million:.4},\"seconds_per_thousand_segments\":{per_thousand:.4}}}}}"
    ));

    if let Some(path) = arg("--json") {
        std::fs::write(&path, format!("[\n{}\n]\n", json.join(",\n"))).expect("write the JSON");
        println!("wrote {path}");
    }
}
