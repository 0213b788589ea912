#![no_main]
//! The .s4d reader on arbitrary bytes: an error, or an asset that renders. Each input is also
//! tried with its checksums recomputed, so mutations get past the CRCs and reach the structural
//! checks behind them.

#[path = "pipeline.rs"]
mod pipeline;

use splat4d::asset::format::{ChunkEntry, FileHeader, MAX_CHUNKS};
use splat4d::{Asset, Verify};

fn with_fixed_checksums(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = data.to_vec();
    let header: FileHeader = bytemuck::pod_read_unaligned(out.get(..32)?);
    let n = header.chunk_count.min(MAX_CHUNKS) as usize;
    let table_end = 32 + 32 * n;
    if out.len() < table_end {
        return None;
    }
    let mut entries: Vec<ChunkEntry> =
        (0..n).map(|i| bytemuck::pod_read_unaligned(&out[32 + 32 * i..64 + 32 * i])).collect();
    for e in &mut entries {
        let end = e.offset.checked_add(e.size)?;
        if end <= out.len() as u64 {
            e.checksum = crc32fast::hash(&out[e.offset as usize..end as usize]);
        }
    }
    out[32..table_end].copy_from_slice(bytemuck::cast_slice(&entries));
    let mut h = header;
    h.checksum = 0;
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(bytemuck::bytes_of(&h));
    hasher.update(&out[32..table_end]);
    h.checksum = hasher.finalize();
    out[..32].copy_from_slice(bytemuck::bytes_of(&h));
    Some(out)
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(asset) = Asset::from_bytes(data, Verify::Full) {
        pipeline::render_tiny(&asset);
    }
    if let Some(fixed) = with_fixed_checksums(data) {
        if let Ok(asset) = Asset::from_bytes(&fixed, Verify::Full) {
            pipeline::render_tiny(&asset);
        }
    }
});
