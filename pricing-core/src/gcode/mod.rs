//! What a slicer wrote into its G-code about the print: its estimated time and filament,
//! its configuration, and the filament it extrudes per role.
//!
//! `pricing calibrate` learns a printer from pairs of a mesh and the G-code the shop's
//! slicer made of it; this module reads the G-code half. Only comments and extruding
//! moves are read: the slicers disagree on the comments, not on `G1 … E…`.
//!
//! - [`summary`]: the slicer's own figures (PrusaSlicer and SuperSlicer
//!   `; estimated printing time (normal mode) = 1h 2m 3s`, `; filament used [mm] = …`;
//!   OrcaSlicer and Bambu Studio `; total estimated time: …`, `; model printing time: …`;
//!   Cura `;TIME:…`, `;Filament used: 1.2m`) and the embedded configuration block, which
//!   is the print's profile in PrusaSlicer's `key = value` form.
//! - [`extrusion`]: filament per role from the `;TYPE:` markers, in relative or absolute
//!   E, and the layer count.
//!
//! ```
//! let gcode = b"; estimated printing time (normal mode) = 1h 2m 3s\n\
//!     ; filament used [mm] = 1000.0\n;TYPE:Perimeter\nG1 X10 Y0 E2.5\n";
//! let report = pricing_core::gcode::read_bytes(gcode).unwrap();
//! assert_eq!(report.time_s, 3723.0);
//! assert_eq!(report.filament_mm, Some(1000.0));
//! ```

pub mod extrusion;
pub mod summary;

use std::collections::BTreeMap;
use std::io::Read;

use serde::Serialize;

use crate::estimate::Role;
use crate::warning::Warning;

/// Largest G-code read, after gzip: 512 MiB (a day-long print of a large part is a
/// few hundred MB; more is a wrong file).
pub const MAX_GCODE_BYTES: u64 = 512 << 20;

/// Filament diameter assumed when the G-code's configuration gives none, mm.
pub const DEFAULT_FILAMENT_DIAMETER_MM: f64 = 1.75;

/// The slicer that wrote a G-code file, from its header or its comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Slicer {
    /// PrusaSlicer.
    PrusaSlicer,
    /// SuperSlicer (PrusaSlicer's comments).
    SuperSlicer,
    /// OrcaSlicer.
    OrcaSlicer,
    /// Bambu Studio (OrcaSlicer's comments).
    BambuStudio,
    /// Ultimaker Cura.
    Cura,
    /// No header names the slicer.
    Unknown,
}

impl Slicer {
    /// The name, e.g. `prusaslicer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Slicer::PrusaSlicer => "prusaslicer",
            Slicer::SuperSlicer => "superslicer",
            Slicer::OrcaSlicer => "orcaslicer",
            Slicer::BambuStudio => "bambustudio",
            Slicer::Cura => "cura",
            Slicer::Unknown => "unknown",
        }
    }
}

/// What one G-code file says about its print.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GcodeReport {
    /// Who wrote it.
    pub slicer: Slicer,
    /// The slicer's estimated print time, s (PrusaSlicer's normal mode; Orca's total).
    pub time_s: f64,
    /// Filament length the slicer reports, mm.
    pub filament_mm: Option<f64>,
    /// Filament volume the slicer reports, mm³ (PrusaSlicer's `[cm3]` line).
    pub filament_reported_mm3: Option<f64>,
    /// Filament mass the slicer reports, g.
    pub filament_g: Option<f64>,
    /// The embedded configuration, in file order (empty when the slicer writes none in
    /// `key = value` form, as Cura).
    pub config: Vec<(String, String)>,
    /// Filament extruded per role (`;TYPE:` markers), mm³; empty without markers.
    pub extruded_mm3_by_role: BTreeMap<Role, f64>,
    /// Filament extruded under a `;TYPE:` the estimate has no role for (wipe tower,
    /// ironing, custom G-code), mm³, by the slicer's name.
    pub extruded_mm3_other: BTreeMap<String, f64>,
    /// Layer changes seen (`;LAYER_CHANGE`, `;LAYER:`).
    pub layers: usize,
    /// What was odd but did not stop the reading.
    pub warnings: Vec<Warning>,
}

impl GcodeReport {
    /// The configuration as `.ini` text, for [`crate::profile::ProfileBuilder::load_ini`].
    pub fn config_ini(&self) -> String {
        self.config
            .iter()
            .map(|(k, v)| format!("{k} = {v}\n"))
            .collect()
    }

    /// The value of one configuration key.
    pub fn config_value(&self, key: &str) -> Option<&str> {
        self.config
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Filament diameter from the configuration (the first extruder's), mm.
    pub fn filament_diameter_mm(&self) -> f64 {
        self.config_value("filament_diameter")
            .and_then(|v| v.split([',', ';']).next())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|d| d.is_finite() && *d > 0.0)
            .unwrap_or(DEFAULT_FILAMENT_DIAMETER_MM)
    }

    /// The filament the slicer says it uses, mm³: its length × the filament's section,
    /// else its volume, else the sum of the extruding moves.
    pub fn filament_mm3(&self) -> Option<f64> {
        let d = self.filament_diameter_mm();
        let section = std::f64::consts::PI / 4.0 * d * d;
        self.filament_mm
            .map(|mm| mm * section)
            .or(self.filament_reported_mm3)
            .or_else(|| {
                let sum: f64 = self.extruded_mm3_by_role.values().sum::<f64>()
                    + self.extruded_mm3_other.values().sum::<f64>();
                (sum > 0.0).then_some(sum)
            })
    }
}

/// Why a G-code file gives no report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GcodeError {
    /// The gzip stream is broken.
    #[error("the gzip stream is broken after {read} bytes: {message}; is the upload truncated?")]
    Gzip {
        /// Bytes inflated before the error.
        read: u64,
        /// What the decoder said.
        message: String,
    },
    /// The file is larger than [`MAX_GCODE_BYTES`].
    #[error("the G-code is over {limit} bytes (after gzip): not a single print's G-code?")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// The bytes are not text.
    #[error(
        "the file is not text (a NUL byte at offset {offset}): is it binary G-code (.bgcode) or not G-code at all?"
    )]
    NotText {
        /// Where the first NUL is.
        offset: usize,
    },
    /// No comment gives the slicer's estimated time.
    #[error(
        "no estimated print time in the G-code (PrusaSlicer `; estimated printing time (normal mode) =`, Orca/Bambu `; total estimated time:`, Cura `;TIME:`); was it written by a slicer, with its comments on?"
    )]
    NoEstimate,
}

impl GcodeError {
    /// A short stable code for JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            GcodeError::Gzip { .. } => "gcode_gzip",
            GcodeError::TooLarge { .. } => "gcode_too_large",
            GcodeError::NotText { .. } => "gcode_not_text",
            GcodeError::NoEstimate => "gcode_no_estimate",
        }
    }
}

/// Reads a G-code file's bytes (gzip-compressed or not).
pub fn read_bytes(bytes: &[u8]) -> Result<GcodeReport, GcodeError> {
    let inflated;
    let text_bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        inflated = gunzip(bytes)?;
        &inflated[..]
    } else {
        if bytes.len() as u64 > MAX_GCODE_BYTES {
            return Err(GcodeError::TooLarge {
                limit: MAX_GCODE_BYTES,
            });
        }
        bytes
    };
    if let Some(offset) = text_bytes.iter().position(|&b| b == 0) {
        return Err(GcodeError::NotText { offset });
    }
    // Comments may hold any bytes (a file name in Latin-1): read lossily, not refuse.
    let text = String::from_utf8_lossy(text_bytes);
    read_str(&text)
}

/// Reads G-code text.
pub fn read_str(text: &str) -> Result<GcodeReport, GcodeError> {
    let s = summary::read(text);
    let Some(time_s) = s.time_s else {
        return Err(GcodeError::NoEstimate);
    };
    let mut report = GcodeReport {
        slicer: s.slicer,
        time_s,
        filament_mm: s.filament_mm,
        filament_reported_mm3: s.filament_mm3,
        filament_g: s.filament_g,
        config: s.config,
        extruded_mm3_by_role: BTreeMap::new(),
        extruded_mm3_other: BTreeMap::new(),
        layers: 0,
        warnings: s.warnings,
    };
    let x = extrusion::read(text, report.filament_diameter_mm());
    report.extruded_mm3_by_role = x.by_role;
    report.extruded_mm3_other = x.other;
    report.layers = x.layers;
    Ok(report)
}

fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, GcodeError> {
    let mut out = Vec::new();
    let mut decoder = flate2::read::MultiGzDecoder::new(bytes).take(MAX_GCODE_BYTES + 1);
    decoder
        .read_to_end(&mut out)
        .map_err(|e| GcodeError::Gzip {
            read: out.len() as u64,
            message: e.to_string(),
        })?;
    if out.len() as u64 > MAX_GCODE_BYTES {
        return Err(GcodeError::TooLarge {
            limit: MAX_GCODE_BYTES,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_and_plain_read_the_same() {
        use std::io::Write;
        let text =
            b"; estimated printing time (normal mode) = 2m 3s\n;TYPE:Solid infill\nG1 X1 E1\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text).expect("in memory");
        let gz = gz.finish().expect("in memory");
        let a = read_bytes(text).expect("plain");
        let b = read_bytes(&gz).expect("gzip");
        assert_eq!(a, b);
        assert_eq!(a.time_s, 123.0);
        let broken = &gz[..gz.len() - 6];
        assert_eq!(
            read_bytes(broken).expect_err("truncated").code(),
            "gcode_gzip"
        );
    }

    #[test]
    fn no_estimate_and_binary_files_are_clear_errors() {
        assert_eq!(
            read_bytes(b"G28\nG1 X10 E1\n")
                .expect_err("no estimate")
                .code(),
            "gcode_no_estimate"
        );
        assert_eq!(
            read_bytes(b"GCDE\x01\x00\x00\x00")
                .expect_err("bgcode")
                .code(),
            "gcode_not_text"
        );
        assert_eq!(
            read_bytes(b"").expect_err("empty").code(),
            "gcode_no_estimate"
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = read_bytes(&bytes);
        }

        #[test]
        fn arbitrary_lines_never_panic(lines in proptest::collection::vec("[;A-Za-z0-9 :=.\\[\\]-]{0,40}", 0..30)) {
            let _ = read_str(&lines.join("\n"));
        }
    }
}
