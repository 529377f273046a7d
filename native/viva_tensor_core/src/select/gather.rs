//! Indexing copies: [`index_select`] (embedding lookup), [`take`], [`pad`].

use rayon::prelude::*;

use crate::dtype::Element;
use crate::error::{Result, TensorError};
use crate::layout::{checked_numel, contiguous_strides, normalize_axis, Layout};
use crate::tensor::{Tensor, PARALLEL_MIN_ELEMS};

/// Picks entries along `axis` (negative counts from the end): result index
/// `j` on that axis is input index `indices[j]`. With `axis = 0` on a
/// `[vocab, d]` table this is an embedding lookup.
///
/// Shapes: the input's shape with the `axis` dimension replaced by
/// `indices.len()`. Any dtype; any view (rows are read in place). Indices
/// may repeat; a negative index counts from the end of the axis.
///
/// Errors: `OutOfBounds` for an axis outside the rank (always for 0-D) or an
/// index outside `[-dim, dim)`.
pub fn index_select(t: &Tensor, axis: i64, indices: &[i64]) -> Result<Tensor> {
    let ax = normalize_axis(axis, t.rank())?;
    let dim = t.shape()[ax];
    let idx = indices
        .iter()
        .map(|&i| resolve_index(i, dim, &format!("axis {ax}")))
        .collect::<Result<Vec<_>>>()?;
    let mut shape = t.shape().to_vec();
    shape[ax] = idx.len();
    checked_numel(&shape)?;
    for_dtype!(t.dtype(), T => {
        let data = T::slice(t.storage().buffer()).expect("dtype matches buffer");
        Tensor::from_vec(select_typed::<T>(data, t.layout(), ax, &idx), &shape)
    })
}

fn select_typed<T: Element>(data: &[T], layout: &Layout, ax: usize, idx: &[usize]) -> Vec<T> {
    let shape = layout.shape();
    let strides = layout.strides();
    let outer = offsets(&shape[..ax], &strides[..ax], layout.offset() as isize);
    let inner = Layout::from_parts(shape[ax + 1..].to_vec(), strides[ax + 1..].to_vec(), 0);
    let inner_n = inner.numel();
    let pairs = outer.len() * idx.len();
    if pairs == 0 || inner_n == 0 {
        return Vec::new();
    }
    let step = strides[ax];
    // pair p = (outer o, selected j), in output order
    let fill = |range: std::ops::Range<usize>, out: &mut Vec<T>| {
        for p in range {
            let base = outer[p / idx.len()] + idx[p % idx.len()] as isize * step;
            append_view(out, data, &inner, base);
        }
    };
    let total = pairs * inner_n;
    if total < PARALLEL_MIN_ELEMS {
        let mut out = Vec::with_capacity(total);
        fill(0..pairs, &mut out);
        return out;
    }
    let per_task = (PARALLEL_MIN_ELEMS / inner_n).max(1);
    let parts: Vec<Vec<T>> = (0..pairs.div_ceil(per_task))
        .into_par_iter()
        .map(|c| {
            let range = c * per_task..((c + 1) * per_task).min(pairs);
            let mut part = Vec::with_capacity(range.len() * inner_n);
            fill(range, &mut part);
            part
        })
        .collect();
    let mut out = Vec::with_capacity(total);
    for part in parts {
        out.extend_from_slice(&part);
    }
    out
}

/// Picks elements by flat (row-major) index over the whole tensor, as if it
/// were 1-D. Negative indices count from the end.
///
/// Shapes: any input; result `[indices.len()]`, same dtype.
///
/// Errors: `OutOfBounds` for an index outside `[-numel, numel)`.
pub fn take(t: &Tensor, indices: &[i64]) -> Result<Tensor> {
    let n = t.numel();
    let idx = indices
        .iter()
        .map(|&i| resolve_index(i, n, "the flattened tensor"))
        .collect::<Result<Vec<_>>>()?;
    let layout = t.layout();
    let contiguous = layout.is_contiguous();
    let locate = |flat: usize| -> usize {
        if contiguous {
            return layout.offset() + flat;
        }
        let mut rest = flat;
        let mut pos = layout.offset() as isize;
        for (&d, &s) in layout.shape().iter().zip(layout.strides()).rev() {
            pos += (rest % d) as isize * s;
            rest /= d;
        }
        pos as usize
    };
    for_dtype!(t.dtype(), T => {
        let data = T::slice(t.storage().buffer()).expect("dtype matches buffer");
        let out: Vec<T> = idx.iter().map(|&i| data[locate(i)]).collect();
        Tensor::from_vec(out, &[idx.len()])
    })
}

/// Pads every axis with `value`: `pads[i] = (before, after)` elements are
/// added at the start and end of axis `i`.
///
/// Shapes: `pads.len()` must equal the rank (0-D: `&[]`, a copy); result
/// dimension `i` is `before + dim + after`. Same dtype; `value` is rounded to
/// it (nearest-even; out of range becomes ±inf).
///
/// Errors: `InvalidArgument` when `pads.len()` differs from the rank;
/// `InvalidShape` when the padded shape is too large.
pub fn pad(t: &Tensor, pads: &[(usize, usize)], value: f64) -> Result<Tensor> {
    if pads.len() != t.rank() {
        return Err(TensorError::invalid_argument(format!(
            "pad needs one (before, after) pair per axis: {} pairs for shape {:?}",
            pads.len(),
            t.shape()
        )));
    }
    let mut shape = Vec::with_capacity(t.rank());
    for (&d, &(b, a)) in t.shape().iter().zip(pads) {
        let padded = d
            .checked_add(b)
            .and_then(|x| x.checked_add(a))
            .ok_or_else(|| TensorError::invalid_shape("padded shape is too large"))?;
        shape.push(padded);
    }
    let total = checked_numel(&shape)?;
    for_dtype!(t.dtype(), T => {
        let data = T::slice(t.storage().buffer()).expect("dtype matches buffer");
        let mut out = vec![T::from_f64(value); total];
        pad_into::<T>(&mut out, data, t.layout(), &shape, pads);
        Tensor::from_vec(out, &shape)
    })
}

fn pad_into<T: Element>(
    out: &mut [T],
    data: &[T],
    layout: &Layout,
    shape: &[usize],
    pads: &[(usize, usize)],
) {
    let n = layout.numel();
    if n == 0 {
        return;
    }
    let rank = layout.rank();
    if rank == 0 {
        out[0] = data[layout.offset()];
        return;
    }
    let out_strides = contiguous_strides(shape);
    let inner = layout.shape()[rank - 1];
    let in_stride = layout.strides()[rank - 1];
    // output start of input row 0, then walk the input rows in order
    let start: isize = pads
        .iter()
        .zip(&out_strides)
        .map(|(&(b, _), &s)| b as isize * s)
        .sum();
    let outer_shape = &layout.shape()[..rank - 1];
    let dst_starts = offsets(outer_shape, &out_strides[..rank - 1], start);
    for (row, &dst) in dst_starts.iter().enumerate() {
        let src = layout.row_start(row);
        let dst = &mut out[dst as usize..dst as usize + inner];
        if in_stride == 1 {
            dst.copy_from_slice(&data[src as usize..src as usize + inner]);
        } else {
            for (j, d) in dst.iter_mut().enumerate() {
                *d = data[(src + j as isize * in_stride) as usize];
            }
        }
    }
}

/// `i` as an index into `0..dim`, negative counting from the end.
fn resolve_index(i: i64, dim: usize, what: &str) -> Result<usize> {
    let d = dim as i64;
    let r = if i < 0 { i + d } else { i };
    if r < 0 || r >= d {
        return Err(TensorError::out_of_bounds(format!(
            "index {i} is out of range for {what} of size {dim}"
        )));
    }
    Ok(r as usize)
}

/// `base + Σ idx_k * strides_k` for every multi-index of `shape`, row-major.
fn offsets(shape: &[usize], strides: &[isize], base: isize) -> Vec<isize> {
    let total: usize = shape.iter().product();
    let mut out = Vec::with_capacity(total);
    let mut idx = vec![0usize; shape.len()];
    let mut pos = base;
    for _ in 0..total {
        out.push(pos);
        for ax in (0..shape.len()).rev() {
            idx[ax] += 1;
            pos += strides[ax];
            if idx[ax] < shape[ax] {
                break;
            }
            pos -= strides[ax] * shape[ax] as isize;
            idx[ax] = 0;
        }
    }
    out
}

/// Appends, row-major, the elements of the view `layout` shifted to start at
/// storage index `base + layout.offset()`.
fn append_view<T: Copy>(out: &mut Vec<T>, data: &[T], layout: &Layout, base: isize) {
    let base = base + layout.offset() as isize;
    let rank = layout.rank();
    if rank == 0 {
        out.push(data[base as usize]);
        return;
    }
    if layout.is_contiguous() {
        let b = base as usize;
        out.extend_from_slice(&data[b..b + layout.numel()]);
        return;
    }
    let inner = layout.shape()[rank - 1];
    let stride = layout.strides()[rank - 1];
    for row_off in offsets(
        &layout.shape()[..rank - 1],
        &layout.strides()[..rank - 1],
        base,
    ) {
        if stride == 1 {
            let b = row_off as usize;
            out.extend_from_slice(&data[b..b + inner]);
        } else {
            out.extend((0..inner).map(|j| data[(row_off + j as isize * stride) as usize]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::DType;
    use crate::view::SliceSpec;
    use proptest::prelude::*;

    fn iota(shape: &[usize], dtype: DType) -> Tensor {
        let n: usize = shape.iter().product();
        let v: Vec<f64> = (0..n).map(|i| i as f64).collect();
        Tensor::from_f64_slice(&v, shape, dtype).unwrap()
    }

    /// A view of logical shape `shape`: contiguous, reversed-axes transpose,
    /// or sliced with step 2 on the first axis.
    fn view(shape: &[usize], mode: u8, dtype: DType) -> Tensor {
        match mode {
            1 => {
                let rev: Vec<usize> = shape.iter().rev().copied().collect();
                iota(&rev, dtype).transpose()
            }
            2 if !shape.is_empty() => {
                let mut s = shape.to_vec();
                s[0] *= 2;
                iota(&s, dtype)
                    .slice(&[SliceSpec {
                        start: 1,
                        stop: s[0] as i64,
                        step: 2,
                    }])
                    .unwrap()
            }
            _ => iota(shape, dtype),
        }
    }

    use crate::ops::testutil::{ravel, unravel};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn index_select_matches_naive(
            shape in proptest::collection::vec(1usize..5, 1..4),
            axis_pick in 0usize..4,
            raw in proptest::collection::vec(any::<i64>(), 0..8),
            mode in 0u8..3,
            dtype in prop_oneof![Just(DType::F32), Just(DType::F64), Just(DType::F16), Just(DType::BF16)],
        ) {
            let ax = axis_pick % shape.len();
            let dim = shape[ax] as i64;
            // indices in [-dim, dim)
            let indices: Vec<i64> = raw.iter().map(|r| r.rem_euclid(2 * dim) - dim).collect();
            let t = view(&shape, mode, dtype);
            let got = index_select(&t, ax as i64, &indices).unwrap();
            let mut want_shape = shape.clone();
            want_shape[ax] = indices.len();
            prop_assert_eq!(got.shape(), want_shape.as_slice());
            let tv = t.to_f64_vec();
            let gv = got.to_f64_vec();
            for (flat, g) in gv.iter().enumerate() {
                let mut idx = unravel(flat, &want_shape);
                idx[ax] = indices[idx[ax]].rem_euclid(dim) as usize;
                prop_assert_eq!(*g, tv[ravel(&idx, &shape)]);
            }
        }

        #[test]
        fn take_and_pad_match_naive(
            shape in proptest::collection::vec(1usize..5, 0..4),
            raw in proptest::collection::vec(any::<i64>(), 0..10),
            pads in proptest::collection::vec((0usize..3, 0usize..3), 4),
            mode in 0u8..3,
        ) {
            let t = view(&shape, mode, DType::F64);
            let tv = t.to_f64_vec();
            let n = tv.len() as i64;
            let indices: Vec<i64> = raw.iter().map(|r| r.rem_euclid(2 * n) - n).collect();
            let got = take(&t, &indices).unwrap();
            prop_assert_eq!(got.shape(), &[indices.len()]);
            let want: Vec<f64> = indices.iter().map(|&i| tv[i.rem_euclid(n) as usize]).collect();
            prop_assert_eq!(got.to_f64_vec(), want);

            let pads = &pads[..shape.len()];
            let p = pad(&t, pads, -7.5).unwrap();
            let pshape: Vec<usize> = shape.iter().zip(pads).map(|(d, (b, a))| b + d + a).collect();
            prop_assert_eq!(p.shape(), pshape.as_slice());
            for (flat, v) in p.to_f64_vec().iter().enumerate() {
                let idx = unravel(flat, &pshape);
                let inside: Option<Vec<usize>> = idx.iter().zip(pads).zip(&shape)
                    .map(|((&i, &(b, _)), &d)| (i >= b && i < b + d).then(|| i - b))
                    .collect();
                let want = match inside {
                    Some(src) => tv[ravel(&src, &shape)],
                    None => -7.5,
                };
                prop_assert_eq!(*v, want);
            }
        }
    }

    #[test]
    fn large_embedding_lookup_runs_in_parallel_and_matches() {
        let (vocab, d) = (500, 64);
        let table = iota(&[vocab, d], DType::F32);
        let ids: Vec<i64> = (0..2000).map(|i| (i * 7919) % vocab as i64).collect();
        let out = index_select(&table, 0, &ids).unwrap();
        assert_eq!(out.shape(), &[2000, d]);
        let v = out.to_vec::<f32>().unwrap();
        for (r, &id) in ids.iter().enumerate() {
            for c in 0..d {
                assert_eq!(v[r * d + c], (id as usize * d + c) as f32);
            }
        }
    }

    #[test]
    fn pad_rounds_the_value_to_the_dtype() {
        let t = iota(&[2], DType::BF16);
        let p = pad(&t, &[(1, 0)], 1.0 + 2f64.powi(-9)).unwrap();
        assert_eq!(p.to_f64_vec(), vec![1.0, 0.0, 1.0]);
    }

    #[test]
    fn errors() {
        let t = iota(&[3, 4], DType::F32);
        assert!(matches!(
            index_select(&t, 0, &[3]),
            Err(TensorError::OutOfBounds(_))
        ));
        assert!(matches!(
            index_select(&t, 0, &[-4]),
            Err(TensorError::OutOfBounds(_))
        ));
        assert_eq!(
            index_select(&t, 0, &[-3]).unwrap().to_vec::<f32>().unwrap(),
            vec![0., 1., 2., 3.]
        );
        assert!(matches!(
            index_select(&t, 2, &[0]),
            Err(TensorError::OutOfBounds(_))
        ));
        let s = Tensor::zeros(&[], DType::F32).unwrap();
        assert!(matches!(
            index_select(&s, 0, &[0]),
            Err(TensorError::OutOfBounds(_))
        ));
        assert!(matches!(take(&t, &[12]), Err(TensorError::OutOfBounds(_))));
        assert!(matches!(take(&t, &[-13]), Err(TensorError::OutOfBounds(_))));
        assert_eq!(take(&s, &[0, -1]).unwrap().shape(), &[2]);
        assert!(matches!(
            pad(&t, &[(1, 1)], 0.0),
            Err(TensorError::InvalidArgument(_))
        ));
        assert!(matches!(
            pad(&t, &[(usize::MAX, 1), (0, 0)], 0.0),
            Err(TensorError::InvalidShape(_))
        ));
    }
}
