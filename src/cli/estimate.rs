//! `pricing estimate`: the FDM or resin estimate of files, item by item.

use std::path::PathBuf;

use clap::Args;
use pricing_core::calibration::MachineCalibration;
use pricing_core::estimate::{Estimate, fdm, sla};
use pricing_core::price::{EstimateDocument, ItemDocument, estimate_file};
use pricing_core::profile::sla::SlaProfile;
use serde::Serialize;

use super::output::{self, Stream};
use super::profile_args::{self, ProfileArgs};
use super::{
    EXIT_BAD_MESH, EXIT_OK, EXIT_USAGE, Failure, ItemArgs, LimitArgs, OnOff, ScalingArgs, batch,
    inputs, load,
};

/// Arguments of `pricing estimate`.
#[derive(Debug, Args)]
pub struct EstimateArgs {
    /// Mesh files (binary or ASCII STL, OBJ, 3MF; gzip-compressed too) or directories
    /// to search for them.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// How file units become millimetres.
    #[command(flatten)]
    pub scaling: ScalingArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub items: ItemArgs,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// A printer calibration from `pricing calibrate` (FDM): its profile (unless
    /// `--profile` is given) and its constants, applied to the estimate.
    #[arg(long, value_name = "FILE.toml")]
    pub calibration: Option<PathBuf>,
    /// Process: fused filament or resin [default: the `--profile` `.ini`'s
    /// `printer_technology`, otherwise fdm].
    #[arg(long, value_enum)]
    pub technology: Option<Tech>,
    /// Generate supports under overhangs [default: the profile's `support_material` and
    /// `support_material_auto` when `--profile` or `--set` sets them, otherwise on].
    #[arg(long, value_enum)]
    pub supports: Option<OnOff>,
    /// One JSON object per file, one per line, each written as soon as it is done.
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

/// The profile the files are estimated with.
enum Profile {
    /// The profile, its calibration, and whether the profile turns supports on or off.
    Fdm(
        Box<pricing_core::profile::fdm::FdmProfile>,
        Option<Box<MachineCalibration>>,
        Option<bool>,
    ),
    Sla(Box<SlaProfile>),
}

impl Profile {
    fn estimate(
        &self,
        part: &pricing_core::analysis::Part,
        supports: bool,
    ) -> Result<Estimate, pricing_core::estimate::EstimateError> {
        match self {
            Profile::Fdm(p, calibration, _) => {
                let mut e = fdm::estimate(part, p, supports)?;
                if let Some(c) = calibration {
                    c.apply(&mut e);
                }
                Ok(e)
            }
            Profile::Sla(p) => sla::estimate(part, p, supports),
        }
    }

    fn filament_diameter(&self) -> Option<f64> {
        match self {
            Profile::Fdm(p, _, _) => Some(p.filament_diameter),
            Profile::Sla(_) => None,
        }
    }
}

#[derive(Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    doc: &'a EstimateDocument,
    /// Wall time of this file, ms (the estimate document itself holds no timings).
    elapsed_ms: f64,
}

fn profile(args: &EstimateArgs) -> Result<Profile, String> {
    // An explicit --technology reads the file as that kind; a file of the other kind is
    // then refused by its loader (`WrongTechnology`).
    let technology = args
        .technology
        .unwrap_or_else(|| match args.profile.technology() {
            Some(t) if t == "SLA" => Tech::Sla,
            _ => Tech::Fdm,
        });
    match technology {
        Tech::Fdm => {
            let calibration = match &args.calibration {
                Some(path) => {
                    let (c, warnings) = MachineCalibration::load(path)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    for w in warnings
                        .iter()
                        .filter(|w| w.code == "calibration_engine_version")
                    {
                        output::warn(w);
                    }
                    Some(Box::new(c))
                }
                None => None,
            };
            let (p, supports) = match &calibration {
                // The calibration carries the profile it was learnt with.
                Some(c) if !args.profile.given() => (c.profile.clone(), None),
                _ => {
                    let loaded = args.profile.fdm().map_err(|e| e.to_string())?;
                    for w in &loaded.warnings {
                        output::warn(w);
                    }
                    (loaded.profile, loaded.supports)
                }
            };
            Ok(Profile::Fdm(Box::new(p), calibration, supports))
        }
        Tech::Sla if args.calibration.is_some() => {
            Err("--calibration applies to FDM printers (calibrated from their G-code)".into())
        }
        Tech::Sla => args.profile.sla().map(|p| Profile::Sla(Box::new(p))),
    }
}

/// Runs the command; returns the exit code.
pub fn run(args: &EstimateArgs) -> i32 {
    let profile = match profile(args) {
        Ok(p) => p,
        Err(msg) => {
            output::error(None, &msg);
            return EXIT_USAGE;
        }
    };
    let files = match inputs::expand(&args.files) {
        Ok(f) => f,
        Err(msg) => {
            output::error(None, &msg);
            return EXIT_USAGE;
        }
    };
    let from_profile = match &profile {
        Profile::Fdm(_, _, said) => *said,
        Profile::Sla(_) => None,
    };
    let (supports, overridden) = profile_args::supports(args.supports, from_profile);
    if let Some(w) = &overridden {
        output::warn(w);
    }
    let mut failed = 0;
    let many = files.len() > 1;
    // A blank line between reports, not before the first.
    let mut reported = 0;
    batch::stream(
        &files,
        "estimating",
        |input| {
            let file = load(input, &args.scaling, &args.limits, &args.items)?;
            estimate_file(&file, |part| profile.estimate(part, supports))
                .map_err(|e| Failure::quote(&e))
        },
        |input, result, took| match result {
            Ok(doc) => {
                let elapsed_ms = took.as_secs_f64() * 1000.0;
                if args.json {
                    match serde_json::to_string(&Line {
                        doc: &doc,
                        elapsed_ms,
                    }) {
                        Ok(s) => output::println(&s),
                        Err(e) => {
                            output::error(Some(&input.name), &format!("cannot write JSON: {e}"))
                        }
                    }
                } else {
                    if reported > 0 {
                        output::println("");
                    }
                    reported += 1;
                    output::print(&report(&doc, profile.filament_diameter(), elapsed_ms));
                }
            }
            Err(f) => {
                failed += 1;
                if args.json {
                    output::println(&f.json(&input.name));
                }
                output::error(Some(&input.name), &f.message);
            }
        },
    );
    if many {
        output::summary(&format!(
            "estimated {} of {} files, {failed} failed",
            files.len() - failed,
            files.len()
        ));
    }
    if failed == 0 { EXIT_OK } else { EXIT_BAD_MESH }
}

fn hms(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    format!("{}h{:02}m{:02}s", s / 3600, s / 60 % 60, s % 60)
}

/// The readable report of one file: its estimate, or each item's.
fn report(doc: &EstimateDocument, filament_diameter: Option<f64>, elapsed_ms: f64) -> String {
    let mut out = format!("{}\n", doc.file);
    match (&doc.estimate, doc.items.as_slice()) {
        (Some(e), [only]) => table(&mut out, "  ", only, e, filament_diameter),
        _ => {
            for item in &doc.items {
                out.push_str(&format!("  item {} × {}\n", item.quantity, item.name));
                if let Some(e) = &item.estimate {
                    table(&mut out, "    ", item, e, filament_diameter);
                }
            }
        }
    }
    out.push_str(&format!("  ({elapsed_ms:.0} ms)\n"));
    out
}

fn table(
    out: &mut String,
    indent: &str,
    item: &ItemDocument,
    e: &Estimate,
    filament_diameter: Option<f64>,
) {
    let mut line = |s: String| out.push_str(&format!("{indent}{s}\n"));
    line(format!(
        "layers         {} × {:.2} mm",
        e.layers, e.layer_height_mm
    ));
    line(format!("print time     {}", hms(e.print_time_s)));
    match filament_diameter {
        Some(d) => {
            let filament_m = e.material_mm3 / (std::f64::consts::PI / 4.0 * d * d) / 1000.0;
            line(format!(
                "filament       {:.0} mm³  {:.1} g  {:.2} m",
                e.material_mm3, e.material_g, filament_m
            ));
        }
        None => line(format!(
            "resin          {:.0} mm³  {:.1} g  {:.1} ml",
            e.material_mm3,
            e.material_g,
            e.material_mm3 / 1000.0
        )),
    }
    line(format!(
        "supports       {:.0} mm³, contact area {:.0} mm²",
        e.support_mm3, e.support_contact_area_mm2
    ));
    line(format!("{:<20} {:>10} {:>10}", "role", "mm³", "time"));
    for (role, f) in &e.by_role {
        line(format!(
            "{:<20} {:>10.0} {:>10}",
            role.as_str(),
            f.mm3,
            hms(f.seconds)
        ));
    }
    if !output::quiet() {
        for w in item.analysis.warnings.iter().chain(&e.warnings) {
            line(output::warning_line(Stream::Stdout, w));
        }
    }
}
