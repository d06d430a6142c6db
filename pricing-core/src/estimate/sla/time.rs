//! PrusaSlicer's SLA print-time estimate (`SLAPrint::Steps::merge_slices_and_eval_stats`,
//! 2.5), reproduced term by term:
//!
//! - exposure: the first 3 layers get `initial_exposure_time`; then the exposure steps
//!   down by (initial − normal) / (faded_layers + 1) per layer until it reaches
//!   `exposure_time`;
//! - tilt: `fast_tilt_time` when the layer's cured area (part + supports + pad) is at most
//!   `area_fill` % of the display, else `slow_tilt_time`; a `slow` material always tilts
//!   slowly, a `high_viscosity` one always takes `high_viscosity_tilt_time`;
//! - delays: 3 s before each exposure for a slow material, 3.5 s for a high-viscosity one,
//!   and 1 s before each slow-tilt layer of a fast one;
//! - the tower: 5 s per mm of layer height (the first layer is `initial_layer_height`).

use crate::profile::sla::{PrintSpeed, SlaProfile};

/// Time of a stack of layers and how many took each tilt.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StackTime {
    /// Seconds of the layers in the first range asked for (the supports and pad).
    pub below_s: f64,
    /// Seconds of the other layers (those cut through the part).
    pub part_s: f64,
    /// Layers that tilted fast (PrusaSlicer's `numFast`).
    pub fast_layers: usize,
    /// Layers that tilted slowly (`numSlow`).
    pub slow_layers: usize,
}

impl StackTime {
    /// The whole print, s.
    pub fn total_s(&self) -> f64 {
        self.below_s + self.part_s
    }
}

/// Times `layers` layers whose cured area (mm²) is `area(i)`; layers `0..below` are
/// reported as `below_s`.
pub fn stack_time(
    p: &SlaProfile,
    layers: usize,
    below: usize,
    area: impl Fn(usize) -> f64,
) -> StackTime {
    let display = p.display_width * p.display_height;
    let fast_up_to = display * p.area_fill / 100.0;
    let (init, exp) = (p.initial_exposure_time, p.exposure_time);
    let step = (init - exp) / (f64::from(p.faded_layers) + 1.0);
    let mut fading = init;
    let mut out = StackTime::default();
    for i in 0..layers {
        let fast = area(i) <= fast_up_to;
        if fast {
            out.fast_layers += 1;
        } else {
            out.slow_layers += 1;
        }
        let exposure = if i < 3 {
            init
        } else if fading > exp {
            // The same running subtraction as PrusaSlicer, so a last fade step that lands
            // a rounding error above `exposure_time` is taken exactly as it takes it.
            fading -= step;
            fading
        } else {
            exp
        };
        let (tilt, delay) = match p.material_print_speed {
            PrintSpeed::Slow => (p.slow_tilt_time, 3.0),
            PrintSpeed::HighViscosity => (p.high_viscosity_tilt_time, 3.5),
            PrintSpeed::Fast if fast => (p.fast_tilt_time, 0.0),
            PrintSpeed::Fast => (p.slow_tilt_time, 1.0),
        };
        let thickness = if i == 0 {
            p.initial_layer_height
        } else {
            p.layer_height
        };
        let t = exposure + tilt + delay + 5.0 * thickness;
        if i < below {
            out.below_s += t;
        } else {
            out.part_s += t;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sl1s() -> SlaProfile {
        SlaProfile::default()
    }

    #[test]
    fn cube_20mm_matches_prusaslicer_4405_s() {
        // PrusaSlicer 2.5 on the 20 mm cube with fixtures/sla/sl1s-0.05.ini: 540 layers,
        // all fast, printTime = 4405.000002.
        let t = stack_time(&sl1s(), 540, 140, |_| 500.0);
        approx::assert_relative_eq!(t.total_s(), 4405.0, max_relative = 1e-9);
        assert_eq!((t.fast_layers, t.slow_layers), (540, 0));
    }

    #[test]
    fn large_layers_tilt_slowly_and_wait_a_second() {
        let p = sl1s();
        let big = p.display_width * p.display_height; // the whole display
        let fast = stack_time(&p, 100, 0, |_| 10.0);
        let slow = stack_time(&p, 100, 0, |_| big);
        assert_eq!(slow.slow_layers, 100);
        let per_layer = (slow.total_s() - fast.total_s()) / 100.0;
        approx::assert_relative_eq!(
            per_layer,
            p.slow_tilt_time - p.fast_tilt_time + 1.0,
            max_relative = 1e-9
        );
    }

    #[test]
    fn slow_material_tilts_slowly_everywhere() {
        let mut p = sl1s();
        p.material_print_speed = PrintSpeed::Slow;
        let t = stack_time(&p, 10, 0, |_| 1.0);
        // Still counted as fast layers (the area is small), timed as slow ones.
        assert_eq!(t.fast_layers, 10);
        let base = stack_time(&sl1s(), 10, 0, |_| 1.0);
        approx::assert_relative_eq!(
            t.total_s() - base.total_s(),
            10.0 * (p.slow_tilt_time - p.fast_tilt_time + 3.0),
            max_relative = 1e-9
        );
    }

    #[test]
    fn fade_steps_down_to_the_normal_exposure() {
        let mut p = sl1s();
        p.fast_tilt_time = 0.0;
        p.layer_height = 0.0;
        p.initial_layer_height = 0.0;
        // 30 → 2.5 over 10 faded layers: steps of 2.5 s after three initial layers.
        let t = stack_time(&p, 20, 0, |_| 1.0);
        let fade: f64 = (1..=11).map(|k| 30.0 - 2.5 * k as f64).sum();
        approx::assert_relative_eq!(
            t.total_s(),
            3.0 * 30.0 + fade + 6.0 * 2.5,
            max_relative = 1e-9
        );
    }
}
