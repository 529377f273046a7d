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
