//! FP8 encodings: OCP `float8_e4m3fn` and `float8_e5m2`.
//!
//! Layouts (one byte, sign in bit 7):
//! - **E4M3FN**: exponent 4 bits (bias 7), mantissa 3 bits, subnormals, no
//!   infinities; `0x7F`/`0xFF` are NaN; largest finite ±448 (`0x7E`/`0xFE`);
//!   smallest subnormal 2^-9.
//! - **E5M2**: exponent 5 bits (bias 15), mantissa 2 bits, subnormals, IEEE
//!   infinities `0x7C`/`0xFC` and NaNs (exponent 31, mantissa ≠ 0); largest
//!   finite ±57344; smallest subnormal 2^-16.
//!
//! Encoding from f32 is exact round-to-nearest, ties to even (the rounding of
//! the f32 bit pattern itself, no double rounding), for subnormals too.
//!
//! Overflow rule (documented choice):
//! - [`f32_to_e4m3fn`] / [`f32_to_e5m2`] behave like PyTorch's (c10) casts:
//!   a value whose rounded magnitude exceeds the largest finite value becomes
//!   NaN for E4M3FN (it has no infinity; so |x| > 464 → NaN, 464 itself ties to
//!   448) and ±infinity for E5M2 (|x| ≥ 61440). NaN stays NaN, infinity becomes
//!   NaN (E4M3FN) or infinity (E5M2).
//! - [`f32_to_e4m3fn_sat`] / [`f32_to_e5m2_sat`] saturate instead: finite
//!   overflow and ±infinity clamp to ±max finite; NaN still gives NaN.

/// Quiet NaN byte of E4M3FN (positive sign).
pub const E4M3FN_NAN: u8 = 0x7F;
/// Largest finite E4M3FN value.
pub const E4M3FN_MAX: f32 = 448.0;
/// Largest finite E5M2 value.
pub const E5M2_MAX: f32 = 57344.0;

/// Rounds |x| (given by its f32 bits, sign cleared, finite) to a magnitude code
/// with `mbits` mantissa bits and exponent `bias`, ties to even. The result may
/// exceed the format's largest code (the caller handles overflow).
#[inline(always)]
fn round_magnitude(abs_bits: u32, mbits: u32, bias: i32) -> u32 {
    let a = f32::from_bits(abs_bits);
    // smallest normal of the target: 2^(1 - bias)
    let min_normal = f32::from_bits(((1 - bias + 127) as u32) << 23);
    // Both candidates are computed without branches (so loops vectorize)
    // and one is selected.
    // Subnormal: q = a / 2^(1-bias-mbits), an exact power-of-two scaling to
    // below 2^mbits, rounded to an integer ties-to-even by adding and
    // subtracting 2^23 (exact in f32's default rounding for 0 <= y < 2^22).
    let scaled = a * f32::from_bits(((bias - 1 + mbits as i32 + 127) as u32) << 23);
    let sub = ((scaled + 8_388_608.0) - 8_388_608.0) as u32;
    // Normal: drop `shift` mantissa bits, rounding to nearest even by adding
    // half - 1 plus the lowest kept bit; a carry out of the mantissa bumps
    // the exponent, as it should. Rebias the exponent from 127 to `bias`.
    let shift = 23 - mbits;
    let half = 1u32 << (shift - 1);
    let odd = (abs_bits >> shift) & 1;
    let normal =
        ((abs_bits + (half - 1) + odd) >> shift).wrapping_sub(((127 - bias) as u32) << mbits);
    if a < min_normal {
        sub
    } else {
        normal
    }
}

/// Decodes one E4M3FN byte.
pub fn e4m3fn_to_f32(b: u8) -> f32 {
    let sign = if b & 0x80 != 0 { -1.0f32 } else { 1.0 };
    let exp = ((b >> 3) & 0x0F) as i32;
    let man = (b & 0x07) as f32;
    if exp == 15 && (b & 0x07) == 7 {
        return f32::NAN;
    }
    let mag = if exp == 0 {
        man * (1.0 / 512.0)
    } else {
        (1.0 + man / 8.0) * 2f32.powi(exp - 7)
    };
    sign * mag
}

/// Encodes f32 as E4M3FN, nearest-even; overflow and infinity give NaN
/// (PyTorch's cast).
#[inline(always)]
pub fn f32_to_e4m3fn(x: f32) -> u8 {
    let bits = x.to_bits();
    let sign = ((bits >> 24) & 0x80) as u8;
    if !x.is_finite() {
        return sign | E4M3FN_NAN;
    }
    let code = round_magnitude(bits & 0x7FFF_FFFF, 3, 7);
    if code > 0x7E {
        sign | E4M3FN_NAN
    } else {
        sign | code as u8
    }
}

/// Encodes f32 as E4M3FN, nearest-even, saturating to ±448 (NaN stays NaN).
#[inline(always)]
pub fn f32_to_e4m3fn_sat(x: f32) -> u8 {
    if x.is_nan() {
        return ((x.to_bits() >> 24) & 0x80) as u8 | E4M3FN_NAN;
    }
    f32_to_e4m3fn(x.clamp(-E4M3FN_MAX, E4M3FN_MAX))
}

/// Decodes one E5M2 byte.
pub fn e5m2_to_f32(b: u8) -> f32 {
    let sign = if b & 0x80 != 0 { -1.0f32 } else { 1.0 };
    let exp = ((b >> 2) & 0x1F) as i32;
    let man = (b & 0x03) as f32;
    if exp == 31 {
        return if b & 0x03 == 0 {
            sign * f32::INFINITY
        } else {
            f32::NAN
        };
    }
    let mag = if exp == 0 {
        man * 2f32.powi(-16)
    } else {
        (1.0 + man / 4.0) * 2f32.powi(exp - 15)
    };
    sign * mag
}

/// Encodes f32 as E5M2, nearest-even; overflow gives ±infinity, NaN gives NaN
/// (PyTorch's cast).
#[inline(always)]
pub fn f32_to_e5m2(x: f32) -> u8 {
    let bits = x.to_bits();
    let sign = ((bits >> 24) & 0x80) as u8;
    if x.is_nan() {
        return sign | 0x7F;
    }
    if x.is_infinite() {
        return sign | 0x7C;
    }
    let code = round_magnitude(bits & 0x7FFF_FFFF, 2, 15);
    sign | code.min(0x7C) as u8
}

/// Encodes f32 as E5M2, nearest-even, saturating to ±57344 (NaN stays NaN).
#[inline(always)]
pub fn f32_to_e5m2_sat(x: f32) -> u8 {
    if x.is_nan() {
        return f32_to_e5m2(x);
    }
    f32_to_e5m2(x.clamp(-E5M2_MAX, E5M2_MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reference: nearest finite code by exhaustive search, ties to even code.
    fn nearest(x: f32, decode: fn(u8) -> f32) -> Option<u8> {
        let mut best: Option<(f64, u8)> = None;
        for b in 0u8..=0x7F {
            let v = decode(b) as f64;
            if !v.is_finite() {
                continue;
            }
            let d = (v - (x.abs() as f64)).abs();
            best = match best {
                None => Some((d, b)),
                Some((bd, bb)) if d < bd || (d == bd && b % 2 == 0 && bb % 2 == 1) => Some((d, b)),
                keep => keep,
            };
        }
        best.map(|(_, b)| b | if x.is_sign_negative() { 0x80 } else { 0 })
    }

    #[test]
    fn e4m3fn_decode_table() {
        assert_eq!(e4m3fn_to_f32(0x7E), 448.0);
        assert_eq!(e4m3fn_to_f32(0x01), 2f32.powi(-9));
        assert_eq!(e4m3fn_to_f32(0x08), 2f32.powi(-6));
        assert_eq!(e4m3fn_to_f32(0x38), 1.0);
        assert_eq!(e4m3fn_to_f32(0x20), 0.125);
        assert!(e4m3fn_to_f32(0x7F).is_nan() && e4m3fn_to_f32(0xFF).is_nan());
        assert_eq!(e4m3fn_to_f32(0x80).to_bits(), (-0.0f32).to_bits());
        // every non-NaN code round-trips
        for b in 0u8..=255 {
            let v = e4m3fn_to_f32(b);
            if !v.is_nan() {
                assert_eq!(f32_to_e4m3fn(v), b, "code {b:#x}");
            }
        }
    }

    #[test]
    fn e5m2_decode_table() {
        assert_eq!(e5m2_to_f32(0x7B), 57344.0);
        assert_eq!(e5m2_to_f32(0x01), 2f32.powi(-16));
        assert_eq!(e5m2_to_f32(0x3C), 1.0);
        assert_eq!(e5m2_to_f32(0x7C), f32::INFINITY);
        assert_eq!(e5m2_to_f32(0xFC), f32::NEG_INFINITY);
        for b in 0u8..=255 {
            let v = e5m2_to_f32(b);
            if !v.is_nan() {
                assert_eq!(f32_to_e5m2(v), b, "code {b:#x}");
            }
        }
    }

    #[test]
    fn overflow_rules() {
        assert_eq!(f32_to_e4m3fn(464.0), 0x7E); // tie to even → 448
        assert_eq!(f32_to_e4m3fn(464.1), 0x7F);
        assert_eq!(f32_to_e4m3fn(-1e9), 0xFF);
        assert_eq!(f32_to_e4m3fn(f32::INFINITY), 0x7F);
        assert_eq!(f32_to_e4m3fn_sat(1e9), 0x7E);
        assert_eq!(f32_to_e4m3fn_sat(f32::NEG_INFINITY), 0xFE);
        assert_eq!(f32_to_e5m2(61439.0), 0x7B);
        assert_eq!(f32_to_e5m2(61440.0), 0x7C);
        assert_eq!(f32_to_e5m2_sat(1e9), 0x7B);
        assert_eq!(f32_to_e5m2_sat(f32::INFINITY), 0x7B);
        assert_eq!(f32_to_e4m3fn(f32::NAN) & 0x7F, 0x7F);
        assert_eq!(f32_to_e5m2(f32::NAN) & 0x7F, 0x7F);
        // subnormal ties: 2^-10 lies halfway between 0 and 2^-9 → 0 (even)
        assert_eq!(f32_to_e4m3fn(2f32.powi(-10)), 0x00);
        assert_eq!(f32_to_e4m3fn(3.0 * 2f32.powi(-10)), 0x02);
    }

    proptest! {
        #[test]
        fn e4m3fn_is_nearest_even(x in -470.0f32..470.0) {
            if x.abs() <= 464.0 {
                prop_assert_eq!(Some(f32_to_e4m3fn(x)), nearest(x, e4m3fn_to_f32));
            } else {
                prop_assert_eq!(f32_to_e4m3fn(x) & 0x7F, 0x7F);
            }
        }

        #[test]
        fn e4m3fn_small_is_nearest_even(x in -0.02f32..0.02) {
            prop_assert_eq!(Some(f32_to_e4m3fn(x)), nearest(x, e4m3fn_to_f32));
        }

        #[test]
        fn e5m2_is_nearest_even(x in -61000.0f32..61000.0) {
            prop_assert_eq!(Some(f32_to_e5m2(x)), nearest(x, e5m2_to_f32));
        }

        #[test]
        fn e5m2_small_is_nearest_even(x in -1e-4f32..1e-4) {
            prop_assert_eq!(Some(f32_to_e5m2(x)), nearest(x, e5m2_to_f32));
        }
    }
}
