//! Measuring a mesh: units, size, volume, area, shells, watertightness, and warnings.
//!
//! [`analyze`] takes a freshly read mesh in the file's units and returns a [`Part`]: the
//! repaired mesh in millimetres, dropped on the bed (min z = 0) as a printer would have
//! it, with its [`Analysis`]. Every later stage (estimates, quotes) starts from a `Part`.

use serde::Serialize;

use crate::cancel::{Cancel, Cancelled};
use crate::mesh::topology::{self, Repairs, Topology};
use crate::mesh::{Format, Loaded, Mesh};
use crate::units::{self, Unit, UnitGuess};
use crate::warning::Warning;

/// How to turn file units into millimetres.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Scaling {
    /// Detect the unit from the geometry.
    #[default]
    Auto,
    /// The file is in this unit.
    Unit(Unit),
    /// Multiply coordinates by this factor to get millimetres.
    Factor(f64),
}

/// Largest dimension (mm) below which a part is flagged as too small to print well.
pub const TOO_SMALL_MM: f64 = 1.0;
/// Largest dimension (mm) above which a part is flagged as larger than common printers.
pub const TOO_LARGE_MM: f64 = 500.0;
/// Mean wall thickness 2·V/A (mm) below which a mesh counts as a surface with no volume.
pub const NO_VOLUME_THICKNESS_MM: f64 = 0.05;
/// Unit confidence below which the detected unit is called uncertain.
pub const UNCERTAIN_UNITS: f64 = 0.6;

/// The unit decision as reported.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitsReport {
    /// The unit the geometry suggests, or, for a file that declares its unit (3MF), that
    /// unit (nothing is detected then).
    pub detected: Unit,
    /// The factor that was applied to reach millimetres.
    pub scale_to_mm: f64,
    /// Confidence of the detection, 0..1.
    pub confidence: f64,
    /// Where the scale came from: `detected`, `file` (the unit a 3MF declares, applied
    /// on reading), `units` (given) or `scale` (given).
    pub source: &'static str,
    /// Why the detector chose `detected`.
    pub reason: String,
}

/// An axis-aligned box in millimetres.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BoundingBox {
    /// Lowest corner.
    pub min: [f64; 3],
    /// Highest corner.
    pub max: [f64; 3],
    /// `max - min`.
    pub size: [f64; 3],
}

/// Everything measured about one mesh, in millimetres.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// The format read.
    pub format: Format,
    /// Triangles after dropping degenerate ones.
    pub triangles: usize,
    /// Unique vertices.
    pub vertices: usize,
    /// Units detected and applied.
    pub units: UnitsReport,
    /// Bounds with the part dropped on the bed (min z = 0).
    pub bbox_mm: BoundingBox,
    /// Enclosed volume, mm³ (cavities subtracted).
    pub volume_mm3: f64,
    /// Surface area, mm².
    pub area_mm2: f64,
    /// Centre of mass for closed meshes, else the area-weighted centre, on the bed frame.
    pub centroid_mm: [f64; 3],
    /// Connected shells.
    pub shells: usize,
    /// No open and no non-manifold edges.
    pub watertight: bool,
    /// Edges used by one triangle.
    pub open_edges: usize,
    /// Edges used by three or more triangles.
    pub non_manifold_edges: usize,
    /// Edges whose triangles disagreed in orientation (before repair).
    pub inconsistent_edges: usize,
    /// Degenerate triangles found (and dropped).
    pub degenerate_triangles: usize,
    /// What was repaired.
    pub repairs: Repairs,
    /// Problems worth a look, none fatal.
    pub warnings: Vec<Warning>,
}

impl Analysis {
    /// Whether the mesh encloses a printable volume.
    pub fn has_volume(&self) -> bool {
        self.area_mm2 > 0.0 && 2.0 * self.volume_mm3 / self.area_mm2 >= NO_VOLUME_THICKNESS_MM
    }
}

/// A mesh ready to estimate: repaired, in millimetres, on the bed.
#[derive(Debug, Clone)]
pub struct Part {
    /// The repaired mesh in mm, min z = 0.
    pub mesh: Mesh,
    /// Shells and edges of `mesh`.
    pub topology: Topology,
    /// The measurements.
    pub analysis: Analysis,
}

/// Repairs, scales and measures `mesh` (in file units, as read).
///
/// A [`Scaling::Factor`] that is not a positive finite number is ignored in favour of
/// unit detection. A 3MF mesh (already in millimetres) is not detected again: this is
/// [`analyze_declared`] with the unit unknown, taken as millimetres.
pub fn analyze(mesh: Mesh, format: Format, scaling: Scaling) -> Part {
    let declared = (format == Format::ThreeMf).then_some(Unit::Mm);
    analyze_declared(mesh, format, declared, scaling)
}

/// [`analyze`], polling `cancel` between the passes over the mesh.
pub fn analyze_with(
    mesh: Mesh,
    format: Format,
    scaling: Scaling,
    cancel: &Cancel,
) -> Result<Part, Cancelled> {
    let declared = (format == Format::ThreeMf).then_some(Unit::Mm);
    analyze_declared_with(mesh, format, declared, scaling, cancel)
}

/// [`analyze_declared`] on a read file, with the notes from reading (a skipped
/// non-printable item, a skipped modifier) added to the warnings. The whole-file mesh is
/// analysed; for one item use [`analyze_declared`] on [`Loaded::item_mesh`].
pub fn analyze_loaded(loaded: Loaded, scaling: Scaling) -> Part {
    match analyze_loaded_with(loaded, scaling, &Cancel::never()) {
        Ok(part) => part,
        Err(Cancelled) => unreachable!("Cancel::never() is never cancelled"),
    }
}

/// [`analyze_loaded`], polling `cancel` between the passes over the mesh.
pub fn analyze_loaded_with(
    loaded: Loaded,
    scaling: Scaling,
    cancel: &Cancel,
) -> Result<Part, Cancelled> {
    let mut part = analyze_declared_with(
        loaded.mesh,
        loaded.format,
        loaded.declared_unit,
        scaling,
        cancel,
    )?;
    part.analysis.warnings.extend(loaded.warnings);
    Ok(part)
}

/// Like [`analyze`], for a mesh whose file declared its unit (`declared`, see
/// [`Loaded::declared_unit`]): the mesh is already in millimetres, so under
/// [`Scaling::Auto`] nothing is scaled or detected, and the report gives the declared
/// unit with the source `file`. A unit or factor the user gives replaces the declared
/// unit: it says what the numbers written in the file are, so `--units inch` on a 3MF
/// declared in millimetres scales it ×25.4, and `--scale 2` on one declared in inches
/// gives ×2 mm per written unit.
pub fn analyze_declared(
    mesh: Mesh,
    format: Format,
    declared: Option<Unit>,
    scaling: Scaling,
) -> Part {
    match analyze_declared_with(mesh, format, declared, scaling, &Cancel::never()) {
        Ok(part) => part,
        Err(Cancelled) => unreachable!("Cancel::never() is never cancelled"),
    }
}

/// [`analyze_declared`], polling `cancel` between the passes over the mesh.
pub fn analyze_declared_with(
    mut mesh: Mesh,
    format: Format,
    declared: Option<Unit>,
    scaling: Scaling,
    cancel: &Cancel,
) -> Result<Part, Cancelled> {
    cancel.check()?;
    // A factor that is not a positive finite number cannot be applied; callers that take
    // it from users (CLI, worker params) reject it first, and the library falls back to
    // detection rather than producing NaN geometry.
    let scaling = match scaling {
        Scaling::Factor(f) if !(f.is_finite() && f > 0.0) => Scaling::Auto,
        other => other,
    };
    let raw_bounds = mesh.bounds().unwrap_or(([0.0; 3], [0.0; 3]));
    let (guess, scale, source, applied) = match declared {
        Some(unit) => {
            let (reported, source) = match scaling {
                Scaling::Auto => (unit.to_mm(), "file"),
                Scaling::Unit(u) => (u.to_mm(), "units"),
                Scaling::Factor(f) => (f, "scale"),
            };
            let guess = UnitGuess {
                unit,
                confidence: 1.0,
                reason: format!(
                    "the file declares its unit as {unit}; coordinates were converted to millimetres on reading"
                ),
            };
            // The mesh is in mm already: undo the declared unit, apply the chosen one.
            (guess, reported, source, reported / unit.to_mm())
        }
        None => {
            let raw_size = [0, 1, 2].map(|k| raw_bounds.1[k] - raw_bounds.0[k]);
            let stride = (mesh.positions.len() / 1000).max(1);
            let guess: UnitGuess = units::detect(
                raw_size,
                mesh.positions
                    .iter()
                    .step_by(stride)
                    .flat_map(|p| p.map(|c| c as f64)),
            );
            let (scale, source) = match scaling {
                Scaling::Auto => (guess.unit.to_mm(), "detected"),
                Scaling::Unit(u) => (u.to_mm(), "units"),
                Scaling::Factor(f) => (f, "scale"),
            };
            (guess, scale, source, scale)
        }
    };
    let scale_to_mm = scale;
    let scale = applied;
    // Scale and drop on the bed in one pass: the printer sees the part as it lies.
    let lift = -raw_bounds.0[2] * scale;
    mesh.transform(|p| [p[0] * scale, p[1] * scale, p[2] * scale + lift]);

    let (topology, repairs) = topology::analyze_and_repair_with(&mut mesh, cancel)?;
    let bounds = mesh.bounds().unwrap_or(([0.0; 3], [0.0; 3]));
    let volume: f64 = topology.shells.iter().map(|s| s.signed_volume).sum();
    let area: f64 = topology.shells.iter().map(|s| s.area).sum();
    let moment = topology.shells.iter().fold([0.0; 3], |m, s| {
        [m[0] + s.moment[0], m[1] + s.moment[1], m[2] + s.moment[2]]
    });
    let centroid = if volume.abs() > 0.0 && volume.is_finite() {
        moment.map(|m| m / volume)
    } else {
        [0, 1, 2].map(|k| 0.5 * (bounds.0[k] + bounds.1[k]))
    };
    let size = [0, 1, 2].map(|k| bounds.1[k] - bounds.0[k]);
    let mut analysis = Analysis {
        format,
        triangles: mesh.triangles.len(),
        vertices: mesh.positions.len(),
        units: UnitsReport {
            detected: guess.unit,
            scale_to_mm,
            confidence: round_to(guess.confidence, 3),
            source,
            reason: guess.reason,
        },
        bbox_mm: BoundingBox {
            min: bounds.0,
            max: bounds.1,
            size,
        },
        volume_mm3: volume,
        area_mm2: area,
        centroid_mm: centroid,
        shells: topology.shells.len(),
        watertight: topology.open_edges == 0 && topology.non_manifold_edges == 0,
        open_edges: topology.open_edges,
        non_manifold_edges: topology.non_manifold_edges,
        inconsistent_edges: topology.inconsistent_edges,
        degenerate_triangles: repairs.dropped_degenerate,
        repairs,
        warnings: Vec::new(),
    };
    analysis.warnings = warnings(&analysis, scaling, declared.is_some());
    Ok(Part {
        mesh,
        topology,
        analysis,
    })
}

fn round_to(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

fn warnings(a: &Analysis, scaling: Scaling, declared: bool) -> Vec<Warning> {
    let mut w = Vec::new();
    if a.open_edges > 0 {
        w.push(Warning::new(
            "open_edges",
            format!(
                "{} open edges: the mesh has holes, so its volume and estimate are approximate; repair it for an exact quote",
                a.open_edges
            ),
        ));
    }
    if a.non_manifold_edges > 0 {
        w.push(Warning::new(
            "non_manifold",
            format!(
                "{} non-manifold edges (shared by 3 or more triangles): slicers may print these regions unpredictably",
                a.non_manifold_edges
            ),
        ));
    }
    if a.repairs.reoriented_triangles > 0 {
        w.push(Warning::new(
            "orientation_repaired",
            format!(
                "{} edges joined triangles of opposite orientation; {} triangles were flipped to match their neighbours",
                a.inconsistent_edges, a.repairs.reoriented_triangles
            ),
        ));
    }
    if a.repairs.flipped_shells > 0 {
        w.push(Warning::new(
            "shells_flipped",
            format!(
                "{} inside-out shells were turned outward",
                a.repairs.flipped_shells
            ),
        ));
    }
    if a.degenerate_triangles > 0 {
        w.push(Warning::new(
            "degenerate_triangles",
            format!(
                "{} degenerate triangles (zero area) were dropped",
                a.degenerate_triangles
            ),
        ));
    }
    if a.shells > 1 {
        w.push(Warning::new(
            "multiple_bodies",
            format!(
                "the file holds {} separate shells; they are measured and priced as one print",
                a.shells
            ),
        ));
    }
    match scaling {
        // A declared unit was applied, not guessed: nothing to warn about.
        _ if declared => {}
        Scaling::Auto if a.units.detected != Unit::Mm => w.push(Warning::new(
            "units_converted",
            format!(
                "the model looks drawn in {} ({}); it was scaled ×{} to millimetres. If that is wrong, pass --units mm",
                a.units.detected, a.units.reason, a.units.scale_to_mm
            ),
        )),
        Scaling::Auto if a.units.confidence < UNCERTAIN_UNITS => w.push(Warning::new(
            "units_uncertain",
            format!(
                "the unit is uncertain (confidence {:.2}); millimetres assumed. Pass --units or --scale if that is wrong",
                a.units.confidence
            ),
        )),
        Scaling::Unit(_) | Scaling::Factor(_)
            if a.units.confidence >= 0.9
                && (a.units.scale_to_mm / a.units.detected.to_mm() - 1.0).abs() > 0.01 =>
        {
            w.push(Warning::new(
                "units_suspect",
                format!(
                    "the geometry looks drawn in {} ({}), but a scale of ×{} was given",
                    a.units.detected, a.units.reason, a.units.scale_to_mm
                ),
            ))
        }
        _ => {}
    }
    if !a.has_volume() {
        w.push(Warning::new(
            "no_volume",
            format!(
                "the mesh encloses almost no volume ({:.3} mm³ for {:.0} mm² of surface): it is a surface, not a solid, and cannot be printed as is; close or thicken it",
                a.volume_mm3, a.area_mm2
            ),
        ));
    }
    let largest = a.bbox_mm.size.iter().cloned().fold(0.0, f64::max);
    if largest < TOO_SMALL_MM {
        w.push(Warning::new(
            "too_small",
            format!(
                "the part is only {largest:.3} mm across, too small for common printers: check the units"
            ),
        ));
    } else if largest > TOO_LARGE_MM {
        w.push(Warning::new(
            "too_large",
            format!(
                "the part is {largest:.0} mm across, larger than common printers ({TOO_LARGE_MM:.0} mm): check the units or split it"
            ),
        ));
    }
    w
}
