//! End-to-end tests of `pricing estimate`.

mod common;

use common::run as pricing;

fn corpus(f: &str) -> String {
    common::corpus_dir().join(f).display().to_string()
}

#[test]
fn json_has_analysis_estimate_and_every_role() {
    let (code, out, err) = pricing(&[
        "estimate",
        "--json",
        "--scale",
        "1",
        &corpus("20mm-xyz-cube.stl"),
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert!(v["analysis"]["volume_mm3"].as_f64().unwrap_or(0.0) > 7000.0);
    assert!(v["elapsed_ms"].as_f64().is_some());
    let e = &v["estimate"];
    assert_eq!(e["technology"], "fdm");
    assert_eq!(e["layers"], 100);
    for role in [
        "perimeter",
        "external_perimeter",
        "sparse_infill",
        "solid_infill",
        "top_solid_infill",
        "bridge",
        "support",
        "support_interface",
        "skirt",
    ] {
        assert!(
            e["by_role"][role]["mm3"].as_f64().is_some(),
            "missing {role}"
        );
    }
    let total = e["material_mm3"].as_f64().unwrap_or(0.0);
    let sup = e["support_mm3"].as_f64().unwrap_or(0.0);
    assert!(total > 2500.0 && total < 4500.0, "{total}");
    assert!(sup > 0.0 && sup < total);
}

#[test]
fn supports_off_has_no_support_material() {
    let (code, out, _) = pricing(&[
        "estimate",
        "--json",
        "--supports",
        "off",
        &corpus("unit_sphere.STL"),
        "--scale",
        "20",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON");
    assert_eq!(v["estimate"]["support_mm3"].as_f64(), Some(0.0));
    assert_eq!(
        v["estimate"]["support_contact_area_mm2"].as_f64(),
        Some(0.0)
    );
}

#[test]
fn the_profile_decides_supports_unless_the_flag_is_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ini = dir.path().join("no-supports.ini");
    std::fs::write(&ini, "support_material = 0\nsupport_material_auto = 1\n").expect("write");
    let ini = ini.display().to_string();
    let sphere = corpus("unit_sphere.STL");
    let run = |extra: &[&str]| {
        let mut args = vec!["estimate", "--json", &sphere, "--scale", "20"];
        args.extend_from_slice(extra);
        let (code, out, err) = pricing(&args);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON");
        (v["estimate"]["support_mm3"].as_f64().unwrap_or(-1.0), err)
    };
    // No profile: on, as before.
    let (default_mm3, _) = run(&[]);
    assert!(default_mm3 > 0.0, "{default_mm3}");
    // The profile's support_material = 0 is honoured, with no warning.
    let (profile_mm3, err) = run(&["--profile", &ini]);
    assert_eq!(profile_mm3, 0.0);
    assert!(!err.contains("supports_override"), "{err}");
    // `--set` is a source like the profile.
    let (set_mm3, _) = run(&["--set", "support_material=0"]);
    assert_eq!(set_mm3, 0.0);
    // The explicit flag wins and says that it overrides the profile.
    let (forced_mm3, err) = run(&["--profile", &ini, "--supports", "on"]);
    assert_eq!(forced_mm3, default_mm3);
    assert!(err.contains("supports_override"), "{err}");
    // Supports enabled but only from painted enforcers: none, and a warning.
    let (enforcers_mm3, err) = run(&[
        "--set",
        "support_material=1",
        "--set",
        "support_material_auto=0",
    ]);
    assert_eq!(enforcers_mm3, 0.0);
    assert!(err.contains("support_enforcers_only"), "{err}");
}

#[test]
fn a_surface_without_volume_is_a_clear_error() {
    let (code, out, _) = pricing(&[
        "estimate",
        "--json",
        "--scale",
        "100",
        &corpus("chair_model.obj"),
    ]);
    assert_eq!(code, 3);
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON error");
    assert_eq!(v["error"]["code"], "no_volume");
    let (code, _, err) = pricing(&["estimate", "--scale", "100", &corpus("chair_model.obj")]);
    assert_eq!(code, 3);
    assert!(err.contains("no printable volume"), "{err}");
}

#[test]
fn open_mesh_gets_an_estimate_with_warnings() {
    let (code, out, _) = pricing(&["estimate", "--json", "--scale", "1", &corpus("teapot.stl")]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON");
    assert!(v["estimate"]["material_mm3"].as_f64().unwrap_or(0.0) > 1000.0);
    assert!(
        v["analysis"]["warnings"]
            .as_array()
            .is_some_and(|w| !w.is_empty())
    );
}

#[test]
fn profile_from_ini_and_toml() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ini = dir.path().join("p.ini");
    std::fs::write(&ini, "fill_density = 40%\nperimeters = 3\n").expect("write");
    let toml = dir.path().join("p.toml");
    std::fs::write(&toml, "fill_density = 40\nperimeters = 3\n").expect("write");
    let run = |p: &std::path::Path| {
        let (code, out, err) = pricing(&[
            "estimate",
            "--json",
            "--supports",
            "off",
            "--profile",
            &p.display().to_string(),
            &corpus("20mm-xyz-cube.stl"),
        ]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON");
        v["estimate"]["material_mm3"].as_f64().unwrap_or(0.0)
    };
    let (a, b) = (run(&ini), run(&toml));
    assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    let (_, out, _) = pricing(&[
        "estimate",
        "--json",
        "--supports",
        "off",
        &corpus("20mm-xyz-cube.stl"),
    ]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON");
    assert!(a > v["estimate"]["material_mm3"].as_f64().unwrap_or(0.0));
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "fill_density = 400\n").expect("write");
    let (code, _, err) = pricing(&[
        "estimate",
        "--profile",
        &bad.display().to_string(),
        &corpus("20mm-xyz-cube.stl"),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("fill_density"), "{err}");
}

#[test]
fn table_output_is_readable() {
    let (code, out, _) = pricing(&["estimate", "--scale", "1", &corpus("20mm-xyz-cube.stl")]);
    assert_eq!(code, 0);
    assert!(
        out.contains("print time") && out.contains("external_perimeter"),
        "{out}"
    );
}

/// A resin `.ini` says what it is (`printer_technology = SLA`): read as resin without
/// `--technology`, and refused when read as the other kind, naming what it is.
#[test]
fn the_profile_says_its_technology() {
    let cube = common::fixture("cube-20mm.stl").display().to_string();
    let resin = common::fixture("sla/sl1s-0.05.ini").display().to_string();
    let fdm = common::fixture("profiles/reference-full-prusaslicer-2.5.ini")
        .display()
        .to_string();
    let (code, out, err) = pricing(&["estimate", "--json", &cube, "--profile", &resin]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON");
    assert_eq!(v["estimate"]["technology"], "sla", "{out}");
    assert_eq!(v["estimate"]["layer_height_mm"], 0.05, "{out}");
    assert!(!err.contains("unknown_profile_key"), "{err}");
    let (code, _, err) = pricing(&[
        "estimate",
        &cube,
        "--technology",
        "fdm",
        "--profile",
        &resin,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("printer_technology = SLA"), "{err}");
    let (code, _, err) = pricing(&["estimate", &cube, "--technology", "sla", "--profile", &fdm]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("printer_technology = FFF"), "{err}");
    // An FDM file is read as FDM without the flag, as before.
    let (code, out, err) = pricing(&["estimate", "--json", &cube, "--profile", &fdm]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(r#""technology":"fdm""#), "{out}");
}
