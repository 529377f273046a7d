//// Holographic reduced representations (Plate's HRR) on native tensors.
////
//// A vector of dimension `d` is a tensor of shape `[d]`; a batch is
//// `[n, d]` (bind and unbind work row by row in one native call). Binding
//// is circular convolution, unbinding circular correlation, both by real
//// FFTs in Rust, O(d log d), computed in f64 and returned in the inputs'
//// dtype.
////
//// ```gleam
//// import viva_tensor
//// import viva_tensor/hrr
////
//// pub fn main() {
////   let assert Ok(role) = hrr.random(1024, seed: 1, dtype: viva_tensor.F32)
////   let assert Ok(filler) = hrr.random(1024, seed: 2, dtype: viva_tensor.F32)
////   let assert Ok(trace) = hrr.bind(role, filler)
////   let assert Ok(guess) = hrr.unbind(trace, role)
////   hrr.similarity(guess, filler) // -> Ok(about 0.7)
//// }
//// ```

import viva_tensor.{type Dtype, type Tensor, type TensorError}

/// A random HRR vector `[dim]` with i.i.d. N(0, 1/dim) elements; the same
/// seed gives the same vector on every machine (any Int, modulo 2^64).
///
/// Errors: `InvalidShape` when `dim < 1`.
///
/// ```gleam
/// let assert Ok(v) = hrr.random(256, seed: 7, dtype: viva_tensor.F32)
/// viva_tensor.shape(v) // -> [256]
/// ```
pub fn random(
  dim: Int,
  seed seed: Int,
  dtype dtype: Dtype,
) -> Result(Tensor, TensorError) {
  random_ffi(dim, seed, dtype)
}

@external(erlang, "viva_tensor_hrr_ffi", "random")
fn random_ffi(dim: Int, seed: Int, dtype: Dtype) -> Result(Tensor, TensorError)

/// A random unitary vector `[dim]`: every frequency of its spectrum has
/// magnitude 1 (random phases from `seed`). Its norm is 1, it binds with
/// itself any number of times without growing or shrinking, and unbinding
/// it is exact: the vector to use as `encode_sequence`'s position.
///
/// Errors: `InvalidShape` when `dim < 1`.
///
/// ```gleam
/// let assert Ok(p) = hrr.random_unitary(1024, seed: 9, dtype: viva_tensor.F32)
/// ```
pub fn random_unitary(
  dim: Int,
  seed seed: Int,
  dtype dtype: Dtype,
) -> Result(Tensor, TensorError) {
  random_unitary_ffi(dim, seed, dtype)
}

@external(erlang, "viva_tensor_hrr_ffi", "random_unitary")
fn random_unitary_ffi(
  dim: Int,
  seed: Int,
  dtype: Dtype,
) -> Result(Tensor, TensorError)

/// Binds two vectors (circular convolution along the last axis). Shapes
/// must be equal (`[d]` or `[n, d]`), dtypes too.
///
/// Errors: `ShapeMismatch`, `InvalidDtype`, `InvalidShape` (rank 0).
///
/// ```gleam
/// let assert Ok(pair) = hrr.bind(role, filler)
/// ```
@external(erlang, "viva_tensor_hrr_ffi", "bind")
pub fn bind(a: Tensor, b: Tensor) -> Result(Tensor, TensorError)

/// Unbinds `key` from `trace` (circular correlation, the approximate
/// inverse of `bind`): `unbind(bind(a, b), a)` is similar to `b`.
///
/// Errors: as `bind`.
///
/// ```gleam
/// let assert Ok(guess) = hrr.unbind(trace, role)
/// ```
@external(erlang, "viva_tensor_hrr_ffi", "unbind")
pub fn unbind(trace: Tensor, key: Tensor) -> Result(Tensor, TensorError)

/// Encodes an ordered sequence into one trace: `items[0] + items[1] * p +
/// items[2] * p^2 + ...`, where `*` is `bind` and `p^k` is `position`
/// bound with itself `k` times (the positional encoding of the VIVA
/// runtime's `hrr.encode_sequence`). `unbind(trace, p^k)` recovers item
/// `k`. `items` is `[n, d]` (one row per item, `n >= 1`) or a single `[d]`;
/// `position` is `[d]` and should come from `random_unitary`: a plain random
/// vector's powers grow or shrink exponentially, so a few items drown the
/// rest. One FFT per item and a single inverse, in one native call.
///
/// Errors: `InvalidShape` for an empty sequence or other ranks,
/// `ShapeMismatch` when `position` is not `[d]`, `InvalidDtype`.
///
/// ```gleam
/// let assert Ok(items) = viva_tensor.random_normal([5, 1024], seed: 1, mean: 0.0, std: 0.03, dtype: viva_tensor.F32)
/// let assert Ok(p) = hrr.random_unitary(1024, seed: 2, dtype: viva_tensor.F32)
/// let assert Ok(trace) = hrr.encode_sequence(items, p)
/// ```
@external(erlang, "viva_tensor_hrr_ffi", "encode_sequence")
pub fn encode_sequence(
  items: Tensor,
  position: Tensor,
) -> Result(Tensor, TensorError)

/// The element-wise sum of equal-shape vectors: a trace holding several
/// bindings at once.
///
/// Errors: `InvalidArgument` for an empty list, `ShapeMismatch`.
///
/// ```gleam
/// let assert Ok(trace) = hrr.superpose([pair1, pair2])
/// ```
@external(erlang, "viva_tensor_hrr_ffi", "superpose")
pub fn superpose(vectors: List(Tensor)) -> Result(Tensor, TensorError)

/// The vector (or each row) scaled to unit L2 norm; zero stays zero.
///
/// ```gleam
/// let assert Ok(unit) = hrr.normalize(trace)
/// ```
@external(erlang, "viva_tensor_hrr_ffi", "normalize")
pub fn normalize(vector: Tensor) -> Result(Tensor, TensorError)

/// Cosine similarity of two 1-D vectors; 0.0 when either norm is below
/// 1.0e-4.
///
/// Errors: `InvalidShape` unless both are 1-D, `ShapeMismatch`.
///
/// ```gleam
/// hrr.similarity(guess, filler) // -> Ok(0.72...)
/// ```
@external(erlang, "viva_tensor_hrr_ffi", "similarity")
pub fn similarity(a: Tensor, b: Tensor) -> Result(Float, TensorError)

/// Unbinds `key` from `trace` (both `[d]`) and returns the `k` rows of
/// `candidates` (`[n, d]`) most similar to the result by cosine, best
/// first, as `#(row, score)`.
///
/// Errors: as `unbind`; `InvalidArgument` when `k` is negative or exceeds `n`.
///
/// ```gleam
/// let assert Ok([#(row, score), ..]) = hrr.query(trace, role, candidates, k: 3)
/// ```
pub fn query(
  trace: Tensor,
  key: Tensor,
  candidates: Tensor,
  k k: Int,
) -> Result(List(#(Int, Float)), TensorError) {
  query_ffi(trace, key, candidates, k)
}

@external(erlang, "viva_tensor_hrr_ffi", "query")
fn query_ffi(
  trace: Tensor,
  key: Tensor,
  candidates: Tensor,
  k: Int,
) -> Result(List(#(Int, Float)), TensorError)
