//! The activations of [`super::qmatmul_q8`]: rows quantized to int8 in
//! blocks of 32, laid out for the kernels of [`super::q8_dot`].

use rayon::prelude::*;

use super::q8_dot::{Q8Weight, BLOCK};

/// Codes per group: 4 blocks. Rows are padded with zero codes to whole
/// groups, so no kernel needs a tail for the activations.
pub const GROUP: usize = 4 * BLOCK;

/// One row as [`Q8Activations::quantize_in`] fills it: values, codes,
/// lane biases, lane scales.
type RowParts<'a> = (((&'a [f32], &'a mut [i8]), &'a mut [i32]), &'a mut [f32]);

/// Values from which [`Q8Activations::quantize`] splits rows over threads.
const PARALLEL_VALUES: usize = 1 << 16;

/// How a row's codes are ordered, and what one 32-bit lane covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Element order; a lane is 4 consecutive codes (8 lanes per block).
    Natural,
    /// Per group of 4 blocks `b0..b3`: the first halves (elements 0..16)
    /// of `b0, b1, b2, b3`, then their second halves. A lane is 4 codes of
    /// the first part and the 4 at the same place in the second (4 lanes
    /// per block): the order of the low and high nibbles of 4 consecutive
    /// 4-bit blocks gathered into two vectors, so that two `vpdpbusd` sum
    /// into the same lanes and one convert and one FMA serve four blocks.
    Quads,
}

impl Layout {
    /// Lanes per group of [`GROUP`] codes.
    pub const fn lanes_per_group(self) -> usize {
        match self {
            Layout::Natural => GROUP / 4,
            Layout::Quads => GROUP / 8,
        }
    }

    /// Where element `e` (0..GROUP) of a group lies in it.
    pub const fn position(self, e: usize) -> usize {
        match self {
            Layout::Natural => e,
            Layout::Quads => (e % BLOCK / 16) * 64 + (e / BLOCK) * 16 + e % 16,
        }
    }
}

/// The largest |value| of a block, in 8 running maxima (so it vectorizes).
fn block_absmax(block: &[f32]) -> f32 {
    let mut m = [0f32; 8];
    for eight in block.chunks_exact(8) {
        for (m, v) in m.iter_mut().zip(eight) {
            *m = m.max(v.abs());
        }
    }
    m.iter().fold(0f32, |a, &b| a.max(b))
}

/// One row of [`Q8Activations::quantize`]: `row` (`k` values) into
/// `codes` (the padded row) and its `lane_bias` and `lane_scale`.
#[inline(always)]
fn quantize_row(
    row: &[f32],
    codes: &mut [i8],
    lane_bias: &mut [i32],
    lane_scale: &mut [f32],
    bias: i32,
    layout: Layout,
) {
    let lanes = layout.lanes_per_group();
    let groups = codes
        .chunks_exact_mut(GROUP)
        .zip(lane_bias.chunks_exact_mut(lanes))
        .zip(lane_scale.chunks_exact_mut(lanes));
    for (g, ((out, bs), ss)) in groups.enumerate() {
        let mut natural = [0i8; GROUP];
        let mut scales = [0f32; 4];
        let values = row.get(g * GROUP..).unwrap_or(&[]);
        let blocks = values
            .chunks_exact(BLOCK)
            .zip(natural.chunks_exact_mut(BLOCK))
            .zip(scales.iter_mut());
        for ((block, cs), dx) in blocks {
            let amax = block_absmax(block);
            // a multiply by 127 / amax, not a division per value
            let inverse = if amax == 0.0 { 0.0 } else { 127.0 / amax };
            for (c, &v) in cs.iter_mut().zip(block) {
                let y = v * inverse;
                // round half away from zero: |y| <= 127 here, where y ± 0.5
                // is exact enough for the truncation to round
                *c = ((y + 0.5f32.copysign(y)) as i32).clamp(-127, 127) as i8;
            }
            *dx = amax / 127.0;
        }
        match layout {
            Layout::Natural => out.copy_from_slice(&natural),
            Layout::Quads => {
                for (e, run) in natural.chunks_exact(16).enumerate() {
                    let at = layout.position(e * 16);
                    out[at..at + 16].copy_from_slice(run);
                }
            }
        }
        let sum = |at: usize| out[at..at + 4].iter().map(|&c| c as i32).sum::<i32>();
        for (l, (b, s)) in bs.iter_mut().zip(ss.iter_mut()).enumerate() {
            let (total, block) = match layout {
                Layout::Natural => (sum(4 * l), l / 8),
                Layout::Quads => (sum(4 * l) + sum(64 + 4 * l), l / 4),
            };
            *b = -bias * total;
            *s = scales[block];
        }
    }
}

/// [`quantize_row`] compiled for AVX2, where its loops vectorize 8 wide: a
/// 4096-value row took 11.5 µs with a division and a scalar rounding per
/// value, 7.5 µs in SSE2 code.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn quantize_row_avx2(
    row: &[f32],
    codes: &mut [i8],
    lane_bias: &mut [i32],
    lane_scale: &mut [f32],
    bias: i32,
    layout: Layout,
) {
    quantize_row(row, codes, lane_bias, lane_scale, bias, layout)
}

/// A zeroed slice whose first element lies on a 64-byte boundary (the
/// kernels' loads then never split a cache line).
#[derive(Clone, Debug)]
struct Aligned<T> {
    buf: Vec<T>,
    start: usize,
    len: usize,
}

impl<T: Copy + Default> Aligned<T> {
    fn zeroed(len: usize) -> Self {
        let extra = 64 / std::mem::size_of::<T>();
        let buf = vec![T::default(); len + extra];
        let start = buf.as_ptr().align_offset(64).min(extra - 1);
        Aligned { buf, start, len }
    }

    fn as_slice(&self) -> &[T] {
        &self.buf[self.start..self.start + self.len]
    }

    fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.buf[self.start..self.start + self.len]
    }
}

/// Activation rows quantized to int8 in blocks of 32, with what the
/// kernels read besides the codes. For row `b` and block `i`:
///
/// ```text
/// dx[b, i] = max_{j ∈ block i} |x[b, j]| / 127
/// c[b, j]  = clamp(round_half_away(x[b, j] · (127 / max_{j ∈ block i} |x[b, j]|)), −127, 127)
///            (0 when the block is all zeros)
/// ```
///
/// so `|x − dx · c| ≤ dx / 2` per element, up to f32 rounding (llama.cpp's
/// `quantize_row_q8_0`, but `dx` is kept in f32 where llama.cpp rounds it
/// to f16). Each row is padded with zero codes to whole groups of 4 blocks
/// and starts on a 64-byte boundary, its codes in a [`Layout`]; per 32-bit
/// lane it also holds `−bias · Σ c` over the lane's codes and the `dx` of
/// their block.
#[derive(Clone, Debug)]
pub struct Q8Activations {
    codes: Aligned<i8>,
    lane_bias: Aligned<i32>,
    lane_scale: Aligned<f32>,
    layout: Layout,
    stride: usize,
    lanes: usize,
    k: usize,
    m: usize,
}

impl Q8Activations {
    /// Quantizes the rows of `x` (row-major, `k` values each) for weights
    /// of kind `w`, in the layout this CPU's kernel for `w` reads
    /// ([`super::q8_dot::layout_for`]).
    ///
    /// Every value must be finite (the caller checks and reports it).
    ///
    /// # Panics
    /// When `k` is 0 or not a multiple of 32 or `x` is not whole rows.
    pub fn quantize(x: &[f32], k: usize, w: Q8Weight) -> Self {
        Self::quantize_in(x, k, w, super::q8_dot::layout_for(w))
    }

    /// [`Q8Activations::quantize`] in the given layout.
    ///
    /// # Panics
    /// As [`Q8Activations::quantize`].
    pub fn quantize_in(x: &[f32], k: usize, w: Q8Weight, layout: Layout) -> Self {
        assert!(
            k > 0 && k.is_multiple_of(BLOCK) && x.len().is_multiple_of(k),
            "activations must be whole rows of a multiple of 32 values"
        );
        debug_assert!(x.iter().all(|v| v.is_finite()), "non-finite activation");
        let mut q = Self::zeroed(x.len() / k, k, layout);
        let (stride, lanes) = (q.stride, q.lanes);
        let (cs, bs, ss) = (
            q.codes.as_mut_slice(),
            q.lane_bias.as_mut_slice(),
            q.lane_scale.as_mut_slice(),
        );
        let bias = w.bias();
        let quantize = |(((row, c), lb), ls): RowParts| {
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2 (checked)
                unsafe { quantize_row_avx2(row, c, lb, ls, bias, layout) };
                return;
            }
            quantize_row(row, c, lb, ls, bias, layout);
        };
        // one row of 4096 takes microseconds: only big batches are split
        if x.len() >= PARALLEL_VALUES {
            x.par_chunks_exact(k)
                .zip(cs.par_chunks_mut(stride))
                .zip(bs.par_chunks_mut(lanes))
                .zip(ss.par_chunks_mut(lanes))
                .for_each(quantize);
        } else {
            x.chunks_exact(k)
                .zip(cs.chunks_mut(stride))
                .zip(bs.chunks_mut(lanes))
                .zip(ss.chunks_mut(lanes))
                .for_each(quantize);
        }
        q
    }

    /// `m` rows of `k` zero codes (scales 0) in `layout`.
    fn zeroed(m: usize, k: usize, layout: Layout) -> Self {
        let stride = k.next_multiple_of(GROUP);
        let lanes = stride / GROUP * layout.lanes_per_group();
        Q8Activations {
            codes: Aligned::zeroed(m * stride),
            lane_bias: Aligned::zeroed(m * lanes),
            lane_scale: Aligned::zeroed(m * lanes),
            layout,
            stride,
            lanes,
            k,
            m,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.m
    }

    /// Values per row (`k`, without the padding).
    pub fn len(&self) -> usize {
        self.k
    }

    /// Whether rows are empty (never: `k > 0`).
    pub fn is_empty(&self) -> bool {
        self.k == 0
    }

    /// The codes' layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Row `b`'s `k` codes in element order.
    pub fn codes(&self, b: usize) -> Vec<i8> {
        let row = &self.codes.as_slice()[b * self.stride..][..self.stride];
        (0..self.k)
            .map(|j| row[j / GROUP * GROUP + self.layout.position(j % GROUP)])
            .collect()
    }

    /// `dx` of row `b`, block `i`.
    pub fn block_scale(&self, b: usize, i: usize) -> f32 {
        let per_group = self.layout.lanes_per_group();
        let lane = i / 4 * per_group + i % 4 * (per_group / 4);
        self.lane_scale.as_slice()[b * self.lanes + lane]
    }

    /// Row `b`'s padded codes, lane biases and lane scales as the x86
    /// kernels read them.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub(super) fn padded_row(&self, b: usize) -> (&[i8], &[i32], &[f32]) {
        let (s, l) = (self.stride, self.lanes);
        (
            &self.codes.as_slice()[b * s..][..s],
            &self.lane_bias.as_slice()[b * l..][..l],
            &self.lane_scale.as_slice()[b * l..][..l],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| {
                ((i * 7919 % 1013) as f32 / 1013.0 - 0.5) * if i % 37 == 0 { 40.0 } else { 1.0 }
            })
            .collect()
    }

    /// Codes within half a step, in both layouts, with lane sums and
    /// scales that match the codes, rows of 1..=5 blocks (a partial group).
    #[test]
    fn codes_scales_and_lanes_agree_in_both_layouts() {
        for blocks in 1..=5 {
            let k = blocks * BLOCK;
            let x = values(3 * k);
            for layout in [Layout::Natural, Layout::Quads] {
                let a = Q8Activations::quantize_in(&x, k, Q8Weight::Q4_0, layout);
                assert_eq!((a.rows(), a.len(), a.layout()), (3, k, layout));
                for b in 0..3 {
                    let codes = a.codes(b);
                    for j in 0..k {
                        let dx = a.block_scale(b, j / BLOCK);
                        assert!((-127..=127).contains(&codes[j]));
                        let err = (x[b * k + j] - dx * codes[j] as f32).abs();
                        assert!(err <= dx * 0.5 * (1.0 + 1e-6), "{layout:?} {b} {j}");
                    }
                    // every lane's bias is -8 times the sum of its codes
                    let (row, bias, _) = a.padded_row(b);
                    let total: i32 = bias.iter().sum();
                    let sum: i32 = row.iter().map(|&c| c as i32).sum();
                    assert_eq!(total, -8 * sum, "{layout:?}");
                }
            }
        }
        let z = Q8Activations::quantize_in(&[0.0; 32], 32, Q8Weight::Q8_0, Layout::Natural);
        assert!(z.codes(0).iter().all(|&c| c == 0) && z.block_scale(0, 0) == 0.0);
    }

    /// The quad layout is a permutation of each group.
    #[test]
    fn quad_positions_are_a_permutation() {
        let mut seen = [false; GROUP];
        for e in 0..GROUP {
            let p = Layout::Quads.position(e);
            assert!(!seen[p]);
            seen[p] = true;
        }
        // element 16 of block 1 is the second part's second run
        assert_eq!(Layout::Quads.position(BLOCK + 16), 64 + 16);
    }
}
