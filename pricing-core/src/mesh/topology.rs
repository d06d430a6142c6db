//! Topology: edges, shells, orientation, and the cheap safe repairs.
//!
//! Edges are found through a compressed vertex → outgoing half-edge table (one pass to
//! count, one to fill), then classified in parallel per vertex. That is O(triangles) with
//! small constants and no hash map, which matters at a million triangles.
//!
//! An undirected edge {a, b} is
//! - *manifold* when exactly one triangle runs a→b and one runs b→a;
//! - *inconsistently oriented* when two triangles share it running the same way (one of
//!   them is flipped);
//! - *open* (a boundary) when one triangle uses it;
//! - *non-manifold* when three or more do.
//!
//! Shells are the components of triangles connected through shared edges.

use rayon::prelude::*;

use super::Mesh;

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
    let mut repairs = Repairs {
        dropped_degenerate: drop_degenerate(mesh),
        ..Repairs::default()
    };
    let edges = classify_edges(mesh);
    let (shell_of_triangle, shell_count) = shells_from_pairs(mesh.triangles.len(), &edges.pairs);
    if edges.inconsistent > 0 {
        repairs.reoriented_triangles = reorient(mesh, &edges.pairs);
    }
    let mut shells = shell_stats(mesh, &shell_of_triangle, shell_count);
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
    (topology, repairs)
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

/// Two triangles joined by an edge; `same_direction` when both run it the same way
/// (their orientations disagree). Non-manifold joins carry `None`: they connect shells
/// but say nothing reliable about orientation.
#[derive(Debug, Clone, Copy)]
struct Pair {
    a: u32,
    b: u32,
    same_direction: Option<bool>,
}

struct Edges {
    pairs: Vec<Pair>,
    /// One entry per open edge: the triangle that has it.
    open_edge_triangles: Vec<u32>,
    non_manifold: usize,
    inconsistent: usize,
}

/// Outgoing half-edges per vertex: `targets[offsets[v]..offsets[v + 1]]`.
struct HalfEdges {
    offsets: Vec<u32>,
    /// (target vertex, triangle)
    entries: Vec<(u32, u32)>,
}

impl HalfEdges {
    fn build(mesh: &Mesh) -> HalfEdges {
        let n = mesh.positions.len();
        let mut offsets = vec![0u32; n + 1];
        for t in &mesh.triangles {
            for &v in t {
                offsets[v as usize + 1] += 1;
            }
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut cursor: Vec<u32> = offsets[..n].to_vec();
        let mut entries = vec![(0u32, 0u32); mesh.triangles.len() * 3];
        for (f, t) in mesh.triangles.iter().enumerate() {
            for k in 0..3 {
                let (from, to) = (t[k] as usize, t[(k + 1) % 3]);
                entries[cursor[from] as usize] = (to, f as u32);
                cursor[from] += 1;
            }
        }
        HalfEdges { offsets, entries }
    }

    #[inline]
    fn out(&self, v: u32) -> &[(u32, u32)] {
        &self.entries[self.offsets[v as usize] as usize..self.offsets[v as usize + 1] as usize]
    }
}

#[derive(Default)]
struct EdgeChunk {
    pairs: Vec<Pair>,
    open: Vec<u32>,
    non_manifold: usize,
    inconsistent: usize,
}

fn classify_edges(mesh: &Mesh) -> Edges {
    let half = HalfEdges::build(mesh);
    let vertex_count = mesh.positions.len() as u32;
    let chunk = 4096u32;
    let chunks: Vec<EdgeChunk> = (0..vertex_count.div_ceil(chunk))
        .into_par_iter()
        .map(|c| {
            let mut out = EdgeChunk::default();
            for v in c * chunk..((c + 1) * chunk).min(vertex_count) {
                let list = half.out(v);
                for (j, &(w, _)) in list.iter().enumerate() {
                    // Each target once per vertex.
                    if list[..j].iter().any(|&(x, _)| x == w) {
                        continue;
                    }
                    let forward = Incident::gather(&list[j..], w);
                    let backward = Incident::gather(half.out(w), v);
                    // The edge {v, w} belongs to the smaller vertex that has a half-edge
                    // on it, so it is classified exactly once.
                    if w < v && backward.count > 0 {
                        continue;
                    }
                    classify_one(&forward, &backward, &half, v, w, &mut out);
                }
            }
            out
        })
        .collect();
    let mut edges = Edges {
        pairs: Vec::with_capacity(chunks.iter().map(|c| c.pairs.len()).sum()),
        open_edge_triangles: Vec::new(),
        non_manifold: 0,
        inconsistent: 0,
    };
    for c in chunks {
        edges.pairs.extend(c.pairs);
        edges.open_edge_triangles.extend(c.open);
        edges.non_manifold += c.non_manifold;
        edges.inconsistent += c.inconsistent;
    }
    edges
}

/// The triangles running along one directed edge: how many, and the first two. Almost
/// every edge has one each way, so nothing is allocated on the common path.
struct Incident {
    count: usize,
    first: [u32; 2],
}

impl Incident {
    #[inline]
    fn gather(list: &[(u32, u32)], target: u32) -> Incident {
        let mut inc = Incident {
            count: 0,
            first: [0; 2],
        };
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

fn classify_one(
    forward: &Incident,
    backward: &Incident,
    half: &HalfEdges,
    v: u32,
    w: u32,
    out: &mut EdgeChunk,
) {
    let pair = |a, b, same| Pair {
        a,
        b,
        same_direction: Some(same),
    };
    match (forward.count, backward.count) {
        (1, 0) => out.open.push(forward.first[0]),
        (0, 1) => out.open.push(backward.first[0]),
        (1, 1) => out
            .pairs
            .push(pair(forward.first[0], backward.first[0], false)),
        (2, 0) => {
            out.inconsistent += 1;
            out.pairs
                .push(pair(forward.first[0], forward.first[1], true));
        }
        (0, 2) => {
            out.inconsistent += 1;
            out.pairs
                .push(pair(backward.first[0], backward.first[1], true));
        }
        _ => {
            // Three or more triangles: join them all into one shell, without orientation.
            out.non_manifold += 1;
            let all = half
                .out(v)
                .iter()
                .filter(|e| e.0 == w)
                .chain(half.out(w).iter().filter(|e| e.0 == v))
                .map(|e| e.1);
            let mut first = None;
            for f in all {
                match first {
                    None => first = Some(f),
                    Some(a) => out.pairs.push(Pair {
                        a,
                        b: f,
                        same_direction: None,
                    }),
                }
            }
        }
    }
}

/// Union-find over triangles; returns the shell of each triangle (numbered by first
/// triangle) and the shell count.
fn shells_from_pairs(triangles: usize, pairs: &[Pair]) -> (Vec<u32>, usize) {
    let mut parent: Vec<u32> = (0..triangles as u32).collect();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let grand = parent[parent[x as usize] as usize];
            parent[x as usize] = grand;
            x = grand;
        }
        x
    }
    for p in pairs {
        let (ra, rb) = (find(&mut parent, p.a), find(&mut parent, p.b));
        if ra != rb {
            // Keep the smaller index as root so numbering is deterministic.
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            parent[hi as usize] = lo;
        }
    }
    let mut shell_of = vec![u32::MAX; triangles];
    let mut count = 0u32;
    for t in 0..triangles as u32 {
        let root = find(&mut parent, t);
        if shell_of[root as usize] == u32::MAX {
            shell_of[root as usize] = count;
            count += 1;
        }
        shell_of[t as usize] = shell_of[root as usize];
    }
    (shell_of, count as usize)
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

#[derive(Clone)]
struct ShellAcc {
    triangles: usize,
    volume6: f64,
    area2: f64,
    moment24: [f64; 3],
    lo: [f64; 3],
    hi: [f64; 3],
}

impl ShellAcc {
    fn empty() -> ShellAcc {
        ShellAcc {
            triangles: 0,
            volume6: 0.0,
            area2: 0.0,
            moment24: [0.0; 3],
            lo: [f64::INFINITY; 3],
            hi: [f64::NEG_INFINITY; 3],
        }
    }

    fn merge(&mut self, o: &ShellAcc) {
        self.triangles += o.triangles;
        self.volume6 += o.volume6;
        self.area2 += o.area2;
        for k in 0..3 {
            self.moment24[k] += o.moment24[k];
            self.lo[k] = self.lo[k].min(o.lo[k]);
            self.hi[k] = self.hi[k].max(o.hi[k]);
        }
    }
}

/// Volume, area, moment and bounds per shell, summed in f64 relative to the mesh's
/// bounding-box centre (which keeps the tetrahedra small and the sum well conditioned
/// for parts far from the origin). Chunks are summed in a fixed order, so the result is
/// the same on every run and core count.
fn shell_stats(mesh: &Mesh, shell_of: &[u32], shell_count: usize) -> Vec<Shell> {
    let Some((lo, hi)) = mesh.bounds() else {
        return Vec::new();
    };
    let o = [0, 1, 2].map(|k| 0.5 * (lo[k] + hi[k]));
    // Each parallel chunk keeps one accumulator per shell; with many shells (a triangle
    // soup has one per triangle) that would multiply memory, so such meshes sum in one
    // sequential chunk instead.
    let chunks = if shell_count <= 4096 { 16 } else { 1 };
    let chunk = mesh.triangles.len().div_ceil(chunks).max(4096);
    let partials: Vec<Vec<ShellAcc>> = mesh
        .triangles
        .par_chunks(chunk)
        .enumerate()
        .map(|(c, tris)| {
            let mut acc = vec![ShellAcc::empty(); shell_count];
            for (i, t) in tris.iter().enumerate() {
                let s = &mut acc[shell_of[c * chunk + i] as usize];
                let [a, b, cc] = t.map(|v| {
                    let p = mesh.positions[v as usize];
                    [p[0] as f64 - o[0], p[1] as f64 - o[1], p[2] as f64 - o[2]]
                });
                let cr = cross3(b, cc);
                let v6 = a[0] * cr[0] + a[1] * cr[1] + a[2] * cr[2];
                let n = cross3(
                    [b[0] - a[0], b[1] - a[1], b[2] - a[2]],
                    [cc[0] - a[0], cc[1] - a[1], cc[2] - a[2]],
                );
                s.triangles += 1;
                s.volume6 += v6;
                s.area2 += (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
                for k in 0..3 {
                    // Tetrahedron (o, a, b, c): centroid (a+b+c)/4 relative to o, weight v6.
                    s.moment24[k] += v6 * (a[k] + b[k] + cc[k]);
                }
            }
            acc
        })
        .collect();
    let mut total = vec![ShellAcc::empty(); shell_count];
    for part in &partials {
        for (t, p) in total.iter_mut().zip(part) {
            t.merge(p);
        }
    }
    // Bounds per shell from its vertices (each vertex once, not once per corner).
    let mut shell_of_vertex = vec![u32::MAX; mesh.positions.len()];
    for (t, &s) in mesh.triangles.iter().zip(shell_of) {
        for &v in t {
            shell_of_vertex[v as usize] = s;
        }
    }
    for (p, &s) in mesh.positions.iter().zip(&shell_of_vertex) {
        if let Some(acc) = total.get_mut(s as usize) {
            for (k, &c) in p.iter().enumerate() {
                acc.lo[k] = acc.lo[k].min(c as f64);
                acc.hi[k] = acc.hi[k].max(c as f64);
            }
        }
    }
    total
        .into_iter()
        .map(|s| {
            let volume = s.volume6 / 6.0;
            Shell {
                triangles: s.triangles,
                signed_volume: volume,
                area: s.area2 / 2.0,
                // Σ v6·(a+b+c)/24 relative to o, converted back to absolute coordinates.
                moment: [0, 1, 2].map(|k| s.moment24[k] / 24.0 + volume * o[k]),
                bounds: (s.lo, s.hi),
                open_edges: 0,
            }
        })
        .collect()
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
