//// Tensor math: element-wise arithmetic with NumPy broadcasting,
//// comparisons and `where`, unary functions and activations, reductions,
//// softmax, matrix products, joins and splits, gathers, top-k and
//// similarity search. The typed face of the Erlang module `vops`.
////
//// Conventions:
//// - Inputs may be any view (transposed, sliced, broadcast); nothing is
////   copied first. Results are new contiguous tensors.
//// - The result has the inputs' dtype; f16 and bf16 compute in f32 and round
////   once. Two-tensor ops need equal dtypes (`InvalidDtype` otherwise:
////   convert with `viva_tensor.as_type`). A `*_scalar` Float takes the
////   tensor's dtype.
//// - Shapes broadcast as in NumPy; `ShapeMismatch(expected, got)` carries
////   the two shapes that do not.
//// - Comparisons give masks of 1.0 / 0.0 in the inputs' dtype.
//// - Axes may be negative (counted from the end); an axis outside the rank
////   is `OutOfBounds`.
//// - There is no integer dtype: indices (argmax, argmin, top_k) come back as
////   an `Indices` record, a shape and a flat row-major `List(Int)`.
//// - NaN and infinities propagate as IEEE 754 says, but `viva_tensor.to_list`
////   returns `Error(NonFinite(_))` for a tensor holding them.
//// - Large work runs on a dirty scheduler, so callers stay responsive.
////
//// ```gleam
//// import viva_tensor.{F32}
//// import viva_tensor/ops.{AllAxes}
////
//// pub fn main() {
////   let assert Ok(x) =
////     viva_tensor.from_list([1.0, 2.0, 3.0, 4.0], shape: [2, 2], dtype: F32)
////   let assert Ok(y) = ops.add_scalar(x, 1.0)
////   let assert Ok([2.0, 3.0, 4.0, 5.0]) = viva_tensor.to_list(y)
////   let assert Ok(total) = ops.sum(y, axes: AllAxes, keepdims: False)
////   let assert Ok([14.0]) = viva_tensor.to_list(total)
//// }
//// ```

import viva_tensor.{type Tensor, type TensorError}

/// Which axes a reduction runs over.
pub type Axes {
  /// Every axis: the result is a rank-0 tensor (rank-`n` of ones with
  /// `keepdims: True`).
  AllAxes
  /// The listed axes (negative counts from the end; no repeats). Note that
  /// `Axes([])` means every axis too, as in the Erlang API.
  Axes(List(Int))
}

/// The norm `norm` computes.
pub type NormOrd {
  /// Sum of absolute values.
  L1
  /// Euclidean: square root of the sum of squares.
  L2
  /// Largest absolute value.
  Inf
}

/// How `similarity_search` scores a query row against a memory row.
pub type Metric {
  /// Cosine similarity, in `[-1, 1]` (0 for a zero row).
  Cosine
  /// Plain inner product.
  Dot
}

/// Integer indices in the shape of the result they describe. There is no
/// integer tensor dtype, so they are a `shape` and the indices in row-major
/// order (`flat` has the product of `shape` elements; `shape` is `[]` and
/// `flat` one index for a rank-0 result). `flat` can be passed to `take`
/// or `index_select`.
pub type Indices {
  Indices(shape: List(Int), flat: List(Int))
}

/// What `top_k` finds: the values, sorted descending along the axis, and
/// their positions along that axis (`indices.shape == shape(values)`).
pub type TopK {
  TopK(values: Tensor, indices: Indices)
}

/// What `similarity_search` finds: an f32 `[Q, K]` tensor of scores, best
/// first per query, and for each of the `Q` queries the `K` memory row
/// numbers they belong to.
pub type Matches {
  Matches(scores: Tensor, indices: List(List(Int)))
}

type Outcome(a) =
  Result(a, TensorError)

@external(erlang, "viva_tensor_gleam_ffi", "call")
fn call(f: fn() -> Outcome(a)) -> Outcome(a)

// ---------------------------------------------------------------------------
// Binary element-wise

/// `a + b` element-wise, with NumPy broadcasting.
///
/// Shapes: `[2, 3] + [3] -> [2, 3]`, `[2, 1] + [1, 3] -> [2, 3]`. Dtype: the
/// inputs' (which must be equal).
///
/// Errors: `ShapeMismatch` when the shapes do not broadcast, `InvalidDtype`
/// when the dtypes differ, `Deallocated`.
///
/// ```gleam
/// let assert Ok(a) = viva_tensor.from_list([1.0, 2.0], shape: [2], dtype: F32)
/// let assert Ok(c) = add(a, a)
/// viva_tensor.to_list(c) // -> Ok([2.0, 4.0])
/// ```
@external(erlang, "vops", "add")
pub fn add(a: Tensor, b: Tensor) -> Result(Tensor, TensorError)

/// `t + value` for every element; the result keeps `t`'s shape and dtype.
///
/// ```gleam
/// let assert Ok(c) = add_scalar(a, 0.5) // [1.0, 2.0] -> [1.5, 2.5]
/// ```
@external(erlang, "vops", "add")
pub fn add_scalar(t: Tensor, value: Float) -> Result(Tensor, TensorError)

/// `a - b` element-wise, broadcasting; shapes, dtype and errors as `add`.
///
/// ```gleam
/// let assert Ok(c) = sub(a, b) // [5.0, 7.0] - [1.0, 2.0] -> [4.0, 5.0]
/// ```
@external(erlang, "vops", "sub")
pub fn sub(a: Tensor, b: Tensor) -> Result(Tensor, TensorError)

/// `t - value` for every element.
///
/// ```gleam
/// let assert Ok(c) = sub_scalar(a, 1.0) // [1.0, 2.0] -> [0.0, 1.0]
/// ```
@external(erlang, "vops", "sub")
pub fn sub_scalar(t: Tensor, value: Float) -> Result(Tensor, TensorError)

/// `a * b` element-wise (not the matrix product: see `matmul`),
/// broadcasting; shapes, dtype and errors as `add`.
///
/// ```gleam
/// let assert Ok(c) = mul(a, b) // [1.0, 2.0] * [3.0, 4.0] -> [3.0, 8.0]
/// ```
@external(erlang, "vops", "mul")
pub fn mul(a: Tensor, b: Tensor) -> Result(Tensor, TensorError)

/// `t * value` for every element.
///
/// ```gleam
/// let assert Ok(c) = mul_scalar(a, 2.0) // [1.0, 2.0] -> [2.0, 4.0]
/// ```
@external(erlang, "vops", "mul")
pub fn mul_scalar(t: Tensor, value: Float) -> Result(Tensor, TensorError)

/// `a / b` element-wise, broadcasting. Division by zero follows IEEE 754
/// (`x / 0` is ±infinity, `0 / 0` is NaN). Shapes, dtype and errors as `add`.
///
/// ```gleam
/// let assert Ok(c) = divide(a, b) // [1.0, 3.0] / [2.0, 4.0] -> [0.5, 0.75]
/// ```
@external(erlang, "vops", "divide")
pub fn divide(a: Tensor, b: Tensor) -> Result(Tensor, TensorError)

/// `t / value` for every element.
///
/// ```gleam
/// let assert Ok(c) = divide_scalar(a, 2.0) // [1.0, 3.0] -> [0.5, 1.5]
/// ```
@external(erlang, "vops", "divide")
pub fn divide_scalar(t: Tensor, value: Float) -> Result(Tensor, TensorError)

/// `a ^ b` element-wise, broadcasting (a negative base with a fractional
/// exponent gives NaN). Shapes, dtype and errors as `add`.
///
/// ```gleam
/// let assert Ok(c) = pow(a, b) // [2.0, 3.0] ^ [3.0, 2.0] -> [8.0, 9.0]
/// ```
@external(erlang, "vops", "pow")
pub fn pow(a: Tensor, b: Tensor) -> Result(Tensor, TensorError)

/// `t ^ value` for every element.
///
/// ```gleam
/// let assert Ok(c) = pow_scalar(a, 2.0) // [2.0, 3.0] -> [4.0, 9.0]
/// ```
@external(erlang, "vops", "pow")
pub fn pow_scalar(t: Tensor, value: Float) -> Result(Tensor, TensorError)

/// The larger of `a` and `b` element-wise (NaN if either is NaN),
/// broadcasting; shapes, dtype and errors as `add`.
///
/// ```gleam
/// let assert Ok(c) = maximum(a, b) // [1.0, 5.0], [3.0, 2.0] -> [3.0, 5.0]
/// ```
@external(erlang, "vops", "maximum")
pub fn maximum(a: Tensor, b: Tensor) -> Result(Tensor, TensorError)

/// `max(x, value)` for every element.
///
/// ```gleam
/// let assert Ok(c) = maximum_scalar(a, 0.0) // [-1.0, 2.0] -> [0.0, 2.0]
/// ```
@external(erlang, "vops", "maximum")
pub fn maximum_scalar(t: Tensor, value: Float) -> Result(Tensor, TensorError)

/// The smaller of `a` and `b` element-wise (NaN if either is NaN),
/// broadcasting; shapes, dtype and errors as `add`.
///
/// ```gleam
/// let assert Ok(c) = minimum(a, b) // [1.0, 5.0], [3.0, 2.0] -> [1.0, 2.0]
/// ```
@external(erlang, "vops", "minimum")
pub fn minimum(a: Tensor, b: Tensor) -> Result(Tensor, TensorError)

/// `min(x, value)` for every element.
///
/// ```gleam
/// let assert Ok(c) = minimum_scalar(a, 1.0) // [-1.0, 2.0] -> [-1.0, 1.0]
/// ```
@external(erlang, "vops", "minimum")
pub fn minimum_scalar(t: Tensor, value: Float) -> Result(Tensor, TensorError)

// ---------------------------------------------------------------------------
// Comparisons and selection

/// Mask of `a == b`: 1.0 where equal, else 0.0, in the inputs' dtype,
/// broadcasting. Shapes and errors as `add`.
///
/// ```gleam
/// let assert Ok(m) = eq(a, b) // [1.0, 2.0], [1.0, 3.0] -> [1.0, 0.0]
/// ```
@external(erlang, "vops", "eq")
pub fn eq(a: Tensor, b: Tensor) -> Result(Tensor, TensorError)

/// Mask of `x == value`.
///
/// ```gleam
/// let assert Ok(m) = eq_scalar(a, 2.0) // [1.0, 2.0] -> [0.0, 1.0]
/// ```
@external(erlang, "vops", "eq")
pub fn eq_scalar(t: Tensor, value: Float) -> Result(Tensor, TensorError)

/// Mask of `a != b` (1.0 where either is NaN); as `eq`.
///
/// ```gleam
/// let assert Ok(m) = ne(a, b) // [1.0, 2.0], [1.0, 3.0] -> [0.0, 1.0]
/// ```
@external(erlang, "vops", "ne")
pub fn ne(a: Tensor, b: Tensor) -> Result(Tensor, TensorError)

/// Mask of `x != value`.
///
/// ```gleam
/// let assert Ok(m) = ne_scalar(a, 2.0) // [1.0, 2.0] -> [1.0, 0.0]
/// ```
@external(erlang, "vops", "ne")
pub fn ne_scalar(t: Tensor, value: Float) -> Result(Tensor, TensorError)

/// Mask of `a < b`; as `eq`.
///
/// ```gleam
/// let assert Ok(m) = lt(a, b) // [1.0, 3.0], [2.0, 2.0] -> [1.0, 0.0]
/// ```
@external(erlang, "vops", "lt")
pub fn lt(a: Tensor, b: Tensor) -> Result(Tensor, TensorError)

/// Mask of `x < value`.
///
/// ```gleam
/// let assert Ok(m) = lt_scalar(a, 2.0) // [1.0, 2.0] -> [1.0, 0.0]
/// ```
@external(erlang, "vops", "lt")
pub fn lt_scalar(t: Tensor, value: Float) -> Result(Tensor, TensorError)

/// Mask of `a <= b`; as `eq`.
///
/// ```gleam
/// let assert Ok(m) = le(a, b) // [1.0, 3.0], [2.0, 2.0] -> [1.0, 0.0]
/// ```
@external(erlang, "vops", "le")
pub fn le(a: Tensor, b: Tensor) -> Result(Tensor, TensorError)

/// Mask of `x <= value`.
///
/// ```gleam
/// let assert Ok(m) = le_scalar(a, 2.0) // [1.0, 2.0] -> [1.0, 1.0]
/// ```
@external(erlang, "vops", "le")
pub fn le_scalar(t: Tensor, value: Float) -> Result(Tensor, TensorError)

/// Mask of `a > b`; as `eq`.
///
/// ```gleam
/// let assert Ok(m) = gt(a, b) // [1.0, 3.0], [2.0, 2.0] -> [0.0, 1.0]
/// ```
@external(erlang, "vops", "gt")
pub fn gt(a: Tensor, b: Tensor) -> Result(Tensor, TensorError)

/// Mask of `x > value`.
///
/// ```gleam
/// let assert Ok(m) = gt_scalar(a, 0.0) // [-1.0, 2.0] -> [0.0, 1.0]
/// ```
@external(erlang, "vops", "gt")
pub fn gt_scalar(t: Tensor, value: Float) -> Result(Tensor, TensorError)

/// Mask of `a >= b`; as `eq`.
///
/// ```gleam
/// let assert Ok(m) = ge(a, b) // [1.0, 3.0], [2.0, 3.0] -> [0.0, 1.0]
/// ```
@external(erlang, "vops", "ge")
pub fn ge(a: Tensor, b: Tensor) -> Result(Tensor, TensorError)

/// Mask of `x >= value`.
///
/// ```gleam
/// let assert Ok(m) = ge_scalar(a, 2.0) // [1.0, 2.0] -> [0.0, 1.0]
/// ```
@external(erlang, "vops", "ge")
pub fn ge_scalar(t: Tensor, value: Float) -> Result(Tensor, TensorError)

/// `if_true` where `mask` is nonzero (or NaN), else `if_false`. All three
/// broadcast together. `if_true` and `if_false` share a dtype, the result's;
/// the mask may have any dtype.
///
/// Errors: `ShapeMismatch`, `InvalidDtype` when `if_true` and `if_false`
/// differ in dtype.
///
/// ```gleam
/// let assert Ok(m) = gt_scalar(x, 0.0)
/// let assert Ok(zeros) = viva_tensor.zeros([], dtype: F32)
/// let assert Ok(r) = where(m, if_true: x, if_false: zeros) // relu
/// ```
@external(erlang, "vops", "where")
pub fn where(
  mask: Tensor,
  if_true a: Tensor,
  if_false b: Tensor,
) -> Result(Tensor, TensorError)

// ---------------------------------------------------------------------------
// Unary

/// `-x` for every element. Shape and dtype are the input's (as for every
/// unary function below); the only error is `Deallocated`.
///
/// ```gleam
/// let assert Ok(n) = neg(a) // [1.0, -2.0] -> [-1.0, 2.0]
/// ```
@external(erlang, "vops", "neg")
pub fn neg(t: Tensor) -> Result(Tensor, TensorError)

/// `|x|` for every element.
///
/// ```gleam
/// let assert Ok(r) = abs(a) // [1.0, -2.0] -> [1.0, 2.0]
/// ```
@external(erlang, "vops", "abs")
pub fn abs(t: Tensor) -> Result(Tensor, TensorError)

/// `e^x` for every element.
///
/// ```gleam
/// let assert Ok(r) = exp(a) // [0.0] -> [1.0]
/// ```
@external(erlang, "vops", "exp")
pub fn exp(t: Tensor) -> Result(Tensor, TensorError)

/// Natural logarithm (`log(0)` is -infinity, a negative input NaN).
///
/// ```gleam
/// let assert Ok(r) = log(a) // [1.0] -> [0.0]
/// ```
@external(erlang, "vops", "log")
pub fn log(t: Tensor) -> Result(Tensor, TensorError)

/// Square root (a negative input gives NaN).
///
/// ```gleam
/// let assert Ok(r) = sqrt(a) // [4.0, 9.0] -> [2.0, 3.0]
/// ```
@external(erlang, "vops", "sqrt")
pub fn sqrt(t: Tensor) -> Result(Tensor, TensorError)

/// `1 / sqrt(x)`.
///
/// ```gleam
/// let assert Ok(r) = rsqrt(a) // [4.0] -> [0.5]
/// ```
@external(erlang, "vops", "rsqrt")
pub fn rsqrt(t: Tensor) -> Result(Tensor, TensorError)

/// `x * x`.
///
/// ```gleam
/// let assert Ok(r) = square(a) // [-3.0] -> [9.0]
/// ```
@external(erlang, "vops", "square")
pub fn square(t: Tensor) -> Result(Tensor, TensorError)

/// Hyperbolic tangent.
///
/// ```gleam
/// let assert Ok(r) = tanh(a) // [0.0] -> [0.0]
/// ```
@external(erlang, "vops", "tanh")
pub fn tanh(t: Tensor) -> Result(Tensor, TensorError)

/// Logistic function `1 / (1 + e^-x)`, stable for large `|x|`.
///
/// ```gleam
/// let assert Ok(r) = sigmoid(a) // [0.0] -> [0.5]
/// ```
@external(erlang, "vops", "sigmoid")
pub fn sigmoid(t: Tensor) -> Result(Tensor, TensorError)

/// `max(x, 0)` (NaN stays NaN).
///
/// ```gleam
/// let assert Ok(r) = relu(a) // [-1.0, 2.0] -> [0.0, 2.0]
/// ```
@external(erlang, "vops", "relu")
pub fn relu(t: Tensor) -> Result(Tensor, TensorError)

/// GELU, tanh approximation:
/// `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))`.
///
/// ```gleam
/// let assert Ok(r) = gelu(a) // [0.0, 1.0] -> [0.0, 0.8412]
/// ```
@external(erlang, "vops", "gelu")
pub fn gelu(t: Tensor) -> Result(Tensor, TensorError)

/// GELU, exact form: `0.5 x (1 + erf(x / sqrt(2)))`.
///
/// ```gleam
/// let assert Ok(r) = gelu_erf(a) // [0.0, 1.0] -> [0.0, 0.8413]
/// ```
@external(erlang, "vops", "gelu_erf")
pub fn gelu_erf(t: Tensor) -> Result(Tensor, TensorError)

/// SiLU (swish): `x * sigmoid(x)`.
///
/// ```gleam
/// let assert Ok(r) = silu(a) // [0.0, 1.0] -> [0.0, 0.7311]
/// ```
@external(erlang, "vops", "silu")
pub fn silu(t: Tensor) -> Result(Tensor, TensorError)

/// Sine (radians).
///
/// ```gleam
/// let assert Ok(r) = sin(a) // [0.0] -> [0.0]
/// ```
@external(erlang, "vops", "sin")
pub fn sin(t: Tensor) -> Result(Tensor, TensorError)

/// Cosine (radians).
///
/// ```gleam
/// let assert Ok(r) = cos(a) // [0.0] -> [1.0]
/// ```
@external(erlang, "vops", "cos")
pub fn cos(t: Tensor) -> Result(Tensor, TensorError)

/// Every element limited to `[min, max]` (NaN stays NaN).
///
/// Errors: `InvalidArgument` when `min > max`.
///
/// ```gleam
/// let assert Ok(r) = clip(a, min: 0.0, max: 1.0) // [-1.0, 0.5, 2.0] -> [0.0, 0.5, 1.0]
/// ```
@external(erlang, "vops", "clip")
pub fn clip(
  t: Tensor,
  min min: Float,
  max max: Float,
) -> Result(Tensor, TensorError)

// ---------------------------------------------------------------------------
// Reductions

@external(erlang, "viva_tensor_ops_ffi", "reduce")
fn reduce(
  op: ReduceOp,
  t: Tensor,
  axes: Axes,
  keepdims: Bool,
) -> Result(Tensor, TensorError)

// The constructors are the Erlang atoms naming the `vops` functions.
type ReduceOp {
  Sum
  Mean
  Prod
  Max
  Min
}

/// Sum over `axes`, accumulated in f64. The reduced axes disappear, or stay
/// as size 1 with `keepdims: True`: `[2, 3]` summed over `Axes([1])` is
/// `[2]` (or `[2, 1]`); over `AllAxes` it is `[]` (or `[1, 1]`). Dtype: the
/// input's.
///
/// Errors: `OutOfBounds` for an axis outside the rank, `InvalidArgument` for
/// a repeated axis.
///
/// ```gleam
/// // [[1, 2, 3], [4, 5, 6]]
/// let assert Ok(s) = sum(m, axes: Axes([1]), keepdims: False)
/// viva_tensor.to_list(s) // -> Ok([6.0, 15.0])
/// ```
pub fn sum(
  t: Tensor,
  axes axes: Axes,
  keepdims keepdims: Bool,
) -> Result(Tensor, TensorError) {
  reduce(Sum, t, axes, keepdims)
}

/// Mean over `axes` (NaN for an empty reduction); shapes and errors as `sum`.
///
/// ```gleam
/// let assert Ok(s) = mean(m, axes: Axes([0]), keepdims: False)
/// viva_tensor.to_list(s) // -> Ok([2.5, 3.5, 4.5])
/// ```
pub fn mean(
  t: Tensor,
  axes axes: Axes,
  keepdims keepdims: Bool,
) -> Result(Tensor, TensorError) {
  reduce(Mean, t, axes, keepdims)
}

/// Product over `axes` (1 for an empty reduction); shapes and errors as `sum`.
///
/// ```gleam
/// let assert Ok(p) = prod(m, axes: AllAxes, keepdims: False)
/// viva_tensor.to_list(p) // -> Ok([720.0])
/// ```
pub fn prod(
  t: Tensor,
  axes axes: Axes,
  keepdims keepdims: Bool,
) -> Result(Tensor, TensorError) {
  reduce(Prod, t, axes, keepdims)
}

/// Largest element over `axes` (NaN if any is NaN); shapes as `sum`.
///
/// Errors: as `sum`, plus `InvalidArgument` for an empty reduction.
///
/// ```gleam
/// let assert Ok(r) = max(m, axes: Axes([-1]), keepdims: True)
/// viva_tensor.shape(r) // -> [2, 1]
/// viva_tensor.to_list(r) // -> Ok([3.0, 6.0])
/// ```
pub fn max(
  t: Tensor,
  axes axes: Axes,
  keepdims keepdims: Bool,
) -> Result(Tensor, TensorError) {
  reduce(Max, t, axes, keepdims)
}

/// Smallest element over `axes` (NaN if any is NaN); shapes and errors as
/// `max`.
///
/// ```gleam
/// let assert Ok(r) = min(m, axes: AllAxes, keepdims: False)
/// viva_tensor.to_list(r) // -> Ok([1.0])
/// ```
pub fn min(
  t: Tensor,
  axes axes: Axes,
  keepdims keepdims: Bool,
) -> Result(Tensor, TensorError) {
  reduce(Min, t, axes, keepdims)
}

@external(erlang, "viva_tensor_ops_ffi", "moment")
fn moment(
  op: MomentOp,
  t: Tensor,
  axes: Axes,
  correction: Float,
  keepdims: Bool,
) -> Result(Tensor, TensorError)

// The constructors are the Erlang atoms naming the `vops` functions.
type MomentOp {
  Var
  Std
}

/// Variance over `axes`: `sum((x - mean)^2) / (n - correction)`. Use
/// `correction: 0.0` for the population variance, `1.0` for the sample
/// variance (NumPy's `ddof`); NaN when `n <= correction`. Shapes as `sum`.
///
/// Errors: as `sum`, plus `InvalidArgument` for a negative correction.
///
/// ```gleam
/// // [1, 2, 3, 4]
/// let assert Ok(v) = var(x, axes: AllAxes, correction: 0.0, keepdims: False)
/// viva_tensor.to_list(v) // -> Ok([1.25])
/// ```
pub fn var(
  t: Tensor,
  axes axes: Axes,
  correction correction: Float,
  keepdims keepdims: Bool,
) -> Result(Tensor, TensorError) {
  moment(Var, t, axes, correction, keepdims)
}

/// Standard deviation over `axes`: the square root of `var`, same
/// arguments, shapes and errors.
///
/// ```gleam
/// // [2, 4, 4, 4, 5, 5, 7, 9]
/// let assert Ok(s) = std(x, axes: AllAxes, correction: 0.0, keepdims: False)
/// viva_tensor.to_list(s) // -> Ok([2.0])
/// ```
pub fn std(
  t: Tensor,
  axes axes: Axes,
  correction correction: Float,
  keepdims keepdims: Bool,
) -> Result(Tensor, TensorError) {
  moment(Std, t, axes, correction, keepdims)
}

@external(erlang, "viva_tensor_ops_ffi", "norm")
fn raw_norm(
  t: Tensor,
  ord: NormOrd,
  axes: Axes,
  keepdims: Bool,
) -> Result(Tensor, TensorError)

/// The `ord` norm of the elements reduced over `axes` (taken together as one
/// vector). Shapes and errors as `sum`.
///
/// ```gleam
/// // [3, -4]
/// let assert Ok(n) = norm(v, ord: L2, axes: AllAxes, keepdims: False)
/// viva_tensor.to_list(n) // -> Ok([5.0])
/// ```
pub fn norm(
  t: Tensor,
  ord ord: NormOrd,
  axes axes: Axes,
  keepdims keepdims: Bool,
) -> Result(Tensor, TensorError) {
  raw_norm(t, ord, axes, keepdims)
}

@external(erlang, "viva_tensor_ops_ffi", "arg_reduce")
fn arg_reduce(
  op: ArgOp,
  t: Tensor,
  axis: Int,
  keepdims: Bool,
) -> Result(Indices, TensorError)

// The constructors are the Erlang atoms naming the `vops` functions.
type ArgOp {
  Argmax
  Argmin
}

/// Position of the largest element along `axis` (the first on ties, the
/// first NaN if any). `Indices.shape` is the input's shape without `axis`
/// (with it as 1 when `keepdims: True`).
///
/// Errors: `OutOfBounds` for a bad axis, `InvalidArgument` when the axis
/// has length 0.
///
/// ```gleam
/// // [[1, 9, 3], [7, 5, 6]]
/// let assert Ok(i) = argmax(m, axis: 1, keepdims: False)
/// i // -> Indices(shape: [2], flat: [1, 0])
/// ```
pub fn argmax(
  t: Tensor,
  axis axis: Int,
  keepdims keepdims: Bool,
) -> Result(Indices, TensorError) {
  arg_reduce(Argmax, t, axis, keepdims)
}

/// Position of the smallest element along `axis`; shapes and errors as
/// `argmax`.
///
/// ```gleam
/// // [[1, 9, 3], [7, 5, 6]]
/// let assert Ok(i) = argmin(m, axis: 0, keepdims: True)
/// i // -> Indices(shape: [1, 3], flat: [0, 1, 0])
/// ```
pub fn argmin(
  t: Tensor,
  axis axis: Int,
  keepdims keepdims: Bool,
) -> Result(Indices, TensorError) {
  arg_reduce(Argmin, t, axis, keepdims)
}

// ---------------------------------------------------------------------------
// Softmax

@external(erlang, "vops", "softmax")
fn raw_softmax(t: Tensor, axis: Int) -> Result(Tensor, TensorError)

/// Softmax along `axis` (`-1` for the last), max-subtracted so large inputs
/// do not overflow. Shape and dtype are the input's.
///
/// Errors: `OutOfBounds` for a bad axis.
///
/// ```gleam
/// // [0, 0]
/// let assert Ok(p) = softmax(x, axis: -1)
/// viva_tensor.to_list(p) // -> Ok([0.5, 0.5])
/// ```
pub fn softmax(t: Tensor, axis axis: Int) -> Result(Tensor, TensorError) {
  call(fn() { raw_softmax(t, axis) })
}

@external(erlang, "vops", "log_softmax")
fn raw_log_softmax(t: Tensor, axis: Int) -> Result(Tensor, TensorError)

/// `x - max - log(sum(exp(x - max)))` along `axis`: the log of `softmax`,
/// finite for large inputs. Shapes and errors as `softmax`.
///
/// ```gleam
/// // [0, 0]
/// let assert Ok(p) = log_softmax(x, axis: 0)
/// viva_tensor.to_list(p) // -> Ok([-0.6931, -0.6931])
/// ```
pub fn log_softmax(t: Tensor, axis axis: Int) -> Result(Tensor, TensorError) {
  call(fn() { raw_log_softmax(t, axis) })
}

// ---------------------------------------------------------------------------
// Linear algebra

/// Matrix product with NumPy's `matmul` rules: `[..., m, k] @ [..., k, n]
/// -> [..., m, n]` with broadcast batch dims; a 1-D left operand is a row
/// vector, a 1-D right operand a column vector (that dim is dropped from
/// the result). Transposed views are used without a copy.
///
/// Errors: `ShapeMismatch` when the inner dims differ or the batches do not
/// broadcast, `InvalidShape` for a rank-0 operand, `InvalidDtype` for mixed
/// dtypes.
///
/// ```gleam
/// // [[1, 2], [3, 4]] @ [[5], [6]]
/// let assert Ok(c) = matmul(a, b)
/// viva_tensor.shape(c) // -> [2, 1]
/// viva_tensor.to_list(c) // -> Ok([17.0, 39.0])
/// ```
@external(erlang, "vops", "matmul")
pub fn matmul(a: Tensor, b: Tensor) -> Result(Tensor, TensorError)

/// Inner product of two 1-D tensors of equal length, as a rank-0 tensor.
///
/// Errors: `InvalidShape` unless both are 1-D, `ShapeMismatch` for
/// different lengths, `InvalidDtype`.
///
/// ```gleam
/// let assert Ok(d) = dot(a, b) // [1, 2, 3] . [4, 5, 6]
/// viva_tensor.to_list(d) // -> Ok([32.0])
/// ```
@external(erlang, "vops", "dot")
pub fn dot(a: Tensor, b: Tensor) -> Result(Tensor, TensorError)

/// Outer product: `[m]` and `[n]` give `[m, n]` with `r[i][j] = a[i] * b[j]`.
///
/// Errors: `InvalidShape` unless both are 1-D, `InvalidDtype`.
///
/// ```gleam
/// let assert Ok(o) = outer(a, b) // [1, 2] x [3, 4, 5]
/// viva_tensor.shape(o) // -> [2, 3]
/// ```
@external(erlang, "vops", "outer")
pub fn outer(a: Tensor, b: Tensor) -> Result(Tensor, TensorError)

// ---------------------------------------------------------------------------
// Joins and splits

@external(erlang, "vops", "concat")
fn raw_concat(tensors: List(Tensor), axis: Int) -> Result(Tensor, TensorError)

/// The tensors joined along an existing `axis`; every other dim must be
/// equal and the dtypes the same. `[2, 3]` and `[1, 3]` on axis 0 give
/// `[3, 3]`.
///
/// Errors: `InvalidArgument` for an empty list, `ShapeMismatch`,
/// `InvalidDtype`, `OutOfBounds` for a bad axis.
///
/// ```gleam
/// let assert Ok(c) = concat([a, b], axis: 0) // [1, 2] ++ [3]
/// viva_tensor.to_list(c) // -> Ok([1.0, 2.0, 3.0])
/// ```
pub fn concat(
  tensors: List(Tensor),
  axis axis: Int,
) -> Result(Tensor, TensorError) {
  call(fn() { raw_concat(tensors, axis) })
}

@external(erlang, "vops", "stack")
fn raw_stack(tensors: List(Tensor), axis: Int) -> Result(Tensor, TensorError)

/// Tensors of one shape joined along a new `axis` (`0..=rank`, or negative):
/// two `[3]` tensors stacked on axis 0 give `[2, 3]`, on axis -1 `[3, 2]`.
/// Errors as `concat`.
///
/// ```gleam
/// let assert Ok(s) = stack([a, b], axis: 0)
/// viva_tensor.shape(s) // -> [2, 3]
/// ```
pub fn stack(
  tensors: List(Tensor),
  axis axis: Int,
) -> Result(Tensor, TensorError) {
  call(fn() { raw_stack(tensors, axis) })
}

@external(erlang, "vops", "split")
fn raw_split(
  t: Tensor,
  sections: Int,
  axis: Int,
) -> Result(List(Tensor), TensorError)

/// `sections` equal parts of `t` cut along `axis`, as views (no copy). The
/// dim must divide evenly: `[6, 2]` in 3 sections on axis 0 gives three
/// `[2, 2]` views.
///
/// Errors: `InvalidArgument` when `sections` is not positive or does not
/// divide the dim, `OutOfBounds` for a bad axis.
///
/// ```gleam
/// let assert Ok([a, b, c]) = split(t, sections: 3, axis: 0)
/// ```
pub fn split(
  t: Tensor,
  sections sections: Int,
  axis axis: Int,
) -> Result(List(Tensor), TensorError) {
  call(fn() { raw_split(t, sections, axis) })
}

@external(erlang, "vops", "split")
fn raw_split_sizes(
  t: Tensor,
  sizes: List(Int),
  axis: Int,
) -> Result(List(Tensor), TensorError)

/// Parts of `t` along `axis` of the given `sizes` (which must sum to the
/// dim; a size may be 0), as views.
///
/// Errors: `InvalidArgument` when the sizes do not sum to the dim,
/// `InvalidShape` for a negative size, `OutOfBounds` for a bad axis.
///
/// ```gleam
/// // t = [1, 2, 3, 4, 5]
/// let assert Ok([head, tail]) = split_sizes(t, sizes: [2, 3], axis: 0)
/// viva_tensor.to_list(tail) // -> Ok([3.0, 4.0, 5.0])
/// ```
pub fn split_sizes(
  t: Tensor,
  sizes sizes: List(Int),
  axis axis: Int,
) -> Result(List(Tensor), TensorError) {
  call(fn() { raw_split_sizes(t, sizes, axis) })
}

// ---------------------------------------------------------------------------
// Gathers and padding

@external(erlang, "vops", "index_select")
fn raw_index_select(
  t: Tensor,
  axis: Int,
  indices: List(Int),
) -> Result(Tensor, TensorError)

/// The slices of `t` at `indices` along `axis` (negative indices count from
/// the end; repeats allowed). The result's `axis` has `length(indices)`
/// entries: an embedding lookup is `index_select(table, axis: 0, indices:
/// ids)`, `[vocab, d] -> [length(ids), d]`.
///
/// Errors: `OutOfBounds` for an index or axis outside the tensor.
///
/// ```gleam
/// // rows 2 and 0 of a [3, 2] matrix
/// let assert Ok(rows) = index_select(m, axis: 0, indices: [2, 0])
/// viva_tensor.shape(rows) // -> [2, 2]
/// ```
pub fn index_select(
  t: Tensor,
  axis axis: Int,
  indices indices: List(Int),
) -> Result(Tensor, TensorError) {
  call(fn() { raw_index_select(t, axis, indices) })
}

@external(erlang, "vops", "take")
fn raw_take(t: Tensor, indices: List(Int)) -> Result(Tensor, TensorError)

/// The elements at flat row-major `indices` of `t`, as a 1-D tensor of
/// `length(indices)` elements.
///
/// Errors: `OutOfBounds` for an index outside the tensor (negative indices
/// count from the end).
///
/// ```gleam
/// // [[1, 2], [3, 4]]
/// let assert Ok(e) = take(m, [3, 0])
/// viva_tensor.to_list(e) // -> Ok([4.0, 1.0])
/// ```
pub fn take(t: Tensor, indices: List(Int)) -> Result(Tensor, TensorError) {
  call(fn() { raw_take(t, indices) })
}

@external(erlang, "vops", "pad")
fn raw_pad(
  t: Tensor,
  pads: List(#(Int, Int)),
  value: Float,
) -> Result(Tensor, TensorError)

/// `t` with `#(before, after)` elements of `value` added on each axis (one
/// pair per axis): `[2, 2]` padded with `[#(1, 0), #(0, 2)]` is `[3, 4]`.
///
/// Errors: `InvalidArgument` for a wrong number of pairs or a negative
/// width.
///
/// ```gleam
/// // [1, 2]
/// let assert Ok(p) = pad(v, [#(1, 2)], value: 0.0)
/// viva_tensor.to_list(p) // -> Ok([0.0, 1.0, 2.0, 0.0, 0.0])
/// ```
pub fn pad(
  t: Tensor,
  pads: List(#(Int, Int)),
  value value: Float,
) -> Result(Tensor, TensorError) {
  call(fn() { raw_pad(t, pads, value) })
}

// ---------------------------------------------------------------------------
// Search

@external(erlang, "viva_tensor_ops_ffi", "top_k")
fn raw_top_k(t: Tensor, k: Int, axis: Int) -> Result(TopK, TensorError)

/// The `k` largest values along `axis`, sorted descending (ties: the lower
/// index first; NaN ranks first), and their positions along `axis`. Both
/// have `t`'s shape with `axis` of length `k`.
///
/// Errors: `OutOfBounds` for a bad axis, `InvalidArgument` when `k` exceeds
/// the dim.
///
/// ```gleam
/// // [1, 5, 3, 4]
/// let assert Ok(TopK(values, indices)) = top_k(v, k: 2, axis: -1)
/// viva_tensor.to_list(values) // -> Ok([5.0, 4.0])
/// indices // -> Indices(shape: [2], flat: [1, 3])
/// ```
pub fn top_k(t: Tensor, k k: Int, axis axis: Int) -> Result(TopK, TensorError) {
  raw_top_k(t, k, axis)
}

@external(erlang, "viva_tensor_ops_ffi", "similarity_search")
fn raw_similarity_search(
  queries: Tensor,
  memory: Tensor,
  k: Int,
  metric: Metric,
) -> Result(Matches, TensorError)

/// For each row of `queries` (`[q, d]`), the `k` most similar rows of
/// `memory` (`[n, d]`) by `metric`, best first. `scores` is an f32 `[q, k]`
/// tensor; `indices` holds `q` lists of `k` memory row numbers. The
/// `[q, n]` score matrix is never built (memory is scanned in blocks, in
/// parallel).
///
/// Errors: `InvalidShape` unless both are 2-D, `ShapeMismatch` when `d`
/// differs, `InvalidDtype` for mixed dtypes, `InvalidArgument` when
/// `k > n`.
///
/// ```gleam
/// // memory rows [1, 0], [0, 1], [1, 1]; one query [1, 0.1]
/// let assert Ok(Matches(scores, indices)) =
///   similarity_search(query, memory, k: 2, metric: Cosine)
/// indices // -> [[0, 2]]
/// ```
pub fn similarity_search(
  queries: Tensor,
  memory: Tensor,
  k k: Int,
  metric metric: Metric,
) -> Result(Matches, TensorError) {
  raw_similarity_search(queries, memory, k, metric)
}
