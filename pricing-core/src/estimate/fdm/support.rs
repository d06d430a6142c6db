//! Support material, PrusaSlicer 2.5 "grid" style, on the layer rasters.
//!
//! - Overhangs come from the mesh facets themselves: a downward facet flatter than the
//!   threshold (PrusaSlicer uses threshold + 1°) needs support. Using facets instead of
//!   differences of rasterised layers avoids staircase noise on walls just steeper than
//!   the threshold.
//! - Each supported pixel becomes a column whose top sits one contact gap below the facet;
//!   the column runs down until it meets the part (grown by the XY gap, and stopping a
//!   contact gap above it) or the bed.
//! - The top `interface_layers` of a column, and the layers just above where it lands on
//!   the part, are dense interface; the rest is the base pattern at the profile's spacing.
//! - The first layer on the bed is expanded and dense (PrusaSlicer's support "flange":
//!   `raft_first_layer_expansion`, `raft_first_layer_density`).
//!
//! [`SupportParams::from_profile`] derives the parameters from the profile, as
//! PrusaSlicer's `SupportParameters` does inside its support module.

use rayon::prelude::*;

use super::calibration::{AUTO_SUPPORT_THRESHOLD_DEG, SUPPORT_MARGIN_MM};
use super::layers::Layers;
use crate::cancel::{Cancel, Cancelled};
use crate::mesh::Mesh;
use crate::profile::fdm::FdmProfile;
use crate::slice::{Bitmap, Grid, Section};

/// Support regions of one layer, in pixels.
#[derive(Debug, Clone, Default)]
pub struct SupportLayer {
    /// Base pattern region.
    pub base: Option<Bitmap>,
    /// Dense interface region.
    pub interface: Option<Bitmap>,
    /// Area of the part's underside that this layer's contacts touch, pixels.
    pub contact_px: u64,
    /// Column pixels from the layer above that stop here because they reach the part
    /// (stand on a top surface), pixels.
    pub landing_px: u64,
    /// Some of this layer's new contacts get a dense interface: PrusaSlicer makes a top
    /// contact layer of them.
    pub dense_contact: bool,
    /// Estimated separate support islands (for travel).
    pub islands: usize,
}

/// Parameters of [`generate`].
#[derive(Debug, Clone, Copy)]
pub struct SupportParams {
    /// Overhang threshold, degrees from horizontal (already +1° as PrusaSlicer does).
    pub threshold_deg: f64,
    /// Layers left empty between the support top and the part.
    pub gap_layers: usize,
    /// Interface layers.
    pub interface_layers: usize,
    /// XY clearance to the part, pixels.
    pub xy_gap_px: f64,
    /// First-layer expansion, pixels.
    pub first_layer_expansion_px: f64,
    /// PrusaSlicer's `dont_support_bridges` (on by default): overhangs bridged between
    /// two anchors get no support.
    pub dont_support_bridges: bool,
    /// Expansion of contact areas, pixels.
    pub margin_px: f64,
    /// Supports only on the bed.
    pub buildplate_only: bool,
    /// Cosine of the steepest slope (from horizontal) under which PrusaSlicer lays a
    /// dense interface: where a layer reaches past the one below by more than 60% of
    /// an external perimeter (`reduce_interfaces` in `new_contact_layer`, which opens
    /// the lower layer by 0.5 then 1.1 widths), tan(slope) < h / (0.6 w).
    pub dense_cos: f64,
}

impl SupportParams {
    /// The parameters `pr` asks for on `layers`.
    pub(super) fn from_profile(pr: &FdmProfile, layers: &Layers) -> SupportParams {
        let pixel = layers.grid.pixel;
        let gap_layers = if pr.support_material_contact_distance > 0.0 {
            ((pr.support_material_contact_distance / layers.height).round() as usize).max(1)
        } else {
            0
        };
        let threshold_deg = if pr.support_material_threshold > 0.0 {
            pr.support_material_threshold + 1.0
        } else {
            AUTO_SUPPORT_THRESHOLD_DEG
        };
        SupportParams {
            threshold_deg,
            gap_layers,
            interface_layers: pr.support_material_interface_layers as usize,
            xy_gap_px: pr.support_xy_gap() / pixel,
            first_layer_expansion_px: pr.raft_first_layer_expansion / pixel,
            buildplate_only: pr.support_material_buildplate_only,
            margin_px: SUPPORT_MARGIN_MM / pixel,
            dont_support_bridges: true,
            dense_cos: (layers.height / (0.6 * pr.width(pr.external_perimeter_extrusion_width)))
                .atan()
                .cos(),
        }
    }
}

/// The supports of a part, each layer measured by the caller's `measure` while its
/// rasters were alive.
#[derive(Debug)]
pub struct Supports<M> {
    /// Every layer's measure, bottom up.
    pub layers: Vec<M>,
    /// The first layer's base: the flange (the skirt goes around it).
    pub flange: Option<Bitmap>,
}

/// Finds the supports of a part whose layers (mid heights `z_mid`) are `sections`, and
/// measures each layer's [`SupportLayer`] with `measure` (islands counted).
///
/// A layer's rasters are dropped once measured, a block of layers behind the walk, so
/// only a few layers' supports are alive at a time, not every layer's (on the 500-layer
/// gyroid lattice those were 75 MB). With `buildplate_only` every layer is kept to the
/// end, since the columns kept are the ones that reach layer 0, the last one walked.
/// Polls `cancel` per chunk of facets and per layer.
pub fn generate<M: Send + Default>(
    mesh: &Mesh,
    grid: &Grid,
    z_mid: &[f64],
    sections: &[Section],
    p: &SupportParams,
    cancel: &Cancel,
    measure: &(dyn Fn(usize, &SupportLayer) -> M + Sync),
) -> Result<Supports<M>, Cancelled> {
    let n = sections.len();
    // Each layer's islands are counted as the walk left it, then it is measured, in
    // parallel.
    let measure_all = |layers: Vec<(usize, SupportLayer)>, counted: bool| -> Vec<(usize, M)> {
        layers
            .into_par_iter()
            .map(|(k, mut l)| {
                if !counted {
                    count_islands(&mut l);
                }
                (k, measure(k, &l))
            })
            .collect()
    };
    let spans = if n == 0 {
        Vec::new()
    } else {
        overhang_spans(mesh, grid, z_mid, p, cancel)?
    };
    if spans.iter().all(|c| c.spans.is_empty()) {
        let none = (0..n).map(|k| (k, SupportLayer::default())).collect();
        return Ok(Supports {
            layers: measure_all(none, false)
                .into_iter()
                .map(|(_, m)| m)
                .collect(),
            flange: None,
        });
    }
    // Each layer's spans, as runs of the chunks' spans (sorted by layer within each
    // chunk): the spans are stored once, not copied into a list per layer (on the
    // gyroid lattice 1.5M spans, 25 MB, and the copy had been as large again).
    let mut by_layer: Vec<Vec<&[Span]>> = vec![Vec::new(); n];
    let mut dense_layer = vec![false; n];
    for chunk in &spans {
        for &k in &chunk.dense_layers {
            if let Some(d) = dense_layer.get_mut(k as usize) {
                *d = true;
            }
        }
    }
    for chunk in spans.iter().map(|c| &c.spans) {
        for run in chunk.chunk_by(|a, b| a.0 == b.0) {
            if let Some(list) = run.first().and_then(|s| by_layer.get_mut(s.0 as usize)) {
                list.push(run);
            }
        }
    }
    // What a layer's new contacts are needs only the sections; how far the columns
    // reach needs every layer above. The first part runs in parallel a block of layers
    // ahead of the second, which walks down the layers in order.
    let contacts_of = |k: usize| -> Option<LayerContacts> {
        if by_layer[k].is_empty() {
            return None;
        }
        let mut raw = Bitmap::new(grid.width, grid.height);
        for &(_, y, x0, x1) in by_layer[k].iter().copied().flatten() {
            raw.set_span(y as usize, x0 as usize, x1 as usize);
        }
        let kf = k + 1 + p.gap_layers;
        if kf < n && p.dont_support_bridges {
            raw.and_not(&anchored_bridges(
                &sections[kf].bitmap,
                &sections[kf - 1].bitmap,
            ));
        }
        // SupportMaterial.cpp enlarges contact areas by a margin (then the part is cut
        // out); it also merges the speckles that facets near the threshold leave.
        let grown = (p.margin_px >= 1.0).then(|| raw.dilated(p.margin_px));
        Some(LayerContacts {
            raw,
            grown,
            dense: dense_layer[k],
        })
    };
    // The part as an obstacle: each section grown by the XY clearance. The walk at
    // layer k reads the obstacles of layers k - reach ..= k only, so they are made a
    // block ahead and dropped once passed: a window of them is alive, not one per
    // layer (on a 500-layer lattice that was a full raster set, 31 MB).
    let reach = p.gap_layers + p.interface_layers;
    let obstacles_of = |layers: std::ops::Range<usize>| -> Result<Vec<(usize, Bitmap)>, Cancelled> {
        layers
            .into_par_iter()
            .map(|k| {
                cancel.check()?;
                Ok((k, sections[k].bitmap.dilated(p.xy_gap_px)))
            })
            .collect()
    };
    let top_down: Vec<usize> = (0..n).rev().collect();
    let blocks: Vec<&[usize]> = top_down.chunks(PIPELINE_BLOCK).collect();
    // The lowest obstacle the walk of a block reads.
    let lowest_read = |block: &[usize]| block.last().map_or(0, |&k| k.saturating_sub(reach));
    let prepare = |i: usize| -> Result<Prepared, Cancelled> {
        let Some(block) = blocks.get(i) else {
            return Ok(Prepared::default());
        };
        // The obstacles this block reads that the blocks above it did not.
        let above = match i.checked_sub(1).and_then(|a| blocks.get(a)) {
            Some(b) => lowest_read(b),
            None => n,
        };
        Ok(Prepared {
            contacts: block.par_iter().map(|&k| contacts_of(k)).collect(),
            obstacles: obstacles_of(lowest_read(block)..above)?,
        })
    };
    let mut obstacle: Vec<Option<Bitmap>> = vec![None; n];
    let mut columns = Columns {
        col: Bitmap::new(grid.width, grid.height),
        recent: Vec::new(),
    };
    let mut measured: Vec<Option<M>> = (0..n).map(|_| None).collect();
    // Walked layers waiting to be measured beside the next block's walk.
    let mut walked: Vec<(usize, SupportLayer)> = Vec::new();
    // Layers measured only once the walk is over: layer 0 (the flange is added to it),
    // or every layer with `buildplate_only`.
    let mut kept: Vec<(usize, SupportLayer)> = Vec::new();
    let mut ready = prepare(0)?;
    for (i, block) in blocks.iter().enumerate() {
        for (k, b) in std::mem::take(&mut ready.obstacles) {
            obstacle[k] = Some(b);
        }
        let contacts = std::mem::take(&mut ready.contacts);
        let behind = std::mem::take(&mut walked);
        let (done, (next, measures)) = rayon::join(
            || -> Result<Vec<(usize, SupportLayer)>, Cancelled> {
                let mut out = Vec::with_capacity(block.len());
                for (&k, contacts) in block.iter().zip(contacts) {
                    cancel.check()?;
                    let mut layer = SupportLayer::default();
                    columns.step(k, contacts, &obstacle, p, &mut layer);
                    out.push((k, layer));
                }
                Ok(out)
            },
            || rayon::join(|| prepare(i + 1), || measure_all(behind, false)),
        );
        for (k, m) in measures {
            measured[k] = Some(m);
        }
        for (k, layer) in done? {
            if p.buildplate_only || k == 0 {
                kept.push((k, layer));
            } else {
                walked.push((k, layer));
            }
        }
        ready = next?;
        // Layers below this block read nothing above its lowest layer; layer 0's
        // obstacle is kept for the first-layer flange.
        for &k in block.iter().filter(|&&k| k > 0) {
            obstacle[k] = None;
        }
    }
    kept.append(&mut walked);
    // Islands are those of the columns as walked, before the foot and the flange.
    kept.par_iter_mut().for_each(|(_, l)| count_islands(l));
    let Some(bottom) = kept.iter().position(|(k, _)| *k == 0) else {
        // Every walk reaches layer 0 (n > 0 here); without it there is nothing to add.
        return Ok(finish(measured, measure_all(kept, true), None));
    };
    if p.buildplate_only {
        // Only columns that reach the bed are kept: those present on layer 0.
        let first = &kept[bottom].1;
        let foot = first
            .base
            .clone()
            .map(|mut b| {
                if let Some(i) = &first.interface {
                    b.or(i);
                }
                b
            })
            .unwrap_or_else(|| Bitmap::new(grid.width, grid.height));
        for (_, l) in kept.iter_mut() {
            if let Some(b) = &mut l.base {
                b.and(&foot);
            }
            if let Some(i) = &mut l.interface {
                i.and(&foot);
            }
        }
    }
    // The first layer flange: expanded and dense, printed as base.
    let first = &mut kept[bottom].1;
    if let Some(b0) = &first.base {
        let mut all = b0.clone();
        if let Some(i0) = &first.interface {
            all.or(i0);
        }
        let mut flange = all.dilated(p.first_layer_expansion_px);
        if let Some(ob) = &obstacle[0] {
            flange.and_not(ob);
        }
        first.base = Some(flange);
        first.interface = Some(Bitmap::new(grid.width, grid.height));
    }
    let flange = first.base.clone();
    Ok(finish(measured, measure_all(kept, true), flange))
}

/// Counts a layer's separate support islands (base and interface together are the
/// columns).
fn count_islands(l: &mut SupportLayer) {
    if let (Some(base), Some(interface)) = (&l.base, &l.interface) {
        let mut all = base.clone();
        all.or(interface);
        l.islands = all.components();
    }
}

/// Every layer's measure in layer order.
fn finish<M: Default>(
    mut measured: Vec<Option<M>>,
    last: Vec<(usize, M)>,
    flange: Option<Bitmap>,
) -> Supports<M> {
    for (k, m) in last {
        measured[k] = Some(m);
    }
    // Every layer is in one block, and each block's layers are measured behind the
    // walk or kept to the end. Were one missed, it counts as no support rather than
    // shifting every layer above it onto the wrong index.
    debug_assert!(measured.iter().all(Option::is_some), "a layer not measured");
    let layers: Vec<M> = measured
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();
    Supports { layers, flange }
}

/// Layers whose contacts are found in parallel, a block ahead of the walk down.
const PIPELINE_BLOCK: usize = 8;

/// What is made for a block of layers ahead of the walk.
#[derive(Default)]
struct Prepared {
    /// Each layer's new contacts, in the block's order.
    contacts: Vec<Option<LayerContacts>>,
    /// The obstacles (layer, section grown by the XY gap) the block reads first.
    obstacles: Vec<(usize, Bitmap)>,
}

/// The obstacles of layers `lo..=hi`, all made before the walk reads them (see
/// `generate`).
fn window(obstacle: &[Option<Bitmap>], lo: usize, hi: usize) -> impl Iterator<Item = &Bitmap> {
    let layers = &obstacle[lo..=hi];
    debug_assert!(
        layers.iter().all(Option::is_some),
        "obstacles {lo}..={hi} not made"
    );
    layers.iter().flatten()
}

/// A layer's new contact pixels, before the columns above are known.
struct LayerContacts {
    /// The pixels under the layer's overhangs, bridges taken out.
    raw: Bitmap,
    /// `raw` grown by the contact margin (when the margin is a pixel or more).
    grown: Option<Bitmap>,
    /// Some of `raw` lies under a facet flat enough for a dense interface.
    dense: bool,
}

/// The walk down the layers: the support columns so far and the last layers' contacts.
struct Columns {
    /// Pixels of the columns reaching this layer.
    col: Bitmap,
    /// The contacts of the last `interface_layers` layers, the latest first.
    recent: Vec<Bitmap>,
}

impl Columns {
    /// Extends the columns down to layer `k`, starting the ones `contacts` adds, and
    /// writes that layer's support into `out` (all but `islands`).
    fn step(
        &mut self,
        k: usize,
        contacts: Option<LayerContacts>,
        obstacle: &[Option<Bitmap>],
        p: &SupportParams,
        out: &mut SupportLayer,
    ) {
        let col = &mut self.col;
        // Where the columns from above stand on the part: PrusaSlicer's bottom
        // contacts, which set support layer heights (`support_layers`). Cutting before
        // and after the new contacts are added leaves the same columns, since
        // (A − O) ∪ C − O = (A ∪ C) − O.
        if !col.is_empty() {
            let above = col.count();
            for ob in window(obstacle, k.saturating_sub(p.gap_layers), k) {
                col.and_not(ob);
            }
            out.landing_px = above - col.count();
        }
        let (raw, dense) = match contacts {
            Some(LayerContacts { raw, grown, dense }) => {
                col.or(grown.as_ref().unwrap_or(&raw));
                (raw, dense)
            }
            None => (Bitmap::new(col.width, col.height), false),
        };
        // Stop at the part, and a contact gap above it.
        for ob in window(obstacle, k.saturating_sub(p.gap_layers), k) {
            col.and_not(ob);
        }
        let mut new = raw;
        new.and(col);
        out.contact_px = new.count();
        out.dense_contact = dense && out.contact_px > 0;
        self.recent.insert(0, new);
        self.recent.truncate(p.interface_layers.max(1));
        if col.is_empty() {
            return;
        }
        let mut interface = Bitmap::new(col.width, col.height);
        if p.interface_layers > 0 {
            for r in &self.recent {
                interface.or(r);
            }
            // Bottom interface: the part is within `interface_layers` below the gap.
            let lo = k.saturating_sub(p.gap_layers + p.interface_layers);
            let hi = k.saturating_sub(p.gap_layers + 1);
            if k > p.gap_layers {
                for ob in window(obstacle, lo, hi) {
                    interface.or(ob);
                }
            }
            interface.and(col);
        }
        let mut base = col.clone();
        base.and_not(&interface);
        out.base = Some(base);
        out.interface = Some(interface);
    }
}

/// Overhang runs of `upper` (not over `lower`) bounded by `lower` at both ends of the row:
/// a bridge the slicer can span, so it needs no support.
///
/// An end counts as anchored when `lower` is within [`ANCHOR_GAP_PX`] pixels of it: where
/// two bodies meet (a lid laid on the walls of a box made of plates), the raster can
/// leave the pixel on their common face unset in both layers, and that one pixel would
/// otherwise unanchor the whole row (on `box.STL` it left half the lid supported).
fn anchored_bridges(upper: &Bitmap, lower: &Bitmap) -> Bitmap {
    let mut over = upper.clone();
    over.and_not(lower);
    let mut out = Bitmap::new(upper.width, upper.height);
    for y in 0..over.height {
        let mut runs = Vec::new();
        over.for_each_run(y, |a, b| runs.push((a, b)));
        for (a, b) in runs {
            let left = (1..=ANCHOR_GAP_PX + 1).any(|d| a >= d && lower.get(a - d, y));
            let right = (0..=ANCHOR_GAP_PX).any(|d| lower.get(b + d, y));
            if left && right {
                out.set_span(y, a, b);
            }
        }
    }
    out
}

/// Unset pixels allowed between a bridge and its anchor: the raster's own seam between
/// two bodies is one pixel.
const ANCHOR_GAP_PX: usize = 1;

/// Pixels under an overhanging facet in one row: (support top layer, row, x0, x1).
type Span = (u32, u32, u32, u32);

/// One chunk of facets' spans, sorted by layer, and the layers that some facet flat
/// enough for a dense interface reaches ([`SupportParams::dense_cos`]).
struct ChunkSpans {
    spans: Vec<Span>,
    dense_layers: Vec<u32>,
}

/// Pixels under overhanging facets, as spans, per chunk of facets, each chunk's sorted
/// by layer (the order of a layer's spans does not matter: they are or-ed into a
/// raster).
#[inline(never)]
fn overhang_spans(
    mesh: &Mesh,
    grid: &Grid,
    z_mid: &[f64],
    p: &SupportParams,
    cancel: &Cancel,
) -> Result<Vec<ChunkSpans>, Cancelled> {
    let cos_t = p.threshold_deg.to_radians().cos();
    let inv = 1.0 / grid.pixel;
    let spans: Vec<ChunkSpans> = mesh
        .triangles
        .par_chunks(4096)
        .map(|chunk| {
            let mut spans = Vec::new();
            let mut dense_layers = Vec::new();
            // A cancelled job skips the rest of the chunks; the check after the pass
            // turns that into the error.
            if cancel.is_cancelled() {
                return ChunkSpans {
                    spans,
                    dense_layers,
                };
            }
            for t in chunk {
                let v = t.map(|i| {
                    let q = mesh.positions[i as usize];
                    [q[0] as f64, q[1] as f64, q[2] as f64]
                });
                let u = [v[1][0] - v[0][0], v[1][1] - v[0][1], v[1][2] - v[0][2]];
                let w = [v[2][0] - v[0][0], v[2][1] - v[0][1], v[2][2] - v[0][2]];
                let n = [
                    u[1] * w[2] - u[2] * w[1],
                    u[2] * w[0] - u[0] * w[2],
                    u[0] * w[1] - u[1] * w[0],
                ];
                let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
                let down = -n[2] / len;
                if len <= 0.0 || down.is_nan() || down <= cos_t {
                    continue;
                }
                let dense = down > p.dense_cos;
                let first_span = spans.len();
                // Plane: z = z0 + gx (x - x0) + gy (y - y0).
                let (gx, gy) = (-n[0] / n[2], -n[1] / n[2]);
                let ylo = v.iter().map(|q| q[1]).fold(f64::MAX, f64::min);
                let yhi = v.iter().map(|q| q[1]).fold(f64::MIN, f64::max);
                let j0 = ((ylo - grid.y0) * inv - 0.5).ceil().max(0.0) as usize;
                let j1 = (((yhi - grid.y0) * inv - 0.5).ceil().max(0.0) as usize).min(grid.height);
                for j in j0..j1 {
                    let yc = grid.y0 + (j as f64 + 0.5) * grid.pixel;
                    let mut xs = [f64::MAX, f64::MIN];
                    for e in 0..3 {
                        let (a, b) = (v[e], v[(e + 1) % 3]);
                        if (a[1] <= yc) != (b[1] <= yc) {
                            let x = a[0] + (yc - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
                            xs[0] = xs[0].min(x);
                            xs[1] = xs[1].max(x);
                        }
                    }
                    if xs[0] > xs[1] {
                        continue;
                    }
                    let i0 = ((xs[0] - grid.x0) * inv - 0.5).ceil().max(0.0) as usize;
                    let i1 =
                        (((xs[1] - grid.x0) * inv - 0.5).ceil().max(0.0) as usize).min(grid.width);
                    let mut run: Option<(u32, usize)> = None;
                    for i in i0..i1 {
                        let xc = grid.x0 + (i as f64 + 0.5) * grid.pixel;
                        let z = v[0][2] + gx * (xc - v[0][0]) + gy * (yc - v[0][1]);
                        // The first layer that contains the surface point, then the gap.
                        let kf = z_mid.partition_point(|&m| m <= z);
                        let c = kf as i64 - 1 - p.gap_layers as i64;
                        let c = if c < 0 { u32::MAX } else { c as u32 };
                        match run {
                            Some((rc, _)) if rc == c => {}
                            Some((rc, s)) => {
                                if rc != u32::MAX {
                                    spans.push((rc, j as u32, s as u32, i as u32));
                                }
                                run = Some((c, i));
                            }
                            None => run = Some((c, i)),
                        }
                    }
                    if let Some((rc, s)) = run.filter(|(rc, _)| *rc != u32::MAX) {
                        spans.push((rc, j as u32, s as u32, i1 as u32));
                    }
                }
                if dense {
                    for s in &spans[first_span..] {
                        if dense_layers.last() != Some(&s.0) {
                            dense_layers.push(s.0);
                        }
                    }
                }
            }
            dense_layers.sort_unstable();
            dense_layers.dedup();
            spans.sort_unstable_by_key(|s| s.0);
            spans.shrink_to_fit();
            ChunkSpans {
                spans,
                dense_layers,
            }
        })
        .collect();
    cancel.check()?;
    Ok(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(width: usize, spans: &[(usize, usize)]) -> Bitmap {
        let mut b = Bitmap::new(width, 1);
        for &(a, z) in spans {
            b.set_span(0, a, z);
        }
        b
    }

    /// A lid over two walls is a bridge, and stays one where the raster leaves the
    /// pixel on the lid's seam with a wall unset in both layers (`box.STL`).
    #[test]
    fn a_lid_between_walls_is_a_bridge_across_a_one_pixel_seam() {
        let walls = row(100, &[(0, 10), (90, 100)]);
        let lid = row(100, &[(0, 100)]);
        assert_eq!(anchored_bridges(&lid, &walls).count(), 80);
        // The seam pixels 10 and 89 are in neither layer.
        let seamed = row(100, &[(0, 10), (11, 89), (90, 100)]);
        assert_eq!(anchored_bridges(&seamed, &walls).count(), 78);
        // Two pixels of air at an end are no seam: that overhang is not anchored.
        let short_walls = row(100, &[(0, 8), (90, 100)]);
        assert_eq!(anchored_bridges(&seamed, &short_walls).count(), 0);
        // An overhang with air at one end (a cantilever) is no bridge.
        let one_wall = row(100, &[(0, 10)]);
        assert_eq!(anchored_bridges(&lid, &one_wall).count(), 0);
    }
}
