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

use rayon::prelude::*;

use crate::cancel::{Cancel, Cancelled};

/// Below this many triangles one thread builds the table; splitting costs more than it
/// saves.
const PARALLEL_MIN_TRIANGLES: usize = 1 << 15;
/// Triangles between two polls of the cancel token in each part's pass.
const CANCEL_POLL: usize = 1 << 16;

pub(super) struct HalfEdges {
    offsets: Vec<u32>,
    /// (target vertex, triangle)
    entries: Vec<(u32, u32)>,
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
        Ok(HalfEdges { offsets, entries })
    }

    pub(super) fn vertex_count(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The half-edges leaving `v`: (target, triangle), in triangle order.
    #[inline]
    pub(super) fn out(&self, v: u32) -> &[(u32, u32)] {
        &self.entries[self.offsets[v as usize] as usize..self.offsets[v as usize + 1] as usize]
    }
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
