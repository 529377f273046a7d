//! Reductions over a set of axes: sum, mean, prod, max, min, var, std,
//! norm, and argmax/argmin along one axis.
//!
//! Axes (`axes: &[i64]`): negative axes count from the end; an empty list
//! means every axis. Errors: `OutOfBounds` for an axis outside the rank,
//! `InvalidArgument` for an axis named twice. With `keepdims` the reduced
//! axes stay as size 1, otherwise they are removed (reducing every axis
//! gives a rank-0 tensor).
//!
//! Accuracy: every dtype accumulates in **f64** (f32/f16/bf16 elements are
//! widened exactly), with 8 independent partial sums per run and, for large
//! runs, fixed-size chunks summed in parallel and then combined in order —
//! so results are deterministic and a 10M-element f32 sum is correct to
//! about 1e-12 relative before the final rounding. The result is rounded
//! once to the input's dtype.
//!
//! Empty reductions (the reduced axes hold no element): `sum` → 0,
//! `prod` → 1, `mean` → NaN, `var`/`std` → NaN, `norm` → 0; `max`, `min`,
//! `argmax`, `argmin` fail with `InvalidArgument` (like NumPy).
//!
//! NaN: `sum`/`mean`/`prod`/`var`/`norm` propagate it arithmetically;
//! `max`/`min` return NaN if any reduced element is NaN (like `numpy.max`);
//! `argmax`/`argmin` return the index of the first NaN (like NumPy).

use rayon::prelude::*;

use crate::error::{Result, TensorError};
use crate::layout::{normalize_axis, Layout};
use crate::ops::broadcast::coalesce;
use crate::ops::{Elem, Real};
use crate::tensor::{Tensor, PARALLEL_MIN_ELEMS};
use crate::with_buffer;

/// Elements one parallel task of a single long reduction takes.
const CHUNK: usize = 1 << 16;

/// Which vector norm [`norm`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NormOrd {
    /// `Σ |x|`.
    L1,
    /// `sqrt(Σ x²)` (accumulated in f64 without rescaling: f64 inputs above
    /// ~1e154 overflow to inf).
    L2,
    /// `max |x|` (0 for an empty reduction; NaN if any element is NaN).
    Inf,
}

/// Indices from [`argmax`] / [`argmin`]: there is no integer dtype yet, so
/// they come back as a plain row-major `Vec<i64>` of the given shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgIndices {
    /// Shape of the result (the input's with the axis removed, or kept as 1).
    pub shape: Vec<usize>,
    /// Index along the reduced axis, row-major over `shape`.
    pub indices: Vec<i64>,
}

/// Where the kept and the reduced elements of a view are.
#[derive(Debug)]
struct ReducePlan {
    out_shape: Vec<usize>,
    kept_shape: Vec<usize>,
    kept_strides: Vec<isize>,
    red_shape: Vec<usize>,
    red_strides: Vec<isize>,
    offset: usize,
    /// Number of outputs.
    m: usize,
    /// Elements reduced into each output.
    k: usize,
}

/// Marks the axes to reduce: all when `axes` is empty.
fn axis_mask(axes: &[i64], rank: usize) -> Result<Vec<bool>> {
    if axes.is_empty() {
        return Ok(vec![true; rank]);
    }
    let mut mask = vec![false; rank];
    for &a in axes {
        let k = normalize_axis(a, rank)?;
        if std::mem::replace(&mut mask[k], true) {
            return Err(TensorError::invalid_argument(format!(
                "axis {a} is named twice in {axes:?}"
            )));
        }
    }
    Ok(mask)
}

impl ReducePlan {
    fn new(layout: &Layout, reduced: &[bool], keepdims: bool) -> ReducePlan {
        let (mut ks, mut kst, mut rs, mut rst, mut out) = (vec![], vec![], vec![], vec![], vec![]);
        for ((&d, &s), &r) in layout.shape().iter().zip(layout.strides()).zip(reduced) {
            if r {
                rs.push(d);
                rst.push(s);
                if keepdims {
                    out.push(1);
                }
            } else {
                ks.push(d);
                kst.push(s);
                out.push(d);
            }
        }
        let (m, k) = (ks.iter().product(), rs.iter().product());
        let (kept_shape, [kept_strides]) = coalesce(&ks, [kst]);
        let (red_shape, [red_strides]) = coalesce(&rs, [rst]);
        ReducePlan {
            out_shape: out,
            kept_shape,
            kept_strides,
            red_shape,
            red_strides,
            offset: layout.offset(),
            m,
            k,
        }
    }

    /// Storage index of the first reduced element of output `i`.
    fn base(&self, mut i: usize) -> usize {
        let mut pos = self.offset as isize;
        for (&d, &s) in self.kept_shape.iter().zip(&self.kept_strides).rev() {
            pos += (i % d) as isize * s;
            i /= d;
        }
        pos as usize
    }

    /// True when each output's reduced elements are one contiguous run.
    fn contiguous_runs(&self) -> bool {
        self.red_shape.len() == 1 && (self.red_strides[0] == 1 || self.red_shape[0] == 1)
    }

    /// Copies output `i`'s reduced elements (row-major over the reduced
    /// axes) into `buf`.
    fn gather_into<T: Copy>(&self, data: &[T], i: usize, buf: &mut Vec<T>) {
        buf.clear();
        let base = self.base(i) as isize;
        let inner = *self.red_shape.last().expect("rank >= 1");
        let inner_stride = *self.red_strides.last().expect("rank >= 1");
        let outer = self.red_shape.len() - 1;
        for mut row in 0..self.k / inner {
            let mut pos = base;
            for k in (0..outer).rev() {
                let d = self.red_shape[k];
                pos += (row % d) as isize * self.red_strides[k];
                row /= d;
            }
            buf.extend((0..inner as isize).map(|j| data[(pos + j * inner_stride) as usize]));
        }
    }

    /// Runs `f(run, parallel_inside)` on every output's reduced elements, in
    /// output order. Many outputs: parallel over outputs. Few outputs with
    /// long runs: serial over outputs, `f` told to parallelize inside.
    fn run<T, R, F>(&self, data: &[T], f: F) -> Vec<R>
    where
        T: Copy + Send + Sync,
        R: Send,
        F: Fn(&[T], bool) -> R + Sync,
    {
        if self.k == 0 {
            return (0..self.m).map(|_| f(&[], false)).collect();
        }
        let contiguous = self.contiguous_runs();
        let one = |buf: &mut Vec<T>, i: usize, par: bool| {
            if contiguous {
                let b = self.base(i);
                f(&data[b..b + self.k], par)
            } else {
                self.gather_into(data, i, buf);
                f(buf, par)
            }
        };
        let total = self.m * self.k;
        if total < PARALLEL_MIN_ELEMS {
            let mut buf = Vec::new();
            return (0..self.m).map(|i| one(&mut buf, i, false)).collect();
        }
        if self.m >= 4 * rayon::current_num_threads() {
            (0..self.m)
                .into_par_iter()
                .with_min_len((PARALLEL_MIN_ELEMS / self.k).max(1))
                .map_init(Vec::new, |buf, i| one(buf, i, false))
                .collect()
        } else {
            let mut buf = Vec::new();
            (0..self.m).map(|i| one(&mut buf, i, true)).collect()
        }
    }
}

/// Folds `map(x)` of every element with `combine`, in f64, over 8 lanes.
#[inline]
fn fold_lanes<T: Elem>(
    xs: &[T],
    init: f64,
    map: impl Fn(f64) -> f64,
    combine: impl Fn(f64, f64) -> f64,
) -> f64 {
    let mut acc = [init; 8];
    let chunks = xs.chunks_exact(8);
    let rem = chunks.remainder();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a = combine(*a, map(x.load().to_f64()));
        }
    }
    let mut r = init;
    for &x in rem {
        r = combine(r, map(x.load().to_f64()));
    }
    acc.iter().fold(r, |r, &a| combine(r, a))
}

/// [`fold_lanes`], over fixed chunks in parallel when asked and long enough;
/// chunk results are combined in order (deterministic).
fn fold<T: Elem>(
    xs: &[T],
    par: bool,
    init: f64,
    map: impl Fn(f64) -> f64 + Sync,
    combine: impl Fn(f64, f64) -> f64 + Sync,
) -> f64 {
    if !par || xs.len() < 2 * CHUNK {
        return fold_lanes(xs, init, &map, &combine);
    }
    let parts: Vec<f64> = xs
        .par_chunks(CHUNK)
        .map(|c| fold_lanes(c, init, &map, &combine))
        .collect();
    parts.into_iter().fold(init, &combine)
}

#[inline(always)]
fn add(a: f64, b: f64) -> f64 {
    a + b
}
/// NaN-propagating max: keeps `a` when it is NaN, takes `b` when larger or NaN.
#[inline(always)]
fn max_nan(a: f64, b: f64) -> f64 {
    if b > a || b.is_nan() {
        b
    } else {
        a
    }
}
#[inline(always)]
fn min_nan(a: f64, b: f64) -> f64 {
    if b < a || b.is_nan() {
        b
    } else {
        a
    }
}

fn sum_f64<T: Elem>(xs: &[T], par: bool) -> f64 {
    fold(xs, par, 0.0, |x| x, add)
}

fn var_f64<T: Elem>(xs: &[T], par: bool, correction: f64) -> f64 {
    let n = xs.len() as f64;
    if n <= correction {
        return f64::NAN;
    }
    let mean = sum_f64(xs, par) / n;
    fold(xs, par, 0.0, |x| (x - mean) * (x - mean), add) / (n - correction)
}

/// Reduces with `f` (an f64 result per output), stores in the dtype.
fn reduce_with<T: Elem>(
    data: &[T],
    plan: &ReducePlan,
    f: impl Fn(&[T], bool) -> f64 + Sync,
) -> Tensor {
    let out: Vec<T> = plan.run(data, |xs, par| T::from_f64(f(xs, par)));
    Tensor::from_vec(out, &plan.out_shape).expect("output shape")
}

fn plan_for(t: &Tensor, axes: &[i64], keepdims: bool) -> Result<ReducePlan> {
    let mask = axis_mask(axes, t.rank())?;
    Ok(ReducePlan::new(t.layout(), &mask, keepdims))
}

fn nonempty(plan: &ReducePlan, op: &str) -> Result<()> {
    if plan.k == 0 {
        return Err(TensorError::invalid_argument(format!(
            "{op} of an empty reduction has no identity"
        )));
    }
    Ok(())
}

/// Sum over `axes` (empty = all), accumulated in f64; empty → 0.
/// Result: input dtype, reduced shape. Errors: see the module doc (bad axes).
pub fn sum(t: &Tensor, axes: &[i64], keepdims: bool) -> Result<Tensor> {
    let plan = plan_for(t, axes, keepdims)?;
    Ok(with_buffer!(t.storage().buffer(), v => reduce_with(v, &plan, sum_f64)))
}

/// Arithmetic mean over `axes` (empty = all), accumulated in f64; empty → NaN.
/// Result: input dtype, reduced shape. Errors: see the module doc (bad axes).
pub fn mean(t: &Tensor, axes: &[i64], keepdims: bool) -> Result<Tensor> {
    let plan = plan_for(t, axes, keepdims)?;
    Ok(with_buffer!(t.storage().buffer(), v => {
        reduce_with(v, &plan, |xs, par| sum_f64(xs, par) / xs.len() as f64)
    }))
}

/// Product over `axes` (empty = all), accumulated in f64; empty → 1.
/// Result: input dtype, reduced shape. Errors: see the module doc (bad axes).
pub fn prod(t: &Tensor, axes: &[i64], keepdims: bool) -> Result<Tensor> {
    let plan = plan_for(t, axes, keepdims)?;
    Ok(with_buffer!(t.storage().buffer(), v => {
        reduce_with(v, &plan, |xs, par| fold(xs, par, 1.0, |x| x, |a, b| a * b))
    }))
}

/// Maximum over `axes` (empty = all); NaN if any reduced element is NaN.
/// Result: input dtype (exact), reduced shape.
///
/// Errors: `InvalidArgument` for an empty reduction; bad axes as in the module doc.
pub fn max(t: &Tensor, axes: &[i64], keepdims: bool) -> Result<Tensor> {
    let plan = plan_for(t, axes, keepdims)?;
    nonempty(&plan, "max")?;
    Ok(with_buffer!(t.storage().buffer(), v => {
        reduce_with(v, &plan, |xs, par| fold(xs, par, f64::NEG_INFINITY, |x| x, max_nan))
    }))
}

/// Minimum over `axes` (empty = all); NaN if any reduced element is NaN.
/// Result: input dtype (exact), reduced shape.
///
/// Errors: `InvalidArgument` for an empty reduction; bad axes as in the module doc.
pub fn min(t: &Tensor, axes: &[i64], keepdims: bool) -> Result<Tensor> {
    let plan = plan_for(t, axes, keepdims)?;
    nonempty(&plan, "min")?;
    Ok(with_buffer!(t.storage().buffer(), v => {
        reduce_with(v, &plan, |xs, par| fold(xs, par, f64::INFINITY, |x| x, min_nan))
    }))
}

fn check_correction(correction: f64) -> Result<()> {
    if !(correction >= 0.0 && correction.is_finite()) {
        return Err(TensorError::invalid_argument(format!(
            "correction must be finite and >= 0, got {correction}"
        )));
    }
    Ok(())
}

/// Variance over `axes` (empty = all): `Σ (x - mean)² / (n - correction)`,
/// two passes in f64. `correction` is NumPy's `ddof` (0 = population,
/// 1 = sample). When `n <= correction` the result is NaN (no error).
/// Result: input dtype, reduced shape.
///
/// Errors: `InvalidArgument` when `correction` is negative or not finite;
/// bad axes as in the module doc.
pub fn var(t: &Tensor, axes: &[i64], correction: f64, keepdims: bool) -> Result<Tensor> {
    check_correction(correction)?;
    let plan = plan_for(t, axes, keepdims)?;
    Ok(with_buffer!(t.storage().buffer(), v => {
        reduce_with(v, &plan, |xs, par| var_f64(xs, par, correction))
    }))
}

/// Standard deviation: `sqrt` of [`var`] (same arguments, same NaN rule
/// for `n <= correction`, same errors).
pub fn std(t: &Tensor, axes: &[i64], correction: f64, keepdims: bool) -> Result<Tensor> {
    check_correction(correction)?;
    let plan = plan_for(t, axes, keepdims)?;
    Ok(with_buffer!(t.storage().buffer(), v => {
        reduce_with(v, &plan, |xs, par| var_f64(xs, par, correction).sqrt())
    }))
}

/// Vector norm over `axes` (empty = all) treating the reduced elements as
/// one vector: L1, L2 or max-abs ([`NormOrd`]); accumulated in f64; empty → 0.
/// Result: input dtype, reduced shape. Errors: bad axes as in the module doc.
pub fn norm(t: &Tensor, ord: NormOrd, axes: &[i64], keepdims: bool) -> Result<Tensor> {
    let plan = plan_for(t, axes, keepdims)?;
    Ok(with_buffer!(t.storage().buffer(), v => {
        reduce_with(v, &plan, |xs, par| match ord {
            NormOrd::L1 => fold(xs, par, 0.0, f64::abs, add),
            NormOrd::L2 => fold(xs, par, 0.0, |x| x * x, add).sqrt(),
            NormOrd::Inf => fold(xs, par, 0.0, f64::abs, max_nan),
        })
    }))
}

/// Index of the first element for which `better(x, best)` never lost, or of
/// the first NaN.
fn arg_best<T: Elem>(xs: &[T], better: impl Fn(T::C, T::C) -> bool) -> i64 {
    let mut best = xs[0].load();
    if best.is_nan() {
        return 0;
    }
    let mut at = 0;
    for (i, &x) in xs.iter().enumerate().skip(1) {
        let x = x.load();
        if x.is_nan() {
            return i as i64;
        }
        if better(x, best) {
            best = x;
            at = i;
        }
    }
    at as i64
}

fn arg_reduce(
    t: &Tensor,
    axis: i64,
    keepdims: bool,
    op: &str,
    want_max: bool,
) -> Result<ArgIndices> {
    let a = normalize_axis(axis, t.rank())?;
    let mut mask = vec![false; t.rank()];
    mask[a] = true;
    let plan = ReducePlan::new(t.layout(), &mask, keepdims);
    nonempty(&plan, op)?;
    let indices = with_buffer!(t.storage().buffer(), v => {
        if want_max {
            plan.run(v, |xs, _| arg_best(xs, |x, b| x > b))
        } else {
            plan.run(v, |xs, _| arg_best(xs, |x, b| x < b))
        }
    });
    Ok(ArgIndices {
        shape: plan.out_shape,
        indices,
    })
}

/// Index of the largest element along `axis`; the first occurrence wins and
/// the first NaN counts as largest (like `numpy.argmax`).
///
/// Errors: `OutOfBounds` for an axis outside the rank (a rank-0 tensor has
/// none); `InvalidArgument` when the axis has size 0.
pub fn argmax(t: &Tensor, axis: i64, keepdims: bool) -> Result<ArgIndices> {
    arg_reduce(t, axis, keepdims, "argmax", true)
}

/// Index of the smallest element along `axis`; the first occurrence wins and
/// the first NaN counts as smallest (like `numpy.argmin`).
///
/// Errors: as [`argmax`].
pub fn argmin(t: &Tensor, axis: i64, keepdims: bool) -> Result<ArgIndices> {
    arg_reduce(t, axis, keepdims, "argmin", false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testutil::*;
    use crate::DType;
    use proptest::prelude::*;

    /// Groups the elements of `t` by output index (reduced coordinates
    /// zeroed), in row-major input order; returns the groups and out shape.
    fn ref_groups(t: &Tensor, reduced: &[bool], keepdims: bool) -> (Vec<Vec<f64>>, Vec<usize>) {
        let shape = t.shape();
        let vals = t.to_f64_vec();
        let kept: Vec<usize> = shape
            .iter()
            .zip(reduced)
            .filter(|(_, &r)| !r)
            .map(|(&d, _)| d)
            .collect();
        let m: usize = kept.iter().product();
        let mut groups = vec![Vec::new(); m];
        for (i, &v) in vals.iter().enumerate() {
            let idx = unravel(i, shape);
            let kidx: Vec<usize> = idx
                .iter()
                .zip(reduced)
                .filter(|(_, &r)| !r)
                .map(|(&x, _)| x)
                .collect();
            groups[ravel(&kidx, &kept)].push(v);
        }
        let out = shape
            .iter()
            .zip(reduced)
            .filter_map(|(&d, &r)| {
                if !r {
                    Some(d)
                } else if keepdims {
                    Some(1)
                } else {
                    None
                }
            })
            .collect();
        (groups, out)
    }

    fn ref_var(g: &[f64], c: f64) -> f64 {
        let n = g.len() as f64;
        if n <= c {
            return f64::NAN;
        }
        let m = g.iter().sum::<f64>() / n;
        g.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - c)
    }

    #[allow(clippy::type_complexity)]
    fn reductions() -> Vec<(
        &'static str,
        Box<dyn Fn(&Tensor, &[i64], bool) -> Result<Tensor>>,
        Box<dyn Fn(&[f64]) -> f64>,
    )> {
        fn maxr(g: &[f64]) -> f64 {
            if g.iter().any(|x| x.is_nan()) {
                f64::NAN
            } else {
                g.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            }
        }
        fn minr(g: &[f64]) -> f64 {
            if g.iter().any(|x| x.is_nan()) {
                f64::NAN
            } else {
                g.iter().copied().fold(f64::INFINITY, f64::min)
            }
        }
        vec![
            ("sum", Box::new(sum), Box::new(|g| g.iter().sum())),
            (
                "mean",
                Box::new(mean),
                Box::new(|g| g.iter().sum::<f64>() / g.len() as f64),
            ),
            ("prod", Box::new(prod), Box::new(|g| g.iter().product())),
            ("max", Box::new(max), Box::new(maxr)),
            ("min", Box::new(min), Box::new(minr)),
            (
                "var0",
                Box::new(|t: &Tensor, a: &[i64], k| var(t, a, 0.0, k)),
                Box::new(|g| ref_var(g, 0.0)),
            ),
            (
                "var1",
                Box::new(|t: &Tensor, a: &[i64], k| var(t, a, 1.0, k)),
                Box::new(|g| ref_var(g, 1.0)),
            ),
            (
                "std1",
                Box::new(|t: &Tensor, a: &[i64], k| std(t, a, 1.0, k)),
                Box::new(|g| ref_var(g, 1.0).sqrt()),
            ),
            (
                "l1",
                Box::new(|t: &Tensor, a: &[i64], k| norm(t, NormOrd::L1, a, k)),
                Box::new(|g| g.iter().map(|x| x.abs()).sum()),
            ),
            (
                "l2",
                Box::new(|t: &Tensor, a: &[i64], k| norm(t, NormOrd::L2, a, k)),
                Box::new(|g| g.iter().map(|x| x * x).sum::<f64>().sqrt()),
            ),
            (
                "inf",
                Box::new(|t: &Tensor, a: &[i64], k| norm(t, NormOrd::Inf, a, k)),
                Box::new(|g| g.iter().fold(0.0, |m: f64, x| m.max(x.abs()))),
            ),
        ]
    }

    /// A random subset of axes, each written as positive or negative, in random order.
    fn axes_for(rank: usize, bits: u64) -> (Vec<i64>, Vec<bool>) {
        let mut s = bits;
        let mut mask: Vec<bool> = (0..rank)
            .map(|_| splitmix(&mut s).is_multiple_of(2))
            .collect();
        let mut axes: Vec<i64> = (0..rank)
            .filter(|&k| mask[k])
            .map(|k| {
                if splitmix(&mut s).is_multiple_of(2) {
                    k as i64
                } else {
                    k as i64 - rank as i64
                }
            })
            .collect();
        if axes.len() > 1 && splitmix(&mut s).is_multiple_of(2) {
            axes.reverse();
        }
        if axes.is_empty() {
            mask = vec![true; rank];
        }
        (axes, mask)
    }

    #[test]
    fn axis_errors() {
        let t = Tensor::zeros(&[2, 3], DType::F32).unwrap();
        assert!(matches!(
            sum(&t, &[2], false),
            Err(TensorError::OutOfBounds(_))
        ));
        assert!(matches!(
            sum(&t, &[-3], false),
            Err(TensorError::OutOfBounds(_))
        ));
        assert!(matches!(
            sum(&t, &[1, -1], false),
            Err(TensorError::InvalidArgument(_))
        ));
        assert!(matches!(
            argmax(&t, 2, false),
            Err(TensorError::OutOfBounds(_))
        ));
        assert!(matches!(
            var(&t, &[], -1.0, false),
            Err(TensorError::InvalidArgument(_))
        ));
        let s = Tensor::full(&[], 3.0, DType::F32).unwrap();
        assert!(matches!(
            argmin(&s, 0, false),
            Err(TensorError::OutOfBounds(_))
        ));
        assert_eq!(sum(&s, &[], false).unwrap().to_f64_vec(), vec![3.0]);
    }

    #[test]
    fn empty_reductions() {
        let t = Tensor::zeros(&[3, 0], DType::F32).unwrap();
        assert_eq!(sum(&t, &[1], false).unwrap().to_f64_vec(), vec![0.0; 3]);
        assert_eq!(prod(&t, &[1], false).unwrap().to_f64_vec(), vec![1.0; 3]);
        assert!(mean(&t, &[1], false)
            .unwrap()
            .to_f64_vec()
            .iter()
            .all(|x| x.is_nan()));
        assert!(var(&t, &[], 0.0, false).unwrap().to_f64_vec()[0].is_nan());
        assert_eq!(norm(&t, NormOrd::Inf, &[1], true).unwrap().shape(), &[3, 1]);
        assert!(matches!(
            max(&t, &[1], false),
            Err(TensorError::InvalidArgument(_))
        ));
        assert!(matches!(
            min(&t, &[], false),
            Err(TensorError::InvalidArgument(_))
        ));
        assert!(matches!(
            argmax(&t, 1, false),
            Err(TensorError::InvalidArgument(_))
        ));
        // reducing the non-empty axis of an empty tensor gives an empty result
        let r = max(&t, &[0], false).unwrap();
        assert_eq!(r.shape(), &[0]);
    }

    #[test]
    fn nan_handling() {
        let t = Tensor::from_f64_slice(
            &[1.0, f64::NAN, 5.0, f64::NAN, 7.0, 0.0],
            &[2, 3],
            DType::F32,
        )
        .unwrap();
        let mx = max(&t, &[1], false).unwrap().to_f64_vec();
        assert!(mx[0].is_nan() && mx[1].is_nan());
        let mx = max(&t, &[0], false).unwrap().to_f64_vec();
        // columns [1, NaN], [NaN, 7], [5, 0]
        assert!(mx[0].is_nan() && mx[1].is_nan() && mx[2] == 5.0);
        assert_eq!(argmax(&t, 1, false).unwrap().indices, vec![1, 0]);
        assert_eq!(argmin(&t, 0, false).unwrap().indices, vec![1, 0, 1]);
        assert!(sum(&t, &[], false).unwrap().to_f64_vec()[0].is_nan());
        let u = Tensor::from_f64_slice(&[f64::INFINITY, 1.0, f64::NEG_INFINITY], &[3], DType::F64)
            .unwrap();
        assert!(sum(&u, &[], false).unwrap().to_f64_vec()[0].is_nan());
        assert_eq!(
            max(&u, &[], false).unwrap().to_f64_vec(),
            vec![f64::INFINITY]
        );
        assert_eq!(
            norm(&u, NormOrd::Inf, &[], false).unwrap().to_f64_vec(),
            vec![f64::INFINITY]
        );
        assert_eq!(
            argmin(&u, 0, true).unwrap(),
            ArgIndices {
                shape: vec![1],
                indices: vec![2]
            }
        );
    }

    #[test]
    fn argmax_first_occurrence_wins() {
        let t =
            Tensor::from_f64_slice(&[1.0, 3.0, 3.0, 0.0, 0.0, -1.0], &[6], DType::BF16).unwrap();
        assert_eq!(argmax(&t, 0, false).unwrap().indices, vec![1]);
        assert_eq!(argmin(&t, -1, false).unwrap().indices, vec![5]);
        let t = Tensor::from_f64_slice(&[2.0, 2.0], &[2], DType::F16).unwrap();
        assert_eq!(
            argmin(&t, 0, false).unwrap(),
            ArgIndices {
                shape: vec![],
                indices: vec![0]
            }
        );
    }

    #[test]
    fn ten_million_f32_sum_is_accurate() {
        let n = 10_000_000;
        let t = Tensor::full(&[n], 0.1, DType::F32).unwrap();
        let want = n as f64 * (0.1f32 as f64);
        let got = sum(&t, &[], false).unwrap().to_vec::<f32>().unwrap()[0];
        assert_eq!(got, want as f32, "got {got}, want {want}");
        let got = mean(&t, &[], false).unwrap().to_vec::<f32>().unwrap()[0];
        assert_eq!(got, 0.1f32);
        // the naive f32 loop is far off: proves the test can fail
        let naive: f32 = (0..n).map(|_| 0.1f32).sum();
        assert!((naive as f64 - want).abs() / want > 1e-3);
    }

    #[test]
    fn large_strided_reductions_take_parallel_paths() {
        // [600, 300] transposed: reduce axis 1 (many outputs, gathered runs)
        // and axis 0 (few long... contiguous runs), both above the threshold
        let (r, c) = (600, 300);
        let vals: Vec<f64> = (0..r * c).map(|i| (i % 97) as f64).collect();
        let t = Tensor::from_vec(vals.clone(), &[r, c]).unwrap().transpose();
        let s1 = sum(&t, &[1], false).unwrap().to_f64_vec();
        for (j, &s) in s1.iter().enumerate() {
            assert_eq!(s, (0..r).map(|i| vals[i * c + j]).sum::<f64>());
        }
        let s0 = max(&t, &[0], true).unwrap();
        assert_eq!(s0.shape(), &[1, r]);
        for (i, &s) in s0.to_f64_vec().iter().enumerate() {
            assert_eq!(s, (0..c).map(|j| vals[i * c + j]).fold(f64::MIN, f64::max));
        }
        // one long run split into parallel chunks
        let big = Tensor::from_vec(
            (0..300_000)
                .map(|i| (i % 7) as f32 - 3.0)
                .collect::<Vec<_>>(),
            &[2, 150_000],
        )
        .unwrap();
        let v = var(&big, &[1], 0.0, false).unwrap().to_f64_vec();
        assert!((v[0] - 4.0).abs() < 1e-4, "{v:?}");
        // row 1 starts at i = 150000 = 4 (mod 7): its first 3.0 is at column 2
        assert_eq!(argmax(&big, 1, false).unwrap().indices, vec![6, 2]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        #[test]
        fn reductions_match_reference(
            shape in prop::collection::vec(1usize..5, 0..5),
            seed in any::<u64>(),
            bits in any::<u64>(),
            keepdims in any::<bool>(),
            dtype in any_dtype(),
        ) {
            let t = strided_tensor(&shape, dtype, seed);
            let (axes, mask) = axes_for(shape.len(), bits);
            let (groups, out_shape) = ref_groups(&t, &mask, keepdims);
            for (name, op, f) in reductions() {
                let got = op(&t, &axes, keepdims).unwrap();
                prop_assert_eq!(got.shape(), &out_shape[..], "{}", name);
                prop_assert_eq!(got.dtype(), dtype);
                let want: Vec<f64> = groups.iter().map(|g| f(g)).collect();
                let want = Tensor::from_f64_slice(&want, &out_shape, dtype).unwrap().to_f64_vec();
                assert_close(&got.to_f64_vec(), &want, tol(dtype))?;
            }
        }

        #[test]
        fn argmax_argmin_match_reference(
            shape in prop::collection::vec(1usize..5, 1..5),
            seed in any::<u64>(),
            axis_pick in any::<u64>(),
            keepdims in any::<bool>(),
            dtype in any_dtype(),
        ) {
            let t = strided_tensor(&shape, dtype, seed);
            let rank = shape.len();
            let a = (axis_pick % rank as u64) as usize;
            let axis = if axis_pick % 2 == 0 { a as i64 } else { a as i64 - rank as i64 };
            let mut mask = vec![false; rank];
            mask[a] = true;
            let (groups, out_shape) = ref_groups(&t, &mask, keepdims);
            let am = argmax(&t, axis, keepdims).unwrap();
            let an = argmin(&t, axis, keepdims).unwrap();
            prop_assert_eq!(&am.shape, &out_shape);
            prop_assert_eq!(&an.shape, &out_shape);
            for (i, g) in groups.iter().enumerate() {
                let mut bi = 0;
                let mut si = 0;
                for (j, &x) in g.iter().enumerate() {
                    if x > g[bi] { bi = j; }
                    if x < g[si] { si = j; }
                }
                prop_assert_eq!(am.indices[i], bi as i64);
                prop_assert_eq!(an.indices[i], si as i64);
            }
        }
    }
}
