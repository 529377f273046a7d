//! NIFs for quantized tensors: quantize / dequantize, the serialized form,
//! metadata, and error measures between two tensors.
//!
//! A quantized tensor is its own resource ([`QuantResource`]); its bytes
//! (`QuantizedTensor::nbytes`, the size of its serialized form) are in the
//! memory account for as long as the resource lives.

use rustler::{Atom, Encoder, Env, NifResult, OwnedBinary, ResourceArc, Term, TermType};
use viva_tensor_core::memory::Accounted;
use viva_tensor_core::quant::{metrics, Int8Granularity, QuantFormat, QuantizedTensor};
use viva_tensor_core::reaper::{defer_drop, REAP_MIN_BYTES};
use viva_tensor_core::{DType, Tensor, TensorError};

use crate::create::new_tensor;
use crate::decode;
use crate::dual_nif;
use crate::error::{guarded, plain, NifError};

mod qatoms {
    rustler::atoms! {
        q8_0,
        q4_0,
        q4_1,
        q5_0,
        mxfp4,
        nvfp4,
        nf4,
        nf4_dq,
        fp8_e4m3fn,
        fp8_e5m2,
        f16,
        bf16,
        int8,
        per_tensor,
        per_channel,
        per_block,
        mse,
        rmse,
        max_abs,
        mean_abs,
        sqnr_db,
        cosine,
        infinity,
        neg_infinity,
    }
}

/// A quantized tensor as the BEAM holds it. Immutable; freed when the last
/// reference goes (garbage collection).
pub struct QuantResource {
    q: Option<QuantizedTensor>,
    _accounted: Accounted,
}

#[rustler::resource_impl]
impl rustler::Resource for QuantResource {}

impl Drop for QuantResource {
    fn drop(&mut self) {
        // `_accounted` leaves the account right after this body; a large
        // payload is returned to the OS off the (possibly normal) scheduler
        // that runs the garbage collection.
        if let Some(q) = self.q.take() {
            if q.nbytes() >= REAP_MIN_BYTES {
                defer_drop(q);
            }
        }
    }
}

impl QuantResource {
    fn wrap(q: QuantizedTensor) -> ResourceArc<QuantResource> {
        let accounted = Accounted::new(q.nbytes() as u64);
        ResourceArc::new(QuantResource {
            q: Some(q),
            _accounted: accounted,
        })
    }

    pub(crate) fn get(&self) -> &QuantizedTensor {
        self.q
            .as_ref()
            .expect("a live QuantResource holds its tensor")
    }
}

pub(crate) fn quant(t: Term) -> Result<ResourceArc<QuantResource>, NifError> {
    Ok(t.decode()?)
}

/// A short rendering of a (possibly huge) term for error messages: atoms,
/// numbers and small tuples of them in full, anything else by its kind.
fn show(t: Term, depth: usize) -> String {
    match t.get_type() {
        TermType::Atom | TermType::Float => format!("{t:?}"),
        TermType::Integer => match t.decode::<i64>() {
            Ok(v) => v.to_string(),
            Err(_) => "an integer beyond 64 bits".to_string(),
        },
        TermType::Tuple => match rustler::types::tuple::get_tuple(t) {
            Ok(items) if items.len() <= 4 && depth < 3 => {
                let inner: Vec<String> = items.iter().map(|x| show(*x, depth + 1)).collect();
                format!("{{{}}}", inner.join(","))
            }
            Ok(items) => format!("a tuple of {} elements", items.len()),
            Err(_) => "a tuple".to_string(),
        },
        TermType::List => "a list".to_string(),
        TermType::Binary => "a binary".to_string(),
        TermType::Map => "a map".to_string(),
        _ => "a term of another type".to_string(),
    }
}

fn invalid(msg: String) -> NifError {
    NifError::Tensor(TensorError::invalid_argument(msg))
}

/// A format parameter: a non-negative integer, else `invalid_argument`.
fn param(t: Term, what: &str, format: Term) -> Result<usize, NifError> {
    t.decode::<i64>()
        .ok()
        .and_then(|v| usize::try_from(v).ok())
        .ok_or_else(|| {
            invalid(format!(
                "{what} must be a non-negative integer in {}",
                show(format, 0)
            ))
        })
}

fn unknown_format(t: Term) -> NifError {
    invalid(format!(
        "unknown quantization format {}; expected q8_0, q4_0, q4_1, q5_0, mxfp4, nvfp4, \
         nf4, nf4_dq, fp8_e4m3fn, fp8_e5m2, f16, bf16, {{nf4, Block}}, {{nf4_dq, Block, Block2}}, {{int8, per_tensor}}, \
         {{int8, {{per_channel, Axis}}}} or {{int8, {{per_block, Block}}}}",
        show(t, 0)
    ))
}

/// Decodes a format term. A per-channel axis may be negative (counted from
/// the end of `shape`). Anything unrecognised is `invalid_argument`.
fn format(t: Term, shape: &[usize]) -> Result<QuantFormat, NifError> {
    if t.get_type() == TermType::Atom {
        let a: Atom = t.decode()?;
        let f = if a == qatoms::q8_0() {
            QuantFormat::Q8_0
        } else if a == qatoms::q4_0() {
            QuantFormat::Q4_0
        } else if a == qatoms::q4_1() {
            QuantFormat::Q4_1
        } else if a == qatoms::q5_0() {
            QuantFormat::Q5_0
        } else if a == qatoms::mxfp4() {
            QuantFormat::Mxfp4
        } else if a == qatoms::nvfp4() {
            QuantFormat::Nvfp4
        } else if a == qatoms::nf4() {
            QuantFormat::NF4
        } else if a == qatoms::nf4_dq() {
            QuantFormat::NF4_DQ
        } else if a == qatoms::fp8_e4m3fn() {
            QuantFormat::Fp8E4m3fn
        } else if a == qatoms::fp8_e5m2() {
            QuantFormat::Fp8E5m2
        } else if a == qatoms::f16() {
            QuantFormat::F16
        } else if a == qatoms::bf16() {
            QuantFormat::Bf16
        } else {
            return Err(unknown_format(t));
        };
        return Ok(f);
    }
    let Ok(items) = rustler::types::tuple::get_tuple(t) else {
        return Err(unknown_format(t));
    };
    let tag = items.first().and_then(|x| x.decode::<Atom>().ok());
    match (tag, items.len()) {
        (Some(a), 2) if a == qatoms::nf4() => Ok(QuantFormat::Nf4 {
            block_size: param(items[1], "the nf4 block size", t)?,
        }),
        (Some(a), 3) if a == qatoms::nf4_dq() => Ok(QuantFormat::Nf4Dq {
            block_size: param(items[1], "the nf4_dq block size", t)?,
            block_size2: param(items[2], "the nf4_dq second-level block size", t)?,
        }),
        (Some(a), 2) if a == qatoms::int8() => {
            Ok(QuantFormat::Int8(granularity(items[1], t, shape)?))
        }
        _ => Err(unknown_format(t)),
    }
}

fn granularity(g: Term, whole: Term, shape: &[usize]) -> Result<Int8Granularity, NifError> {
    if g.decode::<Atom>().is_ok_and(|a| a == qatoms::per_tensor()) {
        return Ok(Int8Granularity::PerTensor);
    }
    let items = rustler::types::tuple::get_tuple(g).map_err(|_| unknown_format(whole))?;
    let tag = items.first().and_then(|x| x.decode::<Atom>().ok());
    match (tag, items.len()) {
        (Some(a), 2) if a == qatoms::per_channel() => {
            let axis: i64 = items[1].decode().map_err(|_| {
                invalid(format!(
                    "the int8 channel axis must be an integer in {}",
                    show(whole, 0)
                ))
            })?;
            let rank = shape.len() as i64;
            let resolved = if axis < 0 { axis + rank } else { axis };
            if !(0..rank).contains(&resolved) {
                return Err(NifError::Tensor(TensorError::OutOfBounds(format!(
                    "int8 channel axis {axis} is outside a tensor of rank {rank}"
                ))));
            }
            Ok(Int8Granularity::PerChannel {
                axis: resolved as usize,
            })
        }
        (Some(a), 2) if a == qatoms::per_block() => Ok(Int8Granularity::PerBlock {
            block_size: param(items[1], "the int8 block size", whole)?,
        }),
        _ => Err(unknown_format(whole)),
    }
}

/// The format as a term of the shape `quantize` accepts: bare atoms for the
/// fixed formats and for nf4 / nf4_dq with their default blocks.
fn format_term(env: Env<'_>, f: QuantFormat) -> Term<'_> {
    match f {
        QuantFormat::Q8_0 => qatoms::q8_0().encode(env),
        QuantFormat::Q4_0 => qatoms::q4_0().encode(env),
        QuantFormat::Q4_1 => qatoms::q4_1().encode(env),
        QuantFormat::Q5_0 => qatoms::q5_0().encode(env),
        QuantFormat::Mxfp4 => qatoms::mxfp4().encode(env),
        QuantFormat::Nvfp4 => qatoms::nvfp4().encode(env),
        QuantFormat::Fp8E4m3fn => qatoms::fp8_e4m3fn().encode(env),
        QuantFormat::Fp8E5m2 => qatoms::fp8_e5m2().encode(env),
        QuantFormat::F16 => qatoms::f16().encode(env),
        QuantFormat::Bf16 => qatoms::bf16().encode(env),
        f if f == QuantFormat::NF4 => qatoms::nf4().encode(env),
        f if f == QuantFormat::NF4_DQ => qatoms::nf4_dq().encode(env),
        QuantFormat::Nf4 { block_size } => (qatoms::nf4(), block_size).encode(env),
        QuantFormat::Nf4Dq {
            block_size,
            block_size2,
        } => (qatoms::nf4_dq(), block_size, block_size2).encode(env),
        QuantFormat::Int8(Int8Granularity::PerTensor) => {
            (qatoms::int8(), qatoms::per_tensor()).encode(env)
        }
        QuantFormat::Int8(Int8Granularity::PerChannel { axis }) => {
            (qatoms::int8(), (qatoms::per_channel(), axis)).encode(env)
        }
        QuantFormat::Int8(Int8Granularity::PerBlock { block_size }) => {
            (qatoms::int8(), (qatoms::per_block(), block_size)).encode(env)
        }
    }
}

/// The tensor's elements as f32, row-major (converted when another dtype;
/// f64 values beyond f32's range become infinities, which quantizers reject).
fn with_f32<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> R) -> Result<R, NifError> {
    if let Some(s) = t.as_slice::<f32>() {
        return Ok(f(s));
    }
    let v = if t.dtype() == DType::F32 {
        t.to_vec::<f32>()?
    } else {
        t.as_type(DType::F32).to_vec::<f32>()?
    };
    Ok(f(&v))
}

fn quantize_impl<'a>(env: Env<'a>, t: Term<'a>, fmt: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let t = decode::tensor(t)?.tensor()?;
        let fmt = format(fmt, t.shape())?;
        let q = with_f32(&t, |v| QuantizedTensor::quantize(v, t.shape(), fmt))??;
        Ok(QuantResource::wrap(q).encode(env))
    })
}
dual_nif!(quantize, quantize_dirty, quantize_impl, (t, format));

fn dequantize_impl<'a>(env: Env<'a>, q: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let r = quant(q)?;
        let q = r.get();
        Ok(new_tensor(
            env,
            Tensor::from_vec(q.dequantize(), q.shape())?,
        ))
    })
}
dual_nif!(dequantize, dequantize_dirty, dequantize_impl, (q));

fn q_to_binary_impl<'a>(env: Env<'a>, q: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let bytes = quant(q)?.get().to_bytes();
        let mut bin = OwnedBinary::new(bytes.len());
        bin.as_mut_slice().copy_from_slice(&bytes);
        Ok(bin.release(env).encode(env))
    })
}
dual_nif!(q_to_binary, q_to_binary_dirty, q_to_binary_impl, (q));

fn q_from_binary_impl<'a>(env: Env<'a>, bin: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let bin: rustler::Binary = decode::term(bin)?;
        let q = QuantizedTensor::from_bytes(bin.as_slice())?;
        Ok(QuantResource::wrap(q).encode(env))
    })
}
dual_nif!(
    q_from_binary,
    q_from_binary_dirty,
    q_from_binary_impl,
    (bin)
);

#[rustler::nif]
fn q_format<'a>(env: Env<'a>, q: Term<'a>) -> NifResult<Term<'a>> {
    plain(|| Ok(format_term(env, quant(q)?.get().format())))
}

#[rustler::nif]
fn q_shape<'a>(env: Env<'a>, q: Term<'a>) -> NifResult<Term<'a>> {
    plain(|| Ok(quant(q)?.get().shape().encode(env)))
}

#[rustler::nif]
fn q_size<'a>(env: Env<'a>, q: Term<'a>) -> NifResult<Term<'a>> {
    plain(|| Ok(quant(q)?.get().numel().encode(env)))
}

#[rustler::nif]
fn q_nbytes<'a>(env: Env<'a>, q: Term<'a>) -> NifResult<Term<'a>> {
    plain(|| Ok(quant(q)?.get().nbytes().encode(env)))
}

#[rustler::nif]
fn q_compression_ratio<'a>(env: Env<'a>, q: Term<'a>) -> NifResult<Term<'a>> {
    plain(|| Ok(quant(q)?.get().compression_ratio().encode(env)))
}

#[rustler::nif]
fn is_quantized<'a>(env: Env<'a>, q: Term<'a>) -> NifResult<Term<'a>> {
    Ok(quant(q).is_ok().encode(env))
}

/// Median wall time in microseconds (f64) of 5 `memcpy`s of the tensor's
/// elements, as f32 (converted first when another dtype), into a buffer
/// written once beforehand, so page faults are not counted: this machine's
/// copy speed on exactly the bytes a quantizer reads, the yardstick
/// `bench/quant_bench.erl` reports quantize speed against. Always on a dirty
/// CPU scheduler. Errors: `badarg` for a non-tensor, `deallocated`.
#[rustler::nif(schedule = "DirtyCpu")]
fn memcpy_us<'a>(env: Env<'a>, t: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let t = decode::tensor(t)?.tensor()?;
        let us = with_f32(&t, |src| {
            let mut dst = src.to_vec(); // allocates and touches every page
            let mut times: Vec<f64> = (0..5)
                .map(|_| {
                    let t0 = std::time::Instant::now();
                    dst.copy_from_slice(src);
                    std::hint::black_box(&mut dst);
                    t0.elapsed().as_secs_f64() * 1e6
                })
                .collect();
            times.sort_by(f64::total_cmp);
            times[2]
        })?;
        Ok(us.encode(env))
    })
}

/// A float, or an atom for an infinite one (Erlang floats hold neither).
fn measure(env: Env<'_>, v: f64) -> Term<'_> {
    if v == f64::INFINITY {
        qatoms::infinity().encode(env)
    } else if v == f64::NEG_INFINITY {
        qatoms::neg_infinity().encode(env)
    } else {
        v.encode(env)
    }
}

fn check_finite(v: &[f32], which: &str) -> Result<(), NifError> {
    match v.iter().position(|x| !x.is_finite()) {
        None => Ok(()),
        Some(i) => Err(NifError::Tensor(TensorError::NonFinite(format!(
            "{which} element {i} is {} (as f32)",
            v[i]
        )))),
    }
}

fn quant_metrics_impl<'a>(env: Env<'a>, a: Term<'a>, b: Term<'a>) -> NifResult<Term<'a>> {
    guarded(env, || {
        let a = decode::tensor(a)?.tensor()?;
        let b = decode::tensor(b)?.tensor()?;
        if a.shape() != b.shape() {
            return Err(NifError::Tensor(TensorError::ShapeMismatch {
                expected: a.shape().to_vec(),
                got: b.shape().to_vec(),
            }));
        }
        let values = with_f32(&a, |x| {
            with_f32(&b, |y| -> Result<[f64; 6], NifError> {
                check_finite(x, "reference")?;
                check_finite(y, "approximation")?;
                Ok([
                    metrics::mse(x, y)?,
                    metrics::rmse(x, y)?,
                    metrics::max_abs(x, y)?,
                    metrics::mean_abs(x, y)?,
                    metrics::sqnr_db(x, y)?,
                    metrics::cosine_similarity(x, y)?,
                ])
            })
        })???;
        let keys = [
            qatoms::mse(),
            qatoms::rmse(),
            qatoms::max_abs(),
            qatoms::mean_abs(),
            qatoms::sqnr_db(),
            qatoms::cosine(),
        ];
        let keys: Vec<Term> = keys.iter().map(|k| k.encode(env)).collect();
        let vals: Vec<Term> = values.iter().map(|&v| measure(env, v)).collect();
        Ok(Term::map_from_arrays(env, &keys, &vals)?)
    })
}
dual_nif!(
    quant_metrics,
    quant_metrics_dirty,
    quant_metrics_impl,
    (a, b)
);
