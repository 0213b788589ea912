//! Helpers shared by the integration tests: where the shared test assets are, packing, and
//! holding images to one another (image.rs, which the CLI's tests share).
#![allow(dead_code)]

pub mod http_server;
pub mod image;
pub mod monado;

#[allow(unused_imports)]
pub use image::{check_image, lit, psnr, REFERENCE_DB};

use std::path::PathBuf;

use splat4d::import::{import_paths, ImportOptions};
use splat4d::pack::{pack, NoProgress, PackOptions};
use splat4d::{Asset, Splats, Verify};

/// Says that a part of a test could not run on this machine (the device lacks what it needs),
/// where `cargo test` shows it even when the test passes: written to the process's stderr,
/// past the harness's capture of `eprintln!`. CI's log then lists every path it did not test.
pub fn skipped(what: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED on this machine: {what}");
}

/// Whether this run rewrites the checked-in expectations (golden images, the header) instead
/// of checking them: only where `SPLAT4D_BLESS` is exactly `1`. Any other value is a mistake
/// (`0`, empty, `yes`) and fails the test rather than blessing or checking silently.
pub fn bless() -> bool {
    match std::env::var("SPLAT4D_BLESS") {
        Err(std::env::VarError::NotPresent) => false,
        Ok(v) if v == "1" => {
            eprintln!("SPLAT4D_BLESS=1: rewriting the checked-in files instead of checking them");
            true
        }
        other => panic!("SPLAT4D_BLESS is {other:?}: set it to 1 to rewrite golden files and the header, or unset it"),
    }
}

/// `$SPLAT4D_ASSETS`, else `../shared/assets` beside the checkout. Missing assets fail the
/// test with a message: a test that needs real data never passes without it.
pub fn assets() -> PathBuf {
    let dir = std::env::var_os("SPLAT4D_ASSETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/assets"));
    assert!(
        dir.join("README.md").is_file(),
        "shared test assets not found at {} (set SPLAT4D_ASSETS to the shared/assets folder)",
        dir.display()
    );
    dir
}

/// Every shared asset: (short name, path relative to the assets folder).
pub const SHARED: &[(&str, &str)] = &[
    ("technicolor-sam", "4d/technicolor-sam.splatv"),
    ("coffee10-defective", "4d/coffee10-defective.splatv"),
    ("fireworks-timesliced", "4d/fireworks-timesliced.splatv"),
    ("fireworks-frames", "4d/fireworks-frames"),
    ("fruit-drops-sh3", "3d/fruit-drops-sh3.ply"),
    ("lod-tile", "3d/lod-tile-unnormalized-quats.ply"),
    ("minimal", "3d/minimal.splat"),
];

pub fn import(rel: &str) -> Splats {
    import_paths(&[assets().join(rel)], &ImportOptions::default()).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

pub fn pack_bytes(splats: &Splats, full_precision: bool) -> Vec<u8> {
    let options = PackOptions { full_precision, ..PackOptions::default() };
    pack(splats, &options, &NoProgress).expect("pack")
}

pub fn pack_open(splats: &Splats, full_precision: bool) -> Asset {
    Asset::from_bytes(&pack_bytes(splats, full_precision), Verify::Full).expect("open packed asset")
}
