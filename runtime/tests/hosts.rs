//! C hosts built against the freshly built `libsplat4d.so` and run: the standalone sample
//! (its images must match the Rust renderer's for the same views) and the misuse suite.
//! `cargo test` does not rebuild the cdylib: `cargo build -p splat4d` first (scripts/test.sh
//! does); a library older than the runtime's sources fails the test rather than test old code.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use splat4d::glam::{Quat, Vec3};
use splat4d::gpu::{Context, ContextOptions};
use splat4d::pack::{pack, NoProgress, PackOptions};
use splat4d::renderer::{Renderer, RendererOptions, SortOrder, TargetFormat};
use splat4d::{demo, Camera};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn newest(dir: &Path) -> SystemTime {
    let mut t = SystemTime::UNIX_EPOCH;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        let m = if p.is_dir() { newest(&p) } else { entry.metadata().unwrap().modified().unwrap() };
        t = t.max(m);
    }
    t
}

/// The folder holding a `libsplat4d.so` at least as new as the runtime's sources.
fn library_dir() -> PathBuf {
    // target/<profile>/deps/hosts-HASH → target/<profile>; the dev profile's library also serves tests.
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    let candidates = [profile_dir.clone(), profile_dir.parent().unwrap().join("debug")];
    let lib =
        candidates.iter().map(|d| d.join("libsplat4d.so")).find(|p| p.is_file()).unwrap_or_else(|| {
            panic!("no libsplat4d.so in {}: run `cargo build -p splat4d` first", profile_dir.display())
        });
    let built = lib.metadata().unwrap().modified().unwrap();
    let sources = newest(&root().join("runtime/src")).max(newest(&root().join("shaders")));
    assert!(built >= sources, "{} is older than the runtime's sources: run `cargo build -p splat4d`", lib.display());
    lib.parent().unwrap().to_path_buf()
}

/// Builds a C (`.c`, C99) or C++ (`.cpp`, C++17) host with every warning an error, linked
/// with libsplat4d.
fn compile(source: &str, out: &Path, extra: &[&str]) {
    compile_host(source, out, extra, true)
}

/// [`compile`], linked with libsplat4d or not (a host that loads it with dlopen, as Unity does).
fn compile_host(source: &str, out: &Path, extra: &[&str], link: bool) {
    let lib = library_dir();
    let (compiler, std) = if source.ends_with(".cpp") { ("c++", "-std=c++17") } else { ("cc", "-std=c99") };
    let built = Command::new(compiler)
        .args([std, "-D_POSIX_C_SOURCE=200809L", "-Wall", "-Wextra", "-Werror", "-pedantic", "-pthread"])
        .arg("-I")
        .arg(root().join("include"))
        .arg(root().join(source))
        .arg("-L")
        .arg(&lib)
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .args(if link { &["-lsplat4d", "-lm"][..] } else { &["-lm"][..] })
        .args(extra)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap_or_else(|e| panic!("{compiler}: {e} (install gcc and g++)"));
    assert!(built.status.success(), "compiling {source} failed:\n{}", String::from_utf8_lossy(&built.stderr));
}

/// The demo scene packed to `dir/demo.s4d`.
fn demo_asset(dir: &Path) -> PathBuf {
    let path = dir.join("demo.s4d");
    std::fs::write(&path, pack(&demo::scene(), &PackOptions::default(), &NoProgress).unwrap()).unwrap();
    path
}

fn read_ppm(path: &Path) -> (u32, u32, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&bytes[..20]).to_string();
    let mut fields = text.split_whitespace();
    assert_eq!(fields.next(), Some("P6"));
    let w: u32 = fields.next().unwrap().parse().unwrap();
    let h: u32 = fields.next().unwrap().parse().unwrap();
    let pixels = bytes[bytes.len() - (w * h * 3) as usize..].to_vec();
    (w, h, pixels)
}

/// samples/c/render.c, opening the asset by path and (`--reader`) through its own reader with the
/// mono renderer streaming through it: each time the same bytes as the Rust renderer's images,
/// and (the sample checks) the reader read and released once at the end.
#[test]
fn the_c_sample_renders_what_the_rust_renderer_renders() {
    let dir = tempfile::tempdir().unwrap();
    let asset_path = demo_asset(dir.path());
    let exe = dir.path().join("render");
    compile("samples/c/render.c", &exe, &[]);

    // The sample's views, rendered by the Rust API.
    let asset = splat4d::Asset::open(&asset_path, splat4d::Verify::Full).unwrap();
    let info = asset.info();
    let (w, h) = (256u32, 160u32);
    let eye = |offset: f32| {
        // As the C sample computes it, in f32.
        let centre = (Vec3::from(info.bounds_min) + Vec3::from(info.bounds_max)) * 0.5;
        let position = centre + Vec3::new(offset, 0.0, 2.5);
        let t = h as f32 / w as f32;
        Camera::from_pose_fov(position, Quat::IDENTITY, [-1.0, 1.0, t, -t], w, h).unwrap()
    };
    let time = (0.5 * (info.time_range[0] as f64 + info.time_range[1] as f64)) as f32;
    let ctx = Context::new(&ContextOptions::default()).unwrap();
    let mut expected = Vec::new();
    for (views, files) in
        [(vec![eye(0.0)], vec!["mono.ppm"]), (vec![eye(-0.032), eye(0.032)], vec!["left.ppm", "right.ppm"])]
    {
        let options = RendererOptions {
            width: w,
            height: h,
            views: views.len() as u32,
            format: TargetFormat::Rgba8Unorm,
            background: Vec3::ZERO,
            sort: SortOrder::Shared,
            stats: true,
            frames_in_flight: splat4d::renderer::FRAMES_IN_FLIGHT,
        };
        let mut r = Renderer::new(&ctx, &asset, &options).unwrap();
        r.render(&ctx, time, &views).unwrap();
        for (image, file) in r.read_back(&ctx).unwrap().iter().zip(files) {
            expected.push((file, image.chunks(4).flat_map(|p| [p[0], p[1], p[2]]).collect::<Vec<u8>>()));
        }
        r.destroy(&ctx);
    }

    for mode in [&[][..], &["--reader"][..]] {
        let out_dir = dir.path().join(if mode.is_empty() { "path" } else { "reader" });
        std::fs::create_dir(&out_dir).unwrap();
        let out = Command::new(&exe)
            .args(mode)
            .arg(&asset_path)
            .arg(&out_dir)
            .env("SPLAT4D_VALIDATION", "1")
            .output()
            .unwrap();
        let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "the C sample {mode:?} failed:\n{log}");
        eprintln!("{log}");
        for (file, rust) in &expected {
            let (pw, ph, c) = read_ppm(&out_dir.join(file));
            assert_eq!((pw, ph), (w, h));
            // The same renderer on the same device, through the C ABI: the same bytes.
            let differing = c.iter().zip(rust).filter(|(a, b)| a != b).count();
            assert_eq!(c.len(), rust.len());
            assert_eq!(differing, 0, "{mode:?} {file}: {differing} bytes differ from the Rust renderer's image");
            assert!(c.iter().filter(|&&v| v > 20).count() > c.len() / 20, "{file} is nearly empty");
        }
        // The sample's capture of 30 frames, saved through the C ABI.
        let trace: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out_dir.join("trace.json")).unwrap()).unwrap();
        assert_eq!(trace["metadata"]["frames"], 30);
        let csv = std::fs::read_to_string(out_dir.join("frames.csv")).unwrap();
        assert_eq!(csv.lines().count(), 31, "a header and 30 frames");
        if !mode.is_empty() {
            assert!(log.contains("released 1 time(s)"), "{log}");
        }
    }
}

/// Headset playback from C with splat4d owning the session (samples/c/xr.c), on Monado's
/// simulated headset, validation on.
#[test]
fn the_c_xr_sample_plays_in_a_headset_session() {
    let _monado = common::monado::Monado::start();
    let dir = tempfile::tempdir().unwrap();
    let asset_path = demo_asset(dir.path());
    let exe = dir.path().join("xr");
    compile("samples/c/xr.c", &exe, &[]);
    let out = Command::new(&exe).arg(&asset_path).arg("60").env("SPLAT4D_VALIDATION", "1").output().unwrap();
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the C XR sample failed:\n{log}");
    // (OpenXR's validation layer logs to stdout too.)
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = stdout.lines().find(|l| l.contains("control turns")).unwrap_or_else(|| panic!("{log}"));
    eprintln!("{summary}");
    assert!(summary.contains("focused 1, last session state 8"), "{summary}");
    // Monado offers only XR_ENVIRONMENT_BLEND_MODE_OPAQUE (1) and takes depth layers: D32_SFLOAT (126).
    assert!(summary.contains("blend mode 1, depth format 126"), "{summary}");
    let frames: u64 = summary.split_whitespace().next().unwrap().parse().unwrap();
    assert!((60..=61).contains(&frames), "{summary}");
}

/// Headset playback from C with the host owning the session (samples/c/xr_host.c): its own XR
/// instance, Vulkan device through XR_KHR_vulkan_enable2, session and swapchain; splat4d
/// records each frame into the acquired image. On Monado, validation on.
#[test]
fn the_c_host_with_its_own_xr_session_has_splat4d_render_into_its_swapchain() {
    let _monado = common::monado::Monado::start();
    let dir = tempfile::tempdir().unwrap();
    let asset_path = demo_asset(dir.path());
    let exe = dir.path().join("xr_host");
    compile("samples/c/xr_host.c", &exe, &["-lopenxr_loader", "-lvulkan"]);
    let out = Command::new(&exe).arg(&asset_path).arg("60").env("SPLAT4D_VALIDATION", "1").output().unwrap();
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the C XR host failed:\n{log}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = stdout.lines().find(|l| l.contains("per eye")).unwrap_or_else(|| panic!("{log}"));
    eprintln!("{summary}");
    assert!(summary.contains("focused 1, last session state 8, 0 validation messages, depth layers 1"), "{summary}");
}

/// Embedded mode from C (samples/c/embedded.c): a host with its own Vulkan instance, device,
/// command buffer and image, validation on; its frame must match the standalone one.
#[test]
fn the_embedded_c_host_records_into_its_own_command_buffer() {
    let dir = tempfile::tempdir().unwrap();
    let asset_path = demo_asset(dir.path());
    let exe = dir.path().join("embedded");
    compile("samples/c/embedded.c", &exe, &["-lvulkan"]);
    let out = Command::new(&exe).arg(&asset_path).arg(dir.path()).env("SPLAT4D_VALIDATION", "1").output().unwrap();
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    eprintln!("{log}");
    assert!(out.status.success(), "the embedded C host failed:\n{log}");
    assert!(dir.path().join("embedded_right.ppm").is_file());
}

/// `-I` for composite.c's shaders as C arrays (`glslc -mfmt=c`, run by build.rs).
fn composite_shaders() -> String {
    format!("-I{}", env!("OUT_DIR"))
}

/// A host that draws its own scene (samples/c/composite.c: a floor and a box through the
/// splats, with depth) and has splat4d record into the same colour and depth. Its images are
/// held to the reference given the host's own colour and depth: the splats blend over the
/// host's pixels, vanish exactly where its surfaces are in front of them, and their depth
/// replaces the host's only where they are nearer.
#[test]
fn the_c_host_composites_splats_into_its_own_scene() {
    let dir = tempfile::tempdir().unwrap();
    let asset_path = demo_asset(dir.path());
    let exe = dir.path().join("composite");
    let include = composite_shaders();
    compile("samples/c/composite.c", &exe, &[&include, "-lvulkan"]);
    let out = Command::new(&exe).arg(&asset_path).arg(dir.path()).env("SPLAT4D_VALIDATION", "1").output().unwrap();
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    eprintln!("{log}");
    assert!(out.status.success(), "the compositing C host failed:\n{log}");
    assert!(log.contains("host depth: near 0.1, far 20, standard"), "{log}");

    let (w, h) = (160u32, 120u32);
    let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
    let asset = splat4d::Asset::open(&asset_path, splat4d::Verify::Full).unwrap();
    let info = asset.info();
    let centre = (Vec3::from(info.bounds_min) + Vec3::from(info.bounds_max)) * 0.5;
    let t = h as f32 / w as f32;
    let eye =
        Camera::from_pose_fov(centre + Vec3::new(0.0, 0.1, 2.5), Quat::IDENTITY, [-1.0, 1.0, t, -t], w, h).unwrap();
    let time = (0.5 * (info.time_range[0] as f64 + info.time_range[1] as f64)) as f32;
    let images = Composited {
        host: (read("host.rgba"), floats(&read("host.depth"))),
        got: (read("composite.rgba"), floats(&read("composite.depth"))),
    };
    let convention = splat4d::depth::DepthConvention { near: 0.1, far: 20.0, reversed: false };
    held_to_reference("composite.c", &asset, &eye, time, convention, &images);
}

fn floats(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect()
}

/// A host's colour (RGBA8) and depth (f32) before and after splat4d drew into them.
struct Composited {
    host: (Vec<u8>, Vec<f32>),
    got: (Vec<u8>, Vec<f32>),
}

/// Holds a host's composited image to the reference given the host's own colour and depth:
/// the splats blend over the host's pixels, vanish exactly where its surfaces are in front of
/// them, and their depth replaces the host's only where they are nearer.
fn held_to_reference(
    label: &str,
    asset: &splat4d::Asset,
    eye: &Camera,
    time: f32,
    convention: splat4d::depth::DepthConvention,
    images: &Composited,
) {
    use splat4d::reference::{composite, preprocess, Host, RenderSettings};
    let (w, h) = (eye.width, eye.height);
    let ((host_rgba, host_depth), (got_rgba, got_depth)) = (&images.host, &images.got);
    let limit: Vec<f32> = host_depth.iter().map(|&d| convention.view_depth(d)).collect();
    let host_color: Vec<[f32; 4]> =
        host_rgba.chunks_exact(4).map(|p| [0, 1, 2, 3].map(|c| p[c] as f32 / 255.0)).collect();
    let splats = preprocess(asset, time, eye, &RenderSettings::default()).unwrap();
    let host = Host { color: Some(&host_color), depth: Some(&limit), linear_light: false };
    let want = composite(&splats, w, h, Vec3::ZERO, &host).unwrap();
    let want_rgba = want.image.to_rgba8().unwrap();
    let db = common::image::psnr(got_rgba, &want_rgba, 4);
    // The same without the host's depth: what the host's geometry hides.
    let unhidden =
        composite(&splats, w, h, Vec3::ZERO, &Host { depth: None, ..host }).unwrap().image.to_rgba8().unwrap();
    let (mut hidden, mut leaked, mut untouched) = (0, 0, 0);
    for i in 0..(w * h) as usize {
        let px = |img: &[u8]| [img[4 * i], img[4 * i + 1], img[4 * i + 2]];
        let differs = |a: [u8; 3], b: [u8; 3], steps: u8| (0..3).any(|c| a[c].abs_diff(b[c]) > steps);
        if !differs(px(&want_rgba), px(host_rgba), 0) {
            untouched += 1;
            leaked += usize::from(differs(px(got_rgba), px(host_rgba), 1));
            hidden += usize::from(differs(px(&unhidden), px(host_rgba), 8));
        }
    }
    // Depth out: never farther than the host's, and nearer where the splats are (to within
    // 1 % of view depth where they cover at least half the pixel, away from ½).
    let coverage = composite(&splats, w, h, Vec3::ZERO, &Host { color: None, ..host }).unwrap();
    let (mut compared, mut off) = (0, 0);
    for i in 0..(w * h) as usize {
        let farther = if convention.reversed { got_depth[i] < host_depth[i] } else { got_depth[i] > host_depth[i] };
        assert!(!farther, "{label}: pixel {i}: depth out {} behind the host's {}", got_depth[i], host_depth[i]);
        let a = coverage.image.pixels[i][3];
        if (a - 0.5).abs() < 0.02 || want.depth[i] >= convention.far {
            continue;
        }
        compared += 1;
        let z = convention.view_depth(got_depth[i]);
        off += usize::from((z - want.depth[i]).abs() > 0.01 * want.depth[i] + 1e-3);
    }
    eprintln!(
        "{label}: {db:.2} dB against the reference; the host's geometry hides the splats at {hidden} pixels \
         ({leaked} of {untouched} untouched pixels show splats); depth out off at {off} of {compared}"
    );
    assert!(db >= 38.0, "{label}: {db:.2} dB");
    assert!(hidden > 100, "{label}: the host's geometry hides splats at only {hidden} pixels");
    assert!(
        leaked * 1000 <= untouched,
        "{label}: {leaked} of {untouched} pixels the host's geometry hides show splats"
    );
    assert!(compared > 500 && off * 1000 <= compared, "{label}: depth out off at {off} of {compared} pixels");
}

/// The Unity plugin (libsplat4d.so's `UnityPluginLoad`, `UnityPluginUnload` and render
/// event) driven by tests/unity/unity_host.c, a C program that plays Unity's part as Unity's
/// manual describes it (tests/unity/README.md): loaded before the device, so that Unity's
/// device is made through the plugin's Vulkan interception ("startup", multiview on), and
/// after it ("late", one pass per eye). Each run draws six frames, three in flight, into a
/// bottom-up mono render texture and a two-layer single-pass-instanced XR target over the
/// host's own reverse-Z scene; the last frame's images are held to the reference for each eye.
#[test]
fn the_unity_plugin_draws_into_a_unity_hosts_cameras() {
    use splat4d::depth::DepthConvention;
    let dir = tempfile::tempdir().unwrap();
    let asset_path = demo_asset(dir.path());
    let exe = dir.path().join("unity_host");
    compile_host("tests/unity/unity_host.c", &exe, &[&composite_shaders(), "-ldl", "-lvulkan"], false);
    let plugin = library_dir().join("libsplat4d.so");
    let has_multiview = Context::new(&ContextOptions::default()).unwrap().multiview;

    let asset = splat4d::Asset::open(&asset_path, splat4d::Verify::Full).unwrap();
    let info = asset.info();
    let centre = (Vec3::from(info.bounds_min) + Vec3::from(info.bounds_max)) * 0.5;
    let [t0, t1] = info.time_range.map(f64::from);
    let time = (t0 + (t1 - t0) * 6.0 / 7.0) as f32;
    let (w, h) = (160u32, 120u32);
    let t = h as f32 / w as f32;
    let eye = |dx: f32| {
        Camera::from_pose_fov(centre + Vec3::new(dx, 0.1, 2.5), Quat::IDENTITY, [-1.0, 1.0, t, -t], w, h).unwrap()
    };
    let convention = DepthConvention { near: 0.1, far: 20.0, reversed: true };
    let layer = 4 * (w * h) as usize;
    for mode in ["startup", "late"] {
        let out = Command::new(&exe).arg(&plugin).arg(&asset_path).arg(dir.path()).arg(mode).output().unwrap();
        let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        eprintln!("{mode}:\n{log}");
        assert!(out.status.success(), "the Unity-role host ({mode}) failed:\n{log}");
        let (intercepted, multiview) = if mode == "startup" { (1, u32::from(has_multiview)) } else { (0, 0) };
        let expected = format!("plugin: loaded 1, ready 1, intercepted {intercepted}, multiview {multiview}");
        assert!(log.contains(&expected), "{mode}: expected \"{expected}\" in\n{log}");
        assert!(log.contains("host depth: near 0.1, far 20, reversed"), "{log}");
        assert!(log.contains("validation messages: 0"), "{log}");

        let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
        // The mono camera's target is bottom-up: its rows are turned over to compare.
        let upright =
            |bytes: Vec<u8>| -> Vec<u8> { bytes.chunks_exact(4 * w as usize).rev().flatten().copied().collect() };
        let mono = Composited {
            host: (upright(read("host_mono.rgba")), floats(&upright(read("host_mono.depth")))),
            got: (upright(read("mono.rgba")), floats(&upright(read("mono.depth")))),
        };
        held_to_reference(&format!("unity {mode} mono"), &asset, &eye(0.0), time, convention, &mono);
        let (host_rgba, host_depth, rgba, depth) =
            (read("host_xr.rgba"), read("host_xr.depth"), read("xr.rgba"), read("xr.depth"));
        for (e, dx) in [-0.032f32, 0.032].into_iter().enumerate() {
            let at = e * layer..(e + 1) * layer;
            let images = Composited {
                host: (host_rgba[at.clone()].to_vec(), floats(&host_depth[at.clone()])),
                got: (rgba[at.clone()].to_vec(), floats(&depth[at])),
            };
            held_to_reference(&format!("unity {mode} XR eye {e}"), &asset, &eye(dx), time, convention, &images);
        }
    }
}

/// The C++ wrapper (include/splat4d.hpp): stereo into an _SRGB target with per-eye sorting,
/// and a failing call surfacing as an exception with the library's status and message.
#[test]
fn the_cpp_sample_renders_through_the_raii_wrapper() {
    let dir = tempfile::tempdir().unwrap();
    let asset_path = demo_asset(dir.path());
    let exe = dir.path().join("render_cpp");
    compile("samples/cpp/render.cpp", &exe, &[]);
    let out = Command::new(&exe).arg(&asset_path).arg(dir.path()).output().unwrap();
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the C++ sample failed:\n{log}");
    assert!(log.contains("expected failure (3)") && log.contains("/no/such/asset.s4d"), "{log}");
    let (_, _, left) = read_ppm(&dir.path().join("left.ppm"));
    let (_, _, right) = read_ppm(&dir.path().join("right.ppm"));
    assert!(left.iter().filter(|&&v| v > 20).count() > left.len() / 20, "left eye nearly empty");
    assert_ne!(left, right, "the eyes see the same image");
}

#[test]
fn misuse_of_the_c_abi_gets_statuses_and_messages() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.s4d");
    let bytes = pack(&demo::scene(), &PackOptions::default(), &NoProgress).unwrap();
    std::fs::write(&good, &bytes).unwrap();
    let corrupt = dir.path().join("corrupt.s4d");
    let mut flipped = bytes.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x5a;
    std::fs::write(&corrupt, &flipped).unwrap();
    let exe = dir.path().join("misuse");
    compile("tests/c/misuse.c", &exe, &[]);
    // No OpenXR runtime to be found, whatever the XR tests beside this one run.
    let out = Command::new(&exe)
        .arg(&good)
        .arg(&corrupt)
        .arg(dir.path())
        .env("XDG_RUNTIME_DIR", "/nonexistent")
        .output()
        .unwrap();
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    eprintln!("{log}");
    assert!(out.status.success(), "misuse suite failed:\n{log}");
}

#[test]
fn the_library_exports_only_s4d_symbols_and_unitys_entry_points() {
    let lib = library_dir().join("libsplat4d.so");
    let out = Command::new("nm").args(["-D", "--defined-only"]).arg(&lib).output();
    let Ok(out) = out else { panic!("nm (binutils) is needed for this test") };
    let text = String::from_utf8_lossy(&out.stdout);
    let names: Vec<&str> = text.lines().filter_map(|l| l.split_whitespace().nth(2)).collect();
    assert!(names.contains(&"s4d_renderer_render"), "{names:?}");
    // Unity looks its plugins' entry points up by these two names (the Unity plugin).
    let unity = ["UnityPluginLoad", "UnityPluginUnload"];
    assert!(unity.iter().all(|u| names.contains(u)), "{names:?}");
    let foreign: Vec<&&str> = names.iter().filter(|n| !n.starts_with("s4d_") && !unity.contains(n)).collect();
    assert!(foreign.is_empty(), "exported beside s4d_* and Unity's entry points: {foreign:?}");
}

/// The C# bindings and the Unity package's plain C# (samples/unity) under Mono: compiled with
/// warnings as errors (the UnityEngine parts compile to nothing outside Unity), then the console
/// test renders a frame, checks the error paths, the clock, an asset over HTTP (a server on
/// 127.0.0.1), a pack as the editor importer makes it, the plugin's calls before Unity loads it and the matrices that place an asset in Unity's
/// world, and prints each mirrored struct's layout, which must be the library's.
#[test]
fn the_csharp_bindings_run_under_mono() {
    let dir = tempfile::tempdir().unwrap();
    let asset_path = demo_asset(dir.path());
    let unity = root().join("samples/unity");
    let mut sources = vec![unity.join("Tests~/ConsoleTest.cs")];
    for folder in ["Runtime", "Editor"] {
        for entry in std::fs::read_dir(unity.join(folder)).unwrap().flatten() {
            if entry.path().extension().is_some_and(|e| e == "cs") {
                sources.push(entry.path());
            }
        }
    }
    let exe = dir.path().join("test.exe");
    let built = Command::new("mcs")
        .arg("-warnaserror")
        .arg(format!("-out:{}", exe.display()))
        .args(&sources)
        .output()
        .unwrap_or_else(|e| panic!("mcs: {e} (install mono-mcs)"));
    assert!(built.status.success(), "mcs:\n{}", String::from_utf8_lossy(&built.stdout));
    let source = common::assets().join("3d/lod-tile-unnormalized-quats.ply");
    let server = common::http_server::Server::start(std::fs::read(&asset_path).unwrap());
    let out = Command::new("mono")
        .arg(&exe)
        .arg(&asset_path)
        .arg(&source)
        .arg(dir.path())
        .arg(&server.url)
        .env("LD_LIBRARY_PATH", library_dir())
        .output()
        .unwrap_or_else(|e| panic!("mono: {e} (install mono-runtime)"));
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    eprintln!("{log}");
    assert!(out.status.success() && log.contains("0 failures"), "the C# console test failed:\n{log}");
    let printed: Vec<(String, usize, Vec<usize>)> = log
        .lines()
        .filter_map(|l| l.strip_prefix("layout "))
        .map(|l| {
            let mut words = l.split_whitespace();
            let name = words.next().unwrap().to_string();
            let numbers: Vec<usize> = words.map(|w| w.parse().unwrap()).collect();
            (name, numbers[0], numbers[1..].to_vec())
        })
        .collect();
    for (name, size, offsets) in library_layouts() {
        let (_, cs_size, cs_offsets) =
            printed.iter().find(|p| p.0 == name).unwrap_or_else(|| panic!("the C# test printed no layout of {name}"));
        // C# may split an array field into its elements; every field of the library's must
        // start where one of the C# fields does.
        let missing: Vec<&usize> = offsets.iter().filter(|o| !cs_offsets.contains(o)).collect();
        assert!(
            *cs_size == size && missing.is_empty(),
            "C# {name}: {cs_size} bytes, fields at {cs_offsets:?}; the library's: {size} bytes, fields at {offsets:?}"
        );
    }
}
/// The package's UnityEngine parts (the components, the URP feature, the importer), which Mono
/// cannot run, type-checked with mcs against declarations of the Unity members they call
/// (samples/unity/Tests~/UnityStubs.cs, transcribed from Unity's scripting reference): with URP
/// and Unity 6's render graph, with URP before it, and without URP.
#[test]
fn the_unity_components_type_check_against_unitys_declared_api() {
    let unity = root().join("samples/unity");
    let dir = tempfile::tempdir().unwrap();
    let mut sources = vec![unity.join("Tests~/UnityStubs.cs")];
    for folder in ["Runtime", "Editor"] {
        for entry in std::fs::read_dir(unity.join(folder)).unwrap().flatten() {
            if entry.path().extension().is_some_and(|e| e == "cs") {
                sources.push(entry.path());
            }
        }
    }
    let base = "-define:UNITY_2021_3_OR_NEWER;UNITY_EDITOR";
    for defines in [";SPLAT4D_URP;UNITY_6000_0_OR_NEWER", ";SPLAT4D_URP", ""] {
        let built = Command::new("mcs")
            .args(["-target:library", "-warnaserror"])
            .arg(format!("{base}{defines}"))
            .arg(format!("-out:{}", dir.path().join("package.dll").display()))
            .args(&sources)
            .output()
            .unwrap_or_else(|e| panic!("mcs: {e} (install mono-mcs)"));
        assert!(built.status.success(), "mcs {base}{defines}:\n{}", String::from_utf8_lossy(&built.stdout));
    }
}

/// The Unity package's manifest and assembly definitions read as JSON, its version is the
/// library's, and build-plugins.sh puts the library into Plugins/ with the .meta that marks it
/// Load on startup for the Editor and Linux players (what a Unity project is given; whether
/// Unity reads it so is for a real Unity to show).
#[test]
fn the_unity_package_holds_its_manifest_and_plugins() {
    let unity = root().join("samples/unity");
    let json = |p: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(unity.join(p)).unwrap()).unwrap_or_else(|e| panic!("{p}: {e}"))
    };
    let manifest = json("package.json");
    assert_eq!(manifest["version"], env!("CARGO_PKG_VERSION"), "package.json's version is not the library's");
    assert_eq!(json("Runtime/Splat4d.Runtime.asmdef")["versionDefines"][0]["define"], "SPLAT4D_URP");
    assert_eq!(json("Editor/Splat4d.Editor.asmdef")["references"][0], "Splat4d.Runtime");

    let out = tempfile::tempdir().unwrap();
    let lib = library_dir().join("libsplat4d.so");
    let run = Command::new("sh")
        .arg(unity.join("build-plugins.sh"))
        .env("LIB", &lib)
        .env("PACKAGE", out.path())
        .output()
        .unwrap();
    assert!(run.status.success(), "build-plugins.sh:\n{}", String::from_utf8_lossy(&run.stderr));
    let placed = out.path().join("Plugins/x86_64/libsplat4d.so");
    assert_eq!(std::fs::read(&placed).unwrap(), std::fs::read(&lib).unwrap());
    let meta = std::fs::read_to_string(placed.with_extension("so.meta")).unwrap();
    for line in ["isPreloaded: 1", "Editor: Editor", "OS: Linux", "Standalone: Linux64", "CPU: x86_64"] {
        assert!(meta.contains(line), "the plugin's .meta lacks '{line}':\n{meta}");
    }
    let guid = meta.lines().find_map(|l| l.strip_prefix("guid: ")).unwrap();
    assert!(guid.len() == 32 && guid.chars().all(|c| c.is_ascii_hexdigit()), "guid {guid}");
}

/// Each struct the C# bindings mirror, as the library lays it out: (C# name, size, offsets).
fn library_layouts() -> Vec<(&'static str, usize, Vec<usize>)> {
    use splat4d::ffi::*;
    use std::mem::{offset_of, size_of};
    macro_rules! layout {
        ($cs:literal, $t:ty, $($f:ident),*) => {
            ($cs, size_of::<$t>(), vec![$(offset_of!($t, $f)),*])
        };
    }
    vec![
        layout!("View", S4dView, position, orientation, tan_left, tan_right, tan_up, tan_down),
        layout!(
            "AssetInfo",
            S4dAssetInfo,
            struct_size,
            primitive_count,
            segment_count,
            level_count,
            camera_count,
            sh_degree,
            time_start,
            time_end,
            frame_rate,
            bounds_min,
            bounds_max
        ),
        layout!(
            "FrameStats",
            S4dFrameStats,
            struct_size,
            gpu_times_valid,
            frame_index,
            gpu_slice_ms,
            gpu_sort_ms,
            gpu_raster_ms,
            gpu_resolve_ms,
            cpu_start_ns,
            cpu_wait_ms,
            cpu_prepare_ms,
            cpu_record_ms,
            cpu_submit_ms,
            gpu_start_ns,
            time_seconds,
            view_count,
            segment,
            active,
            visible,
            drawn,
            level_visible,
            page_uploads,
            page_misses,
            resident_bytes,
            gpu_memory_bytes,
            upload_bytes,
            lod_finest,
            lod_coarsest,
            lod_gamma,
            reserved2
        ),
        layout!(
            "HostDepth",
            S4dHostDepth,
            struct_size,
            format,
            image,
            width,
            height,
            layer_count,
            initial_layout,
            final_layout,
            flags,
            near_plane,
            far_plane
        ),
        layout!(
            "UnityFrame",
            S4dUnityFrame,
            struct_size,
            view_count,
            views,
            time_seconds,
            color_buffer,
            depth_buffer,
            depth_flags,
            near_plane,
            far_plane,
            flags,
            pass,
            reserved
        ),
        layout!("RuntimeDesc", S4dRuntimeDesc, struct_size, validation, device_name),
        layout!(
            "RendererDesc",
            S4dRendererDesc,
            struct_size,
            width,
            height,
            view_count,
            format,
            sort_order,
            background,
            disable_stats,
            gpu_memory_budget_bytes,
            policy,
            frames_in_flight,
            reserved
        ),
        layout!(
            "FramePolicy",
            S4dFramePolicy,
            struct_size,
            lod_finest,
            lod_coarsest,
            lod_gamma,
            frame_budget_ms,
            disable_active_sets,
            reserved
        ),
        layout!("FrameDesc", S4dFrameDesc, struct_size, view_count, views, time_seconds),
        layout!("HostImage", S4dHostImage, struct_size, final_layout, image, color_load, initial_layout, depth),
        layout!("UnityEvents", S4dUnityEvents, struct_size, draw_event_id, collect_event_id, reserved, render_event),
        layout!("UnityInfo", S4dUnityInfo, struct_size, loaded, ready, intercepted, multiview),
        layout!(
            "UnityViewDesc",
            S4dUnityViewDesc,
            struct_size,
            sort_order,
            disable_stats,
            reserved,
            gpu_memory_budget_bytes,
            policy
        ),
        layout!(
            "UnityViewCounts",
            S4dUnityViewCounts,
            struct_size,
            reserved,
            recorded,
            skipped_in_flight,
            failed,
            dropped
        ),
        layout!(
            "Desc",
            S4dPackDesc,
            struct_size,
            segment_frames,
            levels,
            antialiased,
            frame_rate,
            time_start,
            time_end,
            reserved,
            progress,
            user
        ),
    ]
}

/// The C hosts under AddressSanitizer and LeakSanitizer, validation on: no invalid access and
/// no leak. Nothing is suppressed. lavapipe's library is preloaded so that the Vulkan loader's
/// dlclose at vkDestroyInstance leaves it mapped: once unmapped, the driver's once-per-process
/// allocations (reachable only from its globals) would look leaked to LSan.
#[test]
fn c_hosts_are_clean_under_address_and_leak_sanitizer() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = pack(&demo::scene(), &PackOptions::default(), &NoProgress).unwrap();
    let good = dir.path().join("demo.s4d");
    std::fs::write(&good, &bytes).unwrap();
    let mut flipped = bytes.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x5a;
    let corrupt = dir.path().join("corrupt.s4d");
    std::fs::write(&corrupt, &flipped).unwrap();

    let asan = Command::new("cc").arg("-print-file-name=libasan.so").output().expect("cc");
    let asan = String::from_utf8_lossy(&asan.stdout).trim().to_string();
    assert!(Path::new(&asan).is_file(), "libasan not found ({asan}): install gcc");
    let icds = std::fs::read_dir("/usr/share/vulkan/icd.d").expect("Vulkan ICD manifests (mesa-vulkan-drivers)");
    let lvp = icds
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("lvp_icd"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .and_then(|json| json.split("\"library_path\"").nth(1).and_then(|s| s.split('"').nth(1)).map(str::to_owned))
        .expect("lavapipe's ICD manifest");

    let sanitize = ["-g", "-fsanitize=address", "-fno-omit-frame-pointer"];
    let include = composite_shaders();
    let plugin = library_dir().join("libsplat4d.so");
    let startup = Path::new("startup");
    let reader = Path::new("--reader");
    let runs: [(&str, &[&str], Vec<&Path>); 5] = [
        // Through the host's reader: splat4d calling back into the host, and releasing it.
        ("samples/c/render.c", &[], vec![reader, &good, dir.path()]),
        ("tests/c/misuse.c", &[], vec![&good, &corrupt, dir.path()]),
        ("samples/c/embedded.c", &["-lvulkan"], vec![&good, dir.path()]),
        ("samples/c/composite.c", &[&include, "-lvulkan"], vec![&good, dir.path()]),
        // Loads the library with dlopen, as Unity does: not linked.
        ("tests/unity/unity_host.c", &[&include, "-ldl", "-lvulkan"], vec![&plugin, &good, dir.path(), startup]),
    ];
    for (source, libs, args) in runs {
        let exe = dir.path().join(Path::new(source).file_stem().unwrap());
        let extra: Vec<&str> = sanitize.iter().chain(libs.iter()).copied().collect();
        compile_host(source, &exe, &extra, !source.starts_with("tests/unity"));
        let out = Command::new(&exe)
            .args(args)
            .env("LD_PRELOAD", format!("{asan} {lvp}"))
            .env("ASAN_OPTIONS", "detect_leaks=1:fast_unwind_on_malloc=0")
            .env("XDG_RUNTIME_DIR", "/nonexistent")
            .env("SPLAT4D_VALIDATION", "1")
            .output()
            .unwrap();
        let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success() && !log.contains("Sanitizer"), "{source} under ASan/LSan:\n{log}");
    }
}
