//! The tensor: a layout over shared, reference-counted storage.

use std::sync::Arc;

use rayon::prelude::*;

use crate::dtype::{DType, Element};
use crate::error::{Result, TensorError};
use crate::layout::{checked_numel, Layout};
use crate::storage::{Buffer, Storage};
use crate::with_buffer;

/// Work below this many elements stays on one thread: spawning costs more.
pub const PARALLEL_MIN_ELEMS: usize = 1 << 15;

/// An n-dimensional array of one dtype.
///
/// Cloning is cheap (an `Arc` bump plus the small shape vectors); views made
/// by `reshape`, `transpose`, `slice`, `broadcast_to`, ... share the storage.
#[derive(Debug, Clone)]
pub struct Tensor {
    storage: Arc<Storage>,
    layout: Layout,
}

impl Tensor {
    /// A contiguous tensor owning `data`, of the given shape.
    ///
    /// Errors: `InvalidShape` when `data.len()` differs from the shape's element count.
    pub fn from_vec<T: Element>(data: Vec<T>, shape: &[usize]) -> Result<Tensor> {
        let n = checked_numel(shape)?;
        if n != data.len() {
            return Err(TensorError::invalid_shape(format!(
                "{} values cannot fill shape {shape:?} ({n} elements)",
                data.len()
            )));
        }
        Ok(Tensor::from_buffer(T::into_buffer(data), shape.to_vec()))
    }

    /// A contiguous tensor over a buffer whose length the caller has checked.
    pub(crate) fn from_buffer(buffer: Buffer, shape: Vec<usize>) -> Tensor {
        debug_assert_eq!(buffer.len(), shape.iter().product::<usize>());
        Tensor {
            storage: Storage::new(buffer),
            layout: Layout::contiguous(shape),
        }
    }

    /// A new view of the same storage.
    pub(crate) fn with_layout(&self, layout: Layout) -> Tensor {
        Tensor {
            storage: Arc::clone(&self.storage),
            layout,
        }
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.storage.buffer().dtype()
    }

    /// Dimensions.
    pub fn shape(&self) -> &[usize] {
        self.layout.shape()
    }

    /// Element strides per dimension (0 on broadcast axes).
    pub fn strides(&self) -> &[isize] {
        self.layout.strides()
    }

    /// The view's layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.layout.rank()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.layout.numel()
    }

    /// Bytes of the elements this view shows (`numel * dtype size`), whether
    /// or not they are shared with other views.
    pub fn nbytes(&self) -> usize {
        self.numel() * self.dtype().size_of()
    }

    /// The shared storage (for accounting and zero-copy export).
    pub fn storage(&self) -> &Arc<Storage> {
        &self.storage
    }

    /// True when the view is a gap-free row-major range of its storage.
    pub fn is_contiguous(&self) -> bool {
        self.layout.is_contiguous()
    }

    /// True when `self` and `other` point into the same storage.
    pub fn shares_storage_with(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.storage, &other.storage)
    }

    /// The view's bytes when it is contiguous (zero copy), native endianness.
    pub fn contiguous_bytes(&self) -> Option<&[u8]> {
        if !self.is_contiguous() {
            return None;
        }
        let size = self.dtype().size_of();
        let start = self.layout.offset() * size;
        Some(&self.storage.buffer().as_bytes()[start..start + self.nbytes()])
    }

    /// The view's elements as a typed slice when it is contiguous and of dtype `T`.
    pub fn as_slice<T: Element>(&self) -> Option<&[T]> {
        if !self.is_contiguous() {
            return None;
        }
        let all = T::slice(self.storage.buffer())?;
        let start = self.layout.offset();
        Some(&all[start..start + self.numel()])
    }

    /// The elements in row-major order, copied out, of dtype `T`.
    ///
    /// Errors: `InvalidDtype` when the tensor's dtype is not `T`.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        let data = T::slice(self.storage.buffer()).ok_or_else(|| {
            TensorError::InvalidDtype(format!(
                "tensor holds {}, not {}",
                self.dtype().name(),
                T::DTYPE.name()
            ))
        })?;
        Ok(gather(data, &self.layout))
    }

    /// The elements as f64 in row-major order (exact for every dtype).
    pub fn to_f64_vec(&self) -> Vec<f64> {
        with_buffer!(self.storage.buffer(), v => gather(v, &self.layout)
            .into_iter()
            .map(Element::to_f64)
            .collect())
    }

    /// A view with its own contiguous storage: `self` (cheap) when already
    /// contiguous and covering its whole buffer, else a row-major copy.
    pub fn contiguous(&self) -> Tensor {
        let buffer_len = self.storage.buffer().len();
        if self.is_contiguous() && self.layout.offset() == 0 && self.numel() == buffer_len {
            return self.clone();
        }
        self.copy()
    }

    /// A row-major copy in new storage, whatever the view.
    pub fn copy(&self) -> Tensor {
        let buffer = with_buffer!(self.storage.buffer(), v => {
            Element::into_buffer(gather(v, &self.layout))
        });
        Tensor::from_buffer(buffer, self.shape().to_vec())
    }
}

/// Copies the elements a layout selects from `data` into a new row-major vector.
///
/// Rows of the last axis are the unit of work: contiguous rows become one
/// `copy_from_slice`, others a strided loop; large tensors split rows across
/// threads.
pub(crate) fn gather<T: Copy + Send + Sync + Default + bytemuck::Zeroable>(
    data: &[T],
    layout: &Layout,
) -> Vec<T> {
    let n = layout.numel();
    if n == 0 {
        return Vec::new();
    }
    if layout.rank() == 0 {
        return vec![data[layout.offset()]];
    }
    if layout.is_contiguous() {
        let start = layout.offset();
        return data[start..start + n].to_vec();
    }
    let inner = *layout.shape().last().expect("rank > 0");
    let inner_stride = *layout.strides().last().expect("rank > 0");
    if is_transposed_pair(layout) {
        return gather_transposed(data, layout);
    }
    let mut out = Vec::with_capacity(n);
    let fill_row = |row: usize, dst: &mut Vec<T>| {
        let base = layout.row_start(row);
        if inner_stride == 1 {
            let b = base as usize;
            dst.extend_from_slice(&data[b..b + inner]);
        } else {
            dst.extend((0..inner).map(|j| data[(base + j as isize * inner_stride) as usize]));
        }
    };
    let rows = n / inner;
    if n < PARALLEL_MIN_ELEMS {
        for row in 0..rows {
            fill_row(row, &mut out);
        }
        return out;
    }
    let rows_per_task = (PARALLEL_MIN_ELEMS / inner).max(1);
    let chunks: Vec<Vec<T>> = (0..rows.div_ceil(rows_per_task))
        .into_par_iter()
        .map(|c| {
            let first = c * rows_per_task;
            let last = (first + rows_per_task).min(rows);
            let mut part = Vec::with_capacity((last - first) * inner);
            for row in first..last {
                fill_row(row, &mut part);
            }
            part
        })
        .collect();
    for part in chunks {
        out.extend_from_slice(&part);
    }
    out
}

/// Side of the square tiles a transposed copy works in: 32×32 f32 reads
/// touch 32 cache lines of the source and 32 of the destination.
const TILE: usize = 32;

/// True when the last two axes are a transposed pair: the second-to-last
/// has unit stride and the last does not (a `transpose` of a matrix, or of
/// the trailing two axes of a batch).
fn is_transposed_pair(layout: &Layout) -> bool {
    let r = layout.rank();
    r >= 2
        && layout.strides()[r - 2] == 1
        && layout.shape()[r - 2] > 1
        && layout.strides()[r - 1] > 1
}

/// Copies a view whose last two axes are transposed, in square tiles.
///
/// Reading element by element along the last axis would jump a whole
/// source row per element; tiles read short unit-stride runs instead.
/// Parallel over bands of `TILE` output rows (and over leading axes).
fn gather_transposed<T: Copy + Send + Sync + Default + bytemuck::Zeroable>(
    data: &[T],
    layout: &Layout,
) -> Vec<T> {
    let r = layout.rank();
    let rows = layout.shape()[r - 2];
    let cols = layout.shape()[r - 1];
    let col_stride = layout.strides()[r - 1];
    let mut out: Vec<T> = crate::alloc::zeroed_vec(layout.numel());
    let copy_band = |block: usize, band: usize, dst: &mut [T]| {
        let base = layout.row_start(block * rows);
        let r0 = band * TILE;
        let band_rows = dst.len() / cols;
        for c0 in (0..cols).step_by(TILE) {
            let c1 = (c0 + TILE).min(cols);
            for c in c0..c1 {
                let src = base + r0 as isize + c as isize * col_stride;
                for i in 0..band_rows {
                    dst[i * cols + c] = data[(src + i as isize) as usize];
                }
            }
        }
    };
    let per_block = rows * cols;
    if layout.numel() < PARALLEL_MIN_ELEMS {
        for (block, blk) in out.chunks_mut(per_block).enumerate() {
            for (band, dst) in blk.chunks_mut(TILE * cols).enumerate() {
                copy_band(block, band, dst);
            }
        }
    } else {
        out.par_chunks_mut(per_block)
            .enumerate()
            .for_each(|(block, blk)| {
                blk.par_chunks_mut(TILE * cols)
                    .enumerate()
                    .for_each(|(band, dst)| copy_band(block, band, dst));
            });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiled_transpose_matches_elementwise_copy() {
        // sizes around the tile edge, batched and not, serial and parallel
        for &(b, m, n) in &[
            (1, 3, 5),
            (1, 33, 65),
            (2, 31, 40),
            (1, 300, 200),
            (3, 70, 129),
        ] {
            let len = b * m * n;
            let data: Vec<u32> = (0..len as u32).collect();
            // view [b, n, m] of a [b, m, n] tensor with the last two axes swapped
            let l = Layout::from_parts(vec![b, n, m], vec![(m * n) as isize, 1, n as isize], 0);
            assert!(is_transposed_pair(&l));
            let got = gather(&data, &l);
            for bi in 0..b {
                for i in 0..n {
                    for j in 0..m {
                        assert_eq!(got[bi * n * m + i * m + j], (bi * m * n + j * n + i) as u32);
                    }
                }
            }
        }
    }

    #[test]
    fn sliced_transposed_view_uses_its_offset() {
        let data: Vec<u32> = (0..100).collect();
        // rows 2..5 and columns 1..4 of a 10x10 matrix, transposed
        let l = Layout::from_parts(vec![3, 3], vec![1, 10], 21);
        assert_eq!(gather(&data, &l), vec![21, 31, 41, 22, 32, 42, 23, 33, 43]);
    }

    #[test]
    fn from_vec_checks_the_element_count() {
        assert!(Tensor::from_vec(vec![1.0f32; 5], &[2, 3]).is_err());
        let t = Tensor::from_vec(vec![1.0f32; 6], &[2, 3]).unwrap();
        assert_eq!(t.shape(), &[2, 3]);
        assert_eq!(t.dtype(), DType::F32);
        assert_eq!(t.nbytes(), 24);
    }

    #[test]
    fn to_vec_checks_the_dtype() {
        let t = Tensor::from_vec(vec![1.0f64, 2.0], &[2]).unwrap();
        assert!(matches!(
            t.to_vec::<f32>(),
            Err(TensorError::InvalidDtype(_))
        ));
        assert_eq!(t.to_vec::<f64>().unwrap(), vec![1.0, 2.0]);
    }

    #[test]
    fn gather_follows_strides() {
        let data: Vec<f32> = (0..6).map(|i| i as f32).collect();
        // the transpose of a 2x3 matrix
        let l = Layout::from_parts(vec![3, 2], vec![1, 3], 0);
        assert_eq!(gather(&data, &l), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    }

    #[test]
    fn parallel_gather_matches_serial_order() {
        let rows = 1000;
        let cols = 100;
        let data: Vec<u32> = (0..rows * cols).map(|i| i as u32).collect();
        let l = Layout::from_parts(vec![cols, rows], vec![1, cols as isize], 0);
        let out = gather(&data, &l);
        for c in 0..cols {
            for r in 0..rows {
                assert_eq!(out[c * rows + r], (r * cols + c) as u32);
            }
        }
    }
}
