//! AVX2 encoder for NF4 codes (the first level of [`super::nf4`] and
//! [`super::nf4_dq`]), selected at run time like the ggml encoders in
//! [`super::encode_avx2`].
//!
//! Why: the portable encoder counts, per value, the 15 midpoints below it
//! with scalar compares (about 15 compares and adds per value). Here the
//! same 15 compares run on 8 values at once, the block's absmax doubles as
//! the finiteness check (integer maximum of the `|x|` bit patterns, at or
//! above `0x7F80_0000` exactly for NaN/inf), and the input is read once.
//!
//! Exactness: the portable rule is `s = clamp(f32(x · r), -1, 1)` with
//! `r = f32(1 / max(absmax, 1e-38))`, code = number of midpoints `m < s`
//! (strict, so a value exactly on a midpoint takes the lower level). The
//! kernel evaluates the same f32 operations in the same order: `r` is
//! computed as a scalar per block, `x · r` is one IEEE multiply per lane,
//! and the compare is `_CMP_LT_OQ(m, s)`. No NaN can arise (finite `x`,
//! finite `r ≤ 1e38` and `|x · r| ≤ 1` up to rounding), so min/max clamp
//! like `f32::clamp`.

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

use super::encode_avx2::{abs_bits, hmax_epu32, load32, pack_i8, EXP_BITS};
use super::nf4::{midpoints, MIN_ABSMAX};

/// Packs 32 codes (bytes in element order) into NF4's 16 bytes: byte `i` =
/// code `2i` << 4 | code `2i + 1` (even element in the high nibble).
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn pack_pairs_hi_first(b: __m256i) -> __m128i {
    // 16-bit lane i holds code 2i (low byte) and code 2i+1 (high byte)
    let w = _mm256_or_si256(_mm256_slli_epi16::<4>(b), _mm256_srli_epi16::<8>(b));
    let w = _mm256_and_si256(w, _mm256_set1_epi16(0xFF));
    let w = _mm256_packus_epi16(w, w); // [bytes 0..8, dup | bytes 8..16, dup]
    _mm256_castsi256_si128(_mm256_permute4x64_epi64::<0b00_00_10_00>(w))
}

/// Whether the NF4 kernel handles blocks of `block` values (whole vectors
/// of 32; other sizes use the portable encoder).
pub fn nf4_block_supported(block: usize) -> bool {
    block >= 32 && block.is_multiple_of(32)
}

/// NF4 blocks of `block` values (a multiple of 32): `x` holds whole blocks,
/// `out` `block / 2` bytes per block and `absmax` one entry per block
/// (layout in [`super::nf4`]). Returns `false` if `x` holds a NaN or an
/// infinity (that block's bytes and absmax are then unspecified).
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C
/// ([`super::encode_avx2::has_encode_simd`]).
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn nf4_blocks(x: &[f32], block: usize, out: &mut [u8], absmax: &mut [f32]) -> bool {
    assert!(nf4_block_supported(block));
    let nb = x.len() / block;
    assert!(x.len() == nb * block && out.len() == nb * block / 2 && absmax.len() == nb);
    let mids = midpoints();
    let mv: [__m256; 15] = std::array::from_fn(|i| _mm256_set1_ps(mids[i]));
    let (lo, hi) = (_mm256_set1_ps(-1.0), _mm256_set1_ps(1.0));
    let mut finite = true;
    for (b, a_out) in absmax.iter_mut().enumerate() {
        // SAFETY: block b lies within x (asserted above)
        let p = x.as_ptr().add(b * block);
        let mut m = _mm256_setzero_si256();
        for c in (0..block).step_by(8) {
            m = _mm256_max_epu32(m, abs_bits(_mm256_loadu_ps(p.add(c))));
        }
        let bits = _mm256_cvtsi256_si32(hmax_epu32(m)) as u32;
        if bits >= EXP_BITS {
            finite = false;
            continue;
        }
        let a = f32::from_bits(bits);
        *a_out = a;
        let r = _mm256_set1_ps(1.0 / a.max(MIN_ABSMAX));
        for c in (0..block).step_by(32) {
            let v = load32(p.add(c));
            let codes = std::array::from_fn(|k| {
                let s = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(v[k], r), lo), hi);
                // each true compare is -1: subtracting counts the midpoints below s
                mv.iter().fold(_mm256_setzero_si256(), |acc, &mi| {
                    _mm256_sub_epi32(acc, _mm256_castps_si256(_mm256_cmp_ps::<_CMP_LT_OQ>(mi, s)))
                })
            });
            let o = out.as_mut_ptr().add((b * block + c) / 2);
            // SAFETY: bytes (b·block + c)/2 .. +16 lie within out (asserted above)
            _mm_storeu_si128(o as *mut __m128i, pack_pairs_hi_first(pack_i8(codes)));
        }
    }
    finite
}

#[cfg(test)]
mod tests {
    use super::super::encode_avx2::has_encode_simd;
    use crate::quant::nf4;
    use proptest::prelude::*;

    /// Compares the AVX2 path of `nf4::quantize` with the portable encoder.
    fn check_same(x: &[f32], block: usize) {
        let fast = nf4::quantize(x, block).unwrap();
        let slow = nf4::quantize_portable(x, block).unwrap();
        assert_eq!(fast.codes, slow.codes, "codes, block {block}");
        let bits = |v: &[f32]| v.iter().map(|a| a.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&fast.absmax), bits(&slow.absmax), "absmax");
    }

    #[test]
    fn edge_cases_match_portable() {
        if !has_encode_simd() {
            return;
        }
        let mids = nf4::midpoints();
        let mut x = Vec::new();
        x.extend([0.0f32; 64]); // zero block
        x.extend((0..64).map(|i| if i == 3 { -0.0 } else { 0.0 }));
        // exact midpoints (absmax 1 makes s = x) and their neighbours
        x.push(1.0);
        for &m in &mids {
            for d in [-1i32, 0, 1] {
                x.push(f32::from_bits((m.to_bits() as i32 + d) as u32));
            }
        }
        x.resize(x.len().div_ceil(64) * 64, -1.0);
        x.extend((0..64).map(|i| (i as f32) * 1e-40)); // subnormal absmax < 1e-38
        x.extend((0..64).map(|i| (i as f32 - 30.0) * 1e-39));
        x.extend((0..64).map(|i| (i as f32 - 31.5) * 1e37)); // huge
        x.extend((0..64).map(|i| if i % 2 == 0 { 2.5 } else { -2.5 }));
        for block in [32, 64, 128, 256] {
            check_same(&x, block);
            check_same(&x[..x.len() - 7], block); // ragged
        }
    }

    #[test]
    fn non_finite_names_the_first_index() {
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            for n in [100usize, 70_000] {
                let mut x = vec![0.5f32; n];
                x[n - 30] = bad;
                x[n - 3] = f32::NAN;
                let e = nf4::quantize(&x, 64).unwrap_err().to_string();
                assert!(e.contains(&format!("index {}", n - 30)), "{e}");
            }
        }
    }

    proptest! {
        #[test]
        fn random_match_portable(
            x in proptest::collection::vec(-1e3f32..1e3, 1..700),
            scale in prop_oneof![Just(1.0f32), Just(1e-20), Just(1e20), Just(0.02), Just(1e-41)],
            block in prop::sample::select(vec![32usize, 64, 128, 96]),
        ) {
            if has_encode_simd() {
                let x: Vec<f32> = x.iter().map(|v| v * scale).collect();
                check_same(&x, block);
            }
        }
    }
}
