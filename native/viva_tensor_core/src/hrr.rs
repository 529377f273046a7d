//! Holographic reduced representations (Plate): binding by circular
//! convolution, unbinding by circular correlation, both through real FFTs.
//!
//! For vectors `a`, `b` of length `d`:
//!
//! - `bind(a, b)[k] = Σ_j a[j] · b[(k - j) mod d]` = `irfft(rfft(a) · rfft(b))`
//! - `unbind(t, key)[k] = Σ_j key[j] · t[(k + j) mod d]` =
//!   `irfft(rfft(t) · conj(rfft(key)))`, i.e. binding with the involution
//!   of `key`, the approximate inverse Plate uses: `unbind(bind(a, b), a)`
//!   is close to `b` when `a` has i.i.d. N(0, 1/d) elements.
//!
//! Inputs are tensors whose **last axis** holds the vectors; leading axes
//! are a batch, processed in parallel (rayon). Work happens in f64 (f32,
//! f16, bf16 inputs are widened exactly, the result rounded once to the
//! input's dtype). FFT plans come from `realfft` and are cached per length,
//! so any `d` works (powers of two are fastest).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use crate::error::{Result, TensorError};
use crate::tensor::Tensor;
use crate::DType;

type Plans = (Arc<dyn RealToComplex<f64>>, Arc<dyn ComplexToReal<f64>>);

/// The planner (it shares twiddle tables between plans) and the plans made.
type PlanCache = Mutex<(RealFftPlanner<f64>, HashMap<usize, Plans>)>;

/// Forward and inverse plans for length `d`, made once per length.
fn plans(d: usize) -> Plans {
    static CACHE: OnceLock<PlanCache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new((RealFftPlanner::new(), HashMap::new())));
    let mut guard = cache.lock().unwrap_or_else(|p| p.into_inner());
    let (planner, map) = &mut *guard;
    if let Some(p) = map.get(&d) {
        return p.clone();
    }
    let p = (planner.plan_fft_forward(d), planner.plan_fft_inverse(d));
    map.insert(d, p.clone());
    p
}

/// Rows at least this long (times the batch) are spread over rayon.
const PARALLEL_MIN_ELEMS: usize = 1 << 14;

/// Which spectrum product to form.
#[derive(Clone, Copy)]
enum Op {
    /// `A · B`: circular convolution.
    Bind,
    /// `A · conj(B)`: circular correlation.
    Unbind,
}

/// Binds `a` and `b` by circular convolution along the last axis.
///
/// Shapes: equal, rank ≥ 1 (`[..., d]`; leading axes are a batch); any
/// views. Result: a new tensor of that shape and dtype.
///
/// Errors: `ShapeMismatch` when the shapes differ; `InvalidShape` for rank
/// 0 or `d = 0`; `InvalidDtype` when the dtypes differ.
pub fn bind(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    apply(a, b, Op::Bind)
}

/// Unbinds `key` from `trace` by circular correlation along the last axis:
/// the approximate inverse of [`bind`], `unbind(bind(a, b), a) ≈ b`.
///
/// Shapes, result and errors as [`bind`].
pub fn unbind(trace: &Tensor, key: &Tensor) -> Result<Tensor> {
    apply(trace, key, Op::Unbind)
}

fn apply(a: &Tensor, b: &Tensor, op: Op) -> Result<Tensor> {
    if a.shape() != b.shape() {
        return Err(TensorError::ShapeMismatch {
            expected: a.shape().to_vec(),
            got: b.shape().to_vec(),
        });
    }
    if a.dtype() != b.dtype() {
        return Err(TensorError::InvalidDtype(format!(
            "HRR operands must share a dtype, got {} and {}",
            a.dtype().name(),
            b.dtype().name()
        )));
    }
    let d = match a.shape().last() {
        Some(&d) if d > 0 => d,
        _ => {
            return Err(TensorError::invalid_shape(format!(
                "HRR vectors lie along the last axis, which must be non-empty; got shape {:?}",
                a.shape()
            )))
        }
    };
    let xa = a.to_f64_vec();
    let xb = b.to_f64_vec();
    let mut out = vec![0.0f64; xa.len()];
    let (fwd, inv) = plans(d);
    let run = |(o, (ra, rb)): (&mut [f64], (&[f64], &[f64]))| {
        convolve_row(ra, rb, o, op, &fwd, &inv);
    };
    if xa.len() >= PARALLEL_MIN_ELEMS && xa.len() > d {
        out.par_chunks_mut(d)
            .zip(xa.par_chunks(d).zip(xb.par_chunks(d)))
            .for_each(run);
    } else {
        out.chunks_mut(d)
            .zip(xa.chunks(d).zip(xb.chunks(d)))
            .for_each(run);
    }
    Tensor::from_f64_slice(&out, a.shape(), a.dtype())
}

/// One row: `out = irfft(rfft(a) ⊙ op(rfft(b))) / d`.
fn convolve_row(
    a: &[f64],
    b: &[f64],
    out: &mut [f64],
    op: Op,
    fwd: &Arc<dyn RealToComplex<f64>>,
    inv: &Arc<dyn ComplexToReal<f64>>,
) {
    let d = a.len();
    let mut input = a.to_vec();
    let mut fa = fwd.make_output_vec();
    let mut fb = fwd.make_output_vec();
    let mut scratch = fwd.make_scratch_vec();
    // Lengths always match the plan, so these cannot fail.
    fwd.process_with_scratch(&mut input, &mut fa, &mut scratch)
        .expect("forward FFT of a row of the planned length");
    input.copy_from_slice(b);
    fwd.process_with_scratch(&mut input, &mut fb, &mut scratch)
        .expect("forward FFT of a row of the planned length");
    for (x, y) in fa.iter_mut().zip(&fb) {
        *x *= match op {
            Op::Bind => *y,
            Op::Unbind => y.conj(),
        };
    }
    // A real signal's spectrum has real DC and (even d) Nyquist terms; the
    // products keep that up to rounding, which the inverse transform
    // rejects, so pin them.
    fa[0].im = 0.0;
    if d.is_multiple_of(2) {
        if let Some(last) = fa.last_mut() {
            last.im = 0.0;
        }
    }
    let mut iscratch = inv.make_scratch_vec();
    inv.process_with_scratch(&mut fa, out, &mut iscratch)
        .expect("inverse FFT of a spectrum of the planned length");
    let scale = 1.0 / d as f64;
    out.iter_mut().for_each(|x| *x *= scale);
}

/// A random HRR vector: `d` i.i.d. N(0, 1/d) elements from `seed` (the
/// same on every machine, see [`Tensor::random_normal`]).
///
/// Errors: `InvalidShape` for `d = 0`.
pub fn random_vector(d: usize, seed: u64, dtype: DType) -> Result<Tensor> {
    if d == 0 {
        return Err(TensorError::invalid_shape(
            "an HRR vector needs a dimension of at least 1",
        ));
    }
    Tensor::random_normal(&[d], seed, 0.0, 1.0 / (d as f64).sqrt(), dtype)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(a: &[f64], b: &[f64], op: Op) -> Vec<f64> {
        let d = a.len();
        (0..d)
            .map(|k| match op {
                Op::Bind => (0..d).map(|j| a[j] * b[(k + d - j) % d]).sum(),
                Op::Unbind => (0..d).map(|j| b[j] * a[(k + j) % d]).sum(),
            })
            .collect()
    }

    fn vecs(d: usize, seed: u64) -> Vec<f64> {
        random_vector(d, seed, DType::F64).unwrap().to_f64_vec()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn matches_naive_convolution(d in 1usize..70, batch in 1usize..4, seed in any::<u64>()) {
            let xa: Vec<f64> = (0..batch).flat_map(|i| vecs(d, seed ^ i as u64)).collect();
            let xb: Vec<f64> = (0..batch).flat_map(|i| vecs(d, seed.wrapping_add(99 + i as u64))).collect();
            let a = Tensor::from_f64_slice(&xa, &[batch, d], DType::F64).unwrap();
            let b = Tensor::from_f64_slice(&xb, &[batch, d], DType::F64).unwrap();
            for op in [Op::Bind, Op::Unbind] {
                let got = apply(&a, &b, op).unwrap().to_f64_vec();
                for r in 0..batch {
                    let want = naive(&xa[r * d..(r + 1) * d], &xb[r * d..(r + 1) * d], op);
                    for (g, w) in got[r * d..(r + 1) * d].iter().zip(&want) {
                        prop_assert!((g - w).abs() < 1e-9, "d={} {} vs {}", d, g, w);
                    }
                }
            }
        }
    }

    fn cosine(a: &[f64], b: &[f64]) -> f64 {
        let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
        let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
        dot / (na * nb)
    }

    #[test]
    fn unbinding_recovers_the_bound_item_among_distractors() {
        for d in [256usize, 1024, 2048, 8192] {
            let a = random_vector(d, 1, DType::F32).unwrap();
            let b = random_vector(d, 2, DType::F32).unwrap();
            let c = random_vector(d, 3, DType::F32).unwrap();
            let e = random_vector(d, 4, DType::F32).unwrap();
            // a trace holding two pairs: a*b + c*e
            let ab = bind(&a, &b).unwrap().to_f64_vec();
            let ce = bind(&c, &e).unwrap().to_f64_vec();
            let sum: Vec<f64> = ab.iter().zip(&ce).map(|(x, y)| x + y).collect();
            let trace = Tensor::from_f64_slice(&sum, &[d], DType::F32).unwrap();
            let got = unbind(&trace, &a).unwrap().to_f64_vec();
            let want = cosine(&got, &b.to_f64_vec());
            for s in 10..60 {
                let distractor = random_vector(d, s, DType::F32).unwrap().to_f64_vec();
                assert!(want > cosine(&got, &distractor) + 0.1, "d={d} seed {s}");
            }
            assert!(cosine(&got, &e.to_f64_vec()) < want, "d={d}");
            assert!(want > 0.4, "d={d}: {want}");
        }
    }

    #[test]
    fn errors_and_dtypes() {
        let a = random_vector(8, 1, DType::F32).unwrap();
        let b = random_vector(9, 1, DType::F32).unwrap();
        assert!(matches!(
            bind(&a, &b),
            Err(TensorError::ShapeMismatch { .. })
        ));
        let c = random_vector(8, 1, DType::F64).unwrap();
        assert!(matches!(bind(&a, &c), Err(TensorError::InvalidDtype(_))));
        let s = Tensor::from_f64_slice(&[1.0], &[], DType::F32).unwrap();
        assert!(matches!(bind(&s, &s), Err(TensorError::InvalidShape(_))));
        assert!(matches!(
            random_vector(0, 1, DType::F32),
            Err(TensorError::InvalidShape(_))
        ));
        for dtype in DType::ALL {
            let x = random_vector(16, 5, dtype).unwrap();
            let r = bind(&x, &x).unwrap();
            assert_eq!(r.dtype(), dtype);
            assert_eq!(r.shape(), &[16]);
        }
        // binding with the identity (1, 0, 0, ...) returns the other operand
        let mut id = vec![0.0; 8];
        id[0] = 1.0;
        let id = Tensor::from_f64_slice(&id, &[8], DType::F32).unwrap();
        let got = bind(&a, &id).unwrap().to_f64_vec();
        for (g, w) in got.iter().zip(a.to_f64_vec()) {
            assert!((g - w).abs() < 1e-6);
        }
    }
}
