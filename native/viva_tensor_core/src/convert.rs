//! Moving elements between dtypes and raw bytes.

use rayon::prelude::*;

use crate::dtype::{DType, Element};
use crate::error::{Result, TensorError};
use crate::layout::checked_numel;
use crate::storage::Buffer;
use crate::tensor::{Tensor, PARALLEL_MIN_ELEMS};
use crate::with_buffer;

/// Converts element by element with one rounding (nearest-even): through f64
/// when either side is f64, else through f32, which holds f16 and bf16 exactly.
fn cast_slice<S: Element, D: Element>(src: &[S]) -> Vec<D> {
    let wide = S::DTYPE == DType::F64 || D::DTYPE == DType::F64;
    let one = move |s: &S| {
        if wide {
            D::from_f64(s.to_f64())
        } else {
            D::from_f32(s.to_f32())
        }
    };
    if src.len() < PARALLEL_MIN_ELEMS {
        src.iter().map(one).collect()
    } else {
        src.par_iter()
            .with_min_len(PARALLEL_MIN_ELEMS)
            .map(one)
            .collect()
    }
}

fn cast_to<D: Element>(t: &Tensor) -> Buffer {
    let c = t.contiguous();
    let bytes_view = c.storage().buffer();
    with_buffer!(bytes_view, v => D::into_buffer(cast_slice::<_, D>(v)))
}

impl Tensor {
    /// The same values in another dtype (rounded to nearest-even when
    /// narrowing; out-of-range values become ±inf). Converting to the
    /// tensor's own dtype returns the tensor itself (no copy).
    pub fn as_type(&self, dtype: DType) -> Tensor {
        if dtype == self.dtype() {
            return self.clone();
        }
        let buffer = match dtype {
            DType::F32 => cast_to::<f32>(self),
            DType::F64 => cast_to::<f64>(self),
            DType::F16 => cast_to::<half::f16>(self),
            DType::BF16 => cast_to::<half::bf16>(self),
        };
        Tensor::from_buffer(buffer, self.shape().to_vec())
    }

    /// A tensor over a copy of `bytes`: row-major elements of `dtype` in native
    /// endianness (little-endian on x86-64/arm64), the layout `to_bytes` writes.
    ///
    /// Errors: `InvalidArgument` when the byte count is not `numel(shape) * size_of(dtype)`;
    /// `InvalidShape` when the shape is too large.
    pub fn from_bytes(bytes: &[u8], dtype: DType, shape: &[usize]) -> Result<Tensor> {
        let n = checked_numel(shape)?;
        let want = n
            .checked_mul(dtype.size_of())
            .ok_or_else(|| TensorError::invalid_shape(format!("shape {shape:?} is too large")))?;
        if bytes.len() != want {
            return Err(TensorError::invalid_argument(format!(
                "{} bytes given; shape {shape:?} of {} needs {want}",
                bytes.len(),
                dtype.name()
            )));
        }
        // pod_collect_to_vec copies with memcpy and copes with any alignment.
        let buffer = match dtype {
            DType::F32 => Buffer::F32(bytemuck::pod_collect_to_vec(bytes)),
            DType::F64 => Buffer::F64(bytemuck::pod_collect_to_vec(bytes)),
            DType::F16 => Buffer::F16(bytemuck::pod_collect_to_vec(bytes)),
            DType::BF16 => Buffer::BF16(bytemuck::pod_collect_to_vec(bytes)),
        };
        Ok(Tensor::from_buffer(buffer, shape.to_vec()))
    }

    /// The elements as row-major native-endian bytes, copied.
    /// (The NIF exports contiguous tensors without this copy.)
    pub fn to_bytes(&self) -> Vec<u8> {
        match self.contiguous_bytes() {
            Some(b) => b.to_vec(),
            None => self
                .copy()
                .contiguous_bytes()
                .expect("a copy is contiguous")
                .to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use half::{bf16, f16};

    #[test]
    fn as_type_rounds_to_nearest_even() {
        let t = Tensor::from_vec(vec![1.0f32 + f32::EPSILON, 65520.0, 1e-8], &[3]).unwrap();
        let h = t.as_type(DType::F16);
        let v = h.to_vec::<f16>().unwrap();
        assert_eq!(v[0], f16::ONE);
        assert!(v[1].is_infinite(), "65520 rounds past f16 max");
        assert_eq!(v[2], f16::from_f32(1e-8));
        let b = t.as_type(DType::BF16).to_vec::<bf16>().unwrap();
        assert_eq!(b[0], bf16::ONE);
    }

    #[test]
    fn as_type_same_dtype_shares() {
        let t = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
        assert!(t.as_type(DType::F32).shares_storage_with(&t));
    }

    #[test]
    fn every_pair_round_trips_small_integers() {
        let t = Tensor::from_f64_slice(&[-3.0, 0.0, 2.0, 7.5], &[2, 2], DType::F64).unwrap();
        for a in DType::ALL {
            for b in DType::ALL {
                let back = t.as_type(a).as_type(b).as_type(DType::F64);
                assert_eq!(back.to_f64_vec(), t.to_f64_vec(), "{a:?}->{b:?}");
            }
        }
    }

    #[test]
    fn as_type_of_a_view_uses_the_view() {
        let t = Tensor::from_vec((0..6).map(|i| i as f32).collect(), &[2, 3]).unwrap();
        let v = t.transpose().as_type(DType::F64);
        assert_eq!(v.to_f64_vec(), vec![0., 3., 1., 4., 2., 5.]);
    }

    #[test]
    fn bytes_round_trip_and_length_is_checked() {
        let t = Tensor::from_vec(vec![1.5f32, -2.0, 3.25], &[3]).unwrap();
        let b = t.to_bytes();
        assert_eq!(b.len(), 12);
        let back = Tensor::from_bytes(&b, DType::F32, &[3]).unwrap();
        assert_eq!(back.to_vec::<f32>().unwrap(), vec![1.5, -2.0, 3.25]);
        assert!(Tensor::from_bytes(&b[1..], DType::F32, &[3]).is_err());
        assert!(Tensor::from_bytes(&b, DType::F32, &[4]).is_err());
        // unaligned input is fine
        let mut shifted = vec![0u8];
        shifted.extend_from_slice(&b);
        assert!(Tensor::from_bytes(&shifted[1..], DType::F32, &[3]).is_ok());
    }
}
