//! AVX2 + FMA row kernels for formats whose per-block scales are stored
//! apart from the codes ([`ScaledRow`]): NVFP4 (16-value blocks), NF4 /
//! NF4-DQ (blocks of a multiple of 32) and int8 per block.

use std::arch::x86_64::*;

use super::super::nf4::LEVELS;
use super::super::qdot::ScaledRow;
use super::blocks::e2m1_doubled_table;
use super::{check, hsum, widen16};

/// NVFP4 codes (element `2i` in the low nibble) with one scale per 16
/// values against `R` activation rows: the doubled E2M1 integers looked up
/// with `vpshufb`, times the block's (halved) scale after its sum. Two
/// blocks (16 code bytes) per step, then a last odd block.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn nvfp4_rows<const R: usize>(row: ScaledRow<'_, u8>, xs: &[&[f32]], out: &mut [f32]) {
    let nb = row.scales.len();
    assert!(row.codes.len() >= nb * 8);
    check::<R>(xs, out, nb * 16);
    let mask = _mm_set1_epi8(0x0F);
    let table = e2m1_doubled_table();
    let mut tot = [_mm256_setzero_ps(); R];
    let mut bi = 0;
    while bi < nb {
        let pair = bi + 1 < nb;
        // SAFETY: blocks `bi` (and `bi + 1` when `pair`) lie in `codes`
        // (asserted above); a lone last block loads only its 8 bytes.
        let p = row.codes.as_ptr().add(bi * 8) as *const __m128i;
        let q = if pair {
            _mm_loadu_si128(p)
        } else {
            _mm_loadl_epi64(p)
        };
        let lo = _mm_and_si128(q, mask);
        let hi = _mm_and_si128(_mm_srli_epi16(q, 4), mask);
        // interleaved back into element order: block bi, then block bi + 1
        let (w0, w1) = widen16(_mm_shuffle_epi8(table, _mm_unpacklo_epi8(lo, hi)));
        let (w2, w3) = widen16(_mm_shuffle_epi8(table, _mm_unpackhi_epi8(lo, hi)));
        let d0 = _mm256_set1_ps(row.scales[bi]);
        for r in 0..R {
            // SAFETY: check() guaranteed 16 · nb activations per row.
            let x = xs[r].as_ptr().add(bi * 16);
            let s = _mm256_mul_ps(_mm256_loadu_ps(x), w0);
            let s = _mm256_fmadd_ps(_mm256_loadu_ps(x.add(8)), w1, s);
            tot[r] = _mm256_fmadd_ps(d0, s, tot[r]);
        }
        if pair {
            let d1 = _mm256_set1_ps(row.scales[bi + 1]);
            for r in 0..R {
                // SAFETY: as above, block bi + 1 < nb.
                let x = xs[r].as_ptr().add(bi * 16 + 16);
                let s = _mm256_mul_ps(_mm256_loadu_ps(x), w2);
                let s = _mm256_fmadd_ps(_mm256_loadu_ps(x.add(8)), w3, s);
                tot[r] = _mm256_fmadd_ps(d1, s, tot[r]);
            }
        }
        bi += 2;
    }
    for r in 0..R {
        out[r] = hsum(tot[r]);
    }
}

/// 8 NF4 codes (one per byte, in the low 64 bits of `c`) as their levels:
/// two 8-entry `vpermps` lookups (the index's low 3 bits) blended on bit 3.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn nf4_levels8(c: __m128i, lo: __m256, hi: __m256) -> __m256 {
    let idx = _mm256_cvtepu8_epi32(c);
    let sel = _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28));
    _mm256_blendv_ps(
        _mm256_permutevar8x32_ps(lo, idx),
        _mm256_permutevar8x32_ps(hi, idx),
        sel,
    )
}

/// NF4 codes (element `2i` in the HIGH nibble) with one absmax per block of
/// `codes.len() · 2 / scales.len()` values (a multiple of 32) against `R`
/// activation rows: `Σ_blocks absmax · Σ_j x_r[j] · LEVELS[code_j]`.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn nf4_rows<const R: usize>(row: ScaledRow<'_, u8>, xs: &[&[f32]], out: &mut [f32]) {
    let chunks = row.codes.len() / 16;
    let per_block = chunks / row.scales.len().max(1);
    assert!(per_block * row.scales.len() == chunks);
    check::<R>(xs, out, chunks * 32);
    let mask = _mm_set1_epi8(0x0F);
    // SAFETY: LEVELS has 16 entries; the two loads read 0..8 and 8..16.
    let lv_lo = _mm256_loadu_ps(LEVELS.as_ptr());
    let lv_hi = _mm256_loadu_ps(LEVELS.as_ptr().add(8));
    let mut tot = [_mm256_setzero_ps(); R];
    for (bi, &a) in row.scales.iter().enumerate() {
        let mut acc = [_mm256_setzero_ps(); R];
        for ci in bi * per_block..(bi + 1) * per_block {
            // SAFETY: chunk ci < chunks lies in `codes`.
            let q = _mm_loadu_si128(row.codes.as_ptr().add(ci * 16) as *const __m128i);
            let even = _mm_and_si128(_mm_srli_epi16(q, 4), mask);
            let odd = _mm_and_si128(q, mask);
            let e0 = _mm_unpacklo_epi8(even, odd);
            let e1 = _mm_unpackhi_epi8(even, odd);
            let w0 = nf4_levels8(e0, lv_lo, lv_hi);
            let w1 = nf4_levels8(_mm_srli_si128(e0, 8), lv_lo, lv_hi);
            let w2 = nf4_levels8(e1, lv_lo, lv_hi);
            let w3 = nf4_levels8(_mm_srli_si128(e1, 8), lv_lo, lv_hi);
            for r in 0..R {
                // SAFETY: check() guaranteed 32 · chunks activations per row.
                let x = xs[r].as_ptr().add(ci * 32);
                let s = _mm256_fmadd_ps(_mm256_loadu_ps(x), w0, acc[r]);
                let s = _mm256_fmadd_ps(_mm256_loadu_ps(x.add(8)), w1, s);
                let s = _mm256_fmadd_ps(_mm256_loadu_ps(x.add(16)), w2, s);
                acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(x.add(24)), w3, s);
            }
        }
        let a = _mm256_set1_ps(a);
        for r in 0..R {
            tot[r] = _mm256_fmadd_ps(a, acc[r], tot[r]);
        }
    }
    for r in 0..R {
        out[r] = hsum(tot[r]);
    }
}

/// Int8 codes with one scale per block of `codes.len() / scales.len()`
/// values (a multiple of 32) against `R` activation rows.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn i8_blocks_rows<const R: usize>(
    row: ScaledRow<'_, i8>,
    xs: &[&[f32]],
    out: &mut [f32],
) {
    let chunks = row.codes.len() / 32;
    let per_block = chunks / row.scales.len().max(1);
    assert!(per_block * row.scales.len() == chunks);
    check::<R>(xs, out, chunks * 32);
    let mut tot = [_mm256_setzero_ps(); R];
    for (bi, &s) in row.scales.iter().enumerate() {
        let mut acc = [_mm256_setzero_ps(); R];
        for ci in bi * per_block..(bi + 1) * per_block {
            // SAFETY: chunk ci < chunks lies in `codes`.
            let p = row.codes.as_ptr().add(ci * 32) as *const __m128i;
            let (w0, w1) = widen16(_mm_loadu_si128(p));
            let (w2, w3) = widen16(_mm_loadu_si128(p.add(1)));
            for r in 0..R {
                // SAFETY: check() guaranteed 32 · chunks activations per row.
                let x = xs[r].as_ptr().add(ci * 32);
                let a = _mm256_fmadd_ps(_mm256_loadu_ps(x), w0, acc[r]);
                let a = _mm256_fmadd_ps(_mm256_loadu_ps(x.add(8)), w1, a);
                let a = _mm256_fmadd_ps(_mm256_loadu_ps(x.add(16)), w2, a);
                acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(x.add(24)), w3, a);
            }
        }
        let s = _mm256_set1_ps(s);
        for r in 0..R {
            tot[r] = _mm256_fmadd_ps(s, acc[r], tot[r]);
        }
    }
    for r in 0..R {
        out[r] = hsum(tot[r]);
    }
}
