//! Writes the generated 1,048,576-triangle torus lattice (the benches' large input) as a
//! binary STL, for measuring the CLI on it:
//!
//! `cargo run --release -p pricing-core --example write_lattice -- /tmp/lattice-1m.stl`

fn main() -> std::io::Result<()> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "lattice-1m.stl".to_string());
    let mesh = pricing_core::mesh::generate::torus_lattice(4, 128, 64);
    std::fs::write(&out, pricing_core::mesh::stl_binary::write(&mesh))?;
    eprintln!("wrote {out}: {} triangles", mesh.triangles.len());
    Ok(())
}
