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

use super::encode_avx2::{load32, prefetch_ahead};
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
        prefetch_ahead(x.as_ptr().add(i), 32);
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

/// The code (`exponent << MBITS | mantissa`) of the nearest value, ties to
/// even, in a small binary float format with `MBITS` mantissa bits and
/// exponent bias `BIAS` (subnormals included, no special values), for 8
/// magnitudes `a` given as f32 bits: finite, `≥ 0` and at most the format's
/// largest finite value. The same code as the scalar rules it replaces:
/// `fp8::round_magnitude` (E4M3 `<3, 7>`, E5M2 `<2, 15>`) and the threshold
/// chain of [`super::e2m1::encode_rne`] (E2M1 `<1, 1>`, whose thresholds are
/// exactly the round-to-nearest-even midpoints of that format).
///
/// Why it is exact: let `2^E` be `a`'s binade, raised to the format's
/// smallest normal `2^(1 − BIAS)` (below it the quantum is constant). The
/// format's quantum there is `q = 2^(E − MBITS)`, and `magic = 2^(E + 23 −
/// MBITS)` has an f32 ulp of exactly `q`. Since `0 ≤ a < 2^(E + 1)`, far
/// below `magic`, the f32 sum `a + magic` lies in `[magic, 2·magic)` and the
/// hardware rounds it (nearest, ties to even, as IEEE requires) to `magic +
/// k·q` with `k = round_ties_even(a / q)`: the format's rounding, done once,
/// by the FPU. `k` (`bits(a + magic) − bits(magic)`) is then `2^MBITS +
/// mantissa` for a normal binade (`2^(MBITS + 1)` when it rounds up into the
/// next binade, which the exponent term below turns into the next code, as a
/// carry would) and the code itself in the subnormal range, so the code is
/// `k + ((E_biased − (128 − BIAS)) << MBITS)`, `E_biased` being the f32
/// exponent field of `2^E`. No value above the largest finite one is produced
/// because `a` is at most that value, which is itself representable.
/// `minifloat_code_matches_scalar` compares this with the scalar encoders on
/// every exponent, on every rounding boundary and its neighbours, and on a
/// dense sweep of bit patterns.
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn minifloat_code<const MBITS: i32, const BIAS: i32>(a: __m256i) -> __m256i {
    let exp = _mm256_max_epi32(
        _mm256_and_si256(a, _mm256_set1_epi32(0x7F80_0000)),
        _mm256_set1_epi32((128 - BIAS) << 23),
    );
    let magic = _mm256_add_epi32(exp, _mm256_set1_epi32((23 - MBITS) << 23));
    let sum = _mm256_castps_si256(_mm256_add_ps(
        _mm256_castsi256_ps(a),
        _mm256_castsi256_ps(magic),
    ));
    // k + (E << MBITS) − ((128 − BIAS) << MBITS), with k = sum − magic
    let e_term = _mm256_srl_epi32(exp, _mm_cvtsi32_si128(23 - MBITS));
    _mm256_add_epi32(
        _mm256_sub_epi32(sum, exp),
        _mm256_sub_epi32(
            e_term,
            _mm256_set1_epi32(((23 - MBITS) << 23) + ((128 - BIAS) << MBITS)),
        ),
    )
}

/// Scaled FP8 codes: `out[i] = fp8_sat(x[i] / scale)` (nearest-even,
/// saturating to ± the format's largest finite value), as the portable
/// `fp8_scaled` encoder. `x` finite, `scale` finite and `> 0`, same lengths.
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C.
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn fp8_run(x: &[f32], scale: f32, kind: Fp8Kind, out: &mut [u8]) {
    match kind {
        Fp8Kind::E4m3fn => fp8_run_as::<3, 7>(x, scale, E4M3FN_MAX, out),
        Fp8Kind::E5m2 => fp8_run_as::<2, 15>(x, scale, E5M2_MAX, out),
    }
    let whole = x.len() / 32 * 32;
    for (o, &v) in out[whole..].iter_mut().zip(&x[whole..]) {
        *o = match kind {
            Fp8Kind::E4m3fn => fp8::f32_to_e4m3fn_sat(v / scale),
            Fp8Kind::E5m2 => fp8::f32_to_e5m2_sat(v / scale),
        };
    }
}

/// The whole 32-value chunks of [`fp8_run`] for one format (`MBITS`, `BIAS`,
/// largest finite value `max`); the caller encodes the tail. Multiplies by
/// the reciprocal of `scale` where [`near_minifloat_boundary`]'s bound holds
/// (a normal `scale` with a normal reciprocal: every scale
/// [`super::fp8_scaled`] picks for a tensor that is not all but zero), else
/// divides.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn fp8_run_as<const MBITS: i32, const BIAS: i32>(
    x: &[f32],
    scale: f32,
    max: f32,
    out: &mut [u8],
) {
    let recip = 1.0 / scale;
    if scale.is_normal() && recip.is_normal() {
        fp8_chunks::<MBITS, BIAS, true>(x, scale, recip, max, out)
    } else {
        fp8_chunks::<MBITS, BIAS, false>(x, scale, recip, max, out)
    }
}

/// [`fp8_run_as`]'s loop: with `RECIP`, each 32 values are first scaled by
/// `x · recip` (`recip = f32(1 / scale)`, normal, as is `scale`), and only a
/// chunk where some quotient lies within the error of that product of a
/// rounding boundary of the format ([`near_minifloat_boundary`]) is divided
/// again, so every code is that of the IEEE quotient `x / scale`.
///
/// Why: the vector division per 8 values took about a quarter of the loop's
/// time on the development machine (AMD EPYC Zen 1, one thread on cached
/// data: 0.94 ns per value with it, 0.82 with this path, boundary check
/// included).
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn fp8_chunks<const MBITS: i32, const BIAS: i32, const RECIP: bool>(
    x: &[f32],
    scale: f32,
    recip: f32,
    max: f32,
    out: &mut [u8],
) {
    assert_eq!(x.len(), out.len());
    let (sv, rv) = (_mm256_set1_ps(scale), _mm256_set1_ps(recip));
    let max_bits = _mm256_set1_epi32(max.to_bits() as i32);
    let abs = _mm256_set1_epi32(0x7FFF_FFFF);
    let whole = x.len() / 32 * 32;
    for i in (0..whole).step_by(32) {
        prefetch_ahead(x.as_ptr().add(i), 32);
        // SAFETY: i + 32 <= whole <= x.len()
        let v = load32(x.as_ptr().add(i));
        let divided = || v.map(|v| _mm256_div_ps(v, sv));
        let y = if RECIP {
            let y = v.map(|v| _mm256_mul_ps(v, rv));
            if near_minifloat_boundary::<MBITS>(&y) {
                divided()
            } else {
                y
            }
        } else {
            divided()
        };
        let q = y.map(|y| {
            let y = _mm256_castps_si256(y);
            // |y| clamped to the largest finite value (which encodes
            // exactly, so no code overflows into NaN / infinity): |y| is
            // not NaN (x finite, scale > 0), and non-negative float bit
            // patterns order like the floats, infinity included
            let a = _mm256_min_epi32(_mm256_and_si256(y, abs), max_bits);
            let sign = _mm256_and_si256(_mm256_srli_epi32::<24>(y), _mm256_set1_epi32(0x80));
            _mm256_or_si256(sign, minifloat_code::<MBITS, BIAS>(a))
        });
        // SAFETY: out[i..i + 32] is in bounds
        _mm256_storeu_si256(out.as_mut_ptr().add(i) as *mut __m256i, pack_bytes(q, true));
    }
}

/// Whether any of the 32 approximate quotients `y` (f32, each `RN(x · r)`
/// with `r = RN(1 / s)`, `s` and `r` normal) may round, as the exact
/// quotient `q = RN(x / s)` would not, to another code of a format with
/// `MBITS` mantissa bits: `true` when some `|y|` lies within 8 bit patterns
/// of a value whose f32 mantissa ends in `22 − MBITS` zero bits, unless
/// `|y|` is below about 2⁻¹⁰⁰.
///
/// Why that suffices: `y = (x / s)(1 + ε)` with `|ε| ≤ 2⁻²³ + 2⁻⁴⁸`, and `q`
/// is within half an ulp of `x / s`, so `|y − q|` is under 3 ulps of the
/// binade of `x / s` (at most 5 bit patterns apart when they straddle a
/// binade edge). The codes of [`minifloat_code`] (after the clamp to the
/// largest finite value) change only at the format's round-to-nearest
/// midpoints and its largest value, all of which have at most `MBITS + 1`
/// mantissa bits (in the format's subnormal range too): their f32 patterns
/// end in `22 − MBITS` zeros. If no such pattern lies within 8 of `|y|`, `|y|`
/// and `|q|` fall between the same two of them and get the same code. Below
/// 2⁻⁹⁹ both are far under the smallest midpoint (2⁻¹⁷, E5M2's) and code
/// to a magnitude of 0. The sign bit, fp8's sign, is `x`'s in both (a
/// quotient by a positive scale keeps it, through underflow too). Values at
/// those patterns (exact levels, zeros aside) are flagged although
/// harmless, which costs one division of their chunk, never a wrong code.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn near_minifloat_boundary<const MBITS: i32>(y: &[__m256; 4]) -> bool {
    const SLACK: i32 = 8;
    let low = (1 << (22 - MBITS)) - 1;
    // |y| below 2^-100 is raised to a pattern halfway between two that end
    // in zeros, which is never near one (and those |y| need no check)
    let floor = _mm256_set1_epi32(((127 - 100) << 23) | ((low + 1) / 2));
    let abs = _mm256_set1_epi32(0x7FFF_FFFF);
    let (slack, low) = (_mm256_set1_epi32(SLACK), _mm256_set1_epi32(low));
    // the distance to the nearest pattern ending in 22 − MBITS zeros, shifted
    // by SLACK: at most 2·SLACK exactly when within SLACK; the smallest of
    // the 32 decides
    let mut nearest = low;
    for &y in y {
        let a = _mm256_max_epi32(_mm256_and_si256(_mm256_castps_si256(y), abs), floor);
        nearest = _mm256_min_epi32(nearest, _mm256_and_si256(_mm256_add_epi32(a, slack), low));
    }
    let near = _mm256_cmpgt_epi32(_mm256_set1_epi32(2 * SLACK + 1), nearest);
    _mm256_testz_si256(near, near) == 0
}

/// The largest `|x|` bit pattern of `x` (0 when empty): at or above
/// `0x7F80_0000` exactly when `x` holds a NaN or an infinity, like
/// [`super::common::tensor_abs_bits_max`]'s scalar fold (an integer maximum,
/// so the same value), 32 values per step instead of the baseline-x86-64
/// fold's emulated unsigned maximum (SSE2 has no `pmaxud`).
///
/// # Safety
/// The CPU must support AVX2, FMA and F16C.
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn abs_bits_max_run(x: &[f32]) -> u32 {
    use super::encode_avx2::{abs_bits, hmax_epu32, load32_ahead};
    let mut m = [_mm256_setzero_si256(); 4];
    let whole = x.len() / 32 * 32;
    for i in (0..whole).step_by(32) {
        // SAFETY: i + 32 <= whole <= x.len()
        let v = load32_ahead(x.as_ptr().add(i));
        for (mc, vc) in m.iter_mut().zip(v) {
            *mc = _mm256_max_epu32(*mc, abs_bits(vc));
        }
    }
    let m = _mm256_max_epu32(_mm256_max_epu32(m[0], m[1]), _mm256_max_epu32(m[2], m[3]));
    let head = _mm256_cvtsi256_si32(hmax_epu32(m)) as u32;
    x[whole..]
        .iter()
        .fold(head, |r, v| r.max(v.to_bits() & 0x7FFF_FFFF))
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
        prefetch_ahead(x.as_ptr().add(i), 16);
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

    /// `minifloat_code::<MBITS, BIAS>` over `a` (magnitudes), 8 at a time.
    fn codes<const MBITS: i32, const BIAS: i32>(a: &[f32]) -> Vec<u32> {
        let mut out = Vec::with_capacity(a.len());
        for c in a.chunks(8) {
            let mut lanes = [0f32; 8];
            lanes[..c.len()].copy_from_slice(c);
            let mut r = [0u32; 8];
            // SAFETY: has_encode_simd() checked by the caller; r holds 8 lanes
            unsafe {
                let v = _mm256_castps_si256(_mm256_loadu_ps(lanes.as_ptr()));
                let code = minifloat_code::<MBITS, BIAS>(v);
                _mm256_storeu_si256(r.as_mut_ptr() as *mut __m256i, code);
            }
            out.extend_from_slice(&r[..c.len()]);
        }
        out
    }

    /// Magnitudes in `[0, max]` that probe the rounding of a format whose
    /// values (as f32, increasing) are `levels`: every level and midpoint
    /// with their two neighbours either side, every power of two with its
    /// neighbours, every subnormal f32 edge, and a dense sweep of bit
    /// patterns (every 251st).
    fn probes(levels: &[f32], max: f32) -> Vec<f32> {
        let near = |v: f32| {
            (-2i32..=2)
                .map(move |d| f32::from_bits((v.to_bits() as i32 + d).max(0) as u32))
                .filter(move |v| *v <= max)
        };
        let mut a: Vec<f32> = Vec::new();
        for w in levels.windows(2) {
            a.extend(near(w[0]));
            a.extend(near((w[0] + w[1]) / 2.0)); // exact: one more bit
        }
        a.extend(near(max));
        for e in -149..=16 {
            a.extend(near(2f32.powi(e)));
        }
        a.extend([0.0, f32::from_bits(1), f32::from_bits(0x7F_FFFF)]);
        a.extend((0..=max.to_bits()).step_by(251).map(f32::from_bits));
        a
    }

    /// The claim behind `minifloat_code`: the same codes as the scalar
    /// encoders of E4M3FN, E5M2 and E2M1.
    #[test]
    fn minifloat_code_matches_scalar() {
        if !has_encode_simd() {
            return;
        }
        let levels = |n: u8, dec: fn(u8) -> f32| (0..=n).map(dec).collect::<Vec<_>>();
        let a = probes(&levels(0x7E, fp8::e4m3fn_to_f32), E4M3FN_MAX);
        for (v, c) in a.iter().zip(codes::<3, 7>(&a)) {
            assert_eq!(c, fp8::f32_to_e4m3fn(*v) as u32, "e4m3 {v:e}");
        }
        let a = probes(&levels(0x7B, fp8::e5m2_to_f32), E5M2_MAX);
        for (v, c) in a.iter().zip(codes::<2, 15>(&a)) {
            assert_eq!(c, fp8::f32_to_e5m2(*v) as u32, "e5m2 {v:e}");
        }
        let a = probes(&super::super::e2m1::MAGNITUDES, 6.0);
        for (v, c) in a.iter().zip(codes::<1, 1>(&a)) {
            assert_eq!(c, super::super::e2m1::encode_rne(*v) as u32, "e2m1 {v:e}");
        }
    }

    /// The vector maximum equals the scalar fold, NaN and infinity included,
    /// wherever they sit (vector body or tail).
    #[test]
    fn abs_bits_max_run_matches_fold() {
        if !has_encode_simd() {
            return;
        }
        let fold = |x: &[f32]| x.iter().fold(0u32, |m, v| m.max(v.to_bits() & 0x7FFF_FFFF));
        for n in [0usize, 1, 31, 32, 33, 100, 1000] {
            let base: Vec<f32> = (0..n).map(|i| (i as f32 - 40.0) * 0.37).collect();
            let mut cases = vec![base.clone()];
            for at in [0, n / 2, n.saturating_sub(1)] {
                for bad in [f32::NAN, -f32::NAN, f32::INFINITY, -f32::MAX, -0.0, 1e-45] {
                    if n > 0 {
                        let mut x = base.clone();
                        x[at] = bad;
                        cases.push(x);
                    }
                }
            }
            for x in cases {
                // SAFETY: has_encode_simd() checked above
                assert_eq!(unsafe { abs_bits_max_run(&x) }, fold(&x), "n={n}");
            }
        }
    }

    #[test]
    fn edge_values_match_portable() {
        if has_encode_simd() {
            check_same(&edge_values());
        }
    }

    /// The reciprocal path of [`fp8_run`] near every rounding boundary:
    /// quotients at and within a few ulps of each midpoint and level of both
    /// formats, for scales whose reciprocal is inexact. The probes must
    /// include values where `x · (1 / s)` alone rounds to another code than
    /// `x / s` (the test checks that they do), so that only the fallback
    /// division can make the codes agree.
    #[test]
    fn reciprocal_path_matches_division_near_boundaries() {
        if !has_encode_simd() {
            return;
        }
        let mut boundaries: Vec<f32> = Vec::new();
        for b in 0u8..0x7E {
            let (lo, hi) = (fp8::e4m3fn_to_f32(b), fp8::e4m3fn_to_f32(b + 1));
            boundaries.extend([lo, (lo + hi) / 2.0]);
        }
        for b in 0u8..0x7B {
            let (lo, hi) = (fp8::e5m2_to_f32(b), fp8::e5m2_to_f32(b + 1));
            boundaries.extend([lo, (lo + hi) / 2.0]);
        }
        let mut product_alone_differs = 0;
        for s in [
            0.37f32,
            1.0 / 3.0,
            0.1,
            7.3e-3,
            1.1e10,
            2.9e-30,
            0.999_999_9,
        ] {
            let r = 1.0 / s;
            let mut x = Vec::new();
            for &m in &boundaries {
                let base = (m * s).to_bits() as i64;
                for d in -4i64..=4 {
                    let v = f32::from_bits((base + d).max(0) as u32);
                    x.extend([v, -v]);
                }
            }
            for kind in [Fp8Kind::E4m3fn, Fp8Kind::E5m2] {
                let enc = |v: f32| match kind {
                    Fp8Kind::E4m3fn => fp8::f32_to_e4m3fn_sat(v),
                    Fp8Kind::E5m2 => fp8::f32_to_e5m2_sat(v),
                };
                let mut simd = vec![0u8; x.len()];
                // SAFETY: has_encode_simd() checked above
                unsafe { fp8_run(&x, s, kind, &mut simd) };
                let portable: Vec<u8> = x.iter().map(|&v| enc(v / s)).collect();
                assert_eq!(simd, portable, "{kind:?}, scale {s}");
                product_alone_differs += x.iter().filter(|&&v| enc(v * r) != enc(v / s)).count();
            }
        }
        assert!(
            product_alone_differs > 0,
            "no probe separates x * (1/s) from x / s"
        );
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
            scale in prop_oneof![Just(1.0f32), Just(1e-30), Just(1e30), Just(1e-3), Just(1e-40)],
        ) {
            if has_encode_simd() {
                let x: Vec<f32> = x.iter().map(|v| v * scale).collect();
                check_same(&x);
            }
        }
    }
}
