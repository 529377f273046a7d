//! Exact int8 · int8 dot products for `qmatmul_int8`, a tile at a time: up
//! to [`TILE`] weight rows against up to [`TILE`] activation rows, every
//! code of a row loaded once per tile and used for all rows of the other
//! side.
//!
//! Three versions, picked at run time (never from `target-cpu=native`):
//!
//! - AVX-512 VNNI: `vpdpbusd` multiplies 64 unsigned by 64 signed bytes and
//!   adds each 4 products into a 32-bit lane, one instruction. The weight
//!   byte is made unsigned by flipping its sign bit (`w + 128`), and
//!   `128 · Σ x` (the activation row's code sum, kept with the codes in
//!   [`I8Activations`]) is subtracted at the end.
//! - AVX2: `vpmaddubsw` on `|w|` (unsigned) and `x · sign(w)`, then
//!   `vpmaddwd` into 32-bit lanes. A pair of products is at most
//!   2 · 128 · 127 = 32512, so the 16-bit step never saturates, provided no
//!   activation code is −128 ([`I8Activations::new`] checks).
//! - portable: an i32 loop the compiler vectorizes as it can.
//!
//! All three are exact: 32-bit sums over at most [`CHUNK`] elements (at most
//! 32768 · 255 · 128 < 2^31 in magnitude), added into i64.
//!
//! Why: the former path was one i64 dot per (weight row, activation row),
//! whose widening loop ran at a few products per cycle; 4096 × 4096 with 64
//! activation rows took 30 ms against 13 ms for the f32 GEMM (2-vCPU Xeon,
//! 2026-12-03; the README's "Quantized matmul" has the new figures).

use std::ops::Range;

/// Most weight rows, and most activation rows, of one tile.
pub const TILE: usize = 4;

/// Elements summed in 32-bit lanes before the sums move to i64.
const CHUNK: usize = 1 << 15;

/// Calls `$k::<W, X>(args)` for `W = $ws.len()`, `X = $xs.len()`, each
/// 1..=TILE (panics otherwise).
macro_rules! by_tile {
    ($k:ident, $ws:expr, $xs:expr, ($($arg:expr),*)) => {
        match ($ws.len(), $xs.len()) {
            (1, 1) => $k::<1, 1>($($arg),*),
            (1, 2) => $k::<1, 2>($($arg),*),
            (1, 3) => $k::<1, 3>($($arg),*),
            (1, 4) => $k::<1, 4>($($arg),*),
            (2, 1) => $k::<2, 1>($($arg),*),
            (2, 2) => $k::<2, 2>($($arg),*),
            (2, 3) => $k::<2, 3>($($arg),*),
            (2, 4) => $k::<2, 4>($($arg),*),
            (3, 1) => $k::<3, 1>($($arg),*),
            (3, 2) => $k::<3, 2>($($arg),*),
            (3, 3) => $k::<3, 3>($($arg),*),
            (3, 4) => $k::<3, 4>($($arg),*),
            (4, 1) => $k::<4, 1>($($arg),*),
            (4, 2) => $k::<4, 2>($($arg),*),
            (4, 3) => $k::<4, 3>($($arg),*),
            (4, 4) => $k::<4, 4>($($arg),*),
            (w, x) => panic!("int8 tiles are 1..={TILE} x 1..={TILE} rows, got {w} x {x}"),
        }
    };
}

/// Activation rows of int8 codes (row-major `[m, k]`), each in −127..=127,
/// with every row's code sum (the VNNI kernel's correction term).
#[derive(Clone, Debug)]
pub struct I8Activations {
    codes: Vec<i8>,
    k: usize,
    sums: Vec<i64>,
}

impl I8Activations {
    /// Wraps `codes` as rows of `k` codes.
    ///
    /// # Panics
    /// When `k` is 0, `codes.len()` is not a multiple of `k`, or a code is
    /// −128 (the AVX2 kernel cannot negate it; the activation quantizer
    /// clamps to ±127).
    pub fn new(codes: Vec<i8>, k: usize) -> Self {
        assert!(
            k > 0 && codes.len().is_multiple_of(k),
            "codes must be whole rows of k > 0"
        );
        assert!(
            !codes.contains(&i8::MIN),
            "activation codes must lie in -127..=127"
        );
        let sums = codes
            .chunks_exact(k)
            .map(|row| row.iter().map(|&c| c as i64).sum())
            .collect();
        I8Activations { codes, k, sums }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.sums.len()
    }

    /// Row `b`'s codes (`k` of them).
    pub fn row(&self, b: usize) -> &[i8] {
        &self.codes[b * self.k..(b + 1) * self.k]
    }
}

/// `out[i · bs.len() + b] = Σ_j ws[i][j] · x.row(bs.start + b)[j]`, exact,
/// for 1..=[`TILE`] weight rows `ws` (each `k` codes, any values) and a
/// range `bs` of 1..=[`TILE`] activation rows.
///
/// # Panics
/// When a weight row's length is not `x`'s `k`, a count is outside
/// 1..=[`TILE`], `bs` lies outside `x`, or `out` is shorter than the tile.
pub fn dot_i8_tile(ws: &[&[i8]], x: &I8Activations, bs: Range<usize>, out: &mut [i64]) {
    assert!(
        ws.iter().all(|w| w.len() == x.k),
        "weight rows must hold k codes"
    );
    assert!(bs.end <= x.rows() && out.len() >= ws.len() * bs.len());
    // a fixed array, not a Vec: one call per tile, thousands per product
    let mut rows: [&[i8]; TILE] = [&[]; TILE];
    for (slot, b) in rows.iter_mut().zip(bs.clone()) {
        *slot = x.row(b);
    }
    let xs = &rows[..bs.len()];
    let sums = &x.sums[bs];
    #[cfg(target_arch = "x86_64")]
    {
        if has_vnni() {
            // SAFETY: the CPU has AVX-512F, AVX-512BW and AVX-512 VNNI
            // (checked); row lengths were checked above.
            unsafe { by_tile!(tile_vnni, ws, xs, (ws, xs, sums, out)) };
            return;
        }
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked); row lengths were checked
            // above and no activation code is -128 (checked by new()).
            unsafe { by_tile!(tile_avx2, ws, xs, (ws, xs, out)) };
            return;
        }
    }
    let _ = sums;
    by_tile!(tile_portable, ws, xs, (ws, xs, out))
}

/// Whether the AVX-512 VNNI tile kernel runs here.
#[cfg(target_arch = "x86_64")]
pub fn has_vnni() -> bool {
    std::is_x86_feature_detected!("avx512f")
        && std::is_x86_feature_detected!("avx512bw")
        && std::is_x86_feature_detected!("avx512vnni")
}

/// Writes `total[i][b]` into `out` row-major.
fn store<const W: usize, const X: usize>(total: &[[i64; X]; W], out: &mut [i64]) {
    for (i, t) in total.iter().enumerate() {
        out[i * X..(i + 1) * X].copy_from_slice(t);
    }
}

/// The portable tile: one i32 sum per chunk and pair of rows.
fn tile_portable<const W: usize, const X: usize>(ws: &[&[i8]], xs: &[&[i8]], out: &mut [i64]) {
    let mut total = [[0i64; X]; W];
    for c0 in (0..ws[0].len()).step_by(CHUNK) {
        let c1 = (c0 + CHUNK).min(ws[0].len());
        for i in 0..W {
            for b in 0..X {
                let s: i32 = ws[i][c0..c1]
                    .iter()
                    .zip(&xs[b][c0..c1])
                    .map(|(&w, &x)| w as i32 * x as i32)
                    .sum();
                total[i][b] += s as i64;
            }
        }
    }
    store(&total, out);
}

/// The AVX2 tile: `vpmaddubsw(|w|, x · sign(w))`, `vpmaddwd` by ones.
///
/// # Safety
/// AVX2; every row `k` codes; no activation code −128.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn tile_avx2<const W: usize, const X: usize>(ws: &[&[i8]], xs: &[&[i8]], out: &mut [i64]) {
    use std::arch::x86_64::*;
    let k = ws[0].len();
    let ones = _mm256_set1_epi16(1);
    let load = |p: *const i8| _mm256_loadu_si256(p as *const __m256i);
    let mut total = [[0i64; X]; W];
    for c0 in (0..k).step_by(CHUNK) {
        let c1 = (c0 + CHUNK).min(k);
        let mut acc = [[_mm256_setzero_si256(); X]; W];
        let mut j = c0;
        while j + 32 <= c1 {
            // SAFETY: j + 32 <= k for every row
            let w: [__m256i; W] = std::array::from_fn(|i| load(ws[i].as_ptr().add(j)));
            let wa: [__m256i; W] = std::array::from_fn(|i| _mm256_abs_epi8(w[i]));
            for b in 0..X {
                let xv = load(xs[b].as_ptr().add(j));
                for i in 0..W {
                    let p = _mm256_maddubs_epi16(wa[i], _mm256_sign_epi8(xv, w[i]));
                    acc[i][b] = _mm256_add_epi32(acc[i][b], _mm256_madd_epi16(p, ones));
                }
            }
            j += 32;
        }
        for i in 0..W {
            for b in 0..X {
                let mut lanes = [0i32; 8];
                _mm256_storeu_si256(lanes.as_mut_ptr() as *mut __m256i, acc[i][b]);
                let tail: i32 = (j..c1).map(|t| ws[i][t] as i32 * xs[b][t] as i32).sum();
                total[i][b] += lanes.iter().map(|&v| v as i64).sum::<i64>() + tail as i64;
            }
        }
    }
    store(&total, out);
}

/// The AVX-512 VNNI tile: `vpdpbusd(w ⊕ 0x80, x)`, minus `128 · Σ x` per
/// activation row (`sums`); the last partial 64 bytes by masked loads
/// (masked-off bytes read as 0: `0x80 · 0` adds nothing).
///
/// # Safety
/// AVX-512F, AVX-512BW and AVX-512 VNNI; every row `k` codes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
unsafe fn tile_vnni<const W: usize, const X: usize>(
    ws: &[&[i8]],
    xs: &[&[i8]],
    sums: &[i64],
    out: &mut [i64],
) {
    use std::arch::x86_64::*;
    let k = ws[0].len();
    let flip = _mm512_set1_epi8(i8::MIN);
    let mut total = [[0i64; X]; W];
    for c0 in (0..k).step_by(CHUNK) {
        let c1 = (c0 + CHUNK).min(k);
        let mut acc = [[_mm512_setzero_si512(); X]; W];
        let mut step = |j: usize, mask: u64| {
            // SAFETY: the masked loads read only bytes j.. below c1 <= k
            let load = |p: &[i8]| _mm512_maskz_loadu_epi8(mask, p.as_ptr().add(j));
            let w: [__m512i; W] = std::array::from_fn(|i| _mm512_xor_si512(load(ws[i]), flip));
            for b in 0..X {
                let xv = load(xs[b]);
                for i in 0..W {
                    acc[i][b] = _mm512_dpbusd_epi32(acc[i][b], w[i], xv);
                }
            }
        };
        let mut j = c0;
        while j + 64 <= c1 {
            step(j, u64::MAX);
            j += 64;
        }
        if j < c1 {
            step(j, (1u64 << (c1 - j)) - 1);
        }
        for i in 0..W {
            for b in 0..X {
                total[i][b] += _mm512_reduce_add_epi32(acc[i][b]) as i64;
            }
        }
    }
    for row in total.iter_mut() {
        for (t, s) in row.iter_mut().zip(sums) {
            *t -= 128 * s;
        }
    }
    store(&total, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every tile shape, rows crossing the 32/64-byte steps and a chunk
    /// boundary, extreme codes (weights include −128), against i64 sums;
    /// also the portable and AVX2 versions where the CPU runs VNNI.
    #[test]
    fn tiles_are_exact() {
        let mut s = 11u32;
        let mut code = || {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            match s >> 29 {
                0 => 127,
                1 => -127,
                2 => -128,
                _ => (s >> 20) as i8,
            }
        };
        for k in [1, 31, 64, 100, 200, CHUNK + 77] {
            let w: Vec<Vec<i8>> = (0..TILE)
                .map(|_| (0..k).map(|_| code()).collect())
                .collect();
            let xc: Vec<i8> = (0..TILE * k).map(|_| code().max(-127)).collect();
            let x = I8Activations::new(xc, k);
            for nw in 1..=TILE {
                for b0 in 0..TILE {
                    for nb in 1..=TILE - b0 {
                        let ws: Vec<&[i8]> = w[..nw].iter().map(|r| r.as_slice()).collect();
                        let want: Vec<i64> = (0..nw * nb)
                            .map(|t| {
                                let (wr, xr) = (ws[t / nb], x.row(b0 + t % nb));
                                wr.iter().zip(xr).map(|(&a, &b)| a as i64 * b as i64).sum()
                            })
                            .collect();
                        let mut got = vec![0i64; nw * nb];
                        dot_i8_tile(&ws, &x, b0..b0 + nb, &mut got);
                        assert_eq!(got, want, "k={k} {nw}x{nb} at {b0}");
                        let xs: Vec<&[i8]> = (b0..b0 + nb).map(|b| x.row(b)).collect();
                        let mut other = vec![0i64; nw * nb];
                        by_tile!(tile_portable, ws, xs, (&ws, &xs, &mut other));
                        assert_eq!(other, want, "portable k={k} {nw}x{nb}");
                        #[cfg(target_arch = "x86_64")]
                        if std::is_x86_feature_detected!("avx2") {
                            // SAFETY: AVX2 checked; rows of k; no -128 in x
                            unsafe { by_tile!(tile_avx2, ws, xs, (&ws, &xs, &mut other)) };
                            assert_eq!(other, want, "avx2 k={k} {nw}x{nb}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "-127..=127")]
    fn activation_code_minus_128_is_refused() {
        I8Activations::new(vec![1, i8::MIN], 2);
    }
}
