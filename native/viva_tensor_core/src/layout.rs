//! Shape, strides and offset: how a view maps indices onto its storage.

use crate::error::{Result, TensorError};

/// The highest rank accepted. Far above what models use; it bounds the work
/// a malformed shape can ask for.
pub const MAX_RANK: usize = 32;

/// How a view's logical indices map onto elements of its storage:
/// element `[i0, i1, ...]` lives at `offset + Σ ik * strides[k]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    shape: Vec<usize>,
    strides: Vec<isize>,
    offset: usize,
}

/// Number of elements of a shape (1 for the scalar shape `[]`).
///
/// Errors: `InvalidShape` when the product overflows `usize`.
pub fn checked_numel(shape: &[usize]) -> Result<usize> {
    if shape.len() > MAX_RANK {
        return Err(TensorError::invalid_shape(format!(
            "rank {} exceeds the maximum rank {MAX_RANK}",
            shape.len()
        )));
    }
    shape.iter().try_fold(1usize, |acc, &d| {
        acc.checked_mul(d)
            .ok_or_else(|| TensorError::invalid_shape(format!("shape {shape:?} is too large")))
    })
}

/// Row-major (C order) strides, in elements, for a shape.
pub fn contiguous_strides(shape: &[usize]) -> Vec<isize> {
    let mut strides = vec![0isize; shape.len()];
    let mut acc = 1isize;
    for (s, &d) in strides.iter_mut().zip(shape).rev() {
        *s = acc;
        acc *= d.max(1) as isize;
    }
    strides
}

/// Normalises a possibly negative axis against `rank` (NumPy style: `-1` is the last).
///
/// Errors: `OutOfBounds` when the axis is outside `[-rank, rank)`.
pub fn normalize_axis(axis: i64, rank: usize) -> Result<usize> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if a < 0 || a >= r {
        return Err(TensorError::out_of_bounds(format!(
            "axis {axis} is out of range for rank {rank}"
        )));
    }
    Ok(a as usize)
}

impl Layout {
    /// A contiguous row-major layout at offset 0.
    pub fn contiguous(shape: Vec<usize>) -> Layout {
        let strides = contiguous_strides(&shape);
        Layout {
            shape,
            strides,
            offset: 0,
        }
    }

    /// A layout with explicit strides; the caller guarantees every index stays
    /// inside the storage it will be paired with.
    pub(crate) fn from_parts(shape: Vec<usize>, strides: Vec<isize>, offset: usize) -> Layout {
        debug_assert_eq!(shape.len(), strides.len());
        Layout {
            shape,
            strides,
            offset,
        }
    }

    /// Dimensions.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Element strides per dimension.
    pub fn strides(&self) -> &[isize] {
        &self.strides
    }

    /// Index of element `[0, 0, ...]` in the storage.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// True when the elements are laid out row-major without gaps, so the
    /// view is the storage range `offset .. offset + numel`.
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1isize;
        for (&d, &s) in self.shape.iter().zip(&self.strides).rev() {
            if d != 1 && s != expected {
                return false;
            }
            expected *= d as isize;
        }
        true
    }

    /// The storage index of the `row`-th run of the last axis (all axes but
    /// the last, enumerated in row-major order).
    pub(crate) fn row_start(&self, mut row: usize) -> isize {
        let mut pos = self.offset as isize;
        let outer = self.rank().saturating_sub(1);
        for k in (0..outer).rev() {
            let d = self.shape[k];
            pos += (row % d) as isize * self.strides[k];
            row /= d;
        }
        pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguous_strides_are_row_major() {
        assert_eq!(contiguous_strides(&[2, 3, 4]), vec![12, 4, 1]);
        assert_eq!(contiguous_strides(&[]), Vec::<isize>::new());
    }

    #[test]
    fn numel_overflow_is_an_error() {
        assert!(checked_numel(&[usize::MAX, 2]).is_err());
        assert_eq!(checked_numel(&[]).unwrap(), 1);
        assert_eq!(checked_numel(&[3, 0]).unwrap(), 0);
    }

    #[test]
    fn transposed_layout_is_not_contiguous() {
        let l = Layout::from_parts(vec![3, 2], vec![1, 3], 0);
        assert!(!l.is_contiguous());
        assert!(Layout::contiguous(vec![2, 3]).is_contiguous());
        // size-1 dims do not break contiguity whatever their stride
        assert!(Layout::from_parts(vec![1, 3], vec![99, 1], 0).is_contiguous());
    }

    #[test]
    fn negative_axes_count_from_the_end() {
        assert_eq!(normalize_axis(-1, 3).unwrap(), 2);
        assert!(normalize_axis(3, 3).is_err());
        assert!(normalize_axis(-4, 3).is_err());
    }

    #[test]
    fn row_start_walks_outer_axes() {
        let l = Layout::from_parts(vec![2, 3, 4], vec![12, 4, 1], 5);
        assert_eq!(l.row_start(0), 5);
        assert_eq!(l.row_start(4), 5 + 12 + 4);
    }
}
