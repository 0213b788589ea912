//! The asset's primitives resident on the GPU: every attribute chunk of the mapped `.s4d`
//! copied as it is (f16 or f32; the slice shader reads either) into one device buffer per
//! attribute, split into chunks whose ranges fit `maxStorageBufferRange` (128 MiB on lavapipe),
//! so any asset that fits in memory renders.

use ash::vk;

use crate::asset::format::kind;
use crate::asset::Asset;
use crate::error::{Error, Result};
use crate::gpu::{Buffer, Context, MemoryKind};

/// Slice-shader bindings 2..=8, in order.
const ATTRIBUTES: [[u8; 4]; 7] =
    [kind::POSITION, kind::TEMPORAL, kind::ROTATION, kind::SCALE_OPACITY, kind::MOTION, kind::OMEGA, kind::SH];
/// Chunks start at multiples of this many primitives, so every binding offset is a multiple of
/// 256 bytes: the largest `minStorageBufferOffsetAlignment` Vulkan allows.
const CHUNK_ALIGN: u64 = 256;
const STAGING_BYTES: u64 = 32 << 20;

/// A range of primitives whose attribute ranges can each be bound at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub first: u32,
    pub count: u32,
}

struct Attribute {
    /// `None` for an attribute the asset does not have (the dummy is bound instead).
    buffer: Option<Buffer>,
    stride: u64,
}

pub struct Resident {
    attributes: Vec<Attribute>,
    dummy: Buffer,
    pub chunks: Vec<Chunk>,
    /// `FLAG_*` encoding bits of `shaders/splat.glsl`.
    pub flags: u32,
}

impl Resident {
    pub fn upload(ctx: &Context, asset: &Asset) -> Result<Resident> {
        let n = asset.len() as u64;
        let usage = vk::BufferUsageFlags::STORAGE_BUFFER | vk::BufferUsageFlags::TRANSFER_DST;
        let dummy = ctx.create_buffer("absent attribute", 16, usage, MemoryKind::Device)?;
        let mut resident = Resident { attributes: Vec::new(), dummy, chunks: Vec::new(), flags: 0 };
        match resident.fill(ctx, asset, n, usage) {
            Ok(()) => Ok(resident),
            Err(e) => {
                resident.destroy(ctx);
                Err(e)
            }
        }
    }

    fn fill(&mut self, ctx: &Context, asset: &Asset, n: u64, usage: vk::BufferUsageFlags) -> Result<()> {
        let bytes = asset.bytes();
        let f16_flag = |k: [u8; 4]| match k {
            kind::ROTATION => 1,
            kind::SCALE_OPACITY => 2,
            kind::MOTION => 4,
            kind::OMEGA => 8,
            kind::SH => 16,
            _ => 0,
        };
        if asset.omega().is_some() {
            self.flags |= 32;
        }
        let staging =
            ctx.create_buffer("asset staging", STAGING_BYTES, vk::BufferUsageFlags::TRANSFER_SRC, MemoryKind::Upload)?;
        let result = (|| {
            for k in ATTRIBUTES {
                let Some(chunk) = asset.chunks().iter().find(|c| c.kind == k) else {
                    self.attributes.push(Attribute { buffer: None, stride: 0 });
                    continue;
                };
                if chunk.encoding == 1 {
                    self.flags |= f16_flag(k);
                }
                let stride = chunk.size.checked_div(n).unwrap_or(0);
                let name = format!("asset {}", chunk.name());
                let buffer = ctx.create_buffer(&name, chunk.size, usage, MemoryKind::Device)?;
                let data = &bytes[chunk.offset as usize..(chunk.offset + chunk.size) as usize];
                let copied = (|| {
                    for (i, part) in data.chunks(STAGING_BYTES as usize).enumerate() {
                        ctx.write(&staging, 0, part)?;
                        let region =
                            [vk::BufferCopy::default().dst_offset(i as u64 * STAGING_BYTES).size(part.len() as u64)];
                        ctx.submit_and_wait(|d, cmd| unsafe {
                            d.cmd_copy_buffer(cmd, staging.raw, buffer.raw, &region)
                        })?;
                    }
                    Ok(())
                })();
                self.attributes.push(Attribute { buffer: Some(buffer), stride });
                copied?;
            }
            Ok(())
        })();
        ctx.destroy_buffer(staging);
        result?;

        let max_range = ctx.max_storage_buffer_range();
        let widest = self.attributes.iter().map(|a| a.stride).max().unwrap_or(0).max(1);
        let per_chunk = (max_range / widest) / CHUNK_ALIGN * CHUNK_ALIGN;
        if per_chunk == 0 {
            return Err(Error::Gpu(format!("a primitive of {widest} bytes does not fit a {max_range}-byte binding")));
        }
        let mut first = 0u64;
        while first < n.max(1) {
            let count = per_chunk.min(n - first.min(n));
            self.chunks.push(Chunk { first: first as u32, count: count as u32 });
            first += per_chunk;
        }
        Ok(())
    }

    /// Buffer, offset and range of slice binding `2 + slot` for `chunk`.
    pub fn binding(&self, slot: usize, chunk: Chunk) -> (vk::Buffer, u64, u64) {
        let a = &self.attributes[slot];
        match &a.buffer {
            Some(b) if chunk.count > 0 => (b.raw, chunk.first as u64 * a.stride, chunk.count as u64 * a.stride),
            _ => (self.dummy.raw, 0, vk::WHOLE_SIZE),
        }
    }

    pub const BINDINGS: usize = ATTRIBUTES.len();

    /// Bytes of the asset's attributes on the GPU.
    pub fn bytes(&self) -> u64 {
        self.attributes.iter().filter_map(|a| a.buffer.as_ref()).map(|b| b.size).sum()
    }

    pub fn destroy(self, ctx: &Context) {
        for a in self.attributes {
            if let Some(b) = a.buffer {
                ctx.destroy_buffer(b);
            }
        }
        ctx.destroy_buffer(self.dummy);
    }
}
