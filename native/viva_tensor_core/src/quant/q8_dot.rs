//! Integer block dots for [`super::qmatmul_q8`]: a weight row of q4_0, q8_0
//! or MXFP4 blocks against activation rows quantized to int8 in blocks of
//! 32 ([`Q8Activations`]), as llama.cpp's CPU backend multiplies these
//! formats (its `vec_dot_q4_0_q8_0` and kin).
//!
//! Every weight block of these formats is `scale · v` with 32 small
//! integers `v` ([`Q8Weight::values`]), and every activation block is
//! `dx · c` with 32 codes `c ∈ −127..=127`, so a block's contribution is
//! `scale · dx · Σ v·c`, the sum exact in integers. Four versions, picked
//! at run time (never from `target-cpu=native`):
//!
//! - AVX-512 VNNI + VBMI, q4_0 and MXFP4 (`q8_dot_x86::row_quads*`): four
//!   blocks per step, their code bytes gathered by one `vpermt2b`, low and
//!   high nibbles in two vectors, two `vpdpbusd` into the same 16 lanes
//!   with the activations in the matching [`Layout::Quads`] order, one
//!   convert and one FMA by `scale · dx` per four blocks: 5.5 vector
//!   operations per 64 weights, where the exact f32 kernel of `qmatmul`
//!   needs 14 (measured: 4096 × 4096 q4_0, one thread, 0.54–0.56 →
//!   0.49 ms against the two-block kernel below; batch 4 0.80 → 0.60 ms).
//! - AVX-512 VNNI (`q8_dot_x86::row_vnni*`; q8_0, and the 4-bit formats on
//!   CPUs without VBMI): two blocks per 64-byte vector, `vpdpbusd` on the
//!   unsigned `u = v + bias` ([`Q8Weight::bias`]) and the signed codes,
//!   each 32-bit lane starting from `−bias · Σ` of its codes (precomputed
//!   in [`Q8Activations`]), then one convert and one FMA by the lanes'
//!   `scale · dx`: 7 operations per 64 weights of q4_0 with GFNI.
//! - AVX2 (`q8_dot_x86::row_avx2`): one block per 32-byte vector,
//!   `vpmaddubsw(|v|, c · sign(v))` and `vpmaddwd` (pairs of products at
//!   most 2 · 128 · 127, so the 16-bit step never saturates).
//! - portable: an i32 sum per block.
//!
//! The integer sums are equal in all; the f32 results differ only by the
//! order in which the per-lane (x86) or per-block (portable) products are
//! added.

use std::ops::Range;

use super::e2m1::DOUBLED;
use super::mxfp4::e8m0_to_f32_half;
use super::q8_activations::{Layout, Q8Activations};
use super::qdot::f16_to_f32;
use super::QuantFormat;

/// Most activation rows one call takes (their codes stay in registers'
/// reach: a weight block is unpacked once for all of them).
pub const MAX_ROWS: usize = 4;

/// Codes per block, on both sides.
pub const BLOCK: usize = 32;

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
            Q8Weight::Q4_0 => super::ggml_q4_0::BLOCK_BYTES,
            Q8Weight::Q8_0 => super::ggml_q8_0::BLOCK_BYTES,
            Q8Weight::Mxfp4 => super::mxfp4::BLOCK_BYTES,
        }
    }

    /// Where a block's code bytes start (after its scale).
    pub const fn codes_at(self) -> usize {
        match self {
            Q8Weight::Q4_0 | Q8Weight::Q8_0 => 2,
            Q8Weight::Mxfp4 => 1,
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
        let codes = &b[self.codes_at()..self.block_bytes()];
        match self {
            Q8Weight::Q4_0 => std::array::from_fn(|j| nibble(codes, j) as i8 - 8),
            Q8Weight::Q8_0 => std::array::from_fn(|j| codes[j] as i8),
            Q8Weight::Mxfp4 => std::array::from_fn(|j| DOUBLED[nibble(codes, j) as usize]),
        }
    }
}

/// The activation layout this CPU's kernel for `w` reads: the quad
/// layout for q4_0 and MXFP4 where the AVX-512 VBMI + VNNI kernel runs,
/// element order otherwise.
pub fn layout_for(w: Q8Weight) -> Layout {
    #[cfg(target_arch = "x86_64")]
    if w != Q8Weight::Q8_0 && has_quad_kernel() {
        return Layout::Quads;
    }
    let _ = w;
    Layout::Natural
}

/// Whether the four-block kernel (`q8_dot_x86::row_quads*`) runs here:
/// AVX-512F, BW, VNNI and VBMI (`vpermt2b` gathers four blocks' codes).
#[cfg(target_arch = "x86_64")]
pub fn has_quad_kernel() -> bool {
    super::int8_dot::has_vnni() && std::is_x86_feature_detected!("avx512vbmi")
}

/// A row kernel of `q8_dot_x86`: `(weights, x, b0, out, stride)`.
#[cfg(target_arch = "x86_64")]
type Kernel = unsafe fn(&[u8], &Q8Activations, usize, &mut [f32], usize);

/// `$k::<F, R>` as a [`Kernel`] for the format constant `F` of `$w` and
/// `R = $n` in 1..=MAX_ROWS (panics otherwise).
macro_rules! kernel_for {
    ($($k:ident)::+, $w:expr, $n:expr) => {{
        use $crate::quant::q8_dot::format_ids::*;
        match ($w, $n) {
            (Q8Weight::Q4_0, 1) => $($k)::+::<Q4_0, 1> as Kernel,
            (Q8Weight::Q4_0, 2) => $($k)::+::<Q4_0, 2>,
            (Q8Weight::Q4_0, 3) => $($k)::+::<Q4_0, 3>,
            (Q8Weight::Q4_0, 4) => $($k)::+::<Q4_0, 4>,
            (Q8Weight::Q8_0, 1) => $($k)::+::<Q8_0, 1>,
            (Q8Weight::Q8_0, 2) => $($k)::+::<Q8_0, 2>,
            (Q8Weight::Q8_0, 3) => $($k)::+::<Q8_0, 3>,
            (Q8Weight::Q8_0, 4) => $($k)::+::<Q8_0, 4>,
            (Q8Weight::Mxfp4, 1) => $($k)::+::<MXFP4, 1>,
            (Q8Weight::Mxfp4, 2) => $($k)::+::<MXFP4, 2>,
            (Q8Weight::Mxfp4, 3) => $($k)::+::<MXFP4, 3>,
            (Q8Weight::Mxfp4, 4) => $($k)::+::<MXFP4, 4>,
            (_, n) => panic!("1..={MAX_ROWS} activation rows per call, got {n}"),
        }
    }};
}

/// [`Q8Weight`] as the const-generic parameter of the x86 kernels (stable
/// Rust has no enum const parameters), so each kernel is compiled once per
/// format with its format's unpacking and nothing else in the loop.
pub(super) mod format_ids {
    use super::Q8Weight;

    pub const Q4_0: u8 = 0;
    pub const Q8_0: u8 = 1;
    pub const MXFP4: u8 = 2;

    /// The kind a format constant stands for.
    pub const fn kind(f: u8) -> Q8Weight {
        match f {
            Q4_0 => Q8Weight::Q4_0,
            Q8_0 => Q8Weight::Q8_0,
            _ => Q8Weight::Mxfp4,
        }
    }
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
    let row_bytes = x.len() / BLOCK * w.block_bytes();
    assert!(
        weights.len().is_multiple_of(row_bytes),
        "whole rows of k / 32 blocks"
    );
    let rows = weights.len() / row_bytes;
    assert!(!bs.is_empty() && bs.len() <= MAX_ROWS && bs.end <= x.rows());
    assert!(stride >= bs.len());
    assert!(rows == 0 || out.len() >= (rows - 1) * stride + bs.len());
    #[cfg(target_arch = "x86_64")]
    {
        use super::q8_dot_x86 as v;
        let n = bs.len();
        let gfni = std::is_x86_feature_detected!("gfni");
        let kernel = if x.layout() == Layout::Quads {
            assert!(
                w != Q8Weight::Q8_0 && has_quad_kernel(),
                "quad-layout activations need q4_0 or mxfp4 weights and the VBMI kernel"
            );
            Some(if gfni {
                kernel_for!(v::row_quads_gfni, w, n)
            } else {
                kernel_for!(v::row_quads, w, n)
            })
        } else if super::int8_dot::has_vnni() {
            Some(if gfni {
                kernel_for!(v::row_vnni_gfni, w, n)
            } else {
                kernel_for!(v::row_vnni, w, n)
            })
        } else if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            Some(kernel_for!(v::row_avx2, w, n))
        } else {
            None
        };
        if let Some(kernel) = kernel {
            // SAFETY: each kernel's CPU features were checked where it was
            // picked (has_quad_kernel: AVX-512F/BW/VNNI/VBMI; has_vnni:
            // AVX-512F/BW/VNNI; GFNI for the *_gfni ones; AVX2 and FMA),
            // the quad kernels get quad-layout activations of q4_0 or
            // mxfp4 weights, and the lengths were asserted above.
            unsafe { kernel(weights, x, bs.start, out, stride) };
            return;
        }
    }
    row_portable(w, weights, x, bs, out, stride)
}

/// The portable version of [`dot_rows`]: an i32 sum per block and row
/// (any layout: it reads the codes in element order).
pub(super) fn row_portable(
    w: Q8Weight,
    weights: &[u8],
    x: &Q8Activations,
    bs: Range<usize>,
    out: &mut [f32],
    stride: usize,
) {
    let row_bytes = x.len() / BLOCK * w.block_bytes();
    let codes: Vec<Vec<i8>> = bs.clone().map(|b| x.codes(b)).collect();
    for (row, out) in weights.chunks_exact(row_bytes).zip(out.chunks_mut(stride)) {
        let out = &mut out[..bs.len()];
        out.fill(0.0);
        for (i, blk) in row.chunks_exact(w.block_bytes()).enumerate() {
            let (v, s) = (w.values(blk), w.scale(blk));
            for ((o, b), c) in out.iter_mut().zip(bs.clone()).zip(&codes) {
                let c = &c[i * BLOCK..(i + 1) * BLOCK];
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
            for (&a, &cc) in v.iter().zip(c.iter()) {
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
                if w == Q8Weight::Mxfp4 {
                    // the subnormal half-scales 2^-128 and 2^-127, and a large one
                    for (i, e) in [0u8, 1, 200].into_iter().enumerate().take(blocks) {
                        weights[i * 17] = e;
                    }
                }
                let row_bytes = weights.len() / ROWS;
                let xv = values(6 * k, 3);
                let mut layouts = vec![Layout::Natural];
                #[cfg(target_arch = "x86_64")]
                if w != Q8Weight::Q8_0 && has_quad_kernel() {
                    layouts.push(Layout::Quads);
                }
                for layout in layouts {
                    let x = Q8Activations::quantize_in(&xv, k, w, layout);
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
                                let gfni = std::is_x86_feature_detected!("gfni");
                                let avx2 = std::is_x86_feature_detected!("avx2")
                                    && std::is_x86_feature_detected!("fma");
                                let quads = layout == Layout::Quads;
                                let vnni = !quads && has_vnni();
                                let kernels: [(&str, bool, Kernel); 5] = [
                                    ("quads", quads, kernel_for!(v::row_quads, w, n)),
                                    (
                                        "quads, gfni",
                                        quads && gfni,
                                        kernel_for!(v::row_quads_gfni, w, n),
                                    ),
                                    ("avx2", !quads && avx2, kernel_for!(v::row_avx2, w, n)),
                                    ("vnni", vnni, kernel_for!(v::row_vnni, w, n)),
                                    (
                                        "vnni, gfni",
                                        vnni && gfni,
                                        kernel_for!(v::row_vnni_gfni, w, n),
                                    ),
                                ];
                                for (name, runs, kernel) in kernels {
                                    if runs {
                                        // SAFETY: each kernel's features checked in `runs`
                                        // (the quad layout only where has_quad_kernel);
                                        // lengths as dot_rows asserts
                                        unsafe { kernel(&weights, &x, b0, &mut out, stride) };
                                        versions.push((name, out.clone()));
                                    }
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
}
