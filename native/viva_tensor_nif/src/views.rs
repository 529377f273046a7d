//! View NIFs: new shapes over shared storage. All are metadata-only except
//! `reshape` of a non-contiguous tensor, which copies (hence its dirty twin).

use rustler::{Env, NifResult, Term};
use viva_tensor_core::SliceSpec;

use crate::create::new_tensor;
use crate::decode;
use crate::dual_nif;
use crate::error::{guarded, NifError};
use viva_tensor_core::TensorError;

fn reshape_impl<'a>(env: Env<'a>, t: Term<'a>, shape: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let shape = decode::ints(shape)?;
        let t = decode::tensor(t)?.tensor()?;
        Ok(new_tensor(env, t.reshape(&shape)?))
    })
}
dual_nif!(reshape, reshape_dirty, reshape_impl, (t, shape));

#[rustler::nif]
fn transpose<'a>(env: Env<'a>, t: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let t = decode::tensor(t)?.tensor()?;
        Ok(new_tensor(env, t.transpose()))
    })
}

#[rustler::nif]
fn permute<'a>(env: Env<'a>, t: Term<'a>, axes: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let axes = decode::ints(axes)?;
        let t = decode::tensor(t)?.tensor()?;
        Ok(new_tensor(env, t.permute(&axes)?))
    })
}

/// `slice(T, Starts, Stops, Steps)`: three lists of equal length, one entry per leading axis.
#[rustler::nif]
fn slice<'a>(
    env: Env<'a>,
    t: Term<'a>,
    starts: Term<'a>,
    stops: Term<'a>,
    steps: Term<'a>,
) -> NifResult<Term<'a>> {
    guarded(env, || {
        let starts = decode::ints(starts)?;
        let stops = decode::ints(stops)?;
        let steps = decode::ints(steps)?;
        if starts.len() != stops.len() || starts.len() != steps.len() {
            return Err(NifError::Tensor(TensorError::invalid_argument(format!(
                "slice needs as many starts ({}), stops ({}) and steps ({})",
                starts.len(),
                stops.len(),
                steps.len()
            ))));
        }
        let specs: Vec<SliceSpec> = starts
            .iter()
            .zip(&stops)
            .zip(&steps)
            .map(|((&start, &stop), &step)| SliceSpec { start, stop, step })
            .collect();
        let t = decode::tensor(t)?.tensor()?;
        Ok(new_tensor(env, t.slice(&specs)?))
    })
}

#[rustler::nif]
fn squeeze<'a>(env: Env<'a>, t: Term<'a>, axes: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let axes = decode::ints(axes)?;
        let t = decode::tensor(t)?.tensor()?;
        Ok(new_tensor(env, t.squeeze(&axes)?))
    })
}

#[rustler::nif]
fn unsqueeze<'a>(env: Env<'a>, t: Term<'a>, axis: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let axis: i64 = decode::term(axis)?;
        let t = decode::tensor(t)?.tensor()?;
        Ok(new_tensor(env, t.unsqueeze(axis)?))
    })
}

#[rustler::nif]
fn broadcast_to<'a>(env: Env<'a>, t: Term<'a>, shape: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let shape = decode::shape(shape)?;
        let t = decode::tensor(t)?.tensor()?;
        Ok(new_tensor(env, t.broadcast_to(&shape)?))
    })
}

#[rustler::nif]
fn expand<'a>(env: Env<'a>, t: Term<'a>, shape: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let shape = decode::ints(shape)?;
        let t = decode::tensor(t)?.tensor()?;
        Ok(new_tensor(env, t.expand(&shape)?))
    })
}
