//! FP4 E2M1 (OCP MX / NVFP4 element type).
//!
//! A 4-bit code: bit 3 is the sign, bits 2–0 index the magnitudes
//! `[0, 0.5, 1, 1.5, 2, 3, 4, 6]` (exponent 2 bits, bias 1, mantissa 1 bit,
//! one subnormal 0.5, no infinities or NaN). Code 8 is -0.0.

/// Magnitude of each 3-bit code.
pub const MAGNITUDES: [f32; 8] = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0];

/// The 16 code values doubled, as small integers (ggml's `kvalues_mxfp4`):
/// `2 * value(code)` for code 0..15. Code 8 maps to 0 (its sign is lost).
pub const DOUBLED: [i8; 16] = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12];

/// Value of a 4-bit code (only the low 4 bits are used); code 8 is -0.0.
pub fn decode(code: u8) -> f32 {
    let m = MAGNITUDES[(code & 7) as usize];
    if code & 8 != 0 {
        -m
    } else {
        m
    }
}

/// Encodes `v` (already divided by its scale) as E2M1: clamps to [-6, 6] and
/// rounds to the nearest magnitude, ties to the even mantissa, i.e.
/// `|v| <= 0.25 → 0`, `< 0.75 → 0.5`, `<= 1.25 → 1`, `< 1.75 → 1.5`,
/// `<= 2.5 → 2`, `< 3.5 → 3`, `<= 5 → 4`, else 6. The sign bit is set when
/// `v < 0` (so a negative value that rounds to zero gives code 8, while -0.0
/// gives code 0). This is the rounding of compressed-tensors / PyTorch NVFP4.
#[inline(always)]
pub fn encode_rne(v: f32) -> u8 {
    let v = v.clamp(-6.0, 6.0);
    let a = v.abs();
    // 7 minus the number of thresholds `a` lies below (they increase, so
    // this is the if-chain above's index, NaN included: 7), without branches
    let below = (a <= 0.25) as u8
        + (a < 0.75) as u8
        + (a <= 1.25) as u8
        + (a < 1.75) as u8
        + (a <= 2.5) as u8
        + (a < 3.5) as u8
        + (a <= 5.0) as u8;
    (7 - below) | (((v < 0.0) as u8) << 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_consistency() {
        for c in 0u8..16 {
            assert_eq!(decode(c) * 2.0, DOUBLED[c as usize] as f32);
            if c != 8 {
                assert_eq!(encode_rne(decode(c)), c);
            }
        }
        assert_eq!(decode(8).to_bits(), (-0.0f32).to_bits());
        assert_eq!(encode_rne(-0.0), 0);
        assert_eq!(encode_rne(-0.1), 8);
        assert_eq!(encode_rne(0.25), 0);
        assert_eq!(encode_rne(0.75), 2);
        assert_eq!(encode_rne(1.75), 4);
        assert_eq!(encode_rne(2.5), 4);
        assert_eq!(encode_rne(3.5), 6);
        assert_eq!(encode_rne(5.0), 6);
        assert_eq!(encode_rne(-100.0), 15);
    }

    #[test]
    fn encode_is_nearest() {
        let mut v = -7.0f32;
        while v <= 7.0 {
            let got = decode(encode_rne(v)).abs();
            let c = v.clamp(-6.0, 6.0).abs();
            let best = MAGNITUDES
                .iter()
                .map(|m| (m - c).abs())
                .fold(f32::INFINITY, f32::min);
            assert!(((got - c).abs() - best).abs() < 1e-6, "v={v}");
            v += 0.0625;
        }
    }
}
