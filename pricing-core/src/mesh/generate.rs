//! Deterministic meshes generated in code, for benches and tests.
//!
//! Large benchmark inputs are generated rather than committed: a million-triangle STL is
//! 50 MB, and the same code gives the same bytes on every machine.

use super::Mesh;

/// A closed torus lying flat (axis along z), centred at `centre`, outward-facing.
///
/// `major` × `minor` quads, so `2 · major · minor` triangles. Its exact volume tends to
/// `2π²·R·r²` as the segment counts grow.
pub fn torus(centre: [f64; 3], big_r: f64, small_r: f64, major: usize, minor: usize) -> Mesh {
    torus_with(centre, big_r, major, minor, |_, _| small_r)
}

/// A torus whose tube radius varies around it: `r = 10 + 0.8·sin 7u·cos 5v` on a
/// 30 mm ring, so its underside has overhangs all round. `2 · nu · nv` triangles;
/// `bumpy_torus(1000, 500)` is the estimate bench's 1,000,000-triangle part.
pub fn bumpy_torus(nu: usize, nv: usize) -> Mesh {
    torus_with([0.0; 3], 30.0, nu, nv, |u, v| {
        10.0 + 0.8 * (7.0 * u).sin() * (5.0 * v).cos()
    })
}

/// The torus grid shared by [`torus`] and [`bumpy_torus`]: `tube(u, v)` gives the tube
/// radius at the angles around the ring (`u`) and around the tube (`v`).
fn torus_with(
    centre: [f64; 3],
    big_r: f64,
    major: usize,
    minor: usize,
    tube: impl Fn(f64, f64) -> f64,
) -> Mesh {
    let major = major.max(3);
    let minor = minor.max(3);
    let mut positions = Vec::with_capacity(major * minor);
    for i in 0..major {
        let u = i as f64 / major as f64 * std::f64::consts::TAU;
        for j in 0..minor {
            let v = j as f64 / minor as f64 * std::f64::consts::TAU;
            let r = tube(u, v);
            let ring = big_r + r * v.cos();
            positions.push([
                (centre[0] + ring * u.cos()) as f32,
                (centre[1] + ring * u.sin()) as f32,
                (centre[2] + r * v.sin()) as f32,
            ]);
        }
    }
    let at = |i: usize, j: usize| ((i % major) * minor + (j % minor)) as u32;
    let mut triangles = Vec::with_capacity(2 * major * minor);
    for i in 0..major {
        for j in 0..minor {
            let (a, b, c, d) = (at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j + 1));
            triangles.push([a, b, c]);
            triangles.push([a, c, d]);
        }
    }
    Mesh {
        positions,
        triangles,
    }
}

/// A lattice-like test part: `n × n × n` flat tori stacked in a cube, each ring resting
/// above the one below with a gap, so the part has many shells, overhangs and bridges like
/// the lattices customers upload. `2 · n³ · major · minor` triangles.
///
/// `torus_lattice(4, 128, 64)` has 1,048,576 triangles in a 100 mm cube.
pub fn torus_lattice(n: usize, major: usize, minor: usize) -> Mesh {
    let pitch = 25.0;
    let mut mesh = Mesh::default();
    for x in 0..n {
        for y in 0..n {
            for z in 0..n {
                let centre = [
                    pitch * (x as f64 + 0.5),
                    pitch * (y as f64 + 0.5),
                    pitch * (z as f64) + 4.0,
                ];
                let t = torus(centre, 9.0, 4.0, major, minor);
                let base = mesh.positions.len() as u32;
                mesh.positions.extend(t.positions);
                mesh.triangles
                    .extend(t.triangles.iter().map(|tri| tri.map(|v| v + base)));
            }
        }
    }
    mesh
}

/// An axis-aligned box from `min` to `max`, outward-facing, 12 triangles.
pub fn cuboid(min: [f64; 3], max: [f64; 3]) -> Mesh {
    let p = |x: usize, y: usize, z: usize| {
        [
            if x == 0 { min[0] } else { max[0] } as f32,
            if y == 0 { min[1] } else { max[1] } as f32,
            if z == 0 { min[2] } else { max[2] } as f32,
        ]
    };
    let positions = vec![
        p(0, 0, 0),
        p(1, 0, 0),
        p(1, 1, 0),
        p(0, 1, 0),
        p(0, 0, 1),
        p(1, 0, 1),
        p(1, 1, 1),
        p(0, 1, 1),
    ];
    let triangles = vec![
        [0, 2, 1],
        [0, 3, 2],
        [4, 5, 6],
        [4, 6, 7],
        [0, 1, 5],
        [0, 5, 4],
        [1, 2, 6],
        [1, 6, 5],
        [2, 3, 7],
        [2, 7, 6],
        [3, 0, 4],
        [3, 4, 7],
    ];
    Mesh {
        positions,
        triangles,
    }
}

/// A fan of `n` triangles around one hub vertex: a flat disc of radius 10 with the hub at
/// its centre, so the hub has degree `n` (the shape that made edge classification
/// quadratic in the vertex degree, issue 14). Open along the rim.
pub fn fan(n: usize) -> Mesh {
    let n = n.max(3);
    let mut positions = Vec::with_capacity(n + 1);
    positions.push([0.0f32, 0.0, 0.0]);
    for i in 0..n {
        let a = i as f64 / n as f64 * std::f64::consts::TAU;
        positions.push([(10.0 * a.cos()) as f32, (10.0 * a.sin()) as f32, 0.0]);
    }
    let triangles = (0..n as u32)
        .map(|i| [0, 1 + i, 1 + (i + 1) % n as u32])
        .collect();
    Mesh {
        positions,
        triangles,
    }
}
