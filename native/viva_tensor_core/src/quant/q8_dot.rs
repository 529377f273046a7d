//! Integer block dots for [`super::qmatmul_q8`]: a weight row of q4_0, q8_0
//! or MXFP4 blocks against activation rows quantized to int8 in blocks of
//! 32 ([`Q8Activations`]), as llama.cpp's CPU backend multiplies these
//! formats (its `vec_dot_q4_0_q8_0` and kin).
//!
//! Every weight block of these formats is `scale · v` with 32 small
//! integers `v` ([`Q8Weight::values`]), and every activation block is
//! `dx · c` with 32 codes `c ∈ −127..=127`, so a block's contribution is
//! `scale · dx · Σ v·c`, the sum exact in integers. Three versions, picked
//! at run time (never from `target-cpu=native`):
//!
//! - AVX-512 VNNI (`q8_dot_x86::row_vnni`): two blocks per 64-byte vector,
//!   `vpdpbusd` on the unsigned `u = v + bias` ([`Q8Weight::bias`]) and the
//!   signed codes, each 32-bit lane starting from `−bias · Σ` of its four
//!   codes (precomputed in [`Q8Activations`]), then one convert and one FMA
//!   by the lane's `scale · dx` per two blocks. Eight vector operations per
//!   64 weights of q4_0, where the exact f32 kernel of `qmatmul` needs 14.
//! - AVX2 (`q8_dot_x86::row_avx2`): one block per 32-byte vector,
//!   `vpmaddubsw(|v|, c · sign(v))` and `vpmaddwd` (pairs of products at
//!   most 2 · 128 · 127, so the 16-bit step never saturates).
//! - portable: an i32 sum per block.
//!
//! The integer sums are equal in all three; the f32 results differ only by
//! the order in which the per-lane (AVX-512, AVX2) or per-block (portable)
//! products are added.

use std::ops::Range;

use super::e2m1::DOUBLED;
use super::mxfp4::e8m0_to_f32_half;
use super::qdot::f16_to_f32;
use super::QuantFormat;

/// Most activation rows one call takes (their codes stay in registers'
/// reach: a weight block is unpacked once for all of them).
pub const MAX_ROWS: usize = 4;

/// Codes per block, on both sides.
pub const BLOCK: usize = 32;

/// Codes per activation row are padded to a multiple of this (a 64-byte
/// line), so two-block steps never need a tail: padding codes are 0.
const LINE: usize = 64;

/// The weight formats whose blocks are a scale times small integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Q8Weight {
    /// f16 `d`, then 16 bytes of 4-bit `q`; `v = q − 8`.
    Q4_0,
    /// f16 `d`, then 32 int8 `v`.
    Q8_0,
    /// E8M0 `e`, then 16 bytes of E2M1 codes; `v` the doubled E2M1 value
    /// (−12..=12), the scale half of `2^(e − 127)`.
    Mxfp4,
}

impl Q8Weight {
    /// The kind for `format`, if it has one.
    pub fn of(format: QuantFormat) -> Option<Self> {
        match format {
            QuantFormat::Q4_0 => Some(Q8Weight::Q4_0),
            QuantFormat::Q8_0 => Some(Q8Weight::Q8_0),
            QuantFormat::Mxfp4 => Some(Q8Weight::Mxfp4),
            _ => None,
        }
    }

    /// Bytes per 32-value block.
    pub const fn block_bytes(self) -> usize {
        match self {
            Q8Weight::Q4_0 => 18,
            Q8Weight::Q8_0 => 34,
            Q8Weight::Mxfp4 => 17,
        }
    }

    /// `bias` with `v + bias ∈ 0..=255` for every value `v`, the unsigned
    /// operand of `vpdpbusd`: a q4_0 nibble is already `v + 8`; q8_0 and
    /// MXFP4 values are shifted by 128.
    pub const fn bias(self) -> i32 {
        match self {
            Q8Weight::Q4_0 => 8,
            Q8Weight::Q8_0 | Q8Weight::Mxfp4 => 128,
        }
    }

    /// The scale of the block at `b` (its first bytes): `value = scale · v`.
    pub fn scale(self, b: &[u8]) -> f32 {
        match self {
            Q8Weight::Q4_0 | Q8Weight::Q8_0 => f16_to_f32(b[0], b[1]),
            Q8Weight::Mxfp4 => e8m0_to_f32_half(b[0]),
        }
    }

    /// The 32 integer values of the block at `b`, in element order.
    pub fn values(self, b: &[u8]) -> [i8; BLOCK] {
        let nibble = |codes: &[u8], j: usize| {
            let byte = codes[j % 16];
            if j < 16 {
                byte & 15
            } else {
                byte >> 4
            }
        };
        match self {
            Q8Weight::Q4_0 => std::array::from_fn(|j| nibble(&b[2..18], j) as i8 - 8),
            Q8Weight::Q8_0 => std::array::from_fn(|j| b[2 + j] as i8),
            Q8Weight::Mxfp4 => std::array::from_fn(|j| DOUBLED[nibble(&b[1..17], j) as usize]),
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

/// One row of [`Q8Activations::quantize`]: `row` (`k` values) into `codes`
/// (`k`), `lane_bias` and `lane_scale` (`k / 4` each).
#[inline(always)]
fn quantize_row(
    row: &[f32],
    codes: &mut [i8],
    lane_bias: &mut [i32],
    lane_scale: &mut [f32],
    bias: i32,
) {
    let blocks = row
        .chunks_exact(BLOCK)
        .zip(codes.chunks_exact_mut(BLOCK))
        .zip(lane_bias.chunks_exact_mut(BLOCK / 4))
        .zip(lane_scale.chunks_exact_mut(BLOCK / 4));
    for (((block, cs), bs), ss) in blocks {
        let amax = block_absmax(block);
        // a multiply by 127 / amax, not a division per value
        let inverse = if amax == 0.0 { 0.0 } else { 127.0 / amax };
        for (c, &v) in cs.iter_mut().zip(block) {
            let y = v * inverse;
            // round half away from zero: |y| <= 127 here, where y ± 0.5 is
            // exact enough for the truncation to round
            *c = ((y + 0.5f32.copysign(y)) as i32).clamp(-127, 127) as i8;
        }
        for ((four, b), s) in cs.chunks_exact(4).zip(bs.iter_mut()).zip(ss.iter_mut()) {
            *b = -bias * four.iter().map(|&c| c as i32).sum::<i32>();
            *s = amax / 127.0;
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
) {
    quantize_row(row, codes, lane_bias, lane_scale, bias)
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
/// so `|x − dx · c| ≤ dx / 2` per element (up to f32 rounding) (llama.cpp's `quantize_row_q8_0`,
/// but `dx` is kept in f32 where llama.cpp rounds it to f16). Each row is
/// padded with zero codes to a multiple of 64 and starts on a 64-byte
/// boundary; per 4 codes (one 32-bit lane) it also holds `−bias · Σ c` and
/// `dx` of their block.
#[derive(Clone, Debug)]
pub struct Q8Activations {
    codes: Aligned<i8>,
    lane_bias: Aligned<i32>,
    lane_scale: Aligned<f32>,
    stride: usize,
    k: usize,
    m: usize,
}

impl Q8Activations {
    /// Quantizes the rows of `x` (row-major, `k` values each) for weights
    /// of kind `w`.
    ///
    /// Every value must be finite (the caller checks and reports it).
    ///
    /// # Panics
    /// When `k` is 0 or not a multiple of 32 or `x` is not whole rows.
    pub fn quantize(x: &[f32], k: usize, w: Q8Weight) -> Self {
        assert!(
            k > 0 && k.is_multiple_of(BLOCK) && x.len().is_multiple_of(k),
            "activations must be whole rows of a multiple of 32 values"
        );
        let m = x.len() / k;
        let stride = k.next_multiple_of(LINE);
        let mut codes = Aligned::<i8>::zeroed(m * stride);
        let mut lane_bias = Aligned::<i32>::zeroed(m * stride / 4);
        let mut lane_scale = Aligned::<f32>::zeroed(m * stride / 4);
        let (cs, bs, ss) = (
            codes.as_mut_slice(),
            lane_bias.as_mut_slice(),
            lane_scale.as_mut_slice(),
        );
        debug_assert!(x.iter().all(|v| v.is_finite()), "non-finite activation");
        let bias = w.bias();
        for (b, row) in x.chunks_exact(k).enumerate() {
            let (c, l) = (&mut cs[b * stride..][..k], (b * stride) / 4);
            let lanes = l..l + k / 4;
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2 (checked)
                unsafe { quantize_row_avx2(row, c, &mut bs[lanes.clone()], &mut ss[lanes], bias) };
                continue;
            }
            quantize_row(row, c, &mut bs[lanes.clone()], &mut ss[lanes], bias);
        }
        Q8Activations {
            codes,
            lane_bias,
            lane_scale,
            stride,
            k,
            m,
        }
    }

    /// The rows of `parts` (all of the same `k`) in order, as one.
    ///
    /// # Panics
    /// When `parts` is empty or their `k` differ.
    pub fn concat(parts: Vec<Q8Activations>) -> Self {
        let first = parts.first().expect("at least one part");
        let (k, stride) = (first.k, first.stride);
        assert!(parts.iter().all(|p| p.k == k), "parts of one k");
        let m: usize = parts.iter().map(|p| p.m).sum();
        let mut codes = Aligned::<i8>::zeroed(m * stride);
        let mut lane_bias = Aligned::<i32>::zeroed(m * stride / 4);
        let mut lane_scale = Aligned::<f32>::zeroed(m * stride / 4);
        let mut at = 0;
        for p in &parts {
            let rows = p.m;
            codes.as_mut_slice()[at * stride..(at + rows) * stride]
                .copy_from_slice(p.codes.as_slice());
            lane_bias.as_mut_slice()[at * stride / 4..(at + rows) * stride / 4]
                .copy_from_slice(p.lane_bias.as_slice());
            lane_scale.as_mut_slice()[at * stride / 4..(at + rows) * stride / 4]
                .copy_from_slice(p.lane_scale.as_slice());
            at += rows;
        }
        Q8Activations {
            codes,
            lane_bias,
            lane_scale,
            stride,
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

    /// Row `b`'s `k` codes.
    pub fn codes(&self, b: usize) -> &[i8] {
        &self.codes.as_slice()[b * self.stride..][..self.k]
    }

    /// `dx` of row `b`, block `i`.
    pub fn block_scale(&self, b: usize, i: usize) -> f32 {
        self.lane_scale.as_slice()[(b * self.stride + i * BLOCK) / 4]
    }

    /// Row `b`'s padded codes, lane biases and lane scales (for the
    /// x86 kernels: `stride`, `stride / 4` and `stride / 4` of them).
    #[cfg(target_arch = "x86_64")]
    pub(super) fn padded_row(&self, b: usize) -> (&[i8], &[i32], &[f32]) {
        let (s, l) = (self.stride, self.stride / 4);
        (
            &self.codes.as_slice()[b * s..][..s],
            &self.lane_bias.as_slice()[b * l..][..l],
            &self.lane_scale.as_slice()[b * l..][..l],
        )
    }
}

/// Calls `$k::<G.., F, R>(args)` for the leading generic arguments `G`,
/// the format constant `F` of `$w` and `R = $n` in 1..=MAX_ROWS.
macro_rules! by_format_rows {
    ($($k:ident)::+, [$($g:expr),*], $w:expr, $n:expr, ($($arg:expr),*)) => {{
        use $crate::quant::q8_dot::format_ids::*;
        match ($w, $n) {
            (Q8Weight::Q4_0, 1) => $($k)::+::<$($g,)* Q4_0, 1>($($arg),*),
            (Q8Weight::Q4_0, 2) => $($k)::+::<$($g,)* Q4_0, 2>($($arg),*),
            (Q8Weight::Q4_0, 3) => $($k)::+::<$($g,)* Q4_0, 3>($($arg),*),
            (Q8Weight::Q4_0, 4) => $($k)::+::<$($g,)* Q4_0, 4>($($arg),*),
            (Q8Weight::Q8_0, 1) => $($k)::+::<$($g,)* Q8_0, 1>($($arg),*),
            (Q8Weight::Q8_0, 2) => $($k)::+::<$($g,)* Q8_0, 2>($($arg),*),
            (Q8Weight::Q8_0, 3) => $($k)::+::<$($g,)* Q8_0, 3>($($arg),*),
            (Q8Weight::Q8_0, 4) => $($k)::+::<$($g,)* Q8_0, 4>($($arg),*),
            (Q8Weight::Mxfp4, 1) => $($k)::+::<$($g,)* MXFP4, 1>($($arg),*),
            (Q8Weight::Mxfp4, 2) => $($k)::+::<$($g,)* MXFP4, 2>($($arg),*),
            (Q8Weight::Mxfp4, 3) => $($k)::+::<$($g,)* MXFP4, 3>($($arg),*),
            (Q8Weight::Mxfp4, 4) => $($k)::+::<$($g,)* MXFP4, 4>($($arg),*),
            (_, n) => panic!("1..={MAX_ROWS} activation rows per call, got {n}"),
        }
    }};
}

/// [`Q8Weight`] as the const-generic parameter of the x86 kernels (stable
/// Rust has no enum const parameters), so each kernel is compiled once per
/// format with its format's unpacking and nothing else in the loop.
pub(super) mod format_ids {
    pub const Q4_0: u8 = 0;
    pub const Q8_0: u8 = 1;
    pub const MXFP4: u8 = 2;
}

/// `out[r · stride + i] = Σ_blocks scale · dx · Σ v·c` of weight row `r`
/// of `weights` (whole rows of `k / 32` blocks of `w`) against activation
/// row `bs.start + i` of `x`. Many weight rows per call, so the kernel's
/// setup (features, tables, activation rows) is paid once for them.
///
/// # Panics
/// When `weights` is not whole rows, `bs` is empty, longer than
/// [`MAX_ROWS`] or outside `x`, `stride < bs.len()`, or `out` is too short.
pub fn dot_rows(
    w: Q8Weight,
    weights: &[u8],
    x: &Q8Activations,
    bs: Range<usize>,
    out: &mut [f32],
    stride: usize,
) {
    let row_bytes = x.k / BLOCK * w.block_bytes();
    assert!(
        weights.len().is_multiple_of(row_bytes),
        "whole rows of k / 32 blocks"
    );
    let rows = weights.len() / row_bytes;
    assert!(!bs.is_empty() && bs.len() <= MAX_ROWS && bs.end <= x.m);
    assert!(stride >= bs.len());
    assert!(rows == 0 || out.len() >= (rows - 1) * stride + bs.len());
    #[cfg(target_arch = "x86_64")]
    {
        use super::q8_dot_x86 as v;
        let args = (weights, x, bs.start, &mut *out, stride);
        if super::int8_dot::has_vnni() {
            // SAFETY: AVX-512F, BW and VNNI checked, GFNI where used;
            // lengths asserted above.
            unsafe {
                if std::is_x86_feature_detected!("gfni") {
                    by_format_rows!(
                        v::row_vnni_gfni,
                        [],
                        w,
                        bs.len(),
                        (args.0, args.1, args.2, args.3, args.4)
                    )
                } else {
                    by_format_rows!(
                        v::row_vnni,
                        [],
                        w,
                        bs.len(),
                        (args.0, args.1, args.2, args.3, args.4)
                    )
                }
            };
            return;
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: AVX2 and FMA checked; lengths asserted above.
            unsafe {
                by_format_rows!(
                    v::row_avx2,
                    [],
                    w,
                    bs.len(),
                    (args.0, args.1, args.2, args.3, args.4)
                )
            };
            return;
        }
    }
    row_portable(w, weights, x, bs, out, stride)
}

/// The portable version of [`dot_rows`]: an i32 sum per block and row.
pub(super) fn row_portable(
    w: Q8Weight,
    weights: &[u8],
    x: &Q8Activations,
    bs: Range<usize>,
    out: &mut [f32],
    stride: usize,
) {
    let row_bytes = x.k / BLOCK * w.block_bytes();
    for (row, out) in weights.chunks_exact(row_bytes).zip(out.chunks_mut(stride)) {
        let out = &mut out[..bs.len()];
        out.fill(0.0);
        for (i, blk) in row.chunks_exact(w.block_bytes()).enumerate() {
            let (v, s) = (w.values(blk), w.scale(blk));
            for (o, b) in out.iter_mut().zip(bs.clone()) {
                let c = &x.codes(b)[i * BLOCK..(i + 1) * BLOCK];
                let sum: i32 = v.iter().zip(c).map(|(&a, &b)| a as i32 * b as i32).sum();
                *o += s * x.block_scale(b, i) * sum as f32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::QuantizedTensor;

    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..n)
            .map(|i| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let v = ((s >> 8) as f32 / (1u32 << 24) as f32) - 0.5;
                // a few large values, so blocks differ in scale
                if i % 37 == 0 {
                    v * 40.0
                } else {
                    v
                }
            })
            .collect()
    }

    /// `Σ_blocks scale · dx · Σ v·c` in f64, from the decoded parts.
    fn reference(w: Q8Weight, row: &[u8], x: &Q8Activations, b: usize) -> (f64, f64) {
        let (mut sum, mut mag) = (0f64, 0f64);
        for (i, blk) in row.chunks_exact(w.block_bytes()).enumerate() {
            let (v, s) = (
                w.values(blk),
                w.scale(blk) as f64 * x.block_scale(b, i) as f64,
            );
            let c = &x.codes(b)[i * BLOCK..(i + 1) * BLOCK];
            for (&a, &cc) in v.iter().zip(c) {
                sum += s * a as f64 * cc as f64;
                mag += (s * a as f64 * cc as f64).abs();
            }
        }
        (sum, mag)
    }

    /// The values match `dequantize`: `scale · v` is the decoded weight.
    #[test]
    fn block_values_are_the_decoded_weights() {
        for (f, w) in [
            (QuantFormat::Q4_0, Q8Weight::Q4_0),
            (QuantFormat::Q8_0, Q8Weight::Q8_0),
            (QuantFormat::Mxfp4, Q8Weight::Mxfp4),
        ] {
            assert_eq!(Q8Weight::of(f), Some(w));
            let x = values(32 * 9, 5);
            let q = QuantizedTensor::quantize(&x, &[x.len()], f).unwrap();
            let bytes = match q.payload() {
                super::super::QuantPayload::Blocks(b) => b.clone(),
                _ => unreachable!(),
            };
            let d = q.dequantize();
            for (i, blk) in bytes.chunks_exact(w.block_bytes()).enumerate() {
                let (v, s) = (w.values(blk), w.scale(blk));
                for j in 0..BLOCK {
                    assert_eq!(
                        s * v[j] as f32,
                        d[i * BLOCK + j],
                        "{f:?} block {i} elem {j}"
                    );
                    assert!((0..=255).contains(&(v[j] as i32 + w.bias())));
                }
            }
        }
        assert_eq!(Q8Weight::of(QuantFormat::Q4_1), None);
    }

    #[test]
    fn activation_codes_are_within_half_a_step() {
        let x = values(96 * 3, 2);
        let a = Q8Activations::quantize(&x, 96, Q8Weight::Q4_0);
        assert_eq!((a.rows(), a.len()), (3, 96));
        for b in 0..3 {
            for j in 0..96 {
                let dx = a.block_scale(b, j / 32);
                let c = a.codes(b)[j];
                assert!((-127..=127).contains(&c));
                assert!((x[b * 96 + j] - dx * c as f32).abs() <= dx * 0.5 * (1.0 + 1e-6));
            }
        }
        let z = Q8Activations::quantize(&[0.0; 32], 32, Q8Weight::Q8_0);
        assert!(z.codes(0).iter().all(|&c| c == 0) && z.block_scale(0, 0) == 0.0);
    }

    /// Every version against the f64 reference, for odd and even block
    /// counts, three weight rows with a stride past the tile, 1..=MAX_ROWS
    /// rows at every offset, and extreme q8_0 codes (−128 included, which
    /// `from_binary` accepts).
    #[test]
    fn kernels_agree_with_the_reference() {
        const ROWS: usize = 3;
        for w in [Q8Weight::Q4_0, Q8Weight::Q8_0, Q8Weight::Mxfp4] {
            for blocks in [1usize, 2, 3, 8, 33] {
                let k = blocks * BLOCK;
                let f = match w {
                    Q8Weight::Q4_0 => QuantFormat::Q4_0,
                    Q8Weight::Q8_0 => QuantFormat::Q8_0,
                    Q8Weight::Mxfp4 => QuantFormat::Mxfp4,
                };
                let q = QuantizedTensor::quantize(&values(ROWS * k, 7), &[ROWS, k], f).unwrap();
                let mut weights = match q.payload() {
                    super::super::QuantPayload::Blocks(b) => b.clone(),
                    _ => unreachable!(),
                };
                if w == Q8Weight::Q8_0 {
                    weights[2] = 0x80;
                    weights[3] = 0x7F;
                }
                let row_bytes = weights.len() / ROWS;
                let x = Q8Activations::quantize(&values(6 * k, 3), k, w);
                for n in 1..=MAX_ROWS {
                    let stride = n + 1;
                    for b0 in 0..=6 - n {
                        let mut versions: Vec<(&str, Vec<f32>)> = Vec::new();
                        let mut out = vec![f32::NAN; ROWS * stride];
                        dot_rows(w, &weights, &x, b0..b0 + n, &mut out, stride);
                        versions.push(("dispatched", out.clone()));
                        row_portable(w, &weights, &x, b0..b0 + n, &mut out, stride);
                        versions.push(("portable", out.clone()));
                        #[cfg(target_arch = "x86_64")]
                        {
                            use super::super::int8_dot::has_vnni;
                            use super::super::q8_dot_x86 as v;
                            let args = (&weights[..], &x, b0);
                            let avx2 = std::is_x86_feature_detected!("avx2")
                                && std::is_x86_feature_detected!("fma");
                            let gfni = std::is_x86_feature_detected!("gfni");
                            if avx2 {
                                // SAFETY: AVX2 and FMA checked; lengths as dot_rows asserts
                                unsafe {
                                    by_format_rows!(
                                        v::row_avx2,
                                        [],
                                        w,
                                        n,
                                        (args.0, args.1, args.2, &mut out, stride)
                                    )
                                };
                                versions.push(("avx2", out.clone()));
                            }
                            if has_vnni() {
                                // SAFETY: AVX-512F/BW/VNNI checked; lengths as dot_rows asserts
                                unsafe {
                                    by_format_rows!(
                                        v::row_vnni,
                                        [],
                                        w,
                                        n,
                                        (args.0, args.1, args.2, &mut out, stride)
                                    )
                                };
                                versions.push(("vnni without gfni", out.clone()));
                            }
                            if has_vnni() && gfni {
                                // SAFETY: AVX-512F/BW/VNNI and GFNI checked; lengths as dot_rows asserts
                                unsafe {
                                    by_format_rows!(
                                        v::row_vnni_gfni,
                                        [],
                                        w,
                                        n,
                                        (args.0, args.1, args.2, &mut out, stride)
                                    )
                                };
                                versions.push(("vnni with gfni", out.clone()));
                            }
                        }
                        for (name, got) in versions {
                            for r in 0..ROWS {
                                let row = &weights[r * row_bytes..(r + 1) * row_bytes];
                                for i in 0..n {
                                    let g = got[r * stride + i];
                                    let (want, mag) = reference(w, row, &x, b0 + i);
                                    let tol = mag * 1e-6 + 1e-30;
                                    assert!(
                                        (g as f64 - want).abs() <= tol,
                                        "{name} {w:?} blocks={blocks} row {r} act {b0}+{i}: {g} vs {want}"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
