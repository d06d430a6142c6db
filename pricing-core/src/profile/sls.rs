//! Powder-bed (SLS/MJF) printer and process parameters.

use serde::{Deserialize, Serialize};

use super::sla::{non_negative, positive};

/// Powder-bed printer and process parameters.
///
/// The defaults are an EOS P 110 / Formlabs Fuse-class SLS printer running PA12.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlsProfile {
    /// Layer height, mm.
    pub layer_height: f64,
    /// Time to spread one layer of powder, s (paid over the whole build height).
    pub recoat_time: f64,
    /// Area the laser (or fusing lamp) fuses per second, mm²/s.
    pub scan_rate: f64,
    /// Heating the chamber before the first layer, s (shared by the whole build).
    pub warmup_time: f64,
    /// Cooling the cake before unpacking, s (shared by the whole build).
    pub cooldown_time: f64,
    /// Share of the build volume that parts can fill when nested: a part is charged for
    /// its occupied volume divided by the usable build volume.
    pub packing_density: f64,
    /// Gap kept around each part in the cake, mm (added to each side of its bounding box).
    pub part_spacing: f64,
    /// Share of the unfused powder in the part's occupied volume that is lost to ageing
    /// and has to be replaced with fresh powder.
    pub powder_loss: f64,
}

impl Default for SlsProfile {
    fn default() -> Self {
        SlsProfile {
            layer_height: 0.1,
            recoat_time: 9.0,
            scan_rate: 600.0,
            warmup_time: 5400.0,
            cooldown_time: 43_200.0,
            packing_density: 0.12,
            part_spacing: 2.0,
            powder_loss: 0.3,
        }
    }
}

impl SlsProfile {
    /// Every out-of-range value as `(key, message)`; empty when the profile is usable.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        positive(&mut p, "layer_height", self.layer_height);
        non_negative(&mut p, "recoat_time", self.recoat_time);
        positive(&mut p, "scan_rate", self.scan_rate);
        non_negative(&mut p, "warmup_time", self.warmup_time);
        non_negative(&mut p, "cooldown_time", self.cooldown_time);
        non_negative(&mut p, "part_spacing", self.part_spacing);
        if !(self.packing_density.is_finite()
            && self.packing_density > 0.0
            && self.packing_density <= 1.0)
        {
            p.push((
                "packing_density",
                format!("must be a fraction in (0, 1], got {}", self.packing_density),
            ));
        }
        if !(self.powder_loss.is_finite() && (0.0..=1.0).contains(&self.powder_loss)) {
            p.push((
                "powder_loss",
                format!("must be a fraction 0-1, got {}", self.powder_loss),
            ));
        }
        p
    }
}
