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

use crate::cancel::{Cancel, Cancelled};
use crate::warning::Warning;

/// The printing technology.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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

/// What a share of material and time is for: PrusaSlicer's extrusion roles for FDM
/// (`ExtrusionRole`), the components of a resin print, and the powder a powder-bed print
/// uses up. The keys of [`Estimate::by_role`]: a misspelt role is a compile error, not a
/// figure silently dropped.
///
/// `by_role` is ordered by the role's name ([`Role::as_str`]), not by declaration, so the
/// JSON keys stay in alphabetical order whatever order the variants are listed in.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// FDM: the outermost perimeter loop.
    ExternalPerimeter,
    /// FDM: the inner perimeter loops.
    Perimeter,
    /// FDM: sparse (partial density) infill.
    SparseInfill,
    /// FDM: internal solid infill (bottom skins, vertical shells).
    SolidInfill,
    /// FDM: the solid infill of top surfaces.
    TopSolidInfill,
    /// FDM: bridges over air, and internal bridges over sparse infill.
    Bridge,
    /// FDM: support base; resin: support pillars.
    Support,
    /// FDM: the dense support layers that touch the part.
    SupportInterface,
    /// FDM: the skirt loops around the first layers.
    Skirt,
    /// FDM: travel, retractions and layer changes (time only).
    Travel,
    /// Resin and powder: the part itself.
    Model,
    /// Resin: the pad under the supports.
    Pad,
    /// Powder: unfused powder lost in the occupied volume (material only).
    PowderRefresh,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 13] = [
        Role::ExternalPerimeter,
        Role::Perimeter,
        Role::SparseInfill,
        Role::SolidInfill,
        Role::TopSolidInfill,
        Role::Bridge,
        Role::Support,
        Role::SupportInterface,
        Role::Skirt,
        Role::Travel,
        Role::Model,
        Role::Pad,
        Role::PowderRefresh,
    ];

    /// The roles of an FDM estimate: each is present in its `by_role`, zero or not.
    pub const FDM: [Role; 10] = [
        Role::ExternalPerimeter,
        Role::Perimeter,
        Role::SparseInfill,
        Role::SolidInfill,
        Role::TopSolidInfill,
        Role::Bridge,
        Role::Support,
        Role::SupportInterface,
        Role::Skirt,
        Role::Travel,
    ];

    /// The JSON key, e.g. `top_solid_infill`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ExternalPerimeter => "external_perimeter",
            Role::Perimeter => "perimeter",
            Role::SparseInfill => "sparse_infill",
            Role::SolidInfill => "solid_infill",
            Role::TopSolidInfill => "top_solid_infill",
            Role::Bridge => "bridge",
            Role::Support => "support",
            Role::SupportInterface => "support_interface",
            Role::Skirt => "skirt",
            Role::Travel => "travel",
            Role::Model => "model",
            Role::Pad => "pad",
            Role::PowderRefresh => "powder_refresh",
        }
    }
}

impl Ord for Role {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Role {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`, not `write_str`: tables align roles with `{:<20}`.
        f.pad(self.as_str())
    }
}

/// Mass of `mm3` of a material of `density_g_cm3`, g.
pub fn mass_g(mm3: f64, density_g_cm3: f64) -> f64 {
    mm3 / 1000.0 * density_g_cm3
}

/// What every estimator takes besides the part and its process profile.
///
/// `Options::default()` is what the plain `estimate` functions use: the profile's or the
/// technology's own density, never cancelled.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Density of the material, g/cm³, from which `material_g` is computed (once). `None`:
    /// the profile's (FDM `filament_density`) or the technology's nominal density.
    pub density_g_cm3: Option<f64>,
    /// Polled per layer and per chunk of triangles: once cancelled, the estimate returns
    /// [`EstimateError::Cancelled`].
    pub cancel: Cancel,
}

/// Material and time spent on one extrusion role (or resin/powder component).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RoleFigures {
    /// Material, mm³.
    pub mm3: f64,
    /// Machine time, s.
    pub seconds: f64,
}

/// What a print takes. All figures are for one part.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    pub by_role: BTreeMap<Role, RoleFigures>,
    /// Powder bed only: the build volume the part occupies (its bounding box or hull
    /// divided by a packing density), mm³. Bureaus charge powder prints by this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occupied_mm3: Option<f64>,
    /// Problems found while estimating.
    pub warnings: Vec<Warning>,
    /// Powder bed only: the unfused powder lost in the occupied volume, mm³, priced as
    /// material. It is also `by_role["powder_refresh"]` in the JSON; the price reads this
    /// typed field, not the map.
    #[serde(skip)]
    pub powder_refresh_mm3: f64,
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
    /// The caller cancelled the estimate (or its deadline passed).
    #[error(transparent)]
    Cancelled(#[from] Cancelled),
}

impl EstimateError {
    /// A short stable code for JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            EstimateError::NoVolume { .. } => "no_volume",
            EstimateError::TooManyLayers { .. } => "too_many_layers",
            EstimateError::TooComplex { .. } => "too_complex",
            EstimateError::Cancelled(_) => "cancelled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON keys are the roles' names, and `by_role` lists them alphabetically as
    /// the `BTreeMap<&str, _>` it replaced did.
    #[test]
    fn roles_serialize_as_their_names_in_alphabetical_order() {
        for r in Role::ALL {
            let json = serde_json::to_string(&r).expect("serializes");
            assert_eq!(json, format!("\"{}\"", r.as_str()));
            assert_eq!(format!("{r:<20}|").len(), 21, "Display pads like a str");
        }
        let map: BTreeMap<Role, RoleFigures> = Role::ALL
            .iter()
            .map(|&r| (r, RoleFigures::default()))
            .collect();
        let keys: Vec<&str> = map.keys().map(|r| r.as_str()).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(keys, sorted);
        let json = serde_json::to_string(&map).expect("serializes");
        let positions: Vec<usize> = sorted
            .iter()
            .map(|k| json.find(&format!("\"{k}\":")).expect("key in JSON"))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{json}");
        let mut distinct = keys.clone();
        distinct.dedup();
        assert_eq!(distinct.len(), Role::ALL.len(), "names are unique");
    }
}
