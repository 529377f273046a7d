//! The `k` largest entries along an axis: [`top_k`].

use std::cmp::Ordering;

use rayon::prelude::*;

use crate::dtype::Element;
use crate::error::{Result, TensorError};
use crate::layout::normalize_axis;
use crate::tensor::{Tensor, PARALLEL_MIN_ELEMS};

/// The `k` largest entries along `axis` (negative counts from the end), in
/// descending order; equal values keep ascending index order. NaN ranks above
/// every number (as in PyTorch), so NaNs come first.
///
/// Returns `(values, indices)`: `values` has the input's shape with the
/// `axis` dimension replaced by `k` and the input's dtype; `indices` holds,
/// row-major in that same shape, the position of each value along `axis`.
/// Any view is accepted. `k = 0` gives empty results.
///
/// Errors: `OutOfBounds` for an axis outside the rank (always for 0-D);
/// `InvalidArgument` when `k` exceeds the `axis` dimension.
pub fn top_k(t: &Tensor, k: usize, axis: i64) -> Result<(Tensor, Vec<i64>)> {
    let ax = normalize_axis(axis, t.rank())?;
    let dim = t.shape()[ax];
    if k > dim {
        return Err(TensorError::invalid_argument(format!(
            "top_k: k = {k} exceeds axis {ax} of size {dim}"
        )));
    }
    let mut shape = t.shape().to_vec();
    shape[ax] = k;
    let outer: usize = t.shape()[..ax].iter().product();
    let inner: usize = t.shape()[ax + 1..].iter().product();
    // Move `axis` last so each selection runs over one contiguous row.
    let mut perm: Vec<i64> = (0..t.rank() as i64).filter(|&a| a != ax as i64).collect();
    perm.push(ax as i64);
    let rows_view = t.permute(&perm)?;
    for_dtype!(t.dtype(), T => {
        let rows = rows_view.to_vec::<T>()?;
        let (vals, idx) = select_rows::<T>(&rows, dim, k, outer, inner);
        Ok((Tensor::from_vec(vals, &shape)?, idx))
    })
}

/// `a` before `b` in the result: larger first, NaN largest, ties by index.
fn rank<T: Element>(row: &[T], a: usize, b: usize) -> Ordering {
    let (x, y) = (row[a], row[b]);
    let x_nan = x.partial_cmp(&x).is_none();
    let y_nan = y.partial_cmp(&y).is_none();
    let by_value = match (x_nan, y_nan) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => y.partial_cmp(&x).expect("no NaN"),
    };
    by_value.then(a.cmp(&b))
}

/// Selects the top `k` of each `dim`-long row (rows ordered outer-major,
/// inner-minor), writing results in the `[outer, k, inner]` layout.
fn select_rows<T: Element>(
    rows: &[T],
    dim: usize,
    k: usize,
    outer: usize,
    inner: usize,
) -> (Vec<T>, Vec<i64>) {
    let n_rows = outer * inner;
    let one = |r: usize| -> Vec<usize> {
        let row = &rows[r * dim..(r + 1) * dim];
        let mut order: Vec<usize> = (0..dim).collect();
        if k == 0 {
            return Vec::new();
        }
        if k < dim {
            order.select_nth_unstable_by(k - 1, |&a, &b| rank(row, a, b));
            order.truncate(k);
        }
        order.sort_unstable_by(|&a, &b| rank(row, a, b));
        order
    };
    let picks: Vec<Vec<usize>> = if n_rows * dim >= PARALLEL_MIN_ELEMS {
        (0..n_rows).into_par_iter().map(one).collect()
    } else {
        (0..n_rows).map(one).collect()
    };
    let mut vals = vec![T::default(); n_rows * k];
    let mut idx = vec![0i64; n_rows * k];
    for (r, pick) in picks.iter().enumerate() {
        let (o, i) = (r / inner, r % inner);
        for (j, &p) in pick.iter().enumerate() {
            let dst = (o * k + j) * inner + i;
            vals[dst] = rows[r * dim + p];
            idx[dst] = p as i64;
        }
    }
    (vals, idx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::DType;
    use proptest::prelude::*;

    use crate::ops::testutil::{ravel, unravel};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Against a full stable sort of each line (descending), with many
        /// ties from a small value range.
        #[test]
        fn top_k_matches_a_full_sort(
            shape in proptest::collection::vec(1usize..6, 1..4),
            axis_pick in 0usize..4,
            k_pick in 0usize..8,
            values in proptest::collection::vec(-3i32..4, 125),
            transpose in any::<bool>(),
            dtype in prop_oneof![Just(DType::F32), Just(DType::F64), Just(DType::F16), Just(DType::BF16)],
        ) {
            let ax = axis_pick % shape.len();
            let dim = shape[ax];
            let k = k_pick % (dim + 1);
            let n: usize = shape.iter().product();
            let vals: Vec<f64> = values[..n].iter().map(|&v| v as f64).collect();
            let t = if transpose {
                let rev: Vec<usize> = shape.iter().rev().copied().collect();
                let base = Tensor::from_f64_slice(&vals, &rev, dtype).unwrap();
                base.transpose()
            } else {
                Tensor::from_f64_slice(&vals, &shape, dtype).unwrap()
            };
            let tv = t.to_f64_vec();
            let (v, idx) = top_k(&t, k, ax as i64).unwrap();
            let mut oshape = shape.clone();
            oshape[ax] = k;
            prop_assert_eq!(v.shape(), oshape.as_slice());
            prop_assert_eq!(v.dtype(), dtype);
            prop_assert_eq!(idx.len(), v.numel());
            let vv = v.to_f64_vec();
            for flat in 0..vv.len() {
                let pos = unravel(flat, &oshape);
                // the line through `pos` along `ax`, sorted descending, stable
                let mut line: Vec<(usize, f64)> = (0..dim).map(|j| {
                    let mut p = pos.clone();
                    p[ax] = j;
                    (j, tv[ravel(&p, &shape)])
                }).collect();
                line.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap());
                let (want_i, want_v) = line[pos[ax]];
                prop_assert_eq!(idx[flat], want_i as i64);
                prop_assert_eq!(vv[flat], want_v);
            }
        }
    }

    #[test]
    fn nan_ranks_first_and_large_rows_run_in_parallel() {
        let t = Tensor::from_vec(vec![1.0f32, f32::NAN, 3.0, f32::NAN], &[4]).unwrap();
        let (v, i) = top_k(&t, 3, 0).unwrap();
        assert_eq!(i, vec![1, 3, 2]);
        assert!(v.to_vec::<f32>().unwrap()[0].is_nan());

        let n = 50_000;
        let data: Vec<f32> = (0..n).map(|i| ((i * 7919) % 1000) as f32).collect();
        let t = Tensor::from_vec(data.clone(), &[n]).unwrap();
        let (v, i) = top_k(&t, 5, -1).unwrap();
        assert_eq!(v.to_vec::<f32>().unwrap(), vec![999.0; 5]);
        let mut want: Vec<i64> = (0..n as i64)
            .filter(|&j| data[j as usize] == 999.0)
            .collect();
        want.truncate(5);
        assert_eq!(i, want);
    }

    #[test]
    fn errors() {
        let t = Tensor::zeros(&[2, 3], DType::F32).unwrap();
        assert!(matches!(
            top_k(&t, 4, 1),
            Err(TensorError::InvalidArgument(_))
        ));
        assert!(matches!(top_k(&t, 1, 2), Err(TensorError::OutOfBounds(_))));
        let s = Tensor::zeros(&[], DType::F32).unwrap();
        assert!(matches!(top_k(&s, 0, 0), Err(TensorError::OutOfBounds(_))));
        let (v, i) = top_k(&t, 0, 0).unwrap();
        assert_eq!(v.shape(), &[0, 3]);
        assert!(i.is_empty());
    }
}
