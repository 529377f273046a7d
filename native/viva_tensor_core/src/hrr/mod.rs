//! Holographic reduced representations (Plate): binding by circular
//! convolution, unbinding by circular correlation, both through real FFTs.
//!
//! For vectors `a`, `b` of length `d`:
//!
//! - `bind(a, b)[k] = Σ_j a[j] · b[(k - j) mod d]` = `irfft(rfft(a) · rfft(b))`
//! - `unbind(t, key)[k] = Σ_j key[j] · t[(k + j) mod d]` =
//!   `irfft(rfft(t) · conj(rfft(key)))`, i.e. binding with the involution
//!   of `key`, the approximate inverse Plate uses: `unbind(bind(a, b), a)`
//!   is close to `b` when `a` has i.i.d. N(0, 1/d) elements.
//!
//! Inputs are tensors whose **last axis** holds the vectors; leading axes
//! are a batch, processed in parallel (rayon). f64 tensors are transformed
//! in f64; f32, f16 and bf16 ones in f32 (f16/bf16 widen exactly and the
//! result is rounded once), which is twice as fast and keeps the error
//! near f32 rounding (about `1e-7 · log2(d)` of the vectors' norm). FFT
//! plans come from `realfft` and are cached per length and precision, so
//! any `d` works (powers of two are fastest).

mod fft;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use fft::{Op, Real};

use crate::dtype::Element;
use crate::error::{Result, TensorError};
use crate::tensor::Tensor;
use crate::DType;

/// Binds `a` and `b` by circular convolution along the last axis.
///
/// Shapes: equal, rank ≥ 1 (`[..., d]`; leading axes are a batch); any
/// views. Result: a new tensor of that shape and dtype.
///
/// Errors: `ShapeMismatch` when the shapes differ; `InvalidShape` for rank
/// 0 or `d = 0`; `InvalidDtype` when the dtypes differ.
pub fn bind(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    apply(a, b, Op::Bind)
}

/// Unbinds `key` from `trace` by circular correlation along the last axis:
/// the approximate inverse of [`bind`], `unbind(bind(a, b), a) ≈ b`.
///
/// Shapes, result and errors as [`bind`].
pub fn unbind(trace: &Tensor, key: &Tensor) -> Result<Tensor> {
    apply(trace, key, Op::Unbind)
}

/// Encodes an ordered sequence into one trace:
/// `Σ_k items[k] ⊛ p^k`, where `⊛` is [`bind`], `p^0` is the identity and
/// `p^k` is `position` bound with itself `k` times. The first item is
/// stored as it is, the second bound with `p`, the third with `p ⊛ p`, and
/// so on; unbinding `p^k` from the trace recovers (approximately) item `k`.
/// This is the positional encoding of the VIVA runtime's
/// `hrr.encode_sequence`.
///
/// Shapes: `items` is `[n, d]` (`n ≥ 1` rows, one per item) or `[d]` (a
/// one-item sequence); `position` is `[d]`. Result: `[d]`, in the inputs'
/// dtype.
///
/// The position vector should be unitary ([`random_unitary`]): the norm of
/// `p^k` is the product of `p`'s spectral magnitudes raised to `k`, which
/// for a plain random vector grows or shrinks exponentially with `k`.
///
/// Errors: `InvalidShape` for `n = 0`, `d = 0`, or ranks other than those;
/// `ShapeMismatch` when `position` is not `[d]`; `InvalidDtype` when the
/// dtypes differ.
pub fn encode_sequence(items: &Tensor, position: &Tensor) -> Result<Tensor> {
    let d = match *items.shape() {
        [n, d] if n > 0 && d > 0 => d,
        [d] if d > 0 => d,
        _ => {
            return Err(TensorError::invalid_shape(format!(
                "encode_sequence needs items of shape [n, d] with n, d >= 1 (or one item [d]), got {:?}",
                items.shape()
            )))
        }
    };
    if position.shape() != [d] {
        return Err(TensorError::ShapeMismatch {
            expected: vec![d],
            got: position.shape().to_vec(),
        });
    }
    same_dtype(items, position)?;
    match items.dtype() {
        DType::F64 => {
            let out = fft::encode_sequence(&values::<f64>(items), &values::<f64>(position), d);
            Tensor::from_vec(out, &[d])
        }
        dtype => {
            let out = fft::encode_sequence(&values::<f32>(items), &values::<f32>(position), d);
            in_dtype(out, &[d], dtype)
        }
    }
}

fn apply(a: &Tensor, b: &Tensor, op: Op) -> Result<Tensor> {
    if a.shape() != b.shape() {
        return Err(TensorError::ShapeMismatch {
            expected: a.shape().to_vec(),
            got: b.shape().to_vec(),
        });
    }
    same_dtype(a, b)?;
    let d = match a.shape().last() {
        Some(&d) if d > 0 => d,
        _ => {
            return Err(TensorError::invalid_shape(format!(
                "HRR vectors lie along the last axis, which must be non-empty; got shape {:?}",
                a.shape()
            )))
        }
    };
    match a.dtype() {
        DType::F64 => {
            let out = fft::convolve_rows(&values::<f64>(a), &values::<f64>(b), d, op);
            Tensor::from_vec(out, a.shape())
        }
        dtype => {
            let out = fft::convolve_rows(&values::<f32>(a), &values::<f32>(b), d, op);
            in_dtype(out, a.shape(), dtype)
        }
    }
}

fn same_dtype(a: &Tensor, b: &Tensor) -> Result<()> {
    if a.dtype() == b.dtype() {
        return Ok(());
    }
    Err(TensorError::InvalidDtype(format!(
        "HRR operands must share a dtype, got {} and {}",
        a.dtype().name(),
        b.dtype().name()
    )))
}

/// The elements in row-major order as `T`: borrowed when the tensor is a
/// contiguous `T` tensor (no copy), else converted (exactly, for the
/// widenings used here).
fn values<T: Real>(t: &Tensor) -> Cow<'_, [T]> {
    match t.as_slice::<T>() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(
            t.as_type(<T as Element>::DTYPE)
                .to_vec::<T>()
                .expect("as_type returns the requested dtype"),
        ),
    }
}

/// An f32 result as a tensor of `dtype` (rounded once when narrower).
fn in_dtype(out: Vec<f32>, shape: &[usize], dtype: DType) -> Result<Tensor> {
    let t = Tensor::from_vec(out, shape)?;
    Ok(if dtype == DType::F32 {
        t
    } else {
        t.as_type(dtype)
    })
}

/// A random unitary HRR vector `[d]`: every frequency of its spectrum has
/// magnitude 1 (random phases, from `seed` as [`random_vector`]). Its norm
/// is 1, it binds with itself any number of times without growing or
/// shrinking, and unbinding it is exact. Use it as the `position` of
/// [`encode_sequence`]: with a plain random vector the norms of `p^k` grow
/// or shrink exponentially in `k`, so a few items drown the others.
///
/// Errors: `InvalidShape` for `d = 0`.
pub fn random_unitary(d: usize, seed: u64, dtype: DType) -> Result<Tensor> {
    let x = random_vector(d, seed, DType::F64)?;
    let out = fft::make_unitary(&values::<f64>(&x));
    Tensor::from_vec(out, &[d]).map(|t| t.as_type(dtype))
}

/// A random HRR vector: `d` i.i.d. N(0, 1/d) elements from `seed` (the
/// same on every machine, see [`Tensor::random_normal`]).
///
/// Errors: `InvalidShape` for `d = 0`.
pub fn random_vector(d: usize, seed: u64, dtype: DType) -> Result<Tensor> {
    if d == 0 {
        return Err(TensorError::invalid_shape(
            "an HRR vector needs a dimension of at least 1",
        ));
    }
    Tensor::random_normal(&[d], seed, 0.0, 1.0 / (d as f64).sqrt(), dtype)
}
