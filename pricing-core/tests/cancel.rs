//! Cancellation: a cancelled token stops every stage (reading, analysis, each
//! technology's estimate, the quote) with the code `cancelled`, on the 1M-triangle
//! lattice, and a token that is never cancelled changes nothing.
//!
//! The tests assert outcomes, not timings; how fast a cancelled job stops is measured by
//! `cargo run --release -p pricing-core --example cancel_latency` (docs/benchmarks.md).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use pricing_core::analysis::{self, Part, Scaling};
use pricing_core::cancel::Cancel;
use pricing_core::estimate::{EstimateError, Options, fdm, sla, sls};
use pricing_core::mesh::{self, MeshError, ReadLimits, generate, stl_binary};
use pricing_core::price::{
    PriceBook, QuoteError, QuoteRequest, Quoter, quote_bytes, quote_bytes_with,
};
use pricing_core::profile::fdm::FdmProfile;
use pricing_core::profile::sla::SlaProfile;
use pricing_core::profile::sls::SlsProfile;

/// The 1,048,576-triangle torus lattice as a binary STL.
fn lattice_bytes() -> &'static [u8] {
    static B: OnceLock<Vec<u8>> = OnceLock::new();
    B.get_or_init(|| stl_binary::write(&generate::torus_lattice(4, 128, 64)))
}

fn lattice() -> &'static Part {
    static P: OnceLock<Part> = OnceLock::new();
    P.get_or_init(|| {
        let loaded = mesh::read_bytes(lattice_bytes(), &ReadLimits::default()).expect("reads");
        analysis::analyze(loaded.mesh, loaded.format, Scaling::Factor(1.0))
    })
}

fn cancelled() -> Cancel {
    let c = Cancel::new();
    c.cancel();
    c
}

/// A token that a helper thread cancels `after` from now.
fn cancelled_in(after: Duration) -> Cancel {
    let c = Cancel::new();
    let remote = c.clone();
    std::thread::spawn(move || {
        std::thread::sleep(after);
        remote.cancel();
    });
    c
}

#[test]
fn a_cancelled_token_stops_reading_and_analysis() {
    let c = cancelled();
    let err = mesh::read_bytes_with(lattice_bytes(), &ReadLimits::default(), &c)
        .expect_err("cancelled read");
    assert!(matches!(err, MeshError::Cancelled(_)), "{err}");
    assert_eq!(err.code(), "cancelled");
    let loaded = mesh::read_bytes(lattice_bytes(), &ReadLimits::default()).expect("reads");
    let err = analysis::analyze_with(loaded.mesh, loaded.format, Scaling::Auto, &c)
        .expect_err("cancelled analysis");
    assert_eq!(err, pricing_core::cancel::Cancelled);
}

#[test]
fn a_cancelled_token_stops_every_estimate() {
    let part = lattice();
    let options = Options {
        density_g_cm3: None,
        cancel: cancelled(),
    };
    let fdm = fdm::estimate_with_options(
        part,
        &FdmProfile::default(),
        true,
        &fdm::Calibration::default(),
        &options,
    );
    let sla = sla::estimate_with_options(part, &SlaProfile::default(), true, &options);
    let sls = sls::estimate_with_options(part, &SlsProfile::default(), [300.0; 3], &options);
    for (name, r) in [("fdm", fdm), ("sla", sla), ("sls", sls)] {
        let err = r.expect_err(name);
        assert!(matches!(err, EstimateError::Cancelled(_)), "{name}: {err}");
        assert_eq!(err.code(), "cancelled", "{name}");
    }
}

/// Cancelled while it runs: the FDM estimate of the lattice takes far longer than the
/// 20 ms before the cancel (a second or so), so it must end cancelled, not finished.
#[test]
fn an_fdm_estimate_cancelled_midway_returns_cancelled() {
    let part = lattice();
    let options = Options {
        density_g_cm3: None,
        cancel: cancelled_in(Duration::from_millis(20)),
    };
    let r = fdm::estimate_with_options(
        part,
        &FdmProfile::default(),
        true,
        &fdm::Calibration::default(),
        &options,
    );
    assert_eq!(r.expect_err("cancelled midway").code(), "cancelled");
}

#[test]
fn a_quote_cancelled_midway_or_by_its_deadline_returns_cancelled() {
    let quoter = Quoter::new(PriceBook::embedded());
    let request = QuoteRequest {
        material: Some("PLA".into()),
        ..QuoteRequest::default()
    };
    let limits = ReadLimits::default();
    for cancel in [
        cancelled(),
        cancelled_in(Duration::from_millis(20)),
        Cancel::with_deadline(Instant::now() + Duration::from_millis(20)),
    ] {
        let err = quote_bytes_with(
            &quoter,
            "lattice.stl",
            lattice_bytes(),
            &request,
            &limits,
            &cancel,
        )
        .expect_err("cancelled quote");
        assert!(matches!(err, QuoteError::Cancelled(_)), "{err}");
        assert_eq!(err.code(), "cancelled");
        assert!(!err.is_permanent(), "the caller decides whether to retry");
    }
}

/// Polling changes no figure: a live token that is never cancelled gives the same
/// document as `quote_bytes`, for each technology.
#[test]
fn a_token_that_is_never_cancelled_changes_nothing() {
    let quoter = Quoter::new(PriceBook::embedded());
    let cube = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/cube-20mm.stl"
    ))
    .expect("fixture");
    for material in ["PLA", "standard-resin", "PA12"] {
        let request = QuoteRequest {
            material: Some(material.into()),
            ..QuoteRequest::default()
        };
        let limits = ReadLimits::default();
        let plain = quote_bytes(&quoter, "cube.stl", &cube, &request, &limits).expect("quotes");
        let live = quote_bytes_with(
            &quoter,
            "cube.stl",
            &cube,
            &request,
            &limits,
            &Cancel::new(),
        )
        .expect("quotes");
        assert_eq!(
            serde_json::to_string(&plain).expect("json"),
            serde_json::to_string(&live).expect("json"),
            "{material}"
        );
    }
}
