//! Deciding what a file is from its content.
//!
//! A leading `solid` does not mean ASCII: many CAD exporters write it into binary headers.
//! The binary size arithmetic (84 + 50·n bytes) is checked first, then the text keywords.
//! The file name is never trusted, only used to word an error.

use serde::Serialize;

use super::stl_binary;

/// The mesh formats that can be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Binary STL.
    StlBinary,
    /// ASCII STL.
    StlAscii,
    /// Wavefront OBJ.
    Obj,
}

impl Format {
    /// The name used in JSON output: `stl-binary`, `stl-ascii` or `obj`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::StlBinary => "stl-binary",
            Format::StlAscii => "stl-ascii",
            Format::Obj => "obj",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the bytes look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    /// A known mesh format.
    Mesh(Format),
    /// gzip-compressed; decompress and detect again.
    Gzip,
    /// A binary STL header whose count does not match the size, and no text format fits.
    /// Parsing it as binary produces the precise error (truncated or too many triangles).
    BrokenBinary,
    /// Nothing recognisable.
    Unknown,
}

/// OBJ statements that may open a file (after comments and blank lines).
const OBJ_KEYWORDS: &[&str] = &[
    "v", "vt", "vn", "vp", "f", "o", "g", "s", "l", "p", "mtllib", "usemtl",
];

/// Classifies `bytes` by content.
pub fn detect(bytes: &[u8]) -> Detected {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Detected::Gzip;
    }
    if stl_binary::size_matches(bytes) {
        return Detected::Mesh(Format::StlBinary);
    }
    match first_word(bytes) {
        Some(word) if word.eq_ignore_ascii_case("solid") => {
            return Detected::Mesh(Format::StlAscii);
        }
        Some(word) if OBJ_KEYWORDS.contains(&word) => return Detected::Mesh(Format::Obj),
        _ => {}
    }
    // Binary header with a count that disagrees with the size. Only claim it is broken
    // binary if it is not mostly text, so a random text file is "unknown", not "truncated".
    if bytes.len() >= stl_binary::HEADER_LEN && !looks_like_text(bytes) {
        return Detected::BrokenBinary;
    }
    Detected::Unknown
}

/// The first word of the first line that is neither blank nor a `#` comment, skipping a
/// UTF-8 byte-order mark. Looks at most at the first 64 KiB.
fn first_word(bytes: &[u8]) -> Option<&str> {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let head = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
    for line in head.split(|&b| b == b'\n') {
        let text = std::str::from_utf8(line).ok()?;
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        return trimmed.split_ascii_whitespace().next();
    }
    None
}

fn looks_like_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let printable = head
        .iter()
        .filter(|&&b| b == b'\n' || b == b'\r' || b == b'\t' || (0x20..0x7f).contains(&b))
        .count();
    printable * 100 >= head.len() * 97
}

/// A short description of the first bytes, for the "unknown format" error.
pub fn describe_start(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(16)];
    if looks_like_text(bytes) {
        let text: String = String::from_utf8_lossy(head)
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        format!("it starts with the text \"{}\"", text.trim())
    } else {
        let hex: Vec<String> = head.iter().map(|b| format!("{b:02x}")).collect();
        format!(
            "it starts with the bytes {} and is {} bytes long",
            hex.join(" "),
            bytes.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binary_with_header(header_start: &[u8], triangles: u32) -> Vec<u8> {
        let mut b = vec![0u8; 84 + 50 * triangles as usize];
        b[..header_start.len()].copy_from_slice(header_start);
        b[80..84].copy_from_slice(&triangles.to_le_bytes());
        b
    }

    #[test]
    fn binary_whose_header_starts_with_solid_is_binary() {
        let b = binary_with_header(b"solid exported by CAD", 2);
        assert_eq!(detect(&b), Detected::Mesh(Format::StlBinary));
    }

    #[test]
    fn ascii_with_bom_and_blank_lines_is_ascii() {
        let t = b"\xEF\xBB\xBF\n\n  SOLID part one\nendsolid\n";
        assert_eq!(detect(t), Detected::Mesh(Format::StlAscii));
    }

    #[test]
    fn obj_after_comments_is_obj() {
        assert_eq!(
            detect(b"# made by a tool\n\nv 0 0 0\n"),
            Detected::Mesh(Format::Obj)
        );
        assert_eq!(detect(b"mtllib x.mtl\n"), Detected::Mesh(Format::Obj));
    }

    #[test]
    fn gzip_magic_is_gzip() {
        assert_eq!(detect(&[0x1f, 0x8b, 8, 0]), Detected::Gzip);
    }

    #[test]
    fn short_count_mismatch_in_binary_data_is_broken_binary() {
        let mut b = binary_with_header(&[0xff; 10], 3);
        b.truncate(120);
        assert_eq!(detect(&b), Detected::BrokenBinary);
    }

    #[test]
    fn prose_is_unknown() {
        let text = "Dear customer, please find attached. ".repeat(10);
        assert_eq!(detect(text.as_bytes()), Detected::Unknown);
        assert!(describe_start(text.as_bytes()).contains("Dear customer"));
    }
}
