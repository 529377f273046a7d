//// Gleam tests for the `viva_tensor` bindings, run by `gleam test` on EUnit.

import viva_tensor.{
  type Tensor, Bf16, Deallocated, F16, F32, F64, InvalidArgument, InvalidDtype,
  InvalidShape, MemoryStats, NonFinite, OutOfBounds, ShapeMismatch,
}

@external(erlang, "viva_tensor_test_ffi", "run_eunit")
fn run_eunit(modules: List(String)) -> Nil

@external(erlang, "erlang", "binary_to_atom")
fn atom(name: String) -> String

/// Runs every suite; with `VIVA_TENSOR_NATIVE=off` (native library not
/// loaded) or `=always` (every `viva_tensor/tensor` path native), only the
/// suites that must pass in that mode, and the one that checks the mode.
pub fn main() -> Nil {
  let portable = [
    atom("viva_tensor_compat_test"),
    atom("viva_tensor_tensor_hrr_test"),
  ]
  case native_env() {
    "off" -> run_eunit([atom("viva_tensor_native_off_test"), ..portable])
    "always" -> run_eunit([atom("viva_tensor_compat_native_test"), ..portable])
    _ ->
      run_eunit([
        atom("viva_tensor_test"),
        atom("viva_tensor_compat_native_test"),
        atom("readme_example_test"),
        atom("viva_tensor_pool_test"),
        atom("viva_tensor_quant_test"),
        atom("viva_tensor_ops_test"),
        atom("viva_tensor_hrr_test"),
        ..portable
      ])
  }
}

@external(erlang, "viva_tensor_test_ffi", "native_env")
fn native_env() -> String

fn matrix() -> Tensor {
  let assert Ok(t) =
    viva_tensor.from_list(
      [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
      shape: [2, 3],
      dtype: F32,
    )
  t
}

pub fn native_library_loads_test() {
  assert viva_tensor.load_status() == Ok(Nil)
}

pub fn from_list_and_metadata_test() {
  let t = matrix()
  assert viva_tensor.shape(t) == [2, 3]
  assert viva_tensor.dtype(t) == F32
  assert viva_tensor.size(t) == 6
  assert viva_tensor.rank(t) == 2
  assert viva_tensor.strides(t) == [3, 1]
  assert viva_tensor.nbytes(t) == 24
  assert viva_tensor.is_contiguous(t)
  assert viva_tensor.to_list(t) == Ok([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
}

pub fn from_rows_test() {
  let assert Ok(m) = viva_tensor.from_rows([[1.0, 2.0], [3.0, 4.0]], dtype: F64)
  assert viva_tensor.shape(m) == [2, 2]
  assert viva_tensor.dtype(m) == F64
  let assert Error(InvalidShape(_)) =
    viva_tensor.from_rows([[1.0, 2.0], [3.0]], dtype: F64)
}

pub fn creation_errors_test() {
  let assert Error(InvalidShape(_)) =
    viva_tensor.from_list([1.0, 2.0, 3.0], shape: [2, 2], dtype: F32)
  let assert Error(InvalidShape(_)) = viva_tensor.zeros([-1, 2], dtype: F32)
  let assert Error(InvalidArgument(_)) =
    viva_tensor.arange(from: 0.0, to: 1.0, step: 0.0, dtype: F32)
  let assert Error(InvalidArgument(_)) =
    viva_tensor.linspace(from: 0.0, to: 1.0, count: -3, dtype: F32)
  let assert Error(InvalidArgument(_)) =
    viva_tensor.eye(rows: -1, cols: 2, dtype: F32)
  let assert Error(InvalidArgument(_)) =
    viva_tensor.random_normal([2], seed: 1, mean: 0.0, std: -1.0, dtype: F32)
  // an integer beyond 64 bits is an error value, not a crash
  let assert Error(InvalidArgument(_)) =
    viva_tensor.reshape(matrix(), [100_000_000_000_000_000_000_000])
}

pub fn constants_and_ranges_test() {
  let assert Ok(z) = viva_tensor.zeros([2], dtype: F16)
  assert viva_tensor.to_list(z) == Ok([0.0, 0.0])
  let assert Ok(o) = viva_tensor.ones([1, 2], dtype: Bf16)
  assert viva_tensor.to_list(o) == Ok([1.0, 1.0])
  let assert Ok(f) = viva_tensor.full([3], value: 2.5, dtype: F64)
  assert viva_tensor.to_list(f) == Ok([2.5, 2.5, 2.5])
  let assert Ok(i) = viva_tensor.eye(rows: 2, cols: 2, dtype: F32)
  assert viva_tensor.to_list(i) == Ok([1.0, 0.0, 0.0, 1.0])
  let assert Ok(r) =
    viva_tensor.arange(from: 0.0, to: 1.0, step: 0.25, dtype: F64)
  assert viva_tensor.to_list(r) == Ok([0.0, 0.25, 0.5, 0.75])
  let assert Ok(l) =
    viva_tensor.linspace(from: 0.0, to: 1.0, count: 3, dtype: F64)
  assert viva_tensor.to_list(l) == Ok([0.0, 0.5, 1.0])
}

pub fn random_is_reproducible_test() {
  let assert Ok(a) =
    viva_tensor.random_normal([4], seed: 7, mean: 0.0, std: 1.0, dtype: F32)
  let assert Ok(b) =
    viva_tensor.random_normal([4], seed: 7, mean: 0.0, std: 1.0, dtype: F32)
  let assert Ok(c) =
    viva_tensor.random_normal([4], seed: 8, mean: 0.0, std: 1.0, dtype: F32)
  assert viva_tensor.to_list(a) == viva_tensor.to_list(b)
  assert viva_tensor.to_list(a) != viva_tensor.to_list(c)
  // any Int is a seed (taken modulo 2^64)
  let assert Ok(_) =
    viva_tensor.random_uniform(
      [2],
      seed: -100_000_000_000_000_000_000_000,
      low: 0.0,
      high: 1.0,
      dtype: F64,
    )
}

pub fn views_share_storage_test() {
  let t = matrix()
  let assert Ok(tt) = viva_tensor.transpose(t)
  assert viva_tensor.shape(tt) == [3, 2]
  assert !viva_tensor.is_contiguous(tt)
  assert viva_tensor.to_list(tt) == Ok([1.0, 4.0, 2.0, 5.0, 3.0, 6.0])
  assert viva_tensor.shares_storage(t, tt) == Ok(True)
  let assert Ok(r) = viva_tensor.reshape(t, [3, -1])
  assert viva_tensor.shape(r) == [3, 2]
  assert viva_tensor.shares_storage(t, r) == Ok(True)
  let assert Ok(s) =
    viva_tensor.slice(t, starts: [0, 1], stops: [2, 3], steps: [1, 1])
  assert viva_tensor.to_list(s) == Ok([2.0, 3.0, 5.0, 6.0])
  let assert Ok(u) = viva_tensor.unsqueeze(t, 0)
  assert viva_tensor.shape(u) == [1, 2, 3]
  let assert Ok(q) = viva_tensor.squeeze(u, [])
  assert viva_tensor.shape(q) == [2, 3]
  let assert Ok(p) = viva_tensor.permute(u, [2, 0, 1])
  assert viva_tensor.shape(p) == [3, 1, 2]
  let assert Ok(b) = viva_tensor.broadcast_to(t, [4, 2, 3])
  assert viva_tensor.strides(b) == [0, 3, 1]
  let assert Ok(e) = viva_tensor.expand(u, [5, -1, -1])
  assert viva_tensor.shape(e) == [5, 2, 3]
}

pub fn view_errors_test() {
  let t = matrix()
  let assert Error(InvalidShape(_)) = viva_tensor.reshape(t, [4, -1])
  let assert Error(InvalidArgument(_)) = viva_tensor.permute(t, [0, 0])
  let assert Error(OutOfBounds(_)) = viva_tensor.permute(t, [0, 2])
  let assert Error(OutOfBounds(_)) =
    viva_tensor.slice(t, starts: [0], stops: [3], steps: [1])
  let assert Error(InvalidArgument(_)) =
    viva_tensor.slice(t, starts: [0], stops: [2], steps: [0])
  let assert Error(InvalidShape(_)) = viva_tensor.squeeze(t, [0])
  let assert Error(OutOfBounds(_)) = viva_tensor.unsqueeze(t, 4)
  let assert Error(ShapeMismatch(expected: [3, 3], got: [2, 3])) =
    viva_tensor.broadcast_to(t, [3, 3])
}

pub fn conversions_test() {
  let t = matrix()
  let assert Ok(h) = viva_tensor.as_type(t, F16)
  assert viva_tensor.dtype(h) == F16
  assert viva_tensor.nbytes(h) == 12
  assert viva_tensor.to_list(h) == viva_tensor.to_list(t)
  let assert Ok(bits) = viva_tensor.to_binary(t)
  let assert Ok(back) = viva_tensor.from_binary(bits, dtype: F32, shape: [3, 2])
  assert viva_tensor.to_list(back) == viva_tensor.to_list(t)
  let assert Error(InvalidArgument(_)) =
    viva_tensor.from_binary(<<1, 2, 3>>, dtype: F32, shape: [1])
  let assert Ok(tt) = viva_tensor.transpose(t)
  let assert Ok(c) = viva_tensor.contiguous(tt)
  assert viva_tensor.is_contiguous(c)
  assert viva_tensor.shares_storage(c, t) == Ok(False)
  let assert Ok(d) = viva_tensor.copy(t)
  assert viva_tensor.shares_storage(d, t) == Ok(False)
}

pub fn non_finite_values_are_an_error_in_to_list_test() {
  let assert Ok(big) = viva_tensor.from_list([70_000.0], shape: [1], dtype: F64)
  let assert Ok(inf) = viva_tensor.as_type(big, F16)
  let assert Error(NonFinite(_)) = viva_tensor.to_list(inf)
}

pub fn deallocate_test() {
  // The account is process-wide and garbage from earlier tests may be
  // collected at any time (it only lowers the count), so measure the drop.
  let assert Ok(t) = viva_tensor.zeros([1024, 1024], dtype: F32)
  let MemoryStats(bytes: during, peak_bytes: peak_during, ..) =
    viva_tensor.memory_stats()
  assert peak_during >= during
  viva_tensor.deallocate(t)
  assert viva_tensor.is_deallocated(t)
  assert viva_tensor.shape(t) == [1024, 1024]
  let assert Error(Deallocated) = viva_tensor.to_list(t)
  let MemoryStats(bytes: after, ..) = viva_tensor.memory_stats()
  assert during - after >= 4_194_304
  viva_tensor.reset_peak_memory()
  let MemoryStats(bytes: now, peak_bytes: peak, ..) = viva_tensor.memory_stats()
  assert peak >= now
}

pub fn dtype_errors_are_values_test() {
  // Gleam's Dtype type admits only valid dtypes; the error still exists
  // for Erlang callers, and its constructor is part of the shared type.
  let e = InvalidDtype("x")
  assert e == InvalidDtype("x")
}
