//! Linear algebra NIFs: matmul (batched, NumPy semantics), dot, outer.

use rustler::{Env, NifResult, Term};
use viva_tensor_core::{linalg, Tensor};

use crate::create::new_tensor;
use crate::decode;
use crate::dual_nif;
use crate::error::{guarded, NifError};

/// `linalg_op(Op, A, B)`: `Op` in matmul, dot, outer.
fn linalg_op_impl<'a>(env: Env<'a>, op: Term<'a>, a: Term<'a>, b: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let f: fn(&Tensor, &Tensor) -> viva_tensor_core::Result<Tensor> =
            match decode::atom_name(op)?.as_str() {
                "matmul" => linalg::matmul,
                "dot" => linalg::dot,
                "outer" => linalg::outer,
                _ => return Err(NifError::BadArg),
            };
        let a = decode::tensor(a)?.tensor()?;
        let b = decode::tensor(b)?.tensor()?;
        Ok(new_tensor(env, f(&a, &b)?))
    })
}
dual_nif!(linalg_op, linalg_op_dirty, linalg_op_impl, (op, a, b));
