//! AVX2 versions of the element-wise encoders that share one scale per run:
//! int8 (per tensor / channel / block), scaled FP8 (E4M3FN, E5M2), and the
//! 16-bit floats (f16, bf16). Selected at run time
//! ([`super::encode_avx2::has_encode_simd`]); each produces the same bytes as
//! the portable loop it replaces (tests below compare them), 8 values per
//! instruction where the portable loops convert one at a time.
//!
//! Every function here requires AVX2, FMA and F16C.

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

use super::fp8::{self, E4M3FN_MAX, E5M2_MAX};
use super::fp8_scaled::Fp8Kind;

/// Four vectors of 8 i32 (each in `-128..=255` after saturation) as 32
/// bytes in element order; `unsigned` picks the byte saturation.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn pack_bytes(q: [__m256i; 4], unsigned: bool) -> __m256i {
    // packs work within 128-bit lanes; the permute restores element order
    let p01 = _mm256_packs_epi32(q[0], q[1]);
    let p23 = _mm256_packs_epi32(q[2], q[3]);
    let p = if unsigned {
        _mm256_packus_epi16(p01, p23)
    } else {
        _mm256_packs_epi16(p01, p23)
    };
    _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7))
}

/// int8 codes of one run sharing the scale `s > 0`:
/// `out[i] = clamp(round(x[i] / s), -127, 127)` with ties away from zero, as
/// the portable `int8` encoder (same division, so the same bits). `x` and
/// `out` have the same length.
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C.
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn int8_run(x: &[f32], s: f32, out: &mut [i8]) {
    assert_eq!(x.len(), out.len());
    let sv = _mm256_set1_ps(s);
    let (lim, neg_lim) = (_mm256_set1_ps(127.0), _mm256_set1_ps(-127.0));
    let sign_mask = _mm256_set1_ps(-0.0);
    let half = _mm256_set1_ps(0.499_999_97);
    let whole = x.len() / 32 * 32;
    for i in (0..whole).step_by(32) {
        let q = std::array::from_fn(|c| {
            // SAFETY: i + 32 <= whole <= x.len()
            let v = _mm256_loadu_ps(x.as_ptr().add(i + 8 * c));
            // clamping before rounding gives the same integer (the bounds
            // are integers) and keeps |q| small enough for the rounding
            // trick: truncating q ± pred(0.5) rounds half away from zero
            let q = _mm256_min_ps(_mm256_max_ps(_mm256_div_ps(v, sv), neg_lim), lim);
            let h = _mm256_or_ps(half, _mm256_and_ps(q, sign_mask));
            _mm256_cvttps_epi32(_mm256_add_ps(q, h))
        });
        // SAFETY: out[i..i + 32] is in bounds
        _mm256_storeu_si256(
            out.as_mut_ptr().add(i) as *mut __m256i,
            pack_bytes(q, false),
        );
    }
    for (o, &v) in out[whole..].iter_mut().zip(&x[whole..]) {
        *o = super::common::round_half_away(v / s).clamp(-127.0, 127.0) as i8;
    }
}

/// Rounds `|x|` (finite, as f32 bits with the sign cleared, 8 lanes) to the
/// magnitude code of an FP8 format with `MBITS` mantissa bits and exponent
/// `BIAS`, ties to even: the vector form of `fp8::round_magnitude`, which
/// documents both candidates (subnormal by scaling, normal by dropping
/// mantissa bits with a carry into the exponent).
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn round_magnitude<const MBITS: i32, const BIAS: i32>(abs_bits: __m256i) -> __m256i {
    let a = _mm256_castsi256_ps(abs_bits);
    let min_normal = _mm256_castsi256_ps(_mm256_set1_epi32((1 - BIAS + 127) << 23));
    let up = _mm256_castsi256_ps(_mm256_set1_epi32((BIAS - 1 + MBITS + 127) << 23));
    let magic = _mm256_set1_ps(8_388_608.0);
    let sub = _mm256_cvttps_epi32(_mm256_sub_ps(
        _mm256_add_ps(_mm256_mul_ps(a, up), magic),
        magic,
    ));
    let shift = _mm_cvtsi32_si128(23 - MBITS);
    let odd = _mm256_and_si256(_mm256_srl_epi32(abs_bits, shift), _mm256_set1_epi32(1));
    let rounded = _mm256_add_epi32(
        _mm256_add_epi32(abs_bits, _mm256_set1_epi32((1 << (22 - MBITS)) - 1)),
        odd,
    );
    let normal = _mm256_sub_epi32(
        _mm256_srl_epi32(rounded, shift),
        _mm256_set1_epi32((127 - BIAS) << MBITS),
    );
    let is_sub = _mm256_castps_si256(_mm256_cmp_ps::<_CMP_LT_OQ>(a, min_normal));
    _mm256_blendv_epi8(normal, sub, is_sub)
}

/// Scaled FP8 codes: `out[i] = fp8_sat(x[i] / scale)` (nearest-even,
/// saturating to ± the format's largest finite value), as the portable
/// `fp8_scaled` encoder. `x` finite, `scale` finite and `> 0`, same lengths.
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C.
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn fp8_run(x: &[f32], scale: f32, kind: Fp8Kind, out: &mut [u8]) {
    assert_eq!(x.len(), out.len());
    let sv = _mm256_set1_ps(scale);
    let max = _mm256_set1_ps(match kind {
        Fp8Kind::E4m3fn => E4M3FN_MAX,
        Fp8Kind::E5m2 => E5M2_MAX,
    });
    let neg_max = _mm256_sub_ps(_mm256_setzero_ps(), max);
    let abs = _mm256_set1_epi32(0x7FFF_FFFF);
    let whole = x.len() / 32 * 32;
    for i in (0..whole).step_by(32) {
        let q = std::array::from_fn(|c| {
            // SAFETY: i + 32 <= whole <= x.len()
            let v = _mm256_loadu_ps(x.as_ptr().add(i + 8 * c));
            // clamped to the largest finite value, which encodes exactly,
            // so no code overflows into NaN / infinity
            let y = _mm256_castps_si256(_mm256_min_ps(
                _mm256_max_ps(_mm256_div_ps(v, sv), neg_max),
                max,
            ));
            let sign = _mm256_and_si256(_mm256_srli_epi32::<24>(y), _mm256_set1_epi32(0x80));
            let mag = _mm256_and_si256(y, abs);
            let code = match kind {
                Fp8Kind::E4m3fn => round_magnitude::<3, 7>(mag),
                Fp8Kind::E5m2 => round_magnitude::<2, 15>(mag),
            };
            _mm256_or_si256(sign, code)
        });
        // SAFETY: out[i..i + 32] is in bounds
        _mm256_storeu_si256(out.as_mut_ptr().add(i) as *mut __m256i, pack_bytes(q, true));
    }
    for (o, &v) in out[whole..].iter_mut().zip(&x[whole..]) {
        *o = match kind {
            Fp8Kind::E4m3fn => fp8::f32_to_e4m3fn_sat(v / scale),
            Fp8Kind::E5m2 => fp8::f32_to_e5m2_sat(v / scale),
        };
    }
}

/// f16 or bf16 bits of `x` (nearest-even; finite overflow saturates to ±max
/// finite, as [`super::float16::Half::encode`]) as little-endian pairs in
/// `out` (`2 · x.len()` bytes). Returns `false` if `x` holds a NaN or an
/// infinity (the output is then unspecified).
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C.
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn half_run(x: &[f32], bf16: bool, out: &mut [u8]) -> bool {
    assert_eq!(2 * x.len(), out.len());
    let abs = _mm256_set1_epi32(0x7FFF_FFFF);
    let mut seen = _mm256_setzero_si256();
    let whole = x.len() / 16 * 16;
    for i in (0..whole).step_by(16) {
        // SAFETY: i + 16 <= whole <= x.len(); out[2i..2i + 32] is in bounds
        let v0 = _mm256_loadu_si256(x.as_ptr().add(i) as *const __m256i);
        let v1 = _mm256_loadu_si256(x.as_ptr().add(i + 8) as *const __m256i);
        seen = _mm256_max_epu32(
            seen,
            _mm256_max_epu32(_mm256_and_si256(v0, abs), _mm256_and_si256(v1, abs)),
        );
        let h = if bf16 {
            // round to nearest even on the top 16 bits: add 0x7FFF plus the
            // lowest kept bit, then keep the top half
            let r = |v: __m256i| {
                let lsb = _mm256_and_si256(_mm256_srli_epi32::<16>(v), _mm256_set1_epi32(1));
                let b = _mm256_srli_epi32::<16>(_mm256_add_epi32(
                    v,
                    _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7FFF)),
                ));
                // an exponent that rounded up to all ones is ±infinity:
                // saturate to ±max finite (0x7F7F)
                let inf = _mm256_cmpeq_epi32(
                    _mm256_and_si256(b, _mm256_set1_epi32(0x7FFF)),
                    _mm256_set1_epi32(0x7F80),
                );
                _mm256_sub_epi32(b, _mm256_and_si256(inf, _mm256_set1_epi32(1)))
            };
            let p = _mm256_packus_epi32(r(v0), r(v1)); // [v0 0..4, v1 0..4 | v0 4..8, v1 4..8]
            _mm256_permute4x64_epi64::<0b11_01_10_00>(p)
        } else {
            let h0 = _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(_mm256_castsi256_ps(v0));
            let h1 = _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(_mm256_castsi256_ps(v1));
            let h = _mm256_set_m128i(h1, h0);
            // ±infinity (0x7C00 after the sign) → ±65504 (0x7BFF)
            let inf = _mm256_cmpeq_epi16(
                _mm256_and_si256(h, _mm256_set1_epi16(0x7FFF)),
                _mm256_set1_epi16(0x7C00),
            );
            _mm256_sub_epi16(h, _mm256_and_si256(inf, _mm256_set1_epi16(1)))
        };
        _mm256_storeu_si256(out.as_mut_ptr().add(2 * i) as *mut __m256i, h);
    }
    let bad = _mm256_cmpgt_epi32(seen, _mm256_set1_epi32(0x7F7F_FFFF));
    let mut finite = _mm256_testz_si256(bad, bad) != 0;
    let kind = if bf16 {
        super::float16::Half::Bf16
    } else {
        super::float16::Half::F16
    };
    for (o, &v) in out[2 * whole..].chunks_exact_mut(2).zip(&x[whole..]) {
        finite &= v.is_finite();
        o.copy_from_slice(&kind.encode(v).to_le_bytes());
    }
    finite
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::encode_avx2::has_encode_simd;
    use crate::quant::float16::Half;
    use proptest::prelude::*;

    fn edge_values() -> Vec<f32> {
        let mut x = vec![
            0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 126.5, -126.5, 127.49, 1e-45, -1e-40,
        ];
        x.extend([
            448.0, 464.0, 465.0, 57344.0, 61440.0, 65504.0, 65519.0, 65520.0, 1e6, -1e6,
        ]);
        x.extend([
            3.3895e38,
            3.39e38,
            f32::MAX,
            -f32::MAX,
            1.0 / 512.0,
            1.0 / 1024.0,
            3.0 / 1024.0,
        ]);
        // every E4M3FN / E5M2 midpoint and its neighbours
        for b in 0u8..0x7E {
            let (lo, hi) = (fp8::e4m3fn_to_f32(b), fp8::e4m3fn_to_f32(b + 1));
            let m = (lo + hi) / 2.0;
            x.extend([
                m,
                f32::from_bits(m.to_bits() + 1),
                f32::from_bits(m.to_bits().max(1) - 1),
                -m,
            ]);
        }
        for b in 0u8..0x7B {
            let m = (fp8::e5m2_to_f32(b) + fp8::e5m2_to_f32(b + 1)) / 2.0;
            x.extend([m, f32::from_bits(m.to_bits() + 1), -m]);
        }
        x
    }

    fn check_same(x: &[f32]) {
        for s in [1.0f32, 0.37, 1e-3, 3e-39] {
            let mut simd = vec![0i8; x.len()];
            // SAFETY: has_encode_simd() checked by the callers
            unsafe { int8_run(x, s, &mut simd) };
            let portable: Vec<i8> = x
                .iter()
                .map(|&v| crate::quant::common::round_half_away(v / s).clamp(-127.0, 127.0) as i8)
                .collect();
            assert_eq!(simd, portable, "int8, scale {s}");
            for kind in [Fp8Kind::E4m3fn, Fp8Kind::E5m2] {
                let mut simd = vec![0u8; x.len()];
                // SAFETY: as above
                unsafe { fp8_run(x, s, kind, &mut simd) };
                let portable: Vec<u8> = x
                    .iter()
                    .map(|&v| match kind {
                        Fp8Kind::E4m3fn => fp8::f32_to_e4m3fn_sat(v / s),
                        Fp8Kind::E5m2 => fp8::f32_to_e5m2_sat(v / s),
                    })
                    .collect();
                assert_eq!(simd, portable, "{kind:?}, scale {s}");
            }
        }
        for (bf, kind) in [(false, Half::F16), (true, Half::Bf16)] {
            let mut simd = vec![0u8; 2 * x.len()];
            // SAFETY: as above
            assert!(unsafe { half_run(x, bf, &mut simd) });
            let portable: Vec<u8> = x
                .iter()
                .flat_map(|&v| kind.encode(v).to_le_bytes())
                .collect();
            assert_eq!(simd, portable, "{kind:?}");
        }
    }

    #[test]
    fn edge_values_match_portable() {
        if has_encode_simd() {
            check_same(&edge_values());
        }
    }

    #[test]
    fn half_run_reports_non_finite() {
        if !has_encode_simd() {
            return;
        }
        for at in [3usize, 20, 40] {
            let mut x = vec![1.0f32; 41];
            x[at] = f32::NAN;
            for bf in [false, true] {
                // SAFETY: has_encode_simd() checked above
                assert!(!unsafe { half_run(&x, bf, &mut [0u8; 82]) });
            }
        }
    }

    proptest! {
        #[test]
        fn random_values_match_portable(
            x in proptest::collection::vec(-1e3f32..1e3, 0..200),
            scale in prop_oneof![Just(1.0f32), Just(1e-30), Just(1e30), Just(1e-3)],
        ) {
            if has_encode_simd() {
                let x: Vec<f32> = x.iter().map(|v| v * scale).collect();
                check_same(&x);
            }
        }
    }
}
