//! Quantization formats.

pub mod common;
pub mod e2m1;
pub mod fp8;
pub mod ggml_q4_0;
pub mod ggml_q4_1;
pub mod ggml_q5_0;
pub mod ggml_q8_0;
pub mod int8;
pub mod mxfp4;
pub mod nf4;
pub mod nf4_dq;
pub mod nvfp4;

#[cfg(test)]
pub(crate) mod testutil;
