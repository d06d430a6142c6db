//! A part's islands layer by layer on the [`super::columns::Columns`] grid: what
//! [`super::islands`] balances.
//!
//! A cell is inside at a layer when its vertical line is inside the part at the layer's
//! mid-plane: the surfaces it crosses below, counted +1 going in and −1 going out. Each
//! row keeps its inside cells as runs; a row is rescanned only in a layer where one of its
//! cells crossed a surface. Islands are the 8-connected regions of the runs (a cell
//! touching an island by a corner is part of it: on a 0.2 mm grid a sloped edge steps
//! diagonally), joined by union-find, and each island knows how many of its cells lie on
//! each island of the layer below. The work is in runs, not cells.

/// One island of a layer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shape {
    /// Inside cells.
    pub cells: u32,
    /// Σx, Σy, Σx², Σy², Σxy over its cells (in cells), for its aspect.
    moments: [f64; 5],
    /// (island of the layer below, cells shared with it).
    pub below: Vec<(u32, f64)>,
}

impl Shape {
    /// Long over short side (its cells' second moments, each cell counted with its own
    /// extent so a one-cell strip of n cells reads n).
    pub fn aspect(&self) -> f64 {
        let n = f64::from(self.cells.max(1));
        let [sx, sy, sxx, syy, sxy] = self.moments;
        let (mx, my) = (sx / n, sy / n);
        let own = 1.0 / 12.0;
        let (vxx, vyy, vxy) = (
            sxx / n - mx * mx + own,
            syy / n - my * my + own,
            sxy / n - mx * my,
        );
        let tr = vxx + vyy;
        let d = ((vxx - vyy).powi(2) + 4.0 * vxy * vxy).sqrt();
        let (l1, l2) = (0.5 * (tr + d), (0.5 * (tr - d)).max(own));
        (l1 / l2).sqrt()
    }

    /// Adds the run of cells x0..x1 of row y.
    fn add_run(&mut self, y: usize, x0: u32, x1: u32) {
        let (len, fy) = (f64::from(x1 - x0), y as f64);
        // Σx and Σx² over x0..x1.
        let sq = |n: f64| n * (n + 1.0) * (2.0 * n + 1.0) / 6.0;
        let sum_x = (f64::from(x0) + f64::from(x1) - 1.0) * len / 2.0;
        self.cells += x1 - x0;
        let m = &mut self.moments;
        m[0] += sum_x;
        m[1] += fy * len;
        m[2] += sq(f64::from(x1) - 1.0) - sq(f64::from(x0) - 1.0);
        m[3] += fy * fy * len;
        m[4] += fy * sum_x;
    }
}

/// The walk up the layers.
pub struct IslandGrid {
    nx: usize,
    winding: Vec<i32>,
    /// Inside runs [x0, x1) of each row, this layer's and the layer below's.
    rows: Vec<Vec<(u32, u32)>>,
    prev_rows: Vec<Vec<(u32, u32)>>,
    /// Runs are numbered row by row from `run_start[y]`; `run_label` is each one's island.
    run_start: Vec<u32>,
    prev_run_start: Vec<u32>,
    run_label: Vec<u32>,
    prev_run_label: Vec<u32>,
    /// Rows rescanned in the last layer, and a flag per row for this one.
    changed: Vec<usize>,
    dirty: Vec<bool>,
    parent: Vec<u32>,
    /// Cells of each island of the last layer.
    last: Vec<u32>,
    started: bool,
}

impl IslandGrid {
    /// A grid of `nx` × `ny` cells, all outside.
    pub fn new(nx: usize, ny: usize) -> IslandGrid {
        IslandGrid {
            nx,
            winding: vec![0; nx * ny],
            rows: vec![Vec::new(); ny],
            prev_rows: vec![Vec::new(); ny],
            run_start: vec![0; ny + 1],
            prev_run_start: vec![0; ny + 1],
            run_label: Vec::new(),
            prev_run_label: Vec::new(),
            changed: Vec::new(),
            dirty: vec![false; ny],
            parent: Vec::new(),
            last: Vec::new(),
            started: false,
        }
    }

    /// The next layer up: `crossings` are the (cell, entering) surfaces between the last
    /// layer's mid-plane and this one's. Returns its islands, each with its overlaps
    /// with the islands the last call returned.
    pub fn layer(&mut self, crossings: impl Iterator<Item = (u32, bool)>) -> Vec<Shape> {
        // Rows rescanned last layer: the copy of the layer below catches up.
        for &y in &self.changed {
            self.prev_rows[y].clone_from(&self.rows[y]);
        }
        self.changed.clear();
        for (c, enter) in crossings {
            let c = c as usize;
            self.winding[c] += if enter { 1 } else { -1 };
            let y = c / self.nx;
            if !self.dirty[y] {
                self.dirty[y] = true;
                self.changed.push(y);
            }
        }
        let shapes = if self.changed.is_empty() && self.started {
            // Nothing moved: the islands of the layer below, each resting on itself.
            self.last
                .iter()
                .enumerate()
                .map(|(i, &cells)| Shape {
                    cells,
                    below: vec![(i as u32, f64::from(cells))],
                    ..Shape::default()
                })
                .collect()
        } else {
            self.rescan();
            let mut shapes = self.label();
            if self.started {
                self.overlaps(&mut shapes);
            }
            shapes
        };
        self.started = true;
        self.last = shapes.iter().map(|s| s.cells).collect();
        shapes
    }

    /// The island of this layer holding `cell`, if it is inside.
    pub fn island_of(&self, cell: u32) -> Option<usize> {
        let (x, y) = (cell % self.nx as u32, cell as usize / self.nx);
        let runs = self.rows.get(y)?;
        let i = runs.partition_point(|r| r.1 <= x);
        let &(x0, _) = runs.get(i)?;
        (x0 <= x).then(|| self.run_label[(self.run_start[y] + i as u32) as usize] as usize)
    }

    /// Rebuilds the runs of the rows that changed.
    fn rescan(&mut self) {
        let nx = self.nx;
        for &y in &self.changed {
            self.dirty[y] = false;
            let row = &self.winding[y * nx..(y + 1) * nx];
            let runs = &mut self.rows[y];
            runs.clear();
            let mut x = 0;
            while let Some(start) = row[x..].iter().position(|&w| w > 0) {
                let x0 = x + start;
                let len = row[x0..].iter().position(|&w| w <= 0).unwrap_or(nx - x0);
                x = x0 + len;
                runs.push((x0 as u32, x as u32));
            }
        }
    }

    /// Numbers the runs, joins touching runs of neighbouring rows, and gives each run
    /// its island.
    fn label(&mut self) -> Vec<Shape> {
        std::mem::swap(&mut self.run_start, &mut self.prev_run_start);
        std::mem::swap(&mut self.run_label, &mut self.prev_run_label);
        let ny = self.rows.len();
        let mut total = 0u32;
        for y in 0..ny {
            self.run_start[y] = total;
            total += self.rows[y].len() as u32;
        }
        self.run_start[ny] = total;
        let parent = &mut self.parent;
        parent.clear();
        parent.extend(0..total);
        fn find(parent: &mut [u32], mut a: u32) -> u32 {
            while parent[a as usize] != a {
                let up = parent[parent[a as usize] as usize];
                parent[a as usize] = up;
                a = up;
            }
            a
        }
        for y in 1..ny {
            let (below, here) = (&self.rows[y - 1], &self.rows[y]);
            let (mut i, mut j) = (0, 0);
            while i < here.len() && j < below.len() {
                let (a, b) = (here[i], below[j]);
                // Overlapping or touching at a corner.
                if a.0 <= b.1 && b.0 <= a.1 {
                    let ra = find(parent, self.run_start[y] + i as u32);
                    let rb = find(parent, self.run_start[y - 1] + j as u32);
                    if ra != rb {
                        parent[ra.max(rb) as usize] = ra.min(rb);
                    }
                }
                if a.1 < b.1 {
                    i += 1;
                } else {
                    j += 1;
                }
            }
        }
        // Each set's root is its first run, so islands are numbered in run order.
        self.run_label.clear();
        self.run_label.resize(total as usize, u32::MAX);
        let mut shapes: Vec<Shape> = Vec::new();
        for y in 0..ny {
            for (i, &(x0, x1)) in self.rows[y].iter().enumerate() {
                let r = self.run_start[y] + i as u32;
                let root = find(parent, r);
                let id = if root == r {
                    shapes.push(Shape::default());
                    (shapes.len() - 1) as u32
                } else {
                    self.run_label[root as usize]
                };
                self.run_label[r as usize] = id;
                shapes[id as usize].add_run(y, x0, x1);
            }
        }
        shapes
    }

    /// The cells each island shares with each island of the layer below, row by row.
    fn overlaps(&self, shapes: &mut [Shape]) {
        let mut pairs: Vec<(u32, u32, u32)> = Vec::new();
        for y in 0..self.rows.len() {
            let (here, below) = (&self.rows[y], &self.prev_rows[y]);
            let (mut i, mut j) = (0, 0);
            while i < here.len() && j < below.len() {
                let (a, b) = (here[i], below[j]);
                let o = a.1.min(b.1).saturating_sub(a.0.max(b.0));
                if o > 0 {
                    pairs.push((
                        self.run_label[(self.run_start[y] + i as u32) as usize],
                        self.prev_run_label[(self.prev_run_start[y] + j as u32) as usize],
                        o,
                    ));
                }
                if a.1 < b.1 {
                    i += 1;
                } else {
                    j += 1;
                }
            }
        }
        pairs.sort_unstable();
        for run in pairs.chunk_by(|a, b| a.0 == b.0 && a.1 == b.1) {
            let o: u32 = run.iter().map(|p| p.2).sum();
            shapes[run[0].0 as usize]
                .below
                .push((run[0].1, f64::from(o)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fills the cells `on` of a grid `nx` wide and walks one layer.
    fn layer(grid: &mut IslandGrid, on: &[u32]) -> Vec<Shape> {
        grid.layer(on.iter().map(|&c| (c, true)))
    }

    #[test]
    fn corners_join_and_gaps_split() {
        // 5 × 3: a diagonal pair (0,0)-(1,1) is one island; (4,0) is another.
        let mut g = IslandGrid::new(5, 3);
        let shapes = layer(&mut g, &[0, 6, 4]);
        assert_eq!(shapes.len(), 2);
        assert_eq!(
            shapes.iter().map(|s| s.cells).collect::<Vec<_>>(),
            vec![2, 1]
        );
        assert_eq!(g.island_of(6), g.island_of(0));
        assert_ne!(g.island_of(4), g.island_of(0));
        assert_eq!(g.island_of(2), None);
    }

    #[test]
    fn overlaps_are_counted_with_the_layer_below() {
        let mut g = IslandGrid::new(6, 2);
        // Layer 0: cells 0-1 and 4-5 of row 0.
        let first = layer(&mut g, &[0, 1, 4, 5]);
        assert!(first.len() == 2 && first.iter().all(|s| s.below.is_empty()));
        // Layer 1: row 1's 0-5 joins in: one island over both below, 2 cells on each.
        let second = layer(&mut g, &[6, 7, 8, 9, 10, 11]);
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].below, vec![(0, 2.0), (1, 2.0)]);
        // Layer 2: nothing crosses: the same island, resting on itself.
        let third = layer(&mut g, &[]);
        assert_eq!(third.len(), 1);
        assert_eq!(
            (third[0].cells, third[0].below.clone()),
            (10, vec![(0, 10.0)])
        );
        // Layer 3: row 0 leaves; the rest rests on the island below with 6 cells.
        let fourth = g.layer([0u32, 1, 4, 5].into_iter().map(|c| (c, false)));
        assert_eq!(
            (fourth[0].cells, fourth[0].below.clone()),
            (6, vec![(0, 6.0)])
        );
    }

    #[test]
    fn a_strip_reads_its_length_as_aspect() {
        let mut g = IslandGrid::new(20, 3);
        let shapes = layer(&mut g, &(20..30).collect::<Vec<u32>>());
        assert!(
            (shapes[0].aspect() - 10.0).abs() < 1e-9,
            "{}",
            shapes[0].aspect()
        );
        let mut g = IslandGrid::new(4, 4);
        let square = layer(&mut g, &(0..16).collect::<Vec<u32>>());
        assert!((square[0].aspect() - 1.0).abs() < 1e-9);
    }
}
