//! ggml `Q5_0`: 32-value blocks, one f16 scale, 5-bit codes with offset 16.
//!
//! Block layout (22 bytes): `d` f16 LE (2 bytes); `qh` (4 bytes, a u32 LE
//! whose bit `i` is bit 4 of element `i`'s code); `qs` (16 bytes), byte `j`
//! holding the low 4 bits of element `j` in its low nibble and of element
//! `j + 16` in its high nibble.
//!
//! Encode (as gguf-py `quants.py` `Q5_0.quantize_blocks`): `max` is the value
//! (with sign) of the first element of largest |x|; `d = f32(max / -16)`,
//! `id = d == 0 ? 0 : f32(1 / d)`; `q = trunc(f32(f64(x) * f64(id) + 16.5))`
//! clipped to 0..31 (the f64 step emulates ggml's FMA). Decode:
//! `x = f32(d_f16) * (q - 16)`.
//!
//! Lengths that are not a multiple of 32 are zero-padded to a whole block.

use half::f16;

use super::common::{
    check_finite, check_packed_len, decode_blocks, encode_blocks, encode_runs_checked,
};
use super::ggml_q4_0::{fma_code, signed_absmax};
use crate::Result;

/// Values per block.
pub const BLOCK_ELEMS: usize = 32;
/// Bytes per block.
pub const BLOCK_BYTES: usize = 22;

/// Quantizes `x` to packed Q5_0 blocks ([`BLOCK_BYTES`] per 32 values, the
/// last block zero-padded).
///
/// # Errors
/// [`crate::TensorError::NonFinite`] naming the first NaN or infinity.
pub fn quantize(x: &[f32]) -> Result<Vec<u8>> {
    #[cfg(target_arch = "x86_64")]
    if super::encode_avx2::has_encode_simd() {
        return encode_runs_checked(x, BLOCK_ELEMS, BLOCK_BYTES, |xs, o| {
            // SAFETY: the CPU supports AVX2, FMA and F16C (checked above)
            unsafe { super::encode_avx2::q5_0_blocks(xs, o) }
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

/// Encodes one block of 32 finite values into its 22 bytes (also the AVX2
/// kernel's path for blocks whose `1 / d` overflows).
pub(crate) fn encode_block(x: &[f32], out: &mut [u8]) {
    let max = signed_absmax(x);
    let d = max / -16.0;
    let id = if d == 0.0 { 0.0 } else { 1.0 / d };
    out[..2].copy_from_slice(&f16::from_f32(d).to_le_bytes());
    let mut q = [0u8; 32];
    for (q, &v) in q.iter_mut().zip(x) {
        *q = fma_code(v, id, 16.5, 31.0, 16);
    }
    let mut qh = 0u32;
    for (i, &c) in q.iter().enumerate() {
        qh |= (((c >> 4) & 1) as u32) << i;
    }
    out[2..6].copy_from_slice(&qh.to_le_bytes());
    for j in 0..16 {
        out[6 + j] = (q[j] & 0x0F) | ((q[j + 16] & 0x0F) << 4);
    }
}

/// Decodes packed Q5_0 blocks back to `n` values.
pub fn dequantize(packed: &[u8], n: usize) -> Result<Vec<f32>> {
    check_packed_len("q5_0", packed.len(), n, BLOCK_ELEMS, BLOCK_BYTES)?;
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
    let qh = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
    for j in 0..16 {
        let lo = (b[6 + j] & 0x0F) as u32 | (((qh >> j) & 1) << 4);
        let hi = (b[6 + j] >> 4) as u32 | (((qh >> (j + 16)) & 1) << 4);
        o[j] = d * (lo as i32 - 16) as f32;
        o[j + 16] = d * (hi as i32 - 16) as f32;
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
        unsafe { super::decode_avx2::q5_0(b, o) };
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
        check_block_format_cases("q5_0", quantize, dequantize);
    }

    #[test]
    fn errors() {
        assert!(matches!(
            quantize(&[f32::NEG_INFINITY]),
            Err(crate::TensorError::NonFinite(_))
        ));
        assert!(dequantize(&[0u8; 21], 1).is_err());
    }

    proptest! {
        #[test]
        fn error_bound(x in proptest::collection::vec(-1e4f32..1e4, 1..200)) {
            let dq = dequantize(&quantize(&x).unwrap(), x.len()).unwrap();
            for (xs, ds) in x.chunks(32).zip(dq.chunks(32)) {
                let amax = crate::quant::common::absmax(xs);
                // step amax/16; the side opposite max is one step short (code 31)
                let d = amax / 16.0;
                let bound = d + amax * (1.0 / 1024.0) + 1e-30;
                for (a, b) in xs.iter().zip(ds) {
                    prop_assert!((a - b).abs() <= bound, "x={} dq={} bound={}", a, b, bound);
                }
            }
        }
    }
}
