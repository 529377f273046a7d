//! AVX2 decoders for runs of whole blocks, selected at run time by CPU
//! detection (never compiled in with `target-cpu=native`); used by
//! `dequantize` and by the GEMM band decode of `qmatmul`.
//!
//! Why: the scalar per-block decoders ran at 1.1–1.7 GB/s of f32 output
//! (q4_0 1.5, q5_0 1.1, int8 1.5, f16 0.4) on the development machine (AMD
//! EPYC, 2 cores), which made the batch-64 quantized GEMM slower than the
//! f32 one. These kernels widen 8 codes at a time to i32 lanes, convert and
//! scale them with one vector multiply each.
//!
//! Bit-identical to the scalar decoders: every value is computed with the
//! same operations in the same order (an exact integer-to-f32 conversion or
//! a table lookup of the same f32 constants, then the same single f32
//! multiply, and for q4_1 a separate add, never a fused multiply-add). The
//! per-block scales are decoded with the same scalar code. Tests compare
//! against the scalar decoders on random and edge inputs.
//!
//! Every function here requires AVX2 and FMA (F16C too where named);
//! callers check [`super::qdot::has_avx2_fma`] first. Each asserts its
//! slice-length preconditions, so only the CPU feature is left to the caller.

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

use half::f16;

/// The f16 little-endian scale at `b[0..2]`, as the scalar decoders read it.
#[inline(always)]
fn scale_f16(lo: u8, hi: u8) -> f32 {
    f16::from_le_bytes([lo, hi]).to_f32()
}

/// 8 signed i32 lanes to f32, times `d`, stored at `o`.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn store_scaled(o: *mut f32, q: __m256i, d: __m256) {
    _mm256_storeu_ps(o, _mm256_mul_ps(_mm256_cvtepi32_ps(q), d));
}

/// Checks `blocks · block_bytes == b.len()` and `blocks · elems == o.len()`.
fn check_blocks(b: &[u8], o: &[f32], block_bytes: usize, elems: usize) -> usize {
    let nb = b.len() / block_bytes;
    assert!(b.len() == nb * block_bytes && o.len() == nb * elems);
    nb
}

/// ggml q4_0: whole 18-byte blocks `b` into `o` (32 values each):
/// `d · (q − 8)`.
///
/// # Safety
/// The CPU must support AVX2 and FMA. Panics unless `b.len()` is a multiple
/// of 18 and `o.len()` is 32 per block.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn q4_0(b: &[u8], o: &mut [f32]) {
    let nb = check_blocks(b, o, 18, 32);
    let mask = _mm_set1_epi8(0x0F);
    let eight = _mm_set1_epi8(8);
    for i in 0..nb {
        let p = b.as_ptr().add(i * 18);
        let out = o.as_mut_ptr().add(i * 32);
        let d = _mm256_set1_ps(scale_f16(*p, *p.add(1)));
        // SAFETY (all loads/stores): block i spans bytes 18i..18i+18 of `b`
        // and values 32i..32i+32 of `o`, in bounds by `check_blocks`.
        let qs = _mm_loadu_si128(p.add(2) as *const __m128i);
        // q − 8 in −8..7 fits an i8, so the widening below is exact
        let lo = _mm_sub_epi8(_mm_and_si128(qs, mask), eight);
        let hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(qs, 4), mask), eight);
        store_scaled(out, _mm256_cvtepi8_epi32(lo), d);
        store_scaled(out.add(8), _mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8)), d);
        store_scaled(out.add(16), _mm256_cvtepi8_epi32(hi), d);
        store_scaled(out.add(24), _mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8)), d);
    }
}

/// The low 8 unsigned bytes of `q` as f32, `d · q + m`, stored at `o`.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn store_affine(o: *mut f32, q: __m128i, d: __m256, m: __m256) {
    let v = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(q));
    _mm256_storeu_ps(o, _mm256_add_ps(_mm256_mul_ps(d, v), m));
}

/// ggml q4_1: whole 20-byte blocks into 32 values each: `d · q + m`
/// (multiply, then add: the scalar decoder is not fused either).
///
/// # Safety
/// AVX2 + FMA; panics unless `b.len()` is a multiple of 20 and `o.len()` is
/// 32 per block.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn q4_1(b: &[u8], o: &mut [f32]) {
    let nb = check_blocks(b, o, 20, 32);
    let mask = _mm_set1_epi8(0x0F);
    for i in 0..nb {
        let p = b.as_ptr().add(i * 20);
        let out = o.as_mut_ptr().add(i * 32);
        let d = _mm256_set1_ps(scale_f16(*p, *p.add(1)));
        let m = _mm256_set1_ps(scale_f16(*p.add(2), *p.add(3)));
        // SAFETY: bytes 20i..20i+20 and values 32i..32i+32 are in bounds.
        let qs = _mm_loadu_si128(p.add(4) as *const __m128i);
        let lo = _mm_and_si128(qs, mask);
        let hi = _mm_and_si128(_mm_srli_epi16(qs, 4), mask);
        store_affine(out, lo, d, m);
        store_affine(out.add(8), _mm_srli_si128(lo, 8), d, m);
        store_affine(out.add(16), hi, d, m);
        store_affine(out.add(24), _mm_srli_si128(hi, 8), d, m);
    }
}

/// ggml q5_0: whole 22-byte blocks into 32 values each: `d · (q − 16)` with
/// the fifth bit of element `j` in bit `j` of the u32 `qh`.
///
/// # Safety
/// AVX2 + FMA; panics unless `b.len()` is a multiple of 22 and `o.len()` is
/// 32 per block.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn q5_0(b: &[u8], o: &mut [f32]) {
    let nb = check_blocks(b, o, 22, 32);
    let one = _mm256_set1_epi32(1);
    let sixteen = _mm256_set1_epi32(16);
    let nib = _mm256_set1_epi32(0x0F);
    let shifts = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for i in 0..nb {
        let p = b.as_ptr().add(i * 22);
        let out = o.as_mut_ptr().add(i * 32);
        let d = _mm256_set1_ps(scale_f16(*p, *p.add(1)));
        let qh = u32::from_le_bytes([*p.add(2), *p.add(3), *p.add(4), *p.add(5)]);
        let qhv = _mm256_set1_epi32(qh as i32);
        // SAFETY: 8-byte loads at p+6 and p+14 stay inside bytes 6..22 of
        // the block; values 32i..32i+32 are in bounds.
        for (g, byte_off, shift) in [(0, 6, 0), (1, 14, 0), (2, 6, 4), (3, 14, 4)] {
            let bytes = _mm_loadl_epi64(p.add(byte_off) as *const __m128i);
            let q = _mm256_and_si256(
                _mm256_srl_epi32(_mm256_cvtepu8_epi32(bytes), _mm_cvtsi32_si128(shift)),
                nib,
            );
            // element j = 8g + lane: bit j of qh, moved to bit 4
            let bit = _mm256_srlv_epi32(qhv, _mm256_add_epi32(shifts, _mm256_set1_epi32(8 * g)));
            let q = _mm256_or_si256(q, _mm256_slli_epi32(_mm256_and_si256(bit, one), 4));
            store_scaled(out.add(8 * g as usize), _mm256_sub_epi32(q, sixteen), d);
        }
    }
}

/// ggml q8_0: whole 34-byte blocks into 32 values each: `q · d`.
///
/// # Safety
/// AVX2 + FMA; panics unless `b.len()` is a multiple of 34 and `o.len()` is
/// 32 per block.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn q8_0(b: &[u8], o: &mut [f32]) {
    let nb = check_blocks(b, o, 34, 32);
    for i in 0..nb {
        let p = b.as_ptr().add(i * 34);
        let out = o.as_mut_ptr().add(i * 32);
        let d = _mm256_set1_ps(scale_f16(*p, *p.add(1)));
        // SAFETY: bytes 34i+2..34i+34 and values 32i..32i+32 are in bounds.
        for g in 0..4 {
            let q = _mm_loadl_epi64(p.add(2 + 8 * g) as *const __m128i);
            store_scaled(out.add(8 * g), _mm256_cvtepi8_epi32(q), d);
        }
    }
}

/// int8 codes times one scale: `o[i] = q[i] · s` (any length).
///
/// # Safety
/// AVX2 + FMA; panics unless `q.len() == o.len()`.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn i8_scaled(q: &[i8], s: f32, o: &mut [f32]) {
    assert_eq!(q.len(), o.len());
    let n8 = q.len() / 8 * 8;
    let d = _mm256_set1_ps(s);
    let mut i = 0;
    while i < n8 {
        // SAFETY: i + 8 <= n8 <= len of both slices.
        let v = _mm_loadl_epi64(q.as_ptr().add(i) as *const __m128i);
        store_scaled(o.as_mut_ptr().add(i), _mm256_cvtepi8_epi32(v), d);
        i += 8;
    }
    for (o, &c) in o[n8..].iter_mut().zip(&q[n8..]) {
        *o = c as f32 * s;
    }
}

/// Looks up the low 4 bits of each i32 lane in a 16-entry f32 table held as
/// two halves (entries 0..8 and 8..16).
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn lut16(idx: __m256i, t_lo: __m256, t_hi: __m256) -> __m256 {
    let lo = _mm256_permutevar8x32_ps(t_lo, idx);
    let hi = _mm256_permutevar8x32_ps(t_hi, idx);
    // bit 3 of the index moved to the sign bit selects the upper half
    _mm256_blendv_ps(lo, hi, _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28)))
}

/// A 16-entry table as the two vectors [`lut16`] takes.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn table16(t: &[f32; 16]) -> (__m256, __m256) {
    (
        _mm256_loadu_ps(t.as_ptr()),
        _mm256_loadu_ps(t.as_ptr().add(8)),
    )
}

/// MXFP4: whole 17-byte blocks into 32 values each: `d · t[code]` with
/// `d` = `e8m0_to_f32_half(byte 0)`, element `j` in the low nibble of byte `1 + j`
/// and element `j + 16` in its high nibble (the q4_0 order).
///
/// # Safety
/// AVX2 + FMA; panics unless `b.len()` is a multiple of 17 and `o.len()` is
/// 32 per block.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn mxfp4(b: &[u8], o: &mut [f32], t: &[f32; 16]) {
    let nb = check_blocks(b, o, 17, 32);
    let (t_lo, t_hi) = table16(t);
    let nib = _mm256_set1_epi32(0x0F);
    for i in 0..nb {
        let p = b.as_ptr().add(i * 17);
        let out = o.as_mut_ptr().add(i * 32);
        let d = _mm256_set1_ps(super::mxfp4::e8m0_to_f32_half(*p));
        // SAFETY: 8-byte loads at p+1 and p+9 stay inside the 17-byte block;
        // values 32i..32i+32 are in bounds.
        for (g, off, shift) in [(0usize, 1usize, 0), (1, 9, 0), (2, 1, 4), (3, 9, 4)] {
            let bytes = _mm256_cvtepu8_epi32(_mm_loadl_epi64(p.add(off) as *const __m128i));
            let idx = _mm256_and_si256(_mm256_srl_epi32(bytes, _mm_cvtsi32_si128(shift)), nib);
            _mm256_storeu_ps(out.add(8 * g), _mm256_mul_ps(d, lut16(idx, t_lo, t_hi)));
        }
    }
}

/// Two 4-bit codes per byte, both looked up in `t` and multiplied by `a`:
/// byte `i` gives `o[2i]` and `o[2i + 1]`, the high nibble first when
/// `high_first` (NF4) else the low one (NVFP4). `o.len() == 2 · b.len()`.
///
/// # Safety
/// AVX2 + FMA; panics unless `o.len() == 2 · b.len()`.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn nibble_pairs(
    b: &[u8],
    a: f32,
    t: &[f32; 16],
    high_first: bool,
    o: &mut [f32],
) {
    assert_eq!(o.len(), 2 * b.len());
    let (t_lo, t_hi) = table16(t);
    let nib = _mm256_set1_epi32(0x0F);
    let av = _mm256_set1_ps(a);
    let n8 = b.len() / 8 * 8;
    let mut i = 0;
    while i < n8 {
        // SAFETY: bytes i..i+8 and values 2i..2i+16 are in bounds (i + 8 <= n8).
        let bytes = _mm256_cvtepu8_epi32(_mm_loadl_epi64(b.as_ptr().add(i) as *const __m128i));
        let hi = lut16(_mm256_srli_epi32(bytes, 4), t_lo, t_hi);
        let lo = lut16(_mm256_and_si256(bytes, nib), t_lo, t_hi);
        let (first, second) = if high_first { (hi, lo) } else { (lo, hi) };
        let (first, second) = (_mm256_mul_ps(first, av), _mm256_mul_ps(second, av));
        // interleave: lanes (f0 s0 f1 s1 | f4 s4 f5 s5) and (f2 s2 f3 s3 | f6 s6 f7 s7)
        let a01 = _mm256_unpacklo_ps(first, second);
        let a23 = _mm256_unpackhi_ps(first, second);
        let out = o.as_mut_ptr().add(2 * i);
        _mm256_storeu_ps(out, _mm256_permute2f128_ps(a01, a23, 0x20));
        _mm256_storeu_ps(out.add(8), _mm256_permute2f128_ps(a01, a23, 0x31));
        i += 8;
    }
    for (pair, &byte) in o[2 * n8..].chunks_exact_mut(2).zip(&b[n8..]) {
        let (h, l) = (t[(byte >> 4) as usize] * a, t[(byte & 0x0F) as usize] * a);
        (pair[0], pair[1]) = if high_first { (h, l) } else { (l, h) };
    }
}

/// bfloat16 little-endian values `b` (2 bytes each) into `o`: the bits
/// shifted into the top half of an f32 (exact, as `bf16::to_f32` for every
/// non-NaN value; stored values are never NaN).
///
/// # Safety
/// AVX2 + FMA; panics unless `b.len() == 2 · o.len()`.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn bf16(b: &[u8], o: &mut [f32]) {
    assert_eq!(b.len(), 2 * o.len());
    let n8 = o.len() / 8 * 8;
    let mut i = 0;
    while i < n8 {
        // SAFETY: bytes 2i..2i+16 and values i..i+8 are in bounds.
        let h = _mm_loadu_si128(b.as_ptr().add(2 * i) as *const __m128i);
        let v = _mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16);
        _mm256_storeu_ps(o.as_mut_ptr().add(i), _mm256_castsi256_ps(v));
        i += 8;
    }
    for (o, c) in o[n8..].iter_mut().zip(b[2 * n8..].chunks_exact(2)) {
        *o = half::bf16::from_le_bytes([c[0], c[1]]).to_f32();
    }
}

/// Whether this CPU has F16C, for [`f16`] (on top of AVX2 + FMA).
pub(super) fn has_f16c() -> bool {
    std::is_x86_feature_detected!("f16c")
}

/// IEEE f16 little-endian values `b` (2 bytes each) into `o` with the F16C
/// conversion (exact, as `f16::to_f32` for every non-NaN value).
///
/// # Safety
/// AVX2, FMA and F16C ([`has_f16c`]); panics unless `b.len() == 2 · o.len()`.
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) unsafe fn f16(b: &[u8], o: &mut [f32]) {
    assert_eq!(b.len(), 2 * o.len());
    let n8 = o.len() / 8 * 8;
    let mut i = 0;
    while i < n8 {
        // SAFETY: bytes 2i..2i+16 and values i..i+8 are in bounds.
        let h = _mm_loadu_si128(b.as_ptr().add(2 * i) as *const __m128i);
        _mm256_storeu_ps(o.as_mut_ptr().add(i), _mm256_cvtph_ps(h));
        i += 8;
    }
    for (o, c) in o[n8..].iter_mut().zip(b[2 * n8..].chunks_exact(2)) {
        *o = f16::from_le_bytes([c[0], c[1]]).to_f32();
    }
}

/// 8-bit codes looked up in a 256-entry table, times `s`: `t[c] · s`.
///
/// # Safety
/// AVX2 + FMA; panics unless `c.len() == o.len()`.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn lut256(c: &[u8], t: &[f32; 256], s: f32, o: &mut [f32]) {
    assert_eq!(c.len(), o.len());
    let n8 = o.len() / 8 * 8;
    let sv = _mm256_set1_ps(s);
    let mut i = 0;
    while i < n8 {
        // SAFETY: codes i..i+8 and values i..i+8 are in bounds; every
        // gathered index is a u8, inside the 256-entry table.
        let idx = _mm256_cvtepu8_epi32(_mm_loadl_epi64(c.as_ptr().add(i) as *const __m128i));
        let v = _mm256_i32gather_ps::<4>(t.as_ptr(), idx);
        _mm256_storeu_ps(o.as_mut_ptr().add(i), _mm256_mul_ps(v, sv));
        i += 8;
    }
    for (o, &c) in o[n8..].iter_mut().zip(&c[n8..]) {
        *o = t[c as usize] * s;
    }
}

#[cfg(test)]
mod tests {
    //! Each kernel against the scalar decoder it replaces, bit for bit, on
    //! random bytes and on edge inputs (all-zero and all-ones codes, f16
    //! scales that are zero, negative zero, subnormal or the largest finite).
    use super::super::qdot::has_avx2_fma;
    use super::super::{e2m1, fp8, ggml_q4_0, ggml_q4_1, ggml_q5_0, ggml_q8_0, mxfp4, nf4};

    fn bytes(n: usize, seed: u64) -> Vec<u8> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 32) as u8
            })
            .collect()
    }

    /// Same bits, or both NaN (a NaN scale is never stored, but random
    /// bytes make some; the payload is not what is being tested).
    fn same(a: &[f32], b: &[f32], what: &str) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
                "{what} element {i}: {x} vs {y}"
            );
        }
    }

    /// f16 scale bytes worth testing: 0, -0, smallest subnormal, 1, -1,
    /// largest finite, a negative subnormal.
    const SCALES: [[u8; 2]; 7] = [
        [0x00, 0x00],
        [0x00, 0x80],
        [0x01, 0x00],
        [0x00, 0x3C],
        [0x00, 0xBC],
        [0xFF, 0x7B],
        [0xFF, 0x83],
    ];

    /// Block buffers: random, then per edge scale all-zero and all-ones codes.
    fn block_cases(bb: usize, scale_bytes: usize) -> Vec<Vec<u8>> {
        let mut cases: Vec<Vec<u8>> = (0..6).map(|i| bytes(bb * (i * 5 + 1), i as u64)).collect();
        for s in SCALES {
            for fill in [0x00u8, 0xFF, 0x5A] {
                let mut b = vec![fill; bb * 3];
                for blk in b.chunks_mut(bb) {
                    for (j, v) in blk[..scale_bytes].iter_mut().enumerate() {
                        *v = s[j % 2];
                    }
                }
                cases.push(b);
            }
        }
        cases.push(Vec::new());
        cases
    }

    type Kernel = unsafe fn(&[u8], &mut [f32]);

    fn check_blocks(
        name: &str,
        bb: usize,
        scale_bytes: usize,
        avx: Kernel,
        scalar: fn(&[u8], &mut [f32]),
    ) {
        for b in block_cases(bb, scale_bytes) {
            let n = b.len() / bb * 32;
            let mut want = vec![0f32; n];
            for (blk, o) in b.chunks_exact(bb).zip(want.chunks_exact_mut(32)) {
                scalar(blk, o);
            }
            let mut got = vec![f32::NAN; n];
            // SAFETY: the callers checked AVX2 + FMA.
            unsafe { avx(&b, &mut got) };
            same(&got, &want, name);
        }
    }

    #[test]
    fn block_kernels_match_scalar() {
        if !has_avx2_fma() {
            return;
        }
        check_blocks("q4_0", 18, 2, super::q4_0, ggml_q4_0::decode_block);
        check_blocks("q8_0", 34, 2, super::q8_0, ggml_q8_0::decode_block);
        check_blocks("q4_1", 20, 4, super::q4_1, ggml_q4_1::decode_block);
        check_blocks("q5_0", 22, 2, super::q5_0, ggml_q5_0::decode_block);
        let t: [f32; 16] = e2m1::DOUBLED.map(|v| v as f32);
        // SAFETY: AVX2 + FMA checked above.
        let mx = |b: &[u8], o: &mut [f32]| unsafe { super::mxfp4(b, o, &t) };
        for b in block_cases(17, 1) {
            let n = b.len() / 17 * 32;
            let (mut got, mut want) = (vec![f32::NAN; n], vec![0f32; n]);
            mx(&b, &mut got);
            for (blk, o) in b.chunks_exact(17).zip(want.chunks_exact_mut(32)) {
                mxfp4::decode_block(blk, o);
            }
            same(&got, &want, "mxfp4");
        }
    }

    #[test]
    fn int8_kernel_matches_scalar() {
        if !has_avx2_fma() {
            return;
        }
        for len in [0usize, 1, 7, 8, 9, 31, 100] {
            let q: Vec<i8> = bytes(len, len as u64).iter().map(|&b| b as i8).collect();
            for s in [0.0f32, -0.0, 1e-40, 0.017, -3.5, 1e30] {
                let want: Vec<f32> = q.iter().map(|&c| c as f32 * s).collect();
                let mut got = vec![f32::NAN; len];
                // SAFETY: AVX2 + FMA checked above.
                unsafe { super::i8_scaled(&q, s, &mut got) };
                same(&got, &want, "int8");
            }
        }
    }

    #[test]
    fn nibble_and_table_kernels_match_scalar() {
        if !has_avx2_fma() {
            return;
        }
        let e2: [f32; 16] = std::array::from_fn(|i| e2m1::decode(i as u8));
        for len in [0usize, 1, 7, 8, 9, 32, 45] {
            let b = bytes(len, 100 + len as u64);
            for a in [0.0f32, -0.0, 1e-39, 0.3, 7.0e20] {
                for (t, high_first) in [(&nf4::LEVELS, true), (&e2, false)] {
                    let mut want = vec![0f32; 2 * len];
                    for (p, &c) in want.chunks_exact_mut(2).zip(&b) {
                        let (h, l) = (t[(c >> 4) as usize] * a, t[(c & 15) as usize] * a);
                        (p[0], p[1]) = if high_first { (h, l) } else { (l, h) };
                    }
                    let mut got = vec![f32::NAN; 2 * len];
                    // SAFETY: AVX2 + FMA checked above.
                    unsafe { super::nibble_pairs(&b, a, t, high_first, &mut got) };
                    same(&got, &want, "nibble pairs");
                }
            }
        }
        let all: Vec<u8> = (0..=255).collect();
        for (kind, dec) in [
            ("e4m3fn", fp8::e4m3fn_to_f32 as fn(u8) -> f32),
            ("e5m2", fp8::e5m2_to_f32),
        ] {
            let t: [f32; 256] = std::array::from_fn(|i| dec(i as u8));
            for s in [1.0f32, -0.0, 3.7e-3, 1e30] {
                let codes: Vec<u8> = all.iter().chain(&bytes(13, 9)).copied().collect();
                let want: Vec<f32> = codes.iter().map(|&c| t[c as usize] * s).collect();
                let mut got = vec![0f32; codes.len()];
                // SAFETY: AVX2 + FMA checked above.
                unsafe { super::lut256(&codes, &t, s, &mut got) };
                same(&got, &want, kind);
            }
        }
    }

    #[test]
    fn half_kernels_match_scalar_on_every_non_nan_code() {
        if !has_avx2_fma() {
            return;
        }
        let codes: Vec<u16> = (0..=u16::MAX).collect();
        let b: Vec<u8> = codes.iter().flat_map(|c| c.to_le_bytes()).collect();
        // odd length: the scalar tail runs too
        let (b, codes) = (&b[..b.len() - 2], &codes[..codes.len() - 1]);
        let mut got = vec![0f32; codes.len()];
        // SAFETY: AVX2 + FMA checked above.
        unsafe { super::bf16(b, &mut got) };
        for (&c, g) in codes.iter().zip(&got) {
            let want = half::bf16::from_bits(c).to_f32();
            assert!(
                want.is_nan() || want.to_bits() == g.to_bits(),
                "bf16 {c:#x}"
            );
        }
        if super::has_f16c() {
            // SAFETY: AVX2 + FMA + F16C checked above.
            unsafe { super::f16(b, &mut got) };
            for (&c, g) in codes.iter().zip(&got) {
                let want = half::f16::from_bits(c).to_f32();
                assert!(want.is_nan() || want.to_bits() == g.to_bits(), "f16 {c:#x}");
            }
        }
    }
}
