//! Element types a tensor can hold, and the trait that lets kernels be
//! written once for all of them.

use half::{bf16, f16};

use crate::error::{Result, TensorError};
use crate::storage::Buffer;

/// The element type of a tensor.
///
/// On the BEAM each variant is the atom of its name: `f32`, `f64`, `f16`, `bf16`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// IEEE-754 binary32 (the default).
    F32,
    /// IEEE-754 binary64.
    F64,
    /// IEEE-754 binary16.
    F16,
    /// bfloat16: binary32's exponent, 7 mantissa bits.
    BF16,
}

impl DType {
    /// Every dtype, in a fixed order (used by tests and error messages).
    pub const ALL: [DType; 4] = [DType::F32, DType::F64, DType::F16, DType::BF16];

    /// The name used on the BEAM (`"f32"`, `"f64"`, `"f16"`, `"bf16"`).
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
            DType::F16 => "f16",
            DType::BF16 => "bf16",
        }
    }

    /// Parses a BEAM dtype name.
    ///
    /// Errors: `InvalidDtype` naming the accepted values.
    pub fn from_name(name: &str) -> Result<DType> {
        DType::ALL
            .into_iter()
            .find(|d| d.name() == name)
            .ok_or_else(|| {
                TensorError::InvalidDtype(format!(
                    "unknown dtype '{name}'; expected one of f32, f64, f16, bf16"
                ))
            })
    }

    /// Bytes per element.
    pub fn size_of(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 => 8,
            DType::F16 | DType::BF16 => 2,
        }
    }
}

/// A scalar type that can live in a tensor.
///
/// Every conversion goes through `f64` (exact for all four dtypes) or `f32`
/// (exact for f16/bf16), rounding to nearest-even on the way down.
pub trait Element:
    Copy + Send + Sync + PartialOrd + Default + bytemuck::Pod + std::fmt::Debug + 'static
{
    /// The dtype tag of this type.
    const DTYPE: DType;
    /// Rounds an f64 to this type (nearest-even).
    fn from_f64(v: f64) -> Self;
    /// Widens to f64 (exact).
    fn to_f64(self) -> f64;
    /// Rounds an f32 to this type (nearest-even).
    fn from_f32(v: f32) -> Self;
    /// Converts to f32 (exact for f32/f16/bf16, rounding for f64).
    fn to_f32(self) -> f32;
    /// Wraps a vector of this type into an untyped buffer.
    fn into_buffer(v: Vec<Self>) -> Buffer;
    /// Borrows the buffer's data if it holds this type.
    fn slice(b: &Buffer) -> Option<&[Self]>;
}

/// Rounds f64 to f32 toward zero, then sets the last mantissa bit when the
/// result is inexact ("round to odd").
///
/// Rounding that f32 once more to a format with at least two fewer mantissa
/// bits (f16, bf16) then gives the correctly rounded nearest-even result,
/// which `half`'s own f64 conversions do not (they can round twice).
fn f64_to_f32_round_to_odd(v: f64) -> f32 {
    let nearest = v as f32;
    if !nearest.is_finite() || nearest as f64 == v {
        return nearest;
    }
    let toward_zero = if (nearest as f64).abs() > v.abs() {
        f32::from_bits(nearest.to_bits() - 1)
    } else {
        nearest
    };
    f32::from_bits(toward_zero.to_bits() | 1)
}

impl Element for f32 {
    const DTYPE: DType = DType::F32;
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn from_f32(v: f32) -> Self {
        v
    }
    fn to_f32(self) -> f32 {
        self
    }
    fn into_buffer(v: Vec<Self>) -> Buffer {
        Buffer::F32(v)
    }
    fn slice(b: &Buffer) -> Option<&[Self]> {
        match b {
            Buffer::F32(v) => Some(v),
            _ => None,
        }
    }
}

impl Element for f64 {
    const DTYPE: DType = DType::F64;
    fn from_f64(v: f64) -> Self {
        v
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn from_f32(v: f32) -> Self {
        v as f64
    }
    fn to_f32(self) -> f32 {
        self as f32
    }
    fn into_buffer(v: Vec<Self>) -> Buffer {
        Buffer::F64(v)
    }
    fn slice(b: &Buffer) -> Option<&[Self]> {
        match b {
            Buffer::F64(v) => Some(v),
            _ => None,
        }
    }
}

impl Element for f16 {
    const DTYPE: DType = DType::F16;
    fn from_f64(v: f64) -> Self {
        f16::from_f32(f64_to_f32_round_to_odd(v))
    }
    fn to_f64(self) -> f64 {
        self.to_f64()
    }
    fn from_f32(v: f32) -> Self {
        f16::from_f32(v)
    }
    fn to_f32(self) -> f32 {
        self.to_f32()
    }
    fn into_buffer(v: Vec<Self>) -> Buffer {
        Buffer::F16(v)
    }
    fn slice(b: &Buffer) -> Option<&[Self]> {
        match b {
            Buffer::F16(v) => Some(v),
            _ => None,
        }
    }
}

impl Element for bf16 {
    const DTYPE: DType = DType::BF16;
    fn from_f64(v: f64) -> Self {
        bf16::from_f32(f64_to_f32_round_to_odd(v))
    }
    fn to_f64(self) -> f64 {
        self.to_f64()
    }
    fn from_f32(v: f32) -> Self {
        bf16::from_f32(v)
    }
    fn to_f32(self) -> f32 {
        self.to_f32()
    }
    fn into_buffer(v: Vec<Self>) -> Buffer {
        Buffer::BF16(v)
    }
    fn slice(b: &Buffer) -> Option<&[Self]> {
        match b {
            Buffer::BF16(v) => Some(v),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for d in DType::ALL {
            assert_eq!(DType::from_name(d.name()).unwrap(), d);
        }
    }

    #[test]
    fn unknown_name_is_invalid_dtype() {
        assert!(matches!(
            DType::from_name("int7"),
            Err(TensorError::InvalidDtype(_))
        ));
    }

    #[test]
    fn f64_to_f16_rounds_once() {
        // 1 + 2^-11 + 2^-30 is just above the f16 midpoint between 1 and
        // 1 + 2^-10; going through f32 first would land on the midpoint and
        // round to even (1.0). Direct rounding must give 1 + 2^-10.
        let v = 1.0 + 2f64.powi(-11) + 2f64.powi(-30);
        assert_eq!(<f16 as Element>::from_f64(v).to_f64(), 1.0 + 2f64.powi(-10));
    }

    #[test]
    fn round_to_odd_keeps_exact_values_and_marks_inexact_ones() {
        assert_eq!(f64_to_f32_round_to_odd(1.5), 1.5);
        assert_eq!(f64_to_f32_round_to_odd(-0.0).to_bits(), (-0.0f32).to_bits());
        let r = f64_to_f32_round_to_odd(1.0 + 2f64.powi(-30));
        assert_eq!(r.to_bits(), 1.0f32.to_bits() | 1);
        assert!(f64_to_f32_round_to_odd(f64::NAN).is_nan());
        assert_eq!(f64_to_f32_round_to_odd(1e300), f32::INFINITY);
    }

    #[test]
    fn f64_to_half_types_is_correctly_rounded() {
        for &(v, want) in &[
            (1.0 + 2f64.powi(-11) + 2f64.powi(-30), 1.0 + 2f64.powi(-10)),
            (1.0 + 2f64.powi(-11), 1.0),
            (1.0 + 3.0 * 2f64.powi(-11), 1.0 + 2.0 * 2f64.powi(-10)),
            (
                -(1.0 + 2f64.powi(-11) + 2f64.powi(-40)),
                -(1.0 + 2f64.powi(-10)),
            ),
        ] {
            assert_eq!(<f16 as Element>::from_f64(v).to_f64(), want, "{v}");
        }
        let v = 1.0 + 2f64.powi(-8) + 2f64.powi(-35);
        assert_eq!(<bf16 as Element>::from_f64(v).to_f64(), 1.0 + 2f64.powi(-7));
        assert!(<f16 as Element>::from_f64(1e10).is_infinite());
    }
}
