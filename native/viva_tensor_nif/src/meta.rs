//! Cheap NIFs on normal schedulers: metadata, memory account, release.

use rustler::{Encoder, Env, NifResult, Term};
use viva_tensor_core::{memory, DType, TensorError};

use crate::atoms;
use crate::decode;
use crate::error::{guarded, plain};
use crate::resource::{live_handles, TensorResource};

fn dtype_atom(d: DType) -> rustler::Atom {
    match d {
        DType::F32 => atoms::f32(),
        DType::F64 => atoms::f64(),
        DType::F16 => atoms::f16(),
        DType::BF16 => atoms::bf16(),
    }
}

#[rustler::nif]
fn shape<'a>(env: Env<'a>, t: Term<'a>) -> NifResult<Term<'a>> {
    plain(|| Ok(decode::tensor(t)?.shape.encode(env)))
}

#[rustler::nif]
fn dtype<'a>(env: Env<'a>, t: Term<'a>) -> NifResult<Term<'a>> {
    plain(|| Ok(dtype_atom(decode::tensor(t)?.dtype).encode(env)))
}

#[rustler::nif]
fn size<'a>(env: Env<'a>, t: Term<'a>) -> NifResult<Term<'a>> {
    plain(|| Ok(decode::tensor(t)?.numel().encode(env)))
}

#[rustler::nif]
fn rank<'a>(env: Env<'a>, t: Term<'a>) -> NifResult<Term<'a>> {
    plain(|| Ok(decode::tensor(t)?.shape.len().encode(env)))
}

#[rustler::nif]
fn strides<'a>(env: Env<'a>, t: Term<'a>) -> NifResult<Term<'a>> {
    plain(|| {
        let strides: Vec<i64> = decode::tensor(t)?
            .strides
            .iter()
            .map(|&s| s as i64)
            .collect();
        Ok(strides.encode(env))
    })
}

#[rustler::nif]
fn is_contiguous<'a>(env: Env<'a>, t: Term<'a>) -> NifResult<Term<'a>> {
    plain(|| Ok(decode::tensor(t)?.contiguous.encode(env)))
}

/// Bytes of the elements the view shows (`size * dtype size`).
#[rustler::nif]
fn nbytes<'a>(env: Env<'a>, t: Term<'a>) -> NifResult<Term<'a>> {
    plain(|| {
        let r = decode::tensor(t)?;
        Ok((r.numel() * r.dtype.size_of()).encode(env))
    })
}

#[rustler::nif]
fn is_tensor<'a>(env: Env<'a>, t: Term<'a>) -> NifResult<Term<'a>> {
    Ok(decode::tensor(t).is_ok().encode(env))
}

#[rustler::nif]
fn is_deallocated<'a>(env: Env<'a>, t: Term<'a>) -> NifResult<Term<'a>> {
    plain(|| Ok(decode::tensor(t)?.is_released().encode(env)))
}

/// `{ok, true}` when `a` and `b` view the same storage.
#[rustler::nif]
fn shares_storage<'a>(env: Env<'a>, a: Term<'a>, b: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let a = decode::tensor(a)?.tensor()?;
        let b = decode::tensor(b)?.tensor()?;
        Ok(a.shares_storage_with(&b).encode(env))
    })
}

/// Drops this handle's reference to its storage now; idempotent (`ok`).
#[rustler::nif]
fn deallocate<'a>(env: Env<'a>, t: Term<'a>) -> NifResult<Term<'a>> {
    plain(|| {
        decode::tensor(t)?.release();
        Ok(atoms::ok().encode(env))
    })
}

#[rustler::nif]
fn memory_stats(env: Env<'_>) -> NifResult<Term<'_>> {
    let s = memory::stats();
    let pairs = [
        (atoms::tensors(), live_handles()),
        (atoms::buffers(), s.live_buffers),
        (atoms::bytes(), s.live_bytes),
        (atoms::peak_bytes(), s.peak_bytes),
        (atoms::total_allocations(), s.total_allocations),
    ];
    let keys: Vec<Term> = pairs.iter().map(|(k, _)| k.encode(env)).collect();
    let values: Vec<Term> = pairs.iter().map(|(_, v)| v.encode(env)).collect();
    Term::map_from_arrays(env, &keys, &values)
}

#[rustler::nif]
fn reset_peak_memory(env: Env<'_>) -> Term<'_> {
    memory::reset_peak();
    atoms::ok().encode(env)
}

/// Version and build profile of the loaded library, for the loader's check.
#[rustler::nif]
fn build_info(env: Env<'_>) -> NifResult<Term<'_>> {
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let keys = [atoms::version().encode(env), atoms::profile().encode(env)];
    let values = [env!("CARGO_PKG_VERSION").encode(env), profile.encode(env)];
    Term::map_from_arrays(env, &keys, &values)
}

/// Panics on purpose with `msg`, so tests can see a panic come back as
/// `{error, {internal, Msg}}` instead of taking the VM down.
#[rustler::nif]
fn test_panic<'a>(env: Env<'a>, msg: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let msg: String = decode::term(msg)?;
        if msg.is_empty() {
            return Err(TensorError::invalid_argument("empty panic message").into());
        }
        panic!("{msg}")
    })
}

#[allow(dead_code)]
fn _assert_resource(_: &TensorResource) {}
