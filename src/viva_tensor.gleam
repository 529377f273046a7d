//// Tensors for Gleam, backed by Rust NIFs.
////
//// A `Tensor` is an immutable handle to native storage. Views (`reshape` of
//// contiguous data, `transpose`, `permute`, `slice`, `squeeze`, `unsqueeze`,
//// `broadcast_to`, `expand`) share that storage and copy nothing. Every call
//// that can fail returns a `Result` with a `TensorError`.
////
//// ```gleam
//// import viva_tensor.{F32}
////
//// pub fn main() {
////   let assert Ok(t) = viva_tensor.from_list([1.0, 2.0, 3.0, 4.0], shape: [2, 2], dtype: F32)
////   let assert Ok(tt) = viva_tensor.transpose(t)
////   let assert Ok([1.0, 3.0, 2.0, 4.0]) = viva_tensor.to_list(tt)
//// }
//// ```

/// A tensor handle. Create one with `from_list`, `zeros`, `random_normal`, ...
pub type Tensor

/// Element types.
pub type Dtype {
  /// IEEE binary32 (the usual choice).
  F32
  /// IEEE binary64.
  F64
  /// IEEE binary16.
  F16
  /// bfloat16.
  Bf16
}

/// Why a call failed. The same terms Erlang and Elixir callers see.
pub type TensorError {
  /// Two shapes had to agree and did not.
  ShapeMismatch(expected: List(Int), got: List(Int))
  /// A shape is invalid on its own (element count, ragged rows, bad axis...).
  InvalidShape(reason: String)
  /// The dtype is not supported here.
  InvalidDtype(reason: String)
  /// An index, axis or range lies outside the tensor.
  OutOfBounds(reason: String)
  /// Any other unacceptable argument.
  InvalidArgument(reason: String)
  /// NaN or infinity where only finite values are allowed.
  NonFinite(reason: String)
  /// The tensor was released with `deallocate`.
  Deallocated
  /// A bug inside the library (a caught Rust panic).
  Internal(reason: String)
  /// The native library is missing or stale; the reason says what to run.
  NativeUnavailable(reason: String)
}

/// The process-wide memory account of native tensor storage.
pub type MemoryStats {
  MemoryStats(
    /// Live tensor handles.
    tensors: Int,
    /// Live storage buffers (views share one).
    buffers: Int,
    /// Bytes held by those buffers.
    bytes: Int,
    /// Highest `bytes` since start or `reset_peak_memory`.
    peak_bytes: Int,
    /// Buffers ever allocated.
    total_allocations: Int,
  )
}

type Outcome(a) =
  Result(a, TensorError)

@external(erlang, "viva_tensor_gleam_ffi", "call")
fn call(f: fn() -> Outcome(a)) -> Outcome(a)

@external(erlang, "viva_tensor_gleam_ffi", "seed")
fn seed64(seed: Int) -> Int

/// `Ok(Nil)` when the native library is loaded and current, else the reason
/// and the command that fixes it.
///
/// ```gleam
/// let assert Ok(Nil) = viva_tensor.load_status()
/// ```
@external(erlang, "viva_tensor_gleam_ffi", "load_status")
pub fn load_status() -> Result(Nil, String)

// ---------------------------------------------------------------------------
// Creation

@external(erlang, "vtensor", "from_list")
fn raw_from_list(
  values: List(Float),
  shape: List(Int),
  dtype: Dtype,
) -> Outcome(Tensor)

/// A tensor of `shape` from row-major `values`.
///
/// Errors: `InvalidShape` when the count does not fill the shape.
///
/// ```gleam
/// let assert Ok(t) = from_list([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], shape: [2, 3], dtype: F32)
/// shape(t) // -> [2, 3]
/// ```
pub fn from_list(
  values: List(Float),
  shape shape: List(Int),
  dtype dtype: Dtype,
) -> Result(Tensor, TensorError) {
  call(fn() { raw_from_list(values, shape, dtype) })
}

/// A matrix from rows of equal length.
///
/// Errors: `InvalidShape` for ragged rows.
///
/// ```gleam
/// let assert Ok(m) = from_rows([[1.0, 2.0], [3.0, 4.0]], dtype: F64)
/// shape(m) // -> [2, 2]
/// ```
@external(erlang, "viva_tensor_gleam_ffi", "from_rows")
pub fn from_rows(
  rows: List(List(Float)),
  dtype dtype: Dtype,
) -> Result(Tensor, TensorError)

@external(erlang, "vtensor", "from_binary")
fn raw_from_binary(
  bin: BitArray,
  dtype: Dtype,
  shape: List(Int),
) -> Outcome(Tensor)

/// A tensor over a copy of `bits`: row-major elements of `dtype` in native
/// byte order (little-endian on x86-64/arm64), as `to_binary` writes them.
///
/// Errors: `InvalidArgument` when the byte count does not match shape and dtype.
///
/// ```gleam
/// let assert Ok(t) = from_binary(<<1.0:float-32-little, 2.0:float-32-little>>, dtype: F32, shape: [2])
/// ```
pub fn from_binary(
  bits: BitArray,
  dtype dtype: Dtype,
  shape shape: List(Int),
) -> Result(Tensor, TensorError) {
  call(fn() { raw_from_binary(bits, dtype, shape) })
}

@external(erlang, "vtensor", "full")
fn raw_full(shape: List(Int), value: Float, dtype: Dtype) -> Outcome(Tensor)

/// Every element `value`.
///
/// Errors: `InvalidShape` for a negative dimension.
///
/// ```gleam
/// let assert Ok(t) = full([2, 2], value: 0.5, dtype: F32)
/// ```
pub fn full(
  shape: List(Int),
  value value: Float,
  dtype dtype: Dtype,
) -> Result(Tensor, TensorError) {
  call(fn() { raw_full(shape, value, dtype) })
}

/// All zeros. Errors: as `full`.
///
/// ```gleam
/// let assert Ok(z) = zeros([3], dtype: F16)
/// ```
pub fn zeros(
  shape: List(Int),
  dtype dtype: Dtype,
) -> Result(Tensor, TensorError) {
  full(shape, 0.0, dtype)
}

/// All ones. Errors: as `full`.
///
/// ```gleam
/// let assert Ok(o) = ones([2, 3], dtype: Bf16)
/// ```
pub fn ones(
  shape: List(Int),
  dtype dtype: Dtype,
) -> Result(Tensor, TensorError) {
  full(shape, 1.0, dtype)
}

@external(erlang, "vtensor", "eye")
fn raw_eye(n: Int, m: Int, dtype: Dtype) -> Outcome(Tensor)

/// An `rows × cols` matrix with ones on the main diagonal.
///
/// Errors: `InvalidArgument` for a negative size.
///
/// ```gleam
/// let assert Ok(i) = eye(rows: 3, cols: 3, dtype: F32)
/// ```
pub fn eye(
  rows n: Int,
  cols m: Int,
  dtype dtype: Dtype,
) -> Result(Tensor, TensorError) {
  call(fn() { raw_eye(n, m, dtype) })
}

@external(erlang, "vtensor", "arange")
fn raw_arange(
  start: Float,
  stop: Float,
  step: Float,
  dtype: Dtype,
) -> Outcome(Tensor)

/// `start, start + step, ...` strictly before `stop` (NumPy's `arange`).
///
/// Errors: `InvalidArgument` for a zero step.
///
/// ```gleam
/// let assert Ok(r) = arange(from: 0.0, to: 1.0, step: 0.25, dtype: F64)
/// to_list(r) // -> Ok([0.0, 0.25, 0.5, 0.75])
/// ```
pub fn arange(
  from start: Float,
  to stop: Float,
  step step: Float,
  dtype dtype: Dtype,
) -> Result(Tensor, TensorError) {
  call(fn() { raw_arange(start, stop, step, dtype) })
}

@external(erlang, "vtensor", "linspace")
fn raw_linspace(
  start: Float,
  stop: Float,
  num: Int,
  dtype: Dtype,
) -> Outcome(Tensor)

/// `count` evenly spaced values from `start` to `stop`, both included.
///
/// Errors: `InvalidArgument` for a negative count.
///
/// ```gleam
/// let assert Ok(l) = linspace(from: 0.0, to: 1.0, count: 3, dtype: F64)
/// to_list(l) // -> Ok([0.0, 0.5, 1.0])
/// ```
pub fn linspace(
  from start: Float,
  to stop: Float,
  count num: Int,
  dtype dtype: Dtype,
) -> Result(Tensor, TensorError) {
  call(fn() { raw_linspace(start, stop, num, dtype) })
}

@external(erlang, "viva_tensor_nif", "random_uniform")
fn raw_random_uniform(
  shape: List(Int),
  seed: Int,
  low: Float,
  high: Float,
  dtype: Dtype,
) -> Outcome(Tensor)

@external(erlang, "viva_tensor_nif", "random_uniform_dirty")
fn raw_random_uniform_dirty(
  shape: List(Int),
  seed: Int,
  low: Float,
  high: Float,
  dtype: Dtype,
) -> Outcome(Tensor)

/// Uniform values in `[low, high)`. The same seed gives the same tensor on
/// every machine.
///
/// Errors: `InvalidArgument` when `high < low`.
///
/// ```gleam
/// let assert Ok(u) = random_uniform([2, 2], seed: 42, low: -1.0, high: 1.0, dtype: F32)
/// ```
pub fn random_uniform(
  shape: List(Int),
  seed seed: Int,
  low low: Float,
  high high: Float,
  dtype dtype: Dtype,
) -> Result(Tensor, TensorError) {
  let s = seed64(seed)
  case is_big_shape(shape) {
    True -> call(fn() { raw_random_uniform_dirty(shape, s, low, high, dtype) })
    False -> call(fn() { raw_random_uniform(shape, s, low, high, dtype) })
  }
}

@external(erlang, "viva_tensor_nif", "random_normal")
fn raw_random_normal(
  shape: List(Int),
  seed: Int,
  mean: Float,
  std: Float,
  dtype: Dtype,
) -> Outcome(Tensor)

@external(erlang, "viva_tensor_nif", "random_normal_dirty")
fn raw_random_normal_dirty(
  shape: List(Int),
  seed: Int,
  mean: Float,
  std: Float,
  dtype: Dtype,
) -> Outcome(Tensor)

/// Normal values with the given mean and standard deviation, reproducible
/// from `seed`.
///
/// Errors: `InvalidArgument` for a negative `std`.
///
/// ```gleam
/// let assert Ok(w) = random_normal([384, 384], seed: 7, mean: 0.0, std: 0.02, dtype: F32)
/// ```
pub fn random_normal(
  shape: List(Int),
  seed seed: Int,
  mean mean: Float,
  std std: Float,
  dtype dtype: Dtype,
) -> Result(Tensor, TensorError) {
  let s = seed64(seed)
  case is_big_shape(shape) {
    True -> call(fn() { raw_random_normal_dirty(shape, s, mean, std, dtype) })
    False -> call(fn() { raw_random_normal(shape, s, mean, std, dtype) })
  }
}

@external(erlang, "vtensor", "dirty_threshold")
fn dirty_threshold() -> Int

fn is_big_shape(shape: List(Int)) -> Bool {
  product(shape, 1) > dirty_threshold()
}

fn product(dims: List(Int), acc: Int) -> Int {
  case dims {
    [] -> acc
    [d, ..rest] if d > 0 -> product(rest, acc * d)
    [_, ..rest] -> product(rest, acc)
  }
}

// ---------------------------------------------------------------------------
// Reading out and converting

@external(erlang, "vtensor", "to_binary")
fn raw_to_binary(t: Tensor) -> Outcome(BitArray)

/// The elements as row-major bytes in native byte order. Large contiguous
/// tensors are exported without a copy.
///
/// Errors: `Deallocated`.
///
/// ```gleam
/// let assert Ok(bits) = to_binary(t)
/// ```
pub fn to_binary(t: Tensor) -> Result(BitArray, TensorError) {
  raw_to_binary(t)
}

@external(erlang, "vtensor", "to_float_list")
fn raw_to_list(t: Tensor) -> Outcome(List(Float))

/// The elements as a flat row-major list.
///
/// Errors: `NonFinite` when an element is NaN or infinite (Gleam floats cannot
/// hold them); `Deallocated`.
///
/// ```gleam
/// let assert Ok(t) = from_list([1.0, 2.0], shape: [2], dtype: F32)
/// to_list(t) // -> Ok([1.0, 2.0])
/// ```
pub fn to_list(t: Tensor) -> Result(List(Float), TensorError) {
  raw_to_list(t)
}

@external(erlang, "vtensor", "as_type")
fn raw_as_type(t: Tensor, dtype: Dtype) -> Outcome(Tensor)

/// The same values in another dtype (nearest-even rounding; overflow gives
/// infinity). To the tensor's own dtype it is a view.
///
/// ```gleam
/// let assert Ok(h) = as_type(t, F16)
/// ```
pub fn as_type(t: Tensor, dtype: Dtype) -> Result(Tensor, TensorError) {
  raw_as_type(t, dtype)
}

/// A contiguous copy in new storage.
///
/// ```gleam
/// let assert Ok(c) = copy(t)
/// ```
@external(erlang, "vtensor", "copy")
pub fn copy(t: Tensor) -> Result(Tensor, TensorError)

/// The tensor itself when contiguous, else a contiguous copy.
///
/// ```gleam
/// let assert Ok(c) = contiguous(transposed)
/// ```
@external(erlang, "vtensor", "contiguous")
pub fn contiguous(t: Tensor) -> Result(Tensor, TensorError)

// ---------------------------------------------------------------------------
// Views

@external(erlang, "vtensor", "reshape")
fn raw_reshape(t: Tensor, shape: List(Int)) -> Outcome(Tensor)

/// The same elements in a new shape; one dimension may be `-1` (inferred).
/// A view when `t` is contiguous, a copy otherwise.
///
/// Errors: `InvalidShape` when the element counts differ.
///
/// ```gleam
/// let assert Ok(r) = reshape(t, [3, -1])
/// ```
pub fn reshape(t: Tensor, shape: List(Int)) -> Result(Tensor, TensorError) {
  call(fn() { raw_reshape(t, shape) })
}

/// Reverses the axes (the matrix transpose for rank 2). A view.
///
/// ```gleam
/// let assert Ok(tt) = transpose(t)
/// ```
@external(erlang, "vtensor", "transpose")
pub fn transpose(t: Tensor) -> Result(Tensor, TensorError)

@external(erlang, "vtensor", "permute")
fn raw_permute(t: Tensor, axes: List(Int)) -> Outcome(Tensor)

/// Reorders the axes: result axis `i` is input axis `axes[i]`. A view.
///
/// Errors: `InvalidArgument` unless `axes` is a permutation; `OutOfBounds`.
///
/// ```gleam
/// let assert Ok(p) = permute(t, [2, 0, 1])
/// ```
pub fn permute(t: Tensor, axes: List(Int)) -> Result(Tensor, TensorError) {
  call(fn() { raw_permute(t, axes) })
}

@external(erlang, "vtensor", "slice")
fn raw_slice(
  t: Tensor,
  starts: List(Int),
  stops: List(Int),
  steps: List(Int),
) -> Outcome(Tensor)

/// Elements `start, start + step, ...` below `stop` on each leading axis;
/// later axes are kept whole and negative bounds count from the end. A view.
///
/// Errors: `OutOfBounds` for a bound outside an axis; `InvalidArgument` for a
/// step below 1, a stop before its start, or lists of different lengths.
///
/// ```gleam
/// // rows 0 and 2 of a [3, 4] matrix
/// let assert Ok(s) = slice(m, starts: [0], stops: [3], steps: [2])
/// ```
pub fn slice(
  t: Tensor,
  starts starts: List(Int),
  stops stops: List(Int),
  steps steps: List(Int),
) -> Result(Tensor, TensorError) {
  call(fn() { raw_slice(t, starts, stops, steps) })
}

@external(erlang, "vtensor", "squeeze")
fn raw_squeeze(t: Tensor, axes: List(Int)) -> Outcome(Tensor)

/// Removes the named size-1 axes, or every size-1 axis when `axes` is `[]`.
/// A view.
///
/// Errors: `InvalidShape` when a named axis is not of size 1; `OutOfBounds`.
///
/// ```gleam
/// let assert Ok(s) = squeeze(t, [])
/// ```
pub fn squeeze(t: Tensor, axes: List(Int)) -> Result(Tensor, TensorError) {
  call(fn() { raw_squeeze(t, axes) })
}

@external(erlang, "vtensor", "unsqueeze")
fn raw_unsqueeze(t: Tensor, axis: Int) -> Outcome(Tensor)

/// Inserts a size-1 axis at `axis` (`-1` appends). A view.
///
/// Errors: `OutOfBounds`.
///
/// ```gleam
/// let assert Ok(row) = unsqueeze(v, 0)
/// ```
pub fn unsqueeze(t: Tensor, axis: Int) -> Result(Tensor, TensorError) {
  call(fn() { raw_unsqueeze(t, axis) })
}

@external(erlang, "vtensor", "broadcast_to")
fn raw_broadcast_to(t: Tensor, shape: List(Int)) -> Outcome(Tensor)

/// Repeats size-1 and missing leading axes up to `shape` (NumPy rules), with
/// stride 0: nothing is copied.
///
/// Errors: `ShapeMismatch(expected: shape, got: shape(t))` when incompatible.
///
/// ```gleam
/// let assert Ok(b) = broadcast_to(row, [4, 3])
/// ```
pub fn broadcast_to(
  t: Tensor,
  shape: List(Int),
) -> Result(Tensor, TensorError) {
  call(fn() { raw_broadcast_to(t, shape) })
}

@external(erlang, "vtensor", "expand")
fn raw_expand(t: Tensor, shape: List(Int)) -> Outcome(Tensor)

/// PyTorch's `expand`: `broadcast_to` where `-1` keeps an axis' size.
///
/// ```gleam
/// let assert Ok(e) = expand(column, [-1, 8])
/// ```
pub fn expand(t: Tensor, shape: List(Int)) -> Result(Tensor, TensorError) {
  call(fn() { raw_expand(t, shape) })
}

// ---------------------------------------------------------------------------
// Metadata (cheap; they work on deallocated tensors too)

/// Dimensions. `shape(t) // -> [2, 3]`
@external(erlang, "vtensor", "shape")
pub fn shape(t: Tensor) -> List(Int)

/// Element type. `dtype(t) // -> F32`
@external(erlang, "vtensor", "dtype")
pub fn dtype(t: Tensor) -> Dtype

/// Number of elements. `size(t) // -> 6`
@external(erlang, "vtensor", "size")
pub fn size(t: Tensor) -> Int

/// Number of dimensions. `rank(t) // -> 2`
@external(erlang, "vtensor", "rank")
pub fn rank(t: Tensor) -> Int

/// Element strides per axis (0 on broadcast axes). `strides(t) // -> [3, 1]`
@external(erlang, "vtensor", "strides")
pub fn strides(t: Tensor) -> List(Int)

/// True when the view is a gap-free row-major range of its storage.
/// `is_contiguous(transposed) // -> False`
@external(erlang, "vtensor", "is_contiguous")
pub fn is_contiguous(t: Tensor) -> Bool

/// `size(t)` times the bytes per element. `nbytes(f32_2x3) // -> 24`
@external(erlang, "vtensor", "nbytes")
pub fn nbytes(t: Tensor) -> Int

/// True once `deallocate` was called on this handle.
@external(erlang, "vtensor", "is_deallocated")
pub fn is_deallocated(t: Tensor) -> Bool

/// `Ok(True)` when both tensors view the same storage.
///
/// ```gleam
/// let assert Ok(tt) = transpose(t)
/// shares_storage(t, tt) // -> Ok(True)
/// ```
@external(erlang, "vtensor", "shares_storage")
pub fn shares_storage(a: Tensor, b: Tensor) -> Result(Bool, TensorError)

// ---------------------------------------------------------------------------
// Memory

/// Releases this handle's storage now instead of at garbage collection. The
/// bytes go back once no other view uses them. Later data calls on `t` give
/// `Error(Deallocated)`; metadata calls still work.
///
/// ```gleam
/// deallocate(big)
/// to_list(big) // -> Error(Deallocated)
/// ```
@external(erlang, "viva_tensor_gleam_ffi", "deallocate")
pub fn deallocate(t: Tensor) -> Nil

/// The process-wide account of native tensor memory.
///
/// ```gleam
/// let MemoryStats(bytes: bytes, ..) = memory_stats()
/// ```
@external(erlang, "viva_tensor_gleam_ffi", "memory_stats")
pub fn memory_stats() -> MemoryStats

/// Sets `peak_bytes` to the current `bytes`, to measure one phase.
@external(erlang, "viva_tensor_gleam_ffi", "reset_peak_memory")
pub fn reset_peak_memory() -> Nil
