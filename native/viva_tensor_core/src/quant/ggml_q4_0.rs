//! ggml `Q4_0`: 32-value blocks, one f16 scale, 4-bit codes with offset 8.
//!
//! Block layout (18 bytes): `d` as IEEE f16 little-endian (2 bytes), then 16
//! bytes `qs`; byte `j` holds element `j` in its low nibble and element
//! `j + 16` in its high nibble.
//!
//! Encode (as gguf-py `quants.py` `Q4_0.quantize_blocks`): `max` is the value
//! (with sign) of the first element of largest |x|; `d = f32(max / -8)`,
//! `id = d == 0 ? 0 : f32(1 / d)`; then, in f64 (emulating the FMA of ggml's
//! C reference), `t = f64(x) * f64(id) + 8.5`, rounded to f32, truncated, and
//! clipped to 0..15. `d` is stored rounded to f16 (nearest-even).
//! Decode: `x = f32(d_f16) * (q - 8)`.
//!
//! If `1/d` overflows (|max| below ~1e-38) the reference is undefined for
//! NaN products; we map NaN (0 · inf) to code 8 (zero).
//!
//! Lengths that are not a multiple of 32 are zero-padded to a whole block.

use half::f16;

use super::common::{
    check_finite, check_packed_len, decode_blocks, encode_blocks, encode_runs_checked,
};
use crate::Result;

/// Values per block.
pub const BLOCK_ELEMS: usize = 32;
/// Bytes per block.
pub const BLOCK_BYTES: usize = 18;

/// Value with largest magnitude (first one on ties), sign kept.
#[inline(always)]
pub(crate) fn signed_absmax(x: &[f32]) -> f32 {
    let mut best = 0f32;
    let mut amax = -1f32;
    for &v in x {
        if v.abs() > amax {
            amax = v.abs();
            best = v;
        }
    }
    best
}

/// ggml's "cursed" FMA-like rounding of Q4_0/Q5_0: `trunc(f32(f64(x)*f64(id) + bias))`
/// clipped to `0..=max`; NaN gives `zero_code`.
#[inline(always)]
pub(crate) fn fma_code(v: f32, id: f32, bias: f64, max: f32, zero_code: u8) -> u8 {
    let t = ((v as f64) * (id as f64) + bias) as f32;
    if t.is_nan() {
        return zero_code;
    }
    // `as u8` truncates toward zero, so this is `trunc(t)` clipped (a
    // negative t truncates to 0 either way) without a libm call
    t.clamp(0.0, max) as u8
}

/// Quantizes `x` to packed Q4_0 blocks ([`BLOCK_BYTES`] per 32 values, the
/// last block zero-padded).
///
/// # Errors
/// [`crate::TensorError::NonFinite`] naming the first NaN or infinity.
pub fn quantize(x: &[f32]) -> Result<Vec<u8>> {
    #[cfg(target_arch = "x86_64")]
    if super::encode_avx2::has_encode_simd() {
        return encode_runs_checked(x, BLOCK_ELEMS, BLOCK_BYTES, |xs, o| {
            // SAFETY: the CPU supports AVX2, FMA and F16C (checked above)
            unsafe { super::encode_avx2::q4_0_blocks(xs, o) }
        });
    }
    quantize_portable(x)
}

/// The portable encoder behind [`quantize`] (same bytes; used on CPUs
/// without AVX2 and by the tests of the AVX2 kernel).
pub(crate) fn quantize_portable(x: &[f32]) -> Result<Vec<u8>> {
    check_finite(x)?;
    Ok(encode_blocks(x, BLOCK_ELEMS, BLOCK_BYTES, encode_block).0)
}

/// Encodes one block of 32 finite values into its 18 bytes (also the AVX2
/// kernel's path for blocks its fast arithmetic does not cover).
pub(crate) fn encode_block(x: &[f32], out: &mut [u8]) {
    let max = signed_absmax(x);
    let d = max / -8.0;
    let id = if d == 0.0 { 0.0 } else { 1.0 / d };
    out[..2].copy_from_slice(&f16::from_f32(d).to_le_bytes());
    for j in 0..16 {
        let lo = fma_code(x[j], id, 8.5, 15.0, 8);
        let hi = fma_code(x[j + 16], id, 8.5, 15.0, 8);
        out[2 + j] = lo | (hi << 4);
    }
}

/// Decodes packed Q4_0 blocks back to `n` values.
pub fn dequantize(packed: &[u8], n: usize) -> Result<Vec<f32>> {
    check_packed_len("q4_0", packed.len(), n, BLOCK_ELEMS, BLOCK_BYTES)?;
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
    for j in 0..16 {
        o[j] = d * ((b[2 + j] & 0x0F) as i32 - 8) as f32;
        o[j + 16] = d * ((b[2 + j] >> 4) as i32 - 8) as f32;
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
        unsafe { super::decode_avx2::q4_0(b, o) };
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
        check_block_format_cases("q4_0", quantize, dequantize);
    }

    #[test]
    fn errors() {
        assert!(matches!(
            quantize(&[f32::INFINITY]),
            Err(crate::TensorError::NonFinite(_))
        ));
        assert!(dequantize(&[0u8; 17], 32).is_err());
    }

    proptest! {
        #[test]
        fn error_bound(x in proptest::collection::vec(-1e4f32..1e4, 1..200)) {
            let dq = dequantize(&quantize(&x).unwrap(), x.len()).unwrap();
            for (xs, ds) in x.chunks(32).zip(dq.chunks(32)) {
                let amax = crate::quant::common::absmax(xs);
                // step |d| = amax/8: error <= |d|/2 inside the range; the side
                // opposite `max` reaches +8|d| but only code 15 (7|d|) exists,
                // so the error there is up to |d|; plus f16 rounding of d.
                let d = amax / 8.0;
                let bound = d * 1.0 + amax * (1.0 / 1024.0) + 1e-30;
                for (a, b) in xs.iter().zip(ds) {
                    prop_assert!((a - b).abs() <= bound, "x={} dq={} bound={}", a, b, bound);
                }
            }
        }
    }
}
