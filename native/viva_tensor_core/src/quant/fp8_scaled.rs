//! Per-tensor scaled FP8 storage: `fp8_e4m3fn` and `fp8_e5m2`, as PyTorch
//! (`torch.float8_e4m3fn` / `torch.float8_e5m2` with a per-tensor scale),
//! vLLM's dynamic per-tensor FP8 and compressed-tensors store FP8 weights.
//!
//! Element codecs: [`super::fp8`] (E4M3FN: bias 7, no infinities, NaN =
//! `S.1111.111`, largest finite 448; E5M2: bias 15, IEEE-like with
//! infinities, largest finite 57344; both exact round-to-nearest-even,
//! subnormals included).
//!
//! Encode, with `MAX` = 448 (E4M3FN) or 57344 (E5M2), f32 arithmetic:
//! - `amax = max|x|` over the whole tensor;
//! - `scale = amax / MAX`; `scale = 1` when `amax = 0` (an all-zero or empty
//!   tensor); when `amax / MAX` underflows to 0 (amax below ~6·10⁻⁴³) the
//!   scale is the smallest positive f32, 2⁻¹⁴⁹, so it is always finite and
//!   `> 0`;
//! - `code = fp8(x / scale)`, rounded to nearest even and **saturating**: a
//!   quotient whose rounded magnitude exceeds `MAX` (possible only by the
//!   rounding of `scale`, by at most one ulp) becomes ±`MAX`, never NaN or
//!   infinity. This is the `.clamp(-MAX, MAX)` before the cast that torch,
//!   vLLM and compressed-tensors apply; the unsaturated casts of
//!   [`super::fp8`] would give NaN (E4M3FN) or infinity (E5M2) there.
//!
//! Decode: `x = f32(value(code) · scale)` (one f32 multiplication).
//!
//! Error: relative to `amax`, at most half an FP8 ulp: `|x - x̂| ≤
//! max(2⁻⁴·|x|, 2⁻¹⁰·scale)` for E4M3FN and `max(2⁻³·|x|, 2⁻¹⁷·scale)` for
//! E5M2, plus f32 rounding (the proptest below checks this bound).
//!
//! Byte layout of the payload: `n` code bytes (element `i` in byte `i`),
//! then the scale as a little-endian f32: `n + 4` bytes.

use rayon::prelude::*;

use super::common::{check_finite, tensor_absmax, PAR_MIN_ELEMS};
use super::fp8;
use crate::{Result, TensorError};

/// Elements per parallel task.
const CHUNK: usize = 1 << 14;

/// Which FP8 encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fp8Kind {
    /// OCP E4M3FN (bias 7, no infinities, max 448).
    E4m3fn,
    /// OCP E5M2 (bias 15, with infinities, max 57344).
    E5m2,
}

impl Fp8Kind {
    /// Largest finite value of the encoding.
    pub fn max_finite(self) -> f32 {
        match self {
            Fp8Kind::E4m3fn => fp8::E4M3FN_MAX,
            Fp8Kind::E5m2 => fp8::E5M2_MAX,
        }
    }

    /// Decodes one byte (NaN / infinity codes decode to NaN / infinity).
    pub fn decode(self, b: u8) -> f32 {
        match self {
            Fp8Kind::E4m3fn => fp8::e4m3fn_to_f32(b),
            Fp8Kind::E5m2 => fp8::e5m2_to_f32(b),
        }
    }

    /// Encodes one value, nearest-even, saturating to ±max finite.
    pub fn encode_sat(self, x: f32) -> u8 {
        match self {
            Fp8Kind::E4m3fn => fp8::f32_to_e4m3fn_sat(x),
            Fp8Kind::E5m2 => fp8::f32_to_e5m2_sat(x),
        }
    }

    /// The 256 decoded values, indexed by code.
    fn table(self) -> [f32; 256] {
        let mut t = [0f32; 256];
        for (b, v) in t.iter_mut().enumerate() {
            *v = self.decode(b as u8);
        }
        t
    }
}

/// FP8 codes with their per-tensor scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Fp8Quantized {
    /// One code per element.
    pub codes: Vec<u8>,
    /// The per-tensor scale (multiplies on decode); finite and `> 0`.
    pub scale: f32,
}

/// The scale for a tensor whose largest magnitude is `amax` (see the module
/// documentation): finite and `> 0` for every finite `amax >= 0`.
pub fn scale_for(amax: f32, kind: Fp8Kind) -> f32 {
    if amax == 0.0 {
        return 1.0;
    }
    let s = amax / kind.max_finite();
    if s > 0.0 {
        s
    } else {
        f32::from_bits(1)
    }
}

/// Quantizes `x` (any length) to scaled FP8.
///
/// Errors: `NonFinite` for NaN or infinity in `x`.
pub fn quantize(x: &[f32], kind: Fp8Kind) -> Result<Fp8Quantized> {
    // the maximum is taken over |x| bit patterns: non-finite exactly when
    // x holds a NaN or an infinity, so one read checks and scales
    let amax = tensor_absmax(x);
    if !amax.is_finite() {
        check_finite(x)?;
    }
    let scale = scale_for(amax, kind);
    let mut codes: Vec<u8> = crate::alloc::zeroed_vec(x.len());
    #[cfg(target_arch = "x86_64")]
    let simd = super::encode_avx2::has_encode_simd();
    let enc = |(o, c): (&mut [u8], &[f32])| {
        #[cfg(target_arch = "x86_64")]
        if simd {
            // SAFETY: the CPU supports AVX2, FMA and F16C (checked above)
            unsafe { super::encode_avx2_dense::fp8_run(c, scale, kind, o) };
            return;
        }
        match kind {
            // one loop per kind, so each is a straight line of arithmetic
            Fp8Kind::E4m3fn => o
                .iter_mut()
                .zip(c)
                .for_each(|(o, &v)| *o = fp8::f32_to_e4m3fn_sat(v / scale)),
            Fp8Kind::E5m2 => o
                .iter_mut()
                .zip(c)
                .for_each(|(o, &v)| *o = fp8::f32_to_e5m2_sat(v / scale)),
        }
    };
    if x.len() >= PAR_MIN_ELEMS {
        codes
            .par_chunks_mut(CHUNK)
            .zip(x.par_chunks(CHUNK))
            .for_each(enc);
    } else {
        enc((&mut codes, x));
    }
    Ok(Fp8Quantized { codes, scale })
}

/// Decodes `n` values. Errors: `InvalidArgument` when `q.codes.len() != n`.
pub fn dequantize(q: &Fp8Quantized, kind: Fp8Kind, n: usize) -> Result<Vec<f32>> {
    if q.codes.len() != n {
        return Err(TensorError::invalid_argument(format!(
            "{kind:?}: {n} elements need {n} codes, got {}",
            q.codes.len()
        )));
    }
    let mut out: Vec<f32> = crate::alloc::zeroed_vec(n);
    let table = decode_table(kind);
    if n >= PAR_MIN_ELEMS {
        out.par_chunks_mut(CHUNK)
            .zip(q.codes.par_chunks(CHUNK))
            .for_each(|(o, c)| decode_into(table, q.scale, c, o));
    } else {
        decode_into(table, q.scale, &q.codes, &mut out);
    }
    Ok(out)
}

/// Writes the elements `start .. start + out.len()` (in bounds, checked by
/// the caller) into `out`, bit-identical to [`dequantize`].
pub(crate) fn decode_range(q: &Fp8Quantized, kind: Fp8Kind, start: usize, out: &mut [f32]) {
    decode_into(
        decode_table(kind),
        q.scale,
        &q.codes[start..start + out.len()],
        out,
    );
}

/// [`Fp8Kind::table`] built once per kind: `qmatmul` decodes 256-value tile
/// rows, and rebuilding the table per call made its fp8 GEMM 2.6× slower.
fn decode_table(kind: Fp8Kind) -> &'static [f32; 256] {
    static T: std::sync::OnceLock<[[f32; 256]; 2]> = std::sync::OnceLock::new();
    let t = T.get_or_init(|| [Fp8Kind::E4m3fn.table(), Fp8Kind::E5m2.table()]);
    match kind {
        Fp8Kind::E4m3fn => &t[0],
        Fp8Kind::E5m2 => &t[1],
    }
}

fn decode_into(table: &[f32; 256], scale: f32, codes: &[u8], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if super::qdot::has_avx2_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked above); the kernel
        // asserts `codes.len() == out.len()`. Same lookup and multiply as below.
        unsafe { super::decode_avx2::lut256(codes, table, scale, out) };
        return;
    }
    for (o, &c) in out.iter_mut().zip(codes) {
        *o = table[c as usize] * scale;
    }
}

/// Index of the first code that is not a finite value (NaN, or infinity
/// for E5M2); the quantizer never writes one.
pub fn first_non_finite(codes: &[u8], kind: Fp8Kind) -> Option<usize> {
    match kind {
        Fp8Kind::E4m3fn => codes.iter().position(|&b| b & 0x7F == 0x7F),
        Fp8Kind::E5m2 => codes.iter().position(|&b| b & 0x7C == 0x7C),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The value of an FP8 code from the bit formula alone, in f64:
    /// `(-1)^s · 2^(e - bias) · (1 + m / 2^mb)` for `e > 0`,
    /// `(-1)^s · 2^(1 - bias) · m / 2^mb` for `e = 0`; `None` for NaN,
    /// `Some(±inf)` for E5M2's infinities.
    fn from_formula(b: u8, ebits: u32, mbits: u32, bias: i32, ieee_specials: bool) -> Option<f64> {
        let s = if b >> 7 == 1 { -1.0 } else { 1.0 };
        let e = ((b as u32) >> mbits) & ((1 << ebits) - 1);
        let m = (b as u32) & ((1 << mbits) - 1);
        let emax = (1 << ebits) - 1;
        if ieee_specials && e == emax {
            return if m == 0 {
                Some(s * f64::INFINITY)
            } else {
                None
            };
        }
        if !ieee_specials && e == emax && m == (1 << mbits) - 1 {
            return None;
        }
        let frac = m as f64 / (1u32 << mbits) as f64;
        Some(if e == 0 {
            s * 2f64.powi(1 - bias) * frac
        } else {
            s * 2f64.powi(e as i32 - bias) * (1.0 + frac)
        })
    }

    #[test]
    fn all_256_codes_match_the_bit_formula() {
        for (kind, eb, mb, bias, ieee) in [
            (Fp8Kind::E4m3fn, 4, 3, 7, false),
            (Fp8Kind::E5m2, 5, 2, 15, true),
        ] {
            let mut nans = 0;
            for b in 0u8..=255 {
                let got = kind.decode(b);
                match from_formula(b, eb, mb, bias, ieee) {
                    None => {
                        assert!(got.is_nan(), "{kind:?} {b:#04x}");
                        nans += 1;
                    }
                    Some(v) => {
                        assert_eq!(got as f64, v, "{kind:?} {b:#04x}");
                        assert_eq!(got.is_sign_negative(), b >= 0x80, "{kind:?} {b:#04x}");
                    }
                }
            }
            // E4M3FN: only S.1111.111; E5M2: S.11111.{01,10,11}
            assert_eq!(nans, if ieee { 6 } else { 2 }, "{kind:?}");
        }
        assert_eq!(Fp8Kind::E4m3fn.decode(0x7E), 448.0);
        assert_eq!(Fp8Kind::E5m2.decode(0x7B), 57344.0);
    }

    /// Cross-check against ml_dtypes 0.6.0 (`pip install ml_dtypes`): the 417
    /// triples in `testdata/fp8_ml_dtypes_cases.in` were produced by
    /// `testdata/fp8_ml_dtypes.py` (run on 2026-11-23)
    /// (fixed seed: 400 random f32 with magnitudes 2⁻²⁰..2¹⁷ plus ties and
    /// edge values, encoded with
    /// `np.float32(x).astype(ml_dtypes.float8_e4m3fn / float8_e5m2)`, which
    /// round to nearest even and give NaN / infinity on overflow, like
    /// [`fp8::f32_to_e4m3fn`] / [`fp8::f32_to_e5m2`]). Every one agrees.
    #[test]
    fn encodings_agree_with_ml_dtypes() {
        let cases = include!("testdata/fp8_ml_dtypes_cases.in");
        assert!(cases.len() >= 300);
        for &(bits, e4, e5) in cases.iter() {
            let x = f32::from_bits(bits);
            assert_eq!(fp8::f32_to_e4m3fn(x), e4, "e4m3fn of {x:e} ({bits:#010x})");
            assert_eq!(fp8::f32_to_e5m2(x), e5, "e5m2 of {x:e} ({bits:#010x})");
        }
    }

    #[test]
    fn scale_rules() {
        assert_eq!(scale_for(0.0, Fp8Kind::E4m3fn), 1.0);
        assert_eq!(scale_for(448.0, Fp8Kind::E4m3fn), 1.0);
        assert_eq!(scale_for(57344.0 * 2.0, Fp8Kind::E5m2), 2.0);
        assert_eq!(scale_for(1e-44, Fp8Kind::E4m3fn), f32::from_bits(1));
        let q = quantize(&[0.0; 5], Fp8Kind::E5m2).unwrap();
        assert_eq!(q.scale, 1.0);
        assert!(dequantize(&q, Fp8Kind::E5m2, 5)
            .unwrap()
            .iter()
            .all(|v| *v == 0.0));
        // the largest magnitude maps to the largest finite code, even for
        // huge inputs, and comes back within f32 rounding
        for kind in [Fp8Kind::E4m3fn, Fp8Kind::E5m2] {
            for amax in [3.0e38f32, 1.0, 1e-30, 1e-44] {
                let q = quantize(&[amax, -amax / 3.0, 0.0], kind).unwrap();
                let top = if kind == Fp8Kind::E4m3fn { 0x7E } else { 0x7B };
                if amax > 1e-40 {
                    assert_eq!(q.codes[0], top, "{kind:?} {amax}");
                } else {
                    // scale 2^-149: 1e-44 = 7 · 2^-149 is the exact code 7
                    assert_eq!(q.scale, f32::from_bits(1));
                    assert_eq!(kind.decode(q.codes[0]), 7.0, "{kind:?}");
                }
                let d = dequantize(&q, kind, 3).unwrap();
                assert!(d.iter().all(|v| v.is_finite()));
                assert!(
                    (d[0] - amax).abs() <= amax * 1e-6,
                    "{kind:?} {amax} {}",
                    d[0]
                );
            }
        }
    }

    #[test]
    fn length_and_code_checks() {
        let q = quantize(&[1.0, 2.0], Fp8Kind::E4m3fn).unwrap();
        assert!(dequantize(&q, Fp8Kind::E4m3fn, 3).is_err());
        assert_eq!(first_non_finite(&[0x00, 0xFF], Fp8Kind::E4m3fn), Some(1));
        assert_eq!(first_non_finite(&[0x7E, 0xFE], Fp8Kind::E4m3fn), None);
        assert_eq!(first_non_finite(&[0x7B, 0x7C], Fp8Kind::E5m2), Some(1));
        assert_eq!(first_non_finite(&[0xFB, 0x7D], Fp8Kind::E5m2), Some(1));
    }

    proptest! {
        #[test]
        fn error_bound(x in proptest::collection::vec(-1e6f32..1e6, 1..300), k in 0usize..2) {
            let kind = [Fp8Kind::E4m3fn, Fp8Kind::E5m2][k];
            let q = quantize(&x, kind).unwrap();
            let d = dequantize(&q, kind, x.len()).unwrap();
            // half an ulp of the mantissa (3 or 2 bits), or half the smallest
            // subnormal step, in units of scale; plus f32 rounding
            let (rel, sub) = match kind {
                Fp8Kind::E4m3fn => (1.0 / 16.0, 2f32.powi(-10)),
                Fp8Kind::E5m2 => (1.0 / 8.0, 2f32.powi(-17)),
            };
            for (a, b) in x.iter().zip(&d) {
                let bound = (a.abs() * rel).max(sub * q.scale) * 1.0001 + 1e-30;
                prop_assert!((a - b).abs() <= bound, "{:?} x={} dq={} scale={}", kind, a, b, q.scale);
            }
        }

        #[test]
        fn parallel_equals_serial(seed in 0u64..50) {
            let n = PAR_MIN_ELEMS + 12345;
            let x: Vec<f32> = (0..n)
                .map(|i| (((i as u64 * 2654435761 + seed) % 20011) as f32 - 10000.0) / 7.0)
                .collect();
            for kind in [Fp8Kind::E4m3fn, Fp8Kind::E5m2] {
                let q = quantize(&x, kind).unwrap();
                let s = scale_for(x.iter().fold(0f32, |m, v| m.max(v.abs())), kind);
                prop_assert_eq!(q.scale.to_bits(), s.to_bits());
                for (i, (&c, &v)) in q.codes.iter().zip(&x).enumerate().step_by(97) {
                    prop_assert_eq!(c, kind.encode_sat(v / s), "element {}", i);
                }
                let d = dequantize(&q, kind, n).unwrap();
                let mut part = vec![0f32; 1000];
                decode_range(&q, kind, n - 1000, &mut part);
                prop_assert!(part.iter().zip(&d[n - 1000..]).all(|(a, b)| a.to_bits() == b.to_bits()));
            }
        }
    }
}
