//! The desktop player in a real X server (Xvfb, in the test chroot: scripts/vk-chroot.sh): what
//! the window shows, captured by the X server itself (xwd), is the offscreen render of the same
//! camera and time; a run with validation ends clean; without a display it says so.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::assets;

/// A process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Xvfb on a free display number; returns it and the server.
fn xvfb() -> (String, Killed) {
    for n in 70..99 {
        if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() || Path::new(&format!("/tmp/.X{n}-lock")).exists() {
            continue;
        }
        let child = Command::new("Xvfb")
            .args([format!(":{n}").as_str(), "-screen", "0", "640x480x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is needed for this test (scripts/vk-chroot.sh installs it)");
        let server = Killed(child);
        let start = Instant::now();
        while !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
            assert!(start.elapsed() < Duration::from_secs(20), "Xvfb :{n} did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        return (format!(":{n}"), server);
    }
    panic!("no free X display number in :70..:99");
}

/// The root window as RGB rows: `xwd`'s ZPixmap dump, 32 bits per pixel.
fn screenshot(display: &str) -> (u32, u32, Vec<u8>) {
    let out = Command::new("xwd").args(["-root", "-silent", "-display", display]).output().expect("xwd");
    assert!(out.status.success(), "xwd: {}", String::from_utf8_lossy(&out.stderr));
    let b = out.stdout;
    let field = |i: usize| u32::from_be_bytes(b[4 * i..4 * i + 4].try_into().unwrap());
    let (header, format, width, height) = (field(0) as usize, field(2), field(4), field(5));
    let (byte_order, bits, line, ncolors) = (field(7), field(11), field(12) as usize, field(19) as usize);
    let (red, green, blue) = (field(14), field(15), field(16));
    assert_eq!((format, bits), (2, 32), "a 32-bit ZPixmap");
    let pixels = &b[header + 12 * ncolors..];
    let mut rgb = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height as usize {
        for x in 0..width as usize {
            let p: [u8; 4] = pixels[y * line + 4 * x..y * line + 4 * x + 4].try_into().unwrap();
            let v = if byte_order == 0 { u32::from_le_bytes(p) } else { u32::from_be_bytes(p) };
            let channel = |mask: u32| ((v & mask) >> mask.trailing_zeros()) as u8;
            rgb.extend([channel(red), channel(green), channel(blue)]);
        }
    }
    (width, height, rgb)
}

fn read_png_rgb(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let rgb = buf[..info.buffer_size()].chunks(channels).flat_map(|p| [p[0], p[1], p[2]]).collect();
    (info.width, info.height, rgb)
}

/// The largest difference of any byte between two images.
fn worst_step(a: &[u8], b: &[u8]) -> u8 {
    a.iter().zip(b).map(|(x, y)| x.abs_diff(*y)).max().unwrap_or(0)
}

#[test]
fn the_window_shows_the_offscreen_render() {
    let (display, _server) = xvfb();
    let dir = tempfile::tempdir().unwrap();
    let asset = assets().join("4d/technicolor-sam.splatv");
    let asset = asset.to_str().unwrap();
    let view = ["--size", "320x240", "--time", "0.5"];
    let exe = env!("CARGO_BIN_EXE_splat4d");

    // 30 frames with validation on: the player exits cleanly and the layer says nothing (the
    // command fails on any validation message).
    let out = Command::new(exe)
        .args(["play", asset, "--paused", "--frames", "30", "--validation"])
        .args(view)
        .env("DISPLAY", &display)
        .output()
        .unwrap();
    assert!(out.status.success(), "play --validation: {}", String::from_utf8_lossy(&out.stderr));

    // Held at t = 0.5 in a window at the screen's corner; the X server's own picture of it.
    let player = Killed(
        Command::new(exe)
            .args(["play", asset, "--paused"])
            .args(view)
            .env("DISPLAY", &display)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let reference = dir.path().join("reference.png");
    let out = Command::new(exe).args(["render", asset, "-o", reference.to_str().unwrap()]).args(view).output().unwrap();
    assert!(out.status.success(), "render: {}", String::from_utf8_lossy(&out.stderr));
    let (rw, rh, expected) = read_png_rgb(&reference);
    assert_eq!((rw, rh), (320, 240));
    let window = |shot: &(u32, u32, Vec<u8>)| -> Vec<u8> {
        let (w, _, rgb) = shot;
        (0..240usize).flat_map(|y| rgb[(y * *w as usize) * 3..(y * *w as usize + 320) * 3].to_vec()).collect()
    };
    // Until the window shows the frame (the player needs a moment to start). The swapchain is
    // sRGB and the offscreen target UNORM: the same frame, within one step of rounding in the
    // hardware's sRGB encode (measured: 59.2 dB, no byte more than one step off).
    let start = Instant::now();
    let shown = loop {
        let shown = window(&screenshot(&display));
        if worst_step(&shown, &expected) <= 1 || start.elapsed() > Duration::from_secs(60) {
            break shown;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    drop(player);
    let db = common::image::psnr(&shown, &expected, 3);
    let worst = worst_step(&shown, &expected);
    eprintln!("the window against the offscreen render: {db:.1} dB, bytes at most {worst} steps apart");
    assert!(worst <= 1, "the window is up to {worst} steps from the offscreen render ({db:.1} dB)");
    common::image::check_image(&shown, &expected, 3, [0; 3], common::image::REFERENCE_DB).unwrap();
}

#[test]
fn without_a_display_play_says_so() {
    let asset = assets().join("4d/technicolor-sam.splatv");
    let out = Command::new(env!("CARGO_BIN_EXE_splat4d"))
        .args(["play", asset.to_str().unwrap(), "--frames", "1"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot open a window"), "{err}");
}
