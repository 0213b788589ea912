//! Writes the `.s4d` layout (`asset::format`) to any seekable output, a chunk at a time: the
//! per-primitive chunks are gathered in pack order into a small buffer as they are written,
//! never assembled in memory, and the header and chunk table (which hold every chunk's
//! checksum) are written last, over the space kept for them at the start.

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use crate::asset::format::*;
use crate::error::{Error, Result};

/// A chunk as the file will hold it.
pub struct Chunk<'a> {
    pub kind: [u8; 4],
    pub encoding: Encoding,
    /// Bytes per element.
    pub stride: u32,
    pub body: Body<'a>,
}

/// Appends element `i` of a chunk to a buffer.
pub type WriteElement<'a> = Box<dyn Fn(usize, &mut Vec<u8>) + Sync + 'a>;

pub enum Body<'a> {
    Bytes(Vec<u8>),
    /// `count` elements of `stride` bytes, element `i` appended by `write(i, out)`.
    Elements {
        count: u64,
        write: WriteElement<'a>,
    },
}

impl Chunk<'_> {
    pub fn pod<T: bytemuck::Pod>(kind: [u8; 4], items: &[T]) -> Chunk<'static> {
        Chunk {
            kind,
            encoding: Encoding::F32,
            stride: std::mem::size_of::<T>() as u32,
            body: Body::Bytes(bytemuck::cast_slice(items).to_vec()),
        }
    }

    pub fn text(kind: [u8; 4], text: &str) -> Chunk<'static> {
        Chunk { kind, encoding: Encoding::F32, stride: 1, body: Body::Bytes(text.as_bytes().to_vec()) }
    }

    fn size(&self) -> u64 {
        match &self.body {
            Body::Bytes(b) => b.len() as u64,
            Body::Elements { count, .. } => count * self.stride as u64,
        }
    }
}

/// Bytes gathered before they are handed to the output.
const BLOCK: usize = 1 << 20;

/// Writes `chunks` to `out` (from its current position, which must be its start) and returns
/// the file's size. `name` names the output in errors.
pub fn write<W: Write + Seek>(chunks: &[Chunk], out: &mut W, name: &Path) -> Result<u64> {
    let io = |e: std::io::Error| Error::io(name, e);
    let align = |v: u64| v.div_ceil(ALIGN) * ALIGN;
    let header_size = (std::mem::size_of::<FileHeader>() + chunks.len() * std::mem::size_of::<ChunkEntry>()) as u64;
    let mut offset = align(header_size);
    let mut entries = Vec::with_capacity(chunks.len());
    for c in chunks {
        let size = c.size();
        entries.push(ChunkEntry {
            kind: c.kind,
            encoding: c.encoding as u16,
            reserved: 0,
            stride: c.stride,
            checksum: 0,
            offset,
            size,
        });
        offset = align(offset + size);
    }
    let file_size = offset;

    // The header's room first; then each chunk at its offset, checksummed as it goes out.
    let mut at = 0u64;
    let pad = |out: &mut W, at: &mut u64, to: u64| -> Result<()> {
        out.write_all(&vec![0u8; (to - *at) as usize]).map_err(io)?;
        *at = to;
        Ok(())
    };
    for (c, e) in chunks.iter().zip(entries.iter_mut()) {
        pad(out, &mut at, e.offset)?;
        let mut hasher = crc32fast::Hasher::new();
        match &c.body {
            Body::Bytes(b) => {
                hasher.update(b);
                out.write_all(b).map_err(io)?;
            }
            Body::Elements { count, write } => {
                let mut block = Vec::with_capacity(BLOCK + c.stride as usize);
                for i in 0..*count as usize {
                    write(i, &mut block);
                    if block.len() >= BLOCK {
                        hasher.update(&block);
                        out.write_all(&block).map_err(io)?;
                        block.clear();
                    }
                }
                hasher.update(&block);
                out.write_all(&block).map_err(io)?;
            }
        }
        e.checksum = hasher.finalize();
        at += e.size;
    }
    pad(out, &mut at, file_size)?;

    let mut header = FileHeader {
        magic: MAGIC,
        version_major: VERSION_MAJOR,
        version_minor: VERSION_MINOR,
        chunk_count: chunks.len() as u32,
        file_size,
        flags: 0,
        checksum: 0,
    };
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(bytemuck::bytes_of(&header));
    hasher.update(bytemuck::cast_slice(&entries));
    header.checksum = hasher.finalize();
    out.seek(SeekFrom::Start(0)).map_err(io)?;
    out.write_all(bytemuck::bytes_of(&header)).map_err(io)?;
    out.write_all(bytemuck::cast_slice(&entries)).map_err(io)?;
    out.seek(SeekFrom::Start(file_size)).map_err(io)?;
    Ok(file_size)
}
