//! `qmatmul_int8`: a linear layer computed in integers, LLM.int8() style
//! (Dettmers et al. 2022, "LLM.int8(): 8-bit Matrix Multiplication for
//! Transformers at Scale"), on a weight quantized per output channel.
//!
//! Weight: `{int8, {per_channel, 0}}` of logical shape `[out, in]`, i.e. codes
//! `Wq[r, j] ∈ [-127, 127]` and one scale `sw[r]` per output row, so that
//! `dequant(W)[r, j] = Wq[r, j] · sw[r]`.
//!
//! Activations `x` (`[m, in]` after flattening the leading dimensions), with
//! an optional outlier threshold `τ`:
//!
//! ```text
//! O        = { j : max_b |x[b, j]| > τ }                 (outlier columns; empty without τ)
//! sx[b]    = max_{j ∉ O} |x[b, j]| / 127                 (one scale per activation row)
//! Xq[b, j] = clamp(round(x[b, j] / sx[b]), -127, 127)    (j ∉ O; round half away from 0;
//!                                                         0 when sx[b] = 0)
//! acc[b,r] = Σ_{j ∉ O} Xq[b, j] · Wq[r, j]               (exact, i8 × i8 → i32, summed in i64)
//! y[b, r]  = sx[b] · sw[r] · acc[b, r]                   (f32)
//!          + Σ_{j ∈ O} x[b, j] · (Wq[r, j] · sw[r])      (f32, the dequantized weight columns)
//! ```
//!
//! The only error against `x @ dequant(W)ᵀ` is the rounding of the regular
//! activations: `|Δy[b, r]| ≤ (sx[b] / 2) · Σ_{j ∉ O} |dequant(W)[r, j]|`
//! (plus f32 rounding of the final products). An outlier column would
//! otherwise set `sx` for its whole row and crush every other value of that
//! row to a few levels; computing those columns in f32 keeps the int8 scale
//! small. (In LLM.int8() the weight's outlier columns stay fp16; here the
//! weight is already int8, so its dequantized columns are used.)

use rayon::prelude::*;

use super::int8_dot::{dot_i8_tile, I8Activations, TILE};
use super::qmatmul::{for_each_chunk, Operands};
use super::{Int8Granularity, QuantFormat, QuantPayload, QuantizedTensor};
use crate::{Result, Tensor, TensorError};

/// Multiply-adds below which the work stays on the calling thread.
const SERIAL_MAX_WORK: usize = 1 << 16;

/// Output rows per parallel task.
const TASK_ROWS: usize = 16;

/// `x @ dequant(w)ᵀ` with int8 × int8 → int32 arithmetic (formulas in the
/// module doc).
///
/// - `x`: any float dtype (converted to f32), shape `[..., in]`, any strides.
/// - `w`: a 2-D `[out, in]` tensor quantized as `{int8, {per_channel, 0}}`.
/// - `outlier_threshold`: `Some(τ)` computes the input columns whose absolute
///   maximum (over all activation rows) exceeds `τ` in f32; `None` quantizes
///   every column.
/// - result: a new f32 tensor `[..., out]`.
///
/// Errors: `InvalidArgument` when `w` is another format or `τ` is negative or
/// NaN; `NonFinite` when `x` holds NaN or infinity; the shape errors of
/// [`super::qmatmul::qmatmul`].
pub fn qmatmul_int8(
    x: &Tensor,
    w: &QuantizedTensor,
    outlier_threshold: Option<f32>,
) -> Result<Tensor> {
    let (wq, sw) = match (w.format(), w.payload()) {
        (QuantFormat::Int8(Int8Granularity::PerChannel { axis: 0 }), QuantPayload::Int8(p))
            if w.shape().len() == 2 =>
        {
            (&p.q, &p.scales)
        }
        (f, _) => {
            return Err(TensorError::invalid_argument(format!(
                "qmatmul_int8 needs a 2-D weight quantized as {{int8, {{per_channel, 0}}}} \
                 (one scale per output row), got {} of shape {:?}",
                format_name(f),
                w.shape()
            )))
        }
    };
    if let Some(t) = outlier_threshold {
        if t.is_nan() || t < 0.0 {
            return Err(TensorError::invalid_argument(format!(
                "qmatmul_int8 outlier threshold must be >= 0, got {t}"
            )));
        }
    }
    let ops = Operands::new(x, w, "qmatmul_int8")?;
    let (m, k, n) = (ops.m, ops.k, ops.n);
    let x = &ops.x[..];
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(TensorError::NonFinite(format!(
            "qmatmul_int8 activation element {i} is {}",
            x[i]
        )));
    }
    if m == 0 || n == 0 || k == 0 {
        return ops.finish(vec![0f32; m * n]);
    }
    let outlier = outlier_columns(x, k, outlier_threshold);
    let cols: Vec<usize> = (0..k).filter(|&j| outlier[j]).collect();
    let (xq, sx) = quantize_rows(x, k, &outlier);
    // the outlier activations, gathered: xo[b * cols.len() + i] = x[b, cols[i]]
    let xo: Vec<f32> = x
        .chunks_exact(k)
        .flat_map(|row| cols.iter().map(move |&j| row[j]))
        .collect();
    let xq = I8Activations::new(xq, k);
    let mut yt = vec![0f32; n * m];
    let parallel = m * n * k >= SERIAL_MAX_WORK;
    for_each_chunk(&mut yt, TASK_ROWS * m, parallel, |_, ci, chunk| {
        let r0 = ci * TASK_ROWS;
        let rows = chunk.len() / m;
        let mut acc = [0i64; TILE * TILE];
        for i0 in (0..rows).step_by(TILE) {
            let i1 = (i0 + TILE).min(rows);
            let mut rows: [&[i8]; TILE] = [&[]; TILE];
            for (slot, r) in rows.iter_mut().zip(r0 + i0..r0 + i1) {
                *slot = &wq[r * k..(r + 1) * k];
            }
            let ws = &rows[..i1 - i0];
            for b0 in (0..m).step_by(TILE) {
                let b1 = (b0 + TILE).min(m);
                dot_i8_tile(ws, &xq, b0..b1, &mut acc);
                for (i, wr) in ws.iter().enumerate() {
                    let r = r0 + i0 + i;
                    for b in b0..b1 {
                        let mut y = sx[b] * sw[r] * acc[i * (b1 - b0) + b - b0] as f32;
                        for (ci, &j) in cols.iter().enumerate() {
                            y += xo[b * cols.len() + ci] * (wr[j] as f32 * sw[r]);
                        }
                        chunk[(i0 + i) * m + b] = y;
                    }
                }
            }
        }
        Ok(())
    })?;
    ops.finish(yt)
}

fn format_name(f: QuantFormat) -> String {
    match f {
        QuantFormat::Int8(g) => format!("int8 {g:?}"),
        f => f.name().to_string(),
    }
}

/// Which input columns exceed the threshold in some activation row.
fn outlier_columns(x: &[f32], k: usize, threshold: Option<f32>) -> Vec<bool> {
    let mut out = vec![false; k];
    if let Some(t) = threshold {
        for row in x.chunks_exact(k) {
            for (o, v) in out.iter_mut().zip(row) {
                *o |= v.abs() > t;
            }
        }
    }
    out
}

/// Per-row absmax int8 quantization of the non-outlier columns (outlier
/// columns get code 0): the codes `[m, k]` and one scale per row.
fn quantize_rows(x: &[f32], k: usize, outlier: &[bool]) -> (Vec<i8>, Vec<f32>) {
    let rows: Vec<(Vec<i8>, f32)> = x
        .par_chunks_exact(k)
        .map(|row| {
            let amax = row
                .iter()
                .zip(outlier)
                .filter(|(_, &o)| !o)
                .fold(0f32, |a, (v, _)| a.max(v.abs()));
            let s = amax / 127.0;
            let q = row
                .iter()
                .zip(outlier)
                .map(|(&v, &o)| {
                    if o || s == 0.0 {
                        0
                    } else {
                        crate::quant::common::round_half_away(v / s).clamp(-127.0, 127.0) as i8
                    }
                })
                .collect();
            (q, s)
        })
        .collect();
    let scales = rows.iter().map(|r| r.1).collect();
    (rows.into_iter().flat_map(|r| r.0).collect(), scales)
}

#[cfg(test)]
mod tests {
    use super::super::qmatmul::tests::{check_against_dequantized, values};
    use super::*;
    use proptest::prelude::*;

    const PER_ROW: QuantFormat = QuantFormat::Int8(Int8Granularity::PerChannel { axis: 0 });

    /// The documented bound: (sx[b] / 2) · Σ_{j ∉ O} |w[r, j]| (+ f32 rounding,
    /// which `check_against_dequantized` adds).
    fn bound(
        x: &[f32],
        w: &QuantizedTensor,
        threshold: Option<f32>,
    ) -> impl Fn(usize, usize) -> f64 {
        let k = w.shape()[1];
        let wd = w.dequantize();
        let outl = outlier_columns(x, k, threshold);
        let sx: Vec<f32> = quantize_rows(x, k, &outl).1;
        move |b, r| {
            let wsum: f64 = (0..k)
                .filter(|&j| !outl[j])
                .map(|j| wd[r * k + j].abs() as f64)
                .sum();
            // the f32 rescale sx·sw·acc adds a few ulps of |acc|·sx·sw ≤ that sum
            (sx[b] as f64 / 2.0) * wsum * (1.0 + 1e-5)
                + 4.0 * f32::EPSILON as f64 * 127.0 * sx[b] as f64 * wsum
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn error_within_the_activation_rounding_bound(
            out in 1usize..30, inn in 1usize..80, m in 1usize..7, seed in 0u64..1000,
            with_threshold in any::<bool>(),
        ) {
            let wv = values(out * inn, seed);
            let mut x = values(m * inn, seed + 3);
            // a few large activations, so the threshold has work to do
            for j in (0..inn).step_by(7) {
                x[j] *= 30.0;
            }
            let t = if with_threshold { Some(6.0) } else { None };
            let w = QuantizedTensor::quantize(&wv, &[out, inn], PER_ROW).unwrap();
            let y = qmatmul_int8(&Tensor::from_vec(x.clone(), &[m, inn]).unwrap(), &w, t).unwrap();
            prop_assert_eq!(y.shape(), &[m, out][..]);
            check_against_dequantized(&x, &w, &y.to_vec::<f32>().unwrap(), bound(&x, &w, t));
        }
    }

    #[test]
    fn outlier_columns_reduce_the_error() {
        let (out, inn, m) = (64, 256, 4);
        let wv = values(out * inn, 1);
        let mut x = values(m * inn, 2);
        for b in 0..m {
            x[b * inn + 5] = 200.0;
            x[b * inn + 99] = -150.0;
        }
        let w = QuantizedTensor::quantize(&wv, &[out, inn], PER_ROW).unwrap();
        let xt = Tensor::from_vec(x.clone(), &[m, inn]).unwrap();
        let exact = qmatmul(&xt, &w);
        let err = |y: &Tensor| -> f32 {
            let (a, b) = (y.to_vec::<f32>().unwrap(), exact.to_vec::<f32>().unwrap());
            a.iter()
                .zip(&b)
                .map(|(p, q)| (p - q).abs())
                .fold(0.0, f32::max)
        };
        let plain = qmatmul_int8(&xt, &w, None).unwrap();
        let split = qmatmul_int8(&xt, &w, Some(6.0)).unwrap();
        assert!(
            err(&split) * 20.0 < err(&plain),
            "{} vs {}",
            err(&split),
            err(&plain)
        );
        // 1-D activations and a big (parallel) case agree with the f32 path too
        let x1 = Tensor::from_vec(x[..inn].to_vec(), &[inn]).unwrap();
        assert_eq!(qmatmul_int8(&x1, &w, Some(6.0)).unwrap().shape(), &[out]);
    }

    fn qmatmul(x: &Tensor, w: &QuantizedTensor) -> Tensor {
        super::super::qmatmul::qmatmul(x, w).unwrap()
    }

    #[test]
    fn errors() {
        let x = Tensor::from_vec(values(8, 1), &[2, 4]).unwrap();
        let q8 = QuantizedTensor::quantize(&values(12, 1), &[3, 4], QuantFormat::Q8_0).unwrap();
        assert!(
            matches!(qmatmul_int8(&x, &q8, None), Err(TensorError::InvalidArgument(m)) if m.contains("per_channel, 0"))
        );
        let axis1 = QuantFormat::Int8(Int8Granularity::PerChannel { axis: 1 });
        let w1 = QuantizedTensor::quantize(&values(12, 1), &[3, 4], axis1).unwrap();
        assert!(matches!(
            qmatmul_int8(&x, &w1, None),
            Err(TensorError::InvalidArgument(_))
        ));
        let w = QuantizedTensor::quantize(&values(12, 1), &[3, 4], PER_ROW).unwrap();
        assert!(matches!(
            qmatmul_int8(&x, &w, Some(-1.0)),
            Err(TensorError::InvalidArgument(_))
        ));
        assert!(matches!(
            qmatmul_int8(&x, &w, Some(f32::NAN)),
            Err(TensorError::InvalidArgument(_))
        ));
        let bad = Tensor::from_vec(vec![1.0, f32::INFINITY, 0.0, 0.0], &[1, 4]).unwrap();
        assert!(matches!(
            qmatmul_int8(&bad, &w, None),
            Err(TensorError::NonFinite(_))
        ));
        let x5 = Tensor::from_vec(values(5, 1), &[5]).unwrap();
        assert_eq!(
            qmatmul_int8(&x5, &w, None).err(),
            Some(TensorError::ShapeMismatch {
                expected: vec![4],
                got: vec![5]
            })
        );
        // all-zero activations: scale 0, codes 0, result 0
        let z = Tensor::from_vec(vec![0f32; 4], &[4]).unwrap();
        let y = qmatmul_int8(&z, &w, None).unwrap().to_vec::<f32>().unwrap();
        assert!(y.iter().all(|v| *v == 0.0));
    }
}
