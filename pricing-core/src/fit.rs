//! Fit check: does a part fit a machine's build volume in some axis-aligned orientation?
//!
//! Only the six axis permutations are tried: they are what an operator does by hand, and
//! they keep the quote reproducible (a free rotation search would change the estimate
//! with every engine release).

use serde::Serialize;

/// An axis-aligned orientation: `axes[i]` is the part axis (0 = x, 1 = y, 2 = z) that lies
/// along machine axis `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Orientation {
    /// Part axis along each machine axis.
    pub axes: [usize; 3],
}

impl Orientation {
    /// The part as it lies in the file.
    pub const AS_IS: Orientation = Orientation { axes: [0, 1, 2] };

    /// The six orientations, the file's own first, then those that keep z upright, then
    /// the rest: the fewer axes moved, the fewer surprises for the operator.
    pub const ALL: [Orientation; 6] = [
        Orientation { axes: [0, 1, 2] },
        Orientation { axes: [1, 0, 2] },
        Orientation { axes: [0, 2, 1] },
        Orientation { axes: [2, 1, 0] },
        Orientation { axes: [1, 2, 0] },
        Orientation { axes: [2, 0, 1] },
    ];

    /// The part size seen along the machine axes.
    pub fn apply(self, size: [f64; 3]) -> [f64; 3] {
        self.axes.map(|a| size[a])
    }

    /// Whether this is the file's own orientation.
    pub fn is_as_is(self) -> bool {
        self == Self::AS_IS
    }

    /// Human-readable name, e.g. `x,z,y` (part axes along machine x, y, z).
    pub fn name(self) -> String {
        let n = ["x", "y", "z"];
        format!(
            "{},{},{}",
            n[self.axes[0]], n[self.axes[1]], n[self.axes[2]]
        )
    }
}

/// The first orientation in which a part of `size` fits in `build_volume` (both in mm,
/// x, y, z), or `None`.
pub fn fit(size: [f64; 3], build_volume: [f64; 3]) -> Option<Orientation> {
    Orientation::ALL.into_iter().find(|o| {
        o.apply(size)
            .iter()
            .zip(build_volume)
            .all(|(s, b)| *s <= b + 1e-9)
    })
}

/// Formats a size as `250.0 × 210.0 × 220.0 mm`.
pub fn format_size(size: [f64; 3]) -> String {
    format!("{:.1} × {:.1} × {:.1} mm", size[0], size[1], size[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_as_is_first() {
        assert_eq!(fit([10.0, 10.0, 10.0], [20.0; 3]), Some(Orientation::AS_IS));
    }

    #[test]
    fn long_part_is_laid_along_the_long_axis() {
        let o = fit([300.0, 10.0, 10.0], [100.0, 100.0, 320.0]).unwrap();
        assert_eq!(o.apply([300.0, 10.0, 10.0]), [10.0, 10.0, 300.0]);
    }

    #[test]
    fn too_large_in_every_orientation() {
        assert_eq!(fit([300.0, 300.0, 10.0], [250.0, 210.0, 400.0]), None);
    }
}
