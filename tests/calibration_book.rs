//! A price-book machine that names `calibration = "…"` prices with it; bad ones are
//! field errors with their path.

use pricing_core::analysis::{Scaling, analyze};
use pricing_core::calibration::{MachineCalibration, TimeConstants};
use pricing_core::mesh::{Format, generate};
use pricing_core::price::{PriceBook, QuoteRequest, Quoter};
use pricing_core::profile::fdm::FdmProfile;

fn book_with(dir: &std::path::Path, machine_line: &str) -> Result<PriceBook, String> {
    let text = pricing_core::price::EMBEDDED_TOML.replace(
        "[machines.mk4]\n",
        &format!("[machines.mk4]\n{machine_line}\n"),
    );
    let path = dir.join("book.toml");
    std::fs::write(&path, text).expect("write book");
    PriceBook::load(&path).map_err(|e| e.to_string())
}

#[test]
fn a_calibrated_machine_prices_with_its_constants() {
    let dir = tempfile::tempdir().expect("dir");
    let cal = MachineCalibration {
        time: TimeConstants {
            walls: 2.0,
            fills: 2.0,
            rest: 2.0,
            ..TimeConstants::IDENTITY
        },
        ..MachineCalibration::identity(FdmProfile::default())
    };
    std::fs::write(dir.path().join("mk4.toml"), cal.to_toml("test")).expect("write cal");
    let plain = book_with(dir.path(), "").expect("plain book");
    let calibrated = book_with(dir.path(), "calibration = \"mk4.toml\"").expect("calibrated book");
    assert_ne!(plain.hash(), calibrated.hash());
    let part = analyze(
        generate::cuboid([0.0; 3], [20.0, 20.0, 10.0]),
        Format::StlBinary,
        Scaling::Factor(1.0),
    );
    let request = QuoteRequest::default();
    let (a, _) = Quoter::new(plain)
        .quote_with_estimate(&part, &request)
        .expect("quote");
    let (b, _) = Quoter::new(calibrated)
        .quote_with_estimate(&part, &request)
        .expect("quote");
    assert!((b.print_time_s - 2.0 * a.print_time_s).abs() < 1e-9 * a.print_time_s);
    assert!(b.warnings.iter().any(|w| w.code == "calibrated"));

    let e = book_with(dir.path(), "calibration = \"missing.toml\"").expect_err("missing");
    assert!(e.contains("machines.mk4.calibration"), "{e}");
}
