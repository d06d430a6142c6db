//! A union-find that many threads can join into at once, used to find shells while the
//! edges are classified in parallel.
//!
//! Each set's root is its smallest element: a union links the larger root under the
//! smaller one with a compare-and-swap, and retries if another thread moved either root
//! first. So the final sets and their roots do not depend on the order in which threads
//! ran, and shells come out numbered by their first triangle on every run. Finds halve
//! paths with plain stores, which is safe because a parent only ever moves to an
//! ancestor.

use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

/// Marks a root's slot once it holds the root's set number instead of itself.
const NUMBERED: u32 = 1 << 31;
/// Elements per parallel task in the numbering passes.
const CHUNK: usize = 1 << 14;

pub(super) struct UnionFind {
    parent: Vec<AtomicU32>,
}

impl UnionFind {
    /// `n` singletons. `n` must be below 2³¹ (a mesh that large would not fit in memory).
    pub(super) fn new(n: usize) -> UnionFind {
        debug_assert!((n as u64) < NUMBERED as u64);
        UnionFind {
            parent: (0..n as u32).into_par_iter().map(AtomicU32::new).collect(),
        }
    }

    #[inline]
    fn find(&self, mut x: u32) -> u32 {
        loop {
            let p = self.parent[x as usize].load(Ordering::Acquire);
            if p == x {
                return x;
            }
            let grand = self.parent[p as usize].load(Ordering::Acquire);
            if grand != p {
                self.parent[x as usize].store(grand, Ordering::Release);
            }
            x = grand;
        }
    }

    /// Joins the sets of `a` and `b`.
    #[inline]
    pub(super) fn union(&self, a: u32, b: u32) {
        let (mut a, mut b) = (a, b);
        loop {
            a = self.find(a);
            b = self.find(b);
            if a == b {
                return;
            }
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            if self.parent[hi as usize]
                .compare_exchange(hi, lo, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return;
            }
            // `hi` stopped being a root under us; find again from where we are.
        }
    }

    /// The set number of every element, sets numbered by their smallest element, and the
    /// number of sets. Call after all unions are done.
    pub(super) fn into_sets(self) -> (Vec<u32>, usize) {
        let parent = self.parent;
        let n = parent.len();
        // Point every element at its root, and count roots per chunk.
        let roots_per_chunk: Vec<u32> = parent
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(c, chunk)| {
                let mut roots = 0;
                for (i, slot) in chunk.iter().enumerate() {
                    let x = (c * CHUNK + i) as u32;
                    let root = UnionFind::find_in(&parent, x);
                    slot.store(root, Ordering::Relaxed);
                    roots += u32::from(root == x);
                }
                roots
            })
            .collect();
        let mut first_number = Vec::with_capacity(roots_per_chunk.len());
        let mut sets = 0u32;
        for r in &roots_per_chunk {
            first_number.push(sets);
            sets += r;
        }
        // Roots take their number, in element order.
        parent
            .par_chunks(CHUNK)
            .zip(first_number)
            .enumerate()
            .for_each(|(c, (chunk, mut number))| {
                for (i, slot) in chunk.iter().enumerate() {
                    if slot.load(Ordering::Relaxed) == (c * CHUNK + i) as u32 {
                        slot.store(number | NUMBERED, Ordering::Relaxed);
                        number += 1;
                    }
                }
            });
        // Everyone else takes their root's number.
        let set_of = (0..n)
            .into_par_iter()
            .with_min_len(CHUNK)
            .map(|x| {
                let p = parent[x].load(Ordering::Relaxed);
                if p & NUMBERED != 0 {
                    p & !NUMBERED
                } else {
                    parent[p as usize].load(Ordering::Relaxed) & !NUMBERED
                }
            })
            .collect();
        (set_of, sets as usize)
    }

    /// `find` over a bare parent array (used while `self` is being taken apart).
    fn find_in(parent: &[AtomicU32], mut x: u32) -> u32 {
        loop {
            let p = parent[x as usize].load(Ordering::Relaxed);
            if p == x {
                return x;
            }
            x = p;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_are_numbered_by_their_smallest_element() {
        let uf = UnionFind::new(7);
        uf.union(5, 1);
        uf.union(6, 3);
        uf.union(1, 6);
        // Sets: {1, 3, 5, 6}, {0}, {2}, {4}; numbered by first element.
        let (set_of, n) = uf.into_sets();
        assert_eq!(n, 4);
        assert_eq!(set_of, vec![0, 1, 2, 1, 3, 1, 1]);
    }

    #[test]
    fn concurrent_unions_give_the_sequential_answer() {
        // Join i with i + 7 and i with i + 11 from many threads at once, in a scrambled
        // order: everything below 100_000 ends in one set except what is out of reach.
        let n = 100_000u32;
        let uf = UnionFind::new(n as usize + 5);
        (0..n).into_par_iter().for_each(|i| {
            // A permutation of 0..n (the multiplier is coprime with n).
            let j = (i as u64 * 2_654_435_761 % n as u64) as u32;
            if j + 11 < n {
                uf.union(j + 11, j);
            }
            if j + 7 < n {
                uf.union(j, j + 7);
            }
        });
        let (set_of, sets) = uf.into_sets();
        assert_eq!(sets, 1 + 5);
        assert!(set_of[..n as usize].iter().all(|&s| s == 0));
        assert_eq!(&set_of[n as usize..], &[1, 2, 3, 4, 5]);
    }
}
