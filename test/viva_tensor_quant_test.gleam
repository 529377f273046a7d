//// Gleam tests for `viva_tensor/quant`, run by `gleam test` on EUnit (the
//// runner in viva_tensor_test.gleam lists this module).

import viva_tensor.{
  type Tensor, F32, F64, InvalidArgument, MemoryStats, NonFinite, OutOfBounds,
  ShapeMismatch,
}
import viva_tensor/quant.{
  Bfloat16, Decibels, Float16, Fp8E4m3fn, Fp8E5m2, Int8PerBlock, Int8PerChannel,
  Int8PerTensor, Metrics, Mxfp4, Nf4, Nf4Block, Nf4Dq, Nf4DqBlocks, NoNoise,
  NoSignal, Nvfp4, Q40, Q41, Q50, Q80,
}

@external(erlang, "erlang", "garbage_collect")
fn garbage_collect() -> Bool

@external(erlang, "timer", "sleep")
fn sleep(ms: Int) -> Nil

/// Waits (up to a second) until the memory account stops moving: tensors of
/// earlier tests, in processes EUnit has already ended, are released
/// asynchronously and could otherwise be subtracted between two readings.
fn settle(tries: Int) -> Nil {
  garbage_collect()
  let MemoryStats(bytes: a, ..) = viva_tensor.memory_stats()
  sleep(10)
  let MemoryStats(bytes: b, ..) = viva_tensor.memory_stats()
  case a == b || tries <= 0 {
    True -> Nil
    False -> settle(tries - 1)
  }
}

fn normal(shape: List(Int), seed: Int) -> Tensor {
  let assert Ok(t) =
    viva_tensor.random_normal(shape, seed:, mean: 0.0, std: 1.0, dtype: F32)
  t
}

const all_formats = [
  Q80,
  Q40,
  Q41,
  Q50,
  Mxfp4,
  Nvfp4,
  Nf4,
  Nf4Dq,
  Nf4Block(32),
  Nf4DqBlocks(128, 2),
  Int8PerTensor,
  Int8PerChannel(0),
  Int8PerChannel(1),
  Int8PerBlock(48),
  Fp8E4m3fn,
  Fp8E5m2,
  Float16,
  Bfloat16,
]

// No gleam_stdlib (zero hex dependencies), so a local `each`.
fn each(items: List(a), f: fn(a) -> Nil) -> Nil {
  case items {
    [] -> Nil
    [first, ..rest] -> {
      f(first)
      each(rest, f)
    }
  }
}

pub fn every_format_round_trips_test() {
  let t = normal([6, 100], 7)
  use format <- each(all_formats)
  let assert Ok(q) = quant.quantize(t, format)
  assert quant.format(q) == format
  assert quant.shape(q) == [6, 100]
  assert quant.size(q) == 600
  let assert Ok(bits) = quant.to_binary(q)
  let assert Ok(q2) = quant.from_binary(bits)
  assert quant.format(q2) == format
  assert quant.to_binary(q2) == Ok(bits)
  let assert Ok(d) = quant.dequantize(q)
  let assert Ok(d2) = quant.dequantize(q2)
  assert viva_tensor.shape(d) == [6, 100]
  assert viva_tensor.to_binary(d) == viva_tensor.to_binary(d2)
  let assert Ok(Metrics(cosine: cosine, sqnr_db: Decibels(db), ..)) =
    quant.metrics(t, d)
  assert cosine >. 0.95
  assert db >. 10.0
}

pub fn canonical_formats_test() {
  let t = normal([128], 1)
  let assert Ok(q) = quant.quantize(t, Nf4Block(64))
  assert quant.format(q) == Nf4
  let assert Ok(q) = quant.quantize(t, Nf4DqBlocks(64, 256))
  assert quant.format(q) == Nf4Dq
  let assert Ok(q) = quant.quantize(normal([4, 8], 2), Int8PerChannel(-1))
  assert quant.format(q) == Int8PerChannel(1)
}

pub fn sizes_test() {
  let assert Ok(v) = viva_tensor.zeros([4096], dtype: F32)
  let assert Ok(q) = quant.quantize(v, Q40)
  assert quant.nbytes(q) == 2332
  assert quant.compression_ratio(q) == 16_384.0 /. 2332.0
  let assert Ok(bits) = quant.to_binary(q)
  let assert <<"VTQ1":utf8, _:bits>> = bits
  let assert Ok(q) = quant.quantize(v, Q80)
  assert quant.nbytes(q) == 28 + 128 * 34
  let assert Ok(q) = quant.quantize(v, Fp8E4m3fn)
  assert quant.nbytes(q) == 28 + 4096 + 4
  let assert Ok(q) = quant.quantize(v, Float16)
  assert quant.nbytes(q) == 28 + 2 * 4096
}

pub fn fp8_and_16_bit_values_test() {
  // absmax 896 → scale 2; these values are exact in E4M3FN, E5M2, f16, bf16
  let assert Ok(t) =
    viva_tensor.from_list([896.0, -2.0, 0.25, 0.0], shape: [4], dtype: F32)
  use format <- each([Fp8E4m3fn, Fp8E5m2, Float16, Bfloat16])
  let assert Ok(q) = quant.quantize(t, format)
  let assert Ok(d) = quant.dequantize(q)
  assert viva_tensor.to_binary(d) == viva_tensor.to_binary(t)
}

pub fn errors_test() {
  let t = normal([4, 64], 3)
  let assert Error(InvalidArgument(_)) = quant.quantize(t, Nf4Block(3))
  let assert Error(InvalidArgument(_)) = quant.quantize(t, Nf4Block(-2))
  let assert Error(InvalidArgument(_)) = quant.quantize(t, Nf4DqBlocks(64, 0))
  let assert Error(InvalidArgument(_)) = quant.quantize(t, Int8PerBlock(0))
  // an integer beyond 64 bits is an error value, not a crash
  let assert Error(InvalidArgument(_)) =
    quant.quantize(t, Nf4Block(100_000_000_000_000_000_000_000))
  let assert Error(OutOfBounds(_)) = quant.quantize(t, Int8PerChannel(2))
  let assert Error(InvalidArgument(_)) = quant.from_binary(<<>>)
  let assert Error(InvalidArgument(_)) = quant.from_binary(<<"VTQ1":utf8>>)
  let assert Ok(q) = quant.quantize(t, Q80)
  let assert Ok(<<head:bytes-size(40), _:bits>>) = quant.to_binary(q)
  let assert Error(InvalidArgument(_)) = quant.from_binary(head)
}

pub fn metrics_test() {
  let assert Ok(a) =
    viva_tensor.from_list([1.0, 2.0, 3.0, 4.0], shape: [4], dtype: F32)
  let assert Ok(b) =
    viva_tensor.from_list([1.0, 2.0, 3.0, 5.0], shape: [4], dtype: F32)
  let assert Ok(Metrics(
    mse: 0.25,
    rmse: 0.5,
    max_abs: 1.0,
    mean_abs: 0.25,
    sqnr_db: Decibels(_),
    cosine: _,
  )) = quant.metrics(a, b)
  let assert Ok(Metrics(mse: 0.0, sqnr_db: NoNoise, ..)) = quant.metrics(a, a)
  let assert Ok(z) = viva_tensor.zeros([4], dtype: F32)
  let assert Ok(Metrics(sqnr_db: NoSignal, cosine: 0.0, ..)) =
    quant.metrics(z, a)
  let assert Ok(m) = viva_tensor.from_list([1.0, 2.0], shape: [2], dtype: F32)
  let assert Error(ShapeMismatch(expected: [4], got: [2])) = quant.metrics(a, m)
}

pub fn non_finite_test() {
  // f64 values beyond f32's range become infinities when converted
  let assert Ok(huge) =
    viva_tensor.from_list([1.0e300, 1.0], shape: [2], dtype: F64)
  let assert Error(NonFinite(_)) = quant.quantize(huge, Nvfp4)
}

pub fn memory_account_test() {
  settle(100)
  let t = normal([256, 256], 4)
  let MemoryStats(bytes: before, ..) = viva_tensor.memory_stats()
  let assert Ok(q) = quant.quantize(t, Q80)
  let MemoryStats(bytes: during, ..) = viva_tensor.memory_stats()
  assert during - before == quant.nbytes(q)
}

// The README's Gleam example, as written there.
pub fn readme_quant_example() {
  let assert Ok(w) =
    viva_tensor.random_normal(
      [256, 256],
      seed: 7,
      mean: 0.0,
      std: 1.0,
      dtype: F32,
    )
  let assert Ok(q) = quant.quantize(w, Q40)
  let assert [256, 256] = quant.shape(q)
  let assert 36_900 = quant.nbytes(q)
  let assert Ok(bits) = quant.to_binary(q)
  let assert Ok(q2) = quant.from_binary(bits)
  let assert Ok(d) = quant.dequantize(q2)
  let assert Ok(Metrics(sqnr_db: Decibels(db), cosine: cosine, ..)) =
    quant.metrics(w, d)
  assert db >. 15.0 && cosine >. 0.99
  let assert Error(InvalidArgument(_)) = quant.quantize(w, Nf4Block(3))
}

pub fn readme_quant_example_test() {
  readme_quant_example()
}

// The f32 reference product X @ Wᵀ (Erlang-only helper of the report).
@external(erlang, "vquant", "f32_linear")
fn f32_linear(x: Tensor, w: Tensor) -> Result(Tensor, viva_tensor.TensorError)

pub fn qmatmul_test() {
  let w = normal([16, 40], 21)
  let x = normal([3, 40], 22)
  use format <- each(all_formats)
  let assert Ok(q) = quant.quantize(w, format)
  let assert Ok(y) = quant.qmatmul(x, q)
  assert viva_tensor.shape(y) == [3, 16]
  // agrees with the f32 product on the dequantized weight (summation order
  // is the only difference)
  let assert Ok(d) = quant.dequantize(q)
  let assert Ok(reference) = f32_linear(x, d)
  let assert Ok(Metrics(cosine:, max_abs:, ..)) = quant.metrics(reference, y)
  assert cosine >. 0.99999
  assert max_abs <. 0.001
  let assert Error(ShapeMismatch([40], [7])) =
    quant.qmatmul(normal([2, 7], 1), q)
  Nil
}

pub fn qmatmul_q8_test() {
  let w = normal([16, 64], 23)
  let x = normal([3, 64], 24)
  use format <- each([Q40, Q80, Mxfp4])
  let assert Ok(q) = quant.quantize(w, format)
  let assert Ok(exact) = quant.qmatmul(x, q)
  let assert Ok(y) = quant.qmatmul_q8(x, q)
  assert viva_tensor.shape(y) == [3, 16]
  // close to the exact product: only the activations' rounding differs
  let assert Ok(Metrics(cosine:, rmse:, ..)) = quant.metrics(exact, y)
  assert cosine >. 0.9999
  assert rmse >. 0.0
  let assert Error(ShapeMismatch([64], [7])) =
    quant.qmatmul_q8(normal([2, 7], 1), q)
  Nil
}

pub fn qmatmul_q8_refuses_other_formats_test() {
  let assert Ok(q) = quant.quantize(normal([4, 64], 1), Q41)
  let assert Error(InvalidArgument(_)) = quant.qmatmul_q8(normal([2, 64], 2), q)
  let assert Ok(q40) = quant.quantize(normal([4, 40], 1), Q40)
  let assert Error(InvalidArgument(_)) =
    quant.qmatmul_q8(normal([2, 40], 2), q40)
  Nil
}

pub fn readme_qmatmul_example() {
  // a linear layer: 64 inputs -> 128 outputs, weight quantized to q4_0
  let assert Ok(w) =
    viva_tensor.random_normal(
      [128, 64],
      seed: 1,
      mean: 0.0,
      std: 0.02,
      dtype: F32,
    )
  let assert Ok(x) =
    viva_tensor.random_normal([4, 64], seed: 2, mean: 0.0, std: 1.0, dtype: F32)
  let assert Ok(q) = quant.quantize(w, Q40)
  let assert Ok(y) = quant.qmatmul(x, q)
  let assert [4, 128] = viva_tensor.shape(y)
  // llama.cpp's way: the activations as int8 blocks too (faster, inexact)
  let assert Ok(y8) = quant.qmatmul_q8(x, q)
  let assert [4, 128] = viva_tensor.shape(y8)
  let assert Ok(short) = viva_tensor.zeros([4, 32], dtype: F32)
  let assert Error(ShapeMismatch([64], [32])) = quant.qmatmul(short, q)
}

pub fn readme_qmatmul_example_test() {
  readme_qmatmul_example()
}
