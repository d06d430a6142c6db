//! Sparse infill patterns by their geometry (PrusaSlicer's `Fill*` classes): how many
//! families of lines a layer holds, how far apart they lie, what shape each line takes
//! (straight, a gyroid wave, a honeycomb zigzag) and how one line joins the next.
//!
//! The pattern changes the time and, for one pattern, the material: PrusaSlicer sizes
//! most patterns so that they extrude `fill_density` of the region (the gyroid's
//! `DensityAdjust`, the multi-line patterns' density split over their families), and the
//! sum in `totals` keeps that volume. The honeycombs are the exception
//! ([`FillGeometry::extrusion`]): the honeycomb's walls stand `spacing / density` apart
//! and each is drawn twice, once by each column beside it, so it extrudes
//! (4 − density) / 3 times the set density; the 3D honeycomb's lines stand as far apart
//! and jog at 45°, 10% longer than straight lines.
//! What the geometry changes besides is how the head moves: a straight line cruises, a
//! gyroid wave slows in every bend to the jerk limit, a honeycomb turns 60° every side, and
//! the `line` pattern travels (and retracts) between unconnected lines.
//!
//! Each line is timed through the motion planner ([`super::motion`]) on the polyline the
//! pattern draws, for chord lengths on a log scale, and interpolated for the raster's
//! chords ([`ChordTimer`]).

use super::calibration::{BRIDGE_EXTRA_SPACING_MM, FILL_DIRECTION};
use super::motion::{Motion, line_time, polyline_time, segment_time};
use super::time::{Lines, lines_time};
use crate::profile::pattern::FillPattern;
use crate::slice::Bitmap;

/// How a family's lines are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Path {
    /// Straight chords across the region.
    Straight,
    /// PrusaSlicer's gyroid: at each height a wave of period `2π·s/(2.44·d)`, sampled
    /// within [`GYROID_TOLERANCE_MM`].
    Gyroid,
    /// A zigzag of equal sides `side` mm turning `turn` degrees at every corner (a
    /// Hilbert curve's unit steps).
    Zigzag { side: f64, turn_deg: f64 },
    /// One line of PrusaSlicer's 3D honeycomb (`Fill3DHoneycomb`) of grid `distance`:
    /// straight runs with a 45° jog every `distance`, the jog's size changing with the
    /// height (the section of a truncated-octahedron tiling).
    Octahedra { distance: f64 },
    /// One column of PrusaSlicer's honeycomb (`FillHoneycomb`) of wall distance
    /// `distance` and line spacing `spacing`: a wall along the column, a 60° diagonal
    /// across it, a wall, a diagonal back.
    Honeycomb { distance: f64, spacing: f64 },
}

/// How one line of a family joins the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Join {
    /// A short extruded link along the boundary to the neighbouring line (rectilinear's
    /// zigzag, and the anchors `connect_infill` lays for the other patterns).
    Link,
    /// No connection: a travel to the next line (`line`, the one pattern PrusaSlicer
    /// leaves unconnected).
    Travel,
}

/// Sampling tolerance of the gyroid wave, mm: the deviation from the true curve allowed
/// between two G-code points. 0.05 mm reproduces PrusaSlicer 2.5's gyroid segments on the
/// reference cube (median 0.51 mm long, median turn 13.5° per point, read from its G-code
/// with `scripts/gcode_segments.py`); the number of points sets how often the jerk limit
/// bites.
pub const GYROID_TOLERANCE_MM: f64 = 0.05;

/// `FillGyroid::DensityAdjust`: PrusaSlicer spreads the gyroid's waves so that, with their
/// length, they extrude the set density.
const GYROID_DENSITY_ADJUST: f64 = 2.44;

/// The geometry of a pattern at one density and line spacing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct FillGeometry {
    /// Families of lines on each layer (grid 2; triangles, stars and cubic 3), sharing
    /// the density: each family's lines lie `families` times farther apart.
    pub families: u32,
    /// Distance between neighbouring lines of one family, mm.
    pub pitch: f64,
    /// Length extruded per area over the nominal `density / spacing`: 1 but for the
    /// honeycombs.
    pub extrusion: f64,
    /// Whether the lines are laid as bridges (round threads, `use_bridge_flow`): the 3D
    /// honeycomb, "since most of this pattern hangs in air".
    pub bridge_flow: bool,
    path: Path,
    join: Join,
}

impl FillGeometry {
    /// The geometry of `pattern` at `density` (0..1] with line spacing `spacing` mm.
    pub fn new(pattern: FillPattern, density: f64, spacing: f64) -> FillGeometry {
        use FillPattern as P;
        let d = density.max(1e-6);
        let rect = spacing / d;
        let (mut extrusion, mut bridge_flow) = (1.0, false);
        let (families, pitch, path, join) = match pattern {
            P::Rectilinear
            | P::AlignedRectilinear
            | P::Monotonic
            | P::MonotonicLines
            | P::Concentric
            | P::ArchimedeanChords
            | P::OctagramSpiral
            | P::Lightning => (1, rect, Path::Straight, Join::Link),
            P::Grid => (2, 2.0 * rect, Path::Straight, Join::Link),
            P::Triangles | P::Stars | P::Cubic | P::AdaptiveCubic | P::SupportCubic => {
                (3, 3.0 * rect, Path::Straight, Join::Link)
            }
            P::Line => (1, rect, Path::Straight, Join::Travel),
            P::Gyroid => (
                1,
                std::f64::consts::PI * spacing / (GYROID_DENSITY_ADJUST * d),
                Path::Gyroid,
                Join::Link,
            ),
            // `FillHoneycomb`: columns `distance = spacing / d` wide, each a polyline of
            // walls (2D + s)/√3 long along the column and 60° diagonals across its width
            // less one line (D − s), (4D − s)/√3 of path per √3·D of column. The
            // neighbouring column draws the same wall again one line beside it.
            P::Honeycomb => {
                extrusion = honeycomb_path(rect, spacing) / (3f64.sqrt() * rect);
                (
                    1,
                    rect,
                    Path::Honeycomb {
                        distance: rect,
                        spacing,
                    },
                    Join::Link,
                )
            }
            // `Fill3DHoneycomb`: one family per layer (columns, then rows), lines
            // `distance = spacing / d` apart, each straight for (1 − o)·D and jogging
            // o·D across at 45° every D, where o runs from 0 to ½ and back with the
            // height. Over the heights o averages ¼, so the lines are
            // 1 + ¼ (√2 − 1) longer than their chords.
            P::Honeycomb3d => {
                extrusion = 1.0 + OCTAHEDRA_MEAN_JOG * (std::f64::consts::SQRT_2 - 1.0);
                bridge_flow = true;
                (1, rect, Path::Octahedra { distance: rect }, Join::Link)
            }
            // Unit steps of one line spacing, a quarter turn at each.
            P::HilbertCurve => (
                1,
                rect * std::f64::consts::SQRT_2,
                Path::Zigzag {
                    side: rect,
                    turn_deg: 90.0,
                },
                Join::Link,
            ),
        };
        FillGeometry {
            families,
            pitch,
            extrusion,
            bridge_flow,
            path,
            join,
        }
    }

    /// How the family's lines cross the region: the gyroid's waves and the 3D
    /// honeycomb's lines run along the axes (`Fill3DHoneycomb` supports no rotation),
    /// every other pattern's lines at the fill angle.
    fn lines(&self) -> Lines {
        match self.path {
            Path::Gyroid | Path::Octahedra { .. } => Lines::Axes,
            _ => Lines::Diagonals,
        }
    }

    /// The timer of one family's chords at motion `m`; `hop` times an unconnected line's
    /// travel to the next.
    pub fn timer(&self, m: &Motion, hop: &dyn Fn(f64) -> f64) -> ChordTimer {
        let vj = m.safe_speed(FILL_DIRECTION);
        let link = match self.join {
            Join::Link => segment_time(self.pitch, vj, vj, m.speed, m.accel),
            Join::Travel => hop(self.pitch),
        };
        let table = match self.path {
            Path::Straight => Vec::new(),
            shaped => TABLE_LENGTHS_MM
                .iter()
                .map(|&len| (len, shaped_time(shaped, self.pitch, m, len)))
                .collect(),
        };
        ChordTimer {
            motion: *m,
            vj,
            link,
            table,
        }
    }
}

/// The sparse infill of one estimate: the pattern's geometry and its chord timers, built
/// once (the planner runs on the pattern's polylines) and shared by every layer.
#[derive(Debug, Clone)]
pub(super) struct SparseFill {
    geometry: FillGeometry,
    density: f64,
    /// Line spacing, mm.
    spacing: f64,
    /// (motion, timer) of the first layer and of the others.
    timers: [(Motion, ChordTimer); 2],
}

impl SparseFill {
    /// `pattern` at `density` (0..1) with line spacing `spacing`, timed at the first
    /// layer's motion `first` and the others' `rest`; `hop` times a travel between lines.
    pub fn new(
        pattern: FillPattern,
        density: f64,
        spacing: f64,
        [first, rest]: [Motion; 2],
        hop: &dyn Fn(f64) -> f64,
    ) -> SparseFill {
        let geometry = FillGeometry::new(pattern, density, spacing);
        SparseFill {
            geometry,
            density,
            spacing,
            timers: [
                (first, geometry.timer(&first, hop)),
                (rest, geometry.timer(&rest, hop)),
            ],
        }
    }

    /// Volume extruded over `fill_density` × the region's volume, on a layer `h` mm high:
    /// [`FillGeometry::extrusion`], and for a pattern laid in bridge flow a round
    /// thread's section per line in place of `spacing × h` (`Flow::with_spacing` on the
    /// bridging flow: a thread `spacing` less `BRIDGE_EXTRA_SPACING` across).
    pub fn volume_factor(&self, h: f64) -> f64 {
        let g = &self.geometry;
        if !g.bridge_flow {
            return g.extrusion;
        }
        let thread = (self.spacing - BRIDGE_EXTRA_SPACING_MM).max(0.0);
        g.extrusion * std::f64::consts::PI / 4.0 * thread * thread / (self.spacing * h).max(1e-12)
    }

    /// Seconds to fill the sparse region `b` of layer `k` at motion `m`: every family's
    /// lines across it.
    pub fn time(&self, b: &Bitmap, k: usize, m: &Motion, pixel: f64) -> f64 {
        if self.density <= 0.0 || b.is_empty() {
            return 0.0;
        }
        let (motion, timer) = &self.timers[usize::from(k > 0)];
        let g = &self.geometry;
        let one = |t: &ChordTimer| lines_time(b, t, g.pitch, pixel, g.lines());
        let family = if motion == m {
            one(timer)
        } else {
            // A layer of its own height moves at its own speed: time it afresh.
            one(&g.timer(m, &|_| 0.0))
        };
        g.families as f64 * family
    }
}

/// Chord lengths the shaped timers sample, mm: a log scale up to a few periods, past which
/// time grows linearly with length.
const TABLE_LENGTHS_MM: [f64; 12] = [
    0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0, 48.0,
];

/// Time of one line of a family: a chord of the region of length `len` mm, drawn as the
/// pattern draws it, and its join to the next line.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ChordTimer {
    motion: Motion,
    vj: f64,
    link: f64,
    /// (chord length, time) of shaped lines; empty for straight ones.
    table: Vec<(f64, f64)>,
}

impl ChordTimer {
    /// A straight line with a link of `link_len` mm at `m` (solid fills, supports).
    pub fn straight(m: &Motion, link_len: f64, direction: [f64; 2]) -> ChordTimer {
        let vj = m.safe_speed(direction);
        ChordTimer {
            motion: *m,
            vj,
            link: segment_time(link_len, vj, vj, m.speed, m.accel),
            table: Vec::new(),
        }
    }

    /// Seconds for a chord of `len` mm and its join.
    pub fn time(&self, len: f64) -> f64 {
        self.link + self.line(len)
    }

    fn line(&self, len: f64) -> f64 {
        let t = &self.table;
        let (Some(&(l0, t0)), Some(&(ln, tn))) = (t.first(), t.last()) else {
            return line_time(&self.motion, len, self.vj);
        };
        if len <= l0 {
            return t0 * len / l0;
        }
        if len >= ln {
            let (lp, tp) = t[t.len() - 2];
            return tn + (len - ln) * (tn - tp) / (ln - lp);
        }
        let i = t.partition_point(|&(l, _)| l < len);
        let ((la, ta), (lb, tb)) = (t[i - 1], t[i]);
        ta + (tb - ta) * (len - la) / (lb - la)
    }
}

/// Planner time of a shaped line covering a chord of `len` mm, s: the gyroid averaged over
/// the heights of one period (its shape changes with z).
fn shaped_time(path: Path, pitch: f64, m: &Motion, len: f64) -> f64 {
    match path {
        Path::Straight => line_time(m, len, m.safe_speed(FILL_DIRECTION)),
        Path::Gyroid => {
            // One period of the wave is 2·pitch long; the lines lie π apart in the
            // gyroid's own units.
            let scale = pitch / std::f64::consts::PI;
            let phases = [0.0, 0.2, 0.4, 0.6];
            let total: f64 = phases
                .iter()
                .map(|&p| {
                    let pts = gyroid_wave(p * std::f64::consts::FRAC_PI_2, scale, len);
                    timed(m, &pts)
                })
                .sum();
            total / phases.len() as f64
        }
        Path::Zigzag { side, turn_deg } => timed(m, &zigzag(side, turn_deg, len)),
        Path::Honeycomb { distance, spacing } => {
            timed(m, &honeycomb_column(distance, spacing, len))
        }
        Path::Octahedra { distance } => {
            // The jog is uniform over 0..½ across the heights: average a few.
            let jogs = [0.05, 0.15, 0.25, 0.35, 0.45];
            let total: f64 = jogs
                .iter()
                .map(|&o| timed(m, &octahedra_line(distance, o, len)))
                .sum();
            total / jogs.len() as f64
        }
    }
}

/// The 3D honeycomb's mean jog, in grid units: `Fill3DHoneycomb`'s offset is a triangle
/// wave of the height between −½ and ½, so its size is uniform over 0..½.
const OCTAHEDRA_MEAN_JOG: f64 = 0.25;

/// One 3D honeycomb line covering `len` mm: straight for (1 − `jog`)·D, then `jog`·D
/// along and `jog`·D across (45°), the side alternating, every D.
fn octahedra_line(distance: f64, jog: f64, len: f64) -> Vec<[f64; 2]> {
    stepped_line((1.0 - jog) * distance, jog * distance, jog * distance, len)
}

/// Path length of one honeycomb column per √3·`distance` of its length: a wall and a
/// diagonal (see [`honeycomb_column`]).
fn honeycomb_path(distance: f64, spacing: f64) -> f64 {
    let across = (distance - spacing).max(0.0);
    (2.0 * distance + spacing) / 3f64.sqrt() + across * 2.0 / 3f64.sqrt()
}

/// One honeycomb column covering `len` mm of its length: `FillHoneycomb`'s points, a
/// wall of (2D + s)/√3 along the column, then a diagonal across D − s at 60° to it, a
/// wall on the other side, a diagonal back.
fn honeycomb_column(distance: f64, spacing: f64, len: f64) -> Vec<[f64; 2]> {
    let across = (distance - spacing).max(0.0);
    let wall = (2.0 * distance + spacing) / 3f64.sqrt();
    stepped_line(wall, across / 3f64.sqrt(), across, len)
}

/// A line along x covering `len` mm: `straight` mm, then a step `along` mm further and
/// `across` mm to the other side, again and again (at most 100,000 steps).
fn stepped_line(straight: f64, along: f64, across: f64, len: f64) -> Vec<[f64; 2]> {
    let mut pts = vec![[0.0, 0.0]];
    let (mut x, mut side) = (0.0, 0.0);
    while x < len && pts.len() < 200_000 {
        x += straight;
        pts.push([x, side]);
        x += along;
        side = if side == 0.0 { across } else { 0.0 };
        pts.push([x, side]);
    }
    pts
}

/// Time of the polyline through `pts`, starting and ending at rest.
fn timed(m: &Motion, pts: &[[f64; 2]]) -> f64 {
    let mut lens = Vec::with_capacity(pts.len());
    let mut dirs = Vec::with_capacity(pts.len());
    for w in pts.windows(2) {
        let (dx, dy) = (w[1][0] - w[0][0], w[1][1] - w[0][1]);
        let l = dx.hypot(dy);
        if l > 1e-9 {
            lens.push(l);
            dirs.push([dx / l, dy / l]);
        }
    }
    polyline_time(m, &lens, &dirs)
}

/// The gyroid's line at height phase `phi` (radians): the curve
/// `sin x·cos y + sin y·cos φ + sin φ·cos x = 0` solved for `y`, scaled by `scale` mm per
/// unit, from x = 0 to `len` mm, sampled by halving until the chord deviates less than
/// [`GYROID_TOLERANCE_MM`].
fn gyroid_wave(phi: f64, scale: f64, len: f64) -> Vec<[f64; 2]> {
    let y = |x: f64| {
        let (sx, cp) = (x.sin(), phi.cos());
        let r = sx.hypot(cp).max(1e-9);
        let v = (-phi.sin() * x.cos() / r).clamp(-1.0, 1.0);
        v.asin() - sx.atan2(cp)
    };
    let point = |u: f64| [u * scale, y(u) * scale];
    let end = len / scale;
    // Start from quarter periods and halve where the curve bends away from the chord.
    let steps = ((end / std::f64::consts::FRAC_PI_2).ceil() as usize).max(1);
    let mut pts = vec![point(0.0)];
    let mut pa = point(0.0);
    for i in 0..steps {
        let (a, b) = (
            end * i as f64 / steps as f64,
            end * (i + 1) as f64 / steps as f64,
        );
        let pb = point(b);
        refine(&point, (a, pa), (b, pb), 0, &mut pts);
        pa = pb;
    }
    pts
}

/// Appends the points of `f` from `a` (exclusive) to `b`, halving intervals whose
/// midpoint lies farther than the tolerance from their chord. Each end comes with its
/// point, so `f` (four transcendental functions) runs once per new point, not three
/// times.
fn refine(
    f: &dyn Fn(f64) -> [f64; 2],
    (a, pa): (f64, [f64; 2]),
    (b, pb): (f64, [f64; 2]),
    depth: u32,
    out: &mut Vec<[f64; 2]>,
) {
    let m = 0.5 * (a + b);
    let pm = f(m);
    let (dx, dy) = (pb[0] - pa[0], pb[1] - pa[1]);
    let chord = dx.hypot(dy).max(1e-12);
    let sag = ((pm[0] - pa[0]) * dy - (pm[1] - pa[1]) * dx).abs() / chord;
    if sag > GYROID_TOLERANCE_MM && depth < 12 {
        refine(f, (a, pa), (m, pm), depth + 1, out);
        refine(f, (m, pm), (b, pb), depth + 1, out);
    } else {
        out.push(pb);
    }
}

/// A zigzag along x of sides `side` mm that turn `turn_deg` at each corner, covering `len`
/// mm of chord.
fn zigzag(side: f64, turn_deg: f64, len: f64) -> Vec<[f64; 2]> {
    let half = (turn_deg / 2.0).to_radians();
    let (dx, dy) = (side * half.cos(), side * half.sin());
    let n = ((len / dx.max(1e-9)).ceil() as usize).clamp(1, 100_000);
    (0..=n)
        .map(|i| [i as f64 * dx, if i % 2 == 0 { 0.0 } else { dy }])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m() -> Motion {
        Motion {
            speed: 80.0,
            accel: 1000.0,
            jerk: 8.0,
        }
    }

    fn no_hop(_: f64) -> f64 {
        0.0
    }

    #[test]
    fn straight_timer_is_the_planner_line_plus_link() {
        let g = FillGeometry::new(FillPattern::Rectilinear, 0.2, 0.4);
        assert_eq!(g.families, 1);
        assert!((g.pitch - 2.0).abs() < 1e-12);
        let t = g.timer(&m(), &no_hop);
        let vj = m().safe_speed(FILL_DIRECTION);
        let expect = line_time(&m(), 30.0, vj) + segment_time(2.0, vj, vj, 80.0, 1000.0);
        assert!((t.time(30.0) - expect).abs() < 1e-12);
    }

    #[test]
    fn a_gyroid_line_is_slower_than_a_straight_one_and_grows_linearly() {
        let gy = FillGeometry::new(FillPattern::Gyroid, 0.15, 0.407).timer(&m(), &no_hop);
        let st = FillGeometry::new(FillPattern::Rectilinear, 0.15, 0.407).timer(&m(), &no_hop);
        for len in [3.0, 20.0, 100.0] {
            assert!(gy.time(len) > 1.2 * st.time(len), "{len}");
        }
        let slope = (gy.time(200.0) - gy.time(100.0)) / 100.0;
        assert!(slope > 1.0 / 80.0, "waves are longer than chords: {slope}");
        assert!(slope < 4.0 / 80.0, "{slope}");
    }

    #[test]
    fn the_wave_is_sampled_like_prusaslicer_samples_it() {
        let scale =
            FillGeometry::new(FillPattern::Gyroid, 0.15, 0.407).pitch / std::f64::consts::PI;
        let pts = gyroid_wave(0.0, scale, 60.0);
        let mut lens: Vec<f64> = pts
            .windows(2)
            .map(|w| (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]))
            .collect();
        lens.sort_by(f64::total_cmp);
        let median = lens[lens.len() / 2];
        assert!(median > 0.3 && median < 1.0, "{median}");
    }

    #[test]
    fn unconnected_lines_pay_their_travels() {
        // A slow travel (1 s) shows up in every unconnected line, never in connected ones.
        let hop = |d: f64| 1.0 + d / 180.0;
        let line = FillGeometry::new(FillPattern::Line, 0.15, 0.4).timer(&m(), &hop);
        let rect = FillGeometry::new(FillPattern::Rectilinear, 0.15, 0.4).timer(&m(), &hop);
        assert!(line.time(20.0) > rect.time(20.0) + 0.8);
        assert!(rect.time(20.0) < 0.5);
    }

    #[test]
    fn multi_line_patterns_split_the_density_over_their_families() {
        for (p, n) in [
            (FillPattern::Grid, 2),
            (FillPattern::Triangles, 3),
            (FillPattern::Cubic, 3),
        ] {
            let g = FillGeometry::new(p, 0.2, 0.4);
            assert_eq!(g.families, n);
            assert!((g.pitch - n as f64 * 2.0).abs() < 1e-12);
        }
    }

    /// A polyline along x: its length over the x it covers.
    fn path_over_chord(pts: &[[f64; 2]]) -> f64 {
        let path: f64 = pts
            .windows(2)
            .map(|w| (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]))
            .sum();
        path / pts.last().map_or(1.0, |p| p[0])
    }

    #[test]
    fn honeycomb_extrudes_its_double_walls() {
        // FillHoneycomb at 20 % and 0.4 mm: columns 2 mm wide, per √3·2 mm of column a
        // wall of 4.4/√3 and a diagonal of 1.6·2/√3: (8 − 0.4)/√3 / (2√3) = 1.2667 of
        // the nominal 0.2 / 0.4 mm per mm², that is (4 − 0.2) / 3.
        let g = FillGeometry::new(FillPattern::Honeycomb, 0.2, 0.4);
        assert!((g.pitch - 2.0).abs() < 1e-12);
        assert!((g.extrusion - 3.8 / 3.0).abs() < 1e-12, "{}", g.extrusion);
        // At full density the walls close up: no diagonals, nominal.
        let full = FillGeometry::new(FillPattern::Honeycomb, 1.0, 0.4);
        assert!((full.extrusion - 1.0).abs() < 1e-12);
        // The drawn column is as long as that.
        let stretch = path_over_chord(&honeycomb_column(2.0, 0.4, 100.0));
        assert!((stretch - g.extrusion).abs() < 1e-9);
        for other in [
            FillPattern::Rectilinear,
            FillPattern::Grid,
            FillPattern::Gyroid,
        ] {
            assert_eq!(FillGeometry::new(other, 0.2, 0.4).extrusion, 1.0);
        }
    }

    #[test]
    fn a_3d_honeycomb_line_jogs_at_45_degrees_every_grid_step() {
        // 20 % at 0.4 mm: lines 2 mm apart, one family; a jog of ¼ grid makes the line
        // 1 + ¼ (√2 − 1) longer than its chord, the mean over the heights.
        let g = FillGeometry::new(FillPattern::Honeycomb3d, 0.2, 0.4);
        assert_eq!(g.families, 1);
        assert!((g.pitch - 2.0).abs() < 1e-12);
        let stretch = path_over_chord(&octahedra_line(2.0, 0.25, 100.0));
        assert!((stretch - g.extrusion).abs() < 1e-9, "{stretch}");
        // Laid in bridge flow: round threads 0.35 mm across for a 0.4 mm spacing, on a
        // 0.2 mm layer π/4 · 0.35² / (0.4 · 0.2) = 1.2026 of the volume of normal lines.
        let fill = SparseFill::new(FillPattern::Honeycomb3d, 0.2, 0.4, [m(), m()], &no_hop);
        let flow = std::f64::consts::PI / 4.0 * 0.35 * 0.35 / (0.4 * 0.2);
        assert!((fill.volume_factor(0.2) - g.extrusion * flow).abs() < 1e-12);
        let flat = SparseFill::new(FillPattern::Honeycomb, 0.2, 0.4, [m(), m()], &no_hop);
        assert_eq!(flat.volume_factor(0.2), flat.geometry.extrusion);
        // Its jogs slow it below a straight line's time.
        let t3 = g.timer(&m(), &no_hop);
        let st = FillGeometry::new(FillPattern::Rectilinear, 0.2, 0.4).timer(&m(), &no_hop);
        assert!(t3.time(40.0) > st.time(40.0));
    }

    #[test]
    fn honeycomb_turns_cost_time() {
        let hc = FillGeometry::new(FillPattern::Honeycomb, 0.2, 0.4).timer(&m(), &no_hop);
        let st = FillGeometry::new(FillPattern::Rectilinear, 0.2, 0.4).timer(&m(), &no_hop);
        assert!(hc.time(40.0) > st.time(40.0));
    }
}
