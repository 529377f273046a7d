//! Element-wise NIFs: binary ops with broadcasting, ops with a scalar,
//! comparisons, `where`, unary functions and `clip`.
//!
//! The operation is named by an atom (`add`, `exp`, ...) so one NIF pair
//! serves a family; `vtensor` only ever passes the atoms listed in each
//! function's doc, anything else is `badarg`.

use rustler::{Env, NifResult, Term};
use viva_tensor_core::{ops, Tensor};

use crate::create::new_tensor;
use crate::decode;
use crate::dual_nif;
use crate::error::{guarded, NifError};

type Binary = fn(&Tensor, &Tensor) -> viva_tensor_core::Result<Tensor>;

/// The broadcasting function named by `op`.
fn binary_fn(op: &str) -> Result<Binary, NifError> {
    Ok(match op {
        "add" => ops::add,
        "sub" => ops::sub,
        "mul" => ops::mul,
        "div" => ops::div,
        "pow" => ops::pow,
        "maximum" => ops::maximum,
        "minimum" => ops::minimum,
        "eq" => ops::eq,
        "ne" => ops::ne,
        "lt" => ops::lt,
        "le" => ops::le,
        "gt" => ops::gt,
        "ge" => ops::ge,
        _ => return Err(NifError::BadArg),
    })
}

/// `binary_op(Op, A, B)`: `Op` in add, sub, mul, div, pow, maximum,
/// minimum, eq, ne, lt, le, gt, ge; NumPy broadcasting.
fn binary_op_impl<'a>(env: Env<'a>, op: Term<'a>, a: Term<'a>, b: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let f = binary_fn(&decode::atom_name(op)?)?;
        let a = decode::tensor(a)?.tensor()?;
        let b = decode::tensor(b)?.tensor()?;
        Ok(new_tensor(env, f(&a, &b)?))
    })
}
dual_nif!(binary_op, binary_op_dirty, binary_op_impl, (op, a, b));

/// `scalar_op(Op, A, S)`: `Op` in add, sub, mul, div, pow, maximum,
/// minimum; `S` a number, the right operand.
fn scalar_op_impl<'a>(env: Env<'a>, op: Term<'a>, a: Term<'a>, s: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let f: fn(&Tensor, f64) -> Tensor = match decode::atom_name(op)?.as_str() {
            "add" => ops::add_scalar,
            "sub" => ops::sub_scalar,
            "mul" => ops::mul_scalar,
            "div" => ops::div_scalar,
            "pow" => ops::pow_scalar,
            "maximum" => ops::maximum_scalar,
            "minimum" => ops::minimum_scalar,
            _ => return Err(NifError::BadArg),
        };
        let s = decode::element(s)?;
        let a = decode::tensor(a)?.tensor()?;
        Ok(new_tensor(env, f(&a, s)))
    })
}
dual_nif!(scalar_op, scalar_op_dirty, scalar_op_impl, (op, a, s));

/// `where(Mask, A, B)`: `A` where the mask is nonzero (or NaN), else `B`.
fn where_impl<'a>(env: Env<'a>, mask: Term<'a>, a: Term<'a>, b: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let mask = decode::tensor(mask)?.tensor()?;
        let a = decode::tensor(a)?.tensor()?;
        let b = decode::tensor(b)?.tensor()?;
        Ok(new_tensor(env, ops::where_(&mask, &a, &b)?))
    })
}
dual_nif!(where_, where_dirty, where_impl, (mask, a, b));

/// `unary_op(Op, A)`: `Op` in neg, abs, exp, log, sqrt, rsqrt, square,
/// tanh, sigmoid, relu, gelu (tanh form), gelu_erf, silu, sin, cos.
fn unary_op_impl<'a>(env: Env<'a>, op: Term<'a>, a: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let f: fn(&Tensor) -> Tensor = match decode::atom_name(op)?.as_str() {
            "neg" => ops::neg,
            "abs" => ops::abs,
            "exp" => ops::exp,
            "log" => ops::log,
            "sqrt" => ops::sqrt,
            "rsqrt" => ops::rsqrt,
            "square" => ops::square,
            "tanh" => ops::tanh,
            "sigmoid" => ops::sigmoid,
            "relu" => ops::relu,
            "gelu" => ops::gelu,
            "gelu_erf" => ops::gelu_erf,
            "silu" => ops::silu,
            "sin" => ops::sin,
            "cos" => ops::cos,
            _ => return Err(NifError::BadArg),
        };
        let a = decode::tensor(a)?.tensor()?;
        Ok(new_tensor(env, f(&a)))
    })
}
dual_nif!(unary_op, unary_op_dirty, unary_op_impl, (op, a));

/// `clip(A, Min, Max)`.
fn clip_impl<'a>(env: Env<'a>, a: Term<'a>, min: Term<'a>, max: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let (min, max) = (decode::element(min)?, decode::element(max)?);
        let a = decode::tensor(a)?.tensor()?;
        Ok(new_tensor(env, ops::clip(&a, min, max)?))
    })
}
dual_nif!(clip, clip_dirty, clip_impl, (a, min, max));
