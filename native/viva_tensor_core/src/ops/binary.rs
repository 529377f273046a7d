//! Element-wise arithmetic on two tensors (broadcasting) or a tensor and a
//! scalar.
//!
//! All functions here: the result is a new contiguous tensor of the
//! broadcast shape and of the inputs' dtype (f16/bf16 computed in f32,
//! rounded once). Errors: `ShapeMismatch { expected: a.shape, got: b.shape }`
//! when the shapes do not broadcast; `InvalidDtype` when the dtypes differ
//! (no implicit promotion). Scalars are f64 and are first rounded to the
//! compute type (f32 for f32/f16/bf16 tensors).

use crate::error::Result;
use crate::layout::Layout;
use crate::ops::broadcast::{map1, map2};
use crate::ops::{dispatch2, Elem, Real};
use crate::tensor::Tensor;
use crate::with_buffer;

fn zip_typed<T: Elem>(
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
    f: impl Fn(T::C, T::C) -> T::C + Sync,
) -> Result<Tensor> {
    let (out, shape) = map2(a, la, b, lb, |x: T, y: T| T::store(f(x.load(), y.load())))?;
    Tensor::from_vec(out, &shape)
}

fn scalar_typed<T: Elem>(
    a: &[T],
    la: &Layout,
    s: f64,
    f: impl Fn(T::C, T::C) -> T::C + Sync,
) -> Tensor {
    let s = T::C::from_f64(s);
    let out = map1(a, la, |x: T| T::store(f(x.load(), s)));
    Tensor::from_vec(out, la.shape()).expect("shape of the input")
}

/// Applies a compute-type closure to two tensors; `$f` is written once and
/// instantiated per dtype.
macro_rules! binary_fn {
    ($(#[$m:meta])* $name:ident, $sname:ident, |$x:ident, $y:ident| $e:expr) => {
        $(#[$m])*
        pub fn $name(a: &Tensor, b: &Tensor) -> Result<Tensor> {
            dispatch2!(stringify!($name), a, b, va, vb => {
                zip_typed(va, a.layout(), vb, b.layout(), |$x, $y| $e)
            })
        }

        #[doc = concat!("[`", stringify!($name), "`] with the scalar `s` as the right operand; same shape and dtype as `a`, never fails.")]
        pub fn $sname(a: &Tensor, s: f64) -> Tensor {
            with_buffer!(a.storage().buffer(), va => {
                scalar_typed(va, a.layout(), s, |$x, $y| $e)
            })
        }
    };
}

binary_fn!(
    /// `a + b`, broadcasting.
    add, add_scalar, |x, y| x + y
);
binary_fn!(
    /// `a - b`, broadcasting.
    sub, sub_scalar, |x, y| x - y
);
binary_fn!(
    /// `a * b`, broadcasting.
    mul, mul_scalar, |x, y| x * y
);
binary_fn!(
    /// `a / b`, broadcasting (IEEE: `x/0` is ±inf, `0/0` NaN).
    div, div_scalar, |x, y| x / y
);
binary_fn!(
    /// `a ^ b` (`powf`), broadcasting; negative base with a non-integer
    /// exponent gives NaN.
    pow, pow_scalar, |x, y| Real::powf(x, y)
);
binary_fn!(
    /// Element-wise maximum, broadcasting; NaN in either operand gives NaN
    /// (like `numpy.maximum`).
    maximum, maximum_scalar, |x, y| if Real::is_nan(x) || x > y { x } else { y }
);
binary_fn!(
    /// Element-wise minimum, broadcasting; NaN in either operand gives NaN
    /// (like `numpy.minimum`).
    minimum, minimum_scalar, |x, y| if Real::is_nan(x) || x < y { x } else { y }
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::TensorError;
    use crate::ops::testutil::*;
    use crate::DType;
    use proptest::prelude::*;

    type Op = fn(&Tensor, &Tensor) -> Result<Tensor>;
    type SOp = fn(&Tensor, f64) -> Tensor;

    fn np_max(x: f64, y: f64) -> f64 {
        if x.is_nan() || y.is_nan() {
            f64::NAN
        } else {
            x.max(y)
        }
    }
    fn np_min(x: f64, y: f64) -> f64 {
        if x.is_nan() || y.is_nan() {
            f64::NAN
        } else {
            x.min(y)
        }
    }

    #[allow(clippy::type_complexity)]
    fn ops() -> Vec<(&'static str, Op, SOp, fn(f64, f64) -> f64)> {
        vec![
            ("add", add, add_scalar, |x, y| x + y),
            ("sub", sub, sub_scalar, |x, y| x - y),
            ("mul", mul, mul_scalar, |x, y| x * y),
            ("div", div, div_scalar, |x, y| x / y),
            ("pow", pow, pow_scalar, f64::powf),
            ("maximum", maximum, maximum_scalar, np_max),
            ("minimum", minimum, minimum_scalar, np_min),
        ]
    }

    #[test]
    fn dtype_mismatch_is_invalid_dtype() {
        let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
        let b = Tensor::from_vec(vec![1.0f64, 2.0], &[2]).unwrap();
        for (name, op, _, _) in ops() {
            assert!(
                matches!(op(&a, &b), Err(TensorError::InvalidDtype(_))),
                "{name}"
            );
        }
    }

    #[test]
    fn incompatible_shapes_are_shape_mismatch() {
        let a = Tensor::zeros(&[2, 3], DType::F32).unwrap();
        let b = Tensor::zeros(&[4], DType::F32).unwrap();
        assert_eq!(
            add(&a, &b).unwrap_err(),
            TensorError::ShapeMismatch {
                expected: vec![2, 3],
                got: vec![4]
            }
        );
    }

    #[test]
    fn nan_and_inf_propagate() {
        let inf = f64::INFINITY;
        let a = Tensor::from_f64_slice(&[f64::NAN, 1.0, inf, 0.0, 2.0], &[5], DType::F32).unwrap();
        let b = Tensor::from_f64_slice(&[1.0, f64::NAN, inf, 0.0, inf], &[5], DType::F32).unwrap();
        let v = |t: Tensor| t.to_f64_vec();
        let s = v(sub(&a, &b).unwrap());
        assert!(s[0].is_nan() && s[1].is_nan() && s[2].is_nan() && s[3] == 0.0 && s[4] == -inf);
        let d = v(div(&a, &b).unwrap());
        assert!(d[3].is_nan() && d[4] == 0.0);
        let mx = v(maximum(&a, &b).unwrap());
        assert!(mx[0].is_nan() && mx[1].is_nan());
        assert_eq!(&mx[2..], &[inf, 0.0, inf]);
        let mn = v(minimum(&a, &b).unwrap());
        assert!(mn[0].is_nan() && mn[1].is_nan());
        assert_eq!(&mn[2..], &[inf, 0.0, 2.0]);
        assert!(v(maximum_scalar(&a, 0.0))[0].is_nan());
        assert!(v(maximum_scalar(&b, f64::NAN)).iter().all(|x| x.is_nan()));
        let one = Tensor::from_f64_slice(&[1.0], &[1], DType::F64).unwrap();
        assert_eq!(v(div_scalar(&one, 0.0)), vec![inf]);
    }

    #[test]
    fn half_types_round_once() {
        // 1 + 2^-11 is the f16 midpoint above 1: exact in f32, rounds to even (1.0)
        let a = Tensor::from_f64_slice(&[1.0], &[1], DType::F16).unwrap();
        let b = Tensor::from_f64_slice(&[2f64.powi(-11)], &[1], DType::F16).unwrap();
        assert_eq!(add(&a, &b).unwrap().to_f64_vec(), vec![1.0]);
        let c = Tensor::from_f64_slice(&[3.0 * 2f64.powi(-11)], &[1], DType::F16).unwrap();
        assert_eq!(
            add(&a, &c).unwrap().to_f64_vec(),
            vec![1.0 + 2.0 * 2f64.powi(-10)]
        );
    }

    #[test]
    fn large_inputs_take_the_parallel_paths() {
        let n = 100_000;
        let x: Vec<f32> = (0..n).map(|i| i as f32).collect();
        let a = Tensor::from_vec(x.clone(), &[n]).unwrap();
        let out = add(&a, &a).unwrap().to_vec::<f32>().unwrap();
        assert!(out.iter().enumerate().all(|(i, &v)| v == 2.0 * i as f32));
        let out = mul_scalar(&a, 0.5).to_vec::<f32>().unwrap();
        assert!(out.iter().enumerate().all(|(i, &v)| v == 0.5 * i as f32));
        let m = Tensor::from_vec(x, &[250, 400]).unwrap().transpose();
        let out = sub_scalar(&m, 1.0).to_vec::<f32>().unwrap();
        assert_eq!(out[1], 400.0 - 1.0);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn binary_ops_match_reference(
            (sa, sb) in broadcastable_pair(4, 4),
            seed in any::<u64>(),
            dtype in any_dtype(),
        ) {
            let a = strided_tensor(&sa, dtype, seed);
            let b = strided_tensor(&sb, dtype, seed.rotate_left(17) ^ 5);
            for (name, op, _, f) in ops() {
                let got = op(&a, &b).unwrap();
                prop_assert_eq!(got.dtype(), dtype);
                prop_assert!(got.is_contiguous());
                let (want, shape) = ref_binary(&a, &b, f);
                prop_assert_eq!(got.shape(), &shape[..], "{}", name);
                // the reference result rounded once to the dtype
                let want = Tensor::from_f64_slice(&want, &shape, dtype).unwrap().to_f64_vec();
                assert_close(&got.to_f64_vec(), &want, tol(dtype))?;
            }
        }

        #[test]
        fn scalar_ops_match_reference(
            shape in prop::collection::vec(1usize..5, 0..4),
            seed in any::<u64>(),
            dtype in any_dtype(),
            s in prop::sample::select(vec![-2.0, -0.5, 0.0, 0.75, 3.0]),
        ) {
            let a = strided_tensor(&shape, dtype, seed);
            let vals = a.to_f64_vec();
            for (name, _, op, f) in ops() {
                let got = op(&a, s);
                prop_assert_eq!(got.shape(), a.shape(), "{}", name);
                let want: Vec<f64> = vals.iter().map(|&x| f(x, s)).collect();
                let want = Tensor::from_f64_slice(&want, &shape, dtype).unwrap().to_f64_vec();
                assert_close(&got.to_f64_vec(), &want, tol(dtype))?;
            }
        }
    }
}
