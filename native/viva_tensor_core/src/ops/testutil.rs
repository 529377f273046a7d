//! Test helpers: random shapes and strided views, and naive f64 references
//! written with explicit index math.

use proptest::prelude::*;

use crate::dtype::{DType, Element};
use crate::view::SliceSpec;
use crate::Tensor;

/// Typed access to a test tensor's whole storage.
pub trait TestStorage {
    fn as_f64_storage(&self) -> &[f64];
}

impl TestStorage for Tensor {
    fn as_f64_storage(&self) -> &[f64] {
        f64::slice(self.storage().buffer()).expect("f64 tensor")
    }
}

pub fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `n` values k/8 for k in -32..32: exact in every dtype.
pub fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| ((splitmix(&mut s) % 64) as f64 - 32.0) / 8.0)
        .collect()
}

/// A shape and two shapes that broadcast to it (some axes 1, some missing).
pub fn broadcastable_pair(
    max_rank: usize,
    max_dim: usize,
) -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    (
        prop::collection::vec(1..=max_dim, 0..=max_rank),
        any::<u64>(),
    )
        .prop_map(|(out, seed)| {
            let mut s = seed;
            let derive = |s: &mut u64| {
                let drop = (splitmix(s) % (out.len() as u64 + 1)) as usize;
                out[drop..]
                    .iter()
                    .map(|&d| if splitmix(s).is_multiple_of(3) { 1 } else { d })
                    .collect::<Vec<_>>()
            };
            let a = derive(&mut s);
            let b = derive(&mut s);
            (a, b)
        })
}

/// NumPy's broadcast shape, written out longhand.
pub fn ref_broadcast_shape(a: &[usize], b: &[usize]) -> Vec<usize> {
    let r = a.len().max(b.len());
    let pa: Vec<usize> = std::iter::repeat_n(1, r - a.len())
        .chain(a.iter().copied())
        .collect();
    let pb: Vec<usize> = std::iter::repeat_n(1, r - b.len())
        .chain(b.iter().copied())
        .collect();
    pa.iter().zip(&pb).map(|(&x, &y)| x.max(y)).collect()
}

/// A tensor of logical shape `shape` and dtype `dtype` holding exact
/// values, built (chosen by `seed`) as a contiguous tensor, a permuted
/// view, a step-2 slice of a larger tensor, or a broadcast view.
pub fn strided_tensor(shape: &[usize], dtype: DType, seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let rank = shape.len();
    match seed % 4 {
        1 if rank >= 2 => {
            // store reversed, view permuted back
            let rev: Vec<usize> = shape.iter().rev().copied().collect();
            let base = Tensor::from_f64_slice(&values(n, seed), &rev, dtype).unwrap();
            base.transpose()
        }
        2 if rank >= 1 => {
            let big: Vec<usize> = shape.iter().map(|&d| 2 * d + 1).collect();
            let m: usize = big.iter().product();
            let base = Tensor::from_f64_slice(&values(m, seed), &big, dtype).unwrap();
            let specs: Vec<SliceSpec> = shape
                .iter()
                .map(|&d| SliceSpec {
                    start: 1,
                    stop: 1 + 2 * d as i64,
                    step: 2,
                })
                .collect();
            let v = base.slice(&specs).unwrap();
            assert_eq!(v.shape(), shape);
            v
        }
        3 if rank >= 1 => {
            // first axis broadcast from size 1
            let mut small = shape.to_vec();
            small[0] = 1;
            let m: usize = small.iter().product();
            let base = Tensor::from_f64_slice(&values(m, seed), &small, dtype).unwrap();
            base.broadcast_to(shape).unwrap()
        }
        _ => Tensor::from_f64_slice(&values(n, seed), shape, dtype).unwrap(),
    }
}

/// Row-major multi-index of flat index `i` in `shape`.
pub fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for k in (0..shape.len()).rev() {
        idx[k] = i % shape[k];
        i /= shape[k];
    }
    idx
}

/// Flat row-major index of `idx` in `shape`.
pub fn ravel(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter().zip(shape).fold(0, |acc, (&i, &d)| acc * d + i)
}

/// Element of a row-major array of `shape` at output index `out_idx`
/// broadcast (trailing-aligned, size-1 axes repeat).
pub fn bcast_get(vals: &[f64], shape: &[usize], out_idx: &[usize]) -> f64 {
    let lead = out_idx.len() - shape.len();
    let idx: Vec<usize> = shape
        .iter()
        .enumerate()
        .map(|(k, &d)| if d == 1 { 0 } else { out_idx[lead + k] })
        .collect();
    vals[ravel(&idx, shape)]
}

/// Reference binary op with broadcasting on f64 values.
pub fn ref_binary(a: &Tensor, b: &Tensor, f: impl Fn(f64, f64) -> f64) -> (Vec<f64>, Vec<usize>) {
    let shape = ref_broadcast_shape(a.shape(), b.shape());
    let (va, vb) = (a.to_f64_vec(), b.to_f64_vec());
    let n: usize = shape.iter().product();
    let out = (0..n)
        .map(|i| {
            let idx = unravel(i, &shape);
            f(
                bcast_get(&va, a.shape(), &idx),
                bcast_get(&vb, b.shape(), &idx),
            )
        })
        .collect();
    (out, shape)
}

/// Relative tolerance of one rounding in `dtype` (plus slack).
pub fn tol(dtype: DType) -> f64 {
    match dtype {
        DType::F64 => 1e-12,
        DType::F32 => 1e-6,
        DType::F16 => 2e-3,
        DType::BF16 => 1.6e-2,
    }
}

/// `got` and `want` agree within `rel * max(1, |want|)`, NaN matching NaN
/// and infinities matching exactly.
pub fn close(got: f64, want: f64, rel: f64) -> bool {
    if want.is_nan() {
        return got.is_nan();
    }
    if want.is_infinite() {
        return got == want;
    }
    (got - want).abs() <= rel * want.abs().max(1.0)
}

/// Asserts element-wise closeness with a message naming the first bad index.
pub fn assert_close(got: &[f64], want: &[f64], rel: f64) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.len(), want.len());
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        prop_assert!(
            close(g, w, rel),
            "index {}: got {}, want {} (rel {})",
            i,
            g,
            w,
            rel
        );
    }
    Ok(())
}

pub fn any_dtype() -> impl Strategy<Value = DType> {
    prop::sample::select(DType::ALL.to_vec())
}
