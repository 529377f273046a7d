//! ggml `Q8_0`: 32-value blocks, one f16 scale, 32 signed bytes.
//!
//! Block layout (34 bytes): `d` as IEEE f16 little-endian (2 bytes), then
//! `qs[0..32]` as int8, element `j` in byte `2 + j`.
//!
//! Encode (f32 arithmetic, as gguf-py `quants.py` `Q8_0.quantize_blocks`, which
//! is bit-exact with `quantize_row_q8_0_ref` in ggml-quants.c):
//! `amax = max|x|`, `d = amax / 127`, `id = d == 0 ? 0 : 1 / d`,
//! `q = roundf(x * id)` with ties away from zero, `d` stored rounded to f16
//! (nearest-even). Decode: `x = q * f32(d_f16)`.
//!
//! Outside the reference's defined range, when `1/d` overflows (amax below
//! ~3.7e-37) the product may be ±inf or NaN; we clamp to [-127, 127] and map
//! NaN to 0 (numpy leaves that cast undefined).
//!
//! A length that is not a multiple of 32 is zero-padded to a whole last block;
//! [`dequantize`] returns exactly `n` values.

use half::f16;

use super::common::{
    check_finite, check_packed_len, decode_blocks, encode_blocks, encode_runs_checked,
};
use crate::Result;

/// Values per block.
pub const BLOCK_ELEMS: usize = 32;
/// Bytes per block.
pub const BLOCK_BYTES: usize = 34;

/// Quantizes `x` to packed Q8_0 blocks ([`BLOCK_BYTES`] per 32 values, the
/// last block zero-padded).
///
/// # Errors
/// [`crate::TensorError::NonFinite`] naming the first NaN or infinity.
pub fn quantize(x: &[f32]) -> Result<Vec<u8>> {
    #[cfg(target_arch = "x86_64")]
    if super::encode_avx2::has_encode_simd() {
        return encode_runs_checked(x, BLOCK_ELEMS, BLOCK_BYTES, |xs, o| {
            // SAFETY: the CPU supports AVX2, FMA and F16C (checked above)
            unsafe { super::encode_avx2::q8_0_blocks(xs, o) }
        });
    }
    quantize_portable(x)
}

/// The portable encoder behind [`quantize`] (same bytes; used on CPUs
/// without AVX2 and by the tests of the AVX2 kernel).
pub(crate) fn quantize_portable(x: &[f32]) -> Result<Vec<u8>> {
    check_finite(x)?;
    Ok(encode_blocks(x, BLOCK_ELEMS, BLOCK_BYTES, quantize_block).0)
}

#[inline(always)]
pub(crate) fn quantize_block(x: &[f32], out: &mut [u8]) {
    let amax = super::common::absmax(x);
    let d = amax / 127.0;
    let id = if d == 0.0 { 0.0 } else { 1.0 / d };
    out[..2].copy_from_slice(&f16::from_f32(d).to_le_bytes());
    for (o, &v) in out[2..].iter_mut().zip(x) {
        // ties away from zero, as C roundf; NaN (0 · inf) → 0
        let q = super::common::round_half_away(v * id).clamp(-127.0, 127.0);
        *o = (q as i8) as u8;
    }
}

/// Decodes packed Q8_0 blocks back to `n` values.
pub fn dequantize(packed: &[u8], n: usize) -> Result<Vec<f32>> {
    check_packed_len("q8_0", packed.len(), n, BLOCK_ELEMS, BLOCK_BYTES)?;
    Ok(decode_blocks(
        packed,
        BLOCK_BYTES,
        BLOCK_ELEMS,
        n,
        |_, b, o| decode_run(b, o),
    ))
}

/// Decodes one packed block `b` into its 32 values `o` (the kernel of
/// [`dequantize`], shared with `qmatmul`, so both decode bit-identically).
#[inline]
pub(crate) fn decode_block(b: &[u8], o: &mut [f32]) {
    let d = f16::from_le_bytes([b[0], b[1]]).to_f32();
    for (o, &q) in o.iter_mut().zip(&b[2..]) {
        *o = (q as i8) as f32 * d;
    }
}

/// Decodes whole packed blocks `b` (a multiple of [`BLOCK_BYTES`]) into `o`
/// ([`BLOCK_ELEMS`] values per block) with the AVX2 kernel where the CPU
/// has it, else block by block; bit-identical to [`decode_block`] either way.
pub(crate) fn decode_run(b: &[u8], o: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if super::qdot::has_avx2_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked above); the kernel
        // asserts the slice lengths.
        unsafe { super::decode_avx2::q8_0(b, o) };
        return;
    }
    for (b, o) in b
        .chunks_exact(BLOCK_BYTES)
        .zip(o.chunks_exact_mut(BLOCK_ELEMS))
    {
        decode_block(b, o);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::testutil::*;
    use proptest::prelude::*;

    #[test]
    fn reference_vectors_bit_exact() {
        check_block_format_cases("q8_0", quantize, dequantize);
    }

    #[test]
    fn errors() {
        assert!(
            matches!(quantize(&[1.0, f32::NAN]), Err(crate::TensorError::NonFinite(m)) if m.contains("index 1"))
        );
        assert!(dequantize(&[0u8; 33], 32).is_err());
    }

    #[test]
    fn padding_and_zero_block() {
        let x = [1.0f32, -2.0, 3.0];
        let q = quantize(&x).unwrap();
        assert_eq!(q.len(), BLOCK_BYTES);
        let dq = dequantize(&q, 3).unwrap();
        assert_eq!(dq.len(), 3);
        let z = dequantize(&quantize(&[0.0; 40]).unwrap(), 40).unwrap();
        assert!(z.iter().all(|v| *v == 0.0));
    }

    proptest! {
        #[test]
        fn error_bound(x in proptest::collection::vec(-1e4f32..1e4, 1..200)) {
            let dq = dequantize(&quantize(&x).unwrap(), x.len()).unwrap();
            for (b, (xs, ds)) in x.chunks(32).zip(dq.chunks(32)).enumerate() {
                let amax = crate::quant::common::absmax(xs);
                // |err| <= d/2 with d = amax/127, plus the f16 rounding of d
                // (relative 2^-11, times |q| <= 127 ... ) and f32 rounding.
                let d = amax / 127.0;
                let bound = d * 0.5 + amax * (1.0 / 2048.0) * 1.01 + 1e-30;
                for (a, b2) in xs.iter().zip(ds) {
                    prop_assert!((a - b2).abs() <= bound, "block {} x={} dq={} bound={}", b, a, b2, bound);
                }
            }
        }
    }
}
