//! NF4 (bitsandbytes 4-bit NormalFloat), blockwise absmax scaling.
//!
//! Layout: `codes` holds two 4-bit codes per byte, element `2i` in the HIGH
//! nibble (bits 7–4) and element `2i + 1` in the low nibble; `absmax` holds one
//! f32 per block (the block's max |x|). Blocks run over the flattened
//! row-major order; the default block is 64 values (any even size is allowed).
//!
//! Encode (bitsandbytes 0.50 CPU, `quantize_4bit(quant_type='nf4')`; f32
//! arithmetic rounding after every op):
//! `r = f32(1 / max(absmax, f32(1e-38)))`, `s = clamp(f32(x * r), -1, 1)`; with
//! midpoints `m_i = f32(f32(L[i] + L[i+1]) / 2)` the code is the number of
//! `m_i` strictly below `s` (nearest level; exactly on a midpoint → lower).
//! Decode: `x = f32(L[code] * absmax)`.
//! An all-zero block has absmax 0, codes 7 (level 0.0) and decodes to +0.0
//! (bitsandbytes' CUDA kernel codes it 0 instead; we follow the CPU path).
//!
//! A length that is not a multiple of the block size is zero-padded to a
//! whole last block (padding does not change that block's absmax).

use super::common::{
    absmax, check_finite, check_packed_len, check_side_len, decode_blocks, encode_blocks,
    encode_runs_checked_side, n_blocks,
};
use crate::{Result, TensorError};

/// Default block size (bitsandbytes' default for `quantize_4bit`).
pub const DEFAULT_BLOCK: usize = 64;

/// The 16 NF4 levels, ascending, level `i` for code `i`, exactly as
/// bitsandbytes' `get_4bit_type('nf4')` table rounded to f32.
pub const LEVELS: [f32; 16] = [
    -1.0,
    -0.696_192_8,
    -0.525_073_05,
    -0.394_917_5,
    -0.284_441_38,
    -0.184_773_43,
    -0.091_050_036,
    0.0,
    0.079_580_3,
    0.160_930_2,
    0.246_112_3,
    0.337_915_24,
    0.440_709_83,
    0.562_617,
    0.722_956_84,
    1.0,
];

/// The 15 decision midpoints `f32(f32(L[i] + L[i+1]) / 2)`.
pub fn midpoints() -> [f32; 15] {
    let mut m = [0f32; 15];
    for (i, v) in m.iter_mut().enumerate() {
        *v = (LEVELS[i] + LEVELS[i + 1]) / 2.0;
    }
    m
}

/// The smallest absmax used for the reciprocal: f32(1e-38), the subnormal
/// with bits 0x006CE3EE.
pub const MIN_ABSMAX: f32 = 1e-38;

/// NF4-quantized values.
#[derive(Debug, Clone, PartialEq)]
pub struct Nf4Quantized {
    /// Values per block (even).
    pub block_size: usize,
    /// Packed codes, `ceil(n / block_size) * block_size / 2` bytes.
    pub codes: Vec<u8>,
    /// One absmax per block.
    pub absmax: Vec<f32>,
}

/// Checks an NF4 block size: even and between 2 and 2^24.
pub fn check_block_size(block_size: usize) -> Result<()> {
    if block_size < 2 || block_size & 1 != 0 || block_size > 1 << 24 {
        return Err(TensorError::invalid_argument(format!(
            "nf4 block size must be even and in 2..=2^24, got {block_size}"
        )));
    }
    Ok(())
}

/// Code of a scaled value `s` (already in [-1, 1]).
#[inline]
pub fn code_of(s: f32, mids: &[f32; 15]) -> u8 {
    mids.iter().filter(|&&m| m < s).count() as u8
}

/// Encodes one full block into `out` (block/2 bytes); returns its absmax.
pub(crate) fn encode_block(x: &[f32], out: &mut [u8], mids: &[f32; 15]) -> f32 {
    let a = absmax(x);
    let r = 1.0 / a.max(MIN_ABSMAX);
    let code = |v: f32| code_of((v * r).clamp(-1.0, 1.0), mids);
    for (o, pair) in out.iter_mut().zip(x.chunks_exact(2)) {
        *o = (code(pair[0]) << 4) | code(pair[1]);
    }
    a
}

/// Quantizes `x` with NF4 in blocks of `block_size`.
///
/// # Errors
/// An invalid block size, or [`TensorError::NonFinite`] naming the first NaN
/// or infinity.
pub fn quantize(x: &[f32], block_size: usize) -> Result<Nf4Quantized> {
    check_block_size(block_size)?;
    let (codes, absmax) = encode_codes(x, block_size)?;
    Ok(Nf4Quantized {
        block_size,
        codes,
        absmax,
    })
}

/// The first-level NF4 encode (packed codes and one absmax per block), shared
/// with [`super::nf4_dq`]: the AVX2 kernel where the CPU and block size allow
/// it, else [`encode_codes_portable`] (same bytes). `block_size` must have
/// passed [`check_block_size`].
pub(crate) fn encode_codes(x: &[f32], block_size: usize) -> Result<(Vec<u8>, Vec<f32>)> {
    #[cfg(target_arch = "x86_64")]
    if super::encode_avx2::has_encode_simd()
        && super::encode_avx2_nf4::nf4_block_supported(block_size)
    {
        return encode_runs_checked_side(x, block_size, block_size / 2, |xs, o, a| {
            // SAFETY: the CPU supports AVX2, FMA and F16C (checked above)
            unsafe { super::encode_avx2_nf4::nf4_blocks(xs, block_size, o, a) }
        });
    }
    encode_codes_portable(x, block_size)
}

/// The portable first-level encoder (used on CPUs without AVX2, for block
/// sizes the kernel does not handle, and by the kernel's tests).
pub(crate) fn encode_codes_portable(x: &[f32], block_size: usize) -> Result<(Vec<u8>, Vec<f32>)> {
    check_finite(x)?;
    let mids = midpoints();
    Ok(encode_blocks(x, block_size, block_size / 2, |b, o| {
        encode_block(b, o, &mids)
    }))
}

/// [`quantize`] through the portable encoder only (same result; the
/// reference the AVX2 kernel is tested against).
#[cfg(test)]
pub(crate) fn quantize_portable(x: &[f32], block_size: usize) -> Result<Nf4Quantized> {
    check_block_size(block_size)?;
    let (codes, absmax) = encode_codes_portable(x, block_size)?;
    Ok(Nf4Quantized {
        block_size,
        codes,
        absmax,
    })
}

/// Decodes packed codes with one (possibly reconstructed) absmax per block.
pub(crate) fn decode_with_absmax(
    codes: &[u8],
    absmax: &[f32],
    block_size: usize,
    n: usize,
) -> Vec<f32> {
    let bb = block_size / 2;
    decode_blocks(codes, bb, block_size, n, |i, b, o| {
        for (j, (b, o)) in b
            .chunks_exact(bb)
            .zip(o.chunks_exact_mut(block_size))
            .enumerate()
        {
            decode_pairs(b, absmax[i + j], o);
        }
    })
}

/// Decodes packed code bytes `b` of one block with absmax `a` into
/// `2 * b.len()` values `o` (also used by `qmatmul` on partial blocks, so
/// both decode bit-identically).
#[inline]
pub(crate) fn decode_pairs(b: &[u8], a: f32, o: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if b.len() >= 8 && super::qdot::has_avx2_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked above); the kernel
        // asserts `o.len() == 2 * b.len()`.
        unsafe { super::decode_avx2::nibble_pairs(b, a, &LEVELS, true, o) };
        return;
    }
    for (pair, &byte) in o.chunks_exact_mut(2).zip(b) {
        pair[0] = LEVELS[(byte >> 4) as usize] * a;
        pair[1] = LEVELS[(byte & 0x0F) as usize] * a;
    }
}

/// Decodes `n` values.
pub fn dequantize(q: &Nf4Quantized, n: usize) -> Result<Vec<f32>> {
    check_block_size(q.block_size)?;
    check_packed_len(
        "nf4 codes",
        q.codes.len(),
        n,
        q.block_size,
        q.block_size / 2,
    )?;
    check_side_len("nf4 absmax", q.absmax.len(), n_blocks(n, q.block_size))?;
    Ok(decode_with_absmax(&q.codes, &q.absmax, q.block_size, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::testutil::*;
    use proptest::prelude::*;

    #[test]
    fn levels_match_reference_code_table() {
        assert_bits_eq("nf4/code.f32", &LEVELS, &read_f32("nf4", "code.f32"));
        assert_eq!(MIN_ABSMAX.to_bits(), 0x006C_E3EE);
    }

    #[test]
    fn reference_vectors_bit_exact() {
        for case in CASES {
            let x = read_f32("nf4", &format!("{case}.in.f32"));
            let q = quantize(&x, 64).unwrap();
            assert_bytes_eq(
                &format!("nf4/{case}.q.bin"),
                &q.codes,
                &read_bytes("nf4", &format!("{case}.q.bin")),
            );
            assert_bits_eq(
                &format!("nf4/{case}.absmax.f32"),
                &q.absmax,
                &read_f32("nf4", &format!("{case}.absmax.f32")),
            );
            let dq = dequantize(&q, x.len()).unwrap();
            assert_bits_eq(
                &format!("nf4/{case}.dq.f32"),
                &dq,
                &read_f32("nf4", &format!("{case}.dq.f32")),
            );
        }
    }

    #[test]
    fn errors_and_padding() {
        assert!(quantize(&[1.0], 3).is_err());
        assert!(quantize(&[1.0], 0).is_err());
        assert!(matches!(
            quantize(&[1.0, f32::NAN], 64),
            Err(TensorError::NonFinite(_))
        ));
        let q = quantize(&[1.0, -0.5, 0.25], 64).unwrap();
        assert_eq!(q.codes.len(), 32);
        assert_eq!(dequantize(&q, 3).unwrap().len(), 3);
        assert!(dequantize(&q, 65).is_err());
    }

    proptest! {
        #[test]
        fn error_bound(x in proptest::collection::vec(-1e4f32..1e4, 1..300), bs in prop::sample::select(vec![2usize, 16, 64, 128])) {
            let q = quantize(&x, bs).unwrap();
            let dq = dequantize(&q, x.len()).unwrap();
            // nearest level: error <= half the widest level gap (0.3038/2 of absmax)
            let gap = LEVELS.windows(2).map(|w| w[1] - w[0]).fold(0f32, f32::max);
            for (xs, (ds, a)) in x.chunks(bs).zip(dq.chunks(bs).zip(&q.absmax)) {
                let bound = a * (gap * 0.5 + 1e-5);
                for (v, d) in xs.iter().zip(ds) {
                    prop_assert!((v - d).abs() <= bound, "x={} dq={} bound={}", v, d, bound);
                }
            }
        }
    }
}
