//! Exact nearest-neighbour search over a memory of row vectors:
//! [`similarity_search`].
//!
//! The memory is scanned in blocks of rows; each block is scored against all
//! queries with one GEMM (`block @ queries^T`, the block read in place through
//! its strides), and each query keeps a bounded heap of its `k` best rows. The
//! full `[q, n]` score matrix is never built: extra memory is one
//! `[block, q]` score buffer and `q` heaps of `k` entries per rayon task.
//! Blocks are spread over rayon's pool and the heaps merged at the end.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rayon::prelude::*;

use crate::dtype::DType;
use crate::error::{Result, TensorError};
use crate::tensor::Tensor;
use crate::view::SliceSpec;

/// How a query and a memory row are scored (higher is more similar).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// `q·m / (|q| |m|)`; 0 when either norm is below 1e-12.
    Cosine,
    /// `q·m`.
    Dot,
}

/// Rows per block at most (one GEMM each).
const BLOCK_ROWS: usize = 1024;

/// Score-buffer elements per task at most (`q * block rows`), 16 MiB of f32.
const BLOCK_SCORES: usize = 1 << 22;

/// Norms below this count as zero for [`Metric::Cosine`].
const MIN_NORM: f32 = 1e-12;

/// The `k` memory rows most similar to each query, best first.
///
/// Shapes: `queries` `[q, d]`, `memory` `[n, d]` (any views, read in place
/// when f32). Returns `(scores, indices)`: `scores` is an f32 tensor
/// `[q, k]`, `indices` the matching memory row numbers, row-major `[q, k]`.
/// Equal scores keep ascending row order; a NaN score ranks below every
/// number.
///
/// Dtypes: both inputs must share a dtype. Scores are computed in f32 for
/// every dtype: f32 inputs directly, f64/f16/bf16 inputs converted to f32
/// once per memory block (so memory is never copied whole).
///
/// Errors: `InvalidShape` when either input is not 2-D; `InvalidDtype` when
/// the dtypes differ; `ShapeMismatch { expected: [d of queries], got: [d of
/// memory] }` when the row lengths differ; `InvalidArgument` when `k > n`.
pub fn similarity_search(
    queries: &Tensor,
    memory: &Tensor,
    k: usize,
    metric: Metric,
) -> Result<(Tensor, Vec<i64>)> {
    search(queries, memory, k, metric, BLOCK_ROWS)
}

fn search(
    queries: &Tensor,
    memory: &Tensor,
    k: usize,
    metric: Metric,
    max_block: usize,
) -> Result<(Tensor, Vec<i64>)> {
    if queries.rank() != 2 || memory.rank() != 2 {
        return Err(TensorError::invalid_shape(format!(
            "similarity_search needs 2-D queries [q, d] and memory [n, d], got {:?} and {:?}",
            queries.shape(),
            memory.shape()
        )));
    }
    if queries.dtype() != memory.dtype() {
        return Err(TensorError::InvalidDtype(format!(
            "similarity_search inputs must share a dtype, got {} and {}",
            queries.dtype().name(),
            memory.dtype().name()
        )));
    }
    let (q, d) = (queries.shape()[0], queries.shape()[1]);
    let (n, d2) = (memory.shape()[0], memory.shape()[1]);
    if d != d2 {
        return Err(TensorError::ShapeMismatch {
            expected: vec![d],
            got: vec![d2],
        });
    }
    if k > n {
        return Err(TensorError::invalid_argument(format!(
            "similarity_search: k = {k} exceeds the {n} memory rows"
        )));
    }
    crate::layout::checked_numel(&[q, k])?;
    if k == 0 || q == 0 {
        return Ok((Tensor::from_vec(Vec::<f32>::new(), &[q, k])?, Vec::new()));
    }
    let qv = queries.as_type(DType::F32).to_vec::<f32>()?;
    let q_norms: Vec<f32> = (0..q).map(|i| norm(&qv[i * d..(i + 1) * d])).collect();
    let block = (BLOCK_SCORES / q).max(64).min(max_block.max(1));
    let ctx = Ctx {
        qv: &qv,
        q_norms: &q_norms,
        q,
        d,
        k,
        metric,
        memory,
    };
    let n_blocks = n.div_ceil(block);
    let heaps = (0..n_blocks)
        .into_par_iter()
        .fold(
            || (vec![BinaryHeap::with_capacity(k + 1); q], Vec::new()),
            |(mut heaps, mut buf), b| {
                let start = b * block;
                ctx.scan(start, block.min(n - start), &mut heaps, &mut buf);
                (heaps, buf)
            },
        )
        .map(|(heaps, _)| heaps)
        .reduce(
            || vec![BinaryHeap::new(); q],
            |mut acc, other| {
                for (h, o) in acc.iter_mut().zip(other) {
                    for e in o {
                        offer(h, k, e);
                    }
                }
                acc
            },
        );
    let mut scores = Vec::with_capacity(q * k);
    let mut indices = Vec::with_capacity(q * k);
    for h in heaps {
        for e in h.into_sorted_vec() {
            scores.push(e.score);
            indices.push(e.idx);
        }
    }
    Ok((Tensor::from_vec(scores, &[q, k])?, indices))
}

struct Ctx<'a> {
    qv: &'a [f32],
    q_norms: &'a [f32],
    q: usize,
    d: usize,
    k: usize,
    metric: Metric,
    memory: &'a Tensor,
}

impl Ctx<'_> {
    /// Scores memory rows `start .. start + rows` against every query and
    /// offers them to the heaps; `buf` is reused scratch for the scores.
    fn scan(&self, start: usize, rows: usize, heaps: &mut [BinaryHeap<Entry>], buf: &mut Vec<f32>) {
        let (q, d) = (self.q, self.d);
        // The block as f32 with its strides: in place for f32 memory, else
        // a converted copy of just these rows.
        let converted;
        let (data, off, rs, cs) = if self.memory.dtype() == DType::F32 {
            let data = <f32 as crate::dtype::Element>::slice(self.memory.storage().buffer())
                .expect("dtype is f32");
            let st = self.memory.strides();
            let off = self.memory.layout().offset() as isize + start as isize * st[0];
            (data, off, st[0], st[1])
        } else {
            let rows_view = self
                .memory
                .slice(&[SliceSpec {
                    start: start as i64,
                    stop: (start + rows) as i64,
                    step: 1,
                }])
                .expect("block rows lie inside memory");
            converted = rows_view
                .as_type(DType::F32)
                .to_vec::<f32>()
                .expect("converted to f32");
            (converted.as_slice(), 0, d as isize, 1)
        };
        // Norms first: this pass brings the block into cache for the GEMM
        // (after the GEMM it had to stream the block from memory again).
        let m_norms: Vec<f32> = match self.metric {
            Metric::Dot => Vec::new(),
            Metric::Cosine => (0..rows)
                .map(|j| {
                    let base = off + j as isize * rs;
                    if cs == 1 {
                        norm(&data[base as usize..base as usize + d])
                    } else {
                        norm_strided(data, base, cs, d)
                    }
                })
                .collect(),
        };
        buf.clear();
        buf.resize(q * rows, 0.0);
        if d > 0 {
            // SAFETY: queries are a contiguous q x d f32 buffer; the block's
            // element (j, p) for j < rows, p < d sits at off + j*rs + p*cs,
            // an element of `memory`'s view (Layout invariant; rows > 0 and
            // d > 0 so `off` itself is in bounds); `buf` holds rows x q.
            unsafe {
                // block [rows, d] @ queries^T [d, q] -> buf [rows, q]: the
                // big operand is the packed-by-rows `a` side, read along
                // its rows (measured faster than queries @ block^T).
                matrixmultiply::sgemm(
                    rows,
                    d,
                    q,
                    1.0,
                    data.as_ptr().offset(off),
                    rs,
                    cs,
                    self.qv.as_ptr(),
                    1,
                    d as isize,
                    0.0,
                    buf.as_mut_ptr(),
                    q as isize,
                    1,
                );
            }
        }
        for (qi, heap) in heaps.iter_mut().enumerate() {
            let qn = self.q_norms[qi];
            for (j, &dot) in buf[qi..].iter().step_by(q).enumerate() {
                let score = match self.metric {
                    Metric::Dot => dot,
                    Metric::Cosine => {
                        let mn = m_norms[j];
                        if qn < MIN_NORM || mn < MIN_NORM {
                            0.0
                        } else {
                            dot / (qn * mn)
                        }
                    }
                };
                offer(
                    heap,
                    self.k,
                    Entry {
                        score,
                        idx: (start + j) as i64,
                    },
                );
            }
        }
    }
}

/// Euclidean norm of a contiguous row.
fn norm(v: &[f32]) -> f32 {
    // 8 independent partial sums so the loop vectorises
    let mut acc = [0.0f32; 8];
    let chunks = v.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += x * x;
        }
    }
    let tail: f32 = rest.iter().map(|x| x * x).sum();
    (acc.iter().sum::<f32>() + tail).sqrt()
}

/// Euclidean norm of the `len` elements `data[base + p * stride]`.
fn norm_strided(data: &[f32], base: isize, stride: isize, len: usize) -> f32 {
    (0..len)
        .map(|p| {
            let x = data[(base + p as isize * stride) as usize];
            x * x
        })
        .sum::<f32>()
        .sqrt()
}

/// A candidate: memory row `idx` scored `score`.
#[derive(Debug, Clone, Copy)]
struct Entry {
    score: f32,
    idx: i64,
}

impl Entry {
    /// The ranking key: NaN ranks below every number.
    fn key(&self) -> f32 {
        if self.score.is_nan() {
            f32::NEG_INFINITY
        } else {
            self.score
        }
    }
}

/// *Worse is greater*: a max-heap keeps its worst entry on top (the one to
/// evict) and `into_sorted_vec` lists the best first.
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .key()
            .partial_cmp(&self.key())
            .expect("keys are never NaN")
            .then(self.idx.cmp(&other.idx))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

/// Keeps `e` in the bounded heap (capacity `k >= 1`) if it is among the best `k`.
fn offer(heap: &mut BinaryHeap<Entry>, k: usize, e: Entry) {
    if heap.len() < k {
        heap.push(e);
    } else if let Some(mut top) = heap.peek_mut() {
        // replacing the worst entry sifts it down when `top` drops
        if e < *top {
            *top = e;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lcg(seed: u64, n: usize) -> Vec<f64> {
        let mut s = seed | 1;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
            })
            .collect()
    }

    /// Brute force: the full [q, n] score matrix in f64, each row sorted
    /// (score descending, index ascending).
    fn brute(queries: &Tensor, memory: &Tensor, metric: Metric) -> Vec<Vec<(f64, usize)>> {
        let (q, d) = (queries.shape()[0], queries.shape()[1]);
        let n = memory.shape()[0];
        let (qv, mv) = (queries.to_f64_vec(), memory.to_f64_vec());
        let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
        (0..q)
            .map(|i| {
                let qr = &qv[i * d..(i + 1) * d];
                let mut row: Vec<(f64, usize)> = (0..n)
                    .map(|j| {
                        let mr = &mv[j * d..(j + 1) * d];
                        let dot: f64 = qr.iter().zip(mr).map(|(a, b)| a * b).sum();
                        let s = match metric {
                            Metric::Dot => dot,
                            Metric::Cosine => {
                                let (a, b) = (norm(qr), norm(mr));
                                if a < 1e-12 || b < 1e-12 {
                                    0.0
                                } else {
                                    dot / (a * b)
                                }
                            }
                        };
                        (s, j)
                    })
                    .collect();
                row.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap().then(a.1.cmp(&b.1)));
                row
            })
            .collect()
    }

    /// Scores agree with the brute-force ranking position by position, and
    /// each returned index really has the returned score (so near-ties may
    /// swap but nothing else).
    fn check_close(
        queries: &Tensor,
        memory: &Tensor,
        k: usize,
        metric: Metric,
        block: usize,
    ) -> std::result::Result<(), TestCaseError> {
        let (scores, idx) = search(queries, memory, k, metric, block).unwrap();
        let q = queries.shape()[0];
        prop_assert_eq!(scores.shape(), &[q, k]);
        prop_assert_eq!(scores.dtype(), DType::F32);
        prop_assert_eq!(idx.len(), q * k);
        let want = brute(queries, memory, metric);
        let sv = scores.to_f64_vec();
        let d = queries.shape()[1] as f64;
        let tol = 1e-5 * (d + 1.0);
        let mut full: Vec<Vec<f64>> = want.iter().map(|r| vec![0.0; r.len()]).collect();
        for (qi, r) in want.iter().enumerate() {
            for &(s, j) in r {
                full[qi][j] = s;
            }
        }
        for qi in 0..q {
            let mut seen = std::collections::HashSet::new();
            for j in 0..k {
                let (got_s, got_i) = (sv[qi * k + j], idx[qi * k + j]);
                prop_assert!(seen.insert(got_i), "duplicate index {}", got_i);
                prop_assert!(
                    (got_s - want[qi][j].0).abs() <= tol,
                    "q{} rank {}: {} vs {}",
                    qi,
                    j,
                    got_s,
                    want[qi][j].0
                );
                prop_assert!((full[qi][got_i as usize] - got_s).abs() <= tol);
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn matches_brute_force(
            q in 1usize..5, n in 1usize..60, d in 1usize..12,
            k_pick in 0usize..60, block in 1usize..16,
            cosine in any::<bool>(), transposed in any::<bool>(),
            dtype in prop_oneof![Just(DType::F32), Just(DType::F64), Just(DType::F16), Just(DType::BF16)],
            seed in any::<u64>(),
        ) {
            let k = k_pick % (n + 1);
            let metric = if cosine { Metric::Cosine } else { Metric::Dot };
            let queries = Tensor::from_f64_slice(&lcg(seed, q * d), &[q, d], dtype).unwrap();
            let memory = if transposed {
                Tensor::from_f64_slice(&lcg(seed ^ 7, n * d), &[d, n], dtype).unwrap().transpose()
            } else {
                Tensor::from_f64_slice(&lcg(seed ^ 7, n * d), &[n, d], dtype).unwrap()
            };
            check_close(&queries, &memory, k, metric, block)?;
        }

        /// Small integers make every f32 dot product exact, with many ties:
        /// the result must equal the brute-force ranking exactly.
        #[test]
        fn integer_dot_products_rank_exactly_with_ties_by_index(
            q in 1usize..4, n in 1usize..80, d in 1usize..4,
            k_pick in 0usize..80, block in 1usize..20,
            vals in proptest::collection::vec(-2i8..3, 4 * 3 + 80 * 3),
        ) {
            let k = k_pick % (n + 1);
            let qv: Vec<f32> = vals[..q * d].iter().map(|&v| v as f32).collect();
            let mv: Vec<f32> = vals[12..12 + n * d].iter().map(|&v| v as f32).collect();
            let queries = Tensor::from_vec(qv, &[q, d]).unwrap();
            let memory = Tensor::from_vec(mv, &[n, d]).unwrap();
            let (scores, idx) = search(&queries, &memory, k, Metric::Dot, block).unwrap();
            let want = brute(&queries, &memory, Metric::Dot);
            let sv = scores.to_f64_vec();
            for qi in 0..q {
                for j in 0..k {
                    prop_assert_eq!((sv[qi * k + j], idx[qi * k + j] as usize), want[qi][j]);
                }
            }
        }
    }

    #[test]
    fn default_blocks_with_a_ragged_tail() {
        // 2 full default blocks plus 37 rows, several tasks
        let (q, n, d) = (3, 2 * BLOCK_ROWS + 37, 8);
        let queries = Tensor::from_f64_slice(&lcg(1, q * d), &[q, d], DType::F32).unwrap();
        let memory = Tensor::from_f64_slice(&lcg(2, n * d), &[n, d], DType::F32).unwrap();
        for metric in [Metric::Cosine, Metric::Dot] {
            check_close(&queries, &memory, 10, metric, BLOCK_ROWS).unwrap();
        }
        let (s, i) = similarity_search(&queries, &memory, n, Metric::Dot).unwrap();
        assert_eq!(s.shape(), &[q, n]);
        let mut sorted = i[..n].to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..n as i64).collect::<Vec<_>>());
    }

    #[test]
    fn zero_norm_rows_score_zero_under_cosine() {
        let queries = Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 0.0], &[2, 2]).unwrap();
        let memory = Tensor::from_vec(vec![0.0f32, 0.0, -1.0, 0.0, 2.0, 0.0], &[3, 2]).unwrap();
        let (s, i) = similarity_search(&queries, &memory, 3, Metric::Cosine).unwrap();
        assert_eq!(
            s.to_vec::<f32>().unwrap(),
            vec![1.0, 0.0, -1.0, 0.0, 0.0, 0.0]
        );
        assert_eq!(i, vec![2, 0, 1, 0, 1, 2]);
    }

    #[test]
    fn errors() {
        let q = Tensor::zeros(&[2, 4], DType::F32).unwrap();
        let m = Tensor::zeros(&[5, 4], DType::F32).unwrap();
        assert!(matches!(
            similarity_search(&q, &m, 6, Metric::Dot),
            Err(TensorError::InvalidArgument(_))
        ));
        assert!(similarity_search(&q, &m, 5, Metric::Dot).is_ok());
        let (s, i) = similarity_search(&q, &m, 0, Metric::Cosine).unwrap();
        assert_eq!(s.shape(), &[2, 0]);
        assert!(i.is_empty());
        let m3 = Tensor::zeros(&[5, 3], DType::F32).unwrap();
        assert_eq!(
            similarity_search(&q, &m3, 1, Metric::Dot).unwrap_err(),
            TensorError::ShapeMismatch {
                expected: vec![4],
                got: vec![3]
            }
        );
        assert!(matches!(
            similarity_search(&q, &m.as_type(DType::F16), 1, Metric::Dot),
            Err(TensorError::InvalidDtype(_))
        ));
        let v = Tensor::zeros(&[4], DType::F32).unwrap();
        assert!(matches!(
            similarity_search(&v, &m, 1, Metric::Dot),
            Err(TensorError::InvalidShape(_))
        ));
        assert!(matches!(
            similarity_search(&q, &v, 1, Metric::Dot),
            Err(TensorError::InvalidShape(_))
        ));
    }

    /// Throughput on a 1M x 384 f32 memory (1.5 GiB) with 16 queries, k = 10.
    /// `cargo test -p viva_tensor_core similarity_rows_per_second -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn similarity_rows_per_second() {
        let (q, n, d) = (16, 1_000_000, 384);
        let mv: Vec<f32> = lcg(3, n * d).into_iter().map(|x| x as f32).collect();
        let memory = Tensor::from_vec(mv, &[n, d]).unwrap();
        let queries = Tensor::from_f64_slice(&lcg(4, q * d), &[q, d], DType::F32).unwrap();
        for metric in [Metric::Dot, Metric::Cosine] {
            let mut ts: Vec<f64> = (0..3)
                .map(|_| {
                    let t = std::time::Instant::now();
                    std::hint::black_box(similarity_search(&queries, &memory, 10, metric).unwrap());
                    t.elapsed().as_secs_f64()
                })
                .collect();
            ts.sort_by(|a, b| a.partial_cmp(b).unwrap());
            println!(
                "{metric:?}: {n} x {d} memory, {q} queries: {:.3} s (median of 3), {:.2} M rows/s, {} threads",
                ts[1],
                n as f64 / ts[1] / 1e6,
                rayon::current_num_threads()
            );
        }
    }
}
