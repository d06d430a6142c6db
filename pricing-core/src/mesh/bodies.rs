//! Splitting a multi-body file into its bodies, for `--split-bodies`: each body becomes
//! an item priced on its own.
//!
//! A body is a shell (triangles connected through shared edges), except that a cavity
//! stays with the body around it: a closed shell facing inward (negative volume) whose
//! box lies inside the box of a larger outward closed shell belongs to the smallest such
//! shell. That is the same rule the analysis uses to tell cavities from inside-out shells
//! (`topology::flip_inside_out`), so a hollow part is one body with its void, and a loose
//! ball inside a cage (an outward shell) is a body of its own.

use super::Mesh;
use super::topology;

/// The bodies of `mesh`: each as its triangle indices, ascending; bodies ordered by their
/// first triangle. One body for a mesh of one shell.
pub fn split(mesh: &Mesh) -> Vec<Vec<u32>> {
    if mesh.triangles.is_empty() {
        return Vec::new();
    }
    let (shell_of, shells) = topology::shells(mesh);
    let inside = |inner: &topology::Shell, outer: &topology::Shell| {
        (0..3).all(|k| {
            outer.bounds.0[k] <= inner.bounds.0[k] && inner.bounds.1[k] <= outer.bounds.1[k]
        })
    };
    // Outward closed shells, smallest first, so a cavity finds its tightest host first.
    let mut hosts: Vec<usize> = (0..shells.len())
        .filter(|&i| shells[i].is_closed() && shells[i].signed_volume > 0.0)
        .collect();
    hosts.sort_by(|&a, &b| shells[a].signed_volume.total_cmp(&shells[b].signed_volume));
    // The body each shell belongs to, as the shell that leads it.
    let owner: Vec<usize> = (0..shells.len())
        .map(|i| {
            let s = &shells[i];
            if !(s.is_closed() && s.signed_volume < 0.0) {
                return i;
            }
            hosts
                .iter()
                .copied()
                .find(|&h| shells[h].signed_volume > -s.signed_volume && inside(s, &shells[h]))
                .unwrap_or(i)
        })
        .collect();
    // Number bodies by their first triangle.
    let mut body_of_owner = vec![u32::MAX; shells.len()];
    let mut bodies: Vec<Vec<u32>> = Vec::new();
    for (t, &s) in shell_of.iter().enumerate() {
        let o = owner[s as usize];
        if body_of_owner[o] == u32::MAX {
            body_of_owner[o] = bodies.len() as u32;
            bodies.push(Vec::new());
        }
        bodies[body_of_owner[o] as usize].push(t as u32);
    }
    bodies
}

/// The sub-mesh of the triangles `triangles` (indices into `mesh.triangles`), with only
/// the vertices they use, numbered in order of first use.
pub fn extract(mesh: &Mesh, triangles: &[u32]) -> Mesh {
    let mut new_id = vec![u32::MAX; mesh.positions.len()];
    let mut positions = Vec::new();
    let mut tris = Vec::with_capacity(triangles.len());
    for &t in triangles {
        let Some(tri) = mesh.triangles.get(t as usize) else {
            continue;
        };
        tris.push(tri.map(|v| {
            let id = &mut new_id[v as usize];
            if *id == u32::MAX {
                *id = positions.len() as u32;
                positions.push(mesh.positions[v as usize]);
            }
            *id
        }));
    }
    Mesh {
        positions,
        triangles: tris,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::generate::cuboid;

    fn join(meshes: &[Mesh]) -> Mesh {
        let mut out = Mesh::default();
        for m in meshes {
            let base = out.positions.len() as u32;
            out.positions.extend(&m.positions);
            out.triangles
                .extend(m.triangles.iter().map(|t| t.map(|v| v + base)));
        }
        out
    }

    fn inward(mut m: Mesh) -> Mesh {
        for t in &mut m.triangles {
            t.swap(1, 2);
        }
        m
    }

    #[test]
    fn two_boxes_are_two_bodies_and_a_cavity_stays_with_its_box() {
        let a = cuboid([0.0; 3], [10.0; 3]);
        let cavity = inward(cuboid([2.0; 3], [8.0; 3]));
        let b = cuboid([20.0, 0.0, 0.0], [25.0, 5.0, 5.0]);
        // A loose box inside `a`'s void, facing outward: a body of its own.
        let ball = cuboid([4.0; 3], [5.0; 3]);
        let mesh = join(&[a, cavity, b, ball]);
        let bodies = split(&mesh);
        assert_eq!(bodies.len(), 3);
        assert_eq!(bodies[0], (0..24).collect::<Vec<u32>>());
        assert_eq!(bodies[1], (24..36).collect::<Vec<u32>>());
        assert_eq!(bodies[2], (36..48).collect::<Vec<u32>>());
        let first = extract(&mesh, &bodies[0]);
        assert_eq!((first.positions.len(), first.triangles.len()), (16, 24));
        let second = extract(&mesh, &bodies[1]);
        assert_eq!(second.positions[0], [20.0, 0.0, 0.0]);
        assert_eq!(second.triangles[0], [0, 1, 2]);
    }

    #[test]
    fn one_shell_is_one_body() {
        assert_eq!(split(&cuboid([0.0; 3], [1.0; 3])).len(), 1);
        assert!(split(&Mesh::default()).is_empty());
    }
}
