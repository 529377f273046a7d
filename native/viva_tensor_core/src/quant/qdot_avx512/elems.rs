//! AVX-512 row kernels for one-code-per-value formats (f16, bf16, FP8
//! E4M3FN / E5M2, int8), in the activations' own order: each 32 codes
//! widened to two 16-lane f32 vectors, FMAs alternating between two pairs
//! of accumulators per activation row ([`super::alternating`]), so no FMA
//! waits on the previous one (the AVX2 int8 kernel chains four).
//!
//! FP8 goes through f16: an E5M2 code is the high byte of the f16 with the
//! same value, and an E4M3FN code shifted left by 7 (sign moved to bit 15)
//! is the f16 of its value times 2^-8, subnormals included, so `vcvtph2ps`
//! widens both and the E4M3FN sum is scaled by 2^8 at the end (exact: a
//! power of two).

use std::arch::x86_64::*;

use super::super::qdot::{e4m3fn_bits_to_f32, e5m2_bits_to_f32, f16_to_f32};
use super::{alternating, i8x16, sum_pairs, STREAM_PREFETCH_BYTES};

/// 32 f16 bit patterns (one per 16-bit lane) as two f32 vectors.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx2,fma,f16c")]
unsafe fn halves_to_f32(h: __m512i) -> (__m512, __m512) {
    (
        _mm512_cvtph_ps(_mm512_castsi512_si256(h)),
        _mm512_cvtph_ps(_mm512_extracti64x4_epi64::<1>(h)),
    )
}

/// 32 little-endian f16 values at `p`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx2,fma,f16c")]
unsafe fn f16x32(p: *const u8) -> (__m512, __m512) {
    let load = |p: *const u8| _mm512_cvtph_ps(_mm256_loadu_si256(p as *const __m256i));
    (load(p), load(p.add(32)))
}

/// 32 little-endian bf16 values at `p` (each the high half of its f32).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx2,fma,f16c")]
unsafe fn bf16x32(p: *const u8) -> (__m512, __m512) {
    let load = |p: *const u8| {
        let v = _mm512_cvtepu16_epi32(_mm256_loadu_si256(p as *const __m256i));
        _mm512_castsi512_ps(_mm512_slli_epi32::<16>(v))
    };
    (load(p), load(p.add(32)))
}

/// 32 E5M2 codes at `p`: each the high byte of an f16.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx2,fma,f16c")]
unsafe fn e5m2x32(p: *const u8) -> (__m512, __m512) {
    let v = _mm512_cvtepu8_epi16(_mm256_loadu_si256(p as *const __m256i));
    halves_to_f32(_mm512_slli_epi16::<8>(v))
}

/// 32 E4M3FN codes at `p`, each times 2^-8: sign-extended to 16 bits and
/// shifted left by 7, the sign lands in bit 15 and exponent and mantissa in
/// f16's places; bit 14 (the sign's copy) is cleared.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx2,fma,f16c")]
unsafe fn e4m3fnx32(p: *const u8) -> (__m512, __m512) {
    let v = _mm512_cvtepi8_epi16(_mm256_loadu_si256(p as *const __m256i));
    let h = _mm512_and_si512(
        _mm512_slli_epi16::<7>(v),
        _mm512_set1_epi16(0xBFFFu16 as i16),
    );
    halves_to_f32(h)
}

/// 32 int8 codes at `p`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx2,fma,f16c")]
unsafe fn i8x32(p: *const u8) -> (__m512, __m512) {
    let p = p as *const i8;
    (i8x16(p), i8x16(p.add(16)))
}

/// `out[r] = scale · Σ_j x_r[j] · w[j]` for a row of `row.len() / size`
/// codes: whole chunks of 32 by `widen`, the rest by `decode` one at a time
/// (times `1 / scale`, undoing `widen`'s power of two).
///
/// # Safety
/// AVX-512F/BW, AVX2, FMA and F16C; `widen` reads `32 · size` bytes.
#[inline(always)]
unsafe fn elems_rows<const R: usize>(
    row: &[u8],
    size: usize,
    xs: &[&[f32]],
    out: &mut [f32],
    widen: unsafe fn(*const u8) -> (__m512, __m512),
    decode: impl Fn(&[u8]) -> f32,
    scale: f32,
) {
    let k = row.len() / size;
    assert!(xs.len() == R && out.len() >= R);
    assert!(xs.iter().all(|x| x.len() >= k));
    let chunks = k / 32;
    let xp: [*const f32; R] = std::array::from_fn(|r| xs[r].as_ptr());
    let zero = [[_mm512_setzero_ps(); 2]; R];
    let (mut even, mut odd) = (zero, zero);
    alternating(0..chunks, &mut even, &mut odd, |acc, c| {
        // SAFETY: chunk c < k / 32 lies in `row`, and every row of `xs`
        // holds k values (asserted above)
        let p = row.as_ptr().add(c * 32 * size);
        _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(STREAM_PREFETCH_BYTES) as *const i8);
        let (w0, w1) = widen(p);
        for (a, x) in acc.iter_mut().zip(xp) {
            let x = x.add(c * 32);
            a[0] = _mm512_fmadd_ps(_mm512_loadu_ps(x), w0, a[0]);
            a[1] = _mm512_fmadd_ps(_mm512_loadu_ps(x.add(16)), w1, a[1]);
        }
    });
    for r in 0..R {
        let s = sum_pairs(even[r], odd[r]);
        let tail: f32 = (chunks * 32..k)
            .map(|j| xs[r][j] * decode(&row[j * size..(j + 1) * size]))
            .sum();
        out[r] = (_mm512_reduce_add_ps(s) + tail / scale) * scale;
    }
}

/// Defines `$name::<R>(row, xs, out)` over [`elems_rows`].
macro_rules! elems512_kernel {
    ($(#[$m:meta])* $name:ident, $code:ty, $size:expr, $widen:ident, $decode:expr, $scale:expr) => {
        $(#[$m])*
        ///
        /// # Safety
        /// The CPU must support AVX-512F/BW, AVX2, FMA and F16C
        /// ([`super::has_avx512`]).
        #[target_feature(enable = "avx512f,avx512bw,avx2,fma,f16c")]
        pub unsafe fn $name<const R: usize>(row: &[$code], xs: &[&[f32]], out: &mut [f32]) {
            let bytes: &[u8] = bytemuck::cast_slice(row);
            elems_rows::<R>(bytes, $size, xs, out, $widen, $decode, $scale)
        }
    };
}

elems512_kernel!(
    /// A row of f16 values (2 bytes each, little-endian).
    f16_rows, u8, 2, f16x32, |b: &[u8]| f16_to_f32(b[0], b[1]), 1.0
);
elems512_kernel!(
    /// A row of bf16 values (2 bytes each, little-endian).
    bf16_rows, u8, 2, bf16x32,
    |b: &[u8]| f32::from_bits((u16::from_le_bytes([b[0], b[1]]) as u32) << 16), 1.0
);
elems512_kernel!(
    /// A row of FP8 E4M3FN codes (unscaled).
    e4m3fn_rows, u8, 1, e4m3fnx32, |b: &[u8]| e4m3fn_bits_to_f32(b[0]), 256.0
);
elems512_kernel!(
    /// A row of FP8 E5M2 codes (unscaled).
    e5m2_rows, u8, 1, e5m2x32, |b: &[u8]| e5m2_bits_to_f32(b[0]), 1.0
);
elems512_kernel!(
    /// A row of int8 codes (unscaled).
    i8_rows, i8, 1, i8x32, |b: &[u8]| b[0] as i8 as f32, 1.0
);
