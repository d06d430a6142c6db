//! A file's bytes, for [`read_path`](super::read_path): refusing what is not a regular
//! file before it can block or stream forever, then mapping or reading it under the byte
//! limit.
//!
//! A large file is memory-mapped: the parsers read the page cache directly instead of a
//! heap copy of the whole file (for a 52 MB STL that copy was 8.5% of a quote's time in
//! the kernel's `_copy_to_iter`, issue 12). Where mapping is not possible (a file system
//! without `mmap`, an address-space limit) the file is read into the heap as before.

use std::io::Read;
use std::ops::Deref;
use std::path::Path;

use super::MeshError;

/// What a path that is not a regular file is, for the error.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// Opens `path` for reading without blocking: `O_NONBLOCK` makes `open` return at once
/// even if a FIFO was put in the file's place after it was checked (on a regular file
/// the flag changes nothing).
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// Files from this size up are mapped; below it a read costs less than setting up and
/// tearing down a mapping, and the copy is too small to matter.
const MAP_FROM_BYTES: u64 = 1 << 20;

/// A file's contents: mapped from the page cache, or read into the heap.
pub(super) enum FileBytes {
    /// A read-only shared mapping of the whole file.
    Mapped(memmap2::Mmap),
    /// The file read into memory (small files, or where mapping failed).
    Read(Vec<u8>),
}

impl Deref for FileBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m) => m,
            FileBytes::Read(v) => v,
        }
    }
}

/// Maps `file`, whose size was checked as `size`.
///
/// Why `unsafe` is sound enough here: a mapping is only undefined behaviour in Rust's
/// sense if the file changes while it is mapped. The parsers treat every byte as
/// untrusted input and never rely on a byte read twice being the same, so a file
/// rewritten under them gives a wrong or failed parse, not a memory error. A file
/// *truncated* under the mapping makes the next access past its new end raise `SIGBUS`,
/// which ends the process: that is why only [`read_path`](super::read_path) (the CLI's
/// own files) maps, while the worker reads uploads into memory
/// ([`read_bytes`](super::read_bytes)) and a file shrunk between the size check and the
/// map is caught by the length check below.
#[allow(unsafe_code)]
fn map(file: &std::fs::File, size: u64) -> Option<memmap2::Mmap> {
    // SAFETY: see above; the mapping is read-only and lives no longer than `FileBytes`.
    let map = unsafe { memmap2::MmapOptions::new().populate().map(file) }.ok()?;
    (map.len() as u64 == size).then_some(map)
}

/// The bytes of the regular file at `path`, at most `max_bytes` of them.
pub(super) fn read(path: &Path, max_bytes: u64) -> Result<FileBytes, MeshError> {
    let io = |source| MeshError::Io {
        path: path.to_path_buf(),
        source,
    };
    let not_a_file = |meta: &std::fs::Metadata| MeshError::NotAFile {
        path: path.to_path_buf(),
        kind: kind_of(meta),
    };
    // `metadata` follows links, so a link to a FIFO is refused too, and it never opens
    // the file: a FIFO would block `open` until a writer came.
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(not_a_file(&meta));
    }
    let file = open_nonblocking(path).map_err(io)?;
    // Checked again on the open handle: the path may have been swapped since.
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(not_a_file(&meta));
    }
    let size = meta.len();
    if size > max_bytes {
        return Err(MeshError::TooLarge {
            size,
            limit: max_bytes,
        });
    }
    if size >= MAP_FROM_BYTES
        && let Some(map) = map(&file, size)
    {
        return Ok(FileBytes::Mapped(map));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // `take` guards against a file that grows while it is read.
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > max_bytes {
        return Err(MeshError::TooLarge {
            size: bytes.len() as u64,
            limit: max_bytes,
        });
    }
    Ok(FileBytes::Read(bytes))
}
