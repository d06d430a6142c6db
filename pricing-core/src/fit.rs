//! Fit check: does a part fit a machine's build volume in some axis-aligned orientation?
//!
//! Only the six axis permutations are tried: they are what an operator does by hand, and
//! they keep the quote reproducible (a free rotation search would change the estimate
//! with every engine release).

use serde::Serialize;

use crate::analysis::Part;

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

/// The part turned to `o`, back on the bed: mesh, bounding box and centroid. Odd
/// permutations mirror, so one horizontal axis is negated to keep it a rotation (and the
/// triangles facing outward).
///
/// Only what the estimators read is turned (the mesh, `bbox_mm`, `centroid_mm`); the
/// topology's per-shell statistics keep the file's frame.
pub fn rotate(part: &Part, o: Orientation) -> Part {
    let a = o.axes;
    let odd = matches!(a, [1, 0, 2] | [0, 2, 1] | [2, 1, 0]);
    let turn = |v: [f64; 3]| {
        let x = v[a[0]];
        [if odd { -x } else { x }, v[a[1]], v[a[2]]]
    };
    let mut p = part.clone();
    p.mesh.transform(turn);
    let centroid = turn(p.analysis.centroid_mm);
    if let Some((min, max)) = p.mesh.bounds() {
        let lift = [-min[0], -min[1], -min[2]];
        p.mesh
            .transform(|v| [v[0] + lift[0], v[1] + lift[1], v[2] + lift[2]]);
        let size = [0, 1, 2].map(|k| max[k] - min[k]);
        p.analysis.bbox_mm.min = [0.0; 3];
        p.analysis.bbox_mm.max = size;
        p.analysis.bbox_mm.size = size;
        p.analysis.centroid_mm = [0, 1, 2].map(|k| centroid[k] + lift[k]);
    }
    p
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

    /// A rotated part is the part re-measured in its new pose: its box and centroid equal
    /// what analysing the turned mesh gives, for every orientation.
    #[test]
    fn rotate_turns_the_mesh_box_and_centroid_together() {
        use crate::analysis::{Scaling, analyze};
        use crate::mesh::generate::cuboid;
        use crate::mesh::{Format, Mesh};
        // An L: a slab and a post off to one side, so the centroid is off every axis.
        let (slab, post) = (
            cuboid([0.0; 3], [30.0, 10.0, 4.0]),
            cuboid([0.0, 0.0, 4.0], [6.0, 10.0, 20.0]),
        );
        let mut mesh = Mesh::default();
        for m in [slab, post] {
            let base = mesh.positions.len() as u32;
            mesh.positions.extend_from_slice(&m.positions);
            mesh.triangles
                .extend(m.triangles.iter().map(|t| t.map(|v| v + base)));
        }
        let part = analyze(mesh, Format::StlBinary, Scaling::Factor(1.0));
        for o in Orientation::ALL {
            let turned = rotate(&part, o);
            let again = analyze(turned.mesh.clone(), Format::StlBinary, Scaling::Factor(1.0));
            for k in 0..3 {
                approx::assert_abs_diff_eq!(
                    turned.analysis.centroid_mm[k],
                    again.analysis.centroid_mm[k],
                    epsilon = 1e-4
                );
                approx::assert_abs_diff_eq!(
                    turned.analysis.bbox_mm.size[k],
                    again.analysis.bbox_mm.size[k],
                    epsilon = 1e-4
                );
            }
            assert_eq!(
                turned.analysis.bbox_mm.size,
                o.apply(part.analysis.bbox_mm.size)
            );
            approx::assert_relative_eq!(
                again.analysis.volume_mm3,
                part.analysis.volume_mm3,
                max_relative = 1e-9
            );
        }
    }

    #[test]
    fn too_large_in_every_orientation() {
        assert_eq!(fit([300.0, 300.0, 10.0], [250.0, 210.0, 400.0]), None);
    }
}
