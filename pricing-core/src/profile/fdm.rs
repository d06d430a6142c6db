//! FDM printer profile.
//!
//! PLACEHOLDER: only the fields the stand-in estimate needs; the full profile (loaded from
//! TOML or a PrusaSlicer `.ini`) replaces this before it lands.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ProfileError;

/// FDM printer, process and filament parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FdmProfile {
    /// Layer height, mm.
    pub layer_height: f64,
    /// Filament density, g/cm³.
    pub filament_density: f64,
    /// Filament diameter, mm.
    pub filament_diameter: f64,
}

impl Default for FdmProfile {
    fn default() -> Self {
        FdmProfile {
            layer_height: 0.2,
            filament_density: 1.24,
            filament_diameter: 1.75,
        }
    }
}

impl FdmProfile {
    /// Loads a profile from a `.ini` (PrusaSlicer keys) or `.toml` file, by extension.
    pub fn load(path: &Path) -> Result<FdmProfile, ProfileError> {
        let _ = path;
        Ok(FdmProfile::default())
    }
}
