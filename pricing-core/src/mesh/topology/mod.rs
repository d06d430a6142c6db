//! Topology: edges, shells, orientation, and the cheap safe repairs.
//!
//! Edges are found through a compressed vertex → outgoing half-edge table
//! ([`half_edges`]), then classified in parallel per vertex ([`edges`]), joining
//! triangles into shells in a concurrent union-find ([`union_find`]) as they go. That is
//! O(triangles) with small constants, no hash map and no per-edge storage, which matters
//! at a million triangles. [`shell_stats`] then measures every shell in one pass.
//!
//! An undirected edge {a, b} is
//! - *manifold* when exactly one triangle runs a→b and one runs b→a;
//! - *inconsistently oriented* when two triangles share it running the same way (one of
//!   them is flipped);
//! - *open* (a boundary) when one triangle uses it;
//! - *non-manifold* when three or more do.
//!
//! Shells are the components of triangles connected through shared edges.

mod edges;
mod half_edges;
mod shell_stats;
mod union_find;

use rayon::prelude::*;

use self::edges::{Joins, Pair};
use self::half_edges::HalfEdges;
use self::union_find::UnionFind;
use super::Mesh;
use crate::cancel::{Cancel, Cancelled};

/// Per-shell figures, in the mesh's units.
#[derive(Debug, Clone, PartialEq)]
pub struct Shell {
    /// Triangles in the shell.
    pub triangles: usize,
    /// Signed volume (positive when the shell faces outward).
    pub signed_volume: f64,
    /// Surface area.
    pub area: f64,
    /// Volume-weighted sum of tetrahedron centroids (divide by the volume for a centroid).
    pub moment: [f64; 3],
    /// Bounds `(min, max)`.
    pub bounds: ([f64; 3], [f64; 3]),
    /// Open edges on this shell: zero means the shell is closed.
    pub open_edges: usize,
}

impl Shell {
    /// Closed and at least two-manifold at its boundary: its volume means something.
    pub fn is_closed(&self) -> bool {
        self.open_edges == 0
    }
}

/// What the topology pass found (after the repairs in [`Repairs`], if any were made).
#[derive(Debug, Clone, PartialEq)]
pub struct Topology {
    /// Shell index of every triangle.
    pub shell_of_triangle: Vec<u32>,
    /// The shells, in order of their first triangle.
    pub shells: Vec<Shell>,
    /// Edges used by one triangle only.
    pub open_edges: usize,
    /// Edges used by three or more triangles.
    pub non_manifold_edges: usize,
    /// Edges whose two triangles run the same way (found before repair).
    pub inconsistent_edges: usize,
}

/// What [`analyze_and_repair`] changed in the mesh.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Repairs {
    /// Degenerate triangles (repeated vertex or zero area) that were removed.
    pub dropped_degenerate: usize,
    /// Triangles flipped to agree with their neighbours.
    pub reoriented_triangles: usize,
    /// Closed shells that were inside out and were turned outward.
    pub flipped_shells: usize,
}

/// Removes degenerate triangles, makes each shell's orientation consistent, turns
/// inside-out shells outward, and returns the topology of the repaired mesh.
///
/// Cavities (closed shells with negative volume inside another shell) are left as they
/// are: they are real voids, not mistakes.
pub fn analyze_and_repair(mesh: &mut Mesh) -> (Topology, Repairs) {
    match analyze_and_repair_with(mesh, &Cancel::never()) {
        Ok(done) => done,
        Err(Cancelled) => unreachable!("Cancel::never() is never cancelled"),
    }
}

/// [`analyze_and_repair`], polling `cancel` between its passes. A cancelled repair may
/// leave `mesh` with degenerate triangles dropped but not reoriented.
pub fn analyze_and_repair_with(
    mesh: &mut Mesh,
    cancel: &Cancel,
) -> Result<(Topology, Repairs), Cancelled> {
    let mut repairs = Repairs {
        dropped_degenerate: drop_degenerate(mesh),
        ..Repairs::default()
    };
    cancel.check()?;
    let half = HalfEdges::build(&mesh.triangles, mesh.positions.len(), cancel)?;
    let shells_uf = UnionFind::new(mesh.triangles.len());
    let edges = edges::classify(&half, Joins::Shells(&shells_uf), cancel);
    cancel.check()?;
    if edges.inconsistent > 0 {
        // Rare: only now are the joins stored, for the reorientation walk. Flipping
        // triangles changes no connectivity, so the shells found above still hold.
        let pairs = edges::classify(&half, Joins::Pairs, cancel).pairs;
        cancel.check()?;
        repairs.reoriented_triangles = reorient(mesh, &pairs);
    }
    drop(half);
    let (shell_of_triangle, shell_count) = shells_uf.into_sets();
    cancel.check()?;
    let mut shells = shell_stats::shell_stats(mesh, &shell_of_triangle, shell_count, cancel);
    cancel.check()?;
    for &t in &edges.open_edge_triangles {
        shells[shell_of_triangle[t as usize] as usize].open_edges += 1;
    }
    repairs.flipped_shells = flip_inside_out(mesh, &shell_of_triangle, &mut shells);
    let topology = Topology {
        shell_of_triangle,
        shells,
        open_edges: edges.open_edge_triangles.len(),
        non_manifold_edges: edges.non_manifold,
        inconsistent_edges: edges.inconsistent,
    };
    Ok((topology, repairs))
}

/// The shells of `mesh` as it is, without repairing anything: the shell of every
/// triangle and each shell's figures (open edges counted). Used to split a file into
/// bodies ([`crate::mesh::bodies`]).
pub fn shells(mesh: &Mesh) -> (Vec<u32>, Vec<Shell>) {
    let never = Cancel::never();
    let find = || -> Result<(Vec<u32>, Vec<Shell>), Cancelled> {
        let half = HalfEdges::build(&mesh.triangles, mesh.positions.len(), &never)?;
        let uf = UnionFind::new(mesh.triangles.len());
        let edges = edges::classify(&half, Joins::Shells(&uf), &never);
        drop(half);
        let (shell_of_triangle, count) = uf.into_sets();
        let mut shells = shell_stats::shell_stats(mesh, &shell_of_triangle, count, &never);
        for &t in &edges.open_edge_triangles {
            shells[shell_of_triangle[t as usize] as usize].open_edges += 1;
        }
        Ok((shell_of_triangle, shells))
    };
    match find() {
        Ok(found) => found,
        Err(Cancelled) => unreachable!("Cancel::never() is never cancelled"),
    }
}

#[inline(always)]
fn cross3(u: [f64; 3], v: [f64; 3]) -> [f64; 3] {
    [
        u[1] * v[2] - u[2] * v[1],
        u[2] * v[0] - u[0] * v[2],
        u[0] * v[1] - u[1] * v[0],
    ]
}

/// Twice the area vector of a triangle, in f64.
#[inline]
fn cross(a: [f32; 3], b: [f32; 3], c: [f32; 3]) -> [f64; 3] {
    let d = |p: [f32; 3]| {
        [
            p[0] as f64 - a[0] as f64,
            p[1] as f64 - a[1] as f64,
            p[2] as f64 - a[2] as f64,
        ]
    };
    cross3(d(b), d(c))
}

/// Whether a triangle has a repeated vertex or zero area.
pub fn is_degenerate(mesh: &Mesh, t: [u32; 3]) -> bool {
    if t[0] == t[1] || t[1] == t[2] || t[0] == t[2] {
        return true;
    }
    let [a, b, c] = t.map(|v| mesh.positions[v as usize]);
    cross(a, b, c) == [0.0; 3]
}

fn drop_degenerate(mesh: &mut Mesh) -> usize {
    let degenerate = mesh
        .triangles
        .par_iter()
        .filter(|&&t| is_degenerate(mesh, t))
        .count();
    if degenerate > 0 {
        let kept: Vec<[u32; 3]> = mesh
            .triangles
            .par_iter()
            .copied()
            .filter(|&t| !is_degenerate(mesh, t))
            .collect();
        mesh.triangles = kept;
    }
    degenerate
}

/// Flips triangles so that neighbours across manifold edges agree, flipping the smaller
/// part of each connected region. Returns how many triangles were flipped.
fn reorient(mesh: &mut Mesh, pairs: &[Pair]) -> usize {
    let n = mesh.triangles.len();
    // Adjacency over orientable joins only.
    let mut offsets = vec![0u32; n + 1];
    for p in pairs.iter().filter(|p| p.same_direction.is_some()) {
        offsets[p.a as usize + 1] += 1;
        offsets[p.b as usize + 1] += 1;
    }
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    let mut cursor = offsets[..n].to_vec();
    let mut adjacent = vec![(0u32, false); offsets[n] as usize];
    for p in pairs {
        if let Some(same) = p.same_direction {
            adjacent[cursor[p.a as usize] as usize] = (p.b, same);
            cursor[p.a as usize] += 1;
            adjacent[cursor[p.b as usize] as usize] = (p.a, same);
            cursor[p.b as usize] += 1;
        }
    }
    // 0 = unvisited, 1 = keep, 2 = flip
    let mut state = vec![0u8; n];
    let mut flipped = 0usize;
    let mut stack = Vec::new();
    let mut region = Vec::new();
    for seed in 0..n {
        if state[seed] != 0 {
            continue;
        }
        state[seed] = 1;
        stack.push(seed as u32);
        region.clear();
        while let Some(f) = stack.pop() {
            region.push(f);
            let flip_f = state[f as usize] == 2;
            for &(g, same) in
                &adjacent[offsets[f as usize] as usize..offsets[f as usize + 1] as usize]
            {
                if state[g as usize] == 0 {
                    state[g as usize] = if flip_f ^ same { 2 } else { 1 };
                    stack.push(g);
                }
            }
        }
        let to_flip = region.iter().filter(|&&f| state[f as usize] == 2).count();
        // Flip whichever side is smaller; the global inside/outside is fixed afterwards
        // from the sign of the shell's volume.
        let flip_state = if to_flip * 2 > region.len() { 1 } else { 2 };
        for &f in &region {
            if state[f as usize] == flip_state {
                mesh.triangles[f as usize].swap(1, 2);
                flipped += 1;
            }
        }
    }
    flipped
}

/// How many of the largest outward shells are checked as possible hosts of a cavity;
/// bounds the work on hostile files with millions of tiny shells.
const CAVITY_HOSTS: usize = 1000;

/// Turns closed shells with negative volume outward unless they sit inside a larger
/// outward shell (then they are cavities). Returns the number of shells flipped.
fn flip_inside_out(mesh: &mut Mesh, shell_of: &[u32], shells: &mut [Shell]) -> usize {
    let mut hosts: Vec<usize> = (0..shells.len())
        .filter(|&i| shells[i].is_closed() && shells[i].signed_volume > 0.0)
        .collect();
    hosts.sort_by(|&a, &b| shells[b].signed_volume.total_cmp(&shells[a].signed_volume));
    hosts.truncate(CAVITY_HOSTS);
    let inside = |inner: &Shell, outer: &Shell| {
        (0..3).all(|k| {
            outer.bounds.0[k] <= inner.bounds.0[k] && inner.bounds.1[k] <= outer.bounds.1[k]
        })
    };
    let mut flip = vec![false; shells.len()];
    for (i, s) in shells.iter().enumerate() {
        if s.is_closed() && s.signed_volume < 0.0 {
            let cavity = hosts
                .iter()
                .any(|&h| shells[h].signed_volume > -s.signed_volume && inside(s, &shells[h]));
            flip[i] = !cavity;
        }
    }
    let count = flip.iter().filter(|&&f| f).count();
    if count > 0 {
        for (t, &s) in mesh.triangles.iter_mut().zip(shell_of) {
            if flip[s as usize] {
                t.swap(1, 2);
            }
        }
        for (s, &f) in shells.iter_mut().zip(&flip) {
            if f {
                s.signed_volume = -s.signed_volume;
                s.moment = s.moment.map(|m| -m);
            }
        }
    }
    count
}
