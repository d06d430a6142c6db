//! A file's bytes, for [`read_path`](super::read_path): refusing what is not a regular
//! file before it can block or stream forever, then reading it under the byte limit.

use std::io::Read;
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

/// The bytes of the regular file at `path`, at most `max_bytes` of them.
pub(super) fn read(path: &Path, max_bytes: u64) -> Result<Vec<u8>, MeshError> {
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
    Ok(bytes)
}
