//! Welding: turning a triangle soup into an indexed mesh.
//!
//! STL stores every triangle with its own three corners, so a closed mesh repeats each
//! vertex about six times. Topology (edges, shells, watertightness) needs shared vertex
//! indices, so corners with bit-identical coordinates are merged here.
//!
//! Why exact equality and not a tolerance: exporters write shared vertices with the same
//! bits, and a tolerance would silently glue features that are meant to be apart (thin
//! walls, engraved text). PrusaSlicer's `its_merge_vertices` makes the same choice. The one
//! exception is round-off around zero, see [`ZERO_SNAP`].
//!
//! How it stays fast on two cores: the corners are cut into file-order chunks, and each
//! chunk first deduplicates its own corners in a small hash map that stays in cache
//! while the file is read as a stream (neighbouring triangles share most vertices). Only
//! the chunk-unique keys, about a fifth of the corners, are then merged globally, spread
//! over [`SHARDS`] shards by hash so that the merge runs in parallel without locks.
//! Vertex ids come out ordered by first use, so triangles that are near in the file refer
//! to vertices that are near in memory. (A first version sharded all corners by hash
//! directly; reading corners back in shard order was a cache miss per corner and took
//! 3× longer on the 1M-triangle bench.)

use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// Shards the global merge is spread over; a power of two well above the core count so
/// that rayon can balance them.
const SHARDS: usize = 64;
/// Corners per chunk: large enough that few vertices straddle chunks, small enough that
/// a chunk's map stays in L2 cache.
const CHUNK: usize = 1 << 16;

/// Coordinates smaller than this are exporter round-off of zero.
///
/// CAD exporters write `2.7e-16` on one triangle and `0` on its neighbour for the same
/// vertex (four corpus files, e.g. featuretype.STL: 576 false open edges). No real
/// coordinate is this small in any drawing unit (1e-12 m is a picometre), so these
/// values are welded as zero. This is the only tolerance the welder applies.
pub const ZERO_SNAP: f32 = 1e-12;

/// The bits that decide whether two corners are the same vertex. `-0.0`, `0.0` and
/// round-off below [`ZERO_SNAP`] are the same point, so all map to zero.
#[inline]
fn key(p: [f32; 3]) -> [u32; 3] {
    p.map(|c| if c.abs() < ZERO_SNAP { 0 } else { c.to_bits() })
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

/// One chunk's distinct keys, in first-use order.
struct ChunkKeys {
    keys: Vec<[u32; 3]>,
    positions: Vec<[f32; 3]>,
}

/// Merges bit-identical corners. `corner(i)` returns the position of corner `i` for
/// `i < corner_count`; it is called once per corner, in order within each chunk.
///
/// Fails on the first corner (lowest index) that has a NaN or infinite coordinate.
pub fn weld<F>(corner_count: usize, corner: F) -> Result<Welded, NonFiniteCorner>
where
    F: Fn(usize) -> [f32; 3] + Sync,
{
    // Pass 1 (parallel over chunks): local ids per corner, and each chunk's distinct keys.
    let mut corner_vertex = vec![0u32; corner_count];
    let chunks: Vec<Result<ChunkKeys, NonFiniteCorner>> = corner_vertex
        .par_chunks_mut(CHUNK)
        .enumerate()
        .map(|(c, local_ids)| {
            let start = c * CHUNK;
            let mut map: FxHashMap<[u32; 3], u32> = FxHashMap::default();
            map.reserve(local_ids.len() / 4);
            let mut out = ChunkKeys {
                keys: Vec::with_capacity(local_ids.len() / 4),
                positions: Vec::with_capacity(local_ids.len() / 4),
            };
            for (offset, slot) in local_ids.iter_mut().enumerate() {
                let p = corner(start + offset);
                if !p.iter().all(|v| v.is_finite()) {
                    return Err(NonFiniteCorner(start + offset));
                }
                let k = key(p);
                let next = out.keys.len() as u32;
                let id = *map.entry(k).or_insert(next);
                if id == next {
                    out.keys.push(k);
                    out.positions.push(p);
                }
                *slot = id;
            }
            Ok(out)
        })
        .collect();
    let mut per_chunk = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        per_chunk.push(chunk?);
    }

    // Pass 2 (parallel over shards): for every chunk-unique key, the first (chunk, local
    // id) that holds it: its "leader". Shards see entries in chunk order, so the first
    // entry of a key is its first use in the file.
    let mut by_shard: Vec<Vec<(u32, u32)>> = vec![Vec::new(); SHARDS];
    for (c, chunk) in per_chunk.iter().enumerate() {
        for (local, k) in chunk.keys.iter().enumerate() {
            by_shard[shard_of(*k)].push((c as u32, local as u32));
        }
    }
    let leaders: Vec<Vec<(u32, u32, u32, u32)>> = by_shard
        .par_iter()
        .map(|entries| {
            let mut first: FxHashMap<[u32; 3], (u32, u32)> = FxHashMap::default();
            first.reserve(entries.len());
            entries
                .iter()
                .map(|&(c, local)| {
                    let k = per_chunk[c as usize].keys[local as usize];
                    let (lc, ll) = *first.entry(k).or_insert((c, local));
                    (c, local, lc, ll)
                })
                .collect()
        })
        .collect();
    drop(by_shard);

    // Pass 3: global ids in first-use order. `global[c][local]` is the id of a chunk key.
    let mut leader_of: Vec<Vec<(u32, u32)>> = per_chunk
        .iter()
        .map(|chunk| vec![(0, 0); chunk.keys.len()])
        .collect();
    for shard in &leaders {
        for &(c, local, lc, ll) in shard {
            leader_of[c as usize][local as usize] = (lc, ll);
        }
    }
    drop(leaders);
    let mut positions = Vec::new();
    let mut global: Vec<Vec<u32>> = Vec::with_capacity(per_chunk.len());
    for (c, chunk) in per_chunk.iter().enumerate() {
        let mut ids = Vec::with_capacity(chunk.keys.len());
        for (local, &(lc, ll)) in leader_of[c].iter().enumerate() {
            if (lc as usize, ll as usize) == (c, local) {
                ids.push(positions.len() as u32);
                positions.push(chunk.positions[local]);
            } else {
                // The leader is in an earlier chunk, which already has its ids.
                ids.push(global[lc as usize][ll as usize]);
            }
        }
        global.push(ids);
    }
    drop(leader_of);
    drop(per_chunk);

    // Pass 4 (parallel over chunks): local ids become global ids.
    corner_vertex
        .par_chunks_mut(CHUNK)
        .zip(global.par_iter())
        .for_each(|(ids, map)| {
            for id in ids {
                *id = map[*id as usize];
            }
        });
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
