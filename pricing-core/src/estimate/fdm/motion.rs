//! Motion timing the way a firmware planner (and PrusaSlicer's G-code time estimator) sees
//! it: every move is a trapezoid (accelerate, cruise, decelerate) between junction speeds
//! that the classic per-axis jerk limit allows.
//!
//! Nominal speeds alone come out 20-25% short on real parts: short lines never reach
//! cruise, and every sharp corner slows to about the jerk speed.

/// Speed and acceleration of one kind of move.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Motion {
    /// Cruise speed, mm/s.
    pub speed: f64,
    /// Acceleration, mm/s².
    pub accel: f64,
    /// X/Y jerk, mm/s: the speed change the planner takes without slowing down.
    pub jerk: f64,
}

impl Motion {
    /// The highest speed at which a move in direction `d` (unit) may start from or end
    /// at rest: no axis may jump by more than the jerk.
    pub fn safe_speed(&self, d: [f64; 2]) -> f64 {
        let m = d[0].abs().max(d[1].abs()).max(1e-9);
        (self.jerk / m).min(self.speed)
    }

    /// Junction speed between two moves at this speed in unit directions `a` then `b`,
    /// PrusaSlicer's GCodeProcessor rule: scale the shared speed until every axis's
    /// velocity jump is within the jerk; if that is below both moves' safe speeds, the
    /// machine stops and starts anyway, so use the safe speed.
    pub fn junction(&self, a: [f64; 2], b: [f64; 2]) -> f64 {
        let v = self.speed;
        let mut factor: f64 = 1.0;
        for k in 0..2 {
            let (ve, vn) = (a[k] * v, b[k] * v);
            let jump = if (ve > 0.0 && vn < 0.0) || (ve < 0.0 && vn > 0.0) {
                ve.abs().max(vn.abs())
            } else {
                (ve - vn).abs()
            };
            if jump * factor > self.jerk {
                factor = factor.min(self.jerk / jump);
            }
        }
        let vj = v * factor;
        let (sa, sb) = (self.safe_speed(a), self.safe_speed(b));
        if sa > vj * 0.99 && sb > vj * 0.99 {
            sb
        } else {
            vj
        }
    }
}

/// Time of a trapezoid move of `len` mm from `v0` to `v1` with cruise `v` and acceleration `a`.
pub fn segment_time(len: f64, v0: f64, v1: f64, v: f64, a: f64) -> f64 {
    if len <= 0.0 || v <= 0.0 {
        return 0.0;
    }
    let a = a.max(1e-6);
    let v0 = v0.clamp(0.0, v);
    let v1 = v1.clamp(0.0, v);
    let d_full = (2.0 * v * v - v0 * v0 - v1 * v1) / (2.0 * a);
    if len >= d_full {
        return len / v + ((v - v0).powi(2) + (v - v1).powi(2)) / (2.0 * a * v);
    }
    let vp2 = (2.0 * a * len + v0 * v0 + v1 * v1) / 2.0;
    let vp = vp2.sqrt();
    if vp < v0.max(v1) {
        // The ends are not both reachable; the planner lowers one: constant acceleration.
        return 2.0 * len / (v0 + v1).max(1e-6);
    }
    (2.0 * vp - v0 - v1) / a
}

/// Time of a closed or open polyline given by segment lengths and unit directions, with
/// forward and backward passes so that every junction speed is reachable, as a planner
/// does. `closed` loops start and end at rest (a travel precedes them).
pub fn polyline_time(m: &Motion, lens: &[f64], dirs: &[[f64; 2]]) -> f64 {
    let n = lens.len();
    if n == 0 {
        return 0.0;
    }
    // vj[i] is the speed entering segment i; vj[n] leaving the last.
    let mut vj = vec![0.0f64; n + 1];
    vj[0] = m.safe_speed(dirs[0]);
    vj[n] = m.safe_speed(dirs[n - 1]);
    for i in 1..n {
        vj[i] = m.junction(dirs[i - 1], dirs[i]);
    }
    // Compare squares: most junctions are reachable, and the root is only then needed.
    for i in (0..n).rev() {
        let reach2 = vj[i + 1] * vj[i + 1] + 2.0 * m.accel * lens[i];
        if vj[i] * vj[i] > reach2 {
            vj[i] = reach2.sqrt();
        }
    }
    for i in 0..n {
        let reach2 = vj[i] * vj[i] + 2.0 * m.accel * lens[i];
        if vj[i + 1] * vj[i + 1] > reach2 {
            vj[i + 1] = reach2.sqrt();
        }
    }
    (0..n)
        .map(|i| segment_time(lens[i], vj[i], vj[i + 1], m.speed, m.accel))
        .sum()
}

/// Time of a straight line of `len` mm that starts and ends at the junction speed `vj`.
pub fn line_time(m: &Motion, len: f64, vj: f64) -> f64 {
    segment_time(len, vj, vj, m.speed, m.accel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_line_is_nominal_plus_ramps() {
        let m = Motion {
            speed: 80.0,
            accel: 1000.0,
            jerk: 8.0,
        };
        let t = line_time(&m, 100.0, 8.0);
        let expect = 100.0 / 80.0 + 2.0 * (72.0f64).powi(2) / (2.0 * 1000.0 * 80.0);
        assert!((t - expect).abs() < 1e-9);
        // A short line never cruises: slower than nominal.
        assert!(line_time(&m, 1.0, 8.0) > 1.0 / 80.0 * 2.0);
    }

    #[test]
    fn right_angle_slows_to_jerk() {
        let m = Motion {
            speed: 80.0,
            accel: 1000.0,
            jerk: 8.0,
        };
        let v = m.junction([1.0, 0.0], [0.0, 1.0]);
        assert!((v - 8.0).abs() < 1e-9, "{v}");
        let v = m.junction([1.0, 0.0], [1.0, 0.0]);
        assert!((v - 80.0).abs() < 1e-9);
    }
}
