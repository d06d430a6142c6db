//! Least squares on a handful of pairs, and the leave-one-out check that picks the time
//! model.
//!
//! Every fit minimises the *relative* error (each row divided by its target), because a
//! shop prices a 5-minute clip and a 10-hour housing with the same hourly rate: a
//! 30-second miss on both is not the same mistake.

/// One pair's features for the time model: what the estimate says, split the way the
/// printer's real behaviour splits it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeRow {
    /// Estimated seconds extruding walls (external and inner perimeters).
    pub walls_s: f64,
    /// Estimated seconds extruding fills (sparse, solid, top, bridges).
    pub fills_s: f64,
    /// Every other estimated second (travel, retractions, layer changes, supports, skirt).
    pub rest_s: f64,
    /// Layers.
    pub layers: f64,
    /// The time to learn, s (the slicer's estimate, or the printer's real time).
    pub target_s: f64,
}

impl TimeRow {
    /// The whole estimate, s.
    pub fn estimate_s(&self) -> f64 {
        self.walls_s + self.fills_s + self.rest_s
    }
}

/// The shapes of time model tried, simplest first. Each is physical: a machine that runs
/// faster or slower than its profile says (one factor), plus what a profile does not
/// state at all: time per print (homing, heating, purge) and per layer (z move, wipe,
/// the firmware's pause at a layer change); or walls and fills scaled apart, because
/// acceleration limits slow short perimeter segments and long infill lines differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeShape {
    /// `k · estimate`.
    Factor,
    /// `k · estimate + per_print`.
    FactorPerPrint,
    /// `k · estimate + per_layer · layers`.
    FactorPerLayer,
    /// `k · estimate + per_print + per_layer · layers`.
    FactorPerPrintPerLayer,
    /// `k_walls · walls + k_fills · fills + k_rest · rest + per_print`.
    RoleGroups,
}

impl TimeShape {
    /// Every shape, simplest first.
    pub const ALL: [TimeShape; 5] = [
        TimeShape::Factor,
        TimeShape::FactorPerPrint,
        TimeShape::FactorPerLayer,
        TimeShape::FactorPerPrintPerLayer,
        TimeShape::RoleGroups,
    ];

    /// The name written to the calibration file.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeShape::Factor => "factor",
            TimeShape::FactorPerPrint => "factor_per_print",
            TimeShape::FactorPerLayer => "factor_per_layer",
            TimeShape::FactorPerPrintPerLayer => "factor_per_print_per_layer",
            TimeShape::RoleGroups => "role_groups",
        }
    }

    /// The shape named `s`.
    pub fn parse(s: &str) -> Option<TimeShape> {
        TimeShape::ALL.into_iter().find(|t| t.as_str() == s)
    }

    fn features(self, r: &TimeRow) -> Vec<f64> {
        let e = r.estimate_s();
        match self {
            TimeShape::Factor => vec![e],
            TimeShape::FactorPerPrint => vec![e, 1.0],
            TimeShape::FactorPerLayer => vec![e, r.layers],
            TimeShape::FactorPerPrintPerLayer => vec![e, 1.0, r.layers],
            TimeShape::RoleGroups => vec![r.walls_s, r.fills_s, r.rest_s, 1.0],
        }
    }

    fn unknowns(self) -> usize {
        self.features(&TimeRow {
            walls_s: 0.0,
            fills_s: 0.0,
            rest_s: 0.0,
            layers: 0.0,
            target_s: 1.0,
        })
        .len()
    }
}

/// Fitted time constants.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeConstants {
    /// The shape fitted.
    pub shape: TimeShape,
    /// Scale of wall seconds.
    pub walls: f64,
    /// Scale of fill seconds.
    pub fills: f64,
    /// Scale of every other second.
    pub rest: f64,
    /// Seconds added per print.
    pub per_print_s: f64,
    /// Seconds added per layer.
    pub per_layer_s: f64,
}

impl TimeConstants {
    /// No change: the estimate as it is.
    pub const IDENTITY: TimeConstants = TimeConstants {
        shape: TimeShape::Factor,
        walls: 1.0,
        fills: 1.0,
        rest: 1.0,
        per_print_s: 0.0,
        per_layer_s: 0.0,
    };

    /// The calibrated time of a row, s.
    pub fn predict(&self, r: &TimeRow) -> f64 {
        self.walls * r.walls_s
            + self.fills * r.fills_s
            + self.rest * r.rest_s
            + self.per_print_s
            + self.per_layer_s * r.layers
    }

    fn from_solution(shape: TimeShape, x: &[f64]) -> TimeConstants {
        let mut c = TimeConstants {
            shape,
            ..TimeConstants::IDENTITY
        };
        match shape {
            TimeShape::Factor => c.set_factor(x[0]),
            TimeShape::FactorPerPrint => {
                c.set_factor(x[0]);
                c.per_print_s = x[1];
            }
            TimeShape::FactorPerLayer => {
                c.set_factor(x[0]);
                c.per_layer_s = x[1];
            }
            TimeShape::FactorPerPrintPerLayer => {
                c.set_factor(x[0]);
                c.per_print_s = x[1];
                c.per_layer_s = x[2];
            }
            TimeShape::RoleGroups => {
                c.walls = x[0];
                c.fills = x[1];
                c.rest = x[2];
                c.per_print_s = x[3];
            }
        }
        c
    }

    fn set_factor(&mut self, k: f64) {
        self.walls = k;
        self.fills = k;
        self.rest = k;
    }

    /// Every constant is one a machine can have: scales positive, added times not
    /// negative (a negative per-print time would price a small part below zero).
    fn physical(&self) -> bool {
        [self.walls, self.fills, self.rest]
            .iter()
            .all(|k| k.is_finite() && *k > 0.0)
            && [self.per_print_s, self.per_layer_s]
                .iter()
                .all(|s| s.is_finite() && *s >= 0.0)
    }
}

/// Fits `shape` to `rows` by least squares on relative error; `None` when the rows
/// cannot determine it (too few, or collinear) or the fit is not physical.
pub fn fit_time(shape: TimeShape, rows: &[TimeRow]) -> Option<TimeConstants> {
    let n = shape.unknowns();
    if rows.len() < n + 1 {
        return None;
    }
    if rows
        .iter()
        .any(|r| !(r.target_s.is_finite() && r.target_s > 0.0))
    {
        return None;
    }
    let features: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| shape.features(r).iter().map(|x| x / r.target_s).collect())
        .collect();
    // Least absolute relative error by iteratively reweighted least squares: one tiny
    // print the estimator misses by 60% must not drag every other pair's constant (the
    // plain squares did). Weights 1/|residual|, floored at 1% so exact rows stay finite.
    let mut weights = vec![1.0; rows.len()];
    let mut x = Vec::new();
    for _ in 0..IRLS_ROUNDS {
        let mut a = vec![vec![0.0; n]; n];
        let mut b = vec![0.0; n];
        for (f, w) in features.iter().zip(&weights) {
            for i in 0..n {
                for j in 0..n {
                    a[i][j] += w * f[i] * f[j];
                }
                b[i] += w * f[i];
            }
        }
        x = solve(a, b)?;
        for (f, w) in features.iter().zip(weights.iter_mut()) {
            let r: f64 = f.iter().zip(&x).map(|(fi, xi)| fi * xi).sum::<f64>() - 1.0;
            *w = 1.0 / r.abs().max(IRLS_FLOOR);
        }
    }
    let c = TimeConstants::from_solution(shape, &x);
    c.physical().then_some(c)
}

/// Rounds of reweighting: the constants settle to 1e-6 within a few dozen on the pairs
/// seen (a handful of unknowns).
const IRLS_ROUNDS: usize = 40;

/// Smallest residual a weight is computed from (1% relative error).
const IRLS_FLOOR: f64 = 0.01;

/// Relative error of `predicted` against `target`: (p − t) / t.
pub fn relative_error(predicted: f64, target: f64) -> f64 {
    (predicted - target) / target
}

/// Leave-one-out predictions of `shape`: each row predicted by the fit on the others
/// (`None` where that fit is undetermined or not physical).
pub fn loo_time(shape: TimeShape, rows: &[TimeRow]) -> Vec<Option<f64>> {
    (0..rows.len())
        .map(|i| {
            let others: Vec<TimeRow> = rows
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, r)| *r)
                .collect();
            fit_time(shape, &others).map(|c| c.predict(&rows[i]))
        })
        .collect()
}

/// How well a shape predicts pairs it was not fitted on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LooScore {
    /// The shape.
    pub shape: TimeShape,
    /// Root mean square of the leave-one-out relative errors.
    pub rms: f64,
}

/// The shape to use: among the shapes whose every leave-one-out fit is physical, the
/// simplest whose leave-one-out RMS error is within 10% of the best (an extra constant
/// must earn its place on pairs it did not see). Returns the scores of every shape tried.
pub fn choose_shape(rows: &[TimeRow]) -> (Option<TimeShape>, Vec<LooScore>) {
    let mut scores = Vec::new();
    for shape in TimeShape::ALL {
        if fit_time(shape, rows).is_none() {
            continue;
        }
        let loo = loo_time(shape, rows);
        let errs: Option<Vec<f64>> = loo
            .iter()
            .zip(rows)
            .map(|(p, r)| p.map(|p| relative_error(p, r.target_s)))
            .collect();
        let Some(errs) = errs else { continue };
        let rms = (errs.iter().map(|e| e * e).sum::<f64>() / errs.len() as f64).sqrt();
        scores.push(LooScore { shape, rms });
    }
    let best = scores.iter().map(|s| s.rms).fold(f64::INFINITY, f64::min);
    let chosen = scores
        .iter()
        .find(|s| s.rms <= best * 1.1)
        .map(|s| s.shape)
        .or_else(|| {
            // Too few pairs for leave-one-out of any shape: the single factor on all.
            fit_time(TimeShape::Factor, rows).map(|_| TimeShape::Factor)
        });
    (chosen, scores)
}

/// Solves `a · x = b` by Gaussian elimination with partial pivoting; `None` when `a` is
/// singular (features that do not tell the constants apart).
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    let scale = a
        .iter()
        .flat_map(|r| r.iter())
        .fold(0.0_f64, |m, x| m.max(x.abs()));
    if !(scale.is_finite() && scale > 0.0) {
        return None;
    }
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() <= 1e-12 * scale {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col].clone();
        for row in col + 1..n {
            let f = a[row][col] / pivot_row[col];
            for (x, p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| a[i][k] * x[k]).sum();
        x[i] = (b[i] - s) / a[i][i];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Median and 90th percentile (nearest rank) of absolute values.
pub fn median_p90(values: &[f64]) -> (f64, f64) {
    let mut v: Vec<f64> = values
        .iter()
        .map(|x| x.abs())
        .filter(|x| x.is_finite())
        .collect();
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    v.sort_by(f64::total_cmp);
    let median = if v.len() % 2 == 1 {
        v[v.len() / 2]
    } else {
        0.5 * (v[v.len() / 2 - 1] + v[v.len() / 2])
    };
    let rank = ((0.9 * v.len() as f64).ceil() as usize).clamp(1, v.len());
    (median, v[rank - 1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn rows(f: impl Fn(&TimeRow) -> f64) -> Vec<TimeRow> {
        (0..8)
            .map(|i| {
                let i = i as f64;
                let mut r = TimeRow {
                    walls_s: 100.0 + 70.0 * i,
                    fills_s: 40.0 + 25.0 * (i * 1.7).sin().abs() * i,
                    rest_s: 20.0 + 5.0 * i * i,
                    layers: 20.0 + 13.0 * ((i * 2.3).cos() + 1.0),
                    target_s: 0.0,
                };
                r.target_s = f(&r);
                r
            })
            .collect()
    }

    #[test]
    fn a_factor_and_a_per_print_time_are_recovered_exactly() {
        let r = rows(|r| 1.18 * r.estimate_s() + 30.0);
        let c = fit_time(TimeShape::FactorPerPrint, &r).expect("fits");
        assert_relative_eq!(c.walls, 1.18, max_relative = 1e-9);
        assert_relative_eq!(c.per_print_s, 30.0, max_relative = 1e-7);
        let (shape, _) = choose_shape(&r);
        // The per-print shape is exact; nothing simpler is within 10% of exact.
        assert_eq!(shape, Some(TimeShape::FactorPerPrint));
    }

    #[test]
    fn a_plain_factor_is_not_given_extra_constants() {
        let r = rows(|r| 0.9 * r.estimate_s());
        let (shape, scores) = choose_shape(&r);
        assert_eq!(shape, Some(TimeShape::Factor), "{scores:?}");
    }

    #[test]
    fn walls_and_fills_apart() {
        let r = rows(|r| 1.3 * r.walls_s + 0.8 * r.fills_s + r.rest_s + 12.0);
        let c = fit_time(TimeShape::RoleGroups, &r).expect("fits");
        assert_relative_eq!(c.walls, 1.3, max_relative = 1e-7);
        assert_relative_eq!(c.fills, 0.8, max_relative = 1e-7);
    }

    #[test]
    fn too_few_or_unphysical_fits_are_refused() {
        let r = rows(|r| r.estimate_s());
        assert!(fit_time(TimeShape::RoleGroups, &r[..3]).is_none());
        // A time that falls as the estimate grows needs a negative factor.
        let mut bad = rows(|r| 5000.0 - r.estimate_s());
        assert!(fit_time(TimeShape::FactorPerPrint, &bad).is_none());
        bad[0].target_s = -1.0;
        assert!(fit_time(TimeShape::Factor, &bad).is_none());
    }

    #[test]
    fn median_and_p90() {
        let (m, p) = median_p90(&[-0.1, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.5]);
        assert_relative_eq!(m, 0.065);
        assert_relative_eq!(p, 0.1);
    }
}
