//! Element-wise math, comparisons, reductions and softmax.
//!
//! Every operation returns a new contiguous tensor and accepts any strided
//! view as input (transposed, sliced, broadcast...). Conventions shared by
//! all of them:
//!
//! - **dtypes**: the result has the inputs' dtype. f32 and f64 compute in
//!   their own precision; f16 and bf16 compute in f32 and round once, to
//!   nearest-even, when the result is stored. Reductions accumulate in f64
//!   (see [`reduce`]).
//! - **no implicit promotion**: a binary operation on two different dtypes
//!   fails with `InvalidDtype`; convert first with [`Tensor::as_type`].
//! - **broadcasting** follows NumPy ([`broadcast::broadcast_shapes`]).
//! - **NaN/Inf** propagate as IEEE-754 says; `maximum`/`minimum`, `max`/`min`
//!   propagate NaN like `numpy.maximum` / `numpy.max`.
//! - **masks**: there is no bool dtype yet, so comparisons return 1.0/0.0 in
//!   the inputs' dtype and [`compare::where_`] treats any nonzero (or NaN)
//!   mask element as true.
//!
//! Files: [`broadcast`] (shapes and the strided multi-operand iteration),
//! [`binary`], [`compare`], [`unary`], [`reduce`], [`softmax`].

pub mod binary;
pub mod broadcast;
pub mod compare;
pub mod reduce;
pub mod softmax;
pub mod unary;

#[cfg(test)]
pub(crate) mod testutil;

pub use binary::*;
pub use broadcast::broadcast_shapes;
pub use compare::*;
pub use reduce::*;
pub use softmax::*;
pub use unary::*;

use std::ops::{Add, Div, Mul, Neg, Sub};

use half::{bf16, f16};

use crate::dtype::Element;

/// The type arithmetic happens in: f32 or f64.
pub(crate) trait Real:
    Copy
    + Send
    + Sync
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + std::fmt::Debug
    + 'static
{
    const ZERO: Self;
    const ONE: Self;
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
    fn is_nan(self) -> bool;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn sqrt(self) -> Self;
    fn tanh(self) -> Self;
    fn sin(self) -> Self;
    fn cos(self) -> Self;
    fn abs(self) -> Self;
    fn powf(self, e: Self) -> Self;
    fn erf(self) -> Self;
}

macro_rules! impl_real {
    ($t:ty, $erf:path) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline(always)]
            fn sin(self) -> Self {
                <$t>::sin(self)
            }
            #[inline(always)]
            fn cos(self) -> Self {
                <$t>::cos(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn powf(self, e: Self) -> Self {
                <$t>::powf(self, e)
            }
            #[inline(always)]
            fn erf(self) -> Self {
                $erf(self)
            }
        }
    };
}

impl_real!(f32, libm::erff);
impl_real!(f64, libm::erf);

/// An element type together with the type it computes in.
pub(crate) trait Elem: Element {
    /// f64 for f64, f32 for the others.
    type C: Real;
    /// Widens to the compute type (exact).
    fn load(self) -> Self::C;
    /// Rounds a computed value to the element type (nearest-even).
    fn store(c: Self::C) -> Self;
}

impl Elem for f32 {
    type C = f32;
    #[inline(always)]
    fn load(self) -> f32 {
        self
    }
    #[inline(always)]
    fn store(c: f32) -> Self {
        c
    }
}

impl Elem for f64 {
    type C = f64;
    #[inline(always)]
    fn load(self) -> f64 {
        self
    }
    #[inline(always)]
    fn store(c: f64) -> Self {
        c
    }
}

impl Elem for f16 {
    type C = f32;
    #[inline(always)]
    fn load(self) -> f32 {
        self.to_f32()
    }
    #[inline(always)]
    fn store(c: f32) -> Self {
        f16::from_f32(c)
    }
}

impl Elem for bf16 {
    type C = f32;
    #[inline(always)]
    fn load(self) -> f32 {
        self.to_f32()
    }
    #[inline(always)]
    fn store(c: f32) -> Self {
        bf16::from_f32(c)
    }
}

/// The `InvalidDtype` error of a binary operation on two dtypes.
pub(crate) fn dtype_mismatch(
    op: &str,
    a: crate::DType,
    b: crate::DType,
) -> crate::error::TensorError {
    crate::error::TensorError::InvalidDtype(format!(
        "{op}: operands are {} and {}; convert one with as_type (no implicit promotion)",
        a.name(),
        b.name()
    ))
}

/// Runs `$body` with `$x`, `$y` bound to the typed storage of two tensors of
/// the same dtype; returns `InvalidDtype` from the enclosing function otherwise.
macro_rules! dispatch2 {
    ($op:expr, $a:expr, $b:expr, $x:ident, $y:ident => $body:expr) => {{
        use $crate::storage::Buffer;
        match ($a.storage().buffer(), $b.storage().buffer()) {
            (Buffer::F32($x), Buffer::F32($y)) => $body,
            (Buffer::F64($x), Buffer::F64($y)) => $body,
            (Buffer::F16($x), Buffer::F16($y)) => $body,
            (Buffer::BF16($x), Buffer::BF16($y)) => $body,
            _ => {
                return Err($crate::ops::dtype_mismatch($op, $a.dtype(), $b.dtype()));
            }
        }
    }};
}
pub(crate) use dispatch2;
