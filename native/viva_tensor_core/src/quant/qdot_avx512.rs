//! AVX-512 versions of the 4-bit [`super::qdot`] row kernels (q4_0, MXFP4,
//! NF4 / NF4-DQ, NVFP4), selected at run time where the CPU has AVX-512F
//! (never from `target-cpu=native`); CPUs without it run the AVX2 kernels
//! of [`super::qdot_avx2`].
//!
//! Why: a 32-value block is two 16-lane vectors here against four 8-lane
//! ones, and each 16 codes become their f32 values by one `vpermps` lookup
//! in a 16-entry table, where the AVX2 kernels widen and convert per 8
//! (q4_0) or assemble levels from bytes (NF4: 12 operations per 16). NF4 and
//! NVFP4 hold two neighbouring elements in one byte, so their kernels read
//! the activations in pair order (`qdot::pair_order`, built once per call). On the 2-vCPU Xeon of 2026-12-03 (Sapphire Rapids class) a
//! 4096 × 4096 q4_0 GEMV on one thread took 1.25 ms with the AVX2 kernel and
//! ~0.9 ms with this one (command and figures in the README, "Quantized
//! matmul"). Results differ from the AVX2 kernel only by f32 summation order.

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

use super::e2m1::DOUBLED;
use super::mxfp4::e8m0_to_f32_half;
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

/// `step(acc, i)` for every `i` in `range`, alternating between two sets of
/// accumulators (`first` for the 1st, 3rd, ... step, `second` for the
/// others), so no fused multiply-add waits on the previous step's. Written
/// out as a loop of pairs: accumulators indexed by `i & 1` were put on the
/// stack.
#[inline(always)]
fn alternating<A>(
    range: std::ops::Range<usize>,
    first: &mut A,
    second: &mut A,
    mut step: impl FnMut(&mut A, usize),
) {
    let mut i = range.start;
    while i + 2 <= range.end {
        step(first, i);
        step(second, i + 1);
        i += 2;
    }
    if i < range.end {
        step(first, i);
    }
}

/// The codes of a block at `codes` (16 bytes: low nibbles elements 0..16,
/// high nibbles 16..32) looked up in `table` (`vpermps` reads the low 4 bits
/// of each index), asking for the line [`STREAM_PREFETCH_BYTES`] ahead.
///
/// # Safety
/// AVX-512F; 16 readable bytes at `codes`.
#[inline]
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
unsafe fn nibble_values(codes: *const u8, table: __m512) -> (__m512, __m512) {
    _mm_prefetch::<_MM_HINT_T0>(codes.wrapping_add(STREAM_PREFETCH_BYTES) as *const i8);
    let v = _mm512_cvtepu8_epi32(_mm_loadu_si128(codes as *const __m128i));
    let lo = _mm512_permutexvar_ps(v, table);
    let hi = _mm512_permutexvar_ps(_mm512_srli_epi32::<4>(v), table);
    (lo, hi)
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

/// A ggml-style block format as the nibble kernel reads it: `BYTES` bytes
/// per 32 values, the 16 code bytes at `CODES_AT`, values `table[code]`
/// times the block's `scale`.
trait NibbleFormat {
    const BYTES: usize;
    const CODES_AT: usize;
    /// The 16 code values as f32.
    fn table() -> [f32; 16];
    /// The block's scale, in every lane.
    ///
    /// # Safety
    /// AVX-512F and F16C; the block's bytes readable at `b`.
    unsafe fn scale(b: *const u8) -> __m512;
}

/// q4_0: f16 `d`, codes `q − 8`.
struct Q4_0;
impl NibbleFormat for Q4_0 {
    const BYTES: usize = 18;
    const CODES_AT: usize = 2;
    fn table() -> [f32; 16] {
        std::array::from_fn(|q| q as f32 - 8.0)
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx2,fma,f16c")]
    unsafe fn scale(b: *const u8) -> __m512 {
        let h = (b as *const u16).read_unaligned();
        _mm512_broadcastss_ps(_mm_cvtph_ps(_mm_cvtsi32_si128(h as i32)))
    }
}

/// MXFP4 (ggml layout): E8M0 exponent byte, codes the doubled E2M1 values,
/// times half the block's scale (as the AVX2 kernel).
struct Mxfp4;
impl NibbleFormat for Mxfp4 {
    const BYTES: usize = 17;
    const CODES_AT: usize = 1;
    fn table() -> [f32; 16] {
        DOUBLED.map(f32::from)
    }
    #[inline]
    #[target_feature(enable = "avx512f,avx2,fma,f16c")]
    unsafe fn scale(b: *const u8) -> __m512 {
        _mm512_set1_ps(e8m0_to_f32_half(*b))
    }
}

/// `tot[r] += scale · Σ_j x_r[32·bi + j] · table[code_j]` for block `bi` of
/// `row` and every activation row.
///
/// # Safety
/// AVX-512F, AVX2, FMA and F16C; block `bi` lies in `row` and every row of
/// `xs` holds at least `32 · (bi + 1)` values (checked by the caller).
#[inline]
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
unsafe fn add_block<F: NibbleFormat, const R: usize>(
    tot: &mut [__m512; R],
    row: &[u8],
    xs: &[&[f32]],
    bi: usize,
    table: __m512,
) {
    let b = row.as_ptr().add(bi * F::BYTES);
    let d = F::scale(b);
    let (lo, hi) = nibble_values(b.add(F::CODES_AT), table);
    for (t, x) in tot.iter_mut().zip(xs) {
        let s = block_dot(x.as_ptr().add(bi * 32), lo, hi);
        *t = _mm512_fmadd_ps(d, s, *t);
    }
}

/// A row of format `F` against `R` activation rows of `32 · blocks` values:
/// `out[r] = Σ_b scale_b · Σ_j x_r[32b + j] · table[code_j]`, even and odd
/// blocks into two accumulators per row ([`alternating`]).
///
/// # Safety
/// The CPU must support AVX-512F, AVX2, FMA and F16C ([`has_avx512`]).
#[inline]
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
unsafe fn nibble_rows<F: NibbleFormat, const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
    let nb = row.len() / F::BYTES;
    assert!(xs.len() == R && out.len() >= R);
    assert!(xs.iter().all(|x| x.len() >= nb * 32));
    let table = _mm512_loadu_ps(F::table().as_ptr());
    let (mut even, mut odd) = ([_mm512_setzero_ps(); R], [_mm512_setzero_ps(); R]);
    // SAFETY: blocks bi < nb lie in `row`, and every row of `xs` holds
    // 32 · nb values (asserted above)
    alternating(0..nb, &mut even, &mut odd, |acc, bi| {
        add_block::<F, R>(acc, row, xs, bi, table)
    });
    for r in 0..R {
        out[r] = _mm512_reduce_add_ps(_mm512_add_ps(even[r], odd[r]));
    }
}

/// q4_0 row (18-byte blocks: f16 `d`, 16 bytes of nibbles, low nibbles
/// elements 0..16) against `R` activation rows of `32 · blocks` values:
/// `out[r] = Σ_b d_b · Σ_j x_r[32b + j] · (q_j − 8)`.
///
/// # Safety
/// The CPU must support AVX-512F, AVX2, FMA and F16C ([`has_avx512`]).
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
pub unsafe fn q4_0_rows<const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
    nibble_rows::<Q4_0, R>(row, xs, out)
}

/// MXFP4 row (17-byte blocks: E8M0 exponent, 16 bytes of E2M1 nibbles, low
/// nibbles elements 0..16) against `R` activation rows: the doubled E2M1
/// values times `e8m0_to_f32_half(e)` per block, as the AVX2 kernel.
///
/// # Safety
/// The CPU must support AVX-512F, AVX2, FMA and F16C ([`has_avx512`]).
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
pub unsafe fn mxfp4_rows<const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
    nibble_rows::<Mxfp4, R>(row, xs, out)
}

/// NF4 codes (element `2i` in the HIGH nibble of byte `i`) with one absmax
/// per block of `codes.len() · 2 / scales.len()` values (a multiple of 32)
/// against `R` activation rows given in pair order
/// ([`super::qdot::pair_order`]: each 32 values as their 16 even-indexed,
/// then their 16 odd-indexed ones), so the 16 high nibbles of a chunk's 16
/// code bytes meet the first 16 and the low nibbles the last 16:
/// `out[r] = Σ_b absmax_b · Σ_j x_r[j] · LEVELS[code_j]`, each 16 levels one
/// `vpermps`. The AVX2 kernel needs 12 byte operations per 16 levels.
/// Chunks alternate between two pairs of accumulators ([`alternating`]).
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
        alternating(
            bi * per_block..(bi + 1) * per_block,
            &mut first,
            &mut second,
            chunk,
        );
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

/// NVFP4 codes (element `2i` in the LOW nibble of byte `i`, 8 bytes per
/// 16-value block) with one scale per block (half the effective scale, as
/// the AVX2 kernel reads the doubled E2M1 values) against `R` activation
/// rows in pair order ([`super::qdot::pair_order`]); an even number of
/// blocks. Each 16 code bytes are two blocks: lanes 0..8 of the looked-up
/// vectors belong to the first, 8..16 to the second, so the chunk's sum is
/// scaled by a vector holding each block's scale in its lanes.
///
/// # Safety
/// The CPU must support AVX-512F, AVX2, FMA and F16C ([`has_avx512`]).
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
pub unsafe fn nvfp4_pairs_rows<const R: usize>(
    row: ScaledRow<'_, u8>,
    xs: &[&[f32]],
    out: &mut [f32],
) {
    let nb = row.scales.len();
    assert!(nb.is_multiple_of(2) && row.codes.len() >= nb * 8);
    assert!(xs.len() == R && out.len() >= R);
    assert!(xs.iter().all(|x| x.len() >= nb * 16));
    let table = _mm512_loadu_ps(DOUBLED.map(f32::from).as_ptr());
    let chunk = |acc: &mut [__m512; R], c: usize| {
        // SAFETY: blocks 2c, 2c + 1 < nb lie in `codes` and `scales`, and
        // every row holds 16 · nb values (asserted above)
        let p = row.codes.as_ptr().add(c * 16);
        _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(STREAM_PREFETCH_BYTES) as *const i8);
        let v = _mm512_cvtepu8_epi32(_mm_loadu_si128(p as *const __m128i));
        let even = _mm512_permutexvar_ps(v, table);
        let odd = _mm512_permutexvar_ps(_mm512_srli_epi32::<4>(v), table);
        let scale = _mm512_mask_blend_ps(
            0xFF00,
            _mm512_set1_ps(row.scales[2 * c]),
            _mm512_set1_ps(row.scales[2 * c + 1]),
        );
        for (a, x) in acc.iter_mut().zip(xs) {
            let x = x.as_ptr().add(c * 32);
            let s = _mm512_mul_ps(_mm512_loadu_ps(x), even);
            let s = _mm512_fmadd_ps(_mm512_loadu_ps(x.add(16)), odd, s);
            *a = _mm512_fmadd_ps(scale, s, *a);
        }
    };
    let (mut first, mut second) = ([_mm512_setzero_ps(); R], [_mm512_setzero_ps(); R]);
    alternating(0..nb / 2, &mut first, &mut second, chunk);
    for r in 0..R {
        out[r] = _mm512_reduce_add_ps(_mm512_add_ps(first[r], second[r]));
    }
}
