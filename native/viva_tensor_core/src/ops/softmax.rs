//! Softmax and log-softmax along one axis.
//!
//! Both subtract the maximum along the axis before exponentiating, so large
//! inputs (`[1000, 1001]`) give finite results; they compute in the compute
//! type (f64 for f64, f32 otherwise) and round once. A slice containing NaN
//! gives NaN throughout; a slice of all `-inf` gives NaN (as in PyTorch).
//! Non-contiguous inputs are copied to row-major first.

use rayon::prelude::*;

use crate::error::Result;
use crate::layout::normalize_axis;
use crate::ops::{Elem, Real};
use crate::tensor::{Tensor, PARALLEL_MIN_ELEMS};
use crate::with_buffer;

/// `exp(x - max) / Σ exp(x - max)` along `axis` (negative counts from the
/// end). Result: same shape and dtype as `t`, contiguous.
///
/// Errors: `OutOfBounds` when `axis` is outside the rank (a rank-0 tensor has no axis).
pub fn softmax(t: &Tensor, axis: i64) -> Result<Tensor> {
    run(t, axis, false)
}

/// `x - max - ln Σ exp(x - max)` along `axis`: the log of [`softmax`],
/// without its underflow to `-inf` for very negative inputs. Result: same
/// shape and dtype as `t`, contiguous.
///
/// Errors: `OutOfBounds` when `axis` is outside the rank.
pub fn log_softmax(t: &Tensor, axis: i64) -> Result<Tensor> {
    run(t, axis, true)
}

fn run(t: &Tensor, axis: i64, log: bool) -> Result<Tensor> {
    let a = normalize_axis(axis, t.rank())?;
    let shape = t.shape();
    let outer: usize = shape[..a].iter().product();
    let len = shape[a];
    let inner: usize = shape[a + 1..].iter().product();
    let c = t.contiguous();
    let start = c.layout().offset();
    let n = c.numel();
    Ok(with_buffer!(c.storage().buffer(), v => {
        let out = softmax_typed(&v[start..start + n], outer, len, inner, log);
        Tensor::from_vec(out, shape).expect("shape of the input")
    }))
}

/// NaN-propagating max.
#[inline(always)]
fn max_nan<R: Real>(a: R, b: R) -> R {
    if b > a || b.is_nan() {
        b
    } else {
        a
    }
}

/// One row (`inner == 1`): the axis is contiguous.
fn row<T: Elem>(x: &[T], out: &mut [T], log: bool) {
    let m = x.iter().fold(T::C::from_f64(f64::NEG_INFINITY), |m, &v| {
        max_nan(m, v.load())
    });
    let mut s = T::C::ZERO;
    for &v in x {
        s = s + (v.load() - m).exp();
    }
    if log {
        let ls = m + s.ln();
        for (o, &v) in out.iter_mut().zip(x) {
            *o = T::store(v.load() - ls);
        }
    } else {
        let r = T::C::ONE / s;
        for (o, &v) in out.iter_mut().zip(x) {
            *o = T::store((v.load() - m).exp() * r);
        }
    }
}

/// One `[len, inner]` block: the axis has stride `inner`; work along rows
/// of `inner` so memory is read in order.
fn block<T: Elem>(
    x: &[T],
    out: &mut [T],
    len: usize,
    inner: usize,
    log: bool,
    m: &mut Vec<T::C>,
    s: &mut Vec<T::C>,
) {
    m.clear();
    m.resize(inner, T::C::from_f64(f64::NEG_INFINITY));
    s.clear();
    s.resize(inner, T::C::ZERO);
    for r in x.chunks_exact(inner) {
        for (mm, &v) in m.iter_mut().zip(r) {
            *mm = max_nan(*mm, v.load());
        }
    }
    for r in x.chunks_exact(inner) {
        for ((ss, &mm), &v) in s.iter_mut().zip(m.iter()).zip(r) {
            *ss = *ss + (v.load() - mm).exp();
        }
    }
    for (orow, r) in out
        .chunks_exact_mut(inner)
        .zip(x.chunks_exact(inner))
        .take(len)
    {
        for (((o, &v), &mm), &ss) in orow.iter_mut().zip(r).zip(m.iter()).zip(s.iter()) {
            *o = T::store(if log {
                v.load() - mm - ss.ln()
            } else {
                (v.load() - mm).exp() / ss
            });
        }
    }
}

fn softmax_typed<T: Elem>(x: &[T], outer: usize, len: usize, inner: usize, log: bool) -> Vec<T> {
    let n = x.len();
    let mut out: Vec<T> = crate::alloc::zeroed_vec(n);
    if n == 0 {
        return out;
    }
    let per = len * inner;
    let rows_per_task = (PARALLEL_MIN_ELEMS / per).max(1);
    let task = |(oc, xc): (&mut [T], &[T])| {
        let (mut m, mut s) = (Vec::new(), Vec::new());
        for (o, xb) in oc.chunks_mut(per).zip(xc.chunks(per)) {
            if inner == 1 {
                row(xb, o, log);
            } else {
                block(xb, o, len, inner, log, &mut m, &mut s);
            }
        }
    };
    let step = rows_per_task * per;
    if n < PARALLEL_MIN_ELEMS || outer == 1 {
        task((&mut out, x));
    } else {
        out.par_chunks_mut(step)
            .zip(x.par_chunks(step))
            .for_each(task);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::TensorError;
    use crate::ops::testutil::*;
    use crate::DType;
    use proptest::prelude::*;

    #[test]
    fn large_inputs_stay_finite() {
        // exp(100) overflows f32 and f16; 100 and 101 are exact in every dtype
        for dtype in DType::ALL {
            let t = Tensor::from_f64_slice(&[100.0, 101.0], &[2], dtype).unwrap();
            let s = softmax(&t, 0).unwrap().to_f64_vec();
            let e = 1.0 / (1.0 + std::f64::consts::E);
            assert!(
                (s[0] - e).abs() < 1e-2 && (s[1] - (1.0 - e)).abs() < 1e-2,
                "{dtype:?} {s:?}"
            );
            let l = log_softmax(&t, -1).unwrap().to_f64_vec();
            assert!(l.iter().all(|x| x.is_finite()), "{dtype:?} {l:?}");
            let t = Tensor::from_f64_slice(&[-1000.0, 0.0, 1000.0], &[3], dtype).unwrap();
            let l = log_softmax(&t, 0).unwrap().to_f64_vec();
            assert!(
                (l[0] + 2000.0).abs() < 20.0 && l[2] == 0.0,
                "{dtype:?} {l:?}"
            );
        }
    }

    #[test]
    fn nan_and_errors() {
        let t = Tensor::from_f64_slice(&[1.0, f64::NAN, 2.0, 3.0], &[2, 2], DType::F32).unwrap();
        let s = softmax(&t, 1).unwrap().to_f64_vec();
        assert!(s[0].is_nan() && s[1].is_nan() && s[2].is_finite());
        assert!(matches!(softmax(&t, 2), Err(TensorError::OutOfBounds(_))));
        let z = Tensor::full(&[], 1.0, DType::F32).unwrap();
        assert!(matches!(
            log_softmax(&z, 0),
            Err(TensorError::OutOfBounds(_))
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn softmax_matches_reference(
            shape in prop::collection::vec(1usize..6, 1..4),
            seed in any::<u64>(),
            axis_pick in any::<u64>(),
            dtype in any_dtype(),
        ) {
            let t = strided_tensor(&shape, dtype, seed);
            let rank = shape.len();
            let a = (axis_pick % rank as u64) as usize;
            let vals = t.to_f64_vec();
            let n = vals.len();
            let mut want_s = vec![0.0; n];
            let mut want_l = vec![0.0; n];
            for (i, (ws, wl)) in want_s.iter_mut().zip(want_l.iter_mut()).enumerate() {
                let idx = unravel(i, &shape);
                let line: Vec<f64> = (0..shape[a]).map(|j| {
                    let mut k = idx.clone();
                    k[a] = j;
                    vals[ravel(&k, &shape)]
                }).collect();
                let m = line.iter().copied().fold(f64::MIN, f64::max);
                let z: f64 = line.iter().map(|x| (x - m).exp()).sum();
                *ws = (vals[i] - m).exp() / z;
                *wl = vals[i] - m - z.ln();
            }
            let got = softmax(&t, a as i64).unwrap();
            prop_assert_eq!(got.shape(), &shape[..]);
            let want_s = Tensor::from_f64_slice(&want_s, &shape, dtype).unwrap().to_f64_vec();
            let want_l = Tensor::from_f64_slice(&want_l, &shape, dtype).unwrap().to_f64_vec();
            let rel = match dtype { DType::F32 => 4e-6, d => 2.0 * tol(d) };
            assert_close(&got.to_f64_vec(), &want_s, rel)?;
            assert_close(&log_softmax(&t, a as i64 - rank as i64).unwrap().to_f64_vec(), &want_l, rel)?;
        }
    }

    #[test]
    fn parallel_blocks_match_serial() {
        let t = Tensor::from_vec(
            (0..200_000)
                .map(|i| ((i % 13) as f32) * 0.5)
                .collect::<Vec<_>>(),
            &[100, 20, 100],
        )
        .unwrap();
        let s = softmax(&t, 1).unwrap();
        let sums = crate::ops::sum(&s, &[1], false).unwrap().to_f64_vec();
        assert!(sums.iter().all(|x| (x - 1.0).abs() < 1e-5));
        let s = softmax(&t, -1).unwrap();
        let sums = crate::ops::sum(&s, &[2], false).unwrap().to_f64_vec();
        assert!(sums.iter().all(|x| (x - 1.0).abs() < 1e-5));
    }
}
