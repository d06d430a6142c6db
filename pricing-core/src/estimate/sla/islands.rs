//! PrusaSlicer's support-point force balance island by island (`SupportPointGenerator`,
//! `make_layers` and `process`, 2.5).
//!
//! Each layer's section splits into islands (connected regions). An island that overlaps
//! nothing in the layer below is new: it hangs in the air and gets its whole area's worth
//! of points, times 1 + aspect / 2, whatever else the layer holds. An island resting on
//! islands below inherits their force, shared among the islands above each in proportion
//! to the overlap, cut when it grew more than 20× and divided by 0.17 × overhang / area;
//! then its own hopeless overhangs and, while its force is below its area, its slopes get
//! points (see [`super::points`] for the rules).
//!
//! [`super::points::place`] runs the same rules with the whole layer as one island. That
//! misses what only islands show: the free end of a C clip standing up, the arm of a
//! hinge or a lattice strut starting in mid-air beside the rest of the layer, which
//! PrusaSlicer supports as new islands while one shared force budget says it is held.
//!
//! The islands come from [`IslandGrid`], the part's inside cells on the [`Columns`] grid
//! layer by layer; their areas are scaled so each layer's sum is the exact section from
//! the layer cutter. This module adds what the balance reads of each crossing (the
//! surface kind, whether a pillar from it reaches the pad) and runs the balance.

use super::columns::Columns;
use super::island_grid::{IslandGrid, Shape};
use super::points::{
    LayerPoints, LayerSurface, Need, POINT_FORCE, Surfaces, new_island_points, resting_points,
    rests_on_body,
};

/// Most cell × layer visits the island pass makes; past it the caller uses the one-island
/// balance. The corpus's 678k-triangle gyroid lattice is 37M and its quote takes 0.13 s
/// more for it (docs/accuracy.md, "Cost"); islands matter most on small parts, whose
/// supports are most of their resin.
pub const MAX_CELL_LAYERS: usize = 60_000_000;

/// Most grid cells it takes (a few bytes each for the walk, beside the columns' own), so
/// a part of a few layers on a huge grid does not double the estimate's memory.
pub const MAX_CELLS: usize = 4_000_000;

/// Most surface crossings it takes (16 bytes each while it runs, so at most 48 MB beside
/// the columns' own); past it the caller uses the one-island balance.
pub const MAX_CROSSINGS: usize = 3_000_000;

/// A new island whose points stand on pillars from the pad.
pub struct NewIsland {
    /// The layer it starts in (0: the part's bottom).
    pub layer: usize,
    /// Its ground-reaching cells.
    pub cells: Vec<u32>,
    /// How many of its points stand there.
    pub points: usize,
}

/// What the balance placed.
pub struct Placed {
    /// The surfaces needing support per layer, with the new islands' own left out (they
    /// are supported as islands), and the ground-reaching cells of the rest.
    pub surfaces: Surfaces,
    /// Points on the islands of the first layer (the part's bottom).
    pub first: f64,
    /// Points per layer, new islands above the first layer included.
    pub per_layer: Vec<LayerPoints>,
    /// Every new island with points whose pillars reach the pad.
    pub new_islands: Vec<NewIsland>,
    /// Most islands in one layer.
    pub max_islands: usize,
    /// Ground-reaching underside of the new islands above the first layer, mm².
    pub new_island_area: f64,
}

/// One crossing, as it changes the inside of its cell at the first layer whose mid-plane
/// lies above it.
#[derive(Clone, Copy)]
struct Event {
    cell: u32,
    /// Entering the part going up (a down-facing surface).
    enter: bool,
    /// The lowest crossing of its column: a pillar from it reaches the pad.
    ground: bool,
    /// What it needs (nothing for a top, a steep side or a bottom lying on another
    /// body's top).
    need: Need,
    /// Drop to the part below it (mm), for part-landing surfaces.
    drop: f32,
    /// cos of its angle from horizontal.
    up: f32,
}

/// An island and its balance.
#[derive(Clone, Default)]
struct Island {
    shape: Shape,
    /// Its cells that entered the part in this layer from the pad (nothing below).
    ground_cells: Vec<u32>,
    /// Its cells that entered the part in this layer.
    entered: u32,
    surface: LayerSurface,
    /// Section, mm².
    area: f64,
    /// Force its supports hold.
    force: f64,
    /// Force handed up from the islands below.
    inherited: f64,
}

/// Runs the island balance over `layers` layers of height `h`, `areas[k]` being layer
/// k's section (mm²). `None` when the grid is too large for it (see [`MAX_CELLS`],
/// [`MAX_CELL_LAYERS`] and [`MAX_CROSSINGS`]).
pub fn place(cols: &Columns, areas: &[f64], h: f64, density_percent: f64) -> Option<Placed> {
    let layers = areas.len();
    let n_cells = cols.nx * cols.ny;
    if layers == 0
        || n_cells > MAX_CELLS
        || n_cells.saturating_mul(layers) > MAX_CELL_LAYERS
        || cols.crossings.len() > MAX_CROSSINGS
        || h.is_nan()
        || h <= 0.0
    {
        return None;
    }
    let force = POINT_FORCE / (density_percent / 100.0);
    let cell_area = cols.cell_area();

    // Every crossing, bucketed by the first layer whose mid-plane is above it.
    let mut by_layer: Vec<Vec<Event>> = vec![Vec::new(); layers];
    for c in 0..n_cells {
        let col = cols.cell(c);
        for (i, s) in col.iter().enumerate() {
            let z = f64::from(s.z);
            let k = ((z / h - 0.5).floor() + 1.0).max(0.0);
            if k >= layers as f64 {
                continue;
            }
            let enter = s.nz < 0.0;
            let below = i.checked_sub(1).map(|j| col[j]);
            let need = if enter && !rests_on_body(col, i) {
                Need::of(-s.nz)
            } else {
                Need::Nothing
            };
            by_layer[k as usize].push(Event {
                cell: c as u32,
                enter,
                ground: i == 0,
                need,
                drop: below.map_or(0.0, |b| (s.z - b.z).max(0.0)),
                up: -s.nz,
            });
        }
    }

    let mut grid = IslandGrid::new(cols.nx, cols.ny);
    let mut prev: Vec<Island> = Vec::new();
    let mut surfaces = Surfaces {
        layers: vec![LayerSurface::default(); layers],
        bottom_cells: Vec::new(),
        ground_cells: Vec::new(),
        bottom_aspect: 1.0,
    };
    let mut per_layer = vec![LayerPoints::default(); layers];
    let mut new_islands = Vec::new();
    let (mut first, mut max_islands, mut new_island_area) = (0.0, 0, 0.0);

    for k in 0..layers {
        let events = std::mem::take(&mut by_layer[k]);
        let mut cur: Vec<Island> = grid
            .layer(events.iter().map(|e| (e.cell, e.enter)))
            .into_iter()
            .map(|shape| Island {
                shape,
                ..Island::default()
            })
            .collect();
        max_islands = max_islands.max(cur.len());
        let total_cells: u32 = cur.iter().map(|i| i.shape.cells).sum();
        let scale = if total_cells > 0 {
            areas[k].max(0.0) / f64::from(total_cells)
        } else {
            0.0
        };
        for isl in &mut cur {
            isl.area = f64::from(isl.shape.cells) * scale;
        }
        // What entered each island, and the surfaces needing support. A new island's
        // whole underside is held as one (its points stand on it, as on a hopeless
        // overhang); the ground-reaching cells of the others are where their pillars
        // may stand.
        for e in events.iter().filter(|e| e.enter) {
            let Some(isl) = grid.island_of(e.cell).map(|id| &mut cur[id]) else {
                continue; // thinner than the layer's mid-plane
            };
            isl.entered += 1;
            if e.ground {
                isl.ground_cells.push(e.cell);
            }
            let new = isl.shape.below.is_empty();
            if !new && e.need == Need::Nothing {
                continue;
            }
            let hopeless = new || e.need == Need::Overhang;
            let s = &mut isl.surface;
            match (hopeless, e.ground) {
                (true, true) => s.overhang_ground += cell_area,
                (true, false) => s.overhang_part += cell_area,
                (false, true) => s.slope_ground += cell_area,
                (false, false) => s.slope_part += cell_area,
            }
            if !e.ground {
                s.drop_part += cell_area * f64::from(e.drop);
            }
            if !hopeless {
                s.slope_cos += cell_area * f64::from(e.up);
            }
            if e.ground && !new {
                surfaces.ground_cells.push((k as u32, e.cell, hopeless));
            }
        }

        // The force each island below hands up, cut where an island above grew past 20×.
        let mut handed: Vec<f64> = prev.iter().map(|p| p.force).collect();
        for top in &cur {
            for &(b, _) in &top.shape.below {
                let b = b as usize;
                if top.area > 0.0 {
                    handed[b] *= (20.0 * prev[b].area / top.area).min(1.0);
                }
            }
        }
        let mut above_overlap = vec![0.0; prev.len()];
        for top in &cur {
            for &(b, o) in &top.shape.below {
                above_overlap[b as usize] += o;
            }
        }
        for top in &mut cur {
            top.inherited = top
                .shape
                .below
                .iter()
                .map(|&(b, o)| handed[b as usize] * o / above_overlap[b as usize].max(1.0))
                .sum();
        }

        let out = &mut per_layer[k];
        let layer_surface = &mut surfaces.layers[k];
        for isl in &mut cur {
            if isl.area <= 0.0 {
                continue;
            }
            let s = isl.surface;
            let new = isl.shape.below.is_empty();
            // A new island's ground-reaching underside gets its pillar sites with the
            // island, not from the layer's ground share.
            if !new {
                layer_surface.overhang_ground += s.overhang_ground;
            } else if k > 0 {
                new_island_area += s.overhang_ground;
            }
            layer_surface.overhang_part += s.overhang_part;
            layer_surface.slope_ground += s.slope_ground;
            layer_surface.slope_part += s.slope_part;
            layer_surface.drop_part += s.drop_part;
            layer_surface.slope_cos += s.slope_cos;
            if new {
                let n = new_island_points(isl.area, isl.shape.aspect(), force);
                isl.force = n * force;
                // Its pillars reach the pad from its ground-reaching share of cells.
                let share = isl.ground_cells.len() as f64 / f64::from(isl.entered.max(1));
                let on_ground = if k == 0 { n } else { (n * share).ceil().min(n) };
                if k == 0 {
                    first += n;
                    surfaces.bottom_cells.extend(&isl.ground_cells);
                } else {
                    out.ground += on_ground;
                    out.part += n - on_ground;
                    out.overhang = true;
                    out.new_island_ground += on_ground;
                }
                if on_ground > 0.0 && !isl.ground_cells.is_empty() {
                    new_islands.push(NewIsland {
                        layer: k,
                        cells: std::mem::take(&mut isl.ground_cells),
                        points: on_ground as usize,
                    });
                }
                continue;
            }
            let (on_overhang, on_slope, after) =
                resting_points(isl.inherited, isl.area, s.overhang(), s.slope(), force);
            isl.force = after;
            s.add(out, on_overhang, on_slope);
        }
        prev = cur;
    }
    Some(Placed {
        surfaces,
        first,
        per_layer,
        new_islands,
        max_islands,
        new_island_area,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::Mesh;
    use crate::mesh::generate::cuboid;

    fn two(a: Mesh, b: Mesh) -> Mesh {
        let mut m = a;
        let base = m.positions.len() as u32;
        m.positions.extend(b.positions);
        m.triangles
            .extend(b.triangles.iter().map(|t| t.map(|i| i + base)));
        m
    }

    /// Layer areas of `boxes` (min, max) at the mid-planes of layers `h` thick.
    fn areas(boxes: &[([f64; 3], [f64; 3])], h: f64, layers: usize) -> Vec<f64> {
        (0..layers)
            .map(|k| {
                let z = (k as f64 + 0.5) * h;
                boxes
                    .iter()
                    .filter(|(lo, hi)| lo[2] < z && z < hi[2])
                    .map(|(lo, hi)| (hi[0] - lo[0]) * (hi[1] - lo[1]))
                    .sum()
            })
            .collect()
    }

    #[test]
    fn a_block_is_one_island_with_its_first_layer_points() {
        let (lo, hi) = ([0.0; 3], [10.0, 10.0, 5.0]);
        let mesh = cuboid(lo, hi);
        let cols = Columns::new(&mesh, lo, hi);
        let placed = place(&cols, &areas(&[(lo, hi)], 0.1, 50), 0.1, 100.0).expect("small grid");
        assert_eq!(placed.max_islands, 1);
        // 100 mm², a square (aspect 1): ⌈100 · 1.5 / 11.1⌉ = 14, as the one-island balance.
        assert_eq!(placed.first, 14.0);
        let surf = super::super::points::surfaces(&cols, 0.1, 0.1, 50);
        let (first, _) = super::super::points::place(&surf, &areas(&[(lo, hi)], 0.1, 50), 100.0);
        assert_eq!(first, placed.first);
        assert!(placed.per_layer.iter().all(|l| l.ground + l.part == 0.0));
        assert!(
            placed.new_islands.len() == 1
                && placed.new_islands[0].points == 14
                && placed.new_islands[0].layer == 0
        );
    }

    #[test]
    fn a_body_starting_in_mid_air_is_a_new_island_supported_from_the_pad() {
        // A post, and beside it a 4 × 2 mm bar from z = 3 to 5 that touches nothing.
        let post = ([0.0; 3], [4.0, 4.0, 5.0]);
        let bar = ([8.0, 0.0, 3.0], [12.0, 2.0, 5.0]);
        let mesh = two(cuboid(post.0, post.1), cuboid(bar.0, bar.1));
        let cols = Columns::new(&mesh, [0.0; 3], [12.0, 4.0, 5.0]);
        let h = 0.1;
        let placed = place(&cols, &areas(&[post, bar], h, 50), h, 100.0).expect("small grid");
        assert_eq!(placed.max_islands, 2);
        // The bar appears at the layer whose mid-plane first lies above z = 3.
        let k = 30;
        let at = placed.per_layer[k];
        // 8 mm², aspect 2: ⌈8 · 2 / 11.1⌉ = 2 points, all over the pad.
        assert_eq!((at.ground, at.part, at.new_island_ground), (2.0, 0.0, 2.0));
        assert!(
            placed
                .new_islands
                .iter()
                .any(|i| i.points == 2 && i.layer == k && !i.cells.is_empty())
        );
        // Nothing else in the stack needs a point.
        let others: f64 = placed
            .per_layer
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != k)
            .map(|(_, l)| l.ground + l.part)
            .sum();
        assert_eq!(others, 0.0);
        // Its underside is the island's own, not a ground share of the layer.
        assert!(placed.surfaces.ground_cells.is_empty());
        assert!(
            (placed.new_island_area - 8.0).abs() < 1.0,
            "{}",
            placed.new_island_area
        );
    }

    #[test]
    fn a_bar_on_a_post_inherits_and_its_overhang_gets_points() {
        // A T: a 2 × 2 post to z = 3, a 10 × 2 bar on it to z = 4. The bar rests on the
        // post (one island all the way), and its underside either side is a hopeless
        // overhang over the pad.
        let post = ([4.0, 0.0, 0.0], [6.0, 2.0, 3.0]);
        let bar = ([0.0, 0.0, 3.0], [10.0, 2.0, 4.0]);
        let mesh = two(cuboid(post.0, post.1), cuboid(bar.0, bar.1));
        let cols = Columns::new(&mesh, [0.0; 3], [10.0, 2.0, 4.0]);
        let h = 0.1;
        let placed = place(&cols, &areas(&[post, bar], h, 40), h, 100.0).expect("small grid");
        assert_eq!(placed.max_islands, 1);
        let at = placed.per_layer[30];
        // 16 mm² of overhang: ⌈16 / 11.1⌉ = 2 points over the pad.
        assert!(
            at.overhang && at.ground == 2.0 && at.new_island_ground == 0.0,
            "{at:?}"
        );
        assert!(!placed.surfaces.ground_cells.is_empty());
    }

    #[test]
    fn a_grid_too_large_falls_back() {
        let (lo, hi) = ([0.0; 3], [10.0, 10.0, 5.0]);
        let cols = Columns::new(&cuboid(lo, hi), lo, hi);
        let layers = MAX_CELL_LAYERS / (cols.nx * cols.ny) + 1;
        assert!(place(&cols, &vec![100.0; layers], 0.001, 100.0).is_none());
        // Two 1 mm cubes 600 mm apart: few samples, a grid of millions of cells.
        let far = ([600.0, 600.0, 0.0], [601.0, 601.0, 1.0]);
        let mesh = two(cuboid([0.0; 3], [1.0; 3]), cuboid(far.0, far.1));
        let cols = Columns::new(&mesh, [0.0; 3], far.1);
        assert!(cols.nx * cols.ny > MAX_CELLS, "{} × {}", cols.nx, cols.ny);
        assert!(cols.nx * cols.ny <= MAX_CELL_LAYERS);
        assert!(place(&cols, &[1.0], 1.0, 100.0).is_none());
    }
}
