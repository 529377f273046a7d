//! Symmetric absmax int8 quantization with per-tensor, per-channel or
//! per-block scales.
//!
//! Layout: `q` holds one `i8` per element in the tensor's row-major order;
//! `scales` holds one f32 per group:
//! - [`Int8Granularity::PerTensor`]: one group, the whole tensor;
//! - [`Int8Granularity::PerChannel`]`{ axis }`: `shape[axis]` groups; element
//!   at flat index `i` belongs to channel `(i / inner) % shape[axis]`, with
//!   `inner` the product of the dimensions after `axis`;
//! - [`Int8Granularity::PerBlock`]`{ block_size }`: `ceil(n / block_size)`
//!   groups of consecutive elements in flat order (the last may be shorter; no
//!   padding is stored).
//!
//! Encode (f32): `scale = absmax(group) / 127`;
//! `q = clamp(round(x / scale), -127, 127)` where `round` is to nearest with
//! ties AWAY from zero (Rust's `f32::round`, C's `roundf`); a group whose
//! scale is 0 (all zeros, or absmax so tiny that /127 underflows) gets q = 0,
//! never NaN. Decode: `x = q * scale` (f32). |error| ≤ scale/2 plus f32
//! rounding; -128 is never produced.

use rayon::prelude::*;

use super::common::{absmax, check_finite, tensor_absmax, PAR_CHUNK, PAR_MIN_ELEMS};
use crate::{Result, TensorError};

/// How elements are grouped under one scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Int8Granularity {
    /// One scale for the whole tensor.
    PerTensor,
    /// One scale per index along `axis`.
    PerChannel {
        /// The channel axis (must be < rank).
        axis: usize,
    },
    /// One scale per `block_size` consecutive elements (flat order).
    PerBlock {
        /// Elements per block (> 0).
        block_size: usize,
    },
}

/// Int8-quantized values.
#[derive(Debug, Clone, PartialEq)]
pub struct Int8Quantized {
    /// One code per element.
    pub q: Vec<i8>,
    /// One scale per group.
    pub scales: Vec<f32>,
}

fn numel(shape: &[usize]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| TensorError::invalid_shape(format!("shape {shape:?} overflows usize")))
}

/// Maps flat indices to groups for a shape and granularity.
#[derive(Debug, Clone, Copy)]
struct Grouping {
    inner: usize,
    channels: usize,
    block: usize,
    mode: u8,
}

impl Grouping {
    fn new(shape: &[usize], g: Int8Granularity) -> Result<(Self, usize)> {
        let n = numel(shape)?;
        Ok(match g {
            Int8Granularity::PerTensor => (
                Grouping {
                    inner: 1,
                    channels: 1,
                    block: 1,
                    mode: 0,
                },
                1,
            ),
            Int8Granularity::PerChannel { axis } => {
                if axis >= shape.len() {
                    return Err(TensorError::invalid_argument(format!(
                        "int8 per-channel axis {axis} out of range for rank {}",
                        shape.len()
                    )));
                }
                let inner = numel(&shape[axis + 1..])?;
                let ch = shape[axis];
                (
                    Grouping {
                        inner,
                        channels: ch,
                        block: 1,
                        mode: 1,
                    },
                    ch,
                )
            }
            Int8Granularity::PerBlock { block_size } => {
                if block_size == 0 {
                    return Err(TensorError::invalid_argument("int8 block size must be > 0"));
                }
                (
                    Grouping {
                        inner: 1,
                        channels: 1,
                        block: block_size,
                        mode: 2,
                    },
                    n.div_ceil(block_size),
                )
            }
        })
    }

    #[inline]
    fn group(&self, i: usize) -> usize {
        match self.mode {
            0 => 0,
            1 => (i / self.inner) % self.channels,
            _ => i / self.block,
        }
    }
}

/// Number of scales `shape` and `g` need (validating both).
pub fn n_groups(shape: &[usize], g: Int8Granularity) -> Result<usize> {
    Grouping::new(shape, g).map(|(_, n)| n)
}

/// Quantizes `x` (row-major with `shape`) to int8.
pub fn quantize(x: &[f32], shape: &[usize], g: Int8Granularity) -> Result<Int8Quantized> {
    let (grp, ng) = checked_grouping(x, shape, g)?;
    let simd = simd_encode();
    #[cfg(target_arch = "x86_64")]
    if simd {
        if let Some(block) = contiguous_groups(shape, g, &grp) {
            if block > 0 && block.is_multiple_of(32) {
                return super::encode_avx2_int8::quantize_blocks(x, block);
            }
        }
    }
    quantize_grouped(x, &grp, ng, simd)
}

/// The grouping of `shape` under `g` and its group count, after checking
/// that `x` holds `numel(shape)` values. Errors: as [`quantize`].
fn checked_grouping(x: &[f32], shape: &[usize], g: Int8Granularity) -> Result<(Grouping, usize)> {
    let grouping = Grouping::new(shape, g)?;
    if x.len() != numel(shape)? {
        return Err(TensorError::ShapeMismatch {
            expected: shape.to_vec(),
            got: vec![x.len()],
        });
    }
    Ok(grouping)
}

/// The group length when every group is one run of consecutive elements in
/// flat order, in order: blocks, and channels of an axis with nothing but
/// size-1 dimensions before it (axis 0 of a weight `[out, in]`: one scale
/// per row), which are then blocks of `product(shape[axis + 1..])`. Those
/// go through the block kernel, which reads each group once while it is in
/// cache, instead of one pass for the maxima and another for the codes.
/// `None` for other groupings. `grp` is the grouping of `shape` under `g`.
#[cfg(target_arch = "x86_64")]
fn contiguous_groups(shape: &[usize], g: Int8Granularity, grp: &Grouping) -> Option<usize> {
    match g {
        Int8Granularity::PerBlock { block_size } => Some(block_size),
        Int8Granularity::PerChannel { axis } if shape[..axis].iter().all(|&d| d == 1) => {
            Some(grp.inner)
        }
        _ => None,
    }
}

/// [`quantize`] through the portable code only (the same result, which the
/// tests of the AVX2 kernels compare with; [`quantize`] takes this path on
/// CPUs without AVX2).
#[cfg(test)]
pub(crate) fn quantize_portable(
    x: &[f32],
    shape: &[usize],
    g: Int8Granularity,
) -> Result<Int8Quantized> {
    let (grp, ng) = checked_grouping(x, shape, g)?;
    quantize_grouped(x, &grp, ng, false)
}

/// The portable encoding of one block into `q`, returning its scale
/// (`absmax / 127`; a zero scale gives zero codes): the rule of the module
/// doc, for the blocks the AVX2 block kernel leaves to it (zero or
/// subnormal scales, the remainder after whole groups of 8).
#[cfg(target_arch = "x86_64")]
pub(crate) fn encode_block_portable(x: &[f32], q: &mut [i8]) -> f32 {
    let s = absmax(x) / 127.0;
    if s == 0.0 {
        q.fill(0);
    } else {
        for (o, &v) in q.iter_mut().zip(x) {
            *o = super::common::round_half_away(v / s).clamp(-127.0, 127.0) as i8;
        }
    }
    s
}

/// [`quantize`] by the generic path: the group maxima, then the codes run by
/// run (with the AVX2 element kernel when `simd`).
fn quantize_grouped(x: &[f32], grp: &Grouping, ng: usize, simd: bool) -> Result<Int8Quantized> {
    let n = x.len();
    let par = n >= PAR_MIN_ELEMS;
    let amax = group_absmax(x, grp, ng, par);
    // the maxima are taken over |x| bit patterns, so a NaN or an infinity
    // anywhere makes its group's maximum non-finite: one read of x checks
    // and scales at once
    if amax.iter().any(|a| !a.is_finite()) {
        check_finite(x)?;
    }
    let scales: Vec<f32> = amax.iter().map(|a| a / 127.0).collect();
    let mut q: Vec<i8> = crate::alloc::zeroed_vec(n);
    if par {
        q.par_chunks_mut(PAR_CHUNK)
            .enumerate()
            .for_each(|(i, o)| encode_runs(x, &scales, grp, i * PAR_CHUNK, o, simd));
    } else {
        encode_runs(x, &scales, grp, 0, &mut q, simd);
    }
    Ok(Int8Quantized { q, scales })
}

/// Decodes int8 values for `shape` and `g`.
pub fn dequantize(q: &Int8Quantized, shape: &[usize], g: Int8Granularity) -> Result<Vec<f32>> {
    let (grp, ng) = Grouping::new(shape, g)?;
    let n = numel(shape)?;
    if q.q.len() != n {
        return Err(TensorError::ShapeMismatch {
            expected: shape.to_vec(),
            got: vec![q.q.len()],
        });
    }
    super::common::check_side_len("int8 scales", q.scales.len(), ng)?;
    let mut out: Vec<f32> = crate::alloc::zeroed_vec(n);
    if n >= PAR_MIN_ELEMS {
        out.par_chunks_mut(PAR_MIN_ELEMS)
            .enumerate()
            .for_each(|(i, o)| decode_runs(q, &grp, i * PAR_MIN_ELEMS, o));
    } else {
        decode_runs(q, &grp, 0, &mut out);
    }
    Ok(out)
}

/// Decodes the flat elements `start .. start + out.len()` into `out`, with
/// the same arithmetic as [`dequantize`] (used by `qmatmul` to decode a band
/// of rows without materializing the whole tensor). The caller guarantees the
/// range lies inside the tensor and that `q` matches `shape` and `g`.
pub(crate) fn decode_range(
    q: &Int8Quantized,
    shape: &[usize],
    g: Int8Granularity,
    start: usize,
    out: &mut [f32],
) -> Result<()> {
    let (grp, _) = Grouping::new(shape, g)?;
    decode_runs(q, &grp, start, out);
    Ok(())
}

/// The largest |x| of every group (one per scale).
fn group_absmax(x: &[f32], grp: &Grouping, ng: usize, par: bool) -> Vec<f32> {
    match grp.mode {
        0 => vec![tensor_absmax(x)],
        1 => {
            // channel c holds the runs of `inner` elements at run index
            // r ≡ c (mod channels); a slab of `channels` runs covers each once
            let (inner, ch) = (grp.inner, grp.channels);
            let slab = inner * ch;
            if slab == 0 {
                return vec![0.0; ng];
            }
            let slab_max = |s: &[f32]| -> Vec<f32> { s.chunks(inner).map(absmax).collect() };
            // bit-pattern maximum, like `absmax`, so a NaN is kept (a float
            // `max` would drop it)
            let merge = |a: Vec<f32>, b: Vec<f32>| -> Vec<f32> {
                a.iter()
                    .zip(&b)
                    .map(|(p, q)| f32::from_bits(p.to_bits().max(q.to_bits())))
                    .collect()
            };
            if !par {
                x.chunks(slab).map(slab_max).fold(vec![0.0; ch], merge)
            } else if x.len() == slab {
                x.par_chunks(inner).map(absmax).collect()
            } else {
                x.par_chunks(slab)
                    .map(slab_max)
                    .reduce(|| vec![0.0; ch], merge)
            }
        }
        _ => {
            let mut amax = vec![0f32; ng];
            let f = |(a, c): (&mut f32, &[f32])| *a = absmax(c);
            if par {
                amax.par_iter_mut().zip(x.par_chunks(grp.block)).for_each(f);
            } else {
                amax.iter_mut().zip(x.chunks(grp.block)).for_each(f);
            }
            amax
        }
    }
}

/// Elements per run of one scale (`usize::MAX`: the whole tensor).
fn run_len(grp: &Grouping) -> usize {
    match grp.mode {
        0 => usize::MAX,
        1 => grp.inner.max(1),
        _ => grp.block,
    }
}

/// Calls `f(pos, stop, group)` for each run of consecutive elements in
/// `start..end` that share one scale (the tensor, a block, or `inner`
/// elements of one channel), so callers look the scale up once per run
/// instead of once per element.
#[inline(always)]
fn for_each_run(grp: &Grouping, start: usize, end: usize, mut f: impl FnMut(usize, usize, usize)) {
    let run = run_len(grp);
    let mut pos = start;
    while pos < end {
        let stop = if run == usize::MAX {
            end
        } else {
            ((pos / run + 1) * run).min(end)
        };
        f(pos, stop, grp.group(pos));
        pos = stop;
    }
}

/// Runs at least this long go through the AVX2 kernel (shorter ones, e.g.
/// per-channel scales along the last axis, stay in the scalar loop).
const SIMD_MIN_RUN: usize = 32;

/// Whether the AVX2 int8 kernel can run here.
#[inline]
fn simd_encode() -> bool {
    #[cfg(target_arch = "x86_64")]
    return super::encode_avx2::has_encode_simd();
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// `out[i] = clamp(round(x[start + i] / s), -127, 127)` with `s` the scale of
/// element `start + i` (0 when `s` is 0), one scale lookup per run; runs of
/// at least [`SIMD_MIN_RUN`] values through the AVX2 element kernel when
/// `simd` (which the caller sets only where [`simd_encode`] holds).
#[inline(always)]
fn encode_runs(
    x: &[f32],
    scales: &[f32],
    grp: &Grouping,
    start: usize,
    out: &mut [i8],
    simd: bool,
) {
    for_each_run(grp, start, start + out.len(), |pos, stop, g| {
        let s = scales[g];
        let dst = &mut out[pos - start..stop - start];
        if s == 0.0 {
            dst.fill(0);
        } else if SIMD_MIN_RUN <= dst.len() && simd {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `simd` is set only where simd_encode() verified the
            // CPU's AVX2, FMA and F16C
            unsafe {
                super::encode_avx2_dense::int8_run(&x[pos..stop], s, dst)
            }
        } else {
            for (o, &v) in dst.iter_mut().zip(&x[pos..stop]) {
                *o = super::common::round_half_away(v / s).clamp(-127.0, 127.0) as i8;
            }
        }
    });
}

/// `out[i] = q[start + i] · scale(start + i)`, each run of one scale with
/// the AVX2 kernel where the CPU has it (bit-identical: the same single
/// multiply per element).
fn decode_runs(q: &Int8Quantized, grp: &Grouping, start: usize, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    let avx2 = super::qdot::has_avx2_fma();
    for_each_run(grp, start, start + out.len(), |pos, stop, g| {
        let s = q.scales[g];
        let (dst, codes) = (&mut out[pos - start..stop - start], &q.q[pos..stop]);
        #[cfg(target_arch = "x86_64")]
        if avx2 {
            // SAFETY: the CPU supports AVX2 and FMA (checked above); the
            // kernel asserts the two slices have the same length.
            unsafe { super::decode_avx2::i8_scaled(codes, s, dst) };
            return;
        }
        for (o, &c) in dst.iter_mut().zip(codes) {
            *o = c as f32 * s;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn per_channel_axes() {
        // shape [2, 3]: channels along axis 0 are rows, along axis 1 columns
        let x = [1.0, -2.0, 0.5, 10.0, 0.0, -4.0];
        let q0 = quantize(&x, &[2, 3], Int8Granularity::PerChannel { axis: 0 }).unwrap();
        assert_eq!(q0.scales, vec![2.0 / 127.0, 10.0 / 127.0]);
        let q1 = quantize(&x, &[2, 3], Int8Granularity::PerChannel { axis: 1 }).unwrap();
        assert_eq!(q1.scales, vec![10.0 / 127.0, 2.0 / 127.0, 4.0 / 127.0]);
        assert_eq!(q1.q[3], 127);
        assert_eq!(q1.q[5], -127);
        let dq = dequantize(&q1, &[2, 3], Int8Granularity::PerChannel { axis: 1 }).unwrap();
        assert_eq!(dq.len(), 6);
    }

    #[test]
    fn zero_group_and_ties() {
        let q = quantize(&[0.0; 8], &[8], Int8Granularity::PerTensor).unwrap();
        assert_eq!(q.scales, vec![0.0]);
        assert!(dequantize(&q, &[8], Int8Granularity::PerTensor)
            .unwrap()
            .iter()
            .all(|v| *v == 0.0));
        // absmax 127 gives scale exactly 1, so x/scale = ±0.5 are exact ties
        let q = quantize(&[127.0, 0.5, -0.5, 1.5], &[4], Int8Granularity::PerTensor).unwrap();
        assert_eq!(q.q, vec![127, 1, -1, 2]); // ties away from zero
    }

    #[test]
    fn errors() {
        let g = Int8Granularity::PerTensor;
        assert!(matches!(
            quantize(&[1.0; 5], &[2, 3], g),
            Err(TensorError::ShapeMismatch { .. })
        ));
        assert!(quantize(&[1.0; 6], &[2, 3], Int8Granularity::PerChannel { axis: 2 }).is_err());
        assert!(quantize(&[1.0; 6], &[6], Int8Granularity::PerBlock { block_size: 0 }).is_err());
        assert!(matches!(
            quantize(&[1.0, f32::NAN], &[2], g),
            Err(TensorError::NonFinite(_))
        ));
        let q = quantize(&[1.0; 6], &[6], g).unwrap();
        assert!(dequantize(&q, &[7], g).is_err());
    }

    #[test]
    fn parallel_equals_serial() {
        let n = PAR_MIN_ELEMS + 77;
        let x: Vec<f32> = (0..n).map(|i| ((i * 7919) % 1000) as f32 - 500.0).collect();
        for g in [
            Int8Granularity::PerTensor,
            Int8Granularity::PerBlock { block_size: 100 },
            Int8Granularity::PerChannel { axis: 0 },
        ] {
            let big = quantize(&x, &[n], g).unwrap();
            // serial reference: quantize in small pieces that stay below the threshold
            if let Int8Granularity::PerBlock { block_size } = g {
                let mut q = Vec::new();
                for c in x.chunks(block_size * 100) {
                    q.extend(quantize(c, &[c.len()], g).unwrap().q);
                }
                assert_eq!(q, big.q);
            }
            let dq = dequantize(&big, &[n], g).unwrap();
            assert_eq!(dq.len(), n);
        }
    }

    fn granularity() -> impl Strategy<Value = Int8Granularity> {
        prop_oneof![
            Just(Int8Granularity::PerTensor),
            (0usize..2).prop_map(|axis| Int8Granularity::PerChannel { axis }),
            (1usize..40).prop_map(|block_size| Int8Granularity::PerBlock { block_size }),
        ]
    }

    proptest! {
        #[test]
        fn error_bound(rows in 1usize..12, cols in 1usize..12, g in granularity(), seed in proptest::collection::vec(-1e4f32..1e4, 144)) {
            let shape = [rows, cols];
            let x: Vec<f32> = seed[..rows * cols].to_vec();
            let q = quantize(&x, &shape, g).unwrap();
            let dq = dequantize(&q, &shape, g).unwrap();
            let (grp, _) = Grouping::new(&shape, g).unwrap();
            for (i, (v, d)) in x.iter().zip(&dq).enumerate() {
                let s = q.scales[grp.group(i)];
                let bound = s * 0.5 + v.abs() * 4.0 * f32::EPSILON + 1e-30;
                prop_assert!((v - d).abs() <= bound, "i={} x={} dq={} bound={}", i, v, d, bound);
            }
        }
    }
}
