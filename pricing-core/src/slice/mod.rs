//! Slicing a mesh into layers, the way PrusaSlicer does: each layer is cut at its
//! mid-height, and its cross-section becomes a [`Bitmap`] plus the statistics of its
//! contours (length, loops, islands, and the time a planner takes to trace them).
//!
//! Why a raster: PrusaSlicer's regions (perimeter band, skins, bridges, supports) are
//! offsets and boolean operations of polygons; on a bit raster they are word-wise AND/OR
//! and disc erosions, cost O(pixels/64) per layer, never fail on self-intersections, and
//! do not need closed loops. The section is filled with a non-zero winding scanline over
//! the triangles' cuts, so small gaps left by near-coincident CAD vertices only spoil the
//! rows that pass exactly through a gap; such rows (their winding does not return to zero)
//! are copied from a neighbour row. Contour *lengths and corners* come from the exact cut
//! segments, chained through the mesh edges they cross, so perimeter timing sees the real
//! polygon and not the pixel staircase.

pub mod areas;
pub mod bitmap;

use rayon::prelude::*;

pub use bitmap::Bitmap;

use crate::cancel::{Cancel, Cancelled};
use crate::mesh::Mesh;

/// The raster frame shared by every layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    /// X of the left edge of pixel column 0, mm.
    pub x0: f64,
    /// Y of the lower edge of pixel row 0, mm.
    pub y0: f64,
    /// Pixel edge, mm.
    pub pixel: f64,
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
}

/// Statistics of one layer's contours (the exact cut polygons).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ContourStats {
    /// Total contour length, mm.
    pub length: f64,
    /// Closed or open chains.
    pub loops: usize,
    /// Counter-clockwise (outer) loops: islands.
    pub islands: usize,
    /// Time to trace every contour once as an external perimeter, s (the first time of
    /// the caller's [`ContourTiming`]).
    pub time_external: f64,
    /// Time to trace every contour once as an inner perimeter, s (the second).
    pub time_inner: f64,
}

/// One chained contour (closed loop or open chain) of a layer, as the timing sees it.
#[derive(Debug, Clone, Copy)]
pub struct Contour<'a> {
    /// Segment lengths, mm, in tracing order.
    pub lens: &'a [f64],
    /// Unit direction of each segment.
    pub dirs: &'a [[f64; 2]],
    /// Total length, mm (the sum of `lens`).
    pub length: f64,
}

/// How long tracing a contour of layer `k` takes, s, as (external, inner) perimeter.
/// The estimator supplies it (its planner and speeds); the slicer only measures
/// geometry.
pub type ContourTiming<'a> = dyn Fn(usize, &Contour<'_>) -> (f64, f64) + Sync + 'a;

/// Why a mesh was not sliced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SliceError {
    /// It would need more than [`MAX_CUTS`] triangle-layer cuts.
    #[error("slicing would need {cuts} triangle cuts (limit {MAX_CUTS})")]
    TooManyCuts {
        /// The cuts it would need.
        cuts: u64,
    },
    /// The caller cancelled.
    #[error(transparent)]
    Cancelled(#[from] Cancelled),
}

/// One sliced layer.
#[derive(Debug, Clone)]
pub struct Section {
    /// Pixels inside the part.
    pub bitmap: Bitmap,
    /// Contours.
    pub contours: ContourStats,
    /// Rows whose winding did not close (gaps in the contour) and were patched.
    pub patched_rows: usize,
}

/// Most triangle-layer cuts a slice may need (each costs a few bytes of index and work).
pub const MAX_CUTS: u64 = 200_000_000;

/// Slices `mesh` at the heights `z_mid` (ascending) onto `grid`, in parallel over layers;
/// `timing` times each contour. Refuses a mesh that would need more than [`MAX_CUTS`]
/// triangle-layer cuts; polls `cancel` per layer.
pub fn slice(
    mesh: &Mesh,
    grid: &Grid,
    z_mid: &[f64],
    timing: &ContourTiming<'_>,
    cancel: &Cancel,
) -> Result<Vec<Section>, SliceError> {
    let layers = z_mid.len();
    // Layer range of each triangle: the mids it spans (a vertex on a plane counts above).
    let ranges: Vec<(u32, u32)> = mesh
        .triangles
        .par_iter()
        .map(|t| {
            let zs = t.map(|v| mesh.positions[v as usize][2] as f64);
            let lo = zs[0].min(zs[1]).min(zs[2]);
            let hi = zs[0].max(zs[1]).max(zs[2]);
            // Planes with lo < z <= hi.
            let k0 = z_mid.partition_point(|&z| z <= lo);
            let k1 = z_mid.partition_point(|&z| z <= hi);
            (k0 as u32, k1 as u32)
        })
        .collect();
    let cuts: u64 = ranges.iter().map(|&(a, b)| (b - a) as u64).sum();
    if cuts > MAX_CUTS {
        return Err(SliceError::TooManyCuts { cuts });
    }
    cancel.check()?;
    let mut start = vec![0usize; layers + 1];
    for &(a, b) in &ranges {
        for k in a..b {
            start[k as usize + 1] += 1;
        }
    }
    for k in 0..layers {
        start[k + 1] += start[k];
    }
    let mut fill = start.clone();
    let mut members = vec![0u32; start[layers]];
    for (t, &(a, b)) in ranges.iter().enumerate() {
        for k in a..b {
            members[fill[k as usize]] = t as u32;
            fill[k as usize] += 1;
        }
    }
    drop(ranges);
    let sections = (0..layers)
        .into_par_iter()
        .map(|k| {
            cancel.check()?;
            Ok(slice_layer(
                mesh,
                grid,
                z_mid[k],
                &members[start[k]..start[k + 1]],
                &|c: &Contour<'_>| timing(k, c),
            ))
        })
        .collect::<Result<_, Cancelled>>()?;
    Ok(sections)
}

/// For each layer, the first layer of the run of consecutive layers whose rasters are
/// bit-identical to it (`k` itself when the layer below differs).
///
/// Everything computed from one raster alone (perimeter bands, infill regions) is the
/// same along such a run, and prismatic CAD parts are mostly runs: a 20 mm cube is one
/// run of 100 layers. The compare costs one pass over the words, far less than the
/// erosions it saves.
pub fn equal_runs(sections: &[Section]) -> Vec<usize> {
    let same_as_below: Vec<bool> = (0..sections.len())
        .into_par_iter()
        .map(|k| k > 0 && sections[k].bitmap == sections[k - 1].bitmap)
        .collect();
    let mut first = Vec::with_capacity(sections.len());
    for (k, &same) in same_as_below.iter().enumerate() {
        let start = match first.last() {
            Some(&below) if same => below,
            _ => k,
        };
        first.push(start);
    }
    first
}

struct Segment {
    p: [f64; 2],
    q: [f64; 2],
    kp: u64,
    kq: u64,
    d: [f64; 2],
}

#[inline(never)]
fn slice_layer(
    mesh: &Mesh,
    grid: &Grid,
    z: f64,
    tris: &[u32],
    timing: &dyn Fn(&Contour<'_>) -> (f64, f64),
) -> Section {
    let mut segs: Vec<Segment> = Vec::with_capacity(tris.len());
    for &t in tris {
        let idx = mesh.triangles[t as usize];
        let v = idx.map(|i| {
            let p = mesh.positions[i as usize];
            [p[0] as f64, p[1] as f64, p[2] as f64]
        });
        let above = v.map(|p| p[2] >= z);
        let mut pts: [([f64; 2], u64); 2] = [([0.0; 2], 0); 2];
        let mut n = 0;
        for e in 0..3 {
            let (i, j) = (e, (e + 1) % 3);
            if above[i] != above[j] && n < 2 {
                // Interpolate from the lower vertex index, so the two triangles that share
                // this edge compute a bit-identical cut point; otherwise the points differ
                // in the last bit and a scanline through them sees a false gap.
                let (a, b) = if idx[i] < idx[j] {
                    (v[i], v[j])
                } else {
                    (v[j], v[i])
                };
                let t = (z - a[2]) / (b[2] - a[2]);
                let key = {
                    let (u, w) = (idx[i].min(idx[j]), idx[i].max(idx[j]));
                    ((u as u64) << 32) | w as u64
                };
                pts[n] = ([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])], key);
                n += 1;
            }
        }
        if n != 2 {
            continue;
        }
        let u = [v[1][0] - v[0][0], v[1][1] - v[0][1], v[1][2] - v[0][2]];
        let w = [v[2][0] - v[0][0], v[2][1] - v[0][1], v[2][2] - v[0][2]];
        let nx = u[1] * w[2] - u[2] * w[1];
        let ny = u[2] * w[0] - u[0] * w[2];
        let nl = (nx * nx + ny * ny).sqrt();
        if nl <= 0.0 || !nl.is_finite() {
            continue;
        }
        // Outward normal on the right of the direction: outer loops run counter-clockwise.
        let d = [-ny / nl, nx / nl];
        let (mut a, mut b) = (pts[0], pts[1]);
        if (b.0[0] - a.0[0]) * d[0] + (b.0[1] - a.0[1]) * d[1] < 0.0 {
            std::mem::swap(&mut a, &mut b);
        }
        segs.push(Segment {
            p: a.0,
            q: b.0,
            kp: a.1,
            kq: b.1,
            d,
        });
    }
    let (bitmap, patched_rows) = rasterize(grid, &segs);
    let contours = chain(&segs, timing);
    Section {
        bitmap,
        contours,
        patched_rows,
    }
}

#[inline(never)]
fn rasterize(grid: &Grid, segs: &[Segment]) -> (Bitmap, usize) {
    let mut bm = Bitmap::new(grid.width, grid.height);
    let mut keys: Vec<u64> = Vec::new();
    let inv = 1.0 / grid.pixel;
    let wmax = grid.width as f64;
    for s in segs {
        let (ya, yb) = (s.p[1], s.q[1]);
        if ya == yb {
            continue;
        }
        let up = yb > ya;
        let (lo, hi) = if up { (ya, yb) } else { (yb, ya) };
        // Rows whose centre y0 + (j + 0.5) p lies in [lo, hi).
        let j0 = ((lo - grid.y0) * inv - 0.5).ceil().max(0.0);
        let j1 = ((hi - grid.y0) * inv - 0.5).ceil().min(grid.height as f64);
        if j0 >= j1 {
            continue;
        }
        let dxdy = (s.q[0] - s.p[0]) / (yb - ya);
        for j in j0 as usize..j1 as usize {
            let yc = grid.y0 + (j as f64 + 0.5) * grid.pixel;
            let x = s.p[0] + (yc - ya) * dxdy;
            let col = ((x - grid.x0) * inv - 0.5).ceil().clamp(0.0, wmax) as u64;
            keys.push(((j as u64) << 32) | (col << 1) | up as u64);
        }
    }
    let keys = sort_by_row(keys, grid.height);
    let mut broken = vec![false; grid.height];
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < keys.len() {
        let row = (keys[i] >> 32) as usize;
        let mut wind = 0i32;
        let mut start = 0usize;
        spans.clear();
        while i < keys.len() && (keys[i] >> 32) as usize == row {
            let col = ((keys[i] & 0xffff_ffff) >> 1) as usize;
            let before = wind;
            wind += if keys[i] & 1 == 1 { 1 } else { -1 };
            if before == 0 && wind != 0 {
                start = col;
            } else if before != 0 && wind == 0 {
                spans.push((start, col));
            }
            i += 1;
        }
        if wind != 0 {
            broken[row] = true;
        } else {
            for &(a, b) in &spans {
                bm.set_span(row, a, b);
            }
        }
    }
    let patched = patch_broken_rows(&mut bm, &broken);
    (bm, patched)
}

/// The crossing keys (row in the high 32 bits) in ascending order: bucketed by row in
/// one counting pass, then each row's few crossings sorted. The same order as sorting
/// them all (equal keys are equal words), without the log factor of one big sort:
/// a lattice layer has tens of thousands of crossings over a few hundred rows.
fn sort_by_row(keys: Vec<u64>, rows: usize) -> Vec<u64> {
    let row_of = |k: u64| ((k >> 32) as usize).min(rows);
    let mut start = vec![0usize; rows + 2];
    for &k in &keys {
        start[row_of(k) + 1] += 1;
    }
    for r in 0..=rows {
        start[r + 1] += start[r];
    }
    let mut next = start.clone();
    let mut sorted = vec![0u64; keys.len()];
    for &k in &keys {
        let r = row_of(k);
        sorted[next[r]] = k;
        next[r] += 1;
    }
    for r in 0..=rows {
        sorted[start[r]..start[r + 1]].sort_unstable();
    }
    sorted
}

/// Copies into each broken row (its winding did not close: a gap in the contour) the
/// nearest good row, the one below on a tie. Returns how many rows were broken.
///
/// Two linear scans find the nearest good row on each side, so a layer whose rows are
/// all broken (a stray open surface across the part) costs O(rows), not O(rows²).
fn patch_broken_rows(bm: &mut Bitmap, broken: &[bool]) -> usize {
    let h = broken.len();
    let mut good_below: Vec<Option<usize>> = Vec::with_capacity(h);
    let mut last = None;
    for (y, &b) in broken.iter().enumerate() {
        if !b {
            last = Some(y);
        }
        good_below.push(last);
    }
    let mut good_above: Option<usize> = None;
    let mut patched = 0;
    let s = bm.stride;
    for y in (0..h).rev() {
        if !broken[y] {
            good_above = Some(y);
            continue;
        }
        patched += 1;
        let src = match (good_below[y], good_above) {
            (Some(b), Some(a)) => Some(if y - b <= a - y { b } else { a }),
            (b, a) => b.or(a),
        };
        if let Some(src) = src {
            bm.words.copy_within(src * s..(src + 1) * s, y * s);
        }
    }
    patched
}

/// Which segment starts on each mesh edge: an open-addressing table from the edge key
/// to the first segment (lowest index) whose start is on it. A segment's successor is
/// the one starting where it ends; a table makes that one probe per segment instead of
/// a sort of every start and a binary search.
struct StartTable {
    /// (edge key, segment index), index `u32::MAX` for an empty slot.
    slots: Vec<(u64, u32)>,
    /// `64 - log2(slots.len())`: the hash keeps the top bits.
    shift: u32,
}

impl StartTable {
    fn new(segs: &[Segment]) -> StartTable {
        // At most half full, so probes stay short.
        let size = (2 * segs.len()).next_power_of_two().max(2);
        let mut t = StartTable {
            slots: vec![(0, u32::MAX); size],
            shift: 64 - size.trailing_zeros(),
        };
        for (i, s) in segs.iter().enumerate() {
            let mut at = t.home(s.kp);
            loop {
                let slot = &mut t.slots[at];
                if slot.1 == u32::MAX {
                    *slot = (s.kp, i as u32);
                    break;
                }
                if slot.0 == s.kp {
                    // A later segment on the same edge (a non-manifold edge): the first
                    // one stays, as a sorted search found it.
                    break;
                }
                at = (at + 1) & (size - 1);
            }
        }
        t
    }

    fn home(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    fn get(&self, key: u64) -> Option<usize> {
        let mask = self.slots.len() - 1;
        let mut at = self.home(key);
        loop {
            let (k, i) = self.slots[at];
            if i == u32::MAX {
                return None;
            }
            if k == key {
                return Some(i as usize);
            }
            at = (at + 1) & mask;
        }
    }
}

#[inline(never)]
fn chain(segs: &[Segment], timing: &dyn Fn(&Contour<'_>) -> (f64, f64)) -> ContourStats {
    let n = segs.len();
    let starts = StartTable::new(segs);
    let next: Vec<Option<usize>> = segs.iter().map(|s| starts.get(s.kq)).collect();
    let mut has_prev = vec![false; n];
    for j in next.iter().flatten() {
        has_prev[*j] = true;
    }
    let mut visited = vec![false; n];
    let mut stats = ContourStats::default();
    let mut lens = Vec::new();
    let mut dirs = Vec::new();
    // Open chains first (from their heads), then the closed loops that remain.
    let heads = (0..n).filter(|&i| !has_prev[i]).chain(0..n);
    for s0 in heads {
        if visited[s0] {
            continue;
        }
        lens.clear();
        dirs.clear();
        let mut area2 = 0.0;
        let mut cur = Some(s0);
        while let Some(c) = cur {
            if visited[c] {
                break;
            }
            visited[c] = true;
            let s = &segs[c];
            let l = ((s.q[0] - s.p[0]).powi(2) + (s.q[1] - s.p[1]).powi(2)).sqrt();
            area2 += s.p[0] * s.q[1] - s.q[0] * s.p[1];
            lens.push(l);
            dirs.push(s.d);
            cur = next[c];
        }
        let length: f64 = lens.iter().sum();
        if length <= 0.0 {
            continue;
        }
        stats.length += length;
        stats.loops += 1;
        if area2 > 0.0 {
            stats.islands += 1;
        }
        let (external, inner) = timing(&Contour {
            lens: &lens,
            dirs: &dirs,
            length,
        });
        stats.time_external += external;
        stats.time_inner += inner;
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(spans: &[(usize, usize, usize)]) -> Section {
        let mut bitmap = Bitmap::new(130, 4);
        for &(y, a, b) in spans {
            bitmap.set_span(y, a, b);
        }
        Section {
            bitmap,
            contours: ContourStats::default(),
            patched_rows: 0,
        }
    }

    /// Which row each broken row copies. Patching used to search outward from each
    /// broken row, O(rows²) per layer when every row is broken; the linear rewrite must
    /// choose the same rows. (A test cannot show the cost; the all-broken layer of
    /// 20,000 rows below is the case that was quadratic.)
    #[test]
    fn broken_rows_copy_the_nearest_good_row_below_on_a_tie() {
        let mut bm = Bitmap::new(70, 9);
        for (y, x) in [(0, 1), (4, 4), (8, 8)] {
            bm.set_span(y, x, x + 1);
        }
        let broken = [false, true, true, true, false, true, true, true, false];
        assert_eq!(patch_broken_rows(&mut bm, &broken), 6);
        let first_pixel: Vec<usize> = (0..9)
            .map(|y| (0..70).find(|&x| bm.get(x, y)).unwrap_or(99))
            .collect();
        // Rows 1 and 2 copy row 0 (2 is a tie, the row below wins), 3 copies 4, 5 and 6
        // copy 4 (6 is a tie), 7 copies 8.
        assert_eq!(first_pixel, vec![1, 1, 1, 4, 4, 4, 4, 8, 8]);

        let mut none_good = Bitmap::new(5, 20_000);
        assert_eq!(
            patch_broken_rows(&mut none_good, &vec![true; 20_000]),
            20_000
        );
        assert!(none_good.is_empty());
    }

    proptest::proptest! {
        #[test]
        fn crossings_sorted_by_row_are_sorted(
            raw in proptest::collection::vec((0u64..40, 0u64..200, proptest::bool::ANY), 0..400),
        ) {
            let keys: Vec<u64> = raw
                .iter()
                .map(|&(row, col, up)| (row << 32) | (col << 1) | up as u64)
                .collect();
            let mut expected = keys.clone();
            expected.sort_unstable();
            proptest::prop_assert_eq!(sort_by_row(keys, 40), expected);
        }
    }

    #[test]
    fn equal_runs_start_where_the_raster_changes() {
        let a = section(&[(1, 3, 90)]);
        let b = section(&[(1, 3, 91)]); // one pixel more, past the first word
        let layers = vec![
            a.clone(),
            a.clone(),
            a.clone(),
            b.clone(),
            b,
            a.clone(),
            section(&[]),
        ];
        assert_eq!(equal_runs(&layers), vec![0, 0, 0, 3, 3, 5, 6]);
        assert_eq!(equal_runs(&[]), Vec::<usize>::new());
        assert_eq!(equal_runs(&[a]), vec![0]);
    }
}
