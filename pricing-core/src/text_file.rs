//! Reading the small text files a user names: printer profiles and price books.
//!
//! Anything that is not a regular file (a device such as `/dev/zero`, a FIFO, a
//! directory, also behind a symlink with a `.ini` name) is refused before it is opened
//! for reading, and no more than [`MAX_BYTES`] is ever read, so a wrong path gives a
//! clear error instead of a hang or a blow-up of memory. Mesh files have their own
//! reader with its own limits (`mesh::read_path`).

use std::io::{self, Read};
use std::path::Path;

/// The largest settings file read, bytes. A PrusaSlicer config bundle with every vendor
/// preset is a few MB; a price book is kilobytes.
pub const MAX_BYTES: u64 = 16 << 20;

/// The file's text, or why it cannot be had: the OS's error, not a regular file, larger
/// than [`MAX_BYTES`], or not UTF-8.
pub fn read(path: &Path) -> io::Result<String> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(io::Error::other(
            "not a regular file (a device, a FIFO or a directory); give the path of a text file",
        ));
    }
    let too_large = || {
        io::Error::other(format!(
            "larger than the {} MiB a settings file may have",
            MAX_BYTES >> 20
        ))
    };
    if meta.len() > MAX_BYTES {
        return Err(too_large());
    }
    let mut text = String::new();
    // The limit holds even if the file grows after the size was checked.
    std::fs::File::open(path)?
        .take(MAX_BYTES + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_BYTES {
        return Err(too_large());
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_directories_are_refused_and_files_read() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("zero.ini");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let e = read(&link).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        assert!(read(dir.path()).is_err());
        let f = dir.path().join("p.ini");
        std::fs::write(&f, "layer_height = 0.2\n").unwrap();
        assert_eq!(read(&f).unwrap(), "layer_height = 0.2\n");
    }
}
