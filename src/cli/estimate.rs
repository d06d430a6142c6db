//! `pricing estimate`: the FDM or resin estimate for one file.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use pricing_core::calibration::MachineCalibration;
use pricing_core::estimate::{Estimate, fdm, sla};
use pricing_core::profile::fdm::FdmProfile;
use pricing_core::profile::sla::SlaProfile;

use super::{EXIT_BAD_MESH, EXIT_OK, EXIT_USAGE, LimitArgs, ScalingArgs, error_json, load_part};

/// Arguments of `pricing estimate`.
#[derive(Debug, Args)]
pub struct EstimateArgs {
    /// Mesh file (binary or ASCII STL, OBJ; gzip-compressed too).
    pub file: PathBuf,
    /// How file units become millimetres.
    #[command(flatten)]
    pub scaling: ScalingArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Printer profile: a PrusaSlicer `.ini` or the project's `.toml` (default: the
    /// reference profile of the technology).
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// A printer calibration from `pricing calibrate` (FDM): its profile (unless
    /// `--profile` is given) and its constants, applied to the estimate.
    #[arg(long, value_name = "FILE.toml")]
    pub calibration: Option<PathBuf>,
    /// Process: fused filament or resin (a PrusaSlicer SLA `.ini` for `--profile`).
    #[arg(long, value_enum, default_value_t = Tech::Fdm)]
    pub technology: Tech,
    /// Generate supports under overhangs.
    #[arg(long, value_enum, default_value_t = OnOff::On)]
    pub supports: OnOff,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The technologies `pricing estimate` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Tech {
    /// Fused filament (PrusaSlicer FFF profile).
    Fdm,
    /// Resin (PrusaSlicer SLA profile).
    Sla,
}

/// `on` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnOff {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// Runs the command; returns the exit code.
pub fn run(args: &EstimateArgs) -> i32 {
    let started = Instant::now();
    let file = args.file.display().to_string();
    let fail = |code: &str, msg: &str, exit: i32| {
        if args.json {
            println!("{}", error_json(&file, code, msg));
        } else {
            eprintln!("error: {file}: {msg}");
        }
        exit
    };
    let supports = args.supports == OnOff::On;
    let (est, part, filament_diameter) = match args.technology {
        Tech::Fdm => {
            let calibration = match &args.calibration {
                Some(p) => match MachineCalibration::load(p) {
                    Ok(loaded) => Some(loaded),
                    Err(e) => return fail(e.code(), &e.to_string(), EXIT_USAGE),
                },
                None => None,
            };
            let profile = match &args.profile {
                // The loader's warnings (unknown and unmodelled keys) are not printed yet:
                // the CLI overhaul (issue 9) adds them to the output.
                Some(p) => match FdmProfile::load(p) {
                    Ok(loaded) => loaded.profile,
                    Err(e) => return fail("bad_profile", &e.to_string(), EXIT_USAGE),
                },
                None => match &calibration {
                    Some((c, _)) => c.profile.clone(),
                    None => FdmProfile::default(),
                },
            };
            let part = match load_part(&args.file, args.scaling.scaling(), &args.limits) {
                Ok(p) => p,
                Err(e) => return fail(e.code(), &e.to_string(), EXIT_BAD_MESH),
            };
            match fdm::estimate(&part, &profile, supports) {
                Ok(mut e) => {
                    if let Some((c, warnings)) = &calibration {
                        c.apply(&mut e);
                        // Profile-key warnings stay unprinted, as for --profile above.
                        e.warnings.extend(
                            warnings
                                .iter()
                                .filter(|w| w.code == "calibration_engine_version")
                                .cloned(),
                        );
                    }
                    (e, part, Some(profile.filament_diameter))
                }
                Err(e) => return fail(e.code(), &e.to_string(), EXIT_BAD_MESH),
            }
        }
        Tech::Sla if args.calibration.is_some() => {
            return fail(
                "bad_calibration",
                "--calibration applies to FDM printers (calibrated from their G-code)",
                EXIT_USAGE,
            );
        }
        Tech::Sla => {
            let profile = match &args.profile {
                Some(p) => match SlaProfile::load(p) {
                    Ok(p) => p,
                    Err(e) => return fail("bad_profile", &e.to_string(), EXIT_USAGE),
                },
                None => SlaProfile::default(),
            };
            let part = match load_part(&args.file, args.scaling.scaling(), &args.limits) {
                Ok(p) => p,
                Err(e) => return fail(e.code(), &e.to_string(), EXIT_BAD_MESH),
            };
            match sla::estimate(&part, &profile, supports) {
                Ok(e) => (e, part, None),
                Err(e) => return fail(e.code(), &e.to_string(), EXIT_BAD_MESH),
            }
        }
    };
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if args.json {
        let out = serde_json::json!({
            "file": file,
            "analysis": part.analysis,
            "estimate": est,
            "elapsed_ms": elapsed_ms,
        });
        println!("{out}");
    } else {
        print_table(
            &file,
            &part.analysis.warnings,
            &est,
            filament_diameter,
            elapsed_ms,
        );
    }
    EXIT_OK
}

fn print_table(
    file: &str,
    analysis_warnings: &[pricing_core::warning::Warning],
    e: &Estimate,
    filament_diameter: Option<f64>,
    elapsed_ms: f64,
) {
    let hms = |s: f64| {
        let s = s.max(0.0).round() as u64;
        format!("{}h{:02}m{:02}s", s / 3600, s / 60 % 60, s % 60)
    };
    println!("{file}");
    println!(
        "  layers         {} × {:.2} mm",
        e.layers, e.layer_height_mm
    );
    println!("  print time     {}", hms(e.print_time_s));
    match filament_diameter {
        Some(d) => {
            let filament_m = e.material_mm3 / (std::f64::consts::PI / 4.0 * d * d) / 1000.0;
            println!(
                "  filament       {:.0} mm³  {:.1} g  {:.2} m",
                e.material_mm3, e.material_g, filament_m
            );
        }
        None => println!(
            "  resin          {:.0} mm³  {:.1} g  {:.1} ml",
            e.material_mm3,
            e.material_g,
            e.material_mm3 / 1000.0
        ),
    }
    println!(
        "  supports       {:.0} mm³, contact area {:.0} mm²",
        e.support_mm3, e.support_contact_area_mm2
    );
    println!("  {:<20} {:>10} {:>10}", "role", "mm³", "time");
    for (role, f) in &e.by_role {
        println!("  {:<20} {:>10.0} {:>10}", role, f.mm3, hms(f.seconds));
    }
    for w in analysis_warnings.iter().chain(&e.warnings) {
        println!("  warning [{}]: {}", w.code, w.message);
    }
    println!("  ({elapsed_ms:.0} ms)");
}
