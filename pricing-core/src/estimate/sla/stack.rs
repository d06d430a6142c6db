//! The layer stack as PrusaSlicer builds it (`SLAPrint::Steps::slice_model`): layers
//! start at the platform, below the pad, and the part sits `elevation` above it (the
//! support gap plus the pad's thickness, `SLAPrintObject::get_elevation`). The first layer
//! is `initial_layer_height` thick, every other one `layer_height`, and a layer exists
//! while its top is not above the part's top. PrusaSlicer counts in nanometres
//! (`scaled()` truncates toward zero), and so does this, so the counts agree exactly.

/// Nanometres, truncated toward zero like PrusaSlicer's `scaled<coord_t>()`.
fn nm(mm: f64) -> i64 {
    (mm * 1.0e6) as i64
}

/// Layers from the platform to the top of a part `height` mm tall standing `elevation`
/// mm above it; `None` when the inputs are not finite and positive.
pub fn layer_count(
    height: f64,
    elevation: f64,
    initial_layer_height: f64,
    layer_height: f64,
) -> Option<u64> {
    if !(height.is_finite() && elevation.is_finite() && elevation >= 0.0) {
        return None;
    }
    let (lh, ilh) = (nm(layer_height), nm(initial_layer_height));
    if lh <= 0 || ilh <= 0 {
        return None;
    }
    let (min_z, max_z) = (nm(-elevation), nm(height));
    // The first layer always exists; then one per `lh` whose top is at most `max_z`.
    let first_top = min_z + ilh + lh;
    let more = if max_z >= first_top {
        (max_z - first_top) / lh + 1
    } else {
        0
    };
    Some(1 + more as u64)
}

/// Index of the first layer cut through the part: the layer whose slice plane is closest
/// to the part's bottom (`SLAPrintObject::closest_slice_record`). Layers below it hold
/// only the pad and the supports.
pub fn first_part_layer(elevation: f64, initial_layer_height: f64, layer_height: f64) -> usize {
    if elevation <= 0.0 || layer_height <= 0.0 {
        return 0;
    }
    // Layer j ≥ 1 is cut at elevation-relative z = ilh + j·lh − lh/2 − elevation.
    let j = (elevation - initial_layer_height + 0.5 * layer_height) / layer_height;
    if j.is_finite() {
        j.round().max(0.0) as usize
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cube_20mm_on_5mm_supports_and_a_2mm_pad_is_540_layers() {
        // PrusaSlicer 2.5 --export-sla, fixtures/sla/sl1s-0.05.ini: numFast + numSlow = 540.
        assert_eq!(layer_count(20.0, 7.0, 0.05, 0.05), Some(540));
    }

    #[test]
    fn thick_first_layer_and_no_elevation() {
        // 1 mm part straight on the platform, 0.3 mm first layer, 0.1 mm layers:
        // tops at 0.3, 0.4, ..., 1.0 → 8 layers.
        assert_eq!(layer_count(1.0, 0.0, 0.3, 0.1), Some(8));
        // A part thinner than the first layer still gets that one layer.
        assert_eq!(layer_count(0.1, 0.0, 0.3, 0.1), Some(1));
        assert_eq!(layer_count(f64::NAN, 0.0, 0.3, 0.1), None);
        assert_eq!(layer_count(1.0, 0.0, 0.0, 0.1), None);
    }

    #[test]
    fn first_part_layer_is_the_one_cut_nearest_the_bottom() {
        // Elevation 7 mm in 0.05 mm layers: planes at 6.975 + 0.05 k below the part;
        // plane 140 is at +0.025 (the first cut through the part).
        assert_eq!(first_part_layer(7.0, 0.05, 0.05), 140);
        assert_eq!(first_part_layer(0.0, 0.05, 0.05), 0);
    }
}
