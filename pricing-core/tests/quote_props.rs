//! Price rules as properties, over real parts, every material of the embedded book,
//! quantities, lead times and scales.

mod common;

use std::sync::OnceLock;

use pricing_core::analysis::{self, Part, Scaling};
use pricing_core::mesh::{self, ReadLimits};
use pricing_core::price::{LeadTime, PriceBook, Quote, QuoteError, QuoteRequest, Quoter};
use proptest::prelude::*;

/// Small parts of different shapes: a cube, a sphere (overhangs), a bracket, several bodies.
const FILES: [(&str, f64); 4] = [
    ("20mm-xyz-cube.stl", 1.0),
    ("unit_sphere.STL", 20.0),
    ("angle_block.STL", 25.4),
    ("multibody.stl", 80.0),
];
const MATERIALS: [&str; 5] = ["PLA", "PETG", "standard-resin", "tough-resin", "PA12"];

fn bytes() -> &'static Vec<Vec<u8>> {
    static B: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    B.get_or_init(|| {
        FILES
            .iter()
            .map(|(f, _)| std::fs::read(common::corpus_dir().join(f)).expect("corpus file"))
            .collect()
    })
}

fn quoter() -> &'static Quoter {
    static Q: OnceLock<Quoter> = OnceLock::new();
    Q.get_or_init(|| Quoter::new(PriceBook::embedded()))
}

fn part(file: usize, scale: f64) -> Part {
    let loaded = mesh::read_bytes(&bytes()[file], &ReadLimits::default()).expect("mesh");
    analysis::analyze(
        loaded.mesh,
        loaded.format,
        Scaling::Factor(FILES[file].1 * scale),
    )
}

fn quote(part: &Part, material: &str, quantity: u32, lead_time: LeadTime) -> Quote {
    let r = QuoteRequest {
        material: Some(material.into()),
        quantity,
        lead_time,
        ..QuoteRequest::default()
    };
    quoter()
        .quote(part, &r)
        .unwrap_or_else(|e| panic!("{material} ×{quantity}: {e}"))
}

fn lead_time() -> impl Strategy<Value = LeadTime> {
    prop::sample::select(LeadTime::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn unit_price_never_rises_with_quantity(
        file in 0..FILES.len(),
        material in prop::sample::select(MATERIALS.to_vec()),
        q1 in 1u32..400,
        extra in 0u32..400,
        lt in lead_time(),
    ) {
        let p = part(file, 1.0);
        let a = quote(&p, material, q1, lt);
        let b = quote(&p, material, q1 + extra, lt);
        prop_assert!(b.unit_price <= a.unit_price, "{} at {} > {} at {}", b.unit_price, q1 + extra, a.unit_price, q1);
    }

    #[test]
    fn rush_costs_at_least_express_at_least_standard(
        file in 0..FILES.len(),
        material in prop::sample::select(MATERIALS.to_vec()),
        q in 1u32..300,
    ) {
        let p = part(file, 1.0);
        let [s, e, r] = LeadTime::ALL.map(|lt| quote(&p, material, q, lt));
        prop_assert!(e.total >= s.total && r.total >= e.total, "{} {} {}", s.total, e.total, r.total);
        prop_assert!(r.lead_time_days <= e.lead_time_days && e.lead_time_days <= s.lead_time_days);
    }

    #[test]
    fn breakdown_sums_to_total(
        file in 0..FILES.len(),
        material in prop::sample::select(MATERIALS.to_vec()),
        q in 1u32..5000,
        lt in lead_time(),
        scale in 0.3f64..2.0,
    ) {
        let p = part(file, scale);
        let r = QuoteRequest { material: Some(material.into()), quantity: q, lead_time: lt, ..QuoteRequest::default() };
        let quote = match quoter().quote(&p, &r) {
            Ok(quote) => quote,
            // A large scale may outgrow the resin printer; that is the fit test's business.
            Err(QuoteError::DoesNotFit { .. }) => return Ok(()),
            Err(e) => return Err(TestCaseError::fail(e.to_string())),
        };
        let sum: f64 = quote.lines.iter().map(|l| l.amount).sum();
        // Lines are whole cents; only float addition can differ.
        prop_assert!((sum - quote.total).abs() < 1e-6, "lines {} != total {}", sum, quote.total);
        prop_assert!((quote.unit_price * f64::from(q) - quote.total).abs() < 1e-6);
        let rounding = quote.lines.iter().find(|l| l.label == "rounding").map(|l| l.amount).unwrap_or(0.0);
        // The residue comes from rounding the unit price and each line: at most half a
        // cent per part plus half a cent per line.
        prop_assert!(rounding.abs() <= 0.005 * f64::from(q) + 0.05 + 1e-9, "rounding {}", rounding);
    }

    #[test]
    fn a_part_scaled_twice_never_costs_less(
        file in 0..FILES.len(),
        material in prop::sample::select(MATERIALS.to_vec()),
        scale in 0.3f64..1.0,
        q in 1u32..200,
        lt in lead_time(),
    ) {
        let small = part(file, scale);
        let large = part(file, 2.0 * scale);
        let r = QuoteRequest { material: Some(material.into()), quantity: q, lead_time: lt, ..QuoteRequest::default() };
        let a = quoter().quote(&small, &r);
        let b = quoter().quote(&large, &r);
        match (a, b) {
            (Ok(a), Ok(b)) => prop_assert!(b.total >= a.total, "×2 costs {} < {}", b.total, a.total),
            // Growing out of every machine is the only acceptable failure.
            (Ok(_), Err(QuoteError::DoesNotFit { .. })) => {}
            (a, b) => prop_assert!(false, "unexpected {:?} / {:?}", a.err(), b.err()),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// A price book is user input: any text gives a book or a list of errors, never a panic.
    #[test]
    fn price_book_parsing_never_panics(text in "\\PC{0,400}") {
        let _ = PriceBook::from_toml_str(&text);
    }

    /// Mutating the embedded book line by line: still no panic, and every error has a path.
    #[test]
    fn mutated_price_book_errors_have_paths(line in 0usize..120, junk in "[-a-z0-9=\\[\\]\". ]{0,12}") {
        let text: String = pricing_core::price::EMBEDDED_TOML
            .lines()
            .enumerate()
            .map(|(i, l)| if i == line { format!("{l}{junk}\n") } else { format!("{l}\n") })
            .collect();
        if let Err(e) = PriceBook::from_toml_str(&text) {
            prop_assert!(!e.errors.is_empty());
            prop_assert!(e.errors.iter().all(|f| !f.path.is_empty() && !f.message.is_empty()));
        }
    }

    /// Job params from the queue are untrusted: arbitrary bytes as a mesh never panic.
    #[test]
    fn quote_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let r = QuoteRequest::default();
        let _ = pricing_core::price::quote_bytes(quoter(), "x", &bytes, &r, &ReadLimits::default());
    }
}
