//! viva_tensor_core: tensor storage, views, kernels and quantizers in pure Rust.
//!
//! No BEAM types appear here; `viva_tensor_nif` wraps this crate for Erlang.

pub mod error;
pub mod quant;

pub use error::{Result, TensorError};
