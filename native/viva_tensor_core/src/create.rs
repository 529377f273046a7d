//! Tensors made from nothing: constants, identity, ranges.

use crate::dtype::{DType, Element};
use crate::error::{Result, TensorError};
use crate::layout::checked_numel;
use crate::storage::Buffer;
use crate::tensor::Tensor;

/// Builds a contiguous tensor of `dtype` from f64 values (rounded to nearest-even).
pub(crate) fn from_f64_values(values: &[f64], shape: &[usize], dtype: DType) -> Result<Tensor> {
    fn conv<T: Element>(values: &[f64]) -> Buffer {
        T::into_buffer(values.iter().map(|&v| T::from_f64(v)).collect())
    }
    let n = checked_numel(shape)?;
    if n != values.len() {
        return Err(TensorError::invalid_shape(format!(
            "{} values cannot fill shape {shape:?} ({n} elements)",
            values.len()
        )));
    }
    let buffer = match dtype {
        DType::F32 => conv::<f32>(values),
        DType::F64 => conv::<f64>(values),
        DType::F16 => conv::<half::f16>(values),
        DType::BF16 => conv::<half::bf16>(values),
    };
    Ok(Tensor::from_buffer(buffer, shape.to_vec()))
}

impl Tensor {
    /// A tensor of `shape` from row-major f64 values, rounded to `dtype`.
    ///
    /// Errors: `InvalidShape` when the count differs from the shape's.
    pub fn from_f64_slice(values: &[f64], shape: &[usize], dtype: DType) -> Result<Tensor> {
        from_f64_values(values, shape, dtype)
    }

    /// A tensor of `shape` whose every element is `value` (rounded to `dtype`).
    ///
    /// Errors: `InvalidShape` when the shape is too large to address.
    pub fn full(shape: &[usize], value: f64, dtype: DType) -> Result<Tensor> {
        fn fill<T: Element>(n: usize, v: f64) -> Buffer {
            T::into_buffer(vec![T::from_f64(v); n])
        }
        let n = checked_numel(shape)?;
        let buffer = match dtype {
            DType::F32 => fill::<f32>(n, value),
            DType::F64 => fill::<f64>(n, value),
            DType::F16 => fill::<half::f16>(n, value),
            DType::BF16 => fill::<half::bf16>(n, value),
        };
        Ok(Tensor::from_buffer(buffer, shape.to_vec()))
    }

    /// All zeros. Errors: as [`Tensor::full`].
    pub fn zeros(shape: &[usize], dtype: DType) -> Result<Tensor> {
        Tensor::full(shape, 0.0, dtype)
    }

    /// All ones. Errors: as [`Tensor::full`].
    pub fn ones(shape: &[usize], dtype: DType) -> Result<Tensor> {
        Tensor::full(shape, 1.0, dtype)
    }

    /// An `n × m` matrix with ones on the main diagonal, zeros elsewhere.
    ///
    /// Errors: `InvalidShape` when too large.
    pub fn eye(n: usize, m: usize, dtype: DType) -> Result<Tensor> {
        let total = checked_numel(&[n, m])?;
        let mut values = vec![0.0f64; total];
        for i in 0..n.min(m) {
            values[i * m + i] = 1.0;
        }
        from_f64_values(&values, &[n, m], dtype)
    }

    /// `start, start+step, ...` strictly before `stop` (NumPy's `arange`), 1-D.
    /// Values are computed as `start + i*step` in f64, then rounded to `dtype`.
    ///
    /// Errors: `InvalidArgument` for a zero or non-finite step or non-finite bounds.
    pub fn arange(start: f64, stop: f64, step: f64, dtype: DType) -> Result<Tensor> {
        if !(start.is_finite() && stop.is_finite() && step.is_finite()) {
            return Err(TensorError::invalid_argument(
                "arange bounds and step must be finite",
            ));
        }
        if step == 0.0 {
            return Err(TensorError::invalid_argument("arange step must not be 0"));
        }
        let count = ((stop - start) / step).ceil().max(0.0);
        if count > (1u64 << 40) as f64 {
            return Err(TensorError::invalid_shape(format!(
                "arange would make {count} elements"
            )));
        }
        let n = count as usize;
        let values: Vec<f64> = (0..n).map(|i| start + i as f64 * step).collect();
        from_f64_values(&values, &[n], dtype)
    }

    /// `num` evenly spaced values from `start` to `stop` inclusive, 1-D
    /// (`[start]` when `num == 1`; the last value is exactly `stop`).
    ///
    /// Errors: `InvalidArgument` for non-finite bounds.
    pub fn linspace(start: f64, stop: f64, num: usize, dtype: DType) -> Result<Tensor> {
        if !(start.is_finite() && stop.is_finite()) {
            return Err(TensorError::invalid_argument(
                "linspace bounds must be finite",
            ));
        }
        checked_numel(&[num])?;
        let values: Vec<f64> = match num {
            0 => Vec::new(),
            1 => vec![start],
            _ => {
                let step = (stop - start) / (num - 1) as f64;
                (0..num)
                    .map(|i| {
                        if i == num - 1 {
                            stop
                        } else {
                            start + i as f64 * step
                        }
                    })
                    .collect()
            }
        };
        from_f64_values(&values, &[num], dtype)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants() {
        let t = Tensor::full(&[2, 2], 2.5, DType::BF16).unwrap();
        assert_eq!(t.to_f64_vec(), vec![2.5; 4]);
        assert_eq!(Tensor::zeros(&[0, 3], DType::F32).unwrap().numel(), 0);
        assert_eq!(
            Tensor::ones(&[], DType::F64).unwrap().to_f64_vec(),
            vec![1.0]
        );
    }

    #[test]
    fn eye_is_rectangular() {
        let t = Tensor::eye(2, 3, DType::F32).unwrap();
        assert_eq!(t.to_f64_vec(), vec![1., 0., 0., 0., 1., 0.]);
    }

    #[test]
    fn arange_counts_like_numpy() {
        assert_eq!(
            Tensor::arange(0.0, 1.0, 0.25, DType::F64)
                .unwrap()
                .to_f64_vec(),
            vec![0.0, 0.25, 0.5, 0.75]
        );
        assert_eq!(
            Tensor::arange(5.0, 0.0, -2.0, DType::F64)
                .unwrap()
                .to_f64_vec(),
            vec![5.0, 3.0, 1.0]
        );
        assert_eq!(
            Tensor::arange(1.0, 0.0, 1.0, DType::F32).unwrap().numel(),
            0
        );
        assert!(Tensor::arange(0.0, 1.0, 0.0, DType::F32).is_err());
        assert!(Tensor::arange(0.0, f64::NAN, 1.0, DType::F32).is_err());
    }

    #[test]
    fn linspace_ends_on_stop() {
        let v = Tensor::linspace(0.0, 1.0, 3, DType::F64)
            .unwrap()
            .to_f64_vec();
        assert_eq!(v, vec![0.0, 0.5, 1.0]);
        let v = Tensor::linspace(0.1, 0.7, 7, DType::F64)
            .unwrap()
            .to_f64_vec();
        assert_eq!(*v.last().unwrap(), 0.7);
        assert_eq!(
            Tensor::linspace(3.0, 9.0, 1, DType::F32)
                .unwrap()
                .to_f64_vec(),
            vec![3.0]
        );
        assert!(Tensor::linspace(0.0, f64::INFINITY, 3, DType::F32).is_err());
    }
}
