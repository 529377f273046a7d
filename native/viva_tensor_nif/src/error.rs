//! Error plumbing: a tensor error becomes `{error, Reason}`, a term of the
//! wrong type becomes `badarg`, and a panic becomes `{error, {internal, Msg}}`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use rustler::{Encoder, Env, NifResult, Term};
use viva_tensor_core::TensorError;

use crate::atoms;

/// Why a NIF body stopped: bad term types (raise `badarg`) or a tensor error (return it).
#[derive(Debug)]
pub enum NifError {
    BadArg,
    Tensor(TensorError),
}

impl From<TensorError> for NifError {
    fn from(e: TensorError) -> Self {
        NifError::Tensor(e)
    }
}

impl From<rustler::Error> for NifError {
    fn from(_: rustler::Error) -> Self {
        NifError::BadArg
    }
}

/// What a NIF body returns before it is turned into `{ok, _}` / `{error, _}`.
pub type Outcome<'a> = Result<Term<'a>, NifError>;

/// Encodes a [`TensorError`] as the term Gleam's `TensorError` type compiles to.
pub fn encode_error<'a>(env: Env<'a>, e: &TensorError) -> Term<'a> {
    match e {
        TensorError::ShapeMismatch { expected, got } => {
            (atoms::shape_mismatch(), expected, got).encode(env)
        }
        TensorError::InvalidShape(m) => (atoms::invalid_shape(), m).encode(env),
        TensorError::InvalidDtype(m) => (atoms::invalid_dtype(), m).encode(env),
        TensorError::OutOfBounds(m) => (atoms::out_of_bounds(), m).encode(env),
        TensorError::InvalidArgument(m) => (atoms::invalid_argument(), m).encode(env),
        TensorError::NonFinite(m) => (atoms::non_finite(), m).encode(env),
        TensorError::Deallocated => atoms::deallocated().encode(env),
        TensorError::Internal(m) => (atoms::internal(), m).encode(env),
    }
}

/// Runs a NIF body, mapping its outcome onto the BEAM conventions:
/// `Ok(v)` → `{ok, v}`, a tensor error → `{error, Reason}`, bad argument
/// types → `badarg`, a panic → `{error, {internal, Message}}`.
pub fn guarded<'a>(env: Env<'a>, body: impl FnOnce() -> Outcome<'a>) -> NifResult<Term<'a>> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => Ok((atoms::ok(), value).encode(env)),
        Ok(Err(NifError::Tensor(e))) => Ok((atoms::error(), encode_error(env, &e)).encode(env)),
        Ok(Err(NifError::BadArg)) => Err(rustler::Error::BadArg),
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic with a non-string payload".to_string());
            let e = TensorError::Internal(msg);
            Ok((atoms::error(), encode_error(env, &e)).encode(env))
        }
    }
}

/// Like [`guarded`] for calls that cannot fail with a tensor error: the
/// value is returned bare (no `{ok, _}`); only badarg can escape.
pub fn plain<'a>(body: impl FnOnce() -> Outcome<'a>) -> NifResult<Term<'a>> {
    match body() {
        Ok(v) => Ok(v),
        Err(_) => Err(rustler::Error::BadArg),
    }
}
