//! NF4 with double quantization of the absmaxes (bitsandbytes
//! `quantize_4bit(compress_statistics=True, quant_type='nf4')`, CPU path).
//!
//! Stored parts:
//! - `codes`: exactly as [`super::nf4`] (same first-level rule and bytes).
//! - `offset`: one f32, the mean of the first-level absmaxes `a_j`, summed in
//!   PyTorch's CPU order (see [`torch_cpu_mean`]).
//! - `absmax2`: one f32 per second-level block of `block_size2` (default 256)
//!   values `d_j = f32(a_j - offset)`: their max |d|. The last second-level
//!   block may be partial (it just has fewer members, no padding).
//! - `absmax_q`: one byte per first-level block, an index into the signed
//!   dynamic map `D` ([`dynamic_map`], generated in code as bitsandbytes'
//!   `create_dynamic_map(signed=True)`; not stored).
//!
//! Second-level encode, like the reference's 65536-entry lookup table:
//! `v = clamp(f32(d * f32(1 / absmax2)), -1, 1)`,
//! `t = trunc(f32(f32(f32(f32(v + 1) * 0.5) * 65535) + 0.5))`,
//! `L = f32(-1 + f32(f32(2t) / 65535))`, and the byte is the number of
//! midpoints `M_i = f32(0.5 * f32(D[i] + D[i+1]))` strictly below `L`. A
//! second-level block whose absmax2 is 0 gets all bytes 0.
//!
//! Decode: `a'_j = f32(f32(D[absmax_q_j] * absmax2) + offset)`,
//! `x = f32(L[code] * a'_j)`.

use std::sync::OnceLock;

use rayon::prelude::*;

use super::common::{check_packed_len, check_side_len, n_blocks};
use super::nf4::{check_block_size, decode_with_absmax, encode_codes};
use crate::{Result, TensorError};

/// Default second-level block size (bitsandbytes uses 256).
pub const DEFAULT_BLOCK2: usize = 256;

/// `torch.linspace(start, end, steps)` in float32 as PyTorch's CPU kernel
/// evaluates it: `step = f32((end - start) / (steps - 1))`; element `k` is
/// `fma(step, k, start)` for `k < steps / 2`, else `fma(-step, steps-1-k, end)`
/// (the kernel's `start + step * k` is contracted to a fused multiply-add in
/// PyTorch's AVX2 build; this reproduces the reference map bit for bit).
fn torch_linspace_f32(start: f32, end: f32, steps: usize) -> Vec<f32> {
    if steps == 1 {
        return vec![start];
    }
    let step = (end - start) / (steps - 1) as f32;
    let halfway = steps / 2;
    (0..steps)
        .map(|k| {
            if k < halfway {
                step.mul_add(k as f32, start)
            } else {
                (-step).mul_add((steps - k - 1) as f32, end)
            }
        })
        .collect()
}

/// Builds bitsandbytes' `create_dynamic_map(signed=True, max_exponent_bits=7,
/// total_bits=8)` with float32 tensors: for `i` in 0..7, the means of
/// adjacent points of `linspace(0.1, 1, 2^i + 1)` times `±f32(10^(i-6))`, plus
/// 0 and 1, sorted (256 entries; smallest -0.99296874, 0 at 127, 1 at 255).
fn build_dynamic_map() -> [f32; 256] {
    let mut data: Vec<f32> = Vec::with_capacity(256);
    for i in 0..7i32 {
        let b = torch_linspace_f32(0.1, 1.0, (1usize << i) + 1);
        let scale = 10f64.powi(i - 6) as f32;
        for sign in [1.0f32, -1.0] {
            data.extend(b.windows(2).map(|w| (sign * scale) * ((w[0] + w[1]) / 2.0)));
        }
    }
    data.push(0.0);
    data.push(1.0);
    data.sort_by(|a, b| a.total_cmp(b));
    let mut out = [0f32; 256];
    out.copy_from_slice(&data);
    out
}

/// The signed dynamic map `D` (256 ascending entries), generated once.
pub fn dynamic_map() -> &'static [f32; 256] {
    static MAP: OnceLock<[f32; 256]> = OnceLock::new();
    MAP.get_or_init(build_dynamic_map)
}

/// The 255 midpoints `f32(0.5 * f32(D[i] + D[i+1]))`.
fn dynamic_midpoints() -> &'static [f32; 255] {
    static MIDS: OnceLock<[f32; 255]> = OnceLock::new();
    MIDS.get_or_init(|| {
        let d = dynamic_map();
        let mut m = [0f32; 255];
        for (i, v) in m.iter_mut().enumerate() {
            *v = 0.5 * (d[i] + d[i + 1]);
        }
        m
    })
}

/// Mean of `a` summed in PyTorch's CPU order (`torch.mean` on a contiguous
/// float32 vector, AVX2 build, single thread): 8-lane vectors, four
/// interleaved vector accumulators with a 4-level cascade
/// (`multi_row_sum`), the accumulators folded 0+1+2+3, the scalar tail summed
/// first, then the 8 lanes left to right; finally `/ len`. For 64 values this
/// is the README's `A_i = V_i + V_{i+4}`, `T = ((A_0+A_1)+A_2)+A_3`.
/// (PyTorch splits sums over more than 32768 values across threads; beyond
/// that its result depends on its thread count, ours stays this order.)
pub fn torch_cpu_mean(a: &[f32]) -> f32 {
    if a.is_empty() {
        return f32::NAN;
    }
    torch_cpu_sum(a) / a.len() as f32
}

fn ceil_log2(x: usize) -> usize {
    if x <= 2 {
        1
    } else {
        (usize::BITS - (x - 1).leading_zeros()) as usize
    }
}

/// `row_sum` of PyTorch's SumKernel over `size` "rows" of `W` lanes each.
// Indexed loops on purpose: they mirror the C++ kernel's accumulation order.
#[allow(clippy::needless_range_loop)]
fn row_sum<const W: usize>(load: impl Fn(usize) -> [f32; W], size: usize) -> [f32; W] {
    const ILP: usize = 4;
    const LEVELS: usize = 4;
    let add = |a: [f32; W], b: [f32; W]| -> [f32; W] {
        let mut r = a;
        for k in 0..W {
            r[k] += b[k];
        }
        r
    };
    let size_ilp = size / ILP;
    // multi_row_sum over size_ilp rows of ILP items
    let level_power = 4usize.max(ceil_log2(size_ilp) / LEVELS);
    let level_step = 1usize << level_power;
    let level_mask = level_step - 1;
    let mut acc = [[[0f32; W]; ILP]; LEVELS];
    let mut i = 0usize;
    while i + level_step <= size_ilp {
        for _ in 0..level_step {
            for k in 0..ILP {
                acc[0][k] = add(acc[0][k], load(i * ILP + k));
            }
            i += 1;
        }
        for j in 1..LEVELS {
            for k in 0..ILP {
                acc[j][k] = add(acc[j][k], acc[j - 1][k]);
                acc[j - 1][k] = [0f32; W];
            }
            let mask = level_mask << (j * level_power);
            if i & mask != 0 {
                break;
            }
        }
    }
    while i < size_ilp {
        for k in 0..ILP {
            acc[0][k] = add(acc[0][k], load(i * ILP + k));
        }
        i += 1;
    }
    for j in 1..LEVELS {
        for k in 0..ILP {
            acc[0][k] = add(acc[0][k], acc[j][k]);
        }
    }
    let mut partial = acc[0];
    for r in size_ilp * ILP..size {
        partial[0] = add(partial[0], load(r));
    }
    let mut total = partial[0];
    for p in partial.iter().skip(1) {
        total = add(total, *p);
    }
    total
}

fn torch_cpu_sum(a: &[f32]) -> f32 {
    const LANES: usize = 8;
    let n = a.len();
    let total = if n >= LANES {
        let vec_size = n / LANES;
        let lanes = row_sum::<LANES>(
            |r| {
                let mut v = [0f32; LANES];
                v.copy_from_slice(&a[r * LANES..(r + 1) * LANES]);
                v
            },
            vec_size,
        );
        let mut acc = 0f32;
        for &t in &a[vec_size * LANES..] {
            acc += t;
        }
        for l in lanes {
            acc += l;
        }
        acc
    } else {
        row_sum::<1>(|r| [a[r]], n)[0]
    };
    // the output starts at 0 and the result is accumulated into it
    0.0 + total
}

/// NF4 values with double-quantized absmaxes.
#[derive(Debug, Clone, PartialEq)]
pub struct Nf4DqQuantized {
    /// First-level block size (even).
    pub block_size: usize,
    /// Second-level block size (absmaxes per `absmax2` entry).
    pub block_size2: usize,
    /// Packed NF4 codes, as [`super::nf4::Nf4Quantized::codes`].
    pub codes: Vec<u8>,
    /// One dynamic-map index per first-level block.
    pub absmax_q: Vec<u8>,
    /// One f32 per second-level block.
    pub absmax2: Vec<f32>,
    /// Mean of the first-level absmaxes.
    pub offset: f32,
}

/// Checks a second-level block size (1..=2^24).
pub fn check_block_size2(block_size2: usize) -> Result<()> {
    if block_size2 == 0 || block_size2 > 1 << 24 {
        return Err(TensorError::invalid_argument(format!(
            "nf4_dq second-level block size must be in 1..=2^24, got {block_size2}"
        )));
    }
    Ok(())
}

/// The 16-bit grid index `t` of `d` in a second-level block whose absmax2
/// has reciprocal `inv` (the first half of the second-level rule).
#[inline]
fn grid_index(d: f32, inv: f32) -> usize {
    let v = (d * inv).clamp(-1.0, 1.0);
    // v in [-1, 1] puts the sum in [0.5, 65535.5], where the cast truncates
    // as the reference's trunc does (a NaN, a zero d times the infinite
    // reciprocal of a subnormal absmax2, casts to 0 as trunc(NaN) would),
    // without the libm truncf call that baseline x86-64 makes of `trunc`
    (((v + 1.0) * 0.5) * 65535.0 + 0.5) as usize
}

/// The dynamic-map index of grid point `t`: the number of midpoints strictly
/// below `L = f32(-1 + f32(f32(2t) / 65535))` (the second half of the rule).
fn grid_code(t: usize) -> u8 {
    let l = -1.0 + (2.0 * t as f32) / 65535.0;
    // the midpoints ascend, so the count of those below l is a partition point
    dynamic_midpoints().partition_point(|&m| m < l) as u8
}

/// [`grid_code`] for every `t` (64 KiB), built once: the code depends on `d`
/// only through `t`, so encoding an absmax is one table read instead of a
/// search over 255 midpoints (the reference uses the same kind of table).
fn grid_codes() -> &'static [u8; 1 << 16] {
    static TABLE: OnceLock<Box<[u8; 1 << 16]>> = OnceLock::new();
    TABLE.get_or_init(|| Box::new(std::array::from_fn(grid_code)))
}

/// Encodes one second-level block: the first-level absmaxes `a` minus
/// `offset` as dynamic-map indices `q` (left 0 when they are all 0); returns
/// the block's absmax2, the largest `|a − offset|`.
fn encode_block2(a: &[f32], offset: f32, table: &[u8; 1 << 16], q: &mut [u8]) -> f32 {
    // `common::absmax` of the differences, without storing them
    let m = f32::from_bits(
        a.iter()
            .fold(0u32, |m, &v| m.max((v - offset).to_bits() & 0x7FFF_FFFF)),
    );
    if m == 0.0 {
        return m;
    }
    let inv = 1.0 / m;
    // the indices of a chunk first (8 at a time where the CPU has AVX2),
    // then the table reads
    let mut t = [0i32; 64];
    for (ac, qc) in a.chunks(64).zip(q.chunks_mut(64)) {
        let done = fast_grid_indices(ac, offset, inv, &mut t);
        for (t, &v) in t.iter_mut().zip(ac).skip(done) {
            *t = grid_index(v - offset, inv) as i32;
        }
        for (q, &t) in qc.iter_mut().zip(&t) {
            *q = table[t as usize & 0xFFFF];
        }
    }
    m
}

/// How many leading grid indices of `a` the AVX2 kernel wrote into `t`
/// (none without AVX2 or for an infinite `inv`, whose NaN case the scalar
/// clamp handles).
fn fast_grid_indices(a: &[f32], offset: f32, inv: f32, t: &mut [i32]) -> usize {
    #[cfg(target_arch = "x86_64")]
    if inv.is_finite() && super::encode_avx2::has_encode_simd() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above)
        return unsafe { super::encode_avx2_nf4::dq_grid_indices(a, offset, inv, t) };
    }
    let _ = (a, offset, inv, t);
    0
}

/// Second-level blocks per parallel task (each block is independent).
const BLOCKS2_PER_TASK: usize = 64;

/// Quantizes `x` with NF4 (blocks of `block_size`) and double-quantizes the
/// absmaxes (second-level blocks of `block_size2`).
pub fn quantize(x: &[f32], block_size: usize, block_size2: usize) -> Result<Nf4DqQuantized> {
    check_block_size(block_size)?;
    check_block_size2(block_size2)?;
    // the first level is exactly NF4 (its AVX2 kernel included), which also
    // rejects NaN/inf naming the first bad index
    let (codes, absmax) = encode_codes(x, block_size)?;
    let offset = if absmax.is_empty() {
        0.0
    } else {
        torch_cpu_mean(&absmax)
    };
    let mut absmax_q = vec![0u8; absmax.len()];
    let mut absmax2 = vec![0f32; n_blocks(absmax.len(), block_size2)];
    let table = grid_codes();
    let per_task = BLOCKS2_PER_TASK * block_size2;
    absmax
        .par_chunks(per_task)
        .zip(absmax_q.par_chunks_mut(per_task))
        .zip(absmax2.par_chunks_mut(BLOCKS2_PER_TASK))
        .for_each(|((as_, qs), ms)| {
            for ((a, q), m) in as_
                .chunks(block_size2)
                .zip(qs.chunks_mut(block_size2))
                .zip(ms)
            {
                *m = encode_block2(a, offset, table, q);
            }
        });
    Ok(Nf4DqQuantized {
        block_size,
        block_size2,
        codes,
        absmax_q,
        absmax2,
        offset,
    })
}

/// The reconstructed first-level absmaxes `f32(f32(D[q] * absmax2) + offset)`.
pub fn reconstructed_absmax(q: &Nf4DqQuantized) -> Vec<f32> {
    (0..q.absmax_q.len()).map(|j| block_absmax(q, j)).collect()
}

/// The reconstructed absmax of first-level block `j` (one entry of
/// [`reconstructed_absmax`], for decoders that need only some blocks).
#[inline]
pub(crate) fn block_absmax(q: &Nf4DqQuantized, j: usize) -> f32 {
    dynamic_map()[q.absmax_q[j] as usize] * q.absmax2[j / q.block_size2] + q.offset
}

/// Decodes `n` values.
pub fn dequantize(q: &Nf4DqQuantized, n: usize) -> Result<Vec<f32>> {
    check_block_size(q.block_size)?;
    check_block_size2(q.block_size2)?;
    check_packed_len(
        "nf4_dq codes",
        q.codes.len(),
        n,
        q.block_size,
        q.block_size / 2,
    )?;
    let nb = n_blocks(n, q.block_size);
    check_side_len("nf4_dq absmax_q", q.absmax_q.len(), nb)?;
    check_side_len(
        "nf4_dq absmax2",
        q.absmax2.len(),
        n_blocks(nb, q.block_size2),
    )?;
    let a = reconstructed_absmax(q);
    Ok(decode_with_absmax(&q.codes, &a, q.block_size, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::testutil::*;
    use proptest::prelude::*;

    #[test]
    fn dynamic_map_matches_reference() {
        let m = dynamic_map();
        assert_bits_eq(
            "nf4_dq/dynamic_map.f32",
            m,
            &read_f32("nf4_dq", "dynamic_map.f32"),
        );
        assert_eq!(m[127], 0.0);
        assert_eq!(m[255], 1.0);
    }

    #[test]
    fn grid_table_counts_midpoints_below_every_grid_point() {
        let mids = dynamic_midpoints();
        assert!(mids.windows(2).all(|w| w[0] <= w[1]), "midpoints ascend");
        let table = grid_codes();
        assert_eq!(table.len(), 65536);
        for (t, &code) in table.iter().enumerate() {
            let l = -1.0 + (2.0 * t as f32) / 65535.0;
            let count = mids.iter().filter(|&&m| m < l).count();
            assert_eq!(code as usize, count, "t = {t}");
        }
        assert_eq!((table[0], table[65535]), (0, 255));
    }

    /// `encode_block2` (differences not stored, index loop split from the
    /// table reads) against the rule written out: `d = a − offset`, `m =
    /// absmax(d)`, `q = table[grid_index(d, 1 / m)]`, all 0 when `m` is 0;
    /// with ragged lengths, all-equal blocks and a subnormal absmax2 (whose
    /// infinite reciprocal turns a zero difference into NaN, index 0).
    #[test]
    fn block2_matches_the_rule() {
        let table = grid_codes();
        let rule = |a: &[f32], offset: f32| -> (f32, Vec<u8>) {
            let d: Vec<f32> = a.iter().map(|v| v - offset).collect();
            let m = crate::quant::common::absmax(&d);
            let q = if m == 0.0 {
                vec![0; a.len()]
            } else {
                d.iter().map(|&v| table[grid_index(v, 1.0 / m)]).collect()
            };
            (m, q)
        };
        let mut seed = 7u32;
        let mut cases: Vec<(Vec<f32>, f32)> = Vec::new();
        for n in [1usize, 5, 63, 64, 65, 200, 256, 300] {
            let a: Vec<f32> = (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (seed >> 8) as f32 / (1u32 << 24) as f32 * 0.3
                })
                .collect();
            let mean = a.iter().sum::<f32>() / n as f32;
            cases.push((a.clone(), mean));
            cases.push((a.clone(), 0.0));
            cases.push((vec![0.25; n], 0.25));
        }
        let tiny: Vec<f32> = (0..70).map(|i| (i % 5) as f32 * 1e-45).collect();
        cases.push((tiny, 0.0));
        for (a, offset) in cases {
            let mut q = vec![0u8; a.len()];
            let m = encode_block2(&a, offset, table, &mut q);
            let (want_m, want_q) = rule(&a, offset);
            assert_eq!(
                m.to_bits(),
                want_m.to_bits(),
                "n {} offset {offset}",
                a.len()
            );
            assert_eq!(q, want_q, "n {} offset {offset}", a.len());
        }
    }

    #[test]
    fn torch_mean_order_for_64() {
        // README rule for 64 values, written out directly.
        let a: Vec<f32> = (0..64)
            .map(|i| 1.0 + (i as f32) * 0.1 + 1e-3 / (i as f32 + 1.0))
            .collect();
        let v = |k: usize, l: usize| a[8 * k + l];
        let mut lanes = [0f32; 8];
        for (l, lane) in lanes.iter_mut().enumerate() {
            let acc: Vec<f32> = (0..4).map(|i| v(i, l) + v(i + 4, l)).collect();
            *lane = ((acc[0] + acc[1]) + acc[2]) + acc[3];
        }
        let mut s = 0f32;
        for l in lanes {
            s += l;
        }
        assert_eq!(torch_cpu_mean(&a).to_bits(), (s / 64.0).to_bits());
        // small sizes take the scalar path and stay sane
        assert_eq!(torch_cpu_mean(&[1.0, 2.0, 3.0]), 2.0);
    }

    #[test]
    fn reference_vectors_bit_exact() {
        for case in CASES {
            let x = read_f32("nf4_dq", &format!("{case}.in.f32"));
            let q = quantize(&x, 64, 256).unwrap();
            let f = |ext: &str| format!("nf4_dq/{case}.{ext}");
            assert_bytes_eq(
                &f("q.bin"),
                &q.codes,
                &read_bytes("nf4_dq", &format!("{case}.q.bin")),
            );
            assert_bits_eq(
                &f("offset.f32"),
                &[q.offset],
                &read_f32("nf4_dq", &format!("{case}.offset.f32")),
            );
            assert_bits_eq(
                &f("absmax2.f32"),
                &q.absmax2,
                &read_f32("nf4_dq", &format!("{case}.absmax2.f32")),
            );
            assert_bytes_eq(
                &f("absmax_q.u8"),
                &q.absmax_q,
                &read_bytes("nf4_dq", &format!("{case}.absmax_q.u8")),
            );
            let dq = dequantize(&q, x.len()).unwrap();
            assert_bits_eq(
                &f("dq.f32"),
                &dq,
                &read_f32("nf4_dq", &format!("{case}.dq.f32")),
            );
        }
    }

    #[test]
    fn errors() {
        assert!(quantize(&[1.0], 64, 0).is_err());
        assert!(quantize(&[1.0], 63, 256).is_err());
        assert!(matches!(
            quantize(&[f32::INFINITY], 64, 256),
            Err(TensorError::NonFinite(_))
        ));
        let q = quantize(&[0.5; 100], 64, 256).unwrap();
        assert!(dequantize(&q, 200).is_err());
        assert_eq!(quantize(&[], 64, 256).unwrap().absmax2.len(), 0);
    }

    proptest! {
        #[test]
        fn error_bound(x in proptest::collection::vec(-1e3f32..1e3, 1..2000), bs2 in prop::sample::select(vec![1usize, 4, 256])) {
            let q = quantize(&x, 64, bs2).unwrap();
            let dq = dequantize(&q, x.len()).unwrap();
            let a = reconstructed_absmax(&q);
            let nf = super::super::nf4::quantize(&x, 64).unwrap();
            let gap = super::super::nf4::LEVELS.windows(2).map(|w| w[1] - w[0]).fold(0f32, f32::max);
            for (j, (xs, ds)) in x.chunks(64).zip(dq.chunks(64)).enumerate() {
                // second level: |a' - a| is within the dynamic map's step
                // around v (largest gap 0.0140625 near ±1) times absmax2 / 2,
                // plus rounding.
                let a2 = q.absmax2[j / bs2];
                let da = (a[j] - nf.absmax[j]).abs();
                prop_assert!(da <= a2 * 0.0071 + nf.absmax[j] * 1e-6 + 1e-30, "block {} a'={} a={}", j, a[j], nf.absmax[j]);
                // first level: codes are those of nf4, scaled by a' instead of a
                let bound = nf.absmax[j] * gap * 0.5 + da + nf.absmax[j] * 1e-5;
                for (v, d) in xs.iter().zip(ds) {
                    prop_assert!((v - d).abs() <= bound, "x={} dq={} bound={}", v, d, bound);
                }
            }
        }
    }
}
