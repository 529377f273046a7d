//// Pure BEAM tensors, source-compatible with viva_tensor 1.2.1's
//// `viva_tensor/tensor` module.
////
//// A `Tensor` here is a plain Gleam value: a list of floats in row-major
//// order plus a shape (or a strided view over an Erlang `array`). Code
//// written against viva_tensor 1.2.1 (the VIVA runtime, for one) keeps
//// compiling and behaving as before.
////
//// Small tensors stay in pure Gleam: for VIVA's 3- and 4-element vectors a
//// trip through the native library costs more than the work. Above a
//// crossover measured per function (see `make bench`, compat rows), the
//// heavy functions (`matmul`, `matmul_vec`, `outer`, `sum_axis`,
//// `mean_axis`, `broadcast_to`, `add_broadcast`, `mul_broadcast`) convert
//// to a native f64 tensor, compute there and convert back. `transpose` and
//// `norm` stay pure: the conversions cost as much as the work. Results are the same values, except that native sums may
//// add in another order (differences of a few ulps on inexact sums). When
//// the native library is not loaded everything runs in pure Gleam, so this
//// module works wherever the BEAM runs. `viva_tensor_native_mode` (Erlang)
//// or the environment variable `VIVA_TENSOR_NATIVE=always|never|off`
//// overrides the routing, for tests and benchmarks.
////
//// For hot paths, move to the native API with `to_native` and back with
//// `from_native`:
////
//// ```gleam
//// import viva_tensor/tensor
////
//// pub fn main() {
////   let assert Ok(a) = tensor.matrix(2, 2, [1.0, 2.0, 3.0, 4.0])
////   let assert Ok(b) = tensor.transpose(a)
////   tensor.to_list(b) // -> [1.0, 3.0, 2.0, 4.0]
////   let assert Ok(native) = tensor.to_native(b)
////   let assert Ok(back) = tensor.from_native(native)
////   back == b // -> True
//// }
//// ```
////
//// Values are BEAM floats (IEEE binary64). Float division by zero follows
//// Gleam's rule and gives `0.0`.
////
//// ## Where this module differs from 1.2.1
////
//// Results agree with 1.2.1 except where 1.2.1 crashed or returned garbage:
////
//// - An empty result has no elements. (1.2.1 iterated `0..-1` as two steps, so
////   e.g. `matmul` of `[3, 1]` by `[1, 0]` gave six zeros with shape `[3, 0]`,
////   and `random_uniform([0])` two values.)
//// - `get`, `get_fast`, `get2d` on a `StridedTensor` return `DimensionError`
////   for a position outside `0..size - 1` (1.2.1 wrapped it around, crashed
////   on a negative one, or returned the atom `undefined`); `get2d_fast` does
////   the same for a position outside the storage.
//// - `xavier_init` and `he_init` with negative fans give a limit or
////   standard deviation of `0.0` instead of raising in `math:sqrt`.
//// - Elements are read in constant time instead of by walking lists (in
////   1.2.1 a 100 x 100 `matmul` took 72 s on a 2-core test machine; here it
////   takes 49 ms).

import viva_tensor
import viva_tensor/ops

// =============================================================================
// TYPES
// =============================================================================

/// An Erlang `array` (see the `array` module of OTP's stdlib): the storage of
/// a `StridedTensor`, with O(log n) random access.
pub type ErlangArray

/// An n-dimensional array of floats.
///
/// - `Tensor(data, shape)`: row-major data; `data` holds the product of
///   `shape` elements.
/// - `StridedTensor(storage, shape, strides, offset)`: a view. Element
///   `[i0, i1, ...]` lives at `offset + i0 * s0 + i1 * s1 + ...` in `storage`.
///   `to_strided` makes one, `transpose_strided` swaps its strides without
///   copying, `to_contiguous` materialises it.
pub type Tensor {
  Tensor(data: List(Float), shape: List(Int))
  StridedTensor(
    storage: ErlangArray,
    shape: List(Int),
    strides: List(Int),
    offset: Int,
  )
}

/// Why an operation failed.
pub type TensorError {
  /// Two shapes had to agree and did not.
  ShapeMismatch(expected: List(Int), got: List(Int))
  /// A shape (or a list of rows) is invalid.
  InvalidShape(reason: String)
  /// An axis or index is out of range, or the rank is wrong.
  DimensionError(reason: String)
  /// The two shapes cannot be broadcast together.
  BroadcastError(a: List(Int), b: List(Int))
}

// =============================================================================
// CONSTRUCTORS
// =============================================================================

/// A tensor of `shape` filled with `0.0`.
///
/// ```gleam
/// zeros([2, 2]) // -> Tensor(data: [0.0, 0.0, 0.0, 0.0], shape: [2, 2])
/// ```
pub fn zeros(shape: List(Int)) -> Tensor {
  fill(shape, 0.0)
}

/// A tensor of `shape` filled with `1.0`.
///
/// ```gleam
/// ones([3]) // -> Tensor(data: [1.0, 1.0, 1.0], shape: [3])
/// ```
pub fn ones(shape: List(Int)) -> Tensor {
  fill(shape, 1.0)
}

/// A tensor of `shape` with every element `value`.
///
/// ```gleam
/// fill([2], 5.0) // -> Tensor(data: [5.0, 5.0], shape: [2])
/// ```
pub fn fill(shape: List(Int), value: Float) -> Tensor {
  Tensor(data: repeat(value, product_int(shape)), shape: shape)
}

/// A 1-D tensor holding `data`.
///
/// ```gleam
/// from_list([1.0, 2.0, 3.0]) // -> Tensor(data: [1.0, 2.0, 3.0], shape: [3])
/// ```
pub fn from_list(data: List(Float)) -> Tensor {
  Tensor(data: data, shape: [length(data)])
}

/// A matrix from a list of rows of equal length. `[]` gives shape `[0, 0]`.
///
/// Errors: `InvalidShape` when the rows have different lengths.
///
/// ```gleam
/// from_list2d([[1.0, 2.0], [3.0, 4.0]])
/// // -> Ok(Tensor(data: [1.0, 2.0, 3.0, 4.0], shape: [2, 2]))
/// ```
pub fn from_list2d(rows: List(List(Float))) -> Result(Tensor, TensorError) {
  case rows {
    [] -> Ok(Tensor(data: [], shape: [0, 0]))
    [first, ..] -> {
      let width = length(first)
      case all(rows, fn(row) { length(row) == width }) {
        True -> Ok(Tensor(data: append_all(rows), shape: [length(rows), width]))
        False -> Error(InvalidShape("Rows have different lengths"))
      }
    }
  }
}

/// A 1-D tensor; the same as `from_list`.
///
/// ```gleam
/// vector([1.0, 2.0]) // -> Tensor(data: [1.0, 2.0], shape: [2])
/// ```
pub fn vector(data: List(Float)) -> Tensor {
  from_list(data)
}

/// A `rows` x `cols` matrix from row-major `data`.
///
/// Errors: `InvalidShape` when `data` does not hold `rows * cols` elements.
///
/// ```gleam
/// matrix(2, 2, [1.0, 2.0, 3.0, 4.0])
/// // -> Ok(Tensor(data: [1.0, 2.0, 3.0, 4.0], shape: [2, 2]))
/// ```
pub fn matrix(
  rows: Int,
  cols: Int,
  data: List(Float),
) -> Result(Tensor, TensorError) {
  let wanted = rows * cols
  let got = length(data)
  case wanted == got {
    True -> Ok(Tensor(data: data, shape: [rows, cols]))
    False ->
      Error(InvalidShape(
        "Expected "
        <> int_to_string(wanted)
        <> " elements, got "
        <> int_to_string(got),
      ))
  }
}

// =============================================================================
// PROPERTIES
// =============================================================================

/// The elements in row-major order, for either variant (a strided view is
/// read through its strides).
///
/// ```gleam
/// get_data(from_list([1.0, 2.0])) // -> [1.0, 2.0]
/// ```
pub fn get_data(t: Tensor) -> List(Float) {
  case t {
    Tensor(data, _) -> data
    StridedTensor(storage, shape, strides, offset) ->
      strided_data(storage, shape, strides, offset)
  }
}

/// The number of elements: the data length of a `Tensor`, the product of the
/// shape of a `StridedTensor`.
///
/// ```gleam
/// size(zeros([2, 3])) // -> 6
/// ```
pub fn size(t: Tensor) -> Int {
  case t {
    Tensor(data, _) -> length(data)
    StridedTensor(_, shape, _, _) -> product_int(shape)
  }
}

/// The number of dimensions.
///
/// ```gleam
/// rank(zeros([2, 3])) // -> 2
/// ```
pub fn rank(t: Tensor) -> Int {
  length(t.shape)
}

/// The size of dimension `axis` (from 0).
///
/// Errors: `DimensionError` when `axis` is negative or not below the rank.
///
/// ```gleam
/// dim(zeros([2, 3]), 1) // -> Ok(3)
/// ```
pub fn dim(t: Tensor, axis: Int) -> Result(Int, TensorError) {
  case nth(t.shape, axis) {
    Ok(d) -> Ok(d)
    Error(_) ->
      Error(DimensionError("Axis " <> int_to_string(axis) <> " out of bounds"))
  }
}

/// The first dimension (rows of a matrix), 0 for a rank-0 tensor.
///
/// ```gleam
/// rows(zeros([2, 3])) // -> 2
/// ```
pub fn rows(t: Tensor) -> Int {
  case t.shape {
    [r, ..] -> r
    [] -> 0
  }
}

/// The second dimension (columns of a matrix); the length of a vector; 0 for
/// a rank-0 tensor.
///
/// ```gleam
/// cols(zeros([2, 3])) // -> 3
/// cols(zeros([4])) // -> 4
/// ```
pub fn cols(t: Tensor) -> Int {
  case t.shape {
    [_, c, ..] -> c
    [n] -> n
    [] -> 0
  }
}

// =============================================================================
// ELEMENT ACCESS
// =============================================================================

/// The element at row-major position `index`.
///
/// Errors: `DimensionError` when `index` is outside `0..size(t) - 1` (also
/// on a `StridedTensor`, where 1.2.1 wrapped the index around).
///
/// ```gleam
/// get(from_list([1.0, 2.0, 3.0]), 1) // -> Ok(2.0)
/// ```
pub fn get(t: Tensor, index: Int) -> Result(Float, TensorError) {
  case t {
    Tensor(data, _) ->
      case nth(data, index) {
        Ok(x) -> Ok(x)
        Error(_) -> Error(index_error(index))
      }
    StridedTensor(storage, shape, strides, offset) ->
      case index >= 0 && index < product_int(shape) {
        False -> Error(index_error(index))
        True ->
          case
            array_read(
              storage,
              offset + dot_int(unravel(index, shape), strides, 0),
            )
          {
            Ok(x) -> Ok(x)
            Error(_) -> Error(index_error(index))
          }
      }
  }
}

/// The element at `row`, `col` of a matrix: position `row * cols + col`
/// (like 1.2.1, a column past the end reads into the next row).
///
/// Errors: `DimensionError` when the tensor is not 2-D or the position is
/// outside the data.
///
/// ```gleam
/// let assert Ok(m) = matrix(2, 2, [1.0, 2.0, 3.0, 4.0])
/// get2d(m, 1, 0) // -> Ok(3.0)
/// ```
pub fn get2d(t: Tensor, row: Int, col: Int) -> Result(Float, TensorError) {
  case t.shape {
    [_, width] -> get(t, row * width + col)
    _ -> Error(DimensionError("Tensor is not 2D"))
  }
}

/// Row `row_idx` of a matrix, as a vector.
///
/// Errors: `DimensionError` when the tensor is not 2-D or the row is out of
/// range.
///
/// ```gleam
/// let assert Ok(m) = matrix(2, 2, [1.0, 2.0, 3.0, 4.0])
/// get_row(m, 1) // -> Ok(Tensor(data: [3.0, 4.0], shape: [2]))
/// ```
pub fn get_row(t: Tensor, row_idx: Int) -> Result(Tensor, TensorError) {
  case t.shape {
    [height, width] ->
      case row_idx >= 0 && row_idx < height {
        True -> Ok(from_list(take(drop(get_data(t), row_idx * width), width)))
        False -> Error(DimensionError("Row index out of bounds"))
      }
    _ -> Error(DimensionError("Tensor is not 2D"))
  }
}

/// Column `col_idx` of a matrix, as a vector.
///
/// Errors: `DimensionError` when the tensor is not 2-D or the column is out
/// of range.
///
/// ```gleam
/// let assert Ok(m) = matrix(2, 2, [1.0, 2.0, 3.0, 4.0])
/// get_col(m, 1) // -> Ok(Tensor(data: [2.0, 4.0], shape: [2]))
/// ```
pub fn get_col(t: Tensor, col_idx: Int) -> Result(Tensor, TensorError) {
  case t.shape {
    [height, width] ->
      case col_idx >= 0 && col_idx < width {
        True -> {
          let buffer = to_buffer(get_data(t))
          let column =
            filter_map(count(height), fn(r) {
              buffer_get(buffer, r * width + col_idx)
            })
          Ok(from_list(column))
        }
        False -> Error(DimensionError("Column index out of bounds"))
      }
    _ -> Error(DimensionError("Tensor is not 2D"))
  }
}

// =============================================================================
// ELEMENT-WISE OPERATIONS
// =============================================================================

/// `f` applied to every element; the shape is kept.
///
/// ```gleam
/// map(from_list([1.0, 2.0]), fn(x) { x *. 10.0 })
/// // -> Tensor(data: [10.0, 20.0], shape: [2])
/// ```
pub fn map(t: Tensor, f: fn(Float) -> Float) -> Tensor {
  Tensor(data: map_list(get_data(t), f), shape: t.shape)
}

/// `f(element, row_major_index)` for every element; the shape is kept.
///
/// ```gleam
/// map_indexed(from_list([1.0, 1.0]), fn(x, i) { x +. int_to_float(i) })
/// // -> Tensor(data: [1.0, 2.0], shape: [2])
/// ```
pub fn map_indexed(t: Tensor, f: fn(Float, Int) -> Float) -> Tensor {
  Tensor(data: map_indexed_list(get_data(t), 0, f, []), shape: t.shape)
}

/// Element-wise `a + b`.
///
/// Errors: `ShapeMismatch(expected: a.shape, got: b.shape)` when the shapes
/// differ (see `add_broadcast` for broadcasting).
///
/// ```gleam
/// add(from_list([1.0, 2.0]), from_list([3.0, 4.0]))
/// // -> Ok(Tensor(data: [4.0, 6.0], shape: [2]))
/// ```
pub fn add(a: Tensor, b: Tensor) -> Result(Tensor, TensorError) {
  zip_same_shape(a, b, fn(x, y) { x +. y })
}

/// Element-wise `a - b`.
///
/// Errors: `ShapeMismatch` when the shapes differ.
///
/// ```gleam
/// sub(from_list([5.0, 5.0]), from_list([2.0, 3.0]))
/// // -> Ok(Tensor(data: [3.0, 2.0], shape: [2]))
/// ```
pub fn sub(a: Tensor, b: Tensor) -> Result(Tensor, TensorError) {
  zip_same_shape(a, b, fn(x, y) { x -. y })
}

/// Element-wise (Hadamard) product.
///
/// Errors: `ShapeMismatch` when the shapes differ.
///
/// ```gleam
/// mul(from_list([2.0, 3.0]), from_list([4.0, 5.0]))
/// // -> Ok(Tensor(data: [8.0, 15.0], shape: [2]))
/// ```
pub fn mul(a: Tensor, b: Tensor) -> Result(Tensor, TensorError) {
  zip_same_shape(a, b, fn(x, y) { x *. y })
}

/// Element-wise `a / b` (Gleam float division: `x /. 0.0` is `0.0`).
///
/// Errors: `ShapeMismatch` when the shapes differ.
///
/// ```gleam
/// div(from_list([10.0, 20.0]), from_list([2.0, 4.0]))
/// // -> Ok(Tensor(data: [5.0, 5.0], shape: [2]))
/// ```
pub fn div(a: Tensor, b: Tensor) -> Result(Tensor, TensorError) {
  zip_same_shape(a, b, fn(x, y) { x /. y })
}

/// Every element multiplied by `s`.
///
/// ```gleam
/// scale(from_list([1.0, 2.0]), 3.0) // -> Tensor(data: [3.0, 6.0], shape: [2])
/// ```
pub fn scale(t: Tensor, s: Float) -> Tensor {
  map(t, fn(x) { x *. s })
}

/// `s` added to every element.
///
/// ```gleam
/// add_scalar(from_list([1.0, 2.0]), 0.5)
/// // -> Tensor(data: [1.5, 2.5], shape: [2])
/// ```
pub fn add_scalar(t: Tensor, s: Float) -> Tensor {
  map(t, fn(x) { x +. s })
}

/// Every element negated (multiplied by `-1.0`).
///
/// ```gleam
/// negate(from_list([1.0, -2.0])) // -> Tensor(data: [-1.0, 2.0], shape: [2])
/// ```
pub fn negate(t: Tensor) -> Tensor {
  scale(t, -1.0)
}

// =============================================================================
// REDUCTIONS
// =============================================================================

/// The sum of all elements, left to right from `0.0`.
///
/// ```gleam
/// sum(from_list([1.0, 2.0, 3.0, 4.0])) // -> 10.0
/// ```
pub fn sum(t: Tensor) -> Float {
  sum_list(get_data(t), 0.0)
}

/// The product of all elements (`1.0` for an empty tensor).
///
/// ```gleam
/// product(from_list([2.0, 3.0, 4.0])) // -> 24.0
/// ```
pub fn product(t: Tensor) -> Float {
  product_list(get_data(t), 1.0)
}

/// The arithmetic mean (`0.0` for an empty tensor).
///
/// ```gleam
/// mean(from_list([2.0, 4.0, 6.0, 8.0])) // -> 5.0
/// ```
pub fn mean(t: Tensor) -> Float {
  let n = int_to_float(size(t))
  case n >. 0.0 {
    True -> sum(t) /. n
    False -> 0.0
  }
}

/// The largest element (`0.0` for an empty tensor).
///
/// ```gleam
/// max(from_list([1.0, 5.0, 3.0])) // -> 5.0
/// ```
pub fn max(t: Tensor) -> Float {
  case get_data(t) {
    [] -> 0.0
    [first, ..rest] -> fold_float(rest, first, float_max)
  }
}

/// The smallest element (`0.0` for an empty tensor).
///
/// ```gleam
/// min(from_list([1.0, 5.0, 3.0])) // -> 1.0
/// ```
pub fn min(t: Tensor) -> Float {
  case get_data(t) {
    [] -> 0.0
    [first, ..rest] -> fold_float(rest, first, float_min)
  }
}

/// The row-major index of the largest element; the first one on ties, `0`
/// for an empty tensor.
///
/// ```gleam
/// argmax(from_list([1.0, 5.0, 3.0, 5.0])) // -> 1
/// ```
pub fn argmax(t: Tensor) -> Int {
  case get_data(t) {
    [] -> 0
    [first, ..rest] -> best_index(rest, 1, 0, first, fn(x, best) { x >. best })
  }
}

/// The row-major index of the smallest element; the first one on ties, `0`
/// for an empty tensor.
///
/// ```gleam
/// argmin(from_list([3.0, 1.0, 5.0, 1.0])) // -> 1
/// ```
pub fn argmin(t: Tensor) -> Int {
  case get_data(t) {
    [] -> 0
    [first, ..rest] -> best_index(rest, 1, 0, first, fn(x, best) { x <. best })
  }
}

/// The population variance (divides by n; `0.0` for an empty tensor).
///
/// ```gleam
/// variance(from_list([1.0, 2.0, 3.0, 4.0])) // -> 1.25
/// ```
pub fn variance(t: Tensor) -> Float {
  let m = mean(t)
  let n = int_to_float(size(t))
  case n >. 0.0 {
    True -> sum_squared_diffs(get_data(t), m, 0.0) /. n
    False -> 0.0
  }
}

/// The population standard deviation: `sqrt(variance(t))`.
///
/// ```gleam
/// std(from_list([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])) // -> 2.0
/// ```
pub fn std(t: Tensor) -> Float {
  sqrt(variance(t))
}

/// Sums along dimension `axis_idx`, which disappears from the shape; a
/// vector sums to shape `[1]`.
///
/// Errors: `DimensionError` when `axis_idx` is negative or not below the
/// rank.
///
/// ```gleam
/// let assert Ok(m) = matrix(2, 3, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
/// sum_axis(m, 0) // -> Ok(Tensor(data: [5.0, 7.0, 9.0], shape: [3]))
/// sum_axis(m, 1) // -> Ok(Tensor(data: [6.0, 15.0], shape: [2]))
/// ```
pub fn sum_axis(t: Tensor, axis_idx: Int) -> Result(Tensor, TensorError) {
  case axis_idx >= 0 && axis_idx < rank(t) {
    False -> Error(DimensionError("Invalid axis index"))
    True ->
      case t.shape {
        [_] -> Ok(Tensor(data: [sum(t)], shape: [1]))
        shape ->
          route(
            size(t),
            native_sum_axis_min_work,
            fn() {
              native_ok(
                on_native(t, shape, ops.sum(
                  _,
                  axes: ops.Axes([axis_idx]),
                  keepdims: False,
                )),
              )
            },
            fn() { pure_sum_axis(t, shape, axis_idx) },
          )
      }
  }
}

fn pure_sum_axis(
  t: Tensor,
  shape: List(Int),
  axis_idx: Int,
) -> Result(Tensor, TensorError) {
  let #(before, rest) = split(shape, axis_idx)
  let #(axis_len, after) = case rest {
    [d, ..tail] -> #(d, tail)
    [] -> #(1, [])
  }
  let outer = product_int(before)
  let inner = product_int(after)
  let buffer = to_buffer(get_data(t))
  let data =
    flat_map(count(outer), fn(o) {
      map_list(count(inner), fn(i) {
        sum_strided(buffer, o * axis_len * inner + i, inner, axis_len)
      })
    })
  Ok(Tensor(data: data, shape: append(before, after)))
}

/// The mean along dimension `axis_idx` (the `sum_axis` result scaled by
/// `1 / dim`).
///
/// Errors: `DimensionError` when `axis_idx` is negative or not below the
/// rank.
///
/// ```gleam
/// let assert Ok(m) = matrix(2, 2, [1.0, 2.0, 3.0, 4.0])
/// mean_axis(m, 0) // -> Ok(Tensor(data: [2.0, 3.0], shape: [2]))
/// ```
pub fn mean_axis(t: Tensor, axis_idx: Int) -> Result(Tensor, TensorError) {
  case sum_axis(t, axis_idx) {
    Error(e) -> Error(e)
    Ok(summed) -> {
      let axis_len = case nth(t.shape, axis_idx) {
        Ok(d) -> d
        Error(_) -> 1
      }
      Ok(scale(summed, 1.0 /. int_to_float(axis_len)))
    }
  }
}

// =============================================================================
// MATRIX OPERATIONS
// =============================================================================

/// The dot product of two vectors of equal length.
///
/// Errors: `ShapeMismatch(expected: a.shape, got: b.shape)` when either is
/// not 1-D or the lengths differ.
///
/// ```gleam
/// dot(from_list([1.0, 2.0, 3.0]), from_list([4.0, 5.0, 6.0])) // -> Ok(32.0)
/// ```
pub fn dot(a: Tensor, b: Tensor) -> Result(Float, TensorError) {
  case rank(a) == 1 && rank(b) == 1 && size(a) == size(b) {
    True -> Ok(dot_float(get_data(a), get_data(b), 0.0))
    False -> Error(ShapeMismatch(expected: a.shape, got: b.shape))
  }
}

/// Matrix times vector: `[m, n] @ [n] -> [m]`.
///
/// Errors: `ShapeMismatch(expected: [n], got: [len])` when the vector length
/// is not `n`; `DimensionError` when the arguments are not a matrix and a
/// vector.
///
/// ```gleam
/// let assert Ok(m) = matrix(2, 2, [1.0, 2.0, 3.0, 4.0])
/// matmul_vec(m, from_list([1.0, 1.0]))
/// // -> Ok(Tensor(data: [3.0, 7.0], shape: [2]))
/// ```
pub fn matmul_vec(mat: Tensor, vec: Tensor) -> Result(Tensor, TensorError) {
  case mat.shape, vec.shape {
    [m, n], [len] if n == len ->
      route(
        m * n,
        native_matmul_vec_min_work,
        fn() {
          use nv <- native_try(viva_tensor.from_list(
            get_data(vec),
            shape: [n, 1],
            dtype: viva_tensor.F64,
          ))
          use r <- native_try(on_native(mat, [m, n], ops.matmul(_, nv)))
          Ok(Ok(Tensor(data: get_data(r), shape: [m])))
        },
        fn() {
          let v = get_data(vec)
          let out =
            map_list(chunk_rows(get_data(mat), m, n), fn(row) {
              dot_float(row, v, 0.0)
            })
          Ok(Tensor(data: out, shape: [m]))
        },
      )
    [_, n], [len] -> Error(ShapeMismatch(expected: [n], got: [len]))
    _, _ -> Error(DimensionError("Expected matrix and vector"))
  }
}

/// Matrix product: `[m, n] @ [n, p] -> [m, p]`.
///
/// Errors: `ShapeMismatch(expected: [n, -1], got: [n2, -1])` when the inner
/// dimensions differ; `DimensionError` when either is not 2-D.
///
/// ```gleam
/// let assert Ok(a) = matrix(2, 2, [1.0, 2.0, 3.0, 4.0])
/// let assert Ok(b) = matrix(2, 2, [5.0, 6.0, 7.0, 8.0])
/// matmul(a, b) // -> Ok(Tensor(data: [19.0, 22.0, 43.0, 50.0], shape: [2, 2]))
/// ```
pub fn matmul(a: Tensor, b: Tensor) -> Result(Tensor, TensorError) {
  case a.shape, b.shape {
    [m, n], [n2, p] if n == n2 ->
      route(
        m * n * p,
        native_matmul_min_work,
        fn() { native_ok(native_matmul(a, b)) },
        fn() { pure_matmul(a, b, m, n, p) },
      )
    [_, n], [n2, _] -> Error(ShapeMismatch(expected: [n, -1], got: [n2, -1]))
    _, _ -> Error(DimensionError("Expected two matrices"))
  }
}

/// Multiply-adds (`m * n * p`) from which `matmul` runs natively. Measured
/// on the 2-vCPU reference VM (median of 7, list in, list out): 8x8x8 takes
/// 22 us in pure Gleam and 16 us through the NIF (the list conversions
/// dominate), 12x12x12 67 vs 20 us, 64x64x64 5974 vs 241 us; 4x4x4 is
/// 4 vs 13 us. Below the crossover, and whenever the native library is
/// unavailable or the data does not fill the shape, the pure path runs.
/// `make bench` prints the current figures for this and the other
/// crossovers below.
const native_matmul_min_work = 1000

/// Elements (`m * n`) from which `matmul_vec` runs natively (measured:
/// 16x16 12 vs 17 us pure/native, 32x32 47 vs 40 us, 256x256 5.0 vs
/// 2.7 ms).
const native_matmul_vec_min_work = 1024

/// Output elements from which `outer` runs natively (16x16: 9 vs 15 us;
/// 32x32: 34 vs 25 us; 256x256: 4.7 vs 3.0 ms).
const native_outer_min_work = 1024

/// Elements from which `sum_axis` (and so `mean_axis`) runs natively
/// (16x16: 15 vs 17 us; 32x32: 56 vs 41 us; 256x256: 4.3 vs 2.9 ms).
const native_sum_axis_min_work = 1024

/// Output elements from which `broadcast_to`, `add_broadcast` and
/// `mul_broadcast` run natively (16x16 add_broadcast: 76 vs 23 us;
/// 256x256: 24 vs 6.8 ms). Smaller ones stay pure for VIVA's 3- and
/// 4-element vectors.
const native_broadcast_min_work = 256

// `transpose` and `norm` stay pure at every size: converting the list to
// a native tensor and back costs as much as the pure pass (measured
// transpose 0.7-1.0x, norm 0.4-0.7x pure from 16x16 to 256x256), so there
// is no crossover to route by.

/// `native()` when `work` reaches `crossover` (as `viva_tensor_native_mode`
/// adjusts it) and succeeds; otherwise, or when the native library is not
/// loaded or rejects the data, `pure()`.
fn route(
  work: Int,
  crossover: Int,
  native: fn() -> Result(a, viva_tensor.TensorError),
  pure: fn() -> a,
) -> a {
  case work >= native_min_work(crossover) {
    True ->
      case native() {
        Ok(r) -> r
        Error(_) -> pure()
      }
    False -> pure()
  }
}

@external(erlang, "viva_tensor_native_mode", "min_work")
fn native_min_work(crossover: Int) -> Int

fn native_ok(
  r: Result(Tensor, viva_tensor.TensorError),
) -> Result(Result(Tensor, TensorError), viva_tensor.TensorError) {
  case r {
    Ok(t) -> Ok(Ok(t))
    Error(e) -> Error(e)
  }
}

/// `f` on this tensor as a native f64 tensor of `shape`, the result back as
/// a list-backed tensor.
fn on_native(
  t: Tensor,
  shape: List(Int),
  f: fn(viva_tensor.Tensor) ->
    Result(viva_tensor.Tensor, viva_tensor.TensorError),
) -> Result(Tensor, viva_tensor.TensorError) {
  use n <- native_try(viva_tensor.from_list(
    get_data(t),
    shape: shape,
    dtype: viva_tensor.F64,
  ))
  use r <- native_try(f(n))
  from_native(r)
}

fn native_matmul(
  a: Tensor,
  b: Tensor,
) -> Result(Tensor, viva_tensor.TensorError) {
  use na <- native_try(to_native(a))
  use nb <- native_try(to_native(b))
  use nc <- native_try(ops.matmul(na, nb))
  from_native(nc)
}

fn native_try(
  r: Result(a, viva_tensor.TensorError),
  next: fn(a) -> Result(b, viva_tensor.TensorError),
) -> Result(b, viva_tensor.TensorError) {
  case r {
    Ok(v) -> next(v)
    Error(e) -> Error(e)
  }
}

fn pure_matmul(
  a: Tensor,
  b: Tensor,
  m: Int,
  n: Int,
  p: Int,
) -> Result(Tensor, TensorError) {
  let a_rows = padded_rows(get_data(a), m, n)
  let b_buffer = to_buffer(get_data(b))
  let b_cols =
    map_list(count(p), fn(j) {
      map_list(count(n), fn(k) { buffer_get_or(b_buffer, k * p + j, 0.0) })
    })
  let out =
    flat_map(a_rows, fn(row) {
      map_list(b_cols, fn(col) { dot_float(row, col, 0.0) })
    })
  Ok(Tensor(data: out, shape: [m, p]))
}

/// The transpose of a matrix (a copy; see `transpose_strided` for a view).
///
/// Errors: `DimensionError` when the tensor is not 2-D.
///
/// ```gleam
/// let assert Ok(m) = matrix(2, 3, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
/// transpose(m)
/// // -> Ok(Tensor(data: [1.0, 4.0, 2.0, 5.0, 3.0, 6.0], shape: [3, 2]))
/// ```
pub fn transpose(t: Tensor) -> Result(Tensor, TensorError) {
  case t.shape {
    [m, n] -> {
      let buffer = to_buffer(get_data(t))
      let out =
        flat_map(count(n), fn(j) {
          filter_map(count(m), fn(i) { buffer_get(buffer, i * n + j) })
        })
      Ok(Tensor(data: out, shape: [n, m]))
    }
    _ -> Error(DimensionError("Transpose requires 2D tensor"))
  }
}

/// The outer product of two vectors: `[m], [n] -> [m, n]`.
///
/// Errors: `DimensionError` when either is not 1-D.
///
/// ```gleam
/// outer(from_list([1.0, 2.0]), from_list([3.0, 4.0]))
/// // -> Ok(Tensor(data: [3.0, 4.0, 6.0, 8.0], shape: [2, 2]))
/// ```
pub fn outer(a: Tensor, b: Tensor) -> Result(Tensor, TensorError) {
  case rank(a) == 1 && rank(b) == 1 {
    True ->
      route(
        size(a) * size(b),
        native_outer_min_work,
        fn() {
          use nb <- native_try(to_native(b))
          native_ok(on_native(a, a.shape, ops.outer(_, nb)))
        },
        fn() {
          let bs = get_data(b)
          let out =
            flat_map(get_data(a), fn(x) { map_list(bs, fn(y) { x *. y }) })
          Ok(Tensor(data: out, shape: [size(a), size(b)]))
        },
      )
    False -> Error(DimensionError("Outer product requires two vectors"))
  }
}

// =============================================================================
// CONVERSION AND SHAPE
// =============================================================================

/// The elements as a list (row-major); the same as `get_data`.
///
/// ```gleam
/// to_list(ones([2])) // -> [1.0, 1.0]
/// ```
pub fn to_list(t: Tensor) -> List(Float) {
  get_data(t)
}

/// A matrix as a list of rows.
///
/// Errors: `DimensionError` when the tensor is not 2-D.
///
/// ```gleam
/// let assert Ok(m) = matrix(2, 2, [1.0, 2.0, 3.0, 4.0])
/// to_list2d(m) // -> Ok([[1.0, 2.0], [3.0, 4.0]])
/// ```
pub fn to_list2d(t: Tensor) -> Result(List(List(Float)), TensorError) {
  case t.shape {
    [m, n] -> Ok(chunk_rows(get_data(t), m, n))
    _ -> Error(DimensionError("Tensor is not 2D"))
  }
}

/// A contiguous `Tensor` with the same elements and shape.
///
/// ```gleam
/// clone(from_list([1.0])) // -> Tensor(data: [1.0], shape: [1])
/// ```
pub fn clone(t: Tensor) -> Tensor {
  Tensor(data: get_data(t), shape: t.shape)
}

/// The same elements with `new_shape` (row-major order kept).
///
/// Errors: `InvalidShape` when the element counts differ.
///
/// ```gleam
/// reshape(from_list([1.0, 2.0, 3.0, 4.0]), [2, 2])
/// // -> Ok(Tensor(data: [1.0, 2.0, 3.0, 4.0], shape: [2, 2]))
/// ```
pub fn reshape(t: Tensor, new_shape: List(Int)) -> Result(Tensor, TensorError) {
  let old_size = size(t)
  let new_size = product_int(new_shape)
  case old_size == new_size {
    True -> Ok(Tensor(data: get_data(t), shape: new_shape))
    False ->
      Error(InvalidShape(
        "Cannot reshape: size mismatch ("
        <> int_to_string(old_size)
        <> " vs "
        <> int_to_string(new_size)
        <> ")",
      ))
  }
}

/// The elements as a vector of shape `[size(t)]`.
///
/// ```gleam
/// flatten(zeros([2, 2])) // -> Tensor(data: [0.0, 0.0, 0.0, 0.0], shape: [4])
/// ```
pub fn flatten(t: Tensor) -> Tensor {
  Tensor(data: get_data(t), shape: [size(t)])
}

/// All elements of all tensors, one after the other, as one vector (shapes
/// are ignored: a flattening concatenation).
///
/// ```gleam
/// concat([from_list([1.0]), zeros([2, 1])])
/// // -> Tensor(data: [1.0, 0.0, 0.0], shape: [3])
/// ```
pub fn concat(tensors: List(Tensor)) -> Tensor {
  from_list(flat_map(tensors, get_data))
}

/// Joins tensors along existing dimension `axis` (from 0; no negative axes).
/// A single tensor is returned as it is, whatever `axis`.
///
/// Errors: `InvalidShape` for an empty list or shapes that differ outside
/// `axis`; `DimensionError` when `axis` is out of range.
///
/// ```gleam
/// let assert Ok(a) = matrix(2, 1, [1.0, 2.0])
/// let assert Ok(b) = matrix(2, 1, [3.0, 4.0])
/// concat_axis([a, b], 1)
/// // -> Ok(Tensor(data: [1.0, 3.0, 2.0, 4.0], shape: [2, 2]))
/// ```
pub fn concat_axis(
  tensors: List(Tensor),
  axis: Int,
) -> Result(Tensor, TensorError) {
  case tensors {
    [] -> Error(InvalidShape("Cannot concatenate empty list"))
    [single] -> Ok(single)
    [first, ..rest] -> {
      let base = first.shape
      let r = length(base)
      case axis >= 0 && axis < r {
        False -> Error(DimensionError("Invalid axis for concatenation"))
        True ->
          case all(rest, fn(t) { same_except(base, t.shape, axis, 0) }) {
            False ->
              Error(InvalidShape("Shapes must match except on concat axis"))
            True ->
              case axis {
                0 ->
                  Ok(Tensor(
                    data: flat_map(tensors, get_data),
                    shape: replace_at(base, 0, joined_len(tensors, 0)),
                  ))
                _ -> Ok(join_along(tensors, base, axis))
              }
          }
      }
    }
  }
}

/// Stacks tensors of one shape along a new dimension `axis`; a negative
/// `axis` counts from the end (`-1` appends the new dimension).
///
/// Errors: `InvalidShape` for an empty list; `ShapeMismatch(expected: shape
/// of the first, got: [])` when the shapes differ; `DimensionError` when
/// `axis` is out of range.
///
/// ```gleam
/// stack([from_list([1.0, 2.0]), from_list([3.0, 4.0])], 0)
/// // -> Ok(Tensor(data: [1.0, 2.0, 3.0, 4.0], shape: [2, 2]))
/// stack([from_list([1.0, 2.0]), from_list([3.0, 4.0])], -1)
/// // -> Ok(Tensor(data: [1.0, 3.0, 2.0, 4.0], shape: [2, 2]))
/// ```
pub fn stack(tensors: List(Tensor), axis: Int) -> Result(Tensor, TensorError) {
  case tensors {
    [] -> Error(InvalidShape("Cannot stack empty list"))
    [first, ..rest] -> {
      let base = first.shape
      case all(rest, fn(t) { t.shape == base }) {
        False -> Error(ShapeMismatch(expected: base, got: []))
        True -> {
          let r = length(base)
          let at = case axis < 0 {
            True -> r + axis + 1
            False -> axis
          }
          case at >= 0 && at <= r {
            False -> Error(DimensionError("Invalid axis for stacking"))
            True ->
              concat_axis(map_list(tensors, fn(t) { unsqueeze(t, at) }), at)
          }
        }
      }
    }
  }
}

/// The first `n` entries along the first dimension (all of them when `n` is
/// larger). A rank-0 tensor is returned as it is.
///
/// ```gleam
/// take_first(from_list([1.0, 2.0, 3.0]), 2)
/// // -> Tensor(data: [1.0, 2.0], shape: [2])
/// ```
pub fn take_first(t: Tensor, n: Int) -> Tensor {
  case t.shape {
    [] -> t
    [first_dim, ..rest] -> {
      let keep = int_min(n, first_dim)
      let data = take(get_data(t), keep * product_int(rest))
      Tensor(data: data, shape: [keep, ..rest])
    }
  }
}

/// The last `n` entries along the first dimension (all of them when `n` is
/// larger). A rank-0 tensor is returned as it is.
///
/// ```gleam
/// take_last(from_list([1.0, 2.0, 3.0]), 2)
/// // -> Tensor(data: [2.0, 3.0], shape: [2])
/// ```
pub fn take_last(t: Tensor, n: Int) -> Tensor {
  case t.shape {
    [] -> t
    [first_dim, ..rest] -> {
      let keep = int_min(n, first_dim)
      let data = drop(get_data(t), { first_dim - keep } * product_int(rest))
      Tensor(data: data, shape: [keep, ..rest])
    }
  }
}

/// The block that starts at index `start` and spans `lengths` (one entry
/// per dimension each). The result has shape `lengths`; like 1.2.1, no bounds
/// are checked: a 1-D slice past the end is short, and a multi-dimensional
/// read past the data gives `0.0`.
///
/// Errors: `DimensionError` when `start` or `lengths` does not match the
/// rank.
///
/// ```gleam
/// slice(from_list([1.0, 2.0, 3.0, 4.0]), [1], [2])
/// // -> Ok(Tensor(data: [2.0, 3.0], shape: [2]))
/// ```
pub fn slice(
  t: Tensor,
  start: List(Int),
  lengths: List(Int),
) -> Result(Tensor, TensorError) {
  let r = rank(t)
  case length(start) == r && length(lengths) == r {
    False -> Error(DimensionError("Slice dimensions must match tensor rank"))
    True ->
      case start, lengths {
        [s], [len] ->
          Ok(Tensor(data: take(drop(get_data(t), s), len), shape: [len]))
        _, _ -> {
          let buffer = to_buffer(get_data(t))
          let strides = row_major_strides(t.shape)
          let data =
            map_list(count(product_int(lengths)), fn(flat) {
              let at =
                dot_int(add_ints(unravel(flat, lengths), start), strides, 0)
              // Like gleam's list.drop, a negative position reads the head.
              buffer_get_or(buffer, int_max(at, 0), 0.0)
            })
          Ok(Tensor(data: data, shape: lengths))
        }
      }
  }
}

/// The Euclidean (L2) norm of all elements.
///
/// ```gleam
/// norm(from_list([3.0, 4.0])) // -> 5.0
/// ```
pub fn norm(t: Tensor) -> Float {
  sqrt(sum_squares(get_data(t), 0.0))
}

/// The tensor scaled to unit L2 norm; returned unchanged when its norm is
/// not above `0.0001`.
///
/// ```gleam
/// normalize(from_list([0.0, 2.0])) // -> Tensor(data: [0.0, 1.0], shape: [2])
/// ```
pub fn normalize(t: Tensor) -> Tensor {
  let n = norm(t)
  case n >. 0.0001 {
    True -> scale(t, 1.0 /. n)
    False -> t
  }
}

/// Every element limited to `min_val..max_val` (`min(max(x, min_val),
/// max_val)`).
///
/// ```gleam
/// clamp(from_list([-2.0, 0.5, 3.0]), 0.0, 1.0)
/// // -> Tensor(data: [0.0, 0.5, 1.0], shape: [3])
/// ```
pub fn clamp(t: Tensor, min_val: Float, max_val: Float) -> Tensor {
  map(t, fn(x) { float_min(float_max(x, min_val), max_val) })
}

// =============================================================================
// RANDOM
// =============================================================================

/// A tensor of `shape` with values uniform in `[0, 1)` (from Erlang's `rand`,
/// so seeded per process by `rand:seed/1`).
///
/// ```gleam
/// let r = random_uniform([2, 3])
/// r.shape // -> [2, 3]
/// ```
pub fn random_uniform(shape: List(Int)) -> Tensor {
  Tensor(data: generate(product_int(shape), random_float, []), shape: shape)
}

/// A tensor of `shape` with normal values of mean `mean_val` and standard
/// deviation `std_val` (Box-Muller transform).
///
/// ```gleam
/// let r = random_normal([100], 0.0, 1.0)
/// size(r) // -> 100
/// ```
pub fn random_normal(
  shape: List(Int),
  mean_val: Float,
  std_val: Float,
) -> Tensor {
  let draw = fn() {
    let u1 = float_max(random_float(), 0.0001)
    let u2 = random_float()
    let z = sqrt(-2.0 *. log(u1)) *. cos(2.0 *. 3.14159265359 *. u2)
    mean_val +. z *. std_val
  }
  Tensor(data: generate(product_int(shape), draw, []), shape: shape)
}

/// Xavier/Glorot uniform weights: values uniform in `[-l, l)` with
/// `l = sqrt(6 / (fan_in + fan_out))`, shape `[fan_out, fan_in]` (PyTorch
/// layout: `W @ x` for `x` of length `fan_in`).
///
/// ```gleam
/// let w = xavier_init(128, 64)
/// w.shape // -> [64, 128]
/// ```
pub fn xavier_init(fan_in: Int, fan_out: Int) -> Tensor {
  let limit = sqrt(6.0 /. int_to_float(fan_in + fan_out))
  let draw = fn() { random_float() *. 2.0 *. limit -. limit }
  Tensor(data: generate(fan_in * fan_out, draw, []), shape: [fan_out, fan_in])
}

/// He (Kaiming) normal weights for ReLU layers: mean 0, standard deviation
/// `sqrt(2 / fan_in)`, shape `[fan_out, fan_in]`.
///
/// ```gleam
/// let w = he_init(64, 32)
/// w.shape // -> [32, 64]
/// ```
pub fn he_init(fan_in: Int, fan_out: Int) -> Tensor {
  random_normal([fan_out, fan_in], 0.0, sqrt(2.0 /. int_to_float(fan_in)))
}

// =============================================================================
// BROADCASTING
// =============================================================================

/// Whether two shapes broadcast together (NumPy rule: align on the right;
/// each pair of dimensions is equal or contains a 1).
///
/// ```gleam
/// can_broadcast([2, 3], [3]) // -> True
/// can_broadcast([2, 3], [4]) // -> False
/// ```
pub fn can_broadcast(a: List(Int), b: List(Int)) -> Bool {
  let #(pa, pb) = pad_pair(a, b)
  all(zip(pa, pb), fn(pair) {
    let #(x, y) = pair
    x == y || x == 1 || y == 1
  })
}

/// The shape two shapes broadcast to.
///
/// Errors: `BroadcastError(a, b)` when they do not broadcast.
///
/// ```gleam
/// broadcast_shape([2, 1], [3]) // -> Ok([2, 3])
/// ```
pub fn broadcast_shape(
  a: List(Int),
  b: List(Int),
) -> Result(List(Int), TensorError) {
  case can_broadcast(a, b) {
    False -> Error(BroadcastError(a, b))
    True -> {
      let #(pa, pb) = pad_pair(a, b)
      Ok(
        map_list(zip(pa, pb), fn(pair) {
          let #(x, y) = pair
          int_max(x, y)
        }),
      )
    }
  }
}

/// The tensor repeated to `target_shape`. A tensor already of that shape is
/// returned as it is.
///
/// Compatibility note: like 1.2.1, only `can_broadcast(t.shape,
/// target_shape)` is checked, so a target smaller than the tensor gives a
/// result read through the tensor's own strides rather than an error.
///
/// Errors: `BroadcastError(t.shape, target_shape)` when the shapes do not
/// broadcast.
///
/// ```gleam
/// broadcast_to(from_list([1.0, 2.0]), [2, 2])
/// // -> Ok(Tensor(data: [1.0, 2.0, 1.0, 2.0], shape: [2, 2]))
/// ```
pub fn broadcast_to(
  t: Tensor,
  target_shape: List(Int),
) -> Result(Tensor, TensorError) {
  case can_broadcast(t.shape, target_shape) {
    False -> Error(BroadcastError(t.shape, target_shape))
    True ->
      case t.shape == target_shape {
        True -> Ok(t)
        False -> {
          let pure = fn() {
            Ok(Tensor(
              data: broadcast_data(t, target_shape),
              shape: target_shape,
            ))
          }
          case numpy_broadcastable(t.shape, target_shape) {
            True ->
              route(
                product_int(target_shape),
                native_broadcast_min_work,
                fn() {
                  native_ok(
                    on_native(t, t.shape, viva_tensor.broadcast_to(
                      _,
                      target_shape,
                    )),
                  )
                },
                pure,
              )
            False -> pure()
          }
        }
      }
  }
}

/// Element-wise `a + b` after broadcasting both to a common shape.
///
/// Errors: `BroadcastError` when the shapes do not broadcast.
///
/// ```gleam
/// add_broadcast(zeros([2, 2]), from_list([1.0, 2.0]))
/// // -> Ok(Tensor(data: [1.0, 2.0, 1.0, 2.0], shape: [2, 2]))
/// ```
pub fn add_broadcast(a: Tensor, b: Tensor) -> Result(Tensor, TensorError) {
  broadcast_op(a, b, ops.add, add)
}

/// Element-wise `a * b` after broadcasting both to a common shape.
///
/// Errors: `BroadcastError` when the shapes do not broadcast.
///
/// ```gleam
/// mul_broadcast(ones([2, 2]), from_list([2.0, 3.0]))
/// // -> Ok(Tensor(data: [2.0, 3.0, 2.0, 3.0], shape: [2, 2]))
/// ```
pub fn mul_broadcast(a: Tensor, b: Tensor) -> Result(Tensor, TensorError) {
  broadcast_op(a, b, ops.mul, mul)
}

/// `pure` on both tensors broadcast to their common shape, or `native`
/// (NumPy broadcasting in one native call) from the crossover on.
fn broadcast_op(
  a: Tensor,
  b: Tensor,
  native: fn(viva_tensor.Tensor, viva_tensor.Tensor) ->
    Result(viva_tensor.Tensor, viva_tensor.TensorError),
  pure: fn(Tensor, Tensor) -> Result(Tensor, TensorError),
) -> Result(Tensor, TensorError) {
  case broadcast_shape(a.shape, b.shape) {
    Error(e) -> Error(e)
    Ok(target) ->
      route(
        product_int(target),
        native_broadcast_min_work,
        fn() {
          use nb <- native_try(to_native(b))
          native_ok(on_native(a, a.shape, native(_, nb)))
        },
        fn() {
          case broadcast_both(a, b) {
            Ok(#(x, y)) -> pure(x, y)
            Error(e) -> Error(e)
          }
        },
      )
  }
}

/// Whether NumPy would broadcast `source` to `target`: no more dimensions,
/// and each (right-aligned) equal or 1. `broadcast_to` accepts more (see
/// its compatibility note); those cases stay on the pure path.
fn numpy_broadcastable(source: List(Int), target: List(Int)) -> Bool {
  let diff = length(target) - length(source)
  diff >= 0
  && all(zip(source, drop(target, diff)), fn(pair) {
    pair.0 == pair.1 || pair.0 == 1
  })
}

// =============================================================================
// SHAPE MANIPULATION
// =============================================================================

/// Every dimension of size 1 removed; a tensor of only such dimensions gets
/// shape `[1]`.
///
/// ```gleam
/// squeeze(zeros([1, 3, 1])).shape // -> [3]
/// ```
pub fn squeeze(t: Tensor) -> Tensor {
  let shape = case filter(t.shape, fn(d) { d != 1 }) {
    [] -> [1]
    kept -> kept
  }
  Tensor(data: get_data(t), shape: shape)
}

/// Dimension `axis` removed, which must have size 1.
///
/// Errors: `DimensionError` when `axis` is out of range; `InvalidShape` when
/// that dimension is not 1.
///
/// ```gleam
/// squeeze_axis(zeros([1, 3]), 0) // -> Ok(Tensor(data: [0.0, 0.0, 0.0], shape: [3]))
/// ```
pub fn squeeze_axis(t: Tensor, axis: Int) -> Result(Tensor, TensorError) {
  case nth(t.shape, axis) {
    Error(_) -> Error(DimensionError("Axis out of bounds"))
    Ok(1) -> {
      let #(before, after) = split(t.shape, axis)
      Ok(Tensor(data: get_data(t), shape: append(before, drop(after, 1))))
    }
    Ok(_) -> Error(InvalidShape("Dimension at axis is not 1"))
  }
}

/// A dimension of size 1 inserted before position `axis`; a negative `axis`
/// counts from the end (`-1` appends). Axes past either end clamp to it.
///
/// ```gleam
/// unsqueeze(from_list([1.0, 2.0]), 0).shape // -> [1, 2]
/// unsqueeze(from_list([1.0, 2.0]), -1).shape // -> [2, 1]
/// ```
pub fn unsqueeze(t: Tensor, axis: Int) -> Tensor {
  let at = case axis < 0 {
    True -> length(t.shape) + axis + 1
    False -> axis
  }
  let #(before, after) = split(t.shape, at)
  Tensor(data: get_data(t), shape: append(before, [1, ..after]))
}

/// The same as `unsqueeze`.
///
/// ```gleam
/// expand_dims(from_list([1.0, 2.0]), 1).shape // -> [2, 1]
/// ```
pub fn expand_dims(t: Tensor, axis: Int) -> Tensor {
  unsqueeze(t, axis)
}

// =============================================================================
// STRIDED VIEWS
// =============================================================================

/// The tensor as a `StridedTensor` over an Erlang array with row-major
/// strides (a strided tensor is returned as it is).
///
/// ```gleam
/// let assert Ok(m) = matrix(2, 3, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
/// let s = to_strided(m)
/// s.shape // -> [2, 3]
/// is_contiguous(s) // -> True
/// ```
pub fn to_strided(t: Tensor) -> Tensor {
  case t {
    StridedTensor(..) -> t
    Tensor(data, shape) ->
      StridedTensor(
        storage: array_from_list(data),
        shape: shape,
        strides: row_major_strides(shape),
        offset: 0,
      )
  }
}

/// The tensor as a list-backed `Tensor`, materialising a strided view.
///
/// ```gleam
/// let assert Ok(m) = matrix(2, 2, [1.0, 2.0, 3.0, 4.0])
/// let assert Ok(v) = transpose_strided(m)
/// to_contiguous(v) // -> Tensor(data: [1.0, 3.0, 2.0, 4.0], shape: [2, 2])
/// ```
pub fn to_contiguous(t: Tensor) -> Tensor {
  case t {
    Tensor(..) -> t
    StridedTensor(..) -> Tensor(data: get_data(t), shape: t.shape)
  }
}

/// The transpose of a matrix as a strided view: shape and strides swapped,
/// storage shared (a list-backed matrix is made strided first).
///
/// Errors: `DimensionError` when the tensor is not 2-D.
///
/// ```gleam
/// let assert Ok(m) = matrix(2, 3, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
/// let assert Ok(v) = transpose_strided(m)
/// v.shape // -> [3, 2]
/// to_list(v) // -> [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
/// ```
pub fn transpose_strided(t: Tensor) -> Result(Tensor, TensorError) {
  case t {
    Tensor(_, [_, _]) -> transpose_strided(to_strided(t))
    StridedTensor(storage, [m, n], [s0, s1], offset) ->
      Ok(StridedTensor(
        storage: storage,
        shape: [n, m],
        strides: [s1, s0],
        offset: offset,
      ))
    _ -> Error(DimensionError("Transpose requires 2D tensor"))
  }
}

/// Whether the elements are laid out row-major: always for a `Tensor`; for a
/// `StridedTensor` when its strides are the row-major strides of its shape.
///
/// ```gleam
/// is_contiguous(from_list([1.0])) // -> True
/// ```
pub fn is_contiguous(t: Tensor) -> Bool {
  case t {
    Tensor(..) -> True
    StridedTensor(_, shape, strides, _) -> strides == row_major_strides(shape)
  }
}

/// The same as `get`; on a `StridedTensor` it reads the array directly.
///
/// Errors: `DimensionError` when `index` is out of range.
///
/// ```gleam
/// get_fast(to_strided(from_list([1.0, 2.0])), 1) // -> Ok(2.0)
/// ```
pub fn get_fast(t: Tensor, index: Int) -> Result(Float, TensorError) {
  get(t, index)
}

/// The element at `row`, `col`; on a `StridedTensor` it reads
/// `offset + row * s0 + col * s1` of the storage directly.
///
/// Errors: `DimensionError` when the tensor is not 2-D or the position is
/// outside the data.
///
/// ```gleam
/// let assert Ok(m) = matrix(2, 2, [1.0, 2.0, 3.0, 4.0])
/// let assert Ok(v) = transpose_strided(m)
/// get2d_fast(v, 0, 1) // -> Ok(3.0)
/// ```
pub fn get2d_fast(t: Tensor, row: Int, col: Int) -> Result(Float, TensorError) {
  case t {
    Tensor(..) -> get2d(t, row, col)
    StridedTensor(storage, [_, _], [s0, s1], offset) ->
      case array_read(storage, offset + row * s0 + col * s1) {
        Ok(x) -> Ok(x)
        Error(_) -> Error(DimensionError("Position out of bounds"))
      }
    StridedTensor(..) -> Error(DimensionError("Tensor is not 2D"))
  }
}

// =============================================================================
// NATIVE INTEROP
// =============================================================================

/// This tensor as a native `viva_tensor.Tensor` of dtype `F64` (the same
/// values, exactly), for the NIF-backed API in `viva_tensor` and
/// `viva_tensor/ops`.
///
/// Errors: whatever `viva_tensor.from_list` reports, e.g. `InvalidShape` for
/// a `Tensor` whose data does not fill its shape, or `NativeUnavailable`
/// when the native library is not loaded.
///
/// ```gleam
/// let assert Ok(n) = to_native(from_list([1.0, 2.0]))
/// viva_tensor.shape(n) // -> [2]
/// ```
pub fn to_native(
  t: Tensor,
) -> Result(viva_tensor.Tensor, viva_tensor.TensorError) {
  viva_tensor.from_list(get_data(t), shape: t.shape, dtype: viva_tensor.F64)
}

/// A native `viva_tensor.Tensor` (any dtype) as a list-backed `Tensor` of
/// the same shape; the values widen to BEAM floats exactly.
///
/// Errors: whatever `viva_tensor.to_list` reports, e.g. `Deallocated`.
///
/// ```gleam
/// let assert Ok(n) = viva_tensor.zeros([2], dtype: viva_tensor.F32)
/// from_native(n) // -> Ok(Tensor(data: [0.0, 0.0], shape: [2]))
/// ```
pub fn from_native(
  t: viva_tensor.Tensor,
) -> Result(Tensor, viva_tensor.TensorError) {
  case viva_tensor.to_list(t) {
    Ok(data) -> Ok(Tensor(data: data, shape: viva_tensor.shape(t)))
    Error(e) -> Error(e)
  }
}

// =============================================================================
// INTERNAL: tensor helpers
// =============================================================================

fn index_error(index: Int) -> TensorError {
  DimensionError("Index " <> int_to_string(index) <> " out of bounds")
}

fn zip_same_shape(
  a: Tensor,
  b: Tensor,
  f: fn(Float, Float) -> Float,
) -> Result(Tensor, TensorError) {
  case a.shape == b.shape {
    True ->
      Ok(Tensor(data: zip_with(get_data(a), get_data(b), f), shape: a.shape))
    False -> Error(ShapeMismatch(expected: a.shape, got: b.shape))
  }
}

fn strided_data(
  storage: ErlangArray,
  shape: List(Int),
  strides: List(Int),
  offset: Int,
) -> List(Float) {
  map_list(count(product_int(shape)), fn(flat) {
    case
      array_read(storage, offset + dot_int(unravel(flat, shape), strides, 0))
    {
      Ok(x) -> x
      Error(_) -> 0.0
    }
  })
}

/// Sums `len` buffer elements starting at `at`, `step` apart, from `0.0`.
fn sum_strided(buffer: Buffer, at: Int, step: Int, len: Int) -> Float {
  sum_strided_loop(buffer, at, step, len, 0.0)
}

fn sum_strided_loop(
  buffer: Buffer,
  at: Int,
  step: Int,
  left: Int,
  acc: Float,
) -> Float {
  case left <= 0 {
    True -> acc
    False ->
      sum_strided_loop(
        buffer,
        at + step,
        step,
        left - 1,
        acc +. buffer_get_or(buffer, at, 0.0),
      )
  }
}

/// Splits `data` into `m` rows of `n` (the last ones short if data is).
fn chunk_rows(data: List(Float), m: Int, n: Int) -> List(List(Float)) {
  // One pass: each row is split off the rest (re-walking from the start
  // for every row made a [256, 64] matmul_vec take 24 ms).
  chunk_rows_loop(data, m, n, [])
}

fn chunk_rows_loop(
  data: List(Float),
  left: Int,
  n: Int,
  acc: List(List(Float)),
) -> List(List(Float)) {
  case left <= 0 {
    True -> reverse(acc)
    False -> {
      let #(row, rest) = split(data, n)
      chunk_rows_loop(rest, left - 1, n, [row, ..acc])
    }
  }
}

/// `m` rows of exactly `n` elements, missing ones read as `0.0`.
fn padded_rows(data: List(Float), m: Int, n: Int) -> List(List(Float)) {
  let buffer = to_buffer(data)
  map_list(count(m), fn(i) {
    map_list(count(n), fn(k) { buffer_get_or(buffer, i * n + k, 0.0) })
  })
}

/// Whether two shapes have the same rank and agree outside `axis`.
fn same_except(a: List(Int), b: List(Int), axis: Int, i: Int) -> Bool {
  case a, b {
    [], [] -> True
    [x, ..xs], [y, ..ys] ->
      { i == axis || x == y } && same_except(xs, ys, axis, i + 1)
    _, _ -> False
  }
}

/// Concatenation along `axis` of tensors checked by `concat_axis`: for each
/// index over the dimensions before `axis`, every tensor's block in turn.
fn join_along(tensors: List(Tensor), base: List(Int), axis: Int) -> Tensor {
  let #(before, _) = split(base, axis)
  let inner = product_int(drop(base, axis + 1))
  let outer = product_int(before)
  let parts =
    map_list(tensors, fn(t) {
      let axis_len = case nth(t.shape, axis) {
        Ok(d) -> d
        Error(_) -> 0
      }
      #(to_buffer(get_data(t)), axis_len * inner)
    })
  let data =
    flat_map(count(outer), fn(o) {
      flat_map(parts, fn(part) {
        let #(buffer, block) = part
        map_list(count(block), fn(k) {
          buffer_get_or(buffer, o * block + k, 0.0)
        })
      })
    })
  Tensor(data: data, shape: replace_at(base, axis, joined_len(tensors, axis)))
}

/// The summed length of dimension `axis` over the tensors.
fn joined_len(tensors: List(Tensor), axis: Int) -> Int {
  sum_ints(map_list(tensors, fn(t) { nth_or(t.shape, axis, 0) }))
}

fn broadcast_both(
  a: Tensor,
  b: Tensor,
) -> Result(#(Tensor, Tensor), TensorError) {
  case broadcast_shape(a.shape, b.shape) {
    Error(e) -> Error(e)
    Ok(target) ->
      case broadcast_to(a, target), broadcast_to(b, target) {
        Ok(x), Ok(y) -> Ok(#(x, y))
        Error(e), _ -> Error(e)
        _, Error(e) -> Error(e)
      }
  }
}

/// Reads every target position from the source: dimensions of size 1 (after
/// left-padding the source shape with 1s) read index 0, the others their own
/// index; positions outside the source read `0.0`. Mirrors 1.2.1, including
/// its reading for targets of lower rank.
fn broadcast_data(t: Tensor, target: List(Int)) -> List(Float) {
  let source = t.shape
  let diff = length(target) - length(source)
  let padded = append(repeat(1, diff), source)
  let source_strides = row_major_strides(source)
  let buffer = to_buffer(get_data(t))
  map_list(count(product_int(target)), fn(flat) {
    let picked =
      map_list(zip(unravel(flat, target), padded), fn(pair) {
        case pair.1 == 1 {
          True -> 0
          False -> pair.0
        }
      })
    let at = dot_int(drop(picked, diff), source_strides, 0)
    buffer_get_or(buffer, at, 0.0)
  })
}

/// Both shapes left-padded with 1s to the longer rank.
fn pad_pair(a: List(Int), b: List(Int)) -> #(List(Int), List(Int)) {
  let la = length(a)
  let lb = length(b)
  #(append(repeat(1, lb - la), a), append(repeat(1, la - lb), b))
}

/// Row-major strides of a shape: `[3, 1]` for `[2, 3]`.
fn row_major_strides(shape: List(Int)) -> List(Int) {
  strides_loop(reverse(shape), 1, [])
}

fn strides_loop(rev: List(Int), running: Int, acc: List(Int)) -> List(Int) {
  case rev {
    [] -> acc
    [d, ..rest] -> strides_loop(rest, running * d, [running, ..acc])
  }
}

/// Multi-index of row-major position `flat` in `shape` (each coordinate
/// taken modulo its dimension, as in 1.2.1).
fn unravel(flat: Int, shape: List(Int)) -> List(Int) {
  unravel_loop(reverse(shape), flat, [])
}

fn unravel_loop(rev: List(Int), left: Int, acc: List(Int)) -> List(Int) {
  case rev {
    [] -> acc
    [d, ..rest] -> unravel_loop(rest, left / d, [left % d, ..acc])
  }
}

// =============================================================================
// INTERNAL: list helpers (no gleam_stdlib)
// =============================================================================

fn product_int(xs: List(Int)) -> Int {
  case xs {
    [] -> 1
    [x, ..rest] -> x * product_int(rest)
  }
}

fn sum_ints(xs: List(Int)) -> Int {
  case xs {
    [] -> 0
    [x, ..rest] -> x + sum_ints(rest)
  }
}

/// `n` copies of `x`; none when `n <= 0`.
fn repeat(x: a, n: Int) -> List(a) {
  case n <= 0 {
    True -> []
    False -> duplicate(n, x)
  }
}

/// `[0, 1, ..., n - 1]`; empty when `n <= 0`.
fn count(n: Int) -> List(Int) {
  case n <= 0 {
    True -> []
    False -> seq(0, n - 1)
  }
}

/// `n` values from `draw`, called once each, in call order (so a seeded
/// `rand` gives the same tensor as 1.2.1).
fn generate(n: Int, draw: fn() -> a, acc: List(a)) -> List(a) {
  case n <= 0 {
    True -> reverse(acc)
    False -> generate(n - 1, draw, [draw(), ..acc])
  }
}

/// The element at `i`; `Error(Nil)` when `i` is negative or past the end.
fn nth(xs: List(a), i: Int) -> Result(a, Nil) {
  case xs, i {
    _, i if i < 0 -> Error(Nil)
    [], _ -> Error(Nil)
    [x, ..], 0 -> Ok(x)
    [_, ..rest], _ -> nth(rest, i - 1)
  }
}

fn nth_or(xs: List(Int), i: Int, default: Int) -> Int {
  case nth(xs, i) {
    Ok(x) -> x
    Error(_) -> default
  }
}

/// The first `n` elements (none when `n <= 0`).
fn take(xs: List(a), n: Int) -> List(a) {
  take_loop(xs, n, [])
}

fn take_loop(xs: List(a), n: Int, acc: List(a)) -> List(a) {
  case xs {
    [x, ..rest] if n > 0 -> take_loop(rest, n - 1, [x, ..acc])
    _ -> reverse(acc)
  }
}

/// All but the first `n` elements (all when `n <= 0`).
fn drop(xs: List(a), n: Int) -> List(a) {
  case xs {
    [_, ..rest] if n > 0 -> drop(rest, n - 1)
    _ -> xs
  }
}

/// `#(first n, rest)`, clamping `n` to `0..length`.
fn split(xs: List(a), n: Int) -> #(List(a), List(a)) {
  #(take(xs, n), drop(xs, n))
}

fn replace_at(xs: List(a), i: Int, value: a) -> List(a) {
  case xs {
    [] -> []
    [_, ..rest] if i == 0 -> [value, ..rest]
    [x, ..rest] -> [x, ..replace_at(rest, i - 1, value)]
  }
}

fn all(xs: List(a), keep: fn(a) -> Bool) -> Bool {
  case xs {
    [] -> True
    [x, ..rest] -> keep(x) && all(rest, keep)
  }
}

fn map_list(xs: List(a), f: fn(a) -> b) -> List(b) {
  map_loop(xs, f, [])
}

fn map_loop(xs: List(a), f: fn(a) -> b, acc: List(b)) -> List(b) {
  case xs {
    [] -> reverse(acc)
    [x, ..rest] -> map_loop(rest, f, [f(x), ..acc])
  }
}

fn map_indexed_list(
  xs: List(Float),
  i: Int,
  f: fn(Float, Int) -> Float,
  acc: List(Float),
) -> List(Float) {
  case xs {
    [] -> reverse(acc)
    [x, ..rest] -> map_indexed_list(rest, i + 1, f, [f(x, i), ..acc])
  }
}

fn flat_map(xs: List(a), f: fn(a) -> List(b)) -> List(b) {
  append_all(map_list(xs, f))
}

fn filter(xs: List(a), keep: fn(a) -> Bool) -> List(a) {
  filter_map(xs, fn(x) {
    case keep(x) {
      True -> Ok(x)
      False -> Error(Nil)
    }
  })
}

fn filter_map(xs: List(a), f: fn(a) -> Result(b, e)) -> List(b) {
  filter_map_loop(xs, f, [])
}

fn filter_map_loop(
  xs: List(a),
  f: fn(a) -> Result(b, e),
  acc: List(b),
) -> List(b) {
  case xs {
    [] -> reverse(acc)
    [x, ..rest] ->
      case f(x) {
        Ok(y) -> filter_map_loop(rest, f, [y, ..acc])
        Error(_) -> filter_map_loop(rest, f, acc)
      }
  }
}

/// Pairs up to the shorter list.
fn zip(a: List(a), b: List(b)) -> List(#(a, b)) {
  zip_with(a, b, fn(x, y) { #(x, y) })
}

/// `f` over pairs, up to the shorter list.
fn zip_with(a: List(a), b: List(b), f: fn(a, b) -> c) -> List(c) {
  zip_with_loop(a, b, f, [])
}

fn zip_with_loop(
  a: List(a),
  b: List(b),
  f: fn(a, b) -> c,
  acc: List(c),
) -> List(c) {
  case a, b {
    [x, ..xs], [y, ..ys] -> zip_with_loop(xs, ys, f, [f(x, y), ..acc])
    _, _ -> reverse(acc)
  }
}

fn add_ints(a: List(Int), b: List(Int)) -> List(Int) {
  zip_with(a, b, fn(x, y) { x + y })
}

/// `acc + sum(a_i * b_i)` over the shorter length, left to right.
fn dot_int(a: List(Int), b: List(Int), acc: Int) -> Int {
  case a, b {
    [x, ..xs], [y, ..ys] -> dot_int(xs, ys, acc + x * y)
    _, _ -> acc
  }
}

/// `acc + a_0 * b_0 + a_1 * b_1 + ...` over the shorter length.
fn dot_float(a: List(Float), b: List(Float), acc: Float) -> Float {
  case a, b {
    [x, ..xs], [y, ..ys] -> dot_float(xs, ys, acc +. x *. y)
    _, _ -> acc
  }
}

fn sum_list(xs: List(Float), acc: Float) -> Float {
  case xs {
    [] -> acc
    [x, ..rest] -> sum_list(rest, acc +. x)
  }
}

fn product_list(xs: List(Float), acc: Float) -> Float {
  case xs {
    [] -> acc
    [x, ..rest] -> product_list(rest, acc *. x)
  }
}

fn sum_squares(xs: List(Float), acc: Float) -> Float {
  case xs {
    [] -> acc
    [x, ..rest] -> sum_squares(rest, acc +. x *. x)
  }
}

fn sum_squared_diffs(xs: List(Float), m: Float, acc: Float) -> Float {
  case xs {
    [] -> acc
    [x, ..rest] -> {
      let d = x -. m
      sum_squared_diffs(rest, m, acc +. d *. d)
    }
  }
}

fn fold_float(
  xs: List(Float),
  acc: Float,
  f: fn(Float, Float) -> Float,
) -> Float {
  case xs {
    [] -> acc
    [x, ..rest] -> fold_float(rest, f(acc, x), f)
  }
}

/// Index of the element `better` prefers over all before it (first on ties).
fn best_index(
  xs: List(Float),
  i: Int,
  best_i: Int,
  best: Float,
  better: fn(Float, Float) -> Bool,
) -> Int {
  case xs {
    [] -> best_i
    [x, ..rest] ->
      case better(x, best) {
        True -> best_index(rest, i + 1, i, x, better)
        False -> best_index(rest, i + 1, best_i, best, better)
      }
  }
}

fn float_max(a: Float, b: Float) -> Float {
  case a >. b {
    True -> a
    False -> b
  }
}

fn float_min(a: Float, b: Float) -> Float {
  case a <. b {
    True -> a
    False -> b
  }
}

/// Square root; `0.0` for a negative argument (where `math:sqrt` would
/// raise), e.g. `he_init` with a negative `fan_in`.
fn sqrt(x: Float) -> Float {
  case x <. 0.0 {
    True -> 0.0
    False -> math_sqrt(x)
  }
}

fn int_max(a: Int, b: Int) -> Int {
  case a > b {
    True -> a
    False -> b
  }
}

fn int_min(a: Int, b: Int) -> Int {
  case a < b {
    True -> a
    False -> b
  }
}

// =============================================================================
// INTERNAL: random access buffers
// =============================================================================

/// A list frozen for fast random reads: an Erlang tuple (O(1)) up to the
/// tuple size limit, an Erlang array (O(log n)) beyond it.
type Buffer {
  TupleBuffer(items: Tuple, size: Int)
  ArrayBuffer(items: ErlangArray, size: Int)
}

/// An Erlang tuple of floats.
type Tuple

/// The largest tuple the BEAM builds (2^24 - 1 elements).
const max_tuple_size = 16_777_215

fn to_buffer(xs: List(Float)) -> Buffer {
  let n = length(xs)
  case n <= max_tuple_size {
    True -> TupleBuffer(list_to_tuple(xs), n)
    False -> ArrayBuffer(array_from_list(xs), n)
  }
}

fn buffer_get(buffer: Buffer, i: Int) -> Result(Float, Nil) {
  case i >= 0 && i < buffer.size, buffer {
    False, _ -> Error(Nil)
    True, TupleBuffer(items, _) -> Ok(element(i + 1, items))
    True, ArrayBuffer(items, _) -> Ok(array_get(i, items))
  }
}

fn buffer_get_or(buffer: Buffer, i: Int, default: Float) -> Float {
  case buffer_get(buffer, i) {
    Ok(x) -> x
    Error(_) -> default
  }
}

fn array_read(storage: ErlangArray, i: Int) -> Result(Float, Nil) {
  case i >= 0 && i < array_size(storage) {
    True -> Ok(array_get(i, storage))
    False -> Error(Nil)
  }
}

// =============================================================================
// INTERNAL: Erlang/OTP functions
// =============================================================================

@external(erlang, "erlang", "length")
fn length(xs: List(a)) -> Int

@external(erlang, "lists", "reverse")
fn reverse(xs: List(a)) -> List(a)

@external(erlang, "lists", "append")
fn append_all(xss: List(List(a))) -> List(a)

@external(erlang, "lists", "append")
fn append(a: List(a), b: List(a)) -> List(a)

@external(erlang, "lists", "duplicate")
fn duplicate(n: Int, x: a) -> List(a)

@external(erlang, "lists", "seq")
fn seq(from: Int, to: Int) -> List(Int)

@external(erlang, "erlang", "list_to_tuple")
fn list_to_tuple(xs: List(Float)) -> Tuple

@external(erlang, "erlang", "element")
fn element(i: Int, t: Tuple) -> Float

@external(erlang, "array", "from_list")
fn array_from_list(xs: List(Float)) -> ErlangArray

@external(erlang, "array", "size")
fn array_size(a: ErlangArray) -> Int

@external(erlang, "array", "get")
fn array_get(i: Int, a: ErlangArray) -> Float

@external(erlang, "erlang", "integer_to_binary")
fn int_to_string(i: Int) -> String

@external(erlang, "erlang", "float")
fn int_to_float(i: Int) -> Float

@external(erlang, "math", "sqrt")
fn math_sqrt(x: Float) -> Float

@external(erlang, "math", "log")
fn log(x: Float) -> Float

@external(erlang, "math", "cos")
fn cos(x: Float) -> Float

@external(erlang, "rand", "uniform")
fn random_float() -> Float
