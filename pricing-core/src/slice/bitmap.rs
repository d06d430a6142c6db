//! A 2D bit raster of one layer: one bit per pixel, rows of `u64` words.
//!
//! Regions (section, perimeter band, skins, supports) are sets of pixels; set algebra is
//! word-wise, and erosion/dilation by a disc are built from shifted rows, so a layer costs
//! a few word operations per 64 pixels.

/// A `width` × `height` bit raster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Words per row.
    pub stride: usize,
    /// Row-major words; bit `x % 64` of word `x / 64` is pixel `x`.
    pub words: Vec<u64>,
}

impl Bitmap {
    /// An empty raster.
    pub fn new(width: usize, height: usize) -> Bitmap {
        let stride = width.div_ceil(64);
        Bitmap {
            width,
            height,
            stride,
            words: vec![0; stride * height],
        }
    }

    /// Row `y` as words.
    pub fn row(&self, y: usize) -> &[u64] {
        &self.words[y * self.stride..(y + 1) * self.stride]
    }

    /// Row `y` as mutable words.
    pub fn row_mut(&mut self, y: usize) -> &mut [u64] {
        &mut self.words[y * self.stride..(y + 1) * self.stride]
    }

    /// Sets pixels `x0..x1` of row `y` (clamped to the raster).
    pub fn set_span(&mut self, y: usize, x0: usize, x1: usize) {
        let x1 = x1.min(self.width);
        if x0 >= x1 || y >= self.height {
            return;
        }
        let row = self.row_mut(y);
        set_bits(row, x0, x1);
    }

    /// Whether pixel (x, y) is set.
    pub fn get(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.height && (self.row(y)[x / 64] >> (x % 64)) & 1 == 1
    }

    /// Runs of set pixels along the direction (`dx`, 1), `dx` in -1..=1 (columns for 0,
    /// the diagonals for ±1): the set pixels whose neighbour at (x − dx, y − 1) is unset,
    /// counted word-wise.
    pub fn run_starts(&self, dx: i32) -> u64 {
        let mut n = 0u64;
        for y in 0..self.height {
            let row = self.row(y);
            if y == 0 {
                n += row.iter().map(|w| w.count_ones() as u64).sum::<u64>();
                continue;
            }
            let below = self.row(y - 1);
            for (i, &w) in row.iter().enumerate() {
                let prev = match dx {
                    0 => below[i],
                    // Pixel x − 1 of the row below moved to bit x.
                    1 => (below[i] << 1) | if i > 0 { below[i - 1] >> 63 } else { 0 },
                    // Pixel x + 1 of the row below moved to bit x.
                    _ => (below[i] >> 1) | below.get(i + 1).map_or(0, |&u| u << 63),
                };
                n += (w & !prev).count_ones() as u64;
            }
        }
        n
    }

    /// Set pixels.
    pub fn count(&self) -> u64 {
        self.words.iter().map(|w| w.count_ones() as u64).sum()
    }

    /// Whether no pixel is set.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }

    /// `self &= other`.
    pub fn and(&mut self, other: &Bitmap) {
        self.words
            .iter_mut()
            .zip(&other.words)
            .for_each(|(a, b)| *a &= *b);
    }

    /// `self |= other`.
    pub fn or(&mut self, other: &Bitmap) {
        self.words
            .iter_mut()
            .zip(&other.words)
            .for_each(|(a, b)| *a |= *b);
    }

    /// `self &= !other`.
    pub fn and_not(&mut self, other: &Bitmap) {
        self.words
            .iter_mut()
            .zip(&other.words)
            .for_each(|(a, b)| *a &= !*b);
    }

    /// Erosion by a disc of `radius` pixels (centre to centre): a pixel stays if every
    /// pixel within the radius is set. Outside the raster counts as unset.
    pub fn eroded(&self, radius: f64) -> Bitmap {
        self.morph(radius, true)
    }

    /// Dilation by a disc of `radius` pixels.
    pub fn dilated(&self, radius: f64) -> Bitmap {
        self.morph(radius, false)
    }

    fn morph(&self, radius: f64, erode: bool) -> Bitmap {
        if radius < 1.0 || self.is_empty() && !erode {
            return self.clone();
        }
        let half = disc_half_widths(radius);
        let passes = self.horizontal_all(half[0], erode);
        self.combine_rows(&half, |k| &passes[k.min(passes.len() - 1)], erode)
    }

    /// Horizontal erosions (or dilations) by 0..=k pixels each side, built incrementally:
    /// pass j is pass j-1 combined with itself shifted one pixel each way (its reach
    /// grows by one on both sides; at the raster's edges the clipped reaches still
    /// cover the clipped disc). A one-pixel shift is a fixed pair of word shifts that
    /// vectorises, where shifting the original row by j pixels needed a word offset and
    /// a bounds check per word; the result is the same bits.
    fn horizontal_all(&self, k: usize, erode: bool) -> Vec<Bitmap> {
        let mut out = Vec::with_capacity(k + 1);
        out.push(self.clone());
        let s = self.stride;
        for j in 1..=k {
            let prev = &out[j - 1];
            let mut next = Bitmap::new(self.width, self.height);
            if s > 0 {
                for (src, dst) in prev
                    .words
                    .chunks_exact(s)
                    .zip(next.words.chunks_exact_mut(s))
                {
                    grow_row_by_one(src, dst, erode);
                }
            }
            next.clear_tail();
            out.push(next);
        }
        out
    }

    /// Erosions by several disc radii (pixels), sharing the horizontal passes.
    pub fn eroded_many(&self, radii: &[f64]) -> Vec<Bitmap> {
        let rmax = radii
            .iter()
            .copied()
            .fold(0.0f64, f64::max)
            .clamp(0.0, 4096.0);
        let passes = self.horizontal_all(rmax.floor() as usize, true);
        radii
            .iter()
            .map(|&r| {
                if r < 1.0 {
                    return self.clone();
                }
                let half = disc_half_widths(r);
                self.combine_rows(&half, |k| &passes[k.min(passes.len() - 1)], true)
            })
            .collect()
    }

    /// The vertical half of a disc morphology: row `y` of the result combines row
    /// `y ± dy` of the horizontal pass `pass_of(half[dy])` for every `dy`.
    ///
    /// Each offset is one operation over the whole raster (rows `dy..` against rows
    /// `..height - dy`), not one per row: small parts have rows of two or three words, so
    /// per-row loops were mostly overhead, and long slices vectorise.
    fn combine_rows<'a>(
        &self,
        half: &[usize],
        pass_of: impl Fn(usize) -> &'a Bitmap,
        erode: bool,
    ) -> Bitmap {
        let (s, h) = (self.stride, self.height);
        let mut out = Bitmap::new(self.width, h);
        if erode {
            out.words.fill(!0);
        }
        // Offsets at or past the height reach only outside the raster.
        for (dy, &k) in half.iter().enumerate().take(h) {
            let src = &pass_of(k).words;
            let (shift, n) = (dy * s, (h - dy) * s);
            // Rows 0..h-dy take the row dy below them.
            combine(&mut out.words[..n], &src[shift..], erode);
            if dy > 0 {
                // Rows dy..h take the row dy above them.
                combine(&mut out.words[shift..], &src[..n], erode);
            }
        }
        if erode {
            // Outside the raster counts as unset: rows within the disc's reach of the top
            // or bottom edge erode away (all of them when the disc is taller than it).
            let reach = half.len().saturating_sub(1).min(h);
            out.words[..reach * s].fill(0);
            out.words[(h - reach) * s..].fill(0);
        }
        out.clear_tail();
        out
    }

    fn clear_tail(&mut self) {
        let rem = self.width % 64;
        if rem == 0 || self.stride == 0 {
            return;
        }
        let mask = (1u64 << rem) - 1;
        for y in 0..self.height {
            self.words[y * self.stride + self.stride - 1] &= mask;
        }
    }

    /// Connected regions (4-connected), counted by union-find over row runs.
    pub fn components(&self) -> usize {
        let mut parent: Vec<u32> = Vec::new();
        fn find(p: &mut [u32], mut i: u32) -> u32 {
            while p[i as usize] != i {
                let g = p[p[i as usize] as usize];
                p[i as usize] = g;
                i = g;
            }
            i
        }
        let mut prev: Vec<(usize, usize, u32)> = Vec::new();
        let mut cur: Vec<(usize, usize, u32)> = Vec::new();
        let mut merges = 0usize;
        for y in 0..self.height {
            cur.clear();
            self.for_each_run(y, |a, b| {
                let id = parent.len() as u32;
                parent.push(id);
                cur.push((a, b, id));
            });
            let mut j = 0;
            for &(a, b, id) in &cur {
                while j < prev.len() && prev[j].1 <= a {
                    j += 1;
                }
                let mut t = j;
                while t < prev.len() && prev[t].0 < b {
                    let (r1, r2) = (find(&mut parent, id), find(&mut parent, prev[t].2));
                    if r1 != r2 {
                        parent[r1 as usize] = r2;
                        merges += 1;
                    }
                    t += 1;
                }
            }
            std::mem::swap(&mut prev, &mut cur);
        }
        parent.len() - merges
    }

    /// Outline length of the set region, mm, for pixels of `pixel` mm: Cauchy-Crofton
    /// from the horizontal and vertical pixel transitions (π/4 of their count for
    /// isotropic outlines).
    pub fn outline_length(&self, pixel: f64) -> f64 {
        if self.is_empty() {
            return 0.0;
        }
        let mut transitions = 0u64;
        for y in 0..self.height {
            let row = self.row(y);
            // Each run of set pixels starts and ends once along the row: a start is a
            // set pixel whose left neighbour is unset, counted a word at a time.
            let mut carry = 0u64;
            for &w in row {
                transitions += 2 * (w & !((w << 1) | carry)).count_ones() as u64;
                carry = w >> 63;
            }
            if y + 1 < self.height {
                let up = self.row(y + 1);
                transitions += row
                    .iter()
                    .zip(up)
                    .map(|(a, c)| (a ^ c).count_ones() as u64)
                    .sum::<u64>();
            } else {
                transitions += row.iter().map(|a| a.count_ones() as u64).sum::<u64>();
            }
        }
        transitions as f64 * pixel * std::f64::consts::FRAC_PI_4
    }

    /// Calls `f(y, x0, x1)` for every run of set pixels `x0..x1` in row `y`.
    pub fn for_each_run(&self, y: usize, mut f: impl FnMut(usize, usize)) {
        let row = self.row(y);
        let mut start: Option<usize> = None;
        for (i, &w) in row.iter().enumerate() {
            let base = i * 64;
            let mut word = w;
            let mut pos = 0usize;
            loop {
                match start {
                    None => {
                        if word == 0 {
                            break;
                        }
                        let tz = word.trailing_zeros() as usize;
                        pos += tz;
                        start = Some(base + pos);
                        word = if tz >= 64 { 0 } else { word >> tz };
                    }
                    Some(s) => {
                        let to = (!word).trailing_zeros() as usize;
                        if pos + to >= 64 {
                            break;
                        }
                        pos += to;
                        f(s, base + pos);
                        start = None;
                        word >>= to;
                    }
                }
                if pos >= 64 {
                    break;
                }
            }
        }
        if let Some(s) = start {
            f(s, self.width.max(s));
        }
    }
}

/// Half-widths of a disc of `radius` pixels (capped at 4096) for row offsets
/// `0..=floor(radius)`: offset `dy` reaches `floor(sqrt(r² - dy²))` pixels each side.
fn disc_half_widths(radius: f64) -> Vec<usize> {
    let r = radius.min(4096.0);
    (0..=r.floor() as usize)
        .map(|dy| (r * r - (dy * dy) as f64).max(0.0).sqrt().floor() as usize)
        .collect()
}

/// `dst` = `src` combined (AND to erode, OR to dilate) with `src` shifted one pixel
/// left and one right, outside the row counting as unset.
#[allow(clippy::needless_range_loop)] // each word reads its two neighbours
fn grow_row_by_one(src: &[u64], dst: &mut [u64], erode: bool) {
    let n = src.len();
    for i in 0..n {
        let w = src[i];
        let above = if i + 1 < n { src[i + 1] } else { 0 };
        let below = if i > 0 { src[i - 1] } else { 0 };
        // Pixel x + 1 and pixel x - 1 brought to x.
        let from_right = (w >> 1) | (above << 63);
        let from_left = (w << 1) | (below >> 63);
        dst[i] = if erode {
            w & from_right & from_left
        } else {
            w | from_right | from_left
        };
    }
}

fn combine(acc: &mut [u64], other: &[u64], and: bool) {
    if and {
        acc.iter_mut().zip(other).for_each(|(a, b)| *a &= *b);
    } else {
        acc.iter_mut().zip(other).for_each(|(a, b)| *a |= *b);
    }
}

#[allow(clippy::needless_range_loop)] // the word index decides the mask
fn set_bits(row: &mut [u64], x0: usize, x1: usize) {
    let (w0, w1) = (x0 / 64, (x1 - 1) / 64);
    for w in w0..=w1 {
        let lo = if w == w0 { x0 % 64 } else { 0 };
        let hi = if w == w1 { (x1 - 1) % 64 + 1 } else { 64 };
        let mask = if hi - lo == 64 {
            !0
        } else {
            ((1u64 << (hi - lo)) - 1) << lo
        };
        row[w] |= mask;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(n: usize, a: usize, b: usize) -> Bitmap {
        let mut m = Bitmap::new(n, n);
        for y in a..b {
            m.set_span(y, a, b);
        }
        m
    }

    #[test]
    fn runs_along_columns_and_diagonals_of_a_square() {
        // A 100 × 100 square spanning word boundaries: 100 columns, and 199 diagonals
        // each way.
        let m = square(200, 50, 150);
        assert_eq!(m.run_starts(0), 100);
        assert_eq!(m.run_starts(1), 199);
        assert_eq!(m.run_starts(-1), 199);
        // A one-pixel diagonal line is one run along its diagonal, and one per pixel
        // across it.
        let mut d = Bitmap::new(130, 130);
        for i in 0..120 {
            d.set_span(i, i + 3, i + 4);
        }
        assert_eq!(d.run_starts(1), 1);
        assert_eq!(d.run_starts(-1), 120);
        assert_eq!(d.run_starts(0), 120);
    }

    #[test]
    fn erosion_and_dilation_of_a_square() {
        let m = square(200, 50, 150);
        assert_eq!(m.count(), 100 * 100);
        assert_eq!(m.eroded(3.0).count(), 94 * 94);
        // Dilation by a disc rounds the corners: 106² minus four corner bits.
        let d = m.dilated(3.0).count();
        assert!(d > 100 * 100 + 4 * 100 * 3 && d < 106 * 106, "{d}");
        assert!(m.eroded(80.0).is_empty());
    }

    /// The disc's structuring element as the docs define it: row offset `dy` reaches
    /// `floor(sqrt(r² - dy²))` pixels each side.
    fn naive_morph(m: &Bitmap, radius: f64, erode: bool) -> Bitmap {
        if radius < 1.0 {
            return m.clone();
        }
        let ri = radius.floor() as isize;
        let mut out = Bitmap::new(m.width, m.height);
        for y in 0..m.height as isize {
            for x in 0..m.width as isize {
                let mut all = true;
                let mut any = false;
                for dy in -ri..=ri {
                    let half =
                        (radius * radius - (dy * dy) as f64).max(0.0).sqrt().floor() as isize;
                    for dx in -half..=half {
                        let (xx, yy) = (x + dx, y + dy);
                        let set = xx >= 0 && yy >= 0 && m.get(xx as usize, yy as usize);
                        all &= set;
                        any |= set;
                    }
                }
                if if erode { all } else { any } {
                    out.set_span(y as usize, x as usize, x as usize + 1);
                }
            }
        }
        out
    }

    fn arbitrary_bitmap() -> impl Strategy<Value = Bitmap> {
        (1usize..200, 1usize..40).prop_flat_map(|(w, h)| {
            proptest::collection::vec((0..h, 0..w, 0..w), 0..60).prop_map(move |spans| {
                let mut m = Bitmap::new(w, h);
                for (y, a, b) in spans {
                    m.set_span(y, a.min(b), a.max(b) + 1);
                }
                m
            })
        })
    }

    use proptest::prelude::*;

    proptest! {
        /// Erosion, dilation and the shared-pass erosions match the per-pixel definition
        /// on arbitrary rasters, across word boundaries and raster edges.
        #[test]
        fn morphology_matches_the_per_pixel_definition(
            m in arbitrary_bitmap(),
            radii in proptest::collection::vec(0.0f64..14.0, 1..4),
        ) {
            for &r in &radii {
                prop_assert_eq!(m.eroded(r), naive_morph(&m, r, true), "erode r={}", r);
                prop_assert_eq!(m.dilated(r), naive_morph(&m, r, false), "dilate r={}", r);
            }
            let many = m.eroded_many(&radii);
            for (e, &r) in many.iter().zip(&radii) {
                prop_assert_eq!(e, &naive_morph(&m, r, true), "eroded_many r={}", r);
            }
        }

        /// The outline length counts every pixel edge between set and unset (outside
        /// the raster unset), times π/4; all but the bottom edge of row 0, which the
        /// estimate's raster frame keeps empty and the count has never included.
        #[test]
        fn outline_length_counts_every_transition(m in arbitrary_bitmap()) {
            let set = |x: isize, y: isize| x >= 0 && y >= 0 && m.get(x as usize, y as usize);
            let mut transitions = 0u64;
            for y in 0..m.height as isize {
                for x in 0..=m.width as isize {
                    transitions += (set(x - 1, y) != set(x, y)) as u64;
                }
            }
            for x in 0..m.width as isize {
                for y in 1..=m.height as isize {
                    transitions += (set(x, y - 1) != set(x, y)) as u64;
                }
            }
            let expected = if m.is_empty() {
                0.0
            } else {
                transitions as f64 * 0.5 * std::f64::consts::FRAC_PI_4
            };
            prop_assert_eq!(m.outline_length(0.5), expected);
        }
    }

    #[test]
    fn runs_cross_words() {
        let mut m = Bitmap::new(300, 1);
        m.set_span(0, 10, 70);
        m.set_span(0, 128, 300);
        let mut runs = Vec::new();
        m.for_each_run(0, |a, b| runs.push((a, b)));
        assert_eq!(runs, vec![(10, 70), (128, 300)]);
    }
}
