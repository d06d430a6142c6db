//! Prices: the price book, the quote calculation and the one-call helper the CLI and
//! the worker share.
//!
//! - [`PriceBook`]: machines, materials, fees, tiers, lead times; TOML, validated on load
//!   ([`PriceBook::from_toml_str`] lists every problem with its field path).
//! - [`Quoter`]: picks machine and orientation, runs the technology's estimator and prices
//!   the line ([`Quoter::quote`] → [`Quote`]).
//! - [`quote_bytes`]: bytes → [`QuoteDocument`] (`file`, `analysis`, `estimate`, `price`,
//!   `items`), exactly what `pricing quote --json` prints and what the worker returns;
//!   [`quote_bytes_with`] the same with a [`Cancel`](crate::cancel::Cancel) token. Both
//!   read, then call [`quote_loaded`], which the CLI calls on the files it reads: one
//!   path from a read file to a document (`document`: items, one print or an order).
//!
//! ```
//! use pricing_core::price::{PriceBook, QuoteRequest, Quoter, quote_bytes};
//! use pricing_core::mesh::ReadLimits;
//!
//! let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/cube-20mm.stl")).unwrap();
//! let quoter = Quoter::new(PriceBook::embedded());
//! let request: QuoteRequest = serde_json::from_str(r#"{"quantity": 3, "material": "PLA"}"#).unwrap();
//! let doc = quote_bytes(&quoter, "cube.stl", &bytes, &request, &ReadLimits::default()).unwrap();
//! let sum: f64 = doc.price.lines.iter().map(|l| l.amount).sum();
//! assert!((sum - doc.price.total).abs() < 1e-6);
//! ```

mod book;
mod document;
mod quote;

pub use book::{
    EMBEDDED_TOML, Fees, FieldError, LeadTimeRule, Machine, Material, MaterialPrice, PriceBook,
    PriceBookErrors, Process, QuantityTier,
};
pub use document::{
    AnalysedFile, AnalysedItem, AnalysisDocument, EstimateDocument, ItemDocument, QuoteDocument,
    analyze_file, estimate_file, order_price, quote_bytes, quote_bytes_with, quote_file,
    quote_loaded, quote_part,
};
pub use quote::{Quote, QuoteLine, Quoter};

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::analysis::Scaling;
use crate::cancel::Cancelled;
use crate::estimate::EstimateError;
use crate::mesh::MeshError;
use crate::units::Unit;

/// How fast the order ships.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum LeadTime {
    /// The book's normal lead time.
    #[default]
    Standard,
    /// Faster, with a surcharge.
    Express,
    /// Fastest, with the largest surcharge.
    Rush,
}

impl LeadTime {
    /// From slowest to fastest.
    pub const ALL: [LeadTime; 3] = [LeadTime::Standard, LeadTime::Express, LeadTime::Rush];

    /// `standard`, `express` or `rush`.
    pub fn as_str(self) -> &'static str {
        match self {
            LeadTime::Standard => "standard",
            LeadTime::Express => "express",
            LeadTime::Rush => "rush",
        }
    }
}

impl fmt::Display for LeadTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LeadTime {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "standard" => Ok(LeadTime::Standard),
            "express" => Ok(LeadTime::Express),
            "rush" => Ok(LeadTime::Rush),
            _ => Err(format!(
                "unknown lead time {s:?}; expected standard, express or rush"
            )),
        }
    }
}

/// Most parts in one order line: beyond it the quantity is surely a typo.
pub const MAX_QUANTITY: u32 = 1_000_000;

/// What to quote. Deserializes from the job params JSON, e.g.
/// `{"quantity": 3, "material": "PLA"}`; unknown keys are rejected.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QuoteRequest {
    /// Material name (case-insensitive); the book's `default_material` when absent.
    pub material: Option<String>,
    /// Machine name; the cheapest machine that fits when absent.
    pub machine: Option<String>,
    /// Parts in the line, 1 to [`MAX_QUANTITY`].
    pub quantity: u32,
    /// Lead time.
    pub lead_time: LeadTime,
    /// Whether to build supports (FDM and resin).
    pub supports: bool,
    /// Multiply file coordinates by this to get mm (wins over `units`); used by
    /// [`quote_bytes`] only, a [`crate::analysis::Part`] is already in mm.
    pub scale: Option<f64>,
    /// File units: `auto`, `mm`, `cm`, `m` or `inch`; used by [`quote_bytes`] only.
    pub units: Option<String>,
}

impl Default for QuoteRequest {
    fn default() -> Self {
        QuoteRequest {
            material: None,
            machine: None,
            quantity: 1,
            lead_time: LeadTime::Standard,
            supports: true,
            scale: None,
            units: None,
        }
    }
}

impl QuoteRequest {
    /// Checks the values serde cannot: quantity range, scale, units.
    pub fn validate(&self) -> Result<(), QuoteError> {
        if self.quantity == 0 || self.quantity > MAX_QUANTITY {
            return Err(QuoteError::InvalidRequest {
                field: "quantity",
                message: format!("expected 1 to {MAX_QUANTITY} parts, got {}", self.quantity),
            });
        }
        if let Some(s) = self.scale
            && !(s.is_finite() && s > 0.0)
        {
            return Err(QuoteError::InvalidRequest {
                field: "scale",
                message: format!("expected a positive number, got {s}"),
            });
        }
        self.scaling().map(|_| ())
    }

    /// The scaling `scale` and `units` ask for.
    pub fn scaling(&self) -> Result<Scaling, QuoteError> {
        if let Some(s) = self.scale {
            return Ok(Scaling::Factor(s));
        }
        match self
            .units
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("auto") => Ok(Scaling::Auto),
            Some("mm") => Ok(Scaling::Unit(Unit::Mm)),
            Some("cm") => Ok(Scaling::Unit(Unit::Cm)),
            Some("m") => Ok(Scaling::Unit(Unit::M)),
            Some("inch") | Some("in") => Ok(Scaling::Unit(Unit::Inch)),
            Some(other) => Err(QuoteError::InvalidRequest {
                field: "units",
                message: format!("unknown unit {other:?}; expected auto, mm, cm, m or inch"),
            }),
        }
    }
}

/// A machine's build volume, as named in a fit error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MachineVolume {
    /// Machine name.
    pub machine: String,
    /// Build volume x, y, z, mm.
    pub build_volume_mm: [f64; 3],
}

/// Why a file or part could not be quoted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QuoteError {
    /// The bytes are not a mesh.
    #[error(transparent)]
    Mesh(MeshError),
    /// The part cannot be estimated (no volume, too many layers).
    #[error(transparent)]
    Estimate(EstimateError),
    /// The caller cancelled the quote (or its deadline passed), in whatever stage it was.
    #[error(transparent)]
    Cancelled(#[from] Cancelled),
    /// The material is not in the price book.
    #[error("unknown material {name:?}; the price book has: {known}")]
    UnknownMaterial {
        /// The name asked for.
        name: String,
        /// The book's materials, comma-separated.
        known: String,
    },
    /// The machine is not in the price book.
    #[error("unknown machine {name:?}; the price book has: {known}")]
    UnknownMachine {
        /// The name asked for.
        name: String,
        /// The book's machines, comma-separated.
        known: String,
    },
    /// The machine exists but does not print the material.
    #[error("machine {machine:?} does not print {material}; {material} prints on: {allowed}")]
    MachineNotAllowed {
        /// The machine asked for.
        machine: String,
        /// The material.
        material: String,
        /// Machines that print it.
        allowed: String,
    },
    /// The part fits no candidate machine in any axis-aligned orientation.
    #[error(
        "the part is {} and fits no machine for {material} in any axis-aligned orientation: {}; scale it down or split it",
        crate::fit::format_size(*size_mm),
        machines.iter().map(|m| format!("{} is {}", m.machine, crate::fit::format_size(m.build_volume_mm))).collect::<Vec<_>>().join(", ")
    )]
    DoesNotFit {
        /// Size the part needs (supports included), mm.
        size_mm: [f64; 3],
        /// The material asked for.
        material: String,
        /// The machines tried.
        machines: Vec<MachineVolume>,
    },
    /// One item of a file of several could not be priced; the file cannot be either.
    #[error("item {name:?}: {source}")]
    Item {
        /// The item's name.
        name: String,
        /// Why.
        source: Box<QuoteError>,
    },
    /// A request value is out of range.
    #[error("request field `{field}`: {message}")]
    InvalidRequest {
        /// The field.
        field: &'static str,
        /// What is wrong and what is expected.
        message: String,
    },
}

/// A cancelled read is [`QuoteError::Cancelled`], like a cancelled estimate: one variant
/// for the caller to match, whatever stage was running.
impl From<MeshError> for QuoteError {
    fn from(e: MeshError) -> Self {
        match e {
            MeshError::Cancelled(c) => QuoteError::Cancelled(c),
            other => QuoteError::Mesh(other),
        }
    }
}

impl From<EstimateError> for QuoteError {
    fn from(e: EstimateError) -> Self {
        match e {
            EstimateError::Cancelled(c) => QuoteError::Cancelled(c),
            other => QuoteError::Estimate(other),
        }
    }
}

impl QuoteError {
    /// A short stable code for JSON output and the worker's result records.
    pub fn code(&self) -> &'static str {
        match self {
            QuoteError::Mesh(e) => e.code(),
            QuoteError::Estimate(e) => e.code(),
            QuoteError::Cancelled(_) => "cancelled",
            QuoteError::UnknownMaterial { .. } => "unknown_material",
            QuoteError::UnknownMachine { .. } => "unknown_machine",
            QuoteError::MachineNotAllowed { .. } => "machine_not_allowed",
            QuoteError::DoesNotFit { .. } => "does_not_fit",
            QuoteError::InvalidRequest { .. } => "invalid_request",
            QuoteError::Item { source, .. } => source.code(),
        }
    }

    /// Whether retrying cannot help: every error caused by the input is permanent. Only
    /// a file that could not be read from disk might read next time.
    ///
    /// A cancelled quote is not permanent: the input was not found wrong, the caller
    /// stopped it (a deadline, a shutdown) and decides itself whether to try again.
    pub fn is_permanent(&self) -> bool {
        if let QuoteError::Item { source, .. } = self {
            return source.is_permanent();
        }
        !matches!(
            self,
            QuoteError::Mesh(MeshError::Io { .. }) | QuoteError::Cancelled(_)
        )
    }
}
