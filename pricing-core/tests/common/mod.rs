//! Helpers shared by the library's integration tests: the corpus manifest and reference
//! rows. The corpus lives in the workspace's `fixtures/corpus`, beside this crate.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use pricing_core::analysis::{self, Part, Scaling};
use pricing_core::mesh::{self, ReadLimits};

/// The workspace's `fixtures` directory.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// `fixtures/corpus`.
pub fn corpus_dir() -> PathBuf {
    fixtures_dir().join("corpus")
}

/// One row of `manifest.csv`.
#[derive(Debug, Clone)]
pub struct ManifestRow {
    pub file: String,
    pub scale: f64,
    pub units: String,
    pub note: String,
}

/// The corpus manifest.
pub fn manifest() -> Vec<ManifestRow> {
    let text = std::fs::read_to_string(corpus_dir().join("manifest.csv")).expect("manifest.csv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut f = l.splitn(4, ',');
            let mut next = || f.next().unwrap_or("").to_string();
            ManifestRow {
                file: next(),
                scale: next().parse().expect("scale"),
                units: next(),
                note: next(),
            }
        })
        .collect()
}

/// The parts of a reference row the tests use.
#[derive(Debug, Clone)]
pub struct Reference {
    pub file: String,
    pub volume_mm3: f64,
    pub manifold: bool,
    pub raw: serde_json::Value,
}

/// PrusaSlicer's reference rows.
pub fn reference() -> Vec<Reference> {
    let text =
        std::fs::read_to_string(corpus_dir().join("reference.jsonl")).expect("reference.jsonl");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            // Python's json writes NaN for failed measurements; JSON has no NaN.
            let l = l.replace("NaN", "null");
            let v: serde_json::Value = serde_json::from_str(&l).expect("reference row");
            Reference {
                file: v["file"].as_str().unwrap_or_default().to_string(),
                volume_mm3: v["volume_mm3"].as_f64().unwrap_or(f64::NAN),
                manifold: v["manifold"].as_bool().unwrap_or(false),
                raw: v,
            }
        })
        .collect()
}

/// Reads and analyses a corpus file.
pub fn load_part(path: &Path, scaling: Scaling) -> Part {
    let loaded = mesh::read_path(path, &ReadLimits::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    analysis::analyze(loaded.mesh, loaded.format, scaling)
}
