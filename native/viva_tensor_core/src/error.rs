//! The one error type of the library.
//!
//! Each variant maps one-to-one onto an Erlang term (see `viva_tensor_nif`'s
//! encoder) whose shape is exactly what the Gleam `TensorError` type compiles
//! to, so Erlang, Elixir and Gleam see the same vocabulary.

use std::fmt;

/// Everything that can go wrong in a tensor operation.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorError {
    /// Two shapes had to agree and did not: `{shape_mismatch, Expected, Got}`.
    ShapeMismatch {
        expected: Vec<usize>,
        got: Vec<usize>,
    },
    /// A shape is invalid on its own (wrong element count, bad axis, ...):
    /// `{invalid_shape, Reason}`.
    InvalidShape(String),
    /// The dtype is not supported by this operation: `{invalid_dtype, Reason}`.
    InvalidDtype(String),
    /// An index or range lies outside a dimension: `{out_of_bounds, Reason}`.
    OutOfBounds(String),
    /// Any other argument the operation cannot accept: `{invalid_argument, Reason}`.
    InvalidArgument(String),
    /// NaN or infinity where only finite values are allowed: `{non_finite, Reason}`.
    NonFinite(String),
    /// The tensor was released with `deallocate`: `deallocated`.
    Deallocated,
    /// A bug inside the library (a caught panic): `{internal, Reason}`.
    Internal(String),
}

/// Shorthand for results carrying a [`TensorError`].
pub type Result<T> = std::result::Result<T, TensorError>;

impl TensorError {
    /// Builds an [`TensorError::InvalidArgument`] from anything printable.
    pub fn invalid_argument(msg: impl Into<String>) -> Self {
        TensorError::InvalidArgument(msg.into())
    }

    /// Builds an [`TensorError::InvalidShape`] from anything printable.
    pub fn invalid_shape(msg: impl Into<String>) -> Self {
        TensorError::InvalidShape(msg.into())
    }

    /// Builds an [`TensorError::OutOfBounds`] from anything printable.
    pub fn out_of_bounds(msg: impl Into<String>) -> Self {
        TensorError::OutOfBounds(msg.into())
    }
}

impl fmt::Display for TensorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TensorError::ShapeMismatch { expected, got } => {
                write!(f, "shape mismatch: expected {expected:?}, got {got:?}")
            }
            TensorError::InvalidShape(m) => write!(f, "invalid shape: {m}"),
            TensorError::InvalidDtype(m) => write!(f, "invalid dtype: {m}"),
            TensorError::OutOfBounds(m) => write!(f, "out of bounds: {m}"),
            TensorError::InvalidArgument(m) => write!(f, "invalid argument: {m}"),
            TensorError::NonFinite(m) => write!(f, "non-finite value: {m}"),
            TensorError::Deallocated => write!(f, "tensor was deallocated"),
            TensorError::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

impl std::error::Error for TensorError {}
