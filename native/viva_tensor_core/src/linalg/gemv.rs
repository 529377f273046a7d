//! Matrix–vector products: [`super::matmul`]'s path for at most
//! [`MAX_ROWS`] rows of `a` (token-by-token decoding, `x @ Wᵀ` on one
//! activation row) when `b` has unit stride along one axis.
//!
//! Why not the GEMM: `matrixmultiply` packs `b` into panels before
//! multiplying, so a product with one row of `a` reads the weight, writes a
//! packed copy and reads that again. On the 2-vCPU Xeon of 2026-12-03, a
//! `[1, 4096] @ [4096, 4096]ᵀ` f32 product took 5.4 ms through the GEMM, a
//! third of it packing; rows dotted straight from the weight take 1.3–1.4
//! ms (the README's matmul notes under "Tensor math" give both figures).
//!
//! Two layouts, both reading `b` once, in place:
//! - **columns of `b` contiguous** (`b` a transposed row-major weight, the
//!   `x @ Wᵀ` of a linear layer): every output is a dot product of a row of
//!   `a` with a column of `b`, asking for the lines of the column
//!   [`PREFETCH_BYTES`] ahead (x86-64): f32 through the quantized GEMV's
//!   kernel for decoded rows (AVX2 + FMA intrinsics), f64 in 8 lanes;
//! - **rows of `b` contiguous** (`x @ B` on a row-major `B`): each row `p`
//!   of `b` is added, times `a[i, p]`, to the outputs of a band of columns
//!   that stays in L1, so every output is summed in order of `p`.
//!
//! Both run over bands of output columns in parallel (rayon) for products of
//! at least [`super::matmul`]'s serial threshold. The generic kernels are
//! written for the vectorizer and compiled twice on x86-64: baseline, and
//! with AVX2 + FMA enabled, picked at run time.

use std::ops::{Add, Mul};

use rayon::prelude::*;

use crate::dtype::Element;

/// Largest number of rows of `a` this path takes.
pub(super) const MAX_ROWS: usize = 4;

/// Independent accumulators per dot product (floating-point addition is not
/// reassociated by the compiler, so vector lanes must be explicit).
const LANES: usize = 8;

/// Output columns per task of the row-contiguous layout: its partial sums
/// (`MAX_ROWS` × this many values) stay in L1.
const ROW_BAND: usize = 512;

/// Output columns per task of the column-contiguous layout.
const COL_BAND: usize = 64;

/// How far ahead of the elements of `b` being read the kernels ask for
/// cache lines (the quantized GEMV kernels use the same distance).
const PREFETCH_BYTES: usize = 2048;

/// The element types of this path (f32, f64).
pub(super) trait GemvScalar: Element + Add<Output = Self> + Mul<Output = Self> {
    /// `dst[i] = rows[i] · col` for 1..=[`MAX_ROWS`] rows as long as `col`.
    fn dots(rows: &[&[Self]], col: &[Self], dst: &mut [Self]);
}

impl GemvScalar for f32 {
    /// The quantized GEMV's kernel for decoded rows (AVX2 + FMA intrinsics
    /// where the CPU has them: LLVM vectorized the generic one poorly for
    /// more than one row).
    fn dots(rows: &[&[f32]], col: &[f32], dst: &mut [f32]) {
        crate::quant::qdot::f32_dot(col, rows, dst)
    }
}

impl GemvScalar for f64 {
    fn dots(rows: &[&[f64]], col: &[f64], dst: &mut [f64]) {
        match rows.len() {
            1 => dots::<f64, 1>(rows, col, dst),
            2 => dots::<f64, 2>(rows, col, dst),
            3 => dots::<f64, 3>(rows, col, dst),
            _ => dots::<f64, 4>(rows, col, dst),
        }
    }
}

/// One operand as its storage plus the offset and strides of a matrix.
#[derive(Clone, Copy)]
pub(super) struct Strided<'a, T> {
    /// The whole storage the view reads.
    pub data: &'a [T],
    /// Storage index of element `[0, 0]`.
    pub offset: usize,
    /// Row stride, in elements.
    pub rs: isize,
    /// Column stride, in elements.
    pub cs: isize,
}

impl<T: Copy> Strided<'_, T> {
    /// Storage index of element `[i, j]`.
    fn index(&self, i: usize, j: usize) -> usize {
        (self.offset as isize + i as isize * self.rs + j as isize * self.cs) as usize
    }

    fn at(&self, i: usize, j: usize) -> T {
        self.data[self.index(i, j)]
    }

    /// `len` elements from `[i, j]` along a unit stride (`rs` or `cs` = 1).
    fn run(&self, i: usize, j: usize, len: usize) -> &[T] {
        let start = self.index(i, j);
        &self.data[start..start + len]
    }
}

/// Whether [`product`] takes a product of `m` rows with this `b`.
pub(super) fn applies(m: usize, b_rs: isize, b_cs: isize) -> bool {
    m <= MAX_ROWS && (b_rs == 1 || b_cs == 1)
}

/// `out[i · n + j] = Σ_p a[i, p] · b[p, j]` for an `m × k` `a` and a `k × n`
/// `b` ([`applies`] holds, every addressed element lies in the storages),
/// into the row-major `m × n` `out`, over the rayon pool when `parallel`.
pub(super) fn product<T: GemvScalar>(
    a: Strided<'_, T>,
    b: Strided<'_, T>,
    (m, k, n): (usize, usize, usize),
    out: &mut [T],
    parallel: bool,
) {
    // the rows of `a` are small next to `b`: one contiguous copy of them
    let a_rows: Vec<T> = (0..m)
        .flat_map(|i| (0..k).map(move |p| a.at(i, p)))
        .collect();
    let rows: Vec<&[T]> = a_rows.chunks_exact(k).collect();
    // out is row-major [m, n]; tasks own bands of columns, which are not
    // contiguous in `out` for m > 1, so each computes its [m, band] block
    // and the blocks' rows are copied in afterwards
    let by_cols = b.rs == 1;
    let band = if by_cols { COL_BAND } else { ROW_BAND };
    let task = |c0: usize| -> Vec<T> {
        let cols = band.min(n - c0);
        let mut block = vec![T::default(); m * cols];
        if by_cols {
            columns(&rows, b, k, c0, &mut block);
        } else {
            rows_axpy(&rows, b, c0, &mut block);
        }
        block
    };
    let starts: Vec<usize> = (0..n).step_by(band).collect();
    let blocks: Vec<Vec<T>> = if parallel {
        starts.par_iter().map(|&c0| task(c0)).collect()
    } else {
        starts.iter().map(|&c0| task(c0)).collect()
    };
    for (&c0, block) in starts.iter().zip(&blocks) {
        let cols = block.len() / m;
        for (i, vals) in block.chunks_exact(cols).enumerate() {
            out[i * n + c0..i * n + c0 + cols].copy_from_slice(vals);
        }
    }
}

/// Columns-contiguous layout: `block[i · cols + j] = rows[i] · b[:, c0 + j]`
/// (`block` is `[m, cols]`).
fn columns<T: GemvScalar>(rows: &[&[T]], b: Strided<'_, T>, k: usize, c0: usize, block: &mut [T]) {
    let m = rows.len();
    let cols = block.len() / m;
    let mut dst = [T::default(); MAX_ROWS];
    for j in 0..cols {
        T::dots(rows, b.run(0, c0 + j, k), &mut dst[..m]);
        for (i, &v) in dst[..m].iter().enumerate() {
            block[i * cols + j] = v;
        }
    }
}

/// Rows-contiguous layout: `block[i · cols + j] += Σ_p rows[i][p] · b[p, c0 +
/// j]` (`block` is `[m, cols]`, zeroed by the caller), summed in order of `p`.
fn rows_axpy<T: GemvScalar>(rows: &[&[T]], b: Strided<'_, T>, c0: usize, block: &mut [T]) {
    let cols = block.len() / rows.len();
    for p in 0..rows[0].len() {
        let brow = b.run(p, c0, cols);
        for (row, acc) in rows.iter().zip(block.chunks_exact_mut(cols)) {
            axpy(row[p], brow, acc);
        }
    }
}

/// `dst[i] = Σ_p rows[i][p] · col[p]` for the `R` rows, each summed in
/// [`LANES`] lanes (f64's kernel); the AVX2 + FMA build where the CPU has it.
fn dots<T: GemvScalar, const R: usize>(rows: &[&[T]], col: &[T], dst: &mut [T]) {
    let rows: &[&[T]; R] = rows.try_into().expect("R rows");
    #[cfg(target_arch = "x86_64")]
    if crate::quant::qdot::has_avx2_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above)
        unsafe { dots_avx2(rows, col, dst) };
        return;
    }
    dots_impl(rows, col, dst)
}

/// [`dots_impl`] compiled with AVX2 + FMA enabled.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dots_avx2<T: GemvScalar, const R: usize>(rows: &[&[T]; R], col: &[T], dst: &mut [T]) {
    dots_impl(rows, col, dst)
}

#[inline(always)]
fn dots_impl<T: GemvScalar, const R: usize>(rows: &[&[T]; R], col: &[T], dst: &mut [T]) {
    let k = col.len();
    assert!(rows.iter().all(|r| r.len() == k) && dst.len() >= R);
    let mut acc = [[T::default(); LANES]; R];
    let whole = k / LANES * LANES;
    for c in (0..whole).step_by(LANES) {
        let w: &[T; LANES] = col[c..c + LANES].try_into().expect("LANES values");
        prefetch(w.as_ptr(), PREFETCH_BYTES as isize);
        for r in 0..R {
            let x: &[T; LANES] = rows[r][c..c + LANES].try_into().expect("LANES values");
            for l in 0..LANES {
                acc[r][l] = acc[r][l] + x[l] * w[l];
            }
        }
    }
    for r in 0..R {
        let a = &acc[r];
        let mut s = ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
        for p in whole..k {
            s = s + rows[r][p] * col[p];
        }
        dst[r] = s;
    }
}

/// `acc += s · b`, element by element; the AVX2 build where the CPU has it.
fn axpy<T: GemvScalar>(s: T, b: &[T], acc: &mut [T]) {
    #[cfg(target_arch = "x86_64")]
    if crate::quant::qdot::has_avx2_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above)
        unsafe { axpy_avx2(s, b, acc) };
        return;
    }
    axpy_impl(s, b, acc)
}

/// [`axpy_impl`] compiled with AVX2 + FMA enabled.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn axpy_avx2<T: GemvScalar>(s: T, b: &[T], acc: &mut [T]) {
    axpy_impl(s, b, acc)
}

#[inline(always)]
fn axpy_impl<T: GemvScalar>(s: T, b: &[T], acc: &mut [T]) {
    for (a, &v) in acc.iter_mut().zip(b) {
        *a = *a + s * v;
    }
}

/// Asks for the cache line `ahead` bytes past `p` (a hint that never
/// faults; a no-op off x86-64).
#[inline(always)]
fn prefetch<T>(p: *const T, ahead: isize) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint; it never faults, whatever the address
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>().wrapping_offset(ahead));
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, ahead);
}

#[cfg(test)]
mod tests {
    use crate::linalg::matmul;
    use crate::{DType, Tensor};

    /// The quantized matmul tests' values (about [-2, 2]), as f64.
    fn values(n: usize, seed: u64) -> Vec<f64> {
        crate::quant::qmatmul::tests::values(n, seed)
            .into_iter()
            .map(f64::from)
            .collect()
    }

    /// `matmul` through this path (1..=4 rows of `a`; `b` with contiguous
    /// columns, a transposed weight, or contiguous rows) against an f64
    /// triple loop, within the f32 / f64 summation bound; shapes long enough
    /// for the AVX2 kernels' main loops and tails, more columns than one
    /// band, and products above the serial threshold (parallel).
    #[test]
    fn small_m_products_match_the_definition() {
        for dtype in [DType::F32, DType::F64] {
            let eps = if dtype == DType::F32 {
                f32::EPSILON as f64
            } else {
                f64::EPSILON
            };
            for (k, n) in [(1usize, 3usize), (15, 70), (16, 513), (33, 600), (700, 600)] {
                for m in 1..=super::MAX_ROWS {
                    let av = values(m * k, 1 + k as u64);
                    let bv = values(k * n, 2 + n as u64); // b[p][j] = bv[p * n + j]
                    let a = Tensor::from_f64_slice(&av, &[m, k], dtype).unwrap();
                    let b_rows = Tensor::from_f64_slice(&bv, &[k, n], dtype).unwrap();
                    let wt: Vec<f64> = (0..n)
                        .flat_map(|j| (0..k).map(move |p| (j, p)))
                        .map(|(j, p)| bv[p * n + j])
                        .collect();
                    let b_cols = Tensor::from_f64_slice(&wt, &[n, k], dtype)
                        .unwrap()
                        .transpose();
                    for (b, layout) in [(b_rows, "rows"), (b_cols, "columns")] {
                        let got = matmul(&a, &b).unwrap();
                        assert_eq!(got.shape(), &[m, n]);
                        let got = got.to_f64_vec();
                        for i in 0..m {
                            for j in 0..n {
                                let (mut want, mut mag) = (0f64, 0f64);
                                for p in 0..k {
                                    let t = av[i * k + p] * bv[p * n + j];
                                    want += t;
                                    mag += t.abs();
                                }
                                let bound = 2.0 * (k as f64 + 1.0) * eps * mag;
                                let g = got[i * n + j];
                                assert!(
                                    (g - want).abs() <= bound,
                                    "{dtype:?} {layout} m={m} k={k} n={n} [{i},{j}]: {g} vs {want}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    /// A batch of small-m products (`[3, 2, k] @ [k, n]`, `b` broadcast)
    /// equals the products taken one by one.
    #[test]
    fn batched_small_m_products() {
        let (k, n) = (40, 300);
        let a = Tensor::from_f64_slice(&values(3 * 2 * k, 5), &[3, 2, k], DType::F32).unwrap();
        let b = Tensor::from_f64_slice(&values(k * n, 6), &[k, n], DType::F32).unwrap();
        let all = matmul(&a, &b).unwrap().to_f64_vec();
        let av = a.to_f64_vec();
        for bi in 0..3 {
            let one =
                Tensor::from_f64_slice(&av[bi * 2 * k..(bi + 1) * 2 * k], &[2, k], DType::F32)
                    .unwrap();
            let want = matmul(&one, &b).unwrap().to_f64_vec();
            assert_eq!(&all[bi * 2 * n..(bi + 1) * 2 * n], &want[..]);
        }
    }
}
