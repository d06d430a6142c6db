//! FDM estimate: PrusaSlicer 2.5's layer model, material and print time, in milliseconds.
//!
//! 1. Layers at PrusaSlicer's heights, cut at mid-height ([`crate::slice`]).
//! 2. Per layer, on a bit raster: the external perimeter band, the inner perimeter band
//!    and the infill region are erosions of the section by the perimeter offsets of
//!    PrusaSlicer's `PerimeterGenerator`; top skins, bridges (over air, and the internal
//!    bridge PrusaSlicer lays over sparse infill) and solid infill come from comparing a
//!    layer's infill region with its neighbours' (k - bottom .. k + top), which also
//!    reproduces `ensure_vertical_shell_thickness` on sloped walls.
//! 3. Volumes: a solid region of area A costs A·h (lines at spacing s, each s·h per mm:
//!    `Flow.cpp`), sparse infill density·A·h, perimeters their loop length × s·h, bridges
//!    round threads of nozzle diameter.
//! 4. Supports ([`crate::support`]).
//! 5. Time ([`crate::motion`]): perimeters are timed on the exact cut polygons with a
//!    jerk/acceleration planner; infill and support lines from the raster's run lengths,
//!    each line accelerating from the jerk speed at its turn; plus travel, retractions,
//!    z-lifts and layer changes.
//!
//! A few global constants are fitted against PrusaSlicer on the corpus; each is in
//! [`Calibration`] with its physical reason (see `docs/accuracy.md`).

use std::collections::BTreeMap;
use std::f64::consts::PI;

use rayon::prelude::*;

use super::{Estimate, EstimateError, RoleFigures, Technology};
use crate::analysis::Part;
use crate::motion::{Motion, line_time, segment_time};
use crate::profile::fdm::FdmProfile;
use crate::slice::{self, Bitmap, Grid, SMALL_PERIMETER_MM};
use crate::support::{self, SupportParams};
use crate::warning::Warning;

/// Most layers an estimate will slice (10 m of 0.2 mm layers: a unit mistake).
pub const MAX_LAYERS: u64 = 50_000;
/// Raster budget: pixels per layer × layers. Finer than 0.1 mm is never needed; huge
/// parts get coarser pixels so memory stays bounded (about 3 bitmaps of this many bits).
pub const RASTER_BUDGET_BITS: f64 = 2.5e8;
/// Finest pixel, mm: a quarter of an extrusion width.
pub const MIN_PIXEL_MM: f64 = 0.15;
/// Widest raster row, pixels.
pub const MAX_RASTER_SIDE: f64 = 16_384.0;

/// PrusaSlicer's `SUPPORT_MATERIAL_MARGIN`: contact areas reach this far past the overhang.
pub const SUPPORT_MARGIN_MM: f64 = 1.5;

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
    /// Gyroid lines are waves: the jerk limit slows the head in their bends, so sparse
    /// infill takes longer than straight lines at the infill speed would.
    pub sparse_time: f64,
    /// Retracting travels per island per layer (to the island, and between its
    /// perimeters and its infill).
    pub retracts_per_island: f64,
}

impl Default for Calibration {
    /// Fitted on the corpus against PrusaSlicer 2.5 (`tests/fdm_accuracy.rs` refits them and
    /// runs the leave-one-out check; `docs/accuracy.md` has the figures).
    fn default() -> Self {
        Calibration {
            sparse_volume: 0.99,
            support_sheath: 1.03,
            infill_anchor: 0.39,
            sparse_time: 1.83,
            retracts_per_island: 0.39,
        }
    }
}

/// Estimates printing `part` (in mm, on the bed) with `profile`, with or without supports.
pub fn estimate(
    part: &Part,
    profile: &FdmProfile,
    supports: bool,
) -> Result<Estimate, EstimateError> {
    estimate_with(part, profile, supports, &Calibration::default())
}

struct Widths {
    ext_w: f64,
    ext_s: f64,
    per_s: f64,
    inf_s: f64,
    solid_s: f64,
    top_s: f64,
    sup_s: f64,
    first_s: f64,
}

fn spacing(w: f64, h: f64) -> f64 {
    (w - h * (1.0 - PI / 4.0)).max(0.05)
}

#[derive(Debug, Clone, Copy, Default)]
struct LayerFigures {
    ext_px: f64,
    per_px: f64,
    sparse_px: u64,
    solid_px: u64,
    top_px: u64,
    bridge_px: u64,
    sparse_t: f64,
    sparse_edge_mm: f64,
    solid_t: f64,
    top_t: f64,
    bridge_t: f64,
}

/// [`estimate`] with explicit calibration constants (the accuracy test refits them).
pub fn estimate_with(
    part: &Part,
    profile: &FdmProfile,
    supports: bool,
    cal: &Calibration,
) -> Result<Estimate, EstimateError> {
    estimate_layers(part, profile, supports, cal, LayerSharing::Runs)
}

/// Whether layers with bit-identical sections share their work. Sharing is exact; the
/// switch exists so a test can show that it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LayerSharing {
    /// Runs of identical sections share bands, and layers inside a run repeat figures.
    Runs,
    /// Every layer computed on its own.
    #[cfg_attr(not(test), allow(dead_code))]
    None,
}

fn estimate_layers(
    part: &Part,
    profile: &FdmProfile,
    supports: bool,
    cal: &Calibration,
    sharing: LayerSharing,
) -> Result<Estimate, EstimateError> {
    let a = &part.analysis;
    if !a.has_volume() {
        return Err(EstimateError::NoVolume {
            volume_mm3: a.volume_mm3,
            area_mm2: a.area_mm2,
        });
    }
    let pr = profile;
    let mut warnings: Vec<Warning> = Vec::new();
    let (h1, h) = (pr.first_layer_height, pr.layer_height);
    let height = a.bbox_mm.size[2].max(0.0);
    let n_f = if height <= h1 {
        1.0
    } else {
        1.0 + ((height - h1) / h - 1e-6).ceil()
    };
    if !n_f.is_finite() || n_f > MAX_LAYERS as f64 {
        return Err(EstimateError::TooManyLayers {
            layers: if n_f.is_finite() {
                n_f as u64
            } else {
                u64::MAX
            },
            limit: MAX_LAYERS,
        });
    }
    let n = n_f as usize;
    let z_mid: Vec<f64> = (0..n)
        .map(|k| {
            if k == 0 {
                h1 / 2.0
            } else {
                h1 + (k as f64 - 0.5) * h
            }
        })
        .collect();

    // Widths and spacings (Flow.cpp).
    let w = Widths {
        ext_w: pr.width(pr.external_perimeter_extrusion_width),
        ext_s: spacing(pr.width(pr.external_perimeter_extrusion_width), h),
        per_s: spacing(pr.width(pr.perimeter_extrusion_width), h),
        inf_s: spacing(pr.width(pr.infill_extrusion_width), h),
        solid_s: spacing(pr.width(pr.solid_infill_extrusion_width), h),
        top_s: spacing(pr.width(pr.top_infill_extrusion_width), h),
        sup_s: spacing(pr.width(pr.support_material_extrusion_width), h),
        first_s: spacing(pr.width(pr.first_layer_extrusion_width), h1),
    };

    // Raster frame: the part plus room for supports' flange and the XY gap.
    let margin = 1.0
        + if supports {
            pr.raft_first_layer_expansion + pr.support_xy_gap()
        } else {
            0.0
        };
    let (bx, by) = (a.bbox_mm.min, a.bbox_mm.max);
    let (wx, wy) = (
        (by[0] - bx[0]).max(0.0) + 2.0 * margin,
        (by[1] - bx[1]).max(0.0) + 2.0 * margin,
    );
    let pixel = MIN_PIXEL_MM
        .max((wx * wy * n as f64 / RASTER_BUDGET_BITS).sqrt())
        .max(wx.max(wy) / MAX_RASTER_SIDE);
    if !pixel.is_finite() || pixel <= 0.0 || !(wx * wy).is_finite() {
        // Only absurd coordinates get here (a footprint beyond f64): refuse, never allocate.
        return Err(EstimateError::TooComplex {
            work: u64::MAX,
            limit: slice::MAX_CUTS,
        });
    }
    if pixel > 1.5 * MIN_PIXEL_MM {
        warnings.push(Warning::new(
            "coarse_raster",
            format!(
                "the part is large ({wx:.0} × {wy:.0} mm, {n} layers): sliced at {pixel:.2} mm pixels, so thin features are less accurate"
            ),
        ));
    }
    let grid = Grid {
        x0: bx[0] - margin,
        y0: bx[1] - margin,
        pixel,
        width: ((wx / pixel).ceil() as usize).max(1),
        height: ((wy / pixel).ceil() as usize).max(1),
    };
    if grid.width as f64 > 1.01 * MAX_RASTER_SIDE || grid.height as f64 > 1.01 * MAX_RASTER_SIDE {
        return Err(EstimateError::TooComplex {
            work: (grid.width as u64).saturating_mul(grid.height as u64),
            limit: (MAX_RASTER_SIDE * MAX_RASTER_SIDE) as u64,
        });
    }
    let px_area = pixel * pixel;

    // Motions.
    let jerk = pr.machine_max_jerk_x.min(pr.machine_max_jerk_y);
    let vol_cap = |v: f64, s: f64, hh: f64| {
        let v = v
            .min(pr.machine_max_feedrate_x.max(pr.machine_max_feedrate_y))
            .max(0.1);
        if pr.max_volumetric_speed > 0.0 {
            v.min(pr.max_volumetric_speed / (s * hh))
        } else {
            v
        }
    };
    let mk = |speed: f64, accel: f64, s: f64, layer: usize| -> Motion {
        let (speed, accel, hh) = if layer == 0 {
            (
                pr.first_layer_speed,
                pr.accel(if pr.first_layer_acceleration > 0.0 {
                    pr.first_layer_acceleration
                } else {
                    accel
                }),
                h1,
            )
        } else {
            (speed, pr.accel(accel), h)
        };
        Motion {
            speed: vol_cap(speed, s, hh),
            accel,
            jerk,
        }
    };
    let loop_motion = |layer: usize, len: f64| {
        let (ve, vi) = if len < SMALL_PERIMETER_MM {
            (pr.small_perimeter_speed, pr.small_perimeter_speed)
        } else {
            (pr.external_perimeter_speed, pr.perimeter_speed)
        };
        (
            mk(ve, pr.perimeter_acceleration, w.ext_s, layer),
            mk(vi, pr.perimeter_acceleration, w.per_s, layer),
        )
    };

    // 1. Slice.
    let sections = slice::slice(&part.mesh, &grid, &z_mid, &loop_motion).map_err(|work| {
        EstimateError::TooComplex {
            work,
            limit: slice::MAX_CUTS,
        }
    })?;
    let patched: usize = sections.iter().map(|s| s.patched_rows).sum();
    if patched > 0 {
        warnings.push(Warning::new(
            "contour_gaps",
            format!(
                "{patched} raster rows crossed gaps in the sliced contours (open edges) and were patched from neighbouring rows"
            ),
        ));
    }

    // 2. Perimeter bands and infill regions. PerimeterGenerator: the external loop's
    // centre is ext_w/2 in, each next loop one spacing further; the infill region starts
    // half a spacing inside the last loop, grown back by the infill overlap (25%).
    let perims = pr.perimeters as f64;
    let r_ext = if pr.perimeters > 0 {
        w.ext_w / 2.0 + w.ext_s / 2.0
    } else {
        0.0
    };
    let r_per = if pr.perimeters > 0 {
        r_ext + (perims - 1.0) * w.per_s
    } else {
        0.0
    };
    let r_inf = (r_per - 0.25 * w.per_s).max(0.0);
    // Erosion by an integer disc of R pixels moves the edge by R pixels on average (pixel
    // centres sample the section); band areas at fractional radii interpolate between
    // the two nearest integer erosions.
    //
    // A run of bit-identical sections shares one band computation (`slice::equal_runs`).
    let run_start = match sharing {
        LayerSharing::Runs => slice::equal_runs(&sections),
        LayerSharing::None => (0..n).collect(),
    };
    // The first layer of each run, and for every layer the number of its run.
    let distinct: Vec<usize> = (0..n).filter(|&k| run_start[k] == k).collect();
    let band_of_layer: Vec<usize> = run_start
        .iter()
        .map(|first| distinct.partition_point(|&d| d < *first))
        .collect();
    let distinct_bands: Vec<(f64, f64, Bitmap)> = distinct
        .par_iter()
        .map(|&k| {
            let b = &sections[k].bitmap;
            let total = b.count() as f64;
            if total == 0.0 {
                return (0.0, 0.0, b.clone());
            }
            let (xe, xp) = ((r_ext / pixel).max(0.0), (r_per / pixel).max(0.0));
            let radii = [
                xe.floor(),
                xe.floor() + 1.0,
                xp.floor(),
                xp.floor() + 1.0,
                (r_inf / pixel).round(),
            ];
            let mut er = b.eroded_many(&radii);
            let c: Vec<f64> = er[..4]
                .iter()
                .zip(radii)
                .map(|(m, r)| if r < 1.0 { total } else { m.count() as f64 })
                .collect();
            let lerp = |c0: f64, c1: f64, x: f64| c0 + (c1 - c0) * (x - x.floor());
            let e1 = if r_ext > 0.0 {
                lerp(c[0], c[1], xe)
            } else {
                total
            };
            let e2 = if r_per > 0.0 {
                lerp(c[2], c[3], xp)
            } else {
                total
            };
            let inner = er.pop().unwrap_or_else(|| b.clone());
            ((total - e1).max(0.0), (e1 - e2).max(0.0), inner)
        })
        .collect();
    let band = |k: usize| &distinct_bands[band_of_layer[k]];
    // 3. Skins.
    let top_n = pr.top_layers() as usize;
    let bot_n = pr.bottom_layers() as usize;
    let density = pr.fill_density / 100.0;
    let sec = |k: isize| -> Option<&Bitmap> {
        (k >= 0 && (k as usize) < n).then(|| &sections[k as usize].bitmap)
    };
    let inner =
        |k: isize| -> Option<&Bitmap> { (k >= 0 && (k as usize) < n).then(|| &band(k as usize).2) };
    // Sparse region of layer k: its infill region covered by every neighbour's.
    let sparse_of = |k: isize| -> Bitmap {
        let Some(ik) = inner(k) else {
            return Bitmap::new(grid.width, grid.height);
        };
        let mut m = ik.clone();
        if density <= 0.0 {
            m.words.iter_mut().for_each(|x| *x = 0);
            return m;
        }
        for j in (k - bot_n as isize)..=(k + top_n as isize) {
            if j == k {
                continue;
            }
            let nb = if pr.ensure_vertical_shell_thickness {
                inner(j)
            } else {
                sec(j)
            };
            match nb {
                Some(b) => m.and(b),
                None => {
                    m.words.iter_mut().for_each(|x| *x = 0);
                    break;
                }
            }
        }
        m
    };
    let ang = [std::f64::consts::FRAC_1_SQRT_2; 2];
    // Layer k's figures read the sections and bands of layers k-1-bot .. k+max(top, 1):
    // its neighbours for skins, and the layer below's sparse region for internal
    // bridges. When that window and layer k-1's lie in one run of identical sections,
    // and the rules that depend on the layer index (first layer, bottom layers) treat
    // k and k-1 alike, layer k repeats layer k-1 exactly.
    let reach_up = top_n.max(1);
    let repeats_below = |k: usize| {
        k >= bot_n + 2 && k + reach_up < n && run_start[k + reach_up] == run_start[k - 2 - bot_n]
    };
    let computed: Vec<Option<LayerFigures>> = (0..n)
        .into_par_iter()
        .map(|k| {
            if repeats_below(k) {
                return None;
            }
            let ki = k as isize;
            let ik = &band(k).2;
            let first = k == 0;
            let mut top = ik.clone();
            if let Some(up) = sec(ki + 1) {
                top.and_not(up);
            }
            let mut bridge = Bitmap::new(grid.width, grid.height);
            if let Some(down) = sec(ki - 1).filter(|_| k > 0) {
                bridge = ik.clone();
                bridge.and_not(down);
                bridge.and_not(&top);
            }
            let mut sparse = sparse_of(ki);
            let mut solid = ik.clone();
            solid.and_not(&sparse);
            // discover_vertical_shells regularises the shell by an opening of half an
            // infill spacing: slivers thinner than a line stay sparse.
            if !solid.is_empty() && !top.is_empty() || !solid.is_empty() {
                let r = 0.5 * 1.05 * w.inf_s / pixel;
                if r >= 1.0 {
                    let mut opened = solid.eroded(r).dilated(r);
                    opened.and(&solid);
                    // Bottom layers and true skins are never thin; keep them whole.
                    if k >= bot_n {
                        let mut lost = solid.clone();
                        lost.and_not(&opened);
                        sparse.or(&lost);
                        solid = opened;
                    }
                }
            }
            solid.and_not(&top);
            solid.and_not(&bridge);
            if k > 0 && density > 0.0 {
                // bridge_over_infill: the first solid layer over sparse infill bridges it.
                let below = sparse_of(ki - 1);
                let mut internal = solid.clone();
                internal.and(&below);
                // PrusaSlicer does not bridge regions narrower than three bridge widths
                // (an opening by half that): thin rings on sloped tops stay solid.
                if !internal.is_empty() {
                    let r = 1.5 * pr.nozzle_diameter / pixel;
                    internal = internal.eroded(r).dilated(r);
                    internal.and(&solid);
                }
                solid.and_not(&internal);
                bridge.or(&internal);
            }
            let first_s = w.first_s;
            let m_inf = mk(pr.infill_speed, pr.infill_acceleration, w.inf_s, k);
            let m_sol = mk(pr.solid_infill_speed, pr.infill_acceleration, w.solid_s, k);
            let m_top = mk(
                pr.top_solid_infill_speed,
                pr.infill_acceleration,
                w.top_s,
                k,
            );
            let bridge_pitch = pr.nozzle_diameter + 0.05;
            let m_bri = mk(pr.bridge_speed, pr.bridge_acceleration, bridge_pitch, k);
            let pitch = |s: f64| if first { first_s } else { s };
            let lines_t = |b: &Bitmap, m: &Motion, pitch: f64| -> f64 {
                if b.is_empty() {
                    return 0.0;
                }
                let vj = m.safe_speed(ang);
                let link = segment_time(pitch, vj, vj, m.speed, m.accel);
                // PrusaSlicer lays fills at 45° and alternates the direction; rows give
                // the chords along x exactly, columns along y by their mean length (the
                // number of vertical runs is the count of rising edges). Both matter: a
                // long thin strip is crossed by short lines whichever way it lies.
                let mut t = 0.0;
                let mut col_runs = 0u64;
                for y in 0..b.height {
                    b.for_each_run(y, |x0, x1| {
                        t += line_time(m, (x1 - x0) as f64 * pixel, vj) + link;
                    });
                    let row = b.row(y);
                    col_runs += if y == 0 {
                        row.iter().map(|w| w.count_ones() as u64).sum::<u64>()
                    } else {
                        row.iter()
                            .zip(b.row(y - 1))
                            .map(|(w, d)| (w & !d).count_ones() as u64)
                            .sum::<u64>()
                    };
                }
                let px = b.count() as f64;
                let t_cols = if col_runs > 0 {
                    let mean = px / col_runs as f64 * pixel;
                    col_runs as f64 * (line_time(m, mean, vj) + link)
                } else {
                    0.0
                };
                0.5 * (t + t_cols) * pixel / pitch
            };
            let sparse_pitch = if density > 0.0 {
                w.inf_s / density
            } else {
                1.0
            };
            Some(LayerFigures {
                ext_px: band(k).0,
                per_px: band(k).1,
                sparse_px: sparse.count(),
                sparse_edge_mm: edge_length(&sparse, pixel),
                solid_px: solid.count(),
                top_px: top.count(),
                bridge_px: bridge.count(),
                sparse_t: lines_t(&sparse, &m_inf, sparse_pitch),
                solid_t: lines_t(&solid, &m_sol, pitch(w.solid_s)),
                top_t: lines_t(&top, &m_top, pitch(w.top_s)),
                bridge_t: lines_t(&bridge, &m_bri, if first { first_s } else { bridge_pitch }),
            })
        })
        .collect();
    // Layer 0 never repeats, so every `None` has a layer below to copy.
    let mut below: Option<LayerFigures> = None;
    let figures: Vec<LayerFigures> = computed
        .into_iter()
        .map(|f| {
            let f = f.or(below).unwrap_or_default();
            below = Some(f);
            f
        })
        .collect();
    // The bands are a full raster set; release them before supports build theirs, so the
    // two never coexist (this keeps peak memory under 3× the file on large lattices).
    drop(distinct_bands);
    // 4. Supports.
    let section_refs: Vec<&Bitmap> = sections.iter().map(|s| &s.bitmap).collect();
    let sup_layers = if supports {
        let gap_layers = if pr.support_material_contact_distance > 0.0 {
            ((pr.support_material_contact_distance / h).round() as usize).max(1)
        } else {
            0
        };
        let threshold = if pr.support_material_threshold > 0.0 {
            pr.support_material_threshold + 1.0
        } else {
            // PrusaSlicer's automatic threshold follows the extrusion width; 45° is its
            // usual outcome.
            45.0
        };
        support::generate(
            &part.mesh,
            &grid,
            &z_mid,
            &section_refs,
            &SupportParams {
                threshold_deg: threshold,
                gap_layers,
                interface_layers: pr.support_material_interface_layers as usize,
                xy_gap_px: pr.support_xy_gap() / pixel,
                first_layer_expansion_px: pr.raft_first_layer_expansion / pixel,
                buildplate_only: pr.support_material_buildplate_only,
                margin_px: SUPPORT_MARGIN_MM / pixel,
                dont_support_bridges: true,
            },
        )
    } else {
        Vec::new()
    };
    // 5. Sum up material and time.
    let mut role: BTreeMap<&'static str, RoleFigures> = BTreeMap::new();
    for r in [
        "perimeter",
        "external_perimeter",
        "sparse_infill",
        "solid_infill",
        "top_solid_infill",
        "bridge",
        "support",
        "support_interface",
        "skirt",
        "travel",
    ] {
        role.insert(r, RoleFigures::default());
    }
    let mut add = |r: &'static str, mm3: f64, s: f64| {
        if let Some(f) = role.get_mut(r) {
            f.mm3 += mm3;
            f.seconds += s;
        }
    };
    let bridge_area = PI / 4.0 * pr.nozzle_diameter * pr.nozzle_diameter;
    let bridge_pitch = pr.nozzle_diameter + 0.05;
    let travel = Motion {
        speed: pr
            .travel_speed
            .min(pr.machine_max_feedrate_x.max(pr.machine_max_feedrate_y)),
        accel: pr.machine_max_acceleration_travel.min(
            pr.machine_max_acceleration_x
                .min(pr.machine_max_acceleration_y)
                * 2f64.sqrt(),
        ),
        jerk,
    };
    let z_motion = Motion {
        speed: if pr.travel_speed_z > 0.0 {
            pr.travel_speed_z.min(pr.machine_max_feedrate_z)
        } else {
            pr.machine_max_feedrate_z
        },
        accel: pr.machine_max_acceleration_z,
        jerk: pr.machine_max_jerk_z,
    };
    let z_move = |d: f64| line_time(&z_motion, d, z_motion.jerk.min(z_motion.speed));
    let retract_t = if pr.retract_length > 0.0 && pr.retract_speed > 0.0 {
        2.0 * pr.retract_length / pr.retract_speed
    } else {
        0.0
    } + if pr.retract_lift > 0.0 {
        2.0 * z_move(pr.retract_lift)
    } else {
        0.0
    };
    let v_safe = travel.safe_speed(ang);
    let mut contact_px = 0u64;
    for k in 0..n {
        let f = &figures[k];
        let hh = if k == 0 { h1 } else { h };
        let c = sections[k].contours;
        let (ext_s, per_s) = if k == 0 {
            (w.first_s, w.first_s)
        } else {
            (w.ext_s, w.per_s)
        };
        // Perimeters: band area → loop length (band / its width) → volume s·h per mm.
        let ext_len = f.ext_px * px_area / r_ext.max(1e-9);
        let per_len = f.per_px * px_area / w.per_s;
        let ext_vol = ext_len * ext_s * hh;
        let per_vol = per_len * per_s * hh;
        let (te, ti) = if c.length > 0.0 {
            (c.time_external / c.length, c.time_inner / c.length)
        } else {
            (1.0 / pr.external_perimeter_speed, 1.0 / pr.perimeter_speed)
        };
        add("external_perimeter", ext_vol, ext_len * te);
        add("perimeter", per_vol, per_len * ti);
        let solid_vol = |px: u64| px as f64 * px_area * hh;
        add(
            "sparse_infill",
            solid_vol(f.sparse_px) * density * cal.sparse_volume
                + f.sparse_edge_mm * w.inf_s * hh * cal.infill_anchor,
            f.sparse_t * cal.sparse_time,
        );
        add("solid_infill", solid_vol(f.solid_px), f.solid_t);
        add("top_solid_infill", solid_vol(f.top_px), f.top_t);
        let bridge_vol = if k == 0 {
            solid_vol(f.bridge_px)
        } else {
            f.bridge_px as f64 * px_area * bridge_area / bridge_pitch
        };
        add("bridge", bridge_vol, f.bridge_t);

        // Supports.
        let mut sup_islands = 0usize;
        if let Some(sl) = sup_layers.get(k) {
            contact_px += sl.contact_px;
            sup_islands = sl.islands;
            let m_sup = mk(
                pr.support_material_speed,
                pr.default_acceleration,
                w.sup_s,
                k,
            );
            let m_if = mk(
                pr.support_material_interface_speed,
                pr.default_acceleration,
                w.sup_s,
                k,
            );
            let base_pitch = if k == 0 {
                w.sup_s / (pr.raft_first_layer_density / 100.0).max(0.05)
            } else {
                pr.support_material_spacing + w.sup_s
            };
            let if_pitch = pr.support_material_interface_spacing + w.sup_s;
            let lines = |b: &Option<Bitmap>, m: &Motion, pitch: f64| -> (f64, f64) {
                let Some(b) = b else { return (0.0, 0.0) };
                let px = b.count();
                if px == 0 {
                    return (0.0, 0.0);
                }
                let vol = px as f64 * px_area * hh * w.sup_s / pitch;
                let vj = m.safe_speed([1.0, 0.0]);
                let link = segment_time(pitch, vj, vj, m.speed, m.accel);
                let mut t = 0.0;
                for y in 0..b.height {
                    b.for_each_run(y, |x0, x1| {
                        t += line_time(m, (x1 - x0) as f64 * pixel, vj) + link;
                    });
                }
                (vol, t * pixel / pitch)
            };
            let (bv, bt) = lines(&sl.base, &m_sup, base_pitch);
            let (iv, it) = lines(&sl.interface, &m_if, if_pitch);
            let sheath = if k == 0 {
                0.0
            } else {
                sl.base.as_ref().map_or(0.0, |b| {
                    edge_length(b, pixel) * w.sup_s * hh * cal.support_sheath
                })
            };
            add(
                "support",
                bv + sheath,
                bt + sheath / (w.sup_s * hh) / m_sup.speed,
            );
            add("support_interface", iv, it);
        }

        // Travel: one layer change, and retracting travels to each island (part and
        // support), the distance of a nearest-neighbour tour through them.
        // Every loop (outer contour or hole) is a separate perimeter start.
        let islands = c.loops.max(1) as f64 + sup_islands as f64;
        let retracts = islands * cal.retracts_per_island;
        let area = (grid.width as f64 * pixel) * (grid.height as f64 * pixel);
        let hop = (0.7 * (area / islands).sqrt()).max(pr.retract_before_travel);
        let travel_t = z_move(hh) + retracts * (retract_t + line_time(&travel, hop, v_safe));
        add("travel", 0.0, travel_t);
    }

    // Skirt around the first layers (and the support flange).
    if pr.skirts > 0 {
        let sk_layers = (pr.skirt_height.max(1) as usize).min(n);
        let mut foot = Bitmap::new(grid.width, grid.height);
        for s in sections.iter().take(sk_layers) {
            foot.or(&s.bitmap);
        }
        if let Some(b) = sup_layers.first().and_then(|l| l.base.as_ref()) {
            foot.or(b);
        }
        let hull = hull_perimeter(&foot, &grid);
        for k in 0..sk_layers {
            let hh = if k == 0 { h1 } else { h };
            let s = if k == 0 { w.first_s } else { w.ext_s };
            let m = mk(pr.support_material_speed, pr.default_acceleration, s, k);
            for i in 0..pr.skirts {
                let d = pr.skirt_distance + s / 2.0 + i as f64 * s;
                let len = hull + 2.0 * PI * d;
                add(
                    "skirt",
                    len * s * hh,
                    len / m.speed + 2.0 * m.speed / m.accel,
                );
            }
        }
    }
    let material: f64 = role.values().map(|r| r.mm3).sum();
    let support_mm3 = role.get("support").map_or(0.0, |r| r.mm3)
        + role.get("support_interface").map_or(0.0, |r| r.mm3);
    let time: f64 = role.values().map(|r| r.seconds).sum();
    Ok(Estimate {
        technology: Technology::Fdm,
        layers: n,
        layer_height_mm: h,
        print_time_s: time,
        material_mm3: material,
        material_g: material / 1000.0 * pr.filament_density,
        support_mm3,
        support_contact_area_mm2: contact_px as f64 * px_area,
        by_role: role,
        occupied_mm3: None,
        warnings,
    })
}

/// Outline length of a raster region, mm: Cauchy-Crofton from the horizontal and vertical
/// pixel transitions (π/4 of their count for isotropic outlines).
fn edge_length(b: &Bitmap, pixel: f64) -> f64 {
    if b.is_empty() {
        return 0.0;
    }
    let mut transitions = 0u64;
    for y in 0..b.height {
        b.for_each_run(y, |_, _| transitions += 2);
        let row = b.row(y);
        if y + 1 < b.height {
            let up = b.row(y + 1);
            transitions += row
                .iter()
                .zip(up)
                .map(|(a, c)| (a ^ c).count_ones() as u64)
                .sum::<u64>();
        } else {
            transitions += row.iter().map(|a| a.count_ones() as u64).sum::<u64>();
        }
    }
    transitions as f64 * pixel * std::f64::consts::FRAC_PI_4
}

/// Perimeter of the convex hull of the set pixels, mm.
fn hull_perimeter(b: &Bitmap, grid: &Grid) -> f64 {
    let mut pts: Vec<(f64, f64)> = Vec::new();
    for y in 0..b.height {
        let mut lo = usize::MAX;
        let mut hi = 0;
        b.for_each_run(y, |x0, x1| {
            lo = lo.min(x0);
            hi = hi.max(x1);
        });
        if lo < hi {
            let yc = grid.y0 + (y as f64 + 0.5) * grid.pixel;
            pts.push((grid.x0 + lo as f64 * grid.pixel, yc));
            pts.push((grid.x0 + hi as f64 * grid.pixel, yc));
        }
    }
    if pts.len() < 2 {
        return 0.0;
    }
    pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let cross = |o: (f64, f64), a: (f64, f64), b: (f64, f64)| {
        (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
    };
    let mut hull: Vec<(f64, f64)> = Vec::new();
    for pass in 0..2 {
        let start = hull.len();
        let iter: Box<dyn Iterator<Item = &(f64, f64)>> = if pass == 0 {
            Box::new(pts.iter())
        } else {
            Box::new(pts.iter().rev())
        };
        for &p in iter {
            while hull.len() >= start + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0
            {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop();
    }
    let m = hull.len();
    (0..m)
        .map(|i| {
            let (a, b) = (hull[i], hull[(i + 1) % m]);
            ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{Scaling, analyze};
    use crate::mesh::{Format, Mesh};

    fn box_mesh(sx: f32, sy: f32, sz: f32) -> Mesh {
        crate::mesh::generate::cuboid([0.0; 3], [sx as f64, sy as f64, sz as f64])
    }

    fn part(m: Mesh) -> Part {
        analyze(m, Format::StlBinary, Scaling::Factor(1.0))
    }

    #[test]
    fn cube_layers_and_material_follow_the_slicer_model() {
        let e = estimate(
            &part(box_mesh(20., 20., 20.)),
            &FdmProfile::default(),
            false,
        )
        .expect("cube estimates");
        assert_eq!(e.layers, 100);
        // Shells: 80 mm of contour × 100 layers × 2 loops of 0.407 × 0.2 mm ≈ 1300 mm³.
        let walls = e.by_role["external_perimeter"].mm3 + e.by_role["perimeter"].mm3;
        assert!((walls - 1300.0).abs() < 80.0, "{walls}");
        // Material is between the sparse shell and the solid volume.
        assert!(
            e.material_mm3 > 2000.0 && e.material_mm3 < 8000.0,
            "{}",
            e.material_mm3
        );
        assert_eq!(e.support_mm3, 0.0);
        // A box has no overhang: supports on changes nothing but the skirt.
        let s = estimate(&part(box_mesh(20., 20., 20.)), &FdmProfile::default(), true)
            .expect("cube estimates");
        assert_eq!(s.support_mm3, 0.0);
        assert!(e.print_time_s > 600.0 && e.print_time_s < 3000.0);
    }

    fn merged(meshes: &[Mesh]) -> Mesh {
        let mut out = Mesh::default();
        for m in meshes {
            let base = out.positions.len() as u32;
            out.positions.extend_from_slice(&m.positions);
            out.triangles
                .extend(m.triangles.iter().map(|t| t.map(|v| v + base)));
        }
        out
    }

    /// Sharing work along runs of identical sections must not change a single figure:
    /// a stepped tower (long runs that change twice), a T (an overhang: supports,
    /// bridges, internal bridges at the step) and a torus (no runs at all).
    #[test]
    fn sharing_identical_layers_changes_no_figure() {
        use crate::mesh::generate::{cuboid, torus};
        let tower = merged(&[
            cuboid([0.0; 3], [30.0, 30.0, 6.0]),
            cuboid([5.0, 5.0, 6.0], [25.0, 25.0, 14.0]),
            cuboid([10.0, 10.0, 14.0], [20.0, 20.0, 19.0]),
        ]);
        let tee = merged(&[
            cuboid([8.0, 8.0, 0.0], [12.0, 12.0, 10.0]),
            cuboid([0.0, 0.0, 10.0], [20.0, 20.0, 13.0]),
        ]);
        let ring = torus([0.0, 0.0, 4.0], 12.0, 4.0, 48, 24);
        let profile = FdmProfile::default();
        let cal = Calibration::default();
        for (name, mesh) in [("tower", tower), ("tee", tee), ("torus", ring)] {
            let p = part(mesh);
            for supports in [false, true] {
                let shared = estimate_layers(&p, &profile, supports, &cal, LayerSharing::Runs);
                let alone = estimate_layers(&p, &profile, supports, &cal, LayerSharing::None);
                let shared = shared.expect("estimates");
                assert_eq!(
                    shared,
                    alone.expect("estimates"),
                    "{name}, supports {supports}"
                );
                assert!(shared.material_mm3 > 0.0, "{name}");
            }
        }
    }

    #[test]
    fn a_unit_mistake_is_refused_not_sliced_forever() {
        let err = estimate(
            &part(box_mesh(10., 10., 25_400.)),
            &FdmProfile::default(),
            true,
        )
        .expect_err("too tall");
        assert_eq!(err.code(), "too_many_layers");
    }

    #[test]
    fn a_huge_footprint_gets_coarser_pixels_and_a_warning() {
        let e = estimate(
            &part(box_mesh(2000., 2000., 2.)),
            &FdmProfile::default(),
            false,
        )
        .expect("plate estimates");
        assert!(e.warnings.iter().any(|w| w.code == "coarse_raster"));
        assert!(e.material_mm3 > 0.5 * 2000.0 * 2000.0 * 2.0);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// Whatever triangles come in, the estimate returns (a figure or an error) and
        /// never panics.
        #[test]
        fn arbitrary_triangle_soups_never_panic(
            coords in proptest::collection::vec(-50.0f32..50.0, 9..300),
            supports in proptest::bool::ANY,
        ) {
            let tris: Vec<[[f32; 3]; 3]> = coords
                .chunks_exact(9)
                .map(|c| [[c[0], c[1], c[2]], [c[3], c[4], c[5]], [c[6], c[7], c[8]]])
                .collect();
            if let Ok(m) = Mesh::from_triangles(&tris) {
                let p = part(m);
                if let Ok(e) = estimate(&p, &FdmProfile::default(), supports) {
                    proptest::prop_assert!(e.material_mm3.is_finite() && e.material_mm3 >= 0.0);
                    proptest::prop_assert!(e.print_time_s.is_finite() && e.print_time_s >= 0.0);
                }
            }
        }
    }

    #[test]
    fn tiny_parts_still_estimate() {
        let e = estimate(&part(box_mesh(0.5, 0.5, 0.1)), &FdmProfile::default(), true)
            .expect("tiny part estimates");
        assert_eq!(e.layers, 1);
        assert!(e.material_mm3 > 0.0);
    }
}
