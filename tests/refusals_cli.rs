//! `pricing analyze` on what is not a mesh: each refused at once, exit 3, with a message
//! that names what it is and a stable code (issues 10 and 14); and a 3MF analysed in its
//! declared unit.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{fixture, pricing};

/// Exit code and the JSON error line of `pricing analyze --json PATH`.
fn refused(path: &std::path::Path) -> (Option<i32>, serde_json::Value, Duration) {
    let started = Instant::now();
    let out = pricing()
        .args(["analyze", "--json"])
        .arg(path)
        .output()
        .expect("runs");
    let line = String::from_utf8_lossy(&out.stdout);
    let v = serde_json::from_str(line.lines().next().unwrap_or("{}")).expect("JSON line");
    (out.status.code(), v, started.elapsed())
}

#[test]
fn a_step_file_a_program_and_a_zip_without_a_model_exit_3_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let step = dir.path().join("bracket.step");
    std::fs::write(
        &step,
        "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('x'),'2;1');\nENDSEC;\n",
    )
    .expect("write");
    // A copy of a real program under an .stl name.
    let program = dir.path().join("part.stl");
    std::fs::copy(std::env!("CARGO_BIN_EXE_pricing"), &program).expect("copy");
    for (path, code, says) in [
        (step, "step_not_supported", "STEP is not supported"),
        (program, "program_not_a_mesh", "program"),
        (
            fixture("3mf/zip-without-model.zip"),
            "zip_without_model",
            "a ZIP without a 3D model",
        ),
    ] {
        let (exit, v, _) = refused(&path);
        assert_eq!(exit, Some(3), "{}", path.display());
        assert_eq!(v["error"]["code"], code, "{v}");
        assert!(
            v["error"]["message"].as_str().unwrap_or("").contains(says),
            "{v}"
        );
    }
}

#[cfg(unix)]
#[test]
fn dev_zero_and_a_fifo_are_refused_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("upload.stl");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    for path in [PathBuf::from("/dev/zero"), fifo] {
        let (exit, v, took) = refused(&path);
        assert_eq!(exit, Some(3), "{}", path.display());
        assert_eq!(v["error"]["code"], "not_a_file", "{v}");
        // Not a timing assert on the work: a blocked open or a 1 GiB read would hang
        // or take many seconds; this only catches that.
        assert!(took < Duration::from_secs(20), "{took:?}");
    }
}

#[test]
fn a_3mf_is_analysed_in_its_declared_unit() {
    let out = pricing()
        .args(["analyze", "--json"])
        .arg(fixture("3mf/units-inch.3mf"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["format"], "3mf");
    assert_eq!(v["units"]["source"], "file");
    assert_eq!(v["units"]["detected"], "inch");
    let expected = 2.0 * 1.0 * 0.5 * 25.4f64.powi(3);
    let got = v["volume_mm3"].as_f64().expect("volume");
    assert!((got - expected).abs() < expected * 1e-5, "{got}");
    // An explicit --units replaces the declared unit: the numbers are millimetres.
    let out = pricing()
        .args(["analyze", "--json", "--units", "mm"])
        .arg(fixture("3mf/units-inch.3mf"))
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["units"]["source"], "units");
    let got = v["volume_mm3"].as_f64().expect("volume");
    assert!((got - 1.0).abs() < 1e-5, "{got}");
}

/// A profile or price book path that is a device (here `/dev/zero` behind a `.ini` or
/// `.toml` name) is refused before it is read, instead of being read forever.
#[test]
fn a_device_named_as_a_profile_or_price_book_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cube = fixture("cube-20mm.stl");
    for (flag, name) in [
        ("--profile", "zero.ini"),
        ("--profile", "zero.toml"),
        ("--price-book", "book.toml"),
    ] {
        let link = dir.path().join(name);
        std::os::unix::fs::symlink("/dev/zero", &link).expect("symlink");
        let out = pricing()
            .args(["quote"])
            .arg(&cube)
            .arg(flag)
            .arg(&link)
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {name}: {err}");
        assert!(err.contains("not a regular file"), "{flag} {name}: {err}");
    }
}
