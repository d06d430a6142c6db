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
//! How it stays fast on two cores (`cargo bench --bench parse`, figures in
//! `docs/benchmarks.md`):
//! 1. **Chunk pass.** The triangles are cut into file-order chunks. Each chunk dedupes
//!    its own corners in a small open-addressing [`Interner`] that stays in L2 cache while
//!    the file streams past (neighbouring triangles share most vertices). Only the
//!    chunk-unique keys, about a sixth of the corners, go on.
//! 2. **Shard pass.** Those keys are merged globally over [`SHARDS`] shards by hash, in
//!    parallel and without locks. Each shard sees its keys in chunk order, so the first
//!    holder of a key (its *leader*) is its first use in the file.
//! 3. **Numbering.** Vertex ids are given to leaders in file order (a prefix sum over the
//!    chunks), so triangles that are near in the file refer to vertices that are near in
//!    memory, which every later pass relies on for cache locality. The result does not
//!    depend on the thread count.
//!
//! (A first version sharded all corners by hash directly; reading corners back in shard
//! order was a cache miss per corner and took 3× longer. A second used `FxHashMap` for
//! both passes; the open-addressing table with the position stored in the key halved the
//! chunk pass.)

use rayon::prelude::*;

use crate::cancel::Cancel;

/// Shards the global merge is spread over; a power of two well above the core count so
/// that rayon can balance them.
const SHARDS: usize = 64;
/// Triangles per chunk: large enough that few vertices straddle chunks, small enough that
/// a chunk's table (about 2 × 4k keys × 16 bytes) stays in L2 cache.
const CHUNK_TRIANGLES: usize = 1 << 13;

/// Coordinates smaller than this are exporter round-off of zero.
///
/// CAD exporters write `2.7e-16` on one triangle and `0` on its neighbour for the same
/// vertex (four corpus files, e.g. featuretype.STL: 576 false open edges). No real
/// coordinate is this small in any drawing unit (1e-12 m is a picometre), so these
/// values are welded as zero, and the welded vertex is exactly zero. This is the only
/// tolerance the welder applies.
pub const ZERO_SNAP: f32 = 1e-12;

/// The most triangles the welder can index: vertex and corner ids are `u32`.
pub const MAX_TRIANGLES: u64 = (u32::MAX / 3 - 1) as u64;

/// The bits that decide whether two corners are the same vertex. `-0.0`, `0.0` and
/// round-off below [`ZERO_SNAP`] are the same point, so all map to zero. The key is also
/// the welded position (`f32::from_bits`), so nothing else is stored per vertex.
#[inline(always)]
fn key(p: [f32; 3]) -> [u32; 3] {
    const SNAP_BITS: u32 = ZERO_SNAP.to_bits();
    p.map(|c| {
        let bits = c.to_bits();
        // Branch-free: magnitudes below the snap (both signs) become +0.
        if bits & 0x7fff_ffff < SNAP_BITS {
            0
        } else {
            bits
        }
    })
}

#[inline(always)]
fn hash(k: [u32; 3]) -> u64 {
    // Multiplicative mixing; the table takes the top bits, which depend on every input
    // bit. Coordinates of neighbouring vertices differ in their low mantissa bits.
    let h = (k[0] as u64 | ((k[1] as u64) << 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (k[2] as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    h ^ (h >> 29).wrapping_mul(0x1656_67B1_9E37_79F9)
}

/// The shard takes the low bits of the hash: tables index by the high bits, and a shard
/// whose keys all shared their high bits would crowd into a sliver of its table.
#[inline(always)]
fn shard_of(h: u64) -> usize {
    h as usize % SHARDS
}

/// What can stop a weld.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeldError {
    /// Corner `corner` has a NaN or infinite coordinate (the first such corner).
    NonFinite {
        /// Corner index (triangle × 3 + k).
        corner: usize,
    },
    /// More than [`MAX_TRIANGLES`] triangles.
    TooManyTriangles,
    /// The caller cancelled.
    Cancelled,
}

/// Interns position keys: every distinct key gets the next id (0, 1, 2, ...) in
/// first-seen order, and the keys are kept in that order.
///
/// Open addressing with linear probing over 8-byte slots (epoch, id). A slot counts as
/// empty unless its epoch is the current one, so [`Interner::reset`] is O(1) and one
/// table serves chunk after chunk without clearing (clearing 16-byte slots per chunk
/// was 64 MB of writes on the 1M-triangle bench). Keys are compared through `keys`,
/// whose recent entries are hot in cache because neighbouring triangles share vertices.
struct Interner {
    slots: Vec<[u32; 2]>,
    keys: Vec<[u32; 3]>,
    epoch: u32,
    shift: u32,
}

impl Interner {
    fn new() -> Interner {
        Interner {
            slots: Vec::new(),
            keys: Vec::new(),
            epoch: 0,
            shift: 0,
        }
    }

    /// Forgets all keys. `expected` sizes the table; it grows if more come.
    fn reset(&mut self, expected: usize) {
        // At most half full, so probes stay short.
        let size = (2 * expected).next_power_of_two().max(64);
        if self.slots.len() < size || self.epoch == u32::MAX {
            self.slots = vec![[0, 0]; size.max(self.slots.len())];
            self.epoch = 0;
            self.shift = 64 - self.slots.len().trailing_zeros();
        }
        // Slots start at epoch 0, so the first epoch in use is 1.
        self.epoch += 1;
        self.keys.clear();
    }

    /// The id of `k` (whose hash is `h`), and whether it was new.
    #[inline(always)]
    fn intern(&mut self, k: [u32; 3], h: u64) -> (u32, bool) {
        if 2 * (self.keys.len() + 1) > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = (h >> self.shift) as usize;
        loop {
            let [epoch, id] = self.slots[i];
            if epoch != self.epoch {
                let id = self.keys.len() as u32;
                self.slots[i] = [self.epoch, id];
                self.keys.push(k);
                return (id, true);
            }
            if self.keys[id as usize] == k {
                return (id, false);
            }
            i = (i + 1) & mask;
        }
    }

    #[cold]
    fn grow(&mut self) {
        let size = (2 * self.slots.len()).max(64);
        self.slots = vec![[0, 0]; size];
        self.shift = 64 - size.trailing_zeros();
        self.epoch = 1;
        let mask = size - 1;
        for (id, &k) in self.keys.iter().enumerate() {
            let mut i = (hash(k) >> self.shift) as usize;
            while self.slots[i][0] == self.epoch {
                i = (i + 1) & mask;
            }
            self.slots[i] = [self.epoch, id as u32];
        }
    }
}

/// The result of welding.
pub struct Welded {
    /// Unique positions, ordered by first use.
    pub positions: Vec<[f32; 3]>,
    /// The triangles as indices into `positions`, in input order.
    pub triangles: Vec<[u32; 3]>,
}

/// One chunk's distinct keys.
struct ChunkKeys {
    /// Distinct keys in first-use order; a key's index here is its *local id*.
    keys: Vec<[u32; 3]>,
    /// The keys again with their local ids, grouped by shard: shard `s` holds
    /// `by_shard[shard_start[s]..shard_start[s + 1]]`. The shard pass reads these runs
    /// front to back instead of gathering keys from all over `keys`.
    by_shard: Vec<([u32; 3], u32)>,
    shard_start: [u32; SHARDS + 1],
}

impl ChunkKeys {
    fn shard(&self, s: usize) -> &[([u32; 3], u32)] {
        &self.by_shard[self.shard_start[s] as usize..self.shard_start[s + 1] as usize]
    }
}

/// Merges bit-identical corners of `triangle_count` triangles. `triangle(t)` returns the
/// three corners of triangle `t`; it is called once per triangle, in order within each
/// chunk of triangles.
///
/// Fails on the first corner (lowest index) with a NaN or infinite coordinate.
pub fn weld<F>(triangle_count: usize, triangle: F) -> Result<Welded, WeldError>
where
    F: Fn(usize) -> [[f32; 3]; 3] + Sync,
{
    weld_with(triangle_count, triangle, &Cancel::never())
}

/// [`weld`], polling `cancel` per chunk of triangles.
pub fn weld_with<F>(
    triangle_count: usize,
    triangle: F,
    cancel: &Cancel,
) -> Result<Welded, WeldError>
where
    F: Fn(usize) -> [[f32; 3]; 3] + Sync,
{
    if triangle_count as u64 > MAX_TRIANGLES {
        return Err(WeldError::TooManyTriangles);
    }
    // The output triangles first hold each corner's local id within its chunk.
    let mut triangles = vec![[0u32; 3]; triangle_count];
    let chunks = chunk_pass(&mut triangles, &triangle, cancel)?;
    if cancel.is_cancelled() {
        return Err(WeldError::Cancelled);
    }
    let key_offset = key_offsets(&chunks);
    let leaders = shard_pass(&chunks, &key_offset);
    if cancel.is_cancelled() {
        return Err(WeldError::Cancelled);
    }
    let (positions, chunk_vertex) = number_vertices(&chunks, &key_offset, &leaders);
    if cancel.is_cancelled() {
        return Err(WeldError::Cancelled);
    }
    drop(leaders);
    // Local ids become vertex ids.
    triangles
        .par_chunks_mut(CHUNK_TRIANGLES)
        .zip(chunk_vertex.par_iter())
        .for_each(|(tris, ids)| {
            for id in tris.as_flattened_mut() {
                *id = ids[*id as usize];
            }
        });
    Ok(Welded {
        positions,
        triangles,
    })
}

/// Pass 1 (parallel over chunks): each corner's local id, and each chunk's distinct keys.
fn chunk_pass<F>(
    triangles: &mut [[u32; 3]],
    triangle: &F,
    cancel: &Cancel,
) -> Result<Vec<ChunkKeys>, WeldError>
where
    F: Fn(usize) -> [[f32; 3]; 3] + Sync,
{
    let results: Vec<Result<ChunkKeys, WeldError>> = triangles
        .par_chunks_mut(CHUNK_TRIANGLES)
        .enumerate()
        .map_init(Interner::new, |table, (c, tris)| {
            if cancel.is_cancelled() {
                return Err(WeldError::Cancelled);
            }
            // A typical chunk has one distinct key per two triangles.
            table.reset(CHUNK_TRIANGLES / 2);
            let first = c * CHUNK_TRIANGLES;
            for (offset, ids) in tris.iter_mut().enumerate() {
                let corners = triangle(first + offset);
                if !corners.as_flattened().iter().all(|v| v.is_finite()) {
                    let k = corners
                        .iter()
                        .position(|p| !p.iter().all(|v| v.is_finite()));
                    return Err(WeldError::NonFinite {
                        corner: 3 * (first + offset) + k.unwrap_or(0),
                    });
                }
                for (slot, p) in ids.iter_mut().zip(corners) {
                    let k = key(p);
                    *slot = table.intern(k, hash(k)).0;
                }
            }
            let keys = table.keys.clone();
            // Group the local ids by shard (a counting sort), for the shard pass. Done
            // here on the distinct keys, not per corner in the loop above.
            let shards: Vec<u8> = keys.iter().map(|&k| shard_of(hash(k)) as u8).collect();
            let mut shard_count = [0u32; SHARDS];
            for &s in &shards {
                shard_count[s as usize] += 1;
            }
            let mut shard_start = [0u32; SHARDS + 1];
            for s in 0..SHARDS {
                shard_start[s + 1] = shard_start[s] + shard_count[s];
            }
            let mut cursor = shard_start;
            let mut by_shard = vec![([0u32; 3], 0u32); keys.len()];
            for (local, (&k, &s)) in keys.iter().zip(&shards).enumerate() {
                let s = s as usize;
                by_shard[cursor[s] as usize] = (k, local as u32);
                cursor[s] += 1;
            }
            Ok(ChunkKeys {
                keys,
                by_shard,
                shard_start,
            })
        })
        .collect();
    // The lowest chunk's error is the first bad corner in the file.
    results.into_iter().collect()
}

/// Pass 2 (parallel over shards): the leader of every chunk key, as a global key index
/// (`chunk key offset + local id`). Output `leaders[s]` follows the shard's iteration
/// order: chunk by chunk, and within a chunk in `ChunkKeys::shard(s)` order.
fn shard_pass(chunks: &[ChunkKeys], key_offset: &[u32]) -> Vec<Vec<u32>> {
    (0..SHARDS)
        .into_par_iter()
        .map_init(
            || (Interner::new(), Vec::new()),
            |(table, first_holder), s| {
                let entries: usize = chunks.iter().map(|c| c.shard(s).len()).sum();
                table.reset(entries);
                first_holder.clear();
                let mut leaders = Vec::with_capacity(entries);
                for (c, chunk) in chunks.iter().enumerate() {
                    for &(k, local) in chunk.shard(s) {
                        let (id, new) = table.intern(k, hash(k));
                        if new {
                            first_holder.push(key_offset[c] + local);
                        }
                        leaders.push(first_holder[id as usize]);
                    }
                }
                leaders
            },
        )
        .collect()
}

/// Where each chunk's keys start in the global key order.
fn key_offsets(chunks: &[ChunkKeys]) -> Vec<u32> {
    let mut offsets = Vec::with_capacity(chunks.len());
    let mut total = 0u32;
    for c in chunks {
        offsets.push(total);
        total += c.keys.len() as u32;
    }
    offsets
}

/// Pass 3: vertex ids for every chunk key, in first-use order, and the positions.
/// Returns the positions and, per chunk, the vertex id of each local id.
fn number_vertices(
    chunks: &[ChunkKeys],
    key_offset: &[u32],
    leaders: &[Vec<u32>],
) -> (Vec<[f32; 3]>, Vec<Vec<u32>>) {
    // Where chunk `c`'s entries start in shard `s`'s leader list.
    let mut shard_cursor = vec![[0u32; SHARDS]; chunks.len()];
    let mut running = [0u32; SHARDS];
    for (c, chunk) in chunks.iter().enumerate() {
        shard_cursor[c] = running;
        for (s, r) in running.iter_mut().enumerate() {
            *r += chunk.shard(s).len() as u32;
        }
    }
    // Each chunk's leader per local id, and how many of its keys lead.
    let leader_of: Vec<(Vec<u32>, u32)> = chunks
        .par_iter()
        .enumerate()
        .map(|(c, chunk)| {
            let mut leader = vec![0u32; chunk.keys.len()];
            for (s, shard_leaders) in leaders.iter().enumerate() {
                let start = shard_cursor[c][s] as usize;
                let locals = chunk.shard(s);
                for (&(_, local), &l) in locals
                    .iter()
                    .zip(&shard_leaders[start..start + locals.len()])
                {
                    leader[local as usize] = l;
                }
            }
            let own = key_offset[c];
            let leads = leader
                .iter()
                .enumerate()
                .filter(|&(local, &l)| l == own + local as u32)
                .count() as u32;
            (leader, leads)
        })
        .collect();
    // Vertex ids are handed out chunk by chunk, so a prefix sum places each chunk.
    let total: usize = leader_of.iter().map(|(_, n)| *n as usize).sum();
    let mut positions = vec![[0f32; 3]; total];
    let mut slices = Vec::with_capacity(chunks.len());
    let mut rest = positions.as_mut_slice();
    let mut first_vertex = Vec::with_capacity(chunks.len());
    let mut next = 0u32;
    for (_, leads) in &leader_of {
        let (mine, tail) = rest.split_at_mut(*leads as usize);
        slices.push(mine);
        rest = tail;
        first_vertex.push(next);
        next += leads;
    }
    let mut chunk_vertex: Vec<Vec<u32>> = chunks
        .par_iter()
        .zip(slices)
        .enumerate()
        .map(|(c, (chunk, out))| {
            let own = key_offset[c];
            let mut ids = vec![u32::MAX; chunk.keys.len()];
            let mut v = first_vertex[c];
            let mut out = out.iter_mut();
            for (local, (&k, &l)) in chunk.keys.iter().zip(&leader_of[c].0).enumerate() {
                if l == own + local as u32 {
                    ids[local] = v;
                    if let Some(p) = out.next() {
                        *p = k.map(f32::from_bits);
                    }
                    v += 1;
                }
            }
            ids
        })
        .collect();
    // Keys led from an earlier chunk take their leader's id (few: vertices shared
    // across chunk boundaries).
    let fixes: Vec<Vec<(usize, u32)>> = leader_of
        .par_iter()
        .enumerate()
        .map(|(c, (leader, _))| {
            let own = key_offset[c];
            leader
                .iter()
                .enumerate()
                .filter(|&(local, &l)| l != own + local as u32)
                .map(|(local, &l)| {
                    // The leader's chunk: the last chunk starting at or before it.
                    let lc = key_offset.partition_point(|&o| o <= l) - 1;
                    (local, chunk_vertex[lc][(l - key_offset[lc]) as usize])
                })
                .collect()
        })
        .collect();
    for (ids, fix) in chunk_vertex.iter_mut().zip(fixes) {
        for (local, v) in fix {
            ids[local] = v;
        }
    }
    (positions, chunk_vertex)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn soup(corners: &[[f32; 3]]) -> Result<Welded, WeldError> {
        weld(corners.len() / 3, |t| {
            [corners[3 * t], corners[3 * t + 1], corners[3 * t + 2]]
        })
    }

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
        let w = soup(&corners).expect("finite");
        assert_eq!(w.positions.len(), 4);
        assert_eq!(w.triangles, vec![[0, 1, 2], [1, 0, 3]]);
        assert_eq!(w.positions[3], [2.0, 2.0, 2.0]);
    }

    #[test]
    fn round_off_around_zero_welds_to_exact_zero() {
        let corners = [[2.7e-16, 1.0, 0.0], [0.0, 1.0, -0.0], [-1e-13, 1.0, 1e-20]];
        let w = soup(&corners).expect("finite");
        assert_eq!(w.triangles, vec![[0, 0, 0]]);
        assert_eq!(w.positions, vec![[0.0, 1.0, 0.0]]);
        assert!(w.positions[0][0].is_sign_positive());
        // Just above the snap stays apart.
        let w = soup(&[[2e-12, 0.0, 0.0], [0.0; 3], [0.0; 3]]).expect("finite");
        assert_eq!(w.positions.len(), 2);
    }

    #[test]
    fn reports_the_first_non_finite_corner() {
        let corners = [
            [0.0, 0.0, 0.0],
            [f32::NAN, 0.0, 0.0],
            [f32::INFINITY, 0.0, 0.0],
        ];
        assert_eq!(
            soup(&corners).err(),
            Some(WeldError::NonFinite { corner: 1 })
        );
    }

    #[test]
    fn reports_the_first_non_finite_corner_across_chunks() {
        let n = 5 * CHUNK_TRIANGLES;
        let bad = [3 * CHUNK_TRIANGLES + 7, 4 * CHUNK_TRIANGLES];
        let triangle = |t: usize| {
            let p = |k: usize| [(3 * t + k) as f32, 0.0, 0.0];
            if bad.contains(&t) {
                [p(0), [0.0, f32::NEG_INFINITY, 0.0], p(2)]
            } else {
                [p(0), p(1), p(2)]
            }
        };
        assert_eq!(
            weld(n, triangle).err(),
            Some(WeldError::NonFinite {
                corner: 3 * bad[0] + 1
            })
        );
    }

    /// A plain `HashMap` reference: first-use numbering of exact keys.
    fn reference(corners: &[[f32; 3]]) -> (Vec<[f32; 3]>, Vec<u32>) {
        let mut ids = std::collections::HashMap::new();
        let mut positions = Vec::new();
        let corner_vertex = corners
            .iter()
            .map(|&p| {
                *ids.entry(key(p)).or_insert_with(|| {
                    positions.push(key(p).map(f32::from_bits));
                    positions.len() as u32 - 1
                })
            })
            .collect();
        (positions, corner_vertex)
    }

    #[test]
    fn many_corners_across_chunks_match_a_plain_hash_map() {
        // Points reused near and far in the corner order, across many chunks and with
        // enough distinct keys in one chunk to grow its table.
        let n = 3 * CHUNK_TRIANGLES + 100;
        let corners: Vec<[f32; 3]> = (0..3 * n)
            .map(|i| {
                let j = (i * 7919) % 50_000 + (i % 5);
                [(j % 100) as f32, (j / 100) as f32, 0.5]
            })
            .collect();
        let w = soup(&corners).expect("finite");
        let (positions, corner_vertex) = reference(&corners);
        assert_eq!(w.positions, positions);
        assert_eq!(w.triangles.as_flattened(), &corner_vertex[..]);
    }
}
