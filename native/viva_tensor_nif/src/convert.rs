//! NIFs that read tensors out (binary, list) or convert them (dtype, copy).

use rustler::{Encoder, Env, NifResult, OwnedBinary, Term};
use viva_tensor_core::{Tensor, TensorError};

use crate::atoms;
use crate::create::new_tensor;
use crate::decode;
use crate::dual_nif;
use crate::error::{guarded, NifError};
use crate::resource::BinaryOwner;

/// Below this many bytes a copy into a fresh binary is cheaper than a
/// resource binary (which allocates a resource and a refc binary header).
const ZERO_COPY_MIN_BYTES: usize = 4096;

fn to_binary_impl<'a>(env: Env<'a>, t: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let t = decode::tensor(t)?.tensor()?;
        // A non-contiguous view is copied once; the copy's storage then
        // backs the binary directly.
        let t = if t.is_contiguous() { t } else { t.copy() };
        let bytes = t.contiguous_bytes().expect("contiguous by construction");
        if bytes.len() < ZERO_COPY_MIN_BYTES {
            let mut bin = OwnedBinary::new(bytes.len());
            bin.as_mut_slice().copy_from_slice(bytes);
            return Ok(bin.release(env).encode(env));
        }
        let start = bytes.as_ptr() as usize - t.storage().buffer().as_bytes().as_ptr() as usize;
        let owner = BinaryOwner::new(t.storage().clone(), start..start + bytes.len());
        Ok(owner.make_binary(env, |o| o.bytes()).encode(env))
    })
}
dual_nif!(to_binary, to_binary_dirty, to_binary_impl, (t));

/// A float term, or an atom for the values Erlang floats cannot hold.
fn element_term(env: Env<'_>, v: f64) -> Term<'_> {
    if v.is_nan() {
        atoms::nan().encode(env)
    } else if v == f64::INFINITY {
        atoms::infinity().encode(env)
    } else if v == f64::NEG_INFINITY {
        atoms::neg_infinity().encode(env)
    } else {
        v.encode(env)
    }
}

fn element_terms<'a>(env: Env<'a>, t: &Tensor, strict: bool) -> Result<Vec<Term<'a>>, NifError> {
    let values = t.to_f64_vec();
    if strict {
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(TensorError::NonFinite(format!(
                "element {i} is {}; Gleam floats cannot hold it",
                values[i]
            ))
            .into());
        }
    }
    Ok(values.into_iter().map(|v| element_term(env, v)).collect())
}

fn to_list_impl<'a>(env: Env<'a>, t: Term<'a>, strict: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let strict: bool = decode::term(strict)?;
        let t = decode::tensor(t)?.tensor()?;
        Ok(element_terms(env, &t, strict)?.encode(env))
    })
}
dual_nif!(to_list, to_list_dirty, to_list_impl, (t, strict));

/// Builds nested lists of `shape` from row-major element terms.
fn nest<'a>(env: Env<'a>, shape: &[usize], flat: &[Term<'a>]) -> Term<'a> {
    let Some((&dim, rest)) = shape.split_first() else {
        return flat[0];
    };
    let inner: usize = rest.iter().product();
    let items: Vec<Term<'a>> = (0..dim)
        .map(|i| nest(env, rest, &flat[i * inner..(i + 1) * inner]))
        .collect();
    items.encode(env)
}

fn to_nested_list_impl<'a>(env: Env<'a>, t: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let t = decode::tensor(t)?.tensor()?;
        let flat = element_terms(env, &t, false)?;
        Ok(nest(env, t.shape(), &flat))
    })
}
dual_nif!(
    to_nested_list,
    to_nested_list_dirty,
    to_nested_list_impl,
    (t)
);

fn as_type_impl<'a>(env: Env<'a>, t: Term<'a>, dtype: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let dtype = decode::dtype(dtype)?;
        let t = decode::tensor(t)?.tensor()?;
        Ok(new_tensor(env, t.as_type(dtype)))
    })
}
dual_nif!(as_type, as_type_dirty, as_type_impl, (t, dtype));

fn copy_impl<'a>(env: Env<'a>, t: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let t = decode::tensor(t)?.tensor()?;
        Ok(new_tensor(env, t.copy()))
    })
}
dual_nif!(copy, copy_dirty, copy_impl, (t));

fn contiguous_impl<'a>(env: Env<'a>, t: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let t = decode::tensor(t)?.tensor()?;
        Ok(new_tensor(env, t.contiguous()))
    })
}
dual_nif!(contiguous, contiguous_dirty, contiguous_impl, (t));
