//! Print estimates: layers, material, supports and machine time, per technology.
//!
//! - [`fdm`]: fused filament (the slicer-accurate layer model).
//! - [`sla`]: resin (SLA/MSLA), PrusaSlicer's SLA time model.
//! - [`sls`]: powder bed (SLS/MJF), priced by the part's share of a build.
//!
//! Every estimator returns the same [`Estimate`], so the price book and the JSON that the
//! CLI and the worker print do not depend on the technology.

pub mod fdm;
pub mod sla;
pub mod sls;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::warning::Warning;

/// The printing technology.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Technology {
    /// Fused filament fabrication.
    Fdm,
    /// Resin vat photopolymerisation (SLA, MSLA, DLP).
    Sla,
    /// Powder bed fusion (SLS, MJF).
    Sls,
}

impl Technology {
    /// `fdm`, `sla` or `sls`.
    pub fn as_str(self) -> &'static str {
        match self {
            Technology::Fdm => "fdm",
            Technology::Sla => "sla",
            Technology::Sls => "sls",
        }
    }
}

impl std::fmt::Display for Technology {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Material and time spent on one extrusion role (or resin/powder component).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RoleFigures {
    /// Material, mm³.
    pub mm3: f64,
    /// Machine time, s.
    pub seconds: f64,
}

/// What a print takes. All figures are for one part.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// The technology estimated.
    pub technology: Technology,
    /// Layer count.
    pub layers: usize,
    /// Nominal layer height, mm.
    pub layer_height_mm: f64,
    /// Total machine time, s.
    pub print_time_s: f64,
    /// All material, supports included, mm³ (filament, resin, or fused powder).
    pub material_mm3: f64,
    /// Mass of `material_mm3`, g.
    pub material_g: f64,
    /// Support material, mm³ (0 for powder bed).
    pub support_mm3: f64,
    /// Area of the part that supports touch, mm²; drives removal labour.
    pub support_contact_area_mm2: f64,
    /// Per role. FDM: perimeter, external_perimeter, sparse_infill, solid_infill,
    /// top_solid_infill, bridge, support, support_interface, skirt (plus travel time).
    /// Resin: model, support, pad. Powder: model, powder_refresh (unfused powder lost in
    /// the occupied volume, priced as material; no time).
    pub by_role: BTreeMap<&'static str, RoleFigures>,
    /// Powder bed only: the build volume the part occupies (its bounding box or hull
    /// divided by a packing density), mm³. Bureaus charge powder prints by this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occupied_mm3: Option<f64>,
    /// Problems found while estimating.
    pub warnings: Vec<Warning>,
}

/// Why a part cannot be estimated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EstimateError {
    /// The mesh is a surface, not a solid.
    #[error(
        "the mesh encloses no printable volume ({volume_mm3:.3} mm³ for {area_mm2:.0} mm² of surface): it is open surfaces, not a solid; close or thicken it before quoting"
    )]
    NoVolume {
        /// Enclosed volume, mm³.
        volume_mm3: f64,
        /// Surface area, mm².
        area_mm2: f64,
    },
    /// The part is too large to estimate with the configured limits.
    #[error("the part needs {layers} layers, over the limit of {limit}: check the units")]
    TooManyLayers {
        /// Layers the part would need.
        layers: u64,
        /// The limit.
        limit: u64,
    },
    /// Slicing would cut more triangle-layer pairs than the configured limit.
    #[error(
        "the mesh would need {work} triangle cuts to slice (limit {limit}): simplify it or check its units"
    )]
    TooComplex {
        /// Triangle-layer intersections the slice needs.
        work: u64,
        /// The limit.
        limit: u64,
    },
}

impl EstimateError {
    /// A short stable code for JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            EstimateError::NoVolume { .. } => "no_volume",
            EstimateError::TooManyLayers { .. } => "too_many_layers",
            EstimateError::TooComplex { .. } => "too_complex",
        }
    }
}
