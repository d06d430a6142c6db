//! PrusaSlicer's sparse infill patterns, by the names its `fill_pattern` key takes.

use std::fmt;

/// A sparse infill pattern (`fill_pattern`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FillPattern {
    /// Parallel lines, one direction per layer, joined in a zigzag.
    Rectilinear,
    /// Rectilinear, same direction on every layer.
    AlignedRectilinear,
    /// Rectilinear laid in one direction of travel.
    Monotonic,
    /// Monotonic without the zigzag links.
    MonotonicLines,
    /// Two crossing families of lines on every layer.
    Grid,
    /// Three families at 60°.
    Triangles,
    /// Three families at 60°, shifted into stars.
    Stars,
    /// Three families at 60° that shift with height (cubes on their corner).
    Cubic,
    /// Parallel lines left unconnected.
    Line,
    /// Loops following the outline.
    Concentric,
    /// Hexagons.
    Honeycomb,
    /// Truncated octahedra (`3dhoneycomb`).
    Honeycomb3d,
    /// The gyroid minimal surface: waves.
    Gyroid,
    /// A Hilbert curve.
    HilbertCurve,
    /// An Archimedean spiral.
    ArchimedeanChords,
    /// An octagram spiral.
    OctagramSpiral,
    /// Cubic, coarser away from the surfaces.
    AdaptiveCubic,
    /// Cubic only under the top surfaces.
    SupportCubic,
    /// Branches that only prop the top surfaces.
    Lightning,
}

impl FillPattern {
    /// Every pattern, in PrusaSlicer's order.
    pub const ALL: [FillPattern; 19] = [
        FillPattern::Rectilinear,
        FillPattern::AlignedRectilinear,
        FillPattern::Monotonic,
        FillPattern::MonotonicLines,
        FillPattern::Grid,
        FillPattern::Triangles,
        FillPattern::Stars,
        FillPattern::Cubic,
        FillPattern::Line,
        FillPattern::Concentric,
        FillPattern::Honeycomb,
        FillPattern::Honeycomb3d,
        FillPattern::Gyroid,
        FillPattern::HilbertCurve,
        FillPattern::ArchimedeanChords,
        FillPattern::OctagramSpiral,
        FillPattern::AdaptiveCubic,
        FillPattern::SupportCubic,
        FillPattern::Lightning,
    ];

    /// The name PrusaSlicer writes.
    pub fn key(self) -> &'static str {
        match self {
            FillPattern::Rectilinear => "rectilinear",
            FillPattern::AlignedRectilinear => "alignedrectilinear",
            FillPattern::Monotonic => "monotonic",
            FillPattern::MonotonicLines => "monotoniclines",
            FillPattern::Grid => "grid",
            FillPattern::Triangles => "triangles",
            FillPattern::Stars => "stars",
            FillPattern::Cubic => "cubic",
            FillPattern::Line => "line",
            FillPattern::Concentric => "concentric",
            FillPattern::Honeycomb => "honeycomb",
            FillPattern::Honeycomb3d => "3dhoneycomb",
            FillPattern::Gyroid => "gyroid",
            FillPattern::HilbertCurve => "hilbertcurve",
            FillPattern::ArchimedeanChords => "archimedeanchords",
            FillPattern::OctagramSpiral => "octagramspiral",
            FillPattern::AdaptiveCubic => "adaptivecubic",
            FillPattern::SupportCubic => "supportcubic",
            FillPattern::Lightning => "lightning",
        }
    }

    /// The pattern named `name` (as PrusaSlicer writes it, any case).
    pub fn parse(name: &str) -> Option<FillPattern> {
        let name = name.trim();
        FillPattern::ALL
            .into_iter()
            .find(|p| p.key().eq_ignore_ascii_case(name))
    }

    /// Why the estimate only approximates this pattern, or `None` when it draws the
    /// pattern's own geometry.
    pub fn approximation(self) -> Option<&'static str> {
        match self {
            FillPattern::Concentric => Some("timed as straight lines of the same length"),
            FillPattern::ArchimedeanChords | FillPattern::OctagramSpiral => {
                Some("timed as straight lines of the same length")
            }
            FillPattern::HilbertCurve => Some("timed as a zigzag of one-spacing steps"),
            FillPattern::AdaptiveCubic | FillPattern::SupportCubic => Some(
                "modelled as cubic at the full density; PrusaSlicer thins it away from the surfaces, so material and time may be high",
            ),
            FillPattern::Lightning => Some(
                "modelled as rectilinear at the full density; lightning only props the top surfaces, so material and time are high",
            ),
            _ => None,
        }
    }
}

impl fmt::Display for FillPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        for p in FillPattern::ALL {
            assert_eq!(FillPattern::parse(p.key()), Some(p));
        }
        assert_eq!(FillPattern::parse(" Gyroid "), Some(FillPattern::Gyroid));
        assert_eq!(FillPattern::parse("gyroidd"), None);
    }
}
