//! Reduction NIFs: sum/mean/prod/max/min, var/std, norms, argmax/argmin,
//! softmax and log_softmax.

use rustler::{Encoder, Env, NifResult, Term};
use viva_tensor_core::ops::{self, NormOrd};
use viva_tensor_core::Tensor;

use crate::create::new_tensor;
use crate::decode;
use crate::dual_nif;
use crate::error::{guarded, NifError};
use crate::indices::encode_indices;

type Reduction = fn(&Tensor, &[i64], bool) -> viva_tensor_core::Result<Tensor>;

/// `reduce(Op, T, Axes, KeepDims)`: `Op` in sum, mean, prod, max, min;
/// `Axes` a list of axes (`[]` = all).
fn reduce_impl<'a>(
    env: Env<'a>,
    op: Term<'a>,
    t: Term<'a>,
    axes: Term<'a>,
    keepdims: Term<'a>,
) -> NifResult<Term<'a>> {
    guarded(env, || {
        let f: Reduction = match decode::atom_name(op)?.as_str() {
            "sum" => ops::sum,
            "mean" => ops::mean,
            "prod" => ops::prod,
            "max" => ops::max,
            "min" => ops::min,
            _ => return Err(NifError::BadArg),
        };
        let axes = decode::ints(axes)?;
        let keepdims: bool = decode::term(keepdims)?;
        let t = decode::tensor(t)?.tensor()?;
        Ok(new_tensor(env, f(&t, &axes, keepdims)?))
    })
}
dual_nif!(reduce, reduce_dirty, reduce_impl, (op, t, axes, keepdims));

/// `moment(Op, T, Axes, Correction, KeepDims)`: `Op` in var, std.
fn moment_impl<'a>(
    env: Env<'a>,
    op: Term<'a>,
    t: Term<'a>,
    axes: Term<'a>,
    correction: Term<'a>,
    keepdims: Term<'a>,
) -> NifResult<Term<'a>> {
    guarded(env, || {
        let f: fn(&Tensor, &[i64], f64, bool) -> viva_tensor_core::Result<Tensor> =
            match decode::atom_name(op)?.as_str() {
                "var" => ops::var,
                "std" => ops::std,
                _ => return Err(NifError::BadArg),
            };
        let axes = decode::ints(axes)?;
        let correction = decode::number(correction)?;
        let keepdims: bool = decode::term(keepdims)?;
        let t = decode::tensor(t)?.tensor()?;
        Ok(new_tensor(env, f(&t, &axes, correction, keepdims)?))
    })
}
dual_nif!(
    moment,
    moment_dirty,
    moment_impl,
    (op, t, axes, correction, keepdims)
);

/// `norm(Ord, T, Axes, KeepDims)`: `Ord` in l1, l2, inf.
fn norm_impl<'a>(
    env: Env<'a>,
    ord: Term<'a>,
    t: Term<'a>,
    axes: Term<'a>,
    keepdims: Term<'a>,
) -> NifResult<Term<'a>> {
    guarded(env, || {
        let ord = match decode::atom_name(ord)?.as_str() {
            "l1" => NormOrd::L1,
            "l2" => NormOrd::L2,
            "inf" => NormOrd::Inf,
            _ => return Err(NifError::BadArg),
        };
        let axes = decode::ints(axes)?;
        let keepdims: bool = decode::term(keepdims)?;
        let t = decode::tensor(t)?.tensor()?;
        Ok(new_tensor(env, ops::norm(&t, ord, &axes, keepdims)?))
    })
}
dual_nif!(norm, norm_dirty, norm_impl, (ord, t, axes, keepdims));

/// `arg_reduce(Op, T, Axis, KeepDims)`: `Op` in argmax, argmin; the
/// indices come back as nested integer lists of the result's shape.
fn arg_reduce_impl<'a>(
    env: Env<'a>,
    op: Term<'a>,
    t: Term<'a>,
    axis: Term<'a>,
    keepdims: Term<'a>,
) -> NifResult<Term<'a>> {
    guarded(env, || {
        let f = match decode::atom_name(op)?.as_str() {
            "argmax" => ops::argmax,
            "argmin" => ops::argmin,
            _ => return Err(NifError::BadArg),
        };
        let axis: i64 = decode::term(axis)?;
        let keepdims: bool = decode::term(keepdims)?;
        let t = decode::tensor(t)?.tensor()?;
        let r = f(&t, axis, keepdims)?;
        Ok(encode_indices(env, &r.shape, &r.indices))
    })
}
dual_nif!(
    arg_reduce,
    arg_reduce_dirty,
    arg_reduce_impl,
    (op, t, axis, keepdims)
);

/// `softmax(Op, T, Axis)`: `Op` in softmax, log_softmax.
fn softmax_impl<'a>(
    env: Env<'a>,
    op: Term<'a>,
    t: Term<'a>,
    axis: Term<'a>,
) -> NifResult<Term<'a>> {
    guarded(env, || {
        let f = match decode::atom_name(op)?.as_str() {
            "softmax" => ops::softmax,
            "log_softmax" => ops::log_softmax,
            _ => return Err(NifError::BadArg),
        };
        let axis: i64 = decode::term(axis)?;
        let t = decode::tensor(t)?.tensor()?;
        Ok(new_tensor(env, f(&t, axis)?).encode(env))
    })
}
dual_nif!(softmax, softmax_dirty, softmax_impl, (op, t, axis));
