//! Writes a fan of N triangles around one vertex as a binary STL (issue 14's high-degree
//! case), for timing the CLI on it:
//!
//! `cargo run --release -p pricing-core --example write_fan -- 200000 /tmp/fan-200k.stl`

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let out = args.next().unwrap_or_else(|| format!("fan-{n}.stl"));
    let mesh = pricing_core::mesh::generate::fan(n);
    std::fs::write(&out, pricing_core::mesh::stl_binary::write(&mesh))?;
    eprintln!("wrote {out}: {} triangles", mesh.triangles.len());
    Ok(())
}
