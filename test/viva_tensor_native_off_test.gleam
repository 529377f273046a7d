//// Run only with `VIVA_TENSOR_NATIVE=off` (see viva_tensor_test.main): the
//// native library stays unloaded, native functions say why, and the
//// list-backed modules keep working in pure Gleam.

import viva_tensor
import viva_tensor/hrr
import viva_tensor/tensor

const reason = "native library disabled (VIVA_TENSOR_NATIVE=off)"

pub fn load_status_says_why_test() {
  assert viva_tensor.load_status() == Error(reason)
}

pub fn native_functions_return_the_reason_test() {
  assert viva_tensor.zeros([2], dtype: viva_tensor.F32)
    == Error(viva_tensor.NativeUnavailable(reason))
  assert hrr.random(8, seed: 1, dtype: viva_tensor.F32)
    == Error(viva_tensor.NativeUnavailable(reason))
  assert tensor.to_native(tensor.from_list([1.0]))
    == Error(viva_tensor.NativeUnavailable(reason))
}

pub fn heavy_compat_functions_still_work_test() {
  // above every crossover, so these would go native if they could
  let n = 100
  let ones = tensor.ones([n, n])
  let assert Ok(p) = tensor.matmul(ones, ones)
  assert tensor.get(p, 0) == Ok(100.0)
  let assert Ok(t) = tensor.transpose(ones)
  assert t.shape == [n, n]
  assert tensor.norm(ones) == 100.0
}
