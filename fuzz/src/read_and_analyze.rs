//! Feeds arbitrary bytes to `mesh::read_bytes` and, when they parse, through the full
//! analysis (weld, topology, repairs, units): the path every upload takes in the CLI and
//! the worker. Any panic, hang or runaway allocation is a finding.

use pricing_core::analysis::{self, Scaling};
use pricing_core::mesh::{self, ReadLimits};

fn main() {
    // Small limits keep each execution fast; the limit checks themselves are exercised
    // by the same code paths at any size.
    let limits = ReadLimits {
        max_bytes: 1 << 20,
        max_triangles: 50_000,
    };
    afl::fuzz!(|data: &[u8]| {
        if let Ok(loaded) = mesh::read_bytes(data, &limits) {
            let part = analysis::analyze(loaded.mesh, loaded.format, Scaling::Auto);
            assert!(part.analysis.triangles <= 50_000);
        }
    });
}
