#![no_main]
//! The mkkellogg KSPLAT importer on arbitrary bytes, then the rest of the pipeline.

#[path = "pipeline.rs"]
mod pipeline;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    pipeline::import_pack_render(splat4d::import::SourceFormat::Ksplat, data);
});
