//! The heights of the support layers: PrusaSlicer prints supports on layers of their own.
//!
//! Unless the interface is soluble and `support_material_synchronize_layers` is set,
//! PrusaSlicer 2.5 does not print supports on the object's layers
//! (`PrintObjectSupportMaterial::raft_and_intermediate_support_layers`). It collects the
//! *extremes*:
//! - the bottom of every top contact layer: the part's underside less the contact
//!   distance (`new_contact_layer`);
//! - the top of every bottom contact layer: a top surface the support stands on, plus
//!   the bottom interface layer (a bridging thread a nozzle thick, with `thick_bridges`)
//!   and the bottom contact distance (`bottom_contact_layers_and_layer_support_areas`).
//!
//! Extremes closer than the minimum layer height share a layer (`merge_contact_layers`).
//! Each gap between two extremes is filled with as few layers of one height as the
//! printer's maximum layer height allows. So under a tall overhang a 0.15 mm profile
//! prints its support in 0.3 mm layers, half as many as the object's, and each support
//! layer whose top is not an object layer's is a layer change of its own. That is why
//! PrusaSlicer's support time per mm³ falls as the object's layers get thinner, and why
//! its G-code has more layer changes with supports on.
//!
//! The estimate keeps its support rasters on the object's layers ([`super::support`]).
//! This module says, for each object layer, how many support layers take their region
//! from it (those whose middle lies in it), how thick they are together, and how many of
//! them end off the object's layer tops. The totals then scale each layer's support
//! lines by those counts: the lines are the same, there are fewer or more of them, and
//! each is as thick as its support layer.

use super::layers::Layers;
use crate::profile::fdm::FdmProfile;

/// Two heights closer than this are one (PrusaSlicer's `EPSILON` is 1e-4 mm).
const SAME_Z_MM: f64 = 1e-4;

/// What sets the support layers' heights.
#[derive(Debug, Clone, Copy)]
pub(super) struct SupportHeights {
    /// Gap between a top contact and the part above it, mm.
    pub contact_distance: f64,
    /// Gap between the part and a bottom contact on it, mm (PrusaSlicer's
    /// `support_material_bottom_contact_distance`, which the estimate reads as the top
    /// one).
    pub bottom_contact_distance: f64,
    /// The object layers the estimate leaves between a contact and the part.
    pub gap_layers: usize,
    /// Thickness of a bottom contact layer, mm: the bridging thread of `thick_bridges`.
    pub bottom_interface: f64,
    /// The thickest support layer, mm.
    pub max_height: f64,
    /// Extremes closer than this share a layer, mm.
    pub min_height: f64,
}

impl SupportHeights {
    /// The heights `pr` asks for, with the estimate's `gap_layers`.
    pub fn from_profile(pr: &FdmProfile, gap_layers: usize) -> SupportHeights {
        SupportHeights {
            contact_distance: pr.support_material_contact_distance,
            bottom_contact_distance: pr.support_material_contact_distance,
            gap_layers,
            bottom_interface: pr.nozzle_diameter,
            max_height: pr.max_support_layer_height(),
            // PrusaSlicer's `support_layer_height_min`: the least of the printer's
            // minimum and the object's layer heights, never below 10 µm.
            min_height: pr
                .min_layer_height
                .min(pr.layer_height)
                .min(pr.first_layer_height)
                .max(0.01),
        }
    }
}

/// Where an object layer's support stands in the support layers.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Share {
    /// Support layers whose middle lies in this object layer: they print its support
    /// region.
    pub layers: u32,
    /// Their heights together, mm.
    pub height: f64,
    /// Of those, the layers whose top is no object layer's top: each is a layer change
    /// of its own.
    pub own_layers: u32,
    /// Height of the support layers in the gap between extremes that holds this object
    /// layer's middle, mm (the object layer's height outside every gap).
    pub step: f64,
}

/// What the support walk found on one object layer.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Marks {
    /// New top contacts start here (the part's underside is `gap_layers` above).
    pub contact: bool,
    /// Columns stand on the part here (its top surface is `gap_layers` below).
    pub landing: bool,
}

/// Every object layer's [`Share`] of the support layers, from the layers' `marks`.
pub(super) fn schedule(layers: &Layers, marks: &[Marks], h: &SupportHeights) -> Vec<Share> {
    let n = layers.count().min(marks.len());
    let top = |k: usize| layers.z_mid[k] + 0.5 * layers.height_of(k);
    let tops: Vec<f64> = (0..n).map(top).collect();
    let first = layers.first_height;
    let mut shares: Vec<Share> = (0..n)
        .map(|k| Share {
            step: layers.height_of(k),
            ..Share::default()
        })
        .collect();
    if n == 0 {
        return shares;
    }
    let extremes = extremes(&tops, marks, first, h);

    // The object layer holding height z (the first whose top is at or above it).
    let layer_at = |z: f64| tops.partition_point(|&t| t < z - SAME_Z_MM);
    let on_object_top = |z: f64| {
        let i = layer_at(z);
        i < n && (tops[i] - z).abs() <= SAME_Z_MM
    };
    let mut put = |bottom: f64, print_z: f64| {
        let k = layer_at(0.5 * (bottom + print_z));
        if let Some(s) = shares.get_mut(k) {
            s.layers += 1;
            s.height += print_z - bottom;
            if !on_object_top(print_z) {
                s.own_layers += 1;
            }
        }
    };
    // The first support layer is the object's first (`first_print_layer_height`).
    put(0.0, first);
    let mut gaps: Vec<(f64, f64, f64)> = Vec::new();
    let mut z1 = first;
    for &z2 in &extremes {
        let dist = z2 - z1;
        if dist <= SAME_Z_MM {
            continue;
        }
        let count = (dist / h.max_height - 1e-9).ceil().max(1.0);
        let step = dist / count;
        for i in 0..count as usize {
            put(z1 + i as f64 * step, z1 + (i + 1) as f64 * step);
        }
        gaps.push((z1, z2, step));
        z1 = z2;
    }
    for (k, s) in shares.iter_mut().enumerate() {
        let z = layers.z_mid[k];
        let g = gaps.partition_point(|&(_, z2, _)| z2 < z);
        if let Some(&(z1, _, step)) = gaps.get(g)
            && z1 <= z
        {
            s.step = step;
        }
    }
    shares
}

/// The extremes above the first layer, ascending, those closer than the minimum layer
/// height merged into the lower one.
fn extremes(tops: &[f64], marks: &[Marks], first: f64, h: &SupportHeights) -> Vec<f64> {
    let n = tops.len();
    let mut z: Vec<f64> = Vec::new();
    for (k, m) in marks.iter().enumerate().take(n) {
        if m.contact {
            // The part's underside is the bottom of layer k + gap + 1, the top of
            // layer k + gap.
            let c = tops[(k + h.gap_layers).min(n - 1)] - h.contact_distance;
            // Below the first layer it is not printed; near it, it joins it.
            if c >= first + h.min_height {
                z.push(c);
            }
        }
        if m.landing && k >= h.gap_layers {
            z.push(tops[k - h.gap_layers] + h.bottom_interface + h.bottom_contact_distance);
        }
    }
    z.sort_by(f64::total_cmp);
    let mut merged: Vec<f64> = Vec::with_capacity(z.len());
    for v in z {
        match merged.last() {
            Some(&last) if v < last + h.min_height + SAME_Z_MM => {}
            _ => merged.push(v),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slice::Grid;

    fn stack(first: f64, height: f64, n: usize) -> Layers {
        Layers {
            first_height: first,
            height,
            z_mid: (0..n)
                .map(|k| {
                    if k == 0 {
                        first / 2.0
                    } else {
                        first + (k as f64 - 0.5) * height
                    }
                })
                .collect(),
            grid: Grid {
                x0: 0.0,
                y0: 0.0,
                pixel: 0.15,
                width: 1,
                height: 1,
            },
        }
    }

    fn heights(gap_layers: usize) -> SupportHeights {
        SupportHeights {
            contact_distance: 0.2,
            bottom_contact_distance: 0.2,
            gap_layers,
            bottom_interface: 0.4,
            max_height: 0.3,
            min_height: 0.07,
        }
    }

    fn total(shares: &[Share]) -> (u32, f64, u32) {
        shares.iter().fold((0, 0.0, 0), |(l, h, o), s| {
            (l + s.layers, h + s.height, o + s.own_layers)
        })
    }

    /// One overhang 10 mm up on 0.15 mm layers: the column below is cut into 0.3 mm
    /// layers, half as many as the object's, and most end between object layers.
    #[test]
    fn a_tall_column_is_printed_in_the_thickest_layers() {
        let layers = stack(0.2, 0.15, 100);
        let mut marks = vec![Marks::default(); 100];
        // The underside is the bottom of layer 66, the top of layer 65: z = 9.95.
        marks[64].contact = true;
        let s = schedule(&layers, &marks, &heights(1));
        let (count, height, own) = total(&s);
        // The contact's bottom: 9.95 - 0.2 = 9.75 mm. The first layer, then
        // ceil(9.55 / 0.3) = 32 layers.
        assert_eq!(count, 33);
        assert!((height - 9.75).abs() < 1e-9, "{height}");
        assert!(own > 20 && own < count, "{own}");
        // The object layers the column crosses hold about half a support layer each.
        let held: u32 = s[10..60].iter().map(|s| s.layers).sum();
        assert!((24..=26).contains(&held), "{held}");
        assert!((s[30].step - 9.55 / 32.0).abs() < 1e-9);
        // Above the contact there is no support layer.
        assert!(s[66..].iter().all(|s| s.layers == 0));
    }

    /// At 0.3 mm layers, with a contact distance of one layer, the support layers are
    /// the object's.
    #[test]
    fn layers_as_thick_as_the_limit_stay_the_objects() {
        let layers = stack(0.3, 0.3, 60);
        let mut marks = vec![Marks::default(); 60];
        marks[40].contact = true;
        let h = SupportHeights {
            contact_distance: 0.3,
            ..heights(1)
        };
        let s = schedule(&layers, &marks, &h);
        // The contact's bottom is layer 41's top less 0.3, layer 40's top: 12.3 mm.
        let (count, height, own) = total(&s);
        assert_eq!(count, 41);
        assert!((height - 12.3).abs() < 1e-9, "{height}");
        assert_eq!(own, 0);
        assert!(s[..=40].iter().all(|s| s.layers == 1));
        assert!(s[41..].iter().all(|s| s.layers == 0));
        // A 0.2 mm contact distance puts the contact off the object's tops: the same
        // gap then takes 41 layers of 12.1 / 41 mm, all but the first off the grid.
        let s = schedule(&layers, &marks, &heights(1));
        assert_eq!(total(&s).0, 42);
        assert_eq!(total(&s).2, 41);
    }

    /// Contacts on every layer (a sphere's underside) keep one support layer per
    /// object layer; with a contact distance that is no multiple of the layer, every
    /// one of them is a layer change of its own.
    #[test]
    fn contacts_on_every_layer_keep_every_layer() {
        let layers = stack(0.2, 0.15, 40);
        let marks = vec![
            Marks {
                contact: true,
                landing: false
            };
            40
        ];
        let s = schedule(&layers, &marks, &heights(1));
        let (count, _, own) = total(&s);
        assert!((38..=41).contains(&count), "{count}");
        assert_eq!(
            own,
            count - 1,
            "all but the first layer are off the object's tops"
        );
    }

    /// A column standing on the part starts again above its bottom contact.
    #[test]
    fn a_landing_is_an_extreme() {
        let layers = stack(0.2, 0.2, 100);
        let mut marks = vec![Marks::default(); 100];
        marks[80].contact = true;
        marks[30].landing = true;
        let s = schedule(&layers, &marks, &heights(1));
        // Extremes: the landing's 6.0 + 0.4 + 0.2 = 6.6 mm (layer 29's top is 6.0),
        // and the contact's 16.4 - 0.2 = 16.2 mm.
        let (count, height, _) = total(&s);
        assert!((height - 16.2).abs() < 1e-9, "{height}");
        // 1 + ceil(6.4 / 0.3) + ceil(9.6 / 0.3) = 1 + 22 + 32.
        assert_eq!(count, 55);
    }

    #[test]
    fn no_marks_no_support_layers_but_the_first() {
        let layers = stack(0.2, 0.2, 10);
        let s = schedule(&layers, &[Marks::default(); 10], &heights(1));
        assert_eq!(total(&s).0, 1);
        assert_eq!(s[0].layers, 1);
        assert!(schedule(&stack(0.2, 0.2, 0), &[], &heights(1)).is_empty());
    }
}
