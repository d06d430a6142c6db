//! Golden quotes with the embedded price book: each technology, supports, a multi-body
//! file, quantity 1 vs 100 and each lead time. The FDM numbers come from the FDM
//! estimator; when it changes, review and `cargo insta accept`.

mod common;

use pricing_core::analysis::{Part, Scaling};
use pricing_core::price::{LeadTime, PriceBook, QuoteRequest, Quoter};

fn fixture(name: &str) -> Part {
    if name == "cube-20mm.stl" {
        return common::load_part(&common::fixtures_dir().join(name), Scaling::Factor(1.0));
    }
    let row = common::manifest()
        .into_iter()
        .find(|r| r.file == name)
        .unwrap_or_else(|| panic!("{name} not in the manifest"));
    common::load_part(&common::corpus_dir().join(name), Scaling::Factor(row.scale))
}

fn request(material: &str) -> QuoteRequest {
    QuoteRequest {
        material: Some(material.into()),
        ..QuoteRequest::default()
    }
}

/// The price and the estimate figures that drive it (the analysis has its own tests).
fn golden(part: &Part, request: &QuoteRequest) -> serde_json::Value {
    let quoter = Quoter::new(PriceBook::embedded());
    let (e, q) = quoter
        .quote_with_estimate(part, request)
        .unwrap_or_else(|err| panic!("quote failed: {err}"));
    let sum: f64 = q.lines.iter().map(|l| l.amount).sum();
    assert!(
        (sum - q.total).abs() < 1e-6,
        "lines {sum} != total {}",
        q.total
    );
    serde_json::json!({
        "estimate": {
            "technology": e.technology,
            "layers": e.layers,
            "print_time_s": (e.print_time_s * 10.0).round() / 10.0,
            "material_mm3": e.material_mm3.round(),
            "material_g": (e.material_g * 100.0).round() / 100.0,
            "support_mm3": e.support_mm3.round(),
            "support_contact_area_mm2": e.support_contact_area_mm2.round(),
            "occupied_mm3": e.occupied_mm3.map(f64::round),
        },
        "price": q,
    })
}

macro_rules! golden {
    ($name:expr, $value:expr) => {
        insta::assert_json_snapshot!($name, $value, {
            // The version string moves with every release; its format is tested below.
            ".price.pricing_version" => "[pricing_version]",
        });
    };
}

#[test]
fn fdm_small_part() {
    golden!(
        "fdm_cube_pla",
        golden(&fixture("cube-20mm.stl"), &request("PLA"))
    );
}

#[test]
fn fdm_part_with_supports_and_without() {
    let part = fixture("unit_sphere.STL");
    golden!("fdm_sphere_supports", golden(&part, &request("PETG")));
    let off = QuoteRequest {
        supports: false,
        ..request("PETG")
    };
    golden!("fdm_sphere_no_supports", golden(&part, &off));
}

#[test]
fn sla_part_with_supports() {
    golden!(
        "sla_sphere_standard_resin",
        golden(&fixture("unit_sphere.STL"), &request("standard-resin"))
    );
}

#[test]
fn sla_small_part_tough_resin() {
    golden!(
        "sla_cube_tough_resin",
        golden(&fixture("cube-20mm.stl"), &request("tough-resin"))
    );
}

#[test]
fn sls_multibody() {
    golden!(
        "sls_multibody_pa12",
        golden(&fixture("multibody.stl"), &request("PA12"))
    );
}

#[test]
fn fdm_multibody() {
    golden!(
        "fdm_multibody_pla",
        golden(&fixture("multibody.stl"), &request("PLA"))
    );
}

#[test]
fn quantity_1_vs_100() {
    let part = fixture("angle_block.STL");
    for (name, quantity) in [("fdm_angle_block_q1", 1), ("fdm_angle_block_q100", 100)] {
        let r = QuoteRequest {
            quantity,
            ..request("PLA")
        };
        golden!(name, golden(&part, &r));
    }
    let r = QuoteRequest {
        quantity: 100,
        ..request("PA12")
    };
    golden!("sls_angle_block_q100", golden(&part, &r));
}

#[test]
fn each_lead_time() {
    let part = fixture("cube-20mm.stl");
    for lt in LeadTime::ALL {
        let r = QuoteRequest {
            lead_time: lt,
            quantity: 10,
            ..request("standard-resin")
        };
        golden!(format!("sla_cube_q10_{lt}"), golden(&part, &r));
    }
}

#[test]
fn pricing_version_is_engine_and_book_hash() {
    let book = PriceBook::embedded();
    let v = book.pricing_version();
    assert!(
        v.starts_with(concat!(env!("CARGO_PKG_VERSION"), "+pb.")),
        "{v}"
    );
    assert!(book.hash().starts_with(&v[v.len() - 16..]));
}
