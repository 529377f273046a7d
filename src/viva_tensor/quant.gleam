//// Quantized tensors: pack a tensor into a 4- or 8-bit block format, FP8 or
//// a 16-bit float, get the values back, serialize, and measure the error.
////
//// A `QuantizedTensor` is an immutable native handle of its own; its bytes
//// (`nbytes`) count in `viva_tensor.memory_stats()` until it is garbage
//// collected. The formats are bit-exact with their references (gguf-py for
//// the ggml blocks and MXFP4, bitsandbytes for NF4, compressed-tensors for
//// NVFP4); see the README's "Quantized tensors" section.
////
//// ```gleam
//// import viva_tensor
//// import viva_tensor/quant.{Q40}
////
//// pub fn main() {
////   let assert Ok(w) = viva_tensor.random_normal([256, 256], seed: 7, mean: 0.0, std: 1.0, dtype: viva_tensor.F32)
////   let assert Ok(q) = quant.quantize(w, Q40)
////   let assert 36_900 = quant.nbytes(q)
////   let assert Ok(d) = quant.dequantize(q)
////   let assert Ok(m) = quant.metrics(w, d)
////   m.cosine // -> about 0.996
//// }
//// ```

import viva_tensor.{type Tensor, type TensorError}

/// A quantized tensor handle. Make one with `quantize` or `from_binary`.
pub type QuantizedTensor

/// A quantization format. Bytes per 32 values in parentheses (scales
/// included; the serialized header adds 20 + 8 × rank bytes per tensor).
pub type Format {
  /// ggml Q8_0: 32 int8 codes + an f16 scale (34).
  Q80
  /// ggml Q4_0: 32 4-bit codes + an f16 scale (18).
  Q40
  /// ggml Q4_1: 4-bit codes, f16 scale and minimum (20).
  Q41
  /// ggml Q5_0: 5-bit codes + an f16 scale (22).
  Q50
  /// OCP MXFP4 in ggml's layout: FP4 E2M1 codes + an E8M0 scale (17).
  Mxfp4
  /// NVFP4 (compressed-tensors): FP4 codes, an E4M3 scale per 16, and one
  /// f32 global scale per tensor (18).
  Nvfp4
  /// bitsandbytes NF4, blocks of 64 (18).
  Nf4
  /// NF4 with double-quantized absmaxes, blocks of 64 and 256 (about 16.5).
  Nf4Dq
  /// NF4 with blocks of `block` values (even, 2..=2^24).
  Nf4Block(block: Int)
  /// NF4 + double quantization with the given first and second level blocks.
  Nf4DqBlocks(block: Int, block2: Int)
  /// Symmetric absmax int8, one scale for the tensor (32).
  Int8PerTensor
  /// Symmetric int8, one scale per index of `axis` (negative counts from the end).
  Int8PerChannel(axis: Int)
  /// Symmetric int8, one scale per `block` consecutive values.
  Int8PerBlock(block: Int)
  /// FP8 E4M3FN (max 448, no infinities) with one f32 scale per tensor,
  /// `absmax / 448`; rounds to nearest even, saturates (32, + 4 per tensor).
  Fp8E4m3fn
  /// FP8 E5M2 (max 57344) with one f32 scale per tensor, `absmax / 57344`
  /// (32, + 4 per tensor).
  Fp8E5m2
  /// IEEE f16 storage, nearest even, saturating at ±65504 (64).
  Float16
  /// bfloat16 storage, nearest even (64).
  Bfloat16
}

/// Signal-to-quantization-noise ratio.
pub type Sqnr {
  /// `10 · log10(signal / noise)`.
  Decibels(Float)
  /// The two tensors are equal (the ratio is infinite).
  NoNoise
  /// The reference is all zeros and the approximation is not.
  NoSignal
}

/// Error measures of an approximation against a reference (computed in f64).
pub type Metrics {
  Metrics(
    /// Mean squared error.
    mse: Float,
    /// Root mean squared error.
    rmse: Float,
    /// Largest absolute error.
    max_abs: Float,
    /// Mean absolute error.
    mean_abs: Float,
    /// Signal-to-noise ratio.
    sqnr_db: Sqnr,
    /// Cosine similarity (1.0 for two zero tensors).
    cosine: Float,
  )
}

/// Quantizes `t` (any dtype; converted to f32 first). A partial last block is
/// padded with zeros; `dequantize` returns exactly the original shape.
///
/// Errors: `InvalidArgument` for a bad block size, `OutOfBounds` for an int8
/// channel axis outside the rank, `NonFinite` for NaN or infinity in `t`,
/// `Deallocated`.
///
/// ```gleam
/// let assert Ok(t) = viva_tensor.from_list([0.5, -1.0, 2.0, 0.0], shape: [2, 2], dtype: F32)
/// let assert Ok(q) = quantize(t, Q80)
/// shape(q) // -> [2, 2]
/// ```
@external(erlang, "viva_tensor_quant_ffi", "quantize")
pub fn quantize(
  t: Tensor,
  format: Format,
) -> Result(QuantizedTensor, TensorError)

@external(erlang, "vquant", "dequantize")
fn raw_dequantize(q: QuantizedTensor) -> Result(Tensor, TensorError)

/// The values back, as a new f32 tensor of the quantized tensor's shape.
///
/// ```gleam
/// let assert Ok(q) = quantize(t, Nf4)
/// let assert Ok(d) = dequantize(q)
/// viva_tensor.shape(d) == viva_tensor.shape(t) // -> True
/// ```
pub fn dequantize(q: QuantizedTensor) -> Result(Tensor, TensorError) {
  raw_dequantize(q)
}

@external(erlang, "vquant", "qmatmul")
fn raw_qmatmul(x: Tensor, w: QuantizedTensor) -> Result(Tensor, TensorError)

/// A linear layer on a quantized weight: `x @ dequantize(w)ᵀ`, computed
/// without ever building the f32 weight matrix.
///
/// `w` is a 2-D quantized tensor of shape `[out, in]` (one row per output
/// feature, as in PyTorch `nn.Linear` and GGUF), in any format; `x` has
/// shape `[..., in]` (any float dtype, computed in f32). The result is a new
/// f32 tensor `[..., out]`. For one to four activation rows each output is a
/// dot product read straight from the packed blocks; larger batches decode
/// the weight one band of rows at a time and use the GEMM.
///
/// Errors: `ShapeMismatch([in], [x_in])` when the inner dimensions differ,
/// `InvalidShape` when `w` is not 2-D or `x` is 0-D.
///
/// ```gleam
/// let assert Ok(w) = viva_tensor.random_normal([64, 32], seed: 1, mean: 0.0, std: 1.0, dtype: F32)
/// let assert Ok(x) = viva_tensor.random_normal([2, 32], seed: 2, mean: 0.0, std: 1.0, dtype: F32)
/// let assert Ok(q) = quantize(w, Q40)
/// let assert Ok(y) = qmatmul(x, q)
/// viva_tensor.shape(y) // -> [2, 64]
/// ```
pub fn qmatmul(x: Tensor, w: QuantizedTensor) -> Result(Tensor, TensorError) {
  raw_qmatmul(x, w)
}

@external(erlang, "vquant", "qmatmul_q8")
fn raw_qmatmul_q8(x: Tensor, w: QuantizedTensor) -> Result(Tensor, TensorError)

/// `qmatmul` with the activations quantized too, as llama.cpp computes
/// these formats: each row of `x` is cut into blocks of 32 values, each
/// stored as int8 codes and an f32 scale (`absmax / 127`), and each weight
/// block meets its activation block in one integer dot product. Faster than
/// `qmatmul`, which is exact f32 arithmetic, and not exact: the error is the
/// activations' rounding, at most half a step per value.
///
/// `w` is a 2-D `[out, in]` tensor quantized as `Q40`, `Q80` or `Mxfp4`,
/// with `in` a multiple of 32; `x` has shape `[..., in]`.
///
/// Errors: `InvalidArgument` for another format or `in` not a multiple of
/// 32, `NonFinite` for NaN or infinity in `x`, and the errors of `qmatmul`.
///
/// ```gleam
/// let assert Ok(w) = viva_tensor.random_normal([64, 32], seed: 1, mean: 0.0, std: 1.0, dtype: F32)
/// let assert Ok(x) = viva_tensor.random_normal([2, 32], seed: 2, mean: 0.0, std: 1.0, dtype: F32)
/// let assert Ok(q) = quantize(w, Q40)
/// let assert Ok(y) = qmatmul_q8(x, q)
/// viva_tensor.shape(y) // -> [2, 64]
/// ```
pub fn qmatmul_q8(
  x: Tensor,
  w: QuantizedTensor,
) -> Result(Tensor, TensorError) {
  raw_qmatmul_q8(x, w)
}

@external(erlang, "vquant", "to_binary")
fn raw_to_binary(q: QuantizedTensor) -> Result(BitArray, TensorError)

/// The serialized form (a `VTQ1` header, then the packed blocks and scales,
/// little-endian). Its size is `nbytes(q)`.
///
/// ```gleam
/// let assert Ok(bits) = to_binary(q)
/// let assert Ok(q2) = from_binary(bits)
/// ```
pub fn to_binary(q: QuantizedTensor) -> Result(BitArray, TensorError) {
  raw_to_binary(q)
}

@external(erlang, "vquant", "from_binary")
fn raw_from_binary(bits: BitArray) -> Result(QuantizedTensor, TensorError)

/// Parses what `to_binary` wrote, validating every field.
///
/// Errors: `InvalidArgument` for a truncated or corrupted binary (`NonFinite`
/// for a scale that is not finite); never a crash.
///
/// ```gleam
/// let assert Error(viva_tensor.InvalidArgument(_)) = from_binary(<<"VTQ1":utf8>>)
/// ```
pub fn from_binary(bits: BitArray) -> Result(QuantizedTensor, TensorError) {
  raw_from_binary(bits)
}

/// The format (`Nf4Block(64)` comes back as `Nf4`, `Nf4DqBlocks(64, 256)` as
/// `Nf4Dq`, an int8 channel axis as a non-negative index).
///
/// ```gleam
/// let assert Ok(q) = quantize(t, Nf4Block(64))
/// format(q) // -> Nf4
/// ```
@external(erlang, "viva_tensor_quant_ffi", "format")
pub fn format(q: QuantizedTensor) -> Format

/// The logical shape.
///
/// ```gleam
/// shape(q) // -> [2, 2]
/// ```
@external(erlang, "vquant", "shape")
pub fn shape(q: QuantizedTensor) -> List(Int)

/// Number of logical elements.
///
/// ```gleam
/// size(q) // -> 4
/// ```
@external(erlang, "vquant", "size")
pub fn size(q: QuantizedTensor) -> Int

/// Every byte the quantized tensor holds: codes, scales and its
/// 20 + 8 × rank byte header (the size of `to_binary`).
///
/// ```gleam
/// let assert Ok(v) = viva_tensor.zeros([4096], dtype: F32)
/// let assert Ok(q) = quantize(v, Q40)
/// nbytes(q) // -> 2332 (128 blocks of 18 bytes + 28)
/// ```
@external(erlang, "vquant", "nbytes")
pub fn nbytes(q: QuantizedTensor) -> Int

/// `4 × size / nbytes`: how many times smaller than f32.
///
/// ```gleam
/// compression_ratio(q) // -> 7.0257... for Q40 on 4096 values
/// ```
@external(erlang, "vquant", "compression_ratio")
pub fn compression_ratio(q: QuantizedTensor) -> Float

/// Error measures of `approx` against `reference` (two tensors of one shape,
/// any dtypes, compared as f32).
///
/// Errors: `ShapeMismatch`, `NonFinite` for NaN or infinity in either.
///
/// ```gleam
/// let assert Ok(m) = metrics(t, t)
/// m.sqnr_db // -> NoNoise
/// m.mse // -> 0.0
/// ```
@external(erlang, "viva_tensor_quant_ffi", "metrics")
pub fn metrics(
  reference: Tensor,
  approx: Tensor,
) -> Result(Metrics, TensorError)
