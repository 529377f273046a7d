//! Element-wise comparisons and selection.
//!
//! There is no bool dtype yet: a comparison returns a *mask* tensor in the
//! inputs' dtype holding 1.0 where the relation holds and 0.0 elsewhere.
//! Comparisons follow IEEE-754: any comparison with NaN is false except
//! `ne`, which is true.
//!
//! Errors (all comparisons): `ShapeMismatch { expected: a.shape, got: b.shape }`
//! when the shapes do not broadcast; `InvalidDtype` when the dtypes differ.

use crate::error::Result;
use crate::layout::Layout;
use crate::ops::broadcast::{map2, map3};
use crate::ops::{dispatch2, Elem, Real};
use crate::tensor::Tensor;
use crate::with_buffer;

fn compare_typed<T: Elem>(
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
    f: impl Fn(T::C, T::C) -> bool + Sync,
) -> Result<Tensor> {
    let (one, zero) = (T::store(T::C::ONE), T::store(T::C::ZERO));
    let (out, shape) = map2(
        a,
        la,
        b,
        lb,
        |x: T, y: T| if f(x.load(), y.load()) { one } else { zero },
    )?;
    Tensor::from_vec(out, &shape)
}

macro_rules! compare_fn {
    ($(#[$m:meta])* $name:ident, |$x:ident, $y:ident| $e:expr) => {
        $(#[$m])*
        pub fn $name(a: &Tensor, b: &Tensor) -> Result<Tensor> {
            dispatch2!(stringify!($name), a, b, va, vb => {
                compare_typed(va, a.layout(), vb, b.layout(), |$x, $y| $e)
            })
        }
    };
}

compare_fn!(
    /// Mask of `a == b` (broadcasting): 1.0 where equal, else 0.0; NaN ≠ NaN.
    eq, |x, y| x == y
);
compare_fn!(
    /// Mask of `a != b` (broadcasting); 1.0 wherever either side is NaN.
    ne, |x, y| x != y
);
compare_fn!(
    /// Mask of `a < b` (broadcasting).
    lt, |x, y| x < y
);
compare_fn!(
    /// Mask of `a <= b` (broadcasting).
    le, |x, y| x <= y
);
compare_fn!(
    /// Mask of `a > b` (broadcasting).
    gt, |x, y| x > y
);
compare_fn!(
    /// Mask of `a >= b` (broadcasting).
    ge, |x, y| x >= y
);

/// Element-wise selection: `a` where `mask` is nonzero (NaN counts as
/// nonzero), else `b`; the three operands broadcast together.
///
/// `mask` may have any dtype; `a` and `b` must share one, which is the
/// result's. Errors: `InvalidDtype` when `a` and `b` differ in dtype;
/// `ShapeMismatch` when the three shapes do not broadcast.
pub fn where_(mask: &Tensor, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    with_buffer!(mask.storage().buffer(), vm => {
        dispatch2!("where", a, b, va, vb => {
            where_typed(vm, mask.layout(), va, a.layout(), vb, b.layout())
        })
    })
}

fn where_typed<M: Elem, T: Elem>(
    m: &[M],
    lm: &Layout,
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
) -> Result<Tensor> {
    let zero = M::C::ZERO;
    let (out, shape) = map3((m, lm), (a, la), (b, lb), |c: M, x: T, y: T| {
        // `!(c == 0)` so that NaN selects `a`
        if c.load() != zero {
            x
        } else {
            y
        }
    })?;
    Tensor::from_vec(out, &shape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::TensorError;
    use crate::ops::testutil::*;
    use crate::DType;
    use proptest::prelude::*;

    type Op = fn(&Tensor, &Tensor) -> Result<Tensor>;

    #[allow(clippy::type_complexity)]
    fn ops() -> Vec<(&'static str, Op, fn(f64, f64) -> bool)> {
        vec![
            ("eq", eq, |x, y| x == y),
            ("ne", ne, |x, y| x != y),
            ("lt", lt, |x, y| x < y),
            ("le", le, |x, y| x <= y),
            ("gt", gt, |x, y| x > y),
            ("ge", ge, |x, y| x >= y),
        ]
    }

    #[test]
    fn nan_compares_false_except_ne() {
        let a = Tensor::from_f64_slice(&[f64::NAN, 1.0], &[2], DType::F64).unwrap();
        let b = Tensor::from_f64_slice(&[f64::NAN, f64::NAN], &[2], DType::F64).unwrap();
        for (name, op, _) in ops() {
            let want = if name == "ne" { 1.0 } else { 0.0 };
            assert_eq!(op(&a, &b).unwrap().to_f64_vec(), vec![want, want], "{name}");
        }
    }

    #[test]
    fn errors() {
        let a = Tensor::zeros(&[2, 3], DType::F16).unwrap();
        let b = Tensor::zeros(&[3], DType::BF16).unwrap();
        assert!(matches!(lt(&a, &b), Err(TensorError::InvalidDtype(_))));
        let c = Tensor::zeros(&[2], DType::F16).unwrap();
        assert!(matches!(lt(&a, &c), Err(TensorError::ShapeMismatch { .. })));
        assert!(matches!(
            where_(&a, &a, &b),
            Err(TensorError::InvalidDtype(_))
        ));
        assert!(matches!(
            where_(&c, &a, &a),
            Err(TensorError::ShapeMismatch { .. })
        ));
        // mask of another dtype is fine
        let m = Tensor::from_f64_slice(&[1.0, f64::NAN, 0.0], &[3], DType::F64).unwrap();
        let x = Tensor::from_f64_slice(&[1.0, 2.0, 3.0], &[3], DType::F32).unwrap();
        let y = Tensor::from_f64_slice(&[-1.0], &[1], DType::F32).unwrap();
        let w = where_(&m, &x, &y).unwrap();
        assert_eq!(w.dtype(), DType::F32);
        assert_eq!(w.to_f64_vec(), vec![1.0, 2.0, -1.0]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn comparisons_match_reference(
            (sa, sb) in broadcastable_pair(4, 4),
            seed in any::<u64>(),
            dtype in any_dtype(),
        ) {
            let a = strided_tensor(&sa, dtype, seed);
            let b = strided_tensor(&sb, dtype, seed ^ 0xabc);
            for (name, op, f) in ops() {
                let got = op(&a, &b).unwrap();
                let (want, shape) = ref_binary(&a, &b, |x, y| if f(x, y) { 1.0 } else { 0.0 });
                prop_assert_eq!(got.shape(), &shape[..]);
                prop_assert_eq!(got.dtype(), dtype);
                prop_assert_eq!(got.to_f64_vec(), want, "{}", name);
            }
        }

        #[test]
        fn where_matches_reference(
            (sa, sb) in broadcastable_pair(3, 3),
            sm in prop::collection::vec(1usize..=1, 0..2),
            seed in any::<u64>(),
            dtype in any_dtype(),
            mdtype in any_dtype(),
        ) {
            let a = strided_tensor(&sa, dtype, seed);
            let b = strided_tensor(&sb, dtype, seed ^ 7);
            let ab = ref_broadcast_shape(&sa, &sb);
            // the mask: a shape broadcasting with a and b (drop leading axes / use 1s)
            let mshape: Vec<usize> = if sm.is_empty() { ab.clone() } else { ab.iter().map(|&d| if d % 2 == 0 { 1 } else { d }).collect() };
            let mask = strided_tensor(&mshape, mdtype, seed ^ 99);
            let got = where_(&mask, &a, &b).unwrap();
            let (va, vb, vm) = (a.to_f64_vec(), b.to_f64_vec(), mask.to_f64_vec());
            let shape = ref_broadcast_shape(&ab, &mshape);
            prop_assert_eq!(got.shape(), &shape[..]);
            let n: usize = shape.iter().product();
            let want: Vec<f64> = (0..n).map(|i| {
                let idx = unravel(i, &shape);
                if bcast_get(&vm, &mshape, &idx) != 0.0 { bcast_get(&va, &sa, &idx) } else { bcast_get(&vb, &sb, &idx) }
            }).collect();
            prop_assert_eq!(got.to_f64_vec(), want);
        }
    }
}
