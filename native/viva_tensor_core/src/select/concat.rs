//! Joining and cutting along an axis: [`concat`], [`stack`], [`split`], [`split_sizes`].

use crate::dtype::{DType, Element};
use crate::error::{Result, TensorError};
use crate::layout::normalize_axis;
use crate::tensor::Tensor;
use crate::view::SliceSpec;

/// Joins tensors along an existing axis (negative counts from the end).
///
/// Shapes: every input has the same rank `r >= 1` and the same dimensions
/// except along `axis`; the result has the sum of their `axis` dimensions
/// there. The result is a new contiguous tensor of the inputs' dtype; inputs
/// may be any views.
///
/// Errors: `InvalidArgument` for an empty list; `InvalidDtype` when dtypes
/// differ; `InvalidShape` for 0-D inputs; `OutOfBounds` for an axis outside
/// `[-r, r)`; `ShapeMismatch { expected, got }` when an input's rank or a
/// non-`axis` dimension differs from the first input (`expected` is the
/// first input's shape with the offending input's `axis` size put in).
pub fn concat(tensors: &[Tensor], axis: i64) -> Result<Tensor> {
    let first = tensors
        .first()
        .ok_or_else(|| TensorError::invalid_argument("concat needs at least one tensor"))?;
    let dtype = common_dtype(tensors, "concat")?;
    if first.rank() == 0 {
        return Err(TensorError::invalid_shape(
            "cannot concatenate 0-D tensors (use stack)",
        ));
    }
    let axis = normalize_axis(axis, first.rank())?;
    let mut total = 0usize;
    for t in tensors {
        let same = t.rank() == first.rank()
            && t.shape()
                .iter()
                .zip(first.shape())
                .enumerate()
                .all(|(i, (a, b))| i == axis || a == b);
        if !same {
            let mut expected = first.shape().to_vec();
            if let Some(&d) = t.shape().get(axis) {
                expected[axis] = d;
            }
            return Err(TensorError::ShapeMismatch {
                expected,
                got: t.shape().to_vec(),
            });
        }
        total = total
            .checked_add(t.shape()[axis])
            .ok_or_else(|| TensorError::invalid_shape("concatenated axis is too large"))?;
    }
    let mut shape = first.shape().to_vec();
    shape[axis] = total;
    crate::layout::checked_numel(&shape)?;
    let outer: usize = shape[..axis].iter().product();
    let inner: usize = shape[axis + 1..].iter().product();
    for_dtype!(dtype, T => {
        Tensor::from_vec(join::<T>(tensors, outer, inner, axis), &shape)
    })
}

/// Row-major elements of the concatenation: for each outer index, each
/// input's `axis`-slab in turn.
fn join<T: Element>(tensors: &[Tensor], outer: usize, inner: usize, axis: usize) -> Vec<T> {
    let parts: Vec<Vec<T>> = tensors
        .iter()
        .map(|t| t.to_vec::<T>().expect("dtypes checked by concat"))
        .collect();
    let total: usize = parts.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(total);
    for o in 0..outer {
        for (t, part) in tensors.iter().zip(&parts) {
            let slab = t.shape()[axis] * inner;
            out.extend_from_slice(&part[o * slab..(o + 1) * slab]);
        }
    }
    out
}

/// Joins same-shaped tensors along a new axis at position `axis`
/// (in `[-r-1, r]` for inputs of rank `r`; `-1` appends).
///
/// Shapes: `n` inputs of shape `s` give `s` with `n` inserted at `axis`.
/// The result is a new contiguous tensor of the inputs' dtype.
///
/// Errors: `InvalidArgument` for an empty list; `InvalidDtype` when dtypes
/// differ; `ShapeMismatch { expected: first shape, got }` when shapes differ;
/// `OutOfBounds` for an axis outside `[-r-1, r]`.
pub fn stack(tensors: &[Tensor], axis: i64) -> Result<Tensor> {
    let first = tensors
        .first()
        .ok_or_else(|| TensorError::invalid_argument("stack needs at least one tensor"))?;
    common_dtype(tensors, "stack")?;
    for t in tensors {
        if t.shape() != first.shape() {
            return Err(TensorError::ShapeMismatch {
                expected: first.shape().to_vec(),
                got: t.shape().to_vec(),
            });
        }
    }
    let axis = normalize_axis(axis, first.rank() + 1)?;
    let lifted = tensors
        .iter()
        .map(|t| t.unsqueeze(axis as i64))
        .collect::<Result<Vec<_>>>()?;
    concat(&lifted, axis as i64)
}

/// Cuts `t` into `sections` equal parts along `axis` (negative counts from
/// the end).
///
/// Returns views sharing `t`'s storage (no copy; `contiguous()` gives a part
/// its own storage), each with `dim / sections` along `axis`.
///
/// Errors: `OutOfBounds` for an axis outside the rank (so always for 0-D);
/// `InvalidArgument` when `sections` is 0 or does not divide the dimension.
pub fn split(t: &Tensor, sections: usize, axis: i64) -> Result<Vec<Tensor>> {
    let ax = normalize_axis(axis, t.rank())?;
    let dim = t.shape()[ax];
    if sections == 0 || !dim.is_multiple_of(sections) {
        return Err(TensorError::invalid_argument(format!(
            "cannot split axis {ax} of size {dim} into {sections} equal sections"
        )));
    }
    split_sizes(t, &vec![dim / sections; sections], axis)
}

/// Cuts `t` along `axis` into consecutive parts of the given sizes (which
/// must add up to the dimension; zero sizes give empty parts).
///
/// Returns views sharing `t`'s storage, like [`split`].
///
/// Errors: `OutOfBounds` for an axis outside the rank; `InvalidArgument`
/// when the sizes do not sum to the dimension.
pub fn split_sizes(t: &Tensor, sizes: &[usize], axis: i64) -> Result<Vec<Tensor>> {
    let ax = normalize_axis(axis, t.rank())?;
    let dim = t.shape()[ax];
    let sum = sizes.iter().try_fold(0usize, |a, &s| a.checked_add(s));
    if sum != Some(dim) {
        return Err(TensorError::invalid_argument(format!(
            "split sizes {sizes:?} do not add up to axis {ax} of size {dim}"
        )));
    }
    let mut specs: Vec<SliceSpec> = t
        .shape()
        .iter()
        .take(ax + 1)
        .map(|&d| SliceSpec {
            start: 0,
            stop: d as i64,
            step: 1,
        })
        .collect();
    let mut start = 0usize;
    sizes
        .iter()
        .map(|&s| {
            specs[ax] = SliceSpec {
                start: start as i64,
                stop: (start + s) as i64,
                step: 1,
            };
            start += s;
            t.slice(&specs)
        })
        .collect()
}

/// The dtype shared by all of `tensors` (non-empty).
pub(crate) fn common_dtype(tensors: &[Tensor], op: &str) -> Result<DType> {
    let dtype = tensors[0].dtype();
    if let Some(t) = tensors.iter().find(|t| t.dtype() != dtype) {
        return Err(TensorError::InvalidDtype(format!(
            "{op} inputs must share a dtype, got {} and {}",
            dtype.name(),
            t.dtype().name()
        )));
    }
    Ok(dtype)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn iota(shape: &[usize], dtype: DType, start: f64) -> Tensor {
        let n: usize = shape.iter().product();
        let v: Vec<f64> = (0..n).map(|i| start + i as f64).collect();
        Tensor::from_f64_slice(&v, shape, dtype).unwrap()
    }

    /// Element at a multi-index of a row-major f64 vector.
    fn at(v: &[f64], shape: &[usize], idx: &[usize]) -> f64 {
        let mut p = 0;
        for (i, d) in idx.iter().zip(shape) {
            p = p * d + i;
        }
        v[p]
    }

    fn all_indices(shape: &[usize]) -> Vec<Vec<usize>> {
        let mut out = vec![vec![]];
        for &d in shape {
            out = out
                .into_iter()
                .flat_map(|p| {
                    (0..d).map(move |i| {
                        let mut q = p.clone();
                        q.push(i);
                        q
                    })
                })
                .collect();
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn concat_split_round_trip(
            shape in proptest::collection::vec(1usize..4, 1..4),
            sizes in proptest::collection::vec(0usize..4, 1..4),
            axis_pick in 0usize..4,
            transpose in any::<bool>(),
            dtype in prop_oneof![Just(DType::F32), Just(DType::F64), Just(DType::F16), Just(DType::BF16)],
        ) {
            let axis = axis_pick % shape.len();
            let parts: Vec<Tensor> = sizes.iter().enumerate().map(|(i, &s)| {
                let mut sh = shape.clone();
                sh[axis] = s;
                if transpose {
                    // the same logical shape as a reversed-axes view
                    let rev: Vec<usize> = sh.iter().rev().copied().collect();
                    iota(&rev, dtype, 100.0 * i as f64).transpose()
                } else {
                    iota(&sh, dtype, 100.0 * i as f64)
                }
            }).collect();
            let joined = concat(&parts, axis as i64 - shape.len() as i64).unwrap();
            prop_assert_eq!(joined.dtype(), dtype);
            // naive reference: element-wise by index
            let jv = joined.to_f64_vec();
            let mut offset = 0;
            for p in &parts {
                let pv = p.to_f64_vec();
                for idx in all_indices(p.shape()) {
                    let mut jidx = idx.clone();
                    jidx[axis] += offset;
                    prop_assert_eq!(at(&jv, joined.shape(), &jidx), at(&pv, p.shape(), &idx));
                }
                offset += p.shape()[axis];
            }
            prop_assert_eq!(joined.shape()[axis], offset);
            let back = split_sizes(&joined, &sizes, axis as i64).unwrap();
            prop_assert_eq!(back.len(), parts.len());
            for (b, p) in back.iter().zip(&parts) {
                prop_assert!(b.shares_storage_with(&joined));
                prop_assert_eq!(b.shape(), p.shape());
                prop_assert_eq!(b.to_f64_vec(), p.to_f64_vec());
            }
        }

        #[test]
        fn stack_then_split_gives_the_inputs_back(
            shape in proptest::collection::vec(1usize..4, 0..3),
            count in 1usize..4,
            axis_pick in 0usize..4,
        ) {
            let axis = axis_pick % (shape.len() + 1);
            let parts: Vec<Tensor> = (0..count)
                .map(|i| iota(&shape, DType::F32, 10.0 * i as f64))
                .collect();
            let s = stack(&parts, axis as i64).unwrap();
            let mut want = shape.clone();
            want.insert(axis, count);
            prop_assert_eq!(s.shape(), want.as_slice());
            for (i, piece) in split(&s, count, axis as i64).unwrap().iter().enumerate() {
                let squeezed = piece.squeeze(&[axis as i64]).unwrap();
                prop_assert_eq!(squeezed.to_f64_vec(), parts[i].to_f64_vec());
            }
        }
    }

    #[test]
    fn stack_accepts_negative_axes() {
        let a = iota(&[2, 3], DType::F64, 0.0);
        let b = iota(&[2, 3], DType::F64, 6.0);
        let s = stack(&[a.clone(), b.clone()], -1).unwrap();
        assert_eq!(s.shape(), &[2, 3, 2]);
        assert_eq!(
            s.to_f64_vec(),
            vec![0., 6., 1., 7., 2., 8., 3., 9., 4., 10., 5., 11.]
        );
        assert_eq!(stack(&[a.clone(), b], -3).unwrap().shape(), &[2, 2, 3]);
        assert!(matches!(stack(&[a], -4), Err(TensorError::OutOfBounds(_))));
    }

    #[test]
    fn errors() {
        let a = iota(&[2, 3], DType::F32, 0.0);
        let b = iota(&[2, 4], DType::F32, 0.0);
        let c = iota(&[2, 3], DType::F64, 0.0);
        assert!(matches!(
            concat(&[], 0),
            Err(TensorError::InvalidArgument(_))
        ));
        assert!(matches!(
            concat(&[a.clone(), c.clone()], 0),
            Err(TensorError::InvalidDtype(_))
        ));
        assert_eq!(
            concat(&[a.clone(), b.clone()], 0).unwrap_err(),
            TensorError::ShapeMismatch {
                expected: vec![2, 3],
                got: vec![2, 4]
            }
        );
        assert_eq!(concat(&[a.clone(), b.clone()], 1).unwrap().shape(), &[2, 7]);
        assert!(matches!(
            concat(&[a.clone(), iota(&[6], DType::F32, 0.0)], 0),
            Err(TensorError::ShapeMismatch { .. })
        ));
        assert!(matches!(
            concat(std::slice::from_ref(&a), 2),
            Err(TensorError::OutOfBounds(_))
        ));
        let s = Tensor::zeros(&[], DType::F32).unwrap();
        assert!(matches!(
            concat(&[s.clone(), s.clone()], 0),
            Err(TensorError::InvalidShape(_))
        ));
        assert_eq!(stack(&[s.clone(), s.clone()], 0).unwrap().shape(), &[2]);
        assert!(matches!(
            stack(&[], 0),
            Err(TensorError::InvalidArgument(_))
        ));
        assert!(matches!(
            stack(&[a.clone(), b.clone()], 0),
            Err(TensorError::ShapeMismatch { .. })
        ));
        assert!(matches!(
            stack(&[a.clone(), c], 0),
            Err(TensorError::InvalidDtype(_))
        ));
        assert!(matches!(
            split(&a, 2, 1),
            Err(TensorError::InvalidArgument(_))
        ));
        assert!(matches!(
            split(&a, 0, 1),
            Err(TensorError::InvalidArgument(_))
        ));
        assert!(matches!(split(&a, 1, 2), Err(TensorError::OutOfBounds(_))));
        assert!(matches!(split(&s, 1, 0), Err(TensorError::OutOfBounds(_))));
        assert!(matches!(
            split_sizes(&a, &[1, 1], 1),
            Err(TensorError::InvalidArgument(_))
        ));
        assert!(matches!(
            split_sizes(&a, &[usize::MAX, 4], 1),
            Err(TensorError::InvalidArgument(_))
        ));
    }
}
