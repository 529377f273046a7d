//! AVX2 + FMA row kernels for unblocked 16- and 8-bit floats (f16, bf16,
//! FP8 E4M3FN / E5M2): each value widened to f32 in registers with integer
//! shifts and one exact multiplication by a power of two (no F16C, no table
//! gather), the same bit arithmetic as the portable decoders in `qdot`.

use std::arch::x86_64::*;

use super::super::qdot::{e4m3fn_bits_to_f32, e5m2_bits_to_f32, f16_to_f32};
use super::{add_chained, check, hsum, prefetch_stream, sum_chains};

/// Magnitude bits moved into an f32 and rescaled by the power of two
/// `pow2` (the difference of the exponent biases), then the sign bit ORed
/// back: `v` holds one code per 32-bit lane, `mag_mask`/`sign_mask` select
/// its bits, `shift` aligns its mantissa with the f32's.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn widen_float<const SHIFT: i32, const SIGN_SHIFT: i32>(
    v: __m256i,
    mag_mask: __m256i,
    sign_mask: __m256i,
    pow2: __m256,
) -> __m256 {
    let mag = _mm256_slli_epi32::<SHIFT>(_mm256_and_si256(v, mag_mask));
    let mag = _mm256_mul_ps(_mm256_castsi256_ps(mag), pow2);
    let sign = _mm256_slli_epi32::<SIGN_SHIFT>(_mm256_and_si256(v, sign_mask));
    _mm256_or_ps(mag, _mm256_castsi256_ps(sign))
}

/// Defines a kernel over a row of `k = row.len() / $size` values: chunks
/// of 32 widened 8 at a time by `$widen(pointer to 8 codes)`, the rest
/// decoded one by one with the portable `$scalar`.
macro_rules! elems_kernel {
    ($(#[$m:meta])* $name:ident, $size:expr, $widen:ident, $scalar:expr) => {
        $(#[$m])*
        ///
        /// # Safety
        /// The CPU must support AVX2, FMA and F16C.
        #[target_feature(enable = "avx2,fma,f16c")]
        pub unsafe fn $name<const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
            let k = row.len() / $size;
            check::<R>(xs, out, k);
            let whole = k / 32 * 32;
            let mut acc = [[_mm256_setzero_ps(); 4]; R];
            let mut j = 0;
            while j < whole {
                // SAFETY: values j..j + 32 lie in `row` (j + 32 <= k).
                let p = row.as_ptr().add(j * $size);
                prefetch_stream(p);
                let w = [
                    $widen(p),
                    $widen(p.add(8 * $size)),
                    $widen(p.add(16 * $size)),
                    $widen(p.add(24 * $size)),
                ];
                // SAFETY: check() guaranteed k activations per row.
                add_chained(&mut acc, xs, j, &w);
                j += 32;
            }
            let dec = $scalar;
            for r in 0..R {
                let tail: f32 = (whole..k)
                    .map(|j| xs[r][j] * dec(&row[j * $size..(j + 1) * $size]))
                    .sum();
                out[r] = hsum(sum_chains(&acc[r])) + tail;
            }
        }
    };
}

/// 8 little-endian f16 values at `p` as f32 (F16C; exact).
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn f16x8(p: *const u8) -> __m256 {
    // SAFETY (caller): 16 readable bytes at p.
    _mm256_cvtph_ps(_mm_loadu_si128(p as *const __m128i))
}

/// 8 little-endian bf16 values at `p` as f32 (exact).
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn bf16x8(p: *const u8) -> __m256 {
    // SAFETY (caller): 16 readable bytes at p.
    let v = _mm256_cvtepu16_epi32(_mm_loadu_si128(p as *const __m128i));
    _mm256_castsi256_ps(_mm256_slli_epi32::<16>(v))
}

/// 8 E4M3FN bytes at `p` as f32 (exact for every finite code).
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn e4m3fnx8(p: *const u8) -> __m256 {
    // SAFETY (caller): 8 readable bytes at p.
    let v = _mm256_cvtepu8_epi32(_mm_loadl_epi64(p as *const __m128i));
    widen_float::<20, 24>(
        v,
        _mm256_set1_epi32(0x7F),
        _mm256_set1_epi32(0x80),
        _mm256_castsi256_ps(_mm256_set1_epi32(0x7B80_0000)), // 2^120
    )
}

/// 8 E5M2 bytes at `p` as f32 (exact for every finite code).
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn e5m2x8(p: *const u8) -> __m256 {
    // SAFETY (caller): 8 readable bytes at p.
    let v = _mm256_cvtepu8_epi32(_mm_loadl_epi64(p as *const __m128i));
    widen_float::<21, 24>(
        v,
        _mm256_set1_epi32(0x7F),
        _mm256_set1_epi32(0x80),
        _mm256_castsi256_ps(_mm256_set1_epi32(0x7780_0000)), // 2^112
    )
}

elems_kernel!(
    /// A row of f16 values (2 bytes each, little-endian) against `R`
    /// activation rows.
    f16_rows, 2, f16x8, |b: &[u8]| f16_to_f32(b[0], b[1])
);
elems_kernel!(
    /// A row of bf16 values (2 bytes each, little-endian) against `R`
    /// activation rows.
    bf16_rows, 2, bf16x8, |b: &[u8]| f32::from_bits((u16::from_le_bytes([b[0], b[1]]) as u32) << 16)
);
elems_kernel!(
    /// A row of FP8 E4M3FN codes (unscaled) against `R` activation rows.
    e4m3fn_rows, 1, e4m3fnx8, |b: &[u8]| e4m3fn_bits_to_f32(b[0])
);
elems_kernel!(
    /// A row of FP8 E5M2 codes (unscaled) against `R` activation rows.
    e5m2_rows, 1, e5m2x8, |b: &[u8]| e5m2_bits_to_f32(b[0])
);
