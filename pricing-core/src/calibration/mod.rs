//! A printer's calibration: a few global constants, learnt from the shop's own G-code,
//! applied to the estimate after it is made.
//!
//! The estimator models PrusaSlicer's planner; a real printer, or another slicer, runs
//! the same profile faster or slower in ways no profile key states: the firmware's own
//! planner, homing and heating before a print, the pause at each layer change, walls and
//! infill slowed apart by acceleration limits. [`MachineCalibration`] holds what
//! `pricing calibrate` learnt of one printer profile:
//!
//! - **time** ([`TimeConstants`]): a scale per role group (walls, fills, the rest) or one
//!   machine factor, plus seconds per print and per layer. [`fit::choose_shape`] picks the
//!   shape by leave-one-out error, simplest first.
//! - **filament** ([`FilamentScales`]): a scale per role group (walls, fills, support,
//!   skirt), the slicer's extrusion over the estimate's, from the G-code's `;TYPE:`
//!   markers, or one scale for all when a G-code has none.
//! - the **profile** the pairs were sliced with (from their G-code), and what they were
//!   learnt from (engine version, blake3 of every mesh and G-code), so a calibrated price
//!   can be audited.
//!
//! It is applied after the estimate ([`MachineCalibration::apply`]): the estimator's
//! stages and its own fitted constants (`estimate::fdm::Calibration`) are untouched, and
//! an estimate is calibrated or not in one visible step (warning `calibrated`).
//!
//! ```
//! use pricing_core::calibration::{FilamentScales, MachineCalibration, TimeConstants};
//! use pricing_core::estimate::fdm;
//! use pricing_core::profile::fdm::FdmProfile;
//!
//! let cal = MachineCalibration {
//!     time: TimeConstants { walls: 1.2, fills: 1.2, rest: 1.2, per_print_s: 30.0, ..TimeConstants::IDENTITY },
//!     ..MachineCalibration::identity(FdmProfile::default())
//! };
//! let part = pricing_core::analysis::analyze(
//!     pricing_core::mesh::generate::cuboid([0.0; 3], [20.0, 20.0, 10.0]),
//!     pricing_core::mesh::Format::StlBinary,
//!     pricing_core::analysis::Scaling::Factor(1.0),
//! );
//! let mut e = fdm::estimate(&part, &cal.profile, false).unwrap();
//! let before = e.print_time_s;
//! cal.apply(&mut e);
//! assert!((e.print_time_s - (1.2 * before + 30.0)).abs() < 1e-6);
//! # let _ = FilamentScales::IDENTITY;
//! ```

pub mod file;
pub mod fit;
pub mod pairs;

use serde::Serialize;

use crate::estimate::{Estimate, Role};
use crate::profile::fdm::FdmProfile;
use crate::warning::Warning;

pub use file::CalibrationFileError;
pub use fit::{TimeConstants, TimeRow, TimeShape};
pub use pairs::{CalibrateOptions, Calibrated, Pair, PairError, PairRow, calibrate};

/// How the estimate's roles are grouped for the constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleGroup {
    /// External and inner perimeters.
    Walls,
    /// Sparse, solid and top infill, bridges.
    Fills,
    /// Support base and interface.
    Support,
    /// Skirt and brim.
    Skirt,
    /// Travel, retractions, layer changes (time only).
    Travel,
}

impl RoleGroup {
    /// The group of an FDM role; resin and powder roles have none.
    pub fn of(role: Role) -> Option<RoleGroup> {
        Some(match role {
            Role::ExternalPerimeter | Role::Perimeter => RoleGroup::Walls,
            Role::SparseInfill | Role::SolidInfill | Role::TopSolidInfill | Role::Bridge => {
                RoleGroup::Fills
            }
            Role::Support | Role::SupportInterface => RoleGroup::Support,
            Role::Skirt => RoleGroup::Skirt,
            Role::Travel => RoleGroup::Travel,
            _ => return None,
        })
    }
}

/// Filament scales per role group: the slicer's extrusion over the estimate's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FilamentScales {
    /// Walls.
    pub walls: f64,
    /// Fills.
    pub fills: f64,
    /// Support.
    pub support: f64,
    /// Skirt.
    pub skirt: f64,
}

impl FilamentScales {
    /// No change.
    pub const IDENTITY: FilamentScales = FilamentScales {
        walls: 1.0,
        fills: 1.0,
        support: 1.0,
        skirt: 1.0,
    };

    /// One scale for every group.
    pub fn uniform(k: f64) -> FilamentScales {
        FilamentScales {
            walls: k,
            fills: k,
            support: k,
            skirt: k,
        }
    }

    /// The scale of `group` (travel extrudes nothing: 1).
    pub fn of(&self, group: RoleGroup) -> f64 {
        match group {
            RoleGroup::Walls => self.walls,
            RoleGroup::Fills => self.fills,
            RoleGroup::Support => self.support,
            RoleGroup::Skirt => self.skirt,
            RoleGroup::Travel => 1.0,
        }
    }
}

/// Which time the calibration learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// The slicer's own estimate in the G-code.
    Slicer,
    /// The printer's logged times (`--actual`).
    Actual,
}

impl Target {
    /// `slicer` or `actual`.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Slicer => "slicer",
            Target::Actual => "actual",
        }
    }
}

/// One file a calibration was learnt from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceFile {
    /// The pair's stem.
    pub stem: String,
    /// The file's name.
    pub file: String,
    /// blake3 of its bytes, hex.
    pub blake3: String,
}

/// Leave-one-out figures of a calibration, as written to its file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FitFigures {
    /// Pairs fitted.
    pub pairs: usize,
    /// Median / p90 absolute time error before calibration.
    pub time_before: (f64, f64),
    /// Median / p90 absolute leave-one-out time error.
    pub time_loo: (f64, f64),
    /// Median / p90 absolute filament error before calibration.
    pub filament_before: (f64, f64),
    /// Median / p90 absolute leave-one-out filament error.
    pub filament_loo: (f64, f64),
}

/// What `pricing calibrate` learnt of one printer profile. See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineCalibration {
    /// Time constants.
    pub time: TimeConstants,
    /// Filament scales.
    pub filament: FilamentScales,
    /// The profile the pairs were sliced with.
    pub profile: FdmProfile,
    /// What the time constants learnt.
    pub target: Target,
    /// The engine version that fitted it.
    pub engine_version: String,
    /// The files it was learnt from.
    pub sources: Vec<SourceFile>,
    /// How well it predicts pairs it did not see.
    pub figures: Option<FitFigures>,
    /// blake3 of the calibration file (empty for one built in memory).
    pub hash: String,
}

impl MachineCalibration {
    /// A calibration that changes nothing, for `profile`.
    pub fn identity(profile: FdmProfile) -> MachineCalibration {
        MachineCalibration {
            time: TimeConstants::IDENTITY,
            filament: FilamentScales::IDENTITY,
            profile,
            target: Target::Slicer,
            engine_version: env!("CARGO_PKG_VERSION").to_string(),
            sources: Vec::new(),
            figures: None,
            hash: String::new(),
        }
    }

    /// Applies the constants to an FDM estimate: each role's time and material scaled by
    /// its group's constant, the per-print and per-layer seconds added to `travel` (the
    /// role of everything that is not extrusion), the totals and the mass recomputed
    /// (the mass keeps the estimate's density), and a `calibrated` warning naming the
    /// calibration, so a calibrated figure is never mistaken for a raw one.
    pub fn apply(&self, e: &mut Estimate) {
        let density_ratio = if e.material_mm3 > 0.0 {
            e.material_g / e.material_mm3
        } else {
            0.0
        };
        for (role, f) in e.by_role.iter_mut() {
            let Some(group) = RoleGroup::of(*role) else {
                continue;
            };
            let k_time = match group {
                RoleGroup::Walls => self.time.walls,
                RoleGroup::Fills => self.time.fills,
                _ => self.time.rest,
            };
            f.seconds *= k_time;
            f.mm3 *= self.filament.of(group);
        }
        let added = self.time.per_print_s + self.time.per_layer_s * e.layers as f64;
        e.by_role.entry(Role::Travel).or_default().seconds += added;
        e.print_time_s = e.by_role.values().map(|r| r.seconds).sum();
        e.material_mm3 = e.by_role.values().map(|r| r.mm3).sum();
        e.support_mm3 = [Role::Support, Role::SupportInterface]
            .iter()
            .filter_map(|r| e.by_role.get(r))
            .map(|r| r.mm3)
            .sum();
        e.material_g = e.material_mm3 * density_ratio;
        e.warnings.push(Warning::new(
            "calibrated",
            format!(
                "time and material are calibrated ({} time model, learnt from {} pairs against the {} time{})",
                self.time.shape.as_str(),
                self.figures.map(|f| f.pairs).unwrap_or(0),
                self.target.as_str(),
                if self.hash.is_empty() {
                    String::new()
                } else {
                    format!(", calibration blake3 {}", &self.hash[..self.hash.len().min(16)])
                }
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::RoleFigures;

    #[test]
    fn apply_scales_roles_and_keeps_totals_consistent() {
        let part = crate::analysis::analyze(
            crate::mesh::generate::cuboid([0.0; 3], [20.0, 10.0, 6.0]),
            crate::mesh::Format::StlBinary,
            crate::analysis::Scaling::Factor(1.0),
        );
        let profile = FdmProfile::default();
        let raw = crate::estimate::fdm::estimate(&part, &profile, false).expect("estimates");
        let cal = MachineCalibration {
            time: TimeConstants {
                shape: TimeShape::RoleGroups,
                walls: 1.5,
                fills: 0.5,
                rest: 2.0,
                per_print_s: 10.0,
                per_layer_s: 1.0,
            },
            filament: FilamentScales {
                walls: 1.1,
                fills: 0.9,
                support: 1.0,
                skirt: 1.0,
            },
            ..MachineCalibration::identity(profile)
        };
        let mut e = raw.clone();
        cal.apply(&mut e);
        let get =
            |e: &Estimate, r: Role| e.by_role.get(&r).copied().unwrap_or(RoleFigures::default());
        approx::assert_relative_eq!(
            get(&e, Role::Perimeter).seconds,
            1.5 * get(&raw, Role::Perimeter).seconds
        );
        approx::assert_relative_eq!(
            get(&e, Role::SparseInfill).mm3,
            0.9 * get(&raw, Role::SparseInfill).mm3
        );
        let sum: f64 = e.by_role.values().map(|r| r.seconds).sum();
        approx::assert_relative_eq!(e.print_time_s, sum);
        approx::assert_relative_eq!(
            e.material_g / e.material_mm3,
            raw.material_g / raw.material_mm3,
            max_relative = 1e-12
        );
        let expected: f64 = raw
            .by_role
            .iter()
            .map(|(r, f)| {
                f.seconds
                    * match RoleGroup::of(*r) {
                        Some(RoleGroup::Walls) => 1.5,
                        Some(RoleGroup::Fills) => 0.5,
                        _ => 2.0,
                    }
            })
            .sum::<f64>()
            + 10.0
            + raw.layers as f64;
        approx::assert_relative_eq!(e.print_time_s, expected, max_relative = 1e-12);
        assert_eq!(e.warnings.last().map(|w| w.code), Some("calibrated"));
    }
}
