//! ggml `Q4_1`: 32-value blocks, f16 scale and f16 minimum, 4-bit codes.
//!
//! Block layout (20 bytes): `d` f16 LE (2 bytes), `m` f16 LE (2 bytes), then
//! 16 bytes `qs`; byte `j` holds element `j` in its low nibble and element
//! `j + 16` in its high nibble.
//!
//! Encode (f32 arithmetic, rounding after every op, as gguf-py `quants.py`
//! `Q4_1.quantize_blocks`): `max`, `min` of the block; `d = (max - min) / 15`;
//! `id = d == 0 ? 0 : 1 / d`; `q = trunc((x - min) * id + 0.5)` clipped to
//! 0..15; `d` and `min` stored rounded to f16 (nearest-even).
//! Decode: `x = f32(d) * q + f32(m)` (a product then a sum, no FMA).
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
pub const BLOCK_BYTES: usize = 20;

#[inline(always)]
fn code(v: f32, min: f32, id: f32) -> u8 {
    // trunc, clip to 0..=15, NaN → 0: `clamp` keeps NaN and `as u8`
    // truncates toward zero and maps NaN to 0
    ((v - min) * id + 0.5).clamp(0.0, 15.0) as u8
}

/// Quantizes `x` to packed Q4_1 blocks ([`BLOCK_BYTES`] per 32 values, the
/// last block zero-padded).
///
/// # Errors
/// [`crate::TensorError::NonFinite`] naming the first NaN or infinity.
pub fn quantize(x: &[f32]) -> Result<Vec<u8>> {
    #[cfg(target_arch = "x86_64")]
    if super::encode_avx2::has_encode_simd() {
        return encode_runs_checked(x, BLOCK_ELEMS, BLOCK_BYTES, |xs, o| {
            // SAFETY: the CPU supports AVX2, FMA and F16C (checked above)
            unsafe { super::encode_avx2::q4_1_blocks(xs, o) }
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

/// Encodes one block of 32 finite values into its 20 bytes (also the AVX2
/// kernel's path for blocks its fast arithmetic does not cover).
pub(crate) fn encode_block(x: &[f32], out: &mut [u8]) {
    let mut max = x[0];
    let mut min = x[0];
    for &v in &x[1..] {
        if v > max {
            max = v;
        }
        if v < min {
            min = v;
        }
    }
    let d = (max - min) / 15.0;
    let id = if d == 0.0 { 0.0 } else { 1.0 / d };
    out[..2].copy_from_slice(&f16::from_f32(d).to_le_bytes());
    out[2..4].copy_from_slice(&f16::from_f32(min).to_le_bytes());
    for j in 0..16 {
        out[4 + j] = code(x[j], min, id) | (code(x[j + 16], min, id) << 4);
    }
}

/// Decodes packed Q4_1 blocks back to `n` values.
pub fn dequantize(packed: &[u8], n: usize) -> Result<Vec<f32>> {
    check_packed_len("q4_1", packed.len(), n, BLOCK_ELEMS, BLOCK_BYTES)?;
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
    let m = f16::from_le_bytes([b[2], b[3]]).to_f32();
    for j in 0..16 {
        o[j] = d * (b[4 + j] & 0x0F) as f32 + m;
        o[j + 16] = d * (b[4 + j] >> 4) as f32 + m;
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
        unsafe { super::decode_avx2::q4_1(b, o) };
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
        check_block_format_cases("q4_1", quantize, dequantize);
    }

    #[test]
    fn errors() {
        assert!(matches!(
            quantize(&[0.0, 0.0, f32::NAN]),
            Err(crate::TensorError::NonFinite(_))
        ));
        assert!(dequantize(&[0u8; 20], 33).is_err());
    }

    proptest! {
        #[test]
        fn error_bound(x in proptest::collection::vec(-1e4f32..1e4, 1..200)) {
            let dq = dequantize(&quantize(&x).unwrap(), x.len()).unwrap();
            for (i, (xs, ds)) in x.chunks(32).zip(dq.chunks(32)).enumerate() {
                // the padded last block also contains 0 in its range
                let mut lo = xs.iter().cloned().fold(f32::INFINITY, f32::min);
                let mut hi = xs.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
                if xs.len() < 32 { lo = lo.min(0.0); hi = hi.max(0.0); }
                let d = (hi - lo) / 15.0;
                // half a step, plus f16 rounding of d (x15) and of min
                let span = hi.abs().max(lo.abs());
                let bound = d * 0.5 + (hi - lo) * (1.0 / 1024.0) + span * (1.0 / 2048.0) + 1e-30;
                for (a, b) in xs.iter().zip(ds) {
                    prop_assert!((a - b).abs() <= bound, "block {} x={} dq={} bound={}", i, a, b, bound);
                }
            }
        }
    }
}
