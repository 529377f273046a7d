//! Views: new shapes over the same storage, no element copied.
//!
//! `reshape` is the one exception: a non-contiguous input is copied first
//! (the result is then a view of that copy).

use crate::error::{Result, TensorError};
use crate::layout::{checked_numel, normalize_axis, Layout};
use crate::tensor::Tensor;

/// One axis of a [`Tensor::slice`]: elements `start, start+step, ...` below `stop`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SliceSpec {
    /// First index; negative counts from the end.
    pub start: i64,
    /// One past the last index; negative counts from the end.
    pub stop: i64,
    /// Distance between taken indices; must be ≥ 1.
    pub step: i64,
}

impl Tensor {
    /// The same elements under a new shape. One dimension may be `-1`: it is
    /// inferred from the others. Shares storage when the input is contiguous,
    /// copies otherwise.
    ///
    /// Errors: `InvalidShape` when the element counts differ, more than one
    /// `-1` is given, or a dimension is below `-1`.
    pub fn reshape(&self, shape: &[i64]) -> Result<Tensor> {
        let new_shape = infer_shape(shape, self.numel(), self.shape())?;
        let base = if self.is_contiguous() {
            self.clone()
        } else {
            self.copy()
        };
        let strides = crate::layout::contiguous_strides(&new_shape);
        let layout = Layout::from_parts(new_shape, strides, base.layout().offset());
        Ok(base.with_layout(layout))
    }

    /// Reverses the order of the axes (a 2-D matrix becomes its transpose).
    pub fn transpose(&self) -> Tensor {
        let axes: Vec<i64> = (0..self.rank() as i64).rev().collect();
        self.permute(&axes)
            .expect("a reversed axis list is a permutation")
    }

    /// Reorders the axes: result axis `i` is input axis `axes[i]`
    /// (negative axes count from the end).
    ///
    /// Errors: `InvalidArgument` when `axes` is not a permutation of `0..rank`;
    /// `OutOfBounds` for an axis outside the rank.
    pub fn permute(&self, axes: &[i64]) -> Result<Tensor> {
        let rank = self.rank();
        if axes.len() != rank {
            return Err(TensorError::invalid_argument(format!(
                "permutation {axes:?} has {} axes, the tensor has {rank}",
                axes.len()
            )));
        }
        let mut seen = vec![false; rank];
        let mut shape = Vec::with_capacity(rank);
        let mut strides = Vec::with_capacity(rank);
        for &a in axes {
            let a = normalize_axis(a, rank)?;
            if std::mem::replace(&mut seen[a], true) {
                return Err(TensorError::invalid_argument(format!(
                    "axis {a} appears twice in permutation {axes:?}"
                )));
            }
            shape.push(self.shape()[a]);
            strides.push(self.strides()[a]);
        }
        Ok(self.with_layout(Layout::from_parts(shape, strides, self.layout().offset())))
    }

    /// Takes `start..stop` by `step` along each axis; axes past `specs.len()`
    /// are kept whole. Negative `start`/`stop` count from the end of the axis.
    ///
    /// Errors: `OutOfBounds` when a bound lies outside `[-dim, dim]`;
    /// `InvalidArgument` when `step < 1`, `stop < start`, or more specs than axes.
    pub fn slice(&self, specs: &[SliceSpec]) -> Result<Tensor> {
        let rank = self.rank();
        if specs.len() > rank {
            return Err(TensorError::invalid_argument(format!(
                "{} slice specs for a rank-{rank} tensor",
                specs.len()
            )));
        }
        let mut shape = self.shape().to_vec();
        let mut strides = self.strides().to_vec();
        let mut offset = self.layout().offset() as isize;
        for (axis, spec) in specs.iter().enumerate() {
            let dim = shape[axis];
            let start = resolve_bound(spec.start, dim, axis)?;
            let stop = resolve_bound(spec.stop, dim, axis)?;
            if spec.step < 1 {
                return Err(TensorError::invalid_argument(format!(
                    "slice step on axis {axis} must be >= 1, got {}",
                    spec.step
                )));
            }
            if stop < start {
                return Err(TensorError::invalid_argument(format!(
                    "slice on axis {axis} stops ({stop}) before it starts ({start})"
                )));
            }
            let step = spec.step as usize;
            let len = (stop - start).div_ceil(step);
            if len > 0 {
                offset += start as isize * strides[axis];
            }
            shape[axis] = len;
            strides[axis] *= step as isize;
        }
        Ok(self.with_layout(Layout::from_parts(shape, strides, offset as usize)))
    }

    /// Removes size-1 axes: all of them when `axes` is empty, else exactly those named.
    ///
    /// Errors: `InvalidShape` when a named axis is not of size 1; `OutOfBounds`
    /// for an axis outside the rank.
    pub fn squeeze(&self, axes: &[i64]) -> Result<Tensor> {
        let rank = self.rank();
        let mut drop = vec![false; rank];
        if axes.is_empty() {
            for (d, &dim) in drop.iter_mut().zip(self.shape()) {
                *d = dim == 1;
            }
        } else {
            for &a in axes {
                let a = normalize_axis(a, rank)?;
                if self.shape()[a] != 1 {
                    return Err(TensorError::invalid_shape(format!(
                        "cannot squeeze axis {a} of size {} in shape {:?}",
                        self.shape()[a],
                        self.shape()
                    )));
                }
                drop[a] = true;
            }
        }
        let (shape, strides) = self
            .shape()
            .iter()
            .zip(self.strides())
            .zip(&drop)
            .filter(|(_, &d)| !d)
            .map(|((&s, &st), _)| (s, st))
            .unzip();
        Ok(self.with_layout(Layout::from_parts(shape, strides, self.layout().offset())))
    }

    /// Inserts a size-1 axis at `axis` (in `[-rank-1, rank]`; `-1` appends).
    ///
    /// Errors: `OutOfBounds` for an axis outside that range.
    pub fn unsqueeze(&self, axis: i64) -> Result<Tensor> {
        let a = normalize_axis(axis, self.rank() + 1)?;
        let mut shape = self.shape().to_vec();
        let mut strides = self.strides().to_vec();
        shape.insert(a, 1);
        strides.insert(a, 0);
        Ok(self.with_layout(Layout::from_parts(shape, strides, self.layout().offset())))
    }

    /// Broadcasts to `shape` under NumPy rules (align trailing axes; a size-1
    /// or missing axis repeats with stride 0). No element is copied.
    ///
    /// Errors: `ShapeMismatch { expected: shape, got: self.shape }` when the
    /// shapes are not compatible.
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        checked_numel(shape)?;
        let mismatch = || TensorError::ShapeMismatch {
            expected: shape.to_vec(),
            got: self.shape().to_vec(),
        };
        if shape.len() < self.rank() {
            return Err(mismatch());
        }
        let lead = shape.len() - self.rank();
        let mut strides = vec![0isize; shape.len()];
        for (i, (&src, &st)) in self.shape().iter().zip(self.strides()).enumerate() {
            let target = shape[lead + i];
            strides[lead + i] = if src == target {
                st
            } else if src == 1 {
                0
            } else {
                return Err(mismatch());
            };
        }
        Ok(self.with_layout(Layout::from_parts(
            shape.to_vec(),
            strides,
            self.layout().offset(),
        )))
    }

    /// PyTorch's `expand`: [`Tensor::broadcast_to`] where `-1` keeps the
    /// existing size of that (trailing-aligned) axis.
    ///
    /// Errors: as `broadcast_to`; `InvalidShape` for `-1` on a new leading axis
    /// or a dimension below `-1`.
    pub fn expand(&self, shape: &[i64]) -> Result<Tensor> {
        let lead = shape.len().saturating_sub(self.rank());
        let mut target = Vec::with_capacity(shape.len());
        for (i, &d) in shape.iter().enumerate() {
            target.push(match d {
                -1 if i >= lead => self.shape()[i - lead],
                -1 => {
                    return Err(TensorError::invalid_shape(format!(
                        "-1 in expand shape {shape:?} at new leading axis {i}"
                    )))
                }
                d if d < 0 => {
                    return Err(TensorError::invalid_shape(format!(
                        "negative dimension {d} in {shape:?}"
                    )))
                }
                d => d as usize,
            });
        }
        self.broadcast_to(&target)
    }
}

/// Resolves a shape with at most one `-1` against a known element count.
fn infer_shape(shape: &[i64], numel: usize, from: &[usize]) -> Result<Vec<usize>> {
    let mut inferred = None;
    let mut known = 1usize;
    for (i, &d) in shape.iter().enumerate() {
        match d {
            -1 if inferred.is_some() => {
                return Err(TensorError::invalid_shape(format!(
                    "more than one -1 in {shape:?}"
                )))
            }
            -1 => inferred = Some(i),
            d if d < 0 => {
                return Err(TensorError::invalid_shape(format!(
                    "negative dimension {d} in {shape:?}"
                )))
            }
            d => {
                known = known.checked_mul(d as usize).ok_or_else(|| {
                    TensorError::invalid_shape(format!("shape {shape:?} is too large"))
                })?
            }
        }
    }
    let mut out: Vec<usize> = shape.iter().map(|&d| d.max(0) as usize).collect();
    match inferred {
        Some(i) if known != 0 && numel.is_multiple_of(known) => out[i] = numel / known,
        None if known == numel => {}
        _ => {
            return Err(TensorError::invalid_shape(format!(
                "cannot reshape {from:?} ({numel} elements) into {shape:?}"
            )))
        }
    }
    checked_numel(&out)?;
    Ok(out)
}

fn resolve_bound(b: i64, dim: usize, axis: usize) -> Result<usize> {
    let d = dim as i64;
    let r = if b < 0 { b + d } else { b };
    if r < 0 || r > d {
        return Err(TensorError::out_of_bounds(format!(
            "slice bound {b} is outside axis {axis} of size {dim}"
        )));
    }
    Ok(r as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iota(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        Tensor::from_vec((0..n).map(|i| i as f32).collect(), shape).unwrap()
    }

    #[test]
    fn reshape_infers_and_shares() {
        let t = iota(&[2, 3, 4]);
        let r = t.reshape(&[4, -1]).unwrap();
        assert_eq!(r.shape(), &[4, 6]);
        assert!(r.shares_storage_with(&t));
        assert!(t.reshape(&[5, -1]).is_err());
        assert!(t.reshape(&[-1, -1]).is_err());
        assert!(t.reshape(&[-2, 12]).is_err());
    }

    #[test]
    fn reshape_of_a_transpose_copies() {
        let t = iota(&[2, 3]);
        let r = t.transpose().reshape(&[6]).unwrap();
        assert!(!r.shares_storage_with(&t));
        assert_eq!(r.to_vec::<f32>().unwrap(), vec![0., 3., 1., 4., 2., 5.]);
    }

    #[test]
    fn views_share_storage_and_add_no_bytes() {
        let t = iota(&[64, 64]);
        let views = [
            t.transpose(),
            t.permute(&[1, 0]).unwrap(),
            t.slice(&[SliceSpec {
                start: 1,
                stop: 9,
                step: 2,
            }])
            .unwrap(),
            t.unsqueeze(0).unwrap().squeeze(&[]).unwrap(),
            t.broadcast_to(&[8, 64, 64]).unwrap(),
            t.expand(&[2, -1, -1]).unwrap(),
            t.reshape(&[4096]).unwrap(),
        ];
        // The byte account is process-wide and other tests allocate in
        // parallel, so sharing is checked directly here; the EUnit suite
        // checks the account itself.
        for v in &views {
            assert!(v.shares_storage_with(&t));
        }
    }

    #[test]
    fn slice_takes_steps_and_negative_bounds() {
        let t = iota(&[10]);
        let s = t
            .slice(&[SliceSpec {
                start: -8,
                stop: 9,
                step: 3,
            }])
            .unwrap();
        assert_eq!(s.to_vec::<f32>().unwrap(), vec![2., 5., 8.]);
        let e = t
            .slice(&[SliceSpec {
                start: 4,
                stop: 4,
                step: 1,
            }])
            .unwrap();
        assert_eq!(e.shape(), &[0]);
        assert!(t
            .slice(&[SliceSpec {
                start: 0,
                stop: 11,
                step: 1
            }])
            .is_err());
        assert!(t
            .slice(&[SliceSpec {
                start: 0,
                stop: 5,
                step: 0
            }])
            .is_err());
        assert!(t
            .slice(&[SliceSpec {
                start: 5,
                stop: 2,
                step: 1
            }])
            .is_err());
    }

    #[test]
    fn slice_of_a_matrix_column() {
        let t = iota(&[3, 4]);
        let c = t
            .slice(&[
                SliceSpec {
                    start: 0,
                    stop: 3,
                    step: 1,
                },
                SliceSpec {
                    start: 2,
                    stop: 3,
                    step: 1,
                },
            ])
            .unwrap();
        assert_eq!(c.to_vec::<f32>().unwrap(), vec![2., 6., 10.]);
    }

    #[test]
    fn squeeze_and_unsqueeze() {
        let t = iota(&[1, 3, 1]);
        assert_eq!(t.squeeze(&[]).unwrap().shape(), &[3]);
        assert_eq!(t.squeeze(&[-1]).unwrap().shape(), &[1, 3]);
        assert!(t.squeeze(&[1]).is_err());
        assert_eq!(t.unsqueeze(-1).unwrap().shape(), &[1, 3, 1, 1]);
        assert!(t.unsqueeze(5).is_err());
    }

    #[test]
    fn broadcast_follows_numpy_rules() {
        let t = iota(&[3, 1]);
        let b = t.broadcast_to(&[2, 3, 4]).unwrap();
        assert_eq!(b.strides(), &[0, 1, 0]);
        let v = b.to_vec::<f32>().unwrap();
        assert_eq!(&v[..8], &[0., 0., 0., 0., 1., 1., 1., 1.]);
        assert!(matches!(
            t.broadcast_to(&[3, 2, 2]),
            Err(TensorError::ShapeMismatch { .. })
        ));
        assert!(t.broadcast_to(&[4]).is_err());
        assert_eq!(t.expand(&[-1, 5]).unwrap().shape(), &[3, 5]);
        assert!(t.expand(&[-1, -1, 5]).is_err());
    }

    #[test]
    fn permute_validates() {
        let t = iota(&[2, 3, 4]);
        assert_eq!(t.permute(&[2, 0, 1]).unwrap().shape(), &[4, 2, 3]);
        assert!(t.permute(&[0, 0, 1]).is_err());
        assert!(t.permute(&[0, 1]).is_err());
        assert!(t.permute(&[0, 1, 3]).is_err());
    }
}
