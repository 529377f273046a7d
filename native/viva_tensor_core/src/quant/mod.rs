//! Quantization formats and the [`QuantizedTensor`] container.
//!
//! One file per format; each has `quantize(&[f32], ..)` and `dequantize(..)`
//! and documents its exact byte layout, formulas and reference:
//! - [`int8`]: symmetric absmax int8 (per tensor / channel / block);
//! - [`ggml_q8_0`], [`ggml_q4_0`], [`ggml_q4_1`], [`ggml_q5_0`], [`mxfp4`]:
//!   ggml block formats, bit-exact with gguf-py `quants.py`;
//! - [`nf4`], [`nf4_dq`]: bitsandbytes NF4 (CPU), without and with double
//!   quantization of the absmaxes;
//! - [`nvfp4`]: NVFP4 as compressed-tensors packs it;
//! - [`fp8_scaled`]: FP8 E4M3FN / E5M2 with one f32 scale per tensor (torch,
//!   vLLM); [`float16`]: plain f16 / bf16 storage;
//! - [`fp8`], [`e2m1`]: the element codecs they share; [`metrics`]: error
//!   measures.
//! - [`qmatmul()`]: a linear layer `x @ dequant(w)ᵀ` on any format without
//!   materializing the f32 weight ([`rows`] decodes bands of rows, [`qdot`]
//!   holds the dot kernels); [`qmatmul_int8()`]: the same in int8 × int8 → i32
//!   arithmetic, LLM.int8() style, with outlier columns in f32.
//!
//! All quantizers reject NaN/infinity with [`TensorError::NonFinite`], pad a
//! partial last block with zeros and return exactly the logical length on
//! dequantization, and run in parallel over blocks (rayon) from
//! [`common::PAR_MIN_ELEMS`] elements with results identical to the serial
//! path.
//!
//! # Serialized form (`to_bytes` / `from_bytes`), all little-endian
//! ```text
//! offset size  field
//! 0      4     magic b"VTQ1"
//! 4      1     version = 1
//! 5      1     format tag (see below)
//! 6      2     reserved, 0
//! 8      4     param a (u32)
//! 12     4     param b (u32)
//! 16     4     ndim (u32, <= 32)
//! 20     8*nd  dims (u64 each)
//! ...          payload, sections in this order:
//! ```
//! | tag | format | a | b | payload |
//! |-----|--------|---|---|---------|
//! | 1 | int8 per tensor | 0 | 0 | `q` (n × i8), scales (1 × f32) |
//! | 2 | int8 per channel | axis | 0 | `q`, scales (`shape[axis]` × f32) |
//! | 3 | int8 per block | block | 0 | `q`, scales (ceil(n/block) × f32) |
//! | 10/11/12/13 | q8_0/q4_0/q4_1/q5_0 | 0 | 0 | ggml blocks (34/18/20/22 bytes per 32) |
//! | 20 | mxfp4 | 0 | 0 | blocks (17 bytes per 32) |
//! | 21 | nvfp4 | 0 | 0 | codes (8 per 16), scales (1 byte per 16), global scale f32 |
//! | 30 | nf4 | block | 0 | codes (block/2 per block), absmax (f32 per block) |
//! | 31 | nf4_dq | block | block2 | codes, absmax_q (1 per block), absmax2 (f32 per block2 blocks), offset f32 |
//! | 40/41 | fp8_e4m3fn/fp8_e5m2 | 0 | 0 | codes (1 byte each), scale (f32) |
//! | 50/51 | f16/bf16 | 0 | 0 | values (2 bytes each, little-endian) |
//!
//! The payload length is fully determined by the header; `from_bytes`
//! rejects any mismatch, unknown tag/version, bad parameters and non-finite or
//! negative scales (fp8: a scale that is not finite and > 0), codes that are
//! NaN or infinity (fp8, f16, bf16), and never panics on malformed input.

pub mod common;
#[cfg(target_arch = "x86_64")]
mod decode_avx2;
pub mod e2m1;
#[cfg(target_arch = "x86_64")]
mod encode_avx2;
#[cfg(target_arch = "x86_64")]
mod encode_avx2_dense;
#[cfg(target_arch = "x86_64")]
mod encode_avx2_fp4;
#[cfg(target_arch = "x86_64")]
mod encode_avx2_int8;
#[cfg(target_arch = "x86_64")]
mod encode_avx2_nf4;
pub mod float16;
pub mod fp8;
pub mod fp8_scaled;
pub mod ggml_q4_0;
pub mod ggml_q4_1;
pub mod ggml_q5_0;
pub mod ggml_q8_0;
pub mod int8;
pub mod int8_dot;
pub mod metrics;
pub mod mxfp4;
pub mod nf4;
pub mod nf4_dq;
pub mod nvfp4;
pub mod q8_activations;
pub mod q8_dot;
#[cfg(target_arch = "x86_64")]
mod q8_dot_x86;
pub mod qdot;
#[cfg(target_arch = "x86_64")]
mod qdot_avx2;
#[cfg(target_arch = "x86_64")]
mod qdot_avx512;
pub mod qmatmul;
pub mod qmatmul_int8;
pub mod qmatmul_q8;
pub mod rows;

#[cfg(test)]
pub(crate) mod testutil;

use half::f16;

use crate::{Result, TensorError};
use common::n_blocks;
pub use float16::Half;
pub use fp8_scaled::{Fp8Kind, Fp8Quantized};
pub use int8::{Int8Granularity, Int8Quantized};
pub use nf4::Nf4Quantized;
pub use nf4_dq::Nf4DqQuantized;
pub use nvfp4::Nvfp4Quantized;
pub use qmatmul::qmatmul;
pub use qmatmul_int8::qmatmul_int8;
pub use qmatmul_q8::qmatmul_q8;

/// A quantization format with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuantFormat {
    /// Symmetric absmax int8.
    Int8(Int8Granularity),
    /// ggml Q8_0.
    Q8_0,
    /// ggml Q4_0.
    Q4_0,
    /// ggml Q4_1.
    Q4_1,
    /// ggml Q5_0.
    Q5_0,
    /// OCP MXFP4 (ggml layout).
    Mxfp4,
    /// NVFP4 (compressed-tensors layout).
    Nvfp4,
    /// bitsandbytes NF4.
    Nf4 {
        /// Values per block (even, default 64).
        block_size: usize,
    },
    /// bitsandbytes NF4 with double-quantized absmaxes.
    Nf4Dq {
        /// Values per first-level block (even, default 64).
        block_size: usize,
        /// Absmaxes per second-level block (default 256).
        block_size2: usize,
    },
    /// FP8 E4M3FN with one f32 scale per tensor.
    Fp8E4m3fn,
    /// FP8 E5M2 with one f32 scale per tensor.
    Fp8E5m2,
    /// IEEE binary16, no scale.
    F16,
    /// bfloat16, no scale.
    Bf16,
}

/// Magic bytes of the serialized form.
pub const MAGIC: [u8; 4] = *b"VTQ1";
/// Version of the serialized form.
pub const VERSION: u8 = 1;
/// Largest rank `from_bytes` accepts.
pub const MAX_NDIM: usize = 32;
const FIXED_HEADER: usize = 20;

impl QuantFormat {
    /// NF4 with bitsandbytes' default block of 64.
    pub const NF4: QuantFormat = QuantFormat::Nf4 {
        block_size: nf4::DEFAULT_BLOCK,
    };
    /// NF4 + double quantization with bitsandbytes' defaults (64, 256).
    pub const NF4_DQ: QuantFormat = QuantFormat::Nf4Dq {
        block_size: nf4::DEFAULT_BLOCK,
        block_size2: nf4_dq::DEFAULT_BLOCK2,
    };

    /// Short lowercase name (`"q8_0"`, `"nf4_dq"`, `"int8"`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            QuantFormat::Int8(_) => "int8",
            QuantFormat::Q8_0 => "q8_0",
            QuantFormat::Q4_0 => "q4_0",
            QuantFormat::Q4_1 => "q4_1",
            QuantFormat::Q5_0 => "q5_0",
            QuantFormat::Mxfp4 => "mxfp4",
            QuantFormat::Nvfp4 => "nvfp4",
            QuantFormat::Nf4 { .. } => "nf4",
            QuantFormat::Nf4Dq { .. } => "nf4_dq",
            QuantFormat::Fp8E4m3fn => "fp8_e4m3fn",
            QuantFormat::Fp8E5m2 => "fp8_e5m2",
            QuantFormat::F16 => "f16",
            QuantFormat::Bf16 => "bf16",
        }
    }

    /// The FP8 encoding of an fp8 format.
    pub fn fp8_kind(&self) -> Option<Fp8Kind> {
        match self {
            QuantFormat::Fp8E4m3fn => Some(Fp8Kind::E4m3fn),
            QuantFormat::Fp8E5m2 => Some(Fp8Kind::E5m2),
            _ => None,
        }
    }

    /// The 16-bit float of an f16 / bf16 format.
    pub fn half_kind(&self) -> Option<Half> {
        match self {
            QuantFormat::F16 => Some(Half::F16),
            QuantFormat::Bf16 => Some(Half::Bf16),
            _ => None,
        }
    }

    fn tag_params(&self) -> (u8, u32, u32) {
        // parameters are validated to fit u32 before serialization
        let c = |v: usize| v as u32;
        match *self {
            QuantFormat::Int8(Int8Granularity::PerTensor) => (1, 0, 0),
            QuantFormat::Int8(Int8Granularity::PerChannel { axis }) => (2, c(axis), 0),
            QuantFormat::Int8(Int8Granularity::PerBlock { block_size }) => (3, c(block_size), 0),
            QuantFormat::Q8_0 => (10, 0, 0),
            QuantFormat::Q4_0 => (11, 0, 0),
            QuantFormat::Q4_1 => (12, 0, 0),
            QuantFormat::Q5_0 => (13, 0, 0),
            QuantFormat::Mxfp4 => (20, 0, 0),
            QuantFormat::Nvfp4 => (21, 0, 0),
            QuantFormat::Nf4 { block_size } => (30, c(block_size), 0),
            QuantFormat::Nf4Dq {
                block_size,
                block_size2,
            } => (31, c(block_size), c(block_size2)),
            QuantFormat::Fp8E4m3fn => (40, 0, 0),
            QuantFormat::Fp8E5m2 => (41, 0, 0),
            QuantFormat::F16 => (50, 0, 0),
            QuantFormat::Bf16 => (51, 0, 0),
        }
    }

    fn from_tag(tag: u8, a: u32, b: u32) -> Result<Self> {
        let a_ = a as usize;
        let f = match (tag, a, b) {
            (1, 0, 0) => QuantFormat::Int8(Int8Granularity::PerTensor),
            (2, _, 0) => QuantFormat::Int8(Int8Granularity::PerChannel { axis: a_ }),
            (3, _, 0) => QuantFormat::Int8(Int8Granularity::PerBlock { block_size: a_ }),
            (10, 0, 0) => QuantFormat::Q8_0,
            (11, 0, 0) => QuantFormat::Q4_0,
            (12, 0, 0) => QuantFormat::Q4_1,
            (13, 0, 0) => QuantFormat::Q5_0,
            (20, 0, 0) => QuantFormat::Mxfp4,
            (21, 0, 0) => QuantFormat::Nvfp4,
            (30, _, 0) => QuantFormat::Nf4 { block_size: a_ },
            (31, _, _) => QuantFormat::Nf4Dq {
                block_size: a_,
                block_size2: b as usize,
            },
            (40, 0, 0) => QuantFormat::Fp8E4m3fn,
            (41, 0, 0) => QuantFormat::Fp8E5m2,
            (50, 0, 0) => QuantFormat::F16,
            (51, 0, 0) => QuantFormat::Bf16,
            _ => {
                return Err(TensorError::invalid_argument(format!(
                    "unknown quantized format tag {tag} with parameters ({a}, {b})"
                )))
            }
        };
        Ok(f)
    }

    /// Checks the format's parameters against `shape`.
    pub fn validate(&self, shape: &[usize]) -> Result<()> {
        match *self {
            QuantFormat::Int8(g) => {
                int8::n_groups(shape, g)?;
                if let Int8Granularity::PerBlock { block_size } = g {
                    if u32::try_from(block_size).is_err() {
                        return Err(TensorError::invalid_argument("int8 block size exceeds u32"));
                    }
                }
                Ok(())
            }
            QuantFormat::Nf4 { block_size } => nf4::check_block_size(block_size),
            QuantFormat::Nf4Dq {
                block_size,
                block_size2,
            } => {
                nf4::check_block_size(block_size)?;
                nf4_dq::check_block_size2(block_size2)
            }
            _ => Ok(()),
        }
    }

    /// Payload size in bytes for `n` elements of `shape` (overflow → error).
    fn payload_len(&self, shape: &[usize], n: usize) -> Result<usize> {
        let ovf =
            || TensorError::invalid_shape(format!("quantized size of shape {shape:?} overflows"));
        let blocks = |block: usize, bpb: usize| n_blocks(n, block).checked_mul(bpb).ok_or_else(ovf);
        let add = |a: usize, b: usize| a.checked_add(b).ok_or_else(ovf);
        match *self {
            QuantFormat::Int8(g) => {
                let ng = int8::n_groups(shape, g)?;
                add(n, ng.checked_mul(4).ok_or_else(ovf)?)
            }
            QuantFormat::Q8_0 => blocks(32, ggml_q8_0::BLOCK_BYTES),
            QuantFormat::Q4_0 => blocks(32, ggml_q4_0::BLOCK_BYTES),
            QuantFormat::Q4_1 => blocks(32, ggml_q4_1::BLOCK_BYTES),
            QuantFormat::Q5_0 => blocks(32, ggml_q5_0::BLOCK_BYTES),
            QuantFormat::Mxfp4 => blocks(32, mxfp4::BLOCK_BYTES),
            QuantFormat::Nvfp4 => add(blocks(16, nvfp4::BLOCK_BYTES + 1)?, 4),
            QuantFormat::Nf4 { block_size } => blocks(block_size, block_size / 2 + 4),
            QuantFormat::Nf4Dq {
                block_size,
                block_size2,
            } => {
                let nb = n_blocks(n, block_size);
                let codes = blocks(block_size, block_size / 2 + 1)?;
                let second = n_blocks(nb, block_size2).checked_mul(4).ok_or_else(ovf)?;
                add(add(codes, second)?, 4)
            }
            QuantFormat::Fp8E4m3fn | QuantFormat::Fp8E5m2 => add(n, 4),
            QuantFormat::F16 | QuantFormat::Bf16 => n.checked_mul(2).ok_or_else(ovf),
        }
    }
}

/// The quantized data of a [`QuantizedTensor`], by format family.
#[derive(Debug, Clone, PartialEq)]
pub enum QuantPayload {
    /// Self-contained ggml-style blocks (q8_0, q4_0, q4_1, q5_0, mxfp4), or
    /// f16 / bf16 values (2 bytes each, little-endian).
    Blocks(Vec<u8>),
    /// Int8 codes and scales.
    Int8(Int8Quantized),
    /// NF4 codes and absmaxes.
    Nf4(Nf4Quantized),
    /// NF4 codes with double-quantized absmaxes.
    Nf4Dq(Nf4DqQuantized),
    /// NVFP4 codes, block scales and global scale.
    Nvfp4(Nvfp4Quantized),
    /// FP8 codes and the per-tensor scale.
    Fp8(Fp8Quantized),
}

/// A quantized tensor: format, logical shape and the packed data.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantizedTensor {
    format: QuantFormat,
    shape: Vec<usize>,
    payload: QuantPayload,
}

fn numel(shape: &[usize]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| TensorError::invalid_shape(format!("shape {shape:?} overflows usize")))
}

impl QuantizedTensor {
    /// Quantizes `values` (row-major, `shape`) to `format`.
    ///
    /// Errors: `ShapeMismatch` when `values.len() != product(shape)`,
    /// `InvalidArgument`/`InvalidShape` for bad parameters, `NonFinite` for
    /// NaN/infinity in the input.
    pub fn quantize(values: &[f32], shape: &[usize], format: QuantFormat) -> Result<Self> {
        let n = numel(shape)?;
        if values.len() != n {
            return Err(TensorError::ShapeMismatch {
                expected: shape.to_vec(),
                got: vec![values.len()],
            });
        }
        if shape.len() > MAX_NDIM {
            return Err(TensorError::invalid_shape(format!(
                "rank {} exceeds {MAX_NDIM}",
                shape.len()
            )));
        }
        format.validate(shape)?;
        let payload = match format {
            QuantFormat::Int8(g) => QuantPayload::Int8(int8::quantize(values, shape, g)?),
            QuantFormat::Q8_0 => QuantPayload::Blocks(ggml_q8_0::quantize(values)?),
            QuantFormat::Q4_0 => QuantPayload::Blocks(ggml_q4_0::quantize(values)?),
            QuantFormat::Q4_1 => QuantPayload::Blocks(ggml_q4_1::quantize(values)?),
            QuantFormat::Q5_0 => QuantPayload::Blocks(ggml_q5_0::quantize(values)?),
            QuantFormat::Mxfp4 => QuantPayload::Blocks(mxfp4::quantize(values)?),
            QuantFormat::Nvfp4 => QuantPayload::Nvfp4(nvfp4::quantize(values)?),
            QuantFormat::Nf4 { block_size } => {
                QuantPayload::Nf4(nf4::quantize(values, block_size)?)
            }
            QuantFormat::Nf4Dq {
                block_size,
                block_size2,
            } => QuantPayload::Nf4Dq(nf4_dq::quantize(values, block_size, block_size2)?),
            QuantFormat::Fp8E4m3fn => {
                QuantPayload::Fp8(fp8_scaled::quantize(values, Fp8Kind::E4m3fn)?)
            }
            QuantFormat::Fp8E5m2 => QuantPayload::Fp8(fp8_scaled::quantize(values, Fp8Kind::E5m2)?),
            QuantFormat::F16 => QuantPayload::Blocks(float16::quantize(values, Half::F16)?),
            QuantFormat::Bf16 => QuantPayload::Blocks(float16::quantize(values, Half::Bf16)?),
        };
        Ok(QuantizedTensor {
            format,
            shape: shape.to_vec(),
            payload,
        })
    }

    /// The format.
    pub fn format(&self) -> QuantFormat {
        self.format
    }

    /// The logical shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of logical elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// The packed data.
    pub fn payload(&self) -> &QuantPayload {
        &self.payload
    }

    fn try_dequantize(&self) -> Result<Vec<f32>> {
        let n = self.numel();
        match (&self.format, &self.payload) {
            (QuantFormat::Int8(g), QuantPayload::Int8(q)) => int8::dequantize(q, &self.shape, *g),
            (QuantFormat::Q8_0, QuantPayload::Blocks(b)) => ggml_q8_0::dequantize(b, n),
            (QuantFormat::Q4_0, QuantPayload::Blocks(b)) => ggml_q4_0::dequantize(b, n),
            (QuantFormat::Q4_1, QuantPayload::Blocks(b)) => ggml_q4_1::dequantize(b, n),
            (QuantFormat::Q5_0, QuantPayload::Blocks(b)) => ggml_q5_0::dequantize(b, n),
            (QuantFormat::Mxfp4, QuantPayload::Blocks(b)) => mxfp4::dequantize(b, n),
            (QuantFormat::Nvfp4, QuantPayload::Nvfp4(q)) => nvfp4::dequantize(q, n),
            (QuantFormat::Nf4 { .. }, QuantPayload::Nf4(q)) => nf4::dequantize(q, n),
            (QuantFormat::Nf4Dq { .. }, QuantPayload::Nf4Dq(q)) => nf4_dq::dequantize(q, n),
            (f, QuantPayload::Fp8(q)) if f.fp8_kind().is_some() => {
                fp8_scaled::dequantize(q, f.fp8_kind().unwrap_or(Fp8Kind::E4m3fn), n)
            }
            (f, QuantPayload::Blocks(b)) if f.half_kind().is_some() => {
                float16::dequantize(b, f.half_kind().unwrap_or(Half::F16), n)
            }
            _ => Err(TensorError::Internal(
                "quantized payload does not match its format".into(),
            )),
        }
    }

    /// Dequantizes to `numel()` f32 values in row-major order.
    pub fn dequantize(&self) -> Vec<f32> {
        // Both constructors (`quantize`, `from_bytes`) establish that the
        // payload matches format and shape, and the fields are private.
        self.try_dequantize()
            .expect("QuantizedTensor invariant: payload consistent with format and shape")
    }

    fn header_len(&self) -> usize {
        FIXED_HEADER + 8 * self.shape.len()
    }

    fn payload_len(&self) -> usize {
        match &self.payload {
            QuantPayload::Blocks(b) => b.len(),
            QuantPayload::Int8(q) => q.q.len() + 4 * q.scales.len(),
            QuantPayload::Nf4(q) => q.codes.len() + 4 * q.absmax.len(),
            QuantPayload::Nf4Dq(q) => q.codes.len() + q.absmax_q.len() + 4 * q.absmax2.len() + 4,
            QuantPayload::Nvfp4(q) => q.codes.len() + q.scales.len() + 4,
            QuantPayload::Fp8(q) => q.codes.len() + 4,
        }
    }

    /// Every byte this tensor holds: packed codes, all scales/offsets it
    /// stores, and its metadata counted as the size of the serialized header
    /// (20 + 8·rank bytes). Equals `to_bytes().len()`. The NF4 levels and the
    /// dynamic map are constants of the format and are not stored.
    pub fn nbytes(&self) -> usize {
        self.header_len() + self.payload_len()
    }

    /// `(4 · numel) / nbytes`: how many times smaller than f32 storage.
    pub fn compression_ratio(&self) -> f64 {
        (4 * self.numel()) as f64 / self.nbytes() as f64
    }

    /// Serializes to the documented `VTQ1` form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.nbytes());
        let (tag, a, b) = self.format.tag_params();
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(tag);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&a.to_le_bytes());
        out.extend_from_slice(&b.to_le_bytes());
        out.extend_from_slice(&(self.shape.len() as u32).to_le_bytes());
        for &d in &self.shape {
            out.extend_from_slice(&(d as u64).to_le_bytes());
        }
        let f32s = |out: &mut Vec<u8>, v: &[f32]| {
            v.iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes()))
        };
        match &self.payload {
            QuantPayload::Blocks(b) => out.extend_from_slice(b),
            QuantPayload::Int8(q) => {
                out.extend(q.q.iter().map(|&v| v as u8));
                f32s(&mut out, &q.scales);
            }
            QuantPayload::Nf4(q) => {
                out.extend_from_slice(&q.codes);
                f32s(&mut out, &q.absmax);
            }
            QuantPayload::Nf4Dq(q) => {
                out.extend_from_slice(&q.codes);
                out.extend_from_slice(&q.absmax_q);
                f32s(&mut out, &q.absmax2);
                f32s(&mut out, &[q.offset]);
            }
            QuantPayload::Nvfp4(q) => {
                out.extend_from_slice(&q.codes);
                out.extend_from_slice(&q.scales);
                f32s(&mut out, &[q.global_scale]);
            }
            QuantPayload::Fp8(q) => {
                out.extend_from_slice(&q.codes);
                f32s(&mut out, &[q.scale]);
            }
        }
        out
    }

    /// Parses the `VTQ1` form, validating everything; malformed input gives
    /// an error, never a panic.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bad = |m: String| TensorError::invalid_argument(format!("quantized tensor bytes: {m}"));
        if bytes.len() < FIXED_HEADER {
            return Err(bad(format!(
                "{} bytes is shorter than the {FIXED_HEADER}-byte header",
                bytes.len()
            )));
        }
        if bytes[..4] != MAGIC {
            return Err(bad("bad magic (expected \"VTQ1\")".into()));
        }
        if bytes[4] != VERSION {
            return Err(bad(format!("unsupported version {}", bytes[4])));
        }
        let tag = bytes[5];
        if bytes[6] != 0 || bytes[7] != 0 {
            return Err(bad("reserved header bytes are not zero".into()));
        }
        let u32_at =
            |o: usize| u32::from_le_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]);
        let (a, b) = (u32_at(8), u32_at(12));
        let ndim = u32_at(16) as usize;
        if ndim > MAX_NDIM {
            return Err(bad(format!("rank {ndim} exceeds {MAX_NDIM}")));
        }
        let header = FIXED_HEADER + 8 * ndim;
        if bytes.len() < header {
            return Err(bad(format!(
                "truncated shape: {} bytes, header needs {header}",
                bytes.len()
            )));
        }
        let mut shape = Vec::with_capacity(ndim);
        for i in 0..ndim {
            let o = FIXED_HEADER + 8 * i;
            let mut d = [0u8; 8];
            d.copy_from_slice(&bytes[o..o + 8]);
            let d = usize::try_from(u64::from_le_bytes(d))
                .map_err(|_| bad(format!("dimension {i} exceeds usize")))?;
            shape.push(d);
        }
        let format = QuantFormat::from_tag(tag, a, b)?;
        format.validate(&shape)?;
        let n = numel(&shape)?;
        let want = format.payload_len(&shape, n)?;
        let payload = &bytes[header..];
        if payload.len() != want {
            return Err(bad(format!(
                "{} payload for shape {shape:?} must be {want} bytes, got {}",
                format.name(),
                payload.len()
            )));
        }
        let mut r = Reader { b: payload, pos: 0 };
        let payload = match format {
            QuantFormat::Int8(g) => {
                let q: Vec<i8> = r.take(n)?.iter().map(|&v| v as i8).collect();
                let scales = r.f32s(int8::n_groups(&shape, g)?)?;
                check_scales("int8 scale", &scales)?;
                QuantPayload::Int8(Int8Quantized { q, scales })
            }
            QuantFormat::Q8_0 | QuantFormat::Q4_0 | QuantFormat::Q4_1 | QuantFormat::Q5_0 => {
                let (bpb, halves) = match format {
                    QuantFormat::Q8_0 => (ggml_q8_0::BLOCK_BYTES, 1),
                    QuantFormat::Q4_0 => (ggml_q4_0::BLOCK_BYTES, 1),
                    QuantFormat::Q4_1 => (ggml_q4_1::BLOCK_BYTES, 2),
                    _ => (ggml_q5_0::BLOCK_BYTES, 1),
                };
                let blocks = r.take(want)?.to_vec();
                for (i, blk) in blocks.chunks(bpb).enumerate() {
                    for h in 0..halves {
                        let v = f16::from_le_bytes([blk[2 * h], blk[2 * h + 1]]);
                        if !v.is_finite() {
                            return Err(TensorError::NonFinite(format!(
                                "{} block {i} has a non-finite f16 scale",
                                format.name()
                            )));
                        }
                    }
                }
                QuantPayload::Blocks(blocks)
            }
            QuantFormat::Mxfp4 => QuantPayload::Blocks(r.take(want)?.to_vec()),
            QuantFormat::Nvfp4 => {
                let nb = n_blocks(n, nvfp4::BLOCK_ELEMS);
                let codes = r.take(nb * nvfp4::BLOCK_BYTES)?.to_vec();
                let scales = r.take(nb)?.to_vec();
                if let Some(i) = scales
                    .iter()
                    .position(|&s| s & 0x7F == 0x7F || s & 0x80 != 0)
                {
                    return Err(bad(format!(
                        "nvfp4 block {i} has a NaN or negative e4m3 scale"
                    )));
                }
                let g = r.f32()?;
                if !(g.is_finite() && g > 0.0) {
                    return Err(TensorError::NonFinite(format!(
                        "nvfp4 global scale {g} is not finite and positive"
                    )));
                }
                QuantPayload::Nvfp4(Nvfp4Quantized {
                    codes,
                    scales,
                    global_scale: g,
                })
            }
            QuantFormat::Nf4 { block_size } => {
                let nb = n_blocks(n, block_size);
                let codes = r.take(nb * (block_size / 2))?.to_vec();
                let absmax = r.f32s(nb)?;
                check_scales("nf4 absmax", &absmax)?;
                QuantPayload::Nf4(Nf4Quantized {
                    block_size,
                    codes,
                    absmax,
                })
            }
            QuantFormat::Nf4Dq {
                block_size,
                block_size2,
            } => {
                let nb = n_blocks(n, block_size);
                let codes = r.take(nb * (block_size / 2))?.to_vec();
                let absmax_q = r.take(nb)?.to_vec();
                let absmax2 = r.f32s(n_blocks(nb, block_size2))?;
                check_scales("nf4_dq absmax2", &absmax2)?;
                let offset = r.f32()?;
                if !offset.is_finite() {
                    return Err(TensorError::NonFinite(format!("nf4_dq offset {offset}")));
                }
                QuantPayload::Nf4Dq(Nf4DqQuantized {
                    block_size,
                    block_size2,
                    codes,
                    absmax_q,
                    absmax2,
                    offset,
                })
            }
            QuantFormat::Fp8E4m3fn | QuantFormat::Fp8E5m2 => {
                let kind = format.fp8_kind().unwrap_or(Fp8Kind::E4m3fn);
                let codes = r.take(n)?.to_vec();
                if let Some(i) = fp8_scaled::first_non_finite(&codes, kind) {
                    return Err(TensorError::NonFinite(format!(
                        "{} element {i} is NaN or infinity (code {:#04x})",
                        format.name(),
                        codes[i]
                    )));
                }
                let scale = r.f32()?;
                if !(scale.is_finite() && scale > 0.0) {
                    return Err(TensorError::NonFinite(format!(
                        "{} scale {scale} is not finite and positive",
                        format.name()
                    )));
                }
                QuantPayload::Fp8(Fp8Quantized { codes, scale })
            }
            QuantFormat::F16 | QuantFormat::Bf16 => {
                let kind = format.half_kind().unwrap_or(Half::F16);
                let values = r.take(want)?.to_vec();
                if let Some(i) = float16::first_non_finite(&values, kind) {
                    return Err(TensorError::NonFinite(format!(
                        "{} element {i} is NaN or infinity",
                        format.name()
                    )));
                }
                QuantPayload::Blocks(values)
            }
        };
        Ok(QuantizedTensor {
            format,
            shape,
            payload,
        })
    }
}

/// Scales must be finite and not negative.
fn check_scales(what: &str, v: &[f32]) -> Result<()> {
    match v
        .iter()
        .position(|s| !s.is_finite() || s.is_sign_negative())
    {
        None => Ok(()),
        Some(i) => Err(TensorError::NonFinite(format!(
            "{what} {i} is {} (must be finite, >= 0)",
            v[i]
        ))),
    }
}

/// Sequential reader over a payload whose total length was already checked.
struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let s = self
            .pos
            .checked_add(n)
            .and_then(|end| self.b.get(self.pos..end))
            .ok_or_else(|| {
                TensorError::Internal("quantized payload section overruns its length".into())
            })?;
        self.pos += n;
        Ok(s)
    }

    fn f32s(&mut self, n: usize) -> Result<Vec<f32>> {
        let bytes = self
            .take(n.checked_mul(4).ok_or_else(|| {
                TensorError::Internal("quantized payload size overflow".into())
            })?)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    fn f32(&mut self) -> Result<f32> {
        Ok(self.f32s(1)?[0])
    }
}

#[cfg(test)]
mod tests;
