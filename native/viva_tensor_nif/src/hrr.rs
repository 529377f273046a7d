//! HRR NIFs: binding, unbinding and sequence encoding by FFT, and random
//! unitary vectors (`viva_tensor_core::hrr`).

use rustler::{Env, NifResult, Term};
use viva_tensor_core::hrr;

use crate::create::new_tensor;
use crate::decode;
use crate::dual_nif;
use crate::error::{guarded, NifError};

/// `hrr_op(Op, A, B)`: `Op` in bind, unbind (vectors along the last axis)
/// or encode_sequence (`A` the items `[n, d]`, `B` the position `[d]`).
fn hrr_op_impl<'a>(env: Env<'a>, op: Term<'a>, a: Term<'a>, b: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let f = match decode::atom_name(op)?.as_str() {
            "bind" => hrr::bind,
            "unbind" => hrr::unbind,
            "encode_sequence" => hrr::encode_sequence,
            _ => return Err(NifError::BadArg),
        };
        let a = decode::tensor(a)?.tensor()?;
        let b = decode::tensor(b)?.tensor()?;
        Ok(new_tensor(env, f(&a, &b)?))
    })
}
dual_nif!(hrr_op, hrr_op_dirty, hrr_op_impl, (op, a, b));

/// `hrr_random_unitary(Dim, Seed, Dtype)`: a random unitary vector `[Dim]`.
fn hrr_random_unitary_impl<'a>(
    env: Env<'a>,
    dim: Term<'a>,
    seed: Term<'a>,
    dtype: Term<'a>,
) -> NifResult<Term<'a>> {
    guarded(env, || {
        let d = decode::count(dim)?;
        let seed = decode::seed(seed)?;
        let dtype = decode::dtype(dtype)?;
        Ok(new_tensor(env, hrr::random_unitary(d, seed, dtype)?))
    })
}
dual_nif!(
    hrr_random_unitary,
    hrr_random_unitary_dirty,
    hrr_random_unitary_impl,
    (dim, seed, dtype)
);
