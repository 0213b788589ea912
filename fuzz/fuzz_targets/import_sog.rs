#![no_main]
//! The PlayCanvas SOG bundle (zip of meta.json and WebP images) importer on arbitrary bytes, then the rest of the pipeline.

#[path = "pipeline.rs"]
mod pipeline;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    pipeline::import_pack_render(splat4d::import::SourceFormat::Sog, data);
});
