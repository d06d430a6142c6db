//! The vertex → outgoing half-edge table every edge query goes through.
//!
//! A compressed table (CSR): the half-edges leaving vertex `v` are
//! `entries[offsets[v]..offsets[v + 1]]`, each as (target vertex, triangle), in triangle
//! order. One pass counts, one fills.
//!
//! Both passes run in parallel by giving each thread a contiguous range of vertices:
//! the thread scans all triangles but writes only the half-edges leaving its own
//! vertices, which land in its own contiguous slice of the table. No atomics, no merge
//! step, and every list comes out in triangle order whatever the thread count, so the
//! results built on it (pair order, reorientation) are deterministic. Scanning the
//! triangle list once per thread costs less than the scattered writes it parallelises.
//!
//! **Hubs.** Edge classification looks up, for a vertex, the half-edges running to one
//! target. A linear scan of the list is the fastest lookup at the degrees of real meshes
//! (about six), but quadratic at a vertex of degree 200k (a fan, a cone's apex, an OBJ
//! polygon of millions of vertices triangulated around its first vertex: issue 14). So
//! every vertex whose degree is over [`HUB_DEGREE`] also gets its list sorted by
//! (target, triangle), searched by bisection. Real meshes have few or no hubs, so the
//! common path is unchanged; a hostile one costs O(d log d) per hub instead of O(d²).

use rayon::prelude::*;

use crate::cancel::{Cancel, Cancelled};

/// Out-degree above which a vertex's half-edges are also kept sorted by target. Below
/// it, a scan of the list costs less than a search (and is what normal meshes need).
pub(super) const HUB_DEGREE: usize = 32;

/// Below this many triangles one thread builds the table; splitting costs more than it
/// saves.
const PARALLEL_MIN_TRIANGLES: usize = 1 << 15;
/// Triangles between two polls of the cancel token in each part's pass.
const CANCEL_POLL: usize = 1 << 16;

pub(super) struct HalfEdges {
    offsets: Vec<u32>,
    /// (target vertex, triangle)
    entries: Vec<(u32, u32)>,
    /// The vertices of degree over [`HUB_DEGREE`], ascending.
    hubs: Vec<u32>,
    /// Each hub's half-edges sorted by (target, triangle): hub `hubs[h]` holds
    /// `hub_sorted[hub_start[h]..hub_start[h + 1]]`.
    hub_sorted: Vec<(u32, u32)>,
    hub_start: Vec<u32>,
}

impl HalfEdges {
    /// Builds the table for `triangles` over `vertex_count` vertices. Every index in
    /// `triangles` must be below `vertex_count`. Each part polls `cancel` every
    /// `CANCEL_POLL` triangles.
    pub(super) fn build(
        triangles: &[[u32; 3]],
        vertex_count: usize,
        cancel: &Cancel,
    ) -> Result<HalfEdges, Cancelled> {
        let parts = if triangles.len() < PARALLEL_MIN_TRIANGLES {
            1
        } else {
            rayon::current_num_threads().clamp(1, 16)
        };
        let per_part = vertex_count.div_ceil(parts).max(1);

        // Count: offsets[v + 1] = out-degree of v.
        let mut offsets = vec![0u32; vertex_count + 1];
        offsets[1..]
            .par_chunks_mut(per_part)
            .enumerate()
            .for_each(|(p, degree)| {
                let lo = (p * per_part) as u32;
                for (f, t) in triangles.iter().enumerate() {
                    if f % CANCEL_POLL == 0 && cancel.is_cancelled() {
                        return;
                    }
                    for &v in t {
                        // One compare: out-of-range vertices wrap to large values.
                        if let Some(d) = degree.get_mut(v.wrapping_sub(lo) as usize) {
                            *d += 1;
                        }
                    }
                }
            });
        // A part cut short by a cancel leaves the counts wrong: stop before using them.
        cancel.check()?;
        for i in 0..vertex_count {
            offsets[i + 1] += offsets[i];
        }

        // Fill: each part's vertices own one contiguous slice of `entries`.
        let mut entries = vec![(0u32, 0u32); offsets[vertex_count] as usize];
        let mut slices = Vec::with_capacity(parts);
        let mut rest = entries.as_mut_slice();
        for p in 0..parts {
            let lo = (p * per_part).min(vertex_count);
            let hi = ((p + 1) * per_part).min(vertex_count);
            let (mine, tail) = rest.split_at_mut((offsets[hi] - offsets[lo]) as usize);
            slices.push((lo, hi, mine));
            rest = tail;
        }
        slices.into_par_iter().for_each(|(lo, hi, out)| {
            let base = offsets[lo];
            let mut cursor: Vec<u32> = offsets[lo..hi].iter().map(|&o| o - base).collect();
            for (f, t) in triangles.iter().enumerate() {
                if f % CANCEL_POLL == 0 && cancel.is_cancelled() {
                    return;
                }
                for k in 0..3 {
                    let from = t[k].wrapping_sub(lo as u32) as usize;
                    if let Some(c) = cursor.get_mut(from) {
                        out[*c as usize] = (t[(k + 1) % 3], f as u32);
                        *c += 1;
                    }
                }
            }
        });
        cancel.check()?;
        let (hubs, hub_start, hub_sorted) = sort_hubs(&offsets, &entries);
        Ok(HalfEdges {
            offsets,
            entries,
            hubs,
            hub_sorted,
            hub_start,
        })
    }

    pub(super) fn vertex_count(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The half-edges leaving `v`: (target, triangle), in triangle order.
    #[inline]
    pub(super) fn out(&self, v: u32) -> &[(u32, u32)] {
        &self.entries[self.offsets[v as usize] as usize..self.offsets[v as usize + 1] as usize]
    }

    /// The half-edges from `v` to `target`, in triangle order: a scan of `v`'s list, or a
    /// bisection of its sorted copy when `v` is a hub. Both give the same entries in the
    /// same order.
    #[inline(always)]
    pub(super) fn run(&self, v: u32, target: u32) -> Run<'_> {
        let list = self.out(v);
        if list.len() <= HUB_DEGREE {
            return Run { list, target };
        }
        self.hub_run(v, list, target)
    }

    /// [`HalfEdges::run`] at a hub, kept out of line so the common path stays a scan.
    #[inline(never)]
    fn hub_run<'a>(&'a self, v: u32, list: &'a [(u32, u32)], target: u32) -> Run<'a> {
        let Ok(h) = self.hubs.binary_search(&v) else {
            // Every vertex over the threshold is a hub, so this does not happen; a scan
            // would still be a correct answer.
            return Run { list, target };
        };
        let sorted = &self.hub_sorted[self.hub_start[h] as usize..self.hub_start[h + 1] as usize];
        let lo = sorted.partition_point(|&(x, _)| x < target);
        let hi = lo + sorted[lo..].partition_point(|&(x, _)| x == target);
        Run {
            list: &sorted[lo..hi],
            target,
        }
    }
}

/// Half-edges to one target: the entries of `list` whose target is `target` (for a hub,
/// `list` holds exactly those).
#[derive(Clone, Copy)]
pub(super) struct Run<'a> {
    /// Entries to filter, in triangle order.
    pub list: &'a [(u32, u32)],
    /// The target kept.
    pub target: u32,
}

impl Run<'_> {
    /// Whether any half-edge runs to the target.
    #[inline(always)]
    pub(super) fn any(self) -> bool {
        self.list.iter().any(|e| e.0 == self.target)
    }

    /// The triangles of the run, in triangle order.
    #[inline(always)]
    pub(super) fn triangles(self) -> impl Iterator<Item = u32> {
        let target = self.target;
        self.list.iter().filter(move |e| e.0 == target).map(|e| e.1)
    }
}

/// The hubs, where each one's sorted list starts, and the sorted lists.
fn sort_hubs(offsets: &[u32], entries: &[(u32, u32)]) -> (Vec<u32>, Vec<u32>, Vec<(u32, u32)>) {
    let vertex_count = offsets.len() - 1;
    let hubs: Vec<u32> = (0..vertex_count as u32)
        .into_par_iter()
        .with_min_len(1 << 14)
        .filter(|&v| offsets[v as usize + 1] - offsets[v as usize] > HUB_DEGREE as u32)
        .collect();
    let mut hub_start = Vec::with_capacity(hubs.len() + 1);
    let mut hub_sorted = Vec::new();
    hub_start.push(0u32);
    for &v in &hubs {
        let list = &entries[offsets[v as usize] as usize..offsets[v as usize + 1] as usize];
        let at = hub_sorted.len();
        hub_sorted.extend_from_slice(list);
        // (target, triangle) pairs are distinct (a triangle runs v→w at most once), so
        // an unstable sort gives the one order: by target, then in triangle order.
        if list.len() > 1 << 15 {
            hub_sorted[at..].par_sort_unstable();
        } else {
            hub_sorted[at..].sort_unstable();
        }
        hub_start.push(hub_sorted.len() as u32);
    }
    (hubs, hub_start, hub_sorted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_in_triangle_order_whatever_the_split() {
        // A fan around vertex 0 large enough to take the parallel path.
        let n = PARALLEL_MIN_TRIANGLES as u32 + 10;
        let triangles: Vec<[u32; 3]> = (0..n).map(|i| [0, i + 1, i + 2]).collect();
        let half = HalfEdges::build(&triangles, n as usize + 2, &Cancel::never())
            .expect("never cancelled");
        assert_eq!(half.vertex_count(), n as usize + 2);
        let fan = half.out(0);
        assert_eq!(fan.len(), n as usize);
        assert!(
            fan.iter()
                .enumerate()
                .all(|(i, &(w, f))| f == i as u32 && w == f + 1)
        );
        // Vertex 5 is the third corner of triangle 3 and the second of triangle 4.
        assert_eq!(half.out(5), &[(0, 3), (6, 4)][..]);
        // The last vertex is only the third corner of the last triangle.
        assert_eq!(half.out(n + 1), &[(0, n - 1)][..]);
    }
}
