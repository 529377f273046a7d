//! HRR NIFs: binding and unbinding by FFT (`viva_tensor_core::hrr`).

use rustler::{Env, NifResult, Term};
use viva_tensor_core::hrr;

use crate::create::new_tensor;
use crate::decode;
use crate::dual_nif;
use crate::error::{guarded, NifError};

/// `hrr_op(Op, A, B)`: `Op` in bind, unbind; vectors along the last axis.
fn hrr_op_impl<'a>(env: Env<'a>, op: Term<'a>, a: Term<'a>, b: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let f = match decode::atom_name(op)?.as_str() {
            "bind" => hrr::bind,
            "unbind" => hrr::unbind,
            _ => return Err(NifError::BadArg),
        };
        let a = decode::tensor(a)?.tensor()?;
        let b = decode::tensor(b)?.tensor()?;
        Ok(new_tensor(env, f(&a, &b)?))
    })
}
dual_nif!(hrr_op, hrr_op_dirty, hrr_op_impl, (op, a, b));
