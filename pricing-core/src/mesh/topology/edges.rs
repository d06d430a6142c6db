//! Edge classification: every undirected edge visited exactly once, in parallel over
//! vertex ranges.
//!
//! The edge {v, w} belongs to the smaller of its vertices that has a half-edge on it.
//! From `v`, a half-edge to a smaller `w` is skipped as soon as `w` is seen to run back
//! to `v`, which is half the half-edges of a closed mesh at the cost of a short scan.
//! Lookups at high-degree vertices bisect a sorted copy of their list
//! ([`HalfEdges::run`]), so the pass is O(triangles · log degree) whatever the degrees.
//!
//! What the classification feeds is chosen by the caller: the shells' union-find (the
//! common path, which stores nothing per edge), or a list of [`Pair`]s for the
//! reorientation repair (only for meshes that need it).

use rayon::prelude::*;

use super::half_edges::{HUB_DEGREE, HalfEdges, Run};
use super::union_find::UnionFind;
use crate::cancel::Cancel;

/// Vertices per parallel task.
const VERTEX_CHUNK: u32 = 4096;

/// Two triangles joined by an edge; `same_direction` when both run it the same way
/// (their orientations disagree). Non-manifold joins carry `None`: they connect shells
/// but say nothing reliable about orientation.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pair {
    pub a: u32,
    pub b: u32,
    pub same_direction: Option<bool>,
}

/// Where joins go.
#[derive(Clone, Copy)]
pub(super) enum Joins<'a> {
    /// Into the shells' union-find.
    Shells(&'a UnionFind),
    /// Into [`Edges::pairs`].
    Pairs,
}

/// What the classification found.
#[derive(Default)]
pub(super) struct Edges {
    /// The joins, when [`Joins::Pairs`] was asked for; in vertex order.
    pub pairs: Vec<Pair>,
    /// One entry per open edge: the triangle that has it.
    pub open_edge_triangles: Vec<u32>,
    /// Edges used by three or more triangles.
    pub non_manifold: usize,
    /// Edges two triangles run the same way.
    pub inconsistent: usize,
}

impl Edges {
    fn join(&mut self, joins: Joins, a: u32, b: u32, same_direction: Option<bool>) {
        match joins {
            Joins::Shells(uf) => uf.union(a, b),
            Joins::Pairs => self.pairs.push(Pair {
                a,
                b,
                same_direction,
            }),
        }
    }

    fn append(&mut self, other: Edges) {
        self.pairs.extend(other.pairs);
        self.open_edge_triangles.extend(other.open_edge_triangles);
        self.non_manifold += other.non_manifold;
        self.inconsistent += other.inconsistent;
    }
}

/// Classifies every edge of the mesh behind `half`, sending joins to `joins`. Once
/// `cancel` is cancelled the remaining vertex chunks are skipped (the caller checks it
/// and discards the result).
pub(super) fn classify(half: &HalfEdges, joins: Joins, cancel: &Cancel) -> Edges {
    let vertex_count = half.vertex_count() as u32;
    (0..vertex_count.div_ceil(VERTEX_CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut out = Edges::default();
            if cancel.is_cancelled() {
                return out;
            }
            let end = ((c + 1) * VERTEX_CHUNK).min(vertex_count);
            for v in c * VERTEX_CHUNK..end {
                classify_around(half, v, joins, &mut out);
            }
            out
        })
        .collect::<Vec<Edges>>()
        .into_iter()
        .fold(Edges::default(), |mut all, part| {
            all.append(part);
            all
        })
}

/// The edges `v` owns.
///
/// Every lookup goes through [`HalfEdges::run`], a scan for ordinary vertices and a
/// bisection for hubs, so the work is O(degree) per vertex of ordinary degree and
/// O(degree · log degree) per hub, never quadratic (issue 14: a 200k-triangle fan took
/// 30 s). The edges, joins and their order are the same as a plain scan would give.
#[inline]
fn classify_around(half: &HalfEdges, v: u32, joins: Joins, out: &mut Edges) {
    let list = half.out(v);
    let hub = list.len() > HUB_DEGREE;
    for (j, &(w, f)) in list.iter().enumerate() {
        // A smaller vertex that runs back owns the edge.
        if w < v && half.run(w, v).any() {
            continue;
        }
        // Each target once per vertex: only at its first half-edge in triangle order.
        let first_time = if hub {
            half.run(v, w).triangles().next() == Some(f)
        } else {
            !list[..j].iter().any(|&(x, _)| x == w)
        };
        if !first_time {
            continue;
        }
        // The half-edges v→w: from here on in v's own list (none came before), or the
        // hub's run.
        let forward_run = if hub {
            half.run(v, w)
        } else {
            Run {
                list: &list[j..],
                target: w,
            }
        };
        let forward = Incident::gather(forward_run.triangles());
        let backward = if w < v {
            Incident::default()
        } else {
            Incident::gather(half.run(w, v).triangles())
        };
        match (forward.count, backward.count) {
            (1, 0) => out.open_edge_triangles.push(forward.first[0]),
            (0, 1) => out.open_edge_triangles.push(backward.first[0]),
            (1, 1) => out.join(joins, forward.first[0], backward.first[0], Some(false)),
            (2, 0) => {
                out.inconsistent += 1;
                out.join(joins, forward.first[0], forward.first[1], Some(true));
            }
            (0, 2) => {
                out.inconsistent += 1;
                out.join(joins, backward.first[0], backward.first[1], Some(true));
            }
            _ => {
                // Three or more triangles: join them all into one shell, without
                // orientation.
                out.non_manifold += 1;
                let mut all = forward_run.triangles().chain(half.run(w, v).triangles());
                if let Some(first) = all.next() {
                    for g in all {
                        out.join(joins, first, g, None);
                    }
                }
            }
        }
    }
}

/// The triangles running along one directed edge: how many, and the first two. Almost
/// every edge has one each way, so nothing is allocated on the common path.
#[derive(Default)]
struct Incident {
    count: usize,
    first: [u32; 2],
}

impl Incident {
    #[inline]
    fn gather(triangles: impl Iterator<Item = u32>) -> Incident {
        let mut inc = Incident::default();
        for f in triangles {
            if inc.count < 2 {
                inc.first[inc.count] = f;
            }
            inc.count += 1;
        }
        inc
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// The classification by a map of undirected edges: (open, inconsistent,
    /// non-manifold) counts and the shells as sets of triangles.
    fn reference(triangles: &[[u32; 3]]) -> (usize, usize, usize, Vec<u32>) {
        let mut edges: HashMap<(u32, u32), Vec<(u32, bool)>> = HashMap::new();
        for (f, t) in triangles.iter().enumerate() {
            for k in 0..3 {
                let (a, b) = (t[k], t[(k + 1) % 3]);
                edges
                    .entry((a.min(b), a.max(b)))
                    .or_default()
                    .push((f as u32, a < b));
            }
        }
        let uf = UnionFind::new(triangles.len());
        let (mut open, mut inconsistent, mut non_manifold) = (0, 0, 0);
        for uses in edges.values() {
            match uses.len() {
                1 => open += 1,
                2 => {
                    if uses[0].1 == uses[1].1 {
                        inconsistent += 1;
                    }
                }
                _ => non_manifold += 1,
            }
            for u in &uses[1..] {
                uf.union(uses[0].0, u.0);
            }
        }
        (open, inconsistent, non_manifold, uf.into_sets().0)
    }

    fn ours(triangles: &[[u32; 3]], vertices: usize) -> (usize, usize, usize, Vec<u32>) {
        let never = crate::cancel::Cancel::never();
        let half = HalfEdges::build(triangles, vertices, &never).expect("never cancelled");
        let uf = UnionFind::new(triangles.len());
        let e = classify(&half, Joins::Shells(&uf), &never);
        (
            e.open_edge_triangles.len(),
            e.inconsistent,
            e.non_manifold,
            uf.into_sets().0,
        )
    }

    #[test]
    fn hubs_classify_like_a_map_of_edges() {
        // A fan of 300 triangles around vertex 0 (a hub), closed on the far side by a
        // second fan around vertex 301 (another hub), with spokes of the first fan
        // doubled the same way (inconsistent), tripled (non-manifold), and a separate
        // small fan that stays open.
        let n = 300u32;
        let rim = |i: u32| 1 + i % n;
        let mut tris: Vec<[u32; 3]> = (0..n).map(|i| [0, rim(i), rim(i + 1)]).collect();
        tris.extend((0..n).map(|i| [n + 1, rim(i + 1), rim(i)]));
        tris.push([0, rim(7), 400]); // third triangle on spoke 0-8: non-manifold
        tris.push([rim(20), 0, 401]); // a third use of spoke 0-21, running back
        tris.push([0, rim(50), 402]); // a third use of spoke 0-51
        let small: Vec<[u32; 3]> = (0..40).map(|i| [500, 510 + i, 511 + i]).collect();
        tris.extend(small);
        // Two triangles running the same way over one edge, away from the hubs.
        tris.push([600, 601, 602]);
        tris.push([600, 601, 603]);
        let expected = reference(&tris);
        assert_eq!(ours(&tris, 700), expected);
        assert!(expected.1 >= 1 && expected.2 >= 3, "{expected:?}");
    }

    #[test]
    fn a_fan_of_many_triangles_is_one_open_shell() {
        let n = 20_000u32;
        let tris: Vec<[u32; 3]> = (0..n).map(|i| [0, 1 + i, 1 + (i + 1) % n]).collect();
        let (open, inconsistent, non_manifold, shells) = ours(&tris, n as usize + 1);
        assert_eq!((open, inconsistent, non_manifold), (n as usize, 0, 0));
        assert!(shells.iter().all(|&s| s == 0));
    }
}
