//! AVX2 + FMA versions of the [`super::qdot`] row kernels, selected at run
//! time by CPU detection (never compiled in with `target-cpu=native`).
//!
//! Why intrinsics: the portable kernels, even compiled with AVX2 enabled,
//! were vectorized poorly by LLVM (the nibble unpacking became byte inserts
//! and 4-wide shuffles): 11.5 ms for a 4096 × 4096 q4_0 GEMV on one core of
//! the development machine (AMD EPYC), slower than streaming the same matrix
//! in f32 (8 ms). These kernels widen 8 codes at a time to f32 lanes
//! (`vpmovsxbd` + `vcvtdq2ps`) and accumulate with FMA: 4.0 ms for the same
//! q4_0 GEMV on one core (a standalone copy of both kernels, release build).
//!
//! The kernels of the other formats live in submodules, one family each:
//! `blocks` (q4_1, q5_0, MXFP4), `scaled` (NVFP4, NF4, int8 per block:
//! codes and block scales stored apart) and `elems` (f16, bf16, FP8).
//!
//! Every function here requires AVX2, FMA and F16C; callers check
//! [`super::qdot::has_qdot_avx2`] first.

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

mod blocks;
mod elems;
mod scaled;

pub use blocks::{mxfp4_rows, q4_1_rows, q5_0_rows};
pub use elems::{bf16_rows, e4m3fn_rows, e5m2_rows, f16_rows};
pub use scaled::{i8_blocks_rows, nf4_rows, nvfp4_rows};

/// How far ahead of the codes it is reading a row kernel asks for cache
/// lines ([`prefetch_stream`]). Rows of a task lie back to back, so past a
/// row's end this fetches the next row's start.
///
/// Why: the packed weight streams through each kernel once, and without
/// these requests the kernels waited on it. On the 2-vCPU Xeon (AVX-512
/// class, huge L3) of 2026-12-03 a 4096 × 4096 q4_0 GEMV took 3.5 ms on one
/// thread and 1.35 ms on two; with requests 2 KiB ahead 1.5 ms and 0.74 ms
/// (512 B ahead: 2.5 / 1.3 ms; 4 KiB: as 2 KiB). The figures and the command
/// are in the README's "Quantized matmul" section.
pub(super) const STREAM_PREFETCH_BYTES: usize = 2048;

/// Asks for the cache line [`STREAM_PREFETCH_BYTES`] past `p` (a hint: it
/// never faults, so the address may lie past the end of the data).
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn prefetch_stream<T>(p: *const T) {
    _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>().wrapping_add(STREAM_PREFETCH_BYTES));
}

/// The little-endian f16 at `p` as f32 (exact), in all 8 lanes: one
/// `vcvtph2ps` where the bit arithmetic of `qdot::f16_to_f32` took a dozen
/// scalar instructions per block, a third of a q4_0 block's instructions.
///
/// # Safety
/// AVX2 and F16C; two readable bytes at `p`.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) unsafe fn f16_splat(p: *const u8) -> __m256 {
    let h = (p as *const u16).read_unaligned();
    _mm256_broadcastss_ps(_mm_cvtph_ps(_mm_cvtsi32_si128(h as i32)))
}

/// Horizontal sum of 8 lanes.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn hsum(v: __m256) -> f32 {
    let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    _mm_cvtss_f32(s)
}

/// 16 signed bytes as two vectors of 8 f32 (bytes 0..8 and 8..16).
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn widen16(v: __m128i) -> (__m256, __m256) {
    (
        _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)),
        _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(v, 8))),
    )
}

/// `Σ_{c<4} x[8c..8c+8] · w[c]` as 8 lanes, for 32 activations at `x`.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn block_dot(x: *const f32, w: &[__m256; 4]) -> __m256 {
    let a = _mm256_mul_ps(_mm256_loadu_ps(x), w[0]);
    let a = _mm256_fmadd_ps(_mm256_loadu_ps(x.add(8)), w[1], a);
    let a = _mm256_fmadd_ps(_mm256_loadu_ps(x.add(16)), w[2], a);
    _mm256_fmadd_ps(_mm256_loadu_ps(x.add(24)), w[3], a)
}

/// `tot[r] += d · block_dot(xs[r] + at, w)` for every row: one 32-value
/// block of weights `w` with scale `d` against each activation row.
///
/// # Safety
/// AVX2 and FMA; every row holds at least `at + 32` values (`check`).
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn add_block<const R: usize>(
    tot: &mut [__m256; R],
    xs: &[&[f32]],
    at: usize,
    w: &[__m256; 4],
    d: __m256,
) {
    for r in 0..R {
        let s = block_dot(xs[r].as_ptr().add(at), w);
        tot[r] = _mm256_fmadd_ps(d, s, tot[r]);
    }
}

/// `out[r] = Σ lanes of tot[r]` for every row.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn store_sums<const R: usize>(tot: &[__m256; R], out: &mut [f32]) {
    for r in 0..R {
        out[r] = hsum(tot[r]);
    }
}

/// Checks the shared preconditions: `R` activation rows, each at least
/// `elems` long, and `R` outputs.
fn check<const R: usize>(xs: &[&[f32]], out: &[f32], elems: usize) {
    assert!(xs.len() == R && out.len() >= R);
    assert!(xs.iter().all(|x| x.len() >= elems));
}

/// q4_0 row (18-byte blocks) against `R` activation rows.
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C.
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn q4_0_rows<const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
    let nb = row.len() / 18;
    check::<R>(xs, out, nb * 32);
    let mask = _mm_set1_epi8(0x0F);
    let eight = _mm_set1_epi8(8);
    let mut tot = [_mm256_setzero_ps(); R];
    for bi in 0..nb {
        let b = row.as_ptr().add(bi * 18);
        prefetch_stream(b);
        let d = f16_splat(b);
        let q = _mm_loadu_si128(b.add(2) as *const __m128i);
        // low nibbles are elements 0..16, high nibbles 16..32; minus 8
        let lo = _mm_sub_epi8(_mm_and_si128(q, mask), eight);
        let hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(q, 4), mask), eight);
        let (w0, w1) = widen16(lo);
        let (w2, w3) = widen16(hi);
        let w = [w0, w1, w2, w3];
        // SAFETY: check() guaranteed 32 · nb activations per row.
        add_block(&mut tot, xs, bi * 32, &w, d);
    }
    store_sums(&tot, out);
}

/// q8_0 row (34-byte blocks) against `R` activation rows.
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C.
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn q8_0_rows<const R: usize>(row: &[u8], xs: &[&[f32]], out: &mut [f32]) {
    let nb = row.len() / 34;
    check::<R>(xs, out, nb * 32);
    let mut tot = [_mm256_setzero_ps(); R];
    for bi in 0..nb {
        let b = row.as_ptr().add(bi * 34);
        prefetch_stream(b);
        let d = f16_splat(b);
        let (w0, w1) = widen16(_mm_loadu_si128(b.add(2) as *const __m128i));
        let (w2, w3) = widen16(_mm_loadu_si128(b.add(18) as *const __m128i));
        let w = [w0, w1, w2, w3];
        // SAFETY: check() guaranteed 32 · nb activations per row.
        add_block(&mut tot, xs, bi * 32, &w, d);
    }
    store_sums(&tot, out);
}

/// Int8 codes (unscaled) against `R` activation rows: `Σ_j x_r[j] · q[j]`.
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C.
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn i8_rows<const R: usize>(row: &[i8], xs: &[&[f32]], out: &mut [f32]) {
    let k = row.len();
    check::<R>(xs, out, k);
    let whole = k / 32 * 32;
    let mut acc = [[_mm256_setzero_ps(); 4]; R];
    let mut j = 0;
    while j < whole {
        let p = row.as_ptr().add(j) as *const __m128i;
        prefetch_stream(p);
        let (w0, w1) = widen16(_mm_loadu_si128(p));
        let (w2, w3) = widen16(_mm_loadu_si128(p.add(1)));
        // SAFETY: check() guaranteed k activations per row.
        add_chained(&mut acc, xs, j, &[w0, w1, w2, w3]);
        j += 32;
    }
    for r in 0..R {
        let tail: f32 = (whole..k).map(|j| xs[r][j] * row[j] as f32).sum();
        out[r] = hsum(sum_chains(&acc[r])) + tail;
    }
}

/// Independent FMA chains per activation row in [`add_chained`]: four for
/// one or two rows, two for more (four per row would not fit the 16 ymm
/// registers with four rows).
///
/// Why: one chain of four dependent FMAs per 32 values made the int8 and
/// FP8 kernels wait on FMA latency, not throughput.
const fn chains(rows: usize) -> usize {
    if rows <= 2 {
        4
    } else {
        2
    }
}

/// `acc[r][c % chains(R)] += x_r[at + 8c..][..8] · w[c]` for `c` in 0..4
/// and every activation row.
///
/// # Safety
/// AVX2 and FMA; every row holds at least `at + 32` values.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn add_chained<const R: usize>(
    acc: &mut [[__m256; 4]; R],
    xs: &[&[f32]],
    at: usize,
    w: &[__m256; 4],
) {
    for r in 0..R {
        let x = xs[r].as_ptr().add(at);
        for (c, wc) in w.iter().enumerate() {
            let t = c % chains(R);
            acc[r][t] = _mm256_fmadd_ps(_mm256_loadu_ps(x.add(8 * c)), *wc, acc[r][t]);
        }
    }
}

/// The sum of one row's chains.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn sum_chains(acc: &[__m256; 4]) -> __m256 {
    _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]))
}

/// A decoded f32 row against `R` activation rows.
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C.
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn f32_rows<const R: usize>(w: &[f32], xs: &[&[f32]], out: &mut [f32]) {
    let k = w.len();
    check::<R>(xs, out, k);
    let whole = k / 16 * 16;
    let mut t0 = [_mm256_setzero_ps(); R];
    let mut t1 = [_mm256_setzero_ps(); R];
    let mut j = 0;
    while j < whole {
        // the row streams from memory when it is a column of an f32 weight
        // (`linalg::matmul`'s GEMV); a request per 64 bytes
        prefetch_stream(w.as_ptr().add(j));
        let w0 = _mm256_loadu_ps(w.as_ptr().add(j));
        let w1 = _mm256_loadu_ps(w.as_ptr().add(j + 8));
        for r in 0..R {
            let x = xs[r].as_ptr().add(j);
            t0[r] = _mm256_fmadd_ps(_mm256_loadu_ps(x), w0, t0[r]);
            t1[r] = _mm256_fmadd_ps(_mm256_loadu_ps(x.add(8)), w1, t1[r]);
        }
        j += 16;
    }
    for r in 0..R {
        let tail: f32 = (whole..k).map(|j| xs[r][j] * w[j]).sum();
        out[r] = hsum(_mm256_add_ps(t0[r], t1[r])) + tail;
    }
}
