//// Gleam tests for `viva_tensor/ops`, run by `gleam test` on EUnit (the
//// runner in viva_tensor_test.gleam lists this module).

import viva_tensor.{
  type Tensor, Deallocated, F16, F32, F64, InvalidArgument, InvalidDtype,
  InvalidShape, OutOfBounds, ShapeMismatch,
}
import viva_tensor/ops.{
  AllAxes, Axes, Cosine, Dot, Indices, Inf, L1, L2, Matches, TopK,
}

// ---------------------------------------------------------------------------
// Helpers (no gleam_stdlib: zero hex dependencies)

fn vec(values: List(Float)) -> Tensor {
  let assert Ok(t) =
    viva_tensor.from_list(values, shape: [len(values, 0)], dtype: F32)
  t
}

fn mat(rows: List(List(Float))) -> Tensor {
  let assert Ok(t) = viva_tensor.from_rows(rows, dtype: F32)
  t
}

/// [[1, 2, 3], [4, 5, 6]]
fn m23() -> Tensor {
  mat([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
}

fn len(items: List(a), acc: Int) -> Int {
  case items {
    [] -> acc
    [_, ..rest] -> len(rest, acc + 1)
  }
}

fn values(r: Result(Tensor, viva_tensor.TensorError)) -> List(Float) {
  let assert Ok(t) = r
  let assert Ok(l) = viva_tensor.to_list(t)
  l
}

fn shape_of(r: Result(Tensor, viva_tensor.TensorError)) -> List(Int) {
  let assert Ok(t) = r
  viva_tensor.shape(t)
}

fn abs(x: Float) -> Float {
  case x <. 0.0 {
    True -> 0.0 -. x
    False -> x
  }
}

/// Element-wise `|a - b| <= 1e-4 * max(1, |b|)` and equal lengths.
fn close(a: List(Float), b: List(Float)) -> Bool {
  case a, b {
    [], [] -> True
    [x, ..xs], [y, ..ys] -> {
      let tol = case abs(y) >. 1.0 {
        True -> 1.0e-4 *. abs(y)
        False -> 1.0e-4
      }
      abs(x -. y) <=. tol && close(xs, ys)
    }
    _, _ -> False
  }
}

fn approx(r: Result(Tensor, viva_tensor.TensorError), expected: List(Float)) {
  let got = values(r)
  assert close(got, expected)
}

// ---------------------------------------------------------------------------
// Binary element-wise

pub fn arithmetic_broadcasts_test() {
  let m = m23()
  let row = vec([10.0, 20.0, 30.0])
  assert values(ops.add(m, row)) == [11.0, 22.0, 33.0, 14.0, 25.0, 36.0]
  assert values(ops.sub(row, m)) == [9.0, 18.0, 27.0, 6.0, 15.0, 24.0]
  assert values(ops.mul(m, row)) == [10.0, 40.0, 90.0, 40.0, 100.0, 180.0]
  assert values(ops.divide(m, vec([1.0, 2.0, 4.0])))
    == [1.0, 1.0, 0.75, 4.0, 2.5, 1.5]
  assert values(ops.pow(m, vec([2.0, 1.0, 0.0])))
    == [1.0, 2.0, 1.0, 16.0, 5.0, 1.0]
  let col = mat([[2.5], [4.5]])
  assert shape_of(ops.maximum(m, col)) == [2, 3]
  assert values(ops.maximum(m, col)) == [2.5, 2.5, 3.0, 4.5, 5.0, 6.0]
  assert values(ops.minimum(m, col)) == [1.0, 2.0, 2.5, 4.0, 4.5, 4.5]
}

pub fn scalar_variants_test() {
  let v = vec([-1.0, 2.0, 4.0])
  assert values(ops.add_scalar(v, 0.5)) == [-0.5, 2.5, 4.5]
  assert values(ops.sub_scalar(v, 1.0)) == [-2.0, 1.0, 3.0]
  assert values(ops.mul_scalar(v, 2.0)) == [-2.0, 4.0, 8.0]
  assert values(ops.divide_scalar(v, 4.0)) == [-0.25, 0.5, 1.0]
  assert values(ops.pow_scalar(v, 2.0)) == [1.0, 4.0, 16.0]
  assert values(ops.maximum_scalar(v, 0.0)) == [0.0, 2.0, 4.0]
  assert values(ops.minimum_scalar(v, 3.0)) == [-1.0, 2.0, 3.0]
  // the scalar takes the tensor's dtype
  let assert Ok(h) = viva_tensor.as_type(v, F16)
  let assert Ok(h2) = ops.mul_scalar(h, 3.0)
  assert viva_tensor.dtype(h2) == F16
  assert viva_tensor.to_list(h2) == Ok([-3.0, 6.0, 12.0])
}

pub fn division_by_zero_is_ieee_test() {
  // x / 0 is infinity, which Gleam floats cannot hold: to_list says so
  let assert Ok(inf) = ops.divide_scalar(vec([1.0]), 0.0)
  let assert Error(viva_tensor.NonFinite(_)) = viva_tensor.to_list(inf)
  let assert Ok(m) = ops.ne(inf, inf)
  assert viva_tensor.to_list(m) == Ok([0.0])
}

pub fn comparisons_test() {
  let a = vec([1.0, 2.0, 3.0])
  let b = vec([2.0, 2.0, 2.0])
  assert values(ops.eq(a, b)) == [0.0, 1.0, 0.0]
  assert values(ops.ne(a, b)) == [1.0, 0.0, 1.0]
  assert values(ops.lt(a, b)) == [1.0, 0.0, 0.0]
  assert values(ops.le(a, b)) == [1.0, 1.0, 0.0]
  assert values(ops.gt(a, b)) == [0.0, 0.0, 1.0]
  assert values(ops.ge(a, b)) == [0.0, 1.0, 1.0]
  assert values(ops.eq_scalar(a, 2.0)) == [0.0, 1.0, 0.0]
  assert values(ops.ne_scalar(a, 2.0)) == [1.0, 0.0, 1.0]
  assert values(ops.lt_scalar(a, 2.0)) == [1.0, 0.0, 0.0]
  assert values(ops.le_scalar(a, 2.0)) == [1.0, 1.0, 0.0]
  assert values(ops.gt_scalar(a, 2.0)) == [0.0, 0.0, 1.0]
  assert values(ops.ge_scalar(a, 2.0)) == [0.0, 1.0, 1.0]
  // comparisons broadcast too
  assert shape_of(ops.lt(m23(), mat([[3.0], [3.0]]))) == [2, 3]
}

pub fn where_test() {
  let x = vec([-1.0, 2.0, -3.0])
  let assert Ok(mask) = ops.gt_scalar(x, 0.0)
  let assert Ok(zero) = viva_tensor.zeros([], dtype: F32)
  assert values(ops.where(mask, if_true: x, if_false: zero)) == [0.0, 2.0, 0.0]
  // the mask may have another dtype than the values
  let assert Ok(mask64) = viva_tensor.as_type(mask, F64)
  assert values(ops.where(mask64, if_true: zero, if_false: x))
    == [-1.0, 0.0, -3.0]
  let assert Ok(x64) = viva_tensor.as_type(x, F64)
  let assert Error(InvalidDtype(_)) = ops.where(mask, if_true: x64, if_false: x)
  let assert Error(ShapeMismatch(_, _)) =
    ops.where(vec([1.0, 0.0]), if_true: x, if_false: x)
}

pub fn binary_errors_test() {
  let a = vec([1.0, 2.0, 3.0])
  let b = vec([1.0, 2.0])
  let assert Error(ShapeMismatch(expected: [3], got: [2])) = ops.add(a, b)
  let assert Error(ShapeMismatch(_, _)) = ops.sub(a, b)
  let assert Error(ShapeMismatch(_, _)) = ops.mul(m23(), b)
  let assert Error(ShapeMismatch(_, _)) = ops.eq(a, b)
  let assert Ok(a64) = viva_tensor.as_type(a, F64)
  let assert Error(InvalidDtype(_)) = ops.add(a, a64)
  let assert Error(InvalidDtype(_)) = ops.divide(a, a64)
  let assert Error(InvalidDtype(_)) = ops.maximum(a, a64)
  let assert Error(InvalidDtype(_)) = ops.ge(a, a64)
  let assert Ok(c) = viva_tensor.copy(a)
  viva_tensor.deallocate(c)
  let assert Error(Deallocated) = ops.add(c, a)
  let assert Error(Deallocated) = ops.add_scalar(c, 1.0)
  let assert Error(Deallocated) = ops.exp(c)
}

// ---------------------------------------------------------------------------
// Unary

pub fn unary_test() {
  let v = vec([-2.0, 0.0, 1.0, 4.0])
  assert values(ops.neg(v)) == [2.0, 0.0, -1.0, -4.0]
  assert values(ops.abs(v)) == [2.0, 0.0, 1.0, 4.0]
  assert values(ops.square(v)) == [4.0, 0.0, 1.0, 16.0]
  assert values(ops.relu(v)) == [0.0, 0.0, 1.0, 4.0]
  let p = vec([1.0, 4.0, 16.0])
  assert values(ops.sqrt(p)) == [1.0, 2.0, 4.0]
  assert values(ops.rsqrt(p)) == [1.0, 0.5, 0.25]
  approx(ops.exp(vec([0.0, 1.0])), [1.0, 2.7182817])
  approx(ops.log(vec([1.0, 2.7182817])), [0.0, 1.0])
  approx(ops.tanh(vec([0.0, 1.0])), [0.0, 0.7615942])
  approx(ops.sigmoid(vec([0.0, 2.0, -100.0])), [0.5, 0.8807971, 0.0])
  approx(ops.gelu(vec([0.0, 1.0, -1.0])), [0.0, 0.841192, -0.158808])
  approx(ops.gelu_erf(vec([0.0, 1.0, -1.0])), [0.0, 0.8413447, -0.1586553])
  approx(ops.silu(vec([0.0, 1.0])), [0.0, 0.7310586])
  approx(ops.sin(vec([0.0, 1.5707964])), [0.0, 1.0])
  approx(ops.cos(vec([0.0, 3.1415927])), [1.0, -1.0])
  // shape and dtype are kept
  let assert Ok(m64) = viva_tensor.as_type(m23(), F64)
  let assert Ok(e) = ops.exp(m64)
  assert viva_tensor.shape(e) == [2, 3]
  assert viva_tensor.dtype(e) == F64
}

pub fn clip_test() {
  let v = vec([-1.0, 0.5, 2.0])
  assert values(ops.clip(v, min: 0.0, max: 1.0)) == [0.0, 0.5, 1.0]
  let assert Error(InvalidArgument(_)) = ops.clip(v, min: 1.0, max: 0.0)
}

// ---------------------------------------------------------------------------
// Reductions

pub fn reductions_test() {
  let m = m23()
  assert values(ops.sum(m, axes: AllAxes, keepdims: False)) == [21.0]
  assert shape_of(ops.sum(m, axes: AllAxes, keepdims: False)) == []
  assert shape_of(ops.sum(m, axes: AllAxes, keepdims: True)) == [1, 1]
  assert values(ops.sum(m, axes: Axes([1]), keepdims: False)) == [6.0, 15.0]
  assert shape_of(ops.sum(m, axes: Axes([-1]), keepdims: True)) == [2, 1]
  assert values(ops.sum(m, axes: Axes([0, 1]), keepdims: False)) == [21.0]
  // Axes([]) is every axis, as in the Erlang API
  assert shape_of(ops.sum(m, axes: Axes([]), keepdims: False)) == []
  assert values(ops.mean(m, axes: Axes([0]), keepdims: False))
    == [2.5, 3.5, 4.5]
  assert values(ops.prod(m, axes: AllAxes, keepdims: False)) == [720.0]
  assert values(ops.prod(m, axes: Axes([1]), keepdims: False)) == [6.0, 120.0]
  assert values(ops.max(m, axes: Axes([1]), keepdims: False)) == [3.0, 6.0]
  assert values(ops.max(m, axes: AllAxes, keepdims: False)) == [6.0]
  assert values(ops.min(m, axes: Axes([0]), keepdims: True)) == [1.0, 2.0, 3.0]
  assert shape_of(ops.min(m, axes: Axes([0]), keepdims: True)) == [1, 3]
}

pub fn reduction_errors_test() {
  let m = m23()
  let assert Error(OutOfBounds(_)) =
    ops.sum(m, axes: Axes([2]), keepdims: False)
  let assert Error(OutOfBounds(_)) =
    ops.mean(m, axes: Axes([-3]), keepdims: False)
  let assert Error(InvalidArgument(_)) =
    ops.prod(m, axes: Axes([0, 0]), keepdims: False)
  let assert Ok(empty) = viva_tensor.zeros([0, 3], dtype: F32)
  let assert Error(InvalidArgument(_)) =
    ops.max(empty, axes: Axes([0]), keepdims: False)
  let assert Error(InvalidArgument(_)) =
    ops.min(empty, axes: AllAxes, keepdims: False)
  // empty sums and products have identities
  assert values(ops.sum(empty, axes: Axes([0]), keepdims: False))
    == [0.0, 0.0, 0.0]
  assert values(ops.prod(empty, axes: AllAxes, keepdims: False)) == [1.0]
  // an integer beyond 64 bits is an error value, not a crash
  let assert Error(InvalidArgument(_)) =
    ops.sum(m, axes: Axes([100_000_000_000_000_000_000]), keepdims: False)
}

pub fn var_std_test() {
  let x = vec([1.0, 2.0, 3.0, 4.0])
  assert values(ops.var(x, axes: AllAxes, correction: 0.0, keepdims: False))
    == [1.25]
  approx(ops.var(x, axes: AllAxes, correction: 1.0, keepdims: False), [
    1.6666667,
  ])
  let y = vec([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])
  assert values(ops.std(y, axes: AllAxes, correction: 0.0, keepdims: False))
    == [2.0]
  let m = m23()
  assert values(ops.var(m, axes: Axes([1]), correction: 0.0, keepdims: False))
    |> close([0.6666667, 0.6666667])
  assert shape_of(ops.std(m, axes: Axes([0]), correction: 1.0, keepdims: True))
    == [1, 3]
  assert values(ops.std(m, axes: Axes([0]), correction: 1.0, keepdims: True))
    |> close([2.1213203, 2.1213203, 2.1213203])
  let assert Error(InvalidArgument(_)) =
    ops.var(x, axes: AllAxes, correction: -1.0, keepdims: False)
  let assert Error(OutOfBounds(_)) =
    ops.std(x, axes: Axes([1]), correction: 0.0, keepdims: False)
}

pub fn norm_test() {
  let v = vec([3.0, -4.0])
  assert values(ops.norm(v, ord: L2, axes: AllAxes, keepdims: False)) == [5.0]
  assert values(ops.norm(v, ord: L1, axes: AllAxes, keepdims: False)) == [7.0]
  assert values(ops.norm(v, ord: Inf, axes: AllAxes, keepdims: False)) == [4.0]
  let m = mat([[3.0, 4.0], [-6.0, 8.0]])
  assert values(ops.norm(m, ord: L2, axes: Axes([1]), keepdims: False))
    == [5.0, 10.0]
  assert shape_of(ops.norm(m, ord: L1, axes: Axes([1]), keepdims: True))
    == [2, 1]
  let assert Error(OutOfBounds(_)) =
    ops.norm(m, ord: L2, axes: Axes([3]), keepdims: False)
}

pub fn argmax_argmin_test() {
  let m = mat([[1.0, 9.0, 3.0], [7.0, 5.0, 6.0]])
  assert ops.argmax(m, axis: 1, keepdims: False)
    == Ok(Indices(shape: [2], flat: [1, 0]))
  assert ops.argmax(m, axis: -1, keepdims: True)
    == Ok(Indices(shape: [2, 1], flat: [1, 0]))
  assert ops.argmax(m, axis: 0, keepdims: False)
    == Ok(Indices(shape: [3], flat: [1, 0, 1]))
  assert ops.argmin(m, axis: 0, keepdims: True)
    == Ok(Indices(shape: [1, 3], flat: [0, 1, 0]))
  assert ops.argmin(m, axis: 1, keepdims: False)
    == Ok(Indices(shape: [2], flat: [0, 1]))
  // rank 1 gives a rank-0 result: one index, shape []
  let v = vec([2.0, 8.0, 8.0, 1.0])
  assert ops.argmax(v, axis: 0, keepdims: False)
    == Ok(Indices(shape: [], flat: [1]))
  assert ops.argmin(v, axis: 0, keepdims: True)
    == Ok(Indices(shape: [1], flat: [3]))
  // the indices feed `take`
  let assert Ok(Indices(flat: flat, ..)) =
    ops.argmax(v, axis: 0, keepdims: False)
  assert values(ops.take(v, flat)) == [8.0]
  // a zero-length kept axis: no indices, shape still known
  let assert Ok(empty) = viva_tensor.zeros([0, 3], dtype: F32)
  assert ops.argmax(empty, axis: 1, keepdims: False)
    == Ok(Indices(shape: [0], flat: []))
  let assert Error(InvalidArgument(_)) =
    ops.argmax(empty, axis: 0, keepdims: False)
  let assert Error(OutOfBounds(_)) = ops.argmax(m, axis: 2, keepdims: False)
  let assert Error(OutOfBounds(_)) = ops.argmin(m, axis: -3, keepdims: True)
  let assert Ok(s) = viva_tensor.full([], value: 1.0, dtype: F32)
  let assert Error(OutOfBounds(_)) = ops.argmax(s, axis: 0, keepdims: False)
}

// ---------------------------------------------------------------------------
// Softmax

pub fn softmax_test() {
  assert values(ops.softmax(vec([0.0, 0.0]), axis: -1)) == [0.5, 0.5]
  approx(ops.softmax(vec([1.0, 2.0, 3.0]), axis: 0), [
    0.09003057, 0.24472847, 0.66524096,
  ])
  // large inputs do not overflow
  approx(ops.softmax(vec([1000.0, 1000.0]), axis: 0), [0.5, 0.5])
  let m = mat([[0.0, 0.0], [1.0, 1.0]])
  approx(ops.softmax(m, axis: 0), [0.26894142, 0.26894142, 0.7310586, 0.7310586])
  approx(ops.log_softmax(vec([0.0, 0.0]), axis: 0), [-0.6931472, -0.6931472])
  approx(ops.log_softmax(vec([1000.0, 0.0]), axis: -1), [0.0, -1000.0])
  let assert Error(OutOfBounds(_)) = ops.softmax(m, axis: 2)
  let assert Error(OutOfBounds(_)) = ops.log_softmax(m, axis: -3)
}

// ---------------------------------------------------------------------------
// Linear algebra

pub fn matmul_dot_outer_test() {
  let a = mat([[1.0, 2.0], [3.0, 4.0]])
  let b = mat([[5.0], [6.0]])
  assert shape_of(ops.matmul(a, b)) == [2, 1]
  assert values(ops.matmul(a, b)) == [17.0, 39.0]
  // 1-D right operand: a column vector, dropped from the result
  assert shape_of(ops.matmul(a, vec([5.0, 6.0]))) == [2]
  // transposed views
  let assert Ok(at) = viva_tensor.transpose(a)
  assert values(ops.matmul(at, a)) == [10.0, 14.0, 14.0, 20.0]
  // broadcast batch dims: [2, 2, 2] @ [2, 1]
  let assert Ok(batch) = ops.stack([a, a], axis: 0)
  assert shape_of(ops.matmul(batch, b)) == [2, 2, 1]
  let v = vec([1.0, 2.0, 3.0])
  let w = vec([4.0, 5.0, 6.0])
  assert values(ops.dot(v, w)) == [32.0]
  assert shape_of(ops.dot(v, w)) == []
  assert shape_of(ops.outer(vec([1.0, 2.0]), w)) == [2, 3]
  assert values(ops.outer(vec([1.0, 2.0]), w))
    == [4.0, 5.0, 6.0, 8.0, 10.0, 12.0]
}

pub fn linalg_errors_test() {
  let a = mat([[1.0, 2.0], [3.0, 4.0]])
  let assert Error(ShapeMismatch(_, _)) = ops.matmul(a, m23() |> transpose)
  let assert Ok(s) = viva_tensor.full([], value: 1.0, dtype: F32)
  let assert Error(InvalidShape(_)) = ops.matmul(s, a)
  let assert Ok(a64) = viva_tensor.as_type(a, F64)
  let assert Error(InvalidDtype(_)) = ops.matmul(a, a64)
  let assert Error(InvalidShape(_)) = ops.dot(a, vec([1.0, 2.0]))
  let assert Error(ShapeMismatch(_, _)) =
    ops.dot(vec([1.0, 2.0]), vec([1.0, 2.0, 3.0]))
  let assert Error(InvalidShape(_)) = ops.outer(a, vec([1.0]))
}

fn transpose(t: Tensor) -> Tensor {
  // [2, 3] -> [3, 2] (a view), for a mismatched inner dim: [2, 2] @ [3, 2]
  let assert Ok(tt) = viva_tensor.transpose(t)
  tt
}

// ---------------------------------------------------------------------------
// Joins and splits

pub fn concat_stack_test() {
  let a = mat([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
  let b = mat([[7.0, 8.0, 9.0]])
  assert shape_of(ops.concat([a, b], axis: 0)) == [3, 3]
  assert values(ops.concat([a, b], axis: 0))
    == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
  assert values(ops.concat([a, mat([[0.0], [0.0]])], axis: -1))
    == [1.0, 2.0, 3.0, 0.0, 4.0, 5.0, 6.0, 0.0]
  let v = vec([1.0, 2.0, 3.0])
  let w = vec([4.0, 5.0, 6.0])
  assert shape_of(ops.stack([v, w], axis: 0)) == [2, 3]
  assert shape_of(ops.stack([v, w], axis: -1)) == [3, 2]
  assert values(ops.stack([v, w], axis: 1)) == [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
  let assert Error(InvalidArgument(_)) = ops.concat([], axis: 0)
  let assert Error(InvalidArgument(_)) = ops.stack([], axis: 0)
  let assert Error(ShapeMismatch(_, _)) = ops.concat([a, b], axis: 1)
  let assert Error(ShapeMismatch(_, _)) = ops.stack([v, vec([1.0])], axis: 0)
  let assert Ok(v64) = viva_tensor.as_type(v, F64)
  let assert Error(InvalidDtype(_)) = ops.concat([v, v64], axis: 0)
  let assert Error(InvalidDtype(_)) = ops.stack([v, v64], axis: 0)
  let assert Error(OutOfBounds(_)) = ops.concat([a, b], axis: 2)
  let assert Error(OutOfBounds(_)) = ops.stack([v, w], axis: 3)
}

pub fn split_test() {
  let assert Ok(t) =
    viva_tensor.arange(from: 0.0, to: 6.0, step: 1.0, dtype: F32)
  let assert Ok([a, b, c]) = ops.split(t, sections: 3, axis: 0)
  assert viva_tensor.to_list(a) == Ok([0.0, 1.0])
  assert viva_tensor.to_list(b) == Ok([2.0, 3.0])
  assert viva_tensor.to_list(c) == Ok([4.0, 5.0])
  // the parts are views
  assert viva_tensor.shares_storage(a, t) == Ok(True)
  let m = m23()
  let assert Ok([left, right]) = ops.split_sizes(m, sizes: [1, 2], axis: -1)
  assert viva_tensor.shape(left) == [2, 1]
  assert viva_tensor.to_list(right) == Ok([2.0, 3.0, 5.0, 6.0])
  let assert Ok([head, none, tail]) =
    ops.split_sizes(t, sizes: [4, 0, 2], axis: 0)
  assert viva_tensor.to_list(head) == Ok([0.0, 1.0, 2.0, 3.0])
  assert viva_tensor.shape(none) == [0]
  assert viva_tensor.to_list(tail) == Ok([4.0, 5.0])
  let assert Error(InvalidArgument(_)) = ops.split(t, sections: 4, axis: 0)
  let assert Error(InvalidArgument(_)) = ops.split(t, sections: 0, axis: 0)
  let assert Error(InvalidArgument(_)) = ops.split(t, sections: -1, axis: 0)
  let assert Error(OutOfBounds(_)) = ops.split(t, sections: 2, axis: 1)
  let assert Error(InvalidArgument(_)) =
    ops.split_sizes(t, sizes: [1, 2], axis: 0)
  let assert Error(InvalidShape(_)) =
    ops.split_sizes(t, sizes: [7, -1], axis: 0)
  let assert Error(OutOfBounds(_)) = ops.split_sizes(m, sizes: [2], axis: 2)
}

// ---------------------------------------------------------------------------
// Gathers and padding

pub fn index_select_take_test() {
  let table = mat([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
  assert shape_of(ops.index_select(table, axis: 0, indices: [2, 0, 2]))
    == [3, 2]
  assert values(ops.index_select(table, axis: 0, indices: [2, 0, 2]))
    == [5.0, 6.0, 1.0, 2.0, 5.0, 6.0]
  assert values(ops.index_select(table, axis: 1, indices: [1]))
    == [2.0, 4.0, 6.0]
  assert values(ops.index_select(table, axis: 0, indices: [-1])) == [5.0, 6.0]
  let assert Error(OutOfBounds(_)) =
    ops.index_select(table, axis: 0, indices: [3])
  let assert Error(OutOfBounds(_)) =
    ops.index_select(table, axis: 2, indices: [0])
  assert values(ops.take(table, [5, 0, 3])) == [6.0, 1.0, 4.0]
  assert shape_of(ops.take(table, [5, 0, 3])) == [3]
  assert values(ops.take(table, [-1])) == [6.0]
  let assert Error(OutOfBounds(_)) = ops.take(table, [6])
}

pub fn pad_test() {
  let v = vec([1.0, 2.0])
  assert values(ops.pad(v, [#(1, 2)], value: 0.0)) == [0.0, 1.0, 2.0, 0.0, 0.0]
  let m = mat([[1.0, 2.0], [3.0, 4.0]])
  assert shape_of(ops.pad(m, [#(1, 0), #(0, 2)], value: 9.0)) == [3, 4]
  assert values(ops.pad(m, [#(1, 0), #(0, 1)], value: 9.0))
    == [9.0, 9.0, 9.0, 1.0, 2.0, 9.0, 3.0, 4.0, 9.0]
  let assert Error(InvalidArgument(_)) = ops.pad(v, [#(-1, 0)], value: 0.0)
  let assert Error(InvalidArgument(_)) =
    ops.pad(v, [#(1, 0), #(0, 0)], value: 0.0)
}

// ---------------------------------------------------------------------------
// Search

pub fn top_k_test() {
  let v = vec([1.0, 5.0, 3.0, 4.0])
  let assert Ok(TopK(values: top, indices: idx)) = ops.top_k(v, k: 2, axis: -1)
  assert viva_tensor.to_list(top) == Ok([5.0, 4.0])
  assert idx == Indices(shape: [2], flat: [1, 3])
  let m = mat([[1.0, 9.0, 3.0], [7.0, 5.0, 6.0]])
  let assert Ok(TopK(values: top, indices: idx)) = ops.top_k(m, k: 2, axis: 1)
  assert viva_tensor.to_list(top) == Ok([9.0, 3.0, 7.0, 6.0])
  assert idx == Indices(shape: [2, 2], flat: [1, 2, 0, 2])
  let assert Ok(TopK(values: top, indices: idx)) = ops.top_k(m, k: 1, axis: 0)
  assert viva_tensor.shape(top) == [1, 3]
  assert idx == Indices(shape: [1, 3], flat: [1, 0, 1])
  // ties: the lower index first
  let assert Ok(TopK(indices: ties, ..)) =
    ops.top_k(vec([2.0, 2.0, 2.0]), k: 2, axis: 0)
  assert ties.flat == [0, 1]
  let assert Ok(TopK(values: none, indices: no_idx)) =
    ops.top_k(v, k: 0, axis: 0)
  assert viva_tensor.shape(none) == [0]
  assert no_idx == Indices(shape: [0], flat: [])
  let assert Error(InvalidArgument(_)) = ops.top_k(v, k: 5, axis: 0)
  let assert Error(InvalidArgument(_)) = ops.top_k(v, k: -1, axis: 0)
  let assert Error(OutOfBounds(_)) = ops.top_k(m, k: 1, axis: 2)
  let assert Error(InvalidArgument(_)) =
    ops.top_k(v, k: 100_000_000_000_000_000_000, axis: 0)
}

pub fn similarity_search_test() {
  let memory = mat([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]])
  let queries = mat([[1.0, 0.1], [0.0, 2.0]])
  let assert Ok(Matches(scores: scores, indices: indices)) =
    ops.similarity_search(queries, memory, k: 2, metric: Cosine)
  assert indices == [[0, 2], [1, 2]]
  assert viva_tensor.shape(scores) == [2, 2]
  assert viva_tensor.dtype(scores) == F32
  let assert Ok(s) = viva_tensor.to_list(scores)
  assert close(s, [0.9950372, 0.7739573, 1.0, 0.7071068])
  let assert Ok(Matches(scores: scores, indices: indices)) =
    ops.similarity_search(queries, memory, k: 3, metric: Dot)
  assert indices == [[2, 0, 1], [1, 2, 0]]
  let assert Ok(s) = viva_tensor.to_list(scores)
  assert close(s, [1.1, 1.0, 0.1, 2.0, 2.0, 0.0])
  let assert Error(InvalidArgument(_)) =
    ops.similarity_search(queries, memory, k: 5, metric: Cosine)
  let assert Error(ShapeMismatch(_, _)) =
    ops.similarity_search(m23(), memory, k: 1, metric: Dot)
  let assert Error(InvalidShape(_)) =
    ops.similarity_search(vec([1.0, 0.0]), memory, k: 1, metric: Dot)
  let assert Ok(q64) = viva_tensor.as_type(queries, F64)
  let assert Error(InvalidDtype(_)) =
    ops.similarity_search(q64, memory, k: 1, metric: Cosine)
}

// ---------------------------------------------------------------------------
// Large tensors take the dirty-scheduler path

pub fn large_tensors_test() {
  let assert Ok(big) = viva_tensor.ones([300, 300], dtype: F32)
  let assert Ok(twos) = ops.add(big, big)
  assert values(ops.sum(twos, axes: AllAxes, keepdims: False)) == [180_000.0]
  let assert Ok(scaled) = ops.mul_scalar(big, 0.5)
  assert values(ops.max(scaled, axes: AllAxes, keepdims: False)) == [0.5]
  let assert Ok(p) = ops.matmul(big, big)
  assert values(ops.min(p, axes: AllAxes, keepdims: False)) == [300.0]
  let assert Ok(TopK(indices: idx, ..)) = ops.top_k(big, k: 1, axis: 1)
  assert idx.shape == [300, 1]
}

// ---------------------------------------------------------------------------
// The README's ops example, verbatim

pub fn readme_ops_example_test() {
  let assert Ok(x) =
    viva_tensor.from_list(
      [1.0, -2.0, 3.0, 4.0, 0.0, -6.0],
      shape: [2, 3],
      dtype: F32,
    )
  let assert Ok(bias) =
    viva_tensor.from_list([0.5, 0.5, 0.5], shape: [3], dtype: F32)
  // element-wise ops broadcast; every call returns a Result
  let assert Ok(h) = ops.add(x, bias)
  let assert Ok(r) = ops.relu(h)
  let assert Ok([1.5, 0.0, 3.5, 4.5, 0.5, 0.0]) = viva_tensor.to_list(r)
  // reductions take typed axes; indices come back with their shape
  let assert Ok(s) = ops.sum(r, axes: Axes([1]), keepdims: False)
  let assert Ok([5.0, 5.0]) = viva_tensor.to_list(s)
  let assert Ok(Indices(shape: [2], flat: [2, 0])) =
    ops.argmax(r, axis: 1, keepdims: False)
  // the nearest row of x for each row of r
  let assert Ok(Matches(scores: _, indices: [[0], [1]])) =
    ops.similarity_search(r, x, k: 1, metric: Cosine)
  let assert Error(ShapeMismatch(expected: [2, 3], got: [2])) = ops.add(x, s)
}

// The module documentation's example (src/viva_tensor/ops.gleam)
pub fn module_doc_example_test() {
  let assert Ok(x) =
    viva_tensor.from_list([1.0, 2.0, 3.0, 4.0], shape: [2, 2], dtype: F32)
  let assert Ok(y) = ops.add_scalar(x, 1.0)
  let assert Ok([2.0, 3.0, 4.0, 5.0]) = viva_tensor.to_list(y)
  let assert Ok(total) = ops.sum(y, axes: AllAxes, keepdims: False)
  let assert Ok([14.0]) = viva_tensor.to_list(total)
}

pub fn scalar_overflow_is_ieee_test() {
  // a Float beyond f16's range becomes infinity in that dtype, not an error
  let assert Ok(h) = viva_tensor.as_type(vec([1.0, 2.0]), F16)
  assert values(ops.lt_scalar(h, 1.0e10)) == [1.0, 1.0]
  let assert Ok(inf) = ops.add_scalar(h, 1.0e10)
  let assert Error(viva_tensor.NonFinite(_)) = viva_tensor.to_list(inf)
}
