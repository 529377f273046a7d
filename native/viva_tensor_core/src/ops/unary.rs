//! Element-wise functions of one tensor.
//!
//! All functions here return a new contiguous tensor of the input's shape
//! and dtype (f16/bf16 computed in f32, rounded once) and cannot fail,
//! except [`clip`]. NaN inputs give NaN outputs; domain errors give the
//! IEEE result (`log(-1)` = NaN, `log(0)` = -inf, `sqrt(-1)` = NaN,
//! `rsqrt(0)` = inf).

use crate::error::{Result, TensorError};
use crate::layout::Layout;
use crate::ops::broadcast::map1;
use crate::ops::{Elem, Real};
use crate::tensor::Tensor;
use crate::with_buffer;

fn map_typed<T: Elem>(a: &[T], la: &Layout, f: impl Fn(T::C) -> T::C + Sync) -> Tensor {
    let out = map1(a, la, |x: T| T::store(f(x.load())));
    Tensor::from_vec(out, la.shape()).expect("shape of the input")
}

macro_rules! unary_fn {
    ($(#[$m:meta])* $name:ident, $f:path) => {
        $(#[$m])*
        pub fn $name(a: &Tensor) -> Tensor {
            with_buffer!(a.storage().buffer(), va => map_typed(va, a.layout(), |x| $f(x)))
        }
    };
}

#[inline(always)]
fn neg_<R: Real>(x: R) -> R {
    -x
}
#[inline(always)]
fn rsqrt_<R: Real>(x: R) -> R {
    R::ONE / x.sqrt()
}
#[inline(always)]
fn square_<R: Real>(x: R) -> R {
    x * x
}
/// `1 / (1 + e^-x)`, evaluated so that `exp` never overflows.
#[inline(always)]
fn sigmoid_<R: Real>(x: R) -> R {
    if x >= R::ZERO {
        R::ONE / (R::ONE + (-x).exp())
    } else {
        let e = x.exp();
        e / (R::ONE + e)
    }
}
/// NaN-preserving `max(x, 0)`.
#[inline(always)]
fn relu_<R: Real>(x: R) -> R {
    if x < R::ZERO {
        R::ZERO
    } else {
        x
    }
}
#[inline(always)]
fn gelu_tanh_<R: Real>(x: R) -> R {
    let half = R::from_f64(0.5);
    let k = R::from_f64((2.0 / std::f64::consts::PI).sqrt());
    let c = R::from_f64(0.044715);
    half * x * (R::ONE + (k * (x + c * x * x * x)).tanh())
}
#[inline(always)]
fn gelu_erf_<R: Real>(x: R) -> R {
    let half = R::from_f64(0.5);
    half * x * (R::ONE + (x * R::from_f64(std::f64::consts::FRAC_1_SQRT_2)).erf())
}
#[inline(always)]
fn silu_<R: Real>(x: R) -> R {
    x * sigmoid_(x)
}

unary_fn!(
    /// `-x`.
    neg, neg_
);
unary_fn!(
    /// `|x|`.
    abs, Real::abs
);
unary_fn!(
    /// `e^x`.
    exp, Real::exp
);
unary_fn!(
    /// Natural logarithm.
    log, Real::ln
);
unary_fn!(
    /// Square root.
    sqrt, Real::sqrt
);
unary_fn!(
    /// `1 / sqrt(x)`.
    rsqrt, rsqrt_
);
unary_fn!(
    /// `x * x`.
    square, square_
);
unary_fn!(
    /// Hyperbolic tangent.
    tanh, Real::tanh
);
unary_fn!(
    /// Logistic `1 / (1 + e^-x)`; stable for large `|x|` (never overflows,
    /// saturates to exactly 0 or 1).
    sigmoid, sigmoid_
);
unary_fn!(
    /// `max(x, 0)`; NaN stays NaN.
    relu, relu_
);
unary_fn!(
    /// GELU, tanh approximation:
    /// `0.5 x (1 + tanh(sqrt(2/π) (x + 0.044715 x³)))`.
    gelu, gelu_tanh_
);
unary_fn!(
    /// GELU, exact form `0.5 x (1 + erf(x / √2))` (erf from `libm`).
    gelu_erf, gelu_erf_
);
unary_fn!(
    /// SiLU / swish: `x * sigmoid(x)`.
    silu, silu_
);
unary_fn!(
    /// Sine (radians).
    sin, Real::sin
);
unary_fn!(
    /// Cosine (radians).
    cos, Real::cos
);

/// Clamps every element into `[min, max]` (bounds first rounded to the
/// compute type); NaN elements stay NaN. Same shape and dtype as `a`.
///
/// Errors: `InvalidArgument` when `min > max` or a bound is NaN.
pub fn clip(a: &Tensor, min: f64, max: f64) -> Result<Tensor> {
    if min.is_nan() || max.is_nan() || min > max {
        return Err(TensorError::invalid_argument(format!(
            "clip needs min <= max, got min {min}, max {max}"
        )));
    }
    Ok(with_buffer!(a.storage().buffer(), va => clip_typed(va, a.layout(), min, max)))
}

fn clip_typed<T: Elem>(a: &[T], la: &Layout, min: f64, max: f64) -> Tensor {
    let (lo, hi) = (T::C::from_f64(min), T::C::from_f64(max));
    map_typed(a, la, move |x| {
        if x < lo {
            lo
        } else if x > hi {
            hi
        } else {
            x
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testutil::*;
    use crate::DType;
    use proptest::prelude::*;

    fn ref_sigmoid(x: f64) -> f64 {
        1.0 / (1.0 + (-x).exp())
    }

    #[allow(clippy::type_complexity)]
    fn ops() -> Vec<(&'static str, fn(&Tensor) -> Tensor, fn(f64) -> f64)> {
        vec![
            ("neg", neg, |x| -x),
            ("abs", abs, f64::abs),
            ("exp", exp, f64::exp),
            ("log", log, f64::ln),
            ("sqrt", sqrt, f64::sqrt),
            ("rsqrt", rsqrt, |x| 1.0 / x.sqrt()),
            ("square", square, |x| x * x),
            ("tanh", tanh, f64::tanh),
            ("sigmoid", sigmoid, ref_sigmoid),
            ("relu", relu, |x| if x > 0.0 { x } else { 0.0 }),
            ("gelu", gelu, |x| {
                0.5 * x
                    * (1.0
                        + ((2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x.powi(3))).tanh())
            }),
            ("gelu_erf", gelu_erf, |x| {
                0.5 * x * (1.0 + libm::erf(x / 2f64.sqrt()))
            }),
            ("silu", silu, |x| x * ref_sigmoid(x)),
            ("sin", sin, f64::sin),
            ("cos", cos, f64::cos),
        ]
    }

    #[test]
    fn sigmoid_and_silu_are_stable_for_large_inputs() {
        let t = Tensor::from_f64_slice(
            &[
                -1000.0,
                -200.0,
                200.0,
                1000.0,
                f64::NEG_INFINITY,
                f64::INFINITY,
            ],
            &[6],
            DType::F32,
        )
        .unwrap();
        assert_eq!(sigmoid(&t).to_f64_vec(), vec![0.0, 0.0, 1.0, 1.0, 0.0, 1.0]);
        let s = silu(&t).to_f64_vec();
        assert_eq!(&s[..4], &[-0.0, -0.0, 200.0, 1000.0]);
        assert!(s.iter().take(4).all(|x| x.is_finite()));
    }

    #[test]
    fn nan_propagates_and_domains_follow_ieee() {
        let t = Tensor::from_f64_slice(&[f64::NAN, -1.0, 0.0], &[3], DType::F64).unwrap();
        for (name, op, _) in ops() {
            assert!(op(&t).to_f64_vec()[0].is_nan(), "{name}");
        }
        let l = log(&t).to_f64_vec();
        assert!(l[1].is_nan() && l[2] == f64::NEG_INFINITY);
        assert_eq!(rsqrt(&t).to_f64_vec()[2], f64::INFINITY);
        assert!(clip(&t, 0.0, 1.0).unwrap().to_f64_vec()[0].is_nan());
        assert_eq!(
            exp(&Tensor::from_f64_slice(&[1000.0], &[1], DType::F32).unwrap()).to_f64_vec(),
            vec![f64::INFINITY]
        );
    }

    #[test]
    fn clip_checks_bounds() {
        let t = Tensor::from_f64_slice(&[-2.0, 0.5, 3.0], &[3], DType::BF16).unwrap();
        assert_eq!(
            clip(&t, -1.0, 1.0).unwrap().to_f64_vec(),
            vec![-1.0, 0.5, 1.0]
        );
        assert!(matches!(
            clip(&t, 2.0, 1.0),
            Err(TensorError::InvalidArgument(_))
        ));
        assert!(matches!(
            clip(&t, f64::NAN, 1.0),
            Err(TensorError::InvalidArgument(_))
        ));
        assert_eq!(
            clip(&t, 1.0, 1.0).unwrap().to_f64_vec(),
            vec![1.0, 1.0, 1.0]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn unary_ops_match_reference(
            shape in prop::collection::vec(1usize..6, 0..4),
            seed in any::<u64>(),
            dtype in any_dtype(),
        ) {
            let a = strided_tensor(&shape, dtype, seed);
            let vals = a.to_f64_vec();
            // f32 transcendental functions are within a few ulps
            let rel = match dtype { DType::F32 => 4e-6, d => tol(d) };
            for (name, op, f) in ops() {
                let got = op(&a);
                prop_assert_eq!(got.shape(), a.shape(), "{}", name);
                prop_assert_eq!(got.dtype(), dtype);
                let want: Vec<f64> = vals.iter().map(|&x| f(x)).collect();
                let want = Tensor::from_f64_slice(&want, &shape, dtype).unwrap().to_f64_vec();
                assert_close(&got.to_f64_vec(), &want, rel)?;
            }
            let got = clip(&a, -1.5, 2.25).unwrap().to_f64_vec();
            let want: Vec<f64> = vals.iter().map(|&x| x.clamp(-1.5, 2.25)).collect();
            prop_assert_eq!(got, want);
        }
    }
}
