//! Assets over HTTP (asset::http) against a real server on 127.0.0.1 (common/http_server.rs),
//! which misbehaves on demand: the whole file instead of the range, wrong bytes, connections
//! dropped mid-body, a file replaced under its readers, latency. Every test is bounded: the
//! client's timeouts and retries are short, and the server's faults count down.

mod common;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use common::http_server::Server;
use splat4d::asset::http::{HttpOptions, HttpSource};
use splat4d::asset::Source;
use splat4d::gpu::{Context, ContextOptions};
use splat4d::pack::{pack, NoProgress, PackOptions};
use splat4d::reference::{render, RenderSettings};
use splat4d::renderer::{FramePolicy, Renderer, RendererOptions};
use splat4d::{demo, Asset, Error, Verify};

fn options() -> HttpOptions {
    HttpOptions { block_bytes: 64 << 10, cache_bytes: 512 << 10, retries: 2, timeout: Duration::from_secs(5) }
}

fn demo_bytes() -> Vec<u8> {
    pack(&demo::scene(), &PackOptions::default(), &NoProgress).unwrap()
}

/// Over HTTP the asset is the asset on disk: the same tables, the same reference image, and the
/// GPU's frames (whole and streamed through the network) the same as from the local copy; the
/// RAM cache never above its budget.
#[test]
fn an_asset_over_http_plays_as_its_local_copy() {
    let bytes = demo_bytes();
    let server = Server::start(bytes.clone());
    server.with(|s| s.faults.latency = Duration::from_millis(5));
    let source = Arc::new(HttpSource::open(&server.url, options()).unwrap());
    assert_eq!(source.size(), bytes.len() as u64);
    let remote = Asset::from_source(source.clone(), &server.url, Verify::Full).unwrap();
    let local = Asset::from_bytes(&bytes, Verify::Full).unwrap();
    assert_eq!((remote.len(), remote.segments().len()), (local.len(), local.segments().len()));
    let counts = source.counts();
    eprintln!("opened: {counts:?}, {} bytes", bytes.len());
    assert!(counts.bytes_fetched >= bytes.len() as u64, "Verify::Full reads every byte once");
    assert!(counts.cached_bytes <= options().cache_bytes);

    let camera = local.cameras()[0].resized(64, 40);
    let time = 0.5 * (local.info().time_range[0] + local.info().time_range[1]);
    let cpu = |a: &Asset| render(a, time, &camera, &RenderSettings::default()).unwrap().pixels;
    assert_eq!(cpu(&remote), cpu(&local), "the reference renders the remote asset otherwise");

    let ctx = Context::new(&ContextOptions { validation: true, ..Default::default() }).unwrap();
    let frame = |a: &Asset, streaming: bool| {
        let options = RendererOptions::new(64, 40, 1);
        let mut r = match streaming {
            true => Renderer::streaming(&ctx, a, &options, 8 << 20, &FramePolicy::default()).unwrap(),
            false => Renderer::new(&ctx, a, &options).unwrap(),
        };
        let mut images = Vec::new();
        for i in 0..4 {
            let t = local.info().time_range[0] + i as f32 * 0.4;
            r.render(&ctx, t, &[camera]).unwrap();
            images.push(r.read_back(&ctx).unwrap().remove(0));
        }
        r.destroy(&ctx);
        images
    };
    let before = source.counts().bytes_fetched;
    assert_eq!(frame(&remote, false), frame(&local, false), "frames of the remote asset differ");
    assert_eq!(frame(&remote, true), frame(&local, true), "frames streamed over HTTP differ");
    let counts = source.counts();
    eprintln!("after playing: {counts:?}");
    assert!(counts.bytes_fetched > before, "the renderers read through the network");
    assert!(counts.cached_bytes <= options().cache_bytes, "the cache grew past its budget");
    assert!(ctx.validation_messages().is_empty(), "{:#?}", ctx.validation_messages());
}

/// A server that sends the whole file for a range request is refused by name; connections
/// dropped mid-body are retried (and give up after the retries, saying so); a byte changed in
/// transit fails the asset's checksums; a file replaced on the server fails the reads after it.
#[test]
fn faults_are_clear_errors_or_retries_never_other_bytes() {
    let bytes = demo_bytes();
    let server = Server::start(bytes.clone());
    let io_message = |e: Error| match e {
        Error::Io { .. } => e.to_string(),
        other => panic!("not an IO error: {other}"),
    };

    server.with(|s| s.faults.no_ranges = true);
    let e = io_message(HttpSource::open(&server.url, options()).err().expect("a server without ranges"));
    assert!(e.contains("does not answer range requests"), "{e}");
    server.with(|s| s.faults.no_ranges = false);

    server.with(|s| s.faults.drops = 2);
    let source = HttpSource::open(&server.url, options()).unwrap();
    assert_eq!(source.counts().retries, 2, "two dropped connections, two retries");
    server.with(|s| s.faults.drops = 10);
    let mut out = vec![0u8; 1000];
    let e = source.read_at(200_000, &mut out).expect_err("a connection that always drops");
    assert!(e.contains("after 3 tries"), "{e}");
    server.with(|s| s.faults.drops = 0);
    source.read_at(200_000, &mut out).unwrap();
    assert_eq!(out, bytes[200_000..201_000]);

    server.with(|s| s.faults.corrupt = 1);
    let source = Arc::new(HttpSource::open(&server.url, options()).unwrap());
    let e = Asset::from_source(source, &server.url, Verify::Full).err().expect("a corrupted range");
    assert!(matches!(e, Error::Asset(_)) && e.to_string().contains("checksum"), "{e}");

    let source = Arc::new(HttpSource::open(&server.url, options()).unwrap());
    let asset = Asset::from_source(source.clone(), &server.url, Verify::Full).unwrap();
    server.with(|s| {
        s.etag = "\"v2\"".into();
        let at = s.bytes.len() / 3;
        s.bytes[at] ^= 1;
    });
    let ctx = Context::new(&ContextOptions::default()).unwrap();
    let options = RendererOptions::new(32, 32, 1);
    let e = Renderer::streaming(&ctx, &asset, &options, 8 << 20, &FramePolicy::default())
        .and_then(|mut r| {
            let camera = asset.cameras()[0].resized(32, 32);
            let rendered = (0..20).try_for_each(|i| r.render(&ctx, i as f32 * 0.25, &[camera]).map(|_| ()));
            r.destroy(&ctx);
            rendered
        })
        .expect_err("reads after the file was replaced");
    assert!(e.to_string().contains("changed on the server"), "{e}");
    eprintln!("{} requests served", server.with(|s| s.requests));
}

/// The C ABI's s4d_asset_open_url: a URL opens, a non-URL and an unreachable server are refused.
#[test]
fn the_c_abi_opens_urls() {
    use splat4d::ffi::{s4d_asset_destroy, s4d_asset_open_url, S4dStatus};
    let server = Server::start(demo_bytes());
    let open = |url: &str| {
        let url = std::ffi::CString::new(url).unwrap();
        let mut asset = std::ptr::null_mut();
        let status = unsafe { s4d_asset_open_url(url.as_ptr(), &mut asset) };
        unsafe { s4d_asset_destroy(asset) };
        status
    };
    assert_eq!(open(&server.url), S4dStatus::Ok);
    assert_eq!(open("ftp://127.0.0.1/clip.s4d"), S4dStatus::InvalidArgument);
    // A port nothing listens on: refused at once.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    assert_eq!(open(&format!("http://{closed}/clip.s4d")), S4dStatus::Io);
}
