//! AVX-512 versions of the hottest [`super::qdot`] row kernels, selected at
//! run time where the CPU has AVX-512F (never from `target-cpu=native`);
//! CPUs without it run the AVX2 kernels of [`super::qdot_avx2`].
//!
//! Why: a 32-value q4_0 block is two 16-lane vectors here against four
//! 8-lane ones, and each 16 codes become f32 (minus 8) by one `vpermps`
//! lookup instead of a widening and a conversion per 8. On the 2-vCPU Xeon of 2026-12-03 (Sapphire Rapids class) a
//! 4096 × 4096 q4_0 GEMV on one thread took 1.25 ms with the AVX2 kernel and
//! ~0.9 ms with this one (command and figures in the README, "Quantized
//! matmul"). Results differ from the AVX2 kernel only by f32 summation order.

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

use super::nf4::LEVELS;
use super::qdot::ScaledRow;
use super::qdot_avx2::STREAM_PREFETCH_BYTES;

/// Whether this CPU runs the AVX-512 kernels (AVX-512F, with the AVX2, FMA
/// and F16C the scale conversion uses; detected once, cached by std).
pub fn has_avx512() -> bool {
    std::is_x86_feature_detected!("avx512f")
        && super::qdot::has_avx2_fma()
        && std::is_x86_feature_detected!("f16c")
}

/// A q4_0 block at `b` (asking for the line [`STREAM_PREFETCH_BYTES`]
/// ahead): its scale in every lane and its codes minus 8 as f32, elements
/// 0..16 and 16..32.
///
/// # Safety
/// AVX-512F and F16C; 18 readable bytes at `b`.
#[inline]
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
unsafe fn q4_0_block(b: *const u8) -> (__m512, __m512, __m512) {
    _mm_prefetch::<_MM_HINT_T0>(b.wrapping_add(STREAM_PREFETCH_BYTES) as *const i8);
    let h = (b as *const u16).read_unaligned();
    let d = _mm512_broadcastss_ps(_mm_cvtph_ps(_mm_cvtsi32_si128(h as i32)));
    let v = _mm512_cvtepu8_epi32(_mm_loadu_si128(b.add(2) as *const __m128i));
    // q − 8 for q = 0..16 as f32; vpermps reads only the low 4 index bits
    let table = _mm512_setr_ps(
        -8.0, -7.0, -6.0, -5.0, -4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0,
    );
    let lo = _mm512_permutexvar_ps(v, table);
    let hi = _mm512_permutexvar_ps(_mm512_srli_epi32::<4>(v), table);
    (d, lo, hi)
}

/// `Σ x[..16] · lo + x[16..32] · hi` as 16 lanes, for 32 values at `x`.
///
/// # Safety
/// AVX-512F; 32 readable f32 at `x`.
#[inline]
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
unsafe fn block_dot(x: *const f32, lo: __m512, hi: __m512) -> __m512 {
    let s = _mm512_mul_ps(_mm512_loadu_ps(x), lo);
    _mm512_fmadd_ps(_mm512_loadu_ps(x.add(16)), hi, s)
}

/// `tot[r] += d · Σ_j x_r[32·bi + j] · (q_j − 8)` for q4_0 block `bi` of
/// `row` and every activation row.
///
/// # Safety
/// AVX-512F, AVX2, FMA and F16C; block `bi` lies in `row` and every row of
/// `xs` holds at least `32 · (bi + 1)` values (checked by the caller).
#[inline]
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
unsafe fn add_block<const R: usize>(tot: &mut [__m512; R], row: &[u8], xs: &[&[f32]], bi: usize) {
    let (d, lo, hi) = q4_0_block(row.as_ptr().add(bi * 18));
    for (t, x) in tot.iter_mut().zip(xs) {
        let s = block_dot(x.as_ptr().add(bi * 32), lo, hi);
        *t = _mm512_fmadd_ps(d, s, *t);
    }
}

/// q4_0 row (18-byte blocks: f16 `d`, 16 bytes of nibbles, low nibbles
/// elements 0..16) against `R` activation rows of `32 · blocks` values:
/// `out[r] = Σ_b d_b · Σ_j x_r[32b + j] · (q_j − 8)`. Two accumulators per
/// row (even and odd blocks, unrolled: indexing them by `bi & 1` put them
/// on the stack), so consecutive blocks do not wait on one another's fused
/// multiply-add.
///
/// # Safety
/// The CPU must support AVX-512F, AVX2, FMA and F16C ([`has_avx512`]).
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
pub unsafe fn q4_0_rows<const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
    let nb = row.len() / 18;
    assert!(xs.len() == R && out.len() >= R);
    assert!(xs.iter().all(|x| x.len() >= nb * 32));
    let (mut even, mut odd) = ([_mm512_setzero_ps(); R], [_mm512_setzero_ps(); R]);
    let mut bi = 0;
    // SAFETY (both loops): blocks bi (and bi + 1) < nb lie in `row`, and
    // every row of `xs` holds 32 · nb values (asserted above)
    while bi + 2 <= nb {
        add_block(&mut even, row, xs, bi);
        add_block(&mut odd, row, xs, bi + 1);
        bi += 2;
    }
    if bi < nb {
        add_block(&mut even, row, xs, bi);
    }
    for r in 0..R {
        out[r] = _mm512_reduce_add_ps(_mm512_add_ps(even[r], odd[r]));
    }
}

/// NF4 codes (element `2i` in the HIGH nibble of byte `i`) with one absmax
/// per block of `codes.len() · 2 / scales.len()` values (a multiple of 32)
/// against `R` activation rows given in pair order
/// ([`super::qdot::pair_order`]: each 32 values as their 16 even-indexed,
/// then their 16 odd-indexed ones), so the 16 high nibbles of a chunk's 16
/// code bytes meet the first 16 and the low nibbles the last 16:
/// `out[r] = Σ_b absmax_b · Σ_j x_r[j] · LEVELS[code_j]`, each 16 levels one
/// `vpermps`. The AVX2 kernel needs 12 byte operations per 16 levels.
/// Chunks alternate between two pairs of accumulators, so no multiply-add
/// waits on the previous chunk's.
///
/// # Safety
/// The CPU must support AVX-512F, AVX2, FMA and F16C ([`has_avx512`]).
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
pub unsafe fn nf4_pairs_rows<const R: usize>(
    row: ScaledRow<'_, u8>,
    xs: &[&[f32]],
    out: &mut [f32],
) {
    let chunks = row.codes.len() / 16;
    let per_block = chunks / row.scales.len().max(1);
    assert!(per_block * row.scales.len() == chunks);
    assert!(xs.len() == R && out.len() >= R);
    assert!(xs.iter().all(|x| x.len() >= chunks * 32));
    let levels = _mm512_loadu_ps(LEVELS.as_ptr());
    // chunk `ci` into the accumulator pair `acc` (16 even-element lanes, 16
    // odd-element lanes per row)
    let chunk = |acc: &mut [[__m512; 2]; R], ci: usize| {
        // SAFETY: chunk ci < chunks lies in `codes`, and every row holds
        // 32 · chunks values (asserted above)
        let p = row.codes.as_ptr().add(ci * 16);
        _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(STREAM_PREFETCH_BYTES) as *const i8);
        let v = _mm512_cvtepu8_epi32(_mm_loadu_si128(p as *const __m128i));
        // vpermps reads the low 4 bits of each index: the low nibble as is
        let even = _mm512_permutexvar_ps(_mm512_srli_epi32::<4>(v), levels);
        let odd = _mm512_permutexvar_ps(v, levels);
        for (a, x) in acc.iter_mut().zip(xs) {
            let x = x.as_ptr().add(ci * 32);
            a[0] = _mm512_fmadd_ps(_mm512_loadu_ps(x), even, a[0]);
            a[1] = _mm512_fmadd_ps(_mm512_loadu_ps(x.add(16)), odd, a[1]);
        }
    };
    let mut tot = [_mm512_setzero_ps(); R];
    for (bi, &absmax) in row.scales.iter().enumerate() {
        let zero = [[_mm512_setzero_ps(); 2]; R];
        let (mut first, mut second) = (zero, zero);
        let (mut ci, end) = (bi * per_block, (bi + 1) * per_block);
        while ci + 2 <= end {
            chunk(&mut first, ci);
            chunk(&mut second, ci + 1);
            ci += 2;
        }
        if ci < end {
            chunk(&mut first, ci);
        }
        let a = _mm512_set1_ps(absmax);
        for r in 0..R {
            let s = _mm512_add_ps(
                _mm512_add_ps(first[r][0], first[r][1]),
                _mm512_add_ps(second[r][0], second[r][1]),
            );
            tot[r] = _mm512_fmadd_ps(a, s, tot[r]);
        }
    }
    for r in 0..R {
        out[r] = _mm512_reduce_add_ps(tot[r]);
    }
}
