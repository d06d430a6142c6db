//! Edge classification: every undirected edge visited exactly once, in parallel over
//! vertex ranges.
//!
//! The edge {v, w} belongs to the smaller of its vertices that has a half-edge on it.
//! From `v`, a half-edge to a smaller `w` is skipped as soon as `w` is seen to run back
//! to `v`, which is half the half-edges of a closed mesh at the cost of a short scan.
//!
//! What the classification feeds is chosen by the caller: the shells' union-find (the
//! common path, which stores nothing per edge), or a list of [`Pair`]s for the
//! reorientation repair (only for meshes that need it).

use rayon::prelude::*;

use super::half_edges::HalfEdges;
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
#[inline]
fn classify_around(half: &HalfEdges, v: u32, joins: Joins, out: &mut Edges) {
    let list = half.out(v);
    for (j, &(w, _)) in list.iter().enumerate() {
        let back = half.out(w);
        // A smaller vertex that runs back owns the edge.
        if w < v && back.iter().any(|&(x, _)| x == v) {
            continue;
        }
        // Each target once per vertex.
        if list[..j].iter().any(|&(x, _)| x == w) {
            continue;
        }
        let forward = Incident::gather(&list[j..], w);
        let backward = if w < v {
            Incident::default()
        } else {
            Incident::gather(back, v)
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
                let mut all = list
                    .iter()
                    .filter(|e| e.0 == w)
                    .chain(back.iter().filter(|e| e.0 == v))
                    .map(|e| e.1);
                if let Some(first) = all.next() {
                    for f in all {
                        out.join(joins, first, f, None);
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
    fn gather(list: &[(u32, u32)], target: u32) -> Incident {
        let mut inc = Incident::default();
        for &(x, f) in list {
            if x == target {
                if inc.count < 2 {
                    inc.first[inc.count] = f;
                }
                inc.count += 1;
            }
        }
        inc
    }
}
