//! Welding: turning a triangle soup into an indexed mesh.
//!
//! STL stores every triangle with its own three corners, so a closed mesh repeats each
//! vertex about six times. Topology (edges, shells, watertightness) needs shared vertex
//! indices, so corners with bit-identical coordinates are merged here.
//!
//! Why exact equality and not a tolerance: exporters write shared vertices with the same
//! bits, and a tolerance would silently glue features that are meant to be apart (thin
//! walls, engraved text). PrusaSlicer's `its_merge_vertices` makes the same choice.
//!
//! How it stays fast on two cores: corners are hashed and spread over [`SHARDS`] shards
//! by the top bits of the hash; each shard then deduplicates its own corners in its own
//! hash map, in parallel, with no locking. Vertex ids come out ordered by first use, so
//! triangles that are near in the file refer to vertices that are near in memory.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// Shards that corners are spread over; a power of two well above the core count so
/// that rayon can balance them.
const SHARDS: usize = 64;
/// Corners handled per parallel task in the hashing pass.
const CHUNK: usize = 1 << 16;

/// The bits that decide whether two corners are the same vertex. `-0.0` and `0.0` are
/// the same point, so both map to zero.
#[inline]
fn key(p: [f32; 3]) -> [u32; 3] {
    p.map(|c| if c == 0.0 { 0 } else { c.to_bits() })
}

#[inline]
fn shard_of(k: [u32; 3]) -> usize {
    // A cheap multiplicative mix; the map inside each shard hashes again with FxHash.
    let h = (k[0] as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (k[1] as u64)
            .wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
            .rotate_left(21)
        ^ (k[2] as u64)
            .wrapping_mul(0x1656_67B1_9E37_79F9)
            .rotate_left(42);
    (h.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 58) as usize % SHARDS
}

/// Where the first non-finite coordinate was found (corner index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonFiniteCorner(pub usize);

/// The result of welding: unique positions and, for every corner, its vertex index.
pub struct Welded {
    /// Unique positions, ordered by first use.
    pub positions: Vec<[f32; 3]>,
    /// `corner_count` entries; entry `i` is the vertex of corner `i`.
    pub corner_vertex: Vec<u32>,
}

/// Merges bit-identical corners. `corner(i)` returns the position of corner `i` for
/// `i < corner_count`; it is called more than once per corner, so it must be cheap.
///
/// Fails on the first corner (lowest index) that has a NaN or infinite coordinate.
pub fn weld<F>(corner_count: usize, corner: F) -> Result<Welded, NonFiniteCorner>
where
    F: Fn(usize) -> [f32; 3] + Sync,
{
    // Pass 1 (parallel): validate and sort corner indices into shards, chunk by chunk.
    let chunks: Vec<Result<Vec<Vec<u32>>, NonFiniteCorner>> = (0..corner_count.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let start = c * CHUNK;
            let end = (start + CHUNK).min(corner_count);
            let mut lists: Vec<Vec<u32>> = (0..SHARDS)
                .map(|_| Vec::with_capacity((end - start) / SHARDS + 16))
                .collect();
            for i in start..end {
                let p = corner(i);
                if !p.iter().all(|v| v.is_finite()) {
                    return Err(NonFiniteCorner(i));
                }
                lists[shard_of(key(p))].push(i as u32);
            }
            Ok(lists)
        })
        .collect();
    let mut per_chunk = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        per_chunk.push(chunk?);
    }

    // Pass 2 (parallel over shards): each shard finds its unique keys and, for each, the
    // first corner that uses it. A corner's "leader" is that first corner.
    let leaders: Vec<Vec<(u32, u32)>> = (0..SHARDS)
        .into_par_iter()
        .map(|s| {
            let total: usize = per_chunk.iter().map(|l| l[s].len()).sum();
            let mut first: FxHashMap<[u32; 3], u32> = FxHashMap::default();
            first.reserve(total / 4 + 16);
            let mut out = Vec::with_capacity(total);
            for lists in &per_chunk {
                for &i in &lists[s] {
                    let leader = *first.entry(key(corner(i as usize))).or_insert(i);
                    out.push((i, leader));
                }
            }
            out
        })
        .collect();
    drop(per_chunk);

    // Pass 3: number vertices in order of their leader corner, so ids follow file order.
    // `corner_vertex[i]` first holds the leader corner, then is rewritten to the id.
    let mut corner_vertex = vec![0u32; corner_count];
    for shard in &leaders {
        for &(i, leader) in shard {
            corner_vertex[i as usize] = leader;
        }
    }
    drop(leaders);
    let mut positions = Vec::new();
    // A corner is a leader exactly when it points at itself; walking corners in order
    // visits leaders in file order, and every follower comes after its leader.
    for i in 0..corner_count {
        let leader = corner_vertex[i] as usize;
        if leader == i {
            corner_vertex[i] = positions.len() as u32;
            positions.push(corner(i));
        } else {
            // The leader was visited earlier and already holds its final id.
            corner_vertex[i] = corner_vertex[leader];
        }
    }
    Ok(Welded {
        positions,
        corner_vertex,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_identical_corners_and_keeps_first_use_order() {
        let corners = [
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [1.0, 0.0, 0.0],
            [-0.0, 0.0, 0.0],
            [2.0, 2.0, 2.0],
        ];
        let w = weld(corners.len(), |i| corners[i]).expect("finite");
        assert_eq!(w.positions.len(), 4);
        assert_eq!(w.corner_vertex, vec![0, 1, 2, 1, 0, 3]);
        assert_eq!(w.positions[3], [2.0, 2.0, 2.0]);
    }

    #[test]
    fn reports_the_first_non_finite_corner() {
        let corners = [
            [0.0, 0.0, 0.0],
            [f32::NAN, 0.0, 0.0],
            [f32::INFINITY, 0.0, 0.0],
        ];
        assert_eq!(
            weld(corners.len(), |i| corners[i]).err(),
            Some(NonFiniteCorner(1))
        );
    }

    #[test]
    fn many_corners_across_chunks_weld_consistently() {
        // A grid of points, each repeated three times far apart in the corner order.
        let n = 50_000usize;
        let point = |i: usize| {
            let j = i % n;
            [(j % 100) as f32, (j / 100) as f32, 0.5]
        };
        let w = weld(3 * n, point).expect("finite");
        assert_eq!(w.positions.len(), n);
        for i in 0..3 * n {
            assert_eq!(w.positions[w.corner_vertex[i] as usize], point(i));
        }
    }
}
