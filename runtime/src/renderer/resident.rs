//! The asset's primitives on the GPU, in pages of [`PAGE`] primitives: one pool buffer per
//! attribute (f16 or f32 as stored; the slice shader reads either), a page's attributes in
//! one slot of each pool. Pools are split into chunks whose ranges fit
//! `maxStorageBufferRange` (128 MiB on lavapipe), so any asset that fits in memory renders.
//!
//! Two ways to fill the slots:
//! - everything resident: a slot per page, uploaded once at creation;
//! - streaming (DESIGN §3): fewer slots than pages, within a memory budget. Each frame asks
//!   for the pages its active runs touch (and, ahead of time, those of the next segment);
//!   missing pages are read from the file ([`crate::asset::Reader`]) into the frame's
//!   staging buffer and copied into free or least recently used slots before its slice pass:
//!   on the upload queue beside the frame before (`super::uploads`), or by the frame's own
//!   command buffer.

use ash::vk;

use crate::asset::format::kind;
use crate::asset::{Asset, Reader};
use crate::error::{Error, Result};
use crate::gpu::{Buffer, Context, MemoryKind};

/// Slice-shader bindings 2..=8, in order.
const ATTRIBUTES: [[u8; 4]; 7] =
    [kind::POSITION, kind::TEMPORAL, kind::ROTATION, kind::SCALE_OPACITY, kind::MOTION, kind::OMEGA, kind::SH];
/// Primitives per page: a multiple of 256, so every binding offset is a multiple of 256 bytes
/// (the largest `minStorageBufferOffsetAlignment` Vulkan allows).
pub const PAGE: u32 = 1024;
const STAGING_BYTES: u64 = 32 << 20;
/// A frame reads ahead at most this fraction (1/n) of the next segment's missing pages.
const PREFETCH_SHARE: usize = 8;
const NONE: u32 = u32::MAX;

/// A range of pool slots' primitives whose attribute ranges can each be bound at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub first: u32,
    pub count: u32,
}

struct Attribute {
    /// `None` for an attribute the asset does not have (the dummy is bound instead).
    pool: Option<Buffer>,
    stride: u64,
    /// Where the attribute's chunk starts in the file.
    file_offset: u64,
}

/// A copy from a frame's staging buffer into a pool.
#[derive(Clone, Copy, Debug)]
pub struct PageCopy {
    pub attribute: usize,
    pub region: vk::BufferCopy,
}

/// What [`Resident::make_resident`] brought in for a frame.
#[derive(Default)]
pub struct Brought {
    /// Copies from the staging buffer (or `overflow`) into the pools.
    pub copies: Vec<PageCopy>,
    /// A staging buffer made for this frame, when its pages did not fit the frame's own.
    pub overflow: Option<Buffer>,
    pub pages: u32,
    /// How many of `pages` the frame needed: they were not read ahead, so it waits for them.
    pub missed: u32,
    /// Whether the copies keep clear of the frame before's slots, so they may run beside it.
    pub beside: bool,
}

pub struct Resident {
    attributes: Vec<Attribute>,
    dummy: Buffer,
    pub chunks: Vec<Chunk>,
    /// `FLAG_*` encoding bits of `shaders/splat.glsl`.
    pub flags: u32,
    primitives: u32,
    /// Streaming's source; `None` when every page is resident.
    reader: Option<Reader>,
    slot_of_page: Vec<u32>,
    page_of_slot: Vec<u32>,
    /// When each slot was last needed, in frames.
    used: Vec<u64>,
}

impl Resident {
    /// Every page resident, uploaded now.
    pub fn upload(ctx: &Context, asset: &Asset) -> Result<Resident> {
        let pages = asset.len().div_ceil(PAGE as usize).max(1) as u32;
        let mut resident = Resident::create(ctx, asset, pages, false)?;
        match resident.fill(ctx, asset) {
            Ok(()) => Ok(resident),
            Err(e) => {
                resident.destroy(ctx);
                Err(e)
            }
        }
    }

    /// Pools within `budget` bytes, filled as frames ask.
    pub fn streaming(ctx: &Context, asset: &Asset, budget: u64) -> Result<Resident> {
        let page_bytes = page_bytes(asset);
        let pages = asset.len().div_ceil(PAGE as usize).max(1) as u64;
        let slots = (budget / page_bytes).min(pages);
        if slots == 0 {
            return Err(Error::InvalidArgument(format!(
                "a GPU memory budget of {budget} bytes holds no page of {PAGE} primitives ({page_bytes} bytes)"
            )));
        }
        let mut resident = Resident::create(ctx, asset, slots as u32, true)?;
        resident.reader = Some(asset.reader());
        resident.slot_of_page = vec![NONE; pages as usize];
        resident.page_of_slot = vec![NONE; slots as usize];
        Ok(resident)
    }

    /// Pools of `slots` pages, empty, and their chunks. With every page resident the pools are
    /// the asset's size; streaming, every slot holds a whole page (any page may land in the
    /// last one).
    fn create(ctx: &Context, asset: &Asset, slots: u32, streaming: bool) -> Result<Resident> {
        let n = asset.len() as u64;
        let usage = vk::BufferUsageFlags::STORAGE_BUFFER | vk::BufferUsageFlags::TRANSFER_DST;
        let dummy = ctx.create_buffer("absent attribute", 16, usage, MemoryKind::Device)?;
        let mut resident = Resident {
            attributes: Vec::new(),
            dummy,
            chunks: Vec::new(),
            flags: 0,
            primitives: asset.len() as u32,
            reader: None,
            slot_of_page: (0..slots).collect(),
            page_of_slot: (0..slots).collect(),
            used: vec![0; slots as usize],
        };
        // `shaders/splat.glsl`'s FLAG_HAS_OMEGA and FLAG_ANTIALIASED.
        if asset.chunk(kind::OMEGA).is_some() {
            resident.flags |= 32;
        }
        if asset.antialiased() {
            resident.flags |= 128;
        }
        let made = (|| {
            for k in ATTRIBUTES {
                let Some(chunk) = asset.chunks().iter().find(|c| c.kind == k) else {
                    resident.attributes.push(Attribute { pool: None, stride: 0, file_offset: 0 });
                    continue;
                };
                if chunk.encoding == 1 {
                    resident.flags |= f16_flag(k);
                }
                let stride = chunk.size.checked_div(n).unwrap_or(0);
                let pages = slots as u64 * PAGE as u64 * stride;
                let size = if streaming { pages } else { pages.min(chunk.size) }.max(stride);
                // Streaming, the upload queue fills the pools too.
                let name = format!("asset {}", chunk.name());
                let pool = ctx.create_buffer_on(&name, size, usage, MemoryKind::Device, streaming)?;
                resident.attributes.push(Attribute { pool: Some(pool), stride, file_offset: chunk.offset });
            }
            Ok(())
        })();
        if let Err(e) = made {
            resident.destroy(ctx);
            return Err(e);
        }
        let max_range = ctx.max_storage_buffer_range();
        let widest = resident.attributes.iter().map(|a| a.stride).max().unwrap_or(0).max(1);
        let per_chunk = (max_range / widest) / PAGE as u64 * PAGE as u64;
        if per_chunk == 0 {
            resident.destroy(ctx);
            return Err(Error::Gpu(format!(
                "a page of {widest}-byte primitives does not fit a {max_range}-byte binding"
            )));
        }
        let total = if streaming { slots as u64 * PAGE as u64 } else { n.max(1) };
        let mut first = 0u64;
        while first < total {
            let count = per_chunk.min(total - first);
            resident.chunks.push(Chunk { first: first as u32, count: count as u32 });
            first += per_chunk;
        }
        Ok(resident)
    }

    /// Uploads every attribute chunk as it is (every page resident, slot k = page k), read from
    /// the asset's file a staging buffer at a time and checked against the chunk's checksum: a
    /// file changed since it was opened fails here instead of drawing other data.
    fn fill(&mut self, ctx: &Context, asset: &Asset) -> Result<()> {
        let staging =
            ctx.create_buffer("asset staging", STAGING_BYTES, vk::BufferUsageFlags::TRANSFER_SRC, MemoryKind::Upload)?;
        let result = (|| {
            let mut block = crate::error::try_vec::<u8>(STAGING_BYTES as usize, "the upload staging")?;
            for (a, kind) in self.attributes.iter().zip(ATTRIBUTES) {
                let (Some(pool), Some(chunk)) = (&a.pool, asset.chunk(kind)) else { continue };
                let mut hasher = crc32fast::Hasher::new();
                let mut at = 0u64;
                while at < chunk.size {
                    let part = &mut block[..(chunk.size - at).min(STAGING_BYTES) as usize];
                    asset.read_section(kind, at, part)?;
                    hasher.update(part);
                    ctx.write(&staging, 0, part)?;
                    let region = [vk::BufferCopy::default().dst_offset(at).size(part.len() as u64)];
                    ctx.submit_and_wait(|d, cmd| unsafe { d.cmd_copy_buffer(cmd, staging.raw, pool.raw, &region) })?;
                    at += part.len() as u64;
                }
                if hasher.finalize() != chunk.checksum {
                    return Err(asset.changed(chunk));
                }
            }
            Ok(())
        })();
        ctx.destroy_buffer(staging);
        result
    }

    /// Buffer, offset and range of slice binding `2 + slot` for `chunk`.
    pub fn binding(&self, slot: usize, chunk: Chunk) -> (vk::Buffer, u64, u64) {
        let a = &self.attributes[slot];
        match &a.pool {
            // A zero range is not a valid binding: an empty asset binds the dummy.
            Some(b) if chunk.count > 0 && a.stride > 0 => {
                let offset = chunk.first as u64 * a.stride;
                (b.raw, offset, (chunk.count as u64 * a.stride).min(b.size - offset))
            }
            _ => (self.dummy.raw, 0, vk::WHOLE_SIZE),
        }
    }

    pub const BINDINGS: usize = ATTRIBUTES.len();

    pub fn is_streaming(&self) -> bool {
        self.reader.is_some()
    }

    /// Bytes of the pools on the GPU: the asset's footprint (the budget's, streaming).
    pub fn pool_bytes(&self) -> u64 {
        self.attributes.iter().filter_map(|a| a.pool.as_ref()).map(|b| b.size).sum()
    }

    /// Bytes of pages held in the pools now.
    pub fn bytes(&self) -> u64 {
        let held = self.page_of_slot.iter().filter(|&&p| p != NONE).count() as u64;
        (held * PAGE as u64 * self.page_stride()).min(self.pool_bytes())
    }

    /// Bytes of one primitive across every attribute.
    fn page_stride(&self) -> u64 {
        self.attributes.iter().map(|a| a.stride).sum()
    }

    pub fn slot_count(&self) -> usize {
        self.page_of_slot.len()
    }

    /// Where the primitives of `pieces` (first, end, level; their pages resident) are in the
    /// pools: (chunk, [first in the chunk, count, 0, level]), in chunk order.
    pub fn place(&self, pieces: &[(u32, u32, u32)]) -> Vec<(usize, [u32; 4])> {
        let mut placed = Vec::with_capacity(pieces.len());
        let mut push = |pool_first: u32, count: u32, level: u32| {
            // Chunks are consecutive ranges of the pools: split at their bounds.
            let (mut first, mut left) = (pool_first, count);
            while left > 0 {
                let c = self.chunks.partition_point(|c| c.first + c.count <= first);
                let chunk = self.chunks[c];
                let n = left.min(chunk.first + chunk.count - first);
                placed.push((c, [first - chunk.first, n, 0, level]));
                first += n;
                left -= n;
            }
        };
        for &(first, end, level) in pieces {
            if !self.is_streaming() {
                push(first, end - first, level);
                continue;
            }
            // A page's primitives sit together in its slot: split at pages.
            let mut at = first;
            while at < end {
                let page_end = ((at / PAGE + 1) * PAGE).min(end);
                let slot = self.slot_of_page[(at / PAGE) as usize];
                debug_assert_ne!(slot, NONE, "page of primitive {at} is not resident");
                push(slot * PAGE + at % PAGE, page_end - at, level);
                at = page_end;
            }
        }
        placed.sort_by_key(|p| p.0);
        placed
    }

    /// The pages holding the primitives of `pieces` (first, end, level), sorted.
    pub fn pages_of(pieces: &[(u32, u32, u32)]) -> Vec<u32> {
        let mut pages: Vec<u32> = pieces.iter().flat_map(|&(first, end, _)| first / PAGE..end.div_ceil(PAGE)).collect();
        pages.sort_unstable();
        pages.dedup();
        pages
    }

    pub fn page_count(&self) -> usize {
        (self.primitives as usize).div_ceil(PAGE as usize).max(1)
    }

    /// Makes the pages of `needed` (sorted page numbers) resident for frame `serial`, then as
    /// many of `wanted` (the next segment's) as `prefetch_bytes` allows, reading them into
    /// `staging` (or a larger buffer made for the frame, when the needed pages do not fit).
    /// With `beside`, the copies are to run beside the frame before (`serial - 1`), so they
    /// keep clear of the slots it reads or fills, where the needed pages fit without them;
    /// where they do not, or without `beside`, the copies must run in the frame itself.
    pub fn make_resident(
        &mut self,
        ctx: &Context,
        needed: &[u32],
        wanted: &[u32],
        prefetch_bytes: u64,
        (serial, beside): (u64, bool),
        staging: &Buffer,
    ) -> Result<Brought> {
        let Some(reader) = self.reader.clone() else { return Ok(Brought::default()) };
        if needed.len() > self.slot_count() {
            return Err(Error::InvalidArgument(format!(
                "the frame needs {} pages of {PAGE} primitives; the GPU memory budget holds {}",
                needed.len(),
                self.slot_count()
            )));
        }
        for &p in needed {
            let slot = self.slot_of_page[p as usize];
            if slot != NONE {
                self.used[slot as usize] = serial;
            }
        }
        let page_bytes = (PAGE as u64 * self.page_stride()).max(1);
        let missing: Vec<u32> = needed.iter().copied().filter(|&p| self.slot_of_page[p as usize] == NONE).collect();
        // Slots: free ones first, then the least recently used that this frame (and, for
        // copies beside it, the frame before) does not touch.
        let candidates = |since: u64| {
            let mut c: Vec<u32> = (0..self.slot_count() as u32)
                .filter(|&s| self.page_of_slot[s as usize] == NONE || self.used[s as usize] < since)
                .collect();
            c.sort_by_key(|&s| (self.page_of_slot[s as usize] != NONE, self.used[s as usize]));
            c
        };
        let mut beside = beside;
        let mut slots = if beside { candidates(serial.saturating_sub(1)) } else { Vec::new() };
        if slots.len() < missing.len() {
            beside = false;
        }
        if !beside {
            slots = candidates(serial);
        }
        // Prefetch only into slots nobody needs now, never more than the allowance, and an
        // eighth of what is missing per frame: the reading is spread over the segment's
        // first frames instead of landing on one.
        let ahead: Vec<u32> = wanted
            .iter()
            .copied()
            .filter(|&p| self.slot_of_page[p as usize] == NONE && needed.binary_search(&p).is_err())
            .collect();
        let share = ahead.len().div_ceil(PREFETCH_SHARE);
        let room = slots.len() - missing.len();
        let prefetch: Vec<u32> =
            ahead.into_iter().take(share.min((prefetch_bytes / page_bytes) as usize).min(room)).collect();
        let mut pages: Vec<u32> = missing.iter().chain(&prefetch).copied().collect();
        if pages.is_empty() {
            return Ok(Brought { beside, ..Brought::default() });
        }
        let bytes = pages.len() as u64 * page_bytes;
        let overflow = if bytes > staging.size {
            Some(ctx.create_buffer_on(
                "page staging",
                bytes,
                vk::BufferUsageFlags::TRANSFER_SRC,
                MemoryKind::Upload,
                true,
            )?)
        } else {
            None
        };
        let target = overflow.as_ref().unwrap_or(staging);
        let mut copies = Vec::new();
        let mut data = Vec::new();
        let mut at = 0u64;
        for (n, (&page, &slot)) in pages.iter().zip(&slots).enumerate() {
            let first = page as u64 * PAGE as u64;
            let count = (PAGE as u64).min(self.primitives as u64 - first);
            let copied = copies.len();
            let read = (|| {
                for (index, a) in self.attributes.iter().enumerate() {
                    if a.pool.is_none() {
                        continue;
                    }
                    let size = count * a.stride;
                    data.resize(size as usize, 0);
                    reader.read_at(a.file_offset + first * a.stride, &mut data)?;
                    ctx.write(target, at, &data)?;
                    let dst_offset = slot as u64 * PAGE as u64 * a.stride;
                    copies.push(PageCopy {
                        attribute: index,
                        region: vk::BufferCopy { src_offset: at, dst_offset, size },
                    });
                    at += size;
                }
                Ok(())
            })();
            match read {
                Ok(()) => {}
                // A page read ahead that cannot be read is left for the frame that needs it.
                Err(e) if n >= missing.len() => {
                    log::warn!("reading ahead stopped: {e}");
                    copies.truncate(copied);
                    pages.truncate(n);
                    break;
                }
                Err(e) => {
                    if let Some(b) = overflow {
                        ctx.destroy_buffer(b);
                    }
                    return Err(e);
                }
            }
        }
        // Every read succeeded: now the tables change. A page read ahead counts as used by the
        // frame before when its copy runs apart (the next upload may refill its slot), by this
        // frame when the frame copies it (an upload beside the frame must not).
        for (&page, &slot) in pages.iter().zip(&slots) {
            let old = self.page_of_slot[slot as usize];
            if old != NONE {
                self.slot_of_page[old as usize] = NONE;
            }
            self.page_of_slot[slot as usize] = page;
            self.slot_of_page[page as usize] = slot;
            let ahead = missing.binary_search(&page).is_err();
            self.used[slot as usize] = if ahead && beside { serial.saturating_sub(1) } else { serial };
        }
        Ok(Brought { copies, overflow, pages: pages.len() as u32, missed: missing.len() as u32, beside })
    }

    /// The pool buffer of attribute `index` (present for every copy `make_resident` makes).
    pub fn pool(&self, index: usize) -> vk::Buffer {
        self.attributes[index].pool.as_ref().map_or(vk::Buffer::null(), |b| b.raw)
    }

    pub fn destroy(self, ctx: &Context) {
        for a in self.attributes {
            if let Some(b) = a.pool {
                ctx.destroy_buffer(b);
            }
        }
        ctx.destroy_buffer(self.dummy);
    }
}

/// Bytes of a page of primitives across every attribute chunk.
pub fn page_bytes(asset: &Asset) -> u64 {
    let n = asset.len().max(1) as u64;
    let per_primitive: u64 =
        ATTRIBUTES.iter().filter_map(|k| asset.chunks().iter().find(|c| c.kind == *k)).map(|c| c.size / n).sum();
    per_primitive.max(1) * PAGE as u64
}

fn f16_flag(k: [u8; 4]) -> u32 {
    match k {
        kind::ROTATION => 1,
        kind::SCALE_OPACITY => 2,
        kind::MOTION => 4,
        kind::OMEGA => 8,
        kind::SH => 16,
        _ => 0,
    }
}
