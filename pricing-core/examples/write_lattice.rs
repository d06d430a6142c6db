//! Writes one of the benches' large generated inputs as a binary STL, for measuring the
//! CLI on it (both are 500 layers deep at 0.2 mm in a 100 mm cube):
//!
//! - `cargo run --release -p pricing-core --example write_lattice -- /tmp/lattice-1m.stl`:
//!   the 1,048,576-triangle torus lattice;
//! - `cargo run --release -p pricing-core --example write_lattice -- --gyroid /tmp/gyroid-1m.stl`:
//!   the gyroid sheet lattice of about 1.1M triangles.

fn main() -> std::io::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let gyroid = args.first().is_some_and(|a| a == "--gyroid");
    if gyroid {
        args.remove(0);
    }
    let out = args
        .first()
        .cloned()
        .unwrap_or_else(|| "lattice-1m.stl".to_string());
    let mesh = if gyroid {
        pricing_core::mesh::generate::gyroid_lattice(101.0, 20.0, 0.6, 64)
    } else {
        pricing_core::mesh::generate::torus_lattice(4, 128, 64)
    };
    std::fs::write(&out, pricing_core::mesh::stl_binary::write(&mesh))?;
    eprintln!("wrote {out}: {} triangles", mesh.triangles.len());
    Ok(())
}
