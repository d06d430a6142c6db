//! The estimator's constants: the three fitted against PrusaSlicer ([`Calibration`]), and
//! the fixed ones that come from PrusaSlicer's own code or from geometry. Each says why it
//! has its value, so none hides inline in a stage.

/// The fitted constants. Global, few, each with its reason; `docs/accuracy.md` has the
/// leave-one-out check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    /// Sparse (gyroid) infill extrudes more than density × area: its wavy lines, and the
    /// anchors along perimeters that connect them.
    pub sparse_volume: f64,
    /// Support base extrudes more than its line density: each island gets a sheath loop
    /// and its outline is snapped outward to the support grid. Counted in loops of
    /// support width along the base outline.
    pub support_sheath: f64,
    /// Fraction of the sparse region's outline covered by infill anchors (PrusaSlicer
    /// joins gyroid line ends along the perimeter with anchors up to `infill_anchor`
    /// long; in narrow regions they dominate the infill).
    pub infill_anchor: f64,
}

impl Default for Calibration {
    /// Fitted on the corpus against PrusaSlicer 2.5 (`pricing-core/tests/fdm_accuracy.rs`
    /// refits them and runs the leave-one-out check; `docs/accuracy.md` has the figures).
    fn default() -> Self {
        Calibration {
            sparse_volume: 0.99,
            support_sheath: 1.03,
            infill_anchor: 0.39,
        }
    }
}

/// Most layers an estimate will slice (10 m of 0.2 mm layers: a unit mistake).
pub const MAX_LAYERS: u64 = 50_000;

/// Raster budget: pixels per layer × layers. Finer than 0.1 mm is never needed; huge
/// parts get coarser pixels so memory stays bounded (about 3 bitmaps of this many bits).
pub const RASTER_BUDGET_BITS: f64 = 2.5e8;

/// Finest pixel, mm: a quarter of an extrusion width.
pub const MIN_PIXEL_MM: f64 = 0.15;

/// Widest raster row, pixels.
pub const MAX_RASTER_SIDE: f64 = 16_384.0;

/// Pixels coarser than this many finest pixels get the `coarse_raster` warning: past
/// half again the finest pixel, features of one extrusion width lose their shape.
pub const COARSE_PIXEL_FACTOR: f64 = 1.5;

/// Empty room around the part in the raster frame, mm (on top of the support flange and
/// XY gap): erosions and dilations never reach the frame's edge, where outside counts as
/// empty.
pub const FRAME_MARGIN_MM: f64 = 1.0;

/// Small-perimeter threshold of PrusaSlicer 2.5 (`small_perimeter_min_length` default):
/// loops shorter than a 6.5 mm radius circle print at `small_perimeter_speed`.
pub const SMALL_PERIMETER_MM: f64 = 6.5 * 2.0 * std::f64::consts::PI;

/// PrusaSlicer's `SUPPORT_MATERIAL_MARGIN`: contact areas reach this far past the overhang.
pub const SUPPORT_MARGIN_MM: f64 = 1.5;

/// Support threshold when the profile says 0 (automatic), degrees from horizontal.
/// PrusaSlicer's automatic threshold follows the extrusion width and layer height; 45°
/// is its usual outcome for common widths.
pub const AUTO_SUPPORT_THRESHOLD_DEG: f64 = 45.0;

/// Narrowest spacing `Flow.cpp` may give a line, mm: a guard for absurd width/height
/// pairs (a layer nearly as tall as the line is wide), not a value real profiles reach.
pub const MIN_SPACING_MM: f64 = 0.05;

/// PrusaSlicer's `infill_overlap` default, as a share of the inner perimeter spacing: the
/// infill region reaches this far back into the last perimeter so lines weld to it.
pub const INFILL_OVERLAP: f64 = 0.25;

/// `discover_vertical_shells` keeps solid infill only where the shell is wider than
/// 1.05 infill spacings: it opens the shell by half of that, so slivers thinner than a
/// line (plus 5% for round-off) stay sparse.
pub const SHELL_OPENING_SPACINGS: f64 = 0.5 * 1.05;

/// `bridge_over_infill` does not bridge regions narrower than three bridge widths (a
/// bridge thread is one nozzle wide); the opening that removes them has half that radius.
pub const INTERNAL_BRIDGE_OPENING_NOZZLES: f64 = 1.5;

/// `Flow.hpp`'s `BRIDGE_EXTRA_SPACING`, mm: bridge threads are round, one nozzle wide,
/// laid this much apart so they do not merge.
pub const BRIDGE_EXTRA_SPACING_MM: f64 = 0.05;

/// Sparsest first support layer, as a density: a guard against a 0% flange density,
/// whose line pitch would be infinite.
pub const MIN_RAFT_DENSITY: f64 = 0.05;

/// Nearest-neighbour tour through `n` islands spread over an area `A`: each hop is about
/// `0.7·√(A/n)` (the Beardwood-Halton-Hammersley constant of random tours, ≈ 0.7124).
pub const TOUR_HOP_FACTOR: f64 = 0.7;

/// Unit direction of fill lines: PrusaSlicer lays rectilinear and gyroid fills at 45°
/// (alternating ±45° per layer), so a line turns with both axes moving.
pub const FILL_DIRECTION: [f64; 2] = [std::f64::consts::FRAC_1_SQRT_2; 2];

/// Unit direction of support lines: the grid pattern's lines run along x.
pub const SUPPORT_DIRECTION: [f64; 2] = [1.0, 0.0];
