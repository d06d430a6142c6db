//! Deciding what a file is from its content.
//!
//! A leading `solid` does not mean ASCII: many CAD exporters write it into binary headers.
//! So the order is: containers by their magic (gzip, ZIP), then files that are known not
//! to be meshes by their signatures (programs, images, PDF, STEP, IGES, ...), then binary
//! STL by its size arithmetic (84 + 50·n bytes), then the text keywords of ASCII STL and
//! OBJ. A named kind is refused for what it is, even when its size happens to fit 84 +
//! 50·n (`/bin/true` renamed to `.stl` used to be read as a binary STL 2·10³⁷ mm wide).
//! The signatures checked before the size arithmetic are ones an 80-byte STL header does
//! not start with by accident: each is binary or a fixed ASCII marker, and the short
//! ones (`MZ`, `BM`) are confirmed by a second field. The file name is never trusted.

use serde::Serialize;

use super::error::Unsupported;
use super::stl_binary;

/// The mesh formats that can be read.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Binary STL.
    StlBinary,
    /// ASCII STL.
    StlAscii,
    /// Wavefront OBJ.
    Obj,
    /// 3MF (3D Manufacturing Format): a ZIP package of XML model parts, in a declared unit.
    #[serde(rename = "3mf")]
    ThreeMf,
}

impl Format {
    /// The name used in JSON output: `stl-binary`, `stl-ascii`, `obj` or `3mf`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::StlBinary => "stl-binary",
            Format::StlAscii => "stl-ascii",
            Format::Obj => "obj",
            Format::ThreeMf => "3mf",
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
    /// A ZIP archive: a 3MF package, or a ZIP without a 3D model (decided by its
    /// relationships, [`super::threemf`]).
    Zip,
    /// A kind of file we can name but do not read.
    Unsupported(Unsupported),
    /// A binary STL header whose count does not match the size, where the file is
    /// shorter than the count needs but not absurdly so, and no text format fits.
    /// Parsing it as binary produces the precise error (truncated or too many triangles).
    BrokenBinary,
    /// Nothing recognisable.
    Unknown,
}

/// OBJ statements that may open a file (after comments and blank lines).
const OBJ_KEYWORDS: &[&str] = &[
    "v", "vt", "vn", "vp", "f", "o", "g", "s", "l", "p", "mtllib", "usemtl",
];

/// A file shorter than its header's triangle count needs is called a truncated STL only
/// when it holds at least this share (1/N) of the bytes the count needs; a random binary
/// file's "count" is usually absurd, and "truncated upload?" would mislead.
const TRUNCATED_SHARE: u64 = 16;

/// Bytes past the declared triangles that are still tolerated as exporter padding.
pub const STL_PADDING: u64 = 4096;

/// Classifies `bytes` by content.
pub fn detect(bytes: &[u8]) -> Detected {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Detected::Gzip;
    }
    // Local file header, or the end record of an empty archive.
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Detected::Zip;
    }
    if let Some(kind) = signature(bytes) {
        return Detected::Unsupported(kind);
    }
    if stl_binary::size_matches(bytes) {
        return Detected::Mesh(Format::StlBinary);
    }
    let text = looks_like_text(bytes);
    match first_word(bytes) {
        Some(word) if word.eq_ignore_ascii_case("solid") => {
            return Detected::Mesh(Format::StlAscii);
        }
        Some(word) if OBJ_KEYWORDS.contains(&word) => return Detected::Mesh(Format::Obj),
        _ => {}
    }
    if text {
        if let Some(kind) = text_kind(bytes) {
            return Detected::Unsupported(kind);
        }
        return Detected::Unknown;
    }
    // A binary header whose count disagrees with the size: a truncated upload when the
    // file holds a fair share of what the count needs, or a padded one when only a
    // little trails the triangles. Anything else is not an STL.
    match stl_binary::declared_count(bytes) {
        Some(n) if n > 0 => {
            let expected = stl_binary::HEADER_LEN as u64 + stl_binary::RECORD_LEN as u64 * n;
            let actual = bytes.len() as u64;
            if actual < expected && actual.saturating_mul(TRUNCATED_SHARE) >= expected {
                Detected::BrokenBinary
            } else if actual > expected && actual - expected <= STL_PADDING {
                Detected::Mesh(Format::StlBinary)
            } else {
                Detected::Unknown
            }
        }
        _ => Detected::Unknown,
    }
}

/// Binary and fixed-marker signatures of files that are not meshes, checked before the
/// STL size arithmetic.
fn signature(b: &[u8]) -> Option<Unsupported> {
    let starts = |m: &[u8]| b.starts_with(m);
    if starts(b"\x7fELF")
        || [
            [0xfe, 0xed, 0xfa, 0xce],
            [0xfe, 0xed, 0xfa, 0xcf],
            [0xce, 0xfa, 0xed, 0xfe],
            [0xcf, 0xfa, 0xed, 0xfe],
            [0xca, 0xfe, 0xba, 0xbe],
        ]
        .iter()
        .any(|m| starts(m))
        || starts(b"#!/")
        || is_pe(b)
    {
        return Some(Unsupported::Program);
    }
    if starts(b"\x89PNG\r\n\x1a\n")
        || starts(&[0xff, 0xd8, 0xff])
        || starts(b"GIF87a")
        || starts(b"GIF89a")
        || (starts(b"RIFF") && b.get(8..12) == Some(b"WEBP"))
        || starts(b"II*\0")
        || starts(b"MM\0*")
        || is_bmp(b)
    {
        return Some(Unsupported::Image);
    }
    if starts(b"%PDF-") {
        return Some(Unsupported::Pdf);
    }
    if starts(b"ISO-10303-21") {
        return Some(Unsupported::Step);
    }
    if starts(b"BLENDER") {
        return Some(Unsupported::Blend);
    }
    if starts(b"Kaydara FBX Binary") {
        return Some(Unsupported::Fbx);
    }
    if starts(b"glTF") && b.get(4..8).is_some_and(|v| v[1..] == [0, 0, 0]) {
        return Some(Unsupported::Gltf);
    }
    if starts(b"ply\n") || starts(b"ply\r\n") {
        return Some(Unsupported::Ply);
    }
    if starts(b"**ABCDEFGHIJKLMNOPQRSTUVWXYZ") || starts(b"PS\0\0") {
        return Some(Unsupported::Parasolid);
    }
    None
}

/// A Windows executable: `MZ`, and the offset at 0x3c points at `PE\0\0`.
fn is_pe(b: &[u8]) -> bool {
    if !b.starts_with(b"MZ") {
        return false;
    }
    let Some(at) = b.get(0x3c..0x40) else {
        return false;
    };
    let at = u32::from_le_bytes([at[0], at[1], at[2], at[3]]) as usize;
    at.checked_add(4)
        .and_then(|end| b.get(at..end))
        .is_some_and(|m| m == b"PE\0\0")
}

/// A BMP: `BM`, then the file size, then two reserved zero words.
fn is_bmp(b: &[u8]) -> bool {
    b.starts_with(b"BM")
        && b.get(2..6)
            .is_some_and(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize == b.len())
        && b.get(6..10) == Some(&[0, 0, 0, 0])
}

/// Text formats we can name (checked only for text that is neither STL nor OBJ).
fn text_kind(bytes: &[u8]) -> Option<Unsupported> {
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with("ISO-10303-21") {
        return Some(Unsupported::Step);
    }
    if trimmed.starts_with('<') && (text.contains("<amf") || text.contains("<AMF")) {
        return Some(Unsupported::Amf);
    }
    if trimmed.starts_with('{') && text.contains("\"asset\"") {
        return Some(Unsupported::Gltf);
    }
    if trimmed.starts_with("; FBX") {
        return Some(Unsupported::Fbx);
    }
    if is_iges(head) {
        return Some(Unsupported::Iges);
    }
    if is_gcode(&text) {
        return Some(Unsupported::Gcode);
    }
    None
}

/// IGES: 80-column records whose column 73 holds the section letter, the first `S`.
fn is_iges(head: &[u8]) -> bool {
    let first = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    first.len() == 80
        && first[72] == b'S'
        && first[73..].iter().all(|c| c.is_ascii_digit() || *c == b' ')
}

/// G-code: most of the first statements (after `;` comments) are G or M words, e.g.
/// `G1 X10 Y5`, `M104 S200`.
fn is_gcode(text: &str) -> bool {
    let mut codes = 0;
    let mut other = 0;
    for line in text.lines().take(200) {
        let line = line.split(';').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut chars = line.chars();
        let letter = chars.next().map(|c| c.to_ascii_uppercase());
        let digit = chars.next().is_some_and(|c| c.is_ascii_digit());
        if matches!(letter, Some('G' | 'M' | 'T')) && digit {
            codes += 1;
        } else {
            other += 1;
        }
    }
    codes >= 3 && codes >= 4 * other
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
        let mut s = format!(
            "it starts with the bytes {} and is {} bytes long",
            hex.join(" "),
            bytes.len()
        );
        if let Some(n) = stl_binary::declared_count(bytes) {
            let needs = stl_binary::HEADER_LEN as u64 + stl_binary::RECORD_LEN as u64 * n;
            s.push_str(&format!(
                "; it is not a binary STL either (its header would declare {n} triangles, {needs} bytes)"
            ));
        }
        s
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
    fn programs_images_and_pdfs_are_named_even_when_their_size_fits_a_binary_stl() {
        // Each signature at the start of 84 + 50·3 bytes whose count says 3.
        let cases: [(&[u8], Unsupported); 8] = [
            (b"\x7fELF\x02\x01\x01", Unsupported::Program),
            (b"#!/bin/sh\n", Unsupported::Program),
            (&[0xcf, 0xfa, 0xed, 0xfe], Unsupported::Program),
            (b"\x89PNG\r\n\x1a\n", Unsupported::Image),
            (&[0xff, 0xd8, 0xff, 0xe0], Unsupported::Image),
            (b"GIF89a", Unsupported::Image),
            (b"%PDF-1.7", Unsupported::Pdf),
            (b"ISO-10303-21;", Unsupported::Step),
        ];
        for (magic, kind) in cases {
            let b = binary_with_header(magic, 3);
            assert!(stl_binary::size_matches(&b));
            assert_eq!(detect(&b), Detected::Unsupported(kind), "{magic:?}");
        }
    }

    #[test]
    fn a_windows_program_needs_its_pe_header() {
        let mut b = binary_with_header(b"MZ", 3);
        assert_eq!(detect(&b), Detected::Mesh(Format::StlBinary));
        b[0x3c..0x40].copy_from_slice(&100u32.to_le_bytes());
        b[100..104].copy_from_slice(b"PE\0\0");
        assert_eq!(detect(&b), Detected::Unsupported(Unsupported::Program));
    }

    #[test]
    fn text_formats_are_named() {
        let step = "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('x'),'2;1');\n";
        assert_eq!(
            detect(step.as_bytes()),
            Detected::Unsupported(Unsupported::Step)
        );
        let amf = "<?xml version=\"1.0\"?>\n<amf unit=\"millimeter\"><object id=\"0\">";
        assert_eq!(
            detect(amf.as_bytes()),
            Detected::Unsupported(Unsupported::Amf)
        );
        let ply = "ply\nformat ascii 1.0\nelement vertex 8\n";
        assert_eq!(
            detect(ply.as_bytes()),
            Detected::Unsupported(Unsupported::Ply)
        );
        let gcode = "; generated by PrusaSlicer 2.5.0\nM73 P0 R12\nM201 X1000\nG28\nG1 Z0.2 F720\nG1 X10 Y10 E0.5\n";
        assert_eq!(
            detect(gcode.as_bytes()),
            Detected::Unsupported(Unsupported::Gcode)
        );
        let gltf = "{\n  \"asset\": {\"version\": \"2.0\"},\n  \"meshes\": []\n}";
        assert_eq!(
            detect(gltf.as_bytes()),
            Detected::Unsupported(Unsupported::Gltf)
        );
        let iges = format!("{:<72}S{:>7}\n", "IGES file written by CAD", 1);
        assert_eq!(
            detect(iges.as_bytes()),
            Detected::Unsupported(Unsupported::Iges)
        );
        assert_eq!(
            detect(b"BLENDER-v300REND"),
            Detected::Unsupported(Unsupported::Blend)
        );
    }

    #[test]
    fn zips_are_zips() {
        assert_eq!(detect(b"PK\x03\x04\x14\0\0\0"), Detected::Zip);
        assert_eq!(detect(b"PK\x05\x06\0\0\0\0"), Detected::Zip);
    }

    #[test]
    fn random_binary_with_an_absurd_count_is_unknown_not_truncated() {
        let mut b = vec![0xAAu8; 5000];
        b[80..84].copy_from_slice(&3_000_000_000u32.to_le_bytes());
        assert_eq!(detect(&b), Detected::Unknown);
        // A padded STL (a few bytes past the triangles) is still an STL.
        let mut padded = binary_with_header(&[0xff; 10], 3);
        padded.extend_from_slice(&[0; 16]);
        assert_eq!(detect(&padded), Detected::Mesh(Format::StlBinary));
    }

    #[test]
    fn prose_is_unknown() {
        let text = "Dear customer, please find attached. ".repeat(10);
        assert_eq!(detect(text.as_bytes()), Detected::Unknown);
        assert!(describe_start(text.as_bytes()).contains("Dear customer"));
    }
}
