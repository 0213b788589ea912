//! Where an asset's bytes come from: its file, read with `pread` (never mapped, so a file cut
//! short or rewritten while open is an error and not a SIGBUS), a copy held in memory, or a
//! [`Source`] of the host's (its own file API, an app package, a decryption layer).

use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use crate::error::{Error, Result};

/// Bytes the host reads for splat4d. `read_at` is called from whichever thread opens the asset,
/// creates a renderer or renders a frame (a streaming renderer reads its pages then), at times
/// from several at once for different ranges; it is never called for bytes past `len`.
pub trait Source: Send + Sync {
    /// The asset's size in bytes, the same for the source's life.
    fn size(&self) -> u64;
    /// Fills `out` with the bytes at `offset`, all of them, or says why not.
    fn read_at(&self, offset: u64, out: &mut [u8]) -> std::result::Result<(), String>;
}

/// Reads ranges of an asset's bytes, for as long as any holder keeps it (a renderer streaming
/// pages keeps one after the asset is gone).
#[derive(Clone)]
pub struct Reader {
    source: Origin,
    path: Arc<str>,
}

#[derive(Clone)]
enum Origin {
    File { file: Arc<File>, stamp: Stamp },
    Memory { words: Arc<Vec<u64>>, len: usize },
    Host { source: Arc<dyn Source>, len: u64 },
}

/// What says a file is the one that was opened: a write or a truncation changes one of them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    fn of(file: &File) -> std::io::Result<Stamp> {
        let m = file.metadata()?;
        Ok(Stamp { len: m.len(), modified: m.modified().ok() })
    }
}

fn bad(msg: String) -> Error {
    Error::Asset(msg)
}

impl Reader {
    /// A reader of the regular file at `path` as it is now.
    pub(crate) fn open(path: &Path) -> Result<Reader> {
        let file = crate::fs::open_regular(path)?;
        let stamp = Stamp::of(&file).map_err(|e| Error::io(path, e))?;
        Ok(Reader { source: Origin::File { file: Arc::new(file), stamp }, path: path.display().to_string().into() })
    }

    /// A reader of a copy of `bytes` (8-byte aligned, so that tables can be cast in place).
    pub(crate) fn memory(bytes: &[u8]) -> Result<Reader> {
        let mut words = crate::error::try_vec::<u64>(bytes.len().div_ceil(8), "an asset held in memory")?;
        bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..bytes.len()].copy_from_slice(bytes);
        Ok(Reader { source: Origin::Memory { words: Arc::new(words), len: bytes.len() }, path: "<memory>".into() })
    }

    /// A reader of the host's `source`, named `name` in messages.
    pub(crate) fn host(source: Arc<dyn Source>, name: &str) -> Reader {
        let len = source.size();
        Reader { source: Origin::Host { source, len }, path: name.into() }
    }

    /// The asset's size when it was opened.
    pub fn len(&self) -> u64 {
        match &self.source {
            Origin::File { stamp, .. } => stamp.len,
            Origin::Memory { len, .. } => *len as u64,
            Origin::Host { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where it came from, for messages (`<memory>` for bytes held in memory).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Fills `out` with the bytes at `offset`. Fails, instead of returning other bytes, where
    /// the file has been cut short or written since it was opened.
    pub fn read_at(&self, offset: u64, out: &mut [u8]) -> Result<()> {
        let end = offset.checked_add(out.len() as u64).filter(|&e| e <= self.len());
        let Some(end) = end else {
            return Err(bad(format!("{}: a read past the end of the {}-byte asset", self.path, self.len())));
        };
        match &self.source {
            Origin::File { file, stamp } => {
                use std::os::unix::fs::FileExt;
                let read = file.read_exact_at(out, offset);
                // Checked after the read: a change that raced with it shows here too, since a
                // write updates the modification time before it changes the bytes.
                let now = Stamp::of(file).map_err(|e| Error::io(Path::new(&*self.path), e))?;
                if now != *stamp {
                    let how = match now.len.cmp(&stamp.len) {
                        std::cmp::Ordering::Equal => "was written to",
                        std::cmp::Ordering::Less => "was truncated",
                        std::cmp::Ordering::Greater => "grew",
                    };
                    let sizes = match now.len == stamp.len {
                        true => String::new(),
                        false => format!(" ({} bytes then, {} now)", stamp.len, now.len),
                    };
                    return Err(bad(format!(
                        "{}: the file {how} after it was opened{sizes}; open it again",
                        self.path
                    )));
                }
                read.map_err(|e| match e.kind() {
                    std::io::ErrorKind::UnexpectedEof => {
                        bad(format!("{}: ends before byte {end} (truncated while open?)", self.path))
                    }
                    _ => Error::io(Path::new(&*self.path), e),
                })
            }
            Origin::Memory { words, len } => {
                let bytes = &bytemuck::cast_slice::<u64, u8>(words)[..*len];
                out.copy_from_slice(&bytes[offset as usize..end as usize]);
                Ok(())
            }
            Origin::Host { .. } if out.is_empty() => Ok(()),
            Origin::Host { source, .. } => source.read_at(offset, out).map_err(|why| {
                let e = std::io::Error::other(format!("the host's reader failed at {offset}..{end}: {why}"));
                Error::io(Path::new(&*self.path), e)
            }),
        }
    }

    /// `len` bytes at `offset` in 8-byte aligned memory: shared with the reader where it holds
    /// the asset in memory, read from the file where not. Returns the words and where in them
    /// the bytes start.
    pub(crate) fn aligned(&self, offset: u64, len: u64, what: &str) -> Result<(Arc<Vec<u64>>, usize)> {
        match &self.source {
            Origin::Memory { words, .. } if offset % 8 == 0 && offset + len <= self.len() => {
                Ok((words.clone(), offset as usize))
            }
            _ => {
                let mut words = crate::error::try_vec::<u64>((len as usize).div_ceil(8), what)?;
                self.read_at(offset, &mut bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..len as usize])?;
                Ok((Arc::new(words), 0))
            }
        }
    }

    /// The CRC-32 of `len` bytes at `offset`, read a block at a time.
    pub(crate) fn checksum(&self, offset: u64, len: u64) -> Result<u32> {
        let mut hasher = crc32fast::Hasher::new();
        let mut block = vec![0u8; (len as usize).min(1 << 20)];
        let mut at = 0u64;
        while at < len {
            let n = (len - at).min(block.len() as u64) as usize;
            self.read_at(offset + at, &mut block[..n])?;
            hasher.update(&block[..n]);
            at += n as u64;
        }
        Ok(hasher.finalize())
    }
}
