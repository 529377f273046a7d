//! Linear algebra: matrix products on top of a stride-aware GEMM.
//!
//! - [`matmul`]: NumPy `matmul` (1-D promotion, batched broadcasting)
//! - [`dot`]: inner product of two vectors
//! - [`outer`]: outer product of two vectors

mod gemv;
pub mod matmul;

pub use matmul::{dot, matmul, outer};
