//! Decoding part of a quantized tensor: the flat elements `start .. end` of
//! any [`QuantizedTensor`], for kernels that must not materialize the whole
//! f32 tensor (`qmatmul` decodes one band of weight rows at a time).
//!
//! Every format's blocks run over the *flattened* row-major order, so a block
//! may cross a row boundary when a row's length is not a multiple of the
//! block size. Decoding by flat range handles that exactly: the blocks that
//! overlap the range are decoded and only the requested elements are kept.
//! Each element is computed with the same code as the format's `dequantize`
//! (the per-block decoders are shared), so the values are bit-identical.

use super::{
    float16, fp8_scaled, ggml_q4_0, ggml_q4_1, ggml_q5_0, ggml_q8_0, int8, mxfp4, nf4, nf4_dq,
    nvfp4, QuantFormat, QuantPayload, QuantizedTensor,
};
use crate::{Result, TensorError};

/// Writes the flat elements `start .. start + out.len()` of `q` into `out`.
///
/// Errors: `OutOfBounds` when the range passes the end of the tensor;
/// `Internal` if the payload does not match the format (a broken invariant).
pub fn decode_range(q: &QuantizedTensor, start: usize, out: &mut [f32]) -> Result<()> {
    start
        .checked_add(out.len())
        .filter(|&e| e <= q.numel())
        .ok_or_else(|| {
            TensorError::out_of_bounds(format!(
                "decode range {start}..+{} outside {} elements",
                out.len(),
                q.numel()
            ))
        })?;
    match (q.format(), q.payload()) {
        (QuantFormat::Int8(g), QuantPayload::Int8(p)) => {
            int8::decode_range(p, q.shape(), g, start, out)
        }
        (QuantFormat::Q8_0, QuantPayload::Blocks(b)) => {
            fixed::<32>(b, ggml_q8_0::BLOCK_BYTES, start, out, ggml_q8_0::decode_run);
            Ok(())
        }
        (QuantFormat::Q4_0, QuantPayload::Blocks(b)) => {
            fixed::<32>(b, ggml_q4_0::BLOCK_BYTES, start, out, ggml_q4_0::decode_run);
            Ok(())
        }
        (QuantFormat::Q4_1, QuantPayload::Blocks(b)) => {
            fixed::<32>(b, ggml_q4_1::BLOCK_BYTES, start, out, ggml_q4_1::decode_run);
            Ok(())
        }
        (QuantFormat::Q5_0, QuantPayload::Blocks(b)) => {
            fixed::<32>(b, ggml_q5_0::BLOCK_BYTES, start, out, ggml_q5_0::decode_run);
            Ok(())
        }
        (QuantFormat::Mxfp4, QuantPayload::Blocks(b)) => {
            fixed::<32>(b, mxfp4::BLOCK_BYTES, start, out, mxfp4::decode_run);
            Ok(())
        }
        (QuantFormat::Nvfp4, QuantPayload::Nvfp4(p)) => {
            let (g, bb) = (p.global_scale, nvfp4::BLOCK_BYTES);
            spans::<16>(start, out, |bi, o| {
                nvfp4::decode_block(&p.codes[bi * bb..(bi + 1) * bb], p.scales[bi], g, o)
            });
            Ok(())
        }
        (QuantFormat::Nf4 { block_size }, QuantPayload::Nf4(p)) => {
            nf4_spans(&p.codes, block_size, start, out, |j| p.absmax[j]);
            Ok(())
        }
        (QuantFormat::Nf4Dq { block_size, .. }, QuantPayload::Nf4Dq(p)) => {
            nf4_spans(&p.codes, block_size, start, out, |j| {
                nf4_dq::block_absmax(p, j)
            });
            Ok(())
        }
        (f, QuantPayload::Fp8(p)) if f.fp8_kind().is_some() => {
            let kind = f.fp8_kind().unwrap_or(fp8_scaled::Fp8Kind::E4m3fn);
            fp8_scaled::decode_range(p, kind, start, out);
            Ok(())
        }
        (f, QuantPayload::Blocks(b)) if f.half_kind().is_some() => {
            let kind = f.half_kind().unwrap_or(float16::Half::F16);
            float16::decode_range(b, kind, start, out);
            Ok(())
        }
        _ => Err(TensorError::Internal(
            "quantized payload does not match its format".into(),
        )),
    }
}

/// Blocks of `B` values stored in `bpb` bytes each, decoded by `run` (which
/// takes any number of whole blocks): the whole blocks inside the range in
/// one call (one vector kernel call for a band row, not one per block), the
/// partial blocks at either end one at a time through [`spans`].
fn fixed<const B: usize>(
    packed: &[u8],
    bpb: usize,
    start: usize,
    out: &mut [f32],
    run: fn(&[u8], &mut [f32]),
) {
    let one = |bi: usize, o: &mut [f32]| run(&packed[bi * bpb..(bi + 1) * bpb], o);
    let end = start + out.len();
    let (first, last) = (start.div_ceil(B), end / B);
    if first >= last {
        spans::<B>(start, out, one);
        return;
    }
    let (head, rest) = out.split_at_mut(first * B - start);
    let (mid, tail) = rest.split_at_mut((last - first) * B);
    spans::<B>(start, head, one);
    run(&packed[first * bpb..last * bpb], mid);
    spans::<B>(last * B, tail, one);
}

/// Calls `dec(block_index, values)` for every `B`-block overlapping
/// `start .. start + out.len()`: whole blocks straight into `out`, the partial
/// ones at either end through a stack buffer.
fn spans<const B: usize>(start: usize, out: &mut [f32], mut dec: impl FnMut(usize, &mut [f32])) {
    let end = start + out.len();
    let mut pos = start;
    let mut tmp = [0f32; B];
    while pos < end {
        let bi = pos / B;
        let lo = pos - bi * B;
        let hi = (end - bi * B).min(B);
        let dst = &mut out[pos - start..pos - start + (hi - lo)];
        if lo == 0 && hi == B {
            dec(bi, dst);
        } else {
            dec(bi, &mut tmp);
            dst.copy_from_slice(&tmp[lo..hi]);
        }
        pos += hi - lo;
    }
}

/// NF4 codes (two per byte, element `2i` in the high nibble) in blocks of
/// `bs` with absmax `absmax(block)`. Blocks can be large (any even size), so
/// a partial block is decoded pair by pair rather than through a buffer.
fn nf4_spans(
    codes: &[u8],
    bs: usize,
    start: usize,
    out: &mut [f32],
    absmax: impl Fn(usize) -> f32,
) {
    let end = start + out.len();
    let mut pos = start;
    while pos < end {
        let bi = pos / bs;
        let a = absmax(bi);
        let stop = ((bi + 1) * bs).min(end);
        // odd first element: the low nibble of its byte
        if pos % 2 == 1 {
            let mut pair = [0f32; 2];
            nf4::decode_pairs(&codes[pos / 2..pos / 2 + 1], a, &mut pair);
            out[pos - start] = pair[1];
            pos += 1;
        }
        let pairs = (stop - pos) / 2;
        let dst = &mut out[pos - start..pos - start + 2 * pairs];
        nf4::decode_pairs(&codes[pos / 2..pos / 2 + pairs], a, dst);
        pos += 2 * pairs;
        if pos < stop {
            // one element left: the high nibble of its byte
            let mut pair = [0f32; 2];
            nf4::decode_pairs(&codes[pos / 2..pos / 2 + 1], a, &mut pair);
            out[pos - start] = pair[0];
            pos += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use crate::quant::qmatmul::tests::all_formats as formats;

    proptest! {
        #[test]
        fn any_range_is_bit_identical_to_dequantize(
            rows in 1usize..6, cols in 1usize..90, seed in 0u64..1000,
            a in 0usize..1000, b in 0usize..1000,
        ) {
            let n = rows * cols;
            let x: Vec<f32> = (0..n)
                .map(|i| (((i as u64 * 2654435761 + seed) % 2000) as f32 - 1000.0) / 97.0)
                .collect();
            let (lo, hi) = ((a % (n + 1)).min(b % (n + 1)), (a % (n + 1)).max(b % (n + 1)));
            for f in formats() {
                let q = QuantizedTensor::quantize(&x, &[rows, cols], f).unwrap();
                let full = q.dequantize();
                let mut part = vec![f32::NAN; hi - lo];
                decode_range(&q, lo, &mut part).unwrap();
                for (i, (p, e)) in part.iter().zip(&full[lo..hi]).enumerate() {
                    prop_assert_eq!(p.to_bits(), e.to_bits(), "{:?} element {}", f, lo + i);
                }
            }
        }
    }

    #[test]
    fn range_past_the_end_is_an_error() {
        let q = QuantizedTensor::quantize(&[1.0; 40], &[40], QuantFormat::Q8_0).unwrap();
        let mut out = [0f32; 5];
        assert!(matches!(
            decode_range(&q, 36, &mut out),
            Err(TensorError::OutOfBounds(_))
        ));
        assert!(decode_range(&q, 35, &mut out).is_ok());
    }
}
