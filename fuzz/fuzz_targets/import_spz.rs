#![no_main]
//! The Niantic SPZ (gzip v1-3 and zstd v4) importer on arbitrary bytes, then the rest of the pipeline.

#[path = "pipeline.rs"]
mod pipeline;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    pipeline::import_pack_render(splat4d::import::SourceFormat::Spz, data);
});
