//! Files in and out, the way every part of splat4d opens and writes them: inputs must be regular
//! files (a FIFO, a device or a folder where a file is expected is an error, never a hang), and
//! outputs are written whole or not at all (a temporary file beside the output, synced, checked
//! by the caller, then renamed over it).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Opens `path` for reading if it is a regular file (after symlinks). The open does not block:
/// a FIFO is refused before anything waits for a writer.
pub fn open_regular(path: &Path) -> Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Non-blocking only for the open itself (a FIFO's open waits for a writer); reads of a
        // regular file never block, whatever the flag says.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| Error::io(path, e))?;
    let kind = file.metadata().map_err(|e| Error::io(path, e))?.file_type();
    if !kind.is_file() {
        return Err(Error::io(path, std::io::Error::new(std::io::ErrorKind::InvalidInput, not_regular(kind))));
    }
    Ok(file)
}

fn not_regular(kind: std::fs::FileType) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let what = if kind.is_dir() {
            "a folder"
        } else if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_socket() {
            "a socket"
        } else if kind.is_block_device() || kind.is_char_device() {
            "a device"
        } else {
            "something else"
        };
        format!("not a regular file ({what})")
    }
    #[cfg(not(unix))]
    {
        let _ = kind;
        "not a regular file".into()
    }
}

/// An output being written: a temporary file beside `path` until [`Output::commit`] renames it
/// over `path`. Dropped without a commit, it is removed and `path` is as it was.
pub struct Output {
    path: PathBuf,
    temporary: PathBuf,
    file: Option<BufWriter<File>>,
}

impl Output {
    /// Starts writing `path` (its folder must exist).
    pub fn create(path: &Path) -> Result<Output> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static SERIAL: AtomicU32 = AtomicU32::new(0);
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut tries = 0;
        loop {
            // Beside the output, so that the rename stays on one file system; hidden, and
            // unique to this process and call.
            let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
            let temporary = path.with_file_name(format!(".{name}.{}-{serial}.partial", std::process::id()));
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                // As a plain create makes it (the umask applies): readable by others.
                options.mode(0o666);
            }
            match options.open(&temporary) {
                Ok(f) => {
                    return Ok(Output {
                        path: path.to_path_buf(),
                        temporary,
                        file: Some(BufWriter::with_capacity(1 << 20, f)),
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && tries < 100 => tries += 1,
                Err(e) => return Err(Error::io(path, e)),
            }
        }
    }

    /// Where the bytes are until the commit (to check them from the file).
    pub fn temporary_path(&self) -> &Path {
        &self.temporary
    }

    fn writer(&mut self) -> &mut BufWriter<File> {
        self.file.as_mut().expect("an output is written until it is committed")
    }

    /// The file being written, for seeking back (buffered writes are flushed first).
    pub fn file(&mut self) -> Result<&mut File> {
        let path = self.path.clone();
        let w = self.writer();
        w.flush().map_err(|e| Error::io(&path, e))?;
        Ok(w.get_mut())
    }

    /// Flushes and syncs what was written, so that a full disk shows now, not after the
    /// rename; the file stays temporary.
    pub fn finish(&mut self) -> Result<()> {
        let path = self.path.clone();
        let w = self.writer();
        w.flush().map_err(|e| Error::io(&path, e))?;
        w.get_ref().sync_all().map_err(|e| Error::io(&path, e))
    }

    /// Finishes (if not done) and renames the file over `path`.
    pub fn commit(mut self) -> Result<()> {
        self.finish()?;
        drop(self.file.take());
        std::fs::rename(&self.temporary, &self.path).map_err(|e| Error::io(&self.path, e))
    }

    /// Writes `bytes` to `path` whole or not at all.
    pub fn write_all(path: &Path, bytes: &[u8]) -> Result<()> {
        let mut out = Output::create(path)?;
        out.write_all(bytes).map_err(|e| Error::io(path, e))?;
        out.commit()
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // Not committed (or the rename failed): the partial file goes, the old one stays.
        if self.file.take().is_some() || self.temporary.exists() {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer().write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_files_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let e = open_regular(dir.path()).unwrap_err().to_string();
        assert!(e.contains("not a regular file (a folder)"), "{e}");
        let fifo = dir.path().join("f.ply");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = open_regular(&fifo).unwrap_err().to_string();
        assert!(e.contains("not a regular file (a FIFO)") && e.contains("f.ply"), "{e}");
        let e = open_regular(Path::new("/dev/null")).unwrap_err().to_string();
        assert!(e.contains("a device"), "{e}");
        std::fs::write(dir.path().join("ok"), b"x").unwrap();
        assert!(open_regular(&dir.path().join("ok")).is_ok());
    }

    #[test]
    fn an_output_replaces_its_file_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        std::fs::write(&path, b"old").unwrap();
        let mut out = Output::create(&path).unwrap();
        out.write_all(b"new, half").unwrap();
        drop(out);
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "the temporary file is gone");
        Output::write_all(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode & 0o600, 0o600, "{mode:o}");
        }
        let e = Output::create(&dir.path().join("no/such/dir/x")).err().unwrap().to_string();
        assert!(e.contains("no/such/dir/x: No such file or directory") && !e.contains("partial"), "{e}");
    }
}
