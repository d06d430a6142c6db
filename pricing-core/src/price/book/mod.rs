//! The price book: machines, materials, fees, quantity tiers, lead times, margin,
//! currency and rounding. These are the types; [`load`] reads them from TOML and
//! validates every field on load.

mod load;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use std::sync::Arc;

use serde::Serialize;

use super::LeadTime;
use crate::calibration::MachineCalibration;
use crate::estimate::Technology;
use crate::profile::fdm::FdmProfile;
use crate::profile::sla::SlaProfile;
use crate::profile::sls::SlsProfile;

/// The embedded default price book, as TOML.
pub const EMBEDDED_TOML: &str = include_str!("../default.toml");

/// A validated price book.
#[derive(Debug, Clone)]
pub struct PriceBook {
    /// ISO 4217 currency code of every amount.
    pub currency: String,
    /// Fraction added on top of every cost line (0.35 = +35 %).
    pub margin: f64,
    /// Prices are rounded to a multiple of this (0.01 = cents).
    pub rounding: f64,
    /// Material used when a request names none.
    pub default_material: String,
    /// Fees.
    pub fees: Fees,
    /// Quantity discounts, by increasing `min_quantity`.
    pub quantity_tiers: Vec<QuantityTier>,
    /// Standard, express and rush.
    pub lead_times: BTreeMap<LeadTime, LeadTimeRule>,
    /// Machines by name.
    pub machines: BTreeMap<String, Machine>,
    /// Materials by name.
    pub materials: BTreeMap<String, Material>,
    /// blake3 of the book's canonical content (see [`PriceBook::hash`]).
    hash: String,
    /// What its profiles set that the estimate does not model (see
    /// [`PriceBook::warnings`]).
    warnings: Vec<crate::warning::Warning>,
}

/// Fees of a price book.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fees {
    /// Per order line, amortized over the quantity.
    pub setup_per_line: f64,
    /// Per part.
    pub handling_per_part: f64,
    /// Per cm² of support contact area.
    pub support_removal_per_cm2: f64,
    /// Lowest price of an order line before the lead-time surcharge.
    pub minimum_per_line: f64,
}

/// A quantity discount.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QuantityTier {
    /// Lines of at least this many parts get the discount.
    pub min_quantity: u32,
    /// Share taken off the per-part amounts, 0..1.
    pub discount: f64,
}

/// What a lead time costs and means.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LeadTimeRule {
    /// Share added to the line price.
    pub surcharge: f64,
    /// Working days to ship.
    pub days: u32,
}

/// A printer.
#[derive(Debug, Clone)]
pub struct Machine {
    /// The name in the book.
    pub name: String,
    /// Its technology, which decides the estimator.
    pub technology: Technology,
    /// Build volume x, y, z, mm.
    pub build_volume_mm: [f64; 3],
    /// Machine time price per hour (a cost; the margin is added).
    pub hourly_rate: f64,
    /// The process profile the estimator runs with.
    pub process: Process,
    /// FDM: the printer's calibration (`calibration = "file.toml"` in the book), applied
    /// to every estimate on this machine. Shared, so cloning a book stays cheap.
    pub calibration: Option<Arc<MachineCalibration>>,
}

/// A machine's process profile.
#[derive(Debug, Clone)]
pub enum Process {
    /// Fused filament.
    Fdm(Box<FdmProfile>),
    /// Resin.
    Sla(Box<SlaProfile>),
    /// Powder bed.
    Sls(SlsProfile),
}

/// How a material is sold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MaterialPrice {
    /// Per kilogram (filament, powder).
    PerKg(f64),
    /// Per litre (resin).
    PerLitre(f64),
}

/// A material.
#[derive(Debug, Clone)]
pub struct Material {
    /// The name in the book.
    pub name: String,
    /// The technology it prints on.
    pub technology: Technology,
    /// g/cm³.
    pub density: f64,
    /// Its price.
    pub price: MaterialPrice,
    /// Extra share bought for every unit used (purge, spills, failed prints).
    pub waste: f64,
    /// Machines that may print it, all of its technology.
    pub machines: Vec<String>,
}

impl Material {
    /// Cost of `mm3` of this material, waste included.
    pub fn cost(&self, mm3: f64) -> f64 {
        let used = mm3.max(0.0) * (1.0 + self.waste);
        match self.price {
            MaterialPrice::PerKg(p) => used / 1000.0 * self.density / 1000.0 * p,
            MaterialPrice::PerLitre(p) => used / 1.0e6 * p,
        }
    }
}

/// One problem in a price book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Where, e.g. `machines.mk4.hourly_rate`.
    pub path: String,
    /// What is wrong and what is expected.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem found in a price book.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PriceBookErrors {
    /// The problems, in the order of the book's sections.
    pub errors: Vec<FieldError>,
}

impl fmt::Display for PriceBookErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(
            f,
            "the price book has {n} problem{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.errors {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

impl Default for PriceBook {
    fn default() -> Self {
        PriceBook::embedded()
    }
}

impl PriceBook {
    /// The embedded default price book.
    pub fn embedded() -> PriceBook {
        match PriceBook::from_toml_str(EMBEDDED_TOML) {
            Ok(b) => b,
            // The embedded book is a compile-time constant checked by a unit test; this
            // branch only runs if someone commits a broken one.
            Err(e) => panic!("the embedded price book is invalid: {e}"),
        }
    }

    /// Reads and validates a price book from TOML. FDM profile paths are resolved
    /// against the current directory.
    pub fn from_toml_str(text: &str) -> Result<PriceBook, PriceBookErrors> {
        load::parse(text, None)
    }

    /// Reads and validates a price book file; profile paths in it are relative to it.
    pub fn load(path: &Path) -> Result<PriceBook, PriceBookErrors> {
        let text = crate::text_file::read(path).map_err(|e| PriceBookErrors {
            errors: vec![FieldError {
                path: path.display().to_string(),
                message: format!("cannot read the price book: {e}"),
            }],
        })?;
        load::parse(&text, path.parent())
    }

    /// blake3 of the book's canonical content: the parsed TOML re-serialised (so
    /// comments and layout do not matter) plus the bytes of any profile files it names.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// Keys of the book's FDM profiles that are misspelt or not modelled, each message
    /// starting with the profile's field path (`machines.mk4.profile: ...`).
    pub fn warnings(&self) -> &[crate::warning::Warning] {
        &self.warnings
    }

    /// `<engine version>+<first 16 hex of the book hash>`: enough to reproduce a price.
    pub fn pricing_version(&self) -> String {
        format!(
            "{}+pb.{}",
            env!("CARGO_PKG_VERSION"),
            self.hash.get(..16).unwrap_or(&self.hash)
        )
    }

    /// The book with `calibration` on machine `machine` (every FDM machine when `None`):
    /// the machine then prints with the calibration's profile and its constants, as if
    /// the book named it (`pricing quote --calibration`). The book's hash covers the
    /// calibration, so a calibrated price has its own `pricing_version`.
    pub fn with_calibration(
        mut self,
        machine: Option<&str>,
        calibration: MachineCalibration,
    ) -> Result<PriceBook, PriceBookErrors> {
        let cal = Arc::new(calibration);
        let mut applied = 0;
        for (name, m) in self.machines.iter_mut() {
            if machine.is_some_and(|n| !n.eq_ignore_ascii_case(name)) {
                continue;
            }
            if m.technology != Technology::Fdm {
                if machine.is_some() {
                    return Err(PriceBookErrors {
                        errors: vec![FieldError {
                            path: format!("machines.{name}"),
                            message: format!(
                                "a calibration applies to FDM machines; {name} is {}",
                                m.technology
                            ),
                        }],
                    });
                }
                continue;
            }
            m.process = Process::Fdm(Box::new(cal.profile.clone()));
            m.calibration = Some(Arc::clone(&cal));
            applied += 1;
        }
        if applied == 0 {
            return Err(PriceBookErrors {
                errors: vec![FieldError {
                    path: "machines".into(),
                    message: match machine {
                        Some(n) => format!("no machine {n:?} to calibrate"),
                        None => "the book has no FDM machine to calibrate".into(),
                    },
                }],
            });
        }
        let mut h = blake3::Hasher::new();
        h.update(self.hash.as_bytes());
        h.update(cal.hash.as_bytes());
        h.update(cal.to_toml("").as_bytes());
        self.hash = h.finalize().to_hex().to_string();
        Ok(self)
    }

    /// The material named `name`, ignoring case.
    pub fn material(&self, name: &str) -> Option<&Material> {
        self.materials.get(name).or_else(|| {
            self.materials
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, m)| m)
        })
    }

    /// The machine named `name`, ignoring case.
    pub fn machine(&self, name: &str) -> Option<&Machine> {
        self.machines.get(name).or_else(|| {
            self.machines
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, m)| m)
        })
    }

    /// The discount for a line of `quantity` parts.
    pub fn discount(&self, quantity: u32) -> f64 {
        self.quantity_tiers
            .iter()
            .filter(|t| quantity >= t.min_quantity)
            .map(|t| t.discount)
            .fold(0.0, f64::max)
    }
}
