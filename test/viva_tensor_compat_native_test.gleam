//// The native side of `viva_tensor/tensor`: conversions to and from native
//// tensors and the README's migration example. Runs only when the native
//// library is loaded (the compatibility suite itself runs both ways).

import viva_tensor
import viva_tensor/ops
import viva_tensor/tensor.{Tensor}

fn m23() -> tensor.Tensor {
  Tensor(data: [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], shape: [2, 3])
}

fn v(values: List(Float)) -> tensor.Tensor {
  tensor.from_list(values)
}

// ---------------------------------------------------------------------------
// Native interop

pub fn native_round_trip_test() {
  let t = m23()
  let assert Ok(n) = tensor.to_native(t)
  assert viva_tensor.shape(n) == [2, 3]
  assert viva_tensor.dtype(n) == viva_tensor.F64
  assert viva_tensor.to_list(n) == Ok([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
  assert tensor.from_native(n) == Ok(t)
  // exact f64 values survive the trip
  let odd = v([0.1, 1.0e-300, -123_456.789, 3.0e200])
  let assert Ok(n2) = tensor.to_native(odd)
  assert tensor.from_native(n2) == Ok(odd)
  // rank 0 and empty tensors
  let scalar = Tensor(data: [2.5], shape: [])
  let assert Ok(ns) = tensor.to_native(scalar)
  assert tensor.from_native(ns) == Ok(scalar)
  let empty = tensor.zeros([2, 0])
  let assert Ok(ne) = tensor.to_native(empty)
  assert viva_tensor.shape(ne) == [2, 0]
  assert tensor.from_native(ne) == Ok(empty)
  // a strided view goes over as its logical (transposed) data
  let assert Ok(st) = tensor.transpose_strided(t)
  let assert Ok(n3) = tensor.to_native(st)
  assert viva_tensor.shape(n3) == [3, 2]
  assert tensor.from_native(n3)
    == Ok(Tensor(data: [1.0, 4.0, 2.0, 5.0, 3.0, 6.0], shape: [3, 2]))
}

pub fn native_interop_other_dtypes_and_errors_test() {
  let assert Ok(f32) =
    viva_tensor.from_list([1.5, -2.0], shape: [2], dtype: viva_tensor.F32)
  assert tensor.from_native(f32) == Ok(v([1.5, -2.0]))
  // data that does not fill the shape
  let assert Error(viva_tensor.InvalidShape(_)) =
    tensor.to_native(Tensor(data: [1.0], shape: [2]))
  let assert Ok(gone) = tensor.to_native(v([1.0]))
  viva_tensor.deallocate(gone)
  assert tensor.from_native(gone) == Error(viva_tensor.Deallocated)
}

// The README's migration example, verbatim (test/readme_tests.erl checks it)

/// The `k` rows of `memory` ([n, d]) most similar to `query` ([1, d]).
pub fn nearest(
  memory: tensor.Tensor,
  query: tensor.Tensor,
  k: Int,
) -> Result(List(Int), viva_tensor.TensorError) {
  use m <- result_try(tensor.to_native(memory))
  use q <- result_try(tensor.to_native(query))
  use matches <- result_try(ops.similarity_search(
    q,
    m,
    k: k,
    metric: ops.Cosine,
  ))
  case matches.indices {
    [rows] -> Ok(rows)
    _ -> Ok([])
  }
}

fn result_try(r: Result(a, e), next: fn(a) -> Result(b, e)) -> Result(b, e) {
  case r {
    Ok(v) -> next(v)
    Error(e) -> Error(e)
  }
}

pub fn readme_migration_example_test() {
  let assert Ok(memory) = tensor.matrix(3, 2, [1.0, 0.0, 0.0, 1.0, 0.7, 0.7])
  let assert Ok(query) = tensor.matrix(1, 2, [0.1, 1.0])
  let assert Ok([1, 2]) = nearest(memory, query, 2)
}
