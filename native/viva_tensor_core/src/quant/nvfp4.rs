//! NVFP4 as compressed-tensors packs it: 16-value blocks of FP4 E2M1 codes, one
//! float8 E4M3FN scale per block, one f32 global scale per tensor.
//!
//! Layout:
//! - `codes`: two E2M1 codes per byte, element `2i` in the LOW nibble (bits
//!   3–0), element `2i + 1` in the high nibble (see [`super::e2m1`]).
//! - `scales`: one E4M3FN byte per 16-block (see [`super::fp8`]).
//! - `global_scale`: one f32; it divides: a block's effective scale is
//!   `e = f32(S / global_scale)`, `S` the block's decoded E4M3 value.
//!
//! Encode (compressed-tensors 0.20 NVFP4 on CPU; f32 arithmetic with rounding
//! after every op): `amax = max(max|x| over the tensor, 2^-126)`;
//! `global_scale = f32(f32(1 / amax) * 2688)` (2688 = 448·6), replaced by 1.0
//! if not finite. Per block: `s = f32(f32(bmax / 6) * global_scale)`;
//! `S = e4m3fn(min(s, 448))` nearest-even, a zero `S` becomes 0.125 (0x20);
//! `v = clamp(f32(x / e), -6, 6)` rounded to E2M1 by
//! [`super::e2m1::encode_rne`] (sign bit set when `v < 0`).
//! Decode: `x = f32(value(code) * e)` (code 8 gives -0.0). compressed-tensors'
//! own decompress returns bf16 by default; that is this value rounded to bf16.
//!
//! A length that is not a multiple of 16 is zero-padded to a whole last block.

use super::common::{
    absmax, check_finite, check_packed_len, check_side_len, decode_blocks, encode_blocks,
    encode_runs_checked_side, n_blocks, tensor_abs_bits_max,
};
use super::{e2m1, fp8};
use crate::Result;

/// Values per block.
pub const BLOCK_ELEMS: usize = 16;
/// Packed code bytes per block.
pub const BLOCK_BYTES: usize = 8;
/// E4M3 byte that replaces a zero block scale (0.125).
pub const ZERO_SCALE_BYTE: u8 = 0x20;

/// NVFP4-quantized values.
#[derive(Debug, Clone, PartialEq)]
pub struct Nvfp4Quantized {
    /// Packed E2M1 codes (8 bytes per block).
    pub codes: Vec<u8>,
    /// One E4M3FN scale byte per block.
    pub scales: Vec<u8>,
    /// The per-tensor global scale (divides).
    pub global_scale: f32,
}

/// The global scale for a tensor whose largest magnitude is `amax`.
pub fn global_scale(amax: f32) -> f32 {
    let a = amax.max(f32::MIN_POSITIVE);
    let g = (1.0 / a) * 2688.0;
    if g.is_finite() {
        g
    } else {
        1.0
    }
}

/// Quantizes `x` to NVFP4.
///
/// # Errors
/// [`crate::TensorError::NonFinite`] naming the first NaN or infinity.
pub fn quantize(x: &[f32]) -> Result<Nvfp4Quantized> {
    #[cfg(target_arch = "x86_64")]
    if super::encode_avx2::has_encode_simd() {
        // one pass for the tensor maximum, which is also the finiteness
        // check (NaN/inf bit patterns lie above every finite |x|)
        let bits = tensor_abs_bits_max(x);
        if bits >= 0x7F80_0000 {
            check_finite(x)?;
        }
        let g = global_scale(f32::from_bits(bits));
        let (codes, scales) = encode_runs_checked_side(x, BLOCK_ELEMS, BLOCK_BYTES, |xs, o, s| {
            // SAFETY: the CPU supports AVX2, FMA and F16C (checked above)
            unsafe { super::encode_avx2_fp4::nvfp4_blocks(xs, g, o, s) }
        })?;
        return Ok(Nvfp4Quantized {
            codes,
            scales,
            global_scale: g,
        });
    }
    quantize_portable(x)
}

/// A block's E4M3 scale byte and effective scale `e` (the value its codes
/// are divided by), from its largest magnitude `bmax` and the global scale
/// `g`; shared by the portable and AVX2 encoders so both agree bit for bit.
#[inline]
pub(crate) fn block_scale(bmax: f32, g: f32) -> (u8, f32) {
    let s = (bmax / 6.0) * g;
    let mut sb = fp8::f32_to_e4m3fn(s.min(fp8::E4M3FN_MAX));
    if sb == 0 {
        sb = ZERO_SCALE_BYTE;
    }
    (sb, tables().0[sb as usize] / g)
}

/// The portable encoder behind [`quantize`] (same result; used on CPUs
/// without AVX2 and by the tests of the AVX2 kernel).
pub(crate) fn quantize_portable(x: &[f32]) -> Result<Nvfp4Quantized> {
    check_finite(x)?;
    let amax = super::common::tensor_absmax(x);
    let g = global_scale(amax);
    let (codes, scales) = encode_blocks(x, BLOCK_ELEMS, BLOCK_BYTES, |b, out| {
        let (sb, e) = block_scale(absmax(b), g);
        let code = |v: f32| e2m1::encode_rne(v / e);
        for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
            *o = code(pair[0]) | (code(pair[1]) << 4);
        }
        sb
    });
    Ok(Nvfp4Quantized {
        codes,
        scales,
        global_scale: g,
    })
}

/// Decodes `n` values.
pub fn dequantize(q: &Nvfp4Quantized, n: usize) -> Result<Vec<f32>> {
    check_packed_len("nvfp4 codes", q.codes.len(), n, BLOCK_ELEMS, BLOCK_BYTES)?;
    check_side_len("nvfp4 scales", q.scales.len(), n_blocks(n, BLOCK_ELEMS))?;
    let g = q.global_scale;
    Ok(decode_blocks(
        &q.codes,
        BLOCK_BYTES,
        BLOCK_ELEMS,
        n,
        |i, b, o| {
            for (j, (b, o)) in b
                .chunks_exact(BLOCK_BYTES)
                .zip(o.chunks_exact_mut(BLOCK_ELEMS))
                .enumerate()
            {
                decode_block(b, q.scales[i + j], g, o);
            }
        },
    ))
}

/// Decodes one block: its 8 code bytes `b`, E4M3 scale byte `scale` and the
/// tensor's global scale `g`, into 16 values `o` (the kernel of
/// [`dequantize`], shared with `qmatmul`, so both decode bit-identically).
#[inline]
pub(crate) fn decode_block(b: &[u8], scale: u8, g: f32, o: &mut [f32]) {
    let (e4m3, e2m1) = tables();
    let e = e4m3[scale as usize] / g;
    #[cfg(target_arch = "x86_64")]
    if super::qdot::has_avx2_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked above); the kernel
        // asserts `o.len() == 2 * b.len()`.
        unsafe { super::decode_avx2::nibble_pairs(b, e, e2m1, false, o) };
        return;
    }
    for (pair, &byte) in o.chunks_exact_mut(2).zip(b) {
        pair[0] = e2m1[(byte & 0x0F) as usize] * e;
        pair[1] = e2m1[(byte >> 4) as usize] * e;
    }
}

/// Every E4M3FN byte and every E2M1 code decoded once, by the codecs
/// themselves (so the values are identical); the decoder then indexes
/// instead of computing a power of two per block and a sign per element,
/// which made NVFP4 the slowest format to decode.
fn tables() -> &'static ([f32; 256], [f32; 16]) {
    static T: std::sync::OnceLock<([f32; 256], [f32; 16])> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        (
            std::array::from_fn(|i| fp8::e4m3fn_to_f32(i as u8)),
            std::array::from_fn(|i| e2m1::decode(i as u8)),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::testutil::*;
    use proptest::prelude::*;

    #[test]
    fn reference_vectors_bit_exact() {
        for case in CASES {
            let x = read_f32("nvfp4", &format!("{case}.in.f32"));
            let q = quantize(&x).unwrap();
            let f = |ext: &str| format!("nvfp4/{case}.{ext}");
            assert_bytes_eq(
                &f("q.bin"),
                &q.codes,
                &read_bytes("nvfp4", &format!("{case}.q.bin")),
            );
            assert_bytes_eq(
                &f("scales.e4m3"),
                &q.scales,
                &read_bytes("nvfp4", &format!("{case}.scales.e4m3")),
            );
            assert_bits_eq(
                &f("global_scale.f32"),
                &[q.global_scale],
                &read_f32("nvfp4", &format!("{case}.global_scale.f32")),
            );
            let dq = dequantize(&q, x.len()).unwrap();
            assert_bits_eq(
                &f("dq.f32"),
                &dq,
                &read_f32("nvfp4", &format!("{case}.dq.f32")),
            );
        }
    }

    #[test]
    fn edges() {
        let q = quantize(&[0.0; 20]).unwrap();
        assert_eq!(q.global_scale, 1.0);
        assert!(q.scales.iter().all(|&s| s == ZERO_SCALE_BYTE));
        assert_eq!(dequantize(&q, 20).unwrap(), vec![0.0; 20]);
        assert!(matches!(
            quantize(&[f32::NAN]),
            Err(crate::TensorError::NonFinite(_))
        ));
        assert!(dequantize(&q, 40).is_err());
    }

    proptest! {
        #[test]
        fn error_bound(x in proptest::collection::vec(-1e4f32..1e4, 1..300)) {
            let q = quantize(&x).unwrap();
            let dq = dequantize(&q, x.len()).unwrap();
            for (i, (xs, ds)) in x.chunks(16).zip(dq.chunks(16)).enumerate() {
                let e = fp8::e4m3fn_to_f32(q.scales[i]) / q.global_scale;
                let bmax = absmax(xs);
                // inside ±6e the E2M1 error is at most half the widest gap
                // (2 at the top, so e); values above 6e (the E4M3 scale rounded
                // down by up to 2^-4 relative) clip with error bmax - 6e.
                let bound = e.max(bmax - 6.0 * e) * 1.0001 + 1e-30;
                for (v, d) in xs.iter().zip(ds) {
                    prop_assert!((v - d).abs() <= bound, "x={} dq={} bound={}", v, d, bound);
                }
            }
        }
    }
}
