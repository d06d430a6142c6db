//! The 3MF package: a ZIP archive (Open Packaging Conventions) read under caps.
//!
//! Every part is inflated through [`Capped`], which stops at the first of: the part's
//! own cap, the archive's total budget ([`ReadLimits::max_bytes`], the same limit as a
//! gzip's inflated size), or a single XML token (element or text run) over
//! [`MAX_TOKEN`]. So a zip bomb is refused after at most the budget has streamed past,
//! and what is kept is only what was parsed from it. The sizes the central directory
//! declares are checked first, so an honest bomb is refused before anything is inflated;
//! a lying one is caught while it streams. The entry count is checked from the end
//! record before the central directory is parsed.

use std::cell::Cell;
use std::io::{BufRead, BufReader, Cursor, Read};

use zip::ZipArchive;

use crate::mesh::ReadLimits;
use crate::mesh::error::{MeshError, clipped};

/// Most entries an archive may hold. Slicer projects hold tens (models, thumbnails,
/// configs, one part per object); ten thousand is far past any.
pub const MAX_ENTRIES: u64 = 10_000;
/// Largest inflated size of a part that is read whole (relationships, slicer configs).
pub const MAX_SMALL_PART: u64 = 16 << 20;
/// Longest XML token (a tag with its attributes, or a text run) a model part may hold.
pub const MAX_TOKEN: u64 = 4 << 20;

/// The OPC relationship type of the 3D model part.
pub const MODEL_RELATIONSHIP: &str = "http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel";

/// An opened package.
pub struct Package<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
    /// Inflated bytes still allowed, over all parts.
    budget: u64,
    limit: u64,
}

/// Which cap a read ran into, kept beside the reader so the error can name it after the
/// XML parser has wrapped the I/O error.
#[derive(Default)]
pub struct Hit(Cell<Option<(&'static str, u64)>>);

impl Hit {
    /// The cap hit, if any, as the error to report.
    pub fn error(&self) -> Option<MeshError> {
        self.0
            .get()
            .map(|(what, limit)| MeshError::ArchiveLimit { what, limit })
    }
}

/// A reader that counts what it passes against the caps.
pub struct Capped<'h, R> {
    inner: R,
    part_left: u64,
    part_cap: u64,
    budget_left: u64,
    budget_cap: u64,
    since_gt: u64,
    tokens: bool,
    hit: &'h Hit,
    read: u64,
}

impl<R: Read> Read for Capped<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let n64 = n as u64;
        let fail = |hit: &Hit, what, limit| {
            hit.0.set(Some((what, limit)));
            Err(std::io::Error::other(what))
        };
        if n64 > self.budget_left {
            return fail(self.hit, "inflates past the byte limit", self.budget_cap);
        }
        if n64 > self.part_left {
            return fail(
                self.hit,
                "has a part that inflates past its cap",
                self.part_cap,
            );
        }
        self.budget_left -= n64;
        self.part_left -= n64;
        self.read += n64;
        if self.tokens {
            // The longest run without a `>`: up to the first one in this chunk (joined
            // to the run before it), or the whole chunk; then what follows the last.
            let chunk = &buf[..n];
            let longest = match chunk.iter().position(|&b| b == b'>') {
                Some(first) => {
                    let run = self.since_gt + first as u64;
                    let last = chunk.iter().rposition(|&b| b == b'>').unwrap_or(first);
                    self.since_gt = (n - 1 - last) as u64;
                    run.max(self.since_gt)
                }
                None => {
                    self.since_gt += n64;
                    self.since_gt
                }
            };
            if longest > MAX_TOKEN {
                return fail(
                    self.hit,
                    "has an XML element or text run over its cap",
                    MAX_TOKEN,
                );
            }
        }
        Ok(n)
    }
}

impl<'h, R: Read> Capped<'h, R> {
    /// A capped reader over `inner` alone (for tests of the caps).
    pub fn new_for_test(inner: R, part_cap: u64, budget: u64, hit: &'h Hit) -> Capped<'h, R> {
        Capped {
            inner,
            part_left: part_cap,
            part_cap,
            budget_left: budget,
            budget_cap: budget,
            since_gt: 0,
            tokens: true,
            hit,
            read: 0,
        }
    }
}

/// The entry count and central directory size in the end record, if it can be found.
fn declared_entries(bytes: &[u8]) -> Option<u64> {
    const EOCD: &[u8] = b"PK\x05\x06";
    let from = bytes.len().saturating_sub(22 + 65_535);
    let at = (from..=bytes.len().checked_sub(22)?)
        .rev()
        .find(|&i| &bytes[i..i + 4] == EOCD)?;
    let u16_at = |i: usize| {
        bytes
            .get(i..i + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let entries = u16_at(at + 10)? as u64;
    if entries != 0xFFFF {
        return Some(entries);
    }
    // ZIP64: the locator just before the end record points at the ZIP64 end record.
    let loc = at.checked_sub(20)?;
    if bytes.get(loc..loc + 4)? != b"PK\x06\x07" {
        return Some(entries);
    }
    let u64_at = |i: usize| {
        bytes
            .get(i..i + 8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
    };
    let rec = usize::try_from(u64_at(loc + 8)?).ok()?;
    if bytes.get(rec..rec + 4)? != b"PK\x06\x06" {
        return Some(entries);
    }
    u64_at(rec + 32)
}

fn zip_error(e: zip::result::ZipError) -> MeshError {
    MeshError::Zip {
        detail: clipped(&e.to_string()),
    }
}

impl<'a> Package<'a> {
    /// Opens the archive in `bytes`, refusing one with too many entries or whose
    /// declared inflated sizes pass the caps.
    pub fn open(bytes: &'a [u8], limits: &ReadLimits) -> Result<Package<'a>, MeshError> {
        if let Some(n) = declared_entries(bytes)
            && n > MAX_ENTRIES
        {
            return Err(MeshError::ArchiveLimit {
                what: "holds more entries than allowed",
                limit: MAX_ENTRIES,
            });
        }
        let archive = ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)?;
        if archive.len() as u64 > MAX_ENTRIES {
            return Err(MeshError::ArchiveLimit {
                what: "holds more entries than allowed",
                limit: MAX_ENTRIES,
            });
        }
        let mut package = Package {
            archive,
            budget: limits.max_bytes,
            limit: limits.max_bytes,
        };
        // The sizes the central directory declares: an honest bomb is refused here,
        // before a byte is inflated.
        let mut total = 0u64;
        for i in 0..package.archive.len() {
            let size = package.archive.by_index_raw(i).map_err(zip_error)?.size();
            total = total.saturating_add(size);
            if size > limits.max_bytes || total > limits.max_bytes {
                return Err(MeshError::ArchiveLimit {
                    what: "inflates past the byte limit",
                    limit: limits.max_bytes,
                });
            }
        }
        Ok(package)
    }

    /// Entries in the archive.
    pub fn entries(&self) -> usize {
        self.archive.len()
    }

    /// The archive's name for the part `name` (no leading `/`), matched exactly or, as
    /// OPC part names are case-insensitive, ignoring ASCII case.
    pub fn find(&self, name: &str) -> Option<String> {
        let name = name.trim_start_matches('/');
        if self.archive.index_for_name(name).is_some() {
            return Some(name.to_string());
        }
        self.archive
            .file_names()
            .find(|n| n.eq_ignore_ascii_case(name))
            .map(str::to_string)
    }

    /// Every entry name.
    pub fn names(&self) -> Vec<String> {
        self.archive.file_names().map(str::to_string).collect()
    }

    /// Reads the small part `name` whole (at most [`MAX_SMALL_PART`] bytes); `None` if
    /// there is no such part.
    pub fn read_small(&mut self, name: &str) -> Result<Option<Vec<u8>>, MeshError> {
        let Some(name) = self.find(name) else {
            return Ok(None);
        };
        let hit = Hit::default();
        let mut out = Vec::new();
        let result = self.with_part(&name, MAX_SMALL_PART, false, &hit, |r| {
            r.read_to_end(&mut out).map(|_| ())
        });
        match (result, hit.error()) {
            (_, Some(e)) => Err(e),
            (Ok(Ok(())), None) => Ok(Some(out)),
            (Ok(Err(e)), None) => Err(MeshError::Zip {
                detail: clipped(&format!("{name}: {e}")),
            }),
            (Err(e), None) => Err(e),
        }
    }

    /// Streams the part `name` to `f` through a [`Capped`] buffered reader (part cap:
    /// the whole budget; tokens capped when `xml`). The caller checks `hit` when `f`
    /// fails, to tell a cap from a format error.
    pub fn with_part<T>(
        &mut self,
        name: &str,
        part_cap: u64,
        xml: bool,
        hit: &Hit,
        f: impl FnOnce(&mut dyn BufRead) -> T,
    ) -> Result<T, MeshError> {
        let budget = self.budget;
        let limit = self.limit;
        let file = self.archive.by_name(name).map_err(zip_error)?;
        let mut reader = BufReader::with_capacity(
            64 << 10,
            Capped {
                inner: file,
                part_left: part_cap,
                part_cap,
                budget_left: budget,
                budget_cap: limit,
                since_gt: 0,
                tokens: xml,
                hit,
                read: 0,
            },
        );
        let out = f(&mut reader);
        let read = reader.get_ref().read;
        self.budget = budget.saturating_sub(read);
        Ok(out)
    }
}

/// Resolves an OPC target against the folder of its source part (`base`, e.g. `3D/` for
/// `3D/_rels/3dmodel.model.rels`, empty for the package root): absolute targets start at
/// the root, `.` and `..` segments are resolved, `%XX` escapes decoded.
pub fn resolve(base: &str, target: &str) -> String {
    let decoded = percent_decode(target);
    let joined = if let Some(abs) = decoded.strip_prefix('/') {
        abs.to_string()
    } else {
        format!("{base}{decoded}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit));
        if let (b'%', Some(h)) = (b[i], hex) {
            let digit = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
            out.push(digit(h[0]) * 16 + digit(h[1]));
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_resolve_like_opc() {
        assert_eq!(resolve("", "/3D/3dmodel.model"), "3D/3dmodel.model");
        assert_eq!(resolve("", "3D/3dmodel.model"), "3D/3dmodel.model");
        assert_eq!(
            resolve("3D/", "Objects/o%201.model"),
            "3D/Objects/o 1.model"
        );
        assert_eq!(resolve("3D/", "../x/./y.model"), "x/y.model");
        assert_eq!(resolve("", "%zz%4"), "%zz%4");
    }
}
