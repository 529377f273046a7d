//! `qmatmul_q8`: a linear layer on q4_0, q8_0 or MXFP4 weights with the
//! activations quantized to int8 in blocks of 32, as llama.cpp's CPU
//! backend computes these formats. An opt-in alternative to
//! [`super::qmatmul::qmatmul`], which is exact f32 arithmetic on the
//! decoded weights: this one is faster (integer dot products, see
//! [`super::q8_dot`]) and adds the activations' rounding error.
//!
//! For weight row `r` (blocks of `scale_i · v`, `v` small integers) and
//! activation row `b` (blocks of `dx_i · c`, codes `c ∈ −127..=127`; see
//! [`Q8Activations`]):
//!
//! ```text
//! y[b, r] = Σ_i scale_{r,i} · dx_{b,i} · Σ_{j ∈ block i} v[r, j] · c[b, j]     (integer inner sums)
//! ```
//!
//! Against the exact `x @ dequant(w)ᵀ` the error is the activations'
//! rounding, at most half a step per element:
//!
//! ```text
//! |Δy[b, r]| ≤ Σ_i (dx_{b,i} / 2) · Σ_{j ∈ block i} |dequant(w)[r, j]|   (+ f32 rounding)
//! ```
//!
//! Rows must be whole blocks (`in % 32 == 0`): a block crossing into the
//! next row has no activation block to pair with.

use super::q8_activations::Q8Activations;
use super::q8_dot::{dot_rows, Q8Weight, MAX_ROWS};
use super::qmatmul::{for_each_chunk, Operands};
use super::{QuantPayload, QuantizedTensor};
use crate::{Result, Tensor, TensorError};

/// Multiply-adds below which the work stays on the calling thread.
const SERIAL_MAX_WORK: usize = 1 << 16;

/// Output rows per parallel task.
const TASK_ROWS: usize = 16;

/// `x @ dequant(w)ᵀ` with the activations quantized to int8 blocks of 32
/// and integer block dots (formulas and error bound in the module doc).
///
/// - `x`: any float dtype (converted to f32), shape `[..., in]`, any
///   strides; a 1-D `[in]` gives a 1-D `[out]`.
/// - `w`: a 2-D `[out, in]` tensor quantized as q4_0, q8_0 or MXFP4, with
///   `in` a multiple of 32.
/// - result: a new f32 tensor `[..., out]`.
///
/// Errors: `InvalidArgument` for another format or `in % 32 != 0`;
/// `NonFinite` when `x` holds NaN or infinity; the shape errors of
/// [`super::qmatmul::qmatmul`].
pub fn qmatmul_q8(x: &Tensor, w: &QuantizedTensor) -> Result<Tensor> {
    let (kind, bytes) = match (Q8Weight::of(w.format()), w.payload()) {
        (Some(kind), QuantPayload::Blocks(b)) => (kind, b),
        _ => {
            return Err(TensorError::invalid_argument(format!(
                "qmatmul_q8 takes q4_0, q8_0 or mxfp4 weights, got {} (qmatmul takes every format)",
                w.format().name()
            )))
        }
    };
    let ops = Operands::new(x, w, "qmatmul_q8")?;
    let (m, k, n) = (ops.m, ops.k, ops.n);
    if !k.is_multiple_of(32) {
        return Err(TensorError::invalid_argument(format!(
            "qmatmul_q8 needs rows of whole 32-value blocks, got in = {k} (qmatmul takes any)"
        )));
    }
    let x = &ops.x[..];
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(TensorError::NonFinite(format!(
            "qmatmul_q8 activation element {i} is {}",
            x[i]
        )));
    }
    if m == 0 || n == 0 || k == 0 {
        return ops.finish(vec![0f32; m * n]);
    }
    let xq = Q8Activations::quantize(x, k, kind);
    let row_bytes = k / 32 * kind.block_bytes();
    let mut yt = vec![0f32; n * m];
    let parallel = m * n * k >= SERIAL_MAX_WORK;
    for_each_chunk(&mut yt, TASK_ROWS * m, parallel, |_, ci, chunk| {
        let r0 = ci * TASK_ROWS;
        let rows = &bytes[r0 * row_bytes..(r0 + chunk.len() / m) * row_bytes];
        for b0 in (0..m).step_by(MAX_ROWS) {
            let b1 = (b0 + MAX_ROWS).min(m);
            dot_rows(kind, rows, &xq, b0..b1, &mut chunk[b0..], m);
        }
        Ok(())
    })?;
    ops.finish(yt)
}

#[cfg(test)]
mod tests {
    use super::super::qmatmul::tests::{check_against_dequantized, values};
    use super::super::QuantFormat;
    use super::*;
    use proptest::prelude::*;

    /// The module doc's bound: Σ_i (dx_i / 2) · Σ_{j ∈ i} |w[r, j]|.
    fn bound(x: &[f32], w: &QuantizedTensor) -> impl Fn(usize, usize) -> f64 {
        let k = w.shape()[1];
        let wd = w.dequantize();
        let kind = Q8Weight::of(w.format()).unwrap();
        let xq = Q8Activations::quantize(x, k, kind);
        move |b, r| {
            (0..k)
                .map(|j| xq.block_scale(b, j / 32) as f64 / 2.0 * wd[r * k + j].abs() as f64)
                .sum::<f64>()
                * (1.0 + 1e-5)
        }
    }

    const FORMATS: [QuantFormat; 3] = [QuantFormat::Q4_0, QuantFormat::Q8_0, QuantFormat::Mxfp4];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn error_within_the_activation_rounding_bound(
            out in 1usize..40, blocks in 1usize..5, m in 1usize..11, seed in 0u64..1000,
            f in 0usize..3,
        ) {
            let inn = 32 * blocks;
            let wv = values(out * inn, seed);
            let x = values(m * inn, seed + 3);
            let w = QuantizedTensor::quantize(&wv, &[out, inn], FORMATS[f]).unwrap();
            let y = qmatmul_q8(&Tensor::from_vec(x.clone(), &[m, inn]).unwrap(), &w).unwrap();
            prop_assert_eq!(y.shape(), &[m, out][..]);
            check_against_dequantized(&x, &w, &y.to_vec::<f32>().unwrap(), bound(&x, &w));
        }
    }

    /// A product big enough for the parallel paths (tasks, batched
    /// quantization) against the exact `qmatmul`, with a relative error
    /// near the activations' (not the weights') scale.
    #[test]
    fn large_products_track_the_exact_path() {
        let (out, inn, m) = (96, 512, 130);
        let wv = values(out * inn, 9);
        let x = values(m * inn, 4);
        for f in FORMATS {
            let w = QuantizedTensor::quantize(&wv, &[out, inn], f).unwrap();
            let xt = Tensor::from_vec(x.clone(), &[m, inn]).unwrap();
            let exact = super::super::qmatmul(&xt, &w)
                .unwrap()
                .to_vec::<f32>()
                .unwrap();
            let got = qmatmul_q8(&xt, &w).unwrap().to_vec::<f32>().unwrap();
            let rms = |v: &[f32]| {
                (v.iter().map(|a| (*a as f64).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
            };
            let diff: Vec<f32> = exact.iter().zip(&got).map(|(a, b)| a - b).collect();
            let rel = rms(&diff) / rms(&exact);
            assert!(rel < 0.01, "{f:?}: relative rms error {rel}");
            assert!(
                rel > 0.0,
                "{f:?}: the int8 activations must change the result"
            );
        }
    }

    #[test]
    fn errors() {
        let x = Tensor::from_vec(values(64, 1), &[2, 32]).unwrap();
        let q41 = QuantizedTensor::quantize(&values(96, 1), &[3, 32], QuantFormat::Q4_1).unwrap();
        assert!(
            matches!(qmatmul_q8(&x, &q41), Err(TensorError::InvalidArgument(m)) if m.contains("q4_1"))
        );
        let w = QuantizedTensor::quantize(&values(96, 1), &[2, 48], QuantFormat::Q4_0).unwrap();
        let x48 = Tensor::from_vec(values(48, 1), &[48]).unwrap();
        assert!(
            matches!(qmatmul_q8(&x48, &w), Err(TensorError::InvalidArgument(m)) if m.contains("in = 48"))
        );
        let w = QuantizedTensor::quantize(&values(96, 1), &[3, 32], QuantFormat::Q4_0).unwrap();
        let mut bad = values(32, 1);
        bad[7] = f32::NAN;
        assert!(matches!(
            qmatmul_q8(&Tensor::from_vec(bad, &[32]).unwrap(), &w),
            Err(TensorError::NonFinite(m)) if m.contains("element 7")
        ));
        let x33 = Tensor::from_vec(values(33, 1), &[33]).unwrap();
        assert_eq!(
            qmatmul_q8(&x33, &w).err(),
            Some(TensorError::ShapeMismatch {
                expected: vec![32],
                got: vec![33]
            })
        );
        // 1-D in, 1-D out; zero activations give zeros; an empty batch
        let y = qmatmul_q8(&Tensor::from_vec(vec![0f32; 32], &[32]).unwrap(), &w).unwrap();
        assert_eq!(y.shape(), &[3]);
        assert!(y.to_vec::<f32>().unwrap().iter().all(|v| *v == 0.0));
        let e = qmatmul_q8(&Tensor::from_vec(Vec::<f32>::new(), &[0, 32]).unwrap(), &w).unwrap();
        assert_eq!(e.shape(), &[0, 3]);
    }
}
