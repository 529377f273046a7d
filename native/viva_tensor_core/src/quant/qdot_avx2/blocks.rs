//! AVX2 + FMA row kernels for the other self-contained 32-value ggml blocks:
//! q4_1 (scale and minimum), q5_0 (fifth bit in a separate word) and MXFP4
//! (E2M1 codes through a 16-entry byte table, one `vpshufb`).

use std::arch::x86_64::*;

use super::super::mxfp4::e8m0_to_f32_half;
use super::{add_block, check, f16_splat, prefetch_stream, store_sums, widen16};

/// The doubled E2M1 values (`e2m1::DOUBLED`) as a `vpshufb` table.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) unsafe fn e2m1_doubled_table() -> __m128i {
    _mm_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12)
}

/// q4_1 row (20-byte blocks) against `R` activation rows. Each weight is
/// decoded as `dequantize` does it, `d · q + m` (a product, then a sum, no
/// FMA), because folding `m · Σx` in after the sum would lose accuracy when
/// `d · q` and `m` nearly cancel (see the portable kernel).
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C.
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn q4_1_rows<const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
    let nb = row.len() / 20;
    check::<R>(xs, out, nb * 32);
    let mask = _mm_set1_epi8(0x0F);
    let mut tot = [_mm256_setzero_ps(); R];
    for bi in 0..nb {
        // SAFETY: block `bi` lies in `row` (nb = row.len() / 20).
        let b = row.as_ptr().add(bi * 20);
        prefetch_stream(b);
        let d = f16_splat(b);
        let m = f16_splat(b.add(2));
        let q = _mm_loadu_si128(b.add(4) as *const __m128i);
        let (c0, c1) = widen16(_mm_and_si128(q, mask));
        let (c2, c3) = widen16(_mm_and_si128(_mm_srli_epi16(q, 4), mask));
        let w = [
            _mm256_add_ps(_mm256_mul_ps(d, c0), m),
            _mm256_add_ps(_mm256_mul_ps(d, c1), m),
            _mm256_add_ps(_mm256_mul_ps(d, c2), m),
            _mm256_add_ps(_mm256_mul_ps(d, c3), m),
        ];
        for r in 0..R {
            // SAFETY: check() guaranteed 32 · nb activations per row.
            let x = xs[r].as_ptr().add(bi * 32);
            let a = _mm256_fmadd_ps(_mm256_loadu_ps(x), w[0], tot[r]);
            let a = _mm256_fmadd_ps(_mm256_loadu_ps(x.add(8)), w[1], a);
            let a = _mm256_fmadd_ps(_mm256_loadu_ps(x.add(16)), w[2], a);
            tot[r] = _mm256_fmadd_ps(_mm256_loadu_ps(x.add(24)), w[3], a);
        }
    }
    store_sums(&tot, out);
}

/// q5_0 row (22-byte blocks) against `R` activation rows.
///
/// The fifth bits are spread to bytes as ggml's `bytes_from_bits_32` does:
/// byte `i` of a 32-byte vector receives byte `i / 8` of `qh`, is ORed with
/// a mask that has every bit but `i % 8` set, and compares equal to 0xFF
/// exactly when bit `i` is set. A code byte is then `nibble | 0xF0` where
/// the bit is clear (`nibble − 16` as i8) and `nibble` where it is set
/// (`nibble + 16 − 16`): the signed code, ready to widen.
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C.
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn q5_0_rows<const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
    let nb = row.len() / 22;
    check::<R>(xs, out, nb * 32);
    let mask = _mm_set1_epi8(0x0F);
    let spread = _mm256_set_epi64x(
        0x0303_0303_0303_0303,
        0x0202_0202_0202_0202,
        0x0101_0101_0101_0101,
        0,
    );
    let bit_clear = _mm256_set1_epi64x(0x7fbf_dfef_f7fb_fdfe);
    let ones = _mm256_set1_epi8(-1);
    let high = _mm256_set1_epi8(0xF0u8 as i8);
    let mut tot = [_mm256_setzero_ps(); R];
    for bi in 0..nb {
        // SAFETY: block `bi` lies in `row` (nb = row.len() / 22).
        let b = row.as_ptr().add(bi * 22);
        prefetch_stream(b);
        let d = f16_splat(b);
        let qh = (b.add(2) as *const u32).read_unaligned();
        let bits = _mm256_shuffle_epi8(_mm256_set1_epi32(qh as i32), spread);
        let set = _mm256_cmpeq_epi8(_mm256_or_si256(bits, bit_clear), ones);
        let q = _mm_loadu_si128(b.add(6) as *const __m128i);
        let nib = _mm256_set_m128i(
            _mm_and_si128(_mm_srli_epi16(q, 4), mask),
            _mm_and_si128(q, mask),
        );
        let codes = _mm256_or_si256(nib, _mm256_andnot_si256(set, high));
        let (w0, w1) = widen16(_mm256_castsi256_si128(codes));
        let (w2, w3) = widen16(_mm256_extracti128_si256(codes, 1));
        let w = [w0, w1, w2, w3];
        // SAFETY: check() guaranteed 32 · nb activations per row.
        add_block(&mut tot, xs, bi * 32, &w, d);
    }
    store_sums(&tot, out);
}

/// MXFP4 row (17-byte blocks, exponent byte first) against `R` activation
/// rows: the doubled E2M1 integers, times `e8m0_to_f32_half(e)` per block.
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C.
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn mxfp4_rows<const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
    let nb = row.len() / 17;
    check::<R>(xs, out, nb * 32);
    let mask = _mm_set1_epi8(0x0F);
    let table = e2m1_doubled_table();
    let mut tot = [_mm256_setzero_ps(); R];
    for bi in 0..nb {
        // SAFETY: block `bi` lies in `row` (nb = row.len() / 17).
        let b = row.as_ptr().add(bi * 17);
        prefetch_stream(b);
        let d = _mm256_set1_ps(e8m0_to_f32_half(*b));
        let q = _mm_loadu_si128(b.add(1) as *const __m128i);
        let lo = _mm_shuffle_epi8(table, _mm_and_si128(q, mask));
        let hi = _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(q, 4), mask));
        let (w0, w1) = widen16(lo);
        let (w2, w3) = widen16(hi);
        let w = [w0, w1, w2, w3];
        // SAFETY: check() guaranteed 32 · nb activations per row.
        add_block(&mut tot, xs, bi * 32, &w, d);
    }
    store_sums(&tot, out);
}
