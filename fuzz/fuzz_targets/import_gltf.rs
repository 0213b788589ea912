#![no_main]
//! The glTF/GLB KHR_gaussian_splatting importer on arbitrary bytes, then the rest of the pipeline.

#[path = "pipeline.rs"]
mod pipeline;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    pipeline::import_pack_render(splat4d::import::SourceFormat::Gltf, data);
});
