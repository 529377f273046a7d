//// Tests for `viva_tensor/tensor`, the pure BEAM module source-compatible
//// with viva_tensor 1.2.1 (run on EUnit by the runner in
//// viva_tensor_test.gleam). Expected values are computed by hand or are the
//// ones 1.2.1's own tests expect.

import viva_tensor/tensor.{
  BroadcastError, DimensionError, InvalidShape, ShapeMismatch, StridedTensor,
  Tensor,
}

// ---------------------------------------------------------------------------
// Helpers (no gleam_stdlib)

fn m23() -> tensor.Tensor {
  Tensor(data: [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], shape: [2, 3])
}

fn m22() -> tensor.Tensor {
  Tensor(data: [1.0, 2.0, 3.0, 4.0], shape: [2, 2])
}

fn v(values: List(Float)) -> tensor.Tensor {
  tensor.from_list(values)
}

fn close(a: Float, b: Float, tol: Float) -> Bool {
  let d = a -. b
  d <. tol && d >. 0.0 -. tol
}

fn all_close(a: List(Float), b: List(Float), tol: Float) -> Bool {
  case a, b {
    [], [] -> True
    [x, ..xs], [y, ..ys] -> close(x, y, tol) && all_close(xs, ys, tol)
    _, _ -> False
  }
}

fn all_in(xs: List(Float), lo: Float, hi: Float) -> Bool {
  case xs {
    [] -> True
    [x, ..rest] -> x >=. lo && x <. hi && all_in(rest, lo, hi)
  }
}

fn is_dimension_error(r: Result(a, tensor.TensorError)) -> Bool {
  case r {
    Error(DimensionError(_)) -> True
    _ -> False
  }
}

fn is_invalid_shape(r: Result(a, tensor.TensorError)) -> Bool {
  case r {
    Error(InvalidShape(_)) -> True
    _ -> False
  }
}

// ---------------------------------------------------------------------------
// Constructors

pub fn zeros_ones_fill_test() {
  assert tensor.zeros([2, 3])
    == Tensor(data: [0.0, 0.0, 0.0, 0.0, 0.0, 0.0], shape: [2, 3])
  assert tensor.ones([3]) == Tensor(data: [1.0, 1.0, 1.0], shape: [3])
  assert tensor.fill([2, 2], 5.0)
    == Tensor(data: [5.0, 5.0, 5.0, 5.0], shape: [2, 2])
  // Empty and rank-0 shapes
  assert tensor.zeros([0]) == Tensor(data: [], shape: [0])
  assert tensor.zeros([3, 0]) == Tensor(data: [], shape: [3, 0])
  assert tensor.fill([], 2.0) == Tensor(data: [2.0], shape: [])
}

pub fn from_list_vector_test() {
  assert tensor.from_list([1.0, 2.0, 3.0])
    == Tensor(data: [1.0, 2.0, 3.0], shape: [3])
  assert tensor.from_list([]) == Tensor(data: [], shape: [0])
  assert tensor.vector([1.0, 2.0]) == Tensor(data: [1.0, 2.0], shape: [2])
  assert tensor.rank(tensor.vector([1.0, 2.0])) == 1
}

pub fn from_list2d_test() {
  assert tensor.from_list2d([[1.0, 2.0], [3.0, 4.0]]) == Ok(m22())
  assert tensor.from_list2d([]) == Ok(Tensor(data: [], shape: [0, 0]))
  assert tensor.from_list2d([[1.0, 2.0], [3.0]])
    == Error(InvalidShape("Rows have different lengths"))
}

pub fn matrix_test() {
  assert tensor.matrix(2, 2, [1.0, 2.0, 3.0, 4.0]) == Ok(m22())
  assert tensor.matrix(2, 2, [1.0, 2.0, 3.0])
    == Error(InvalidShape("Expected 4 elements, got 3"))
  assert tensor.matrix(0, 5, []) == Ok(Tensor(data: [], shape: [0, 5]))
}

// ---------------------------------------------------------------------------
// Properties and element access

pub fn properties_test() {
  let t = m23()
  assert tensor.get_data(t) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
  assert tensor.size(t) == 6
  assert tensor.rank(t) == 2
  assert tensor.dim(t, 0) == Ok(2)
  assert tensor.dim(t, 1) == Ok(3)
  assert tensor.dim(t, 2) == Error(DimensionError("Axis 2 out of bounds"))
  assert tensor.dim(t, -1) == Error(DimensionError("Axis -1 out of bounds"))
  assert tensor.rows(t) == 2
  assert tensor.cols(t) == 3
  assert tensor.rows(v([1.0, 2.0])) == 2
  assert tensor.cols(v([1.0, 2.0])) == 2
  assert tensor.rows(Tensor(data: [1.0], shape: [])) == 0
  assert tensor.cols(Tensor(data: [1.0], shape: [])) == 0
  assert tensor.cols(tensor.zeros([2, 3, 4])) == 3
  // size of a list-backed tensor is its data length (as in 1.2.1)
  assert tensor.size(Tensor(data: [1.0], shape: [5])) == 1
}

pub fn get_test() {
  let t = m23()
  assert tensor.get(t, 0) == Ok(1.0)
  assert tensor.get(t, 5) == Ok(6.0)
  assert tensor.get(t, 6) == Error(DimensionError("Index 6 out of bounds"))
  assert tensor.get(t, -1) == Error(DimensionError("Index -1 out of bounds"))
  assert tensor.get2d(t, 1, 2) == Ok(6.0)
  assert tensor.get2d(t, 0, 1) == Ok(2.0)
  // Like 1.2.1: position row * cols + col, so a column past the end wraps
  assert tensor.get2d(t, 0, 3) == Ok(4.0)
  assert is_dimension_error(tensor.get2d(t, 2, 0))
  assert tensor.get2d(v([1.0]), 0, 0)
    == Error(DimensionError("Tensor is not 2D"))
}

pub fn get_row_col_test() {
  let t = m23()
  assert tensor.get_row(t, 1) == Ok(Tensor(data: [4.0, 5.0, 6.0], shape: [3]))
  assert tensor.get_row(t, 2)
    == Error(DimensionError("Row index out of bounds"))
  assert tensor.get_row(t, -1)
    == Error(DimensionError("Row index out of bounds"))
  assert tensor.get_row(v([1.0]), 0)
    == Error(DimensionError("Tensor is not 2D"))
  assert tensor.get_col(t, 2) == Ok(Tensor(data: [3.0, 6.0], shape: [2]))
  assert tensor.get_col(t, 3)
    == Error(DimensionError("Column index out of bounds"))
  assert tensor.get_col(v([1.0]), 0)
    == Error(DimensionError("Tensor is not 2D"))
}

// ---------------------------------------------------------------------------
// Element-wise

pub fn map_test() {
  assert tensor.map(v([1.0, 4.0, 9.0]), fn(x) { x *. x })
    == Tensor(data: [1.0, 16.0, 81.0], shape: [3])
  assert tensor.map_indexed(m22(), fn(x, i) { x *. 10.0 +. int_to_float(i) })
    == Tensor(data: [10.0, 21.0, 32.0, 43.0], shape: [2, 2])
}

pub fn arithmetic_test() {
  let a = v([1.0, 2.0, 3.0])
  let b = v([4.0, 5.0, 6.0])
  assert tensor.add(a, b) == Ok(v([5.0, 7.0, 9.0]))
  assert tensor.sub(v([5.0, 5.0]), v([2.0, 3.0])) == Ok(v([3.0, 2.0]))
  assert tensor.mul(v([2.0, 3.0]), v([4.0, 5.0])) == Ok(v([8.0, 15.0]))
  assert tensor.div(v([10.0, 20.0]), v([2.0, 4.0])) == Ok(v([5.0, 5.0]))
  // Gleam float division: x / 0.0 is 0.0
  assert tensor.div(v([1.0]), v([0.0])) == Ok(v([0.0]))
  assert tensor.add(m22(), tensor.ones([2, 2]))
    == Ok(Tensor(data: [2.0, 3.0, 4.0, 5.0], shape: [2, 2]))
  let mismatch = Error(ShapeMismatch(expected: [3], got: [2]))
  assert tensor.add(a, v([1.0, 2.0])) == mismatch
  assert tensor.sub(a, v([1.0, 2.0])) == mismatch
  assert tensor.mul(a, v([1.0, 2.0])) == mismatch
  assert tensor.div(a, v([1.0, 2.0])) == mismatch
  assert tensor.add(v([]), v([])) == Ok(v([]))
}

pub fn scalar_ops_test() {
  assert tensor.scale(v([1.0, 2.0, 3.0]), 2.0) == v([2.0, 4.0, 6.0])
  assert tensor.add_scalar(v([1.0, 2.0]), 0.5) == v([1.5, 2.5])
  assert tensor.negate(v([1.0, -2.0])) == v([-1.0, 2.0])
  assert tensor.scale(m22(), 0.5).shape == [2, 2]
}

// ---------------------------------------------------------------------------
// Reductions

pub fn reductions_test() {
  assert tensor.sum(v([1.0, 2.0, 3.0, 4.0])) == 10.0
  assert tensor.product(v([2.0, 3.0, 4.0])) == 24.0
  assert tensor.mean(v([2.0, 4.0, 6.0, 8.0])) == 5.0
  assert tensor.max(v([1.0, 5.0, 3.0, 2.0])) == 5.0
  assert tensor.min(v([1.0, 5.0, 3.0, 2.0])) == 1.0
  assert tensor.max(v([-3.0, -1.0])) == -1.0
  assert tensor.argmax(v([1.0, 5.0, 3.0])) == 1
  assert tensor.argmin(v([3.0, 1.0, 5.0])) == 1
  // first index on ties
  assert tensor.argmax(v([5.0, 1.0, 5.0])) == 0
  assert tensor.argmin(v([1.0, 2.0, 1.0])) == 0
  assert tensor.variance(v([1.0, 2.0, 3.0, 4.0])) == 1.25
  assert tensor.std(v([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])) == 2.0
  assert tensor.sum(m23()) == 21.0
}

pub fn reductions_of_empty_test() {
  let e = v([])
  assert tensor.sum(e) == 0.0
  assert tensor.product(e) == 1.0
  assert tensor.mean(e) == 0.0
  assert tensor.max(e) == 0.0
  assert tensor.min(e) == 0.0
  assert tensor.argmax(e) == 0
  assert tensor.argmin(e) == 0
  assert tensor.variance(e) == 0.0
  assert tensor.std(e) == 0.0
  assert tensor.norm(e) == 0.0
}

pub fn sum_axis_test() {
  let t = m23()
  assert tensor.sum_axis(t, 0) == Ok(v([5.0, 7.0, 9.0]))
  assert tensor.sum_axis(t, 1) == Ok(v([6.0, 15.0]))
  assert tensor.sum_axis(v([1.0, 2.0, 3.0]), 0)
    == Ok(Tensor(data: [6.0], shape: [1]))
  assert tensor.sum_axis(t, 2) == Error(DimensionError("Invalid axis index"))
  assert tensor.sum_axis(t, -1) == Error(DimensionError("Invalid axis index"))
  assert tensor.sum_axis(Tensor(data: [1.0], shape: []), 0)
    == Error(DimensionError("Invalid axis index"))
  // rank 3: [2, 2, 2] holding 1..8
  let cube =
    Tensor(data: [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], shape: [
      2,
      2,
      2,
    ])
  assert tensor.sum_axis(cube, 0)
    == Ok(Tensor(data: [6.0, 8.0, 10.0, 12.0], shape: [2, 2]))
  assert tensor.sum_axis(cube, 1)
    == Ok(Tensor(data: [4.0, 6.0, 12.0, 14.0], shape: [2, 2]))
  assert tensor.sum_axis(cube, 2)
    == Ok(Tensor(data: [3.0, 7.0, 11.0, 15.0], shape: [2, 2]))
  // empty dimensions
  assert tensor.sum_axis(tensor.zeros([0, 3]), 0)
    == Ok(Tensor(data: [0.0, 0.0, 0.0], shape: [3]))
  assert tensor.sum_axis(tensor.zeros([2, 0]), 0)
    == Ok(Tensor(data: [], shape: [0]))
}

pub fn mean_axis_test() {
  assert tensor.mean_axis(m22(), 0) == Ok(v([2.0, 3.0]))
  assert tensor.mean_axis(m22(), 1) == Ok(v([1.5, 3.5]))
  assert tensor.mean_axis(v([2.0, 4.0]), 0)
    == Ok(Tensor(data: [3.0], shape: [1]))
  assert tensor.mean_axis(m22(), 5)
    == Error(DimensionError("Invalid axis index"))
}

// ---------------------------------------------------------------------------
// Matrix operations

pub fn dot_test() {
  assert tensor.dot(v([1.0, 2.0, 3.0]), v([4.0, 5.0, 6.0])) == Ok(32.0)
  assert tensor.dot(v([]), v([])) == Ok(0.0)
  assert tensor.dot(v([1.0]), v([1.0, 2.0]))
    == Error(ShapeMismatch(expected: [1], got: [2]))
  assert tensor.dot(m22(), v([1.0, 2.0]))
    == Error(ShapeMismatch(expected: [2, 2], got: [2]))
}

pub fn matmul_vec_test() {
  assert tensor.matmul_vec(m23(), v([1.0, 0.0, -1.0])) == Ok(v([-2.0, -2.0]))
  assert tensor.matmul_vec(m23(), v([1.0, 2.0]))
    == Error(ShapeMismatch(expected: [3], got: [2]))
  assert tensor.matmul_vec(v([1.0]), v([1.0]))
    == Error(DimensionError("Expected matrix and vector"))
}

pub fn matmul_test() {
  let b = Tensor(data: [5.0, 6.0, 7.0, 8.0], shape: [2, 2])
  assert tensor.matmul(m22(), b)
    == Ok(Tensor(data: [19.0, 22.0, 43.0, 50.0], shape: [2, 2]))
  // [2, 3] @ [3, 1]
  assert tensor.matmul(m23(), Tensor(data: [1.0, 1.0, 1.0], shape: [3, 1]))
    == Ok(Tensor(data: [6.0, 15.0], shape: [2, 1]))
  assert tensor.matmul(m23(), m22())
    == Error(ShapeMismatch(expected: [3, -1], got: [2, -1]))
  assert tensor.matmul(v([1.0]), m22())
    == Error(DimensionError("Expected two matrices"))
  assert tensor.matmul(tensor.zeros([0, 2]), m22())
    == Ok(Tensor(data: [], shape: [0, 2]))
}

pub fn transpose_outer_test() {
  assert tensor.transpose(m23())
    == Ok(Tensor(data: [1.0, 4.0, 2.0, 5.0, 3.0, 6.0], shape: [3, 2]))
  assert tensor.transpose(v([1.0]))
    == Error(DimensionError("Transpose requires 2D tensor"))
  assert tensor.outer(v([1.0, 2.0]), v([3.0, 4.0, 5.0]))
    == Ok(Tensor(data: [3.0, 4.0, 5.0, 6.0, 8.0, 10.0], shape: [2, 3]))
  assert tensor.outer(m22(), v([1.0]))
    == Error(DimensionError("Outer product requires two vectors"))
}

// ---------------------------------------------------------------------------
// Conversion and shape

pub fn to_list_clone_test() {
  assert tensor.to_list(m22()) == [1.0, 2.0, 3.0, 4.0]
  assert tensor.to_list2d(m23()) == Ok([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
  assert tensor.to_list2d(v([1.0])) == Error(DimensionError("Tensor is not 2D"))
  assert tensor.clone(m22()) == m22()
  assert tensor.clone(tensor.to_strided(m22())) == m22()
}

pub fn reshape_flatten_test() {
  assert tensor.reshape(v([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), [2, 3]) == Ok(m23())
  assert tensor.reshape(m23(), [4])
    == Error(InvalidShape("Cannot reshape: size mismatch (6 vs 4)"))
  assert tensor.flatten(m23()) == v([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
}

pub fn concat_test() {
  assert tensor.concat([v([1.0]), m22()]) == v([1.0, 1.0, 2.0, 3.0, 4.0])
  assert tensor.concat([]) == v([])
}

pub fn concat_axis_test() {
  let a = m22()
  let b = Tensor(data: [5.0, 6.0, 7.0, 8.0], shape: [2, 2])
  assert tensor.concat_axis([a, b], 0)
    == Ok(Tensor(data: [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], shape: [4, 2]))
  assert tensor.concat_axis([a, b], 1)
    == Ok(Tensor(data: [1.0, 2.0, 5.0, 6.0, 3.0, 4.0, 7.0, 8.0], shape: [2, 4]))
  // different lengths along the axis
  assert tensor.concat_axis([a, Tensor(data: [9.0, 10.0], shape: [2, 1])], 1)
    == Ok(Tensor(data: [1.0, 2.0, 9.0, 3.0, 4.0, 10.0], shape: [2, 3]))
  assert tensor.concat_axis([v([1.0]), v([2.0, 3.0])], 0)
    == Ok(v([1.0, 2.0, 3.0]))
  // a single tensor comes back as it is, whatever the axis
  assert tensor.concat_axis([a], 7) == Ok(a)
  assert tensor.concat_axis([], 0)
    == Error(InvalidShape("Cannot concatenate empty list"))
  assert tensor.concat_axis([a, b], 2)
    == Error(DimensionError("Invalid axis for concatenation"))
  assert tensor.concat_axis([a, b], -1)
    == Error(DimensionError("Invalid axis for concatenation"))
  assert tensor.concat_axis([a, m23()], 1)
    == Ok(
      Tensor(data: [1.0, 2.0, 1.0, 2.0, 3.0, 3.0, 4.0, 4.0, 5.0, 6.0], shape: [
        2,
        5,
      ]),
    )
  assert tensor.concat_axis([a, m23()], 0)
    == Error(InvalidShape("Shapes must match except on concat axis"))
  assert is_invalid_shape(tensor.concat_axis([a, v([1.0, 2.0])], 0))
}

pub fn stack_test() {
  let a = v([1.0, 2.0, 3.0])
  let b = v([4.0, 5.0, 6.0])
  assert tensor.stack([a, b], 0)
    == Ok(Tensor(data: [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], shape: [2, 3]))
  assert tensor.stack([a, b], 1)
    == Ok(Tensor(data: [1.0, 4.0, 2.0, 5.0, 3.0, 6.0], shape: [3, 2]))
  assert tensor.stack([a, b], -1)
    == Ok(Tensor(data: [1.0, 4.0, 2.0, 5.0, 3.0, 6.0], shape: [3, 2]))
  assert tensor.stack([a, b], -2) == tensor.stack([a, b], 0)
  assert tensor.stack([a], 0)
    == Ok(Tensor(data: [1.0, 2.0, 3.0], shape: [1, 3]))
  assert tensor.stack([], 0) == Error(InvalidShape("Cannot stack empty list"))
  assert tensor.stack([a, v([1.0])], 0)
    == Error(ShapeMismatch(expected: [3], got: []))
  assert tensor.stack([a, b], 2)
    == Error(DimensionError("Invalid axis for stacking"))
  assert tensor.stack([a, b], -3)
    == Error(DimensionError("Invalid axis for stacking"))
}

pub fn take_first_last_test() {
  let t = Tensor(data: [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], shape: [3, 2])
  assert tensor.take_first(t, 2)
    == Tensor(data: [1.0, 2.0, 3.0, 4.0], shape: [2, 2])
  assert tensor.take_last(t, 1) == Tensor(data: [5.0, 6.0], shape: [1, 2])
  assert tensor.take_first(t, 10) == t
  assert tensor.take_last(t, 10) == t
  assert tensor.take_first(v([1.0, 2.0]), 0) == Tensor(data: [], shape: [0])
  let scalar = Tensor(data: [1.0], shape: [])
  assert tensor.take_first(scalar, 3) == scalar
  assert tensor.take_last(scalar, 3) == scalar
}

pub fn slice_test() {
  assert tensor.slice(v([1.0, 2.0, 3.0, 4.0, 5.0]), [1], [3])
    == Ok(v([2.0, 3.0, 4.0]))
  // 1-D past the end: short data, shape as asked (as in 1.2.1)
  assert tensor.slice(v([1.0, 2.0, 3.0]), [2], [5])
    == Ok(Tensor(data: [3.0], shape: [5]))
  assert tensor.slice(m23(), [0, 1], [2, 2])
    == Ok(Tensor(data: [2.0, 3.0, 5.0, 6.0], shape: [2, 2]))
  assert tensor.slice(m23(), [1, 0], [1, 3])
    == Ok(Tensor(data: [4.0, 5.0, 6.0], shape: [1, 3]))
  assert tensor.slice(m23(), [0, 0], [0, 2])
    == Ok(Tensor(data: [], shape: [0, 2]))
  assert tensor.slice(m23(), [0], [1])
    == Error(DimensionError("Slice dimensions must match tensor rank"))
  assert tensor.slice(m23(), [0, 0], [1])
    == Error(DimensionError("Slice dimensions must match tensor rank"))
}

pub fn norm_normalize_clamp_test() {
  assert tensor.norm(v([3.0, 4.0])) == 5.0
  let n = tensor.normalize(v([3.0, 4.0]))
  assert all_close(tensor.to_list(n), [0.6, 0.8], 1.0e-12)
  assert close(tensor.norm(n), 1.0, 1.0e-12)
  assert tensor.normalize(v([0.0, 2.0])) == v([0.0, 1.0])
  // tiny norms are returned unchanged
  assert tensor.normalize(v([0.00001, 0.0])) == v([0.00001, 0.0])
  assert tensor.clamp(v([-2.0, 0.5, 3.0]), 0.0, 1.0) == v([0.0, 0.5, 1.0])
}

// ---------------------------------------------------------------------------
// Random

pub fn random_uniform_test() {
  let r = tensor.random_uniform([10, 100])
  assert r.shape == [10, 100]
  assert tensor.size(r) == 1000
  assert all_in(tensor.to_list(r), 0.0, 1.0)
  assert close(tensor.mean(r), 0.5, 0.1)
  assert tensor.random_uniform([0]) == Tensor(data: [], shape: [0])
}

pub fn random_draw_order_test() {
  // Elements come in rand call order, so a seeded process gets the same
  // tensor as with 1.2.1.
  seed(atom("exsss"), 42)
  let r = tensor.random_uniform([3])
  seed(atom("exsss"), 42)
  let a = uniform()
  let b = uniform()
  let c = uniform()
  assert r == Tensor(data: [a, b, c], shape: [3])
}

pub fn random_normal_test() {
  let r = tensor.random_normal([10_000], 2.0, 3.0)
  assert r.shape == [10_000]
  assert tensor.size(r) == 10_000
  assert close(tensor.mean(r), 2.0, 0.3)
  assert close(tensor.std(r), 3.0, 0.3)
  assert tensor.random_normal([2, 0], 0.0, 1.0)
    == Tensor(data: [], shape: [2, 0])
}

pub fn xavier_he_init_test() {
  let w = tensor.xavier_init(128, 64)
  assert w.shape == [64, 128]
  assert tensor.size(w) == 8192
  // uniform in [-l, l), l = sqrt(6 / 192) ~ 0.1768; std = l / sqrt(3)
  assert all_in(tensor.to_list(w), -0.1768, 0.1768)
  let s = tensor.std(w)
  assert s >. 0.05 && s <. 0.2
  let h = tensor.he_init(200, 50)
  assert h.shape == [50, 200]
  // std sqrt(2 / 200) = 0.1
  assert close(tensor.std(h), 0.1, 0.02)
  assert close(tensor.mean(h), 0.0, 0.02)
  // degenerate fans do not crash
  assert tensor.xavier_init(0, 0).shape == [0, 0]
  assert tensor.he_init(-1, 1).shape == [1, -1]
}

// ---------------------------------------------------------------------------
// Broadcasting

pub fn can_broadcast_test() {
  assert tensor.can_broadcast([2, 3], [2, 3])
  assert tensor.can_broadcast([2, 3], [1])
  assert tensor.can_broadcast([2, 3], [3])
  assert tensor.can_broadcast([3], [2, 3])
  assert tensor.can_broadcast([2, 1], [1, 3])
  assert tensor.can_broadcast([], [4])
  assert !tensor.can_broadcast([2, 3], [4])
  assert !tensor.can_broadcast([2, 3], [3, 3])
}

pub fn broadcast_shape_test() {
  assert tensor.broadcast_shape([2, 1], [3]) == Ok([2, 3])
  assert tensor.broadcast_shape([4, 1, 5], [3, 1]) == Ok([4, 3, 5])
  assert tensor.broadcast_shape([], [2]) == Ok([2])
  assert tensor.broadcast_shape([2, 3], [4])
    == Error(BroadcastError(a: [2, 3], b: [4]))
}

pub fn broadcast_to_test() {
  assert tensor.broadcast_to(v([1.0, 2.0]), [2, 2])
    == Ok(Tensor(data: [1.0, 2.0, 1.0, 2.0], shape: [2, 2]))
  assert tensor.broadcast_to(Tensor(data: [1.0, 2.0], shape: [2, 1]), [2, 3])
    == Ok(Tensor(data: [1.0, 1.0, 1.0, 2.0, 2.0, 2.0], shape: [2, 3]))
  assert tensor.broadcast_to(v([7.0]), [3]) == Ok(v([7.0, 7.0, 7.0]))
  // same shape: the tensor itself
  let s = tensor.to_strided(m22())
  assert tensor.broadcast_to(s, [2, 2]) == Ok(s)
  assert tensor.broadcast_to(v([1.0, 2.0]), [3])
    == Error(BroadcastError(a: [2], b: [3]))
}

pub fn add_mul_broadcast_test() {
  assert tensor.add_broadcast(tensor.zeros([2, 3]), v([1.0, 2.0, 3.0]))
    == Ok(Tensor(data: [1.0, 2.0, 3.0, 1.0, 2.0, 3.0], shape: [2, 3]))
  let col = Tensor(data: [10.0, 20.0], shape: [2, 1])
  assert tensor.add_broadcast(col, v([1.0, 2.0, 3.0]))
    == Ok(Tensor(data: [11.0, 12.0, 13.0, 21.0, 22.0, 23.0], shape: [2, 3]))
  assert tensor.mul_broadcast(m23(), v([2.0]))
    == Ok(Tensor(data: [2.0, 4.0, 6.0, 8.0, 10.0, 12.0], shape: [2, 3]))
  assert tensor.mul_broadcast(col, v([1.0, 2.0]))
    == Ok(Tensor(data: [10.0, 20.0, 20.0, 40.0], shape: [2, 2]))
  assert tensor.add_broadcast(m23(), v([1.0, 2.0]))
    == Error(BroadcastError(a: [2, 3], b: [2]))
  assert tensor.mul_broadcast(m23(), v([1.0, 2.0]))
    == Error(BroadcastError(a: [2, 3], b: [2]))
}

// ---------------------------------------------------------------------------
// Shape manipulation

pub fn squeeze_test() {
  assert tensor.squeeze(tensor.zeros([1, 3, 1])).shape == [3]
  assert tensor.squeeze(tensor.zeros([1, 1])) == Tensor(data: [0.0], shape: [1])
  assert tensor.squeeze_axis(tensor.zeros([1, 3]), 0)
    == Ok(Tensor(data: [0.0, 0.0, 0.0], shape: [3]))
  assert tensor.squeeze_axis(tensor.zeros([3, 1]), 1)
    == Ok(Tensor(data: [0.0, 0.0, 0.0], shape: [3]))
  assert tensor.squeeze_axis(tensor.zeros([1, 3]), 1)
    == Error(InvalidShape("Dimension at axis is not 1"))
  assert tensor.squeeze_axis(tensor.zeros([1, 3]), 2)
    == Error(DimensionError("Axis out of bounds"))
  assert tensor.squeeze_axis(tensor.zeros([1, 3]), -1)
    == Error(DimensionError("Axis out of bounds"))
}

pub fn unsqueeze_test() {
  let a = v([1.0, 2.0, 3.0])
  assert tensor.unsqueeze(a, 0) == Tensor(data: [1.0, 2.0, 3.0], shape: [1, 3])
  assert tensor.unsqueeze(a, 1).shape == [3, 1]
  assert tensor.unsqueeze(a, -1).shape == [3, 1]
  assert tensor.unsqueeze(m23(), -2).shape == [2, 1, 3]
  // past either end clamps (list split semantics of 1.2.1)
  assert tensor.unsqueeze(a, 5).shape == [3, 1]
  assert tensor.unsqueeze(a, -7).shape == [1, 3]
  assert tensor.expand_dims(a, 0).shape == [1, 3]
  assert tensor.expand_dims(a, 1) == tensor.unsqueeze(a, 1)
}

// ---------------------------------------------------------------------------
// Strided views

pub fn to_strided_test() {
  let s = tensor.to_strided(m23())
  let assert StridedTensor(_, shape, strides, offset) = s
  assert shape == [2, 3]
  assert strides == [3, 1]
  assert offset == 0
  assert tensor.is_contiguous(s)
  assert tensor.is_contiguous(m23())
  assert tensor.to_list(s) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
  assert tensor.size(s) == 6
  assert tensor.to_strided(s) == s
  assert tensor.to_contiguous(s) == m23()
  assert tensor.to_contiguous(m23()) == m23()
}

pub fn transpose_strided_test() {
  let assert Ok(st) = tensor.transpose_strided(tensor.to_strided(m23()))
  assert st.shape == [3, 2]
  assert !tensor.is_contiguous(st)
  assert tensor.to_contiguous(st)
    == Tensor(data: [1.0, 4.0, 2.0, 5.0, 3.0, 6.0], shape: [3, 2])
  // a list-backed matrix is made strided first
  let assert Ok(st2) = tensor.transpose_strided(m23())
  assert st2 == st
  // transposing twice is contiguous again
  let assert Ok(back) = tensor.transpose_strided(st)
  assert tensor.is_contiguous(back)
  assert tensor.to_list(back) == tensor.to_list(m23())
  assert tensor.transpose_strided(v([1.0]))
    == Error(DimensionError("Transpose requires 2D tensor"))
  assert tensor.transpose_strided(tensor.to_strided(v([1.0])))
    == Error(DimensionError("Transpose requires 2D tensor"))
}

pub fn strided_access_test() {
  let assert Ok(st) = tensor.transpose_strided(m23())
  // st is [[1, 4], [2, 5], [3, 6]]
  assert tensor.get(st, 1) == Ok(4.0)
  assert tensor.get_fast(st, 2) == Ok(2.0)
  assert tensor.get_fast(m23(), 2) == Ok(3.0)
  assert tensor.get(st, 6) == Error(DimensionError("Index 6 out of bounds"))
  assert tensor.get_fast(st, -1)
    == Error(DimensionError("Index -1 out of bounds"))
  assert tensor.get_fast(m23(), 9)
    == Error(DimensionError("Index 9 out of bounds"))
  assert tensor.get2d(st, 2, 1) == Ok(6.0)
  assert tensor.get2d_fast(st, 2, 1) == Ok(6.0)
  assert tensor.get2d_fast(st, 0, 1) == Ok(4.0)
  assert tensor.get2d_fast(m23(), 1, 0) == Ok(4.0)
  assert is_dimension_error(tensor.get2d_fast(st, 5, 5))
  assert tensor.get2d_fast(tensor.to_strided(v([1.0])), 0, 0)
    == Error(DimensionError("Tensor is not 2D"))
  assert tensor.get2d_fast(v([1.0]), 0, 0)
    == Error(DimensionError("Tensor is not 2D"))
  assert tensor.get_row(st, 1) == Ok(v([2.0, 5.0]))
  assert tensor.get_col(st, 1) == Ok(v([4.0, 5.0, 6.0]))
}

pub fn ops_on_strided_test() {
  let assert Ok(st) = tensor.transpose_strided(m22())
  // st is [[1, 3], [2, 4]]
  assert tensor.add(st, tensor.ones([2, 2]))
    == Ok(Tensor(data: [2.0, 4.0, 3.0, 5.0], shape: [2, 2]))
  assert tensor.sum(st) == 10.0
  assert tensor.matmul(st, m22())
    == Ok(Tensor(data: [10.0, 14.0, 14.0, 20.0], shape: [2, 2]))
  assert tensor.transpose(st) == Ok(m22())
  assert tensor.sum_axis(st, 1) == Ok(v([4.0, 6.0]))
  assert tensor.reshape(st, [4]) == Ok(v([1.0, 3.0, 2.0, 4.0]))
  assert tensor.flatten(st) == v([1.0, 3.0, 2.0, 4.0])
  assert tensor.map(st, fn(x) { x *. 2.0 })
    == Tensor(data: [2.0, 6.0, 4.0, 8.0], shape: [2, 2])
  assert tensor.broadcast_to(tensor.to_strided(v([1.0, 2.0])), [2, 2])
    == Ok(Tensor(data: [1.0, 2.0, 1.0, 2.0], shape: [2, 2]))
  // an empty strided tensor
  let empty = tensor.to_strided(tensor.zeros([0, 3]))
  assert tensor.to_list(empty) == []
  assert tensor.size(empty) == 0
}

type RandState

@external(erlang, "rand", "seed")
fn seed(algorithm: Atom, seed: Int) -> RandState

@external(erlang, "rand", "uniform")
fn uniform() -> Float

type Atom

@external(erlang, "erlang", "binary_to_atom")
fn atom(name: String) -> Atom

// Above the crossover matmul runs natively; the results are the same.
pub fn matmul_above_the_native_crossover_test() {
  let n = 20
  let a_data = int_range(0, n * n) |> map_floats(fn(i) { int_rem(i, 5) })
  let id_data =
    int_range(0, n * n)
    |> map_floats(fn(i) {
      case i / n == int_rem(i, n) {
        True -> 1
        False -> 0
      }
    })
  let assert Ok(a) = tensor.matrix(n, n, a_data)
  let assert Ok(id) = tensor.matrix(n, n, id_data)
  let assert Ok(c) = tensor.matmul(a, id)
  assert c == a
  // [1, 20] x [20, 60]: 1200 multiply-adds, a row of column sums
  let assert Ok(ones) =
    tensor.matrix(1, n, map_floats(int_range(0, n), fn(_) { 1 }))
  let assert Ok(wide) =
    tensor.matrix(
      n,
      60,
      map_floats(int_range(0, n * 60), fn(i) { int_rem(i, 3) }),
    )
  let assert Ok(sums) = tensor.matmul(ones, wide)
  assert sums.shape == [1, 60]
  assert tensor.sum(sums) == 1200.0
}

/// A [70, 70] matrix with element (i, j) = i + 2j: 4,900 elements, above
/// every element-count crossover, integer-valued so that any summation
/// order gives the same exact results.
fn big() -> tensor.Tensor {
  let assert Ok(a) =
    tensor.matrix(
      70,
      70,
      map_floats(int_range(0, 4900), fn(k) { k / 70 + 2 * int_rem(k, 70) }),
    )
  a
}

fn floats(from: Int, to: Int, f: fn(Int) -> Int) -> List(Float) {
  map_floats(int_range(from, to), f)
}

pub fn heavy_functions_above_the_native_crossovers_test() {
  let a = big()
  let ones70 = tensor.ones([70])
  let row = tensor.from_list(floats(0, 70, fn(j) { j }))
  // matmul_vec: row sums 70i + 4830
  assert tensor.matmul_vec(a, ones70)
    == Ok(tensor.from_list(floats(0, 70, fn(i) { 70 * i + 4830 })))
  assert tensor.matmul_vec(a, tensor.ones([3]))
    == Error(tensor.ShapeMismatch(expected: [70], got: [3]))
  // transpose: (j, i) = i + 2j
  let assert Ok(t) = tensor.transpose(a)
  assert t.shape == [70, 70]
  assert tensor.get2d(t, 5, 3) == Ok(13.0)
  assert tensor.get2d(t, 69, 0) == Ok(138.0)
  assert tensor.transpose(t) == Ok(a)
  // outer: (i, j) = i * j
  let assert Ok(o) = tensor.outer(row, row)
  assert o
    == Tensor(data: floats(0, 4900, fn(k) { k / 70 * int_rem(k, 70) }), shape: [
      70,
      70,
    ])
  // sum_axis / mean_axis
  assert tensor.sum_axis(a, 0)
    == Ok(tensor.from_list(floats(0, 70, fn(j) { 2415 + 140 * j })))
  assert tensor.sum_axis(a, 1)
    == Ok(tensor.from_list(floats(0, 70, fn(i) { 70 * i + 4830 })))
  let assert Ok(m0) = tensor.mean_axis(a, 0)
  assert all_close(
    tensor.to_list(m0),
    map_halves(int_range(0, 70), fn(j) { 69 + 4 * j }),
    1.0e-12,
  )
  let assert Ok(cube) = tensor.reshape(a, [7, 10, 70])
  let assert Ok(s1) = tensor.sum_axis(cube, 1)
  assert s1.shape == [7, 70]
  assert tensor.sum(s1) == tensor.sum(a)
  // norm: sqrt of an exact integer sum of squares
  let squares =
    sum_ints(
      map_ints(int_range(0, 4900), fn(k) {
        let x = k / 70 + 2 * int_rem(k, 70)
        x * x
      }),
    )
  assert tensor.norm(a) == sqrt(int_to_float(squares))
  // broadcasting
  let assert Ok(b) = tensor.broadcast_to(row, [70, 70])
  assert b
    == Tensor(data: floats(0, 4900, fn(k) { int_rem(k, 70) }), shape: [70, 70])
  assert tensor.add_broadcast(a, row)
    == Ok(
      Tensor(
        data: floats(0, 4900, fn(k) { k / 70 + 3 * int_rem(k, 70) }),
        shape: [70, 70],
      ),
    )
  let assert Ok(col) = tensor.reshape(row, [70, 1])
  assert tensor.mul_broadcast(a, col)
    == Ok(
      Tensor(
        data: floats(0, 4900, fn(k) {
          { k / 70 + 2 * int_rem(k, 70) } * { k / 70 }
        }),
        shape: [70, 70],
      ),
    )
  assert tensor.add_broadcast(a, tensor.ones([3]))
    == Error(tensor.BroadcastError([70, 70], [3]))
}

/// Data that does not fill its shape cannot go native: the pure path
/// handles it as 1.2.1 did, in every mode.
pub fn heavy_functions_on_short_data_test() {
  let short = Tensor(data: floats(0, 4899, fn(k) { k }), shape: [70, 70])
  let assert Ok(t) = tensor.transpose(short)
  assert tensor.size(t) == 4899
  let assert Ok(s) = tensor.sum_axis(short, 0)
  assert s.shape == [70]
}

fn map_halves(xs: List(Int), f: fn(Int) -> Int) -> List(Float) {
  case xs {
    [] -> []
    [x, ..rest] -> [int_to_float(f(x)) /. 2.0, ..map_halves(rest, f)]
  }
}

fn map_ints(xs: List(Int), f: fn(Int) -> Int) -> List(Int) {
  case xs {
    [] -> []
    [x, ..rest] -> [f(x), ..map_ints(rest, f)]
  }
}

fn sum_ints(xs: List(Int)) -> Int {
  case xs {
    [] -> 0
    [x, ..rest] -> x + sum_ints(rest)
  }
}

@external(erlang, "math", "sqrt")
fn sqrt(x: Float) -> Float

fn int_range(from: Int, to: Int) -> List(Int) {
  case from >= to {
    True -> []
    False -> [from, ..int_range(from + 1, to)]
  }
}

fn map_floats(xs: List(Int), f: fn(Int) -> Int) -> List(Float) {
  case xs {
    [] -> []
    [x, ..rest] -> [int_to_float(f(x)), ..map_floats(rest, f)]
  }
}

fn int_rem(a: Int, b: Int) -> Int {
  a % b
}

@external(erlang, "erlang", "float")
fn int_to_float(i: Int) -> Float
