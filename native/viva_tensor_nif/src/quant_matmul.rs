//! NIFs for linear layers on quantized weights: `qmatmul(X, Q)`,
//! `qmatmul_int8(X, Q, Threshold | none)` and `qmatmul_q8(X, Q)`. Their f32 reference,
//! `vquant:f32_linear/2`, is the general `linalg_op` matmul NIF on a
//! transposed view (`linalg.rs`).
//!
//! All exist as normal/dirty pairs; `vquant` picks by `rows × out × in`.

use rustler::{Atom, Env, NifResult, Term};
use viva_tensor_core::quant::{
    qmatmul as core_qmatmul, qmatmul_int8 as core_qmatmul_int8, qmatmul_q8 as core_qmatmul_q8,
};
use viva_tensor_core::TensorError;

use crate::create::new_tensor;
use crate::decode;
use crate::dual_nif;
use crate::error::{guarded, NifError};
use crate::quant::quant;

mod matoms {
    rustler::atoms! { none }
}

fn qmatmul_impl<'a>(env: Env<'a>, x: Term<'a>, q: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let x = decode::tensor(x)?.tensor()?;
        let q = quant(q)?;
        Ok(new_tensor(env, core_qmatmul(&x, q.get())?))
    })
}
dual_nif!(qmatmul, qmatmul_dirty, qmatmul_impl, (x, q));

/// `none`, or a number (integer or float) as the outlier threshold.
fn threshold(t: Term) -> Result<Option<f32>, NifError> {
    if t.decode::<Atom>().is_ok_and(|a| a == matoms::none()) {
        return Ok(None);
    }
    t.decode::<f64>()
        .or_else(|_| t.decode::<i64>().map(|i| i as f64))
        .map(|v| Some(v as f32))
        .map_err(|_| {
            NifError::Tensor(TensorError::invalid_argument(
                "the outlier threshold must be a number or none",
            ))
        })
}

fn qmatmul_int8_impl<'a>(
    env: Env<'a>,
    x: Term<'a>,
    q: Term<'a>,
    t: Term<'a>,
) -> NifResult<Term<'a>> {
    guarded(env, || {
        let x = decode::tensor(x)?.tensor()?;
        let q = quant(q)?;
        let t = threshold(t)?;
        Ok(new_tensor(env, core_qmatmul_int8(&x, q.get(), t)?))
    })
}
dual_nif!(
    qmatmul_int8,
    qmatmul_int8_dirty,
    qmatmul_int8_impl,
    (x, q, t)
);

fn qmatmul_q8_impl<'a>(env: Env<'a>, x: Term<'a>, q: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let x = decode::tensor(x)?.tensor()?;
        let q = quant(q)?;
        Ok(new_tensor(env, core_qmatmul_q8(&x, q.get())?))
    })
}
dual_nif!(qmatmul_q8, qmatmul_q8_dirty, qmatmul_q8_impl, (x, q));
