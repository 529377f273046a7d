//! AVX2 encoders for the E2M1 (FP4) block formats [`super::mxfp4`] and
//! [`super::nvfp4`], selected at run time like the ggml encoders in
//! [`super::encode_avx2`] (whose load, maximum and packing helpers they
//! share).
//!
//! Why: the portable encoders pick each code with a scalar loop (MXFP4: 16
//! candidate errors per value; NVFP4: a division and seven compares per
//! value) and read the input a second time for the finiteness check. Here 8
//! values go through the same decisions at once and the block maxima double
//! as the finiteness check.
//!
//! Exactness, MXFP4: the reference takes the code `k` minimising the f32
//! error `|f32(d · K[k]) − x|`, lowest `k` on ties. With `d` a power of two
//! and `|x| < 16d` (the shared exponent guarantees it), every `d · K[k]` is
//! exact and the error to each of the two levels around `|x|` is an exact
//! (Sterbenz) subtraction, and every other level is at least `d` worse,
//! which no rounding can close; so the code is the magnitude level nearest
//! to `|x|`, the smaller one on an exact midpoint (lower index), with the
//! sign bit only for a negative `x` and a non-zero magnitude (zero is code
//! 0, never 8). The kernel counts the exact midpoints `d · {0.5, 1.5, 2.5,
//! 3.5, 5, 7, 10}` strictly below `|x|`. The shared exponent (a correctly
//! rounded `floor(log2f(amax))`) is `E − 2` for a biased exponent `E ≥ 2`
//! whose mantissa is below `0x7FF000` (then `log2` is at least 3·10⁻⁴ below
//! the next integer, far more than an f32 ulp there); other blocks call the
//! portable [`super::mxfp4::shared_exponent`].
//!
//! Exactness, NVFP4: the same f32 operations as the portable code in the
//! same order (`x / e` is a vector IEEE division, not a multiply by a
//! reciprocal). The E2M1 code and the E4M3 scale byte are rounded by
//! [`minifloat_code`] (the FPU's own nearest-even rounding at the format's
//! quantum, which for E2M1 is exactly [`super::e2m1::encode_rne`]'s
//! threshold chain); the 8 scale bytes and effective scales of a group are
//! one vector computation (`nvfp4_group_scales`, checked against the scalar
//! [`super::nvfp4::block_scale`]).

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

use super::encode_avx2::{
    abs_bits, abs_bits_max, all_finite, group_abs_bits_max, group_reduce, hmax_epu32, load32,
    pack_nibbles, prefetch_ahead, EXP_BITS, GROUP,
};
use super::encode_avx2_dense::minifloat_code;
use super::mxfp4::{e8m0_to_f32_half, shared_exponent};
use super::nvfp4::{block_scale, ZERO_SCALE_BYTE};

/// `|v|` as floats (sign bit cleared).
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn abs_ps(v: __m256) -> __m256 {
    _mm256_castsi256_ps(abs_bits(v))
}

/// `code | 8` in the lanes where `v < 0` and `code != 0` (E2M1's sign bit;
/// a zero magnitude keeps code 0 as in MXFP4's reference).
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn with_sign_nonzero(code: __m256i, v: __m256) -> __m256i {
    let neg = _mm256_castps_si256(_mm256_cmp_ps::<_CMP_LT_OQ>(v, _mm256_setzero_ps()));
    let nz = _mm256_cmpgt_epi32(code, _mm256_setzero_si256());
    let sign = _mm256_and_si256(_mm256_and_si256(neg, nz), _mm256_set1_epi32(8));
    _mm256_or_si256(code, sign)
}

/// MXFP4's shared exponent byte from the block's `|x|` maximum bits (finite).
#[inline]
fn mx_exponent(bits: u32) -> u8 {
    let e = bits >> 23;
    if e >= 2 && bits & 0x007F_FFFF < 0x007F_F000 {
        (e - 2) as u8
    } else {
        shared_exponent(f32::from_bits(bits))
    }
}

/// One MXFP4 block of 32 values at `p` with `|x|` maximum bits `bits`
/// (finite) into its 17 bytes `o`.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn mxfp4_block(p: *const f32, bits: u32, o: &mut [u8]) {
    let e = mx_exponent(bits);
    let d = e8m0_to_f32_half(e);
    // midpoints between the doubled magnitudes 0,1,2,3,4,6,8,12, times d
    // (exact: d is a power of two ≥ 2^-128)
    let t = [0.5f32, 1.5, 2.5, 3.5, 5.0, 7.0, 10.0].map(|m| _mm256_set1_ps(m * d));
    let v = load32(p);
    let c = std::array::from_fn(|k| {
        let a = abs_ps(v[k]);
        let mag = t.iter().fold(_mm256_setzero_si256(), |acc, &tj| {
            _mm256_sub_epi32(acc, _mm256_castps_si256(_mm256_cmp_ps::<_CMP_LT_OQ>(tj, a)))
        });
        with_sign_nonzero(mag, v[k])
    });
    o[0] = e;
    // SAFETY (caller): o holds 17 bytes, o[1..17] is written
    _mm_storeu_si128(o.as_mut_ptr().add(1) as *mut __m128i, pack_nibbles(c));
}

/// MXFP4 blocks: `x` holds whole blocks of 32 values, `out` 17 bytes per
/// block (layout in [`super::mxfp4`]). Returns `false` if `x` holds a NaN or
/// an infinity (the bytes of that block are then unspecified).
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C
/// ([`super::encode_avx2::has_encode_simd`]).
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn mxfp4_blocks(x: &[f32], out: &mut [u8]) -> bool {
    let nb = x.len() / 32;
    assert!(x.len() == nb * 32 && out.len() == nb * 17);
    let mut finite = true;
    let mut g = 0;
    while g + GROUP <= nb {
        // SAFETY: blocks g..g+8 are in bounds (asserted above)
        let p = x.as_ptr().add(g * 32);
        let amax = group_abs_bits_max(p);
        if !all_finite(amax) {
            finite = false;
            g += GROUP;
            continue;
        }
        let mut bits = [0u32; GROUP];
        _mm256_storeu_si256(bits.as_mut_ptr() as *mut __m256i, amax);
        for (b, &bb) in bits.iter().enumerate() {
            mxfp4_block(p.add(b * 32), bb, &mut out[(g + b) * 17..(g + b + 1) * 17]);
        }
        g += GROUP;
    }
    for b in g..nb {
        let p = x.as_ptr().add(b * 32);
        let bits = _mm256_cvtsi256_si32(abs_bits_max(&load32(p))) as u32;
        if bits >= EXP_BITS {
            finite = false;
            continue;
        }
        mxfp4_block(p, bits, &mut out[b * 17..(b + 1) * 17]);
    }
    finite
}

/// [`super::e2m1::encode_rne`] of `x / e` for 8 values (IEEE division, as
/// the portable code; `e > 0`, so no NaN arises): the magnitude `min(|x /
/// e|, 6)` rounded by [`minifloat_code`] as E2M1 (whose round-to-nearest-even
/// midpoints are exactly `encode_rne`'s thresholds, with the same `<=`/`<`
/// choice at each), the sign bit where the quotient is `< 0` (not for -0.0).
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn e2m1_rne_div(x: __m256, e: __m256) -> __m256i {
    let v = _mm256_div_ps(x, e);
    // |v| is not NaN; infinity clamps like any value above 6
    let a = _mm256_min_ps(abs_ps(v), _mm256_set1_ps(6.0));
    let mag = minifloat_code::<1, 1>(_mm256_castps_si256(a));
    let neg = _mm256_castps_si256(_mm256_cmp_ps::<_CMP_LT_OQ>(v, _mm256_setzero_ps()));
    _mm256_or_si256(mag, _mm256_and_si256(neg, _mm256_set1_epi32(8)))
}

/// The E4M3 scale bytes and effective scales `e` of 8 NVFP4 blocks (one per
/// lane) from their `|x|` maxima `bmax` (finite) and the global scale `g`:
/// the vector form of [`super::nvfp4::block_scale`], with the same f32
/// operations in the same order (`(bmax / 6) · g`, `min(·, 448)`, E4M3
/// nearest-even by [`minifloat_code`], a zero byte replaced by 0x20, `e =
/// S / g`). `S`, the byte's value, is rebuilt from the byte rather than read
/// from the decode table: `(byte << 20) + (120 << 23)` as f32 bits is `2^(E −
/// 7)·(1 + m/8)` for a normal byte and `byte · 2⁻⁹` (exact) for a subnormal
/// one, the values `fp8::e4m3fn_to_f32` gives (`nvfp4_group_scales_match_scalar`
/// checks every byte and a sweep of maxima).
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn nvfp4_group_scales(bmax: __m256, g: __m256) -> (__m256i, __m256) {
    let s = _mm256_mul_ps(_mm256_div_ps(bmax, _mm256_set1_ps(6.0)), g);
    // s ≥ 0 and not NaN (bmax finite, g finite and > 0)
    let s = _mm256_min_ps(s, _mm256_set1_ps(super::fp8::E4M3FN_MAX));
    let code = minifloat_code::<3, 7>(_mm256_castps_si256(s));
    let zero = _mm256_cmpeq_epi32(code, _mm256_setzero_si256());
    let code = _mm256_or_si256(
        code,
        _mm256_and_si256(zero, _mm256_set1_epi32(ZERO_SCALE_BYTE as i32)),
    );
    let normal = _mm256_castsi256_ps(_mm256_add_epi32(
        _mm256_slli_epi32::<20>(code),
        _mm256_set1_epi32(120 << 23),
    ));
    let sub = _mm256_mul_ps(_mm256_cvtepi32_ps(code), _mm256_set1_ps(1.0 / 512.0));
    let is_sub = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(8), code));
    let value = _mm256_blendv_ps(normal, sub, is_sub);
    (code, _mm256_div_ps(value, g))
}

/// Packs 32 codes `0..=15` (four vectors of 8 i32, elements 0..32) into
/// 16 bytes with the even element in the low nibble: byte `i` = code `2i` |
/// code `2i + 1` << 4.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn pack_pairs_lo_first(c: [__m256i; 4]) -> __m128i {
    // bytes within 128-bit halves: low half elements 0..4, 8..12, 16..20,
    // 24..28, high half the other fours; neighbours stay adjacent
    let p = _mm256_packs_epi16(
        _mm256_packs_epi32(c[0], c[1]),
        _mm256_packs_epi32(c[2], c[3]),
    );
    // each byte pair (2i, 2i + 1) → code 2i + 16 · code 2i + 1 (≤ 255)
    let m = _mm256_maddubs_epi16(p, _mm256_set1_epi16(0x1001));
    let b = _mm256_packus_epi16(m, m);
    // low half bytes 0..8 hold the pairs of elements 0..4, 8..12, ..., the
    // high half those of 4..8, 12..16, ...: interleave their 16-bit units
    _mm_unpacklo_epi16(_mm256_castsi256_si128(b), _mm256_extracti128_si256::<1>(b))
}

/// NVFP4 blocks for a tensor with global scale `g`: `x` holds whole blocks of
/// 16 values, `out` 8 bytes and `scales` one E4M3 byte per block (layout in
/// [`super::nvfp4`]). Returns `false` if `x` holds a NaN or an infinity.
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C
/// ([`super::encode_avx2::has_encode_simd`]).
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn nvfp4_blocks(x: &[f32], g: f32, out: &mut [u8], scales: &mut [u8]) -> bool {
    let nb = x.len() / 16;
    assert!(x.len() == nb * 16 && out.len() == nb * 8 && scales.len() == nb);
    let gv = _mm256_set1_ps(g);
    let mut finite = true;
    let mut b = 0;
    // 8 blocks (128 values) per round: maxima as one vector, codes packed
    // two blocks (32 values) at a time
    while b + GROUP <= nb {
        // SAFETY: blocks b..b+8 are in bounds (asserted above)
        let p = x.as_ptr().add(b * 16);
        let amax = group_reduce(
            std::array::from_fn(|k| {
                let q = p.add(k * 16);
                prefetch_ahead(q, 16);
                _mm256_max_epu32(
                    abs_bits(_mm256_loadu_ps(q)),
                    abs_bits(_mm256_loadu_ps(q.add(8))),
                )
            }),
            |a, c| _mm256_max_epu32(a, c),
        );
        if !all_finite(amax) {
            finite = false;
            b += GROUP;
            continue;
        }
        let (sb, ev) = nvfp4_group_scales(_mm256_castsi256_ps(amax), gv);
        // the 8 byte codes (each < 0x80) to bytes b..b+8 of `scales`
        // (packs work within 128-bit halves: bytes 0..4 of each half hold
        // that half's four codes)
        let sb = _mm256_packus_epi32(sb, sb);
        let sb = _mm256_packus_epi16(sb, sb);
        let sb = _mm_unpacklo_epi32(
            _mm256_castsi256_si128(sb),
            _mm256_extracti128_si256::<1>(sb),
        );
        // SAFETY: scales[b..b + 8] is in bounds (asserted above)
        _mm_storel_epi64(scales.as_mut_ptr().add(b) as *mut __m128i, sb);
        let mut e = [0f32; GROUP];
        _mm256_storeu_ps(e.as_mut_ptr(), ev);
        for k in (0..GROUP).step_by(2) {
            let v = load32(p.add(k * 16));
            let (e0, e1) = (_mm256_set1_ps(e[k]), _mm256_set1_ps(e[k + 1]));
            let c = [
                e2m1_rne_div(v[0], e0),
                e2m1_rne_div(v[1], e0),
                e2m1_rne_div(v[2], e1),
                e2m1_rne_div(v[3], e1),
            ];
            // SAFETY: bytes (b + k)·8 .. +16 lie within out
            let o = out.as_mut_ptr().add((b + k) * 8) as *mut __m128i;
            _mm_storeu_si128(o, pack_pairs_lo_first(c));
        }
        b += GROUP;
    }
    for (b, sb_out) in scales.iter_mut().enumerate().skip(b) {
        let p = x.as_ptr().add(b * 16);
        let (v0, v1) = (_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8)));
        let m = _mm256_max_epu32(abs_bits(v0), abs_bits(v1));
        let bits = _mm256_cvtsi256_si32(hmax_epu32(m)) as u32;
        if bits >= EXP_BITS {
            finite = false;
            continue;
        }
        let (sb, e) = block_scale(f32::from_bits(bits), g);
        *sb_out = sb;
        let ev = _mm256_set1_ps(e);
        let z = _mm256_setzero_si256();
        let c = [e2m1_rne_div(v0, ev), e2m1_rne_div(v1, ev), z, z];
        let packed = pack_pairs_lo_first(c);
        // SAFETY: bytes b·8 .. +8 lie within out
        _mm_storel_epi64(out.as_mut_ptr().add(b * 8) as *mut __m128i, packed);
    }
    finite
}

#[cfg(test)]
mod tests {
    use super::super::encode_avx2::has_encode_simd;
    use super::*;
    use crate::quant::{mxfp4, nvfp4};
    use proptest::prelude::*;

    fn check_same(x: &[f32]) {
        assert_eq!(
            mxfp4::quantize(x).unwrap(),
            mxfp4::quantize_portable(x).unwrap(),
            "mxfp4"
        );
        let (f, s) = (
            nvfp4::quantize(x).unwrap(),
            nvfp4::quantize_portable(x).unwrap(),
        );
        assert_eq!(f.codes, s.codes, "nvfp4 codes");
        assert_eq!(f.scales, s.scales, "nvfp4 scales");
        assert_eq!(f.global_scale.to_bits(), s.global_scale.to_bits());
    }

    /// The fast shared exponent agrees with the portable one around every
    /// power of two and at the mantissa cut-off.
    #[test]
    fn mx_exponent_matches_portable() {
        for e in 0u32..255 {
            for m in [
                0u32, 1, 2, 0x40_0000, 0x7F_EFFF, 0x7F_F000, 0x7F_FFFE, 0x7F_FFFF,
            ] {
                let bits = (e << 23) | m;
                assert_eq!(
                    mx_exponent(bits),
                    shared_exponent(f32::from_bits(bits)),
                    "{bits:#x}"
                );
            }
        }
    }

    /// The claim behind `nvfp4_group_scales`: the byte and `e` of the
    /// scalar `block_scale` for every E4M3 byte's exact value (with g = 1),
    /// the values around each, and maxima across the whole range under
    /// several global scales.
    #[test]
    fn nvfp4_group_scales_match_scalar() {
        if !has_encode_simd() {
            return;
        }
        let mut exact = Vec::new(); // under g = 1
        for c in 0u8..=0x7E {
            let v = crate::quant::fp8::e4m3fn_to_f32(c) * 6.0;
            for d in -2i32..=2 {
                exact.push(f32::from_bits((v.to_bits() as i32 + d).max(0) as u32));
            }
        }
        let mut sweep = vec![0.0f32];
        for e in -149..=127 {
            for m in [0u32, 0x10_0000, 0x1F_FFFF, 0x40_0001, 0x7F_FFFF] {
                let bmax = f32::from_bits(((e + 127).max(0) as u32) << 23 | m);
                if bmax.is_finite() {
                    sweep.push(bmax);
                }
            }
        }
        let mut cases = vec![(1.0f32, exact)];
        for g in [1.0f32, 2688.0, 0.37, 1e-30, 3e38, 2688.0 / 1e-30] {
            cases.push((g, sweep.clone()));
        }
        for (g, bmaxes) in cases {
            for chunk in bmaxes.chunks(8) {
                let mut b = [0f32; 8];
                b[..chunk.len()].copy_from_slice(chunk);
                let (mut code, mut e) = ([0u32; 8], [0f32; 8]);
                // SAFETY: has_encode_simd() checked above; 8-lane arrays
                unsafe {
                    let (c, ev) =
                        nvfp4_group_scales(_mm256_loadu_ps(b.as_ptr()), _mm256_set1_ps(g));
                    _mm256_storeu_si256(code.as_mut_ptr() as *mut __m256i, c);
                    _mm256_storeu_ps(e.as_mut_ptr(), ev);
                }
                for k in 0..8 {
                    let (sb, es) = block_scale(b[k], g);
                    assert_eq!(code[k], sb as u32, "bmax {:e} g {g:e}", b[k]);
                    assert_eq!(e[k].to_bits(), es.to_bits(), "bmax {:e} g {g:e}", b[k]);
                }
            }
        }
    }

    #[test]
    fn edge_cases_match_portable() {
        if !has_encode_simd() {
            return;
        }
        let mut x = Vec::new();
        x.extend([0.0f32; 32]); // zero block
        x.extend((0..32).map(|i| if i == 5 { -0.0 } else { 0.0 }));
        // E2M1 ties in both formats' units (amax 6 makes mxfp4's d = 0.5 and
        // nvfp4's e close to 1), and their neighbours
        let ties = [0.25f32, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, 0.5, 1.5, 3.0, 6.0];
        for t in ties {
            for d in [-1i32, 0, 1] {
                let v = f32::from_bits((t.to_bits() as i32 + d) as u32);
                x.extend([v, -v]);
            }
        }
        x.resize(x.len().div_ceil(32) * 32, 6.0);
        x.extend((0..32).map(|i| (i as f32 - 13.0) * 1e-40)); // subnormal
        x.extend((0..32).map(|i| (i as f32) * 1e-45));
        x.extend((0..32).map(|i| (i as f32 - 15.0) * 1e37)); // huge
        x.extend((0..32).map(|i| 8.0f32 - (i as f32) * 1e-6)); // just below 2^3
        x.extend((0..32).map(|i| if i % 3 == 0 { 4.0 } else { -1.0 })); // power of 2 max
        check_same(&x);
        for cut in [1usize, 7, 16, 17, 31] {
            check_same(&x[..x.len() - cut]); // ragged
        }
        // whole tensors of tiny or huge values (global scale 1.0 / tiny e)
        check_same(
            &(0..300)
                .map(|i| (i as f32 - 150.0) * 1e-43)
                .collect::<Vec<_>>(),
        );
        check_same(
            &(0..300)
                .map(|i| (i as f32 - 150.0) * 2e36)
                .collect::<Vec<_>>(),
        );
    }

    #[test]
    fn non_finite_names_the_first_index() {
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            for n in [100usize, 70_000] {
                let mut x = vec![0.5f32; n];
                x[n - 30] = bad;
                x[n - 3] = f32::NAN;
                let want = format!("index {}", n - 30);
                let e = mxfp4::quantize(&x).unwrap_err().to_string();
                assert!(e.contains(&want), "{e}");
                let e = nvfp4::quantize(&x).unwrap_err().to_string();
                assert!(e.contains(&want), "{e}");
            }
        }
    }

    proptest! {
        #[test]
        fn random_match_portable(
            x in proptest::collection::vec(-1e3f32..1e3, 1..700),
            scale in prop_oneof![Just(1.0f32), Just(1e-20), Just(1e20), Just(0.02), Just(1e-41)],
        ) {
            if has_encode_simd() {
                let x: Vec<f32> = x.iter().map(|v| v * scale).collect();
                check_same(&x);
            }
        }
    }
}
