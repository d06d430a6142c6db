//! Which length unit a mesh was drawn in.
//!
//! STL and OBJ carry no unit, yet uploads come in millimetres, inches and metres. Two
//! kinds of evidence decide:
//!
//! 1. **Size plausibility.** Printed parts are mostly a few millimetres to a few hundred.
//!    Each unit's reading of the largest dimension is scored by a log-normal prior
//!    centred on [`TYPICAL_PART_MM`]; readings under [`MIN_PLAUSIBLE_MM`] or over
//!    [`MAX_PLAUSIBLE_MM`] are all but ruled out.
//! 2. **Round numbers.** Designers type round dimensions in their own unit. Coordinates
//!    and box sizes that land on a 1/16 inch grid but not on a 0.1 mm grid point to
//!    inches; the reverse points to a metric unit.
//!
//! The scores are log-likelihoods; the confidence is the winner's softmax share.
//!
//! A 3MF declares its unit (micron, millimeter, centimeter, inch, foot or meter), so its
//! unit is never detected: [`Unit`] also names the two declared units the detector does
//! not consider ([`Unit::Micron`], [`Unit::Foot`]).

use serde::Serialize;

/// A length unit a file may be drawn in.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Millimetres.
    Mm,
    /// Centimetres.
    Cm,
    /// Metres.
    M,
    /// Inches.
    Inch,
    /// Micrometres (a 3MF `unit="micron"`; never detected).
    Micron,
    /// Feet (a 3MF `unit="foot"`; never detected).
    Foot,
}

impl Unit {
    /// The units the detector weighs, in the order they are reported.
    pub const DETECTED: [Unit; 4] = [Unit::Mm, Unit::Cm, Unit::M, Unit::Inch];
    /// Every unit, including those only a file can declare.
    pub const ALL: [Unit; 6] = [
        Unit::Micron,
        Unit::Mm,
        Unit::Cm,
        Unit::M,
        Unit::Inch,
        Unit::Foot,
    ];

    /// The unit a 3MF model's `unit` attribute names (the 3MF core specification's six
    /// values), or `None` for anything else.
    pub fn from_3mf(name: &str) -> Option<Unit> {
        match name {
            "micron" => Some(Unit::Micron),
            "millimeter" => Some(Unit::Mm),
            "centimeter" => Some(Unit::Cm),
            "inch" => Some(Unit::Inch),
            "foot" => Some(Unit::Foot),
            "meter" => Some(Unit::M),
            _ => None,
        }
    }

    /// Millimetres per unit.
    pub fn to_mm(self) -> f64 {
        match self {
            Unit::Mm => 1.0,
            Unit::Cm => 10.0,
            Unit::M => 1000.0,
            Unit::Inch => 25.4,
            Unit::Micron => 0.001,
            Unit::Foot => 304.8,
        }
    }

    /// The unit's short name: `mm`, `cm`, `m`, `inch`, `micron`, `foot`.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Mm => "mm",
            Unit::Cm => "cm",
            Unit::M => "m",
            Unit::Inch => "inch",
            Unit::Micron => "micron",
            Unit::Foot => "foot",
        }
    }

    /// How common the unit is among uploads to a print bureau, as a log-prior: most files
    /// are millimetres, inches are common (US CAD), metres come from architecture and
    /// game tools, centimetres are rare.
    fn log_prior(self) -> f64 {
        match self {
            Unit::Mm => 0.0,
            Unit::Inch => -0.5,
            Unit::M => -1.0,
            Unit::Cm => -1.5,
            // Not weighed by the detector ([`Unit::DETECTED`]); rare if they were.
            Unit::Micron | Unit::Foot => -3.0,
        }
    }

    /// Grid that round dimensions fall on, in this unit.
    fn round_grid(self) -> f64 {
        match self {
            Unit::Inch => 1.0 / 16.0,
            Unit::Foot => 1.0 / 192.0,
            other => 0.1 / other.to_mm(),
        }
    }
}

impl std::str::FromStr for Unit {
    type Err = String;
    fn from_str(s: &str) -> Result<Unit, String> {
        match s.to_ascii_lowercase().as_str() {
            "mm" | "millimetre" | "millimeter" => Ok(Unit::Mm),
            "cm" | "centimetre" | "centimeter" => Ok(Unit::Cm),
            "m" | "metre" | "meter" => Ok(Unit::M),
            "in" | "inch" | "inches" => Ok(Unit::Inch),
            "um" | "µm" | "micron" | "microns" | "micrometre" | "micrometer" => Ok(Unit::Micron),
            "ft" | "foot" | "feet" => Ok(Unit::Foot),
            other => Err(format!(
                "unknown unit `{}`: use mm, cm, m, inch, micron or foot",
                crate::mesh::error::clip(other)
            )),
        }
    }
}

impl std::fmt::Display for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Median largest dimension of a printed part, mm (centre of the size prior).
pub const TYPICAL_PART_MM: f64 = 60.0;
/// Spread of the size prior, in natural-log units (a factor of e^1.2 ≈ 3.3 per sigma).
const SIZE_SIGMA: f64 = 1.2;
/// Below this largest dimension a reading is implausible for a printed part.
pub const MIN_PLAUSIBLE_MM: f64 = 1.0;
/// Above this largest dimension a reading is implausible (beyond large-format printers).
pub const MAX_PLAUSIBLE_MM: f64 = 2500.0;
/// Weight of the round-number evidence against the size prior.
const ROUND_WEIGHT: f64 = 1.5;
/// Coordinates sampled for the round-number test.
const SAMPLE: usize = 3000;

/// The detected unit, how sure, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitGuess {
    /// The most likely unit.
    pub unit: Unit,
    /// The winner's share of the evidence, 0..1.
    pub confidence: f64,
    /// One sentence a person can check.
    pub reason: String,
}

/// Guesses the unit of a mesh from its raw bounding-box size and a sample of coordinates.
pub fn detect(size: [f64; 3], coordinates: impl Iterator<Item = f64>) -> UnitGuess {
    let largest = size.iter().cloned().fold(0.0, f64::max);
    let mut values: Vec<f64> = size.to_vec();
    values.extend(coordinates.take(SAMPLE));
    let values: Vec<f64> = values.into_iter().filter(|v| *v != 0.0).collect();

    let round_share = |unit: Unit| -> f64 {
        if values.is_empty() {
            return 0.0;
        }
        let grid = unit.round_grid();
        let round = values
            .iter()
            .filter(|&&v| {
                let x = v / grid;
                (x - x.round()).abs() < 0.02
            })
            .count();
        round as f64 / values.len() as f64
    };
    let shares: Vec<f64> = Unit::DETECTED.iter().map(|&u| round_share(u)).collect();
    let mean_share = shares.iter().sum::<f64>() / shares.len() as f64;

    let scores: Vec<f64> = Unit::DETECTED
        .iter()
        .zip(&shares)
        .map(|(&u, &share)| {
            u.log_prior() + size_score(largest * u.to_mm()) + ROUND_WEIGHT * (share - mean_share)
        })
        .collect();
    let best = (0..scores.len())
        .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
        .unwrap_or(0);
    let max = scores[best];
    let total: f64 = scores.iter().map(|s| (s - max).exp()).sum();
    let confidence = 1.0 / total;
    let unit = Unit::DETECTED[best];

    let runner_up = (0..scores.len())
        .filter(|&i| i != best)
        .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
        .map(|i| Unit::DETECTED[i]);
    let mut reason = format!(
        "largest dimension {:.4} {} = {:.1} mm, a {} size for a printed part",
        largest,
        unit,
        largest * unit.to_mm(),
        describe_size(largest * unit.to_mm())
    );
    if let Some(other) = runner_up {
        reason.push_str(&format!(
            "; as {} it would be {:.1} mm",
            other,
            largest * other.to_mm()
        ));
    }
    let (inch, mm) = (shares[3], shares[0]);
    if inch > mm + 0.2 {
        reason.push_str(&format!(
            "; {:.0}% of dimensions are round in inches",
            100.0 * inch
        ));
    } else if mm > inch + 0.2 {
        reason.push_str(&format!(
            "; {:.0}% of dimensions are round in millimetres",
            100.0 * mm
        ));
    }
    UnitGuess {
        unit,
        confidence,
        reason,
    }
}

/// Log-likelihood of a largest dimension (mm) for a printed part.
fn size_score(largest_mm: f64) -> f64 {
    // NaN and non-positive sizes have no plausible reading.
    if largest_mm.is_nan() || largest_mm <= 0.0 {
        return -50.0;
    }
    let z = (largest_mm / TYPICAL_PART_MM).ln() / SIZE_SIGMA;
    let mut score = -0.5 * z * z;
    if !(MIN_PLAUSIBLE_MM..=MAX_PLAUSIBLE_MM).contains(&largest_mm) {
        score -= 20.0;
    }
    score
}

fn describe_size(mm: f64) -> &'static str {
    match mm {
        x if x < MIN_PLAUSIBLE_MM => "implausibly small",
        x if x < 5.0 => "very small",
        x if x <= 400.0 => "typical",
        x if x <= MAX_PLAUSIBLE_MM => "large",
        _ => "implausibly large",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_twenty_millimetre_cube_is_mm() {
        let g = detect([20.0, 20.0, 20.0], std::iter::empty());
        assert_eq!(g.unit, Unit::Mm);
        assert!(g.confidence > 0.5, "{g:?}");
    }

    #[test]
    fn a_five_by_two_and_a_half_part_with_eighths_is_inch() {
        let coords = [1.375, 0.125, 2.5, 0.0625, 4.8125, 1.1875];
        let g = detect([5.0, 2.5, 1.375], coords.into_iter());
        assert_eq!(g.unit, Unit::Inch, "{g:?}");
    }

    #[test]
    fn a_part_a_few_hundredths_across_is_metres() {
        let g = detect([0.044, 0.014, 0.047], std::iter::empty());
        assert_eq!(g.unit, Unit::M, "{g:?}");
    }

    #[test]
    fn a_large_plate_in_mm_stays_mm_even_with_inch_sized_dimensions() {
        let g = detect([203.2, 304.8, 12.7], std::iter::empty());
        assert_eq!(g.unit, Unit::Mm, "{g:?}");
    }

    #[test]
    fn parses_unit_names() {
        assert_eq!("INCH".parse::<Unit>(), Ok(Unit::Inch));
        assert_eq!("in".parse::<Unit>(), Ok(Unit::Inch));
        assert!("furlong".parse::<Unit>().is_err());
        assert_eq!("micron".parse::<Unit>(), Ok(Unit::Micron));
        assert_eq!("ft".parse::<Unit>(), Ok(Unit::Foot));
    }

    #[test]
    fn every_3mf_unit_converts_to_millimetres() {
        for (name, mm) in [
            ("micron", 0.001),
            ("millimeter", 1.0),
            ("centimeter", 10.0),
            ("inch", 25.4),
            ("foot", 304.8),
            ("meter", 1000.0),
        ] {
            assert_eq!(Unit::from_3mf(name).map(Unit::to_mm), Some(mm), "{name}");
        }
        assert_eq!(Unit::from_3mf("furlong"), None);
    }
}
