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
    // `fuzz_nohook`: only panics that escape `read_bytes` or `analyze` are findings. tobj
    // panics on integer overflow in builds with overflow checks (cargo-afl turns them
    // on; texture indices near `usize::MAX`), and `mesh::obj` contains such panics as a
    // typed error, which is what the CLI and the worker rely on. With `fuzz!` every one
    // of those contained panics aborted the run.
    afl::fuzz_nohook!(|data: &[u8]| {
        if let Ok(loaded) = mesh::read_bytes(data, &limits) {
            let part = analysis::analyze(loaded.mesh, loaded.format, Scaling::Auto);
            assert!(part.analysis.triangles <= 50_000);
        }
    });
}
