//! `qmatmul`: a linear layer on quantized weights, `y = x @ dequant(w)ᵀ`,
//! without ever materializing the f32 weight matrix.
//!
//! Convention (PyTorch `nn.Linear`, GGUF): the weight `w` has logical shape
//! `[out, in]` (one row per output feature), the activations `x` have shape
//! `[..., in]` with any leading dimensions and any strides (views are read
//! through a contiguous copy of `x`, which is small next to the weight), and
//! `y` is a new f32 tensor `[..., out]`. All arithmetic is f32; `x` of another
//! float dtype is converted to f32 first.
//!
//! # Two paths, chosen by the number of activation rows `m`
//!
//! - **`m ≤ 4` (GEMV, token-by-token decoding).** The cost is reading the
//!   weight: f32 reads 4 bytes per weight, q4_0 0.5625. Each output row is a
//!   dot product computed directly from the packed codes ([`super::qdot`],
//!   portable and AVX2+FMA kernels), rayon-parallel over chunks of output
//!   rows. Read in place: q4_0, q8_0, q4_1, q5_0, MXFP4, NVFP4, NF4, NF4-DQ
//!   (the row's absmaxes reconstructed first), int8 per tensor / per output
//!   channel / per block, FP8 E4M3FN / E5M2, f16 and bf16. A row that is not
//!   whole blocks (below), and int8 per channel along the input axis,
//!   is decoded into an L1-resident scratch row which is then dotted.
//! - **`m > 4` (GEMM, prefill / batches).** Arithmetic dominates, so the
//!   weight is decoded in tiles of [`BAND`] output rows × [`PANEL`] input
//!   columns into a per-task scratch buffer (AVX2 block decoders where the
//!   CPU has them) and each tile is multiplied with `matrixmultiply::sgemm`,
//!   accumulating into the band's outputs; rayon-parallel over bands. Peak
//!   extra memory: one 256 KiB tile per thread. Why tiles: a 256-row band
//!   needs a quarter of the `sgemm` calls (each packs its panel of `x`
//!   again) of the former 64 × `in` bands, and a 256 × 256 tile stays in L2
//!   until `sgemm` packs it, where a 64 × 4096 band (1 MiB) did not. At
//!   batch 64 on a 4096 × 4096 weight (loaded 2-core machine, ratios of
//!   alternated runs) this and the AVX2 decoders took q8_0 from 0.90× to
//!   ~1.04× the speed of the f32 product.
//!
//! # Block layout and rows
//!
//! Every format's blocks run over the flattened row-major weight, so when
//! `in` is not a multiple of the block size a block crosses from one row into
//! the next. That case is handled exactly, not rejected: rows are decoded by
//! flat element range ([`super::rows::decode_range`]), which decodes the
//! blocks overlapping the range and keeps only that row's elements. The
//! in-place GEMV kernels need rows of whole blocks: `in % 32 == 0` for the
//! ggml formats, `in % 16 == 0` for NVFP4, and for NF4 / NF4-DQ / int8 per
//! block a block size that is a multiple of 32 and divides `in`; otherwise
//! those formats take the decode-a-row path (f16, bf16 and FP8 never do).
//!
//! # Agreement with dequantize + matmul
//!
//! Decoded values are bit-identical to [`QuantizedTensor::dequantize`]; the
//! results differ from a matmul on the dequantized matrix only by f32
//! summation order (and, in the in-place kernels, by applying a block's or a
//! row's scale after the sum instead of to each weight).
//!
//! # Measured (4096 × 4096 weight, batch 1)
//!
//! See the README section "Quantized matmul" for the figures and the command
//! that produced them (`make bench`).

use std::borrow::Cow;

use matrixmultiply::sgemm;
use rayon::prelude::*;

use super::qdot::{self, AlignedRows, ByteScaledRow, Order, ScaledRow, MAX_R};
use super::rows::decode_range;
use super::{nf4_dq, Int8Granularity, QuantFormat, QuantPayload, QuantizedTensor};
use crate::{DType, Result, Tensor, TensorError};

/// Output rows per task on the GEMM path. Every `sgemm` call packs its
/// panel of `x` again, so taller bands pack `x` fewer times (see [`PANEL`]).
pub const BAND: usize = 256;

/// Input columns of a band decoded and multiplied at once on the GEMM path:
/// a 256 × 256 f32 tile (256 KiB) stays in L2 between being decoded and
/// being packed by `sgemm`, and equals `matrixmultiply`'s own depth block
/// (its `kc`), so the summation order is the same as one call over all `k`.
const PANEL: usize = 256;

/// Output rows per task on the GEMV path: enough to amortize scheduling,
/// small enough that 4096 rows give every core many tasks.
const GEMV_TASK_ROWS: usize = 16;

/// Products with fewer multiply-adds than this run on the calling thread.
const SERIAL_MAX_WORK: usize = 1 << 16;

/// The activations as one contiguous f32 row-major `[m, k]` slice, with the
/// sizes and the result shape. Checks the shapes of a linear layer.
pub(crate) struct Operands<'a> {
    pub x: Cow<'a, [f32]>,
    pub m: usize,
    pub k: usize,
    pub n: usize,
    pub out_shape: Vec<usize>,
}

impl<'a> Operands<'a> {
    pub(crate) fn new(x: &'a Tensor, w: &QuantizedTensor, op: &str) -> Result<Self> {
        let ws = w.shape();
        if ws.len() != 2 {
            return Err(TensorError::invalid_shape(format!(
                "{op} needs a 2-D quantized weight [out, in], got shape {ws:?}"
            )));
        }
        let (n, k) = (ws[0], ws[1]);
        if x.rank() == 0 {
            return Err(TensorError::invalid_shape(format!(
                "{op} needs activations of shape [..., {k}], got a 0-D tensor"
            )));
        }
        let xk = x.shape()[x.rank() - 1];
        if xk != k {
            return Err(TensorError::ShapeMismatch {
                expected: vec![k],
                got: vec![xk],
            });
        }
        let m: usize = x.shape()[..x.rank() - 1].iter().product();
        let mut out_shape = x.shape()[..x.rank() - 1].to_vec();
        out_shape.push(n);
        crate::layout::checked_numel(&out_shape)?;
        let x = match x.as_slice::<f32>() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(x.as_type(DType::F32).to_vec::<f32>()?),
        };
        Ok(Operands {
            x,
            m,
            k,
            n,
            out_shape,
        })
    }

    /// `yt` (`[n, m]`, one output feature per row) transposed into the result.
    pub(crate) fn finish(&self, yt: Vec<f32>) -> Result<Tensor> {
        let (m, n) = (self.m, self.n);
        let y = if m <= 1 || n == 0 {
            yt
        } else {
            let mut y = vec![0f32; m * n];
            for (r, col) in yt.chunks_exact(m).enumerate() {
                for (b, &v) in col.iter().enumerate() {
                    y[b * n + r] = v;
                }
            }
            y
        };
        Tensor::from_vec(y, &self.out_shape)
    }
}

/// Runs `f(scratch, chunk_index, chunk)` over `chunk`-sized pieces of `buf`,
/// on the rayon pool when `parallel` (one scratch vector per worker split).
pub(crate) fn for_each_chunk<F>(buf: &mut [f32], chunk: usize, parallel: bool, f: F) -> Result<()>
where
    F: Fn(&mut Vec<f32>, usize, &mut [f32]) -> Result<()> + Sync + Send,
{
    if parallel {
        buf.par_chunks_mut(chunk)
            .enumerate()
            .try_for_each_init(Vec::new, |s, (i, c)| f(s, i, c))
    } else {
        let mut s = Vec::new();
        buf.chunks_mut(chunk)
            .enumerate()
            .try_for_each(|(i, c)| f(&mut s, i, c))
    }
}

/// `x @ dequant(w)ᵀ`: a linear layer on a quantized weight.
///
/// - `x`: any float dtype (converted to f32), shape `[..., in]`, any strides;
///   a 1-D `[in]` gives a 1-D `[out]`.
/// - `w`: a 2-D quantized tensor of logical shape `[out, in]`, any format.
/// - result: a new contiguous f32 tensor `[..., out]`.
///
/// Fused: at most one band of [`BAND`] decoded weight rows per thread exists
/// at a time, never the whole f32 matrix. `in = 0` gives zeros.
///
/// Errors: `InvalidShape` when `w` is not 2-D or `x` is 0-D;
/// `ShapeMismatch { expected: [in], got: [x's last dim] }` when the inner
/// dimensions differ; `InvalidShape` when the result's size overflows.
pub fn qmatmul(x: &Tensor, w: &QuantizedTensor) -> Result<Tensor> {
    let ops = Operands::new(x, w, "qmatmul")?;
    let (m, k, n) = (ops.m, ops.k, ops.n);
    let yt = if m == 0 || n == 0 || k == 0 {
        vec![0f32; m * n]
    } else if m <= MAX_R {
        gemv(&ops.x, m, k, n, w)?
    } else {
        gemm(&ops.x, m, k, n, w)?
    };
    ops.finish(yt)
}

/// A packed row kernel of [`super::qdot`]: `(row bytes, xs, out)`.
type BytesDot = fn(&[u8], &[&[f32]], &mut [f32]);

/// How one weight row is dotted with the activations on the GEMV path.
#[derive(Clone, Copy)]
enum RowKernel<'w> {
    /// Self-contained rows of `row_bytes` bytes each (ggml blocks, f16,
    /// bf16, fp8 codes) read in place by `dot`, on activations arranged in
    /// `order` when there is one; the result times `scale` (fp8's
    /// per-tensor scale; 1 otherwise).
    Bytes {
        data: &'w [u8],
        row_bytes: usize,
        dot: BytesDot,
        scale: f32,
        order: Option<Order>,
    },
    /// int8 codes with one scale for the whole row.
    Int8Row(&'w [i8], &'w [f32], bool),
    /// int8 codes with one scale per block of `block` (a multiple of 32
    /// dividing `k`).
    Int8Blocks(&'w [i8], &'w [f32], usize),
    /// NVFP4: codes, E4M3 block scale bytes, and every scale byte's value
    /// `e4m3(S) / global_scale / 2` (the kernel reads doubled E2M1 values).
    Nvfp4(&'w [u8], &'w [u8], &'w [f32; 256]),
    /// NF4 codes with one absmax per block of `block` (a multiple of 32
    /// dividing `k`).
    Nf4(&'w [u8], &'w [f32], usize),
    /// NF4-DQ: as `Nf4`, the row's absmaxes reconstructed first.
    Nf4Dq(&'w super::Nf4DqQuantized, usize),
    /// Decode the row (bit-identical to `dequantize`), then an f32 dot.
    Decode,
}

/// Picks the in-place kernel for `w` (`[n, k]`) when its rows are whole
/// blocks of its format; otherwise [`RowKernel::Decode`]. `nvfp4_scales`
/// holds the table `RowKernel::Nvfp4` borrows (filled here when needed).
fn row_kernel<'w>(
    w: &'w QuantizedTensor,
    k: usize,
    nvfp4_scales: &'w mut [f32; 256],
) -> RowKernel<'w> {
    let blocks = |data: &'w [u8], block_bytes: usize, dot: BytesDot, order| RowKernel::Bytes {
        data,
        row_bytes: k / 32 * block_bytes,
        dot,
        scale: 1.0,
        order,
    };
    let bytes = |data, block_bytes, dot| blocks(data, block_bytes, dot, None);
    // the AVX-512 kernel of a ggml 4-bit format where the CPU has it
    let nibbles = |data, block_bytes, dot, ordered| {
        if qdot::has_ordered_kernels() {
            blocks(data, block_bytes, ordered, Some(Order::Nibbles))
        } else {
            blocks(data, block_bytes, dot, None)
        }
    };
    let elements = |data: &'w [u8], row_bytes: usize, dot: BytesDot, scale: f32| RowKernel::Bytes {
        data,
        row_bytes,
        dot,
        scale,
        order: None,
    };
    let whole = |block: usize| block.is_multiple_of(32) && k.is_multiple_of(block);
    match (w.format(), w.payload()) {
        (QuantFormat::Q4_0, QuantPayload::Blocks(b)) if whole(32) => {
            nibbles(b, 18, qdot::q4_0_dot, qdot::q4_0_nibbles_dot)
        }
        (QuantFormat::Q8_0, QuantPayload::Blocks(b)) if whole(32) => bytes(b, 34, qdot::q8_0_dot),
        (QuantFormat::Q4_1, QuantPayload::Blocks(b)) if whole(32) => {
            nibbles(b, 20, qdot::q4_1_dot, qdot::q4_1_nibbles_dot)
        }
        (QuantFormat::Q5_0, QuantPayload::Blocks(b)) if whole(32) => {
            nibbles(b, 22, qdot::q5_0_dot, qdot::q5_0_nibbles_dot)
        }
        (QuantFormat::Mxfp4, QuantPayload::Blocks(b)) if whole(32) => {
            nibbles(b, 17, qdot::mxfp4_dot, qdot::mxfp4_nibbles_dot)
        }
        (QuantFormat::F16, QuantPayload::Blocks(b)) => elements(b, 2 * k, qdot::f16_dot, 1.0),
        (QuantFormat::Bf16, QuantPayload::Blocks(b)) => elements(b, 2 * k, qdot::bf16_dot, 1.0),
        (QuantFormat::Fp8E4m3fn, QuantPayload::Fp8(p)) => {
            elements(&p.codes, k, qdot::e4m3fn_dot, p.scale)
        }
        (QuantFormat::Fp8E5m2, QuantPayload::Fp8(p)) => {
            elements(&p.codes, k, qdot::e5m2_dot, p.scale)
        }
        (QuantFormat::Int8(Int8Granularity::PerTensor), QuantPayload::Int8(p)) => {
            RowKernel::Int8Row(&p.q, &p.scales, false)
        }
        (QuantFormat::Int8(Int8Granularity::PerChannel { axis: 0 }), QuantPayload::Int8(p)) => {
            RowKernel::Int8Row(&p.q, &p.scales, true)
        }
        (QuantFormat::Int8(Int8Granularity::PerBlock { block_size }), QuantPayload::Int8(p))
            if whole(block_size) =>
        {
            RowKernel::Int8Blocks(&p.q, &p.scales, block_size)
        }
        (QuantFormat::Nvfp4, QuantPayload::Nvfp4(p)) if k.is_multiple_of(16) => {
            for (i, s) in nvfp4_scales.iter_mut().enumerate() {
                // the same division as nvfp4's decoder, then an exact halving
                // (unless subnormal, where it rounds: within f32 summation error)
                *s = super::fp8::e4m3fn_to_f32(i as u8) / p.global_scale * 0.5;
            }
            RowKernel::Nvfp4(&p.codes, &p.scales, nvfp4_scales)
        }
        (QuantFormat::Nf4 { block_size }, QuantPayload::Nf4(p)) if whole(block_size) => {
            RowKernel::Nf4(&p.codes, &p.absmax, block_size)
        }
        (QuantFormat::Nf4Dq { block_size, .. }, QuantPayload::Nf4Dq(p)) if whole(block_size) => {
            RowKernel::Nf4Dq(p, block_size)
        }
        _ => RowKernel::Decode,
    }
}

fn gemv(x: &[f32], m: usize, k: usize, n: usize, w: &QuantizedTensor) -> Result<Vec<f32>> {
    let mut nvfp4_scales = [0f32; 256];
    let kernel = row_kernel(w, k, &mut nvfp4_scales);
    // the AVX-512 4-bit kernels read the activations in an order of their
    // own; NVFP4 rows take that kernel only when they are whole pairs of
    // 16-value blocks (k is a multiple of 32 for every NF4 row kernel)
    let order = match kernel {
        RowKernel::Bytes { order, .. } => order,
        RowKernel::Nf4(..) | RowKernel::Nf4Dq(..) => Some(Order::Pairs),
        RowKernel::Nvfp4(..) if k.is_multiple_of(32) => Some(Order::Pairs),
        _ => None,
    }
    .filter(|_| qdot::has_ordered_kernels());
    // copied (arranged) once here for every row, each row cache-line aligned
    let aligned = AlignedRows::new(x, k, order);
    let xs = aligned.rows();
    let nf4_dot = |row: ScaledRow<'_, u8>, out: &mut [f32]| {
        if order.is_some() {
            qdot::nf4_pairs_dot(row, &xs, out)
        } else {
            qdot::nf4_dot(row, &xs, out)
        }
    };
    let mut yt = vec![0f32; n * m];
    let parallel = n * k >= SERIAL_MAX_WORK;
    for_each_chunk(
        &mut yt,
        GEMV_TASK_ROWS * m,
        parallel,
        |scratch, ci, chunk| {
            let r0 = ci * GEMV_TASK_ROWS;
            for (i, out) in chunk.chunks_exact_mut(m).enumerate() {
                let r = r0 + i;
                match kernel {
                    RowKernel::Bytes {
                        data,
                        row_bytes,
                        dot,
                        scale,
                        order: _,
                    } => {
                        dot(&data[r * row_bytes..(r + 1) * row_bytes], &xs, out);
                        if scale != 1.0 {
                            out.iter_mut().for_each(|v| *v *= scale);
                        }
                    }
                    RowKernel::Int8Row(q, scales, per_row) => {
                        qdot::i8_dot(&q[r * k..(r + 1) * k], &xs, out);
                        let s = scales[if per_row { r } else { 0 }];
                        out.iter_mut().for_each(|v| *v *= s);
                    }
                    RowKernel::Int8Blocks(q, scales, block) => {
                        let nb = k / block;
                        let row = ScaledRow {
                            codes: &q[r * k..(r + 1) * k],
                            scales: &scales[r * nb..(r + 1) * nb],
                        };
                        qdot::i8_blocks_dot(row, &xs, out)
                    }
                    RowKernel::Nvfp4(codes, scale_bytes, table) => {
                        let nb = k / 16;
                        let (codes, scale_codes) = (
                            &codes[r * k / 2..(r + 1) * k / 2],
                            &scale_bytes[r * nb..(r + 1) * nb],
                        );
                        if order.is_some() {
                            let row = ByteScaledRow {
                                codes,
                                scale_codes,
                                scale_values: table,
                            };
                            qdot::nvfp4_pairs_dot(row, &xs, out)
                        } else {
                            scratch.clear();
                            scratch.extend(scale_codes.iter().map(|&s| table[s as usize]));
                            let row = ScaledRow {
                                codes,
                                scales: scratch,
                            };
                            qdot::nvfp4_dot(row, &xs, out)
                        }
                    }
                    RowKernel::Nf4(codes, absmax, block) => {
                        let nb = k / block;
                        let row = ScaledRow {
                            codes: &codes[r * k / 2..(r + 1) * k / 2],
                            scales: &absmax[r * nb..(r + 1) * nb],
                        };
                        nf4_dot(row, out)
                    }
                    RowKernel::Nf4Dq(p, block) => {
                        let nb = k / block;
                        scratch.clear();
                        // nf4_dq::block_absmax's expression, run by run of
                        // one second-level block: a division per absmax cost
                        // more than the row's dot on the development machine
                        let map = nf4_dq::dynamic_map();
                        let (mut j, end) = (r * nb, (r + 1) * nb);
                        while j < end {
                            let g = j / p.block_size2;
                            let run_end = ((g + 1) * p.block_size2).min(end);
                            let a2 = p.absmax2[g];
                            scratch.extend(
                                p.absmax_q[j..run_end]
                                    .iter()
                                    .map(|&q| map[q as usize] * a2 + p.offset),
                            );
                            j = run_end;
                        }
                        let row = ScaledRow {
                            codes: &p.codes[r * k / 2..(r + 1) * k / 2],
                            scales: scratch,
                        };
                        nf4_dot(row, out)
                    }
                    RowKernel::Decode => {
                        scratch.resize(k, 0.0);
                        decode_range(w, r * k, scratch)?;
                        qdot::f32_dot(scratch, &xs, out)
                    }
                }
            }
            Ok(())
        },
    )?;
    Ok(yt)
}

fn gemm(x: &[f32], m: usize, k: usize, n: usize, w: &QuantizedTensor) -> Result<Vec<f32>> {
    let mut yt = vec![0f32; n * m];
    let parallel = m * n * k >= SERIAL_MAX_WORK;
    for_each_chunk(&mut yt, BAND * m, parallel, |scratch, bi, chunk| {
        let rows = chunk.len() / m;
        let r0 = bi * BAND;
        for p0 in (0..k).step_by(PANEL) {
            let kc = PANEL.min(k - p0);
            scratch.resize(rows * kc, 0.0);
            for (r, dst) in scratch.chunks_exact_mut(kc).enumerate() {
                decode_range(w, (r0 + r) * k + p0, dst)?;
            }
            // chunk[rows, m] (+)= tile[rows, kc] @ x[:, p0..p0+kc]ᵀ; x is
            // [m, k] row-major, so its transposed panel has row stride 1 and
            // column stride k. The first panel overwrites, the others add.
            let beta = if p0 == 0 { 0.0 } else { 1.0 };
            // SAFETY: the tile is rows×kc (strides kc, 1) inside `scratch`;
            // x + p0 read as kc×m (strides 1, k) stays inside x (largest
            // index p0 + kc − 1 + (m − 1)·k < m·k); chunk is rows×m (strides
            // m, 1); the output aliases neither input.
            unsafe {
                sgemm(
                    rows,
                    kc,
                    m,
                    1.0,
                    scratch.as_ptr(),
                    kc as isize,
                    1,
                    x.as_ptr().add(p0),
                    1,
                    k as isize,
                    beta,
                    chunk.as_mut_ptr(),
                    m as isize,
                    1,
                );
            }
        }
        Ok(())
    })?;
    Ok(yt)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::SliceSpec;
    use proptest::prelude::*;

    /// Every format with parameters that make blocks cross rows, plus
    /// per-channel int8 along the input axis.
    pub(crate) fn all_formats() -> Vec<QuantFormat> {
        let mut formats = crate::quant::tests::all_formats();
        formats.push(QuantFormat::Int8(Int8Granularity::PerChannel { axis: 1 }));
        formats
    }

    /// Deterministic pseudo-random values in about [-2, 2].
    pub(crate) fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 4.0 - 2.0
            })
            .collect()
    }

    /// Checks `y` against an f64 product of `x` ([m, k]) and the dequantized
    /// weight within a bound on f32 summation error: (k + 4)·ε·Σ|x·w|.
    pub(crate) fn check_against_dequantized(
        x: &[f32],
        w: &QuantizedTensor,
        y: &[f32],
        extra: impl Fn(usize, usize) -> f64,
    ) {
        let (n, k) = (w.shape()[0], w.shape()[1]);
        let wd = w.dequantize();
        let m = y.len() / n.max(1);
        for b in 0..m {
            for r in 0..n {
                let (mut exact, mut mag) = (0f64, 0f64);
                for j in 0..k {
                    let p = x[b * k + j] as f64 * wd[r * k + j] as f64;
                    exact += p;
                    mag += p.abs();
                }
                let bound = (k as f64 + 4.0) * f32::EPSILON as f64 * mag + 1e-30 + extra(b, r);
                let got = y[b * n + r] as f64;
                assert!(
                    (got - exact).abs() <= bound,
                    "{:?} [{b}, {r}] got {got} want {exact} bound {bound}",
                    w.format()
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn agrees_with_dequantize_for_every_format(
            out in 1usize..40, inn in 1usize..100, m in 1usize..10, seed in 0u64..1000,
        ) {
            let wv = values(out * inn, seed);
            let x = values(m * inn, seed + 1);
            let xt = Tensor::from_vec(x.clone(), &[m, inn]).unwrap();
            for f in all_formats() {
                let w = QuantizedTensor::quantize(&wv, &[out, inn], f).unwrap();
                let y = qmatmul(&xt, &w).unwrap();
                prop_assert_eq!(y.shape(), &[m, out][..]);
                check_against_dequantized(&x, &w, &y.to_vec::<f32>().unwrap(), |_, _| 0.0);
            }
        }

        #[test]
        fn block_aligned_rows_use_the_packed_kernels(
            out in 1usize..70, blocks in 1usize..5, m in 1usize..7, seed in 0u64..1000,
        ) {
            let inn = 32 * blocks;
            let wv = values(out * inn, seed);
            let x = values(m * inn, seed + 7);
            let xt = Tensor::from_vec(x.clone(), &[m, inn]).unwrap();
            for f in all_formats() {
                let w = QuantizedTensor::quantize(&wv, &[out, inn], f).unwrap();
                let y = qmatmul(&xt, &w).unwrap().to_vec::<f32>().unwrap();
                check_against_dequantized(&x, &w, &y, |_, _| 0.0);
            }
        }
    }

    #[test]
    fn gemm_tiles_with_ragged_edges() {
        // more than one band and one panel, neither dividing the sizes, and
        // `in` not a multiple of 32, so blocks cross rows and panels
        let (out, inn, m) = (BAND + 37, 2 * PANEL + 77, 7);
        let wv = values(out * inn, 11);
        let x = values(m * inn, 12);
        let xt = Tensor::from_vec(x.clone(), &[m, inn]).unwrap();
        for f in all_formats() {
            let w = QuantizedTensor::quantize(&wv, &[out, inn], f).unwrap();
            let y = qmatmul(&xt, &w).unwrap().to_vec::<f32>().unwrap();
            check_against_dequantized(&x, &w, &y, |_, _| 0.0);
        }
    }

    #[test]
    fn leading_dims_vectors_and_strided_views() {
        let (out, inn) = (9, 64);
        let wv = values(out * inn, 3);
        let w = QuantizedTensor::quantize(&wv, &[out, inn], QuantFormat::Q4_0).unwrap();
        // [2, 3, in]: leading dims kept
        let x = values(6 * inn, 4);
        let y = qmatmul(&Tensor::from_vec(x.clone(), &[2, 3, inn]).unwrap(), &w).unwrap();
        assert_eq!(y.shape(), &[2, 3, out]);
        check_against_dequantized(&x, &w, &y.to_vec::<f32>().unwrap(), |_, _| 0.0);
        // 1-D x gives 1-D y
        let y1 = qmatmul(&Tensor::from_vec(x[..inn].to_vec(), &[inn]).unwrap(), &w).unwrap();
        assert_eq!(y1.shape(), &[out]);
        check_against_dequantized(&x[..inn], &w, &y1.to_vec::<f32>().unwrap(), |_, _| 0.0);
        // transposed x: stored [in, 5], viewed as [5, in]
        let xs = values(inn * 5, 5);
        let xt = Tensor::from_vec(xs.clone(), &[inn, 5]).unwrap().transpose();
        let dense: Vec<f32> = xt.to_vec().unwrap();
        let y = qmatmul(&xt, &w).unwrap();
        check_against_dequantized(&dense, &w, &y.to_vec::<f32>().unwrap(), |_, _| 0.0);
        // every other row of a [8, in] tensor (a strided slice), batch 4 then 1
        let xb = Tensor::from_vec(values(8 * inn, 6), &[8, inn]).unwrap();
        for step in [2, 8] {
            let spec = [
                SliceSpec {
                    start: 0,
                    stop: 8,
                    step,
                },
                SliceSpec {
                    start: 0,
                    stop: inn as i64,
                    step: 1,
                },
            ];
            let v = xb.slice(&spec).unwrap();
            let dense: Vec<f32> = v.to_vec().unwrap();
            let y = qmatmul(&v, &w).unwrap().to_vec::<f32>().unwrap();
            check_against_dequantized(&dense, &w, &y, |_, _| 0.0);
        }
        // f16 activations are converted to f32
        let xh = Tensor::from_vec(x[..inn].to_vec(), &[1, inn])
            .unwrap()
            .as_type(DType::F16);
        let yh = qmatmul(&xh, &w).unwrap();
        assert_eq!(yh.dtype(), DType::F32);
    }

    /// Block parameters that select the in-place GEMV kernels (or, where a
    /// row is not whole blocks, the decode path): int8 and NF4 blocks of
    /// 32..128, NF4-DQ second-level blocks that split rows, NVFP4 rows of an
    /// odd number of 16-blocks; batches 1..=5 (5 takes the GEMM path).
    #[test]
    fn in_place_kernels_with_other_block_sizes() {
        let formats = [
            QuantFormat::Int8(Int8Granularity::PerBlock { block_size: 32 }),
            QuantFormat::Int8(Int8Granularity::PerBlock { block_size: 64 }),
            QuantFormat::Nf4 { block_size: 32 },
            QuantFormat::Nf4 { block_size: 128 },
            QuantFormat::Nf4Dq {
                block_size: 64,
                block_size2: 3,
            },
            QuantFormat::Nf4Dq {
                block_size: 32,
                block_size2: 256,
            },
            QuantFormat::Nvfp4,
            QuantFormat::Q4_1,
            QuantFormat::Q5_0,
            QuantFormat::Mxfp4,
            QuantFormat::Fp8E4m3fn,
            QuantFormat::Fp8E5m2,
            QuantFormat::F16,
            QuantFormat::Bf16,
        ];
        let out = 7;
        for (s, inn) in [48usize, 64, 128, 256, 130].into_iter().enumerate() {
            let wv = values(out * inn, 20 + s as u64);
            for f in formats {
                let w = QuantizedTensor::quantize(&wv, &[out, inn], f).unwrap();
                for m in 1..=5 {
                    let x = values(m * inn, 40 + m as u64);
                    let xt = Tensor::from_vec(x.clone(), &[m, inn]).unwrap();
                    let y = qmatmul(&xt, &w).unwrap().to_vec::<f32>().unwrap();
                    check_against_dequantized(&x, &w, &y, |_, _| 0.0);
                }
            }
        }
    }

    #[test]
    fn big_enough_to_run_in_parallel() {
        // 256 × 512: both paths go parallel (n·k and m·n·k ≥ 2^16)
        let (out, inn) = (256, 512);
        let wv = values(out * inn, 11);
        for f in [
            QuantFormat::Q4_0,
            QuantFormat::Q8_0,
            QuantFormat::NF4,
            QuantFormat::Int8(Int8Granularity::PerChannel { axis: 0 }),
        ] {
            let w = QuantizedTensor::quantize(&wv, &[out, inn], f).unwrap();
            for m in [1, 3, 17] {
                let x = values(m * inn, m as u64);
                let y = qmatmul(&Tensor::from_vec(x.clone(), &[m, inn]).unwrap(), &w).unwrap();
                check_against_dequantized(&x, &w, &y.to_vec::<f32>().unwrap(), |_, _| 0.0);
            }
        }
    }

    #[test]
    fn empty_dimensions_and_errors() {
        let w = QuantizedTensor::quantize(&values(12, 1), &[3, 4], QuantFormat::Q8_0).unwrap();
        let x0 = Tensor::from_vec(Vec::<f32>::new(), &[0, 4]).unwrap();
        assert_eq!(qmatmul(&x0, &w).unwrap().shape(), &[0, 3]);
        let wk0 = QuantizedTensor::quantize(&[], &[3, 0], QuantFormat::Q4_0).unwrap();
        let xk0 = Tensor::from_vec(Vec::<f32>::new(), &[2, 0]).unwrap();
        let y = qmatmul(&xk0, &wk0).unwrap();
        assert_eq!(y.shape(), &[2, 3]);
        assert!(y.to_vec::<f32>().unwrap().iter().all(|v| *v == 0.0));

        let x = Tensor::from_vec(values(10, 2), &[2, 5]).unwrap();
        assert_eq!(
            qmatmul(&x, &w).err(),
            Some(TensorError::ShapeMismatch {
                expected: vec![4],
                got: vec![5]
            })
        );
        let w1 = QuantizedTensor::quantize(&values(12, 1), &[12], QuantFormat::Q8_0).unwrap();
        assert!(matches!(qmatmul(&x, &w1), Err(TensorError::InvalidShape(m)) if m.contains("2-D")));
        let w3 = QuantizedTensor::quantize(&values(12, 1), &[1, 3, 4], QuantFormat::Q8_0).unwrap();
        assert!(matches!(
            qmatmul(&x, &w3),
            Err(TensorError::InvalidShape(_))
        ));
        let s = Tensor::from_vec(vec![1f32], &[]).unwrap();
        assert!(matches!(qmatmul(&s, &w), Err(TensorError::InvalidShape(m)) if m.contains("0-D")));
    }
}
