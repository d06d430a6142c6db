//! Filament extruded per role, from the `;TYPE:` markers the slicers write before each
//! block of moves, and the layer count.
//!
//! Only moves that go somewhere (X or Y, or an arc's I/J) count: a move of E alone is a
//! retraction or its undoing, filament that goes back and forth but is not laid. E is
//! relative after `M83` (PrusaSlicer's `use_relative_e_distances`, Orca's default) and
//! absolute after `M82` or `G90`, with `G92 E…` resetting the position.

use std::collections::BTreeMap;

use crate::estimate::Role;

/// Filament per role and layers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extrusion {
    /// mm³ per role the estimate knows.
    pub by_role: BTreeMap<Role, f64>,
    /// mm³ per `;TYPE:` the estimate has no role for, by the slicer's name.
    pub other: BTreeMap<String, f64>,
    /// Layer changes.
    pub layers: usize,
}

/// The estimate's role for a slicer's `;TYPE:` name (PrusaSlicer, Orca/Bambu, Cura).
///
/// Gap fill goes with the perimeters (it fills the slivers between loops, where the
/// estimate's perimeter band is); overhang perimeters are external perimeters printed
/// over air; bottom surfaces are solid infill.
pub fn role_of(name: &str) -> Option<Role> {
    let n = name.trim().to_ascii_lowercase();
    Some(match n.as_str() {
        "external perimeter" | "outer wall" | "wall-outer" | "overhang perimeter"
        | "overhang wall" => Role::ExternalPerimeter,
        "perimeter" | "inner wall" | "wall-inner" | "gap fill" | "gap infill" => Role::Perimeter,
        "internal infill" | "sparse infill" | "fill" => Role::SparseInfill,
        "solid infill" | "internal solid infill" | "bottom surface" | "skin" => Role::SolidInfill,
        "top solid infill" | "top surface" => Role::TopSolidInfill,
        "bridge infill" | "bridge" | "internal bridge" => Role::Bridge,
        "support material" | "support" | "support transition" => Role::Support,
        "support material interface" | "support interface" | "support-interface" => {
            Role::SupportInterface
        }
        "skirt" | "skirt/brim" | "brim" => Role::Skirt,
        _ => return None,
    })
}

/// Reads the moves of G-code text; `filament_diameter_mm` turns E into volume.
pub fn read(text: &str, filament_diameter_mm: f64) -> Extrusion {
    let section = std::f64::consts::PI / 4.0 * filament_diameter_mm * filament_diameter_mm;
    let mut out = Extrusion::default();
    let mut role: Result<Role, String> = Err("none".to_string());
    let mut relative_e = false;
    let mut e_pos = 0.0_f64;
    for line in text.lines() {
        let line = line.trim_start();
        if let Some(c) = line.strip_prefix(';') {
            if let Some(name) = c.strip_prefix("TYPE:") {
                role = role_of(name).ok_or_else(|| name.trim().to_string());
            } else if c.starts_with("LAYER_CHANGE") || c.starts_with("LAYER:") {
                out.layers += 1;
            }
            continue;
        }
        let code = line.split(';').next().unwrap_or("");
        let mut words = code.split_whitespace();
        let Some(cmd) = words.next() else { continue };
        match cmd {
            "M82" => relative_e = false,
            "M83" => relative_e = true,
            "G90" => relative_e = false,
            "G91" => relative_e = true,
            "G92" => {
                if let Some(e) = param(code, 'E') {
                    e_pos = e;
                }
            }
            "G0" | "G1" | "G2" | "G3" | "G00" | "G01" | "G02" | "G03" => {
                let Some(e) = param(code, 'E') else { continue };
                let delta = if relative_e {
                    e
                } else {
                    let d = e - e_pos;
                    e_pos = e;
                    d
                };
                let moves = ['X', 'Y', 'I', 'J']
                    .iter()
                    .any(|&a| param(code, a).is_some());
                if moves && delta > 0.0 {
                    let mm3 = delta * section;
                    match &role {
                        Ok(r) => *out.by_role.entry(*r).or_insert(0.0) += mm3,
                        Err(name) => *out.other.entry(name.clone()).or_insert(0.0) += mm3,
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The value of parameter `axis` in a command's words (`X12.5`).
fn param(code: &str, axis: char) -> Option<f64> {
    code.split_whitespace()
        .skip(1)
        .find_map(|w| {
            w.strip_prefix(axis)
                .or_else(|| w.strip_prefix(axis.to_ascii_lowercase()))
        })
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    const SECTION: f64 = std::f64::consts::PI / 4.0 * 1.75 * 1.75;

    #[test]
    fn relative_e_per_role_without_retractions() {
        let x = read(
            "M83\n;LAYER_CHANGE\n;TYPE:External perimeter\nG1 X1 Y1 E1.5\nG1 E-0.8 F2100\nG1 E0.8\n\
             ;TYPE:Internal infill\nG1 X2 E0.5 ; comment E9\n;TYPE:Wipe tower\nG1 X3 E0.25\n;LAYER_CHANGE\n",
            1.75,
        );
        assert_relative_eq!(x.by_role[&Role::ExternalPerimeter], 1.5 * SECTION);
        assert_relative_eq!(x.by_role[&Role::SparseInfill], 0.5 * SECTION);
        assert_relative_eq!(x.other["Wipe tower"], 0.25 * SECTION);
        assert_eq!(x.layers, 2);
    }

    #[test]
    fn absolute_e_with_resets() {
        let x = read(
            "M82\nG92 E0\n;TYPE:WALL-OUTER\nG1 X1 E2\nG1 X2 E3\nG1 E2.2\nG1 E3\nG92 E0\n;TYPE:FILL\nG1 X3 E1\n;LAYER:1\n",
            1.75,
        );
        assert_relative_eq!(x.by_role[&Role::ExternalPerimeter], 3.0 * SECTION);
        assert_relative_eq!(x.by_role[&Role::SparseInfill], 1.0 * SECTION);
        assert_eq!(x.layers, 1);
    }

    #[test]
    fn every_slicer_role_name_maps() {
        for (name, role) in [
            ("Perimeter", Role::Perimeter),
            ("Gap fill", Role::Perimeter),
            ("Top solid infill", Role::TopSolidInfill),
            ("Bridge infill", Role::Bridge),
            ("Support material interface", Role::SupportInterface),
            ("Skirt/Brim", Role::Skirt),
            ("Outer wall", Role::ExternalPerimeter),
            ("Sparse infill", Role::SparseInfill),
            ("SKIN", Role::SolidInfill),
        ] {
            assert_eq!(role_of(name), Some(role), "{name}");
        }
        assert_eq!(role_of("Custom"), None);
    }
}
