//! The heights of the support layers: PrusaSlicer prints supports on layers of their own.
//!
//! Unless the interface is soluble and `support_material_synchronize_layers` is set,
//! PrusaSlicer 2.5 does not print supports on the object's layers
//! (`PrintObjectSupportMaterial::raft_and_intermediate_support_layers`). It collects the
//! *extremes*, the contact layers:
//! - a top contact under every object layer that overhangs: its top is the part's
//!   underside less the contact distance (`new_contact_layer`). It prints a dense
//!   interface only where the overhang reaches past the layer below by more than 60% of
//!   an external perimeter (`reduce_interfaces`); elsewhere it prints nothing, but it
//!   still bounds the layers below it;
//! - a bottom contact on every top surface the columns stand on: a bridging interface a
//!   nozzle thick, the bottom contact distance above the surface (`thick_bridges`).
//!
//! Top contacts closer than the minimum layer height share a layer
//! (`merge_contact_layers`). The gap between two extremes is filled with as few
//! *intermediate* layers of one height as the printer's `max_layer_height` allows, and a
//! top contact takes the last of them as its own height, so its bottom moves down by
//! that step. Where the next gap starts under such a contact, a first intermediate layer
//! as thick as the contact keeps the next from being too thin. So contacts on every
//! 0.15 mm layer of a 45° overhang are printed in 0.3 mm layers, one per two contacts,
//! as PrusaSlicer's G-code shows (`tests::contacts_on_every_layer_are_printed_every_other_layer`);
//! under a tall overhang a 0.15 mm profile prints its support in layers just under
//! 0.3 mm, half as many as the object's; and every support layer whose top is no object
//! layer's is a layer change of its own. That is why PrusaSlicer's support time per mm³
//! falls as the object's layers get thinner, and why its G-code has more layer changes
//! with supports on.
//!
//! The estimate keeps its support rasters on the object's layers ([`super::support`]).
//! This module says, for each object layer, how many printing intermediate layers take
//! their region from it (those whose middle lies in it), how thick they are together,
//! and how many layer changes of their own the printing layers add there. The totals
//! then scale each layer's support lines by those counts: the lines are the same, there
//! are fewer or more of them, and each is as thick as its support layer.

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
    /// Support layers that print, whose middle lies in this object layer: they print
    /// its support region.
    pub layers: u32,
    /// Their heights together, mm.
    pub height: f64,
    /// Layer changes of their own: the distinct tops of printing support layers in this
    /// object layer that are no object layer's top.
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
    /// Some of them get a dense interface, so the top contact layer prints.
    pub dense: bool,
    /// Columns stand on the part here (its top surface is `gap_layers` below).
    pub landing: bool,
}

/// A top or bottom contact layer, whose z bounds the gaps the other support layers fill.
#[derive(Debug, Clone, Copy)]
struct Extreme {
    print_z: f64,
    /// Bottom of the layer. A top contact's is not known until the gap below it is
    /// filled: it starts at `print_z` and becomes `print_z` less that gap's step.
    bottom: f64,
    top_contact: bool,
    /// Whether the layer extrudes anything (a top contact without a dense interface
    /// only bounds the gap).
    prints: bool,
}

impl Extreme {
    /// The z the gaps end at: a top contact's bottom, a bottom contact's top.
    fn z(&self) -> f64 {
        if self.top_contact {
            self.bottom
        } else {
            self.print_z
        }
    }
}

/// A support layer: its bottom and top, whether it extrudes anything, and whether it is
/// an intermediate layer (base, and interface just under and over the contacts) or a
/// contact layer (interface only).
#[derive(Debug, Clone, Copy, PartialEq)]
struct SupportLayerZ {
    bottom: f64,
    print_z: f64,
    prints: bool,
    intermediate: bool,
}

/// Every object layer's [`Share`] of the support layers, from the layers' `marks`.
pub(super) fn schedule(layers: &Layers, marks: &[Marks], h: &SupportHeights) -> Vec<Share> {
    let n = layers.count().min(marks.len());
    let top = |k: usize| layers.z_mid[k] + 0.5 * layers.height_of(k);
    let tops: Vec<f64> = (0..n).map(top).collect();
    let mut shares: Vec<Share> = (0..n)
        .map(|k| Share {
            step: layers.height_of(k),
            ..Share::default()
        })
        .collect();
    if n == 0 {
        return shares;
    }
    let (support, gaps) = support_layers(
        &extremes(&tops, marks, layers.first_height, h),
        layers.first_height,
        h,
    );

    // The object layer holding height z (the first whose top is at or above it).
    let layer_at = |z: f64| tops.partition_point(|&t| t < z - SAME_Z_MM);
    let on_object_top = |z: f64| {
        let i = layer_at(z);
        i < n && (tops[i] - z).abs() <= SAME_Z_MM
    };
    let mut own_tops: Vec<f64> = Vec::new();
    for l in support.iter().filter(|l| l.prints) {
        if l.intermediate {
            // The intermediate layers tile the columns' height and print their region;
            // the contact layers over and under them print only the interface, which
            // keeps its count of layers (see `totals`).
            if let Some(s) = shares.get_mut(layer_at(0.5 * (l.bottom + l.print_z))) {
                s.layers += 1;
                s.height += l.print_z - l.bottom;
            }
        }
        if !on_object_top(l.print_z) {
            own_tops.push(l.print_z);
        }
    }
    // Support layers with the same top share a layer change.
    own_tops.sort_by(f64::total_cmp);
    own_tops.dedup_by(|a, b| (*a - *b).abs() <= SAME_Z_MM);
    for z in own_tops {
        if let Some(s) = shares.get_mut(layer_at(z)) {
            s.own_layers += 1;
        }
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

/// The contact layers, sorted by the z their gaps end at (a top contact first where a
/// bottom contact ends at the same z).
fn extremes(tops: &[f64], marks: &[Marks], first: f64, h: &SupportHeights) -> Vec<Extreme> {
    let n = tops.len();
    let mut top: Vec<Extreme> = Vec::new();
    let mut bottom: Vec<Extreme> = Vec::new();
    for (k, m) in marks.iter().enumerate().take(n) {
        if m.contact {
            // The part's underside is the bottom of layer k + gap + 1, the top of
            // layer k + gap.
            let c = tops[(k + h.gap_layers).min(n - 1)] - h.contact_distance;
            // Below the first layer it is not printed; near it, it joins it (and spans
            // it from the bed).
            if c >= first - SAME_Z_MM {
                let (print_z, bottom) = if c < first + h.min_height {
                    (first, 0.0)
                } else {
                    (c, c)
                };
                top.push(Extreme {
                    print_z,
                    bottom,
                    top_contact: true,
                    prints: m.dense,
                });
            }
        }
        if m.landing && k >= h.gap_layers {
            let z = tops[k - h.gap_layers] + h.bottom_interface + h.bottom_contact_distance;
            bottom.push(Extreme {
                print_z: z,
                bottom: z - h.bottom_interface,
                top_contact: false,
                prints: true,
            });
        }
    }
    // Top contacts closer than the minimum layer height share one layer
    // (`merge_contact_layers`); a bottom contact that close to a top contact takes its z.
    top.sort_by(|a, b| a.print_z.total_cmp(&b.print_z));
    let mut merged: Vec<Extreme> = Vec::with_capacity(top.len());
    for e in top {
        match merged.last_mut() {
            Some(last) if e.print_z < last.print_z + h.min_height + SAME_Z_MM => {
                last.prints |= e.prints;
            }
            _ => merged.push(e),
        }
    }
    for b in &mut bottom {
        let i = merged.partition_point(|t| t.print_z < b.print_z - h.min_height - SAME_Z_MM);
        if let Some(t) = merged.get(i)
            && (t.print_z - b.print_z).abs() <= h.min_height + SAME_Z_MM
        {
            b.print_z = t.print_z;
        }
    }
    merged.append(&mut bottom);
    merged.sort_by(|a, b| {
        a.z()
            .total_cmp(&b.z())
            .then(b.top_contact.cmp(&a.top_contact))
    });
    merged
}

/// The support layers PrusaSlicer makes from `extremes`
/// (`raft_and_intermediate_support_layers`, without a raft and with layers not
/// synchronised): the first layer, then each gap between two extremes filled with as few
/// layers of one height as `max_height` allows, a top contact taking the last of them
/// as its own height. Returns the layers (the contact layers among them) and the gaps
/// as (bottom, top, step).
fn support_layers(
    extremes: &[Extreme],
    first: f64,
    h: &SupportHeights,
) -> (Vec<SupportLayerZ>, Vec<(f64, f64, f64)>) {
    let mut out: Vec<SupportLayerZ> = Vec::new();
    let mut gaps: Vec<(f64, f64, f64)> = Vec::new();
    let mut extremes = extremes.to_vec();
    let count = |dist: f64| (dist / h.max_height - 1e-9).ceil().max(0.0) as usize;
    let intermediate = |bottom: f64, print_z: f64| SupportLayerZ {
        bottom,
        print_z,
        prints: true,
        intermediate: true,
    };
    // The first layer is printed once, whichever gaps start on the bed.
    let mut has_first = false;
    let mut first_layer = |out: &mut Vec<SupportLayerZ>| {
        if !std::mem::replace(&mut has_first, true) {
            out.push(intermediate(0.0, first));
        }
    };
    for i in 0..extremes.len() {
        let e2 = extremes[i];
        if e2.print_z <= first + SAME_Z_MM {
            // A contact on the first layer: the first layer is its support.
            first_layer(&mut out);
            continue;
        }
        let e1 = i.checked_sub(1).map(|j| extremes[j]);
        let mut z1 = e1.map_or(0.0, |e| e.z());
        if z1.abs() < SAME_Z_MM {
            // The gap starts on the bed: its first layer is the first layer.
            first_layer(&mut out);
            z1 = first;
        }
        let mut z2 = e2.z();
        let mut dist = z2 - z1;
        if dist <= SAME_Z_MM {
            continue;
        }
        let mut layers = count(dist).max(1);
        let mut step = dist / layers as f64;
        if let Some(e1) = e1.filter(|e| e.top_contact)
            && e1.print_z + h.min_height > e1.bottom + step
        {
            // The gap starts under a top contact: one layer the contact's own height, so
            // the next is not too thin (on the bed, that layer is the first).
            if e1.bottom.abs() < SAME_Z_MM {
                first_layer(&mut out);
            } else {
                out.push(intermediate(e1.bottom, e1.print_z));
            }
            z1 = e1.print_z;
            dist = z2 - z1;
            layers = count(dist);
            if layers == 0 {
                continue;
            }
            step = dist / layers as f64;
        }
        gaps.push((z1, z2, step));
        if e2.top_contact {
            // The top contact takes the gap's last step as its height.
            extremes[i].bottom = e2.print_z - step;
            z2 = extremes[i].bottom;
            layers -= 1;
            if layers == 0 {
                continue;
            }
        }
        for j in 0..layers {
            let bottom = if j + 1 == layers && j > 0 {
                out.last().map_or(z1, |l| l.print_z)
            } else {
                z1 + j as f64 * step
            };
            let print_z = if j + 1 == layers { z2 } else { bottom + step };
            out.push(intermediate(bottom, print_z));
        }
    }
    for e in &extremes {
        out.push(SupportLayerZ {
            bottom: e.bottom.min(e.print_z),
            print_z: e.print_z,
            prints: e.prints,
            intermediate: false,
        });
    }
    out.sort_by(|a, b| a.print_z.total_cmp(&b.print_z));
    (out, gaps)
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

    /// The printing intermediate layers' (bottom, top), mm.
    fn printed(layers: &Layers, marks: &[Marks], h: &SupportHeights) -> Vec<(f64, f64)> {
        let n = layers.count();
        let tops: Vec<f64> = (0..n)
            .map(|k| layers.z_mid[k] + 0.5 * layers.height_of(k))
            .collect();
        let ex = extremes(&tops, marks, layers.first_height, h);
        support_layers(&ex, layers.first_height, h)
            .0
            .iter()
            .filter(|l| l.prints && l.intermediate)
            .map(|l| (l.bottom, l.print_z))
            .collect()
    }

    /// One overhang 10 mm up on 0.15 mm layers: the column below is cut into layers
    /// just under 0.3 mm, half as many as the object's, and most end between object
    /// layers.
    #[test]
    fn a_tall_column_is_printed_in_the_thickest_layers() {
        let layers = stack(0.2, 0.15, 100);
        let mut marks = vec![Marks::default(); 100];
        // The underside is the bottom of layer 66, the top of layer 65: z = 9.95.
        marks[64].contact = true;
        let s = schedule(&layers, &marks, &heights(1));
        let (count, height, own) = total(&s);
        // The contact's bottom: 9.95 - 0.2 = 9.75 mm. The gap above the first layer,
        // 9.55 mm, takes 32 layers of 0.2984 mm; the contact (no dense interface, so
        // it prints nothing) takes the last, the first layer and 31 others print.
        let step = 9.55 / 32.0;
        assert_eq!(count, 32);
        assert!((height - (9.75 - step)).abs() < 1e-9, "{height}");
        assert!(own > 20 && own < count, "{own}");
        // The object layers the column crosses hold about half a support layer each.
        let held: u32 = s[10..60].iter().map(|s| s.layers).sum();
        assert!((24..=26).contains(&held), "{held}");
        assert!((s[30].step - step).abs() < 1e-9);
        // Above the contact there is no support layer.
        assert!(s[65..].iter().all(|s| s.layers == 0));
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
        // The contact's bottom is layer 41's top less 0.3, layer 40's top: 12.3 mm;
        // the contact takes 12.0 ..= 12.3, the first layer and 39 more print below.
        let (count, height, own) = total(&s);
        assert_eq!(count, 40);
        assert!((height - 12.0).abs() < 1e-9, "{height}");
        assert_eq!(own, 0);
        assert!(s[..40].iter().all(|s| s.layers == 1));
        assert!(s[40..].iter().all(|s| s.layers == 0));
        // A 0.2 mm contact distance puts the contact off the object's tops: the gap
        // then takes 41 layers of 12.1 / 41 mm, all but the first off the grid.
        let s = schedule(&layers, &marks, &heights(1));
        assert_eq!(total(&s).0, 41);
        assert_eq!(total(&s).2, 40);
    }

    /// Contacts on every layer of a 45° overhang at 0.15 mm: PrusaSlicer 2.5 prints
    /// the support under it in 0.3 mm layers, one per two contacts. Its G-code for a
    /// frustum widening at 45° (`scripts/overhang_cone.py 45`, sliced with
    /// `fixtures/accuracy/profiles/fine-rectilinear.ini --support-material`, read with
    /// `scripts/gcode_layers.py`) has support layers topping at 0.2 (the first), 0.45
    /// (0.25 mm thick), then 0.75, 1.05, … 3.75 mm, each 0.3 mm thick.
    #[test]
    fn contacts_on_every_layer_are_printed_every_other_layer() {
        let layers = stack(0.2, 0.15, 60);
        let mut marks = vec![Marks::default(); 60];
        for m in marks.iter_mut().skip(1) {
            m.contact = true;
        }
        let p = printed(&layers, &marks, &heights(1));
        let tops: Vec<f64> = p.iter().map(|&(_, t)| t).take(14).collect();
        let expected: Vec<f64> = [0.2, 0.45]
            .into_iter()
            .chain((1..13).map(|i| 0.45 + 0.3 * i as f64))
            .collect();
        assert_eq!(tops.len(), expected.len());
        for (t, e) in tops.iter().zip(&expected) {
            assert!((t - e).abs() < 1e-9, "{tops:?}");
        }
        // Dense contacts print their interface too, at their own tops between the
        // object's: one more layer change each.
        let s = schedule(&layers, &marks, &heights(1));
        for m in marks.iter_mut() {
            m.dense = m.contact;
        }
        let dense = schedule(&layers, &marks, &heights(1));
        assert_eq!(total(&dense).0, total(&s).0);
        assert!(
            total(&dense).2 > total(&s).2 + 20,
            "{} {}",
            total(&dense).2,
            total(&s).2
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
        // and the contact's 16.4 - 0.2 = 16.2 mm, which takes 15.9 ..= 16.2. Below them
        // the first layer, ceil(6.4 / 0.3) = 22 and ceil(9.6 / 0.3) - 1 = 31 layers.
        let (count, height, _) = total(&s);
        assert_eq!(count, 54);
        assert!((height - 15.9).abs() < 1e-9, "{height}");
    }

    #[test]
    fn no_contacts_no_support_layers() {
        let layers = stack(0.2, 0.2, 10);
        let s = schedule(&layers, &[Marks::default(); 10], &heights(1));
        assert_eq!(total(&s), (0, 0.0, 0));
        assert!(schedule(&stack(0.2, 0.2, 0), &[], &heights(1)).is_empty());
    }
}
