//! AVX2 encoder for int8 with one scale per block ([`super::int8`],
//! `PerBlock { block_size }` with `block_size` a multiple of 32), selected at
//! run time ([`super::encode_avx2::has_encode_simd`]).
//!
//! Why: the generic int8 path reads the input twice (block maxima, then
//! codes) and calls the element kernel once per block, so with 32-value
//! blocks the per-call overhead and the scalar maximum dominate. Here 8
//! blocks go together as in the ggml encoders ([`super::encode_avx2`]): their
//! maxima are reduced into one vector (which is also the finiteness check),
//! the 8 scales are one vector division, and the codes are written while the
//! blocks are still in L1, so the input is read from memory once.
//!
//! Exactness: the scale is `amax / 127` (a vector IEEE division, as the
//! portable `a / 127.0`), the code `round(x / s)` (vector IEEE division, then
//! the ties-away rounding of [`super::encode_avx2`]'s `round_half_away_i32`,
//! which agrees with `roundf`). The portable clamp to ±127 is skipped only
//! where it cannot act: for a normal `s` (≥ 2⁻¹²⁶), `s ≥ (amax / 127)·(1 −
//! 2⁻²⁴)`, so `|x / s| ≤ 127 / (1 − 2⁻²⁴) < 127.00001` and its rounding is at
//! most 127. Groups with a zero or subnormal scale (tiny blocks, where the
//! rounding of `s` is coarse and `x / s` can exceed 127 or be NaN) go through
//! the portable block encoder; `int8::tests::tiny_scales_match_portable` checks
//! such blocks.

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

use super::common::encode_runs_checked_side;
use super::encode_avx2::{
    all_finite, div_by, group_block_abs_bits_max, has_encode_simd, load32, pack_i8,
    round_half_away_i32, GROUP,
};
use super::int8::{encode_block_portable, Int8Quantized};
use crate::Result;
#[cfg(doc)]
use crate::TensorError;

/// Per-block int8 with `block_size` a multiple of 32 through the AVX2 block
/// kernel: one read of `x` for the maxima, the scales and the codes, in
/// parallel over runs of whole blocks ([`encode_runs_checked_side`]; each
/// block depends only on its values, so the result is the serial one). The
/// last, partial block is zero-padded, which changes neither its scale (the
/// largest `|x|`) nor its codes, and the padding's codes are dropped.
///
/// Errors: [`TensorError::NonFinite`] naming the first NaN or infinity.
///
/// # Panics
/// If the CPU lacks AVX2, FMA or F16C
/// ([`super::encode_avx2::has_encode_simd`]), or `block` is not a positive
/// multiple of 32.
pub fn quantize_blocks(x: &[f32], block: usize) -> Result<Int8Quantized> {
    assert!(has_encode_simd() && block > 0 && block.is_multiple_of(32));
    let (mut q, scales) = encode_runs_checked_side(x, block, block, |xs, q, s| {
        // SAFETY: the CPU supports AVX2, FMA and F16C (asserted above)
        unsafe { int8_blocks(xs, block, q, s) }
    })?;
    q.truncate(x.len());
    q.shrink_to_fit();
    Ok(Int8Quantized { q, scales })
}

/// int8 codes and scales of whole blocks: `x` holds `scales.len()` blocks of
/// `block` values (`block` a multiple of 32), `q` one code per value. Block
/// `b` gets `scales[b] = amax_b / 127` and `q = round(x / scales[b])`, exactly
/// as [`encode_block_portable`] (whose bytes every group that the vector
/// arithmetic does not cover goes through). Returns `false` if `x` holds a
/// NaN or an infinity (the codes and scales of its group are then
/// unspecified).
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C
/// ([`super::encode_avx2::has_encode_simd`]).
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn int8_blocks(x: &[f32], block: usize, q: &mut [i8], scales: &mut [f32]) -> bool {
    let nb = scales.len();
    assert!(block > 0 && block.is_multiple_of(32) && x.len() == nb * block && q.len() == x.len());
    let min_normal = _mm256_set1_ps(f32::MIN_POSITIVE);
    let mut finite = true;
    let mut g = 0;
    while g + GROUP <= nb {
        // SAFETY: blocks g..g+8 are in bounds (asserted above)
        let p = x.as_ptr().add(g * block);
        let amax = group_block_abs_bits_max(p, block);
        if !all_finite(amax) {
            finite = false;
            g += GROUP;
            continue;
        }
        let s = div_by(_mm256_castsi256_ps(amax), 127.0);
        _mm256_storeu_ps(scales.as_mut_ptr().add(g), s);
        let qg = &mut q[g * block..(g + GROUP) * block];
        // a zero or subnormal scale anywhere: the portable rule, clamp and
        // zero-scale case included
        if _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_LT_OQ>(s, min_normal)) != 0 {
            for (b, qb) in qg.chunks_exact_mut(block).enumerate() {
                let xb = &x[(g + b) * block..(g + b + 1) * block];
                scales[g + b] = encode_block_portable(xb, qb);
            }
            g += GROUP;
            continue;
        }
        let mut sl = [0f32; GROUP];
        _mm256_storeu_ps(sl.as_mut_ptr(), s);
        for (b, qb) in qg.chunks_exact_mut(block).enumerate() {
            let sv = _mm256_set1_ps(sl[b]);
            let pb = p.add(b * block);
            for c in (0..block).step_by(32) {
                let v = load32(pb.add(c));
                // |x / s| < 127.00001 for a normal s (module doc): the
                // rounding is the code, no clamp needed
                let r = std::array::from_fn(|k| round_half_away_i32(_mm256_div_ps(v[k], sv)));
                // SAFETY: qb[c..c + 32] is in bounds (block is a multiple of 32)
                _mm256_storeu_si256(qb.as_mut_ptr().add(c) as *mut __m256i, pack_i8(r));
            }
        }
        g += GROUP;
    }
    for b in g..nb {
        let xb = &x[b * block..(b + 1) * block];
        if !xb.iter().all(|v| v.is_finite()) {
            finite = false;
            continue;
        }
        scales[b] = encode_block_portable(xb, &mut q[b * block..(b + 1) * block]);
    }
    finite
}

#[cfg(test)]
mod tests {
    use crate::quant::common::PAR_MIN_ELEMS;
    use crate::quant::int8::{self, Int8Granularity};
    use proptest::prelude::*;

    fn check_same(x: &[f32], block: usize) {
        let g = Int8Granularity::PerBlock { block_size: block };
        let fast = int8::quantize(x, &[x.len()], g).unwrap();
        let slow = int8::quantize_portable(x, &[x.len()], g).unwrap();
        assert_eq!(fast.q, slow.q, "codes, block {block}");
        let bits = |s: &[f32]| s.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&fast.scales),
            bits(&slow.scales),
            "scales, block {block}"
        );
    }

    /// 32-value blocks for the edge cases of the kernel and its fallback.
    fn edge_blocks() -> Vec<f32> {
        let tiny = f32::MIN_POSITIVE * 127.0; // amax whose scale is 2^-126
        let mut x = Vec::new();
        x.extend([0.0f32; 32]); // zero block: scale 0
        x.extend((0..32).map(|i| if i == 3 { -0.0 } else { 0.0 }));
        // amax 127: scale 1, so x / s are exact ties k + 0.5 of both signs
        x.extend((0..32).map(|i| if i == 0 { 127.0 } else { i as f32 - 16.5 }));
        x.extend((0..32).map(|i| {
            if i == 0 {
                -127.0
            } else {
                126.5 - i as f32 * 4.0
            }
        }));
        // ties one ulp off, and tiny values that round to -0 / 0
        x.extend((0..32).map(|i| match i {
            0 => 127.0,
            1..=15 => f32::from_bits((i as f32 + 0.5).to_bits() + 1),
            16..=30 => -f32::from_bits(((i - 15) as f32 + 0.5).to_bits() - 1),
            _ => -1e-3,
        }));
        x.extend((0..32).map(|i| (i as f32 - 10.0) * 1e30)); // huge
        x.extend((0..32).map(|i| if i % 3 == 0 { 3e38 } else { -3e38 }));
        x.extend((0..32).map(|i| (i as f32 - 13.0) * 1e-40)); // subnormal scale
        x.extend((0..32).map(|i| if i == 7 { 1e-45 } else { 0.0 })); // scale 0
        x.extend((0..32).map(|i| tiny * (i as f32 - 15.0) / 16.0)); // scale 2^-126
        x.extend((0..32).map(|i| f32::from_bits(tiny.to_bits() - 1) * (i as f32) / 31.0));
        x.extend([7.5f32; 32]); // constant: every code 127
        x
    }

    #[test]
    fn edge_blocks_match_portable() {
        let x = edge_blocks();
        for block in [32usize, 64, 96, 128] {
            check_same(&x, block);
            for cut in [1usize, 17, 31, 33] {
                check_same(&x[..x.len() - cut], block); // ragged last block
            }
        }
        // each block alone in a group of 8, so no other block sends the
        // group down the portable path
        for b in x.chunks(32) {
            check_same(&b.repeat(8), 32);
            check_same(&b.repeat(17), 64);
        }
    }

    /// The no-clamp argument for normal scales: block maxima at every
    /// exponent (around the subnormal boundary of the scale in particular)
    /// with values right below the maximum, whose quotient is near 127.
    #[test]
    fn scale_sweep_matches_portable() {
        let mut x = Vec::new();
        for e in -149..=127 {
            for m in [0u32, 1, 0x40_0000, 0x7F_FFFF] {
                let amax = f32::from_bits(((e + 127).max(0) as u32) << 23 | m).max(1e-45);
                if !amax.is_finite() {
                    continue;
                }
                x.extend((0..32).map(|i| {
                    let below = f32::from_bits(amax.to_bits().saturating_sub(i as u32));
                    if i % 2 == 0 {
                        below
                    } else {
                        -below
                    }
                }));
            }
        }
        check_same(&x, 32);
        check_same(&x, 64);
    }

    #[test]
    fn non_finite_names_the_first_index() {
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            for n in [100usize, 3 * PAR_MIN_ELEMS + 37] {
                for first in [5usize, n / 2 + 3, n - 30] {
                    let mut x = vec![0.5f32; n];
                    x[first] = bad;
                    x[n - 3] = f32::NAN;
                    let g = Int8Granularity::PerBlock { block_size: 32 };
                    let e = int8::quantize(&x, &[n], g).unwrap_err().to_string();
                    assert!(e.contains(&format!("index {first}")), "{e}");
                }
            }
        }
    }

    #[test]
    fn large_parallel_matches_portable() {
        let n = 2 * PAR_MIN_ELEMS + 12345;
        let x: Vec<f32> = (0..n)
            .map(|i| (((i as u64 * 2654435761) % 20011) as f32 - 10000.0) / 7.0)
            .collect();
        check_same(&x, 32);
        check_same(&x, 160);
    }

    /// Channels of axis `axis` of `shape` through `int8::quantize` (the
    /// block kernel when they are contiguous) against the portable path.
    fn check_channels_same(x: &[f32], shape: &[usize], axis: usize) {
        let g = Int8Granularity::PerChannel { axis };
        let fast = int8::quantize(x, shape, g).unwrap();
        let slow = int8::quantize_portable(x, shape, g).unwrap();
        assert_eq!(fast.q, slow.q, "codes, {shape:?} axis {axis}");
        let bits = |s: &[f32]| s.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&fast.scales), bits(&slow.scales), "scales");
    }

    #[test]
    fn contiguous_channels_match_portable() {
        let mut x = edge_blocks();
        x.extend(x.clone().iter().map(|v| v * 0.375));
        x.truncate(x.len() / 128 * 128);
        let n = x.len();
        // rows of 32 and 64 (the kernel), of 16 (not a multiple of 32: the
        // generic path), a leading size-1 axis, and a non-contiguous axis
        for (shape, axis) in [
            (vec![n / 32, 32], 0),
            (vec![n / 64, 64], 0),
            (vec![n / 16, 16], 0),
            (vec![1, n / 64, 64], 1),
            (vec![1, 1, n / 32, 32], 2),
            (vec![2, n / 64, 32], 1),
            (vec![n / 32, 32], 1),
        ] {
            check_channels_same(&x, &shape, axis);
        }
        let big: Vec<f32> = (0..2 * PAR_MIN_ELEMS)
            .map(|i| (((i as u64 * 2654435761) % 20011) as f32 - 10000.0) / 7.0)
            .collect();
        check_channels_same(&big, &[big.len() / 4096, 4096], 0);
        let mut bad = big.clone();
        bad[70_000] = f32::NAN;
        bad[90_000] = f32::INFINITY;
        let e = int8::quantize(
            &bad,
            &[bad.len() / 4096, 4096],
            Int8Granularity::PerChannel { axis: 0 },
        );
        assert!(e.unwrap_err().to_string().contains("index 70000"));
    }

    proptest! {
        #[test]
        fn random_blocks_match_portable(
            x in proptest::collection::vec(-1e3f32..1e3, 1..1200),
            scale in prop_oneof![Just(1.0f32), Just(1e-30), Just(1e30), Just(0.02), Just(1e-40)],
            block in prop_oneof![Just(32usize), Just(64), Just(96)],
        ) {
            let x: Vec<f32> = x.iter().map(|v| v * scale).collect();
            check_same(&x, block);
        }
    }
}
