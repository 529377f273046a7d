//! Matrix products: [`matmul`] (NumPy semantics), [`dot`] and [`outer`].
//!
//! # GEMM backend
//!
//! The kernels come from `matrixmultiply` (the GEMM behind `ndarray`):
//! runtime SIMD dispatch (AVX2/FMA, AVX, SSE2, NEON) and a row *and* column
//! stride for every operand, so a transposed, sliced or broadcast view is
//! handed over as its storage plus strides, without a copy.
//!
//! It was chosen over `gemm` (candle's) by measurement: on the development
//! machine (AMD EPYC, AVX2+FMA, 2 cores shared with other jobs, load average
//! about 3), square row-major sgemm, median of 5 timed runs (3 at 2048) after
//! a warm-up, test profile (opt-level 2), three invocations:
//!
//! | n    | matrixmultiply 1 thread | gemm 1 thread | gemm rayon(2) | [`matmul`] (2 bands) |
//! |------|-------------------------|---------------|---------------|----------------------|
//! | 256  | 24-25 GFLOPS            | 16-17 (one 5.6) | 17          | 19-20                |
//! | 1024 | 31-33                   | 15-17         | 16-17         | 29-31                |
//! | 2048 | 28-30                   | 16-17         | 17            | 29-30                |
//!
//! (ignored test `sgemm_gflops`). Neither scaled to the second core on that
//! loaded machine. `gemm` is a dev-dependency only, for that comparison.
//!
//! # Precision per dtype
//!
//! - f32, f64: native GEMM in that type (`sgemm` / `dgemm`).
//! - f16, bf16: operands are widened to f32 (exact), multiplied with sgemm,
//!   and each result element is rounded once to the input dtype. (`gemm`'s
//!   f16 kernel stores partial sums in f16 between depth blocks, so long inner
//!   dimensions would round several times; that was a second reason.)
//!
//! # Threading
//!
//! One thread pool only: rayon's (`matrixmultiply`'s own threading feature is
//! off). A product of fewer than 64³ multiply-adds runs on the calling thread;
//! a batch of such small products is spread over the pool one matrix per task;
//! a larger product is cut into bands of at least 32 rows (or columns, when
//! `n > m`), one `gemm` call per band, over the pool.

use rayon::prelude::*;

use crate::dtype::{DType, Element};
use crate::error::{Result, TensorError};
use crate::tensor::Tensor;

use super::gemv::{self, GemvScalar, Strided};

/// Products with fewer multiply-adds than this run single-threaded.
const SERIAL_MAX_WORK: usize = 64 * 64 * 64;

/// The thinnest band of rows (or columns) given to one thread.
const MIN_BAND: usize = 32;

/// The element types handed to the GEMM directly.
trait GemmScalar: Element {
    /// `c = a @ b` for an `m x k` `a` and a `k x n` `b`, every operand given
    /// by a pointer to element [0, 0] plus row and column strides.
    ///
    /// # Safety
    /// Every addressed element must be in bounds; `c` must not alias `a`/`b`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );
}

impl GemmScalar for f32 {
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        a: *const f32,
        rsa: isize,
        csa: isize,
        b: *const f32,
        rsb: isize,
        csb: isize,
        c: *mut f32,
        rsc: isize,
        csc: isize,
    ) {
        // SAFETY: forwarded from the caller's contract.
        unsafe { matrixmultiply::sgemm(m, k, n, 1.0, a, rsa, csa, b, rsb, csb, 0.0, c, rsc, csc) }
    }
}

impl GemmScalar for f64 {
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        a: *const f64,
        rsa: isize,
        csa: isize,
        b: *const f64,
        rsb: isize,
        csb: isize,
        c: *mut f64,
        rsc: isize,
        csc: isize,
    ) {
        // SAFETY: forwarded from the caller's contract.
        unsafe { matrixmultiply::dgemm(m, k, n, 1.0, a, rsa, csa, b, rsb, csb, 0.0, c, rsc, csc) }
    }
}

/// Matrix product with NumPy `matmul` semantics.
///
/// Shapes:
/// - `[.., m, k] @ [.., k, n] -> [batch.., m, n]`, where the leading (batch)
///   dimensions broadcast against each other under NumPy rules;
/// - a 1-D `a` of shape `[k]` is treated as `[1, k]` and a 1-D `b` of shape
///   `[k]` as `[k, 1]`; the added axis is removed from the result, so
///   `[k] @ [k] -> []`, `[k] @ [.., k, n] -> [.., n]`, `[.., m, k] @ [k] -> [.., m]`.
///
/// Inputs may be any strided views (transposed, sliced, broadcast); they are
/// read in place. The result is a new contiguous tensor of the input dtype
/// (see the module doc for per-dtype precision). `k = 0` gives zeros.
///
/// Errors:
/// - `InvalidDtype` when `a` and `b` have different dtypes (no promotion);
/// - `InvalidShape` when either operand is a 0-D scalar;
/// - `ShapeMismatch { expected: [k of a], got: [k of b] }` when the inner
///   dimensions differ;
/// - `ShapeMismatch { expected: a's batch dims, got: b's batch dims }` when the
///   batch dimensions do not broadcast.
pub fn matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let dtype = same_dtype(a, b, "matmul")?;
    if a.rank() == 0 || b.rank() == 0 {
        return Err(TensorError::invalid_shape(format!(
            "matmul needs operands of rank >= 1, got shapes {:?} and {:?}",
            a.shape(),
            b.shape()
        )));
    }
    let a_vec = a.rank() == 1;
    let b_vec = b.rank() == 1;
    let a2 = if a_vec { a.unsqueeze(0)? } else { a.clone() };
    let b2 = if b_vec { b.unsqueeze(1)? } else { b.clone() };
    let (ra, rb) = (a2.rank(), b2.rank());
    let (m, k) = (a2.shape()[ra - 2], a2.shape()[ra - 1]);
    let (k2, n) = (b2.shape()[rb - 2], b2.shape()[rb - 1]);
    if k != k2 {
        return Err(TensorError::ShapeMismatch {
            expected: vec![k],
            got: vec![k2],
        });
    }
    let batch = broadcast_batch(&a2.shape()[..ra - 2], &b2.shape()[..rb - 2])?;
    let mut out_shape = batch.clone();
    if !a_vec {
        out_shape.push(m);
    }
    if !b_vec {
        out_shape.push(n);
    }
    crate::layout::checked_numel(&out_shape)?;
    let dims = Dims { m, k, n };
    match dtype {
        DType::F32 => Tensor::from_vec(run::<f32>(&a2, &b2, &batch, dims), &out_shape),
        DType::F64 => Tensor::from_vec(run::<f64>(&a2, &b2, &batch, dims), &out_shape),
        DType::F16 | DType::BF16 => {
            let af = a2.as_type(DType::F32);
            let bf = b2.as_type(DType::F32);
            let out = Tensor::from_vec(run::<f32>(&af, &bf, &batch, dims), &out_shape)?;
            Ok(out.as_type(dtype))
        }
    }
}

/// Inner product of two vectors: `[k] · [k] -> []` (a 0-D tensor).
///
/// Same dtype rules and precision as [`matmul`].
///
/// Errors: `InvalidDtype` for different dtypes; `InvalidShape` when either
/// operand is not 1-D; `ShapeMismatch { expected: [len a], got: [len b] }`
/// when the lengths differ.
pub fn dot(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    same_dtype(a, b, "dot")?;
    require_vectors(a, b, "dot")?;
    matmul(a, b)
}

/// Outer product of two vectors: `[m] ⊗ [n] -> [m, n]`, `out[i, j] = a[i] * b[j]`.
///
/// Each element is one product, rounded once to the input dtype.
///
/// Errors: `InvalidDtype` for different dtypes; `InvalidShape` when either
/// operand is not 1-D.
pub fn outer(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    same_dtype(a, b, "outer")?;
    require_vectors(a, b, "outer")?;
    matmul(&a.unsqueeze(1)?, &b.unsqueeze(0)?)
}

fn same_dtype(a: &Tensor, b: &Tensor, op: &str) -> Result<DType> {
    if a.dtype() != b.dtype() {
        return Err(TensorError::InvalidDtype(format!(
            "{op} operands must share a dtype, got {} and {}",
            a.dtype().name(),
            b.dtype().name()
        )));
    }
    Ok(a.dtype())
}

fn require_vectors(a: &Tensor, b: &Tensor, op: &str) -> Result<()> {
    if a.rank() != 1 || b.rank() != 1 {
        return Err(TensorError::invalid_shape(format!(
            "{op} needs two 1-D tensors, got shapes {:?} and {:?}",
            a.shape(),
            b.shape()
        )));
    }
    Ok(())
}

/// NumPy broadcasting of the two batch shapes.
fn broadcast_batch(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for (i, o) in out.iter_mut().enumerate() {
        let da = if i + a.len() >= rank {
            a[i + a.len() - rank]
        } else {
            1
        };
        let db = if i + b.len() >= rank {
            b[i + b.len() - rank]
        } else {
            1
        };
        *o = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(TensorError::ShapeMismatch {
                expected: a.to_vec(),
                got: b.to_vec(),
            });
        };
    }
    Ok(out)
}

#[derive(Clone, Copy)]
struct Dims {
    m: usize,
    k: usize,
    n: usize,
}

/// Storage offset of each matrix of `t` (rank >= 2) for every index of the
/// broadcast batch shape `batch`, in row-major order. Axes where `t` has
/// size 1 (or that it lacks) stay put.
fn batch_offsets(t: &Tensor, batch: &[usize]) -> Vec<usize> {
    let own = t.rank() - 2;
    let lead = batch.len() - own;
    let strides: Vec<isize> = (0..batch.len())
        .map(|i| {
            if i < lead || t.shape()[i - lead] == 1 {
                0
            } else {
                t.strides()[i - lead]
            }
        })
        .collect();
    let total: usize = batch.iter().product();
    let mut out = Vec::with_capacity(total);
    let mut idx = vec![0usize; batch.len()];
    let mut pos = t.layout().offset() as isize;
    for _ in 0..total {
        out.push(pos as usize);
        for ax in (0..batch.len()).rev() {
            idx[ax] += 1;
            pos += strides[ax];
            if idx[ax] < batch[ax] {
                break;
            }
            pos -= strides[ax] * batch[ax] as isize;
            idx[ax] = 0;
        }
    }
    out
}

/// A raw output pointer shared by the tasks that write disjoint bands of it.
struct SendPtr<T>(*mut T);
// SAFETY: only used to hand disjoint bands of one buffer to rayon tasks
// that finish before the buffer is touched again.
unsafe impl<T: Send> Sync for SendPtr<T> {}

/// The batched product of two rank >= 2 operands of dtype `T` (checked by the
/// caller), as a row-major `[batch.., m, n]` vector.
fn run<T: GemmScalar + GemvScalar>(a: &Tensor, b: &Tensor, batch: &[usize], d: Dims) -> Vec<T> {
    let Dims { m, k, n } = d;
    let nb: usize = batch.iter().product();
    let mut out: Vec<T> = crate::alloc::zeroed_vec(nb * m * n);
    if out.is_empty() || k == 0 {
        return out;
    }
    let a_data = T::slice(a.storage().buffer()).expect("dtype checked by matmul");
    let b_data = T::slice(b.storage().buffer()).expect("dtype checked by matmul");
    let a_off = batch_offsets(a, batch);
    let b_off = batch_offsets(b, batch);
    let (ra, rb) = (a.rank(), b.rank());
    let (a_rs, a_cs) = (a.strides()[ra - 2], a.strides()[ra - 1]);
    let (b_rs, b_cs) = (b.strides()[rb - 2], b.strides()[rb - 1]);
    // One product (batch `bi`), rows r0..r0+rows and columns c0..c0+cols,
    // written to `dst` (row stride n).
    let product =
        |dst: *mut T, bi: usize, (r0, rows): (usize, usize), (c0, cols): (usize, usize)| {
            // SAFETY: every element `a` reads, off + i*a_rs + p*a_cs for
            // i < m, p < k, is an element of `a`'s view and so lies inside its
            // storage (the Layout invariant); likewise for `b`. m, k, n > 0 here,
            // so the base offsets are in bounds. `dst` points at element
            // [r0, c0] of a row-major m x n output that outlives the call, and
            // the callers hand disjoint row or column bands to concurrent calls.
            unsafe {
                let a_ptr = a_data
                    .as_ptr()
                    .offset(a_off[bi] as isize + r0 as isize * a_rs);
                let b_ptr = b_data
                    .as_ptr()
                    .offset(b_off[bi] as isize + c0 as isize * b_cs);
                T::gemm(
                    rows, k, cols, a_ptr, a_rs, a_cs, b_ptr, b_rs, b_cs, dst, n as isize, 1,
                );
            }
        };
    let work = m.saturating_mul(n).saturating_mul(k);
    if gemv::applies(m, b_rs, b_cs) {
        let strided = |data, offset, rs, cs| Strided {
            data,
            offset,
            rs,
            cs,
        };
        let one = |bi: usize, dst: &mut [T], parallel: bool| {
            let a = strided(a_data, a_off[bi], a_rs, a_cs);
            let b = strided(b_data, b_off[bi], b_rs, b_cs);
            gemv::product(a, b, (m, k, n), dst, parallel);
        };
        if nb > 1 && work < SERIAL_MAX_WORK && work.saturating_mul(nb) >= SERIAL_MAX_WORK {
            out.par_chunks_mut(m * n)
                .enumerate()
                .for_each(|(bi, dst)| one(bi, dst, false));
        } else {
            for (bi, dst) in out.chunks_mut(m * n).enumerate() {
                one(bi, dst, work >= SERIAL_MAX_WORK);
            }
        }
        return out;
    }
    let threads = rayon::current_num_threads();
    if work >= SERIAL_MAX_WORK && threads > 1 {
        let by_rows = m >= n;
        let long = if by_rows { m } else { n };
        let bands = threads.min(long / MIN_BAND).max(1);
        let band = long.div_ceil(bands);
        for (bi, dst) in out.chunks_mut(m * n).enumerate() {
            let base = SendPtr(dst.as_mut_ptr());
            (0..long.div_ceil(band)).into_par_iter().for_each(|i| {
                let start = i * band;
                let len = band.min(long - start);
                let base = &base;
                if by_rows {
                    // SAFETY: row `start` of the m x n output.
                    let p = unsafe { base.0.add(start * n) };
                    product(p, bi, (start, len), (0, n));
                } else {
                    // SAFETY: column `start` of row 0 of the m x n output.
                    let p = unsafe { base.0.add(start) };
                    product(p, bi, (0, m), (start, len));
                }
            });
        }
    } else if nb > 1 && work.saturating_mul(nb) >= SERIAL_MAX_WORK {
        out.par_chunks_mut(m * n)
            .enumerate()
            .for_each(|(bi, dst)| product(dst.as_mut_ptr(), bi, (0, m), (0, n)));
    } else {
        for (bi, dst) in out.chunks_mut(m * n).enumerate() {
            product(dst.as_mut_ptr(), bi, (0, m), (0, n));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::SliceSpec;
    use proptest::prelude::*;

    /// NumPy matmul by definition, in f64, written independently of the
    /// kernel path: promotion, explicit broadcast_to, triple loop.
    /// Returns the values, the shape, and Σ|a·b| per element (for tolerances).
    fn reference(a: &Tensor, b: &Tensor) -> (Vec<f64>, Vec<usize>, Vec<f64>) {
        let mut ash = a.shape().to_vec();
        let mut bsh = b.shape().to_vec();
        let (a_vec, b_vec) = (ash.len() == 1, bsh.len() == 1);
        if a_vec {
            ash.insert(0, 1);
        }
        if b_vec {
            bsh.push(1);
        }
        let (m, k) = (ash[ash.len() - 2], ash[ash.len() - 1]);
        let n = bsh[bsh.len() - 1];
        let (abatch, bbatch) = (&ash[..ash.len() - 2], &bsh[..bsh.len() - 2]);
        let rank = abatch.len().max(bbatch.len());
        let mut batch = Vec::new();
        for i in 0..rank {
            let get = |s: &[usize]| {
                let lead = rank - s.len();
                if i < lead {
                    1
                } else {
                    s[i - lead]
                }
            };
            batch.push(get(abatch).max(get(bbatch)));
        }
        let mut afull = batch.clone();
        afull.extend([m, k]);
        let mut bfull = batch.clone();
        bfull.extend([k, n]);
        let av = a
            .reshape(&ash.iter().map(|&d| d as i64).collect::<Vec<_>>())
            .unwrap()
            .broadcast_to(&afull)
            .unwrap()
            .to_f64_vec();
        let bv = b
            .reshape(&bsh.iter().map(|&d| d as i64).collect::<Vec<_>>())
            .unwrap()
            .broadcast_to(&bfull)
            .unwrap()
            .to_f64_vec();
        let nb: usize = batch.iter().product();
        let mut out = vec![0.0; nb * m * n];
        let mut mag = vec![0.0; nb * m * n];
        for bi in 0..nb {
            for i in 0..m {
                for j in 0..n {
                    let (mut s, mut s_abs) = (0.0, 0.0);
                    for p in 0..k {
                        let x = av[bi * m * k + i * k + p] * bv[bi * k * n + p * n + j];
                        s += x;
                        s_abs += x.abs();
                    }
                    out[bi * m * n + i * n + j] = s;
                    mag[bi * m * n + i * n + j] = s_abs;
                }
            }
        }
        let mut shape = batch;
        if !a_vec {
            shape.push(m);
        }
        if !b_vec {
            shape.push(n);
        }
        (out, shape, mag)
    }

    /// Allowed |got - want| for one element: the accumulation error of the
    /// compute type over `k` terms, plus one rounding to the storage dtype.
    fn tolerance(dtype: DType, want: f64, mag: f64, k: usize) -> f64 {
        let acc = |eps: f64| 2.0 * (k as f64 + 1.0) * eps * mag;
        match dtype {
            DType::F64 => acc(f64::EPSILON),
            DType::F32 => acc(f32::EPSILON as f64),
            DType::F16 => acc(f32::EPSILON as f64) + want.abs() * 2f64.powi(-11) + 2f64.powi(-25),
            DType::BF16 => acc(f32::EPSILON as f64) + want.abs() * 2f64.powi(-8) + 2f64.powi(-133),
        }
    }

    fn check(a: &Tensor, b: &Tensor) -> std::result::Result<(), TestCaseError> {
        let got = matmul(a, b).unwrap();
        let (want, shape, mag) = reference(a, b);
        prop_assert_eq!(got.shape(), shape.as_slice());
        prop_assert_eq!(got.dtype(), a.dtype());
        let k = *a.shape().last().unwrap();
        for (i, (g, (w, m))) in got
            .to_f64_vec()
            .iter()
            .zip(want.iter().zip(&mag))
            .enumerate()
        {
            let tol = tolerance(a.dtype(), *w, *m, k);
            prop_assert!(
                (g - w).abs() <= tol,
                "element {}: got {}, want {} (tol {}) for {:?}@{:?} {:?}",
                i,
                g,
                w,
                tol,
                a.shape(),
                b.shape(),
                a.dtype()
            );
        }
        Ok(())
    }

    /// A tensor of `shape` whose last two axes are laid out per `mode`:
    /// 0 contiguous, 1 a transposed view, 2 a view sliced with step 2 on the
    /// last axis, 3 an offset view (a slice that drops the first row).
    fn operand(shape: &[usize], mode: u8, dtype: DType, seed: u64) -> Tensor {
        let vals = |n: usize| -> Vec<f64> {
            let mut s = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (0..n)
                .map(|_| {
                    s = s
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((s >> 11) as f64 / (1u64 << 53) as f64) * 4.0 - 2.0
                })
                .collect()
        };
        let r = shape.len();
        let numel = |s: &[usize]| s.iter().product::<usize>();
        match (mode, r) {
            (1, r) if r >= 2 => {
                let mut s = shape.to_vec();
                s.swap(r - 1, r - 2);
                let t = Tensor::from_f64_slice(&vals(numel(&s)), &s, dtype).unwrap();
                let mut axes: Vec<i64> = (0..r as i64).collect();
                axes.swap(r - 1, r - 2);
                t.permute(&axes).unwrap()
            }
            (2, _) => {
                let mut s = shape.to_vec();
                s[r - 1] *= 2;
                let t = Tensor::from_f64_slice(&vals(numel(&s)), &s, dtype).unwrap();
                let mut specs: Vec<SliceSpec> = s
                    .iter()
                    .map(|&d| SliceSpec {
                        start: 0,
                        stop: d as i64,
                        step: 1,
                    })
                    .collect();
                specs[r - 1].step = 2;
                t.slice(&specs).unwrap()
            }
            (3, _) => {
                let mut s = shape.to_vec();
                s[0] += 1;
                let t = Tensor::from_f64_slice(&vals(numel(&s)), &s, dtype).unwrap();
                t.slice(&[SliceSpec {
                    start: 1,
                    stop: s[0] as i64,
                    step: 1,
                }])
                .unwrap()
            }
            _ => Tensor::from_f64_slice(&vals(numel(shape)), shape, dtype).unwrap(),
        }
    }

    fn dtype_strategy() -> impl Strategy<Value = DType> {
        prop_oneof![
            Just(DType::F32),
            Just(DType::F64),
            Just(DType::F16),
            Just(DType::BF16)
        ]
    }

    /// Batch dims of one operand: a suffix of `full`, some dims set to 1.
    fn sub_batch(full: &[usize], drop: usize, ones: u8) -> Vec<usize> {
        let drop = drop.min(full.len());
        full[drop..]
            .iter()
            .enumerate()
            .map(|(i, &d)| if ones & (1 << i) != 0 { 1 } else { d })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn matmul_matches_the_reference(
            m in 1usize..8, k in 1usize..10, n in 1usize..8,
            full in proptest::collection::vec(1usize..4, 0..3),
            (da, db) in (0usize..3, 0usize..3),
            (oa, ob) in (0u8..4, 0u8..4),
            (a_vec, b_vec) in (proptest::bool::weighted(0.2), proptest::bool::weighted(0.2)),
            (ma, mb) in (0u8..4, 0u8..4),
            dtype in dtype_strategy(),
            seed in any::<u64>(),
        ) {
            let mut ash = if a_vec { vec![] } else { sub_batch(&full, da, oa) };
            ash.extend(if a_vec { vec![k] } else { vec![m, k] });
            let mut bsh = if b_vec { vec![] } else { sub_batch(&full, db, ob) };
            bsh.extend(if b_vec { vec![k] } else { vec![k, n] });
            let a = operand(&ash, ma, dtype, seed);
            let b = operand(&bsh, mb, dtype, seed ^ 0x9e37_79b9);
            check(&a, &b)?;
        }

        #[test]
        fn dot_and_outer_match_the_reference(
            m in 1usize..40, n in 1usize..40,
            (ma, mb) in (0u8..4, 0u8..4),
            dtype in dtype_strategy(),
            seed in any::<u64>(),
        ) {
            let a = operand(&[m], ma, dtype, seed);
            let b = operand(&[m], mb, dtype, seed ^ 1);
            let d = dot(&a, &b).unwrap();
            prop_assert_eq!(d.shape(), &[] as &[usize]);
            check(&a, &b)?;
            let c = operand(&[n], mb, dtype, seed ^ 2);
            let o = outer(&a, &c).unwrap();
            prop_assert_eq!(o.shape(), &[m, n]);
            let (av, cv) = (a.to_f64_vec(), c.to_f64_vec());
            let want = Tensor::from_f64_slice(
                &av.iter().flat_map(|x| cv.iter().map(move |y| x * y)).collect::<Vec<_>>(),
                &[m, n],
                dtype,
            ).unwrap();
            // one product, rounded once: exact agreement with rounding the f64 product
            // (f32/f16/bf16 products of two such values are exact in f64)
            prop_assert_eq!(o.to_f64_vec(), want.to_f64_vec());
        }
    }

    #[test]
    fn large_products_take_the_threaded_paths() {
        for dtype in [DType::F32, DType::F64, DType::BF16] {
            // one product above the serial threshold, transposed operand
            let a = operand(&[70, 90], 1, dtype, 1);
            let b = operand(&[90, 65], 2, dtype, 2);
            check(&a, &b).unwrap();
            // many small products spread over the pool, broadcast batch
            let a = operand(&[40, 16, 12], 0, dtype, 3);
            let b = operand(&[1, 12, 20], 1, dtype, 4);
            check(&a, &b).unwrap();
        }
    }

    #[test]
    fn broadcast_matrix_axes_are_read_in_place() {
        // a [4, 3] matrix whose rows all alias one stored row (row stride 0)
        let row = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[1, 3]).unwrap();
        let a = row.broadcast_to(&[4, 3]).unwrap();
        let b = operand(&[3, 5], 1, DType::F32, 9);
        check(&a, &b).unwrap();
        let b = row.transpose().broadcast_to(&[3, 2]).unwrap();
        check(&operand(&[2, 3], 0, DType::F32, 5), &b).unwrap();
    }

    #[test]
    fn empty_dimensions() {
        let a = Tensor::zeros(&[3, 0], DType::F32).unwrap();
        let b = Tensor::zeros(&[0, 4], DType::F32).unwrap();
        let c = matmul(&a, &b).unwrap();
        assert_eq!(c.shape(), &[3, 4]);
        assert_eq!(c.to_vec::<f32>().unwrap(), vec![0.0; 12]);
        let c = matmul(&b.transpose(), &a.transpose()).unwrap();
        assert_eq!(c.shape(), &[4, 3]);
        let e = Tensor::zeros(&[0, 2, 3], DType::F64).unwrap();
        let f = Tensor::ones(&[3, 5], DType::F64).unwrap();
        assert_eq!(matmul(&e, &f).unwrap().shape(), &[0, 2, 5]);
    }

    #[test]
    fn f16_rounds_once_over_a_long_inner_dimension() {
        // 4096 terms of 1.0 * (1 + 2^-10)... every partial sum above 2048 is
        // inexact in f16; rounding once must give the f16 nearest to the
        // exact sum 4096 * (1 + 2^-10) = 4100.
        let k = 4096;
        let a = Tensor::from_f64_slice(&vec![1.0; k], &[1, k], DType::F16).unwrap();
        let b =
            Tensor::from_f64_slice(&vec![1.0 + 2f64.powi(-10); k], &[k, 1], DType::F16).unwrap();
        let c = matmul(&a, &b).unwrap();
        assert_eq!(c.to_f64_vec(), vec![4100.0]);
    }

    #[test]
    fn errors() {
        let f32m = Tensor::zeros(&[2, 3], DType::F32).unwrap();
        let f64m = Tensor::zeros(&[3, 2], DType::F64).unwrap();
        assert!(matches!(
            matmul(&f32m, &f64m),
            Err(TensorError::InvalidDtype(_))
        ));
        let scalar = Tensor::zeros(&[], DType::F32).unwrap();
        assert!(matches!(
            matmul(&scalar, &f32m),
            Err(TensorError::InvalidShape(_))
        ));
        let bad = Tensor::zeros(&[4, 2], DType::F32).unwrap();
        assert_eq!(
            matmul(&f32m, &bad).unwrap_err(),
            TensorError::ShapeMismatch {
                expected: vec![3],
                got: vec![4]
            }
        );
        let a = Tensor::zeros(&[2, 2, 3], DType::F32).unwrap();
        let b = Tensor::zeros(&[3, 3, 4], DType::F32).unwrap();
        assert_eq!(
            matmul(&a, &b).unwrap_err(),
            TensorError::ShapeMismatch {
                expected: vec![2],
                got: vec![3]
            }
        );
        let v3 = Tensor::zeros(&[3], DType::F32).unwrap();
        let v4 = Tensor::zeros(&[4], DType::F32).unwrap();
        assert!(matches!(
            dot(&v3, &v4),
            Err(TensorError::ShapeMismatch { .. })
        ));
        assert!(matches!(dot(&f32m, &v3), Err(TensorError::InvalidShape(_))));
        assert!(matches!(
            dot(&v3, &v3.as_type(DType::F64)),
            Err(TensorError::InvalidDtype(_))
        ));
        assert!(matches!(
            outer(&f32m, &v3),
            Err(TensorError::InvalidShape(_))
        ));
        assert!(matches!(
            outer(&v3, &v4.as_type(DType::BF16)),
            Err(TensorError::InvalidDtype(_))
        ));
    }

    /// Prints sgemm GFLOPS of `gemm` (serial and rayon-threaded),
    /// `matrixmultiply` (serial) and this module's `matmul` (matrixmultiply
    /// in rayon bands) for square row-major f32 sizes; median of 5 runs (3 at
    /// 2048) after one warm-up.
    /// `cargo test -p viva_tensor_core sgemm_gflops -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn sgemm_gflops() {
        use gemm::{gemm, Parallelism};
        use std::time::Instant;
        let threads = rayon::current_num_threads();
        for size in [256usize, 1024, 2048] {
            let a: Vec<f32> = (0..size * size).map(|i| (i % 7) as f32 * 0.1).collect();
            let b: Vec<f32> = (0..size * size).map(|i| (i % 5) as f32 * 0.1).collect();
            let mut c = vec![0.0f32; size * size];
            let flops = 2.0 * (size as f64).powi(3);
            let runs = if size >= 2048 { 3 } else { 5 };
            let mut time = |f: &mut dyn FnMut(&mut [f32])| -> f64 {
                f(&mut c); // warm-up
                let mut ts: Vec<f64> = (0..runs)
                    .map(|_| {
                        let t = Instant::now();
                        f(&mut c);
                        t.elapsed().as_secs_f64()
                    })
                    .collect();
                ts.sort_by(|x, y| x.partial_cmp(y).unwrap());
                flops / ts[runs / 2] / 1e9
            };
            let s = size as isize;
            let mut gemm_with = |p: Parallelism| {
                time(&mut |c: &mut [f32]| unsafe {
                    gemm(
                        size,
                        size,
                        size,
                        c.as_mut_ptr(),
                        1,
                        s,
                        false,
                        a.as_ptr(),
                        1,
                        s,
                        b.as_ptr(),
                        1,
                        s,
                        0.0,
                        1.0,
                        false,
                        false,
                        false,
                        p,
                    )
                })
            };
            let g1 = gemm_with(Parallelism::None);
            let gn = gemm_with(Parallelism::Rayon(threads));
            let mm = time(&mut |c: &mut [f32]| unsafe {
                matrixmultiply::sgemm(
                    size,
                    size,
                    size,
                    1.0,
                    a.as_ptr(),
                    s,
                    1,
                    b.as_ptr(),
                    s,
                    1,
                    0.0,
                    c.as_mut_ptr(),
                    s,
                    1,
                )
            });
            let ta = Tensor::from_vec(a.clone(), &[size, size]).unwrap();
            let tb = Tensor::from_vec(b.clone(), &[size, size]).unwrap();
            let ours = time(&mut |_c: &mut [f32]| {
                std::hint::black_box(matmul(&ta, &tb).unwrap());
            });
            println!(
                "sgemm {size}: gemm serial {g1:.1} GFLOPS, gemm rayon({threads}) {gn:.1}, \
                 matrixmultiply serial {mm:.1}, matmul (bands over {threads} threads) {ours:.1}"
            );
        }
    }
}
