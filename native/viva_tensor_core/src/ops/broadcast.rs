//! NumPy broadcasting: the common shape of two operands, and a strided walk
//! over 1 to 3 operands broadcast to it, writing a new contiguous output.
//!
//! Inputs are never copied: each operand keeps its own strides (0 on the
//! axes it is broadcast along). Axes are first *coalesced* — size-1 axes
//! dropped, neighbours merged when every operand steps through them as one
//! — so contiguous data becomes long rows. The output is then filled row by
//! row of the last (coalesced) axis:
//! - when every operand is contiguous and of the output's shape the whole
//!   thing is one plain zip over slices (auto-vectorized);
//! - otherwise each row gets the operands' row starts and inner strides and
//!   the kernel picks a loop for the stride pattern (1/1, 0/1, ...);
//! - from [`PARALLEL_MIN_ELEMS`] output elements, chunks of rows run in
//!   parallel on rayon; below, one thread.

use rayon::prelude::*;

use crate::error::{Result, TensorError};
use crate::layout::{checked_numel, Layout};
use crate::tensor::PARALLEL_MIN_ELEMS;

/// The shape two shapes broadcast to under NumPy rules: align trailing axes;
/// each pair of sizes must be equal or one of them 1 (a missing axis counts
/// as 1); the result takes the larger.
///
/// Errors: `ShapeMismatch { expected: a, got: b }` when some aligned pair
/// differs and neither is 1; `InvalidShape` when the result is too large.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0usize; rank];
    for (i, o) in out.iter_mut().enumerate() {
        let da = (i + a.len()).checked_sub(rank).map_or(1, |k| a[k]);
        let db = (i + b.len()).checked_sub(rank).map_or(1, |k| b[k]);
        *o = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(TensorError::ShapeMismatch {
                expected: a.to_vec(),
                got: b.to_vec(),
            });
        };
    }
    checked_numel(&out)?;
    Ok(out)
}

/// How `N` operands are walked, after broadcasting and coalescing.
#[derive(Debug, Clone)]
pub(crate) struct Plan<const N: usize> {
    /// Coalesced shape, rank >= 1 (a scalar becomes `[1]`).
    shape: Vec<usize>,
    /// Per operand, its strides over `shape`.
    strides: [Vec<isize>; N],
    /// Per operand, the storage index of element 0.
    offsets: [isize; N],
    numel: usize,
}

impl<const N: usize> Plan<N> {
    /// Broadcasts each layout to `shape` (which must be a broadcast of all of
    /// them, as from [`broadcast_shapes`]) and coalesces the axes.
    ///
    /// Errors: `ShapeMismatch` when a layout does not broadcast to `shape`.
    pub(crate) fn new(layouts: [&Layout; N], shape: &[usize]) -> Result<Plan<N>> {
        let rank = shape.len();
        let mut full: [Vec<isize>; N] = std::array::from_fn(|_| vec![0isize; rank]);
        for (l, st) in layouts.iter().zip(full.iter_mut()) {
            if l.rank() > rank {
                return Err(TensorError::ShapeMismatch {
                    expected: shape.to_vec(),
                    got: l.shape().to_vec(),
                });
            }
            let lead = rank - l.rank();
            for (k, (&d, &s)) in l.shape().iter().zip(l.strides()).enumerate() {
                let target = shape[lead + k];
                st[lead + k] = if d == target {
                    s
                } else if d == 1 {
                    0
                } else {
                    return Err(TensorError::ShapeMismatch {
                        expected: shape.to_vec(),
                        got: l.shape().to_vec(),
                    });
                };
            }
        }
        let (cshape, strides) = coalesce(shape, full);
        Ok(Plan {
            numel: shape.iter().product(),
            shape: cshape,
            strides,
            offsets: std::array::from_fn(|i| layouts[i].offset() as isize),
        })
    }

    /// Length of one row (the last coalesced axis).
    pub(crate) fn inner(&self) -> usize {
        *self.shape.last().expect("rank >= 1")
    }

    /// Per operand, its stride along the rows.
    pub(crate) fn inner_strides(&self) -> [isize; N] {
        std::array::from_fn(|i| *self.strides[i].last().expect("rank >= 1"))
    }

    /// True when every operand is one contiguous run of the output's size:
    /// rows are the whole tensor and every inner stride is 1.
    pub(crate) fn all_contiguous(&self) -> bool {
        self.shape.len() == 1 && self.strides.iter().all(|s| s[0] == 1)
    }

    /// Per operand, the storage index where output row `row` starts.
    #[inline]
    fn row_starts(&self, mut row: usize) -> [isize; N] {
        let mut pos = self.offsets;
        for k in (0..self.shape.len() - 1).rev() {
            let d = self.shape[k];
            let i = (row % d) as isize;
            row /= d;
            for (p, s) in pos.iter_mut().zip(&self.strides) {
                *p += i * s[k];
            }
        }
        pos
    }

    /// Fills a new contiguous output of `numel` elements row by row:
    /// `kernel(out_row, starts)` gets each row's slice of the output and the
    /// operands' storage indices of its first element. Rows run in parallel
    /// chunks from [`PARALLEL_MIN_ELEMS`] elements.
    pub(crate) fn fill<O, K>(&self, kernel: K) -> Vec<O>
    where
        O: Copy + Default + Send + bytemuck::Zeroable,
        K: Fn(&mut [O], [isize; N]) + Sync,
    {
        let n = self.numel;
        let mut out: Vec<O> = crate::alloc::zeroed_vec(n);
        if n == 0 {
            return out;
        }
        let inner = self.inner();
        if n < PARALLEL_MIN_ELEMS {
            for (row, dst) in out.chunks_mut(inner).enumerate() {
                kernel(dst, self.row_starts(row));
            }
        } else {
            let rows_per_task = (PARALLEL_MIN_ELEMS / inner).max(1);
            out.par_chunks_mut(rows_per_task * inner)
                .enumerate()
                .for_each(|(c, part)| {
                    for (r, dst) in part.chunks_mut(inner).enumerate() {
                        kernel(dst, self.row_starts(c * rows_per_task + r));
                    }
                });
        }
        out
    }
}

/// Drops size-1 axes and merges axis `k` into `k+1` when every operand has
/// `stride[k] == stride[k+1] * shape[k+1]`. Always returns rank >= 1.
pub(crate) fn coalesce<const N: usize>(
    shape: &[usize],
    strides: [Vec<isize>; N],
) -> (Vec<usize>, [Vec<isize>; N]) {
    let mut cs: Vec<usize> = Vec::with_capacity(shape.len());
    let mut cst: [Vec<isize>; N] = std::array::from_fn(|_| Vec::with_capacity(shape.len()));
    for (k, &d) in shape.iter().enumerate() {
        if d == 1 {
            continue;
        }
        if let Some(&last) = cs.last() {
            let _ = last;
            let mergeable = cst
                .iter()
                .zip(strides.iter())
                .all(|(c, s)| *c.last().expect("same rank") == s[k] * d as isize);
            if mergeable {
                *cs.last_mut().expect("nonempty") *= d;
                for (c, s) in cst.iter_mut().zip(strides.iter()) {
                    *c.last_mut().expect("same rank") = s[k];
                }
                continue;
            }
        }
        cs.push(d);
        for (c, s) in cst.iter_mut().zip(strides.iter()) {
            c.push(s[k]);
        }
    }
    if cs.is_empty() {
        cs.push(1);
        for c in cst.iter_mut() {
            c.push(0);
        }
    }
    (cs, cst)
}

/// Maps one strided operand through `f` into a new contiguous vector in
/// row-major order of `layout`'s shape.
pub(crate) fn map1<A, O, F>(a: &[A], la: &Layout, f: F) -> Vec<O>
where
    A: Copy + Sync,
    O: Copy + Default + Send + bytemuck::Zeroable,
    F: Fn(A) -> O + Sync,
{
    let n = la.numel();
    if la.is_contiguous() {
        let src = &a[la.offset()..la.offset() + n];
        if n < PARALLEL_MIN_ELEMS {
            return src.iter().map(|&x| f(x)).collect();
        }
        let mut out: Vec<O> = crate::alloc::zeroed_vec(n);
        out.par_chunks_mut(PARALLEL_MIN_ELEMS)
            .zip(src.par_chunks(PARALLEL_MIN_ELEMS))
            .for_each(|(o, s)| {
                for (o, &x) in o.iter_mut().zip(s) {
                    *o = f(x);
                }
            });
        return out;
    }
    let plan = Plan::<1>::new([la], la.shape()).expect("a layout broadcasts to its own shape");
    let [sa] = plan.inner_strides();
    plan.fill(|dst, [pa]| {
        if sa == 1 {
            let p = pa as usize;
            let len = dst.len();
            for (o, &x) in dst.iter_mut().zip(&a[p..p + len]) {
                *o = f(x);
            }
        } else {
            for (j, o) in dst.iter_mut().enumerate() {
                *o = f(a[(pa + j as isize * sa) as usize]);
            }
        }
    })
}

/// Maps two operands, broadcast together, through `f`. Returns the output
/// (contiguous, row-major) and its shape.
///
/// Errors: `ShapeMismatch` when the shapes do not broadcast.
pub(crate) fn map2<A, B, O, F>(
    a: &[A],
    la: &Layout,
    b: &[B],
    lb: &Layout,
    f: F,
) -> Result<(Vec<O>, Vec<usize>)>
where
    A: Copy + Sync,
    B: Copy + Sync,
    O: Copy + Default + Send + bytemuck::Zeroable,
    F: Fn(A, B) -> O + Sync,
{
    let shape = broadcast_shapes(la.shape(), lb.shape())?;
    let plan = Plan::<2>::new([la, lb], &shape)?;
    let n = plan.numel;
    if plan.all_contiguous() && n > 0 {
        let xa = &a[la.offset()..la.offset() + n];
        let xb = &b[lb.offset()..lb.offset() + n];
        if n < PARALLEL_MIN_ELEMS {
            return Ok((xa.iter().zip(xb).map(|(&x, &y)| f(x, y)).collect(), shape));
        }
        let mut out: Vec<O> = crate::alloc::zeroed_vec(n);
        out.par_chunks_mut(PARALLEL_MIN_ELEMS)
            .zip(
                xa.par_chunks(PARALLEL_MIN_ELEMS)
                    .zip(xb.par_chunks(PARALLEL_MIN_ELEMS)),
            )
            .for_each(|(o, (ca, cb))| {
                for ((o, &x), &y) in o.iter_mut().zip(ca).zip(cb) {
                    *o = f(x, y);
                }
            });
        return Ok((out, shape));
    }
    let [sa, sb] = plan.inner_strides();
    let out = plan.fill(|dst, [pa, pb]| {
        let len = dst.len();
        match (sa, sb) {
            (1, 1) => {
                let (pa, pb) = (pa as usize, pb as usize);
                for ((o, &x), &y) in dst.iter_mut().zip(&a[pa..pa + len]).zip(&b[pb..pb + len]) {
                    *o = f(x, y);
                }
            }
            (0, 1) => {
                let x = a[pa as usize];
                let pb = pb as usize;
                for (o, &y) in dst.iter_mut().zip(&b[pb..pb + len]) {
                    *o = f(x, y);
                }
            }
            (1, 0) => {
                let y = b[pb as usize];
                let pa = pa as usize;
                for (o, &x) in dst.iter_mut().zip(&a[pa..pa + len]) {
                    *o = f(x, y);
                }
            }
            _ => {
                for (j, o) in dst.iter_mut().enumerate() {
                    let j = j as isize;
                    *o = f(a[(pa + j * sa) as usize], b[(pb + j * sb) as usize]);
                }
            }
        }
    });
    Ok((out, shape))
}

/// Maps three operands, broadcast together, through `f`. Returns the output
/// (contiguous, row-major) and its shape.
///
/// Errors: `ShapeMismatch { expected: a.shape, got: b.shape }` when `a` and
/// `b` do not broadcast, else `{ expected: their broadcast, got: c.shape }`.
pub(crate) fn map3<A, B, C, O, F>(
    (a, la): (&[A], &Layout),
    (b, lb): (&[B], &Layout),
    (c, lc): (&[C], &Layout),
    f: F,
) -> Result<(Vec<O>, Vec<usize>)>
where
    A: Copy + Sync,
    B: Copy + Sync,
    C: Copy + Sync,
    O: Copy + Default + Send + bytemuck::Zeroable,
    F: Fn(A, B, C) -> O + Sync,
{
    let shape = broadcast_shapes(&broadcast_shapes(la.shape(), lb.shape())?, lc.shape())?;
    let plan = Plan::<3>::new([la, lb, lc], &shape)?;
    let [sa, sb, sc] = plan.inner_strides();
    let out = plan.fill(|dst, [pa, pb, pc]| {
        let len = dst.len();
        if (sa, sb, sc) == (1, 1, 1) {
            let (pa, pb, pc) = (pa as usize, pb as usize, pc as usize);
            for (((o, &x), &y), &z) in dst
                .iter_mut()
                .zip(&a[pa..pa + len])
                .zip(&b[pb..pb + len])
                .zip(&c[pc..pc + len])
            {
                *o = f(x, y, z);
            }
        } else {
            for (j, o) in dst.iter_mut().enumerate() {
                let j = j as isize;
                *o = f(
                    a[(pa + j * sa) as usize],
                    b[(pb + j * sb) as usize],
                    c[(pc + j * sc) as usize],
                );
            }
        }
    });
    Ok((out, shape))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testutil::*;
    use crate::Tensor;
    use proptest::prelude::*;

    #[test]
    fn broadcast_shapes_follows_numpy() {
        assert_eq!(
            broadcast_shapes(&[2, 1, 4], &[3, 1]).unwrap(),
            vec![2, 3, 4]
        );
        assert_eq!(broadcast_shapes(&[], &[5]).unwrap(), vec![5]);
        assert_eq!(broadcast_shapes(&[0], &[1]).unwrap(), vec![0]);
        assert_eq!(
            broadcast_shapes(&[2, 3], &[4]).unwrap_err(),
            TensorError::ShapeMismatch {
                expected: vec![2, 3],
                got: vec![4]
            }
        );
        assert!(broadcast_shapes(&[0], &[2]).is_err());
    }

    #[test]
    fn coalesce_merges_contiguous_axes_and_drops_ones() {
        let (s, [st]) = coalesce(&[2, 1, 3, 4], [vec![12, 99, 4, 1]]);
        assert_eq!((s, st), (vec![24], vec![1]));
        // a broadcast axis only merges with another broadcast axis
        let (s, [x, y]) = coalesce(&[2, 3, 4], [vec![12, 4, 1], vec![0, 0, 1]]);
        assert_eq!(s, vec![6, 4]);
        assert_eq!(x, vec![4, 1]);
        assert_eq!(y, vec![0, 1]);
        let (s, [x]) = coalesce(&[], [vec![]]);
        assert_eq!((s, x), (vec![1], vec![0]));
    }

    #[test]
    fn parallel_fill_matches_reference_order() {
        // 300 x 200 transposed: non-contiguous, above the parallel threshold
        let a = Tensor::from_vec(
            (0..60000).map(|i| i as f64).collect::<Vec<_>>(),
            &[200, 300],
        )
        .unwrap()
        .transpose();
        let b = Tensor::from_vec((0..200).map(|i| i as f64).collect::<Vec<_>>(), &[200]).unwrap();
        let (out, shape) = map2(
            a.as_f64_storage(),
            a.layout(),
            b.as_f64_storage(),
            b.layout(),
            |x: f64, y: f64| x * 1000.0 + y,
        )
        .unwrap();
        assert_eq!(shape, vec![300, 200]);
        for i in 0..300 {
            for j in 0..200 {
                assert_eq!(out[i * 200 + j], (j * 300 + i) as f64 * 1000.0 + j as f64);
            }
        }
    }

    proptest! {
        #[test]
        fn broadcast_shapes_matches_reference((a, b) in broadcastable_pair(4, 4)) {
            let want = ref_broadcast_shape(&a, &b);
            prop_assert_eq!(broadcast_shapes(&a, &b).unwrap(), want.clone());
            prop_assert_eq!(broadcast_shapes(&b, &a).unwrap(), want);
        }

        #[test]
        fn map2_on_views_matches_index_math(
            (a, b) in broadcastable_pair(4, 4),
            seed in any::<u64>(),
        ) {
            let ta = strided_tensor(&a, crate::DType::F64, seed);
            let tb = strided_tensor(&b, crate::DType::F64, seed ^ 0x9e37);
            let (out, shape) = map2(
                ta.as_f64_storage(), ta.layout(),
                tb.as_f64_storage(), tb.layout(),
                |x: f64, y: f64| x * 3.0 - y,
            ).unwrap();
            let want = ref_binary(&ta, &tb, |x, y| x * 3.0 - y);
            prop_assert_eq!(shape, want.1);
            prop_assert_eq!(out, want.0);
        }
    }
}
