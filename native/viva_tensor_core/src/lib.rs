//! viva_tensor_core: tensor storage, views, kernels and quantizers in pure Rust.
//!
//! No BEAM types appear here; `viva_tensor_nif` wraps this crate for Erlang.
//!
//! - [`tensor::Tensor`]: a [`layout::Layout`] over shared [`storage::Storage`]
//! - [`dtype`]: f32, f64, f16, bf16 and the [`dtype::Element`] trait
//! - views ([`view`]), creation ([`create`], [`random`]), conversion ([`convert`])
//! - [`memory`]: the process-wide byte account
//! - [`quant`]: quantized formats (int8, GGML blocks, MXFP4, NVFP4, NF4), bit-exact with their references

pub mod alloc;
pub mod convert;
pub mod create;
pub mod dtype;
pub mod error;
pub mod hrr;
pub mod layout;
pub mod linalg;
pub mod memory;
pub mod ops;
pub mod quant;
pub mod random;
pub mod reaper;
pub mod select;
pub mod storage;
pub mod tensor;
pub mod view;

pub use dtype::{DType, Element};
pub use error::{Result, TensorError};
pub use tensor::Tensor;
pub use view::SliceSpec;
