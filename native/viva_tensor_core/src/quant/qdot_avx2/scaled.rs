//! AVX2 + FMA row kernels for formats whose per-block scales are stored
//! apart from the codes ([`ScaledRow`]): NVFP4 (16-value blocks), NF4 /
//! NF4-DQ (blocks of a multiple of 32) and int8 per block.

use std::arch::x86_64::*;

use super::super::nf4::LEVELS;
use super::super::qdot::ScaledRow;
use super::blocks::e2m1_doubled_table;
use super::{add_chained, check, prefetch_stream, store_sums, sum_chains, widen16};

/// NVFP4 codes (element `2i` in the low nibble) with one scale per 16
/// values against `R` activation rows: the doubled E2M1 integers looked up
/// with `vpshufb`, times the block's (halved) scale after its sum. Two
/// blocks (16 code bytes) per step, then a last odd block.
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C.
#[target_feature(enable = "avx2,fma,f16c")]
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
        prefetch_stream(p);
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
    store_sums(&tot, out);
}

/// Byte `p` (little-endian) of every NF4 level's f32 bits, one 16-entry
/// `vpshufb` table per byte position.
const LEVEL_BYTES: [[u8; 16]; 4] = {
    let mut t = [[0u8; 16]; 4];
    let mut c = 0;
    while c < 16 {
        let b = LEVELS[c].to_bits().to_le_bytes();
        let mut p = 0;
        while p < 4 {
            t[p][c] = b[p];
            p += 1;
        }
        c += 1;
    }
    t
};

/// 16 NF4 codes (one per byte of `c`, in element order) as their levels,
/// elements 0..8 and 8..16. Each byte of the f32 bits is looked up with a
/// 16-byte `vpshufb`, then the bytes are interleaved into words and the
/// words into f32: 12 single-µop 128-bit operations per 16 values. The
/// first version (two 8-entry `vpermps` lookups blended on bit 3) was
/// 2-3 times slower than q4_0 on the development machine's Zen 1 cores,
/// where cross-lane 256-bit permutes cost several µops each.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn nf4_levels16(c: __m128i, t: &[__m128i; 4]) -> (__m256, __m256) {
    let b0 = _mm_shuffle_epi8(t[0], c);
    let b1 = _mm_shuffle_epi8(t[1], c);
    let b2 = _mm_shuffle_epi8(t[2], c);
    let b3 = _mm_shuffle_epi8(t[3], c);
    let (lo_a, lo_b) = (_mm_unpacklo_epi8(b0, b1), _mm_unpackhi_epi8(b0, b1));
    let (hi_a, hi_b) = (_mm_unpacklo_epi8(b2, b3), _mm_unpackhi_epi8(b2, b3));
    let f0 = _mm_unpacklo_epi16(lo_a, hi_a);
    let f1 = _mm_unpackhi_epi16(lo_a, hi_a);
    let f2 = _mm_unpacklo_epi16(lo_b, hi_b);
    let f3 = _mm_unpackhi_epi16(lo_b, hi_b);
    (
        _mm256_castsi256_ps(_mm256_set_m128i(f1, f0)),
        _mm256_castsi256_ps(_mm256_set_m128i(f3, f2)),
    )
}

/// NF4 codes (element `2i` in the HIGH nibble) with one absmax per block of
/// `codes.len() · 2 / scales.len()` values (a multiple of 32) against `R`
/// activation rows: `Σ_blocks absmax · Σ_j x_r[j] · LEVELS[code_j]`.
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C.
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn nf4_rows<const R: usize>(row: ScaledRow<'_, u8>, xs: &[&[f32]], out: &mut [f32]) {
    let chunks = row.codes.len() / 16;
    let per_block = chunks / row.scales.len().max(1);
    assert!(per_block * row.scales.len() == chunks);
    check::<R>(xs, out, chunks * 32);
    let mask = _mm_set1_epi8(0x0F);
    // SAFETY: each table is 16 bytes.
    let t = LEVEL_BYTES.map(|b| _mm_loadu_si128(b.as_ptr() as *const __m128i));
    let mut tot = [_mm256_setzero_ps(); R];
    for (bi, &a) in row.scales.iter().enumerate() {
        let mut acc = [_mm256_setzero_ps(); R];
        for ci in bi * per_block..(bi + 1) * per_block {
            // SAFETY: chunk ci < chunks lies in `codes`.
            let p = row.codes.as_ptr().add(ci * 16);
            prefetch_stream(p);
            let q = _mm_loadu_si128(p as *const __m128i);
            let even = _mm_and_si128(_mm_srli_epi16(q, 4), mask);
            let odd = _mm_and_si128(q, mask);
            let e0 = _mm_unpacklo_epi8(even, odd);
            let e1 = _mm_unpackhi_epi8(even, odd);
            let (w0, w1) = nf4_levels16(e0, &t);
            let (w2, w3) = nf4_levels16(e1, &t);
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
    store_sums(&tot, out);
}

/// Int8 codes with one scale per block of `codes.len() / scales.len()`
/// values (a multiple of 32) against `R` activation rows.
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C.
#[target_feature(enable = "avx2,fma,f16c")]
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
        let mut acc = [[_mm256_setzero_ps(); 4]; R];
        for ci in bi * per_block..(bi + 1) * per_block {
            // SAFETY: chunk ci < chunks lies in `codes`.
            let p = row.codes.as_ptr().add(ci * 32) as *const __m128i;
            prefetch_stream(p);
            let (w0, w1) = widen16(_mm_loadu_si128(p));
            let (w2, w3) = widen16(_mm_loadu_si128(p.add(1)));
            // SAFETY: check() guaranteed 32 · chunks activations per row.
            add_chained(&mut acc, xs, ci * 32, &[w0, w1, w2, w3]);
        }
        let s = _mm256_set1_ps(s);
        for r in 0..R {
            tot[r] = _mm256_fmadd_ps(s, sum_chains(&acc[r]), tot[r]);
        }
    }
    store_sums(&tot, out);
}
