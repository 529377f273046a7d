//! MXFP4 (OCP Microscaling v1.0) as ggml/gguf store it: 32 E2M1 values sharing
//! one E8M0 power-of-two scale.
//!
//! Block layout (17 bytes): the E8M0 exponent byte `e` FIRST, then 16 bytes
//! `qs`; byte `j` holds element `j`'s 4-bit code in its low nibble and element
//! `j + 16`'s in its high nibble. A code is an E2M1 value (see [`super::e2m1`]).
//!
//! Encode (as gguf-py `quants.py` `MXFP4.quantize_blocks`):
//! `amax = max|x|`; `e = amax > 0 ? floor(log2f(amax)) - 2 + 127 : 0` as u8,
//! where `log2f` is the float32 log2 (we compute it in f64 and round to f32,
//! i.e. a correctly rounded log2f; amax just below a power of two can thus
//! round up to it, as in the reference). `d = 2^(e - 128)` (ggml's
//! `e8m0_to_fp32_half`: half the E8M0 scale, since the kvalues are doubled).
//! Each element takes the code `k` minimising `|f32(d * K[k]) - x|` (in f32),
//! `K = [0,1,2,3,4,6,8,12,0,-1,-2,-3,-4,-6,-8,-12]`, the lowest `k` on ties
//! (so zero is always code 0, never 8). Decode: `x = f32(d * K[code])`.
//!
//! For amax below 2^-125 the reference's cast of a negative exponent to u8 is
//! undefined; we clamp `e` to 0.
//!
//! Lengths that are not a multiple of 32 are zero-padded to a whole block.

use super::common::{
    absmax, check_finite, check_packed_len, decode_blocks, encode_blocks, encode_runs_checked,
};
use super::e2m1::DOUBLED;
use crate::Result;

/// Values per block.
pub const BLOCK_ELEMS: usize = 32;
/// Bytes per block.
pub const BLOCK_BYTES: usize = 17;

/// ggml's `e8m0_to_fp32_half`: `2^(e - 128)` as an f32 (subnormal for e < 2).
pub fn e8m0_to_f32_half(e: u8) -> f32 {
    if e < 2 {
        f32::from_bits(0x0020_0000u32 << e)
    } else {
        f32::from_bits(((e as u32) - 1) << 23)
    }
}

/// The shared exponent byte for a block with largest magnitude `amax`.
pub fn shared_exponent(amax: f32) -> u8 {
    if amax > 0.0 {
        let l = ((amax as f64).log2() as f32).floor();
        (l - 2.0 + 127.0).clamp(0.0, 255.0) as u8
    } else {
        0
    }
}

/// Quantizes `x` to packed MXFP4 blocks ([`BLOCK_BYTES`] per 32 values, the
/// last block zero-padded).
///
/// # Errors
/// [`crate::TensorError::NonFinite`] naming the first NaN or infinity.
pub fn quantize(x: &[f32]) -> Result<Vec<u8>> {
    #[cfg(target_arch = "x86_64")]
    if super::encode_avx2::has_encode_simd() {
        return encode_runs_checked(x, BLOCK_ELEMS, BLOCK_BYTES, |xs, o| {
            // SAFETY: the CPU supports AVX2, FMA and F16C (checked above)
            unsafe { super::encode_avx2_fp4::mxfp4_blocks(xs, o) }
        });
    }
    quantize_portable(x)
}

/// The portable encoder behind [`quantize`] (same bytes; used on CPUs
/// without AVX2 and by the tests of the AVX2 kernel).
pub(crate) fn quantize_portable(x: &[f32]) -> Result<Vec<u8>> {
    check_finite(x)?;
    let k: [f32; 16] = DOUBLED.map(|v| v as f32);
    Ok(encode_blocks(x, BLOCK_ELEMS, BLOCK_BYTES, |x, out| {
        let e = shared_exponent(absmax(x));
        let d = e8m0_to_f32_half(e);
        let dk: [f32; 16] = k.map(|k| d * k);
        let code = |v: f32| -> u8 {
            let mut best = 0u8;
            let mut best_err = (dk[0] - v).abs();
            for (i, &c) in dk.iter().enumerate().skip(1) {
                let err = (c - v).abs();
                if err < best_err {
                    best_err = err;
                    best = i as u8;
                }
            }
            best
        };
        out[0] = e;
        for j in 0..16 {
            out[1 + j] = code(x[j]) | (code(x[j + 16]) << 4);
        }
    })
    .0)
}

/// Decodes packed MXFP4 blocks back to `n` values.
pub fn dequantize(packed: &[u8], n: usize) -> Result<Vec<f32>> {
    check_packed_len("mxfp4", packed.len(), n, BLOCK_ELEMS, BLOCK_BYTES)?;
    Ok(decode_blocks(
        packed,
        BLOCK_BYTES,
        BLOCK_ELEMS,
        n,
        |_, b, o| decode_run(b, o),
    ))
}

/// [`DOUBLED`] as f32, the table the AVX2 decoder looks codes up in (the
/// same values the scalar decoder converts one by one).
#[cfg(target_arch = "x86_64")]
const DOUBLED_F32: [f32; 16] = {
    let mut t = [0f32; 16];
    let mut i = 0;
    while i < 16 {
        t[i] = DOUBLED[i] as f32;
        i += 1;
    }
    t
};

/// Decodes one packed block `b` into its 32 values `o` (the kernel of
/// [`dequantize`], shared with `qmatmul`, so both decode bit-identically).
#[inline]
pub(crate) fn decode_block(b: &[u8], o: &mut [f32]) {
    let d = e8m0_to_f32_half(b[0]);
    for j in 0..16 {
        o[j] = d * DOUBLED[(b[1 + j] & 0x0F) as usize] as f32;
        o[j + 16] = d * DOUBLED[(b[1 + j] >> 4) as usize] as f32;
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
        unsafe { super::decode_avx2::mxfp4(b, o, &DOUBLED_F32) };
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
        check_block_format_cases("mxfp4", quantize, dequantize);
    }

    #[test]
    fn scale_helpers() {
        assert_eq!(e8m0_to_f32_half(127), 0.5);
        assert_eq!(e8m0_to_f32_half(128), 1.0);
        assert_eq!(e8m0_to_f32_half(0), 2f32.powi(-128));
        assert_eq!(e8m0_to_f32_half(1), 2f32.powi(-127));
        assert_eq!(shared_exponent(6.0), 127);
        assert_eq!(shared_exponent(0.0), 0);
        assert!(matches!(
            quantize(&[f32::NAN]),
            Err(crate::TensorError::NonFinite(_))
        ));
    }

    proptest! {
        #[test]
        fn error_bound(x in proptest::collection::vec(-1e4f32..1e4, 1..200)) {
            let dq = dequantize(&quantize(&x).unwrap(), x.len()).unwrap();
            for (xs, ds) in x.chunks(32).zip(dq.chunks(32)) {
                let amax = absmax(xs);
                // scale s = 2^(floor(log2 amax) - 2), amax < 8s: values up to 6s
                // err <= s (largest E2M1 gap 2s, halved); above 6s err <= amax - 6s < 2s.
                let s = 2f32.powf((amax as f64).log2().floor() as f32 - 2.0);
                let bound = 2.0 * s + 1e-30;
                for (a, b) in xs.iter().zip(ds) {
                    prop_assert!((a - b).abs() <= bound, "x={} dq={} bound={}", a, b, bound);
                }
            }
        }
    }
}
