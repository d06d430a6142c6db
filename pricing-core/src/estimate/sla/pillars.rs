//! The support heads that reach the pad, routed onto pillars and the pillars braced to
//! each other, head by head as PrusaSlicer 2.5 builds them (`SupportTreeBuildsteps`:
//! `routing_to_ground`, `connect_to_nearpillar`, `interconnect_pillars`, `interconnect`).
//!
//! Counting braces from a mean pillar spacing and each pillar's own length read the tall
//! pillars under a high, narrow overhang as a forest braced three ways down its whole
//! height; PrusaSlicer stands such heads in a row, and a row's pillars brace only to the
//! one or two beside them, over the height they share. So the heads are placed where the
//! sampler put them ([`super::pad::sites`]) and the steps run on them:
//! 1. **Clusters.** Heads within a base diameter of each other (in plan, and within the
//!    longest bridge in space) join, at most `support_max_bridges_on_pillar` to a cluster.
//! 2. **Pillars.** The cluster's middle head gets a pillar to the pad; the others bridge
//!    down to it at the critical angle, with a short pillar of their own where they sit
//!    too low for the slope. A bridge may not end within 4 pillar radii of the pad; a head
//!    that cannot bridge gets its own pillar.
//! 3. **Braces.** Each pillar links to its nearest neighbours within
//!    `support_max_pillar_link_distance`, up to three links, a link counting only between
//!    pillars of comparable height. A linked pair gets zig-zag braces at the critical angle
//!    down the height both pillars share, crossed where they stand more than a base
//!    diameter apart (the `dynamic` connection mode).
//! 4. **Lonely pillars.** A pillar taller than 15 mm with no link, or taller than 35 mm
//!    with fewer than two, gets helper pillars a base diameter away, braced to it.
//!
//! What is left out: the collision tests against the mesh (braces and bridges are assumed
//! to pass it; pillars here stand clear of the part by construction) and the search for
//! another pillar when a side head cannot reach its cluster's.

use std::collections::HashMap;

/// A head whose pillar reaches the pad: its plan position and its junction (where the
/// pillar starts), mm above the pad.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroundHead {
    /// Plan position, mm.
    pub x: f64,
    /// Plan position, mm.
    pub y: f64,
    /// Height of the pillar's top above the pad, mm.
    pub top: f64,
}

/// The support parameters the routing reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Routing {
    /// Pillar radius, mm.
    pub pillar_radius: f64,
    /// Pillar base radius, mm.
    pub base_radius: f64,
    /// Pillar base height, mm.
    pub base_height: f64,
    /// How steeply bridges and braces run, below horizontal, radians (PrusaSlicer's
    /// `bridge_slope`, set from `support_critical_angle`).
    pub slope: f64,
    /// Longest bridge, mm.
    pub max_bridge_length: f64,
    /// Farthest two pillars are linked, mm.
    pub max_link_distance: f64,
    /// Heads per cluster (PrusaSlicer's `support_max_bridges_on_pillar`; 0 means no
    /// limit).
    pub max_bridges_on_pillar: u32,
}

/// What the routing built, lengths in mm.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Routed {
    /// Pillars standing on the pad (each with a base).
    pub pillars: usize,
    /// Their lengths and the short pillars under low side heads, summed.
    pub pillar_length: f64,
    /// Pillar bases, mm³ beyond the pillar inside them.
    pub base_mm3: f64,
    /// Head-to-pillar bridges.
    pub bridges: usize,
    /// Their lengths, summed.
    pub bridge_length: f64,
    /// Braces between pillars.
    pub braces: usize,
    /// Their lengths (and the helper pillars' bridges), summed.
    pub brace_length: f64,
}

/// PrusaSlicer's heights past which a pillar needs one, then two linked neighbours
/// (`max_solo_pillar_height_mm`, `max_dual_pillar_height_mm`).
const SOLO_HEIGHT: f64 = 15.0;
const DUAL_HEIGHT: f64 = 35.0;
/// Links a pillar looks for (`pillar_cascade_neighbors`).
const CASCADE_NEIGHBOURS: u32 = 3;
/// Nearest pillars a pillar tries for its links. PrusaSlicer tries every pillar in
/// reach; past a few dozen refusals (paired already, or full) the rest would refuse too,
/// and a profile with a huge link distance would otherwise make the cascade quadratic.
const CANDIDATES: usize = 32;
/// Largest cluster whose middle head is found exactly (see [`centroid`]); PrusaSlicer's
/// own limit on a cluster is 50.
const EXACT_CENTROID: usize = 64;

struct Pillar {
    x: f64,
    y: f64,
    top: f64,
    links: u32,
}

/// Routes `heads` to the pad and braces the pillars (see the module notes).
pub fn route(heads: &[GroundHead], r: &Routing) -> Routed {
    let mut out = Routed::default();
    let mut pillars: Vec<Pillar> = Vec::new();
    let base_cone = |len: f64| {
        let h = r.base_height.min(len.max(0.0));
        std::f64::consts::PI / 3.0
            * h
            * (r.base_radius.powi(2) + r.base_radius * r.pillar_radius + r.pillar_radius.powi(2))
            - std::f64::consts::PI * r.pillar_radius.powi(2) * h
    };
    let add_pillar = |out: &mut Routed, pillars: &mut Vec<Pillar>, x: f64, y: f64, top| {
        let top = f64::max(top, 0.0);
        out.pillars += 1;
        out.pillar_length += top;
        out.base_mm3 += base_cone(top).max(0.0);
        pillars.push(Pillar {
            x,
            y,
            top,
            links: 0,
        });
    };

    for cluster in clusters(heads, r) {
        let centre = centroid(heads, &cluster);
        let c = heads[centre];
        add_pillar(&mut out, &mut pillars, c.x, c.y, c.top);
        for &i in cluster.iter().filter(|&&i| i != centre) {
            let h = heads[i];
            match bridge_to(h, c, r) {
                Some((length, own)) => {
                    out.bridges += 1;
                    out.bridge_length += length;
                    out.pillar_length += own;
                }
                None => add_pillar(&mut out, &mut pillars, h.x, h.y, h.top),
            }
        }
    }

    let mut pairs = std::collections::HashSet::new();
    let index = PlanIndex::new(&pillars);
    cascade(&mut pillars, &index, 0, &mut pairs, r, &mut out);

    // Lonely tall pillars get helpers beside them.
    let original = pillars.len();
    for p in 0..original {
        let (links, top) = (pillars[p].links, pillars[p].top);
        let need = if links < 2 && top > DUAL_HEIGHT {
            2
        } else if links < 1 && top > SOLO_HEIGHT {
            1
        } else {
            0
        };
        let need = need.max(links) - links;
        // A base diameter aside, starting as far below the pillar's top.
        let d = 2.0 * r.base_radius;
        let start = top - d;
        let mut helpers = Vec::new();
        for n in 0..need {
            let a = f64::from(n) * std::f64::consts::PI / 3.0;
            let (x, y) = (pillars[p].x + d * a.cos(), pillars[p].y + d * a.sin());
            let braces = interconnect(top, start, d, r);
            if braces > 0 {
                out.braces += braces;
                out.brace_length += braces as f64 * d / r.slope.cos().max(0.1);
                // The bridge from the pillar's top down to the helper's.
                out.brace_length += d * 2f64.sqrt();
                add_pillar(&mut out, &mut pillars, x, y, start);
                pillars[p].links += 1;
                let last = pillars.len() - 1;
                pillars[last].links += 1;
                helpers.push(last);
            }
        }
        // Two helpers are braced to each other too.
        for w in helpers.windows(2) {
            let (a, b) = (&pillars[w[0]], &pillars[w[1]]);
            let dist = ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
            let braces = interconnect(a.top, b.top, dist, r);
            out.braces += braces;
            out.brace_length += braces as f64 * dist / r.slope.cos().max(0.1);
        }
    }
    if pillars.len() > original {
        let index = PlanIndex::new(&pillars);
        cascade(&mut pillars, &index, original, &mut pairs, r, &mut out);
    }
    out
}

/// Groups heads as PrusaSlicer's `cluster` does: from the first head not yet taken, the
/// heads near it, then the heads near those, in index order, up to the cluster limit.
fn clusters(heads: &[GroundHead], r: &Routing) -> Vec<Vec<usize>> {
    let reach = 2.0 * r.base_radius;
    let limit = match r.max_bridges_on_pillar {
        0 => usize::MAX,
        n => n as usize,
    };
    let mut grid: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
    let key = |x: f64, y: f64| ((x / reach).floor() as i64, (y / reach).floor() as i64);
    for (i, h) in heads.iter().enumerate() {
        grid.entry(key(h.x, h.y)).or_default().push(i);
    }
    let near = |a: &GroundHead, b: &GroundHead| {
        let plan = ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
        let space = (plan * plan + (a.top - b.top).powi(2)).sqrt();
        plan < reach && space < r.max_bridge_length
    };
    let mut taken = vec![false; heads.len()];
    let mut out = Vec::new();
    for seed in 0..heads.len() {
        if taken[seed] {
            continue;
        }
        let mut cluster = vec![seed];
        taken[seed] = true;
        let mut next = 0;
        while next < cluster.len() && cluster.len() < limit {
            let h = heads[cluster[next]];
            let (kx, ky) = key(h.x, h.y);
            let mut found: Vec<usize> = (-1..=1)
                .flat_map(|dy| (-1..=1).map(move |dx| (kx + dx, ky + dy)))
                .filter_map(|k| grid.get(&k))
                .flatten()
                .copied()
                .filter(|&j| !taken[j] && near(&h, &heads[j]))
                .collect();
            found.sort_unstable();
            for j in found {
                if cluster.len() >= limit {
                    break;
                }
                taken[j] = true;
                cluster.push(j);
            }
            next += 1;
        }
        out.push(cluster);
    }
    out
}

/// The head of `cluster` with the least summed plan distance to the others.
/// Past [`EXACT_CENTROID`] heads (a cluster with no size limit,
/// `support_max_bridges_on_pillar = 0`) that search is quadratic: the head nearest the
/// clusters' mean is taken instead.
fn centroid(heads: &[GroundHead], cluster: &[usize]) -> usize {
    let plan = |a: usize, b: usize| {
        ((heads[a].x - heads[b].x).powi(2) + (heads[a].y - heads[b].y).powi(2)).sqrt()
    };
    if cluster.len() > EXACT_CENTROID {
        let n = cluster.len() as f64;
        let mx = cluster.iter().map(|&i| heads[i].x).sum::<f64>() / n;
        let my = cluster.iter().map(|&i| heads[i].y).sum::<f64>() / n;
        let off = |i: usize| (heads[i].x - mx).hypot(heads[i].y - my);
        return cluster
            .iter()
            .copied()
            .min_by(|&a, &b| off(a).total_cmp(&off(b)))
            .unwrap_or(cluster[0]);
    }
    let mut best = (f64::INFINITY, cluster[0]);
    for &i in cluster {
        let sum: f64 = cluster.iter().map(|&j| plan(i, j)).sum();
        if sum < best.0 {
            best = (sum, i);
        }
    }
    best.1
}

/// A side head's bridge to the pillar under `to` (`connect_to_nearpillar`): its length
/// and the length of the short pillar the head needs first when it sits too low to reach
/// the pillar's top at the critical slope; `None` when it cannot bridge.
fn bridge_to(head: GroundHead, to: GroundHead, r: &Routing) -> Option<(f64, f64)> {
    let plan = ((head.x - to.x).powi(2) + (head.y - to.y).powi(2)).sqrt();
    let space = (plan * plan + (to.top - head.top).powi(2)).sqrt();
    let slope = (to.top - head.top).atan2(plan);
    let max_slope = r.slope;
    let (mut start, mut end) = (head.top, to.top);
    let mut own = 0.0;
    if space > r.max_bridge_length || slope > -max_slope {
        // Down at the critical slope to the pillar, from lower on the head if the pillar
        // stops below that.
        let mut down = head.top - plan * max_slope.tan();
        let over = down - to.top;
        if over > 0.0 {
            down -= over;
            start -= over;
            own = over;
        }
        let length = (plan * plan + (start - down).powi(2)).sqrt();
        if !(down <= to.top && down >= 0.0 && length < r.max_bridge_length) {
            return None;
        }
        end = down;
    }
    if end < 4.0 * r.pillar_radius {
        return None;
    }
    Some(((plan * plan + (start - end).powi(2)).sqrt(), own))
}

/// Braces between two pillars of tops `a` and `b` standing `dist` apart
/// (`interconnect`): zig-zag steps at the critical slope down the height both share, from
/// a base height above the pad, two per step where they are crossed.
fn interconnect(a: f64, b: f64, dist: f64, r: &Routing) -> usize {
    let zmin = r.base_height;
    let (upper, lower) = if a >= b { (a, b) } else { (b, a) };
    if lower < zmin || dist < 2.0 * r.pillar_radius || dist > r.max_link_distance {
        return 0;
    }
    let step = dist * r.slope.tan();
    if !(step > 0.0 && step.is_finite()) {
        return 0;
    }
    let mut start = if lower + step < upper {
        lower + step
    } else {
        lower
    };
    if lower - zmin < step {
        // No room for a full step: centre what fits.
        start = upper.min(lower + step);
        let available = start - zmin;
        let rounds = (available / step).floor();
        start -= 0.5 * (available - rounds * step);
    }
    // Alternating ends: stick i runs from `start - i·step` down one step, while it ends a
    // base height above the pad; its crossing twin starts on the other pillar at the
    // same height, so only where that is below the shorter pillar's top. Counted in
    // closed form: a near-flat critical angle makes the step tiny and the count large,
    // but never a long loop.
    let sticks = ((start - zmin) / step).floor().max(0.0);
    let crossed = if dist > 2.0 * r.base_radius {
        (sticks - ((start - lower) / step).ceil().max(0.0)).max(0.0)
    } else {
        0.0
    };
    (sticks + crossed).min(u32::MAX as f64) as usize
}

/// Pillars in plan on a grid sized by their density (about one pillar per cell), so
/// the nearest few are found by scanning rings of cells outward from the query, however
/// far the link distance reaches: a profile whose link distance spans the whole part
/// would otherwise make every query scan every pillar.
struct PlanIndex {
    cell: f64,
    x0: f64,
    y0: f64,
    nx: usize,
    ny: usize,
    /// Pillars of cell `c`: `members[start[c]..start[c + 1]]`.
    start: Vec<usize>,
    members: Vec<usize>,
}

impl PlanIndex {
    fn new(pillars: &[Pillar]) -> PlanIndex {
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for p in pillars {
            (x0, y0, x1, y1) = (x0.min(p.x), y0.min(p.y), x1.max(p.x), y1.max(p.y));
        }
        if pillars.is_empty() {
            (x0, y0, x1, y1) = (0.0, 0.0, 0.0, 0.0);
        }
        let (w, h, n) = (x1 - x0, y1 - y0, pillars.len().max(1) as f64);
        // At most about 3n cells: (w/c)(h/c) ≤ n, and the edges add w/c + h/c + 1.
        let cell = (w * h / n).sqrt().max(w.max(h) / n).max(1e-6);
        let nx = (w / cell) as usize + 1;
        let ny = (h / cell) as usize + 1;
        let cell_of = |p: &Pillar| {
            let i = (((p.x - x0) / cell) as usize).min(nx - 1);
            let j = (((p.y - y0) / cell) as usize).min(ny - 1);
            j * nx + i
        };
        let mut start = vec![0usize; nx * ny + 1];
        for p in pillars {
            start[cell_of(p) + 1] += 1;
        }
        for c in 0..nx * ny {
            start[c + 1] += start[c];
        }
        let mut cursor = start.clone();
        let mut members = vec![0usize; pillars.len()];
        for (i, p) in pillars.iter().enumerate() {
            let c = cell_of(p);
            members[cursor[c]] = i;
            cursor[c] += 1;
        }
        PlanIndex {
            cell,
            x0,
            y0,
            nx,
            ny,
            start,
            members,
        }
    }

    /// Up to [`CANDIDATES`] pillars within `reach` of `(x, y)`, nearest first (ties by
    /// index), with their distance.
    fn near(&self, pillars: &[Pillar], x: f64, y: f64, reach: f64) -> Vec<(f64, usize)> {
        let clamp = |v: f64, n: usize| (v.max(0.0) as usize).min(n - 1) as i64;
        let (ci, cj) = (
            clamp((x - self.x0) / self.cell, self.nx),
            clamp((y - self.y0) / self.cell, self.ny),
        );
        let order = |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
        let mut found: Vec<(f64, usize)> = Vec::new();
        let rings = self.nx.max(self.ny) as i64;
        for ring in 0..=rings {
            // Every pillar in this ring or beyond is at least (ring − 1) cells away.
            let nearest_beyond = (ring - 1).max(0) as f64 * self.cell;
            if nearest_beyond >= reach {
                break;
            }
            if found.len() >= CANDIDATES {
                found.select_nth_unstable_by(CANDIDATES - 1, order);
                found.truncate(CANDIDATES);
                let kth = found.iter().map(|f| f.0).fold(0.0, f64::max);
                if kth < nearest_beyond {
                    break;
                }
            }
            for j in cj - ring..=cj + ring {
                if j < 0 || j >= self.ny as i64 {
                    continue;
                }
                let edge = j == cj - ring || j == cj + ring;
                let step = if edge { 1 } else { (2 * ring).max(1) as usize };
                for i in (ci - ring..=ci + ring).step_by(step) {
                    if i < 0 || i >= self.nx as i64 {
                        continue;
                    }
                    let c = j as usize * self.nx + i as usize;
                    for &m in &self.members[self.start[c]..self.start[c + 1]] {
                        let d = ((pillars[m].x - x).powi(2) + (pillars[m].y - y).powi(2)).sqrt();
                        if d < reach {
                            found.push((d, m));
                        }
                    }
                }
            }
        }
        if found.len() > CANDIDATES {
            found.select_nth_unstable_by(CANDIDATES, order);
            found.truncate(CANDIDATES);
        }
        found.sort_unstable_by(order);
        found
    }
}

/// Links pillars from `from` on to their nearest free neighbours (`interconnect_pillars`'
/// cascade), adding the braces to `out`.
fn cascade(
    pillars: &mut [Pillar],
    index: &PlanIndex,
    from: usize,
    pairs: &mut std::collections::HashSet<(usize, usize)>,
    r: &Routing,
    out: &mut Routed,
) {
    for p in from..pillars.len() {
        if pillars[p].links >= CASCADE_NEIGHBOURS {
            continue;
        }
        let (x, y) = (pillars[p].x, pillars[p].y);
        for (dist, q) in index.near(pillars, x, y, r.max_link_distance) {
            if q == p {
                continue;
            }
            let pair = (p.min(q), p.max(q));
            if pairs.contains(&pair) || pillars[q].links >= CASCADE_NEIGHBOURS {
                continue;
            }
            let (hp, hq) = (pillars[p].top, pillars[q].top);
            let braces = interconnect(hp, hq, dist, r);
            if braces > 0 {
                pairs.insert(pair);
                out.braces += braces;
                out.brace_length += braces as f64 * dist / r.slope.cos().max(0.1);
                // A link counts where the pair's heights are comparable.
                if hp < SOLO_HEIGHT || hq / hp > 0.5 {
                    pillars[p].links += 1;
                }
                if hq < SOLO_HEIGHT || hp / hq > 0.5 {
                    pillars[q].links += 1;
                }
            }
            if pillars[p].links >= CASCADE_NEIGHBOURS {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routing() -> Routing {
        Routing {
            pillar_radius: 0.5,
            base_radius: 2.0,
            base_height: 1.0,
            slope: 45f64.to_radians(),
            max_bridge_length: 15.0,
            max_link_distance: 10.0,
            max_bridges_on_pillar: 3,
        }
    }

    #[test]
    fn braces_run_down_the_height_two_pillars_share() {
        let r = routing();
        // 3 mm apart at 45°: a step of 3 mm, from a base height (1 mm) up to the shorter
        // pillar's top.
        assert_eq!(interconnect(20.0, 20.0, 3.0, &r), 6);
        // From a step above the shorter top (10 mm) on the taller pillar down to 1 mm.
        assert_eq!(interconnect(20.0, 10.0, 3.0, &r), 4);
        // Farther than a base diameter apart, each step is crossed.
        assert_eq!(interconnect(20.0, 20.0, 5.0, &r), 6);
        // Too close, too far, or too short: none.
        assert_eq!(interconnect(20.0, 20.0, 0.5, &r), 0);
        assert_eq!(interconnect(20.0, 20.0, 12.0, &r), 0);
        assert_eq!(interconnect(20.0, 0.5, 3.0, &r), 0);
        // A near-flat critical angle: a tiny step, many sticks, counted without a loop.
        let flat = Routing { slope: 1e-12, ..r };
        assert!(interconnect(20.0, 20.0, 3.0, &flat) > 1_000_000_000);
    }

    #[test]
    fn a_row_of_tall_pillars_braces_only_its_neighbours() {
        let r = routing();
        // Twelve heads 4.5 mm apart in a row, 25 mm up: each its own cluster (farther than
        // a base diameter), each pillar linked to the one or two beside it (the next but
        // one is 9 mm away, within reach, so it links too: up to three links each).
        let heads: Vec<GroundHead> = (0..12)
            .map(|i| GroundHead {
                x: 4.5 * f64::from(i),
                y: 0.0,
                top: 25.0,
            })
            .collect();
        let routed = route(&heads, &r);
        assert_eq!(routed.pillars, 12);
        assert_eq!(routed.bridges, 0);
        // A forest of 12 pillars braced three ways down 24 mm would be 18 pairs of
        // crossed braces; a row has at most 11 + 10 neighbouring pairs and the far ones
        // take fewer steps.
        let per_pair = interconnect(25.0, 25.0, 4.5, &r);
        assert!(routed.braces < 18 * per_pair, "{routed:?}");
        assert!(routed.braces >= 11 * per_pair, "{routed:?}");
    }

    #[test]
    fn close_heads_share_a_pillar_and_bridge_to_it() {
        let r = routing();
        // Three heads 1 mm apart at 10 mm: one pillar, two 45° bridges of √2 mm.
        let heads: Vec<GroundHead> = (0..3)
            .map(|i| GroundHead {
                x: f64::from(i),
                y: 0.0,
                top: 10.0,
            })
            .collect();
        let routed = route(&heads, &r);
        assert_eq!((routed.pillars, routed.bridges), (1, 2));
        assert!((routed.bridge_length - 2.0 * 2f64.sqrt()).abs() < 1e-9);
        // Low heads cannot end a bridge within 4 pillar radii of the pad: own pillars.
        let low: Vec<GroundHead> = heads
            .iter()
            .map(|h| GroundHead { top: 2.5, ..*h })
            .collect();
        assert_eq!(route(&low, &r).pillars, 3);
    }

    #[test]
    fn the_ring_search_finds_the_nearest_pillars_a_full_scan_finds() {
        // Clumps and strays, queried at every pillar with short and whole-part reaches.
        let mut seed = 12345u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let pillars: Vec<Pillar> = (0..400)
            .map(|i| {
                let (cx, cy) = if i % 3 == 0 { (5.0, 5.0) } else { (60.0, 20.0) };
                let spread = if i % 7 == 0 { 80.0 } else { 4.0 };
                Pillar {
                    x: cx + spread * next(),
                    y: cy + spread * next(),
                    top: 10.0,
                    links: 0,
                }
            })
            .collect();
        let index = PlanIndex::new(&pillars);
        for reach in [3.0, 10.0, 1e6] {
            for p in &pillars {
                let mut all: Vec<(f64, usize)> = pillars
                    .iter()
                    .enumerate()
                    .map(|(j, q)| (((q.x - p.x).powi(2) + (q.y - p.y).powi(2)).sqrt(), j))
                    .filter(|&(d, _)| d < reach)
                    .collect();
                all.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                all.truncate(CANDIDATES);
                assert_eq!(index.near(&pillars, p.x, p.y, reach), all);
            }
        }
    }

    #[test]
    fn a_lonely_tall_pillar_gets_a_helper() {
        let r = routing();
        let tall = [GroundHead {
            x: 0.0,
            y: 0.0,
            top: 20.0,
        }];
        let routed = route(&tall, &r);
        assert_eq!(routed.pillars, 2);
        assert!(routed.braces > 0);
        let short = [GroundHead {
            top: 10.0,
            ..tall[0]
        }];
        assert_eq!(route(&short, &r).pillars, 1);
    }
}
