//! 16-bit float storage: IEEE binary16 (`f16`) and bfloat16 (`bf16`), one
//! value per element, no scale.
//!
//! Encode: the `half` crate's `f16::from_f32` / `bf16::from_f32` (round to
//! nearest, ties to even, subnormals kept), with one documented choice:
//! finite values beyond the format's range **saturate** to ±max finite
//! (f16: ±65504, which `half` would turn into ±infinity from |x| ≥ 65520;
//! bf16: ±3.3895·10³⁸, reached only from |x| ≥ 3.3961·10³⁸), so like every
//! quantizer here a finite input gives a finite output. NaN / infinity are
//! rejected (`NonFinite`).
//!
//! Decode: exact (`to_f32`). Error: at most half an ulp, `2⁻¹¹·|x|` (f16) or
//! `2⁻⁸·|x|` (bf16), or half the smallest subnormal step of f16 (2⁻²⁵).
//!
//! Byte layout of the payload: element `i` as a little-endian u16 in bytes
//! `2i, 2i + 1`: `2n` bytes.

use half::{bf16, f16};
use rayon::prelude::*;

use super::common::{check_finite, PAR_MIN_ELEMS};
use crate::{Result, TensorError};

/// Elements per parallel task.
const CHUNK: usize = 1 << 14;

/// Which 16-bit float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Half {
    /// IEEE 754 binary16.
    F16,
    /// bfloat16 (the top half of an f32).
    Bf16,
}

impl Half {
    /// Encodes one finite value (nearest-even, saturating) as its bits.
    #[inline]
    pub fn encode(self, x: f32) -> u16 {
        match self {
            Half::F16 => {
                let h = f16::from_f32(x);
                if h.is_infinite() {
                    (h.to_bits() & 0x8000) | f16::MAX.to_bits()
                } else {
                    h.to_bits()
                }
            }
            Half::Bf16 => {
                let h = bf16::from_f32(x);
                if h.is_infinite() {
                    (h.to_bits() & 0x8000) | bf16::MAX.to_bits()
                } else {
                    h.to_bits()
                }
            }
        }
    }

    /// Decodes one value from its bits.
    #[inline]
    pub fn decode(self, bits: u16) -> f32 {
        match self {
            Half::F16 => f16::from_bits(bits).to_f32(),
            Half::Bf16 => bf16::from_bits(bits).to_f32(),
        }
    }

    /// True when `bits` is NaN or infinity (the quantizer never writes one).
    pub fn is_non_finite(self, bits: u16) -> bool {
        match self {
            Half::F16 => bits & 0x7C00 == 0x7C00,
            Half::Bf16 => bits & 0x7F80 == 0x7F80,
        }
    }
}

/// Quantizes `x` to `2 · x.len()` bytes.
///
/// Errors: `NonFinite` for NaN or infinity in `x`.
pub fn quantize(x: &[f32], kind: Half) -> Result<Vec<u8>> {
    #[cfg(target_arch = "x86_64")]
    if super::encode_avx2::has_encode_simd() {
        let mut out: Vec<u8> = crate::alloc::zeroed_vec(2 * x.len());
        let bf16 = kind == Half::Bf16;
        // SAFETY (both calls): the CPU supports AVX2, FMA and F16C
        let enc =
            |(o, c): (&mut [u8], &[f32])| unsafe { super::encode_avx2_dense::half_run(c, bf16, o) };
        let finite = if x.len() >= PAR_MIN_ELEMS {
            out.par_chunks_mut(2 * CHUNK)
                .zip(x.par_chunks(CHUNK))
                .map(enc)
                .reduce(|| true, |a, b| a & b)
        } else {
            enc((&mut out, x))
        };
        if !finite {
            check_finite(x)?;
        }
        return Ok(out);
    }
    check_finite(x)?;
    let mut out = vec![0u8; 2 * x.len()];
    let enc = |(o, c): (&mut [u8], &[f32])| {
        for (o, &v) in o.chunks_exact_mut(2).zip(c) {
            o.copy_from_slice(&kind.encode(v).to_le_bytes());
        }
    };
    if x.len() >= PAR_MIN_ELEMS {
        out.par_chunks_mut(2 * CHUNK)
            .zip(x.par_chunks(CHUNK))
            .for_each(enc);
    } else {
        enc((&mut out, x));
    }
    Ok(out)
}

/// Decodes `n` values. Errors: `InvalidArgument` when `bytes.len() != 2n`.
pub fn dequantize(bytes: &[u8], kind: Half, n: usize) -> Result<Vec<f32>> {
    if Some(bytes.len()) != n.checked_mul(2) {
        return Err(TensorError::invalid_argument(format!(
            "{kind:?}: {n} elements need {} bytes, got {}",
            n.saturating_mul(2),
            bytes.len()
        )));
    }
    let mut out: Vec<f32> = crate::alloc::zeroed_vec(n);
    if n >= PAR_MIN_ELEMS {
        out.par_chunks_mut(CHUNK)
            .zip(bytes.par_chunks(2 * CHUNK))
            .for_each(|(o, b)| decode_into(kind, b, o));
    } else {
        decode_into(kind, bytes, &mut out);
    }
    Ok(out)
}

/// Writes the elements `start .. start + out.len()` (in bounds, checked by
/// the caller) into `out`, bit-identical to [`dequantize`].
pub(crate) fn decode_range(bytes: &[u8], kind: Half, start: usize, out: &mut [f32]) {
    decode_into(kind, &bytes[2 * start..2 * (start + out.len())], out);
}

fn decode_into(kind: Half, bytes: &[u8], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if super::qdot::has_avx2_fma() {
        use super::decode_avx2 as v;
        // SAFETY: the CPU supports AVX2 and FMA, and F16C for the f16
        // kernel (checked here); both assert `bytes.len() == 2 * out.len()`.
        // Both conversions are exact, as `decode` is for non-NaN codes.
        match kind {
            Half::Bf16 => return unsafe { v::bf16(bytes, out) },
            Half::F16 if v::has_f16c() => return unsafe { v::f16(bytes, out) },
            Half::F16 => {}
        }
    }
    for (o, b) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        *o = kind.decode(u16::from_le_bytes([b[0], b[1]]));
    }
}

/// Index of the first element of `bytes` that is NaN or infinity.
pub fn first_non_finite(bytes: &[u8], kind: Half) -> Option<usize> {
    bytes
        .chunks_exact(2)
        .position(|b| kind.is_non_finite(u16::from_le_bytes([b[0], b[1]])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rounding_and_saturation() {
        let h = Half::F16;
        assert_eq!(h.encode(1.0), 0x3C00);
        assert_eq!(h.encode(65504.0), 0x7BFF);
        assert_eq!(h.encode(65519.0), 0x7BFF); // rounds down to max
        assert_eq!(h.encode(65520.0), 0x7BFF); // half: infinity; we saturate
        assert_eq!(h.encode(-1e30), 0xFBFF);
        // tie between 1 and 1 + 2^-10 goes to even (1)
        assert_eq!(h.encode(1.0 + 2f32.powi(-11)), 0x3C00);
        assert_eq!(h.encode(1.0 + 3.0 * 2f32.powi(-11)), 0x3C02);
        assert_eq!(h.encode(2f32.powi(-24)), 0x0001); // smallest subnormal
        assert_eq!(h.encode(2f32.powi(-26)), 0x0000);
        let b = Half::Bf16;
        assert_eq!(b.encode(1.0), 0x3F80);
        assert_eq!(b.encode(f32::from_bits(0x3F80_8000)), 0x3F80); // tie → even
        assert_eq!(b.encode(f32::from_bits(0x3F81_8000)), 0x3F82);
        assert_eq!(b.encode(f32::MAX), 0x7F7F); // would round to infinity
        assert_eq!(b.encode(-f32::MAX), 0xFF7F);
        assert_eq!(b.decode(0x7F7F), bf16::MAX.to_f32());
        for k in [Half::F16, Half::Bf16] {
            // every finite code round-trips
            for bits in 0..=u16::MAX {
                if !k.is_non_finite(bits) {
                    assert_eq!(k.encode(k.decode(bits)), bits, "{k:?} {bits:#06x}");
                }
            }
        }
    }

    #[test]
    fn checks() {
        assert!(quantize(&[1.0, f32::NAN], Half::F16).is_err());
        assert!(dequantize(&[0; 3], Half::F16, 2).is_err());
        assert_eq!(first_non_finite(&[0, 0x3C, 0, 0x7C], Half::F16), Some(1));
        assert_eq!(
            first_non_finite(&[0, 0x7F, 0x80, 0xFF], Half::Bf16),
            Some(1)
        );
        assert_eq!(first_non_finite(&[0xFF, 0x7B], Half::F16), None);
    }

    proptest! {
        #[test]
        fn error_bound_and_parallel(x in proptest::collection::vec(-7e4f32..7e4, 1..200), big in any::<bool>()) {
            for k in [Half::F16, Half::Bf16] {
                let x: Vec<f32> = if big { x.iter().cycle().take(PAR_MIN_ELEMS + 3).copied().collect() } else { x.clone() };
                let q = quantize(&x, k).unwrap();
                let d = dequantize(&q, k, x.len()).unwrap();
                let rel = if k == Half::F16 { 2f32.powi(-11) } else { 2f32.powi(-8) };
                for (i, (a, b)) in x.iter().zip(&d).enumerate() {
                    let bound = if k == Half::F16 && a.abs() > 65504.0 {
                        a.abs() - 65504.0 // saturated
                    } else {
                        a.abs() * rel + 2f32.powi(-25)
                    };
                    prop_assert!((a - b).abs() <= bound, "{:?} x={} dq={}", k, a, b);
                    prop_assert_eq!(q[2 * i..2 * i + 2].to_vec(), k.encode(*a).to_le_bytes().to_vec());
                }
            }
        }
    }
}
