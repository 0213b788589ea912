#![allow(dead_code)]
//! What every fuzz target runs after its own entry point: whatever is accepted must survive the
//! rest of the pipeline (pack, reopen, slice and render a tiny frame) without a panic.

use splat4d::import::{import_as, ImportOptions, SourceFormat};
use splat4d::pack::{pack, NoProgress, PackOptions};
use splat4d::reference::{render, RenderSettings};
use splat4d::{camera::orbit_cameras, glam::Vec3, Asset, Verify};

pub fn render_tiny(asset: &Asset) {
    let f = asset.info().focus;
    for camera in orbit_cameras(Vec3::new(f[0], f[1], f[2]), f[3], 1, 16, 12) {
        let [t0, t1] = asset.info().time_range;
        for t in [t0, 0.5 * (t0 + t1), t1] {
            render(asset, t, &camera, &RenderSettings::default()).expect("a valid asset's attributes read");
        }
    }
}

pub fn import_pack_render(format: SourceFormat, data: &[u8]) {
    let options = ImportOptions { time_range: Some([0.0, 1.0]), ..Default::default() };
    let Ok(splats) = import_as(format, "fuzz", data, &options) else { return };
    let bytes = pack(&splats, &PackOptions::default(), &NoProgress).expect("imported splats must pack");
    let asset = Asset::from_bytes(&bytes, Verify::Full).expect("packed bytes must reopen");
    render_tiny(&asset);
}
