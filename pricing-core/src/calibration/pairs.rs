//! From pairs (a mesh and the G-code the shop's slicer wrote for it) to a
//! [`MachineCalibration`], with the per-pair figures before, after and leave-one-out.
//!
//! Each pair is estimated with the profile its own G-code carries (what the slicer
//! really used), with supports as that profile says. The calibration then stores the
//! profile most pairs share; pairs whose profile differs are named in a warning
//! (`calibration_profiles_differ`): a calibration belongs to one printer profile.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use super::fit::{self, TimeConstants, TimeRow, TimeShape, median_p90, relative_error};
use super::{FilamentScales, FitFigures, MachineCalibration, RoleGroup, SourceFile, Target};
use crate::analysis::Part;
use crate::estimate::{Estimate, fdm};
use crate::gcode::GcodeReport;
use crate::profile::ProfileBuilder;
use crate::profile::fdm::FdmProfile;
use crate::warning::Warning;

/// Fewest usable pairs a calibration is fitted on: with two, leave-one-out predicts each
/// from a single other pair, which checks nothing.
pub const MIN_PAIRS: usize = 3;

/// One mesh and its G-code, read.
#[derive(Debug, Clone)]
pub struct Pair {
    /// The shared file stem.
    pub stem: String,
    /// The mesh, analysed (in mm, on the bed).
    pub part: Part,
    /// What the G-code says.
    pub gcode: GcodeReport,
    /// The printer's real time for this print, s (`--actual`).
    pub actual_s: Option<f64>,
    /// The mesh and G-code files, with their hashes.
    pub sources: Vec<SourceFile>,
}

/// Why one pair was left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PairError {
    /// The pair's stem.
    pub stem: String,
    /// A stable code (`gcode_no_estimate`, `no_config`, a mesh or estimate code, ...).
    pub code: String,
    /// What is wrong.
    pub message: String,
}

/// What the calibration is asked to do.
#[derive(Debug, Clone, Default)]
pub struct CalibrateOptions {
    /// The profile of pairs whose G-code carries no configuration (Cura); without it such
    /// pairs are refused.
    pub fallback_profile: Option<FdmProfile>,
}

/// One pair's figures: the target, and the estimate before, after (the fit on every
/// pair) and leave-one-out (the fit on the other pairs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairRow {
    /// The stem.
    pub stem: String,
    /// The time learnt, s.
    pub target_s: f64,
    /// The slicer's own estimate, s.
    pub slicer_s: f64,
    /// The estimate, uncalibrated, s.
    pub before_s: f64,
    /// Calibrated on all pairs, s.
    pub after_s: f64,
    /// Calibrated on the other pairs, s (`None` when those cannot be fitted).
    pub loo_s: Option<f64>,
    /// The slicer's filament, mm³.
    pub filament_target_mm3: f64,
    /// Estimated filament, uncalibrated, mm³.
    pub filament_before_mm3: f64,
    /// Calibrated on all pairs, mm³.
    pub filament_after_mm3: f64,
    /// Calibrated on the other pairs, mm³.
    pub filament_loo_mm3: Option<f64>,
}

/// What [`calibrate`] returns.
#[derive(Debug, Clone)]
pub struct Calibrated {
    /// The calibration, fitted on every usable pair.
    pub calibration: MachineCalibration,
    /// Per-pair figures, by stem.
    pub rows: Vec<PairRow>,
    /// Pairs that could not be used.
    pub errors: Vec<PairError>,
    /// Profile disagreements, odd figures, profile keys not modelled (each once).
    pub warnings: Vec<Warning>,
    /// Every time shape tried, with its leave-one-out RMS error.
    pub scores: Vec<fit::LooScore>,
}

/// Why no calibration could be fitted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CalibrateError {
    /// Too few pairs were usable.
    #[error(
        "{usable} usable pair{} (at least {MIN_PAIRS} are needed){}",
        if *usable == 1 { "" } else { "s" },
        errors.iter().map(|e| format!("\n  {}: [{}] {}", e.stem, e.code, e.message)).collect::<String>()
    )]
    TooFewPairs {
        /// Pairs that could be used.
        usable: usize,
        /// Why the others could not.
        errors: Vec<PairError>,
    },
    /// No time model could be fitted (the pairs' estimates do not tell the constants
    /// apart, or need unphysical ones).
    #[error(
        "no time model fits these pairs with physical constants; are the meshes and the G-code paired right?"
    )]
    NoFit,
}

impl CalibrateError {
    /// A short stable code.
    pub fn code(&self) -> &'static str {
        match self {
            CalibrateError::TooFewPairs { .. } => "too_few_pairs",
            CalibrateError::NoFit => "no_fit",
        }
    }
}

/// One pair estimated, with its warnings and files, or why it could not be.
type PairOutcome = Result<(Estimated, Vec<Warning>, Vec<SourceFile>), PairError>;

/// A pair estimated: what the fits need.
struct Estimated {
    stem: String,
    profile: FdmProfile,
    estimate: Estimate,
    row: TimeRow,
    slicer_s: f64,
    /// The target is the printer's real time.
    actual: bool,
    /// mm³ per group, the estimate's and the slicer's (`;TYPE:` markers; empty without).
    est_groups: BTreeMap<Group, f64>,
    slicer_groups: BTreeMap<Group, f64>,
    filament_target: f64,
}

/// The filament groups, ordered for maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    Walls,
    Fills,
    Support,
    Skirt,
}

fn group(role: crate::estimate::Role) -> Option<Group> {
    match RoleGroup::of(role)? {
        RoleGroup::Walls => Some(Group::Walls),
        RoleGroup::Fills => Some(Group::Fills),
        RoleGroup::Support => Some(Group::Support),
        RoleGroup::Skirt => Some(Group::Skirt),
        RoleGroup::Travel => None,
    }
}

/// Fits a calibration on `pairs`; pairs that cannot be used are listed, not fatal.
pub fn calibrate(
    pairs: Vec<Pair>,
    options: &CalibrateOptions,
) -> Result<Calibrated, CalibrateError> {
    let mut warnings: Vec<Warning> = Vec::new();
    let results: Vec<PairOutcome> = pairs
        .into_par_iter()
        .map(|p| estimate_pair(p, options))
        .collect();
    let mut errors = Vec::new();
    let mut done = Vec::new();
    let mut sources = Vec::new();
    for r in results {
        match r {
            Ok((e, w, s)) => {
                for w in w {
                    if !warnings.contains(&w) {
                        warnings.push(w);
                    }
                }
                sources.extend(s);
                done.push(e);
            }
            Err(e) => errors.push(e),
        }
    }
    done.sort_by(|a, b| a.stem.cmp(&b.stem));
    if done.len() < MIN_PAIRS {
        return Err(CalibrateError::TooFewPairs {
            usable: done.len(),
            errors,
        });
    }
    let profile = common_profile(&done, &mut warnings);

    let rows: Vec<TimeRow> = done.iter().map(|d| d.row).collect();
    let (shape, scores) = fit::choose_shape(&rows);
    let shape = shape.ok_or(CalibrateError::NoFit)?;
    let time = fit::fit_time(shape, &rows).ok_or(CalibrateError::NoFit)?;
    let time_loo = fit::loo_time(shape, &rows);
    // Per role group where every G-code has `;TYPE:` markers, or one scale for all:
    // whichever predicts the pairs it did not see better (the slicer's roles and the
    // estimate's split a part's filament a little differently, gap fill for one).
    let all: Vec<&Estimated> = done.iter().collect();
    let loo_filament = |per_group: bool| -> Vec<Option<f64>> {
        (0..done.len())
            .map(|i| {
                let others: Vec<&Estimated> = done
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, d)| d)
                    .collect();
                Some(predict_filament(
                    &filament_scales_or_none(&others, per_group)?,
                    &done[i],
                ))
            })
            .collect()
    };
    let loo_error = |loo: &[Option<f64>]| -> f64 {
        let e: Vec<f64> = loo
            .iter()
            .zip(&done)
            .filter_map(|(p, d)| p.map(|p| relative_error(p, d.filament_target)))
            .collect();
        median_p90(&e).0
    };
    let (grouped, uniform) = (loo_filament(true), loo_filament(false));
    let per_group = loo_error(&grouped) < loo_error(&uniform);
    let filament = filament_scales_or_none(&all, per_group).unwrap_or(FilamentScales::IDENTITY);
    let filament_loo = if per_group { grouped } else { uniform };
    for (name, k) in [
        ("walls", filament.walls),
        ("fills", filament.fills),
        ("support", filament.support),
        ("skirt", filament.skirt),
    ] {
        if !(0.7..=1.4).contains(&k) {
            warnings.push(Warning::new(
                "calibration_scale_extreme",
                format!("the {name} filament scale is {k:.3}: the slicer extrudes far from what the estimate models; check the pairs and the filament diameter"),
            ));
        }
    }

    let mut out_rows = Vec::new();
    for (i, d) in done.iter().enumerate() {
        let filament_before = d.estimate.material_mm3;
        let row = PairRow {
            stem: d.stem.clone(),
            target_s: d.row.target_s,
            slicer_s: d.slicer_s,
            before_s: d.row.estimate_s(),
            after_s: time.predict(&d.row),
            loo_s: time_loo[i],
            filament_target_mm3: d.filament_target,
            filament_before_mm3: filament_before,
            filament_after_mm3: predict_filament(&filament, d),
            filament_loo_mm3: filament_loo[i],
        };
        if relative_error(filament_before, d.filament_target).abs() > 0.5 {
            warnings.push(Warning::new(
                "pair_mismatch",
                format!(
                    "{}: the estimate's filament ({:.0} mm³) is over 50% from the slicer's ({:.0} mm³): is the G-code of this mesh, at this scale?",
                    d.stem, filament_before, d.filament_target
                ),
            ));
        }
        out_rows.push(row);
    }
    let errs = |f: &dyn Fn(&PairRow) -> Option<(f64, f64)>| -> Vec<f64> {
        out_rows
            .iter()
            .filter_map(f)
            .map(|(p, t)| relative_error(p, t))
            .collect()
    };
    let figures = FitFigures {
        pairs: done.len(),
        time_before: median_p90(&errs(&|r| Some((r.before_s, r.target_s)))),
        time_loo: median_p90(&errs(&|r| r.loo_s.map(|p| (p, r.target_s)))),
        filament_before: median_p90(&errs(&|r| {
            Some((r.filament_before_mm3, r.filament_target_mm3))
        })),
        filament_loo: median_p90(&errs(&|r| {
            r.filament_loo_mm3.map(|p| (p, r.filament_target_mm3))
        })),
    };
    let target = if done.iter().any(|d| d.actual) {
        Target::Actual
    } else {
        Target::Slicer
    };
    sources.sort_by(|a, b| (&a.stem, &a.file).cmp(&(&b.stem, &b.file)));
    Ok(Calibrated {
        calibration: MachineCalibration {
            time,
            filament,
            profile,
            target,
            engine_version: env!("CARGO_PKG_VERSION").to_string(),
            sources,
            figures: Some(figures),
            hash: String::new(),
        },
        rows: out_rows,
        errors,
        warnings,
        scores,
    })
}

fn estimate_pair(p: Pair, options: &CalibrateOptions) -> PairOutcome {
    let fail = |code: &str, message: String| PairError {
        stem: p.stem.clone(),
        code: code.to_string(),
        message,
    };
    let mut warnings: Vec<Warning> = p.gcode.warnings.clone();
    let profile = if p.gcode.config.is_empty() {
        match &options.fallback_profile {
            Some(pr) => pr.clone(),
            None => {
                return Err(fail(
                    "no_config",
                    format!(
                        "the G-code ({}) carries no configuration block in `; key = value` form, so its profile is unknown; give --profile",
                        p.gcode.slicer.as_str()
                    ),
                ));
            }
        }
    } else {
        let loaded = ProfileBuilder::new()
            .load_ini(&p.gcode.config_ini())
            .and_then(ProfileBuilder::build)
            .map_err(|e| fail("bad_profile", format!("the G-code's configuration: {e}")))?;
        warnings.extend(loaded.warnings);
        loaded.profile
    };
    let supports = p.gcode.config_value("support_material") == Some("1");
    let estimate =
        fdm::estimate(&p.part, &profile, supports).map_err(|e| fail(e.code(), e.to_string()))?;
    let filament_target = p.gcode.filament_mm3().ok_or_else(|| {
        fail(
            "gcode_no_filament",
            "the G-code gives no filament used and has no extruding moves".to_string(),
        )
    })?;
    let target_s = p.actual_s.unwrap_or(p.gcode.time_s);
    if !(target_s.is_finite() && target_s > 0.0) {
        return Err(fail(
            "bad_time",
            format!("the time to learn is {target_s} s; expected a positive time"),
        ));
    }
    let mut walls_s = 0.0;
    let mut fills_s = 0.0;
    let mut rest_s = 0.0;
    let mut est_groups = BTreeMap::new();
    for (role, f) in &estimate.by_role {
        match RoleGroup::of(*role) {
            Some(RoleGroup::Walls) => walls_s += f.seconds,
            Some(RoleGroup::Fills) => fills_s += f.seconds,
            _ => rest_s += f.seconds,
        }
        if let Some(g) = group(*role) {
            *est_groups.entry(g).or_insert(0.0) += f.mm3;
        }
    }
    let mut slicer_groups = BTreeMap::new();
    for (role, mm3) in &p.gcode.extruded_mm3_by_role {
        if let Some(g) = group(*role) {
            *slicer_groups.entry(g).or_insert(0.0) += mm3;
        }
    }
    let row = TimeRow {
        walls_s,
        fills_s,
        rest_s,
        layers: estimate.layers as f64,
        target_s,
    };
    Ok((
        Estimated {
            stem: p.stem.clone(),
            profile,
            slicer_s: p.gcode.time_s,
            actual: p.actual_s.is_some(),
            estimate,
            row,
            est_groups,
            slicer_groups,
            filament_target,
        },
        warnings,
        p.sources,
    ))
}

/// The profile most pairs share; a warning names the pairs whose profile differs, and
/// the keys it differs in.
fn common_profile(done: &[Estimated], warnings: &mut Vec<Warning>) -> FdmProfile {
    let table = |p: &FdmProfile| match toml::Value::try_from(p) {
        Ok(toml::Value::Table(t)) => t,
        _ => toml::Table::new(),
    };
    let tables: Vec<toml::Table> = done.iter().map(|d| table(&d.profile)).collect();
    let mut best = 0;
    let mut best_count = 0;
    for (i, t) in tables.iter().enumerate() {
        let count = tables.iter().filter(|u| *u == t).count();
        if count > best_count {
            best = i;
            best_count = count;
        }
    }
    let mut differ: Vec<String> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    for (i, t) in tables.iter().enumerate() {
        if *t == tables[best] {
            continue;
        }
        differ.push(done[i].stem.clone());
        for (k, v) in t {
            if tables[best].get(k) != Some(v) && !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    if !differ.is_empty() {
        keys.sort();
        warnings.push(Warning::new(
            "calibration_profiles_differ",
            format!(
                "{} of {} pairs ({}) were sliced with a profile that differs from the others' in {}: a calibration belongs to one printer profile; each pair was estimated with its own, and the file keeps the profile of the {} others",
                differ.len(),
                done.len(),
                differ.join(", "),
                keys.join(", "),
                best_count
            ),
        ));
    }
    done[best].profile.clone()
}

/// Filament scales: per group (`per_group`), the slicer's extrusion over the
/// estimate's summed over the pairs (so large parts weigh as much filament as they
/// use); else, or without `;TYPE:` markers in every pair, one scale: the slicer's total
/// over the estimate's.
fn filament_scales_or_none(done: &[&Estimated], per_group: bool) -> Option<FilamentScales> {
    if done.is_empty() {
        return None;
    }
    let total_est: f64 = done.iter().map(|d| d.estimate.material_mm3).sum();
    let total_slicer: f64 = done.iter().map(|d| d.filament_target).sum();
    if !(total_est > 0.0 && total_slicer > 0.0) {
        return None;
    }
    let uniform = total_slicer / total_est;
    if !per_group || done.iter().any(|d| d.slicer_groups.is_empty()) {
        return Some(FilamentScales::uniform(uniform));
    }
    let scale = |g: Group| {
        let est: f64 = done
            .iter()
            .map(|d| d.est_groups.get(&g).copied().unwrap_or(0.0))
            .sum();
        let sl: f64 = done
            .iter()
            .map(|d| d.slicer_groups.get(&g).copied().unwrap_or(0.0))
            .sum();
        // A group the estimate has (almost) none of cannot be scaled: the slicer's
        // extrusion there says nothing about the estimate's.
        if est > 1e-3 * total_est && sl > 0.0 {
            sl / est
        } else {
            uniform
        }
    };
    Some(FilamentScales {
        walls: scale(Group::Walls),
        fills: scale(Group::Fills),
        support: scale(Group::Support),
        skirt: scale(Group::Skirt),
    })
}

fn predict_filament(s: &FilamentScales, d: &Estimated) -> f64 {
    let mut total = 0.0;
    for (role, f) in &d.estimate.by_role {
        let k = RoleGroup::of(*role).map(|g| s.of(g)).unwrap_or(1.0);
        total += k * f.mm3;
    }
    total
}

/// The time constants as a human reads them, e.g. `×1.083 + 31.2 s/print`.
pub fn describe_time(t: &TimeConstants) -> String {
    let mut s = match t.shape {
        TimeShape::RoleGroups => format!(
            "walls ×{:.3}, fills ×{:.3}, rest ×{:.3}",
            t.walls, t.fills, t.rest
        ),
        _ => format!("×{:.3}", t.walls),
    };
    if t.per_print_s != 0.0 {
        s.push_str(&format!(" + {:.1} s/print", t.per_print_s));
    }
    if t.per_layer_s != 0.0 {
        s.push_str(&format!(" + {:.2} s/layer", t.per_layer_s));
    }
    s
}
